/* dm_http.c - see dm_http.h. */
#include <errno.h>
#include <stdint.h>
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
#include "rpc_server.h"

#define HTTP_MAX_CONNS 256 /* scrapers, an operator's curl, REST clients */
#define HTTP_TIMEOUT_S 30  /* an idle or slow client is closed after this */

struct dm_http {
  rpc_loop_t *loop;
  struct MHD_Daemon *mhd;
  rpc_io_t io;       /* libmicrohttpd's epoll descriptor */
  rpc_timer_t timer; /* its next timeout */
  rpc_defer_t kick;  /* a resumed connection: run it this turn */
  dm_http_fn fn;
  void *arg;
};

struct dm_http_req {
  dm_http_t *h;
  struct MHD_Connection *conn;
  const char *method, *path;
  int dispatched, suspended, answered;
  unsigned status;
  struct MHD_Response *resp;
  void (*on_gone)(void *arg);
  void *gone_arg;
  /* while suspended libmicrohttpd does not watch the socket: we do, for
   * the client's leaving (EPOLLRDHUP), so that its call is dropped then */
  rpc_io_t watch;
  int watching;
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

static void on_kick(rpc_defer_t *d) {
  run(d->arg);
}

const char *dm_http_method(const dm_http_req_t *req) {
  return req->method;
}

const char *dm_http_path(const dm_http_req_t *req) {
  return req->path;
}

const char *dm_http_header(const dm_http_req_t *req, const char *name) {
  return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void dm_http_on_gone(dm_http_req_t *req, void (*fn)(void *arg), void *arg) {
  req->on_gone = fn;
  req->gone_arg = arg;
}

static void unwatch(dm_http_req_t *req) {
  if (!req->watching) return;
  rpc_loop_del(req->h->loop, &req->watch);
  req->watching = 0;
}

void dm_http_answer(dm_http_req_t *req, int status, const char *content_type, char *body,
                    size_t len) {
  unwatch(req);
  req->answered = 1;
  req->on_gone = NULL;
  req->status = (unsigned)status;
  req->resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
  if (!req->resp)
    free(body);
  else if (content_type)
    MHD_add_response_header(req->resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  if (req->suspended) { /* the connection waits: wake it, and run MHD this turn */
    req->suspended = 0;
    MHD_resume_connection(req->conn);
    rpc_loop_defer(req->h->loop, &req->h->kick);
  }
}

/* The client closed while its answer was pending: the owner drops the
 * request, and an answer nobody reads lets libmicrohttpd close it. */
static void on_leave(rpc_io_t *io, uint32_t events) {
  (void)events;
  dm_http_req_t *req = io->arg;
  unwatch(req);
  void (*gone)(void *) = req->on_gone;
  req->on_gone = NULL;
  if (gone) gone(req->gone_arg);
  if (!req->answered) dm_http_answer(req, 499, NULL, NULL, 0);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_len, void **state) {
  (void)version, (void)upload;
  dm_http_t *h = cls;
  dm_http_req_t *req = *state;
  if (!req) { /* the headers are in */
    if (!(req = calloc(1, sizeof(*req)))) return MHD_NO;
    req->h = h;
    req->conn = conn;
    req->method = method;
    req->path = url;
    *state = req;
    return MHD_YES;
  }
  if (*upload_len) {
    *upload_len = 0; /* a body is not wanted: dropped */
    return MHD_YES;
  }
  if (!req->dispatched) {
    req->dispatched = 1;
    h->fn(h->arg, req);
  }
  if (!req->answered) { /* later, from the loop */
    req->suspended = 1;
    MHD_suspend_connection(conn);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci) {
      req->watch = (rpc_io_t){ci->connect_fd, on_leave, req};
      req->watching = rpc_loop_add(h->loop, &req->watch, EPOLLRDHUP) == 0;
    }
    return MHD_YES;
  }
  if (!req->resp) return MHD_NO;
  enum MHD_Result ret = MHD_queue_response(conn, req->status, req->resp);
  MHD_destroy_response(req->resp);
  req->resp = NULL;
  return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
                         enum MHD_RequestTerminationCode why) {
  (void)cls, (void)conn, (void)why;
  dm_http_req_t *req = *state;
  if (!req) return;
  unwatch(req);
  if (req->on_gone) req->on_gone(req->gone_arg);
  if (req->resp) MHD_destroy_response(req->resp);
  free(req);
  *state = NULL;
}

/* The path is handed on as sent: its reader decodes each segment, so that
 * an escaped '/' or NUL stays inside its segment. */
static size_t keep_escapes(void *cls, struct MHD_Connection *conn, char *uri) {
  (void)cls, (void)conn;
  return strlen(uri);
}

dm_http_t *dm_http_new(rpc_loop_t *loop, const char *listen, int reuseport, dm_http_fn fn,
                       void *arg) {
  dm_http_t *h = calloc(1, sizeof(*h));
  if (!h) return NULL;
  int fd = -1;
  if (listen && (fd = rpc_listen(listen, reuseport)) < 0) {
    rpc_log("cannot listen on %s for HTTP: %s", listen, strerror(errno));
    free(h);
    return NULL;
  }
  h->loop = loop;
  h->fn = fn;
  h->arg = arg;
  /* no thread: everything runs in our loop's turns */
  unsigned flags =
      MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | (fd < 0 ? MHD_USE_NO_LISTEN_SOCKET : 0);
  struct MHD_OptionItem opts[] = {{MHD_OPTION_CONNECTION_LIMIT, HTTP_MAX_CONNS, NULL},
                                  {MHD_OPTION_CONNECTION_TIMEOUT, HTTP_TIMEOUT_S, NULL},
                                  {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, h},
                                  {MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)keep_escapes, NULL},
                                  {fd >= 0 ? MHD_OPTION_LISTEN_SOCKET : MHD_OPTION_END, fd, NULL},
                                  {MHD_OPTION_END, 0, NULL}};
  h->mhd =
      MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
  const union MHD_DaemonInfo *info =
      h->mhd ? MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
  if (!info) {
    rpc_log("cannot serve HTTP%s%s", listen ? " on " : "", listen ? listen : "");
    if (h->mhd) MHD_stop_daemon(h->mhd);
    if (fd >= 0) close(fd);
    free(h);
    return NULL;
  }
  h->io.fd = info->epoll_fd;
  h->io.fn = on_io;
  h->io.arg = h;
  h->timer.fn = on_timer;
  h->timer.arg = h;
  h->kick.fn = on_kick;
  h->kick.arg = h;
  if (rpc_loop_add(loop, &h->io, EPOLLIN) != 0) {
    MHD_stop_daemon(h->mhd);
    if (fd >= 0) close(fd);
    free(h);
    return NULL;
  }
  run(h); /* arms the first timeout */
  return h;
}

int dm_http_add(dm_http_t *h, int fd, const struct sockaddr *sa, socklen_t len) {
  if (MHD_add_connection(h->mhd, fd, sa, len) != MHD_YES) return -1; /* MHD closed it */
  rpc_loop_defer(h->loop, &h->kick);
  return 0;
}

void dm_http_free(dm_http_t *h) {
  if (!h) return;
  rpc_loop_del(h->loop, &h->io);
  rpc_timer_stop(h->loop, &h->timer);
  rpc_loop_undefer(h->loop, &h->kick);
  /* MHD closes a listening socket it was given only when it made it */
  MHD_socket fd = MHD_quiesce_daemon(h->mhd);
  MHD_stop_daemon(h->mhd);
  if (fd != MHD_INVALID_SOCKET) close(fd);
  free(h);
}
