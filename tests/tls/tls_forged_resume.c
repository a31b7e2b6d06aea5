/*
 * tls_forged_resume.c - an attacker's client for test_tls_forged_resume.sh.
 * A device makes a full mutual-TLS 1.3 handshake and is given a session
 * ticket. The attacker then offers only what travels in clear, that
 * ticket, with a wrong ticket age and without the resumption key it never
 * saw, and no certificate. The server must not take that for a
 * resumption: mbedtls sets the ticket aside (its age) and makes a full
 * handshake, where an empty certificate has to be refused.
 *
 *   tls_forged_resume PORT CERT_DIR
 *
 * Exit 0: the attacker was refused. 1: it got a session. 2: the test could
 * not run (the device's own handshake or its ticket failed).
 */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS /* the saved session's age and key */
#include <stdio.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <psa/crypto.h>

static const char *alpn[] = {"h2", NULL};
static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;
static mbedtls_x509_crt ca, own;
static mbedtls_pk_context key;

static int config(mbedtls_ssl_config *c, int with_cert) {
  mbedtls_ssl_config_init(c);
  if (mbedtls_ssl_config_defaults(c, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                  MBEDTLS_SSL_PRESET_DEFAULT) != 0)
    return -1;
  mbedtls_ssl_conf_rng(c, mbedtls_ctr_drbg_random, &drbg);
  mbedtls_ssl_conf_ca_chain(c, &ca, NULL);
  mbedtls_ssl_conf_authmode(c, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_alpn_protocols(c, alpn);
  mbedtls_ssl_conf_min_tls_version(c, MBEDTLS_SSL_VERSION_TLS1_3);
  mbedtls_ssl_conf_max_tls_version(c, MBEDTLS_SSL_VERSION_TLS1_3);
  mbedtls_ssl_conf_session_tickets(c, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
  /* mbedtls_ssl_read says when a ticket came */
  mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
      c, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
  mbedtls_ssl_conf_tls13_key_exchange_modes(c, MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_ALL);
  mbedtls_ssl_conf_read_timeout(c, 2000);
  return with_cert ? mbedtls_ssl_conf_own_cert(c, &own, &key) : 0;
}

/* One handshake with conf (and session, when not NULL); 0 when it made a
 * session. With ticket, waits for a NewSessionTicket and saves it; without,
 * reads what the server says first: its HTTP/2 SETTINGS when it took the
 * connection, an alert when it did not (in TLS 1.3 the client's handshake
 * is over before the server's verdict). */
static int connect_once(const char *port, mbedtls_ssl_config *conf, mbedtls_ssl_session *resume,
                        mbedtls_ssl_session *ticket) {
  mbedtls_net_context fd;
  mbedtls_ssl_context s;
  mbedtls_net_init(&fd);
  mbedtls_ssl_init(&s);
  int rc = mbedtls_net_connect(&fd, "127.0.0.1", port, MBEDTLS_NET_PROTO_TCP);
  if (!rc) rc = mbedtls_ssl_setup(&s, conf);
  if (!rc) rc = mbedtls_ssl_set_hostname(&s, "localhost");
  mbedtls_ssl_set_bio(&s, &fd, mbedtls_net_send, mbedtls_net_recv, mbedtls_net_recv_timeout);
  if (!rc && resume) rc = mbedtls_ssl_set_session(&s, resume);
  if (!rc) rc = mbedtls_ssl_handshake(&s);
  unsigned char buf[256];
  if (!rc && ticket) { /* the ticket comes after the handshake, with the first read */
    rc = -1;
    for (int i = 0; i < 5 && rc != 0; i++)
      if (mbedtls_ssl_read(&s, buf, sizeof(buf)) == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
        rc = mbedtls_ssl_get_session(&s, ticket);
  } else if (!rc) {
    int n = MBEDTLS_ERR_SSL_WANT_READ; /* a ticket, or a record that was not data: again */
    for (int i = 0; i < 20 && (n == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET ||
                               n == MBEDTLS_ERR_SSL_WANT_READ);
         i++)
      n = mbedtls_ssl_read(&s, buf, sizeof(buf));
    rc = n > 0 ? 0 : n ? n : -1; /* bytes: it was served */
  }
  mbedtls_ssl_close_notify(&s);
  mbedtls_ssl_free(&s);
  mbedtls_net_free(&fd);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: tls_forged_resume PORT CERT_DIR\n");
    return 2;
  }
  char path[512];
  psa_crypto_init();
  mbedtls_entropy_init(&entropy);
  mbedtls_ctr_drbg_init(&drbg);
  mbedtls_x509_crt_init(&ca);
  mbedtls_x509_crt_init(&own);
  mbedtls_pk_init(&key);
  int bad = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0) != 0;
  snprintf(path, sizeof(path), "%s/ca.pem", argv[2]);
  bad = bad || mbedtls_x509_crt_parse_file(&ca, path) != 0;
  snprintf(path, sizeof(path), "%s/device.pem", argv[2]);
  bad = bad || mbedtls_x509_crt_parse_file(&own, path) != 0;
  snprintf(path, sizeof(path), "%s/device.key", argv[2]);
  bad = bad || mbedtls_pk_parse_keyfile(&key, path, NULL, mbedtls_ctr_drbg_random, &drbg) != 0;
  mbedtls_ssl_config device, attacker;
  bad = bad || config(&device, 1) != 0 || config(&attacker, 0) != 0;
  mbedtls_ssl_session ticket;
  mbedtls_ssl_session_init(&ticket);
  if (bad || connect_once(argv[1], &device, NULL, &ticket) != 0) {
    fprintf(stderr, "tls_forged_resume: the device's own handshake or ticket failed\n");
    return 2;
  }
  printf("device: full handshake, ticket of %zu bytes\n", ticket.ticket_len);
  /* what the attacker has: the ticket's bytes, not their keys or age */
  ticket.ticket_age_add ^= 0x5a5a5a5a;
  memset(ticket.resumption_key, 0, sizeof(ticket.resumption_key));
  int rc = connect_once(argv[1], &attacker, &ticket, NULL);
  printf("attacker, no certificate: %s (%d)\n", rc ? "refused" : "GOT A SESSION", rc);
  mbedtls_ssl_session_free(&ticket);
  mbedtls_ssl_config_free(&device);
  mbedtls_ssl_config_free(&attacker);
  mbedtls_x509_crt_free(&ca);
  mbedtls_x509_crt_free(&own);
  mbedtls_pk_free(&key);
  mbedtls_ctr_drbg_free(&drbg);
  mbedtls_entropy_free(&entropy);
  mbedtls_psa_crypto_free();
  return rc ? 0 : 1;
}
