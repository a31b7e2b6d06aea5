/* fc_client.c - the article's two ProdService calls, as thin wrappers of
 * the stubs that tools/protoc-gen-fc generates from proto/api.proto
 * (build/gen/api.fc.h): one call slot sized for ProdService's messages,
 * the request filled from C strings, each product handed over as it is
 * decoded. */
#include "rpc_opt.h" /* first: the build's tunables */

#include <stdio.h>
#include <string.h>

#include "api.fc.h"
#include "fc_client.h"

#define MAX2(a, b) ((a) > (b) ? (a) : (b))
/* Largest response the board accepts: anything bigger is ResourceExhausted. */
#define FC_RX_MSG_MAX                                                                              \
  MAX2(api_ProdService_GetVendorProds_RX_MAX, api_ProdService_GetVendorProdTypes_RX_MAX)
#define FC_TX_MSG_MAX                                                                              \
  MAX2(api_ProdService_GetVendorProds_TX_MAX, api_ProdService_GetVendorProdTypes_TX_MAX)

/* The article's client makes one call at a time: one slot. */
FC_CALL_DEFINE(slot, FC_RX_MSG_MAX, FC_TX_MSG_MAX);

/* Both calls' options: zero (the channel's defaults) but for the metadata
 * fc_client_metadata gives. */
static fc_call_opts_t opts;

void fc_client_metadata(const fc_md_t *md, size_t n) {
  opts.md = md;
  opts.md_count = n;
}

static void setup(void) {
  if (!slot.rx) FC_CALL_SETUP(slot);
}

typedef struct {
  fc_product_fn on_product;
  void *arg;
} fc_ctx_t;

static int copy_field(char *dst, size_t cap, const char *src, const char *what, fc_status_t *st) {
  size_t n = strlen(src);
  if (n >= cap) {
    char m[64];
    RPC_ERRF(m, sizeof(m), "%s is longer than %u bytes", what, (unsigned)(cap - 1));
    fc_status_set(st, RPC_CODE_INVALID_ARGUMENT, m);
    return -1;
  }
  memcpy(dst, src, n + 1);
  return 0;
}

int fc_get_prod_types(fc_channel_t *ch, const char *vendor, char *out, size_t cap,
                      fc_status_t *st) {
  static api_ClientRequestType req;
  static api_ClientResponseType resp;
  setup();
  memset(&req, 0, sizeof(req));
  if (copy_field(req.vendor, sizeof(req.vendor), vendor, "vendor", st)) return st->code;
  if (api_ProdService_GetVendorProdTypes(&slot, ch, &req, &resp, &opts, st) == 0)
    snprintf(out, cap, "%s", resp.productType);
  return st->code;
}

static int product_cb(fc_call_t *call, void *msg, void *arg) {
  const fc_ctx_t *ctx = arg;
  const api_ClientResponseProds *r = msg;
  (void)call;
  if (ctx->on_product) ctx->on_product(ctx->arg, &r->product);
  return 0;
}

int fc_get_prods(fc_channel_t *ch, const char *vendor, const char *type, fc_product_fn on_product,
                 void *arg, fc_status_t *st) {
  static api_ClientRequestProds req;
  static api_ClientResponseProds resp;
  setup();
  memset(&req, 0, sizeof(req));
  if (copy_field(req.vendor, sizeof(req.vendor), vendor, "vendor", st) ||
      copy_field(req.productType, sizeof(req.productType), type, "productType", st))
    return st->code;
  fc_ctx_t ctx = {on_product, arg};
  return api_ProdService_GetVendorProds(&slot, ch, &req, &resp, product_cb, &ctx, &opts, st);
}
