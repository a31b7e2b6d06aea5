#!/bin/bash
# The firmware client on 32-bit ARM Linux, under qemu-arm, against the host's
# daemons: the same output and exit status as the host client (board.sh).
. "$(dirname "$0")/board.sh"
board_suite armhf-linux
