#!/bin/bash
# Incorrect arguments: unknown vendor on both methods, unknown product type
# (exact error lines, exit 1, nothing on stdout), and usage errors (exit 2).
. "$(dirname "$0")/../lib/common.sh"
require_bins
start_storage
start_gateway

client getprodtypes foo
check_rc "$RC" 1 "getprodtypes foo exits 1"
check_eq "$ERR" "rpc error: code = InvalidArgument desc = error while calling client.GetVendorProdTypes() method: wrong vendor, select between google, aws, oracle" \
  "getprodtypes foo error line"
check_eq "$OUT" "" "getprodtypes foo prints nothing on stdout"

client getprods aws tools
check_rc "$RC" 1 "getprods aws tools exits 1"
check_eq "$ERR" "rpc error: code = InvalidArgument desc = error while receiving the stream for client.GetVendorProds: error while calling client.GetProdsDetail() method: Invalid ProductType: tools" \
  "getprods aws tools error line"
check_eq "$OUT" "" "getprods aws tools prints nothing on stdout"

client getprods foo compute
check_rc "$RC" 1 "getprods foo compute exits 1"
check_eq "$ERR" "rpc error: code = InvalidArgument desc = error while receiving the stream for client.GetVendorProds: error while calling client.GetProdsDetail() method: Invalid Vendor: foo" \
  "getprods foo compute error line"
check_eq "$OUT" "" "getprods foo compute prints nothing on stdout"

client getprods google tools
check_eq "$ERR" "rpc error: code = InvalidArgument desc = error while receiving the stream for client.GetVendorProds: error while calling client.GetProdsDetail() method: Invalid ProductType: tools" \
  "getprods google tools error line"

# An empty vendor is just another unknown vendor.
client getprodtypes ""
check_rc "$RC" 1 "getprodtypes '' exits 1"
check_eq "$ERR" "rpc error: code = InvalidArgument desc = error while calling client.GetVendorProdTypes() method: wrong vendor, select between google, aws, oracle" \
  "getprodtypes '' error line"

# Usage errors: exit 2, a usage line on stderr, nothing on stdout, no call.
usage_case() {
  client "$@"
  check_rc "$RC" 2 "usage error exits 2: firmware-client $*"
  if printf '%s\n' "$ERR" | grep -qi 'usage'; then ok "usage line on stderr: firmware-client $*"; else
    not_ok "usage line on stderr: firmware-client $*" "stderr: $ERR"; fi
  check_eq "$OUT" "" "nothing on stdout: firmware-client $*"
}
usage_case --no-addr
usage_case getprodtypes
usage_case getprods aws
usage_case getprods
usage_case frobnicate aws
usage_case getprodtypes aws extra
usage_case getprods aws compute extra
usage_case --timeout
usage_case --timeout abc getprodtypes aws
usage_case --timeout -1 getprodtypes aws
usage_case --bogus getprodtypes aws

# The daemons are unharmed: a normal call still succeeds.
client getprodtypes google
check_eq "$OUT" "$(expected getprodtypes_google.txt)" "a normal call after the errors succeeds"

finish
