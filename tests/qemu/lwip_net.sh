# shellcheck shell=bash
# What only a board on a network meets (source after board.sh and
# channel.sh, inside netns_enter's namespace; lwip_net_suite BOARD):
#  - its address from DHCP (dnsmasq in the namespace), names through DNS
#    (DHCP's server, or --dns), and the errors when either is missing;
#  - a link that goes down under an idle channel: keepalive finds the dead
#    peer, and the next call dials anew (the proxy counts the connections);
#  - 5 % loss and 50 ms of delay each way (tests/lib/netem.py, as tc netem
#    would on the tap; this kernel has no sch_netem): streamed calls, plain
#    and over mutual TLS, still complete within their deadlines;
#  - a stream of 1,000 products within the default 4 s deadline (a window of
#    small segments once ran lwIP's pool dry: 34 s of retransmissions).

lwip_dhcp() {
  local unary="error while calling client.GetVendorProdTypes() method: "
  netns_dhcp
  # 10 s, not the default 4 s: a DHCP exchange lwIP has to repeat (a lost
  # OFFER on a loaded machine) waits 2 s and more before its next DISCOVER
  BOARD_NET_ARGS="" board_client --timeout 10 --stats getprodtypes aws
  check_rc "$RC" 0 "$BOARD: DHCP: a call with the leased address: exit 0"
  check_eq "$OUT" "$AWS_LINE" "$BOARD: DHCP: the answer"
  check_log "$DHCP_LEASES" " 52:54:00:12:34:56 $NETNS_DHCP_IP " \
    "$BOARD: DHCP: dnsmasq leased $NETNS_DHCP_IP to the board's MAC (lease file)"
  check_log "$DHCP_LOG" "DHCPACK\\($NETNS_TAP\\) $NETNS_DHCP_IP 52:54:00:12:34:56" \
    "$BOARD: DHCP: dnsmasq acknowledged the lease (its log)"
  BOARD_NET_ARGS="" board_client --addr "gateway.test:$GATEWAY_PORT" getprodtypes aws
  check_rc "$RC" 0 "$BOARD: DNS from DHCP: gateway.test resolves: exit 0"
  check_eq "$OUT" "$AWS_LINE" "$BOARD: DNS from DHCP: the answer"
  check_log "$DHCP_LOG" "query\\[A\\] gateway.test from $NETNS_DHCP_IP" \
    "$BOARD: DNS from DHCP: the board asked dnsmasq (its log)"
  board_client --dns "$NETNS_HOST_IP" --addr "gateway.test:$GATEWAY_PORT" getprodtypes aws
  check_rc "$RC" 0 "$BOARD: a static address with --dns: exit 0"
  check_eq "$OUT" "$AWS_LINE" "$BOARD: a static address with --dns: the answer"
  board_client --dns "$NETNS_HOST_IP" --addr "nosuch.test:$GATEWAY_PORT" getprodtypes aws
  check_rc "$RC" 1 "$BOARD: an unknown name: exit 1"
  check_eq "$ERR" "rpc error: code = Unavailable desc = ${unary}connection error: dial tcp nosuch.test:$GATEWAY_PORT: unknown host" \
    "$BOARD: an unknown name: Unavailable, unknown host"
  stop_daemon "$DHCP_PID"
  BOARD_NET_ARGS="" board_client --timeout 2 getprodtypes aws
  check_rc "$RC" 1 "$BOARD: no DHCP server: exit 1"
  check_eq "$ERR" "rpc error: code = DeadlineExceeded desc = ${unary}context deadline exceeded" \
    "$BOARD: no DHCP server: the call fails at its deadline, still waiting for a lease"
  check_between "$MS" 1500 5000 "$BOARD: no DHCP server: after about its 2 s"
}

lwip_link_down() {
  local p=$TEST_TMP/linkdown
  PPORT=$(free_port)
  start_proxy "$PPORT" "$GATEWAY_PORT"
  ch_bg "$p" --repeat 2 --every 3000 --keepalive-ms 300 --keepalive-timeout-ms 400 --stats \
    getprodtypes aws
  wait_lines "$p.out" 1 20 || not_ok "$BOARD: link down: the first call answered"
  ip link set "$NETNS_TAP" down
  sleep 1.5
  ip link set "$NETNS_TAP" up
  ch_done "$p"
  check_rc "$RC" 0 "$BOARD: link down: exit 0"
  check_eq "$OUT" "$(printf '%s\n%s' "$AWS_LINE" "$AWS_LINE")" "$BOARD: link down: both calls answered"
  check_eq "$(stats_line | sed 's/ handshakes.*//')" "channel: calls=2 connects=2" \
    "$BOARD: link down: keepalive gave the dead connection up (--stats connects=2)"
  check_eq "$(proxy_count ' open ' "$PROXY_LOG")" 2 \
    "$BOARD: link down: the second call came on a new connection (proxy)"
  stop_daemon "$PROXY_PID"
}

# lwip_impaired NAME EXPECTED N ARGS...: N calls of ARGS through netem.py.
lwip_impaired() {
  local name=$1 want=$2 n=$3 up down log=$TEST_TMP/netem.$1.log i=0
  shift 3
  up=$(free_port) down=$(free_port)
  : >"$log"
  $PY "$TEST_ROOT/tests/lib/netem.py" --tap "$NETNS_TAP" --port "$up" --qemu-port "$down" \
    --loss 0.05 --delay-ms 50 --seconds 90 --log "$log" &
  local relay=$!
  DAEMON_PIDS+=("$relay")
  while ! grep -q '^listen' "$log" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  BOARD_NIC="socket,udp=127.0.0.1:$up,localaddr=127.0.0.1:$down" board_client --repeat "$n" --stats "$@"
  stop_daemon "$relay"
  check_rc "$RC" 0 "$BOARD: loss and delay: $name: exit 0 ($MS ms)"
  check_eq "$OUT" "$(for _ in $(seq "$n"); do printf '%s\n' "$want"; done)" \
    "$BOARD: loss and delay: $name: every stream complete"
  check_eq "$(printf '%s\n' "$ERR" | grep '^channel: ' | sed 's/ connects.*//')" "channel: calls=$n" \
    "$BOARD: loss and delay: $name: $n calls (--stats)"
  local done_line
  done_line=$(grep '^done ' "$log")
  echo "# $BOARD: loss and delay: $name: netem.py $done_line"
  if [[ $done_line =~ to_board\ carried=[0-9]+\ dropped=([0-9]+)\ to_net\ carried=[0-9]+\ dropped=([0-9]+) ]] &&
    [ "${BASH_REMATCH[1]}" -gt 0 ] && [ "${BASH_REMATCH[2]}" -gt 0 ]; then
    ok "$BOARD: loss and delay: $name: frames were lost both ways (netem.py)"
  else
    not_ok "$BOARD: loss and delay: $name: frames were lost both ways (netem.py)" "$done_line"
  fi
}

lwip_net_suite() {
  board_setup "$1" lwip
  start_storage
  start_gateway "${GW_KA[@]}"
  lwip_dhcp
  lwip_link_down
  local want
  want=$(mask_short <"$EXPECTED_DIR/getprods_google_compute.txt")
  # A lost SYN costs lwIP's initial 3 s retransmission timeout: deadlines of
  # 10 s (20 s with a handshake) leave room for it. The gateway's default
  # handshake timeout (30 s) is under test too: at 10 s it cut one
  # mutual-TLS handshake in about ten here.
  lwip_impaired "plaintext" "$want" 12 --timeout 10 getprods google compute
  stop_daemon "$GATEWAY_PID"
  local c=$TEST_TMP/certs
  bash "$TEST_ROOT/tools/certs.sh" "$c" >/dev/null || bail "cannot make the test certificates"
  start_gateway --tls-cert "$c/server.pem" --tls-key "$c/server.key" --tls-client-ca "$c/ca.pem"
  lwip_impaired "mutual TLS" "$want" 6 --timeout 20 --tls --ca "$c/ca.pem" --server-name localhost \
    --cert "$c/device.pem" --key "$c/device.key" getprods google compute
  stop_daemon "$GATEWAY_PID"
  stop_daemon "$STORAGE_PID"
  lwip_big_stream
  finish
}

lwip_big_stream() {
  local tsv=$TEST_TMP/bulk.tsv i
  for i in $(seq -w 0 999); do
    printf 'bulk\tbig\tProduct %s of the bulk catalogue\thttps://example.com/bulk/products/%s/\n' "$i" "$i"
  done >"$tsv"
  "$TEST_BIN_DIR/storage" --db "$TEST_TMP/catalogue.db" --import "$tsv" >/dev/null 2>&1 ||
    bail "storage --import of the bulk catalogue"
  start_storage
  start_gateway
  board_client getprods bulk big
  check_rc "$RC" 0 "$BOARD: a stream of 1000 products: exit 0 within the default 4 s deadline ($MS ms)"
  check_eq "$(printf '%s\n' "$OUT" | grep -c '^Title: Product .* of the bulk catalogue, Url: ')" 1000 \
    "$BOARD: a stream of 1000 products: every product printed"
}
