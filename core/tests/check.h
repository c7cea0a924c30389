/* check.h: a tiny test harness for the core's C tests. */
#ifndef TCORE_CHECK_H
#define TCORE_CHECK_H
#include <stdio.h>
#include <stdlib.h>

static int check_failures, check_passes;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) {                                                                \
      check_passes++;                                                          \
    } else {                                                                   \
      check_failures++;                                                        \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

#define RUN(test)                                 \
  do {                                            \
    int before = check_failures;                  \
    test();                                       \
    printf("%s %s\n", before == check_failures ? "ok  " : "FAIL", #test); \
  } while (0)

static int check_summary(void) {
  printf("%d passed, %d failed\n", check_passes, check_failures);
  return check_failures ? 1 : 0;
}
#endif
