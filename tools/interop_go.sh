#!/bin/bash
# Builds the grpc-go interop peer (tests/interop/go/) into build/go/bin/peer,
# in GOPATH mode against Debian's grpc-go (golang-google-grpc-dev) and
# protobuf (golang-goprotobuf-dev, which brings protoc-gen-go 1.3: its
# plugins=grpc option generates the service code too). Idempotent and quick
# when nothing changed: the Go build cache lives in build/go/cache. Safe to
# run from tests in parallel (one build at a time). Prints the binary's path;
# build/go/bin/{client,prod-server,storage-server} link to it (one role each).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gb=$root/build/go
bin=$gb/bin/peer
mkdir -p "$gb/bin"
exec 9>"$gb/.lock"
flock 9
newest=$(ls -t "$root"/tests/interop/go/*.go "$root/proto/api.proto" "$0" | head -1)
links() { for role in client prod-server storage-server; do ln -sfn peer "$gb/bin/$role"; done; }
if [ -x "$bin" ] && [ "$bin" -nt "$newest" ]; then
  links
  echo "$bin"
  exit 0
fi
for t in go protoc protoc-gen-go; do
  command -v "$t" >/dev/null || { echo "interop_go: $t is missing (make deps)" >&2; exit 1; }
done
[ -d /usr/share/gocode/src/google.golang.org/grpc ] ||
  { echo "interop_go: golang-google-grpc-dev is missing (make deps)" >&2; exit 1; }
pkg=$gb/src/fwinterop/api
rm -rf "$pkg"
mkdir -p "$pkg"
protoc -I"$root/proto" --go_out=plugins=grpc:"$pkg" "$root/proto/api.proto"
export GO111MODULE=off GOPATH=$gb:/usr/share/gocode GOCACHE=$gb/cache GOFLAGS=
(cd "$root/tests/interop/go" && go build -o "$bin.tmp" ./*.go)
mv -f "$bin.tmp" "$bin"
links
echo "$bin"
