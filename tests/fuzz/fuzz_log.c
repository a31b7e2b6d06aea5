/* fuzz_log.c - rpc_log for the fuzzers, linked instead of rpc/host/src/log.c: the
 * line is still formatted (so a bad argument is still caught by the
 * sanitizers) but only printed when FUZZ_LOG is set in the environment, since
 * a daemon logs every request and fuzzers make millions. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_log.h"

static int verbose(void) {
  static int v = -1;
  if (v < 0) v = getenv("FUZZ_LOG") != NULL;
  return v;
}

static void vlog(const char *fmt, va_list ap) {
  char line[1024];
  vsnprintf(line, sizeof(line), fmt, ap);
  if (verbose()) fprintf(stderr, "rpc_log: %s\n", line);
}

void rpc_log(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(fmt, ap);
  va_end(ap);
}

void rpc_log_at(rpc_log_level_t level, const char *fmt, ...) {
  (void)level;
  va_list ap;
  va_start(ap, fmt);
  vlog(fmt, ap);
  va_end(ap);
}

/* A call's line: its fields are read (a bad pointer is still caught). */
void rpc_log_emit(const rpc_log_call_t *call, rpc_log_level_t level, const char *msg) {
  size_t n = strlen(msg);
  if (call) {
    const char *f[] = {call->trace_id, call->span_id, call->parent_id,
                       call->method,   call->peer,    call->device};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
      if (f[i]) n += strlen(f[i]);
  }
  if (verbose()) fprintf(stderr, "rpc_log %d (%zu): %s\n", (int)level, n, msg);
}

static rpc_log_format_t format = RPC_LOG_TEXT;

void rpc_log_set_format(rpc_log_format_t f) {
  format = f;
}

rpc_log_format_t rpc_log_format(void) {
  return format;
}

/* every call's lines: the formatting is what the fuzzers exercise */
void rpc_log_set_calls(uint32_t every) {
  (void)every;
}

uint32_t rpc_log_calls(void) {
  return 1;
}

/* The loop gathers log lines per turn; here nothing is kept to gather. */
void rpc_log_gather(int on) {
  (void)on;
}

void rpc_log_flush(void) {}
