/*
 * server_call.c - the server core's calls: the pool that keeps them and
 * their buffers, the response path (HEADERS, DATA from the queued messages,
 * trailers, or one trailers-only HEADERS) and metadata both ways. See
 * rpc_server_core.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_core.h"

/* big buffers go back to the heap when a call ends; small ones stay with the
 * pooled call */
#define KEEP_BYTES (64u * 1024u)

static void *heap_grow(void *old, size_t n) {
  if (n == 0) {
    free(old);
    return NULL;
  }
  return realloc(old, n);
}

rpc_scall_t *rpc_sc_call_new(rpc_sconn_t *c, int32_t sid) {
  rpc_server_core_t *core = c->core;
  rpc_scall_t *call = core->pool;
  if (call) {
    core->pool = call->next;
    /* keep the buffers, reset the rest */
    uint8_t *out = call->out, *dbuf = call->df.buf;
    char *md = call->md, *rmd = call->rmd;
    size_t out_cap = call->out_cap, dcap = call->df.cap;
    memset(call, 0, sizeof(*call));
    call->out = out;
    call->out_cap = out_cap;
    call->md = md;
    call->rmd = rmd;
    rpc_deframer_init(&call->df, dbuf, dcap, core->lim.max_recv_msg, heap_grow);
  } else {
    call = calloc(1, sizeof(*call));
    if (!call) return NULL;
    rpc_deframer_init(&call->df, NULL, 0, core->lim.max_recv_msg, heap_grow);
  }
  call->conn = c;
  call->sid = sid;
  /* slow senders hold no stream for ever */
  call->request_due = rpc_sc_now(core) + core->lim.request_timeout_ms;
  rpc_sc_due(c, call->request_due);
  call->next = c->calls;
  if (c->calls) c->calls->prev = call;
  c->calls = call;
  c->ncalls++;
  c->block_dirty = 1; /* the stream is in the map */
  rpc_sc_hd_restore(c);
  return call;
}

rpc_method_stats_t *rpc_sc_method_stats(const rpc_scall_t *call) {
  const rpc_server_core_t *core = call->conn->core;
  if (!core->stats || !call->method) return NULL;
  size_t i = (size_t)(call->method - core->methods);
  return i < RPC_STATS_METHODS ? &core->stats->method[i] : NULL;
}

void rpc_sc_stat_start(rpc_scall_t *call) {
  rpc_method_stats_t *ms = rpc_sc_method_stats(call);
  if (!ms) return;
  RPC_STAT_ADD(ms->started, 1);
  call->counted = 1; /* from call->begun_us, when its headers were complete */
}

/* The client has its status (or is gone: code Cancelled). */
static void stat_handled(rpc_scall_t *call, int code) {
  rpc_method_stats_t *ms = rpc_sc_method_stats(call);
  if (!call->counted || !ms) return;
  call->counted = 0;
  if (code < 0 || code >= RPC_STATS_CODES) code = RPC_CODE_UNKNOWN;
  RPC_STAT_ADD(ms->handled[code], 1);
  uint64_t now = rpc_sc_now_us(call->conn->core);
  rpc_hist_observe(&ms->latency, now > call->begun_us ? now - call->begun_us : 0);
}

void rpc_sc_call_release(rpc_scall_t *call) {
  rpc_sconn_t *c = call->conn;
  rpc_server_core_t *core = c->core;
  stat_handled(call, RPC_CODE_CANCELLED); /* the stream closed without our status */
  /* idleness counts from the end of the last call, not the last byte: a
   * trickle of bytes must not hold a connection for ever */
  c->last_active = rpc_sc_now(core);
  if (call->prev)
    call->prev->next = call->next;
  else
    c->calls = call->next;
  if (call->next) call->next->prev = call->prev;
  c->ncalls--;
  if (call->out_cap > KEEP_BYTES) {
    free(call->out);
    call->out = NULL;
    call->out_cap = 0;
  }
  if (call->df.cap > KEEP_BYTES) rpc_deframer_free(&call->df);
  call->prev = NULL;
  call->next = core->pool;
  core->pool = call;
}

void rpc_sc_pool_free(rpc_server_core_t *core) {
  while (core->pool) {
    rpc_scall_t *call = core->pool;
    core->pool = call->next;
    free(call->out);
    free(call->md);
    free(call->rmd);
    rpc_deframer_free(&call->df);
    free(call);
  }
}

void rpc_sc_call_end(rpc_scall_t *call, rpc_end_t why) {
  if (!call->live) return;
  call->live = 0;
  call->room_fn = NULL; /* the handler hears of the end instead */
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

/* nghttp2 pulls the DATA of a response from here; once the queue is empty
 * and the handler has finished, the trailers go with the last piece. */
static ssize_t read_out(nghttp2_session *sess, int32_t sid, uint8_t *buf, size_t len,
                        uint32_t *flags, nghttp2_data_source *src, void *ud) {
  (void)ud;
  rpc_scall_t *call = src->ptr;
  size_t avail = call->out_len - call->out_off;
  size_t n = avail < len ? avail : len;
  if (n) memcpy(buf, call->out + call->out_off, n);
  call->out_off += n;
  if (call->out_off == call->out_len) call->out_off = call->out_len = 0;
  if (call->room_fn && call->out_len - call->out_off <= call->room_low) call->conn->room_due = 1;
  if (call->out_len == 0 && call->finished) {
    char code[4], msg[RPC_SC_STATUS_LEN * 3];
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
  /* no grpc-accept-encoding: it is optional, and with no dynamic table
   * each field costs its literal every call; the refusal of an encoding
   * (a trailers-only response) still names what we take */
  nghttp2_nv nv[2 + RPC_RESPONSE_MD] = {NV_STATIC(":status", "200"),
                                        NV_STATIC("content-type", "application/grpc")};
  size_t n = 2 + md_nv(call, 'H', nv + 2, RPC_RESPONSE_MD);
  nghttp2_data_provider prd;
  prd.source.ptr = call;
  prd.read_callback = read_out;
  call->headers_sent = 1;
  return nghttp2_submit_response(call->conn->session, call->sid, nv, n, &prd);
}

/* Trailers-only: one HEADERS frame with the status and END_STREAM. */
static void send_trailers_only(rpc_scall_t *call, const char *http_status) {
  char code[4], msg[RPC_SC_STATUS_LEN * 3];
  nghttp2_nv nv[5 + 2 * RPC_RESPONSE_MD] = {NV_NAME(":status", http_status, strlen(http_status)),
                                            NV_STATIC("content-type", "application/grpc"),
                                            NV_STATIC("grpc-accept-encoding", "identity")};
  size_t k = 3 + status_nv(call, nv + 3, code, msg, sizeof(msg));
  k += md_nv(call, 'H', nv + k, RPC_RESPONSE_MD); /* one HEADERS frame holds both */
  k += md_nv(call, 'T', nv + k, RPC_RESPONSE_MD);
  call->headers_sent = 1;
  nghttp2_submit_response(call->conn->session, call->sid, nv, k, NULL);
}

void rpc_sc_finish_http(rpc_scall_t *call, int code, const char *message, const char *http) {
  if (call->finished) return;
  call->finished = 1;
  call->live = 0;
  call->room_fn = NULL; /* the handler is done with the call */
  call->code = code;
  stat_handled(call, code);
  snprintf(call->message, sizeof(call->message), "%s", message ? message : "");
  if (!call->headers_sent && call->out_len == 0)
    send_trailers_only(call, http);
  else if (!call->headers_sent)
    send_headers(call);
  else
    nghttp2_session_resume_data(call->conn->session, call->sid);
  rpc_sc_wake(call->conn);
}

int rpc_scall_finish(rpc_scall_t *call, int code, const char *message) {
  rpc_sc_finish_http(call, code, message, "200");
  return RPC_OK;
}

int rpc_scall_send(rpc_scall_t *call, const uint8_t *msg, size_t len) {
  if (call->finished) return RPC_ERR_ARG;
  if (out_append(call, msg, len) != RPC_OK) return RPC_ERR_NOMEM;
  rpc_method_stats_t *ms = rpc_sc_method_stats(call);
  if (ms) RPC_STAT_ADD(ms->msgs_sent, 1);
  if (!call->headers_sent)
    send_headers(call);
  else
    nghttp2_session_resume_data(call->conn->session, call->sid);
  rpc_sc_wake(call->conn);
  return RPC_OK;
}

size_t rpc_scall_queued(const rpc_scall_t *call) {
  return call->out_len - call->out_off;
}

void rpc_scall_when_room(rpc_scall_t *call, size_t low, rpc_scall_room_fn fn, void *arg) {
  call->room_fn = call->finished || !call->live ? NULL : fn; /* never after the call's end */
  call->room_arg = arg;
  call->room_low = low;
  if (call->room_fn && rpc_scall_queued(call) <= low) { /* room already: at the next send */
    call->conn->room_due = 1;
    rpc_sc_wake(call->conn);
  }
}

void rpc_sc_room(rpc_sconn_t *c) {
  c->room_due = 0;
  for (rpc_scall_t *call = c->calls; call; call = call->next) {
    if (!call->room_fn || rpc_scall_queued(call) > call->room_low) continue;
    rpc_scall_room_fn fn = call->room_fn;
    call->room_fn = NULL; /* once */
    fn(call, call->room_arg);
  }
}

int rpc_scall_set_header(rpc_scall_t *call, const char *name, const char *value) {
  if (call->headers_sent || call->finished) return RPC_ERR_ARG;
  return add_md(call, 'H', name, value);
}

int rpc_scall_set_trailer(rpc_scall_t *call, const char *name, const char *value) {
  if (call->finished) return RPC_ERR_ARG;
  return add_md(call, 'T', name, value);
}

int64_t rpc_scall_remaining_ms(const rpc_scall_t *call) {
  if (!call->has_timeout) return -1;
  uint64_t now = rpc_sc_now(call->conn->core);
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

const char *rpc_scall_identity(const rpc_scall_t *call) {
  return call->conn->identity;
}

rpc_sconn_t *rpc_scall_conn(const rpc_scall_t *call) {
  return call->conn;
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
