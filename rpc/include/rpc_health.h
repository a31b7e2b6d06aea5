/*
 * rpc_health.h - grpc.health.v1.Health (Check and Watch) for a server: a few
 * named services with a status each; Watch streams every change.
 */
#ifndef RPC_HEALTH_H
#define RPC_HEALTH_H

#include "rpc_server_core.h"

enum { RPC_HEALTH_UNKNOWN = 0, RPC_HEALTH_SERVING = 1, RPC_HEALTH_NOT_SERVING = 2 };

#define RPC_HEALTH_MAX_SERVICES 4

typedef struct rpc_health {
  struct {
    const char *name; /* "" is the server as a whole */
    int status;
  } svc[RPC_HEALTH_MAX_SERVICES];
  int n;
  struct rpc_health_watch *watchers;
} rpc_health_t;

/* Fills out[] (room for 2) with the Check and Watch methods over h, every
 * field they do not use zero, and sets *n to the count. */
void rpc_health_methods(rpc_health_t *h, rpc_method_t *out, size_t *n);

/* Sets a service's status (adding it if new; name is kept by reference) and
 * tells its watchers when it changed. */
void rpc_health_set(rpc_health_t *h, const char *name, int status);

/* Ends the open Watch calls (before the server goes). */
void rpc_health_free(rpc_health_t *h);

#endif /* RPC_HEALTH_H */
