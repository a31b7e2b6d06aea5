/* fuzz_log.c - rpc_log for the fuzzers, linked instead of rpc/host/src/log.c: the
 * line is still formatted (so a bad argument is still caught by the
 * sanitizers) but only printed when FUZZ_LOG is set in the environment, since
 * a daemon logs every request and fuzzers make millions. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "rpc_log.h"

void rpc_log(const char *fmt, ...) {
  static int verbose = -1;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  if (verbose < 0) verbose = getenv("FUZZ_LOG") != NULL;
  if (verbose) fprintf(stderr, "rpc_log: %s\n", line);
}

/* The loop gathers log lines per turn; here nothing is kept to gather. */
void rpc_log_gather(int on) {
  (void)on;
}

void rpc_log_flush(void) {}
