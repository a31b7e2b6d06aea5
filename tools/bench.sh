#!/bin/bash
# make bench: measures our stack against its peers on the same work, in one
# run, on this machine, and writes docs/benchmarks.md and docs/benchmarks.png
# (the ratios, drawn by gnuplot). Not part of make test. See docs/benchmarks.md
# for what is measured and how; the method is also written into that file.
#
# Needs: build/host/bin/* (make), tools/bench-deps.sh's packages.
# Environment:
#   BENCH_RUNS=5        runs per figure (the median and the spread are quoted)
#   BENCH_SECONDS=2     target length of one throughput run
#   BENCH_IDLE_WAIT=60  seconds to wait for the 1-minute load to fall below 1
#   BENCH_BIG=100000    products in the streaming catalogue
#   BENCH_MILLION=1000000  calls for the peak-RSS check
#   BENCH_OUT=docs      where benchmarks.md and benchmarks.png go
# Every process it starts is pinned (taskset), tracked by pid and killed on
# exit; ports are free loopback ports; every wait is bounded.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

RUNS=${BENCH_RUNS:-5}
SECS=${BENCH_SECONDS:-2}
BIG=${BENCH_BIG:-100000}
MILLION=${BENCH_MILLION:-1000000}
DOCS=${BENCH_OUT:-docs}
SRV_CORE=0  # servers
LOAD_CORE=1 # h2load and clients (the serial-latency runs share SRV_CORE)
BENCH=build/bench
TMP=$BENCH/run
GW=build/host/bin/gateway
ST=build/host/bin/storage
FC=build/host/bin/firmware-client
GOSRV=$BENCH/go/prod_server
CPPSRV=$BENCH/cpp/prod_server
PY=/usr/bin/python3
PYSRV=bench/py/prod_server.py
PYST=bench/py/storage_server.py
HZ=$(getconf CLK_TCK)
H2=(h2load -H 'content-type: application/grpc' -H 'te: trailers')
TYPES_PATH=/api.ProdService/GetVendorProdTypes
PRODS_PATH=/api.ProdService/GetVendorProds

rm -rf "$TMP"
mkdir -p "$TMP" "$DOCS"
RESULTS=$BENCH/results.txt
: >"$RESULTS"
declare -A R # every figure, by key; also appended to $RESULTS

log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
put() { R[$1]=$2; printf '%s=%s\n' "$1" "$2" >>"$RESULTS"; }

# --- processes -------------------------------------------------------------

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_open() {
  "$PY" -c 'import socket, sys
s = socket.socket(); s.settimeout(0.5)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$1" 2>/dev/null
}

# start CORES NAME PORT CMD...: starts CMD pinned to CORES, stderr to
# $TMP/NAME.log; waits (10 s) for PORT. Sets PID.
start() {
  local cores=$1 name=$2 port=$3 i=0
  shift 3
  taskset -c "$cores" "$@" >/dev/null 2>>"$TMP/$name.log" &
  PID=$!
  PIDS+=("$PID")
  while [ "$i" -lt 200 ]; do
    kill -0 "$PID" 2>/dev/null || die "$name exited at start: $(tail -3 "$TMP/$name.log")"
    port_open "$port" && return 0
    sleep 0.05
    i=$((i + 1))
  done
  die "$name did not listen on $port"
}

# stop PID: SIGTERM, 5 s, then SIGKILL.
stop() {
  local pid=$1 i=0
  kill -TERM "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# The pid and its children (gateway --workers forks its loops).
family() { echo "$1" $(pgrep -P "$1" 2>/dev/null); }

# cpu_ticks PID: utime+stime of PID and its children, in clock ticks.
cpu_ticks() {
  local t=0 p v
  for p in $(family "$1"); do
    v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')
    t=$((t + ${v:-0}))
  done
  echo "$t"
}

# kb PID FIELD: VmRSS or VmHWM of PID and its children, in KiB.
kb() {
  local t=0 p v
  for p in $(family "$1"); do
    v=$(awk -v f="$2:" '$1 == f {print $2}' "/proc/$p/status" 2>/dev/null)
    t=$((t + ${v:-0}))
  done
  echo "$t"
}

# --- statistics ------------------------------------------------------------

# stats KEY V1 V2...: KEY (the median), KEY_min, KEY_max.
stats() {
  local key=$1
  shift
  local line
  line=$(printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1}
    END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
         printf "%.6g %.6g %.6g", m, v[1], v[NR]}')
  set -- $line
  put "$key" "$1"
  put "${key}_min" "$2"
  put "${key}_max" "$3"
}

# paired KEY "A1 A2..." "B1 B2...": KEY (median), KEY_min, KEY_max of the
# ratios Ai / Bi of runs made in the same round (a burst of foreign load hits
# both members of a pair alike).
paired() {
  local key=$1
  # shellcheck disable=SC2046
  stats "$key" $(paste <(tr ' ' '\n' <<<"$2" | grep .) <(tr ' ' '\n' <<<"$3" | grep .) |
    awk '{printf "%.4f\n", ($2 > 0 ? $1 / $2 : 0)}')
}

# pct FILE P: the P-th percentile of h2load's --log-file latencies, in us.
pct() { cut -f3 "$1" | sort -n | awk -v p="$2" '{v[NR] = $1} END {i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; print v[i]}'; }

# h2 CORES OUT ARGS...: runs h2load pinned; its output to OUT, its CPU
# time (user+sys seconds, wall seconds) to OUT.time. Fails unless every
# request succeeded.
h2() {
  local cores=$1 out=$2
  shift 2
  /usr/bin/time -f '%U %S %e' -o "$out.time" taskset -c "$cores" "${H2[@]}" "$@" >"$out" 2>&1
  local ok total
  total=$(sed -n 's/^requests: \([0-9]*\) total.*/\1/p' "$out")
  ok=$(sed -n 's/.* \([0-9]*\) succeeded.*/\1/p' "$out")
  [ -n "$ok" ] && [ "$ok" -gt 0 ] && { [ -z "$total" ] || [ "$ok" = "$total" ] || grep -q -- '-D' <<<"$*"; } ||
    die "h2load $*: $(grep -E 'requests:|status codes' "$out" | tr '\n' ' ')"
}
h2_rps() { sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$1"; }
h2_done() { sed -n 's/.* \([0-9]*\) succeeded.*/\1/p' "$1"; }
# h2load's own CPU use during the run, percent of one core.
h2_cpu() { awk '{printf "%.0f", ($3 > 0 ? ($1 + $2) / $3 * 100 : 0)}' "$1.time"; }

# syscalls PID SECONDS_CMD...: counts the system calls PID (and its threads
# and children) makes while the command runs: perf's raw_syscalls tracepoint,
# or strace -c -f when perf cannot count.
SYSCALL_TOOL=
syscalls() {
  local pid=$1 out=$TMP/sys.$RANDOM n
  shift
  local pids
  pids=$(family "$pid" | tr ' ' ',')
  if [ "$SYSCALL_TOOL" = perf ]; then
    perf stat -x, -e raw_syscalls:sys_enter -p "$pids" -o "$out" &
  else
    local args=() p
    for p in ${pids//,/ }; do args+=(-p "$p"); done
    strace -c -f -U calls,name -o "$out" "${args[@]}" 2>/dev/null &
  fi
  local tp=$!
  PIDS+=("$tp")
  sleep 0.5
  "$@"
  kill -INT "$tp" 2>/dev/null
  wait "$tp" 2>/dev/null
  if [ "$SYSCALL_TOOL" = perf ]; then
    n=$(awk -F, '/raw_syscalls:sys_enter/ {print $1}' "$out")
  else
    n=$(awk '$2 == "total" {print $1}' "$out")
  fi
  echo "${n:-0}"
}

# --- the servers of the unary comparison -------------------------------------

# unary_start KIND PORT: starts one server of GetVendorProdTypes on SRV_CORE.
# KIND: ours, ours2 (--workers 2, cores 0-1), go, go2 (GOMAXPROCS=2, cores
# 0-1), cpp (grpc C++ sync server, its whole thread pool on SRV_CORE), py,
# nghttpd. Sets PID and URL.
unary_start() {
  local kind=$1 port=$2 dead
  dead=$(free_port) # no storage: the unary method does not need it
  URL=http://127.0.0.1:$port$TYPES_PATH
  case $kind in
  ours) start "$SRV_CORE" "$kind" "$port" "$GW" --listen "127.0.0.1:$port" --storage "127.0.0.1:$dead" ;;
  ours2) start 0,1 "$kind" "$port" "$GW" --listen "127.0.0.1:$port" --storage "127.0.0.1:$dead" --workers 2 ;;
  go) start "$SRV_CORE" "$kind" "$port" env GOMAXPROCS=1 "$GOSRV" -listen "127.0.0.1:$port" -storage "127.0.0.1:$dead" ;;
  go2) start 0,1 "$kind" "$port" env GOMAXPROCS=2 "$GOSRV" -listen "127.0.0.1:$port" -storage "127.0.0.1:$dead" ;;
  cpp) start "$SRV_CORE" "$kind" "$port" "$CPPSRV" -listen "127.0.0.1:$port" ;;
  py) start "$SRV_CORE" "$kind" "$port" "$PY" "$PYSRV" --listen "127.0.0.1:$port" ;;
  nghttpd)
    URL=http://127.0.0.1:$port/types
    start "$SRV_CORE" "$kind" "$port" nghttpd --no-tls -a 127.0.0.1 -d "$TMP/www" "$port"
    ;;
  esac
  if [ "$kind" != nghttpd ]; then
    local got
    got=$("$FC" --addr "127.0.0.1:$port" getprodtypes aws 2>&1)
    [ "$got" = "aws cloud products type are:  compute storage" ] || die "$kind answers: $got"
  fi
}

# --- setup -------------------------------------------------------------------

setup() {
  local i
  for i in "$GW" "$ST" "$FC"; do [ -x "$i" ] || die "missing $i (make)"; done
  tools/pygen.sh || die "tools/pygen.sh"
  # the grpc-go peer, GOPATH mode over Debian's grpc-go
  if [ ! -x "$GOSRV" ] || [ bench/go/prod_server.go -nt "$GOSRV" ] || [ proto/api.proto -nt "$GOSRV" ]; then
    log "building the grpc-go peer"
    rm -rf "$BENCH/go/src/api"
    mkdir -p "$BENCH/go/src/api"
    protoc -Iproto --go_out=plugins=grpc,Mapi.proto=api:"$BENCH/go/src/api" proto/api.proto || die protoc
    GO111MODULE=off GOPATH=$ROOT/$BENCH/go:/usr/share/gocode GOCACHE=$ROOT/$BENCH/go/cache GOFLAGS='' \
      go build -o "$GOSRV" bench/go/prod_server.go || die "go build"
  fi
  # the grpc C++ peer: protoc + grpc_cpp_plugin, g++ -O2, Debian's grpc++ 1.51;
  # rebuilt only when its source or the proto changes
  local t0 gen=$BENCH/cpp/gen
  put cpp_build_s cached
  if [ ! -x "$CPPSRV" ] || [ bench/cpp/prod_server.cc -nt "$CPPSRV" ] || [ proto/api.proto -nt "$CPPSRV" ]; then
    log "building the grpc C++ peer"
    t0=$(date +%s%N)
    rm -rf "$gen"
    mkdir -p "$gen"
    protoc -Iproto --cpp_out="$gen" --grpc_out="$gen" --plugin=protoc-gen-grpc="$(command -v grpc_cpp_plugin)" \
      proto/api.proto || die "protoc (grpc_cpp_plugin)"
    # shellcheck disable=SC2046
    g++ -O2 -std=c++17 -I"$gen" $(pkg-config --cflags grpc++ protobuf) -o "$CPPSRV.tmp" \
      bench/cpp/prod_server.cc "$gen/api.pb.cc" "$gen/api.grpc.pb.cc" \
      $(pkg-config --libs grpc++ protobuf) -lpthread || die "g++ (grpc C++ peer)"
    mv "$CPPSRV.tmp" "$CPPSRV"
    put cpp_build_s "$(awk -v d=$(($(date +%s%N) - t0)) 'BEGIN {printf "%.1f", d / 1e9}')"
  fi
  # request bodies: gRPC frames (flag 0, 4-byte length) holding the protobuf
  printf '\x00\x00\x00\x00\x05\x0a\x03aws' >"$TMP/types.bin" # ClientRequestType{vendor: "aws"}
  # ClientRequestProds{vendor: "aws", productType: "storage"}
  printf '\x00\x00\x00\x00\x0e\x0a\x03aws\x12\x07storage' >"$TMP/prods.bin"
  printf '\x00\x00\x00\x00\x0c\x0a\x05bench\x12\x03big' >"$TMP/big.bin" # bench, big
  mkdir -p "$TMP/www"
  printf 'aws cloud products type are:  compute storage\n' >"$TMP/www/types"
  # The catalogue: our storage seeds it on first start; then BIG products of
  # vendor "bench", type "big" go in with the sqlite3 CLI (same schema).
  DB=$TMP/catalogue.db
  local p
  p=$(free_port)
  start "$SRV_CORE" seed "$p" "$ST" --listen "127.0.0.1:$p" --db "$DB"
  stop "$PID"
  sqlite3 "$DB" "INSERT INTO product(vendor, type, pos, title, url)
    WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $BIG)
    SELECT 'bench', 'big', i, printf('Bench product %06d', i),
           printf('https://bench.example.com/products/%06d/', i) FROM c;" || die "sqlite3 load"
  put catalogue_rows "$(sqlite3 "$DB" "SELECT count(*) FROM product WHERE vendor='bench'")"
  if perf stat -e raw_syscalls:sys_enter true >/dev/null 2>&1; then SYSCALL_TOOL=perf; else SYSCALL_TOOL=strace; fi
  put syscall_tool "$SYSCALL_TOOL"
}

# --- 1. unary: serial latency, throughput, CPU and syscalls per call ----------

# The unary servers run side by side (idle ones cost nothing) and every run
# goes round all of them in turn, so that a burst of load from elsewhere on
# this shared machine hits every server alike.
UNARY_KINDS=()
declare -A UPID UURL USERIAL_N UTPUT_N
unary_all_start() {
  local k port f
  for k in "${UNARY_KINDS[@]}"; do
    port=$(free_port)
    unary_start "$k" "$port"
    UPID[$k]=$PID
    UURL[$k]=$URL
    f=$TMP/warm-$k
    # warm-up and calibration: one serial burst, one second of load
    h2 "$SRV_CORE" "$f.serial" -n 1000 -c1 -m1 -d "$TMP/types.bin" "$URL"
    USERIAL_N[$k]=$(awk -v r="$(h2_rps "$f.serial")" 'BEGIN {n = int(r * 0.5); if (n < 1000) n = 1000; if (n > 50000) n = 50000; print n}')
    [ "$k" = cpp ] && threads_watch "$PID"
    h2 "$LOAD_CORE" "$f.tput" -D 1 -c100 -m10 -t1 -d "$TMP/types.bin" "$URL"
    [ "$k" = cpp ] && threads_done "$k"
    UTPUT_N[$k]=$(awk -v r="$(h2_rps "$f.tput")" -v s="$SECS" 'BEGIN {n = int(r * s); if (n < 5000) n = 5000; print n}')
    put "serial_${k}_n" "${USERIAL_N[$k]}"
    put "tput_${k}_n" "${UTPUT_N[$k]}"
  done
}

# threads_watch PID / threads_done KIND: the grpc C++ sync server's thread
# count (/proc/PID/status Threads) idle, and its peak sampled every 50 ms
# during the one-second warm-up under the throughput load (not a timed run;
# the sampler runs on LOAD_CORE).
threads_watch() {
  put "threads_cpp_idle" "$(awk '$1 == "Threads:" {print $2}' "/proc/$1/status")"
  # shellcheck disable=SC2016 # the sampler's script, expanded by its own bash
  taskset -c "$LOAD_CORE" bash -c 'm=0; while kill -0 "$1" 2>/dev/null; do
      t=$(awk '"'"'$1 == "Threads:" {print $2}'"'"' "/proc/$1/status" 2>/dev/null)
      [ "${t:-0}" -gt "$m" ] && { m=$t; echo "$m" >"$2"; }; sleep 0.05; done' _ "$1" "$TMP/threads-peak" &
  TW=$!
  PIDS+=("$TW")
}
threads_done() {
  kill -KILL "$TW" 2>/dev/null
  wait "$TW" 2>/dev/null
  put "threads_$1_peak" "$(cat "$TMP/threads-peak" 2>/dev/null || echo 0)"
}

# serial_run KIND I: h2load -c1 -m1, server and h2load both on SRV_CORE.
# Adds to SLAT, SMEAN (us) and SRPS for KIND.
declare -A SLAT SMEAN SRPS TRPS TCPU TH2
serial_run() {
  local k=$1 f=$TMP/serial-$1.$2
  case $k in ours2 | go2) return ;; esac # two cores: throughput only
  h2 "$SRV_CORE" "$f" -n "${USERIAL_N[$k]}" -c1 -m1 -d "$TMP/types.bin" --log-file="$f.lat" "${UURL[$k]}"
  SLAT[$k]+=" $(pct "$f.lat" 50)"
  SMEAN[$k]+=" $(awk '{s += $3} END {printf "%.1f", s / NR}' "$f.lat")"
  SRPS[$k]+=" $(h2_rps "$f")"
  rm -f "$f.lat"
}

# tput_run KIND I: h2load -c100 -m10 -t1 on LOAD_CORE, the server on
# SRV_CORE (ours2, go2: on cores 0 and 1, beside h2load). Adds to TRPS,
# TCPU (server CPU us per call) and TH2 (h2load's CPU, % of a core).
tput_run() {
  local k=$1 f=$TMP/tput-$1.$2 t0 t1 n
  t0=$(cpu_ticks "${UPID[$k]}")
  h2 "$LOAD_CORE" "$f" -n "${UTPUT_N[$k]}" -c100 -m10 -t1 -d "$TMP/types.bin" "${UURL[$k]}"
  t1=$(cpu_ticks "${UPID[$k]}")
  n=$(h2_done "$f")
  TRPS[$k]+=" $(h2_rps "$f")"
  TCPU[$k]+=" $(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$n" 'BEGIN {printf "%.3f", t / hz / n * 1e6}')"
  TH2[$k]+=" $(h2_cpu "$f")"
}

# syscalls per call: serial (the worst case: nothing to batch) and under the
# throughput load.
unary_syscalls() {
  local k=$1 n s
  case $k in ours2 | go2) ;; *)
    n=$((USERIAL_N[$k] < 10000 ? USERIAL_N[$k] : 10000))
    s=$(syscalls "${UPID[$k]}" h2 "$SRV_CORE" "$TMP/sys-serial-$k" -n "$n" -c1 -m1 -d "$TMP/types.bin" "${UURL[$k]}")
    put "sys_serial_${k}" "$(awk -v s="$s" -v n="$n" 'BEGIN {printf "%.1f", s / n}')"
    ;;
  esac
  n=$((UTPUT_N[$k] / 2))
  s=$(syscalls "${UPID[$k]}" h2 "$LOAD_CORE" "$TMP/sys-load-$k" -n "$n" -c100 -m10 -t1 -d "$TMP/types.bin" "${UURL[$k]}")
  put "sys_load_${k}" "$(awk -v s="$s" -v n="$n" 'BEGIN {printf "%.2f", s / n}')"
}

unary_bench() {
  local i k
  unary_all_start
  for i in $(seq "$RUNS"); do
    for k in "${UNARY_KINDS[@]}"; do serial_run "$k" "$i"; done
    for k in "${UNARY_KINDS[@]}"; do tput_run "$k" "$i"; done
    log "unary run $i of $RUNS done (load $(loadavg))"
  done
  paired ratio_tput_go "${TRPS[ours]}" "${TRPS[go]}"
  paired ratio_tput_nghttpd "${TRPS[ours]}" "${TRPS[nghttpd]}"
  paired ratio_tput_py "${TRPS[ours]}" "${TRPS[py]}"
  paired ratio_tput_cpp "${TRPS[ours]}" "${TRPS[cpp]}"
  paired ratio_serial_cpp "${SLAT[ours]}" "${SLAT[cpp]}"
  paired ratio_cpu_cpp "${TCPU[ours]}" "${TCPU[cpp]}"
  paired ratio_serial_go "${SLAT[ours]}" "${SLAT[go]}"
  paired ratio_serial_mean_go "${SMEAN[ours]}" "${SMEAN[go]}"
  paired ratio_cpu_go "${TCPU[ours]}" "${TCPU[go]}"
  paired ratio_cpu_nghttpd "${TCPU[ours]}" "${TCPU[nghttpd]}"
  for k in "${UNARY_KINDS[@]}"; do
    if [ -n "${SLAT[$k]:-}" ]; then
      stats "serial_${k}_p50us" ${SLAT[$k]}
      stats "serial_${k}_meanus" ${SMEAN[$k]}
      stats "serial_${k}_rps" ${SRPS[$k]}
    fi
    stats "tput_${k}_rps" ${TRPS[$k]}
    stats "cpu_${k}_us" ${TCPU[$k]}
    stats "tput_${k}_h2cpu" ${TH2[$k]}
    unary_syscalls "$k"
    put "rss_tput_${k}_kb" "$(kb "${UPID[$k]}" VmHWM)"
    stop "${UPID[$k]}"
    log "$k: serial p50 ${R[serial_${k}_p50us]:--} us; ${R[tput_${k}_rps]} req/s (${R[tput_${k}_rps_min]}-${R[tput_${k}_rps_max]}), ${R[cpu_${k}_us]} us CPU/call, h2load ${R[tput_${k}_h2cpu]}%; syscalls/call ${R[sys_serial_${k}]:--} serial, ${R[sys_load_${k}]} loaded"
  done
}

# --- 2. streaming and the full path -----------------------------------------

# stack_start KIND: storage and gateway on SRV_CORE, ours or the article's
# (grpc-go gateway dialing per request, grpcio storage). Sets SPID, GPID,
# GPORT. Extra gateway arguments: GW_EXTRA (ours) / GO_EXTRA (article).
stack_start() {
  local kind=$1 sport
  sport=$(free_port)
  GPORT=$(free_port)
  case $kind in
  ours)
    start "$SRV_CORE" "st-$kind" "$sport" "$ST" --listen "127.0.0.1:$sport" --db "$DB"
    SPID=$PID
    start "$SRV_CORE" "gw-$kind" "$GPORT" "$GW" --listen "127.0.0.1:$GPORT" --storage "127.0.0.1:$sport" ${GW_EXTRA:-}
    ;;
  article)
    start "$SRV_CORE" "st-$kind" "$sport" "$PY" "$PYST" --listen "127.0.0.1:$sport" --db "$DB"
    SPID=$PID
    start "$SRV_CORE" "gw-$kind" "$GPORT" env GOMAXPROCS=1 "$GOSRV" -listen "127.0.0.1:$GPORT" -storage "127.0.0.1:$sport" ${GO_EXTRA:-}
    ;;
  goours) # grpc-go gateway over our storage (the memory comparison)
    start "$SRV_CORE" "st-$kind" "$sport" "$ST" --listen "127.0.0.1:$sport" --db "$DB"
    SPID=$PID
    start "$SRV_CORE" "gw-$kind" "$GPORT" env GOMAXPROCS=1 "$GOSRV" -listen "127.0.0.1:$GPORT" -storage "127.0.0.1:$sport" ${GO_EXTRA:-}
    ;;
  esac
  GPID=$PID
  local got
  [ -n "${GW_EXTRA:-}${GO_EXTRA:-}" ] && return 0 # slowed down on purpose
  got=$("$FC" --addr "127.0.0.1:$GPORT" getprods aws storage 2>&1 | grep -c '^Title: ')
  [ "$got" = 7 ] || die "$kind stack: getprods aws storage gave $got products"
}

stack_stop() {
  stop "$GPID"
  stop "$SPID"
}

# streaming KIND: one GetVendorProds of BIG products through gateway and
# storage (both on SRV_CORE), timed at the client on LOAD_CORE: the firmware
# client (host build, every product printed, counted), and h2load -n1 (the
# bytes only: what the two servers can push).
streaming() {
  local kind=$1 i rate=() raw=() n t0 t1 url
  stack_start "$kind"
  url=http://127.0.0.1:$GPORT$PRODS_PATH
  for i in $(seq "$RUNS"); do
    t0=$(date +%s%N)
    n=$(taskset -c "$LOAD_CORE" "$FC" --addr "127.0.0.1:$GPORT" --timeout 600 getprods bench big \
      2>"$TMP/stream-$kind.$i.err" | grep -c '^Title: ')
    t1=$(date +%s%N)
    [ "$n" = "$BIG" ] || die "streaming $kind: $n of $BIG messages: $(tail -2 "$TMP/stream-$kind.$i.err")"
    rate+=("$(awk -v n="$n" -v d=$((t1 - t0)) 'BEGIN {printf "%.0f", n / (d / 1e9)}')")
    t0=$(date +%s%N)
    h2 "$LOAD_CORE" "$TMP/stream-$kind.$i.h2" -n1 -c1 -d "$TMP/big.bin" "$url"
    t1=$(date +%s%N)
    raw+=("$(awk -v n="$BIG" -v d=$((t1 - t0)) 'BEGIN {printf "%.0f", n / (d / 1e9)}')")
  done
  put "stream_${kind}_bytes" "$(sed -n 's/.*total, .* (\([0-9]*\)) data.*/\1/p' "$TMP/stream-$kind.1.h2")"
  stats "stream_${kind}_mps" "${rate[@]}"
  stats "stream_${kind}_raw_mps" "${raw[@]}"
  # CPU (gateway, storage) and the gateway's syscalls per streamed message
  local g0 s0 sc
  g0=$(cpu_ticks "$GPID")
  s0=$(cpu_ticks "$SPID")
  sc=$(syscalls "$GPID" h2 "$LOAD_CORE" "$TMP/stream-$kind.sys" -n1 -c1 -d "$TMP/big.bin" "$url")
  put "stream_${kind}_gw_cpu_us" "$(awk -v t=$(($(cpu_ticks "$GPID") - g0)) -v hz="$HZ" -v n="$BIG" 'BEGIN {printf "%.2f", t / hz / n * 1e6}')"
  put "stream_${kind}_st_cpu_us" "$(awk -v t=$(($(cpu_ticks "$SPID") - s0)) -v hz="$HZ" -v n="$BIG" 'BEGIN {printf "%.2f", t / hz / n * 1e6}')"
  put "stream_${kind}_gw_sys" "$(awk -v s="$sc" -v n="$BIG" 'BEGIN {printf "%.2f", s / n}')"
  stack_stop
  log "streaming $kind: ${R[stream_${kind}_mps]} msg/s (${R[stream_${kind}_mps_min]}-${R[stream_${kind}_mps_max]}) at the firmware client, ${R[stream_${kind}_raw_mps]} msg/s at h2load"
}

# The full path: h2load -c10 -m10 on GetVendorProds (aws storage: 7
# products) through gateway and storage (both on SRV_CORE), h2load on
# LOAD_CORE. Both stacks run side by side and the runs alternate.
declare -A FPORT FGPID FSPID FRPS
full_run() {
  local kind=$1 i=$2 f=$TMP/full-$1.$2
  h2 "$LOAD_CORE" "$f" -n "${R[full_${kind}_n]}" -c10 -m10 -t1 -d "$TMP/prods.bin" --log-file="$f.lat" \
    "http://127.0.0.1:${FPORT[$kind]}$PRODS_PATH"
  FRPS[$kind]+=" $(h2_rps "$f")"
  FP50[$kind]+=" $(pct "$f.lat" 50)"
  FP99[$kind]+=" $(pct "$f.lat" 99)"
  rm -f "$f.lat"
}
declare -A FP50 FP99
full_bench() {
  local k i
  for k in ours article; do
    stack_start "$k"
    FPORT[$k]=$GPORT
    FGPID[$k]=$GPID
    FSPID[$k]=$SPID
    h2 "$LOAD_CORE" "$TMP/full-$k.warm" -D 1 -c10 -m10 -t1 -d "$TMP/prods.bin" "http://127.0.0.1:$GPORT$PRODS_PATH"
    put "full_${k}_n" "$(awk -v r="$(h2_rps "$TMP/full-$k.warm")" -v s="$SECS" 'BEGIN {n = int(r * s); if (n < 500) n = 500; print n}')"
  done
  for i in $(seq "$RUNS"); do
    for k in ours article; do full_run "$k" "$i"; done
  done
  for k in ours article; do
    stats "full_${k}_rps" ${FRPS[$k]}
    stats "full_${k}_p50us" ${FP50[$k]}
    stats "full_${k}_p99us" ${FP99[$k]}
    GPID=${FGPID[$k]} SPID=${FSPID[$k]} stack_stop
    log "full path $k: ${R[full_${k}_rps]} calls/s (${R[full_${k}_rps_min]}-${R[full_${k}_rps_max]}), p50 ${R[full_${k}_p50us]} us, p99 ${R[full_${k}_p99us]} us"
  done
  paired ratio_full "${FRPS[ours]}" "${FRPS[article]}"
}

# --- 3. the firmware client ---------------------------------------------------

client_bench() {
  local port i n=${BENCH_CLIENT_CALLS:-300} rate=() base=() t0 t1
  port=$(free_port)
  unary_start ours "$port"
  for i in $(seq "$RUNS"); do
    t0=$(date +%s%N)
    taskset -c "$LOAD_CORE" bash -c 'for i in $(seq "$1"); do "$2" --addr "$3" getprodtypes aws >/dev/null || exit 1; done' \
      _ "$n" "$FC" "127.0.0.1:$port" || die "firmware-client loop"
    t1=$(date +%s%N)
    rate+=("$(awk -v n="$n" -v d=$((t1 - t0)) 'BEGIN {printf "%.0f", n / (d / 1e9)}')")
    # the same loop starting /bin/true: the cost of starting a process
    t0=$(date +%s%N)
    taskset -c "$LOAD_CORE" bash -c 'for i in $(seq "$1"); do /bin/true; done' _ "$n"
    t1=$(date +%s%N)
    base+=("$(awk -v n="$n" -v d=$((t1 - t0)) 'BEGIN {printf "%.0f", n / (d / 1e9)}')")
  done
  put client_calls "$n"
  stats client_cps "${rate[@]}"
  stats true_cps "${base[@]}"
  stop "$PID"
  log "firmware client: ${R[client_cps]} calls/s; /bin/true ${R[true_cps]}/s"
  # instructions (callgrind) for one call, and for the gateway's unary path
  local out
  out=$(tools/bench-callgrind.sh) || die "tools/bench-callgrind.sh"
  put ir_client_total "$(awk '$1 == "client_total" {print $2}' <<<"$out")"
  put ir_client_main "$(awk '$1 == "client_main" {print $2}' <<<"$out")"
  put ir_gateway_call "$(awk '$1 == "gateway_unary_per_call" {print $2}' <<<"$out")"
  log "callgrind: client ${R[ir_client_total]} Ir total, ${R[ir_client_main]} in main; gateway ${R[ir_gateway_call]} Ir/call"
}

# --- 4. gateway memory ------------------------------------------------------

# streams_rss KIND: VmRSS of the gateway (ours, or grpc-go over our storage)
# while 1,000 GetVendorProds streams are open (--stream-delay-ms 10000: each
# stream sends one product, then waits).
streams_rss() {
  local kind=$1 i rss=() idle=() hp n j url
  for i in $(seq "$RUNS"); do
    GW_EXTRA="--stream-delay-ms 10000" GO_EXTRA="-stream-delay-ms 10000" stack_start "$kind"
    sleep 0.3
    idle+=("$(kb "$GPID" VmRSS)")
    url=http://127.0.0.1:$GPORT$PRODS_PATH
    : >"$TMP/gw-$kind.log" # count only this run's requests
    taskset -c "$LOAD_CORE" "${H2[@]}" -n 1000 -c10 -m100 -t1 -d "$TMP/prods.bin" "$url" >"$TMP/rss-$kind.$i" 2>&1 &
    hp=$!
    PIDS+=("$hp")
    j=0
    n=0
    while [ "$j" -lt 300 ]; do # 30 s
      n=$(grep -c 'have received a request for' "$TMP/gw-$kind.log")
      [ "$n" -ge 1000 ] && break
      sleep 0.1
      j=$((j + 1))
    done
    [ "$n" -ge 1000 ] || die "$kind: only $n of 1000 streams opened"
    sleep 1 # every stream has sent its first product
    rss+=("$(kb "$GPID" VmRSS)")
    kill -KILL "$hp" 2>/dev/null
    wait "$hp" 2>/dev/null
    stack_stop
  done
  stats "rss_idle_${kind}_kb" "${idle[@]}"
  stats "rss_1k_${kind}_kb" "${rss[@]}"
  log "rss $kind: idle ${R[rss_idle_${kind}_kb]} KiB, 1000 streams ${R[rss_1k_${kind}_kb]} KiB"
}

# hwm_after KEY PATH BODY CONC CALLS: a fresh stack (ours), CALLS calls in one
# h2load run (CONC: "-c100 -m10"), then the gateway's VmHWM; KEY_secs the
# time the run took.
hwm_after() {
  local key=$1 path=$2 body=$3 conc=$4 calls=$5 t0 t1
  stack_start ours
  t0=$(date +%s%N)
  h2 "$LOAD_CORE" "$TMP/$key" -n "$calls" $conc -t1 -d "$body" "http://127.0.0.1:$GPORT$path"
  t1=$(date +%s%N)
  put "${key}_kb" "$(kb "$GPID" VmHWM)"
  put "${key}_secs" "$(awk -v d=$((t1 - t0)) 'BEGIN {printf "%.1f", d / 1e9}')"
  stack_stop
}

# Peak RSS of our gateway: 10,000 and 100,000 calls against MILLION (unary), and 10,000
# against 200,000 GetVendorProds, each from a fresh gateway over one set of
# connections, so that only the number of calls differs.
peak_rss() {
  hwm_after hwm_unary_10k "$TYPES_PATH" "$TMP/types.bin" "-c100 -m10" 10000
  hwm_after hwm_unary_100k "$TYPES_PATH" "$TMP/types.bin" "-c100 -m10" 100000
  hwm_after hwm_unary_1m "$TYPES_PATH" "$TMP/types.bin" "-c100 -m10" "$MILLION"
  hwm_after hwm_prods_10k "$PRODS_PATH" "$TMP/prods.bin" "-c10 -m10" 10000
  hwm_after hwm_prods_200k "$PRODS_PATH" "$TMP/prods.bin" "-c10 -m10" 200000
  log "peak rss: unary 10k ${R[hwm_unary_10k_kb]} KiB, 100k ${R[hwm_unary_100k_kb]} KiB, $MILLION ${R[hwm_unary_1m_kb]} KiB (${R[hwm_unary_1m_secs]} s); prods 10k ${R[hwm_prods_10k_kb]}, 200k ${R[hwm_prods_200k_kb]} KiB (${R[hwm_prods_200k_secs]} s)"
}

# --- the run ---------------------------------------------------------------

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

wait_idle() {
  local i=0 limit=${BENCH_IDLE_WAIT:-60}
  while [ "$i" -lt "$limit" ]; do
    awk '{exit !($1 < 1.0)}' /proc/loadavg && return 0
    sleep 1
    i=$((i + 1))
  done
  log "the machine is busy (load $(loadavg)); measuring anyway, the load goes into the report"
}

main() {
  local t_start k
  t_start=$(date +%s)
  wait_idle
  put load_start "$(loadavg)"
  put started "$(date -u '+%Y-%m-%d %H:%M UTC')"
  put runs "$RUNS"
  put secs "$SECS"
  put million "$MILLION"
  put million_less $((MILLION - 10000))
  setup
  WORKERS=0
  "$GW" --help 2>&1 | grep -q -- --workers && WORKERS=1
  put workers_flag "$WORKERS"
  log "1-2/6 unary: serial latency and throughput"
  UNARY_KINDS=(ours go cpp py nghttpd)
  [ "$WORKERS" = 1 ] && UNARY_KINDS+=(ours2 go2)
  unary_bench
  log "3/6 streaming"
  for k in ours article; do streaming "$k"; done
  log "4/6 full path"
  full_bench
  log "5/6 firmware client"
  client_bench
  log "6/6 gateway memory"
  for k in ours goours; do streams_rss "$k"; done
  peak_rss
  put load_end "$(loadavg)"
  put duration_s $(($(date +%s) - t_start))
  tools/bench-report.sh "$RESULTS" "$DOCS" || die "tools/bench-report.sh"
  log "wrote $DOCS/benchmarks.md and $DOCS/benchmarks.png in ${R[duration_s]} s"
}

main "$@"
