#!/bin/bash
# The firmware client over TLS on 64-bit ARM Linux, under qemu-aarch64, with
# the board's own mbedtls build. Against the host's daemons: the same output
# and exit status as the host client, mutual TLS accepted and refused (board.sh).
. "$(dirname "$0")/board.sh"
board_tls_suite aarch64-linux
