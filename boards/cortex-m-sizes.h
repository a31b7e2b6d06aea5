/*
 * cortex-m-sizes.h - the firmware client's memory sizes on the small Cortex-M
 * boards (lm3s6965evb, mps2-an385), measured on lm3s6965evb, the small one.
 * Board configuration, not the port's: each board's board_config.h includes
 * it and adds its clock and UART; a board with other needs sets its own.
 */
#ifndef CORTEX_M_SIZES_H
#define CORTEX_M_SIZES_H

/* nghttp2's whole session lives in the arena, and with TLS mbedtls's too.
 * nghttp2's outbound frame buffer alone takes 16 KB; a plaintext call peaks
 * at about 23.5 KB (firmware-client --arena-stats). TLS adds mbedtls's two
 * 4 KB record buffers, its session and the server's certificate (TLS 1.3
 * keeps it) for the whole call, and the handshake's certificates, PSA keys
 * and elliptic-curve arithmetic before the HTTP/2 session starts. An RSA-2048
 * CA and server (tools/certs.sh) take about 2.9 KB more than ECDSA P-256 ones:
 * larger certificates and the modular exponentiation's working memory. The
 * board tests want 1 KB left over (tests/qemu/board.sh, board_marks). */
#if defined(FC_TLS_BUILD) && defined(PORT_NET_LWIP)
/* lwIP's pools and heap take 7.4 KB (boards/<board>/lwipopts.h): the
 * arena keeps 1.2 KB over mutual TLS 1.3's peak instead of 2.2. */
#define FC_ARENA_SIZE (45u * 1024u)
#elif defined(FC_TLS_BUILD)
#define FC_ARENA_SIZE (46u * 1024u) /* mutual TLS 1.3 peaks at 43.8 KB, 1.2 at 39.4 KB */
#else
#define FC_ARENA_SIZE (28u * 1024u)
#endif

/* TLS (mbedtls_board.h): ask the gateway for records of at most 4 KB, the
 * size of mbedtls's record buffers here; certificates and keys are read whole
 * into a buffer of FC_TLS_FILE_MAX bytes (a P-256 certificate in PEM is about
 * 700 bytes, an RSA-2048 one about 1,150). Command lines with TLS carry three
 * file paths: room for them. */
#define FC_TLS_RECORD_LEN 4096
#define FC_TLS_FILE_MAX 2048
/* TLS 1.3 resumption with the ticket alone (psk_ke): one ECDHE costs about
 * 1.1 s at 12.5 MHz, more than the whole resumed handshake should
 * (docs/boards.md, "TLS session resumption on the boards"). */
#define FC_TLS_RESUME_DHE 0
#define PORT_CMDLINE_MAX 512
#define PORT_ARGV_MAX 28 /* a mutual-TLS channel over lwIP: --ip and --addr too */

/* Main stack: a plaintext call peaks at ~1.4 KB, a TLS 1.3 call at ~3.1 KB
 * (the handshake's elliptic-curve arithmetic; startup.c paints the stack and
 * --arena-stats reports the high-water mark). */
#if defined(FC_TLS_BUILD) && defined(PORT_NET_LWIP)
/* lwIP's receive path (a frame up to the connection's queue) runs at about
 * 1.9 KB of depth, never inside the handshake's arithmetic. */
#define PORT_STACK_SIZE (5u * 1024u)
#elif defined(FC_TLS_BUILD)
#define PORT_STACK_SIZE (6u * 1024u)
#else
#define PORT_STACK_SIZE (4u * 1024u)
#endif

#endif /* CORTEX_M_SIZES_H */
