/*
 * gw_rest_net.h - the REST bridge's port: HTTP/1.1 and HTTP/2 with prior
 * knowledge (curl --http2-prior-knowledge) on one listener. Each accepted
 * connection is sniffed for the HTTP/2 preface: with it, an nghttp2 server
 * session here; without, the connection goes to libmicrohttpd (dm_http.h).
 * Either way the requests go to gw_rest_handle.
 */
#ifndef GW_REST_NET_H
#define GW_REST_NET_H

#include "gw_rest.h"
#include "rpc_loop.h"

typedef struct gw_rest_net gw_rest_net_t;

/* Listens on "HOST:PORT" (reuseport: beside the other workers). NULL on
 * error (logged). */
gw_rest_net_t *gw_rest_net_new(rpc_loop_t *loop, const char *listen, int reuseport,
                               gw_rest_t *rest);

/* Stops accepting; the open connections go on (their answers go out). */
void gw_rest_net_close(gw_rest_net_t *n);

/* Closes the listener and every connection (their calls are dropped). */
void gw_rest_net_free(gw_rest_net_t *n);

#endif /* GW_REST_NET_H */
