/*
 * rpc_pump.h - drives an rpc_client_t over a port transport until its calls
 * are over: the board's blocking event loop, with the port's clock for
 * deadlines.
 */
#ifndef RPC_PUMP_H
#define RPC_PUMP_H

#include "port.h"
#include "rpc_client.h"

/* Moves bytes both ways until no call is open. A transport failure closes the
 * open calls with Unavailable. A deadline that passes while bytes are on
 * their way wins: the call closes with DeadlineExceeded before they are
 * read. Returns RPC_OK; RPC_ERR_TRANSPORT if the transport failed, or
 * RPC_ERR_PROTO if the server broke HTTP/2 (either way the calls hold the
 * reason). */
int rpc_pump_run(rpc_client_t *c, port_transport_t *t);

#endif /* RPC_PUMP_H */
