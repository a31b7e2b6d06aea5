/* channel.c - the host's client connection: non-blocking connect, bytes
 * between the socket and the rpc client core, a timer for the core's
 * deadlines and the link's keepalive, reconnection on demand. When to dial,
 * how long to back off after a failed attempt, when to ping and which call
 * to send again are the link's (rpc_link.h), the same code as the board's
 * channel.
 *
 * A channel has at most two connections: the current one, which takes new
 * calls, and one retiring after the server's GOAWAY, which finishes the calls
 * it already had and closes. Calls the server refused unprocessed (streams
 * above the GOAWAY's last id) are sent again, once, on a fresh connection. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rpc_channel.h"
#include "rpc_link.h"
#include "rpc_log.h"
#include "sock.h"

enum { CH_CONNECTING = 1, CH_UP };

typedef struct ch_conn {
  rpc_channel_t *ch;
  int state;
  rpc_io_t io;
  rpc_sock_t sock;
  rpc_client_t core;
  int epollout;
  int failing; /* its calls are being failed: start nothing on it */
  int dead;    /* closed; freed at the end of the loop turn */
  int counted; /* its TLS handshake is in the channel's stats */
  struct ch_conn *zombie;
} ch_conn_t;

struct rpc_channel {
  rpc_loop_t *loop;
  char addr[128];
  char server_name[128];
  rpc_tls_cfg_t *tls; /* NULL: plaintext h2c */
  ch_conn_t *cur;     /* takes new calls; NULL until the next call dials */
  ch_conn_t *old;     /* retiring after GOAWAY; NULL if none */
  rpc_timer_t tick;
  rpc_defer_t flush;
  int closing;        /* being freed: start nothing */
  ch_conn_t *zombies; /* closed connections an epoll batch may still name */
  rpc_link_t link;    /* the current connection's life: states, backoff, keepalive */
  char why[200];      /* the last failed attempt's reason, for fail-fast calls */
  char source[64];    /* local address to dial from; "" for the kernel's choice */
  int no_retry;       /* refused calls close for the caller to send elsewhere */
  int calls_dial;     /* a call dials even while the backoff runs */
};

/* The storage hop is near (one site) and a refused connect costs little:
 * its backoff starts at 10 ms and stops growing at 1 s, so a storage that
 * comes back is used within moments, where gRPC's defaults (1 s to 120 s)
 * suit a device far away. */
static const rpc_link_cfg_t storage_link = {
    .backoff_initial_ms = 10,
    .backoff_max_ms = 1000,
};

static void conn_down(ch_conn_t *k, const char *why);

static void schedule(rpc_channel_t *ch) {
  rpc_loop_defer(ch->loop, &ch->flush);
}

/* One timer for both connections' deadlines. */
static void arm_tick(rpc_channel_t *ch) {
  uint32_t now = (uint32_t)rpc_loop_now(ch->loop), next = UINT32_MAX;
  ch_conn_t *ks[2] = {ch->cur, ch->old};
  for (int i = 0; i < 2; i++) {
    if (!ks[i]) continue;
    uint32_t n = rpc_client_tick(&ks[i]->core, now);
    if (n < next) next = n;
  }
  ch_conn_t *k = ch->cur;
  if (k && k->state == CH_UP && k->sock.handshaken) {
    uint32_t ka, pings = ch->link.stats.pings;
    if (rpc_link_service(&ch->link, &k->core, now, &ka) == RPC_ERR_TIMEOUT) {
      conn_down(k, "keepalive ping not answered");
      return;
    }
    if (ka < next) next = ka;
    if (ch->link.stats.pings != pings) schedule(ch); /* a PING to write */
  }
  if (next == UINT32_MAX)
    rpc_timer_stop(ch->loop, &ch->tick);
  else
    rpc_timer_start(ch->loop, &ch->tick, next);
}

static long pull_frames(void *arg, const uint8_t **out) {
  ch_conn_t *k = arg;
  return rpc_client_send(&k->core, out);
}

static void conn_watch(ch_conn_t *k) {
  int pending = k->state == CH_CONNECTING || rpc_sock_pending(&k->sock);
  if (pending != k->epollout) {
    k->epollout = pending;
    rpc_loop_mod(k->ch->loop, &k->io, EPOLLIN | EPOLLRDHUP | (pending ? EPOLLOUT : 0));
  }
}

static void conn_free(ch_conn_t *k) {
  rpc_channel_t *ch = k->ch;
  if (ch->cur == k) ch->cur = NULL;
  if (ch->old == k) ch->old = NULL;
  rpc_loop_del(ch->loop, &k->io);
  rpc_sock_close(&k->sock);
  rpc_client_free(&k->core);
  /* freed at the end of the loop turn: an event of this turn may name it */
  k->dead = 1;
  k->zombie = ch->zombies;
  ch->zombies = k;
  schedule(ch);
}

static void free_zombies(rpc_channel_t *ch) {
  while (ch->zombies) {
    ch_conn_t *z = ch->zombies;
    ch->zombies = z->zombie;
    free(z);
  }
}

/* Writes what the core has; a retired connection whose calls are all over
 * is closed. Returns 0 while k lives. */
static int conn_flush(ch_conn_t *k) {
  if (k->state != CH_UP) return 0;
  if (rpc_sock_flush(&k->sock, pull_frames, k) != 0) {
    conn_down(k, rpc_sock_error(&k->sock));
    return -1;
  }
  conn_watch(k);
  if (k == k->ch->old && !k->core.calls && !rpc_sock_pending(&k->sock)) {
    conn_free(k);
    return -1;
  }
  return 0;
}

static void on_flush(rpc_defer_t *d) {
  rpc_channel_t *ch = d->arg;
  free_zombies(ch);
  if (ch->cur) conn_flush(ch->cur);
  if (ch->old) conn_flush(ch->old);
  arm_tick(ch);
}

/* The connection is gone: fail its calls with Unavailable and forget it. The
 * next call dials again. */
static void conn_down(ch_conn_t *k, const char *why) {
  rpc_channel_t *ch = k->ch;
  char m[200];
  snprintf(m, sizeof(m), "connection error: desc = \"transport: %s (%s)\"", why, ch->addr);
  if (ch->cur == k) { /* new calls dial afresh, after a backoff if it never came up */
    ch->cur = NULL;
    if (ch->link.state == RPC_LINK_CONNECTING) {
      rpc_link_failed(&ch->link, (uint32_t)rpc_loop_now(ch->loop));
      snprintf(ch->why, sizeof(ch->why), "%s", m);
    } else
      rpc_link_down(&ch->link);
  }
  /* a connection that never came up sent nothing: its calls were never
   * processed, and a caller with another server may send them there */
  if (k->state == CH_CONNECTING || !k->sock.handshaken)
    for (rpc_call_t *c = k->core.calls; c; c = c->next)
      c->refused = 1;
  /* on_close handlers run now; a call they start goes to a new connection */
  k->failing = 1;
  rpc_client_fail(&k->core, RPC_CODE_UNAVAILABLE, m);
  if (ch->old == k) ch->old = NULL;
  conn_free(k);
  schedule(ch);
}

/* GOAWAY: this connection takes no new call; it finishes what it has. */
static void conn_retire(ch_conn_t *k) {
  rpc_channel_t *ch = k->ch;
  if (ch->cur != k) return;
  if (ch->old) conn_down(ch->old, "replaced while retiring");
  ch->cur = NULL;
  ch->old = k;
  rpc_link_down(&ch->link);
}

static int start_on(rpc_channel_t *ch, rpc_call_t *call, const char *path, const uint8_t *req,
                    size_t len, uint32_t timeout_ms);

/* The client core offers a call the server refused unprocessed. */
static int retry_refused(void *arg, rpc_client_t *c, rpc_call_t *call) {
  ch_conn_t *k = arg;
  rpc_channel_t *ch = k->ch;
  (void)c;
  if (k->core.goaway) conn_retire(k);
  if (ch->no_retry || k->failing) return -1; /* a failed connect: this server's backoff runs */
  uint32_t timeout;
  if (!rpc_link_may_retry(&ch->link, call, (uint32_t)rpc_loop_now(ch->loop), &timeout)) return -1;
  return start_on(ch, call, call->path, call->req, call->req_len, timeout) == RPC_OK ? 0 : -1;
}

static void on_io(rpc_io_t *io, uint32_t ev) {
  ch_conn_t *k = io->arg;
  if (k->dead) return;
  rpc_channel_t *ch = k->ch;
  if (k->state == CH_CONNECTING) {
    int err = 0;
    socklen_t el = sizeof(err);
    getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err || (ev & (EPOLLERR | EPOLLHUP))) {
      conn_down(k, err ? strerror(err) : "connection failed");
      return;
    }
    k->state = CH_UP;
  }
  if (!k->sock.handshaken) {
    int r = rpc_sock_handshake(&k->sock);
    if (r == RPC_SOCK_AGAIN) {
      conn_watch(k);
      return;
    }
    if (r < 0) {
      char m[240];
      snprintf(m, sizeof(m), "authentication handshake failed: %s", rpc_sock_error(&k->sock));
      rpc_log_at(RPC_LOG_WARN, "tls handshake with %s failed: %s", ch->addr,
                 rpc_sock_error(&k->sock));
      conn_down(k, m);
      return;
    }
  }
  if (k->sock.tls && !k->counted) { /* the handshake just finished */
    k->counted = 1;
    if (rpc_tls_resumed(k->sock.tls))
      ch->link.stats.resumed++;
    else
      ch->link.stats.handshakes++;
  }
  if (k == ch->cur && ch->link.state == RPC_LINK_CONNECTING)
    rpc_link_up(&ch->link, &k->core, (uint32_t)rpc_loop_now(ch->loop));
  if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    uint8_t buf[16384];
    /* a deadline that passed before these bytes were read wins over them;
     * only then is the calls' list walked (the tick timer says when) */
    if (ch->tick.slot && ch->tick.at <= rpc_loop_now(ch->loop))
      rpc_client_tick(&k->core, (uint32_t)rpc_loop_now(ch->loop));
    for (;;) {
      ssize_t n = rpc_sock_read(&k->sock, buf, sizeof(buf));
      if (n > 0) {
        if (rpc_client_recv(&k->core, buf, (size_t)n) != RPC_OK) {
          conn_down(k, "protocol error");
          return;
        }
        if (k->core.goaway) conn_retire(k);
        if (!k->sock.tls && (size_t)n < sizeof(buf)) break;
        continue;
      }
      if (n == RPC_SOCK_AGAIN) break;
      conn_down(k, n == 0 ? "connection closed" : rpc_sock_error(&k->sock));
      return;
    }
  }
  if (conn_flush(k) == 0) arm_tick(ch);
}

static void on_tick(rpc_timer_t *t) {
  rpc_channel_t *ch = t->arg;
  arm_tick(ch); /* cancels expired calls */
  schedule(ch); /* their RST_STREAMs */
}

rpc_channel_t *rpc_channel_new(rpc_loop_t *loop, const char *addr) {
  rpc_channel_t *ch = calloc(1, sizeof(*ch));
  if (!ch) return NULL;
  ch->loop = loop;
  snprintf(ch->addr, sizeof(ch->addr), "%s", addr);
  ch->tick.fn = on_tick;
  ch->tick.arg = ch;
  ch->flush.fn = on_flush;
  ch->flush.arg = ch;
  rpc_link_cfg_t cfg = storage_link;
  cfg.seed = (uint32_t)rpc_loop_now(loop) ^ (uint32_t)(uintptr_t)ch;
  rpc_link_init(&ch->link, &cfg);
  return ch;
}

void rpc_channel_free(rpc_channel_t *ch) {
  if (!ch) return;
  ch->closing = 1;
  rpc_link_shutdown(&ch->link);
  if (ch->cur) conn_down(ch->cur, "channel closed");
  if (ch->old) conn_down(ch->old, "channel closed");
  rpc_timer_stop(ch->loop, &ch->tick);
  rpc_loop_undefer(ch->loop, &ch->flush);
  free_zombies(ch);
  free(ch);
}

void rpc_channel_set_tls(rpc_channel_t *ch, rpc_tls_cfg_t *cfg, const char *server_name) {
  ch->tls = cfg;
  snprintf(ch->server_name, sizeof(ch->server_name), "%s", server_name);
}

/* Binds fd to the channel's source address, if it has one. The port stays
 * the kernel's to pick at connect (IP_BIND_ADDRESS_NO_PORT), per 4-tuple:
 * many source addresses then reach one server past one address's range of
 * ephemeral ports. */
static int bind_source(const rpc_channel_t *ch, int fd, int family) {
  if (!ch->source[0]) return 0;
  struct sockaddr_storage ss = {0};
  socklen_t len;
  if (family == AF_INET) {
    struct sockaddr_in *a = (void *)&ss;
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, ch->source, &a->sin_addr) != 1) return -1;
    len = sizeof(*a);
  } else {
    struct sockaddr_in6 *a = (void *)&ss;
    a->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, ch->source, &a->sin6_addr) != 1) return -1;
    len = sizeof(*a);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
  return bind(fd, (struct sockaddr *)&ss, len);
}

/* Opens a new current connection (the TCP connect completes in the loop). */
static int dial(rpc_channel_t *ch) {
  char host[128], service[8];
  uint16_t port;
  if (rpc_addr_split(ch->addr, host, sizeof(host), &port) != RPC_OK || !host[0]) return RPC_ERR_ARG;
  snprintf(service, sizeof(service), "%u", (unsigned)port);
  struct addrinfo hints = {0}, *res;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  if (getaddrinfo(host, service, &hints, &res) != 0) return RPC_ERR_ARG;
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int rc = fd < 0 || bind_source(ch, fd, res->ai_family) != 0
               ? -1
               : connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (fd < 0 || (rc != 0 && errno != EINPROGRESS)) {
    if (fd >= 0) close(fd);
    return RPC_ERR_TRANSPORT;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  ch_conn_t *k = calloc(1, sizeof(*k));
  rpc_tls_t *tls = NULL;
  if (!k || (ch->tls && !(tls = rpc_tls_new(ch->tls, fd, ch->server_name)))) {
    free(k);
    close(fd);
    return RPC_ERR_NOMEM;
  }
  rpc_sock_init(&k->sock, fd, tls);
  rpc_client_cfg_t cfg = {0};
  cfg.authority = ch->addr;
  cfg.tls = tls != NULL;
  cfg.initial_window_size = 1u << 20;
  if (rpc_client_init(&k->core, &cfg) != RPC_OK) {
    rpc_sock_close(&k->sock);
    free(k);
    return RPC_ERR_NOMEM;
  }
  k->core.retry = retry_refused;
  k->core.retry_arg = k;
  k->ch = ch;
  k->io.fd = fd;
  k->io.fn = on_io;
  k->io.arg = k;
  k->state = CH_CONNECTING;
  k->epollout = 1;
  if (rpc_loop_add(ch->loop, &k->io, EPOLLIN | EPOLLOUT | EPOLLRDHUP) != 0) {
    rpc_client_free(&k->core);
    rpc_sock_close(&k->sock);
    free(k);
    return RPC_ERR_TRANSPORT;
  }
  ch->cur = k;
  return RPC_OK;
}

static int start_on(rpc_channel_t *ch, rpc_call_t *call, const char *path, const uint8_t *req,
                    size_t len, uint32_t timeout_ms) {
  if (ch->closing) return RPC_ERR_ARG; /* the channel is being freed */
  if (ch->cur && (ch->cur->failing || !rpc_link_usable(&ch->cur->core))) conn_retire(ch->cur);
  if (!ch->cur) {
    uint32_t wait, now = (uint32_t)rpc_loop_update_now(ch->loop);
    /* fail fast while the backoff runs (a storage call does not wait for ready) */
    int want = rpc_link_want(&ch->link, now, 0, &wait);
    if (want != RPC_LINK_CONNECT && want != RPC_LINK_GO &&
        !(ch->calls_dial && want == RPC_LINK_FAIL && ch->link.state == RPC_LINK_TRANSIENT_FAILURE))
      return RPC_ERR_TRANSPORT;
    rpc_link_connecting(&ch->link, now);
    int r = dial(ch);
    if (r != RPC_OK) {
      rpc_link_failed(&ch->link, now);
      snprintf(ch->why, sizeof(ch->why), "connection error: desc = \"transport: cannot dial %s\"",
               ch->addr);
      return r;
    }
  }
  int r = rpc_client_start(&ch->cur->core, call, path, req, len, timeout_ms,
                           (uint32_t)rpc_loop_update_now(ch->loop));
  if (r != RPC_OK) return r;
  ch->link.stats.calls++;
  schedule(ch);
  return RPC_OK;
}

int rpc_channel_start(rpc_channel_t *ch, rpc_call_t *call, const char *path, const uint8_t *req,
                      size_t len, uint32_t timeout_ms) {
  call->retried = 0;
  return start_on(ch, call, path, req, len, timeout_ms);
}

void rpc_channel_cancel(rpc_channel_t *ch, rpc_call_t *call) {
  if (call->done || !call->client) return;
  rpc_client_cancel(call->client, call, RPC_CODE_CANCELLED, "context canceled");
  schedule(ch);
}

int rpc_channel_connected(const rpc_channel_t *ch) {
  return ch->cur && ch->cur->state == CH_UP;
}

const char *rpc_channel_why(const rpc_channel_t *ch) {
  return ch->why[0] ? ch->why : NULL;
}

void rpc_channel_set_keepalive(rpc_channel_t *ch, uint32_t ms, uint32_t timeout_ms) {
  rpc_link_cfg_t cfg = ch->link.cfg;
  cfg.keepalive_ms = ms;
  cfg.keepalive_timeout_ms = timeout_ms;
  cfg.keepalive_without_calls = 1; /* the storage connection stays up between calls */
  rpc_link_init(&ch->link, &cfg);
}

void rpc_channel_ping(rpc_channel_t *ch) {
  ch_conn_t *k = ch->cur;
  if (!k || k->state != CH_UP || !k->sock.handshaken) return;
  rpc_link_ping_now(&ch->link);
  arm_tick(ch); /* sends it, and times its answer */
}

int rpc_channel_set_source(rpc_channel_t *ch, const char *ip) {
  if (!ip || strlen(ip) >= sizeof(ch->source)) return RPC_ERR_ARG;
  memcpy(ch->source, ip, strlen(ip) + 1);
  return RPC_OK;
}

void rpc_channel_set_call_dials(rpc_channel_t *ch, int on) {
  ch->calls_dial = on;
}

void rpc_channel_set_retry(rpc_channel_t *ch, int on) {
  ch->no_retry = !on;
}

int rpc_channel_state(const rpc_channel_t *ch) {
  return ch->link.state;
}

uint32_t rpc_channel_backoff_ms(const rpc_channel_t *ch) {
  if (ch->link.state != RPC_LINK_TRANSIENT_FAILURE) return 0;
  int32_t left = (int32_t)(ch->link.retry_at_ms - (uint32_t)rpc_loop_now(ch->loop));
  return left > 0 ? (uint32_t)left : 0;
}

const rpc_link_stats_t *rpc_channel_stats(const rpc_channel_t *ch) {
  return &ch->link.stats;
}
