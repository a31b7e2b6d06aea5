/* tls_common.c - gRPC's TLS profile, mbedtls's start-up and the words for its
 * failures, shared by the host's half of the TLS module (tls.c) and the
 * firmware client's (fc_tls.c); see rpc_tls_common.h. */
#include "rpc_opt.h" /* first: RPC_NO_ERRSTR */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "rpc_tls_common.h"

/* Only suites with forward secrecy and AEAD: TLS 1.3's three, then TLS 1.2's,
 * the ECDSA P-256 one first, as the boards use it. */
const int rpc_tls_suites[] = {MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
                              MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
                              MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
                              MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                              MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                              MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                              MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                              MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                              MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                              0};

/* Not a prefix of the list above, whose TLS 1.3 suites come first: an array
 * of its own, so the boards' linker (--gc-sections) drops the host's. */
const int rpc_tls_device_suites[] = {MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
                                     MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                                     MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 0};

static const char *alpn[] = {RPC_TLS_ALPN, NULL};

int rpc_tls_setup(mbedtls_ssl_config *conf, int endpoint, const int *suites,
                  mbedtls_ctr_drbg_context *drbg, int (*entropy)(void *, unsigned char *, size_t),
                  void *ctx, char *err, size_t errlen) {
  int rc = psa_crypto_init();
  if (rc != PSA_SUCCESS) {
    snprintf(err, errlen, "tls setup: psa_crypto_init failed (%d)", rc);
    return -1;
  }
  if ((rc = mbedtls_ctr_drbg_seed(drbg, entropy, ctx, (const unsigned char *)"rpc-tls", 7))) {
    rpc_tls_say(err, errlen, "no entropy", NULL, rc);
    return -1;
  }
  /* mbedtls's defaults take TLS 1.2 up to 1.3 */
  if ((rc = mbedtls_ssl_config_defaults(conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
                                        MBEDTLS_SSL_PRESET_DEFAULT))) {
    rpc_tls_say(err, errlen, "tls setup", NULL, rc);
    return -1;
  }
  mbedtls_ssl_conf_ciphersuites(conf, suites);
  mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, drbg);
  mbedtls_ssl_conf_alpn_protocols(conf, alpn); /* fails only on a list too long */
  return 0;
}

void rpc_tls_say(char *err, size_t errlen, const char *what, const char *path, int rc) {
#ifdef RPC_NO_ERRSTR /* a string-free build: the call's code says it */
  (void)what, (void)path, (void)rc;
  if (errlen) err[0] = '\0';
  return;
#endif
  int k = snprintf(err, errlen, path ? "%s %s: " : "%s: ", what, path);
  /* mbedtls's words straight after the prefix (no second buffer), unless
   * that filled err or failed (k < 0) */
  if ((size_t)k < errlen) mbedtls_strerror(rc, err + k, errlen - (size_t)k);
}

int rpc_tls_verify_text(char *err, size_t errlen, const char *prefix,
                        const mbedtls_ssl_context *ssl, int rc) {
#ifdef RPC_NO_ERRSTR
  (void)err, (void)errlen, (void)prefix, (void)ssl, (void)rc;
  return 0;
#endif
  uint32_t flags;
  /* one line per reason, each after prefix (none for no flags, and all of
   * them for -1: not verified at all); the first one is enough */
  if (rc != MBEDTLS_ERR_X509_CERT_VERIFY_FAILED ||
      (flags = mbedtls_ssl_get_verify_result(ssl)) == (uint32_t)-1 ||
      mbedtls_x509_crt_verify_info(err, errlen, prefix, flags) == 0)
    return 0;
  err[strcspn(err, "\n")] = '\0';
  return 1;
}

/* The names of the alerts a client may get, each after its number in one
 * byte (octal: an escape ends after three digits, whatever follows): those a
 * gateway sends a device it refuses (tls.c, check_client) with a hint, then,
 * behind a 0 (no fatal alert's number), a pointer to RFC 8446 for the rest.
 * A name that begins with '_' is said after "certificate" (four of them:
 * the bytes pay for certificate_revoked in lm3s6965evb's flash budget).
 * One string, scanned: on a board smaller than a switch, whose jump table and
 * pointers cost more than the scan. */
static const char alert_names[] =
    "\050handshake_failure: client certificate missing or refused?\0" /* 40 */
    "\052bad_certificate\0"                                           /* 42 */
    "\054_revoked\0"                                                  /* 44 */
    "\055_expired\0"                                                  /* 45 */
    "\056_unknown\0"                                                  /* 46 */
    "\060unknown_ca: device certificate not trusted\0"                /* 48 */
    "\164_required\0"                                                 /* 116 */
    "\0see RFC 8446 6.2";

void rpc_tls_alert_text(char *buf, size_t n, const char *prefix, int alert) {
#ifdef RPC_NO_ERRSTR /* the alert's number remains, its name goes */
  (void)prefix;
  snprintf(buf, n, "TLS alert %d", alert);
  return;
#endif
  const char *p = alert_names;
  while (*p && *p != alert)
    p += strlen(p) + 1;
  snprintf(buf, n, "%sserver sent TLS alert %d (%s%s)", prefix, alert,
           p[1] == '_' ? "certificate" : "", p + 1);
}
