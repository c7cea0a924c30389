/* runtime.c: the runtime's two threads.
 *
 * The completion-queue thread blocks in grpc_completion_queue_next and runs
 * each finished operation's `done`. gRPC's C API has no way to post our own
 * events or timers onto a completion queue, so a second thread fires timers
 * (retry backoff, heartbeat throttling, poll backoff, shutdown grace). Both
 * threads run core code only; neither ever touches a language runtime.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <grpc/support/log.h>

#include "internal.h"

int64_t tcore_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tcore_fail(tcore_error *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

char *tcore_strdup(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

double tcore_random_unit(void) {
  static _Thread_local uint64_t state;
  if (state == 0) state = (uint64_t)tcore_now_ms() * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)&state;
  state ^= state << 13; /* xorshift64 */
  state ^= state >> 7;
  state ^= state << 17;
  return (double)(state >> 11) / 9007199254740992.0;
}

const char *tcore_strerror(int code) {
  switch (code) {
    case TCORE_OK: return "ok";
    case TCORE_ERR_INVALID_ARGUMENT: return "invalid argument";
    case TCORE_ERR_NOMEM: return "out of memory";
    case TCORE_ERR_CLOSED: return "closed";
    case TCORE_ERR_FORKED: return "used in a forked child process";
    case TCORE_ERR_INTERNAL: return "internal error";
    case TCORE_ERR_NOT_FOUND: return "no such task";
    default: return "unknown error";
  }
}

/* ---- timers ---------------------------------------------------------- */

static void timer_unlink(tcore_runtime *rt, tcore_timer *t) {
  for (tcore_timer **p = &rt->timers; *p; p = &(*p)->next) {
    if (*p == t) {
      *p = t->next;
      break;
    }
  }
  t->armed = 0;
  t->next = NULL;
}

void tcore_timer_start(tcore_runtime *rt, tcore_timer *t, int64_t delay_ms) {
  pthread_mutex_lock(&rt->mu);
  if (t->armed) timer_unlink(rt, t);
  t->due_ms = tcore_now_ms() + (delay_ms > 0 ? delay_ms : 0);
  tcore_timer **p = &rt->timers;
  while (*p && (*p)->due_ms <= t->due_ms) p = &(*p)->next;
  t->next = *p;
  *p = t;
  t->armed = 1;
  if (rt->timers == t) pthread_cond_signal(&rt->cv);
  pthread_mutex_unlock(&rt->mu);
}

int tcore_timer_cancel(tcore_runtime *rt, tcore_timer *t) {
  pthread_mutex_lock(&rt->mu);
  int was = t->armed;
  if (was) timer_unlink(rt, t);
  pthread_mutex_unlock(&rt->mu);
  return was;
}

static void *timer_main(void *arg) {
  tcore_runtime *rt = arg;
  pthread_mutex_lock(&rt->mu);
  while (!rt->stopping) {
    if (!rt->timers) {
      pthread_cond_wait(&rt->cv, &rt->mu);
      continue;
    }
    int64_t now = tcore_now_ms();
    tcore_timer *t = rt->timers;
    if (t->due_ms > now) {
      struct timespec ts;
      ts.tv_sec = t->due_ms / 1000;
      ts.tv_nsec = (t->due_ms % 1000) * 1000000;
      pthread_cond_timedwait(&rt->cv, &rt->mu, &ts);
      continue;
    }
    timer_unlink(rt, t);
    pthread_mutex_unlock(&rt->mu);
    t->fire(t); /* without the lock: it may arm timers itself */
    pthread_mutex_lock(&rt->mu);
  }
  pthread_mutex_unlock(&rt->mu);
  return NULL;
}

/* ---- completion queue ----------------------------------------------- */

static void *cq_main(void *arg) {
  tcore_runtime *rt = arg;
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(rt->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
    if (ev.type == GRPC_OP_COMPLETE) {
      tcore_op *op = ev.tag;
      op->done(op, ev.success);
    }
  }
  return NULL;
}

/* grpc's own log lines go nowhere unless asked for (tcore_set_log_level):
 * errors reach users as statuses, not as stderr noise. TCORE_GRPC_LOG=1
 * keeps grpc's own logger instead. */
static _Atomic int log_level = TCORE_LOG_OFF;

static int severity_level(gpr_log_severity s) {
  switch (s) {
    case GPR_LOG_SEVERITY_ERROR:
      return TCORE_LOG_ERROR;
    case GPR_LOG_SEVERITY_INFO:
      return TCORE_LOG_INFO;
    default:
      return TCORE_LOG_DEBUG;
  }
}

static void filtered_log(gpr_log_func_args *args) {
  int level = severity_level(args->severity);
  if (level > log_level) return;
  static const char *names[] = {"OFF", "ERROR", "INFO", "DEBUG"};
  /* One fprintf per line: stdio locks the stream, so lines from several
   * grpc threads do not interleave. */
  fprintf(stderr, "%s grpc %s:%d] %s\n", names[level], args->file ? args->file : "?",
          args->line, args->message ? args->message : "");
}

static int grpc_log_env(void) {
  const char *log = getenv("TCORE_GRPC_LOG");
  return log && strcmp(log, "1") == 0;
}

void tcore_set_log_level(tcore_log_level level) {
  int l = (int)level;
  if (l < TCORE_LOG_OFF) l = TCORE_LOG_OFF;
  if (l > TCORE_LOG_DEBUG) l = TCORE_LOG_DEBUG;
  log_level = l;
  if (grpc_log_env()) return;
  gpr_set_log_function(filtered_log);
  /* grpc only formats lines at or above its verbosity: lower it to what
   * is asked for (ERROR is grpc's own default). */
  gpr_set_log_verbosity(l >= TCORE_LOG_DEBUG  ? GPR_LOG_SEVERITY_DEBUG
                        : l >= TCORE_LOG_INFO ? GPR_LOG_SEVERITY_INFO
                                              : GPR_LOG_SEVERITY_ERROR);
}

int tcore_runtime_forked(const tcore_runtime *rt) { return getpid() != rt->pid; }

int tcore_runtime_new(tcore_runtime **out, tcore_error *err) {
  *out = NULL;
  tcore_runtime *rt = calloc(1, sizeof *rt);
  if (!rt) return tcore_fail(err, TCORE_ERR_NOMEM, "out of memory");
  if (!grpc_log_env()) gpr_set_log_function(filtered_log);
  grpc_init();
  rt->pid = getpid();
  rt->cq = grpc_completion_queue_create_for_next(NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&rt->cv, &ca);
  pthread_cond_init(&rt->clients_cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&rt->mu, NULL);
  if (pthread_create(&rt->cq_thread, NULL, cq_main, rt) != 0) goto fail_cq;
  if (pthread_create(&rt->timer_thread, NULL, timer_main, rt) != 0) goto fail_timer;
  *out = rt;
  return TCORE_OK;

fail_timer:
  grpc_completion_queue_shutdown(rt->cq);
  pthread_join(rt->cq_thread, NULL);
fail_cq:
  grpc_completion_queue_destroy(rt->cq);
  pthread_mutex_destroy(&rt->mu);
  pthread_cond_destroy(&rt->cv);
  pthread_cond_destroy(&rt->clients_cv);
  grpc_shutdown();
  free(rt);
  return tcore_fail(err, TCORE_ERR_INTERNAL, "cannot start runtime thread: %s", strerror(errno));
}

void tcore_runtime_client_added(tcore_runtime *rt) {
  pthread_mutex_lock(&rt->mu);
  rt->clients++;
  pthread_mutex_unlock(&rt->mu);
}

void tcore_runtime_client_removed(tcore_runtime *rt) {
  pthread_mutex_lock(&rt->mu);
  if (--rt->clients == 0) pthread_cond_broadcast(&rt->clients_cv);
  pthread_mutex_unlock(&rt->mu);
}

/* How long tcore_runtime_free waits for clients still alive (their calls
 * cancelled but not yet called back, or a worker still shutting down). */
#define CLIENTS_WAIT_MS 30000

void tcore_runtime_free(tcore_runtime *rt) {
  if (!rt) return;
  /* In a forked child the threads do not exist and grpc's state is the
   * parent's: touching either could hang. Leave it all alone. */
  if (tcore_runtime_forked(rt)) return;
  pthread_mutex_lock(&rt->mu);
  /* Clients freed by the user may still live on for their last calls (the
   * threads below deliver those, retry timers included); wait for them. */
  int64_t until = tcore_now_ms() + CLIENTS_WAIT_MS;
  while (rt->clients > 0 && tcore_now_ms() < until) {
    struct timespec ts;
    ts.tv_sec = until / 1000;
    ts.tv_nsec = (until % 1000) * 1000000;
    pthread_cond_timedwait(&rt->clients_cv, &rt->mu, &ts);
  }
  if (rt->clients > 0) {
    /* Still in use (a client never freed, or a worker never shut down):
     * freeing would pull the threads from under it. Leave it all, as in a
     * forked child. */
    pthread_mutex_unlock(&rt->mu);
    return;
  }
  rt->stopping = 1;
  pthread_cond_signal(&rt->cv);
  pthread_mutex_unlock(&rt->mu);
  pthread_join(rt->timer_thread, NULL);
  grpc_completion_queue_shutdown(rt->cq);
  pthread_join(rt->cq_thread, NULL);
  grpc_completion_queue_destroy(rt->cq);
  pthread_mutex_destroy(&rt->mu);
  pthread_cond_destroy(&rt->cv);
  pthread_cond_destroy(&rt->clients_cv);
  /* Blocking: grpc joins its own threads before this returns, so nothing
   * of it outlives the runtime (and valgrind sees no thread left). */
  grpc_shutdown_blocking();
  free(rt);
}
