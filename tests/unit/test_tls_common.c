/* test_tls_common.c - what the TLS module's two halves share (tls_common.c):
 * the suite lists, the set-up, and the words for mbedtls errors, certificate
 * verification failures and alerts, which the host's and the boards' TLS
 * tests see only in part. */
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "rpc_tls_common.h"
#include "tap.h"

static void alerts(void) {
  static const struct {
    int alert;
    const char *name;
  } want[] = {
      {40, "handshake_failure: client certificate missing or refused?"},
      {42, "bad_certificate"},
      {44, "certificate_revoked"},
      {45, "certificate_expired"},
      {46, "certificate_unknown"},
      {48, "unknown_ca: device certificate not trusted"},
      {116, "certificate_required"},
      {47, "see RFC 8446 6.2"}, /* illegal_parameter: no hint */
      {0, "see RFC 8446 6.2"},
      {-1, "see RFC 8446 6.2"}, /* no alert record to read */
      {200, "see RFC 8446 6.2"},
  };
  char b[160], w[160];
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    rpc_tls_alert_text(b, sizeof(b), "p: ", want[i].alert);
    snprintf(w, sizeof(w), "p: server sent TLS alert %d (%s)", want[i].alert, want[i].name);
    CHECK(strcmp(b, w) == 0);
  }
  rpc_tls_alert_text(b, 10, "", 116);
  CHECK(strcmp(b, "server se") == 0); /* cut to the buffer */
}

static void words(void) {
  char b[200];
  rpc_tls_say(b, sizeof(b), "bad key", "/k.pem", MBEDTLS_ERR_PK_KEY_INVALID_FORMAT);
  CHECK(strncmp(b, "bad key /k.pem: PK - ", 21) == 0);
  rpc_tls_say(b, sizeof(b), "tls setup", NULL, MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
  CHECK(strcmp(b, "tls setup: SSL - Bad input parameters to function") == 0);
  rpc_tls_say(b, 5, "tls setup", NULL, MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
  CHECK(strcmp(b, "tls ") == 0);
  rpc_tls_say(b, 12, "tls setup", NULL, MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
  CHECK(strcmp(b, "tls setup: ") == 0); /* the prefix fills it: no words */
}

static void verify(void) {
  char b[160] = "untouched";
  mbedtls_ssl_context ssl;
  mbedtls_ssl_session sess;
  mbedtls_ssl_init(&ssl);
  mbedtls_ssl_session_init(&sess);
  /* no session: nothing was verified */
  CHECK(!rpc_tls_verify_text(b, sizeof(b), "x509: ", &ssl, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED));
  ssl.MBEDTLS_PRIVATE(session) = &sess;
  sess.MBEDTLS_PRIVATE(verify_result) =
      MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_NOT_TRUSTED;
  CHECK(!rpc_tls_verify_text(b, sizeof(b), "x509: ", &ssl, MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE));
  CHECK(strcmp(b, "untouched") == 0);
  CHECK(rpc_tls_verify_text(b, sizeof(b), "x509: ", &ssl, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED));
  CHECK(strcmp(b, "x509: The certificate validity has expired") == 0); /* the first reason */
  sess.MBEDTLS_PRIVATE(verify_result) = MBEDTLS_X509_BADCERT_CN_MISMATCH;
  CHECK(rpc_tls_verify_text(b, 20, "x509: ", &ssl, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED));
  CHECK(strlen(b) == 19); /* cut to the buffer */
  sess.MBEDTLS_PRIVATE(verify_result) = 0;
  strcpy(b, "untouched");
  CHECK(!rpc_tls_verify_text(b, sizeof(b), "x509: ", &ssl, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED));
  CHECK(strcmp(b, "untouched") == 0);
  ssl.MBEDTLS_PRIVATE(session) = NULL;
  mbedtls_ssl_free(&ssl);
}

static int in_list(const int *l, int s) {
  for (; *l; l++)
    if (*l == s) return 1;
  return 0;
}

static void suites(void) {
  CHECK(rpc_tls_suites[0] == MBEDTLS_TLS1_3_AES_128_GCM_SHA256);
  CHECK(rpc_tls_device_suites[0] == MBEDTLS_TLS1_3_AES_128_GCM_SHA256);
  for (const int *d = rpc_tls_device_suites; *d; d++)
    CHECK(in_list(rpc_tls_suites, *d)); /* a subset of the host's */
}

static int counter(void *ctx, unsigned char *buf, size_t len) {
  unsigned *n = ctx;
  for (size_t i = 0; i < len; i++)
    buf[i] = (unsigned char)(++*n * 2654435761u >> 24);
  return 0;
}

static int broken(void *ctx, unsigned char *buf, size_t len) {
  (void)ctx, (void)buf, (void)len;
  return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

static void setup(void) {
  char err[200] = "";
  unsigned n = 0;
  mbedtls_ssl_config conf;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_ssl_config_init(&conf);
  mbedtls_ctr_drbg_init(&drbg);
  CHECK(rpc_tls_setup(&conf, MBEDTLS_SSL_IS_CLIENT, rpc_tls_device_suites, &drbg, counter, &n, err,
                      sizeof(err)) == 0);
  CHECK(n > 0 && mbedtls_ssl_conf_get_endpoint(&conf) == MBEDTLS_SSL_IS_CLIENT);
  mbedtls_ssl_config_free(&conf);
  mbedtls_ctr_drbg_free(&drbg);
  mbedtls_ssl_config_init(&conf);
  mbedtls_ctr_drbg_init(&drbg);
  CHECK(rpc_tls_setup(&conf, MBEDTLS_SSL_IS_SERVER, rpc_tls_suites, &drbg, broken, NULL, err,
                      sizeof(err)) == -1);
  CHECK(strcmp(err, "no entropy: CTR_DRBG - The entropy source failed") == 0);
  mbedtls_ssl_config_free(&conf);
  mbedtls_ctr_drbg_free(&drbg);
  mbedtls_psa_crypto_free();
}

int main(void) {
  alerts();
  words();
  verify();
  suites();
  setup();
  return tap_done("test_tls_common");
}
