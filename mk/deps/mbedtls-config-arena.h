/*
 * mbedtls allocates from the firmware client's arena (fc_arena.c), through
 * mbedtls's own door for its allocator: MBEDTLS_PLATFORM_MEMORY with the
 * allocator named at compile time, so every mbedtls_calloc/mbedtls_free is a
 * direct call to the arena (no function pointers to set at run time). One
 * FC_ARENA_SIZE then bounds all of a call's library memory, nghttp2's and
 * mbedtls's, and --arena-stats reports it. Included by the mbedtls
 * configuration of every board the firmware client runs on alone (the cross
 * boards); the host's daemons keep the C library's allocator.
 */
#ifndef FC_MBEDTLS_CONFIG_ARENA_H
#define FC_MBEDTLS_CONFIG_ARENA_H

#include <stddef.h>

#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_CALLOC_MACRO fc_arena_calloc
#define MBEDTLS_PLATFORM_FREE_MACRO fc_arena_free

/* As in fc_arena.h, which mbedtls's sources do not see. */
void *fc_arena_calloc(size_t n, size_t size);
void fc_arena_free(void *p);

#endif /* FC_MBEDTLS_CONFIG_ARENA_H */
