/* gw_prod_service.h - ProdService on the rpc server, calling storage over
 * one rpc channel. */
#ifndef GW_PROD_SERVICE_H
#define GW_PROD_SERVICE_H

#include <stdint.h>

#include "rpc_channel.h"
#include "rpc_server.h"

struct gw_health;

typedef struct gw_service {
  rpc_loop_t *loop;
  struct gw_health *health; /* told what each storage call shows; may be NULL */
  rpc_channel_t *storage;
  uint32_t stream_delay_ms; /* the article's per-product sleep, as a timer */
  void *pool;               /* free GetVendorProds states */
} gw_service_t;

/* Fills out[] (room for 2) with ProdService's methods for svc, every field
 * they do not use zero, and sets *n to the count. */
void gw_service_methods(gw_service_t *svc, rpc_method_t *out, size_t *n);

/* Frees the pooled call states. */
void gw_service_free(gw_service_t *svc);

#endif /* GW_PROD_SERVICE_H */
