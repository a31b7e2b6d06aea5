/* gw_rest_net.c - see gw_rest_net.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dm_http.h"
#include "gw_rest_h2.h"
#include "gw_rest_net.h"
#include "rpc_log.h"
#include "rpc_server.h"

#define SNIFF_MS 10000u      /* a connection must say which HTTP it speaks by then */
#define SNIFF_RETRY_MS 5u    /* a partial preface: look again this soon */
#define SNIFF_MAX 256        /* connections still being sniffed: past it, the oldest goes */
#define H2_MAX 256           /* HTTP/2 connections a worker holds */
#define ACCEPT_PAUSE_MS 100u /* out of descriptors: accept again after this */

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define PREFACE_LEN (sizeof(preface) - 1)

typedef struct sniff {
  struct gw_rest_net *net;
  rpc_io_t io;
  rpc_timer_t timer;
  uint64_t born;
  struct sockaddr_storage sa;
  socklen_t salen;
  int dead;         /* ended: an event already drawn for it is ignored */
  rpc_defer_t reap; /* freed at the end of the turn: such an event may wait */
  struct sniff *prev, *next;
} sniff_t;

struct gw_rest_net {
  rpc_loop_t *loop;
  gw_rest_t *rest;
  rpc_io_t lio;
  rpc_timer_t accept_pause;
  dm_http_t *h1;
  gw_h2conn_t *h2; /* the HTTP/2 connections */
  sniff_t *sniffs;
  unsigned nsniffs;
};

/* --- HTTP/1.1: libmicrohttpd's requests ---------------------------------- */

static void h1_answer(void *arg, int status, char *body, size_t len) {
  dm_http_answer(arg, status, "application/json", body, len);
}

static void h1_gone(void *arg) {
  gw_rest_drop(arg);
}

static void on_h1(void *arg, dm_http_req_t *req) {
  gw_rest_net_t *n = arg;
  gw_rest_req_t r = {.method = dm_http_method(req),
                     .path = dm_http_path(req),
                     .grpc_timeout = dm_http_header(req, "Grpc-Timeout"),
                     .traceparent = dm_http_header(req, "traceparent")};
  gw_rest_call_t *c = gw_rest_handle(n->rest, &r, h1_answer, req);
  if (c) dm_http_on_gone(req, h1_gone, c);
}

/* --- which HTTP ------------------------------------------------------------ */

static void on_reap(rpc_defer_t *d) {
  free(d->arg);
}

static void sniff_end(sniff_t *s, int close_fd) {
  gw_rest_net_t *n = s->net;
  s->dead = 1;
  rpc_loop_del(n->loop, &s->io);
  rpc_timer_stop(n->loop, &s->timer);
  if (close_fd) close(s->io.fd);
  if (s->prev)
    s->prev->next = s->next;
  else
    n->sniffs = s->next;
  if (s->next) s->next->prev = s->prev;
  n->nsniffs--;
  s->reap.fn = on_reap;
  s->reap.arg = s;
  rpc_loop_defer(n->loop, &s->reap);
}

/* Peeks at the first bytes: the whole preface, HTTP/2; anything else,
 * HTTP/1.1; a part of the preface, look again soon (the loop is level
 * triggered: bytes left unread would wake it at once). */
static void sniff_look(sniff_t *s) {
  gw_rest_net_t *n = s->net;
  char buf[PREFACE_LEN];
  ssize_t got = recv(s->io.fd, buf, sizeof(buf), MSG_PEEK);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (got <= 0) {
    sniff_end(s, 1);
    return;
  }
  int fd = s->io.fd;
  if (memcmp(buf, preface, (size_t)got) != 0) {
    struct sockaddr_storage sa = s->sa;
    socklen_t salen = s->salen;
    sniff_end(s, 0);
    dm_http_add(n->h1, fd, (struct sockaddr *)&sa, salen); /* closes fd on failure */
    return;
  }
  if ((size_t)got == PREFACE_LEN) {
    sniff_end(s, 0);
    if (gw_h2_count(n->h2) >= H2_MAX) {
      close(fd); /* refused rather than every connection slowed */
      return;
    }
    gw_h2_new(n->loop, fd, n->rest, &n->h2); /* closes fd on failure */
    return;
  }
  if (rpc_loop_now(n->loop) - s->born >= SNIFF_MS) {
    sniff_end(s, 1);
    return;
  }
  rpc_loop_mod(n->loop, &s->io, 0);
  rpc_timer_start(n->loop, &s->timer, SNIFF_RETRY_MS);
}

static void on_sniff_io(rpc_io_t *io, uint32_t ev) {
  (void)ev;
  sniff_t *s = io->arg;
  if (!s->dead) sniff_look(s);
}

static void on_sniff_timer(rpc_timer_t *t) {
  sniff_t *s = t->arg;
  if (rpc_loop_now(s->net->loop) - s->born >= SNIFF_MS) {
    sniff_end(s, 1); /* said nothing: slowloris */
    return;
  }
  rpc_loop_mod(s->net->loop, &s->io, EPOLLIN | EPOLLRDHUP);
}

static void on_accept_pause(rpc_timer_t *t) {
  gw_rest_net_t *n = t->arg;
  rpc_loop_mod(n->loop, &n->lio, EPOLLIN);
}

/* The connection sniffed longest: it makes room for a new one, so that
 * silent sockets cannot hold the port. */
static void sniff_evict(gw_rest_net_t *n) {
  sniff_t *old = n->sniffs;
  for (sniff_t *s = n->sniffs; s; s = s->next)
    if (s->born < old->born) old = s;
  if (old) sniff_end(old, 1);
}

static void on_accept(rpc_io_t *io, uint32_t ev) {
  (void)ev;
  gw_rest_net_t *n = io->arg;
  for (int i = 0; i < 64; i++) { /* a turn takes a bounded number */
    struct sockaddr_storage sa;
    socklen_t salen = sizeof(sa);
    int fd = accept4(io->fd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        /* the waiting connection cannot be taken, and the listener would
         * wake the loop at once, every turn: look away for a moment */
        rpc_loop_mod(n->loop, &n->lio, 0);
        rpc_timer_start(n->loop, &n->accept_pause, ACCEPT_PAUSE_MS);
      }
      return;
    }
    if (n->nsniffs >= SNIFF_MAX) sniff_evict(n);
    sniff_t *s = calloc(1, sizeof(*s));
    if (!s) {
      close(fd);
      continue;
    }
    s->net = n;
    s->io = (rpc_io_t){fd, on_sniff_io, s};
    s->timer.fn = on_sniff_timer;
    s->timer.arg = s;
    s->born = rpc_loop_now(n->loop);
    s->sa = sa;
    s->salen = salen;
    s->next = n->sniffs;
    if (n->sniffs) n->sniffs->prev = s;
    n->sniffs = s;
    n->nsniffs++;
    if (rpc_loop_add(n->loop, &s->io, EPOLLIN | EPOLLRDHUP) != 0) {
      sniff_end(s, 1);
      continue;
    }
    rpc_timer_start(n->loop, &s->timer, SNIFF_MS);
  }
}

gw_rest_net_t *gw_rest_net_new(rpc_loop_t *loop, const char *listen, int reuseport,
                               gw_rest_t *rest) {
  gw_rest_net_t *n = calloc(1, sizeof(*n));
  if (!n) return NULL;
  n->loop = loop;
  n->rest = rest;
  n->lio.fd = rpc_listen(listen, reuseport);
  if (n->lio.fd < 0) {
    rpc_log("cannot listen on %s for REST: %s", listen, strerror(errno));
    free(n);
    return NULL;
  }
  n->lio.fn = on_accept;
  n->lio.arg = n;
  n->accept_pause.fn = on_accept_pause;
  n->accept_pause.arg = n;
  if (!(n->h1 = dm_http_new(loop, NULL, 0, on_h1, n)) ||
      rpc_loop_add(loop, &n->lio, EPOLLIN) != 0) {
    dm_http_free(n->h1);
    close(n->lio.fd);
    free(n);
    return NULL;
  }
  return n;
}

void gw_rest_net_close(gw_rest_net_t *n) {
  if (!n || n->lio.fd < 0) return;
  rpc_timer_stop(n->loop, &n->accept_pause);
  rpc_loop_del(n->loop, &n->lio);
  close(n->lio.fd);
  n->lio.fd = -1;
}

void gw_rest_net_free(gw_rest_net_t *n) {
  if (!n) return;
  gw_rest_net_close(n);
  while (n->sniffs) {
    sniff_t *s = n->sniffs;
    sniff_end(s, 1);
    rpc_loop_undefer(n->loop, &s->reap);
    free(s);
  }
  while (n->h2)
    gw_h2_free(n->h2);
  dm_http_free(n->h1);
  free(n);
}
