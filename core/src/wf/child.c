/* child.c: the child workflow machine. start_child_workflow_execution /
 * cancel_child_workflow_execution commands <-> StartChildWorkflowExecution-
 * Initiated / StartChildWorkflowExecutionFailed / ChildWorkflowExecution-
 * Started / Completed / Failed / TimedOut / Canceled / Terminated events;
 * resolve_child_workflow_execution_start and resolve_child_workflow_execution
 * jobs.
 *
 * Cancellation (coresdk ChildWorkflowCancellationType), as sdk-core does it:
 *   before the start command went out (any type): the command is dropped and
 *     the start resolves as cancelled ("...cancelled before scheduled").
 *   after it (initiated or started):
 *     ABANDON: nothing is sent; the child resolves as cancelled at once.
 *     TRY_CANCEL: RequestCancelExternalWorkflowExecution (child_workflow_only)
 *       is sent and the child resolves as cancelled at once.
 *     WAIT_CANCELLATION_COMPLETED, WAIT_CANCELLATION_REQUESTED: the request
 *       is sent; the child resolves when history says how it ended
 *       (sdk-core treats both alike at this level).
 *   After resolving at once, the child's later events are consumed; for the
 *   waiting types an ending after ChildWorkflowExecutionCanceled is
 *   non-deterministic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wf_internal.h"

/* The commands' namespace (and children's inherit_build_id) fields are
 * deprecated in the API but still read by the server; sdk-core sets them. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

enum {
  C_NEW = 0,
  C_CREATED,      /* start command queued */
  C_INITIATED,    /* StartChildWorkflowExecutionInitiated applied */
  C_STARTED,      /* ChildWorkflowExecutionStarted applied */
  C_START_FAILED, /* StartChildWorkflowExecutionFailed applied */
  C_DONE,         /* completed / failed / timed out / terminated */
  C_CANCELLED,    /* resolved as cancelled */
  C_N_STATES
};
enum {
  CI_CMD_START = 0,
  CI_CMD_CANCEL,
  CI_EV_INITIATED,
  CI_EV_START_FAILED,
  CI_EV_STARTED,
  CI_EV_COMPLETED,
  CI_EV_FAILED,
  CI_EV_TIMED_OUT,
  CI_EV_TERMINATED,
  CI_EV_CANCELED,
  CI_N
};
enum {
  CA_BAD = 0,
  CA_NONE,
  CA_ISSUE_START,
  CA_CANCEL_BEFORE_SENT, /* drop the start command, resolve the start as cancelled */
  CA_INITIATED,          /* id and type checks, remember the event id */
  CA_START_FAILED,       /* resolve the start as failed */
  CA_STARTED,            /* resolve the start with the run id */
  CA_RESOLVE,            /* resolve the child from its ending event */
  CA_CANCEL_AFTER_SENT,  /* per cancellation type; may stay in the state */
  CA_LATE_ENDING,        /* an ending after an immediate cancel resolution */
  CA_LATE_CANCELED       /* ChildWorkflowExecutionCanceled after resolving cancelled */
};

#define ENDINGS(a, n)                                                                  \
  [CI_EV_COMPLETED] = {a, n}, [CI_EV_FAILED] = {a, n}, [CI_EV_TIMED_OUT] = {a, n},     \
  [CI_EV_TERMINATED] = {a, n}

static const struct {
  unsigned char action, next;
} table[C_N_STATES][CI_N] = {
    [C_NEW] = {[CI_CMD_START] = {CA_ISSUE_START, C_CREATED}},
    [C_CREATED] = {[CI_CMD_CANCEL] = {CA_CANCEL_BEFORE_SENT, C_CANCELLED},
                   [CI_EV_INITIATED] = {CA_INITIATED, C_INITIATED}},
    [C_INITIATED] = {[CI_CMD_CANCEL] = {CA_CANCEL_AFTER_SENT, C_INITIATED},
                     [CI_EV_STARTED] = {CA_STARTED, C_STARTED},
                     [CI_EV_START_FAILED] = {CA_START_FAILED, C_START_FAILED}},
    [C_STARTED] = {[CI_CMD_CANCEL] = {CA_CANCEL_AFTER_SENT, C_STARTED},
                   ENDINGS(CA_RESOLVE, C_DONE),
                   [CI_EV_CANCELED] = {CA_RESOLVE, C_CANCELLED}},
    [C_START_FAILED] = {[CI_CMD_CANCEL] = {CA_NONE, C_START_FAILED}},
    [C_DONE] = {[CI_CMD_CANCEL] = {CA_NONE, C_DONE}},
    [C_CANCELLED] = {[CI_CMD_CANCEL] = {CA_NONE, C_CANCELLED},
                     [CI_EV_STARTED] = {CA_NONE, C_CANCELLED},
                     [CI_EV_START_FAILED] = {CA_NONE, C_CANCELLED},
                     ENDINGS(CA_LATE_ENDING, C_CANCELLED),
                     [CI_EV_CANCELED] = {CA_LATE_CANCELED, C_CANCELLED}},
};

static const char *state_name[C_N_STATES] = {"new",     "created",   "initiated", "started",
                                             "start failed", "done", "cancelled"};

static int resolves_at_once(const wf_machine *m) {
  return m->cancel_type == CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_CANCELLATION_TYPE__ABANDON ||
         m->cancel_type == CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_CANCELLATION_TYPE__TRY_CANCEL;
}

/* The ChildWorkflowExecutionFailureInfo of the child as it stands. */
static Temporal__Api__Failure__V1__Failure *child_failure(wf_arena *a, const wf_machine *m,
                                                         const char *message,
                                                         Temporal__Api__Failure__V1__Failure *cause,
                                                         int retry_state) {
  Temporal__Api__Failure__V1__Failure *f = wf_alloc(a, sizeof *f);
  Temporal__Api__Failure__V1__ChildWorkflowExecutionFailureInfo *info = wf_alloc(a, sizeof *info);
  Temporal__Api__Common__V1__WorkflowType *t = wf_alloc(a, sizeof *t);
  Temporal__Api__Common__V1__WorkflowExecution *we = wf_alloc(a, sizeof *we);
  if (!f || !info || !t || !we) return NULL;
  temporal__api__failure__v1__failure__init(f);
  temporal__api__failure__v1__child_workflow_execution_failure_info__init(info);
  temporal__api__common__v1__workflow_type__init(t);
  temporal__api__common__v1__workflow_execution__init(we);
  f->message = (char *)message;
  f->cause = cause;
  t->name = m->type;
  we->workflow_id = m->id;
  we->run_id = m->run_id ? m->run_id : "";
  info->namespace_ = m->ns ? m->ns : "";
  info->workflow_type = t;
  info->workflow_execution = we;
  info->initiated_event_id = m->initial_event_id;
  info->started_event_id = m->started_event_id;
  info->retry_state = retry_state;
  f->failure_info_case =
      TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CHILD_WORKFLOW_EXECUTION_FAILURE_INFO;
  f->child_workflow_execution_failure_info = info;
  return f;
}

/* A cause failure of one info kind with a message. */
static Temporal__Api__Failure__V1__Failure *info_failure(wf_arena *a, int info_case,
                                                        const char *message) {
  Temporal__Api__Failure__V1__Failure *f = wf_alloc(a, sizeof *f);
  if (!f) return NULL;
  temporal__api__failure__v1__failure__init(f);
  f->message = (char *)message;
  f->failure_info_case = info_case;
  switch (info_case) {
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO: {
      Temporal__Api__Failure__V1__CanceledFailureInfo *i = wf_alloc(a, sizeof *i);
      if (!i) return NULL;
      temporal__api__failure__v1__canceled_failure_info__init(i);
      f->canceled_failure_info = i;
      break;
    }
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TIMEOUT_FAILURE_INFO: {
      Temporal__Api__Failure__V1__TimeoutFailureInfo *i = wf_alloc(a, sizeof *i);
      if (!i) return NULL;
      temporal__api__failure__v1__timeout_failure_info__init(i);
      i->timeout_type = TEMPORAL__API__ENUMS__V1__TIMEOUT_TYPE__TIMEOUT_TYPE_START_TO_CLOSE;
      f->timeout_failure_info = i;
      break;
    }
    default: {
      Temporal__Api__Failure__V1__TerminatedFailureInfo *i = wf_alloc(a, sizeof *i);
      if (!i) return NULL;
      temporal__api__failure__v1__terminated_failure_info__init(i);
      f->terminated_failure_info = i;
      break;
    }
  }
  return f;
}

#define NON_RETRYABLE TEMPORAL__API__ENUMS__V1__RETRY_STATE__RETRY_STATE_NON_RETRYABLE_FAILURE

static int push_start_resolution(wf_engine *e, Coresdk__WorkflowActivation__ResolveChildWorkflowExecutionStart *r) {
  wf_job_msg job = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
  job.variant_case = JV(RESOLVE_CHILD_WORKFLOW_EXECUTION_START);
  job.resolve_child_workflow_execution_start = r;
  return wf_push_job(e, WF_JOB_OTHER, &job);
}

static int push_resolution(wf_engine *e, const wf_machine *m,
                           Coresdk__ChildWorkflow__ChildWorkflowResult *res) {
  Coresdk__WorkflowActivation__ResolveChildWorkflowExecution r =
      CORESDK__WORKFLOW_ACTIVATION__RESOLVE_CHILD_WORKFLOW_EXECUTION__INIT;
  r.seq = m->seq;
  r.result = res;
  wf_job_msg job = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
  job.variant_case = JV(RESOLVE_CHILD_WORKFLOW_EXECUTION);
  job.resolve_child_workflow_execution = &r;
  return wf_push_job(e, WF_JOB_OTHER, &job);
}

static int resolve_cancelled(wf_engine *e, wf_arena *a, const wf_machine *m) {
  Coresdk__ChildWorkflow__ChildWorkflowResult res = CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_RESULT__INIT;
  Coresdk__ChildWorkflow__Cancellation can = CORESDK__CHILD_WORKFLOW__CANCELLATION__INIT;
  can.failure = child_failure(
      a, m, "Child Workflow execution cancelled",
      info_failure(a, TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO, ""),
      NON_RETRYABLE);
  if (!can.failure || !can.failure->cause) return TCORE_ERR_NOMEM;
  res.status_case = CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_RESULT__STATUS_CANCELLED;
  res.cancelled = &can;
  return push_resolution(e, m, &res);
}

static int resolve_from_event(wf_engine *e, wf_arena *a, const wf_machine *m, const wf_event *ev) {
  Coresdk__ChildWorkflow__ChildWorkflowResult res = CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_RESULT__INIT;
  Coresdk__ChildWorkflow__Success ok = CORESDK__CHILD_WORKFLOW__SUCCESS__INIT;
  Coresdk__ChildWorkflow__Failure fail = CORESDK__CHILD_WORKFLOW__FAILURE__INIT;
  switch (ev->attributes_case) {
    case HA(CHILD_WORKFLOW_EXECUTION_COMPLETED_EVENT_ATTRIBUTES): {
      const Temporal__Api__History__V1__ChildWorkflowExecutionCompletedEventAttributes *at =
          ev->child_workflow_execution_completed_event_attributes;
      if (at && at->result && at->result->n_payloads) ok.result = at->result->payloads[0];
      res.status_case = CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_RESULT__STATUS_COMPLETED;
      res.completed = &ok;
      return push_resolution(e, m, &res);
    }
    case HA(CHILD_WORKFLOW_EXECUTION_FAILED_EVENT_ATTRIBUTES): {
      const Temporal__Api__History__V1__ChildWorkflowExecutionFailedEventAttributes *at =
          ev->child_workflow_execution_failed_event_attributes;
      fail.failure = child_failure(a, m, "Child Workflow execution failed", at->failure,
                                   at->retry_state);
      break;
    }
    case HA(CHILD_WORKFLOW_EXECUTION_TIMED_OUT_EVENT_ATTRIBUTES): {
      const Temporal__Api__History__V1__ChildWorkflowExecutionTimedOutEventAttributes *at =
          ev->child_workflow_execution_timed_out_event_attributes;
      fail.failure = child_failure(
          a, m, "Child Workflow execution timed out",
          info_failure(a, TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TIMEOUT_FAILURE_INFO,
                       "Timed out"),
          at->retry_state);
      if (fail.failure && !fail.failure->cause) return TCORE_ERR_NOMEM;
      break;
    }
    case HA(CHILD_WORKFLOW_EXECUTION_TERMINATED_EVENT_ATTRIBUTES):
      fail.failure = child_failure(
          a, m, "Child Workflow execution terminated",
          info_failure(a, TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TERMINATED_FAILURE_INFO,
                       "Terminated"),
          NON_RETRYABLE);
      if (fail.failure && !fail.failure->cause) return TCORE_ERR_NOMEM;
      break;
    case HA(CHILD_WORKFLOW_EXECUTION_CANCELED_EVENT_ATTRIBUTES):
      return resolve_cancelled(e, a, m);
    default:
      return TCORE_OK;
  }
  if (!fail.failure) return TCORE_ERR_NOMEM;
  res.status_case = CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_RESULT__STATUS_FAILED;
  res.failed = &fail;
  return push_resolution(e, m, &res);
}

static int resolve_start_cancelled(wf_engine *e, wf_arena *a, const wf_machine *m,
                                   const char *reason) {
  char msg[320];
  snprintf(msg, sizeof msg, "Child Workflow Execution cancelled before scheduled: %s",
           reason ? reason : "");
  Coresdk__WorkflowActivation__ResolveChildWorkflowExecutionStartCancelled c =
      CORESDK__WORKFLOW_ACTIVATION__RESOLVE_CHILD_WORKFLOW_EXECUTION_START_CANCELLED__INIT;
  c.failure = child_failure(
      a, m, msg,
      info_failure(a, TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO, ""),
      NON_RETRYABLE);
  if (!c.failure || !c.failure->cause) return TCORE_ERR_NOMEM;
  Coresdk__WorkflowActivation__ResolveChildWorkflowExecutionStart r =
      CORESDK__WORKFLOW_ACTIVATION__RESOLVE_CHILD_WORKFLOW_EXECUTION_START__INIT;
  r.seq = m->seq;
  r.status_case = CORESDK__WORKFLOW_ACTIVATION__RESOLVE_CHILD_WORKFLOW_EXECUTION_START__STATUS_CANCELLED;
  r.cancelled = &c;
  return push_start_resolution(e, &r);
}

static int resolve_start_failed(wf_engine *e, const wf_machine *m, const wf_event *ev) {
  const Temporal__Api__History__V1__StartChildWorkflowExecutionFailedEventAttributes *at =
      ev->attributes_case == HA(START_CHILD_WORKFLOW_EXECUTION_FAILED_EVENT_ATTRIBUTES)
          ? ev->start_child_workflow_execution_failed_event_attributes
          : NULL;
  Coresdk__WorkflowActivation__ResolveChildWorkflowExecutionStartFailure f =
      CORESDK__WORKFLOW_ACTIVATION__RESOLVE_CHILD_WORKFLOW_EXECUTION_START_FAILURE__INIT;
  f.workflow_id = m->id;
  f.workflow_type = m->type;
  switch (at ? at->cause : 0) {
    case TEMPORAL__API__ENUMS__V1__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS:
      f.cause = CORESDK__CHILD_WORKFLOW__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS;
      break;
    case TEMPORAL__API__ENUMS__V1__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND:
      f.cause = CORESDK__CHILD_WORKFLOW__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND;
      break;
    case TEMPORAL__API__ENUMS__V1__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_INVALID_VERSIONING_OVERRIDE:
      f.cause = CORESDK__CHILD_WORKFLOW__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_INVALID_VERSIONING_OVERRIDE;
      break;
    default:
      f.cause = CORESDK__CHILD_WORKFLOW__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED;
      break;
  }
  Coresdk__WorkflowActivation__ResolveChildWorkflowExecutionStart r =
      CORESDK__WORKFLOW_ACTIVATION__RESOLVE_CHILD_WORKFLOW_EXECUTION_START__INIT;
  r.seq = m->seq;
  r.status_case = CORESDK__WORKFLOW_ACTIVATION__RESOLVE_CHILD_WORKFLOW_EXECUTION_START__STATUS_FAILED;
  r.failed = &f;
  return push_start_resolution(e, &r);
}

static int resolve_started(wf_engine *e, const wf_machine *m) {
  Coresdk__WorkflowActivation__ResolveChildWorkflowExecutionStartSuccess s =
      CORESDK__WORKFLOW_ACTIVATION__RESOLVE_CHILD_WORKFLOW_EXECUTION_START_SUCCESS__INIT;
  s.run_id = m->run_id ? m->run_id : "";
  Coresdk__WorkflowActivation__ResolveChildWorkflowExecutionStart r =
      CORESDK__WORKFLOW_ACTIVATION__RESOLVE_CHILD_WORKFLOW_EXECUTION_START__INIT;
  r.seq = m->seq;
  r.status_case = CORESDK__WORKFLOW_ACTIVATION__RESOLVE_CHILD_WORKFLOW_EXECUTION_START__STATUS_SUCCEEDED;
  r.succeeded = &s;
  return push_start_resolution(e, &r);
}

static int issue_start(wf_engine *e, wf_arena *a, int mi, const wf_lang_cmd *lc) {
  const Coresdk__WorkflowCommands__StartChildWorkflowExecution *s = lc->start_child_workflow_execution;
  wf_machine *m = &e->machines[mi];
  Temporal__Api__Command__V1__StartChildWorkflowExecutionCommandAttributes *at =
      wf_alloc(a, sizeof *at);
  Temporal__Api__Common__V1__WorkflowType *t = wf_alloc(a, sizeof *t);
  Temporal__Api__Taskqueue__V1__TaskQueue *tq = wf_alloc(a, sizeof *tq);
  Temporal__Api__Common__V1__Header *hdr = wf_alloc(a, sizeof *hdr);
  Temporal__Api__Common__V1__Memo *memo = wf_alloc(a, sizeof *memo);
  if (!at || !t || !tq || !hdr || !memo) return TCORE_ERR_NOMEM;
  temporal__api__command__v1__start_child_workflow_execution_command_attributes__init(at);
  temporal__api__common__v1__workflow_type__init(t);
  temporal__api__taskqueue__v1__task_queue__init(tq);
  temporal__api__common__v1__header__init(hdr);
  temporal__api__common__v1__memo__init(memo);
  at->namespace_ = m->ns;
  at->workflow_id = m->id;
  t->name = m->type;
  at->workflow_type = t;
  tq->name = s->task_queue ? s->task_queue : "";
  tq->kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
  at->task_queue = tq;
  if (s->n_input) {
    Temporal__Api__Common__V1__Payloads *in = wf_alloc(a, sizeof *in);
    if (!in) return TCORE_ERR_NOMEM;
    temporal__api__common__v1__payloads__init(in);
    in->n_payloads = s->n_input;
    in->payloads = s->input;
    at->input = in;
  }
  at->workflow_execution_timeout = s->workflow_execution_timeout;
  at->workflow_run_timeout = s->workflow_run_timeout;
  at->workflow_task_timeout = s->workflow_task_timeout;
  at->parent_close_policy = (Temporal__Api__Enums__V1__ParentClosePolicy)s->parent_close_policy;
  at->workflow_id_reuse_policy = s->workflow_id_reuse_policy;
  at->retry_policy = s->retry_policy;
  at->cron_schedule = s->cron_schedule;
  /* Header and memo always present, possibly empty (as sdk-core sends). */
  hdr->n_fields = s->n_headers;
  hdr->fields = (Temporal__Api__Common__V1__Header__FieldsEntry **)wf_copy_map(
      a, &temporal__api__common__v1__header__fields_entry__descriptor, (void *const *)s->headers,
      s->n_headers);
  at->header = hdr;
  memo->n_fields = s->n_memo;
  memo->fields = (Temporal__Api__Common__V1__Memo__FieldsEntry **)wf_copy_map(
      a, &temporal__api__common__v1__memo__fields_entry__descriptor, (void *const *)s->memo,
      s->n_memo);
  at->memo = memo;
  at->search_attributes = s->search_attributes;
  /* Build-id inheritance: asked for, or by default when the child runs on
   * this run's task queue. */
  switch (s->versioning_intent) {
    case CORESDK__COMMON__VERSIONING_INTENT__COMPATIBLE:
      at->inherit_build_id = 1;
      break;
    case CORESDK__COMMON__VERSIONING_INTENT__DEFAULT:
      at->inherit_build_id = 0;
      break;
    default:
      at->inherit_build_id = !*tq->name || !strcmp(tq->name, e->task_queue);
      break;
  }
  at->priority = s->priority;
  at->versioning_override = s->versioning_override;
  if (a->oom) return TCORE_ERR_NOMEM;
  wf_api_cmd api = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  api.command_type = CT(START_CHILD_WORKFLOW_EXECUTION);
  api.user_metadata = lc->user_metadata;
  api.attributes_case = CA(START_CHILD_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES);
  api.start_child_workflow_execution_command_attributes = at;
  return wf_push_cmd(e, &api, mi, m->id, m->type);
}

static int run(wf_engine *e, wf_arena *a, int mi, int input, const wf_event *ev,
               const wf_lang_cmd *lc, tcore_error *err) {
  wf_machine *m = &e->machines[mi];
  int action = table[m->state][input].action, next = table[m->state][input].next;
  if (action == CA_BAD) {
    if (ev)
      return wf_nondeterminism(e, err,
                               "Child workflow %u ('%s', state %s) does not handle event %lld (%s)",
                               m->seq, m->id, state_name[m->state], (long long)ev->event_id,
                               wf_event_type_name(ev->event_type));
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                      "child workflow %u (state %s): command not allowed", m->seq,
                      state_name[m->state]);
  }
  int rc = TCORE_OK;
  switch (action) {
    case CA_ISSUE_START:
      rc = issue_start(e, a, mi, lc);
      break;
    case CA_CANCEL_BEFORE_SENT:
      wf_drop_cmd_of(e, mi);
      m = &e->machines[mi];
      rc = resolve_start_cancelled(e, a, m, lc->cancel_child_workflow_execution->reason);
      break;
    case CA_INITIATED: {
      const Temporal__Api__History__V1__StartChildWorkflowExecutionInitiatedEventAttributes *at =
          ev->attributes_case == HA(START_CHILD_WORKFLOW_EXECUTION_INITIATED_EVENT_ATTRIBUTES)
              ? ev->start_child_workflow_execution_initiated_event_attributes
              : NULL;
      const char *hid = at && at->workflow_id ? at->workflow_id : "";
      const char *htype =
          at && at->workflow_type && at->workflow_type->name ? at->workflow_type->name : "";
      if (wf_try_flag(e, WF_FLAG_ID_AND_TYPE_CHECKS)) {
        if (strcmp(hid, m->id))
          return wf_nondeterminism(e, err,
                                   "Child workflow id of scheduled event %lld '%s' does not match "
                                   "child workflow id of command '%s'",
                                   (long long)ev->event_id, hid, m->id);
        if (strcmp(htype, m->type))
          return wf_nondeterminism(e, err,
                                   "Child workflow type of scheduled event %lld '%s' does not "
                                   "match child workflow type of command '%s'",
                                   (long long)ev->event_id, htype, m->type);
      }
      m->initial_event_id = ev->event_id;
      break;
    }
    case CA_START_FAILED:
      rc = resolve_start_failed(e, m, ev);
      break;
    case CA_STARTED: {
      const Temporal__Api__History__V1__ChildWorkflowExecutionStartedEventAttributes *at =
          ev->attributes_case == HA(CHILD_WORKFLOW_EXECUTION_STARTED_EVENT_ATTRIBUTES)
              ? ev->child_workflow_execution_started_event_attributes
              : NULL;
      char *rid = wf_xstrdup(at && at->workflow_execution ? at->workflow_execution->run_id : "");
      if (!rid) return TCORE_ERR_NOMEM;
      free(m->run_id);
      m->run_id = rid;
      m->started_event_id = ev->event_id;
      rc = resolve_started(e, m);
      break;
    }
    case CA_RESOLVE:
      if (input == CI_EV_CANCELED) m->seen = 1;
      rc = resolve_from_event(e, a, m, ev);
      break;
    case CA_CANCEL_AFTER_SENT: {
      const char *reason = lc->cancel_child_workflow_execution->reason;
      int at_once = resolves_at_once(m);
      if (m->cancel_type != CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_CANCELLATION_TYPE__ABANDON) {
        char *ns = m->ns, *id = m->id, *rid = m->run_id;
        rc = wf_cancel_child_external(e, a, ns, id, rid ? rid : "", reason, lc->user_metadata);
        m = &e->machines[mi];
      }
      if (!rc && at_once) {
        rc = resolve_cancelled(e, a, m);
        next = C_CANCELLED;
      }
      break;
    }
    case CA_LATE_ENDING:
      if (!resolves_at_once(m))
        return wf_nondeterminism(e, err,
                                 "Child workflows which don't resolve immediately on cancellation "
                                 "cannot complete after being cancelled (event %lld, %s)",
                                 (long long)ev->event_id, wf_event_type_name(ev->event_type));
      break;
    case CA_LATE_CANCELED:
      if (m->seen)
        return wf_nondeterminism(e, err,
                                 "Child workflow %u already saw ChildWorkflowExecutionCanceled; "
                                 "event %lld is another",
                                 m->seq, (long long)ev->event_id);
      m->seen = 1;
      break;
    default:
      break;
  }
  if (!rc) e->machines[mi].state = next;
  return rc;
}

int wf_child_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err) {
  if (c->variant_case == CV(START_CHILD_WORKFLOW_EXECUTION)) {
    const Coresdk__WorkflowCommands__StartChildWorkflowExecution *s = c->start_child_workflow_execution;
    if (!s) return TCORE_ERR_INVALID_ARGUMENT;
    if (wf_find_machine(e, WF_M_CHILD, s->seq))
      return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                        "start_child_workflow_execution: seq %u already used", s->seq);
    int mi = wf_new_machine(e, WF_M_CHILD, s->seq);
    if (mi < 0) return mi;
    wf_machine *m = &e->machines[mi];
    m->id = wf_xstrdup(s->workflow_id);
    m->type = wf_xstrdup(s->workflow_type);
    m->ns = wf_xstrdup(s->namespace_ && *s->namespace_ ? s->namespace_ : e->namespace_);
    m->cancel_type = s->cancellation_type;
    if (!m->id || !m->type || !m->ns) return TCORE_ERR_NOMEM;
    return run(e, a, mi, CI_CMD_START, NULL, c, err);
  }
  if (!c->cancel_child_workflow_execution) return TCORE_ERR_INVALID_ARGUMENT;
  uint32_t seq = c->cancel_child_workflow_execution->child_workflow_seq;
  wf_machine *m = wf_find_machine(e, WF_M_CHILD, seq);
  if (!m)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                      "cancel_child_workflow_execution: no child workflow with seq %u", seq);
  return run(e, a, (int)(m - e->machines), CI_CMD_CANCEL, NULL, c, err);
}

static int64_t initiated_id_of(const wf_event *ev) {
#define CASE(X, f)                                                                  \
  case HA(X):                                                                       \
    return ev->f ? ev->f->initiated_event_id : 0;
  switch (ev->attributes_case) {
    CASE(START_CHILD_WORKFLOW_EXECUTION_FAILED_EVENT_ATTRIBUTES,
         start_child_workflow_execution_failed_event_attributes)
    CASE(CHILD_WORKFLOW_EXECUTION_STARTED_EVENT_ATTRIBUTES,
         child_workflow_execution_started_event_attributes)
    CASE(CHILD_WORKFLOW_EXECUTION_COMPLETED_EVENT_ATTRIBUTES,
         child_workflow_execution_completed_event_attributes)
    CASE(CHILD_WORKFLOW_EXECUTION_FAILED_EVENT_ATTRIBUTES,
         child_workflow_execution_failed_event_attributes)
    CASE(CHILD_WORKFLOW_EXECUTION_TIMED_OUT_EVENT_ATTRIBUTES,
         child_workflow_execution_timed_out_event_attributes)
    CASE(CHILD_WORKFLOW_EXECUTION_CANCELED_EVENT_ATTRIBUTES,
         child_workflow_execution_canceled_event_attributes)
    CASE(CHILD_WORKFLOW_EXECUTION_TERMINATED_EVENT_ATTRIBUTES,
         child_workflow_execution_terminated_event_attributes)
    default:
      return 0;
  }
#undef CASE
}

int wf_child_event(wf_engine *e, const wf_event *ev, wf_cmd *matched, tcore_error *err) {
  int input;
  switch (ev->event_type) {
    case ET(START_CHILD_WORKFLOW_EXECUTION_INITIATED): input = CI_EV_INITIATED; break;
    case ET(START_CHILD_WORKFLOW_EXECUTION_FAILED): input = CI_EV_START_FAILED; break;
    case ET(CHILD_WORKFLOW_EXECUTION_STARTED): input = CI_EV_STARTED; break;
    case ET(CHILD_WORKFLOW_EXECUTION_COMPLETED): input = CI_EV_COMPLETED; break;
    case ET(CHILD_WORKFLOW_EXECUTION_FAILED): input = CI_EV_FAILED; break;
    case ET(CHILD_WORKFLOW_EXECUTION_TIMED_OUT): input = CI_EV_TIMED_OUT; break;
    case ET(CHILD_WORKFLOW_EXECUTION_TERMINATED): input = CI_EV_TERMINATED; break;
    default: input = CI_EV_CANCELED; break;
  }
  int mi;
  if (input == CI_EV_INITIATED) {
    mi = matched->machine;
  } else {
    int64_t iid = initiated_id_of(ev);
    mi = iid ? wf_find_machine_by_event(e, WF_M_CHILD, iid) : -1;
    if (mi < 0)
      return wf_nondeterminism(e, err,
                               "Event %lld (%s) is for the child workflow initiated by event %lld, "
                               "which the workflow never started",
                               (long long)ev->event_id, wf_event_type_name(ev->event_type),
                               (long long)iid);
  }
  wf_arena a = {0};
  int rc = run(e, &a, mi, input, ev, NULL, err);
  if (!rc && a.oom) rc = TCORE_ERR_NOMEM;
  wf_arena_free(&a);
  return rc;
}
