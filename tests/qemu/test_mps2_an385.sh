#!/bin/bash
# The firmware client on the MPS2 AN385 (bare-metal Cortex-M3, CMSDK UART),
# under qemu-system-arm, against the host's daemons: the same output and exit
# status as the host client (board.sh).
. "$(dirname "$0")/board.sh"
board_suite mps2-an385
