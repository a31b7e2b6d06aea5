/*
 * main.c - interop-server: grpc.testing.TestService on the project's rpc
 * runtime, the server side of the gRPC interop test cases
 * (tests/interop/test_testservice_*). Payload bodies go through nanopb
 * callbacks into heap buffers; streamed responses are paced by loop timers,
 * nothing blocks.
 *
 *   interop-server [--listen HOST:PORT | --port N] [limits]
 *
 * StreamingInputCall and FullDuplexCall take their requests as they stream
 * in (rpc_method_t.on_msg): FullDuplexCall answers each request at once
 * (ping-pong); HalfDuplexCall and StreamingOutputCall answer one request.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "dm_opts.h"
#include "dm_process.h"
#include "rpc_log.h"
#include "rpc_server.h"
#include "testservice/test.pb.h"

#define DRAIN_MS 5000
#define MAX_QUEUED (4u * 1024u * 1024u) /* a stream waits while this much is unsent */
#define SVC "/grpc.testing.TestService/"

/* A payload body: decoded into the heap, or encoded as len zero bytes. */
typedef struct body {
  uint8_t *p;
  size_t len;
} body_t;

static bool dec_body(pb_istream_t *s, const pb_field_t *f, void **arg) {
  (void)f;
  body_t *b = *arg;
  size_t n = s->bytes_left;
  uint8_t *p = realloc(b->p, n ? n : 1);
  if (!p) return false;
  b->p = p;
  b->len = n;
  return pb_read(s, p, n);
}

static bool enc_body(pb_ostream_t *s, const pb_field_t *f, void *const *arg) {
  static const uint8_t zeros[4096];
  const body_t *b = *arg;
  if (b->len == 0) return true; /* proto3: an empty bytes field is not sent */
  if (!pb_encode_tag_for_field(s, f) || !pb_encode_varint(s, b->len)) return false;
  for (size_t left = b->len; left;) {
    size_t n = left < sizeof(zeros) ? left : sizeof(zeros);
    if (!pb_write(s, zeros, n)) return false;
    left -= n;
  }
  return true;
}

/* Decodes a request whose Payload.body (at *cb) is read into b. */
static bool decode(const uint8_t *req, size_t len, const pb_msgdesc_t *fields, void *msg,
                   pb_callback_t *cb, body_t *b) {
  if (cb) {
    cb->funcs.decode = dec_body;
    cb->arg = b;
  }
  pb_istream_t is = pb_istream_from_buffer(req, len);
  return pb_decode_noinit(&is, fields, msg);
}

/* Encodes msg and queues it on the call. */
static int send_pb(rpc_scall_t *call, const pb_msgdesc_t *fields, const void *msg) {
  size_t n;
  if (!pb_get_encoded_size(&n, fields, msg)) return RPC_ERR_ARG;
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) return RPC_ERR_NOMEM;
  pb_ostream_t os = pb_ostream_from_buffer(buf, n);
  int r = pb_encode(&os, fields, msg) ? rpc_scall_send(call, buf, os.bytes_written) : RPC_ERR_ARG;
  free(buf);
  return r;
}

/* custom_metadata: the initial value comes back in the response headers, the
 * trailing one (still base64, as received and as sent) in the trailers. */
static void echo_metadata(rpc_scall_t *call) {
  const char *name, *value;
  for (int i = 0; rpc_scall_metadata(call, i, &name, &value); i++) {
    if (strcmp(name, "x-grpc-test-echo-initial") == 0)
      rpc_scall_set_header(call, name, value);
    else if (strcmp(name, "x-grpc-test-echo-trailing-bin") == 0)
      rpc_scall_set_trailer(call, name, value);
  }
}

static void bad_request(rpc_scall_t *call) {
  rpc_scall_finish(call, RPC_CODE_INVALID_ARGUMENT, "grpc.testing: cannot decode the request");
}

/* --- EmptyCall, UnaryCall, StreamingInputCall ---------------------------- */

static void empty_call(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud) {
  (void)ud, (void)req;
  echo_metadata(call);
  if (len != 0) { /* Empty has no fields; anything else is still an Empty */
    grpc_testing_Empty e = grpc_testing_Empty_init_zero;
    if (!decode(req, len, grpc_testing_Empty_fields, &e, NULL, NULL)) return bad_request(call);
  }
  rpc_scall_send(call, (const uint8_t *)"", 0);
  rpc_scall_finish(call, RPC_CODE_OK, NULL);
}

static void unary_call(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud) {
  (void)ud;
  grpc_testing_SimpleRequest r = grpc_testing_SimpleRequest_init_zero;
  body_t in = {0};
  bool ok = decode(req, len, grpc_testing_SimpleRequest_fields, &r, &r.payload.body, &in);
  free(in.p);
  echo_metadata(call);
  if (!ok) return bad_request(call);
  if (r.has_expect_compressed && r.expect_compressed.value) {
    rpc_scall_finish(call, RPC_CODE_INVALID_ARGUMENT, "grpc.testing: compressed request expected");
    return;
  }
  if (r.has_response_status && r.response_status.code != 0) {
    rpc_scall_finish(call, r.response_status.code, r.response_status.message);
    return;
  }
  if (r.response_size < 0) {
    rpc_scall_finish(call, RPC_CODE_INVALID_ARGUMENT, "grpc.testing: negative response_size");
    return;
  }
  grpc_testing_SimpleResponse resp = grpc_testing_SimpleResponse_init_zero;
  body_t out = {NULL, (size_t)r.response_size};
  resp.has_payload = true;
  resp.payload.body.funcs.encode = enc_body;
  resp.payload.body.arg = &out;
  if (send_pb(call, grpc_testing_SimpleResponse_fields, &resp) != RPC_OK) {
    rpc_scall_finish(call, RPC_CODE_INTERNAL, "grpc.testing: cannot queue the response");
    return;
  }
  rpc_scall_finish(call, RPC_CODE_OK, NULL);
}

/* StreamingInputCall: the sizes of every request's payload, added up, sent
 * back when the client half-closes. */
static void input_call(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud) {
  (void)ud, (void)req, (void)len;
  echo_metadata(call);
  size_t *sum = calloc(1, sizeof(*sum));
  if (!sum) {
    rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  rpc_scall_set_user(call, sum);
}

static void input_msg(rpc_scall_t *call, const uint8_t *msg, size_t len, void *ud) {
  (void)ud;
  size_t *sum = rpc_scall_user(call);
  if (msg) {
    grpc_testing_StreamingInputCallRequest r = grpc_testing_StreamingInputCallRequest_init_zero;
    body_t in = {0};
    bool ok =
        decode(msg, len, grpc_testing_StreamingInputCallRequest_fields, &r, &r.payload.body, &in);
    free(in.p);
    *sum += in.len;
    if (ok) return;
    bad_request(call);
  } else {
    grpc_testing_StreamingInputCallResponse resp = {(int32_t)*sum};
    send_pb(call, grpc_testing_StreamingInputCallResponse_fields, &resp);
    rpc_scall_finish(call, RPC_CODE_OK, NULL);
  }
  rpc_scall_set_user(call, NULL);
  free(sum);
}

static void input_end(rpc_scall_t *call, rpc_end_t why, void *ud) {
  (void)why, (void)ud;
  free(rpc_scall_user(call));
}

/* FullDuplexCall: each request is answered as it arrives, one response per
 * response_parameters entry (interval_us is honoured by StreamingOutputCall
 * only); the call ends OK when the client half-closes. */
static void duplex_call(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud) {
  (void)ud, (void)req, (void)len;
  echo_metadata(call);
}

static void duplex_msg(rpc_scall_t *call, const uint8_t *msg, size_t len, void *ud) {
  (void)ud;
  if (!msg) {
    rpc_scall_finish(call, RPC_CODE_OK, NULL);
    return;
  }
  grpc_testing_StreamingOutputCallRequest r = grpc_testing_StreamingOutputCallRequest_init_zero;
  body_t in = {0};
  bool ok =
      decode(msg, len, grpc_testing_StreamingOutputCallRequest_fields, &r, &r.payload.body, &in);
  free(in.p);
  if (!ok) return bad_request(call);
  if (r.has_response_status && r.response_status.code != 0) {
    rpc_scall_finish(call, r.response_status.code, r.response_status.message);
    return;
  }
  for (pb_size_t i = 0; i < r.response_parameters_count; i++) {
    int32_t size = r.response_parameters[i].size;
    if (size < 0) {
      rpc_scall_finish(call, RPC_CODE_INVALID_ARGUMENT, "grpc.testing: negative size");
      return;
    }
    grpc_testing_StreamingOutputCallResponse resp =
        grpc_testing_StreamingOutputCallResponse_init_zero;
    body_t out = {NULL, (size_t)size};
    resp.has_payload = true;
    resp.payload.body.funcs.encode = enc_body;
    resp.payload.body.arg = &out;
    if (send_pb(call, grpc_testing_StreamingOutputCallResponse_fields, &resp) != RPC_OK) {
      rpc_scall_finish(call, RPC_CODE_INTERNAL, "grpc.testing: cannot queue a response");
      return;
    }
  }
}

/* --- StreamingOutputCall, FullDuplexCall: one response per parameter ---- */

typedef struct stream {
  rpc_scall_t *call;
  rpc_timer_t timer;
  grpc_testing_StreamingOutputCallRequest req;
  pb_size_t next; /* the next response_parameters entry */
  int waited;     /* its interval has passed */
} stream_t;

static void stream_free(stream_t *st) {
  rpc_timer_stop(rpc_scall_loop(st->call), &st->timer);
  free(st);
}

/* Sends every response whose interval has passed; arms the timer for the
 * next one, or finishes the call. */
static void stream_step(stream_t *st) {
  rpc_loop_t *loop = rpc_scall_loop(st->call);
  while (st->next < st->req.response_parameters_count) {
    const grpc_testing_ResponseParameters *p = &st->req.response_parameters[st->next];
    if (p->interval_us > 0 && !st->waited) {
      st->waited = 1;
      rpc_timer_start(loop, &st->timer, ((uint64_t)p->interval_us + 999) / 1000);
      return;
    }
    if (rpc_scall_queued(st->call) > MAX_QUEUED) { /* let flow control drain it */
      rpc_timer_start(loop, &st->timer, 5);
      return;
    }
    if (p->size < 0) {
      rpc_scall_finish(st->call, RPC_CODE_INVALID_ARGUMENT, "grpc.testing: negative size");
      stream_free(st);
      return;
    }
    grpc_testing_StreamingOutputCallResponse resp =
        grpc_testing_StreamingOutputCallResponse_init_zero;
    body_t out = {NULL, (size_t)p->size};
    resp.has_payload = true;
    resp.payload.body.funcs.encode = enc_body;
    resp.payload.body.arg = &out;
    if (send_pb(st->call, grpc_testing_StreamingOutputCallResponse_fields, &resp) != RPC_OK) {
      rpc_scall_finish(st->call, RPC_CODE_INTERNAL, "grpc.testing: cannot queue a response");
      stream_free(st);
      return;
    }
    st->next++;
    st->waited = 0;
  }
  rpc_scall_finish(st->call, RPC_CODE_OK, NULL);
  stream_free(st);
}

static void on_stream_timer(rpc_timer_t *t) {
  stream_step(t->arg);
}

static void streaming_output_call(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud) {
  (void)ud;
  stream_t *st = calloc(1, sizeof(*st));
  if (!st) {
    rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  body_t in = {0};
  bool ok = decode(req, len, grpc_testing_StreamingOutputCallRequest_fields, &st->req,
                   &st->req.payload.body, &in);
  free(in.p);
  echo_metadata(call);
  if (!ok || (st->req.has_response_status && st->req.response_status.code != 0)) {
    if (ok)
      rpc_scall_finish(call, st->req.response_status.code, st->req.response_status.message);
    else
      bad_request(call);
    free(st);
    return;
  }
  st->call = call;
  st->timer.fn = on_stream_timer;
  st->timer.arg = st;
  rpc_scall_set_user(call, st);
  stream_step(st);
}

/* The client cancelled or the deadline passed: drop the pending responses. */
static void streaming_end(rpc_scall_t *call, rpc_end_t why, void *ud) {
  (void)why, (void)ud;
  stream_t *st = rpc_scall_user(call);
  if (st) stream_free(st);
}

/* --- the daemon --------------------------------------------------------- */

/* The method table; kept by the server. Returns the number of methods. */
static size_t ts_methods(rpc_method_t *m) {
  size_t n = 0;
  m[n++] = rpc_method_unary(SVC "EmptyCall", empty_call, NULL, NULL);
  m[n++] = rpc_method_unary(SVC "UnaryCall", unary_call, NULL, NULL);
  m[n++] = rpc_method_unary(SVC "CacheableUnaryCall", unary_call, NULL, NULL);
  m[n++] = rpc_method_server_stream(SVC "StreamingOutputCall", streaming_output_call, streaming_end,
                                    NULL);
  m[n++] =
      rpc_method_client_stream(SVC "StreamingInputCall", input_call, input_msg, input_end, NULL);
  m[n++] = rpc_method_bidi_stream(SVC "FullDuplexCall", duplex_call, duplex_msg, NULL, NULL);
  /* one request, answered as StreamingOutputCall answers it */
  m[n++] =
      rpc_method_server_stream(SVC "HalfDuplexCall", streaming_output_call, streaming_end, NULL);
  return n;
}

static int usage(void) {
  fprintf(stderr, "usage: interop-server [--listen HOST:PORT | --port N]\n"
                  "       " DM_LIMITS_USAGE "\n");
  return 2;
}

int main(int argc, char **argv) {
  static char listen_buf[64];
  static rpc_method_t methods[8];
  if (dm_process_init() != 0) return 1;
  const char *listen = "127.0.0.1:10000";
  rpc_server_limits_t lim = {0};
  for (int i = 1; i < argc; i++) {
    int r = dm_limit_arg(&lim, argc, argv, &i);
    if (r < 0) return usage();
    if (r > 0) continue;
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
      listen = argv[++i];
    } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char *end;
      unsigned long port = strtoul(argv[++i], &end, 10);
      if (*end || port == 0 || port > 65535) return usage();
      snprintf(listen_buf, sizeof(listen_buf), "127.0.0.1:%lu", port);
      listen = listen_buf;
    } else {
      return usage();
    }
  }
  rpc_loop_t *loop = rpc_loop_new();
  if (!loop) return 1;
  rpc_server_t *srv = rpc_server_new(loop, listen, methods, ts_methods(methods), &lim);
  if (!srv) {
    rpc_loop_free(loop);
    return 1;
  }
  rpc_log("Serving grpc.testing.TestService on http://%s", listen);
  int sig = rpc_loop_run(loop);
  rpc_log("stopping (signal %d): draining open calls", sig);
  int left = rpc_server_drain(srv, DRAIN_MS);
  if (left) rpc_log("drain timeout: %d calls cut", left);
  rpc_server_free(srv);
  rpc_loop_free(loop);
  return 0;
}
