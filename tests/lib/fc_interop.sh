# shellcheck shell=bash
# The 14 gRPC interop cases played by fc-interop (the firmware client's SDK,
# tests/interop/testservice/fc_interop.c) on every board against one
# TestService server. Source it, then call fci_suite SERVER PART, SERVER being:
#   ours    our interop-server (the rpc runtime; host-asan build)
#   grpcio  grpcio's TestService (tests/interop/python/testservice_server.py)
#   grpcgo  grpc-go's official interop server, built from Debian's
#           golang-google-grpc source package (tools/grpc_go_interop.sh)
# and PART the boards: linux (host (host-asan), armhf-linux and aarch64-linux
# under qemu-user, --addr), or one Cortex-M board (lm3s6965evb, mps2-an385,
# under qemu-system-arm: the case as the semihosting argument, UART0 the
# wire, QEMU dials the server; a minute of large messages over the serial
# line each), or one Cortex-M board over TCP/IP (lm3s6965evb-lwip,
# mps2-an385-lwip: build/<board>-lwip/bin/fc-interop.elf, lwIP on the
# board's Ethernet, QEMU's NIC on the tap of tests/lib/netns.sh, so the test
# calls netns_enter first), one test each so that they run side by side. One
# check per case and board: exit status 0 and the line "PASS case". The
# verdicts go to build/interop/results/fcinterop-SERVER.PART.tsv ("F.<n>"
# rows, one column per board) for tools/interop_doc.sh.
#
# The lwIP board takes its address from DHCP (netns_dhcp's dnsmasq on the
# tap): fc-interop reads only --addr and the case, not the firmware client's
# --ip. The servers listen on LISTEN_HOST (0.0.0.0 inside the namespace,
# where only the loopback and the tap exist; grpc-go's listens on every
# interface anyway) and the board dials $NETNS_HOST_IP. Deadlines:
# fc-interop's own are a minute on the lwIP images too (connecting, DHCP
# included, and each call: fc_interop.c keys them on PORT_UART, which every
# Cortex-M board defines, its console's UART), though over TCP/IP a passing
# case takes about 10 s at most; timeout(1)'s 70 s, not the serial
# line's 150, lets a call that runs into the board's deadline print its
# FAIL line, stops a board that hangs, and keeps a suite with up to four such
# cases inside tests/run.sh's 300 s.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
. "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

FCI_CASES=(empty_unary large_unary client_streaming server_streaming ping_pong empty_stream
  timeout_on_sleeping_server cancel_after_begin cancel_after_first_response
  status_code_and_message special_status_message unimplemented_method unimplemented_service
  custom_metadata)
QEMU_NOISE='^Timer with period zero, disabling$'

# fci_server SERVER PORT LOG: starts the server on LISTEN_HOST:PORT
# (127.0.0.1 unless netns_enter set it; grpc-go's: every interface); sets
# FCI_VERSION.
fci_server() {
  local server=$1 port=$2 log=$3 go listen=${LISTEN_HOST:-127.0.0.1}:$2
  case $server in
  ours)
    require_bins interop-server
    FCI_VERSION="interop-server (the rpc runtime, host-asan build)"
    start_daemon interop-server "$port" "$log" --listen "$listen"
    ;;
  grpcio)
    FCI_VERSION="grpcio $(dpkg-query -W -f='${Version}' python3-grpcio) (Debian python3-grpcio)"
    start_daemon "$TEST_ROOT/tests/interop/python/testservice_server.py" "$port" "$log" --listen "$listen"
    ;;
  grpcgo) # its only listen option is --port: ":PORT", every interface
    go=$(bash "$TEST_ROOT/tools/grpc_go_interop.sh") || bail "tools/grpc_go_interop.sh failed"
    FCI_VERSION="grpc-go $(dpkg-query -W -f='${Version}' golang-google-grpc-dev) interop/server (Debian golang-google-grpc source)"
    start_daemon "$go" "$port" "$log" --port="$port"
    ;;
  *) bail "unknown server $server" ;;
  esac
}

# fci_play BOARD CASE: runs one case; sets LINE and RC, ERRF (its stderr).
fci_play() {
  local board=$1 c=$2 info exe o
  o=$TEST_TMP/$board.$c.out ERRF=$TEST_TMP/$board.$c.err
  if [ "$board" = host ]; then
    timeout 60 "$BIN/fc-interop" --addr "127.0.0.1:$FCI_PORT" "$c" >"$o" 2>"$ERRF"
    RC=$?
  else
    info=$(make -s --no-print-directory -C "$TEST_ROOT" BOARD="${board%-lwip}" board-info) || return 1
    local PORT EXE RUNNER
    eval "$info"
    exe=$TEST_ROOT/build/$board/bin/fc-interop$EXE
    if [ "$board" != "${board%-lwip}" ]; then # TCP/IP: DHCP's address, the host's end of the tap
      # shellcheck disable=SC2086 # RUNNER is a command line
      timeout 70 ${RUNNER/arg=firmware-client/arg=fc-interop},"arg=--addr,arg=$NETNS_HOST_IP:$FCI_PORT,arg=$c" \
        -nic "tap,ifname=$NETNS_TAP,script=no,downscript=no" -kernel "$exe" >"$o" 2>"$ERRF.raw"
      RC=$?
      grep -v -- "$QEMU_NOISE" "$ERRF.raw" >"$ERRF"
    elif [ "$PORT" = cortex-m ]; then
      # shellcheck disable=SC2086 # RUNNER is a command line
      timeout 150 ${RUNNER/arg=firmware-client/arg=fc-interop},arg="$c" \
        -serial "tcp:127.0.0.1:$FCI_PORT" -kernel "$exe" >"$o" 2>"$ERRF.raw"
      RC=$?
      grep -v -- "$QEMU_NOISE" "$ERRF.raw" >"$ERRF"
    else
      # shellcheck disable=SC2086
      timeout 60 $RUNNER "$exe" --addr "127.0.0.1:$FCI_PORT" "$c" >"$o" 2>"$ERRF"
      RC=$?
    fi
  fi
  LINE=$(head -1 "$o")
}

# fci_suite SERVER PART: every case on each board of PART; writes the TSV.
fci_suite() {
  local server=$1 part=$2 board c n verdict note tsv
  case $part in
  linux) FCI_BOARDS=(host armhf-linux aarch64-linux) ;;
  lm3s6965evb | mps2-an385) FCI_BOARDS=("$part") ;;
  lm3s6965evb-lwip | mps2-an385-lwip)
    FCI_BOARDS=("$part")
    [ -n "${NETNS_NAME:-}" ] || bail "$part runs inside netns_enter's namespace (tests/lib/netns.sh)"
    netns_dhcp
    ;;
  *) bail "unknown part $part" ;;
  esac
  tsv=$TEST_ROOT/build/interop/results/fcinterop-$server.$part.tsv
  FCI_PORT=$(free_port)
  fci_server "$server" "$FCI_PORT" "$TEST_TMP/$server.log" || bail "the $server server did not start"
  mkdir -p "$(dirname "$tsv")"
  {
    printf '0\tversion\t%s\t%s\t\n' "$server" "$FCI_VERSION"
    printf '0\trun\t%s\t%s\t\n' "$server" "$(date -u '+%Y-%m-%d %H:%M UTC')"
  } >"$tsv.tmp"
  for board in "${FCI_BOARDS[@]}"; do
    if [ "$board" = host ]; then
      require_bins fc-interop
    elif [ ! -f "$TEST_ROOT/build/$board/bin/fc-interop" ] && [ ! -f "$TEST_ROOT/build/$board/bin/fc-interop.elf" ]; then
      local how="BOARD=$board"
      [ "$board" = "${board%-lwip}" ] || how="BOARD=${board%-lwip} NET=lwip"
      not_ok "$board: fc-interop is built" "missing build/$board/bin/fc-interop (make $how)"
      continue
    fi
    n=0
    for c in "${FCI_CASES[@]}"; do
      n=$((n + 1))
      fci_play "$board" "$c"
      if grep -Eq "$SANITIZER_RE" "$ERRF"; then
        verdict=FAIL note="sanitizer report: $(grep -E -m1 "$SANITIZER_RE" "$ERRF")"
      elif [ "$RC" = 0 ] && [ "$LINE" = "PASS $c" ]; then
        verdict=pass note=""
      else
        verdict=FAIL note="${LINE:-exit status $RC, no verdict line; $(tail -2 "$ERRF" | tr '\n' ' ')}"
      fi
      if [ "$verdict" = pass ]; then
        ok "$board -> $server: $c"
      else
        not_ok "$board -> $server: $c" "$note" "stderr:" "$(tail -5 "$ERRF")"
      fi
      printf 'F.%s\t%s\t%s\t%s\t%s\n' "$n" "$c" "$board" "$verdict" "$note" >>"$tsv.tmp"
    done
  done
  mv -f "$tsv.tmp" "$tsv"
  # the server took every case, cancels and deadlines included, and still answers
  fci_play "${FCI_BOARDS[0]}" empty_unary
  check_eq "$LINE" "PASS empty_unary" "$server still answers after every case"
  if [ "$server" = grpcio ]; then # the SDK's user-agent prefix, as the peer read it
    check_eq "$(grep -c 'EmptyCall from user-agent fc-interop/1.0 grpc-c-embedded/0.1' \
      "$TEST_TMP/$server.log")" "$((${#FCI_BOARDS[@]} + 1))" \
      "grpcio read the user-agent \"fc-interop/1.0 grpc-c-embedded/0.1\" on each board's empty_unary"
  fi
  if bash "$TEST_ROOT/tools/interop_doc.sh"; then echo "# rendered build/interop.md"; else
    not_ok "tools/interop_doc.sh renders build/interop.md"; fi
  finish
}
