#!/bin/bash
# fc-interop's 14 cases on lm3s6965evb against grpcio's TestService (tests/interop/python/testservice_server.py).
# tests/lib/fc_interop.sh says how.
. "$(dirname "$0")/../lib/fc_interop.sh"
fci_suite grpcio lm3s6965evb
