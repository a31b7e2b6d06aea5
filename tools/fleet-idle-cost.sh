#!/bin/bash
# What an idle fleet costs this machine, with nothing else running: a
# gateway of FLEET_WORKERS processes holding FLEET_N fleet-sim devices that
# ping every FLEET_KEEPALIVE_MS (--tick-ms FLEET_TICK_MS), and over
# FLEET_SECONDS once they are up, the CPU of the gateway's processes, of
# fleet-sim's, and the machine's from /proc/stat (softirq apart: the
# loopback's TCP work, which the kernel counts to no process), each as a
# share of all cores, and the machine's CPU per PING (the PINGs counted by
# the gateway's /metrics).
#   tools/fleet-idle-cost.sh    (make -s BOARD=host all first)
# Knobs: FLEET_N (100000), FLEET_WORKERS (6), FLEET_KEEPALIVE_MS (15000),
# FLEET_TICK_MS (10), FLEET_SECONDS (10).
set -u
cd "$(dirname "$0")/.." || exit 1
N=${FLEET_N:-100000} WORKERS=${FLEET_WORKERS:-6} KA=${FLEET_KEEPALIVE_MS:-15000}
TICK=${FLEET_TICK_MS:-10} SECS=${FLEET_SECONDS:-10}
# shellcheck source=tools/fleet-lib.sh
. tools/fleet-lib.sh
fleet_setup fleet-idle-cost build/bench/fleet-idle
SP=$(free_port) GP=$(free_port) MP=$(free_port)
# the PINGs the gateway received (its /metrics, all workers)
pings() { curl -s "http://127.0.0.1:$MP/metrics" | sed -n 's/^grpc_server_keepalive_pings_total{direction="received"} //p'; }
"$ST" --listen "127.0.0.1:$SP" --db "$TMP/catalogue.db" 2>"$TMP/storage.log" &
PIDS+=($!)
"$GW" --listen "127.0.0.1:$GP" --storage "127.0.0.1:$SP" --workers "$WORKERS" \
  --max-connections $((N / WORKERS + 2000)) --keepalive-min-ms 10000 --metrics-listen "127.0.0.1:$MP" 2>/dev/null &
GPID=$!
PIDS+=("$GPID")
sleep 1
"$SIM" --addr "127.0.0.1:$GP" --channels "$N" --procs "$WORKERS" --sources 127.1.0.1/120 --rate 12000 \
  --hold-ms $(((SECS + 60) * 1000)) --keepalive-ms "$KA" --tick-ms "$TICK" --limit-ms $(((SECS + 120) * 1000)) \
  >"$TMP/fleet.sim" 2>&1 &
FPID=$!
PIDS+=("$FPID")
n=$(held_wait "$GP" "$N" "$FPID" 180) # up: all, or the ramp is over (3 minutes at most)
[ "$n" -ge $((N * 99 / 100)) ] || { echo "fleet-idle-cost: $n of $N devices connected" >&2; exit 1; }
sleep "${FLEET_SETTLE_S:-20}" # the ramp's last calls, and the first idle trims
g0=$(ticks "$GPID") f0=$(ticks "$FPID") s0=$(head -1 /proc/stat) p0=$(pings)
sleep "$SECS"
g1=$(ticks "$GPID") f1=$(ticks "$FPID") s1=$(head -1 /proc/stat) p1=$(pings)
printf '%s\n%s\n' "$s0" "$s1" | awk -v g=$((g1 - g0)) -v f=$((f1 - f0)) -v hz="$(getconf CLK_TCK)" \
  -v ncpu="$(nproc)" -v s="$SECS" -v n="$N" -v ka="$KA" -v pings=$((${p1:-0} - ${p0:-0})) -v up="$n" '
  NR == 1 {for (i = 2; i <= 9; i++) a[i] = $i}
  NR == 2 {
    all = hz * ncpu * s
    busy = ($2 - a[2]) + ($3 - a[3]) + ($4 - a[4]) + ($7 - a[7]) + ($8 - a[8]) + ($9 - a[9])
    printf "fleet-idle-cost: %d devices up, pinging every %g s, %d s on %d cores\n", up, ka / 1000, s, ncpu
    printf "fleet-idle-cost: machine busy %.1f %%: gateway %.1f %%, fleet-sim %.1f %%, softirq %.1f %%\n",
      100 * busy / all, 100 * g / all, 100 * f / all, 100 * ($8 - a[8]) / all
    if (pings > 0)
      printf "fleet-idle-cost: %.0f us of CPU a PING, the whole machine (%d PINGs the gateway received, %.0f expected)\n",
        busy / hz / pings * 1e6, pings, n / (ka / 1000) * s
  }'
