#!/bin/bash
# The fleet benchmarks (make bench; docs/benchmarks.md, "A fleet", between
# the <!-- bench-fleet --> markers), each ours against a peer measured in the
# same run:
#   1. server streaming: one GetVendorProds of FLEET_BIG products through our
#      gateway and through a grpc-go gateway (bench/go, -shared-storage: one
#      storage connection, as ours) over the same storage (ours): msg/s at
#      h2load and at the firmware client, gateway CPU and system calls per
#      message; FLEET_RUNS rounds, ratios taken within each round;
#   2. gateway RSS per idle connection at FLEET_IDLE connections (fleet-sim:
#      one call each, then idle): ours and grpc-go, and against nghttpd with
#      bare HTTP/2 connections (preface and SETTINGS, no call) for both; the
#      kernel's share (Slab) apart; mutual TLS at FLEET_TLS connections, and
#      the full handshakes a second;
#      then the full path (GetVendorProds aws storage, h2load -c20 -m10)
#      through both, against our own unary throughput;
#   3. new mutual-TLS connections a second, full and resumed (fleet-sim
#      --resume), ours against grpc-go and nghttpd, and the server CPU a
#      connection, FLEET_CONN (2000) devices;
#   4. a fleet: FLEET_N idle device channels held with keepalive by
#      FLEET_WORKERS gateway processes (SO_REUSEPORT) from FLEET_WORKERS
#      fleet-sim processes over 120 source addresses; 100 devices calling
#      from a fleet-sim of their own, first with no fleet, then beside it.
# Servers on core 0, load on core 1 (the fleet: both everywhere, there are
# two cores). Knobs: FLEET_RUNS (5), FLEET_BIG (40000), FLEET_IDLE (10000),
# FLEET_TLS (2000), FLEET_CONN (2000), FLEET_N (100000), FLEET_WORKERS (6),
# FLEET_HOLD_MS (6000: a round of the 100), FLEET_ROUNDS (5), FLEET_TLS_N
# (FLEET_N: the TLS fleet), FLEET_TLS_RATE (its new connections a second,
# all fleet-sim processes together: 0.6 of step 3's resumed rate, 500 at most),
# FLEET_KEEPALIVE_MS (15000: the fleet's PING interval, plaintext and TLS;
# what the fleet costs the gateway is its PINGs, so an operator can measure
# at the interval its devices use).
#   tools/bench-fleet.sh [--doc FILE]
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
if [ "${1:-}" = --doc ]; then
  out=$(mktemp)
  bash tools/bench-fleet.sh >"$out" || {
    rm -f "$out"
    exit 1
  }
  /usr/bin/python3 - "$2" "$out" <<'PY'
import sys
doc, sec = sys.argv[1], open(sys.argv[2]).read()
text = open(doc).read()
mark = "<!-- bench-fleet -->"
if mark not in text:
    text += "\n## A fleet\n\n" + mark + "\n" + mark + "\n"
a = text.index(mark) + len(mark)
b = text.index(mark, a)
open(doc, "w").write(text[:a] + "\n" + sec + text[b:])
PY
  rm -f "$out"
  exit 0
fi

GW=build/host/bin/gateway ST=build/host/bin/storage FC=build/host/bin/firmware-client
SIM=build/host/bin/fleet-sim GOSRV=build/bench/go/prod_server
RUNS=${FLEET_RUNS:-5} BIG=${FLEET_BIG:-40000} IDLE_N=${FLEET_IDLE:-10000} TLS_N=${FLEET_TLS:-2000}
CONN_N=${FLEET_CONN:-2000}
FLEET_N=${FLEET_N:-100000} WORKERS=${FLEET_WORKERS:-6} HOLD=${FLEET_HOLD_MS:-6000}
ROUNDS=${FLEET_ROUNDS:-5} KA=${FLEET_KEEPALIVE_MS:-15000}
KA_S=$(awk -v k="$KA" 'BEGIN {print k / 1000}')
TMP=$ROOT/build/bench/fleet
rm -rf "$TMP"
mkdir -p "$TMP"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT
die() {
  echo "bench-fleet: $*" >&2
  exit 1
}
log() { echo "bench-fleet: $*" >&2; }
for b in "$GW" "$ST" "$FC" "$SIM" "$GOSRV"; do [ -x "$b" ] || die "missing $b (make bench builds it)"; done
ulimit -n "$(ulimit -Hn)"

# shellcheck source=tools/fleet-lib.sh
. tools/fleet-lib.sh
wait_port() {
  local i
  for i in $(seq 100); do
    /usr/bin/python3 -c 'import socket, sys; s = socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))))' "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
# start CORES LOG CMD...: sets PID.
start() { # CORES NAME CMD...: stderr to $TMP/NAME.log, or to $LOGTO when set
  local cores=$1 logf=$2
  shift 2
  taskset -c "$cores" "$@" >"$TMP/$logf.out" 2>"${LOGTO:-$TMP/$logf.log}" &
  PID=$!
  PIDS+=("$PID")
}
stop() {
  kill -TERM "$1" 2>/dev/null
  local i
  for i in $(seq 50); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  return 0
}
rss() {
  local t=0 p
  for p in $(family "$1"); do t=$((t + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0))); done
  echo "$t"
}
slab() { awk '/^Slab:/ {print $2}' /proc/meminfo; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
range() { sort -g | awk 'NR == 1 {a = $1} {b = $1} END {printf "%s–%s", a, b}'; }
field() { grep "^fleet: $2" "$1" 2>/dev/null | head -1 | tr ' ' '\n' | sed -n "s/^$3=//p"; }
fmt() { awk -v v="$1" 'BEGIN {printf "%\047.0f", v}'; }

# --- 1. streaming ------------------------------------------------------------
DB=$TMP/catalogue.db
p=$(free_port)
start 0 seed "$ST" --listen "127.0.0.1:$p" --db "$DB"
wait_port "$p" || die "storage did not start"
stop "$PID"
sqlite3 "$DB" "INSERT INTO product(vendor, type, pos, title, url)
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $BIG)
  SELECT 'bench', 'big', i, printf('Bench product %06d', i),
         printf('https://bench.example.com/products/%06d/', i) FROM c;" || die "sqlite3"
printf '\x00\x00\x00\x00\x0c\x0a\x05bench\x12\x03big' >"$TMP/big.bin"
SP=$(free_port) OP=$(free_port) GP=$(free_port)
start 0 st "$ST" --listen "127.0.0.1:$SP" --db "$DB"
SPID=$PID
wait_port "$SP" || die "storage did not start"
start 0 gw "$GW" --listen "127.0.0.1:$OP" --storage "127.0.0.1:$SP"
OPID=$PID
start 0 go env GOMAXPROCS=1 "$GOSRV" -shared-storage -listen "127.0.0.1:$GP" -storage "127.0.0.1:$SP"
GPID=$PID
wait_port "$OP" && wait_port "$GP" || die "the gateways did not start"
H2=(h2load -H 'content-type: application/grpc' -H 'te: trailers' -n1 -c1 -d "$TMP/big.bin")
URL=/api.ProdService/GetVendorProds
h2_rate() { # PORT: msg/s of one stream at h2load
  taskset -c 1 "${H2[@]}" "http://127.0.0.1:$1$URL" >"$TMP/h2.out" 2>&1
  grep -q ' 1 succeeded' "$TMP/h2.out" || die "h2load on $1: $(grep requests: "$TMP/h2.out")"
  local data
  data=$(sed -n 's/^traffic: .* (\([0-9]*\)) data.*/\1/p' "$TMP/h2.out")
  [ "${data:-0}" -ge $((BIG * 90)) ] || die "h2load on $1: $data bytes for $BIG products"
  awk -v n="$BIG" '/^finished in/ {t = $3; sub(/,/, "", t); s = t + 0; if (t ~ /ms$/) s /= 1000; else if (t ~ /us$/) s /= 1e6; printf "%.0f", n / s}' "$TMP/h2.out"
}
fc_rate() { # PORT: msg/s of one stream at the firmware client (every product printed)
  local t0 t1 n
  t0=$(date +%s%N)
  taskset -c 1 "$FC" --addr "127.0.0.1:$1" --timeout 60 getprods bench big >"$TMP/fc.out" 2>"$TMP/fc.err"
  t1=$(date +%s%N)
  n=$(grep -c '^Title: ' "$TMP/fc.out")
  [ "$n" = "$BIG" ] || die "firmware-client on $1: $n of $BIG products: $(tail -1 "$TMP/fc.err")"
  awk -v n="$n" -v d=$((t1 - t0)) 'BEGIN {printf "%.0f", n / (d / 1e9)}'
}
log "1/4 streaming, $RUNS rounds of $BIG products"
h2_rate "$OP" >/dev/null
h2_rate "$GP" >/dev/null # warm-up
: >"$TMP/r.h2"
: >"$TMP/r.fc"
for _ in $(seq "$RUNS"); do
  a=$(h2_rate "$OP") b=$(h2_rate "$GP")
  echo "$a $b" >>"$TMP/r.h2"
  a=$(fc_rate "$OP") b=$(fc_rate "$GP")
  echo "$a $b" >>"$TMP/r.fc"
done
cpu_per_msg() { # PID PORT: gateway CPU us per message over 5 streams
  local t0 t1
  t0=$(ticks "$1")
  for _ in 1 2 3 4 5; do h2_rate "$2" >/dev/null; done
  t1=$(ticks "$1")
  awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n=$((BIG * 5)) 'BEGIN {printf "%.2f", t / hz / n * 1e6}'
}
sys_per_msg() { # PID PORT: system calls per message, one stream (strace -c -f)
  strace -c -f -p "$1" -o "$TMP/strace.$1" 2>/dev/null &
  local tp=$!
  sleep 0.5
  taskset -c 1 "${H2[@]}" -T 120 "http://127.0.0.1:$2$URL" >/dev/null 2>&1
  kill -INT "$tp"
  wait "$tp" 2>/dev/null
  awk -v n="$BIG" '$NF == "total" {printf "%.3f", $4 / n}' "$TMP/strace.$1"
}
cpu_o=$(cpu_per_msg "$OPID" "$OP") cpu_g=$(cpu_per_msg "$GPID" "$GP")
sys_o=$(sys_per_msg "$OPID" "$OP") sys_g=$(sys_per_msg "$GPID" "$GP")

# the full path: GetVendorProds aws storage (7 products) at h2load -c20
# -m10, both gateways over the same storage, and our unary call alone
printf '\x00\x00\x00\x00\x0e\x0a\x03aws\x12\x07storage' >"$TMP/prods.bin"
printf '\x00\x00\x00\x00\x05\x0a\x03aws' >"$TMP/types.bin"
FULL_N=${FLEET_FULL_N:-50000}
full_rate() { # PORT BODY PATH: calls/s, and storage's CPU us a call after it
  local t0 t1
  t0=$(ticks "$SPID")
  taskset -c 1 h2load -H 'content-type: application/grpc' -H 'te: trailers' -n "$FULL_N" -c20 -m10 \
    -d "$2" "http://127.0.0.1:$1$3" >"$TMP/full.out" 2>&1
  t1=$(ticks "$SPID")
  grep -q " $FULL_N succeeded" "$TMP/full.out" || die "h2load $3 on $1: $(grep requests: "$TMP/full.out")"
  echo "$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$TMP/full.out" | awk '{printf "%.0f", $1}') $(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$FULL_N" 'BEGIN {printf "%.1f", t / hz / n * 1e6}')"
}
: >"$TMP/r.full"
for _ in $(seq "$RUNS"); do
  read -r a sa <<<"$(full_rate "$OP" "$TMP/prods.bin" "$URL")"
  read -r b sb <<<"$(full_rate "$GP" "$TMP/prods.bin" "$URL")"
  read -r u _ <<<"$(full_rate "$OP" "$TMP/types.bin" /api.ProdService/GetVendorProdTypes)"
  echo "$a $b $u $sa $sb" >>"$TMP/r.full"
done
stop "$OPID"
stop "$GPID"
stop "$SPID"
ratio_col() { awk '{printf "%.2f\n", $1 / $2}' "$1"; }

# --- 2. memory per idle connection ---------------------------------------------
# idle_sim KIND N: RSS and Slab per connection with N fleet-sim channels
# (one call each); KIND ours, go, or tls (ours, mutual TLS).
idle_sim() {
  local kind=$1 n=$2 port r0 r1 s0 s1 c i args=() tls=()
  port=$(free_port)
  [ "$kind" = tls ] && tls=(--tls-cert "$TMP/certs/server.pem" --tls-key "$TMP/certs/server.key"
    --tls-client-ca "$TMP/certs/ca.pem")
  case $kind in
  ours | tls) start 0 "idle-$kind" "$GW" --listen "127.0.0.1:$port" --storage "127.0.0.1:1" \
    --max-connections $((n + 100)) "${tls[@]}" ;;
  go) start 0 "idle-$kind" env GOMAXPROCS=1 "$GOSRV" -shared-storage -listen "127.0.0.1:$port" -storage "127.0.0.1:1" ;;
  esac
  local pid=$PID
  wait_port "$port" || die "$kind did not start"
  sleep 0.5
  r0=$(rss "$pid") s0=$(slab)
  [ "$kind" = tls ] && args=(--ca "$TMP/certs/ca.pem" --cert "$TMP/certs/device.pem" --key "$TMP/certs/device.key"
    --server-name localhost --timeout-ms 120000)
  taskset -c 1 "$SIM" --addr "127.0.0.1:$port" --channels "$n" --sources 127.2.0.1/8 --rate 5000 --hold-ms 8000 \
    --limit-ms 300000 "${args[@]}" >"$TMP/idle-$kind.sim" 2>&1 &
  local sp=$!
  PIDS+=("$sp")
  # every first call answered (each logs a line in both gateways), not
  # just every connection accepted: a TLS handshake takes longer, and one
  # under way holds more
  local answered=0 last=-1
  for i in $(seq 3000); do
    answered=$(cat "$TMP/idle-$kind.out" "$TMP/idle-$kind.log" | grep -c "have received a request")
    [ "$answered" -ge "$n" ] && break
    kill -0 "$sp" 2>/dev/null || break
    if [ $((i % 50)) = 0 ]; then # no progress in 5 s: what there is
      [ "$answered" = "$last" ] && break
      last=$answered
    fi
    sleep 0.1
  done
  sleep 4 # idle: the once-a-second trim has run
  c=$(est "$port") r1=$(rss "$pid") s1=$(slab)
  wait "$sp"
  stop "$pid"
  [ "$c" -ge $((n * 99 / 100)) ] || die "$kind: only $c of $n connections held"
  echo "$(((r1 - r0) * 1024 / c)) $(((s1 - s0) * 1024 / c)) $c $(field "$TMP/idle-$kind.sim" ramp connects_per_s)"
}
# idle_bare KIND N: RSS per bare HTTP/2 connection (preface, SETTINGS; no call), python client.
idle_bare() {
  local kind=$1 n=$2 port pid r0 r1 c
  port=$(free_port)
  case $kind in
  ours) start 0 "bare-$kind" "$GW" --listen "127.0.0.1:$port" --storage "127.0.0.1:1" --max-connections $((n + 100)) ;;
  nghttpd)
    mkdir -p "$TMP/www"
    start 0 "bare-$kind" nghttpd --no-tls -a 127.0.0.1 -d "$TMP/www" "$port"
    ;;
  esac
  pid=$PID
  wait_port "$port" || die "$kind did not start"
  sleep 0.5
  r0=$(rss "$pid")
  taskset -c 1 /usr/bin/python3 - "$port" "$n" >"$TMP/bare-$kind.py" 2>&1 <<'PY' &
import socket, struct, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
def frame(t, f, sid, p): return struct.pack(">I", len(p))[1:] + bytes([t, f]) + struct.pack(">I", sid) + p
hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"") + frame(4, 1, 0, b"")
socks = []
for i in range(n):
    s = socket.socket()
    s.bind(("127.3.%d.%d" % (1 + i // 60000, 1 + (i // 250) % 250), 0))
    s.connect(("127.0.0.1", port))
    s.sendall(hello)
    socks.append(s)
print("held", len(socks), flush=True)
time.sleep(8)
PY
  local pp=$!
  PIDS+=("$pp")
  for _ in $(seq 600); do
    grep -q held "$TMP/bare-$kind.py" && break
    sleep 0.1
  done
  sleep 3
  c=$(est "$port") r1=$(rss "$pid")
  kill "$pp" 2>/dev/null
  wait "$pp" 2>/dev/null
  stop "$pid"
  echo "$(((r1 - r0) * 1024 / (c > 0 ? c : 1))) $c"
}
log "2/4 memory per idle connection: $IDLE_N h2c, $TLS_N mutual TLS"
bash tools/certs.sh "$TMP/certs" >/dev/null 2>&1 || die "certs"
read -r m_ours k_ours c_ours _ <<<"$(idle_sim ours "$IDLE_N")"
read -r m_go k_go c_go _ <<<"$(idle_sim go "$IDLE_N")"
read -r b_ours cb_ours <<<"$(idle_bare ours "$IDLE_N")"
read -r b_ng cb_ng <<<"$(idle_bare nghttpd "$IDLE_N")"
[ -n "${m_ours:-}" ] && [ -n "${m_go:-}" ] && [ -n "${b_ours:-}" ] && [ -n "${b_ng:-}" ] ||
  die "a memory run failed (above)"
read -r m_tls k_tls c_tls hs_tls <<<"$(idle_sim tls "$TLS_N")"
[ -n "${m_tls:-}" ] || die "the TLS memory run failed (above)"

# --- 3. new TLS connections a second --------------------------------------------
# conn_rate KIND [--resume]: CONN_N devices each connect with mutual TLS and
# make one call, fleet-sim (mbedtls) on core 1 against KIND on core 0: ours,
# go (grpc-go, Go's crypto/tls) or nghttpd (OpenSSL; -V asks for the
# client's certificate, and checks its signature, but not its chain).
# Prints the connections answered a second and the server's CPU a connection
# (µs), and how many resumed.
conn_rate() {
  local kind=$1 port pid t0 t1 C=$TMP/certs
  shift
  port=$(free_port)
  case $kind in
  ours) start 0 "conn-$kind" "$GW" --listen "127.0.0.1:$port" --storage "127.0.0.1:1" \
    --max-connections $((CONN_N + 100)) --tls-cert "$C/server.pem" --tls-key "$C/server.key" \
    --tls-client-ca "$C/ca.pem" ;;
  go) start 0 "conn-$kind" env GOMAXPROCS=1 "$GOSRV" -listen "127.0.0.1:$port" -storage "127.0.0.1:1" \
    -tls-cert "$C/server.pem" -tls-key "$C/server.key" -tls-client-ca "$C/ca.pem" ;;
  nghttpd)
    mkdir -p "$TMP/www"
    start 0 "conn-$kind" nghttpd -a 127.0.0.1 -V -d "$TMP/www" "$port" "$C/server.key" "$C/server.pem"
    ;;
  esac
  pid=$PID
  wait_port "$port" || die "$kind (TLS) did not start"
  sleep 0.5
  t0=$(ticks "$pid")
  taskset -c 1 "$SIM" --addr "127.0.0.1:$port" --channels "$CONN_N" --rate 20000 --hold-ms 200 \
    --limit-ms 300000 --timeout-ms 120000 --ca "$C/ca.pem" --cert "$C/device.pem" --key "$C/device.key" \
    --server-name localhost "$@" >"$TMP/conn-$kind$*.sim" 2>&1 || die "fleet-sim against $kind $*"
  t1=$(ticks "$pid")
  stop "$pid"
  echo "$(field "$TMP/conn-$kind$*.sim" ramp answered_per_s) $(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$CONN_N" 'BEGIN {printf "%.0f", t / hz / n * 1e6}') $(field "$TMP/conn-$kind$*.sim" hold_s tls_resumed)"
}
log "3/4 new mutual-TLS connections a second: ours, grpc-go, nghttpd; full and resumed"
for k in ours go nghttpd; do
  read -r a c _ <<<"$(conn_rate $k)"
  read -r ar cr rr <<<"$(conn_rate $k --resume)"
  echo "$k $a $c $ar $cr $rr" >>"$TMP/r.conn"
done
conn() { awk -v k="$1" -v f="$2" '$1 == k {print $f}' "$TMP/r.conn"; }

# --- 4. the fleet ---------------------------------------------------------------
log "4/4 the fleet: $FLEET_N idle channels over $WORKERS gateway processes, 100 active"
start 0 st2 "$ST" --listen "127.0.0.1:$SP" --db "$DB"
SPID=$PID
wait_port "$SP" || die "storage did not start"
port=$(free_port)
per=$((FLEET_N / WORKERS + 2000))
# its log lines, one a call (about 700 MB here), to /dev/null: written to a
# file, on disk or tmpfs, they slowed this machine by 15-35 % within a run
# as the page cache grew, whatever the fleet did
LOGTO=/dev/null start 0,1 fleet-gw "$GW" --listen "127.0.0.1:$port" --storage "127.0.0.1:$SP" --workers "$WORKERS" \
  --max-connections "$per" --keepalive-min-ms 10000
FPID=$PID
wait_port "$port" || die "the fleet gateway did not start"
sleep 0.5
# held: held_wait (tools/fleet-lib.sh) for at most SECONDS, then 5 s more
# (the ramp's stragglers, and every connection's first idle trim); prints
# how many are established then.
held() {
  held_wait "$@" >/dev/null
  sleep 5
  est "$1"
}
# The 100 calling devices: one fleet-sim of their own (two processes) on
# the same 100 connections throughout, its hold cut into windows by SIGHUP
# (--windows): a warm-up, ROUNDS windows of HOLD ms alone, the fleet's ramp
# (not counted), ROUNDS beside the fleet, its end (not counted), ROUNDS
# alone again. New connections for each round would spread over the
# gateway's workers (SO_REUSEPORT) differently each time, which moved a
# round by up to 20 % with 6 workers on 2 cores.
NWIN=$((3 * ROUNDS + 3))
"$SIM" --addr "127.0.0.1:$port" --active 100 --procs 2 --sources 127.4.0.1/10 --windows "$NWIN" \
  --hold-ms 3600000 --limit-ms 3600000 >"$TMP/active.sim" 2>&1 &
APID=$!
PIDS+=("$APID")
# mark: ends the 100's window; $TMP/marks gets, at its end, the CPU clock
# ticks so far of the gateway's processes and of the fleet's (0 without)
SIMP=
mark() {
  kill -HUP "$APID" 2>/dev/null || die "fleet-sim (the 100) ended early: $(tail -2 "$TMP/active.sim")"
  local f=0
  [ -n "$SIMP" ] && kill -0 "$SIMP" 2>/dev/null && f=$(ticks "$SIMP")
  echo "$(ticks "$FPID") $f" >>"$TMP/marks"
}
marks() { # the next N windows, HOLD ms each
  local r
  for r in $(seq "$1"); do
    sleep "$(awk -v h="$HOLD" 'BEGIN {print h / 1000}')"
    mark
  done
}
sleep 2
mark # the warm-up
marks "$ROUNDS"
r0=$(rss "$FPID") s0=$(slab)
# the idle fleet: held through the windows beside it and a margin, every
# channel pinging every KA ms; its processes handle their I/O every 10 ms
# in the hold (--tick-ms), so that their wakeups cost the cores the
# gateway shares less (the gateway sees the same PINGs at the same rate)
"$SIM" --addr "127.0.0.1:$port" --channels "$FLEET_N" --procs "$WORKERS" --sources 127.1.0.1/120 \
  --rate 12000 --hold-ms $((ROUNDS * HOLD + 8000)) --keepalive-ms "$KA" --tick-ms 10 \
  --limit-ms 600000 >"$TMP/fleet.sim" 2>&1 &
SIMP=$!
PIDS+=("$SIMP")
held=$(($(held "$port" $((FLEET_N + 100)) "$SIMP" 600) - 100)) # the 100 are connected too
mark # the ramp
marks "$ROUNDS"
r1=$(rss "$FPID") s1=$(slab)
wait "$SIMP" || die "fleet-sim (the fleet): $(tail -3 "$TMP/fleet.sim")"
sleep 1
mark # the fleet's end
marks "$ROUNDS" # the fleet gone: the machine's drift over the run
wait "$APID" || die "fleet-sim (the 100): $(tail -3 "$TMP/active.sim")"
stop "$FPID"

# the same fleet over mutual TLS: the devices resume (one full handshake a
# fleet-sim process), the gateway's workers share one ticket key (drawn
# before they fork); slower than the plaintext ramp, under both cores'
# handshake rate, so that none waits out the handshake timeout: at most
# 500 a second, and at most 0.6 of the resumed rate step 3 measured in this
# run (this machine's speed changes by a third from hour to hour; a ramp
# over its rate queues connections for minutes, and devices whose PINGs go
# unanswered meanwhile drop and come back with full handshakes)
TF_AUTO=$(awk -v r="$(conn ours 4)" 'BEGIN {v = int(r * 0.6); print (v > 500 ? 500 : (v < 50 ? 50 : v))}')
TF_N=${FLEET_TLS_N:-$FLEET_N} TF_RATE=${FLEET_TLS_RATE:-$TF_AUTO} C=$TMP/certs
tport=$(free_port)
start 0,1 fleet-tls-gw "$GW" --listen "127.0.0.1:$tport" --storage "127.0.0.1:$SP" --workers "$WORKERS" \
  --max-connections $((TF_N / WORKERS + 2000)) --keepalive-min-ms 10000 \
  --tls-cert "$C/server.pem" --tls-key "$C/server.key" --tls-client-ca "$C/ca.pem"
TPID=$PID
wait_port "$tport" || die "the TLS fleet gateway did not start"
sleep 0.5
tr0=$(rss "$TPID")
"$SIM" --addr "127.0.0.1:$tport" --channels "$TF_N" --procs "$WORKERS" --sources 127.5.0.1/120 \
  --rate "$TF_RATE" --hold-ms 8000 --keepalive-ms "$KA" --limit-ms 1200000 --timeout-ms 120000 --resume \
  --ca "$C/ca.pem" --cert "$C/device.pem" --key "$C/device.key" --server-name localhost \
  >"$TMP/tls-fleet.sim" 2>&1 &
TSIM=$!
PIDS+=("$TSIM")
theld=$(held "$tport" "$TF_N" "$TSIM" 1000) tr1=$(rss "$TPID")
wait "$TSIM" || log "fleet-sim (the TLS fleet): $(tail -3 "$TMP/tls-fleet.sim")"
stop "$TPID"
stop "$SPID"

# --- the section ------------------------------------------------------------------
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.0f", (b > 0 ? (a - b) / b * 100 : 0)}'; }
# wfield W KEY: KEY of the 100's GetVendorProdTypes in window W
wfield() { grep "^fleet: window=$1 " "$TMP/active.sim" | grep GetVendorProdTypes | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# rounds PHASE KEY: KEY in each of the phase's windows (alone: 2.., with:
# after the ramp's, after: after the end's)
rounds() {
  local r w0
  case $1 in alone) w0=1 ;; with) w0=$((ROUNDS + 2)) ;; *) w0=$((2 * ROUNDS + 3)) ;; esac
  for r in $(seq "$ROUNDS"); do wfield $((w0 + r)) "$2"; done
}
row() { # PHASE: calls/s (range), p50, p99 (worst), p99.9 (worst): medians of the rounds
  echo "$(fmt "$(rounds "$1" calls_per_s | median)") ($(rounds "$1" calls_per_s | range)) | $(rounds "$1" p50_us | median) µs | $(rounds "$1" p99_us | median) µs ($(rounds "$1" p99_us | sort -g | tail -1)) | $(rounds "$1" p999_us | median) µs ($(rounds "$1" p999_us | sort -g | tail -1))"
}
q_alone=$(rounds alone calls_per_s | median) q_with=$(rounds with calls_per_s | median)
q_after=$(rounds after calls_per_s | median)
q_ref=$(awk -v a="$q_alone" -v b="$q_after" 'BEGIN {print (a + b) / 2}')
# where the CPU went beside the fleet: the gateway's ticks over the windows
# alone give its CPU a call; beside the fleet, what it spent over that for
# the same calls went to the fleet (its PINGs, at the fleet's rate); and
# the fleet's own processes' ticks (CLK_TCK a second, over NCPU cores)
TCK=$(getconf CLK_TCK) NCPU=$(nproc)
sumw() { # FIRST LAST KEY: KEY summed over windows FIRST..LAST
  local w
  for w in $(seq "$1" "$2"); do wfield "$w" "$3"; done | awk '{t += $1} END {print t + 0}'
}
mk() { sed -n "${1}p" "$TMP/marks" | cut -d' ' -f"$2"; } # mark N's field (1 gateway, 2 fleet)
c_al=$(sumw 2 $((ROUNDS + 1)) calls) c_wi=$(sumw $((ROUNDS + 3)) $((2 * ROUNDS + 2)) calls)
s_wi=$(sumw $((ROUNDS + 3)) $((2 * ROUNDS + 2)) s)
g_al=$(($(mk $((ROUNDS + 1)) 1) - $(mk 1 1))) g_wi=$(($(mk $((2 * ROUNDS + 2)) 1) - $(mk $((ROUNDS + 2)) 1)))
f_wi=$(($(mk $((2 * ROUNDS + 2)) 2) - $(mk $((ROUNDS + 2)) 2)))
p_rate=$(awk -v p="$(field "$TMP/fleet.sim" hold_s keepalive_pings)" -v t="$(field "$TMP/fleet.sim" hold_s hold_s)" 'BEGIN {print (t > 0 ? p / t : 0)}')
cpu_call=$(awk -v g="$g_al" -v c="$c_al" -v k="$TCK" 'BEGIN {printf "%.1f", (c > 0 ? g * 1e6 / k / c : 0)}')
extra=$(awk -v g="$g_wi" -v c="$c_wi" -v u="$cpu_call" -v k="$TCK" 'BEGIN {print g * 1e6 / k - c * u}')
cpu_ping=$(awk -v e="$extra" -v r="$p_rate" -v s="$s_wi" 'BEGIN {printf "%.1f", (r * s > 0 ? e / (r * s) : 0)}')
gw_share=$(awk -v e="$extra" -v s="$s_wi" -v n="$NCPU" 'BEGIN {printf "%.1f", (s > 0 ? e / (s * n * 1e6) * 100 : 0)}')
fl_share=$(awk -v f="$f_wi" -v s="$s_wi" -v n="$NCPU" -v k="$TCK" 'BEGIN {printf "%.1f", (s > 0 ? f / (s * n * k) * 100 : 0)}')
cat <<MD
Generated by \`make bench\` (\`tools/bench-fleet.sh\`) on $(date -u '+%Y-%m-%d %H:%M') UTC, load
average at the end $(cut -d' ' -f1-3 /proc/loadavg). Streaming: $RUNS rounds, the median with
the spread in brackets, ratios within each round; the other rows: one run.

**Server streaming**, one GetVendorProds of $(fmt "$BIG") products (every
product a message), our gateway against a grpc-go gateway (\`bench/go\`,
\`GOMAXPROCS=1\`, \`-shared-storage\`: one storage connection, as ours) over
the same storage (ours, SQLite); gateways and storage on core 0, the client
on core 1:

| | ours | grpc-go gateway | ours / grpc-go |
| --- | --- | --- | --- |
| msg/s at h2load | $(fmt "$(cut -d' ' -f1 "$TMP/r.h2" | median)") ($(cut -d' ' -f1 "$TMP/r.h2" | range)) | $(fmt "$(cut -d' ' -f2 "$TMP/r.h2" | median)") ($(cut -d' ' -f2 "$TMP/r.h2" | range)) | **$(ratio_col "$TMP/r.h2" | median)x** ($(ratio_col "$TMP/r.h2" | range)) |
| msg/s at the firmware client (each printed) | $(fmt "$(cut -d' ' -f1 "$TMP/r.fc" | median)") ($(cut -d' ' -f1 "$TMP/r.fc" | range)) | $(fmt "$(cut -d' ' -f2 "$TMP/r.fc" | median)") ($(cut -d' ' -f2 "$TMP/r.fc" | range)) | **$(ratio_col "$TMP/r.fc" | median)x** ($(ratio_col "$TMP/r.fc" | range)) |
| gateway CPU per message | $cpu_o µs | $cpu_g µs | $(awk -v a="$cpu_o" -v b="$cpu_g" 'BEGIN {printf "%.2f", a / b}')x |
| gateway system calls per message | $sys_o | $sys_g | |

Both rates include storage's answer (the whole catalogue in one message,
the same for both). At the firmware client the client itself, one core
printing every product, is part of what is measured.

**The full path**, GetVendorProds aws storage (7 products) at \`h2load -c20
-m10\`, $(fmt "$FULL_N") calls a run, the same two gateways over the same storage
(all on core 0), and our gateway's unary GetVendorProdTypes alone:

| | calls/s | storage CPU a call |
| --- | --- | --- |
| ours | $(fmt "$(cut -d' ' -f1 "$TMP/r.full" | median)") ($(cut -d' ' -f1 "$TMP/r.full" | range)) | $(cut -d' ' -f4 "$TMP/r.full" | median) µs |
| grpc-go gateway | $(fmt "$(cut -d' ' -f2 "$TMP/r.full" | median)") ($(cut -d' ' -f2 "$TMP/r.full" | range)) | $(cut -d' ' -f5 "$TMP/r.full" | median) µs |
| ours / grpc-go | **$(awk '{printf "%.2f\n", $1 / $2}' "$TMP/r.full" | median)x** ($(awk '{printf "%.2f\n", $1 / $2}' "$TMP/r.full" | range)) | |
| ours, unary GetVendorProdTypes | $(fmt "$(cut -d' ' -f3 "$TMP/r.full" | median)") ($(cut -d' ' -f3 "$TMP/r.full" | range)) | |
| full path / our unary | **$(awk '{printf "%.2f\n", $1 / $3}' "$TMP/r.full" | median)x** ($(awk '{printf "%.2f\n", $1 / $3}' "$TMP/r.full" | range)) | |

Storage answers from SQLite with prepared statements kept for its life, one
query (one read transaction) a call, and writes each reply with the loop
turn's other frames in one \`send\`.

**Memory per idle connection**, gateway RSS over its RSS before, divided by
the connections the kernel shows established (\`ss\`); the kernel's share is
the growth of \`Slab\` in /proc/meminfo over the same connections (both
ends of each: the simulator's sockets are on this machine too):

| | connections | gateway RSS per connection | kernel (Slab) per connection |
| --- | --- | --- | --- |
| ours, h2c, one call each, then idle | $(fmt "$c_ours") | $(fmt "$m_ours") B | $(fmt "$k_ours") B |
| grpc-go gateway, h2c, one call each | $(fmt "$c_go") | $(fmt "$m_go") B | $(fmt "$k_go") B |
| ours, mutual TLS (RSA 2048), one call each | $(fmt "$c_tls") | $(fmt "$m_tls") B | $(fmt "$k_tls") B |
| ours, bare HTTP/2 (preface and SETTINGS) | $(fmt "$cb_ours") | $(fmt "$b_ours") B | |
| nghttpd, bare HTTP/2 | $(fmt "$cb_ng") | $(fmt "$b_ng") B | |

Full mutual-TLS handshakes while $(fmt "$c_tls") devices connected: $(fmt "${hs_tls:-0}") a second
(gateway on core 0, the simulator's handshakes on core 1).

**New mutual-TLS connections a second**: $(fmt "$CONN_N") devices each connect
and make one call (GetVendorProdTypes), \`fleet-sim\` (mbedtls) on core 1,
the server on core 0, with full handshakes and then resuming (\`--resume\`:
one device connects first, the others offer the TLS 1.3 ticket it was
given, psk_dhe_ke). The same certificates for all (RSA 2048 server, ECDSA
P-256 devices); nghttpd (OpenSSL) asks for the device's certificate and
checks its signature (\`-V\`), not its chain, and answers the call's path
with a 404 (a connection answered all the same).

| server | full: connections/s | server CPU a connection | resumed: connections/s | server CPU a connection | resumed (fleet-sim) |
| --- | --- | --- | --- | --- | --- |
| ours | $(fmt "$(conn ours 2)") | $(fmt "$(conn ours 3)") µs | $(fmt "$(conn ours 4)") | $(fmt "$(conn ours 5)") µs | $(conn ours 6) |
| grpc-go | $(fmt "$(conn go 2)") | $(fmt "$(conn go 3)") µs | $(fmt "$(conn go 4)") | $(fmt "$(conn go 5)") µs | $(conn go 6) |
| nghttpd | $(fmt "$(conn nghttpd 2)") | $(fmt "$(conn nghttpd 3)") µs | $(fmt "$(conn nghttpd 4)") | $(fmt "$(conn nghttpd 5)") µs | $(conn nghttpd 6) |
| ours / grpc-go | **$(awk -v a="$(conn ours 2)" -v b="$(conn go 2)" 'BEGIN {printf "%.2f", a / b}')x** | | **$(awk -v a="$(conn ours 4)" -v b="$(conn go 4)" 'BEGIN {printf "%.2f", a / b}')x** | | |

Resumed, the simulator's own handshakes (an ECDHE key share and its secret
a connection, on one core) bound the rate near the servers' own; the CPU
a connection is the server's share.

**A fleet**: $(fmt "$FLEET_N") idle device channels, keepalive every $KA_S s,
held by $WORKERS gateway processes (\`--workers $WORKERS\`, SO_REUSEPORT, at most
20,000 descriptors each here) from $WORKERS \`fleet-sim\` processes over 120
source addresses; each device's first PING comes at a random point of its
first $KA_S s, as in a fleet whose devices came up at different times, so the
fleet pings at its steady rate from the start; in their hold the fleet's
processes handle their I/O every 10 ms (\`--tick-ms 10\`: the same PINGs at
the same rate, fewer wakeups on the shared cores). 100 devices call
GetVendorProdTypes back to back from two \`fleet-sim\` processes of their
own, on the same 100 connections throughout, in windows of $((HOLD / 1000)) s
(\`--windows\`, cut by SIGHUP): $ROUNDS against the gateway alone, $ROUNDS beside the
fleet, $ROUNDS alone again. Each row gives the medians of its windows
(calls/s: their range; p99 and p99.9: the worst window's in brackets).
Everything shares the two cores, the simulators too; the gateway's log
lines, one a call, go to /dev/null (written to a file, they slowed this
machine by 15-35 % within a run, with or without the fleet).

| | held (ss) | 100 devices: calls/s | p50 | p99 | p99.9 |
| --- | --- | --- | --- | --- | --- |
| no fleet, before | | $(row alone) |
| beside the fleet | $(fmt "$held") | $(row with) |
| no fleet, after | | $(row after) |

Beside the fleet the 100 made $(pct "$q_with" "$q_ref") % calls a second against the mean
of the medians before and after it ($(pct "$q_with" "$q_alone") % against the windows before it,
$(pct "$q_after" "$q_alone") % alone after it against before: the machine's drift over the run,
and the fleet's $(fmt "$FLEET_N") closed connections' aftermath). Where the CPU went (the processes'
clock ticks over the windows): alone, the gateway spent $cpu_call µs a call;
beside the fleet, $cpu_ping µs more a PING on top of the same cost for the
100's calls, $gw_share % of the machine's $NCPU cores, and the fleet's own processes took
$fl_share % of them. The fleet:
$(field "$TMP/fleet.sim" procs connected) connected, $(field "$TMP/fleet.sim" procs failed) failed,
$(field "$TMP/fleet.sim" procs still_up) still up at the end, $(fmt "$(field "$TMP/fleet.sim" hold_s keepalive_pings)") keepalive PINGs in its $(field "$TMP/fleet.sim" hold_s hold_s) s hold ($(awk -v p="$(field "$TMP/fleet.sim" hold_s keepalive_pings)" -v t="$(field "$TMP/fleet.sim" hold_s hold_s)" 'BEGIN {printf "%\047.0f", (t > 0 ? p / t : 0)}') a second); the ramp took
$(field "$TMP/fleet.sim" ramp ramp_s) s ($(fmt "$(field "$TMP/fleet.sim" ramp connects_per_s)") connections a second). Gateway RSS over the
$WORKERS processes: $(fmt "$r0") KiB before the fleet, $(fmt "$r1") KiB beside it
($(fmt $(((r1 - r0) * 1024 / (held > 0 ? held : 1)))) B a connection); Slab $(fmt "$s0") to $(fmt "$s1") KiB.

**The same fleet over mutual TLS**: $(fmt "$TF_N") idle device channels, keepalive
every $KA_S s, the devices resuming (\`--resume\`: each of the $WORKERS \`fleet-sim\`
processes makes one full handshake and its devices offer the ticket it was
given; the $WORKERS gateway processes share one ticket key), at most $TF_RATE new
connections a second (all processes; 0.6 of the resumed rate above, 500 at
most): $(fmt "$theld") held (ss), $(field "$TMP/tls-fleet.sim" procs connected) connected,
$(field "$TMP/tls-fleet.sim" procs failed) failed, $(field "$TMP/tls-fleet.sim" procs still_up) still up at the end; $(field "$TMP/tls-fleet.sim" hold_s tls_handshakes) full handshakes
and $(fmt "$(field "$TMP/tls-fleet.sim" hold_s tls_resumed)") resumed; the ramp took $(field "$TMP/tls-fleet.sim" ramp ramp_s) s, a device's first call
(connection and call) $(fmt "$(field "$TMP/tls-fleet.sim" ramp first_call_p50_us)") µs at p50 and $(fmt "$(field "$TMP/tls-fleet.sim" ramp first_call_p99_us)") µs at p99: the two cores
are the limit (a resumed connection costs the gateway about as much CPU as
the simulator), and connections queue. Gateway RSS over the
$WORKERS processes: $(fmt "$tr0") KiB before, $(fmt "$tr1") KiB with the fleet
($(fmt $(((tr1 - tr0) * 1024 / (theld > 0 ? theld : 1)))) B a connection).
MD
