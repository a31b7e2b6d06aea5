/*
 * rpc_inproc.h - an in-process channel: the client core (rpc_client.h) and
 * a server core (rpc_server_core.h) serving a method table, wired to each
 * other in memory on the event loop, with no socket (gRPC's "inproc"
 * transport). A call made here is a real gRPC call to those handlers:
 * grpc-timeout, metadata, status codes and the core's limits all apply,
 * and the stats count it. The gateway's REST bridge calls ProdService this
 * way, as grpc-gateway calls its server.
 */
#ifndef RPC_INPROC_H
#define RPC_INPROC_H

#include <stddef.h>
#include <stdint.h>

#include "rpc_client.h"
#include "rpc_loop.h"
#include "rpc_server_core.h"

typedef struct rpc_inproc rpc_inproc_t;

/* A channel to methods[n] (kept by reference) under limits (NULL: the
 * defaults, with 1000 streams); peer names the caller in the handlers' logs.
 * NULL when out of memory. */
rpc_inproc_t *rpc_inproc_new(rpc_loop_t *loop, const rpc_method_t *methods, size_t n,
                             const rpc_server_limits_t *limits, const char *peer);

/* Closes every open call (Cancelled) and frees the channel. */
void rpc_inproc_free(rpc_inproc_t *p);

/* Counts into stats (rpc_stats.h) as a server does. */
void rpc_inproc_set_stats(rpc_inproc_t *p, rpc_server_stats_t *stats);

/* Starts a call as rpc_client_start does (call prepared with rpc_call_init
 * and its deframer; req must live until on_close). Bytes move on the loop,
 * after this returns: on_message and on_close never run inside it. Returns
 * RPC_OK or RPC_ERR_*. */
int rpc_inproc_start(rpc_inproc_t *p, rpc_call_t *call, const char *path, const uint8_t *req,
                     size_t len, uint32_t timeout_ms);

/* Cancels an open call; its on_close runs with code and message. */
void rpc_inproc_cancel(rpc_inproc_t *p, rpc_call_t *call, int code, const char *message);

#endif /* RPC_INPROC_H */
