/*
 * link.c - a client's link to one server across connections: connectivity
 * state, backoff, keepalive and transparent retry. See rpc_link.h.
 */
#include "rpc_link.h"

#include <string.h>

#define DEF(v, d) ((v) ? (v) : (d))

void rpc_link_init(rpc_link_t *l, const rpc_link_cfg_t *cfg) {
  memset(l, 0, sizeof(*l));
  if (cfg) l->cfg = *cfg;
  l->cfg.backoff_initial_ms = DEF(l->cfg.backoff_initial_ms, 1000u);
  l->cfg.backoff_max_ms = DEF(l->cfg.backoff_max_ms, 120000u);
  l->cfg.backoff_multiplier_pct = DEF(l->cfg.backoff_multiplier_pct, 160u);
  l->cfg.backoff_jitter_pct = DEF(l->cfg.backoff_jitter_pct, 20u);
  if (l->cfg.backoff_jitter_pct > 100u) l->cfg.backoff_jitter_pct = 0; /* RPC_LINK_NO_JITTER */
  l->cfg.min_connect_ms = DEF(l->cfg.min_connect_ms, 20000u);
  l->cfg.keepalive_timeout_ms = DEF(l->cfg.keepalive_timeout_ms, 20000u);
  l->backoff_ms = l->cfg.backoff_initial_ms;
  l->keepalive_ms = l->cfg.keepalive_ms;
  l->rng = l->cfg.seed ? l->cfg.seed : 0x9e3779b9u;
  l->state = RPC_LINK_IDLE;
}

const char *rpc_link_state_name(int state) {
  static const char *const names[] = {"IDLE", "CONNECTING", "READY", "TRANSIENT_FAILURE",
                                      "SHUTDOWN"};
  return state >= 0 && state <= RPC_LINK_SHUTDOWN ? names[state] : "?";
}

static uint32_t next_random(rpc_link_t *l) {
  uint32_t x = l->rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return l->rng = x;
}

uint32_t rpc_link_random(rpc_link_t *l) {
  return next_random(l);
}

int rpc_link_want(rpc_link_t *l, uint32_t now_ms, int wait_for_ready, uint32_t *wait_ms) {
  *wait_ms = 0;
  if (l->state == RPC_LINK_TRANSIENT_FAILURE && (int32_t)(now_ms - l->retry_at_ms) >= 0)
    l->state = RPC_LINK_IDLE; /* the backoff is over: the next attempt may begin */
  switch (l->state) {
  case RPC_LINK_READY:
    return RPC_LINK_GO;
  case RPC_LINK_IDLE:
  case RPC_LINK_CONNECTING: /* a driver that connects in the background */
    return RPC_LINK_CONNECT;
  case RPC_LINK_TRANSIENT_FAILURE:
    if (!wait_for_ready) return RPC_LINK_FAIL;
    *wait_ms = l->retry_at_ms - now_ms;
    return RPC_LINK_WAIT;
  default:
    return RPC_LINK_FAIL;
  }
}

uint32_t rpc_link_connecting(rpc_link_t *l, uint32_t now_ms) {
  (void)now_ms;
  if (l->state != RPC_LINK_SHUTDOWN) l->state = RPC_LINK_CONNECTING;
  return l->backoff_ms > l->cfg.min_connect_ms ? l->backoff_ms : l->cfg.min_connect_ms;
}

void rpc_link_up(rpc_link_t *l, const rpc_client_t *c, uint32_t now_ms) {
  if (l->state == RPC_LINK_SHUTDOWN) return;
  l->state = RPC_LINK_READY;
  l->backoff_ms = l->cfg.backoff_initial_ms;
  l->stats.connects++;
  l->last_in_ms = now_ms;
  l->frames_seen = c->frames_in;
  l->ping_out = 0;
  l->ping_now = 0;
  l->calm_seen = 0;
}

void rpc_link_failed(rpc_link_t *l, uint32_t now_ms) {
  if (l->state == RPC_LINK_SHUTDOWN) return;
  uint32_t wait = l->backoff_ms, j = l->cfg.backoff_jitter_pct;
  if (j) { /* wait * (1 + j% * u), u uniform in [-1, 1] */
    uint32_t span = (uint32_t)((uint64_t)wait * j / 100u);
    uint32_t r = (uint32_t)(((uint64_t)next_random(l) * (2u * (uint64_t)span + 1u)) >> 32);
    wait = wait - span + r;
  }
  l->state = RPC_LINK_TRANSIENT_FAILURE;
  l->retry_at_ms = now_ms + wait;
  uint64_t grown = (uint64_t)l->backoff_ms * l->cfg.backoff_multiplier_pct / 100u;
  l->backoff_ms = grown > l->cfg.backoff_max_ms ? l->cfg.backoff_max_ms : (uint32_t)grown;
}

void rpc_link_down(rpc_link_t *l) {
  if (l->state == RPC_LINK_READY || l->state == RPC_LINK_CONNECTING) l->state = RPC_LINK_IDLE;
  l->ping_out = 0;
  l->ping_now = 0;
}

void rpc_link_shutdown(rpc_link_t *l) {
  l->state = RPC_LINK_SHUTDOWN;
}

void rpc_link_ping_now(rpc_link_t *l) {
  l->ping_now = 1;
}

int rpc_link_usable(const rpc_client_t *c) {
  return c->session && !c->failed && !c->goaway;
}

int rpc_link_service(rpc_link_t *l, rpc_client_t *c, uint32_t now_ms, uint32_t *next_ms) {
  *next_ms = UINT32_MAX;
  if (c->too_many_pings && !l->calm_seen) {
    /* gRFC A8: the server asks for fewer pings; ask half as often from now
     * on, on every later connection too */
    l->calm_seen = 1;
    if (l->keepalive_ms)
      l->keepalive_ms = l->keepalive_ms > INT32_MAX / 2 ? INT32_MAX : 2u * l->keepalive_ms;
  }
  if (c->frames_in != l->frames_seen) { /* a sign of life: a ping's answer, or anything */
    l->frames_seen = c->frames_in;
    l->last_in_ms = now_ms;
    l->ping_out = 0;
  }
  if ((!l->keepalive_ms && !l->ping_now && !l->ping_out) || !c->session || c->failed) return RPC_OK;
  if (l->ping_out) {
    l->ping_now = 0; /* its answer tells as much */
    uint32_t spent = now_ms - l->ping_at_ms;
    if (spent >= l->cfg.keepalive_timeout_ms) return RPC_ERR_TIMEOUT;
    *next_ms = l->cfg.keepalive_timeout_ms - spent;
    return RPC_OK;
  }
  if (c->goaway) {
    l->ping_now = 0;
    return RPC_OK;
  }
  if (!l->ping_now) {
    if (!c->calls && !l->cfg.keepalive_without_calls) return RPC_OK;
    uint32_t quiet = now_ms - l->last_in_ms;
    if (quiet < l->keepalive_ms) {
      *next_ms = l->keepalive_ms - quiet;
      return RPC_OK;
    }
  }
  if (rpc_client_ping(c) == RPC_OK) {
    l->ping_now = 0;
    l->ping_out = 1;
    l->ping_at_ms = now_ms;
    l->stats.pings++;
    *next_ms = l->cfg.keepalive_timeout_ms;
  }
  return RPC_OK;
}

int rpc_link_may_retry(rpc_link_t *l, rpc_call_t *call, uint32_t now_ms, uint32_t *timeout_ms) {
  *timeout_ms = 0;
  if (!call->refused || call->retried || l->state == RPC_LINK_SHUTDOWN) return 0;
  if (call->has_deadline) {
    int32_t left = (int32_t)(call->deadline_ms - now_ms);
    if (left <= 0) return 0; /* too late: let it close */
    *timeout_ms = (uint32_t)left;
  }
  call->retried = 1;
  l->stats.retries++;
  return 1;
}
