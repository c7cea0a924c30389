/* la_worker.c: local activities of a worker's workflow runs (as sdk-core's
 * local activity manager does): the engine's requests
 * (tcore_wf_engine_take_local_activity) become LOCAL_ACTIVITY events for the
 * language, whose outcome comes back through tcore_worker_complete; the
 * manager enforces the timeouts, retries a failed attempt here while the
 * retry policy's backoff is at most local_retry_threshold (timer), and
 * otherwise gives the run its outcome (tcore_wf_engine_resolve_local_activity
 * on the run manager's thread), with the backoff when a longer one is due.
 *
 * Tokens: 16 bytes, "\0tla" + the task's id (8 bytes) + its attempt (4),
 * so a late completion of an attempt that timed out is recognised and
 * dropped. No server call is made.
 *
 * Locking: everything here under the worker's `mu`; events are delivered by
 * tcore_la_flush without it. A task holds a worker hold and a reference on
 * its run while alive; a kept CANCEL a worker hold until delivered.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "temporal/sdk/core/activity_result/activity_result.pb-c.h"
#include "temporal/sdk/core/workflow_commands/workflow_commands.pb-c.h"
#include "worker.h"

#define LA_TOKEN_LEN 16
#define LA_DEFAULT_THRESHOLD_MS 60000

typedef Coresdk__WorkflowCommands__ScheduleLocalActivity la_sched;

struct tcore_la {
  struct tcore_la *next; /* the worker's list (mu) */
  tcore_worker *w;
  struct wf_run *run;
  char *ns, *workflow_id, *run_id, *workflow_type;
  Coresdk__WorkflowCommands__WorkflowCommand *cmd; /* owns the schedule */
  const la_sched *s;
  uint64_t id;
  uint32_t attempt;
  int64_t sched_wall_ms;       /* original schedule time */
  int64_t attempt_deadline_ms; /* monotonic, 0: none */
  int64_t close_deadline_ms;   /* schedule-to-close, monotonic, 0: none */
  int running;                 /* an attempt is with the language */
  int emit_task, emit_cancel;  /* events due (tcore_la_flush) */
  int delivering;              /* its LOCAL_ACTIVITY is being delivered: CANCELs wait */
  const char *cancel_reason;
  int cancel_requested;        /* by the workflow */
  int done;                    /* its outcome went to the run */
  int refs;                    /* the list, an armed timer, a delivery */
  wtimer timer;                /* the attempt's deadline, or the retry */
  int timer_retry;
  uint8_t *last_failure;       /* while waiting to retry: the outcome if none comes */
  size_t last_failure_len;
};

/* A CANCEL for the language about a task that has ended here already (its
 * attempt timed out, or its outcome went to the run). */
typedef struct la_cancel {
  struct la_cancel *next;
  uint8_t token[LA_TOKEN_LEN];
  const char *reason;
  char *run_id;
} la_cancel;

static int64_t wall_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t dur_ms(const Google__Protobuf__Duration *d) {
  if (!d) return 0;
  return d->seconds * 1000 + d->nanos / 1000000;
}

static void la_unref_locked(tcore_la *la) {
  if (--la->refs > 0) return;
  tcore_worker *w = la->w;
  if (la->cmd) coresdk__workflow_commands__workflow_command__free_unpacked(la->cmd, NULL);
  tcore_wf_run_unref_locked(la->run);
  free(la->last_failure);
  free(la->ns), free(la->workflow_id), free(la->run_id), free(la->workflow_type);
  free(la);
  w->holds--;
}

static void la_unlink_locked(tcore_la *la) {
  tcore_worker *w = la->w;
  for (tcore_la **p = &w->las; *p; p = &(*p)->next)
    if (*p == la) {
      *p = la->next;
      la->next = NULL;
      la_unref_locked(la);
      return;
    }
}

static tcore_la *la_find_locked(tcore_worker *w, const char *run_id, uint32_t seq) {
  for (tcore_la *la = w->las; la; la = la->next)
    if (la->s->seq == seq && !strcmp(la->run_id, run_id)) return la;
  return NULL;
}

static void la_token(const tcore_la *la, uint8_t *t) {
  memcpy(t, "\0tla", 4);
  for (int i = 0; i < 8; i++) t[4 + i] = (uint8_t)(la->id >> (8 * i));
  for (int i = 0; i < 4; i++) t[12 + i] = (uint8_t)(la->attempt >> (8 * i));
}

int tcore_la_is_token(const uint8_t *token, size_t len) {
  return len == LA_TOKEN_LEN && !memcmp(token, "\0tla", 4);
}

/* Gives the run the outcome and ends the task. `result` a serialized
 * ActivityExecutionResult (owned). (mu) */
static void la_token(const tcore_la *la, uint8_t *t);

/* Queues the task's pending CANCEL so that it outlives the task. (mu) */
static void la_keep_cancel_locked(tcore_la *la) {
  if (!la->emit_cancel) return;
  la->emit_cancel = 0;
  la_cancel *c = calloc(1, sizeof *c);
  if (!c) return; /* out of memory: the attempt runs to its end, its outcome dropped */
  la_token(la, c->token);
  c->reason = la->cancel_reason;
  c->run_id = tcore_strdup(la->run_id);
  c->next = la->w->la_cancels;
  la->w->la_cancels = c;
  la->w->holds++; /* until delivered: the shutdown waits for it */
}

static void la_finish_locked(tcore_la *la, uint8_t *result, size_t len, int64_t backoff_ms) {
  tcore_worker *w = la->w;
  la_keep_cancel_locked(la);
  la->done = 1;
  la->running = 0;
  tcore_wtimer_cancel_locked(w, &la->timer, &la->refs);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tcore_wf_la_done_locked(la->run, la->s->seq, result, len, la->attempt,
                          (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec,
                          backoff_ms < 0                      ? -1
                          : backoff_ms > INT64_MAX / 1000000 ? INT64_MAX /* saturated */
                                                              : backoff_ms * 1000000);
  la_unlink_locked(la);
}

static uint8_t *pack_result(int status, Temporal__Api__Failure__V1__Failure *f,
                            const uint8_t *payload, size_t payload_len, size_t *len) {
  Coresdk__ActivityResult__ActivityExecutionResult r =
      CORESDK__ACTIVITY_RESULT__ACTIVITY_EXECUTION_RESULT__INIT;
  Coresdk__ActivityResult__Success ok = CORESDK__ACTIVITY_RESULT__SUCCESS__INIT;
  Coresdk__ActivityResult__Failure fail = CORESDK__ACTIVITY_RESULT__FAILURE__INIT;
  Coresdk__ActivityResult__Cancellation can = CORESDK__ACTIVITY_RESULT__CANCELLATION__INIT;
  Temporal__Api__Common__V1__Payloads *pls = NULL;
  r.status_case = status;
  if (status == CORESDK__ACTIVITY_RESULT__ACTIVITY_EXECUTION_RESULT__STATUS_COMPLETED) {
    pls = payload_len ? temporal__api__common__v1__payloads__unpack(NULL, payload_len, payload)
                      : NULL;
    ok.result = pls && pls->n_payloads ? pls->payloads[0] : NULL;
    r.completed = &ok;
  } else if (status == CORESDK__ACTIVITY_RESULT__ACTIVITY_EXECUTION_RESULT__STATUS_FAILED) {
    fail.failure = f;
    r.failed = &fail;
  } else {
    can.failure = f;
    r.cancelled = &can;
  }
  size_t n = protobuf_c_message_get_packed_size(&r.base);
  uint8_t *buf = malloc(n ? n : 1);
  if (buf) *len = protobuf_c_message_pack(&r.base, buf);
  if (pls) temporal__api__common__v1__payloads__free_unpacked(pls, NULL);
  return buf;
}

/* Whether `f` may be retried under the schedule's retry policy. */
static int retryable(const la_sched *s, const Temporal__Api__Failure__V1__Failure *f) {
  const Temporal__Api__Common__V1__RetryPolicy *rp = s->retry_policy;
  for (const Temporal__Api__Failure__V1__Failure *c = f; c; c = NULL) {
    if (c->failure_info_case ==
        TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO) {
      const Temporal__Api__Failure__V1__ApplicationFailureInfo *ai = c->application_failure_info;
      if (ai && ai->non_retryable) return 0;
      for (size_t i = 0; rp && ai && ai->type && i < rp->n_non_retryable_error_types; i++)
        if (!strcmp(rp->non_retryable_error_types[i], ai->type)) return 0;
    }
  }
  return 1;
}

int64_t tcore_la_backoff_ms(const Temporal__Api__Common__V1__RetryPolicy *rp, uint32_t attempt,
                            const Temporal__Api__Failure__V1__Failure *f) {
  int64_t initial = rp && rp->initial_interval ? dur_ms(rp->initial_interval) : 1000;
  double coeff = rp && rp->backoff_coefficient > 0 ? rp->backoff_coefficient : 2.0;
  int64_t max = rp && rp->maximum_interval ? dur_ms(rp->maximum_interval) : 100 * initial;
  if (rp && rp->maximum_attempts > 0 && attempt >= (uint32_t)rp->maximum_attempts) return -1;
  if (f && f->failure_info_case ==
               TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO &&
      f->application_failure_info && f->application_failure_info->next_retry_delay)
    return dur_ms(f->application_failure_info->next_retry_delay);
  double d = (double)initial * pow(coeff, (double)attempt - 1);
  if (!(d < (double)max)) return max;
  return (int64_t)d;
}

static void la_start_attempt_locked(tcore_la *la);

/* An attempt failed with `f` (serialized in fbytes when from the language,
 * else NULL and packed here): retry here, back off in the workflow, or
 * fail for good. (mu) */
static void la_failed_locked(tcore_la *la, Temporal__Api__Failure__V1__Failure *f, int final) {
  tcore_worker *w = la->w;
  int64_t backoff = final || la->cancel_requested || !retryable(la->s, f)
                        ? -1
                        : tcore_la_backoff_ms(la->s->retry_policy, la->attempt, f);
  if (backoff >= 0 && la->close_deadline_ms && tcore_now_ms() + backoff >= la->close_deadline_ms)
    backoff = -1;
  int64_t threshold = la->s->local_retry_threshold ? dur_ms(la->s->local_retry_threshold)
                                                   : LA_DEFAULT_THRESHOLD_MS;
  if (backoff >= 0 && backoff <= threshold) {
    free(la->last_failure); /* NULL when out of memory: then retried even at shutdown */
    la->last_failure = pack_result(CORESDK__ACTIVITY_RESULT__ACTIVITY_EXECUTION_RESULT__STATUS_FAILED,
                                   f, NULL, 0, &la->last_failure_len);
    la_keep_cancel_locked(la); /* names the attempt that timed out */
    la->running = 0;
    la->timer_retry = 1;
    tcore_wtimer_arm_locked(w, &la->timer, &la->refs, backoff);
    return;
  }
  size_t len = 0;
  uint8_t *r = pack_result(CORESDK__ACTIVITY_RESULT__ACTIVITY_EXECUTION_RESULT__STATUS_FAILED, f,
                           NULL, 0, &len);
  if (!r) return; /* out of memory: the workflow task times out and is retried */
  la_finish_locked(la, r, len, backoff);
}

static Temporal__Api__Failure__V1__Failure *timeout_failure(
    Temporal__Api__Failure__V1__Failure *f, Temporal__Api__Failure__V1__TimeoutFailureInfo *ti,
    int type) {
  temporal__api__failure__v1__failure__init(f);
  temporal__api__failure__v1__timeout_failure_info__init(ti);
  f->message = "Activity timed out";
  ti->timeout_type = type;
  f->failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TIMEOUT_FAILURE_INFO;
  f->timeout_failure_info = ti;
  return f;
}

/* Ends a task waiting to retry with its last attempt's failure. (mu) */
static void la_finish_retry_locked(tcore_la *la) {
  uint8_t *r = la->last_failure;
  la->last_failure = NULL;
  la->timer_retry = 0;
  la_finish_locked(la, r, la->last_failure_len, -1);
}

static void la_timer_fired(tcore_timer *t) {
  tcore_la *la = (tcore_la *)((char *)t - offsetof(tcore_la, timer));
  tcore_worker *w = la->w;
  pthread_mutex_lock(&w->mu);
  la->timer.armed = 0;
  if (!la->done) {
    if (la->timer_retry && w->phase >= PHASE_GRACE && la->last_failure) {
      la_finish_retry_locked(la); /* the worker shuts down: no new attempt */
    } else if (la->timer_retry) {
      la->timer_retry = 0;
      la->attempt++;
      la_start_attempt_locked(la);
    } else if (la->running) {
      /* the attempt's deadline: the language is told, its outcome dropped */
      int s2c = la->close_deadline_ms && tcore_now_ms() >= la->close_deadline_ms;
      la->running = 0;
      la->emit_cancel = 1;
      la->cancel_reason = "timed_out";
      Temporal__Api__Failure__V1__Failure f;
      Temporal__Api__Failure__V1__TimeoutFailureInfo ti;
      timeout_failure(&f, &ti,
                      s2c ? TEMPORAL__API__ENUMS__V1__TIMEOUT_TYPE__TIMEOUT_TYPE_SCHEDULE_TO_CLOSE
                          : TEMPORAL__API__ENUMS__V1__TIMEOUT_TYPE__TIMEOUT_TYPE_START_TO_CLOSE);
      la_failed_locked(la, &f, s2c);
    }
  }
  pthread_mutex_unlock(&w->mu);
  tcore_la_flush(w); /* the timer's reference keeps the task (and the worker) */
  pthread_mutex_lock(&w->mu);
  la_unref_locked(la); /* the timer's */
  tcore_worker_step_locked(w, 1);
  tcore_worker_unlock(w);
}

/* Arms the attempt's deadline and marks the task due for delivery. (mu) */
static void la_start_attempt_locked(tcore_la *la) {
  int64_t now = tcore_now_ms();
  int64_t s2c = dur_ms(la->s->start_to_close_timeout);
  la->attempt_deadline_ms = s2c > 0 ? now + s2c : 0;
  int64_t d = la->attempt_deadline_ms;
  if (la->close_deadline_ms && (!d || la->close_deadline_ms < d)) d = la->close_deadline_ms;
  la->running = 1;
  la->emit_task = 1;
  la->timer_retry = 0;
  if (d) tcore_wtimer_arm_locked(la->w, &la->timer, &la->refs, d > now ? d - now : 0);
}

/* The LOCAL_ACTIVITY event's task: a PollActivityTaskQueueResponse. */
static uint8_t *la_task_bytes(const tcore_la *la, size_t *len) {
  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse m =
      TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_ACTIVITY_TASK_QUEUE_RESPONSE__INIT;
  Temporal__Api__Common__V1__WorkflowType wt = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
  Temporal__Api__Common__V1__ActivityType at = TEMPORAL__API__COMMON__V1__ACTIVITY_TYPE__INIT;
  Temporal__Api__Common__V1__WorkflowExecution we =
      TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
  Temporal__Api__Common__V1__Payloads in = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
  Temporal__Api__Common__V1__Header hd = TEMPORAL__API__COMMON__V1__HEADER__INIT;
  Google__Protobuf__Timestamp sched = GOOGLE__PROTOBUF__TIMESTAMP__INIT,
                              now = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  uint8_t token[LA_TOKEN_LEN];
  la_token(la, token);
  const la_sched *s = la->s;
  m.task_token.data = token;
  m.task_token.len = sizeof token;
  m.workflow_namespace = la->ns;
  wt.name = la->workflow_type;
  m.workflow_type = &wt;
  we.workflow_id = la->workflow_id;
  we.run_id = la->run_id;
  m.workflow_execution = &we;
  at.name = s->activity_type;
  m.activity_type = &at;
  m.activity_id = s->activity_id;
  in.n_payloads = s->n_arguments;
  in.payloads = s->arguments;
  m.input = &in;
  hd.n_fields = s->n_headers;
  hd.fields = (Temporal__Api__Common__V1__Header__FieldsEntry **)s->headers;
  m.header = &hd;
  sched.seconds = la->sched_wall_ms / 1000;
  sched.nanos = (int32_t)(la->sched_wall_ms % 1000) * 1000000;
  int64_t nw = wall_now_ms();
  now.seconds = nw / 1000;
  now.nanos = (int32_t)(nw % 1000) * 1000000;
  m.scheduled_time = &sched;
  m.current_attempt_scheduled_time = &now;
  m.started_time = &now;
  m.attempt = (int32_t)la->attempt;
  m.schedule_to_close_timeout = s->schedule_to_close_timeout;
  m.start_to_close_timeout = s->start_to_close_timeout;
  m.retry_policy = s->retry_policy;
  size_t n = protobuf_c_message_get_packed_size(&m.base);
  uint8_t *buf = malloc(n ? n : 1);
  if (buf) *len = protobuf_c_message_pack(&m.base, buf);
  return buf;
}

int tcore_la_request_locked(tcore_worker *w, struct wf_run *run, const char *ns,
                            const char *workflow_id, const char *run_id,
                            const char *workflow_type, const uint8_t *req, size_t len) {
  Coresdk__WorkflowCommands__WorkflowCommand *c =
      coresdk__workflow_commands__workflow_command__unpack(NULL, len, req);
  if (!c) return TCORE_ERR_INVALID_ARGUMENT;
  if (c->variant_case ==
      CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_REQUEST_CANCEL_LOCAL_ACTIVITY) {
    tcore_la *la = c->request_cancel_local_activity
                       ? la_find_locked(w, run_id, c->request_cancel_local_activity->seq)
                       : NULL;
    coresdk__workflow_commands__workflow_command__free_unpacked(c, NULL);
    if (!la || la->done) return TCORE_OK;
    la->cancel_requested = 1;
    if (la->running && !la->emit_task) {
      la->emit_cancel = 1;
      la->cancel_reason = "cancel_requested";
    } else if (la->timer_retry || la->emit_task) { /* waiting to retry, or not yet
                                                    * given to the language: cancelled now */
      la->emit_task = 0;
      Temporal__Api__Failure__V1__Failure f = TEMPORAL__API__FAILURE__V1__FAILURE__INIT;
      Temporal__Api__Failure__V1__CanceledFailureInfo ci =
          TEMPORAL__API__FAILURE__V1__CANCELED_FAILURE_INFO__INIT;
      f.message = "Activity cancelled";
      f.failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO;
      f.canceled_failure_info = &ci;
      size_t n = 0;
      uint8_t *r = pack_result(CORESDK__ACTIVITY_RESULT__ACTIVITY_EXECUTION_RESULT__STATUS_CANCELLED,
                               &f, NULL, 0, &n);
      if (r) la_finish_locked(la, r, n, -1);
    }
    return TCORE_OK;
  }
  if (c->variant_case != CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_SCHEDULE_LOCAL_ACTIVITY ||
      !c->schedule_local_activity) {
    coresdk__workflow_commands__workflow_command__free_unpacked(c, NULL);
    return TCORE_ERR_INVALID_ARGUMENT;
  }
  /* Already running for an evicted run of this id (a replay asks again):
   * the outcome goes to the new run, the activity is not started again. */
  tcore_la *live = la_find_locked(w, run_id, c->schedule_local_activity->seq);
  if (live) {
    coresdk__workflow_commands__workflow_command__free_unpacked(c, NULL);
    if (live->run != run) {
      tcore_wf_run_ref_locked(run);
      tcore_wf_run_unref_locked(live->run);
      live->run = run;
    }
    return TCORE_OK;
  }
  tcore_la *la = calloc(1, sizeof *la);
  if (!la) {
    coresdk__workflow_commands__workflow_command__free_unpacked(c, NULL);
    return TCORE_ERR_NOMEM;
  }
  la->w = w;
  la->cmd = c;
  la->s = c->schedule_local_activity;
  la->ns = tcore_strdup(ns);
  la->workflow_id = tcore_strdup(workflow_id);
  la->run_id = tcore_strdup(run_id);
  la->workflow_type = tcore_strdup(workflow_type);
  la->run = run;
  tcore_wf_run_ref_locked(run);
  la->refs = 1;
  w->holds++;
  la->timer.t.fire = la_timer_fired;
  if (!la->ns || !la->workflow_id || !la->run_id || !la->workflow_type) {
    la_unref_locked(la);
    return TCORE_ERR_NOMEM;
  }
  la->id = ++w->la_next_id;
  la->attempt = la->s->attempt ? la->s->attempt : 1;
  const Google__Protobuf__Timestamp *st = la->s->original_schedule_time;
  la->sched_wall_ms = st ? st->seconds * 1000 + st->nanos / 1000000 : wall_now_ms();
  int64_t s2c = dur_ms(la->s->schedule_to_close_timeout);
  if (s2c > 0) la->close_deadline_ms = tcore_now_ms() + (la->sched_wall_ms + s2c - wall_now_ms());
  la->next = w->las;
  w->las = la;
  la_start_attempt_locked(la);
  return TCORE_OK;
}

/* Whether an event of `la` may be delivered now: no CANCEL overtakes the
 * LOCAL_ACTIVITY another thread is delivering. (mu) */
static int la_due(const tcore_la *la) {
  return la->emit_task || (la->emit_cancel && !la->delivering);
}

/* Whether a kept CANCEL may be delivered now (as la_due; its task may have
 * left the list while its LOCAL_ACTIVITY is being delivered). (mu) */
static int kept_due_locked(tcore_worker *w) {
  return w->la_cancels && !w->la_delivering;
}

void tcore_la_flush(tcore_worker *w) {
  for (;;) {
    pthread_mutex_lock(&w->mu);
    la_cancel *kept = kept_due_locked(w) ? w->la_cancels : NULL;
    if (kept) {
      w->la_cancels = kept->next;
      tcore_worker_event_cb cb = w->event_cb;
      void *user = w->event_user;
      pthread_mutex_unlock(&w->mu);
      tcore_worker_event ev = {0};
      ev.kind = TCORE_WORKER_EVENT_CANCEL;
      ev.message = kept->reason;
      ev.task_token = kept->token;
      ev.task_token_len = LA_TOKEN_LEN;
      ev.run_id = kept->run_id;
      if (cb) cb(user, &ev);
      free(kept->run_id);
      free(kept);
      pthread_mutex_lock(&w->mu);
      w->holds--;
      tcore_worker_step_locked(w, 0);
      tcore_worker_unlock(w);
      continue;
    }
    tcore_la *la = w->las;
    while (la && !la_due(la)) la = la->next;
    if (!la) {
      pthread_mutex_unlock(&w->mu);
      return;
    }
    tcore_worker_event ev = {0};
    uint8_t token[LA_TOKEN_LEN];
    uint8_t *task = NULL;
    size_t task_len = 0;
    if (la->emit_task) {
      la->emit_task = 0;
      la->delivering = 1;
      w->la_delivering++;
      task = la_task_bytes(la, &task_len);
      ev.kind = TCORE_WORKER_EVENT_LOCAL_ACTIVITY;
    } else {
      la->emit_cancel = 0;
      ev.kind = TCORE_WORKER_EVENT_CANCEL;
      ev.message = la->cancel_reason;
    }
    la_token(la, token);
    la->refs++; /* the delivery's */
    tcore_worker_event_cb cb = w->event_cb;
    void *user = w->event_user;
    pthread_mutex_unlock(&w->mu);
    ev.task_token = token;
    ev.task_token_len = sizeof token;
    ev.task = task;
    ev.task_len = task_len;
    ev.run_id = la->run_id;
    if (cb && (ev.kind != TCORE_WORKER_EVENT_LOCAL_ACTIVITY || task)) cb(user, &ev);
    free(task);
    pthread_mutex_lock(&w->mu);
    if (ev.kind == TCORE_WORKER_EVENT_LOCAL_ACTIVITY) {
      la->delivering = 0;
      w->la_delivering--;
    }
    la_unref_locked(la); /* may be the last hold */
    tcore_worker_step_locked(w, 0);
    tcore_worker_unlock(w);
  }
}

int tcore_la_complete(tcore_worker *w, const uint8_t *token, int kind, const uint8_t *data,
                      size_t len) {
  uint64_t id = 0;
  uint32_t attempt = 0;
  for (int i = 0; i < 8; i++) id |= (uint64_t)token[4 + i] << (8 * i);
  for (int i = 0; i < 4; i++) attempt |= (uint32_t)token[12 + i] << (8 * i);
  pthread_mutex_lock(&w->mu);
  tcore_la *la = w->las;
  while (la && la->id != id) la = la->next;
  if (!la) {
    pthread_mutex_unlock(&w->mu);
    return TCORE_ERR_NOT_FOUND;
  }
  if (!la->running || la->attempt != attempt) { /* timed out, or cancelled: dropped */
    pthread_mutex_unlock(&w->mu);
    return TCORE_OK;
  }
  tcore_wtimer_cancel_locked(w, &la->timer, &la->refs);
  la->running = 0;
  int rc = TCORE_OK;
  if (kind == TCORE_COMPLETION_COMPLETED) {
    size_t n = 0;
    uint8_t *r = pack_result(CORESDK__ACTIVITY_RESULT__ACTIVITY_EXECUTION_RESULT__STATUS_COMPLETED,
                             NULL, data, len, &n);
    if (r) la_finish_locked(la, r, n, -1);
    else rc = TCORE_ERR_NOMEM;
  } else {
    Temporal__Api__Failure__V1__Failure *f =
        kind == TCORE_COMPLETION_FAILED ? temporal__api__failure__v1__failure__unpack(NULL, len, data)
                                        : NULL;
    Temporal__Api__Failure__V1__Failure cf = TEMPORAL__API__FAILURE__V1__FAILURE__INIT;
    Temporal__Api__Failure__V1__CanceledFailureInfo ci =
        TEMPORAL__API__FAILURE__V1__CANCELED_FAILURE_INFO__INIT;
    if (kind == TCORE_COMPLETION_CANCELLED || (kind == TCORE_COMPLETION_FAILED && !f)) {
      cf.message = kind == TCORE_COMPLETION_CANCELLED ? "Activity cancelled"
                                                      : "the local activity's failure did not parse";
      if (kind == TCORE_COMPLETION_CANCELLED) {
        cf.failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO;
        cf.canceled_failure_info = &ci;
      }
    }
    if (kind == TCORE_COMPLETION_CANCELLED) {
      size_t n = 0;
      uint8_t *r = pack_result(
          CORESDK__ACTIVITY_RESULT__ACTIVITY_EXECUTION_RESULT__STATUS_CANCELLED, &cf, NULL, 0, &n);
      if (r) la_finish_locked(la, r, n, -1);
    } else {
      la_failed_locked(la, f ? f : &cf, kind != TCORE_COMPLETION_FAILED);
    }
    if (f) temporal__api__failure__v1__failure__free_unpacked(f, NULL);
  }
  /* events due (a kept CANCEL) go from the run manager's thread, never the caller's */
  if (tcore_la_due_locked(w) && w->wf_cv_init) pthread_cond_signal(&w->wf_cv);
  tcore_worker_step_locked(w, 0);
  tcore_worker_unlock(w);
  return rc;
}

void tcore_la_cancel_all_locked(tcore_worker *w) {
  for (tcore_la *la = w->las, *next; la; la = next) {
    next = la->next;
    if (la->running && !la->emit_cancel) {
      la->emit_cancel = 1;
      la->cancel_reason = "worker_shutdown";
    } else if (!la->done && la->timer_retry && la->last_failure) {
      la_finish_retry_locked(la); /* waiting to retry: no new attempt at shutdown */
    }
  }
}

int tcore_la_due_locked(tcore_worker *w) {
  if (kept_due_locked(w)) return 1;
  for (tcore_la *la = w->las; la; la = la->next)
    if (la_due(la)) return 1;
  return 0;
}

void tcore_la_free_cancels(tcore_worker *w) {
  while (w->la_cancels) {
    la_cancel *c = w->la_cancels;
    w->la_cancels = c->next;
    free(c->run_id);
    free(c);
    w->holds--;
  }
}

void tcore_la_abandon_all_locked(tcore_worker *w) {
  tcore_la_free_cancels(w);
  while (w->las) {
    tcore_la *la = w->las;
    la->done = 1;
    la->running = 0;
    la->emit_task = la->emit_cancel = 0;
    tcore_wtimer_cancel_locked(w, &la->timer, &la->refs);
    la_unlink_locked(la);
  }
}
