#!/bin/bash
# fc-interop's 14 cases on mps2-an385 over TCP/IP (make BOARD=mps2-an385
# NET=lwip: lwIP on the board's Ethernet, QEMU's NIC on a tap device in the
# test's own network namespace, tests/lib/netns.sh) against grpc-go's official
# interop server, built from Debian's golang-google-grpc source
# (tools/grpc_go_interop.sh). It listens on every interface, which the UART
# suite keeps off the machine's network with unshare -n; here netns_enter's
# namespace does that: it holds only its loopback and the tap, whose other end
# is the board. tests/lib/fc_interop.sh says how.
. "$(dirname "$0")/../lib/netns.sh"
netns_enter "$0" "$@"
. "$(dirname "$0")/../lib/fc_interop.sh"
fci_suite grpcgo mps2-an385-lwip
