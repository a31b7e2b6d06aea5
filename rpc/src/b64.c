/* b64.c - base64 for "-bin" metadata (PROTOCOL-HTTP2.md): values go out
 * unpadded, as grpc sends them, and come in padded or not. */
#include "rpc.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

long rpc_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap) {
  size_t need = len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0), o = 0;
  if (need + 1 > cap) return RPC_ERR_TOO_LARGE;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    size_t n = len - i < 3 ? len - i : 3;
    if (n > 1) v |= (uint32_t)in[i + 1] << 8;
    if (n > 2) v |= in[i + 2];
    for (size_t k = 0; k <= n; k++)
      out[o++] = alphabet[(v >> (18 - 6 * k)) & 63u];
  }
  out[o] = '\0';
  return (long)o;
}

static int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62; /* '-' and '_': the URL-safe alphabet too */
  if (c == '/' || c == '_') return 63;
  return -1;
}

long rpc_b64_decode(const char *in, size_t len, uint8_t *out, size_t cap) {
  uint32_t v = 0;
  size_t bits = 0, o = 0;
  while (len && in[len - 1] == '=')
    len--;
  for (size_t i = 0; i < len; i++) {
    int s = sextet(in[i]);
    if (s < 0) return RPC_ERR_ARG;
    v = (v << 6) | (uint32_t)s;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o == cap) return RPC_ERR_TOO_LARGE;
      out[o++] = (uint8_t)(v >> bits);
    }
  }
  if (bits >= 6) return RPC_ERR_ARG; /* one lone sextet: not base64 */
  return (long)o;
}
