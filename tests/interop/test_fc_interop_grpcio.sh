#!/bin/bash
# fc-interop's 14 cases on the host and the Linux boards against grpcio's TestService (tests/interop/python/testservice_server.py).
# tests/lib/fc_interop.sh says how.
. "$(dirname "$0")/../lib/fc_interop.sh"
fci_suite grpcio linux
