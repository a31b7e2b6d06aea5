/*
 * gw_wire.h - GetVendorProds' hot path on the wire: storage's products read
 * in place from its answer, and each reply to the client written directly,
 * without nanopb's walk of the field descriptors, which was most of the
 * gateway's time per streamed message. What they read and write is what
 * nanopb reads and writes for the same messages, bounds included
 * (tests/unit/test_gw_wire.c compares them byte for byte).
 */
#ifndef GW_WIRE_H
#define GW_WIRE_H

#include <stddef.h>
#include <stdint.h>

typedef struct gw_bytes {
  const uint8_t *p;
  size_t n;
} gw_bytes_t;

/* The largest reply gw_wire_reply writes: the bounds of api.ProdsPrep
 * (api.options), with their tags and lengths. */
#define GW_WIRE_REPLY_MAX 320

/* The next Product of a StorageResponse at *pos (up to end): its title and
 * url, pointing into the buffer. 1 when one was read (*pos moves past it),
 * 0 at the end, -1 when the bytes are not a StorageResponse or a string is
 * over its bound (api.Product.title 95 bytes, url 159). */
int gw_wire_next(const uint8_t **pos, const uint8_t *end, gw_bytes_t *title, gw_bytes_t *url);

/* Writes ClientResponseProds{product: {title, url, shortUrl}} into out
 * (GW_WIRE_REPLY_MAX bytes); returns its length. Strings stop at a NUL, as
 * nanopb's do, and empty ones are left out (proto3). The caller keeps them
 * within api.ProdsPrep's bounds (gw_wire_next's are smaller). */
size_t gw_wire_reply(uint8_t *out, gw_bytes_t title, gw_bytes_t url, gw_bytes_t short_url);

#endif /* GW_WIRE_H */
