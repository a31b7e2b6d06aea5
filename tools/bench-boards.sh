#!/bin/bash
# The channel on the Cortex-M boards, timed under QEMU at two clocks
# (-icount shift=6,align=on: about 15.6 M instructions/s, a 12.5 MHz-class
# Cortex-M3; shift=4,align=on: about 62 M/s, the LM3S6965 at its 50 MHz), for
# make bench. Prints a markdown section on stdout (tools/bench.sh puts it into
# docs/boards.md between its markers):
#   - the first call: boot to answer, with a full mutual-TLS 1.3 handshake
#     (and in plaintext), QEMU's own start taken off (a --version run);
#   - a call on the open channel: (time of --repeat 11 - time of --repeat 1) / 10;
#   - a resumed reconnect: the gateway is drained between two calls and a
#     new one (same --tls-ticket-key) takes its port; QEMU's chardev dials
#     the line again (reconnect=1) and the board resumes its TLS session
#     (psk_ke). Timed by a proxy on the line (tests/lib/h2proxy.py): from
#     the first byte of the new session (the ClientHello) to the line's
#     end after the answer (the board's exit), so an upper bound.
# Wall-clock times of the QEMU process: with align=on the board's clock
# follows the host's. Flash and RAM from arm-none-eabi-size on the image.
# Knobs: BENCH_BOARDS (lm3s6965evb mps2-an385), BENCH_SHIFTS (6 4).
#   tools/bench-boards.sh [--doc FILE]   FILE: replace what lies between its
#                                        <!-- bench-boards --> markers
set -euo pipefail
cd "$(dirname "$0")/.."
DOC=""
[ "${1:-}" = --doc ] && DOC=$2
if [ -n "$DOC" ]; then
  out=$(mktemp)
  bash tools/bench-boards.sh >"$out"
  /usr/bin/python3 - "$DOC" "$out" <<'PY'
import sys
doc, sec = sys.argv[1], open(sys.argv[2]).read()
text = open(doc).read()
mark = "<!-- bench-boards -->"
a = text.index(mark) + len(mark)
b = text.index(mark, a)
open(doc, "w").write(text[:a] + "\n" + sec + text[b:])
PY
  rm -f "$out"
  exit 0
fi

BOARDS=${BENCH_BOARDS:-lm3s6965evb mps2-an385}
SHIFTS=${BENCH_SHIFTS:-6 4}
BIN=build/host/bin
TMP=$(mktemp -d "${TMPDIR:-/tmp}/benchboards.XXXXXX")
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  local i=0
  while ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
now_ms() { date +%s%3N; }

bash tools/certs.sh "$TMP/certs" >/dev/null
C=$TMP/certs
SPORT=$(free_port) PLAIN=$(free_port) TLSP=$(free_port)
"$BIN/storage" --listen "127.0.0.1:$SPORT" --db "$TMP/db" 2>"$TMP/storage.log" &
PIDS+=($!)
wait_port "$SPORT"
"$BIN/gateway" --listen "127.0.0.1:$PLAIN" --storage "127.0.0.1:$SPORT" 2>"$TMP/gw.log" &
PIDS+=($!)
"$BIN/gateway" --listen "127.0.0.1:$TLSP" --storage "127.0.0.1:$SPORT" --tls-cert "$C/server.pem" \
  --tls-key "$C/server.key" --tls-client-ca "$C/ca.pem" 2>"$TMP/gwtls.log" &
PIDS+=($!)
wait_port "$PLAIN"
wait_port "$TLSP"

# run BOARD SHIFT PORT WORDS...: ms the board's QEMU ran; fails unless exit 0.
run() {
  local board=$1 shift_=$2 port=$3 w sh="" runner t0 rc
  shift 3
  runner=$(make -s --no-print-directory BOARD="$board" board-info | sed -n "s/.*RUNNER='\([^']*\)'.*/\1/p")
  for w in "$@"; do sh="$sh,arg=$w"; done
  t0=$(now_ms)
  # shellcheck disable=SC2086 # runner is a command line
  timeout 300 $runner$sh -icount "shift=$shift_,align=on" -serial "tcp:127.0.0.1:$port" \
    -kernel "build/$board/bin/firmware-client.elf" >"$TMP/out" 2>"$TMP/err" && rc=0 || rc=$?
  [ "$rc" = 0 ] || { echo "bench-boards: $board $* exited $rc: $(tail -2 "$TMP/err")" >&2; return 1; }
  echo $(($(now_ms) - t0))
}

# resumed BOARD SHIFT: ms from the resumed session's ClientHello to the
# board's exit, or "failed".
resumed() {
  local board=$1 shift_=$2 w sh="" runner rport pport key=$TMP/ticket.key g1 g2 px q i
  runner=$(make -s --no-print-directory BOARD="$board" board-info | sed -n "s/.*RUNNER='\([^']*\)'.*/\1/p")
  [ -s "$key" ] || head -c 80 /dev/urandom >"$key"
  rport=$(free_port) pport=$(free_port)
  local gw=("$BIN/gateway" --listen "127.0.0.1:$rport" --storage "127.0.0.1:$SPORT" --tls-cert "$C/server.pem"
    --tls-key "$C/server.key" --tls-client-ca "$C/ca.pem" --tls-ticket-key "$key")
  "${gw[@]}" 2>>"$TMP/gwr.log" &
  g1=$!
  wait_port "$rport"
  : >"$TMP/px.log"
  /usr/bin/python3 tests/lib/h2proxy.py --port "$pport" --target "127.0.0.1:$rport" --log "$TMP/px.log" \
    --linger-ms 500 &
  px=$!
  PIDS+=("$g1" "$px")
  wait_port "$pport"
  for w in "${TLS[@]}" --repeat 2 --every 3000 --wait-for-ready --stats getprodtypes aws; do sh="$sh,arg=$w"; done
  # shellcheck disable=SC2086 # runner is a command line
  $runner$sh -icount "shift=$shift_,align=on" -chardev "socket,id=line,host=127.0.0.1,port=$pport,reconnect=1" \
    -serial chardev:line -kernel "build/$board/bin/firmware-client.elf" >"$TMP/rout" 2>"$TMP/rerr" &
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
    # the line's last session (the first ones: a port probe, the full handshake)
    awk '$2 == "tls" { n = $3; t = $1 } $2 == "eof" && !($3 in c) { c[$3] = $1 } END { print c[n] - t }' "$TMP/px.log"
  else
    echo failed
  fi
}

TLS=(--timeout 60 --tls --ca "$C/ca.pem" --server-name localhost --cert "$C/device.pem" --key "$C/device.key")
cat <<'HEAD'
Generated by `make bench` (tools/bench-boards.sh) on this machine's QEMU:
wall-clock milliseconds of the QEMU process, `-icount shift=N,align=on`.
"First call" is boot to answer minus QEMU's own start (a `--version` run);
"on the open channel" is (`--repeat 11` - `--repeat 1`) / 10, one
`getprodtypes aws` each. Mutual TLS 1.3 with the device's certificate.
"Resumed reconnect" is the line's new session, after a drained gateway's
successor took its port (QEMU's chardev reconnect=1), from its ClientHello
to the board's exit after the answer, on a proxy's clock.

| board | clock | flash (text+data) | RAM (data+bss) | first call, plaintext | first call, full mutual-TLS handshake | a call on the open TLS channel | a call on the open plaintext channel | resumed reconnect (psk_ke) and its call |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
HEAD
for b in $BOARDS; do
  read -r text data bss _ < <(arm-none-eabi-size "build/$b/bin/firmware-client.elf" | tail -1)
  for s in $SHIFTS; do
    boot=$(run "$b" "$s" "$PLAIN" --version)
    p1=$(run "$b" "$s" "$PLAIN" --repeat 1 getprodtypes aws)
    p11=$(run "$b" "$s" "$PLAIN" --repeat 11 getprodtypes aws)
    t1=$(run "$b" "$s" "$TLSP" "${TLS[@]}" --repeat 1 getprodtypes aws)
    t11=$(run "$b" "$s" "$TLSP" "${TLS[@]}" --repeat 11 getprodtypes aws)
    rr=$(resumed "$b" "$s")
    clock=$([ "$s" = 6 ] && echo "shift=6 (~15.6 MIPS, 12.5 MHz class)" || echo "shift=$s (~$((1000 / (1 << s))) MIPS)")
    [ "$s" = 4 ] && clock="shift=4 (~62 MIPS, 50 MHz)"
    printf '| %s | %s | %d | %d | %d ms | %d ms | %d ms | %d ms | %s ms |\n' \
      "$b" "$clock" $((text + data)) $((data + bss)) $((p1 - boot)) $((t1 - boot)) \
      $(((t11 - t1) / 10)) $(((p11 - p1) / 10)) "$rr"
  done
done
