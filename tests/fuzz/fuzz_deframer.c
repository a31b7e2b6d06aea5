/*
 * fuzz_deframer.c - rpc_deframer_feed against a reference: the same stream
 * fed in fuzz-chosen pieces must give the same messages, the same result and
 * the same idle state as a one-pass parse of the whole stream.
 *
 * Input: 4 control bytes, then the stream.
 *   byte 0  bits 0-1: mode: fixed buffer, grow from nothing, grow from a
 *           heap buffer, grow with a hook that refuses past a limit;
 *           bits 2-4: the buffer's size (fixed) or first size (grown);
 *           bits 5-7: max, the largest message accepted
 *   byte 1  the message whose callback returns non-zero (0: none)
 *   byte 2,3 seed of the cut points (a small LCG): pieces of 0..31 bytes,
 *           empty pieces included
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSGS 4096

static const size_t caps[8] = {0, 1, 5, 8, 16, 64, 256, 4096};
static const size_t maxes[8] = {0, 1, 7, 16, 100, 1000, 65536, 4u << 20};

typedef struct {
  size_t off[MAX_MSGS], len[MAX_MSGS]; /* messages, as offsets in the stream */
  size_t n;
  int stop_at;
  const uint8_t *stream;
  int overflow;
} fz_msgs_t;

/* what the deframer reported, checked against the stream itself */
typedef struct {
  fz_msgs_t *ref;
  size_t n;
  int stop_at;
  int mismatch;
} fz_seen_t;

static size_t grow_limit;

static void *grow_heap(void *old, size_t n) {
  if (n == 0) {
    free(old);
    return NULL;
  }
  return realloc(old, n);
}

static void *grow_limited(void *old, size_t n) {
  if (n != 0 && n > grow_limit) return NULL;
  return grow_heap(old, n);
}

/* The one-pass reference over the whole stream. */
static int reference(const uint8_t *in, size_t len, size_t cap, size_t max, int can_grow,
                     size_t limit, fz_msgs_t *m, int *idle) {
  size_t pos = 0;
  *idle = 1;
  while (pos < len) {
    if (len - pos < 5) {
      *idle = 0;
      return RPC_OK;
    }
    const uint8_t *h = in + pos;
    *idle = 0;
    if (h[0] != 0) return RPC_ERR_COMPRESSED;
    size_t need = (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4];
    if (need > max) return RPC_ERR_TOO_LARGE;
    if (need > cap) {
      if (!can_grow || need > limit) return RPC_ERR_NOMEM;
      cap = need;
    }
    if (len - pos - 5 < need) return RPC_OK;
    if (m->n >= MAX_MSGS) {
      m->overflow = 1;
      return RPC_OK;
    }
    m->off[m->n] = pos + 5;
    m->len[m->n] = need;
    m->n++;
    pos += 5 + need;
    *idle = 1;
    if ((int)m->n == m->stop_at) return 42;
  }
  return RPC_OK;
}

static int on_msg(void *arg, const uint8_t *msg, size_t len) {
  fz_seen_t *s = arg;
  fz_msgs_t *r = s->ref;
  if (s->n >= r->n || r->len[s->n] != len ||
      (len && memcmp(msg, r->stream + r->off[s->n], len) != 0))
    s->mismatch = 1;
  s->n++;
  return (int)s->n == s->stop_at ? 42 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fz_msgs_t ref;
  if (size < 4) return 0;
  int mode = data[0] & 3;
  size_t cap = caps[(data[0] >> 2) & 7];
  size_t max = maxes[data[0] >> 5];
  int stop_at = data[1];
  uint32_t rng = (uint32_t)data[2] << 8 | data[3];
  const uint8_t *in = data + 4;
  size_t len = size - 4;

  rpc_deframer_t d;
  uint8_t fixed[4096];
  rpc_grow_fn grow = NULL;
  uint8_t *buf = NULL;
  grow_limit = SIZE_MAX;
  switch (mode) {
  case 0: /* the board: a fixed buffer, no hook */
    buf = cap ? fixed : NULL;
    break;
  case 1: /* the host: grown from nothing */
    grow = grow_heap;
    cap = 0;
    break;
  case 2: /* the server's pooled calls: grown from an earlier buffer */
    grow = grow_heap;
    buf = cap ? malloc(cap) : NULL;
    break;
  default: /* a hook that runs out of memory */
    grow = grow_limited;
    grow_limit = caps[(data[0] >> 2) & 7] * 2;
    cap = 0;
    break;
  }
  rpc_deframer_init(&d, buf, cap, max, grow);

  memset(&ref, 0, sizeof(ref));
  ref.stop_at = stop_at;
  ref.stream = in;
  int ref_idle;
  int want = reference(in, len, cap, max, grow != NULL, grow_limit, &ref, &ref_idle);
  if (ref.overflow) {
    rpc_deframer_free(&d);
    return 0;
  }

  fz_seen_t seen = {&ref, 0, stop_at, 0};
  int got = RPC_OK;
  for (size_t off = 0; off < len && got == RPC_OK;) {
    rng = rng * 1103515245u + 12345u;
    size_t n = (rng >> 16) & 31u;
    if (n > len - off) n = len - off;
    got = rpc_deframer_feed(&d, in + off, n, on_msg, &seen);
    off += n;
  }
  if (got != want || seen.mismatch || seen.n != ref.n ||
      (got == RPC_OK && rpc_deframer_idle(&d) != ref_idle)) {
    fprintf(stderr,
            "fuzz_deframer: mode %d cap %zu max %zu: result %d (want %d), %zu messages (want %zu), "
            "mismatch %d, idle %d (want %d)\n",
            mode, cap, max, got, want, seen.n, ref.n, seen.mismatch, rpc_deframer_idle(&d),
            ref_idle);
    abort();
  }
  rpc_deframer_free(&d);
  return 0;
}
