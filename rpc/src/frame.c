/* frame.c - the gRPC length-prefixed message framing:
 * 1 byte compressed flag, 4 bytes big-endian length, then the message. */
#include <string.h>

#include "rpc.h"

void rpc_frame_prefix(uint8_t out[5], uint32_t len) {
  out[0] = 0;
  out[1] = (uint8_t)(len >> 24);
  out[2] = (uint8_t)(len >> 16);
  out[3] = (uint8_t)(len >> 8);
  out[4] = (uint8_t)len;
}

void rpc_deframer_init(rpc_deframer_t *d, uint8_t *buf, size_t cap, size_t max, rpc_grow_fn grow) {
  memset(d, 0, sizeof(*d));
  d->buf = buf;
  d->cap = cap;
  d->max = max;
  d->grow = grow;
}

void rpc_deframer_stream(rpc_deframer_t *d, size_t max, rpc_piece_fn piece) {
  rpc_deframer_init(d, NULL, 0, max, NULL);
  d->piece = piece;
}

void rpc_deframer_reset(rpc_deframer_t *d) {
  d->hdr_len = 0;
  d->need = 0;
  d->have = 0;
}

int rpc_deframer_idle(const rpc_deframer_t *d) {
  return d->hdr_len == 0;
}

void rpc_deframer_free(rpc_deframer_t *d) {
  if (d->grow && d->buf) d->grow(d->buf, 0);
  d->buf = NULL;
  d->cap = 0;
}

int rpc_deframer_feed(rpc_deframer_t *d, const uint8_t *in, size_t len, rpc_msg_fn on_msg,
                      void *arg) {
  while (len > 0) {
    if (d->hdr_len < 5) {
      size_t n = 5u - d->hdr_len;
      if (n > len) n = len;
      memcpy(d->hdr + d->hdr_len, in, n);
      d->hdr_len = (uint8_t)(d->hdr_len + n);
      in += n;
      len -= n;
      if (d->hdr_len < 5) break;
      if (d->hdr[0] != 0) return RPC_ERR_COMPRESSED;
      d->need = (uint32_t)d->hdr[1] << 24 | (uint32_t)d->hdr[2] << 16 | (uint32_t)d->hdr[3] << 8 |
                d->hdr[4];
      d->have = 0;
      if (d->need > d->max) return RPC_ERR_TOO_LARGE;
      if (!d->piece && d->need > d->cap) {
        uint8_t *nb;
        if (!d->grow || !(nb = d->grow(d->buf, d->need))) return RPC_ERR_NOMEM;
        d->buf = nb;
        d->cap = d->need;
      }
    }
    size_t n = d->need - d->have;
    if (n > len) n = len;
    if (d->piece) {
      if (n || d->need == 0) {
        int r = d->piece(arg, in, n, d->have, d->need);
        if (r) return r;
      }
    } else if (n) {
      memcpy(d->buf + d->have, in, n);
    }
    d->have += (uint32_t)n;
    in += n;
    len -= n;
    if (d->have == d->need) {
      d->hdr_len = 0;
      int r = on_msg(arg, d->piece ? NULL : d->buf, d->need);
      if (r) return r;
    }
  }
  return RPC_OK;
}
