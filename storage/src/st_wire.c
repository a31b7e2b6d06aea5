/* st_wire.c - see st_wire.h. */
#include <string.h>

#include "api.pb.h"
#include "st_wire.h"

#define TITLE_MAX (sizeof(((api_Product *)0)->title) - 1)
#define URL_MAX (sizeof(((api_Product *)0)->url) - 1)

/* A string field of n bytes, key and length included; proto3 sends no
 * empty string. */
static size_t string_size(size_t n) {
  size_t k = 1;
  for (size_t v = n; v >= 0x80; v >>= 7)
    k++;
  return n ? 1 + k + n : 0;
}

static bool put_string(pb_ostream_t *os, uint32_t tag, const char *s, size_t n) {
  return !n ||
         (pb_encode_tag(os, PB_WT_STRING, tag) && pb_encode_string(os, (const pb_byte_t *)s, n));
}

bool st_wire_product(pb_ostream_t *os, const pb_field_iter_t *field, const char *title,
                     const char *url) {
  size_t tn = title ? strnlen(title, TITLE_MAX) : 0, un = url ? strnlen(url, URL_MAX) : 0;
  return pb_encode_tag_for_field(os, field) &&
         pb_encode_varint(os, string_size(tn) + string_size(un)) &&
         put_string(os, api_Product_title_tag, title, tn) &&
         put_string(os, api_Product_url_tag, url, un);
}
