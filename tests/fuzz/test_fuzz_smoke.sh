#!/bin/bash
# The fuzzers' smoke run (docs/fuzzing.md), as tests/run.sh runs it: builds
# every libFuzzer target with clang, replays tests/fuzz/regressions/<target>/
# (inputs that once crashed: each must pass now), then fuzzes each target for
# FUZZ_SMOKE_SECONDS (default 8 here; 8 targets, about 70 s) from its seed corpus.
# Fails on any crash, sanitizer report, leak, timeout or failed check.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
SECS=${FUZZ_SMOKE_SECONDS:-8}

# libFuzzer needs clang (and libclang-rt-14-dev on Debian 12).
probe=$(mktemp -d "${TMPDIR:-/tmp}/fzprobe.XXXXXX")
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$probe/p.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>"$probe/err"; then
  echo "ok - fuzz-smoke # SKIP clang -fsanitize=fuzzer does not work here:"
  sed 's/^/    /' "$probe/err" | head -5
  exit 0
fi

echo "running: make -s fuzz-smoke FUZZ_SMOKE_SECONDS=$SECS"
t0=$(date +%s)
make -s fuzz-smoke FUZZ_SMOKE_SECONDS="$SECS"
rc=$?
echo "fuzz-smoke: $(($(date +%s) - t0)) s, exit status $rc"
if [ "$rc" -eq 0 ]; then
  echo "ok - fuzz-smoke"
else
  echo "not ok - fuzz-smoke (logs: build/fuzz/smoke-*.log, inputs: build/fuzz/artifacts/)"
fi
exit "$rc"
