/* wf_worker.c: the workflow side of the worker: the two workflow task
 * sources (the task queue, and the worker's sticky queue when it caches
 * runs) and the run manager between them and the engine (wf_engine.h).
 *
 * Runs: one entry per run id with a task taken or cached, in a list kept in
 * least-recently-used order. A run works on one task at a time; tasks that
 * come for a busy run wait in its queue (holding their slots). Each task:
 * its history (the pages after the first fetched with
 * GetWorkflowExecutionHistory; a sticky task for a run not cached fetches
 * the whole history instead) goes to the engine, then the engine's
 * activations go to the language one at a time (ACTIVATION events), each
 * answered by tcore_worker_complete_activation, until the task is done; then
 * RespondWorkflowTaskCompleted (or RespondWorkflowTaskFailed, or
 * RespondQueryTaskCompleted for a legacy query) frees the slot.
 *
 * Eviction: an activation of its own with one remove_from_cache job, sent
 * when no task is under way; the run (and its engine) goes when the
 * language has completed it. Runs are evicted when the cache is over
 * max_cached_workflows (least recently used first), after every task when
 * it is 0, when the run is finished, after a failed task, on request, and
 * all of them at shutdown.
 *
 * Threads: the run manager has a thread of its own per worker (started by
 * tcore_worker_start, joined when the worker is freed): a run's engine is
 * driven only there. Every input (a task, a history page, a completion, a
 * call's end, an eviction request) is stored under `mu` and kicks the run:
 * the run joins the worker's ready queue (once; a kick while it is being
 * driven queues it again) and the thread drives the queued runs in order.
 * Engine calls and event deliveries run without `mu`; the queue's reference
 * keeps the run alive meanwhile. So the engine's work (a long history
 * replayed on a cache miss) never holds up the runtime's timer thread, which
 * fires every worker's and client's timers.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "temporal/sdk/core/workflow_activation/workflow_activation.pb-c.h"
#include "temporal/sdk/core/workflow_completion/workflow_completion.pb-c.h"
#include "worker.h"

#define WS "/temporal.api.workflowservice.v1.WorkflowService/"
/* How long a Respond* call of a workflow task retries: the server's default
 * workflow task timeout (after it the task is the server's again). */
#define WFT_RESPOND_TOTAL_MS 10000

typedef Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse poll_resp;

typedef struct wf_task {
  struct wf_task *next;
  poll_resp *msg; /* owns it */
  int sticky;
} wf_task;

enum {
  S_IDLE,    /* no task under way */
  S_FETCH,   /* a history page is being fetched */
  S_PAGE,    /* a page is ready for the engine */
  S_READY,   /* the engine may give the next activation */
  S_ACT,     /* an activation is out with the language */
  S_RESPOND, /* the task's Respond* call is in flight */
  S_EVICT,   /* the eviction activation is out with the language */
  S_LA       /* the task waits for local activities (la_worker.c) */
};

/* A local activity's outcome waiting for the run's engine. */
typedef struct la_done {
  struct la_done *next;
  tcore_wf_la_outcome o; /* o.result owned */
} la_done;

typedef struct wf_run {
  struct wf_run *next, *prev; /* the worker's list, most recent first (mu) */
  tcore_worker *w;
  char *run_id, *workflow_id, *workflow_type;
  int refs;   /* the list, the ready queue, a call in flight */
  int listed; /* in the list */
  int abandoned;
  int stage;
  tcore_wf_engine *engine;
  wf_task *cur;                 /* the task under way */
  wf_task *queue, *queue_tail;  /* tasks waiting */
  uint8_t *completion;          /* from the language (S_ACT, S_EVICT) */
  size_t completion_len;
  int has_completion;
  tcore_wf_page page; /* S_PAGE: the history page for the engine (NULL history: the
                       * fetch failed); its token, the next page's, stays till fetched */
  int finished; /* the engine said RUN_FINISHED */
  int evict_asked, evict_reason;
  char evict_message[640];
  int queued;                /* in the worker's ready queue (holds a reference) */
  struct wf_run *ready_next; /* (mu) */
  tcore_call *call;
  int respond_kind; /* of the Respond* call in flight: 0 completed, 1 failed, 2 legacy query */
  la_done *la_done, *la_done_tail; /* outcomes for the engine (mu) */
  int64_t task_start_ms; /* when the current task was taken (monotonic) */
  wtimer hb_timer;       /* S_LA: the workflow task heartbeat is due */
  int hb_due;
} wf_run;

static const tcore_wf_engine_ops real_ops = {
    tcore_wf_engine_new,          tcore_wf_engine_free,         tcore_wf_engine_add_history,
    tcore_wf_engine_add_queries,  tcore_wf_engine_next_activation, tcore_wf_engine_complete,
    tcore_wf_engine_take_response, tcore_wf_engine_take_query_response, tcore_wf_engine_failure,
    tcore_wf_engine_discard_task, tcore_wf_engine_take_local_activity,
    tcore_wf_engine_resolve_local_activity, tcore_wf_engine_heartbeat};
const tcore_wf_engine_ops *tcore_wf_default_ops(void) { return &real_ops; }

/* ---- small helpers ---------------------------------------------------------------- */

static uint8_t *pack(const ProtobufCMessage *m, size_t *len) {
  size_t n = protobuf_c_message_get_packed_size(m);
  uint8_t *buf = malloc(n ? n : 1);
  if (buf) *len = protobuf_c_message_pack(m, buf);
  return buf;
}

/* `a` then `b` in one buffer: protobuf merges concatenated messages. */
static uint8_t *concat(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                       size_t *len) {
  uint8_t *buf = malloc(alen + blen + 1);
  if (!buf) return NULL;
  if (alen) memcpy(buf, a, alen);
  if (blen) memcpy(buf + alen, b, blen);
  *len = alen + blen;
  return buf;
}

static void emit(tcore_worker *w, int kind, const char *run_id, const uint8_t *data, size_t len,
                 const char *message) {
  pthread_mutex_lock(&w->mu);
  tcore_worker_event_cb cb = w->event_cb;
  void *user = w->event_user;
  pthread_mutex_unlock(&w->mu);
  if (!cb) return;
  tcore_worker_event ev = {0};
  ev.kind = kind;
  ev.task = data;
  ev.task_len = len;
  ev.message = message;
  ev.run_id = run_id;
  cb(user, &ev);
}

/* ---- decoding (pure) ------------------------------------------------------------ */

int tcore_wf_task_decode(const uint8_t *data, size_t len, poll_resp **out, const char **why) {
  *out = NULL;
  *why = NULL;
  poll_resp *m =
      data || !len
          ? temporal__api__workflowservice__v1__poll_workflow_task_queue_response__unpack(NULL, len,
                                                                                           data)
          : NULL;
  if (!m) {
    *why = "a PollWorkflowTaskQueue response did not parse; polling on";
    return TCORE_ERR_INVALID_ARGUMENT;
  }
  int rc = TCORE_OK;
  if (!m->task_token.len) {
    rc = TCORE_ERR_NOT_FOUND;
  } else if (!m->workflow_execution || !m->workflow_execution->run_id ||
             !*m->workflow_execution->run_id) {
    *why = "a workflow task without a run id was dropped";
    rc = TCORE_ERR_NOT_FOUND;
  }
  if (rc != TCORE_OK) {
    temporal__api__workflowservice__v1__poll_workflow_task_queue_response__free_unpacked(m, NULL);
    return rc;
  }
  *out = m;
  return TCORE_OK;
}

void tcore_wf_page_clear(tcore_wf_page *p) {
  free(p->history);
  free(p->next_token);
  memset(p, 0, sizeof *p);
}

/* *p from a History (NULL: none) and the next page's token. */
static int page_make(const Temporal__Api__History__V1__History *h, ProtobufCBinaryData token,
                     tcore_wf_page *p) {
  Temporal__Api__History__V1__History empty = TEMPORAL__API__HISTORY__V1__HISTORY__INIT;
  memset(p, 0, sizeof *p);
  p->history = pack(h ? &h->base : &empty.base, &p->history_len);
  p->complete = token.len == 0;
  if (!p->complete && (p->next_token = malloc(token.len))) {
    memcpy(p->next_token, token.data, token.len);
    p->next_token_len = token.len;
  }
  if (!p->history || (!p->complete && !p->next_token)) {
    tcore_wf_page_clear(p);
    return TCORE_ERR_NOMEM;
  }
  return TCORE_OK;
}

int tcore_wf_task_first_page(const poll_resp *m, int cached, tcore_wf_page *p) {
  const Temporal__Api__History__V1__History *h = m->history;
  int64_t first = h && h->n_events ? h->events[0]->event_id : 0;
  if (!cached && first != 1) {
    memset(p, 0, sizeof *p);
    return TCORE_ERR_NOT_FOUND;
  }
  return page_make(h, m->next_page_token, p);
}

int tcore_wf_history_page_decode(const uint8_t *data, size_t len, tcore_wf_page *p) {
  memset(p, 0, sizeof *p);
  Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *resp =
      data || !len
          ? temporal__api__workflowservice__v1__get_workflow_execution_history_response__unpack(
                NULL, len, data)
          : NULL;
  if (!resp) return TCORE_ERR_INVALID_ARGUMENT;
  int rc = page_make(resp->history, resp->next_page_token, p);
  temporal__api__workflowservice__v1__get_workflow_execution_history_response__free_unpacked(resp,
                                                                                             NULL);
  return rc;
}

int tcore_wf_task_queries(const poll_resp *m, uint8_t **out, size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  if (!m->query && !m->n_queries && !m->n_messages) return TCORE_OK;
  poll_resp q = TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_TASK_QUEUE_RESPONSE__INIT;
  q.query = m->query;
  q.n_queries = m->n_queries;
  q.queries = m->queries;
  q.n_messages = m->n_messages;
  q.messages = m->messages;
  *out = pack(&q.base, out_len);
  return *out ? TCORE_OK : TCORE_ERR_NOMEM;
}

/* ---- runs ------------------------------------------------------------------------ */

static void task_free_locked(tcore_worker *w, wf_task *t) {
  if (!t) return;
  temporal__api__workflowservice__v1__poll_workflow_task_queue_response__free_unpacked(t->msg,
                                                                                        NULL);
  free(t);
  w->wf_running--; /* its slot */
}

static void run_unref_locked(wf_run *run) {
  if (--run->refs > 0) return;
  tcore_worker *w = run->w;
  if (run->engine) w->wf_ops->free_engine(run->engine);
  task_free_locked(w, run->cur);
  while (run->queue) {
    wf_task *t = run->queue;
    run->queue = t->next;
    task_free_locked(w, t);
  }
  while (run->la_done) {
    la_done *d = run->la_done;
    run->la_done = d->next;
    free((uint8_t *)d->o.result);
    free(d);
  }
  free(run->run_id), free(run->workflow_id), free(run->completion), free(run->workflow_type);
  tcore_wf_page_clear(&run->page);
  free(run);
  w->holds--;
  tcore_worker_pump_locked(w); /* slots may have come free */
}

static void run_unlink_locked(wf_run *run) {
  tcore_worker *w = run->w;
  if (!run->listed) return;
  if (run->prev) run->prev->next = run->next;
  else w->runs = run->next;
  if (run->next) run->next->prev = run->prev;
  run->next = run->prev = NULL;
  run->listed = 0;
  w->n_runs--;
  run_unref_locked(run);
}

static void run_touch_locked(wf_run *run) {
  tcore_worker *w = run->w;
  if (w->runs == run) return;
  if (run->prev) run->prev->next = run->next;
  if (run->next) run->next->prev = run->prev;
  run->prev = NULL;
  run->next = w->runs;
  if (w->runs) w->runs->prev = run;
  w->runs = run;
}

static wf_run *run_find_locked(tcore_worker *w, const char *run_id) {
  for (wf_run *r = w->runs; r; r = r->next)
    if (strcmp(r->run_id, run_id) == 0) return r;
  return NULL;
}

void tcore_wf_run_ref_locked(struct wf_run *run) { run->refs++; }
void tcore_wf_run_unref_locked(struct wf_run *run) { run_unref_locked(run); }

static void kick_locked(wf_run *run);

void tcore_wf_la_done_locked(struct wf_run *run, uint32_t seq, uint8_t *result, size_t len,
                             uint32_t attempt, int64_t complete_time_ns, int64_t backoff_ns) {
  la_done *d = calloc(1, sizeof *d);
  if (!d || run->abandoned) { /* out of memory: the task times out and is retried */
    free(d);
    free(result);
    return;
  }
  d->o.seq = seq;
  d->o.result = result;
  d->o.result_len = len;
  d->o.attempt = attempt;
  d->o.complete_time_ns = complete_time_ns;
  d->o.backoff_ns = backoff_ns;
  if (run->la_done_tail) run->la_done_tail->next = d;
  else run->la_done = d;
  run->la_done_tail = d;
  kick_locked(run);
}

static void hb_fired(tcore_timer *t) {
  wf_run *run = (wf_run *)((char *)t - offsetof(wf_run, hb_timer));
  tcore_worker *w = run->w;
  pthread_mutex_lock(&w->mu);
  run->hb_timer.armed = 0;
  if (!run->abandoned && run->stage == S_LA) {
    run->hb_due = 1;
    kick_locked(run);
  }
  run_unref_locked(run); /* the timer's */
  tcore_worker_step_locked(w, 1);
  tcore_worker_unlock(w);
}

/* Gives the engine the local activities' outcomes that came. (mu) */
static void apply_la_done_locked(wf_run *run) {
  const tcore_wf_engine_ops *ops = run->w->wf_ops;
  while (run->la_done) {
    la_done *d = run->la_done;
    run->la_done = d->next;
    if (!run->la_done) run->la_done_tail = NULL;
    if (run->engine && ops->resolve_local_activity)
      ops->resolve_local_activity(run->engine, &d->o, NULL); /* late ones are NOT_FOUND */
    free((uint8_t *)d->o.result);
    free(d);
  }
}

/* Hands the engine's local-activity requests to la_worker.c. (mu) */
static void take_la_requests_locked(wf_run *run) {
  tcore_worker *w = run->w;
  const tcore_wf_engine_ops *ops = w->wf_ops;
  if (!ops->take_local_activity) return;
  uint8_t *req = NULL;
  size_t len = 0;
  while (ops->take_local_activity(run->engine, &req, &len, NULL) == TCORE_OK) {
    tcore_la_request_locked(w, run, w->ns, run->workflow_id, run->run_id, run->workflow_type,
                            req, len);
    free(req);
  }
}

/* Queues the run for the run manager's thread (once). (mu) */
static void kick_locked(wf_run *run) {
  tcore_worker *w = run->w;
  if (run->abandoned || run->queued) return;
  run->queued = 1;
  run->refs++;
  run->ready_next = NULL;
  if (w->wf_ready_tail) w->wf_ready_tail->ready_next = run;
  else w->wf_ready = run;
  w->wf_ready_tail = run;
  pthread_cond_signal(&w->wf_cv);
}

/* Takes the run out of the ready queue, if it is there. (mu) */
static void unqueue_locked(wf_run *run) {
  tcore_worker *w = run->w;
  if (!run->queued) return;
  wf_run *prev = NULL;
  for (wf_run *r = w->wf_ready; r; prev = r, r = r->ready_next) {
    if (r != run) continue;
    if (prev) prev->ready_next = r->ready_next;
    else w->wf_ready = r->ready_next;
    if (w->wf_ready_tail == r) w->wf_ready_tail = prev;
    break;
  }
  run->ready_next = NULL;
  run->queued = 0;
  run->refs--; /* the queue's; never the last here (the caller holds one) */
}

static void ask_eviction_locked(wf_run *run, int reason, const char *message) {
  if (run->evict_asked) return;
  run->evict_asked = 1;
  run->evict_reason = reason;
  snprintf(run->evict_message, sizeof run->evict_message, "%s", message);
  kick_locked(run);
}

/* Keeps the cache within max_cached_workflows: asks the least recently used
 * idle runs to go. (mu) */
static void trim_cache_locked(tcore_worker *w) {
  if (w->max_cached <= 0) return;
  int cached = 0;
  wf_run *last = NULL;
  for (wf_run *r = w->runs; r; r = r->next) {
    if (!r->evict_asked) cached++;
    last = r;
  }
  for (wf_run *r = last; r && cached > w->max_cached; r = r->prev) {
    if (r->evict_asked || r->stage != S_IDLE || r->queue) continue;
    ask_eviction_locked(r, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__CACHE_FULL,
                        "Workflow cache full");
    cached--;
  }
}

/* The current task is over (answered, or dropped). (mu) */
static void finish_task_locked(wf_run *run) {
  tcore_worker *w = run->w;
  /* A replay worker's run goes after its one task; a failure asked first
   * (with its own reason), so this reason says the replay went through. */
  if (w->replay)
    ask_eviction_locked(run, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__LANG_REQUESTED,
                        "Workflow replay complete");
  task_free_locked(w, run->cur);
  run->cur = NULL;
  run->stage = S_IDLE;
  tcore_wf_page_clear(&run->page);
  if (run->finished)
    ask_eviction_locked(
        run, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__WORKFLOW_EXECUTION_ENDING,
        "Workflow execution ending");
  else if (w->phase >= PHASE_GRACE)
    ask_eviction_locked(run, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__UNSPECIFIED,
                        "Worker shutting down");
  else if (w->max_cached == 0)
    ask_eviction_locked(run, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__CACHE_FULL,
                        "Workflow cache is disabled (max_cached_workflows 0)");
  trim_cache_locked(w);
  tcore_worker_pump_locked(w);
}

/* Something went wrong for the current task: a WARNING, the task dropped
 * (the server retries it after its timeout), the run evicted. Drops `mu`
 * around the event. (mu) */
static void task_error_locked(wf_run *run, int reason, const char *fmt, const char *detail) {
  tcore_worker *w = run->w;
  char msg[600];
  snprintf(msg, sizeof msg, fmt, detail ? detail : "");
  ask_eviction_locked(run, reason, msg);
  if (run->cur) finish_task_locked(run);
  pthread_mutex_unlock(&w->mu);
  emit(w, TCORE_WORKER_EVENT_WARNING, run->run_id, NULL, 0, msg);
  pthread_mutex_lock(&w->mu);
}

/* ---- calls ------------------------------------------------------------------- */

static void on_history_done(void *user, const tcore_call_result *r) {
  wf_run *run = user;
  tcore_worker *w = run->w;
  tcore_wf_page page = {0};
  if (r->status == TCORE_STATUS_OK)
    (void)tcore_wf_history_page_decode(r->response, r->response_len, &page);
  pthread_mutex_lock(&w->mu);
  tcore_call *call = run->call;
  run->call = NULL;
  if (run->stage == S_FETCH && !run->abandoned) {
    /* S_PAGE without a page: the fetch failed (the drive reports it). */
    tcore_wf_page_clear(&run->page);
    run->page = page;
    memset(&page, 0, sizeof page);
    run->stage = S_PAGE;
    kick_locked(run);
  }
  run_unref_locked(run); /* the call's */
  tcore_worker_step_locked(w, 1);
  tcore_worker_unlock(w);
  tcore_wf_page_clear(&page);
  tcore_call_release(call);
}

/* Fetches the next page (or, without a token, the whole history from its
 * first event). (mu) */
static void start_fetch_locked(wf_run *run) {
  tcore_worker *w = run->w;
  Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
  Temporal__Api__Common__V1__WorkflowExecution ex = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
  ex.workflow_id = run->workflow_id;
  ex.run_id = run->run_id;
  req.namespace_ = w->ns;
  req.execution = &ex;
  req.next_page_token.data = run->page.next_token;
  req.next_page_token.len = run->page.next_token_len;
  size_t len = 0;
  uint8_t *buf = pack(&req.base, &len);
  tcore_error err = {0};
  int rc = buf ? tcore_worker_call(w, WS "GetWorkflowExecutionHistory", buf, len, 0, 0, 0,
                                   on_history_done, run, &run->call, &err)
               : TCORE_ERR_NOMEM;
  free(buf);
  if (rc != TCORE_OK) {
    task_error_locked(run,
                      CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__PAGINATION_OR_HISTORY_FETCH,
                      "fetching workflow history could not start: %s", err.message);
    return;
  }
  run->refs++;
  run->stage = S_FETCH;
}

static void on_respond_done(void *user, const tcore_call_result *r) {
  wf_run *run = user;
  tcore_worker *w = run->w;
  char msg[600] = "";
  pthread_mutex_lock(&w->mu);
  tcore_call *call = run->call;
  run->call = NULL;
  if (!run->abandoned && run->stage == S_RESPOND) {
    int64_t reset_to = 0;
    if (r->status == TCORE_STATUS_OK && run->respond_kind == 0 && r->response) {
      Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedResponse *resp =
          temporal__api__workflowservice__v1__respond_workflow_task_completed_response__unpack(
              NULL, r->response_len, r->response);
      if (resp) {
        reset_to = resp->reset_history_event_id;
        temporal__api__workflowservice__v1__respond_workflow_task_completed_response__free_unpacked(
            resp, NULL);
      }
    }
    finish_task_locked(run);
    if (reset_to) {
      /* The server dropped the (speculative) task: so does the engine. The
       * engine is idle here (stage S_IDLE, mu held). */
      tcore_error derr = {0};
      const tcore_wf_engine_ops *ops = w->wf_ops;
      int drc = ops->discard_task && run->engine ? ops->discard_task(run->engine, reset_to, &derr)
                                  : TCORE_ERR_INVALID_ARGUMENT;
      if (drc != TCORE_OK)
        ask_eviction_locked(
            run, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__FATAL,
            "the server discarded the workflow task and the engine could not follow");
    }
    if (r->status != TCORE_STATUS_OK) {
      snprintf(msg, sizeof msg, "answering a workflow task of run %s failed (status %d: %s)",
               run->run_id, r->status, r->message ? r->message : "");
      ask_eviction_locked(
          run,
          r->status == TCORE_STATUS_NOT_FOUND
              ? CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__TASK_NOT_FOUND
              : CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__FATAL,
          msg);
    }
    kick_locked(run);
  }
  pthread_mutex_unlock(&w->mu);
  if (*msg) emit(w, TCORE_WORKER_EVENT_WARNING, run->run_id, NULL, 0, msg);
  pthread_mutex_lock(&w->mu);
  run_unref_locked(run); /* the call's */
  tcore_worker_step_locked(w, 1);
  tcore_worker_unlock(w);
  tcore_call_release(call);
}

/* Sends `body` (the engine's) with what the worker adds: the task's token,
 * identity, namespace (and sticky attributes for a completion). kind: 0
 * completed, 1 failed, 2 legacy query. Takes `body`. (mu) */
static void send_respond_locked(wf_run *run, int kind, uint8_t *body, size_t body_len) {
  tcore_worker *w = run->w;
  ProtobufCBinaryData token = run->cur->msg->task_token;
  size_t hlen = 0;
  uint8_t *head = NULL;
  const char *method;
  if (kind == 0) {
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_REQUEST__INIT;
    Temporal__Api__Taskqueue__V1__StickyExecutionAttributes sticky =
        TEMPORAL__API__TASKQUEUE__V1__STICKY_EXECUTION_ATTRIBUTES__INIT;
    Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
    Google__Protobuf__Duration s2s = GOOGLE__PROTOBUF__DURATION__INIT;
    req.task_token = token;
    req.identity = w->identity;
    req.namespace_ = w->ns;
    req.worker_instance_key = w->instance_key;
    /* The engine can follow a discarded speculative task
     * (RespondWorkflowTaskCompletedResponse.reset_history_event_id), even one
     * that shipped command events: they are kept, and skipped when shipped again. */
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest__Capabilities caps =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_REQUEST__CAPABILITIES__INIT;
    caps.discard_speculative_workflow_task_with_events = w->wf_ops->discard_task != NULL;
    req.capabilities = &caps;
    if (w->sticky_queue) {
      tq.name = w->sticky_queue;
      tq.kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_STICKY;
      tq.normal_name = w->task_queue;
      s2s.seconds = w->sticky_s2s_ms / 1000;
      s2s.nanos = (int32_t)(w->sticky_s2s_ms % 1000) * 1000000;
      sticky.worker_task_queue = &tq;
      sticky.schedule_to_start_timeout = &s2s;
      req.sticky_attributes = &sticky;
    }
    head = pack(&req.base, &hlen);
    method = WS "RespondWorkflowTaskCompleted";
  } else if (kind == 1) {
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskFailedRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_FAILED_REQUEST__INIT;
    req.task_token = token;
    req.identity = w->identity;
    req.namespace_ = w->ns;
    head = pack(&req.base, &hlen);
    method = WS "RespondWorkflowTaskFailed";
  } else {
    Temporal__Api__Workflowservice__V1__RespondQueryTaskCompletedRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_QUERY_TASK_COMPLETED_REQUEST__INIT;
    req.task_token = token;
    req.namespace_ = w->ns;
    head = pack(&req.base, &hlen);
    method = WS "RespondQueryTaskCompleted";
  }
  size_t len = 0;
  uint8_t *buf = head ? concat(head, hlen, body, body_len, &len) : NULL;
  free(head);
  free(body);
  if (w->replay && buf) { /* reported, not sent: the task is over */
    finish_task_locked(run);
    pthread_mutex_unlock(&w->mu);
    emit(w, TCORE_WORKER_EVENT_REPLAY_RESPONSE, run->run_id, buf, len, method);
    free(buf);
    pthread_mutex_lock(&w->mu);
    return;
  }
  tcore_error err = {0};
  int rc = buf ? tcore_worker_call(w, method, buf, len, 0, 0, WFT_RESPOND_TOTAL_MS,
                                   on_respond_done, run, &run->call, &err)
               : TCORE_ERR_NOMEM;
  free(buf);
  if (rc != TCORE_OK) {
    task_error_locked(run, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__FATAL,
                      "answering a workflow task could not start: %s",
                      rc == TCORE_ERR_NOMEM ? "out of memory" : err.message);
    return;
  }
  run->refs++;
  run->stage = S_RESPOND;
  run->respond_kind = kind;
}

/* ---- driving a run -------------------------------------------------------------- */

/* Begins the current task: its history (or, for a run not cached that got
 * a partial history, the whole history from the server). (mu) */
static void start_task_locked(wf_run *run) {
  tcore_worker *w = run->w;
  poll_resp *m = run->cur->msg;
  run->task_start_ms = tcore_now_ms();
  int fresh = run->engine == NULL;
  if (fresh) {
    tcore_wf_engine_config cfg = {.namespace_ = w->ns,
                                  .task_queue = w->task_queue,
                                  .workflow_id = run->workflow_id,
                                  .run_id = run->run_id,
                                  .workflow_type = m->workflow_type ? m->workflow_type->name : ""};
    run->engine = w->wf_ops->new_engine(&cfg);
    if (!run->engine) {
      task_error_locked(run, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__FATAL,
                        "out of memory: a workflow task was dropped%s", NULL);
      return;
    }
  }
  tcore_wf_page_clear(&run->page);
  int rc = tcore_wf_task_first_page(m, !fresh, &run->page);
  if (rc == TCORE_ERR_NOT_FOUND) { /* a cache miss: the whole history, from the server */
    start_fetch_locked(run);
    return;
  }
  if (rc != TCORE_OK) {
    task_error_locked(run, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__FATAL,
                      "out of memory: a workflow task was dropped%s", NULL);
    return;
  }
  run->stage = S_PAGE;
}

/* Whether a nondeterminism error of `run` fails its workflow (the worker's
 * setting for every type, or for the run's type). (mu) */
static int nondeterminism_fails_workflow_locked(const wf_run *run) {
  const tcore_worker *w = run->w;
  if (w->nd_fail_all) return 1;
  for (size_t i = 0; i < w->n_nd_fail_types; i++)
    if (strcmp(w->nd_fail_types[i], run->workflow_type) == 0) return 1;
  return 0;
}

/* From a RespondWorkflowTaskFailedRequest body (the engine's failure), the
 * RespondWorkflowTaskCompletedRequest body that fails the workflow instead:
 * one FailWorkflowExecution command with the same failure, as an
 * application failure (retryable, no type) when it has no kind of its own,
 * as sdk-core reports nondeterminism. TCORE_OK, TCORE_ERR_INVALID_ARGUMENT
 * (no failure in `body`), TCORE_ERR_NOMEM. */
static int fail_workflow_body(const uint8_t *body, size_t len, uint8_t **out, size_t *out_len) {
  Temporal__Api__Workflowservice__V1__RespondWorkflowTaskFailedRequest *f =
      temporal__api__workflowservice__v1__respond_workflow_task_failed_request__unpack(NULL, len,
                                                                                       body);
  if (!f) return TCORE_ERR_NOMEM;
  if (!f->failure) {
    temporal__api__workflowservice__v1__respond_workflow_task_failed_request__free_unpacked(f, NULL);
    return TCORE_ERR_INVALID_ARGUMENT;
  }
  Temporal__Api__Failure__V1__ApplicationFailureInfo app =
      TEMPORAL__API__FAILURE__V1__APPLICATION_FAILURE_INFO__INIT;
  Temporal__Api__Failure__V1__Failure failure = *f->failure;
  if (failure.failure_info_case == TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO__NOT_SET) {
    app.type = "";
    failure.failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO;
    failure.application_failure_info = &app;
  }
  Temporal__Api__Command__V1__FailWorkflowExecutionCommandAttributes attrs =
      TEMPORAL__API__COMMAND__V1__FAIL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES__INIT;
  attrs.failure = &failure;
  Temporal__Api__Command__V1__Command cmd = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  cmd.command_type = TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION;
  cmd.attributes_case =
      TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_FAIL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES;
  cmd.fail_workflow_execution_command_attributes = &attrs;
  Temporal__Api__Command__V1__Command *cmds[1] = {&cmd};
  Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_REQUEST__INIT;
  req.n_commands = 1;
  req.commands = cmds;
  *out = pack(&req.base, out_len);
  temporal__api__workflowservice__v1__respond_workflow_task_failed_request__free_unpacked(f, NULL);
  return *out ? TCORE_OK : TCORE_ERR_NOMEM;
}

/* The message of the failure in a RespondWorkflowTaskFailedRequest body
 * (`body` NULL or without one: ""), cut to fit `out`. */
static void failure_message(const uint8_t *body, size_t len, char *out, size_t size) {
  *out = 0;
  if (!body) return;
  Temporal__Api__Workflowservice__V1__RespondWorkflowTaskFailedRequest *f =
      temporal__api__workflowservice__v1__respond_workflow_task_failed_request__unpack(NULL, len,
                                                                                       body);
  if (f && f->failure && f->failure->message) snprintf(out, size, "%s", f->failure->message);
  if (f)
    temporal__api__workflowservice__v1__respond_workflow_task_failed_request__free_unpacked(f,
                                                                                         NULL);
}

/* The task failed in the engine: the run is evicted, and the failure is
 * reported with RespondWorkflowTaskFailed on the task's first attempt only
 * (as sdk-core does): a later attempt of a task that keeps failing is
 * dropped, and the server retries it when its workflow task
 * timeout passes (reporting every attempt would retry it at once, again and
 * again). A legacy query task is always answered. A first attempt's
 * nondeterminism, for a workflow type the worker lists
 * (tcore_worker_options_set_nondeterminism_as_workflow_fail), fails the
 * workflow instead: RespondWorkflowTaskCompleted with FailWorkflowExecution.
 * Every failed workflow task, reported or dropped, gives a WARNING event
 * "Failing workflow task run_id=... failure=..." (not in replay). (mu) */
static void fail_task_locked(wf_run *run, int rc) {
  tcore_worker *w = run->w;
  uint8_t *body = NULL;
  size_t len = 0;
  tcore_error err = {0};
  int frc = w->wf_ops->failure(run->engine, &body, &len, &err);
  int reason = rc == TCORE_WF_NONDETERMINISM
                   ? CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__NONDETERMINISM
                   : CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__LANG_FAIL;
  /* The eviction says what failed (a replayer reports it): the failure's
   * message, as sdk-core's eviction messages carry it. */
  char why[600];
  char fmsg[520];
  failure_message(frc == TCORE_OK ? body : NULL, len, fmsg, sizeof fmsg);
  if (rc == TCORE_WF_NONDETERMINISM)
    snprintf(why, sizeof why, "%s", *fmsg ? fmsg : "Nondeterminism error");
  else
    snprintf(why, sizeof why, "Workflow activation completion failed: %s",
             *fmsg ? fmsg : "(no failure message)");
  ask_eviction_locked(run, reason, why);
  if (frc != TCORE_OK) {
    free(body);
    task_error_locked(run, reason, "a failed workflow task has no failure to report: %s",
                      err.message);
    return;
  }
  const poll_resp *m = run->cur->msg;
  if (m->attempt > 1 && !m->query) {
    char detail[700];
    snprintf(detail, sizeof detail,
             "%s attempt=%d workflow_id=%s (not reported to the server: only a first "
             "attempt's failure is; the server retries it after its workflow task timeout) "
             "failure=%s",
             run->run_id, m->attempt, run->workflow_id, *fmsg ? fmsg : "(no message)");
    free(body);
    task_error_locked(run, reason, "Failing workflow task run_id=%s", detail);
    return;
  }
  if (rc == TCORE_WF_NONDETERMINISM && !m->query && nondeterminism_fails_workflow_locked(run)) {
    uint8_t *done = NULL;
    size_t done_len = 0;
    if (fail_workflow_body(body, len, &done, &done_len) == TCORE_OK) {
      free(body);
      send_respond_locked(run, 0, done, done_len);
      return;
    }
  }
  /* Every failed task is logged (as sdk-core's WARN "Failing workflow
   * task"); `m` is gone once the task is answered. */
  char warn[600] = "";
  if (!m->query && !w->replay)
    snprintf(warn, sizeof warn, "Failing workflow task run_id=%s failure=%s", run->run_id,
             *fmsg ? fmsg : "(no message)");
  send_respond_locked(run, 1, body, len);
  if (*warn) {
    pthread_mutex_unlock(&w->mu);
    emit(w, TCORE_WORKER_EVENT_WARNING, run->run_id, NULL, 0, warn);
    pthread_mutex_lock(&w->mu);
  }
}

/* Builds the eviction activation of `run`. */
static uint8_t *eviction_activation(const wf_run *run, size_t *len) {
  Coresdk__WorkflowActivation__RemoveFromCache rm =
      CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__INIT;
  rm.message = (char *)run->evict_message;
  rm.reason = run->evict_reason;
  Coresdk__WorkflowActivation__WorkflowActivationJob job =
      CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
  job.variant_case = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__VARIANT_REMOVE_FROM_CACHE;
  job.remove_from_cache = &rm;
  Coresdk__WorkflowActivation__WorkflowActivationJob *jobs[1] = {&job};
  Coresdk__WorkflowActivation__WorkflowActivation a =
      CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION__INIT;
  a.run_id = run->run_id;
  a.n_jobs = 1;
  a.jobs = jobs;
  return pack(&a.base, len);
}

/* Moves the run on as far as its inputs allow. The run manager's thread
 * only. (mu); drops it around engine calls and deliveries. */
static void drive_locked(wf_run *run) {
  tcore_worker *w = run->w;
  const tcore_wf_engine_ops *ops = w->wf_ops;
  for (;;) {
    if (run->abandoned) return;
    tcore_error err = {0};
    uint8_t *out = NULL;
    size_t out_len = 0;
    switch (run->stage) {
      case S_FETCH:
      case S_RESPOND:
        return;
      case S_IDLE:
        if (run->evict_asked) {
          out = eviction_activation(run, &out_len);
          if (!out) return; /* out of memory: a later kick tries again */
          run->stage = S_EVICT;
          pthread_mutex_unlock(&w->mu);
          emit(w, TCORE_WORKER_EVENT_ACTIVATION, run->run_id, out, out_len, NULL);
          free(out);
          pthread_mutex_lock(&w->mu);
          continue;
        }
        if (!run->queue) {
          if (!run->engine && run->listed) run_unlink_locked(run); /* nothing cached */
          return;
        }
        run->cur = run->queue;
        run->queue = run->cur->next;
        if (!run->queue) run->queue_tail = NULL;
        run->cur->next = NULL;
        start_task_locked(run);
        continue;
      case S_EVICT:
        if (!run->has_completion) return;
        free(run->completion);
        run->completion = NULL;
        run->has_completion = 0;
        if (run->engine) ops->free_engine(run->engine);
        run->engine = NULL;
        run->evict_asked = 0;
        run->finished = 0;
        run->stage = S_IDLE;
        if (!run->queue) {
          run_unlink_locked(run);
          return;
        }
        continue;
      case S_PAGE: {
        if (!run->page.history) {
          task_error_locked(run,
                            CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__PAGINATION_OR_HISTORY_FETCH,
                            "fetching workflow history failed%s", NULL);
          continue;
        }
        uint8_t *page = run->page.history;
        size_t page_len = run->page.history_len;
        int complete = run->page.complete;
        run->page.history = NULL;
        run->page.history_len = 0;
        poll_resp *m = run->cur->msg; /* freed only with the run (queue reference held) */
        pthread_mutex_unlock(&w->mu);
        int rc = ops->add_history(run->engine, page, page_len, complete, &err);
        free(page);
        if (rc == TCORE_OK && complete) {
          size_t qlen = 0;
          uint8_t *qb = NULL;
          rc = tcore_wf_task_queries(m, &qb, &qlen);
          if (rc == TCORE_OK && qb) rc = ops->add_queries(run->engine, qb, qlen, &err);
          free(qb);
        }
        pthread_mutex_lock(&w->mu);
        if (run->abandoned) return;
        if (rc == TCORE_WF_NONDETERMINISM) {
          fail_task_locked(run, rc);
        } else if (rc != TCORE_OK) {
          task_error_locked(run, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__FATAL,
                            "the workflow engine refused the task's history: %s", err.message);
        } else if (!complete) {
          start_fetch_locked(run);
        } else {
          run->stage = S_READY;
        }
        continue;
      }
      case S_READY: {
        int query = run->cur && run->cur->msg->query;
        pthread_mutex_unlock(&w->mu);
        int rc = ops->next_activation(run->engine, &out, &out_len, &err);
        if (rc == TCORE_OK) {
          pthread_mutex_lock(&w->mu);
          if (run->abandoned) {
            free(out);
            return;
          }
          run->stage = S_ACT;
          pthread_mutex_unlock(&w->mu);
          emit(w, TCORE_WORKER_EVENT_ACTIVATION, run->run_id, out, out_len, NULL);
          free(out);
          pthread_mutex_lock(&w->mu);
          continue;
        }
        if (rc == TCORE_WF_WAIT_LOCAL_ACTIVITIES) {
          pthread_mutex_lock(&w->mu);
          if (run->abandoned) return;
          run->stage = S_LA;
          continue;
        }
        if (rc == TCORE_WF_TASK_DONE || rc == TCORE_WF_RUN_FINISHED) {
          int fin = rc == TCORE_WF_RUN_FINISHED;
          rc = query ? ops->take_query_response(run->engine, &out, &out_len, &err)
               : rc == TCORE_WF_RUN_FINISHED
                   ? (ops->take_response(run->engine, &out, &out_len, &err) == TCORE_OK
                          ? TCORE_OK
                          : TCORE_WF_RUN_FINISHED)
                   : ops->take_response(run->engine, &out, &out_len, &err);
          pthread_mutex_lock(&w->mu);
          if (run->abandoned) {
            free(out);
            return;
          }
          if (fin) run->finished = 1; /* evicted once this task is answered */
          if (rc == TCORE_WF_RUN_FINISHED) { /* finished in history: nothing to answer */
            finish_task_locked(run);
          } else if (rc == TCORE_OK) {
            send_respond_locked(run, query ? 2 : 0, out, out_len);
          } else {
            task_error_locked(run, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__FATAL,
                              "the workflow engine gave no task response: %s", err.message);
          }
          continue;
        }
        pthread_mutex_lock(&w->mu);
        if (run->abandoned) return;
        if (rc == TCORE_WF_NEED_HISTORY && w->replay) {
          /* A replayed history is complete: its last events are applied
           * and nothing was left to answer (the run waits on something). */
          finish_task_locked(run);
          continue;
        }
        task_error_locked(run, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__FATAL,
                          "the workflow engine could not go on: %s",
                          rc == TCORE_WF_NEED_HISTORY ? "it needs more history" : err.message);
        continue;
      }
      case S_LA:
        if (run->la_done) {
          tcore_wtimer_cancel_locked(w, &run->hb_timer, &run->refs);
          run->hb_due = 0;
          apply_la_done_locked(run);
          run->stage = S_READY;
          continue;
        }
        if (run->hb_due && ops->heartbeat) {
          /* local activities run long: answer the task before it times out,
           * a new one is forced (sdk-core's workflow task heartbeat) */
          run->hb_due = 0;
          int rc = ops->heartbeat(run->engine, &out, &out_len, &err);
          if (rc == TCORE_OK) send_respond_locked(run, 0, out, out_len);
          else
            task_error_locked(run, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__FATAL,
                              "the workflow engine gave no heartbeat response: %s", err.message);
          continue;
        }
        if (!run->hb_timer.armed && ops->heartbeat) {
          int64_t due = run->task_start_ms +
                        tcore_wf_engine_task_timeout_ms(run->engine) * 8 / 10 - tcore_now_ms();
          run->hb_timer.t.fire = hb_fired;
          tcore_wtimer_arm_locked(w, &run->hb_timer, &run->refs, due > 0 ? due : 0);
        }
        return;
      case S_ACT: {
        if (!run->has_completion) return;
        uint8_t *c = run->completion;
        size_t clen = run->completion_len;
        run->completion = NULL;
        run->has_completion = 0;
        pthread_mutex_unlock(&w->mu);
        int rc = ops->complete(run->engine, c, clen, &err);
        free(c);
        pthread_mutex_lock(&w->mu);
        if (run->abandoned) return;
        if (rc == TCORE_OK) {
          take_la_requests_locked(run);
          apply_la_done_locked(run);
          run->stage = S_READY;
          pthread_mutex_unlock(&w->mu);
          tcore_la_flush(w);
          pthread_mutex_lock(&w->mu);
          if (run->abandoned) return;
        } else if (rc == TCORE_WF_NONDETERMINISM || rc == TCORE_WF_ACTIVATION_FAILED) {
          fail_task_locked(run, rc);
        } else {
          task_error_locked(run, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__LANG_FAIL,
                            "the workflow engine refused an activation completion: %s",
                            err.message);
        }
        continue;
      }
      default:
        return;
    }
  }
}

/* The run manager's thread: drives the queued runs, in order, until the
 * worker is destroyed. It never runs the shutdown callback (steps here are
 * not on a runtime thread: shutdown's own timer does what must be), so it
 * never drops the worker's last reference. */
static void *wf_thread_main(void *arg) {
  tcore_worker *w = arg;
  pthread_mutex_lock(&w->mu);
  while (!w->wf_stop) {
    if (tcore_la_due_locked(w)) {
      pthread_mutex_unlock(&w->mu);
      tcore_la_flush(w);
      pthread_mutex_lock(&w->mu);
      continue;
    }
    wf_run *run = w->wf_ready;
    if (!run) {
      pthread_cond_wait(&w->wf_cv, &w->mu);
      continue;
    }
    w->wf_ready = run->ready_next;
    if (!w->wf_ready) w->wf_ready_tail = NULL;
    run->ready_next = NULL;
    run->queued = 0;
    drive_locked(run);
    run_unref_locked(run); /* the queue's */
    tcore_worker_step_locked(w, 0);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

int tcore_wf_start_locked(tcore_worker *w) {
  if (w->wf_thread_started) return TCORE_OK;
  if (!w->wf_cv_init) {
    if (pthread_cond_init(&w->wf_cv, NULL) != 0) return TCORE_ERR_INTERNAL;
    w->wf_cv_init = 1;
  }
  if (pthread_create(&w->wf_thread, NULL, wf_thread_main, w) != 0) return TCORE_ERR_INTERNAL;
  w->wf_thread_started = 1;
  w->wf_thread_pid = getpid();
  return TCORE_OK;
}

/* ---- the task sources ---------------------------------------------------------- */

/* Takes `m` (a task from tcore_wf_task_decode: a poll of the normal or
 * sticky queue, or an eager task from a workflow start) for its run,
 * holding a slot from now (the caller's slot stays counted only when it is
 * taken). Takes `m` either way. TCORE_OK, or TCORE_ERR_NOMEM (*warning says
 * the task was dropped). (mu) */
static int wf_accept_locked(tcore_worker *w, poll_resp *m, int sticky, const char **warning) {
  wf_task *t = calloc(1, sizeof *t);
  wf_run *run = run_find_locked(w, m->workflow_execution->run_id);
  if (t && !run) {
    run = calloc(1, sizeof *run);
    if (run) {
      run->w = w;
      run->run_id = tcore_strdup(m->workflow_execution->run_id);
      run->workflow_id = tcore_strdup(m->workflow_execution->workflow_id);
      run->workflow_type =
          tcore_strdup(m->workflow_type && m->workflow_type->name ? m->workflow_type->name : "");
      if (!run->run_id || !run->workflow_id || !run->workflow_type) {
        free(run->run_id), free(run->workflow_id), free(run->workflow_type), free(run);
        run = NULL;
      }
    }
    if (run) {
      run->refs = 1; /* the list's */
      run->listed = 1;
      run->next = w->runs;
      if (w->runs) w->runs->prev = run;
      w->runs = run;
      w->n_runs++;
      w->holds++;
      if (w->phase >= PHASE_GRACE)
        ask_eviction_locked(run, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__UNSPECIFIED,
                            "Worker shutting down");
    }
  }
  if (!t || !run) {
    free(t);
    *warning = "out of memory: a workflow task was dropped (the server will time it out)";
    temporal__api__workflowservice__v1__poll_workflow_task_queue_response__free_unpacked(m, NULL);
    return TCORE_ERR_NOMEM;
  }
  t->msg = m;
  t->sticky = sticky;
  w->wf_running++;
  if (run->queue_tail) run->queue_tail->next = t;
  else run->queue = t;
  run->queue_tail = t;
  run_touch_locked(run);
  kick_locked(run);
  trim_cache_locked(w);
  return TCORE_OK;
}

static int wf_take_locked(tcore_task_source *s, const tcore_call_result *r, void **out,
                          const char **warning) {
  (void)out; /* the run's kick hands it on */
  poll_resp *m = NULL;
  int rc = tcore_wf_task_decode(r->response, r->response_len, &m, warning);
  if (rc == TCORE_ERR_INVALID_ARGUMENT) return 0; /* the poll failed */
  if (rc == TCORE_OK) (void)wf_accept_locked(s->w, m, s == &s->w->sticky_src, warning);
  return 1;
}

static void wf_deliver(tcore_task_source *s, void *task, const tcore_call_result *r) {
  (void)s, (void)task, (void)r;
}

static size_t build_wf_poll(tcore_worker *w, const char *queue, int sticky, uint8_t **out) {
  Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_TASK_QUEUE_REQUEST__INIT;
  Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
  tq.name = (char *)queue;
  tq.kind = sticky ? TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_STICKY
                   : TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
  if (sticky) tq.normal_name = w->task_queue;
  req.namespace_ = w->ns;
  req.task_queue = &tq;
  req.identity = w->identity;
  req.worker_instance_key = w->instance_key;
  size_t len = 0;
  *out = pack(&req.base, &len);
  return *out ? len : 0;
}

static int source_setup(tcore_worker *w, tcore_task_source *s, const char *queue, int sticky,
                        int max_polls) {
  uint8_t *req = NULL;
  size_t len = build_wf_poll(w, queue, sticky, &req);
  if (!req) return TCORE_ERR_NOMEM;
  int rc = tcore_source_init(s, w, sticky ? "workflow tasks (sticky queue)" : "workflow tasks",
                             WS "PollWorkflowTaskQueue", req, len, max_polls, &w->wf_slots);
  if (rc != TCORE_OK) {
    free(req);
    return rc;
  }
  s->take_locked = wf_take_locked;
  s->deliver = wf_deliver;
  return TCORE_OK;
}

int tcore_wf_init(tcore_worker *w, int max_polls, int max_tasks) {
  w->wf_slots.running = &w->wf_running;
  w->wf_slots.max = max_tasks;
  if (w->replay) return TCORE_OK; /* polls nothing */
  if (max_polls > max_tasks) max_polls = max_tasks;
  int rc = source_setup(w, &w->wf_src, w->task_queue, 0, max_polls);
  if (rc == TCORE_OK && w->max_cached > 0) {
    char buf[400];
    snprintf(buf, sizeof buf, "%s-%s", w->identity, w->instance_key);
    w->sticky_queue = tcore_strdup(buf);
    rc = w->sticky_queue ? source_setup(w, &w->sticky_src, w->sticky_queue, 1, max_polls)
                         : TCORE_ERR_NOMEM;
  }
  return rc;
}

void tcore_wf_destroy(tcore_worker *w) {
  if (w->wf_thread_started) {
    pthread_mutex_lock(&w->mu);
    w->wf_stop = 1;
    pthread_cond_broadcast(&w->wf_cv);
    pthread_mutex_unlock(&w->mu);
    /* In a forked child the thread does not exist. */
    if (getpid() == w->wf_thread_pid) pthread_join(w->wf_thread, NULL);
    w->wf_thread_started = 0;
  }
  if (w->wf_cv_init) pthread_cond_destroy(&w->wf_cv);
  w->wf_cv_init = 0;
  tcore_source_free(&w->wf_src);
  tcore_source_free(&w->sticky_src);
  free(w->sticky_queue);
  tcore_la_free_cancels(w);
}

void tcore_wf_evict_all_locked(tcore_worker *w) {
  /* A replay worker caches nothing: its runs under way end with their own
   * eviction (shutdown waits for them, bounded). */
  if (w->replay) return;
  for (wf_run *r = w->runs; r; r = r->next)
    ask_eviction_locked(r, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__UNSPECIFIED,
                        "Worker shutting down");
  tcore_la_cancel_all_locked(w); /* delivered by the run manager's thread */
  if (w->wf_cv_init) pthread_cond_signal(&w->wf_cv);
}

void tcore_wf_abandon_locked(tcore_worker *w) {
  tcore_la_abandon_all_locked(w);
  while (w->runs) {
    wf_run *r = w->runs;
    tcore_wtimer_cancel_locked(w, &r->hb_timer, &r->refs);
    r->abandoned = 1;
    r->refs++;
    unqueue_locked(r);
    if (r->call) tcore_call_cancel(r->call);
    /* Its tasks go with it (a drive under way may still read them). */
    run_unlink_locked(r);
    run_unref_locked(r);
  }
}

void tcore_wf_cancel_calls_locked(tcore_worker *w) {
  for (wf_run *r = w->runs; r; r = r->next)
    if (r->call) tcore_call_cancel(r->call);
}

/* ---- public ---------------------------------------------------------------------- */

int tcore_worker_complete_activation(tcore_worker *w, const char *run_id, const uint8_t *data,
                                     size_t len) {
  if (!w || (!data && len)) return TCORE_ERR_INVALID_ARGUMENT;
  char *id = NULL;
  if (run_id && *run_id) {
    id = tcore_strdup(run_id);
    if (!id) return TCORE_ERR_NOMEM;
  } else {
    Coresdk__WorkflowCompletion__WorkflowActivationCompletion *c =
        coresdk__workflow_completion__workflow_activation_completion__unpack(NULL, len, data);
    if (!c) return TCORE_ERR_INVALID_ARGUMENT;
    id = c->run_id && *c->run_id ? tcore_strdup(c->run_id) : NULL;
    int had = c->run_id && *c->run_id;
    coresdk__workflow_completion__workflow_activation_completion__free_unpacked(c, NULL);
    if (!had) return TCORE_ERR_INVALID_ARGUMENT;
    if (!id) return TCORE_ERR_NOMEM;
  }
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy) {
    free(id);
    return TCORE_ERR_NOMEM;
  }
  if (len) memcpy(copy, data, len);
  pthread_mutex_lock(&w->mu);
  wf_run *run = w->wf_enabled ? run_find_locked(w, id) : NULL;
  free(id);
  if (!run || (run->stage != S_ACT && run->stage != S_EVICT) || run->has_completion) {
    pthread_mutex_unlock(&w->mu);
    free(copy);
    return TCORE_ERR_NOT_FOUND;
  }
  run->completion = copy;
  run->completion_len = len;
  run->has_completion = 1;
  kick_locked(run);
  tcore_worker_unlock(w);
  return TCORE_OK;
}

int tcore_worker_reserve_workflow_slot(tcore_worker *w) {
  if (!w) return TCORE_ERR_INVALID_ARGUMENT;
  pthread_mutex_lock(&w->mu);
  int rc = TCORE_OK;
  if (!w->wf_enabled) rc = TCORE_ERR_NOT_FOUND;
  else if (w->phase != PHASE_RUNNING || w->fatal) rc = TCORE_ERR_CLOSED;
  else if (w->wf_running + w->wf_slots.polls >= w->wf_slots.max) rc = TCORE_ERR_NOT_FOUND;
  else w->wf_running++; /* the reservation's slot */
  pthread_mutex_unlock(&w->mu);
  return rc;
}

void tcore_worker_release_workflow_slot(tcore_worker *w) {
  if (!w) return;
  pthread_mutex_lock(&w->mu);
  if (w->wf_running > 0) w->wf_running--;
  if (w->phase == PHASE_RUNNING) tcore_worker_pump_locked(w);
  tcore_worker_step_locked(w, 0);
  tcore_worker_unlock(w);
}

int tcore_worker_eager_workflow_task(tcore_worker *w, const uint8_t *task, size_t task_len) {
  if (!w) return TCORE_ERR_INVALID_ARGUMENT;
  poll_resp *m = NULL;
  const char *warning = NULL; /* not delivered: this is the caller's thread */
  int decoded = tcore_wf_task_decode(task, task_len, &m, &warning);
  pthread_mutex_lock(&w->mu);
  if (w->wf_running > 0) w->wf_running--; /* the reservation's slot: the task takes its own */
  int rc = TCORE_OK;
  if (decoded != TCORE_OK) {
    rc = TCORE_ERR_INVALID_ARGUMENT;
  } else if (w->phase >= PHASE_DRAIN || w->fatal) {
    rc = TCORE_ERR_CLOSED;
  } else {
    rc = wf_accept_locked(w, m, 0, &warning);
    m = NULL;
  }
  if (w->phase == PHASE_RUNNING) tcore_worker_pump_locked(w);
  tcore_worker_step_locked(w, 0);
  tcore_worker_unlock(w);
  if (m) temporal__api__workflowservice__v1__poll_workflow_task_queue_response__free_unpacked(m, NULL);
  return rc;
}

int tcore_worker_request_eviction(tcore_worker *w, const char *run_id, const char *reason) {
  if (!w || !run_id) return TCORE_ERR_INVALID_ARGUMENT;
  pthread_mutex_lock(&w->mu);
  wf_run *run = w->wf_enabled ? run_find_locked(w, run_id) : NULL;
  if (!run) {
    pthread_mutex_unlock(&w->mu);
    return TCORE_ERR_NOT_FOUND;
  }
  ask_eviction_locked(run, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__LANG_REQUESTED,
                      reason && *reason ? reason : "Eviction requested");
  tcore_worker_unlock(w);
  return TCORE_OK;
}

/* ---- replay ---------------------------------------------------------------------- */

int tcore_wf_replay_task(const char *workflow_id, const uint8_t *history, size_t len,
                         uint8_t **out, size_t *out_len, tcore_error *err) {
  *out = NULL;
  Temporal__Api__History__V1__History *h =
      history || !len ? temporal__api__history__v1__history__unpack(NULL, len, history) : NULL;
  if (!h) return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "the history bytes do not parse");
  const Temporal__Api__History__V1__HistoryEvent *first = h->n_events ? h->events[0] : NULL;
  const Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *a =
      first && first->attributes_case ==
                   TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_STARTED_EVENT_ATTRIBUTES
          ? first->workflow_execution_started_event_attributes
          : NULL;
  int rc = TCORE_OK;
  if (!a || first->event_id != 1)
    rc = tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT,
                    "a history to replay must start with its WorkflowExecutionStarted event (id 1)");
  else if (!a->original_execution_run_id || !*a->original_execution_run_id)
    rc = tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT,
                    "Histories provided for replay must contain run ids in their workflow "
                    "execution started events");
  if (rc == TCORE_OK) {
    poll_resp m = TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_TASK_QUEUE_RESPONSE__INIT;
    Temporal__Api__Common__V1__WorkflowExecution ex =
        TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    ex.workflow_id = (char *)(workflow_id ? workflow_id : "");
    ex.run_id = a->original_execution_run_id;
    m.task_token.data = (uint8_t *)ex.run_id;
    m.task_token.len = strlen(ex.run_id);
    m.workflow_execution = &ex;
    m.workflow_type = a->workflow_type;
    m.history = h;
    m.attempt = 1;
    *out = pack(&m.base, out_len);
    if (!*out) rc = tcore_fail(err, TCORE_ERR_NOMEM, "out of memory");
  }
  temporal__api__history__v1__history__free_unpacked(h, NULL);
  return rc;
}

int tcore_worker_replay_history(tcore_worker *w, const char *workflow_id, const uint8_t *history,
                                size_t history_len, tcore_error *err) {
  if (!w || (!history && history_len))
    return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "a worker and history bytes are required");
  if (!w->replay)
    return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "not a replay worker");
  uint8_t *task = NULL;
  size_t task_len = 0;
  int rc = tcore_wf_replay_task(workflow_id, history, history_len, &task, &task_len, err);
  if (rc != TCORE_OK) return rc;
  poll_resp *m = NULL;
  const char *why = NULL;
  rc = tcore_wf_task_decode(task, task_len, &m, &why);
  free(task);
  if (rc != TCORE_OK)
    return tcore_fail(err, rc == TCORE_ERR_NOMEM ? rc : TCORE_ERR_INVALID_ARGUMENT, "%s",
                      why ? why : "the history is not a workflow task");
  const char *warning = NULL;
  pthread_mutex_lock(&w->mu);
  if (w->phase != PHASE_RUNNING) {
    pthread_mutex_unlock(&w->mu);
    temporal__api__workflowservice__v1__poll_workflow_task_queue_response__free_unpacked(m, NULL);
    return tcore_fail(err, TCORE_ERR_CLOSED, "the replay worker is not started, or shut down");
  }
  rc = wf_accept_locked(w, m, 0, &warning);
  tcore_worker_unlock(w);
  return rc == TCORE_OK ? rc : tcore_fail(err, rc, "%s", warning ? warning : "out of memory");
}
