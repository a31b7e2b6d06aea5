/*
 * dm_http.h - a small HTTP/1.1 server on the daemon's event loop, for what
 * operators and web clients fetch beside gRPC (GET /metrics, the gateway's
 * REST bridge). libmicrohttpd does the HTTP: its epoll descriptor is watched
 * by our loop (rpc_loop.h) and its timeouts run as a loop timer, so it adds
 * no thread. A handler answers at once or later, from the loop (the
 * connection waits, suspended, meanwhile).
 */
#ifndef DM_HTTP_H
#define DM_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

#include "rpc_loop.h"

typedef struct dm_http dm_http_t;
typedef struct dm_http_req dm_http_req_t;

/* A request whose headers are in (a body is read and dropped). Answer it
 * with dm_http_answer, now or later. */
typedef void (*dm_http_fn)(void *arg, dm_http_req_t *req);

/* The request's method ("GET"), path (as sent: not percent-decoded, no
 * query) and a
 * header (NULL when absent); valid until it is answered. */
const char *dm_http_method(const dm_http_req_t *req);
const char *dm_http_path(const dm_http_req_t *req);
const char *dm_http_header(const dm_http_req_t *req, const char *name);

/* Answers with status, content type and body[len] (malloc'd, taken; NULL
 * with len 0 for none). The request must not be used after. */
void dm_http_answer(dm_http_req_t *req, int status, const char *content_type, char *body,
                    size_t len);

/* fn(arg) runs if the request goes away unanswered (the server is freed). */
void dm_http_on_gone(dm_http_req_t *req, void (*fn)(void *arg), void *arg);

/* Serves fn(arg) on "HOST:PORT" (reuseport: beside the other workers), or,
 * with listen NULL, on the connections dm_http_add hands over. NULL on
 * error, with the reason logged. */
dm_http_t *dm_http_new(rpc_loop_t *loop, const char *listen, int reuseport, dm_http_fn fn,
                       void *arg);

/* Takes over an accepted, non-blocking connection (closed on failure).
 * 0 or -1. */
int dm_http_add(dm_http_t *h, int fd, const struct sockaddr *sa, socklen_t len);

/* Stops serving; answer or drop every suspended request first. */
void dm_http_free(dm_http_t *h);

#endif /* DM_HTTP_H */
