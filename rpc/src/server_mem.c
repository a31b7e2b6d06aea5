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
 */
#include <stdlib.h>
#include <string.h>

#include "server_core.h"

#define RPC_SC_FRAMEBUF_MIN 16384u

static void *sm_malloc(size_t size, void *ud) {
  rpc_server_core_t *core = ud;
  if (core->mem_creating && size >= RPC_SC_FRAMEBUF_MIN) {
    core->mem_creating = 0; /* one a session */
    if (!core->framebuf) {
      core->framebuf = malloc(size);
      core->framebuf_len = core->framebuf ? size : 0;
    }
    if (core->framebuf && size <= core->framebuf_len) return core->framebuf;
  }
  return malloc(size);
}

static void sm_free(void *ptr, void *ud) {
  rpc_server_core_t *core = ud;
  if (ptr && ptr == core->framebuf) return; /* the core's, freed with it */
  free(ptr);
}

static void *sm_calloc(size_t nmemb, size_t size, void *ud) {
  (void)ud;
  return calloc(nmemb, size);
}

static void *sm_realloc(void *ptr, size_t size, void *ud) {
  rpc_server_core_t *core = ud;
  if (!ptr) return sm_malloc(size, ud);
  if (ptr != core->framebuf) return realloc(ptr, size);
  void *own = malloc(size); /* the session leaves the shared buffer */
  if (own) memcpy(own, ptr, size < core->framebuf_len ? size : core->framebuf_len);
  return own;
}

void rpc_sc_mem_init(rpc_server_core_t *core) {
  core->mem.mem_user_data = core;
  core->mem.malloc = sm_malloc;
  core->mem.free = sm_free;
  core->mem.calloc = sm_calloc;
  core->mem.realloc = sm_realloc;
}

int rpc_sc_session_new(rpc_server_core_t *core, nghttp2_session **out, void *ud) {
  core->mem_creating = 1;
  int rv = nghttp2_session_server_new3(out, core->cbs, ud, core->opt, &core->mem);
  core->mem_creating = 0;
  return rv;
}

void rpc_sc_mem_free(rpc_server_core_t *core) {
  free(core->framebuf);
  core->framebuf = NULL;
  core->framebuf_len = 0;
}
