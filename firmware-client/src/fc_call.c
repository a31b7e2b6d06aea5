/* fc_call.c - any kind of call over a channel: requests encoded by nanopb
 * into the slot's buffer (or again per window when larger), responses
 * decoded from it (or handed over in pieces), metadata both ways, and a
 * pump that runs until this call's own event. See fc_call.h. */
#include "rpc_opt.h" /* first: the build's tunables */

#include <stdbool.h>
#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "fc_call.h"

static fc_call_t *of(rpc_call_t *rc) {
  return rpc_call_user(rc);
}

static int on_message(rpc_call_t *rc, const uint8_t *msg, size_t len) {
  fc_call_t *call = of(rc);
  void *dst = NULL;
  if (rc->done) return 1; /* cancelled by an earlier message of this feed */
  if (!call->o.on_piece && call->o.resp && call->m->resp) {
    pb_istream_t in = pb_istream_from_buffer(msg, len);
    if (!pb_decode(&in, call->m->resp, call->o.resp)) return 1; /* Internal: cannot decode */
    dst = call->o.resp;
  }
  call->received++;
  if (call->o.on_msg && call->o.on_msg(call, dst, call->o.arg) != 0) {
    rpc_client_cancel(&call->ch->client, rc, RPC_CODE_CANCELLED,
                      RPC_ERRSTR("the client cancelled the call"));
    return 1;
  }
  return 0;
}

static int on_piece(void *arg, const uint8_t *p, size_t len, uint32_t off, uint32_t total) {
  fc_call_t *call = of(arg);
  return call->o.on_piece(call, p, len, off, total, call->o.arg);
}

static void on_close(rpc_call_t *rc) {
  of(rc)->closed = 1;
}

static void on_metadata(rpc_call_t *rc, const uint8_t *name, size_t nlen, const uint8_t *value,
                        size_t vlen, int trailer) {
  fc_call_t *call = of(rc);
  (void)nlen; /* nghttp2 hands names and values over NUL-terminated */
  if (call->o.on_md)
    call->o.on_md(call, (const char *)name, (const char *)value, vlen, trailer, call->o.arg);
}

/* A window of a request message too large for tx: the bytes at skip, len
 * of them, written by encoding the message again (nanopb pushes the whole
 * message; the window keeps its part and stops the rest). */
typedef struct {
  uint8_t *dst;
  size_t skip, len, done;
} window_t;

static bool window_write(pb_ostream_t *s, const pb_byte_t *buf, size_t count) {
  window_t *w = s->state;
  if (w->skip) {
    size_t k = count < w->skip ? count : w->skip;
    w->skip -= k, buf += k, count -= k;
  }
  size_t k = count < w->len - w->done ? count : w->len - w->done;
  memcpy(w->dst + w->done, buf, k);
  w->done += k;
  return k == count; /* false once the window is full: the encoding stops there */
}

static int window(void *arg, uint8_t *dst, size_t off, size_t len) {
  fc_call_t *call = arg;
  window_t w = {dst, off, len, 0};
  pb_ostream_t os = {0};
  os.callback = window_write;
  os.state = &w;
  os.max_size = SIZE_MAX;
  (void)pb_encode(&os, call->m->req, call->big);
  return w.done == len ? 0 : -1;
}

int fc_call_big(fc_call_t *call, const void *msg, fc_status_t *st) {
  size_t n;
  if (!pb_get_encoded_size(&n, call->m->req, msg)) {
    fc_status_set(st, RPC_CODE_INTERNAL, RPC_ERRSTR("cannot encode the request"));
    return st->code;
  }
  call->big = msg;
  call->req_len = n;
  rpc_call_set_body(&call->rc, window, call);
  return 0;
}

/* Encodes msg into tx; a message larger than tx is sized and made per
 * window instead, when the method allows it (msg must then outlive its
 * sending). */
static int encode(fc_call_t *call, const void *msg, fc_status_t *st) {
  pb_ostream_t os = pb_ostream_from_buffer(call->tx, call->tx_cap);
  call->big = NULL;
  rpc_call_set_body(&call->rc, NULL, NULL);
  if (pb_encode(&os, call->m->req, msg)) {
    call->req_len = os.bytes_written;
    return 0;
  }
  if (call->m->big) return call->m->big(call, msg, st);
  /* a bounded message that does not fit: the slot is too small for it */
  fc_status_set(st, RPC_CODE_RESOURCE_EXHAUSTED,
                RPC_ERRSTR("the request exceeds the call's buffer"));
  return st->code;
}

/* What a pump waits for. */
enum { UNTIL_CLOSED, UNTIL_RECEIVED, UNTIL_SENT, UNTIL_FLUSHED };
static void pump(fc_call_t *call, uint8_t what, uint32_t n);

/* Connects as needed and sends the call's HEADERS (and its one request). */
static int launch(fc_call_t *call, fc_status_t *st) {
  fc_channel_t *ch = call->ch;
  int wfr = call->o.wait_for_ready == FC_WFR_ON ||
            (call->o.wait_for_ready == FC_WFR_DEFAULT && ch->cfg.wait_for_ready);
  if (fc_channel_ready(ch, call->start_ms, call->timeout_ms, wfr, st)) return st->code;
  rpc_call_set_metadata(&call->rc, call->o.md, call->o.md_count);
  uint32_t now = port_time_ms(), spent = now - call->start_ms, left = 0;
  if (call->timeout_ms) left = call->timeout_ms > spent ? call->timeout_ms - spent : 1u;
  int r = call->streaming
              ? rpc_client_start_stream(&ch->client, &call->rc, call->m->path, left, now)
              : rpc_client_start(&ch->client, &call->rc, call->m->path, call->big ? NULL : call->tx,
                                 call->req_len, left, now);
  if (r == RPC_ERR_NOMEM) {
    fc_status_set(st, RPC_CODE_RESOURCE_EXHAUSTED,
                  RPC_ERRSTR("the arena is too small for another call"));
    return st->code;
  }
  if (r != RPC_OK) {
    fc_status_set(st, RPC_CODE_INTERNAL, RPC_ERRSTR("cannot start the call"));
    return st->code;
  }
  call->closed = 0;
  return 0;
}

static size_t o_md_count(const fc_call_opts_t *o) {
  return o ? o->md_count : 0;
}

void fc_call_init(fc_call_t *call, uint8_t *rx, size_t rx_cap, uint8_t *tx, size_t tx_cap) {
  memset(call, 0, sizeof(*call));
  call->rx = rx, call->rx_cap = rx_cap;
  call->tx = tx, call->tx_cap = tx_cap;
}

int fc_call_start(fc_call_t *call, fc_channel_t *ch, const fc_method_t *m, const void *req,
                  const fc_call_opts_t *o, fc_status_t *st) {
  static const rpc_call_cbs_t cbs = {on_message, on_close, on_metadata};
  if (call->active || !call->rx || o_md_count(o) > RPC_CLIENT_MAX_MD) {
    fc_status_set(st, RPC_CODE_FAILED_PRECONDITION,
                  RPC_ERRSTR("the call slot is busy, not set up, or given too much metadata"));
    return st->code;
  }
  rpc_call_init(&call->rc, &cbs, call);
  memset(&call->o, 0, sizeof(call->o));
  if (o) call->o = *o;
  if (call->o.on_piece)
    rpc_deframer_stream(rpc_call_deframer(&call->rc), FC_CALL_STREAM_MAX, on_piece);
  else
    rpc_deframer_init(rpc_call_deframer(&call->rc), call->rx, call->rx_cap, call->rx_cap, NULL);
  call->ch = ch;
  call->m = m;
  call->received = 0;
  call->closed = 0;
#if FC_RETRY
  call->attempts = 1;
#endif
  call->streaming = req == NULL;
  call->start_ms = port_time_ms();
  call->timeout_ms = call->o.timeout_ms == 0                ? ch->cfg.timeout_ms
                     : call->o.timeout_ms == FC_NO_DEADLINE ? 0u
                                                            : call->o.timeout_ms;
  if (req && encode(call, req, st)) return st->code;
  ch->link.stats.calls++;
  if (launch(call, st)) return st->code;
  call->active = 1;
  /* a request stream is open at the server when start returns */
  if (call->streaming) pump(call, UNTIL_FLUSHED, 0);
  return 0;
}

typedef struct {
  fc_call_t *call;
  uint32_t n;
  uint8_t what;
} until_t;

static int reached(void *arg) {
  const until_t *u = arg;
  const fc_call_t *call = u->call;
  switch (u->what) {
  case UNTIL_RECEIVED:
    return call->closed || call->received >= u->n;
  case UNTIL_SENT:
    return call->closed || !rpc_call_sending(&call->rc);
  case UNTIL_FLUSHED:
    return 1;
  default:
    return call->closed;
  }
}

/* The call was refused unprocessed (GOAWAY, REFUSED_STREAM): once more,
 * on a new connection, within its deadline. A failure to get there closes
 * it with that failure. */
static void retry(fc_call_t *call) {
  fc_status_t st;
  if (launch(call, &st) == 0) return;
  call->rc.code = st.code;
  size_t n = strlen(st.message);
  if (n >= sizeof(call->rc.message)) n = sizeof(call->rc.message) - 1;
  memcpy(call->rc.message, st.message, n);
  call->rc.message[n] = '\0';
  call->closed = 1;
}

#if FC_RETRY
/* The channel's retry policy (fc_cfg_t): whether the closed call is made
 * again; its wait is spent here, the connection kept meanwhile. A call the
 * server committed to (response headers, a message) is never made again. */
static int policy_retry(fc_call_t *call) {
  fc_channel_t *ch = call->ch;
  const rpc_call_t *rc = &call->rc;
  if (call->received || rc->code != RPC_CODE_UNAVAILABLE) return 0;
  if ((rc->got_headers == 2 && rc->http_status == 200) || call->attempts >= ch->cfg.retry_attempts)
    return 0;
  uint32_t cap = ch->cfg.retry_backoff_ms ? ch->cfg.retry_backoff_ms : 100u;
  for (uint8_t k = 1; k < call->attempts && cap < 1000u; k++)
    cap *= 2;
  if (cap > 1000u) cap = 1000u;
  uint32_t wait = (uint32_t)(((uint64_t)rpc_link_random(&ch->link) * cap) >> 32);
  if (call->timeout_ms && port_time_ms() - call->start_ms + wait >= call->timeout_ms) {
    call->attempts = ch->cfg.retry_attempts; /* decided: a later pump must not draw again */
    return 0;
  }
  call->attempts++;
  ch->link.stats.retries++;
  if (wait) fc_channel_idle(ch, wait);
  return 1;
}
#else
#define policy_retry(call) 0
#endif

static void pump(fc_call_t *call, uint8_t what, uint32_t n) {
  until_t u = {call, n, what};
  for (;;) {
    uint32_t left;
    if (call->closed && !call->streaming &&
        (rpc_link_may_retry(&call->ch->link, &call->rc, port_time_ms(), &left) ||
         policy_retry(call))) {
      retry(call);
      continue;
    }
    if (reached(&u)) return;
    (void)fc_channel_pump(call->ch, reached, &u); /* a loss closes the call */
    if (!reached(&u) && !call->closed) return;    /* no call open: nothing to wait for */
  }
}

int fc_call_send(fc_call_t *call, const void *msg, int last) {
  fc_status_t st;
  if (!call->active || call->closed) return -1;
  if (encode(call, msg, &st)) {
    rpc_client_cancel(&call->ch->client, &call->rc, st.code, st.message);
    return -1;
  }
  if (rpc_client_send_msg(&call->ch->client, &call->rc, call->big ? NULL : call->tx, call->req_len,
                          last) != RPC_OK)
    return -1;
  pump(call, UNTIL_SENT, 0);
  /* taken, even if the call then ended (the answer to a last message can
   * arrive in the same pump): the status is finish's to tell */
  return call->rc.pending ? -1 : 0;
}

int fc_call_close_send(fc_call_t *call) {
  if (!call->active || call->closed) return -1;
  return rpc_client_close_send(&call->ch->client, &call->rc) == RPC_OK ? 0 : -1;
}

uint32_t fc_call_wait(fc_call_t *call, uint32_t n) {
  if (call->active) pump(call, UNTIL_RECEIVED, n);
  return call->received;
}

int fc_call_done(const fc_call_t *call) {
  return !call->active || call->closed;
}

void fc_call_cancel(fc_call_t *call) {
  if (!call->active || call->closed) return;
  rpc_client_cancel(&call->ch->client, &call->rc, RPC_CODE_CANCELLED,
                    RPC_ERRSTR("the client cancelled the call"));
  pump(call, UNTIL_FLUSHED, 0); /* the RST_STREAM goes out now */
}

int fc_call_finish(fc_call_t *call, fc_status_t *st) {
  if (!call->active) {
    fc_status_set(st, RPC_CODE_FAILED_PRECONDITION, RPC_ERRSTR("the call was not started"));
    return st->code;
  }
  pump(call, UNTIL_CLOSED, 0);
  call->active = 0;
  /* one wording for an expired deadline, whichever side noticed first (a
   * grpcio server says "Deadline Exceeded"): docs/design.md */
  int code = rpc_call_code(&call->rc);
  int expired = code == RPC_CODE_DEADLINE_EXCEEDED && call->timeout_ms;
  fc_status_set(st, code, expired ? RPC_MSG_DEADLINE : rpc_call_message(&call->rc));
  return st->code;
}

int fc_unary(fc_call_t *call, fc_channel_t *ch, const fc_method_t *m, const void *req, void *resp,
             const fc_call_opts_t *o, fc_status_t *st) {
  fc_call_opts_t uo = {0};
  if (o) uo = *o;
  uo.resp = resp;
  if (fc_call_start(call, ch, m, req, &uo, st)) return st->code;
  if (fc_call_finish(call, st) == RPC_CODE_OK && call->received != 1)
    fc_status_set(st, RPC_CODE_INTERNAL, RPC_ERRSTR("a unary call needs one response message"));
  return st->code;
}
