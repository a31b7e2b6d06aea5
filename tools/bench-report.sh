#!/bin/bash
# Writes DOCS/benchmarks.md and DOCS/benchmarks.png from the figures of one
# make bench run (tools/bench.sh's build/bench/results.txt, key=value lines).
#
#   tools/bench-report.sh RESULTS DOCS
set -euo pipefail
RESULTS=$1
DOCS=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
declare -A R
while IFS='=' read -r k v; do R[$k]=$v; done <"$RESULTS"

v() { echo "${R[$1]:-n/a}"; }
# n KEY [DECIMALS]: a figure, rounded.
n() {
  local x=${R[$1]:-}
  [ -n "$x" ] || { echo "n/a"; return; }
  awk -v x="$x" -v d="${2:-0}" 'BEGIN {printf "%.*f", d, x}'
}
# m KEY [DECIMALS]: median (min-max).
m() {
  [ -n "${R[$1]:-}" ] || { echo "n/a"; return; }
  echo "$(n "$1" "${2:-0}") ($(n "${1}_min" "${2:-0}")–$(n "${1}_max" "${2:-0}"))"
}
# ratio A B: A / B, two decimals.
ratio() {
  local a=${R[$1]:-} b=${R[$2]:-}
  [ -n "$a" ] && [ -n "$b" ] || { echo "n/a"; return; }
  awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'
}
# met VALUE OP LIMIT: "met" or "**not met**".
met() {
  [ "$1" != n/a ] || { echo "not measured"; return; }
  if awk -v x="$1" -v l="$3" -v op="$2" 'BEGIN {exit !(op == ">=" ? x >= l : x <= l)}'; then
    echo "met"
  else
    echo "**not met**"
  fi
}

RUNS=$(v runs)
# 1000000 -> 1,000,000
commas() { echo "$1" | sed ':a; s/\B[0-9]\{3\}\>/,&/; ta'; }
R[million]=$(commas "${R[million]:-}")
R[million_less]=$(commas "${R[million_less]:-}")
R[catalogue_rows]=$(commas "${R[catalogue_rows]:-}")
# The ratios under a target: the median of the per-round ratios (runs of
# the two servers made back to back), or of the medians where nothing
# alternates (memory).
r_tput_go=$(n ratio_tput_go 2)
r_tput_ng=$(n ratio_tput_nghttpd 2)
r_lat_go=$(n ratio_serial_go 2)
r_full=$(n ratio_full 2)
r_rss=$(ratio rss_1k_ours_kb rss_1k_goours_kb)
# spread KEY: "lowest–highest" of a paired ratio
spread() { [ -n "${R[$1]:-}" ] && echo "$(n "${1}_min" 2)–$(n "${1}_max" 2)" || echo "n/a"; }
# delta A B: A - B in KiB and percent of B.
delta() {
  [ -n "${R[$1]:-}" ] && [ -n "${R[$2]:-}" ] || { echo "n/a"; return; }
  awk -v a="$(v "$1")" -v b="$(v "$2")" 'BEGIN {d = a - b; printf "%+d KiB (%+.1f%%)", d, (b > 0 ? d / b * 100 : 0)}'
}
# "Equal" peak RSS: the million-call peak within the allocator's page-level
# noise of the 10,000-call one, taken as the larger of 1 % and the gap between
# the 10,000- and 100,000-call runs (two runs of the same work) — a leak grows
# with the number of calls and shows far past that.
rss_equal() {
  [ -n "${R[hwm_unary_1m_kb]:-}" ] || { echo "not measured"; return; }
  awk -v m="${R[hwm_unary_1m_kb]}" -v a="${R[hwm_unary_10k_kb]}" -v b="${R[hwm_unary_100k_kb]}" 'BEGIN {
    tol = a / 100; gap = a - b; if (gap < 0) gap = -gap; if (gap > tol) tol = gap
    d = m - a
    if (d <= tol) printf "met (within the noise: %d KiB)", tol
    else printf "**not met** (+%d KiB over the noise of %d KiB)", d - tol, tol }'
}
inv() { [ "$1" = n/a ] && echo n/a || awk -v x="$1" 'BEGIN {printf "%.2f", (x > 0 ? 1 / x : 0)}'; }

# The chart: every target as "times better than the peer" (higher is
# better), the measured value beside the target, log scale.
dat=$ROOT/build/bench/ratios.dat
{
  echo '"throughput\nvs grpc-go" '"$r_tput_go"' 1.5'
  echo '"throughput\nvs nghttpd" '"$r_tput_ng"' 0.9'
  echo '"serial latency\nvs grpc-go" '"$(inv "$r_lat_go")"' 1.6667'
  echo '"full path\nvs article" '"$r_full"' 10'
  echo '"RSS, 1000 streams\nvs grpc-go" '"$(inv "$r_rss")"' 2'
} | sed 's/ n\/a / 0 /' >"$dat"
gnuplot <<EOF
set terminal pngcairo size 960,560 font "sans,10"
set bmargin 5
set output "$DOCS/benchmarks.png"
set title "Our stack against its peers, same run (higher is better; log scale)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [0.1:100]
set ylabel "times better than the peer"
set grid ytics
set key top left
set xtics nomirror
plot "$dat" using 2:xtic(1) title "measured" lc rgb "#2b6cb0", \
     "" using 3 title "target" lc rgb "#c0c0c0", \
     "" using (\$0 - 1.0 / 6):2:(sprintf("%.2f", \$2)) with labels offset 0,0.8 notitle, \
     "" using (\$0 + 1.0 / 6):3:(sprintf("%.3g", \$3)) with labels offset 0,0.8 notitle, \
     1 notitle lc rgb "black" dt 2
EOF

ORDER=(ours ours2 go go2 cpp py nghttpd)
name() {
  case $1 in
  ours) echo "our gateway (1 event loop)" ;;
  ours2) echo "our gateway, --workers 2" ;;
  go) echo "grpc-go, GOMAXPROCS=1" ;;
  go2) echo "grpc-go, GOMAXPROCS=2" ;;
  cpp) echo "grpc C++ (sync server, its thread pool on core 0)" ;;
  py) echo "grpcio (python)" ;;
  nghttpd) echo "nghttpd (HTTP/2, no gRPC)" ;;
  esac
}
where() {
  case $1 in
  ours2 | go2) echo "0-1 / 1" ;;
  *) echo "0 / 1" ;;
  esac
}

# The fleet section (tools/bench-fleet.sh writes it, between its markers)
# is carried over from the page being replaced.
FLEET_MARK='<!-- bench-fleet -->'
FLEET_SECTION=$(awk -v m="$FLEET_MARK" '$0 == m {n++; next} n == 1' "$DOCS/benchmarks.md" 2>/dev/null)

{
  cat <<EOF
# Benchmarks

Generated by \`make bench\` (\`tools/bench.sh\`, figures in
\`build/bench/results.txt\`) on $(v started), in $(v duration_s) s. Do not
edit by hand: run \`make bench\` again. Every figure is the **median of $RUNS
runs**, with the spread (lowest–highest) in brackets; every ratio is between
figures of this same run.

## Conditions

* Machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, Linux $(uname -r), Debian $(cat /etc/debian_version).
* **This machine is shared**: other engineers run tests on its two cores.
  Load average (1, 5, 15 min) at the start: $(v load_start); at the end:
  $(v load_end). The runs of the unary and full-path sections go round all
  servers in turn so that a burst of foreign load hits them alike; the
  figures still move by the spreads quoted. Server CPU time per call is the
  figure foreign load moves least.
* **Pinning** (\`taskset\`): servers (gateway, storage, peers) on **core 0**;
  h2load and the firmware client on **core 1**. Serial latency: server
  **and** h2load on core 0 (one core, no cross-core wake-ups).
  \`--workers 2\` and \`GOMAXPROCS=2\`: the server on cores 0-1, h2load on
  core 1, so they share core 1 with the load generator.
* Versions: our gateway and storage: \`build/host/bin\` (gcc $(gcc -dumpfullversion), \`-O2\`),
  nghttp2 $(dpkg-query -W -f='${Version}' libnghttp2-14), nanopb $(dpkg-query -W -f='${Version}' libprotobuf-nanopb-dev 2>/dev/null || dpkg-query -W -f='${Version}' libnanopb-dev 2>/dev/null || echo '?');
  grpc-go $(dpkg-query -W -f='${Version}' golang-google-grpc-dev) (Debian, GOPATH mode, $(go version | awk '{print $3}'));
  grpc C++ $(dpkg-query -W -f='${Version}' libgrpc++-dev 2>/dev/null || echo '?') (Debian's \`libgrpc++-dev\`, protobuf $(dpkg-query -W -f='${Version}' libprotobuf-dev 2>/dev/null || echo '?'), g++ $(g++ -dumpfullversion 2>/dev/null || echo '?') \`-O2\`);
  grpcio $(dpkg-query -W -f='${Version}' python3-grpcio) (Debian, \`/usr/bin/python3\`);
  h2load and nghttpd $(dpkg-query -W -f='${Version}' nghttp2-client).
* grpc C++ (\`bench/cpp/prod_server.cc\`, unary only) is a synchronous
  \`grpc::ServerBuilder\` server with grpc's default thread model: a pool
  that polls one completion queue, each call's handler runs on the thread
  that took it and a new poller thread starts whenever none is left, so the
  pool grows with the calls in flight (capped only by the default, unlimited,
  resource quota) and shrinks back when idle, beside grpc core's own timer
  and executor threads. The whole process is pinned to core 0 like the other
  servers, so its threads share one core: $(v threads_cpp_idle) threads idle, a peak of
  $(v threads_cpp_peak) seen during the one-second warm-up under \`-c100 -m10\`. It is not
  one thread as our gateway's loop or \`GOMAXPROCS=1\` are: one core, not
  one thread, is what the rows share. Its row measures this default sync
  model, not grpc C++'s async or callback API nor a capped pool. The
  targets stay against grpc-go.
* Logging: every server logs one line per request on stderr (the article's
  lines), sent to a file or \`/dev/null\`; the cost is part of the figures.

## Targets

| target | measured (median of rounds) | spread of the rounds | |
| --- | --- | --- | --- |
| gateway throughput >= 1.5x grpc-go | $r_tput_go x | $(spread ratio_tput_go) | $(met "$r_tput_go" '>=' 1.5) |
| gateway throughput >= 0.9x nghttpd | $r_tput_ng x | $(spread ratio_tput_nghttpd) | $(met "$r_tput_ng" '>=' 0.9) |
| serial latency (p50) <= 0.6x grpc-go | $r_lat_go x | $(spread ratio_serial_go) | $(met "$r_lat_go" '<=' 0.6) |
| full path >= 10x the article's stack (calls/s) | $r_full x | $(spread ratio_full) | $(met "$r_full" '>=' 10) |
| gateway RSS, 1,000 open streams, <= 0.5x grpc-go | $r_rss x | | $(met "$r_rss" '<=' 0.5) |
| gateway peak RSS after $(v million) calls equal to that after 10,000 | $(delta hwm_unary_1m_kb hwm_unary_10k_kb) | | $(rss_equal) |

A ratio is taken in each round between two runs made back to back (the
servers run side by side and each round goes through all of them), and the
median of the $RUNS rounds is quoted: on this shared machine, a burst of
foreign load then hits both members of a pair alike. A cross-check that
foreign load does not move: server CPU time per call, ours / grpc-go
$(n ratio_cpu_go 2) ($(spread ratio_cpu_go)), ours / nghttpd $(n ratio_cpu_nghttpd 2) ($(spread ratio_cpu_nghttpd)).

![the ratios](benchmarks.png)

The chart draws each target as "times better than the peer": throughput as
ours / peer, latency and RSS as peer / ours (so 0.6x reads 1.67, 0.5x reads 2).

## 1. Unary GetVendorProdTypes

Each server answers \`/api.ProdService/GetVendorProdTypes\` for vendor
\`aws\` with \`" compute storage"\` (checked with the firmware client before
the runs); nghttpd serves a 46-byte file for the same POST. h2load sends a
gRPC-framed \`ClientRequestType{vendor: "aws"}\` (5-byte prefix + 5 bytes),
\`content-type: application/grpc\`, \`te: trailers\`.

* **Serial latency**: \`h2load -c1 -m1 -n N\` (N: about half a second of
  calls), the 50th percentile of h2load's per-request times (\`--log-file\`).
* **Throughput**: \`h2load -c100 -m10 -t1 -n N\` (N: about $(v secs) s of calls,
  after one second of warm-up), requests per second.
* **Server CPU per call**: utime + stime of the server (and its workers)
  from \`/proc/<pid>/stat\` before and after each throughput run, over the
  calls served.
* **Syscalls per call**: $(v syscall_tool) (\`$( [ "$(v syscall_tool)" = perf ] && echo 'perf stat -e raw_syscalls:sys_enter -p <pid>' || echo 'strace -c -f -p <pid>')\`),
  over 10,000 serial calls and over half a throughput run.
* **h2load CPU**: the load generator's own CPU use during the throughput
  runs, % of its core; near 100% would mean h2load, not the server, is the
  limit.

| server | cores srv / load | serial p50 (us) | serial mean (us) | throughput (req/s) | server CPU per call (us) | syscalls per call, serial | syscalls per call, loaded | h2load CPU | peak RSS (KiB) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
EOF
  for k in "${ORDER[@]}"; do
    [ -n "${R[tput_${k}_rps]:-}" ] || continue
    if [ -n "${R[serial_${k}_p50us]:-}" ]; then
      s50=$(m "serial_${k}_p50us")
      smean=$(m "serial_${k}_meanus" 1)
      ss=$(v "sys_serial_${k}")
    else
      s50="—"; smean="—"; ss="—"
    fi
    echo "| $(name "$k") | $(where "$k") | $s50 | $smean | $(m "tput_${k}_rps") | $(m "cpu_${k}_us" 2) | $ss | $(v "sys_load_${k}") | $(n "tput_${k}_h2cpu")% | $(v "rss_tput_${k}_kb") |"
  done
  if [ "$(v workers_flag)" != 1 ]; then
    echo
    echo "The gateway of this build has no \`--workers\` option: the two-worker row is not measured."
  fi
  cat <<EOF

Ratios (medians of rounds): throughput ours / grpc-go $r_tput_go, ours / grpc C++ $(n ratio_tput_cpp 2), ours / grpcio $(n ratio_tput_py 2),
ours / nghttpd $r_tput_ng; serial p50 ours / grpc-go $r_lat_go (mean: $(n ratio_serial_mean_go 2)), ours / grpc C++ $(n ratio_serial_cpp 2); server CPU per call
ours / grpc-go $(n ratio_cpu_go 2), ours / grpc C++ $(n ratio_cpu_cpp 2), ours / nghttpd $(n ratio_cpu_nghttpd 2). Ratios of the medians
above: serial p50 ours / grpcio $(ratio serial_ours_p50us serial_py_p50us).
$(awk -v c="$(v tput_nghttpd_h2cpu)" 'BEGIN {if (c >= 90) print "h2load used " c "% of its core against nghttpd: nghttpd'"'"'s throughput is the load generator'"'"'s limit, a lower bound, so ours / nghttpd is an upper bound; the CPU per call ratio is the fairer comparison there."}')
With two cores and h2load on one of them, \`--workers 2\` gives the second
loop a core it shares with the load generator:
ours2 / ours $(ratio tput_ours2_rps tput_ours_rps), go2 / go $(ratio tput_go2_rps tput_go_rps).
Serial p50 is quantised to h2load's microsecond resolution.

## 2. Server streaming: GetVendorProds with $(v catalogue_rows) products

Storage holds $(v catalogue_rows) products for vendor \`bench\`, type \`big\`
(loaded with the sqlite3 CLI into the schema of \`storage/src/st_db.c\`, next
to the seeded catalogue). One call streams them all, one message each, with
a ShortUrl each; storage and gateway on core 0, the client on core 1.

* at the firmware client (host build, \`--timeout 600\`, every product printed
  and counted): messages per second over the call's wall time;
* at h2load (\`-n1\`, bytes only: what the servers push; $(v stream_ours_bytes) bytes of
  DATA from our gateway).

| stack | at the firmware client (msg/s) | at h2load (msg/s) | gateway CPU per msg (us) | storage CPU per msg (us) | gateway syscalls per msg |
| --- | --- | --- | --- | --- | --- |
| ours: gateway + storage | $(m stream_ours_mps) | $(m stream_ours_raw_mps) | $(v stream_ours_gw_cpu_us) | $(v stream_ours_st_cpu_us) | $(v stream_ours_gw_sys) |
| the article's: grpc-go gateway + grpcio storage | $(m stream_article_mps) | $(m stream_article_raw_mps) | $(v stream_article_gw_cpu_us) | $(v stream_article_st_cpu_us) | $(v stream_article_gw_sys) |

CPU and syscalls per message: one more h2load call after the timed runs,
utime + stime of each daemon over it, and the gateway's system calls
($(v syscall_tool)), over $(v catalogue_rows) messages.

Ratios ours / article: $(ratio stream_ours_mps stream_article_mps) at the
firmware client, $(ratio stream_ours_raw_mps stream_article_raw_mps) at h2load. One
call does not show the article's per-request dial: the cost here is
building, sending and re-encoding $(v catalogue_rows) products.

## 3. Full path: client -> gateway -> storage -> streamed reply

\`h2load -c10 -m10 -t1 -n N\` (N: about $(v secs) s of calls) on
\`GetVendorProds\` with \`ClientRequestProds{vendor: "aws", productType:
"storage"}\` (7 products streamed back per call); latency percentiles from
h2load's per-request log. Gateway and storage on core 0, h2load on core 1.

* ours: \`build/host/bin/gateway\` (one multiplexed connection to storage)
  and \`build/host/bin/storage\` (SQLite);
* the article's: \`bench/go/prod_server.go\` (grpc-go, \`GOMAXPROCS=1\`,
  dials storage for every request as the article does) and
  \`bench/py/storage_server.py\` (grpcio, the same SQLite file).

| stack | calls/s | p50 latency (ms) | p99 latency (ms) |
| --- | --- | --- | --- |
| ours | $(m full_ours_rps) | $(awk -v a="$(v full_ours_p50us)" -v b="$(v full_ours_p50us_min)" -v c="$(v full_ours_p50us_max)" 'BEGIN {printf "%.2f (%.2f–%.2f)", a/1000, b/1000, c/1000}') | $(awk -v a="$(v full_ours_p99us)" -v b="$(v full_ours_p99us_min)" -v c="$(v full_ours_p99us_max)" 'BEGIN {printf "%.2f (%.2f–%.2f)", a/1000, b/1000, c/1000}') |
| the article's | $(m full_article_rps) | $(awk -v a="$(v full_article_p50us)" -v b="$(v full_article_p50us_min)" -v c="$(v full_article_p50us_max)" 'BEGIN {printf "%.2f (%.2f–%.2f)", a/1000, b/1000, c/1000}') | $(awk -v a="$(v full_article_p99us)" -v b="$(v full_article_p99us_min)" -v c="$(v full_article_p99us_max)" 'BEGIN {printf "%.2f (%.2f–%.2f)", a/1000, b/1000, c/1000}') |

Ratio ours / article in calls per second: $r_full ($(spread ratio_full)), the median
of the rounds (the two stacks run side by side, their runs alternate).

## 4. The firmware client

A loop of $(v client_calls) invocations of \`firmware-client getprodtypes aws\`
(host build) against our gateway, the loop on core 1, the gateway on core 0;
and the same loop starting \`/bin/true\`, which is what starting a process
costs on this machine. **Process start dominates**: an invocation takes
$(awk -v c="$(v client_cps)" 'BEGIN {printf "%.0f", (c > 0 ? 1e6 / c : 0)}') us of wall time, of which starting any process takes
$(awk -v c="$(v true_cps)" 'BEGIN {printf "%.0f", (c > 0 ? 1e6 / c : 0)}') us, while the call itself is a $(v serial_ours_p50us) us round trip
(section 1); the dynamic loader and libc start-up are also 9 in 10 of the
client's instructions (below).

| | per second |
| --- | --- |
| \`firmware-client getprodtypes aws\` | $(m client_cps) |
| \`/bin/true\` | $(m true_cps) |

Instructions (valgrind \`--tool=callgrind\`, Ir; \`tools/bench-callgrind.sh\`,
also checked against ceilings by \`make test\`: \`tests/perf/ceilings.txt\`):

| | instructions |
| --- | --- |
| firmware client, one \`getprodtypes aws\`, inside \`main()\` | $(v ir_client_main) |
| firmware client, the whole process (dynamic loader, libc start-up) | $(v ir_client_total) |
| gateway, per GetVendorProdTypes call, steady state | $(v ir_gateway_call) |

## 5. Gateway memory

* **1,000 open streams**: the gateway with \`--stream-delay-ms 10000\` (ours)
  or \`-stream-delay-ms 10000\` (grpc-go: the article's sleep between
  products), over our storage; \`h2load -c10 -m100 -n1000\` on
  \`GetVendorProds\`; VmRSS read once every stream has been received and has
  sent its first product. grpc-go dials storage per stream, so it also
  holds 1,000 storage connections: that is the article's design.
* **Peak RSS** (VmHWM) of our gateway after 10,000 calls and after
  $(v million), each from a fresh gateway and storage, in one h2load run over
  one set of connections (unary: \`-c100 -m10\`; GetVendorProds through
  storage: \`-c10 -m10\`), so that only the number of calls differs.

| gateway | idle VmRSS (KiB) | VmRSS, 1,000 open streams (KiB) |
| --- | --- | --- |
| ours | $(m rss_idle_ours_kb) | $(m rss_1k_ours_kb) |
| grpc-go, GOMAXPROCS=1 | $(m rss_idle_goours_kb) | $(m rss_1k_goours_kb) |

| our gateway, fresh, after | VmHWM (KiB) | run time (s) |
| --- | --- | --- |
| 10,000 GetVendorProdTypes | $(v hwm_unary_10k_kb) | $(v hwm_unary_10k_secs) |
| 100,000 GetVendorProdTypes | $(v hwm_unary_100k_kb) | $(v hwm_unary_100k_secs) |
| $(v million) GetVendorProdTypes | $(v hwm_unary_1m_kb) | $(v hwm_unary_1m_secs) |
| 10,000 GetVendorProds | $(v hwm_prods_10k_kb) | $(v hwm_prods_10k_secs) |
| 200,000 GetVendorProds | $(v hwm_prods_200k_kb) | $(v hwm_prods_200k_secs) |

Peak RSS after $(v million) unary calls: $(delta hwm_unary_1m_kb hwm_unary_10k_kb) against 10,000,
$(delta hwm_unary_1m_kb hwm_unary_100k_kb) against 100,000; after 200,000 GetVendorProds:
$(delta hwm_prods_200k_kb hwm_prods_10k_kb) against 10,000. The server keeps ended calls, with
their buffers, in a pool for reuse (\`rpc/src/server_call.c\`); the pool grows to
the most calls ever in flight at once, which \`-c100 -m10\` bounds at 1,000
(and the server at connections x 100 streams), and nghttp2 keeps no closed
streams (gRPC uses no priorities). "Equal" is judged within the allocator's
page-level noise: the larger of 1 % and the gap between the 10,000- and
100,000-call runs, two runs of the same work; a leak grows with the number
of calls and shows far past that.
Each open connection costs about 40 KiB. A gateway that serves one set of
100 connections after another settles about 2 MiB higher than a fresh one
(glibc keeps freed connection memory) and then stays flat: measured by hand,
not by this run.

## Running it

\`\`\`
make bench                     # builds, installs what it needs (tools/bench-deps.sh), ~$(( ($(v duration_s) + 59) / 60 )) min
BENCH_RUNS=3 make bench        # fewer runs; see tools/bench.sh for the other knobs
\`\`\`

The peers live in \`bench/\`: \`bench/go/prod_server.go\` (grpc-go,
built in GOPATH mode into \`build/bench/go/\`), \`bench/cpp/prod_server.cc\`
(grpc C++, unary only; protoc + \`grpc_cpp_plugin\` into
\`build/bench/cpp/gen\`, \`g++ -O2\` into \`build/bench/cpp/\`, rebuilt when its
source or \`proto/api.proto\` changes; $( [ "$(v cpp_build_s)" = cached ] && echo "not rebuilt by this run" || echo "built in $(v cpp_build_s) s by this run")), \`bench/py/prod_server.py\`
and \`bench/py/storage_server.py\` (grpcio). Quiet machines give tighter
spreads: \`make bench\` waits up to a minute for the load to drop below 1,
then measures anyway and records the load above.

## A fleet

$FLEET_MARK
${FLEET_SECTION:-(written by tools/bench-fleet.sh, which make bench runs next)}
$FLEET_MARK
EOF
} >"$DOCS/benchmarks.md"
