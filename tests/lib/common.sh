# shellcheck shell=bash disable=SC2034
# Shared helpers for the shell tests. Source it from a test:
#
#   . "$(dirname "$0")/../lib/common.sh"
#   start_storage            # storage on a free port, fresh db in the test's temp dir
#   start_gateway            # gateway on a free port, pointed at that storage
#   client getprods aws storage ; check_eq "$OUT" "$(cat expected/...)" "name"
#   finish                   # stops the daemons, checks sanitizer reports, exits
#
# Every check prints "ok - name" or "not ok - name" plus details, and the test
# goes on: one run reports every failure. finish exits 1 if any check failed.
#
# Environment:
#   TEST_BIN_DIR  where storage, gateway and firmware-client live
#                 (default build/host-asan/bin)
#   TEST_KEEP=1   keep the temp dir (daemon logs) after the test
#   TEST_STORAGE_BACKEND  sqlite (default) or postgresql: what start_storage's
#                 --db is (tests/run.sh runs each test marked
#                 "storage-backends: sqlite postgresql" with both)
#   TEST_PG_CONNINFO  the run's PostgreSQL server (tests/run.sh starts it)
#   LISTEN_HOST   where the gateway (and channel.sh's proxy) listen: 127.0.0.1,
#                 or 0.0.0.0 inside a namespace whose tap carries a board's NIC

set -u

TEST_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${TEST_BIN_DIR:-$TEST_ROOT/build/host-asan/bin}
PY=/usr/bin/python3
TEST_NAME=$(basename "$0")
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/fwtest.XXXXXX")
FAILS=0
CHECKS=0
DAEMON_PIDS=()
DAEMON_LOGS=()

# Sanitizer runtime options: report everything, never silently continue.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-}
SANITIZER_RE='ERROR: AddressSanitizer|runtime error:|LeakSanitizer|ThreadSanitizer|UndefinedBehaviorSanitizer|AddressSanitizer:DEADLYSIGNAL'

ok() { CHECKS=$((CHECKS + 1)); echo "ok - $1"; }
not_ok() {
  CHECKS=$((CHECKS + 1))
  FAILS=$((FAILS + 1))
  echo "not ok - $1"
  shift
  local line
  for line in "$@"; do printf '%s\n' "$line" | sed 's/^/    /'; done
}

# Aborts the whole test (for broken setup: a daemon that does not start).
bail() {
  echo "Bail out! $*"
  FAILS=$((FAILS + 1))
  finish
}

# require_bins [NAMES...]: bails out unless the binaries exist (default: all three).
require_bins() {
  local b
  [ $# -gt 0 ] || set -- storage gateway firmware-client
  for b in "$@"; do
    [ -x "$BIN/$b" ] || { echo "Bail out! missing $BIN/$b (build with: make BOARD=host-asan)"; exit 1; }
  done
}

# Prints a TCP port that was free a moment ago.
free_port() {
  "$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Succeeds when something accepts on 127.0.0.1:$1.
port_open() {
  "$PY" -c 'import socket, sys
s = socket.socket(); s.settimeout(0.5)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$1" 2>/dev/null
}

# wait_port PORT PID [SECONDS]: waits until the port accepts; fails if PID dies.
wait_port() {
  local port=$1 pid=$2 limit=${3:-10} i=0
  while [ "$i" -lt $((limit * 20)) ]; do
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if port_open "$port"; then return 0; fi
    sleep 0.05
    i=$((i + 1))
  done
  return 1
}

# now_ms: monotonic-enough wall clock in milliseconds.
now_ms() { date +%s%3N; }

# start_daemon NAME PORT LOG ARGS...: starts BIN/NAME (or NAME if it is a
# path) in the background and waits for its port. Sets LAST_PID.
start_daemon() {
  local name=$1 port=$2 log=$3 exe
  shift 3
  case "$name" in */*) exe=$name ;; *) exe=$BIN/$name ;; esac
  "$exe" "$@" >>"$log.out" 2>>"$log" &
  LAST_PID=$!
  DAEMON_PIDS+=("$LAST_PID")
  DAEMON_LOGS+=("$log")
  if ! wait_port "$port" "$LAST_PID" 10; then
    echo "# $name $* did not start listening on $port; its stderr:"
    sed 's/^/#   /' "$log" | tail -20
    return 1
  fi
}

# storage_db: sets STORAGE_DB, the --db of this test's catalogue: a file in
# its temp dir, or with TEST_STORAGE_BACKEND=postgresql a database of its own
# on the run's server, created on first use and dropped by finish.
TEST_PG_DB=
storage_db() {
  if [ "${TEST_STORAGE_BACKEND:-sqlite}" != postgresql ]; then
    STORAGE_DB=$TEST_TMP/catalogue.db
    return 0
  fi
  [ -n "${TEST_PG_CONNINFO:-}" ] || bail "TEST_STORAGE_BACKEND=postgresql needs TEST_PG_CONNINFO (tests/run.sh starts the server)"
  if [ -z "$TEST_PG_DB" ]; then
    TEST_PG_DB=t_$(basename "$TEST_TMP" | tr -c 'a-zA-Z0-9' '_' | tr 'A-Z' 'a-z')
    psql -X "$TEST_PG_CONNINFO dbname=postgres" -qc "CREATE DATABASE $TEST_PG_DB" >/dev/null ||
      bail "cannot create the database $TEST_PG_DB"
  fi
  STORAGE_DB="$TEST_PG_CONNINFO dbname=$TEST_PG_DB"
}

# start_storage [--port P] [EXTRA ARGS...]: sets STORAGE_PORT, STORAGE_PID,
# STORAGE_LOG. The database lives in the test's temp dir (kept across restarts
# of the same test so that a restart reuses it). STORAGE_EXE replaces our
# storage with another program taking the same options (py_storage.py).
STORAGE_N=0
start_storage() {
  local port=""
  if [ "${1:-}" = "--port" ]; then port=$2; shift 2; fi
  [ -n "$port" ] || port=$(free_port)
  STORAGE_N=$((STORAGE_N + 1))
  STORAGE_PORT=$port
  STORAGE_LOG=$TEST_TMP/storage.$STORAGE_N.log
  : >"$STORAGE_LOG"
  storage_db
  start_daemon "${STORAGE_EXE:-storage}" "$port" "$STORAGE_LOG" --listen "127.0.0.1:$port" \
    --db "$STORAGE_DB" "$@" || bail "storage did not start"
  STORAGE_PID=$LAST_PID
}

# start_gateway [--storage-port P] [EXTRA ARGS...]: sets GATEWAY_PORT,
# GATEWAY_PID, GATEWAY_LOG; points at STORAGE_PORT unless told otherwise.
# GATEWAY_EXE replaces our gateway with another program (py_gateway.py).
GATEWAY_N=0
start_gateway() {
  local sport=${STORAGE_PORT:-}
  if [ "${1:-}" = "--storage-port" ]; then sport=$2; shift 2; fi
  [ -n "$sport" ] || sport=$(free_port)
  GATEWAY_N=$((GATEWAY_N + 1))
  GATEWAY_PORT=$(free_port)
  GATEWAY_LOG=$TEST_TMP/gateway.$GATEWAY_N.log
  : >"$GATEWAY_LOG"
  start_daemon "${GATEWAY_EXE:-gateway}" "$GATEWAY_PORT" "$GATEWAY_LOG" \
    --listen "${LISTEN_HOST:-127.0.0.1}:$GATEWAY_PORT" \
    --storage "127.0.0.1:$sport" "$@" || bail "gateway did not start"
  GATEWAY_PID=$LAST_PID
}

# stop_daemon PID [SIGNAL]: signals and waits (5 s) for the daemon to exit.
# With TERM (the default) a daemon that does not exit in time is a failure:
# LeakSanitizer only reports on a clean exit.
STOPPED_PIDS=" "
# (stderr muted: bash's "Killed" job notice is noise here.)
stop_daemon() { stop_daemon_ "$@" 2>/dev/null; }
stop_daemon_() {
  local pid=$1 sig=${2:-TERM} i=0
  STOPPED_PIDS="$STOPPED_PIDS$pid "
  kill -0 "$pid" 2>/dev/null || return 0
  kill -"$sig" "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    not_ok "daemon pid $pid exits within 5 s of SIG$sig"
  fi
  { wait "$pid"; } 2>/dev/null
  return 0
}

# check_sanitizers FILE NAME: a check that FILE holds no sanitizer report.
check_sanitizers() {
  local f=$1 what=$2
  [ -f "$f" ] || return 0
  if grep -Eq "$SANITIZER_RE" "$f"; then
    not_ok "no sanitizer report in $what" "$(grep -E -m3 -A12 "$SANITIZER_RE" "$f")"
  else
    ok "no sanitizer report in $what"
  fi
}

# client ARGS...: runs firmware-client against the gateway. Sets OUT, ERR,
# RC and MS (elapsed milliseconds). Pass --no-addr first to omit --addr.
CLIENT_N=0
client() {
  local addr=(--addr "127.0.0.1:${GATEWAY_PORT:-8080}")
  if [ "${1:-}" = "--no-addr" ]; then addr=(); shift; fi
  CLIENT_N=$((CLIENT_N + 1))
  local o=$TEST_TMP/client.$CLIENT_N.out e=$TEST_TMP/client.$CLIENT_N.err t0 t1
  t0=$(now_ms)
  timeout 30 "$BIN/firmware-client" "${addr[@]}" "$@" >"$o" 2>"$e"
  RC=$?
  t1=$(now_ms)
  MS=$((t1 - t0))
  OUT=$(cat "$o")
  ERR=$(cat "$e")
  if grep -Eq "$SANITIZER_RE" "$e"; then
    not_ok "no sanitizer report from firmware-client $*" "$(grep -E -m3 -A12 "$SANITIZER_RE" "$e")"
  fi
}

# client_bg FILEPREFIX ARGS...: starts firmware-client in the background;
# stdout, stderr, exit code and elapsed ms go to PREFIX.{out,err,rc,ms}.
client_bg() {
  local p=$1
  shift
  (
    t0=$(now_ms)
    timeout 30 "$BIN/firmware-client" --addr "127.0.0.1:$GATEWAY_PORT" "$@" >"$p.out" 2>"$p.err"
    echo $? >"$p.rc"
    echo $(($(now_ms) - t0)) >"$p.ms"
  ) &
  BG_PID=$!
}

# Replaces the 6 random hex digits of every ShortUrl with XXXXXX. A suffix that
# is not exactly 6 lowercase hex digits is left alone, so the diff shows it.
mask_short() { sed -E 's#(ShortUrl: https://made-up-url\.com/)[0-9a-f]{6}$#\1XXXXXX#'; }

# check_eq ACTUAL EXPECTED NAME
check_eq() {
  if [ "$1" == "$2" ]; then
    ok "$3"
  else
    not_ok "$3" "--- expected" "$(printf '%s\n' "$2" | sed 's/^/|/')" "--- actual" "$(printf '%s\n' "$1" | sed 's/^/|/')"
  fi
}

# check_rc GOT WANT NAME
check_rc() {
  if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3" "exit status $1, want $2" "stdout: $OUT" "stderr: $ERR"; fi
}

# check_between MS LO HI NAME: LO <= MS <= HI (milliseconds).
check_between() {
  if [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; then ok "$4 (${1} ms)"; else not_ok "$4" "took $1 ms, want $2..$3 ms"; fi
}

# check_log FILE ERE NAME [SECONDS]: waits up to SECONDS (default 2, may be
# fractional) for a line
# matching ERE in FILE.
check_log() {
  local f=$1 re=$2 what=$3 limit=${4:-2} i=0 n
  n=$(awk -v s="$limit" 'BEGIN { printf "%d", s * 20 }')
  while [ "$i" -le "$n" ]; do
    if grep -Eq -- "$re" "$f" 2>/dev/null; then ok "$what"; return 0; fi
    sleep 0.05
    i=$((i + 1))
  done
  not_ok "$what" "no line matching /$re/ in $(basename "$f"); last lines:" "$(tail -15 "$f" 2>/dev/null)"
}

EXPECTED_DIR=$TEST_ROOT/tests/integration/expected
expected() { cat "$EXPECTED_DIR/$1"; }

# cleanup: stops every daemon still running (on any exit path).
cleanup() {
  local pid
  for pid in "${DAEMON_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  if [ "${TEST_KEEP:-0}" = 1 ]; then
    echo "# logs kept in $TEST_TMP"
  else
    rm -rf "$TEST_TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# finish: stops the daemons (SIGTERM, so that LeakSanitizer runs), checks
# every daemon log for sanitizer reports and exits with the verdict.
finish() {
  local pid i
  for pid in "${DAEMON_PIDS[@]}"; do
    case "$STOPPED_PIDS" in *" $pid "*) continue ;; esac
    if kill -0 "$pid" 2>/dev/null; then
      stop_daemon "$pid" TERM
    else
      wait "$pid" 2>/dev/null
      not_ok "daemon pid $pid exited before the end of the test (exit status $?)"
    fi
  done
  for i in "${!DAEMON_LOGS[@]}"; do
    check_sanitizers "${DAEMON_LOGS[$i]}" "$(basename "${DAEMON_LOGS[$i]}")"
  done
  if [ -n "$TEST_PG_DB" ]; then
    psql -X "$TEST_PG_CONNINFO dbname=postgres" -qc "DROP DATABASE IF EXISTS $TEST_PG_DB WITH (FORCE)" >/dev/null 2>&1
  fi
  if [ "$FAILS" -gt 0 ]; then
    echo "# $TEST_NAME: $FAILS of $CHECKS checks failed"
    for i in "${!DAEMON_LOGS[@]}"; do
      echo "# last lines of $(basename "${DAEMON_LOGS[$i]}"):"
      tail -8 "${DAEMON_LOGS[$i]}" | sed 's/^/#   /'
    done
    exit 1
  fi
  echo "# $TEST_NAME: all $CHECKS checks passed"
  exit 0
}
