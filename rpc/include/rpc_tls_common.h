/*
 * rpc_tls_common.h - what the TLS module's two halves share: the host's
 * (rpc/host/src/tls.c: servers and channels over non-blocking sockets) and the
 * firmware client's (firmware-client/src/fc_tls.c: a blocking client over a
 * port transport, on every board). One place for gRPC's TLS profile (ALPN
 * "h2", AEAD suites with forward secrecy, TLS 1.2 and 1.3), mbedtls's and
 * PSA's start-up, and the words for what went wrong.
 *
 * mbedtls 3.6, configured by the board's mbedtls_board.h (mk/mbedtls.mk).
 */
#ifndef RPC_TLS_COMMON_H
#define RPC_TLS_COMMON_H

#include <stddef.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ssl.h>

/* gRPC over TLS is HTTP/2, chosen by ALPN. */
#define RPC_TLS_ALPN "h2"

/* Cipher suites, 0-terminated, for rpc_tls_setup. rpc_tls_suites: the host's,
 * every AEAD suite with forward secrecy, TLS 1.3's first. rpc_tls_device_suites:
 * the firmware client's, the same on every board: the AES-128-GCM ones of that
 * list (TLS 1.3's, then ECDHE-ECDSA's and ECDHE-RSA's in TLS 1.2). mbedtls
 * skips what a build leaves out: the Cortex-M boards' has no RSA
 * (mk/deps/mbedtls-config-cortex-m.h). */
extern const int rpc_tls_suites[];
extern const int rpc_tls_device_suites[];

/* Everything a configuration needs before its certificates: PSA crypto
 * started (TLS 1.3 does its cryptography through it; again is harmless),
 * drbg seeded from entropy (called with ctx), and conf set up for endpoint
 * (MBEDTLS_SSL_IS_CLIENT or _SERVER) with gRPC's profile: TLS 1.2 up to 1.3,
 * suites, ALPN h2, random numbers from drbg, and the peer's certificate
 * required (a server relaxes that for itself). conf and drbg are initialised
 * by the caller, who frees them whatever the outcome. Returns 0, or -1 with
 * the reason in err. */
int rpc_tls_setup(mbedtls_ssl_config *conf, int endpoint, const int *suites,
                  mbedtls_ctr_drbg_context *drbg, int (*entropy)(void *, unsigned char *, size_t),
                  void *ctx, char *err, size_t errlen);

/* Writes into err "WHAT PATH: " (PATH left out when NULL), then mbedtls's
 * words for its error code rc. */
void rpc_tls_say(char *err, size_t errlen, const char *what, const char *path, int rc);

/* When rc says the peer's certificate failed verification and ssl knows why,
 * writes prefix and the first reason (mbedtls_x509_crt_verify_info) into err.
 * Returns 1 if it did, 0 if rc is another failure (err untouched). */
int rpc_tls_verify_text(char *err, size_t errlen, const char *prefix,
                        const mbedtls_ssl_context *ssl, int rc);

/* Writes into buf "PREFIXserver sent TLS alert N (NAME)" for the fatal alert
 * N (its RFC 8446 number) a client got from its server, NAME with a hint for
 * the alerts a gateway sends a device it refuses. */
void rpc_tls_alert_text(char *buf, size_t n, const char *prefix, int alert);

#endif /* RPC_TLS_COMMON_H */
