#!/bin/bash
# A PostgreSQL server of our own, for the tests: Debian's postgresql binaries,
# a cluster in DIR, trust authentication, listening on 127.0.0.1 on a free
# port (and a socket in DIR). initdb and postgres refuse to run as root: as
# root, they run as the postgres user (the package creates it), who must own DIR.
#
#   tools/pg.sh start DIR     initdb (if new) and start; prints the conninfo,
#                             also kept in DIR/conninfo
#   tools/pg.sh stop DIR      fast shutdown (harmless when not running)
#   tools/pg.sh restart DIR   stop, then start on the same port
#   tools/pg.sh kill DIR      SIGKILL the postmaster (a crash)
set -euo pipefail
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: tools/pg.sh start|stop|restart|kill DIR" >&2; exit 2; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || { echo "pg.sh: no PostgreSQL server binaries (make deps installs postgresql)" >&2; exit 1; }
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
free_port() {
  /usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
start() {
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_pg test -w "$dir" || { echo "pg.sh: the postgres user cannot write $dir (is a parent folder closed to it?)" >&2; exit 1; }
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  [ -f "$dir/port" ] || free_port >"$dir/port"
  local port
  port=$(cat "$dir/port")
  # fsync off: a test cluster, thrown away after the run
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o \
    "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { tail -20 "$dir/server.log" >&2; exit 1; }
  echo "host=127.0.0.1 port=$port user=postgres" >"$dir/conninfo"
  cat "$dir/conninfo"
}
stop() {
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
}
case $cmd in
start) start ;;
stop) stop ;;
restart) stop; start ;;
kill)
  [ -f "$dir/data/postmaster.pid" ] && kill -KILL "$(head -1 "$dir/data/postmaster.pid")" 2>/dev/null
  true
  ;;
*) echo "usage: tools/pg.sh start|stop|restart|kill DIR" >&2; exit 2 ;;
esac
