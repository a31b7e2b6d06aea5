/* port_posix.c - the port on Linux (host and the Linux boards): a TCP socket,
 * CLOCK_MONOTONIC, the system's date, getrandom() and a buffered console. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "port.h"

struct port_net {
  int fd;
};

static port_net_t the_net = {-1};

/* Standard output is gathered and written when the client is about to wait
 * (for the network, or a sleep), before anything goes to standard error, and
 * at exit: a streamed call's lines leave a few kilobytes a system call, not
 * one each, and never later than the client's next wait. */
static char out_buf[8192];
static size_t out_len;

static void write_all(int fd, const char *s, size_t n) {
  while (n) {
    ssize_t w = write(fd, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    s += w;
    n -= (size_t)w;
  }
}

static void console_flush(void) {
  if (!out_len) return;
  size_t n = out_len;
  out_len = 0;
  write_all(1, out_buf, n);
}

static int32_t net_send(port_net_t *n, const uint8_t *buf, size_t len) {
  ssize_t w = send(n->fd, buf, len, MSG_NOSIGNAL);
  if (w >= 0) return (int32_t)w;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
    console_flush();
    struct pollfd p = {n->fd, POLLOUT, 0};
    poll(&p, 1, 100);
    return 0;
  }
  return PORT_ERR_IO;
}

static int32_t net_recv(port_net_t *n, uint8_t *buf, size_t len, uint32_t timeout_ms) {
  if (len > INT32_MAX) len = INT32_MAX;
  /* what has arrived is read without a poll; the client only waits (and so
   * writes its gathered output) when nothing has */
  ssize_t got = recv(n->fd, buf, len, MSG_DONTWAIT);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    console_flush();
    struct pollfd p = {n->fd, POLLIN, 0};
    int r = poll(&p, 1, (int)timeout_ms);
    if (r == 0 || (r < 0 && errno == EINTR)) return 0;
    if (r < 0) return PORT_ERR_IO;
    got = recv(n->fd, buf, len, MSG_DONTWAIT);
  }
  if (got > 0) return (int32_t)got;
  if (got == 0) return PORT_ERR_CLOSED;
  if (errno == EAGAIN || errno == EINTR) return 0;
  return PORT_ERR_IO;
}

static int connect_one(const struct addrinfo *ai, uint32_t timeout_ms) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) return PORT_ERR_IO;
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      int e = errno;
      close(fd);
      return e == ECONNREFUSED ? PORT_ERR_REFUSED : PORT_ERR_IO;
    }
    struct pollfd p = {fd, POLLOUT, 0};
    int r = poll(&p, 1, (int)timeout_ms);
    int err = 0;
    socklen_t el = sizeof(err);
    if (r <= 0) {
      close(fd);
      return PORT_ERR_TIMEOUT;
    }
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err) {
      close(fd);
      return err == ECONNREFUSED ? PORT_ERR_REFUSED : PORT_ERR_IO;
    }
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

int port_net_open(port_transport_t *t, const char *host, uint16_t port, uint32_t timeout_ms) {
  char service[8];
  struct addrinfo hints, *res = NULL;
  if (!t || !host || !*host) return PORT_ERR_ARG;
  snprintf(service, sizeof(service), "%u", (unsigned)port);
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  if (getaddrinfo(host, service, &hints, &res) != 0 || !res) return PORT_ERR_RESOLVE;
  int fd = PORT_ERR_RESOLVE;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = connect_one(ai, timeout_ms);
    if (fd >= 0) break;
  }
  freeaddrinfo(res);
  if (fd < 0) return fd;
  the_net.fd = fd;
  t->net = &the_net;
  t->send = net_send;
  t->recv = net_recv;
  t->why = NULL;
  return PORT_OK;
}

/* The OS configures the host's addresses. */
int port_net_config(const char *ip, const char *gw, const char *dns) {
  return ip || gw || dns ? PORT_ERR_ARG : PORT_OK;
}

void port_net_close(port_transport_t *t) {
  if (t && t->net && t->net->fd >= 0) {
    close(t->net->fd);
    t->net->fd = -1;
  }
}

uint32_t port_time_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

void port_sleep_ms(uint32_t ms) {
  console_flush();
  struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

int64_t port_utc_seconds(void) {
  return (int64_t)time(NULL);
}

int port_entropy(uint8_t *buf, size_t len) {
  while (len) {
    ssize_t n = getrandom(buf, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return PORT_ERR_IO;
    }
    buf += n;
    len -= (size_t)n;
  }
  return PORT_OK;
}

long port_file_read(const char *path, uint8_t *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (!f) return PORT_ERR_IO;
  size_t n = fread(buf, 1, cap, f);
  int more = fgetc(f) != EOF, bad = ferror(f);
  fclose(f);
  if (bad) return PORT_ERR_IO;
  return more ? PORT_ERR_ARG : (long)n;
}

void port_console_write(int stream, const char *s, size_t n) {
  static int registered;
  if (stream == 2) { /* errors unbuffered, after the output before them */
    console_flush();
    write_all(2, s, n);
    return;
  }
  if (!registered) registered = atexit(console_flush) == 0;
  if (out_len + n > sizeof(out_buf)) console_flush();
  if (!registered || n > sizeof(out_buf)) {
    write_all(1, s, n);
    return;
  }
  memcpy(out_buf + out_len, s, n);
  out_len += n;
}

size_t port_stack_high_water(size_t *size) {
  if (size) *size = 0;
  return 0; /* the OS grows the stack: nothing to watch */
}

const char *port_strerror(int err) {
  switch (err) {
  case PORT_OK:
    return "ok";
  case PORT_ERR_ARG:
    return "bad address";
  case PORT_ERR_RESOLVE:
    return "no such host";
  case PORT_ERR_REFUSED:
    return "connection refused";
  case PORT_ERR_TIMEOUT:
    return "connection timed out";
  case PORT_ERR_CLOSED:
    return "connection closed by the server";
  default:
    return "transport error";
  }
}
