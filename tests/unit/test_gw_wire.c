/* test_gw_wire.c - the gateway's hand-written wire path (gw_wire.h) against
 * nanopb on the same messages: StorageResponses that nanopb encodes are
 * read back product by product with the same titles and urls; replies are
 * byte for byte what nanopb encodes from the same fields (empty strings
 * left out, strings at their bounds); what nanopb refuses to decode (a
 * string over its bound, a truncated message, a group) gw_wire_next
 * refuses too, and unknown fields are skipped by both. */
#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "api.pb.h"
#include "gw_wire.h"
#include "tap.h"

typedef struct {
  const char *title, *url;
} prod_t;

static char big_title[sizeof(((api_Product *)0)->title)], big_url[sizeof(((api_Product *)0)->url)];
static prod_t prods[] = {
    {"Compute Engine", "https://cloud.google.com/compute/"},
    {"", "https://example.com/no-title"},
    {"no url", ""},
    {"", ""},
    {big_title, big_url}, /* at the bounds: 95 and 159 bytes (filled in main) */
};
#define NPRODS (sizeof(prods) / sizeof(prods[0]))

static bool enc_prods(pb_ostream_t *s, const pb_field_iter_t *f, void *const *arg) {
  (void)arg;
  for (size_t i = 0; i < NPRODS; i++) {
    api_Product p = api_Product_init_zero;
    strncpy(p.title, prods[i].title, sizeof(p.title) - 1);
    strncpy(p.url, prods[i].url, sizeof(p.url) - 1);
    if (!pb_encode_tag_for_field(s, f) || !pb_encode_submessage(s, api_Product_fields, &p))
      return false;
  }
  return true;
}

static gw_bytes_t str(const char *s) {
  gw_bytes_t b = {(const uint8_t *)s, strlen(s)};
  return b;
}

/* gw_wire_next over buf: the number of products, or -1 when refused. */
static int count(const uint8_t *buf, size_t len) {
  const uint8_t *p = buf;
  gw_bytes_t t, u;
  int n = 0, r;
  while ((r = gw_wire_next(&p, buf + len, &t, &u)) == 1)
    n++;
  return r < 0 ? -1 : n;
}

int main(void) {
  memset(big_title, 'T', sizeof(big_title) - 1);
  memset(big_url, 'U', sizeof(big_url) - 1);
  /* the bounds in the table are the ones api.options sets */
  CHECK(strlen(prods[4].title) == sizeof(((api_Product *)0)->title) - 1);
  CHECK(strlen(prods[4].url) == sizeof(((api_Product *)0)->url) - 1);

  uint8_t buf[4096];
  api_StorageResponse resp = api_StorageResponse_init_zero;
  resp.prodDetail.funcs.encode = enc_prods;
  pb_ostream_t os = pb_ostream_from_buffer(buf, sizeof(buf));
  CHECK(pb_encode(&os, api_StorageResponse_fields, &resp));
  size_t len = os.bytes_written;

  /* read back, product by product */
  const uint8_t *p = buf;
  gw_bytes_t t, u;
  for (size_t i = 0; i < NPRODS; i++) {
    CHECK(gw_wire_next(&p, buf + len, &t, &u) == 1);
    CHECK(t.n == strlen(prods[i].title) && memcmp(t.p, prods[i].title, t.n) == 0);
    CHECK(u.n == strlen(prods[i].url) && memcmp(u.p, prods[i].url, u.n) == 0);

    /* the reply, against nanopb's */
    uint8_t mine[GW_WIRE_REPLY_MAX], theirs[GW_WIRE_REPLY_MAX];
    size_t n = gw_wire_reply(mine, t, u, str("https://made-up-url.com/abcdef"));
    api_ClientResponseProds out = api_ClientResponseProds_init_zero;
    out.has_product = true;
    memcpy(out.product.title, t.p, t.n);
    memcpy(out.product.url, u.p, u.n);
    strcpy(out.product.shortUrl, "https://made-up-url.com/abcdef");
    pb_ostream_t o2 = pb_ostream_from_buffer(theirs, sizeof(theirs));
    CHECK(pb_encode(&o2, api_ClientResponseProds_fields, &out));
    CHECK(n == o2.bytes_written && memcmp(mine, theirs, n) == 0);
  }
  CHECK(gw_wire_next(&p, buf + len, &t, &u) == 0);
  CHECK(count(buf, len) == (int)NPRODS);

  /* a reply's strings stop at a NUL, as nanopb's */
  {
    uint8_t mine[GW_WIRE_REPLY_MAX];
    gw_bytes_t nul = {(const uint8_t *)"ab\0cd", 5};
    size_t n = gw_wire_reply(mine, nul, str(""), str(""));
    const uint8_t want[] = {0x0a, 0x04, 0x0a, 0x02, 'a', 'b'};
    CHECK(n == sizeof(want) && memcmp(mine, want, n) == 0);
  }

  /* refused: a title one byte over its bound (nanopb refuses it too) */
  {
    uint8_t bad[256], *w = bad;
    size_t tl = sizeof(((api_Product *)0)->title);
    *w++ = 0x0a, *w++ = (uint8_t)(tl + 2), *w++ = 0x0a, *w++ = (uint8_t)tl;
    memset(w, 'x', tl);
    w += tl;
    CHECK(count(bad, (size_t)(w - bad)) == -1);
    api_StorageResponse r2 = api_StorageResponse_init_zero;
    pb_istream_t is = pb_istream_from_buffer(bad + 2, (size_t)(w - bad) - 2);
    api_Product pr;
    CHECK(!pb_decode(&is, api_Product_fields, &pr));
    (void)r2;
  }
  /* refused: cut short, a length past the end, a group */
  CHECK(count(buf, len - 1) == -1);
  {
    const uint8_t past[] = {0x0a, 0x7f, 0x0a, 0x01};
    CHECK(count(past, sizeof(past)) == -1);
    const uint8_t group[] = {0x0b, 0x0c};
    CHECK(count(group, sizeof(group)) == -1);
  }
  /* skipped: unknown fields of every wire type, outside and inside */
  {
    const uint8_t odd[] = {0x10, 0x96, 0x01,                              /* 2: varint */
                           0x19, 1,    2,    3,    4,   5,    6,    7, 8, /* 3: 64-bit */
                           0x25, 1,    2,    3,    4,                     /* 4: 32-bit */
                           0x0a, 0x08, 0x0a, 0x01, 'T', 0x28, 0x01,       /* product, 5: varint */
                           0x12, 0x01, 'U'};
    p = odd;
    CHECK(gw_wire_next(&p, odd + sizeof(odd), &t, &u) == 1);
    CHECK(t.n == 1 && t.p[0] == 'T' && u.n == 1 && u.p[0] == 'U');
    CHECK(gw_wire_next(&p, odd + sizeof(odd), &t, &u) == 0);
  }
  return tap_done("test_gw_wire");
}
