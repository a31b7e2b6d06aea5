#!/bin/bash
# The firmware client on lm3s6965evb over TCP/IP (make BOARD=lm3s6965evb NET=lwip:
# lwIP on the board's Ethernet, QEMU's NIC on a tap device in the test's own
# network namespace, tests/lib/netns.sh): the UART suite's scenarios, with
# the host client's output and exit status (board.sh).
. "$(dirname "$0")/../lib/netns.sh"
netns_enter "$0" "$@"
. "$(dirname "$0")/board.sh"
board_suite lm3s6965evb lwip
