/* dm_opts.c - see dm_opts.h. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dm_opts.h"
#include "rpc_log.h"

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
      /* grpc-go's MaxConnectionIdle is the idle timeout under its gRPC name */
      {"--max-connection-idle-ms", offsetof(rpc_server_limits_t, idle_timeout_ms)},
      {"--keepalive-min-ms", offsetof(rpc_server_limits_t, keepalive_min_ms)},
      {"--keepalive-ms", offsetof(rpc_server_limits_t, keepalive_ms)},
      {"--keepalive-timeout-ms", offsetof(rpc_server_limits_t, keepalive_timeout_ms)},
      {"--max-connection-age-ms", offsetof(rpc_server_limits_t, max_age_ms)},
      {"--max-connection-age-grace-ms", offsetof(rpc_server_limits_t, max_age_grace_ms)},
  };
  /* the one switch: idle PINGs are allowed unless the strict policy is asked for */
  if (strcmp(argv[*i], "--keepalive-permit-without-calls") == 0) {
    lim->keepalive_strict = 0;
    return 1;
  }
  if (strcmp(argv[*i], "--no-keepalive-permit-without-calls") == 0) {
    lim->keepalive_strict = 1;
    return 1;
  }
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

int dm_info_arg(int argc, char **argv, const char *name, int (*usage_to)(FILE *f)) {
  if (argc < 2) return 0;
  if (strcmp(argv[1], "--help") == 0) {
    usage_to(stdout);
    return 1;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("%s %s\n", name, DM_VERSION);
    return 1;
  }
  return 0;
}

int dm_log_arg(int argc, char **argv, int *i) {
  if (strcmp(argv[*i], "--log-calls") == 0) {
    if (*i + 1 >= argc) return -1;
    char *end;
    const char *v = argv[++*i];
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || n > 1000000) return -1;
    rpc_log_set_calls((uint32_t)n);
    return 1;
  }
  if (strcmp(argv[*i], "--log-format") != 0) return 0;
  if (*i + 1 >= argc) return -1;
  const char *v = argv[++*i];
  if (strcmp(v, "text") == 0)
    rpc_log_set_format(RPC_LOG_TEXT);
  else if (strcmp(v, "json") == 0)
    rpc_log_set_format(RPC_LOG_JSON);
  else
    return -1;
  return 1;
}
