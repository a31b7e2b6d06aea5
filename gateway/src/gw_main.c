/* gw_main.c - the gateway daemon's command line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_prod_service.h"
#include "rpc_log.h"
#include "rpc_workers.h"

#define DRAIN_MS 5000 /* in-flight calls get this long to finish on SIGTERM */

typedef struct gw_opts {
  const char *listen, *storage;
  uint32_t stream_delay_ms;
  int workers;
} gw_opts_t;

static int usage(void) {
  fprintf(stderr, "usage: gateway [--listen HOST:PORT] [--storage HOST:PORT] "
                  "[--stream-delay-ms N] [--workers N]\n");
  return 2;
}

static int parse_num(const char *s, unsigned long max, unsigned long *out) {
  char *end;
  *out = strtoul(s, &end, 10);
  return (*s && !*end && *out <= max) ? 0 : -1;
}

/* One event loop: the whole gateway, or one worker of it. */
static int serve(void *arg) {
  const gw_opts_t *o = arg;
  gw_service_t svc = {0};
  svc.stream_delay_ms = o->stream_delay_ms;
  rpc_loop_t *loop = rpc_loop_new();
  if (!loop) return 1;
  svc.loop = loop;
  svc.storage = rpc_channel_new(loop, o->storage);
  rpc_method_t methods[2];
  size_t n;
  gw_service_methods(&svc, methods, &n);
  rpc_server_limits_t lim = {0};
  lim.reuseport = o->workers > 1;
  rpc_server_t *srv = svc.storage ? rpc_server_new(loop, o->listen, methods, n, &lim) : NULL;
  if (!srv) {
    rpc_channel_free(svc.storage);
    rpc_loop_free(loop);
    return 1;
  }
  rpc_log("Serving gRPC on http://%s (storage at %s)", o->listen, o->storage);
  int sig = rpc_loop_run(loop);
  rpc_log("stopping (signal %d): draining open calls", sig);
  int left = rpc_server_drain(srv, DRAIN_MS);
  if (left) rpc_log("drain timeout: %d calls cut", left);
  rpc_server_free(srv);
  rpc_channel_free(svc.storage);
  gw_service_free(&svc);
  rpc_loop_free(loop);
  return 0;
}

int main(int argc, char **argv) {
  gw_opts_t o = {"127.0.0.1:8080", "127.0.0.1:6000", 0, 1};
  for (int i = 1; i < argc; i++) {
    unsigned long v;
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
      o.listen = argv[++i];
    } else if (strcmp(argv[i], "--storage") == 0 && i + 1 < argc) {
      o.storage = argv[++i];
    } else if (strcmp(argv[i], "--stream-delay-ms") == 0 && i + 1 < argc) {
      if (parse_num(argv[++i], 86400000ul, &v)) return usage();
      o.stream_delay_ms = (uint32_t)v;
    } else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
      if (parse_num(argv[++i], 256, &v) || v == 0) return usage();
      o.workers = (int)v;
    } else {
      return usage();
    }
  }
  return rpc_workers_run(o.workers, serve, &o);
}
