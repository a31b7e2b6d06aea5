/*
 * rpc_channel.h - a client connection driven by the host's event loop: one
 * persistent, multiplexed HTTP/2 connection to a server, opened on first use
 * and opened again by the next call after it is lost; while an attempt's
 * backoff runs (rpc_link.h), calls fail at once with Unavailable. The rpc client core
 * does the protocol; the channel moves its bytes and its clock.
 */
#ifndef RPC_CHANNEL_H
#define RPC_CHANNEL_H

#include "rpc_client.h"
#include "rpc_link.h"
#include "rpc_loop.h"
#include "rpc_tls.h"

typedef struct rpc_channel rpc_channel_t;

/* A channel to addr "HOST:PORT"; nothing is dialled yet. NULL: no memory. */
rpc_channel_t *rpc_channel_new(rpc_loop_t *loop, const char *addr);
void rpc_channel_free(rpc_channel_t *ch);

/* Starts a call as rpc_client_start does (the caller sets call->cbs, user
 * and deframer). If the server cannot be reached the call fails: at once
 * with a negative return (on_close does not run) when that is known now,
 * else later through on_close with Unavailable. Returns RPC_OK or RPC_ERR_*. */
int rpc_channel_start(rpc_channel_t *ch, rpc_call_t *call, const char *path, const uint8_t *req,
                      size_t len, uint32_t timeout_ms);

/* Cancels a call (RST_STREAM CANCEL); on_close runs with Canceled. */
void rpc_channel_cancel(rpc_channel_t *ch, rpc_call_t *call);

/* Speaks TLS to the server from the next connection on, verifying its
 * certificate for server_name; the channel does not own cfg. */
void rpc_channel_set_tls(rpc_channel_t *ch, rpc_tls_cfg_t *cfg, const char *server_name);

/* True while the connection is up. */
int rpc_channel_connected(const rpc_channel_t *ch);

/* Why the last attempt to connect failed (the words a call that failed on
 * it got), for a call refused at once while the backoff runs; NULL if none
 * has failed. */
const char *rpc_channel_why(const rpc_channel_t *ch);

/* Keepalive (gRFC A8, rpc_link.h) on the channel's connection, with or
 * without calls: a PING after ms without a frame in, the connection
 * dropped when none comes within timeout_ms (0: 20 s). ms 0: none (the
 * default). Before the first call. */
void rpc_channel_set_keepalive(rpc_channel_t *ch, uint32_t ms, uint32_t timeout_ms);

/* A PING now on the channel's connection, as keepalive sends them
 * (rpc_link_ping_now): no answer within the keepalive timeout (20 s if
 * none was set) and the connection is dropped. Nothing when the channel is
 * not connected or a PING is out already; it never dials. */
void rpc_channel_ping(rpc_channel_t *ch);

/* Dials from the local address ip (numeric, IPv4 or IPv6) from the next
 * connection on: a load generator spreads its connections over 127.0.0.0/8
 * this way. Returns RPC_OK or RPC_ERR_ARG. */
int rpc_channel_set_source(rpc_channel_t *ch, const char *ip);

/* on 0: a call the server refused unprocessed (and one on a connection
 * that never came up) is not sent again here but closes with Unavailable
 * and call->refused set, for a caller that sends it to another server (the
 * gateway over several storages). on 1, the default: sent again here, once,
 * on a fresh connection. */
void rpc_channel_set_retry(rpc_channel_t *ch, int on);

/* on 1: a call with no connection to ride dials one even while the backoff
 * after a failed attempt runs (fails at once only if that dial does), so
 * the first call after the server is back gets through; the backoff then
 * paces the owner's background attempts (a health Watch), not its calls.
 * For a server one hop away, where a refused connect costs a round trip.
 * Default 0: fail fast while the backoff runs. */
void rpc_channel_set_call_dials(rpc_channel_t *ch, int on);

/* The channel's connectivity state (RPC_LINK_IDLE ... RPC_LINK_SHUTDOWN,
 * rpc_link.h). */
int rpc_channel_state(const rpc_channel_t *ch);

/* Milliseconds until the backoff after a failed connect ends (0: a call
 * may dial now). */
uint32_t rpc_channel_backoff_ms(const rpc_channel_t *ch);

/* What the channel has done: calls, connections, TLS handshakes (full and
 * resumed), keepalive PINGs, retries. */
const rpc_link_stats_t *rpc_channel_stats(const rpc_channel_t *ch);

#endif /* RPC_CHANNEL_H */
