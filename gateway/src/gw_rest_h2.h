/* gw_rest_h2.h - one HTTP/2 connection of the REST bridge (prior
 * knowledge, no TLS): an nghttp2 server session whose GET requests go to
 * gw_rest_handle and whose answers go back as JSON responses. */
#ifndef GW_REST_H2_H
#define GW_REST_H2_H

#include "gw_rest.h"
#include "rpc_loop.h"

typedef struct gw_h2conn gw_h2conn_t;

/* Serves the accepted, non-blocking fd (its HTTP/2 preface still unread),
 * linked into *list while it lives. NULL on failure (fd closed). */
gw_h2conn_t *gw_h2_new(rpc_loop_t *loop, int fd, gw_rest_t *rest, gw_h2conn_t **list);

/* Closes the connection, dropping its calls, and unlinks it. */
void gw_h2_free(gw_h2conn_t *c);

/* The connections on list. */
unsigned gw_h2_count(const gw_h2conn_t *list);

#endif /* GW_REST_H2_H */
