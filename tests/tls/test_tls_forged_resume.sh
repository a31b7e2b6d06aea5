#!/bin/bash
# A session ticket is not a password (docs/design.md, "TLS session
# resumption"): a client that has only a device's ticket, as it travels in
# clear in a TLS 1.3 ClientHello, with a wrong ticket age, without the
# resumption key and without a certificate, is refused. mbedtls sets such a
# ticket aside and makes a full handshake, and the gateway must judge that
# handshake as any other: no client certificate, no connection.
# tls_forged_resume (tests/tls/tls_forged_resume.c, built by make unit)
# plays the device, then the attacker. Then a device whose certificate ends
# a few seconds after its handshake: its session resumes until then, and not
# after (the ticket carries the certificate's end).
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

# A device whose certificate has expired does not resume on its ticket
# either (the ticket carries the certificate's end): a certificate valid
# for a few seconds, its session saved, then tried again once it is over.
CA=$TEST_TMP/ca
mkdir -p "$CA/new"
: >"$CA/index.txt"
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\nnew_certs_dir = %s/new\nserial = %s/serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n' \
  "$CA" "$CA" "$CA" >"$CA/ca.cnf"
echo 5000 >"$CA/serial"
openssl ecparam -name prime256v1 -genkey -noout -out "$C/short.key" 2>/dev/null
openssl req -new -key "$C/short.key" -subj "/CN=board-short" -out "$C/short.csr" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >"$C/short.ext"
end=$(($(date +%s) + 6))
openssl ca -batch -config "$CA/ca.cnf" -keyfile "$C/ca.key" -cert "$C/ca.pem" -in "$C/short.csr" \
  -out "$C/short.pem" -extfile "$C/short.ext" -startdate "$(date -u -d '-1 min' +%y%m%d%H%M%SZ)" \
  -enddate "$(date -u -d "@$end" +%y%m%d%H%M%SZ)" >/dev/null 2>&1 || bail "cannot make a short-lived certificate"
# hs ARGS...: "New|Reused TLSv1.x" and the alert, if any, of one s_client handshake
hs() {
  (sleep 0.4) | openssl s_client -connect "127.0.0.1:$GATEWAY_PORT" -tls1_3 -alpn h2 -CAfile "$C/ca.pem" \
    -servername localhost -cert "$C/short.pem" -key "$C/short.key" "$@" 2>&1 | tr -d '\0' |
    sed -n 's/^\(New\|Reused\), \(TLSv1\.[23]\),.*/\1 \2/p
      s/^.*:error:[^:]*:[^:]*:[^:]*:[a-z0-9]* alert \([a-z ]*\):.*$/alert \1/p' | head -2 | paste -sd ' '
}
check_eq "$(hs -sess_out "$TEST_TMP/short.sess")" "New TLSv1.3" "a short-lived device's handshake, its session saved"
check_eq "$(hs -sess_in "$TEST_TMP/short.sess")" "Reused TLSv1.3" "its session resumes while the certificate is valid"
while [ "$(date +%s)" -le "$end" ]; do sleep 0.5; done
check_eq "$(hs -sess_in "$TEST_TMP/short.sess")" "New TLSv1.3 alert certificate expired" \
  "once the certificate is over, the resumption is refused, then certificate_expired"
finish
