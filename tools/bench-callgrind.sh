#!/bin/bash
# Instructions executed (valgrind --tool=callgrind, "Ir") on the unary path,
# for make bench (tools/bench.sh) and for the ceiling check in make test
# (tests/perf/test_callgrind_ceilings.sh). Prints one "name value" line each:
#
#   gateway_unary_per_call  the gateway's instructions per GetVendorProdTypes
#                           call, steady state: the gateway runs under
#                           callgrind twice, serving K1 and then K2 calls
#                           (h2load -c1 -m1, one connection), stopped by
#                           SIGTERM (it drains and exits 0);
#                           (Ir(K2) - Ir(K1)) / (K2 - K1), so start-up,
#                           shutdown and the connection's set-up cancel out.
#   client_main             the firmware client's instructions inside main()
#                           (--toggle-collect=main) for one
#                           `getprodtypes aws`: the whole call, without the
#                           dynamic loader and libc start-up.
#   client_total            the same invocation, every instruction.
#
# Environment: CG_BIN (default build/host/bin, the -O2 build), CG_K1 (100),
# CG_K2 (1100). Needs valgrind, h2load (nghttp2-client), python3. Uses free
# loopback ports, bounds every wait and kills what it starts.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BIN=${CG_BIN:-build/host/bin}
K1=${CG_K1:-100}
K2=${CG_K2:-1100}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/benchcg.XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "bench-callgrind: $*" >&2; exit 1; }

for b in gateway firmware-client; do [ -x "$BIN/$b" ] || die "missing $BIN/$b (make)"; done
for t in valgrind h2load; do command -v "$t" >/dev/null || die "missing $t (tools/bench-deps.sh)"; done

free_port() {
  python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
port_open() {
  python3 -c 'import socket, sys
s = socket.socket(); s.settimeout(0.5)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$1" 2>/dev/null
}
# wait_port PORT PID: up to 30 s (valgrind starts slowly).
wait_port() {
  local i=0
  while [ "$i" -lt 300 ]; do
    kill -0 "$2" 2>/dev/null || return 1
    port_open "$1" && return 0
    sleep 0.1
    i=$((i + 1))
  done
  return 1
}
# The "totals:" (or "summary:") line of a callgrind output file: Ir.
total_ir() { awk '$1 == "totals:" {t = $2} $1 == "summary:" && !t {t = $2} END {print t}' "$1"; }

# gateway_ir K: total Ir of a gateway run that serves K unary calls.
gateway_ir() {
  local k=$1 port dead pid i rc out=$TMP/gw.$1.cg
  port=$(free_port)
  dead=$(free_port)
  valgrind --tool=callgrind --callgrind-out-file="$out" "$BIN/gateway" --listen "127.0.0.1:$port" \
    --storage "127.0.0.1:$dead" >/dev/null 2>"$TMP/gw.$k.log" &
  pid=$!
  PIDS+=("$pid")
  wait_port "$port" "$pid" || die "gateway under callgrind did not start: $(tail -3 "$TMP/gw.$k.log")"
  if ! h2load -n "$k" -c1 -m1 -d "$TMP/types.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$port/api.ProdService/GetVendorProdTypes" >"$TMP/h2.$k" 2>&1 ||
    ! grep -q " $k succeeded" "$TMP/h2.$k"; then
    die "h2load: $(grep -E 'requests:' "$TMP/h2.$k")"
  fi
  kill -TERM "$pid"
  i=0
  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  kill -0 "$pid" 2>/dev/null && die "gateway did not exit within 30 s of SIGTERM"
  wait "$pid"
  rc=$?
  [ "$rc" = 0 ] || die "gateway exited $rc"
  total_ir "$out"
}

printf '\x00\x00\x00\x00\x05\x0a\x03aws' >"$TMP/types.bin"
a=$(gateway_ir "$K1") || exit 1
b=$(gateway_ir "$K2") || exit 1
[ -n "$a" ] && [ -n "$b" ] || die "no callgrind totals"
echo "gateway_unary_per_call $(((b - a) / (K2 - K1)))"

# The client, against a gateway running natively.
port=$(free_port)
dead=$(free_port)
"$BIN/gateway" --listen "127.0.0.1:$port" --storage "127.0.0.1:$dead" >/dev/null 2>&1 &
gpid=$!
PIDS+=("$gpid")
wait_port "$port" "$gpid" || die "gateway did not start"
for mode in main total; do
  extra=()
  [ "$mode" = main ] && extra=(--toggle-collect=main)
  got=$(valgrind --tool=callgrind "${extra[@]}" --callgrind-out-file="$TMP/fc.$mode.cg" \
    "$BIN/firmware-client" --addr "127.0.0.1:$port" getprodtypes aws 2>"$TMP/fc.$mode.log")
  [ "$got" = "aws cloud products type are:  compute storage" ] ||
    die "firmware-client under callgrind printed: $got $(tail -3 "$TMP/fc.$mode.log")"
  echo "client_$mode $(total_ir "$TMP/fc.$mode.cg")"
done
kill -TERM "$gpid"
wait "$gpid" 2>/dev/null
exit 0
