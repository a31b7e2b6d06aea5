/*
 * fuzz_server_harness.h - the real server on the real epoll loop, for the
 * fuzzers that feed it bytes: one rpc_loop and one rpc_server per process,
 * serving ProdService (the gateway's handlers, its storage channel pointed at
 * a closed port, so every storage call fails with Unavailable, or at the
 * server itself: fz_server_storage_self) and
 * StorageService (storage's handlers over an in-memory SQLite catalogue).
 *
 * The server only accepts from its listening socket, so each input is sent on
 * a fresh loopback TCP connection; the listener binds 127.0.0.1:0 and the
 * harness finds the port the kernel chose, so no fixed port is needed.
 */
#ifndef FUZZ_SERVER_HARNESS_H
#define FUZZ_SERVER_HARNESS_H

#include <stddef.h>
#include <stdint.h>

/* Creates the loop, the server and the services once per process; aborts if
 * that fails (the fuzzer cannot run without them). */
void fz_server_init(void);

/* Called before fz_server_init: the gateway's storage channel points at the
 * server itself, so GetVendorProds really calls StorageService (over one
 * persistent connection, as the gateway does) and streams its products. */
void fz_server_storage_self(void);

/* Connects to the server, writes in[len], lets the loop run until the server
 * has read it and answered, half-closes and waits for the server to close.
 * What the server sent is copied to out[cap] (NULL: discarded). Returns the
 * number of bytes the server sent (may exceed cap: the rest was dropped). */
size_t fz_server_exchange(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

#endif /* FUZZ_SERVER_HARNESS_H */
