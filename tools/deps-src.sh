#!/bin/bash
# Fetches the Debian source packages that the cross boards compile (mk/deps.mk)
# into build/src/: the same versions as the host's -dev packages, so a board and
# the host speak with the same nghttp2, nanopb and mbedtls. Needs deb-src, which it adds
# to Debian's own sources (idempotent). Quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# source package, the host binary package whose version it must match, and the
# directory apt-get source unpacks it into (upstream version only).
PKGS="nghttp2:libnghttp2-dev nanopb:nanopb mbedtls:libmbedtls-dev"
SRC=build/src
mkdir -p "$SRC"

upstream() { # 1.52.0-1+deb12u3 -> 1.52.0 (drop an epoch and the Debian revision)
  local v=${1#*:}
  echo "${v%-*}"
}

want=""
for p in $PKGS; do
  src=${p%%:*} bin=${p#*:}
  ver=$(dpkg-query -W -f='${Version}' "$bin" 2>/dev/null) || {
    echo "deps-src: $bin is not installed (run make deps as root)" >&2
    exit 1
  }
  [ -d "$SRC/$src-$(upstream "$ver")" ] || want="$want $src=$ver"
done
[ -z "$want" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "deps-src: as root, enable deb-src and run: (cd $SRC && apt-get source$want)" >&2
  exit 1
fi

# Debian 12 keeps its sources in deb822 form; turning "Types: deb" into
# "Types: deb deb-src" enables the source index of every stanza. Only then does
# the (slow) apt-get update run.
LIST=/etc/apt/sources.list.d/debian.sources
if [ -f "$LIST" ] && grep -q '^Types: deb$' "$LIST"; then
  sed -i 's/^Types: deb$/Types: deb deb-src/' "$LIST"
  apt-get update -q
elif ! compgen -G '/var/lib/apt/lists/*_Sources*' >/dev/null; then
  apt-get update -q # deb-src is enabled but its index was never fetched
fi

echo "deps-src: fetching$want into $SRC"
# --download-only would leave the unpacking to us; apt-get source unpacks and
# applies Debian's patches (dpkg-source), which is what the host library has.
# The sandbox user _apt cannot write into build/, so download as root.
(cd "$SRC" && apt-get source -q -o APT::Sandbox::User=root$want)
