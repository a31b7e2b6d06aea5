/* dm_opts.c - see dm_opts.h. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dm_opts.h"

int dm_limit_arg(rpc_server_limits_t *lim, int argc, char **argv, int *i) {
  static const struct {
    const char *flag;
    size_t off;
  } opts[] = {
      {"--max-connections", offsetof(rpc_server_limits_t, max_connections)},
      {"--max-streams", offsetof(rpc_server_limits_t, max_streams)},
      {"--max-msg-bytes", offsetof(rpc_server_limits_t, max_recv_msg)},
      {"--max-header-bytes", offsetof(rpc_server_limits_t, max_header_list)},
      {"--idle-timeout-ms", offsetof(rpc_server_limits_t, idle_timeout_ms)},
      {"--handshake-timeout-ms", offsetof(rpc_server_limits_t, handshake_timeout_ms)},
      {"--request-timeout-ms", offsetof(rpc_server_limits_t, request_timeout_ms)},
  };
  for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
    if (strcmp(argv[*i], opts[k].flag) != 0) continue;
    if (*i + 1 >= argc) return -1;
    char *end;
    const char *v = argv[++*i];
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || n == 0 || n > UINT32_MAX) return -1;
    *(uint32_t *)(void *)((char *)lim + opts[k].off) = (uint32_t)n;
    return 1;
  }
  return 0;
}
