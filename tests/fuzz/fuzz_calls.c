/*
 * fuzz_calls.c - whole gRPC calls with fuzz-chosen headers and body, sent to
 * the real server (fuzz_server_harness.c) by nghttp2's client API, and every
 * answer checked: a call the client ended (END_STREAM) always gets a response
 * HEADERS with a :status, and with :status 200 a grpc-status. A bare
 * RST_STREAM, or a 200 without grpc-status, is a finding.
 *
 * Where fuzz_server throws raw bytes at the server (breadth, no oracle), this
 * target keeps the HTTP/2 well-formed and checks what the server answers to
 * every request the validation code (check_headers, cb_data, dispatch) can
 * reject. The gateway's storage channel points at the server itself here, so
 * GetVendorProds goes through the channel to StorageService and back.
 *
 * Input: 2 control bytes, then the request message.
 *   byte 0  bits 0-2: :path (GetVendorProdTypes, GetVendorProds,
 *           GetProdsDetail, unknown method, unknown service, "x", empty, a
 *           long one); bit 3: :method GET; bit 4: content-type text/plain;
 *           bit 5: grpc-encoding gzip; bits 6-7: grpc-timeout none, "1S",
 *           "x", "99999999H"
 *   byte 1  bit 0: END_STREAM on HEADERS (no body); bit 1: compressed flag;
 *           bit 2: the message twice; bit 3: the prefix announces one byte
 *           more than sent; bit 4: the body in one-byte DATA frames
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "fuzz_server_harness.h"
#include "rpc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REQ 16384u

typedef struct {
  uint8_t body[2 * (MAX_REQ + 5)];
  size_t len, off;
  int one_byte;
  int got_headers, http_status, got_status, code, closed;
  uint32_t rst;
  char invalid[160]; /* the first response field nghttp2 found invalid */
} fz_call_t;

static uint8_t tx[4 * MAX_REQ + 65536];
static uint8_t rx[1u << 20];

static const char *const paths[8] = {
    "/api.ProdService/GetVendorProdTypes",
    "/api.ProdService/GetVendorProds",
    "/api.StorageService/GetProdsDetail",
    "/api.ProdService/Nope",
    "/api.NoService/GetVendorProds",
    "x",
    "",
    ("/api.ProdService/GetVendorProdTypesGetVendorProdTypesGetVendorProdTypesGetVendorProdTypes"
     "GetVendorProdTypesGetVendorProdTypesGetVendorProdTypesGetVendorProdTypesGetVendorProdTypes")};
static const char *const timeouts[4] = {NULL, "1S", "x", "99999999H"};

static ssize_t read_body(nghttp2_session *s, int32_t sid, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *ud) {
  (void)s, (void)sid, (void)ud;
  fz_call_t *c = src->ptr;
  size_t n = c->len - c->off;
  if (n > len) n = len;
  if (c->one_byte && n > 1) n = 1;
  memcpy(buf, c->body + c->off, n);
  c->off += n;
  if (c->off == c->len) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *ud) {
  (void)s, (void)f, (void)flags;
  fz_call_t *c = ud;
  if (nlen == 7 && memcmp(name, ":status", 7) == 0) {
    c->got_headers = 1;
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

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *ud) {
  (void)s;
  if (f->hd.type == NGHTTP2_RST_STREAM) ((fz_call_t *)ud)->rst = f->rst_stream.error_code + 1;
  return 0;
}

static int on_close(nghttp2_session *s, int32_t sid, uint32_t err, void *ud) {
  (void)s, (void)sid, (void)err;
  ((fz_call_t *)ud)->closed = 1;
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  fz_server_storage_self(); /* GetVendorProds streams real products */
  fz_server_init();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fz_call_t c;
  if (size < 2 || size - 2 > MAX_REQ) return 0;
  uint8_t h = data[0], b = data[1];
  const uint8_t *msg = data + 2;
  size_t mlen = size - 2;
  memset(&c, 0, sizeof(c));
  for (int i = 0; i < ((b & 4) ? 2 : 1); i++) {
    rpc_frame_prefix(c.body + c.len, (uint32_t)(mlen + ((b & 8) ? 1 : 0)));
    if (b & 2) c.body[c.len] = 1;
    memcpy(c.body + c.len + 5, msg, mlen);
    c.len += 5 + mlen;
  }
  c.one_byte = (b & 16) != 0;

  nghttp2_session_callbacks *cbs;
  nghttp2_session *s;
  if (nghttp2_session_callbacks_new(&cbs)) abort();
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
  nghttp2_session_callbacks_set_on_invalid_header_callback(cbs, on_invalid_header);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_close);
  if (nghttp2_session_client_new(&s, cbs, &c)) abort();
  nghttp2_session_callbacks_del(cbs);
  nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0);
#define NV(n, v)                                                                                   \
  { (uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), 0 }
  const char *tmo = timeouts[h >> 6];
  nghttp2_nv nva[8] = {NV(":method", (h & 8) ? "GET" : "POST"),
                       NV(":scheme", "http"),
                       NV(":path", paths[h & 7]),
                       NV(":authority", "127.0.0.1:8080"),
                       NV("te", "trailers"),
                       NV("content-type", (h & 16) ? "text/plain" : "application/grpc"),
                       NV("grpc-encoding", (h & 32) ? "gzip" : "identity"),
                       NV("grpc-timeout", tmo ? tmo : "")};
  size_t nnv = tmo ? 8 : 7;
  nghttp2_data_provider prd = {.source.ptr = &c, .read_callback = read_body};
  int32_t sid = nghttp2_submit_request(s, NULL, nva, nnv, (b & 1) ? NULL : &prd, NULL);
  if (sid < 0) {
    nghttp2_session_del(s);
    return 0;
  }
  size_t txlen = 0;
  const uint8_t *p;
  ssize_t n;
  while ((n = nghttp2_session_mem_send(s, &p)) > 0) {
    if (txlen + (size_t)n > sizeof(tx)) abort();
    memcpy(tx + txlen, p, (size_t)n);
    txlen += (size_t)n;
  }
  /* flow control stops the body at 64 KiB: such a request never ends; an
   * empty :path is malformed HTTP/2, reset by the server's nghttp2 before any
   * of our code sees it */
  int ended = ((b & 1) || c.off == c.len) && paths[h & 7][0];

  size_t rxlen = fz_server_exchange(tx, txlen, rx, sizeof(rx));
  if (rxlen <= sizeof(rx) && nghttp2_session_mem_recv(s, rx, rxlen) < 0) {
    fprintf(stderr, "fuzz_calls: the server's bytes are not HTTP/2\n");
    abort();
  }
  if (ended && rxlen <= sizeof(rx)) {
    const char *why = NULL;
    /* RST_STREAM(PROTOCOL_ERROR) is the server's nghttp2 refusing a request
     * that is malformed HTTP (RFC 9113 8.1.1: a :path not starting with '/',
     * ...) before our callbacks see it; the server itself never sends it */
    int h2_refused = c.rst == NGHTTP2_PROTOCOL_ERROR + 1;
    if (c.invalid[0])
      why = "a response field is not valid HTTP/2 (RFC 9113 8.2.1)";
    else if (!c.got_headers && !h2_refused)
      why = "the call ended without a response HEADERS";
    else if (c.http_status == 200 && !c.got_status)
      why = "HTTP 200 without grpc-status";
    if (why) {
      fprintf(stderr,
              "fuzz_calls: %s (path \"%s\", %s, ct %s, timeout %s, body flags 0x%02x; "
              "closed %d, RST_STREAM %s%u, invalid field %s)\n",
              why, paths[h & 7], (h & 8) ? "GET" : "POST", (h & 16) ? "text/plain" : "grpc",
              tmo ? tmo : "none", b, c.closed, c.rst ? "" : "none ", c.rst ? c.rst - 1 : 0,
              c.invalid[0] ? c.invalid : "none");
      abort();
    }
  }
  nghttp2_session_del(s);
  return 0;
}
