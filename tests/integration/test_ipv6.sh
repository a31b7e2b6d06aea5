#!/bin/bash
# IPv6 addresses in brackets on every hop: storage listening on [::1], the
# gateway's --storage [::1]:PORT (once refused: the channel kept the
# brackets), the gateway on [::1] and the client's --addr [::1]:PORT.
. "$(dirname "$0")/../lib/common.sh"
require_bins
ip -6 addr show lo 2>/dev/null | grep -q '::1/128' || bail "this machine has no IPv6 loopback (::1)"

# wait6 PORT PID: waits until [::1]:PORT accepts.
wait6() {
  local i=0
  while [ "$i" -lt 200 ]; do
    kill -0 "$2" 2>/dev/null || return 1
    "$PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET6); s.settimeout(0.5)
sys.exit(0 if s.connect_ex(("::1", int(sys.argv[1]))) == 0 else 1)' "$1" 2>/dev/null && return 0
    sleep 0.05
    i=$((i + 1))
  done
  return 1
}

SP=$(free_port)
GP=$(free_port)
SLOG=$TEST_TMP/storage.log
GLOG=$TEST_TMP/gateway.log
"$BIN/storage" --listen "[::1]:$SP" --db "$TEST_TMP/catalogue.db" 2>"$SLOG" &
DAEMON_PIDS+=($!)
DAEMON_LOGS+=("$SLOG")
wait6 "$SP" $! || bail "storage did not listen on [::1]:$SP: $(tail -3 "$SLOG")"
"$BIN/gateway" --listen "[::1]:$GP" --storage "[::1]:$SP" 2>"$GLOG" &
DAEMON_PIDS+=($!)
DAEMON_LOGS+=("$GLOG")
wait6 "$GP" $! || bail "gateway did not listen on [::1]:$GP: $(tail -3 "$GLOG")"

client --no-addr --addr "[::1]:$GP" getprods aws compute
check_rc "$RC" 0 "getprods over IPv6 on both hops exits 0"
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_aws_compute.txt)" \
  "getprods over IPv6: the whole answer from storage at [::1]"
client --no-addr --addr "[::1]:$GP" getprodtypes google
check_eq "$OUT" "google cloud products type are:  compute storage" "getprodtypes over IPv6"

# Without brackets an IPv6 address is ambiguous: a usage error, not a guess.
client --no-addr --addr "::1:$GP" getprodtypes google
check_rc "$RC" 1 "an unbracketed IPv6 --addr fails"
check_eq "$ERR" "rpc error: code = Unavailable desc = error while calling client.GetVendorProdTypes() method: connection error: bad address \"::1:$GP\"" \
  "an unbracketed IPv6 --addr says the address is bad"
finish
