/*
 * st_wire.h - one row of GetProdsDetail's answer on the wire: a Product
 * written field by field. nanopb's pb_encode_submessage walks the field
 * descriptors twice (a sizing pass, then the bytes) over a copy of the row,
 * and that was a third of storage's instructions a call. The bytes are
 * nanopb's for the same Product, bounds included
 * (tests/unit/test_st_wire.c compares them byte for byte).
 */
#ifndef ST_WIRE_H
#define ST_WIRE_H

#include <pb_encode.h>

/* Writes field's tag and Product{title, url} to os. A string longer than
 * its bound (api.Product.title 95 bytes, url 159) is cut there, as a copy
 * into api_Product would cut it; NULL and "" are left out (proto3). */
bool st_wire_product(pb_ostream_t *os, const pb_field_iter_t *field, const char *title,
                     const char *url);

#endif /* ST_WIRE_H */
