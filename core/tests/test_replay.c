/* test_replay.c: the replay worker (tcore_replay_worker_new,
 * tcore_worker_replay_history) without a server: a real history (sdk-core's
 * timer workflow fixture, core/tests/data/timer_workflow_history.bin: start
 * a 1 s timer, complete when it fires) pushed whole or cut short, replayed
 * by the real engine and run manager, the language side played by this
 * test's event callback with the same code, changed code, or code that
 * fails. Checks what the API promises: the activations, the reported
 * responses, and the one eviction per history whose reason is the result.
 */
#include <pthread.h>
#include <string.h>

#include "check.h"
#include "internal.h"
#include "lang_side.h"
#include "temporal/api/history/v1/message.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "temporal/sdk/core/workflow_activation/workflow_activation.pb-c.h"
#include "temporal/sdk/core/workflow_completion/workflow_completion.pb-c.h"

#ifndef WF_TEST_DATA
#define WF_TEST_DATA "core/tests/data"
#endif

#define WS "/temporal.api.workflowservice.v1.WorkflowService/"
#define RUN_ID "8212ae33-7a76-4bb1-8496-5e0515d2ce1a"

enum { CODE_SAME, CODE_CHANGED, CODE_FAILS };

/* ---- the language side --------------------------------------------------------- */

typedef struct rec {
  pthread_mutex_t mu;
  tcore_worker *w;
  int code;
  int activations, replaying, evictions, reason, responses, shutdowns;
  int response_before_eviction;
  char message[640];
  char response_method[128];
  int response_commands, response_complete_cmd; /* of a RespondWorkflowTaskCompleted */
  int response_failed_cause;                    /* of a RespondWorkflowTaskFailed */
  char workflow_id[64];
} rec;

static void record_response(rec *r, const tcore_worker_event *ev) {
  r->responses++;
  r->response_before_eviction = r->evictions == 0;
  snprintf(r->response_method, sizeof r->response_method, "%s", ev->message);
  if (strcmp(ev->message, WS "RespondWorkflowTaskCompleted") == 0) {
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *q =
        temporal__api__workflowservice__v1__respond_workflow_task_completed_request__unpack(
            NULL, ev->task_len, ev->task);
    CHECK(q != NULL);
    if (!q) return;
    CHECK(q->task_token.len == strlen(RUN_ID) && memcmp(q->task_token.data, RUN_ID, q->task_token.len) == 0);
    r->response_commands = (int)q->n_commands;
    r->response_complete_cmd =
        q->n_commands == 1 &&
        q->commands[0]->command_type ==
            TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION;
    temporal__api__workflowservice__v1__respond_workflow_task_completed_request__free_unpacked(q,
                                                                                               NULL);
  } else {
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskFailedRequest *q =
        temporal__api__workflowservice__v1__respond_workflow_task_failed_request__unpack(
            NULL, ev->task_len, ev->task);
    CHECK(q != NULL);
    if (!q) return;
    r->response_failed_cause = q->cause;
    temporal__api__workflowservice__v1__respond_workflow_task_failed_request__free_unpacked(q,
                                                                                            NULL);
  }
}

static void on_event(void *user, const tcore_worker_event *ev) {
  rec *r = user;
  if (ev->kind == TCORE_WORKER_EVENT_REPLAY_RESPONSE) {
    CHECK(ev->run_id && strcmp(ev->run_id, RUN_ID) == 0);
    pthread_mutex_lock(&r->mu);
    record_response(r, ev);
    pthread_mutex_unlock(&r->mu);
    return;
  }
  if (ev->kind != TCORE_WORKER_EVENT_ACTIVATION) return;
  Coresdk__WorkflowActivation__WorkflowActivation *a =
      coresdk__workflow_activation__workflow_activation__unpack(NULL, ev->task_len, ev->task);
  CHECK(a != NULL);
  if (!a) return;
  int init = 0, fire = 0, evict = 0;
  pthread_mutex_lock(&r->mu);
  for (size_t i = 0; i < a->n_jobs; i++) {
    Coresdk__WorkflowActivation__WorkflowActivationJob *j = a->jobs[i];
    switch (j->variant_case) {
      case CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__VARIANT_INITIALIZE_WORKFLOW:
        init = 1;
        snprintf(r->workflow_id, sizeof r->workflow_id, "%s", j->initialize_workflow->workflow_id);
        break;
      case CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__VARIANT_FIRE_TIMER:
        fire = 1;
        break;
      case CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__VARIANT_REMOVE_FROM_CACHE:
        evict = 1;
        r->evictions++;
        r->reason = j->remove_from_cache->reason;
        snprintf(r->message, sizeof r->message, "%s", j->remove_from_cache->message);
        break;
      default:
        break;
    }
  }
  if (!evict) {
    r->activations++;
    r->replaying += a->is_replaying;
  }
  int code = r->code;
  tcore_worker *w = r->w;
  pthread_mutex_unlock(&r->mu);

  /* The fixture's code: a 1 s timer (seq 0), complete when it fires. */
  int answer = init && code == CODE_FAILS                  ? ANSWER_FAIL
               : fire || (init && code == CODE_CHANGED)    ? ANSWER_COMPLETE
               : init                                      ? ANSWER_TIMER
                                                           : ANSWER_NOTHING;
  CHECK(answer_activation(w, a->run_id, 0, answer, 0, 1000) == TCORE_OK);
  coresdk__workflow_activation__workflow_activation__free_unpacked(a, NULL);
}

static void on_shutdown(void *user) {
  rec *r = user;
  pthread_mutex_lock(&r->mu);
  r->shutdowns++;
  pthread_mutex_unlock(&r->mu);
}

/* ---- fixtures ------------------------------------------------------------------ */

static tcore_runtime *rt;

/* The fixture history, its first `n` events only when n > 0 (malloc'd). */
static uint8_t *history(size_t n, size_t *len) {
  FILE *fp = fopen(WF_TEST_DATA "/timer_workflow_history.bin", "rb");
  CHECK(fp != NULL);
  if (!fp) return NULL;
  uint8_t raw[65536];
  size_t rn = fread(raw, 1, sizeof raw, fp);
  fclose(fp);
  Temporal__Api__History__V1__History *h = temporal__api__history__v1__history__unpack(NULL, rn, raw);
  CHECK(h != NULL);
  if (!h) return NULL;
  size_t all = h->n_events;
  if (n && n < all) h->n_events = n;
  *len = temporal__api__history__v1__history__get_packed_size(h);
  uint8_t *out = malloc(*len ? *len : 1);
  temporal__api__history__v1__history__pack(h, out);
  h->n_events = all;
  temporal__api__history__v1__history__free_unpacked(h, NULL);
  return out;
}

static tcore_worker *replayer(rec *r, int code) {
  memset(r, 0, sizeof *r);
  pthread_mutex_init(&r->mu, NULL);
  r->code = code;
  tcore_worker_options *o;
  CHECK(tcore_worker_options_new(&o) == TCORE_OK);
  tcore_worker_options_set_task_queue(o, "replay-test");
  tcore_worker_options_set_namespace(o, "ReplayNamespace");
  tcore_worker_options_set_event_callback(o, on_event, r);
  tcore_worker *w = NULL;
  tcore_error err = {0};
  int rc = tcore_replay_worker_new(rt, o, &w, &err);
  if (rc != TCORE_OK) fprintf(stderr, "replay worker: %s\n", err.message);
  CHECK(rc == TCORE_OK);
  tcore_worker_options_free(o);
  r->w = w;
  CHECK(tcore_worker_start(w) == TCORE_OK);
  return w;
}

static void finish(tcore_worker *w, rec *r) {
  CHECK(tcore_worker_shutdown(w, on_shutdown, r) == TCORE_OK);
  WAIT_FOR(&r->mu, r->shutdowns == 1, 10000);
  CHECK(r->shutdowns == 1);
  tcore_worker_free(w);
  pthread_mutex_destroy(&r->mu);
}

/* Replays the fixture's first `n` events (0: all) with `code`; `r` holds
 * what happened once the eviction came (the worker is shut down). */
static void replay(rec *r, size_t n, int code) {
  tcore_worker *w = replayer(r, code);
  size_t len = 0;
  uint8_t *h = history(n, &len);
  tcore_error err = {0};
  CHECK(tcore_worker_replay_history(w, "wf-1", h, len, &err) == TCORE_OK);
  free(h);
  WAIT_FOR(&r->mu, r->evictions == 1, 10000);
  finish(w, r);
  CHECK(r->evictions == 1);
}

/* ---- tests --------------------------------------------------------------------- */

static void test_arguments_are_checked(void) {
  tcore_worker_options *o;
  tcore_worker *w = NULL;
  tcore_error err = {0};
  CHECK(tcore_worker_options_new(&o) == TCORE_OK);
  CHECK(tcore_replay_worker_new(NULL, o, &w, &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_replay_worker_new(rt, o, &w, &err) == TCORE_ERR_INVALID_ARGUMENT); /* no queue */
  CHECK(strstr(err.message, "task queue") != NULL);
  tcore_worker_options_free(o);

  /* A polling worker takes no histories. */
  tcore_client_options *co;
  tcore_client_options_new(&co);
  tcore_client_options_set_target(co, "127.0.0.1:1");
  tcore_client *c = NULL;
  CHECK(tcore_client_new(rt, co, &c, &err) == TCORE_OK);
  tcore_client_options_free(co);
  rec pr = {0};
  CHECK(tcore_worker_options_new(&o) == TCORE_OK);
  tcore_worker_options_set_task_queue(o, "tq");
  tcore_worker_options_set_event_callback(o, on_event, &pr);
  CHECK(tcore_worker_new(c, o, &w, &err) == TCORE_OK);
  tcore_worker_options_free(o);
  size_t len = 0;
  uint8_t *h = history(0, &len);
  CHECK(tcore_worker_replay_history(w, "wf", h, len, &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(err.message, "not a replay worker") != NULL);
  tcore_worker_free(w);
  tcore_client_free(c);

  rec r;
  w = NULL;
  memset(&r, 0, sizeof r);
  pthread_mutex_init(&r.mu, NULL);
  CHECK(tcore_worker_options_new(&o) == TCORE_OK);
  tcore_worker_options_set_task_queue(o, "tq");
  tcore_worker_options_set_event_callback(o, on_event, &r);
  CHECK(tcore_replay_worker_new(rt, o, &w, &err) == TCORE_OK);
  tcore_worker_options_free(o);
  r.w = w;
  /* not started yet */
  CHECK(tcore_worker_replay_history(w, "wf", h, len, &err) == TCORE_ERR_CLOSED);
  CHECK(tcore_worker_start(w) == TCORE_OK);
  CHECK(tcore_worker_replay_history(w, "wf", (const uint8_t *)"\xff\xff", 2, &err) ==
        TCORE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(err.message, "do not parse") != NULL);
  CHECK(tcore_worker_replay_history(w, "wf", NULL, 0, &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(err.message, "WorkflowExecutionStarted") != NULL);
  /* a history without its first event */
  Temporal__Api__History__V1__History *parsed =
      temporal__api__history__v1__history__unpack(NULL, len, h);
  Temporal__Api__History__V1__History tail = *parsed;
  tail.events++;
  tail.n_events--;
  size_t tlen = temporal__api__history__v1__history__get_packed_size(&tail);
  uint8_t *tb = malloc(tlen);
  temporal__api__history__v1__history__pack(&tail, tb);
  CHECK(tcore_worker_replay_history(w, "wf", tb, tlen, &err) == TCORE_ERR_INVALID_ARGUMENT);
  free(tb);
  /* a started event without a run id */
  char *saved = parsed->events[0]->workflow_execution_started_event_attributes->original_execution_run_id;
  parsed->events[0]->workflow_execution_started_event_attributes->original_execution_run_id = "";
  tlen = temporal__api__history__v1__history__get_packed_size(parsed);
  tb = malloc(tlen);
  temporal__api__history__v1__history__pack(parsed, tb);
  parsed->events[0]->workflow_execution_started_event_attributes->original_execution_run_id = saved;
  CHECK(tcore_worker_replay_history(w, "wf", tb, tlen, &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(err.message, "must contain run ids") != NULL);
  free(tb);
  temporal__api__history__v1__history__free_unpacked(parsed, NULL);
  CHECK(r.activations == 0 && r.evictions == 0); /* nothing was taken */
  finish(w, &r);
  /* shut down: no more histories */
  free(h);
}

static void test_complete_history_replays(void) {
  rec r;
  replay(&r, 0, CODE_SAME);
  CHECK(r.activations == 2 && r.replaying == 2); /* init, fire: both replayed */
  CHECK(strcmp(r.workflow_id, "wf-1") == 0);
  CHECK(r.reason == CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__LANG_REQUESTED);
  CHECK(r.responses == 0); /* the run finished in history: nothing to answer */
}

static void test_changed_code_is_nondeterministic(void) {
  rec r;
  replay(&r, 0, CODE_CHANGED);
  CHECK(r.reason == CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__NONDETERMINISM);
  CHECK(strstr(r.message, "[TMPRL1100] Nondeterminism error") == r.message);
  CHECK(strstr(r.message, "Event 5 (EVENT_TYPE_TIMER_STARTED)") != NULL);
  if (!strstr(r.message, "Event 5")) fprintf(stderr, "  message: %s\n", r.message);
  CHECK(r.responses == 1 && r.response_before_eviction);
  CHECK(strcmp(r.response_method, WS "RespondWorkflowTaskFailed") == 0);
  CHECK(r.response_failed_cause ==
        TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR);
}

static void test_failed_activation_is_a_task_failure(void) {
  rec r;
  replay(&r, 0, CODE_FAILS);
  CHECK(r.reason == CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__LANG_FAIL);
  CHECK(strcmp(r.message, "Workflow activation completion failed: boom") == 0);
  CHECK(r.responses == 1 && strcmp(r.response_method, WS "RespondWorkflowTaskFailed") == 0);
}

static void test_open_history_reports_its_last_task(void) {
  /* Events 1-8: the timer fired, the task that saw it started, not done. */
  rec r;
  replay(&r, 8, CODE_SAME);
  CHECK(r.activations == 2 && r.replaying == 1); /* the last task is new */
  CHECK(r.responses == 1 && r.response_before_eviction);
  CHECK(strcmp(r.response_method, WS "RespondWorkflowTaskCompleted") == 0);
  CHECK(r.response_complete_cmd);
  CHECK(r.reason == CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__LANG_REQUESTED);
}

static void test_waiting_run_replays(void) {
  /* Events 1-5: the timer started, nothing more: the run waits on it. */
  rec r;
  replay(&r, 5, CODE_SAME);
  CHECK(r.activations == 1 && r.replaying == 1);
  CHECK(r.responses == 0);
  CHECK(r.reason == CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__LANG_REQUESTED);
  /* ... and with changed code, the timer event does not match */
  replay(&r, 5, CODE_CHANGED);
  CHECK(r.reason == CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__NONDETERMINISM);
}

static void test_histories_one_after_another(void) {
  /* The same run three times on one worker, each after the previous one's
   * eviction; results in order. */
  rec r;
  tcore_worker *w = replayer(&r, CODE_SAME);
  size_t len = 0;
  uint8_t *h = history(0, &len);
  for (int i = 1; i <= 3; i++) {
    pthread_mutex_lock(&r.mu);
    r.code = i == 2 ? CODE_CHANGED : CODE_SAME;
    pthread_mutex_unlock(&r.mu);
    CHECK(tcore_worker_replay_history(w, "wf", h, len, NULL) == TCORE_OK);
    WAIT_FOR(&r.mu, r.evictions == i, 10000);
    CHECK(r.evictions == i);
    CHECK(r.reason ==
          (i == 2 ? CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__NONDETERMINISM
                  : CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__LANG_REQUESTED));
  }
  free(h);
  finish(w, &r);
}

static void test_shutdown_waits_for_a_replay_under_way(void) {
  /* Pushed, then shut down at once: the history under way still ends
   * with its one eviction, then shutdown ends. */
  rec r;
  tcore_worker *w = replayer(&r, CODE_SAME);
  size_t len = 0;
  uint8_t *h = history(0, &len);
  CHECK(tcore_worker_replay_history(w, "wf", h, len, NULL) == TCORE_OK);
  free(h);
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  size_t len2 = 0;
  uint8_t *h2 = history(0, &len2);
  CHECK(tcore_worker_replay_history(w, "wf", h2, len2, NULL) == TCORE_ERR_CLOSED);
  free(h2);
  WAIT_FOR(&r.mu, r.shutdowns == 1, 10000);
  CHECK(r.shutdowns == 1 && r.evictions == 1);
  CHECK(r.reason == CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__LANG_REQUESTED);
  tcore_worker_free(w);
  pthread_mutex_destroy(&r.mu);
}

int main(void) {
  tcore_error err;
  if (tcore_runtime_new(&rt, &err) != TCORE_OK) return 1;
  RUN(test_arguments_are_checked);
  RUN(test_complete_history_replays);
  RUN(test_changed_code_is_nondeterministic);
  RUN(test_failed_activation_is_a_task_failure);
  RUN(test_open_history_reports_its_last_task);
  RUN(test_waiting_run_replays);
  RUN(test_histories_one_after_another);
  RUN(test_shutdown_waits_for_a_replay_under_way);
  tcore_runtime_free(rt);
  return check_summary();
}
