#!/bin/bash
# Every program of the host build answers --help (its usage, on stdout) and
# --version ("NAME VERSION ...", one line on stdout), both exit 0 with
# nothing on stderr; a wrong option still exits 2 with the usage on stderr.
. "$(dirname "$0")/../lib/common.sh"
PROGS="firmware-client fc-interop fleet-sim gateway storage telemetry-device telemetry-server"
# shellcheck disable=SC2086 # a list of program names
require_bins $PROGS
for p in $PROGS; do
  out=$("$BIN/$p" --help 2>"$TEST_TMP/err")
  rc=$?
  err=$(cat "$TEST_TMP/err")
  if [ "$rc" = 0 ] && [ -z "$err" ] && printf '%s\n' "$out" | head -1 | grep -q "^usage: $p "; then
    ok "$p --help: usage on stdout, exit 0"
  else
    not_ok "$p --help: usage on stdout, exit 0" "rc=$rc" "stdout: $(printf '%s' "$out" | head -2)" "stderr: $err"
  fi
  out=$("$BIN/$p" --version 2>"$TEST_TMP/err")
  rc=$?
  err=$(cat "$TEST_TMP/err")
  if [ "$rc" = 0 ] && [ -z "$err" ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
    printf '%s\n' "$out" | grep -Eq "^$p [0-9]+\.[0-9]+"; then
    ok "$p --version: '$out', exit 0"
  else
    not_ok "$p --version: one line 'NAME VERSION', exit 0" "rc=$rc" "stdout: $out" "stderr: $err"
  fi
done
for p in gateway storage telemetry-server; do
  "$BIN/$p" --no-such-option >"$TEST_TMP/out" 2>"$TEST_TMP/err"
  rc=$?
  if [ "$rc" = 2 ] && [ ! -s "$TEST_TMP/out" ] && grep -q "^usage: $p " "$TEST_TMP/err"; then
    ok "$p --no-such-option: usage on stderr, exit 2"
  else
    not_ok "$p --no-such-option: usage on stderr, exit 2" "rc=$rc" "stderr: $(head -2 "$TEST_TMP/err")"
  fi
done
finish
