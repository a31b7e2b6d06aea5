/*
 * fc_interop.c - fc-interop: the 14 standard gRPC interop test cases
 * (grpc's doc/interop-test-descriptions.md), played by the firmware
 * client's SDK as a client against any grpc.testing.TestService: the
 * project's interop-server, grpcio's, grpc-go's official one.
 *
 *   fc-interop [--addr HOST:PORT] CASE    (host and Linux boards; localhost:10000)
 *   fc-interop.elf, the case as its semihosting argument, UART0 the wire
 *                                         (Cortex-M boards)
 *
 * Every call goes through the generated TestService stubs
 * (build/gen/testservice/test.fc.h) on one channel (fc_channel.h) and one
 * call slot, as a user's own program would. No message is held whole:
 * responses carrying a Payload stream through the slot in pieces
 * (fc_call_opts_t.on_piece) and a small decoder walks them (the Payload is
 * entered, its body only counted and checked to be zeros); requests larger
 * than the slot's buffer (large_unary's 271828 bytes) are encoded again for
 * each window nghttp2 asks for. The same program on every board.
 *
 * Prints "PASS case" or "FAIL case: why" and exits 0 on a pass, 1 on a
 * failure, 2 on a usage error.
 */
#include "rpc_opt.h" /* first: the build's tunables */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <pb_encode.h>

#include "fc_arena.h"
#include "fc_call.h"
#include "fc_console.h"
#include "port.h"
#include "testservice/test.fc.h"

#ifndef FCI_TX_MAX
#define FCI_TX_MAX 1024u /* requests larger than this are encoded per window */
#endif

/* Each call's deadline: the grpcio client's 10 s, or a minute over a
 * serial line, where QEMU's UART carries some 60 KB/s and large_unary
 * moves 586 KB (custom_metadata twice that, in two calls). */
#ifdef PORT_UART
#define FCI_TIMEOUT_MS 60000u
#else
#define FCI_TIMEOUT_MS 10000u
#endif
#define FCI_MAX_MSGS 8 /* response messages recorded per call */

#define LARGE_REQ 271828
#define LARGE_RESP 314159

static const char special_msg[] = "\t\ntest with whitespace\r\nand Unicode BMP \xe2\x98\xba and "
                                  "non-BMP \xf0\x9f\x98\x88\t\n";

static fc_channel_t ch;
/* One call at a time: one slot; its rx buffer decodes only the small
 * StreamingInputCallResponse, Payloads stream through in pieces. */
FC_CALL_DEFINE(slot, 64, FCI_TX_MAX);

/* What one call saw: its status, the payload size of each message, and the
 * echoed metadata. */
typedef struct {
  size_t n; /* messages received */
  size_t sizes[FCI_MAX_MSGS];
  bool nonzero; /* some body byte was not zero */
  bool bad;     /* a message was cut inside a field */
  int code;
  char message[FC_STATUS_MSG_LEN];
  char initial[64]; /* x-grpc-test-echo-initial, as received */
  uint8_t trailing[8];
  size_t trailing_len; /* x-grpc-test-echo-trailing-bin, decoded */
} result_t;

static result_t r;

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

/* Payload.body, counted on its way through the decoder. */
typedef struct {
  size_t len;
  bool nonzero;
} body_t;

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

static int on_piece(fc_call_t *call, const uint8_t *p, size_t len, uint32_t off, uint32_t total,
                    void *arg) {
  (void)call, (void)arg;
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
static int on_msg(fc_call_t *call, void *msg, void *arg) {
  (void)call, (void)msg, (void)arg;
  if (sd.st != SD_KEY || sd.shift || sd.depth != 1) r.bad = true; /* cut inside a field */
  if (r.n < FCI_MAX_MSGS) r.sizes[r.n] = sd.body.len;
  r.n++;
  r.nonzero |= sd.body.nonzero;
  memset(&sd, 0, sizeof(sd)); /* an empty message gives no piece */
  sd.depth = 1;
  return 0;
}

static void on_md(fc_call_t *call, const char *name, const char *value, size_t len, int trailer,
                  void *arg) {
  (void)call, (void)arg;
  if (!trailer && strcmp(name, "x-grpc-test-echo-initial") == 0) {
    if (len >= sizeof(r.initial)) len = sizeof(r.initial) - 1;
    memcpy(r.initial, value, len);
    r.initial[len] = '\0';
  } else if (trailer && strcmp(name, "x-grpc-test-echo-trailing-bin") == 0) {
    long n = rpc_b64_decode(value, len, r.trailing, sizeof(r.trailing));
    r.trailing_len = n < 0 ? 0 : (size_t)n;
  }
}

/* Options of a call whose responses carry a Payload: pieces, counted. */
static fc_call_opts_t piece_opts(uint32_t timeout_ms, const fc_md_t *md, size_t md_count) {
  fc_call_opts_t o = {0};
  o.timeout_ms = timeout_ms;
  o.on_piece = on_piece;
  o.on_msg = on_msg;
  o.on_md = on_md;
  o.md = md;
  o.md_count = md_count;
  return o;
}

static void begin(void) {
  memset(&r, 0, sizeof(r));
  memset(&sd, 0, sizeof(sd));
  sd.depth = 1;
  r.code = -1;
}

static void end(int code, const fc_status_t *st) {
  r.code = code;
  snprintf(r.message, sizeof(r.message), "%s", st->message);
}

/* --- the requests ------------------------------------------------------ */

static size_t body_lens[4]; /* the zero_body callbacks' arguments */

static void set_body(grpc_testing_Payload *p, bool *has, size_t *len_slot, size_t len) {
  if (!len) return;
  *len_slot = len;
  *has = true;
  p->body.funcs.encode = zero_body;
  p->body.arg = len_slot;
}

static void simple_request(grpc_testing_SimpleRequest *q, int32_t resp_size, size_t req_size,
                           int code, const char *msg) {
  memset(q, 0, sizeof(*q));
  q->response_size = resp_size;
  set_body(&q->payload, &q->has_payload, &body_lens[0], req_size);
  if (code) {
    q->has_response_status = true;
    q->response_status.code = code;
    snprintf(q->response_status.message, sizeof(q->response_status.message), "%s", msg);
  }
}

static void streaming_request(grpc_testing_StreamingOutputCallRequest *q, const int32_t *sizes,
                              size_t n, size_t req_size, size_t *len_slot, int code,
                              const char *msg) {
  memset(q, 0, sizeof(*q));
  for (size_t i = 0; i < n; i++)
    q->response_parameters[i].size = sizes[i];
  q->response_parameters_count = (pb_size_t)n;
  set_body(&q->payload, &q->has_payload, len_slot, req_size);
  if (code) {
    q->has_response_status = true;
    q->response_status.code = code;
    snprintf(q->response_status.message, sizeof(q->response_status.message), "%s", msg);
  }
}

/* --- the cases ---------------------------------------------------------- */

static char why[320]; /* the failure of the case */

static bool fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof(why), fmt, ap);
  va_end(ap);
  return false;
}

/* True when the call ended with code and, if msg is set, that message. */
static bool expect(int code, const char *msg, const char *what) {
  if (r.code == code && (!msg || strcmp(r.message, msg) == 0)) return true;
  return fail("%s: got %s \"%s\", want %s%s%s%s", what,
              r.code < 0 ? "no call" : rpc_code_name(r.code), r.message, rpc_code_name(code),
              msg ? " \"" : "", msg ? msg : "", msg ? "\"" : "");
}

/* Each message's payload: sizes[n] zero bytes, in order. */
static bool payloads(const int32_t *sizes, size_t n, const char *what) {
  bool same = r.n == n && !r.nonzero && !r.bad;
  for (size_t i = 0; same && i < n; i++)
    same = r.sizes[i] == (size_t)sizes[i];
  if (same) return true;
  return fail("%s: want %zu payloads of zeros (%ld ...), got %zu messages (%zu ...)%s%s", what, n,
              n ? (long)sizes[0] : 0L, r.n, r.n ? r.sizes[0] : (size_t)0,
              r.nonzero ? ", not zeros" : "", r.bad ? ", cut inside a field" : "");
}

static bool empty_unary(void) {
  static grpc_testing_Empty q, a;
  fc_status_t st;
  begin();
  end(grpc_testing_TestService_EmptyCall(&slot, &ch, &q, &a, NULL, &st), &st);
  return expect(RPC_CODE_OK, NULL, "EmptyCall");
}

/* UnaryCall: 271828 zero bytes up, 314159 down (custom_metadata adds md). */
static bool large_call(const fc_md_t *md, size_t md_count) {
  static grpc_testing_SimpleRequest q;
  static const int32_t want[] = {LARGE_RESP};
  fc_status_t st;
  simple_request(&q, LARGE_RESP, LARGE_REQ, 0, NULL);
  begin();
  fc_call_opts_t o = piece_opts(FCI_TIMEOUT_MS, md, md_count);
  if (fc_call_start(&slot, &ch, &grpc_testing_TestService_UnaryCall_method, &q, &o, &st) == 0)
    fc_call_finish(&slot, &st);
  end(st.code, &st);
  return expect(RPC_CODE_OK, NULL, "UnaryCall") && payloads(want, 1, "UnaryCall");
}

static bool large_unary(void) {
  return large_call(NULL, 0);
}

static bool client_streaming(void) {
  static const size_t sizes[] = {27182, 8, 1828, 45904};
  static grpc_testing_StreamingInputCallRequest q;
  static grpc_testing_StreamingInputCallResponse a;
  fc_status_t st;
  begin();
  if (grpc_testing_TestService_StreamingInputCall_start(&slot, &ch, &a, NULL, &st) == 0) {
    for (size_t i = 0; i < 4; i++) {
      memset(&q, 0, sizeof(q));
      set_body(&q.payload, &q.has_payload, &body_lens[i], sizes[i]);
      if (grpc_testing_TestService_StreamingInputCall_send(&slot, &q, i == 3) != 0) break;
    }
    grpc_testing_TestService_StreamingInputCall_finish(&slot, &st);
  }
  end(st.code, &st);
  if (!expect(RPC_CODE_OK, NULL, "StreamingInputCall")) return false;
  if (a.aggregated_payload_size != 74922)
    return fail("aggregated_payload_size %ld, want 74922", (long)a.aggregated_payload_size);
  return true;
}

static bool server_streaming(void) {
  static const int32_t sizes[] = {31415, 9, 2653, 58979};
  static grpc_testing_StreamingOutputCallRequest q;
  fc_status_t st;
  streaming_request(&q, sizes, 4, 0, NULL, 0, NULL);
  begin();
  fc_call_opts_t o = piece_opts(FCI_TIMEOUT_MS, NULL, 0);
  if (fc_call_start(&slot, &ch, &grpc_testing_TestService_StreamingOutputCall_method, &q, &o,
                    &st) == 0)
    fc_call_finish(&slot, &st);
  end(st.code, &st);
  return expect(RPC_CODE_OK, NULL, "StreamingOutputCall") &&
         payloads(sizes, 4, "StreamingOutputCall");
}

/* FullDuplexCall, one request after each response. */
static bool ping_pong(void) {
  static const int32_t sizes[] = {31415, 9, 2653, 58979};
  static const size_t reqs[] = {27182, 8, 1828, 45904};
  static grpc_testing_StreamingOutputCallRequest q;
  fc_status_t st;
  begin();
  fc_call_opts_t o = piece_opts(FCI_TIMEOUT_MS, NULL, 0);
  if (fc_call_start(&slot, &ch, &grpc_testing_TestService_FullDuplexCall_method, NULL, &o, &st) ==
      0) {
    for (uint32_t i = 0; i < 4; i++) {
      streaming_request(&q, &sizes[i], 1, reqs[i], &body_lens[i], 0, NULL);
      if (fc_call_send(&slot, &q, 0) != 0) break;
      if (fc_call_wait(&slot, i + 1) != i + 1) break; /* its answer, before the next */
    }
    fc_call_close_send(&slot);
    fc_call_finish(&slot, &st);
  }
  end(st.code, &st);
  return expect(RPC_CODE_OK, NULL, "FullDuplexCall") && payloads(sizes, 4, "FullDuplexCall");
}

static bool empty_stream(void) {
  fc_status_t st;
  begin();
  fc_call_opts_t o = piece_opts(FCI_TIMEOUT_MS, NULL, 0);
  if (fc_call_start(&slot, &ch, &grpc_testing_TestService_FullDuplexCall_method, NULL, &o, &st) ==
      0) {
    fc_call_close_send(&slot);
    fc_call_finish(&slot, &st);
  }
  end(st.code, &st);
  return expect(RPC_CODE_OK, NULL, "FullDuplexCall") && payloads(NULL, 0, "FullDuplexCall");
}

/* FullDuplexCall with a 1 ms deadline: one request sent, the stream left
 * open, so the server waits for more and the deadline ends it. */
static bool timeout_on_sleeping_server(void) {
  static grpc_testing_StreamingOutputCallRequest q;
  fc_status_t st;
  begin();
  streaming_request(&q, NULL, 0, 27182, &body_lens[0], 0, NULL);
  fc_call_opts_t o = piece_opts(1, NULL, 0);
  if (fc_call_start(&slot, &ch, &grpc_testing_TestService_FullDuplexCall_method, NULL, &o, &st) ==
      0) {
    (void)fc_call_send(&slot, &q, 0); /* may already be too late: the deadline is 1 ms */
    fc_call_finish(&slot, &st);
  }
  end(st.code, &st);
  return expect(RPC_CODE_DEADLINE_EXCEEDED, NULL, "FullDuplexCall");
}

/* StreamingInputCall cancelled once it has begun at the server, before
 * any request message (RST_STREAM CANCEL). */
static bool cancel_after_begin(void) {
  static grpc_testing_StreamingInputCallResponse a;
  fc_status_t st;
  begin();
  if (grpc_testing_TestService_StreamingInputCall_start(&slot, &ch, &a, NULL, &st) == 0) {
    fc_call_cancel(&slot);
    fc_call_finish(&slot, &st);
  }
  end(st.code, &st);
  return expect(RPC_CODE_CANCELLED, NULL, "StreamingInputCall");
}

static bool cancel_after_first_response(void) {
  static const int32_t size = 31415;
  static grpc_testing_StreamingOutputCallRequest q;
  fc_status_t st;
  begin();
  streaming_request(&q, &size, 1, 27182, &body_lens[0], 0, NULL);
  fc_call_opts_t o = piece_opts(FCI_TIMEOUT_MS, NULL, 0);
  if (fc_call_start(&slot, &ch, &grpc_testing_TestService_FullDuplexCall_method, NULL, &o, &st) ==
      0) {
    if (fc_call_send(&slot, &q, 0) == 0 && fc_call_wait(&slot, 1) == 1) fc_call_cancel(&slot);
    fc_call_finish(&slot, &st);
  }
  end(st.code, &st);
  if (!expect(RPC_CODE_CANCELLED, NULL, "FullDuplexCall")) return false;
  return payloads(&size, 1, "FullDuplexCall");
}

/* UnaryCall and FullDuplexCall (one request, then the half-close) asked to
 * answer with code and msg. */
static bool echo_status(int code, const char *msg, bool duplex_too) {
  static grpc_testing_SimpleRequest q;
  static grpc_testing_StreamingOutputCallRequest d;
  fc_status_t st;
  simple_request(&q, 0, 0, code, msg);
  begin();
  fc_call_opts_t o = piece_opts(FCI_TIMEOUT_MS, NULL, 0);
  if (fc_call_start(&slot, &ch, &grpc_testing_TestService_UnaryCall_method, &q, &o, &st) == 0)
    fc_call_finish(&slot, &st);
  end(st.code, &st);
  if (!expect(code, msg, "UnaryCall") || !duplex_too) return r.code == code;
  streaming_request(&d, NULL, 0, 0, NULL, code, msg);
  begin();
  if (fc_call_start(&slot, &ch, &grpc_testing_TestService_FullDuplexCall_method, NULL, &o, &st) ==
      0) {
    (void)fc_call_send(&slot, &d, 1);
    fc_call_finish(&slot, &st);
  }
  end(st.code, &st);
  return expect(code, msg, "FullDuplexCall");
}

static bool status_code_and_message(void) {
  return echo_status(RPC_CODE_UNKNOWN, "test status message", true);
}

static bool special_status_message(void) {
  return echo_status(RPC_CODE_UNKNOWN, special_msg, false);
}

static bool unimplemented_method(void) {
  static grpc_testing_Empty q, a;
  fc_status_t st;
  begin();
  end(grpc_testing_TestService_UnimplementedCall(&slot, &ch, &q, &a, NULL, &st), &st);
  return expect(RPC_CODE_UNIMPLEMENTED, NULL, "TestService/UnimplementedCall");
}

static bool unimplemented_service(void) {
  static grpc_testing_Empty q, a;
  fc_status_t st;
  begin();
  end(grpc_testing_UnimplementedService_UnimplementedCall(&slot, &ch, &q, &a, NULL, &st), &st);
  return expect(RPC_CODE_UNIMPLEMENTED, NULL, "UnimplementedService/UnimplementedCall");
}

/* The echoed metadata: the initial value in the headers, the binary one in
 * the trailers. */
static bool echoed(const char *what) {
  static const uint8_t ab[] = {0xab, 0xab, 0xab};
  if (strcmp(r.initial, "test_initial_metadata_value") != 0)
    return fail("%s: x-grpc-test-echo-initial \"%s\", want \"test_initial_metadata_value\"", what,
                r.initial);
  if (r.trailing_len != 3 || memcmp(r.trailing, ab, 3) != 0)
    return fail("%s: x-grpc-test-echo-trailing-bin of %zu bytes, want 0xababab", what,
                r.trailing_len);
  return true;
}

static bool custom_metadata(void) {
  static const uint8_t ab[] = {0xab, 0xab, 0xab};
  static char ab64[8];
  static fc_md_t md[] = {
      {"x-grpc-test-echo-initial", "test_initial_metadata_value"},
      {"x-grpc-test-echo-trailing-bin", ab64},
  };
  if (rpc_b64_encode(ab, sizeof(ab), ab64, sizeof(ab64)) < 0) return fail("base64");
  static const int32_t size = LARGE_RESP;
  static grpc_testing_StreamingOutputCallRequest q;
  fc_status_t st;
  if (!large_call(md, 2) || !echoed("UnaryCall")) return false;
  streaming_request(&q, &size, 1, LARGE_REQ, &body_lens[0], 0, NULL);
  begin();
  fc_call_opts_t o = piece_opts(FCI_TIMEOUT_MS, md, 2);
  if (fc_call_start(&slot, &ch, &grpc_testing_TestService_FullDuplexCall_method, NULL, &o, &st) ==
      0) {
    (void)fc_call_send(&slot, &q, 1);
    fc_call_finish(&slot, &st);
  }
  end(st.code, &st);
  return expect(RPC_CODE_OK, NULL, "FullDuplexCall") && payloads(&size, 1, "FullDuplexCall") &&
         echoed("FullDuplexCall");
}

static const struct {
  const char *name;
  bool (*fn)(void);
} cases[] = {
    {"empty_unary", empty_unary},
    {"large_unary", large_unary},
    {"client_streaming", client_streaming},
    {"server_streaming", server_streaming},
    {"ping_pong", ping_pong},
    {"empty_stream", empty_stream},
    {"timeout_on_sleeping_server", timeout_on_sleeping_server},
    {"cancel_after_begin", cancel_after_begin},
    {"cancel_after_first_response", cancel_after_first_response},
    {"status_code_and_message", status_code_and_message},
    {"special_status_message", special_status_message},
    {"unimplemented_method", unimplemented_method},
    {"unimplemented_service", unimplemented_service},
    {"custom_metadata", custom_metadata},
};

static int usage_to(int stream) {
  fc_say(stream, "usage: fc-interop [--addr HOST:PORT] CASE\n       cases:");
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    fc_say(stream, " %s", cases[i].name);
  fc_say(stream, "\n");
  return 2;
}

static int usage(void) {
  return usage_to(2);
}

static int play(const char *addr, const char *name) {
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    if (strcmp(name, cases[i].name) != 0) continue;
    fc_cfg_t cfg = {0};
    fc_status_t st;
    cfg.addr = addr;
    cfg.timeout_ms = FCI_TIMEOUT_MS;
    cfg.user_agent = "fc-interop/1.0"; /* the peer sees "fc-interop/1.0 grpc-c-embedded/0.1" */
    fc_channel_init(&ch, &cfg);
    FC_CALL_SETUP(slot);
    why[0] = '\0';
    /* connected first, so that a case's deadline is the call's alone */
    bool ok = fc_channel_ready(&ch, port_time_ms(), FCI_TIMEOUT_MS, 0, &st) == 0
                  ? cases[i].fn()
                  : fail("cannot connect to %s: %s", addr, st.message);
    if (ok)
      fc_say(1, "PASS %s\n", name);
    else
      fc_say(1, "FAIL %s: %s\n", name, why);
    fc_say(2, "# arena high water %lu of %lu bytes\n", (unsigned long)fc_arena_high_water(),
           (unsigned long)fc_arena_size());
    fc_channel_free(&ch);
    return ok ? 0 : 1;
  }
  return usage();
}

int main(int argc, char **argv) {
  /* a serial board's wire goes to one server: its address only names it */
  const char *name = NULL, *addr = "localhost:10000";
  if (argc == 2 && strcmp(argv[1], "--help") == 0) {
    usage_to(1);
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    fc_say(1, "fc-interop 0.3 (grpc-c-embedded)\n");
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--addr") == 0 && i + 1 < argc)
      addr = argv[++i];
    else if (!name && argv[i][0] != '-')
      name = argv[i];
    else
      return usage();
  }
  if (!name) return usage();
  return play(addr, name);
}
