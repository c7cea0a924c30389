/*
 * start_ceiling.c: how many StartWorkflowExecution calls per second the server
 * takes from the cheapest client there is (our C core alone, no Python), and
 * the floor of start latency (sequential calls).
 *
 *   start_ceiling TARGET NAMESPACE TASK_QUEUE SEQUENTIAL TOTAL IN_FLIGHT
 *
 * Starts SEQUENTIAL workflows one at a time (latency p50/p99), then TOTAL
 * more with IN_FLIGHT calls outstanding at any time (starts/s). Every workflow
 * is a "KitchenSink" with input {"actions":[]} (it just returns) on
 * TASK_QUEUE, exactly as the SDK scenario starts them. The request is encoded
 * by hand (a handful of protobuf fields), so this depends only on the public
 * header. Prints one JSON line; exit 0 when every call succeeded.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "temporal_core.h"

#define METHOD "/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution"
#define INPUT_JSON "{\"actions\":[]}"

/* ---- minimal protobuf writer ------------------------------------------- */

typedef struct {
  uint8_t buf[1024];
  size_t len;
} pbuf;

static void put_varint(pbuf *b, uint64_t v) {
  while (v >= 0x80) {
    b->buf[b->len++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  b->buf[b->len++] = (uint8_t)v;
}

static void put_bytes(pbuf *b, int field, const void *data, size_t n) {
  put_varint(b, ((uint64_t)field << 3) | 2);
  put_varint(b, n);
  memcpy(b->buf + b->len, data, n);
  b->len += n;
}

static void put_str(pbuf *b, int field, const char *s) { put_bytes(b, field, s, strlen(s)); }

static void put_msg(pbuf *b, int field, const pbuf *m) { put_bytes(b, field, m->buf, m->len); }

static void put_uint(pbuf *b, int field, uint64_t v) {
  put_varint(b, ((uint64_t)field << 3) | 0);
  put_varint(b, v);
}

/* StartWorkflowExecutionRequest: namespace=1, workflow_id=2, workflow_type=3
 * {name=1}, task_queue=4 {name=1, kind=2 (NORMAL=1)}, input=5 {payloads=1
 * {metadata=1 map<string,bytes>, data=2}}, identity=9, request_id=10. */
static void encode_start(pbuf *out, const char *ns, const char *wid, const char *tq,
                         const char *identity, const char *request_id) {
  pbuf wt = {.len = 0}, q = {.len = 0}, entry = {.len = 0}, payload = {.len = 0},
       payloads = {.len = 0};
  put_str(&wt, 1, "KitchenSink");
  put_str(&q, 1, tq);
  put_uint(&q, 2, 1);
  put_str(&entry, 1, "encoding");
  put_str(&entry, 2, "json/plain");
  put_msg(&payload, 1, &entry);
  put_str(&payload, 2, INPUT_JSON);
  put_msg(&payloads, 1, &payload);
  out->len = 0;
  put_str(out, 1, ns);
  put_str(out, 2, wid);
  put_msg(out, 3, &wt);
  put_msg(out, 4, &q);
  put_msg(out, 5, &payloads);
  put_str(out, 9, identity);
  put_str(out, 10, request_id);
}

/* ---- the run ------------------------------------------------------------- */

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  tcore_client *client;
  const char *ns, *tq;
  char prefix[64], identity[64];
  long total, launched, completed, failed;
  int last_status;
  char last_error[200];
  double *lat_ms; /* per call, indexed by call number */
  double *t_start;
} run_state;

typedef struct {
  run_state *st;
  long index;
} call_ctx;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int launch(run_state *st, long index);

static void on_done(void *user, const tcore_call_result *r) {
  call_ctx *ctx = user;
  run_state *st = ctx->st;
  double t = now_s();
  pthread_mutex_lock(&st->mu);
  st->lat_ms[ctx->index] = (t - st->t_start[ctx->index]) * 1000.0;
  if (r->status != TCORE_STATUS_OK) {
    st->failed++;
    st->last_status = r->status;
    snprintf(st->last_error, sizeof st->last_error, "%s", r->message);
  }
  st->completed++;
  long next = -1;
  if (st->launched < st->total) next = st->launched++;
  pthread_cond_broadcast(&st->cv);
  pthread_mutex_unlock(&st->mu);
  free(ctx);
  if (next >= 0 && launch(st, next) != 0) {
    pthread_mutex_lock(&st->mu);
    st->failed++;
    st->completed++;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
  }
}

static int launch(run_state *st, long index) {
  char wid[128], rid[96];
  snprintf(wid, sizeof wid, "%s-%ld", st->prefix, index);
  snprintf(rid, sizeof rid, "%s-req-%ld", st->prefix, index);
  pbuf req;
  encode_start(&req, st->ns, wid, st->tq, st->identity, rid);
  call_ctx *ctx = malloc(sizeof *ctx);
  if (!ctx) return -1;
  ctx->st = st;
  ctx->index = index;
  st->t_start[index] = now_s();
  tcore_error err;
  int rc = tcore_client_call(st->client, METHOD, req.buf, req.len, NULL, on_done, ctx, NULL, &err);
  if (rc != TCORE_OK) {
    free(ctx);
    fprintf(stderr, "start_ceiling: call failed to start: %s\n", err.message);
    return -1;
  }
  return 0;
}

/* Runs `total` calls with `in_flight` outstanding; returns elapsed seconds. */
static double run_batch(run_state *st, long total, long in_flight) {
  st->total = total;
  st->launched = 0;
  st->completed = 0;
  double t0 = now_s();
  pthread_mutex_lock(&st->mu);
  long first = in_flight < total ? in_flight : total;
  st->launched = first;
  pthread_mutex_unlock(&st->mu);
  for (long i = 0; i < first; i++) {
    if (launch(st, i) != 0) {
      pthread_mutex_lock(&st->mu);
      st->failed++;
      st->completed++;
      pthread_mutex_unlock(&st->mu);
    }
  }
  pthread_mutex_lock(&st->mu);
  while (st->completed < total) pthread_cond_wait(&st->cv, &st->mu);
  pthread_mutex_unlock(&st->mu);
  return now_s() - t0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double pct(double *v, long n, double q) {
  if (n <= 0) return 0;
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  long k = (long)(q * (double)n + 0.999999) - 1;
  if (k < 0) k = 0;
  if (k >= n) k = n - 1;
  return v[k];
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s TARGET NAMESPACE TASK_QUEUE SEQUENTIAL TOTAL IN_FLIGHT\n", argv[0]);
    return 2;
  }
  const char *target = argv[1];
  long seq = atol(argv[4]), total = atol(argv[5]), in_flight = atol(argv[6]);
  if (seq < 0 || total < 1 || in_flight < 1) {
    fprintf(stderr, "start_ceiling: bad counts\n");
    return 2;
  }
  tcore_error err;
  tcore_runtime *rt = NULL;
  if (tcore_runtime_new(&rt, &err) != TCORE_OK) {
    fprintf(stderr, "start_ceiling: runtime: %s\n", err.message);
    return 1;
  }
  tcore_client_options *o = NULL;
  tcore_client_options_new(&o);
  tcore_client_options_set_target(o, target);
  tcore_client_options_set_namespace(o, argv[2]);
  tcore_client_options_set_client_info(o, "temporal-c-bench", "0.1.0");
  tcore_client *client = NULL;
  int rc = tcore_client_new(rt, o, &client, &err);
  tcore_client_options_free(o);
  if (rc != TCORE_OK) {
    fprintf(stderr, "start_ceiling: client: %s\n", err.message);
    tcore_runtime_free(rt);
    return 1;
  }

  run_state st;
  memset(&st, 0, sizeof st);
  pthread_mutex_init(&st.mu, NULL);
  pthread_cond_init(&st.cv, NULL);
  st.client = client;
  st.ns = argv[2];
  st.tq = argv[3];
  snprintf(st.identity, sizeof st.identity, "%ld@start_ceiling", (long)getpid());
  long cap = (seq > total ? seq : total) + 16;
  st.lat_ms = calloc((size_t)cap, sizeof(double));
  st.t_start = calloc((size_t)cap, sizeof(double));
  if (!st.lat_ms || !st.t_start) return 1;
  unsigned long tag = (unsigned long)now_s() ^ ((unsigned long)getpid() << 16);

  /* Warm-up: connect the channel, prime the server's caches. */
  snprintf(st.prefix, sizeof st.prefix, "ceil-%lx-warm", tag);
  run_batch(&st, 10, 1);
  long warm_failed = st.failed;
  st.failed = 0;

  double p50 = 0, p99 = 0;
  if (seq > 0) {
    snprintf(st.prefix, sizeof st.prefix, "ceil-%lx-seq", tag);
    run_batch(&st, seq, 1);
    p50 = pct(st.lat_ms, seq, 0.50);
    p99 = pct(st.lat_ms, seq, 0.99);
  }
  snprintf(st.prefix, sizeof st.prefix, "ceil-%lx-conc", tag);
  double elapsed = run_batch(&st, total, in_flight);
  double conc_p50 = pct(st.lat_ms, total, 0.50);

  printf("{\"starts_per_s\": %.3f, \"elapsed_s\": %.4f, \"total\": %ld, \"in_flight\": %ld, "
         "\"seq_p50_ms\": %.4f, \"seq_p99_ms\": %.4f, \"conc_p50_ms\": %.4f, "
         "\"failed\": %ld, \"warmup_failed\": %ld, \"last_status\": %d, \"last_error\": \"",
         (double)total / elapsed, elapsed, total, in_flight, p50, p99, conc_p50, st.failed,
         warm_failed, st.last_status);
  for (const char *c = st.last_error; *c; c++) /* JSON-escape the status message */
    if (*c == '"' || *c == '\\') printf("\\%c", *c);
    else if ((unsigned char)*c >= 0x20) putchar(*c);
  printf("\"}\n");
  fflush(stdout);

  tcore_client_free(client);
  tcore_runtime_free(rt);
  free(st.lat_ms);
  free(st.t_start);
  return st.failed ? 1 : 0;
}
