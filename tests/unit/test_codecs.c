/* test_codecs.c - grpc-timeout, grpc-message, status names, the deframer,
 * base64 for "-bin" metadata, W3C traceparent. */
#include <stdlib.h>
#include <string.h>

#include "rpc.h"
#include "rpc_trace.h"
#include "tap.h"

static void timeouts(void) {
  char b[12];
  uint32_t ms = 0;
  CHECK(rpc_timeout_encode(4000, b) == 5 && strcmp(b, "4000m") == 0);
  CHECK(rpc_timeout_encode(0, b) == 2 && strcmp(b, "0m") == 0);
  rpc_timeout_encode(UINT32_MAX, b);
  CHECK(strlen(b) <= 9 && b[strlen(b) - 1] == 'S');
  CHECK(rpc_timeout_decode("4000m", 5, &ms) == RPC_OK && ms == 4000);
  CHECK(rpc_timeout_decode("2S", 2, &ms) == RPC_OK && ms == 2000);
  CHECK(rpc_timeout_decode("1H", 2, &ms) == RPC_OK && ms == 3600000);
  CHECK(rpc_timeout_decode("1M", 2, &ms) == RPC_OK && ms == 60000);
  CHECK(rpc_timeout_decode("1500u", 5, &ms) == RPC_OK && ms == 2); /* rounded up */
  CHECK(rpc_timeout_decode("1n", 2, &ms) == RPC_OK && ms == 1);
  CHECK(rpc_timeout_decode("99999999H", 9, &ms) == RPC_OK && ms == UINT32_MAX);
  CHECK(rpc_timeout_decode("123456789m", 10, &ms) == RPC_ERR_ARG); /* 9 digits */
  CHECK(rpc_timeout_decode("m", 1, &ms) == RPC_ERR_ARG);
  CHECK(rpc_timeout_decode("12x", 3, &ms) == RPC_ERR_ARG);
  CHECK(rpc_timeout_decode("-1S", 3, &ms) == RPC_ERR_ARG);
}

static void messages(void) {
  char enc[64], dec[64];
  const char *m = "a%b\n\xc3\xa9 z";
  size_t n = rpc_msg_encode(m, strlen(m), enc, sizeof(enc));
  CHECK(strcmp(enc, "a%25b%0A%C3%A9 z") == 0 && n == strlen(enc));
  rpc_msg_decode(enc, n, dec, sizeof(dec));
  CHECK(strcmp(dec, m) == 0);
  rpc_msg_decode("bad %zz and %4", 14, dec, sizeof(dec)); /* invalid escapes kept */
  CHECK(strcmp(dec, "bad %zz and %4") == 0);
  rpc_msg_encode(" a b ", 5, enc, sizeof(enc)); /* no bare space at either end */
  CHECK(strcmp(enc, "%20a b%20") == 0);
  rpc_msg_encode("\n\n\n\n", 4, enc, 8); /* truncates on a whole escape */
  CHECK(strcmp(enc, "%0A%0A") == 0);
}

static void codes(void) {
  CHECK(strcmp(rpc_code_name(3), "InvalidArgument") == 0);
  CHECK(strcmp(rpc_code_name(1), "Canceled") == 0);
  CHECK(strcmp(rpc_code_name(99), "Unknown") == 0);
  CHECK(rpc_code_parse("14", 2) == RPC_CODE_UNAVAILABLE);
  CHECK(rpc_code_parse("x", 1) == RPC_CODE_UNKNOWN);
  CHECK(rpc_code_parse("17", 2) == RPC_CODE_UNKNOWN);
  CHECK(rpc_code_from_http(404) == RPC_CODE_UNIMPLEMENTED);
  CHECK(rpc_code_from_http(503) == RPC_CODE_UNAVAILABLE);
  CHECK(rpc_code_from_h2(0x8) == RPC_CODE_CANCELLED);
  CHECK(rpc_code_from_h2(0x7) == RPC_CODE_UNAVAILABLE);
}

typedef struct {
  int n;
  size_t lens[8];
  char first[16];
} got_t;

static int on_msg(void *arg, const uint8_t *m, size_t len) {
  got_t *g = arg;
  if (g->n == 0) memcpy(g->first, m, len < 15 ? len : 15);
  g->lens[g->n++ & 7] = len;
  return 0;
}

static void *grow(void *old, size_t n) {
  if (!n) {
    free(old);
    return NULL;
  }
  return realloc(old, n);
}

static void deframer(void) {
  uint8_t wire[64], buf[32];
  size_t w = 0;
  /* three messages back to back: "hello", "", "xy" */
  rpc_frame_prefix(wire + w, 5);
  memcpy(wire + w + 5, "hello", 5);
  w += 10;
  rpc_frame_prefix(wire + w, 0);
  w += 5;
  rpc_frame_prefix(wire + w, 2);
  memcpy(wire + w + 5, "xy", 2);
  w += 7;
  rpc_deframer_t d;
  got_t g = {0};
  /* all in one piece */
  rpc_deframer_init(&d, buf, sizeof(buf), sizeof(buf), NULL);
  CHECK(rpc_deframer_feed(&d, wire, w, on_msg, &g) == RPC_OK);
  CHECK(g.n == 3 && g.lens[0] == 5 && g.lens[1] == 0 && g.lens[2] == 2);
  CHECK(strcmp(g.first, "hello") == 0 && rpc_deframer_idle(&d));
  /* one byte at a time */
  memset(&g, 0, sizeof(g));
  rpc_deframer_init(&d, buf, sizeof(buf), sizeof(buf), NULL);
  for (size_t i = 0; i < w; i++)
    CHECK(rpc_deframer_feed(&d, wire + i, 1, on_msg, &g) == RPC_OK);
  CHECK(g.n == 3 && strcmp(g.first, "hello") == 0);
  /* over the limit, and compressed */
  uint8_t big[5];
  rpc_frame_prefix(big, 33);
  rpc_deframer_init(&d, buf, sizeof(buf), sizeof(buf), NULL);
  CHECK(rpc_deframer_feed(&d, big, 5, on_msg, &g) == RPC_ERR_TOO_LARGE);
  big[0] = 1;
  rpc_frame_prefix(big + 0, 1);
  big[0] = 1;
  rpc_deframer_init(&d, buf, sizeof(buf), sizeof(buf), NULL);
  CHECK(rpc_deframer_feed(&d, big, 5, on_msg, &g) == RPC_ERR_COMPRESSED);
  /* a fixed buffer smaller than max cannot grow */
  rpc_frame_prefix(big, 20);
  rpc_deframer_init(&d, buf, 8, 64, NULL);
  CHECK(rpc_deframer_feed(&d, big, 5, on_msg, &g) == RPC_ERR_NOMEM);
  /* a growing buffer */
  memset(&g, 0, sizeof(g));
  rpc_deframer_init(&d, NULL, 0, 1 << 20, grow);
  CHECK(rpc_deframer_feed(&d, wire, w, on_msg, &g) == RPC_OK && g.n == 3);
  rpc_deframer_free(&d);
}

typedef struct {
  size_t bytes, ends;
  uint32_t last_total;
  int ordered;
} pieces_t;

static int on_piece(void *arg, const uint8_t *p, size_t len, uint32_t off, uint32_t total) {
  pieces_t *g = arg;
  (void)p;
  g->ordered &= off + len <= total;
  g->bytes += len;
  g->last_total = total;
  return 0;
}

static int on_end(void *arg, const uint8_t *msg, size_t len) {
  pieces_t *g = arg;
  g->ordered &= msg == NULL && len == g->last_total;
  g->ends++;
  return 0;
}

/* Streaming mode: bodies arrive in pieces, nothing is buffered, a message
 * larger than any buffer passes as long as it is under max. */
static void streaming(void) {
  static uint8_t wire[5 + 100000 + 5];
  rpc_frame_prefix(wire, 100000);
  rpc_frame_prefix(wire + 5 + 100000, 0);
  rpc_deframer_t d;
  pieces_t g = {0, 0, 0, 1};
  rpc_deframer_stream(&d, 200000, on_piece);
  for (size_t i = 0; i < sizeof(wire); i += 999) {
    size_t n = sizeof(wire) - i < 999 ? sizeof(wire) - i : 999;
    CHECK(rpc_deframer_feed(&d, wire + i, n, on_end, &g) == RPC_OK);
  }
  CHECK(g.bytes == 100000 && g.ends == 2 && g.ordered && rpc_deframer_idle(&d));
  rpc_deframer_stream(&d, 1000, on_piece);
  CHECK(rpc_deframer_feed(&d, wire, 5, on_end, &g) == RPC_ERR_TOO_LARGE);
}

/* RFC 4648's vectors, unpadded as grpc sends them; padded and URL-safe
 * text read too; a short buffer or a stray character refused. */
static void base64(void) {
  static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const b64[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
  char t[16];
  uint8_t o[16];
  for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
    size_t n = strlen(plain[i]);
    CHECK(rpc_b64_encode((const uint8_t *)plain[i], n, t, sizeof(t)) == (long)strlen(b64[i]) &&
          strcmp(t, b64[i]) == 0);
    CHECK(rpc_b64_decode(b64[i], strlen(b64[i]), o, sizeof(o)) == (long)n &&
          memcmp(o, plain[i], n) == 0);
  }
  static const uint8_t ab[] = {0xab, 0xab, 0xab};
  CHECK(rpc_b64_encode(ab, 3, t, sizeof(t)) == 4 && strcmp(t, "q6ur") == 0);
  CHECK(rpc_b64_decode("Zm8=", 4, o, sizeof(o)) == 2 && memcmp(o, "fo", 2) == 0);
  CHECK(rpc_b64_decode("-_8", 3, o, sizeof(o)) == 2 && o[0] == 0xfb && o[1] == 0xff);
  CHECK(rpc_b64_encode((const uint8_t *)"foo", 3, t, 4) == RPC_ERR_TOO_LARGE); /* no room for NUL */
  CHECK(rpc_b64_decode("Zm9v", 4, o, 2) == RPC_ERR_TOO_LARGE);
  CHECK(rpc_b64_decode("Zm9*", 4, o, sizeof(o)) == RPC_ERR_ARG);
  CHECK(rpc_b64_decode("Z", 1, o, sizeof(o)) == RPC_ERR_ARG);
}

static int tp_ok(const char *s) {
  return rpc_traceparent_check(s, strlen(s)) == 0;
}

static void traceparents(void) {
  const char *good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  rpc_trace_t t = {.flags = 7};
  char out[RPC_TRACEPARENT_LEN + 1];
  CHECK(strlen(good) == RPC_TRACEPARENT_LEN && tp_ok(good));
  CHECK(rpc_traceparent_parse(good, strlen(good), &t) == 0);
  CHECK(strcmp(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736") == 0);
  CHECK(strcmp(t.parent_id, "00f067aa0ba902b7") == 0 && t.flags == 1);
  memcpy(t.span_id, "b7ad6b7169203331", 17);
  t.flags = 0xa5;
  CHECK(strcmp(rpc_traceparent_format(&t, out),
               "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-a5") == 0);
  CHECK(
      tp_ok("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future")); /* later versions */
  CHECK(tp_ok("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff"));
  CHECK(!tp_ok("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"));
  CHECK(!tp_ok("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-")); /* 00: 55 exactly */
  CHECK(!tp_ok("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));  /* version ff */
  CHECK(!tp_ok("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));  /* upper case */
  CHECK(!tp_ok("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));  /* zero trace */
  CHECK(!tp_ok("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));  /* zero parent */
  CHECK(!tp_ok("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g"));  /* not hex */
  CHECK(!tp_ok("00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01"));  /* dash moved */
  CHECK(!tp_ok("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1"));   /* short */
  CHECK(!tp_ok(""));
  t.flags = 9;
  CHECK(rpc_traceparent_parse("00-0", 4, &t) == -1 && t.flags == 9); /* t untouched */
}

int main(void) {
  traceparents();
  base64();
  timeouts();
  streaming();
  messages();
  codes();
  deframer();
  return tap_done("test_codecs");
}
