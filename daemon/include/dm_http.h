/*
 * dm_http.h - a small HTTP/1.1 server on the daemon's event loop, for what
 * operators fetch beside gRPC (GET /metrics). libmicrohttpd does the HTTP:
 * its epoll descriptor is watched by our loop (rpc_loop.h) and its timeouts
 * run as a loop timer, so it adds no thread. Answers are made at once, in
 * the loop's turn.
 */
#ifndef DM_HTTP_H
#define DM_HTTP_H

#include <stddef.h>

#include "rpc_loop.h"

typedef struct dm_http dm_http_t;

/* What a handler answers: an HTTP status, a content type and a body of len
 * bytes (malloc'd; the server frees it). */
typedef struct dm_http_reply {
  int status;
  const char *content_type;
  char *body;
  size_t len;
} dm_http_reply_t;

/* Answers a GET or HEAD of path (the query string is not part of it). */
typedef void (*dm_http_fn)(void *arg, const char *path, dm_http_reply_t *reply);

/* Listens on "HOST:PORT" (reuseport: beside the other workers) and serves
 * fn(arg). NULL on error, with the reason logged. */
dm_http_t *dm_http_new(rpc_loop_t *loop, const char *listen, int reuseport, dm_http_fn fn,
                       void *arg);
void dm_http_free(dm_http_t *h);

#endif /* DM_HTTP_H */
