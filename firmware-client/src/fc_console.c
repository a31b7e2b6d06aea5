/* fc_console.c - see fc_console.h. */
#include <stdarg.h>
#include <stdio.h>

#include "fc_console.h"
#include "port.h"

void fc_say(int stream, const char *fmt, ...) {
  static char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof(line)) n = (int)sizeof(line) - 1;
  port_console_write(stream, line, (size_t)n);
}
