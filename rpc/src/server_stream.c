/*
 * server_stream.c - the server core's nghttp2 callbacks: a request's headers
 * checked before any body (PROTOCOL-HTTP2.md), its custom metadata kept, its
 * messages deframed, the call dispatched by :path, and the stream's end. See
 * rpc_server_core.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_log.h"
#include "server_core.h"

static void start_call(rpc_scall_t *call, const uint8_t *req, size_t len);

static int cb_begin_headers(nghttp2_session *sess, const nghttp2_frame *f, void *ud) {
  rpc_sconn_t *c = ud;
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  rpc_scall_t *call = rpc_sc_call_new(c, f->hd.stream_id);
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
  (void)flags;
  rpc_sconn_t *c = ud;
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  rpc_scall_t *call = nghttp2_session_get_stream_user_data(sess, f->hd.stream_id);
  if (!call) return 0;
  call->hdr_bytes += (uint32_t)(nlen + vlen + 32);
  if (call->hdr_bytes > c->core->lim.max_header_list) {
    rpc_log("%s: header list over %u bytes, stream reset", c->peer, c->core->lim.max_header_list);
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* RST_STREAM */
  }
  if (is(name, nlen, ":method")) {
    call->post = is(value, vlen, "POST");
  } else if (is(name, nlen, ":path")) {
    size_t n = vlen < RPC_SC_PATH_LEN - 1 ? vlen : RPC_SC_PATH_LEN - 1;
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
  } else if (is(name, nlen, "traceparent")) {
    /* the runtime's own header, never custom metadata: a second one makes
     * both invalid (W3C trace context) */
    call->tp_state =
        !call->tp_state && rpc_traceparent_parse((const char *)value, vlen, &call->trace) == 0 ? 1
                                                                                               : 2;
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

static const rpc_method_t *find_method(const rpc_server_core_t *core, const char *path) {
  for (size_t i = 0; i < core->nmethods; i++)
    if (strcmp(core->methods[i].path, path) == 0) return &core->methods[i];
  return NULL;
}

/* Unimplemented, worded as grpc-go words it. */
static void reject_unknown(rpc_scall_t *call) {
  const rpc_server_core_t *core = call->conn->core;
  char m[RPC_SC_STATUS_LEN];
  const char *slash = strrchr(call->path, '/');
  size_t svc_len = slash && call->path[0] == '/' ? (size_t)(slash - call->path) : 0;
  int known = 0;
  for (size_t i = 0; i < core->nmethods && svc_len; i++)
    known |= strncmp(core->methods[i].path, call->path, svc_len + 1) == 0;
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
  rpc_sconn_t *c = call->conn;
  rpc_sc_trace_begin(call);
  /* the request timeout may have ended the call while its header block was
   * still coming in: a request stream's handler must not get it */
  if (call->finished) return;
  if (!call->post) {
    rpc_sc_finish_http(call, RPC_CODE_INTERNAL, "gRPC requires POST", "405");
  } else if (!call->grpc_ct) {
    rpc_sc_finish_http(call, RPC_CODE_INTERNAL, "invalid gRPC request content-type", "415");
  } else if (call->bad_encoding) {
    rpc_scall_finish(call, RPC_CODE_UNIMPLEMENTED, "grpc: unsupported grpc-encoding");
  } else if (call->bad_timeout) {
    rpc_scall_finish(call, RPC_CODE_INTERNAL, "malformed grpc-timeout");
  } else if (!(call->method = find_method(c->core, call->path))) {
    reject_unknown(call);
  } else {
    rpc_sc_stat_start(call);
    if (call->has_timeout) {
      call->deadline_at = rpc_sc_now(c->core) + call->timeout_ms;
      rpc_sc_due(c, call->deadline_at);
    }
    if (call->method->on_msg) start_call(call, NULL, 0); /* requests stream in */
  }
}

static int on_req_msg(void *arg, const uint8_t *msg, size_t len) {
  rpc_scall_t *call = arg;
  rpc_method_stats_t *ms = rpc_sc_method_stats(call);
  if (ms) RPC_STAT_ADD(ms->msgs_received, 1);
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
  rpc_sc_call_end(call, RPC_END_CANCELLED); /* a streaming handler may hold the call */
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
  call->dispatched = 1;
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
  rpc_sconn_t *c = ud;
  if (f->hd.type == NGHTTP2_SETTINGS) {
    if (!(f->hd.flags & NGHTTP2_FLAG_ACK))
      c->established = 1;
    else if (c->settings_unacked)
      c->settings_unacked--; /* ACKs come in the order we sent (RFC 9113, 6.5.3) */
  }
  if (f->hd.type == NGHTTP2_PING) rpc_sk_ping(c, f);
  if (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) return 0;
  rpc_scall_t *call = nghttp2_session_get_stream_user_data(sess, f->hd.stream_id);
  if (!call) return 0;
  if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST) check_headers(call);
  if (f->hd.flags & NGHTTP2_FLAG_END_STREAM) {
    call->closed_remote = 1;
    if (call->method && call->method->on_msg) {
      if (!call->live) return 0;
      if (!rpc_deframer_idle(&call->df)) {
        rpc_sc_call_end(call, RPC_END_CANCELLED);
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
  if (f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) rpc_sk_sent(ud);
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
  rpc_sc_call_end(call, RPC_END_CANCELLED);
  rpc_sc_log_end(call);
  rpc_sc_call_release(call);
  return 0;
}

void rpc_sc_callbacks(nghttp2_session_callbacks *cbs) {
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, cb_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, cb_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, cb_data);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, cb_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, cb_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, cb_frame_send);
  nghttp2_session_callbacks_set_error_callback2(cbs, cb_error);
}
