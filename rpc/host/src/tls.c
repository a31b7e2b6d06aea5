/* tls.c - the host's half of the TLS module: mbedtls under the server's and
 * the channel's connections, one configuration per listener or channel, one
 * session per connection, the non-blocking socket as the BIO. What it shares
 * with the firmware client's half (fc_tls.c) is in tls_common.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "rpc_tls.h"
#include "rpc_tls_common.h"

struct rpc_tls_cfg {
  mbedtls_ssl_config conf;
  int require_cert; /* a server that wants client certificates */
  mbedtls_x509_crt ca, own;
  mbedtls_pk_context key;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
};

struct rpc_tls {
  mbedtls_ssl_context ssl;
  int fd;
  int server;
  int require_cert;
  int alerted; /* a fatal alert went out: rpc_tls_refuse has nothing to add */
  int want_write;
  size_t wretry; /* length of a write mbedtls must be given again */
  char cn[128];
  char err[200];
};

static rpc_tls_cfg_t *cfg_new(int endpoint, char *err, size_t errlen) {
  rpc_tls_cfg_t *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  mbedtls_ssl_config_init(&c->conf);
  mbedtls_x509_crt_init(&c->ca);
  mbedtls_x509_crt_init(&c->own);
  mbedtls_pk_init(&c->key);
  mbedtls_entropy_init(&c->entropy);
  mbedtls_ctr_drbg_init(&c->drbg);
  if (rpc_tls_setup(&c->conf, endpoint, rpc_tls_suites, &c->drbg, mbedtls_entropy_func, &c->entropy,
                    err, errlen) != 0) {
    rpc_tls_cfg_free(c);
    return NULL;
  }
  return c;
}

static int load_own(rpc_tls_cfg_t *c, const char *cert, const char *key, char *err, size_t errlen) {
  int rc = mbedtls_x509_crt_parse_file(&c->own, cert);
  if (rc) {
    rpc_tls_say(err, errlen, "cannot load certificate", cert, rc);
    return -1;
  }
  rc = mbedtls_pk_parse_keyfile(&c->key, key, NULL, mbedtls_ctr_drbg_random, &c->drbg);
  if (rc) {
    rpc_tls_say(err, errlen, "cannot load key", key, rc);
    return -1;
  }
  rc = mbedtls_ssl_conf_own_cert(&c->conf, &c->own, &c->key);
  if (rc) {
    rpc_tls_say(err, errlen, "certificate and key do not match", cert, rc);
    return -1;
  }
  return 0;
}

static int load_ca(rpc_tls_cfg_t *c, const char *ca, char *err, size_t errlen) {
  int rc = mbedtls_x509_crt_parse_file(&c->ca, ca);
  if (rc) {
    rpc_tls_say(err, errlen, "cannot load CA", ca, rc);
    return -1;
  }
  mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
  return 0;
}

rpc_tls_cfg_t *rpc_tls_server_cfg(const char *cert, const char *key, const char *client_ca,
                                  char *err, size_t errlen) {
  rpc_tls_cfg_t *c = cfg_new(MBEDTLS_SSL_IS_SERVER, err, errlen);
  if (!c) return NULL;
  if (load_own(c, cert, key, err, errlen) || (client_ca && load_ca(c, client_ca, err, errlen))) {
    rpc_tls_cfg_free(c);
    return NULL;
  }
  /* Client certificates are judged after the handshake (check_client):
   * mbedtls 3.6's TLS 1.3 server sends the alert for a certificate it refuses
   * during the handshake under its handshake keys, which the client has
   * already left behind, so the device could not read why it was refused.
   * No application byte is read or sent before the verdict. */
  c->require_cert = client_ca != NULL;
  mbedtls_ssl_conf_authmode(&c->conf,
                            client_ca ? MBEDTLS_SSL_VERIFY_OPTIONAL : MBEDTLS_SSL_VERIFY_NONE);
  return c;
}

rpc_tls_cfg_t *rpc_tls_client_cfg(const char *ca, const char *cert, const char *key, char *err,
                                  size_t errlen) {
  rpc_tls_cfg_t *c = cfg_new(MBEDTLS_SSL_IS_CLIENT, err, errlen);
  if (!c) return NULL;
  if (load_ca(c, ca, err, errlen) || (cert && key && load_own(c, cert, key, err, errlen))) {
    rpc_tls_cfg_free(c);
    return NULL;
  }
  return c; /* the server's certificate is required (rpc_tls_setup) */
}

void rpc_tls_cfg_free(rpc_tls_cfg_t *c) {
  if (!c) return;
  mbedtls_ssl_config_free(&c->conf);
  mbedtls_x509_crt_free(&c->ca);
  mbedtls_x509_crt_free(&c->own);
  mbedtls_pk_free(&c->key);
  mbedtls_ctr_drbg_free(&c->drbg);
  mbedtls_entropy_free(&c->entropy);
  free(c);
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len) {
  rpc_tls_t *t = ctx;
  ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);
  if (n >= 0) return (int)n;
  if (errno == EAGAIN || errno == EINTR) {
    t->want_write = 1;
    return MBEDTLS_ERR_SSL_WANT_WRITE;
  }
  return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET
                                               : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len) {
  rpc_tls_t *t = ctx;
  ssize_t n = recv(t->fd, buf, len, 0);
  if (n >= 0) return (int)n;
  if (errno == EAGAIN || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_READ;
  return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

rpc_tls_t *rpc_tls_new(rpc_tls_cfg_t *cfg, int fd, const char *server_name) {
  rpc_tls_t *t = calloc(1, sizeof(*t));
  if (!t) return NULL;
  t->fd = fd;
  t->server = mbedtls_ssl_conf_get_endpoint(&cfg->conf) == MBEDTLS_SSL_IS_SERVER;
  t->require_cert = cfg->require_cert;
  mbedtls_ssl_init(&t->ssl);
  if (mbedtls_ssl_setup(&t->ssl, &cfg->conf) != 0 ||
      (server_name && mbedtls_ssl_set_hostname(&t->ssl, server_name) != 0)) {
    rpc_tls_free(t);
    return NULL;
  }
  mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
  return t;
}

void rpc_tls_free(rpc_tls_t *t) {
  if (!t) return;
  mbedtls_ssl_free(&t->ssl);
  free(t);
}

/* The subject CN of the peer's certificate, for the logs. */
static void find_cn(rpc_tls_t *t) {
  const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&t->ssl);
  t->cn[0] = '\0';
  for (const mbedtls_x509_name *n = crt ? &crt->subject : NULL; n; n = n->next) {
    if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
      size_t l = n->val.len < sizeof(t->cn) - 1 ? n->val.len : sizeof(t->cn) - 1;
      memcpy(t->cn, n->val.p, l);
      t->cn[l] = '\0';
      for (size_t i = 0; i < l; i++) /* a log line stays one line */
        if ((unsigned char)t->cn[i] < 0x20 || t->cn[i] == 0x7f) t->cn[i] = '?';
    }
  }
}

/* Notes why the session failed with rc (rpc_tls_error); returns -1. */
static int failed(rpc_tls_t *t, int rc) {
  if (!rpc_tls_verify_text(t->err, sizeof(t->err), "certificate verify failed: ", &t->ssl, rc))
    mbedtls_strerror(rc, t->err, sizeof(t->err));
  return -1;
}

static void alert(rpc_tls_t *t, unsigned char what) {
  mbedtls_ssl_send_alert_message(&t->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL, what);
  t->alerted = 1;
}

/* The verdict on the client's certificate, once the handshake is done: the
 * alert goes out under the session's keys, which the client reads. */
static int check_client(rpc_tls_t *t) {
  int tls13 = mbedtls_ssl_get_version_number(&t->ssl) == MBEDTLS_SSL_VERSION_TLS1_3;
  if (!mbedtls_ssl_get_peer_cert(&t->ssl)) {
    snprintf(t->err, sizeof(t->err), "no client certificate");
    alert(t, tls13 ? MBEDTLS_SSL_ALERT_MSG_CERT_REQUIRED : MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
    return -1;
  }
  uint32_t flags = mbedtls_ssl_get_verify_result(&t->ssl);
  if (flags == 0) return 0;
  failed(t, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
  alert(t, flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED ? MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA
           : flags & MBEDTLS_X509_BADCERT_EXPIRED   ? MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED
           : flags & MBEDTLS_X509_BADCERT_REVOKED   ? MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED
                                                    : MBEDTLS_SSL_ALERT_MSG_BAD_CERT);
  return -1;
}

int rpc_tls_handshake(rpc_tls_t *t) {
  t->want_write = 0;
  int rc = mbedtls_ssl_handshake(&t->ssl);
  if (rc == 0) {
    const char *p = mbedtls_ssl_get_alpn_protocol(&t->ssl);
    /* gRPC over TLS is h2 by ALPN; a server refuses a client that offers none */
    if ((p && strcmp(p, RPC_TLS_ALPN) != 0) || (!p && t->server)) {
      snprintf(t->err, sizeof(t->err), "ALPN chose %s, not " RPC_TLS_ALPN, p ? p : "nothing");
      return -1;
    }
    if (t->require_cert && check_client(t) != 0) return -1;
    find_cn(t);
    return 0;
  }
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return RPC_TLS_AGAIN;
  return failed(t, rc);
}

ssize_t rpc_tls_read(rpc_tls_t *t, void *buf, size_t len) {
  int rc;
  /* a TLS 1.3 server may send session tickets at any time: not data */
  do
    rc = mbedtls_ssl_read(&t->ssl, buf, len);
  while (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET);
  if (rc > 0) return rc;
  if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return 0;
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return RPC_TLS_AGAIN;
  return failed(t, rc);
}

ssize_t rpc_tls_write(rpc_tls_t *t, const void *buf, size_t len) {
  t->want_write = 0;
  /* mbedtls: after WANT_*, call again with the same arguments (the record
   * is already built); more bytes may have been queued behind them since */
  if (t->wretry) len = t->wretry;
  int rc = mbedtls_ssl_write(&t->ssl, buf, len);
  if (rc >= 0) {
    t->wretry = 0;
    return rc;
  }
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
    t->wretry = len;
    return RPC_TLS_AGAIN;
  }
  return failed(t, rc);
}

void rpc_tls_refuse(rpc_tls_t *t) {
  /* mbedtls does not alert on every failure; without one a peer that cannot
   * see the close (a UART) waits it out */
  if (!t->alerted) alert(t, MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
}

int rpc_tls_wants_write(const rpc_tls_t *t) {
  return t->want_write;
}

const char *rpc_tls_peer_cn(const rpc_tls_t *t) {
  return t->cn;
}

const char *rpc_tls_error(const rpc_tls_t *t) {
  return t->err;
}
