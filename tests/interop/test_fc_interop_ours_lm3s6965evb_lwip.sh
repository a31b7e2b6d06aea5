#!/bin/bash
# fc-interop's 14 cases on lm3s6965evb over TCP/IP (make BOARD=lm3s6965evb
# NET=lwip: lwIP on the board's Ethernet, QEMU's NIC on a tap device in the
# test's own network namespace, tests/lib/netns.sh) against our interop-server
# (the rpc runtime). tests/lib/fc_interop.sh says how.
. "$(dirname "$0")/../lib/netns.sh"
netns_enter "$0" "$@"
. "$(dirname "$0")/../lib/fc_interop.sh"
fci_suite ours lm3s6965evb-lwip
