/* gw_rest_h2.c - see gw_rest_h2.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "gw_rest_h2.h"

#define H2_STREAMS 100          /* concurrent requests a connection */
#define H2_IDLE_MS 30000u       /* a connection with no request for this long is closed */
#define H2_REQUEST_MS 10000u    /* a request must be whole (END_STREAM) by then */
#define H2_SEND_MS 30000u       /* an answer the client does not read by then is reset */
#define H2_SWEEP_MS 5000u       /* how often those are looked at */
#define H2_PATH_LEN 512         /* longer paths: 404 */
#define H2_WBUF_HIGH (1u << 20) /* stop pulling frames while this much waits */

typedef struct h2_stream {
  gw_h2conn_t *conn;
  int32_t sid;
  char method[8], path[H2_PATH_LEN], timeout[16], traceparent[64];
  int too_long, tp_bad;
  int dispatched;
  uint64_t born, answered_at; /* on the loop's clock */
  gw_rest_call_t *call;       /* while the answer is pending */
  char *body;
  size_t len, off;
  char status[4], clen[24];
  struct h2_stream *prev, *next; /* the connection's streams */
} h2_stream_t;

struct gw_h2conn {
  rpc_loop_t *loop;
  gw_rest_t *rest;
  nghttp2_session *s;
  rpc_io_t io;
  rpc_timer_t idle;
  rpc_defer_t flush;
  uint8_t *wbuf; /* bytes the socket did not take yet */
  size_t wlen, wcap;
  int epollout, dead;
  uint32_t streams;
  h2_stream_t *open; /* nghttp2_session_del frees streams without a word */
  uint64_t last_active;
  gw_h2conn_t **list, *prev, *next;
};

static int conn_flush(gw_h2conn_t *c);

static void copy_value(char *dst, size_t cap, const uint8_t *v, size_t n, int *too_long) {
  if (n >= cap) {
    if (too_long) *too_long = 1;
    n = cap - 1;
  }
  memcpy(dst, v, n);
  dst[n] = '\0';
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *ud) {
  gw_h2conn_t *c = ud;
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  h2_stream_t *st = calloc(1, sizeof(*st));
  if (!st) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* the stream is reset */
  st->conn = c;
  st->sid = f->hd.stream_id;
  st->born = c->last_active = rpc_loop_now(c->loop);
  st->next = c->open;
  if (c->open) c->open->prev = st;
  c->open = st;
  c->streams++;
  nghttp2_session_set_stream_user_data(s, f->hd.stream_id, st);
  return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *ud) {
  (void)flags, (void)ud;
  h2_stream_t *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
  if (!st) return 0;
#define IS(lit) (nlen == sizeof(lit) - 1 && memcmp(name, lit, nlen) == 0)
  if (IS(":method"))
    copy_value(st->method, sizeof(st->method), value, vlen, &st->too_long);
  else if (IS(":path"))
    copy_value(st->path, sizeof(st->path), value, vlen, &st->too_long);
  else if (IS("grpc-timeout"))
    copy_value(st->timeout, sizeof(st->timeout), value, vlen, NULL);
  else if (IS("traceparent"))
    copy_value(st->traceparent, sizeof(st->traceparent), value, vlen, &st->tp_bad);
#undef IS
  return 0;
}

static ssize_t read_body(nghttp2_session *s, int32_t sid, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *ud) {
  (void)s, (void)sid, (void)ud;
  h2_stream_t *st = src->ptr;
  size_t n = st->len - st->off;
  if (n > len) n = len;
  memcpy(buf, st->body + st->off, n);
  st->off += n;
  if (st->off == st->len) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

/* gw_rest's answer: the response, flushed at the end of the loop turn. */
static void on_answer(void *arg, int status, char *body, size_t len) {
  h2_stream_t *st = arg;
  gw_h2conn_t *c = st->conn;
  st->call = NULL;
  st->answered_at = rpc_loop_now(c->loop);
  st->body = body;
  st->len = body ? len : 0;
  snprintf(st->status, sizeof(st->status), "%d", status);
  snprintf(st->clen, sizeof(st->clen), "%zu", st->len);
#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE}
  nghttp2_nv nv[] = {NV(":status", st->status), NV("content-type", "application/json"),
                     NV("content-length", st->clen)};
#undef NV
  nghttp2_data_provider dp = {.source.ptr = st, .read_callback = read_body};
  nghttp2_submit_response(c->s, st->sid, nv, sizeof(nv) / sizeof(nv[0]), &dp);
  rpc_loop_defer(c->loop, &c->flush);
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *ud) {
  (void)ud;
  if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
      !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
    return 0;
  h2_stream_t *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
  if (!st || st->dispatched) return 0;
  st->dispatched = 1;
  gw_rest_req_t req = {.method = st->method,
                       .path = st->too_long ? "/" : st->path, /* no route: 404 */
                       .grpc_timeout = st->timeout[0] ? st->timeout : NULL,
                       .traceparent = st->traceparent[0] && !st->tp_bad ? st->traceparent : NULL};
  st->call = gw_rest_handle(st->conn->rest, &req, on_answer, st);
  return 0;
}

static void stream_free(gw_h2conn_t *c, h2_stream_t *st) {
  if (st->prev)
    st->prev->next = st->next;
  else
    c->open = st->next;
  if (st->next) st->next->prev = st->prev;
  if (st->call) gw_rest_drop(st->call); /* the client left before the answer */
  free(st->body);
  free(st);
  c->streams--;
}

static int on_stream_close(nghttp2_session *s, int32_t sid, uint32_t err, void *ud) {
  (void)err;
  gw_h2conn_t *c = ud;
  h2_stream_t *st = nghttp2_session_get_stream_user_data(s, sid);
  if (!st) return 0;
  nghttp2_session_set_stream_user_data(s, sid, NULL);
  stream_free(c, st);
  c->last_active = rpc_loop_now(c->loop);
  return 0;
}

static void conn_close(gw_h2conn_t *c) {
  if (c->dead) return;
  c->dead = 1;
  rpc_loop_del(c->loop, &c->io);
  rpc_timer_stop(c->loop, &c->idle);
  while (c->open)
    stream_free(c, c->open);
  nghttp2_session_del(c->s);
  c->s = NULL;
  close(c->io.fd);
  rpc_loop_undefer(c->loop, &c->flush);
  if (c->prev)
    c->prev->next = c->next;
  else
    *c->list = c->next;
  if (c->next) c->next->prev = c->prev;
  free(c->wbuf);
  free(c);
}

void gw_h2_free(gw_h2conn_t *c) {
  conn_close(c);
}

unsigned gw_h2_count(const gw_h2conn_t *list) {
  unsigned n = 0;
  for (; list; list = list->next)
    n++;
  return n;
}

/* Pulls frames into wbuf and writes what the socket takes. Returns 1, or
 * 0 when the connection is over (closed and freed here). */
static int conn_flush(gw_h2conn_t *c) {
  for (;;) {
    while (c->wlen < H2_WBUF_HIGH) {
      const uint8_t *p;
      ssize_t n = nghttp2_session_mem_send(c->s, &p);
      if (n < 0) {
        conn_close(c);
        return 0;
      }
      if (n == 0) break;
      if (c->wlen + (size_t)n > c->wcap) {
        size_t cap = c->wcap ? c->wcap : 16384;
        while (cap < c->wlen + (size_t)n)
          cap *= 2;
        uint8_t *nb = realloc(c->wbuf, cap);
        if (!nb) {
          conn_close(c);
          return 0;
        }
        c->wbuf = nb;
        c->wcap = cap;
      }
      memcpy(c->wbuf + c->wlen, p, (size_t)n);
      c->wlen += (size_t)n;
    }
    if (!c->wlen) break;
    ssize_t w = send(c->io.fd, c->wbuf, c->wlen, MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) break;
    if (w < 0) {
      conn_close(c);
      return 0;
    }
    memmove(c->wbuf, c->wbuf + w, c->wlen - (size_t)w);
    c->wlen -= (size_t)w;
  }
  int want = c->wlen > 0;
  if (want != c->epollout) {
    c->epollout = want;
    rpc_loop_mod(c->loop, &c->io, EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0));
  }
  if (!c->wlen && !nghttp2_session_want_read(c->s) && !nghttp2_session_want_write(c->s)) {
    conn_close(c);
    return 0;
  }
  return 1;
}

static void on_flush(rpc_defer_t *d) {
  conn_flush(d->arg);
}

static void on_io(rpc_io_t *io, uint32_t ev) {
  gw_h2conn_t *c = io->arg;
  if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    uint8_t buf[16384];
    for (int i = 0; i < 64; i++) { /* a turn reads a bounded amount */
      ssize_t n = recv(io->fd, buf, sizeof(buf), 0);
      if (n > 0) {
        if (nghttp2_session_mem_recv(c->s, buf, (size_t)n) < 0) {
          if (conn_flush(c)) conn_close(c); /* the GOAWAY, if one was queued */
          return;
        }
        /* answers (PING ACKs, SETTINGS ACKs) go out as they come: a flood
         * must not pile them up inside nghttp2 */
        if (!conn_flush(c)) return;
        if ((size_t)n < sizeof(buf)) break;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      /* the client closed (a half close cannot be told from a whole one
       * here): its calls are cancelled, as its RST_STREAM would */
      conn_close(c);
      return;
    }
  }
  conn_flush(c);
}

/* Requests that never end, answers never read, and an idle connection. */
static void on_sweep(rpc_timer_t *t) {
  gw_h2conn_t *c = t->arg;
  uint64_t now = rpc_loop_now(c->loop);
  if (!c->streams && now - c->last_active >= H2_IDLE_MS) {
    nghttp2_session_terminate_session(c->s, NGHTTP2_NO_ERROR);
    if (conn_flush(c)) conn_close(c);
    return;
  }
  for (h2_stream_t *st = c->open; st; st = st->next)
    if ((!st->dispatched && now - st->born >= H2_REQUEST_MS) ||
        (st->answered_at && now - st->answered_at >= H2_SEND_MS))
      nghttp2_submit_rst_stream(c->s, NGHTTP2_FLAG_NONE, st->sid, NGHTTP2_CANCEL);
  if (!conn_flush(c)) return;
  rpc_timer_start(c->loop, t, H2_SWEEP_MS);
}

gw_h2conn_t *gw_h2_new(rpc_loop_t *loop, int fd, gw_rest_t *rest, gw_h2conn_t **list) {
  gw_h2conn_t *c = calloc(1, sizeof(*c));
  nghttp2_session_callbacks *cbs = NULL;
  if (!c || nghttp2_session_callbacks_new(&cbs) != 0) {
    free(c);
    close(fd);
    return NULL;
  }
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
  int r = nghttp2_session_server_new(&c->s, cbs, c);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_settings_entry set[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, H2_STREAMS}};
  if (r != 0 || nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, set, 1) != 0) {
    if (c->s) nghttp2_session_del(c->s);
    free(c);
    close(fd);
    return NULL;
  }
  c->loop = loop;
  c->rest = rest;
  c->io.fd = fd;
  c->io.fn = on_io;
  c->io.arg = c;
  c->flush.fn = on_flush;
  c->flush.arg = c;
  c->idle.fn = on_sweep;
  c->idle.arg = c;
  c->last_active = rpc_loop_now(loop);
  c->list = list;
  c->next = *list;
  if (*list) (*list)->prev = c;
  *list = c;
  if (rpc_loop_add(loop, &c->io, EPOLLIN | EPOLLRDHUP) != 0) {
    conn_close(c);
    return NULL;
  }
  rpc_timer_start(loop, &c->idle, H2_SWEEP_MS);
  rpc_loop_defer(loop, &c->flush); /* our SETTINGS */
  return c;
}
