/*
 * server_mem.c - the allocator of the core's nghttp2 sessions: the C heap,
 * except for the frame buffer, which every session of a core shares.
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
 * The other large block made with the session, zeroed, is its stream map
 * (a 4 KiB table, all zero again once its last stream is gone): it gets
 * whole pages of its own, so that the driver may give them back to the
 * kernel while the connection is idle (rpc_sconn_idle_block). It is checked
 * to be all zero first, so nothing depends on what nghttp2 keeps there.
 */
#include <stdlib.h>
#include <string.h>

#include "server_core.h"

#define RPC_SC_FRAMEBUF_MIN 16384u
#define RPC_SC_PAGE 4096u

/* Each session has its own nghttp2_mem whose user data is its connection
 * (nghttp2 keeps a copy of the struct): the shared buffer is the core's,
 * the stream map's block the connection's, forgotten when nghttp2 frees it
 * (the map moves to a bigger table past 192 streams). */
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
  return malloc(size);
}

static void sm_free(void *ptr, void *ud) {
  rpc_sconn_t *c = ud;
  if (!ptr || ptr == c->core->framebuf) return; /* the core's, freed with it */
  if (ptr == c->block) c->block = NULL;
  free(ptr);
}

static void *sm_calloc(size_t nmemb, size_t size, void *ud) {
  rpc_sconn_t *c = ud;
  size_t n = nmemb * size;
  if (c->mem_creating && !c->block && size && n / size == nmemb && n >= RPC_SC_PAGE) {
    size_t len = (n + RPC_SC_PAGE - 1) / RPC_SC_PAGE * RPC_SC_PAGE;
    void *p = aligned_alloc(RPC_SC_PAGE, len);
    if (p) {
      memset(p, 0, len);
      c->block = p;
      c->block_len = len;
      c->block_dirty = 1; /* the memset touched it */
      return p;
    }
  }
  return calloc(nmemb, size);
}

static void *sm_realloc(void *ptr, size_t size, void *ud) {
  rpc_sconn_t *c = ud;
  rpc_server_core_t *core = c->core;
  if (!ptr) return sm_malloc(size, ud);
  if (ptr == core->framebuf) {
    void *own = malloc(size); /* the session leaves the shared buffer */
    if (own) memcpy(own, ptr, size < core->framebuf_len ? size : core->framebuf_len);
    return own;
  }
  void *q = realloc(ptr, size);
  if (q && ptr == c->block) c->block = NULL; /* no longer page-aligned for sure */
  return q;
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

int rpc_sconn_idle_block(rpc_sconn_t *c, void **p, size_t *len) {
  /* not dirty: given back already, and no stream since (a PING, a
   * SETTINGS or a WINDOW_UPDATE do not touch the map), or never
   * allocated: nothing to read through */
  if (!c->block || c->ncalls || !c->block_dirty) return 0;
  const uint8_t *q = c->block;
  for (size_t i = 0; i < c->block_len; i++)
    if (q[i]) return 0;
  *p = c->block;
  *len = c->block_len;
  c->block_dirty = 0;
  return 1;
}

void rpc_sc_mem_free(rpc_server_core_t *core) {
  free(core->framebuf);
  core->framebuf = NULL;
  core->framebuf_len = 0;
}
