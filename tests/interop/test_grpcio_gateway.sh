#!/bin/bash
# Interop in the middle: a python grpcio ProdService (py_gateway.py, after the
# article's gateway) replaces our gateway. Our CLI talks to a grpcio server
# (our rpc client core against grpcio), and grpcio's client talks to our
# storage (our rpc server against grpcio). The CLI's output is unchanged.
. "$(dirname "$0")/../lib/common.sh"
require_bins storage firmware-client
export GATEWAY_EXE=$TEST_ROOT/tests/interop/py_gateway.py
"$TEST_ROOT/tools/pygen.sh" || bail "tools/pygen.sh failed"
start_storage
start_gateway

for v in google aws oracle; do
  client getprodtypes "$v"
  check_rc "$RC" 0 "getprodtypes $v via grpcio gateway exits 0"
  check_eq "$OUT" "$(expected "getprodtypes_$v.txt")" "getprodtypes $v via grpcio gateway output"
  for t in compute storage; do
    client getprods "$v" "$t"
    check_rc "$RC" 0 "getprods $v $t via grpcio gateway exits 0"
    check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected "getprods_${v}_$t.txt")" "getprods $v $t via grpcio gateway output"
    check_eq "$ERR" "" "getprods $v $t via grpcio gateway: nothing on stderr"
  done
done
client getprods AWS Compute
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_aws_compute.txt)" "getprods AWS Compute via grpcio gateway output"
client getprodtypes AWS
check_eq "$OUT" "AWS cloud products type are:  compute storage" "getprodtypes AWS via grpcio gateway output"

client getprodtypes foo
check_rc "$RC" 1 "getprodtypes foo via grpcio gateway exits 1"
check_eq "$ERR" "rpc error: code = InvalidArgument desc = error while calling client.GetVendorProdTypes() method: wrong vendor, select between google, aws, oracle" \
  "getprodtypes foo via grpcio gateway: error line"
client getprods aws tools
check_eq "$ERR" "rpc error: code = InvalidArgument desc = error while receiving the stream for client.GetVendorProds: error while calling client.GetProdsDetail() method: Invalid ProductType: tools" \
  "getprods aws tools via grpcio gateway: error line (our storage's status through grpcio)"
client getprods foo storage
check_eq "$ERR" "rpc error: code = InvalidArgument desc = error while receiving the stream for client.GetVendorProds: error while calling client.GetProdsDetail() method: Invalid Vendor: foo" \
  "getprods foo storage via grpcio gateway: error line"

# Deadlines across grpcio: our storage is slower than the CLI's 1 s deadline;
# grpcio forwards the remaining time to our storage, which drops the call.
stop_daemon "$STORAGE_PID" TERM
start_storage --port "$STORAGE_PORT" --delay-ms 3000
client --timeout 1 getprods aws storage
check_rc "$RC" 1 "slow storage via grpcio gateway: exits 1"
case "$ERR" in
  "rpc error: code = DeadlineExceeded desc = error while receiving the stream for client.GetVendorProds: "*)
    ok "slow storage via grpcio gateway: DeadlineExceeded line" ;;
  *) not_ok "slow storage via grpcio gateway: DeadlineExceeded line" "stderr: $ERR" ;;
esac
check_between "$MS" 700 2000 "slow storage via grpcio gateway: after about 1 s"
check_log "$STORAGE_LOG" 'dropped|deadline|cancel' "our storage drops the call grpcio forwarded with its deadline" 1.5
stop_daemon "$STORAGE_PID" TERM

# Storage down: Unavailable.
client getprods aws storage
check_rc "$RC" 1 "storage down via grpcio gateway: exits 1"
case "$ERR" in "rpc error: code = Unavailable desc = "*) ok "storage down via grpcio gateway: Unavailable" ;;
  *) not_ok "storage down via grpcio gateway: Unavailable" "stderr: $ERR" ;; esac

# A slow stream from grpcio: the first products, then the deadline.
start_storage --port "$STORAGE_PORT"
stop_daemon "$GATEWAY_PID" TERM
start_gateway --stream-delay-ms 500
client --timeout 2 getprods aws storage
check_rc "$RC" 1 "slow grpcio stream: exits 1"
n=$(printf '%s' "$OUT" | grep -c '^Title: ')
if [ "$n" -ge 2 ] && [ "$n" -le 5 ]; then ok "slow grpcio stream: the first products ($n of 7)"; else
  not_ok "slow grpcio stream: 2 to 5 products" "got $n:" "$OUT"; fi
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_aws_storage.txt | head -n "$n")" "slow grpcio stream: the first products, in order"
case "$ERR" in
  "rpc error: code = DeadlineExceeded desc = error while receiving the stream for client.GetVendorProds: "*)
    ok "slow grpcio stream: DeadlineExceeded line" ;;
  *) not_ok "slow grpcio stream: DeadlineExceeded line" "stderr: $ERR" ;;
esac
client --timeout 10 getprods oracle compute
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_oracle_compute.txt)" "slow grpcio stream within its deadline: complete"

finish
