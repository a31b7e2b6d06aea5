#!/bin/bash
# docs/sdk.md is a walk-through, and this test walks it as a user would:
# the page's blocks marked "sh sdk:<name>" are run as written, from the
# checkout's root, with the page's variables set (W: this test's temp dir,
# PORT: a free port, BOARD: each board in turn). For every board (host,
# host-asan, armhf-linux, aarch64-linux, lm3s6965evb, mps2-an385) the
# sample's client is built from `make BOARD=x lib`'s outputs only
# (pkg-config on the Linux boards, the include and lib folders and the
# page's flags on Cortex-M) and runs the "console sdk:transcript" block
# against the sample's server (qemu-user, qemu-system-arm): each "$ "
# command must print the lines under it and exit 0, or 1 when they end in
# "rpc error:". The page's quoted code ("excerpt:<file>") must be in that
# file as it is, so page and code cannot drift apart.
#
# The server is the one thing started by hand, not from the page (which
# backgrounds it with "&"): the host-asan build, under this test's daemon
# helpers, so that it runs under the sanitizers and is stopped with SIGTERM
# for LeakSanitizer at the end.
. "$(dirname "$0")/../lib/common.sh"
cd "$TEST_ROOT" || bail "cd $TEST_ROOT"
DOC=docs/sdk.md
BOARDS=(host host-asan armhf-linux aarch64-linux lm3s6965evb mps2-an385)
QEMU_NOISE='^Timer with period zero, disabling$'
HEAP_RE='^(malloc|free|calloc|realloc|_sbrk|_sbrk_r|_malloc_r|_free_r|_calloc_r|_realloc_r)$'

# block NAME: the text of the page's block whose info string ends in sdk:NAME.
block() { awk -v tag="sdk:$1" 'on && /^```$/ { exit } on { print } /^```/ && $NF == tag { on = 1 }' "$DOC"; }

# run_block NAME LOG: runs the block in this shell (its variables and
# functions stay, as in a user's), output into LOG. Returns its status.
run_block() {
  local code
  code=$(block "$1")
  [ -n "$code" ] || { echo "no block sdk:$1 in $DOC" >"$2"; return 1; }
  eval "$code" >"$2" 2>&1
}

# The page's code quotes.
excerpts=$("$PY" - "$DOC" <<'EOF'
import re, sys
doc = open(sys.argv[1]).read()
for path, body in re.findall(r"^```\w* excerpt:(\S+)\n(.*?)^```$", doc, re.M | re.S):
    try:
        found = body in open(path).read()
    except OSError:
        found = False
    print("%s %s" % ("ok" if found else "missing", path))
EOF
)
[ -n "$excerpts" ] || not_ok "$DOC quotes code" "no excerpt:<file> block found"
while read -r verdict path; do
  if [ "$verdict" = ok ]; then ok "$DOC's excerpt of $path is in $path"; else
    not_ok "$DOC's excerpt of $path is in $path" "the page quotes code that $path does not have"; fi
done <<<"$excerpts"

# The transcript: commands and the lines each must print.
CMDS=() WANT=()
while IFS= read -r line; do
  if [ "${line:0:2}" = '$ ' ]; then
    CMDS+=("${line:2}")
    WANT+=("")
  elif [ ${#CMDS[@]} -gt 0 ]; then
    n=$((${#WANT[@]} - 1))
    WANT[n]+="${WANT[n]:+$'\n'}$line"
  fi
done < <(block transcript)
[ ${#CMDS[@]} -ge 5 ] || bail "no transcript (console sdk:transcript) in $DOC"

# The variables the page sets first; exported, for the client functions run
# under timeout(1) through bash -c.
export W=$TEST_TMP/w PORT BOARD
PORT=$(free_port)

# The server (see above), and a first look at it from the page's own
# generation step.
make -s --no-print-directory BOARD=host-asan thermostat-server >"$TEST_TMP/make-server.log" 2>&1 ||
  bail "make BOARD=host-asan thermostat-server failed: $(tail -5 "$TEST_TMP/make-server.log")"
SERVER_LOG=$TEST_TMP/server.log
start_daemon thermostat-server "$PORT" "$SERVER_LOG" --listen "127.0.0.1:$PORT" ||
  bail "thermostat-server did not start"
if run_block gen "$TEST_TMP/gen.log" && [ -f "$W/gen/thermostat.fc.c" ] && [ -f "$W/gen/thermostat.pb.c" ]; then
  ok "sdk:gen generates the messages and the board stubs"
else
  bail "sdk:gen failed: $(tail -5 "$TEST_TMP/gen.log")"
fi

for BOARD in "${BOARDS[@]}"; do
  log=$TEST_TMP/$BOARD
  # one make lib at a time with tests/tools/test_install.sh's make install,
  # which rewrites the same build/<board>/ folders
  exec 9>"$TEST_ROOT/build/.make-lib.lock"
  flock 9
  run_block lib "$log.lib.log"
  rc=$?
  exec 9>&-
  if [ "$rc" != 0 ]; then
    not_ok "$BOARD: sdk:lib (make BOARD=$BOARD lib)" "$(tail -8 "$log.lib.log")"
    continue
  fi
  case $BOARD in
  lm3s6965evb | mps2-an385) kind=cortex-m exe=$W/$BOARD/thermostat-client.elf ;;
  *) kind=linux exe=$W/$BOARD/thermostat-client ;;
  esac
  if run_block "build-$kind" "$log.build.log" && [ -x "$exe" ]; then
    ok "$BOARD: sdk:build-$kind builds the client from make lib's outputs"
  else
    not_ok "$BOARD: sdk:build-$kind builds the client from make lib's outputs" "$(tail -8 "$log.build.log")"
    continue
  fi
  if [ "$kind" = cortex-m ]; then
    heap=$(arm-none-eabi-nm "$exe" | awk '{ print $NF }' | grep -E "$HEAP_RE")
    check_eq "$heap" "" "$BOARD: the client's image links no heap"
  fi
  run_block "run-$kind" "$log.run.log" || not_ok "$BOARD: sdk:run-$kind" "$(cat "$log.run.log")"
  export -f client
  for i in "${!CMDS[@]}"; do
    want_rc=0
    case ${WANT[i]} in *"rpc error:"*) want_rc=1 ;; esac
    timeout 120 bash -c "${CMDS[i]}" >"$log.$i.raw" 2>&1
    rc=$?
    got=$(grep -v -- "$QEMU_NOISE" "$log.$i.raw")
    if grep -Eq "$SANITIZER_RE" "$log.$i.raw"; then
      not_ok "$BOARD: no sanitizer report from \$ ${CMDS[i]}" "$(grep -E -m3 -A12 "$SANITIZER_RE" "$log.$i.raw")"
    fi
    check_eq "$got" "${WANT[i]}" "$BOARD: \$ ${CMDS[i]}"
    [ "$rc" = "$want_rc" ] || not_ok "$BOARD: \$ ${CMDS[i]} exits $want_rc" "exit status $rc"
  done
  unset -f client
done

# The server read the device's metadata, binary value included.
check_log "$SERVER_LOG" 'GetReading kitchen from board-7 \(firmware deadbeef\)$' \
  "the server decoded the client's x-device-id and x-fw-hash-bin"

# A log line that does not decode ends the upload under its handler: the
# skeleton answers InvalidArgument and tells the handler (UploadLog_end), which
# frees the call's summary; LeakSanitizer checks it when finish stops the server.
got=$("$PY" - "127.0.0.1:$PORT" <<'EOF'
import sys
import grpc
with grpc.insecure_channel(sys.argv[1]) as ch:
    up = ch.stream_unary("/thermo.Thermostat/UploadLog", request_serializer=None,
                         response_deserializer=None)
    try:  # a good LogLine {seq: 1}, then a text whose length runs past the end
        up(iter([b"\x08\x01", b"\x12\x7f\x01"]), timeout=10)
        print("OK")
    except grpc.RpcError as e:
        print(e.code().name, e.details())
EOF
)
check_eq "$got" "INVALID_ARGUMENT grpc: error unmarshalling request: parent stream too short" \
  "a LogLine that does not decode: InvalidArgument"
finish
