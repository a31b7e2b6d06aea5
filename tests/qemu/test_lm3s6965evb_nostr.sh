#!/bin/bash
# The string-free build of lm3s6965evb (make BOARD=lm3s6965evb FC_TLS=no
# ERRSTR=no: RPC_NO_ERRSTR, docs/config.md) under QEMU: the same answers as
# the host client; the server's error words still arrive (they are data), the
# board's own error texts are gone and the gRPC code remains.
. "$(dirname "$0")/board.sh"
board_setup lm3s6965evb
IMAGE=$TEST_ROOT/build/lm3s6965evb-notls-nostr/bin/firmware-client$EXE
[ -f "$IMAGE" ] || bail "missing $IMAGE (build with: make BOARD=lm3s6965evb FC_TLS=no ERRSTR=no)"
start_storage
start_gateway
same_as_host "getprods google compute" "$(expected getprods_google_compute.txt)" "" 0 \
  getprods google compute
same_as_host "getprods of an unknown type: storage's words pass through" "" \
  "rpc error: code = InvalidArgument desc = error while receiving the stream for client.GetVendorProds: error while calling client.GetProdsDetail() method: Invalid ProductType: tools" \
  1 getprods aws tools
# the board refuses a vendor over its bound itself: the code, no words
long=vendor-name-longer-than-the-board-allows
board_client getprodtypes "$long"
check_rc "$RC" 1 "a vendor over the bound fails"
check_eq "$ERR" "rpc error: code = InvalidArgument desc = error while calling client.GetVendorProdTypes() method: " \
  "a vendor over the bound: InvalidArgument, the board's own words compiled out"
client getprodtypes "$long"
check_eq "$ERR" "rpc error: code = InvalidArgument desc = error while calling client.GetVendorProdTypes() method: vendor is longer than 31 bytes" \
  "the host client (with strings) says why"
finish
