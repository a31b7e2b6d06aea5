/*
 * rpc_server.h - a gRPC server on nghttp2 and the event loop: many
 * connections, many streams each, nothing blocking. Handlers are called with
 * the whole request message and answer now or later (from a timer, or when
 * another call completes): a call stays open until the handler finishes it
 * or the server ends it (peer cancel, deadline, connection lost).
 */
#ifndef RPC_SERVER_H
#define RPC_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "rpc.h"
#include "rpc_loop.h"
#include "rpc_tls.h"

typedef struct rpc_server rpc_server_t;
typedef struct rpc_scall rpc_scall_t;

/* Why the server ended a call the handler had not finished. */
typedef enum {
  RPC_END_CANCELLED = 1, /* the client reset the stream or went away */
  RPC_END_DEADLINE = 2   /* grpc-timeout passed; the server sends DeadlineExceeded */
} rpc_end_t;

typedef struct rpc_method {
  const char *path; /* "/api.ProdService/GetVendorProds" */
  /* The request arrived. Answer with rpc_scall_send / rpc_scall_finish. */
  void (*on_call)(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud);
  /* The call ended before the handler finished it: release what it holds;
   * the call must not be used after this returns. May be NULL. */
  void (*on_end)(rpc_scall_t *call, rpc_end_t why, void *ud);
  void *ud;
  /* Client- or bidi-streaming methods set this: on_call then runs as soon
   * as the headers are valid (req NULL), each request message comes here as
   * it arrives, and msg NULL means the client half-closed. The buffer is
   * only valid during the call. NULL for unary and server-streaming. */
  void (*on_msg)(rpc_scall_t *call, const uint8_t *msg, size_t len, void *ud);
} rpc_method_t;

/* Limits; zero fields take the defaults in brackets (the daemons read them
 * from their command lines with dm_limit_arg, daemon/include/dm_opts.h). */
typedef struct rpc_server_limits {
  uint32_t max_connections;      /* [1024]; more are closed at once */
  uint32_t max_streams;          /* concurrent, per connection [100] */
  uint32_t max_recv_msg;         /* request size [4 MiB]: ResourceExhausted */
  uint32_t max_header_list;      /* request headers [16 KiB]: stream reset */
  uint32_t idle_timeout_ms;      /* a connection with no stream [300000] */
  uint32_t handshake_timeout_ms; /* TLS and the HTTP/2 preface [10000] */
  uint32_t request_timeout_ms;   /* the request message, from its headers [10000] */
  int reuseport;                 /* share the port with other workers (SO_REUSEPORT) */
} rpc_server_limits_t;

/* Listens on "HOST:PORT" and serves methods[n] (kept by reference). Returns
 * the server or NULL (the reason is logged). */
rpc_server_t *rpc_server_new(rpc_loop_t *loop, const char *listen, const rpc_method_t *methods,
                             size_t n, const rpc_server_limits_t *limits);

/* Closes the listener and every connection. */
void rpc_server_free(rpc_server_t *s);

/* Graceful stop: no new connections, GOAWAY on every connection (streams
 * already started go on, new ones are refused), then runs the loop until the
 * open calls have finished or timeout_ms has passed, or another signal comes.
 * Returns the number of calls still open when it gave up (0: a clean drain). */
int rpc_server_drain(rpc_server_t *s, uint32_t timeout_ms);

/* Queues one response message (copied). Returns RPC_OK or RPC_ERR_NOMEM. */
int rpc_scall_send(rpc_scall_t *call, const uint8_t *msg, size_t len);

/* Bytes of response messages queued and not yet taken by HTTP/2 flow
 * control: a streaming handler pauses while this is large. */
size_t rpc_scall_queued(const rpc_scall_t *call);

/* Ends the call with a status; message may be NULL. The handler must not use
 * the call afterwards. Returns RPC_OK. */
int rpc_scall_finish(rpc_scall_t *call, int code, const char *message);

/* Milliseconds left before the call's deadline; -1 when it has none. */
int64_t rpc_scall_remaining_ms(const rpc_scall_t *call);

/* The handler's own pointer for this call. */
void rpc_scall_set_user(rpc_scall_t *call, void *user);
void *rpc_scall_user(const rpc_scall_t *call);

/* The peer's address, as grpc prints it ("ipv4:127.0.0.1:46092"). */
const char *rpc_scall_peer(const rpc_scall_t *call);

#ifndef RPC_MD_BYTES
#define RPC_MD_BYTES 1024 /* custom metadata kept per call; more is dropped */
#endif

/* The idx-th custom metadata pair of the request (not the headers gRPC
 * itself uses); "-bin" values are still base64. Returns 1, or 0 past the end. */
int rpc_scall_metadata(const rpc_scall_t *call, int idx, const char **name, const char **value);

#define RPC_RESPONSE_MD 8 /* custom response headers, and trailers, per call */

/* Adds custom metadata to the response headers (before the first message or
 * the finish) or to the trailers (before the finish); "-bin" names take
 * base64 values. Returns RPC_OK, RPC_ERR_ARG when too late, RPC_ERR_NOMEM
 * when RPC_MD_BYTES are used up. */
int rpc_scall_set_header(rpc_scall_t *call, const char *name, const char *value);
int rpc_scall_set_trailer(rpc_scall_t *call, const char *name, const char *value);

/* The client certificate's subject CN on a mutual-TLS connection, else "". */
const char *rpc_scall_identity(const rpc_scall_t *call);

/* Serves TLS (ALPN h2) instead of h2c on connections accepted from now on;
 * the server does not own cfg. */
void rpc_server_set_tls(rpc_server_t *s, rpc_tls_cfg_t *cfg);

/* The loop the call runs on. */
rpc_loop_t *rpc_scall_loop(const rpc_scall_t *call);

#endif /* RPC_SERVER_H */
