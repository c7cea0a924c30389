/* signal.c: what the outside world does to the run, and the run's
 * properties:
 *   WorkflowExecutionSignaled       -> signal_workflow job (ordered before
 *                                      other jobs but after init/patches/seed)
 *   WorkflowExecutionCancelRequested -> cancel_workflow job
 *   upsert_workflow_search_attributes <-> UpsertWorkflowSearchAttributes event
 *                                      (TemporalChangeVersion is patch.c's)
 *   modify_workflow_properties (memo) <-> WorkflowPropertiesModified event
 * No states: each command is queued and its event matched by the dispatcher
 * (by type, in order), each event gives its job.
 */
#include "wf_internal.h"

int wf_signal_event(wf_engine *e, const wf_event *ev) {
  const Temporal__Api__History__V1__WorkflowExecutionSignaledEventAttributes *a =
      ev->attributes_case == HA(WORKFLOW_EXECUTION_SIGNALED_EVENT_ATTRIBUTES)
          ? ev->workflow_execution_signaled_event_attributes
          : NULL;
  if (!a) return TCORE_OK;
  wf_arena ar = {0};
  Coresdk__WorkflowActivation__SignalWorkflow sw = CORESDK__WORKFLOW_ACTIVATION__SIGNAL_WORKFLOW__INIT;
  sw.signal_name = a->signal_name;
  if (a->input) {
    sw.n_input = a->input->n_payloads;
    sw.input = a->input->payloads;
  }
  sw.identity = a->identity;
  if (a->header && a->header->n_fields) {
    sw.n_headers = a->header->n_fields;
    sw.headers = (Coresdk__WorkflowActivation__SignalWorkflow__HeadersEntry **)wf_copy_map(
        &ar, &coresdk__workflow_activation__signal_workflow__headers_entry__descriptor,
        (void *const *)a->header->fields, a->header->n_fields);
  }
  sw.originating_event_id = ev->event_id;
  wf_job_msg job = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
  job.variant_case = JV(SIGNAL_WORKFLOW);
  job.signal_workflow = &sw;
  int rc = ar.oom ? TCORE_ERR_NOMEM : wf_push_job(e, WF_JOB_SIGNAL, &job);
  wf_arena_free(&ar);
  return rc;
}

int wf_cancel_requested_event(wf_engine *e, const wf_event *ev) {
  const Temporal__Api__History__V1__WorkflowExecutionCancelRequestedEventAttributes *a =
      ev->attributes_case == HA(WORKFLOW_EXECUTION_CANCEL_REQUESTED_EVENT_ATTRIBUTES)
          ? ev->workflow_execution_cancel_requested_event_attributes
          : NULL;
  Coresdk__WorkflowActivation__CancelWorkflow cw = CORESDK__WORKFLOW_ACTIVATION__CANCEL_WORKFLOW__INIT;
  if (a && a->cause) cw.reason = a->cause;
  wf_job_msg job = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
  job.variant_case = JV(CANCEL_WORKFLOW);
  job.cancel_workflow = &cw;
  return wf_push_job(e, WF_JOB_OTHER, &job);
}

int wf_properties_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err) {
  wf_api_cmd api = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  api.user_metadata = c->user_metadata;
  if (c->variant_case == CV(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)) {
    Temporal__Api__Command__V1__UpsertWorkflowSearchAttributesCommandAttributes *at =
        wf_alloc(a, sizeof *at);
    if (!at) return TCORE_ERR_NOMEM;
    temporal__api__command__v1__upsert_workflow_search_attributes_command_attributes__init(at);
    if (c->upsert_workflow_search_attributes)
      at->search_attributes = c->upsert_workflow_search_attributes->search_attributes;
    /* TemporalChangeVersion belongs to patches (flag 2): a user upsert of it
     * is sent empty, as sdk-core does. */
    if (wf_try_flag(e, WF_FLAG_UPSERT_SA_ON_PATCH) && wf_is_version_upsert(at->search_attributes)) {
      at->search_attributes = wf_alloc(a, sizeof *at->search_attributes);
      if (!at->search_attributes) return TCORE_ERR_NOMEM;
      temporal__api__common__v1__search_attributes__init(at->search_attributes);
    }
    api.command_type = CT(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
    api.attributes_case = CA(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES_COMMAND_ATTRIBUTES);
    api.upsert_workflow_search_attributes_command_attributes = at;
  } else {
    Temporal__Api__Command__V1__ModifyWorkflowPropertiesCommandAttributes *at =
        wf_alloc(a, sizeof *at);
    if (!at) return TCORE_ERR_NOMEM;
    temporal__api__command__v1__modify_workflow_properties_command_attributes__init(at);
    if (c->modify_workflow_properties)
      at->upserted_memo = c->modify_workflow_properties->upserted_memo;
    api.command_type = CT(MODIFY_WORKFLOW_PROPERTIES);
    api.attributes_case = CA(MODIFY_WORKFLOW_PROPERTIES_COMMAND_ATTRIBUTES);
    api.modify_workflow_properties_command_attributes = at;
  }
  (void)err;
  return wf_push_cmd(e, &api, -1, NULL, NULL);
}
