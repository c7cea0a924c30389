/* test_worker.c: the activity worker.
 *
 * Pure logic first (throttle interval, slot accounting, options, a worker
 * that cannot reach any server), then, when TEMPORAL_TEST_TARGET names a
 * dev server, the engine end to end. The workflow side is played by this
 * test itself through raw WorkflowService calls: it starts a workflow,
 * takes its workflow task and answers with a ScheduleActivityTask command,
 * so the worker under test gets a real activity task.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "worker.h"
#include "call_msg.h"

#define WS "/temporal.api.workflowservice.v1.WorkflowService/"

static tcore_runtime *rt;
static const char *target;


/* ---- recording a worker's events ---------------------------------------- */

typedef struct rec {
  pthread_mutex_t mu;
  int tasks, cancels, fatals, warnings, shutdowns;
  uint8_t token[512];
  size_t token_len;
  uint8_t task[65536];
  size_t task_len;
  char cancel_reason[64], fatal[700];
  int fatal_status;
  size_t fatal_details_len;
  int64_t cancel_ms, shutdown_ms;
  tcore_worker *w;
  int fail_on_cancel; /* complete FAILED from inside the CANCEL callback */
} rec;

static void rec_init(rec *r) {
  memset(r, 0, sizeof *r);
  pthread_mutex_init(&r->mu, NULL);
}

static size_t failure_of(const char *message, uint8_t *buf);

static void on_event(void *user, const tcore_worker_event *ev) {
  rec *r = user;
  int fail = 0;
  pthread_mutex_lock(&r->mu);
  switch (ev->kind) {
    case TCORE_WORKER_EVENT_TASK:
      r->tasks++;
      if (ev->task_token_len <= sizeof r->token) {
        memcpy(r->token, ev->task_token, ev->task_token_len);
        r->token_len = ev->task_token_len;
      }
      if (ev->task_len <= sizeof r->task) {
        memcpy(r->task, ev->task, ev->task_len);
        r->task_len = ev->task_len;
      }
      break;
    case TCORE_WORKER_EVENT_CANCEL:
      r->cancels++;
      r->cancel_ms = tcore_now_ms();
      snprintf(r->cancel_reason, sizeof r->cancel_reason, "%s", ev->message);
      fail = r->fail_on_cancel;
      break;
    case TCORE_WORKER_EVENT_FATAL:
      r->fatals++;
      snprintf(r->fatal, sizeof r->fatal, "%s", ev->message);
      r->fatal_status = ev->status;
      r->fatal_details_len = ev->details_len;
      break;
    default:
      r->warnings++;
      fprintf(stderr, "warning event: %s\n", ev->message);
      break;
  }
  pthread_mutex_unlock(&r->mu);
  if (fail) {
    uint8_t failure[128];
    size_t n = failure_of("worker shutdown", failure);
    tcore_worker_complete(r->w, ev->task_token, ev->task_token_len, TCORE_COMPLETION_FAILED,
                          failure, n);
  }
}

static void on_shutdown(void *user) {
  rec *r = user;
  pthread_mutex_lock(&r->mu);
  r->shutdowns++;
  r->shutdown_ms = tcore_now_ms();
  pthread_mutex_unlock(&r->mu);
}

/* Waits up to `ms` for `expr` (read under the recorder's lock). */
#define WAIT_FOR(r, expr, ms)                                  \
  do {                                                         \
    int64_t until_ = tcore_now_ms() + (ms);                    \
    for (;;) {                                                 \
      pthread_mutex_lock(&(r)->mu);                            \
      int ok_ = (expr);                                        \
      pthread_mutex_unlock(&(r)->mu);                          \
      if (ok_ || tcore_now_ms() > until_) break;               \
      sleep_ms(10);                                            \
    }                                                          \
  } while (0)

static tcore_client *make_client(const char *tgt) {
  tcore_client_options *o;
  tcore_client_options_new(&o);
  tcore_client_options_set_target(o, tgt);
  tcore_retry_config retry;
  tcore_retry_config_default(&retry);
  retry.max_elapsed_ms = 1000;
  tcore_client_options_set_retry(o, &retry);
  tcore_client *c = NULL;
  tcore_error err;
  if (tcore_client_new(rt, o, &c, &err) != TCORE_OK) fprintf(stderr, "client: %s\n", err.message);
  tcore_client_options_free(o);
  return c;
}

typedef struct wopts {
  int64_t grace_ms, cancel_wait_ms;
  int64_t buffer_ms; /* local timeout buffer, when set_buffer */
  int set_buffer;
  int polls;
  const char *ns;
} wopts;

static tcore_worker *make_worker(tcore_client *c, const char *tq, rec *r, const wopts *wo) {
  tcore_worker_options *o;
  CHECK(tcore_worker_options_new(&o) == TCORE_OK);
  tcore_worker_options_set_task_queue(o, tq);
  tcore_worker_options_set_identity(o, "test_worker");
  tcore_worker_options_set_event_callback(o, on_event, r);
  if (wo && wo->grace_ms) tcore_worker_options_set_graceful_shutdown_ms(o, wo->grace_ms);
  if (wo && wo->cancel_wait_ms) tcore_worker_options_set_shutdown_cancel_wait_ms(o, wo->cancel_wait_ms);
  if (wo && wo->set_buffer) tcore_worker_options_set_local_timeout_buffer_ms(o, wo->buffer_ms);
  if (wo && wo->ns) tcore_worker_options_set_namespace(o, wo->ns);
  if (wo && wo->polls) tcore_worker_options_set_max_concurrent_polls(o, wo->polls);
  tcore_worker *w = NULL;
  tcore_error err = {0};
  int rc = tcore_worker_new(c, o, &w, &err);
  if (rc != TCORE_OK) fprintf(stderr, "worker: %s\n", err.message);
  CHECK(rc == TCORE_OK);
  tcore_worker_options_free(o);
  r->w = w;
  return w;
}

/* ---- pure logic ------------------------------------------------------------- */

static void test_throttle_interval(void) {
  CHECK(tcore_heartbeat_throttle_ms(0) == 30000);  /* no heartbeat timeout */
  CHECK(tcore_heartbeat_throttle_ms(-1) == 30000);
  CHECK(tcore_heartbeat_throttle_ms(10000) == 8000); /* 80 % */
  CHECK(tcore_heartbeat_throttle_ms(2000) == 1600);
  CHECK(tcore_heartbeat_throttle_ms(75000) == 60000); /* capped */
  CHECK(tcore_heartbeat_throttle_ms(3600000) == 60000);
}

static void test_polls_only_start_for_free_slots(void) {
  CHECK(tcore_worker_polls_wanted(0, 0, 100, 5) == 5);
  CHECK(tcore_worker_polls_wanted(0, 3, 100, 5) == 2);
  CHECK(tcore_worker_polls_wanted(97, 0, 100, 5) == 3);  /* only 3 slots free */
  CHECK(tcore_worker_polls_wanted(97, 3, 100, 5) == 0);  /* polls in flight take slots */
  CHECK(tcore_worker_polls_wanted(100, 0, 100, 5) == 0); /* full */
  CHECK(tcore_worker_polls_wanted(0, 0, 1, 5) == 1);
  CHECK(tcore_worker_polls_wanted(1, 0, 1, 5) == 0);
  CHECK(tcore_worker_polls_wanted(0, 5, 100, 5) == 0);
}

static void test_options_are_checked(void) {
  tcore_worker_options *o;
  CHECK(tcore_worker_options_new(&o) == TCORE_OK);
  CHECK(tcore_worker_options_set_task_queue(o, "") == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_options_set_task_queue(o, NULL) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_options_set_max_concurrent_activities(o, 0) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_options_set_max_concurrent_polls(o, 0) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_options_set_max_activities_per_second(o, -1) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_options_set_max_activities_per_second(o, NAN) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_options_set_max_task_queue_activities_per_second(o, 2.5) == TCORE_OK);
  CHECK(tcore_worker_options_set_graceful_shutdown_ms(o, -1) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_worker_options_set_event_callback(o, NULL, NULL) == TCORE_ERR_INVALID_ARGUMENT);

  tcore_client *c = make_client("127.0.0.1:1");
  tcore_worker *w = NULL;
  tcore_error err = {0};
  CHECK(tcore_worker_new(c, o, &w, &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(err.message, "task queue") != NULL);
  tcore_worker_options_set_task_queue(o, "tq");
  CHECK(tcore_worker_new(c, o, &w, &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(err.message, "callback") != NULL);
  rec r;
  rec_init(&r);
  tcore_worker_options_set_event_callback(o, on_event, &r);
  CHECK(tcore_worker_new(c, o, &w, &err) == TCORE_OK);
  tcore_worker_free(w); /* never started: freed at once */
  tcore_worker_options_free(o);
  tcore_client_free(c);
}

static void test_unknown_tokens_are_not_found(void) {
  tcore_client *c = make_client("127.0.0.1:1");
  rec r;
  rec_init(&r);
  tcore_worker *w = make_worker(c, "tq", &r, NULL);
  const uint8_t tok[] = {1, 2, 3};
  CHECK(tcore_worker_complete(w, tok, 3, TCORE_COMPLETION_COMPLETED, NULL, 0) ==
        TCORE_ERR_NOT_FOUND);
  CHECK(tcore_worker_heartbeat(w, tok, 3, NULL, 0) == TCORE_ERR_NOT_FOUND);
  CHECK(tcore_worker_complete(w, tok, 3, 9, NULL, 0) == TCORE_ERR_INVALID_ARGUMENT);
  const uint8_t data[] = {1};
  CHECK(tcore_worker_complete(w, tok, 3, TCORE_COMPLETION_WILL_COMPLETE_ASYNC, data, 1) ==
        TCORE_ERR_INVALID_ARGUMENT);
  tcore_worker_free(w);
  tcore_client_free(c);
}

static void test_shutdown_of_a_worker_never_started(void) {
  tcore_client *c = make_client("127.0.0.1:1");
  rec r;
  rec_init(&r);
  tcore_worker *w = make_worker(c, "tq", &r, NULL);
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  WAIT_FOR(&r, r.shutdowns == 1, 2000);
  CHECK(r.shutdowns == 1);
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_ERR_CLOSED);
  CHECK(tcore_worker_start(w) == TCORE_ERR_CLOSED);
  tcore_worker_free(w);
  tcore_client_free(c);
}


static void test_which_poll_failures_heal(void) {
  int heal[] = {TCORE_STATUS_UNAVAILABLE, TCORE_STATUS_DEADLINE_EXCEEDED, TCORE_STATUS_CANCELLED,
                TCORE_STATUS_INTERNAL,    TCORE_STATUS_UNKNOWN,           TCORE_STATUS_RESOURCE_EXHAUSTED,
                TCORE_STATUS_ABORTED};
  int fatal[] = {TCORE_STATUS_NOT_FOUND,         TCORE_STATUS_PERMISSION_DENIED,
                 TCORE_STATUS_UNAUTHENTICATED,   TCORE_STATUS_UNIMPLEMENTED,
                 TCORE_STATUS_INVALID_ARGUMENT,  TCORE_STATUS_FAILED_PRECONDITION};
  for (size_t i = 0; i < sizeof heal / sizeof *heal; i++) CHECK(tcore_poll_failure_heals(heal[i]));
  for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++)
    CHECK(!tcore_poll_failure_heals(fatal[i]));
  /* 200 ms doubling; capped at 500 ms while unreachable, 10 s otherwise */
  CHECK(tcore_poll_backoff_ms(1, TCORE_STATUS_UNAVAILABLE) == 200);
  CHECK(tcore_poll_backoff_ms(2, TCORE_STATUS_UNAVAILABLE) == 400);
  CHECK(tcore_poll_backoff_ms(3, TCORE_STATUS_UNAVAILABLE) == 500);
  CHECK(tcore_poll_backoff_ms(1000, TCORE_STATUS_DEADLINE_EXCEEDED) == 500);
  CHECK(tcore_poll_backoff_ms(5, TCORE_STATUS_RESOURCE_EXHAUSTED) == 3200);
  CHECK(tcore_poll_backoff_ms(7, TCORE_STATUS_INTERNAL) == 10000);
  CHECK(tcore_poll_backoff_ms(1000, TCORE_STATUS_INTERNAL) == 10000);
}

static void test_task_close_deadline(void) {
  /* start-to-close counts from arrival */
  CHECK(tcore_act_close_deadline_ms(1000, 50000, 2000, 0, 0) == 3000);
  /* schedule-to-close from the scheduled time (wall clock), when sooner */
  CHECK(tcore_act_close_deadline_ms(1000, 50000, 20000, 45000, 10000) == 6000);
  CHECK(tcore_act_close_deadline_ms(1000, 50000, 2000, 45000, 10000) == 3000);
  CHECK(tcore_act_close_deadline_ms(1000, 50000, 0, 45000, 10000) == 6000);
  CHECK(tcore_act_close_deadline_ms(1000, 50000, 0, 0, 0) == 0);
  CHECK(tcore_act_close_deadline_ms(1000, 50000, 0, 0, 10000) == 0); /* no scheduled time */
}

static void test_result_too_large_is_recognized(void) {
  CHECK(tcore_result_too_large(TCORE_STATUS_RESOURCE_EXHAUSTED,
                               "grpc: received message larger than max (5242990 vs. 4194304)"));
  CHECK(!tcore_result_too_large(TCORE_STATUS_RESOURCE_EXHAUSTED, "namespace rate limit exceeded"));
  CHECK(!tcore_result_too_large(TCORE_STATUS_UNAVAILABLE, "larger than max"));
  CHECK(!tcore_result_too_large(TCORE_STATUS_NOT_FOUND, "workflow not found"));
}

/* An unreachable server is retried for as long as the worker runs: no
 * FATAL event, however long (here 2.5 s, past the old 700 ms tolerance
 * this test used to set), and shutdown is still prompt. */
static void test_unreachable_server_is_retried_without_end(void) {
  char tgt[64];
  snprintf(tgt, sizeof tgt, "127.0.0.1:%d", closed_port());
  tcore_client *c = make_client(tgt);
  rec r;
  rec_init(&r);
  tcore_worker *w = make_worker(c, "tq", &r, NULL);
  CHECK(tcore_worker_start(w) == TCORE_OK);
  WAIT_FOR(&r, r.fatals > 0, 2500);
  CHECK(r.fatals == 0);
  pthread_mutex_lock(&w->mu);
  int failures = w->poll_failures, fatal = w->fatal;
  pthread_mutex_unlock(&w->mu);
  CHECK(failures >= 3 && !fatal); /* it kept polling */
  int64_t t0 = tcore_now_ms();
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  WAIT_FOR(&r, r.shutdowns == 1, 5000);
  CHECK(r.shutdowns == 1 && r.shutdown_ms - t0 < 3000);
  CHECK(r.fatals == 0);
  tcore_worker_free(w);
  tcore_client_free(c);
}

static void test_closing_the_client_is_fatal_for_its_worker(void) {
  char tgt[64];
  snprintf(tgt, sizeof tgt, "127.0.0.1:%d", closed_port());
  tcore_client *c = make_client(tgt);
  rec r;
  rec_init(&r);
  tcore_worker *w = make_worker(c, "tq", &r, NULL);
  CHECK(tcore_worker_start(w) == TCORE_OK);
  sleep_ms(50);
  tcore_client_free(c); /* the worker keeps the memory alive */
  WAIT_FOR(&r, r.fatals > 0, 12000);
  CHECK(r.fatals == 1);
  CHECK(strstr(r.fatal, "closed") != NULL);
  CHECK(r.fatal_status == 0); /* not a call's status */
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  WAIT_FOR(&r, r.shutdowns == 1, 3000);
  CHECK(r.shutdowns == 1);
  tcore_worker_free(w);
}

/* ---- a tiny workflow driver (raw calls) ------------------------------------- */

static Temporal__Api__Taskqueue__V1__TaskQueue tq_of(const char *name) {
  Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
  tq.name = (char *)name;
  tq.kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
  return tq;
}

static void start_workflow(tcore_client *c, const char *wf_id, const char *wf_tq) {
  Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__START_WORKFLOW_EXECUTION_REQUEST__INIT;
  Temporal__Api__Common__V1__WorkflowType type = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
  Temporal__Api__Taskqueue__V1__TaskQueue tq = tq_of(wf_tq);
  Google__Protobuf__Duration timeout = GOOGLE__PROTOBUF__DURATION__INIT;
  timeout.seconds = 120;
  type.name = "CTestWorkflow";
  req.namespace_ = "default";
  req.workflow_id = (char *)wf_id;
  req.workflow_type = &type;
  req.task_queue = &tq;
  req.identity = "test_worker";
  req.request_id = (char *)wf_id;
  req.workflow_execution_timeout = &timeout;
  outcome o;
  CHECK(call_msg(c, WS "StartWorkflowExecution", &req.base, 10000, &o) == 0);
  free(o.body);
}

/* Takes the next workflow task and answers it with one command. */
static void answer_workflow_task(tcore_client *c, const char *wf_tq,
                                 Temporal__Api__Command__V1__Command *cmd) {
  Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_TASK_QUEUE_REQUEST__INIT;
  Temporal__Api__Taskqueue__V1__TaskQueue tq = tq_of(wf_tq);
  req.namespace_ = "default";
  req.task_queue = &tq;
  req.identity = "test_worker";
  outcome o;
  CHECK(call_msg(c, WS "PollWorkflowTaskQueue", &req.base, 20000, &o) == 0);
  Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse *resp =
      temporal__api__workflowservice__v1__poll_workflow_task_queue_response__unpack(NULL, o.body_len,
                                                                                   o.body);
  free(o.body);
  CHECK(resp && resp->task_token.len > 0);
  if (!resp || !resp->task_token.len) return;
  Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest done =
      TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_REQUEST__INIT;
  done.namespace_ = "default";
  done.task_token = resp->task_token;
  done.identity = "test_worker";
  done.n_commands = 1;
  done.commands = &cmd;
  CHECK(call_msg(c, WS "RespondWorkflowTaskCompleted", &done.base, 10000, &o) == 0);
  free(o.body);
  temporal__api__workflowservice__v1__poll_workflow_task_queue_response__free_unpacked(resp, NULL);
}

/* Starts a workflow whose first task schedules activity "CTestActivity"
 * (scheduled event id 5) on `act_tq`. */
static void schedule_activity_stc(tcore_client *c, const char *wf_id, const char *act_tq,
                                  int64_t heartbeat_timeout_ms, int max_attempts,
                                  int64_t start_to_close_ms) {
  char wf_tq[128];
  snprintf(wf_tq, sizeof wf_tq, "%s-wf", wf_id);
  start_workflow(c, wf_id, wf_tq);
  Temporal__Api__Command__V1__ScheduleActivityTaskCommandAttributes at =
      TEMPORAL__API__COMMAND__V1__SCHEDULE_ACTIVITY_TASK_COMMAND_ATTRIBUTES__INIT;
  Temporal__Api__Common__V1__ActivityType type = TEMPORAL__API__COMMON__V1__ACTIVITY_TYPE__INIT;
  Temporal__Api__Taskqueue__V1__TaskQueue tq = tq_of(act_tq);
  Google__Protobuf__Duration stc = GOOGLE__PROTOBUF__DURATION__INIT;
  Google__Protobuf__Duration hb = GOOGLE__PROTOBUF__DURATION__INIT;
  Google__Protobuf__Duration retry_interval = GOOGLE__PROTOBUF__DURATION__INIT;
  Temporal__Api__Common__V1__RetryPolicy retry = TEMPORAL__API__COMMON__V1__RETRY_POLICY__INIT;
  type.name = "CTestActivity";
  stc.seconds = start_to_close_ms / 1000;
  stc.nanos = (int32_t)(start_to_close_ms % 1000) * 1000000;
  hb.seconds = heartbeat_timeout_ms / 1000;
  hb.nanos = (int32_t)(heartbeat_timeout_ms % 1000) * 1000000;
  retry_interval.seconds = 30; /* a retried attempt stays pending while we look */
  retry.initial_interval = &retry_interval;
  retry.maximum_attempts = max_attempts;
  at.activity_id = "a1";
  at.activity_type = &type;
  at.task_queue = &tq;
  at.start_to_close_timeout = &stc;
  if (heartbeat_timeout_ms) at.heartbeat_timeout = &hb;
  at.retry_policy = &retry;
  Temporal__Api__Command__V1__Command cmd = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  cmd.command_type = TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK;
  cmd.attributes_case =
      TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_SCHEDULE_ACTIVITY_TASK_COMMAND_ATTRIBUTES;
  cmd.schedule_activity_task_command_attributes = &at;
  answer_workflow_task(c, wf_tq, &cmd);
}

static void schedule_activity(tcore_client *c, const char *wf_id, const char *act_tq,
                              int64_t heartbeat_timeout_ms, int max_attempts) {
  schedule_activity_stc(c, wf_id, act_tq, heartbeat_timeout_ms, max_attempts, 60000);
}

/* Asks for the workflow's cancellation and answers its next workflow task
 * by requesting cancellation of the activity. */
static void cancel_activity(tcore_client *c, const char *wf_id) {
  char wf_tq[128];
  snprintf(wf_tq, sizeof wf_tq, "%s-wf", wf_id);
  Temporal__Api__Workflowservice__V1__RequestCancelWorkflowExecutionRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__REQUEST_CANCEL_WORKFLOW_EXECUTION_REQUEST__INIT;
  Temporal__Api__Common__V1__WorkflowExecution ex =
      TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
  ex.workflow_id = (char *)wf_id;
  req.namespace_ = "default";
  req.workflow_execution = &ex;
  req.identity = "test_worker";
  req.request_id = "cancel-1";
  outcome o;
  CHECK(call_msg(c, WS "RequestCancelWorkflowExecution", &req.base, 10000, &o) == 0);
  free(o.body);
  Temporal__Api__Command__V1__RequestCancelActivityTaskCommandAttributes at =
      TEMPORAL__API__COMMAND__V1__REQUEST_CANCEL_ACTIVITY_TASK_COMMAND_ATTRIBUTES__INIT;
  at.scheduled_event_id = 5;
  Temporal__Api__Command__V1__Command cmd = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  cmd.command_type =
      TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK;
  cmd.attributes_case =
      TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_REQUEST_CANCEL_ACTIVITY_TASK_COMMAND_ATTRIBUTES;
  cmd.request_cancel_activity_task_command_attributes = &at;
  answer_workflow_task(c, wf_tq, &cmd);
}

/* The first history event of `type`, searched for up to 5 s; the caller
 * frees *resp_out. */
static Temporal__Api__History__V1__HistoryEvent *find_event(
    tcore_client *c, const char *wf_id, int type,
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse **resp_out) {
  *resp_out = NULL;
  for (int i = 0; i < 50; i++) {
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution ex =
        TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    ex.workflow_id = (char *)wf_id;
    req.namespace_ = "default";
    req.execution = &ex;
    outcome o;
    if (call_msg(c, WS "GetWorkflowExecutionHistory", &req.base, 10000, &o) != 0) {
      free(o.body);
      return NULL;
    }
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *resp =
        temporal__api__workflowservice__v1__get_workflow_execution_history_response__unpack(
            NULL, o.body_len, o.body);
    free(o.body);
    for (size_t k = 0; resp && resp->history && k < resp->history->n_events; k++) {
      if ((int)resp->history->events[k]->event_type == type) {
        *resp_out = resp;
        return resp->history->events[k];
      }
    }
    if (resp)
      temporal__api__workflowservice__v1__get_workflow_execution_history_response__free_unpacked(
          resp, NULL);
    sleep_ms(100);
  }
  return NULL;
}

static Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionResponse *describe(
    tcore_client *c, const char *wf_id) {
  Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_WORKFLOW_EXECUTION_REQUEST__INIT;
  Temporal__Api__Common__V1__WorkflowExecution ex =
      TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
  ex.workflow_id = (char *)wf_id;
  req.namespace_ = "default";
  req.execution = &ex;
  outcome o;
  if (call_msg(c, WS "DescribeWorkflowExecution", &req.base, 10000, &o) != 0) {
    free(o.body);
    return NULL;
  }
  Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionResponse *resp =
      temporal__api__workflowservice__v1__describe_workflow_execution_response__unpack(
          NULL, o.body_len, o.body);
  free(o.body);
  return resp;
}

/* Serialized Payloads with one binary/plain payload holding `text`. */
static size_t payloads_of(const char *text, uint8_t *buf) {
  Temporal__Api__Common__V1__Payload p = TEMPORAL__API__COMMON__V1__PAYLOAD__INIT;
  Temporal__Api__Common__V1__Payload__MetadataEntry enc =
      TEMPORAL__API__COMMON__V1__PAYLOAD__METADATA_ENTRY__INIT;
  Temporal__Api__Common__V1__Payload__MetadataEntry *md[1] = {&enc};
  enc.key = "encoding";
  enc.value.data = (uint8_t *)"binary/plain";
  enc.value.len = 12;
  p.n_metadata = 1;
  p.metadata = md;
  p.data.data = (uint8_t *)text;
  p.data.len = strlen(text);
  Temporal__Api__Common__V1__Payload *ps[1] = {&p};
  Temporal__Api__Common__V1__Payloads pl = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
  pl.n_payloads = 1;
  pl.payloads = ps;
  return temporal__api__common__v1__payloads__pack(&pl, buf);
}

/* Serialized Failure{message, application_failure_info{type: "CTest"}}. */
static size_t failure_of(const char *message, uint8_t *buf) {
  Temporal__Api__Failure__V1__Failure f = TEMPORAL__API__FAILURE__V1__FAILURE__INIT;
  Temporal__Api__Failure__V1__ApplicationFailureInfo info =
      TEMPORAL__API__FAILURE__V1__APPLICATION_FAILURE_INFO__INIT;
  info.type = "CTest";
  f.message = (char *)message;
  f.failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO;
  f.application_failure_info = &info;
  return temporal__api__failure__v1__failure__pack(&f, buf);
}

static int payloads_say(const Temporal__Api__Common__V1__Payloads *pl, const char *text) {
  return pl && pl->n_payloads == 1 && pl->payloads[0]->data.len == strlen(text) &&
         memcmp(pl->payloads[0]->data.data, text, strlen(text)) == 0;
}

static void unique(char *buf, size_t n, const char *what) {
  snprintf(buf, n, "c-%s-%lld-%d", what, (long long)tcore_now_ms(), (int)(tcore_random_unit() * 1e6));
}

/* ---- live tests ------------------------------------------------------------- */

static void test_shutdown_with_polls_in_flight_is_prompt(void) {
  tcore_client *c = make_client(target);
  rec r;
  rec_init(&r);
  char tq[96];
  unique(tq, sizeof tq, "idle");
  wopts wo = {0};
  wo.polls = 3;
  tcore_worker *w = make_worker(c, tq, &r, &wo);
  int before = tcore_test_shutdown_worker_calls;
  CHECK(tcore_worker_start(w) == TCORE_OK);
  sleep_ms(500); /* the long polls are now parked at the server */
  int64_t t0 = tcore_now_ms();
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  WAIT_FOR(&r, r.shutdowns == 1, 10000);
  CHECK(r.shutdowns == 1);
  CHECK(r.shutdown_ms - t0 < 2000);
  CHECK(__atomic_load_n(&tcore_test_shutdown_worker_calls, __ATOMIC_SEQ_CST) == before + 1); /* ShutdownWorker was sent */
  CHECK(r.tasks == 0 && r.fatals == 0 && r.cancels == 0);
  tcore_worker_free(w);
  tcore_client_free(c);
}

static void test_task_heartbeat_and_completion(void) {
  tcore_client *c = make_client(target);
  rec r;
  rec_init(&r);
  char wf[96], tq[96];
  unique(wf, sizeof wf, "wf");
  unique(tq, sizeof tq, "act");
  tcore_worker *w = make_worker(c, tq, &r, NULL);
  CHECK(tcore_worker_start(w) == TCORE_OK);
  schedule_activity(c, wf, tq, 10000, 1);
  WAIT_FOR(&r, r.tasks == 1, 10000);
  CHECK(r.tasks == 1);
  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *task =
      temporal__api__workflowservice__v1__poll_activity_task_queue_response__unpack(NULL, r.task_len,
                                                                                   r.task);
  CHECK(task && task->activity_type && strcmp(task->activity_type->name, "CTestActivity") == 0);
  CHECK(task && task->task_token.len == r.token_len &&
        memcmp(task->task_token.data, r.token, r.token_len) == 0);
  CHECK(task && task->workflow_execution && strcmp(task->workflow_execution->workflow_id, wf) == 0);
  if (task)
    temporal__api__workflowservice__v1__poll_activity_task_queue_response__free_unpacked(task, NULL);

  uint8_t buf[256];
  size_t n = payloads_of("beat-1", buf);
  CHECK(tcore_worker_heartbeat(w, r.token, r.token_len, buf, n) == TCORE_OK); /* sent at once */
  WAIT_FOR(&r, 0, 500);
  Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionResponse *d = describe(c, wf);
  CHECK(d && d->n_pending_activities == 1 &&
        payloads_say(d->pending_activities[0]->heartbeat_details, "beat-1"));
  if (d)
    temporal__api__workflowservice__v1__describe_workflow_execution_response__free_unpacked(d, NULL);

  n = payloads_of("hello", buf);
  CHECK(tcore_worker_complete(w, r.token, r.token_len, TCORE_COMPLETION_COMPLETED, buf, n) ==
        TCORE_OK);
  CHECK(tcore_worker_complete(w, r.token, r.token_len, TCORE_COMPLETION_COMPLETED, buf, n) ==
        TCORE_ERR_NOT_FOUND); /* only once */
  CHECK(tcore_worker_heartbeat(w, r.token, r.token_len, buf, n) == TCORE_ERR_NOT_FOUND);
  Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *h;
  Temporal__Api__History__V1__HistoryEvent *ev =
      find_event(c, wf, TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_ACTIVITY_TASK_COMPLETED, &h);
  CHECK(ev && payloads_say(ev->activity_task_completed_event_attributes->result, "hello"));
  if (h)
    temporal__api__workflowservice__v1__get_workflow_execution_history_response__free_unpacked(h,
                                                                                                NULL);
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  WAIT_FOR(&r, r.shutdowns == 1, 10000);
  CHECK(r.shutdowns == 1 && r.warnings == 0 && r.cancels == 0);
  tcore_worker_free(w);
  tcore_client_free(c);
}

static void test_failure_flushes_throttled_heartbeat_first(void) {
  tcore_client *c = make_client(target);
  rec r;
  rec_init(&r);
  char wf[96], tq[96];
  unique(wf, sizeof wf, "wf");
  unique(tq, sizeof tq, "act");
  tcore_worker *w = make_worker(c, tq, &r, NULL);
  CHECK(tcore_worker_start(w) == TCORE_OK);
  schedule_activity(c, wf, tq, 20000, 2); /* throttle 16 s */
  WAIT_FOR(&r, r.tasks == 1, 10000);
  uint8_t buf[256];
  size_t n = payloads_of("first", buf);
  CHECK(tcore_worker_heartbeat(w, r.token, r.token_len, buf, n) == TCORE_OK);
  n = payloads_of("second", buf);
  CHECK(tcore_worker_heartbeat(w, r.token, r.token_len, buf, n) == TCORE_OK); /* throttled */
  n = payloads_of("latest", buf);
  CHECK(tcore_worker_heartbeat(w, r.token, r.token_len, buf, n) == TCORE_OK); /* replaces it */
  n = failure_of("boom", buf);
  CHECK(tcore_worker_complete(w, r.token, r.token_len, TCORE_COMPLETION_FAILED, buf, n) ==
        TCORE_OK);
  /* The attempt failed and waits 30 s for its retry: the pending activity
   * shows the failure and the details flushed before it. */
  Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionResponse *d = NULL;
  for (int i = 0; i < 50; i++) {
    d = describe(c, wf);
    if (d && d->n_pending_activities == 1 && d->pending_activities[0]->last_failure) break;
    if (d)
      temporal__api__workflowservice__v1__describe_workflow_execution_response__free_unpacked(d,
                                                                                              NULL);
    d = NULL;
    sleep_ms(100);
  }
  CHECK(d != NULL);
  if (d) {
    Temporal__Api__Workflow__V1__PendingActivityInfo *pa = d->pending_activities[0];
    CHECK(strcmp(pa->last_failure->message, "boom") == 0);
    CHECK(payloads_say(pa->heartbeat_details, "latest"));
    temporal__api__workflowservice__v1__describe_workflow_execution_response__free_unpacked(d, NULL);
  }
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  WAIT_FOR(&r, r.shutdowns == 1, 10000);
  CHECK(r.shutdowns == 1 && r.warnings == 0);
  tcore_worker_free(w);
  tcore_client_free(c);
}

static void test_cancel_request_reaches_the_task_through_heartbeats(void) {
  tcore_client *c = make_client(target);
  rec r;
  rec_init(&r);
  char wf[96], tq[96];
  unique(wf, sizeof wf, "wf");
  unique(tq, sizeof tq, "act");
  tcore_worker *w = make_worker(c, tq, &r, NULL);
  CHECK(tcore_worker_start(w) == TCORE_OK);
  schedule_activity(c, wf, tq, 1000, 1); /* throttle 800 ms */
  WAIT_FOR(&r, r.tasks == 1, 10000);
  CHECK(tcore_worker_heartbeat(w, r.token, r.token_len, NULL, 0) == TCORE_OK);
  cancel_activity(c, wf);
  for (int i = 0; i < 100 && r.cancels == 0; i++) { /* heartbeat every 50 ms for up to 5 s */
    tcore_worker_heartbeat(w, r.token, r.token_len, NULL, 0);
    WAIT_FOR(&r, r.cancels > 0, 50);
  }
  CHECK(r.cancels == 1);
  CHECK(strcmp(r.cancel_reason, "cancel_requested") == 0);
  CHECK(tcore_worker_complete(w, r.token, r.token_len, TCORE_COMPLETION_CANCELLED, NULL, 0) ==
        TCORE_OK);
  Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *h;
  Temporal__Api__History__V1__HistoryEvent *ev =
      find_event(c, wf, TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_ACTIVITY_TASK_CANCELED, &h);
  CHECK(ev != NULL);
  if (h)
    temporal__api__workflowservice__v1__get_workflow_execution_history_response__free_unpacked(h,
                                                                                                NULL);
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  WAIT_FOR(&r, r.shutdowns == 1, 10000);
  CHECK(r.shutdowns == 1 && r.cancels == 1);
  tcore_worker_free(w);
  tcore_client_free(c);
}

static void test_will_complete_async_reports_nothing_and_frees_the_slot(void) {
  tcore_client *c = make_client(target);
  rec r;
  rec_init(&r);
  char wf[96], tq[96];
  unique(wf, sizeof wf, "wf");
  unique(tq, sizeof tq, "act");
  tcore_worker *w = make_worker(c, tq, &r, NULL);
  CHECK(tcore_worker_start(w) == TCORE_OK);
  schedule_activity(c, wf, tq, 0, 1);
  WAIT_FOR(&r, r.tasks == 1, 10000);
  CHECK(tcore_worker_heartbeat(w, r.token, r.token_len, NULL, 0) == TCORE_OK);
  CHECK(tcore_worker_complete(w, r.token, r.token_len, TCORE_COMPLETION_WILL_COMPLETE_ASYNC,
                              NULL, 0) == TCORE_OK);
  /* No longer the worker's task... */
  CHECK(tcore_worker_heartbeat(w, r.token, r.token_len, NULL, 0) == TCORE_ERR_NOT_FOUND);
  /* ...and a prompt shutdown: nothing left to wait for. */
  int64_t t0 = tcore_now_ms();
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  WAIT_FOR(&r, r.shutdowns == 1, 10000);
  CHECK(r.shutdowns == 1 && r.shutdown_ms - t0 < 3000 && r.cancels == 0);
  /* The server still has it running: another party completes it with the token. */
  Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_COMPLETED_REQUEST__INIT;
  req.task_token.data = r.token;
  req.task_token.len = r.token_len;
  req.namespace_ = "default";
  req.identity = "other-process";
  outcome o;
  CHECK(call_msg(c, WS "RespondActivityTaskCompleted", &req.base, 10000, &o) == 0);
  free(o.body);
  Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *h;
  Temporal__Api__History__V1__HistoryEvent *ev = find_event(
      c, wf, TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_ACTIVITY_TASK_COMPLETED, &h);
  CHECK(ev != NULL && strcmp(ev->activity_task_completed_event_attributes->identity,
                             "other-process") == 0);
  if (h)
    temporal__api__workflowservice__v1__get_workflow_execution_history_response__free_unpacked(h,
                                                                                                NULL);
  tcore_worker_free(w);
  tcore_client_free(c);
}

static void test_shutdown_cancels_running_task_and_sends_its_completion(void) {
  tcore_client *c = make_client(target);
  rec r;
  rec_init(&r);
  r.fail_on_cancel = 1;
  char wf[96], tq[96];
  unique(wf, sizeof wf, "wf");
  unique(tq, sizeof tq, "act");
  tcore_worker *w = make_worker(c, tq, &r, NULL); /* grace 0 */
  CHECK(tcore_worker_start(w) == TCORE_OK);
  schedule_activity(c, wf, tq, 0, 2);
  WAIT_FOR(&r, r.tasks == 1, 10000);
  int64_t t0 = tcore_now_ms();
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  WAIT_FOR(&r, r.shutdowns == 1, 10000);
  CHECK(r.cancels == 1 && strcmp(r.cancel_reason, "worker_shutdown") == 0);
  CHECK(r.shutdowns == 1 && r.shutdown_ms - t0 < 3000);
  CHECK(r.cancel_ms <= r.shutdown_ms);
  tcore_worker_free(w);
  /* The failure produced in the cancel callback reached the server before
   * the shutdown callback ran. */
  Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionResponse *d = describe(c, wf);
  CHECK(d && d->n_pending_activities == 1 && d->pending_activities[0]->last_failure &&
        strcmp(d->pending_activities[0]->last_failure->message, "worker shutdown") == 0);
  if (d)
    temporal__api__workflowservice__v1__describe_workflow_execution_response__free_unpacked(d, NULL);
  tcore_client_free(c);
}

static void test_grace_period_lets_a_task_finish(void) {
  tcore_client *c = make_client(target);
  rec r;
  rec_init(&r);
  char wf[96], tq[96];
  unique(wf, sizeof wf, "wf");
  unique(tq, sizeof tq, "act");
  wopts wo = {0};
  wo.grace_ms = 5000;
  tcore_worker *w = make_worker(c, tq, &r, &wo);
  CHECK(tcore_worker_start(w) == TCORE_OK);
  schedule_activity(c, wf, tq, 0, 1);
  WAIT_FOR(&r, r.tasks == 1, 10000);
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  sleep_ms(300);
  CHECK(r.shutdowns == 0); /* waits for the running task */
  uint8_t buf[64];
  size_t n = payloads_of("late", buf);
  int64_t t0 = tcore_now_ms();
  CHECK(tcore_worker_complete(w, r.token, r.token_len, TCORE_COMPLETION_COMPLETED, buf, n) ==
        TCORE_OK);
  WAIT_FOR(&r, r.shutdowns == 1, 10000);
  CHECK(r.shutdowns == 1 && r.cancels == 0);
  CHECK(r.shutdown_ms - t0 < 2000);
  tcore_worker_free(w);
  Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *h;
  Temporal__Api__History__V1__HistoryEvent *ev =
      find_event(c, wf, TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_ACTIVITY_TASK_COMPLETED, &h);
  CHECK(ev && payloads_say(ev->activity_task_completed_event_attributes->result, "late"));
  if (h)
    temporal__api__workflowservice__v1__get_workflow_execution_history_response__free_unpacked(h,
                                                                                                NULL);
  tcore_client_free(c);
}

static void test_shutdown_gives_up_on_tasks_that_never_complete(void) {
  tcore_client *c = make_client(target);
  rec r;
  rec_init(&r);
  char wf[96], tq[96];
  unique(wf, sizeof wf, "wf");
  unique(tq, sizeof tq, "act");
  wopts wo = {0};
  wo.cancel_wait_ms = 400;
  tcore_worker *w = make_worker(c, tq, &r, &wo);
  CHECK(tcore_worker_start(w) == TCORE_OK);
  schedule_activity(c, wf, tq, 0, 1);
  WAIT_FOR(&r, r.tasks == 1, 10000);
  int64_t t0 = tcore_now_ms();
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  WAIT_FOR(&r, r.shutdowns == 1, 10000);
  CHECK(r.cancels == 1 && r.shutdowns == 1);
  CHECK(r.shutdown_ms - t0 >= 350 && r.shutdown_ms - t0 < 2500);
  CHECK(tcore_worker_complete(w, r.token, r.token_len, TCORE_COMPLETION_COMPLETED, NULL, 0) ==
        TCORE_ERR_NOT_FOUND);
  tcore_worker_free(w);
  tcore_client_free(c);
}

static void test_unknown_namespace_is_fatal(void) {
  tcore_client *c = make_client(target);
  rec r;
  rec_init(&r);
  wopts wo = {0};
  wo.ns = "c-test-no-such-namespace";
  tcore_worker *w = make_worker(c, "tq", &r, &wo);
  CHECK(tcore_worker_start(w) == TCORE_OK);
  WAIT_FOR(&r, r.fatals > 0, 10000);
  CHECK(r.fatals == 1);
  CHECK(r.fatal_status == TCORE_STATUS_NOT_FOUND);
  CHECK(r.fatal_details_len > 0); /* NamespaceNotFoundFailure */
  CHECK(strstr(r.fatal, "failed for good") != NULL);
  CHECK(strstr(r.fatal, "c-test-no-such-namespace") != NULL);
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  WAIT_FOR(&r, r.shutdowns == 1, 5000);
  CHECK(r.shutdowns == 1 && r.fatals == 1);
  tcore_worker_free(w);
  tcore_client_free(c);
}

static int history_has(tcore_client *c, const char *wf, int type) {
  Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *h;
  Temporal__Api__History__V1__HistoryEvent *ev = find_event(c, wf, type, &h);
  if (h)
    temporal__api__workflowservice__v1__get_workflow_execution_history_response__free_unpacked(h,
                                                                                                NULL);
  return ev != NULL;
}

static void test_local_start_to_close_timeout_cancels_and_drops_the_completion(void) {
  tcore_client *c = make_client(target);
  rec r;
  rec_init(&r);
  char wf[96], tq[96];
  unique(wf, sizeof wf, "wf");
  unique(tq, sizeof tq, "act");
  wopts wo = {0};
  wo.set_buffer = 1;
  wo.buffer_ms = 300;
  tcore_worker *w = make_worker(c, tq, &r, &wo);
  CHECK(tcore_worker_start(w) == TCORE_OK);
  schedule_activity_stc(c, wf, tq, 0, 1, 1000);
  WAIT_FOR(&r, r.tasks == 1, 10000);
  int64_t t0 = tcore_now_ms();
  CHECK(r.tasks == 1);
  WAIT_FOR(&r, r.cancels > 0, 8000);
  int64_t took = tcore_now_ms() - t0;
  CHECK(r.cancels == 1 && strcmp(r.cancel_reason, "timed_out") == 0);
  CHECK(took >= 1000); /* not before start-to-close + buffer (1.3 s from the poll) */
  pthread_mutex_lock(&w->mu);
  int running = w->running;
  pthread_mutex_unlock(&w->mu);
  CHECK(running == 1); /* the slot is held until the activity gives it back */
  uint8_t buf[64];
  size_t n = payloads_of("too late", buf);
  CHECK(tcore_worker_complete(w, r.token, r.token_len, TCORE_COMPLETION_COMPLETED, buf, n) ==
        TCORE_OK);
  pthread_mutex_lock(&w->mu);
  running = w->running;
  pthread_mutex_unlock(&w->mu);
  CHECK(running == 0);
  /* The server timed it out; the completion was not sent. */
  CHECK(history_has(c, wf, TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT));
  CHECK(!history_has(c, wf, TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_ACTIVITY_TASK_COMPLETED));
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  WAIT_FOR(&r, r.shutdowns == 1, 10000);
  CHECK(r.shutdowns == 1 && r.cancels == 1 && r.warnings == 0);
  tcore_worker_free(w);
  tcore_client_free(c);
}

static void test_local_heartbeat_timeout_moves_with_heartbeats(void) {
  tcore_client *c = make_client(target);
  rec r;
  rec_init(&r);
  char wf[96], tq[96];
  unique(wf, sizeof wf, "wf");
  unique(tq, sizeof tq, "act");
  wopts wo = {0};
  wo.set_buffer = 1;
  wo.buffer_ms = 200;
  tcore_worker *w = make_worker(c, tq, &r, &wo);
  CHECK(tcore_worker_start(w) == TCORE_OK);
  schedule_activity(c, wf, tq, 1000, 1); /* heartbeat timeout 1 s, start-to-close 60 s */
  WAIT_FOR(&r, r.tasks == 1, 10000);
  for (int i = 0; i < 8; i++) { /* 2.4 s of heartbeats every 300 ms: no timeout */
    CHECK(tcore_worker_heartbeat(w, r.token, r.token_len, NULL, 0) == TCORE_OK);
    WAIT_FOR(&r, r.cancels > 0, 300);
  }
  CHECK(r.cancels == 0);
  int64_t t0 = tcore_now_ms();
  WAIT_FOR(&r, r.cancels > 0, 8000); /* no more heartbeats: timed out */
  CHECK(r.cancels == 1 && strcmp(r.cancel_reason, "timed_out") == 0);
  CHECK(tcore_now_ms() - t0 >= 700);
  CHECK(tcore_worker_complete(w, r.token, r.token_len, TCORE_COMPLETION_CANCELLED, NULL, 0) ==
        TCORE_OK);
  CHECK(history_has(c, wf, TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT));
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  WAIT_FOR(&r, r.shutdowns == 1, 10000);
  CHECK(r.shutdowns == 1 && r.warnings == 0);
  tcore_worker_free(w);
  tcore_client_free(c);
}

/* Serialized Payloads with one binary/plain payload of `n` bytes. */
static uint8_t *big_payloads(size_t n, size_t *len) {
  char *text = malloc(n + 1);
  memset(text, 'x', n);
  text[n] = 0;
  uint8_t *buf = malloc(n + 64);
  *len = payloads_of(text, buf);
  free(text);
  return buf;
}

/* A result over the server's limits fails the attempt at once, for good:
 * over the 2 MiB blob limit the server itself records a non-retryable
 * ServerFailure ("Complete result exceeds size limit."); over its 4 MiB
 * gRPC message limit it refuses the call (RESOURCE_EXHAUSTED) and the
 * worker fails the attempt with a GrpcMessageTooLarge application failure. */
static void check_too_large(size_t size, int refused) {
  tcore_client *c = make_client(target);
  rec r;
  rec_init(&r);
  char wf[96], tq[96];
  unique(wf, sizeof wf, "wf");
  unique(tq, sizeof tq, "act");
  tcore_worker *w = make_worker(c, tq, &r, NULL);
  CHECK(tcore_worker_start(w) == TCORE_OK);
  schedule_activity(c, wf, tq, 0, 3);
  WAIT_FOR(&r, r.tasks == 1, 10000);
  size_t n;
  uint8_t *big = big_payloads(size, &n);
  CHECK(tcore_worker_complete(w, r.token, r.token_len, TCORE_COMPLETION_COMPLETED, big, n) ==
        TCORE_OK);
  free(big);
  Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *h;
  Temporal__Api__History__V1__HistoryEvent *ev =
      find_event(c, wf, TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_ACTIVITY_TASK_FAILED, &h);
  CHECK(ev != NULL);
  if (ev) {
    Temporal__Api__Failure__V1__Failure *f = ev->activity_task_failed_event_attributes->failure;
    if (refused) {
      CHECK(f && f->failure_info_case ==
                     TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO &&
            strcmp(f->application_failure_info->type, "GrpcMessageTooLarge") == 0 &&
            f->application_failure_info->non_retryable);
      char want[64];
      snprintf(want, sizeof want, "(%zu bytes", n);
      CHECK(f && strstr(f->message, want) != NULL);
    } else {
      CHECK(f && f->failure_info_case ==
                     TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_SERVER_FAILURE_INFO &&
            f->server_failure_info->non_retryable && strstr(f->message, "size limit") != NULL);
    }
  }
  if (h)
    temporal__api__workflowservice__v1__get_workflow_execution_history_response__free_unpacked(h,
                                                                                                NULL);
  CHECK(tcore_worker_shutdown(w, on_shutdown, &r) == TCORE_OK);
  WAIT_FOR(&r, r.shutdowns == 1, 10000);
  CHECK(r.shutdowns == 1 && r.warnings == refused); /* a refused completion is logged */
  tcore_worker_free(w);
  tcore_client_free(c);
}

static void test_result_too_large_fails_the_activity_at_once(void) {
  check_too_large(3 * 1024 * 1024, 0);
  check_too_large(5 * 1024 * 1024, 1);
}

int main(void) {
  tcore_error err;
  if (tcore_runtime_new(&rt, &err) != TCORE_OK) return 1;
  RUN(test_throttle_interval);
  RUN(test_polls_only_start_for_free_slots);
  RUN(test_options_are_checked);
  RUN(test_unknown_tokens_are_not_found);
  RUN(test_shutdown_of_a_worker_never_started);
  RUN(test_which_poll_failures_heal);
  RUN(test_task_close_deadline);
  RUN(test_result_too_large_is_recognized);
  RUN(test_unreachable_server_is_retried_without_end);
  RUN(test_closing_the_client_is_fatal_for_its_worker);
  target = getenv("TEMPORAL_TEST_TARGET");
  if (target && *target) {
    RUN(test_shutdown_with_polls_in_flight_is_prompt);
    RUN(test_task_heartbeat_and_completion);
    RUN(test_failure_flushes_throttled_heartbeat_first);
    RUN(test_cancel_request_reaches_the_task_through_heartbeats);
    RUN(test_will_complete_async_reports_nothing_and_frees_the_slot);
    RUN(test_shutdown_cancels_running_task_and_sends_its_completion);
    RUN(test_grace_period_lets_a_task_finish);
    RUN(test_shutdown_gives_up_on_tasks_that_never_complete);
    RUN(test_unknown_namespace_is_fatal);
    RUN(test_local_start_to_close_timeout_cancels_and_drops_the_completion);
    RUN(test_local_heartbeat_timeout_moves_with_heartbeats);
    RUN(test_result_too_large_fails_the_activity_at_once);
  } else {
    printf("test_worker: TEMPORAL_TEST_TARGET is not set; live tests not run\n");
  }
  tcore_runtime_free(rt);
  return check_summary();
}
