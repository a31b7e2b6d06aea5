#!/bin/bash
# Installs the node test peers' packages (@grpc/grpc-js, @grpc/proto-loader)
# into build/npm/ with npm. Idempotent: does nothing when both are there.
# The node peers (tests/interop/node/) find them through
# NODE_PATH=build/npm/node_modules.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=$root/build/npm
if [ -f "$prefix/node_modules/@grpc/grpc-js/package.json" ] &&
   [ -f "$prefix/node_modules/@grpc/proto-loader/package.json" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm-deps: npm is missing (apt-get install -y nodejs npm)" >&2; exit 1; }
mkdir -p "$prefix"
# --no-save with an empty package.json would leave no record; keep one in build/.
[ -f "$prefix/package.json" ] || echo '{"name":"fw-interop-peers","private":true}' >"$prefix/package.json"
npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error @grpc/grpc-js@1 @grpc/proto-loader@0
echo "npm-deps: ok"
