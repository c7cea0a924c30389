/* test_workflow_worker.c: the workflow worker's transport and run manager
 * (polling the task queue and the sticky queue, history pagination, the run
 * cache and its evictions, Respond* calls, shutdown), against a dev server.
 *
 * The engine behind wf_engine.h is played by a small stand-in defined here
 * (given to the worker with the internal tcore_worker_options_set_wf_engine_ops
 * hook): it understands just enough history and completions for one kind of
 * workflow: start a timer, and complete when it fires (or, with
 * complete_at_once, complete at once). The language side is this test's
 * event callback, which answers activations with real coresdk completions.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "internal.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "temporal/sdk/core/workflow_activation/workflow_activation.pb-c.h"
#include "temporal/sdk/core/workflow_completion/workflow_completion.pb-c.h"
#include "worker.h"
#include "call_msg.h"
#include "lang_side.h"

#define WS "/temporal.api.workflowservice.v1.WorkflowService/"

static tcore_runtime *rt;
static const char *target;

#include "fake_engine.h"

/* ---- the language side: the event callback ----------------------------------------- */

typedef struct rec {
  pthread_mutex_t mu;
  tcore_worker *w;
  int activations, inits, fires, queries, evictions, warnings, shutdowns, completes_sent, failed_sent;
  int reasons[16]; /* evictions by reason */
  char last_evict_message[256];
  char last_run_id[64];
  char first_warning[700], last_warning[700];
  int complete_at_once; /* complete the workflow in its first activation */
  int fail_first;       /* fail the first activations with an init job (this many) */
  int complete_rc_bad;  /* tcore_worker_complete_activation failed */
  int ignore_evictions; /* never answer an eviction */
  int wait_for_timer;   /* in the first activation: wait (bounded) for a runtime timer */
  int timer_fired_in_activation;
} rec;

/* A runtime timer the language side waits for inside an activation. */
static pthread_mutex_t probe_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t probe_cv = PTHREAD_COND_INITIALIZER;
static int probe_fired;
static void probe_fire(tcore_timer *t) {
  (void)t;
  pthread_mutex_lock(&probe_mu);
  probe_fired = 1;
  pthread_cond_broadcast(&probe_cv);
  pthread_mutex_unlock(&probe_mu);
}

static void rec_init(rec *r) {
  memset(r, 0, sizeof *r);
  pthread_mutex_init(&r->mu, NULL);
}

static void on_event(void *user, const tcore_worker_event *ev) {
  rec *r = user;
  if (ev->kind == TCORE_WORKER_EVENT_WARNING) {
    pthread_mutex_lock(&r->mu);
    if (!r->warnings++) snprintf(r->first_warning, sizeof r->first_warning, "%s", ev->message);
    snprintf(r->last_warning, sizeof r->last_warning, "%s", ev->message);
    pthread_mutex_unlock(&r->mu);
    fprintf(stderr, "warning event: %s\n", ev->message);
    return;
  }
  if (ev->kind != TCORE_WORKER_EVENT_ACTIVATION) return;
  Coresdk__WorkflowActivation__WorkflowActivation *a =
      coresdk__workflow_activation__workflow_activation__unpack(NULL, ev->task_len, ev->task);
  CHECK(a != NULL);
  if (!a) return;
  CHECK(ev->run_id && strcmp(ev->run_id, a->run_id) == 0);
  int init = 0, fire = 0, query = 0, evict = 0, reason = 0;
  char msg[256] = "";
  for (size_t i = 0; i < a->n_jobs; i++) {
    Coresdk__WorkflowActivation__WorkflowActivationJob *j = a->jobs[i];
    if (j->variant_case == CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__VARIANT_INITIALIZE_WORKFLOW)
      init = 1;
    if (j->variant_case == CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__VARIANT_FIRE_TIMER)
      fire = 1;
    if (j->variant_case == CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__VARIANT_QUERY_WORKFLOW)
      query = 1;
    if (j->variant_case == CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__VARIANT_REMOVE_FROM_CACHE) {
      evict = 1;
      reason = j->remove_from_cache->reason;
      snprintf(msg, sizeof msg, "%s", j->remove_from_cache->message);
    }
  }
  if (evict) CHECK(a->n_jobs == 1); /* an eviction is always alone */
  pthread_mutex_lock(&r->mu);
  r->activations++;
  snprintf(r->last_run_id, sizeof r->last_run_id, "%s", a->run_id);
  r->inits += init;
  r->fires += fire;
  r->queries += query;
  int fail = 0;
  if (evict) {
    r->evictions++;
    if (reason >= 0 && reason < 16) r->reasons[reason]++;
    snprintf(r->last_evict_message, sizeof r->last_evict_message, "%s", msg);
  } else if (r->fail_first > 0 && init) {
    r->fail_first--;
    fail = 1;
    r->failed_sent++;
  }
  int wait_timer = r->wait_for_timer && init;
  if (wait_timer) r->wait_for_timer = 0;
  int at_once = r->complete_at_once;
  int ignore = evict && r->ignore_evictions;
  tcore_worker *w = r->w;
  pthread_mutex_unlock(&r->mu);

  if (ignore) {
    coresdk__workflow_activation__workflow_activation__free_unpacked(a, NULL);
    return;
  }
  if (wait_timer) {
    /* A slow language side (or engine): the runtime's timers must go on
     * meanwhile, so the run manager must not be on the timer thread. */
    static tcore_timer probe;
    memset(&probe, 0, sizeof probe);
    probe.fire = probe_fire;
    pthread_mutex_lock(&probe_mu);
    probe_fired = 0;
    pthread_mutex_unlock(&probe_mu);
    tcore_timer_start(rt, &probe, 0);
    int64_t deadline = tcore_now_ms() + 5000;
    pthread_mutex_lock(&probe_mu);
    while (!probe_fired && tcore_now_ms() < deadline) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 50 * 1000000L;
      if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
      pthread_cond_timedwait(&probe_cv, &probe_mu, &ts);
    }
    int fired = probe_fired;
    pthread_mutex_unlock(&probe_mu);
    if (!fired) tcore_timer_cancel(rt, &probe);
    pthread_mutex_lock(&r->mu);
    r->timer_fired_in_activation = fired;
    pthread_mutex_unlock(&r->mu);
  }
  int answer = fail                                  ? ANSWER_FAIL
               : evict                                 ? ANSWER_NOTHING
               : fire || (init && at_once)             ? ANSWER_COMPLETE
               : init                                  ? ANSWER_TIMER
                                                       : ANSWER_NOTHING;
  pthread_mutex_lock(&fake.mu);
  int64_t ms = fake.timer_ms;
  pthread_mutex_unlock(&fake.mu);
  /* Even run ids are given explicitly, odd ones come from the completion. */
  int rc = answer_activation(w, a->run_id, !(a->run_id[0] & 1), answer, 1, ms);
  if (rc != TCORE_OK) {
    pthread_mutex_lock(&r->mu);
    r->complete_rc_bad++;
    pthread_mutex_unlock(&r->mu);
  }
  coresdk__workflow_activation__workflow_activation__free_unpacked(a, NULL);
}

static void on_shutdown(void *user) {
  rec *r = user;
  pthread_mutex_lock(&r->mu);
  r->shutdowns++;
  pthread_mutex_unlock(&r->mu);
}

/* ---- raw calls --------------------------------------------------------------- */

static tcore_client *make_client(const char *tgt) {
  tcore_client_options *o;
  tcore_client_options_new(&o);
  tcore_client_options_set_target(o, tgt);
  tcore_client *c = NULL;
  tcore_error err;
  if (tcore_client_new(rt, o, &c, &err) != TCORE_OK) fprintf(stderr, "client: %s\n", err.message);
  tcore_client_options_free(o);
  return c;
}

/* The workflow task timeout of the next start_workflow (seconds; 0: the
 * server's default). */
static int64_t next_task_timeout_s;

/* The next start_workflow asks for eager execution; the start response's
 * eager workflow task (serialized) is left here (free it). */
static int next_eager;
static uint8_t *eager_task;
static size_t eager_task_len;

static void start_workflow(tcore_client *c, const char *wf_id, const char *tq_name) {
  Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__START_WORKFLOW_EXECUTION_REQUEST__INIT;
  Temporal__Api__Common__V1__WorkflowType type = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
  Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
  Google__Protobuf__Duration timeout = GOOGLE__PROTOBUF__DURATION__INIT;
  Google__Protobuf__Duration task_timeout = GOOGLE__PROTOBUF__DURATION__INIT;
  timeout.seconds = 120;
  if (next_task_timeout_s > 0) {
    task_timeout.seconds = next_task_timeout_s;
    req.workflow_task_timeout = &task_timeout;
    next_task_timeout_s = 0;
  }
  tq.name = (char *)tq_name;
  tq.kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
  type.name = "CTimerWorkflow";
  req.namespace_ = "default";
  req.workflow_id = (char *)wf_id;
  req.workflow_type = &type;
  req.task_queue = &tq;
  req.identity = "test_workflow_worker";
  req.request_id = (char *)wf_id;
  req.workflow_execution_timeout = &timeout;
  req.request_eager_execution = next_eager;
  outcome o;
  CHECK(call_msg(c, WS "StartWorkflowExecution", &req.base, 10000, &o) == 0);
  if (next_eager) {
    next_eager = 0;
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse *resp =
        temporal__api__workflowservice__v1__start_workflow_execution_response__unpack(
            NULL, o.body_len, o.body);
    CHECK(resp != NULL);
    if (resp && resp->eager_workflow_task) {
      eager_task_len = protobuf_c_message_get_packed_size(&resp->eager_workflow_task->base);
      eager_task = malloc(eager_task_len + 1);
      protobuf_c_message_pack(&resp->eager_workflow_task->base, eager_task);
    }
    if (resp)
      temporal__api__workflowservice__v1__start_workflow_execution_response__free_unpacked(resp,
                                                                                          NULL);
  }
  free(o.body);
}

static void signal_workflow(tcore_client *c, const char *wf_id, int i) {
  Temporal__Api__Workflowservice__V1__SignalWorkflowExecutionRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__SIGNAL_WORKFLOW_EXECUTION_REQUEST__INIT;
  Temporal__Api__Common__V1__WorkflowExecution ex = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
  char rid[160];
  snprintf(rid, sizeof rid, "%s-sig-%d", wf_id, i);
  ex.workflow_id = (char *)wf_id;
  req.namespace_ = "default";
  req.workflow_execution = &ex;
  req.signal_name = "poke";
  req.identity = "test_workflow_worker";
  req.request_id = rid;
  outcome o;
  CHECK(call_msg(c, WS "SignalWorkflowExecution", &req.base, 10000, &o) == 0);
  free(o.body);
}

/* The whole history of a workflow (every page), as event types in `types`;
 * returns the number of events. */
static int history_types(tcore_client *c, const char *wf_id, int *types, int max) {
  int n = 0;
  uint8_t *token = NULL;
  size_t token_len = 0;
  for (;;) {
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution ex =
        TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    ex.workflow_id = (char *)wf_id;
    req.namespace_ = "default";
    req.execution = &ex;
    req.next_page_token.data = token;
    req.next_page_token.len = token_len;
    outcome o;
    int st = call_msg(c, WS "GetWorkflowExecutionHistory", &req.base, 10000, &o);
    free(token);
    token = NULL;
    token_len = 0;
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *resp =
        st == 0 ? temporal__api__workflowservice__v1__get_workflow_execution_history_response__unpack(
                      NULL, o.body_len, o.body)
                : NULL;
    free(o.body);
    if (!resp) return n;
    for (size_t i = 0; resp->history && i < resp->history->n_events; i++)
      if (n < max) types[n++] = resp->history->events[i]->event_type;
    if (resp->next_page_token.len) {
      token_len = resp->next_page_token.len;
      token = malloc(token_len);
      memcpy(token, resp->next_page_token.data, token_len);
    }
    temporal__api__workflowservice__v1__get_workflow_execution_history_response__free_unpacked(
        resp, NULL);
    if (!token) return n;
  }
}

/* How many events of `type` the workflow's history has. */
static int count_events(tcore_client *c, const char *wf_id, int type) {
  static int types[256];
  int n = history_types(c, wf_id, types, 256);
  int k = 0;
  for (int i = 0; i < n; i++) k += types[i] == type;
  return k;
}

/* Waits (up to `ms`) for the workflow to complete. */
static int wait_completed(tcore_client *c, const char *wf_id, int64_t ms) {
  int64_t until = tcore_now_ms() + ms;
  static int types[4096];
  while (tcore_now_ms() < until) {
    int n = history_types(c, wf_id, types, 4096);
    if (n && types[n - 1] == TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
      return 1;
    sleep_ms(100);
  }
  return 0;
}

static void unique(char *buf, size_t n, const char *what) {
  snprintf(buf, n, "%s-%lld-%d", what, (long long)tcore_now_ms(), rand() % 100000);
}

static int64_t cancel_wait_ms; /* 0: the default */

static tcore_worker *make_worker(tcore_client *c, const char *tq, rec *r, int max_cached) {
  tcore_worker_options *o;
  CHECK(tcore_worker_options_new(&o) == TCORE_OK);
  if (cancel_wait_ms) tcore_worker_options_set_shutdown_cancel_wait_ms(o, cancel_wait_ms);
  tcore_worker_options_set_task_queue(o, tq);
  tcore_worker_options_set_identity(o, "test_workflow_worker");
  tcore_worker_options_set_event_callback(o, on_event, r);
  CHECK(tcore_worker_options_set_workflows(o, 1) == TCORE_OK);
  CHECK(tcore_worker_options_set_activities(o, 0) == TCORE_OK);
  CHECK(tcore_worker_options_set_max_cached_workflows(o, max_cached) == TCORE_OK);
  CHECK(tcore_worker_options_set_wf_engine_ops(o, &fake_ops) == TCORE_OK);
  tcore_worker *w = NULL;
  tcore_error err = {0};
  int rc = tcore_worker_new(c, o, &w, &err);
  if (rc != TCORE_OK) fprintf(stderr, "worker: %s\n", err.message);
  CHECK(rc == TCORE_OK);
  tcore_worker_options_free(o);
  r->w = w;
  return w;
}

static void shutdown_and_free(tcore_worker *w, rec *r) {
  CHECK(tcore_worker_shutdown(w, on_shutdown, r) == TCORE_OK);
  WAIT_FOR(&r->mu, r->shutdowns == 1, 20000);
  CHECK(r->shutdowns == 1);
  tcore_worker_free(w);
}

/* What a live test works with: a client, the language side's record, a
 * worker (not started yet) on a task queue of its own, and a workflow id. */
typedef struct fixture {
  tcore_client *c;
  rec r;
  tcore_worker *w;
  char tq[96], wf[96];
} fixture;

/* Resets the stand-in engine (its workflows' timers: `timer_ms`) and sets
 * `f` up: names made unique from `name` (the task queue; the workflow id
 * is "<name>-id-..."), a worker caching `max_cached` runs. */
static void setup(fixture *f, const char *name, int64_t timer_ms, int max_cached) {
  char id[80];
  fake_reset(timer_ms);
  f->c = make_client(target);
  rec_init(&f->r);
  unique(f->tq, sizeof f->tq, name);
  snprintf(id, sizeof id, "%s-id", name);
  unique(f->wf, sizeof f->wf, id);
  f->w = make_worker(f->c, f->tq, &f->r, max_cached);
}

/* Starts the worker, then the workflow. */
static void start(fixture *f) {
  CHECK(tcore_worker_start(f->w) == TCORE_OK);
  start_workflow(f->c, f->wf, f->tq);
}

/* Shuts the worker down (checked) and frees it and the client. */
static void teardown(fixture *f) {
  shutdown_and_free(f->w, &f->r);
  tcore_client_free(f->c);
}

/* ---- tests ------------------------------------------------------------------- */

static void test_options_are_checked(void) {
  tcore_worker_options *o;
  CHECK(tcore_worker_options_new(&o) == TCORE_OK);
  CHECK(tcore_worker_options_set_max_cached_workflows(o, -1) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_options_set_max_cached_workflows(o, 0) == TCORE_OK);
  CHECK(tcore_worker_options_set_max_concurrent_workflow_tasks(o, 0) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_options_set_max_concurrent_workflow_task_polls(o, 0) ==
        TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_options_set_sticky_schedule_to_start_ms(o, 0) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_options_set_sticky_schedule_to_start_ms(o, 5000) == TCORE_OK);
  CHECK(tcore_worker_options_set_workflows(NULL, 1) == TCORE_ERR_INVALID_ARGUMENT);
  const char *nd_types[] = {"A", "B"}, *nd_bad[] = {"A", NULL};
  CHECK(tcore_worker_options_set_nondeterminism_as_workflow_fail(NULL, 1, NULL, 0) ==
        TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_options_set_nondeterminism_as_workflow_fail(o, 0, NULL, 1) ==
        TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_options_set_nondeterminism_as_workflow_fail(o, 0, nd_bad, 2) ==
        TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_options_set_nondeterminism_as_workflow_fail(o, 0, nd_types, 2) == TCORE_OK);
  CHECK(tcore_worker_options_set_nondeterminism_as_workflow_fail(o, 1, nd_types, 1) == TCORE_OK);
  tcore_worker_options_set_task_queue(o, "tq");
  tcore_worker_options_set_event_callback(o, on_event, NULL);
  tcore_worker_options_set_activities(o, 0);
  char tgt[64];
  snprintf(tgt, sizeof tgt, "127.0.0.1:%d", closed_port());
  tcore_client *c = make_client(tgt);
  tcore_worker *w = NULL;
  tcore_error err = {0};
  /* neither activities nor workflows */
  CHECK(tcore_worker_new(c, o, &w, &err) == TCORE_ERR_INVALID_ARGUMENT && w == NULL);
  tcore_worker_options_set_workflows(o, 1);
  tcore_worker_options_set_wf_engine_ops(o, &fake_ops);
  CHECK(tcore_worker_new(c, o, &w, &err) == TCORE_OK && w != NULL);
  /* no such run; no run id and bytes that name none */
  CHECK(tcore_worker_complete_activation(w, "no-such-run", (const uint8_t *)"", 0) ==
        TCORE_ERR_NOT_FOUND);
  CHECK(tcore_worker_complete_activation(w, NULL, (const uint8_t *)"", 0) ==
        TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_complete_activation(w, NULL, (const uint8_t *)"\xff\xff", 2) ==
        TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_request_eviction(w, "no-such-run", "why") == TCORE_ERR_NOT_FOUND);
  CHECK(tcore_worker_request_eviction(w, NULL, "why") == TCORE_ERR_INVALID_ARGUMENT);
  tcore_worker_free(w);
  tcore_worker_options_free(o);
  tcore_client_free(c);
}

/* A timer workflow: its first task on the task queue, the second (the timer
 * fired) on the sticky queue with only the new events; the run stays cached
 * in between and is evicted when it finishes. */
static void test_timer_workflow_uses_the_sticky_queue(void) {
  fixture f;
  setup(&f, "wf-sticky", 300, 10);
  CHECK(f.w->sticky_queue && strncmp(f.w->sticky_queue, "test_workflow_worker-", 21) == 0);
  start(&f);
  CHECK(wait_completed(f.c, f.wf, 20000));
  WAIT_FOR(&f.r.mu, f.r.evictions == 1, 5000);
  pthread_mutex_lock(&f.r.mu);
  CHECK(f.r.inits == 1 && f.r.fires == 1);
  CHECK(f.r.evictions == 1);
  CHECK(f.r.reasons[CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__WORKFLOW_EXECUTION_ENDING] == 1);
  CHECK(f.r.complete_rc_bad == 0 && f.r.warnings == 0);
  pthread_mutex_unlock(&f.r.mu);
  pthread_mutex_lock(&fake.mu);
  CHECK(fake.created == 1);     /* one engine for both tasks: cached */
  CHECK(fake.full_tasks == 1);  /* the first task */
  CHECK(fake.partial_tasks == 1); /* the sticky task: only new events */
  pthread_mutex_unlock(&fake.mu);
  shutdown_and_free(f.w, &f.r);
  pthread_mutex_lock(&fake.mu);
  CHECK(fake.freed == fake.created);
  pthread_mutex_unlock(&fake.mu);
  tcore_client_free(f.c);
}

/* max_cached_workflows 0: no sticky queue; the run is evicted after every
 * task, and each task replays the whole history in a new engine. */
static void test_no_cache_replays_every_task(void) {
  fixture f;
  setup(&f, "wf-nocache", 300, 0);
  CHECK(f.w->sticky_queue == NULL && !f.w->sticky_src.enabled);
  start(&f);
  CHECK(wait_completed(f.c, f.wf, 20000));
  WAIT_FOR(&f.r.mu, f.r.evictions == 2, 5000);
  pthread_mutex_lock(&f.r.mu);
  CHECK(f.r.evictions == 2);
  CHECK(f.r.inits == 2); /* the second task replays from the start */
  CHECK(f.r.fires == 1);
  CHECK(f.r.reasons[CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__CACHE_FULL] == 1);
  pthread_mutex_unlock(&f.r.mu);
  pthread_mutex_lock(&fake.mu);
  CHECK(fake.created == 2 && fake.full_tasks == 2 && fake.partial_tasks == 0);
  pthread_mutex_unlock(&fake.mu);
  shutdown_and_free(f.w, &f.r);
  pthread_mutex_lock(&fake.mu);
  CHECK(fake.freed == fake.created);
  pthread_mutex_unlock(&fake.mu);
  tcore_client_free(f.c);
}

/* max_cached_workflows 1: a second run evicts the first (least recently
 * used, idle); the first's next task then comes on the sticky queue with
 * only new events, a cache miss: the worker fetches its whole history, and
 * both workflows complete. */
static void test_lru_eviction_and_cache_miss(void) {
  fixture f;
  setup(&f, "wf-lru", 2500, 1);
  const char *a = f.wf;
  char b[96];
  unique(b, sizeof b, "wf-lru-b");
  start(&f); /* A */
  WAIT_FOR(&f.r.mu, f.r.inits == 1, 10000);
  sleep_ms(200); /* its first task answered: the run is idle in the cache */
  pthread_mutex_lock(&fake.mu);
  fake.timer_ms = 200; /* B's timer is short */
  pthread_mutex_unlock(&fake.mu);
  start_workflow(f.c, b, f.tq);
  CHECK(wait_completed(f.c, b, 20000));
  CHECK(wait_completed(f.c, a, 20000));
  WAIT_FOR(&f.r.mu, f.r.evictions == 3, 5000);
  pthread_mutex_lock(&f.r.mu);
  CHECK(f.r.reasons[CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__CACHE_FULL] == 1);
  CHECK(f.r.reasons[CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__WORKFLOW_EXECUTION_ENDING] == 2);
  CHECK(f.r.inits == 3); /* A, B, and A again after its eviction */
  CHECK(f.r.fires == 2);
  CHECK(f.r.warnings == 0);
  pthread_mutex_unlock(&f.r.mu);
  pthread_mutex_lock(&fake.mu);
  CHECK(fake.created == 3);
  CHECK(fake.partial_tasks == 1); /* B's sticky task; A's came whole, fetched */
  CHECK(fake.full_tasks == 3);
  pthread_mutex_unlock(&fake.mu);
  teardown(&f);
}

/* A history longer than the server's first page (300 signals before the
 * first task): the rest comes with GetWorkflowExecutionHistory. */
static void test_long_history_is_paginated(void) {
  fixture f;
  setup(&f, "wf-pages", 300, 10);
  f.r.complete_at_once = 1;
  start_workflow(f.c, f.wf, f.tq); /* before the worker polls */
  for (int i = 0; i < 300; i++) signal_workflow(f.c, f.wf, i);
  CHECK(tcore_worker_start(f.w) == TCORE_OK);
  CHECK(wait_completed(f.c, f.wf, 30000));
  WAIT_FOR(&f.r.mu, f.r.evictions == 1, 5000);
  pthread_mutex_lock(&fake.mu);
  CHECK(fake.max_pages >= 2);
  CHECK(fake.signals == 300);
  pthread_mutex_unlock(&fake.mu);
  pthread_mutex_lock(&f.r.mu);
  CHECK(f.r.inits == 1 && f.r.warnings == 0);
  pthread_mutex_unlock(&f.r.mu);
  teardown(&f);
}

/* Shutdown evicts every cached run (an eviction activation each, answered)
 * before its callback. */
static void test_shutdown_evicts_cached_runs(void) {
  fixture f;
  setup(&f, "wf-shutdown", 60000, 10);
  char wf2[96];
  unique(wf2, sizeof wf2, "wf-shutdown-2");
  start(&f);
  start_workflow(f.c, wf2, f.tq);
  WAIT_FOR(&f.r.mu, f.r.inits == 2, 10000);
  WAIT_FOR(&f.w->mu, f.w->wf_running == 0, 5000); /* both tasks answered */
  pthread_mutex_lock(&f.w->mu);
  CHECK(f.w->n_runs == 2);
  pthread_mutex_unlock(&f.w->mu);
  pthread_mutex_lock(&f.r.mu);
  CHECK(f.r.evictions == 0);
  pthread_mutex_unlock(&f.r.mu);
  shutdown_and_free(f.w, &f.r);
  pthread_mutex_lock(&f.r.mu);
  CHECK(f.r.evictions == 2);
  CHECK(strcmp(f.r.last_evict_message, "Worker shutting down") == 0);
  pthread_mutex_unlock(&f.r.mu);
  pthread_mutex_lock(&fake.mu);
  CHECK(fake.created == 2 && fake.freed == 2);
  pthread_mutex_unlock(&fake.mu);
  tcore_client_free(f.c);
}

/* A workflow whose first `fail_first` activations with an init job fail
 * (workflow task timeout `task_timeout_s`; 0: the server's default): each
 * failed task evicts the run (LANG_FAIL) and, as in sdk-core, only the
 * first attempt is reported with RespondWorkflowTaskFailed (one
 * WorkflowTaskFailed in history); a later attempt is dropped and comes back
 * after the workflow task timeout; the server's next attempt succeeds and
 * the run finishes. Every failed attempt gives one WARNING "Failing
 * workflow task run_id=... failure=..." (a dropped one says so). */
static void failing_tasks(const char *name, int fail_first, int64_t task_timeout_s,
                          int64_t wait_ms) {
  fixture f;
  setup(&f, name, 200, 10);
  f.r.fail_first = fail_first;
  next_task_timeout_s = task_timeout_s;
  start(&f);
  CHECK(wait_completed(f.c, f.wf, wait_ms));
  CHECK(count_events(f.c, f.wf, TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_TASK_FAILED) == 1);
  pthread_mutex_lock(&f.r.mu);
  CHECK(f.r.failed_sent == fail_first);
  CHECK(f.r.warnings == fail_first);
  char want[256];
  snprintf(want, sizeof want, "Failing workflow task run_id=%s failure=", f.r.last_run_id);
  CHECK(strncmp(f.r.first_warning, want, strlen(want)) == 0);
  if (fail_first > 1) {
    snprintf(want, sizeof want, "Failing workflow task run_id=%s attempt=%d workflow_id=%s ",
             f.r.last_run_id, fail_first, f.wf);
    CHECK(strncmp(f.r.last_warning, want, strlen(want)) == 0);
    CHECK(strstr(f.r.last_warning, "not reported to the server") != NULL);
  }
  CHECK(f.r.reasons[CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__LANG_FAIL] ==
        fail_first);
  pthread_mutex_unlock(&f.r.mu);
  teardown(&f);
}

/* One failed activation: the task fails (a WARNING), the server's retry
 * succeeds. */
static void test_failed_activation_fails_the_task(void) { failing_tasks("wf-fail", 1, 0, 30000); }

/* Three failed attempts, a WARNING each: attempts 2 and 3 are dropped (the
 * workflow task timeout 2 s brings them back); attempt 4 succeeds. */
static void test_failed_task_reported_on_first_attempt_only(void) {
  failing_tasks("wf-fail3", 3, 2, 60000);
}

static int wf_running_of(tcore_worker *w) {
  pthread_mutex_lock(&w->mu);
  int n = w->wf_running;
  pthread_mutex_unlock(&w->mu);
  return n;
}

/* Eager workflow start: a reservation holds a slot until it is released or
 * consumed (bad bytes: refused, the slot back); a start asking for eager
 * execution brings the first task in its response, which the worker takes
 * (no poll) and completes: no WorkflowTaskTimedOut. No reservation before
 * start. */
static void test_eager_workflow_task(void) {
  fixture f;
  setup(&f, "wf-eager", 200, 10);
  CHECK(tcore_worker_reserve_workflow_slot(NULL) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_reserve_workflow_slot(f.w) == TCORE_ERR_CLOSED); /* not started */
  CHECK(tcore_worker_start(f.w) == TCORE_OK);
  CHECK(wf_running_of(f.w) == 0);
  CHECK(tcore_worker_reserve_workflow_slot(f.w) == TCORE_OK);
  CHECK(wf_running_of(f.w) == 1);
  tcore_worker_release_workflow_slot(f.w);
  CHECK(wf_running_of(f.w) == 0);
  CHECK(tcore_worker_reserve_workflow_slot(f.w) == TCORE_OK);
  static const uint8_t junk[] = {0xff, 0xff, 0xff};
  CHECK(tcore_worker_eager_workflow_task(f.w, junk, sizeof junk) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(wf_running_of(f.w) == 0);
  CHECK(tcore_worker_reserve_workflow_slot(f.w) == TCORE_OK);
  next_eager = 1;
  start_workflow(f.c, f.wf, f.tq);
  CHECK(eager_task != NULL);
  CHECK(tcore_worker_eager_workflow_task(f.w, eager_task, eager_task_len) == TCORE_OK);
  free(eager_task);
  eager_task = NULL;
  CHECK(wait_completed(f.c, f.wf, 30000));
  CHECK(count_events(f.c, f.wf, TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) == 0);
  pthread_mutex_lock(&f.r.mu);
  CHECK(f.r.inits == 1 && f.r.warnings == 0);
  pthread_mutex_unlock(&f.r.mu);
  teardown(&f);
}

/* The run manager has its own thread: while the language side sits on an
 * activation, the runtime's timers still fire (a timer armed inside the
 * activation fires before it is completed); the run then finishes. */
static void test_activation_does_not_hold_up_timers(void) {
  fixture f;
  setup(&f, "wf-thread", 200, 10);
  f.r.wait_for_timer = 1;
  start(&f);
  CHECK(wait_completed(f.c, f.wf, 30000));
  pthread_mutex_lock(&f.r.mu);
  CHECK(f.r.timer_fired_in_activation == 1);
  pthread_mutex_unlock(&f.r.mu);
  teardown(&f);
}

/* A run evicted on request: the eviction activation names the reason; the
 * run's next task (on the sticky queue, only new events) is a cache miss:
 * the whole history is fetched and replayed in a new engine. */
static void test_requested_eviction(void) {
  fixture f;
  setup(&f, "wf-evict", 1500, 10);
  start(&f);
  WAIT_FOR(&f.r.mu, f.r.inits == 1, 10000);
  WAIT_FOR(&f.w->mu, f.w->wf_running == 0, 5000);
  pthread_mutex_lock(&f.r.mu);
  char run_id[64];
  snprintf(run_id, sizeof run_id, "%s", f.r.last_run_id);
  pthread_mutex_unlock(&f.r.mu);
  CHECK(tcore_worker_request_eviction(f.w, run_id, "the test asked") == TCORE_OK);
  WAIT_FOR(&f.r.mu, f.r.evictions == 1, 5000);
  pthread_mutex_lock(&f.r.mu);
  CHECK(f.r.reasons[CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__LANG_REQUESTED] == 1);
  CHECK(strcmp(f.r.last_evict_message, "the test asked") == 0);
  pthread_mutex_unlock(&f.r.mu);
  CHECK(wait_completed(f.c, f.wf, 20000));
  WAIT_FOR(&f.r.mu, f.r.evictions == 2, 5000);
  pthread_mutex_lock(&f.r.mu);
  CHECK(f.r.inits == 2 && f.r.fires == 1 && f.r.warnings == 0);
  pthread_mutex_unlock(&f.r.mu);
  pthread_mutex_lock(&fake.mu);
  CHECK(fake.created == 2 && fake.full_tasks == 2 && fake.partial_tasks == 0);
  pthread_mutex_unlock(&fake.mu);
  teardown(&f);
}

/* A query of a cached run waiting on a timer: a legacy query task on the
 * sticky queue, the query's activation answered, RespondQueryTaskCompleted;
 * the run stays cached (one engine). */
static void test_legacy_query_is_answered(void) {
  fixture f;
  setup(&f, "wf-query", 3000, 10);
  start(&f);
  WAIT_FOR(&f.r.mu, f.r.inits == 1, 10000);
  WAIT_FOR(&f.w->mu, f.w->wf_running == 0, 5000);
  Temporal__Api__Workflowservice__V1__QueryWorkflowRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__QUERY_WORKFLOW_REQUEST__INIT;
  Temporal__Api__Common__V1__WorkflowExecution ex = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
  Temporal__Api__Query__V1__WorkflowQuery q = TEMPORAL__API__QUERY__V1__WORKFLOW_QUERY__INIT;
  ex.workflow_id = f.wf;
  q.query_type = "status";
  req.namespace_ = "default";
  req.execution = &ex;
  req.query = &q;
  outcome o;
  CHECK(call_msg(f.c, WS "QueryWorkflow", &req.base, 10000, &o) == 0);
  Temporal__Api__Workflowservice__V1__QueryWorkflowResponse *resp =
      temporal__api__workflowservice__v1__query_workflow_response__unpack(NULL, o.body_len, o.body);
  free(o.body);
  CHECK(resp && resp->query_result && resp->query_result->n_payloads == 1);
  if (resp && resp->query_result && resp->query_result->n_payloads == 1) {
    ProtobufCBinaryData d = resp->query_result->payloads[0]->data;
    CHECK(d.len == strlen("\"answer to status\"") &&
          memcmp(d.data, "\"answer to status\"", d.len) == 0);
  }
  if (resp) temporal__api__workflowservice__v1__query_workflow_response__free_unpacked(resp, NULL);
  CHECK(wait_completed(f.c, f.wf, 20000));
  WAIT_FOR(&f.r.mu, f.r.evictions == 1, 5000);
  pthread_mutex_lock(&f.r.mu);
  CHECK(f.r.queries == 1 && f.r.evictions == 1 && f.r.warnings == 0);
  pthread_mutex_unlock(&f.r.mu);
  pthread_mutex_lock(&fake.mu);
  CHECK(fake.created == 1); /* the query did not cost the run its cache entry */
  pthread_mutex_unlock(&fake.mu);
  teardown(&f);
}

/* A language that never answers an eviction does not hold shutdown up: the
 * run is given up after the cancel wait, and its engine freed. */
static void test_unanswered_eviction_is_given_up_at_shutdown(void) {
  cancel_wait_ms = 1000;
  fixture f;
  setup(&f, "wf-giveup", 60000, 10);
  cancel_wait_ms = 0;
  start(&f);
  WAIT_FOR(&f.r.mu, f.r.inits == 1, 10000);
  WAIT_FOR(&f.w->mu, f.w->wf_running == 0, 5000);
  pthread_mutex_lock(&f.r.mu);
  f.r.ignore_evictions = 1;
  pthread_mutex_unlock(&f.r.mu);
  int64_t t0 = tcore_now_ms();
  CHECK(tcore_worker_shutdown(f.w, on_shutdown, &f.r) == TCORE_OK);
  WAIT_FOR(&f.r.mu, f.r.shutdowns == 1, 15000);
  pthread_mutex_lock(&f.r.mu);
  CHECK(f.r.shutdowns == 1 && f.r.evictions == 1);
  pthread_mutex_unlock(&f.r.mu);
  CHECK(tcore_now_ms() - t0 >= 900); /* it did wait for the answer, bounded */
  pthread_mutex_lock(&fake.mu);
  CHECK(fake.created == 1 && fake.freed == 1);
  pthread_mutex_unlock(&fake.mu);
  tcore_worker_free(f.w);
  tcore_client_free(f.c);
}

int main(void) {
  tcore_error err;
  if (tcore_runtime_new(&rt, &err) != TCORE_OK) return 1;
  srand((unsigned)tcore_now_ms());
  RUN(test_options_are_checked);
  target = getenv("TEMPORAL_TEST_TARGET");
  if (target && *target) {
    RUN(test_timer_workflow_uses_the_sticky_queue);
    RUN(test_no_cache_replays_every_task);
    RUN(test_lru_eviction_and_cache_miss);
    RUN(test_long_history_is_paginated);
    RUN(test_shutdown_evicts_cached_runs);
    RUN(test_failed_activation_fails_the_task);
    RUN(test_failed_task_reported_on_first_attempt_only);
    RUN(test_eager_workflow_task);
    RUN(test_activation_does_not_hold_up_timers);
    RUN(test_requested_eviction);
    RUN(test_legacy_query_is_answered);
    RUN(test_unanswered_eviction_is_given_up_at_shutdown);
  } else {
    printf("test_workflow_worker: TEMPORAL_TEST_TARGET is not set; live tests not run\n");
  }
  tcore_runtime_free(rt);
  return check_summary();
}
