#!/bin/bash
# tools/debian-mirror.sh, which tools/deps-src.sh asks for the mirror to fetch
# Debian 13's mbedtls source from: it reads sample apt sources (deb822 and
# one-line, mirrors and proxies), never the network, and the repository
# names no Debian archive address of its own.
. "$(dirname "$0")/../lib/common.sh"
DM=$TEST_ROOT/tools/debian-mirror.sh
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
S=$TEST_TMP/sources
mkdir -p "$S"

# run NAME ARGS...: OUT, ERR and RC of tools/debian-mirror.sh ARGS.
run() {
  local name=$1
  shift
  OUT=$(env -u DEBIAN_MIRROR -u DEBIAN_SECURITY_MIRROR bash "$DM" "$@" 2>"$TEST_TMP/$name.err")
  # shellcheck disable=SC2034 # ERR: check_rc shows it
  RC=$? ERR=$(cat "$TEST_TMP/$name.err")
}
tab=$'\t'
# has FILE TEXT NAME: FILE holds TEXT (fixed string).
has() {
  if grep -qF -- "$2" "$1"; then ok "$3"; else not_ok "$3" "no \"$2\" in:" "$(cat "$1")"; fi
}

# A Debian 12 image's deb822 file, on a local mirror: the same stanzas with
# another host, comments inside, both types.
cat >"$S/debian.sources" <<EOF
Types: deb deb-src
# a comment inside the stanza
URIs: http://mirror.example.net/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: $KEYRING

Types: deb deb-src
URIs: http://mirror.example.net/debian-security
Suites: bookworm-security
Components: main
Signed-By: $KEYRING
EOF
run deb822 --codename bookworm "$S/debian.sources"
check_eq "$OUT" "archive${tab}http://mirror.example.net/debian${tab}$KEYRING${tab}$S/debian.sources
security${tab}http://mirror.example.net/debian-security${tab}$KEYRING${tab}$S/debian.sources" \
  "deb822: the archive and the security archive, with keyring and file"
check_rc "$RC" 0 "deb822: exit status 0"
run deb822-trixie --codename bookworm --suite trixie "$S/debian.sources"
check_eq "$OUT" "deb-src [signed-by=$KEYRING] http://mirror.example.net/debian trixie main
deb-src [signed-by=$KEYRING] http://mirror.example.net/debian-security trixie-security main" \
  "deb822: trixie's sources on the same mirror, only the suite changed"
has "$TEST_TMP/deb822-trixie.err" "trixie from http://mirror.example.net/debian (as in $S/debian.sources)" \
  "deb822: says which mirror it took, and from where"
has "$TEST_TMP/deb822-trixie.err" "trixie-security from http://mirror.example.net/debian-security" \
  "deb822: says which security mirror it took"

# One-line sources.list behind a caching proxy: options in brackets, a cdrom
# line, comments, a third-party repository that reuses the codename and
# "main" (another key; it comes first and must lose), docker's "stable"
# component, the old security suite name.
cat >"$S/sources.list" <<EOF
# deb cdrom:[Debian GNU/Linux 12]/ bookworm main
deb cdrom:[Debian GNU/Linux 12]/ bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/thirdparty.gpg] https://repo.thirdparty.example/php bookworm main
deb [arch=amd64] https://download.example.com/linux/debian bookworm stable
deb [ arch=amd64,arm64 ] http://apt-cache.example:3142/debian bookworm main contrib # the proxy
deb-src http://apt-cache.example:3142/debian bookworm main
deb http://apt-cache.example:3142/debian-security bookworm/updates main
EOF
run oneline --codename bookworm "$S/sources.list"
check_eq "$OUT" "archive${tab}http://apt-cache.example:3142/debian${tab}-${tab}$S/sources.list
security${tab}http://apt-cache.example:3142/debian-security${tab}-${tab}$S/sources.list" \
  "one-line: the proxy's addresses, port and path kept; cdrom, other keys and components skipped"
run oneline-trixie --codename bookworm --suite trixie "$S/sources.list"
check_eq "$OUT" "deb-src [signed-by=$KEYRING] http://apt-cache.example:3142/debian trixie main
deb-src [signed-by=$KEYRING] http://apt-cache.example:3142/debian-security trixie-security main" \
  "one-line: trixie through the proxy, signed by Debian's keyring when the entry names none"

# Only a third-party entry: taken, with its own keyring when that file exists
# (a re-signed local mirror), else Debian's.
printf 'deb [signed-by=%s] http://resigned.example/debian bookworm main\n' "$S/mirror.gpg" >"$S/resigned.list"
: >"$S/mirror.gpg"
run resigned --codename bookworm --suite trixie "$S/resigned.list"
check_eq "$(head -1 <<<"$OUT")" "deb-src [signed-by=$S/mirror.gpg] http://resigned.example/debian trixie main" \
  "an entry's own keyring is kept when the file exists"
rm -f "$S/mirror.gpg"
run resigned2 --codename bookworm --suite trixie "$S/resigned.list"
check_eq "$(head -1 <<<"$OUT")" "deb-src [signed-by=$KEYRING] http://resigned.example/debian trixie main" \
  "a keyring that does not exist falls back to Debian's"

# deb822 details: a disabled stanza, an embedded key (its lines are
# continuation lines, one with a colon), folded Suites, field names in any
# case, and the parts read in apt's order, whatever their format.
cat >"$S/00-disabled.sources" <<EOF
Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
Enabled: no
EOF
cat >"$S/10-embedded.sources" <<EOF
types: deb
uris: https://local.example/debian
suites:
 trixie
 bookworm
components: main non-free-firmware
signed-by:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 Comment: not a field
 .
 -----END PGP PUBLIC KEY BLOCK-----
EOF
cat >"$S/20-security.list" <<EOF
deb https://local.example/debian-security bookworm-security main
EOF
run parts --codename bookworm "$S/00-disabled.sources" "$S/10-embedded.sources" "$S/20-security.list"
check_eq "$OUT" "archive${tab}https://local.example/debian${tab}-${tab}$S/10-embedded.sources
security${tab}https://local.example/debian-security${tab}-${tab}$S/20-security.list" \
  "deb822: disabled stanza skipped, embedded key and folded fields read, lists mixed"

# No security archive: trixie alone, with a warning, exit 0.
printf 'deb http://mirror.example.net/debian bookworm main\n' >"$S/nosec.list"
run nosec --codename bookworm --suite trixie "$S/nosec.list"
check_eq "$OUT" "deb-src [signed-by=$KEYRING] http://mirror.example.net/debian trixie main" \
  "no security archive: trixie's line alone"
check_rc "$RC" 0 "no security archive: exit status 0"
has "$TEST_TMP/nosec.err" "trixie-security left out" "no security archive: says it skips trixie-security"

# No Debian archive at all (another release's codename): exit 1, says why.
run none --codename bullseye --suite trixie "$S/debian.sources"
check_rc "$RC" 1 "no archive for the codename: exit status 1"
check_eq "$OUT" "" "no archive for the codename: no sources printed"
has "$TEST_TMP/none.err" "set DEBIAN_MIRROR" "no archive for the codename: names DEBIAN_MIRROR"

# The overrides.
OUT=$(DEBIAN_MIRROR=http://override.example/debian DEBIAN_SECURITY_MIRROR=none \
  bash "$DM" --codename bookworm --suite trixie "$S/debian.sources" 2>"$TEST_TMP/override.err")
check_eq "$OUT" "deb-src [signed-by=$KEYRING] http://override.example/debian trixie main" \
  "DEBIAN_MIRROR replaces the archive, DEBIAN_SECURITY_MIRROR=none drops the security line"
has "$TEST_TMP/override.err" "(as in DEBIAN_MIRROR)" "an override is named as the source"

# This machine's own sources (apt's files): whatever it finds has the form.
run machine
check_rc "$RC" 0 "this machine's sources: exit status 0"
if [ -n "$OUT" ]; then
  bad=$(awk -F '\t' 'NF != 4 || ($1 != "archive" && $1 != "security")' <<<"$OUT")
  check_eq "$bad" "" "this machine's sources: tab-separated kind, uri, keyring, file"
fi

# No Debian archive address in the repository (the pattern is written so that
# it does not match itself).
cd "$TEST_ROOT" || bail "cd $TEST_ROOT"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  hits=$(git grep -nIE '(deb|security|snapshot|ftp[.a-z0-9-]*|httpredir|archive)[.]debian[.](org|net)' -- . || true)
  check_eq "$hits" "" "no Debian archive address in the repository"
fi
finish
