/*
 * activity_ceiling.c: an `echo` activity worker on our C core alone, no
 * Python. It answers every task with its own input, exactly what the Python
 * `echo` returns for one argument (the result Payloads are the input
 * Payloads). Run in the worker scenarios next to the two SDKs, it gives the
 * activity throughput the server and the peer workflow host allow (the
 * ceiling of scenario 2) and the CPU per activity of the core by itself (the
 * floor of scenario 1).
 *
 *   activity_ceiling TARGET NAMESPACE TASK_QUEUE IDLE_SECONDS
 *
 * Speaks the protocol of bench/sdk_side.py's worker: prints a JSON "ready"
 * line after IDLE_SECONDS, then answers stdin commands `begin LABEL`,
 * `end LABEL` (CPU and RSS of this process over the window) and `quit`.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "temporal_core.h"

static tcore_worker *worker;
static atomic_long completed, failed_completions;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int shut_down;

/* ---- the smallest protobuf reader that finds one field ----------------- */

static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return 0;
    }
  }
  return -1;
}

/* Finds length-delimited field `field` at the top level of a message. */
static int find_bytes(const uint8_t *msg, size_t len, uint32_t field, const uint8_t **out,
                      size_t *out_len) {
  const uint8_t *p = msg, *end = msg + len;
  while (p < end) {
    uint64_t key, n;
    if (read_varint(&p, end, &key)) return -1;
    switch (key & 7) {
    case 0:
      if (read_varint(&p, end, &n)) return -1;
      break;
    case 1:
      p += 8;
      break;
    case 5:
      p += 4;
      break;
    case 2:
      if (read_varint(&p, end, &n) || n > (uint64_t)(end - p)) return -1;
      if ((key >> 3) == field) {
        *out = p;
        *out_len = (size_t)n;
        return 0;
      }
      p += n;
      break;
    default:
      return -1;
    }
  }
  return -1;
}

/* ---- the worker ---------------------------------------------------------- */

static void on_event(void *user, const tcore_worker_event *ev) {
  (void)user;
  if (ev->kind == TCORE_WORKER_EVENT_TASK) {
    /* PollActivityTaskQueueResponse.input = 8 (Payloads): echo it back. */
    const uint8_t *input = NULL;
    size_t input_len = 0;
    if (find_bytes(ev->task, ev->task_len, 8, &input, &input_len) != 0) input_len = 0;
    if (tcore_worker_complete(worker, ev->task_token, ev->task_token_len,
                              TCORE_COMPLETION_COMPLETED, input, input_len) == TCORE_OK)
      atomic_fetch_add(&completed, 1);
    else
      atomic_fetch_add(&failed_completions, 1);
  } else if (ev->kind == TCORE_WORKER_EVENT_FATAL) {
    printf("{\"event\": \"worker_stopped\", \"error\": \"fatal: %s\"}\n",
           ev->message ? ev->message : "?");
    fflush(stdout);
    _exit(3);
  } else if (ev->kind == TCORE_WORKER_EVENT_CANCEL) {
    /* An echo finishes at once; nothing to cancel. */
  } else if (ev->kind == TCORE_WORKER_EVENT_WARNING) {
    fprintf(stderr, "activity_ceiling: warning: %s\n", ev->message ? ev->message : "");
  }
}

static void on_shutdown(void *user) {
  (void)user;
  pthread_mutex_lock(&mu);
  shut_down = 1;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
}

/* ---- measurements -------------------------------------------------------- */

static double rss_mib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  double v = -1;
  if (!f) return v;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) v = atof(line + 6) / 1024.0;
  fclose(f);
  return v;
}

static double maxrss_mib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

static void cpu(double *user, double *sys) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
  *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s TARGET NAMESPACE TASK_QUEUE IDLE_SECONDS\n", argv[0]);
    return 2;
  }
  double t0 = now_s();
  tcore_error err;
  tcore_runtime *rt = NULL;
  tcore_client *client = NULL;
  tcore_client_options *co = NULL;
  tcore_worker_options *wo = NULL;
  if (tcore_runtime_new(&rt, &err) != TCORE_OK) goto fail;
  tcore_client_options_new(&co);
  tcore_client_options_set_target(co, argv[1]);
  tcore_client_options_set_namespace(co, argv[2]);
  tcore_client_options_set_client_info(co, "temporal-c-bench", "0.1.0");
  if (tcore_client_new(rt, co, &client, &err) != TCORE_OK) goto fail;
  tcore_client_options_free(co);
  tcore_worker_options_new(&wo);
  tcore_worker_options_set_task_queue(wo, argv[3]);
  tcore_worker_options_set_max_concurrent_activities(wo, 100);
  tcore_worker_options_set_event_callback(wo, on_event, NULL);
  if (tcore_worker_new(client, wo, &worker, &err) != TCORE_OK) goto fail;
  tcore_worker_options_free(wo);
  if (tcore_worker_start(worker) != TCORE_OK) {
    snprintf(err.message, sizeof err.message, "tcore_worker_start failed");
    goto fail;
  }
  double startup = now_s() - t0;
  double idle = atof(argv[4]);
  struct timespec ts = {(time_t)idle, (long)((idle - (double)(time_t)idle) * 1e9)};
  nanosleep(&ts, NULL);
  printf("{\"event\": \"ready\", \"idle_rss_mib\": %.3f, \"maxrss_mib\": %.3f, "
         "\"startup_s\": %.4f, \"pid\": %ld}\n",
         rss_mib(), maxrss_mib(), startup, (long)getpid());
  fflush(stdout);

  char line[256], label[200];
  double u0 = 0, s0 = 0, w0 = 0;
  long c0 = 0;
  while (fgets(line, sizeof line, stdin)) {
    label[0] = 0;
    if (sscanf(line, "begin %199s", label) == 1) {
      cpu(&u0, &s0);
      w0 = now_s();
      c0 = atomic_load(&completed);
      printf("{\"event\": \"begun\", \"label\": \"%s\"}\n", label);
    } else if (sscanf(line, "end %199s", label) == 1) {
      double u1, s1;
      cpu(&u1, &s1);
      printf("{\"event\": \"ended\", \"label\": \"%s\", \"cpu_s\": %.6f, \"user_s\": %.6f, "
             "\"sys_s\": %.6f, \"wall_s\": %.4f, \"maxrss_mib\": %.3f, \"rss_mib\": %.3f, "
             "\"completed\": %ld, \"failed_completions\": %ld}\n",
             label, (u1 - u0) + (s1 - s0), u1 - u0, s1 - s0, now_s() - w0, maxrss_mib(),
             rss_mib(), atomic_load(&completed) - c0, atomic_load(&failed_completions));
    } else if (strncmp(line, "quit", 4) == 0) {
      break;
    }
    fflush(stdout);
  }
  tcore_worker_shutdown(worker, on_shutdown, NULL);
  pthread_mutex_lock(&mu);
  while (!shut_down) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  tcore_worker_free(worker);
  tcore_client_free(client);
  tcore_runtime_free(rt);
  printf("{\"event\": \"bye\"}\n");
  fflush(stdout);
  return 0;

fail:
  for (char *c = err.message; *c; c++) /* keep the line valid JSON */
    if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) *c = ' ';
  printf("{\"event\": \"startup_failed\", \"error\": \"%s\"}\n", err.message);
  fflush(stdout);
  return 1;
}
