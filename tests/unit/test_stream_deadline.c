/* test_stream_deadline.c - the article's "heavy processing on the API
 * server" case, run on a clock moved by hand: gateway --stream-delay-ms 1000,
 * getprods oracle compute (4 products) with the 4 s deadline. The last step
 * of the stream and the deadline fall due in the same loop turn at t = 4 s;
 * the deadline must win: 4 products, then DeadlineExceeded. It once ended
 * with OK, depending on which of the two timers the loop ran first.
 *
 * One process, real sockets on loopback, two loops stepped by hand: the
 * gateway's (with its storage, a stub answering at once) on the clock the
 * test moves, the client's on a clock that stays at 0, so that the client
 * never expires the call itself and what it reports is what the gateway
 * sent. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pb_decode.h>

#include "api.pb.h"
#include "gw_prod_service.h"
#include "rpc_channel.h"
#include "rpc_loop.h"
#include "rpc_server.h"
#include "tap.h"

static uint64_t gw_clock, client_clock;
static uint64_t read_clock(void *arg) {
  return *(uint64_t *)arg;
}

/* StorageService: oracle compute's 4 products, at once. */
static void storage_call(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud) {
  (void)req, (void)len, (void)ud;
  static const char *const prods[][2] = {
      {"Bare Metal Compute", "https://www.oracle.com/cloud/compute/bare-metal.html"},
      {"Container Engine for Kubernetes",
       "https://www.oracle.com/cloud/compute/container-engine-kubernetes.html"},
      {"Virtual Machines", "https://www.oracle.com/cloud/compute/virtual-machines.html"},
      {"Oracle Functions", "https://www.oracle.com/ro/cloud/cloud-native/functions/"}};
  uint8_t out[1024];
  size_t n = 0;
  for (size_t i = 0; i < 4; i++) { /* prodDetail = 1 { title = 1, url = 2 } */
    size_t tl = strlen(prods[i][0]), ul = strlen(prods[i][1]);
    out[n++] = 0x0a;
    out[n++] = (uint8_t)(2 + tl + 2 + ul);
    out[n++] = 0x0a;
    out[n++] = (uint8_t)tl;
    memcpy(out + n, prods[i][0], tl);
    n += tl;
    out[n++] = 0x12;
    out[n++] = (uint8_t)ul;
    memcpy(out + n, prods[i][1], ul);
    n += ul;
  }
  rpc_scall_send(call, out, n);
  rpc_scall_finish(call, RPC_CODE_OK, NULL);
}

typedef struct {
  int products, closed, code;
  char message[RPC_CLIENT_MSG_LEN];
} seen_t;

static int on_message(rpc_call_t *call, const uint8_t *msg, size_t len) {
  seen_t *s = rpc_call_user(call);
  api_ClientResponseProds r = api_ClientResponseProds_init_zero;
  pb_istream_t in = pb_istream_from_buffer(msg, len);
  if (!pb_decode(&in, api_ClientResponseProds_fields, &r)) return 1;
  s->products++;
  return 0;
}

static void on_close(rpc_call_t *call) {
  seen_t *s = rpc_call_user(call);
  s->closed = 1;
  s->code = rpc_call_code(call);
  snprintf(s->message, sizeof(s->message), "%s", rpc_call_message(call));
}

/* A port that was free a moment ago. */
static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t l = sizeof(a);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &l) != 0)
    return -1;
  close(fd);
  return ntohs(a.sin_port);
}

/* Turns both loops until done() holds or 400 turns of at most 5 ms each
 * (2 s of real time) have passed; the clocks do not move meanwhile. */
static int settle(rpc_loop_t *a, rpc_loop_t *b, int (*done)(const seen_t *), const seen_t *s) {
  for (int i = 0; i < 400; i++) {
    if (done(s)) return 1;
    rpc_loop_turn(a, 5);
    rpc_loop_turn(b, 0);
  }
  return done(s);
}

static void nothing(rpc_timer_t *t) {
  (void)t;
}

static int want;
static int got_products(const seen_t *s) {
  return s->products >= want || s->closed;
}
static int got_close(const seen_t *s) {
  return s->closed;
}

/* One run; dummies more timers, armed first, fall due with the last two, so
 * that the loop's heap holds the stream's step and the deadline in another
 * order from one run to the next: the rule must not depend on that order. */
static void run(int dummies) {
  rpc_loop_t *gl = rpc_loop_new(), *cl = rpc_loop_new();
  rpc_timer_t dummy[8];
  memset(dummy, 0, sizeof(dummy));
  gw_clock = client_clock = 0;
  CHECK(gl && cl);
  if (!gl || !cl) return;
  rpc_loop_set_clock(gl, read_clock, &gw_clock);
  rpc_loop_set_clock(cl, read_clock, &client_clock);

  char saddr[32], gaddr[32];
  snprintf(saddr, sizeof(saddr), "127.0.0.1:%d", free_port());
  snprintf(gaddr, sizeof(gaddr), "127.0.0.1:%d", free_port());
  rpc_method_t st_methods[] = {
      {.path = "/api.StorageService/GetProdsDetail", .on_call = storage_call}};
  rpc_server_t *st = rpc_server_new(gl, saddr, st_methods, 1, NULL);

  gw_service_t svc = {0};
  svc.loop = gl;
  svc.stream_delay_ms = 1000;
  gw_balancer_t storages;
  int lb_ok = gw_lb_init(&storages, gl, saddr) == 0; /* no Watch: the storage has no health */
  svc.storages = &storages;
  rpc_method_t gw_methods[2];
  size_t n;
  gw_service_methods(&svc, gw_methods, &n);
  rpc_server_t *gw = rpc_server_new(gl, gaddr, gw_methods, n, NULL);
  CHECK(st && gw && lb_ok);

  rpc_channel_t *ch = rpc_channel_new(cl, gaddr);
  static const uint8_t req[] = {0x0a, 6,   'o', 'r', 'a', 'c', 'l', 'e', 0x12,
                                7,    'c', 'o', 'm', 'p', 'u', 't', 'e'};
  static const rpc_call_cbs_t cbs = {.on_message = on_message, .on_close = on_close};
  seen_t seen = {0};
  rpc_call_t call;
  uint8_t rx[1024];
  rpc_call_init(&call, &cbs, &seen);
  rpc_deframer_init(rpc_call_deframer(&call), rx, sizeof(rx), sizeof(rx), NULL);
  for (int d = 0; d < dummies; d++) {
    dummy[d].fn = nothing;
    rpc_timer_start(gl, &dummy[d], 4000);
  }
  CHECK(rpc_channel_start(ch, &call, "/api.ProdService/GetVendorProds", req, sizeof(req), 4000) ==
        RPC_OK);

  /* t = 0: the first product at once, then one a second */
  for (int k = 1; k <= 4; k++) {
    want = k;
    CHECK(settle(gl, cl, got_products, &seen));
    CHECK(seen.products == k && !seen.closed);
    if (k < 4) gw_clock += 1000;
  }
  /* t = 4 s: the stream's next step (its end) and the deadline, one turn */
  gw_clock += 1000;
  CHECK(settle(gl, cl, got_close, &seen));
  CHECK(seen.products == 4);
  CHECK(seen.code == RPC_CODE_DEADLINE_EXCEEDED);
  CHECK(strcmp(seen.message, RPC_MSG_DEADLINE) == 0);
  if (seen.code != RPC_CODE_DEADLINE_EXCEEDED)
    fprintf(stderr, "with %d more timers the call ended with %s \"%s\"\n", dummies,
            rpc_code_name(seen.code), seen.message);

  rpc_channel_free(ch);
  rpc_server_free(gw);
  gw_lb_free(&storages);
  gw_service_free(&svc);
  rpc_server_free(st);
  for (int i = 0; i < 10; i++) { /* closed connections are freed a turn later */
    rpc_loop_turn(gl, 0);
    rpc_loop_turn(cl, 0);
  }
  rpc_loop_free(cl);
  rpc_loop_free(gl);
}

int main(void) {
  for (int dummies = 0; dummies < 8; dummies++)
    run(dummies);
  return tap_done("test_stream_deadline");
}
