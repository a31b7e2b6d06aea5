/*
 * server.c - the gRPC server: accept, one nghttp2 session per connection,
 * request validation (PROTOCOL-HTTP2.md), dispatch by :path, deadlines,
 * responses as DATA plus trailers (or trailers-only), coalesced writes.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "rpc_log.h"
#include "rpc_server.h"
#include "sock.h"

#define REFUSE_LINGER_MS 2000
#define READ_CHUNK (16u * 1024u)
#define PATH_MAX_LEN 128
#define STATUS_MSG_LEN 256

typedef struct rpc_conn rpc_conn_t;

struct rpc_scall {
  rpc_conn_t *conn;
  int32_t sid;
  const rpc_method_t *method;
  rpc_deframer_t df;
  uint32_t nmsgs;
  uint32_t req_len;
  uint8_t post, grpc_ct, bad_encoding, bad_timeout;
  uint8_t dispatched, live, finished, headers_sent, closed_remote, rejected;
  uint32_t timeout_ms;
  uint8_t has_timeout;
  uint32_t hdr_bytes; /* the request's header list size, as SETTINGS counts it */
  /* metadata buffers of RPC_MD_BYTES, made on first use and kept with the
   * pooled call: most calls carry none, so most calls stay small */
  char *md; /* custom metadata: "name\0value\0" pairs */
  uint16_t md_len, md_count;
  char *rmd; /* response metadata: "H|T name\0value\0" entries */
  uint16_t rmd_len;
  char path[PATH_MAX_LEN];
  int code;
  char message[STATUS_MSG_LEN];
  uint8_t *out; /* prefixed response messages not yet taken by nghttp2 */
  size_t out_len, out_off, out_cap;
  rpc_timer_t deadline;
  uint64_t deadline_at;
  void *user;
  rpc_scall_t *prev, *next; /* the connection's calls, or the free pool */
};

struct rpc_conn {
  rpc_server_t *srv;
  rpc_io_t io;
  rpc_sock_t sock;
  nghttp2_session *session;
  rpc_defer_t flush;
  int epollout;
  int dead;
  char peer[64];
  char identity[128]; /* the client certificate's CN, "" without one */
  rpc_timer_t timer;  /* handshake, then idle timeout */
  uint64_t last_active;
  int established; /* the client's SETTINGS arrived */
  int refusing;    /* TLS refused: lingering so the client reads the alert */
  rpc_scall_t *calls;
  rpc_conn_t *prev, *next;
};

struct rpc_server {
  rpc_loop_t *loop;
  int draining;
  rpc_timer_t drain_check;
  uint64_t drain_end;
  rpc_io_t lio;
  const rpc_method_t *methods;
  size_t nmethods;
  rpc_server_limits_t lim;
  nghttp2_session_callbacks *cbs;
  nghttp2_option *opt;
  rpc_conn_t *conns;
  uint32_t nconns;
  rpc_scall_t *pool;
  rpc_tls_cfg_t *tls; /* NULL: plaintext h2c */
};

static void conn_close(rpc_conn_t *c);
static void on_deadline(rpc_timer_t *t);
static void start_call(rpc_scall_t *call, const uint8_t *req, size_t len);
static void conn_schedule(rpc_conn_t *c);

/* --- calls ------------------------------------------------------------- */

static rpc_scall_t *call_new(rpc_conn_t *c, int32_t sid) {
  rpc_server_t *s = c->srv;
  rpc_scall_t *call = s->pool;
  if (call) {
    s->pool = call->next;
    /* keep the buffers, reset the rest */
    uint8_t *out = call->out, *dbuf = call->df.buf;
    char *md = call->md, *rmd = call->rmd;
    size_t out_cap = call->out_cap, dcap = call->df.cap;
    memset(call, 0, sizeof(*call));
    call->out = out;
    call->out_cap = out_cap;
    call->md = md;
    call->rmd = rmd;
    rpc_deframer_init(&call->df, dbuf, dcap, s->lim.max_recv_msg, rpc_heap_grow);
  } else {
    call = calloc(1, sizeof(*call));
    if (!call) return NULL;
    rpc_deframer_init(&call->df, NULL, 0, s->lim.max_recv_msg, rpc_heap_grow);
  }
  call->conn = c;
  call->sid = sid;
  call->deadline.arg = call;
  call->deadline.fn = on_deadline;
  rpc_timer_start(s->loop, &call->deadline, s->lim.request_timeout_ms);
  call->next = c->calls;
  if (c->calls) c->calls->prev = call;
  c->calls = call;
  return call;
}

static void call_release(rpc_scall_t *call) {
  rpc_conn_t *c = call->conn;
  rpc_server_t *s = c->srv;
  rpc_timer_stop(s->loop, &call->deadline);
  /* idleness counts from the end of the last call, not the last byte: a
   * trickle of bytes must not hold a connection for ever */
  c->last_active = rpc_loop_now(s->loop);
  if (call->prev)
    call->prev->next = call->next;
  else
    c->calls = call->next;
  if (call->next) call->next->prev = call->prev;
  /* big buffers go back to the heap; small ones stay with the pooled call */
  if (call->out_cap > 64u * 1024u) {
    free(call->out);
    call->out = NULL;
    call->out_cap = 0;
  }
  if (call->df.cap > 64u * 1024u) rpc_deframer_free(&call->df);
  call->prev = NULL;
  call->next = s->pool;
  s->pool = call;
}

/* The server ends a call the handler still holds. */
static void call_end(rpc_scall_t *call, rpc_end_t why) {
  if (!call->live) return;
  call->live = 0;
  if (call->method && call->method->on_end) call->method->on_end(call, why, call->method->ud);
}

static int out_append(rpc_scall_t *call, const uint8_t *msg, size_t len) {
  size_t need = call->out_len + 5 + len;
  if (need > call->out_cap) {
    size_t cap = call->out_cap ? call->out_cap : 512;
    while (cap < need)
      cap *= 2;
    uint8_t *p = realloc(call->out, cap);
    if (!p) return RPC_ERR_NOMEM;
    call->out = p;
    call->out_cap = cap;
  }
  rpc_frame_prefix(call->out + call->out_len, (uint32_t)len);
  if (len) memcpy(call->out + call->out_len + 5, msg, len);
  call->out_len = need;
  return RPC_OK;
}

#define NV_STATIC(n, v)                                                                            \
  {                                                                                                \
    (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1,                                  \
        NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE                               \
  }
#define NV_NAME(n, v, vl)                                                                          \
  { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, (vl), NGHTTP2_NV_FLAG_NO_COPY_NAME }

/* Fills the grpc-status / grpc-message pair; returns how many entries. */
static size_t status_nv(rpc_scall_t *call, nghttp2_nv *nv, char *code, char *msg, size_t msgcap) {
  snprintf(code, 4, "%d", call->code);
  nv[0] = (nghttp2_nv)NV_NAME("grpc-status", code, strlen(code));
  if (!call->message[0]) return 1;
  size_t ml = rpc_msg_encode(call->message, strlen(call->message), msg, msgcap);
  nv[1] = (nghttp2_nv)NV_NAME("grpc-message", msg, ml);
  return 2;
}

/* The response metadata of one kind ('H' headers, 'T' trailers) as nv
 * entries (copied by nghttp2). Returns how many. */
static size_t md_nv(const rpc_scall_t *call, char kind, nghttp2_nv *nv, size_t max) {
  size_t n = 0;
  if (!call->rmd) return 0;
  for (const char *p = call->rmd; p < call->rmd + call->rmd_len && n < max;) {
    const char *name = p + 1, *value = name + strlen(name) + 1;
    if (*p == kind)
      nv[n++] = (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value),
                             NGHTTP2_NV_FLAG_NONE};
    p = value + strlen(value) + 1;
  }
  return n;
}

static int add_md(rpc_scall_t *call, char kind, const char *name, const char *value) {
  size_t nl = strlen(name), vl = strlen(value);
  if (call->rmd_len + 1 + nl + 1 + vl + 1 > RPC_MD_BYTES) return RPC_ERR_NOMEM;
  if (!call->rmd && !(call->rmd = malloc(RPC_MD_BYTES))) return RPC_ERR_NOMEM;
  char *p = call->rmd + call->rmd_len;
  *p = kind;
  memcpy(p + 1, name, nl + 1);
  memcpy(p + 2 + nl, value, vl + 1);
  call->rmd_len = (uint16_t)(call->rmd_len + 3 + nl + vl);
  return RPC_OK;
}

size_t rpc_scall_queued(const rpc_scall_t *call) {
  return call->out_len - call->out_off;
}

int rpc_scall_set_header(rpc_scall_t *call, const char *name, const char *value) {
  if (call->headers_sent || call->finished) return RPC_ERR_ARG;
  return add_md(call, 'H', name, value);
}

int rpc_scall_set_trailer(rpc_scall_t *call, const char *name, const char *value) {
  if (call->finished) return RPC_ERR_ARG;
  return add_md(call, 'T', name, value);
}

static ssize_t read_out(nghttp2_session *sess, int32_t sid, uint8_t *buf, size_t len,
                        uint32_t *flags, nghttp2_data_source *src, void *ud) {
  (void)ud;
  rpc_scall_t *call = src->ptr;
  size_t avail = call->out_len - call->out_off;
  size_t n = avail < len ? avail : len;
  if (n) memcpy(buf, call->out + call->out_off, n);
  call->out_off += n;
  if (call->out_off == call->out_len) call->out_off = call->out_len = 0;
  if (call->out_len == 0 && call->finished) {
    char code[4], msg[STATUS_MSG_LEN * 3];
    nghttp2_nv nv[2 + RPC_RESPONSE_MD];
    size_t k = status_nv(call, nv, code, msg, sizeof(msg));
    k += md_nv(call, 'T', nv + k, RPC_RESPONSE_MD);
    *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    if (nghttp2_submit_trailer(sess, sid, nv, k) != 0) return NGHTTP2_ERR_CALLBACK_FAILURE;
    return (ssize_t)n;
  }
  return n ? (ssize_t)n : NGHTTP2_ERR_DEFERRED;
}

static int send_headers(rpc_scall_t *call) {
  nghttp2_nv nv[3 + RPC_RESPONSE_MD] = {NV_STATIC(":status", "200"),
                                        NV_STATIC("content-type", "application/grpc"),
                                        NV_STATIC("grpc-accept-encoding", "identity")};
  size_t n = 3 + md_nv(call, 'H', nv + 3, RPC_RESPONSE_MD);
  nghttp2_data_provider prd;
  prd.source.ptr = call;
  prd.read_callback = read_out;
  call->headers_sent = 1;
  return nghttp2_submit_response(call->conn->session, call->sid, nv, n, &prd);
}

/* Trailers-only: one HEADERS frame with the status and END_STREAM. */
static void send_trailers_only(rpc_scall_t *call, const char *http_status) {
  char code[4], msg[STATUS_MSG_LEN * 3];
  nghttp2_nv nv[5 + 2 * RPC_RESPONSE_MD] = {NV_NAME(":status", http_status, strlen(http_status)),
                                            NV_STATIC("content-type", "application/grpc"),
                                            NV_STATIC("grpc-accept-encoding", "identity")};
  size_t k = 3 + status_nv(call, nv + 3, code, msg, sizeof(msg));
  k += md_nv(call, 'H', nv + k, RPC_RESPONSE_MD); /* one HEADERS frame holds both */
  k += md_nv(call, 'T', nv + k, RPC_RESPONSE_MD);
  call->headers_sent = 1;
  nghttp2_submit_response(call->conn->session, call->sid, nv, k, NULL);
}

static void finish_http(rpc_scall_t *call, int code, const char *message, const char *http) {
  if (call->finished) return;
  call->finished = 1;
  call->live = 0;
  call->code = code;
  snprintf(call->message, sizeof(call->message), "%s", message ? message : "");
  if (!call->headers_sent && call->out_len == 0)
    send_trailers_only(call, http);
  else if (!call->headers_sent)
    send_headers(call);
  else
    nghttp2_session_resume_data(call->conn->session, call->sid);
  conn_schedule(call->conn);
}

int rpc_scall_finish(rpc_scall_t *call, int code, const char *message) {
  finish_http(call, code, message, "200");
  return RPC_OK;
}

int rpc_scall_send(rpc_scall_t *call, const uint8_t *msg, size_t len) {
  if (call->finished) return RPC_ERR_ARG;
  if (out_append(call, msg, len) != RPC_OK) return RPC_ERR_NOMEM;
  if (!call->headers_sent)
    send_headers(call);
  else
    nghttp2_session_resume_data(call->conn->session, call->sid);
  conn_schedule(call->conn);
  return RPC_OK;
}

int64_t rpc_scall_remaining_ms(const rpc_scall_t *call) {
  if (!call->has_timeout) return -1;
  uint64_t now = rpc_loop_update_now(call->conn->srv->loop);
  return call->deadline_at > now ? (int64_t)(call->deadline_at - now) : 0;
}

void rpc_scall_set_user(rpc_scall_t *call, void *user) {
  call->user = user;
}

void *rpc_scall_user(const rpc_scall_t *call) {
  return call->user;
}

const char *rpc_scall_peer(const rpc_scall_t *call) {
  return call->conn->peer;
}

int rpc_scall_metadata(const rpc_scall_t *call, int idx, const char **name, const char **value) {
  const char *p = call->md;
  if (idx < 0 || idx >= call->md_count) return 0;
  for (int k = 0; k < idx; k++) {
    p += strlen(p) + 1;
    p += strlen(p) + 1;
  }
  *name = p;
  *value = p + strlen(p) + 1;
  return 1;
}

const char *rpc_scall_identity(const rpc_scall_t *call) {
  return call->conn->identity;
}

void rpc_server_set_tls(rpc_server_t *s, rpc_tls_cfg_t *tls) {
  s->tls = tls;
}

rpc_loop_t *rpc_scall_loop(const rpc_scall_t *call) {
  return call->conn->srv->loop;
}

/* The call's one timer: the request must arrive within the request timeout
 * (slow senders hold no stream for ever), then the grpc-timeout deadline. */
static void on_deadline(rpc_timer_t *t) {
  rpc_scall_t *call = t->arg;
  rpc_server_t *s = call->conn->srv;
  uint64_t now = rpc_loop_now(s->loop);
  if (call->finished) return;
  if (call->has_timeout && now >= call->deadline_at) {
    call_end(call, RPC_END_DEADLINE);
    rpc_scall_finish(call, RPC_CODE_DEADLINE_EXCEEDED, RPC_MSG_DEADLINE);
  } else if (!call->dispatched) {
    char m[80];
    snprintf(m, sizeof(m), "request not received within %u ms", s->lim.request_timeout_ms);
    rpc_log("%s: %s", call->conn->peer, m);
    rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, m);
  } else if (call->has_timeout) {
    rpc_timer_start(s->loop, t, call->deadline_at - now);
  }
}

/* --- nghttp2 callbacks -------------------------------------------------- */

static int cb_begin_headers(nghttp2_session *sess, const nghttp2_frame *f, void *ud) {
  rpc_conn_t *c = ud;
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  rpc_scall_t *call = call_new(c, f->hd.stream_id);
  if (!call) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets the stream */
  nghttp2_session_set_stream_user_data(sess, f->hd.stream_id, call);
  return 0;
}

static int is(const uint8_t *s, size_t n, const char *lit) {
  return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* Headers gRPC itself uses: not custom metadata. */
static int reserved(const uint8_t *n, size_t len) {
  static const char *const names[] = {"content-type",
                                      "te",
                                      "user-agent",
                                      "grpc-timeout",
                                      "grpc-encoding",
                                      "grpc-accept-encoding",
                                      "accept-encoding",
                                      "content-length",
                                      "host",
                                      "grpc-message-type"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (is(n, len, names[i])) return 1;
  return 0;
}

static int cb_header(nghttp2_session *sess, const nghttp2_frame *f, const uint8_t *name,
                     size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags, void *ud) {
  (void)flags, (void)ud;
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  rpc_scall_t *call = nghttp2_session_get_stream_user_data(sess, f->hd.stream_id);
  if (!call) return 0;
  call->hdr_bytes += (uint32_t)(nlen + vlen + 32);
  if (call->hdr_bytes > call->conn->srv->lim.max_header_list) {
    rpc_log("%s: header list over %u bytes, stream reset", call->conn->peer,
            call->conn->srv->lim.max_header_list);
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* RST_STREAM */
  }
  if (is(name, nlen, ":method")) {
    call->post = is(value, vlen, "POST");
  } else if (is(name, nlen, ":path")) {
    size_t n = vlen < PATH_MAX_LEN - 1 ? vlen : PATH_MAX_LEN - 1;
    memcpy(call->path, value, n);
    call->path[n] = '\0';
  } else if (is(name, nlen, "content-type")) {
    /* "application/grpc", "application/grpc+proto", "application/grpc;..." */
    call->grpc_ct = vlen >= 16 && memcmp(value, "application/grpc", 16) == 0 &&
                    (vlen == 16 || value[16] == '+' || value[16] == ';');
  } else if (is(name, nlen, "grpc-timeout")) {
    call->has_timeout = rpc_timeout_decode((const char *)value, vlen, &call->timeout_ms) == 0;
    call->bad_timeout = !call->has_timeout;
  } else if (is(name, nlen, "grpc-encoding")) {
    call->bad_encoding = !is(value, vlen, "identity");
  } else if (nlen && name[0] != ':' && !reserved(name, nlen) &&
             call->md_len + nlen + vlen + 2 <= RPC_MD_BYTES &&
             (call->md || (call->md = malloc(RPC_MD_BYTES)))) {
    /* custom metadata, "-bin" values still base64 as they came */
    memcpy(call->md + call->md_len, name, nlen);
    call->md[call->md_len + nlen] = '\0';
    memcpy(call->md + call->md_len + nlen + 1, value, vlen);
    call->md[call->md_len + nlen + 1 + vlen] = '\0';
    call->md_len = (uint16_t)(call->md_len + nlen + vlen + 2);
    call->md_count++;
  }
  return 0;
}

static int cb_error(nghttp2_session *sess, int code, const char *msg, size_t len, void *ud) {
  (void)sess, (void)code, (void)ud;
  rpc_log("http2: %.*s", (int)len, msg);
  return 0;
}

static const rpc_method_t *find_method(rpc_server_t *s, const char *path) {
  for (size_t i = 0; i < s->nmethods; i++)
    if (strcmp(s->methods[i].path, path) == 0) return &s->methods[i];
  return NULL;
}

/* Unimplemented, worded as grpc-go words it. */
static void reject_unknown(rpc_scall_t *call) {
  rpc_server_t *s = call->conn->srv;
  char m[STATUS_MSG_LEN];
  const char *slash = strrchr(call->path, '/');
  size_t svc_len = slash && call->path[0] == '/' ? (size_t)(slash - call->path) : 0;
  int known = 0;
  for (size_t i = 0; i < s->nmethods && svc_len; i++)
    known |= strncmp(s->methods[i].path, call->path, svc_len + 1) == 0;
  if (known)
    snprintf(m, sizeof(m), "unknown method %s for service %.*s", slash + 1, (int)svc_len - 1,
             call->path + 1);
  else if (svc_len)
    snprintf(m, sizeof(m), "unknown service %.*s", (int)svc_len - 1, call->path + 1);
  else
    snprintf(m, sizeof(m), "malformed method name: \"%s\"", call->path);
  rpc_scall_finish(call, RPC_CODE_UNIMPLEMENTED, m);
}

/* The request headers are complete: check them before any body. */
static void check_headers(rpc_scall_t *call) {
  rpc_server_t *s = call->conn->srv;
  if (!call->post) {
    finish_http(call, RPC_CODE_INTERNAL, "gRPC requires POST", "405");
  } else if (!call->grpc_ct) {
    finish_http(call, RPC_CODE_INTERNAL, "invalid gRPC request content-type", "415");
  } else if (call->bad_encoding) {
    rpc_scall_finish(call, RPC_CODE_UNIMPLEMENTED, "grpc: unsupported grpc-encoding");
  } else if (call->bad_timeout) {
    rpc_scall_finish(call, RPC_CODE_INTERNAL, "malformed grpc-timeout");
  } else if (!(call->method = find_method(s, call->path))) {
    reject_unknown(call);
  } else {
    if (call->has_timeout) {
      call->deadline_at = rpc_loop_now(s->loop) + call->timeout_ms;
      if (call->timeout_ms < s->lim.request_timeout_ms)
        rpc_timer_start(s->loop, &call->deadline, call->timeout_ms);
    }
    if (call->method->on_msg) start_call(call, NULL, 0); /* requests stream in */
  }
}

static int on_req_msg(void *arg, const uint8_t *msg, size_t len) {
  rpc_scall_t *call = arg;
  if (call->method && call->method->on_msg) { /* a request stream */
    if (call->live) call->method->on_msg(call, msg, len, call->method->ud);
    return 0;
  }
  if (++call->nmsgs > 1) return 1; /* unary request side: one message only */
  call->req_len = (uint32_t)len;
  return 0;
}

static int cb_data(nghttp2_session *sess, uint8_t flags, int32_t sid, const uint8_t *data,
                   size_t len, void *ud) {
  (void)flags, (void)ud;
  rpc_scall_t *call = nghttp2_session_get_stream_user_data(sess, sid);
  if (!call || call->finished || call->rejected) return 0;
  int r = rpc_deframer_feed(&call->df, data, len, on_req_msg, call);
  if (r == RPC_OK) return 0;
  call->rejected = 1;
  call_end(call, RPC_END_CANCELLED); /* a streaming handler may hold the call */
  char m[96];
  switch (r) {
  case RPC_ERR_TOO_LARGE:
    snprintf(m, sizeof(m), "grpc: received message larger than max (%u vs. %u)", call->df.need,
             (unsigned)call->df.max);
    rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, m);
    break;
  case RPC_ERR_COMPRESSED:
    rpc_scall_finish(call, RPC_CODE_INTERNAL,
                     "grpc: compressed flag set with identity or empty encoding");
    break;
  case RPC_ERR_NOMEM:
    rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, "out of memory");
    break;
  default:
    rpc_scall_finish(call, RPC_CODE_UNIMPLEMENTED, "more than one request message on a unary call");
  }
  return 0;
}

/* Hands the call to its handler: from here only the deadline applies. */
static void start_call(rpc_scall_t *call, const uint8_t *req, size_t len) {
  rpc_server_t *s = call->conn->srv;
  call->dispatched = 1;
  if (call->has_timeout) {
    uint64_t now = rpc_loop_now(s->loop);
    rpc_timer_start(s->loop, &call->deadline,
                    call->deadline_at > now ? call->deadline_at - now : 0);
  } else {
    rpc_timer_stop(s->loop, &call->deadline);
  }
  call->live = 1;
  call->method->on_call(call, req, len, call->method->ud);
}

static void dispatch(rpc_scall_t *call) {
  if (call->finished || call->rejected || call->dispatched) return;
  call->dispatched = 1;
  if (call->nmsgs != 1 || !rpc_deframer_idle(&call->df)) {
    rpc_scall_finish(call, RPC_CODE_INTERNAL,
                     call->nmsgs ? "request ended inside a message" : "missing request message");
    return;
  }
  start_call(call, call->df.buf, call->req_len);
}

static int cb_frame_recv(nghttp2_session *sess, const nghttp2_frame *f, void *ud) {
  rpc_conn_t *c = ud;
  if (f->hd.type == NGHTTP2_SETTINGS && !(f->hd.flags & NGHTTP2_FLAG_ACK)) c->established = 1;
  if (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) return 0;
  rpc_scall_t *call = nghttp2_session_get_stream_user_data(sess, f->hd.stream_id);
  if (!call) return 0;
  if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST) check_headers(call);
  if (f->hd.flags & NGHTTP2_FLAG_END_STREAM) {
    call->closed_remote = 1;
    if (call->method && call->method->on_msg) {
      if (!call->live) return 0;
      if (!rpc_deframer_idle(&call->df)) {
        call_end(call, RPC_END_CANCELLED);
        rpc_scall_finish(call, RPC_CODE_INTERNAL, "request ended inside a message");
      } else
        call->method->on_msg(call, NULL, 0, call->method->ud); /* half-close */
    } else {
      dispatch(call);
    }
  }
  return 0;
}

/* After the final HEADERS of a call whose client may still be sending, tell
 * it we are done reading. Submitting the RST_STREAM any earlier makes nghttp2
 * drop the queued response (the stream becomes CLOSING at once). */
static int cb_frame_send(nghttp2_session *sess, const nghttp2_frame *f, void *ud) {
  (void)ud;
  if (f->hd.type != NGHTTP2_HEADERS || !(f->hd.flags & NGHTTP2_FLAG_END_STREAM)) return 0;
  rpc_scall_t *call = nghttp2_session_get_stream_user_data(sess, f->hd.stream_id);
  if (call && !call->closed_remote)
    nghttp2_submit_rst_stream(sess, NGHTTP2_FLAG_NONE, f->hd.stream_id, NGHTTP2_NO_ERROR);
  return 0;
}

static int cb_stream_close(nghttp2_session *sess, int32_t sid, uint32_t err, void *ud) {
  (void)err, (void)ud;
  rpc_scall_t *call = nghttp2_session_get_stream_user_data(sess, sid);
  if (!call) return 0;
  nghttp2_session_set_stream_user_data(sess, sid, NULL);
  call_end(call, RPC_END_CANCELLED);
  call_release(call);
  return 0;
}

/* --- connections ------------------------------------------------------- */

static long pull_frames(void *arg, const uint8_t **out) {
  rpc_conn_t *c = arg;
  return (long)nghttp2_session_mem_send(c->session, out);
}

/* Watches for writability only while bytes wait. */
static void conn_watch(rpc_conn_t *c) {
  int pending = rpc_sock_pending(&c->sock);
  if (pending != c->epollout) {
    c->epollout = pending;
    rpc_loop_mod(c->srv->loop, &c->io, EPOLLIN | EPOLLRDHUP | (pending ? EPOLLOUT : 0));
  }
}

static void conn_flush(rpc_conn_t *c) {
  if (c->dead) return;
  if (rpc_sock_flush(&c->sock, pull_frames, c) != 0) {
    conn_close(c);
    return;
  }
  conn_watch(c);
  if (c->sock.handshaken && !c->epollout && !nghttp2_session_want_read(c->session) &&
      !nghttp2_session_want_write(c->session))
    conn_close(c);
}

static void on_flush(rpc_defer_t *d) {
  conn_flush(d->arg);
}

static void conn_schedule(rpc_conn_t *c) {
  if (!c->dead) rpc_loop_defer(c->srv->loop, &c->flush);
}

static void conn_free(rpc_defer_t *d) {
  free(d->arg);
}

static void conn_close(rpc_conn_t *c) {
  if (c->dead) return;
  rpc_server_t *s = c->srv;
  c->dead = 1;
  /* the session goes without calling on_stream_close: end the calls here */
  while (c->calls) {
    rpc_scall_t *call = c->calls;
    call_end(call, RPC_END_CANCELLED);
    call->finished = 1;
    call_release(call);
  }
  rpc_timer_stop(s->loop, &c->timer);
  rpc_loop_del(s->loop, &c->io);
  rpc_sock_close(&c->sock);
  nghttp2_session_del(c->session);
  c->session = NULL;
  if (c->prev)
    c->prev->next = c->next;
  else
    s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  s->nconns--;
  /* freed at the end of the iteration: callers up the stack may hold it */
  rpc_loop_undefer(s->loop, &c->flush);
  c->flush.fn = conn_free;
  rpc_loop_defer(s->loop, &c->flush);
}

/* Closes connections that never finish their handshake (TLS and the HTTP/2
 * preface, slowloris) and connections idle with no stream. */
static void on_conn_timer(rpc_timer_t *t) {
  rpc_conn_t *c = t->arg;
  rpc_server_t *s = c->srv;
  uint64_t now = rpc_loop_now(s->loop), idle = now - c->last_active;
  if (c->refusing) {
    conn_close(c);
  } else if (!c->established || !c->sock.handshaken) {
    rpc_log("closing %s: no handshake within %u ms", c->peer, s->lim.handshake_timeout_ms);
    conn_close(c);
  } else if (!c->calls && idle >= s->lim.idle_timeout_ms) {
    nghttp2_session_terminate_session(c->session, NGHTTP2_NO_ERROR); /* GOAWAY, then close */
    conn_flush(c);
    conn_close(c);
  } else {
    rpc_timer_start(s->loop, t, c->calls ? s->lim.idle_timeout_ms : s->lim.idle_timeout_ms - idle);
  }
}

/* TLS: finishes the handshake before any HTTP/2. Returns 0 when done. */
static int conn_handshake(rpc_conn_t *c) {
  int r = rpc_sock_handshake(&c->sock);
  if (r == RPC_SOCK_AGAIN) {
    conn_watch(c);
    return -1;
  }
  if (r < 0) {
    rpc_log("tls handshake with %s failed: %s", c->peer, rpc_sock_error(&c->sock));
    /* the alert is out; closing now would reset the client's last handshake
     * writes, and some transports (a UART behind QEMU) then drop the alert
     * unread: read and discard until the client closes, for a short while */
    c->refusing = 1;
    shutdown(c->sock.fd, SHUT_WR);
    rpc_loop_mod(c->srv->loop, &c->io, EPOLLIN | EPOLLRDHUP);
    rpc_timer_start(c->srv->loop, &c->timer, REFUSE_LINGER_MS);
    return -1;
  }
  snprintf(c->identity, sizeof(c->identity), "%s", rpc_tls_peer_cn(c->sock.tls));
  return 0;
}

static void on_conn_io(rpc_io_t *io, uint32_t ev) {
  rpc_conn_t *c = io->arg;
  if (c->refusing) { /* a refused handshake: discard until the client closes */
    char sink[4096];
    ssize_t n;
    while ((n = recv(io->fd, sink, sizeof(sink), MSG_DONTWAIT)) > 0) {
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) conn_close(c);
    return;
  }
  if (!c->sock.handshaken && conn_handshake(c) != 0) return;
  if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    uint8_t buf[READ_CHUNK];
    for (;;) {
      ssize_t n = rpc_sock_read(&c->sock, buf, sizeof(buf));
      if (n > 0) {
        ssize_t r = nghttp2_session_mem_recv(c->session, buf, (size_t)n);
        if (r < 0) {
          /* a broken peer: tell it why (GOAWAY) if we can, then close */
          rpc_log("closing %s: %s", c->peer, nghttp2_strerror((int)r));
          if (r != NGHTTP2_ERR_BAD_CLIENT_MAGIC)
            nghttp2_session_terminate_session(c->session, NGHTTP2_PROTOCOL_ERROR);
          conn_flush(c);
          conn_close(c);
          return;
        }
        if (c->dead) return;
        /* plaintext: a short read means the socket is empty; TLS may still
         * hold decrypted bytes, so read on until it says again */
        if (!c->sock.tls && (size_t)n < sizeof(buf)) break;
        continue;
      }
      if (n == RPC_SOCK_AGAIN) break;
      conn_close(c); /* end of stream or error */
      return;
    }
  }
  conn_flush(c);
}

static void peer_name(const struct sockaddr_storage *sa, char *out, size_t cap) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (sa->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const void *)sa;
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    snprintf(out, cap, "ipv4:%s:%u", host, ntohs(a->sin_port));
  } else {
    const struct sockaddr_in6 *a = (const void *)sa;
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    snprintf(out, cap, "ipv6:[%s]:%u", host, ntohs(a->sin6_port));
  }
}

static void on_accept(rpc_io_t *io, uint32_t ev) {
  (void)ev;
  rpc_server_t *s = io->arg;
  /* a bounded batch per loop turn: a burst of connections must not stall
   * the calls already being served (epoll reports the rest next turn) */
  for (int batch = 0; batch < 64; batch++) {
    struct sockaddr_storage sa;
    socklen_t sl = sizeof(sa);
    int fd = accept4(io->fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (s->nconns >= s->lim.max_connections) {
      close(fd); /* over the limit: refuse rather than degrade everyone */
      continue;
    }
    rpc_conn_t *c = calloc(1, sizeof(*c));
    if (!c || nghttp2_session_server_new2(&c->session, s->cbs, c, s->opt) != 0) {
      free(c);
      close(fd);
      continue;
    }
    rpc_tls_t *tls = NULL;
    if (s->tls && !(tls = rpc_tls_new(s->tls, fd, NULL))) {
      nghttp2_session_del(c->session);
      free(c);
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    rpc_sock_init(&c->sock, fd, tls);
    c->srv = s;
    c->io.fd = fd;
    c->io.fn = on_conn_io;
    c->io.arg = c;
    c->flush.fn = on_flush;
    c->flush.arg = c;
    c->timer.fn = on_conn_timer;
    c->timer.arg = c;
    c->last_active = rpc_loop_now(s->loop);
    rpc_timer_start(s->loop, &c->timer, s->lim.handshake_timeout_ms);
    peer_name(&sa, c->peer, sizeof(c->peer));
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, s->lim.max_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, s->lim.max_header_list},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1u << 20},
    };
    nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, iv, 3);
    nghttp2_session_set_local_window_size(c->session, NGHTTP2_FLAG_NONE, 0, 1 << 24);
    if (rpc_loop_add(s->loop, &c->io, EPOLLIN | EPOLLRDHUP) != 0) {
      rpc_timer_stop(s->loop, &c->timer);
      nghttp2_session_del(c->session);
      rpc_sock_close(&c->sock);
      free(c);
      continue;
    }
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    conn_schedule(c);
  }
}

static int listen_on(const char *addr, int reuseport) {
  char host[256], service[8];
  uint16_t port;
  if (rpc_addr_split(addr, host, sizeof(host), &port) != RPC_OK) {
    errno = EINVAL;
    return -1;
  }
  snprintf(service, sizeof(service), "%u", (unsigned)port);
  struct addrinfo hints = {0}, *res;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  if (getaddrinfo(*host ? host : NULL, service, &hints, &res) != 0) return -1;
  int fd = -1;
  for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  return fd;
}

rpc_server_t *rpc_server_new(rpc_loop_t *loop, const char *listen, const rpc_method_t *methods,
                             size_t n, const rpc_server_limits_t *limits) {
  rpc_server_t *s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->loop = loop;
  s->methods = methods;
  s->nmethods = n;
  if (limits) s->lim = *limits;
  if (!s->lim.max_connections) s->lim.max_connections = 1024;
  if (!s->lim.max_streams) s->lim.max_streams = 100;
  if (!s->lim.max_recv_msg) s->lim.max_recv_msg = 4u << 20;
  if (!s->lim.max_header_list) s->lim.max_header_list = 16u << 10;
  if (!s->lim.idle_timeout_ms) s->lim.idle_timeout_ms = 300000;
  if (!s->lim.handshake_timeout_ms) s->lim.handshake_timeout_ms = 10000;
  if (!s->lim.request_timeout_ms) s->lim.request_timeout_ms = 10000;
  s->lio.fd = listen_on(listen, s->lim.reuseport);
  if (s->lio.fd < 0) {
    rpc_log("cannot listen on %s: %s", listen, strerror(errno));
    free(s);
    return NULL;
  }
  nghttp2_session_callbacks_new(&s->cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(s->cbs, cb_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(s->cbs, cb_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(s->cbs, cb_data);
  nghttp2_session_callbacks_set_on_frame_recv_callback(s->cbs, cb_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(s->cbs, cb_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(s->cbs, cb_frame_send);
  nghttp2_session_callbacks_set_error_callback2(s->cbs, cb_error);
  nghttp2_option_new(&s->opt);
  nghttp2_option_set_max_deflate_dynamic_table_size(s->opt, 4096);
  /* rapid reset (CVE-2023-44487): a burst of 1000 resets, then 33 a second */
  nghttp2_option_set_stream_reset_rate_limit(s->opt, 1000, 33);
  /* gRPC uses no priorities: closed streams need not be kept for the tree */
  nghttp2_option_set_no_closed_streams(s->opt, 1);
  s->lio.fn = on_accept;
  s->lio.arg = s;
  rpc_loop_add(loop, &s->lio, EPOLLIN);
  return s;
}

static uint32_t open_calls(rpc_server_t *s) {
  uint32_t n = 0;
  for (rpc_conn_t *c = s->conns; c; c = c->next)
    for (rpc_scall_t *call = c->calls; call; call = call->next)
      n++;
  return n;
}

static void on_drain_check(rpc_timer_t *t) {
  rpc_server_t *s = t->arg;
  if (open_calls(s) == 0 || rpc_loop_now(s->loop) >= s->drain_end)
    rpc_loop_stop(s->loop);
  else
    rpc_timer_start(s->loop, t, 10);
}

int rpc_server_drain(rpc_server_t *s, uint32_t timeout_ms) {
  if (!s->draining) {
    s->draining = 1;
    rpc_loop_del(s->loop, &s->lio);
    close(s->lio.fd);
    s->lio.fd = -1;
    for (rpc_conn_t *c = s->conns; c; c = c->next) {
      /* last-stream-id = the last stream we saw: those finish, later ones are
       * refused and safe for the client to retry */
      nghttp2_submit_goaway(c->session, NGHTTP2_FLAG_NONE,
                            nghttp2_session_get_last_proc_stream_id(c->session), NGHTTP2_NO_ERROR,
                            NULL, 0);
      conn_schedule(c);
    }
  }
  s->drain_check.fn = on_drain_check;
  s->drain_check.arg = s;
  s->drain_end = rpc_loop_update_now(s->loop) + timeout_ms;
  rpc_timer_start(s->loop, &s->drain_check, 0);
  rpc_loop_run(s->loop); /* a second signal stops the drain at once */
  rpc_timer_stop(s->loop, &s->drain_check);
  return (int)open_calls(s);
}

void rpc_server_free(rpc_server_t *s) {
  if (!s) return;
  while (s->conns)
    conn_close(s->conns);
  if (s->lio.fd >= 0) {
    rpc_loop_del(s->loop, &s->lio);
    close(s->lio.fd);
  }
  while (s->pool) {
    rpc_scall_t *c = s->pool;
    s->pool = c->next;
    free(c->out);
    free(c->md);
    free(c->rmd);
    rpc_deframer_free(&c->df);
    free(c);
  }
  nghttp2_session_callbacks_del(s->cbs);
  nghttp2_option_del(s->opt);
  free(s);
}
