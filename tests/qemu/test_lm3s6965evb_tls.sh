#!/bin/bash
# The firmware client over TLS on the Stellaris LM3S6965 (bare-metal
# Cortex-M3): the TLS records cross UART0, the certificates are read from the
# host through semihosting. Against the host's daemons: the same output and
# exit status as the host client, mutual TLS accepted and refused (board.sh).
. "$(dirname "$0")/board.sh"
board_tls_suite lm3s6965evb
