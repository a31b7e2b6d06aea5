/*
 * TI Stellaris LM3S6965 (QEMU lm3s6965evb): 256 KB flash, 64 KB SRAM.
 * Budgets (docs/footprint.md, tests/qemu/test_footprint_budget.sh), flash
 * (text + data) and RAM (.data + .bss + stack): 96 KB and 48 KB for the
 * plaintext build (FC_TLS=no: an arena of 28 KB), 200 KB and 64 KB with TLS
 * (an arena of 40 KB and a 6 KB stack).
 */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H

/* nghttp2's whole session lives in the arena, and with TLS mbedtls's too.
 * nghttp2's outbound frame buffer alone takes 16 KB; a plaintext call peaks
 * at about 23.5 KB (firmware-client --arena-stats). TLS adds mbedtls's two
 * 4 KB record buffers, its session and the server's certificate (TLS 1.3
 * keeps it) for the whole call, and the handshake's certificates, PSA keys
 * and elliptic-curve arithmetic before the HTTP/2 session starts. The board
 * tests want 1 KB left over (tests/qemu/board.sh, board_marks). */
#if defined(FC_TLS_BUILD)
#define FC_ARENA_SIZE (44u * 1024u) /* mutual TLS 1.3 peaks at 39.7 KB, 1.2 at 36.6 KB */
#else
#define FC_ARENA_SIZE (28u * 1024u)
#endif

/* TLS (mbedtls_board.h): ask the gateway for records of at most 4 KB, the
 * size of mbedtls's record buffers here; certificates and keys are read whole
 * into a buffer of FC_TLS_FILE_MAX bytes (a P-256 certificate in PEM is about
 * 700 bytes). Command lines with TLS carry three file paths: room for them. */
#define FC_TLS_RECORD_LEN 4096
#define FC_TLS_FILE_MAX 2048
#define PORT_CMDLINE_MAX 512
#define PORT_ARGV_MAX 24

/* Main stack: a plaintext call peaks at ~1.4 KB, a TLS 1.3 call at ~3.1 KB
 * (the handshake's elliptic-curve arithmetic; startup.c paints the stack and
 * --arena-stats reports the high-water mark). */
#if defined(FC_TLS_BUILD)
#define PORT_STACK_SIZE (6u * 1024u)
#else
#define PORT_STACK_SIZE (4u * 1024u)
#endif

/* Core clock: QEMU runs the LM3S6965 at 12.5 MHz out of reset (RCC SYSDIV /16
 * of the 200 MHz PLL); a real board that raises it must change this. */
#define PORT_CPU_HZ 12500000u
/* gRPC goes over UART0, a PL011. */
#define PORT_UART port_uart_pl011
#define PORT_UART_BASE 0x4000C000u

/* No TRNG on this board: the port's test-only generator (port/cortex-m/entropy.c). */
#define PORT_ENTROPY_TEST_ONLY 1

#endif
