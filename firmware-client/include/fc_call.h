/*
 * fc_call.h - any gRPC call on a board: unary, server streaming, client
 * streaming and bidirectional, over a channel (fc_channel.h), with nanopb
 * messages. Generated stubs (tools/protoc-gen-fc, into build/gen/) give
 * each method an fc_method_t and typed wrappers; this is what they call.
 *
 * Memory: a call is caller-owned static storage with its two buffers
 * (FC_CALL_DEFINE), its slot. A board declares as many slots as it wants
 * calls in flight at once, each sized for its messages: one on the
 * smallest board is fine. A request larger than its slot's buffer is
 * encoded again for each window nghttp2 asks for (no copy is held); a
 * response larger than the buffer can stream through in pieces
 * (fc_call_opts_t.on_piece) instead of being decoded.
 *
 * One thread: every blocking function pumps the channel's one connection
 * for all the calls on it, so one call's messages and headers reach their
 * callbacks while another call waits.
 */
#ifndef FC_CALL_H
#define FC_CALL_H

#include "rpc_opt.h" /* first: the build's tunables */

#include <stddef.h>
#include <stdint.h>

#include <pb.h>

#include "fc_channel.h"

typedef struct fc_call fc_call_t;

/* A method, as the generated stubs describe it. big: how a request larger
 * than the slot's buffer is sent (fc_call_big), for request types nanopb
 * cannot bound (callbacks, unbounded fields); NULL for bounded ones, which
 * a slot sized by <Method>_TX_MAX always holds: a board whose messages are
 * all bounded links none of it. */
typedef struct fc_method {
  const char *path; /* "/package.Service/Method" */
  const pb_msgdesc_t *req, *resp;
  int (*big)(fc_call_t *call, const void *msg, fc_status_t *st);
  uint8_t client_stream, server_stream;
} fc_method_t;

/* Sends msg, too large for the slot, without holding it: it is sized, then
 * encoded again for each window nghttp2 asks for, and only that window
 * kept (nanopb pushes whole messages). Returns 0 or the gRPC code. */
int fc_call_big(fc_call_t *call, const void *msg, fc_status_t *st);

/* A response message, decoded into fc_call_opts_t.resp (NULL when on_piece
 * took its bytes). Return 0, or non-zero to cancel the call (Cancelled). */
typedef int (*fc_msg_fn)(fc_call_t *call, void *msg, void *arg);
/* A piece of a response message's bytes (off into total), as it arrives:
 * for messages larger than the slot's buffer. Non-zero cancels. */
typedef int (*fc_piece_fn)(fc_call_t *call, const uint8_t *piece, size_t len, uint32_t off,
                           uint32_t total, void *arg);
/* A response header (trailer 0) or trailer (1), as it came: value[len]
 * is NUL-terminated; a "-bin" value is base64, which rpc_b64_decode turns
 * into its bytes. */
typedef void (*fc_md_fn)(fc_call_t *call, const char *name, const char *value, size_t len,
                         int trailer, void *arg);

/* Request metadata: {name, value}, a lower-case name and a C string; a
 * "-bin" value in base64 (rpc_b64_encode writes it). Base64 is the
 * caller's, so that a board that sends no binary metadata links none. */
typedef rpc_md_t fc_md_t;

#define FC_NO_DEADLINE UINT32_MAX /* fc_call_opts_t.timeout_ms: the call may last for ever */
#define FC_WFR_DEFAULT 0          /* wait_for_ready: the channel's setting */
#define FC_WFR_ON 1
#define FC_WFR_OFF 2

/* Per-call options; a zeroed struct takes the channel's defaults. */
typedef struct fc_call_opts {
  uint32_t timeout_ms;    /* 0: the channel's cfg.timeout_ms; FC_NO_DEADLINE: none */
  uint8_t wait_for_ready; /* FC_WFR_* */
  const fc_md_t *md;      /* request metadata, md_count entries */
  size_t md_count;
  void *resp;           /* each response message is decoded here (the method's resp type) */
  fc_msg_fn on_msg;     /* then handed over here; may be NULL */
  fc_piece_fn on_piece; /* instead: raw pieces, nothing decoded */
  fc_md_fn on_md;       /* response headers and trailers */
  void *arg;            /* given to the callbacks */
} fc_call_opts_t;

/* A call slot; its fields are the SDK's. */
struct fc_call {
  rpc_call_t rc;
  fc_channel_t *ch;
  const fc_method_t *m;
  fc_call_opts_t o;
  uint8_t *rx, *tx; /* the slot's buffers */
  size_t rx_cap, tx_cap;
  const void *big;   /* a request larger than tx, encoded per window */
  size_t req_len;    /* the request queued (tx, or big's encoded size) */
  uint32_t start_ms; /* the deadline counts from here, connecting included */
  uint32_t timeout_ms;
  uint32_t received; /* response messages so far */
  uint8_t active, closed, streaming;
  uint8_t attempts; /* made so far, under the channel's retry policy */
};

/* Declares a static call slot named name with its buffers: the largest
 * response it decodes (rx) and request it encodes whole (tx), in bytes;
 * the generated <Method>_RX_MAX and _TX_MAX (nanopb's <Message>_size)
 * give them. FC_CALL_SETUP(name) then hands the slot its buffers, once
 * (all of it stays in .bss: no flash for an initial value). */
#define FC_CALL_DEFINE(name, rx_len, tx_len)                                                       \
  static uint8_t name##_rx_[(rx_len) ? (rx_len) : 1], name##_tx_[(tx_len) ? (tx_len) : 1];         \
  static fc_call_t name
#define FC_CALL_SETUP(name)                                                                        \
  fc_call_init(&(name), name##_rx_, sizeof(name##_rx_), name##_tx_, sizeof(name##_tx_))

/* Gives a slot its buffers (FC_CALL_SETUP does it for FC_CALL_DEFINE's). */
void fc_call_init(fc_call_t *call, uint8_t *rx, size_t rx_cap, uint8_t *tx, size_t tx_cap);

/* Starts a call of method m on ch. req: the one request message (unary or
 * server streaming: it is sent with the end of the stream; it must stay
 * valid until fc_call_finish when larger than the slot's tx buffer), or
 * NULL to stream requests with fc_call_send. o may be NULL. Connects first
 * when needed (waiting out backoff with wait-for-ready). Returns 0, or the
 * gRPC code (the call then did not start) with *st set. */
int fc_call_start(fc_call_t *call, fc_channel_t *ch, const fc_method_t *m, const void *req,
                  const fc_call_opts_t *o, fc_status_t *st);

/* Sends the next request message of a streaming call; returns once
 * nghttp2 has taken its bytes (flow control may make it wait for the
 * server). last: half-close after it. Returns 0 when the message was taken
 * (the call may have ended since: the answer to a last message can come
 * in the same pump), or -1 when the call ended first (fc_call_finish tells
 * why). */
int fc_call_send(fc_call_t *call, const void *msg, int last);

/* Half-closes a streaming call: the server sees the end of the requests. */
int fc_call_close_send(fc_call_t *call);

/* Pumps until the call has received n response messages in all, or is
 * over. Returns the number received. */
uint32_t fc_call_wait(fc_call_t *call, uint32_t n);

/* True once the call is over (its status is known). */
int fc_call_done(const fc_call_t *call);

/* Cancels the call: RST_STREAM CANCEL; it ends with Cancelled. */
void fc_call_cancel(fc_call_t *call);

/* Waits for the call's end and frees the slot. Returns the gRPC code,
 * also in *st with its message. */
int fc_call_finish(fc_call_t *call, fc_status_t *st);

/* A unary call: req in, its one response decoded into resp. Returns the
 * gRPC code, in *st too. */
int fc_unary(fc_call_t *call, fc_channel_t *ch, const fc_method_t *m, const void *req, void *resp,
             const fc_call_opts_t *o, fc_status_t *st);

#endif /* FC_CALL_H */
