/*
 * dm_opts.h - command-line options the daemons (gateway, storage, the interop
 * server) share: the server limits. The runtime (rpc/) takes limits as a
 * struct and never sees argv.
 */
#ifndef DM_OPTS_H
#define DM_OPTS_H

#include <stdio.h>

#include "rpc_server_core.h"

#define DM_VERSION "0.3 (grpc-c-embedded)"

/* "--help" (usage_to(stdout)) or "--version" ("NAME 0.3 ...") as the first
 * argument: returns 1 when it was one of them (the daemon then exits 0),
 * else 0. */
int dm_info_arg(int argc, char **argv, const char *name, int (*usage_to)(FILE *f));

/* Reads a limit option ("--max-connections N", "--max-streams N",
 * "--max-msg-bytes N", "--max-header-bytes N", "--idle-timeout-ms N" or its
 * gRPC name "--max-connection-idle-ms N", "--handshake-timeout-ms N",
 * "--request-timeout-ms N") or a keepalive one ("--keepalive-min-ms N",
 * "--[no-]keepalive-permit-without-calls", "--keepalive-ms N",
 * "--keepalive-timeout-ms N", "--max-connection-age-ms N",
 * "--max-connection-age-grace-ms N"; docs/design.md, "Keepalive") at argv[*i]
 * into lim. Returns 1 if it was one (and *i now points at its value, if it
 * takes one), 0 if not, -1 if its value is missing or not a number in
 * 1..UINT32_MAX. */
int dm_limit_arg(rpc_server_limits_t *lim, int argc, char **argv, int *i);

/* Reads "--log-format text|json" at argv[*i] and sets the log's format
 * (rpc_log.h; text, the article's lines, is the default), or "--log-calls
 * N": the routine lines of one call in N (1, the default: every call; 0:
 * none; rpc_log_set_calls). Returns 1 if it was one (*i then points at its
 * value), 0 if not, -1 if its value is missing or not one it takes. */
int dm_log_arg(int argc, char **argv, int *i);

#define DM_LOG_USAGE "[--log-format text|json] [--log-calls N]"

/* The usage text of the limit options. */
#define DM_LIMITS_USAGE                                                                            \
  "[--max-connections N] [--max-streams N] [--max-msg-bytes N] [--max-header-bytes N]\n"           \
  "       [--idle-timeout-ms N] [--handshake-timeout-ms N] [--request-timeout-ms N]\n"             \
  "       [--keepalive-min-ms N (10000)] [--[no-]keepalive-permit-without-calls (permit)]\n"       \
  "       [--keepalive-ms N (120000)] [--keepalive-timeout-ms N (20000)]\n"                        \
  "       [--max-connection-idle-ms N (300000)] [--max-connection-age-ms N (none)]\n"              \
  "       [--max-connection-age-grace-ms N (60000)]"

#endif /* DM_OPTS_H */
