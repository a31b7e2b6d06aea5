/*
 * server_host.c - the server core (rpc_server_core.h) on the host: listening
 * sockets, accept, plain or TLS connections (sock.h, rpc_tls.h) on the epoll
 * loop, the connection timers (handshake, idle, the core's deadlines), the
 * linger after a refused TLS handshake, and the drain. The core's own clocks
 * (deadlines, keepalive, connection age) run on one timer per connection at
 * rpc_sconn_next_due. Every gRPC decision is
 * the core's; this file only moves bytes and time.
 */
#include <errno.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rpc_log.h"
#include "rpc_server.h"
#include "sock.h"

#define REFUSE_LINGER_MS 2000
#define ACCEPT_PAUSE_MS 100 /* out of descriptors: listen again after this */
#define LIMIT_LOG_MS 10000  /* a limit's log line at most this often */
#define TRIM_MS 1000        /* idle this long, a connection's spent pages go back */
#define READ_CHUNK (16u * 1024u)
#define ACCEPT_BATCH 64

typedef struct rpc_conn rpc_conn_t;

struct rpc_conn {
  rpc_server_t *srv;
  rpc_sconn_t *core;
  rpc_io_t io;
  rpc_sock_t sock;
  rpc_defer_t flush;
  int epollout;
  int dead;
  char peer[64];
  rpc_timer_t timer;         /* handshake, then idle timeout; the refusal's linger */
  rpc_timer_t due;           /* the core's next deadline (rpc_sconn_tick) */
  int refusing;              /* TLS refused: lingering so the client reads the alert */
  int kind;                  /* RPC_STATS_PLAIN or RPC_STATS_TLS */
  uint64_t born;             /* accepted then: the handshake timeout counts from here */
  int listed;                /* on the server's trim list: bytes came in since */
  rpc_conn_t *tprev, *tnext; /* it was last trimmed (on_trim) */
  rpc_conn_t *prev, *next;
};

struct rpc_server {
  rpc_loop_t *loop;
  rpc_server_core_t *core;
  const rpc_server_limits_t *lim; /* the core's, defaults filled in */
  int draining;
  rpc_timer_t drain_check;
  uint64_t drain_end;
  rpc_io_t lio;
  rpc_conn_t *conns;
  uint32_t nconns;
  rpc_tls_cfg_t *tls;             /* NULL: plaintext h2c */
  rpc_timer_t accept_pause;       /* accepting again after running out of descriptors */
  rpc_timer_t trim;               /* the sweep that trims idle connections' memory */
  rpc_conn_t *trimq;              /* the connections it looks at */
  int heap_freed;                 /* a call, handshake or connection ended since */
  uint64_t fd_logged, max_logged; /* when a limit was last logged */
  uint64_t refused;               /* connections refused since then */
  rpc_server_stats_t *stats;      /* NULL: nothing counted */
};

static void conn_close(rpc_conn_t *c);
static void on_trim(rpc_timer_t *t);

/* The core's clock. Re-read, not the loop turn's: a handler forwarding its
 * remaining time (rpc_scall_remaining_ms) late in a busy turn must not
 * overstate it. */
static uint64_t host_now(void *arg) {
  return rpc_loop_update_now(arg);
}

/* The core queued bytes: flush once, at the end of this loop iteration. */
static void host_wake(void *arg) {
  rpc_conn_t *c = arg;
  if (!c->dead) rpc_loop_defer(c->srv->loop, &c->flush);
}

static uint64_t host_now_us(void *arg) {
  (void)arg;
  return rpc_now_us();
}

static long pull_frames(void *arg, const uint8_t **out) {
  rpc_conn_t *c = arg;
  long n = rpc_sconn_send(c->core, out);
  if (n > 0 && c->srv->stats) RPC_STAT_ADD(c->srv->stats->bytes_sent, (uint64_t)n);
  return n;
}

/* A TLS handshake that will not finish, and why. */
static void count_tls_failure(rpc_conn_t *c, int reason) {
  if (c->srv->stats) RPC_STAT_ADD(c->srv->stats->tls_failed[reason], 1);
}

/* Watches for writability only while bytes wait. */
static void conn_watch(rpc_conn_t *c) {
  int pending = rpc_sock_pending(&c->sock);
  if (pending != c->epollout) {
    c->epollout = pending;
    rpc_loop_mod(c->srv->loop, &c->io, EPOLLIN | EPOLLRDHUP | (pending ? EPOLLOUT : 0));
  }
}

/* Keeps the deadline timer at the core's next due time. The core only moves
 * it earlier between ticks, so a timer already armed earlier stays. */
static void conn_arm(rpc_conn_t *c) {
  rpc_loop_t *loop = c->srv->loop;
  uint64_t due = rpc_sconn_next_due(c->core);
  if (due == RPC_SCONN_NO_DUE || (c->due.slot && c->due.at <= due)) return;
  uint64_t now = rpc_loop_now(loop);
  rpc_timer_start(loop, &c->due, due > now ? due - now : 0);
}

static void conn_flush(rpc_conn_t *c) {
  if (c->dead) return;
  /* the core gave up on it (keepalive, too many pings, age grace): its last
   * frames go out if the socket takes them now, then it closes */
  int dropped = rpc_sconn_dropped(c->core);
  if (rpc_sock_flush(&c->sock, pull_frames, c) != 0 || dropped) {
    conn_close(c);
    return;
  }
  conn_watch(c);
  if (c->sock.handshaken && !c->epollout && !rpc_sconn_want_io(c->core)) {
    conn_close(c);
    return;
  }
  conn_arm(c);
}

static void on_flush(rpc_defer_t *d) {
  conn_flush(d->arg);
}

static void on_due(rpc_timer_t *t) {
  rpc_conn_t *c = t->arg;
  rpc_sconn_tick(c->core);
  conn_flush(c);
}

static void conn_free(rpc_defer_t *d) {
  free(d->arg);
}

/* The trim list (on_trim): the connections that read bytes since their
 * last trim. The sweep walks it, not every connection: a fleet's idle
 * devices cost it nothing between their PINGs. */
static void trim_list(rpc_conn_t *c) {
  rpc_server_t *s = c->srv;
  if (c->listed) return;
  c->listed = 1;
  c->tprev = NULL;
  c->tnext = s->trimq;
  if (s->trimq) s->trimq->tprev = c;
  s->trimq = c;
}

static void trim_unlist(rpc_conn_t *c) {
  rpc_server_t *s = c->srv;
  if (!c->listed) return;
  c->listed = 0;
  if (c->tprev)
    c->tprev->tnext = c->tnext;
  else
    s->trimq = c->tnext;
  if (c->tnext) c->tnext->tprev = c->tprev;
}

static void conn_close(rpc_conn_t *c) {
  if (c->dead) return;
  rpc_server_t *s = c->srv;
  c->dead = 1;
  rpc_sconn_free(c->core); /* ends the open calls */
  c->core = NULL;
  if (s->stats) RPC_STAT_ADD(s->stats->conns_closed[c->kind], 1);
  rpc_timer_stop(s->loop, &c->timer);
  rpc_timer_stop(s->loop, &c->due);
  rpc_loop_del(s->loop, &c->io);
  rpc_sock_close(&c->sock);
  trim_unlist(c);
  s->heap_freed = 1;
  if (c->prev)
    c->prev->next = c->next;
  else
    s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  s->nconns--;
  /* freed at the end of the iteration: callers up the stack may hold it */
  rpc_loop_undefer(s->loop, &c->flush);
  c->flush.fn = conn_free;
  rpc_loop_defer(s->loop, &c->flush);
}

/* Closes connections that never finish their handshake (TLS and the HTTP/2
 * preface, slowloris) and connections idle with no stream. */
static void on_conn_timer(rpc_timer_t *t) {
  rpc_conn_t *c = t->arg;
  rpc_server_t *s = c->srv;
  uint32_t calls = rpc_sconn_calls(c->core);
  uint64_t now = rpc_loop_now(s->loop), idle = now - rpc_sconn_last_active(c->core);
  if (c->refusing) {
    conn_close(c);
  } else if (!rpc_sconn_established(c->core) || !c->sock.handshaken) {
    if (now - c->born < s->lim->handshake_timeout_ms) { /* an idle timeout came first */
      rpc_timer_start(s->loop, t, s->lim->handshake_timeout_ms - (now - c->born));
      return;
    }
    rpc_log("closing %s: no handshake within %u ms", c->peer, s->lim->handshake_timeout_ms);
    if (!c->sock.handshaken) count_tls_failure(c, RPC_TLS_FAIL_TIMEOUT);
    conn_close(c);
  } else if (!calls && idle >= s->lim->idle_timeout_ms) {
    rpc_sconn_terminate(c->core); /* GOAWAY, then close */
    conn_flush(c);
    conn_close(c);
  } else {
    rpc_timer_start(s->loop, t, calls ? s->lim->idle_timeout_ms : s->lim->idle_timeout_ms - idle);
  }
}

/* A device the served TLS configuration no longer trusts, though its
 * handshake was checked against an earlier one: connected before a reload
 * that revoked it (or dropped its CA), or handshaking across it. Closed now
 * (GOAWAY, its calls end), not left until it leaves: its next handshake is
 * refused. Returns 1 when closed. */
static int conn_untrusted(rpc_conn_t *c) {
  const char *why = rpc_tls_untrusted(c->sock.tls, c->srv->tls);
  if (!why) return 0;
  char serial[65];
  rpc_tls_peer_serial(c->sock.tls, serial, sizeof(serial));
  const char *cn = rpc_tls_peer_cn(c->sock.tls);
  rpc_log_at(RPC_LOG_WARN, "closing %s: device %s, serial %s: %s", c->peer, *cn ? cn : "?", serial,
             why);
  if (c->srv->stats) RPC_STAT_ADD(c->srv->stats->tls_distrusted, 1);
  rpc_sconn_terminate(c->core);
  conn_flush(c);
  conn_close(c);
  return 1;
}

/* TLS: finishes the handshake before any HTTP/2. Returns 0 when done. */
static int conn_handshake(rpc_conn_t *c) {
  int r = rpc_sock_handshake(&c->sock);
  if (r == RPC_SOCK_AGAIN) {
    conn_watch(c);
    return -1;
  }
  if (r < 0) {
    rpc_log_at(RPC_LOG_WARN, "tls handshake with %s failed: %s", c->peer, rpc_sock_error(&c->sock));
    count_tls_failure(c, rpc_tls_fail_reason(c->sock.tls));
    /* the alert is out; closing now would reset the client's last handshake
     * writes, and some transports (a UART behind QEMU) then drop the alert
     * unread: read and discard until the client closes, for a short while */
    c->refusing = 1;
    shutdown(c->sock.fd, SHUT_WR);
    rpc_loop_mod(c->srv->loop, &c->io, EPOLLIN | EPOLLRDHUP);
    rpc_timer_start(c->srv->loop, &c->timer, REFUSE_LINGER_MS);
    return -1;
  }
  if (conn_untrusted(c)) return -1; /* a reload came during the handshake */
  const char *cn = rpc_tls_peer_cn(c->sock.tls);
  rpc_sconn_set_identity(c->core, cn);
  if (rpc_tls_resumed(c->sock.tls)) /* full handshakes stay unlogged, as before */
    rpc_log("tls: resumed session with %s%s%s", c->peer, *cn ? ", device " : "", cn);
  c->srv->heap_freed = 1; /* what the handshake worked with */
  if (c->srv->stats) {
    if (rpc_tls_resumed(c->sock.tls))
      RPC_STAT_ADD(c->srv->stats->tls_resumed, 1);
    else
      RPC_STAT_ADD(c->srv->stats->tls_full, 1);
  }
  return 0;
}

static void on_conn_io(rpc_io_t *io, uint32_t ev) {
  rpc_conn_t *c = io->arg;
  if (c->refusing) { /* a refused handshake: discard until the client closes */
    char sink[4096];
    ssize_t n;
    while ((n = recv(io->fd, sink, sizeof(sink), MSG_DONTWAIT)) > 0) {
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) conn_close(c);
    return;
  }
  if (!c->sock.handshaken && conn_handshake(c) != 0) return;
  if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    uint8_t buf[READ_CHUNK];
    trim_list(c);
    for (;;) {
      ssize_t n = rpc_sock_read(&c->sock, buf, sizeof(buf));
      if (n > 0) {
        if (c->srv->stats) RPC_STAT_ADD(c->srv->stats->bytes_received, (uint64_t)n);
        if (rpc_sconn_recv(c->core, buf, (size_t)n) != RPC_OK) {
          conn_flush(c); /* the GOAWAY, if the core queued one */
          conn_close(c);
          return;
        }
        if (c->dead) return;
        /* plaintext: a short read means the socket is empty; TLS may still
         * hold decrypted bytes, so read on until it says again */
        if (!c->sock.tls && (size_t)n < sizeof(buf)) break;
        continue;
      }
      if (n == RPC_SOCK_AGAIN) break;
      conn_close(c); /* end of stream or error */
      return;
    }
  }
  conn_flush(c);
}

static void peer_name(const struct sockaddr_storage *sa, char *out, size_t cap) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (sa->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const void *)sa;
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    snprintf(out, cap, "ipv4:%s:%u", host, ntohs(a->sin_port));
  } else {
    const struct sockaddr_in6 *a = (const void *)sa;
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    snprintf(out, cap, "ipv6:[%s]:%u", host, ntohs(a->sin6_port));
  }
}

/* A connection over the accepted fd (closed on failure). Returns it or NULL. */
static rpc_conn_t *conn_new(rpc_server_t *s, int fd, const struct sockaddr_storage *sa) {
  rpc_conn_t *c = calloc(1, sizeof(*c));
  if (!c) {
    close(fd);
    return NULL;
  }
  peer_name(sa, c->peer, sizeof(c->peer));
  rpc_tls_t *tls = NULL;
  if (!(c->core = rpc_sconn_new(s->core, c->peer, c)) ||
      (s->tls && !(tls = rpc_tls_new(s->tls, fd, NULL)))) {
    rpc_sconn_free(c->core);
    free(c);
    close(fd);
    return NULL;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  rpc_sock_init(&c->sock, fd, tls);
  c->srv = s;
  c->io.fd = fd;
  c->io.fn = on_conn_io;
  c->io.arg = c;
  c->flush.fn = on_flush;
  c->flush.arg = c;
  c->timer.fn = on_conn_timer;
  c->timer.arg = c;
  c->due.fn = on_due;
  c->due.arg = c;
  if (rpc_loop_add(s->loop, &c->io, EPOLLIN | EPOLLRDHUP) != 0) {
    rpc_sconn_free(c->core);
    rpc_sock_close(&c->sock);
    free(c);
    return NULL;
  }
  c->kind = tls ? RPC_STATS_TLS : RPC_STATS_PLAIN;
  if (s->stats) RPC_STAT_ADD(s->stats->conns_accepted[c->kind], 1);
  /* whichever comes first: an idle timeout shorter than the handshake
   * timeout must not wait for it */
  c->born = rpc_loop_now(s->loop);
  uint32_t first = s->lim->handshake_timeout_ms;
  if (s->lim->idle_timeout_ms < first) first = s->lim->idle_timeout_ms;
  rpc_timer_start(s->loop, &c->timer, first);
  return c;
}

/* Out of descriptors (EMFILE, ENFILE): the waiting connection cannot be
 * taken, and epoll would report the listening socket ready at once, every
 * turn. Say so (at most every LIMIT_LOG_MS) and stop listening for a moment;
 * the kernel keeps the backlog meanwhile. */
static void out_of_fds(rpc_server_t *s, int err) {
  uint64_t now = rpc_loop_now(s->loop);
  if (!s->fd_logged || now - s->fd_logged >= LIMIT_LOG_MS) {
    struct rlimit rl = {0};
    getrlimit(RLIMIT_NOFILE, &rl);
    rpc_log_at(RPC_LOG_ERROR,
               "cannot accept connections: %s: %u open, the process may have %llu descriptors "
               "(ulimit -n; LimitNOFILE= in a systemd unit, or more --workers)",
               strerror(err), s->nconns, (unsigned long long)rl.rlim_cur);
    s->fd_logged = now;
  }
  rpc_loop_del(s->loop, &s->lio);
  rpc_timer_start(s->loop, &s->accept_pause, ACCEPT_PAUSE_MS);
}

static void on_accept_pause(rpc_timer_t *t) {
  rpc_server_t *s = t->arg;
  if (s->draining || s->lio.fd < 0 || rpc_loop_add(s->loop, &s->lio, EPOLLIN) == 0) return;
  rpc_log_at(RPC_LOG_ERROR, "cannot listen again: %s; trying again in %u ms", strerror(errno),
             ACCEPT_PAUSE_MS);
  rpc_timer_start(s->loop, t, ACCEPT_PAUSE_MS);
}

/* Over --max-connections: refused, and logged at most every LIMIT_LOG_MS. */
static void over_max(rpc_server_t *s) {
  uint64_t now = rpc_loop_now(s->loop);
  s->refused++;
  if (s->max_logged && now - s->max_logged < LIMIT_LOG_MS) return;
  rpc_log_at(RPC_LOG_WARN,
             "refusing connections: %u open, the --max-connections limit (%llu refused)",
             s->lim->max_connections, (unsigned long long)s->refused);
  s->max_logged = now;
  s->refused = 0;
}

static void on_accept(rpc_io_t *io, uint32_t ev) {
  (void)ev;
  rpc_server_t *s = io->arg;
  /* a bounded batch per loop turn: a burst of connections must not stall
   * the calls already being served (epoll reports the rest next turn) */
  for (int batch = 0; batch < ACCEPT_BATCH; batch++) {
    struct sockaddr_storage sa;
    socklen_t sl = sizeof(sa);
    int fd = accept4(io->fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) out_of_fds(s, errno);
      return;
    }
    if (s->nconns >= s->lim->max_connections) {
      close(fd); /* over the limit: refuse rather than degrade everyone */
      over_max(s);
      continue;
    }
    rpc_conn_t *c = conn_new(s, fd, &sa);
    if (!c) continue;
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    rpc_loop_defer(s->loop, &c->flush); /* the server's SETTINGS */
  }
}

int rpc_listen(const char *addr, int reuseport) {
  char host[256], service[8];
  uint16_t port;
  if (rpc_addr_split(addr, host, sizeof(host), &port) != RPC_OK) {
    errno = EINVAL;
    return -1;
  }
  snprintf(service, sizeof(service), "%u", (unsigned)port);
  struct addrinfo hints = {0}, *res;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  if (getaddrinfo(*host ? host : NULL, service, &hints, &res) != 0) {
    errno = EINVAL; /* for the caller's strerror */
    return -1;
  }
  int fd = -1;
  for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  return fd;
}

rpc_server_t *rpc_server_new(rpc_loop_t *loop, const char *listen, const rpc_method_t *methods,
                             size_t n, const rpc_server_limits_t *limits) {
  rpc_server_t *s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->loop = loop;
  rpc_server_env_t env = {host_now, loop, host_wake, host_now_us, rpc_random};
  if (!(s->core = rpc_server_core_new(methods, n, limits, &env))) {
    rpc_log_at(RPC_LOG_ERROR, "cannot listen on %s: out of memory", listen);
    free(s);
    return NULL;
  }
  s->lim = rpc_server_core_limits(s->core);
  s->lio.fd = rpc_listen(listen, s->lim->reuseport);
  if (s->lio.fd < 0) {
    rpc_log_at(RPC_LOG_ERROR, "cannot listen on %s: %s", listen, strerror(errno));
    rpc_server_core_free(s->core);
    free(s);
    return NULL;
  }
  s->lio.fn = on_accept;
  s->lio.arg = s;
  s->accept_pause.fn = on_accept_pause;
  s->accept_pause.arg = s;
  s->trim.fn = on_trim;
  s->trim.arg = s;
  rpc_timer_start(loop, &s->trim, TRIM_MS);
  rpc_loop_add(loop, &s->lio, EPOLLIN);
  return s;
}

static uint32_t open_calls(const rpc_server_t *s) {
  uint32_t n = 0;
  for (const rpc_conn_t *c = s->conns; c; c = c->next)
    n += rpc_sconn_calls(c->core);
  return n;
}

static void on_drain_check(rpc_timer_t *t) {
  rpc_server_t *s = t->arg;
  if (open_calls(s) == 0 || rpc_loop_now(s->loop) >= s->drain_end)
    rpc_loop_stop(s->loop);
  else
    rpc_timer_start(s->loop, t, 10);
}

int rpc_server_drain(rpc_server_t *s, uint32_t timeout_ms) {
  if (!s->draining) {
    s->draining = 1;
    rpc_timer_stop(s->loop, &s->accept_pause);
    rpc_loop_del(s->loop, &s->lio);
    close(s->lio.fd);
    s->lio.fd = -1;
    for (rpc_conn_t *c = s->conns; c; c = c->next) {
      rpc_sconn_goaway(c->core);
      rpc_loop_defer(s->loop, &c->flush);
    }
  }
  s->drain_check.fn = on_drain_check;
  s->drain_check.arg = s;
  s->drain_end = rpc_loop_update_now(s->loop) + timeout_ms;
  rpc_timer_start(s->loop, &s->drain_check, 0);
  rpc_loop_run(s->loop); /* a second signal stops the drain at once */
  rpc_timer_stop(s->loop, &s->drain_check);
  return (int)open_calls(s);
}

void rpc_server_free(rpc_server_t *s) {
  if (!s) return;
  while (s->conns)
    conn_close(s->conns);
  rpc_timer_stop(s->loop, &s->accept_pause);
  rpc_timer_stop(s->loop, &s->trim);
  if (s->lio.fd >= 0) {
    rpc_loop_del(s->loop, &s->lio);
    close(s->lio.fd);
  }
  rpc_server_core_free(s->core);
  rpc_tls_cfg_free(s->tls);
  free(s);
}

/* Once a second: a connection idle for TRIM_MS, with no call and nothing to
 * send, gives back the pages that hold no state: its session's empty stream
 * map and header tables (rpc_sconn_idle, when a call came since; it also
 * asks the client to empty the table it compresses with) and its TLS record
 * buffers (rpc_tls_trim). A sweep of the connections that read bytes since
 * their last trim (the trim list), not a timer per connection: a busy
 * connection pays nothing, an idle one is trimmed once, and again only
 * after it reads (a PING, a call). */
static void on_trim(rpc_timer_t *t) {
  rpc_server_t *s = t->arg;
  uint64_t now = rpc_loop_now(s->loop);
  for (rpc_conn_t *c = s->trimq, *next; c; c = next) {
    next = c->tnext;
    if (c->dead || c->refusing || !c->sock.handshaken || c->epollout || rpc_sconn_calls(c->core) ||
        now - rpc_sconn_last_active(c->core) < TRIM_MS)
      continue;                                     /* stays on the list */
    if (rpc_sconn_idle(c->core)) s->heap_freed = 1; /* a call came since */
    if (c->sock.tls) rpc_tls_trim(c->sock.tls);
    trim_unlist(c);
  }
  /* and the heap's free chunks: what finished handshakes, calls and
   * connections left between live blocks goes back too; not after a
   * sweep of PINGs only, which free nothing */
  if (s->heap_freed) malloc_trim(0);
  s->heap_freed = 0;
  rpc_timer_start(s->loop, t, TRIM_MS);
}

void rpc_server_set_stats(rpc_server_t *s, rpc_server_stats_t *stats) {
  s->stats = stats;
  rpc_server_core_set_stats(s->core, stats);
}

void rpc_server_set_tls(rpc_server_t *s, rpc_tls_cfg_t *tls) {
  rpc_tls_cfg_t *old = s->tls;
  s->tls = rpc_tls_cfg_ref(tls);
  rpc_tls_cfg_free(old);
  /* the devices it no longer trusts leave now (a CRL, a CA dropped) */
  for (rpc_conn_t *c = s->conns, *next; c; c = next) {
    next = c->next;
    if (!c->dead && !c->refusing && c->sock.tls && c->sock.handshaken) conn_untrusted(c);
  }
}

rpc_loop_t *rpc_scall_loop(const rpc_scall_t *call) {
  const rpc_conn_t *c = rpc_sconn_arg(rpc_scall_conn(call));
  return c->srv->loop;
}
