/* sock.h (private) - a connection's byte pipe on the host, plain or TLS:
 * reads, a coalescing write buffer, the TLS handshake. Shared by the server's
 * connections and the client channel. */
#ifndef RPC_SOCK_H
#define RPC_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rpc_tls.h"

#define RPC_SOCK_AGAIN (-100)        /* would block */
#define RPC_SOCK_HIGH (256u * 1024u) /* stop filling once this much waits */

typedef struct rpc_sock {
  int fd;
  rpc_tls_t *tls; /* NULL: plaintext */
  int handshaken; /* plaintext sockets start handshaken */
  uint8_t *wbuf;  /* bytes the socket did not take yet; NULL when none */
  size_t wlen, woff, wcap;
} rpc_sock_t;

/* Produces the next bytes to send: their count, 0 for none, <0 on error. */
typedef long (*rpc_pull_fn)(void *arg, const uint8_t **out);

/* Sets s up over fd; tls may be NULL. */
void rpc_sock_init(rpc_sock_t *s, int fd, rpc_tls_t *tls);
/* Frees the buffer and the TLS session and closes fd. */
void rpc_sock_close(rpc_sock_t *s);

/* Drives the TLS handshake: 0 when done (at once for plaintext),
 * RPC_SOCK_AGAIN, or -1. */
int rpc_sock_handshake(rpc_sock_t *s);

/* Reads: >0 bytes, 0 at end of stream, RPC_SOCK_AGAIN, or -1. */
ssize_t rpc_sock_read(rpc_sock_t *s, void *buf, size_t len);

/* Pulls bytes from pull until it has none or RPC_SOCK_HIGH wait, then writes
 * as much as the socket takes. Returns 0, or -1 when the connection failed. */
int rpc_sock_flush(rpc_sock_t *s, rpc_pull_fn pull, void *arg);

/* True while bytes wait for the socket (watch EPOLLOUT). */
int rpc_sock_pending(const rpc_sock_t *s);

/* Why the last call failed. */
const char *rpc_sock_error(const rpc_sock_t *s);

#endif /* RPC_SOCK_H */
