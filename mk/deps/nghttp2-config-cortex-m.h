/*
 * nghttp2's config.h for bare-metal boards (newlib, no sockets, no heap).
 *
 * There is no <arpa/inet.h>: the byte-order helpers are defined here, which
 * nghttp2 includes first in every file. time() comes from newlib, over the
 * port's _gettimeofday (the date, counted on with SysTick); nghttp2 only uses
 * it to rate-limit a peer's stream resets.
 */
#ifndef NGHTTP2_BOARD_CONFIG_H
#define NGHTTP2_BOARD_CONFIG_H

#include <stdint.h>

#define HAVE_TIME_H 1

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define htonl(x) __builtin_bswap32((uint32_t)(x))
#define htons(x) __builtin_bswap16((uint16_t)(x))
#else
#define htonl(x) ((uint32_t)(x))
#define htons(x) ((uint16_t)(x))
#endif
#define ntohl(x) htonl(x)
#define ntohs(x) htons(x)

#endif
