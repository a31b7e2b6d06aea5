#!/bin/bash
# fc-interop's 14 cases on mps2-an385 over TCP/IP (make BOARD=mps2-an385
# NET=lwip: lwIP on the board's Ethernet, QEMU's NIC on a tap device in the
# test's own network namespace, tests/lib/netns.sh) against our interop-server
# (the rpc runtime). tests/lib/fc_interop.sh says how.
. "$(dirname "$0")/../lib/netns.sh"
netns_enter "$0" "$@"
. "$(dirname "$0")/../lib/fc_interop.sh"
fci_suite ours mps2-an385-lwip
