/* inproc.c - see rpc_inproc.h. A pair is one client session and one
 * server connection; a pump hands each side's output to the other until
 * both are quiet. It runs deferred, at the end of a loop turn, never inside
 * a call into either core, so neither sees itself re-entered.
 *
 * A session's stream ids run out after 2^30 calls, and a GOAWAY ends one:
 * new calls then go to a fresh pair while the old one finishes its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_inproc.h"

#define INPROC_STREAMS 1000
#define INPROC_LAST_ID 0x7fffff00 /* a session this far on is renewed */

typedef struct pair {
  rpc_server_core_t *core;
  rpc_sconn_t *sconn;
  rpc_client_t cli;
  int live;
} pair_t;

struct rpc_inproc {
  rpc_loop_t *loop;
  /* pairs[cur] takes new calls; the other, when live, is a spent pair
   * finishing its own (pairs never move: nghttp2 holds their address) */
  pair_t pairs[2];
  int cur;
  rpc_defer_t pump;
  rpc_timer_t due; /* the nearest of the cores' deadlines */
  const rpc_method_t *methods;
  size_t nmethods;
  rpc_server_limits_t lim;
  rpc_server_stats_t *stats;
  char peer[64];
};

static uint64_t inproc_now(void *arg) {
  return rpc_loop_update_now(arg);
}

static uint64_t inproc_now_us(void *arg) {
  (void)arg;
  return rpc_now_us();
}

static void inproc_wake(void *arg) {
  rpc_inproc_t *p = arg;
  rpc_loop_defer(p->loop, &p->pump);
}

static int pair_new(rpc_inproc_t *p, pair_t *pr) {
  rpc_server_env_t env = {.now_ms = inproc_now,
                          .clock_arg = p->loop,
                          .wake = inproc_wake,
                          .now_us = inproc_now_us,
                          .random = rpc_random};
  memset(pr, 0, sizeof(*pr));
  if (!(pr->core = rpc_server_core_new(p->methods, p->nmethods, &p->lim, &env))) return -1;
  rpc_server_core_set_stats(pr->core, p->stats);
  rpc_client_cfg_t cfg = {.authority = "inproc"};
  if (!(pr->sconn = rpc_sconn_new(pr->core, p->peer, p)) ||
      rpc_client_init(&pr->cli, &cfg) != RPC_OK) {
    rpc_sconn_free(pr->sconn);
    rpc_server_core_free(pr->core);
    memset(pr, 0, sizeof(*pr));
    return -1;
  }
  pr->live = 1;
  return 0;
}

static void pair_free(pair_t *pr) {
  if (!pr->live) return;
  rpc_client_free(&pr->cli); /* open calls: Cancelled */
  rpc_sconn_free(pr->sconn);
  rpc_server_core_free(pr->core);
  memset(pr, 0, sizeof(*pr));
}

/* No new call fits on it. */
static int pair_spent(const pair_t *pr) {
  return pr->cli.goaway || pr->cli.failed ||
         nghttp2_session_get_next_stream_id(pr->cli.session) > INPROC_LAST_ID;
}

/* Moves bytes both ways until both sides are quiet. Returns the pair's next
 * deadline on the loop's clock, or RPC_SCONN_NO_DUE. */
static uint64_t pair_pump(pair_t *pr, uint64_t now) {
  for (int moved = 1; moved;) {
    moved = 0;
    const uint8_t *out;
    long n;
    while ((n = rpc_client_send(&pr->cli, &out)) > 0) {
      moved = 1;
      if (rpc_sconn_recv(pr->sconn, out, (size_t)n) != RPC_OK) break;
    }
    while ((n = rpc_sconn_send(pr->sconn, &out)) > 0) {
      moved = 1;
      if (rpc_client_recv(&pr->cli, out, (size_t)n) != RPC_OK) break;
    }
    if (n < 0 || pr->cli.failed) {
      rpc_client_fail(&pr->cli, RPC_CODE_INTERNAL, "in-process session failed");
      break;
    }
  }
  uint64_t due = rpc_sconn_tick(pr->sconn);
  uint32_t cdue = rpc_client_tick(&pr->cli, (uint32_t)now);
  if (cdue != UINT32_MAX && now + cdue < due) due = now + cdue;
  return due;
}

static void on_pump(rpc_defer_t *d) {
  rpc_inproc_t *p = d->arg;
  uint64_t now = rpc_loop_update_now(p->loop), due = RPC_SCONN_NO_DUE;
  for (int i = 0; i < 2; i++) {
    pair_t *pr = &p->pairs[i];
    if (!pr->live) continue;
    uint64_t pd = pair_pump(pr, now);
    if (pd < due) due = pd;
    if (i != p->cur && !pr->cli.calls && !rpc_sconn_calls(pr->sconn)) pair_free(pr); /* done */
  }
  if (due == RPC_SCONN_NO_DUE)
    rpc_timer_stop(p->loop, &p->due);
  else
    rpc_timer_start(p->loop, &p->due, due > now ? due - now : 0);
}

static void on_due(rpc_timer_t *t) {
  on_pump(&((rpc_inproc_t *)t->arg)->pump);
}

rpc_inproc_t *rpc_inproc_new(rpc_loop_t *loop, const rpc_method_t *methods, size_t n,
                             const rpc_server_limits_t *limits, const char *peer) {
  rpc_inproc_t *p = calloc(1, sizeof(*p));
  if (!p) return NULL;
  p->loop = loop;
  p->methods = methods;
  p->nmethods = n;
  if (limits) p->lim = *limits;
  if (!p->lim.max_streams) p->lim.max_streams = INPROC_STREAMS;
  snprintf(p->peer, sizeof(p->peer), "%s", peer);
  p->pump.fn = on_pump;
  p->pump.arg = p;
  p->due.fn = on_due;
  p->due.arg = p;
  if (pair_new(p, &p->pairs[0]) != 0) {
    free(p);
    return NULL;
  }
  return p;
}

void rpc_inproc_free(rpc_inproc_t *p) {
  if (!p) return;
  rpc_loop_undefer(p->loop, &p->pump);
  rpc_timer_stop(p->loop, &p->due);
  pair_free(&p->pairs[0]);
  pair_free(&p->pairs[1]);
  free(p);
}

void rpc_inproc_set_stats(rpc_inproc_t *p, rpc_server_stats_t *stats) {
  p->stats = stats;
  for (int i = 0; i < 2; i++)
    if (p->pairs[i].live) rpc_server_core_set_stats(p->pairs[i].core, stats);
}

int rpc_inproc_start(rpc_inproc_t *p, rpc_call_t *call, const char *path, const uint8_t *req,
                     size_t len, uint32_t timeout_ms) {
  pair_t *pr = &p->pairs[p->cur];
  if (pr->live && pair_spent(pr)) {
    pair_t *next = &p->pairs[!p->cur];
    if (next->live) return RPC_ERR_NOMEM; /* the one before is still finishing */
    p->cur = !p->cur;                     /* this one finishes its calls, then goes (on_pump) */
    pr = next;
  }
  if (!pr->live && pair_new(p, pr) != 0) return RPC_ERR_NOMEM;
  int r = rpc_client_start(&pr->cli, call, path, req, len, timeout_ms,
                           (uint32_t)rpc_loop_update_now(p->loop));
  if (r == RPC_OK) rpc_loop_defer(p->loop, &p->pump);
  return r;
}

void rpc_inproc_cancel(rpc_inproc_t *p, rpc_call_t *call, int code, const char *message) {
  if (call->done) return;
  rpc_client_cancel(call->client, call, code, message);
  rpc_loop_defer(p->loop, &p->pump);
}
