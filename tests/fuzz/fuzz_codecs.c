/*
 * fuzz_codecs.c - the header codecs of rpc.h, with their properties checked:
 *   rpc_timeout_decode  accepts exactly "1..8 digits + H|M|S|m|u|n", and what
 *                       it decodes survives rpc_timeout_encode -> decode
 *   rpc_msg_encode      decode(encode(x)) == x for any bytes x when the output
 *                       has room; a truncated encoding decodes to a prefix of x;
 *                       the output is a valid HTTP/2 field value (RFC 9113
 *                       8.2.1: no leading or trailing space)
 *   rpc_msg_decode      never writes past cap, always NUL-terminates
 *   rpc_code_parse      "0".."16" (one or two digits) or Unknown
 *   rpc_code_name, rpc_code_from_http, rpc_code_from_h2: any int
 * Byte 0 of the input picks the output capacity; the rest is the value.
 * Buffers are heap blocks of the exact capacity, so AddressSanitizer sees
 * any write past it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                                                  \
  do {                                                                                             \
    fprintf(stderr, "fuzz_codecs: " __VA_ARGS__);                                                  \
    fputc('\n', stderr);                                                                           \
    abort();                                                                                       \
  } while (0)

static void timeouts(const char *s, size_t len) {
  uint32_t ms = 12345;
  int r = rpc_timeout_decode(s, len, &ms);
  int valid = len >= 2 && len <= 9 && strchr("HMSmun", s[len - 1]) && s[len - 1] != '\0';
  for (size_t i = 0; valid && i + 1 < len; i++)
    valid = s[i] >= '0' && s[i] <= '9';
  if ((r == RPC_OK) != valid) FAIL("timeout \"%.*s\": decode %d, valid %d", (int)len, s, r, valid);
  if (r != RPC_OK) {
    if (ms != 12345) FAIL("timeout: a refused value changed the output");
    return;
  }
  char enc[10];
  memset(enc, 'x', sizeof(enc));
  size_t n = rpc_timeout_encode(ms, enc);
  if (n < 2 || n > 9 || enc[n] != '\0') FAIL("timeout encode(%u): length %zu", ms, n);
  uint32_t back = 0;
  if (rpc_timeout_decode(enc, n, &back) != RPC_OK)
    FAIL("timeout encode(%u) = \"%s\": refused", ms, enc);
  /* milliseconds are exact; past 8 digits the encoder rounds up to seconds */
  int ok = ms <= 99999999u ? back == ms : back >= ms && (back - ms < 1000u || back == UINT32_MAX);
  if (!ok) FAIL("timeout %u -> \"%s\" -> %u", ms, enc, back);
}

static void messages(const char *s, size_t len, size_t cap) {
  /* full round trip */
  size_t ecap = len * 3 + 1;
  char *enc = malloc(ecap), *dec = malloc(len + 1);
  size_t el = rpc_msg_encode(s, len, enc, ecap);
  if (el >= ecap || enc[el] != '\0' || strlen(enc) != el) FAIL("msg encode: length %zu", el);
  for (size_t i = 0; i < el; i++)
    if ((uint8_t)enc[i] < 0x20 || (uint8_t)enc[i] > 0x7e)
      FAIL("msg encode: byte 0x%02x", (uint8_t)enc[i]);
  if (el && (enc[0] == ' ' || enc[el - 1] == ' '))
    FAIL("msg encode: \"%s\" starts or ends with a space (invalid HTTP/2 field value)", enc);
  size_t dl = rpc_msg_decode(enc, el, dec, len + 1);
  if (dl != len || memcmp(dec, s, len) != 0)
    FAIL("msg: decode(encode(x)) != x (%zu vs %zu bytes)", dl, len);
  free(enc);
  free(dec);

  /* truncated encoding: a prefix of x, on whole escapes */
  if (cap) {
    char *t = malloc(cap), *td = malloc(len + 1);
    size_t tl = rpc_msg_encode(s, len, t, cap);
    if (tl >= cap || t[tl] != '\0') FAIL("msg encode cap %zu: length %zu", cap, tl);
    if (tl && (t[0] == ' ' || t[tl - 1] == ' '))
      FAIL("msg encode cap %zu: \"%s\" starts or ends with a space", cap, t);
    size_t tdl = rpc_msg_decode(t, tl, td, len + 1);
    if (tdl > len || memcmp(td, s, tdl) != 0) FAIL("msg: truncated encoding is not a prefix");
    free(t);
    free(td);
  } else if (rpc_msg_encode(s, len, NULL, 0) != 0 || rpc_msg_decode(s, len, NULL, 0) != 0) {
    FAIL("msg: cap 0 must write nothing");
  }

  /* raw decode of anything */
  if (cap) {
    char *o = malloc(cap);
    size_t ol = rpc_msg_decode(s, len, o, cap);
    if (ol >= cap || o[ol] != '\0') FAIL("msg decode cap %zu: length %zu", cap, ol);
    free(o);
  }
}

static void codes(const char *s, size_t len) {
  int c = rpc_code_parse(s, len);
  int want = RPC_CODE_UNKNOWN;
  if (len == 1 && s[0] >= '0' && s[0] <= '9') want = s[0] - '0';
  if (len == 2 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9') {
    int v = (s[0] - '0') * 10 + (s[1] - '0');
    want = v <= 16 ? v : RPC_CODE_UNKNOWN;
  }
  if (c != want) FAIL("code parse \"%.*s\": %d, want %d", (int)len, s, c, want);
  int v = 0;
  memcpy(&v, s, len < sizeof(v) ? len : sizeof(v));
  if (!rpc_code_name(v) || !rpc_code_name(c)[0]) FAIL("code name");
  int h = rpc_code_from_http(v), e = rpc_code_from_h2((uint32_t)v);
  if (h < 0 || h > 16 || e < 0 || e > 16) FAIL("code mapping out of range");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t cap = data[0];
  const char *s = (const char *)data + 1;
  size_t len = size - 1;
  timeouts(s, len);
  messages(s, len, cap);
  codes(s, len);
  return 0;
}
