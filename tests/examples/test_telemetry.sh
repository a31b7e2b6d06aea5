#!/bin/bash
# The telemetry example (examples/telemetry/): telemetry-server (host-asan
# build, a fresh SQLite database in the test's temp dir) and
# telemetry-device on every board: the host, armhf-linux and aarch64-linux
# under qemu-user (--addr; these two at once, as two devices), lm3s6965evb
# and mps2-an385 under qemu-system-arm (arguments through semihosting,
# UART0 the wire). Each board uploads 1,000 readings while its command
# stream is open on the same channel; the server sends a command every 100
# readings. What a user sees is checked: exit status 0, the command lines
# (with the device's own count at arrival masked), at least one command
# before the upload's end, the summary line, the rows in the database
# (sqlite3, independently), and on lm3s6965evb the arena's high-water mark
# within its 28 KB. Then bad input (grpcio with raw bytes) before the boards
# and, last, a graceful stop in the middle of an upload: the upload still
# completes and is stored whole, the command stream ends Unavailable.
. "$(dirname "$0")/../lib/common.sh"
cd "$TEST_ROOT" || bail "cd $TEST_ROOT"
require_bins telemetry-server telemetry-device
command -v sqlite3 >/dev/null || bail "the sqlite3 CLI is missing (apt-get install sqlite3)"

N=1000
QEMU_NOISE='^Timer with period zero, disabling$'
# tests/qemu/test_no_heap.sh's list
HEAP_RE='^(malloc|free|calloc|realloc|reallocf|memalign|posix_memalign|aligned_alloc|sbrk|_sbrk|_sbrk_r|_malloc_r|_free_r|_calloc_r|_realloc_r|_memalign_r|__malloc_lock|_mallinfo_r)$'
DB=$TEST_TMP/telemetry.db
SERVER_PORT=$(free_port)
LOG=$TEST_TMP/server.log
: >"$LOG"
start_daemon telemetry-server "$SERVER_PORT" "$LOG" --listen "127.0.0.1:$SERVER_PORT" --db "$DB" ||
  bail "telemetry-server did not start"
SERVER_PID=$LAST_PID

sql() { sqlite3 "$DB" "$1" 2>&1; }

check_eq "$(sql "SELECT count(*) FROM reading")" 0 "the server creates the reading table on start"

# The commands of a 1,000-reading upload, the device's count at arrival
# masked as R (it depends on timing); the rest is the same on every run.
EXPECTED_COMMANDS="command 1 at reading R (issued at 100): set-interval 500
command 2 at reading R (issued at 200): set-threshold 21000
command 3 at reading R (issued at 300): calibrate 3
command 4 at reading R (issued at 400): set-interval 250
command 5 at reading R (issued at 500): set-threshold 22500
command 6 at reading R (issued at 600): calibrate 2
command 7 at reading R (issued at 700): set-interval 1000
command 8 at reading R (issued at 800): set-threshold 24000
command 9 at reading R (issued at 900): calibrate 1
command 10 at reading R (issued at 1000): set-interval 750"

# device_cmd BOARD DEVICE ARGS...: sets CMD, the command line that runs
# the device DEVICE on BOARD against the server, with ARGS.
device_cmd() {
  local board=$1 device=$2 info a sh PORT EXE RUNNER
  shift 2
  CMD=()
  if [ "$board" = host ]; then
    CMD=(timeout 60 "$BIN/telemetry-device" --addr "127.0.0.1:$SERVER_PORT" --device "$device" "$@")
    return 0
  fi
  info=$(make -s --no-print-directory -C "$TEST_ROOT" BOARD="$board" board-info) || return 1
  eval "$info" # PORT, EXE, RUNNER
  local exe=$TEST_ROOT/build/$board/bin/telemetry-device$EXE
  [ -f "$exe" ] || return 1
  if [ "$PORT" = cortex-m ]; then
    sh=${RUNNER/arg=firmware-client/arg=telemetry-device},arg=--device,arg=$device
    for a in "$@"; do sh+=",arg=$a"; done
    # shellcheck disable=SC2206 # RUNNER is a command line
    CMD=(timeout 90 $sh -serial "tcp:127.0.0.1:$SERVER_PORT" -kernel "$exe")
  else
    # shellcheck disable=SC2206
    CMD=(timeout 60 $RUNNER "$exe" --addr "127.0.0.1:$SERVER_PORT" --device "$device" "$@")
  fi
}

# device_start BOARD DEVICE ARGS...: runs the device in the background
# into $TEST_TMP/DEVICE.{out,err,rc}; sets DEV_PID.
device_start() {
  local board=$1 f=$TEST_TMP/$2
  DEV_PID=
  if ! device_cmd "$@"; then
    echo 127 >"$f.rc"
    : >"$f.out"
    echo "no build/$board/bin/telemetry-device (make boards)" >"$f.err"
    return 0
  fi
  (
    "${CMD[@]}" >"$f.out" 2>"$f.err.raw"
    echo $? >"$f.rc"
    grep -v -- "$QEMU_NOISE" "$f.err.raw" >"$f.err"
  ) &
  DEV_PID=$!
}

# device_result BOARD: sets OUT, ERR and RC from a finished run.
device_result() {
  local f=$TEST_TMP/$1
  OUT=$(cat "$f.out")
  ERR=$(cat "$f.err")
  RC=$(cat "$f.rc")
}

# check_board BOARD: what the user sees of a whole upload on BOARD.
check_board() {
  local b=$1 cmds arrivals early bad rows
  device_result "$b"
  check_rc "$RC" 0 "$b: telemetry-device exits 0"
  if grep -Eq "$SANITIZER_RE" <<<"$ERR"; then
    not_ok "$b: no sanitizer report from telemetry-device" "$(grep -E -m3 -A12 "$SANITIZER_RE" <<<"$ERR")"
  fi
  cmds=$(grep '^command ' <<<"$OUT" | sed -E 's/^(command [0-9]+ at reading )[0-9]+ /\1R /')
  check_eq "$cmds" "$EXPECTED_COMMANDS" "$b: the 10 commands, in order, one every 100 readings"
  # "at reading R (issued at S)": R is what the device had sent when the
  # command arrived; R < N means during the upload, and R >= S always
  arrivals=$(sed -nE 's/^command [0-9]+ at reading ([0-9]+) \(issued at ([0-9]+)\):.*/\1 \2/p' <<<"$OUT")
  early=$(awk -v n="$N" '$1 < n { k++ } END { print k + 0 }' <<<"$arrivals")
  bad=$(awk '$1 < $2 { k++ } END { print k + 0 }' <<<"$arrivals")
  if [ "$early" -gt 0 ]; then
    ok "$b: $early of 10 commands arrived while the upload was in progress"
  else
    not_ok "$b: a command arrives while the upload is in progress" "$OUT"
  fi
  check_eq "$bad" 0 "$b: no command arrived before the reading that caused it"
  check_eq "$(grep '^uploaded ' <<<"$OUT")" "uploaded $N readings, server stored $N" "$b: the summary line"
  check_eq "$(tail -1 <<<"$OUT")" "commands: received 10 of 10, stream cancelled" \
    "$b: every command received, then the command stream cancelled"
  rows=$(sql "SELECT count(*), count(DISTINCT seq), min(seq), max(seq), count(DISTINCT upload)
              FROM reading WHERE device = '$b'")
  check_eq "$rows" "$N|$N|1|$N|1" "$b: $N rows in the database (sqlite3), readings 1..$N of one upload"
}

# ---- bad input first: the boards after it show the server unharmed -------
BAD=$("$PY" - "127.0.0.1:$SERVER_PORT" <<'EOF' 2>&1
import sys
sys.dont_write_bytecode = True
import grpc

addr = sys.argv[1]
UP, CM = "/telemetry.Telemetry/Upload", "/telemetry.Telemetry/Commands"

def upload(msgs, md):
    with grpc.insecure_channel(addr) as ch:
        call = ch.stream_unary(UP, request_serializer=None, response_deserializer=None)
        try:
            call(iter(msgs), metadata=md, timeout=5)
            return "OK"
        except grpc.RpcError as e:
            return "%s %s" % (e.code().name, e.details())

def commands(req):
    with grpc.insecure_channel(addr) as ch:
        call = ch.unary_stream(CM, request_serializer=None, response_deserializer=None)
        try:
            list(call(req, timeout=5))
            return "OK"
        except grpc.RpcError as e:
            return "%s %s" % (e.code().name, e.details())

reading = b"\x08\x01\x10\x02\x18\x04"  # seq 1, sensor 2, value 2
print("no device:", upload([reading], ()))
print("device too long:", upload([reading], (("x-device-id", "d" * 33),)))
print("device not an id:", upload([reading], (("x-device-id", "a b"),)))
print("bad reading:", upload([reading, b"\xff\xff\xff"], (("x-device-id", "bad-reading"),)))
print("commands, no device:", commands(b""))
print("commands, bad request:", commands(b"\x0a\x05ab"))
print("commands, device too long:", commands(b"\x0a\x21" + b"d" * 33))
with grpc.insecure_channel(addr) as ch:
    try:
        ch.unary_unary("/telemetry.Telemetry/Nope", request_serializer=None,
                       response_deserializer=None)(b"", timeout=5)
        print("unknown method: OK")
    except grpc.RpcError as e:
        print("unknown method:", e.code().name)
EOF
)
ID_MSG="telemetry: an upload names its device in x-device-id (1 to 32 of A-Z a-z 0-9 . _ -)"
CM_MSG="telemetry: CommandsRequest.device must be 1 to 32 of A-Z a-z 0-9 . _ -"
check_eq "$BAD" "no device: INVALID_ARGUMENT $ID_MSG
device too long: INVALID_ARGUMENT $ID_MSG
device not an id: INVALID_ARGUMENT $ID_MSG
bad reading: INVALID_ARGUMENT grpc: error unmarshalling request: end-of-stream
commands, no device: INVALID_ARGUMENT $CM_MSG
commands, bad request: INVALID_ARGUMENT grpc: error unmarshalling request: end-of-stream
commands, device too long: INVALID_ARGUMENT grpc: error unmarshalling request: string overflow
unknown method: UNIMPLEMENTED" "bad input: InvalidArgument or Unimplemented, each with its reason"
check_eq "$(sql "SELECT count(*) FROM reading WHERE device = 'bad-reading'")" 1 \
  "bad input: the reading before the one that did not decode is stored"
check_log "$LOG" "upload [0-9]+ from bad-reading: a reading that did not decode ended it after 1 readings" \
  "bad input: the server logs why the upload ended"

# ---- every board: the host, the two qemu-user boards at once, the two MCUs
device_start host host
[ -n "$DEV_PID" ] && wait "$DEV_PID"
check_board host
device_start armhf-linux armhf-linux
P1=$DEV_PID
device_start aarch64-linux aarch64-linux
P2=$DEV_PID
[ -n "$P1" ] && wait "$P1"
[ -n "$P2" ] && wait "$P2"
check_board armhf-linux
check_board aarch64-linux
for b in lm3s6965evb mps2-an385; do
  device_start "$b" "$b"
  [ -n "$DEV_PID" ] && wait "$DEV_PID"
  check_board "$b"
  # the arena holds both calls' HTTP/2 streams; 1 KB must stay free, as
  # the board suites want (tests/qemu/board.sh, board_marks)
  line=$(sed -n 's/^# arena high water \([0-9]*\) of \([0-9]*\) bytes$/\1 \2/p' <<<"$ERR")
  read -r used size <<<"${line:-0 0}"
  if [ "$used" -gt 0 ] && [ "$used" -le $((size - 1024)) ]; then
    ok "$b: $N readings and 10 commands within the arena ($used of $size bytes)"
  else
    not_ok "$b: $N readings and 10 commands leave 1 KB of the arena free" "stderr: $ERR"
  fi
  echo "# $b: $(grep '^# ' <<<"$ERR" | tr '\n' ' ')"
  # static memory only: two call slots, the arena, no allocator linked
  heap=$(arm-none-eabi-nm "build/$b/bin/telemetry-device.elf" 2>&1 | awk '{ print $NF }' |
    grep -E "$HEAP_RE")
  check_eq "$heap" "" "$b: no heap symbols in telemetry-device.elf"
done
check_eq "$(sql "SELECT count(*) FROM reading")" $((5 * N + 1)) "every board's readings are in the database"

# ---- a graceful stop during an upload --------------------------------------
# SIGTERM while the host device is 100 readings into 300: the server ends
# the command streams (Unavailable) and drains (4 s): the upload goes on
# over the connection told to go (GOAWAY) and is stored whole; the device
# reports the lost command stream and exits 1.
D=300
device_start host drain --readings "$D"
check_log "$LOG" "command 1 for drain at reading 100" "drain: the upload is under way" 20
stop_daemon "$SERVER_PID" TERM
[ -n "$DEV_PID" ] && wait "$DEV_PID"
device_result drain
check_rc "$RC" 1 "drain: the device exits 1 (its command stream was cut)"
check_eq "$(grep '^uploaded ' <<<"$OUT")" "uploaded $D readings, server stored $D" \
  "drain: the upload completes during the server's drain"
check_eq "$(grep '^commands: ' <<<"$ERR")" \
  "commands: rpc error: code = Unavailable desc = telemetry: the server is shutting down" \
  "drain: the command stream ends Unavailable"
check_eq "$(sql "SELECT count(*) FROM reading WHERE device = 'drain'")" "$D" \
  "drain: $D rows in the database"
finish
