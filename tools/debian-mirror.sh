#!/bin/bash
# Finds the Debian archive and the Debian security archive in this machine's
# own apt sources, so that tools/deps-src.sh fetches Debian 13's sources
# through the same mirror or proxy the machine uses: the repository names no
# archive address.
#
#   tools/debian-mirror.sh [--codename NAME] [--suite SUITE] [FILE...]
#
# Reads the one-line (sources.list, *.list) and deb822 (*.sources) files given,
# by default apt's own: Dir::Etc::sourcelist, then the *.list and *.sources of
# Dir::Etc::sourceparts in apt's (alphabetical) order. The archive is the first
# enabled deb or deb-src entry with component main for suite NAME or
# NAME-updates, the security archive the first for NAME-security (or
# NAME/updates, its old name); NAME is the machine's codename
# (VERSION_CODENAME in /etc/os-release) unless --codename says otherwise. An
# entry signed by the Debian archive keyring, or by no file it names, wins
# over one signed by another key (a third-party repository that reuses the
# codename and "main"). Each address is kept as written: host, port, path, a
# proxy's prefix.
#
# Without --suite it prints what it found, tab-separated, a line each:
#   archive   URI  KEYRING  FILE
#   security  URI  KEYRING  FILE
# (KEYRING is "-" when the entry names no file; a missing line, no such
# archive) and exits 0.
#
# With --suite SUITE (deps-src.sh: trixie) it prints the apt sources for that
# release's source packages on the same mirrors, and says on stderr which:
#   deb-src [signed-by=KEYRING] ARCHIVE SUITE main
#   deb-src [signed-by=KEYRING] SECURITY SUITE-security main
# KEYRING is the entry's own when that file exists, else Debian's archive
# keyring. DEBIAN_MIRROR and DEBIAN_SECURITY_MIRROR, when set, replace the
# URIs found ("none" for the security archive leaves it out). Without a
# security archive the second line is left out, with a warning; without an
# archive it exits 1.
set -euo pipefail
DEBIAN_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
usage() { echo "usage: $0 [--codename NAME] [--suite SUITE] [FILE...]" >&2; exit 1; }

codename='' suite=''
while [ $# -gt 0 ]; do
  case $1 in
    --codename) [ $# -ge 2 ] || usage; codename=$2; shift 2 ;;
    --suite) [ $# -ge 2 ] || usage; suite=$2; shift 2 ;;
    --) shift; break ;;
    -*) usage ;;
    *) break ;;
  esac
done
if [ -z "$codename" ] && [ -r /etc/os-release ]; then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
fi

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  SL=/etc/apt/sources.list SP=/etc/apt/sources.list.d/
  if command -v apt-config >/dev/null; then
    eval "$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d)"
  fi
  [ -f "$SL" ] && files+=("$SL")
  # One glob: apt reads the parts in alphabetical order, whatever their format.
  for f in "${SP%/}"/*; do
    case $f in *.list | *.sources) [ -f "$f" ] && files+=("$f") ;; esac
  done
fi

# found: the archive and security lines, as described above.
found() {
  [ -n "$codename" ] && [ ${#files[@]} -gt 0 ] || return 0
  awk -v codename="$codename" '
function lc(s) { return tolower(s) }
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
# One entry: TYPES, URIS, SUITES, COMPS are space-separated lists.
function entry(types, uris, suites, comps, key, file,   t, u, s, c, nt, nu, ns, nc, i, j, k, deb, main, kind, pref) {
  nt = split(types, t, " "); deb = 0
  for (i = 1; i <= nt; i++) if (t[i] == "deb" || t[i] == "deb-src") deb = 1
  if (!deb) return
  nc = split(comps, c, " "); main = 0
  for (i = 1; i <= nc; i++) if (c[i] == "main") main = 1
  if (!main) return
  nu = split(uris, u, " ")
  if (nu == 0 || u[1] ~ /^cdrom:/) return
  if (key == "") key = "-"
  # 0: signed by the Debian archive keyring or by nothing named; 1: another key.
  pref = (key == "-" || key ~ /(^|\/)debian-archive-keyring[^\/]*$/) ? 0 : 1
  ns = split(suites, s, " ")
  for (j = 1; j <= ns; j++) {
    kind = ""
    if (s[j] == codename || s[j] == codename "-updates") kind = "archive"
    else if (s[j] == codename "-security" || s[j] == codename "/updates") kind = "security"
    if (kind == "") continue
    k = kind SUBSEP pref
    if (!(k in found)) found[k] = u[1] "\t" key "\t" file
  }
}
# deb822: the stanza read so far.
function flush() {
  if (st_seen && lc(st["enabled"]) != "no")
    entry(st["types"], st["uris"], st["suites"], st["components"], st["signed-by"], st_file)
  delete st; st_seen = 0; field = ""
}
FNR == 1 { if (NR > 1 && deb822) flush(); deb822 = (FILENAME ~ /\.sources$/) }
deb822 {
  line = $0
  if (line ~ /^#/) next
  if (line ~ /^[ \t]*$/) { flush(); next }
  if (line ~ /^[ \t]/) { # a continuation line
    if (field != "" && field != "signed-by") st[field] = st[field] " " trim(line)
    next
  }
  i = index(line, ":")
  if (i == 0) next
  field = lc(trim(substr(line, 1, i - 1)))
  value = trim(substr(line, i + 1))
  # Signed-By is a file, or a key block on the lines that follow (no file).
  if (field == "signed-by" && value !~ /^\//) value = ""
  st[field] = value; st_seen = 1
  st_file = FILENAME
  next
}
{ # one-line: deb [ opt=v ... ] URI SUITE [COMPONENT...]
  line = $0
  sub(/#.*/, "", line)
  line = trim(line)
  if (line == "") next
  type = line; sub(/[ \t].*/, "", type)
  line = trim(substr(line, length(type) + 1))
  key = ""
  if (substr(line, 1, 1) == "[") {
    e = index(line, "]")
    if (e == 0) next
    opts = substr(line, 2, e - 2)
    line = trim(substr(line, e + 1))
    n = split(opts, o, " ")
    for (i = 1; i <= n; i++) if (lc(o[i]) ~ /^signed-by=/) { key = substr(o[i], 11); sub(/,.*/, "", key) }
  }
  n = split(line, w, " ")
  if (n < 2) next
  comps = ""
  for (i = 3; i <= n; i++) comps = comps " " w[i]
  entry(type, w[1], w[2], comps, key, FILENAME)
}
END {
  if (deb822) flush()
  for (i = 1; i <= 2; i++) {
    kind = (i == 1) ? "archive" : "security"
    if ((kind SUBSEP 0) in found) print kind "\t" found[kind SUBSEP 0]
    else if ((kind SUBSEP 1) in found) print kind "\t" found[kind SUBSEP 1]
  }
}' "${files[@]}"
}

mirrors=$(found)
if [ -z "$suite" ]; then
  [ -z "$mirrors" ] || printf '%s\n' "$mirrors"
  exit 0
fi

field() { # field KIND N: field N of the KIND line
  awk -F '\t' -v k="$1" -v n="$2" '$1 == k { print $n; exit }' <<<"$mirrors"
}
keyring() { # keyring KIND: the entry's own keyring file, else Debian's
  local k
  k=$(field "$1" 3)
  if [ -n "$k" ] && [ "$k" != - ] && [ -f "$k" ]; then echo "$k"; else echo "$DEBIAN_KEYRING"; fi
}
# source KIND VAR SUITE: one deb-src line, and on stderr where it came from.
source_line() {
  local kind=$1 var=$2 s=$3 uri key from
  uri=${!var:-}
  if [ -n "$uri" ]; then
    key=$DEBIAN_KEYRING from=$var
  else
    uri=$(field "$kind" 2) key=$(keyring "$kind") from=$(field "$kind" 4)
  fi
  [ -n "$uri" ] && [ "$uri" != none ] || return 1
  echo "debian-mirror: $s from $uri (as in $from)" >&2
  echo "deb-src [signed-by=$key] $uri $s main"
}
source_line archive DEBIAN_MIRROR "$suite" || {
  echo "debian-mirror: no Debian archive for ${codename:-"(no codename)"} main in" \
    "${files[*]:-no apt sources}; set DEBIAN_MIRROR to a Debian mirror's URI" >&2
  exit 1
}
source_line security DEBIAN_SECURITY_MIRROR "$suite-security" ||
  echo "debian-mirror: no Debian security archive in ${files[*]:-no apt sources}" \
    "(or DEBIAN_SECURITY_MIRROR=none): $suite-security left out, so its security" \
    "updates are not taken; DEBIAN_SECURITY_MIRROR names a security mirror" >&2
