#!/bin/bash
# TLS session resumption on the gateway (docs/design.md, "TLS session
# resumption"), with openssl s_client as the device: a session saved from a
# full mutual-TLS handshake resumes ("Reused") after a restart with the same
# --tls-ticket-key and on a second gateway sharing it, in TLS 1.3 (psk_dhe_ke
# and psk_ke) and TLS 1.2; the gateway logs the device's CN and the resumed
# marker for it; under another key the old session gets a full handshake
# ("New"), not a failure; without the flag a running gateway resumes its own
# sessions, and so do --workers, which share one key drawn before they fork;
# a ticket key file of the wrong size or missing stops the gateway
# at start with a clear error.
. "$(dirname "$0")/../lib/common.sh"
require_bins storage gateway
C=$TEST_TMP/certs
bash "$TEST_ROOT/tools/certs.sh" "$C" >/dev/null 2>&1 || bail "cannot make the test certificates"
head -c 80 /dev/urandom >"$TEST_TMP/k1"
head -c 80 /dev/urandom >"$TEST_TMP/k2"
start_storage

TLS_FLAGS=(--tls-cert "$C/server.pem" --tls-key "$C/server.key" --tls-client-ca "$C/ca.pem")

# handshake PORT VERSION-FLAG SESSION-ARGS...: openssl's verdict, "New" or
# "Reused" plus the version, or the reason it failed. The device's
# certificate is offered every time; a resumed TLS 1.3 handshake does not
# ask for it. stdin stays open briefly: the TLS 1.3 ticket comes after the
# handshake.
handshake() {
  local port=$1 v=$2
  shift 2
  (sleep 0.4) | openssl s_client -connect "127.0.0.1:$port" "$v" -alpn h2 -CAfile "$C/ca.pem" \
    -servername localhost -verify_return_error -cert "$C/device.pem" -key "$C/device.key" "$@" \
    2>&1 | tr -d '\0' | sed -n 's/^\(New\|Reused\), \(TLSv1\.[23]\),.*/\1 \2/p;s/^.*:error:.*$/&/p' |
    head -1
}

# resumed_lines LOG: how many connections the gateway logged as resumed for
# the device.
resumed_lines() { grep -c "tls: resumed session with ipv4:127.0.0.1:[0-9]*, device board-0001$" "$1"; }

for v in 1.3 1.2; do
  f=-tls1_${v#1.}
  S=$TEST_TMP/sess$v

  # 1. full handshake, restart with the same key, resume
  start_gateway "${TLS_FLAGS[@]}" --tls-ticket-key "$TEST_TMP/k1"
  check_eq "$(handshake "$GATEWAY_PORT" $f -sess_out "$S")" "New TLSv$v" "TLS $v: the first handshake is a full one"
  [ -s "$S" ] && ok "TLS $v: openssl saved the session with its ticket" || not_ok "TLS $v: openssl saved the session" "no $S"
  check_eq "$(resumed_lines "$GATEWAY_LOG")" 0 "TLS $v: a full handshake is not logged as resumed"
  stop_daemon "$GATEWAY_PID"
  start_gateway "${TLS_FLAGS[@]}" --tls-ticket-key "$TEST_TMP/k1"
  A_PORT=$GATEWAY_PORT A_PID=$GATEWAY_PID A_LOG=$GATEWAY_LOG
  check_eq "$(handshake "$A_PORT" $f -sess_in "$S")" "Reused TLSv$v" \
    "TLS $v: the session resumes after a restart with the same ticket key"
  check_log "$A_LOG" "tls: resumed session with ipv4:127.0.0.1:[0-9]+, device board-0001$" \
    "TLS $v: the gateway logs the resumed connection with the device's certificate CN"
  if [ "$v" = 1.3 ]; then
    # psk_ke: no ECDHE on resumption, as a board may choose
    check_eq "$(handshake "$A_PORT" $f -sess_in "$S" -allow_no_dhe_kex)" "Reused TLSv$v" \
      "TLS 1.3: psk_ke resumes too"
    check_eq "$(resumed_lines "$A_LOG")" 2 "TLS 1.3: both resumptions logged with the CN"
  fi

  # a refused device's ticket (it came before the verdict) never resumes
  SX=$TEST_TMP/sessX$v
  handshake "$A_PORT" $f -sess_out "$SX" -cert "$C/rogue-device.pem" -key "$C/rogue-device.key" >/dev/null
  r=$(handshake "$A_PORT" $f -sess_in "$SX" -cert "$C/rogue-device.pem" -key "$C/rogue-device.key")
  case "$r" in Reused*) not_ok "TLS $v: a refused device's session does not resume" "openssl: $r" ;;
  *) ok "TLS $v: a refused device's session does not resume ($r)" ;; esac

  # 3. two gateways at once sharing the key: A's session resumes on B
  start_gateway "${TLS_FLAGS[@]}" --tls-ticket-key "$TEST_TMP/k1"
  B_PORT=$GATEWAY_PORT B_PID=$GATEWAY_PID B_LOG=$GATEWAY_LOG
  SA=$TEST_TMP/sessA$v
  check_eq "$(handshake "$A_PORT" $f -sess_out "$SA")" "New TLSv$v" "TLS $v: a full handshake on gateway A"
  check_eq "$(handshake "$B_PORT" $f -sess_in "$SA")" "Reused TLSv$v" \
    "TLS $v: gateway B resumes gateway A's session (shared ticket key)"
  check_log "$B_LOG" "tls: resumed session with .*, device board-0001$" \
    "TLS $v: gateway B logs the device's CN from A's ticket"
  stop_daemon "$B_PID"
  stop_daemon "$A_PID"

  # 2. another key: the old session gets a full handshake, not a failure
  start_gateway "${TLS_FLAGS[@]}" --tls-ticket-key "$TEST_TMP/k2"
  check_eq "$(handshake "$GATEWAY_PORT" $f -sess_in "$S")" "New TLSv$v" \
    "TLS $v: under another ticket key the old session gets a full handshake"
  check_eq "$(resumed_lines "$GATEWAY_LOG")" 0 "TLS $v: and it is not logged as resumed"
  stop_daemon "$GATEWAY_PID"

  # 6. no flag: random keys, the running gateway resumes its own sessions
  start_gateway "${TLS_FLAGS[@]}"
  SR=$TEST_TMP/sessR$v
  check_eq "$(handshake "$GATEWAY_PORT" $f -sess_out "$SR")" "New TLSv$v" "TLS $v, no key file: full handshake"
  check_eq "$(handshake "$GATEWAY_PORT" $f -sess_in "$SR")" "Reused TLSv$v" \
    "TLS $v, no key file: the same gateway resumes the session"
  check_log "$GATEWAY_LOG" "tls: resumed session with .*, device board-0001$" \
    "TLS $v, no key file: the resumed connection is logged with the CN"
  stop_daemon "$GATEWAY_PID"

  # 7. --workers without a key file: the workers share one random key drawn
  # before they fork, so a session resumes on whichever worker the kernel
  # picks (8 handshakes over 4 workers: each worker's own key would resume
  # about 1 in 4)
  start_gateway "${TLS_FLAGS[@]}" --workers 4
  SW=$TEST_TMP/sessW$v
  check_eq "$(handshake "$GATEWAY_PORT" $f -sess_out "$SW")" "New TLSv$v" "TLS $v, 4 workers: full handshake"
  reused=0
  for _ in 1 2 3 4 5 6 7 8; do
    [ "$(handshake "$GATEWAY_PORT" $f -sess_in "$SW")" = "Reused TLSv$v" ] && reused=$((reused + 1))
  done
  check_eq "$reused" 8 "TLS $v, 4 workers, no key file: all 8 reconnections resume"
  check_eq "$(resumed_lines "$GATEWAY_LOG")" 8 "TLS $v, 4 workers: the workers logged 8 resumed connections"
  stop_daemon "$GATEWAY_PID"
done

# 5. a bad ticket key file: a clear error at start, non-zero exit
bad_key() {
  local name=$1 file=$2 re=$3 out rc
  out=$(timeout 10 "$BIN/gateway" --listen "127.0.0.1:$(free_port)" --storage "127.0.0.1:$STORAGE_PORT" \
    "${TLS_FLAGS[@]}" --tls-ticket-key "$file" 2>&1)
  rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then ok "$name: the gateway exits $rc"; else
    not_ok "$name: the gateway exits non-zero" "exit status $rc" "$out"
  fi
  if printf '%s' "$out" | grep -Eq -- "$re"; then ok "$name: clear error"; else
    not_ok "$name: clear error" "output: $out" "want /$re/"
  fi
}
head -c 79 /dev/urandom >"$TEST_TMP/short"
head -c 81 /dev/urandom >"$TEST_TMP/long"
bad_key "a 79-byte key file" "$TEST_TMP/short" "ticket key .*short: must be exactly 80 random bytes"
bad_key "an 81-byte key file" "$TEST_TMP/long" "ticket key .*long: must be exactly 80 random bytes"
bad_key "a missing key file" "$TEST_TMP/none" "cannot read ticket key .*none: No such file"

finish
