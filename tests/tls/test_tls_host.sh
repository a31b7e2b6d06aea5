#!/bin/bash
# TLS on every hop, host build: storage serves TLS, the gateway reaches it over
# TLS and serves TLS with client certificates required; the firmware client
# (TLS 1.3, and TLS 1.2 with --tls-version 1.2) and a python3-grpcio client get
# the article's answers; both daemons negotiate TLS 1.3 and TLS 1.2 with ALPN
# h2 (openssl s_client); a device without a trusted certificate, a wrong CA,
# an expired server certificate, a wrong host name and plaintext to a TLS port
# each fail quickly with a clear error, in both versions where it differs.
. "$(dirname "$0")/../lib/common.sh"
require_bins storage gateway firmware-client
C=$TEST_TMP/certs
bash "$TEST_ROOT/tools/certs.sh" "$C" || bail "cannot make the test certificates"

start_storage --tls-cert "$C/server.pem" --tls-key "$C/server.key"
start_gateway --storage-tls-ca "$C/ca.pem" --storage-server-name localhost \
  --tls-cert "$C/server.pem" --tls-key "$C/server.key" --tls-client-ca "$C/ca.pem"
TLS=(--tls --ca "$C/ca.pem" --server-name localhost)
DEV=(--cert "$C/device.pem" --key "$C/device.key")

client "${TLS[@]}" "${DEV[@]}" getprods google compute
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_google_compute.txt)" \
  "mutual TLS: getprods google compute as in the article"
check_rc "$RC" 0 "mutual TLS: exit 0"
check_log "$GATEWAY_LOG" "from -> google <- vendor from device board-0001" \
  "the gateway logs the device identity (certificate CN) for the call"
check_log "$STORAGE_LOG" "a number of 5 products were sent to client" "storage answered over TLS"

# No --server-name: the host of --addr, 127.0.0.1, matches the certificate's
# IP address SAN.
client --tls --ca "$C/ca.pem" "${DEV[@]}" getprodtypes aws
check_eq "$OUT" "$(expected getprodtypes_aws.txt)" "mutual TLS by IP address: the certificate's IP SAN matches"
for v in 1.3 1.2; do
  client "${TLS[@]}" --tls-version $v "${DEV[@]}" getprodtypes aws
  check_eq "$OUT" "$(expected getprodtypes_aws.txt)" "mutual TLS $v only: getprodtypes aws"
done

# proto VERSION-FLAG PORT [ARGS]: what openssl s_client negotiates with a daemon.
proto() {
  local flag=$1 port=$2
  shift 2
  openssl s_client -connect "127.0.0.1:$port" "$flag" -alpn h2 -CAfile "$C/ca.pem" \
    -servername localhost -verify_return_error "$@" </dev/null 2>/dev/null |
    sed -n 's/^\(New, \(TLSv1\.[23]\).*\|ALPN protocol: \(h2\)\)$/\2\3/p' | tr '\n' ' '
}
D_OSSL=(-cert "$C/device.pem" -key "$C/device.key")
check_eq "$(proto -tls1_3 "$GATEWAY_PORT" "${D_OSSL[@]}")" "TLSv1.3 h2 " "the gateway speaks TLS 1.3, ALPN h2"
check_eq "$(proto -tls1_2 "$GATEWAY_PORT" "${D_OSSL[@]}")" "TLSv1.2 h2 " "the gateway speaks TLS 1.2, ALPN h2"
check_eq "$(proto -tls1_3 "$STORAGE_PORT")" "TLSv1.3 h2 " "storage speaks TLS 1.3, ALPN h2"
check_eq "$(proto -tls1_2 "$STORAGE_PORT")" "TLSv1.2 h2 " "storage speaks TLS 1.2, ALPN h2"

client "${TLS[@]}" "${DEV[@]}" getprods google tools
check_eq "$ERR" "rpc error: code = InvalidArgument desc = error while receiving the stream for client.GetVendorProds: error while calling client.GetProdsDetail() method: Invalid ProductType: tools" \
  "mutual TLS: an error status crosses both TLS hops"

# fail_fast NAME PATTERN ARGS...: the call fails with Unavailable and a
# message matching PATTERN, in well under a second.
fail_fast() {
  local name=$1 re=$2
  shift 2
  client "$@" getprodtypes aws
  check_rc "$RC" 1 "$name: exit 1"
  if printf '%s' "$ERR" | grep -Eq "^rpc error: code = Unavailable desc = .*$re"; then
    ok "$name: clear error ($ERR)"
  else
    not_ok "$name: clear error" "stderr: $ERR" "want Unavailable matching /$re/"
  fi
  check_between "$MS" 0 1500 "$name: fails quickly"
}
# The gateway judges a device's certificate after the handshake, in either
# version, so the device reads the alert: certificate_required (116) is TLS
# 1.3's word for a missing one, handshake_failure (40) TLS 1.2's.
fail_fast "no client certificate (TLS 1.3)" \
  "authentication handshake failed: server sent TLS alert 116 \(certificate_required\)" "${TLS[@]}"
fail_fast "no client certificate (TLS 1.2)" \
  "authentication handshake failed: server sent TLS alert 40 " "${TLS[@]}" --tls-version 1.2
for v in 1.3 1.2; do
  fail_fast "a device certificate from another CA (TLS $v)" \
    "authentication handshake failed: server sent TLS alert 48 \(unknown_ca" "${TLS[@]}" \
    --tls-version $v --cert "$C/rogue-device.pem" --key "$C/rogue-device.key"
done
# The device's certificate with another key: its CertificateVerify does not
# verify, which mbedtls judges during the handshake (in TLS 1.3 its alert is
# then one the device cannot read, and the client says so).
fail_fast "a certificate with someone else's key (TLS 1.3)" \
  "authentication handshake failed: the server refused the handshake" "${TLS[@]}" \
  --tls-version 1.3 --cert "$C/device.pem" --key "$C/rogue-device.key"
fail_fast "a certificate with someone else's key (TLS 1.2)" \
  "authentication handshake failed: server sent TLS alert" "${TLS[@]}" \
  --tls-version 1.2 --cert "$C/device.pem" --key "$C/rogue-device.key"
check_log "$GATEWAY_LOG" "tls handshake with .* failed" "the gateway logs refused handshakes"
fail_fast "a wrong CA" "not correctly signed by the trusted CA" --tls --ca "$C/other-ca.pem" \
  --server-name localhost "${DEV[@]}"
fail_fast "a wrong host name" "CN\\) does not match" --tls --ca "$C/ca.pem" \
  --server-name example.com "${DEV[@]}"
fail_fast "plaintext to the TLS port" "." 

# An expired server certificate, on a second gateway.
OLD_PORT=$GATEWAY_PORT
start_gateway --tls-cert "$C/expired.pem" --tls-key "$C/expired.key"
fail_fast "an expired server certificate" "validity has expired" "${TLS[@]}"
GATEWAY_PORT=$OLD_PORT

# python3-grpcio as a TLS client of the gateway, with the device certificate.
bash "$TEST_ROOT/tools/pygen.sh" || bail "cannot generate the python stubs"
got=$(PYTHONPATH=$TEST_ROOT/build/py $PY - "$GATEWAY_PORT" "$C" <<'PYEOF' 2>&1
import sys, grpc, api_pb2, api_pb2_grpc
port, d = sys.argv[1], sys.argv[2]
rd = lambda f: open(f"{d}/{f}", "rb").read()
creds = grpc.ssl_channel_credentials(rd("ca.pem"), rd("device.key"), rd("device.pem"))
ch = grpc.secure_channel(f"127.0.0.1:{port}", creds,
                         options=[("grpc.ssl_target_name_override", "localhost")])
stub = api_pb2_grpc.ProdServiceStub(ch)
r = stub.GetVendorProdTypes(api_pb2.ClientRequestType(vendor="aws"), timeout=4)
print(f"aws cloud products type are: {r.productType}")
for p in stub.GetVendorProds(api_pb2.ClientRequestProds(vendor="google", productType="compute"), timeout=4):
    print(f"Title: {p.product.title}, Url: {p.product.url},  ShortUrl: {p.product.shortUrl}")
PYEOF
)
check_eq "$(printf '%s\n' "$got" | mask_short)" "$(expected getprodtypes_aws.txt; expected getprods_google_compute.txt)" \
  "python3-grpcio over mutual TLS gets the CLI's answers"

finish
