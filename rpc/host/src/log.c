/* log.c - timestamped lines on stderr. While an event loop runs, the lines
 * of one loop turn are gathered and written with one write() at its end
 * (rpc_log_flush); otherwise each line is written at once. Whole lines only,
 * so lines of concurrent processes never interleave mid-line. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "rpc_log.h"

static char pending[16384];
static size_t pending_len;
static int gathering;

static void put(const char *p, size_t n) {
  while (n) {
    ssize_t w = write(2, p, n);
    if (w <= 0) return; /* stderr gone: nothing better to do */
    p += w;
    n -= (size_t)w;
  }
}

void rpc_log_flush(void) {
  put(pending, pending_len);
  pending_len = 0;
}

void rpc_log_gather(int on) {
  if (!on) rpc_log_flush();
  gathering = on;
}

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
  if (!gathering) {
    put(line, n);
    return;
  }
  if (pending_len + n > sizeof(pending)) rpc_log_flush();
  memcpy(pending + pending_len, line, n);
  pending_len += n;
}
