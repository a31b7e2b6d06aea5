# shellcheck shell=bash
# A test network that never leaves the machine, for the lwIP boards: a
# network namespace made for the test (ip netns add), its loopback, and a tap
# device in it that carries QEMU's NIC (-nic tap,ifname=$NETNS_TAP,...). The
# host's end of the tap is $NETNS_HOST_IP on a TEST-NET-1 network
# (192.0.2.0/24, RFC 5737), which exists only inside the namespace; the board
# takes $NETNS_BOARD_IP (--ip), or DHCP's lease from netns_dhcp's dnsmasq.
#
# A test script calls netns_enter "$0" "$@" first: outside the namespace it
# makes one, runs the script again inside it, deletes it (whatever the
# script's end) and exits with the script's status; inside, it returns.
# Needs root, as QEMU's tap does (docs/boards.md).

NETNS_HOST_IP=192.0.2.1
NETNS_BOARD_IP=192.0.2.2
NETNS_TAP=fctap0

netns_enter() {
  local script=$1 ns rc
  shift
  [ -n "${NETNS_NAME:-}" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "not ok - a network namespace for the board (ip netns add needs root)"
    echo "1..1"
    exit 1
  fi
  ns=fctest-$$-$RANDOM
  if ! ip netns add "$ns"; then
    echo "not ok - ip netns add $ns"
    exit 1
  fi
  if ip netns exec "$ns" ip link set lo up &&
    ip netns exec "$ns" ip tuntap add "$NETNS_TAP" mode tap &&
    ip netns exec "$ns" ip addr add "$NETNS_HOST_IP/24" dev "$NETNS_TAP" &&
    ip netns exec "$ns" ip link set "$NETNS_TAP" up; then
    NETNS_NAME=$ns LISTEN_HOST=0.0.0.0 ip netns exec "$ns" bash "$script" "$@"
    rc=$?
  else
    echo "not ok - the namespace's tap device $NETNS_TAP"
    rc=1
  fi
  ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$ns"
  exit "$rc"
}

# netns_dhcp: dnsmasq (Debian's dnsmasq-base) serving DHCP on the tap, with
# one address to lease ($NETNS_DHCP_IP) and itself as the DNS server, which
# knows "gateway.test" as $NETNS_HOST_IP. Sets DHCP_PID, DHCP_LOG,
# DHCP_LEASES.
NETNS_DHCP_IP=192.0.2.50
netns_dhcp() {
  DHCP_LOG=$TEST_TMP/dnsmasq.log DHCP_LEASES=$TEST_TMP/dnsmasq.leases
  : >"$DHCP_LEASES"
  dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
    --interface="$NETNS_TAP" --except-interface=lo --listen-address="$NETNS_HOST_IP" \
    --dhcp-range="$NETNS_DHCP_IP,$NETNS_DHCP_IP,255.255.255.0,10m" \
    --dhcp-leasefile="$DHCP_LEASES" --address="/gateway.test/$NETNS_HOST_IP" \
    --log-dhcp --log-queries --log-facility="$DHCP_LOG" --pid-file= --user=root --group=root 2>>"$DHCP_LOG" &
  DHCP_PID=$!
  DAEMON_PIDS+=("$DHCP_PID")
}
