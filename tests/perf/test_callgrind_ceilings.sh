#!/bin/bash
# Instructions per call under callgrind stay under the ceilings committed in
# tests/perf/ceilings.txt: the gateway's unary path (GetVendorProdTypes), a
# streamed message, storage's full-path call and the firmware client's call.
# Measures build/host/bin (the -O2 build: make test builds it) with
# tools/bench-callgrind.sh, which starts its own gateway (and storage) on
# free loopback ports. Instruction counts do not depend on the machine's
# load, so the check holds while other tests run. About 11 s.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
CEILINGS=tests/perf/ceilings.txt
fails=0

out=$(CG_BIN=${CG_BIN:-build/host/bin} tools/bench-callgrind.sh)
rc=$?
if [ "$rc" != 0 ]; then
  echo "Bail out! tools/bench-callgrind.sh failed (exit $rc)"
  exit 1
fi
echo "$out" | sed 's/^/# measured: /'

while read -r name ceiling measured_then _; do
  case "$name" in '' | '#'*) continue ;; esac
  got=$(awk -v n="$name" '$1 == n {print $2}' <<<"$out")
  if [ -z "$got" ]; then
    echo "not ok - $name measured"
    fails=$((fails + 1))
  elif [ "$got" -le "$ceiling" ]; then
    echo "ok - $name: $got Ir <= ceiling $ceiling (was $measured_then when set)"
  else
    echo "not ok - $name: $got Ir > ceiling $ceiling (was $measured_then when set)"
    echo "    a regression on the hot path, or raise the ceiling in $CEILINGS and say why"
    fails=$((fails + 1))
  fi
done <"$CEILINGS"
[ "$fails" = 0 ] && echo "# test_callgrind_ceilings: all passed" && exit 0
exit 1
