/* st_service.c - GetProdsDetail: validate, wait --delay-ms on a timer (never
 * blocking the loop), look the catalogue up (st_db.h: at once in SQLite,
 * later in PostgreSQL), answer or drop the call. The
 * request arrives decoded by the generated skeleton (build/gen/api.srv.h);
 * the answer, any number of rows, is encoded here into one growing buffer. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pb_encode.h>

#include "rpc_log.h"
#include "st_service.h"
#include "st_wire.h"

typedef struct st_call {
  rpc_timer_t timer;
  rpc_scall_t *call;
  st_service_t *svc;
  st_query_t *q; /* the database lookup, while it is pending */
  int in_get;    /* inside st_db_get: an answer now must not free sc */
  int answered;
  uint64_t asked_us; /* when the database was asked (st_service_t.db_query) */
  api_StorageRequest req;
} st_call_t;

static bool buf_write(pb_ostream_t *s, const pb_byte_t *data, size_t n) {
  st_buf_t *b = s->state;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n)
      cap *= 2;
    uint8_t *np = realloc(b->p, cap);
    if (!np) return false;
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
  return true;
}

typedef struct {
  pb_ostream_t *os;
  const pb_field_iter_t *field;
  int ok;
} st_put_t;

static int put_row(void *arg, const char *title, const char *url) {
  st_put_t *r = arg;
  r->ok = st_wire_product(r->os, r->field, title, url);
  return r->ok ? 0 : 1;
}

typedef struct {
  st_rows_t *rows;
  int count;
} st_enc_t;

static bool encode_products(pb_ostream_t *os, const pb_field_iter_t *field, void *const *arg) {
  st_enc_t *e = *arg;
  st_put_t put = {os, field, 1};
  e->count = st_rows_each(e->rows, put_row, &put);
  return e->count >= 0 && put.ok;
}

static void lower(char *s) {
  for (; *s; s++)
    *s = (char)tolower((unsigned char)*s);
}

/* The database's answer: the products, or which half of the request was
 * wrong, or why there is none. */
static void on_answer(void *arg, st_status_t st, st_rows_t *rows) {
  st_call_t *sc = arg;
  rpc_scall_t *call = sc->call;
  api_StorageRequest *req = &sc->req;
  char msg[128];
  sc->q = NULL;
  sc->answered = 1;
  if (sc->svc->db_query) {
    uint64_t t = rpc_now_us();
    rpc_hist_observe(sc->svc->db_query, t > sc->asked_us ? t - sc->asked_us : 0);
  }
  rpc_scall_set_user(call, NULL);
  st_buf_t *buf = sc->svc->buf;
  int ok = 1;
  if (st == ST_ROWS) {
    st_enc_t enc = {rows, 0};
    api_StorageResponse resp = api_StorageResponse_init_zero;
    resp.prodDetail.funcs.encode = encode_products;
    resp.prodDetail.arg = &enc;
    /* one loop thread: the service's buffer is reused call after call */
    buf->len = 0;
    pb_ostream_t os = {buf_write, buf, SIZE_MAX, 0, NULL};
    ok = pb_encode(&os, api_StorageResponse_fields, &resp);
    if (ok && rpc_scall_send(call, buf->p, buf->len) != RPC_OK) {
      rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, "out of memory");
    } else if (ok) {
      rpc_scall_note(call, "a number of %d products were sent to client", enc.count);
      rpc_scall_finish(call, RPC_CODE_OK, NULL);
    }
  }
  if (st == ST_FAILED || !ok) {
    rpc_scall_log(call, RPC_LOG_ERROR, "cannot read the catalogue");
    rpc_scall_finish(call, RPC_CODE_INTERNAL, "cannot read the catalogue");
  } else if (st == ST_UNAVAILABLE) {
    rpc_scall_log(call, RPC_LOG_ERROR, "the database is unavailable");
    rpc_scall_finish(call, RPC_CODE_UNAVAILABLE, "the database is unavailable");
  } else if (st == ST_NO_VENDOR) {
    snprintf(msg, sizeof(msg), "Invalid Vendor: %s", req->vendor);
    rpc_scall_log(call, RPC_LOG_INFO, "%s", msg);
    rpc_scall_finish(call, RPC_CODE_INVALID_ARGUMENT, msg);
  } else if (st == ST_NO_TYPE) {
    snprintf(msg, sizeof(msg), "Invalid ProductType: %s", req->productType);
    rpc_scall_log(call, RPC_LOG_INFO, "%s", msg);
    rpc_scall_finish(call, RPC_CODE_INVALID_ARGUMENT, msg);
  }
  if (buf->cap > (1u << 20)) { /* do not keep a huge answer's memory */
    free(buf->p);
    buf->p = NULL;
    buf->cap = 0;
  }
  if (!sc->in_get) free(sc);
}

/* Asks the database; frees sc if the answer came at once. */
static void lookup(st_call_t *sc) {
  rpc_scall_set_user(sc->call, sc);
  sc->in_get = 1;
  if (sc->svc->db_query) sc->asked_us = rpc_now_us();
  const rpc_trace_t *tr = rpc_scall_trace(sc->call);
  st_query_t *q = st_db_get(sc->svc->db, sc->req.vendor, sc->req.productType,
                            tr ? tr->trace_id : NULL, on_answer, sc);
  sc->in_get = 0;
  if (sc->answered)
    free(sc);
  else
    sc->q = q;
}

static void on_delay(rpc_timer_t *t) {
  lookup(t->arg);
}

static void on_call(rpc_scall_t *call, const api_StorageRequest *req, void *ud) {
  st_service_t *svc = ud;
  st_call_t *sc = calloc(1, sizeof(*sc));
  if (!sc) {
    rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  sc->call = call;
  sc->svc = svc;
  sc->req = *req;
  lower(sc->req.vendor);
  lower(sc->req.productType);
  rpc_scall_note(call, "have received a request for -> %s <- product type from -> %s <- vendor",
                 sc->req.productType, sc->req.vendor);
  const char *name, *value;
  for (int i = 0; rpc_scall_metadata(call, i, &name, &value); i++)
    rpc_scall_note(call, "request metadata: %s=%s", name, value);
  if (svc->delay_ms == 0) {
    lookup(sc);
    return;
  }
  sc->timer.fn = on_delay;
  sc->timer.arg = sc;
  rpc_scall_set_user(call, sc);
  rpc_timer_start(rpc_scall_loop(call), &sc->timer, svc->delay_ms);
}

/* The client cancelled or the deadline passed: the timer or the query
 * stops with the call (a PostgreSQL query is cancelled on the server). */
static void on_end(rpc_scall_t *call, rpc_end_t why, void *ud) {
  (void)ud;
  st_call_t *sc = rpc_scall_user(call);
  rpc_scall_log(call, RPC_LOG_INFO, "the connection to %s has dropped (%s): the call was dropped",
                rpc_scall_peer(call),
                why == RPC_END_DEADLINE ? "deadline exceeded" : "cancelled by the client");
  if (!sc) return;
  rpc_timer_stop(rpc_scall_loop(call), &sc->timer);
  if (sc->q) st_db_cancel(sc->svc->db, sc->q);
  free(sc);
}

void st_service_methods(st_service_t *svc, rpc_method_t *out, size_t *n) {
  memset(&svc->handlers, 0, sizeof(svc->handlers));
  svc->handlers.GetProdsDetail = on_call;
  svc->handlers.GetProdsDetail_end = on_end;
  svc->handlers.ud = svc;
  *n = api_StorageService_methods(out, &svc->handlers);
}
