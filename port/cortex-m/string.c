/* string.c - a small strstr in place of the C library's. newlib-nano's is
 * the two-way algorithm, tuned for long texts: with the strnlen it calls,
 * about 1 KB of flash. Here strstr only finds PEM armour ("-----BEGIN ...")
 * in the few certificate and key files mbedtls and fc_tls.c read at start,
 * so the plain search is fast enough; the bytes went to the CLI's
 * --traceparent (docs/footprint.md). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

char *strstr(const char *hay, const char *needle) {
  for (;; hay++) {
    size_t i = 0;
    while (needle[i] && hay[i] == needle[i])
      i++;
    if (!needle[i]) return (char *)(uintptr_t)hay;
    if (!hay[i]) return NULL; /* the text ended inside a match: none further on */
  }
}
