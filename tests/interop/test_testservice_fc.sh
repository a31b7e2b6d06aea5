#!/bin/bash
# The gRPC interop test cases played by the firmware client's own stack
# (fc-interop: tests/interop/testservice/fc_interop.c, built by
# mk/fc_interop.mk) against our interop-server: the host-asan build, then the
# armhf-linux board's under qemu-arm. One check per case and build; the
# verdicts go to build/interop/results/testservice-fc-{host,armhf}.tsv, under
# the row names of the grpcio run, and build/interop.md (tools/interop_doc.sh).
# The cases the client cannot express (request streaming, response metadata)
# get a "not played" row saying why.
. "$(dirname "$0")/../lib/common.sh"

CASES=(empty_unary large_unary server_streaming status_code_and_message special_status_message
  unimplemented_method unimplemented_service cancel_after_begin timeout_on_sleeping_server)
# The TestService table's row of each case: the grpcio run's numbering.
declare -A ROW=([empty_unary]=1 [large_unary]=2 [server_streaming]=3 [status_code_and_message]=5
  [special_status_message]=6 [unimplemented_method]=8 [unimplemented_service]=9
  [cancel_after_begin]=10 [timeout_on_sleeping_server]=15)
NOT_PLAYED=(
  "4	server_streaming with interval_us (timers, not sleeps)	not played (server timers)"
  "7	custom_metadata	not played (response metadata)"
  "11	cancel_after_first_response	not played (request streaming)"
  "12	ping_pong	not played (request streaming)"
  "13	client_streaming	not played (request streaming)"
  "14	empty_stream	not played (request streaming)"
)
RESULTS_DIR=$TEST_ROOT/build/interop/results
HOST_EXE=$BIN/fc-interop
ARM_EXE=$TEST_ROOT/build/armhf-linux/bin/fc-interop

require_bins interop-server fc-interop
[ -x "$ARM_EXE" ] || bail "missing $ARM_EXE (build with: make BOARD=armhf-linux)"
RUNNER=""
eval "$(make -s --no-print-directory -C "$TEST_ROOT" BOARD=armhf-linux board-info)" # sets RUNNER
ARM_RUNNER=$RUNNER
command -v "${ARM_RUNNER%% *}" >/dev/null || bail "missing ${ARM_RUNNER%% *} (make deps installs QEMU)"

SRV_PORT=$(free_port)
SRV_LOG=$TEST_TMP/interop-server.log
: >"$SRV_LOG"
start_daemon interop-server "$SRV_PORT" "$SRV_LOG" --port "$SRV_PORT" || bail "interop-server did not start"
ADDR=127.0.0.1:$SRV_PORT

# play TAG PEER RUNNER EXE: every case with one build; writes the TSV.
play() {
  local tag=$1 peer=$2 runner=$3 exe=$4 c o e rc line verdict note arena="" n=0
  local tsv=$RESULTS_DIR/testservice-fc-$tag.tsv
  mkdir -p "$RESULTS_DIR"
  : >"$tsv.tmp"
  for c in "${CASES[@]}"; do
    n=$((n + 1))
    o=$TEST_TMP/$tag.$c.out e=$TEST_TMP/$tag.$c.err
    # shellcheck disable=SC2086 # the runner is a command line (or empty)
    timeout 20 $runner "$exe" --addr "$ADDR" "$c" >"$o" 2>"$e"
    rc=$?
    line=$(head -1 "$o")
    arena=$(sed -n 's/^# arena high water \([0-9]*\) of \([0-9]*\) bytes$/\2/p' "$e" | tail -1)
    if grep -Eq "$SANITIZER_RE" "$e"; then
      verdict=FAIL note="sanitizer report: $(grep -E -m1 "$SANITIZER_RE" "$e")"
    elif [ "$rc" = 0 ] && [ "$line" = "PASS $c" ]; then
      verdict=pass note=""
    elif [ "$rc" = 0 ] && [ "${line#PASS "$c": bounded: }" != "$line" ]; then
      # large_unary over the board's message bound: refused as it must be
      verdict="bounded: ResourceExhausted (> $(echo "$line" |
        sed -n 's/.* \([0-9]*\)-byte message bound.*/\1/p') B)"
      note=""
    else
      verdict=FAIL note="${line:-exit status $rc, no verdict line}"
      [ -n "$line" ] || note="$note; stderr: $(tail -3 "$e" | tr '\n' ' ')"
    fi
    if [ "$verdict" = FAIL ]; then
      not_ok "$peer: $c" "$note" "stderr:" "$(cat "$e")"
    else
      ok "$peer: $c${line#PASS "$c"}"
    fi
    printf 'T.%s\t%s\t%s\t%s\t%s\n' "${ROW[$c]}" "$c" "$peer" "$verdict" "$note" >>"$tsv.tmp"
  done
  for line in "${NOT_PLAYED[@]}"; do
    IFS=$'\t' read -r n c verdict <<<"$line"
    printf 'T.%s\t%s\t%s\t%s\t\n' "$n" "$c" "$peer" "$verdict" >>"$tsv.tmp"
  done
  {
    printf '0\tversion\t%s\t%s\t\n' "$peer" "$VERSION (arena ${arena:-?} B)"
    printf '0\trun\t%s\t%s\t\n' "$peer" "$(date -u '+%Y-%m-%d %H:%M UTC')"
    cat "$tsv.tmp"
  } >"$tsv.tmp2"
  mv -f "$tsv.tmp2" "$tsv"
  rm -f "$tsv.tmp"
}

VERSION="fc-interop, host-asan build"
play host "firmware-client (host)" "" "$HOST_EXE"
VERSION="fc-interop, armhf-linux build (static), $(${ARM_RUNNER%% *} --version | head -1 | awk '{print $1, $3}')"
play armhf "firmware-client (armhf, qemu-arm)" "$ARM_RUNNER" "$ARM_EXE"

# the server took every case, cancels and refusals included, and still answers
timeout 20 "$HOST_EXE" --addr "$ADDR" empty_unary >"$TEST_TMP/after.out" 2>&1
check_eq "$(head -1 "$TEST_TMP/after.out")" "PASS empty_unary" "interop-server still answers after every case"

if bash "$TEST_ROOT/tools/interop_doc.sh"; then echo "# rendered build/interop.md"; else
  not_ok "tools/interop_doc.sh renders build/interop.md"; fi
finish
