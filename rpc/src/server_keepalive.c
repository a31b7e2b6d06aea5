/*
 * server_keepalive.c - the server core's side of HTTP/2 keepalive (gRFC A8),
 * as grpc-go's server does it (internal/transport/http2_server.go): client
 * PINGs judged against the minimum interval (EnforcementPolicy), the
 * server's own PING on a silent connection and its timeout, and the maximum
 * connection age with its two-step GOAWAY (ServerParameters). Time is the
 * driver's clock; nothing here touches the OS. See rpc_server_core.h.
 */
#include <string.h>

#include "rpc_log.h"
#include "server_core.h"

#define MAX_PING_STRIKES 2                      /* grpc-go's maxPingStrikes */
#define IDLE_PING_MS (2ull * 3600ull * 1000ull) /* grpc-go's defaultPingTimeout */
#define DRAIN_ACK_MS 1000 /* the drain's second GOAWAY waits this long at most */

/* grpc-go's goAwayPing: its ACK says the client has seen the first GOAWAY */
static const uint8_t drain_ping[8] = {1, 6, 1, 8, 0, 3, 3, 9};
static const uint8_t keepalive_ping[8] = {0};

static uint64_t earliest(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

/* ms +-10 %, so that connections opened together do not all reconnect
 * together. No entropy in the core: the clock and the connection's address
 * mixed (splitmix64) spread them well enough. */
static uint64_t jittered(const rpc_sconn_t *c, uint64_t now, uint32_t ms) {
  uint64_t x = now ^ (uint64_t)(uintptr_t)c;
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  x ^= x >> 31;
  uint64_t r = ms / 10;
  return r ? ms - r + x % (2 * r + 1) : ms;
}

uint64_t rpc_sk_start(rpc_sconn_t *c, uint64_t now) {
  const rpc_server_limits_t *lim = &c->core->lim;
  c->last_read = now;
  c->age_due = lim->max_age_ms ? now + jittered(c, now, lim->max_age_ms) : RPC_SCONN_NO_DUE;
  c->goaway_due = c->grace_due = RPC_SCONN_NO_DUE;
  return earliest(now + lim->keepalive_ms, c->age_due);
}

void rpc_sk_read(rpc_sconn_t *c, uint64_t now) {
  c->last_read = now;
}

/* The last stream the server took: the client may retry any later one. */
static int32_t last_taken(const rpc_sconn_t *c) {
  return nghttp2_session_get_last_proc_stream_id(c->session);
}

/* grpc-go's handlePing: a PING right after the server sent HEADERS or DATA
 * is free and clears the strikes; any other PING sooner than the minimum
 * after the previous one is a strike (with no call open and a strict
 * policy, sooner than two hours), and the third ends the connection. */
static void client_ping(rpc_sconn_t *c) {
  const rpc_server_limits_t *lim = &c->core->lim;
  uint64_t now = rpc_sc_now(c->core), prev = c->last_ping_at;
  int had = c->pinged;
  c->last_ping_at = now;
  c->pinged = 1;
  if (c->reset_strikes) {
    c->reset_strikes = 0;
    c->strikes = 0;
    return;
  }
  uint64_t min = !c->ncalls && lim->keepalive_strict ? IDLE_PING_MS : lim->keepalive_min_ms;
  if (had && now - prev < min) c->strikes++;
  if (c->strikes <= MAX_PING_STRIKES || c->dropped) return;
  rpc_log("closing %s: too many pings (more than %d within %u ms of each other)", c->peer,
          MAX_PING_STRIKES, lim->keepalive_min_ms);
  static const char why[] = "too_many_pings";
  nghttp2_submit_goaway(c->session, NGHTTP2_FLAG_NONE, last_taken(c), NGHTTP2_ENHANCE_YOUR_CALM,
                        (const uint8_t *)why, sizeof(why) - 1);
  c->dropped = 1; /* grpc-go closes at once, calls and all */
}

/* The drain's second GOAWAY: from here new streams are refused. */
static void final_goaway(rpc_sconn_t *c) {
  c->drain = 2;
  nghttp2_submit_goaway(c->session, NGHTTP2_FLAG_NONE, last_taken(c), NGHTTP2_NO_ERROR, NULL, 0);
  rpc_sc_wake(c);
}

void rpc_sk_ping(rpc_sconn_t *c, const nghttp2_frame *f) {
  if (!(f->hd.flags & NGHTTP2_FLAG_ACK)) {
    if (c->core->stats) RPC_STAT_ADD(c->core->stats->pings_received, 1);
    client_ping(c);
  } else if (c->drain == 1 && memcmp(f->ping.opaque_data, drain_ping, 8) == 0) {
    final_goaway(c);
  } else {
    c->ping_out = 0;
  }
}

void rpc_sconn_drain(rpc_sconn_t *c) {
  if (c->drain) return;
  /* first GOAWAY: stream id 2^31-1, so streams already on their way are
   * still taken; the PING's ACK tells when the client has seen it */
  c->drain = 1;
  nghttp2_submit_shutdown_notice(c->session);
  nghttp2_submit_ping(c->session, NGHTTP2_FLAG_NONE, drain_ping);
  c->goaway_due = rpc_sc_now(c->core) + DRAIN_ACK_MS;
  rpc_sc_due(c, c->goaway_due);
  rpc_sc_wake(c);
}

int rpc_sconn_dropped(const rpc_sconn_t *c) {
  return c->dropped;
}

/* grpc-go's keepalive loop: PING after keepalive_ms with nothing read; if
 * nothing is read within the timeout after it, the peer is gone. */
static uint64_t keepalive_tick(rpc_sconn_t *c, uint64_t now) {
  const rpc_server_limits_t *lim = &c->core->lim;
  if (c->ping_out && c->last_read > c->ping_sent_at) c->ping_out = 0; /* any read will do */
  if (c->ping_out) {
    if (now - c->ping_sent_at < lim->keepalive_timeout_ms)
      return c->ping_sent_at + lim->keepalive_timeout_ms;
    rpc_log("closing %s: keepalive ping not acknowledged within %u ms", c->peer,
            lim->keepalive_timeout_ms);
    c->dropped = 1;
    return RPC_SCONN_NO_DUE;
  }
  if (!c->established) return now + lim->keepalive_ms; /* the handshake timer's case */
  if (now - c->last_read < lim->keepalive_ms) return c->last_read + lim->keepalive_ms;
  nghttp2_submit_ping(c->session, NGHTTP2_FLAG_NONE, keepalive_ping);
  if (c->core->stats) RPC_STAT_ADD(c->core->stats->pings_sent, 1);
  c->ping_out = 1;
  c->ping_sent_at = now;
  return now + lim->keepalive_timeout_ms;
}

/* Max connection age: drain, then cut what is still open after the grace. */
static uint64_t age_tick(rpc_sconn_t *c, uint64_t now) {
  const rpc_server_limits_t *lim = &c->core->lim;
  if (c->age_due == RPC_SCONN_NO_DUE) return RPC_SCONN_NO_DUE;
  if (now < c->age_due) return c->age_due;
  if (!c->drain) {
    rpc_log("%s: max connection age (%u ms) reached: GOAWAY", c->peer, lim->max_age_ms);
    rpc_sconn_drain(c);
    c->grace_due = now + lim->max_age_grace_ms;
  }
  if (now < c->grace_due) return c->grace_due;
  if (c->ncalls)
    rpc_log("closing %s: max connection age grace (%u ms) over, %u calls cut", c->peer,
            lim->max_age_grace_ms, c->ncalls);
  c->dropped = 1;
  return RPC_SCONN_NO_DUE;
}

uint64_t rpc_sk_tick(rpc_sconn_t *c, uint64_t now) {
  if (c->dropped) return RPC_SCONN_NO_DUE;
  if (c->drain == 1 && now >= c->goaway_due) final_goaway(c); /* no ACK came */
  uint64_t next = earliest(keepalive_tick(c, now), age_tick(c, now));
  if (c->drain == 1) next = earliest(next, c->goaway_due);
  return c->dropped ? RPC_SCONN_NO_DUE : next;
}
