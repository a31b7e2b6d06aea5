#!/bin/bash
# Generates the python grpcio stubs for proto/api.proto into build/py/
# (api_pb2.py, api_pb2_grpc.py). Idempotent: regenerates only when the proto
# is newer than the stubs. Uses Debian's python (/usr/bin/python3), which has
# grpcio and grpc_tools. Run from anywhere.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build/py"
py=${PYTHON:-/usr/bin/python3}
if [ -f "$out/api_pb2.py" ] && [ -f "$out/api_pb2_grpc.py" ] &&
   [ "$out/api_pb2.py" -nt "$root/proto/api.proto" ] &&
   [ "$out/api_pb2_grpc.py" -nt "$root/proto/api.proto" ]; then
  exit 0
fi
mkdir -p "$out"
# Generate into a temporary folder and move into place, so that tests running
# in parallel never import a half-written file.
tmp=$(mktemp -d "$out/.gen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && "$py" -m grpc_tools.protoc -Iproto --python_out="$tmp" --grpc_python_out="$tmp" proto/api.proto)
mv -f "$tmp/api_pb2.py" "$out/api_pb2.py"
mv -f "$tmp/api_pb2_grpc.py" "$out/api_pb2_grpc.py"
