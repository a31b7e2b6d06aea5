/*
 * rpc_server_core.h - the I/O-free gRPC server core on nghttp2: calls and
 * their metadata, request validation (PROTOCOL-HTTP2.md), dispatch by :path,
 * deadlines, responses as DATA plus trailers (or trailers-only), request
 * streams.
 *
 * Bytes in (rpc_sconn_recv), bytes out (rpc_sconn_send), time in through the
 * driver's clock (rpc_server_env_t.now_ms) and rpc_sconn_tick. It never
 * touches a socket, a timer or the OS: the host driver (rpc_server.h) moves
 * the bytes over sockets and TLS on the event loop; a test or a fuzzer drives
 * it directly, as rpc_client.h's core is driven.
 *
 * Handlers are called with the whole request message (or, on a request
 * stream, with each message as it arrives) and answer now or later: a call
 * stays open until the handler finishes it or the core ends it (peer cancel,
 * deadline, connection gone).
 *
 * Memory: the core and its connections come from the C heap; calls are
 * pooled in the core with their buffers, so a steady load allocates nothing
 * per call. Single-threaded: every entry point and handler runs on the
 * driver's thread.
 */
#ifndef RPC_SERVER_CORE_H
#define RPC_SERVER_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "rpc.h"
#include "rpc_log.h"
#include "rpc_stats.h"
#include "rpc_trace.h"

typedef struct rpc_server_core rpc_server_core_t;
typedef struct rpc_sconn rpc_sconn_t;
typedef struct rpc_scall rpc_scall_t;

/* Why the server ended a call the handler had not finished. */
typedef enum {
  RPC_END_CANCELLED = 1, /* the client reset the stream or went away */
  RPC_END_DEADLINE = 2,  /* grpc-timeout passed; the server sends DeadlineExceeded */
  RPC_END_INVALID = 3    /* a request stream's message did not decode: the generated
                          * skeleton (tools/protoc-gen-fc) finished the call with
                          * InvalidArgument; the core itself never says this */
} rpc_end_t;

/* The request arrived (req NULL on a request stream: see on_msg). Answer
 * with rpc_scall_send / rpc_scall_finish, now or later. */
typedef void (*rpc_on_call_fn)(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud);
/* One request message of a request stream (valid only during the call);
 * msg NULL means the client half-closed. */
typedef void (*rpc_on_msg_fn)(rpc_scall_t *call, const uint8_t *msg, size_t len, void *ud);
/* The call ended before the handler finished it: release what it holds; the
 * call must not be used after this returns. */
typedef void (*rpc_on_end_fn)(rpc_scall_t *call, rpc_end_t why, void *ud);

/* One method. Build entries with the rpc_method_* constructors below, which
 * return a whole struct (every field they do not take is zero), never by
 * setting fields one by one: the core branches on on_msg, so a field left
 * unset in a table on the stack would be garbage. */
typedef struct rpc_method {
  const char *path;       /* "/api.ProdService/GetVendorProds" */
  rpc_on_call_fn on_call; /* required */
  rpc_on_end_fn on_end;   /* may be NULL */
  void *ud;               /* handed to every callback */
  rpc_on_msg_fn on_msg;   /* request streams only: NULL for unary and server streaming */
  uint8_t kind;           /* RPC_KIND_*: what the stats call it (grpc_type) */
} rpc_method_t;

enum { RPC_KIND_UNARY = 0, RPC_KIND_SERVER_STREAM, RPC_KIND_CLIENT_STREAM, RPC_KIND_BIDI_STREAM };

/* A unary method: one request message, one response. on_end may be NULL.
 * Returns the table entry, every other field zero. */
static inline rpc_method_t rpc_method_unary(const char *path, rpc_on_call_fn on_call,
                                            rpc_on_end_fn on_end, void *ud) {
  rpc_method_t m = {.path = path, .on_call = on_call, .on_end = on_end, .ud = ud};
  return m;
}

/* A server-streaming method: one request message, any number of responses
 * (rpc_scall_send, then rpc_scall_finish). Returns the table entry, every
 * other field zero. */
static inline rpc_method_t rpc_method_server_stream(const char *path, rpc_on_call_fn on_call,
                                                    rpc_on_end_fn on_end, void *ud) {
  rpc_method_t m = {
      .path = path, .on_call = on_call, .on_end = on_end, .ud = ud, .kind = RPC_KIND_SERVER_STREAM};
  return m;
}

/* A client- or bidi-streaming method: on_call runs as soon as the headers are
 * valid (req NULL), then each request message comes to on_msg as it arrives,
 * and msg NULL when the client half-closes. on_msg is required. Returns the
 * table entry. */
static inline rpc_method_t rpc_method_client_stream(const char *path, rpc_on_call_fn on_call,
                                                    rpc_on_msg_fn on_msg, rpc_on_end_fn on_end,
                                                    void *ud) {
  rpc_method_t m = {.path = path,
                    .on_call = on_call,
                    .on_end = on_end,
                    .ud = ud,
                    .on_msg = on_msg,
                    .kind = RPC_KIND_CLIENT_STREAM};
  return m;
}

/* Bidi streaming is client streaming to the core: responses may go out at
 * any time. Returns the table entry. */
static inline rpc_method_t rpc_method_bidi_stream(const char *path, rpc_on_call_fn on_call,
                                                  rpc_on_msg_fn on_msg, rpc_on_end_fn on_end,
                                                  void *ud) {
  rpc_method_t m = rpc_method_client_stream(path, on_call, on_msg, on_end, ud);
  m.kind = RPC_KIND_BIDI_STREAM;
  return m;
}

/* Limits; zero fields take the defaults in brackets. The core enforces the
 * stream, message, header and request limits; the driver (rpc_server.h) the
 * connection ones. */
typedef struct rpc_server_limits {
  uint32_t max_connections;      /* driver [1024]; more are closed at once */
  uint32_t max_streams;          /* concurrent, per connection [100] */
  uint32_t max_recv_msg;         /* request size [4 MiB]: ResourceExhausted */
  uint32_t max_header_list;      /* request headers [16 KiB]: stream reset */
  uint32_t idle_timeout_ms;      /* driver: a connection with no stream [300000] */
  uint32_t handshake_timeout_ms; /* driver: TLS and the HTTP/2 preface [30000] */
  uint32_t request_timeout_ms;   /* the request message, from its headers [10000] */
  int reuseport;                 /* driver: share the port with other workers */
  /* Keepalive (gRFC A8, grpc-go's EnforcementPolicy and ServerParameters;
   * docs/design.md, "Keepalive"). A client PING sooner than keepalive_min_ms
   * after the previous one is a strike, the third ends the connection with
   * GOAWAY ENHANCE_YOUR_CALM "too_many_pings" [10000]. */
  uint32_t keepalive_min_ms;
  int keepalive_strict;          /* PINGs with no call open are strikes [0: allowed] */
  uint32_t keepalive_ms;         /* the server PINGs after this long with nothing read [120000] */
  uint32_t keepalive_timeout_ms; /* ... and drops the connection if still nothing [20000] */
  uint32_t max_age_ms;           /* GOAWAY after this long, +-10 % [0: never] */
  uint32_t max_age_grace_ms;     /* then open calls get this long [60000] */
} rpc_server_limits_t;

/* What the driver gives the core. */
typedef struct rpc_server_env {
  /* The driver's monotonic clock in milliseconds: every time the core uses
   * (deadlines, rpc_scall_remaining_ms, idleness) is on it. Required. */
  uint64_t (*now_ms)(void *clock_arg);
  void *clock_arg;
  /* A handler queued bytes on a connection outside rpc_sconn_recv and
   * rpc_sconn_tick (from a timer, another call's completion): the driver
   * should call rpc_sconn_send soon. conn_arg is rpc_sconn_new's. May be
   * NULL when the driver polls rpc_sconn_send anyway. */
  void (*wake)(void *conn_arg);
  /* A finer clock (microseconds) for the latency of rpc_stats.h and the
   * calls' durations in the log; may be NULL, then now_ms serves. */
  uint64_t (*now_us)(void *clock_arg);
  /* Fills n random bytes: the trace id of a call that came without a
   * traceparent, and each call's own span id (W3C trace context). May be
   * NULL: such calls then have no trace id. */
  void (*random)(uint8_t *buf, size_t n);
} rpc_server_env_t;

/* Creates a core serving methods[n] (kept by reference, as is nothing else).
 * Returns it, or NULL when out of memory or env has no clock. */
rpc_server_core_t *rpc_server_core_new(const rpc_method_t *methods, size_t n,
                                       const rpc_server_limits_t *limits,
                                       const rpc_server_env_t *env);

/* Counts into stats (rpc_stats.h; NULL: nothing counted) from now on. The
 * core does not own it. */
void rpc_server_core_set_stats(rpc_server_core_t *core, rpc_server_stats_t *stats);

/* Frees the core and its pooled calls; free its connections first. */
void rpc_server_core_free(rpc_server_core_t *core);

/* The limits in force, defaults filled in. */
const rpc_server_limits_t *rpc_server_core_limits(const rpc_server_core_t *core);

/* --- connections --------------------------------------------------------- */

#define RPC_SCONN_NO_DUE UINT64_MAX /* rpc_sconn_next_due: no deadline pending */

/* A server connection: queues the server's SETTINGS. peer names the client
 * in logs and rpc_scall_peer ("ipv4:127.0.0.1:46092"), kept by reference:
 * it must outlive the connection; arg is the driver's,
 * handed to env.wake. Returns the connection or NULL (out of memory). */
rpc_sconn_t *rpc_sconn_new(rpc_server_core_t *core, const char *peer, void *arg);

/* Ends the calls still open (on_end with RPC_END_CANCELLED) and frees the
 * connection. */
void rpc_sconn_free(rpc_sconn_t *c);

/* Feeds bytes received from the client; handlers run from here. Returns
 * RPC_OK, or RPC_ERR_PROTO when the client broke HTTP/2 (a GOAWAY is queued
 * when it can be: send what rpc_sconn_send hands out, then close). */
int rpc_sconn_recv(rpc_sconn_t *c, const uint8_t *in, size_t len);

/* Points *out at the next bytes to write to the client. Returns their count,
 * 0 when there is nothing to send, or a negative value when the session
 * failed. The bytes stay valid until the next rpc_sconn_send on any
 * connection of the same core (the sessions share one frame buffer,
 * server_mem.c), or the next call into this one: copy them out first. */
long rpc_sconn_send(rpc_sconn_t *c, const uint8_t **out);

/* Ends the calls whose deadline or request timeout has passed on env's clock,
 * and keeps the connection's own clocks: the keepalive PING and its timeout,
 * the maximum age and its grace. Returns the next rpc_sconn_next_due. */
uint64_t rpc_sconn_tick(rpc_sconn_t *c);

/* When rpc_sconn_tick has work next, on env's clock (it may be early, never
 * late), or RPC_SCONN_NO_DUE. Check it after each rpc_sconn_recv. */
uint64_t rpc_sconn_next_due(const rpc_sconn_t *c);

/* True while the connection has more to read or to send; false once the
 * session is over (GOAWAY sent and nothing left): the driver then closes. */
int rpc_sconn_want_io(const rpc_sconn_t *c);

/* Graceful stop: GOAWAY with the last stream seen, so open calls finish and
 * later streams are refused (safe for the client to retry). */
void rpc_sconn_goaway(rpc_sconn_t *c);

/* GOAWAY NO_ERROR and end the session once it is sent (an idle connection). */
void rpc_sconn_terminate(rpc_sconn_t *c);

/* Graceful stop the grpc-go way: GOAWAY with the highest stream id and a
 * PING, then, on its ACK (or a second later), GOAWAY with the last stream
 * the server took, so streams the client sent meanwhile are not lost. The
 * open calls go on; the session ends when they have. */
void rpc_sconn_drain(rpc_sconn_t *c);

/* True once the core gave up on the connection (too many pings, no PING ACK
 * within the keepalive timeout, the age grace over): the driver sends what
 * it can at once and closes, ending the open calls. */
int rpc_sconn_dropped(const rpc_sconn_t *c);

/* True once the client's SETTINGS arrived (the HTTP/2 handshake is done). */
int rpc_sconn_established(const rpc_sconn_t *c);

/* The number of calls open on the connection. */
uint32_t rpc_sconn_calls(const rpc_sconn_t *c);

/* When the last call ended (or the connection started), on env's clock:
 * idleness counts from there, not from the last byte. */
uint64_t rpc_sconn_last_active(const rpc_sconn_t *c);

/* The driver found the connection idle (no call, nothing to send): the
 * core asks the client to empty the header table it compresses requests
 * with (SETTINGS_HEADER_TABLE_SIZE 0; the next call restores 4096), and
 * gives back to the system the pages of the session that hold no state
 * now: its stream map once all zero, its header tables' index arrays once
 * both tables are empty (server_mem.c). Returns how many pages (0 when no
 * stream came since they were last given back). Call it again after the
 * client's next bytes: its SETTINGS ACK empties the table. */
size_t rpc_sconn_idle(rpc_sconn_t *c);

/* Records the client certificate's CN for rpc_scall_identity, kept by
 * reference: it must outlive the connection (the TLS session's does). */
void rpc_sconn_set_identity(rpc_sconn_t *c, const char *cn);

/* The driver's arg given to rpc_sconn_new. */
void *rpc_sconn_arg(const rpc_sconn_t *c);

/* --- calls: the handler's side ------------------------------------------- */

/* Queues one response message (copied). Returns RPC_OK, RPC_ERR_ARG after
 * the finish, or RPC_ERR_NOMEM. */
int rpc_scall_send(rpc_scall_t *call, const uint8_t *msg, size_t len);

/* Bytes of response messages queued and not yet taken by HTTP/2 flow
 * control: a streaming handler pauses while this is large. */
size_t rpc_scall_queued(const rpc_scall_t *call);

/* fn(call, arg) runs once, when the call's queued bytes have fallen to at
 * most low: a streaming handler that paused for a client that reads slowly
 * learns when to go on, instead of polling on a timer (which let the
 * pipe run dry for a tick). It runs inside rpc_sconn_send, once nghttp2
 * has taken the bytes, so it may only schedule the handler's work for the
 * driver's next turn: no send, no finish. A NULL fn cancels; finishing the
 * call cancels too. */
typedef void (*rpc_scall_room_fn)(rpc_scall_t *call, void *arg);
void rpc_scall_when_room(rpc_scall_t *call, size_t low, rpc_scall_room_fn fn, void *arg);

/* Ends the call with a status; message may be NULL. The handler must not use
 * the call afterwards. Returns RPC_OK. */
int rpc_scall_finish(rpc_scall_t *call, int code, const char *message);

/* Milliseconds left before the call's deadline; -1 when it has none. */
int64_t rpc_scall_remaining_ms(const rpc_scall_t *call);

/* Ends the call as its deadline does (on_end with RPC_END_DEADLINE, then
 * DeadlineExceeded to the client) if that deadline has passed. A handler
 * calls it before a step of its own timer: when the step and the deadline
 * fall due together, the deadline wins, whichever timer runs first. Returns
 * 1 if the call ended (it must not be used again), else 0. */
int rpc_scall_expire(rpc_scall_t *call);

/* The handler's own pointer for this call (NULL until set). */
void rpc_scall_set_user(rpc_scall_t *call, void *user);
/* Returns the pointer rpc_scall_set_user stored, or NULL. */
void *rpc_scall_user(const rpc_scall_t *call);

/* The peer's address, as the driver named it. */
const char *rpc_scall_peer(const rpc_scall_t *call);

/* The client certificate's subject CN on a mutual-TLS connection, else "". */
const char *rpc_scall_identity(const rpc_scall_t *call);

/* The method's path ("/api.ProdService/GetVendorProds"), as the client sent it. */
const char *rpc_scall_method(const rpc_scall_t *call);

/* The call's W3C trace context: the trace id the client's traceparent
 * carried (an invalid one is ignored, as the spec says), or a new one;
 * this server's span id for the call; the client's span as parent_id.
 * Set once the request headers are complete. */
const rpc_trace_t *rpc_scall_trace(const rpc_scall_t *call);

/* One log line of the call (rpc_log.h): the text, then the call's trace
 * id; in JSON also its span, method, peer and device CN. printf-style. */
void rpc_scall_log(const rpc_scall_t *call, rpc_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A routine line of the call (the request, the reply, its metadata): as
 * rpc_scall_log at INFO, for the calls rpc_log_calls samples only
 * (--log-calls). What went wrong, and cancels, go to rpc_scall_log. */
void rpc_scall_note(const rpc_scall_t *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The connection the call came on. */
rpc_sconn_t *rpc_scall_conn(const rpc_scall_t *call);

#ifndef RPC_MD_BYTES
#define RPC_MD_BYTES 1024 /* custom metadata kept per call; more is dropped */
#endif

/* The idx-th custom metadata pair of the request (not the headers gRPC
 * itself uses, nor traceparent: rpc_scall_trace); "-bin" values are still
 * base64. Returns 1, or 0 past the end. */
int rpc_scall_metadata(const rpc_scall_t *call, int idx, const char **name, const char **value);

#define RPC_RESPONSE_MD 8 /* custom response headers, and trailers, per call */

/* Adds custom metadata to the response headers (before the first message or
 * the finish) or to the trailers (before the finish); "-bin" names take
 * base64 values. Returns RPC_OK, RPC_ERR_ARG when too late, RPC_ERR_NOMEM
 * when RPC_MD_BYTES are used up. */
int rpc_scall_set_header(rpc_scall_t *call, const char *name, const char *value);
int rpc_scall_set_trailer(rpc_scall_t *call, const char *name, const char *value);

#endif /* RPC_SERVER_CORE_H */
