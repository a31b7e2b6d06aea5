#!/bin/bash
# The test runner behind `make test` (run after the builds): runs every
# executable tests/*/test_* (shell or python) and every executable unit test in
# build/host-asan/tests/, each under a timeout, and prints one line per test:
#
#   PASS integration/test_happy_path.sh (3s)
#   FAIL integration/test_storage_down.sh (2s)
#       ...the failing checks and the test's last output lines...
#   12 passed, 1 failed
#
# Exits non-zero if any test failed. Every test's full output is kept in
# build/test-logs/. In a git work tree, one more check counts among them:
# "clean-checkout" fails when the run changed what `git status` shows
# (a test that writes into tracked files or leaves new files outside build/),
# compared with a snapshot taken before the run, so a developer's own
# uncommitted edits do not fail it (unless they are edited during the run).
#
# A test whose first lines say "storage-backends: sqlite postgresql" runs
# twice: as NAME on SQLite, and as "NAME [postgresql]" with
# TEST_STORAGE_BACKEND=postgresql against a PostgreSQL server that this
# runner starts (tools/pg.sh, in build/pg-test, as an unprivileged user when
# run as root, on a free port) and stops at the end; TEST_PG_CONNINFO tells
# the tests where it is.
#
#   tests/run.sh [PATTERN...]   only the tests whose name contains a PATTERN
# Environment: TEST_JOBS (parallel tests, default 2), TEST_TIMEOUT (seconds per
# test, default 300), TEST_BIN_DIR (the binaries under test, default
# build/host-asan/bin), TEST_UNIT_DIR (default build/host-asan/tests).
set -u
export PYTHONDONTWRITEBYTECODE=1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
JOBS=${TEST_JOBS:-2}
LIMIT=${TEST_TIMEOUT:-300}
UNIT_DIR=${TEST_UNIT_DIR:-build/host-asan/tests}
LOGS=build/test-logs
mkdir -p "$LOGS"
RES=$(mktemp -d "${TMPDIR:-/tmp}/fwrun.XXXXXX")
PG_DIR=$ROOT/build/pg-test
PG_UP=
cleanup() {
  [ -n "$PG_UP" ] && bash tools/pg.sh stop "$PG_DIR"
  rm -rf "$RES"
}
trap cleanup EXIT
# On ^C or SIGTERM: stop the running tests. Each runs under timeout(1), which
# puts the test and its daemons in a process group of their own and passes
# the signal on to that group.
stop_all() {
  local f
  for f in "$RES"/*.pid; do [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null; done
  wait
  exit 130 # the EXIT trap stops PostgreSQL
}
trap stop_all INT TERM

# checkout_state: what `git status` shows, one line per entry, with the
# content's hash for the files that exist (so that a second change to an
# already modified file shows too). --no-optional-locks: no index refresh
# written while a developer's git may be running.
checkout_state() {
  local rec path
  git --no-optional-locks status --porcelain -z --untracked-files=all 2>/dev/null |
    while IFS= read -r -d '' rec; do
      case $rec in R* | C*) IFS= read -r -d '' path ;; esac # a rename's old name
      path=${rec:3}
      if [ -f "$path" ]; then
        printf '%s\t%s\n' "$rec" "$(git hash-object --no-filters -- "$path" 2>/dev/null)"
      else
        printf '%s\n' "$rec"
      fi
    done
}
CHECKOUT_BEFORE=
if command -v git >/dev/null && [ "$(git rev-parse --is-inside-work-tree 2>/dev/null)" = true ]; then
  CHECKOUT_BEFORE=$RES/checkout.before
  checkout_state >"$CHECKOUT_BEFORE"
fi

# The python stubs, once, before tests run in parallel.
tools/pygen.sh || echo "run: tools/pygen.sh failed; the python tests will fail" >&2

# both_backends FILE: the test asks to run on SQLite and PostgreSQL.
both_backends() { head -30 "$1" | grep -q 'storage-backends: sqlite postgresql'; }

# name<TAB>path for every test, sorted by name.
list() {
  local f
  for f in tests/*/test_*; do
    [ -f "$f" ] && [ -x "$f" ] || continue
    printf '%s\t%s\n' "${f#tests/}" "$f"
    both_backends "$f" && printf '%s [postgresql]\t%s\n' "${f#tests/}" "$f"
  done
  if [ -d "$UNIT_DIR" ]; then
    for f in "$UNIT_DIR"/*; do
      [ -f "$f" ] && [ -x "$f" ] || continue
      printf 'unit/%s\t%s\n' "$(basename "$f")" "$f"
    done
  fi
}

selected() {
  local name=$1 p
  [ ${#PATTERNS[@]} -eq 0 ] && return 0
  for p in "${PATTERNS[@]}"; do
    case "$name" in *"$p"*) return 0 ;; esac
  done
  return 1
}
PATTERNS=("$@")

# run_one NAME PATH: runs the test, prints its verdict under a lock.
run_one() {
  local name=$1 path=$2 log t0 t1 rc secs
  local id pid
  id=$(printf '%s' "$name" | tr '/ []' '__')
  log="$LOGS/$id.log"
  t0=$(date +%s)
  local backend=sqlite
  case $name in *" [postgresql]") backend=postgresql ;; esac
  TEST_STORAGE_BACKEND=$backend timeout -k 10 "$LIMIT" "$path" >"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$RES/$id.pid"
  wait "$pid"
  rc=$?
  rm -f "$RES/$id.pid"
  t1=$(date +%s)
  secs=$((t1 - t0))
  {
    flock 9
    if [ "$rc" -eq 0 ]; then
      echo "PASS $name (${secs}s)"
      echo pass >"$RES/$id.res"
    else
      echo "FAIL $name (${secs}s)"
      echo fail >"$RES/$id.res"
      [ "$rc" -eq 124 ] && echo "    (timed out after ${LIMIT}s)"
      if grep -q '^not ok' "$log"; then
        echo "    failed checks:"
        grep '^not ok' "$log" | head -30 | sed 's/^/      /'
      fi
      echo "    last output lines (exit status $rc; full log: $log):"
      tail -40 "$log" | sed 's/^/      /'
    fi
  } 9>"$RES/lock"
}

# The PostgreSQL server, if a selected test needs it; a fresh cluster each run.
needs_pg() {
  local name
  while IFS=$'\t' read -r name _; do
    case $name in *" [postgresql]") selected "$name" && return 0 ;; esac
  done < <(list)
  return 1
}
if needs_pg; then
  rm -rf "$PG_DIR"
  if TEST_PG_CONNINFO=$(bash tools/pg.sh start "$PG_DIR"); then
    PG_UP=1
    export TEST_PG_CONNINFO
  else
    echo "run: PostgreSQL did not start (tools/pg.sh); the [postgresql] tests will fail" >&2
  fi
fi

n=0
while IFS=$'\t' read -r name path; do
  selected "$name" || continue
  n=$((n + 1))
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
  run_one "$name" "$path" &
done < <(list | sort)
wait

# The checkout after the run, against the snapshot: every line that is new
# (or gone) names a file that a test changed.
if [ "$n" -gt 0 ] && [ -n "$CHECKOUT_BEFORE" ]; then
  checkout_state >"$RES/checkout.after"
  changed=$(diff "$CHECKOUT_BEFORE" "$RES/checkout.after" | sed -n 's/^[<>] //p' | cut -f1 | sort -u)
  if [ -z "$changed" ]; then
    echo "PASS clean-checkout (git status unchanged by the tests)"
    echo pass >"$RES/clean-checkout.res"
  else
    echo "FAIL clean-checkout (tests must write under build/ or their temp dir)"
    echo "    git status entries that the run changed:"
    printf '%s\n' "$changed" | head -30 | sed 's/^/      /'
    echo fail >"$RES/clean-checkout.res"
  fi
fi

passed=$(find "$RES" -name '*.res' -exec cat {} + 2>/dev/null | grep -c '^pass$')
failed=$(find "$RES" -name '*.res' -exec cat {} + 2>/dev/null | grep -c '^fail$')
[ "$n" -eq 0 ] && echo "run: no test matched" >&2
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$n" -gt 0 ]
