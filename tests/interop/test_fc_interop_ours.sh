#!/bin/bash
# fc-interop's 14 cases on the host and the Linux boards against our interop-server (the rpc runtime).
# tests/lib/fc_interop.sh says how.
. "$(dirname "$0")/../lib/fc_interop.sh"
fci_suite ours linux
