/*
 * mbedtls 2.28's configuration for the bare-metal boards: the smallest TLS
 * client that talks to the gateway. A board's boards/<name>/mbedtls_config.h
 * sets its record sizes (MBEDTLS_SSL_IN_CONTENT_LEN, MBEDTLS_SSL_OUT_CONTENT_LEN)
 * and then includes this file, which ends with mbedtls's own consistency check.
 *
 *   TLS 1.2 only, client only; ECDHE-ECDSA on secp256r1 only, AES-128-GCM,
 *   SHA-256; X.509 certificates and EC keys in PEM (or DER); CTR-DRBG.
 *   Extensions: server name (SNI), ALPN "h2", max fragment length (RFC 6066:
 *   the board asks the gateway for small records, FC_TLS_MFL), extended master
 *   secret.
 *
 * Dates: MBEDTLS_HAVE_TIME_DATE, with time() from the port (the host's date
 *   through semihosting SYS_TIME on the QEMU boards; a real board's RTC).
 *
 * Left out on purpose:
 *   - MBEDTLS_ENTROPY_C: fc_tls.c seeds the CTR-DRBG from port_entropy() (the
 *     board's TRNG; on the QEMU boards a test-only generator, see
 *     port/cortex-m/entropy.c).
 *   - MBEDTLS_FS_IO, MBEDTLS_NET_C: no file system and no sockets; certificates
 *     come through port_file_read() (semihosting on these boards) and the
 *     records go over the port's transport (UART0).
 *   - MBEDTLS_PLATFORM_MEMORY: mbedtls calls calloc/free, which mk/deps.mk
 *     renames in its objects to the firmware client's arena (fc_arena.h).
 */
#ifndef FC_MBEDTLS_CONFIG_CORTEX_M_H
#define FC_MBEDTLS_CONFIG_CORTEX_M_H

#if !defined(MBEDTLS_SSL_IN_CONTENT_LEN) || !defined(MBEDTLS_SSL_OUT_CONTENT_LEN)
#error "the board's mbedtls_config.h sets MBEDTLS_SSL_IN_CONTENT_LEN and _OUT_CONTENT_LEN"
#endif

/* System support: Thumb-2 multiply-accumulate for the bignum code; the date
 * from the port (time() over _gettimeofday: the host's clock through
 * semihosting on these boards), so certificates' validity dates are checked. */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
/* newlib's gmtime() (mbedtls's fallback) drags in stdio and malloc: the
 * port gives mbedtls a gmtime_r of its own (port/cortex-m/time.c) */
#define MBEDTLS_PLATFORM_GMTIME_R_ALT

/* Elliptic curves: P-256 only, with its fast reduction; small windows keep the
 * scalar multiplication's tables (RAM, in the arena) small. */
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_MAX_BITS 256
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_MPI_MAX_SIZE 32 /* bytes: a P-256 number */
#define MBEDTLS_MPI_WINDOW_SIZE 1

/* Key exchange and protocol. */
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_CIPHERSUITES MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_ALPN
/* The server's certificate is verified during the handshake, then dropped:
 * only its digest is kept (fc_tls.c never asks for the peer's certificate). */
#undef MBEDTLS_SSL_KEEP_PEER_CERTIFICATE

/* Certificates. */
#define MBEDTLS_X509_CHECK_KEY_USAGE
#define MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE

/* AES tables in flash, not built in RAM at first use. */
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_SHA256_SMALLER

/* Modules. */
#define MBEDTLS_AES_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C /* ECDSA signatures (the device's, in mutual TLS) */
#define MBEDTLS_BASE64_C
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ERROR_C /* the same error texts as the host client's */
#define MBEDTLS_GCM_C
#define MBEDTLS_MD_C
#define MBEDTLS_OID_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_USE_C

#include "mbedtls/check_config.h"

#endif /* FC_MBEDTLS_CONFIG_CORTEX_M_H */
