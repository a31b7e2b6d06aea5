/* message.c - grpc-message percent-encoding (PROTOCOL-HTTP2.md): bytes
 * outside 0x20..0x7E and '%' itself are sent as %XX. */
#include "rpc.h"

static const char hex[] = "0123456789ABCDEF";

size_t rpc_msg_encode(const char *msg, size_t len, char *out, size_t cap) {
  size_t o = 0;
  if (cap == 0) return 0;
  for (size_t i = 0; i < len; i++) {
    uint8_t c = (uint8_t)msg[i];
    /* HTTP/2 field values may not begin or end with a space (RFC 9113
     * 8.2.1): such a space is escaped too, or strict peers drop the stream */
    int edge_space = c == ' ' && (i == 0 || i + 1 == len);
    if (c >= 0x20 && c <= 0x7e && c != '%' && !edge_space) {
      if (o + 1 >= cap) break;
      out[o++] = (char)c;
    } else {
      if (o + 3 >= cap) break;
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  /* cut short after inner spaces: drop them, the value must not end in one */
  while (o > 0 && out[o - 1] == ' ')
    o--;
  out[o] = '\0';
  return o;
}

static int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

size_t rpc_msg_decode(const char *s, size_t len, char *out, size_t cap) {
  size_t o = 0;
  if (cap == 0) return 0;
  for (size_t i = 0; i < len && o + 1 < cap; i++) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < len && (hi = unhex(s[i + 1])) >= 0 && (lo = unhex(s[i + 2])) >= 0) {
      out[o++] = (char)(hi << 4 | lo);
      i += 2;
    } else {
      out[o++] = s[i]; /* invalid escapes pass through unchanged */
    }
  }
  out[o] = '\0';
  return o;
}
