/* tap.h - the smallest test helper: CHECK records a failure with its line,
 * tap_done prints the total and gives the exit status. */
#ifndef TAP_H
#define TAP_H
#include <stdio.h>

static int tap_fail, tap_n;
#define CHECK(cond)                                                                                \
  do {                                                                                             \
    tap_n++;                                                                                       \
    if (!(cond)) {                                                                                 \
      tap_fail++;                                                                                  \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                     \
    }                                                                                              \
  } while (0)

static inline int tap_done(const char *name) {
  printf("%s: %d checks, %d failed\n", name, tap_n, tap_fail);
  return tap_fail ? 1 : 0;
}
#endif
