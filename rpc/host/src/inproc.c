/* inproc.c - see rpc_inproc.h. One client session and one server
 * connection; a pump hands each side's output to the other until both are
 * quiet. It runs deferred, at the end of a loop turn, never inside a call
 * into either core, so neither sees itself re-entered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_inproc.h"

#define INPROC_STREAMS 1000

struct rpc_inproc {
  rpc_loop_t *loop;
  rpc_server_core_t *core;
  rpc_sconn_t *sconn;
  rpc_client_t cli;
  int have_cli;
  rpc_defer_t pump;
  rpc_timer_t due; /* the nearer of the two cores' deadlines */
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

/* A fresh pair: at the start, and after the client session is spent (its
 * stream ids, or a GOAWAY) with no call left on it. */
static int pair_new(rpc_inproc_t *p) {
  rpc_server_env_t env = {.now_ms = inproc_now,
                          .clock_arg = p->loop,
                          .wake = inproc_wake,
                          .now_us = inproc_now_us,
                          .random = rpc_random};
  if (!(p->core = rpc_server_core_new(p->methods, p->nmethods, &p->lim, &env))) return -1;
  rpc_server_core_set_stats(p->core, p->stats);
  rpc_client_cfg_t cfg = {.authority = "inproc"};
  if (!(p->sconn = rpc_sconn_new(p->core, p->peer, p)) ||
      rpc_client_init(&p->cli, &cfg) != RPC_OK) {
    rpc_sconn_free(p->sconn);
    rpc_server_core_free(p->core);
    p->sconn = NULL;
    p->core = NULL;
    return -1;
  }
  p->have_cli = 1;
  return 0;
}

static void pair_free(rpc_inproc_t *p) {
  if (!p->have_cli) return;
  rpc_client_free(&p->cli); /* open calls: Cancelled */
  rpc_sconn_free(p->sconn);
  rpc_server_core_free(p->core);
  p->have_cli = 0;
  p->sconn = NULL;
  p->core = NULL;
}

static void arm(rpc_inproc_t *p) {
  uint64_t now = rpc_loop_update_now(p->loop);
  uint64_t due = rpc_sconn_tick(p->sconn);
  uint32_t cdue = rpc_client_tick(&p->cli, (uint32_t)now);
  if (cdue != UINT32_MAX && now + cdue < due) due = now + cdue;
  if (due == RPC_SCONN_NO_DUE)
    rpc_timer_stop(p->loop, &p->due);
  else
    rpc_timer_start(p->loop, &p->due, due > now ? due - now : 0);
}

static void on_pump(rpc_defer_t *d) {
  rpc_inproc_t *p = d->arg;
  if (!p->have_cli) return;
  for (int moved = 1; moved;) {
    moved = 0;
    const uint8_t *out;
    long n;
    while ((n = rpc_client_send(&p->cli, &out)) > 0) {
      moved = 1;
      if (rpc_sconn_recv(p->sconn, out, (size_t)n) != RPC_OK) break;
    }
    while ((n = rpc_sconn_send(p->sconn, &out)) > 0) {
      moved = 1;
      if (rpc_client_recv(&p->cli, out, (size_t)n) != RPC_OK) break;
    }
    if (n < 0 || p->cli.failed) {
      rpc_client_fail(&p->cli, RPC_CODE_INTERNAL, "in-process session failed");
      break;
    }
  }
  arm(p);
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
  if (pair_new(p) != 0) {
    free(p);
    return NULL;
  }
  return p;
}

void rpc_inproc_free(rpc_inproc_t *p) {
  if (!p) return;
  rpc_loop_undefer(p->loop, &p->pump);
  rpc_timer_stop(p->loop, &p->due);
  pair_free(p);
  free(p);
}

void rpc_inproc_set_stats(rpc_inproc_t *p, rpc_server_stats_t *stats) {
  p->stats = stats;
  if (p->core) rpc_server_core_set_stats(p->core, stats);
}

int rpc_inproc_start(rpc_inproc_t *p, rpc_call_t *call, const char *path, const uint8_t *req,
                     size_t len, uint32_t timeout_ms) {
  if (p->have_cli && (p->cli.goaway || p->cli.failed) && !p->cli.calls) pair_free(p);
  if (!p->have_cli && pair_new(p) != 0) return RPC_ERR_NOMEM;
  int r = rpc_client_start(&p->cli, call, path, req, len, timeout_ms,
                           (uint32_t)rpc_loop_update_now(p->loop));
  if (r == RPC_OK) rpc_loop_defer(p->loop, &p->pump);
  return r;
}

void rpc_inproc_cancel(rpc_inproc_t *p, rpc_call_t *call, int code, const char *message) {
  if (!p->have_cli || call->done) return;
  rpc_client_cancel(&p->cli, call, code, message);
  rpc_loop_defer(p->loop, &p->pump);
}
