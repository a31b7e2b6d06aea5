/* gw_health.h - the gateway's health: SERVING while storage answers,
 * NOT_SERVING while it cannot be reached; a probe every second finds out. */
#ifndef GW_HEALTH_H
#define GW_HEALTH_H

#include "rpc_channel.h"
#include "rpc_health.h"

#define GW_PROBE_MS 1000u

typedef struct gw_health {
  rpc_health_t health;
  rpc_loop_t *loop;
  rpc_channel_t *storage;
  rpc_timer_t timer;
  rpc_call_t probe;
  int probing;
} gw_health_t;

/* Starts the probe; the methods for the server come from rpc_health_methods. */
void gw_health_start(gw_health_t *g, rpc_loop_t *loop, rpc_channel_t *storage);

/* What a storage call just showed about storage (its status code). */
void gw_health_saw(gw_health_t *g, int code);

/* Stops the probe and ends Watch calls. */
void gw_health_stop(gw_health_t *g);

#endif /* GW_HEALTH_H */
