#!/bin/bash
# storage-backends: sqlite postgresql (tests/run.sh runs it on both)
# Interop, server side of our gateway's client core: a python grpcio
# StorageService (py_storage.py, the article's catalogue) replaces our storage
# behind our gateway, and our CLI's output is unchanged: the same expected
# files, the same error lines, deadlines forwarded, reconnects.
. "$(dirname "$0")/../lib/common.sh"
require_bins gateway firmware-client
export STORAGE_EXE=$TEST_ROOT/tests/interop/py_storage.py
"$TEST_ROOT/tools/pygen.sh" || bail "tools/pygen.sh failed"
start_storage
start_gateway

for v in google aws oracle; do
  client getprodtypes "$v"
  check_eq "$OUT" "$(expected "getprodtypes_$v.txt")" "getprodtypes $v output"
  for t in compute storage; do
    client getprods "$v" "$t"
    check_rc "$RC" 0 "getprods $v $t via grpcio storage exits 0"
    check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected "getprods_${v}_$t.txt")" "getprods $v $t via grpcio storage output"
    check_eq "$ERR" "" "getprods $v $t via grpcio storage: nothing on stderr"
  done
done
client getprods Oracle STORAGE
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_oracle_storage.txt)" "getprods Oracle STORAGE via grpcio storage output"

# Errors come from grpcio's status, passed through by the gateway.
client getprods aws tools
check_rc "$RC" 1 "getprods aws tools via grpcio storage exits 1"
check_eq "$ERR" "rpc error: code = InvalidArgument desc = error while receiving the stream for client.GetVendorProds: error while calling client.GetProdsDetail() method: Invalid ProductType: tools" \
  "getprods aws tools via grpcio storage: error line"
client getprods foo compute
check_eq "$ERR" "rpc error: code = InvalidArgument desc = error while receiving the stream for client.GetVendorProds: error while calling client.GetProdsDetail() method: Invalid Vendor: foo" \
  "getprods foo compute via grpcio storage: error line"

# The gateway forwards the time that remains (grpc-timeout) to storage.
client --timeout 3 getprods google compute
check_rc "$RC" 0 "getprods --timeout 3 via grpcio storage exits 0"
ms=$(grep -o 'deadline in [0-9]* ms' "$STORAGE_LOG" | tail -1 | grep -o '[0-9]*')
if [ -n "$ms" ] && [ "$ms" -gt 2000 ] && [ "$ms" -le 3000 ]; then ok "the gateway forwards the remaining deadline to storage ($ms ms of 3000)"; else
  not_ok "the gateway forwards the remaining deadline to storage" "grpcio storage saw: $(grep -E 'deadline in|no deadline' "$STORAGE_LOG" | tail -1)"; fi

# Many calls at once over the gateway's one connection to grpcio.
bg=()
for i in 1 2 3 4 5 6; do client_bg "$TEST_TMP/par$i" getprods aws storage; bg+=("$BG_PID"); done
wait "${bg[@]}"
good=0
for i in 1 2 3 4 5 6; do
  [ "$(cat "$TEST_TMP/par$i.rc")" = 0 ] && [ "$(mask_short <"$TEST_TMP/par$i.out")" == "$(expected getprods_aws_storage.txt)" ] && good=$((good + 1))
done
check_eq "$good" 6 "6 concurrent getprods via grpcio storage all succeed"

stop_daemon "$STORAGE_PID" TERM
SPORT=$STORAGE_PORT

# Deadline forwarded: grpcio storage sleeps 3 s, the client gives 1 s.
start_storage --port "$SPORT" --delay-ms 3000
client --timeout 1 getprods aws storage
check_rc "$RC" 1 "slow grpcio storage: exits 1"
check_eq "$ERR" "rpc error: code = DeadlineExceeded desc = error while receiving the stream for client.GetVendorProds: context deadline exceeded" \
  "slow grpcio storage: DeadlineExceeded line"
check_between "$MS" 700 2000 "slow grpcio storage: DeadlineExceeded after about 1 s"
# grpcio sees the call end (grpc-timeout forwarded, or RST_STREAM) well before 3 s.
check_log "$STORAGE_LOG" 'dropped' "grpcio storage sees the call dropped before its 3 s delay ends" 1.5
stop_daemon "$STORAGE_PID" TERM

# Down, then back: Unavailable at once, then the next call succeeds.
client getprods google storage
check_rc "$RC" 1 "grpcio storage down: exits 1"
case "$ERR" in "rpc error: code = Unavailable desc = "*) ok "grpcio storage down: Unavailable" ;;
  *) not_ok "grpcio storage down: Unavailable" "stderr: $ERR" ;; esac
check_between "$MS" 0 1000 "grpcio storage down: fails at once"
start_storage --port "$SPORT"
client getprods google storage
check_rc "$RC" 0 "grpcio storage back: next getprods exits 0"
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_google_storage.txt)" "grpcio storage back: output"

finish
