/* gw_wire.c - see gw_wire.h. Protocol buffers' wire format: a key (field
 * number << 3 | wire type) as a varint, then a varint, 8 bytes, a
 * length-prefixed run, or 4 bytes. */
#include <string.h>

#include "api.pb.h"
#include "gw_wire.h"

#define TITLE_MAX (sizeof(((api_Product *)0)->title) - 1)
#define URL_MAX (sizeof(((api_Product *)0)->url) - 1)

/* A varint at *p (before end), at most 64 bits; 0 or -1. */
static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  uint64_t x = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*p >= end) return -1;
    uint8_t b = *(*p)++;
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return 0;
    }
  }
  return -1;
}

/* Reads one field's key and, for a length-delimited one, its bytes; skips
 * the value of any other. 1 and the field, 0 at end, -1 when malformed. */
static int field(const uint8_t **p, const uint8_t *end, uint32_t *num, uint32_t *wt,
                 gw_bytes_t *run) {
  uint64_t key, n;
  if (*p == end) return 0;
  if (varint(p, end, &key) != 0 || (key >> 3) == 0 || (key >> 3) > UINT32_MAX) return -1;
  *num = (uint32_t)(key >> 3);
  *wt = (uint32_t)(key & 7);
  switch (*wt) {
  case 0: /* varint */
    return varint(p, end, &n) == 0 ? 1 : -1;
  case 1: /* 64-bit */
    if (end - *p < 8) return -1;
    *p += 8;
    return 1;
  case 2: /* length-delimited */
    if (varint(p, end, &n) != 0 || n > (uint64_t)(end - *p)) return -1;
    run->p = *p;
    run->n = (size_t)n;
    *p += n;
    return 1;
  case 5: /* 32-bit */
    if (end - *p < 4) return -1;
    *p += 4;
    return 1;
  default: /* groups, and no such type: nanopb refuses them too */
    return -1;
  }
}

int gw_wire_next(const uint8_t **pos, const uint8_t *end, gw_bytes_t *title, gw_bytes_t *url) {
  uint32_t num, wt;
  gw_bytes_t run;
  int r;
  while ((r = field(pos, end, &num, &wt, &run)) == 1) {
    /* another field, or prodDetail not length-delimited: skipped */
    if (num != api_StorageResponse_prodDetail_tag || wt != 2) continue;
    const uint8_t *p = run.p, *e = run.p + run.n;
    gw_bytes_t in;
    title->n = url->n = 0;
    title->p = url->p = run.p;
    while ((r = field(&p, e, &num, &wt, &in)) == 1) {
      if (num != api_Product_title_tag && num != api_Product_url_tag) continue;
      if (wt != 2) return -1;
      if (num == api_Product_title_tag) { /* the last one counts, as in nanopb */
        if (in.n > TITLE_MAX) return -1;
        *title = in;
      } else {
        if (in.n > URL_MAX) return -1;
        *url = in;
      }
    }
    return r == 0 ? 1 : -1;
  }
  return r;
}

/* A string as nanopb sends it: up to its first NUL. */
static size_t upto_nul(gw_bytes_t b) {
  const uint8_t *z = memchr(b.p, 0, b.n);
  return z ? (size_t)(z - b.p) : b.n;
}

static uint8_t *put_varint(uint8_t *o, size_t v) {
  while (v >= 0x80) {
    *o++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *o++ = (uint8_t)v;
  return o;
}

static uint8_t *put_string(uint8_t *o, uint32_t num, gw_bytes_t b) {
  size_t n = upto_nul(b);
  if (!n) return o;
  *o++ = (uint8_t)(num << 3 | 2);
  o = put_varint(o, n);
  memcpy(o, b.p, n);
  return o + n;
}

static size_t varint_len(size_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

static size_t string_len(gw_bytes_t b) {
  size_t n = upto_nul(b);
  return n ? 1 + varint_len(n) + n : 0;
}

size_t gw_wire_reply(uint8_t *out, gw_bytes_t title, gw_bytes_t url, gw_bytes_t short_url) {
  size_t inner = string_len(title) + string_len(url) + string_len(short_url);
  uint8_t *o = out;
  /* product is a submessage: always sent once set (has_product), even empty */
  *o++ = (uint8_t)(api_ClientResponseProds_product_tag << 3 | 2);
  o = put_varint(o, inner);
  o = put_string(o, api_ProdsPrep_title_tag, title);
  o = put_string(o, api_ProdsPrep_url_tag, url);
  o = put_string(o, api_ProdsPrep_shortUrl_tag, short_url);
  return (size_t)(o - out);
}
