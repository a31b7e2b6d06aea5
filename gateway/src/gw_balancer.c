/*
 * gw_balancer.c - round robin over the storages whose grpc.health.v1 Watch
 * says SERVING. See gw_balancer.h.
 *
 * A Watch that ends (the storage stopped, its connection was lost) or that
 * reports anything but SERVING takes the storage out at once. A new Watch
 * begins after the backoff of the storage channel's link (10 ms doubling
 * by 1.6 to 1 s, jittered): a storage back from a restart is in use within
 * about a second. A storage without a health service (Watch answered
 * Unimplemented) counts as READY, as gRPC's client-side health checking
 * does, and is asked again every second: an unreachable one goes out then.
 */
#include <stdio.h>
#include <string.h>

#include <pb_decode.h>

#include "gw_balancer.h"
#include "health.cli.h"
#include "rpc_log.h"

#define GW_LB_RECHECK_MS 1000u /* a storage without health: ask again */
#define GW_LB_SERVICE "api.StorageService"

static const rpc_link_cfg_t watch_backoff = {
    .backoff_initial_ms = 10,
    .backoff_max_ms = 1000,
};

static void set_state(gw_backend_t *be, int state, const char *why) {
  gw_balancer_t *lb = be->lb;
  /* a storage that is not up from the start is never "out": its first
   * verdict is said once, not at every retry */
  if (be->state == GW_BE_CONNECTING && state == GW_BE_DOWN)
    rpc_log_at(RPC_LOG_WARN, "storage %s is not READY: %s", be->addr, why);
  if (be->state == state) return;
  size_t before = lb->ready;
  if (be->state == GW_BE_READY) {
    lb->ready--;
    rpc_log_at(RPC_LOG_WARN, "storage %s is out: %s", be->addr, why);
  }
  be->state = state;
  if (state == GW_BE_READY) {
    lb->ready++;
    rpc_log("storage %s is READY", be->addr);
  }
  if (!before != !lb->ready && lb->on_change) lb->on_change(lb->arg, lb->ready);
}

static void watch_start(gw_backend_t *be);

static void on_again(rpc_timer_t *t) {
  watch_start(t->arg);
}

/* The Watch is over or could not start: out, and another after the backoff. */
static void watch_lost(gw_backend_t *be, const char *why) {
  gw_balancer_t *lb = be->lb;
  uint32_t now = (uint32_t)rpc_loop_update_now(lb->loop);
  set_state(be, GW_BE_DOWN, why);
  rpc_link_failed(&be->backoff, now);
  /* the channel's own backoff after a failed connect, if longer: a Watch
   * before it ends would be refused at once */
  uint32_t wait = be->backoff.retry_at_ms - now, ch_wait = rpc_channel_backoff_ms(be->ch);
  if ((int32_t)wait < 0) wait = 0;
  rpc_timer_start(lb->loop, &be->again, ch_wait > wait ? ch_wait : wait);
}

static int on_watch_msg(rpc_call_t *call, const uint8_t *msg, size_t len) {
  gw_backend_t *be = rpc_call_user(call);
  grpc_health_v1_HealthCheckResponse r = grpc_health_v1_HealthCheckResponse_init_zero;
  pb_istream_t s = pb_istream_from_buffer(msg, len);
  if (!pb_decode(&s, grpc_health_v1_HealthCheckResponse_fields, &r)) return 1;
  if (r.status == grpc_health_v1_HealthCheckResponse_ServingStatus_SERVING) {
    rpc_link_init(&be->backoff, &watch_backoff); /* a later loss starts at 10 ms again */
    set_state(be, GW_BE_READY, NULL);
  } else {
    set_state(be, GW_BE_DOWN, "its health is NOT_SERVING");
  }
  return 0;
}

static void on_watch_close(rpc_call_t *call) {
  gw_backend_t *be = rpc_call_user(call);
  be->watching = 0;
  if (be->lb->stopped) return;
  int code = rpc_call_code(call);
  if (code == RPC_CODE_UNIMPLEMENTED) { /* no health service: it answers, so it is up */
    set_state(be, GW_BE_READY, NULL);
    rpc_timer_start(be->lb->loop, &be->again, GW_LB_RECHECK_MS);
    return;
  }
  char why[RPC_CLIENT_MSG_LEN + 32];
  snprintf(why, sizeof(why), "health watch ended: %s", rpc_call_message(call));
  watch_lost(be, why);
}

static void watch_start(gw_backend_t *be) {
  static const rpc_call_cbs_t cbs = {.on_message = on_watch_msg, .on_close = on_watch_close};
  if (be->watching || be->lb->stopped) return;
  rpc_call_init(&be->watch, &cbs, be);
  rpc_deframer_init(rpc_call_deframer(&be->watch), be->watch_buf, sizeof(be->watch_buf),
                    sizeof(be->watch_buf), NULL);
  grpc_health_v1_HealthCheckRequest req = grpc_health_v1_HealthCheckRequest_init_zero;
  snprintf(req.service, sizeof(req.service), "%s", GW_LB_SERVICE);
  if (grpc_health_v1_Health_Watch_call(be->ch, &be->watch, &req, be->watch_req,
                                       sizeof(be->watch_req), 0) != RPC_OK) {
    const char *why = rpc_channel_why(be->ch);
    watch_lost(be, why ? why : "cannot be reached");
    return;
  }
  be->watching = 1;
}

int gw_lb_parse(const char *list) {
  size_t n = 0;
  for (const char *s = list;; n++) {
    const char *e = strchr(s, ',');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    char addr[128], host[128];
    uint16_t port;
    if (n == GW_LB_MAX || len == 0 || len >= sizeof(addr)) return -1;
    memcpy(addr, s, len);
    addr[len] = '\0';
    if (rpc_addr_split(addr, host, sizeof(host), &port) != RPC_OK || !host[0]) return -1;
    if (!e) return 0;
    s = e + 1;
  }
}

int gw_lb_init(gw_balancer_t *lb, rpc_loop_t *loop, const char *list) {
  memset(lb, 0, sizeof(*lb));
  lb->loop = loop;
  for (const char *s = list; s && *s && lb->n < GW_LB_MAX;) {
    const char *e = strchr(s, ',');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    gw_backend_t *be = &lb->be[lb->n];
    snprintf(be->addr, sizeof(be->addr), "%.*s", (int)len, s);
    be->lb = lb;
    be->again.fn = on_again;
    be->again.arg = be;
    rpc_link_init(&be->backoff, &watch_backoff);
    if (!(be->ch = rpc_channel_new(loop, be->addr))) {
      gw_lb_free(lb);
      return -1;
    }
    /* the Watch retries on the backoff; a device's call may not wait for
     * it: storage that is back takes the very next call */
    rpc_channel_set_call_dials(be->ch, 1);
    lb->n++;
    s = e ? e + 1 : NULL;
  }
  /* with several storages a refused call goes to another (gw_prod_service.c),
   * not again to the one that refused it */
  if (lb->n > 1)
    for (size_t i = 0; i < lb->n; i++)
      rpc_channel_set_retry(lb->be[i].ch, 0);
  return lb->n ? 0 : -1;
}

void gw_lb_set_tls(gw_balancer_t *lb, rpc_tls_cfg_t *cfg, const char *server_name) {
  for (size_t i = 0; i < lb->n; i++) {
    char host[128];
    const char *name = server_name;
    if (!name && rpc_addr_server_name(lb->be[i].addr, host, sizeof(host)) == RPC_OK) name = host;
    rpc_channel_set_tls(lb->be[i].ch, cfg, name ? name : "");
  }
}

void gw_lb_set_keepalive(gw_balancer_t *lb, uint32_t ms, uint32_t timeout_ms) {
  for (size_t i = 0; i < lb->n; i++)
    rpc_channel_set_keepalive(lb->be[i].ch, ms, timeout_ms);
}

void gw_lb_start(gw_balancer_t *lb) {
  for (size_t i = 0; i < lb->n; i++)
    watch_start(&lb->be[i]);
}

gw_backend_t *gw_lb_pick(gw_balancer_t *lb, const gw_backend_t *avoid) {
  int want_ready = lb->ready > (avoid && avoid->state == GW_BE_READY ? 1u : 0u);
  for (size_t k = 0; k < lb->n; k++) {
    gw_backend_t *be = &lb->be[(lb->next + k) % lb->n];
    if (be == avoid || (want_ready && be->state != GW_BE_READY)) continue;
    lb->next = (size_t)(be - lb->be) + 1;
    return be;
  }
  return NULL;
}

void gw_lb_stop(gw_balancer_t *lb) {
  lb->stopped = 1;
  for (size_t i = 0; i < lb->n; i++) {
    gw_backend_t *be = &lb->be[i];
    rpc_timer_stop(lb->loop, &be->again);
    if (be->watching) rpc_channel_cancel(be->ch, &be->watch);
  }
}

void gw_lb_free(gw_balancer_t *lb) {
  lb->stopped = 1; /* a Watch the channel closes now starts no other */
  for (size_t i = 0; i < lb->n; i++) {
    rpc_timer_stop(lb->loop, &lb->be[i].again);
    rpc_channel_free(lb->be[i].ch);
    lb->be[i].ch = NULL;
  }
  lb->n = 0;
}
