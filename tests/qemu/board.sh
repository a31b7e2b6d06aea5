# Shared by the tests/qemu/test_<board>.sh scripts (source it, then call
# board_suite BOARD, or board_tls_suite BOARD in test_<board>_tls.sh): runs a
# board's firmware client under QEMU against the host's storage and gateway on
# free loopback ports, and checks that what a user sees (stdout, stderr, exit
# status) is the host client's, ShortUrl suffixes masked, and the article's.
#
#   Linux boards:     qemu-arm / qemu-aarch64 build/<board>/bin/firmware-client --addr ...
#   Cortex-M boards:  qemu-system-arm ... -semihosting-config ...,arg=<word>...
#                     -serial tcp:127.0.0.1:<gateway> -kernel firmware-client.elf
# The runner comes from the board's board.mk (make board-info).

# The daemons and the reference client: the plain host build (QEMU is slow
# enough without sanitizers on the other end).
export TEST_BIN_DIR=${TEST_BIN_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/host/bin}
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

# QEMU's lm3s6965evb model says this on stderr at every start; it is not ours.
QEMU_NOISE='^Timer with period zero, disabling$'

# board_run HOST:PORT ARGS...: runs the board's client once, talking to
# HOST:PORT, with stdout and stderr as the caller's. Linux boards take
# --addr; Cortex-M boards take their words as semihosting arg=, and reach the
# port over UART0 (QEMU's -serial tcp:, the host part unused) or, with lwIP
# (board_setup BOARD lwip), over the tap device of tests/lib/netns.sh with
# --ip and --addr (BOARD_NET_ARGS replaces --ip: DHCP takes none;
# BOARD_NIC replaces QEMU's tap backend: netem.py's UDP socket).
board_run() {
  local addr=$1 w sh=""
  shift
  if [ "${PORT:-}" = cortex-m ] && [ -n "${LWIP:-}" ]; then
    for w in ${BOARD_NET_ARGS---ip $NETNS_BOARD_IP/24} --addr "$NETNS_HOST_IP:${addr##*:}" "$@"; do
      sh="$sh,arg=$w"
    done
    # shellcheck disable=SC2086 # RUNNER is a command line
    timeout 60 $RUNNER$sh -nic "${BOARD_NIC:-tap,ifname=$NETNS_TAP,script=no,downscript=no}" \
      -kernel "$IMAGE"
  elif [ "${PORT:-}" = cortex-m ]; then
    for w in "$@"; do sh="$sh,arg=$w"; done
    # shellcheck disable=SC2086 # RUNNER is a command line
    timeout 60 $RUNNER$sh -serial "tcp:$addr" -kernel "$IMAGE"
  else
    # shellcheck disable=SC2086
    timeout 60 $RUNNER "$IMAGE" --addr "$addr" "$@"
  fi
}

# board_client ARGS...: runs the board's client against GATEWAY_PORT; sets
# OUT, ERR, RC and MS like common.sh's client.
board_client() {
  local o e t0
  CLIENT_N=$((CLIENT_N + 1))
  o=$TEST_TMP/board.$CLIENT_N.out e=$TEST_TMP/board.$CLIENT_N.err
  t0=$(now_ms)
  board_run "127.0.0.1:$GATEWAY_PORT" "$@" >"$o" 2>"$e.raw"
  RC=$?
  grep -v -- "$QEMU_NOISE" "$e.raw" >"$e"
  MS=$(($(now_ms) - t0))
  OUT=$(mask_short <"$o")
  ERR=$(cat "$e")
}

# same_as_host NAME EXPECTED_OUT EXPECTED_ERR EXPECTED_RC ARGS...: runs the
# host client and the board's with ARGS; both must print what is expected.
same_as_host() {
  local name=$1 want_out=$2 want_err=$3 want_rc=$4 h_out h_err h_rc
  shift 4
  client "$@"
  h_out=$(printf '%s\n' "$OUT" | mask_short) h_err=$ERR h_rc=$RC
  check_eq "$h_out" "$want_out" "host: $name: stdout"
  check_eq "$h_err" "$want_err" "host: $name: stderr"
  check_rc "$h_rc" "$want_rc" "host: $name: exit status"
  board_client "$@"
  check_eq "$OUT" "$h_out" "$BOARD: $name: stdout as on the host"
  check_eq "$ERR" "$h_err" "$BOARD: $name: stderr as on the host"
  check_rc "$RC" "$h_rc" "$BOARD: $name: exit status as on the host"
}

# board_setup BOARD [lwip]: sets BOARD, PORT, EXE, RUNNER and IMAGE, or
# bails out; with lwip, the image of make BOARD=... NET=lwip, run inside the
# test's network namespace (tests/lib/netns.sh), and LWIP=1.
board_setup() {
  BOARD=$1
  LWIP=${2:+1}
  local info
  require_bins storage gateway firmware-client
  info=$(make -s --no-print-directory -C "$TEST_ROOT" BOARD="$BOARD" board-info) ||
    bail "make BOARD=$BOARD board-info failed"
  eval "$info" # PORT, EXE, RUNNER
  IMAGE=$TEST_ROOT/build/$BOARD${LWIP:+-lwip}/bin/firmware-client$EXE
  [ -f "$IMAGE" ] || bail "missing $IMAGE (build with: make BOARD=$BOARD${LWIP:+ NET=lwip})"
  if [ -n "$LWIP" ]; then
    [ -n "${NETNS_NAME:-}" ] || bail "an lwIP board runs inside netns_enter's namespace"
    BOARD=$BOARD-lwip # names the checks, and build/<board>-lwip/ the marks
  fi
  command -v "${RUNNER%% *}" >/dev/null || bail "missing ${RUNNER%% *} (make deps installs QEMU)"
  # An emulated Cortex-M counts its milliseconds in SysTick interrupts, and
  # QEMU loses those it could not deliver while it waited for a core, so on
  # a busy machine the board's 2 s last 3 s of the host's. Ahead of the
  # other tests in the queue for a core (as root: nice -n -10), its clock
  # keeps the host's, as the checks that compare the two assume.
  if [ "$PORT" = cortex-m ] && [ -z "$(nice -n -10 true 2>&1)" ]; then RUNNER="nice -n -10 $RUNNER"; fi
}

board_suite() {
  board_setup "$1" "${2:-}"
  start_storage
  start_gateway
  same_as_host "getprodtypes aws" "$(expected getprodtypes_aws.txt)" "" 0 getprodtypes aws
  same_as_host "getprods google compute" "$(expected getprods_google_compute.txt)" "" 0 \
    getprods google compute
  # W3C trace context from the board: the call's lines carry its trace id
  # in both daemons' logs; a malformed value is a usage error
  local tpid=4bf92f3577b34da6a3ce929d0e0e4736
  board_client --traceparent "00-$tpid-00f067aa0ba902b7-01" getprods aws compute
  check_rc "$RC" 0 "$BOARD: --traceparent: exit status 0"
  check_log "$GATEWAY_LOG" "the response was sent to client trace_id=$tpid\$" \
    "$BOARD: --traceparent: the gateway's line carries the trace id"
  check_log "$STORAGE_LOG" "products were sent to client trace_id=$tpid\$" \
    "$BOARD: --traceparent: storage's line carries it too"
  board_client --traceparent "00-${tpid^^}-00f067aa0ba902b7-01" getprods aws compute
  check_rc "$RC" 2 "$BOARD: an upper-case --traceparent: usage, exit 2"
  same_as_host "getprodtypes of an unknown vendor" "" \
    "rpc error: code = InvalidArgument desc = error while calling client.GetVendorProdTypes() method: wrong vendor, select between google, aws, oracle" \
    1 getprodtypes foo
  local usage1="usage: firmware-client [--addr HOST:PORT] [--timeout SECONDS] [--traceparent VALUE] getprodtypes VENDOR | getprods VENDOR TYPE
       TLS: --tls --ca F [--cert F --key F] [--server-name NAME] [--tls-version 1.2|1.3] [--no-resume] [--resume-mode psk|psk_dhe]"
  local usage2="       channel: --repeat N [--every MS] [--wait-for-ready] [--keepalive-ms T] [--keepalive-timeout-ms T] [--stats]"
  if [ -z "$LWIP" ]; then
    same_as_host "a missing argument" "" "$usage1
$usage2" 2 getprods aws
  else # the lwIP boards' usage also names their network flags
    board_client getprods aws
    check_eq "$ERR" "$usage1
       network: --ip A.B.C.D/N [--gw A.B.C.D] [--dns A.B.C.D] (DHCP without --ip)
$usage2" "$BOARD: a missing argument: the usage, with the network flags"
    check_rc "$RC" 2 "$BOARD: a missing argument: exit status 2"
    board_client --ip 192.0.2.300/24 getprods aws
    check_eq "$(printf '%s\n' "$ERR" | head -1)" \
      "firmware-client: --ip, --gw, --dns: not an IPv4 address (--ip A.B.C.D/N)" \
      "$BOARD: a bad --ip is named"
    check_rc "$RC" 2 "$BOARD: a bad --ip: exit status 2"
  fi
  # The arena's high-water mark over a streaming call, for make size's table.
  board_client --arena-stats getprods google compute
  board_marks "" "a streaming call"
  stop_daemon "$GATEWAY_PID"
  stop_daemon "$STORAGE_PID"

  # The article's deadline case: storage takes 5 s, the client waits its
  # default 4 s; then --timeout 1, which the board must count itself.
  start_storage --delay-ms 5000
  start_gateway
  local late="rpc error: code = DeadlineExceeded desc = error while receiving the stream for client.GetVendorProds: context deadline exceeded"
  same_as_host "getprods past the default 4 s deadline" "" "$late" 1 getprods aws storage
  check_between "$MS" 3500 5500 "$BOARD: DeadlineExceeded after about 4 s"
  same_as_host "getprods past a 1 s deadline (--timeout 1)" "" "$late" 1 --timeout 1 getprods aws storage
  check_between "$MS" 800 2500 "$BOARD: DeadlineExceeded after about 1 s"
  finish
}

# board_marks SUFFIX WHAT: after a board_client --arena-stats run, the arena's
# high-water mark (and on bare metal the main stack's, from its painting) goes
# to build/<board>/arena_hwm$SUFFIX.txt (stack_hwm...) for make size's table;
# each must leave 1 KB of its region unused: the stack would overflow into
# .bss, the arena refuse the call.
board_marks() {
  local suffix=$1 what=$2 kind line used size
  # lwIP's heap and pools (NET=lwip): their marks for make size's table
  if [ -n "${LWIP:-}" ]; then
    printf '%s\n' "$ERR" | sed -n 's/^lwip: //p' >"$TEST_ROOT/build/$BOARD/lwip_hwm$suffix.txt"
    if [ -s "$TEST_ROOT/build/$BOARD/lwip_hwm$suffix.txt" ]; then
      ok "$BOARD: --arena-stats reports lwIP's heap and pools over $what"
    else
      not_ok "$BOARD: --arena-stats reports lwIP's heap and pools over $what" "stderr: $ERR"
    fi
  fi
  for kind in arena stack; do
    line=$(printf '%s\n' "$ERR" | sed -n "s/^$kind: high-water \([0-9]*\) of \([0-9]*\) bytes\$/\1 \2/p")
    if [ -z "$line" ]; then
      [ "$kind" = stack ] && [ "${BOARD%-linux}" != "$BOARD" ] && continue # Linux: the OS's stack
      not_ok "$BOARD: --arena-stats reports the $kind's high-water mark over $what" "stderr: $ERR"
      continue
    fi
    read -r used size <<<"$line"
    echo "$used" >"$TEST_ROOT/build/$BOARD/${kind}_hwm$suffix.txt"
    if [ "$used" -gt 0 ] && [ "$used" -le $((size - 1024)) ]; then
      ok "$BOARD: $what leaves 1 KB of the $kind unused ($used of $size bytes)"
    else
      not_ok "$BOARD: $what leaves 1 KB of the $kind unused" "$used of $size bytes used"
    fi
  done
}

# board_tls_suite BOARD: the board's client over TLS (fc_tls.c, mbedtls built
# for the board) against a gateway serving TLS with the certificates of
# tools/certs.sh (the server's is for "localhost"). On the Cortex-M boards the
# TLS records cross UART0 and the files (--ca, --cert, --key) are read from
# the host through semihosting, by absolute path. A handshake under QEMU takes
# about 0.2 s on every board (QEMU runs the Cortex-M3 at host speed; see
# docs/boards.md for a real 12.5 MHz part); --timeout 20 leaves room for a
# loaded machine.
board_tls_suite() {
  board_setup "$1" "${2:-}"
  local c=$TEST_TMP/certs
  bash "$TEST_ROOT/tools/certs.sh" "$c" >/dev/null || bail "cannot make the test certificates"
  local tls=(--timeout 20 --tls --ca "$c/ca.pem" --server-name localhost)
  local dev=(--cert "$c/device.pem" --key "$c/device.key")
  local unary="error while calling client.GetVendorProdTypes() method: "
  local stream="error while receiving the stream for client.GetVendorProds: "

  start_storage
  start_gateway --tls-cert "$c/server.pem" --tls-key "$c/server.key"
  same_as_host "TLS: getprodtypes aws" "$(expected getprodtypes_aws.txt)" "" 0 \
    "${tls[@]}" getprodtypes aws
  echo "# $BOARD: a TLS call (QEMU start, handshake, call) took $MS ms"
  same_as_host "TLS: getprods google compute" "$(expected getprods_google_compute.txt)" "" 0 \
    "${tls[@]}" getprods google compute
  # Either version on its own: 1.3 with record_size_limit, 1.2 with
  # max_fragment_length on the boards with small record buffers.
  same_as_host "TLS 1.3 only: getprods google compute" "$(expected getprods_google_compute.txt)" "" \
    0 "${tls[@]}" --tls-version 1.3 getprods google compute
  same_as_host "TLS 1.2 only: getprods google compute" "$(expected getprods_google_compute.txt)" "" \
    0 "${tls[@]}" --tls-version 1.2 getprods google compute
  same_as_host "TLS: an InvalidArgument status through TLS" "" \
    "rpc error: code = InvalidArgument desc = ${stream}error while calling client.GetProdsDetail() method: Invalid ProductType: tools" \
    1 "${tls[@]}" getprods google tools
  same_as_host "TLS: a wrong CA" "" \
    "rpc error: code = Unavailable desc = ${unary}connection error: authentication handshake failed: x509: The certificate is not correctly signed by the trusted CA" \
    1 --timeout 20 --tls --ca "$c/other-ca.pem" --server-name localhost getprodtypes aws
  check_between "$MS" 0 5000 "$BOARD: a wrong CA fails at once, not at the deadline"
  stop_daemon "$GATEWAY_PID"

  # An expired server certificate: every board knows the date (bare metal
  # asks the host through semihosting) and refuses it.
  start_gateway --tls-cert "$c/expired.pem" --tls-key "$c/expired.key"
  same_as_host "TLS: an expired server certificate" "" \
    "rpc error: code = Unavailable desc = ${unary}connection error: authentication handshake failed: x509: The certificate validity has expired" \
    1 --timeout 20 "${tls[@]}" getprodtypes aws
  check_between "$MS" 0 5000 "$BOARD: an expired certificate fails at once, not at the deadline"
  stop_daemon "$GATEWAY_PID"

  # Mutual TLS: the gateway requires a client certificate signed by the CA.
  start_gateway --tls-cert "$c/server.pem" --tls-key "$c/server.key" --tls-client-ca "$c/ca.pem"
  same_as_host "mutual TLS: getprods google compute" "$(expected getprods_google_compute.txt)" "" 0 \
    "${tls[@]}" "${dev[@]}" getprods google compute
  check_log "$GATEWAY_LOG" "from -> google <- vendor from device board-0001" \
    "$BOARD: the gateway sees the device's certificate (CN board-0001)"
  # The arena's high-water mark over a mutual-TLS call, for make size's table.
  board_client --arena-stats "${tls[@]}" "${dev[@]}" getprods google compute
  board_marks _tls "a mutual-TLS 1.3 call"
  board_client --arena-stats "${tls[@]}" "${dev[@]}" --tls-version 1.2 getprods google compute
  board_marks _tls12 "a mutual-TLS 1.2 call"
  # Refused: no client certificate. The gateway sends an alert before it
  # closes, so even a serial line, which has no close to see, learns it at
  # once: certificate_required in TLS 1.3, handshake_failure in TLS 1.2.
  same_as_host "mutual TLS without a certificate: refused" "" \
    "rpc error: code = Unavailable desc = ${unary}connection error: authentication handshake failed: server sent TLS alert 116 (certificate_required)" \
    1 "${tls[@]}" getprodtypes aws
  check_between "$MS" 0 3000 "$BOARD: refused at once, not at the deadline"
  same_as_host "mutual TLS 1.2 without a certificate: refused" "" \
    "rpc error: code = Unavailable desc = ${unary}connection error: authentication handshake failed: server sent TLS alert 40 (handshake_failure: client certificate missing or refused?)" \
    1 "${tls[@]}" --tls-version 1.2 getprodtypes aws
  check_between "$MS" 0 3000 "$BOARD: refused at once in TLS 1.2 too"
  check_log "$GATEWAY_LOG" "tls handshake with .* failed" "$BOARD: the gateway logs the refused handshake"
  finish
}
