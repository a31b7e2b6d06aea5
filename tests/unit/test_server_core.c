/* test_server_core.c - the I/O-free server core driven by bytes alone: an
 * nghttp2 client session writes requests into rpc_sconn_recv and reads what
 * rpc_sconn_send hands out, on a clock moved by hand. No socket, no loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "rpc_server_core.h"
#include "tap.h"

/* --- the clock and the driver hooks ------------------------------------- */

static uint64_t now_ms = 1000;
static int wakes;

static uint64_t clock_fn(void *arg) {
  (void)arg;
  return now_ms;
}

static void wake_fn(void *arg) {
  (void)arg;
  wakes++;
}

/* --- the handlers --------------------------------------------------------- */

static int calls, ends, msgs, half_closes;
static rpc_end_t last_end;
static rpc_scall_t *held; /* a call the handler answers later */
static int64_t remaining;
static size_t msg_bytes;
static char md_seen[64];

/* Echo: the request back, its custom metadata back as header and trailer. */
static void echo_call(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud) {
  (void)ud;
  calls++;
  const char *name, *value;
  if (rpc_scall_metadata(call, 0, &name, &value)) {
    snprintf(md_seen, sizeof(md_seen), "%s=%s", name, value);
    rpc_scall_set_header(call, "x-echo", value);
    rpc_scall_set_trailer(call, "x-echo-trailer", value);
  }
  rpc_scall_send(call, req, len);
  rpc_scall_finish(call, RPC_CODE_OK, NULL);
}

/* Holds the call: the test answers it, or the deadline ends it. */
static void hold_call(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud) {
  (void)req, (void)len, (void)ud;
  calls++;
  held = call;
  remaining = rpc_scall_remaining_ms(call);
}

static void on_end(rpc_scall_t *call, rpc_end_t why, void *ud) {
  (void)ud;
  ends++;
  last_end = why;
  if (call == held) held = NULL;
}

/* A request stream: counts the messages, answers the total at half-close. */
static void sum_call(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud) {
  (void)call, (void)ud, (void)len;
  calls++;
  CHECK(req == NULL); /* on_call of a request stream comes before any message */
}

static void sum_msg(rpc_scall_t *call, const uint8_t *msg, size_t len, void *ud) {
  (void)ud;
  if (!msg) {
    half_closes++;
    uint8_t total = (uint8_t)msg_bytes;
    rpc_scall_send(call, &total, 1);
    rpc_scall_finish(call, RPC_CODE_OK, NULL);
    return;
  }
  msgs++;
  msg_bytes += len;
}

/* --- the client: an nghttp2 session and what it saw, per stream --------- */

typedef struct {
  int http_status, grpc_status, closed, headers_frames;
  uint32_t rst;
  char grpc_message[128];
  char echo_header[128], echo_trailer[128];
  uint8_t data[256];
  size_t data_len;
} seen_t;

static seen_t seen[16]; /* by stream id / 2 */
static int goaway_seen;
static uint32_t goaway_code;
static int32_t goaway_last;
static char goaway_debug[32];
static int server_pings;    /* PINGs the server sent (the client ACKs them) */
static int server_settings; /* SETTINGS (not ACKs) the server sent */

static seen_t *seen_of(int32_t sid) {
  return &seen[(sid / 2) % 16];
}

static int c_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                    const uint8_t *value, size_t vlen, uint8_t flags, void *ud) {
  (void)s, (void)flags, (void)ud;
  seen_t *st = seen_of(f->hd.stream_id);
  char v[128];
  snprintf(v, sizeof(v), "%.*s", (int)vlen, (const char *)value);
  if (nlen == 7 && memcmp(name, ":status", 7) == 0) st->http_status = atoi(v);
  if (nlen == 11 && memcmp(name, "grpc-status", 11) == 0) st->grpc_status = atoi(v);
  if (nlen == 12 && memcmp(name, "grpc-message", 12) == 0)
    snprintf(st->grpc_message, sizeof(st->grpc_message), "%s", v);
  if (nlen == 6 && memcmp(name, "x-echo", 6) == 0)
    snprintf(st->echo_header, sizeof(st->echo_header), "%s", v);
  if (nlen == 14 && memcmp(name, "x-echo-trailer", 14) == 0)
    snprintf(st->echo_trailer, sizeof(st->echo_trailer), "%s", v);
  return 0;
}

static int c_frame(nghttp2_session *s, const nghttp2_frame *f, void *ud) {
  (void)s, (void)ud;
  if (f->hd.type == NGHTTP2_HEADERS) seen_of(f->hd.stream_id)->headers_frames++;
  if (f->hd.type == NGHTTP2_GOAWAY) {
    goaway_seen = 1;
    goaway_code = f->goaway.error_code;
    goaway_last = f->goaway.last_stream_id;
    snprintf(goaway_debug, sizeof(goaway_debug), "%.*s", (int)f->goaway.opaque_data_len,
             (const char *)f->goaway.opaque_data);
  }
  if (f->hd.type == NGHTTP2_PING && !(f->hd.flags & NGHTTP2_FLAG_ACK)) server_pings++;
  if (f->hd.type == NGHTTP2_SETTINGS && !(f->hd.flags & NGHTTP2_FLAG_ACK)) server_settings++;
  if (f->hd.type == NGHTTP2_RST_STREAM) seen_of(f->hd.stream_id)->rst = f->rst_stream.error_code;
  return 0;
}

static int c_data(nghttp2_session *s, uint8_t flags, int32_t sid, const uint8_t *d, size_t len,
                  void *ud) {
  (void)s, (void)flags, (void)ud;
  seen_t *st = seen_of(sid);
  if (st->data_len + len <= sizeof(st->data)) memcpy(st->data + st->data_len, d, len);
  st->data_len += len;
  return 0;
}

static int c_close(nghttp2_session *s, int32_t sid, uint32_t err, void *ud) {
  (void)s, (void)err, (void)ud;
  seen_of(sid)->closed = 1;
  return 0;
}

typedef struct {
  const uint8_t *p;
  size_t len, off;
  int eof;
} body_t;

static ssize_t c_read(nghttp2_session *s, int32_t sid, uint8_t *buf, size_t len, uint32_t *flags,
                      nghttp2_data_source *src, void *ud) {
  (void)s, (void)sid, (void)ud;
  body_t *b = src->ptr;
  size_t n = b->len - b->off < len ? b->len - b->off : len;
  memcpy(buf, b->p + b->off, n);
  b->off += n;
  if (b->off == b->len && b->eof) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return n || b->eof ? (ssize_t)n : NGHTTP2_ERR_DEFERRED;
}

static nghttp2_session *client_new(void) {
  nghttp2_session_callbacks *cbs;
  nghttp2_session *cs;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_header_callback(cbs, c_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, c_frame);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, c_data);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, c_close);
  nghttp2_session_client_new(&cs, cbs, NULL);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_submit_settings(cs, NGHTTP2_FLAG_NONE, NULL, 0);
  return cs;
}

/* Moves bytes both ways until neither side has any to send. */
static void pump(nghttp2_session *cs, rpc_sconn_t *c) {
  for (int round = 0; round < 100; round++) {
    const uint8_t *p;
    ssize_t n;
    int moved = 0;
    while ((n = nghttp2_session_mem_send(cs, &p)) > 0) {
      CHECK(rpc_sconn_recv(c, p, (size_t)n) == RPC_OK);
      moved = 1;
    }
    long k;
    while ((k = rpc_sconn_send(c, &p)) > 0) {
      nghttp2_session_mem_recv(cs, p, (size_t)k);
      moved = 1;
    }
    if (!moved) return;
  }
}

#define NV(n, v)                                                                                   \
  { (uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE }

/* Starts a call; body (a gRPC-framed stream) may be NULL: headers only, the
 * stream left open when !eof. Returns the stream id. */
static int32_t request(nghttp2_session *cs, const char *method, const char *path,
                       const char *timeout, body_t *body) {
  nghttp2_nv nv[7] = {NV(":method", method),
                      NV(":scheme", "http"),
                      NV(":path", path),
                      NV(":authority", "test"),
                      NV("content-type", "application/grpc"),
                      NV("x-tag", "blue")};
  size_t n = 6;
  if (timeout) nv[n++] = (nghttp2_nv)NV("grpc-timeout", timeout);
  nghttp2_data_provider prd = {{.ptr = body}, c_read};
  return nghttp2_submit_request(cs, NULL, nv, n, body ? &prd : NULL, NULL);
}

static const uint8_t one_msg[] = {0, 0, 0, 0, 3, 'a', 'b', 'c'};

/* n client PINGs gap ms apart. */
static void client_pings(nghttp2_session *cs, rpc_sconn_t *c, int n, uint64_t gap) {
  for (int i = 0; i < n; i++) {
    now_ms += gap;
    nghttp2_submit_ping(cs, NGHTTP2_FLAG_NONE, NULL);
    pump(cs, c);
  }
}

/* Keepalive on a clock moved by hand: strikes (and grpc-go's free PING after
 * a response), the server's PING and its timeout, the age's two GOAWAYs. */
static void test_keepalive(const rpc_method_t *methods) {
  rpc_server_limits_t lim = {0};
  lim.keepalive_min_ms = 1000;
  lim.keepalive_ms = 100;
  lim.keepalive_timeout_ms = 50;
  rpc_server_env_t env = {.now_ms = clock_fn, .wake = wake_fn};
  rpc_server_core_t *core = rpc_server_core_new(methods, 3, &lim, &env);

  /* 4 PINGs 10 ms apart: 3 strikes, GOAWAY ENHANCE_YOUR_CALM, dropped */
  rpc_sconn_t *c = rpc_sconn_new(core, "ka:1", NULL);
  nghttp2_session *cs = client_new();
  pump(cs, c);
  goaway_seen = 0;
  client_pings(cs, c, 3, 10);
  CHECK(!rpc_sconn_dropped(c) && !goaway_seen);
  client_pings(cs, c, 1, 10);
  CHECK(rpc_sconn_dropped(c) && goaway_seen && goaway_code == NGHTTP2_ENHANCE_YOUR_CALM);
  CHECK(strcmp(goaway_debug, "too_many_pings") == 0);
  nghttp2_session_del(cs);
  rpc_sconn_free(c);

  /* a PING after the server sent HEADERS/DATA is free and clears the strikes */
  c = rpc_sconn_new(core, "ka:2", NULL);
  cs = client_new();
  pump(cs, c);
  client_pings(cs, c, 3, 10); /* 2 strikes */
  body_t b = {one_msg, sizeof(one_msg), 0, 1};
  request(cs, "POST", "/t.S/Echo", NULL, &b);
  pump(cs, c);
  client_pings(cs, c, 3, 10); /* free, then 2 strikes */
  CHECK(!rpc_sconn_dropped(c));
  client_pings(cs, c, 1, 10);
  CHECK(rpc_sconn_dropped(c));
  nghttp2_session_del(cs);
  rpc_sconn_free(c);

  /* the server PINGs after keepalive_ms without a read; an ACK keeps the
   * connection, silence past the timeout drops it */
  c = rpc_sconn_new(core, "ka:3", NULL);
  cs = client_new();
  pump(cs, c);
  server_pings = 0;
  now_ms += 99;
  rpc_sconn_tick(c);
  pump(cs, c);
  CHECK(server_pings == 0);
  now_ms += 1;
  CHECK(rpc_sconn_next_due(c) <= now_ms);
  rpc_sconn_tick(c);
  pump(cs, c); /* nghttp2's client ACKs it */
  CHECK(server_pings == 1);
  now_ms += 60;
  rpc_sconn_tick(c);
  CHECK(!rpc_sconn_dropped(c));
  now_ms += 100;
  rpc_sconn_tick(c);
  const uint8_t *p;
  long n;
  while ((n = rpc_sconn_send(c, &p)) > 0)
    nghttp2_session_mem_recv(cs, p, (size_t)n); /* the PING goes out; nothing comes back */
  now_ms += 49;
  rpc_sconn_tick(c);
  CHECK(!rpc_sconn_dropped(c));
  now_ms += 1;
  rpc_sconn_tick(c);
  CHECK(rpc_sconn_dropped(c));
  nghttp2_session_del(cs);
  rpc_sconn_free(c);
  rpc_server_core_free(core);

  /* max age: GOAWAY 2^31-1 and a PING, on its ACK the final GOAWAY naming
   * the held call's stream; the call goes on until the grace is over */
  lim.keepalive_ms = 1000000;
  lim.max_age_ms = 1000;
  lim.max_age_grace_ms = 500;
  core = rpc_server_core_new(methods, 3, &lim, &env);
  c = rpc_sconn_new(core, "ka:4", NULL);
  cs = client_new();
  body_t b2 = {one_msg, sizeof(one_msg), 0, 1};
  int32_t sid = request(cs, "POST", "/t.S/Hold", NULL, &b2);
  pump(cs, c);
  CHECK(held != NULL);
  goaway_seen = 0;
  now_ms += 899; /* under 1000 - 10 % */
  rpc_sconn_tick(c);
  pump(cs, c);
  CHECK(!goaway_seen);
  now_ms += 201; /* over 1000 + 10 % */
  rpc_sconn_tick(c);
  pump(cs, c);
  CHECK(goaway_seen && goaway_code == NGHTTP2_NO_ERROR && goaway_last == sid);
  CHECK(held != NULL && !rpc_sconn_dropped(c));
  now_ms += 500;
  rpc_sconn_tick(c);
  CHECK(rpc_sconn_dropped(c));
  rpc_sconn_free(c); /* ends the held call */
  CHECK(held == NULL);
  nghttp2_session_del(cs);
  rpc_server_core_free(core);
}

/* A core with the test methods, a connection to it and a client session for
 * it, not yet exchanged: the room and idle tests' start. */
typedef struct fixture {
  rpc_server_core_t *core;
  rpc_sconn_t *c;
  nghttp2_session *cs;
} fixture_t;

static fixture_t fixture_new(const rpc_method_t *methods, const char *peer) {
  static const rpc_server_env_t env = {.now_ms = clock_fn, .wake = wake_fn};
  fixture_t f;
  f.core = rpc_server_core_new(methods, 3, NULL, &env);
  f.c = rpc_sconn_new(f.core, peer, NULL);
  f.cs = client_new();
  return f;
}

/* An idle connection: the client is asked to empty the header table it
 * compresses with, the session's idle pages go back (the stream map at
 * once, the header tables' arrays once the client's ACK has emptied its
 * table), and the next call gets the 4096-byte table back. */
static int rooms;          /* room_fn calls */
static size_t room_queued; /* rpc_scall_queued when room_fn ran */

static void on_room(rpc_scall_t *call, void *arg) {
  (void)arg;
  rooms++;
  room_queued = rpc_scall_queued(call);
}

/* rpc_scall_when_room: once, when the client has read the queue down to the
 * mark, not before; never after the finish; at once when already below. */
static void test_room(const rpc_method_t *methods) {
  fixture_t f = fixture_new(methods, "test:room");
  rpc_server_core_t *core = f.core;
  rpc_sconn_t *c = f.c;
  nghttp2_session *cs = f.cs;
  pump(cs, c);
  body_t b = {one_msg, sizeof(one_msg), 0, 1};
  int32_t sid = request(cs, "POST", "/t.S/Hold", NULL, &b);
  memset(seen_of(sid), 0, sizeof(seen_t)); /* an earlier test's stream of that id */
  pump(cs, c);
  CHECK(held != NULL);
  static uint8_t msg[10000]; /* rpc_scall_send adds the 5-byte prefix */
  for (int i = 0; i < 20; i++)
    rpc_scall_send(held, msg, sizeof(msg)); /* 200 KB */
  rooms = 0;
  rpc_scall_when_room(held, 50000, on_room, NULL);
  CHECK(rooms == 0);
  /* the server's part alone: the client's window (64 KiB) takes some */
  const uint8_t *p;
  long n;
  while ((n = rpc_sconn_send(c, &p)) > 0)
    nghttp2_session_mem_recv(cs, p, (size_t)n);
  CHECK(rpc_scall_queued(held) > 50000 && rooms == 0);
  pump(cs, c); /* the client reads all and opens its window */
  CHECK(rooms == 1 && room_queued <= 50000);
  CHECK(seen_of(sid)->data_len == 20 * (5 + sizeof(msg)));
  /* already below: at the next send */
  rpc_scall_when_room(held, 50000, on_room, NULL);
  pump(cs, c);
  CHECK(rooms == 2);
  /* a finished call's fn is dropped */
  for (int i = 0; i < 20; i++)
    rpc_scall_send(held, msg, sizeof(msg));
  rpc_scall_when_room(held, 50000, on_room, NULL);
  rpc_scall_finish(held, RPC_CODE_OK, NULL);
  pump(cs, c);
  CHECK(rooms == 2);
  CHECK(seen_of(sid)->closed && seen_of(sid)->grpc_status == 0);
  CHECK(seen_of(sid)->data_len == 40 * (5 + sizeof(msg)));
  rpc_sconn_free(c);
  nghttp2_session_del(cs);
  rpc_server_core_free(core);
}

/* pump for a client that ACKs only the server's first SETTINGS: its
 * frames are cut from its output, and the later SETTINGS ACKs dropped. */
static void pump_noack(nghttp2_session *cs, rpc_sconn_t *c, int *acks) {
  static uint8_t out[65536];
  static size_t len, off = 24; /* the preface, passed on whole */
  for (int round = 0; round < 100; round++) {
    const uint8_t *p;
    ssize_t n;
    int moved = 0;
    while ((n = nghttp2_session_mem_send(cs, &p)) > 0) {
      CHECK(len + (size_t)n <= sizeof(out));
      memcpy(out + len, p, (size_t)n);
      len += (size_t)n;
      moved = 1;
    }
    if (off == 24 && len >= 24) {
      CHECK(rpc_sconn_recv(c, out, 24) == RPC_OK);
      memmove(out, out + 24, len - 24);
      len -= 24;
      off = 0;
    }
    while (off == 0 && len >= 9) {
      size_t flen = 9 + ((size_t)out[0] << 16 | (size_t)out[1] << 8 | out[2]);
      if (len < flen) break;
      int ack = out[3] == NGHTTP2_SETTINGS && (out[4] & NGHTTP2_FLAG_ACK);
      if (!ack || (*acks)++ == 0) CHECK(rpc_sconn_recv(c, out, flen) == RPC_OK);
      memmove(out, out + flen, len - flen);
      len -= flen;
    }
    long k;
    while ((k = rpc_sconn_send(c, &p)) > 0) {
      nghttp2_session_mem_recv(cs, p, (size_t)k);
      moved = 1;
    }
    if (!moved) return;
  }
}

/* A client that never ACKs the header table's SETTINGS: each idle spell
 * and call after it would add two to nghttp2's list of SETTINGS in flight,
 * with no bound; the core sends the 0 only with none in flight. */
static void test_idle_noack(const rpc_method_t *methods) {
  fixture_t f = fixture_new(methods, "test:noack");
  rpc_server_core_t *core = f.core;
  rpc_sconn_t *c = f.c;
  nghttp2_session *cs = f.cs;
  int acks = 0;
  server_settings = 0;
  pump_noack(cs, c, &acks);
  CHECK(server_settings == 1 && acks == 1); /* the first one is ACKed */
  for (int i = 0; i < 5; i++) {
    body_t b = {one_msg, sizeof(one_msg), 0, 1};
    int32_t sid = request(cs, "POST", "/t.S/Echo", NULL, &b);
    pump_noack(cs, c, &acks);
    CHECK(seen_of(sid)->closed && seen_of(sid)->grpc_status == 0);
    rpc_sconn_idle(c);
    pump_noack(cs, c, &acks);
  }
  /* the first; a 0 at the first idle spell; 4096 at the next call; no more */
  CHECK(server_settings == 3);
  CHECK(acks == 3); /* the client did answer (dropped): 2 of them */
  rpc_sconn_free(c);
  nghttp2_session_del(cs);
  rpc_server_core_free(core);
}

static void test_idle(const rpc_method_t *methods) {
  fixture_t f = fixture_new(methods, "test:idle");
  rpc_server_core_t *core = f.core;
  rpc_sconn_t *c = f.c;
  nghttp2_session *cs = f.cs;
  pump(cs, c);
  /* no stream came: the map is clean, and the SETTINGS' scratch page left
   * the connection when its frames were freed */
  CHECK(rpc_sconn_idle(c) == 0);
  body_t b = {one_msg, sizeof(one_msg), 0, 1};
  int32_t s1 = request(cs, "POST", "/t.S/Echo", NULL, &b);
  pump(cs, c);
  CHECK(seen_of(s1)->closed && seen_of(s1)->grpc_status == 0);
  CHECK(nghttp2_session_get_hd_deflate_dynamic_table_size(cs) > 0); /* the client indexed */
  /* our own table stays empty: the response's fields are literals */
  CHECK(nghttp2_session_get_hd_inflate_dynamic_table_size(cs) == 0);
  int w = wakes;
  CHECK(rpc_sconn_idle(c) == 1); /* the map; the client's table still full (on scratch) */
  CHECK(wakes > w);              /* the SETTINGS to send */
  pump(cs, c);
  CHECK(nghttp2_session_get_hd_deflate_dynamic_table_size(cs) == 0);
  CHECK(rpc_sconn_idle(c) == 3); /* now the header tables' arrays too */
  CHECK(rpc_sconn_idle(c) == 0); /* given back already */
  /* the next call works, and the client may compress again after it */
  body_t b2 = {one_msg, sizeof(one_msg), 0, 1};
  int32_t s2 = request(cs, "POST", "/t.S/Echo", NULL, &b2);
  pump(cs, c);
  CHECK(seen_of(s2)->closed && seen_of(s2)->grpc_status == 0);
  CHECK(seen_of(s2)->data_len == sizeof(one_msg));
  CHECK(nghttp2_session_get_hd_deflate_dynamic_table_size(cs) == 0); /* sent uncompressed */
  body_t b3 = {one_msg, sizeof(one_msg), 0, 1};
  int32_t s3 = request(cs, "POST", "/t.S/Echo", NULL, &b3);
  pump(cs, c);
  CHECK(seen_of(s3)->closed && seen_of(s3)->grpc_status == 0);
  CHECK(nghttp2_session_get_hd_deflate_dynamic_table_size(cs) > 0); /* 4096 again */
  CHECK(rpc_sconn_idle(c) == 1);
  rpc_sconn_free(c);
  /* a page back in the pool is zero for the next session's stream map */
  rpc_sconn_t *c2 = rpc_sconn_new(core, "test:idle2", NULL);
  nghttp2_session *cs2 = client_new();
  pump(cs2, c2);
  body_t b4 = {one_msg, sizeof(one_msg), 0, 1};
  int32_t s4 = request(cs2, "POST", "/t.S/Echo", NULL, &b4);
  pump(cs2, c2);
  CHECK(seen_of(s4)->closed && seen_of(s4)->grpc_status == 0);
  rpc_sconn_free(c2);
  nghttp2_session_del(cs);
  nghttp2_session_del(cs2);
  rpc_server_core_free(core);
}

int main(void) {
  rpc_method_t methods[4];
  memset(methods, 0xA5, sizeof(methods)); /* a table on the stack, as storage's was */
  methods[0] = rpc_method_unary("/t.S/Echo", echo_call, NULL, NULL);
  methods[1] = rpc_method_server_stream("/t.S/Hold", hold_call, on_end, NULL);
  methods[2] = rpc_method_client_stream("/t.S/Sum", sum_call, sum_msg, on_end, NULL);
  rpc_server_limits_t lim = {0};
  lim.request_timeout_ms = 50;
  rpc_server_env_t env = {.now_ms = clock_fn, .wake = wake_fn};
  rpc_server_core_t *core = rpc_server_core_new(methods, 3, &lim, &env);
  CHECK(core != NULL);
  CHECK(rpc_server_core_limits(core)->max_streams == 100); /* defaults filled in */
  rpc_server_env_t no_clock = {0};
  CHECK(rpc_server_core_new(methods, 3, &lim, &no_clock) == NULL);

  int marker;
  rpc_sconn_t *c = rpc_sconn_new(core, "test:1", &marker);
  CHECK(c != NULL);
  CHECK(rpc_sconn_arg(c) == &marker);
  CHECK(!rpc_sconn_established(c));
  CHECK(rpc_sconn_next_due(c) == now_ms + 120000); /* only the keepalive PING, by default */
  nghttp2_session *cs = client_new();
  pump(cs, c);
  CHECK(rpc_sconn_established(c));

  /* a unary call through a method built over garbage: on_msg is NULL, so the
   * request is taken whole and echoed, metadata both ways */
  body_t b1 = {one_msg, sizeof(one_msg), 0, 1};
  int32_t s1 = request(cs, "POST", "/t.S/Echo", NULL, &b1);
  pump(cs, c);
  CHECK(calls == 1);
  CHECK(strcmp(md_seen, "x-tag=blue") == 0);
  CHECK(seen_of(s1)->closed && seen_of(s1)->http_status == 200 && seen_of(s1)->grpc_status == 0);
  CHECK(seen_of(s1)->data_len == sizeof(one_msg) &&
        memcmp(seen_of(s1)->data, one_msg, sizeof(one_msg)) == 0);
  CHECK(strcmp(seen_of(s1)->echo_header, "blue") == 0);
  CHECK(strcmp(seen_of(s1)->echo_trailer, "blue") == 0);
  CHECK(rpc_sconn_calls(c) == 0);
  CHECK(rpc_sconn_last_active(c) == now_ms);

  /* validation before any body: GET is 405, an unknown method Unimplemented
   * in grpc-go's words, both trailers-only (one HEADERS frame) */
  int32_t s2 = request(cs, "GET", "/t.S/Echo", NULL, NULL);
  int32_t s3 = request(cs, "POST", "/t.S/Nope", NULL, NULL);
  int32_t s4 = request(cs, "POST", "/u.V/Echo", NULL, NULL);
  pump(cs, c);
  CHECK(seen_of(s2)->http_status == 405 && seen_of(s2)->headers_frames == 1);
  CHECK(seen_of(s3)->grpc_status == RPC_CODE_UNIMPLEMENTED && seen_of(s3)->headers_frames == 1);
  CHECK(strcmp(seen_of(s3)->grpc_message, "unknown method Nope for service t.S") == 0);
  CHECK(strcmp(seen_of(s4)->grpc_message, "unknown service u.V") == 0);
  CHECK(calls == 1);

  /* a deadline: the handler holds the call; the clock passes grpc-timeout
   * and the tick ends it with DeadlineExceeded, on_end told why */
  uint64_t t0 = now_ms;
  body_t b5 = {one_msg, sizeof(one_msg), 0, 1};
  int32_t s5 = request(cs, "POST", "/t.S/Hold", "100m", &b5);
  pump(cs, c);
  CHECK(held != NULL && remaining == 100);
  CHECK(rpc_sconn_next_due(c) <= t0 + 100);
  now_ms = t0 + 60;
  CHECK(rpc_scall_remaining_ms(held) == 40);
  uint64_t next = rpc_sconn_tick(c);
  CHECK(next == t0 + 100 && held != NULL);
  now_ms = t0 + 100;
  rpc_sconn_tick(c);
  pump(cs, c);
  CHECK(ends == 1 && last_end == RPC_END_DEADLINE && held == NULL);
  CHECK(seen_of(s5)->grpc_status == RPC_CODE_DEADLINE_EXCEEDED);
  CHECK(strcmp(seen_of(s5)->grpc_message, "context deadline exceeded") == 0);
  CHECK(rpc_sconn_tick(c) > now_ms + 100000); /* no call's clock left: the keepalive PING's */

  /* a request that never comes whole: ResourceExhausted after
   * request_timeout_ms; the handler never saw it */
  body_t b6 = {one_msg, 3, 0, 0}; /* part of the prefix, the stream open */
  int32_t s6 = request(cs, "POST", "/t.S/Echo", NULL, &b6);
  pump(cs, c);
  CHECK(rpc_sconn_next_due(c) == now_ms + 50);
  now_ms += 50;
  rpc_sconn_tick(c);
  pump(cs, c);
  CHECK(seen_of(s6)->grpc_status == RPC_CODE_RESOURCE_EXHAUSTED);
  CHECK(strcmp(seen_of(s6)->grpc_message, "request not received within 50 ms") == 0);
  CHECK(calls == 2);

  /* a request stream: on_call first, then each message, then half-close */
  static const uint8_t two_msgs[] = {0, 0, 0, 0, 2, 'h', 'i', 0, 0, 0, 0, 1, '!'};
  body_t b7 = {two_msgs, sizeof(two_msgs), 0, 1};
  int32_t s7 = request(cs, "POST", "/t.S/Sum", NULL, &b7);
  pump(cs, c);
  CHECK(calls == 3 && msgs == 2 && half_closes == 1);
  CHECK(seen_of(s7)->grpc_status == 0 && seen_of(s7)->data_len == 6 && seen_of(s7)->data[5] == 3);

  /* the request timeout passes while a request stream's header block is
   * still coming in: the call ends ResourceExhausted and its handler never
   * gets it (it once got a call already finished) */
  body_t b10 = {one_msg, sizeof(one_msg), 0, 1};
  int32_t s10 = request(cs, "POST", "/t.S/Sum", NULL, &b10);
  uint8_t wire[512];
  size_t wlen = 0, hdrs = 0;
  const uint8_t *p;
  ssize_t got;
  while ((got = nghttp2_session_mem_send(cs, &p)) > 0 && wlen + (size_t)got <= sizeof(wire)) {
    memcpy(wire + wlen, p, (size_t)got);
    wlen += (size_t)got;
  }
  while (hdrs + 9 <= wlen && wire[hdrs + 3] != NGHTTP2_HEADERS)
    hdrs += 9 + (size_t)(wire[hdrs] << 16 | wire[hdrs + 1] << 8 | wire[hdrs + 2]);
  CHECK(hdrs + 12 < wlen);
  CHECK(rpc_sconn_recv(c, wire, hdrs + 12) == RPC_OK);
  now_ms += 50;
  rpc_sconn_tick(c);
  CHECK(rpc_sconn_recv(c, wire + hdrs + 12, wlen - hdrs - 12) == RPC_OK);
  pump(cs, c);
  CHECK(calls == 3 && msgs == 2 && half_closes == 1);
  CHECK(seen_of(s10)->grpc_status == RPC_CODE_RESOURCE_EXHAUSTED);

  /* answered later, outside recv: the core wakes the driver */
  body_t b8 = {one_msg, sizeof(one_msg), 0, 1};
  int32_t s8 = request(cs, "POST", "/t.S/Hold", NULL, &b8);
  pump(cs, c);
  CHECK(held != NULL && remaining == -1);
  int w = wakes;
  rpc_scall_send(held, (const uint8_t *)"x", 1);
  rpc_scall_finish(held, RPC_CODE_NOT_FOUND, "gone");
  held = NULL;
  CHECK(wakes > w);
  pump(cs, c);
  CHECK(seen_of(s8)->grpc_status == RPC_CODE_NOT_FOUND && seen_of(s8)->data_len == 6);
  CHECK(ends == 1); /* a call the handler finished is not ended again */

  /* drain: GOAWAY, the session ends once nothing is open */
  rpc_sconn_goaway(c);
  pump(cs, c);
  CHECK(goaway_seen);

  /* a connection freed under a held call: on_end CANCELLED, once */
  rpc_sconn_t *c2 = rpc_sconn_new(core, "test:2", NULL);
  nghttp2_session *cs2 = client_new();
  body_t b9 = {one_msg, sizeof(one_msg), 0, 1};
  request(cs2, "POST", "/t.S/Hold", NULL, &b9);
  pump(cs2, c2);
  CHECK(held != NULL && rpc_sconn_calls(c2) == 1);
  rpc_sconn_free(c2);
  CHECK(ends == 2 && last_end == RPC_END_CANCELLED && held == NULL);

  /* garbage instead of a preface: RPC_ERR_PROTO */
  rpc_sconn_t *c3 = rpc_sconn_new(core, "test:3", NULL);
  CHECK(rpc_sconn_recv(c3, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18) == RPC_ERR_PROTO);
  rpc_sconn_free(c3);

  nghttp2_session_del(cs);
  nghttp2_session_del(cs2);
  rpc_sconn_free(c);
  rpc_server_core_free(core);
  test_keepalive(methods);
  test_idle(methods);
  test_idle_noack(methods);
  test_room(methods);
  return tap_done("test_server_core");
}
