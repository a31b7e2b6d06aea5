/*
 * fuzz_storage.c - storage's request handling, the honest way: the fuzz
 * input is the request message of a well-formed GetProdsDetail call (HTTP/2
 * preface, SETTINGS, HEADERS, one DATA frame with the gRPC prefix and the
 * input), built with nghttp2's client API and sent to the real server
 * (fuzz_server_harness.c) whose StorageService runs over an in-memory SQLite
 * catalogue.
 *
 * The server's answer is read back with the same nghttp2 client session and
 * checked, so a wrong answer is a finding too: every request gets HTTP 200
 * and a grpc-status, which is OK (one StorageResponse whose products all
 * decode, at least one of them) or InvalidArgument (no message), in fields
 * that are all valid HTTP/2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>
#include <pb_decode.h>

#include "api.pb.h"
#include "fuzz_server_harness.h"
#include "rpc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PATH "/api.StorageService/GetProdsDetail"
/* the whole request must fit the stream's initial flow-control window,
 * since the harness sends it before reading the server's SETTINGS */
#define MAX_REQ 60000u

typedef struct {
  const uint8_t *req;
  size_t len, off;
  uint8_t prefix[5];
  /* the answer */
  int http_status;
  int got_status, code;
  int closed;
  rpc_deframer_t df;
  int nmsgs, products, bad_msg;
  char invalid[160]; /* the first response field nghttp2 found invalid */
} fz_call_t;

static uint8_t tx[MAX_REQ + 1024];
static uint8_t rx[1u << 20];

static ssize_t read_req(nghttp2_session *s, int32_t sid, uint8_t *buf, size_t len, uint32_t *flags,
                        nghttp2_data_source *src, void *ud) {
  (void)s, (void)sid, (void)ud;
  fz_call_t *c = src->ptr;
  size_t total = 5 + c->len, n = 0;
  while (n < len && c->off < total) {
    if (c->off < 5)
      buf[n++] = c->prefix[c->off++];
    else {
      size_t k = total - c->off < len - n ? total - c->off : len - n;
      memcpy(buf + n, c->req + (c->off - 5), k);
      n += k;
      c->off += k;
    }
  }
  if (c->off == total) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *ud) {
  (void)s, (void)f, (void)flags;
  fz_call_t *c = ud;
  if (nlen == 7 && memcmp(name, ":status", 7) == 0) {
    c->http_status = 0;
    for (size_t i = 0; i < vlen; i++)
      c->http_status = c->http_status * 10 + (value[i] - '0');
  } else if (nlen == 11 && memcmp(name, "grpc-status", 11) == 0) {
    c->got_status = 1;
    c->code = rpc_code_parse((const char *)value, vlen);
  }
  return 0;
}

/* A field RFC 9113 forbids (8.2.1: no leading or trailing whitespace in a
 * value, ...): strict peers, nghttp2 among them, reset the stream for it. */
static int on_invalid_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
                             size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags,
                             void *ud) {
  (void)s, (void)f, (void)flags;
  fz_call_t *c = ud;
  if (!c->invalid[0])
    snprintf(c->invalid, sizeof(c->invalid), "%.*s: \"%.*s\"", (int)nlen, name, (int)vlen, value);
  return 0;
}

static bool decode_product(pb_istream_t *in, const pb_field_t *field, void **arg) {
  (void)field;
  fz_call_t *c = *arg;
  api_Product p = api_Product_init_zero;
  if (!pb_decode(in, api_Product_fields, &p)) return false;
  c->products++;
  return true;
}

static int on_msg(void *arg, const uint8_t *msg, size_t len) {
  fz_call_t *c = arg;
  api_StorageResponse r = api_StorageResponse_init_zero;
  r.prodDetail.funcs.decode = decode_product;
  r.prodDetail.arg = c;
  pb_istream_t in = pb_istream_from_buffer(msg, len);
  c->nmsgs++;
  if (!pb_decode(&in, api_StorageResponse_fields, &r)) c->bad_msg = 1;
  return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t sid, const uint8_t *data, size_t len,
                   void *ud) {
  (void)s, (void)flags, (void)sid;
  fz_call_t *c = ud;
  if (rpc_deframer_feed(&c->df, data, len, on_msg, c) != RPC_OK) c->bad_msg = 1;
  return 0;
}

static int on_close(nghttp2_session *s, int32_t sid, uint32_t err, void *ud) {
  (void)s, (void)sid, (void)err;
  ((fz_call_t *)ud)->closed = 1;
  return 0;
}

static void *grow(void *old, size_t n) {
  if (n == 0) {
    free(old);
    return NULL;
  }
  return realloc(old, n);
}

static void fail(const char *why, const fz_call_t *c, size_t size) {
  fprintf(stderr,
          "fuzz_storage: %s (request %zu bytes; http %d, grpc-status %s%d, %d messages, "
          "%d products)\n",
          why, size, c->http_status, c->got_status ? "" : "missing ", c->code, c->nmsgs,
          c->products);
  abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  fz_server_init();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > MAX_REQ) return 0;
  fz_call_t c = {0};
  c.req = data;
  c.len = size;
  rpc_frame_prefix(c.prefix, (uint32_t)size);
  rpc_deframer_init(&c.df, NULL, 0, sizeof(rx), grow);

  nghttp2_session_callbacks *cbs;
  nghttp2_session *s;
  if (nghttp2_session_callbacks_new(&cbs)) abort();
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_close);
  nghttp2_session_callbacks_set_on_invalid_header_callback(cbs, on_invalid_header);
  if (nghttp2_session_client_new(&s, cbs, &c)) abort();
  nghttp2_session_callbacks_del(cbs);
  nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0);
#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, 0}
  nghttp2_nv nva[] = {NV(":method", "POST"),
                      NV(":scheme", "http"),
                      NV(":path", PATH),
                      NV(":authority", "127.0.0.1:6000"),
                      NV("te", "trailers"),
                      NV("content-type", "application/grpc"),
                      NV("user-agent", "fuzz_storage")};
  nghttp2_data_provider prd = {.source.ptr = &c, .read_callback = read_req};
  if (nghttp2_submit_request(s, NULL, nva, sizeof(nva) / sizeof(nva[0]), &prd, NULL) != 1) abort();
  size_t txlen = 0;
  const uint8_t *p;
  ssize_t n;
  while ((n = nghttp2_session_mem_send(s, &p)) > 0) {
    if (txlen + (size_t)n > sizeof(tx)) abort();
    memcpy(tx + txlen, p, (size_t)n);
    txlen += (size_t)n;
  }
  if (c.off != 5 + size) abort(); /* the whole request went into tx */

  size_t rxlen = fz_server_exchange(tx, txlen, rx, sizeof(rx));
  if (rxlen > sizeof(rx)) fail("answer larger than the harness buffer", &c, size);
  if (nghttp2_session_mem_recv(s, rx, rxlen) < 0)
    fail("the server's bytes are not HTTP/2", &c, size);

  if (c.invalid[0]) {
    fprintf(stderr, "fuzz_storage: invalid field %s\n", c.invalid);
    fail("a response field is not valid HTTP/2 (RFC 9113 8.2.1)", &c, size);
  }
  if (!c.closed) fail("the stream was not closed", &c, size);
  if (c.http_status != 200) fail("HTTP status is not 200", &c, size);
  if (!c.got_status) fail("no grpc-status", &c, size);
  if (c.code == RPC_CODE_OK) {
    if (c.nmsgs != 1 || c.bad_msg || c.products < 1 || !rpc_deframer_idle(&c.df))
      fail("OK without exactly one readable StorageResponse", &c, size);
  } else if (c.code == RPC_CODE_INVALID_ARGUMENT) {
    if (c.nmsgs != 0) fail("InvalidArgument with a message", &c, size);
  } else {
    fail("status neither OK nor InvalidArgument", &c, size);
  }
  rpc_deframer_free(&c.df);
  nghttp2_session_del(s);
  return 0;
}
