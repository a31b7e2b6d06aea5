/*
 * server_core.c - the I/O-free server core: one nghttp2 server session per
 * connection, fed bytes and drained of bytes by the driver, and the calls'
 * deadlines kept on the driver's clock. See rpc_server_core.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rpc_log.h"
#include "server_core.h"

static void fill_defaults(rpc_server_limits_t *lim) {
  if (!lim->max_connections) lim->max_connections = 1024;
  if (!lim->max_streams) lim->max_streams = 100;
  if (!lim->max_recv_msg) lim->max_recv_msg = 4u << 20;
  if (!lim->max_header_list) lim->max_header_list = 16u << 10;
  if (!lim->idle_timeout_ms) lim->idle_timeout_ms = 300000;
  /* a 12.5 MHz board's mutual TLS (4.3 s of arithmetic) plus three lost
   * flights at lwIP's 3 s initial retransmission timeout, doubled: 3+6+12 s */
  if (!lim->handshake_timeout_ms) lim->handshake_timeout_ms = 30000;
  if (!lim->request_timeout_ms) lim->request_timeout_ms = 10000;
  /* keepalive: docs/design.md, "Keepalive", says why these */
  if (!lim->keepalive_min_ms) lim->keepalive_min_ms = 10000;
  if (!lim->keepalive_ms) lim->keepalive_ms = 120000;
  if (!lim->keepalive_timeout_ms) lim->keepalive_timeout_ms = 20000;
  if (!lim->max_age_grace_ms) lim->max_age_grace_ms = 60000;
}

rpc_server_core_t *rpc_server_core_new(const rpc_method_t *methods, size_t n,
                                       const rpc_server_limits_t *limits,
                                       const rpc_server_env_t *env) {
  if (!env || !env->now_ms) return NULL;
  rpc_server_core_t *core = calloc(1, sizeof(*core));
  if (!core) return NULL;
  core->methods = methods;
  core->nmethods = n;
  core->env = *env;
  if (limits) core->lim = *limits;
  fill_defaults(&core->lim);
  if (nghttp2_session_callbacks_new(&core->cbs) != 0 || nghttp2_option_new(&core->opt) != 0) {
    rpc_server_core_free(core);
    return NULL;
  }
  rpc_sc_callbacks(core->cbs);
  core->pg_on = rpc_sc_pool_usable();
  /* our header table is empty for ever: an idle connection keeps no
   * entries (and rpc_sconn_idle may give its index array back); what we
   * send is 3 fields, ":status" from the static table */
  nghttp2_option_set_max_deflate_dynamic_table_size(core->opt, 0);
  /* rapid reset (CVE-2023-44487): a burst of 1000 resets, then 33 a second */
  nghttp2_option_set_stream_reset_rate_limit(core->opt, 1000, 33);
  /* gRPC uses no priorities: closed streams need not be kept for the tree */
  nghttp2_option_set_no_closed_streams(core->opt, 1);
  return core;
}

void rpc_server_core_free(rpc_server_core_t *core) {
  if (!core) return;
  rpc_sc_pool_free(core);
  if (core->cbs) nghttp2_session_callbacks_del(core->cbs);
  if (core->opt) nghttp2_option_del(core->opt);
  rpc_sc_mem_free(core);
  free(core);
}

void rpc_server_core_set_stats(rpc_server_core_t *core, rpc_server_stats_t *stats) {
  core->stats = stats;
}

const rpc_server_limits_t *rpc_server_core_limits(const rpc_server_core_t *core) {
  return &core->lim;
}

void rpc_sc_wake(rpc_sconn_t *c) {
  if (!c->closing && c->core->env.wake) c->core->env.wake(c->arg);
}

/* --- connections --------------------------------------------------------- */

rpc_sconn_t *rpc_sconn_new(rpc_server_core_t *core, const char *peer, void *arg) {
  rpc_sconn_t *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->core = core; /* before the session: its allocator reads it */
  if (rpc_sc_session_new(core, c) != 0) {
    free(c);
    return NULL;
  }
  c->arg = arg;
  c->last_active = rpc_sc_now(core);
  c->next_due = rpc_sk_start(c, c->last_active);
  c->peer = peer ? peer : "";
  c->identity = "";
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, core->lim.max_streams},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, core->lim.max_header_list},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1u << 20},
  };
  if (nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, iv, 3) != 0) {
    nghttp2_session_del(c->session);
    free(c);
    return NULL;
  }
  c->settings_unacked = 1;
  nghttp2_session_set_local_window_size(c->session, NGHTTP2_FLAG_NONE, 0, 1 << 24);
  return c;
}

void rpc_sconn_free(rpc_sconn_t *c) {
  if (!c) return;
  c->closing = 1;
  /* the session goes without calling on_stream_close: end the calls here */
  while (c->calls) {
    rpc_scall_t *call = c->calls;
    rpc_sc_call_end(call, RPC_END_CANCELLED);
    rpc_sc_log_end(call); /* cut with its connection: Canceled unless finished */
    call->finished = 1;
    rpc_sc_call_release(call);
  }
  nghttp2_session_del(c->session);
  rpc_sc_mem_check(c);
  free(c);
}

int rpc_sconn_recv(rpc_sconn_t *c, const uint8_t *in, size_t len) {
  rpc_sk_read(c, rpc_sc_now(c->core));
  ssize_t r = nghttp2_session_mem_recv(c->session, in, len);
  if (r >= 0) return RPC_OK;
  /* a broken peer: tell it why (GOAWAY) if we can */
  rpc_log("closing %s: %s", c->peer, nghttp2_strerror((int)r));
  if (r != NGHTTP2_ERR_BAD_CLIENT_MAGIC)
    nghttp2_session_terminate_session(c->session, NGHTTP2_PROTOCOL_ERROR);
  return RPC_ERR_PROTO;
}

long rpc_sconn_send(rpc_sconn_t *c, const uint8_t **out) {
  long n = (long)nghttp2_session_mem_send(c->session, out);
  if (c->room_due) rpc_sc_room(c); /* outside nghttp2: its bytes are out */
  return n;
}

int rpc_sconn_want_io(const rpc_sconn_t *c) {
  return nghttp2_session_want_read(c->session) || nghttp2_session_want_write(c->session);
}

void rpc_sconn_goaway(rpc_sconn_t *c) {
  /* last-stream-id = the last stream we saw: those finish, later ones are
   * refused and safe for the client to retry */
  nghttp2_submit_goaway(c->session, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(c->session), NGHTTP2_NO_ERROR, NULL,
                        0);
}

void rpc_sconn_terminate(rpc_sconn_t *c) {
  nghttp2_session_terminate_session(c->session, NGHTTP2_NO_ERROR);
}

int rpc_sconn_established(const rpc_sconn_t *c) {
  return c->established;
}

uint32_t rpc_sconn_calls(const rpc_sconn_t *c) {
  return c->ncalls;
}

uint64_t rpc_sconn_last_active(const rpc_sconn_t *c) {
  return c->last_active;
}

void rpc_sconn_set_identity(rpc_sconn_t *c, const char *cn) {
  c->identity = cn ? cn : "";
}

void *rpc_sconn_arg(const rpc_sconn_t *c) {
  return c->arg;
}

/* --- deadlines ------------------------------------------------------------ */

/* When the call's deadline or request timeout is next due. */
static uint64_t call_due(const rpc_scall_t *call) {
  uint64_t due = call->has_timeout ? call->deadline_at : RPC_SCONN_NO_DUE;
  if (!call->dispatched && call->request_due < due) due = call->request_due;
  return due;
}

uint64_t rpc_sconn_next_due(const rpc_sconn_t *c) {
  return c->next_due;
}

/* The deadline ends the call: the handler hears of it, the client gets
 * DeadlineExceeded. */
static void deadline_end(rpc_scall_t *call) {
  rpc_sc_call_end(call, RPC_END_DEADLINE);
  rpc_scall_finish(call, RPC_CODE_DEADLINE_EXCEEDED, RPC_MSG_DEADLINE);
}

int rpc_scall_expire(rpc_scall_t *call) {
  if (call->finished || !call->has_timeout || rpc_sc_now(call->conn->core) < call->deadline_at)
    return 0;
  deadline_end(call);
  return 1;
}

/* Each call has two clocks: its request must arrive within the request
 * timeout (slow senders hold no stream for ever), and it must end by its
 * grpc-timeout deadline. */
uint64_t rpc_sconn_tick(rpc_sconn_t *c) {
  const rpc_server_core_t *core = c->core;
  uint64_t now = rpc_sc_now(core), next = RPC_SCONN_NO_DUE;
  /* finishing submits frames but closes no stream (that happens in
   * rpc_sconn_send), so the list holds still while handlers run */
  for (rpc_scall_t *call = c->calls; call; call = call->next) {
    if (call->finished) continue;
    if (call->has_timeout && now >= call->deadline_at) {
      deadline_end(call);
    } else if (!call->dispatched && now >= call->request_due) {
      char m[80];
      snprintf(m, sizeof(m), "request not received within %u ms", core->lim.request_timeout_ms);
      rpc_scall_log(call, RPC_LOG_WARN, "%s: %s", c->peer, m);
      rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, m);
    } else {
      uint64_t due = call_due(call);
      if (due < next) next = due;
    }
  }
  uint64_t own = rpc_sk_tick(c, now);
  c->next_due = own < next ? own : next;
  return c->next_due;
}
