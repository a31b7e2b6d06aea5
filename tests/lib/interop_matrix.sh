# shellcheck shell=bash
# The interoperability matrix (the "Interoperability" issue), run for one peer
# implementation at a time. Source it from a test, after nothing else:
#
#   . "$(dirname "$0")/../lib/interop_matrix.sh"
#   matrix go          # or node, python
#
# For the peer it checks, with the outputs compared line by line with the
# reference outputs in tests/integration/expected/ (ShortUrl suffix masked)
# and the exact error lines of DESIGN.md section 4:
#
#   1. the peer's client (tests/interop/<lang>/, printing the CLI's format)
#      against our gateway: happy path, wrong vendor/type, deadline in storage,
#      deadline while streaming, a cancel mid-stream;
#   2. our firmware-client (host, and armhf-linux under qemu-arm) against the
#      peer's ProdService (in front of our storage): happy path, wrong
#      vendor/type, deadline in storage;
#   3. our gateway against the peer's StorageService, our CLI as the client:
#      happy path, wrong vendor/type, deadline in storage.
#
# Every cell of the matrix (section, scenario, peer) is a group of checks; its
# verdict goes to build/interop/results/<peer>.tsv and tools/interop_doc.sh
# renders all peers' results into build/interop.md at the end of the test
# (make docs renders them into docs/interop.md).
# The slow deadline scenarios (about 4 s each) run in the background, side by
# side with the fast ones, so one peer takes about 15 s.

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

RESULTS_DIR=$TEST_ROOT/build/interop/results
QEMU_ARM_CLIENT=$TEST_ROOT/build/armhf-linux/bin/firmware-client
export NODE_PATH=$TEST_ROOT/build/npm/node_modules

E_TYPES_FOO="rpc error: code = InvalidArgument desc = error while calling client.GetVendorProdTypes() method: wrong vendor, select between google, aws, oracle"
E_PRODS_TOOLS="rpc error: code = InvalidArgument desc = error while receiving the stream for client.GetVendorProds: error while calling client.GetProdsDetail() method: Invalid ProductType: tools"
E_PRODS_FOO="rpc error: code = InvalidArgument desc = error while receiving the stream for client.GetVendorProds: error while calling client.GetProdsDetail() method: Invalid Vendor: foo"
E_LATE="rpc error: code = DeadlineExceeded desc = error while receiving the stream for client.GetVendorProds: context deadline exceeded"
CANCEL_LINE="the user has canceled the request"

# ---- cells ------------------------------------------------------------------
# not_ok also remembers the first failing check of the current cell.
eval "$(declare -f not_ok | sed '1s/^not_ok/common_not_ok/')"
# For check_eq failures it keeps what was seen too (its first line).
not_ok() {
  if [ -n "${CELL:-}" ] && [ -z "$CELL_NOTE" ]; then
    CELL_NOTE=$1
    local a seen=0
    for a in "${@:2}"; do
      if [ "$seen" = 1 ]; then CELL_NOTE="$1; got: $(printf '%s\n' "$a" | head -1 | sed 's/^|//')"; break; fi
      [ "$a" = "--- actual" ] && seen=1
    done
    CELL_NOTE=$(printf '%s' "$CELL_NOTE" | tr '\t' ' ')
  fi
  common_not_ok "$@"
}

# cell SECTION.ROW SCENARIO: the checks that follow, up to the next cell or
# cell_end, make up one cell (ROW orders the rows of the section's table).
cell() {
  cell_end
  CELL="$1	$2"
  CELL_FAILS=$FAILS
  CELL_NOTE=""
  echo "# cell $1: $2 ($PEER)"
}
cell_end() {
  [ -n "${CELL:-}" ] || return 0
  local verdict=pass
  [ "$FAILS" -eq "$CELL_FAILS" ] || verdict=FAIL
  printf '%s\t%s\t%s\t%s\n' "$CELL" "$PEER" "$verdict" "$CELL_NOTE" >>"$RESULTS"
  CELL=""
}

# ---- running programs -------------------------------------------------------
# run CMD...: runs a client; sets OUT, ERR, RC, MS (as common.sh's client).
RUN_N=0
run() {
  RUN_N=$((RUN_N + 1))
  local p=$TEST_TMP/run.$RUN_N t0
  t0=$(now_ms)
  timeout 30 "$@" >"$p.out" 2>"$p.err"
  RC=$?
  MS=$(($(now_ms) - t0))
  OUT=$(cat "$p.out") ERR=$(cat "$p.err")
  no_sanitizer_report "$p.err" "$*"
}

# run_bg PREFIX CMD...: runs a client in the background (BG_PID); load_bg
# PREFIX sets OUT, ERR, RC, MS from it once it ended.
run_bg() {
  local p=$1
  shift
  (
    t0=$(now_ms)
    timeout 30 "$@" >"$p.out" 2>"$p.err"
    echo $? >"$p.rc"
    echo $(($(now_ms) - t0)) >"$p.ms"
  ) &
  BG_PID=$!
}
load_bg() {
  OUT=$(cat "$1.out") ERR=$(cat "$1.err") RC=$(cat "$1.rc") MS=$(cat "$1.ms")
  no_sanitizer_report "$1.err" "$1"
}

no_sanitizer_report() {
  if grep -Eq "$SANITIZER_RE" "$1"; then
    not_ok "no sanitizer report from $2" "$(grep -E -m3 -A12 "$SANITIZER_RE" "$1")"
  fi
}

# The peer's programs. The peer's client takes our CLI's command line (plus
# --cancel-after N); its servers take our daemons' options.
peer_setup() {
  local go
  case "$PEER" in
    go)
      go=$("$TEST_ROOT/tools/interop_go.sh") || bail "tools/interop_go.sh failed (make deps installs Go)"
      PEER_DIR=$(dirname "$go")
      PEER_CLIENT=("$PEER_DIR/client")
      PEER_PROD=$PEER_DIR/prod-server
      PEER_STORAGE=$PEER_DIR/storage-server
      PEER_VERSION="grpc-go $(dpkg-query -W -f='${Version}' golang-google-grpc-dev 2>/dev/null) (Debian golang-google-grpc-dev, $(go version | awk '{print $3}'))"
      ;;
    node)
      "$TEST_ROOT/tools/npm-deps.sh" >/dev/null || bail "tools/npm-deps.sh failed"
      PEER_DIR=$TEST_ROOT/tests/interop/node
      PEER_CLIENT=("$PEER_DIR/client.js")
      PEER_PROD=$PEER_DIR/prod_server.js
      PEER_STORAGE=$PEER_DIR/storage_server.js
      PEER_VERSION="grpc-js $(npm_version grpc-js) + proto-loader $(npm_version proto-loader) (npm, node $(node --version))"
      ;;
    python)
      "$TEST_ROOT/tools/pygen.sh" || bail "tools/pygen.sh failed"
      PEER_DIR=$TEST_ROOT/tests/interop/python
      PEER_CLIENT=("$PEER_DIR/client.py")
      PEER_PROD=$PEER_DIR/prod_server.py
      PEER_STORAGE=$TEST_ROOT/tests/interop/py_storage.py
      PEER_VERSION="grpcio $(dpkg-query -W -f='${Version}' python3-grpcio 2>/dev/null) (Debian python3-grpcio)"
      ;;
    *) bail "unknown peer $PEER" ;;
  esac
}
npm_version() {
  sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$NODE_PATH/@grpc/$1/package.json" | head -1
}

# start_prod NAME STORAGE_PORT [ARGS...]: the peer's ProdService; sets PROD_PORT.
start_prod() {
  local name=$1 sport=$2
  shift 2
  PROD_PORT=$(free_port)
  start_daemon "$PEER_PROD" "$PROD_PORT" "$TEST_TMP/$name.log" --listen "127.0.0.1:$PROD_PORT" \
    --storage "127.0.0.1:$sport" "$@" || bail "the $PEER ProdService did not start"
}

# ---- scenarios ----------------------------------------------------------------
# happy CLIENT...: every vendor and type, the reference outputs, nothing on stderr.
happy() {
  local v t
  for v in google aws oracle; do
    run "$@" getprodtypes "$v"
    check_rc "$RC" 0 "$WHO: getprodtypes $v exits 0"
    check_eq "$OUT" "$(expected "getprodtypes_$v.txt")" "$WHO: getprodtypes $v output"
    check_eq "$ERR" "" "$WHO: getprodtypes $v: nothing on stderr"
    for t in compute storage; do
      run "$@" getprods "$v" "$t"
      check_rc "$RC" 0 "$WHO: getprods $v $t exits 0"
      check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected "getprods_${v}_$t.txt")" "$WHO: getprods $v $t output"
      check_eq "$ERR" "" "$WHO: getprods $v $t: nothing on stderr"
    done
  done
}

# wrong CLIENT...: unknown vendor (both methods), unknown type: exact lines.
wrong() {
  run "$@" getprodtypes foo
  check_rc "$RC" 1 "$WHO: getprodtypes foo exits 1"
  check_eq "$ERR" "$E_TYPES_FOO" "$WHO: getprodtypes foo error line"
  check_eq "$OUT" "" "$WHO: getprodtypes foo: nothing on stdout"
  run "$@" getprods aws tools
  check_rc "$RC" 1 "$WHO: getprods aws tools exits 1"
  check_eq "$ERR" "$E_PRODS_TOOLS" "$WHO: getprods aws tools error line"
  check_eq "$OUT" "" "$WHO: getprods aws tools: nothing on stdout"
  run "$@" getprods foo compute
  check_rc "$RC" 1 "$WHO: getprods foo compute exits 1"
  check_eq "$ERR" "$E_PRODS_FOO" "$WHO: getprods foo compute error line"
  check_eq "$OUT" "" "$WHO: getprods foo compute: nothing on stdout"
}

# late PREFIX: the background call PREFIX (getprods aws storage, default 4 s,
# storage slower) ended in DeadlineExceeded after about 4 s, no product.
late() {
  load_bg "$1"
  check_rc "$RC" 1 "$WHO: getprods aws storage past its deadline exits 1"
  check_eq "$ERR" "$E_LATE" "$WHO: DeadlineExceeded line"
  check_eq "$OUT" "" "$WHO: no product printed"
  check_between "$MS" 3500 6000 "$WHO: DeadlineExceeded after about 4 s"
}

# ---- the matrix -------------------------------------------------------------
matrix() {
  PEER=$1
  mkdir -p "$RESULTS_DIR"
  RESULTS=$RESULTS_DIR/$PEER.tsv
  : >"$RESULTS"
  require_bins
  peer_setup
  printf '0\tversion\t%s\t%s\t\n' "$PEER" "$PEER_VERSION" >>"$RESULTS"
  printf '0\trun\t%s\t%s\t\n' "$PEER" "$(date -u '+%Y-%m-%d %H:%M UTC')" >>"$RESULTS"
  echo "# peer: $PEER_VERSION"
  local D=$TEST_TMP qemu=(qemu-arm "$QEMU_ARM_CLIENT") have_qemu=1
  [ -x "$QEMU_ARM_CLIENT" ] && command -v qemu-arm >/dev/null || have_qemu=0

  # Our daemons, and the peer's servers, one set per scenario.
  start_storage
  local st=$STORAGE_PORT st_log=$STORAGE_LOG
  start_storage --delay-ms 5000
  local st_slow=$STORAGE_PORT
  start_gateway --storage-port "$st"
  local gw=$GATEWAY_PORT
  start_gateway --storage-port "$st_slow"
  local gw_slow=$GATEWAY_PORT
  start_gateway --storage-port "$st" --stream-delay-ms 1000
  local gw_stream=$GATEWAY_PORT
  start_gateway --storage-port "$st" --stream-delay-ms 300
  local gw_cancel=$GATEWAY_PORT gw_cancel_log=$GATEWAY_LOG
  start_prod prod "$st"
  local prod=$PROD_PORT
  start_prod prod-slow "$st_slow"
  local prod_slow=$PROD_PORT
  # shellcheck disable=SC2034 # start_storage reads it
  local STORAGE_EXE=$PEER_STORAGE
  start_storage
  local pst=$STORAGE_PORT
  start_storage --delay-ms 5000
  local pst_slow=$STORAGE_PORT pst_slow_log=$STORAGE_LOG
  unset STORAGE_EXE
  start_gateway --storage-port "$pst"
  local gw_pst=$GATEWAY_PORT
  start_gateway --storage-port "$pst_slow"
  local gw_pst_slow=$GATEWAY_PORT

  # The slow scenarios, side by side in the background.
  run_bg "$D/s1late" "${PEER_CLIENT[@]}" --addr "127.0.0.1:$gw_slow" getprods aws storage
  local b1=$BG_PID
  run_bg "$D/s1stream" "${PEER_CLIENT[@]}" --addr "127.0.0.1:$gw_stream" getprods aws storage
  local b2=$BG_PID
  run_bg "$D/s2late" "$BIN/firmware-client" --addr "127.0.0.1:$prod_slow" getprods aws storage
  local b3=$BG_PID b4="" k bk=()
  # The same, thrice at once with --timeout 1: which tier's DeadlineExceeded
  # reaches the client first is a race, run it more than once.
  for k in 1 2 3; do
    run_bg "$D/s2late1.$k" "$BIN/firmware-client" --addr "127.0.0.1:$prod_slow" --timeout 1 getprods aws storage
    bk+=("$BG_PID")
  done
  if [ "$have_qemu" = 1 ]; then
    run_bg "$D/s2qlate" "${qemu[@]}" --addr "127.0.0.1:$prod_slow" getprods aws storage
    b4=$BG_PID
  fi
  run_bg "$D/s3late" "$BIN/firmware-client" --addr "127.0.0.1:$gw_pst_slow" getprods aws storage
  local b5=$BG_PID

  # ---- 1. the peer's client against our gateway
  WHO="$PEER client -> our gateway"
  cell 1.1 "happy path: getprodtypes and getprods, every vendor and type"
  happy "${PEER_CLIENT[@]}" --addr "127.0.0.1:$gw"
  cell 1.2 "wrong vendor / type: InvalidArgument, exact messages"
  wrong "${PEER_CLIENT[@]}" --addr "127.0.0.1:$gw"

  cell 1.5 "client cancel mid-stream (gateway --stream-delay-ms 300, cancel after the first product)"
  run_bg "$D/s1cancel" "${PEER_CLIENT[@]}" --addr "127.0.0.1:$gw_cancel" --cancel-after 1 getprods aws storage
  local bc=$BG_PID i=0
  while [ ! -s "$D/s1cancel.out" ] && [ "$i" -lt 100 ] && kill -0 "$bc" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
  check_log "$gw_cancel_log" "$CANCEL_LINE" "$WHO: the gateway logs \"$CANCEL_LINE\"" 0.8
  # The peer holds its connection 1 s after the cancel: a line seen before it
  # exits comes from the RST_STREAM, not from the connection closing.
  if kill -0 "$bc" 2>/dev/null; then ok "$WHO: the cancel line came while the peer still held its connection (RST_STREAM)"
  else not_ok "$WHO: the cancel line came while the peer still held its connection (RST_STREAM)" "the peer had exited already"; fi
  wait "$bc"
  load_bg "$D/s1cancel"
  check_rc "$RC" 0 "$WHO: the cancelling client exits 0"
  check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_aws_storage.txt | head -1)" \
    "$WHO: the first product, then the cancel"
  check_eq "$ERR" "" "$WHO: the cancelling client: nothing on stderr"
  run "${PEER_CLIENT[@]}" --addr "127.0.0.1:$gw_cancel" getprods google compute
  check_rc "$RC" 0 "$WHO: the next call after the cancel exits 0"
  check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_google_compute.txt)" \
    "$WHO: the next call after the cancel (through the same storage) is complete"
  if grep -Eiq 'cancel|dropped|error' "$st_log"; then
    not_ok "$WHO: storage is not disturbed by the cancel" "$(grep -Ei 'cancel|dropped|error' "$st_log" | tail -5)"
  else ok "$WHO: storage is not disturbed by the cancel (no cancel or error in its log)"; fi

  # ---- 2. our firmware client against the peer's ProdService
  WHO="firmware-client (host) -> $PEER ProdService"
  cell 2.1 "host firmware-client: happy path"
  happy "$BIN/firmware-client" --addr "127.0.0.1:$prod"
  cell 2.2 "host firmware-client: wrong vendor / type"
  wrong "$BIN/firmware-client" --addr "127.0.0.1:$prod"
  WHO="firmware-client (armhf-linux, qemu-arm) -> $PEER ProdService"
  cell 2.4 "armhf-linux firmware-client (qemu-arm): happy path"
  if [ "$have_qemu" = 1 ]; then happy "${qemu[@]}" --addr "127.0.0.1:$prod"; else
    not_ok "$WHO: qemu-arm and $QEMU_ARM_CLIENT are there" "build with: make BOARD=armhf-linux"; fi
  cell 2.5 "armhf-linux firmware-client (qemu-arm): wrong vendor / type"
  if [ "$have_qemu" = 1 ]; then wrong "${qemu[@]}" --addr "127.0.0.1:$prod"; else
    not_ok "$WHO: qemu-arm and $QEMU_ARM_CLIENT are there" "build with: make BOARD=armhf-linux"; fi

  # ---- 3. our gateway against the peer's StorageService
  WHO="firmware-client -> our gateway -> $PEER StorageService"
  cell 3.1 "happy path"
  happy "$BIN/firmware-client" --addr "127.0.0.1:$gw_pst"
  cell 3.2 "wrong vendor / type (the peer's status, passed through)"
  wrong "$BIN/firmware-client" --addr "127.0.0.1:$gw_pst"

  # ---- the slow scenarios' verdicts
  wait "$b1" "$b2" "$b3" "$b5" ${b4:+"$b4"} "${bk[@]}"
  WHO="$PEER client -> our gateway"
  cell 1.3 "deadline in storage (storage --delay-ms 5000, 4 s deadline)"
  late "$D/s1late"
  cell 1.4 "deadline while streaming (gateway --stream-delay-ms 1000, 4 s deadline)"
  load_bg "$D/s1stream"
  check_rc "$RC" 1 "$WHO: slow stream exits 1"
  check_eq "$ERR" "$E_LATE" "$WHO: slow stream: DeadlineExceeded line after the products"
  check_between "$MS" 3500 6000 "$WHO: slow stream: the deadline hits after about 4 s"
  local n
  n=$(printf '%s' "$OUT" | grep -c '^Title: ')
  if [ "$n" -ge 3 ] && [ "$n" -le 5 ]; then ok "$WHO: slow stream: the first products are printed ($n of 7)"; else
    not_ok "$WHO: slow stream: the first 3 to 5 products are printed" "got $n lines:" "$OUT"; fi
  check_eq "$(printf '%s\n' "$OUT" | mask_short)" "$(expected getprods_aws_storage.txt | head -n "$n")" \
    "$WHO: slow stream: the products printed are the first ones, in order"

  WHO="firmware-client (host) -> $PEER ProdService"
  cell 2.3 "host firmware-client: deadline in storage (our storage --delay-ms 5000; 4 s, and 1 s thrice)"
  late "$D/s2late"
  for k in 1 2 3; do
    load_bg "$D/s2late1.$k"
    check_rc "$RC" 1 "$WHO: --timeout 1 getprods aws storage ($k of 3) exits 1"
    check_eq "$ERR" "$E_LATE" "$WHO: --timeout 1 ($k of 3): DeadlineExceeded line"
    check_between "$MS" 700 2500 "$WHO: --timeout 1 ($k of 3): DeadlineExceeded after about 1 s"
  done
  WHO="firmware-client (armhf-linux, qemu-arm) -> $PEER ProdService"
  cell 2.6 "armhf-linux firmware-client (qemu-arm): deadline in storage (4 s)"
  if [ "$have_qemu" = 1 ]; then late "$D/s2qlate"; else
    not_ok "$WHO: qemu-arm and $QEMU_ARM_CLIENT are there" "build with: make BOARD=armhf-linux"; fi
  WHO="firmware-client -> our gateway -> $PEER StorageService"
  cell 3.3 "deadline in storage (peer storage --delay-ms 5000, 4 s)"
  late "$D/s3late"
  check_log "$pst_slow_log" 'dropped' "$WHO: the $PEER storage sees the call end before its 5 s delay (deadline forwarded)" 1.5
  cell_end

  # Every daemon stops cleanly (sanitizers checked by finish); then the doc.
  matrix_finish
}

matrix_finish() {
  local pid i
  cell 9.1 "every daemon of the run (ours and the peer's) serves to the end, stops on SIGTERM, no sanitizer report"
  for pid in "${DAEMON_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      stop_daemon "$pid" TERM
    else
      wait "$pid" 2>/dev/null
      not_ok "daemon pid $pid exited before the end of the test (exit status $?)"
      STOPPED_PIDS="$STOPPED_PIDS$pid "
    fi
  done
  for i in "${!DAEMON_LOGS[@]}"; do check_sanitizers "${DAEMON_LOGS[$i]}" "$(basename "${DAEMON_LOGS[$i]}")"; done
  cell_end
  if "$TEST_ROOT/tools/interop_doc.sh"; then echo "# rendered build/interop.md"; else
    not_ok "tools/interop_doc.sh renders build/interop.md"; fi
  # common.sh's finish, less what was done above.
  if [ "$FAILS" -gt 0 ]; then
    echo "# $TEST_NAME: $FAILS of $CHECKS checks failed"
    for i in "${!DAEMON_LOGS[@]}"; do
      echo "# last lines of $(basename "${DAEMON_LOGS[$i]}"):"
      tail -8 "${DAEMON_LOGS[$i]}" | sed 's/^/#   /'
    done
    exit 1
  fi
  echo "# $TEST_NAME: all $CHECKS checks passed"
  exit 0
}
