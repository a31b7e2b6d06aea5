#!/bin/bash
# What a fleet costs 100 calling devices, against this machine's drift: the
# 100 (fleet-sim --active, one process pair, the same 100 connections
# throughout) call through a gateway of FLEET_WORKERS processes in 8 s
# windows cut by SIGHUP, and FLEET_CYCLES times over, a window alone is
# followed by FLEET_N idle devices pinging every FLEET_KEEPALIVE_MS, a window
# beside them once they are up, and their end. bench-fleet.sh's windows
# come in three blocks (alone, beside, alone) and this machine drifts by
# 10-35 % within a run; here each window beside has an alone one 30 s
# before it, and the ratios are per cycle. Prints a line a cycle (calls a
# second and p99 of both windows) and the mean and median of the ratios.
#   tools/fleet-alternate.sh    (make -s BOARD=host all first)
# Knobs: FLEET_N (100000), FLEET_WORKERS (6), FLEET_KEEPALIVE_MS (15000),
# FLEET_CYCLES (4).
set -u
cd "$(dirname "$0")/.." || exit 1
N=${FLEET_N:-100000} WORKERS=${FLEET_WORKERS:-6} KA=${FLEET_KEEPALIVE_MS:-15000}
CYCLES=${FLEET_CYCLES:-4}
# shellcheck source=tools/fleet-lib.sh
. tools/fleet-lib.sh
fleet_setup fleet-alternate build/bench/fleet-alternate
SP=$(free_port) GP=$(free_port)
"$ST" --listen "127.0.0.1:$SP" --db "$TMP/catalogue.db" 2>"$TMP/storage.log" &
PIDS+=($!)
"$GW" --listen "127.0.0.1:$GP" --storage "127.0.0.1:$SP" --workers "$WORKERS" \
  --max-connections $((N / WORKERS + 2000)) --keepalive-min-ms 10000 2>/dev/null &
PIDS+=($!)
sleep 1
# windows: a warm-up, then per cycle: alone, the ramp, beside, the end
"$SIM" --addr "127.0.0.1:$GP" --active 100 --procs 2 --sources 127.4.0.1/10 \
  --windows $((4 * CYCLES + 1)) --hold-ms 3600000 --limit-ms 3600000 >"$TMP/active.sim" 2>&1 &
APID=$!
PIDS+=("$APID")
window() { sleep "$1" && kill -HUP "$APID"; }
window 2
for c in $(seq "$CYCLES"); do
  window 8
  "$SIM" --addr "127.0.0.1:$GP" --channels "$N" --procs "$WORKERS" --sources 127.1.0.1/120 --rate 12000 \
    --hold-ms 20000 --keepalive-ms "$KA" --tick-ms 10 --limit-ms 180000 >"$TMP/fleet.$c.sim" 2>&1 &
  FPID=$!
  n=$(held_wait "$GP" "$((N + 100))" "$FPID" 60)
  kill -HUP "$APID" # the ramp's window ends when the fleet is up
  window 8
  wait "$FPID"
  window 3 # the fleet's end, and the kernel's
  echo "fleet-alternate: cycle $c: $((n - 100)) of $N devices up; $(grep -h 'keepalive_pings=' "$TMP/fleet.$c.sim" | sed 's/.*\(keepalive_pings=[0-9]*\).*/\1/')"
done
wait "$APID"
grep -q "window=$((4 * CYCLES + 1)) " "$TMP/active.sim" || { echo "fleet-alternate: the 100 did not finish; $TMP/active.sim" >&2; exit 1; }
awk -v ka="$KA" -v n="$N" '
  /window=/ { split($2, w, "="); split($7, r, "="); split($9, p, "="); rate[w[2]] = r[2]; p99[w[2]] = p[2] }
  END {
    for (c = 0; 4 * c + 5 in rate; c++) {
      a = rate[4 * c + 2]; b = rate[4 * c + 4]
      q[c] = b / a; sum += q[c]
      printf "fleet-alternate: cycle %d: alone %d calls/s (p99 %.1f ms), beside %d devices at %g s %d calls/s (p99 %.1f ms): %.2f\n",
        c + 1, a, p99[4 * c + 2] / 1000, n, ka / 1000, b, p99[4 * c + 4] / 1000, q[c]
    }
    for (i = 0; i < c; i++) for (j = i + 1; j < c; j++) if (q[j] < q[i]) { t = q[i]; q[i] = q[j]; q[j] = t }
    med = c % 2 ? q[int(c / 2)] : (q[c / 2 - 1] + q[c / 2]) / 2
    printf "fleet-alternate: beside the fleet / alone: mean %.2f, median %.2f, %.2f-%.2f (%d cycles)\n",
      sum / c, med, q[0], q[c - 1], c
  }' "$TMP/active.sim"
