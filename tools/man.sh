#!/bin/bash
# man.sh PROGRAM SECTION NAME INCLUDE OUT: PROGRAM's man page from its own
# --help and --version, by help2man (make install, mk/install.mk), with
# INCLUDE's sections (help2man --include) and NAME as its one-line summary.
#
# help2man makes a SYNOPSIS of "Usage: PROG ..." lines only: the usage
# texts here say "usage:" and continue their option list on indented
# "[--opt ...]" lines. A wrapper named as the program reads its text
# through man-usage.awk, which joins those into the first synopsis; the
# program's own output stays what the tests compare.
set -euo pipefail
prog=$(realpath "$1") section=$2 name=$3 include=$4 out=$5
base=$(basename "$prog")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/$base" <<WRAP
#!/bin/sh
"$prog" "\$@" | awk -v prog="$base" -f "$here/man/man-usage.awk"
WRAP
chmod +x "$tmp/$base"
help2man --no-info --section="$section" --name="$name" --include="$include" \
  --output="$out.tmp" "$tmp/$base"
mv "$out.tmp" "$out"
