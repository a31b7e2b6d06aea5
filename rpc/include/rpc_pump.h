/*
 * rpc_pump.h - drives an rpc_client_t over a port transport: the board's
 * blocking event loop, with the port's clock for deadlines and keepalive.
 */
#ifndef RPC_PUMP_H
#define RPC_PUMP_H

#include "port.h"
#include "rpc_client.h"
#include "rpc_link.h"

/* Moves bytes both ways until no call is open, with the link's keepalive
 * (rpc_link.h) on the connection when l is not NULL. A transport failure
 * closes the open calls with Unavailable. A deadline that passes while
 * bytes are on their way wins: the call closes with DeadlineExceeded before
 * they are read. Returns RPC_OK; RPC_ERR_TRANSPORT if the transport failed,
 * RPC_ERR_PROTO if the server broke HTTP/2, or RPC_ERR_TIMEOUT when a PING
 * went unanswered (the connection is dead); the calls hold the reason. */
int rpc_pump_run(rpc_client_t *c, rpc_link_t *l, port_transport_t *t);

/* As rpc_pump_run, but returns as soon as done(arg) is true (checked after
 * each write and read), or when no call is open: several calls share one
 * connection, each waiting for its own event (a message, its end). */
typedef int (*rpc_pump_done_fn)(void *arg);
int rpc_pump_until(rpc_client_t *c, rpc_link_t *l, port_transport_t *t, rpc_pump_done_fn done,
                   void *arg);

/* Keeps the open connection alive for ms: the server's PINGs and SETTINGS
 * are answered, keepalive PINGs go out, a GOAWAY or the server's close is
 * seen, and the calls open on it (streams a board keeps between its own
 * messages) go on receiving. Returns RPC_OK when ms passed, or earlier
 * when the connection takes no more calls (GOAWAY: rpc_link_usable) and
 * none is open; else RPC_ERR_TRANSPORT, RPC_ERR_PROTO or RPC_ERR_TIMEOUT:
 * it is lost. */
int rpc_pump_idle(rpc_client_t *c, rpc_link_t *l, port_transport_t *t, uint32_t ms);

#endif /* RPC_PUMP_H */
