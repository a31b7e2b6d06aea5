/*
 * fc_arena.h - the board's one fixed arena, the only memory the libraries
 * get: nghttp2 allocates through fc_arena_mem() (and on bare metal its few
 * direct malloc/calloc/realloc/free calls are renamed to the fc_arena_*
 * functions, mk/deps.mk), mbedtls on the cross boards through its platform
 * door (mk/deps/mbedtls-config-arena.h), so that no libc heap is linked at
 * all.
 * Size: FC_ARENA_SIZE from the board's board_config.h.
 */
#ifndef FC_ARENA_H
#define FC_ARENA_H

#include <stddef.h>

#include <nghttp2/nghttp2.h>

/* The allocator for nghttp2_session_*_new3 over the arena. */
const nghttp2_mem *fc_arena_mem(void);

/* Most bytes (headers included) the arena ever had in use. */
size_t fc_arena_high_water(void);

/* The arena's size in bytes. */
size_t fc_arena_size(void);

/* malloc-style functions over the arena; NULL when it is full. */
void *fc_arena_malloc(size_t n);
void *fc_arena_calloc(size_t n, size_t size);
void *fc_arena_realloc(void *p, size_t n);
void fc_arena_free(void *p);

#endif /* FC_ARENA_H */
