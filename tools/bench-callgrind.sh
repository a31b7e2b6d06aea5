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
#   gateway_stream_per_msg  the gateway's instructions per streamed product:
#                           GetVendorProds of a CG_PRODS-product catalogue
#                           (storage running natively), K1/10 and K2/10
#                           streams in the two runs, the difference over the
#                           products between them: storage's answer read,
#                           each product decoded, given its ShortUrl, encoded
#                           and framed, the bytes sent.
#   storage_per_call        storage's instructions per GetVendorProds aws
#                           storage call (7 products) on the full path, the
#                           gateway running natively, K1 and K2 calls, the
#                           difference over the calls between them: the
#                           request read, the SQLite lookup, the reply
#                           written and sent, the call's log lines.
#   client_main             the firmware client's instructions inside main()
#                           (--toggle-collect=main) for one
#                           `getprodtypes aws`: the whole call, without the
#                           dynamic loader and libc start-up.
#   client_total            the same invocation, every instruction.
#
# Environment: CG_BIN (default build/host/bin, the -O2 build), CG_K1 (100),
# CG_K2 (1100), CG_PRODS (2000). Needs valgrind, h2load (nghttp2-client), python3. Uses free
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

PRODS=${CG_PRODS:-2000}
for b in gateway firmware-client storage; do [ -x "$BIN/$b" ] || die "missing $BIN/$b (make)"; done
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

# report NAME A B UNITS: the line "NAME (B - A) / UNITS", from the totals of
# two runs that differ by UNITS calls or messages.
report() {
  [ -n "$2" ] && [ -n "$3" ] || die "no callgrind totals ($1)"
  echo "$1 $((($3 - $2) / $4))"
}

# stop_clean PID NAME: SIGTERM, then up to 30 s to exit (under valgrind a
# daemon drains slowly), with status 0.
stop_clean() {
  local i=0 rc
  kill -TERM "$1"
  while kill -0 "$1" 2>/dev/null && [ "$i" -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  kill -0 "$1" 2>/dev/null && die "$2 did not exit within 30 s of SIGTERM"
  wait "$1"
  rc=$?
  [ "$rc" = 0 ] || die "$2 exited $rc"
}

# gateway_ir K [METHOD BODY STORAGE]: total Ir of a gateway run that serves
# K calls (GetVendorProdTypes, no storage, unless told).
gateway_ir() {
  local k=$1 method=${2:-GetVendorProdTypes} body=${3:-$TMP/types.bin} port dead pid
  local out=$TMP/gw.$1.$method.cg
  port=$(free_port)
  dead=${4:-127.0.0.1:$(free_port)}
  valgrind --tool=callgrind --callgrind-out-file="$out" "$BIN/gateway" --listen "127.0.0.1:$port" \
    --storage "$dead" >/dev/null 2>"$TMP/gw.$k.log" &
  pid=$!
  PIDS+=("$pid")
  wait_port "$port" "$pid" || die "gateway under callgrind did not start: $(tail -3 "$TMP/gw.$k.log")"
  if ! h2load -n "$k" -c1 -m1 -d "$body" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$port/api.ProdService/$method" >"$TMP/h2.$k" 2>&1 ||
    ! grep -q " $k succeeded" "$TMP/h2.$k"; then
    die "h2load: $(grep -E 'requests:' "$TMP/h2.$k")"
  fi
  # a gRPC error is HTTP 200 too: the stream must have carried its products
  # (each at least 60 bytes)
  local data
  data=$(sed -n 's/^traffic: .* (\([0-9]*\)) data.*/\1/p' "$TMP/h2.$k" | tail -1)
  [ "$method" = GetVendorProdTypes ] || [ "${data:-0}" -ge $((k * PRODS * 60)) ] ||
    die "GetVendorProds: $data bytes of data for $k streams of $PRODS products"
  stop_clean "$pid" gateway
  total_ir "$out"
}

printf '\x00\x00\x00\x00\x05\x0a\x03aws' >"$TMP/types.bin"
a=$(gateway_ir "$K1") || exit 1
b=$(gateway_ir "$K2") || exit 1
report gateway_unary_per_call "$a" "$b" $((K2 - K1))

# The stream: a catalogue of PRODS products of vendor cg, type big, in a
# storage of its own (native), imported as a file.
for i in $(seq "$PRODS"); do printf 'cg\tbig\tCallgrind product %06d\thttps://cg.example.com/p/%06d/\n' "$i" "$i"; done \
  >"$TMP/cat.tsv"
"$BIN/storage" --db "$TMP/cat.db" --import "$TMP/cat.tsv" >"$TMP/import.log" 2>&1 ||
  die "storage --import: $(tail -2 "$TMP/import.log")"
sport=$(free_port)
"$BIN/storage" --listen "127.0.0.1:$sport" --db "$TMP/cat.db" >"$TMP/st.log" 2>&1 &
spid=$!
PIDS+=("$spid")
wait_port "$sport" "$spid" || die "storage did not start: $(tail -3 "$TMP/st.log")"
printf '\x00\x00\x00\x00\x09\x0a\x02cg\x12\x03big' >"$TMP/big.bin" # ClientRequestProds{cg, big}
s1=$((K1 / 10)) s2=$((K2 / 10))
a=$(gateway_ir "$s1" GetVendorProds "$TMP/big.bin" "127.0.0.1:$sport") || exit 1
b=$(gateway_ir "$s2" GetVendorProds "$TMP/big.bin" "127.0.0.1:$sport") || exit 1
report gateway_stream_per_msg "$a" "$b" $(((s2 - s1) * PRODS))
kill -TERM "$spid"
wait "$spid" 2>/dev/null

# Storage on the full path: GetVendorProds aws storage (7 products) through
# a gateway running natively, storage under callgrind over the seeded
# catalogue (a fresh database each run).
storage_ir() { # K: total Ir of a storage run that answers K calls
  local k=$1 sp gp spid gpid out=$TMP/st.$1.cg data
  sp=$(free_port) gp=$(free_port)
  rm -f "$TMP/full.db"*
  valgrind --tool=callgrind --callgrind-out-file="$out" "$BIN/storage" --listen "127.0.0.1:$sp" \
    --db "$TMP/full.db" >/dev/null 2>"$TMP/st.$k.log" &
  spid=$!
  PIDS+=("$spid")
  wait_port "$sp" "$spid" || die "storage under callgrind did not start: $(tail -3 "$TMP/st.$k.log")"
  "$BIN/gateway" --listen "127.0.0.1:$gp" --storage "127.0.0.1:$sp" >/dev/null 2>&1 &
  gpid=$!
  PIDS+=("$gpid")
  wait_port "$gp" "$gpid" || die "gateway did not start"
  if ! h2load -n "$k" -c1 -m1 -d "$TMP/full.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$gp/api.ProdService/GetVendorProds" >"$TMP/h2.full.$k" 2>&1 ||
    ! grep -q " $k succeeded" "$TMP/h2.full.$k"; then
    die "h2load (full path): $(grep -E 'requests:' "$TMP/h2.full.$k")"
  fi
  # each call's 7 products (a reply at least 60 bytes each), not an error
  data=$(sed -n 's/^traffic: .* (\([0-9]*\)) data.*/\1/p' "$TMP/h2.full.$k" | tail -1)
  [ "${data:-0}" -ge $((k * 7 * 60)) ] || die "GetVendorProds aws storage: $data bytes of data for $k calls"
  kill -TERM "$gpid"
  wait "$gpid" 2>/dev/null
  stop_clean "$spid" storage
  total_ir "$out"
}
printf '\x00\x00\x00\x00\x0e\x0a\x03aws\x12\x07storage' >"$TMP/full.bin"
a=$(storage_ir "$K1") || exit 1
b=$(storage_ir "$K2") || exit 1
report storage_per_call "$a" "$b" $((K2 - K1))

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
