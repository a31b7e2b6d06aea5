#!/bin/bash
# The device channel on armhf-linux, under qemu-arm, against the host's daemons
# (tests/lib/channel.sh): the same suite as the host's, counted by a proxy.
. "$(dirname "$0")/board.sh"
. "$(dirname "$0")/../lib/channel.sh"
channel_suite armhf-linux
