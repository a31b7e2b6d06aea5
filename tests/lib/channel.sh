# shellcheck shell=bash disable=SC2034
# The device channel's suite (one connection for many calls, reconnection,
# drain, keepalive, TLS resumption), for a Linux board or the host: source
# tests/qemu/board.sh, then call channel_suite BOARD (host: the host-asan
# client). Connections and frames are counted by tests/lib/h2proxy.py, a
# proxy between the client and the gateway, not by the client's own
# --stats alone; the gateway's log shows the device's identity.

PROXY=$TEST_ROOT/tests/lib/h2proxy.py
UNAVAIL_RE='^rpc error: code = Unavailable desc = '
AWS_LINE='aws cloud products type are:  compute storage'
PROXY_N=0
# The gateway tolerates a PING every 10 s by default (docs/design.md,
# "Keepalive"); these tests ping every few hundred ms.
GW_KA=(--keepalive-min-ms 100)

# start_proxy PORT TARGET_PORT[,TARGET_PORT...] [PROXY ARGS...]: sets
# PROXY_PID, PROXY_LOG.
start_proxy() {
  local port=$1 t targets=""
  for t in ${2//,/ }; do targets="$targets${targets:+,}127.0.0.1:$t"; done
  PROXY_N=$((PROXY_N + 1))
  PROXY_LOG=$TEST_TMP/proxy.$PROXY_N.log
  : >"$PROXY_LOG"
  $PY "$PROXY" --listen-host "${LISTEN_HOST:-127.0.0.1}" --port "$port" --target "$targets" \
    --log "$PROXY_LOG" "${@:3}" 2>>"$PROXY_LOG.err" &
  PROXY_PID=$!
  DAEMON_PIDS+=("$PROXY_PID")
  wait_line "$PROXY_LOG" " listen " || bail "the proxy did not start"
}

# wait_line FILE STRING: up to 5 s for a line of FILE holding STRING (a
# helper's "ready" line); 0 if it came.
wait_line() {
  local i=0
  while ! grep -qF -- "$2" "$1" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
  done
  grep -qF -- "$2" "$1" 2>/dev/null
}

# proxy_count PATTERN LOG...: lines of the proxies' logs matching PATTERN.
proxy_count() {
  local pat=$1
  shift
  cat "$@" | grep -Ec -- "$pat"
}

# ch_bg PREFIX ARGS...: the board's client against PPORT in the background;
# PREFIX.{out,err,rc}. Sets CH_PID.
ch_bg() {
  local p=$1
  shift
  (
    # QEMU's own noise is filtered as it comes: the tests wait for lines
    board_run "127.0.0.1:$PPORT" "$@" >"$p.out" 2> >(grep --line-buffered -v -- "$QEMU_NOISE" >"$p.err")
    echo $? >"$p.rc"
    wait $! 2>/dev/null # the filter has written its last line
  ) &
  CH_PID=$!
}

lines() { { wc -l <"$1"; } 2>/dev/null || echo 0; }

# wait_lines FILE N SECONDS: until FILE has N lines (0 if it came).
wait_lines() {
  local f=$1 n=$2 i=0 max=$(($3 * 20))
  while [ "$(lines "$f")" -lt "$n" ] && [ $i -lt $max ]; do
    sleep 0.05
    i=$((i + 1))
  done
  [ "$(lines "$f")" -ge "$n" ]
}

# ch_done PREFIX: waits for the client; sets RC, OUT, ERR.
ch_done() {
  wait "$CH_PID"
  RC=$(cat "$1.rc" 2>/dev/null || echo 124) OUT=$(cat "$1.out") ERR=$(cat "$1.err")
  if grep -Eq "$SANITIZER_RE" "$1.err"; then
    not_ok "$BOARD: no sanitizer report from the client" "$(grep -E -m3 -A12 "$SANITIZER_RE" "$1.err")"
  fi
}

# stats_line: the client's --stats line (the last line of stderr).
stats_line() { printf '%s\n' "$ERR" | grep '^channel: ' | tail -1; }

# ping_intervals LOG CONN: ms between the client's successive PINGs on
# connection CONN, one per line.
ping_intervals() {
  awk -v c="$2" '$2 == "c2s" && $3 == c && $4 == "PING" && $5 == 0 {
    if (prev) print $1 - prev; prev = $1 }' "$1"
}
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print 0 }'; }

# tap_watch PORT LOG: tests/lib/tapwatch.py on the namespace's tap, logging
# the segments that open and refuse connections to PORT. Sets TAPWATCH_PID.
tap_watch() {
  $PY "$TEST_ROOT/tests/lib/tapwatch.py" --tap "$NETNS_TAP" --port "$1" --log "$2" 2>>"$2.err" &
  TAPWATCH_PID=$!
  DAEMON_PIDS+=("$TAPWATCH_PID")
  wait_line "$2" " listening" || { not_ok "$BOARD: tapwatch.py started" "$(cat "$2.err")"; return 1; }
}

# restart_gateway PORT [ARGS...]: a gateway on the same port as before.
restart_gateway() {
  local port=$1
  shift
  GATEWAY_N=$((GATEWAY_N + 1))
  GATEWAY_LOG=$TEST_TMP/gateway.$GATEWAY_N.log
  : >"$GATEWAY_LOG"
  start_daemon gateway "$port" "$GATEWAY_LOG" --listen "${LISTEN_HOST:-127.0.0.1}:$port" \
    --storage "127.0.0.1:$STORAGE_PORT" "$@" || bail "gateway did not restart"
  GATEWAY_PID=$LAST_PID
  GATEWAY_PORT=$port
}

channel_plain() {
  local p gport

  # 1. Five calls, one TCP connection (one HTTP/2 preface), five streams.
  start_gateway "${GW_KA[@]}"
  PPORT=$(free_port)
  start_proxy "$PPORT" "$GATEWAY_PORT"
  p=$TEST_TMP/five
  ch_bg "$p" --repeat 5 --stats getprodtypes aws
  ch_done "$p"
  check_rc "$RC" 0 "$BOARD: five calls: exit 0"
  check_eq "$OUT" "$(for _ in 1 2 3 4 5; do echo "$AWS_LINE"; done)" "$BOARD: five calls: five answers"
  check_eq "$(stats_line)" "channel: calls=5 connects=1 handshakes=0 resumed=0 pings=0" \
    "$BOARD: five calls: --stats"
  check_eq "$(proxy_count ' open ' "$PROXY_LOG")" 1 "$BOARD: five calls over one TCP connection (proxy)"
  check_eq "$(proxy_count ' c2s 1 HEADERS ' "$PROXY_LOG")" 5 "$BOARD: five streams on it (proxy)"
  stop_daemon "$PROXY_PID"

  # 2. The gateway is killed after the first call and comes back during the
  #    second, which waits for ready: every call succeeds, on two connections.
  #    The proxy dies and returns with it, so the port refuses in between.
  gport=$GATEWAY_PORT
  start_proxy "$PPORT" "$gport"
  local logs=("$PROXY_LOG")
  p=$TEST_TMP/wfr
  ch_bg "$p" --repeat 3 --every 2000 --wait-for-ready --timeout 10 --stats getprodtypes aws
  wait_lines "$p.out" 1 20 || not_ok "$BOARD: wait-for-ready: the first call answered"
  stop_daemon "$PROXY_PID" KILL
  stop_daemon "$GATEWAY_PID" KILL
  sleep 3 # the second call starts at 2 s and waits
  restart_gateway "$gport" "${GW_KA[@]}"
  start_proxy "$PPORT" "$gport"
  logs+=("$PROXY_LOG")
  ch_done "$p"
  check_rc "$RC" 0 "$BOARD: gateway restarted, wait-for-ready: exit 0"
  check_eq "$OUT" "$(for _ in 1 2 3; do echo "$AWS_LINE"; done)" "$BOARD: wait-for-ready: three answers"
  check_eq "$(stats_line | sed 's/ handshakes.*//')" "channel: calls=3 connects=2" \
    "$BOARD: wait-for-ready: connects=2 (--stats)"
  check_eq "$(proxy_count ' open ' "${logs[@]}")" 2 "$BOARD: wait-for-ready: two connections (proxy)"
  stop_daemon "$PROXY_PID"

  # 3. The same outage without wait-for-ready: the call made during it fails
  #    with Unavailable at once; the next succeeds on a new connection.
  start_proxy "$PPORT" "$gport"
  logs=("$PROXY_LOG")
  p=$TEST_TMP/failfast
  local t0 t1 watch="" wlog=$TEST_TMP/tapwatch.log
  if [ -n "${LWIP:-}" ]; then tap_watch "$PPORT" "$wlog" && watch=$TAPWATCH_PID; fi
  ch_bg "$p" --repeat 3 --every 2000 --stats getprodtypes aws
  wait_lines "$p.out" 1 20 || not_ok "$BOARD: fail-fast: the first call answered"
  t0=$(now_ms)
  stop_daemon "$PROXY_PID" KILL
  stop_daemon "$GATEWAY_PID" KILL
  wait_lines "$p.err" 1 10 || not_ok "$BOARD: fail-fast: the second call failed"
  t1=$(now_ms)
  [ -n "$watch" ] && stop_daemon "$watch"
  restart_gateway "$gport" "${GW_KA[@]}"
  start_proxy "$PPORT" "$gport"
  logs+=("$PROXY_LOG")
  ch_done "$p"
  check_rc "$RC" 1 "$BOARD: fail-fast: exit 1 (one call failed)"
  check_eq "$OUT" "$(printf '%s\n%s' "$AWS_LINE" "$AWS_LINE")" "$BOARD: fail-fast: the first and third calls answered"
  if printf '%s\n' "$ERR" | head -1 | grep -Eq "$UNAVAIL_RE"; then
    ok "$BOARD: fail-fast: the call during the outage: Unavailable"
  else
    not_ok "$BOARD: fail-fast: the call during the outage: Unavailable" "stderr: $ERR"
  fi
  if [ -n "$watch" ]; then
    # an emulated board's clock runs slow on a busy machine, so its 2 s
    # pause is timed on the wire: the call's dial (SYN) and the refusal
    local syn rst
    syn=$(awk -v t="$t0" -v b="$NETNS_BOARD_IP:" '$1 >= t && index($2, b) == 1 && $4 == "S" { print $1; exit }' "$wlog")
    rst=$(awk -v t="${syn:-$t1}" -v b="$NETNS_BOARD_IP:" '$1 >= t && index($3, b) == 1 && $4 ~ /R/ { print $1; exit }' "$wlog")
    if [ -n "$syn" ] && [ -n "$rst" ]; then
      check_between $((syn - t0)) 1500 60000 "$BOARD: fail-fast: the call dialled after its 2 s pause (tap)"
      check_between $((t1 - rst)) 0 1000 "$BOARD: fail-fast: Unavailable within a second of the refusal (tap)"
    else
      not_ok "$BOARD: fail-fast: the call's dial and its refusal on the tap" "$(cat "$wlog")"
    fi
  else
    # it starts 2 s after the first call's answer and must fail within 1 s
    check_between $((t1 - t0)) 1500 3000 "$BOARD: fail-fast: Unavailable within a second of the call"
  fi
  check_eq "$(stats_line | sed 's/ handshakes.*//')" "channel: calls=3 connects=2" \
    "$BOARD: fail-fast: connects=2 (--stats)"
  check_eq "$(proxy_count ' open ' "${logs[@]}")" 2 "$BOARD: fail-fast: two connections (proxy)"
  stop_daemon "$PROXY_PID"

  # 4. The gateway is drained (SIGTERM) between calls while a new one takes
  #    its port: the client sees the GOAWAY, and every call succeeds.
  start_proxy "$PPORT" "$gport"
  p=$TEST_TMP/drain
  ch_bg "$p" --repeat 3 --every 1500 --stats getprodtypes aws
  wait_lines "$p.out" 1 20 || not_ok "$BOARD: drain: the first call answered"
  kill -TERM "$GATEWAY_PID"
  local old=$GATEWAY_PID i=0
  STOPPED_PIDS="$STOPPED_PIDS$old " # its exit is the point
  while kill -0 "$old" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
  restart_gateway "$gport" "${GW_KA[@]}"
  ch_done "$p"
  check_rc "$RC" 0 "$BOARD: drain: exit 0"
  check_eq "$OUT" "$(for _ in 1 2 3; do echo "$AWS_LINE"; done)" "$BOARD: drain: three answers"
  check_eq "$(proxy_count ' s2c 1 GOAWAY ' "$PROXY_LOG")" 1 "$BOARD: drain: the GOAWAY reached the client (proxy)"
  check_eq "$(proxy_count ' open ' "$PROXY_LOG")" 2 "$BOARD: drain: the next call took a new connection (proxy)"
  stop_daemon "$PROXY_PID"

  # 5. Keepalive while idle: PINGs on the wire every keepalive-ms.
  start_proxy "$PPORT" "$gport"
  p=$TEST_TMP/ka
  ch_bg "$p" --repeat 2 --every 1500 --keepalive-ms 200 --stats getprodtypes aws
  ch_done "$p"
  check_rc "$RC" 0 "$BOARD: keepalive: exit 0"
  local pings med
  pings=$(proxy_count ' c2s 1 PING 0$' "$PROXY_LOG")
  med=$(ping_intervals "$PROXY_LOG" 1 | median)
  check_between "$pings" 4 8 "$BOARD: keepalive: PINGs while idle for 1.5 s at 200 ms (proxy: $pings)"
  check_between "$med" 180 320 "$BOARD: keepalive: PINGs 200 ms apart (proxy: median $med ms)"
  check_eq "$(stats_line | sed 's/.*pings=//')" "$pings" "$BOARD: keepalive: --stats pings= as the proxy counts"
  stop_daemon "$PROXY_PID"

  # 6. A peer that stops answering but keeps the socket open is found within
  #    keepalive-time + keepalive-timeout; the next call takes a new connection.
  start_proxy "$PPORT" "$gport"
  p=$TEST_TMP/dead
  ch_bg "$p" --repeat 2 --every 2500 --keepalive-ms 300 --keepalive-timeout-ms 400 --stats \
    getprodtypes aws
  wait_lines "$p.out" 1 20 || not_ok "$BOARD: dead peer: the first call answered"
  kill -USR1 "$PROXY_PID"
  ch_done "$p"
  check_rc "$RC" 0 "$BOARD: dead peer: exit 0"
  check_eq "$OUT" "$(printf '%s\n%s' "$AWS_LINE" "$AWS_LINE")" "$BOARD: dead peer: both calls answered"
  local stall closed
  stall=$(awk '$2 == "stall" { print $1; exit }' "$PROXY_LOG")
  closed=$(awk '$2 == "close" && $3 == 1 { print $1; exit }' "$PROXY_LOG")
  check_between $((${closed:-0} - ${stall:-0})) 0 1200 \
    "$BOARD: dead peer: the client closed it within 300 + 400 ms of its silence (proxy)"
  check_eq "$(proxy_count ' open ' "$PROXY_LOG")" 2 "$BOARD: dead peer: the next call took a new connection (proxy)"
  stop_daemon "$PROXY_PID"
  stop_daemon "$GATEWAY_PID"

  # 7. A gateway that tolerates pings no more often than every 400 ms: its
  #    GOAWAY too_many_pings halves the client's rate; calls still succeed.
  restart_gateway "$gport" --keepalive-min-ms 400 --keepalive-permit-without-calls
  start_proxy "$PPORT" "$gport"
  p=$TEST_TMP/calm
  ch_bg "$p" --repeat 3 --every 1500 --keepalive-ms 100 --stats getprodtypes aws
  ch_done "$p"
  check_rc "$RC" 0 "$BOARD: too_many_pings: exit 0"
  check_eq "$OUT" "$(for _ in 1 2 3; do echo "$AWS_LINE"; done)" "$BOARD: too_many_pings: three answers"
  if [ "$(proxy_count ' s2c 1 GOAWAY .*code=11 debug=too_many_pings' "$PROXY_LOG")" -ge 1 ]; then
    ok "$BOARD: too_many_pings: the gateway said so (proxy)"
  else
    not_ok "$BOARD: too_many_pings: the gateway said so (proxy)" "$(grep GOAWAY "$PROXY_LOG")"
  fi
  local m1 m2
  m1=$(ping_intervals "$PROXY_LOG" 1 | median) m2=$(ping_intervals "$PROXY_LOG" 2 | median)
  if [ "$m1" -gt 0 ] && [ "$m2" -ge $((m1 * 16 / 10)) ]; then
    ok "$BOARD: too_many_pings: PINGs half as often after it ($m1 ms, then $m2 ms)"
  else
    not_ok "$BOARD: too_many_pings: PINGs half as often after it" "median intervals: $m1 ms, then $m2 ms"
  fi
  stop_daemon "$PROXY_PID"
  stop_daemon "$GATEWAY_PID"
}

# TLS resumption: the gateway issues tickets under --tls-ticket-key; the
# client keeps the latest and resumes on reconnect.
channel_tls() {
  local c=$TEST_TMP/certs p gport k1=$TEST_TMP/ticket1.key k2=$TEST_TMP/ticket2.key
  bash "$TEST_ROOT/tools/certs.sh" "$c" >/dev/null || bail "cannot make the test certificates"
  head -c 80 /dev/urandom >"$k1"
  head -c 80 /dev/urandom >"$k2"
  local srv=(--tls-cert "$c/server.pem" --tls-key "$c/server.key" --tls-client-ca "$c/ca.pem")
  local tls=(--timeout 20 --tls --ca "$c/ca.pem" --server-name localhost --cert "$c/device.pem"
    --key "$c/device.key")

  # 1. Restart with the same key: one full handshake, one resumed, and the
  #    resumed connection still carries the device's identity. 2. Restart
  #    with another key: the old ticket gives a full handshake, never a
  #    failure. Both TLS 1.3 resumption modes: psk_dhe_ke offers the ticket
  #    beside a key share; psk_ke offers it alone, and a refusal makes the
  #    client dial once more for a full handshake (the proxy sees it).
  start_gateway "${srv[@]}" --tls-ticket-key "$k1"
  gport=$GATEWAY_PORT
  PPORT=$(free_port)
  local mode
  for mode in psk_dhe psk; do
    start_proxy "$PPORT" "$gport"
    p=$TEST_TMP/resume-$mode
    ch_bg "$p" --repeat 2 --every 2500 --wait-for-ready --resume-mode "$mode" "${tls[@]}" --stats \
      getprodtypes aws
    wait_lines "$p.out" 1 30 || not_ok "$BOARD: resume ($mode): the first call answered"
    stop_daemon "$GATEWAY_PID" KILL
    restart_gateway "$gport" "${srv[@]}" --tls-ticket-key "$k1"
    ch_done "$p"
    check_rc "$RC" 0 "$BOARD: resume ($mode) after a restart with the same key: exit 0"
    check_eq "$(stats_line)" "channel: calls=2 connects=2 handshakes=1 resumed=1 pings=0" \
      "$BOARD: resume ($mode) after a restart with the same key: handshakes=1 resumed=1"
    check_log "$GATEWAY_LOG" "tls: resumed session" "$BOARD: resume ($mode): the gateway resumed it (gateway log)"
    check_log "$GATEWAY_LOG" "as vendor from device board-0001" \
      "$BOARD: resume ($mode): the resumed connection keeps the device's CN (gateway log)"
    check_eq "$(proxy_count ' open ' "$PROXY_LOG")" 2 "$BOARD: resume ($mode): two connections (proxy)"

    p=$TEST_TMP/rekey-$mode
    ch_bg "$p" --repeat 2 --every 2500 --wait-for-ready --resume-mode "$mode" "${tls[@]}" --stats \
      getprodtypes aws
    wait_lines "$p.out" 1 30 || not_ok "$BOARD: another key ($mode): the first call answered"
    stop_daemon "$GATEWAY_PID" KILL
    restart_gateway "$gport" "${srv[@]}" --tls-ticket-key "$k2"
    ch_done "$p"
    check_rc "$RC" 0 "$BOARD: restart with another key ($mode): exit 0"
    check_eq "$(stats_line)" "channel: calls=2 connects=2 handshakes=2 resumed=0 pings=0" \
      "$BOARD: restart with another key ($mode): handshakes=2 resumed=0"
    check_eq "$(proxy_count ' open ' "$PROXY_LOG")" "$([ $mode = psk ] && echo 5 || echo 4)" \
      "$BOARD: another key ($mode): $([ $mode = psk ] && echo 'a refused ticket, then a full handshake' || echo 'a full handshake at once') (proxy)"
    stop_daemon "$PROXY_PID"
    stop_daemon "$GATEWAY_PID"
    restart_gateway "$gport" "${srv[@]}" --tls-ticket-key "$k1"
  done
  stop_daemon "$GATEWAY_PID"

  # 3. Two gateways sharing a key behind one address (the proxy, round
  #    robin): a session from the first resumes on the second.
  restart_gateway "$gport" "${srv[@]}" --tls-ticket-key "$k1"
  local a_log=$GATEWAY_LOG a_pid=$GATEWAY_PID
  start_gateway "${srv[@]}" --tls-ticket-key "$k1"
  local b_log=$GATEWAY_LOG b_port=$GATEWAY_PORT
  PPORT=$(free_port)
  start_proxy "$PPORT" "$gport,$b_port"
  p=$TEST_TMP/shared
  ch_bg "$p" --repeat 2 --every 1500 "${tls[@]}" --stats getprodtypes aws
  wait_lines "$p.out" 1 30 || not_ok "$BOARD: shared key: the first call answered"
  kill -USR2 "$PROXY_PID" # the link breaks: the next call reconnects, to the other gateway
  ch_done "$p"
  check_rc "$RC" 0 "$BOARD: two gateways sharing a key: exit 0"
  check_eq "$(stats_line)" "channel: calls=2 connects=2 handshakes=1 resumed=1 pings=0" \
    "$BOARD: two gateways sharing a key resume each other's tickets"
  check_log "$a_log" "as vendor from device board-0001" "$BOARD: shared key: the first gateway served the first call"
  check_log "$b_log" "as vendor from device board-0001" "$BOARD: shared key: the second gateway served the resumed call"
  stop_daemon "$PROXY_PID"
  stop_daemon "$a_pid"
  stop_daemon "$GATEWAY_PID"
}

# channel_suite BOARD [lwip]: both parts against one storage; a Cortex-M
# board with lwip, over TCP/IP inside netns_enter's namespace.
channel_suite() {
  if [ "$1" = host ]; then
    BOARD=host RUNNER="" IMAGE=$BIN/firmware-client
    require_bins
  else
    board_setup "$1" "${2:-}"
  fi
  start_storage
  channel_plain
  channel_tls
  finish
}

# cm_channel_suite BOARD: a Cortex-M board over UART0, which QEMU connects
# to the proxy: several calls in one serial session (one HTTP/2 preface on
# the line), keepalive PINGs between them, TLS with one handshake for N
# calls, and a resumed TLS session after the line was dialled again (QEMU's
# chardev reconnect=1; reconnection over TCP/IP comes with lwIP).
cm_channel_suite() {
  board_setup "$1"
  local c=$TEST_TMP/certs gport pings
  bash "$TEST_ROOT/tools/certs.sh" "$c" >/dev/null || bail "cannot make the test certificates"
  start_storage
  start_gateway "${GW_KA[@]}" --tls-cert "$c/server.pem" --tls-key "$c/server.key" \
    --tls-client-ca "$c/ca.pem"
  local tls_gw=$GATEWAY_PORT tls_log=$GATEWAY_LOG
  start_gateway "${GW_KA[@]}"
  gport=$GATEWAY_PORT

  # 1. Three calls, one serial session.
  PPORT=$(free_port)
  start_proxy "$PPORT" "$gport"
  GATEWAY_PORT=$PPORT board_client --timeout 20 --repeat 3 --stats getprodtypes aws
  check_rc "$RC" 0 "$BOARD: three calls over UART: exit 0"
  check_eq "$OUT" "$(for _ in 1 2 3; do echo "$AWS_LINE"; done)" "$BOARD: three calls over UART: three answers"
  check_eq "$(stats_line)" "channel: calls=3 connects=1 handshakes=0 resumed=0 pings=0" \
    "$BOARD: three calls over UART: --stats"
  check_eq "$(proxy_count ' preface ' "$PROXY_LOG")" 1 "$BOARD: one HTTP/2 preface on the line (proxy)"
  check_eq "$(proxy_count ' c2s 1 HEADERS ' "$PROXY_LOG")" 3 "$BOARD: three streams in it (proxy)"
  stop_daemon "$PROXY_PID"

  # 2. Keepalive between two calls.
  start_proxy "$PPORT" "$gport"
  GATEWAY_PORT=$PPORT board_client --timeout 20 --repeat 2 --every 1500 --keepalive-ms 300 --stats \
    getprodtypes aws
  check_rc "$RC" 0 "$BOARD: keepalive over UART: exit 0"
  pings=$(proxy_count ' c2s 1 PING 0$' "$PROXY_LOG")
  check_between "$pings" 3 6 "$BOARD: keepalive over UART: PINGs while idle for 1.5 s at 300 ms (proxy: $pings)"
  check_eq "$(stats_line | sed 's/.*pings=//')" "$pings" "$BOARD: keepalive over UART: --stats pings= as the proxy counts"
  stop_daemon "$PROXY_PID"

  # 3. Mutual TLS: one handshake for three calls.
  start_proxy "$PPORT" "$tls_gw"
  GATEWAY_PORT=$PPORT board_client --timeout 20 --tls --ca "$c/ca.pem" --server-name localhost \
    --cert "$c/device.pem" --key "$c/device.key" --repeat 3 --stats getprodtypes aws
  check_rc "$RC" 0 "$BOARD: TLS over UART, three calls: exit 0"
  check_eq "$OUT" "$(for _ in 1 2 3; do echo "$AWS_LINE"; done)" "$BOARD: TLS over UART: three answers"
  check_eq "$(stats_line)" "channel: calls=3 connects=1 handshakes=1 resumed=0 pings=0" \
    "$BOARD: TLS over UART: one handshake for three calls (--stats)"
  check_eq "$(proxy_count ' open ' "$PROXY_LOG")" 1 "$BOARD: TLS over UART: one session on the line (proxy)"
  check_eq "$(grep -c 'as vendor from device board-0001' "$tls_log")" 3 \
    "$BOARD: TLS over UART: the gateway saw the device's CN on all three calls"
  stop_daemon "$PROXY_PID"

  # 4. A resumed reconnect over the serial line: QEMU's chardev dials the
  #    line again (reconnect=1) after the gateway, drained between two
  #    calls, closed it; a new gateway with the same ticket key resumes the
  #    board's session (psk_ke) and still sees the device's CN.
  local key=$TEST_TMP/ticket.key srv=(--tls-cert "$c/server.pem" --tls-key "$c/server.key"
    --tls-client-ca "$c/ca.pem") w sh="" q=$TEST_TMP/cm-resume
  head -c 80 /dev/urandom >"$key"
  local rport
  rport=$(free_port)
  restart_gateway "$rport" "${GW_KA[@]}" "${srv[@]}" --tls-ticket-key "$key"
  # the line lingers 0.5 s after the gateway's close, so the drain's GOAWAY
  # reaches the board (QEMU's chardev drops what the UART has not read)
  start_proxy "$PPORT" "$rport" --linger-ms 500
  for w in --timeout 20 --tls --ca "$c/ca.pem" --server-name localhost --cert "$c/device.pem" \
    --key "$c/device.key" --repeat 2 --every 3000 --wait-for-ready --stats getprodtypes aws; do
    sh="$sh,arg=$w"
  done
  # shellcheck disable=SC2086 # RUNNER is a command line
  timeout 60 $RUNNER$sh -chardev "socket,id=line,host=127.0.0.1,port=$PPORT,reconnect=1" \
    -serial chardev:line -kernel "$IMAGE" >"$q.out" 2>"$q.err.raw" &
  local qpid=$!
  wait_lines "$q.out" 1 30 || not_ok "$BOARD: resumed over UART: the first call answered"
  kill -TERM "$GATEWAY_PID"
  local old=$GATEWAY_PID i=0
  STOPPED_PIDS="$STOPPED_PIDS$old "
  while kill -0 "$old" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
  restart_gateway "$rport" "${GW_KA[@]}" "${srv[@]}" --tls-ticket-key "$key"
  wait "$qpid"
  RC=$?
  ERR=$(grep -v -- "$QEMU_NOISE" "$q.err.raw")
  check_rc "$RC" 0 "$BOARD: resumed over UART: exit 0"
  check_eq "$(cat "$q.out")" "$(printf '%s\n%s' "$AWS_LINE" "$AWS_LINE")" "$BOARD: resumed over UART: both answers"
  check_eq "$(stats_line)" "channel: calls=2 connects=2 handshakes=1 resumed=1 pings=0" \
    "$BOARD: resumed over UART: handshakes=1 resumed=1"
  check_log "$GATEWAY_LOG" "tls: resumed session with .*device board-0001" \
    "$BOARD: resumed over UART: the new gateway resumed it and knows the device (gateway log)"
  check_eq "$(proxy_count ' open ' "$PROXY_LOG")" 2 "$BOARD: resumed over UART: two sessions on the line (proxy)"
  stop_daemon "$PROXY_PID"
  finish
}
