#!/bin/bash
# The firmware client on 64-bit ARM Linux, under qemu-aarch64, against the
# host's daemons: the same output and exit status as the host client (board.sh).
. "$(dirname "$0")/board.sh"
board_suite aarch64-linux
