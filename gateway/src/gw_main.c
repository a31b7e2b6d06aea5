/* gw_main.c - the gateway daemon's command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_prod_service.h"
#include "rpc_log.h"

#define DRAIN_MS 5000 /* in-flight calls get this long to finish on SIGTERM */

static int usage(void) {
  fprintf(stderr, "usage: gateway [--listen HOST:PORT] [--storage HOST:PORT] "
                  "[--stream-delay-ms N]\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *listen = "127.0.0.1:8080", *storage = "127.0.0.1:6000";
  gw_service_t svc = {0};
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
      listen = argv[++i];
    } else if (strcmp(argv[i], "--storage") == 0 && i + 1 < argc) {
      storage = argv[++i];
    } else if (strcmp(argv[i], "--stream-delay-ms") == 0 && i + 1 < argc) {
      char *end;
      unsigned long v = strtoul(argv[++i], &end, 10);
      if (*end || v > 86400000ul) return usage();
      svc.stream_delay_ms = (uint32_t)v;
    } else {
      return usage();
    }
  }
  rpc_loop_t *loop = rpc_loop_new();
  if (!loop) return 1;
  svc.loop = loop;
  svc.storage = rpc_channel_new(loop, storage);
  rpc_method_t methods[2];
  size_t n;
  gw_service_methods(&svc, methods, &n);
  rpc_server_t *srv = svc.storage ? rpc_server_new(loop, listen, methods, n, NULL) : NULL;
  if (!srv) {
    rpc_channel_free(svc.storage);
    rpc_loop_free(loop);
    return 1;
  }
  rpc_log("Serving gRPC on http://%s (storage at %s)", listen, storage);
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
