/* test_inproc.c - the in-process channel (rpc_inproc.h) on a real loop:
 * calls reach the handler and come back; a deadline ends a call the
 * handler holds; and when a session's stream ids run out, new calls go to
 * a fresh pair while a call on the spent one still finishes there. White
 * box: the file is included to reach the session's stream ids. */
#include "../../rpc/host/src/inproc.c"

#include "tap.h"

static rpc_scall_t *held; /* a call the handler answers later */

static void on_echo(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud) {
  (void)ud;
  rpc_scall_send(call, req, len);
  rpc_scall_finish(call, RPC_CODE_OK, NULL);
}

static void on_hold(rpc_scall_t *call, const uint8_t *req, size_t len, void *ud) {
  (void)req, (void)len, (void)ud;
  held = call;
}

static void on_hold_end(rpc_scall_t *call, rpc_end_t why, void *ud) {
  (void)call, (void)why, (void)ud;
  held = NULL;
}

typedef struct result {
  int closed, code, msgs, prepared;
} result_t;

static int on_message(rpc_call_t *c, const uint8_t *m, size_t l) {
  (void)m, (void)l;
  ((result_t *)rpc_call_user(c))->msgs++;
  return 0;
}

static void on_close(rpc_call_t *c) {
  result_t *r = rpc_call_user(c);
  r->closed = 1;
  r->code = rpc_call_code(c);
}

static const rpc_call_cbs_t cbs = {.on_message = on_message, .on_close = on_close};

static void prepare(rpc_call_t *call, result_t *r) {
  if (r->prepared) rpc_deframer_free(rpc_call_deframer(call)); /* the call before's */
  memset(r, 0, sizeof(*r));
  r->prepared = 1;
  rpc_call_init(call, &cbs, r);
  rpc_deframer_init(rpc_call_deframer(call), NULL, 0, 1u << 20, rpc_heap_grow);
}

/* Turns the loop until the call closed (bounded: 2 s). */
static void wait_closed(rpc_loop_t *loop, const result_t *r) {
  for (int i = 0; i < 200 && !r->closed; i++)
    rpc_loop_turn(loop, 10);
}

int main(void) {
  rpc_loop_t *loop = rpc_loop_new();
  rpc_method_t m[2] = {rpc_method_unary("/t.S/Echo", on_echo, NULL, NULL),
                       rpc_method_unary("/t.S/Hold", on_hold, on_hold_end, NULL)};
  rpc_inproc_t *p = rpc_inproc_new(loop, m, 2, NULL, "test");
  CHECK(p != NULL);
  static const uint8_t req[3] = {1, 2, 3};
  rpc_call_t a, b;
  result_t ra = {0}, rb = {0};

  prepare(&a, &ra);
  CHECK(rpc_inproc_start(p, &a, "/t.S/Echo", req, sizeof(req), 1000) == RPC_OK);
  CHECK(!ra.closed); /* bytes move on the loop, not inside start */
  wait_closed(loop, &ra);
  CHECK(ra.closed && ra.code == RPC_CODE_OK && ra.msgs == 1);

  /* a deadline ends a call the handler never answers */
  prepare(&a, &ra);
  CHECK(rpc_inproc_start(p, &a, "/t.S/Hold", req, sizeof(req), 50) == RPC_OK);
  wait_closed(loop, &ra);
  CHECK(ra.closed && ra.code == RPC_CODE_DEADLINE_EXCEEDED);
  for (int i = 0; i < 20 && held; i++)
    rpc_loop_turn(loop, 10);
  CHECK(held == NULL); /* the server side ended too */

  /* stream ids nearly spent: a held call on the old pair, then calls that
   * need a new one; the held call still finishes on its own pair */
  nghttp2_session_set_next_stream_id(p->pairs[p->cur].cli.session, INPROC_LAST_ID - 1);
  prepare(&b, &rb);
  CHECK(rpc_inproc_start(p, &b, "/t.S/Hold", req, sizeof(req), 0) == RPC_OK);
  for (int i = 0; i < 20 && !held; i++)
    rpc_loop_turn(loop, 10);
  CHECK(held != NULL);
  int first = p->cur;
  for (int k = 0; k < 3; k++) {
    prepare(&a, &ra);
    CHECK(rpc_inproc_start(p, &a, "/t.S/Echo", req, sizeof(req), 1000) == RPC_OK);
    wait_closed(loop, &ra);
    CHECK(ra.closed && ra.code == RPC_CODE_OK && ra.msgs == 1);
  }
  CHECK(p->cur != first && p->pairs[first].live); /* a new pair; the old one is finishing */
  rpc_scall_finish(held, RPC_CODE_OK, NULL);
  wait_closed(loop, &rb);
  CHECK(rb.closed && rb.code == RPC_CODE_OK);
  for (int i = 0; i < 20 && p->pairs[first].live; i++)
    rpc_loop_turn(loop, 10);
  CHECK(!p->pairs[first].live); /* gone once its last call ended */

  /* freeing closes what is open: Cancelled */
  prepare(&a, &ra);
  CHECK(rpc_inproc_start(p, &a, "/t.S/Hold", req, sizeof(req), 0) == RPC_OK);
  for (int i = 0; i < 20 && !held; i++)
    rpc_loop_turn(loop, 10);
  rpc_inproc_free(p);
  CHECK(ra.closed && ra.code == RPC_CODE_CANCELLED);
  rpc_deframer_free(rpc_call_deframer(&a));
  rpc_deframer_free(rpc_call_deframer(&b));
  rpc_loop_free(loop);
  return tap_done("test_inproc");
}
