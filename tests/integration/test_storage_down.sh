#!/bin/bash
# storage-backends: sqlite postgresql (tests/run.sh runs it on both)
# shellcheck disable=SC2034  # variables read by lib/common.sh
# Storage unreachable: getprods fails with Unavailable at once (never a hang),
# the gateway still answers getprodtypes, and it reconnects by itself when
# storage comes (back) up: the next getprods succeeds without a gateway
# restart. Also: no gateway at all -> Unavailable at once.
. "$(dirname "$0")/../lib/common.sh"
require_bins

UNAVAILABLE_RE='^rpc error: code = Unavailable desc = .+$'
check_unavailable() { # NAME
  check_rc "$RC" 1 "$1: exits 1"
  if [ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] && printf '%s\n' "$ERR" | grep -Eq "$UNAVAILABLE_RE"; then
    ok "$1: one Unavailable line on stderr"
  else
    not_ok "$1: one Unavailable line on stderr" "stderr: $ERR"
  fi
  check_eq "$OUT" "" "$1: nothing on stdout"
  check_between "$MS" 0 1000 "$1: fails at once"
}

# 1. No gateway listening at all.
GATEWAY_PORT=$(free_port)
client getprodtypes aws
check_unavailable "no gateway"

# 2. The gateway starts while storage was never up.
SPORT=$(free_port)
start_gateway --storage-port "$SPORT"
client getprods google compute
check_unavailable "storage never started"
client getprods google compute
check_unavailable "storage never started, second call"
check_log "$GATEWAY_LOG" "storage 127\.0\.0\.1:$SPORT is not READY: health watch ended: .+" \
  "the gateway logs that storage cannot be reached, and why"
check_eq "$(grep -c "is not READY" "$GATEWAY_LOG")" 1 "once, not at every retry"
client getprodtypes google
check_rc "$RC" 0 "getprodtypes without storage exits 0"
check_eq "$OUT" "$(expected getprodtypes_google.txt)" "getprodtypes without storage output"

# 3. Storage comes up: the very next getprods succeeds.
start_storage --port "$SPORT"
client getprods google compute
check_rc "$RC" 0 "first getprods after storage came up exits 0"
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_google_compute.txt)" "first getprods after storage came up output"

# 4. Storage crashes (SIGKILL) under a connected gateway.
stop_daemon "$STORAGE_PID" KILL
client getprods aws compute
check_unavailable "storage killed"
client getprodtypes oracle
check_eq "$OUT" "$(expected getprodtypes_oracle.txt)" "getprodtypes after storage was killed"

# 5. Storage restarts on the same port and database.
start_storage --port "$SPORT"
client getprods aws compute
check_rc "$RC" 0 "first getprods after storage restart exits 0"
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_aws_compute.txt)" "first getprods after storage restart output"

# 6. Storage stops cleanly (SIGTERM), then returns once more.
stop_daemon "$STORAGE_PID" TERM
client getprods aws storage
check_unavailable "storage stopped"
start_storage --port "$SPORT"
client getprods aws storage
check_rc "$RC" 0 "first getprods after second storage restart exits 0"
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_aws_storage.txt)" "first getprods after second storage restart output"

# 7. Storage dies with calls in flight: they fail with Unavailable at once,
#    not at their deadline.
stop_daemon "$STORAGE_PID" TERM
start_storage --port "$SPORT" --delay-ms 3000
client_bg "$TEST_TMP/inflight" --timeout 10 getprods oracle storage
inflight=$BG_PID
sleep 0.7
stop_daemon "$STORAGE_PID" KILL
wait "$inflight"
RC=$(cat "$TEST_TMP/inflight.rc") OUT=$(cat "$TEST_TMP/inflight.out") ERR=$(cat "$TEST_TMP/inflight.err") MS=$(cat "$TEST_TMP/inflight.ms")
check_rc "$RC" 1 "storage killed mid-call: exits 1"
case "$ERR" in "rpc error: code = Unavailable desc = "*) ok "storage killed mid-call: Unavailable" ;;
  *) not_ok "storage killed mid-call: Unavailable" "stderr: $ERR" ;; esac
check_between "$MS" 500 2000 "storage killed mid-call: fails at once, not at the 10 s deadline"
start_storage --port "$SPORT"
client getprods oracle storage
check_rc "$RC" 0 "getprods after storage died mid-call and came back exits 0"

finish
