#!/bin/bash
# Fetches the Debian source packages that the builds compile (mk/deps.mk,
# mk/mbedtls.mk) into build/src/. Quick when everything is already there.
#
# - nghttp2 and nanopb: the same versions as the host's -dev packages, so a
#   board and the host speak with the same code. Needs deb-src, which it adds to
#   Debian's own sources (idempotent).
# - mbedtls: from Debian 13 (trixie), mbedtls 3.6 LTS, for every board and the
#   host's daemons: Debian 12's 2.28 has no TLS 1.3 (docs/design.md, "TLS 1.3").
#   Fetched with apt through a private configuration in build/apt/ (trixie's
#   source index only, signed by the Debian archive keys the machine already
#   has), so the machine's own sources stay Debian 12's. The mirror is the
#   machine's own, read from its apt sources by tools/debian-mirror.sh (a local
#   mirror or a caching proxy keeps working; DEBIAN_MIRROR and
#   DEBIAN_SECURITY_MIRROR override it). build/src/mbedtls names the unpacked
#   tree.
set -euo pipefail
cd "$(dirname "$0")/.."

# source package, the host binary package whose version it must match, and the
# directory apt-get source unpacks it into (upstream version only).
PKGS="nghttp2:libnghttp2-dev nanopb:nanopb"
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
# lwIP (the networked Cortex-M builds, mk/lwip.mk): Debian 12's 2.1.3, which
# no host package uses, so no version to match; build/src/lwip names its tree.
[ -d "$SRC/lwip/src/core" ] || want="$want lwip"
[ -z "$want" ] && [ -d "$SRC/mbedtls/library" ] && [ -f "$SRC/mbedtls.version" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "deps-src: run make deps as root: it fetches Debian source packages into $SRC" >&2
  exit 1
fi
# The sandbox user _apt cannot write into build/, so download as root.
SANDBOX="-o APT::Sandbox::User=root"

if [ -n "$want" ]; then
  # Debian 12 keeps its sources in deb822 form; turning "Types: deb" into
  # "Types: deb deb-src" enables the source index of every stanza. Only then
  # does the (slow) apt-get update run.
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
  # shellcheck disable=SC2086 # option and package lists
  (cd "$SRC" && apt-get source -q $SANDBOX$want)
  if [ ! -d "$SRC/lwip/src/core" ]; then
    dir=$(find "$SRC" -mindepth 1 -maxdepth 1 -type d -name 'lwip-2.*' | sort | tail -1)
    [ -n "$dir" ] || { echo "deps-src: no lwip 2 source in Debian" >&2; exit 1; }
    ln -sfn "${dir##*/}" "$SRC/lwip"
  fi
fi

if [ ! -d "$SRC/mbedtls/library" ]; then
  APT=$PWD/build/apt
  mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/parts"
  # Trixie through the mirror or proxy of this machine's own apt sources (only
  # the suite changes), or DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR; the script
  # says which. apt's own configuration (a proxy in apt.conf.d) still applies.
  bash tools/debian-mirror.sh --suite trixie >"$APT/sources.list"
  O="-o Dir::Etc::SourceList=$APT/sources.list -o Dir::Etc::SourceParts=$APT/parts
     -o Dir::State::Lists=$APT/lists -o Dir::Cache=$APT/cache"
  # shellcheck disable=SC2086 # option lists
  apt-get -q $O update || {
    echo "deps-src: apt-get update failed with $APT/sources.list (does that mirror" \
      "carry trixie? DEBIAN_MIRROR and DEBIAN_SECURITY_MIRROR name others)" >&2
    exit 1
  }
  rm -rf "$APT/unpack" && mkdir -p "$APT/unpack"
  echo "deps-src: fetching mbedtls (Debian 13) into $SRC"
  # shellcheck disable=SC2086 # option lists
  (cd "$APT/unpack" && apt-get source -q $O $SANDBOX mbedtls)
  dir=$(find "$APT/unpack" -mindepth 1 -maxdepth 1 -type d -name 'mbedtls-3.*' | head -1)
  [ -n "$dir" ] || { echo "deps-src: no mbedtls 3 source in Debian 13" >&2; exit 1; }
  rm -rf "$SRC/${dir##*/}" && mv "$dir" "$SRC/"
  ln -sfn "${dir##*/}" "$SRC/mbedtls"
  rm -rf "$APT/unpack"
  echo "${dir##*/}" >"$SRC/mbedtls.version" # mk/mbedtls.mk rebuilds on a new one
fi
[ -f "$SRC/mbedtls.version" ] || readlink "$SRC/mbedtls" >"$SRC/mbedtls.version"
