/*
 * fuzz_pb.c - every message of proto/api.proto decoded from the same bytes
 * with the generated descriptors (build/gen/api.pb.h) and the bounds of
 * proto/api.options. StorageResponse's prodDetail is a callback field: it is
 * decoded with a decode callback and also walked product by product as the
 * gateway walks it (gw_prod_service.c, next_product). Every message that
 * decodes must encode again within its _size bound, and its encoding must be
 * stable: encode(decode(encode(decode(x)))) == encode(decode(x)).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "api.pb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                                                  \
  do {                                                                                             \
    fprintf(stderr, "fuzz_pb: " __VA_ARGS__);                                                      \
    fputc('\n', stderr);                                                                           \
    abort();                                                                                       \
  } while (0)

/* The bounded messages: decode, encode within the bound, decode, encode. */
static void bounded(const char *name, const pb_msgdesc_t *f, size_t msg_size, size_t bound,
                    const uint8_t *data, size_t size) {
  uint8_t m1[512], m2[512], e1[512], e2[512];
  if (msg_size > sizeof(m1) || bound > sizeof(e1)) FAIL("%s: harness buffers too small", name);
  memset(m1, 0, msg_size);
  pb_istream_t in = pb_istream_from_buffer(data, size);
  if (!pb_decode(&in, f, m1)) return;
  pb_ostream_t os = pb_ostream_from_buffer(e1, bound);
  if (!pb_encode(&os, f, m1))
    FAIL("%s: decoded but does not encode within %zu bytes: %s", name, bound, PB_GET_ERROR(&os));
  size_t n1 = os.bytes_written;
  memset(m2, 0, msg_size);
  in = pb_istream_from_buffer(e1, n1);
  if (!pb_decode(&in, f, m2))
    FAIL("%s: its own encoding does not decode: %s", name, PB_GET_ERROR(&in));
  os = pb_ostream_from_buffer(e2, bound);
  if (!pb_encode(&os, f, m2)) FAIL("%s: second encode failed", name);
  if (os.bytes_written != n1 || memcmp(e1, e2, n1) != 0) FAIL("%s: encoding not stable", name);
}

typedef struct {
  int count;
} fz_prods_t;

static bool decode_product(pb_istream_t *in, const pb_field_t *field, void **arg) {
  (void)field;
  fz_prods_t *p = *arg;
  api_Product prod = api_Product_init_zero;
  if (!pb_decode(in, api_Product_fields, &prod)) return false;
  if (strlen(prod.title) >= sizeof(prod.title) || strlen(prod.url) >= sizeof(prod.url))
    FAIL("Product: string not terminated within its bound");
  p->count++;
  return true;
}

/* gw_prod_service.c's next_product, as it is there. */
static int next_product(pb_istream_t *cursor, api_Product *out) {
  pb_wire_type_t wt;
  uint32_t tag;
  bool eof;
  while (pb_decode_tag(cursor, &wt, &tag, &eof)) {
    if (tag == api_StorageResponse_prodDetail_tag && wt == PB_WT_STRING) {
      pb_istream_t sub;
      if (!pb_make_string_substream(cursor, &sub)) return -1;
      memset(out, 0, sizeof(*out));
      bool ok = pb_decode(&sub, api_Product_fields, out);
      if (!pb_close_string_substream(cursor, &sub) || !ok) return -1;
      return 1;
    }
    if (!pb_skip_field(cursor, wt)) return -1;
  }
  return eof ? 0 : -1;
}

static void storage_response(const uint8_t *data, size_t size) {
  fz_prods_t cb = {0};
  api_StorageResponse r = api_StorageResponse_init_zero;
  r.prodDetail.funcs.decode = decode_product;
  r.prodDetail.arg = &cb;
  pb_istream_t in = pb_istream_from_buffer(data, size);
  bool ok = pb_decode(&in, api_StorageResponse_fields, &r);

  pb_istream_t cursor = pb_istream_from_buffer(data, size);
  api_Product p;
  int walked = 0, rv;
  while ((rv = next_product(&cursor, &p)) == 1) {
    if (strlen(p.title) >= sizeof(p.title) || strlen(p.url) >= sizeof(p.url))
      FAIL("next_product: string not terminated within its bound");
    walked++;
    if (walked > (int)size) FAIL("next_product: more products than bytes");
  }
  /* what pb_decode accepts, the gateway's walk reads to the end; it skips a
   * field 1 of another wire type, which pb_decode hands to the callback */
  if (ok && (rv != 0 || walked > cb.count))
    FAIL("StorageResponse decodes (%d products) but the walk says %d after %d", cb.count, rv,
         walked);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
#define B(T) bounded(#T, T##_fields, sizeof(T), T##_size, data, size)
  B(api_ClientRequestType);
  B(api_ClientResponseType);
  B(api_ClientRequestProds);
  B(api_ClientResponseProds);
  B(api_ProdsPrep);
  B(api_StorageRequest);
  B(api_Product);
#undef B
  storage_response(data, size);
  return 0;
}
