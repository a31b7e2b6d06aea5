#!/bin/bash
# The device channel on the host (the host-asan client): one connection for
# many calls, reconnection with backoff, wait-for-ready, drain, keepalive,
# too_many_pings and TLS resumption, counted by a proxy (tests/lib/channel.sh).
export TEST_BIN_DIR=${TEST_BIN_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/host-asan/bin}
. "$(dirname "$0")/../qemu/board.sh"
. "$(dirname "$0")/../lib/channel.sh"
channel_suite host
