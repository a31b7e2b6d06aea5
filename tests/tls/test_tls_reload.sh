#!/bin/bash
# Certificates that rotate, and revocation (docs/design.md, "Reloading
# certificates, and revocation"): SIGHUP makes the gateway serve a new
# certificate to new connections, same pid, while a firmware-client holding
# one connection across the reload goes on with every call; a reload from a
# bad file (garbage, a key of another certificate, an unparseable CRL) logs
# why and the old certificate goes on being served; --tls-crl refuses a
# revoked device at its handshake with certificate_revoked (TLS 1.3 and 1.2)
# and logs its CN and serial, while a good device still calls; a device that
# got a session ticket before it was revoked has its resumption refused
# after the SIGHUP that brings the new CRL (openssl s_client, and a
# firmware-client --repeat run that resumes until then), while a good
# device's ticket from before the reload still resumes (the ticket keys
# stay); the reload closes the revoked device's open connection (and a
# dropped CA's device's, and its handshake under way across the reload),
# not a good device's; the client CA reloads (a second CA lets its device
# in, and out again); --workers 2 both reload; storage reloads its certificate too; a
# CRL that cannot work stops the gateway at start.
. "$(dirname "$0")/../lib/common.sh"
require_bins storage gateway firmware-client
command -v openssl >/dev/null || bail "missing openssl"
C=$TEST_TMP/certs
bash "$TEST_ROOT/tools/certs.sh" "$C" >/dev/null 2>&1 || bail "cannot make the test certificates"

# leaf NAME CN [EXT]: one more certificate from the test CA (ECDSA P-256)
leaf() {
  openssl ecparam -name prime256v1 -genkey -noout -out "$C/$1.key" 2>/dev/null
  openssl req -new -key "$C/$1.key" -subj "/CN=$2" -out "$C/$1.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\n%s\n' "${3:-extendedKeyUsage=clientAuth}" >"$C/$1.ext"
  openssl x509 -req -in "$C/$1.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial \
    -sha256 -days 30 -extfile "$C/$1.ext" -out "$C/$1.pem" 2>/dev/null
}
leaf device2 board-0002
leaf server2 localhost "subjectAltName=DNS:localhost,IP:127.0.0.1"
serial() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }
S1=$(serial "$C/server.pem") S2=$(serial "$C/server2.pem") D2=$(serial "$C/device2.pem")
[ -n "$S1" ] && [ -n "$D2" ] && [ "$S1" != "$S2" ] || bail "cannot read the serials"

# crl OUT [CERT...]: a CRL of the test CA that revokes CERTs (dated a
# minute back: mbedtls counts a revocation once its date has passed), and
# CRL_EXTRA (0) other serials around them, as a fleet's CRL has: the
# gateway looks serials up in a sorted index of its own
CA=$TEST_TMP/ca
mkdir -p "$CA"
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\ncrlnumber = %s/crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n' \
  "$CA" "$CA" >"$CA/ca.cnf"
echo 1000 >"$CA/crlnumber"
crl() {
  local out=$1 c
  shift
  : >"$CA/index.txt"
  for c in "$@"; do
    openssl ca -config "$CA/ca.cnf" -keyfile "$C/ca.key" -cert "$C/ca.pem" -revoke "$c" >/dev/null 2>&1
  done
  sed -i "s/^R\t\([0-9]*Z\)\t[0-9]*Z/R\t\1\t$(date -u -d '-1 min' +%y%m%d%H%M%SZ)/" "$CA/index.txt"
  local i back
  back=$(date -u -d '-1 min' +%y%m%d%H%M%SZ)
  for ((i = 0; i < ${CRL_EXTRA:-0}; i++)); do
    printf 'R\t301231235959Z\t%s\t%s\tunknown\t/CN=gone-%d\n' "$back" \
      "$(openssl rand -hex 20 | tr a-f A-F | sed 's/^./1/')" "$i"
  done >>"$CA/index.txt"
  openssl ca -config "$CA/ca.cnf" -keyfile "$C/ca.key" -cert "$C/ca.pem" -gencrl -out "$out" \
    >/dev/null 2>&1 || bail "cannot make a CRL"
}
crl "$TEST_TMP/none.crl"
CRL_EXTRA=300 crl "$TEST_TMP/dev2.crl" "$C/device2.pem"
# forged: the CA's name and entries, the signature's last byte changed
openssl crl -in "$TEST_TMP/dev2.crl" -outform DER -out "$TEST_TMP/forged.der" || bail "openssl crl"
$PY -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-1] ^= 1; open(sys.argv[1], "wb").write(b)' \
  "$TEST_TMP/forged.der"
openssl crl -inform DER -in "$TEST_TMP/forged.der" -out "$TEST_TMP/forged.crl" || bail "openssl crl"

# The files the gateway is started with, rewritten before each SIGHUP.
L=$TEST_TMP/live
mkdir -p "$L"
cp "$C/server.pem" "$L/cert.pem" && cp "$C/server.key" "$L/key.pem" && cp "$TEST_TMP/none.crl" "$L/crl.pem"
cp "$C/ca.pem" "$L/ca.pem"
GW_TLS=(--tls-cert "$L/cert.pem" --tls-key "$L/key.pem" --tls-client-ca "$L/ca.pem" --tls-crl "$L/crl.pem")
TLS=(--tls --ca "$C/ca.pem" --server-name localhost)
DEV1=(--cert "$C/device.pem" --key "$C/device.key")
DEV2=(--cert "$C/device2.pem" --key "$C/device2.key")

# served PORT: the serial of the certificate a new connection is served
served() {
  openssl s_client -connect "127.0.0.1:$1" -alpn h2 -servername localhost \
    -cert "$C/device.pem" -key "$C/device.key" </dev/null 2>/dev/null |
    openssl x509 -noout -serial 2>/dev/null | sed 's/^serial=//'
}
# hup PID LOG PATTERN WHAT [N]: SIGHUP, then wait for N (1) lines of the
# reload's verdict
hup() {
  local pid=$1 log=$2 re=$3 what=$4 want=${5:-1} before i=0
  before=$(grep -Ec -- "tls reload" "$log")
  kill -HUP "$pid"
  while [ "$(grep -Ec -- "tls reload" "$log")" -lt $((before + want)) ] && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
  done
  if tail -n "$want" <(grep -E -- "tls reload" "$log") | grep -Eq -- "$re"; then ok "$what"; else
    not_ok "$what" "want /$re/ in the last reload lines:" "$(grep -E -- "tls reload" "$log" | tail -3)"
  fi
}
alive() { kill -0 "$1" 2>/dev/null && ok "$2" || not_ok "$2" "pid $1 is gone"; }

start_storage
METRICS_PORT=$(free_port)
start_gateway "${GW_TLS[@]}" --metrics-listen "127.0.0.1:$METRICS_PORT"
GW=$GATEWAY_PID
check_eq "$(served "$GATEWAY_PORT")" "$S1" "the gateway serves the first certificate"

# 1. SIGHUP with a new certificate, while a device holds one connection
device_bg() {
  timeout 30 "$BIN/firmware-client" --addr "127.0.0.1:$GATEWAY_PORT" "$@" >"$TEST_TMP/bg.out" 2>"$TEST_TMP/bg.err" &
  BG=$!
}
device_bg "${TLS[@]}" "${DEV1[@]}" --repeat 8 --every 400 --stats getprodtypes aws
sleep 1.2
cp "$C/server2.pem" "$L/cert.pem" && cp "$C/server2.key" "$L/key.pem"
hup "$GW" "$GATEWAY_LOG" "tls reloaded: certificate serial $S2 until .*, client CA, CRL with 0 revoked" \
  "SIGHUP: the gateway logs the reload with the new certificate's serial"
check_eq "$(served "$GATEWAY_PORT")" "$S2" "after SIGHUP a new connection is served the new certificate"
alive "$GW" "the gateway kept running through the reload (same pid)"
wait "$BG"
rc=$?
check_rc "$rc" 0 "the device's 8 calls across the reload all succeeded"
check_eq "$(grep -c 'aws cloud products type are:  compute storage' "$TEST_TMP/bg.out")" 8 \
  "8 answers over the connection held across the reload"
check_log "$TEST_TMP/bg.err" "^channel: calls=8 connects=1 " \
  "one connection for all 8 calls: the reload did not drop it ($(tail -1 "$TEST_TMP/bg.err"))"

# 2. reloads that fail keep what is served
bad_reload() { # bad_reload WHAT PATTERN: after the files were spoiled
  hup "$GW" "$GATEWAY_LOG" "tls reload failed, still serving the previous certificates: $2" \
    "a reload from $1 fails with a clear line"
  check_eq "$(served "$GATEWAY_PORT")" "$S2" "after a reload from $1, the previous certificate is still served"
  client "${TLS[@]}" "${DEV1[@]}" getprodtypes aws
  check_rc "$RC" 0 "after a reload from $1, a device still calls"
  alive "$GW" "after a reload from $1 the gateway runs on"
}
echo "not a certificate" >"$L/cert.pem"
bad_reload "a garbage certificate" "cannot load certificate .*cert.pem"
cp "$C/server2.pem" "$L/cert.pem" && cp "$C/server.key" "$L/key.pem"
bad_reload "a key of another certificate" "certificate and key do not match"
cp "$C/server2.key" "$L/key.pem" && echo "-----BEGIN X509 CRL-----" >"$L/crl.pem"
bad_reload "an unparseable CRL" "cannot load CRL .*crl.pem"
cp "$C/other-ca.pem" "$L/crl.pem"
bad_reload "a certificate in place of the CRL" "cannot load CRL .*crl.pem"
cp "$TEST_TMP/none.crl" "$L/crl.pem" && cp "$C/other-ca.pem" "$L/ca.pem"
bad_reload "a client CA that did not issue the CRL" "CRL .*crl.pem: not issued by a client CA"
cp "$C/ca.pem" "$L/ca.pem" && cp "$TEST_TMP/forged.crl" "$L/crl.pem"
bad_reload "a CRL whose signature is forged" \
  "CRL .*crl.pem: its signature does not verify with its client CA's key"
client "${TLS[@]}" "${DEV2[@]}" getprodtypes aws
check_rc "$RC" 0 "the forged CRL revokes nothing: the device it lists still calls"
cp "$TEST_TMP/none.crl" "$L/crl.pem"

# the client CA reloads: a second CA in the file lets its device in, and out
# again when it goes
ROGUE=(--cert "$C/rogue-device.pem" --key "$C/rogue-device.key")
cat "$C/ca.pem" "$C/other-ca.pem" >"$L/ca.pem"
hup "$GW" "$GATEWAY_LOG" "tls reloaded: " "a client CA file with a second CA reloads"
client "${TLS[@]}" "${ROGUE[@]}" getprodtypes aws
check_rc "$RC" 0 "the second CA's device (board-rogue) now calls"
cp "$C/ca.pem" "$L/ca.pem"
hup "$GW" "$GATEWAY_LOG" "tls reloaded: " "the client CA file without it reloads"
client "${TLS[@]}" "${ROGUE[@]}" getprodtypes aws
check_eq "$ERR" "rpc error: code = Unavailable desc = error while calling client.GetVendorProdTypes() method: connection error: authentication handshake failed: server sent TLS alert 48 (unknown_ca: device certificate not trusted)" \
  "board-rogue is refused again (unknown_ca)"

# 3. --tls-crl: the revoked device is refused at its handshake, named in the
# log; the good one calls
# 4a. before the revocation: board-0002 saves a session, which resumes
# handshake VERSION-FLAG ARGS...: openssl's New/Reused and the version,
# then the alert it got, if any (a refused client certificate is told after
# the handshake)
handshake() {
  local v=$1
  shift
  (sleep 0.4) | openssl s_client -connect "127.0.0.1:$GATEWAY_PORT" "$v" -alpn h2 -CAfile "$C/ca.pem" \
    -servername localhost -verify_return_error "$@" 2>&1 | tr -d '\0' |
    sed -n 's/^\(New\|Reused\), \(TLSv1\.[23]\),.*/\1 \2/p
      s/^.*:error:[^:]*:[^:]*:[^:]*:[a-z0-9]* alert \([a-z ]*\):.*$/alert \1/p' | head -2 | paste -sd ' '
}
for v in 1.3 1.2; do
  f=-tls1_${v#1.}
  check_eq "$(handshake $f "${DEV2[@]/--/-}" -sess_out "$TEST_TMP/d2.$v")" "New TLSv$v" \
    "TLS $v: board-0002's first handshake, its session saved"
  check_eq "$(handshake $f "${DEV2[@]/--/-}" -sess_in "$TEST_TMP/d2.$v")" "Reused TLSv$v" \
    "TLS $v: board-0002's session resumes while it is not revoked"
  check_eq "$(handshake $f "${DEV1[@]/--/-}" -sess_out "$TEST_TMP/d1.$v")" "New TLSv$v" \
    "TLS $v: board-0001's session saved before the reload"
done
# and two devices holding one connection each to the first gateway (no
# connection age there): the revoked one's is closed at the reload, the
# good one's lives on
open_bg() { # NAME DEVICE-ARGS...: --repeat 20 calls, 250 ms apart, one channel
  local n=$1
  shift
  timeout 30 "$BIN/firmware-client" --addr "127.0.0.1:$GATEWAY_PORT" "${TLS[@]}" "$@" \
    --repeat 20 --every 250 --stats getprodtypes aws >"$TEST_TMP/$n.out" 2>"$TEST_TMP/$n.err" &
}
open_bg open2 "${DEV2[@]}"
OPEN2=$!
open_bg open1 "${DEV1[@]}"
OPEN1=$!
# a device holding a ticket across the revocation: --repeat resumes on each
# reconnection (the gateway ages connections out after 600 ms)
GW_PORT=$GATEWAY_PORT GW_LOG=$GATEWAY_LOG
start_gateway "${GW_TLS[@]}" --max-connection-age-ms 600 --max-connection-age-grace-ms 200
AGE_PORT=$GATEWAY_PORT AGE_PID=$GATEWAY_PID AGE_LOG=$GATEWAY_LOG
GATEWAY_PORT=$GW_PORT GATEWAY_LOG=$GW_LOG # the first gateway's, for what follows
timeout 30 "$BIN/firmware-client" --addr "127.0.0.1:$AGE_PORT" "${TLS[@]}" "${DEV2[@]}" \
  --repeat 12 --every 300 --stats getprodtypes aws >"$TEST_TMP/d2.out" 2>"$TEST_TMP/d2.err" &
BG=$!
sleep 2

cp "$TEST_TMP/dev2.crl" "$L/crl.pem"
hup "$GW" "$GATEWAY_LOG" "tls reloaded: .*CRL with 301 revoked" "SIGHUP brings the CRL that revokes board-0002 (and 300 more)"
hup "$AGE_PID" "$AGE_LOG" "tls reloaded: .*CRL with 301 revoked" "the second gateway reloads it too"
wait "$OPEN2" # its channel's end: no more of its refusals after this
OPEN2_RC=$?
for v in 1.3 1.2; do
  client "${TLS[@]}" --tls-version $v "${DEV2[@]}" getprodtypes aws
  check_rc "$RC" 1 "TLS $v: the revoked device's call fails (exit 1)"
  check_eq "$ERR" "rpc error: code = Unavailable desc = error while calling client.GetVendorProdTypes() method: connection error: authentication handshake failed: server sent TLS alert 44 (certificate_revoked)" \
    "TLS $v: the revoked device is told certificate_revoked (alert 44)"
  client "${TLS[@]}" --tls-version $v "${DEV1[@]}" getprodtypes aws
  check_rc "$RC" 0 "TLS $v: a good device still calls"
done
check_log "$GATEWAY_LOG" "tls handshake with ipv4:127.0.0.1:[0-9]+ failed: certificate verify failed: The certificate has been revoked \(is on a CRL\): device board-0002, serial $D2$" \
  "the gateway's log names the revoked device: CN and serial"
# the metrics count the refusals under their reason (docs/operations.md)
# (and those of the device whose open connection the reload closed, as it
# dials again: as many as the log's lines)
n_rev=$(grep -c "failed: certificate verify failed: The certificate has been revoked" "$GATEWAY_LOG")
[ "$n_rev" -ge 2 ] && ok "the log has a line for each refusal, the 2 above among them ($n_rev)" ||
  not_ok "the log has a line for each refusal, the 2 above among them" "$n_rev lines"
check_eq "$(curl -s "http://127.0.0.1:$METRICS_PORT/metrics" |
  sed -n 's/^grpc_server_tls_handshake_failures_total{reason="revoked"} //p')" "$n_rev" \
  "/metrics counts each refusal as reason=\"revoked\""

# 4b. its session from before the revocation: the resumption is refused,
# the full handshake that follows too; board-0001's resumes (same keys)
for v in 1.3 1.2; do
  f=-tls1_${v#1.}
  check_eq "$(handshake $f "${DEV2[@]/--/-}" -sess_in "$TEST_TMP/d2.$v")" "New TLSv$v alert certificate revoked" \
    "TLS $v: the revoked device's resumption is refused (a full handshake), then certificate_revoked"
  check_eq "$(handshake $f "${DEV1[@]/--/-}" -sess_in "$TEST_TMP/d1.$v")" "Reused TLSv$v" \
    "TLS $v: a good device's session from before the reload still resumes"
done
check_log "$GATEWAY_LOG" "failed: certificate verify failed: The certificate has been revoked \(is on a CRL\) \(its session ticket was turned down\): device board-0002, serial $D2$" \
  "the log says the revoked device's session ticket was turned down"

# the connections open at the reload
check_log "$GATEWAY_LOG" "closing ipv4:127.0.0.1:[0-9]+: device board-0002, serial $D2: its certificate is on the CRL$" \
  "the reload closes the revoked device's open connection, and names it"
check_rc "$OPEN2_RC" 1 "the revoked device's open channel ends with exit 1"
n_ok=$(grep -c 'aws cloud products type are:' "$TEST_TMP/open2.out")
if [ "$n_ok" -ge 4 ] && [ "$n_ok" -le 16 ]; then ok "its calls before the reload succeeded, those after failed ($n_ok of 20)"; else
  not_ok "its calls before the reload succeeded, those after failed" "$n_ok of 20 succeeded"
fi
check_log "$TEST_TMP/open2.err" "server sent TLS alert 44 \(certificate_revoked\)" \
  "its channel dials again and is refused with certificate_revoked"
wait "$OPEN1"
check_rc $? 0 "the good device's open channel makes all its calls (exit 0)"
check_eq "$(grep -c 'aws cloud products type are:' "$TEST_TMP/open1.out")" 20 "all 20 of its calls succeeded"
check_log "$TEST_TMP/open1.err" "^channel: calls=20 connects=1 " "on the one connection it opened (connects=1)"
check_eq "$(grep -c 'closing ipv4:.*: device board-0001' "$GATEWAY_LOG")" 0 "the reload left the good device's connection alone"
check_eq "$(curl -s "http://127.0.0.1:$METRICS_PORT/metrics" |
  sed -n 's/^grpc_server_tls_connections_distrusted_total //p')" 1 \
  "/metrics counts the one connection closed as distrusted"

wait "$BG"
rc=$?
check_rc "$rc" 1 "the --repeat device revoked mid-run ends with exit 1"
st=$(tail -1 "$TEST_TMP/d2.err")
case "$st" in
channel:*resumed=[1-9]*) ok "it resumed on reconnection before the revocation ($st)" ;;
*) not_ok "it resumed on reconnection before the revocation" "$st" ;;
esac
n_ok=$(grep -c 'aws cloud products type are:' "$TEST_TMP/d2.out")
if [ "$n_ok" -ge 2 ] && [ "$n_ok" -le 11 ]; then ok "calls before the revocation succeeded, those after failed ($n_ok of 12)"; else
  not_ok "calls before the revocation succeeded, those after failed" "$n_ok of 12 succeeded"
fi
check_log "$TEST_TMP/d2.err" "server sent TLS alert 44 \(certificate_revoked\)" \
  "after the revocation its reconnection is refused with certificate_revoked"
check_log "$AGE_LOG" "\(its session ticket was turned down\): device board-0002, serial $D2$" \
  "the gateway turned down its ticket and named it"

# 4c. a CA dropped from the client CA file by a reload: its devices' tickets
# are turned down as their full handshake is (unknown_ca)
ROGUE=(--cert "$C/rogue-device.pem" --key "$C/rogue-device.key")
cat "$C/ca.pem" "$C/other-ca.pem" >"$L/ca.pem"
hup "$GW" "$GATEWAY_LOG" "tls reloaded: " "the second CA back in the client CA file"
for v in 1.3 1.2; do
  f=-tls1_${v#1.}
  check_eq "$(handshake $f "${ROGUE[@]/--/-}" -sess_out "$TEST_TMP/rogue.$v")" "New TLSv$v" \
    "TLS $v: board-rogue's handshake, its session saved"
  check_eq "$(handshake $f "${ROGUE[@]/--/-}" -sess_in "$TEST_TMP/rogue.$v")" "Reused TLSv$v" \
    "TLS $v: board-rogue's session resumes while its CA is trusted"
done
# across the reload that drops its CA: board-rogue holding a connection
# open, and board-rogue in the middle of a handshake (TLS 1.3: its last
# flight, certificate and Finished, goes out after the reload): both are
# closed by the gateway, as the configuration they were checked against no
# longer trusts them
open_bg openr "${ROGUE[@]}"
OPENR=$!
sleep 1
cp "$C/ca.pem" "$L/ca.pem"
midway=$(/usr/bin/python3 - "$GATEWAY_PORT" "$C" "$GW" "$GATEWAY_LOG" <<'PY'
import os, signal, socket, ssl, sys, time
port, certs, pid, log = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_verify_locations(certs + "/ca.pem")
ctx.load_cert_chain(certs + "/rogue-device.pem", certs + "/rogue-device.key")
ctx.set_alpn_protocols(["h2"])
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(inc, out, server_hostname="localhost")
s = socket.create_connection(("127.0.0.1", port), timeout=5)
while True:  # the client's side of the handshake; its last flight held
    try:
        tls.do_handshake()
        break
    except ssl.SSLWantReadError:
        s.sendall(out.read())
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("closed before the server's flight")
        inc.write(chunk)
held = out.read()
reloads = lambda: open(log).read().count("tls reload")
n = reloads()
os.kill(pid, signal.SIGHUP)
for _ in range(100):
    if reloads() > n:
        break
    time.sleep(0.05)
s.sendall(held)
try:
    while s.recv(65536):  # the server's frames, then its close
        pass
    print("closed")
except socket.timeout:
    print("still open after 5 s")
PY
)
check_log "$GATEWAY_LOG" "tls reloaded: " "the client CA file without the second CA again reloads"
check_eq "$midway" "closed" "board-rogue's handshake under way at the reload: closed once it finishes"
check_log "$GATEWAY_LOG" "closing ipv4:127.0.0.1:[0-9]+: device board-rogue, serial [0-9A-F]+: its CA is no longer a client CA$" \
  "the gateway names why: its CA is no longer a client CA"
check_eq "$(grep -c 'closing ipv4:.*: device board-rogue, serial .*: its CA is no longer a client CA' "$GATEWAY_LOG")" 2 \
  "two board-rogue connections closed: the open one, and the handshake"
wait "$OPENR"
check_rc $? 1 "board-rogue's open channel ends with exit 1"
check_log "$TEST_TMP/openr.err" "server sent TLS alert 48 \(unknown_ca" "its channel dials again and is refused (unknown_ca)"
for v in 1.3 1.2; do
  f=-tls1_${v#1.}
  check_eq "$(handshake $f "${ROGUE[@]/--/-}" -sess_in "$TEST_TMP/rogue.$v")" "New TLSv$v alert unknown ca" \
    "TLS $v: board-rogue's resumption is refused once its CA is gone, then unknown_ca"
done
stop_daemon "$AGE_PID"
stop_daemon "$GW"

# 5. --workers 2: the shepherd passes SIGHUP to both workers
cp "$C/server.pem" "$L/cert.pem" && cp "$C/server.key" "$L/key.pem" && cp "$TEST_TMP/none.crl" "$L/crl.pem"
start_gateway "${GW_TLS[@]}" --workers 2
sleep 0.3 # both workers up
cp "$C/server2.pem" "$L/cert.pem" && cp "$C/server2.key" "$L/key.pem"
hup "$GATEWAY_PID" "$GATEWAY_LOG" "tls reloaded: certificate serial $S2" "--workers 2: SIGHUP reloads" 2
check_eq "$(grep -c "tls reloaded: certificate serial $S2" "$GATEWAY_LOG")" 2 "--workers 2: both workers reloaded"
s=""
for _ in 1 2 3 4 5 6; do s="$s$(served "$GATEWAY_PORT") "; done
check_eq "$s" "$(printf "$S2 %.0s" 1 2 3 4 5 6)" "--workers 2: six new connections, all served the new certificate"
alive "$GATEWAY_PID" "--workers 2: the gateway runs on"
stop_daemon "$GATEWAY_PID"

# 6. storage: --tls-cert/--tls-key reload; the gateway's channel keeps going
cp "$C/server.pem" "$L/s-cert.pem" && cp "$C/server.key" "$L/s-key.pem"
stop_daemon "$STORAGE_PID"
start_storage --tls-cert "$L/s-cert.pem" --tls-key "$L/s-key.pem"
start_gateway --storage-tls-ca "$C/ca.pem" --storage-server-name localhost
check_eq "$(served "$STORAGE_PORT")" "$S1" "storage serves its first certificate"
client getprods aws storage
check_rc "$RC" 0 "a call through the gateway to storage over TLS"
cp "$C/server2.pem" "$L/s-cert.pem" && cp "$C/server2.key" "$L/s-key.pem"
hup "$STORAGE_PID" "$STORAGE_LOG" "tls reloaded: certificate serial $S2" "storage: SIGHUP reloads its certificate"
check_eq "$(served "$STORAGE_PORT")" "$S2" "storage serves the new certificate to a new connection"
client getprods aws storage
check_rc "$RC" 0 "the gateway's storage connection, opened before the reload, still works"
echo garbage >"$L/s-key.pem"
hup "$STORAGE_PID" "$STORAGE_LOG" "tls reload failed, still serving the previous certificate: cannot load key" \
  "storage: a reload from a bad key fails with a clear line"
check_eq "$(served "$STORAGE_PORT")" "$S2" "storage still serves the previous certificate"
alive "$STORAGE_PID" "storage runs on"

# 7. a CRL that cannot work stops the gateway at start, with why
bad_start() { # bad_start WHAT WANT-RC PATTERN ARGS...
  local what=$1 want=$2 re=$3 out rc
  shift 3
  out=$(timeout 10 "$BIN/gateway" --listen "127.0.0.1:$(free_port)" --storage "127.0.0.1:$STORAGE_PORT" \
    --tls-cert "$C/server.pem" --tls-key "$C/server.key" "$@" 2>&1)
  rc=$?
  check_rc "$rc" "$want" "$what: the gateway exits $want"
  if printf '%s' "$out" | grep -Eq -- "$re"; then ok "$what: clear error"; else
    not_ok "$what: clear error" "output: $out" "want /$re/"
  fi
}
bad_start "--tls-crl without --tls-client-ca" 2 "--tls-client-ca F \[--tls-crl F\]" --tls-crl "$TEST_TMP/none.crl"
bad_start "a CRL of another CA" 1 "CRL .*none.crl: not issued by a client CA" \
  --tls-client-ca "$C/other-ca.pem" --tls-crl "$TEST_TMP/none.crl"
bad_start "a missing CRL" 1 "cannot load CRL .*missing.crl" --tls-client-ca "$C/ca.pem" \
  --tls-crl "$TEST_TMP/missing.crl"
bad_start "a forged CRL" 1 "CRL .*forged.crl: its signature does not verify with its client CA's key" \
  --tls-client-ca "$C/ca.pem" --tls-crl "$TEST_TMP/forged.crl"

finish
