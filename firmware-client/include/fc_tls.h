/*
 * fc_tls.h - TLS 1.3 and 1.2 for the firmware client over any port transport
 * (a TCP socket on Linux boards, UART0 on the Cortex-M boards), with mbedtls
 * 3.6. The
 * server's certificate and name are verified; a client certificate proves the
 * device's identity (mutual TLS). Boards built without mbedtls link
 * fc_tls_none.c, which refuses with a clear message.
 */
#ifndef FC_TLS_H
#define FC_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "port.h"

enum { FC_TLS_ANY = 0, FC_TLS_1_2 = 12, FC_TLS_1_3 = 13 };

/* How a TLS 1.3 session is resumed: 0 the build's FC_TLS_RESUME_DHE
 * (rpc_opt.h), psk_ke (the ticket alone: no ECDHE) or psk_dhe_ke (with an
 * ECDHE: forward secrecy). */
enum { FC_TLS_RESUME_PSK = 1, FC_TLS_RESUME_PSK_DHE = 2 };

/* fc_tls_open's answer when a psk_ke offer (the ticket alone) was refused:
 * the ticket is forgotten; open a new transport for a full handshake. */
#define FC_TLS_RETRY_FULL (-2)

typedef struct fc_tls_opts {
  const char *ca;          /* PEM or DER file of the CA that signed the server */
  const char *cert, *key;  /* the device's certificate and key, or NULL */
  const char *server_name; /* the name the server's certificate must carry */
  int version;             /* FC_TLS_ANY (1.3, else 1.2), or only that one */
  int no_resume;           /* never resume a session: a full handshake each time */
  int resume;              /* 0, FC_TLS_RESUME_PSK or FC_TLS_RESUME_PSK_DHE */
} fc_tls_opts_t;

/* Reads and parses the CA, the device's certificate and key, and sets up
 * the configuration, once for all the connections that follow (fc_tls_open
 * does it when it has not been done). Returns 0, or -1 with the reason. */
int fc_tls_prepare(const fc_tls_opts_t *o, char *err, size_t errlen);

/* Frees what fc_tls_prepare loaded (after the last connection). */
void fc_tls_unload(void);

/* Runs the handshake over the open transport *t within timeout_ms and, on
 * success, replaces *t with the TLS transport over it. Returns 0; -1 with
 * the reason in err; or FC_TLS_RETRY_FULL. */
int fc_tls_open(port_transport_t *t, const fc_tls_opts_t *o, uint32_t timeout_ms, char *err,
                size_t errlen);

/* True when the last fc_tls_open resumed the session kept from an earlier
 * connection (its ticket: FC_TLS_TICKET_MAX) instead of a full handshake.
 * The client keeps the latest session it was given, and offers it on the
 * next connection unless no_resume is set. */
int fc_tls_resumed(void);

/* Sends close_notify and frees the session; *t is the raw transport again. */
void fc_tls_close(port_transport_t *t);

#endif /* FC_TLS_H */
