/*
 * gw_prod_service.c - ProdService, on the skeleton tools/protoc-gen-fc
 * generates from proto/api.proto (build/gen/api.srv.h): requests arrive
 * decoded, replies and the storage call are typed.
 * GetVendorProdTypes answers from the vendor table. GetVendorProds asks
 * storage (the client's remaining deadline forwarded), adds a ShortUrl to
 * each product and streams them; a client cancel or deadline cancels the
 * storage call, and storage's status reaches the client. A storage call
 * that a storage never processed (refused, or on a connection that never
 * came up) is sent once to another storage, when there is one.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include "gw_prod_service.h"
#include "gw_wire.h"
#include "rpc_log.h"

#define GW_PUMP_BATCH 256           /* products encoded per loop turn */
#define GW_PUMP_AHEAD (256u << 10)  /* bytes queued for a client that reads slowly */
#define GW_PUMP_LOW (128u << 10)    /* ... and the level it goes on from */
#define GW_IDS_REDRAW 1024u         /* replies a ShortUrl draw serves (short_id) */
#define STORAGE_MAX_MSG (64u << 20) /* 100,000 products fit with room */

static const char *const vendors[] = {"google", "aws", "oracle"};
static const char vendor_types[] = " compute storage"; /* the article's value */

static void lower_copy(char *dst, const char *src, size_t cap) {
  size_t i = 0;
  for (; src[i] && i + 1 < cap; i++)
    dst[i] = (char)tolower((unsigned char)src[i]);
  dst[i] = '\0';
}

/* --- GetVendorProdTypes ------------------------------------------------ */

static void prod_types(rpc_scall_t *call, const api_ClientRequestType *in, void *ud) {
  (void)ud;
  char vendor[sizeof(in->vendor)];
  lower_copy(vendor, in->vendor, sizeof(vendor));
  const char *dev = rpc_scall_identity(call);
  rpc_scall_note(call, "have received a request for -> %s <- as vendor%s%s", vendor,
                 *dev ? " from device " : "", dev);
  for (size_t i = 0; i < sizeof(vendors) / sizeof(vendors[0]); i++) {
    if (strcmp(vendor, vendors[i]) != 0) continue;
    api_ClientResponseType out = api_ClientResponseType_init_zero;
    memcpy(out.productType, vendor_types, sizeof(vendor_types));
    api_ProdService_GetVendorProdTypes_reply(call, &out);
    return;
  }
  rpc_scall_finish(call, RPC_CODE_INVALID_ARGUMENT,
                   "wrong vendor, select between google, aws, oracle");
}

/* --- GetVendorProds ---------------------------------------------------- */

typedef struct gw_prods {
  gw_service_t *svc;
  rpc_scall_t *scall; /* NULL once the client's call has ended */
  rpc_call_t storage; /* the call to storage; its deframer's buffer is pooled with it */
  int storage_open;   /* its on_close has not run yet */
  gw_backend_t *be;   /* the storage it went to */
  int resent;         /* already sent to a second storage */
  api_StorageRequest sreq;
  uint8_t req[api_StorageRequest_size];
  const uint8_t *resp; /* storage's answer, in the storage call's deframer */
  size_t resp_len;
  const uint8_t *cursor; /* the next product in resp */
  uuid_t ids_ns;         /* this reply's random namespace for its ShortUrls */
  uuid_t ids_block;      /* the name-based UUID the next ShortUrls come from */
  uint32_t sent;
  int answered; /* storage's message arrived */
  int pooled;
  /* the client's custom metadata, copied for storage: a refused storage call
   * is sent again later, with it; first our traceparent for storage */
  char traceparent[RPC_TRACEPARENT_LEN + 1];
  char md_buf[RPC_MD_BYTES];
  rpc_md_t md[RPC_CLIENT_MAX_MD];
  rpc_timer_t timer;     /* the slow stream's steps; a client that reads slowly */
  rpc_defer_t slice;     /* the next batch of a big catalogue, next loop turn */
  struct gw_prods *next; /* free list */
} gw_prods_t;

static int on_storage_msg(rpc_call_t *call, const uint8_t *msg, size_t len);
static void on_storage_close(rpc_call_t *call);

static gw_prods_t *prods_get(gw_service_t *svc) {
  static const rpc_call_cbs_t cbs = {.on_message = on_storage_msg, .on_close = on_storage_close};
  gw_prods_t *p = svc->pool;
  if (p) {
    svc->pool = p->next;
    rpc_call_t storage = p->storage; /* and the buffer of an earlier answer */
    memset(p, 0, sizeof(*p));
    p->storage = storage;
  } else if ((p = calloc(1, sizeof(*p)))) {
    rpc_call_init(&p->storage, &cbs, p);
    rpc_deframer_init(rpc_call_deframer(&p->storage), NULL, 0, STORAGE_MAX_MSG, rpc_heap_grow);
  } else {
    return NULL;
  }
  p->svc = svc;
  p->timer.arg = p;
  p->slice.arg = p;
  return p;
}

static void pump_stop(gw_prods_t *p) {
  rpc_timer_stop(p->svc->loop, &p->timer);
  rpc_loop_undefer(p->svc->loop, &p->slice);
}

/* Back to the pool once neither the client's call nor storage's needs it. */
static void prods_maybe_put(gw_prods_t *p) {
  if (p->pooled || p->scall || p->storage_open) return;
  p->pooled = 1;
  pump_stop(p);
  rpc_deframer_t *d = rpc_call_deframer(&p->storage);
  if (d->cap > (1u << 20)) rpc_deframer_free(d); /* keep only small buffers pooled */
  p->next = p->svc->pool;
  p->svc->pool = p;
}

/* The client's call is over (finished by us or ended by the server). */
static void prods_done(gw_prods_t *p, int code, const char *msg) {
  if (!p->scall) return;
  rpc_scall_set_user(p->scall, NULL);
  rpc_scall_finish(p->scall, code, msg);
  p->scall = NULL;
  pump_stop(p);
}

/* The next product at the cursor, read in place (gw_wire.h); 1 when one was
 * read, 0 at the end, -1 if storage sent something we cannot read. */
static int next_product(gw_prods_t *p, gw_bytes_t *title, gw_bytes_t *url) {
  return gw_wire_next(&p->cursor, p->resp + p->resp_len, title, url);
}

/* A product's ShortUrl id: 6 hex digits. libuuid's uuid_generate_random
 * makes six system calls per id (getrandom, and getpid, getppid, getuid,
 * gettid to stir its own generator): one per product would be most of a
 * stream's cost. So a reply draws one random UUID, and its ids are bytes
 * of the name-based UUIDs (libuuid's MD5, RFC 4122 version 3) of a counter
 * in it: as unpredictable as the draw, and still libuuid's. Such a UUID
 * has 14 bytes that are not its version or variant (bytes 6 and 8), which
 * make four ids of 3 bytes: one MD5 serves four products. The draw itself
 * is made once every GW_IDS_REDRAW replies (it also reseeds libc's random
 * from the clock and the pids: a tenth of a small call's gateway CPU); a
 * reply's namespace is the name-based UUID of its number under it. */
static void short_id(gw_prods_t *p, char hex[6]) {
  static const uint8_t at[4] = {0, 3, 9, 12};
  static const char digits[] = "0123456789abcdef";
  if (p->sent == 0) {
    gw_service_t *svc = p->svc;
    if (svc->ids_replies % GW_IDS_REDRAW == 0) uuid_generate_random(svc->ids_root);
    uint32_t n = svc->ids_replies++;
    uuid_generate_md5(p->ids_ns, svc->ids_root, (const char *)&n, sizeof(n));
  }
  if (p->sent % 4 == 0) {
    uint32_t k = p->sent / 4;
    uuid_generate_md5(p->ids_block, p->ids_ns, (const char *)&k, sizeof(k));
  }
  const uint8_t *b = p->ids_block + at[p->sent % 4];
  for (int i = 0; i < 3; i++) {
    hex[2 * i] = digits[b[i] >> 4];
    hex[2 * i + 1] = digits[b[i] & 15];
  }
}

static void send_product(gw_prods_t *p, gw_bytes_t title, gw_bytes_t url) {
  static const char prefix[] = "https://made-up-url.com/";
  char su[sizeof(prefix) - 1 + 6];
  uint8_t msg[GW_WIRE_REPLY_MAX];
  memcpy(su, prefix, sizeof(prefix) - 1);
  short_id(p, su + sizeof(prefix) - 1);
  gw_bytes_t short_url = {(const uint8_t *)su, sizeof(su)};
  rpc_scall_send(p->scall, msg, gw_wire_reply(msg, title, url, short_url));
  p->sent++;
}

static void on_slice(rpc_defer_t *d);

/* The slow client has read enough of what was queued: the next batch, at
 * the loop's next turn (this runs inside the core's send). */
static void on_room(rpc_scall_t *call, void *arg) {
  (void)call;
  gw_prods_t *p = arg;
  rpc_loop_later(p->svc->loop, &p->slice);
}

/* Streams what is left at the cursor: all at once, or one per timer tick.
 * A step that falls due with the deadline (the article's slow stream, whose
 * last step and the 4 s deadline come together) loses to it: the client
 * hears DeadlineExceeded, never an OK the deadline had already overtaken,
 * whatever order the loop runs the two timers in. */
static void pump_products(gw_prods_t *p) {
  gw_bytes_t title, url;
  if (p->scall && rpc_scall_expire(p->scall)) return; /* prods_end has run */
  for (int k = 0;; k++) {
    if (!p->scall) return;
    /* a big catalogue goes out in batches, one a loop turn, so that the
     * loop serves everybody else in between; and it waits while the client
     * does not read */
    if (k == GW_PUMP_BATCH) {
      rpc_loop_later(p->svc->loop, &p->slice);
      return;
    }
    if (rpc_scall_queued(p->scall) > GW_PUMP_AHEAD) {
      rpc_scall_when_room(p->scall, GW_PUMP_LOW, on_room, p);
      return;
    }
    int r = next_product(p, &title, &url);
    if (r < 0) {
      rpc_scall_log(p->scall, RPC_LOG_ERROR, "storage sent a product this gateway cannot read");
      prods_done(p, RPC_CODE_INTERNAL, "storage sent a product over the wire bounds");
      return;
    }
    if (r == 0) {
      rpc_scall_note(p->scall, "the response was sent to client");
      prods_done(p, RPC_CODE_OK, NULL);
      return;
    }
    send_product(p, title, url);
    if (p->svc->stream_delay_ms) {
      rpc_timer_start(p->svc->loop, &p->timer, p->svc->stream_delay_ms);
      return;
    }
  }
}

static void on_stream_tick(rpc_timer_t *t) {
  gw_prods_t *p = t->arg;
  pump_products(p);
  prods_maybe_put(p);
}

static void on_slice(rpc_defer_t *d) {
  gw_prods_t *p = d->arg;
  pump_products(p);
  prods_maybe_put(p);
}

static int on_storage_msg(rpc_call_t *call, const uint8_t *msg, size_t len) {
  gw_prods_t *p = rpc_call_user(call);
  if (p->answered) return 1; /* a unary answer has one message: a second is an error */
  p->answered = 1;
  /* read in place: the message stays in the call's deframer until the call
   * starts again, which is after this stream is over */
  p->resp = msg;
  p->resp_len = len;
  return 0;
}

static int storage_call(gw_prods_t *p);

static void on_storage_close(rpc_call_t *call) {
  gw_prods_t *p = rpc_call_user(call);
  int code = rpc_call_code(call);
  p->storage_open = 0;
  if (p->scall && code == RPC_CODE_UNAVAILABLE && call->refused && !p->resent &&
      p->svc->storages->n > 1) {
    p->resent = 1;
    const gw_backend_t *first = p->be;
    char why[RPC_CLIENT_MSG_LEN];
    snprintf(why, sizeof(why), "%s", rpc_call_message(call)); /* the restart clears it */
    if (storage_call(p) == RPC_OK) {
      rpc_scall_log(p->scall, RPC_LOG_WARN, "storage %s never processed the call (%s): sent to %s",
                    first->addr, why, p->be->addr);
      return;
    }
  }
  if (p->scall) {
    if (code == RPC_CODE_OK) {
      p->cursor = p->resp;
      pump_products(p);
    } else {
      char m[RPC_CLIENT_MSG_LEN + 64];
      snprintf(m, sizeof(m), "error while calling client.GetProdsDetail() method: %s",
               rpc_call_message(call));
      rpc_scall_log(p->scall, RPC_LOG_WARN, "%s", m);
      /* an expired deadline reads the same whichever tier saw it first */
      prods_done(p, code, code == RPC_CODE_DEADLINE_EXCEEDED ? RPC_MSG_DEADLINE : m);
    }
  }
  prods_maybe_put(p);
}

/* Logs the request's custom metadata in one line and copies pairs into p
 * for storage, after the traceparent (the call's trace id, our span as its
 * parent), up to RPC_CLIENT_MAX_MD in all; returns the pairs. */
static size_t take_metadata(rpc_scall_t *call, gw_prods_t *p) {
  char line[512];
  size_t used = 0, pairs = 0, off = 0;
  const rpc_trace_t *t = rpc_scall_trace(call);
  if (t->trace_id[0] && t->span_id[0]) {
    p->md[pairs].name = "traceparent";
    p->md[pairs++].value = rpc_traceparent_format(t, p->traceparent);
  }
  const char *name, *value;
  for (int i = 0; rpc_scall_metadata(call, i, &name, &value); i++) {
    int k = snprintf(line + used, sizeof(line) - used, "%s%s=%s", i ? ", " : "", name, value);
    if (k > 0 && (size_t)k < sizeof(line) - used) used += (size_t)k;
    size_t nl = strlen(name) + 1, vl = strlen(value) + 1;
    if (pairs < RPC_CLIENT_MAX_MD && off + nl + vl <= sizeof(p->md_buf)) {
      p->md[pairs].name = memcpy(p->md_buf + off, name, nl);
      p->md[pairs].value = memcpy(p->md_buf + off + nl, value, vl);
      off += nl + vl;
      pairs++;
    }
  }
  if (used) rpc_scall_note(call, "request metadata: %s", line);
  return pairs;
}

static void prods(rpc_scall_t *call, const api_ClientRequestProds *in, void *ud) {
  gw_service_t *svc = ud;
  const char *dev = rpc_scall_identity(call);
  rpc_scall_note(call, "have received a request for -> %s <- product type from -> %s <- vendor%s%s",
                 in->productType, in->vendor, *dev ? " from device " : "", dev);
  gw_prods_t *p = prods_get(svc);
  if (!p) {
    rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  api_StorageRequest *sreq = &p->sreq;
  memcpy(sreq->vendor, in->vendor, sizeof(sreq->vendor));
  memcpy(sreq->productType, in->productType, sizeof(sreq->productType));
  p->scall = call;
  p->timer.fn = on_stream_tick;
  p->slice.fn = on_slice;
  /* the trace and the client's custom metadata go on to storage */
  rpc_call_set_metadata(&p->storage, p->md, take_metadata(call, p));
  rpc_scall_set_user(call, p);
  if (storage_call(p) != RPC_OK) { /* on_close will not run */
    /* the last attempt's words while its backoff runs: what a call that
     * waited for that attempt was told */
    const char *why = p->be ? rpc_channel_why(p->be->ch) : NULL;
    char m[300];
    snprintf(m, sizeof(m), "error while calling client.GetProdsDetail() method: %s",
             why ? why : "storage is unreachable");
    rpc_scall_log(call, RPC_LOG_WARN, "%s", m);
    prods_done(p, RPC_CODE_UNAVAILABLE, m);
    prods_maybe_put(p);
    return;
  }
}

/* Sends p's request to the next storage, the client's remaining deadline
 * forwarded; one that refuses at once (it cannot be dialled) hands it to
 * another, if any. Returns RPC_OK (storage_open) or RPC_ERR_*; p->be is
 * the storage last tried. */
static int storage_call(gw_prods_t *p) {
  gw_balancer_t *lb = p->svc->storages;
  int r = RPC_ERR_TRANSPORT;
  for (int tries = 0; tries < 2; tries++) {
    gw_backend_t *be = gw_lb_pick(lb, p->be);
    if (!be) break;
    p->be = be;
    int64_t left = rpc_scall_remaining_ms(p->scall);
    uint32_t tmo = left < 0 ? 0 : left == 0 ? 1 : (uint32_t)left;
    r = api_StorageService_GetProdsDetail_call(be->ch, &p->storage, &p->sreq, p->req,
                                               sizeof(p->req), tmo);
    if (r == RPC_OK) {
      p->storage_open = 1;
      return RPC_OK;
    }
    if (p->resent || lb->n < 2) break;
    p->resent = 1;
  }
  return r;
}

static void prods_end(rpc_scall_t *call, rpc_end_t why, void *ud) {
  (void)ud;
  gw_prods_t *p = rpc_scall_user(call);
  if (!p) return;
  rpc_scall_log(call, RPC_LOG_INFO, "%s",
                why == RPC_END_DEADLINE ? "deadline has exceeded, stopping server side operation"
                                        : "the user has canceled the request, stopping server "
                                          "side operation");
  p->scall = NULL; /* the server ends the call itself */
  pump_stop(p);
  if (p->storage_open) rpc_channel_cancel(p->be->ch, &p->storage);
  prods_maybe_put(p);
}

void gw_service_methods(gw_service_t *svc, rpc_method_t *out, size_t *n) {
  memset(&svc->handlers, 0, sizeof(svc->handlers));
  svc->handlers.GetVendorProdTypes = prod_types;
  svc->handlers.GetVendorProds = prods;
  svc->handlers.GetVendorProds_end = prods_end;
  svc->handlers.ud = svc;
  *n = api_ProdService_methods(out, &svc->handlers);
}

void gw_service_free(gw_service_t *svc) {
  while (svc->pool) {
    gw_prods_t *p = svc->pool;
    svc->pool = p->next;
    rpc_deframer_free(rpc_call_deframer(&p->storage));
    free(p);
  }
}
