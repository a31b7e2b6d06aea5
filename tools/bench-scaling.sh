#!/bin/bash
# make bench's per-node figures for docs/scaling.md: the full path
# (GetVendorProds aws storage, 7 products, h2load -c20 -m10) through one
# gateway over one storage on SQLite, and over one storage on PostgreSQL, in
# the same run. The gateway, the storage and (for the second) the PostgreSQL
# server share core 0, h2load runs on core 1: calls per second per core of a
# whole node. Also PostgreSQL's transactions per call (pg_stat_database).
#
#   tools/bench-scaling.sh [--doc docs/scaling.md]
# Knobs: SCALING_CALLS (50000 a run), SCALING_RUNS (3; the median is kept).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/host/bin
CALLS=${SCALING_CALLS:-50000}
RUNS=${SCALING_RUNS:-3}
DOC=""
[ "${1:-}" = --doc ] && DOC=$2
for b in storage gateway; do
  [ -x "$BIN/$b" ] || { echo "bench-scaling: missing $BIN/$b (make BOARD=host)" >&2; exit 1; }
done
command -v h2load >/dev/null || { echo "bench-scaling: missing h2load (make deps)" >&2; exit 1; }
TMP=$(mktemp -d)
PGDIR=build/bench-scaling-pg
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash tools/pg.sh stop "$PGDIR" >/dev/null 2>&1 || true
  rm -rf "$TMP" "$PGDIR"
}
trap cleanup EXIT
free_port() {
  /usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "bench-scaling: nothing listens on $1" >&2
  exit 1
}
# serve NAME DB: a storage on DB and a gateway over it, on core 0; sets GW.
serve() {
  local sp gp
  sp=$(free_port) gp=$(free_port)
  taskset -c 0 "$BIN/storage" --listen "127.0.0.1:$sp" --db "$2" 2>"$TMP/$1.storage.log" &
  PIDS+=($!)
  wait_port "$sp"
  taskset -c 0 "$BIN/gateway" --listen "127.0.0.1:$gp" --storage "127.0.0.1:$sp" 2>"$TMP/$1.gateway.log" &
  PIDS+=($!)
  wait_port "$gp"
  GW=$gp
}
printf '\x00\x00\x00\x00\x0e\x0a\x03aws\x12\x07storage' >"$TMP/prods.bin"
# rate PORT: calls/s of one h2load run (every call must succeed)
rate() {
  taskset -c 1 h2load -H 'content-type: application/grpc' -H 'te: trailers' -n "$CALLS" -c20 -m10 -t1 \
    -d "$TMP/prods.bin" "http://127.0.0.1:$1/api.ProdService/GetVendorProds" >"$TMP/h2" 2>&1
  grep -q "requests: $CALLS total, $CALLS started, $CALLS done, $CALLS succeeded" "$TMP/h2" ||
    { echo "bench-scaling: h2load: $(grep requests: "$TMP/h2")" >&2; exit 1; }
  awk '/finished in/ {gsub(",", ""); print int($4)}' "$TMP/h2"
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# PostgreSQL on core 0 with the node (its children inherit the mask).
CONNINFO=$(taskset -c 0 bash tools/pg.sh start "$PGDIR")
psql -X "$CONNINFO dbname=postgres" -qc "CREATE DATABASE cat" >/dev/null
serve sqlite "$TMP/catalogue.db"
SQ=$GW
serve pg "$CONNINFO dbname=cat"
PG=$GW
xacts() { psql -X "$CONNINFO dbname=postgres" -Atc "SELECT xact_commit FROM pg_stat_database WHERE datname='cat'"; }
rate "$SQ" >/dev/null # warm both
rate "$PG" >/dev/null
sq=() pg=() x0=$(xacts)
for _ in $(seq "$RUNS"); do
  sq+=("$(rate "$SQ")")
  pg+=("$(rate "$PG")")
done
sleep 1 # the statistics collector reports within its interval
x1=$(xacts)
SQM=$(printf '%s\n' "${sq[@]}" | median)
PGM=$(printf '%s\n' "${pg[@]}" | median)
PER=$(awk -v d=$((x1 - x0)) -v n=$((CALLS * RUNS)) 'BEGIN {printf "%.2f", d / n}')
RATIO=$(awk -v a="$PGM" -v b="$SQM" 'BEGIN {printf "%.2f", a / b}')
OUT=$(
  cat <<EOF
| one node on one core (gateway, storage, and PostgreSQL when used) | calls/s (median of $RUNS, runs) |
| --- | --- |
| storage on SQLite | $SQM (${sq[*]}) |
| storage on PostgreSQL (--db-pool 4) | $PGM (${pg[*]}) |
| PostgreSQL / SQLite | **${RATIO}x** |

PostgreSQL transactions per call: $PER (each query its own; the calls ask
for a type that exists, so one query each).
EOF
)
echo "$OUT"
if [ -n "$DOC" ]; then
  /usr/bin/python3 - "$DOC" "$OUT" <<'PY'
import sys
path, text = sys.argv[1], sys.argv[2]
doc = open(path).read()
a, b = "<!-- bench-scaling -->", "<!-- /bench-scaling -->"
i, j = doc.index(a) + len(a), doc.index(b)
open(path, "w").write(doc[:i] + "\n" + text + "\n" + doc[j:])
PY
fi
