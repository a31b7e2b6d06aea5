#!/bin/bash
# fc-interop's 14 cases on mps2-an385 against our interop-server (the rpc runtime).
# tests/lib/fc_interop.sh says how.
. "$(dirname "$0")/../lib/fc_interop.sh"
fci_suite ours mps2-an385
