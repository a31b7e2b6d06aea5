/* test_pump.c - the board's pump over a fake transport and a clock moved by
 * hand, against an in-memory HTTP/2 server (nghttp2):
 *  - a response that arrives together with the deadline loses to it
 *    (DeadlineExceeded, not OK), as the article's slow stream needs;
 *  - a server that breaks HTTP/2 ends the calls at once, not at their
 *    deadlines (nghttp2 only sends GOAWAY and stops reading);
 *  - a failing transport is reported in the port's words and returns
 *    RPC_ERR_TRANSPORT, a server that breaks HTTP/2 returns RPC_ERR_PROTO:
 *    the two error spaces never mix (RPC_ERR_PROTO once reached
 *    port_strerror, where -4 reads "connection timed out");
 *  - a pump that waits for one call's message to be taken (rpc_pump_until)
 *    still reads what has arrived for the other calls before it returns. */
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "port.h"
#include "rpc_client.h"
#include "rpc_pump.h"
#include "tap.h"

/* --- the port: a clock and a transport the test drives ---------------- */

static uint32_t clock_ms;
static uint32_t arrive_at;      /* when the server's bytes reach the board */
static int send_fails, garbage; /* the transport's faults */
static nghttp2_session *server;
static uint8_t wire[4096]; /* the server's bytes, not yet delivered */
static size_t wire_len;

uint32_t port_time_ms(void) {
  return clock_ms;
}

const char *port_strerror(int err) {
  return err == PORT_ERR_IO ? "the fake line broke" : err == PORT_ERR_TIMEOUT ? "timed out" : "?";
}

static void server_out(void) {
  const uint8_t *p;
  ssize_t n;
  while ((n = nghttp2_session_mem_send(server, &p)) > 0 && wire_len + (size_t)n <= sizeof(wire)) {
    memcpy(wire + wire_len, p, (size_t)n);
    wire_len += (size_t)n;
  }
}

static int32_t fake_send(port_net_t *net, const uint8_t *buf, size_t len) {
  (void)net;
  if (send_fails) return PORT_ERR_IO;
  nghttp2_session_mem_recv(server, buf, len);
  server_out();
  return (int32_t)len;
}

/* Waits as a real line would: time passes while nothing comes. */
static int32_t fake_recv(port_net_t *net, uint8_t *buf, size_t len, uint32_t timeout_ms) {
  (void)net;
  if (garbage) {
    static const char junk[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
    memcpy(buf, junk, sizeof(junk) - 1);
    clock_ms++; /* however fast junk comes, time passes */
    return (int32_t)(sizeof(junk) - 1);
  }
  if (!wire_len || clock_ms + timeout_ms < arrive_at) {
    clock_ms += timeout_ms ? timeout_ms : 1;
    return 0;
  }
  if (clock_ms < arrive_at) clock_ms = arrive_at;
  size_t n = wire_len < len ? wire_len : len;
  memcpy(buf, wire, n);
  memmove(wire, wire + n, wire_len - n);
  wire_len -= n;
  return (int32_t)n;
}

/* --- the server: one message "hi" and status OK for every request ------ */

static ssize_t body(nghttp2_session *s, int32_t sid, uint8_t *buf, size_t len, uint32_t *flags,
                    nghttp2_data_source *src, void *ud) {
  (void)src, (void)ud, (void)len;
  static const uint8_t msg[] = {0, 0, 0, 0, 2, 'h', 'i'};
  memcpy(buf, msg, sizeof(msg));
  *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
  nghttp2_nv tr[] = {{(uint8_t *)"grpc-status", (uint8_t *)"0", 11, 1, 0}};
  nghttp2_submit_trailer(s, sid, tr, 1);
  return sizeof(msg);
}

static int on_frame(nghttp2_session *s, const nghttp2_frame *f, void *ud) {
  (void)ud;
  if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
      (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
    nghttp2_nv nv[] = {{(uint8_t *)":status", (uint8_t *)"200", 7, 3, 0},
                       {(uint8_t *)"content-type", (uint8_t *)"application/grpc", 12, 16, 0}};
    nghttp2_data_provider prd = {.read_callback = body};
    nghttp2_submit_response(s, f->hd.stream_id, nv, 2, &prd);
  }
  return 0;
}

/* --- one call through the pump ----------------------------------------- */

typedef struct {
  int msgs, closed, code;
  char message[RPC_CLIENT_MSG_LEN];
} seen_t;

static int on_message(rpc_call_t *call, const uint8_t *msg, size_t len) {
  seen_t *s = rpc_call_user(call);
  (void)msg, (void)len;
  s->msgs++;
  return 0;
}

static void on_close(rpc_call_t *call) {
  seen_t *s = rpc_call_user(call);
  s->closed++;
  s->code = rpc_call_code(call);
  snprintf(s->message, sizeof(s->message), "%s", rpc_call_message(call));
}

static void server_up(void) {
  nghttp2_session_callbacks *cbs;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame);
  nghttp2_session_server_new(&server, cbs, NULL);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_submit_settings(server, NGHTTP2_FLAG_NONE, NULL, 0);
  wire_len = 0;
  clock_ms = 1000;
}

/* Runs one call with a deadline of timeout_ms; returns rpc_pump_run's result. */
static int call_once(uint32_t timeout_ms, seen_t *seen) {
  server_up();

  static const rpc_call_cbs_t ccbs = {.on_message = on_message, .on_close = on_close};
  static uint8_t rx[64];
  rpc_client_t c;
  rpc_call_t call;
  rpc_client_cfg_t cfg = {.authority = "board"};
  port_transport_t t = {.send = fake_send, .recv = fake_recv};
  memset(seen, 0, sizeof(*seen));
  CHECK(rpc_client_init(&c, &cfg) == RPC_OK);
  rpc_call_init(&call, &ccbs, seen);
  rpc_deframer_init(rpc_call_deframer(&call), rx, sizeof(rx), sizeof(rx), NULL);
  CHECK(rpc_client_start(&c, &call, "/t.S/M", (const uint8_t *)"", 0, timeout_ms, clock_ms) ==
        RPC_OK);
  int r = rpc_pump_run(&c, NULL, &t);
  rpc_client_free(&c);
  nghttp2_session_del(server);
  return r;
}

static int taken(void *arg) {
  return !rpc_call_sending(arg);
}

/* A unary call A and a request stream B on one connection: the pump that
 * waits for B's message to be taken returns with A's answer read, though
 * nothing waited for it (a board that only sends still hears its other
 * calls). */
static void two_calls(void) {
  static const rpc_call_cbs_t ccbs = {.on_message = on_message, .on_close = on_close};
  static uint8_t rx_a[64], rx_b[64];
  static const uint8_t one[] = {'x'};
  rpc_client_t c;
  rpc_call_t a, b;
  seen_t sa, sb;
  rpc_client_cfg_t cfg = {.authority = "board"};
  port_transport_t t = {.send = fake_send, .recv = fake_recv};
  server_up();
  arrive_at = 0; /* the server's bytes are there as soon as it writes them */
  memset(&sa, 0, sizeof(sa));
  memset(&sb, 0, sizeof(sb));
  CHECK(rpc_client_init(&c, &cfg) == RPC_OK);
  rpc_call_init(&a, &ccbs, &sa);
  rpc_deframer_init(rpc_call_deframer(&a), rx_a, sizeof(rx_a), sizeof(rx_a), NULL);
  rpc_call_init(&b, &ccbs, &sb);
  rpc_deframer_init(rpc_call_deframer(&b), rx_b, sizeof(rx_b), sizeof(rx_b), NULL);
  CHECK(rpc_client_start(&c, &a, "/t.S/A", (const uint8_t *)"", 0, 0, clock_ms) == RPC_OK);
  CHECK(rpc_client_start_stream(&c, &b, "/t.S/B", 0, clock_ms) == RPC_OK);
  CHECK(rpc_client_send_msg(&c, &b, one, sizeof(one), 0) == RPC_OK);
  CHECK(rpc_call_sending(&b));
  CHECK(rpc_pump_until(&c, NULL, &t, taken, &b) == RPC_OK);
  CHECK(!rpc_call_sending(&b));
  CHECK(sa.msgs == 1 && sa.closed == 1 && sa.code == RPC_CODE_OK); /* read on the way out */
  CHECK(sb.closed == 0);
  CHECK(rpc_client_send_msg(&c, &b, one, sizeof(one), 0) == RPC_OK); /* the next one */
  CHECK(rpc_client_close_send(&c, &b) == RPC_OK);
  CHECK(rpc_client_send_msg(&c, &b, one, sizeof(one), 0) == RPC_ERR_ARG); /* half-closed */
  rpc_client_free(&c);
  CHECK(sb.closed == 1 && sb.code == RPC_CODE_CANCELLED);
  nghttp2_session_del(server);
}

int main(void) {
  seen_t s;

  two_calls();

  /* the answer comes well before the deadline: OK */
  arrive_at = 1000 + 40;
  CHECK(call_once(100, &s) == RPC_OK);
  CHECK(s.closed == 1 && s.msgs == 1 && s.code == RPC_CODE_OK);

  /* the answer and the deadline fall due together: the deadline wins */
  arrive_at = 1000 + 100;
  CHECK(call_once(100, &s) == RPC_OK);
  CHECK(s.closed == 1 && s.code == RPC_CODE_DEADLINE_EXCEEDED);
  CHECK(strcmp(s.message, RPC_MSG_DEADLINE) == 0);

  /* the line breaks: the port's words and code, Unavailable */
  send_fails = 1;
  CHECK(call_once(100, &s) == RPC_ERR_TRANSPORT);
  CHECK(s.closed == 1 && s.code == RPC_CODE_UNAVAILABLE);
  CHECK(strcmp(s.message, "the fake line broke") == 0);
  send_fails = 0;

  /* the server speaks HTTP/1.1: a protocol error of the core, in the core's
   * words, never read as a port code */
  garbage = 1;
  int r = call_once(100, &s);
  CHECK(r == RPC_ERR_PROTO);
  CHECK(s.closed == 1 && s.code == RPC_CODE_INTERNAL);
  CHECK(strcmp(s.message, "connection error: the server broke the HTTP/2 protocol") == 0);
  garbage = 0;

  CHECK(strcmp(rpc_strerror(RPC_ERR_PROTO), "protocol error") == 0);
  CHECK(strcmp(rpc_strerror(RPC_ERR_TRANSPORT), "transport failed") == 0);
  return tap_done("test_pump");
}
