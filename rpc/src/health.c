/* health.c - grpc.health.v1.Health on the server core, on the skeleton
 * tools/protoc-gen-fc generates (build/gen/health.srv.h): I/O-free, it only
 * uses the rpc_scall_* calls of rpc_server_core.h. */
#include <stdlib.h>
#include <string.h>

#include "rpc_health.h"

typedef struct rpc_health_watch {
  rpc_scall_t *call;
  int svc; /* index in h->svc */
  int last;
  struct rpc_health_watch *next;
} watch_t;

static int find(const rpc_health_t *h, const char *name) {
  for (int i = 0; i < h->n; i++)
    if (strcmp(h->svc[i].name, name) == 0) return i;
  return -1;
}

static grpc_health_v1_HealthCheckResponse status_msg(int status) {
  grpc_health_v1_HealthCheckResponse r = {(grpc_health_v1_HealthCheckResponse_ServingStatus)status};
  return r;
}

static void send_status(rpc_scall_t *call, int status) {
  grpc_health_v1_HealthCheckResponse r = status_msg(status);
  grpc_health_v1_Health_Watch_send(call, &r);
}

static void check(rpc_scall_t *call, const grpc_health_v1_HealthCheckRequest *in, void *ud) {
  rpc_health_t *h = ud;
  int i = find(h, in->service);
  if (i < 0) {
    rpc_scall_finish(call, RPC_CODE_NOT_FOUND, "unknown service");
    return;
  }
  grpc_health_v1_HealthCheckResponse r = status_msg(h->svc[i].status);
  grpc_health_v1_Health_Check_reply(call, &r);
}

static void watch(rpc_scall_t *call, const grpc_health_v1_HealthCheckRequest *in, void *ud) {
  rpc_health_t *h = ud;
  int i = find(h, in->service);
  watch_t *w = calloc(1, sizeof(*w));
  if (!w || i < 0) {
    free(w);
    /* the protocol: an unknown service is reported, not refused, on Watch */
    send_status(call, 3 /* SERVICE_UNKNOWN */);
    if (!w)
      rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, "out of memory");
    else
      rpc_scall_finish(call, RPC_CODE_OK, NULL);
    return;
  }
  w->call = call;
  w->svc = i;
  w->last = h->svc[i].status;
  w->next = h->watchers;
  h->watchers = w;
  rpc_scall_set_user(call, w);
  send_status(call, w->last);
}

static void unlink_watch(rpc_health_t *h, watch_t *w) {
  for (watch_t **p = &h->watchers; *p; p = &(*p)->next) {
    if (*p == w) {
      *p = w->next;
      break;
    }
  }
  free(w);
}

static void watch_end(rpc_scall_t *call, rpc_end_t why, void *ud) {
  (void)why;
  watch_t *w = rpc_scall_user(call);
  if (w) unlink_watch(ud, w);
}

void rpc_health_methods(rpc_health_t *h, rpc_method_t *out, size_t *n) {
  memset(&h->handlers, 0, sizeof(h->handlers));
  h->handlers.Check = check;
  h->handlers.Watch = watch;
  h->handlers.Watch_end = watch_end;
  h->handlers.ud = h;
  *n = grpc_health_v1_Health_methods(out, &h->handlers);
}

void rpc_health_set(rpc_health_t *h, const char *name, int status) {
  int i = find(h, name);
  if (i < 0) {
    if (h->n == RPC_HEALTH_MAX_SERVICES) return;
    i = h->n++;
    h->svc[i].name = name;
  }
  h->svc[i].status = status;
  for (watch_t *w = h->watchers; w; w = w->next) {
    if (w->svc == i && w->last != status) {
      w->last = status;
      send_status(w->call, status);
    }
  }
}

void rpc_health_free(rpc_health_t *h) {
  while (h->watchers) {
    watch_t *w = h->watchers;
    rpc_scall_set_user(w->call, NULL);
    rpc_scall_finish(w->call, RPC_CODE_UNAVAILABLE, "the server is shutting down");
    unlink_watch(h, w);
  }
}
