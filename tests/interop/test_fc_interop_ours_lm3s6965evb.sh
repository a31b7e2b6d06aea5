#!/bin/bash
# fc-interop's 14 cases on lm3s6965evb against our interop-server (the rpc runtime).
# tests/lib/fc_interop.sh says how.
. "$(dirname "$0")/../lib/fc_interop.sh"
fci_suite ours lm3s6965evb
