/*
 * ARM MPS2 with the AN385 image (QEMU mps2-an385): Cortex-M3, 4 MB code and
 * 4 MB data RAM. Memory is plentiful; the sizes match lm3s6965evb so that both
 * boards run the same client configuration.
 */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H

/* nghttp2's whole session lives here, and with TLS mbedtls's too. nghttp2's
 * outbound frame buffer alone takes 16 KB; a plaintext call peaks at about
 * 23.5 KB (firmware-client --arena-stats). TLS adds mbedtls's two 4 KB record
 * buffers and its session for the whole call, and the handshake's certificates
 * and elliptic-curve arithmetic before the HTTP/2 session starts. */
#if defined(FC_TLS_BUILD)
#define FC_ARENA_SIZE (40u * 1024u) /* a mutual-TLS call peaks at about 34.4 KB */
#else
#define FC_ARENA_SIZE (28u * 1024u)
#endif

/* TLS (mbedtls_config.h): ask the gateway for records of at most 4 KB, the
 * size of mbedtls's record buffers here; certificates and keys are read whole
 * into a buffer of FC_TLS_FILE_MAX bytes (a P-256 certificate in PEM is about
 * 700 bytes). Command lines with TLS carry three file paths: room for them. */
#define FC_TLS_MFL MBEDTLS_SSL_MAX_FRAG_LEN_4096
#define FC_TLS_FILE_MAX 2048
#define PORT_CMDLINE_MAX 512
#define PORT_ARGV_MAX 24

/* Core clock: the AN385 FPGA image runs at 25 MHz (QEMU's too). */
#define PORT_CPU_HZ 25000000u
/* Main stack: a plaintext call peaks at ~1.4 KB, a TLS call at ~3.7 KB (the
 * handshake's elliptic-curve arithmetic; measured by stack painting). */
#if defined(FC_TLS_BUILD)
#define PORT_STACK_SIZE (6u * 1024u)
#else
#define PORT_STACK_SIZE (4u * 1024u)
#endif

/* gRPC goes over UART0, a CMSDK APB UART. */
#define PORT_UART port_uart_cmsdk
#define PORT_UART_BASE 0x40004000u

/* No TRNG on this board: the port's test-only generator (port/cortex-m/entropy.c). */
#define PORT_ENTROPY_TEST_ONLY 1

#endif
