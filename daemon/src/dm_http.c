/* dm_http.c - see dm_http.h. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "dm_http.h"
#include "rpc.h"
#include "rpc_log.h"

#define HTTP_MAX_CONNS 32 /* a scraper or two, and an operator's curl */
#define HTTP_TIMEOUT_S 10 /* an idle or slow client is closed after this */
#define HTTP_HOST_LEN 256

struct dm_http {
  rpc_loop_t *loop;
  struct MHD_Daemon *mhd;
  rpc_io_t io;       /* libmicrohttpd's epoll descriptor */
  rpc_timer_t timer; /* its next timeout */
  dm_http_fn fn;
  void *arg;
};

static void run(dm_http_t *h) {
  MHD_run(h->mhd);
  MHD_UNSIGNED_LONG_LONG ms;
  if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
    rpc_timer_start(h->loop, &h->timer, ms);
  else
    rpc_timer_stop(h->loop, &h->timer);
}

static void on_io(rpc_io_t *io, uint32_t events) {
  (void)events;
  run(io->arg);
}

static void on_timer(rpc_timer_t *t) {
  run(t->arg);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_len, void **state) {
  (void)version, (void)upload;
  dm_http_t *h = cls;
  if (!*state) { /* the headers are in; a body, if any, is not wanted */
    *state = h;
    return MHD_YES;
  }
  if (*upload_len) {
    *upload_len = 0; /* discarded */
    return MHD_YES;
  }
  dm_http_reply_t r = {0};
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    r.status = MHD_HTTP_METHOD_NOT_ALLOWED;
  } else {
    h->fn(h->arg, url, &r);
  }
  if (!r.body) { /* a status alone: a one-line body says it */
    r.content_type = "text/plain; charset=utf-8";
    r.body = malloc(64);
    r.len = r.body ? (size_t)snprintf(r.body, 64, "%d\n", r.status) : 0;
  }
  struct MHD_Response *resp = MHD_create_response_from_buffer(r.len, r.body, MHD_RESPMEM_MUST_FREE);
  if (!resp) {
    free(r.body);
    return MHD_NO;
  }
  if (r.content_type) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type);
  if (r.status == MHD_HTTP_METHOD_NOT_ALLOWED)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r.status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static int listen_on(const char *addr, int reuseport) {
  char host[HTTP_HOST_LEN], port[8];
  uint16_t p;
  if (rpc_addr_split(addr, host, sizeof(host), &p) != RPC_OK) {
    errno = EINVAL;
    return -1;
  }
  snprintf(port, sizeof(port), "%u", p);
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
  if (getaddrinfo(host, port, &hints, &res) != 0) {
    errno = EINVAL;
    return -1;
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0) {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 64) != 0) {
      int e = errno;
      close(fd);
      fd = -1;
      errno = e;
    }
  }
  freeaddrinfo(res);
  return fd;
}

dm_http_t *dm_http_new(rpc_loop_t *loop, const char *listen, int reuseport, dm_http_fn fn,
                       void *arg) {
  dm_http_t *h = calloc(1, sizeof(*h));
  if (!h) return NULL;
  int fd = listen_on(listen, reuseport);
  if (fd < 0) {
    rpc_log("cannot listen on %s for HTTP: %s", listen, strerror(errno));
    free(h);
    return NULL;
  }
  h->loop = loop;
  h->fn = fn;
  h->arg = arg;
  /* no thread: everything runs in our loop's turns */
  h->mhd =
      MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, fd,
                       MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNS,
                       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S, MHD_OPTION_END);
  const union MHD_DaemonInfo *info =
      h->mhd ? MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
  if (!info) {
    rpc_log("cannot serve HTTP on %s", listen);
    if (h->mhd) MHD_stop_daemon(h->mhd);
    close(fd);
    free(h);
    return NULL;
  }
  h->io.fd = info->epoll_fd;
  h->io.fn = on_io;
  h->io.arg = h;
  h->timer.fn = on_timer;
  h->timer.arg = h;
  if (rpc_loop_add(loop, &h->io, EPOLLIN) != 0) {
    MHD_stop_daemon(h->mhd);
    close(fd);
    free(h);
    return NULL;
  }
  run(h); /* arms the first timeout */
  return h;
}

void dm_http_free(dm_http_t *h) {
  if (!h) return;
  rpc_loop_del(h->loop, &h->io);
  rpc_timer_stop(h->loop, &h->timer);
  /* MHD closes a listening socket it was given only when it made it */
  MHD_socket fd = MHD_quiesce_daemon(h->mhd);
  MHD_stop_daemon(h->mhd);
  if (fd != MHD_INVALID_SOCKET) close(fd);
  free(h);
}
