#!/bin/bash
# Every C file in git is formatted with the repo's .clang-format
# (`make format` fixes them).
cd "$(dirname "$0")/../.." || exit 1
command -v clang-format >/dev/null || { echo "Bail out! clang-format is missing"; exit 1; }
bad=0 n=0
for f in $(git ls-files '*.c' '*.h'); do
  n=$((n + 1))
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not ok - $f is not formatted (make format)"
    bad=$((bad + 1))
  fi
done
if [ "$bad" = 0 ]; then echo "ok - all $n C files formatted"; fi
exit $((bad > 0))
