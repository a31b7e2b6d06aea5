/*
 * fc_client.h - the firmware client library: ProdService calls over a
 * channel (fc_channel.h), with static memory. Messages are nanopb structs in
 * fixed buffers (bounds in proto/api.options); nghttp2 lives in the arena
 * (fc_arena.h); the network and the clock come from the port (port.h). One
 * call at a time.
 */
#ifndef FC_CLIENT_H
#define FC_CLIENT_H

#include "fc_call.h"
#include "fc_channel.h"

#include "api.pb.h"

/* Called for each streamed product, as it arrives. */
typedef void (*fc_product_fn)(void *arg, const api_ProdsPrep *product);

/* Request metadata for every call below from now on (the CLI's
 * --traceparent): md[n] must outlive them; n 0 sends none. */
void fc_client_metadata(const fc_md_t *md, size_t n);

/* ProdService.GetVendorProdTypes: on OK, out (cap bytes) holds productType.
 * Returns the gRPC code, also left in *st with its message. */
int fc_get_prod_types(fc_channel_t *ch, const char *vendor, char *out, size_t cap, fc_status_t *st);

/* ProdService.GetVendorProds: on_product runs for each product received,
 * before the final status. Returns the gRPC code (in *st too). */
int fc_get_prods(fc_channel_t *ch, const char *vendor, const char *type, fc_product_fn on_product,
                 void *arg, fc_status_t *st);

#endif /* FC_CLIENT_H */
