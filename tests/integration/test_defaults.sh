#!/bin/bash
# shellcheck disable=SC2034  # variables read by lib/common.sh
# The documented defaults (DESIGN.md section 3): storage listens on
# 127.0.0.1:6000, the gateway on 127.0.0.1:8080 and dials storage at
# 127.0.0.1:6000, the client dials 127.0.0.1:8080 with a 4 s deadline.
# Fixed ports would clash with other daemons on the machine, so the test runs
# in a network namespace of its own (unshare -n); without one it is skipped.
if [ -z "${FWTEST_NETNS:-}" ]; then
  if unshare -n true 2>/dev/null; then
    exec unshare -n env FWTEST_NETNS=1 "$0" "$@"
  fi
  echo "ok - # SKIP no network namespace (unshare -n needs root)"
  exit 0
fi
. "$(dirname "$0")/../lib/common.sh"
require_bins
ip link set lo up 2>/dev/null || "$PY" -c 'import fcntl, socket, struct
s = socket.socket(); ifr = struct.pack("16sH", b"lo", 0)
flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, ifr))[1]
fcntl.ioctl(s, 0x8914, struct.pack("16sH", b"lo", flags | 1))'

STORAGE_PORT=6000
STORAGE_LOG=$TEST_TMP/storage.log
start_daemon storage 6000 "$STORAGE_LOG" --db "$TEST_TMP/catalogue.db" || bail "storage did not start on its default port 6000"
STORAGE_PID=$LAST_PID
GATEWAY_PORT=8080
GATEWAY_LOG=$TEST_TMP/gateway.log
start_daemon gateway 8080 "$GATEWAY_LOG" || bail "gateway did not start on its default port 8080"
GATEWAY_PID=$LAST_PID
if [ -f "$TEST_TMP/catalogue.db" ]; then ok "storage creates its database at --db"; else not_ok "storage creates its database at --db"; fi

client --no-addr getprods google compute
check_rc "$RC" 0 "defaults: getprods google compute exits 0"
check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_google_compute.txt)" "defaults: getprods google compute output"
client --no-addr getprodtypes oracle
check_eq "$OUT" "$(expected getprodtypes_oracle.txt)" "defaults: getprodtypes oracle output"
finish
