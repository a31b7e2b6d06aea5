/* fc_channel.c - one connection for many calls, over the port's one
 * transport: dialled on demand, TLS resumed when it can be, kept alive
 * between calls, dropped and dialled again as the link (rpc_link.h) says. */
#include "rpc_opt.h" /* first: the build's tunables */

#include <stdio.h>
#include <string.h>

#include "fc_arena.h"
#include "fc_channel.h"
#include "fc_tls.h"
#include "rpc_pump.h"

#define FC_HOST_LEN 128u /* a DNS name, or an IPv6 address without its brackets */

/* Copies a text, cut to cap (snprintf of a fixed text would become
 * strcpy, which the layering allows no board to call). */
static void copy_text(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

void fc_status_set(fc_status_t *st, int code, const char *msg) {
  st->code = code;
  copy_text(st->message, sizeof(st->message), msg);
}

static void set_why(fc_channel_t *ch, const char *msg) {
  copy_text(ch->why, sizeof(ch->why), msg);
}

void fc_channel_init(fc_channel_t *ch, const fc_cfg_t *cfg) {
  memset(ch, 0, sizeof(*ch));
  ch->cfg = *cfg;
  rpc_link_init(&ch->link, &cfg->link);
  /* the credentials are read at start, not in the first call's deadline; a
   * failure here is the first dial's to report */
  if (cfg->tls) fc_tls_prepare(cfg->tls, ch->why, sizeof(ch->why));
}

static void hang_up(fc_channel_t *ch) {
  if (!ch->open) return;
  rpc_client_free(&ch->client);
  if (ch->cfg.tls) fc_tls_close(&ch->t);
  port_net_close(&ch->t);
  ch->open = 0;
  rpc_link_down(&ch->link);
}

void fc_channel_free(fc_channel_t *ch) {
  hang_up(ch);
  if (ch->cfg.tls) fc_tls_unload();
  rpc_link_shutdown(&ch->link);
}

int fc_channel_state(const fc_channel_t *ch) {
  return ch->link.state;
}

const rpc_link_stats_t *fc_channel_stats(const fc_channel_t *ch) {
  return &ch->link.stats;
}

/* An attempt failed with the reason in ch->why: backoff begins. */
static int attempt_failed(fc_channel_t *ch) {
  rpc_link_failed(&ch->link, port_time_ms());
  return -1;
}

/* Opens the transport, TLS and the HTTP/2 session within left ms (0: no
 * deadline). Returns 0; -1 (the attempt failed: ch->why says why); or -2
 * when the arena cannot hold the session (no later attempt can do better). */
static int dial(fc_channel_t *ch, uint32_t left) {
  const char *addr = ch->cfg.addr ? ch->cfg.addr : "";
  char host[FC_HOST_LEN];
  uint16_t port;
  uint32_t start = port_time_ms();
  if (rpc_addr_split(addr, host, sizeof(host), &port) != RPC_OK) {
    RPC_ERRF(ch->why, sizeof(ch->why), "connection error: bad address \"%s\"", addr);
    return attempt_failed(ch);
  }
  uint32_t budget = rpc_link_connecting(&ch->link, start);
  if (left && left < budget) budget = left;
  int r = port_net_open(&ch->t, host, port, budget);
  if (r != PORT_OK) {
    RPC_ERRF(ch->why, sizeof(ch->why), "connection error: dial tcp %s: %s", addr, port_strerror(r));
    return attempt_failed(ch);
  }
  if (ch->cfg.tls) {
    char why[FC_STATUS_MSG_LEN - 40];
    uint32_t spent = port_time_ms() - start;
    r = fc_tls_open(&ch->t, ch->cfg.tls, left ? (left > spent ? left - spent : 1u) : 0, why,
                    sizeof(why));
    if (r == FC_TLS_RETRY_FULL) { /* the ticket alone was refused: once more, in full */
      port_net_close(&ch->t);
      spent = port_time_ms() - start;
      if (port_net_open(&ch->t, host, port, budget) == PORT_OK)
        r = fc_tls_open(&ch->t, ch->cfg.tls, left ? (left > spent ? left - spent : 1u) : 0, why,
                        sizeof(why));
      else
        copy_text(why, sizeof(why), RPC_ERRSTR("the server closed the connection"));
    }
    if (r != 0) {
      RPC_ERRF(ch->why, sizeof(ch->why), "connection error: %s", why);
      port_net_close(&ch->t);
      return attempt_failed(ch);
    }
    if (fc_tls_resumed())
      ch->link.stats.resumed++;
    else
      ch->link.stats.handshakes++;
  }
  rpc_client_cfg_t ccfg = {0};
  ccfg.authority = ch->cfg.addr ? ch->cfg.addr : "localhost";
  ccfg.tls = ch->cfg.tls != NULL;
  ccfg.mem = fc_arena_mem();
  ccfg.header_table_size = FC_HEADER_TABLE_SIZE;
  ccfg.initial_window_size = FC_WINDOW_SIZE;
  ccfg.user_agent = ch->cfg.user_agent;
  if (rpc_client_init(&ch->client, &ccfg) != RPC_OK) {
    if (ch->cfg.tls) fc_tls_close(&ch->t);
    port_net_close(&ch->t);
    set_why(ch, RPC_ERRSTR("the arena is too small for the HTTP/2 session"));
    attempt_failed(ch);
    return -2;
  }
  ch->open = 1;
  rpc_link_up(&ch->link, &ch->client, port_time_ms());
  return 0;
}

void fc_channel_idle(fc_channel_t *ch, uint32_t ms) {
  uint32_t end = port_time_ms() + ms;
  if (ch->open) {
    int r = rpc_pump_idle(&ch->client, &ch->link, &ch->t, ms);
    /* lost, or told to go (GOAWAY): the next call dials a new one; calls
     * still open on a connection told to go finish on it (a server's drain
     * waits for them) */
    if (r != RPC_OK || (!rpc_link_usable(&ch->client) && !ch->client.calls)) hang_up(ch);
  }
  int32_t left = (int32_t)(end - port_time_ms());
  if (left > 0) port_sleep_ms((uint32_t)left);
}

int fc_channel_ready(fc_channel_t *ch, uint32_t start_ms, uint32_t timeout_ms, int wait_for_ready,
                     fc_status_t *st) {
  for (;;) {
    /* the deadline counts from the call's start, connection included */
    uint32_t now = port_time_ms(), spent = now - start_ms, left = 0, wait;
    if (timeout_ms) {
      if (spent >= timeout_ms) {
        fc_status_set(st, RPC_CODE_DEADLINE_EXCEEDED, RPC_MSG_DEADLINE);
        return st->code;
      }
      left = timeout_ms - spent;
    }
    if (ch->open && !rpc_link_usable(&ch->client)) {
      /* told to go (GOAWAY): calls still on it finish first, for the port
       * has one transport; then a new connection */
      if (ch->client.calls && rpc_pump_run(&ch->client, &ch->link, &ch->t) != RPC_OK) hang_up(ch);
      hang_up(ch);
    }
    switch (rpc_link_want(&ch->link, now, wait_for_ready, &wait)) {
    case RPC_LINK_FAIL:
      fc_status_set(st, RPC_CODE_UNAVAILABLE,
                    ch->why[0] ? ch->why : RPC_ERRSTR("the channel is shut down"));
      return st->code;
    case RPC_LINK_WAIT:
      port_sleep_ms(timeout_ms && wait > left ? left : (wait ? wait : 1u));
      continue;
    case RPC_LINK_CONNECT:
      if (dial(ch, left) == -2) {
        fc_status_set(st, RPC_CODE_RESOURCE_EXHAUSTED, ch->why);
        return st->code;
      }
      continue; /* READY now, or TRANSIENT_FAILURE: the link says what next */
    default:
      return 0;
    }
  }
}

int fc_channel_pump(fc_channel_t *ch, rpc_pump_done_fn done, void *arg) {
  if (!ch->open) return -1;
  if (rpc_pump_until(&ch->client, &ch->link, &ch->t, done, arg) == RPC_OK) return 0;
  hang_up(ch); /* lost: its calls hold why */
  return -1;
}
