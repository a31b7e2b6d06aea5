/* channel.c - the host's client connection: non-blocking connect, bytes
 * between the socket and the rpc client core, a timer for the core's
 * deadlines, reconnection on demand. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rpc_channel.h"
#include "rpc_log.h"
#include "sock.h"

enum { CH_DOWN, CH_CONNECTING, CH_UP };

struct rpc_channel {
  rpc_loop_t *loop;
  char addr[128];
  char server_name[128];
  rpc_tls_cfg_t *tls; /* NULL: plaintext h2c */
  int state;
  rpc_io_t io;
  rpc_sock_t sock;
  rpc_client_t core;
  int has_core;
  int failing;
  rpc_timer_t tick;
  rpc_defer_t flush;
  int epollout;
};

static void ch_down(rpc_channel_t *ch, const char *why);

static void ch_arm_tick(rpc_channel_t *ch) {
  uint32_t next = rpc_client_tick(&ch->core, (uint32_t)rpc_loop_now(ch->loop));
  if (next == UINT32_MAX)
    rpc_timer_stop(ch->loop, &ch->tick);
  else
    rpc_timer_start(ch->loop, &ch->tick, next);
}

static long pull_frames(void *arg, const uint8_t **out) {
  rpc_channel_t *ch = arg;
  return rpc_client_send(&ch->core, out);
}

static void ch_watch(rpc_channel_t *ch) {
  int pending = ch->state == CH_CONNECTING || rpc_sock_pending(&ch->sock);
  if (pending != ch->epollout) {
    ch->epollout = pending;
    rpc_loop_mod(ch->loop, &ch->io, EPOLLIN | EPOLLRDHUP | (pending ? EPOLLOUT : 0));
  }
}

static void ch_flush(rpc_channel_t *ch) {
  if (ch->state != CH_UP) return;
  if (rpc_sock_flush(&ch->sock, pull_frames, ch) != 0) {
    ch_down(ch, rpc_sock_error(&ch->sock));
    return;
  }
  ch_watch(ch);
}

static void on_flush(rpc_defer_t *d) {
  rpc_channel_t *ch = d->arg;
  if (!ch->has_core) return;
  ch_flush(ch);
  if (ch->has_core) ch_arm_tick(ch);
}

static void schedule(rpc_channel_t *ch) {
  rpc_loop_defer(ch->loop, &ch->flush);
}

/* The connection is gone: fail its calls with Unavailable and forget it. The
 * next call dials again. */
static void ch_down(rpc_channel_t *ch, const char *why) {
  if (!ch->has_core) return;
  char m[200];
  snprintf(m, sizeof(m), "connection error: desc = \"transport: %s (%s)\"", why, ch->addr);
  if (ch->state != CH_DOWN) {
    rpc_loop_del(ch->loop, &ch->io);
    rpc_sock_close(&ch->sock);
  }
  ch->state = CH_DOWN;
  ch->epollout = 0;
  rpc_timer_stop(ch->loop, &ch->tick);
  /* on_close handlers run now; a call they start meanwhile is refused */
  ch->failing = 1;
  rpc_client_fail(&ch->core, RPC_CODE_UNAVAILABLE, m);
  rpc_client_free(&ch->core);
  ch->has_core = 0;
  ch->failing = 0;
}

static void on_io(rpc_io_t *io, uint32_t ev) {
  rpc_channel_t *ch = io->arg;
  if (ch->state == CH_CONNECTING) {
    int err = 0;
    socklen_t el = sizeof(err);
    getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err || (ev & (EPOLLERR | EPOLLHUP))) {
      ch_down(ch, err ? strerror(err) : "connection failed");
      return;
    }
    ch->state = CH_UP;
  }
  if (!ch->sock.handshaken) {
    int r = rpc_sock_handshake(&ch->sock);
    if (r == RPC_SOCK_AGAIN) {
      ch_watch(ch);
      return;
    }
    if (r < 0) {
      char m[240];
      snprintf(m, sizeof(m), "authentication handshake failed: %s", rpc_sock_error(&ch->sock));
      rpc_log("tls handshake with %s failed: %s", ch->addr, rpc_sock_error(&ch->sock));
      ch_down(ch, m);
      return;
    }
  }
  if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    uint8_t buf[16384];
    for (;;) {
      ssize_t n = rpc_sock_read(&ch->sock, buf, sizeof(buf));
      if (n > 0) {
        if (rpc_client_recv(&ch->core, buf, (size_t)n) != RPC_OK) {
          ch_down(ch, "protocol error");
          return;
        }
        if (!ch->sock.tls && (size_t)n < sizeof(buf)) break;
        continue;
      }
      if (n == RPC_SOCK_AGAIN) break;
      ch_down(ch, n == 0 ? "connection closed" : rpc_sock_error(&ch->sock));
      return;
    }
  }
  ch_flush(ch);
  if (ch->has_core) ch_arm_tick(ch);
}

static void on_tick(rpc_timer_t *t) {
  rpc_channel_t *ch = t->arg;
  if (!ch->has_core) return;
  ch_arm_tick(ch); /* cancels expired calls */
  schedule(ch);    /* their RST_STREAMs */
}

rpc_channel_t *rpc_channel_new(rpc_loop_t *loop, const char *addr) {
  rpc_channel_t *ch = calloc(1, sizeof(*ch));
  if (!ch) return NULL;
  ch->loop = loop;
  snprintf(ch->addr, sizeof(ch->addr), "%s", addr);
  ch->io.fn = on_io;
  ch->io.arg = ch;
  ch->tick.fn = on_tick;
  ch->tick.arg = ch;
  ch->flush.fn = on_flush;
  ch->flush.arg = ch;
  return ch;
}

void rpc_channel_free(rpc_channel_t *ch) {
  if (!ch) return;
  ch_down(ch, "channel closed");
  rpc_loop_undefer(ch->loop, &ch->flush);
  free(ch);
}

void rpc_channel_set_tls(rpc_channel_t *ch, rpc_tls_cfg_t *cfg, const char *server_name) {
  ch->tls = cfg;
  snprintf(ch->server_name, sizeof(ch->server_name), "%s", server_name);
}

static int dial(rpc_channel_t *ch) {
  char host[128];
  const char *colon = strrchr(ch->addr, ':');
  if (!colon || (size_t)(colon - ch->addr) >= sizeof(host)) return RPC_ERR_ARG;
  memcpy(host, ch->addr, (size_t)(colon - ch->addr));
  host[colon - ch->addr] = '\0';
  struct addrinfo hints = {0}, *res;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, colon + 1, &hints, &res) != 0) return RPC_ERR_ARG;
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int rc = fd < 0 ? -1 : connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (fd < 0 || (rc != 0 && errno != EINPROGRESS)) {
    if (fd >= 0) close(fd);
    return RPC_ERR_PROTO;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  rpc_tls_t *tls = NULL;
  if (ch->tls && !(tls = rpc_tls_new(ch->tls, fd, ch->server_name))) {
    close(fd);
    return RPC_ERR_NOMEM;
  }
  rpc_sock_init(&ch->sock, fd, tls);
  rpc_client_cfg_t cfg = {0};
  cfg.authority = ch->addr;
  cfg.tls = tls != NULL;
  cfg.initial_window_size = 1u << 20;
  if (rpc_client_init(&ch->core, &cfg) != RPC_OK) {
    rpc_sock_close(&ch->sock);
    return RPC_ERR_NOMEM;
  }
  ch->has_core = 1;
  ch->io.fd = fd;
  ch->state = CH_CONNECTING;
  ch->epollout = 1;
  rpc_loop_add(ch->loop, &ch->io, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
  return RPC_OK;
}

int rpc_channel_start(rpc_channel_t *ch, rpc_call_t *call, const char *path, const uint8_t *req,
                      size_t len, uint32_t timeout_ms) {
  if (ch->failing) return RPC_ERR_PROTO;
  if (!ch->has_core) {
    int r = dial(ch);
    if (r != RPC_OK) return r;
  }
  int r = rpc_client_start(&ch->core, call, path, req, len, timeout_ms,
                           (uint32_t)rpc_loop_update_now(ch->loop));
  if (r != RPC_OK) return r;
  schedule(ch);
  return RPC_OK;
}

void rpc_channel_cancel(rpc_channel_t *ch, rpc_call_t *call) {
  if (!ch->has_core || call->done) return;
  rpc_client_cancel(&ch->core, call, RPC_CODE_CANCELLED, "context canceled");
  schedule(ch);
}

int rpc_channel_connected(const rpc_channel_t *ch) {
  return ch->state == CH_UP;
}
