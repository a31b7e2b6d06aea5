/* test_link.c - the link's decisions on a clock moved by hand (rpc_link.h):
 * gRPC's backoff sequence and its jitter's bounds, fail-fast against
 * wait-for-ready in TRANSIENT_FAILURE, the connect timeout, keepalive's
 * PING and its timeout, a PING asked for at once, too_many_pings doubling the interval, and which
 * calls may be sent again. */
#include <string.h>

#include "rpc_link.h"
#include "tap.h"

static rpc_client_t client;

static void backoff_sequence(void) {
  rpc_link_cfg_t cfg = {0};
  cfg.backoff_jitter_pct = RPC_LINK_NO_JITTER;
  rpc_link_t l;
  rpc_link_init(&l, &cfg);
  uint32_t wait, now = 5000;
  CHECK(l.state == RPC_LINK_IDLE);
  CHECK(rpc_link_want(&l, now, 0, &wait) == RPC_LINK_CONNECT);
  CHECK(rpc_link_connecting(&l, now) == 20000); /* min connect timeout */
  CHECK(l.state == RPC_LINK_CONNECTING);
  /* 1 s, 1.6 s, 2.56 s, ... up to 120 s */
  uint32_t want[] = {1000,  1600,  2560,  4096,   6553,   10484, 16774,
                     26838, 42940, 68704, 109926, 120000, 120000};
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    rpc_link_connecting(&l, now);
    rpc_link_failed(&l, now);
    CHECK(l.state == RPC_LINK_TRANSIENT_FAILURE);
    CHECK(l.retry_at_ms - now == want[i]);
    CHECK(rpc_link_want(&l, now + 1, 0, &wait) == RPC_LINK_FAIL); /* fail fast */
    CHECK(rpc_link_want(&l, now + 1, 1, &wait) == RPC_LINK_WAIT && wait == want[i] - 1);
    now += want[i];
    CHECK(rpc_link_want(&l, now, 0, &wait) == RPC_LINK_CONNECT); /* the backoff is over */
    CHECK(l.state == RPC_LINK_IDLE);
  }
  /* the attempt's timeout: the backoff once it passes the 20 s minimum */
  CHECK(rpc_link_connecting(&l, now) == 120000);
  rpc_link_up(&l, &client, now);
  CHECK(l.state == RPC_LINK_READY && l.stats.connects == 1);
  CHECK(rpc_link_want(&l, now, 0, &wait) == RPC_LINK_GO);
  rpc_link_failed(&l, now); /* the next failure starts over at 1 s */
  CHECK(l.retry_at_ms - now == 1000);
  rpc_link_down(&l);
  rpc_link_shutdown(&l);
  CHECK(rpc_link_want(&l, now + 5000, 1, &wait) == RPC_LINK_FAIL);
  CHECK(strcmp(rpc_link_state_name(l.state), "SHUTDOWN") == 0);
  CHECK(strcmp(rpc_link_state_name(RPC_LINK_TRANSIENT_FAILURE), "TRANSIENT_FAILURE") == 0);
}

static void jitter_bounds(void) {
  uint32_t lo = UINT32_MAX, hi = 0;
  for (uint32_t seed = 1; seed <= 2000; seed++) {
    rpc_link_cfg_t cfg = {0};
    cfg.seed = seed * 2654435761u;
    rpc_link_t l;
    rpc_link_init(&l, &cfg);
    rpc_link_failed(&l, 0);
    if (l.retry_at_ms < lo) lo = l.retry_at_ms;
    if (l.retry_at_ms > hi) hi = l.retry_at_ms;
  }
  CHECK(lo >= 800 && hi <= 1200); /* +-20 % */
  CHECK(lo < 850 && hi > 1150);   /* and spread over it */
}

/* keepalive every ms, a 500 ms timeout, with no call open too */
static rpc_link_cfg_t ka_cfg(uint32_t ms) {
  rpc_link_cfg_t cfg = {0};
  cfg.keepalive_ms = ms;
  cfg.keepalive_timeout_ms = 500;
  cfg.keepalive_without_calls = 1;
  return cfg;
}

static void keepalive(void) {
  rpc_link_cfg_t cfg = ka_cfg(1000);
  rpc_link_t l;
  rpc_link_init(&l, &cfg);
  rpc_link_up(&l, &client, 0);
  uint32_t next;
  CHECK(rpc_link_service(&l, &client, 0, &next) == RPC_OK && next == 1000 && l.stats.pings == 0);
  CHECK(rpc_link_service(&l, &client, 999, &next) == RPC_OK && next == 1 && l.stats.pings == 0);
  CHECK(rpc_link_service(&l, &client, 1000, &next) == RPC_OK && l.stats.pings == 1 && next == 500);
  CHECK(rpc_client_busy(&client)); /* the PING waits to be written */
  CHECK(rpc_link_service(&l, &client, 1499, &next) == RPC_OK && next == 1);
  client.frames_in++; /* the ACK */
  CHECK(rpc_link_service(&l, &client, 1200, &next) == RPC_OK && next == 1000 && !l.ping_out);
  CHECK(rpc_link_service(&l, &client, 2200, &next) == RPC_OK && l.stats.pings == 2);
  CHECK(rpc_link_service(&l, &client, 2700, &next) == RPC_ERR_TIMEOUT); /* no answer: dead */
  /* too_many_pings: half as often from then on, once per GOAWAY */
  rpc_link_up(&l, &client, 3000);
  client.too_many_pings = 1;
  CHECK(rpc_link_service(&l, &client, 3000, &next) == RPC_OK && l.keepalive_ms == 2000);
  CHECK(rpc_link_service(&l, &client, 3001, &next) == RPC_OK && l.keepalive_ms == 2000);
  client.too_many_pings = 0;
  /* without keepalive_without_calls, an idle connection is not pinged */
  cfg.keepalive_without_calls = 0;
  rpc_link_init(&l, &cfg);
  rpc_link_up(&l, &client, 0);
  CHECK(rpc_link_service(&l, &client, 5000, &next) == RPC_OK && l.stats.pings == 0);
}

/* rpc_link_ping_now: a PING at once, whatever the interval says; its
 * answer restarts the interval, its silence ends the connection; one at a
 * time; forgotten with the connection */
static void ping_now(void) {
  rpc_link_cfg_t cfg = ka_cfg(10000);
  rpc_link_t l;
  rpc_link_init(&l, &cfg);
  rpc_link_up(&l, &client, 0);
  uint32_t next;
  CHECK(rpc_link_service(&l, &client, 100, &next) == RPC_OK && l.stats.pings == 0);
  rpc_link_ping_now(&l);
  CHECK(rpc_link_service(&l, &client, 200, &next) == RPC_OK && l.stats.pings == 1 && next == 500);
  rpc_link_ping_now(&l); /* one is out: nothing more */
  CHECK(rpc_link_service(&l, &client, 300, &next) == RPC_OK && l.stats.pings == 1 && next == 400);
  client.frames_in++; /* the ACK */
  CHECK(rpc_link_service(&l, &client, 400, &next) == RPC_OK && !l.ping_out && next == 10000);
  CHECK(rpc_link_service(&l, &client, 10399, &next) == RPC_OK && l.stats.pings == 1);
  CHECK(rpc_link_service(&l, &client, 10400, &next) == RPC_OK && l.stats.pings == 2);
  /* keepalive off: the asked-for PING is still timed */
  cfg.keepalive_ms = 0;
  rpc_link_init(&l, &cfg);
  rpc_link_up(&l, &client, 0);
  CHECK(rpc_link_service(&l, &client, 0, &next) == RPC_OK && next == UINT32_MAX);
  rpc_link_ping_now(&l);
  CHECK(rpc_link_service(&l, &client, 10, &next) == RPC_OK && l.stats.pings == 1 && next == 500);
  CHECK(rpc_link_service(&l, &client, 510, &next) == RPC_ERR_TIMEOUT);
  /* asked for, then the connection went: nothing on the next one */
  rpc_link_up(&l, &client, 600);
  rpc_link_ping_now(&l);
  rpc_link_down(&l);
  rpc_link_up(&l, &client, 700);
  CHECK(rpc_link_service(&l, &client, 800, &next) == RPC_OK && l.stats.pings == 1);
}

static void retry(void) {
  rpc_link_t l;
  rpc_link_init(&l, NULL);
  rpc_call_t call;
  rpc_call_init(&call, NULL, NULL);
  uint32_t t;
  CHECK(!rpc_link_may_retry(&l, &call, 0, &t)); /* it was processed: never again */
  call.refused = 1;
  call.has_deadline = 1;
  call.deadline_ms = 1000;
  CHECK(rpc_link_may_retry(&l, &call, 400, &t) && t == 600 && call.retried);
  CHECK(!rpc_link_may_retry(&l, &call, 400, &t)); /* once */
  call.retried = 0;
  CHECK(!rpc_link_may_retry(&l, &call, 1000, &t)); /* no time left */
  CHECK(l.stats.retries == 1);
}

int main(void) {
  rpc_client_cfg_t cfg = {0};
  CHECK(rpc_client_init(&client, &cfg) == RPC_OK);
  backoff_sequence();
  jitter_bounds();
  keepalive();
  ping_now();
  retry();
  rpc_client_free(&client);
  return tap_done("test_link");
}
