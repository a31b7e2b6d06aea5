/* log.c - timestamped lines on stderr, written in one write() each so that
 * lines of concurrent processes do not interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "rpc_log.h"

void rpc_log(const char *fmt, ...) {
  char line[1024];
  struct timeval tv;
  struct tm tm;
  /* the date and time change once a second: format them once a second */
  static time_t cached_sec = -1;
  static char cached[32];
  static size_t cached_len;
  gettimeofday(&tv, NULL);
  if (tv.tv_sec != cached_sec) {
    localtime_r(&tv.tv_sec, &tm);
    cached_len = strftime(cached, sizeof(cached), "%Y/%m/%d %H:%M:%S", &tm);
    cached_sec = tv.tv_sec;
  }
  memcpy(line, cached, cached_len);
  size_t n = cached_len;
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
