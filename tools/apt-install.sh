#!/bin/bash
# apt-install.sh WHO PACKAGE...: installs the Debian packages of the list that
# are missing (as root; otherwise prints the apt-get line and fails). Quick
# when all are there. Shared by make deps (tools/deps.sh) and make bench
# (tools/bench-deps.sh).
set -euo pipefail
who=$1
shift
missing=""
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "$who: run as root: apt-get install -y$missing" >&2
  exit 1
fi
echo "$who: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q $missing
