/* fuzz_wf_engine: the workflow engine (core/src/wf/, wf_engine.h) fed
 * arbitrary history bytes, queries and completions.
 *
 * Two halves per input:
 *   raw: the input is a script of calls on one engine, each an opcode byte
 *     and a piece (2-byte big-endian length, then the bytes): add_history,
 *     add_queries, next_activation, complete, take_response,
 *     take_query_response, failure (or, with an odd first byte,
 *     discard_task), take_local_activity,
 *     resolve_local_activity (seq, attempt, backoff from the piece's first
 *     bytes, the rest as the outcome). Every call must return one of its
 *     documented codes, and every output must parse as its message type.
 *   structured: a well-formed history of consecutive events is built from
 *     the input's bytes (starts, tasks, timers, activities, child workflows,
 *     signals to and cancellations of other workflows, signals, cancel
 *     requests, properties, the run's end, failed task attempts), added in
 *     pages, and a language side answers each activation with the commands
 *     the history records after the task (what a deterministic workflow
 *     does), perturbed by the input (dropped, extra or changed commands).
 *     Same checks; the protobuf-c parser is not instrumented, so this is
 *     what reaches the machines' deeper states.
 */
#include "fuzz.h"
#include "temporal/api/history/v1/message.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "temporal/sdk/core/workflow_activation/workflow_activation.pb-c.h"
#include "temporal/sdk/core/workflow_commands/workflow_commands.pb-c.h"
#include "temporal/sdk/core/workflow_completion/workflow_completion.pb-c.h"
#include "wf_engine.h"

#define ET(x) TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_##x

static tcore_wf_engine *new_engine(void) {
  tcore_wf_engine_config cfg = {.namespace_ = "default", .task_queue = "tq", .workflow_id = "wf",
                                .run_id = "run", .workflow_type = "Wf"};
  tcore_wf_engine *e = tcore_wf_engine_new(&cfg);
  CHECK(e != NULL);
  return e;
}

static void check_activation(const uint8_t *b, size_t n) {
  fuzz_touch(b, n);
  Coresdk__WorkflowActivation__WorkflowActivation *a =
      coresdk__workflow_activation__workflow_activation__unpack(NULL, n, b);
  CHECK(a != NULL);
  CHECK(a->n_jobs > 0);
  coresdk__workflow_activation__workflow_activation__free_unpacked(a, NULL);
}

static void check_out(int rc, uint8_t *out, size_t n, const ProtobufCMessageDescriptor *d) {
  if (rc == TCORE_OK) {
    CHECK(out != NULL);
    fuzz_touch(out, n);
    ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, n, out);
    CHECK(m != NULL);
    protobuf_c_message_free_unpacked(m, NULL);
  } else {
    CHECK(rc == TCORE_ERR_INVALID_ARGUMENT || rc == TCORE_ERR_NOMEM);
    CHECK(out == NULL);
  }
  free(out);
}

/* One call; returns next_activation's code for op 2, else 0. */
static int call(tcore_wf_engine *e, int op, const uint8_t *p, size_t n) {
  uint8_t *out = NULL;
  size_t len = 0;
  tcore_error err = {0};
  int rc;
  switch (op) {
    case 0:
    case 1:
      rc = tcore_wf_engine_add_history(e, p, n, op == 1, &err);
      CHECK(rc == TCORE_OK || rc == TCORE_ERR_INVALID_ARGUMENT || rc == TCORE_ERR_NOMEM ||
            rc == TCORE_WF_NONDETERMINISM);
      return 0;
    case 2:
      rc = tcore_wf_engine_add_queries(e, p, n, &err);
      CHECK(rc == TCORE_OK || rc == TCORE_ERR_INVALID_ARGUMENT || rc == TCORE_ERR_NOMEM);
      return 0;
    case 3:
      rc = tcore_wf_engine_next_activation(e, &out, &len, &err);
      CHECK(rc == TCORE_OK || rc == TCORE_WF_TASK_DONE || rc == TCORE_WF_NEED_HISTORY ||
            rc == TCORE_WF_RUN_FINISHED || rc == TCORE_WF_NONDETERMINISM ||
            rc == TCORE_WF_WAIT_LOCAL_ACTIVITIES || rc == TCORE_ERR_INVALID_ARGUMENT ||
            rc == TCORE_ERR_NOMEM);
      if (rc == TCORE_OK) {
        check_activation(out, len);
        /* one outstanding activation at most */
        uint8_t *o2 = NULL;
        size_t l2 = 0;
        CHECK(tcore_wf_engine_next_activation(e, &o2, &l2, NULL) == TCORE_ERR_INVALID_ARGUMENT);
        CHECK(o2 == NULL);
      } else {
        CHECK(out == NULL);
      }
      free(out);
      return rc;
    case 4:
      rc = tcore_wf_engine_complete(e, p, n, &err);
      CHECK(rc == TCORE_OK || rc == TCORE_WF_NONDETERMINISM || rc == TCORE_WF_ACTIVATION_FAILED ||
            rc == TCORE_ERR_INVALID_ARGUMENT || rc == TCORE_ERR_NOMEM);
      return 0;
    case 5:
      rc = tcore_wf_engine_take_response(e, &out, &len, &err);
      check_out(rc, out, len,
                &temporal__api__workflowservice__v1__respond_workflow_task_completed_request__descriptor);
      return 0;
    case 6:
      rc = tcore_wf_engine_take_query_response(e, &out, &len, &err);
      check_out(rc, out, len,
                &temporal__api__workflowservice__v1__respond_query_task_completed_request__descriptor);
      return 0;
    case 8:
      rc = tcore_wf_engine_take_local_activity(e, &out, &len, &err);
      CHECK(rc == TCORE_OK || rc == TCORE_ERR_NOT_FOUND);
      if (rc == TCORE_OK) {
        Coresdk__WorkflowCommands__WorkflowCommand *c =
            coresdk__workflow_commands__workflow_command__unpack(NULL, len, out);
        CHECK(c != NULL);
        CHECK(c->variant_case ==
                  CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_SCHEDULE_LOCAL_ACTIVITY ||
              c->variant_case ==
                  CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_REQUEST_CANCEL_LOCAL_ACTIVITY);
        coresdk__workflow_commands__workflow_command__free_unpacked(c, NULL);
      } else {
        CHECK(out == NULL);
      }
      free(out);
      return 0;
    case 9: {
      tcore_wf_la_outcome o = {.seq = n > 0 ? p[0] % 4 : 0,
                               .attempt = n > 1 ? p[1] : 1,
                               .complete_time_ns = 1700000000000000000LL,
                               .backoff_ns = n > 2 && (p[2] & 1) ? (int64_t)p[2] * 1000000000 : -1,
                               .result = n > 3 ? p + 3 : NULL,
                               .result_len = n > 3 ? n - 3 : 0};
      rc = tcore_wf_engine_resolve_local_activity(e, &o, &err);
      CHECK(rc == TCORE_OK || rc == TCORE_ERR_NOT_FOUND || rc == TCORE_ERR_INVALID_ARGUMENT ||
            rc == TCORE_ERR_NOMEM);
      return 0;
    }
    default:
      if (n && (p[0] & 1)) { /* a discarded speculative task (reset to p[0] >> 1) */
        rc = tcore_wf_engine_discard_task(e, p[0] >> 1, &err);
        CHECK(rc == TCORE_OK || rc == TCORE_ERR_INVALID_ARGUMENT);
        return 0;
      }
      rc = tcore_wf_engine_failure(e, &out, &len, &err);
      check_out(rc, out, len,
                &temporal__api__workflowservice__v1__respond_workflow_task_failed_request__descriptor);
      return 0;
  }
}

static void raw(const uint8_t *data, size_t size) {
  tcore_wf_engine *e = new_engine();
  fuzz_reader r = {data, size};
  while (r.left) {
    int op = r.p[0] % 10;
    r.p++, r.left--;
    size_t n = 0;
    if (r.left >= 2) {
      n = (size_t)r.p[0] << 8 | r.p[1];
      r.p += 2, r.left -= 2;
    }
    if (n > r.left) n = r.left;
    call(e, op, r.p, n);
    r.p += n, r.left -= n;
  }
  tcore_wf_engine_free(e);
}

/* ---- structured ---- */

typedef struct hb {
  Temporal__Api__History__V1__HistoryEvent ev[160];
  Temporal__Api__History__V1__HistoryEvent *evp[160];
  /* attribute storage, one of each per event */
  union {
    Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes started;
    Temporal__Api__History__V1__TimerStartedEventAttributes ts;
    Temporal__Api__History__V1__TimerFiredEventAttributes tf;
    Temporal__Api__History__V1__TimerCanceledEventAttributes tc;
    Temporal__Api__History__V1__ActivityTaskScheduledEventAttributes as;
    Temporal__Api__History__V1__ActivityTaskStartedEventAttributes ast;
    Temporal__Api__History__V1__ActivityTaskCompletedEventAttributes ac;
    Temporal__Api__History__V1__ActivityTaskFailedEventAttributes af;
    Temporal__Api__History__V1__ActivityTaskTimedOutEventAttributes at;
    Temporal__Api__History__V1__ActivityTaskCanceledEventAttributes acn;
    Temporal__Api__History__V1__ActivityTaskCancelRequestedEventAttributes acr;
    Temporal__Api__History__V1__WorkflowExecutionSignaledEventAttributes sig;
    Temporal__Api__History__V1__WorkflowTaskFailedEventAttributes wtf;
    Temporal__Api__History__V1__StartChildWorkflowExecutionInitiatedEventAttributes ci;
    Temporal__Api__History__V1__StartChildWorkflowExecutionFailedEventAttributes csf;
    Temporal__Api__History__V1__ChildWorkflowExecutionStartedEventAttributes cst;
    Temporal__Api__History__V1__ChildWorkflowExecutionCompletedEventAttributes cco;
    Temporal__Api__History__V1__ChildWorkflowExecutionFailedEventAttributes cfa;
    Temporal__Api__History__V1__ChildWorkflowExecutionTimedOutEventAttributes cto;
    Temporal__Api__History__V1__ChildWorkflowExecutionCanceledEventAttributes ccn;
    Temporal__Api__History__V1__ChildWorkflowExecutionTerminatedEventAttributes cte;
    Temporal__Api__History__V1__SignalExternalWorkflowExecutionInitiatedEventAttributes sei;
    Temporal__Api__History__V1__ExternalWorkflowExecutionSignaledEventAttributes sed;
    Temporal__Api__History__V1__SignalExternalWorkflowExecutionFailedEventAttributes sef;
    Temporal__Api__History__V1__RequestCancelExternalWorkflowExecutionInitiatedEventAttributes rci;
    Temporal__Api__History__V1__ExternalWorkflowExecutionCancelRequestedEventAttributes rcd;
    Temporal__Api__History__V1__RequestCancelExternalWorkflowExecutionFailedEventAttributes rcf;
    Temporal__Api__History__V1__MarkerRecordedEventAttributes mk;
    Temporal__Api__History__V1__UpsertWorkflowSearchAttributesEventAttributes up;
  } attr[160];
  Temporal__Api__Common__V1__WorkflowType wtype[160];
  Temporal__Api__Common__V1__WorkflowExecution wexec[160];
  /* patch markers: details entry, payloads, payload, JSON (per event) */
  Temporal__Api__History__V1__MarkerRecordedEventAttributes__DetailsEntry mde[160], *mdep[160];
  Temporal__Api__Common__V1__Payloads mpls[160];
  Temporal__Api__Common__V1__Payload mpl[160], *mplp[160];
  char mjson[160][48];
  Temporal__Api__Common__V1__SearchAttributes sa[160];
  Temporal__Api__Common__V1__SearchAttributes__IndexedFieldsEntry sae[160], *saep[160];
  char ids[160][8];
  Temporal__Api__Common__V1__ActivityType atype[160];
  size_t n;
} hb;

static Temporal__Api__History__V1__HistoryEvent *add(hb *h, int type) {
  if (h->n == 160) return NULL;
  Temporal__Api__History__V1__HistoryEvent *e = &h->ev[h->n];
  temporal__api__history__v1__history_event__init(e);
  e->event_id = (int64_t)h->n + 1;
  e->event_type = type;
  h->evp[h->n] = e;
  h->n++;
  return e;
}

#define SET(e, CASE, field, var)                                                 \
  do {                                                                           \
    (e)->attributes_case = TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_##CASE; \
    (e)->field = (var);                                                          \
  } while (0)

static void build(hb *h, fuzz_reader *r) {
  Temporal__Api__History__V1__HistoryEvent *e = add(h, ET(WORKFLOW_EXECUTION_STARTED));
  temporal__api__history__v1__workflow_execution_started_event_attributes__init(&h->attr[0].started);
  SET(e, WORKFLOW_EXECUTION_STARTED_EVENT_ATTRIBUTES, workflow_execution_started_event_attributes,
      &h->attr[0].started);
  add(h, ET(WORKFLOW_TASK_SCHEDULED));
  add(h, ET(WORKFLOW_TASK_STARTED));
  while (r->left && h->n < 150) {
    uint8_t b = r->p[0];
    r->p++, r->left--;
    uint8_t k = b >> 5; /* a small id: 0..7 */
    size_t i = h->n;
    char *id = h->ids[i];
    snprintf(id, sizeof h->ids[i], "%u", k);
    switch (b & 31) {
      case 0:
      case 1:
        add(h, ET(WORKFLOW_TASK_COMPLETED));
        break;
      case 2:
        add(h, ET(WORKFLOW_TASK_SCHEDULED));
        add(h, ET(WORKFLOW_TASK_STARTED));
        break;
      case 3:
        e = add(h, ET(TIMER_STARTED));
        temporal__api__history__v1__timer_started_event_attributes__init(&h->attr[i].ts);
        h->attr[i].ts.timer_id = id;
        SET(e, TIMER_STARTED_EVENT_ATTRIBUTES, timer_started_event_attributes, &h->attr[i].ts);
        break;
      case 4:
        e = add(h, ET(TIMER_FIRED));
        temporal__api__history__v1__timer_fired_event_attributes__init(&h->attr[i].tf);
        h->attr[i].tf.timer_id = id;
        SET(e, TIMER_FIRED_EVENT_ATTRIBUTES, timer_fired_event_attributes, &h->attr[i].tf);
        break;
      case 5:
        e = add(h, ET(TIMER_CANCELED));
        temporal__api__history__v1__timer_canceled_event_attributes__init(&h->attr[i].tc);
        h->attr[i].tc.timer_id = id;
        SET(e, TIMER_CANCELED_EVENT_ATTRIBUTES, timer_canceled_event_attributes, &h->attr[i].tc);
        break;
      case 6:
        e = add(h, ET(ACTIVITY_TASK_SCHEDULED));
        temporal__api__history__v1__activity_task_scheduled_event_attributes__init(&h->attr[i].as);
        temporal__api__common__v1__activity_type__init(&h->atype[i]);
        h->atype[i].name = (k & 1) ? "A" : "B";
        h->attr[i].as.activity_id = id;
        h->attr[i].as.activity_type = &h->atype[i];
        SET(e, ACTIVITY_TASK_SCHEDULED_EVENT_ATTRIBUTES, activity_task_scheduled_event_attributes,
            &h->attr[i].as);
        break;
      case 7: /* activity events refer to the scheduled event k+? back */
      case 8:
      case 9:
      case 10:
      case 11:
      case 12: {
        int64_t sched = (int64_t)i - k; /* some earlier event (may not be a scheduled one) */
        static const int types[] = {ET(ACTIVITY_TASK_STARTED), ET(ACTIVITY_TASK_COMPLETED),
                                    ET(ACTIVITY_TASK_FAILED), ET(ACTIVITY_TASK_TIMED_OUT),
                                    ET(ACTIVITY_TASK_CANCELED), ET(ACTIVITY_TASK_CANCEL_REQUESTED)};
        int t = types[(b & 31) - 7];
        e = add(h, t);
        switch (t) {
          case ET(ACTIVITY_TASK_STARTED):
            temporal__api__history__v1__activity_task_started_event_attributes__init(&h->attr[i].ast);
            h->attr[i].ast.scheduled_event_id = sched;
            SET(e, ACTIVITY_TASK_STARTED_EVENT_ATTRIBUTES, activity_task_started_event_attributes,
                &h->attr[i].ast);
            break;
          case ET(ACTIVITY_TASK_COMPLETED):
            temporal__api__history__v1__activity_task_completed_event_attributes__init(&h->attr[i].ac);
            h->attr[i].ac.scheduled_event_id = sched;
            SET(e, ACTIVITY_TASK_COMPLETED_EVENT_ATTRIBUTES, activity_task_completed_event_attributes,
                &h->attr[i].ac);
            break;
          case ET(ACTIVITY_TASK_FAILED):
            temporal__api__history__v1__activity_task_failed_event_attributes__init(&h->attr[i].af);
            h->attr[i].af.scheduled_event_id = sched;
            SET(e, ACTIVITY_TASK_FAILED_EVENT_ATTRIBUTES, activity_task_failed_event_attributes,
                &h->attr[i].af);
            break;
          case ET(ACTIVITY_TASK_TIMED_OUT):
            temporal__api__history__v1__activity_task_timed_out_event_attributes__init(&h->attr[i].at);
            h->attr[i].at.scheduled_event_id = sched;
            SET(e, ACTIVITY_TASK_TIMED_OUT_EVENT_ATTRIBUTES, activity_task_timed_out_event_attributes,
                &h->attr[i].at);
            break;
          case ET(ACTIVITY_TASK_CANCELED):
            temporal__api__history__v1__activity_task_canceled_event_attributes__init(&h->attr[i].acn);
            h->attr[i].acn.scheduled_event_id = sched;
            SET(e, ACTIVITY_TASK_CANCELED_EVENT_ATTRIBUTES, activity_task_canceled_event_attributes,
                &h->attr[i].acn);
            break;
          default:
            temporal__api__history__v1__activity_task_cancel_requested_event_attributes__init(
                &h->attr[i].acr);
            h->attr[i].acr.scheduled_event_id = sched;
            SET(e, ACTIVITY_TASK_CANCEL_REQUESTED_EVENT_ATTRIBUTES,
                activity_task_cancel_requested_event_attributes, &h->attr[i].acr);
            break;
        }
        break;
      }
      case 13:
      case 14:
        e = add(h, ET(WORKFLOW_EXECUTION_SIGNALED));
        temporal__api__history__v1__workflow_execution_signaled_event_attributes__init(&h->attr[i].sig);
        h->attr[i].sig.signal_name = id;
        SET(e, WORKFLOW_EXECUTION_SIGNALED_EVENT_ATTRIBUTES, workflow_execution_signaled_event_attributes,
            &h->attr[i].sig);
        break;
      case 15:
        add(h, ET(WORKFLOW_EXECUTION_CANCEL_REQUESTED));
        break;
      case 16:
        add(h, ET(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES));
        break;
      case 17:
        add(h, ET(WORKFLOW_PROPERTIES_MODIFIED));
        break;
      case 18:
        e = add(h, ET(WORKFLOW_TASK_FAILED));
        temporal__api__history__v1__workflow_task_failed_event_attributes__init(&h->attr[i].wtf);
        if (k & 1) {
          h->attr[i].wtf.cause =
              TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW;
          h->attr[i].wtf.new_run_id = id;
        }
        SET(e, WORKFLOW_TASK_FAILED_EVENT_ATTRIBUTES, workflow_task_failed_event_attributes,
            &h->attr[i].wtf);
        break;
      case 19:
        add(h, ET(WORKFLOW_TASK_TIMED_OUT));
        break;
      case 21: /* a patch marker (id k/2, deprecated k&1), its version upsert when k < 6 */
        e = add(h, ET(MARKER_RECORDED));
        temporal__api__history__v1__marker_recorded_event_attributes__init(&h->attr[i].mk);
        temporal__api__history__v1__marker_recorded_event_attributes__details_entry__init(&h->mde[i]);
        temporal__api__common__v1__payloads__init(&h->mpls[i]);
        temporal__api__common__v1__payload__init(&h->mpl[i]);
        snprintf(h->mjson[i], sizeof h->mjson[i], "{\"id\":\"p%u\",\"deprecated\":%s}", k >> 1,
                 (k & 1) ? "true" : "false");
        h->mpl[i].data.data = (uint8_t *)h->mjson[i];
        h->mpl[i].data.len = strlen(h->mjson[i]);
        h->mplp[i] = &h->mpl[i];
        h->mpls[i].n_payloads = 1;
        h->mpls[i].payloads = &h->mplp[i];
        h->mde[i].key = "patch-data";
        h->mde[i].value = &h->mpls[i];
        h->mdep[i] = &h->mde[i];
        h->attr[i].mk.marker_name = "core_patch";
        h->attr[i].mk.n_details = 1;
        h->attr[i].mk.details = &h->mdep[i];
        SET(e, MARKER_RECORDED_EVENT_ATTRIBUTES, marker_recorded_event_attributes, &h->attr[i].mk);
        if (k < 6 && (e = add(h, ET(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)))) {
          temporal__api__history__v1__upsert_workflow_search_attributes_event_attributes__init(
              &h->attr[i + 1].up);
          temporal__api__common__v1__search_attributes__init(&h->sa[i + 1]);
          temporal__api__common__v1__search_attributes__indexed_fields_entry__init(&h->sae[i + 1]);
          h->sae[i + 1].key = "TemporalChangeVersion";
          h->sae[i + 1].value = &h->mpl[i];
          h->saep[i + 1] = &h->sae[i + 1];
          h->sa[i + 1].n_indexed_fields = 1;
          h->sa[i + 1].indexed_fields = &h->saep[i + 1];
          h->attr[i + 1].up.search_attributes = &h->sa[i + 1];
          SET(e, UPSERT_WORKFLOW_SEARCH_ATTRIBUTES_EVENT_ATTRIBUTES,
              upsert_workflow_search_attributes_event_attributes, &h->attr[i + 1].up);
        }
        break;
      case 20: {
        static const int ends[] = {ET(WORKFLOW_EXECUTION_COMPLETED), ET(WORKFLOW_EXECUTION_FAILED),
                                   ET(WORKFLOW_EXECUTION_CANCELED), ET(WORKFLOW_EXECUTION_CONTINUED_AS_NEW),
                                   ET(WORKFLOW_EXECUTION_TERMINATED), ET(WORKFLOW_EXECUTION_TIMED_OUT),
                                   ET(MARKER_RECORDED), ET(WORKFLOW_EXECUTION_UPDATE_ACCEPTED)};
        add(h, ends[k]);
        break;
      }
      case 24: /* a child started (its id and type from k) */
        e = add(h, ET(START_CHILD_WORKFLOW_EXECUTION_INITIATED));
        temporal__api__history__v1__start_child_workflow_execution_initiated_event_attributes__init(
            &h->attr[i].ci);
        temporal__api__common__v1__workflow_type__init(&h->wtype[i]);
        h->wtype[i].name = (k & 1) ? "A" : "B";
        h->attr[i].ci.workflow_id = id;
        h->attr[i].ci.workflow_type = &h->wtype[i];
        SET(e, START_CHILD_WORKFLOW_EXECUTION_INITIATED_EVENT_ATTRIBUTES,
            start_child_workflow_execution_initiated_event_attributes, &h->attr[i].ci);
        break;
      case 25: { /* a child's event (kind from k) for the event the next byte's
                  * low 4 bits say (0: the previous one, ... 15 back) */
        uint8_t x = r->left ? r->p[0] : 0;
        if (r->left) r->p++, r->left--;
        int64_t init = (int64_t)i - (x & 15);
        temporal__api__common__v1__workflow_execution__init(&h->wexec[i]);
        h->wexec[i].workflow_id = id;
        h->wexec[i].run_id = "child-run";
        switch (k) {
#define CHILD_EV(T, f, init_fn, CASE, field)                                  \
  e = add(h, ET(T));                                                           \
  init_fn(&h->attr[i].f);                                                      \
  h->attr[i].f.initiated_event_id = init;                                      \
  SET(e, CASE, field, &h->attr[i].f)
          case 0:
            CHILD_EV(START_CHILD_WORKFLOW_EXECUTION_FAILED, csf,
                     temporal__api__history__v1__start_child_workflow_execution_failed_event_attributes__init,
                     START_CHILD_WORKFLOW_EXECUTION_FAILED_EVENT_ATTRIBUTES,
                     start_child_workflow_execution_failed_event_attributes);
            h->attr[i].csf.cause = 1;
            break;
          case 1:
          case 2:
            CHILD_EV(CHILD_WORKFLOW_EXECUTION_STARTED, cst,
                     temporal__api__history__v1__child_workflow_execution_started_event_attributes__init,
                     CHILD_WORKFLOW_EXECUTION_STARTED_EVENT_ATTRIBUTES,
                     child_workflow_execution_started_event_attributes);
            h->attr[i].cst.workflow_execution = &h->wexec[i];
            break;
          case 3:
            CHILD_EV(CHILD_WORKFLOW_EXECUTION_COMPLETED, cco,
                     temporal__api__history__v1__child_workflow_execution_completed_event_attributes__init,
                     CHILD_WORKFLOW_EXECUTION_COMPLETED_EVENT_ATTRIBUTES,
                     child_workflow_execution_completed_event_attributes);
            break;
          case 4:
            CHILD_EV(CHILD_WORKFLOW_EXECUTION_FAILED, cfa,
                     temporal__api__history__v1__child_workflow_execution_failed_event_attributes__init,
                     CHILD_WORKFLOW_EXECUTION_FAILED_EVENT_ATTRIBUTES,
                     child_workflow_execution_failed_event_attributes);
            break;
          case 5:
            CHILD_EV(CHILD_WORKFLOW_EXECUTION_TIMED_OUT, cto,
                     temporal__api__history__v1__child_workflow_execution_timed_out_event_attributes__init,
                     CHILD_WORKFLOW_EXECUTION_TIMED_OUT_EVENT_ATTRIBUTES,
                     child_workflow_execution_timed_out_event_attributes);
            break;
          case 6:
            CHILD_EV(CHILD_WORKFLOW_EXECUTION_CANCELED, ccn,
                     temporal__api__history__v1__child_workflow_execution_canceled_event_attributes__init,
                     CHILD_WORKFLOW_EXECUTION_CANCELED_EVENT_ATTRIBUTES,
                     child_workflow_execution_canceled_event_attributes);
            break;
          default:
            CHILD_EV(CHILD_WORKFLOW_EXECUTION_TERMINATED, cte,
                     temporal__api__history__v1__child_workflow_execution_terminated_event_attributes__init,
                     CHILD_WORKFLOW_EXECUTION_TERMINATED_EVENT_ATTRIBUTES,
                     child_workflow_execution_terminated_event_attributes);
            break;
        }
        break;
      }
      case 26: { /* signal / cancel external (kind from k): initiated (the next
                  * byte: target id in its top 3 bits, child only in bit 4), or
                  * an outcome for the event its low 4 bits say */
        uint8_t x = r->left ? r->p[0] : 0;
        if (r->left) r->p++, r->left--;
        int64_t init = (int64_t)i - (x & 15);
        snprintf(id, sizeof h->ids[i], "%u", x >> 5);
        temporal__api__common__v1__workflow_execution__init(&h->wexec[i]);
        h->wexec[i].workflow_id = id;
        h->wexec[i].run_id = "";
        switch (k % 6) {
          case 0:
            e = add(h, ET(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED));
            temporal__api__history__v1__signal_external_workflow_execution_initiated_event_attributes__init(
                &h->attr[i].sei);
            h->attr[i].sei.workflow_execution = &h->wexec[i];
            h->attr[i].sei.signal_name = "s";
            h->attr[i].sei.child_workflow_only = x >> 4 & 1;
            SET(e, SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED_EVENT_ATTRIBUTES,
                signal_external_workflow_execution_initiated_event_attributes, &h->attr[i].sei);
            break;
          case 1:
            CHILD_EV(EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, sed,
                     temporal__api__history__v1__external_workflow_execution_signaled_event_attributes__init,
                     EXTERNAL_WORKFLOW_EXECUTION_SIGNALED_EVENT_ATTRIBUTES,
                     external_workflow_execution_signaled_event_attributes);
            break;
          case 2:
            CHILD_EV(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, sef,
                     temporal__api__history__v1__signal_external_workflow_execution_failed_event_attributes__init,
                     SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_EVENT_ATTRIBUTES,
                     signal_external_workflow_execution_failed_event_attributes);
            h->attr[i].sef.cause = k;
            break;
          case 3:
            e = add(h, ET(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED));
            temporal__api__history__v1__request_cancel_external_workflow_execution_initiated_event_attributes__init(
                &h->attr[i].rci);
            h->attr[i].rci.workflow_execution = &h->wexec[i];
            h->attr[i].rci.child_workflow_only = x >> 4 & 1;
            SET(e, REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED_EVENT_ATTRIBUTES,
                request_cancel_external_workflow_execution_initiated_event_attributes,
                &h->attr[i].rci);
            break;
          case 4:
            CHILD_EV(EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, rcd,
                     temporal__api__history__v1__external_workflow_execution_cancel_requested_event_attributes__init,
                     EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED_EVENT_ATTRIBUTES,
                     external_workflow_execution_cancel_requested_event_attributes);
            break;
          default:
            CHILD_EV(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, rcf,
                     temporal__api__history__v1__request_cancel_external_workflow_execution_failed_event_attributes__init,
                     REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_EVENT_ATTRIBUTES,
                     request_cancel_external_workflow_execution_failed_event_attributes);
            h->attr[i].rcf.cause = k & 1;
            break;
#undef CHILD_EV
        }
        break;
      }
      default: /* the common shape: completed, a command, scheduled, started */
        add(h, ET(WORKFLOW_TASK_COMPLETED));
        e = add(h, ET(TIMER_STARTED));
        temporal__api__history__v1__timer_started_event_attributes__init(&h->attr[i + 1].ts);
        h->attr[i + 1].ts.timer_id = id;
        SET(e, TIMER_STARTED_EVENT_ATTRIBUTES, timer_started_event_attributes, &h->attr[i + 1].ts);
        add(h, ET(WORKFLOW_TASK_SCHEDULED));
        add(h, ET(WORKFLOW_TASK_STARTED));
        break;
    }
  }
}

static uint8_t *pack_range(hb *h, size_t from, size_t to, size_t *len) {
  Temporal__Api__History__V1__History H = TEMPORAL__API__HISTORY__V1__HISTORY__INIT;
  H.n_events = to - from;
  H.events = &h->evp[from];
  *len = temporal__api__history__v1__history__get_packed_size(&H);
  uint8_t *b = malloc(*len ? *len : 1);
  CHECK(b != NULL);
  temporal__api__history__v1__history__pack(&H, b);
  return b;
}

/* The commands history records after the task ending at `last` (the
 * activation's history_length), perturbed by `mut`. */
static uint8_t *completion_for(hb *h, uint32_t last, uint8_t mut, size_t *len) {
  Coresdk__WorkflowCommands__WorkflowCommand cmd[40], *cp[40];
  Coresdk__WorkflowCommands__StartTimer st[40];
  Coresdk__WorkflowCommands__CancelTimer ct[40];
  Coresdk__WorkflowCommands__ScheduleActivity sa[40];
  Coresdk__WorkflowCommands__RequestCancelActivity ca[40];
  Coresdk__WorkflowCommands__StartChildWorkflowExecution sc[40];
  Coresdk__WorkflowCommands__CancelChildWorkflowExecution cc[40];
  Coresdk__WorkflowCommands__SignalExternalWorkflowExecution se[40];
  Coresdk__WorkflowCommands__RequestCancelExternalWorkflowExecution rc[40];
  Coresdk__Common__NamespacedWorkflowExecution nwe[40];
  Coresdk__WorkflowCommands__SetPatchMarker pm[40];
  char pid[40][8];
  Coresdk__WorkflowCommands__CompleteWorkflowExecution cw;
  Coresdk__WorkflowCommands__QueryResult qr;
  coresdk__workflow_commands__complete_workflow_execution__init(&cw);
  coresdk__workflow_commands__query_result__init(&qr);
  qr.query_id = "legacy_query";
  size_t n = 0;
  /* event ids start at 1: index `last` is the event after the task */
  for (size_t i = last; i < h->n && n < 36; i++) {
    Temporal__Api__History__V1__HistoryEvent *e = h->evp[i];
    if (i == last && e->event_type == ET(WORKFLOW_TASK_COMPLETED)) continue;
    Coresdk__WorkflowCommands__WorkflowCommand *c = &cmd[n];
    coresdk__workflow_commands__workflow_command__init(c);
    if (e->event_type == ET(TIMER_STARTED)) {
      coresdk__workflow_commands__start_timer__init(&st[n]);
      st[n].seq = (uint32_t)strtoul(e->timer_started_event_attributes->timer_id, NULL, 10);
      c->variant_case = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_START_TIMER;
      c->start_timer = &st[n];
    } else if (e->event_type == ET(TIMER_CANCELED)) {
      coresdk__workflow_commands__cancel_timer__init(&ct[n]);
      ct[n].seq = (uint32_t)strtoul(e->timer_canceled_event_attributes->timer_id, NULL, 10);
      c->variant_case = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_CANCEL_TIMER;
      c->cancel_timer = &ct[n];
    } else if (e->event_type == ET(ACTIVITY_TASK_SCHEDULED)) {
      coresdk__workflow_commands__schedule_activity__init(&sa[n]);
      sa[n].seq = (uint32_t)strtoul(e->activity_task_scheduled_event_attributes->activity_id, NULL, 10);
      sa[n].activity_id = e->activity_task_scheduled_event_attributes->activity_id;
      sa[n].activity_type = e->activity_task_scheduled_event_attributes->activity_type->name;
      sa[n].cancellation_type = mut % 3;
      c->variant_case = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_SCHEDULE_ACTIVITY;
      c->schedule_activity = &sa[n];
    } else if (e->event_type == ET(ACTIVITY_TASK_CANCEL_REQUESTED)) {
      coresdk__workflow_commands__request_cancel_activity__init(&ca[n]);
      ca[n].seq = (uint32_t)(mut >> 4);
      c->variant_case = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_REQUEST_CANCEL_ACTIVITY;
      c->request_cancel_activity = &ca[n];
    } else if (e->event_type == ET(START_CHILD_WORKFLOW_EXECUTION_INITIATED)) {
      const Temporal__Api__History__V1__StartChildWorkflowExecutionInitiatedEventAttributes *a =
          e->start_child_workflow_execution_initiated_event_attributes;
      coresdk__workflow_commands__start_child_workflow_execution__init(&sc[n]);
      sc[n].seq = (uint32_t)strtoul(a->workflow_id, NULL, 10);
      sc[n].workflow_id = a->workflow_id;
      sc[n].workflow_type = a->workflow_type->name;
      sc[n].cancellation_type = (mut >> 2) % 4;
      c->variant_case = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_START_CHILD_WORKFLOW_EXECUTION;
      c->start_child_workflow_execution = &sc[n];
    } else if (e->event_type == ET(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)) {
      const Temporal__Api__History__V1__SignalExternalWorkflowExecutionInitiatedEventAttributes *a =
          e->signal_external_workflow_execution_initiated_event_attributes;
      coresdk__workflow_commands__signal_external_workflow_execution__init(&se[n]);
      se[n].seq = (uint32_t)(i + (mut >> 6));
      se[n].signal_name = a->signal_name;
      if (a->child_workflow_only) {
        se[n].target_case =
            CORESDK__WORKFLOW_COMMANDS__SIGNAL_EXTERNAL_WORKFLOW_EXECUTION__TARGET_CHILD_WORKFLOW_ID;
        se[n].child_workflow_id = a->workflow_execution->workflow_id;
      } else {
        coresdk__common__namespaced_workflow_execution__init(&nwe[n]);
        nwe[n].workflow_id = a->workflow_execution->workflow_id;
        se[n].target_case =
            CORESDK__WORKFLOW_COMMANDS__SIGNAL_EXTERNAL_WORKFLOW_EXECUTION__TARGET_WORKFLOW_EXECUTION;
        se[n].workflow_execution = &nwe[n];
      }
      c->variant_case = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION;
      c->signal_external_workflow_execution = &se[n];
    } else if (e->event_type == ET(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)) {
      const Temporal__Api__History__V1__RequestCancelExternalWorkflowExecutionInitiatedEventAttributes
          *a = e->request_cancel_external_workflow_execution_initiated_event_attributes;
      if (a->child_workflow_only) { /* a child's cancellation: cancel the child of that id */
        coresdk__workflow_commands__cancel_child_workflow_execution__init(&cc[n]);
        cc[n].child_workflow_seq = (uint32_t)strtoul(a->workflow_execution->workflow_id, NULL, 10);
        c->variant_case = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_CANCEL_CHILD_WORKFLOW_EXECUTION;
        c->cancel_child_workflow_execution = &cc[n];
      } else {
        coresdk__workflow_commands__request_cancel_external_workflow_execution__init(&rc[n]);
        coresdk__common__namespaced_workflow_execution__init(&nwe[n]);
        nwe[n].workflow_id = a->workflow_execution->workflow_id;
        rc[n].seq = (uint32_t)(i + (mut >> 6));
        rc[n].workflow_execution = &nwe[n];
        c->variant_case =
            CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION;
        c->request_cancel_external_workflow_execution = &rc[n];
      }
    } else if (e->event_type == ET(MARKER_RECORDED) &&
               e->attributes_case ==
                   TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_MARKER_RECORDED_EVENT_ATTRIBUTES) {
      /* patch "p<d>" (the JSON holds it at a fixed place); deprecated or
       * not as the input says */
      coresdk__workflow_commands__set_patch_marker__init(&pm[n]);
      const char *js = (const char *)e->marker_recorded_event_attributes->details[0]->value
                           ->payloads[0]->data.data;
      snprintf(pid[n], sizeof pid[n], "p%c", js[8]);
      pm[n].patch_id = pid[n];
      pm[n].deprecated = (mut >> 6) & 1;
      c->variant_case = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_SET_PATCH_MARKER;
      c->set_patch_marker = &pm[n];
    } else if (e->event_type == ET(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)) {
      continue; /* made with its patch marker (or a user upsert: dropped) */
    } else if (e->event_type == ET(WORKFLOW_EXECUTION_COMPLETED)) {
      c->variant_case = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_COMPLETE_WORKFLOW_EXECUTION;
      c->complete_workflow_execution = &cw;
    } else {
      break;
    }
    cp[n] = c;
    n++;
  }
  /* perturbations */
  if ((mut & 3) == 1 && n) n--;             /* one command missing */
  if ((mut & 12) == 4) {                    /* an extra timer / cancel */
    Coresdk__WorkflowCommands__WorkflowCommand *c = &cmd[n];
    coresdk__workflow_commands__workflow_command__init(c);
    coresdk__workflow_commands__cancel_timer__init(&ct[n]);
    ct[n].seq = mut >> 5;
    c->variant_case = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_CANCEL_TIMER;
    c->cancel_timer = &ct[n];
    cp[n] = c;
    n++;
  }
  if ((mut & 12) == 8) { /* an answer to a query that may not exist */
    Coresdk__WorkflowCommands__WorkflowCommand *c = &cmd[n];
    coresdk__workflow_commands__workflow_command__init(c);
    c->variant_case = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_RESPOND_TO_QUERY;
    c->respond_to_query = &qr;
    cp[n] = c;
    n++;
  }
  Coresdk__WorkflowCompletion__WorkflowActivationCompletion comp =
      CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__INIT;
  Coresdk__WorkflowCompletion__Success s = CORESDK__WORKFLOW_COMPLETION__SUCCESS__INIT;
  Coresdk__WorkflowCompletion__Failure f = CORESDK__WORKFLOW_COMPLETION__FAILURE__INIT;
  if ((mut & 0xf0) == 0xf0) {
    comp.status_case = CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__STATUS_FAILED;
    comp.failed = &f;
  } else {
    comp.status_case = CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__STATUS_SUCCESSFUL;
    comp.successful = &s;
    s.n_commands = n;
    s.commands = cp;
  }
  *len = coresdk__workflow_completion__workflow_activation_completion__get_packed_size(&comp);
  uint8_t *b = malloc(*len ? *len : 1);
  CHECK(b != NULL);
  coresdk__workflow_completion__workflow_activation_completion__pack(&comp, b);
  return b;
}

static void structured(const uint8_t *data, size_t size) {
  if (size < 2) return;
  uint8_t page = data[0], mutseed = data[1];
  fuzz_reader r = {data + 2, size - 2};
  static hb h;
  memset(&h, 0, sizeof h);
  build(&h, &r);
  tcore_wf_engine *e = new_engine();
  /* pages: a split point from the input */
  size_t split = page % (h.n + 1), len;
  uint8_t *b = pack_range(&h, 0, split, &len);
  call(e, 0, b, len);
  free(b);
  b = pack_range(&h, split > 1 ? split - 1 : 0, h.n, &len); /* overlapping: deduplicated */
  call(e, 1, b, len);
  free(b);
  if (page & 0x80) {
    Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse pr =
        TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_TASK_QUEUE_RESPONSE__INIT;
    Temporal__Api__Query__V1__WorkflowQuery q = TEMPORAL__API__QUERY__V1__WORKFLOW_QUERY__INIT;
    q.query_type = "state";
    pr.query = &q;
    uint8_t qb[64];
    size_t qn = temporal__api__workflowservice__v1__poll_workflow_task_queue_response__pack(&pr, qb);
    call(e, 2, qb, qn);
  }
  for (int steps = 0; steps < 64; steps++) {
    uint8_t *out = NULL;
    size_t olen = 0;
    int rc = tcore_wf_engine_next_activation(e, &out, &olen, NULL);
    if (rc != TCORE_OK) {
      CHECK(out == NULL);
      if (rc == TCORE_WF_TASK_DONE) {
        call(e, 5, NULL, 0);
        call(e, 6, NULL, 0);
      }
      if (rc == TCORE_WF_NONDETERMINISM) call(e, 7, NULL, 0);
      break;
    }
    Coresdk__WorkflowActivation__WorkflowActivation *a =
        coresdk__workflow_activation__workflow_activation__unpack(NULL, olen, out);
    free(out);
    CHECK(a != NULL);
    uint32_t last = a->history_length;
    coresdk__workflow_activation__workflow_activation__free_unpacked(a, NULL);
    uint8_t mut = (uint8_t)(mutseed * (steps + 1) * 31);
    uint8_t *cb = completion_for(&h, last, mut, &olen);
    call(e, 4, cb, olen);
    free(cb);
    call(e, 7, NULL, 0);
  }
  tcore_wf_engine_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  raw(data, size);
  structured(data, size);
  return 0;
}
