/*
 * Where nghttp2's direct libc allocations go on a board without a heap.
 *
 * The session itself allocates through the nghttp2_mem its creator passes (the
 * firmware client's arena). Only three things reach for libc: the callbacks and
 * options objects (nghttp2_session_callbacks_new, nghttp2_option_new), which
 * the session copies and the caller deletes right after creating it, and the
 * default allocator used when no nghttp2_mem is passed. A small pool serves the
 * first two and is reused once everything in it has been freed; the default
 * allocator runs dry after a few hundred bytes, so a session created without
 * an arena fails with NGHTTP2_ERR_NOMEM instead of growing a heap.
 *
 * mk/deps.mk renames nghttp2's references to malloc, calloc, realloc and free
 * to these functions in the compiled objects (objcopy --redefine-sym), so that
 * no nghttp2 source is touched.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

void *nghttp2_noheap_malloc(size_t size);
void *nghttp2_noheap_calloc(size_t nmemb, size_t size);
void *nghttp2_noheap_realloc(void *ptr, size_t size);
void nghttp2_noheap_free(void *ptr);

#ifndef NGHTTP2_NOHEAP_POOL
#define NGHTTP2_NOHEAP_POOL 512 /* callbacks (~140 B) and options (~80 B) at once */
#endif

/* Each block starts with its size, so realloc can copy it. */
typedef struct {
  size_t size;
  size_t pad; /* keeps the payload 8-byte aligned */
} block_t;

static uint64_t pool[NGHTTP2_NOHEAP_POOL / 8];
static size_t pool_top;  /* bytes of pool handed out */
static size_t pool_live; /* blocks not yet freed */

void *nghttp2_noheap_malloc(size_t size) {
  size_t need = sizeof(block_t) + ((size + 7u) & ~(size_t)7u);
  block_t *b;

  if (size == 0 || need > sizeof pool - pool_top) return NULL;
  b = (block_t *)((uint8_t *)pool + pool_top);
  b->size = size;
  pool_top += need;
  pool_live++;
  return b + 1;
}

void *nghttp2_noheap_calloc(size_t nmemb, size_t size) {
  void *p;

  if (size != 0 && nmemb > SIZE_MAX / size) return NULL;
  p = nghttp2_noheap_malloc(nmemb * size);
  if (p) memset(p, 0, nmemb * size);
  return p;
}

void nghttp2_noheap_free(void *ptr) {
  if (!ptr) return;
  /* Blocks are short-lived and freed together: reuse the pool when empty. */
  if (--pool_live == 0) pool_top = 0;
}

void *nghttp2_noheap_realloc(void *ptr, size_t size) {
  void *p;
  size_t old;

  if (!ptr) return nghttp2_noheap_malloc(size);
  if (size == 0) {
    nghttp2_noheap_free(ptr);
    return NULL;
  }
  old = ((block_t *)ptr - 1)->size;
  p = nghttp2_noheap_malloc(size);
  if (p) {
    memcpy(p, ptr, old < size ? old : size);
    nghttp2_noheap_free(ptr);
  }
  return p;
}
