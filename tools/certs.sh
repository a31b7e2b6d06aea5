#!/bin/bash
# Makes a test PKI in DIR (default build/certs): a CA, a server certificate for
# "localhost", a device certificate (CN board-0001), and for the error tests an
# expired server certificate and a second, unrelated CA with a device of its
# own (rogue-device).
#
# The CAs and the server are RSA-2048 (sha256WithRSAEncryption; the server
# signs TLS 1.3's CertificateVerify with rsa_pss_rsae_sha256), the devices
# ECDSA P-256: a device verifies the CA's signature on the server's
# certificate and the server's CertificateVerify, and an RSA verification
# (e = 65537) costs a small core a few tens of milliseconds where an ECDSA
# P-256 one costs more than a second; the device's own signature stays
# ECDSA, which is cheap to make (docs/boards.md, "TLS handshake speed").
#
# ecdsa-ca, ecdsa-server and ecdsa-device are the same PKI all in ECDSA P-256,
# for measurements and for the tests of an ECDSA server.
#
# Nothing here is committed: tests and the README's examples generate their
# own.
set -euo pipefail
D=${1:-build/certs}
mkdir -p "$D"
cd "$D"
[ -s ca.pem ] && [ -s other-ca.pem ] && [ -s ecdsa-device.pem ] && exit 0
ec() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }
rsa() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
ca() { # ca NAME CN KEYTYPE
  "$3" "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days 3650 -subj "/CN=$2" -out "$1.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
leaf() { # leaf NAME CN SAN DAYS KEYTYPE [CA]
  local signer=${6:-ca}
  "$5" "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\n%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$signer.pem" -CAkey "$signer.key" -CAcreateserial \
    -sha256 -days "$4" -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
ca ca "Test CA" rsa
ca other-ca "Other CA" rsa
leaf server localhost "subjectAltName=DNS:localhost,IP:127.0.0.1" 825 rsa
leaf device board-0001 "extendedKeyUsage=clientAuth" 825 ec
leaf rogue-device board-rogue "extendedKeyUsage=clientAuth" 825 ec other-ca
ca ecdsa-ca "Test ECDSA CA" ec
leaf ecdsa-server localhost "subjectAltName=DNS:localhost,IP:127.0.0.1" 825 ec ecdsa-ca
leaf ecdsa-device board-0001 "extendedKeyUsage=clientAuth" 825 ec ecdsa-ca
# Expired: valid from 3 days ago for 1 day (openssl x509 -days cannot go back).
rsa expired.key
openssl req -new -key expired.key -subj "/CN=localhost" -out expired.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' >expired.ext
if openssl x509 -req -help 2>&1 | grep -q -- '-not_before'; then
  openssl x509 -req -in expired.csr -CA ca.pem -CAkey ca.key -not_before 20200101000000Z \
    -not_after 20200102000000Z -extfile expired.ext -out expired.pem 2>/dev/null
else
  openssl ca -batch -selfsign -help >/dev/null 2>&1 || true
  mkdir -p expired-ca/newcerts && : >expired-ca/index.txt && echo 01 >expired-ca/serial
  cat >expired-ca/ca.cnf <<CNF
[ca]
default_ca = d
[d]
dir = expired-ca
database = expired-ca/index.txt
new_certs_dir = expired-ca/newcerts
serial = expired-ca/serial
default_md = sha256
policy = p
copy_extensions = none
[p]
commonName = supplied
CNF
  openssl ca -batch -config expired-ca/ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr \
    -startdate 20200101000000Z -enddate 20200102000000Z -extfile expired.ext -out expired.pem \
    -notext 2>/dev/null
  rm -rf expired-ca
fi
rm -f expired.csr expired.ext
