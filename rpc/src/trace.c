/* trace.c - W3C traceparent: parse, format. See rpc_trace.h. */
#include <string.h>

#include "rpc_trace.h"

static const char hexdig[] = "0123456789abcdef";

/* 1 when s[0..n) are lowercase hex digits not all '0', 0 when all '0', -1
 * when one is not a digit. No branch on the bytes: an id is random, and a
 * test per byte mispredicts on every other one. */
static int hex_run(const char *s, unsigned n) {
  unsigned bad = 0, nonzero = 0;
  for (unsigned i = 0; i < n; i++) {
    unsigned c = (unsigned char)s[i];
    bad |= (c - '0' > 9u) & (c - 'a' > 5u);
    nonzero |= c ^ '0';
  }
  return bad ? -1 : nonzero != 0;
}

int rpc_traceparent_check(const char *s, size_t len) {
  /* version(2) - trace-id(32) - parent-id(16) - flags(2); all-zero ids
   * and version ff are invalid */
  if (len < RPC_TRACEPARENT_LEN || s[2] != '-' || s[35] != '-' || s[52] != '-') return -1;
  if (hex_run(s, 2) < 0 || hex_run(s + 3, 32) != 1 || hex_run(s + 36, 16) != 1 ||
      hex_run(s + 53, 2) < 0 || (s[0] == 'f' && s[1] == 'f'))
    return -1;
  /* 00 has nothing after it, a later version a '-' first */
  if (len > RPC_TRACEPARENT_LEN && ((s[0] == '0' && s[1] == '0') || s[RPC_TRACEPARENT_LEN] != '-'))
    return -1;
  return 0;
}

static int hexval(char c) {
  return c <= '9' ? c - '0' : c - 'a' + 10;
}

int rpc_traceparent_parse(const char *s, size_t len, rpc_trace_t *t) {
  if (rpc_traceparent_check(s, len) != 0) return -1;
  memcpy(t->trace_id, s + 3, 32);
  t->trace_id[32] = '\0';
  memcpy(t->parent_id, s + 36, 16);
  t->parent_id[16] = '\0';
  t->flags = (uint8_t)(hexval(s[53]) << 4 | hexval(s[54]));
  return 0;
}

char *rpc_traceparent_format(const rpc_trace_t *t, char *out) {
  memcpy(out, "00-", 3);
  memcpy(out + 3, t->trace_id, 32);
  out[35] = '-';
  memcpy(out + 36, t->span_id, 16);
  out[52] = '-';
  out[53] = hexdig[t->flags >> 4];
  out[54] = hexdig[t->flags & 15];
  out[55] = '\0';
  return out;
}

void rpc_hex(char *out, const uint8_t *in, size_t n) {
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hexdig[in[i] >> 4];
    out[2 * i + 1] = hexdig[in[i] & 15];
  }
  out[2 * n] = '\0';
}
