/* fake_engine.h: a stand-in for the workflow engine behind wf_engine.h,
 * for the run manager's tests (core/tests only, never the library). It
 * understands just enough history and completions for one kind of
 * workflow: it gives InitializeWorkflow on a run's first activation and
 * FireTimer when a TimerFired event came, and turns the language's
 * StartTimer / CompleteWorkflowExecution commands into server commands.
 * `fake` counts what it saw (engines made and freed, history pages and
 * whether a task's history began at event 1). Included by one test file.
 */
#ifndef TCORE_FAKE_ENGINE_H
#define TCORE_FAKE_ENGINE_H
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "temporal/sdk/core/workflow_activation/workflow_activation.pb-c.h"
#include "temporal/sdk/core/workflow_completion/workflow_completion.pb-c.h"
#include "worker.h"

static struct {
  pthread_mutex_t mu;
  int created, freed;
  int max_pages;     /* pages of history in one task, at most */
  int partial_tasks; /* tasks that brought only new events (a cached run) */
  int full_tasks;    /* tasks whose history started at event 1 */
  int signals;       /* signal events seen */
  int64_t timer_ms;  /* the timer the workflow starts */
} fake = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, 0, 0, 500};

enum { CMD_NONE, CMD_TIMER, CMD_COMPLETE };

struct tcore_wf_engine {
  char run_id[64], workflow_id[128], workflow_type[64];
  int64_t last_id;
  int pages;          /* of the task under way */
  int64_t task_first; /* the first event id of the task under way */
  int initialized, timer_fired_new, ready, act_out, act_done, finished_in_history, finished;
  int cmd;
  int64_t cmd_timer_ms;
  char query_type[64]; /* a legacy query of the task under way: its type */
  int query_pending, query_out, query_done;
  int fresh_events; /* events added by this task so far */
  uint8_t *result; /* CMD_COMPLETE: the serialized result Payload, if any */
  size_t result_len;
};

static tcore_wf_engine *fe_new(const tcore_wf_engine_config *cfg) {
  tcore_wf_engine *e = calloc(1, sizeof *e);
  snprintf(e->run_id, sizeof e->run_id, "%s", cfg->run_id);
  snprintf(e->workflow_id, sizeof e->workflow_id, "%s", cfg->workflow_id);
  snprintf(e->workflow_type, sizeof e->workflow_type, "%s", cfg->workflow_type);
  pthread_mutex_lock(&fake.mu);
  fake.created++;
  pthread_mutex_unlock(&fake.mu);
  return e;
}

static void fe_free(tcore_wf_engine *e) {
  free(e->result);
  free(e);
  pthread_mutex_lock(&fake.mu);
  fake.freed++;
  pthread_mutex_unlock(&fake.mu);
}

static int fe_add_history(tcore_wf_engine *e, const uint8_t *h, size_t len, int complete,
                          tcore_error *err) {
  Temporal__Api__History__V1__History *hist =
      temporal__api__history__v1__history__unpack(NULL, len, h);
  if (!hist) return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "history does not parse");
  int signals = 0, added = 0;
  for (size_t i = 0; i < hist->n_events; i++) {
    Temporal__Api__History__V1__HistoryEvent *ev = hist->events[i];
    if (e->pages == 0 && i == 0) e->task_first = ev->event_id;
    if (ev->event_id <= e->last_id) continue; /* already seen */
    if (e->last_id && ev->event_id != e->last_id + 1) {
      temporal__api__history__v1__history__free_unpacked(hist, NULL);
      return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "gap in history");
    }
    e->last_id = ev->event_id;
    added++;
    if (ev->event_type == TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_TIMER_FIRED)
      e->timer_fired_new = 1;
    if (ev->event_type == TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
      signals++;
    if (ev->event_type == TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
      e->finished_in_history = 1;
  }
  temporal__api__history__v1__history__free_unpacked(hist, NULL);
  e->pages++;
  pthread_mutex_lock(&fake.mu);
  fake.signals += signals;
  if (complete) {
    if (e->pages > fake.max_pages) fake.max_pages = e->pages;
    if (e->task_first == 1) fake.full_tasks++;
    else fake.partial_tasks++;
  }
  pthread_mutex_unlock(&fake.mu);
  if (added) e->fresh_events = 1;
  if (complete) {
    e->pages = 0;
    e->ready = e->fresh_events; /* a query-only task brings no new events */
    e->fresh_events = 0;
  }
  return TCORE_OK;
}

static int fe_add_queries(tcore_wf_engine *e, const uint8_t *q, size_t len, tcore_error *err) {
  Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse *m =
      temporal__api__workflowservice__v1__poll_workflow_task_queue_response__unpack(NULL, len, q);
  if (!m) return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "queries do not parse");
  int bad = m->task_token.len || m->history; /* only the queries are to come */
  if (m->query) {
    snprintf(e->query_type, sizeof e->query_type, "%s", m->query->query_type);
    e->query_pending = 1;
  }
  temporal__api__workflowservice__v1__poll_workflow_task_queue_response__free_unpacked(m, NULL);
  return bad ? tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "more than queries") : TCORE_OK;
}

static int fe_next_activation(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                              tcore_error *err) {
  if (e->act_out || e->query_out)
    return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "activation outstanding");
  if (e->query_pending && !e->ready) { /* the query's own activation, after the rest */
    Coresdk__WorkflowActivation__QueryWorkflow qw = CORESDK__WORKFLOW_ACTIVATION__QUERY_WORKFLOW__INIT;
    Coresdk__WorkflowActivation__WorkflowActivationJob job =
        CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
    Coresdk__WorkflowActivation__WorkflowActivationJob *jp1[1] = {&job};
    qw.query_id = "legacy_query";
    qw.query_type = e->query_type;
    job.variant_case = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__VARIANT_QUERY_WORKFLOW;
    job.query_workflow = &qw;
    Coresdk__WorkflowActivation__WorkflowActivation a =
        CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION__INIT;
    a.run_id = e->run_id;
    a.n_jobs = 1;
    a.jobs = jp1;
    *out_len = coresdk__workflow_activation__workflow_activation__get_packed_size(&a);
    *out = malloc(*out_len ? *out_len : 1);
    coresdk__workflow_activation__workflow_activation__pack(&a, *out);
    e->query_pending = 0;
    e->query_out = 1;
    return TCORE_OK;
  }
  if (e->query_done) return TCORE_WF_TASK_DONE;
  if (e->act_done) return e->finished ? TCORE_WF_RUN_FINISHED : TCORE_WF_TASK_DONE;
  if (!e->ready) return e->finished_in_history ? TCORE_WF_RUN_FINISHED : TCORE_WF_NEED_HISTORY;
  Coresdk__WorkflowActivation__InitializeWorkflow init =
      CORESDK__WORKFLOW_ACTIVATION__INITIALIZE_WORKFLOW__INIT;
  Coresdk__WorkflowActivation__FireTimer fire = CORESDK__WORKFLOW_ACTIVATION__FIRE_TIMER__INIT;
  Coresdk__WorkflowActivation__WorkflowActivationJob jobs[2] = {
      CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT,
      CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT};
  Coresdk__WorkflowActivation__WorkflowActivationJob *jp[2] = {&jobs[0], &jobs[1]};
  size_t n = 0;
  if (!e->initialized) {
    init.workflow_type = e->workflow_type;
    init.workflow_id = e->workflow_id;
    jobs[n].variant_case = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__VARIANT_INITIALIZE_WORKFLOW;
    jobs[n++].initialize_workflow = &init;
    e->initialized = 1;
  }
  if (e->timer_fired_new) {
    fire.seq = 1;
    jobs[n].variant_case = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__VARIANT_FIRE_TIMER;
    jobs[n++].fire_timer = &fire;
    e->timer_fired_new = 0;
  }
  Coresdk__WorkflowActivation__WorkflowActivation a =
      CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION__INIT;
  a.run_id = e->run_id;
  a.history_length = (uint32_t)e->last_id;
  a.n_jobs = n;
  a.jobs = jp;
  *out_len = coresdk__workflow_activation__workflow_activation__get_packed_size(&a);
  *out = malloc(*out_len ? *out_len : 1);
  coresdk__workflow_activation__workflow_activation__pack(&a, *out);
  e->ready = 0;
  e->act_out = 1;
  return TCORE_OK;
}

static int fe_complete(tcore_wf_engine *e, const uint8_t *c, size_t len, tcore_error *err) {
  Coresdk__WorkflowCompletion__WorkflowActivationCompletion *comp =
      coresdk__workflow_completion__workflow_activation_completion__unpack(NULL, len, c);
  if (!comp) return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "completion does not parse");
  if (e->query_out) { /* the answer itself is made up in take_query_response */
    e->query_out = 0;
    e->query_done = 1;
    coresdk__workflow_completion__workflow_activation_completion__free_unpacked(comp, NULL);
    return TCORE_OK;
  }
  e->act_out = 0;
  int rc = TCORE_OK;
  if (comp->status_case == CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__STATUS_FAILED) {
    rc = TCORE_WF_ACTIVATION_FAILED;
  } else if (comp->successful) {
    e->act_done = 1;
    e->cmd = CMD_NONE;
    for (size_t i = 0; i < comp->successful->n_commands; i++) {
      Coresdk__WorkflowCommands__WorkflowCommand *cmd = comp->successful->commands[i];
      if (cmd->variant_case == CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_START_TIMER) {
        e->cmd = CMD_TIMER;
        Google__Protobuf__Duration *d = cmd->start_timer->start_to_fire_timeout;
        e->cmd_timer_ms = d ? d->seconds * 1000 + d->nanos / 1000000 : 0;
      } else if (cmd->variant_case ==
                 CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_COMPLETE_WORKFLOW_EXECUTION) {
        e->cmd = CMD_COMPLETE;
        e->finished = 1;
        Temporal__Api__Common__V1__Payload *p = cmd->complete_workflow_execution->result;
        if (p) {
          e->result_len = temporal__api__common__v1__payload__get_packed_size(p);
          e->result = malloc(e->result_len ? e->result_len : 1);
          temporal__api__common__v1__payload__pack(p, e->result);
        }
      }
    }
  }
  coresdk__workflow_completion__workflow_activation_completion__free_unpacked(comp, NULL);
  return rc;
}

static int fe_take_response(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                            tcore_error *err) {
  if (!e->act_done) return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "task not done");
  Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_REQUEST__INIT;
  Temporal__Api__Command__V1__Command cmd = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  Temporal__Api__Command__V1__Command *cp = &cmd;
  Temporal__Api__Command__V1__StartTimerCommandAttributes timer =
      TEMPORAL__API__COMMAND__V1__START_TIMER_COMMAND_ATTRIBUTES__INIT;
  Temporal__Api__Command__V1__CompleteWorkflowExecutionCommandAttributes done =
      TEMPORAL__API__COMMAND__V1__COMPLETE_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES__INIT;
  Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
  Temporal__Api__Common__V1__Payload *result = NULL;
  Temporal__Api__Common__V1__Payloads payloads = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
  if (e->cmd == CMD_TIMER) {
    d.seconds = e->cmd_timer_ms / 1000;
    d.nanos = (int32_t)(e->cmd_timer_ms % 1000) * 1000000;
    timer.timer_id = "1";
    timer.start_to_fire_timeout = &d;
    cmd.command_type = TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_START_TIMER;
    cmd.attributes_case = TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_START_TIMER_COMMAND_ATTRIBUTES;
    cmd.start_timer_command_attributes = &timer;
  } else if (e->cmd == CMD_COMPLETE) {
    if (e->result)
      result = temporal__api__common__v1__payload__unpack(NULL, e->result_len, e->result);
    if (result) {
      payloads.n_payloads = 1;
      payloads.payloads = &result;
      done.result = &payloads;
    }
    cmd.command_type = TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION;
    cmd.attributes_case =
        TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_COMPLETE_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES;
    cmd.complete_workflow_execution_command_attributes = &done;
  }
  if (e->cmd != CMD_NONE) {
    req.n_commands = 1;
    req.commands = &cp;
  }
  *out_len = temporal__api__workflowservice__v1__respond_workflow_task_completed_request__get_packed_size(&req);
  *out = malloc(*out_len ? *out_len : 1);
  temporal__api__workflowservice__v1__respond_workflow_task_completed_request__pack(&req, *out);
  if (result) temporal__api__common__v1__payload__free_unpacked(result, NULL);
  e->act_done = 0;
  e->cmd = CMD_NONE;
  return TCORE_OK;
}

/* Answers a legacy query with the JSON string "answer to <query type>". */
static int fe_take_query_response(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                                  tcore_error *err) {
  if (!e->query_done) return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "no query answered");
  e->query_done = 0;
  e->act_done = 0;
  char text[128];
  snprintf(text, sizeof text, "\"answer to %s\"", e->query_type);
  Temporal__Api__Workflowservice__V1__RespondQueryTaskCompletedRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_QUERY_TASK_COMPLETED_REQUEST__INIT;
  Temporal__Api__Common__V1__Payloads pls = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
  Temporal__Api__Common__V1__Payload pl = TEMPORAL__API__COMMON__V1__PAYLOAD__INIT;
  Temporal__Api__Common__V1__Payload *pp = &pl;
  Temporal__Api__Common__V1__Payload__MetadataEntry enc =
      TEMPORAL__API__COMMON__V1__PAYLOAD__METADATA_ENTRY__INIT;
  Temporal__Api__Common__V1__Payload__MetadataEntry *md[1] = {&enc};
  enc.key = "encoding";
  enc.value.data = (uint8_t *)"json/plain";
  enc.value.len = 10;
  pl.n_metadata = 1;
  pl.metadata = md;
  pl.data.data = (uint8_t *)text;
  pl.data.len = strlen(text);
  pls.n_payloads = 1;
  pls.payloads = &pp;
  req.completed_type = TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_ANSWERED;
  req.query_result = &pls;
  *out_len = temporal__api__workflowservice__v1__respond_query_task_completed_request__get_packed_size(&req);
  *out = malloc(*out_len ? *out_len : 1);
  temporal__api__workflowservice__v1__respond_query_task_completed_request__pack(&req, *out);
  return TCORE_OK;
}

static int fe_failure(tcore_wf_engine *e, uint8_t **out, size_t *out_len, tcore_error *err) {
  (void)err;
  Temporal__Api__Workflowservice__V1__RespondWorkflowTaskFailedRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_FAILED_REQUEST__INIT;
  Temporal__Api__Failure__V1__Failure f = TEMPORAL__API__FAILURE__V1__FAILURE__INIT;
  f.message = "activation failed in the test";
  req.cause = TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE;
  req.failure = &f;
  *out_len = temporal__api__workflowservice__v1__respond_workflow_task_failed_request__get_packed_size(&req);
  *out = malloc(*out_len ? *out_len : 1);
  temporal__api__workflowservice__v1__respond_workflow_task_failed_request__pack(&req, *out);
  /* the run is evicted after this: a fresh engine replays it */
  e->act_out = 0;
  return TCORE_OK;
}

static const tcore_wf_engine_ops fake_ops = {fe_new,       fe_free,           fe_add_history,
                                             fe_add_queries, fe_next_activation, fe_complete,
                                             fe_take_response, fe_take_query_response, fe_failure,
                                             NULL /* discard_task: evict instead */,
                                             NULL, NULL, NULL /* no local activities */};

static void fake_reset(int64_t timer_ms) {
  pthread_mutex_lock(&fake.mu);
  fake.created = fake.freed = fake.max_pages = fake.partial_tasks = fake.full_tasks = 0;
  fake.signals = 0;
  fake.timer_ms = timer_ms;
  pthread_mutex_unlock(&fake.mu);
}

#endif
