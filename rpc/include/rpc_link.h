/*
 * rpc_link.h - a client's link to one server across its connections: gRPC's
 * connectivity states, connection backoff, keepalive (gRFC A8) and the
 * transparent retry of calls a server never processed. I/O-free, like the
 * client core it watches: a driver (the board's channel, fc_channel.c; the
 * host's storage channel, rpc/host/src/channel.c) opens and closes the
 * transports and tells the link what happened, with its clock; the link
 * says what to do next.
 *
 * States and their moves (gRPC's doc/connectivity-semantics-and-api.md):
 *
 *   IDLE --call--> CONNECTING --up--> READY --lost / GOAWAY--> IDLE
 *                      |                 \--keepalive unanswered--> IDLE
 *                      +--failed--> TRANSIENT_FAILURE --backoff over--> IDLE
 *   any --rpc_link_shutdown--> SHUTDOWN
 *
 * Backoff is gRPC's doc/connection-backoff.md: the first wait 1 s, times 1.6
 * after each failed attempt up to 120 s, each wait jittered by +-20 %, and an
 * attempt is given at least 20 s to connect. Every constant is a field of
 * rpc_link_cfg_t.
 */
#ifndef RPC_LINK_H
#define RPC_LINK_H

#include "rpc_client.h"

enum {
  RPC_LINK_IDLE = 0,
  RPC_LINK_CONNECTING,
  RPC_LINK_READY,
  RPC_LINK_TRANSIENT_FAILURE,
  RPC_LINK_SHUTDOWN,
};

/* What a call that wants the link should do (rpc_link_want). */
enum {
  RPC_LINK_GO = 0,  /* READY: start the call on the open connection */
  RPC_LINK_CONNECT, /* open a connection first (rpc_link_connecting) */
  RPC_LINK_WAIT,    /* wait-for-ready: nothing to do before *wait_ms passes */
  RPC_LINK_FAIL,    /* fail fast: Unavailable now */
};

/* Zero fields take gRPC's defaults (above; keepalive off). */
typedef struct rpc_link_cfg {
  uint32_t backoff_initial_ms;     /* 1000 */
  uint32_t backoff_max_ms;         /* 120000 */
  uint32_t backoff_multiplier_pct; /* 160: 1.6 */
  uint32_t backoff_jitter_pct;     /* 20; RPC_LINK_NO_JITTER for none */
  uint32_t min_connect_ms;         /* 20000 */
  uint32_t keepalive_ms;           /* PING after this long without a frame in; 0: never */
  uint32_t keepalive_timeout_ms;   /* 20000: the ACK (or any frame) must come by then */
  uint8_t keepalive_without_calls; /* ping an idle connection too (keeps NAT bindings) */
  uint32_t seed;                   /* the jitter's random sequence */
} rpc_link_cfg_t;

#define RPC_LINK_NO_JITTER 0xffffffffu

/* What the link has done, for --stats. handshakes and resumed are the
 * driver's to count (the link does not see TLS). */
typedef struct rpc_link_stats {
  uint32_t calls;      /* calls started */
  uint32_t connects;   /* connections that came up */
  uint32_t handshakes; /* full TLS handshakes */
  uint32_t resumed;    /* resumed TLS handshakes */
  uint32_t pings;      /* keepalive PINGs sent */
  uint32_t retries;    /* calls sent again after a server refused them unprocessed */
} rpc_link_stats_t;

/* Caller-owned; fields are the link's. */
typedef struct rpc_link {
  rpc_link_cfg_t cfg;
  int state;
  uint32_t backoff_ms;   /* the next failure's wait, before jitter */
  uint32_t retry_at_ms;  /* TRANSIENT_FAILURE ends */
  uint32_t rng;          /* xorshift32 */
  uint32_t keepalive_ms; /* the interval now: too_many_pings doubles it */
  uint32_t last_in_ms;   /* the last frame received */
  uint32_t frames_seen;  /* the client's frames_in then */
  uint32_t ping_at_ms;
  uint8_t ping_out; /* a keepalive PING waits for its answer */
  uint8_t ping_now; /* rpc_link_ping_now: a PING at the next service */
  uint8_t calm_seen;
  rpc_link_stats_t stats;
} rpc_link_t;

void rpc_link_init(rpc_link_t *l, const rpc_link_cfg_t *cfg);

/* "IDLE", "CONNECTING", "READY", "TRANSIENT_FAILURE", "SHUTDOWN". */
const char *rpc_link_state_name(int state);

/* A call wants the link at now. Returns RPC_LINK_GO, _CONNECT, _WAIT (with
 * *wait_ms until the backoff ends) or _FAIL. A TRANSIENT_FAILURE whose
 * backoff is over becomes IDLE here: the call then connects. */
int rpc_link_want(rpc_link_t *l, uint32_t now_ms, int wait_for_ready, uint32_t *wait_ms);

/* An attempt begins: CONNECTING. Returns how long it may take, the larger
 * of min_connect_ms and the current backoff. */
uint32_t rpc_link_connecting(rpc_link_t *l, uint32_t now_ms);

/* The attempt succeeded with client c (its HTTP/2 session is set up):
 * READY, backoff back to its start. */
void rpc_link_up(rpc_link_t *l, const rpc_client_t *c, uint32_t now_ms);

/* The attempt failed: TRANSIENT_FAILURE until the jittered backoff is over. */
void rpc_link_failed(rpc_link_t *l, uint32_t now_ms);

/* The connection is gone (closed by the peer, retired after GOAWAY, found
 * dead by keepalive): IDLE; the next call connects again. */
void rpc_link_down(rpc_link_t *l);

/* SHUTDOWN: the owner closes the channel; no call is taken any more. */
void rpc_link_shutdown(rpc_link_t *l);

/* Keepalive on the READY connection c, after each tick and read: sends a
 * PING when keepalive_ms passed without a frame in (and calls are open, or
 * keepalive_without_calls), and sees a GOAWAY too_many_pings (the interval
 * doubles from then on). Returns RPC_OK, or RPC_ERR_TIMEOUT when a PING went
 * unanswered for keepalive_timeout_ms: the connection is dead, the driver
 * closes it. *next_ms: ms until the link wants to be asked again
 * (UINT32_MAX: keepalive off). */
int rpc_link_service(rpc_link_t *l, rpc_client_t *c, uint32_t now_ms, uint32_t *next_ms);

/* Asks for a PING at the next rpc_link_service on a READY connection, as
 * if the interval had passed (with calls or without, keepalive on or off:
 * its answer or keepalive_timeout_ms decides as for any keepalive PING).
 * Nothing more when a PING is already out; forgotten when the connection
 * goes. A device checks its connection this way after it wakes. */
void rpc_link_ping_now(rpc_link_t *l);

/* True while c may take a new call (no GOAWAY came, it has not failed). */
int rpc_link_usable(const rpc_client_t *c);

/* May call, just closed, be sent again on a new connection? Only a call
 * the server refused unprocessed (a stream above a GOAWAY's last id, or
 * REFUSED_STREAM), once, and while its deadline has time left: then
 * *timeout_ms holds that time (0: no deadline), the call is marked retried
 * and the retry is counted. */
int rpc_link_may_retry(rpc_link_t *l, rpc_call_t *call, uint32_t now_ms, uint32_t *timeout_ms);

/* The next number of the link's jitter sequence (cfg.seed), for waits of
 * the link's owner. */
uint32_t rpc_link_random(rpc_link_t *l);

#endif /* RPC_LINK_H */
