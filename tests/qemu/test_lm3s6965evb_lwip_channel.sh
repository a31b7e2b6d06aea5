#!/bin/bash
# The device channel on lm3s6965evb over TCP/IP (NET=lwip), as on the Linux
# boards (tests/lib/channel.sh): calls on one connection, reconnection after
# a gateway restart with and without wait-for-ready, a GOAWAY drain,
# keepalive, a dead peer, too_many_pings, and TLS resumption, counted by a
# proxy in the test's namespace (tests/lib/netns.sh).
. "$(dirname "$0")/../lib/netns.sh"
netns_enter "$0" "$@"
. "$(dirname "$0")/board.sh"
. "$(dirname "$0")/../lib/channel.sh"
channel_suite lm3s6965evb lwip
