#!/bin/bash
# fc-interop's 14 cases on mps2-an385 against grpc-go's official interop server, built from Debian's golang-google-grpc source (tools/grpc_go_interop.sh); it listens on every interface, so the suite runs in a network namespace of its own (unshare -n, loopback only).
# tests/lib/fc_interop.sh says how.
if [ -z "${FCI_NETNS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
  FCI_NETNS=1 exec unshare -n bash -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi
. "$(dirname "$0")/../lib/fc_interop.sh"
fci_suite grpcgo mps2-an385
