/* gw_rest.c - see gw_rest.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pb_decode.h>
#include <pb_encode.h>

#include "api.pb.h"
#include "api.srv.h"
#include "gw_rest.h"
#include "rpc_log.h"
#include "rpc_trace.h"

#define REST_MAX_BODY (64u << 20) /* a stream's JSON, gathered before it is sent */
#define REST_MAX_MSG (1u << 20)   /* one reply message from ProdService */

struct gw_rest {
  rpc_loop_t *loop;
  rpc_inproc_t *ch;
  uint32_t timeout_ms;
  int stopping;          /* gw_rest_stop: new requests are answered 503 */
  gw_rest_call_t *calls; /* those not yet freed, for gw_rest_free */
};

struct gw_rest_call {
  gw_rest_t *r;
  rpc_call_t call;
  int stream;               /* GetVendorProds: {"result": ...} lines */
  int open;                 /* on_close has not run yet */
  int overflow;             /* the body passed REST_MAX_BODY: cancelled */
  int nmsgs_bad;            /* a reply could not be written as JSON: cancelled */
  gw_rest_answer_fn answer; /* NULL once dropped */
  void *arg;
  uint8_t req[api_ClientRequestProds_size];
  size_t req_len;
  char traceparent[64];
  rpc_md_t md[1];
  char *body; /* the stream's lines so far */
  size_t body_len, body_cap;
  uint32_t nmsgs;
  rpc_defer_t release; /* freed after on_close has returned */
  gw_rest_call_t *prev, *next;
};

/* grpc-gateway's runtime.HTTPStatusFromCode. */
static int http_status(int code) {
  static const int map[] = {200, 499, 500, 400, 504, 404, 409, 403, 429,
                            400, 409, 400, 501, 500, 503, 500, 401};
  return code >= 0 && code < (int)(sizeof(map) / sizeof(map[0])) ? map[code] : 500;
}

static char *dump(json_t *j, size_t *len) {
  char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  *len = s ? strlen(s) : 0;
  return s;
}

/* grpc-gateway's error body: {"code":3,"message":"...","details":[]}. */
static json_t *status_json(int code, const char *message) {
  json_t *m = json_string(message);
  if (!m) m = json_string("(the message is not valid UTF-8)");
  return json_pack("{s:i,s:o,s:[]}", "code", code, "message", m, "details");
}

static void answer_error(gw_rest_answer_fn answer, void *arg, int code, const char *message,
                         int stream) {
  size_t len;
  json_t *j = status_json(code, message);
  char *body = dump(stream ? json_pack("{s:o}", "error", j) : j, &len);
  answer(arg, body ? http_status(code) : 500, body, len);
}

/* --- the path ------------------------------------------------------------- */

static int hexval(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* One path segment [s, end) percent-decoded into out (cap bytes with the
 * NUL). 0, or -1 if it does not fit, holds a NUL or a bad escape. */
static int segment(const char *s, const char *end, char *out, size_t cap) {
  size_t n = 0;
  for (; s < end; s++) {
    char c = *s;
    if (c == '%') {
      int hi = s + 2 < end ? hexval(s[1]) : -1;
      int lo = hi >= 0 ? hexval(s[2]) : -1;
      if (hi < 0 || lo < 0) return -1;
      c = (char)(hi * 16 + lo);
      s += 2;
    }
    if (c == '\0' || n + 1 >= cap) return -1;
    out[n++] = c;
  }
  out[n] = '\0';
  return 0;
}

/* Splits "/v1/vendors/V/types[/T/products]" (the query cut off): 1 for the
 * types, 2 for the products, 0 for no route, -1 for a route whose values do
 * not fit the request (*what says which). */
static int route(const char *path, char *vendor, size_t vcap, char *type, size_t tcap,
                 const char **what) {
  static const char prefix[] = "/v1/vendors/";
  size_t plen = strcspn(path, "?#");
  const char *end = path + plen;
  if (plen < sizeof(prefix) - 1 || memcmp(path, prefix, sizeof(prefix) - 1) != 0) return 0;
  const char *v = path + sizeof(prefix) - 1;
  const char *vend = memchr(v, '/', (size_t)(end - v));
  if (!vend || vend == v) return 0;
  const char *rest = vend + 1;
  size_t rlen = (size_t)(end - rest);
  int kind;
  const char *t = NULL, *tend = NULL;
  if (rlen == 5 && memcmp(rest, "types", 5) == 0) {
    kind = 1;
  } else if (rlen > 6 && memcmp(rest, "types/", 6) == 0) {
    t = rest + 6;
    tend = memchr(t, '/', (size_t)(end - t));
    if (!tend || tend == t || (size_t)(end - tend) != 9 || memcmp(tend, "/products", 9) != 0)
      return 0;
    kind = 2;
  } else {
    return 0;
  }
  if (segment(v, vend, vendor, vcap) != 0) {
    *what = "vendor";
    return -1;
  }
  if (kind == 2 && segment(t, tend, type, tcap) != 0) {
    *what = "type";
    return -1;
  }
  return kind;
}

/* --- the call ------------------------------------------------------------- */

static void call_free(gw_rest_call_t *c) {
  if (c->prev)
    c->prev->next = c->next;
  else
    c->r->calls = c->next;
  if (c->next) c->next->prev = c->prev;
  rpc_deframer_free(rpc_call_deframer(&c->call));
  free(c->body);
  free(c);
}

/* After on_close has returned: the client core may still be reading the
 * call's deframer when on_close runs (a reply on_message refused). */
static void on_release(rpc_defer_t *d) {
  call_free(d->arg);
}

static int body_add(gw_rest_call_t *c, const char *s, size_t n) {
  if (c->body_len + n + 1 > REST_MAX_BODY) return -1;
  if (c->body_len + n + 1 > c->body_cap) {
    size_t cap = c->body_cap ? c->body_cap : 4096;
    while (cap < c->body_len + n + 1)
      cap *= 2;
    char *p = realloc(c->body, cap);
    if (!p) return -1;
    c->body = p;
    c->body_cap = cap;
  }
  memcpy(c->body + c->body_len, s, n);
  c->body_len += n;
  return 0;
}

/* A reply message as protojson writes it (EmitUnpopulated, grpc-gateway's
 * default): NULL when a string is not UTF-8 (protojson refuses those too). */
static json_t *message_json(const gw_rest_call_t *c, const uint8_t *msg, size_t len) {
  pb_istream_t is = pb_istream_from_buffer(msg, len);
  if (!c->stream) {
    api_ClientResponseType m = api_ClientResponseType_init_zero;
    if (!pb_decode(&is, api_ClientResponseType_fields, &m)) return NULL;
    return json_pack("{s:s}", "productType", m.productType);
  }
  api_ClientResponseProds m = api_ClientResponseProds_init_zero;
  if (!pb_decode(&is, api_ClientResponseProds_fields, &m)) return NULL;
  return json_pack("{s:{s:{s:s,s:s,s:s}}}", "result", "product", "title", m.product.title, "url",
                   m.product.url, "shortUrl", m.product.shortUrl);
}

static int on_message(rpc_call_t *call, const uint8_t *msg, size_t len) {
  gw_rest_call_t *c = rpc_call_user(call);
  size_t n;
  char *line = dump(message_json(c, msg, len), &n);
  if (!line) {
    c->nmsgs_bad = 1;
    return 1; /* cancels: on_close says Internal */
  }
  int bad = body_add(c, line, n) != 0 || (c->stream && body_add(c, "\n", 1) != 0);
  free(line);
  if (bad) c->overflow = 1;
  c->nmsgs++;
  return bad;
}

static void on_close(rpc_call_t *call) {
  gw_rest_call_t *c = rpc_call_user(call);
  c->open = 0;
  rpc_loop_defer(c->r->loop, &c->release);
  if (!c->answer) return; /* dropped */
  int code = rpc_call_code(call);
  const char *message = rpc_call_message(call);
  if (code == RPC_CODE_CANCELLED && c->overflow) {
    code = RPC_CODE_RESOURCE_EXHAUSTED;
    message = "the reply is too large for the REST bridge";
  } else if (code == RPC_CODE_CANCELLED && c->nmsgs_bad) {
    code = RPC_CODE_INTERNAL; /* on_message refused a reply it could not render */
    message = "a reply cannot be written as JSON";
  }
  if (code == RPC_CODE_OK && (c->stream || c->nmsgs == 1)) {
    c->answer(c->arg, 200, c->body, c->body_len);
    c->body = NULL;
    return;
  }
  if (code == RPC_CODE_OK) { /* a unary call with no reply */
    code = RPC_CODE_INTERNAL;
    message = "no reply message";
  }
  if (c->stream && c->nmsgs) { /* grpc-gateway: 200 was sent, the error follows */
    size_t n;
    char *line = dump(json_pack("{s:o}", "error", status_json(code, message)), &n);
    if (line && body_add(c, line, n) == 0) body_add(c, "\n", 1);
    free(line);
    c->answer(c->arg, 200, c->body, c->body_len);
    c->body = NULL;
    return;
  }
  answer_error(c->answer, c->arg, code, message, c->stream);
}

gw_rest_call_t *gw_rest_handle(gw_rest_t *r, const gw_rest_req_t *req, gw_rest_answer_fn answer,
                               void *arg) {
  char vendor[sizeof(((api_ClientRequestProds *)0)->vendor)];
  char type[sizeof(((api_ClientRequestProds *)0)->productType)];
  const char *what = NULL;
  int kind = route(req->path, vendor, sizeof(vendor), type, sizeof(type), &what);
  if (kind == 0) {
    answer_error(answer, arg, RPC_CODE_NOT_FOUND, "Not Found", 0);
    return NULL;
  }
  if (strcmp(req->method, "GET") != 0) { /* grpc-gateway: Unimplemented, 501 */
    answer_error(answer, arg, RPC_CODE_UNIMPLEMENTED, "Method Not Allowed", 0);
    return NULL;
  }
  if (kind < 0) {
    char m[96];
    snprintf(m, sizeof(m), "%s: not a value of at most %zu bytes", what,
             (what[0] == 'v' ? sizeof(vendor) : sizeof(type)) - 1);
    answer_error(answer, arg, RPC_CODE_INVALID_ARGUMENT, m, kind == 2);
    return NULL;
  }
  uint32_t timeout_ms = r->timeout_ms;
  if (req->grpc_timeout &&
      rpc_timeout_decode(req->grpc_timeout, strlen(req->grpc_timeout), &timeout_ms) != RPC_OK) {
    answer_error(answer, arg, RPC_CODE_INVALID_ARGUMENT, "invalid Grpc-Timeout", kind == 2);
    return NULL;
  }
  if (timeout_ms == 0) { /* gRPC's zero timeout has passed already (0 is "none" below) */
    answer_error(answer, arg, RPC_CODE_DEADLINE_EXCEEDED, "context deadline exceeded", kind == 2);
    return NULL;
  }
  if (r->stopping) {
    answer_error(answer, arg, RPC_CODE_UNAVAILABLE, "the gateway is stopping", kind == 2);
    return NULL;
  }
  gw_rest_call_t *c = calloc(1, sizeof(*c));
  if (!c) {
    answer_error(answer, arg, RPC_CODE_RESOURCE_EXHAUSTED, "out of memory", kind == 2);
    return NULL;
  }
  c->r = r;
  c->release.fn = on_release;
  c->release.arg = c;
  c->stream = kind == 2;
  c->answer = answer;
  c->arg = arg;
  pb_ostream_t os = pb_ostream_from_buffer(c->req, sizeof(c->req));
  int ok;
  if (c->stream) {
    api_ClientRequestProds m = api_ClientRequestProds_init_zero;
    memcpy(m.vendor, vendor, sizeof(vendor));
    memcpy(m.productType, type, sizeof(type));
    ok = pb_encode(&os, api_ClientRequestProds_fields, &m);
  } else {
    api_ClientRequestType m = api_ClientRequestType_init_zero;
    memcpy(m.vendor, vendor, sizeof(vendor));
    ok = pb_encode(&os, api_ClientRequestType_fields, &m);
  }
  c->req_len = os.bytes_written;
  static const rpc_call_cbs_t cbs = {.on_message = on_message, .on_close = on_close};
  rpc_call_init(&c->call, &cbs, c);
  rpc_deframer_init(rpc_call_deframer(&c->call), NULL, 0, REST_MAX_MSG, rpc_heap_grow);
  /* the trace context goes on as the call's metadata, as grpc-gateway
   * forwards it */
  if (req->traceparent && strlen(req->traceparent) < sizeof(c->traceparent) &&
      rpc_traceparent_check(req->traceparent, strlen(req->traceparent)) == 0) {
    snprintf(c->traceparent, sizeof(c->traceparent), "%s", req->traceparent);
    c->md[0] = (rpc_md_t){"traceparent", c->traceparent};
    rpc_call_set_metadata(&c->call, c->md, 1);
  }
  const char *path =
      c->stream ? api_ProdService_GetVendorProds_PATH : api_ProdService_GetVendorProdTypes_PATH;
  if (!ok || rpc_inproc_start(r->ch, &c->call, path, c->req, c->req_len, timeout_ms) != RPC_OK) {
    rpc_deframer_free(rpc_call_deframer(&c->call));
    free(c);
    answer_error(answer, arg, RPC_CODE_UNAVAILABLE, "the gateway cannot take the call now",
                 kind == 2);
    return NULL;
  }
  c->open = 1;
  c->next = r->calls;
  if (r->calls) r->calls->prev = c;
  r->calls = c;
  return c;
}

void gw_rest_drop(gw_rest_call_t *c) {
  c->answer = NULL;
  if (c->open) rpc_inproc_cancel(c->r->ch, &c->call, RPC_CODE_CANCELLED, "the client went away");
}

gw_rest_t *gw_rest_new(rpc_loop_t *loop, rpc_inproc_t *ch, uint32_t timeout_ms) {
  gw_rest_t *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  r->loop = loop;
  r->ch = ch;
  r->timeout_ms = timeout_ms ? timeout_ms : GW_REST_TIMEOUT_MS;
  return r;
}

void gw_rest_stop(gw_rest_t *r) {
  r->stopping = 1;
  for (gw_rest_call_t *c = r->calls; c; c = c->next)
    if (c->open)
      rpc_inproc_cancel(r->ch, &c->call, RPC_CODE_UNAVAILABLE, "the gateway is stopping");
}

void gw_rest_free(gw_rest_t *r) {
  if (!r) return;
  while (r->calls) {
    gw_rest_call_t *c = r->calls;
    gw_rest_drop(c); /* its on_close queues the release: done here instead */
    rpc_loop_undefer(r->loop, &c->release);
    call_free(c);
  }
  free(r);
}
