/* gw_health.h - the gateway's health: SERVING while a storage is READY
 * (gw_balancer.h: its health Watch says SERVING, or it has no health
 * service and answers), NOT_SERVING while none is. */
#ifndef GW_HEALTH_H
#define GW_HEALTH_H

#include "gw_balancer.h"
#include "rpc_health.h"

typedef struct gw_health {
  rpc_health_t health;
} gw_health_t;

/* NOT_SERVING until the balancer has a READY storage, then following it;
 * the methods for the server come from rpc_health_methods. Before
 * gw_lb_start. */
void gw_health_start(gw_health_t *g, gw_balancer_t *lb);

/* Ends Watch calls. */
void gw_health_stop(gw_health_t *g);

#endif /* GW_HEALTH_H */
