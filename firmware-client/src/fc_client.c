/* fc_client.c - one ProdService call: encode the request into a static
 * buffer, open the port's transport, pump the rpc client core over it,
 * decode each response message into a static struct. */
#include "rpc_opt.h" /* first: the build's tunables */

#include <stdio.h>
#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "fc_arena.h"
#include "fc_client.h"
#include "fc_tls.h"
#include "port.h"
#include "rpc_client.h"
#include "rpc_pump.h"

#define FC_CONNECT_MS 3000u
#define FC_HOST_LEN 128u /* a DNS name, or an IPv6 address without its brackets */

#define MAX2(a, b) ((a) > (b) ? (a) : (b))
/* Largest response the board accepts: anything bigger is ResourceExhausted. */
#define FC_RX_MSG_MAX MAX2(api_ClientResponseProds_size, api_ClientResponseType_size)
#define FC_TX_MSG_MAX MAX2(api_ClientRequestProds_size, api_ClientRequestType_size)

/* One call at a time, so one set of static buffers. */
static uint8_t rx_msg[FC_RX_MSG_MAX];
static uint8_t tx_msg[FC_TX_MSG_MAX];
static rpc_client_t client;
static rpc_call_t call;

typedef struct {
  const pb_msgdesc_t *fields;
  void *dst;
  fc_product_fn on_product;
  void *arg;
} fc_ctx_t;

static void set_st(fc_status_t *st, int code, const char *msg) {
  st->code = code;
  snprintf(st->message, sizeof(st->message), "%s", msg);
}

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
    set_st(st, RPC_CODE_INVALID_ARGUMENT, m);
    return -1;
  }
  memcpy(dst, src, n + 1);
  return 0;
}

/* Runs one call whose request is already encoded in tx_msg[len]. */
static int run_call(const fc_cfg_t *cfg, const char *path, size_t len, fc_ctx_t *ctx,
                    fc_status_t *st) {
  port_transport_t t;
  char host[FC_HOST_LEN];
  uint16_t port;
  uint32_t start = port_time_ms();
  if (rpc_addr_split(cfg->addr ? cfg->addr : "", host, sizeof(host), &port) != RPC_OK) {
    char m[FC_STATUS_MSG_LEN];
    RPC_ERRF(m, sizeof(m), "connection error: bad address \"%s\"", cfg->addr ? cfg->addr : "");
    set_st(st, RPC_CODE_UNAVAILABLE, m);
    return st->code;
  }
  int r = port_net_open(&t, host, port, FC_CONNECT_MS);
  if (r != PORT_OK) {
    char m[FC_STATUS_MSG_LEN];
    RPC_ERRF(m, sizeof(m), "connection error: dial tcp %s: %s", cfg->addr ? cfg->addr : "",
             port_strerror(r));
    set_st(st, RPC_CODE_UNAVAILABLE, m);
    return st->code;
  }
  if (cfg->tls) {
    char why[FC_STATUS_MSG_LEN - 40];
    uint32_t spent = port_time_ms() - start;
    uint32_t left = cfg->timeout_ms > spent ? cfg->timeout_ms - spent : 1u;
    if (fc_tls_open(&t, cfg->tls, cfg->timeout_ms ? left : 0, why, sizeof(why)) != 0) {
      char m[FC_STATUS_MSG_LEN];
      RPC_ERRF(m, sizeof(m), "connection error: %s", why);
      port_net_close(&t);
      set_st(st, RPC_CODE_UNAVAILABLE, m);
      return st->code;
    }
  }
  rpc_client_cfg_t ccfg = {0};
  ccfg.authority = cfg->addr ? cfg->addr : "localhost";
  ccfg.tls = cfg->tls != NULL;
  ccfg.mem = fc_arena_mem();
  ccfg.header_table_size = FC_HEADER_TABLE_SIZE;
  ccfg.initial_window_size = FC_WINDOW_SIZE;
  if (rpc_client_init(&client, &ccfg) != RPC_OK) {
    fc_tls_close(&t);
    port_net_close(&t);
    set_st(st, RPC_CODE_RESOURCE_EXHAUSTED,
           RPC_ERRSTR("the arena is too small for the HTTP/2 session"));
    return st->code;
  }
  /* the deadline counts from the start, connection included */
  uint32_t spent = port_time_ms() - start;
  uint32_t left = cfg->timeout_ms ? (cfg->timeout_ms > spent ? cfg->timeout_ms - spent : 1u) : 0u;
  static const rpc_call_cbs_t cbs = {.on_message = on_message};
  rpc_call_init(&call, &cbs, ctx);
  rpc_deframer_init(rpc_call_deframer(&call), rx_msg, sizeof(rx_msg), sizeof(rx_msg), NULL);
  if (rpc_client_start(&client, &call, path, tx_msg, len, left, port_time_ms()) != RPC_OK) {
    set_st(st, RPC_CODE_INTERNAL, RPC_ERRSTR("cannot start the call"));
  } else {
    rpc_pump_run(&client, &t);
    /* one wording for an expired deadline, whichever side noticed first
     * (a grpcio server says "Deadline Exceeded"): docs/design.md */
    int code = rpc_call_code(&call),
        expired = code == RPC_CODE_DEADLINE_EXCEEDED && cfg->timeout_ms;
    set_st(st, code, expired ? RPC_MSG_DEADLINE : rpc_call_message(&call));
  }
  rpc_client_free(&client);
  fc_tls_close(&t);
  port_net_close(&t);
  return st->code;
}

int fc_get_prod_types(const fc_cfg_t *cfg, const char *vendor, char *out, size_t cap,
                      fc_status_t *st) {
  static api_ClientRequestType req;
  static api_ClientResponseType resp;
  memset(&req, 0, sizeof(req));
  memset(&resp, 0, sizeof(resp));
  if (copy_field(req.vendor, sizeof(req.vendor), vendor, "vendor", st)) return st->code;
  pb_ostream_t os = pb_ostream_from_buffer(tx_msg, sizeof(tx_msg));
  if (!pb_encode(&os, api_ClientRequestType_fields, &req)) {
    set_st(st, RPC_CODE_INTERNAL, RPC_ERRSTR("cannot encode the request"));
    return st->code;
  }
  fc_ctx_t ctx = {api_ClientResponseType_fields, &resp, NULL, NULL};
  if (run_call(cfg, "/api.ProdService/GetVendorProdTypes", os.bytes_written, &ctx, st) == 0)
    snprintf(out, cap, "%s", resp.productType);
  return st->code;
}

int fc_get_prods(const fc_cfg_t *cfg, const char *vendor, const char *type,
                 fc_product_fn on_product, void *arg, fc_status_t *st) {
  static api_ClientRequestProds req;
  static api_ClientResponseProds resp;
  memset(&req, 0, sizeof(req));
  if (copy_field(req.vendor, sizeof(req.vendor), vendor, "vendor", st) ||
      copy_field(req.productType, sizeof(req.productType), type, "productType", st))
    return st->code;
  pb_ostream_t os = pb_ostream_from_buffer(tx_msg, sizeof(tx_msg));
  if (!pb_encode(&os, api_ClientRequestProds_fields, &req)) {
    set_st(st, RPC_CODE_INTERNAL, RPC_ERRSTR("cannot encode the request"));
    return st->code;
  }
  fc_ctx_t ctx = {api_ClientResponseProds_fields, &resp, on_product, arg};
  return run_call(cfg, "/api.ProdService/GetVendorProds", os.bytes_written, &ctx, st);
}
