/* server_core.h (private) - the server core's objects, shared by its files:
 * server_core.c (the core and its connections, deadlines), server_stream.c
 * (the nghttp2 callbacks: request validation and dispatch) and server_call.c
 * (the call pool, responses, metadata). See rpc_server_core.h. */
#ifndef RPC_SERVER_CORE_PRIV_H
#define RPC_SERVER_CORE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <nghttp2/nghttp2.h>

#include "rpc_server_core.h"
#include "rpc_trace.h"

#define RPC_SC_PATH_LEN 128
#define RPC_SC_STATUS_LEN 256
#define RPC_SC_BLOCKS 3 /* a session's blocks on pages (server_mem.c) */
#define RPC_SC_WARM 16  /* emptied scratch pages a core keeps as they are */

struct rpc_scall {
  rpc_sconn_t *conn;
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
  uint8_t counted;    /* started in the stats, not yet handled */
  /* metadata buffers of RPC_MD_BYTES, made on first use and kept with the
   * pooled call: most calls carry none, so most calls stay small */
  char *md; /* custom metadata: "name\0value\0" pairs */
  uint16_t md_len, md_count;
  char *rmd; /* response metadata: "H|T name\0value\0" entries */
  uint16_t rmd_len;
  char path[RPC_SC_PATH_LEN];
  int code;
  char message[RPC_SC_STATUS_LEN];
  uint8_t *out; /* prefixed response messages not yet taken by nghttp2 */
  size_t out_len, out_off, out_cap;
  uint64_t request_due; /* the request must have come by then (until dispatched) */
  uint64_t deadline_at; /* grpc-timeout, when has_timeout */
  /* W3C trace context (server_log.c): the client's traceparent (tp_state 1
   * valid, 2 invalid or repeated: ignored), then the call's own ids */
  rpc_trace_t trace;
  uint8_t tp_state, traced;
  uint8_t noted;     /* its routine lines are logged (rpc_log_calls) */
  uint64_t begun_us; /* headers complete (rpc_sc_now_us): the log's and the stats' start */
  void *user;
  /* rpc_scall_when_room: fn once queued bytes are down to room_low */
  rpc_scall_room_fn room_fn;
  void *room_arg;
  size_t room_low;
  rpc_scall_t *prev, *next; /* the connection's calls, or the core's free pool */
};

struct rpc_sconn {
  rpc_server_core_t *core;
  nghttp2_session *session;
  void *arg;
  /* the driver's strings, kept by reference (rpc_sconn_new,
   * rpc_sconn_set_identity): an idle connection carries no copies */
  const char *peer;
  const char *identity; /* the client certificate's CN, "" without one */
  int established;      /* the client's SETTINGS arrived */
  int closing;          /* rpc_sconn_free runs: no more wake-ups */
  uint32_t ncalls;
  uint64_t last_active;
  uint64_t next_due; /* the earliest deadline set since the last tick */
  rpc_scall_t *calls;
  /* keepalive (server_keepalive.c) */
  uint64_t last_read;    /* bytes last came from the client */
  uint64_t ping_sent_at; /* our keepalive PING, while ping_out */
  uint64_t last_ping_at; /* the client's last PING, once pinged */
  uint64_t age_due;      /* max connection age, jittered; RPC_SCONN_NO_DUE: none */
  uint64_t goaway_due;   /* a drain's second GOAWAY at the latest */
  uint64_t grace_due;    /* a drain's open calls are cut then */
  uint8_t ping_out, pinged, strikes, reset_strikes;
  uint8_t drain; /* 0; 1: first GOAWAY sent; 2: the final one */
  uint8_t dropped;
  /* its session's allocator (server_mem.c) */
  nghttp2_mem mem;
  uint8_t mem_creating, took_framebuf;
  /* the session's blocks on pages of the core's pool, given back while
   * idle: the stream map (kind 'M') and the two header tables' index
   * arrays ('H'); a slot whose p is NULL is free */
  struct {
    void *p;
    char kind;
  } block[RPC_SC_BLOCKS];
  uint8_t block_dirty;       /* a stream came since the blocks were last given back */
  uint8_t room_due;          /* a call's room_fn is due (read_out), run by rpc_sconn_send */
  uint8_t hd_small;          /* SETTINGS_HEADER_TABLE_SIZE 0 sent: the next call restores it */
  uint32_t settings_unacked; /* our SETTINGS the client has not ACKed yet */
  /* the page what the session allocates once made comes from: the first
   * scratch_used bytes cut, scratch_live blocks of them in use */
  uint8_t *scratch;
  uint32_t scratch_used, scratch_live;
};

struct rpc_server_core {
  const rpc_method_t *methods;
  size_t nmethods;
  rpc_server_limits_t lim;
  rpc_server_env_t env;
  nghttp2_session_callbacks *cbs;
  nghttp2_option *opt;
  rpc_server_stats_t *stats; /* NULL: nothing counted */
  rpc_scall_t *pool;
  /* the frame buffer every session shares, and the pool of pages for
   * the sessions' blocks (server_mem.c) */
  uint8_t *framebuf;
  size_t framebuf_len;
  int pg_on;      /* rpc_sc_pool_usable: else the heap serves every block */
  void **pg_free; /* free pages, all zero */
  size_t pg_nfree, pg_cap;
  void **pg_chunks;        /* the mappings they come from */
  void *warm[RPC_SC_WARM]; /* scratch pages just emptied, not given back */
  size_t nwarm;
  size_t pg_nchunks, pg_chunks_cap;
};

/* The driver's clock. */
static inline uint64_t rpc_sc_now(const rpc_server_core_t *core) {
  return core->env.now_ms(core->env.clock_arg);
}

/* The driver's finer clock (env.now_us), or its milliseconds. */
static inline uint64_t rpc_sc_now_us(const rpc_server_core_t *core) {
  if (core->env.now_us) return core->env.now_us(core->env.clock_arg);
  return rpc_sc_now(core) * 1000u;
}

/* Notes a deadline at `at` for rpc_sconn_next_due. */
static inline void rpc_sc_due(rpc_sconn_t *c, uint64_t at) {
  if (at < c->next_due) c->next_due = at;
}

/* Tells the driver that c has bytes to send. */
void rpc_sc_wake(rpc_sconn_t *c);

/* Runs the room_fn of c's calls that have room now (rpc_scall_when_room). */
void rpc_sc_room(rpc_sconn_t *c);

/* Sets the nghttp2 callbacks of the core's sessions (server_stream.c). */
void rpc_sc_callbacks(nghttp2_session_callbacks *cbs);

/* A call for stream sid, from the pool or the heap, linked to c, its
 * request timeout running. Returns it or NULL (out of memory). */
rpc_scall_t *rpc_sc_call_new(rpc_sconn_t *c, int32_t sid);

/* Unlinks the call and returns it to the pool. */
void rpc_sc_call_release(rpc_scall_t *call);

/* The core ends a call the handler still holds: on_end runs once. */
void rpc_sc_call_end(rpc_scall_t *call, rpc_end_t why);

/* Finishes the call with a gRPC status and the HTTP status http ("200",
 * "405", "415") of a trailers-only response. */
void rpc_sc_finish_http(rpc_scall_t *call, int code, const char *message, const char *http);

/* The request headers are complete (server_log.c): the call takes the
 * client's trace id, or a new one, and its own span id, and its clock
 * starts. */
void rpc_sc_trace_begin(rpc_scall_t *call);

/* The call is over (server_log.c): the line that ends it, in a JSON log. */
void rpc_sc_log_end(rpc_scall_t *call);

/* Starts the connection's keepalive and age clocks (server_keepalive.c).
 * Returns when they are first due. */
uint64_t rpc_sk_start(rpc_sconn_t *c, uint64_t now);

/* Bytes came from the client at now. */
void rpc_sk_read(rpc_sconn_t *c, uint64_t now);

/* A PING frame arrived (either way): strikes, or a drain's ACK. */
void rpc_sk_ping(rpc_sconn_t *c, const nghttp2_frame *f);

/* The server sent HEADERS or DATA: the next client PING is free (grpc-go). */
static inline void rpc_sk_sent(rpc_sconn_t *c) {
  c->reset_strikes = 1;
}

/* Keeps the keepalive and age clocks. Returns when they are next due. */
uint64_t rpc_sk_tick(rpc_sconn_t *c, uint64_t now);

/* The stats of the call's method, or NULL (none kept, or past the first
 * RPC_STATS_METHODS). */
rpc_method_stats_t *rpc_sc_method_stats(const rpc_scall_t *call);
/* The method was found: the call counts as started. */
void rpc_sc_stat_start(rpc_scall_t *call);

/* Frees the pooled calls. */
void rpc_sc_pool_free(rpc_server_core_t *core);

/* server_mem.c: the sessions' allocator, one frame buffer for all. */
void rpc_sc_mem_free(rpc_server_core_t *core);
/* This nghttp2 and this kernel's pages are those the pool was made for. */
int rpc_sc_pool_usable(void);
/* A call came: the header table the client compresses with is 4096 bytes
 * again, if rpc_sconn_idle had emptied it. */
void rpc_sc_hd_restore(rpc_sconn_t *c);
/* c's session: nghttp2_session_server_new3 over it. */
int rpc_sc_session_new(rpc_server_core_t *core, rpc_sconn_t *c);

/* After nghttp2_session_del, under the sanitizers (which do not see into
 * the pool's pages): aborts unless every block came back, so that a block
 * freed twice or never shows in the fuzzers and ASan tests. */
void rpc_sc_mem_check(const rpc_sconn_t *c);

#endif /* RPC_SERVER_CORE_PRIV_H */
