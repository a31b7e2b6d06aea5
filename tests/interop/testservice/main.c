/*
 * main.c - interop-server: grpc.testing.TestService on the project's rpc
 * runtime and the skeleton tools/protoc-gen-fc generates from test.proto,
 * the server side of the gRPC interop test cases (tests/interop/test_*).
 * Request payload bodies are only counted, response ones encoded as zeros
 * on the fly (nanopb callbacks); streamed responses are paced by loop
 * timers, nothing blocks.
 *
 *   interop-server [--listen HOST:PORT | --port N] [limits]
 *
 * StreamingInputCall, FullDuplexCall and HalfDuplexCall take their requests
 * as they stream in: FullDuplexCall answers each at once (ping-pong),
 * HalfDuplexCall all of them after the half-close.
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
#include "testservice/test.srv.h"

#define DRAIN_MS 5000
#define MAX_QUEUED (4u * 1024u * 1024u) /* a stream waits while this much is unsent */

/* A response payload's body: len zero bytes, encoded as it goes. */
static bool enc_body(pb_ostream_t *s, const pb_field_t *f, void *const *arg) {
  static const uint8_t zeros[4096];
  size_t len = (size_t)(uintptr_t)*arg;
  if (len == 0) return true; /* proto3: an empty bytes field is not sent */
  if (!pb_encode_tag_for_field(s, f) || !pb_encode_varint(s, len)) return false;
  for (size_t left = len; left;) {
    size_t n = left < sizeof(zeros) ? left : sizeof(zeros);
    if (!pb_write(s, zeros, n)) return false;
    left -= n;
  }
  return true;
}

/* A request payload's body is only counted (what StreamingInputCall adds
 * up), never held: its length goes in the callback's own arg. */
static bool count_body(pb_istream_t *s, const pb_field_t *f, void **arg) {
  (void)f;
  size_t n = s->bytes_left;
  *arg = (void *)((uintptr_t)*arg + n);
  return pb_read(s, NULL, n);
}

static size_t body_len(const grpc_testing_Payload *p) {
  return (size_t)(uintptr_t)p->body.arg;
}

static void with_body(grpc_testing_Payload *p, size_t len) {
  p->body.funcs.encode = enc_body;
  p->body.arg = (void *)(uintptr_t)len;
}

/* The generated skeleton's _init hooks: each request's body is counted. */
static void init_simple(grpc_testing_SimpleRequest *r, void *ud) {
  (void)ud;
  r->payload.body.funcs.decode = count_body;
}

static void init_input(grpc_testing_StreamingInputCallRequest *r, void *ud) {
  (void)ud;
  r->payload.body.funcs.decode = count_body;
}

static void init_output(grpc_testing_StreamingOutputCallRequest *r, void *ud) {
  (void)ud;
  r->payload.body.funcs.decode = count_body;
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

/* --- EmptyCall, UnaryCall, StreamingInputCall ---------------------------- */

static void empty_call(rpc_scall_t *call, const grpc_testing_Empty *req, void *ud) {
  (void)ud, (void)req;
  grpc_testing_Empty e = grpc_testing_Empty_init_zero;
  echo_metadata(call);
  grpc_testing_TestService_EmptyCall_reply(call, &e);
}

static void unary_call(rpc_scall_t *call, const grpc_testing_SimpleRequest *r, void *ud) {
  (void)ud;
  echo_metadata(call);
  if (r->has_expect_compressed && r->expect_compressed.value) {
    rpc_scall_finish(call, RPC_CODE_INVALID_ARGUMENT, "grpc.testing: compressed request expected");
    return;
  }
  if (r->has_response_status && r->response_status.code != 0) {
    rpc_scall_finish(call, r->response_status.code, r->response_status.message);
    return;
  }
  if (r->response_size < 0) {
    rpc_scall_finish(call, RPC_CODE_INVALID_ARGUMENT, "grpc.testing: negative response_size");
    return;
  }
  grpc_testing_SimpleResponse resp = grpc_testing_SimpleResponse_init_zero;
  resp.has_payload = true;
  with_body(&resp.payload, (size_t)r->response_size);
  grpc_testing_TestService_UnaryCall_reply(call, &resp);
}

/* StreamingInputCall: the sizes of every request's payload, added up, sent
 * back when the client half-closes. */
static void input_call(rpc_scall_t *call, void *ud) {
  (void)ud;
  echo_metadata(call);
  size_t *sum = calloc(1, sizeof(*sum));
  if (!sum) {
    rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  rpc_scall_set_user(call, sum);
}

static void input_msg(rpc_scall_t *call, const grpc_testing_StreamingInputCallRequest *r,
                      void *ud) {
  (void)ud;
  size_t *sum = rpc_scall_user(call);
  if (r) {
    *sum += body_len(&r->payload);
    return;
  }
  grpc_testing_StreamingInputCallResponse resp = {(int32_t)*sum};
  grpc_testing_TestService_StreamingInputCall_reply(call, &resp);
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
static void duplex_call(rpc_scall_t *call, void *ud) {
  (void)ud;
  echo_metadata(call);
}

static void duplex_msg(rpc_scall_t *call, const grpc_testing_StreamingOutputCallRequest *r,
                       void *ud) {
  (void)ud;
  if (!r) {
    rpc_scall_finish(call, RPC_CODE_OK, NULL);
    return;
  }
  if (r->has_response_status && r->response_status.code != 0) {
    rpc_scall_finish(call, r->response_status.code, r->response_status.message);
    return;
  }
  for (pb_size_t i = 0; i < r->response_parameters_count; i++) {
    int32_t size = r->response_parameters[i].size;
    if (size < 0) {
      rpc_scall_finish(call, RPC_CODE_INVALID_ARGUMENT, "grpc.testing: negative size");
      return;
    }
    grpc_testing_StreamingOutputCallResponse resp =
        grpc_testing_StreamingOutputCallResponse_init_zero;
    resp.has_payload = true;
    with_body(&resp.payload, (size_t)size);
    if (grpc_testing_TestService_FullDuplexCall_send(call, &resp) != RPC_OK) {
      rpc_scall_finish(call, RPC_CODE_INTERNAL, "grpc.testing: cannot queue a response");
      return;
    }
  }
}

/* --- StreamingOutputCall, HalfDuplexCall: one response per parameter ---- */

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
    resp.has_payload = true;
    with_body(&resp.payload, (size_t)p->size);
    if (grpc_testing_TestService_StreamingOutputCall_send(st->call, &resp) != RPC_OK) {
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

static stream_t *stream_new(rpc_scall_t *call) {
  stream_t *st = calloc(1, sizeof(*st));
  if (!st) {
    rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  st->call = call;
  st->timer.fn = on_stream_timer;
  st->timer.arg = st;
  rpc_scall_set_user(call, st);
  return st;
}

static void streaming_output_call(rpc_scall_t *call,
                                  const grpc_testing_StreamingOutputCallRequest *r, void *ud) {
  (void)ud;
  echo_metadata(call);
  if (r->has_response_status && r->response_status.code != 0) {
    rpc_scall_finish(call, r->response_status.code, r->response_status.message);
    return;
  }
  stream_t *st = stream_new(call);
  if (!st) return;
  st->req = *r;
  stream_step(st);
}

/* HalfDuplexCall: the requests' parameters are gathered until the client
 * half-closes, then answered as StreamingOutputCall answers them. */
static void half_call(rpc_scall_t *call, void *ud) {
  (void)ud;
  echo_metadata(call);
  (void)stream_new(call);
}

static void half_msg(rpc_scall_t *call, const grpc_testing_StreamingOutputCallRequest *r,
                     void *ud) {
  (void)ud;
  stream_t *st = rpc_scall_user(call);
  if (!st) return;
  if (!r) {
    stream_step(st);
    return;
  }
  pb_size_t max = sizeof(st->req.response_parameters) / sizeof(st->req.response_parameters[0]);
  for (pb_size_t i = 0; i < r->response_parameters_count && st->req.response_parameters_count < max;
       i++)
    st->req.response_parameters[st->req.response_parameters_count++] = r->response_parameters[i];
}

/* The client cancelled or the deadline passed: drop the pending responses. */
static void streaming_end(rpc_scall_t *call, rpc_end_t why, void *ud) {
  (void)why, (void)ud;
  stream_t *st = rpc_scall_user(call);
  if (st) stream_free(st);
}

/* --- the daemon --------------------------------------------------------- */

/* The method table, on the skeleton tools/protoc-gen-fc generates
 * (build/gen/testservice/test.srv.h); UnimplementedCall has no handler, so
 * the server answers it Unimplemented. Returns the number of methods. */
static size_t ts_methods(rpc_method_t *m) {
  static grpc_testing_TestService_handlers_t h;
  h.EmptyCall = empty_call;
  h.UnaryCall = unary_call;
  h.UnaryCall_init = init_simple;
  h.CacheableUnaryCall = unary_call;
  h.CacheableUnaryCall_init = init_simple;
  h.StreamingOutputCall = streaming_output_call;
  h.StreamingOutputCall_init = init_output;
  h.StreamingOutputCall_end = streaming_end;
  h.StreamingInputCall = input_call;
  h.StreamingInputCall_msg = input_msg;
  h.StreamingInputCall_init = init_input;
  h.StreamingInputCall_end = input_end;
  h.FullDuplexCall = duplex_call;
  h.FullDuplexCall_msg = duplex_msg;
  h.FullDuplexCall_init = init_output;
  h.HalfDuplexCall = half_call;
  h.HalfDuplexCall_msg = half_msg;
  h.HalfDuplexCall_init = init_output;
  h.HalfDuplexCall_end = streaming_end;
  return grpc_testing_TestService_methods(m, &h);
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
