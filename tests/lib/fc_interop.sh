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
# line each), one test each so that they run side by side. One check
# per case and board: exit status 0 and the line "PASS case". The verdicts go
# to build/interop/results/fcinterop-SERVER.PART.tsv ("F.<n>" rows, one
# column per board) for tools/interop_doc.sh.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

FCI_CASES=(empty_unary large_unary client_streaming server_streaming ping_pong empty_stream
  timeout_on_sleeping_server cancel_after_begin cancel_after_first_response
  status_code_and_message special_status_message unimplemented_method unimplemented_service
  custom_metadata)
QEMU_NOISE='^Timer with period zero, disabling$'

# fci_server SERVER PORT LOG: starts the server on 127.0.0.1:PORT; sets
# FCI_VERSION.
fci_server() {
  local server=$1 port=$2 log=$3 go
  case $server in
  ours)
    require_bins interop-server
    FCI_VERSION="interop-server (the rpc runtime, host-asan build)"
    start_daemon interop-server "$port" "$log" --port "$port"
    ;;
  grpcio)
    FCI_VERSION="grpcio $(dpkg-query -W -f='${Version}' python3-grpcio) (Debian python3-grpcio)"
    start_daemon "$TEST_ROOT/tests/interop/python/testservice_server.py" "$port" "$log" --port "$port"
    ;;
  grpcgo)
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
    info=$(make -s --no-print-directory -C "$TEST_ROOT" BOARD="$board" board-info) || return 1
    local PORT EXE RUNNER
    eval "$info"
    exe=$TEST_ROOT/build/$board/bin/fc-interop$EXE
    if [ "$PORT" = cortex-m ]; then
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
      not_ok "$board: fc-interop is built" "missing build/$board/bin/fc-interop (make BOARD=$board)"
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
