/*
 * rpc_client.h - the I/O-free gRPC client core on nghttp2.
 *
 * Bytes in (rpc_client_recv), bytes out (rpc_client_send), time in
 * (rpc_client_tick). It never touches a socket or a clock: a blocking pump
 * drives it on a board (rpc_pump.h), the gateway's event loop on the host
 * (rpc_channel.h), a test or a fuzzer directly.
 *
 * Memory: nghttp2 allocates through the nghttp2_mem the caller passes (a fixed
 * arena on boards). Calls (rpc_call_t) are caller-owned and must stay put until
 * their on_close has run.
 */
#ifndef RPC_CLIENT_H
#define RPC_CLIENT_H

#include "rpc.h" /* first: rpc_opt.h's tunables size rpc_call_t */

#include <stddef.h>
#include <stdint.h>

#include <nghttp2/nghttp2.h>

typedef struct rpc_call rpc_call_t;

/* One metadata entry: a lower-case name and its value, NUL-terminated; a
 * "-bin" value in base64 (rpc_b64_encode). */
typedef struct rpc_md {
  const char *name;
  const char *value;
} rpc_md_t;
typedef struct rpc_client rpc_client_t;

/* What a call reports to its owner. */
typedef struct rpc_call_cbs {
  /* One whole response message. Return 0, or non-zero to cancel the call.
   * With the deframer in streaming mode (rpc_deframer_stream: its piece
   * callback gets this call as arg), msg is NULL: the end of a message whose
   * len bytes went to the piece callback. */
  int (*on_message)(rpc_call_t *call, const uint8_t *msg, size_t len);
  /* The call is over: call->code and call->message hold the status. */
  void (*on_close)(rpc_call_t *call);
  /* A response header (trailer 0) or trailer (1), other than the
   * pseudo-headers, grpc-status and grpc-message; "-bin" values as they
   * came, in base64. May be NULL. */
  void (*on_metadata)(rpc_call_t *call, const uint8_t *name, size_t nlen, const uint8_t *value,
                      size_t vlen, int trailer);
} rpc_call_cbs_t;

/* A request body made on demand: fills dst with the len bytes at off of a
 * message (a board encodes a message larger than its buffer again for each
 * window, nanopb's way). Returns 0, or non-zero to cancel the call. */
typedef int (*rpc_body_fn)(void *arg, uint8_t *dst, size_t off, size_t len);

/* One call: caller-owned storage, but its fields are the core's. Set it up
 * with rpc_call_init and rpc_call_deframer, read it with rpc_call_user,
 * rpc_call_code and rpc_call_message. It may be started again once its
 * on_close has run. */
struct rpc_call {
  rpc_call_cbs_t cbs;
  void *user;
  rpc_deframer_t deframer;
  int32_t stream_id;
  uint32_t deadline_ms; /* absolute, in the driver's clock */
  uint8_t has_deadline;
  uint8_t done;
  uint8_t got_status;
  uint8_t got_headers; /* 1: trailers-only; 2: headers opening a response */
  int http_status;
  uint8_t refused;                  /* the server never processed it (REFUSED_STREAM) */
  uint8_t retried;                  /* already restarted once after a refusal */
  const char *path;                 /* as given to start: must outlive the call */
  int code;                         /* grpc status, valid in on_close */
  char message[RPC_CLIENT_MSG_LEN]; /* decoded grpc-message */
  rpc_client_t *client;
  rpc_call_t *prev, *next; /* the client's list of live calls */
  /* the request message being sent, from the caller's buffer (or made by
   * body_fn): it must live until it has been taken (rpc_call_sending) */
  const uint8_t *req;
  rpc_body_fn body_fn;
  void *body_arg;
  size_t req_len;
  size_t req_off;
  uint8_t pending;     /* a message waits to be taken by nghttp2 */
  uint8_t half_closed; /* no message after it: END_STREAM follows */
  uint8_t deferred;    /* nghttp2 waits for rpc_client_send_msg */
  uint8_t prefix[5];
  char timeout_hdr[12]; /* grpc-timeout value, referenced until sent */
  /* custom metadata to send (copied when the call starts); may be empty */
  const rpc_md_t *md;
  size_t md_pairs;
};

/* Prepares a call: zeroes it, keeps a copy of cbs and the owner's pointer.
 * The response deframer is then set up through rpc_call_deframer. */
void rpc_call_init(rpc_call_t *call, const rpc_call_cbs_t *cbs, void *user);

/* The call's response deframer, to be prepared once with rpc_deframer_init
 * (a fixed buffer, or a grow hook) or rpc_deframer_stream after
 * rpc_call_init. The call keeps it, and its buffer, across starts: each
 * start clears what a previous call left half-read. A whole message handed
 * to on_message stays readable in the deframer's buffer until the call is
 * started again. Returns the deframer. */
rpc_deframer_t *rpc_call_deframer(rpc_call_t *call);

/* Custom metadata for the next starts: md[pairs] (at most
 * RPC_CLIENT_MAX_MD), copied when a call starts. pairs 0 sends none. */
void rpc_call_set_metadata(rpc_call_t *call, const rpc_md_t *md, size_t pairs);

/* The owner's pointer given to rpc_call_init. */
void *rpc_call_user(const rpc_call_t *call);

/* The call's gRPC status code and its decoded message: final in on_close. */
int rpc_call_code(const rpc_call_t *call);
const char *rpc_call_message(const rpc_call_t *call);

/* Offered a call the server refused unprocessed (a stream above a GOAWAY's
 * last id) and not yet retried (call->retried, which rpc_link_may_retry
 * sets): return 0 to take it over (it is unlinked from this client and
 * on_close will not run here), non-zero to let it close with Unavailable. */
typedef int (*rpc_retry_fn)(void *arg, rpc_client_t *c, rpc_call_t *call);

/* A client connection. Caller-owned; opaque fields. */
struct rpc_client {
  nghttp2_session *session;
  rpc_call_t *calls;
  int goaway; /* the server sent GOAWAY: start no new call here */
  rpc_retry_fn retry;
  void *retry_arg;
  const char *authority;
  const char *scheme;
  uint32_t now_ms;
  int failed; /* the connection is unusable; every call has been closed */
  /* what keepalive watches (rpc_link.h) */
  uint32_t frames_in;     /* frames received so far: any is a sign of life */
  uint8_t too_many_pings; /* the GOAWAY was ENHANCE_YOUR_CALM "too_many_pings" */
  const char *ua_prefix;  /* rpc_client_cfg_t.user_agent */
};

/* Settings a board tunes to its memory. Zero fields take the defaults. */
typedef struct rpc_client_cfg {
  const char *authority;        /* :authority, e.g. "127.0.0.1:8080" */
  int tls;                      /* the bytes travel over TLS: :scheme https */
  const nghttp2_mem *mem;       /* allocator for nghttp2; NULL = libc */
  uint32_t header_table_size;   /* HPACK decoder table (default 4096) */
  uint32_t initial_window_size; /* per-stream receive window (default 65535) */
  const char *user_agent;       /* a prefix for user-agent, as grpc's
                                   primary_user_agent: "app/1.2" sends
                                   "app/1.2 grpc-c-embedded/0.1" */
} rpc_client_cfg_t;

/* Creates the HTTP/2 session and queues the preface and SETTINGS.
 * Returns RPC_OK or RPC_ERR_NOMEM. */
int rpc_client_init(rpc_client_t *c, const rpc_client_cfg_t *cfg);

/* Frees the session; calls still open are closed with Cancelled first. */
void rpc_client_free(rpc_client_t *c);

/* Starts a call: path is "/package.Service/Method"; req[len] is the encoded
 * request message (without the 5-byte prefix) and must stay valid until the
 * call closes. timeout_ms 0 means no deadline. now_ms is the driver's clock.
 * The call must have been prepared with rpc_call_init and its deframer.
 * Returns RPC_OK, or RPC_ERR_* (the call is then not started and on_close
 * will not run). */
int rpc_client_start(rpc_client_t *c, rpc_call_t *call, const char *path, const uint8_t *req,
                     size_t len, uint32_t timeout_ms, uint32_t now_ms);

/* Starts a call whose requests stream: HEADERS go out now, each message
 * with rpc_client_send_msg, the end with rpc_client_close_send (or the
 * last message). Such a call is never sent again by a transparent retry:
 * what it streamed is gone. Returns as rpc_client_start. */
int rpc_client_start_stream(rpc_client_t *c, rpc_call_t *call, const char *path,
                            uint32_t timeout_ms, uint32_t now_ms);

/* Queues the next request message msg[len] of a streaming call (last:
 * END_STREAM after it). msg must stay valid until rpc_call_sending is
 * false. With body_fn set (rpc_call_set_body) msg may be NULL: the bytes
 * are made on demand. Returns RPC_OK; RPC_ERR_ARG when the call is over,
 * half-closed, or its previous message has not yet been taken. */
int rpc_client_send_msg(rpc_client_t *c, rpc_call_t *call, const uint8_t *msg, size_t len,
                        int last);

/* Half-closes a streaming call: END_STREAM once its last message is out. */
int rpc_client_close_send(rpc_client_t *c, rpc_call_t *call);

/* True while the call's queued request message has not been wholly handed
 * to nghttp2 (its buffer is still read). */
int rpc_call_sending(const rpc_call_t *call);

/* Makes the next queued messages' bytes with fn (NULL: from the buffer). */
void rpc_call_set_body(rpc_call_t *call, rpc_body_fn fn, void *arg);

/* Cancels a call (RST_STREAM CANCEL); its on_close runs with code. */
void rpc_client_cancel(rpc_client_t *c, rpc_call_t *call, int code, const char *message);

/* Feeds bytes received from the server. Returns RPC_OK, or RPC_ERR_PROTO when
 * the connection is broken (every call has then been closed). */
int rpc_client_recv(rpc_client_t *c, const uint8_t *in, size_t len);

/* Points *out at the next bytes to write to the server. Returns their count,
 * 0 when there is nothing to send, or RPC_ERR_* if the session failed. The
 * bytes stay valid until the next call into the client. */
long rpc_client_send(rpc_client_t *c, const uint8_t **out);

/* Advances the clock: calls past their deadline are cancelled and closed with
 * DeadlineExceeded. Returns ms until the nearest deadline (UINT32_MAX: none). */
uint32_t rpc_client_tick(rpc_client_t *c, uint32_t now_ms);

/* Closes every open call with code/message (the transport is gone) and marks
 * the client failed. */
void rpc_client_fail(rpc_client_t *c, int code, const char *message);

/* Queues a PING (keepalive). Returns RPC_OK or RPC_ERR_NOMEM. */
int rpc_client_ping(rpc_client_t *c);

/* True while calls are open or bytes wait to be sent. */
int rpc_client_busy(const rpc_client_t *c);

#endif /* RPC_CLIENT_H */
