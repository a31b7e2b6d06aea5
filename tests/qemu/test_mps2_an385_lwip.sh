#!/bin/bash
# The firmware client on mps2-an385 over TCP/IP (make BOARD=mps2-an385 NET=lwip:
# lwIP on the board's Ethernet, QEMU's NIC on a tap device in the test's own
# network namespace, tests/lib/netns.sh): the UART suite's scenarios, with
# the host client's output and exit status (board.sh).
. "$(dirname "$0")/../lib/netns.sh"
netns_enter "$0" "$@"
. "$(dirname "$0")/board.sh"
board_suite mps2-an385 lwip
