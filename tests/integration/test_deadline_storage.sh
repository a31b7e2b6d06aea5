#!/bin/bash
# storage-backends: sqlite postgresql (tests/run.sh runs it on both)
# The article's first deadline scenario: storage's "heavy processing" takes
# 5 s (--delay-ms 5000), the client keeps its default 4 s deadline. The client
# reports DeadlineExceeded after about 4 s, storage logs that it dropped the
# call. Meanwhile the delay blocks nobody: a getprodtypes answers at once and
# a getprods with a longer deadline succeeds after about 5 s.
. "$(dirname "$0")/../lib/common.sh"
require_bins
start_storage --delay-ms 5000
start_gateway

D=$TEST_TMP
client_bg "$D/late" getprods aws storage                       # default 4 s deadline
late=$BG_PID
client_bg "$D/patient" --timeout 8 getprods google compute    # outlives the delay
patient=$BG_PID
sleep 0.3
client getprodtypes aws
check_rc "$RC" 0 "getprodtypes during a slow storage call exits 0"
check_eq "$OUT" "$(expected getprodtypes_aws.txt)" "getprodtypes during a slow storage call output"
check_between "$MS" 0 1000 "getprodtypes is not blocked by the slow storage call"

wait "$late" "$patient"
RC=$(cat "$D/late.rc") OUT=$(cat "$D/late.out") ERR=$(cat "$D/late.err")
check_rc "$RC" 1 "getprods aws storage past its deadline exits 1"
check_eq "$ERR" "rpc error: code = DeadlineExceeded desc = error while receiving the stream for client.GetVendorProds: context deadline exceeded" \
  "getprods aws storage past its deadline: error line"
check_eq "$OUT" "" "getprods aws storage past its deadline prints no product"
check_between "$(cat "$D/late.ms")" 3500 5000 "DeadlineExceeded comes after about 4 s"

RC=$(cat "$D/patient.rc") OUT=$(cat "$D/patient.out") ERR=$(cat "$D/patient.err")
check_rc "$RC" 0 "getprods with --timeout 8 during the delay exits 0"
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_google_compute.txt)" "getprods with --timeout 8 output"
# Two 5 s calls ran side by side, not one after the other.
check_between "$(cat "$D/patient.ms")" 4500 7500 "storage's delay does not serialise calls"

check_log "$STORAGE_LOG" 'dropped|deadline|DEADLINE|Dropped|Deadline' "storage logs the dropped call" 3
check_log "$STORAGE_LOG" 'have received a request for -> storage <- product type from -> aws <- vendor' \
  "storage logs the aws storage request"

finish
