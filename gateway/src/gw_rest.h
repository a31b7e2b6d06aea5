/*
 * gw_rest.h - the REST/JSON bridge (`--rest-listen`), as grpc-gateway
 * builds it for the article's Part 3:
 *
 *   GET /v1/vendors/{vendor}/types                  -> GetVendorProdTypes
 *   GET /v1/vendors/{vendor}/types/{type}/products  -> GetVendorProds
 *
 * Each request becomes a gRPC call to the gateway's own ProdService through
 * an in-process channel (rpc_inproc.h), so deadlines, status codes, trace
 * context and the metrics are those of any gRPC call. Answers are JSON
 * (jansson): a unary reply is its message; a stream is one
 * {"result": message} object per line. A gRPC error becomes grpc-gateway's
 * HTTP status with {"code", "message", "details"} ({"error": {...}} on the
 * stream). This file is the mapping; gw_rest_net.c carries it over
 * HTTP/1.1 (libmicrohttpd) and HTTP/2 (nghttp2) on one port.
 */
#ifndef GW_REST_H
#define GW_REST_H

#include <stddef.h>
#include <stdint.h>

#include "rpc_inproc.h"
#include "rpc_loop.h"

#define GW_REST_TIMEOUT_MS 10000u /* a request's deadline when it sets none */

typedef struct gw_rest gw_rest_t;
typedef struct gw_rest_call gw_rest_call_t;

/* The HTTP side's answer: status, and a JSON body[len] (malloc'd, taken). */
typedef void (*gw_rest_answer_fn)(void *arg, int status, char *body, size_t len);

/* A request, as the HTTP side read it. */
typedef struct gw_rest_req {
  const char *method;
  const char *path;         /* as sent: percent-encoded, maybe with a query */
  const char *grpc_timeout; /* the Grpc-Timeout header, or NULL */
  const char *traceparent;  /* the traceparent header, or NULL */
} gw_rest_req_t;

/* The bridge over ch (which it does not own); timeout_ms: the deadline of
 * a request that sets none (0: GW_REST_TIMEOUT_MS). NULL when out of memory. */
gw_rest_t *gw_rest_new(rpc_loop_t *loop, rpc_inproc_t *ch, uint32_t timeout_ms);

/* Ends the open calls with Unavailable, answered (503): before the HTTP
 * side is torn down, which must not hold requests then. */
void gw_rest_stop(gw_rest_t *r);

/* Frees; calls still open are dropped unanswered. */
void gw_rest_free(gw_rest_t *r);

/* Handles a request: answer(arg, ...) runs exactly once, now or later from
 * the loop, unless gw_rest_drop comes first. Returns the pending call, or
 * NULL when it was answered before this returned. */
gw_rest_call_t *gw_rest_handle(gw_rest_t *r, const gw_rest_req_t *req, gw_rest_answer_fn answer,
                               void *arg);

/* The client went away: the call is cancelled, answer never runs. */
void gw_rest_drop(gw_rest_call_t *c);

#endif /* GW_REST_H */
