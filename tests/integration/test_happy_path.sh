#!/bin/bash
# storage-backends: sqlite postgresql (tests/run.sh runs it on both)
# The article's happy path through the real daemons: every vendor with both
# product types (getprods) and every vendor's product types (getprodtypes),
# compared line by line with expected/; case-insensitive matching; the
# daemons' log lines.
. "$(dirname "$0")/../lib/common.sh"
require_bins
start_storage
start_gateway

for v in google aws oracle; do
  client getprodtypes "$v"
  check_rc "$RC" 0 "getprodtypes $v exits 0"
  check_eq "$OUT" "$(expected "getprodtypes_$v.txt")" "getprodtypes $v output"
  check_eq "$ERR" "" "getprodtypes $v prints nothing on stderr"
  for t in compute storage; do
    client getprods "$v" "$t"
    check_rc "$RC" 0 "getprods $v $t exits 0"
    check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected "getprods_${v}_$t.txt")" "getprods $v $t output"
    check_eq "$ERR" "" "getprods $v $t prints nothing on stderr"
    # Every ShortUrl is fresh: no two equal within one answer.
    n=$(printf '%s\n' "$OUT" | grep -o 'made-up-url\.com/[0-9a-f]*$' | sort | uniq -d | wc -l)
    check_eq "$n" 0 "getprods $v $t ShortUrls are distinct"
  done
done

# Case-insensitive: the answer is the lower-case one; getprodtypes prints the
# vendor as typed.
client getprods AWS Storage
check_rc "$RC" 0 "getprods AWS Storage exits 0"
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_aws_storage.txt)" "getprods AWS Storage output"
client getprods GoOgLe COMPUTE
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_google_compute.txt)" "getprods GoOgLe COMPUTE output"
client getprodtypes AWS
check_rc "$RC" 0 "getprodtypes AWS exits 0"
check_eq "$OUT" "AWS cloud products type are:  compute storage" "getprodtypes AWS output keeps the vendor as typed"
client getprodtypes Oracle
check_eq "$OUT" "Oracle cloud products type are:  compute storage" "getprodtypes Oracle output"

# --timeout given explicitly.
client --timeout 10 getprods oracle compute
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_oracle_compute.txt)" "getprods with --timeout 10"

# The article's log lines, one line per event, on stderr.
check_log "$STORAGE_LOG" 'have received a request for -> compute <- product type from -> google <- vendor' \
  "storage logs the google compute request"
check_log "$STORAGE_LOG" 'a number of 5 products were sent to client' "storage logs 'a number of 5 products were sent to client'"
check_log "$STORAGE_LOG" 'a number of 7 products were sent to client' "storage logs 'a number of 7 products were sent to client'"
check_log "$GATEWAY_LOG" 'the response was sent to client' "gateway logs 'the response was sent to client'"

# One line per event, each with a timestamp.
TS_RE='^[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}'
for f in "$STORAGE_LOG" "$GATEWAY_LOG"; do
  bad=$(grep -Ev "$TS_RE" "$f" | head -5)
  if [ -z "$bad" ] && [ -s "$f" ]; then ok "every line of $(basename "$f") starts with a timestamp"; else
    not_ok "every line of $(basename "$f") starts with a timestamp" "$bad"; fi
done
if [ "${TEST_STORAGE_BACKEND:-sqlite}" = postgresql ]; then
  n=$(psql -X "$STORAGE_DB" -Atc "SELECT count(*) FROM product" 2>&1)
  check_eq "$n" "33" "storage creates and seeds its catalogue in the PostgreSQL database at --db"
elif [ -f "$TEST_TMP/catalogue.db" ]; then ok "storage creates its database at --db"; else not_ok "storage creates its database at --db"; fi

# The storage restarts on the same database (already seeded): same answers.
stop_daemon "$STORAGE_PID" TERM
start_storage --port "$STORAGE_PORT"
client getprods oracle storage
check_rc "$RC" 0 "getprods after storage restart on the same db exits 0"
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_oracle_storage.txt)" "getprods after storage restart on the same db: same catalogue (seeded once)"

finish
