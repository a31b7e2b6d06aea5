#!/bin/bash
# shellcheck disable=SC2034  # variables read by lib/common.sh
# The fleet simulator (bench/fleet/, build/host/bin/fleet-sim) against the
# -O2 gateway, on loopback, with small numbers (make bench runs the big
# ones): 1,500 idle device channels from 4 source addresses held with
# keepalive while 20 devices call (unary and streams); what fleet-sim
# reports is checked against what the gateway's side shows (ss counts the
# established connections and their source addresses) and against the
# gateway's RSS per idle connection. Then --procs 2 (two processes, one
# report), PINGs spread over the keepalive interval (with --tick-ms),
# windows cut by SIGHUP on the same connections, mutual TLS (on
# sessions trimmed while idle, and resumed from one device's ticket with
# --resume), and the descriptor limits: fleet-sim refuses a share over its
# limit with the --procs to give, and a gateway that runs out of
# descriptors says so and keeps serving instead of spinning.
. "$(dirname "$0")/../lib/common.sh"
require_bins storage gateway
SIM=$TEST_ROOT/build/host/bin/fleet-sim
GW_O2=$TEST_ROOT/build/host/bin/gateway
[ -x "$SIM" ] && [ -x "$GW_O2" ] || bail "build/host/bin/fleet-sim and gateway missing (make BOARD=host)"
command -v ss >/dev/null || bail "ss (iproute2) missing"

# est PORT: established connections to the gateway's port, as the kernel sees them.
est() { ss -Htn state established "( sport = :$1 )" | wc -l; }
# field FILE LINE-PREFIX KEY: KEY=value from fleet-sim's report line.
field() { grep "^fleet: $2" "$1" | head -1 | tr ' ' '\n' | sed -n "s/^$3=//p"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

start_storage
GATEWAY_EXE=$GW_O2 start_gateway --max-connections 5000 --keepalive-min-ms 500

# --- 1. 1,500 idle devices, 20 active ------------------------------------------
r0=$(rss_kb "$GATEWAY_PID")
OUT1=$TEST_TMP/fleet1.out
"$SIM" --addr "127.0.0.1:$GATEWAY_PORT" --channels 1500 --active 20 --sources 127.0.5.1/4 --rate 3000 \
  --hold-ms 5000 --keepalive-ms 1000 --stream-every 5 --limit-ms 60000 >"$OUT1" 2>&1 &
SIMPID=$!
n=0
for _ in $(seq 150); do
  n=$(est "$GATEWAY_PORT")
  [ "$n" -ge 1520 ] && break
  sleep 0.1
done
sleep 2.5 # idle for the once-a-second trim
n=$(est "$GATEWAY_PORT")
r1=$(rss_kb "$GATEWAY_PID")
srcs=$(ss -Htn state established "( sport = :$GATEWAY_PORT )" | awk '{split($4, a, ":"); print a[1]}' | sort -u | tr '\n' ' ')
wait "$SIMPID"
check_rc "$?" 0 "1,500 idle + 20 active: fleet-sim exits 0"
sed 's/^/# /' "$OUT1"
check_eq "$(field "$OUT1" procs connected) $(field "$OUT1" procs failed)" "1500 0" \
  "every idle device connected (fleet-sim)"
check_eq "$n" 1520 "the gateway holds 1,520 connections during the hold (ss)"
check_eq "$srcs" "127.0.5.1 127.0.5.2 127.0.5.3 127.0.5.4 " "from the 4 source addresses given (ss)"
check_eq "$(field "$OUT1" procs still_up)" 1500 "all 1,500 still up at the end (fleet-sim)"
calls=$(field "$OUT1" GetVendorProdTypes calls)
[ "${calls:-0}" -gt 100 ] && [ "$calls" = "$(field "$OUT1" GetVendorProdTypes ok)" ] &&
  ok "the active devices' unary calls all succeed ($calls)" ||
  not_ok "the active devices' unary calls all succeed" "$(grep GetVendorProdTypes "$OUT1")"
scalls=$(field "$OUT1" GetVendorProds calls)
[ "${scalls:-0}" -gt 10 ] && [ "$scalls" = "$(field "$OUT1" GetVendorProds ok)" ] &&
  ok "and their streams ($scalls)" || not_ok "and their streams" "$(grep 'GetVendorProds ' "$OUT1")"
pings=$(field "$OUT1" hold_s keepalive_pings)
[ "${pings:-0}" -ge 1500 ] && ok "the idle channels ping (keepalive, $pings PINGs)" ||
  not_ok "the idle channels ping" "keepalive_pings=$pings"
per=$(((r1 - r0) * 1024 / (n > 0 ? n : 1)))
echo "# gateway RSS $r0 -> $r1 KiB: $per bytes per idle connection"
[ "$per" -le 12288 ] && ok "gateway RSS per idle h2c connection: $per B (<= 12 KiB)" ||
  not_ok "gateway RSS per idle h2c connection <= 12 KiB" "$per B"
check_log "$GATEWAY_LOG" "Serving gRPC" "the gateway served on" # still alive

# --- 2. two processes, one report ----------------------------------------------------
OUT2=$TEST_TMP/fleet2.out
"$SIM" --addr "127.0.0.1:$GATEWAY_PORT" --channels 400 --active 4 --procs 2 --sources 127.0.6.1/4 \
  --hold-ms 1000 >"$OUT2" 2>&1
check_rc "$?" 0 "--procs 2: exit 0"
check_eq "$(field "$OUT2" procs procs) $(field "$OUT2" procs connected)" "2 400" \
  "--procs 2: the report covers both processes' 400 channels"
[ "$(field "$OUT2" GetVendorProdTypes calls)" -gt 0 ] && ok "--procs 2: calls merged" ||
  not_ok "--procs 2: calls merged" "$(cat "$OUT2")"

# --- 2b. the PINGs spread over the interval ---------------------------------------------
# keepalive every 20 s and a 4 s hold: each device's first PING at a random
# point of its first 20 s (rpc_channel_ping), so about a fifth of them ping
# within the hold; with every first PING at 20 s after its call, none would.
# --tick-ms 10 (the fleet's I/O every 10 ms in the hold, as make bench runs
# it) must not lose a PING or a channel.
OUT2B=$TEST_TMP/fleet2b.out
"$SIM" --addr "127.0.0.1:$GATEWAY_PORT" --channels 300 --sources 127.0.7.1/2 --rate 3000 \
  --hold-ms 4000 --keepalive-ms 20000 --tick-ms 10 --limit-ms 30000 >"$OUT2B" 2>&1
check_rc "$?" 0 "PINGs spread: exit 0"
pings=$(field "$OUT2B" hold_s keepalive_pings)
[ "${pings:-0}" -ge 20 ] && [ "$pings" -le 150 ] &&
  ok "PINGs spread over the interval: $pings of 300 devices in the first 4 s of 20 s" ||
  not_ok "PINGs spread over the interval (20 to 150 of 300)" "keepalive_pings=$pings"
check_eq "$(field "$OUT2B" procs still_up)" 300 "PINGs spread: all 300 answered, still up"

# --- 2c. windows cut by SIGHUP, on the same connections ----------------------------------
# --windows 3: each SIGHUP to fleet-sim (forwarded to its processes) ends a
# window, the third ends the hold, long before --hold-ms; a report line a
# window, with its own length; the devices' connections (their local ports,
# as ss shows them) are the same in every window
OUT2C=$TEST_TMP/fleet2c.out
ports() { ss -Htn state established "( dport = :$GATEWAY_PORT )" src 127.0.8.1 | awk '{print $3}' | sort | tr '\n' ' '; }
t0=$(date +%s)
"$SIM" --addr "127.0.0.1:$GATEWAY_PORT" --active 4 --procs 2 --sources 127.0.8.1/1 --windows 3 \
  --hold-ms 60000 --limit-ms 60000 >"$OUT2C" 2>&1 &
SIMPID=$!
sleep 1
p1=$(ports)
kill -HUP "$SIMPID"
sleep 1
kill -HUP "$SIMPID"
sleep 0.5
p3=$(ports)
kill -HUP "$SIMPID"
wait "$SIMPID"
check_rc "$?" 0 "--windows 3: exit 0 at the third SIGHUP"
[ $(($(date +%s) - t0)) -lt 20 ] && ok "--windows: the last window ends the hold (not --hold-ms)" ||
  not_ok "--windows: the last window ends the hold" "$(($(date +%s) - t0)) s"
wl=$(grep -c "^fleet: window=[123] s=[0-9.]* GetVendorProdTypes calls=[1-9]" "$OUT2C")
check_eq "$wl" 3 "--windows: a report line a window, each with calls"
w2=$(grep "^fleet: window=2 " "$OUT2C" | sed -n 's/.* s=\([0-9.]*\) .*/\1/p')
awk -v s="${w2:-0}" 'BEGIN {exit !(s >= 0.8 && s <= 1.6)}' && ok "--windows: window 2 lasted its 1 s ($w2 s)" ||
  not_ok "--windows: window 2 lasted its 1 s" "s=$w2"
[ -n "$p1" ] && [ "$(echo "$p1" | wc -w)" -eq 4 ] && [ "$p1" = "$p3" ] &&
  ok "--windows: the same 4 connections in every window" ||
  not_ok "--windows: the same 4 connections in every window" "first: $p1; last: $p3"

# --- 3. fleet-sim's own descriptor limit -----------------------------------------------
out=$(ulimit -n 500 && "$SIM" --addr "127.0.0.1:$GATEWAY_PORT" --channels 1000 --hold-ms 100 2>&1)
rc=$?
check_rc "$rc" 1 "1,000 channels under a 500-descriptor limit: fleet-sim refuses (exit 1)"
case "$out" in *"give --procs 3"*) ok "and says to give --procs 3" ;;
*) not_ok "and says how many --procs" "$out" ;; esac
stop_daemon "$GATEWAY_PID"

# --- 4. mutual TLS --------------------------------------------------------------------
C=$TEST_TMP/certs
bash "$TEST_ROOT/tools/certs.sh" "$C" >/dev/null 2>&1 || bail "cannot make the test certificates"
# Idle a second, a connection gives its record buffers back (rpc_tls_trim)
# and its handshake's leftovers are gone already: the keepalive PINGs
# every 2.5 s and the active devices' calls every 1.5 s each come to a
# trimmed session, which must still read and write its records.
GATEWAY_EXE=$GW_O2 start_gateway --tls-cert "$C/server.pem" --tls-key "$C/server.key" --tls-client-ca "$C/ca.pem" \
  --keepalive-min-ms 500
OUT4=$TEST_TMP/fleet4.out
"$SIM" --addr "127.0.0.1:$GATEWAY_PORT" --channels 40 --active 2 --rate 200 --hold-ms 6000 \
  --keepalive-ms 2500 --pause-ms 1500 \
  --ca "$C/ca.pem" --cert "$C/device.pem" --key "$C/device.key" --server-name localhost >"$OUT4" 2>&1
check_rc "$?" 0 "mutual TLS: exit 0"
check_eq "$(field "$OUT4" procs connected) $(field "$OUT4" hold_s tls_handshakes)" "40 42" \
  "mutual TLS: 40 idle devices connected, 42 full handshakes (fleet-sim)"
check_eq "$(field "$OUT4" procs still_up) $(field "$OUT4" procs lost)" "40 0" \
  "mutual TLS: every idle device still up after 6 s of trims and PINGs"
pings=$(field "$OUT4" hold_s keepalive_pings)
[ "${pings:-0}" -ge 40 ] && ok "mutual TLS: the idle devices' PINGs answered on trimmed sessions ($pings)" ||
  not_ok "mutual TLS: the idle devices' PINGs answered on trimmed sessions" "keepalive_pings=$pings"
calls=$(field "$OUT4" GetVendorProdTypes calls) okc=$(field "$OUT4" GetVendorProdTypes ok)
[ "${calls:-0}" -ge 6 ] && [ "$calls" = "$okc" ] &&
  ok "mutual TLS: calls after a second idle all succeed ($okc of $calls)" ||
  not_ok "mutual TLS: calls after a second idle all succeed" "calls=$calls ok=$okc"
# --resume: the first device's session (its TLS 1.3 ticket) is offered by
# the 41 others; the gateway's own log counts the resumptions
before=$(grep -c "tls: resumed session" "$GATEWAY_LOG")
OUT6=$TEST_TMP/fleet6.out
"$SIM" --addr "127.0.0.1:$GATEWAY_PORT" --channels 40 --active 2 --rate 200 --hold-ms 500 --resume \
  --ca "$C/ca.pem" --cert "$C/device.pem" --key "$C/device.key" --server-name localhost >"$OUT6" 2>&1
check_rc "$?" 0 "resuming: exit 0"
check_eq "$(field "$OUT6" procs connected) $(field "$OUT6" hold_s tls_handshakes) $(field "$OUT6" hold_s tls_resumed)" \
  "40 1 41" "resuming: 40 idle devices connected, 1 full handshake and 41 resumed (fleet-sim)"
after=$(grep -c "tls: resumed session with .*, device board-0001" "$GATEWAY_LOG")
check_eq "$((after - before))" 41 "resuming: the gateway logs 41 resumed sessions of board-0001"
calls=$(field "$OUT6" GetVendorProdTypes calls) okc=$(field "$OUT6" GetVendorProdTypes ok)
[ "${calls:-0}" -ge 2 ] && [ "$calls" = "$okc" ] && ok "resuming: the active devices' calls succeed ($okc)" ||
  not_ok "resuming: the active devices' calls succeed" "calls=$calls ok=$okc"
stop_daemon "$GATEWAY_PID"

# --- 5. a gateway out of descriptors ----------------------------------------------------
GATEWAY_N=$((GATEWAY_N + 1))
GATEWAY_PORT=$(free_port)
GATEWAY_LOG=$TEST_TMP/gateway.$GATEWAY_N.log
(ulimit -n 200 && exec "$GW_O2" --listen "127.0.0.1:$GATEWAY_PORT" --storage "127.0.0.1:$STORAGE_PORT") \
  >"$GATEWAY_LOG.out" 2>"$GATEWAY_LOG" &
GATEWAY_PID=$!
DAEMON_PIDS+=("$GATEWAY_PID")
DAEMON_LOGS+=("$GATEWAY_LOG")
wait_port "$GATEWAY_PORT" "$GATEWAY_PID" 10 || bail "the limited gateway did not start"
t0=$(awk '{print $14 + $15}' "/proc/$GATEWAY_PID/stat")
"$SIM" --addr "127.0.0.1:$GATEWAY_PORT" --channels 400 --rate 2000 --hold-ms 500 --timeout-ms 1500 \
  --limit-ms 4000 >"$TEST_TMP/fleet5.out" 2>&1
t1=$(awk '{print $14 + $15}' "/proc/$GATEWAY_PID/stat")
check_log "$GATEWAY_LOG" "cannot accept connections: Too many open files: [0-9]+ open, the process may have 200 descriptors" \
  "at its descriptor limit the gateway says so"
lines=$(grep -c "cannot accept connections" "$GATEWAY_LOG")
[ "$lines" -le 2 ] && ok "once, not once a loop turn ($lines lines in 4 s)" ||
  not_ok "once, not once a loop turn" "$lines lines"
# spinning on the listening socket would take most of a core for 4 s (~400 ticks)
[ $((t1 - t0)) -le 100 ] && ok "and does not spin: $((t1 - t0)) clock ticks of CPU while refused" ||
  not_ok "and does not spin" "$((t1 - t0)) clock ticks of CPU in 4 s"
client getprodtypes aws
check_eq "$OUT" "aws cloud products type are:  compute storage" "once the devices are gone it serves again"
finish
