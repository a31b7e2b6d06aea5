#!/bin/bash
# lm3s6965evb over TCP/IP (NET=lwip) where only a network board goes: DHCP and
# DNS, a link that goes down under an idle channel, loss and delay
# (tests/qemu/lwip_net.sh), in the test's own namespace (tests/lib/netns.sh).
. "$(dirname "$0")/../lib/netns.sh"
netns_enter "$0" "$@"
. "$(dirname "$0")/board.sh"
. "$(dirname "$0")/../lib/channel.sh"
. "$(dirname "$0")/lwip_net.sh"
lwip_net_suite lm3s6965evb
