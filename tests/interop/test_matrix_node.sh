#!/bin/bash
# The interoperability matrix for the node peer (tests/interop/node/): its client
# against our gateway, our firmware-client (host and armhf-linux under
# qemu-arm) against its ProdService, our gateway against its StorageService.
# See tests/lib/interop_matrix.sh; the results go to build/interop.md (make docs: docs/interop.md).
. "$(dirname "$0")/../lib/interop_matrix.sh"
matrix node
