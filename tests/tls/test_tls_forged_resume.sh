#!/bin/bash
# A session ticket is not a password (docs/design.md, "TLS session
# resumption"): a client that has only a device's ticket, as it travels in
# clear in a TLS 1.3 ClientHello, with a wrong ticket age, without the
# resumption key and without a certificate, is refused. mbedtls sets such a
# ticket aside and makes a full handshake, and the gateway must judge that
# handshake as any other: no client certificate, no connection.
# tls_forged_resume (tests/tls/tls_forged_resume.c, built by make unit)
# plays the device, then the attacker.
. "$(dirname "$0")/../lib/common.sh"
require_bins storage gateway
TOOL=${TEST_TOOL_DIR:-$TEST_ROOT/build/host-asan/tools}/tls_forged_resume
[ -x "$TOOL" ] || bail "missing $TOOL (make BOARD=host-asan unit)"
C=$TEST_TMP/certs
bash "$TEST_ROOT/tools/certs.sh" "$C" >/dev/null 2>&1 || bail "cannot make the test certificates"

start_storage
start_gateway --tls-cert "$C/server.pem" --tls-key "$C/server.key" --tls-client-ca "$C/ca.pem"
OUT=$(timeout 30 "$TOOL" "$GATEWAY_PORT" "$C" 2>"$TEST_TMP/tool.err")
rc=$? ERR=$(cat "$TEST_TMP/tool.err")
check_eq "$(sed -n 1p <<<"$OUT" | sed 's/[0-9]* bytes/N bytes/')" "device: full handshake, ticket of N bytes" \
  "the device makes a full handshake and is given a ticket"
check_rc "$rc" 0 "the attacker with the device's ticket and no certificate is refused"
check_log "$GATEWAY_LOG" "tls handshake with ipv4:127.0.0.1:[0-9]+ failed: no client certificate" \
  "the gateway logs the refusal: no client certificate"
if grep -q "resumed session with .*board-0001" "$GATEWAY_LOG"; then
  not_ok "no connection counted as the device's resumption" "$(grep "resumed session" "$GATEWAY_LOG")"
else
  ok "no connection counted as the device's resumption"
fi
finish
