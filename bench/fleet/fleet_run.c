/*
 * fleet_run.c - one process of the fleet simulator (fleet.h): it opens its
 * idle devices' channels at --rate a second, each with one first call (a
 * channel dials on its first call), holds them with keepalive while the
 * active devices call back to back for --hold-ms, then counts what is still
 * up. Every device is one rpc_channel on one loop.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.cli.h"
#include "fleet.h"
#include "rpc_channel.h"
#include "rpc_loop.h"
#include "rpc_tls.h"

typedef struct fl_ctx fl_ctx_t;

typedef struct fl_dev {
  fl_ctx_t *ctx;
  rpc_channel_t *ch;
  rpc_call_t call;
  uint8_t req[64];
  uint64_t t0; /* the call's start, us */
  int kind;
  int active; /* keeps calling during the hold */
  int first;  /* the call in flight is its first */
  int up;     /* its first call succeeded */
  int busy;
  uint32_t n;
  rpc_timer_t pause; /* an active device's next call; an idle one's first PING */
  rpc_defer_t next;  /* or at the next loop turn */
} fl_dev_t;

struct fl_ctx {
  const fl_opts_t *o;
  fl_result_t *r;
  rpc_loop_t *loop;
  fl_dev_t *devs; /* idle devices first, then the active ones */
  uint32_t ndev, nidle, opened, first_done;
  int phase; /* 0 ramp, 1 hold, 2 over */
  uint64_t ramp_t0, ramp_last, hold_t0, win_t0;
  rpc_timer_t ramp, hold, limit;
  rpc_tls_cfg_t *tls;
  char name[128];
};

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int fl_sample(uint32_t **v, size_t *n, size_t *cap, uint32_t us) {
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 4096;
    uint32_t *p = realloc(*v, c * sizeof(*p));
    if (!p) return -1;
    *v = p;
    *cap = c;
  }
  (*v)[(*n)++] = us;
  return 0;
}

void fl_result_free(fl_result_t *r) {
  for (uint32_t w = 0; w < FL_WINDOWS; w++)
    for (int k = 0; k < FL_KINDS; k++)
      free(r->win[w].lat[k]);
  free(r->first);
  memset(r, 0, sizeof(*r));
}

static void start_call(fl_dev_t *d);

static void hold_start(fl_ctx_t *x) {
  x->phase = 1;
  x->hold_t0 = x->win_t0 = now_us();
  rpc_timer_start(x->loop, &x->hold, x->o->hold_ms);
  for (uint32_t i = x->nidle; i < x->ndev; i++)
    start_call(&x->devs[i]);
}

static int on_msg(rpc_call_t *call, const uint8_t *msg, size_t len) {
  (void)call, (void)msg, (void)len;
  return 0;
}

/* An active device's next call; an idle device's first PING. */
static void on_pause(rpc_timer_t *t) {
  fl_dev_t *d = t->arg;
  if (d->active)
    start_call(d);
  else
    rpc_channel_ping(d->ch);
}

/* a random PING phase in [0, ms) */
static uint32_t phase_ms(uint32_t ms) {
  uint32_t v;
  rpc_random((uint8_t *)&v, sizeof(v));
  return v % ms;
}

static void on_next(rpc_defer_t *d) {
  start_call(d->arg);
}

static void on_close(rpc_call_t *call) {
  fl_dev_t *d = rpc_call_user(call);
  fl_ctx_t *x = d->ctx;
  fl_result_t *r = x->r;
  uint32_t us = (uint32_t)(now_us() - d->t0);
  int ok = rpc_call_code(call) == 0;
  d->busy = 0;
  if (d->first) { /* an idle device's first call: its connection */
    d->first = 0;
    d->up = ok;
    if (ok)
      r->connected++;
    else
      r->failed_connect++;
    int code = rpc_call_code(call);
    if (code != RPC_CODE_UNAVAILABLE && code != RPC_CODE_DEADLINE_EXCEEDED &&
        code != RPC_CODE_CANCELLED)
      r->answered++;
    fl_sample(&r->first, &r->nfirst, &r->capfirst, us);
    x->ramp_last = now_us();
    /* devices of a real fleet came up at different times, so their PINGs
     * are spread over the interval; a ramp of a few seconds would bunch
     * them all into its first seconds */
    if (ok && x->o->keepalive_ms) rpc_timer_start(x->loop, &d->pause, phase_ms(x->o->keepalive_ms));
    if (++x->first_done == x->nidle && x->phase == 0) {
      r->ramp_us = x->ramp_last - x->ramp_t0;
      hold_start(x);
    }
    return;
  }
  if (x->phase != 1) return; /* after the hold: not counted */
  fl_win_t *w = &r->win[r->nwin];
  w->calls[d->kind]++;
  if (ok) w->ok[d->kind]++;
  fl_sample(&w->lat[d->kind], &w->nlat[d->kind], &w->caplat[d->kind], us);
  if (x->o->pause_ms)
    rpc_timer_start(x->loop, &d->pause, x->o->pause_ms);
  else /* the next loop turn: not inside on_close, and no spin on a refusal */
    rpc_loop_later(x->loop, &d->next);
}

static void start_call(fl_dev_t *d) {
  fl_ctx_t *x = d->ctx;
  if (x->phase == 2 || d->busy) return;
  const fl_opts_t *o = x->o;
  d->kind = d->active && o->stream_every && (++d->n % o->stream_every) == 0 ? FL_STREAM : FL_UNARY;
  d->t0 = now_us();
  d->busy = 1;
  int rc;
  if (d->kind == FL_UNARY) {
    api_ClientRequestType req = api_ClientRequestType_init_zero;
    memcpy(req.vendor, "aws", 4);
    rc = api_ProdService_GetVendorProdTypes_call(d->ch, &d->call, &req, d->req, sizeof(d->req),
                                                 o->timeout_ms);
  } else {
    api_ClientRequestProds req = api_ClientRequestProds_init_zero;
    memcpy(req.vendor, "aws", 4);
    memcpy(req.productType, "storage", 8);
    rc = api_ProdService_GetVendorProds_call(d->ch, &d->call, &req, d->req, sizeof(d->req),
                                             o->timeout_ms);
  }
  if (rc != 0) { /* refused at once (the channel's backoff): a failed call */
    d->busy = 0;
    if (d->first) {
      d->first = 0;
      x->r->failed_connect++;
      if (++x->first_done == x->nidle && x->phase == 0) {
        x->r->ramp_us = now_us() - x->ramp_t0;
        hold_start(x);
      }
    } else if (x->phase == 1) {
      x->r->win[x->r->nwin].calls[d->kind]++;
      rpc_timer_start(x->loop, &d->pause, 10); /* not a spin through the backoff */
    }
  }
}

static int dev_init(fl_ctx_t *x, fl_dev_t *d, uint32_t i) {
  static const rpc_call_cbs_t cbs = {.on_message = on_msg, .on_close = on_close};
  const fl_opts_t *o = x->o;
  d->ctx = x;
  if (!(d->ch = rpc_channel_new(x->loop, o->addr))) return -1;
  if (o->src_count) {
    struct in_addr a = {htonl(o->src_base + i % o->src_count)};
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, ip, sizeof(ip));
    rpc_channel_set_source(d->ch, ip);
  }
  if (o->keepalive_ms) rpc_channel_set_keepalive(d->ch, o->keepalive_ms, o->keepalive_timeout_ms);
  if (x->tls) rpc_channel_set_tls(d->ch, x->tls, x->name);
  rpc_call_init(&d->call, &cbs, d);
  rpc_deframer_init(rpc_call_deframer(&d->call), NULL, 0, 1u << 20, rpc_heap_grow);
  d->pause.fn = on_pause;
  d->pause.arg = d;
  d->next.fn = on_next;
  d->next.arg = d;
  return 0;
}

/* The ramp: a few new idle devices a millisecond, --rate a second. */
static void on_ramp(rpc_timer_t *t) {
  fl_ctx_t *x = t->arg;
  uint32_t per_ms = x->o->rate / 1000 ? x->o->rate / 1000 : 1;
  uint64_t due = (now_us() - x->ramp_t0) * x->o->rate / 1000000u + 1;
  /* resuming, the first device's session is the others' to offer: they
   * wait for its first call */
  if (x->o->resume && x->tls && x->opened == 1 && x->first_done == 0) due = 1;
  for (uint32_t k = 0; k < per_ms * 4 && x->opened < x->nidle && x->opened < due; k++) {
    fl_dev_t *d = &x->devs[x->opened++];
    d->first = 1;
    start_call(d);
  }
  if (x->opened < x->nidle) rpc_timer_start(x->loop, t, 1);
}

/* Ends the hold's current window; the hold with it when it was the last. */
static void win_close(fl_ctx_t *x, int last) {
  uint64_t now = now_us();
  x->r->win[x->r->nwin++].us = now - x->win_t0;
  x->win_t0 = now;
  if (last || x->r->nwin == FL_WINDOWS || (x->o->windows && x->r->nwin == x->o->windows)) {
    x->r->hold_us = now - x->hold_t0;
    x->phase = 2;
  }
}

static void on_hold_end(rpc_timer_t *t) {
  win_close(t->arg, 1);
}

static void on_limit(rpc_timer_t *t) {
  fl_ctx_t *x = t->arg;
  if (x->phase == 1) win_close(x, 1);
  if (x->phase == 0) x->r->ramp_us = now_us() - x->ramp_t0;
  x->phase = 2;
}

/* SIGHUP with --windows: the next window of the hold (a benchmark marks
 * the moments its phases change, so that the same connections are
 * measured in each). Before the hold, nothing to cut. */
static void on_mark(void *arg) {
  fl_ctx_t *x = arg;
  if (x->phase == 1) win_close(x, 0);
}

int fl_run(const fl_opts_t *o, fl_result_t *r) {
  fl_ctx_t x = {0};
  x.o = o;
  x.r = r;
  x.nidle = o->channels;
  x.ndev = o->channels + o->active;
  r->channels = o->channels;
  char err[256];
  if (o->ca) {
    if (!(x.tls = rpc_tls_client_cfg(o->ca, o->cert, o->key, err, sizeof(err)))) {
      fprintf(stderr, "fleet: %s\n", err);
      return 1;
    }
    if (o->resume) rpc_tls_client_resume(x.tls);
    snprintf(x.name, sizeof(x.name), "%s", o->server_name ? o->server_name : "localhost");
  }
  if (o->windows) { /* SIGHUP through the loop's signalfd */
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    sigprocmask(SIG_BLOCK, &hup, NULL);
  }
  if (!(x.loop = rpc_loop_new()) || !(x.devs = calloc(x.ndev ? x.ndev : 1, sizeof(*x.devs)))) {
    fprintf(stderr, "fleet: out of memory\n");
    return 1;
  }
  for (uint32_t i = 0; i < x.ndev; i++) {
    if (dev_init(&x, &x.devs[i], i) != 0) {
      fprintf(stderr, "fleet: out of memory at device %u\n", i);
      return 1;
    }
    x.devs[i].active = i >= x.nidle;
  }
  x.ramp.fn = on_ramp;
  x.ramp.arg = &x;
  x.hold.fn = on_hold_end;
  x.hold.arg = &x;
  x.limit.fn = on_limit;
  x.limit.arg = &x;
  rpc_timer_start(x.loop, &x.limit, o->limit_ms);
  if (o->windows) rpc_loop_on_reload(x.loop, on_mark, &x);
  x.ramp_t0 = now_us();
  if (x.nidle)
    rpc_timer_start(x.loop, &x.ramp, 0);
  else
    hold_start(&x);
  /* an idle-only process, with --tick-ms, sleeps between turns in the
   * hold: its PINGs and their ACKs are handled a tick's worth at a time,
   * which spares this machine a wakeup each (the gateway sees the same
   * PINGs at the same rate) */
  struct timespec tick = {(time_t)(o->tick_ms / 1000), (long)(o->tick_ms % 1000) * 1000000L};
  while (x.phase < 2) {
    if (rpc_loop_turn(x.loop, -1) != 0) break;
    if (o->tick_ms && x.phase == 1 && !o->active) nanosleep(&tick, NULL);
  }
  for (uint32_t i = 0; i < x.nidle; i++)
    r->still_up += x.devs[i].up && rpc_channel_connected(x.devs[i].ch);
  r->lost = r->connected > r->still_up ? r->connected - r->still_up : 0;
  for (uint32_t i = 0; i < x.ndev; i++) {
    const rpc_link_stats_t *s = rpc_channel_stats(x.devs[i].ch);
    r->handshakes += s->handshakes;
    r->resumed += s->resumed;
    r->pings += s->pings;
  }
  /* the channels go without their calls' callbacks counting */
  x.phase = 2;
  for (uint32_t i = 0; i < x.ndev; i++) {
    rpc_timer_stop(x.loop, &x.devs[i].pause);
    rpc_loop_undefer(x.loop, &x.devs[i].next);
    rpc_channel_free(x.devs[i].ch);
    rpc_deframer_free(rpc_call_deframer(&x.devs[i].call));
  }
  free(x.devs);
  rpc_loop_free(x.loop);
  rpc_tls_cfg_free(x.tls);
  return 0;
}
