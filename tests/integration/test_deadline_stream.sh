#!/bin/bash
# The article's second deadline scenario: the gateway sleeps 1 s before each
# streamed product (--stream-delay-ms 1000); getprods aws storage (7 products)
# with the default 4 s deadline prints the first products, then the
# DeadlineExceeded line, and exits 1.
. "$(dirname "$0")/../lib/common.sh"
require_bins
start_storage
start_gateway --stream-delay-ms 1000

client getprods aws storage
check_rc "$RC" 1 "getprods aws storage with a slow stream exits 1"
check_eq "$ERR" "rpc error: code = DeadlineExceeded desc = error while receiving the stream for client.GetVendorProds: context deadline exceeded" \
  "slow stream: error line after the products"
check_between "$MS" 3500 5000 "slow stream: the deadline hits after about 4 s"
n=$(printf '%s' "$OUT" | grep -c '^Title: ')
if [ "$n" -ge 3 ] && [ "$n" -le 5 ]; then ok "slow stream: the first products are printed ($n of 7)"; else
  not_ok "slow stream: the first 3 to 5 products are printed" "got $n lines:" "$OUT"; fi
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_aws_storage.txt | head -n "$n")" \
  "slow stream: the products printed are the first ones, in order"

# A stream that fits in its deadline is complete.
client --timeout 10 getprods oracle compute
check_rc "$RC" 0 "slow stream within a 10 s deadline exits 0"
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_oracle_compute.txt)" "slow stream within its deadline: all 4 products"
check_between "$MS" 2500 6500 "slow stream within its deadline takes 3 to 4 s"

finish
