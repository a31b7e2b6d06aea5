/*
 * fc_interop.c - fc-interop: the gRPC interop test cases that the firmware
 * client's stack can play as a client, against a grpc.testing.TestService
 * (tests/interop/test_testservice_fc.sh runs it against our interop-server).
 *
 *   fc-interop --addr HOST:PORT CASE
 *
 * The same pieces as the board's firmware-client: the port's transport and
 * clock, the I/O-free rpc client core driven by the pump, nghttp2 allocating
 * from the board's arena (fc_arena_mem()), nanopb over fixed static buffers.
 * No message touches the heap, and none is held whole: requests are encoded
 * into tx[]; the call's deframer runs in streaming mode
 * (rpc_deframer_stream), handing each response body over in pieces as it
 * arrives, and a small decoder walks them (the Payload is entered, its body
 * only counted and checked to be zeros, every other field skipped).
 *
 * Bounds (Linux boards: host, host-asan, armhf-linux):
 *   FCI_RX_MAX  the largest response message accepted (counted, never
 *               stored): 1 MiB; large_unary's 314159 bytes are played in full.
 *   FCI_TX_MAX  the largest request encoded: large_unary's 271828-byte
 *               payload, sent as the case describes it (.bss on Linux).
 * A Cortex-M board receives the same way with no buffer at all; only its
 * requests are bounded by tx[] (a few KiB there).
 *
 * cancel_after_begin and timeout_on_sleeping_server need a request stream
 * that is open and not half-closed, which the client core does not offer
 * (it sends the one request message with END_STREAM): this program drives
 * the I/O-free core itself and lets only the HEADERS frame out, then
 * cancels (RST_STREAM CANCEL), or holds the stream open until the 1 ms
 * deadline passes.
 *
 * Prints "PASS case" or "FAIL case: why" and exits 0 on a pass, 1 on a failure, 2 on a usage error.
 */
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pb_encode.h>

#include "fc_arena.h"
#include "fc_console.h"
#include "port.h"
#include "rpc_client.h"
#include "rpc_pump.h"
#include "testservice/test.pb.h"

#ifndef FCI_RX_MAX
#define FCI_RX_MAX (1024u * 1024u)
#endif
#ifndef FCI_TX_MAX
#define FCI_TX_MAX (271828u + 64u)
#endif
#if FCI_RX_MAX < 58979u + 16u
#error "FCI_RX_MAX must hold server_streaming's 58979-byte payload and its framing"
#endif

#define FCI_CONNECT_MS 3000u
#define FCI_TIMEOUT_MS 10000u /* each call's deadline, as the grpcio client's */
#define FCI_MAX_MSGS 8        /* response messages recorded per call */
#define SVC "/grpc.testing.TestService/"

#define LARGE_REQ 271828
#define LARGE_RESP 314159

static const char special_msg[] = "\t\ntest with whitespace\r\nand Unicode BMP \xe2\x98\xba and "
                                  "non-BMP \xf0\x9f\x98\x88\t\n";

/* One call at a time: one set of static buffers, as on the board. */
static uint8_t tx[FCI_TX_MAX];
static rpc_client_t client;
static rpc_call_t call;
static const char *addr;

/* Payload.body, counted on its way through the decoder. */
typedef struct {
  size_t len;
  bool nonzero;
} body_t;

/* What one call saw: its status and the payload size of each message. */
typedef struct {
  const pb_msgdesc_t *fields; /* response type; NULL: Empty */
  size_t n;                   /* messages received */
  size_t sizes[FCI_MAX_MSGS];
  bool nonzero; /* some body byte was not zero */
  int code;
  char message[RPC_CLIENT_MSG_LEN];
} result_t;

/* Writes the callback's body: *arg points at its length, all zeros. */
static bool zero_body(pb_ostream_t *s, const pb_field_t *f, void *const *arg) {
  static const uint8_t zeros[64];
  size_t left = *(const size_t *)*arg;
  if (left == 0) return true;
  if (!pb_encode_tag_for_field(s, f) || !pb_encode_varint(s, left)) return false;
  while (left) {
    size_t n = left < sizeof(zeros) ? left : sizeof(zeros);
    if (!pb_write(s, zeros, n)) return false;
    left -= n;
  }
  return true;
}

/* The streaming decoder: response messages arrive in pieces (the deframer
 * in streaming mode buffers nothing) and are walked as they come: field 1
 * (the Payload) is entered, its field 2 (the body) counted, every other
 * field skipped. Both SimpleResponse and StreamingOutputCallResponse carry
 * the Payload as field 1. State survives between pieces. */
enum { SD_KEY, SD_VARINT, SD_LEN, SD_SKIP, SD_BODY };
typedef struct {
  uint8_t st, wt, depth, shift;
  uint32_t field;
  uint64_t v;
  uint32_t run;    /* bytes left of the field being skipped or counted */
  uint32_t pos;    /* offset in the message */
  uint32_t end[2]; /* where each open level ends */
  body_t body;
} sdec_t;

static sdec_t sd;

/* Ends the levels that end at sd.pos. */
static void sd_pop(void) {
  while (sd.depth > 1 && sd.pos >= sd.end[sd.depth - 1])
    sd.depth--;
}

/* Feeds one byte of a field's header (key, varint, length). 0 or -1. */
static int sd_byte(uint8_t b) {
  sd.v |= (uint64_t)(b & 0x7fu) << sd.shift;
  sd.shift = (uint8_t)(sd.shift + 7u);
  if (b & 0x80u) return sd.shift < 64 ? 0 : -1;
  uint64_t v = sd.v;
  sd.v = 0;
  sd.shift = 0;
  if (sd.st == SD_KEY) {
    sd.field = (uint32_t)(v >> 3);
    sd.wt = (uint8_t)(v & 7u);
    if (sd.wt == 0)
      sd.st = SD_VARINT;
    else if (sd.wt == 2)
      sd.st = SD_LEN;
    else if (sd.wt == 1 || sd.wt == 5)
      sd.st = SD_SKIP, sd.run = sd.wt == 1 ? 8u : 4u;
    else
      return -1;
    return 0;
  }
  if (sd.st == SD_VARINT) {
    sd.st = SD_KEY;
    return 0;
  }
  /* SD_LEN */
  if (v > sd.end[sd.depth - 1] - sd.pos) return -1;
  sd.run = (uint32_t)v;
  if (sd.depth == 1 && sd.field == 1) { /* the Payload: go in */
    sd.end[sd.depth++] = sd.pos + sd.run;
    sd.st = SD_KEY;
  } else {
    sd.st = sd.depth == 2 && sd.field == 2 ? SD_BODY : SD_SKIP;
  }
  return 0;
}

static int on_piece(void *arg, const uint8_t *p, size_t len, uint32_t off, uint32_t total) {
  (void)arg;
  if (off == 0) {
    memset(&sd, 0, sizeof(sd));
    sd.depth = 1;
    sd.end[0] = total;
  }
  while (len) {
    if (sd.st == SD_SKIP || sd.st == SD_BODY) {
      size_t n = sd.run < len ? sd.run : len;
      for (size_t i = 0; sd.st == SD_BODY && i < n; i++)
        sd.body.nonzero |= p[i] != 0;
      if (sd.st == SD_BODY) sd.body.len += n;
      sd.run -= (uint32_t)n, sd.pos += (uint32_t)n, p += n, len -= n;
      if (sd.run == 0) sd.st = SD_KEY;
    } else {
      if (sd_byte(*p) != 0) return 1;
      sd.pos++, p++, len--;
    }
    if (sd.st == SD_KEY) sd_pop();
  }
  return 0;
}

/* The end of a response message: its pieces are all in. */
static int on_message(rpc_call_t *c, const uint8_t *msg, size_t len) {
  result_t *r = rpc_call_user(c);
  (void)msg, (void)len;
  if (sd.st != SD_KEY || sd.shift || sd.depth != 1) return 1; /* cut inside a field */
  if (r->n < FCI_MAX_MSGS) r->sizes[r->n] = sd.body.len;
  r->n++;
  r->nonzero |= sd.body.nonzero;
  return 0;
}

/* Hands the core's bytes to the transport until a HEADERS frame has gone:
 * the request is then open at the server, and nothing of its body is sent
 * (nghttp2 serializes one frame per rpc_client_send). Returns 0 or -1. */
static int send_headers_only(port_transport_t *t) {
  const uint8_t *out;
  long n;
  while ((n = rpc_client_send(&client, &out)) > 0) {
    /* the 24-byte client magic comes alone; every other piece is a frame */
    bool headers = n >= 9 && out[0] != 'P' && out[3] == 0x1;
    for (long off = 0; off < n;) {
      int32_t w = t->send(t->net, out + off, (size_t)(n - off));
      if (w < 0) return -1;
      off += w;
    }
    if (headers) return 0;
  }
  return -1;
}

/* How run() drives the request: all of it (headers, the one message and the
 * half-close), or only its HEADERS, then cancel it at once or hold the stream
 * open (no message, no half-close) until the call ends by itself. */
typedef enum { SEND_ALL, CANCEL_AFTER_HEADERS, HOLD_AFTER_HEADERS } drive_t;

/* The pump with nothing sent: bytes in, deadlines, until the call is over.
 * What the core queues meanwhile (the request's DATA) stays unserialized:
 * nghttp2 drops it when the stream closes. */
static void pump_receive_only(port_transport_t *t) {
  static uint8_t in[1024];
  while (client.calls) {
    uint32_t wait = rpc_client_tick(&client, port_time_ms());
    if (!client.calls) break;
    if (wait > 50u) wait = 50u;
    int32_t n = t->recv(t->net, in, sizeof(in), wait);
    if (n < 0) {
      rpc_client_fail(&client, RPC_CODE_UNAVAILABLE, port_strerror(n));
      return;
    }
    if (n > 0 && rpc_client_recv(&client, in, (size_t)n) != RPC_OK) return;
  }
}

/* Runs one call of path with the request in tx[len]: connects, starts the
 * call with a deadline of timeout_ms, drives it as mode says to its end and
 * fills r. */
static void run(const char *path, size_t len, uint32_t timeout_ms, drive_t mode, result_t *r) {
  port_transport_t t;
  const pb_msgdesc_t *fields = r->fields;
  memset(r, 0, sizeof(*r));
  r->fields = fields;
  r->code = -1;
  char host[128];
  uint16_t port;
  int e = rpc_addr_split(addr, host, sizeof(host), &port) == RPC_OK
              ? port_net_open(&t, host, port, FCI_CONNECT_MS)
              : PORT_ERR_ARG;
  if (e != PORT_OK) {
    snprintf(r->message, sizeof(r->message), "connect %s: %s", addr, port_strerror(e));
    return;
  }
  rpc_client_cfg_t cfg = {0};
  cfg.authority = addr;
  cfg.mem = fc_arena_mem();
  if (rpc_client_init(&client, &cfg) != RPC_OK) {
    snprintf(r->message, sizeof(r->message), "the arena is too small for the HTTP/2 session");
    port_net_close(&t);
    return;
  }
  static const rpc_call_cbs_t cbs = {.on_message = on_message};
  rpc_call_init(&call, &cbs, r);
  rpc_deframer_stream(rpc_call_deframer(&call), FCI_RX_MAX, on_piece);
  if (rpc_client_start(&client, &call, path, tx, len, timeout_ms, port_time_ms()) != RPC_OK) {
    snprintf(r->message, sizeof(r->message), "cannot start the call");
  } else {
    if (mode != SEND_ALL && send_headers_only(&t) != 0)
      rpc_client_fail(&client, RPC_CODE_UNAVAILABLE, "the request's HEADERS did not go out");
    if (mode == CANCEL_AFTER_HEADERS)
      rpc_client_cancel(&client, &call, RPC_CODE_CANCELLED, "cancelled by the client");
    if (mode == HOLD_AFTER_HEADERS) pump_receive_only(&t);
    rpc_pump_run(&client, NULL, &t); /* and flushes a cancel's RST_STREAM */
    r->code = call.code;
    snprintf(r->message, sizeof(r->message), "%s", call.message);
  }
  rpc_client_free(&client);
  port_net_close(&t);
}

/* --- the requests ------------------------------------------------------ */

static size_t body_len; /* the zero_body callback's argument */

static size_t encode(const pb_msgdesc_t *fields, const void *msg) {
  pb_ostream_t os = pb_ostream_from_buffer(tx, sizeof(tx));
  if (!pb_encode(&os, fields, msg)) return (size_t)-1;
  return os.bytes_written;
}

static size_t simple_request(int32_t resp_size, size_t req_size, int code, const char *msg) {
  static grpc_testing_SimpleRequest q;
  memset(&q, 0, sizeof(q));
  q.response_size = resp_size;
  if (req_size) {
    body_len = req_size;
    q.has_payload = true;
    q.payload.body.funcs.encode = zero_body;
    q.payload.body.arg = &body_len;
  }
  if (code) {
    q.has_response_status = true;
    q.response_status.code = code;
    snprintf(q.response_status.message, sizeof(q.response_status.message), "%s", msg);
  }
  return encode(grpc_testing_SimpleRequest_fields, &q);
}

static size_t streaming_request(const int32_t *sizes, size_t n, size_t req_size, int code,
                                const char *msg) {
  static grpc_testing_StreamingOutputCallRequest q;
  memset(&q, 0, sizeof(q));
  for (size_t i = 0; i < n; i++)
    q.response_parameters[i].size = sizes[i];
  q.response_parameters_count = (pb_size_t)n;
  if (req_size) {
    body_len = req_size;
    q.has_payload = true;
    q.payload.body.funcs.encode = zero_body;
    q.payload.body.arg = &body_len;
  }
  if (code) {
    q.has_response_status = true;
    q.response_status.code = code;
    snprintf(q.response_status.message, sizeof(q.response_status.message), "%s", msg);
  }
  return encode(grpc_testing_StreamingOutputCallRequest_fields, &q);
}

/* --- the cases ---------------------------------------------------------- */

static char why[320]; /* the failure (or the bounded pass) of the case */

static bool fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof(why), fmt, ap);
  va_end(ap);
  return false;
}

/* True when the call ended with code and, if msg is set, that message. */
static bool expect(const result_t *r, int code, const char *msg, const char *what) {
  if (r->code == code && (!msg || strcmp(r->message, msg) == 0)) return true;
  return fail("%s: got %s \"%s\", want %s%s%s%s", what,
              r->code < 0 ? "no call" : rpc_code_name(r->code), r->message, rpc_code_name(code),
              msg ? " \"" : "", msg ? msg : "", msg ? "\"" : "");
}

static bool empty_unary(void) {
  static result_t r;
  r.fields = NULL;
  run(SVC "EmptyCall", 0, FCI_TIMEOUT_MS, SEND_ALL, &r);
  if (!expect(&r, RPC_CODE_OK, NULL, "EmptyCall")) return false;
  if (r.n != 1) return fail("EmptyCall: %zu response messages, want one grpc.testing.Empty", r.n);
  return true;
}

static bool large_unary(void) {
  static result_t r;
  size_t len = simple_request(LARGE_RESP, LARGE_REQ, 0, NULL);
  if (len == (size_t)-1) return fail("cannot encode the %d-byte request", LARGE_REQ);
  r.fields = grpc_testing_SimpleResponse_fields;
  run(SVC "UnaryCall", len, FCI_TIMEOUT_MS, SEND_ALL, &r);
  if (FCI_RX_MAX < LARGE_RESP + 16u) {
    /* over the board's bound: refused, clearly, and nothing half-decoded */
    char m[80];
    snprintf(m, sizeof(m), "grpc: received message larger than max (%lu)",
             (unsigned long)FCI_RX_MAX);
    if (!expect(&r, RPC_CODE_RESOURCE_EXHAUSTED, m, "UnaryCall")) return false;
    if (r.n != 0) return fail("UnaryCall: %zu messages decoded before the refusal", r.n);
    snprintf(why, sizeof(why),
             "bounded: the %d-byte response is over the board's %lu-byte message bound: "
             "ResourceExhausted \"%s\"",
             LARGE_RESP, (unsigned long)FCI_RX_MAX, m);
    return true;
  }
  if (!expect(&r, RPC_CODE_OK, NULL, "UnaryCall")) return false;
  if (r.n != 1 || r.sizes[0] != LARGE_RESP || r.nonzero)
    return fail("UnaryCall: want one %d-byte payload of zeros, got %zu messages, first %zu bytes%s",
                LARGE_RESP, r.n, r.n ? r.sizes[0] : 0, r.nonzero ? ", not zeros" : "");
  return true;
}

static bool server_streaming(void) {
  static const int32_t sizes[] = {31415, 9, 2653, 58979};
  static result_t r;
  size_t len = streaming_request(sizes, 4, 0, 0, NULL);
  r.fields = grpc_testing_StreamingOutputCallResponse_fields;
  run(SVC "StreamingOutputCall", len, FCI_TIMEOUT_MS, SEND_ALL, &r);
  if (!expect(&r, RPC_CODE_OK, NULL, "StreamingOutputCall")) return false;
  bool same = r.n == 4 && !r.nonzero;
  for (size_t i = 0; same && i < 4; i++)
    same = r.sizes[i] == (size_t)sizes[i];
  if (!same)
    return fail("want payloads of 31415, 9, 2653, 58979 zero bytes; got %zu messages (%zu %zu %zu "
                "%zu)%s",
                r.n, r.sizes[0], r.sizes[1], r.sizes[2], r.sizes[3],
                r.nonzero ? ", not zeros" : "");
  return true;
}

/* UnaryCall and FullDuplexCall (one request, then the half-close) asked to
 * answer with code and msg. */
static bool echo_status(int code, const char *msg, bool duplex_too) {
  static result_t r;
  size_t len = simple_request(0, 0, code, msg);
  r.fields = grpc_testing_SimpleResponse_fields;
  run(SVC "UnaryCall", len, FCI_TIMEOUT_MS, SEND_ALL, &r);
  if (!expect(&r, code, msg, "UnaryCall")) return false;
  if (!duplex_too) return true;
  len = streaming_request(NULL, 0, 0, code, msg);
  r.fields = grpc_testing_StreamingOutputCallResponse_fields;
  run(SVC "FullDuplexCall", len, FCI_TIMEOUT_MS, SEND_ALL, &r);
  return expect(&r, code, msg, "FullDuplexCall");
}

static bool status_code_and_message(void) {
  return echo_status(RPC_CODE_UNKNOWN, "test status message", true);
}

static bool special_status_message(void) {
  return echo_status(RPC_CODE_UNKNOWN, special_msg, false);
}

static bool unimplemented(const char *path) {
  static result_t r;
  r.fields = NULL;
  run(path, 0, FCI_TIMEOUT_MS, SEND_ALL, &r);
  return expect(&r, RPC_CODE_UNIMPLEMENTED, NULL, path);
}

static bool unimplemented_method(void) {
  return unimplemented(SVC "UnimplementedCall");
}

static bool unimplemented_service(void) {
  return unimplemented("/grpc.testing.UnimplementedService/UnimplementedCall");
}

/* StreamingInputCall, cancelled once its HEADERS are out and before any
 * request message (RST_STREAM CANCEL): the call ends Cancelled. */
static bool cancel_after_begin(void) {
  static result_t r;
  static grpc_testing_StreamingInputCallRequest q;
  memset(&q, 0, sizeof(q));
  size_t len = encode(grpc_testing_StreamingInputCallRequest_fields, &q);
  r.fields = grpc_testing_Empty_fields; /* no response is expected */
  run(SVC "StreamingInputCall", len, FCI_TIMEOUT_MS, CANCEL_AFTER_HEADERS, &r);
  if (!expect(&r, RPC_CODE_CANCELLED, NULL, "StreamingInputCall")) return false;
  if (r.n) return fail("StreamingInputCall: a response arrived after the cancel");
  return true;
}

/* FullDuplexCall with a 1 ms deadline, the stream left open so that the
 * server waits. The core sends a request message only together with the
 * half-close, which would let the server finish at once (and win the race
 * with 1 ms on loopback): so the request (27182 zero bytes, as described)
 * is queued but only its HEADERS go out. */
static bool timeout_on_sleeping_server(void) {
  static result_t r;
  size_t len = streaming_request(NULL, 0, 27182, 0, NULL);
  r.fields = grpc_testing_StreamingOutputCallResponse_fields;
  run(SVC "FullDuplexCall", len, 1, HOLD_AFTER_HEADERS, &r);
  return expect(&r, RPC_CODE_DEADLINE_EXCEEDED, NULL, "FullDuplexCall");
}

static const struct {
  const char *name;
  bool (*fn)(void);
} cases[] = {
    {"empty_unary", empty_unary},
    {"large_unary", large_unary},
    {"server_streaming", server_streaming},
    {"status_code_and_message", status_code_and_message},
    {"special_status_message", special_status_message},
    {"unimplemented_method", unimplemented_method},
    {"unimplemented_service", unimplemented_service},
    {"cancel_after_begin", cancel_after_begin},
    {"timeout_on_sleeping_server", timeout_on_sleeping_server},
};

static int usage(void) {
  fc_say(2, "usage: fc-interop --addr HOST:PORT CASE\n       cases:");
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    fc_say(2, " %s", cases[i].name);
  fc_say(2, "\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *name = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--addr") == 0 && i + 1 < argc)
      addr = argv[++i];
    else if (!name && argv[i][0] != '-')
      name = argv[i];
    else
      return usage();
  }
  if (!addr || !name) return usage();
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    if (strcmp(name, cases[i].name) != 0) continue;
    why[0] = '\0';
    bool ok = cases[i].fn();
    if (ok)
      fc_say(1, why[0] ? "PASS %s: %s\n" : "PASS %s\n", name, why);
    else
      fc_say(1, "FAIL %s: %s\n", name, why);
    fc_say(2, "# arena high water %lu of %lu bytes\n", (unsigned long)fc_arena_high_water(),
           (unsigned long)fc_arena_size());
    return ok ? 0 : 1;
  }
  return usage();
}
