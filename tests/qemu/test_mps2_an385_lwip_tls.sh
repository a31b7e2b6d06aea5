#!/bin/bash
# The firmware client on mps2-an385 over TLS over TCP/IP (NET=lwip): the UART
# TLS suite's scenarios, plaintext servers aside: TLS 1.3 and 1.2, mutual
# TLS accepted and refused, a wrong CA, an expired certificate (board.sh).
. "$(dirname "$0")/../lib/netns.sh"
netns_enter "$0" "$@"
. "$(dirname "$0")/board.sh"
board_tls_suite mps2-an385 lwip
