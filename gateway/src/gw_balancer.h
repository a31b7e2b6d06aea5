/*
 * gw_balancer.h - the gateway's storages (`--storage ADDR[,ADDR...]`): one
 * channel to each, each health-checked by a grpc.health.v1 Watch stream,
 * calls picked round robin among those the Watch says are SERVING (gRPC's
 * round_robin policy over READY subchannels). A storage whose Watch ends or
 * fails is out until a new Watch, after the link's backoff (rpc_link.h),
 * says it serves again.
 */
#ifndef GW_BALANCER_H
#define GW_BALANCER_H

#include "health.pb.h"
#include "rpc_channel.h"

#define GW_LB_MAX 16 /* storages per gateway */

enum { GW_BE_CONNECTING = 0, GW_BE_READY, GW_BE_DOWN };

typedef struct gw_backend {
  struct gw_balancer *lb;
  char addr[128];
  rpc_channel_t *ch;
  int state;    /* GW_BE_* */
  int watching; /* the Watch call is open */
  rpc_call_t watch;
  uint8_t watch_req[grpc_health_v1_HealthCheckRequest_size];
  uint8_t watch_buf[32]; /* a HealthCheckResponse is 2 bytes */
  rpc_link_t backoff;    /* when the next Watch may begin */
  rpc_timer_t again;
} gw_backend_t;

typedef struct gw_balancer {
  rpc_loop_t *loop;
  gw_backend_t be[GW_LB_MAX];
  size_t n;
  size_t next;  /* the round robin's cursor */
  size_t ready; /* storages READY now */
  int stopped;
  /* told when ready goes from 0 to more, or back to 0; may be NULL */
  void (*on_change)(void *arg, size_t ready);
  void *arg;
} gw_balancer_t;

/* Checks a "HOST:PORT[,HOST:PORT...]" list: 0, or -1 if an entry is not an
 * address or there are more than GW_LB_MAX. */
int gw_lb_parse(const char *list);

/* One channel per address of list (gw_lb_parse'd). Nothing is dialled yet.
 * Returns 0, or -1 (no memory; whatever was made is freed). */
int gw_lb_init(gw_balancer_t *lb, rpc_loop_t *loop, const char *list);

/* TLS to every storage, verified for server_name, or for each address's
 * host when server_name is NULL; lb does not own cfg. */
void gw_lb_set_tls(gw_balancer_t *lb, rpc_tls_cfg_t *cfg, const char *server_name);

/* Keepalive on every storage channel (rpc_channel_set_keepalive). */
void gw_lb_set_keepalive(gw_balancer_t *lb, uint32_t ms, uint32_t timeout_ms);

/* Starts the Watch streams. */
void gw_lb_start(gw_balancer_t *lb);

/* The storage for the next call: the next READY one after the last pick,
 * other than avoid if another is READY. When none is READY every storage
 * is tried in turn (a storage that just came back, before its Watch says
 * so; and with one storage, the call's own error is the answer). NULL only
 * when the only storage is avoid. */
gw_backend_t *gw_lb_pick(gw_balancer_t *lb, const gw_backend_t *avoid);

/* Ends the Watch streams (before the loop stops). */
void gw_lb_stop(gw_balancer_t *lb);

/* Closes the channels. */
void gw_lb_free(gw_balancer_t *lb);

#endif /* GW_BALANCER_H */
