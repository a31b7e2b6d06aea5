#!/bin/bash
# The firmware client on the Stellaris LM3S6965 (bare-metal Cortex-M3, PL011
# UART), under qemu-system-arm, against the host's daemons: the same output and
# exit status as the host client (board.sh).
. "$(dirname "$0")/board.sh"
board_suite lm3s6965evb
