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

enum { CH_DOWN, CH_CONNECTING, CH_UP };

struct rpc_channel {
  rpc_loop_t *loop;
  char addr[128];
  int state;
  rpc_io_t io;
  rpc_client_t core;
  int has_core;
  int failing;
  rpc_timer_t tick;
  rpc_defer_t flush;
  uint8_t *wbuf;
  size_t wlen, woff, wcap;
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

static void ch_flush(rpc_channel_t *ch) {
  if (ch->state != CH_UP) return;
  for (;;) {
    while (ch->wlen - ch->woff < 256u * 1024u) {
      const uint8_t *p;
      long n = rpc_client_send(&ch->core, &p);
      if (n < 0) {
        ch_down(ch, "protocol error");
        return;
      }
      if (n == 0) break;
      if (ch->wlen + (size_t)n > ch->wcap) {
        if (ch->woff) { /* slide unsent bytes to the front first */
          memmove(ch->wbuf, ch->wbuf + ch->woff, ch->wlen - ch->woff);
          ch->wlen -= ch->woff;
          ch->woff = 0;
        }
        if (ch->wlen + (size_t)n > ch->wcap) {
          size_t cap = ch->wcap ? ch->wcap : 16384;
          while (cap < ch->wlen + (size_t)n)
            cap *= 2;
          uint8_t *b = realloc(ch->wbuf, cap);
          if (!b) {
            ch_down(ch, "out of memory");
            return;
          }
          ch->wbuf = b;
          ch->wcap = cap;
        }
      }
      memcpy(ch->wbuf + ch->wlen, p, (size_t)n);
      ch->wlen += (size_t)n;
    }
    if (ch->wlen == ch->woff) break;
    ssize_t w = send(ch->io.fd, ch->wbuf + ch->woff, ch->wlen - ch->woff, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        ch_down(ch, strerror(errno));
        return;
      }
      break;
    }
    ch->woff += (size_t)w;
    if (ch->woff == ch->wlen) ch->woff = ch->wlen = 0;
  }
  int pending = ch->wlen > ch->woff;
  if (pending != ch->epollout) {
    ch->epollout = pending;
    rpc_loop_mod(ch->loop, &ch->io, EPOLLIN | EPOLLRDHUP | (pending ? EPOLLOUT : 0));
  }
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
    close(ch->io.fd);
  }
  ch->state = CH_DOWN;
  ch->wlen = ch->woff = 0;
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
    ch->epollout = 1; /* registered with EPOLLOUT while connecting */
  }
  if (ev & EPOLLIN) {
    uint8_t buf[16384];
    for (;;) {
      ssize_t n = recv(io->fd, buf, sizeof(buf), 0);
      if (n > 0) {
        if (rpc_client_recv(&ch->core, buf, (size_t)n) != RPC_OK) {
          ch_down(ch, "protocol error");
          return;
        }
        if ((size_t)n < sizeof(buf)) break;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      ch_down(ch, n == 0 ? "connection closed" : strerror(errno));
      return;
    }
  } else if (ev & (EPOLLERR | EPOLLHUP)) {
    ch_down(ch, "connection lost");
    return;
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
  free(ch->wbuf);
  free(ch);
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
  rpc_client_cfg_t cfg = {0};
  cfg.authority = ch->addr;
  cfg.initial_window_size = 1u << 20;
  if (rpc_client_init(&ch->core, &cfg) != RPC_OK) {
    close(fd);
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
