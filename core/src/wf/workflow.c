/* workflow.c: the run itself: WorkflowExecutionStarted -> initialize_workflow,
 * the random seed (initial, and after a reset), and the terminal commands
 * (complete / fail / cancel / continue-as-new) -> API commands. Their events
 * are matched by the dispatcher (engine.c) and end the run.
 *
 * Terminal command table (one per run; the dispatcher orders it last):
 *   (none, lang command)  -> queue the API command, terminal_queued
 *   (queued, its event)   -> run finished (engine.c)
 */
#include <stdlib.h>
#include <string.h>

#include "wf_internal.h"

/* SipHash-1-3 with a zero key over the bytes of `run_id` and a 0xff
 * terminator: how sdk-core derives a run's randomness seed (Rust's
 * SipHasher13 over a str), so seeds match the official SDK's. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                       \
  do {                                                                 \
    v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);          \
    v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                             \
    v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                             \
    v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);          \
  } while (0)

static uint64_t siphash13(const uint8_t *in, size_t len) {
  uint64_t v0 = 0x736f6d6570736575ULL, v1 = 0x646f72616e646f6dULL;
  uint64_t v2 = 0x6c7967656e657261ULL, v3 = 0x7465646279746573ULL;
  size_t full = len & ~(size_t)7;
  for (size_t i = 0; i < full; i += 8) {
    uint64_t m = 0;
    for (int b = 7; b >= 0; b--) m = m << 8 | in[i + b];
    v3 ^= m;
    SIPROUND;
    v0 ^= m;
  }
  uint64_t last = (uint64_t)len << 56;
  for (size_t i = full; i < len; i++) last |= (uint64_t)in[i] << (8 * (i - full));
  v3 ^= last;
  SIPROUND;
  v0 ^= last;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t wf_randomness_seed(const char *run_id) {
  if (!run_id) run_id = "";
  size_t n = strlen(run_id);
  uint8_t buf[256];
  uint8_t *p = n + 1 <= sizeof buf ? buf : malloc(n + 1);
  if (!p) return 0;
  memcpy(p, run_id, n);
  p[n] = 0xff;
  uint64_t h = siphash13(p, n + 1);
  if (p != buf) free(p);
  return h;
}

int wf_workflow_started(wf_engine *e, const wf_event *ev) {
  if (ev->attributes_case != HA(WORKFLOW_EXECUTION_STARTED_EVENT_ATTRIBUTES) ||
      !ev->workflow_execution_started_event_attributes)
    return TCORE_OK;
  const Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *a =
      ev->workflow_execution_started_event_attributes;
  wf_arena ar = {0};
  Coresdk__WorkflowActivation__InitializeWorkflow iw =
      CORESDK__WORKFLOW_ACTIVATION__INITIALIZE_WORKFLOW__INIT;
  Coresdk__Common__NamespacedWorkflowExecution parent =
      CORESDK__COMMON__NAMESPACED_WORKFLOW_EXECUTION__INIT;
  iw.workflow_type = a->workflow_type && a->workflow_type->name ? a->workflow_type->name
                                                                : e->workflow_type;
  iw.workflow_id = a->workflow_id && *a->workflow_id ? a->workflow_id : e->workflow_id;
  if (a->input) {
    iw.n_arguments = a->input->n_payloads;
    iw.arguments = a->input->payloads;
  }
  iw.randomness_seed = wf_randomness_seed(a->original_execution_run_id);
  if (a->header && a->header->n_fields) {
    iw.n_headers = a->header->n_fields;
    iw.headers = (Coresdk__WorkflowActivation__InitializeWorkflow__HeadersEntry **)wf_copy_map(
        &ar, &coresdk__workflow_activation__initialize_workflow__headers_entry__descriptor,
        (void *const *)a->header->fields, a->header->n_fields);
  }
  iw.identity = a->identity;
  if (a->parent_workflow_execution) {
    parent.namespace_ = a->parent_workflow_namespace;
    parent.workflow_id = a->parent_workflow_execution->workflow_id;
    parent.run_id = a->parent_workflow_execution->run_id;
    iw.parent_workflow_info = &parent;
  }
  iw.workflow_execution_timeout = a->workflow_execution_timeout;
  iw.workflow_run_timeout = a->workflow_run_timeout;
  iw.workflow_task_timeout = a->workflow_task_timeout;
  if (a->workflow_task_timeout)
    e->wft_timeout_ms = a->workflow_task_timeout->seconds * 1000 +
                        a->workflow_task_timeout->nanos / 1000000;
  iw.continued_from_execution_run_id = a->continued_execution_run_id;
  iw.continued_initiator = a->initiator;
  iw.continued_failure = a->continued_failure;
  iw.last_completion_result = a->last_completion_result;
  iw.first_execution_run_id = a->first_execution_run_id;
  iw.retry_policy = a->retry_policy;
  iw.attempt = a->attempt;
  iw.cron_schedule = a->cron_schedule;
  iw.workflow_execution_expiration_time = a->workflow_execution_expiration_time;
  iw.cron_schedule_to_schedule_interval = a->first_workflow_task_backoff;
  iw.memo = a->memo;
  iw.search_attributes = a->search_attributes;
  iw.start_time = ev->event_time;
  iw.root_workflow = a->root_workflow_execution;
  iw.priority = a->priority;
  iw.original_execution_run_id = a->original_execution_run_id;

  wf_job_msg job = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
  job.variant_case = JV(INITIALIZE_WORKFLOW);
  job.initialize_workflow = &iw;
  int rc = ar.oom ? TCORE_ERR_NOMEM : wf_push_job(e, WF_JOB_INIT, &job);
  wf_arena_free(&ar);
  return rc;
}

int wf_workflow_task_failed(wf_engine *e, const wf_event *ev) {
  if (ev->attributes_case != HA(WORKFLOW_TASK_FAILED_EVENT_ATTRIBUTES) ||
      !ev->workflow_task_failed_event_attributes)
    return TCORE_OK;
  const Temporal__Api__History__V1__WorkflowTaskFailedEventAttributes *a =
      ev->workflow_task_failed_event_attributes;
  if (a->cause !=
      TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW)
    return TCORE_OK;
  /* A reset: the run continues under a new run id, with its seed. */
  Coresdk__WorkflowActivation__UpdateRandomSeed us =
      CORESDK__WORKFLOW_ACTIVATION__UPDATE_RANDOM_SEED__INIT;
  us.randomness_seed = wf_randomness_seed(a->new_run_id);
  wf_job_msg job = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
  job.variant_case = JV(UPDATE_RANDOM_SEED);
  job.update_random_seed = &us;
  return wf_push_job(e, WF_JOB_SEED, &job);
}

int wf_is_terminal_lang_cmd(const wf_lang_cmd *c) {
  switch (c->variant_case) {
    case CV(COMPLETE_WORKFLOW_EXECUTION):
    case CV(FAIL_WORKFLOW_EXECUTION):
    case CV(CANCEL_WORKFLOW_EXECUTION):
    case CV(CONTINUE_AS_NEW_WORKFLOW_EXECUTION):
      return 1;
    default:
      return 0;
  }
}

int wf_workflow_terminal_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err) {
  (void)err;
  wf_api_cmd api = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  api.user_metadata = c->user_metadata;
  switch (c->variant_case) {
    case CV(COMPLETE_WORKFLOW_EXECUTION): {
      Temporal__Api__Command__V1__CompleteWorkflowExecutionCommandAttributes *at =
          wf_alloc(a, sizeof *at);
      Temporal__Api__Common__V1__Payloads *p = wf_alloc(a, sizeof *p);
      if (!at || !p) return TCORE_ERR_NOMEM;
      temporal__api__command__v1__complete_workflow_execution_command_attributes__init(at);
      temporal__api__common__v1__payloads__init(p);
      if (c->complete_workflow_execution && c->complete_workflow_execution->result) {
        p->n_payloads = 1;
        p->payloads = &c->complete_workflow_execution->result;
        at->result = p;
      }
      api.command_type = CT(COMPLETE_WORKFLOW_EXECUTION);
      api.attributes_case = CA(COMPLETE_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES);
      api.complete_workflow_execution_command_attributes = at;
      break;
    }
    case CV(FAIL_WORKFLOW_EXECUTION): {
      Temporal__Api__Command__V1__FailWorkflowExecutionCommandAttributes *at =
          wf_alloc(a, sizeof *at);
      if (!at) return TCORE_ERR_NOMEM;
      temporal__api__command__v1__fail_workflow_execution_command_attributes__init(at);
      if (c->fail_workflow_execution) at->failure = c->fail_workflow_execution->failure;
      api.command_type = CT(FAIL_WORKFLOW_EXECUTION);
      api.attributes_case = CA(FAIL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES);
      api.fail_workflow_execution_command_attributes = at;
      break;
    }
    case CV(CANCEL_WORKFLOW_EXECUTION): {
      Temporal__Api__Command__V1__CancelWorkflowExecutionCommandAttributes *at =
          wf_alloc(a, sizeof *at);
      if (!at) return TCORE_ERR_NOMEM;
      temporal__api__command__v1__cancel_workflow_execution_command_attributes__init(at);
      if (c->cancel_workflow_execution) at->details = c->cancel_workflow_execution->details;
      api.command_type = CT(CANCEL_WORKFLOW_EXECUTION);
      api.attributes_case = CA(CANCEL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES);
      api.cancel_workflow_execution_command_attributes = at;
      break;
    }
    case CV(CONTINUE_AS_NEW_WORKFLOW_EXECUTION): {
      const Coresdk__WorkflowCommands__ContinueAsNewWorkflowExecution *ca =
          c->continue_as_new_workflow_execution;
      Temporal__Api__Command__V1__ContinueAsNewWorkflowExecutionCommandAttributes *at =
          wf_alloc(a, sizeof *at);
      Temporal__Api__Common__V1__WorkflowType *wt = wf_alloc(a, sizeof *wt);
      Temporal__Api__Taskqueue__V1__TaskQueue *tq = wf_alloc(a, sizeof *tq);
      Temporal__Api__Common__V1__Payloads *in = wf_alloc(a, sizeof *in);
      Temporal__Api__Common__V1__Memo *memo = wf_alloc(a, sizeof *memo);
      Temporal__Api__Common__V1__Header *hdr = wf_alloc(a, sizeof *hdr);
      if (!at || !wt || !tq || !in || !memo || !hdr) return TCORE_ERR_NOMEM;
      temporal__api__command__v1__continue_as_new_workflow_execution_command_attributes__init(at);
      temporal__api__common__v1__workflow_type__init(wt);
      temporal__api__taskqueue__v1__task_queue__init(tq);
      temporal__api__common__v1__payloads__init(in);
      temporal__api__common__v1__memo__init(memo);
      temporal__api__common__v1__header__init(hdr);
      wt->name = ca && ca->workflow_type && *ca->workflow_type ? ca->workflow_type : e->workflow_type;
      tq->name = ca && ca->task_queue && *ca->task_queue ? ca->task_queue : e->task_queue;
      tq->kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
      at->workflow_type = wt;
      at->task_queue = tq;
      if (ca) {
        if (ca->n_arguments) {
          in->n_payloads = ca->n_arguments;
          in->payloads = ca->arguments;
          at->input = in;
        }
        at->workflow_run_timeout = ca->workflow_run_timeout;
        at->workflow_task_timeout = ca->workflow_task_timeout;
        at->backoff_start_interval = ca->backoff_start_interval;
        if (ca->n_memo) {
          memo->n_fields = ca->n_memo;
          memo->fields = (Temporal__Api__Common__V1__Memo__FieldsEntry **)wf_copy_map(
              a, &temporal__api__common__v1__memo__fields_entry__descriptor,
              (void *const *)ca->memo, ca->n_memo);
          at->memo = memo;
        }
        if (ca->n_headers) {
          hdr->n_fields = ca->n_headers;
          hdr->fields = (Temporal__Api__Common__V1__Header__FieldsEntry **)wf_copy_map(
              a, &temporal__api__common__v1__header__fields_entry__descriptor,
              (void *const *)ca->headers, ca->n_headers);
          at->header = hdr;
        }
        at->search_attributes = ca->search_attributes;
        at->retry_policy = ca->retry_policy;
        at->initial_versioning_behavior = ca->initial_versioning_behavior;
      }
      api.command_type = CT(CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
      api.attributes_case = CA(CONTINUE_AS_NEW_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES);
      api.continue_as_new_workflow_execution_command_attributes = at;
      break;
    }
    default:
      return TCORE_ERR_INVALID_ARGUMENT;
  }
  if (a->oom) return TCORE_ERR_NOMEM;
  int rc = wf_push_cmd(e, &api, -1, NULL, NULL);
  if (!rc) e->terminal_queued = 1;
  return rc;
}
