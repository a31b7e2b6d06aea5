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

typedef struct fc_tls_opts {
  const char *ca;          /* PEM or DER file of the CA that signed the server */
  const char *cert, *key;  /* the device's certificate and key, or NULL */
  const char *server_name; /* the name the server's certificate must carry */
  int version;             /* FC_TLS_ANY (1.3, else 1.2), or only that one */
  int no_resume;           /* never resume a session: a full handshake each time */
} fc_tls_opts_t;

/* Runs the handshake over the open transport *t within timeout_ms and, on
 * success, replaces *t with the TLS transport over it. Returns 0, or -1 with
 * the reason in err. */
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
