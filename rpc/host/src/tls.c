/* tls.c - the host's half of the TLS module: mbedtls under the server's and
 * the channel's connections, one configuration per listener or channel, one
 * session per connection, the non-blocking socket as the BIO. What it shares
 * with the firmware client's half (fc_tls.c) is in tls_common.c. */
/* rpc_tls_trim and release_handshake read the state of the record buffers
 * and of the handshake, and crl_signed_by a CRL's signature, which mbedtls
 * keeps private: they name it through MBEDTLS_PRIVATE and nothing else
 * does. */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "rpc_tls.h"
#include "rpc_stats.h"
#include "rpc_tls_common.h"

/* A server's session ticket keys, shared by the configurations that a
 * reload makes from one another (rpc_tls_server_share_tickets), so that a
 * reload costs no device a full handshake; with its own generator, which
 * renews mbedtls's random keys. */
typedef struct tls_tickets {
  int refs;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_ssl_ticket_context ctx; /* mbedtls's sealed session state */
  mbedtls_gcm_context seal;       /* seals our trailer: the device's identity */
} tls_tickets_t;

/* A CRL of the chain, its entries sorted by serial (crl_lists): a reload
 * looks up every open connection's device, and a fleet's CRL may list
 * thousands: walking mbedtls's list of 10,000 entries for 16,700 devices
 * took 0.7 s of the loop. */
typedef struct crl_index {
  const mbedtls_x509_crl *crl;
  unsigned char issuer[16]; /* issuer_hash of its issuer */
  const mbedtls_x509_crl_entry **by_serial;
  size_t n;
} crl_index_t;

struct rpc_tls_cfg {
  mbedtls_ssl_config conf;
  /* the listener's, and one per session made from it (rpc_tls_new): a
   * reloaded configuration lives on while its connections do */
  int refs;
  int require_cert; /* a server that wants client certificates */
  mbedtls_x509_crt ca, own;
  mbedtls_x509_crl crl; /* checked against client certificates and tickets */
  int have_crl;
  crl_index_t *crls; /* one a CRL of crl, for crl_lists */
  size_t ncrls;
  mbedtls_pk_context key;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  tls_tickets_t *tickets; /* NULL: none issued */
  /* a client that resumes (rpc_tls_client_resume): the latest session one
   * of its connections was given, offered by the next */
  int resume, have_saved;
  mbedtls_ssl_session saved;
};

#define ERR_MAX 200 /* an error's text (rpc_tls_error), cut beyond */

struct rpc_tls {
  mbedtls_ssl_context ssl;
  rpc_tls_cfg_t *cfg;
  int fd;
  int server;
  int require_cert;
  int alerted; /* a fatal alert went out: rpc_tls_refuse has nothing to add */
  int want_write;
  size_t wretry; /* length of a write mbedtls must be given again */
  char cn[128];  /* the device's: its certificate's, or its ticket's */
  /* and its certificate's serial and issuer (a hash), which a ticket
   * carries so that a resumption is checked against the CRL */
  unsigned char serial[32], serial_len, issuer[16];
  int64_t not_after, verified_at; /* the certificate's end; when it was checked */
  int ticket_revoked;             /* the ticket offered was a revoked device's */
  char *err;                      /* what went wrong, ERR_MAX bytes, allocated when it does */
  int last_rc;                    /* mbedtls's code for it, for rpc_tls_fail_reason */
  /* what the handshake saw, for the session ticket callbacks */
  int leaf_seen;    /* a client certificate came in this handshake */
  int from_ticket;  /* one of our tickets was accepted; a client's: offered */
  int ticket_flags; /* that ticket's TICKET_VERIFIED */
  int resumed;
  int trimmed; /* rpc_tls_trim gave the record buffers back */
  /* what they held that matters, the inbound record counter (wake) */
  unsigned char in_ctr[8];
};

/* mbedtls's own functions for freeing a handshake's state and a transform
 * (release_handshake), not in its public headers. */
void mbedtls_ssl_handshake_free(mbedtls_ssl_context *ssl);
void mbedtls_ssl_transform_free(mbedtls_ssl_transform *transform);

/* A record buffer's size in whole pages: a buffer is 16 KiB
 * and a few hundred bytes, and the page those spill into would otherwise
 * be shared with other allocations, never given back. */
static size_t page_round(size_t len) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  return (len + page - 1) & ~(page - 1);
}

/* mbedtls's allocator here (MBEDTLS_PLATFORM_MEMORY,
 * mk/deps/mbedtls-config-linux.h): the C library's, with the record buffers
 * (16 KiB and more) in whole pages of their own, so that rpc_tls_trim can
 * give every page back. */
static void *tls_calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  size_t len = n * size;
  if (len < MBEDTLS_SSL_IN_CONTENT_LEN) return calloc(n, size);
  void *p;
  len = page_round(len);
  if (posix_memalign(&p, (size_t)sysconf(_SC_PAGESIZE), len) != 0) return NULL;
  return memset(p, 0, len);
}

static rpc_tls_cfg_t *cfg_new(int endpoint, char *err, size_t errlen) {
  rpc_tls_cfg_t *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->refs = 1;
  /* before the first session; what was allocated before is freed by free
   * all the same */
  mbedtls_platform_set_calloc_free(tls_calloc, free);
  mbedtls_ssl_config_init(&c->conf);
  mbedtls_x509_crt_init(&c->ca);
  mbedtls_x509_crt_init(&c->own);
  mbedtls_x509_crl_init(&c->crl);
  mbedtls_pk_init(&c->key);
  mbedtls_entropy_init(&c->entropy);
  mbedtls_ctr_drbg_init(&c->drbg);
  mbedtls_ssl_session_init(&c->saved);
  if (rpc_tls_setup(&c->conf, endpoint, rpc_tls_suites, &c->drbg, mbedtls_entropy_func, &c->entropy,
                    err, errlen) != 0) {
    rpc_tls_cfg_free(c);
    return NULL;
  }
  return c;
}

static int is_server(const rpc_tls_cfg_t *c) {
  return c && mbedtls_ssl_conf_get_endpoint(&c->conf) == MBEDTLS_SSL_IS_SERVER;
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
  /* mbedtls_ssl_conf_own_cert takes any key: a mismatch would fail every
   * handshake, not the start or the reload */
  rc = mbedtls_pk_check_pair(&c->own.pk, &c->key, mbedtls_ctr_drbg_random, &c->drbg);
  if (!rc) rc = mbedtls_ssl_conf_own_cert(&c->conf, &c->own, &c->key);
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

/* Compares two DER names. */
static int same_name(const mbedtls_x509_buf *a, const mbedtls_x509_buf *b) {
  return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static void issuer_hash(const mbedtls_x509_buf *raw, unsigned char out[16]);

/* Orders serials as crl_lists looks them up: by length, then bytes. */
static int serial_cmp(const mbedtls_x509_buf *a, const unsigned char *s, size_t len) {
  if (a->len != len) return a->len < len ? -1 : 1;
  return memcmp(a->p, s, len);
}

static int entry_cmp(const void *x, const void *y) {
  const mbedtls_x509_crl_entry *a = *(const mbedtls_x509_crl_entry *const *)x;
  const mbedtls_x509_crl_entry *b = *(const mbedtls_x509_crl_entry *const *)y;
  return serial_cmp(&a->serial, b->serial.p, b->serial.len);
}

static void crl_index_free(rpc_tls_cfg_t *c) {
  for (size_t i = 0; i < c->ncrls; i++)
    free(c->crls[i].by_serial);
  free(c->crls);
  c->crls = NULL;
  c->ncrls = 0;
}

static int crl_index_build(rpc_tls_cfg_t *c) {
  size_t n = 0;
  for (const mbedtls_x509_crl *l = &c->crl; l && l->version; l = l->next)
    n++;
  if (!(c->crls = calloc(n ? n : 1, sizeof(*c->crls)))) return -1;
  for (const mbedtls_x509_crl *l = &c->crl; l && l->version; l = l->next) {
    crl_index_t *x = &c->crls[c->ncrls++];
    x->crl = l;
    issuer_hash(&l->issuer_raw, x->issuer);
    size_t m = 0;
    for (const mbedtls_x509_crl_entry *e = &l->entry; e && e->serial.len; e = e->next)
      m++;
    if (!(x->by_serial = malloc((m ? m : 1) * sizeof(*x->by_serial)))) return -1;
    for (const mbedtls_x509_crl_entry *e = &l->entry; e && e->serial.len; e = e->next)
      x->by_serial[x->n++] = e;
    qsort(x->by_serial, x->n, sizeof(*x->by_serial), entry_cmp);
  }
  return 0;
}

/* As mbedtls checks a CRL at a handshake: its TBS hashed, the signature
 * verified with the CA's key. */
static int crl_signed_by(const mbedtls_x509_crl *l, mbedtls_x509_crt *ca) {
  const mbedtls_md_info_t *md = mbedtls_md_info_from_type(l->MBEDTLS_PRIVATE(sig_md));
  unsigned char hash[MBEDTLS_MD_MAX_SIZE];
  if (!md || mbedtls_md(md, l->tbs.p, l->tbs.len, hash) != 0) return 0;
  return mbedtls_pk_verify_ext(l->MBEDTLS_PRIVATE(sig_pk), l->MBEDTLS_PRIVATE(sig_opts), &ca->pk,
                               l->MBEDTLS_PRIVATE(sig_md), hash, mbedtls_md_get_size(md),
                               l->MBEDTLS_PRIVATE(sig).p, l->MBEDTLS_PRIVATE(sig).len) == 0;
}

int rpc_tls_server_crl(rpc_tls_cfg_t *c, const char *path, char *err, size_t errlen) {
  if (!is_server(c) || !c->require_cert) {
    snprintf(err, errlen, "CRL %s: needs a client CA", path);
    return -1;
  }
  crl_index_free(c);
  mbedtls_x509_crl_free(&c->crl);
  mbedtls_x509_crl_init(&c->crl);
  c->have_crl = 0;
  int rc = mbedtls_x509_crl_parse_file(&c->crl, path);
  if (rc) {
    rpc_tls_say(err, errlen, "cannot load CRL", path, rc);
    return -1;
  }
  /* mbedtls applies a CRL to the CA that issued it and quietly ignores
   * one of another CA, and refuses every device of the CA once a CRL is
   * past its next update or its signature fails: all are said now, not
   * found out from the fleet (nor used to close open connections) */
  for (const mbedtls_x509_crl *l = &c->crl; l && l->version; l = l->next) {
    int named = 0, signed_ok = 0;
    for (mbedtls_x509_crt *ca = &c->ca; ca && ca->version && !signed_ok; ca = ca->next) {
      if (!same_name(&ca->subject_raw, &l->issuer_raw)) continue;
      named = 1; /* a renewed CA may share its name with the old one */
      signed_ok = crl_signed_by(l, ca);
    }
    if (!named) {
      snprintf(err, errlen, "CRL %s: not issued by a client CA", path);
      return -1;
    }
    if (!signed_ok) {
      snprintf(err, errlen, "CRL %s: its signature does not verify with its client CA's key", path);
      return -1;
    }
    if (mbedtls_x509_time_is_past(&l->next_update)) {
      snprintf(err, errlen, "CRL %s: expired (next update %04d-%02d-%02d %02d:%02d)", path,
               l->next_update.year, l->next_update.mon, l->next_update.day, l->next_update.hour,
               l->next_update.min);
      return -1;
    }
    if (mbedtls_x509_time_is_future(&l->this_update)) { /* mbedtls: BADCRL_FUTURE, every device */
      snprintf(err, errlen, "CRL %s: not valid yet (this update %04d-%02d-%02d %02d:%02d)", path,
               l->this_update.year, l->this_update.mon, l->this_update.day, l->this_update.hour,
               l->this_update.min);
      return -1;
    }
  }
  if (crl_index_build(c) != 0) {
    crl_index_free(c);
    snprintf(err, errlen, "CRL %s: out of memory", path);
    return -1;
  }
  mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, &c->crl);
  c->have_crl = 1;
  return 0;
}

/* The serial's bytes in hex, as openssl prints them ("serial=..."). */
static void hex_of(const unsigned char *p, size_t n, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n && o + 3 <= cap; i++, o += 2)
    snprintf(out + o, 3, "%02X", p[i]);
  if (cap) out[o < cap ? o : cap - 1] = '\0';
}

int rpc_tls_cfg_describe(const rpc_tls_cfg_t *c, char *buf, size_t cap) {
  char serial[65] = "";
  const mbedtls_x509_crt *own = &c->own;
  if (own->version) hex_of(own->serial.p, own->serial.len, serial, sizeof(serial));
  size_t revoked = 0;
  for (const mbedtls_x509_crl *l = c->have_crl ? &c->crl : NULL; l && l->version; l = l->next)
    for (const mbedtls_x509_crl_entry *e = &l->entry; e && e->serial.len; e = e->next)
      revoked++;
  int k = snprintf(buf, cap, "certificate serial %s until %04d-%02d-%02d", serial,
                   own->valid_to.year, own->valid_to.mon, own->valid_to.day);
  if (c->require_cert && k >= 0 && (size_t)k < cap)
    k += snprintf(buf + k, cap - (size_t)k, ", client CA");
  if (c->have_crl && k >= 0 && (size_t)k < cap)
    snprintf(buf + k, cap - (size_t)k, ", CRL with %zu revoked", revoked);
  return 0;
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

int rpc_tls_client_resume(rpc_tls_cfg_t *c) {
  if (mbedtls_ssl_conf_get_endpoint(&c->conf) != MBEDTLS_SSL_IS_CLIENT) return -1;
  c->resume = 1;
  mbedtls_ssl_conf_session_tickets(&c->conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
  /* TLS 1.3's tickets come after the handshake: rpc_tls_read keeps them */
  mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
      &c->conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
  /* psk_dhe_ke beside the full handshake's key share, in one ClientHello:
   * forward secrecy, and a server that turns the ticket down answers the
   * same hello with a full handshake */
  mbedtls_ssl_conf_tls13_key_exchange_modes(&c->conf,
                                            MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL |
                                                MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL);
  return 0;
}

/* A resuming client keeps the session its server just gave: a TLS 1.3
 * ticket, or the TLS 1.2 session (its ticket came in the handshake). */
static void keep_session(rpc_tls_t *t) {
  rpc_tls_cfg_t *c = t->cfg;
  if (!c->resume) return;
  mbedtls_ssl_session s;
  mbedtls_ssl_session_init(&s);
  if (mbedtls_ssl_get_session(&t->ssl, &s) != 0) {
    mbedtls_ssl_session_free(&s);
    return;
  }
  mbedtls_ssl_session_free(&c->saved);
  c->saved = s; /* moved: s is not freed */
  c->have_saved = 1;
}

static void tickets_release(tls_tickets_t *k) {
  if (!k || --k->refs > 0) return;
  mbedtls_ssl_ticket_free(&k->ctx);
  mbedtls_gcm_free(&k->seal);
  mbedtls_ctr_drbg_free(&k->drbg);
  mbedtls_entropy_free(&k->entropy);
  free(k);
}

rpc_tls_cfg_t *rpc_tls_cfg_ref(rpc_tls_cfg_t *c) {
  if (c) c->refs++;
  return c;
}

void rpc_tls_cfg_free(rpc_tls_cfg_t *c) {
  if (!c || --c->refs > 0) return;
  mbedtls_ssl_config_free(&c->conf);
  mbedtls_x509_crt_free(&c->ca);
  mbedtls_x509_crt_free(&c->own);
  crl_index_free(c);
  mbedtls_x509_crl_free(&c->crl);
  mbedtls_pk_free(&c->key);
  tickets_release(c->tickets);
  mbedtls_ssl_session_free(&c->saved);
  mbedtls_ctr_drbg_free(&c->drbg);
  mbedtls_entropy_free(&c->entropy);
  free(c);
}

/* The subject CN of crt (NULL: none) into cn[128], for the logs. */
static void cn_of(const mbedtls_x509_crt *crt, char *cn) {
  cn[0] = '\0';
  for (const mbedtls_x509_name *n = crt ? &crt->subject : NULL; n; n = n->next) {
    if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
      size_t l = n->val.len < 127 ? n->val.len : 127;
      memcpy(cn, n->val.p, l);
      cn[l] = '\0';
      for (size_t i = 0; i < l; i++) /* a log line stays one line */
        if ((unsigned char)cn[i] < 0x20 || cn[i] == 0x7f) cn[i] = '?';
    }
  }
}

static void find_cn(rpc_tls_t *t) {
  cn_of(mbedtls_ssl_get_peer_cert(&t->ssl), t->cn);
}

/*
 * Session tickets. mbedtls seals the session state (mbedtls_ssl_ticket_*);
 * its TLS 1.3 server state has no peer certificate, so the device's
 * identity travels in a trailer that we seal with AES-256-GCM, the whole
 * mbedtls ticket as additional data, so that it cannot be moved to another
 * ticket:
 *
 *   mbedtls ticket | nonce (12) | sealed [3, flags, CN length, CN...,
 *   serial length, serial..., issuer (16), not after (8), verified at (8)]
 *   (n) | tag (16) | n (1)
 *
 * The serial and a hash of the issuer (the first 16 bytes of SHA-256 over
 * its DER name) are what a resumption is checked against the CRL and the
 * client CAs of the day with. "Not after" is the certificate's end, and
 * "verified at" the time of the full handshake that checked it (Unix
 * seconds, big-endian): a ticket made from a ticket carries both on, so
 * that resuming never outlives the certificate, nor TICKET_REVERIFY_S.
 * Older trailers (version 1: CN only; 2: without the times) are not taken:
 * a full handshake.
 *
 * The callbacks get no ssl: `current' is the connection whose handshake
 * is stepping (rpc_tls_handshake). Each event loop is one thread (one
 * process per --workers), so one per thread is exact.
 */
#define TICKET_V3 3
#define TICKET_REVERIFY_S 86400 /* a device shows its certificate at least daily */
#define TICKET_VERIFIED 0x01    /* the client's certificate verified */
#define TICKET_NONCE 12
#define TICKET_TAG 16
#define TICKET_TIMES 16                                      /* not after, verified at */
#define TICKET_ID_MAX (3 + 127 + 1 + 32 + 16 + TICKET_TIMES) /* the sealed identity, at most */
#define TICKET_TRAILER_MAX (TICKET_NONCE + TICKET_ID_MAX + TICKET_TAG + 1)
/* mbedtls's own age check for a key from a file: never (ours is below) */
#define TICKET_KEY_FOREVER UINT32_MAX
#define TICKET_INFO "rpc-tls session ticket key v1"

static _Thread_local rpc_tls_t *current;

static void put_be64(unsigned char *p, int64_t v) {
  for (int i = 7; i >= 0; i--, v = (int64_t)((uint64_t)v >> 8))
    p[i] = (unsigned char)v;
}

static int64_t get_be64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | p[i];
  return (int64_t)v;
}

/* An X.509 time as Unix seconds (UTC). */
static int64_t x509_epoch(const mbedtls_x509_time *x) {
  struct tm tm = {.tm_year = x->year - 1900,
                  .tm_mon = x->mon - 1,
                  .tm_mday = x->day,
                  .tm_hour = x->hour,
                  .tm_min = x->min,
                  .tm_sec = x->sec};
  return (int64_t)timegm(&tm);
}

/* What names a certificate's issuer in a ticket: 16 bytes of SHA-256 over
 * its DER name (a ticket stays small; it is sealed, so no one picks it). */
static void issuer_hash(const mbedtls_x509_buf *raw, unsigned char out[16]) {
  unsigned char h[32];
  if (mbedtls_sha256(raw->p, raw->len, h, 0) != 0) memset(h, 0, sizeof(h));
  memcpy(out, h, 16);
}

/* True when one of c's client CAs has the subject of that issuer hash. */
static int ca_issued(const rpc_tls_cfg_t *c, const unsigned char issuer[16]) {
  for (const mbedtls_x509_crt *ca = &c->ca; ca && ca->raw.len; ca = ca->next) {
    unsigned char h[16];
    issuer_hash(&ca->subject_raw, h);
    if (memcmp(h, issuer, 16) == 0) return 1;
  }
  return 0;
}

/* Notes the client's certificate as mbedtls verifies it: in TLS 1.2 the
 * ticket is written before mbedtls_ssl_get_peer_cert can see it. */
static int on_verify(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags) {
  rpc_tls_t *t = arg;
  (void)flags; /* the verdict is check_client's (VERIFY_OPTIONAL) */
  if (depth == 0) {
    t->leaf_seen = 1;
    cn_of(crt, t->cn); /* over a ticket's: that ticket was turned down */
    size_t l = crt->serial.len < sizeof(t->serial) ? crt->serial.len : sizeof(t->serial);
    memcpy(t->serial, crt->serial.p, l);
    t->serial_len = (unsigned char)l;
    issuer_hash(&crt->issuer_raw, t->issuer);
    t->not_after = x509_epoch(&crt->valid_to);
    t->verified_at = (int64_t)time(NULL);
  }
  return 0;
}

/* What a new ticket says about the device: the certificate of this
 * handshake, else that of the ticket it resumed (its identity is in t
 * either way). */
/* The handshake resumed from our ticket: parsed, and then used. mbedtls
 * may set a ticket aside after ticket_parse took it (its age, a TLS 1.2
 * ticket in TLS 1.3, no key exchange mode in common) and make a full
 * handshake, where a client can send an empty certificate: that is
 * BADCERT_MISSING in the verify result, and no resumption. */
static int psk_used(const rpc_tls_t *t) {
  return t->from_ticket && !t->leaf_seen &&
         !(mbedtls_ssl_get_verify_result(&t->ssl) & MBEDTLS_X509_BADCERT_MISSING);
}

static int ticket_flags(const rpc_tls_t *t) {
  if (t->leaf_seen) return mbedtls_ssl_get_verify_result(&t->ssl) == 0 ? TICKET_VERIFIED : 0;
  return psk_used(t) ? t->ticket_flags : 0;
}

static int ticket_write(void *arg, const mbedtls_ssl_session *session, unsigned char *start,
                        const unsigned char *end, size_t *tlen, uint32_t *lifetime) {
  rpc_tls_cfg_t *c = arg;
  tls_tickets_t *k = c->tickets;
  if (end - start < TICKET_TRAILER_MAX) return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
  int rc =
      mbedtls_ssl_ticket_write(&k->ctx, session, start, end - TICKET_TRAILER_MAX, tlen, lifetime);
  if (rc) return rc;
  *lifetime = RPC_TLS_TICKET_LIFETIME_S;
  unsigned char pt[TICKET_ID_MAX], *p = pt;
  const rpc_tls_t *t = current && (current->leaf_seen || psk_used(current)) ? current : NULL;
  size_t cl = t ? strlen(t->cn) : 0; /* cn_of keeps it under 128 */
  *p++ = TICKET_V3;
  *p++ = (unsigned char)(t ? ticket_flags(t) : 0);
  *p++ = (unsigned char)cl;
  if (t) memcpy(p, t->cn, cl);
  p += cl;
  *p++ = t ? t->serial_len : 0;
  if (t) memcpy(p, t->serial, t->serial_len);
  p += t ? t->serial_len : 0;
  if (t)
    memcpy(p, t->issuer, 16);
  else
    memset(p, 0, 16);
  p += 16;
  put_be64(p, t ? t->not_after : 0);
  put_be64(p + 8, t ? t->verified_at : 0);
  p += TICKET_TIMES;
  size_t n = (size_t)(p - pt);
  unsigned char *nonce = start + *tlen, *ct = nonce + TICKET_NONCE;
  if ((rc = mbedtls_ctr_drbg_random(&k->drbg, nonce, TICKET_NONCE)) ||
      (rc = mbedtls_gcm_crypt_and_tag(&k->seal, MBEDTLS_GCM_ENCRYPT, n, nonce, TICKET_NONCE, start,
                                      *tlen, pt, ct, TICKET_TAG, ct + n)))
    return rc;
  ct[n + TICKET_TAG] = (unsigned char)n;
  *tlen += TICKET_NONCE + n + TICKET_TAG + 1;
  return 0;
}

/* Opens our trailer over buf[0..len) into pt (n bytes, its fields checked
 * against n): the mbedtls ticket's length, or -1 when the trailer is not
 * ours, forged, moved from another ticket or of another version. */
static long ticket_open(tls_tickets_t *k, const unsigned char *buf, size_t len,
                        unsigned char pt[TICKET_ID_MAX], size_t *n) {
  if (len < TICKET_NONCE + 4 + 16 + TICKET_TAG + 1) return -1;
  *n = buf[len - 1];
  if (*n < 4 + 16 + TICKET_TIMES || *n > TICKET_ID_MAX || len < TICKET_NONCE + *n + TICKET_TAG + 1)
    return -1;
  size_t l = len - 1 - TICKET_TAG - *n - TICKET_NONCE;
  const unsigned char *nonce = buf + l, *ct = nonce + TICKET_NONCE;
  if (mbedtls_gcm_auth_decrypt(&k->seal, *n, nonce, TICKET_NONCE, buf, l, ct + *n, TICKET_TAG, ct,
                               pt) != 0 ||
      pt[0] != TICKET_V3 || pt[2] > 127 || 3u + pt[2] >= *n || pt[3 + pt[2]] > 32 ||
      3u + pt[2] + 1 + pt[3 + pt[2]] + 16 + TICKET_TIMES != *n)
    return -1;
  return (long)l;
}

/* True when c's CRL lists the certificate of that serial from the issuer
 * of that hash (as mbedtls judges a certificate: a revocation dated in the
 * future does not count yet). */
static int crl_lists(const rpc_tls_cfg_t *c, const unsigned char *serial, size_t serial_len,
                     const unsigned char issuer[16]) {
  if (!c->have_crl) return 0;
  for (size_t i = 0; i < c->ncrls; i++) {
    const crl_index_t *x = &c->crls[i];
    if (memcmp(x->issuer, issuer, 16) != 0) continue;
    /* past its next update mbedtls refuses every full handshake of that
     * CA's devices (BADCRL_EXPIRED): their resumptions go the same way */
    if (mbedtls_x509_time_is_past(&x->crl->next_update)) return 1;
    size_t lo = 0, hi = x->n; /* the first entry not below the serial */
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (serial_cmp(&x->by_serial[mid]->serial, serial, serial_len) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    for (; lo < x->n && serial_cmp(&x->by_serial[lo]->serial, serial, serial_len) == 0; lo++)
      if (mbedtls_x509_time_is_past(&x->by_serial[lo]->revocation_date)) return 1;
  }
  return 0;
}

/* Any failure is a full handshake: mbedtls ignores a ticket it cannot
 * parse, in both versions. A revoked device's ticket is turned down the
 * same way; its full handshake then meets the CRL (or, if it has a new
 * certificate, passes). */
static int ticket_parse(void *arg, mbedtls_ssl_session *session, unsigned char *buf, size_t len) {
  rpc_tls_cfg_t *c = arg;
  unsigned char pt[TICKET_ID_MAX];
  size_t n;
  long l = ticket_open(c->tickets, buf, len, pt, &n);
  /* a ticket from before client certificates were required proves none */
  if (l < 0 || !current || (c->require_cert && !(pt[1] & TICKET_VERIFIED)))
    return MBEDTLS_ERR_SSL_INVALID_MAC;
  size_t cl = pt[2], sl = pt[3 + cl];
  const unsigned char *serial = pt + 4 + cl, *issuer = serial + sl;
  int64_t not_after = get_be64(issuer + 16), verified_at = get_be64(issuer + 24);
  int64_t now = (int64_t)time(NULL);
  if (crl_lists(c, serial, sl, issuer)) {
    current->ticket_revoked = 1;
    return MBEDTLS_ERR_SSL_INVALID_MAC;
  }
  /* what a full handshake would check again: the certificate's end, and
   * its CA still among today's client CAs (a reload may have dropped it);
   * and in any case once a day */
  if (c->require_cert && (now >= not_after || now - verified_at > TICKET_REVERIFY_S ||
                          now < verified_at || !ca_issued(c, issuer)))
    return MBEDTLS_ERR_SSL_INVALID_MAC;
  int rc = mbedtls_ssl_ticket_parse(&c->tickets->ctx, session, buf, (size_t)l);
  if (rc) return rc;
  /* ours, not mbedtls's: a key from a file never expires (tickets_from_file) */
  mbedtls_ms_time_t born, age = -1;
  if (mbedtls_ssl_session_get_ticket_creation_time(session, &born) == 0)
    age = mbedtls_ms_time() - born;
  if (age < 0 || age > (mbedtls_ms_time_t)RPC_TLS_TICKET_LIFETIME_S * 1000) {
    mbedtls_ssl_session_free(session);
    return MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED;
  }
  current->from_ticket = 1;
  current->ticket_flags = pt[1];
  memcpy(current->cn, pt + 3, cl);
  current->cn[cl] = '\0';
  memcpy(current->serial, serial, sl);
  current->serial_len = (unsigned char)sl;
  memcpy(current->issuer, issuer, 16);
  current->not_after = not_after;
  current->verified_at = verified_at;
  return 0;
}

/* Installs the key derived from a ticket key file: HKDF-SHA256 over its 80
 * bytes gives mbedtls's 4-byte key name and 32-byte key, then ours. */
static int tickets_from_file(tls_tickets_t *k, const unsigned char key[RPC_TLS_TICKET_KEY_LEN]) {
  unsigned char okm[MBEDTLS_SSL_TICKET_KEY_NAME_BYTES + 32 + 32];
  const unsigned char *name = okm, *mk = okm + MBEDTLS_SSL_TICKET_KEY_NAME_BYTES, *ck = mk + 32;
  int rc = mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), NULL, 0, key,
                        RPC_TLS_TICKET_KEY_LEN, (const unsigned char *)TICKET_INFO,
                        sizeof(TICKET_INFO) - 1, okm, sizeof(okm));
  /* forever: mbedtls would replace an expired key with a random one, and
   * the gateways behind one address would stop sharing theirs */
  if (!rc)
    rc = mbedtls_ssl_ticket_rotate(&k->ctx, name, MBEDTLS_SSL_TICKET_KEY_NAME_BYTES, mk, 32,
                                   TICKET_KEY_FOREVER);
  if (!rc) rc = mbedtls_gcm_setkey(&k->seal, MBEDTLS_CIPHER_ID_AES, ck, 256);
  mbedtls_platform_zeroize(okm, sizeof(okm));
  return rc;
}

static int tickets_random(tls_tickets_t *k) {
  unsigned char ck[32];
  int rc = mbedtls_ctr_drbg_random(&k->drbg, ck, sizeof(ck));
  if (!rc) rc = mbedtls_gcm_setkey(&k->seal, MBEDTLS_CIPHER_ID_AES, ck, 256);
  mbedtls_platform_zeroize(ck, sizeof(ck));
  return rc;
}

/* Makes c issue and take tickets under k (a reference of c's own). */
static void tickets_use(rpc_tls_cfg_t *c, tls_tickets_t *k) {
  k->refs++;
  tickets_release(c->tickets);
  c->tickets = k;
  /* psk_ke (no ECDHE: cheaper for a board, no forward secrecy for the
   * resumed session) and psk_dhe_ke alike; the client chooses */
  mbedtls_ssl_conf_tls13_key_exchange_modes(&c->conf, MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_ALL);
  mbedtls_ssl_conf_session_tickets_cb(&c->conf, ticket_write, ticket_parse, c);
}

int rpc_tls_server_tickets(rpc_tls_cfg_t *c, const unsigned char *key, char *err, size_t errlen) {
  if (!is_server(c)) {
    snprintf(err, errlen, "session tickets: not a server configuration");
    return -1;
  }
  tls_tickets_t *k = calloc(1, sizeof(*k));
  if (!k) {
    snprintf(err, errlen, "session tickets: out of memory");
    return -1;
  }
  mbedtls_entropy_init(&k->entropy);
  mbedtls_ctr_drbg_init(&k->drbg);
  mbedtls_ssl_ticket_init(&k->ctx);
  mbedtls_gcm_init(&k->seal);
  /* mbedtls makes two random keys and renews them each lifetime, keeping
   * the previous one: what a gateway without a key file uses */
  int rc = mbedtls_ctr_drbg_seed(&k->drbg, mbedtls_entropy_func, &k->entropy,
                                 (const unsigned char *)"rpc-tls tickets", 15);
  if (!rc)
    rc = mbedtls_ssl_ticket_setup(&k->ctx, mbedtls_ctr_drbg_random, &k->drbg,
                                  MBEDTLS_CIPHER_AES_256_GCM, RPC_TLS_TICKET_LIFETIME_S);
  if (!rc) rc = key ? tickets_from_file(k, key) : tickets_random(k);
  if (rc) {
    k->refs = 1;
    tickets_release(k);
    rpc_tls_say(err, errlen, "session tickets", NULL, rc);
    return -1;
  }
  tickets_use(c, k); /* the one reference: c's */
  return 0;
}

int rpc_tls_server_share_tickets(rpc_tls_cfg_t *c, const rpc_tls_cfg_t *from) {
  if (!is_server(c) || !is_server(from)) return -1;
  if (from->tickets) tickets_use(c, from->tickets);
  return 0;
}

int rpc_tls_ticket_key_read(const char *path, unsigned char key[RPC_TLS_TICKET_KEY_LEN], char *err,
                            size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "cannot read ticket key %s: %s", path, strerror(errno));
    return -1;
  }
  unsigned char extra;
  size_t n = fread(key, 1, RPC_TLS_TICKET_KEY_LEN, f);
  int more = n == RPC_TLS_TICKET_KEY_LEN && fread(&extra, 1, 1, f) == 1;
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    snprintf(err, errlen, "cannot read ticket key %s", path);
    return -1;
  }
  if (n != RPC_TLS_TICKET_KEY_LEN || more) {
    snprintf(err, errlen,
             "ticket key %s: must be exactly %d random bytes (e.g. openssl rand 80 > FILE)", path,
             RPC_TLS_TICKET_KEY_LEN);
    mbedtls_platform_zeroize(key, RPC_TLS_TICKET_KEY_LEN);
    return -1;
  }
  return 0;
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
  t->cfg = rpc_tls_cfg_ref(cfg); /* a reload's configuration outlives its sessions */
  t->server = mbedtls_ssl_conf_get_endpoint(&cfg->conf) == MBEDTLS_SSL_IS_SERVER;
  t->require_cert = cfg->require_cert;
  mbedtls_ssl_init(&t->ssl);
  if (mbedtls_ssl_setup(&t->ssl, &cfg->conf) != 0 ||
      (server_name && mbedtls_ssl_set_hostname(&t->ssl, server_name) != 0)) {
    rpc_tls_free(t);
    return NULL;
  }
  mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
  /* on both ends: a handshake that verifies no certificate resumed */
  mbedtls_ssl_set_verify(&t->ssl, on_verify, t);
  /* a session mbedtls will not offer (expired) gives a full handshake */
  if (!t->server && cfg->have_saved && mbedtls_ssl_set_session(&t->ssl, &cfg->saved) == 0)
    t->from_ticket = 1;
  return t;
}

void rpc_tls_free(rpc_tls_t *t) {
  if (!t) return;
  mbedtls_ssl_free(&t->ssl);
  rpc_tls_cfg_free(t->cfg);
  free(t->err);
  free(t);
}

/* Gives the kernel back the whole pages of [p, p + len). */
static size_t drop_pages(unsigned char *p, size_t len) {
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1);
  uintptr_t b = ((uintptr_t)p + len) & ~(page - 1);
  if (b <= a || madvise((void *)a, b - a, MADV_DONTNEED) != 0) return 0;
  return b - a;
}

size_t rpc_tls_trim(rpc_tls_t *t) {
  mbedtls_ssl_context *s = &t->ssl;
  /* only between records: nothing read but not yet taken, nothing written
   * but not yet sent, no handshake message in pieces */
  if (t->trimmed || !mbedtls_ssl_is_handshake_over(s) || s->in_left || s->in_msglen ||
      s->in_hslen || s->out_left || mbedtls_ssl_check_pending(s))
    return 0;
  /* Of their bytes only the inbound record counter (in_ctr, the first 8 of
   * in_buf in TLS) outlives a record: the outbound one is copied in from
   * the context (cur_out_ctr) for each record. */
  memcpy(t->in_ctr, s->in_ctr, sizeof(t->in_ctr));
  /* each buffer with the rest of its last page (tls_calloc's rounding) */
  size_t n = drop_pages(s->in_buf, malloc_usable_size(s->in_buf)) +
             drop_pages(s->out_buf, malloc_usable_size(s->out_buf));
  t->trimmed = 1;
  return n;
}

/* Before mbedtls touches a trimmed session's buffers again. */
static void wake(rpc_tls_t *t) {
  if (!t->trimmed) return;
  memcpy(t->ssl.in_ctr, t->in_ctr, sizeof(t->in_ctr));
  t->trimmed = 0;
}

/* What a server's session keeps past its handshake that it no longer
 * needs, about 4 KiB a connection: mbedtls 3.6 frees a TLS 1.3 handshake's
 * state (and the TLS 1.2 transform it set up beside it) only with the
 * session, and keeps the client's certificate, parsed, for the session's
 * life. The tickets that carry what we need of it were written in the
 * handshake, and its CN is in t->cn. A client keeps all: TLS 1.3 tickets
 * come after its handshake. */
static void release_handshake(rpc_tls_t *t) {
  mbedtls_ssl_context *s = &t->ssl;
  if (!t->server || !mbedtls_ssl_is_handshake_over(s)) return;
  if (mbedtls_ssl_get_version_number(s) == MBEDTLS_SSL_VERSION_TLS1_3) {
    if (s->handshake) {
      mbedtls_ssl_handshake_free(s);
      mbedtls_free(s->handshake);
      s->handshake = NULL;
    }
    if (s->transform_negotiate) {
      mbedtls_ssl_transform_free(s->transform_negotiate);
      mbedtls_free(s->transform_negotiate);
      s->transform_negotiate = NULL;
    }
  }
  if (s->session && s->session->peer_cert) {
    mbedtls_x509_crt_free(s->session->peer_cert);
    mbedtls_free(s->session->peer_cert);
    s->session->peer_cert = NULL;
  }
}

/* The error's text buffer, allocated at the first error: an idle session
 * does not carry it. NULL without memory. */
static char *err_buf(rpc_tls_t *t) {
  if (!t->err && (t->err = malloc(ERR_MAX))) t->err[0] = '\0';
  return t->err;
}

/* Notes why the session failed with rc (rpc_tls_error); returns -1. */
static int failed(rpc_tls_t *t, int rc) {
  char *e = err_buf(t);
  t->last_rc = rc;
  if (e && !rpc_tls_verify_text(e, ERR_MAX, "certificate verify failed: ", &t->ssl, rc))
    mbedtls_strerror(rc, e, ERR_MAX);
  return -1;
}

static void alert(rpc_tls_t *t, unsigned char what) {
  wake(t);
  mbedtls_ssl_send_alert_message(&t->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL, what);
  t->alerted = 1;
}

/* The verdict on the client's certificate, once the handshake is done: the
 * alert goes out under the session's keys, which the client reads. */
static int check_client(rpc_tls_t *t) {
  int tls13 = mbedtls_ssl_get_version_number(&t->ssl) == MBEDTLS_SSL_VERSION_TLS1_3;
  if (!mbedtls_ssl_get_peer_cert(&t->ssl)) {
    if (err_buf(t)) snprintf(t->err, ERR_MAX, "no client certificate");
    alert(t, tls13 ? MBEDTLS_SSL_ALERT_MSG_CERT_REQUIRED : MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
    return -1;
  }
  uint32_t flags = mbedtls_ssl_get_verify_result(&t->ssl);
  if (flags == 0) return 0;
  failed(t, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
  /* which device: its CN and serial (what a CRL lists), for the log */
  char *e = err_buf(t);
  if (e) {
    char serial[65];
    size_t k = strlen(e);
    hex_of(t->serial, t->serial_len, serial, sizeof(serial));
    if (t->ticket_revoked && k < ERR_MAX)
      k += (size_t)snprintf(e + k, ERR_MAX - k, " (its session ticket was turned down)");
    /* cut at ERR_MAX if need be: the CN is at most 127 bytes */
    if (k < ERR_MAX &&
        snprintf(e + k, ERR_MAX - k, ": device %s, serial %s", t->cn[0] ? t->cn : "?", serial) < 0)
      e[k] = '\0';
  }
  alert(t, flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED ? MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA
           : flags & MBEDTLS_X509_BADCERT_EXPIRED   ? MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED
           : flags & MBEDTLS_X509_BADCERT_REVOKED   ? MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED
                                                    : MBEDTLS_SSL_ALERT_MSG_BAD_CERT);
  return -1;
}

int rpc_tls_handshake(rpc_tls_t *t) {
  t->want_write = 0;
  current = t; /* for the ticket callbacks */
  int rc = mbedtls_ssl_handshake(&t->ssl);
  current = NULL;
  if (rc == 0) {
    const char *p = mbedtls_ssl_get_alpn_protocol(&t->ssl);
    /* gRPC over TLS is h2 by ALPN; a server refuses a client that offers none */
    if ((p && strcmp(p, RPC_TLS_ALPN) != 0) || (!p && t->server)) {
      if (err_buf(t))
        snprintf(t->err, ERR_MAX, "ALPN chose %s, not " RPC_TLS_ALPN, p ? p : "nothing");
      return -1;
    }
    /* resumed: no certificate this time, the ticket proves the earlier
     * verification and carries the CN. A ticket ticket_parse took that
     * mbedtls then set aside gives a full handshake (psk_used), judged as
     * any other: an empty certificate is refused. */
    t->resumed = t->server ? psk_used(t) : t->from_ticket && !t->leaf_seen;
    if (!t->resumed) { /* resumed, t->cn is the ticket's (ticket_parse) */
      if (t->require_cert && check_client(t) != 0) return -1;
      find_cn(t);
    }
    release_handshake(t);
    if (!t->server && mbedtls_ssl_get_version_number(&t->ssl) == MBEDTLS_SSL_VERSION_TLS1_2)
      keep_session(t);
    return 0;
  }
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return RPC_TLS_AGAIN;
  return failed(t, rc);
}

ssize_t rpc_tls_read(rpc_tls_t *t, void *buf, size_t len) {
  int rc;
  wake(t);
  /* a TLS 1.3 server may send session tickets at any time: not data */
  while ((rc = mbedtls_ssl_read(&t->ssl, buf, len)) == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
    keep_session(t);
  if (rc > 0) return rc;
  if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return 0;
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return RPC_TLS_AGAIN;
  return failed(t, rc);
}

ssize_t rpc_tls_write(rpc_tls_t *t, const void *buf, size_t len) {
  wake(t);
  t->want_write = 0;
  /* mbedtls: after WANT_*, call again with the same arguments (the record
   * is already built); more bytes may have been queued behind them since */
  if (t->wretry) len = t->wretry;
  int rc;
  /* a ticket that a read took in but did not finish, mbedtls finishes in
   * the next call, a write too (a TLS 1.3 server's ticket right behind a
   * resumed handshake) */
  while ((rc = mbedtls_ssl_write(&t->ssl, buf, len)) == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
    keep_session(t);
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

int rpc_tls_resumed(const rpc_tls_t *t) {
  return t->resumed;
}

const char *rpc_tls_untrusted(const rpc_tls_t *t, const rpc_tls_cfg_t *c) {
  /* no device certificate, or checked against c by its own handshake */
  if (!t->serial_len || !c || t->cfg == c) return NULL;
  if (crl_lists(c, t->serial, t->serial_len, t->issuer)) return "its certificate is on the CRL";
  if (c->require_cert && !ca_issued(c, t->issuer)) return "its CA is no longer a client CA";
  return NULL;
}

void rpc_tls_peer_serial(const rpc_tls_t *t, char *out, size_t cap) {
  hex_of(t->serial, t->serial_len, out, cap);
}

int rpc_tls_fail_reason(const rpc_tls_t *t) {
  uint32_t flags = mbedtls_ssl_get_verify_result(&t->ssl);
  switch (t->last_rc) {
  case 0: /* no mbedtls error: check_client found no certificate, or ALPN */
    return t->require_cert && !mbedtls_ssl_get_peer_cert(&t->ssl) && !t->resumed
               ? RPC_TLS_FAIL_NO_CERT
               : RPC_TLS_FAIL_PROTOCOL;
  case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
    return flags != (uint32_t)-1 && (flags & MBEDTLS_X509_BADCERT_REVOKED) ? RPC_TLS_FAIL_REVOKED
                                                                           : RPC_TLS_FAIL_BAD_CERT;
  case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
    return RPC_TLS_FAIL_ALERT;
  case MBEDTLS_ERR_SSL_CONN_EOF:
  case MBEDTLS_ERR_NET_CONN_RESET:
  case MBEDTLS_ERR_NET_RECV_FAILED:
  case MBEDTLS_ERR_NET_SEND_FAILED:
    return RPC_TLS_FAIL_CLOSED;
  default:
    return RPC_TLS_FAIL_PROTOCOL;
  }
}

const char *rpc_tls_error(const rpc_tls_t *t) {
  return t->err ? t->err : ""; /* none yet, or no memory for its text */
}
