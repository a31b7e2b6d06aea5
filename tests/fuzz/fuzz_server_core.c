/*
 * fuzz_server_core.c - the I/O-free server core alone, as a driver drives it
 * (tests/fuzz/fuzz_client.c does the same for the client core): no socket,
 * no event loop, no host file linked. The input is what a client writes on
 * one connection, fed to rpc_sconn_recv in chunks; between chunks the clock
 * moves by hand, rpc_sconn_tick runs, the handlers answer the calls they hold
 * (or not), and rpc_sconn_send is drained.
 *
 * Seeds (corpus/server_core/): fuzz_server's captured connections with two
 * control bytes in front, and connections built with tests/lib/h2wire.py
 * for the request streams, health and the timeouts; fc-getprods-aws-idle-
 * giveback finishes its stream and then gives the connection's pages back
 * (bit 4 with the held calls finished: rpc_sconn_idle returns 1). The handlers sit on the
 * paths those seeds call:
 *   GetVendorProdTypes  unary, answered at once: the request echoed, its
 *                       first custom metadata back as header and trailer
 *   GetVendorProds      server streaming, held: a message a step, then OK
 *   GetProdsDetail      unary, held: answered InvalidArgument a step later
 *   TestService/FullDuplexCall      bidi: each message echoed, OK at half-close
 *   TestService/StreamingInputCall  client streaming: OK with the count at
 *                                   half-close
 *   grpc.health.v1.Health/Check, Watch  rpc_health, whose status flips
 *
 * Input: 2 control bytes, then the client's bytes.
 *   byte 0  bits 0-2  number of chunks - 1
 *           bits 3-4  the clock's step per chunk: 1 ms, 40 ms, 1 s, 15 s
 *           bit 5     small limits (4 streams, 64-byte messages, 512 bytes of
 *                     headers, 20 ms request timeout)
 *           bit 6     the output is drained only at the end
 *           bit 7     GOAWAY (a drain) after the first chunk
 *   byte 1  bits 0-1  what the held calls get each step: nothing, a message,
 *                     the finish, a message and the finish
 *           bit 2     rpc_health_free (Watch calls finished) before the end
 *           bit 3     the connection is terminated (idle GOAWAY) at the end
 *           bit 4     rpc_sconn_idle after each chunk with no call open, as
 *                     the driver's idle sweep (its pages back to the pool)
 *           bit 5     the held server streams wait for room
 *                     (rpc_scall_when_room, at 0 or 64 bytes queued) and
 *                     send a message from the callback
 *
 * Checked: on_end runs at most once per call and never after the handler
 * finished it; a request stream's half-close comes once and last; a
 * DeadlineExceeded end comes only once the deadline has passed; no held
 * deadline is later than rpc_sconn_next_due says; every call a handler
 * holds has been ended once rpc_sconn_free returns; a room callback runs
 * only for a call its handler still holds; and (rpc_sc_mem_check, under
 * the sanitizers) every block of the pool is back when the session ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_health.h"
#include "rpc_server_core.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint64_t steps[4] = {1u, 40u, 1000u, 15000u};

static uint64_t now_ms;
static int wakes;
static rpc_server_core_t *cores[2]; /* default and small limits */
static rpc_method_t methods[8];
static size_t nmethods;
static rpc_health_t health;

/* A call a handler holds. */
typedef struct held {
  rpc_scall_t *call;
  int kind; /* 0 server stream, 1 delayed unary, 2 bidi, 3 client stream */
  int sent, msgs, half_closed;
  struct held *prev, *next;
} held_t;

static held_t *holds;
static int nheld;

static void fail(const char *why) {
  fprintf(stderr, "fuzz_server_core: %s\n", why);
  abort();
}

static uint64_t clock_fn(void *arg) {
  (void)arg;
  return now_ms;
}

static void wake_fn(void *arg) {
  (void)arg;
  wakes++;
}

static held_t *hold(rpc_scall_t *call, int kind) {
  held_t *h = calloc(1, sizeof(*h));
  if (!h) fail("out of memory");
  h->call = call;
  h->kind = kind;
  h->next = holds;
  if (holds) holds->prev = h;
  holds = h;
  nheld++;
  rpc_scall_set_user(call, h);
  return h;
}

/* The handler is done with the call: it must not be ended afterwards. */
static void release(held_t *h) {
  rpc_scall_set_user(h->call, NULL);
  if (h->prev)
    h->prev->next = h->next;
  else
    holds = h->next;
  if (h->next) h->next->prev = h->prev;
  nheld--;
  free(h);
}

static void finish(held_t *h, int code, const char *msg) {
  rpc_scall_finish(h->call, code, msg);
  release(h);
}

static void on_end(rpc_scall_t *call, rpc_end_t why, void *ud) {
  (void)ud;
  held_t *h = rpc_scall_user(call);
  if (!h) fail("on_end for a call no handler holds (ended twice, or after its finish)");
  if (why == RPC_END_DEADLINE && rpc_scall_remaining_ms(call) != 0)
    fail("DeadlineExceeded before the deadline");
  release(h);
}

static void types_call(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud) {
  (void)ud;
  const char *name, *value;
  if (rpc_scall_metadata(call, 0, &name, &value)) {
    rpc_scall_set_header(call, "x-echo", value);
    rpc_scall_set_trailer(call, "x-echo-trailer", value);
  }
  rpc_scall_send(call, req, len);
  rpc_scall_finish(call, RPC_CODE_OK, NULL);
}

static void prods_call(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud) {
  (void)req, (void)len, (void)ud;
  hold(call, 0);
}

static void detail_call(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud) {
  (void)req, (void)len, (void)ud;
  hold(call, 1);
}

static void stream_call(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud) {
  (void)len;
  if (req) fail("a request stream's on_call with a message");
  hold(call, ud ? 3 : 2);
}

static void stream_msg(rpc_scall_t *call, const uint8_t *msg, size_t len, void *ud) {
  (void)ud;
  held_t *h = rpc_scall_user(call);
  if (!h) fail("on_msg for a call no handler holds");
  if (h->half_closed) fail("on_msg after the half-close");
  if (!msg) {
    h->half_closed = 1;
    char m[32];
    snprintf(m, sizeof(m), "%d messages", h->msgs);
    finish(h, RPC_CODE_OK, m);
    return;
  }
  h->msgs++;
  if (h->kind == 2 && rpc_scall_send(call, msg, len) != RPC_OK) finish(h, RPC_CODE_INTERNAL, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  static int client_stream_tag;
  size_t n = 0;
  methods[n++] = rpc_method_unary("/api.ProdService/GetVendorProdTypes", types_call, NULL, NULL);
  methods[n++] =
      rpc_method_server_stream("/api.ProdService/GetVendorProds", prods_call, on_end, NULL);
  methods[n++] = rpc_method_unary("/api.StorageService/GetProdsDetail", detail_call, on_end, NULL);
  methods[n++] = rpc_method_bidi_stream("/grpc.testing.TestService/FullDuplexCall", stream_call,
                                        stream_msg, on_end, NULL);
  methods[n++] = rpc_method_client_stream("/grpc.testing.TestService/StreamingInputCall",
                                          stream_call, stream_msg, on_end, &client_stream_tag);
  size_t nh;
  rpc_health_methods(&health, methods + n, &nh);
  nmethods = n + nh;
  rpc_server_env_t env = {.now_ms = clock_fn, .wake = wake_fn};
  rpc_server_limits_t small = {0};
  small.max_streams = 4;
  small.max_recv_msg = 64;
  small.max_header_list = 512;
  small.request_timeout_ms = 20;
  cores[0] = rpc_server_core_new(methods, nmethods, NULL, &env);
  cores[1] = rpc_server_core_new(methods, nmethods, &small, &env);
  if (!cores[0] || !cores[1]) fail("rpc_server_core_new");
  return 0;
}

static void drain(rpc_sconn_t *c) {
  const uint8_t *out;
  for (int i = 0; i < 256 && rpc_sconn_send(c, &out) > 0; i++)
    ;
}

static const uint8_t ok_msg[] = {0x0a, 0x02, 'o', 'k'};

/* The queue went down to the mark: one more message. */
static void on_room(rpc_scall_t *call, void *arg) {
  (void)arg;
  held_t *h = rpc_scall_user(call);
  if (!h) fail("a room callback for a call no handler holds");
  rpc_scall_send(call, ok_msg, sizeof(ok_msg));
  h->sent++;
}

/* What the handlers do with the calls they hold, once a step. */
static void step_holds(int policy, int room) {
  held_t *next;
  for (held_t *h = holds; h; h = next) {
    next = h->next;
    if (h->kind == 1) { /* the delayed unary: always answered now */
      finish(h, RPC_CODE_INVALID_ARGUMENT, "Invalid Vendor: fuzz");
      continue;
    }
    if (h->kind != 0) continue; /* request streams end at their half-close */
    if (policy & 1) {
      rpc_scall_send(h->call, ok_msg, sizeof(ok_msg));
      h->sent++;
    }
    if ((policy & 2) || h->sent >= 3)
      finish(h, RPC_CODE_OK, NULL);
    else if (room)
      rpc_scall_when_room(h->call, h->sent & 1 ? 64 : 0, on_room, NULL);
  }
}

/* No held call's deadline may come after the tick the core asks for. */
static void check_due(const rpc_sconn_t *c) {
  uint64_t due = rpc_sconn_next_due(c);
  for (held_t *h = holds; h; h = h->next) {
    int64_t left = rpc_scall_remaining_ms(h->call);
    if (left > 0 && rpc_scall_conn(h->call) == c && due > now_ms + (uint64_t)left)
      fail("a deadline later than rpc_sconn_next_due");
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  uint8_t ctl = data[0], ctl2 = data[1];
  data += 2, size -= 2;
  now_ms = 1000;
  rpc_health_set(&health, "", RPC_HEALTH_SERVING);
  rpc_sconn_t *c = rpc_sconn_new(cores[(ctl >> 5) & 1], "fuzz:1", NULL);
  if (!c) fail("rpc_sconn_new");
  drain(c);
  size_t chunks = 1u + (ctl & 7u), piece = (size + chunks - 1) / chunks;
  uint64_t step = steps[(ctl >> 3) & 3];
  int lazy = ctl & 0x40, goaway = ctl & 0x80, policy = ctl2 & 3;
  int idle = ctl2 & 0x10, room = ctl2 & 0x20;
  for (size_t off = 0, k = 0; off < size; k++) {
    size_t n = size - off < piece ? size - off : piece;
    int r = rpc_sconn_recv(c, data + off, n);
    off += n;
    check_due(c);
    if (!lazy) drain(c);
    if (r != RPC_OK) break;
    if (k == 0 && goaway) rpc_sconn_goaway(c);
    now_ms += step;
    rpc_sconn_tick(c);
    step_holds(policy, room);
    rpc_health_set(&health, "", k & 1 ? RPC_HEALTH_NOT_SERVING : RPC_HEALTH_SERVING);
    check_due(c);
    if (!lazy) drain(c);
    if (idle && rpc_sconn_calls(c) == 0) rpc_sconn_idle(c);
  }
  if (ctl2 & 4) rpc_health_free(&health);
  if (ctl2 & 8) rpc_sconn_terminate(c);
  drain(c);
  (void)rpc_sconn_want_io(c);
  rpc_sconn_free(c);
  rpc_health_free(&health); /* no Watch of this connection is left */
  if (nheld || holds) fail("a held call was never ended");
  return 0;
}
