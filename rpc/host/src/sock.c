/* sock.c - see sock.h. Writes are gathered into one buffer so that every
 * frame nghttp2 produced in a loop iteration leaves in one send(); the
 * buffer is the thread's, and a socket keeps its own only for what the
 * kernel did not take. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock.h"

void rpc_sock_init(rpc_sock_t *s, int fd, rpc_tls_t *tls) {
  memset(s, 0, sizeof(*s));
  s->fd = fd;
  s->tls = tls;
  s->handshaken = tls == NULL;
}

void rpc_sock_close(rpc_sock_t *s) {
  rpc_tls_free(s->tls);
  s->tls = NULL;
  if (s->fd >= 0) {
    /* unread input would turn close() into a reset, which can destroy the
     * last bytes we sent (an alert, a GOAWAY) before the peer reads them */
    char sink[4096];
    shutdown(s->fd, SHUT_WR);
    for (int i = 0; i < 16 && recv(s->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++) {
    }
    close(s->fd);
  }
  s->fd = -1;
  free(s->wbuf);
  s->wbuf = NULL;
  s->wlen = s->woff = s->wcap = 0;
}

int rpc_sock_handshake(rpc_sock_t *s) {
  if (s->handshaken) return 0;
  int r = rpc_tls_handshake(s->tls);
  if (r == 0) s->handshaken = 1;
  if (r < 0 && r != RPC_TLS_AGAIN) rpc_tls_refuse(s->tls);
  return r == RPC_TLS_AGAIN ? RPC_SOCK_AGAIN : r;
}

ssize_t rpc_sock_read(rpc_sock_t *s, void *buf, size_t len) {
  if (s->tls) {
    ssize_t n = rpc_tls_read(s->tls, buf, len);
    return n == RPC_TLS_AGAIN ? RPC_SOCK_AGAIN : n;
  }
  ssize_t n = recv(s->fd, buf, len, 0);
  if (n >= 0) return n;
  return errno == EAGAIN || errno == EINTR ? RPC_SOCK_AGAIN : -1;
}

/* grow *buf (capacity *cap) to hold need bytes */
static int reserve(uint8_t **buf, size_t *cap, size_t need) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : 16384;
  while (c < need)
    c *= 2;
  uint8_t *b = realloc(*buf, c);
  if (!b) return -1;
  *buf = b;
  *cap = c;
  return 0;
}

static int append(rpc_sock_t *s, const uint8_t *p, size_t n) {
  if (s->wlen + n > s->wcap && s->woff) { /* slide unsent bytes to the front first */
    memmove(s->wbuf, s->wbuf + s->woff, s->wlen - s->woff);
    s->wlen -= s->woff;
    s->woff = 0;
  }
  if (reserve(&s->wbuf, &s->wcap, s->wlen + n) != 0) return -1;
  memcpy(s->wbuf + s->wlen, p, n);
  s->wlen += n;
  return 0;
}

static ssize_t write_some(rpc_sock_t *s, const uint8_t *p, size_t n) {
  if (s->tls) {
    ssize_t w = rpc_tls_write(s->tls, p, n);
    return w == RPC_TLS_AGAIN ? RPC_SOCK_AGAIN : w;
  }
  ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL);
  if (w >= 0) return w;
  return errno == EAGAIN || errno == EINTR ? RPC_SOCK_AGAIN : -1;
}

/* The thread's gathering buffer: a socket with nothing of its own waiting
 * gathers its frames here and sends them; it keeps bytes of its own (wbuf)
 * only while the kernel will not take them, and gives them back once sent.
 * An idle connection holds no write buffer at all. */
static __thread uint8_t *gather;
static __thread size_t gather_cap;

/* Sends n gathered bytes; what the socket does not take becomes s's own. */
static int send_gathered(rpc_sock_t *s, size_t n) {
  size_t off = 0;
  while (off < n && s->handshaken) {
    ssize_t w = write_some(s, gather + off, n - off);
    if (w == RPC_SOCK_AGAIN) break;
    if (w < 0) return -1;
    off += (size_t)w;
  }
  return off < n ? append(s, gather + off, n - off) : 0;
}

int rpc_sock_flush(rpc_sock_t *s, rpc_pull_fn pull, void *arg) {
  for (;;) {
    if (s->wlen > s->woff) { /* bytes of its own wait: they go first */
      while (s->wlen - s->woff < RPC_SOCK_HIGH) {
        const uint8_t *p;
        long n = pull(arg, &p);
        if (n < 0) return -1;
        if (n == 0) break;
        if (append(s, p, (size_t)n) != 0) return -1;
      }
      if (!s->handshaken) return 0;
      ssize_t w = write_some(s, s->wbuf + s->woff, s->wlen - s->woff);
      if (w == RPC_SOCK_AGAIN) return 0;
      if (w < 0) return -1;
      s->woff += (size_t)w;
      if (s->woff < s->wlen) continue;
      free(s->wbuf); /* all sent: back to gathering */
      s->wbuf = NULL;
      s->wlen = s->woff = s->wcap = 0;
    }
    size_t n = 0;
    while (n < RPC_SOCK_HIGH) {
      const uint8_t *p;
      long k = pull(arg, &p);
      if (k < 0) return -1;
      if (k == 0) break;
      if (reserve(&gather, &gather_cap, n + (size_t)k) != 0) return -1;
      memcpy(gather + n, p, (size_t)k);
      n += (size_t)k;
    }
    if (n == 0) return 0;
    if (send_gathered(s, n) != 0) return -1;
    if (s->wlen > s->woff) return 0; /* the socket is full: wait for EPOLLOUT */
  }
}

int rpc_sock_pending(const rpc_sock_t *s) {
  if (s->tls && rpc_tls_wants_write(s->tls)) return 1;
  return s->handshaken && s->wlen > s->woff;
}

const char *rpc_sock_error(const rpc_sock_t *s) {
  return s->tls ? rpc_tls_error(s->tls) : strerror(errno);
}
