/*
 * server_mem.c - the allocator of the core's nghttp2 sessions: the C heap,
 * except for the frame buffer, which every session of a core shares, and
 * three blocks a session keeps on pages of their own.
 *
 * nghttp2 gives each session a 16 KiB buffer that it serialises outbound
 * frames into (aob.framebufs, made in nghttp2_session_server_new). The
 * bytes there live only from one nghttp2_session_mem_send to the next:
 * mem_send returns the whole frame and the driver copies it out before it
 * calls again, and no session's mem_send runs inside another's (one core,
 * one thread). So one buffer serves them all, and an idle connection keeps
 * 16 KiB less. The buffer is recognised as the first allocation of at least
 * RPC_SC_FRAMEBUF_MIN bytes while a session is being made; a later
 * allocation (the extra buffers of a long header block) stays the
 * session's own, and a realloc of the shared one gives the session a
 * private copy. Nothing here depends on more than that.
 *
 * Three other blocks made with the session are given back to the kernel
 * while the connection is idle (rpc_sconn_idle), so each takes a page of
 * the core's pool (mmap'd 64 pages at a time, outside the heap: pages cut
 * from the heap would leave gaps that small blocks fill, and stay resident):
 * - its stream map (a 4 KiB table, zeroed, all zero again once its last
 *   stream is gone; it moves to a bigger table past 192 streams): checked
 *   to be all zero first, so nothing depends on what nghttp2 keeps there;
 * - the index arrays of its two HPACK tables (1 KiB each on 64 bits, made
 *   at the session's start for a 4096-byte table): nghttp2 reads no slot
 *   past the table's entries, so once both tables are empty nothing is
 *   read there before it is written. Our encoder's table is 0 bytes (no
 *   entry, ever); the client's is emptied by rpc_sconn_idle with SETTINGS.
 * A page goes back to the pool all zero (given back to the kernel), so the
 * stream map needs no memset.
 *
 * What a session allocates once it is made (its streams, the header
 * entries it decodes, the frames it queues) comes first from a scratch
 * page of the connection's, cut in order; when its last block is freed the
 * page leaves the connection (scratch_free): the first calls of a
 * connection made in a burst then leave no holes in the heap between other
 * connections' blocks, and an idle connection holds no scratch page once
 * its header table is empty. A busy
 * connection fills its page with the header table's entries, and the heap
 * serves the rest, as before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "server_core.h"

/* LeakSanitizer scans the heap, not our mappings: a header entry whose
 * only pointer is in an index array on the pool would look leaked */
#if defined(__SANITIZE_ADDRESS__)
#define RPC_SC_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RPC_SC_LSAN 1
#endif
#endif
#ifdef RPC_SC_LSAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
/* AddressSanitizer does not know our pages: a page in the pool, or warm,
 * is poisoned, so that a block used after its page left the connection is
 * reported as the heap's would be */
#define PAGE_POISON(p) ASAN_POISON_MEMORY_REGION((p), RPC_SC_PAGE)
#define PAGE_UNPOISON(p) ASAN_UNPOISON_MEMORY_REGION((p), RPC_SC_PAGE)
#else
#define PAGE_POISON(p) ((void)(p))
#define PAGE_UNPOISON(p) ((void)(p))
#endif

#define RPC_SC_FRAMEBUF_MIN 16384u
#define RPC_SC_PAGE 4096u
#define RPC_SC_CHUNK_PAGES 64u
#define RPC_SC_SCRATCH_MAX 1024u /* a bigger block goes to the heap */
#define RPC_SC_SCRATCH_HDR 16u   /* a block's size, and malloc's alignment */
/* an HPACK table's index array: a slot per 32 bytes of 4096 (nghttp2's
 * hd_ringbuf_init), and no other block of the session has that size */
#define RPC_SC_HD_ARRAY (4096u / 32u * sizeof(void *))

/* --- the page pool -------------------------------------------------------- */

/* The blocks are told apart by their sizes while a session is made, as
 * nghttp2 1.52 makes them (Debian 12's, and the boards'); another version,
 * or pages that are not 4 KiB, and every block stays in the heap. */
int rpc_sc_pool_usable(void) {
  const nghttp2_info *v = nghttp2_version(0);
  return v && (v->version_num >> 8) == 0x0134 && sysconf(_SC_PAGESIZE) == (long)RPC_SC_PAGE;
}

/* p's page reads as zero from now on. */
static void page_zero(void *p) {
  if (madvise(p, RPC_SC_PAGE, MADV_DONTNEED) != 0) memset(p, 0, RPC_SC_PAGE);
}

static int pool_grow(rpc_server_core_t *core) {
  if (core->pg_nchunks == core->pg_chunks_cap) {
    size_t cap = core->pg_chunks_cap ? 2 * core->pg_chunks_cap : 16;
    void **q = realloc(core->pg_chunks, cap * sizeof(*q));
    if (!q) return 0;
    core->pg_chunks = q;
    core->pg_chunks_cap = cap;
  }
  /* room for every page ever made: page_put never fails */
  size_t need = (core->pg_nchunks + 1) * RPC_SC_CHUNK_PAGES;
  if (core->pg_cap < need) {
    void **q = realloc(core->pg_free, need * sizeof(*q));
    if (!q) return 0;
    core->pg_free = q;
    core->pg_cap = need;
  }
  uint8_t *m = mmap(NULL, RPC_SC_CHUNK_PAGES * RPC_SC_PAGE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return 0;
#ifdef RPC_SC_LSAN
  __lsan_register_root_region(m, RPC_SC_CHUNK_PAGES * RPC_SC_PAGE);
#endif
  core->pg_chunks[core->pg_nchunks++] = m;
  for (size_t i = RPC_SC_CHUNK_PAGES; i-- > 0;) {
    PAGE_POISON(m + i * RPC_SC_PAGE);
    core->pg_free[core->pg_nfree++] = m + i * RPC_SC_PAGE;
  }
  return 1;
}

/* A zero page, or NULL (the heap serves the block then). */
static void *page_get(rpc_server_core_t *core) {
  if (!core->pg_on) return NULL;
  if (!core->pg_nfree && !pool_grow(core)) return NULL;
  void *p = core->pg_free[--core->pg_nfree];
  PAGE_UNPOISON(p);
  return p;
}

/* Zeroed on the way back: a header table's array may have been written
 * with no stream to show it (a refused stream's headers are decoded too). */
static void page_put(rpc_server_core_t *core, void *p) {
  page_zero(p);
  PAGE_POISON(p);
  core->pg_free[core->pg_nfree++] = p;
}

/* --- a connection's scratch page ----------------------------------------- */

/* A block of size bytes on c's scratch page, or NULL (the heap's then). */
static void *scratch_alloc(rpc_sconn_t *c, size_t size) {
  /* 0 bytes to the heap: at 4080 used, its pointer would be the page's end,
   * outside the page for the free that looks it up */
  if (!size || size > RPC_SC_SCRATCH_MAX) return NULL;
  size_t need = RPC_SC_SCRATCH_HDR +
                (size + RPC_SC_SCRATCH_HDR - 1) / RPC_SC_SCRATCH_HDR * RPC_SC_SCRATCH_HDR;
  if (!c->scratch) {
    rpc_server_core_t *core = c->core;
    if (core->nwarm) {
      c->scratch = core->warm[--core->nwarm];
      PAGE_UNPOISON(c->scratch);
    } else {
      c->scratch = page_get(core);
    }
    if (!c->scratch) return NULL;
    c->scratch_used = 0;
  }
  if (c->scratch_used + need > RPC_SC_PAGE) return NULL;
  uint8_t *p = c->scratch + c->scratch_used;
  memcpy(p, &size, sizeof(size));
  c->scratch_used += need;
  c->scratch_live++;
  return p + RPC_SC_SCRATCH_HDR;
}

static int in_scratch(const rpc_sconn_t *c, const void *p) {
  uintptr_t a = (uintptr_t)p, s = (uintptr_t)c->scratch;
  return c->scratch && a >= s && a < s + RPC_SC_PAGE;
}

static size_t scratch_size(const void *p) {
  size_t size;
  memcpy(&size, (const uint8_t *)p - RPC_SC_SCRATCH_HDR, sizeof(size));
  return size;
}

/* The last block freed: the page leaves the connection at once, to the
 * core's few warm pages (kept as they are: scratch blocks are never assumed
 * zero) or, past those, to the pool. An idle device's PING otherwise held
 * a page until the next sweep: 100,000 devices pinging every 15 s kept
 * about 400 B a connection that way. */
static void scratch_free(rpc_sconn_t *c) {
  if (--c->scratch_live) return;
  rpc_server_core_t *core = c->core;
  if (core->nwarm < RPC_SC_WARM) {
    PAGE_POISON(c->scratch);
    core->warm[core->nwarm++] = c->scratch;
  } else
    page_put(core, c->scratch);
  c->scratch = NULL;
}

/* --- the sessions' allocator --------------------------------------------- */

/* Each session has its own nghttp2_mem whose user data is its connection
 * (nghttp2 keeps a copy of the struct): the shared buffer is the core's,
 * the blocks the connection's, forgotten when nghttp2 frees them. */

static void *block_new(rpc_sconn_t *c, char kind) {
  for (size_t i = 0; i < RPC_SC_BLOCKS; i++) {
    if (c->block[i].p) continue;
    void *p = page_get(c->core);
    if (!p) return NULL;
    c->block[i].p = p;
    c->block[i].kind = kind;
    return p;
  }
  return NULL;
}

/* The block's slot, or -1 when p is none of c's blocks. */
static int block_find(const rpc_sconn_t *c, const void *p) {
  for (int i = 0; i < RPC_SC_BLOCKS; i++)
    if (c->block[i].p == p) return i;
  return -1;
}

static void block_free(rpc_sconn_t *c, int i) {
  page_put(c->core, c->block[i].p);
  c->block[i].p = NULL;
}

static void *sm_malloc(size_t size, void *ud) {
  rpc_sconn_t *c = ud;
  rpc_server_core_t *core = c->core;
  if (c->mem_creating && !c->took_framebuf && size >= RPC_SC_FRAMEBUF_MIN) {
    c->took_framebuf = 1; /* one a session */
    if (!core->framebuf) {
      core->framebuf = malloc(size);
      core->framebuf_len = core->framebuf ? size : 0;
    }
    if (core->framebuf && size <= core->framebuf_len) return core->framebuf;
  }
  if (c->mem_creating && size == RPC_SC_HD_ARRAY) {
    void *p = block_new(c, 'H');
    if (p) return p;
  }
  if (!c->mem_creating) {
    void *p = scratch_alloc(c, size);
    if (p) return p;
  }
  return malloc(size);
}

static void sm_free(void *ptr, void *ud) {
  rpc_sconn_t *c = ud;
  if (!ptr || ptr == c->core->framebuf) return; /* the core's, freed with it */
  if (in_scratch(c, ptr)) {
    scratch_free(c);
    return;
  }
  int i = block_find(c, ptr);
  if (i >= 0)
    block_free(c, i);
  else
    free(ptr);
}

static void *sm_calloc(size_t nmemb, size_t size, void *ud) {
  rpc_sconn_t *c = ud;
  size_t n = nmemb * size;
  /* exactly a page: the session itself (2.9 KiB, zeroed too) is not it */
  if (c->mem_creating && size && n / size == nmemb && n == RPC_SC_PAGE) {
    void *p = block_new(c, 'M'); /* zero already, and clean till a stream comes */
    if (p) return p;
  }
  if (!c->mem_creating && size && n / size == nmemb) {
    void *p = scratch_alloc(c, n);
    if (p) return memset(p, 0, n); /* a reset page holds old blocks */
  }
  return calloc(nmemb, size);
}

static void *sm_realloc(void *ptr, size_t size, void *ud) {
  rpc_sconn_t *c = ud;
  rpc_server_core_t *core = c->core;
  /* a block that grows (a priority queue's array, made on the first DATA)
   * lives as long as the session: the heap's, not the scratch page's */
  if (!ptr) return c->mem_creating ? sm_malloc(size, ud) : malloc(size);
  size_t own_len = 0; /* the bytes a move out of the shared buffer or a page keeps */
  int i = block_find(c, ptr), scr = in_scratch(c, ptr);
  if (ptr == core->framebuf)
    own_len = core->framebuf_len;
  else if (i >= 0)
    own_len = RPC_SC_PAGE;
  else if (scr)
    own_len = scratch_size(ptr);
  else
    return realloc(ptr, size);
  void *own = malloc(size); /* the session leaves the shared buffer, or its page */
  if (!own) return NULL;
  memcpy(own, ptr, size < own_len ? size : own_len);
  if (i >= 0) block_free(c, i);
  if (scr) scratch_free(c);
  return own;
}

int rpc_sc_session_new(rpc_server_core_t *core, rpc_sconn_t *c) {
  c->mem.mem_user_data = c;
  c->mem.malloc = sm_malloc;
  c->mem.free = sm_free;
  c->mem.calloc = sm_calloc;
  c->mem.realloc = sm_realloc;
  c->mem_creating = 1;
  int rv = nghttp2_session_server_new3(&c->session, core->cbs, c, core->opt, &c->mem);
  c->mem_creating = 0;
  return rv;
}

void rpc_sc_mem_check(const rpc_sconn_t *c) {
#ifdef RPC_SC_LSAN
  int held = c->scratch != NULL;
  for (size_t i = 0; i < RPC_SC_BLOCKS; i++)
    held |= c->block[i].p != NULL;
  if (held) {
    fprintf(stderr, "%s: a session ended with pool memory still held (%u scratch blocks)\n",
            c->peer ? c->peer : "?", c->scratch_live);
    abort();
  }
#else
  (void)c;
#endif
}

/* --- idle connections ----------------------------------------------------- */

static int all_zero(const void *p, size_t len) {
  const uint8_t *q = p;
  for (size_t i = 0; i < len; i++)
    if (q[i]) return 0;
  return 1;
}

/* SETTINGS_HEADER_TABLE_SIZE v: 0 empties the client's table once it
 * ACKs; 4096 (RFC 7541's default) lets it compress again. */
static void hd_settings(rpc_sconn_t *c, uint32_t v) {
  nghttp2_settings_entry iv = {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, v};
  if (nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, &iv, 1) != 0) return;
  c->settings_unacked++;
  c->hd_small = v == 0;
  rpc_sc_wake(c);
}

void rpc_sc_hd_restore(rpc_sconn_t *c) {
  if (c->hd_small) hd_settings(c, 4096);
}

size_t rpc_sconn_idle(rpc_sconn_t *c) {
  if (c->ncalls || c->closing || c->drain) return 0;
  int hd_empty = nghttp2_session_get_hd_inflate_dynamic_table_size(c->session) == 0 &&
                 nghttp2_session_get_hd_deflate_dynamic_table_size(c->session) == 0;
  /* only with no SETTINGS in flight: a client that never ACKs gets at
   * most a 0 and a 4096 from us, not two more on every idle spell */
  if (!hd_empty && !c->hd_small && !c->settings_unacked) hd_settings(c, 0);
  /* not dirty: given back already, and no stream since (a PING, a
   * SETTINGS or a WINDOW_UPDATE touch neither the map nor the tables) */
  if (!c->block_dirty) return 0;
  size_t n = 0;
  int kept = 0;
  for (size_t i = 0; i < RPC_SC_BLOCKS; i++) {
    if (!c->block[i].p) continue;
    if (c->block[i].kind == 'H' ? !hd_empty : !all_zero(c->block[i].p, RPC_SC_PAGE)) {
      kept = 1;
      continue;
    }
    page_zero(c->block[i].p);
    n++;
  }
  c->block_dirty = (uint8_t)kept; /* again after the client's ACK */
  return n;
}

void rpc_sc_mem_free(rpc_server_core_t *core) {
  free(core->framebuf);
  core->framebuf = NULL;
  core->framebuf_len = 0;
  for (size_t i = 0; i < core->pg_nchunks; i++) {
#ifdef RPC_SC_LSAN
    __lsan_unregister_root_region(core->pg_chunks[i], RPC_SC_CHUNK_PAGES * RPC_SC_PAGE);
    /* the next mapping there must not inherit the poison */
    ASAN_UNPOISON_MEMORY_REGION(core->pg_chunks[i], RPC_SC_CHUNK_PAGES * RPC_SC_PAGE);
#endif
    munmap(core->pg_chunks[i], RPC_SC_CHUNK_PAGES * RPC_SC_PAGE);
  }
  free(core->pg_chunks);
  free(core->pg_free);
  core->pg_chunks = NULL;
  core->pg_free = NULL;
  core->nwarm = 0; /* pages of the chunks, unmapped with them */
  core->pg_nchunks = core->pg_nfree = core->pg_cap = core->pg_chunks_cap = 0;
}
