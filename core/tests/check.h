/* check.h: a tiny test harness for the core's C tests. */
#ifndef TCORE_CHECK_H
#define TCORE_CHECK_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

static inline void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* A loopback port nothing listens on (bound, then closed). */
static inline int closed_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, (struct sockaddr *)&a, sizeof a);
  socklen_t n = sizeof a;
  getsockname(s, (struct sockaddr *)&a, &n);
  close(s);
  return ntohs(a.sin_port);
}

static int check_summary(void) {
  printf("%d passed, %d failed\n", check_passes, check_failures);
  return check_failures ? 1 : 0;
}
#endif
