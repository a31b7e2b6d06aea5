#!/bin/bash
# storage-backends: sqlite postgresql (tests/run.sh runs it on both)
# shellcheck disable=SC2034  # variables read by lib/common.sh
# The gateway's storage channel runs the device's keepalive (rpc_link): with
# --storage-keepalive-ms it pings storage while idle, at that interval, and a
# storage that stops answering (a proxy that swallows everything) is dropped
# within keepalive + timeout; the next call reconnects. Counted by the proxy
# between the two (tests/lib/h2proxy.py).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/channel.sh"
require_bins

start_storage --keepalive-min-ms 100
PPORT=$(free_port)
start_proxy "$PPORT" "$STORAGE_PORT"
start_gateway --storage-port "$PPORT" --storage-keepalive-ms 200 --storage-keepalive-timeout-ms 300

client getprods google compute
check_rc "$RC" 0 "getprods through the proxy: exit 0"
sleep 1.3
pings=$(proxy_count ' c2s 1 PING 0$' "$PROXY_LOG")
med=$(ping_intervals "$PROXY_LOG" 1 | median)
check_between "$pings" 4 8 "the gateway pings idle storage ($pings PINGs in 1.3 s at 200 ms, proxy)"
check_between "$med" 180 320 "200 ms apart (median $med ms, proxy)"

kill -USR1 "$PROXY_PID"
sleep 1.2
stall=$(awk '$2 == "stall" { print $1; exit }' "$PROXY_LOG")
closed=$(awk '$2 == "close" && $3 == 1 { print $1; exit }' "$PROXY_LOG")
check_between $((${closed:-0} - ${stall:-0})) 0 1000 \
  "a silent storage is dropped within 200 + 300 ms (proxy)"
client getprods google compute
check_rc "$RC" 0 "the next getprods reconnects: exit 0"
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_google_compute.txt)" \
  "the next getprods reconnects: output"
check_eq "$(proxy_count ' open ' "$PROXY_LOG")" 2 "a second connection to storage (proxy)"
finish
