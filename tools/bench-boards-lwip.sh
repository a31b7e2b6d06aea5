#!/bin/bash
# The Cortex-M boards over TCP/IP (make BOARD=<board> NET=lwip), timed under
# QEMU at two clocks (-icount shift=6,align=on: about 15.6 M instructions/s,
# a 12.5 MHz-class Cortex-M3; shift=4,align=on: about 62 M/s), for make
# bench, in a network namespace of its own (tests/lib/netns.sh: a tap device
# for QEMU's NIC, 192.0.2.0/24, deleted at the end). Prints a markdown
# section on stdout (--doc FILE puts it between FILE's
# <!-- bench-boards-lwip --> markers):
#   - the first call: boot to answer, in plaintext and with a full
#     mutual-TLS 1.3 handshake, QEMU's own start taken off (a --version run);
#   - a call on the open channel: (time of --repeat 51 - time of --repeat 1) / 50;
#   - a resumed reconnect: the gateway is drained (SIGTERM) between two calls
#     and its successor (same --tls-ticket-key) takes its port; the board
#     dials again and resumes (psk_ke). Timed by a proxy on the path
#     (tests/lib/h2proxy.py): from the new connection's first TLS record to
#     its end after the answer (the board's close at exit), so an upper bound;
#   - a large server stream into the board: getprods over a catalogue of
#     STREAM_N products (storage --import), (time of --repeat 5 - time of
#     --repeat 1) / 4, as KB/s of gRPC messages (5-byte prefix and ProdsPrep
#     bytes; the board prints every product, as the CLI does), and the same
#     over UART0 (the UART build) for comparison;
#   - the Ethernet interrupt against polling (ETH=polled builds, frames
#     noticed at each 1 ms SysTick): the open-channel call and the stream.
# Wall-clock times of the QEMU process: with align=on the board's clock
# follows the host's. Flash and RAM from arm-none-eabi-size on the image.
# Knobs: BENCH_BOARDS (lm3s6965evb mps2-an385), BENCH_SHIFTS (6 4), STREAM_N (1000).
#   tools/bench-boards-lwip.sh [--doc FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ "${1:-}" = --doc ]; then
  out=$(mktemp)
  bash tools/bench-boards-lwip.sh >"$out"
  /usr/bin/python3 - "$2" "$out" <<'PY'
import sys
doc, sec = sys.argv[1], open(sys.argv[2]).read()
text = open(doc).read()
mark = "<!-- bench-boards-lwip -->"
a = text.index(mark) + len(mark)
b = text.index(mark, a)
open(doc, "w").write(text[:a] + "\n" + sec + text[b:])
PY
  rm -f "$out"
  exit 0
fi

# shellcheck source=tests/lib/netns.sh
. tests/lib/netns.sh
netns_enter "$ROOT/tools/bench-boards-lwip.sh" "$@" # below: inside the namespace

BOARDS=${BENCH_BOARDS:-lm3s6965evb mps2-an385}
SHIFTS=${BENCH_SHIFTS:-6 4}
STREAM_N=${STREAM_N:-1000}
BIN=build/host/bin
TMP=$(mktemp -d "${TMPDIR:-/tmp}/benchlwip.XXXXXX")
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  local i=0
  while ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
now_ms() { date +%s%3N; }

for b in $BOARDS; do # the images this bench runs, built if missing
  for v in "NET=lwip" "NET=lwip ETH=polled" ""; do
    # shellcheck disable=SC2086 # make variables
    make -s --no-print-directory BOARD="$b" $v >/dev/null
  done
done

bash tools/certs.sh "$TMP/certs" >/dev/null
C=$TMP/certs
# The catalogue: the article's, and one big type to stream.
/usr/bin/python3 - "$TMP/bulk.tsv" "$STREAM_N" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for v, t in (("aws", "compute"), ("aws", "storage")):
        f.write("%s\t%s\tAmazon %s\thttps://aws.amazon.com/%s/\n" % (v, t, t, t))
    for i in range(n):
        f.write("bulk\tbig\tProduct %05d of the bulk catalogue\thttps://example.com/bulk/products/%05d/\n" % (i, i))
PY
"$BIN/storage" --db "$TMP/db" --import "$TMP/bulk.tsv" >/dev/null
# The stream's gRPC messages: per product, a 5-byte prefix and ProdsPrep's
# three strings (title, url, a 30-character ShortUrl), each with its tag
# and one length byte.
STREAM_BYTES=$(/usr/bin/python3 - "$TMP/bulk.tsv" <<'PY'
import sys
n = 0
for line in open(sys.argv[1]):
    v, t, title, url = line.rstrip("\n").split("\t")
    if v == "bulk":
        n += 5 + (2 + len(title)) + (2 + len(url)) + (2 + 30)
print(n)
PY
)
SPORT=$(free_port) PLAIN=$(free_port) TLSP=$(free_port)
"$BIN/storage" --listen "127.0.0.1:$SPORT" --db "$TMP/db" 2>"$TMP/storage.log" &
PIDS+=($!)
wait_port "$SPORT"
"$BIN/gateway" --listen "0.0.0.0:$PLAIN" --storage "127.0.0.1:$SPORT" 2>"$TMP/gw.log" &
PIDS+=($!)
"$BIN/gateway" --listen "0.0.0.0:$TLSP" --storage "127.0.0.1:$SPORT" --tls-cert "$C/server.pem" \
  --tls-key "$C/server.key" --tls-client-ca "$C/ca.pem" 2>"$TMP/gwtls.log" &
PIDS+=($!)
wait_port "$PLAIN"
wait_port "$TLSP"

runner() { make -s --no-print-directory BOARD="$1" board-info | sed -n "s/.*RUNNER='\([^']*\)'.*/\1/p"; }

# run BOARD SHIFT BUILD PORT WORDS...: ms the board's QEMU ran (BUILD: lwip,
# lwip-polled, or uart over -serial); fails unless exit 0.
run() {
  local board=$1 shift_=$2 build=$3 port=$4 w sh="" t0 rc nic img
  shift 4
  if [ "$build" = uart ]; then
    img=build/$board/bin/firmware-client.elf nic=(-serial "tcp:127.0.0.1:$port")
  else
    img=build/$board-$build/bin/firmware-client.elf
    nic=(-nic "tap,ifname=$NETNS_TAP,script=no,downscript=no")
    set -- --ip "$NETNS_BOARD_IP/24" --addr "$NETNS_HOST_IP:$port" "$@"
  fi
  for w in "$@"; do sh="$sh,arg=$w"; done
  t0=$(now_ms)
  # shellcheck disable=SC2086 # the runner is a command line
  timeout 300 $(runner "$board")$sh -icount "shift=$shift_,align=on" "${nic[@]}" -kernel "$img" \
    >"$TMP/out" 2>"$TMP/err" && rc=0 || rc=$?
  [ "$rc" = 0 ] || { echo "bench-boards-lwip: $board $build $* exited $rc: $(tail -2 "$TMP/err")" >&2; return 1; }
  echo $(($(now_ms) - t0))
}

# resumed BOARD SHIFT: ms from the resumed connection's first TLS record to
# its end, or "failed".
resumed() {
  local board=$1 shift_=$2 w sh="" rport pport key=$TMP/ticket.key g1 g2 px q i
  [ -s "$key" ] || head -c 80 /dev/urandom >"$key"
  rport=$(free_port) pport=$(free_port)
  local gw=("$BIN/gateway" --listen "127.0.0.1:$rport" --storage "127.0.0.1:$SPORT" --tls-cert "$C/server.pem"
    --tls-key "$C/server.key" --tls-client-ca "$C/ca.pem" --tls-ticket-key "$key")
  "${gw[@]}" 2>>"$TMP/gwr.log" &
  g1=$!
  wait_port "$rport"
  : >"$TMP/px.log"
  : >"$TMP/rout"
  /usr/bin/python3 tests/lib/h2proxy.py --listen-host 0.0.0.0 --port "$pport" --target "127.0.0.1:$rport" \
    --log "$TMP/px.log" --linger-ms 500 &
  px=$!
  PIDS+=("$g1" "$px")
  wait_port "$pport"
  for w in --ip "$NETNS_BOARD_IP/24" --addr "$NETNS_HOST_IP:$pport" "${TLS[@]}" --resume-mode psk \
    --repeat 2 --every 3000 --wait-for-ready --stats getprodtypes aws; do sh="$sh,arg=$w"; done
  # shellcheck disable=SC2086 # the runner is a command line
  $(runner "$board")$sh -icount "shift=$shift_,align=on" -nic "tap,ifname=$NETNS_TAP,script=no,downscript=no" \
    -kernel "build/$board-lwip/bin/firmware-client.elf" >"$TMP/rout" 2>"$TMP/rerr" &
  q=$!
  i=0
  while ! grep -q compute "$TMP/rout" && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
  kill -TERM "$g1"
  while kill -0 "$g1" 2>/dev/null; do sleep 0.02; done
  "${gw[@]}" 2>>"$TMP/gwr.log" &
  g2=$!
  PIDS+=("$g2")
  wait "$q" || true
  kill "$g2" "$px" 2>/dev/null || true
  wait "$g2" "$px" 2>/dev/null || true
  if grep -q 'resumed=1' "$TMP/rerr"; then
    awk '$2 == "tls" { n = $3; t = $1 } $2 == "eof" && !($3 in c) { c[$3] = $1 } END { print c[n] - t }' "$TMP/px.log"
  else
    echo failed
  fi
}

# med3 COMMAND...: the median of three runs' milliseconds (QEMU's start varies
# by tens of ms, as much as a plaintext call takes).
med3() {
  local a b c
  a=$("$@") b=$("$@") c=$("$@")
  printf '%s\n' "$a" "$b" "$c" | sort -n | sed -n 2p
}

per() { # A B N: (B - A) / N, to a tenth
  awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (b - a) / n }'
}

kbps() { # BYTES MS
  if [ "$2" -gt 0 ]; then echo $(($1 * 1000 / 1024 / $2)); else echo n/a; fi
}

TLS=(--timeout 60 --tls --ca "$C/ca.pem" --server-name localhost --cert "$C/device.pem" --key "$C/device.key")
cat <<HEAD
Generated by \`make bench\` (tools/bench-boards-lwip.sh) on this machine's
QEMU, over a tap device in a namespace of the bench's own: wall-clock
milliseconds of the QEMU process, \`-icount shift=N,align=on\`, the
interrupt-driven lwIP build unless a column says polled. "First call" is
boot (the board's network coming up with \`--ip\` included) to answer, minus
QEMU's own start (a \`--version\` run); "on the open channel" is
(\`--repeat 51\` - \`--repeat 1\`) / 50, one \`getprodtypes aws\` each. Mutual
TLS 1.3 with the device's certificate. "Resumed reconnect" is, after a
drained gateway's successor took its port, the new connection from its
first TLS record to its end after the answer, on a proxy's clock (psk_ke).
"Stream" is one \`getprods bulk big\` of $STREAM_N products, $STREAM_BYTES bytes of
gRPC messages, on the open plaintext channel ((\`--repeat 5\` - \`--repeat 1\`) / 4, medians of three),
printed by the board product by product; over TCP/IP, and over UART0 (the
UART build, QEMU's \`-serial tcp:\`; (\`--repeat 2\` - \`--repeat 1\`)).
Boot and first calls are the median of three runs.

| board | clock | flash (text+data) | RAM (data+bss) | first call, plaintext | first call, full mutual-TLS handshake | a call on the open TLS channel | a call on the open plaintext channel | resumed reconnect (psk_ke) and its call | stream, KB/s | stream over UART0, KB/s | open plaintext channel, polled | stream, polled, KB/s |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
HEAD
for b in $BOARDS; do
  read -r text data bss _ < <(arm-none-eabi-size "build/$b-lwip/bin/firmware-client.elf" | tail -1)
  for s in $SHIFTS; do
    boot=$(med3 run "$b" "$s" lwip "$PLAIN" --version)
    p1=$(med3 run "$b" "$s" lwip "$PLAIN" --repeat 1 getprodtypes aws)
    p11=$(run "$b" "$s" lwip "$PLAIN" --repeat 51 getprodtypes aws)
    t1=$(med3 run "$b" "$s" lwip "$TLSP" "${TLS[@]}" --repeat 1 getprodtypes aws)
    t11=$(run "$b" "$s" lwip "$TLSP" "${TLS[@]}" --repeat 51 getprodtypes aws)
    rr=$(resumed "$b" "$s")
    s1=$(med3 run "$b" "$s" lwip "$PLAIN" --timeout 120 --repeat 1 getprods bulk big)
    s3=$(med3 run "$b" "$s" lwip "$PLAIN" --timeout 120 --repeat 5 getprods bulk big)
    u1=$(run "$b" "$s" uart "$PLAIN" --timeout 120 --repeat 1 getprods bulk big)
    u2=$(run "$b" "$s" uart "$PLAIN" --timeout 120 --repeat 2 getprods bulk big)
    q1=$(med3 run "$b" "$s" lwip-polled "$PLAIN" --repeat 1 getprodtypes aws)
    q11=$(run "$b" "$s" lwip-polled "$PLAIN" --repeat 51 getprodtypes aws)
    qs1=$(med3 run "$b" "$s" lwip-polled "$PLAIN" --timeout 120 --repeat 1 getprods bulk big)
    qs3=$(med3 run "$b" "$s" lwip-polled "$PLAIN" --timeout 120 --repeat 5 getprods bulk big)
    clock="shift=6 (~15.6 MIPS, 12.5 MHz class)"
    [ "$s" = 4 ] && clock="shift=4 (~62 MIPS, 50 MHz)"
    printf '| %s | %s | %d | %d | %d ms | %d ms | %s ms | %s ms | %s ms | %s | %s | %s ms | %s |\n' \
      "$b" "$clock" $((text + data)) $((data + bss)) $((p1 - boot)) $((t1 - boot)) \
      "$(per "$t1" "$t11" 50)" "$(per "$p1" "$p11" 50)" "$rr" \
      "$(kbps "$STREAM_BYTES" $(((s3 - s1) / 4)))" "$(kbps "$STREAM_BYTES" $((u2 - u1)))" \
      "$(per "$q1" "$q11" 50)" "$(kbps "$STREAM_BYTES" $(((qs3 - qs1) / 4)))"
  done
done
