/* timeout.c - the grpc-timeout header: "1*8DIGIT unit", units H M S m u n. */
#include "rpc.h"

size_t rpc_timeout_encode(uint32_t ms, char *out) {
  char unit = 'm';
  uint32_t v = ms;
  /* 8 digits of milliseconds cover 27 hours; past that, whole seconds. */
  if (v > 99999999u) {
    v = ms / 1000u + (ms % 1000u != 0); /* rounded up, without overflow */
    unit = 'S';
  }
  char tmp[10];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v);
  for (size_t i = 0; i < n; i++)
    out[i] = tmp[n - 1 - i];
  out[n++] = unit;
  out[n] = '\0';
  return n;
}

int rpc_timeout_decode(const char *s, size_t len, uint32_t *ms) {
  if (len < 2 || len > 9) return RPC_ERR_ARG;
  uint64_t v = 0;
  for (size_t i = 0; i + 1 < len; i++) {
    if (s[i] < '0' || s[i] > '9') return RPC_ERR_ARG;
    v = v * 10u + (uint64_t)(s[i] - '0');
  }
  switch (s[len - 1]) {
  case 'H':
    v *= 3600000u;
    break;
  case 'M':
    v *= 60000u;
    break;
  case 'S':
    v *= 1000u;
    break;
  case 'm':
    break;
  case 'u':
    v = (v + 999u) / 1000u;
    break;
  case 'n':
    v = (v + 999999u) / 1000000u;
    break;
  default:
    return RPC_ERR_ARG;
  }
  *ms = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
  return RPC_OK;
}
