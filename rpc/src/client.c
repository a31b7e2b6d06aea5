/*
 * client.c - the I/O-free gRPC client core: requests out, responses in,
 * statuses from headers, trailers or stream resets. See rpc_client.h.
 */
#include <stdio.h>
#include <sys/types.h>
#include <string.h>

#include "rpc_client.h"

#define MAKE_NV(n, v, vl)                                                                          \
  {                                                                                                \
    (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, (vl),                                           \
        NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE                               \
  }

static void set_status(rpc_call_t *call, int code, const char *msg) {
  call->code = code;
  if (!msg) msg = "";
  size_t n = strlen(msg); /* a copy, not snprintf: every call ends here */
  if (n >= sizeof(call->message)) n = sizeof(call->message) - 1;
  memcpy(call->message, msg, n);
  call->message[n] = '\0';
}

/* Doubly linked: a gateway's storage connection has hundreds of calls in
 * flight, and the one that ends is most often the oldest, at the tail. */
static void unlink_call(rpc_client_t *c, rpc_call_t *call) {
  int linked = call->prev || c->calls == call;
  if (call->prev)
    call->prev->next = call->next;
  else if (linked)
    c->calls = call->next;
  if (linked && call->next) call->next->prev = call->prev;
  call->prev = call->next = NULL;
  if (call->stream_id > 0 && c->session)
    nghttp2_session_set_stream_user_data(c->session, call->stream_id, NULL);
}

/* Unlinks the call and reports it; the caller may reuse it from then on. A
 * refused call is first offered for one retry elsewhere: it was never
 * processed, so sending it again is safe. */
static void finish(rpc_call_t *call) {
  rpc_client_t *c = call->client;
  if (call->done) return;
  unlink_call(c, call);
  if (call->refused && !call->retried && c->retry && c->retry(c->retry_arg, c, call) == 0) return;
  call->done = 1;
  if (call->cbs.on_close) call->cbs.on_close(call);
}

void rpc_client_cancel(rpc_client_t *c, rpc_call_t *call, int code, const char *message) {
  if (call->done) return;
  if (call->stream_id > 0 && c->session)
    nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE, call->stream_id, NGHTTP2_CANCEL);
  set_status(call, code, message);
  finish(call);
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *ud) {
  (void)s, (void)f, (void)ud;
  return 0;
}

static int hdr_is(const uint8_t *name, size_t len, const char *want) {
  return len == strlen(want) && memcmp(name, want, len) == 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *ud) {
  (void)flags, (void)ud;
  rpc_call_t *call = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
  if (!call || call->done) return 0;
  if (hdr_is(name, nlen, ":status")) {
    int st = 0;
    for (size_t i = 0; i < vlen && i < 3; i++)
      st = st * 10 + (value[i] - '0');
    call->http_status = st;
#if FC_RETRY
    /* 2: headers that open a response (the server committed to the call, a
     * retry policy's test); 1: a trailers-only answer. END_STREAM is 0x1. */
    call->got_headers = (uint8_t)(2 - (f->hd.flags & NGHTTP2_FLAG_END_STREAM));
#else
    call->got_headers = 1;
#endif
  } else if (hdr_is(name, nlen, "grpc-status")) {
    call->code = rpc_code_parse((const char *)value, vlen);
    call->got_status = 1;
  } else if (hdr_is(name, nlen, "grpc-message")) {
    rpc_msg_decode((const char *)value, vlen, call->message, sizeof(call->message));
  } else if (call->cbs.on_metadata && nlen && name[0] != ':') {
    /* trailers: a second HEADERS, or a trailers-only response */
    int trailer = f->headers.cat == NGHTTP2_HCAT_HEADERS || (f->hd.flags & NGHTTP2_FLAG_END_STREAM);
    call->cbs.on_metadata(call, name, nlen, value, vlen, trailer);
  }
  return 0;
}

static int on_msg(void *arg, const uint8_t *msg, size_t len) {
  rpc_call_t *call = arg;
  if (call->cbs.on_message && call->cbs.on_message(call, msg, len) != 0) return 1;
  return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t sid, const uint8_t *data,
                         size_t len, void *ud) {
  (void)flags;
  rpc_client_t *c = ud;
  rpc_call_t *call = nghttp2_session_get_stream_user_data(s, sid);
  /* a proxy's error page (nginx's 502) is no gRPC message: its :status
   * makes the call's status at the stream's end */
  if (!call || call->done || call->http_status != 200) return 0;
  int r = rpc_deframer_feed(&call->deframer, data, len, on_msg, call);
  if (call->done) return 0; /* the owner cancelled it from on_message */
  switch (r) {
  case RPC_OK:
    break;
  case RPC_ERR_TOO_LARGE: {
    char m[80];
    RPC_ERRF(m, sizeof(m), "grpc: received message larger than max (%lu)",
             (unsigned long)call->deframer.max);
    rpc_client_cancel(c, call, RPC_CODE_RESOURCE_EXHAUSTED, m);
    break;
  }
  case RPC_ERR_COMPRESSED:
    rpc_client_cancel(c, call, RPC_CODE_INTERNAL,
                      RPC_ERRSTR("compressed message without grpc-encoding"));
    break;
  case RPC_ERR_NOMEM:
    rpc_client_cancel(c, call, RPC_CODE_RESOURCE_EXHAUSTED,
                      RPC_ERRSTR("no memory for the message"));
    break;
  default: /* the owner refused a message it could not decode */
    rpc_client_cancel(c, call, RPC_CODE_INTERNAL,
                      RPC_ERRSTR("grpc: failed to unmarshal the response"));
    break;
  }
  return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t sid, uint32_t err, void *ud) {
  (void)ud;
  rpc_call_t *call = nghttp2_session_get_stream_user_data(s, sid);
  if (!call || call->done) return 0;
  if (call->got_status) {
    if (call->code == RPC_CODE_OK && !rpc_deframer_idle(&call->deframer))
      set_status(call, RPC_CODE_INTERNAL, RPC_ERRSTR("stream ended inside a message"));
  } else if (err == NGHTTP2_REFUSED_STREAM && !call->got_headers) {
    call->refused = 1;
    set_status(call, RPC_CODE_UNAVAILABLE, RPC_ERRSTR("the server refused the stream (GOAWAY)"));
  } else if (err != NGHTTP2_NO_ERROR) {
    char m[64];
    RPC_ERRF(m, sizeof(m), "stream terminated by RST_STREAM with error code: %u", (unsigned)err);
    set_status(call, rpc_code_from_h2(err), m);
  } else if (call->http_status != 200 && call->http_status != 0) {
    char m[64];
    RPC_ERRF(m, sizeof(m), "unexpected HTTP status code received from server: %d",
             call->http_status);
    set_status(call, rpc_code_from_http(call->http_status), m);
  } else {
    set_status(call, RPC_CODE_INTERNAL,
               RPC_ERRSTR("server closed the stream without sending trailers"));
  }
  finish(call);
  return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *ud) {
  (void)s;
  rpc_client_t *c = ud;
  static const char calm[] = "too_many_pings";
  c->frames_in++;
  if (f->hd.type == NGHTTP2_GOAWAY) {
    c->goaway = 1;
    if (f->goaway.error_code == NGHTTP2_ENHANCE_YOUR_CALM &&
        f->goaway.opaque_data_len == sizeof(calm) - 1 &&
        memcmp(f->goaway.opaque_data, calm, sizeof(calm) - 1) == 0)
      c->too_many_pings = 1;
  }
  return 0;
}

static ssize_t read_body(nghttp2_session *s, int32_t sid, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *ud);

#define RPC_UA "grpc-c-embedded/0.1"

/* "PREFIX grpc-c-embedded/0.1", the prefix cut to fit, or the stack's name
 * alone (memcpy: a board's layering refuses the strcpy snprintf becomes). */
static void user_agent(char *dst, const char *prefix) {
  size_t own = sizeof(RPC_UA), n = prefix ? strlen(prefix) : 0;
  if (n > RPC_CLIENT_UA_LEN - own - 1) n = RPC_CLIENT_UA_LEN - own - 1;
  if (n) {
    memcpy(dst, prefix, n);
    dst[n++] = ' ';
  }
  memcpy(dst + n, RPC_UA, own);
}

int rpc_client_init(rpc_client_t *c, const rpc_client_cfg_t *cfg) {
  nghttp2_session_callbacks *cbs;
  nghttp2_option *opt;
  memset(c, 0, sizeof(*c));
  c->authority = cfg->authority ? cfg->authority : "localhost";
  c->scheme = cfg->tls ? "https" : "http";
  c->ua_prefix = cfg->user_agent;
  if (nghttp2_session_callbacks_new(&cbs) != 0) return RPC_ERR_NOMEM;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
  if (nghttp2_option_new(&opt) != 0) {
    nghttp2_session_callbacks_del(cbs);
    return RPC_ERR_NOMEM;
  }
  uint32_t table = cfg->header_table_size ? cfg->header_table_size : 4096u;
  /* our encoder's table: requests repeat the same few headers */
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, table);
  nghttp2_option_set_peer_max_concurrent_streams(opt, 100);
  int rv = nghttp2_session_client_new3(&c->session, cbs, c, opt, (nghttp2_mem *)cfg->mem);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_option_del(opt);
  if (rv != 0) return RPC_ERR_NOMEM;
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, table},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
       cfg->initial_window_size ? cfg->initial_window_size : 65535u},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 16384u},
  };
  if (nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0]))) {
    nghttp2_session_del(c->session); /* the arena gets it back */
    c->session = NULL;
    return RPC_ERR_NOMEM;
  }
  return RPC_OK;
}

void rpc_client_fail(rpc_client_t *c, int code, const char *message) {
  c->failed = 1;
  while (c->calls) {
    rpc_call_t *call = c->calls;
    set_status(call, code, message);
    finish(call);
  }
}

void rpc_client_free(rpc_client_t *c) {
  rpc_client_fail(c, RPC_CODE_CANCELLED, RPC_ERRSTR("the client connection is closing"));
  if (c->session) nghttp2_session_del(c->session);
  c->session = NULL;
}

static ssize_t read_body(nghttp2_session *s, int32_t sid, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *ud) {
  (void)s, (void)sid, (void)ud;
  rpc_call_t *call = src->ptr;
  if (!call->pending) { /* nothing queued: the end, or wait for the next */
    if (call->half_closed) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    call->deferred = 1;
    return NGHTTP2_ERR_DEFERRED;
  }
  size_t total = 5 + call->req_len, n = 0;
  while (n < len && call->req_off < total) {
    size_t off = call->req_off, k;
    if (off < 5) {
      k = 5 - off;
      if (k > len - n) k = len - n;
      memcpy(buf + n, call->prefix + off, k);
    } else {
      k = total - off;
      if (k > len - n) k = len - n;
      if (call->body_fn) {
        if (call->body_fn(call->body_arg, buf + n, off - 5, k) != 0)
          return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets the stream */
      } else {
        memcpy(buf + n, call->req + (off - 5), k);
      }
    }
    n += k;
    call->req_off += k;
  }
  if (call->req_off == total) {
    call->pending = 0;
    if (call->half_closed) *flags |= NGHTTP2_DATA_FLAG_EOF;
  }
  return (ssize_t)n;
}

void rpc_call_init(rpc_call_t *call, const rpc_call_cbs_t *cbs, void *user) {
  memset(call, 0, sizeof(*call));
  if (cbs) call->cbs = *cbs;
  call->user = user;
}

rpc_deframer_t *rpc_call_deframer(rpc_call_t *call) {
  return &call->deframer;
}

void rpc_call_set_body(rpc_call_t *call, rpc_body_fn fn, void *arg) {
  call->body_fn = fn;
  call->body_arg = arg;
}

int rpc_call_sending(const rpc_call_t *call) {
  return !call->done && call->pending;
}

void rpc_call_set_metadata(rpc_call_t *call, const rpc_md_t *md, size_t pairs) {
  call->md = md;
  call->md_pairs = md ? pairs : 0;
}

void *rpc_call_user(const rpc_call_t *call) {
  return call->user;
}

int rpc_call_code(const rpc_call_t *call) {
  return call->code;
}

const char *rpc_call_message(const rpc_call_t *call) {
  return call->message;
}

/* Queues msg[len] as the call's next request message. */
static void queue_msg(rpc_call_t *call, const uint8_t *msg, size_t len, int last) {
  call->req = msg;
  call->req_len = len;
  call->req_off = 0;
  call->pending = 1;
  call->half_closed = last != 0;
  rpc_frame_prefix(call->prefix, (uint32_t)len);
}

/* Lets nghttp2 ask for the body again after it was told to wait. */
static void wake(rpc_client_t *c, rpc_call_t *call) {
  if (!call->deferred) return;
  call->deferred = 0;
  nghttp2_session_resume_data(c->session, call->stream_id);
}

int rpc_client_send_msg(rpc_client_t *c, rpc_call_t *call, const uint8_t *msg, size_t len,
                        int last) {
  if (call->done || call->half_closed || call->pending || len > 0x7fffffffu) return RPC_ERR_ARG;
  if (!msg && !call->body_fn && len) return RPC_ERR_ARG;
  queue_msg(call, msg, len, last);
  wake(c, call);
  return RPC_OK;
}

int rpc_client_close_send(rpc_client_t *c, rpc_call_t *call) {
  if (call->done) return RPC_ERR_ARG;
  call->half_closed = 1;
  wake(c, call);
  return RPC_OK;
}

static int start(rpc_client_t *c, rpc_call_t *call, const char *path, const uint8_t *req,
                 size_t len, int stream, uint32_t timeout_ms, uint32_t now_ms) {
  if (!c->session || c->failed || c->goaway || len > 0x7fffffffu) return RPC_ERR_ARG;
  char *tmo = call->timeout_hdr; /* NO_COPY: must outlive the HEADERS frame */
  size_t tlen = 0;
  call->client = c;
  call->path = path;
  call->done = call->got_status = call->got_headers = call->refused = 0;
  call->http_status = 0;
  call->code = RPC_CODE_UNKNOWN;
  call->message[0] = '\0';
  call->deferred = 0;
  if (stream) {
    call->req = NULL, call->req_len = call->req_off = 0;
    call->pending = call->half_closed = 0;
    call->retried = 1; /* what it streams is not kept: never sent again */
  } else {
    queue_msg(call, req, len, 1);
  }
  rpc_deframer_reset(&call->deframer); /* nothing half-read from a call before */
  /* deadlines are compared by 32-bit difference (rpc_client_tick): a longer
   * one would read as already past, so cap it at 2^31 - 1 ms (24.8 days) */
  if (timeout_ms > INT32_MAX) timeout_ms = INT32_MAX;
  call->has_deadline = timeout_ms != 0;
  call->deadline_ms = now_ms + timeout_ms;
  c->now_ms = now_ms;
  if (timeout_ms) tlen = rpc_timeout_encode(timeout_ms, tmo);
  char ua[RPC_CLIENT_UA_LEN];
  user_agent(ua, c->ua_prefix);
  nghttp2_nv nva[] = {
      MAKE_NV(":method", "POST", 4),
      MAKE_NV(":scheme", c->scheme, strlen(c->scheme)),
      MAKE_NV(":path", path, strlen(path)),
      MAKE_NV(":authority", c->authority, strlen(c->authority)),
      MAKE_NV("te", "trailers", 8),
      MAKE_NV("content-type", "application/grpc", 16),
      {(uint8_t *)"user-agent", (uint8_t *)ua, 10, strlen(ua),
       NGHTTP2_NV_FLAG_NO_COPY_NAME}, /* the value is copied: ua is ours */
      {(uint8_t *)"grpc-timeout", (uint8_t *)tmo, 12, tlen,
       NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE | NGHTTP2_NV_FLAG_NO_INDEX},
  };
  nghttp2_data_provider prd;
  prd.source.ptr = call;
  prd.read_callback = read_body;
  /* grpc-timeout goes last and is left out when there is no deadline */
  size_t n = sizeof(nva) / sizeof(nva[0]) - (timeout_ms ? 0 : 1);
  nghttp2_nv all[sizeof(nva) / sizeof(nva[0]) + RPC_CLIENT_MAX_MD];
  memcpy(all, nva, n * sizeof(nva[0]));
  for (size_t k = 0; k < call->md_pairs && k < RPC_CLIENT_MAX_MD; k++, n++) {
    const char *name = call->md[k].name, *value = call->md[k].value;
    /* copied: the caller's strings may go. A traceparent, like the
     * grpc-timeout above, is new each call, so neither is indexed: each
     * would take a slot of the header table and push out the headers every
     * call repeats (authority, content-type, user-agent) within a few dozen
     * calls, and the peer's decoder would do the same work */
    all[n] =
        (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value),
                     strcmp(name, "traceparent") ? NGHTTP2_NV_FLAG_NONE : NGHTTP2_NV_FLAG_NO_INDEX};
  }
  int32_t sid = nghttp2_submit_request(c->session, NULL, all, n, &prd, call);
  if (sid < 0) return sid == NGHTTP2_ERR_NOMEM ? RPC_ERR_NOMEM : RPC_ERR_ARG;
  call->stream_id = sid;
  call->prev = NULL;
  call->next = c->calls;
  if (c->calls) c->calls->prev = call;
  c->calls = call;
  return RPC_OK;
}

int rpc_client_start(rpc_client_t *c, rpc_call_t *call, const char *path, const uint8_t *req,
                     size_t len, uint32_t timeout_ms, uint32_t now_ms) {
  return start(c, call, path, req, len, 0, timeout_ms, now_ms);
}

int rpc_client_start_stream(rpc_client_t *c, rpc_call_t *call, const char *path,
                            uint32_t timeout_ms, uint32_t now_ms) {
  return start(c, call, path, NULL, 0, 1, timeout_ms, now_ms);
}

/* nghttp2 failed the session (out of memory, a callback failure, a flood):
 * our few words and its code, which nghttp2.h names. nghttp2_strerror's
 * table of every error would cost a board 2 KB of flash for errors a client
 * almost never sees. */
static void session_failed(rpc_client_t *c, int err) {
  char m[64];
  if (err == NGHTTP2_ERR_NOMEM) {
    rpc_client_fail(c, RPC_CODE_INTERNAL,
                    RPC_ERRSTR("connection error: no memory for the HTTP/2 session"));
    return;
  }
  RPC_ERRF(m, sizeof(m), "connection error: HTTP/2 session error %d", err);
  rpc_client_fail(c, RPC_CODE_INTERNAL, m);
}

/* nghttp2 answers a connection error in what the server sent (a frame that
 * breaks HTTP/2, an HTTP/1.1 reply) with GOAWAY and reads no more: calls
 * still open then could only wait for their deadlines, or for ever. True
 * (and the calls closed) when that has happened. */
static int ended(rpc_client_t *c) {
  if (c->failed) return 1;
  if (!c->calls || nghttp2_session_want_read(c->session)) return 0;
  if (nghttp2_session_want_write(c->session)) return 0; /* the GOAWAY goes out first */
  rpc_client_fail(c, RPC_CODE_INTERNAL,
                  RPC_ERRSTR("connection error: the server broke the HTTP/2 protocol"));
  return 1;
}

int rpc_client_recv(rpc_client_t *c, const uint8_t *in, size_t len) {
  if (!c->session || c->failed) return RPC_ERR_PROTO;
  ssize_t r = nghttp2_session_mem_recv(c->session, in, len);
  if (r < 0) {
    session_failed(c, (int)r);
    return RPC_ERR_PROTO;
  }
  return ended(c) ? RPC_ERR_PROTO : RPC_OK;
}

long rpc_client_send(rpc_client_t *c, const uint8_t **out) {
  if (!c->session) return RPC_ERR_PROTO;
  ssize_t r = nghttp2_session_mem_send(c->session, out);
  if (r < 0) {
    session_failed(c, (int)r);
    return RPC_ERR_PROTO;
  }
  if (r == 0 && ended(c)) return RPC_ERR_PROTO;
  return (long)r;
}

uint32_t rpc_client_tick(rpc_client_t *c, uint32_t now_ms) {
  uint32_t next = UINT32_MAX;
  c->now_ms = now_ms;
  for (rpc_call_t *call = c->calls, *nx; call; call = nx) {
    nx = call->next;
    if (!call->has_deadline) continue;
    int32_t left = (int32_t)(call->deadline_ms - now_ms);
    if (left <= 0) {
      rpc_client_cancel(c, call, RPC_CODE_DEADLINE_EXCEEDED, RPC_MSG_DEADLINE);
      nx = c->calls; /* the list changed under us: rescan */
    } else if ((uint32_t)left < next) {
      next = (uint32_t)left;
    }
  }
  return next;
}

int rpc_client_ping(rpc_client_t *c) {
  if (!c->session || c->failed) return RPC_ERR_ARG;
  return nghttp2_submit_ping(c->session, NGHTTP2_FLAG_NONE, NULL) == 0 ? RPC_OK : RPC_ERR_NOMEM;
}

int rpc_client_busy(const rpc_client_t *c) {
  if (!c->session) return 0;
  return c->calls != NULL || nghttp2_session_want_write(c->session);
}
