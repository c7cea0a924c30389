/* internal.h: what the core's files share; not part of the public API. */
#ifndef TCORE_INTERNAL_H
#define TCORE_INTERNAL_H

#include <grpc/grpc.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "temporal_core.h"

/* Something put on the completion queue as a tag. `done` runs on the
 * completion-queue thread with grpc's success flag. */
typedef struct tcore_op {
  void (*done)(struct tcore_op *op, int success);
} tcore_op;

/* A one-shot timer fired on the runtime's timer thread. Owned by its user,
 * which must keep it alive while armed. */
typedef struct tcore_timer {
  int64_t due_ms;
  void (*fire)(struct tcore_timer *t);
  struct tcore_timer *next;
  int armed;
} tcore_timer;

struct tcore_runtime {
  grpc_completion_queue *cq;
  pthread_t cq_thread;
  pthread_t timer_thread;
  pthread_mutex_t mu; /* guards the timer list and `stopping` */
  pthread_cond_t cv;
  pthread_cond_t clients_cv; /* signalled when `clients` drops to 0 */
  tcore_timer *timers; /* sorted by due time */
  int stopping;
  int clients; /* clients not yet destroyed (mu): tcore_runtime_free waits for 0 */
  pid_t pid;   /* the process that made the runtime (fork detection) */
};

/* A client (or a replay worker, which has none) of `rt` was made /
 * destroyed (its memory is gone). Any thread. */
void tcore_runtime_client_added(tcore_runtime *rt);
void tcore_runtime_client_removed(tcore_runtime *rt);

/* Monotonic milliseconds. */
int64_t tcore_now_ms(void);

/* Arms (or re-arms) `t` to fire `delay_ms` from now. */
void tcore_timer_start(tcore_runtime *rt, tcore_timer *t, int64_t delay_ms);
/* Disarms `t`; returns 1 if it was armed (and so will not fire). */
int tcore_timer_cancel(tcore_runtime *rt, tcore_timer *t);

/* Whether this process is not the one that made the runtime. */
int tcore_runtime_forked(const tcore_runtime *rt);

/* Sets err (if not NULL) and returns code. printf-style message. */
int tcore_fail(tcore_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A uniformly distributed double in [0, 1), thread-safe. */
double tcore_random_unit(void);

/* Duplicates a NUL-terminated string; NULL stays NULL. */
char *tcore_strdup(const char *s);

#endif
