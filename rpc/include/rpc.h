/*
 * rpc.h - the gRPC pieces shared by client and server: status codes and
 * names, the grpc-timeout and grpc-message codecs, and the message deframer.
 * Nothing here does I/O or allocates unless the caller hands it a grow hook.
 */
#ifndef RPC_H
#define RPC_H

#include "rpc_opt.h" /* first: the build's tunables */

#include <stddef.h>
#include <stdint.h>

/* Library result codes: 0 success, negative errors. gRPC statuses are data
 * (rpc_code_t), never these. */
enum {
  RPC_OK = 0,
  RPC_ERR_ARG = -1,        /* bad argument */
  RPC_ERR_NOMEM = -2,      /* a buffer or the arena is full */
  RPC_ERR_TOO_LARGE = -3,  /* a message over the size limit */
  RPC_ERR_PROTO = -4,      /* the peer broke the protocol */
  RPC_ERR_COMPRESSED = -5, /* a compressed message we did not negotiate */
  RPC_ERR_TRANSPORT = -6,  /* the byte stream under the connection failed */
  RPC_ERR_TIMEOUT = -7     /* the peer stopped answering (keepalive) */
};

/* Describes an RPC_ERR_* code in a few words. Never a PORT_ERR_* code: each
 * component explains only its own. */
const char *rpc_strerror(int err);

/* gRPC status codes (doc/statuscodes.md). */
typedef enum {
  RPC_CODE_OK = 0,
  RPC_CODE_CANCELLED = 1,
  RPC_CODE_UNKNOWN = 2,
  RPC_CODE_INVALID_ARGUMENT = 3,
  RPC_CODE_DEADLINE_EXCEEDED = 4,
  RPC_CODE_NOT_FOUND = 5,
  RPC_CODE_ALREADY_EXISTS = 6,
  RPC_CODE_PERMISSION_DENIED = 7,
  RPC_CODE_RESOURCE_EXHAUSTED = 8,
  RPC_CODE_FAILED_PRECONDITION = 9,
  RPC_CODE_ABORTED = 10,
  RPC_CODE_OUT_OF_RANGE = 11,
  RPC_CODE_UNIMPLEMENTED = 12,
  RPC_CODE_INTERNAL = 13,
  RPC_CODE_UNAVAILABLE = 14,
  RPC_CODE_DATA_LOSS = 15,
  RPC_CODE_UNAUTHENTICATED = 16
} rpc_code_t;

/* The message every tier uses for an expired deadline, so that the user sees
 * the same line whichever tier noticed first. */
#define RPC_MSG_DEADLINE "context deadline exceeded"

/* grpc-go's name of a code ("InvalidArgument"); "Code(N)" style for unknown
 * values is not needed: out-of-range codes read "Unknown". */
const char *rpc_code_name(int code);

/* Parses a grpc-status value; returns the code, or RPC_CODE_UNKNOWN if the
 * text is not a number in 0..16. */
int rpc_code_parse(const char *s, size_t len);

/* Maps an HTTP status other than 200 to a gRPC code (PROTOCOL-HTTP2.md). */
int rpc_code_from_http(int http_status);

/* Maps an HTTP/2 RST_STREAM / GOAWAY error code to a gRPC code. */
int rpc_code_from_h2(uint32_t h2_error);

/* Encodes a timeout for the grpc-timeout header ("3999m"): at most 8 digits
 * and a unit. out must hold 10 bytes. Returns the length written. */
size_t rpc_timeout_encode(uint32_t ms, char *out);

/* Decodes a grpc-timeout value into milliseconds (rounded up, saturated at
 * UINT32_MAX). Returns RPC_OK or RPC_ERR_ARG for a malformed value. */
int rpc_timeout_decode(const char *s, size_t len, uint32_t *ms);

/* Percent-encodes msg for grpc-message into out (cap bytes, NUL-terminated,
 * truncated on a whole escape). Returns the length written. */
size_t rpc_msg_encode(const char *msg, size_t len, char *out, size_t cap);

/* Percent-decodes a grpc-message value into out (cap bytes, NUL-terminated).
 * Invalid escapes are kept as they are, as the spec asks. Returns the length. */
size_t rpc_msg_decode(const char *s, size_t len, char *out, size_t cap);

/* Base64 for "-bin" metadata values. Encode writes in[len] unpadded and
 * NUL-terminated into out[cap]; decode takes padded or unpadded text (the
 * URL-safe alphabet too). Both return the length written, RPC_ERR_TOO_LARGE
 * when out is too small, and decode RPC_ERR_ARG for what is not base64. */
long rpc_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap);
long rpc_b64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/* Grows a deframer buffer to at least n bytes; returns the new buffer or NULL.
 * Host code passes one; boards pass NULL and a fixed buffer. */
typedef void *(*rpc_grow_fn)(void *old, size_t n);

/* Streaming mode: a piece of a message's body as it arrives, off bytes into a
 * message of total bytes (a message of 0 bytes gives one empty piece); a
 * non-zero return stops the feed with it. */
typedef int (*rpc_piece_fn)(void *arg, const uint8_t *piece, size_t len, uint32_t off,
                            uint32_t total);

/* Splits the length-prefixed gRPC message stream into whole messages. A
 * message may arrive in many pieces; a piece may hold many messages. */
typedef struct rpc_deframer {
  uint8_t hdr[5];
  uint8_t hdr_len;    /* bytes of the 5-byte prefix seen so far */
  uint32_t need;      /* body length of the current message */
  uint32_t have;      /* body bytes of it seen so far */
  uint8_t *buf;       /* body storage */
  size_t cap;         /* its size */
  size_t max;         /* largest message accepted */
  rpc_grow_fn grow;   /* NULL: buf is fixed */
  rpc_piece_fn piece; /* streaming mode: bodies go here, unbuffered */
} rpc_deframer_t;

/* Called once per whole message (msg is NULL in streaming mode, len is the
 * message's length); a non-zero return stops the feed with it. */
typedef int (*rpc_msg_fn)(void *arg, const uint8_t *msg, size_t len);

/* Prepares d over buf[cap] (buf may be NULL when grow is set); messages longer
 * than max are refused. */
void rpc_deframer_init(rpc_deframer_t *d, uint8_t *buf, size_t cap, size_t max, rpc_grow_fn grow);

/* Prepares d in streaming mode: the body of each message of at most max
 * bytes goes to piece as it arrives (with the feed's arg) and is never
 * buffered; on_msg(arg, NULL, len) then marks the message's end. For a
 * decoder that needs no whole message (a board's large payloads). */
void rpc_deframer_stream(rpc_deframer_t *d, size_t max, rpc_piece_fn piece);

/* Feeds bytes; calls on_msg for each whole message. Returns RPC_OK, the
 * callback's non-zero value, RPC_ERR_TOO_LARGE, RPC_ERR_COMPRESSED or
 * RPC_ERR_NOMEM. */
int rpc_deframer_feed(rpc_deframer_t *d, const uint8_t *in, size_t len, rpc_msg_fn on_msg,
                      void *arg);

/* Forgets any partial message and starts at a message boundary again,
 * keeping the buffer, its limit and the mode. */
void rpc_deframer_reset(rpc_deframer_t *d);

/* True when no partial message is buffered (a clean end of stream). */
int rpc_deframer_idle(const rpc_deframer_t *d);

/* Frees a grown buffer (no-op for fixed ones). */
void rpc_deframer_free(rpc_deframer_t *d);

/* Splits an address "HOST:PORT" or "[IPV6]:PORT" into host (brackets
 * removed, NUL-terminated in hcap bytes; it may be empty: "any" for a
 * listener) and port. Every program parses addresses with this. Returns
 * RPC_OK, or RPC_ERR_ARG for a malformed address or a host over hcap - 1. */
int rpc_addr_split(const char *addr, char *host, size_t hcap, uint16_t *port);

/* The name a TLS peer's certificate must carry when none is given: the host
 * of addr ("localhost", "127.0.0.1", "::1"), an IP address being matched
 * against the certificate's IP SANs. Returns RPC_OK, or RPC_ERR_ARG when addr
 * is malformed or has no host. */
int rpc_addr_server_name(const char *addr, char *out, size_t cap);

/* Writes the 5-byte gRPC prefix for an uncompressed message of len bytes. */
void rpc_frame_prefix(uint8_t out[5], uint32_t len);

#endif /* RPC_H */
