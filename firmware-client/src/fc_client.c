/* fc_client.c - ProdService calls: encode the request into a static buffer,
 * run it on the channel (fc_channel.c), decode each response message into a
 * static struct. */
#include "rpc_opt.h" /* first: the build's tunables */

#include <stdio.h>
#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "fc_client.h"
#include "rpc_client.h"

#define MAX2(a, b) ((a) > (b) ? (a) : (b))
/* Largest response the board accepts: anything bigger is ResourceExhausted. */
#define FC_RX_MSG_MAX MAX2(api_ClientResponseProds_size, api_ClientResponseType_size)
#define FC_TX_MSG_MAX MAX2(api_ClientRequestProds_size, api_ClientRequestType_size)

/* One call at a time, so one set of static buffers. */
static uint8_t rx_msg[FC_RX_MSG_MAX];
static uint8_t tx_msg[FC_TX_MSG_MAX];
static rpc_call_t call;

typedef struct {
  const pb_msgdesc_t *fields;
  void *dst;
  fc_product_fn on_product;
  void *arg;
} fc_ctx_t;

static int on_message(rpc_call_t *c, const uint8_t *msg, size_t len) {
  fc_ctx_t *ctx = rpc_call_user(c);
  pb_istream_t in = pb_istream_from_buffer(msg, len);
  if (!pb_decode(&in, ctx->fields, ctx->dst)) return 1; /* Internal: cannot decode */
  if (ctx->on_product) {
    api_ClientResponseProds *r = ctx->dst;
    ctx->on_product(ctx->arg, &r->product);
  }
  return 0;
}

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

/* Runs one call whose request is already encoded in tx_msg[len]. */
static int run_call(fc_channel_t *ch, const char *path, size_t len, fc_ctx_t *ctx,
                    fc_status_t *st) {
  static const rpc_call_cbs_t cbs = {.on_message = on_message};
  rpc_call_init(&call, &cbs, ctx);
  rpc_deframer_init(rpc_call_deframer(&call), rx_msg, sizeof(rx_msg), sizeof(rx_msg), NULL);
  return fc_channel_call(ch, &call, path, tx_msg, len, st);
}

int fc_get_prod_types(fc_channel_t *ch, const char *vendor, char *out, size_t cap,
                      fc_status_t *st) {
  static api_ClientRequestType req;
  static api_ClientResponseType resp;
  memset(&req, 0, sizeof(req));
  memset(&resp, 0, sizeof(resp));
  if (copy_field(req.vendor, sizeof(req.vendor), vendor, "vendor", st)) return st->code;
  pb_ostream_t os = pb_ostream_from_buffer(tx_msg, sizeof(tx_msg));
  if (!pb_encode(&os, api_ClientRequestType_fields, &req)) {
    fc_status_set(st, RPC_CODE_INTERNAL, RPC_ERRSTR("cannot encode the request"));
    return st->code;
  }
  fc_ctx_t ctx = {api_ClientResponseType_fields, &resp, NULL, NULL};
  if (run_call(ch, "/api.ProdService/GetVendorProdTypes", os.bytes_written, &ctx, st) == 0)
    snprintf(out, cap, "%s", resp.productType);
  return st->code;
}

int fc_get_prods(fc_channel_t *ch, const char *vendor, const char *type, fc_product_fn on_product,
                 void *arg, fc_status_t *st) {
  static api_ClientRequestProds req;
  static api_ClientResponseProds resp;
  memset(&req, 0, sizeof(req));
  if (copy_field(req.vendor, sizeof(req.vendor), vendor, "vendor", st) ||
      copy_field(req.productType, sizeof(req.productType), type, "productType", st))
    return st->code;
  pb_ostream_t os = pb_ostream_from_buffer(tx_msg, sizeof(tx_msg));
  if (!pb_encode(&os, api_ClientRequestProds_fields, &req)) {
    fc_status_set(st, RPC_CODE_INTERNAL, RPC_ERRSTR("cannot encode the request"));
    return st->code;
  }
  fc_ctx_t ctx = {api_ClientResponseProds_fields, &resp, on_product, arg};
  return run_call(ch, "/api.ProdService/GetVendorProds", os.bytes_written, &ctx, st);
}
