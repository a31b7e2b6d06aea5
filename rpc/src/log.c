/* log.c - timestamped lines on stderr, written in one write() each so that
 * lines of concurrent processes do not interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "rpc_log.h"

void rpc_log(const char *fmt, ...) {
  char line[1024];
  struct timeval tv;
  struct tm tm;
  gettimeofday(&tv, NULL);
  localtime_r(&tv.tv_sec, &tm);
  size_t n = strftime(line, sizeof(line), "%Y/%m/%d %H:%M:%S", &tm);
  n += (size_t)snprintf(line + n, sizeof(line) - n, ".%06ld ", (long)tv.tv_usec);
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
  va_end(ap);
  if (k < 0) return;
  size_t end = n + ((size_t)k < sizeof(line) - n - 1 ? (size_t)k : sizeof(line) - n - 2);
  /* a value from the wire never starts a forged log line */
  for (size_t i = n; i < end; i++)
    if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) line[i] = '?';
  n = end;
  line[n++] = '\n';
  ssize_t w = write(2, line, n);
  (void)w;
}
