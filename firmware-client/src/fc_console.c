/* fc_console.c - see fc_console.h. */
#include <stdarg.h>
#include <stdio.h>

#include "fc_console.h"
#include "port.h"

/* one line at a time, for both: RAM is short on the small boards */
static char line[512];

void fc_say(int stream, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof(line)) n = (int)sizeof(line) - 1;
  port_console_write(stream, line, (size_t)n);
}

void fc_say_strs(int stream, const char *const *parts) {
  size_t n = 0;
  for (const char *p; (p = *parts++) != NULL;)
    while (*p && n < sizeof(line) - 1) /* bytes, not strlen + memcpy: smaller */
      line[n++] = *p++;
  port_console_write(stream, line, n);
}
