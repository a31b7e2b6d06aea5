/*
 * rpc_tls.h - TLS 1.3 and 1.2 for the host's server and channel connections,
 * on mbedtls 3.6 (mk/mbedtls.mk), ALPN "h2", optional client certificates.
 * Non-blocking: every call may answer RPC_TLS_AGAIN; retry when the socket is
 * ready.
 */
#ifndef RPC_TLS_H
#define RPC_TLS_H

#include <stddef.h>
#include <sys/types.h>

#define RPC_TLS_AGAIN (-100) /* would block: wait for the socket, call again */

/* A ticket key file's size: nginx's ssl_session_ticket_key layout (16 bytes
 * name, 32 HMAC, 32 AES); all 80 go through HKDF (docs/design.md). */
#define RPC_TLS_TICKET_KEY_LEN 80
/* How long a session ticket resumes (docs/design.md, "TLS session
 * resumption"). */
#define RPC_TLS_TICKET_LIFETIME_S 7200

typedef struct rpc_tls_cfg rpc_tls_cfg_t;
typedef struct rpc_tls rpc_tls_t;

/* A server configuration from PEM files; client_ca may be NULL (no client
 * certificates asked), else clients must present one it signed. NULL on error,
 * with the reason in err. */
rpc_tls_cfg_t *rpc_tls_server_cfg(const char *cert, const char *key, const char *client_ca,
                                  char *err, size_t errlen);

/* A client configuration: the server is verified against ca; cert/key may be
 * NULL. NULL on error, with the reason in err. */
rpc_tls_cfg_t *rpc_tls_client_cfg(const char *ca, const char *cert, const char *key, char *err,
                                  size_t errlen);

/* A configuration is reference counted: each session made from it holds a
 * reference (rpc_tls_new), so that one replaced by a reload lives until its
 * last connection closes. rpc_tls_cfg_ref takes one more (returns cfg);
 * rpc_tls_cfg_free drops one, and frees the configuration with the last. */
rpc_tls_cfg_t *rpc_tls_cfg_ref(rpc_tls_cfg_t *cfg);
void rpc_tls_cfg_free(rpc_tls_cfg_t *cfg);

/* Makes a server configuration with a client CA check client certificates
 * against the CRLs in path (PEM or DER, `openssl ca -gencrl`): a revoked
 * device is refused with certificate_revoked, and its session tickets no
 * longer resume. Each CRL must come from one of the client CAs and be
 * before its next update. 0, or -1 with the reason in err. */
int rpc_tls_server_crl(rpc_tls_cfg_t *cfg, const char *path, char *err, size_t errlen);

/* Makes a server configuration issue and take session tickets under the
 * keys of from (a configuration that it replaces on a reload), so that the
 * devices' sessions survive the reload. Nothing when from issues none. 0,
 * or -1 when either is not a server's. */
int rpc_tls_server_share_tickets(rpc_tls_cfg_t *cfg, const rpc_tls_cfg_t *from);

/* One line about a server configuration for the log: its certificate's
 * serial and end of validity, client CA, how many the CRL revokes. 0. */
int rpc_tls_cfg_describe(const rpc_tls_cfg_t *cfg, char *buf, size_t cap);

/* Makes a client configuration resume sessions: each connection offers the
 * latest session that one of its connections was given (a TLS 1.3
 * NewSessionTicket, a TLS 1.2 RFC 5077 ticket), with psk_dhe_ke beside a
 * full handshake's key share, so that a server that turns it down makes a
 * full handshake in the same round trip. One session a configuration: its
 * connections share it (TLS 1.3 would have a ticket each; mbedtls's
 * servers, ours among them, take one again). -1 on a server's. */
int rpc_tls_client_resume(rpc_tls_cfg_t *cfg);

/* Reads a ticket key file of exactly RPC_TLS_TICKET_KEY_LEN bytes into key.
 * 0, or -1 with the reason in err. */
int rpc_tls_ticket_key_read(const char *path, unsigned char key[RPC_TLS_TICKET_KEY_LEN], char *err,
                            size_t errlen);

/* Makes a server configuration issue session tickets (TLS 1.3
 * NewSessionTicket, TLS 1.2 RFC 5077) and resume from them, accepting TLS
 * 1.3's psk_ke and psk_dhe_ke. key: a ticket key file's bytes (copied), so
 * that servers sharing it resume each other's sessions; NULL: random keys.
 * 0, or -1 with the reason in err. */
int rpc_tls_server_tickets(rpc_tls_cfg_t *cfg, const unsigned char *key, char *err, size_t errlen);

/* A TLS session over the non-blocking socket fd; server_name is checked
 * against the server's certificate (clients only; NULL on servers). */
rpc_tls_t *rpc_tls_new(rpc_tls_cfg_t *cfg, int fd, const char *server_name);
void rpc_tls_free(rpc_tls_t *t);

/* Advances the handshake: 0 when done, RPC_TLS_AGAIN, or -1 (see
 * rpc_tls_error). */
int rpc_tls_handshake(rpc_tls_t *t);

/* Reads decrypted bytes: >0, 0 at the peer's close, RPC_TLS_AGAIN, or -1. */
ssize_t rpc_tls_read(rpc_tls_t *t, void *buf, size_t len);

/* Writes bytes: how many were taken, RPC_TLS_AGAIN, or -1. */
ssize_t rpc_tls_write(rpc_tls_t *t, const void *buf, size_t len);

/* Sends a fatal handshake_failure alert (best effort) after a failed
 * handshake, before the connection is closed. */
void rpc_tls_refuse(rpc_tls_t *t);

/* True when the socket must become writable before the TLS layer can go on. */
int rpc_tls_wants_write(const rpc_tls_t *t);

/* The peer certificate's subject CN ("" when none); on a resumed session,
 * the CN of the full handshake, sealed in the ticket. */
const char *rpc_tls_peer_cn(const rpc_tls_t *t);

/* True once the handshake resumed a session from a ticket (no certificate
 * was exchanged: the ticket stands for the earlier verification); on
 * either end. */
int rpc_tls_resumed(const rpc_tls_t *t);

/* Why c, a configuration that replaced the one t's handshake was checked
 * against (a reload), no longer trusts t's device: "its certificate is on
 * the CRL", "its CA is no longer a client CA"; NULL when it still does,
 * when t's handshake was checked against c itself, or when t's peer showed
 * no certificate. */
const char *rpc_tls_untrusted(const rpc_tls_t *t, const rpc_tls_cfg_t *c);

/* The peer certificate's serial in hex, as openssl prints it ("" when none;
 * 65 bytes hold any). */
void rpc_tls_peer_serial(const rpc_tls_t *t, char *out, size_t cap);

/* Between records, gives back to the kernel the pages of mbedtls's record
 * buffers (their bytes are spent records, zero when next touched; the one
 * thing in them that lasts, the inbound record counter, is kept aside and
 * put back before the session is next used). An idle connection's buffers
 * then cost nothing instead of 2 x 16 KiB. Returns the bytes given back (0
 * when a record is under way, or when already trimmed). */
size_t rpc_tls_trim(rpc_tls_t *t);

/* Why the handshake failed, as rpc_stats.h counts it (RPC_TLS_FAIL_*). */
int rpc_tls_fail_reason(const rpc_tls_t *t);

/* What went wrong, in words. */
const char *rpc_tls_error(const rpc_tls_t *t);

#endif /* RPC_TLS_H */
