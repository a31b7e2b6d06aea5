#!/bin/bash
# The firmware client over TLS on the MPS2 AN385 (bare-metal Cortex-M3, CMSDK
# UART): the TLS records cross UART0, the certificates are read from the host
# through semihosting. Against the host's daemons: the same output and exit
# status as the host client, mutual TLS accepted and refused (board.sh).
. "$(dirname "$0")/board.sh"
board_tls_suite mps2-an385
