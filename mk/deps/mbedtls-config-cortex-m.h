/*
 * mbedtls 3.6's configuration for the bare-metal boards: the smallest TLS
 * client that talks to the gateway. A board's boards/<name>/mbedtls_board.h
 * sets its record sizes (MBEDTLS_SSL_IN_CONTENT_LEN, MBEDTLS_SSL_OUT_CONTENT_LEN)
 * and then includes this file; mbedtls checks the whole (check_config.h) when
 * its build_info.h has read it.
 *
 *   TLS 1.3 and TLS 1.2, client only; ECDHE on secp256r1 only; the peer's
 *   signatures in ECDSA P-256 or RSA (PKCS#1 v1.5 for certificates and
 *   TLS 1.2, PSS for TLS 1.3's CertificateVerify), the device's own in ECDSA
 *   P-256; AES-128-GCM, SHA-256; X.509 certificates and EC keys in PEM (or
 *   DER); CTR-DRBG. Extensions: server name (SNI), ALPN "h2", small
 *   records (TLS 1.3: record_size_limit, RFC 8449; TLS 1.2: max fragment
 *   length, RFC 6066: the board asks the gateway for records that fit its
 *   buffers, FC_TLS_RECORD_LEN), extended master secret (TLS 1.2).
 *
 * TLS 1.3 does its cryptography through PSA (MBEDTLS_PSA_CRYPTO_C), whose
 * algorithms follow from the modules below; its random numbers come from the
 * port (MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG: fc_tls.c gives it port_entropy(),
 * the board's TRNG). PSA's key slots live in the arena.
 *
 * Dates: MBEDTLS_HAVE_TIME_DATE, the date from the port (port_utc_seconds:
 *   the host's date through semihosting SYS_TIME on the QEMU boards; a real
 *   board's RTC) through the firmware client's TLS module (fc_tls.c).
 *
 * Memory: the firmware client's arena, through mbedtls's platform door
 *   (mbedtls-config-arena.h).
 *
 * Left out on purpose:
 *   - MBEDTLS_ENTROPY_C: fc_tls.c seeds the CTR-DRBG from port_entropy() (the
 *     board's TRNG; on the QEMU boards a test-only generator, see
 *     port/cortex-m/entropy.c).
 *   - MBEDTLS_FS_IO, MBEDTLS_NET_C: no file system and no sockets; certificates
 *     come through port_file_read() (semihosting on these boards) and the
 *     records go over the port's transport (UART0).
 *   - TLS 1.3 middlebox compatibility and external PSKs: the board talks to
 *     the gateway only, with certificates.
 *
 * Session resumption: the channel keeps one connection for many calls and,
 * when it must reconnect, resumes the latest session with its ticket
 * (TLS 1.3 NewSessionTicket, TLS 1.2 RFC 5077), skipping the certificates'
 * checks and, with psk_ke, the ECDHE (FC_TLS_RESUME_DHE, docs/boards.md).
 */
#ifndef FC_MBEDTLS_CONFIG_CORTEX_M_H
#define FC_MBEDTLS_CONFIG_CORTEX_M_H

#if !defined(MBEDTLS_SSL_IN_CONTENT_LEN) || !defined(MBEDTLS_SSL_OUT_CONTENT_LEN)
#error "the board's mbedtls_board.h sets MBEDTLS_SSL_IN_CONTENT_LEN and _OUT_CONTENT_LEN"
#endif

#include <time.h>

#include "mbedtls-config-arena.h"

/* System support: Thumb-2 multiply-accumulate for the bignum code; the date
 * from the port, so certificates' validity dates are checked. The hooks
 * below are the firmware client's TLS module's (fc_tls.c), over the port. */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_PLATFORM_C
/* the date: port_utc_seconds() */
#define MBEDTLS_PLATFORM_TIME_MACRO fc_tls_time
time_t fc_tls_time(time_t *t);
/* newlib's gmtime() (mbedtls's fallback) drags in stdio and malloc: its
 * gmtime_r does not */
#define MBEDTLS_PLATFORM_GMTIME_R_ALT
#define MBEDTLS_PLATFORM_MS_TIME_ALT /* port_time_ms() */
#define MBEDTLS_NO_PLATFORM_ENTROPY  /* no OS: randomness comes from the port */

/* Elliptic curves: P-256 only (docs/boards.md, "TLS handshake speed", has
 * the measurements behind these lines). The NIST fast reduction: without it
 * a handshake takes four times as long. FIXED_POINT_OPTIM uses the comb
 * table of the base point that ecp_curves.c keeps in flash (about 1.6 KB of
 * flash, no RAM): key generation, signing and half of each verification
 * get faster, 8.8 s to 5.6 s for a mutual-TLS call at 12.5 MHz. Window 4 is
 * the largest mbedtls uses for a 256-bit curve's other points (5 and 6 act
 * as 4); its table is 8 points in the arena instead of 2, within the
 * high-water mark that the record buffers set. x25519 is left out: its key
 * generation gets no fixed-point table, and the call was slower with it. */
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE 4
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 1
#define MBEDTLS_MPI_WINDOW_SIZE 1

/* RSA, for the public-key side only: the CA's signature on the server's
 * certificate and the server's CertificateVerify (TLS 1.3: rsa_pss_rsae;
 * TLS 1.2: PKCS#1 v1.5 in ECDHE_RSA). With e = 65537 a verification is 17
 * modular squarings and multiplications of 2048 bits: 0.25 s at 12.5 MHz,
 * where an ECDSA P-256 verification takes 1.2 s (docs/boards.md, "TLS
 * handshake speed"). RSA keys of at most 2048 bits (MBEDTLS_MPI_MAX_SIZE).
 * The device's key stays ECDSA P-256: signing is what it does cheaply, and
 * it holds no RSA key: no key generation (GENPRIME), no CRT. */
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_RSA_NO_CRT              /* 0.9 KB less of code it never runs */
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT /* offers rsa_pss_rsae_* in TLS 1.3 */
#define MBEDTLS_MPI_MAX_SIZE 256        /* bytes: an RSA-2048 modulus */

/* Protocols and key exchange. */
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
/* resumption: the ticket's PSK alone (psk_ke) or with an ECDHE (psk_dhe_ke) */
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_CIPHERSUITES                                                                   \
  MBEDTLS_TLS1_3_AES_128_GCM_SHA256, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,              \
      MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_RECORD_SIZE_LIMIT
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_ALPN
/* TLS 1.3 keeps the server's certificate for the session (mbedtls requires
 * it); it lives in the arena. */
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE

/* Certificates. */
#define MBEDTLS_X509_CHECK_KEY_USAGE
#define MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE

/* AES tables in flash, not built in RAM at first use. */
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_SHA256_SMALLER

/* PSA crypto for TLS 1.3; randomness from the port (fc_tls.c). */
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG
#define MBEDTLS_PSA_KEY_STORE_DYNAMIC

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
#define MBEDTLS_HKDF_C /* TLS 1.3's key schedule */
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

#endif /* FC_MBEDTLS_CONFIG_CORTEX_M_H */
