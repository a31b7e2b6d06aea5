/*
 * fc_channel.h - the firmware client's channel: one connection to the
 * gateway for many calls, opened at the first call, kept alive between
 * calls (keepalive PINGs), reopened with gRPC's connection backoff when it
 * is lost, its TLS session resumed. Static memory: the caller owns the
 * channel; the port owns the one transport; nghttp2 and mbedtls live in the
 * arena while a connection is open. Calls (fc_call.h) share the connection.
 *
 * The connection's life (states, backoff, keepalive, transparent retry) is
 * the rpc runtime's rpc_link (rpc_link.h), which the host's storage channel
 * shares; the channel adds the port's blocking transport and TLS.
 */
#ifndef FC_CHANNEL_H
#define FC_CHANNEL_H

#include "rpc_opt.h" /* first: FC_STATUS_MSG_LEN sizes fc_status_t */

#include <stddef.h>
#include <stdint.h>

#include "port.h"
#include "rpc_client.h"
#include "rpc_link.h"
#include "rpc_pump.h"

/* Where and how: addr "HOST:PORT" (ignored by serial ports), each call's
 * deadline in milliseconds (0: none), TLS settings (fc_tls.h), and the
 * link's backoff and keepalive (zero fields: gRPC's defaults). */
typedef struct fc_cfg {
  const char *addr;
  uint32_t timeout_ms;
  const struct fc_tls_opts *tls; /* NULL: plaintext h2c */
  uint8_t wait_for_ready;        /* a call waits out TRANSIENT_FAILURE (within its deadline) */
  const char *user_agent;        /* a prefix of user-agent ("app/1.2"), or NULL */
  rpc_link_cfg_t link;
  /* gRPC's retry policy (gRFC A6), for Unavailable, with FC_RETRY: a call
   * that sends one request and ends Unavailable before the server answered
   * it (no response headers and no message: refused by a proxy, or its
   * server lost) is made again, up to retry_attempts in all (0 and 1:
   * never), after a random wait below retry_backoff_ms (0: 100) doubled per
   * attempt up to 1 s, within its deadline. Only for calls that are safe to
   * make twice (ProdService's two calls only read). */
  uint8_t retry_attempts;
  uint16_t retry_backoff_ms;
} fc_cfg_t;

/* A call's outcome: a gRPC code (0 is OK) and its message. */
typedef struct fc_status {
  int code;
  char message[FC_STATUS_MSG_LEN];
} fc_status_t;

/* Sets *st: code and message (cut to fit). */
void fc_status_set(fc_status_t *st, int code, const char *msg);

/* Caller-owned (static) storage; the fields are the channel's. */
typedef struct fc_channel {
  fc_cfg_t cfg;
  rpc_link_t link;
  rpc_client_t client;
  port_transport_t t;
  uint8_t open;                /* t, TLS and client are live */
  char why[FC_STATUS_MSG_LEN]; /* the last attempt's failure, for fail-fast calls */
} fc_channel_t;

/* Prepares the channel: nothing is dialled until the first call. cfg (and
 * what it points to) must outlive the channel. */
void fc_channel_init(fc_channel_t *ch, const fc_cfg_t *cfg);

/* Closes the connection (TLS close_notify) and shuts the channel down. */
void fc_channel_free(fc_channel_t *ch);

/* RPC_LINK_IDLE ... RPC_LINK_SHUTDOWN (rpc_link_state_name names them). */
int fc_channel_state(const fc_channel_t *ch);

/* Lets ms pass between calls, or while calls are open (their messages and
 * headers reach their callbacks meanwhile): an open connection is kept
 * (PINGs answered and, with keepalive, sent; a GOAWAY or the server's close
 * noticed, and the connection then closed, after a GOAWAY once no call is
 * left on it); without one the board sleeps. */
void fc_channel_idle(fc_channel_t *ch, uint32_t ms);

/* What the channel has done: calls, connects, handshakes, resumed, pings. */
const rpc_link_stats_t *fc_channel_stats(const fc_channel_t *ch);

/* For fc_call.c: makes the channel READY for a call that started at
 * start_ms with timeout_ms (0: none), connecting (and, with wait_for_ready,
 * waiting out backoff) as the link says. A connection told to go (GOAWAY)
 * lets its calls finish, then is replaced. Returns 0, or the gRPC code that
 * fails the call, with *st set. */
int fc_channel_ready(fc_channel_t *ch, uint32_t start_ms, uint32_t timeout_ms, int wait_for_ready,
                     fc_status_t *st);

/* Pumps the open connection until done(arg) or no call is open. Returns 0,
 * or -1 when the connection was lost (its calls are closed with why). */
int fc_channel_pump(fc_channel_t *ch, rpc_pump_done_fn done, void *arg);

#endif /* FC_CHANNEL_H */
