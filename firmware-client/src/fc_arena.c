/* fc_arena.c - a first-fit allocator over one static arena. Blocks carry an
 * 8-byte header; free neighbours are merged while searching, which keeps it
 * small: nghttp2 holds a few dozen blocks at most. The search starts at a
 * hint, never above the lowest free block, so it skips the long-lived blocks
 * at the bottom and still picks the block a search from 0 would. */
#include "rpc_opt.h" /* first: FC_ARENA_SIZE */

#include <stdint.h>
#include <string.h>

#include "fc_arena.h"

#if FC_ARENA_SIZE % 8 != 0 || FC_ARENA_SIZE < 1024
#error "FC_ARENA_SIZE must be a multiple of 8 and at least 1024"
#endif

typedef struct {
  uint32_t size; /* whole block, header included, multiple of 8 */
  uint32_t used;
} blk_t;

static _Alignas(8) uint8_t arena[FC_ARENA_SIZE];
static size_t in_use, high_water;
static size_t hint; /* a block's offset; no free block lies below it */
static int ready;

static blk_t *at(size_t off) {
  return (blk_t *)(void *)(arena + off);
}

static void init(void) {
  at(0)->size = FC_ARENA_SIZE;
  at(0)->used = 0;
  hint = 0;
  ready = 1;
}

void *fc_arena_malloc(size_t n) {
  if (!ready) init();
  if (n == 0) n = 1;
  if (n > FC_ARENA_SIZE) return NULL;
  uint32_t need = (uint32_t)((n + sizeof(blk_t) + 7u) & ~(size_t)7u);
  size_t first_free = FC_ARENA_SIZE; /* the lowest free block seen */
  for (size_t off = hint; off < FC_ARENA_SIZE; off += at(off)->size) {
    blk_t *b = at(off);
    if (b->used) continue;
    while (off + b->size < FC_ARENA_SIZE && !at(off + b->size)->used)
      b->size += at(off + b->size)->size; /* merge free neighbours */
    if (first_free == FC_ARENA_SIZE) first_free = off;
    if (b->size < need) continue;
    if (b->size - need >= 2 * sizeof(blk_t)) {
      blk_t *rest = at(off + need);
      rest->size = b->size - need;
      rest->used = 0;
      b->size = need;
    }
    b->used = 1;
    /* merges only grow a free block upwards: first_free still starts one */
    hint = first_free == off ? off + b->size : first_free;
    in_use += b->size;
    if (in_use > high_water) high_water = in_use;
    return b + 1;
  }
  hint = first_free;
  return NULL;
}

void fc_arena_free(void *p) {
  if (!p) return;
  blk_t *b = (blk_t *)p - 1;
  b->used = 0;
  in_use -= b->size;
  size_t off = (size_t)((uint8_t *)b - arena);
  if (off < hint) hint = off;
}

void *fc_arena_calloc(size_t n, size_t size) {
  if (size && n > FC_ARENA_SIZE / size) return NULL;
  void *p = fc_arena_malloc(n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

void *fc_arena_realloc(void *p, size_t n) {
  if (!p) return fc_arena_malloc(n);
  blk_t *b = (blk_t *)p - 1;
  size_t have = b->size - sizeof(blk_t);
  if (n <= have) return p;
  void *q = fc_arena_malloc(n);
  if (!q) return NULL;
  memcpy(q, p, have);
  fc_arena_free(p);
  return q;
}

static void *m_malloc(size_t n, void *ud) {
  (void)ud;
  return fc_arena_malloc(n);
}
static void m_free(void *p, void *ud) {
  (void)ud;
  fc_arena_free(p);
}
static void *m_calloc(size_t n, size_t s, void *ud) {
  (void)ud;
  return fc_arena_calloc(n, s);
}
static void *m_realloc(void *p, size_t n, void *ud) {
  (void)ud;
  return fc_arena_realloc(p, n);
}

static const nghttp2_mem mem = {NULL, m_malloc, m_free, m_calloc, m_realloc};

const nghttp2_mem *fc_arena_mem(void) {
  return &mem;
}

size_t fc_arena_high_water(void) {
  return high_water;
}

size_t fc_arena_size(void) {
  return FC_ARENA_SIZE;
}
