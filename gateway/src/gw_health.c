/* gw_health.c - storage reachability as grpc.health.v1 status. Any answer
 * from storage, even Unimplemented (a storage without a health service),
 * means it is reachable; Unavailable or no answer in time means it is not. */
#include <string.h>

#include "gw_health.h"

static const uint8_t empty_req[1];

static void set_all(gw_health_t *g, int status) {
  rpc_health_set(&g->health, "", status);
  rpc_health_set(&g->health, "api.ProdService", status);
}

void gw_health_saw(gw_health_t *g, int code) {
  int down = code == RPC_CODE_UNAVAILABLE;
  set_all(g, down ? RPC_HEALTH_NOT_SERVING : RPC_HEALTH_SERVING);
}

static void on_probe_close(rpc_call_t *call) {
  gw_health_t *g = rpc_call_user(call);
  int code = rpc_call_code(call);
  g->probing = 0;
  rpc_deframer_free(rpc_call_deframer(call));
  gw_health_saw(g, code == RPC_CODE_DEADLINE_EXCEEDED ? RPC_CODE_UNAVAILABLE : code);
}

static void on_probe(rpc_timer_t *t) {
  gw_health_t *g = t->arg;
  rpc_timer_start(g->loop, &g->timer, GW_PROBE_MS);
  if (g->probing) return;
  static const rpc_call_cbs_t cbs = {.on_close = on_probe_close};
  rpc_call_init(&g->probe, &cbs, g);
  rpc_deframer_init(rpc_call_deframer(&g->probe), NULL, 0, 64, rpc_heap_grow);
  if (rpc_channel_start(g->storage, &g->probe, "/grpc.health.v1.Health/Check", empty_req, 0,
                        GW_PROBE_MS) != RPC_OK) {
    rpc_deframer_free(rpc_call_deframer(&g->probe));
    gw_health_saw(g, RPC_CODE_UNAVAILABLE);
    return;
  }
  g->probing = 1;
}

void gw_health_start(gw_health_t *g, rpc_loop_t *loop, rpc_channel_t *storage) {
  g->loop = loop;
  g->storage = storage;
  set_all(g, RPC_HEALTH_NOT_SERVING); /* until storage has answered */
  g->timer.fn = on_probe;
  g->timer.arg = g;
  rpc_timer_start(loop, &g->timer, 0);
}

void gw_health_stop(gw_health_t *g) {
  rpc_timer_stop(g->loop, &g->timer);
  if (g->probing) rpc_channel_cancel(g->storage, &g->probe);
  rpc_health_free(&g->health);
}
