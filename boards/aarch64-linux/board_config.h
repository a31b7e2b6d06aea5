/* Linux board configuration: the firmware client keeps its fixed arena (so the
 * board build behaves like a small device), but Linux has room to spare. */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H
/* nghttp2's session, and with TLS mbedtls's: its default configuration keeps
 * two 16 KB record buffers for the call (mbedtls_board.h). */
#if defined(FC_TLS_BUILD)
#define FC_ARENA_SIZE (128u * 1024u) /* mutual TLS 1.3 peaks at 70 KB (armhf), 76 KB (aarch64) */
#else
#define FC_ARENA_SIZE (64u * 1024u)
#endif
#endif
