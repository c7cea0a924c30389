/* hello_workflow.c: a workflow written in C against the core's activations.
 *
 *   hello_workflow HOST:PORT
 *
 * Starts a worker (workflows only) on a fresh task queue, starts workflow
 * "HelloWorkflow" there, and plays it: on its first activation
 * (InitializeWorkflow) it starts a 1 s timer; when the timer fires it
 * completes the workflow with the result "hello from C". Then it waits for
 * the workflow's close event, prints the result and shuts down. Exit 0 when
 * the workflow completed with that result.
 *
 * Activations and completions are coresdk protobuf messages, built and read
 * with protobuf-c. The event callback runs on a core runtime thread; it
 * answers each activation at once (it could as well answer later, from any
 * thread). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "temporal/sdk/core/workflow_activation/workflow_activation.pb-c.h"
#include "temporal/sdk/core/workflow_completion/workflow_completion.pb-c.h"
#include "temporal_core.h"

#define WS "/temporal.api.workflowservice.v1.WorkflowService/"
#define RESULT "hello from C"

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  tcore_worker *worker;
  int done, status, shut_down;
  uint8_t *body;
  size_t body_len;
} state;

/* ---- the workflow: one activation in, one completion out ---------------- */

static void on_worker_event(void *user, const tcore_worker_event *ev) {
  state *st = user;
  if (ev->kind == TCORE_WORKER_EVENT_WARNING || ev->kind == TCORE_WORKER_EVENT_FATAL) {
    fprintf(stderr, "worker: %s\n", ev->message);
    return;
  }
  if (ev->kind != TCORE_WORKER_EVENT_ACTIVATION) return;
  Coresdk__WorkflowActivation__WorkflowActivation *act =
      coresdk__workflow_activation__workflow_activation__unpack(NULL, ev->task_len, ev->task);
  if (!act) return;

  Coresdk__WorkflowCommands__WorkflowCommand cmd = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__INIT;
  Coresdk__WorkflowCommands__WorkflowCommand *cmds[1] = {&cmd};
  Coresdk__WorkflowCommands__StartTimer timer = CORESDK__WORKFLOW_COMMANDS__START_TIMER__INIT;
  Google__Protobuf__Duration one_second = GOOGLE__PROTOBUF__DURATION__INIT;
  Coresdk__WorkflowCommands__CompleteWorkflowExecution complete =
      CORESDK__WORKFLOW_COMMANDS__COMPLETE_WORKFLOW_EXECUTION__INIT;
  Temporal__Api__Common__V1__Payload result = TEMPORAL__API__COMMON__V1__PAYLOAD__INIT;
  Temporal__Api__Common__V1__Payload__MetadataEntry encoding =
      TEMPORAL__API__COMMON__V1__PAYLOAD__METADATA_ENTRY__INIT;
  Temporal__Api__Common__V1__Payload__MetadataEntry *md[1] = {&encoding};
  size_t n_commands = 0;
  for (size_t i = 0; i < act->n_jobs; i++) {
    Coresdk__WorkflowActivation__WorkflowActivationJob *job = act->jobs[i];
    switch (job->variant_case) {
      case CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__VARIANT_INITIALIZE_WORKFLOW:
        one_second.seconds = 1;
        timer.seq = 1;
        timer.start_to_fire_timeout = &one_second;
        cmd.variant_case = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_START_TIMER;
        cmd.start_timer = &timer;
        n_commands = 1;
        break;
      case CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__VARIANT_FIRE_TIMER:
        /* A JSON string payload, as every SDK's default converter reads it. */
        encoding.key = "encoding";
        encoding.value.data = (uint8_t *)"json/plain";
        encoding.value.len = strlen("json/plain");
        result.n_metadata = 1;
        result.metadata = md;
        result.data.data = (uint8_t *)"\"" RESULT "\"";
        result.data.len = strlen("\"" RESULT "\"");
        complete.result = &result;
        cmd.variant_case =
            CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_COMPLETE_WORKFLOW_EXECUTION;
        cmd.complete_workflow_execution = &complete;
        n_commands = 1;
        break;
      default: /* remove_from_cache: nothing of ours to drop; just answer it */
        break;
    }
  }
  Coresdk__WorkflowCompletion__Success ok = CORESDK__WORKFLOW_COMPLETION__SUCCESS__INIT;
  ok.n_commands = n_commands;
  ok.commands = cmds;
  Coresdk__WorkflowCompletion__WorkflowActivationCompletion done =
      CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__INIT;
  done.run_id = act->run_id;
  done.status_case = CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__STATUS_SUCCESSFUL;
  done.successful = &ok;
  size_t len = coresdk__workflow_completion__workflow_activation_completion__get_packed_size(&done);
  uint8_t *buf = malloc(len ? len : 1);
  if (buf) {
    coresdk__workflow_completion__workflow_activation_completion__pack(&done, buf);
    int rc = tcore_worker_complete_activation(st->worker, act->run_id, buf, len);
    if (rc != TCORE_OK) fprintf(stderr, "complete_activation: %d\n", rc);
    free(buf);
  }
  coresdk__workflow_activation__workflow_activation__free_unpacked(act, NULL);
}

/* ---- plain calls: start the workflow, wait for its close event ---------- */

static void on_call_done(void *user, const tcore_call_result *r) {
  state *st = user;
  pthread_mutex_lock(&st->mu);
  st->status = r->status;
  if (r->status != TCORE_STATUS_OK) fprintf(stderr, "call failed: %d: %s\n", r->status, r->message);
  st->body = malloc(r->response_len ? r->response_len : 1);
  if (st->body) memcpy(st->body, r->response, r->response_len);
  st->body_len = r->response_len;
  st->done = 1;
  pthread_cond_signal(&st->cv);
  pthread_mutex_unlock(&st->mu);
}

/* One call, waited for; the response is in st->body (the caller frees it). */
static int call(tcore_client *c, state *st, const char *method, const ProtobufCMessage *req,
                int64_t timeout_ms) {
  size_t len = protobuf_c_message_get_packed_size(req);
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf) return -1;
  protobuf_c_message_pack(req, buf);
  tcore_call_options opts = {0};
  opts.timeout_ms = timeout_ms;
  st->done = 0;
  tcore_error err;
  int rc = tcore_client_call(c, method, buf, len, &opts, on_call_done, st, NULL, &err);
  free(buf);
  if (rc != TCORE_OK) {
    fprintf(stderr, "%s: %s\n", method, err.message);
    return -1;
  }
  pthread_mutex_lock(&st->mu);
  while (!st->done) pthread_cond_wait(&st->cv, &st->mu);
  pthread_mutex_unlock(&st->mu);
  return st->status;
}

static void on_shutdown(void *user) {
  state *st = user;
  pthread_mutex_lock(&st->mu);
  st->shut_down = 1;
  pthread_cond_signal(&st->cv);
  pthread_mutex_unlock(&st->mu);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s HOST:PORT\n", argv[0]);
    return 2;
  }
  state st = {0};
  pthread_mutex_init(&st.mu, NULL);
  pthread_cond_init(&st.cv, NULL);
  char tq[64], wf_id[64];
  snprintf(tq, sizeof tq, "hello-c-%ld", (long)time(NULL));
  snprintf(wf_id, sizeof wf_id, "hello-c-wf-%ld", (long)time(NULL));

  tcore_error err;
  tcore_runtime *rt;
  if (tcore_runtime_new(&rt, &err) != TCORE_OK) {
    fprintf(stderr, "runtime: %s\n", err.message);
    return 1;
  }
  tcore_client_options *copts;
  tcore_client_options_new(&copts);
  tcore_client_options_set_target(copts, argv[1]);
  tcore_client *client = NULL;
  int rc = tcore_client_new(rt, copts, &client, &err);
  tcore_client_options_free(copts);
  if (rc != TCORE_OK) {
    fprintf(stderr, "client: %s\n", err.message);
    tcore_runtime_free(rt);
    return 1;
  }

  tcore_worker_options *wopts;
  tcore_worker_options_new(&wopts);
  tcore_worker_options_set_task_queue(wopts, tq);
  tcore_worker_options_set_workflows(wopts, 1);
  tcore_worker_options_set_activities(wopts, 0);
  tcore_worker_options_set_event_callback(wopts, on_worker_event, &st);
  rc = tcore_worker_new(client, wopts, &st.worker, &err);
  tcore_worker_options_free(wopts);
  if (rc != TCORE_OK) {
    fprintf(stderr, "worker: %s\n", err.message);
    tcore_client_free(client);
    tcore_runtime_free(rt);
    return 1;
  }
  tcore_worker_start(st.worker);

  /* Start the workflow. */
  Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest start =
      TEMPORAL__API__WORKFLOWSERVICE__V1__START_WORKFLOW_EXECUTION_REQUEST__INIT;
  Temporal__Api__Common__V1__WorkflowType type = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
  Temporal__Api__Taskqueue__V1__TaskQueue queue = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
  type.name = "HelloWorkflow";
  queue.name = tq;
  start.namespace_ = "default";
  start.workflow_id = wf_id;
  start.workflow_type = &type;
  start.task_queue = &queue;
  start.request_id = wf_id;
  start.identity = "hello_workflow";
  int ok = call(client, &st, WS "StartWorkflowExecution", &start.base, 10000) == 0;
  free(st.body);

  /* Wait (long poll, at most 30 s) for its close event. */
  if (ok) {
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest get =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution ex =
        TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    ex.workflow_id = wf_id;
    get.namespace_ = "default";
    get.execution = &ex;
    get.wait_new_event = 1;
    get.history_event_filter_type =
        TEMPORAL__API__ENUMS__V1__HISTORY_EVENT_FILTER_TYPE__HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
    ok = call(client, &st, WS "GetWorkflowExecutionHistory", &get.base, 30000) == 0;
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *resp =
        ok ? temporal__api__workflowservice__v1__get_workflow_execution_history_response__unpack(
                 NULL, st.body_len, st.body)
           : NULL;
    free(st.body);
    ok = 0;
    if (resp && resp->history && resp->history->n_events == 1) {
      Temporal__Api__History__V1__HistoryEvent *e = resp->history->events[0];
      if (e->event_type ==
              TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED &&
          e->workflow_execution_completed_event_attributes &&
          e->workflow_execution_completed_event_attributes->result &&
          e->workflow_execution_completed_event_attributes->result->n_payloads == 1) {
        ProtobufCBinaryData d =
            e->workflow_execution_completed_event_attributes->result->payloads[0]->data;
        printf("workflow %s completed: %.*s\n", wf_id, (int)d.len, (const char *)d.data);
        ok = d.len == strlen("\"" RESULT "\"") && memcmp(d.data, "\"" RESULT "\"", d.len) == 0;
      } else {
        fprintf(stderr, "workflow %s closed with event type %d\n", wf_id, e->event_type);
      }
    }
    if (resp)
      temporal__api__workflowservice__v1__get_workflow_execution_history_response__free_unpacked(
          resp, NULL);
  }

  /* Shut down: cached runs are evicted (answered by on_worker_event). */
  tcore_worker_shutdown(st.worker, on_shutdown, &st);
  pthread_mutex_lock(&st.mu);
  while (!st.shut_down) pthread_cond_wait(&st.cv, &st.mu);
  pthread_mutex_unlock(&st.mu);
  tcore_worker_free(st.worker);
  tcore_client_free(client);
  tcore_runtime_free(rt);
  return ok ? 0 : 1;
}
