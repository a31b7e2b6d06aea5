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
 * open calls with Unavailable. Returns RPC_OK, or RPC_ERR_PROTO if the
 * connection broke (the calls then hold the reason). */
int rpc_pump_run(rpc_client_t *c, port_transport_t *t);

#endif /* RPC_PUMP_H */
