/* pump.c - the board's blocking loop: flush what the core wants to send,
 * wait for bytes no longer than the nearest deadline or keepalive event,
 * feed them in.
 *
 * Two error spaces meet here and stay apart: the transport's PORT_ERR_*
 * (explained by port_strerror or the transport's own why) and the core's
 * RPC_ERR_* (rpc_strerror). */
#include "rpc_pump.h"

#define RPC_PUMP_POLL_MS 50u /* upper bound on one wait, so deadlines stay sharp */

/* Writes what the core has. Returns RPC_OK; RPC_ERR_TRANSPORT with the
 * port's code in *port_err; or RPC_ERR_PROTO when the core itself failed (it
 * has closed its calls with the reason). */
static int flush(rpc_client_t *c, port_transport_t *t, int32_t *port_err) {
  const uint8_t *out;
  long n;
  while ((n = rpc_client_send(c, &out)) > 0) {
    size_t off = 0;
    while (off < (size_t)n) {
      int32_t w = t->send(t->net, out + off, (size_t)n - off);
      if (w < 0) {
        *port_err = w;
        return RPC_ERR_TRANSPORT;
      }
      if (w == 0) { /* the port's buffer is full: deadlines still apply */
        rpc_client_tick(c, port_time_ms());
        if (!c->calls) return RPC_OK;
        continue;
      }
      off += (size_t)w;
    }
  }
  return n < 0 ? RPC_ERR_PROTO : RPC_OK;
}

/* Why the transport failed: its own words (TLS's alert) or the port's. */
static const char *failure(const port_transport_t *t, int32_t port_err) {
  const char *why = t->why ? t->why(t->net, port_err) : NULL;
  if (why) return why;
  return port_err == PORT_ERR_CLOSED ? RPC_ERRSTR("connection closed by the server")
                                     : port_strerror(port_err);
}

/* Deadlines, then keepalive. Returns the ms until either wants the pump
 * again, or RPC_ERR_TIMEOUT (as a negative long) when a PING went
 * unanswered: the calls are then closed with Unavailable. */
static long timers(rpc_client_t *c, rpc_link_t *l) {
  uint32_t now = port_time_ms(), wait = rpc_client_tick(c, now), ka;
  if (l && rpc_link_service(l, c, now, &ka) == RPC_ERR_TIMEOUT) {
    rpc_client_fail(c, RPC_CODE_UNAVAILABLE,
                    RPC_ERRSTR("connection error: keepalive ping not answered"));
    return RPC_ERR_TIMEOUT;
  }
  if (l && ka < wait) wait = ka;
  return wait > RPC_PUMP_POLL_MS ? (long)RPC_PUMP_POLL_MS : (long)wait;
}

/* The loop of both modes: until no call is open (or done says so), or
 * (idle) until until_ms or until the connection takes no more calls and
 * none is left on it. */
static int drive(rpc_client_t *c, rpc_link_t *l, port_transport_t *t, int idle, uint32_t until_ms,
                 rpc_pump_done_fn done, void *arg) {
  static uint8_t rx[RPC_PUMP_RX_LEN];
  int32_t port_err = PORT_OK;
  for (;;) {
    long wait = timers(c, l);
    if (wait < 0) return (int)wait;
    int r = flush(c, t, &port_err);
    if (r == RPC_ERR_TRANSPORT) {
      rpc_client_fail(c, RPC_CODE_UNAVAILABLE, failure(t, port_err));
      return r;
    }
    if (r != RPC_OK) return r; /* the core failed: its calls hold why */
    if (!idle && !c->calls) break;
    if (!idle && done && done(arg)) {
      /* with other calls open, take what has already arrived before going
       * back (a wait of 0, 1 ms over TLS): a board that only sends, one
       * message after another into a window that never fills, still hears
       * its other calls (a command stream beside an upload) */
      int32_t n = c->calls->next ? t->recv(t->net, rx, sizeof(rx), 0) : 0;
      if (n > 0 && rpc_client_recv(c, rx, (size_t)n) != RPC_OK) return RPC_ERR_PROTO;
      if (n < 0) {
        rpc_client_fail(c, RPC_CODE_UNAVAILABLE, failure(t, n));
        return RPC_ERR_TRANSPORT;
      }
      break;
    }
    if (idle) {
      int32_t left = (int32_t)(until_ms - port_time_ms());
      /* after a GOAWAY the calls still open go on being served */
      if (left <= 0 || (!rpc_link_usable(c) && !c->calls)) break;
      if (left < wait) wait = left;
    }
    int32_t n = t->recv(t->net, rx, sizeof(rx), (uint32_t)wait);
    if (n < 0) {
      rpc_client_fail(c, RPC_CODE_UNAVAILABLE, failure(t, n));
      return RPC_ERR_TRANSPORT;
    }
    if (n > 0) {
      /* a deadline that passed while we waited wins over what arrived with
       * it: expired calls close first, the bytes still feed the session */
      rpc_client_tick(c, port_time_ms());
      if (rpc_client_recv(c, rx, (size_t)n) != RPC_OK) return RPC_ERR_PROTO;
    }
  }
  /* let RST_STREAMs and WINDOW_UPDATEs of the last call go out */
  (void)flush(c, t, &port_err);
  return RPC_OK;
}

int rpc_pump_run(rpc_client_t *c, rpc_link_t *l, port_transport_t *t) {
  return drive(c, l, t, 0, 0, NULL, NULL);
}

int rpc_pump_until(rpc_client_t *c, rpc_link_t *l, port_transport_t *t, rpc_pump_done_fn done,
                   void *arg) {
  return drive(c, l, t, 0, 0, done, arg);
}

int rpc_pump_idle(rpc_client_t *c, rpc_link_t *l, port_transport_t *t, uint32_t ms) {
  return drive(c, l, t, 1, port_time_ms() + ms, NULL, NULL);
}
