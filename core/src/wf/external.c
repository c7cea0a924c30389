/* external.c: operations on other workflows.
 *   signal_external_workflow_execution / cancel_signal_workflow <->
 *     SignalExternalWorkflowExecutionInitiated / ExternalWorkflowExecution-
 *     Signaled / SignalExternalWorkflowExecutionFailed; resolve_signal_external_workflow.
 *     Cancelling a signal only does something before its command went out
 *     (the command is dropped, the signal resolves as cancelled).
 *   request_cancel_external_workflow_execution <->
 *     RequestCancelExternalWorkflowExecutionInitiated / ExternalWorkflow-
 *     ExecutionCancelRequested / RequestCancelExternalWorkflowExecutionFailed;
 *     resolve_request_cancel_external_workflow. The same machine carries the
 *     engine's own requests to cancel a child (child.c), which resolve
 *     silently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wf_internal.h"

/* The commands' namespace (and children's inherit_build_id) fields are
 * deprecated in the API but still read by the server; sdk-core sets them. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

enum { X_NEW = 0, X_CREATED, X_INITIATED, X_DONE, X_CANCELLED, X_N_STATES };
enum { XI_CMD = 0, XI_CMD_CANCEL, XI_EV_INITIATED, XI_EV_DONE, XI_EV_FAILED, XI_N };
enum {
  XA_BAD = 0,
  XA_NONE,
  XA_ISSUE,                 /* the command was queued by the caller */
  XA_DROP_RESOLVE_CANCELLED, /* signal cancelled before sent */
  XA_RESOLVE_OK,
  XA_RESOLVE_FAILED
};

static const struct {
  unsigned char action, next;
} table[X_N_STATES][XI_N] = {
    [X_NEW] = {[XI_CMD] = {XA_ISSUE, X_CREATED}},
    [X_CREATED] = {[XI_CMD_CANCEL] = {XA_DROP_RESOLVE_CANCELLED, X_CANCELLED},
                   [XI_EV_INITIATED] = {XA_NONE, X_INITIATED}},
    [X_INITIATED] = {[XI_CMD_CANCEL] = {XA_NONE, X_INITIATED},
                     [XI_EV_DONE] = {XA_RESOLVE_OK, X_DONE},
                     [XI_EV_FAILED] = {XA_RESOLVE_FAILED, X_DONE}},
    [X_DONE] = {[XI_CMD_CANCEL] = {XA_NONE, X_DONE}},
    [X_CANCELLED] = {[XI_CMD_CANCEL] = {XA_NONE, X_CANCELLED}},
};

static const char *state_name[X_N_STATES] = {"new", "created", "initiated", "done", "cancelled"};

/* The failure of a signal or cancel request the server refused. */
static Temporal__Api__Failure__V1__Failure *refused(wf_arena *a, int is_signal, int cause) {
  const char *reason, *type;
  switch (cause) {
    case 1: /* EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND (both enums) */
      reason = is_signal ? "it was not found" : "not found";
      type = "ExternalWorkflowExecutionNotFound";
      break;
    case 2: /* NAMESPACE_NOT_FOUND (both enums) */
      reason = is_signal ? "it was not found" : "not found";
      type = "NamespaceNotFound";
      break;
    case 3:
      if (is_signal) {
        reason = "The per-workflow signal limit was exceeded";
        type = "SignalCountLimitExceeded";
        break;
      }
      /* fall through */
    default:
      reason = "unknown";
      type = "Unspecified";
      break;
  }
  char msg[160];
  snprintf(msg, sizeof msg, "Unable to %s external workflow because %s",
           is_signal ? "signal" : "cancel", reason);
  Temporal__Api__Failure__V1__Failure *f = wf_alloc(a, sizeof *f);
  Temporal__Api__Failure__V1__ApplicationFailureInfo *info = wf_alloc(a, sizeof *info);
  if (!f || !info) return NULL;
  temporal__api__failure__v1__failure__init(f);
  temporal__api__failure__v1__application_failure_info__init(info);
  f->message = wf_strdup(a, msg);
  info->type = (char *)type;
  f->failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO;
  f->application_failure_info = info;
  return f->message ? f : NULL;
}

static int resolve(wf_engine *e, wf_arena *a, const wf_machine *m, int action, int cause) {
  if (m->kind == WF_M_CANCEL_EXT_CORE) return TCORE_OK;
  Temporal__Api__Failure__V1__Failure *f = NULL;
  if (action == XA_RESOLVE_FAILED) {
    f = refused(a, m->kind == WF_M_SIGNAL_EXT, cause);
    if (!f) return TCORE_ERR_NOMEM;
  } else if (action == XA_DROP_RESOLVE_CANCELLED) {
    f = wf_alloc(a, sizeof *f);
    Temporal__Api__Failure__V1__CanceledFailureInfo *ci = wf_alloc(a, sizeof *ci);
    if (!f || !ci) return TCORE_ERR_NOMEM;
    temporal__api__failure__v1__failure__init(f);
    temporal__api__failure__v1__canceled_failure_info__init(ci);
    f->message = "Signal was cancelled before being sent";
    f->failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO;
    f->canceled_failure_info = ci;
    cause = 0;
  } else {
    cause = 0;
  }
  wf_job_msg job = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
  Coresdk__WorkflowActivation__ResolveSignalExternalWorkflow rs =
      CORESDK__WORKFLOW_ACTIVATION__RESOLVE_SIGNAL_EXTERNAL_WORKFLOW__INIT;
  Coresdk__WorkflowActivation__ResolveRequestCancelExternalWorkflow rc =
      CORESDK__WORKFLOW_ACTIVATION__RESOLVE_REQUEST_CANCEL_EXTERNAL_WORKFLOW__INIT;
  if (m->kind == WF_M_SIGNAL_EXT) {
    rs.seq = m->seq;
    rs.failure = f;
    rs.cause = cause;
    job.variant_case = JV(RESOLVE_SIGNAL_EXTERNAL_WORKFLOW);
    job.resolve_signal_external_workflow = &rs;
  } else {
    rc.seq = m->seq;
    rc.failure = f;
    rc.cause = cause;
    job.variant_case = JV(RESOLVE_REQUEST_CANCEL_EXTERNAL_WORKFLOW);
    job.resolve_request_cancel_external_workflow = &rc;
  }
  return wf_push_job(e, WF_JOB_OTHER, &job);
}

static int run(wf_engine *e, wf_arena *a, int mi, int input, const wf_event *ev, int cause,
               tcore_error *err) {
  wf_machine *m = &e->machines[mi];
  int action = table[m->state][input].action, next = table[m->state][input].next;
  const char *what = m->kind == WF_M_SIGNAL_EXT ? "Signal external" : "Cancel external";
  if (action == XA_BAD) {
    if (ev)
      return wf_nondeterminism(e, err, "%s workflow %u (state %s) does not handle event %lld (%s)",
                               what, m->seq, state_name[m->state], (long long)ev->event_id,
                               wf_event_type_name(ev->event_type));
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "%s workflow %u (state %s): not allowed",
                      what, m->seq, state_name[m->state]);
  }
  int rc = TCORE_OK;
  switch (action) {
    case XA_DROP_RESOLVE_CANCELLED:
      wf_drop_cmd_of(e, mi);
      /* fall through */
    case XA_RESOLVE_OK:
    case XA_RESOLVE_FAILED:
      rc = resolve(e, a, &e->machines[mi], action, cause);
      break;
    default:
      break;
  }
  if (!rc) e->machines[mi].state = next;
  return rc;
}

static int new_cancel_machine(wf_engine *e, wf_arena *a, int kind, uint32_t seq, const char *ns,
                              const char *workflow_id, const char *run_id, int child_only,
                              const char *reason, Temporal__Api__Sdk__V1__UserMetadata *md) {
  int mi = wf_new_machine(e, kind, seq);
  if (mi < 0) return mi;
  wf_machine *m = &e->machines[mi];
  m->id = wf_xstrdup(workflow_id);
  if (!m->id) return TCORE_ERR_NOMEM;
  Temporal__Api__Command__V1__RequestCancelExternalWorkflowExecutionCommandAttributes *at =
      wf_alloc(a, sizeof *at);
  if (!at) return TCORE_ERR_NOMEM;
  temporal__api__command__v1__request_cancel_external_workflow_execution_command_attributes__init(at);
  at->namespace_ = (char *)(ns ? ns : "");
  at->workflow_id = (char *)(workflow_id ? workflow_id : "");
  at->run_id = (char *)(run_id ? run_id : "");
  at->child_workflow_only = child_only;
  at->reason = (char *)(reason ? reason : "");
  wf_api_cmd api = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  api.command_type = CT(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION);
  api.user_metadata = md;
  api.attributes_case = CA(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES);
  api.request_cancel_external_workflow_execution_command_attributes = at;
  int rc = wf_push_cmd(e, &api, mi, at->workflow_id, NULL);
  if (!rc) e->machines[mi].state = X_CREATED;
  return rc;
}

int wf_cancel_child_external(wf_engine *e, wf_arena *a, const char *ns, const char *workflow_id,
                             const char *run_id, const char *reason,
                             Temporal__Api__Sdk__V1__UserMetadata *md) {
  return new_cancel_machine(e, a, WF_M_CANCEL_EXT_CORE, 0, ns, workflow_id, run_id, 1, reason, md);
}

static int issue_signal(wf_engine *e, wf_arena *a, const wf_lang_cmd *lc, tcore_error *err) {
  const Coresdk__WorkflowCommands__SignalExternalWorkflowExecution *s =
      lc->signal_external_workflow_execution;
  Temporal__Api__Command__V1__SignalExternalWorkflowExecutionCommandAttributes *at =
      wf_alloc(a, sizeof *at);
  Temporal__Api__Common__V1__WorkflowExecution *we = wf_alloc(a, sizeof *we);
  if (!at || !we) return TCORE_ERR_NOMEM;
  temporal__api__command__v1__signal_external_workflow_execution_command_attributes__init(at);
  temporal__api__common__v1__workflow_execution__init(we);
  switch (s->target_case) {
    case CORESDK__WORKFLOW_COMMANDS__SIGNAL_EXTERNAL_WORKFLOW_EXECUTION__TARGET_CHILD_WORKFLOW_ID:
      at->namespace_ = e->namespace_;
      we->workflow_id = s->child_workflow_id;
      we->run_id = "";
      at->child_workflow_only = 1;
      break;
    case CORESDK__WORKFLOW_COMMANDS__SIGNAL_EXTERNAL_WORKFLOW_EXECUTION__TARGET_WORKFLOW_EXECUTION:
      if (s->workflow_execution) {
        at->namespace_ = s->workflow_execution->namespace_;
        we->workflow_id = s->workflow_execution->workflow_id;
        we->run_id = s->workflow_execution->run_id;
        break;
      }
      /* fall through */
    default:
      return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                        "signal_external_workflow_execution %u has no target", s->seq);
  }
  at->execution = we;
  at->signal_name = s->signal_name;
  if (s->n_args) {
    Temporal__Api__Common__V1__Payloads *in = wf_alloc(a, sizeof *in);
    if (!in) return TCORE_ERR_NOMEM;
    temporal__api__common__v1__payloads__init(in);
    in->n_payloads = s->n_args;
    in->payloads = s->args;
    at->input = in;
  }
  if (s->n_headers) {
    Temporal__Api__Common__V1__Header *hdr = wf_alloc(a, sizeof *hdr);
    if (!hdr) return TCORE_ERR_NOMEM;
    temporal__api__common__v1__header__init(hdr);
    hdr->n_fields = s->n_headers;
    hdr->fields = (Temporal__Api__Common__V1__Header__FieldsEntry **)wf_copy_map(
        a, &temporal__api__common__v1__header__fields_entry__descriptor, (void *const *)s->headers,
        s->n_headers);
    at->header = hdr;
  }
  if (a->oom) return TCORE_ERR_NOMEM;
  int mi = wf_new_machine(e, WF_M_SIGNAL_EXT, s->seq);
  if (mi < 0) return mi;
  if (!(e->machines[mi].id = wf_xstrdup(we->workflow_id))) return TCORE_ERR_NOMEM;
  wf_api_cmd api = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  api.command_type = CT(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION);
  api.user_metadata = lc->user_metadata;
  api.attributes_case = CA(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES);
  api.signal_external_workflow_execution_command_attributes = at;
  int rc = wf_push_cmd(e, &api, mi, we->workflow_id, NULL);
  if (!rc) e->machines[mi].state = X_CREATED;
  return rc;
}

int wf_external_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err) {
  switch (c->variant_case) {
    case CV(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION):
      if (!c->signal_external_workflow_execution) return TCORE_ERR_INVALID_ARGUMENT;
      if (wf_find_machine(e, WF_M_SIGNAL_EXT, c->signal_external_workflow_execution->seq))
        return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                          "signal_external_workflow_execution: seq %u already used",
                          c->signal_external_workflow_execution->seq);
      return issue_signal(e, a, c, err);
    case CV(CANCEL_SIGNAL_WORKFLOW): {
      if (!c->cancel_signal_workflow) return TCORE_ERR_INVALID_ARGUMENT;
      wf_machine *m = wf_find_machine(e, WF_M_SIGNAL_EXT, c->cancel_signal_workflow->seq);
      if (!m)
        return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                          "cancel_signal_workflow: no signal with seq %u",
                          c->cancel_signal_workflow->seq);
      return run(e, a, (int)(m - e->machines), XI_CMD_CANCEL, NULL, 0, err);
    }
    default: {
      const Coresdk__WorkflowCommands__RequestCancelExternalWorkflowExecution *r =
          c->request_cancel_external_workflow_execution;
      if (!r || !r->workflow_execution)
        return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                          "request_cancel_external_workflow_execution has no workflow_execution");
      if (wf_find_machine(e, WF_M_CANCEL_EXT, r->seq))
        return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                          "request_cancel_external_workflow_execution: seq %u already used",
                          r->seq);
      char reason[400];
      snprintf(reason, sizeof reason,
               "Cancel requested by workflow with run id %s with reason: %s", e->run_id,
               r->reason ? r->reason : "");
      return new_cancel_machine(e, a, WF_M_CANCEL_EXT, r->seq, r->workflow_execution->namespace_,
                                r->workflow_execution->workflow_id, r->workflow_execution->run_id,
                                0, reason, c->user_metadata);
    }
  }
}

int wf_external_event(wf_engine *e, const wf_event *ev, wf_cmd *matched, tcore_error *err) {
  int input, cause = 0, kind = WF_M_CANCEL_EXT;
  int64_t iid = 0;
  switch (ev->event_type) {
    case ET(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED):
    case ET(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED):
      input = XI_EV_INITIATED;
      break;
    case ET(EXTERNAL_WORKFLOW_EXECUTION_SIGNALED):
      input = XI_EV_DONE;
      kind = WF_M_SIGNAL_EXT;
      if (ev->attributes_case == HA(EXTERNAL_WORKFLOW_EXECUTION_SIGNALED_EVENT_ATTRIBUTES) &&
          ev->external_workflow_execution_signaled_event_attributes)
        iid = ev->external_workflow_execution_signaled_event_attributes->initiated_event_id;
      break;
    case ET(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED):
      input = XI_EV_FAILED;
      kind = WF_M_SIGNAL_EXT;
      if (ev->attributes_case == HA(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_EVENT_ATTRIBUTES) &&
          ev->signal_external_workflow_execution_failed_event_attributes) {
        iid = ev->signal_external_workflow_execution_failed_event_attributes->initiated_event_id;
        cause = ev->signal_external_workflow_execution_failed_event_attributes->cause;
      }
      break;
    case ET(EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED):
      input = XI_EV_DONE;
      if (ev->attributes_case == HA(EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED_EVENT_ATTRIBUTES) &&
          ev->external_workflow_execution_cancel_requested_event_attributes)
        iid = ev->external_workflow_execution_cancel_requested_event_attributes->initiated_event_id;
      break;
    default: /* REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED */
      input = XI_EV_FAILED;
      if (ev->attributes_case ==
              HA(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_EVENT_ATTRIBUTES) &&
          ev->request_cancel_external_workflow_execution_failed_event_attributes) {
        iid = ev->request_cancel_external_workflow_execution_failed_event_attributes
                  ->initiated_event_id;
        cause = ev->request_cancel_external_workflow_execution_failed_event_attributes->cause;
      }
      break;
  }
  int mi;
  if (input == XI_EV_INITIATED) {
    mi = matched->machine;
    e->machines[mi].initial_event_id = ev->event_id;
  } else {
    mi = iid ? wf_find_machine_by_event(e, kind, iid) : -1;
    if (mi < 0 && kind == WF_M_CANCEL_EXT && iid)
      mi = wf_find_machine_by_event(e, WF_M_CANCEL_EXT_CORE, iid);
    if (mi < 0)
      return wf_nondeterminism(e, err,
                               "Event %lld (%s) is for the request initiated by event %lld, which "
                               "the workflow never made",
                               (long long)ev->event_id, wf_event_type_name(ev->event_type),
                               (long long)iid);
  }
  wf_arena a = {0};
  int rc = run(e, &a, mi, input, ev, cause, err);
  if (!rc && a.oom) rc = TCORE_ERR_NOMEM;
  wf_arena_free(&a);
  return rc;
}
