/* query.c: queries of the current task. add_queries -> query_workflow jobs
 * delivered in an activation of their own after the task's work;
 * respond_to_query commands -> WorkflowQueryResult entries of the task
 * response (query_results), or for a legacy query task the
 * RespondQueryTaskCompleted body. The legacy query's id is "legacy_query"
 * (sdk-core's LEGACY_QUERY_ID).
 * States per query: pending -> delivered -> answered; answering a query
 * that is not pending is a lang error.
 */
#include <stdlib.h>
#include <string.h>

#include "wf_internal.h"

#define LEGACY_QUERY_ID "legacy_query"

void wf_queries_clear(wf_engine *e) {
  for (size_t i = 0; i < e->n_queries; i++) {
    free(e->queries[i].id);
    free(e->queries[i].job.data);
  }
  free(e->queries);
  e->queries = NULL;
  e->n_queries = 0;
  for (size_t i = 0; i < e->n_qresults; i++) {
    free(e->qresults[i].id);
    free(e->qresults[i].result.data);
  }
  free(e->qresults);
  e->qresults = NULL;
  e->n_qresults = 0;
  e->queries_delivered = 0;
  e->legacy_query = 0;
}

static int add_one(wf_engine *e, const char *id, const Temporal__Api__Query__V1__WorkflowQuery *q) {
  wf_arena ar = {0};
  Coresdk__WorkflowActivation__QueryWorkflow qw = CORESDK__WORKFLOW_ACTIVATION__QUERY_WORKFLOW__INIT;
  qw.query_id = (char *)id;
  qw.query_type = q->query_type;
  if (q->query_args) {
    qw.n_arguments = q->query_args->n_payloads;
    qw.arguments = q->query_args->payloads;
  }
  if (q->header && q->header->n_fields) {
    qw.n_headers = q->header->n_fields;
    qw.headers = (Coresdk__WorkflowActivation__QueryWorkflow__HeadersEntry **)wf_copy_map(
        &ar, &coresdk__workflow_activation__query_workflow__headers_entry__descriptor,
        (void *const *)q->header->fields, q->header->n_fields);
  }
  wf_job_msg job = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
  job.variant_case = JV(QUERY_WORKFLOW);
  job.query_workflow = &qw;
  void *p = realloc(e->queries, (e->n_queries + 1) * sizeof *e->queries);
  if (!p || ar.oom) {
    if (p) e->queries = p;
    wf_arena_free(&ar);
    return TCORE_ERR_NOMEM;
  }
  e->queries = p;
  wf_query *w = &e->queries[e->n_queries];
  memset(w, 0, sizeof *w);
  w->id = wf_xstrdup(id);
  int rc = w->id ? wf_pack(&job.base, &w->job) : TCORE_ERR_NOMEM;
  wf_arena_free(&ar);
  if (rc) {
    free(w->id);
    return rc;
  }
  e->n_queries++;
  return TCORE_OK;
}

int wf_queries_add(wf_engine *e, const uint8_t *buf, size_t len, tcore_error *err) {
  Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse *r =
      temporal__api__workflowservice__v1__poll_workflow_task_queue_response__unpack(NULL, len, buf);
  if (!r) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "poll response bytes do not parse");
  int rc = TCORE_OK;
  if (r->query) {
    if (e->n_queries || r->n_queries)
      rc = wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                      "a legacy query comes alone (no other queries in the task)");
    else if (!(rc = add_one(e, LEGACY_QUERY_ID, r->query)))
      e->legacy_query = 1;
  }
  for (size_t i = 0; !rc && i < r->n_queries; i++) {
    if (e->legacy_query) {
      rc = wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "a legacy query comes alone");
      break;
    }
    const char *id = r->queries[i]->key ? r->queries[i]->key : "";
    for (size_t j = 0; j < e->n_queries; j++)
      if (!strcmp(e->queries[j].id, id))
        rc = wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "query id '%s' given twice", id);
    if (!rc && r->queries[i]->value) rc = add_one(e, id, r->queries[i]->value);
  }
  if (!rc && r->n_messages) rc = wf_update_messages_add(e, r->n_messages, r->messages, err);
  if (rc == TCORE_ERR_NOMEM) wf_set_err(err, rc, "out of memory");
  temporal__api__workflowservice__v1__poll_workflow_task_queue_response__free_unpacked(r, NULL);
  return rc;
}

int wf_query_result_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err) {
  const Coresdk__WorkflowCommands__QueryResult *q = c->respond_to_query;
  if (!q) return TCORE_ERR_INVALID_ARGUMENT;
  const char *id = q->query_id ? q->query_id : "";
  int known = 0;
  for (size_t i = 0; i < e->n_queries; i++)
    if (!strcmp(e->queries[i].id, id)) known = 1;
  for (size_t i = 0; i < e->n_qresults; i++)
    if (!strcmp(e->qresults[i].id, id)) known = 0;
  if (!known || !e->queries_delivered)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                      "respond_to_query for query '%s', which is not pending", id);
  Temporal__Api__Query__V1__WorkflowQueryResult r = TEMPORAL__API__QUERY__V1__WORKFLOW_QUERY_RESULT__INIT;
  Temporal__Api__Common__V1__Payloads *p = wf_alloc(a, sizeof *p);
  if (!p) return TCORE_ERR_NOMEM;
  temporal__api__common__v1__payloads__init(p);
  if (q->variant_case == CORESDK__WORKFLOW_COMMANDS__QUERY_RESULT__VARIANT_FAILED) {
    r.result_type = TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_FAILED;
    r.failure = q->failed;
    r.error_message = q->failed && q->failed->message ? q->failed->message : "";
  } else {
    r.result_type = TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_ANSWERED;
    if (q->variant_case == CORESDK__WORKFLOW_COMMANDS__QUERY_RESULT__VARIANT_SUCCEEDED &&
        q->succeeded && q->succeeded->response) {
      p->n_payloads = 1;
      p->payloads = &q->succeeded->response;
    }
    r.answer = p;
  }
  void *np = realloc(e->qresults, (e->n_qresults + 1) * sizeof *e->qresults);
  if (!np) return TCORE_ERR_NOMEM;
  e->qresults = np;
  wf_query_result *w = &e->qresults[e->n_qresults];
  memset(w, 0, sizeof *w);
  if (!(w->id = wf_xstrdup(id))) return TCORE_ERR_NOMEM;
  int rc = wf_pack(&r.base, &w->result);
  if (rc) {
    free(w->id);
    return rc;
  }
  e->n_qresults++;
  return TCORE_OK;
}

int wf_queries_fail(wf_engine *e, Temporal__Api__Failure__V1__Failure *failure) {
  for (size_t i = 0; i < e->n_queries; i++) {
    const char *id = e->queries[i].id;
    int answered = 0;
    for (size_t j = 0; j < e->n_qresults; j++)
      if (!strcmp(e->qresults[j].id, id)) answered = 1;
    if (answered) continue;
    Temporal__Api__Query__V1__WorkflowQueryResult r =
        TEMPORAL__API__QUERY__V1__WORKFLOW_QUERY_RESULT__INIT;
    r.result_type = TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_FAILED;
    r.failure = failure;
    r.error_message = failure && failure->message ? failure->message : "query failed";
    void *np = realloc(e->qresults, (e->n_qresults + 1) * sizeof *e->qresults);
    if (!np) return TCORE_ERR_NOMEM;
    e->qresults = np;
    wf_query_result *w = &e->qresults[e->n_qresults];
    memset(w, 0, sizeof *w);
    if (!(w->id = wf_xstrdup(id))) return TCORE_ERR_NOMEM;
    if (wf_pack(&r.base, &w->result)) {
      free(w->id);
      return TCORE_ERR_NOMEM;
    }
    e->n_qresults++;
  }
  return TCORE_OK;
}

int wf_take_query_response(wf_engine *e, uint8_t **out, size_t *out_len, tcore_error *err) {
  Temporal__Api__Workflowservice__V1__RespondQueryTaskCompletedRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_QUERY_TASK_COMPLETED_REQUEST__INIT;
  Temporal__Api__Query__V1__WorkflowQueryResult *r = NULL;
  if (e->n_qresults) {
    r = temporal__api__query__v1__workflow_query_result__unpack(NULL, e->qresults[0].result.len,
                                                              e->qresults[0].result.data);
    if (!r) return wf_set_err(err, TCORE_ERR_NOMEM, "out of memory");
    req.completed_type = r->result_type;
    req.query_result = r->answer;
    req.error_message = r->error_message;
    req.failure = r->failure;
  } else {
    req.completed_type = TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_FAILED;
    req.error_message = "the workflow did not answer the query";
  }
  wf_blob b = {0};
  int rc = wf_pack(&req.base, &b);
  if (r) temporal__api__query__v1__workflow_query_result__free_unpacked(r, NULL);
  if (rc) return wf_set_err(err, rc, "out of memory");
  *out = b.data;
  *out_len = b.len;
  return TCORE_OK;
}
