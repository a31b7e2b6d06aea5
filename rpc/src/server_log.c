/*
 * server_log.c - the server core's calls in the log: each call's W3C trace
 * context (the client's traceparent, or a new trace id from the driver's
 * random source, and the call's own span id), the fields its lines carry
 * (rpc_scall_log) and, in a JSON log, the line that ends it with its code
 * and duration. The lines themselves are rpc_log.h's. See rpc_server_core.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rpc_log.h"
#include "server_core.h"

/* One call in rpc_log_calls(), by its trace id's last 8 hex digits (the
 * random ones of a new id): every tier that samples alike logs the same
 * traces, whole. Without an id, one call in that many. */
static int sampled(const rpc_trace_t *t) {
  static uint32_t seq;
  uint32_t every = rpc_log_calls(), v = 0;
  if (every <= 1) return every == 1;
  if (!t->trace_id[0]) return seq++ % every == 0;
  for (int i = 24; i < 32; i++) {
    char ch = t->trace_id[i];
    v = v << 4 | (uint32_t)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
  }
  return v % every == 0;
}

void rpc_sc_trace_begin(rpc_scall_t *call) {
  const rpc_server_core_t *core = call->conn->core;
  rpc_trace_t *t = &call->trace;
  uint8_t r[24];
  call->traced = 1;
  call->begun_us = rpc_sc_now_us(core);
  if (call->tp_state != 1) { /* none, or one the spec says to ignore */
    t->trace_id[0] = t->parent_id[0] = '\0';
    t->flags = 0;
  }
  if (core->env.random) {
    /* one draw for both ids: a new trace's 16 bytes and the span's 8 */
    core->env.random(r, t->trace_id[0] ? 8 : 24);
    if (!t->trace_id[0]) rpc_hex(t->trace_id, r + 8, 16);
    rpc_hex(t->span_id, r, 8);
  }
  call->noted = (uint8_t)sampled(t);
}

const rpc_trace_t *rpc_scall_trace(const rpc_scall_t *call) {
  return &call->trace;
}

const char *rpc_scall_method(const rpc_scall_t *call) {
  return call->path;
}

static rpc_log_call_t fields(const rpc_scall_t *call) {
  rpc_log_call_t f = {.trace_id = call->trace.trace_id,
                      .span_id = call->trace.span_id,
                      .parent_id = call->trace.parent_id,
                      .method = call->path,
                      .peer = call->conn->peer,
                      .device = call->conn->identity,
                      .code = -1,
                      .duration_us = -1};
  return f;
}

static void call_line(const rpc_scall_t *call, rpc_log_level_t level, const char *fmt, va_list ap) {
  char msg[1024];
  if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0) return;
  rpc_log_call_t f = fields(call);
  rpc_log_emit(&f, level, msg);
}

void rpc_scall_log(const rpc_scall_t *call, rpc_log_level_t level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  call_line(call, level, fmt, ap);
  va_end(ap);
}

void rpc_scall_note(const rpc_scall_t *call, const char *fmt, ...) {
  if (!call->noted) return;
  va_list ap;
  va_start(ap, fmt);
  call_line(call, RPC_LOG_INFO, fmt, ap);
  va_end(ap);
}

/* go-grpc-middleware's levels for a server's codes (DefaultServerCodeToLevel). */
static rpc_log_level_t code_level(int code) {
  switch (code) {
  case RPC_CODE_OK:
  case RPC_CODE_CANCELLED:
  case RPC_CODE_INVALID_ARGUMENT:
  case RPC_CODE_NOT_FOUND:
  case RPC_CODE_ALREADY_EXISTS:
  case RPC_CODE_UNAUTHENTICATED:
    return RPC_LOG_INFO;
  case RPC_CODE_DEADLINE_EXCEEDED:
  case RPC_CODE_PERMISSION_DENIED:
  case RPC_CODE_RESOURCE_EXHAUSTED:
  case RPC_CODE_FAILED_PRECONDITION:
  case RPC_CODE_ABORTED:
  case RPC_CODE_OUT_OF_RANGE:
    return RPC_LOG_WARN;
  default:
    return RPC_LOG_ERROR;
  }
}

void rpc_sc_log_end(rpc_scall_t *call) {
  /* the article's text has no such line: only JSON gets one */
  if (!call->traced || rpc_log_format() != RPC_LOG_JSON) return;
  call->traced = 0;
  rpc_log_call_t f = fields(call);
  /* a call the server never finished was reset by its client */
  f.code = call->finished ? call->code : RPC_CODE_CANCELLED;
  uint64_t now = rpc_sc_now_us(call->conn->core);
  f.duration_us = now > call->begun_us ? (int64_t)(now - call->begun_us) : 0;
  rpc_log_level_t level = code_level(f.code);
  if (level == RPC_LOG_INFO && !call->noted) return; /* a routine end, not sampled */
  char msg[RPC_SC_STATUS_LEN + 32];
  snprintf(msg, sizeof(msg), "finished call with code %s%s%s", rpc_code_name(f.code),
           call->message[0] ? ": " : "", call->message);
  rpc_log_emit(&f, level, msg);
}
