/*
 * rpc_server.h - the gRPC server on the host: the I/O-free server core
 * (rpc_server_core.h: methods, calls, metadata, limits) driven over sockets,
 * plain or TLS, on the event loop. Many connections, many streams each,
 * nothing blocking; handlers answer now or later (from a loop timer, or
 * when another call completes).
 */
#ifndef RPC_SERVER_H
#define RPC_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "rpc.h"
#include "rpc_loop.h"
#include "rpc_server_core.h"
#include "rpc_tls.h"

typedef struct rpc_server rpc_server_t;

/* Listens on "HOST:PORT" and serves methods[n] (kept by reference) under
 * limits (NULL: the defaults). Returns the server or NULL (the reason is
 * logged). */
rpc_server_t *rpc_server_new(rpc_loop_t *loop, const char *listen, const rpc_method_t *methods,
                             size_t n, const rpc_server_limits_t *limits);

/* A non-blocking listening socket on "HOST:PORT" (an empty host: every
 * address; reuseport: SO_REUSEPORT beside other workers), for the server
 * and for the daemons' other ports. The fd, or -1 with errno set. */
int rpc_listen(const char *addr, int reuseport);

/* Closes the listener and every connection (open calls end with
 * RPC_END_CANCELLED). */
void rpc_server_free(rpc_server_t *s);

/* Graceful stop: no new connections, GOAWAY on every connection (streams
 * already started go on, new ones are refused), then runs the loop until the
 * open calls have finished or timeout_ms has passed, or another signal comes.
 * Returns the number of calls still open when it gave up (0: a clean drain). */
int rpc_server_drain(rpc_server_t *s, uint32_t timeout_ms);

/* Serves TLS (ALPN h2) with cfg instead of h2c on connections accepted from
 * now on. The server takes a reference to cfg and drops the one to the
 * configuration it replaces (a reload), whose open connections keep it
 * until they close; the caller keeps its own reference. */
void rpc_server_set_tls(rpc_server_t *s, rpc_tls_cfg_t *cfg);

/* Counts calls, connections, handshakes, PINGs and bytes into stats
 * (rpc_stats.h) from now on; the server does not own it. */
void rpc_server_set_stats(rpc_server_t *s, rpc_server_stats_t *stats);

/* The loop the call runs on (for a handler's timers). Only for calls of an
 * rpc_server_t. */
rpc_loop_t *rpc_scall_loop(const rpc_scall_t *call);

#endif /* RPC_SERVER_H */
