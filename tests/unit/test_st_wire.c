/* test_st_wire.c - storage's hand-written rows (st_wire.h) against nanopb:
 * a StorageResponse of the same rows is byte for byte what nanopb encodes
 * from them copied into api_Product (empty and NULL strings left out,
 * strings at, one past and far over their bounds cut the same way, lengths
 * on both sides of a varint's first byte), and it decodes back to the rows
 * as cut. A stream too small fails as nanopb's does. */
#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "api.pb.h"
#include "st_wire.h"
#include "tap.h"

#define TITLE_CAP sizeof(((api_Product *)0)->title)
#define URL_CAP sizeof(((api_Product *)0)->url)

typedef struct {
  const char *title, *url;
} row_t;

static char t_at[TITLE_CAP], t_over[TITLE_CAP + 1], t_far[600];
static char u_127[128], u_128[129], u_at[URL_CAP], u_over[URL_CAP + 1], u_far[600];
static const row_t rows[] = {
    {"Compute Engine", "https://cloud.google.com/compute/"},
    {"", "https://example.com/no-title"},
    {"no url", ""},
    {"", ""},
    {NULL, NULL},
    {t_at, u_at},     /* at the bounds: 95 and 159 bytes */
    {t_over, u_over}, /* one past them */
    {t_far, u_far},   /* far past them */
    {"x", u_127},     /* a url of 127 bytes, then 128: a one- and a two-byte length */
    {"x", u_128},
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static int hand; /* which encoder enc_rows uses */

static bool enc_rows(pb_ostream_t *s, const pb_field_iter_t *f, void *const *arg) {
  (void)arg;
  for (size_t i = 0; i < NROWS; i++) {
    if (hand) {
      if (!st_wire_product(s, f, rows[i].title, rows[i].url)) return false;
      continue;
    }
    api_Product p = api_Product_init_zero;
    strncpy(p.title, rows[i].title ? rows[i].title : "", sizeof(p.title) - 1);
    strncpy(p.url, rows[i].url ? rows[i].url : "", sizeof(p.url) - 1);
    if (!pb_encode_tag_for_field(s, f) || !pb_encode_submessage(s, api_Product_fields, &p))
      return false;
  }
  return true;
}

/* The response of all rows into buf (cap bytes) by either encoder; its
 * length, or 0 when the encoder failed. */
static size_t encode(int by_hand, uint8_t *buf, size_t cap) {
  api_StorageResponse resp = api_StorageResponse_init_zero;
  resp.prodDetail.funcs.encode = enc_rows;
  hand = by_hand;
  pb_ostream_t os = pb_ostream_from_buffer(buf, cap);
  return pb_encode(&os, api_StorageResponse_fields, &resp) ? os.bytes_written : 0;
}

static size_t decoded;

static bool dec_row(pb_istream_t *s, const pb_field_iter_t *f, void **arg) {
  (void)f;
  (void)arg;
  api_Product p = api_Product_init_zero;
  if (!pb_decode(s, api_Product_fields, &p) || decoded >= NROWS) return false;
  const row_t *r = &rows[decoded++];
  char want[URL_CAP];
  strncpy(want, r->title ? r->title : "", TITLE_CAP - 1);
  want[TITLE_CAP - 1] = '\0';
  CHECK(strcmp(p.title, want) == 0);
  strncpy(want, r->url ? r->url : "", URL_CAP - 1);
  want[URL_CAP - 1] = '\0';
  CHECK(strcmp(p.url, want) == 0);
  return true;
}

int main(void) {
  memset(t_at, 'T', sizeof(t_at) - 1);
  memset(t_over, 'T', sizeof(t_over) - 1);
  memset(t_far, 'T', sizeof(t_far) - 1);
  memset(u_127, 'U', sizeof(u_127) - 1);
  memset(u_128, 'U', sizeof(u_128) - 1);
  memset(u_at, 'U', sizeof(u_at) - 1);
  memset(u_over, 'U', sizeof(u_over) - 1);
  memset(u_far, 'U', sizeof(u_far) - 1);
  /* the bounds are the ones api.options sets */
  CHECK(TITLE_CAP - 1 == 95 && URL_CAP - 1 == 159);

  uint8_t a[8192], b[8192];
  size_t na = encode(0, a, sizeof(a)), nb = encode(1, b, sizeof(b));
  CHECK(na > 0 && na == nb && memcmp(a, b, na) == 0);

  /* read back by nanopb: every row, as cut */
  api_StorageResponse resp = api_StorageResponse_init_zero;
  resp.prodDetail.funcs.decode = dec_row;
  pb_istream_t is = pb_istream_from_buffer(b, nb);
  CHECK(pb_decode(&is, api_StorageResponse_fields, &resp));
  CHECK(decoded == NROWS);

  /* a stream that cannot take the rows fails, as nanopb's encoder does */
  CHECK(encode(0, a, na - 1) == 0);
  CHECK(encode(1, b, nb - 1) == 0);
  return tap_done("test_st_wire");
}
