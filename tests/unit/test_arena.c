/* test_arena.c - the board's allocator: reuse after free, merging, limits,
 * the high-water mark. */
#include <string.h>

#include "fc_arena.h"
#include "tap.h"

int main(void) {
  size_t size = fc_arena_size();
  void *a = fc_arena_malloc(100), *b = fc_arena_malloc(200), *c = fc_arena_malloc(300);
  CHECK(a && b && c && a != b && b != c);
  CHECK(((uintptr_t)a & 7) == 0 && ((uintptr_t)b & 7) == 0);
  memset(a, 1, 100);
  memset(b, 2, 200);
  memset(c, 3, 300);
  size_t hw = fc_arena_high_water();
  CHECK(hw >= 600 && hw < 700);
  fc_arena_free(b);
  void *d = fc_arena_malloc(150); /* fits in b's hole */
  CHECK(d == b);
  CHECK(((unsigned char *)c)[0] == 3 && ((unsigned char *)a)[99] == 1);
  fc_arena_free(a);
  fc_arena_free(d);
  void *e = fc_arena_malloc(290); /* a and d's blocks merge */
  CHECK(e == a);
  void *f = fc_arena_realloc(e, 2000);
  CHECK(f != NULL && ((unsigned char *)f)[0] == 1);
  CHECK(fc_arena_malloc(size) == NULL); /* never more than the arena */
  CHECK(fc_arena_calloc((size_t)-1 / 2, 4) == NULL);
  void *z = fc_arena_calloc(10, 10);
  CHECK(z && ((unsigned char *)z)[57] == 0);
  fc_arena_free(c);
  fc_arena_free(f);
  fc_arena_free(z);
  void *all = fc_arena_malloc(size - 64); /* everything merged back */
  CHECK(all != NULL);
  fc_arena_free(all);
  CHECK(fc_arena_high_water() >= size - 64);

  /* The search starts at a hint above the long-lived blocks: a block freed
   * below it is still found first, a failed search leaves it right, and
   * a random mix of sizes never overlaps. */
  void *low = fc_arena_malloc(64), *keep = fc_arena_malloc(64);
  CHECK(low && keep);
  fc_arena_free(low);
  CHECK(fc_arena_malloc(size) == NULL);
  CHECK(fc_arena_malloc(40) == low);
  fc_arena_free(low);
  fc_arena_free(keep);
  enum { SLOTS = 64 };
  unsigned char *slot[SLOTS] = {0};
  size_t len[SLOTS] = {0};
  unsigned seed = 12345, bad = 0;
  for (int i = 0; i < 20000; i++) {
    seed = seed * 1103515245u + 12345u;
    int k = (int)((seed >> 16) % SLOTS);
    if (slot[k]) {
      for (size_t j = 0; j < len[k]; j++)
        if (slot[k][j] != (unsigned char)k) bad++;
      fc_arena_free(slot[k]);
      slot[k] = NULL;
    } else {
      len[k] = 1 + (seed >> 8) % (size / 256);
      slot[k] = fc_arena_malloc(len[k]);
      if (slot[k]) memset(slot[k], k, len[k]);
    }
  }
  CHECK(bad == 0);
  for (int k = 0; k < SLOTS; k++)
    fc_arena_free(slot[k]);
  all = fc_arena_malloc(size - 64);
  CHECK(all != NULL);
  fc_arena_free(all);
  return tap_done("test_arena");
}
