/* gw_health.c - the storages' readiness as the gateway's grpc.health.v1
 * status, for a load balancer in front of gateways. */
#include "gw_health.h"

static void set_all(gw_health_t *g, int status) {
  rpc_health_set(&g->health, "", status);
  rpc_health_set(&g->health, "api.ProdService", status);
}

static void on_change(void *arg, size_t ready) {
  set_all(arg, ready ? RPC_HEALTH_SERVING : RPC_HEALTH_NOT_SERVING);
}

void gw_health_start(gw_health_t *g, gw_balancer_t *lb) {
  set_all(g, RPC_HEALTH_NOT_SERVING); /* until a storage is READY */
  lb->on_change = on_change;
  lb->arg = g;
}

void gw_health_stop(gw_health_t *g) {
  rpc_health_free(&g->health);
}
