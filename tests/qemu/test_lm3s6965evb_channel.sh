#!/bin/bash
# The device channel on lm3s6965evb over UART0 (tests/lib/channel.sh): several
# calls in one serial session, keepalive, TLS with one handshake for N calls.
. "$(dirname "$0")/board.sh"
. "$(dirname "$0")/../lib/channel.sh"
cm_channel_suite lm3s6965evb
