/*
 * fuzz_server.c - the server's whole input path: the fuzz input is what a
 * client writes on a fresh TCP connection (HTTP/2 preface, frames, HPACK,
 * gRPC framing, protobuf), read by the real server on the real event loop
 * and dispatched to the gateway's and storage's real handlers.
 *
 * Seeds (corpus/fuzz_server/) are connections captured from firmware-client
 * and grpcio. The harness is in fuzz_server_harness.c.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_server_harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  fz_server_init();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_server_exchange(data, size, NULL, 0);
  return 0;
}
