#!/bin/bash
# storage-backends: sqlite postgresql (tests/run.sh runs it on both)
# shellcheck disable=SC2034  # variables read by lib/common.sh
# Faults of the storage tier, seen by the board client (firmware-client):
#   1. storage SIGKILLed while the gateway streams slowly (--stream-delay-ms):
#      the gateway already holds storage's whole answer, so the stream
#      completes (every product, OK); only the next call sees storage gone.
#   2. storage down: GetVendorProds -> Unavailable at once, GetVendorProdTypes
#      still answered.
#   3. storage restarted on its port: the next call succeeds, within 1 s,
#      without restarting the gateway.
#   4. storage SIGKILLed during its call (--delay-ms): Unavailable at once
#      (measured from the kill), not at the deadline.
#   5. storage hung (SIGSTOP): the client's deadline holds, DeadlineExceeded
#      within 100 ms after --timeout; SIGCONT and the next call succeeds.
. "$(dirname "$0")/../lib/common.sh"
require_bins

# bg_call PREFIX ARGS...: firmware-client in the background; PREFIX.{out,err,rc}
# and PREFIX.end (epoch ms when it exited). Sets BG_PID.
bg_call() {
  local p=$1
  shift
  (
    timeout 30 "$BIN/firmware-client" --addr "127.0.0.1:$GATEWAY_PORT" "$@" >"$p.out" 2>"$p.err"
    echo $? >"$p.rc"
    now_ms >"$p.end"
  ) &
  BG_PID=$!
}
bg_result() { # PREFIX: sets RC OUT ERR END
  RC=$(cat "$1.rc") OUT=$(cat "$1.out") ERR=$(cat "$1.err") END=$(cat "$1.end")
}
check_code() { # CODE NAME
  if [ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] && printf '%s\n' "$ERR" | grep -q "^rpc error: code = $1 desc = "; then
    ok "$2"
  else
    not_ok "$2" "stderr: $ERR" "stdout: $OUT"
  fi
}
# wait_lines FILE N SECONDS: until FILE has N lines.
wait_lines() {
  local i=0
  while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ] && [ "$i" -lt $(($3 * 50)) ]; do
    sleep 0.02
    i=$((i + 1))
  done
}

SPORT=$(free_port)
start_storage --port "$SPORT"
start_gateway --storage-port "$SPORT" --stream-delay-ms 300
SLOW_GW=$GATEWAY_PORT SLOW_LOG=$GATEWAY_LOG
start_gateway --storage-port "$SPORT"
FAST_GW=$GATEWAY_PORT
client getprods aws storage
check_rc "$RC" 0 "baseline getprods"

# 1. Killed while the gateway streams its (complete) answer slowly.
GATEWAY_PORT=$SLOW_GW
bg_call "$TEST_TMP/midstream" --timeout 10 getprods aws storage
pid=$BG_PID
wait_lines "$TEST_TMP/midstream.out" 2 5
t_kill=$(now_ms)
stop_daemon "$STORAGE_PID" KILL
got_before=$(wc -l <"$TEST_TMP/midstream.out")
wait "$pid"
bg_result "$TEST_TMP/midstream"
echo "# storage killed after $got_before of 7 products had been streamed; the stream ended $((END - t_kill)) ms later"
check_rc "$RC" 0 "storage killed mid-stream: the stream still completes (exit 0)"
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_aws_storage.txt)" \
  "storage killed mid-stream: every product arrives (the gateway held storage's whole answer)"
check_log "$SLOW_LOG" "the response was sent to client" "storage killed mid-stream: the gateway finishes the stream"

# 2. Storage down.
GATEWAY_PORT=$FAST_GW
client getprods aws compute
check_rc "$RC" 1 "storage down: getprods exits 1"
check_code Unavailable "storage down: Unavailable"
check_between "$MS" 0 500 "storage down: fails at once"
client getprodtypes aws
check_rc "$RC" 0 "storage down: the gateway still answers getprodtypes"
check_eq "$OUT" "$(expected getprodtypes_aws.txt)" "storage down: getprodtypes output"

# 3. Storage restarts on its port; the gateways were never restarted.
start_storage --port "$SPORT"
t_up=$(now_ms)
client getprods google storage
check_rc "$RC" 0 "storage restarted: the next call succeeds"
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_google_storage.txt)" "storage restarted: output"
echo "# storage restarted: the first call succeeded $(($(now_ms) - t_up)) ms after storage listened (call: $MS ms)"
check_between "$MS" 0 1000 "storage restarted: the next call succeeds within 1 s"
GATEWAY_PORT=$SLOW_GW client getprods oracle compute
check_rc "$RC" 0 "storage restarted: the slow gateway reconnects too"

# 4. Killed in the middle of its own call (--delay-ms): Unavailable at once.
stop_daemon "$STORAGE_PID" TERM
start_storage --port "$SPORT" --delay-ms 3000
GATEWAY_PORT=$FAST_GW
bg_call "$TEST_TMP/midcall" --timeout 10 getprods oracle storage
pid=$BG_PID
check_log "$STORAGE_LOG" "have received a request" "storage got the call before it is killed" 5
sleep 0.2
t_kill=$(now_ms)
stop_daemon "$STORAGE_PID" KILL
wait "$pid"
bg_result "$TEST_TMP/midcall"
check_rc "$RC" 1 "storage killed mid-call: exits 1"
check_code Unavailable "storage killed mid-call: Unavailable"
check_eq "$OUT" "" "storage killed mid-call: nothing on stdout"
echo "# storage killed mid-call: the client had its Unavailable $((END - t_kill)) ms after the kill"
check_between $((END - t_kill)) 0 300 "storage killed mid-call: the error comes at once (from the kill)"
client getprodtypes google
check_rc "$RC" 0 "storage killed mid-call: getprodtypes still answered"
start_storage --port "$SPORT"
client getprods aws compute
check_rc "$RC" 0 "storage back after a mid-call kill: the next call succeeds"
check_between "$MS" 0 1000 "storage back after a mid-call kill: within 1 s"

# 5. Storage hung: SIGSTOP. The deadline is the only way out.
kill -STOP "$STORAGE_PID"
for secs in 1 2; do
  client --timeout "$secs" getprods google compute
  check_rc "$RC" 1 "storage hung, --timeout $secs: exits 1"
  check_code DeadlineExceeded "storage hung, --timeout $secs: DeadlineExceeded"
  echo "# storage hung, --timeout $secs: DeadlineExceeded after $MS ms"
  check_between "$MS" $((secs * 1000)) $((secs * 1000 + 100)) "storage hung, --timeout $secs: honoured within 100 ms"
done
client getprodtypes oracle
check_rc "$RC" 0 "storage hung: getprodtypes still answered"
check_between "$MS" 0 500 "storage hung: getprodtypes answered at once"
kill -CONT "$STORAGE_PID"
client getprods google compute
check_rc "$RC" 0 "storage resumed (SIGCONT): the next call succeeds"
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_google_compute.txt)" "storage resumed: output"

finish
