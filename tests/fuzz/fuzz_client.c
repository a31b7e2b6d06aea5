/*
 * fuzz_client.c - the client core's response path, as the board drives it:
 * rpc_client_init, one call started with the board's fixed response buffer
 * (or two calls, multiplexed), the request drained with rpc_client_send, then
 * the fuzz input fed as the server's bytes with rpc_client_recv in a few
 * chunks, the clock moved by hand between them and rpc_client_tick called.
 *
 * Input: bytes 0 and 1 are control bytes, the rest is what the server sends.
 *   byte 0
 *   bits 0-2  number of chunks - 1 (the input is cut in equal parts)
 *   bit 3     unused
 *   bit 4     the clock starts just before it wraps around 2^32 ms
 *   bit 5     the call is GetVendorProds (streaming) instead of GetVendorProdTypes
 *   bit 6     the board's small HPACK table (512) and window (4096)
 *   bit 7     a second call (GetVendorProdTypes, stream 3) runs beside the first
 *   byte 1
 *   bits 0-1  the deadline: none, 4 s (the CLI's default), 2^31 ms + 1 s
 *             (about 25 days), UINT32_MAX ms (the longest the API takes)
 *   bits 2-3  the clock's step per chunk: 1 s, 1 ms, 1 min, 2^30 ms
 *
 * Checked: no crash, no sanitizer report, each call's on_close runs at most
 * once while the client lives and exactly once by rpc_client_free, a closed
 * call is never reported a message afterwards, and rpc_client_tick never
 * ends a call with DeadlineExceeded before its deadline (deadlines past
 * 2^31 - 1 ms, about 24.8 days, may be cut to that: the core's clock is 32
 * bits and compares by difference).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pb_decode.h>

#include "api.pb.h"
#include "rpc_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX2(a, b) ((a) > (b) ? (a) : (b))
/* the board's buffer (firmware-client/src/fc_client.c) */
#define RX_MAX MAX2(api_ClientResponseProds_size, api_ClientResponseType_size)

static const uint32_t deadlines[4] = {0, 4000u, 0x80000000u + 1000u, UINT32_MAX};
static const uint32_t steps[4] = {1000u, 1u, 60000u, 1u << 30};

/* set while rpc_client_tick runs: a DeadlineExceeded then is the core's */
static int in_tick;
static uint32_t start_ms, now_ms;

typedef struct {
  uint32_t timeout;
  int early_deadline;
  int closes;
  int msgs_after_close;
  const pb_msgdesc_t *fields;
} fz_state_t;

/* requests as the board encodes them: vendor "aws", type "storage" */
static const uint8_t req_types[] = {0x0a, 0x03, 'a', 'w', 's'};
static const uint8_t req_prods[] = {0x0a, 0x03, 'a', 'w', 's', 0x12, 0x07,
                                    's',  't',  'o', 'r', 'a', 'g',  'e'};

static int on_message(rpc_call_t *call, const uint8_t *msg, size_t len) {
  fz_state_t *st = rpc_call_user(call);
  union {
    api_ClientResponseProds prods;
    api_ClientResponseType types;
  } u;
  memset(&u, 0, sizeof(u));
  if (st->closes) st->msgs_after_close++;
  pb_istream_t in = pb_istream_from_buffer(msg, len);
  return pb_decode(&in, st->fields, &u) ? 0 : 1; /* as the board: Internal */
}

static void on_close(rpc_call_t *call) {
  fz_state_t *st = rpc_call_user(call);
  st->closes++;
  if (in_tick && rpc_call_code(call) == RPC_CODE_DEADLINE_EXCEEDED &&
      now_ms - start_ms < st->timeout)
    st->early_deadline = 1;
  if (!call->done) {
    fprintf(stderr, "fuzz_client: on_close with call->done unset\n");
    abort();
  }
}

static void check(const fz_state_t *st, int max_closes, const char *when) {
  if (st->closes > max_closes || st->msgs_after_close || st->early_deadline) {
    fprintf(stderr,
            "fuzz_client: %s: on_close ran %d times, %d messages after close, "
            "DeadlineExceeded after %u ms of a %u ms deadline: %s\n",
            when, st->closes, st->msgs_after_close, now_ms - start_ms, st->timeout,
            st->early_deadline ? "too early" : "-");
    abort();
  }
}

static void drain(rpc_client_t *c) {
  const uint8_t *out;
  for (int i = 0; i < 64 && rpc_client_send(c, &out) > 0; i++)
    ;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t rx1[RX_MAX], rx2[RX_MAX];
  if (size < 2) return 0;
  uint8_t ctl = data[0], ctl2 = data[1];
  data += 2, size -= 2;

  rpc_client_t c;
  rpc_client_cfg_t cfg = {0};
  cfg.authority = "127.0.0.1:8080";
  if (ctl & 0x40) {
    cfg.header_table_size = 512;
    cfg.initial_window_size = 4096;
  }
  if (rpc_client_init(&c, &cfg) != RPC_OK) abort();

  uint32_t now = (ctl & 0x10) ? UINT32_MAX - 1500u : 1000u;
  uint32_t timeout = deadlines[ctl2 & 3], step = steps[(ctl2 >> 2) & 3];
  rpc_call_t call1, call2;
  fz_state_t st1 = {0}, st2 = {0};
  st1.timeout = st2.timeout = !timeout ? UINT32_MAX : timeout > INT32_MAX ? INT32_MAX : timeout;
  start_ms = now_ms = now;
  int started1 = 0, started2 = 0;

  static const rpc_call_cbs_t cbs = {.on_message = on_message, .on_close = on_close};
  rpc_call_init(&call1, &cbs, &st1);
  rpc_deframer_init(rpc_call_deframer(&call1), rx1, sizeof(rx1), sizeof(rx1), NULL);
  if (ctl & 0x20) {
    st1.fields = api_ClientResponseProds_fields;
    started1 = rpc_client_start(&c, &call1, "/api.ProdService/GetVendorProds", req_prods,
                                sizeof(req_prods), timeout, now) == RPC_OK;
  } else {
    st1.fields = api_ClientResponseType_fields;
    started1 = rpc_client_start(&c, &call1, "/api.ProdService/GetVendorProdTypes", req_types,
                                sizeof(req_types), timeout, now) == RPC_OK;
  }
  if (ctl & 0x80) {
    rpc_call_init(&call2, &cbs, &st2);
    st2.fields = api_ClientResponseType_fields;
    rpc_deframer_init(rpc_call_deframer(&call2), rx2, sizeof(rx2), sizeof(rx2), NULL);
    started2 = rpc_client_start(&c, &call2, "/api.ProdService/GetVendorProdTypes", req_types,
                                sizeof(req_types), timeout, now) == RPC_OK;
  }
  if (!started1) abort(); /* a fresh client always starts a call */
  drain(&c);

  size_t chunks = 1u + (ctl & 7u);
  size_t piece = (size + chunks - 1) / chunks;
  for (size_t off = 0; off < size;) {
    size_t n = size - off < piece ? size - off : piece;
    int r = rpc_client_recv(&c, data + off, n);
    off += n;
    check(&st1, 1, "after recv");
    check(&st2, 1, "after recv");
    drain(&c);
    /* the clock stops short of the deadline's end so that "elapsed" stays
     * comparable in 32 bits */
    if (timeout && now - start_ms < timeout) {
      uint32_t left = timeout - (now - start_ms);
      now += step < left ? step : left;
    } else {
      now += step;
    }
    now_ms = now;
    in_tick = 1;
    rpc_client_tick(&c, now);
    in_tick = 0;
    check(&st1, 1, "after tick");
    check(&st2, 1, "after tick");
    drain(&c);
    if (r != RPC_OK) break;
  }
  rpc_client_free(&c);
  check(&st1, 1, "after free");
  check(&st2, 1, "after free");
  if (st1.closes != started1 || st2.closes != started2) {
    fprintf(stderr, "fuzz_client: a started call was never closed (%d/%d, %d/%d)\n", st1.closes,
            started1, st2.closes, started2);
    abort();
  }
  return 0;
}
