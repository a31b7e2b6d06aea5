/* fc_tls.c - the firmware client's half of the TLS module: mbedtls 3.6 (TLS
 * 1.3 and 1.2) over a port transport, blocking. One session at a time, in
 * static contexts; on the cross boards mbedtls allocates from the arena (its
 * platform door, mk/deps/mbedtls-config-arena.h). The random generator is a
 * CTR-DRBG seeded from port_entropy(). What it shares with the host's half
 * (rpc/host/src/tls.c) is in rpc/src/tls_common.c; mbedtls's platform hooks that
 * the board's config asks for (clock, calendar) are here, over the port. */
#include "rpc_opt.h" /* first: FC_TLS_FILE_MAX, FC_TLS_RECORD_LEN */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_time.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "fc_arena.h"
#include "fc_tls.h"
#include "rpc_tls_common.h"

/* The max_fragment_length code of FC_TLS_RECORD_LEN (rpc_opt.h). */
#if FC_TLS_RECORD_LEN == 512
#define FC_TLS_MFL MBEDTLS_SSL_MAX_FRAG_LEN_512
#elif FC_TLS_RECORD_LEN == 1024
#define FC_TLS_MFL MBEDTLS_SSL_MAX_FRAG_LEN_1024
#elif FC_TLS_RECORD_LEN == 2048
#define FC_TLS_MFL MBEDTLS_SSL_MAX_FRAG_LEN_2048
#elif FC_TLS_RECORD_LEN == 4096
#define FC_TLS_MFL MBEDTLS_SSL_MAX_FRAG_LEN_4096
#else
#define FC_TLS_MFL MBEDTLS_SSL_MAX_FRAG_LEN_NONE
#endif

static struct {
  mbedtls_ssl_context ssl;
  mbedtls_ssl_config conf;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_x509_crt ca, own;
  mbedtls_pk_context key;
  port_transport_t raw; /* the transport under TLS */
  uint32_t timeout_ms;  /* the current wait of recv */
  int open;             /* a session (ssl) is live */
  int prepared;         /* conf, drbg and the credentials are loaded (prepare) */
  int psk_only;         /* this handshake offered the ticket alone (psk_ke) */
  int seeded;           /* drbg is ready */
  int got_data;         /* application bytes came: an alert is no longer the handshake's */
  int alert;            /* the fatal alert the server sent after the handshake, or -1 */
  int unreadable;       /* a record failed its MAC before any data: see tls_why */
  int verified;         /* the server's certificate was checked: a full handshake */
  int resumed;          /* the last handshake resumed a session */
  char why[160];
} s;

/* The latest session (its ticket), serialised: it outlives the connection
 * and is offered on the next one (fc_tls_opts_t.no_resume: never). */
static uint8_t ticket[FC_TLS_TICKET_MAX];
static size_t ticket_len;
static int ticket_tls13; /* the kept session is TLS 1.3's */

/* Where load reads a credential file: FC_TLS_FILE_MAX + 1 bytes taken from
 * the arena only while prepare runs (the handshake, which peaks later, gets
 * them back), rather than a static buffer that would hold them for good. */
static uint8_t *file_buf;

static int entropy(void *ctx, unsigned char *buf, size_t len) {
  (void)ctx;
  return port_entropy(buf, len) == PORT_OK ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

#if defined(MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG)
/* PSA's random numbers (TLS 1.3's key shares) on boards without mbedtls's
 * entropy collector: the session's CTR-DRBG, seeded from the port's TRNG, so
 * that a raw TRNG's bias never reaches a key. */
psa_status_t mbedtls_psa_external_get_random(mbedtls_psa_external_random_context_t *ctx,
                                             uint8_t *out, size_t len, size_t *got) {
  (void)ctx;
  if (!s.seeded) return PSA_ERROR_BAD_STATE;
  if (mbedtls_ctr_drbg_random(&s.drbg, out, len) != 0) return PSA_ERROR_INSUFFICIENT_ENTROPY;
  *got = len;
  return PSA_SUCCESS;
}
#endif

#if defined(MBEDTLS_PLATFORM_TIME_MACRO)
/* mbedtls's date (certificates' validity), from the port (boards without a
 * system clock: mk/deps/mbedtls-config-cortex-m.h). */
time_t fc_tls_time(time_t *t) {
  time_t now = (time_t)port_utc_seconds();
  if (t) *t = now;
  return now;
}
#endif

#if defined(MBEDTLS_PLATFORM_GMTIME_R_ALT)
/* mbedtls's calendar: newlib's gmtime_r, reentrant, allocates nothing (its
 * gmtime, mbedtls's fallback, would pull in stdio and malloc). */
struct tm *mbedtls_platform_gmtime_r(const mbedtls_time_t *tt, struct tm *tm_buf) {
  return gmtime_r(tt, tm_buf);
}
#endif

#if defined(MBEDTLS_PLATFORM_MS_TIME_ALT)
/* mbedtls's millisecond clock (TLS 1.3 times session tickets with it): the
 * port's, which needs no calendar. */
mbedtls_ms_time_t mbedtls_ms_time(void) {
  return (mbedtls_ms_time_t)port_time_ms();
}
#endif

static int bio_send(void *ctx, const unsigned char *buf, size_t len) {
  (void)ctx;
  int32_t n = s.raw.send(s.raw.net, buf, len);
  if (n > 0) return (int)n;
  return n == 0 ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv_timeout(void *ctx, unsigned char *buf, size_t len, uint32_t timeout) {
  (void)ctx;
  int32_t n = s.raw.recv(s.raw.net, buf, len, timeout ? timeout : 50u);
  if (n > 0) return (int)n;
  if (n == 0) return MBEDTLS_ERR_SSL_TIMEOUT;
  return n == PORT_ERR_CLOSED ? MBEDTLS_ERR_SSL_CONN_EOF : MBEDTLS_ERR_NET_RECV_FAILED;
}

/* The alert record mbedtls has just read. */
static int last_alert(void) {
  const unsigned char *m = s.ssl.MBEDTLS_PRIVATE(in_msg);
  return m ? m[1] : -1;
}

/* What a failed read after the handshake tells of a refusal (tls_why). */
static void note_failure(int rc) {
  if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) s.alert = last_alert();
  if (rc == MBEDTLS_ERR_SSL_INVALID_MAC && !s.got_data) s.unreadable = 1;
}

/* Keeps the session the server has just given (a TLS 1.3 ticket, or the
 * TLS 1.2 session after its handshake) for the next connection. */
static void keep_session(void) {
  mbedtls_ssl_session sess;
  size_t n = 0;
  mbedtls_ssl_session_init(&sess);
  if (mbedtls_ssl_get_session(&s.ssl, &sess) == 0 &&
      mbedtls_ssl_session_save(&sess, ticket, sizeof(ticket), &n) == 0) {
    ticket_len = n;
    ticket_tls13 = mbedtls_ssl_get_version_number(&s.ssl) == MBEDTLS_SSL_VERSION_TLS1_3;
  }
  mbedtls_ssl_session_free(&sess);
}

/* Offers the kept session: the server resumes it or makes a full handshake. */
static void offer_session(void) {
  mbedtls_ssl_session sess;
  mbedtls_ssl_session_init(&sess);
  if (mbedtls_ssl_session_load(&sess, ticket, ticket_len) != 0 ||
      mbedtls_ssl_set_session(&s.ssl, &sess) != 0)
    ticket_len = 0; /* unusable (another build's, or expired): forget it */
  mbedtls_ssl_session_free(&sess);
}

/* Runs for each certificate checked, which a resumed handshake never does:
 * that is how a full handshake is told from a resumed one. */
static int on_verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags) {
  (void)ctx, (void)crt, (void)depth, (void)flags;
  s.verified = 1;
  return 0;
}

/* The TLS transport handed to the pump. */
static int32_t tls_send(port_net_t *net, const uint8_t *buf, size_t len) {
  (void)net;
  int rc = mbedtls_ssl_write(&s.ssl, buf, len);
  if (rc >= 0) return rc;
  if (rc == MBEDTLS_ERR_SSL_WANT_WRITE || rc == MBEDTLS_ERR_SSL_WANT_READ) return 0;
  /* a server that refuses the device alerts, then closes, which can fail
   * this write before the alert is read: look for it, behind whatever the
   * server sent before it */
  uint8_t b[64];
  mbedtls_ssl_conf_read_timeout(&s.conf, 100);
  for (int i = 0; i < 8 && s.alert < 0; i++) {
    rc = mbedtls_ssl_read(&s.ssl, b, sizeof(b));
    note_failure(rc);
    if (rc <= 0 && rc != MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) break;
  }
  return PORT_ERR_IO;
}

static int32_t tls_recv(port_net_t *net, uint8_t *buf, size_t len, uint32_t timeout_ms) {
  (void)net;
  mbedtls_ssl_conf_read_timeout(&s.conf, timeout_ms ? timeout_ms : 1u);
  int rc = mbedtls_ssl_read(&s.ssl, buf, len);
  if (rc > 0) {
    s.got_data = 1;
    return rc;
  }
  if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
    keep_session();
    return 0;
  }
  if (rc == MBEDTLS_ERR_SSL_TIMEOUT || rc == MBEDTLS_ERR_SSL_WANT_READ) return 0;
  if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_SSL_CONN_EOF)
    return PORT_ERR_CLOSED;
  note_failure(rc);
  return PORT_ERR_IO;
}

/* Reads a file for mbedtls: PEM needs its terminating NUL counted. */
static long load(const char *path, char *err, size_t errlen) {
  long n = port_file_read(path, file_buf, FC_TLS_FILE_MAX);
  if (n < 0) {
    snprintf(err, errlen, "cannot read %s: %s", path,
             n == PORT_ERR_ARG ? "larger than the board's buffer" : "no such file");
    return -1;
  }
  file_buf[n] = '\0';
  return strstr((const char *)file_buf, "-----BEGIN") ? n + 1 : n;
}

/* Ends the connection's session; the credentials stay (prepare). */
static void release(void) {
  if (s.open) mbedtls_ssl_free(&s.ssl);
  s.open = 0;
}

void fc_tls_unload(void) {
  release();
  if (!s.prepared) return;
  mbedtls_ssl_config_free(&s.conf);
  mbedtls_ctr_drbg_free(&s.drbg);
  mbedtls_x509_crt_free(&s.ca);
  mbedtls_x509_crt_free(&s.own);
  mbedtls_pk_free(&s.key);
  s.prepared = 0;
  s.seeded = 0;
}

/* The configuration and the device's credentials, parsed once for every
 * connection of the channel: a board reads and parses them at start, not
 * inside a call's deadline, and a reconnect does not parse them again. */
static int prepare_with_buf(const fc_tls_opts_t *o, char *err, size_t errlen) {
  long n;
  int rc;
  mbedtls_ssl_config_init(&s.conf);
  mbedtls_ctr_drbg_init(&s.drbg);
  mbedtls_x509_crt_init(&s.ca);
  mbedtls_x509_crt_init(&s.own);
  mbedtls_pk_init(&s.key);
  s.prepared = 1;
  if (rpc_tls_setup(&s.conf, MBEDTLS_SSL_IS_CLIENT, rpc_tls_device_suites, &s.drbg, entropy, NULL,
                    err, errlen) != 0)
    return -1;
  s.seeded = 1;
  if (o->version == FC_TLS_1_3)
    mbedtls_ssl_conf_min_tls_version(&s.conf, MBEDTLS_SSL_VERSION_TLS1_3);
  if (o->version == FC_TLS_1_2)
    mbedtls_ssl_conf_max_tls_version(&s.conf, MBEDTLS_SSL_VERSION_TLS1_2);
  if ((n = load(o->ca, err, errlen)) < 0) return -1;
  if ((rc = mbedtls_x509_crt_parse(&s.ca, file_buf, (size_t)n))) {
    rpc_tls_say(err, errlen, "bad CA certificate", o->ca, rc);
    return -1;
  }
  if (o->cert && o->key) {
    if ((n = load(o->cert, err, errlen)) < 0) return -1;
    if ((rc = mbedtls_x509_crt_parse(&s.own, file_buf, (size_t)n))) {
      rpc_tls_say(err, errlen, "bad certificate", o->cert, rc);
      return -1;
    }
    if ((n = load(o->key, err, errlen)) < 0) return -1;
    rc = mbedtls_pk_parse_key(&s.key, file_buf, (size_t)n, NULL, 0, mbedtls_ctr_drbg_random,
                              &s.drbg);
    memset(file_buf, 0, FC_TLS_FILE_MAX + 1); /* no key bytes left behind */
    if (rc) {
      rpc_tls_say(err, errlen, "bad key", o->key, rc);
      return -1;
    }
  }
  mbedtls_ssl_conf_ca_chain(&s.conf, &s.ca, NULL);
  mbedtls_ssl_conf_verify(&s.conf, on_verify, NULL);
#if defined(MBEDTLS_SSL_SESSION_TICKETS)
  mbedtls_ssl_conf_session_tickets(&s.conf, o->no_resume ? MBEDTLS_SSL_SESSION_TICKETS_DISABLED
                                                         : MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
  /* tell us of each ticket (keep_session) */
  mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
      &s.conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
#endif
#endif
#if defined(MBEDTLS_SSL_MAX_FRAGMENT_LENGTH)
  /* refused when the record buffers are smaller than the fragment asked for */
  if ((rc = mbedtls_ssl_conf_max_frag_len(&s.conf, FC_TLS_MFL))) {
    rpc_tls_say(err, errlen, "FC_TLS_RECORD_LEN does not fit the record buffers", NULL, rc);
    return -1;
  }
#endif
  if (o->cert && o->key && (rc = mbedtls_ssl_conf_own_cert(&s.conf, &s.own, &s.key))) {
    rpc_tls_say(err, errlen, "certificate and key do not match", NULL, rc);
    return -1;
  }
  return 0;
}

static int prepare(const fc_tls_opts_t *o, char *err, size_t errlen) {
  int rc;
  file_buf = fc_arena_malloc(FC_TLS_FILE_MAX + 1);
  if (!file_buf) {
    snprintf(err, errlen, "no memory left to read %s", o->ca);
    return -1;
  }
  rc = prepare_with_buf(o, err, errlen);
  fc_arena_free(file_buf);
  file_buf = NULL;
  return rc;
}

int fc_tls_prepare(const fc_tls_opts_t *o, char *err, size_t errlen) {
  if (s.prepared) return 0;
  if (prepare(o, err, errlen) == 0) return 0;
  fc_tls_unload();
  return -1;
}

/* TLS 1.3's key exchange modes for this handshake. An mbedtls server
 * prefers a full handshake (certificate mode) to psk_ke whenever the client
 * also offers a key share, so psk_ke is offered alone, without one: the
 * server resumes, or refuses and the channel dials again for a full
 * handshake (FC_TLS_RETRY_FULL). psk_dhe_ke goes with the full handshake's
 * modes in one ClientHello. */
static void choose_modes(const fc_tls_opts_t *o) {
#if defined(MBEDTLS_SSL_PROTO_TLS1_3) && defined(MBEDTLS_SSL_SESSION_TICKETS)
  int dhe = o->resume == FC_TLS_RESUME_PSK_DHE || (o->resume == 0 && FC_TLS_RESUME_DHE);
  s.psk_only = !dhe && s.psk_only;
  mbedtls_ssl_conf_tls13_key_exchange_modes(
      &s.conf, s.psk_only ? MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK
                          : MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL |
                                (dhe ? MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL
                                     : MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK));
#else
  (void)o;
  s.psk_only = 0;
#endif
}

/* A session for this connection, offering the kept ticket. */
static int setup(const fc_tls_opts_t *o, char *err, size_t errlen) {
  int rc;
  s.got_data = 0;
  s.alert = -1;
  s.unreadable = 0;
  s.verified = 0;
  s.resumed = 0;
  s.psk_only = 0;
#if defined(MBEDTLS_SSL_SESSION_TICKETS)
  /* only a TLS 1.3 session can be offered alone (TLS 1.2 resumes otherwise) */
  s.psk_only = !o->no_resume && ticket_len && ticket_tls13;
#endif
  choose_modes(o);
  mbedtls_ssl_init(&s.ssl);
  s.open = 1;
  if ((rc = mbedtls_ssl_setup(&s.ssl, &s.conf)) ||
      (rc = mbedtls_ssl_set_hostname(&s.ssl, o->server_name))) {
    rpc_tls_say(err, errlen, "tls setup", NULL, rc);
    return -1;
  }
  mbedtls_ssl_set_bio(&s.ssl, NULL, bio_send, NULL, bio_recv_timeout);
#if defined(MBEDTLS_SSL_SESSION_TICKETS)
  if (!o->no_resume && ticket_len) offer_session();
#endif
  return 0;
}

/* The gateway judges a device's certificate once the handshake is over (in
 * TLS 1.3 the client's side of it ends before the server has seen the
 * certificate anyway): a refused device hears of it at its first read,
 * before any byte of HTTP/2. That is still the handshake failing, and says
 * so. */
static const char *tls_why(port_net_t *net, int32_t err) {
  (void)net;
  (void)err;
  if (s.alert < 0 && s.unreadable) /* see docs/design.md, "TLS 1.3" */
    return "connection error: authentication handshake failed: the server refused the "
           "handshake (unreadable alert)";
  if (s.alert < 0) return NULL;
  rpc_tls_alert_text(s.why, sizeof(s.why),
                     s.got_data ? "connection error: "
                                : "connection error: authentication handshake failed: ",
                     s.alert);
  return s.why;
}

/* Reads a plaintext fatal alert record waiting on the raw transport, if any:
 * 0x15, version, length 2, level 2, description. Returns the description. */
static int pending_alert(void) {
  uint8_t r[7];
  size_t got = 0;
  while (got < sizeof(r)) {
    int32_t n = s.raw.recv(s.raw.net, r + got, sizeof(r) - got, 100);
    if (n <= 0) break;
    got += (size_t)n;
  }
  if (got == sizeof(r) && r[0] == 0x15 && r[1] == 3 && r[3] == 0 && r[4] == 2 && r[5] == 2)
    return r[6];
  return -1;
}

/* Why the handshake failed with rc, in err. */
static void handshake_failed(int rc, char *err, size_t errlen) {
  int alert = -1;
  if (rpc_tls_verify_text(err, errlen, "authentication handshake failed: x509: ", &s.ssl, rc))
    return;
  if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
    alert = last_alert();
  } else if (rc == MBEDTLS_ERR_SSL_CONN_EOF || rc == MBEDTLS_ERR_NET_RECV_FAILED ||
             rc == MBEDTLS_ERR_NET_SEND_FAILED) {
    /* what a server does to a device it does not accept: an alert, then the
     * close, which can fail our next send before we read the alert */
    if ((alert = pending_alert()) < 0) {
      snprintf(err, errlen, "authentication handshake failed: the server closed the connection");
      return;
    }
  } else {
    rpc_tls_say(err, errlen, "authentication handshake failed", NULL, rc);
    return;
  }
  rpc_tls_alert_text(err, errlen, "authentication handshake failed: ", alert);
}

int fc_tls_open(port_transport_t *t, const fc_tls_opts_t *o, uint32_t timeout_ms, char *err,
                size_t errlen) {
  if (s.open) release();
  s.raw = *t;
  if (fc_tls_prepare(o, err, errlen) != 0) return -1;
  if (setup(o, err, errlen) != 0) {
    release();
    return -1;
  }
  uint32_t start = port_time_ms();
  int rc;
  for (;;) {
    uint32_t spent = port_time_ms() - start;
    if (timeout_ms && spent >= timeout_ms) {
      snprintf(err, errlen, "authentication handshake failed: timed out");
      release();
      return -1;
    }
    mbedtls_ssl_conf_read_timeout(&s.conf, timeout_ms ? timeout_ms - spent : 0);
    rc = mbedtls_ssl_handshake(&s.ssl);
    if (rc == 0) break;
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE ||
        rc == MBEDTLS_ERR_SSL_TIMEOUT)
      continue;
    handshake_failed(rc, err, errlen);
    release();
    if (s.psk_only) { /* the ticket alone was refused: forget it, dial again */
      ticket_len = 0;
      return FC_TLS_RETRY_FULL;
    }
    return -1;
  }
  s.resumed = !s.verified;
#if defined(MBEDTLS_SSL_SESSION_TICKETS)
  /* TLS 1.2's ticket came in the handshake; TLS 1.3's come after it */
  if (!o->no_resume && mbedtls_ssl_get_version_number(&s.ssl) == MBEDTLS_SSL_VERSION_TLS1_2)
    keep_session();
#endif
  t->net = NULL;
  t->send = tls_send;
  t->recv = tls_recv;
  t->why = tls_why;
  return 0;
}

int fc_tls_resumed(void) {
  return s.resumed;
}

void fc_tls_close(port_transport_t *t) {
  if (!s.open) return;
  mbedtls_ssl_close_notify(&s.ssl);
  *t = s.raw;
  release();
}
