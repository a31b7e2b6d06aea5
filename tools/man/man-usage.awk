# man-usage.awk (tools/man.sh): a program's --help text as help2man reads
# it. "usage: PROG ..." and every later line that starts with "[" become one
# "Usage:" line, an indented "PROG ..." line an "or:" line (another form);
# the rest is description: a line that starts with "WORD: " begins a
# paragraph, the lines after it continue it. A text without "usage:"
# (--version) passes unchanged.
NR == 1 && sub(/^usage: /, "") { syn[n = 1] = $0; next }
!n { print; next }
{ line = $0; sub(/^[ \t]+/, "", line) }
line ~ /^\[/ { syn[1] = syn[1] " " line; next }
index(line, prog " ") == 1 { syn[++n] = line; next }
line ~ /^[^ ]+: / || !d { desc[++d] = line; next }
{ desc[d] = desc[d] " " line }
END {
  if (!n) exit
  print "Usage: " syn[1]
  for (i = 2; i <= n; i++) print "  or:  " syn[i]
  for (i = 1; i <= d; i++) print "\n" desc[i]
}
