/*
 * fc_client.h - the firmware client library: ProdService calls with static
 * memory. Messages are nanopb structs in fixed buffers (bounds in
 * proto/api.options); nghttp2 lives in the arena (fc_arena.h); the network
 * and the clock come from the port (port.h). One call at a time.
 */
#ifndef FC_CLIENT_H
#define FC_CLIENT_H

#include "rpc_opt.h" /* first: FC_STATUS_MSG_LEN sizes fc_status_t */

#include <stddef.h>
#include <stdint.h>

#include "api.pb.h"

/* Where and how long: addr "HOST:PORT" (ignored by serial ports), the whole
 * call's deadline in milliseconds (0: none), TLS settings (fc_tls.h). */
typedef struct fc_cfg {
  const char *addr;
  uint32_t timeout_ms;
  const struct fc_tls_opts *tls; /* NULL: plaintext h2c */
} fc_cfg_t;

/* A call's outcome: a gRPC code (0 is OK) and its message. */
typedef struct fc_status {
  int code;
  char message[FC_STATUS_MSG_LEN];
} fc_status_t;

/* Called for each streamed product, as it arrives. */
typedef void (*fc_product_fn)(void *arg, const api_ProdsPrep *product);

/* ProdService.GetVendorProdTypes: on OK, out (cap bytes) holds productType.
 * Returns the gRPC code, also left in *st with its message. */
int fc_get_prod_types(const fc_cfg_t *cfg, const char *vendor, char *out, size_t cap,
                      fc_status_t *st);

/* ProdService.GetVendorProds: on_product runs for each product received,
 * before the final status. Returns the gRPC code (in *st too). */
int fc_get_prods(const fc_cfg_t *cfg, const char *vendor, const char *type,
                 fc_product_fn on_product, void *arg, fc_status_t *st);

#endif /* FC_CLIENT_H */
