/* test_wf_engine: the workflow engine (core/src/wf/) without a server.
 * Canned histories are built here with protobuf-c and packed; a scripted
 * language side completes the activations; the expected activation jobs,
 * API commands and failures are checked. Real histories (sdk-core's fixtures
 * in core/tests/data) are replayed with a language side that issues the
 * commands each history records. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "temporal/api/protocol/v1/message.pb-c.h"
#include "temporal/api/update/v1/message.pb-c.h"
#include "wf/wf_internal.h"

#ifndef WF_TEST_DATA
#define WF_TEST_DATA "core/tests/data"
#endif

static wf_arena A; /* everything the builders allocate; freed at exit */

#define NEW(T, init) ({ T *p_ = wf_alloc(&A, sizeof(T)); init(p_); p_; })
#define S(x) wf_strdup(&A, x)

/* ---- history builder ---- */

typedef struct hist {
  wf_event *ev[256];
  size_t n;
} hist;

static wf_event *add(hist *h, int type) {
  wf_event *e = NEW(wf_event, temporal__api__history__v1__history_event__init);
  e->event_id = (int64_t)h->n + 1;
  e->event_type = type;
  e->event_time = NEW(Google__Protobuf__Timestamp, google__protobuf__timestamp__init);
  e->event_time->seconds = 1700000000 + e->event_id;
  e->event_time->nanos = 1000 * (int32_t)e->event_id;
  h->ev[h->n++] = e;
  return e;
}

static Temporal__Api__Common__V1__Payload *payload(const char *data) {
  Temporal__Api__Common__V1__Payload *p =
      NEW(Temporal__Api__Common__V1__Payload, temporal__api__common__v1__payload__init);
  p->data.data = (uint8_t *)S(data);
  p->data.len = strlen(data);
  return p;
}

static Temporal__Api__Common__V1__Payloads *payloads1(const char *data) {
  Temporal__Api__Common__V1__Payloads *p =
      NEW(Temporal__Api__Common__V1__Payloads, temporal__api__common__v1__payloads__init);
  p->n_payloads = 1;
  p->payloads = wf_alloc(&A, sizeof *p->payloads);
  p->payloads[0] = payload(data);
  return p;
}

static Google__Protobuf__Duration *dur(int64_t s) {
  Google__Protobuf__Duration *d = NEW(Google__Protobuf__Duration, google__protobuf__duration__init);
  d->seconds = s;
  return d;
}

static Temporal__Api__Common__V1__Header *header1(const char *k, const char *v) {
  Temporal__Api__Common__V1__Header *h =
      NEW(Temporal__Api__Common__V1__Header, temporal__api__common__v1__header__init);
  Temporal__Api__Common__V1__Header__FieldsEntry *f = NEW(
      Temporal__Api__Common__V1__Header__FieldsEntry, temporal__api__common__v1__header__fields_entry__init);
  f->key = S(k);
  f->value = payload(v);
  h->n_fields = 1;
  h->fields = wf_alloc(&A, sizeof *h->fields);
  h->fields[0] = f;
  return h;
}

#define RUN_ID "0b6ac6e8-2c3d-4e0b-9e0a-1234567890ab"
/* SipHash-1-3 (zero key) of RUN_ID + 0xff, as computed by CPython's own
 * siphash13 (PYTHONHASHSEED=0: hash(RUN_ID.encode() + b"\xff")). */
#define RUN_ID_SEED 17405915443676576448ULL

static wf_event *h_started(hist *h) {
  wf_event *e = add(h, ET(WORKFLOW_EXECUTION_STARTED));
  Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *a =
      NEW(Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes,
          temporal__api__history__v1__workflow_execution_started_event_attributes__init);
  a->workflow_type = NEW(Temporal__Api__Common__V1__WorkflowType, temporal__api__common__v1__workflow_type__init);
  a->workflow_type->name = S("MyWorkflow");
  a->task_queue = NEW(Temporal__Api__Taskqueue__V1__TaskQueue, temporal__api__taskqueue__v1__task_queue__init);
  a->task_queue->name = S("tq");
  a->input = payloads1("\"arg\"");
  a->workflow_execution_timeout = dur(3600);
  a->workflow_run_timeout = dur(600);
  a->workflow_task_timeout = dur(10);
  a->original_execution_run_id = S(RUN_ID);
  a->first_execution_run_id = S("first-run");
  a->continued_execution_run_id = S("prev-run");
  a->identity = S("starter@host");
  a->attempt = 2;
  a->cron_schedule = S("* * * * *");
  a->header = header1("hk", "hv");
  a->memo = NEW(Temporal__Api__Common__V1__Memo, temporal__api__common__v1__memo__init);
  a->search_attributes = NEW(Temporal__Api__Common__V1__SearchAttributes,
                             temporal__api__common__v1__search_attributes__init);
  a->retry_policy = NEW(Temporal__Api__Common__V1__RetryPolicy, temporal__api__common__v1__retry_policy__init);
  a->retry_policy->maximum_attempts = 7;
  a->parent_workflow_namespace = S("parent-ns");
  a->parent_workflow_execution = NEW(Temporal__Api__Common__V1__WorkflowExecution,
                                     temporal__api__common__v1__workflow_execution__init);
  a->parent_workflow_execution->workflow_id = S("parent-wf");
  a->parent_workflow_execution->run_id = S("parent-run");
  a->workflow_id = S("wf-1");
  e->attributes_case = HA(WORKFLOW_EXECUTION_STARTED_EVENT_ATTRIBUTES);
  e->workflow_execution_started_event_attributes = a;
  return e;
}

/* WorkflowTaskScheduled + WorkflowTaskStarted; returns the started event. */
static wf_event *h_wft(hist *h) {
  wf_event *s = add(h, ET(WORKFLOW_TASK_SCHEDULED));
  wf_event *e = add(h, ET(WORKFLOW_TASK_STARTED));
  Temporal__Api__History__V1__WorkflowTaskStartedEventAttributes *a =
      NEW(Temporal__Api__History__V1__WorkflowTaskStartedEventAttributes,
          temporal__api__history__v1__workflow_task_started_event_attributes__init);
  a->scheduled_event_id = s->event_id;
  a->history_size_bytes = 1234;
  e->attributes_case = HA(WORKFLOW_TASK_STARTED_EVENT_ATTRIBUTES);
  e->workflow_task_started_event_attributes = a;
  return e;
}

/* WorkflowTaskCompleted with sdk_metadata flags (0-terminated lists). */
static wf_event *h_wft_completed_md(hist *h, const uint32_t *core, const uint32_t *lang,
                                    const char *sdk) {
  wf_event *e = add(h, ET(WORKFLOW_TASK_COMPLETED));
  Temporal__Api__History__V1__WorkflowTaskCompletedEventAttributes *a =
      NEW(Temporal__Api__History__V1__WorkflowTaskCompletedEventAttributes,
          temporal__api__history__v1__workflow_task_completed_event_attributes__init);
  a->started_event_id = e->event_id - 1;
  if (core || lang || sdk) {
    Temporal__Api__Sdk__V1__WorkflowTaskCompletedMetadata *md =
        NEW(Temporal__Api__Sdk__V1__WorkflowTaskCompletedMetadata,
            temporal__api__sdk__v1__workflow_task_completed_metadata__init);
    while (core && core[md->n_core_used_flags]) md->n_core_used_flags++;
    while (lang && lang[md->n_lang_used_flags]) md->n_lang_used_flags++;
    md->core_used_flags = (uint32_t *)core;
    md->lang_used_flags = (uint32_t *)lang;
    if (sdk) {
      md->sdk_name = S(sdk);
      md->sdk_version = S("1.35.0");
    }
    a->sdk_metadata = md;
  }
  e->attributes_case = HA(WORKFLOW_TASK_COMPLETED_EVENT_ATTRIBUTES);
  e->workflow_task_completed_event_attributes = a;
  return e;
}
static const uint32_t FLAGS_1_2_3[] = {1, 2, 3, 0};
static const uint32_t FLAGS_1_3[] = {1, 3, 0}; /* written before flag 2 */
static wf_event *h_wft_completed(hist *h) { return h_wft_completed_md(h, FLAGS_1_2_3, NULL, NULL); }

static wf_event *h_timer_started(hist *h, const char *id) {
  wf_event *e = add(h, ET(TIMER_STARTED));
  Temporal__Api__History__V1__TimerStartedEventAttributes *a =
      NEW(Temporal__Api__History__V1__TimerStartedEventAttributes,
          temporal__api__history__v1__timer_started_event_attributes__init);
  a->timer_id = S(id);
  a->start_to_fire_timeout = dur(5);
  e->attributes_case = HA(TIMER_STARTED_EVENT_ATTRIBUTES);
  e->timer_started_event_attributes = a;
  return e;
}
static wf_event *h_timer_fired(hist *h, const char *id, int64_t started) {
  wf_event *e = add(h, ET(TIMER_FIRED));
  Temporal__Api__History__V1__TimerFiredEventAttributes *a =
      NEW(Temporal__Api__History__V1__TimerFiredEventAttributes,
          temporal__api__history__v1__timer_fired_event_attributes__init);
  a->timer_id = S(id);
  a->started_event_id = started;
  e->attributes_case = HA(TIMER_FIRED_EVENT_ATTRIBUTES);
  e->timer_fired_event_attributes = a;
  return e;
}
static wf_event *h_timer_canceled(hist *h, const char *id, int64_t started) {
  wf_event *e = add(h, ET(TIMER_CANCELED));
  Temporal__Api__History__V1__TimerCanceledEventAttributes *a =
      NEW(Temporal__Api__History__V1__TimerCanceledEventAttributes,
          temporal__api__history__v1__timer_canceled_event_attributes__init);
  a->timer_id = S(id);
  a->started_event_id = started;
  e->attributes_case = HA(TIMER_CANCELED_EVENT_ATTRIBUTES);
  e->timer_canceled_event_attributes = a;
  return e;
}
static wf_event *h_act_scheduled(hist *h, const char *id, const char *type) {
  wf_event *e = add(h, ET(ACTIVITY_TASK_SCHEDULED));
  Temporal__Api__History__V1__ActivityTaskScheduledEventAttributes *a =
      NEW(Temporal__Api__History__V1__ActivityTaskScheduledEventAttributes,
          temporal__api__history__v1__activity_task_scheduled_event_attributes__init);
  a->activity_id = S(id);
  a->activity_type = NEW(Temporal__Api__Common__V1__ActivityType, temporal__api__common__v1__activity_type__init);
  a->activity_type->name = S(type);
  e->attributes_case = HA(ACTIVITY_TASK_SCHEDULED_EVENT_ATTRIBUTES);
  e->activity_task_scheduled_event_attributes = a;
  return e;
}
static wf_event *h_act_started(hist *h, int64_t sched) {
  wf_event *e = add(h, ET(ACTIVITY_TASK_STARTED));
  Temporal__Api__History__V1__ActivityTaskStartedEventAttributes *a =
      NEW(Temporal__Api__History__V1__ActivityTaskStartedEventAttributes,
          temporal__api__history__v1__activity_task_started_event_attributes__init);
  a->scheduled_event_id = sched;
  e->attributes_case = HA(ACTIVITY_TASK_STARTED_EVENT_ATTRIBUTES);
  e->activity_task_started_event_attributes = a;
  return e;
}
static Temporal__Api__Failure__V1__Failure *failure(const char *msg) {
  Temporal__Api__Failure__V1__Failure *f =
      NEW(Temporal__Api__Failure__V1__Failure, temporal__api__failure__v1__failure__init);
  f->message = S(msg);
  return f;
}
/* An activity's ending: COMPLETED, FAILED, TIMED_OUT, CANCELED. */
static wf_event *h_act_end(hist *h, int type, int64_t sched, int64_t started) {
  wf_event *e = add(h, type);
  switch (type) {
    case ET(ACTIVITY_TASK_COMPLETED): {
      Temporal__Api__History__V1__ActivityTaskCompletedEventAttributes *a =
          NEW(Temporal__Api__History__V1__ActivityTaskCompletedEventAttributes,
              temporal__api__history__v1__activity_task_completed_event_attributes__init);
      a->scheduled_event_id = sched;
      a->started_event_id = started;
      a->result = payloads1("\"done\"");
      e->attributes_case = HA(ACTIVITY_TASK_COMPLETED_EVENT_ATTRIBUTES);
      e->activity_task_completed_event_attributes = a;
      break;
    }
    case ET(ACTIVITY_TASK_FAILED): {
      Temporal__Api__History__V1__ActivityTaskFailedEventAttributes *a =
          NEW(Temporal__Api__History__V1__ActivityTaskFailedEventAttributes,
              temporal__api__history__v1__activity_task_failed_event_attributes__init);
      a->scheduled_event_id = sched;
      a->started_event_id = started;
      a->failure = failure("boom");
      a->identity = S("worker-1");
      a->retry_state = TEMPORAL__API__ENUMS__V1__RETRY_STATE__RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED;
      e->attributes_case = HA(ACTIVITY_TASK_FAILED_EVENT_ATTRIBUTES);
      e->activity_task_failed_event_attributes = a;
      break;
    }
    case ET(ACTIVITY_TASK_TIMED_OUT): {
      Temporal__Api__History__V1__ActivityTaskTimedOutEventAttributes *a =
          NEW(Temporal__Api__History__V1__ActivityTaskTimedOutEventAttributes,
              temporal__api__history__v1__activity_task_timed_out_event_attributes__init);
      a->scheduled_event_id = sched;
      a->started_event_id = started;
      a->failure = failure("activity StartToClose timeout");
      a->retry_state = TEMPORAL__API__ENUMS__V1__RETRY_STATE__RETRY_STATE_TIMEOUT;
      e->attributes_case = HA(ACTIVITY_TASK_TIMED_OUT_EVENT_ATTRIBUTES);
      e->activity_task_timed_out_event_attributes = a;
      break;
    }
    default: {
      Temporal__Api__History__V1__ActivityTaskCanceledEventAttributes *a =
          NEW(Temporal__Api__History__V1__ActivityTaskCanceledEventAttributes,
              temporal__api__history__v1__activity_task_canceled_event_attributes__init);
      a->scheduled_event_id = sched;
      a->started_event_id = started;
      a->details = payloads1("\"why\"");
      e->attributes_case = HA(ACTIVITY_TASK_CANCELED_EVENT_ATTRIBUTES);
      e->activity_task_canceled_event_attributes = a;
      break;
    }
  }
  return e;
}
static wf_event *h_act_cancel_requested(hist *h, int64_t sched) {
  wf_event *e = add(h, ET(ACTIVITY_TASK_CANCEL_REQUESTED));
  Temporal__Api__History__V1__ActivityTaskCancelRequestedEventAttributes *a =
      NEW(Temporal__Api__History__V1__ActivityTaskCancelRequestedEventAttributes,
          temporal__api__history__v1__activity_task_cancel_requested_event_attributes__init);
  a->scheduled_event_id = sched;
  e->attributes_case = HA(ACTIVITY_TASK_CANCEL_REQUESTED_EVENT_ATTRIBUTES);
  e->activity_task_cancel_requested_event_attributes = a;
  return e;
}
static wf_event *h_signal(hist *h, const char *name) {
  wf_event *e = add(h, ET(WORKFLOW_EXECUTION_SIGNALED));
  Temporal__Api__History__V1__WorkflowExecutionSignaledEventAttributes *a =
      NEW(Temporal__Api__History__V1__WorkflowExecutionSignaledEventAttributes,
          temporal__api__history__v1__workflow_execution_signaled_event_attributes__init);
  a->signal_name = S(name);
  a->input = payloads1("\"sig-arg\"");
  a->identity = S("signaller");
  a->header = header1("sk", "sv");
  e->attributes_case = HA(WORKFLOW_EXECUTION_SIGNALED_EVENT_ATTRIBUTES);
  e->workflow_execution_signaled_event_attributes = a;
  return e;
}
static wf_event *h_cancel_requested(hist *h) {
  wf_event *e = add(h, ET(WORKFLOW_EXECUTION_CANCEL_REQUESTED));
  Temporal__Api__History__V1__WorkflowExecutionCancelRequestedEventAttributes *a =
      NEW(Temporal__Api__History__V1__WorkflowExecutionCancelRequestedEventAttributes,
          temporal__api__history__v1__workflow_execution_cancel_requested_event_attributes__init);
  a->cause = S("user asked");
  e->attributes_case = HA(WORKFLOW_EXECUTION_CANCEL_REQUESTED_EVENT_ATTRIBUTES);
  e->workflow_execution_cancel_requested_event_attributes = a;
  return e;
}

/* Events [from, to) (1-based ids, to = 0: all) packed as a History. */
static wf_blob pack_hist(const hist *h, int64_t from, int64_t to) {
  Temporal__Api__History__V1__History H = TEMPORAL__API__HISTORY__V1__HISTORY__INIT;
  if (to == 0) to = (int64_t)h->n + 1;
  H.n_events = (size_t)(to - from);
  H.events = (wf_event **)&h->ev[from - 1];
  wf_blob b = {0};
  wf_pack(&H.base, &b);
  return b;
}

/* ---- language side ---- */

typedef struct cmds {
  wf_lang_cmd *c[32];
  size_t n;
  uint32_t flags[4];
  size_t nflags;
} cmds;

static wf_lang_cmd *cmd(cmds *l, int variant) {
  wf_lang_cmd *c = NEW(wf_lang_cmd, coresdk__workflow_commands__workflow_command__init);
  c->variant_case = variant;
  l->c[l->n++] = c;
  return c;
}
static void c_start_timer(cmds *l, uint32_t seq, int64_t secs) {
  wf_lang_cmd *c = cmd(l, CV(START_TIMER));
  c->start_timer = NEW(Coresdk__WorkflowCommands__StartTimer, coresdk__workflow_commands__start_timer__init);
  c->start_timer->seq = seq;
  c->start_timer->start_to_fire_timeout = dur(secs);
}
static void c_cancel_timer(cmds *l, uint32_t seq) {
  wf_lang_cmd *c = cmd(l, CV(CANCEL_TIMER));
  c->cancel_timer = NEW(Coresdk__WorkflowCommands__CancelTimer, coresdk__workflow_commands__cancel_timer__init);
  c->cancel_timer->seq = seq;
}
static void c_activity(cmds *l, uint32_t seq, const char *id, const char *type, int cancel_type) {
  wf_lang_cmd *c = cmd(l, CV(SCHEDULE_ACTIVITY));
  Coresdk__WorkflowCommands__ScheduleActivity *s =
      NEW(Coresdk__WorkflowCommands__ScheduleActivity, coresdk__workflow_commands__schedule_activity__init);
  s->seq = seq;
  s->activity_id = S(id);
  s->activity_type = S(type);
  s->cancellation_type = cancel_type;
  s->schedule_to_close_timeout = dur(100);
  s->schedule_to_start_timeout = dur(20);
  s->start_to_close_timeout = dur(30);
  s->heartbeat_timeout = dur(4);
  s->retry_policy = NEW(Temporal__Api__Common__V1__RetryPolicy, temporal__api__common__v1__retry_policy__init);
  s->retry_policy->maximum_attempts = 3;
  s->n_arguments = 1;
  s->arguments = wf_alloc(&A, sizeof *s->arguments);
  s->arguments[0] = payload("\"in\"");
  Coresdk__WorkflowCommands__ScheduleActivity__HeadersEntry *h =
      NEW(Coresdk__WorkflowCommands__ScheduleActivity__HeadersEntry,
          coresdk__workflow_commands__schedule_activity__headers_entry__init);
  h->key = S("ah");
  h->value = payload("av");
  s->n_headers = 1;
  s->headers = wf_alloc(&A, sizeof *s->headers);
  s->headers[0] = h;
  c->schedule_activity = s;
}
static void c_cancel_activity(cmds *l, uint32_t seq) {
  wf_lang_cmd *c = cmd(l, CV(REQUEST_CANCEL_ACTIVITY));
  c->request_cancel_activity = NEW(Coresdk__WorkflowCommands__RequestCancelActivity,
                                   coresdk__workflow_commands__request_cancel_activity__init);
  c->request_cancel_activity->seq = seq;
}
static void c_complete(cmds *l, const char *result) {
  wf_lang_cmd *c = cmd(l, CV(COMPLETE_WORKFLOW_EXECUTION));
  c->complete_workflow_execution = NEW(Coresdk__WorkflowCommands__CompleteWorkflowExecution,
                                       coresdk__workflow_commands__complete_workflow_execution__init);
  if (result) c->complete_workflow_execution->result = payload(result);
}
static void c_fail(cmds *l, const char *msg) {
  wf_lang_cmd *c = cmd(l, CV(FAIL_WORKFLOW_EXECUTION));
  c->fail_workflow_execution = NEW(Coresdk__WorkflowCommands__FailWorkflowExecution,
                                   coresdk__workflow_commands__fail_workflow_execution__init);
  c->fail_workflow_execution->failure = failure(msg);
}
static void c_cancel_wf(cmds *l) {
  wf_lang_cmd *c = cmd(l, CV(CANCEL_WORKFLOW_EXECUTION));
  c->cancel_workflow_execution = NEW(Coresdk__WorkflowCommands__CancelWorkflowExecution,
                                     coresdk__workflow_commands__cancel_workflow_execution__init);
}
static void c_continue_as_new(cmds *l) {
  wf_lang_cmd *c = cmd(l, CV(CONTINUE_AS_NEW_WORKFLOW_EXECUTION));
  Coresdk__WorkflowCommands__ContinueAsNewWorkflowExecution *x =
      NEW(Coresdk__WorkflowCommands__ContinueAsNewWorkflowExecution,
          coresdk__workflow_commands__continue_as_new_workflow_execution__init);
  x->n_arguments = 1;
  x->arguments = wf_alloc(&A, sizeof *x->arguments);
  x->arguments[0] = payload("\"next\"");
  x->workflow_run_timeout = dur(60);
  c->continue_as_new_workflow_execution = x;
}
static void c_upsert(cmds *l) {
  wf_lang_cmd *c = cmd(l, CV(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES));
  c->upsert_workflow_search_attributes = NEW(Coresdk__WorkflowCommands__UpsertWorkflowSearchAttributes,
                                             coresdk__workflow_commands__upsert_workflow_search_attributes__init);
  c->upsert_workflow_search_attributes->search_attributes = NEW(
      Temporal__Api__Common__V1__SearchAttributes, temporal__api__common__v1__search_attributes__init);
}
static void c_memo(cmds *l) {
  wf_lang_cmd *c = cmd(l, CV(MODIFY_WORKFLOW_PROPERTIES));
  c->modify_workflow_properties = NEW(Coresdk__WorkflowCommands__ModifyWorkflowProperties,
                                      coresdk__workflow_commands__modify_workflow_properties__init);
  c->modify_workflow_properties->upserted_memo =
      NEW(Temporal__Api__Common__V1__Memo, temporal__api__common__v1__memo__init);
}
static void c_query(cmds *l, const char *id, const char *answer) {
  wf_lang_cmd *c = cmd(l, CV(RESPOND_TO_QUERY));
  Coresdk__WorkflowCommands__QueryResult *q =
      NEW(Coresdk__WorkflowCommands__QueryResult, coresdk__workflow_commands__query_result__init);
  q->query_id = S(id);
  if (answer) {
    q->variant_case = CORESDK__WORKFLOW_COMMANDS__QUERY_RESULT__VARIANT_SUCCEEDED;
    q->succeeded = NEW(Coresdk__WorkflowCommands__QuerySuccess, coresdk__workflow_commands__query_success__init);
    q->succeeded->response = payload(answer);
  } else {
    q->variant_case = CORESDK__WORKFLOW_COMMANDS__QUERY_RESULT__VARIANT_FAILED;
    q->failed = failure("no such query");
  }
  c->respond_to_query = q;
}

static wf_blob pack_completion(const cmds *l) {
  Coresdk__WorkflowCompletion__WorkflowActivationCompletion c =
      CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__INIT;
  Coresdk__WorkflowCompletion__Success s = CORESDK__WORKFLOW_COMPLETION__SUCCESS__INIT;
  c.run_id = RUN_ID;
  c.status_case = CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__STATUS_SUCCESSFUL;
  c.successful = &s;
  s.n_commands = l ? l->n : 0;
  s.commands = l ? (wf_lang_cmd **)l->c : NULL;
  s.n_used_internal_flags = l ? l->nflags : 0;
  s.used_internal_flags = l ? (uint32_t *)l->flags : NULL;
  wf_blob b = {0};
  wf_pack(&c.base, &b);
  return b;
}

/* ---- engine driving ---- */

static tcore_wf_engine *engine(void) {
  tcore_wf_engine_config cfg = {.namespace_ = "default", .task_queue = "tq",
                                .workflow_id = "wf-1", .run_id = RUN_ID,
                                .workflow_type = "MyWorkflow"};
  return tcore_wf_engine_new(&cfg);
}

static int feed(tcore_wf_engine *e, const hist *h, int64_t from, int64_t to, int complete) {
  wf_blob b = pack_hist(h, from, to);
  tcore_error err = {0};
  int rc = tcore_wf_engine_add_history(e, b.data, b.len, complete, &err);
  free(b.data);
  return rc;
}

/* The job variant names of an activation, space separated. */
static void job_names(const Coresdk__WorkflowActivation__WorkflowActivation *a, char *out, size_t n) {
  out[0] = 0;
  for (size_t i = 0; i < a->n_jobs; i++) {
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
        &coresdk__workflow_activation__workflow_activation_job__descriptor, a->jobs[i]->variant_case);
    if (i) strncat(out, " ", n - strlen(out) - 1);
    strncat(out, f ? f->name : "?", n - strlen(out) - 1);
  }
}

/* next_activation must give an activation with jobs `want`; returns it
 * unpacked (free with act_free) or NULL. */
static Coresdk__WorkflowActivation__WorkflowActivation *next_act(tcore_wf_engine *e, const char *want) {
  uint8_t *out = NULL;
  size_t len = 0;
  tcore_error err = {0};
  int rc = tcore_wf_engine_next_activation(e, &out, &len, &err);
  CHECK(rc == TCORE_OK);
  if (rc != TCORE_OK) {
    fprintf(stderr, "  next_activation: %d %s (wanted jobs '%s')\n", rc, err.message, want);
    return NULL;
  }
  Coresdk__WorkflowActivation__WorkflowActivation *a =
      coresdk__workflow_activation__workflow_activation__unpack(NULL, len, out);
  free(out);
  CHECK(a != NULL);
  if (!a) return NULL;
  char names[512];
  job_names(a, names, sizeof names);
  CHECK(strcmp(names, want) == 0);
  if (strcmp(names, want)) fprintf(stderr, "  jobs '%s', wanted '%s'\n", names, want);
  return a;
}
static void act_free(Coresdk__WorkflowActivation__WorkflowActivation *a) {
  if (a) coresdk__workflow_activation__workflow_activation__free_unpacked(a, NULL);
}
static int next_code(tcore_wf_engine *e) {
  uint8_t *out = NULL;
  size_t len = 0;
  int rc = tcore_wf_engine_next_activation(e, &out, &len, NULL);
  free(out);
  return rc;
}

static int complete(tcore_wf_engine *e, const cmds *l, tcore_error *err) {
  wf_blob b = pack_completion(l);
  int rc = tcore_wf_engine_complete(e, b.data, b.len, err);
  free(b.data);
  return rc;
}
static void complete_ok(tcore_wf_engine *e, const cmds *l) {
  tcore_error err = {0};
  int rc = complete(e, l, &err);
  CHECK(rc == TCORE_OK);
  if (rc) fprintf(stderr, "  complete: %d %s\n", rc, err.message);
}

typedef Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest resp_t;

/* TASK_DONE, then the response; its command types (short names) in `names`. */
static resp_t *take(tcore_wf_engine *e, char *names, size_t n) {
  CHECK(next_code(e) == TCORE_WF_TASK_DONE);
  uint8_t *out = NULL;
  size_t len = 0;
  int rc = tcore_wf_engine_take_response(e, &out, &len, NULL);
  CHECK(rc == TCORE_OK);
  if (rc) return NULL;
  resp_t *r = temporal__api__workflowservice__v1__respond_workflow_task_completed_request__unpack(
      NULL, len, out);
  free(out);
  CHECK(r != NULL);
  names[0] = 0;
  for (size_t i = 0; r && i < r->n_commands; i++) {
    const char *nm = wf_command_type_name(r->commands[i]->command_type) + strlen("COMMAND_TYPE_");
    if (i) strncat(names, " ", n - strlen(names) - 1);
    strncat(names, nm, n - strlen(names) - 1);
  }
  return r;
}
static void resp_free(resp_t *r) {
  if (r) temporal__api__workflowservice__v1__respond_workflow_task_completed_request__free_unpacked(r, NULL);
}
static wf_blob poll_with_queries(int legacy);

typedef Temporal__Api__Workflowservice__V1__RespondQueryTaskCompletedRequest query_resp_t;
typedef Temporal__Api__Workflowservice__V1__RespondWorkflowTaskFailedRequest failed_t;
typedef int (*take_fn)(tcore_wf_engine *e, uint8_t **out, size_t *out_len, tcore_error *err);

/* An output of the engine: `fn` must give TCORE_OK; returns the output
 * unpacked as a `d` (free with msg_free), or NULL. */
static void *take_msg(tcore_wf_engine *e, take_fn fn, const ProtobufCMessageDescriptor *d) {
  uint8_t *out = NULL;
  size_t len = 0;
  CHECK(fn(e, &out, &len, NULL) == TCORE_OK);
  void *m = protobuf_c_message_unpack(d, NULL, len, out);
  free(out);
  return m;
}
static void msg_free(void *m) {
  if (m) protobuf_c_message_free_unpacked(m, NULL);
}
/* The legacy query's response (take_query_response). */
static query_resp_t *take_query(tcore_wf_engine *e) {
  return take_msg(e, tcore_wf_engine_take_query_response,
                  &temporal__api__workflowservice__v1__respond_query_task_completed_request__descriptor);
}
/* The failed task's RespondWorkflowTaskFailed body (tcore_wf_engine_failure). */
static failed_t *take_failure(tcore_wf_engine *e) {
  return take_msg(e, tcore_wf_engine_failure,
                  &temporal__api__workflowservice__v1__respond_workflow_task_failed_request__descriptor);
}

/* A legacy query task (poll_with_queries(1)) for `e`: add_queries must take it. */
static void add_legacy_query(tcore_wf_engine *e) {
  wf_blob q = poll_with_queries(1);
  CHECK(tcore_wf_engine_add_queries(e, q.data, q.len, NULL) == TCORE_OK);
  free(q.data);
}

/* The legacy query's activation (just its query_workflow job), answered:
 * the task is then done. */
static void answer_legacy_query(tcore_wf_engine *e) {
  Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "query_workflow");
  CHECK(a && a->n_jobs == 1 && strcmp(a->jobs[0]->query_workflow->query_id, "legacy_query") == 0);
  act_free(a);
  cmds ans = {0};
  c_query(&ans, "legacy_query", "\"v\"");
  complete_ok(e, &ans);
  CHECK(next_code(e) == TCORE_WF_TASK_DONE);
}

static int has_u32(const uint32_t *v, size_t n, uint32_t x) {
  for (size_t i = 0; i < n; i++)
    if (v[i] == x) return 1;
  return 0;
}

/* ---- 1. the run's start and end ---- */


static void test_initialize_and_complete(void) {
  hist h = {0};
  h_started(&h);
  wf_event *st = h_wft(&h);
  tcore_wf_engine *e = engine();
  CHECK(feed(e, &h, 1, 0, 1) == TCORE_OK);
  Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "initialize_workflow");
  if (a) {
    CHECK(strcmp(a->run_id, RUN_ID) == 0);
    CHECK(a->timestamp && a->timestamp->seconds == st->event_time->seconds &&
          a->timestamp->nanos == st->event_time->nanos);
    CHECK(!a->is_replaying);
    CHECK(a->history_length == 3);
    CHECK(a->history_size_bytes == 1234);
    Coresdk__WorkflowActivation__InitializeWorkflow *iw = a->jobs[0]->initialize_workflow;
    CHECK(strcmp(iw->workflow_type, "MyWorkflow") == 0);
    CHECK(strcmp(iw->workflow_id, "wf-1") == 0);
    CHECK(iw->n_arguments == 1 && iw->arguments[0]->data.len == 5);
    CHECK(iw->randomness_seed == RUN_ID_SEED);
    CHECK(iw->n_headers == 1 && strcmp(iw->headers[0]->key, "hk") == 0 &&
          iw->headers[0]->value->data.len == 2);
    CHECK(strcmp(iw->identity, "starter@host") == 0);
    CHECK(iw->attempt == 2);
    CHECK(strcmp(iw->cron_schedule, "* * * * *") == 0);
    CHECK(strcmp(iw->first_execution_run_id, "first-run") == 0);
    CHECK(strcmp(iw->continued_from_execution_run_id, "prev-run") == 0);
    CHECK(strcmp(iw->original_execution_run_id, RUN_ID) == 0);
    CHECK(iw->memo != NULL && iw->search_attributes != NULL);
    CHECK(iw->start_time && iw->start_time->seconds == 1700000001);
    CHECK(iw->retry_policy && iw->retry_policy->maximum_attempts == 7);
    CHECK(iw->workflow_execution_timeout && iw->workflow_execution_timeout->seconds == 3600);
    CHECK(iw->workflow_run_timeout && iw->workflow_run_timeout->seconds == 600);
    CHECK(iw->workflow_task_timeout && iw->workflow_task_timeout->seconds == 10);
    CHECK(iw->parent_workflow_info && strcmp(iw->parent_workflow_info->namespace_, "parent-ns") == 0 &&
          strcmp(iw->parent_workflow_info->workflow_id, "parent-wf") == 0 &&
          strcmp(iw->parent_workflow_info->run_id, "parent-run") == 0);
  }
  act_free(a);
  /* A second activation cannot be asked for while one is outstanding. */
  CHECK(next_code(e) == TCORE_ERR_INVALID_ARGUMENT);
  cmds l = {0};
  c_complete(&l, "\"result\"");
  complete_ok(e, &l);
  char names[256];
  resp_t *r = take(e, names, sizeof names);
  CHECK(strcmp(names, "COMPLETE_WORKFLOW_EXECUTION") == 0);
  if (r && r->n_commands == 1) {
    Temporal__Api__Command__V1__CompleteWorkflowExecutionCommandAttributes *c =
        r->commands[0]->complete_workflow_execution_command_attributes;
    CHECK(c && c->result && c->result->n_payloads == 1 &&
          memcmp(c->result->payloads[0]->data.data, "\"result\"", 8) == 0);
  }
  if (r) {
    Temporal__Api__Sdk__V1__WorkflowTaskCompletedMetadata *md = r->sdk_metadata;
    CHECK(md != NULL);
    if (md) {
      /* The flags this engine implements, and only those. */
      CHECK(md->n_core_used_flags == 3 && has_u32(md->core_used_flags, 3, 1) &&
            has_u32(md->core_used_flags, 3, 2) && has_u32(md->core_used_flags, 3, 3));
      CHECK(md->n_lang_used_flags == 0);
      CHECK(strcmp(md->sdk_name, TCORE_WF_SDK_NAME) == 0);
      CHECK(md->sdk_version[0] != 0);
    }
  }
  resp_free(r);
  /* The terminal command went out: the run is finished. */
  CHECK(next_code(e) == TCORE_WF_RUN_FINISHED);
  /* A legacy query task for the run still cached (the completion went out,
   * its eviction has not come yet) is answered, not dropped. */
  add_legacy_query(e);
  answer_legacy_query(e);
  query_resp_t *qr = take_query(e);
  CHECK(qr && qr->completed_type ==
                  TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_ANSWERED);
  msg_free(qr);
  CHECK(next_code(e) == TCORE_WF_RUN_FINISHED);
  tcore_wf_engine_free(e);
}

/* Terminal commands: each kind becomes its API command, last. */
static void test_terminal_commands(void) {
  static const struct {
    void (*add)(cmds *);
    const char *want;
  } cases[] = {
      {NULL, "START_TIMER COMPLETE_WORKFLOW_EXECUTION"},
      {NULL, "START_TIMER FAIL_WORKFLOW_EXECUTION"},
      {NULL, "START_TIMER CANCEL_WORKFLOW_EXECUTION"},
      {NULL, "START_TIMER CONTINUE_AS_NEW_WORKFLOW_EXECUTION"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hist h = {0};
    h_started(&h);
    h_wft(&h);
    tcore_wf_engine *e = engine();
    feed(e, &h, 1, 0, 1);
    act_free(next_act(e, "initialize_workflow"));
    cmds l = {0};
    /* the terminal command first, a timer after it: the timer goes first */
    switch (i) {
      case 0: c_complete(&l, NULL); break;
      case 1: c_fail(&l, "failed on purpose"); break;
      case 2: c_cancel_wf(&l); break;
      default: c_continue_as_new(&l); break;
    }
    c_start_timer(&l, 1, 5);
    c_complete(&l, NULL); /* a second terminal command is dropped */
    complete_ok(e, &l);
    char names[256];
    resp_t *r = take(e, names, sizeof names);
    CHECK(strcmp(names, cases[i].want) == 0);
    if (strcmp(names, cases[i].want)) fprintf(stderr, "  case %zu: '%s'\n", i, names);
    if (r && i == 1 && r->n_commands == 2)
      CHECK(strcmp(r->commands[1]->fail_workflow_execution_command_attributes->failure->message,
                   "failed on purpose") == 0);
    if (r && i == 3 && r->n_commands == 2) {
      Temporal__Api__Command__V1__ContinueAsNewWorkflowExecutionCommandAttributes *c =
          r->commands[1]->continue_as_new_workflow_execution_command_attributes;
      /* defaults: this workflow's type and task queue */
      CHECK(strcmp(c->workflow_type->name, "MyWorkflow") == 0);
      CHECK(strcmp(c->task_queue->name, "tq") == 0);
      CHECK(c->input && c->input->n_payloads == 1);
      CHECK(c->workflow_run_timeout && c->workflow_run_timeout->seconds == 60);
    }
    resp_free(r);
    tcore_wf_engine_free(e);
  }
}

/* Replaying a history written without flag 3: commands after the first
 * terminal one were dropped (the old behaviour), and that still replays. */
static void test_terminal_old_behaviour_replays(void) {
  for (int with_flag = 0; with_flag < 2; with_flag++) {
    hist h = {0};
    h_started(&h);
    h_wft(&h);
    static const uint32_t only1[] = {1, 0};
    h_wft_completed_md(&h, with_flag ? FLAGS_1_2_3 : only1, NULL, NULL);
    if (with_flag) h_timer_started(&h, "1");
    add(&h, ET(WORKFLOW_EXECUTION_COMPLETED));
    tcore_wf_engine *e = engine();
    feed(e, &h, 1, 0, 1);
    Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "initialize_workflow");
    CHECK(a && a->is_replaying);
    act_free(a);
    cmds l = {0};
    c_complete(&l, NULL);
    c_start_timer(&l, 1, 5);
    complete_ok(e, &l);
    CHECK(next_code(e) == TCORE_WF_RUN_FINISHED);
    tcore_wf_engine_free(e);
  }
}

/* ---- 2. timers ---- */

static void test_timer_replay_and_fire(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  h_wft_completed(&h);
  wf_event *ts = h_timer_started(&h, "1");
  h_timer_fired(&h, "1", ts->event_id);
  wf_event *st = h_wft(&h);
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "initialize_workflow");
  CHECK(a && a->is_replaying && a->history_length == 3);
  act_free(a);
  cmds l = {0};
  c_start_timer(&l, 1, 5);
  complete_ok(e, &l);
  a = next_act(e, "fire_timer");
  CHECK(a && !a->is_replaying && a->history_length == (uint32_t)st->event_id);
  CHECK(a && a->jobs[0]->fire_timer->seq == 1);
  CHECK(a && a->timestamp->seconds == st->event_time->seconds);
  act_free(a);
  cmds l2 = {0};
  c_complete(&l2, NULL);
  complete_ok(e, &l2);
  char names[256];
  resp_t *r = take(e, names, sizeof names);
  CHECK(strcmp(names, "COMPLETE_WORKFLOW_EXECUTION") == 0);
  /* history already has flags 1, 2 and 3: not written again */
  CHECK(r && r->sdk_metadata && r->sdk_metadata->n_core_used_flags == 0);
  resp_free(r);
  tcore_wf_engine_free(e);
}

/* A sticky task: only the new events arrive, starting with the
 * WorkflowTaskCompleted of our own response. */
static void test_timer_incremental_and_cancel(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h); /* 2, 3 */
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  act_free(next_act(e, "initialize_workflow"));
  cmds l = {0};
  c_start_timer(&l, 1, 5);
  c_start_timer(&l, 2, 50);
  c_start_timer(&l, 3, 1);
  c_cancel_timer(&l, 3); /* cancelled before sent: no command at all */
  complete_ok(e, &l);
  char names[256];
  resp_t *r = take(e, names, sizeof names);
  CHECK(strcmp(names, "START_TIMER START_TIMER") == 0);
  if (r && r->n_commands == 2) {
    CHECK(strcmp(r->commands[0]->start_timer_command_attributes->timer_id, "1") == 0);
    CHECK(r->commands[1]->start_timer_command_attributes->start_to_fire_timeout->seconds == 50);
  }
  resp_free(r);
  CHECK(next_code(e) == TCORE_WF_NEED_HISTORY);
  size_t next = h.n + 1;
  h_wft_completed(&h);                          /* 4 */
  wf_event *t1 = h_timer_started(&h, "1");      /* 5 */
  wf_event *t2 = h_timer_started(&h, "2");      /* 6 */
  h_timer_fired(&h, "1", t1->event_id);         /* 7 */
  h_wft(&h);                                    /* 8, 9 */
  CHECK(feed(e, &h, (int64_t)next, 0, 1) == TCORE_OK);
  act_free(next_act(e, "fire_timer"));
  cmds l2 = {0};
  c_cancel_timer(&l2, 2);
  c_cancel_timer(&l2, 1); /* already fired: nothing */
  complete_ok(e, &l2);
  r = take(e, names, sizeof names);
  CHECK(strcmp(names, "CANCEL_TIMER") == 0);
  if (r && r->n_commands == 1)
    CHECK(strcmp(r->commands[0]->cancel_timer_command_attributes->timer_id, "2") == 0);
  resp_free(r);
  next = h.n + 1;
  h_wft_completed(&h);
  h_timer_canceled(&h, "2", t2->event_id);
  h_signal(&h, "s");
  h_wft(&h);
  CHECK(feed(e, &h, (int64_t)next, 0, 1) == TCORE_OK);
  act_free(next_act(e, "signal_workflow"));
  tcore_wf_engine_free(e);
}

/* ---- 3. activities ---- */

/* How each ending resolves the activity. */
static void test_activity_endings(void) {
  static const struct {
    int event;
    int status; /* ActivityResolution status case */
    const char *message;
  } cases[] = {
      {ET(ACTIVITY_TASK_COMPLETED), CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_COMPLETED, NULL},
      {ET(ACTIVITY_TASK_FAILED), CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_FAILED,
       "Activity task failed"},
      {ET(ACTIVITY_TASK_TIMED_OUT), CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_FAILED,
       "Activity task timed out"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hist h = {0};
    h_started(&h);
    h_wft(&h);
    h_wft_completed(&h);
    wf_event *s = h_act_scheduled(&h, "act-1", "DoIt");
    wf_event *st = h_act_started(&h, s->event_id);
    h_act_end(&h, cases[i].event, s->event_id, st->event_id);
    h_wft(&h);
    tcore_wf_engine *e = engine();
    feed(e, &h, 1, 0, 1);
    act_free(next_act(e, "initialize_workflow"));
    cmds l = {0};
    c_activity(&l, 1, "act-1", "DoIt", 0);
    complete_ok(e, &l);
    Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "resolve_activity");
    if (a && a->n_jobs == 1) {
      Coresdk__WorkflowActivation__ResolveActivity *ra = a->jobs[0]->resolve_activity;
      CHECK(ra->seq == 1 && !ra->is_local);
      CHECK(ra->result && (int)ra->result->status_case == cases[i].status);
      if (cases[i].status == CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_COMPLETED) {
        CHECK(ra->result->completed->result &&
              memcmp(ra->result->completed->result->data.data, "\"done\"", 6) == 0);
      } else {
        Temporal__Api__Failure__V1__Failure *f = ra->result->failed->failure;
        CHECK(f && strcmp(f->message, cases[i].message) == 0);
        CHECK(f && f->cause && f->cause->message[0]);
        CHECK(f && f->failure_info_case == TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_ACTIVITY_FAILURE_INFO &&
              strcmp(f->activity_failure_info->activity_id, "act-1") == 0 &&
              strcmp(f->activity_failure_info->activity_type->name, "DoIt") == 0 &&
              f->activity_failure_info->scheduled_event_id == s->event_id &&
              f->activity_failure_info->started_event_id == st->event_id);
      }
    }
    act_free(a);
    tcore_wf_engine_free(e);
  }
}

static void test_activity_schedule_attributes(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  act_free(next_act(e, "initialize_workflow"));
  cmds l = {0};
  c_activity(&l, 7, "", "DoIt", 0);
  complete_ok(e, &l);
  char names[256];
  resp_t *r = take(e, names, sizeof names);
  CHECK(strcmp(names, "SCHEDULE_ACTIVITY_TASK") == 0);
  if (r && r->n_commands == 1) {
    Temporal__Api__Command__V1__ScheduleActivityTaskCommandAttributes *s =
        r->commands[0]->schedule_activity_task_command_attributes;
    CHECK(strcmp(s->activity_id, "7") == 0); /* no id given: the seq */
    CHECK(strcmp(s->activity_type->name, "DoIt") == 0);
    CHECK(strcmp(s->task_queue->name, "tq") == 0);
    CHECK(s->schedule_to_close_timeout->seconds == 100 && s->schedule_to_start_timeout->seconds == 20 &&
          s->start_to_close_timeout->seconds == 30 && s->heartbeat_timeout->seconds == 4);
    CHECK(s->retry_policy && s->retry_policy->maximum_attempts == 3);
    CHECK(s->header && s->header->n_fields == 1 && strcmp(s->header->fields[0]->key, "ah") == 0);
    CHECK(s->input && s->input->n_payloads == 1);
    CHECK(!s->request_eager_execution);
  }
  resp_free(r);
  tcore_wf_engine_free(e);
}

/* Cancellation types: what is sent and when the activity resolves. */
static void test_activity_cancellation(void) {
  static const struct {
    int type;
    const char *after_cancel; /* jobs in the same task after the cancel */
    const char *sent;         /* commands of that task */
    int wait_for_event;       /* resolution comes with ActivityTaskCanceled */
  } cases[] = {
      {CORESDK__WORKFLOW_COMMANDS__ACTIVITY_CANCELLATION_TYPE__TRY_CANCEL, "resolve_activity",
       "REQUEST_CANCEL_ACTIVITY_TASK", 0},
      {CORESDK__WORKFLOW_COMMANDS__ACTIVITY_CANCELLATION_TYPE__WAIT_CANCELLATION_COMPLETED, NULL,
       "REQUEST_CANCEL_ACTIVITY_TASK", 1},
      {CORESDK__WORKFLOW_COMMANDS__ACTIVITY_CANCELLATION_TYPE__ABANDON, "resolve_activity", "", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hist h = {0};
    h_started(&h);
    h_wft(&h);
    h_wft_completed(&h);
    wf_event *s = h_act_scheduled(&h, "a", "T");
    wf_event *st = h_act_started(&h, s->event_id);
    h_signal(&h, "go");
    h_wft(&h);
    tcore_wf_engine *e = engine();
    feed(e, &h, 1, 0, 1);
    act_free(next_act(e, "initialize_workflow"));
    cmds l = {0};
    c_activity(&l, 1, "a", "T", cases[i].type);
    complete_ok(e, &l);
    act_free(next_act(e, "signal_workflow"));
    cmds l2 = {0};
    c_cancel_activity(&l2, 1);
    complete_ok(e, &l2);
    if (cases[i].after_cancel) {
      Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, cases[i].after_cancel);
      if (a && a->n_jobs == 1) {
        Coresdk__ActivityResult__ActivityResolution *res = a->jobs[0]->resolve_activity->result;
        CHECK(res->status_case == CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_CANCELLED);
        CHECK(res->cancelled->failure && res->cancelled->failure->cause &&
              res->cancelled->failure->cause->failure_info_case ==
                  TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO);
      }
      act_free(a);
      complete_ok(e, NULL);
    }
    char names[256];
    resp_t *r = take(e, names, sizeof names);
    CHECK(strcmp(names, cases[i].sent) == 0);
    if (strcmp(names, cases[i].sent)) fprintf(stderr, "  case %zu sent '%s'\n", i, names);
    if (r && r->n_commands == 1)
      CHECK(r->commands[0]->request_cancel_activity_task_command_attributes->scheduled_event_id ==
            s->event_id);
    resp_free(r);
    /* The server's answer. */
    size_t next = h.n + 1;
    h_wft_completed(&h);
    if (*cases[i].sent) h_act_cancel_requested(&h, s->event_id);
    h_act_end(&h, ET(ACTIVITY_TASK_CANCELED), s->event_id, st->event_id);
    h_signal(&h, "again");
    h_wft(&h);
    CHECK(feed(e, &h, (int64_t)next, 0, 1) == TCORE_OK);
    Coresdk__WorkflowActivation__WorkflowActivation *a =
        next_act(e, cases[i].wait_for_event ? "signal_workflow resolve_activity" : "signal_workflow");
    if (a && cases[i].wait_for_event && a->n_jobs == 2) {
      Coresdk__ActivityResult__ActivityResolution *res = a->jobs[1]->resolve_activity->result;
      CHECK(res->status_case == CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_CANCELLED);
      CHECK(strcmp(res->cancelled->failure->message, "Activity cancelled") == 0);
      CHECK(res->cancelled->failure->cause->failure_info_case ==
                TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO &&
            res->cancelled->failure->cause->canceled_failure_info->details != NULL);
    }
    act_free(a);
    tcore_wf_engine_free(e);
  }
}

static void test_activity_cancel_before_sent(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  act_free(next_act(e, "initialize_workflow"));
  cmds l = {0};
  c_activity(&l, 1, "a", "T", CORESDK__WORKFLOW_COMMANDS__ACTIVITY_CANCELLATION_TYPE__WAIT_CANCELLATION_COMPLETED);
  c_cancel_activity(&l, 1);
  complete_ok(e, &l);
  act_free(next_act(e, "resolve_activity"));
  complete_ok(e, NULL);
  char names[256];
  resp_t *r = take(e, names, sizeof names);
  CHECK(strcmp(names, "") == 0);
  resp_free(r);
  tcore_wf_engine_free(e);
}

/* ---- 4. signals, cancel requests, search attributes, memo ---- */

static void test_job_order_and_properties(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  h_wft_completed(&h);
  wf_event *ts = h_timer_started(&h, "1");
  add(&h, ET(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES));
  add(&h, ET(WORKFLOW_PROPERTIES_MODIFIED));
  h_timer_fired(&h, "1", ts->event_id);
  h_cancel_requested(&h);
  h_signal(&h, "first");
  h_signal(&h, "second");
  h_wft(&h);
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  act_free(next_act(e, "initialize_workflow"));
  cmds l = {0};
  c_start_timer(&l, 1, 5);
  c_upsert(&l);
  c_memo(&l);
  complete_ok(e, &l);
  /* signals first (in their order), then the rest in history order */
  Coresdk__WorkflowActivation__WorkflowActivation *a =
      next_act(e, "signal_workflow signal_workflow fire_timer cancel_workflow");
  if (a && a->n_jobs == 4) {
    Coresdk__WorkflowActivation__SignalWorkflow *s = a->jobs[0]->signal_workflow;
    CHECK(strcmp(s->signal_name, "first") == 0 && strcmp(a->jobs[1]->signal_workflow->signal_name, "second") == 0);
    CHECK(s->n_input == 1 && strcmp(s->identity, "signaller") == 0);
    CHECK(s->n_headers == 1 && strcmp(s->headers[0]->key, "sk") == 0);
    CHECK(s->originating_event_id > 0);
    CHECK(strcmp(a->jobs[3]->cancel_workflow->reason, "user asked") == 0);
  }
  act_free(a);
  cmds l2 = {0};
  c_upsert(&l2);
  c_memo(&l2);
  c_cancel_wf(&l2);
  complete_ok(e, &l2);
  char names[256];
  resp_t *r = take(e, names, sizeof names);
  CHECK(strcmp(names, "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES MODIFY_WORKFLOW_PROPERTIES CANCEL_WORKFLOW_EXECUTION") == 0);
  if (r && r->n_commands == 3) {
    CHECK(r->commands[0]->upsert_workflow_search_attributes_command_attributes->search_attributes != NULL);
    CHECK(r->commands[1]->modify_workflow_properties_command_attributes->upserted_memo != NULL);
  }
  resp_free(r);
  tcore_wf_engine_free(e);
}

/* A reset (WorkflowTaskFailed, cause RESET_WORKFLOW) gives a new seed,
 * ordered after init and before signals. */
static void test_reset_random_seed(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  wf_event *f = add(&h, ET(WORKFLOW_TASK_FAILED));
  Temporal__Api__History__V1__WorkflowTaskFailedEventAttributes *fa =
      NEW(Temporal__Api__History__V1__WorkflowTaskFailedEventAttributes,
          temporal__api__history__v1__workflow_task_failed_event_attributes__init);
  fa->cause = TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW;
  fa->new_run_id = S("abc");
  f->attributes_case = HA(WORKFLOW_TASK_FAILED_EVENT_ATTRIBUTES);
  f->workflow_task_failed_event_attributes = fa;
  h_signal(&h, "s");
  h_wft(&h);
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  Coresdk__WorkflowActivation__WorkflowActivation *a =
      next_act(e, "initialize_workflow update_random_seed signal_workflow");
  /* CPython's siphash13, PYTHONHASHSEED=0: hash(b"abc\xff") */
  if (a && a->n_jobs == 3) CHECK(a->jobs[1]->update_random_seed->randomness_seed == 17224545590736200989ULL);
  CHECK(a && a->history_length == 7);
  act_free(a);
  tcore_wf_engine_free(e);
}

/* ---- 5. queries ---- */

static wf_blob poll_with_queries(int legacy) {
  Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse r =
      TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_TASK_QUEUE_RESPONSE__INIT;
  Temporal__Api__Query__V1__WorkflowQuery *q =
      NEW(Temporal__Api__Query__V1__WorkflowQuery, temporal__api__query__v1__workflow_query__init);
  q->query_type = S("state");
  q->query_args = payloads1("\"qa\"");
  q->header = header1("qh", "qv");
  Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse__QueriesEntry *ents[2];
  if (legacy) {
    r.query = q;
  } else {
    for (int i = 0; i < 2; i++) {
      ents[i] = NEW(Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse__QueriesEntry,
                    temporal__api__workflowservice__v1__poll_workflow_task_queue_response__queries_entry__init);
      ents[i]->key = S(i ? "q2" : "q1");
      ents[i]->value = q;
    }
    r.n_queries = 2;
    r.queries = ents;
  }
  wf_blob b = {0};
  wf_pack(&r.base, &b);
  return b;
}

static void test_queries_in_task(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  wf_blob q = poll_with_queries(0);
  CHECK(tcore_wf_engine_add_queries(e, q.data, q.len, NULL) == TCORE_OK);
  free(q.data);
  act_free(next_act(e, "initialize_workflow"));
  cmds l = {0};
  c_start_timer(&l, 1, 5);
  complete_ok(e, &l);
  Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "query_workflow query_workflow");
  if (a && a->n_jobs == 2) {
    Coresdk__WorkflowActivation__QueryWorkflow *qw = a->jobs[0]->query_workflow;
    CHECK(strcmp(qw->query_id, "q1") == 0 && strcmp(qw->query_type, "state") == 0);
    CHECK(qw->n_arguments == 1 && qw->n_headers == 1);
    CHECK(strcmp(a->jobs[1]->query_workflow->query_id, "q2") == 0);
  }
  act_free(a);
  /* A query activation takes only query answers. */
  cmds bad = {0};
  c_start_timer(&bad, 2, 5);
  CHECK(complete(e, &bad, NULL) == TCORE_WF_ACTIVATION_FAILED);
  tcore_wf_engine_free(e);

  e = engine();
  feed(e, &h, 1, 0, 1);
  q = poll_with_queries(0);
  tcore_wf_engine_add_queries(e, q.data, q.len, NULL);
  free(q.data);
  act_free(next_act(e, "initialize_workflow"));
  complete_ok(e, &l);
  act_free(next_act(e, "query_workflow query_workflow"));
  cmds ans = {0};
  c_query(&ans, "q1", "\"fine\"");
  c_query(&ans, "q2", NULL);
  complete_ok(e, &ans);
  char names[256];
  resp_t *r = take(e, names, sizeof names);
  CHECK(strcmp(names, "START_TIMER") == 0);
  CHECK(r && r->n_query_results == 2);
  if (r && r->n_query_results == 2) {
    CHECK(strcmp(r->query_results[0]->key, "q1") == 0);
    CHECK(r->query_results[0]->value->result_type == TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_ANSWERED);
    CHECK(r->query_results[0]->value->answer->n_payloads == 1);
    CHECK(r->query_results[1]->value->result_type == TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_FAILED);
    CHECK(strcmp(r->query_results[1]->value->error_message, "no such query") == 0);
  }
  resp_free(r);
  tcore_wf_engine_free(e);
}

static void test_legacy_query(void) {
  /* A finished run, not cached: replay it, then answer. */
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  h_wft_completed(&h);
  add(&h, ET(WORKFLOW_EXECUTION_COMPLETED));
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  add_legacy_query(e);
  act_free(next_act(e, "initialize_workflow"));
  cmds l = {0};
  c_complete(&l, NULL);
  complete_ok(e, &l);
  answer_legacy_query(e);
  uint8_t *out = NULL;
  size_t len = 0;
  CHECK(tcore_wf_engine_take_response(e, &out, &len, NULL) == TCORE_ERR_INVALID_ARGUMENT);
  query_resp_t *r = take_query(e);
  CHECK(r && r->completed_type == TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_ANSWERED);
  CHECK(r && r->query_result && r->query_result->n_payloads == 1);
  msg_free(r);

  /* The language fails the query activation: the query fails, not the task. */
  add_legacy_query(e);
  act_free(next_act(e, "query_workflow"));
  Coresdk__WorkflowCompletion__WorkflowActivationCompletion c =
      CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__INIT;
  Coresdk__WorkflowCompletion__Failure f = CORESDK__WORKFLOW_COMPLETION__FAILURE__INIT;
  f.failure = failure("query handler raised");
  c.status_case = CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__STATUS_FAILED;
  c.failed = &f;
  wf_blob b = {0};
  wf_pack(&c.base, &b);
  CHECK(tcore_wf_engine_complete(e, b.data, b.len, NULL) == TCORE_OK);
  free(b.data);
  CHECK(next_code(e) == TCORE_WF_TASK_DONE);
  r = take_query(e);
  CHECK(r && r->completed_type == TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_FAILED);
  CHECK(r && strcmp(r->error_message, "query handler raised") == 0);
  msg_free(r);
  tcore_wf_engine_free(e);
}

/* ---- 6. non-determinism, failures, flags ---- */

static void test_nondeterminism(void) {
  static const struct {
    int event; /* the command event in history after the first task */
    int lang;  /* 0 none, 1 timer seq 1, 2 timer seq 2, 3 activity T, 4 activity U, 5 complete */
    const uint32_t *core_flags;
    const char *want; /* substring of the message, NULL: no error */
  } cases[] = {
      {ET(TIMER_STARTED), 1, FLAGS_1_2_3, NULL},
      {ET(TIMER_STARTED), 0, FLAGS_1_2_3, "No command scheduled for event 5 (EVENT_TYPE_TIMER_STARTED)"},
      {ET(TIMER_STARTED), 3, FLAGS_1_2_3, "Event 5 (EVENT_TYPE_TIMER_STARTED) does not match"},
      {ET(TIMER_STARTED), 2, FLAGS_1_2_3, "Timer id of event 5 (EVENT_TYPE_TIMER_STARTED) is '1'"},
      {ET(ACTIVITY_TASK_SCHEDULED), 3, FLAGS_1_2_3, NULL},
      {ET(ACTIVITY_TASK_SCHEDULED), 4, FLAGS_1_2_3, "Activity type of scheduled event 5 'T'"},
      /* without flag 1 in history, ids and types are not compared */
      {ET(ACTIVITY_TASK_SCHEDULED), 4, NULL, NULL},
      {ET(ACTIVITY_TASK_SCHEDULED), 5, FLAGS_1_2_3, "COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION"},
      {ET(WORKFLOW_EXECUTION_COMPLETED), 1, FLAGS_1_2_3, "history expects a COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hist h = {0};
    h_started(&h);
    h_wft(&h);
    h_wft_completed_md(&h, cases[i].core_flags, NULL, NULL);
    if (cases[i].event == ET(TIMER_STARTED)) h_timer_started(&h, "1");
    else if (cases[i].event == ET(ACTIVITY_TASK_SCHEDULED)) h_act_scheduled(&h, "a", "T");
    else add(&h, cases[i].event);
    h_wft(&h);
    tcore_wf_engine *e = engine();
    feed(e, &h, 1, 0, 1);
    act_free(next_act(e, "initialize_workflow"));
    cmds l = {0};
    switch (cases[i].lang) {
      case 1: c_start_timer(&l, 1, 5); break;
      case 2: c_start_timer(&l, 2, 5); break;
      case 3: c_activity(&l, 1, "a", "T", 0); break;
      case 4: c_activity(&l, 1, "a", "U", 0); break;
      case 5: c_complete(&l, NULL); break;
      default: break;
    }
    tcore_error err = {0};
    int rc = complete(e, &l, &err);
    if (!cases[i].want) {
      CHECK(rc == TCORE_OK);
      if (rc) fprintf(stderr, "  case %zu: %s\n", i, err.message);
    } else {
      CHECK(rc == TCORE_WF_NONDETERMINISM);
      CHECK(strstr(err.message, cases[i].want) != NULL);
      CHECK(strstr(err.message, "[TMPRL1100]") != NULL);
      if (!strstr(err.message, cases[i].want)) fprintf(stderr, "  case %zu: '%s'\n", i, err.message);
      failed_t *f = take_failure(e);
      CHECK(f && f->cause == TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR);
      CHECK(f && f->failure && strstr(f->failure->message, cases[i].want));
      msg_free(f);
      /* The engine is spent. */
      CHECK(next_code(e) == TCORE_ERR_INVALID_ARGUMENT);
    }
    tcore_wf_engine_free(e);
  }
}

/* Non-determinism found in the next task's events (our own commands). */
static void test_nondeterminism_on_new_history(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  act_free(next_act(e, "initialize_workflow"));
  cmds l = {0};
  c_start_timer(&l, 1, 5);
  complete_ok(e, &l);
  char names[64];
  resp_free(take(e, names, sizeof names));
  size_t next = h.n + 1;
  h_wft_completed(&h);
  h_timer_started(&h, "9");
  h_wft(&h);
  wf_blob b = pack_hist(&h, (int64_t)next, 0);
  tcore_error err = {0};
  CHECK(tcore_wf_engine_add_history(e, b.data, b.len, 1, &err) == TCORE_WF_NONDETERMINISM);
  CHECK(strstr(err.message, "Timer id of event 5") != NULL);
  free(b.data);
  tcore_wf_engine_free(e);
}

static void test_activation_failed(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  act_free(next_act(e, "initialize_workflow"));
  Coresdk__WorkflowCompletion__WorkflowActivationCompletion c =
      CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__INIT;
  Coresdk__WorkflowCompletion__Failure f = CORESDK__WORKFLOW_COMPLETION__FAILURE__INIT;
  f.failure = failure("workflow code raised");
  c.status_case = CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__STATUS_FAILED;
  c.failed = &f;
  wf_blob b = {0};
  wf_pack(&c.base, &b);
  CHECK(tcore_wf_engine_complete(e, b.data, b.len, NULL) == TCORE_WF_ACTIVATION_FAILED);
  free(b.data);
  failed_t *r = take_failure(e);
  CHECK(r && r->cause == TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE);
  CHECK(r && r->failure && strcmp(r->failure->message, "workflow code raised") == 0);
  msg_free(r);
  tcore_wf_engine_free(e);
}

static void test_flags_and_sdk_metadata(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  static const uint32_t lang1[] = {1, 0};
  h_wft_completed_md(&h, FLAGS_1_2_3, lang1, "temporal-python");
  h_timer_started(&h, "1");
  h_signal(&h, "s");
  h_wft(&h);
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  act_free(next_act(e, "initialize_workflow"));
  cmds l = {0};
  c_start_timer(&l, 1, 5);
  complete_ok(e, &l);
  Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "signal_workflow");
  CHECK(a && a->n_available_internal_flags == 1 && a->available_internal_flags[0] == 1);
  CHECK(a && strcmp(a->last_sdk_version, "1.35.0") == 0);
  act_free(a);
  cmds l2 = {0};
  l2.flags[0] = 1;
  l2.flags[1] = 2;
  l2.nflags = 2;
  complete_ok(e, &l2);
  char names[64];
  resp_t *r = take(e, names, sizeof names);
  if (r && r->sdk_metadata) {
    Temporal__Api__Sdk__V1__WorkflowTaskCompletedMetadata *md = r->sdk_metadata;
    CHECK(md->n_core_used_flags == 0);                                    /* all in history */
    CHECK(md->n_lang_used_flags == 1 && md->lang_used_flags[0] == 2);     /* only the new one */
    CHECK(strcmp(md->sdk_name, TCORE_WF_SDK_NAME) == 0);                  /* differs from history */
  } else {
    CHECK(0);
  }
  resp_free(r);
  tcore_wf_engine_free(e);
}

/* Empty "heartbeat" tasks (completed with no command event, scheduled again
 * at once) fold into the next task, as sdk-core applies them. */
static void test_heartbeat_tasks_fold(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);           /* 2, 3 */
  h_wft_completed(&h); /* 4 */
  wf_event *st = h_wft(&h); /* 5, 6 */
  h_wft_completed(&h);      /* 7 */
  wf_event *ts = h_timer_started(&h, "1");
  h_timer_fired(&h, "1", ts->event_id);
  h_wft(&h); /* 10, 11 */
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "initialize_workflow");
  CHECK(a && a->is_replaying && a->history_length == (uint32_t)st->event_id);
  CHECK(a && a->timestamp->seconds == st->event_time->seconds);
  act_free(a);
  cmds l = {0};
  c_start_timer(&l, 1, 5);
  complete_ok(e, &l);
  act_free(next_act(e, "fire_timer"));
  complete_ok(e, NULL);
  char names[64];
  resp_t *r = take(e, names, sizeof names);
  CHECK(r && r->n_commands == 0);
  resp_free(r);
  /* A task completed with no commands, then a signal: the new task's
   * history has no command event at all. */
  size_t next = h.n + 1;
  h_wft_completed(&h);
  h_signal(&h, "s");
  h_wft(&h);
  CHECK(feed(e, &h, (int64_t)next, 0, 1) == TCORE_OK);
  a = next_act(e, "signal_workflow");
  CHECK(a && !a->is_replaying && a->history_length == (uint32_t)h.n);
  act_free(a);
  tcore_wf_engine_free(e);
}

/* A task whose attempt was cut short by termination gives no activation. */
static void test_terminated_run(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  h_wft_completed(&h);
  h_timer_started(&h, "1");
  h_signal(&h, "s");
  h_wft(&h);
  add(&h, ET(WORKFLOW_EXECUTION_TERMINATED));
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  act_free(next_act(e, "initialize_workflow"));
  cmds l = {0};
  c_start_timer(&l, 1, 5);
  complete_ok(e, &l);
  CHECK(next_code(e) == TCORE_WF_RUN_FINISHED);
  tcore_wf_engine_free(e);
}

static void test_unsupported_command_and_eviction(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  act_free(next_act(e, "initialize_workflow"));
  cmds l = {0};
  wf_lang_cmd *c = cmd(&l, CV(SCHEDULE_NEXUS_OPERATION)); /* Nexus: not supported yet */
  c->schedule_nexus_operation = NEW(Coresdk__WorkflowCommands__ScheduleNexusOperation,
                                    coresdk__workflow_commands__schedule_nexus_operation__init);
  tcore_error err = {0};
  CHECK(complete(e, &l, &err) == TCORE_WF_ACTIVATION_FAILED);
  CHECK(strstr(err.message, "schedule_nexus_operation") != NULL);
  failed_t *f = take_failure(e);
  CHECK(f && f->failure && strstr(f->failure->message, "not supported"));
  msg_free(f);
  uint8_t *out = NULL;
  size_t len = 0;
  CHECK(tcore_wf_engine_eviction(e, CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__NONDETERMINISM,
                                 "bye", &out, &len, NULL) == TCORE_OK);
  Coresdk__WorkflowActivation__WorkflowActivation *a =
      coresdk__workflow_activation__workflow_activation__unpack(NULL, len, out);
  free(out);
  CHECK(a && a->n_jobs == 1 && a->jobs[0]->variant_case == JV(REMOVE_FROM_CACHE) &&
        strcmp(a->jobs[0]->remove_from_cache->message, "bye") == 0 &&
        a->jobs[0]->remove_from_cache->reason == CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__EVICTION_REASON__NONDETERMINISM);
  CHECK(a && strcmp(a->run_id, RUN_ID) == 0);
  act_free(a);
  tcore_wf_engine_free(e);
}

/* ---- child workflows and external workflows ---- */

#define HCHILD(X) Temporal__Api__History__V1__##X
/* Declares `a`, the event's attributes of that kind, and sets them on `e`. */
#define EV_ATTRS(a, Type, lower, UPPER)                                                        \
  HCHILD(Type##EventAttributes) *a = NEW(HCHILD(Type##EventAttributes),                        \
                                         temporal__api__history__v1__##lower##_event_attributes__init); \
  e->attributes_case = HA(UPPER##_EVENT_ATTRIBUTES);                                           \
  e->lower##_event_attributes = a
#define CHILD_RUN "child-run-1"

static wf_event *h_child_initiated(hist *h, const char *id, const char *type) {
  wf_event *e = add(h, ET(START_CHILD_WORKFLOW_EXECUTION_INITIATED));
  HCHILD(StartChildWorkflowExecutionInitiatedEventAttributes) *a =
      NEW(HCHILD(StartChildWorkflowExecutionInitiatedEventAttributes),
          temporal__api__history__v1__start_child_workflow_execution_initiated_event_attributes__init);
  a->workflow_id = S(id);
  a->workflow_type = NEW(Temporal__Api__Common__V1__WorkflowType, temporal__api__common__v1__workflow_type__init);
  a->workflow_type->name = S(type);
  e->attributes_case = HA(START_CHILD_WORKFLOW_EXECUTION_INITIATED_EVENT_ATTRIBUTES);
  e->start_child_workflow_execution_initiated_event_attributes = a;
  return e;
}
static Temporal__Api__Common__V1__WorkflowExecution *child_exec(const char *id) {
  Temporal__Api__Common__V1__WorkflowExecution *we = NEW(
      Temporal__Api__Common__V1__WorkflowExecution, temporal__api__common__v1__workflow_execution__init);
  we->workflow_id = S(id);
  we->run_id = S(CHILD_RUN);
  return we;
}
/* One case of the builders below: the event's attributes `a` with the
 * initiated event id, then `...` (statements on `a`). */
#define FOR_INITIATED(UPPER, Type, lower, ...)     \
  case ET(UPPER): {                                \
    EV_ATTRS(a, Type, lower, UPPER);               \
    a->initiated_event_id = initiated;             \
    __VA_ARGS__;                                   \
    break;                                         \
  }

/* A child event after its initiation: STARTED, START_FAILED, COMPLETED,
 * FAILED, TIMED_OUT, CANCELED, TERMINATED. */
static wf_event *h_child(hist *h, int type, int64_t initiated, int64_t started) {
  wf_event *e = add(h, type);
  switch (type) {
    FOR_INITIATED(START_CHILD_WORKFLOW_EXECUTION_FAILED, StartChildWorkflowExecutionFailed,
                  start_child_workflow_execution_failed, a->workflow_id = S("kid");
                  a->cause = TEMPORAL__API__ENUMS__V1__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS)
    FOR_INITIATED(CHILD_WORKFLOW_EXECUTION_STARTED, ChildWorkflowExecutionStarted,
                  child_workflow_execution_started, a->workflow_execution = child_exec("kid"))
    FOR_INITIATED(CHILD_WORKFLOW_EXECUTION_COMPLETED, ChildWorkflowExecutionCompleted,
                  child_workflow_execution_completed, a->started_event_id = started;
                  a->result = payloads1("\"kid-result\""))
    FOR_INITIATED(CHILD_WORKFLOW_EXECUTION_FAILED, ChildWorkflowExecutionFailed,
                  child_workflow_execution_failed, a->started_event_id = started;
                  a->failure = failure("kid broke");
                  a->retry_state = TEMPORAL__API__ENUMS__V1__RETRY_STATE__RETRY_STATE_RETRY_POLICY_NOT_SET)
    FOR_INITIATED(CHILD_WORKFLOW_EXECUTION_TIMED_OUT, ChildWorkflowExecutionTimedOut,
                  child_workflow_execution_timed_out, a->started_event_id = started;
                  a->retry_state = TEMPORAL__API__ENUMS__V1__RETRY_STATE__RETRY_STATE_TIMEOUT)
    FOR_INITIATED(CHILD_WORKFLOW_EXECUTION_CANCELED, ChildWorkflowExecutionCanceled,
                  child_workflow_execution_canceled, a->started_event_id = started)
    FOR_INITIATED(CHILD_WORKFLOW_EXECUTION_TERMINATED, ChildWorkflowExecutionTerminated,
                  child_workflow_execution_terminated, a->started_event_id = started)
  }
  return e;
}
/* RequestCancelExternal / SignalExternal initiated (`initiated` unused), and
 * their outcome (EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED / _SIGNALED or
 * the failures). */
static wf_event *h_ext(hist *h, int type, int64_t initiated) {
  wf_event *e = add(h, type);
  switch (type) {
    case ET(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED): {
      EV_ATTRS(a, RequestCancelExternalWorkflowExecutionInitiated,
               request_cancel_external_workflow_execution_initiated,
               REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED);
      a->workflow_execution = child_exec("kid");
      a->child_workflow_only = 1;
      break;
    }
    case ET(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED): {
      EV_ATTRS(a, SignalExternalWorkflowExecutionInitiated,
               signal_external_workflow_execution_initiated,
               SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED);
      a->workflow_execution = child_exec("kid");
      a->signal_name = S("poke");
      break;
    }
    FOR_INITIATED(EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
                  ExternalWorkflowExecutionCancelRequested,
                  external_workflow_execution_cancel_requested, (void)0)
    FOR_INITIATED(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
                  RequestCancelExternalWorkflowExecutionFailed,
                  request_cancel_external_workflow_execution_failed,
                  a->cause = TEMPORAL__API__ENUMS__V1__CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE__CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND)
    FOR_INITIATED(EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, ExternalWorkflowExecutionSignaled,
                  external_workflow_execution_signaled, (void)0)
    FOR_INITIATED(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
                  SignalExternalWorkflowExecutionFailed, signal_external_workflow_execution_failed,
                  a->cause = TEMPORAL__API__ENUMS__V1__SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE__SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND)
  }
  return e;
}
#undef FOR_INITIATED

static void c_child(cmds *l, uint32_t seq, const char *id, const char *type, int cancel_type) {
  wf_lang_cmd *c = cmd(l, CV(START_CHILD_WORKFLOW_EXECUTION));
  Coresdk__WorkflowCommands__StartChildWorkflowExecution *s =
      NEW(Coresdk__WorkflowCommands__StartChildWorkflowExecution,
          coresdk__workflow_commands__start_child_workflow_execution__init);
  s->seq = seq;
  s->namespace_ = S("default");
  s->workflow_id = S(id);
  s->workflow_type = S(type);
  s->task_queue = S("tq");
  s->n_input = 1;
  s->input = wf_alloc(&A, sizeof *s->input);
  s->input[0] = payload("\"kid-in\"");
  s->workflow_execution_timeout = dur(300);
  s->workflow_run_timeout = dur(200);
  s->workflow_task_timeout = dur(7);
  s->parent_close_policy = CORESDK__CHILD_WORKFLOW__PARENT_CLOSE_POLICY__PARENT_CLOSE_POLICY_ABANDON;
  s->workflow_id_reuse_policy = TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_REUSE_POLICY__WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE;
  s->cron_schedule = S("");
  s->cancellation_type = cancel_type;
  Coresdk__WorkflowCommands__StartChildWorkflowExecution__MemoEntry *m =
      NEW(Coresdk__WorkflowCommands__StartChildWorkflowExecution__MemoEntry,
          coresdk__workflow_commands__start_child_workflow_execution__memo_entry__init);
  m->key = S("mk");
  m->value = payload("\"mv\"");
  s->n_memo = 1;
  s->memo = wf_alloc(&A, sizeof *s->memo);
  s->memo[0] = m;
  c->start_child_workflow_execution = s;
}
static void c_cancel_child(cmds *l, uint32_t seq, const char *reason) {
  wf_lang_cmd *c = cmd(l, CV(CANCEL_CHILD_WORKFLOW_EXECUTION));
  c->cancel_child_workflow_execution = NEW(Coresdk__WorkflowCommands__CancelChildWorkflowExecution,
                                           coresdk__workflow_commands__cancel_child_workflow_execution__init);
  c->cancel_child_workflow_execution->child_workflow_seq = seq;
  c->cancel_child_workflow_execution->reason = S(reason);
}
static void c_signal_child(cmds *l, uint32_t seq, const char *child_id) {
  wf_lang_cmd *c = cmd(l, CV(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION));
  Coresdk__WorkflowCommands__SignalExternalWorkflowExecution *s =
      NEW(Coresdk__WorkflowCommands__SignalExternalWorkflowExecution,
          coresdk__workflow_commands__signal_external_workflow_execution__init);
  s->seq = seq;
  s->target_case = CORESDK__WORKFLOW_COMMANDS__SIGNAL_EXTERNAL_WORKFLOW_EXECUTION__TARGET_CHILD_WORKFLOW_ID;
  s->child_workflow_id = S(child_id);
  s->signal_name = S("poke");
  s->n_args = 1;
  s->args = wf_alloc(&A, sizeof *s->args);
  s->args[0] = payload("1");
  c->signal_external_workflow_execution = s;
}
static void c_cancel_signal(cmds *l, uint32_t seq) {
  wf_lang_cmd *c = cmd(l, CV(CANCEL_SIGNAL_WORKFLOW));
  c->cancel_signal_workflow = NEW(Coresdk__WorkflowCommands__CancelSignalWorkflow,
                                  coresdk__workflow_commands__cancel_signal_workflow__init);
  c->cancel_signal_workflow->seq = seq;
}
static void c_cancel_external(cmds *l, uint32_t seq, const char *wid) {
  wf_lang_cmd *c = cmd(l, CV(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION));
  Coresdk__WorkflowCommands__RequestCancelExternalWorkflowExecution *r =
      NEW(Coresdk__WorkflowCommands__RequestCancelExternalWorkflowExecution,
          coresdk__workflow_commands__request_cancel_external_workflow_execution__init);
  r->seq = seq;
  r->workflow_execution = NEW(Coresdk__Common__NamespacedWorkflowExecution,
                              coresdk__common__namespaced_workflow_execution__init);
  r->workflow_execution->namespace_ = S("default");
  r->workflow_execution->workflow_id = S(wid);
  r->workflow_execution->run_id = S("");
  r->reason = S("stop it");
  c->request_cancel_external_workflow_execution = r;
}

/* An engine fed all of `h` (complete) that has given its initialize_workflow
 * activation (outstanding: complete it next). */
static tcore_wf_engine *engine_at_init(const hist *h) {
  tcore_wf_engine *e = engine();
  CHECK(feed(e, h, 1, 0, 1) == TCORE_OK);
  act_free(next_act(e, "initialize_workflow"));
  return e;
}

/* The failure of a child's resolution job (failed or cancelled), or NULL. */
static Temporal__Api__Failure__V1__Failure *child_res_failure(const wf_job_msg *j) {
  if (j->variant_case != JV(RESOLVE_CHILD_WORKFLOW_EXECUTION)) return NULL;
  Coresdk__ChildWorkflow__ChildWorkflowResult *r = j->resolve_child_workflow_execution->result;
  if (!r) return NULL;
  if (r->status_case == CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_RESULT__STATUS_FAILED)
    return r->failed->failure;
  if (r->status_case == CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_RESULT__STATUS_CANCELLED)
    return r->cancelled->failure;
  return NULL;
}

/* Start a child, its start, its result; then the same history replayed in
 * one go gives the same jobs and no non-determinism. */
static void test_child_start_and_complete(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  tcore_wf_engine *e = engine_at_init(&h);
  cmds l = {0};
  c_child(&l, 1, "kid", "KidWorkflow", CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_CANCELLATION_TYPE__TRY_CANCEL);
  complete_ok(e, &l);
  char names[256];
  resp_t *r = take(e, names, sizeof names);
  CHECK(strcmp(names, "START_CHILD_WORKFLOW_EXECUTION") == 0);
  if (r && r->n_commands == 1) {
    Temporal__Api__Command__V1__StartChildWorkflowExecutionCommandAttributes *s =
        r->commands[0]->start_child_workflow_execution_command_attributes;
    CHECK(s != NULL);
    if (s) {
      CHECK(strcmp(s->workflow_id, "kid") == 0 && strcmp(s->workflow_type->name, "KidWorkflow") == 0);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      CHECK(strcmp(s->namespace_, "default") == 0);
      CHECK(s->inherit_build_id); /* same task queue, no intent */
#pragma GCC diagnostic pop
      CHECK(strcmp(s->task_queue->name, "tq") == 0);
      CHECK(s->input && s->input->n_payloads == 1);
      CHECK(s->workflow_execution_timeout->seconds == 300 && s->workflow_run_timeout->seconds == 200 &&
            s->workflow_task_timeout->seconds == 7);
      CHECK(s->parent_close_policy == TEMPORAL__API__ENUMS__V1__PARENT_CLOSE_POLICY__PARENT_CLOSE_POLICY_ABANDON);
      CHECK(s->workflow_id_reuse_policy ==
            TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_REUSE_POLICY__WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE);
      CHECK(s->memo && s->memo->n_fields == 1 && strcmp(s->memo->fields[0]->key, "mk") == 0);
      CHECK(s->header != NULL);
    }
  }
  resp_free(r);
  /* The server: initiated, then started (in the next task). */
  size_t next = h.n + 1;
  h_wft_completed(&h);
  wf_event *in = h_child_initiated(&h, "kid", "KidWorkflow");
  wf_event *st = h_child(&h, ET(CHILD_WORKFLOW_EXECUTION_STARTED), in->event_id, 0);
  h_wft(&h);
  CHECK(feed(e, &h, (int64_t)next, 0, 1) == TCORE_OK);
  Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "resolve_child_workflow_execution_start");
  if (a && a->n_jobs == 1) {
    Coresdk__WorkflowActivation__ResolveChildWorkflowExecutionStart *rs =
        a->jobs[0]->resolve_child_workflow_execution_start;
    CHECK(rs->seq == 1 && rs->status_case ==
                              CORESDK__WORKFLOW_ACTIVATION__RESOLVE_CHILD_WORKFLOW_EXECUTION_START__STATUS_SUCCEEDED);
    CHECK(strcmp(rs->succeeded->run_id, CHILD_RUN) == 0);
  }
  act_free(a);
  complete_ok(e, NULL);
  resp_free(take(e, names, sizeof names));
  next = h.n + 1;
  h_wft_completed(&h);
  h_child(&h, ET(CHILD_WORKFLOW_EXECUTION_COMPLETED), in->event_id, st->event_id);
  h_wft(&h);
  CHECK(feed(e, &h, (int64_t)next, 0, 1) == TCORE_OK);
  a = next_act(e, "resolve_child_workflow_execution");
  if (a && a->n_jobs == 1) {
    Coresdk__WorkflowActivation__ResolveChildWorkflowExecution *rr = a->jobs[0]->resolve_child_workflow_execution;
    CHECK(rr->seq == 1 && rr->result->status_case == CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_RESULT__STATUS_COMPLETED);
    CHECK(rr->result->completed->result &&
          memcmp(rr->result->completed->result->data.data, "\"kid-result\"", 12) == 0);
  }
  act_free(a);
  cmds l2 = {0};
  c_complete(&l2, "\"ok\"");
  complete_ok(e, &l2);
  resp_free(take(e, names, sizeof names));
  CHECK(strcmp(names, "COMPLETE_WORKFLOW_EXECUTION") == 0);
  tcore_wf_engine_free(e);

  /* Replay: the whole history at once (the last task current). */
  e = engine();
  CHECK(feed(e, &h, 1, 0, 1) == TCORE_OK);
  act_free(next_act(e, "initialize_workflow"));
  complete_ok(e, &l);
  act_free(next_act(e, "resolve_child_workflow_execution_start"));
  complete_ok(e, NULL);
  a = next_act(e, "resolve_child_workflow_execution");
  CHECK(a && !a->is_replaying);
  act_free(a);
  tcore_wf_engine_free(e);

  /* Replay with another child id or type: non-deterministic. */
  for (int k = 0; k < 2; k++) {
    e = engine_at_init(&h);
    cmds l3 = {0};
    c_child(&l3, 1, k ? "kid" : "other-kid", k ? "OtherType" : "KidWorkflow", 0);
    tcore_error err = {0};
    CHECK(complete(e, &l3, &err) == TCORE_WF_NONDETERMINISM);
    CHECK(strstr(err.message, k ? "Child workflow type" : "Child workflow id") != NULL);
    tcore_wf_engine_free(e);
  }
}

/* The start fails: the workflow id is taken. */
static void test_child_start_failed(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  h_wft_completed(&h);
  wf_event *in = h_child_initiated(&h, "kid", "KidWorkflow");
  h_child(&h, ET(START_CHILD_WORKFLOW_EXECUTION_FAILED), in->event_id, 0);
  h_wft(&h);
  tcore_wf_engine *e = engine_at_init(&h);
  cmds l = {0};
  c_child(&l, 1, "kid", "KidWorkflow", 0);
  complete_ok(e, &l);
  Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "resolve_child_workflow_execution_start");
  if (a && a->n_jobs == 1) {
    Coresdk__WorkflowActivation__ResolveChildWorkflowExecutionStart *rs =
        a->jobs[0]->resolve_child_workflow_execution_start;
    CHECK(rs->status_case == CORESDK__WORKFLOW_ACTIVATION__RESOLVE_CHILD_WORKFLOW_EXECUTION_START__STATUS_FAILED);
    CHECK(rs->failed->cause ==
          CORESDK__CHILD_WORKFLOW__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS);
    CHECK(strcmp(rs->failed->workflow_id, "kid") == 0 &&
          strcmp(rs->failed->workflow_type, "KidWorkflow") == 0);
  }
  act_free(a);
  /* cancelling it afterwards does nothing */
  cmds l2 = {0};
  c_cancel_child(&l2, 1, "");
  complete_ok(e, &l2);
  char names[256];
  resp_free(take(e, names, sizeof names));
  CHECK(strcmp(names, "") == 0);
  tcore_wf_engine_free(e);
}

/* How a started child can end, and the failure chain each gives. */
static void test_child_endings(void) {
  static const struct {
    int event;
    int status;
    const char *message, *cause_message;
    int cause_info, retry_state;
  } cases[] = {
      {ET(CHILD_WORKFLOW_EXECUTION_FAILED), CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_RESULT__STATUS_FAILED,
       "Child Workflow execution failed", "kid broke", 0,
       TEMPORAL__API__ENUMS__V1__RETRY_STATE__RETRY_STATE_RETRY_POLICY_NOT_SET},
      {ET(CHILD_WORKFLOW_EXECUTION_TIMED_OUT), CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_RESULT__STATUS_FAILED,
       "Child Workflow execution timed out", "Timed out",
       TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TIMEOUT_FAILURE_INFO,
       TEMPORAL__API__ENUMS__V1__RETRY_STATE__RETRY_STATE_TIMEOUT},
      {ET(CHILD_WORKFLOW_EXECUTION_TERMINATED), CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_RESULT__STATUS_FAILED,
       "Child Workflow execution terminated", "Terminated",
       TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TERMINATED_FAILURE_INFO,
       TEMPORAL__API__ENUMS__V1__RETRY_STATE__RETRY_STATE_NON_RETRYABLE_FAILURE},
      {ET(CHILD_WORKFLOW_EXECUTION_CANCELED), CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_RESULT__STATUS_CANCELLED,
       "Child Workflow execution cancelled", "",
       TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO,
       TEMPORAL__API__ENUMS__V1__RETRY_STATE__RETRY_STATE_NON_RETRYABLE_FAILURE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hist h = {0};
    h_started(&h);
    h_wft(&h);
    h_wft_completed(&h);
    wf_event *in = h_child_initiated(&h, "kid", "KidWorkflow");
    wf_event *st = h_child(&h, ET(CHILD_WORKFLOW_EXECUTION_STARTED), in->event_id, 0);
    h_child(&h, cases[i].event, in->event_id, st->event_id);
    h_wft(&h);
    tcore_wf_engine *e = engine_at_init(&h);
    cmds l = {0};
    c_child(&l, 4, "kid", "KidWorkflow", 0);
    complete_ok(e, &l);
    Coresdk__WorkflowActivation__WorkflowActivation *a =
        next_act(e, "resolve_child_workflow_execution_start resolve_child_workflow_execution");
    if (a && a->n_jobs == 2) {
      CHECK((int)a->jobs[1]->resolve_child_workflow_execution->result->status_case == cases[i].status);
      Temporal__Api__Failure__V1__Failure *f = child_res_failure(a->jobs[1]);
      CHECK(f && strcmp(f->message, cases[i].message) == 0);
      CHECK(f && f->failure_info_case ==
                     TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CHILD_WORKFLOW_EXECUTION_FAILURE_INFO);
      if (f && f->child_workflow_execution_failure_info) {
        Temporal__Api__Failure__V1__ChildWorkflowExecutionFailureInfo *ci = f->child_workflow_execution_failure_info;
        CHECK(strcmp(ci->namespace_, "default") == 0);
        CHECK(strcmp(ci->workflow_execution->workflow_id, "kid") == 0 &&
              strcmp(ci->workflow_execution->run_id, CHILD_RUN) == 0);
        CHECK(strcmp(ci->workflow_type->name, "KidWorkflow") == 0);
        CHECK(ci->initiated_event_id == in->event_id && ci->started_event_id == st->event_id);
        CHECK((int)ci->retry_state == cases[i].retry_state);
      }
      CHECK(f && f->cause && strcmp(f->cause->message, cases[i].cause_message) == 0);
      if (f && f->cause && cases[i].cause_info) CHECK((int)f->cause->failure_info_case == cases[i].cause_info);
    }
    act_free(a);
    tcore_wf_engine_free(e);
  }
}

/* Cancelling a started child, per cancellation type: what is sent, when
 * the child resolves, and what history may say afterwards. */
static void test_child_cancellation(void) {
  static const struct {
    int type;
    const char *sent;       /* commands of the cancelling task */
    int at_once;            /* resolved as cancelled in the same task */
  } cases[] = {
      {CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_CANCELLATION_TYPE__ABANDON, "", 1},
      {CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_CANCELLATION_TYPE__TRY_CANCEL,
       "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION", 1},
      {CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_CANCELLATION_TYPE__WAIT_CANCELLATION_COMPLETED,
       "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION", 0},
      {CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_CANCELLATION_TYPE__WAIT_CANCELLATION_REQUESTED,
       "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hist h = {0};
    h_started(&h);
    h_wft(&h);
    h_wft_completed(&h);
    wf_event *in = h_child_initiated(&h, "kid", "KidWorkflow");
    wf_event *st = h_child(&h, ET(CHILD_WORKFLOW_EXECUTION_STARTED), in->event_id, 0);
    h_signal(&h, "go");
    h_wft(&h);
    tcore_wf_engine *e = engine_at_init(&h);
    cmds l = {0};
    c_child(&l, 1, "kid", "KidWorkflow", cases[i].type);
    complete_ok(e, &l);
    act_free(next_act(e, "signal_workflow resolve_child_workflow_execution_start"));
    cmds l2 = {0};
    c_cancel_child(&l2, 1, "enough");
    complete_ok(e, &l2);
    if (cases[i].at_once) {
      Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "resolve_child_workflow_execution");
      if (a && a->n_jobs == 1) {
        Temporal__Api__Failure__V1__Failure *f = child_res_failure(a->jobs[0]);
        CHECK(a->jobs[0]->resolve_child_workflow_execution->result->status_case ==
              CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_RESULT__STATUS_CANCELLED);
        CHECK(f && strcmp(f->message, "Child Workflow execution cancelled") == 0 && f->cause &&
              f->cause->failure_info_case == TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO);
      }
      act_free(a);
      complete_ok(e, NULL);
    }
    char names[256];
    resp_t *r = take(e, names, sizeof names);
    CHECK(strcmp(names, cases[i].sent) == 0);
    if (strcmp(names, cases[i].sent)) fprintf(stderr, "  case %zu sent '%s'\n", i, names);
    if (r && r->n_commands == 1) {
      Temporal__Api__Command__V1__RequestCancelExternalWorkflowExecutionCommandAttributes *c =
          r->commands[0]->request_cancel_external_workflow_execution_command_attributes;
      CHECK(c && c->child_workflow_only && strcmp(c->workflow_id, "kid") == 0 &&
            strcmp(c->run_id, CHILD_RUN) == 0 && strcmp(c->reason, "enough") == 0);
    }
    resp_free(r);
    /* The server: the request recorded and delivered, the child cancelled. */
    size_t next = h.n + 1;
    h_wft_completed(&h);
    if (*cases[i].sent) {
      wf_event *ci = h_ext(&h, ET(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED), 0);
      h_ext(&h, ET(EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED), ci->event_id);
    }
    h_child(&h, ET(CHILD_WORKFLOW_EXECUTION_CANCELED), in->event_id, st->event_id);
    h_signal(&h, "again");
    h_wft(&h);
    CHECK(feed(e, &h, (int64_t)next, 0, 1) == TCORE_OK);
    Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(
        e, cases[i].at_once ? "signal_workflow" : "signal_workflow resolve_child_workflow_execution");
    if (a && !cases[i].at_once && a->n_jobs == 2)
      CHECK(a->jobs[1]->resolve_child_workflow_execution->result->status_case ==
            CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_RESULT__STATUS_CANCELLED);
    act_free(a);
    tcore_wf_engine_free(e);

    /* After an immediate resolution the child may still complete (history
     * says so later): consumed. A waiting child that completes instead of
     * being cancelled resolves with its result. */
    hist h2 = {0};
    h_started(&h2);
    h_wft(&h2);
    h_wft_completed(&h2);
    in = h_child_initiated(&h2, "kid", "KidWorkflow");
    st = h_child(&h2, ET(CHILD_WORKFLOW_EXECUTION_STARTED), in->event_id, 0);
    h_wft(&h2);
    h_wft_completed(&h2);
    if (*cases[i].sent) h_ext(&h2, ET(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED), 0);
    h_child(&h2, ET(CHILD_WORKFLOW_EXECUTION_COMPLETED), in->event_id, st->event_id);
    h_wft(&h2);
    e = engine();
    CHECK(feed(e, &h2, 1, 0, 1) == TCORE_OK);
    act_free(next_act(e, "initialize_workflow"));
    complete_ok(e, &l);
    act_free(next_act(e, "resolve_child_workflow_execution_start"));
    complete_ok(e, &l2);
    if (cases[i].at_once) {
      act_free(next_act(e, "resolve_child_workflow_execution"));
      complete_ok(e, NULL);
      CHECK(next_code(e) == TCORE_WF_TASK_DONE);
    } else {
      a = next_act(e, "resolve_child_workflow_execution");
      if (a && a->n_jobs == 1)
        CHECK(a->jobs[0]->resolve_child_workflow_execution->result->status_case ==
              CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_RESULT__STATUS_COMPLETED);
      act_free(a);
    }
    tcore_wf_engine_free(e);
  }
}

/* Cancelled before the start command went out: dropped, start cancelled. */
static void test_child_cancel_before_sent(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  tcore_wf_engine *e = engine_at_init(&h);
  cmds l = {0};
  c_child(&l, 1, "kid", "KidWorkflow",
          CORESDK__CHILD_WORKFLOW__CHILD_WORKFLOW_CANCELLATION_TYPE__WAIT_CANCELLATION_COMPLETED);
  c_cancel_child(&l, 1, "changed my mind");
  complete_ok(e, &l);
  Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "resolve_child_workflow_execution_start");
  if (a && a->n_jobs == 1) {
    Coresdk__WorkflowActivation__ResolveChildWorkflowExecutionStart *rs =
        a->jobs[0]->resolve_child_workflow_execution_start;
    CHECK(rs->status_case == CORESDK__WORKFLOW_ACTIVATION__RESOLVE_CHILD_WORKFLOW_EXECUTION_START__STATUS_CANCELLED);
    Temporal__Api__Failure__V1__Failure *f = rs->cancelled->failure;
    CHECK(f && strcmp(f->message, "Child Workflow Execution cancelled before scheduled: changed my mind") == 0);
    CHECK(f && f->cause && f->cause->failure_info_case == TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO);
    CHECK(f && f->failure_info_case == TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CHILD_WORKFLOW_EXECUTION_FAILURE_INFO);
  }
  act_free(a);
  complete_ok(e, NULL);
  char names[256];
  resp_free(take(e, names, sizeof names));
  CHECK(strcmp(names, "") == 0);
  tcore_wf_engine_free(e);
}

/* Signalling a child; a signal to nobody; a signal cancelled before sent;
 * a request to cancel another workflow, refused. */
static void test_external_signal_and_cancel(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  tcore_wf_engine *e = engine_at_init(&h);
  cmds l = {0};
  c_signal_child(&l, 1, "kid");
  c_signal_child(&l, 2, "nobody");
  c_signal_child(&l, 3, "kid");
  c_cancel_signal(&l, 3);
  c_cancel_external(&l, 1, "other");
  complete_ok(e, &l);
  Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "resolve_signal_external_workflow");
  if (a && a->n_jobs == 1) {
    Coresdk__WorkflowActivation__ResolveSignalExternalWorkflow *rs = a->jobs[0]->resolve_signal_external_workflow;
    CHECK(rs->seq == 3 && rs->failure &&
          strcmp(rs->failure->message, "Signal was cancelled before being sent") == 0 &&
          rs->failure->failure_info_case == TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO);
  }
  act_free(a);
  complete_ok(e, NULL);
  char names[256];
  resp_t *r = take(e, names, sizeof names);
  CHECK(strcmp(names, "SIGNAL_EXTERNAL_WORKFLOW_EXECUTION SIGNAL_EXTERNAL_WORKFLOW_EXECUTION "
                      "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION") == 0);
  if (r && r->n_commands == 3) {
    Temporal__Api__Command__V1__SignalExternalWorkflowExecutionCommandAttributes *s =
        r->commands[0]->signal_external_workflow_execution_command_attributes;
    CHECK(s->child_workflow_only && strcmp(s->execution->workflow_id, "kid") == 0 &&
          strcmp(s->signal_name, "poke") == 0 && s->input && s->input->n_payloads == 1);
    Temporal__Api__Command__V1__RequestCancelExternalWorkflowExecutionCommandAttributes *c =
        r->commands[2]->request_cancel_external_workflow_execution_command_attributes;
    CHECK(!c->child_workflow_only && strcmp(c->workflow_id, "other") == 0);
    CHECK(strcmp(c->reason, "Cancel requested by workflow with run id " RUN_ID " with reason: stop it") == 0);
  }
  resp_free(r);
  size_t next = h.n + 1;
  h_wft_completed(&h);
  wf_event *s1 = h_ext(&h, ET(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED), 0);
  wf_event *s2 = h_ext(&h, ET(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED), 0);
  wf_event *c1 = h_ext(&h, ET(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED), 0);
  h_wft(&h);
  h_wft_completed(&h);
  h_ext(&h, ET(EXTERNAL_WORKFLOW_EXECUTION_SIGNALED), s1->event_id);
  h_ext(&h, ET(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED), s2->event_id);
  h_ext(&h, ET(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED), c1->event_id);
  h_wft(&h);
  CHECK(feed(e, &h, (int64_t)next, 0, 1) == TCORE_OK);
  /* the task in between had nothing for the workflow */
  act_free(next_act(e, "resolve_signal_external_workflow resolve_signal_external_workflow "
                       "resolve_request_cancel_external_workflow"));
  tcore_wf_engine_free(e);

  /* The whole history replayed: the outcomes resolve in the last task. */
  e = engine();
  CHECK(feed(e, &h, 1, 0, 1) == TCORE_OK);
  act_free(next_act(e, "initialize_workflow"));
  complete_ok(e, &l);
  act_free(next_act(e, "resolve_signal_external_workflow"));
  complete_ok(e, NULL);
  a = next_act(e, "resolve_signal_external_workflow resolve_signal_external_workflow "
                  "resolve_request_cancel_external_workflow");
  if (a && a->n_jobs == 3) {
    CHECK(a->jobs[0]->resolve_signal_external_workflow->seq == 1 &&
          !a->jobs[0]->resolve_signal_external_workflow->failure);
    Coresdk__WorkflowActivation__ResolveSignalExternalWorkflow *f2 = a->jobs[1]->resolve_signal_external_workflow;
    CHECK(f2->seq == 2 && f2->failure &&
          strcmp(f2->failure->message, "Unable to signal external workflow because it was not found") == 0 &&
          strcmp(f2->failure->application_failure_info->type, "ExternalWorkflowExecutionNotFound") == 0);
    Coresdk__WorkflowActivation__ResolveRequestCancelExternalWorkflow *f3 =
        a->jobs[2]->resolve_request_cancel_external_workflow;
    CHECK(f3->seq == 1 && f3->failure &&
          strcmp(f3->failure->message, "Unable to cancel external workflow because not found") == 0);
  }
  act_free(a);
  tcore_wf_engine_free(e);
}

/* ---- history plumbing ---- */

static void test_history_pages(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  h_wft_completed(&h);
  wf_event *ts = h_timer_started(&h, "1");
  h_timer_fired(&h, "1", ts->event_id);
  h_wft(&h);
  tcore_wf_engine *e = engine();
  /* page 1 ends on a task's started event: its end is not known yet */
  CHECK(feed(e, &h, 1, 4, 0) == TCORE_OK);
  CHECK(next_code(e) == TCORE_WF_NEED_HISTORY);
  /* an overlapping page is deduplicated; a gap is refused */
  CHECK(feed(e, &h, 6, 0, 1) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(feed(e, &h, 2, 0, 1) == TCORE_OK);
  act_free(next_act(e, "initialize_workflow"));
  cmds l = {0};
  c_start_timer(&l, 1, 5);
  complete_ok(e, &l);
  act_free(next_act(e, "fire_timer"));
  /* bytes that are no history */
  uint8_t junk[] = {0xff, 0xff, 0xff};
  CHECK(tcore_wf_engine_add_history(e, junk, sizeof junk, 1, NULL) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_wf_engine_complete(e, junk, sizeof junk, NULL) == TCORE_ERR_INVALID_ARGUMENT);
  tcore_wf_engine_free(e);
}

/* ---- real histories ---- */

/* A language side that issues the commands a history records for the
 * workflow task that ends at event `last` (the activation's history_length),
 * once per task (later activations of the same task answer with nothing).
 * Sequence numbers are the ids the official SDKs give timers and activities.
 * mutate: change the first timer's seq (must then be non-deterministic). */
static void c_patch(cmds *l, const char *id, int deprecated);
static void c_local_activity(cmds *l, uint32_t seq, const char *id, const char *type,
                             int cancel_type);
static int echo_cancel_type; /* the cancellation type the echo gives activities */
static int echo_no_patches;  /* the echo leaves out the patch calls */

static void commands_from_history(const Temporal__Api__History__V1__History *H, uint32_t last,
                                  int mutate, cmds *l) {
  size_t i = last; /* index of the event after `last` */
  if (i >= H->n_events || H->events[i]->event_type != ET(WORKFLOW_TASK_COMPLETED)) return;
  for (i++; i < H->n_events; i++) {
    const wf_event *ev = H->events[i];
    switch (ev->event_type) {
      case ET(TIMER_STARTED): {
        uint32_t seq = (uint32_t)strtoul(ev->timer_started_event_attributes->timer_id, NULL, 10);
        c_start_timer(l, seq + (mutate ? 1 : 0), 1);
        mutate = 0;
        break;
      }
      case ET(TIMER_CANCELED):
        c_cancel_timer(l, (uint32_t)strtoul(ev->timer_canceled_event_attributes->timer_id, NULL, 10));
        break;
      case ET(ACTIVITY_TASK_SCHEDULED): {
        const Temporal__Api__History__V1__ActivityTaskScheduledEventAttributes *a =
            ev->activity_task_scheduled_event_attributes;
        c_activity(l, (uint32_t)strtoul(a->activity_id, NULL, 10), a->activity_id,
                   a->activity_type->name, echo_cancel_type);
        break;
      }
      case ET(ACTIVITY_TASK_CANCEL_REQUESTED): {
        int64_t sched = ev->activity_task_cancel_requested_event_attributes->scheduled_event_id;
        const wf_event *s = H->events[sched - 1];
        c_cancel_activity(l, (uint32_t)strtoul(s->activity_task_scheduled_event_attributes->activity_id,
                                               NULL, 10));
        break;
      }
      case ET(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES):
        /* TemporalChangeVersion comes with a patch marker, not from code */
        if (!wf_is_version_upsert(ev->upsert_workflow_search_attributes_event_attributes->search_attributes))
          c_upsert(l);
        break;
      case ET(MARKER_RECORDED): {
        char id[128];
        int deprecated;
        uint32_t seq;
        char type[128];
        if (wf_test_la_marker(ev, &seq, id, type, sizeof id)) { /* a local activity */
          c_local_activity(l, seq, id, type, 0);
          break;
        }
        if (!wf_patch_marker_details(ev, id, sizeof id, &deprecated)) return;
        if (!echo_no_patches) c_patch(l, id, deprecated);
        break;
      }
      case ET(WORKFLOW_PROPERTIES_MODIFIED):
        c_memo(l);
        break;
      case ET(WORKFLOW_EXECUTION_COMPLETED):
        c_complete(l, NULL);
        break;
      case ET(WORKFLOW_EXECUTION_CANCELED):
        c_cancel_wf(l);
        break;
      default:
        return;
    }
  }
}

static int replay_file(const char *name, int mutate, int *activations, char *jobs, size_t jobs_size) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", WF_TEST_DATA, name);
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL);
  if (!f) return -100;
  static uint8_t buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  Temporal__Api__History__V1__History *H = temporal__api__history__v1__history__unpack(NULL, n, buf);
  CHECK(H != NULL);
  if (!H) return -100;
  tcore_wf_engine *e = engine();
  int rc = tcore_wf_engine_add_history(e, buf, n, 1, NULL);
  *activations = 0;
  if (jobs) jobs[0] = 0;
  uint32_t answered = 0;
  while (rc == TCORE_OK) {
    uint8_t *out = NULL;
    size_t len = 0;
    rc = tcore_wf_engine_next_activation(e, &out, &len, NULL);
    if (rc != TCORE_OK) break;
    Coresdk__WorkflowActivation__WorkflowActivation *a =
        coresdk__workflow_activation__workflow_activation__unpack(NULL, len, out);
    free(out);
    (*activations)++;
    if (jobs) {
      char names[256];
      job_names(a, names, sizeof names);
      if (jobs[0]) strncat(jobs, "|", jobs_size - strlen(jobs) - 1);
      strncat(jobs, names, jobs_size - strlen(jobs) - 1);
      /* an activity's resolution: how, and the failure's messages */
      for (size_t j = 0; j < a->n_jobs; j++) {
        if (a->jobs[j]->variant_case != JV(RESOLVE_ACTIVITY)) continue;
        Coresdk__ActivityResult__ActivityResolution *res = a->jobs[j]->resolve_activity->result;
        Temporal__Api__Failure__V1__Failure *fl =
            res->status_case == CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_FAILED
                ? res->failed->failure
            : res->status_case == CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_CANCELLED
                ? res->cancelled->failure
                : NULL;
        char what[200];
        snprintf(what, sizeof what, "(%s%s%s%s%s)",
                 res->status_case == CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_COMPLETED
                     ? "completed"
                 : fl == NULL ? "?"
                 : res->status_case == CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_FAILED
                     ? "failed"
                     : "cancelled",
                 fl ? ": " : "", fl ? fl->message : "", fl && fl->cause ? " / " : "",
                 fl && fl->cause
                     ? (fl->cause->failure_info_case ==
                                TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO
                            ? "CanceledFailure"
                        : fl->cause->failure_info_case ==
                                TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TIMEOUT_FAILURE_INFO
                            ? "TimeoutFailure"
                            : fl->cause->message)
                                 : "");
        strncat(jobs, what, jobs_size - strlen(jobs) - 1);
      }
    }
    cmds l = {0};
    if (a->history_length != answered) commands_from_history(H, a->history_length, mutate, &l);
    answered = a->history_length;
    coresdk__workflow_activation__workflow_activation__free_unpacked(a, NULL);
    tcore_error err = {0};
    rc = complete(e, &l, &err);
    if (rc && !mutate) fprintf(stderr, "  %s: %s\n", name, err.message);
  }
  temporal__api__history__v1__history__free_unpacked(H, NULL);
  tcore_wf_engine_free(e);
  return rc;
}

static void test_real_histories(void) {
  static const struct {
    const char *file;
    int want;
    int activations;
  } cases[] = {
      {"timer_workflow_history.bin", TCORE_WF_RUN_FINISHED, 2},
      /* a failed task in the middle: its attempt is skipped */
      {"fail_wf_task.bin", TCORE_WF_RUN_FINISHED, 2},
      /* sdk-core's: a local activity whose marker follows a heartbeat task,
       * then an activity; ends in failed task attempts */
      {"evict_while_la_running_no_interference-85_history.bin", TCORE_WF_NEED_HISTORY, 3},
      /* ends with a completed task and no more events */
      {"ends_empty_wft_complete.bin", TCORE_WF_NEED_HISTORY, 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int acts = 0;
    int rc = replay_file(cases[i].file, 0, &acts, NULL, 0);
    CHECK(rc == cases[i].want);
    CHECK(acts == cases[i].activations);
    if (rc != cases[i].want || acts != cases[i].activations)
      fprintf(stderr, "  %s: rc %d, %d activations\n", cases[i].file, rc, acts);
  }
  int acts = 0;
  CHECK(replay_file("timer_workflow_history.bin", 1, &acts, NULL, 0) == TCORE_WF_NONDETERMINISM);
}

/* A run of the official Python SDK (core/tests/data/make_peer_history.py):
 * activity, timers, a try-cancelled activity, a cancelled timer, a signal,
 * search attributes and memo; flags 1-4 and sdk_name in its metadata. */
static void test_official_sdk_history(void) {
  int acts = 0;
  char jobs[512];
  int rc = replay_file("peer_python_history.bin", 0, &acts, jobs, sizeof jobs);
  CHECK(rc == TCORE_WF_RUN_FINISHED);
  const char *want =
      "initialize_workflow|resolve_activity(completed)|fire_timer|signal_workflow|fire_timer|"
      "resolve_activity(cancelled: Activity cancelled / CanceledFailure)|fire_timer";
  CHECK(strcmp(jobs, want) == 0);
  if (rc != TCORE_WF_RUN_FINISHED || strcmp(jobs, want))
    fprintf(stderr, "  rc %d, jobs %s\n", rc, jobs);
  CHECK(replay_file("peer_python_history.bin", 1, &acts, NULL, 0) == TCORE_WF_NONDETERMINISM);

  /* Failed and timed-out activities, one cancelled with
   * WAIT_CANCELLATION_COMPLETED (resolved when history says it ended), and
   * the run cancelled from outside, cancelling itself. */
  echo_cancel_type = CORESDK__WORKFLOW_COMMANDS__ACTIVITY_CANCELLATION_TYPE__WAIT_CANCELLATION_COMPLETED;
  rc = replay_file("peer_python_history2.bin", 0, &acts, jobs, sizeof jobs);
  echo_cancel_type = 0;
  CHECK(rc == TCORE_WF_RUN_FINISHED);
  want = "initialize_workflow|resolve_activity(failed: Activity task failed / nope)|"
         "resolve_activity(failed: Activity task timed out / TimeoutFailure)|fire_timer|"
         "resolve_activity(cancelled: Activity cancelled / CanceledFailure)|cancel_workflow";
  CHECK(strcmp(jobs, want) == 0);
  if (rc != TCORE_WF_RUN_FINISHED || strcmp(jobs, want))
    fprintf(stderr, "  rc %d, jobs %s\n", rc, jobs);

  /* Patches: patched("first") in the first task, deprecate_patch("second")
   * and patched("first") again in the second. Each marker is announced in
   * the activation before its task's commands; code without the patch
   * calls does not replay (the first marker is not deprecated). */
  rc = replay_file("peer_python_patch_history.bin", 0, &acts, jobs, sizeof jobs);
  CHECK(rc == TCORE_WF_RUN_FINISHED);
  want = "initialize_workflow notify_has_patch|notify_has_patch fire_timer|fire_timer";
  CHECK(strcmp(jobs, want) == 0);
  if (rc != TCORE_WF_RUN_FINISHED || strcmp(jobs, want))
    fprintf(stderr, "  rc %d, jobs %s\n", rc, jobs);
  echo_no_patches = 1;
  CHECK(replay_file("peer_python_patch_history.bin", 0, &acts, NULL, 0) == TCORE_WF_NONDETERMINISM);
  echo_no_patches = 0;
}

/* ---- 7. patches ---- */

static Temporal__Api__Common__V1__Payload *json_pl(const char *data, const char *type) {
  Temporal__Api__Common__V1__Payload *p = payload(data);
  size_t n = type ? 2 : 1;
  p->metadata = wf_alloc(&A, n * sizeof *p->metadata);
  const char *k[2] = {"encoding", "type"}, *v[2] = {"json/plain", type};
  for (size_t i = 0; i < n; i++) {
    p->metadata[i] = NEW(Temporal__Api__Common__V1__Payload__MetadataEntry,
                         temporal__api__common__v1__payload__metadata_entry__init);
    p->metadata[i]->key = S(k[i]);
    p->metadata[i]->value.data = (uint8_t *)S(v[i]);
    p->metadata[i]->value.len = strlen(v[i]);
  }
  p->n_metadata = n;
  return p;
}

/* A MarkerRecorded event named `name` with one details entry key -> data. */
static wf_event *h_marker(hist *h, const char *name, const char *key, const char *data) {
  wf_event *e = add(h, ET(MARKER_RECORDED));
  Temporal__Api__History__V1__MarkerRecordedEventAttributes *a =
      NEW(Temporal__Api__History__V1__MarkerRecordedEventAttributes,
          temporal__api__history__v1__marker_recorded_event_attributes__init);
  a->marker_name = S(name);
  Temporal__Api__History__V1__MarkerRecordedEventAttributes__DetailsEntry *d =
      NEW(Temporal__Api__History__V1__MarkerRecordedEventAttributes__DetailsEntry,
          temporal__api__history__v1__marker_recorded_event_attributes__details_entry__init);
  d->key = S(key);
  d->value = NEW(Temporal__Api__Common__V1__Payloads, temporal__api__common__v1__payloads__init);
  d->value->n_payloads = 1;
  d->value->payloads = wf_alloc(&A, sizeof *d->value->payloads);
  d->value->payloads[0] = json_pl(data, NULL);
  a->n_details = 1;
  a->details = wf_alloc(&A, sizeof *a->details);
  a->details[0] = d;
  e->attributes_case = HA(MARKER_RECORDED_EVENT_ATTRIBUTES);
  e->marker_recorded_event_attributes = a;
  return e;
}
/* The patch marker as sdk-core writes it. */
static wf_event *h_patch(hist *h, const char *id, int deprecated) {
  char json[256];
  snprintf(json, sizeof json, "{\"id\":\"%s\",\"deprecated\":%s}", id, deprecated ? "true" : "false");
  return h_marker(h, "core_patch", "patch-data", json);
}
/* UpsertWorkflowSearchAttributes setting `key` to the JSON `value`. */
static wf_event *h_upsert_sa(hist *h, const char *key, const char *value) {
  wf_event *e = add(h, ET(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES));
  Temporal__Api__History__V1__UpsertWorkflowSearchAttributesEventAttributes *a =
      NEW(Temporal__Api__History__V1__UpsertWorkflowSearchAttributesEventAttributes,
          temporal__api__history__v1__upsert_workflow_search_attributes_event_attributes__init);
  a->search_attributes = NEW(Temporal__Api__Common__V1__SearchAttributes,
                             temporal__api__common__v1__search_attributes__init);
  Temporal__Api__Common__V1__SearchAttributes__IndexedFieldsEntry *f =
      NEW(Temporal__Api__Common__V1__SearchAttributes__IndexedFieldsEntry,
          temporal__api__common__v1__search_attributes__indexed_fields_entry__init);
  f->key = S(key);
  f->value = json_pl(value, "KeywordList");
  a->search_attributes->n_indexed_fields = 1;
  a->search_attributes->indexed_fields = wf_alloc(&A, sizeof *a->search_attributes->indexed_fields);
  a->search_attributes->indexed_fields[0] = f;
  e->attributes_case = HA(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES_EVENT_ATTRIBUTES);
  e->upsert_workflow_search_attributes_event_attributes = a;
  return e;
}
static void c_patch(cmds *l, const char *id, int deprecated) {
  wf_lang_cmd *c = cmd(l, CV(SET_PATCH_MARKER));
  c->set_patch_marker = NEW(Coresdk__WorkflowCommands__SetPatchMarker,
                            coresdk__workflow_commands__set_patch_marker__init);
  c->set_patch_marker->patch_id = S(id);
  c->set_patch_marker->deprecated = deprecated;
}
static int bytes_are(ProtobufCBinaryData d, const char *s) {
  return d.len == strlen(s) && memcmp(d.data, s, d.len) == 0;
}
static int meta_is(const Temporal__Api__Common__V1__Payload *p, const char *k, const char *v) {
  for (size_t i = 0; i < p->n_metadata; i++)
    if (!strcmp(p->metadata[i]->key, k)) return bytes_are(p->metadata[i]->value, v);
  return 0;
}

/* A new run's first task (started, task scheduled and started) fed to a
 * new engine and its initialize_workflow activation taken: the engine
 * waits for that activation's completion. */
static tcore_wf_engine *first_task(hist *h) {
  h_started(h);
  h_wft(h);
  tcore_wf_engine *e = engine();
  CHECK(feed(e, h, 1, 0, 1) == TCORE_OK);
  act_free(next_act(e, "initialize_workflow"));
  return e;
}

/* Marker details as other writers may shape them: the JSON decoded fully
 * (escapes, member order, whitespace, other members), anything else not a
 * patch marker. */
static void test_patch_marker_details(void) {
  static const struct {
    const char *name, *key, *json;
    int ok, deprecated;
    const char *id;
  } cases[] = {
      {"core_patch", "patch-data", "{\"id\":\"p1\",\"deprecated\":false}", 1, 0, "p1"},
      {"core_patch", "patch-data", " { \"deprecated\" : true , \"id\" : \"p1\" } ", 1, 1, "p1"},
      {"core_patch", "patch-data", "{\"id\":\"\\u00e9\\ud83d\\ude00\\\"\\/\\t\"}", 1, 0,
       "\xc3\xa9\xf0\x9f\x98\x80\"/\t"},
      {"core_patch", "patch-data", "{\"x\":[1,{\"y\":\"}\"}],\"id\":\"p\",\"z\":null}", 1, 0, "p"},
      {"core_patch", "patch-data", "{\"deprecated\":true}", 0, 0, NULL},
      {"core_patch", "patch-data", "{\"id\":\"p1\"", 0, 0, NULL},
      {"core_patch", "patch-data", "{\"id\":\"\\u12\"}", 0, 0, NULL},
      {"core_patch", "patch-data", "[\"p1\"]", 0, 0, NULL},
      {"core_local_activity", "patch-data", "{\"id\":\"p1\"}", 0, 0, NULL},
      {"core_patch", "data", "{\"id\":\"p1\"}", 0, 0, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hist h = {0};
    wf_event *ev = h_marker(&h, cases[i].name, cases[i].key, cases[i].json);
    char id[64] = "";
    int dep = -1;
    int ok = wf_patch_marker_details(ev, id, sizeof id, &dep);
    CHECK(ok == cases[i].ok);
    if (ok && cases[i].ok) CHECK(strcmp(id, cases[i].id) == 0 && dep == cases[i].deprecated);
    if (ok != cases[i].ok) fprintf(stderr, "  case %zu: %d\n", i, ok);
  }
  /* an id longer than the buffer is refused, not cut */
  hist h = {0};
  wf_event *ev = h_marker(&h, "core_patch", "patch-data", "{\"id\":\"0123456789\"}");
  char small[8];
  int dep;
  CHECK(wf_patch_marker_details(ev, small, sizeof small, &dep) == 0);
}

/* A new run: the marker (sdk-core's details), the TemporalChangeVersion
 * upsert with every patch so far, one command per patch id, flag 2. */
static void test_patch_new_run(void) {
  hist h = {0};
  tcore_wf_engine *e = first_task(&h);
  cmds l = {0};
  c_patch(&l, "p1", 0);
  c_patch(&l, "p1", 0); /* asked again: nothing more */
  c_patch(&l, "a \"q\"\n", 1);
  c_start_timer(&l, 1, 5);
  complete_ok(e, &l);
  char names[256];
  resp_t *r = take(e, names, sizeof names);
  CHECK(strcmp(names, "RECORD_MARKER UPSERT_WORKFLOW_SEARCH_ATTRIBUTES RECORD_MARKER "
                      "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES START_TIMER") == 0);
  if (r && r->n_commands == 5) {
    Temporal__Api__Command__V1__RecordMarkerCommandAttributes *m =
        r->commands[0]->record_marker_command_attributes;
    CHECK(m && strcmp(m->marker_name, "core_patch") == 0 && m->n_details == 1 &&
          strcmp(m->details[0]->key, "patch-data") == 0 && m->details[0]->value->n_payloads == 1);
    if (m && m->n_details == 1) {
      Temporal__Api__Common__V1__Payload *p = m->details[0]->value->payloads[0];
      CHECK(bytes_are(p->data, "{\"id\":\"p1\",\"deprecated\":false}"));
      CHECK(meta_is(p, "encoding", "json/plain") && p->n_metadata == 1);
    }
    Temporal__Api__Common__V1__SearchAttributes *sa =
        r->commands[1]->upsert_workflow_search_attributes_command_attributes->search_attributes;
    CHECK(sa && sa->n_indexed_fields == 1 &&
          strcmp(sa->indexed_fields[0]->key, "TemporalChangeVersion") == 0);
    if (sa && sa->n_indexed_fields == 1) {
      CHECK(bytes_are(sa->indexed_fields[0]->value->data, "[\"p1\"]"));
      CHECK(meta_is(sa->indexed_fields[0]->value, "encoding", "json/plain"));
      CHECK(meta_is(sa->indexed_fields[0]->value, "type", "KeywordList"));
    }
    m = r->commands[2]->record_marker_command_attributes;
    CHECK(m && bytes_are(m->details[0]->value->payloads[0]->data,
                         "{\"id\":\"a \\\"q\\\"\\n\",\"deprecated\":true}"));
    sa = r->commands[3]->upsert_workflow_search_attributes_command_attributes->search_attributes;
    /* sorted, escaped as serde_json does */
    CHECK(sa && bytes_are(sa->indexed_fields[0]->value->data, "[\"a \\\"q\\\"\\n\",\"p1\"]"));
  }
  CHECK(r && r->sdk_metadata && has_u32(r->sdk_metadata->core_used_flags,
                                        r->sdk_metadata->n_core_used_flags, 2));
  resp_free(r);
  /* The server records the commands: they match our own commands. */
  size_t next = h.n + 1;
  h_wft_completed(&h);
  h_patch(&h, "p1", 0);
  h_upsert_sa(&h, "TemporalChangeVersion", "[\"p1\"]");
  h_patch(&h, "a \\\"q\\\"\\n", 1);
  h_upsert_sa(&h, "TemporalChangeVersion", "[\"a \\\"q\\\"\\n\",\"p1\"]");
  wf_event *ts = h_timer_started(&h, "1");
  h_timer_fired(&h, "1", ts->event_id);
  h_wft(&h);
  CHECK(feed(e, &h, (int64_t)next, 0, 1) == TCORE_OK);
  act_free(next_act(e, "fire_timer"));
  /* asked again in a later task: no command */
  cmds l2 = {0};
  c_patch(&l2, "p1", 0);
  c_complete(&l2, NULL);
  complete_ok(e, &l2);
  r = take(e, names, sizeof names);
  CHECK(strcmp(names, "COMPLETE_WORKFLOW_EXECUTION") == 0);
  resp_free(r);
  tcore_wf_engine_free(e);
}

/* Replays: a history with or without markers, code with or without the
 * patch call (sdk-core's table). The history: first task's commands
 * (`first`), then a timer, fired, and a final task. */
static void test_patch_replay_table(void) {
  enum { NONE = 0, MARK, MARK_DEP, MARK_NO_UPSERT, MARK_OTHER, MARK_OTHER_DEP, LEGACY };
  static const struct {
    int hist;           /* what the first task recorded before the timer */
    const uint32_t *fl; /* its flags */
    int lang;           /* 0 no call, 1 patched("p1"), 2 deprecate_patch("p1") */
    const char *jobs;   /* first activation */
    const char *want;   /* non-determinism message part, NULL: replays */
  } cases[] = {
      {MARK, FLAGS_1_2_3, 1, "initialize_workflow notify_has_patch", NULL},
      {MARK, FLAGS_1_2_3, 2, "initialize_workflow notify_has_patch", NULL},
      {MARK_DEP, FLAGS_1_2_3, 1, "initialize_workflow notify_has_patch", NULL},
      {MARK_DEP, FLAGS_1_2_3, 2, "initialize_workflow notify_has_patch", NULL},
      /* a deprecated marker the code no longer asks about is skipped */
      {MARK_DEP, FLAGS_1_2_3, 0, "initialize_workflow notify_has_patch", NULL},
      /* a marker the code does not ask about */
      {MARK, FLAGS_1_2_3, 0, "initialize_workflow notify_has_patch",
       "non-deprecated patch marker encountered for change p1"},
      /* no marker: code asking (an SDK that sends the command on replay)
       * has it dropped, and no upsert is made */
      {NONE, FLAGS_1_2_3, 1, "initialize_workflow", NULL},
      {NONE, FLAGS_1_2_3, 0, "initialize_workflow", NULL},
      {NONE, FLAGS_1_2_3, 2, "initialize_workflow", NULL},
      /* written before flag 2: no upsert after the marker */
      {MARK_NO_UPSERT, FLAGS_1_3, 1, "initialize_workflow notify_has_patch", NULL},
      /* with flag 2 the upsert is expected, so its absence is noticed */
      {MARK_NO_UPSERT, FLAGS_1_2_3, 1, "initialize_workflow notify_has_patch",
       "Event 6 (EVENT_TYPE_TIMER_STARTED) does not match"},
      /* another patch's marker */
      {MARK_OTHER, FLAGS_1_2_3, 1, "initialize_workflow notify_has_patch",
       "Change id other does not match expected id p1"},
      {MARK_OTHER_DEP, FLAGS_1_2_3, 1, "initialize_workflow notify_has_patch notify_has_patch",
       NULL},
      /* the older details shape (raw patch_id / deprecated bytes) */
      {LEGACY, FLAGS_1_3, 1, "initialize_workflow notify_has_patch", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hist h = {0};
    h_started(&h);
    h_wft(&h);
    h_wft_completed_md(&h, cases[i].fl, NULL, NULL);
    switch (cases[i].hist) {
      case MARK:
      case MARK_DEP:
        h_patch(&h, "p1", cases[i].hist == MARK_DEP);
        h_upsert_sa(&h, "TemporalChangeVersion", "[\"p1\"]");
        break;
      case MARK_NO_UPSERT: h_patch(&h, "p1", 0); break;
      case MARK_OTHER:
      case MARK_OTHER_DEP:
        h_patch(&h, "other", cases[i].hist == MARK_OTHER_DEP);
        h_upsert_sa(&h, "TemporalChangeVersion", "[\"other\"]");
        break;
      case LEGACY: {
        wf_event *m = h_marker(&h, "core_patch", "patch_id", "p1");
        Temporal__Api__History__V1__MarkerRecordedEventAttributes *a =
            m->marker_recorded_event_attributes;
        Temporal__Api__History__V1__MarkerRecordedEventAttributes__DetailsEntry **d =
            wf_alloc(&A, 2 * sizeof *d);
        d[0] = a->details[0];
        a->details = d;
        a->details[1] = NEW(Temporal__Api__History__V1__MarkerRecordedEventAttributes__DetailsEntry,
                            temporal__api__history__v1__marker_recorded_event_attributes__details_entry__init);
        a->details[1]->key = S("deprecated");
        a->details[1]->value = payloads1("\x00");
        a->details[1]->value->payloads[0]->data.len = 1;
        a->n_details = 2;
        break;
      }
      default: break;
    }
    if (cases[i].hist == MARK_OTHER_DEP) {
      h_patch(&h, "p1", 0);
      h_upsert_sa(&h, "TemporalChangeVersion", "[\"p1\"]");
    }
    wf_event *ts = h_timer_started(&h, "1");
    h_timer_fired(&h, "1", ts->event_id);
    h_wft(&h);
    tcore_wf_engine *e = engine();
    CHECK(feed(e, &h, 1, 0, 1) == TCORE_OK);
    Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, cases[i].jobs);
    CHECK(a && a->is_replaying);
    if (a && a->n_jobs == 2)
      CHECK(strcmp(a->jobs[1]->notify_has_patch->patch_id,
                   cases[i].hist == MARK_OTHER ? "other" : "p1") == 0 ||
            cases[i].hist == MARK_OTHER_DEP);
    act_free(a);
    cmds l = {0};
    if (cases[i].lang) c_patch(&l, "p1", cases[i].lang == 2);
    c_start_timer(&l, 1, 5);
    tcore_error err = {0};
    int rc = complete(e, &l, &err);
    if (!cases[i].want) {
      CHECK(rc == TCORE_OK);
      if (rc) fprintf(stderr, "  case %zu: %s\n", i, err.message);
      act_free(next_act(e, "fire_timer"));
      cmds l2 = {0};
      c_complete(&l2, NULL);
      complete_ok(e, &l2);
      char names[128];
      resp_t *r = take(e, names, sizeof names);
      CHECK(strcmp(names, "COMPLETE_WORKFLOW_EXECUTION") == 0);
      if (strcmp(names, "COMPLETE_WORKFLOW_EXECUTION")) fprintf(stderr, "  case %zu: %s\n", i, names);
      resp_free(r);
    } else {
      CHECK(rc == TCORE_WF_NONDETERMINISM && strstr(err.message, cases[i].want) != NULL);
      if (rc != TCORE_WF_NONDETERMINISM || !strstr(err.message, cases[i].want))
        fprintf(stderr, "  case %zu: %d '%s'\n", i, rc, err.message);
    }
    tcore_wf_engine_free(e);
  }
}

/* The look-ahead: a marker recorded by a later task is announced in the
 * activation of the task before it, ahead of its other jobs. */
static void test_patch_lookahead(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  h_wft_completed(&h);
  wf_event *ts = h_timer_started(&h, "1");
  h_signal(&h, "s");
  h_timer_fired(&h, "1", ts->event_id);
  h_wft(&h);
  h_wft_completed(&h);
  h_patch(&h, "later", 0);
  h_upsert_sa(&h, "TemporalChangeVersion", "[\"later\"]");
  add(&h, ET(WORKFLOW_EXECUTION_COMPLETED));
  tcore_wf_engine *e = engine();
  CHECK(feed(e, &h, 1, 0, 1) == TCORE_OK);
  act_free(next_act(e, "initialize_workflow"));
  cmds l = {0};
  c_start_timer(&l, 1, 5);
  complete_ok(e, &l);
  act_free(next_act(e, "notify_has_patch signal_workflow fire_timer"));
  cmds l2 = {0};
  c_patch(&l2, "later", 0);
  c_complete(&l2, NULL);
  complete_ok(e, &l2);
  CHECK(next_code(e) == TCORE_WF_RUN_FINISHED);
  tcore_wf_engine_free(e);

  /* Pages: the next task's events must be held before a task is given. */
  e = engine();
  CHECK(feed(e, &h, 1, 9, 0) == TCORE_OK); /* 1-8 */
  CHECK(next_code(e) == TCORE_WF_NEED_HISTORY);
  CHECK(feed(e, &h, 9, 12, 0) == TCORE_OK); /* the next task's started, completed, marker */
  act_free(next_act(e, "initialize_workflow"));
  complete_ok(e, &l);
  CHECK(next_code(e) == TCORE_WF_NEED_HISTORY);
  CHECK(feed(e, &h, 12, 0, 1) == TCORE_OK);
  act_free(next_act(e, "notify_has_patch signal_workflow fire_timer"));
  tcore_wf_engine_free(e);
}

/* A user upsert of TemporalChangeVersion is sent empty (flag 2). */
static void test_patch_user_version_upsert(void) {
  hist h = {0};
  tcore_wf_engine *e = first_task(&h);
  cmds l = {0};
  c_upsert(&l);
  Temporal__Api__Common__V1__SearchAttributes *sa =
      l.c[0]->upsert_workflow_search_attributes->search_attributes;
  sa->indexed_fields = wf_alloc(&A, sizeof *sa->indexed_fields);
  sa->indexed_fields[0] = NEW(Temporal__Api__Common__V1__SearchAttributes__IndexedFieldsEntry,
                              temporal__api__common__v1__search_attributes__indexed_fields_entry__init);
  sa->indexed_fields[0]->key = S("TemporalChangeVersion");
  sa->indexed_fields[0]->value = json_pl("[\"mine\"]", "KeywordList");
  sa->n_indexed_fields = 1;
  complete_ok(e, &l);
  char names[128];
  resp_t *r = take(e, names, sizeof names);
  CHECK(strcmp(names, "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES") == 0);
  if (r && r->n_commands == 1) {
    Temporal__Api__Common__V1__SearchAttributes *out =
        r->commands[0]->upsert_workflow_search_attributes_command_attributes->search_attributes;
    CHECK(out && out->n_indexed_fields == 0);
  }
  resp_free(r);
  tcore_wf_engine_free(e);
}

/* ---- updates (update.c) ---- */

static Temporal__Api__Update__V1__Request *upd_request(const char *id, const char *name) {
  Temporal__Api__Update__V1__Request *r =
      NEW(Temporal__Api__Update__V1__Request, temporal__api__update__v1__request__init);
  r->meta = NEW(Temporal__Api__Update__V1__Meta, temporal__api__update__v1__meta__init);
  r->meta->update_id = S(id);
  r->meta->identity = S("client-1");
  r->input = NEW(Temporal__Api__Update__V1__Input, temporal__api__update__v1__input__init);
  r->input->name = S(name);
  r->input->args = payloads1("\"arg\"");
  r->input->header = header1("uh", "uv");
  return r;
}

/* A poll response whose only content is an update request message. */
static wf_blob poll_with_update(const char *id, const char *name, int64_t seq_event_id) {
  Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse r =
      TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_TASK_QUEUE_RESPONSE__INIT;
  Temporal__Api__Protocol__V1__Message *m =
      NEW(Temporal__Api__Protocol__V1__Message, temporal__api__protocol__v1__message__init);
  char buf[128];
  snprintf(buf, sizeof buf, "%s/request", id);
  m->id = S(buf);
  m->protocol_instance_id = S(id);
  m->sequencing_id_case = TEMPORAL__API__PROTOCOL__V1__MESSAGE__SEQUENCING_ID_EVENT_ID;
  m->event_id = seq_event_id;
  m->body = NEW(Google__Protobuf__Any, google__protobuf__any__init);
  m->body->type_url = S("type.googleapis.com/temporal.api.update.v1.Request");
  wf_blob rb = {0};
  wf_pack(&upd_request(id, name)->base, &rb);
  m->body->value.data = wf_alloc(&A, rb.len + 1);
  memcpy(m->body->value.data, rb.data, rb.len);
  m->body->value.len = rb.len;
  free(rb.data);
  Temporal__Api__Protocol__V1__Message *ms[1] = {m};
  r.n_messages = 1;
  r.messages = ms;
  wf_blob b = {0};
  wf_pack(&r.base, &b);
  return b;
}

static void add_update(tcore_wf_engine *e, const char *id, int64_t seq_event_id) {
  wf_blob q = poll_with_update(id, "set_value", seq_event_id);
  tcore_error err = {0};
  int rc = tcore_wf_engine_add_queries(e, q.data, q.len, &err);
  CHECK(rc == TCORE_OK);
  if (rc) fprintf(stderr, "  add_queries: %d %s\n", rc, err.message);
  free(q.data);
}

enum { UR_ACCEPT = 1, UR_REJECT, UR_COMPLETE };
static void c_update(cmds *l, const char *id, int what) {
  wf_lang_cmd *c = cmd(l, CV(UPDATE_RESPONSE));
  Coresdk__WorkflowCommands__UpdateResponse *u = NEW(
      Coresdk__WorkflowCommands__UpdateResponse, coresdk__workflow_commands__update_response__init);
  u->protocol_instance_id = S(id);
  if (what == UR_ACCEPT) {
    u->response_case = CORESDK__WORKFLOW_COMMANDS__UPDATE_RESPONSE__RESPONSE_ACCEPTED;
    u->accepted = NEW(Google__Protobuf__Empty, google__protobuf__empty__init);
  } else if (what == UR_REJECT) {
    u->response_case = CORESDK__WORKFLOW_COMMANDS__UPDATE_RESPONSE__RESPONSE_REJECTED;
    u->rejected = failure("bad value");
  } else {
    u->response_case = CORESDK__WORKFLOW_COMMANDS__UPDATE_RESPONSE__RESPONSE_COMPLETED;
    u->completed = payload("\"done\"");
  }
  c->update_response = u;
}

static wf_event *h_update_accepted(hist *h, const char *id, int64_t seq) {
  wf_event *e = add(h, ET(WORKFLOW_EXECUTION_UPDATE_ACCEPTED));
  Temporal__Api__History__V1__WorkflowExecutionUpdateAcceptedEventAttributes *a =
      NEW(Temporal__Api__History__V1__WorkflowExecutionUpdateAcceptedEventAttributes,
          temporal__api__history__v1__workflow_execution_update_accepted_event_attributes__init);
  char buf[128];
  snprintf(buf, sizeof buf, "%s/request", id);
  a->protocol_instance_id = S(id);
  a->accepted_request_message_id = S(buf);
  a->accepted_request_sequencing_event_id = seq;
  a->accepted_request = upd_request(id, "set_value");
  e->attributes_case = HA(WORKFLOW_EXECUTION_UPDATE_ACCEPTED_EVENT_ATTRIBUTES);
  e->workflow_execution_update_accepted_event_attributes = a;
  return e;
}

static wf_event *h_update_completed(hist *h, const char *id, int64_t accepted) {
  wf_event *e = add(h, ET(WORKFLOW_EXECUTION_UPDATE_COMPLETED));
  Temporal__Api__History__V1__WorkflowExecutionUpdateCompletedEventAttributes *a =
      NEW(Temporal__Api__History__V1__WorkflowExecutionUpdateCompletedEventAttributes,
          temporal__api__history__v1__workflow_execution_update_completed_event_attributes__init);
  a->meta = upd_request(id, "set_value")->meta;
  a->accepted_event_id = accepted;
  e->attributes_case = HA(WORKFLOW_EXECUTION_UPDATE_COMPLETED_EVENT_ATTRIBUTES);
  e->workflow_execution_update_completed_event_attributes = a;
  return e;
}

/* The update's do_update job (job `ix` of `a`) carries the request. */
static void check_do_update(const Coresdk__WorkflowActivation__WorkflowActivation *a, size_t ix,
                            const char *id, int run_validator) {
  CHECK(a && a->n_jobs > ix && a->jobs[ix]->variant_case == JV(DO_UPDATE));
  if (!a || a->n_jobs <= ix || a->jobs[ix]->variant_case != JV(DO_UPDATE)) return;
  const Coresdk__WorkflowActivation__DoUpdate *d = a->jobs[ix]->do_update;
  CHECK(strcmp(d->id, id) == 0 && strcmp(d->protocol_instance_id, id) == 0);
  CHECK(strcmp(d->name, "set_value") == 0);
  CHECK(d->n_input == 1 && d->input[0]->data.len == 5 && memcmp(d->input[0]->data.data, "\"arg\"", 5) == 0);
  CHECK(d->n_headers == 1 && strcmp(d->headers[0]->key, "uh") == 0);
  CHECK(d->meta && strcmp(d->meta->update_id, id) == 0 && strcmp(d->meta->identity, "client-1") == 0);
  CHECK(d->run_validator == (protobuf_c_boolean)run_validator);
}

/* The outgoing message `ix` of `r`: its id and body type (short name);
 * returns the body's value. */
static ProtobufCBinaryData resp_msg(const resp_t *r, size_t ix, const char *id, const char *type) {
  ProtobufCBinaryData none = {0, NULL};
  CHECK(r && r->n_messages > ix);
  if (!r || r->n_messages <= ix) return none;
  const Temporal__Api__Protocol__V1__Message *m = r->messages[ix];
  CHECK(strcmp(m->id, id) == 0);
  if (strcmp(m->id, id)) fprintf(stderr, "  message id '%s', wanted '%s'\n", m->id, id);
  CHECK(strcmp(m->protocol_instance_id, "u1") == 0);
  CHECK(m->body && strstr(m->body->type_url, type) != NULL);
  return m->body ? m->body->value : none;
}

static void test_update_accept_complete_and_replay(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h); /* 2, 3 */
  tcore_wf_engine *e = engine();
  CHECK(feed(e, &h, 1, 0, 1) == TCORE_OK);
  add_update(e, "u1", 2);
  Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "initialize_workflow do_update");
  check_do_update(a, 1, "u1", 1);
  act_free(a);
  cmds l = {0};
  c_start_timer(&l, 1, 5);
  c_update(&l, "u1", UR_ACCEPT);
  c_update(&l, "u1", UR_COMPLETE);
  complete_ok(e, &l);
  char names[256];
  resp_t *r = take(e, names, sizeof names);
  CHECK(strcmp(names, "START_TIMER PROTOCOL_MESSAGE PROTOCOL_MESSAGE") == 0);
  CHECK(r && r->n_messages == 2);
  if (r && r->n_commands == 3) {
    CHECK(strcmp(r->commands[1]->protocol_message_command_attributes->message_id, "u1/request/accept") == 0);
    CHECK(strcmp(r->commands[2]->protocol_message_command_attributes->message_id, "u1/request/complete") == 0);
  }
  ProtobufCBinaryData v = resp_msg(r, 0, "u1/request/accept", "temporal.api.update.v1.Acceptance");
  Temporal__Api__Update__V1__Acceptance *acc = temporal__api__update__v1__acceptance__unpack(NULL, v.len, v.data);
  CHECK(acc && strcmp(acc->accepted_request_message_id, "u1/request") == 0 &&
        acc->accepted_request_sequencing_event_id == 2 && acc->accepted_request &&
        strcmp(acc->accepted_request->input->name, "set_value") == 0);
  if (acc) temporal__api__update__v1__acceptance__free_unpacked(acc, NULL);
  v = resp_msg(r, 1, "u1/request/complete", "temporal.api.update.v1.Response");
  Temporal__Api__Update__V1__Response *res = temporal__api__update__v1__response__unpack(NULL, v.len, v.data);
  CHECK(res && res->meta && strcmp(res->meta->update_id, "u1") == 0 && res->outcome &&
        res->outcome->value_case == TEMPORAL__API__UPDATE__V1__OUTCOME__VALUE_SUCCESS &&
        res->outcome->success->n_payloads == 1);
  if (res) temporal__api__update__v1__response__free_unpacked(res, NULL);
  resp_free(r);
  /* The server records the commands: the events match them. */
  h_wft_completed(&h);              /* 4 */
  h_timer_started(&h, "1");         /* 5 */
  h_update_accepted(&h, "u1", 2);   /* 6 */
  h_update_completed(&h, "u1", 6);  /* 7 */
  h_timer_fired(&h, "1", 5);        /* 8 */
  h_wft(&h);                        /* 9, 10 */
  CHECK(feed(e, &h, 4, 0, 1) == TCORE_OK);
  act_free(next_act(e, "fire_timer"));
  cmds done = {0};
  c_complete(&done, "\"ok\"");
  complete_ok(e, &done);
  r = take(e, names, sizeof names);
  CHECK(strcmp(names, "COMPLETE_WORKFLOW_EXECUTION") == 0 && r && r->n_messages == 0);
  resp_free(r);
  tcore_wf_engine_free(e);

  /* Replay (a new engine, the whole history): the update comes from the
   * UpdateAccepted event, without its validator; no messages go out. */
  e = engine();
  CHECK(feed(e, &h, 1, 0, 1) == TCORE_OK);
  a = next_act(e, "initialize_workflow do_update");
  check_do_update(a, 1, "u1", 0);
  CHECK(a && a->is_replaying);
  act_free(a);
  complete_ok(e, &l);
  act_free(next_act(e, "fire_timer"));
  complete_ok(e, &done);
  r = take(e, names, sizeof names);
  CHECK(strcmp(names, "COMPLETE_WORKFLOW_EXECUTION") == 0 && r && r->n_messages == 0);
  resp_free(r);
  tcore_wf_engine_free(e);

  /* Replay where the workflow no longer accepts the update: non-determinism. */
  e = engine();
  feed(e, &h, 1, 0, 1);
  act_free(next_act(e, "initialize_workflow do_update"));
  cmds only_timer = {0};
  c_start_timer(&only_timer, 1, 5);
  CHECK(complete(e, &only_timer, NULL) == TCORE_WF_NONDETERMINISM);
  tcore_wf_engine_free(e);
}

static void test_update_reject_and_fail(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  /* Rejected by the validator: one Rejection message, no command, no event. */
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  add_update(e, "u1", 2);
  act_free(next_act(e, "initialize_workflow do_update"));
  cmds l = {0};
  c_update(&l, "u1", UR_REJECT);
  complete_ok(e, &l);
  char names[256];
  resp_t *r = take(e, names, sizeof names);
  CHECK(strcmp(names, "") == 0 && r && r->n_messages == 1);
  ProtobufCBinaryData v = resp_msg(r, 0, "u1/request/reject", "temporal.api.update.v1.Rejection");
  Temporal__Api__Update__V1__Rejection *rej = temporal__api__update__v1__rejection__unpack(NULL, v.len, v.data);
  CHECK(rej && strcmp(rej->rejected_request_message_id, "u1/request") == 0 &&
        rej->rejected_request_sequencing_event_id == 2 && rej->rejected_request && rej->failure &&
        strcmp(rej->failure->message, "bad value") == 0);
  if (rej) temporal__api__update__v1__rejection__free_unpacked(rej, NULL);
  resp_free(r);
  /* a rejected update may be requested again (the same id); an accepted one
   * re-delivered is ignored */
  hist h2 = h;
  h_wft_completed(&h2); /* 4 */
  h_wft(&h2);           /* 5, 6 */
  feed(e, &h2, 4, 0, 1);
  add_update(e, "u1", 4);
  act_free(next_act(e, "do_update"));
  cmds acc1 = {0};
  c_update(&acc1, "u1", UR_ACCEPT);
  complete_ok(e, &acc1);
  r = take(e, names, sizeof names);
  CHECK(strcmp(names, "PROTOCOL_MESSAGE") == 0);
  resp_free(r);
  h_wft_completed(&h2);             /* 7 */
  h_update_accepted(&h2, "u1", 4);  /* 8 */
  h_wft(&h2);                       /* 9, 10 */
  feed(e, &h2, 7, 0, 1);
  add_update(e, "u1", 8);
  CHECK(next_code(e) == TCORE_WF_TASK_DONE);
  tcore_wf_engine_free(e);

  /* Accepted, then the handler fails: a Response with the failure. */
  e = engine();
  feed(e, &h, 1, 0, 1);
  add_update(e, "u1", 2);
  act_free(next_act(e, "initialize_workflow do_update"));
  cmds acc = {0};
  c_update(&acc, "u1", UR_ACCEPT);
  c_update(&acc, "u1", UR_REJECT);
  complete_ok(e, &acc);
  r = take(e, names, sizeof names);
  CHECK(strcmp(names, "PROTOCOL_MESSAGE PROTOCOL_MESSAGE") == 0 && r && r->n_messages == 2);
  v = resp_msg(r, 1, "u1/request/complete", "temporal.api.update.v1.Response");
  Temporal__Api__Update__V1__Response *res = temporal__api__update__v1__response__unpack(NULL, v.len, v.data);
  CHECK(res && res->outcome && res->outcome->value_case == TEMPORAL__API__UPDATE__V1__OUTCOME__VALUE_FAILURE &&
        strcmp(res->outcome->failure->message, "bad value") == 0);
  if (res) temporal__api__update__v1__response__free_unpacked(res, NULL);
  resp_free(r);
  tcore_wf_engine_free(e);

  /* Completed before accepted, an unknown update, twice accepted: the
   * activation fails. */
  const int bad[3][2] = {{UR_COMPLETE, 0}, {-1, 0}, {UR_ACCEPT, UR_ACCEPT}};
  for (int i = 0; i < 3; i++) {
    e = engine();
    feed(e, &h, 1, 0, 1);
    add_update(e, "u1", 2);
    act_free(next_act(e, "initialize_workflow do_update"));
    cmds b = {0};
    if (bad[i][0] < 0) c_update(&b, "nope", UR_ACCEPT);
    else c_update(&b, "u1", bad[i][0]);
    if (bad[i][1]) c_update(&b, "u1", bad[i][1]);
    tcore_error err = {0};
    CHECK(complete(e, &b, &err) == TCORE_WF_ACTIVATION_FAILED);
    CHECK(strstr(err.message, bad[i][0] < 0 ? "not known" : "invalid transition") != NULL);
    tcore_wf_engine_free(e);
  }

  /* A message body that is not an update request is refused. */
  e = engine();
  feed(e, &h, 1, 0, 1);
  Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse pr =
      TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_TASK_QUEUE_RESPONSE__INIT;
  Temporal__Api__Protocol__V1__Message *m =
      NEW(Temporal__Api__Protocol__V1__Message, temporal__api__protocol__v1__message__init);
  m->id = S("x");
  m->body = NEW(Google__Protobuf__Any, google__protobuf__any__init);
  m->body->type_url = S("type.googleapis.com/temporal.api.update.v1.Response");
  Temporal__Api__Protocol__V1__Message *ms[1] = {m};
  pr.n_messages = 1;
  pr.messages = ms;
  wf_blob pb = {0};
  wf_pack(&pr.base, &pb);
  CHECK(tcore_wf_engine_add_queries(e, pb.data, pb.len, NULL) == TCORE_ERR_INVALID_ARGUMENT);
  free(pb.data);
  tcore_wf_engine_free(e);
}

/* A speculative task whose only output is a rejection is discarded by the
 * server (reset_history_event_id): the engine forgets its scheduled/started
 * events and the next task reuses their ids. */
static void test_update_rejected_speculative_task_discarded(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h); /* 2, 3 */
  tcore_wf_engine *e = engine();
  feed(e, &h, 1, 0, 1);
  act_free(next_act(e, "initialize_workflow"));
  cmds l = {0};
  c_start_timer(&l, 1, 5);
  complete_ok(e, &l);
  char names[256];
  resp_free(take(e, names, sizeof names));
  h_wft_completed(&h);      /* 4 */
  h_timer_started(&h, "1"); /* 5 */
  hist real = h;            /* what the server keeps */
  h_wft(&h);                /* 6, 7: speculative */
  CHECK(feed(e, &h, 4, 0, 1) == TCORE_OK);
  add_update(e, "u1", 5);
  act_free(next_act(e, "do_update"));
  cmds rej = {0};
  c_update(&rej, "u1", UR_REJECT);
  complete_ok(e, &rej);
  resp_t *r = take(e, names, sizeof names);
  CHECK(strcmp(names, "") == 0 && r && r->n_messages == 1);
  resp_free(r);
  /* not the shape of a discardable task: refused */
  CHECK(tcore_wf_engine_discard_task(e, 7, NULL) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_wf_engine_discard_task(e, 3, NULL) == TCORE_OK);
  h_signal(&real, "go"); /* 6 */
  h_wft(&real);          /* 7, 8 */
  CHECK(feed(e, &real, 6, 0, 1) == TCORE_OK);
  act_free(next_act(e, "signal_workflow"));
  cmds done = {0};
  c_complete(&done, "\"ok\"");
  complete_ok(e, &done);
  r = take(e, names, sizeof names);
  CHECK(strcmp(names, "COMPLETE_WORKFLOW_EXECUTION") == 0);
  resp_free(r);
  tcore_wf_engine_free(e);
}

/* Update-with-start: the request is an UpdateAdmitted event in the first
 * task; on replay it is taken from there when UpdateAccepted is seen. */
static void test_update_admitted_with_start(void) {
  hist h = {0};
  h_started(&h);
  wf_event *ad = add(&h, ET(WORKFLOW_EXECUTION_UPDATE_ADMITTED)); /* 2 */
  Temporal__Api__History__V1__WorkflowExecutionUpdateAdmittedEventAttributes *aa =
      NEW(Temporal__Api__History__V1__WorkflowExecutionUpdateAdmittedEventAttributes,
          temporal__api__history__v1__workflow_execution_update_admitted_event_attributes__init);
  aa->request = upd_request("u1", "set_value");
  ad->attributes_case = HA(WORKFLOW_EXECUTION_UPDATE_ADMITTED_EVENT_ATTRIBUTES);
  ad->workflow_execution_update_admitted_event_attributes = aa;
  h_wft(&h); /* 3, 4 */
  tcore_wf_engine *e = engine();
  CHECK(feed(e, &h, 1, 0, 1) == TCORE_OK);
  Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "initialize_workflow do_update");
  check_do_update(a, 1, "u1", 1);
  act_free(a);
  cmds l = {0};
  c_update(&l, "u1", UR_ACCEPT);
  c_update(&l, "u1", UR_COMPLETE);
  c_complete(&l, "\"ok\"");
  complete_ok(e, &l);
  char names[256];
  resp_t *r = take(e, names, sizeof names);
  CHECK(strcmp(names, "PROTOCOL_MESSAGE PROTOCOL_MESSAGE COMPLETE_WORKFLOW_EXECUTION") == 0);
  resp_msg(r, 0, "u1/request/accept", "Acceptance");
  resp_free(r);
  tcore_wf_engine_free(e);

  h_wft_completed(&h);             /* 5 */
  wf_event *acc = h_update_accepted(&h, "u1", 2); /* 6 */
  acc->workflow_execution_update_accepted_event_attributes->accepted_request = NULL;
  h_update_completed(&h, "u1", 6); /* 7 */
  add(&h, ET(WORKFLOW_EXECUTION_COMPLETED));
  e = engine();
  CHECK(feed(e, &h, 1, 0, 1) == TCORE_OK);
  a = next_act(e, "initialize_workflow do_update");
  check_do_update(a, 1, "u1", 0);
  act_free(a);
  complete_ok(e, &l);
  CHECK(next_code(e) == TCORE_WF_RUN_FINISHED);
  tcore_wf_engine_free(e);
}

/* ---- local activities ---- */

/* A "core_local_activity" marker as sdk-core writes it (failure NULL:
 * completed with result "\"la-done\""; backoff_s >= 0 sets "backoff"). */
static wf_event *h_la_marker(hist *h, uint32_t seq, const char *id, const char *type,
                             const char *fail_msg, int64_t backoff_s) {
  wf_event *e = add(h, ET(MARKER_RECORDED));
  Temporal__Api__History__V1__MarkerRecordedEventAttributes *a =
      NEW(Temporal__Api__History__V1__MarkerRecordedEventAttributes,
          temporal__api__history__v1__marker_recorded_event_attributes__init);
  a->marker_name = S("core_local_activity");
  char json[512], bo[64] = "null";
  if (backoff_s >= 0) snprintf(bo, sizeof bo, "{\"seconds\":%lld,\"nanos\":0}", (long long)backoff_s);
  snprintf(json, sizeof json,
           "{\"seq\":%u,\"attempt\":1,\"activity_id\":\"%s\",\"activity_type\":\"%s\","
           "\"complete_time\":{\"seconds\":1672264256,\"nanos\":211834030},\"backoff\":%s,"
           "\"original_schedule_time\":{\"seconds\":1672264241,\"nanos\":214062155}}",
           seq, id, type, bo);
  size_t n = fail_msg ? 1 : 2;
  a->details = wf_alloc(&A, 2 * sizeof *a->details);
  const char *keys[2] = {"data", "result"}, *vals[2] = {json, "\"la-done\""};
  for (size_t i = 0; i < n; i++) {
    a->details[i] = NEW(Temporal__Api__History__V1__MarkerRecordedEventAttributes__DetailsEntry,
                        temporal__api__history__v1__marker_recorded_event_attributes__details_entry__init);
    a->details[i]->key = S(keys[i]);
    a->details[i]->value = payloads1(vals[i]);
  }
  a->n_details = n;
  if (fail_msg) a->failure = failure(fail_msg);
  e->attributes_case = HA(MARKER_RECORDED_EVENT_ATTRIBUTES);
  e->marker_recorded_event_attributes = a;
  return e;
}

static void c_local_activity(cmds *l, uint32_t seq, const char *id, const char *type,
                             int cancel_type) {
  wf_lang_cmd *c = cmd(l, CV(SCHEDULE_LOCAL_ACTIVITY));
  Coresdk__WorkflowCommands__ScheduleLocalActivity *s =
      NEW(Coresdk__WorkflowCommands__ScheduleLocalActivity,
          coresdk__workflow_commands__schedule_local_activity__init);
  s->seq = seq;
  s->activity_id = S(id);
  s->activity_type = S(type);
  s->cancellation_type = cancel_type;
  s->start_to_close_timeout = dur(30);
  c->schedule_local_activity = s;
}

static void c_cancel_local_activity(cmds *l, uint32_t seq) {
  wf_lang_cmd *c = cmd(l, CV(REQUEST_CANCEL_LOCAL_ACTIVITY));
  c->request_cancel_local_activity = NEW(Coresdk__WorkflowCommands__RequestCancelLocalActivity,
                                         coresdk__workflow_commands__request_cancel_local_activity__init);
  c->request_cancel_local_activity->seq = seq;
}

/* The next request the engine has for the run manager (NULL: none). */
static wf_lang_cmd *take_la(tcore_wf_engine *e) {
  uint8_t *out = NULL;
  size_t len = 0;
  if (tcore_wf_engine_take_local_activity(e, &out, &len, NULL) != TCORE_OK) return NULL;
  wf_lang_cmd *c = coresdk__workflow_commands__workflow_command__unpack(NULL, len, out);
  free(out);
  return c;
}

/* Resolves seq: completed ("\"la-done\"") when fail_msg is NULL, else failed. */
static int resolve_la(tcore_wf_engine *e, uint32_t seq, const char *fail_msg, int64_t backoff_ns) {
  Coresdk__ActivityResult__ActivityExecutionResult r =
      CORESDK__ACTIVITY_RESULT__ACTIVITY_EXECUTION_RESULT__INIT;
  Coresdk__ActivityResult__Success ok = CORESDK__ACTIVITY_RESULT__SUCCESS__INIT;
  Coresdk__ActivityResult__Failure f = CORESDK__ACTIVITY_RESULT__FAILURE__INIT;
  if (fail_msg) {
    f.failure = failure(fail_msg);
    r.status_case = CORESDK__ACTIVITY_RESULT__ACTIVITY_EXECUTION_RESULT__STATUS_FAILED;
    r.failed = &f;
  } else {
    ok.result = payload("\"la-done\"");
    r.status_case = CORESDK__ACTIVITY_RESULT__ACTIVITY_EXECUTION_RESULT__STATUS_COMPLETED;
    r.completed = &ok;
  }
  wf_blob b = {0};
  wf_pack(&r.base, &b);
  tcore_wf_la_outcome o = {.seq = seq, .result = b.data, .result_len = b.len, .attempt = 1,
                           .complete_time_ns = 1700000100123456789LL, .backoff_ns = backoff_ns};
  int rc = tcore_wf_engine_resolve_local_activity(e, &o, NULL);
  free(b.data);
  return rc;
}

static const char *marker_data(const Temporal__Api__Command__V1__Command *c) {
  static char buf[1024];
  buf[0] = 0;
  const Temporal__Api__Command__V1__RecordMarkerCommandAttributes *a =
      c->record_marker_command_attributes;
  for (size_t i = 0; a && i < a->n_details; i++)
    if (!strcmp(a->details[i]->key, "data") && a->details[i]->value->n_payloads) {
      const ProtobufCBinaryData *d = &a->details[i]->value->payloads[0]->data;
      snprintf(buf, sizeof buf, "%.*s", (int)d->len, (const char *)d->data);
    }
  return buf;
}

/* New run: the request goes to the run manager, the task waits for it, the
 * outcome is a marker command and a resolve_activity job (completed,
 * failed, backoff). */
static void test_local_activity_new_run(void) {
  static const struct {
    const char *fail;
    int64_t backoff_ns;
    int status;
    const char *json_has;
  } cases[] = {
      {NULL, -1, CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_COMPLETED, "\"backoff\":null"},
      {"boom", -1, CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_FAILED, "\"attempt\":1"},
      {"boom", 90 * 1000000000LL, CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_BACKOFF,
       "\"backoff\":{\"seconds\":90,\"nanos\":0}"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hist h = {0};
    h_started(&h);
    h_wft(&h);
    tcore_wf_engine *e = engine_at_init(&h);
    cmds l = {0};
    c_local_activity(&l, 1, "la-1", "Quick", 0);
    if (i == 0) { /* a summary: it goes with the marker */
      l.c[0]->user_metadata =
          NEW(Temporal__Api__Sdk__V1__UserMetadata, temporal__api__sdk__v1__user_metadata__init);
      l.c[0]->user_metadata->summary = payload("\"sum\"");
    }
    complete_ok(e, &l);
    CHECK(next_code(e) == TCORE_WF_WAIT_LOCAL_ACTIVITIES);
    wf_lang_cmd *rq = take_la(e);
    CHECK(rq && rq->variant_case == CV(SCHEDULE_LOCAL_ACTIVITY) &&
          rq->schedule_local_activity->seq == 1 && rq->schedule_local_activity->attempt == 1 &&
          !strcmp(rq->schedule_local_activity->activity_id, "la-1") &&
          rq->schedule_local_activity->original_schedule_time &&
          rq->schedule_local_activity->original_schedule_time->seconds == 1700000003);
    if (rq) coresdk__workflow_commands__workflow_command__free_unpacked(rq, NULL);
    CHECK(take_la(e) == NULL);
    CHECK(resolve_la(e, 2, NULL, -1) == TCORE_ERR_NOT_FOUND);
    CHECK(resolve_la(e, 1, cases[i].fail, cases[i].backoff_ns) == TCORE_OK);
    Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "resolve_activity");
    if (a && a->n_jobs == 1) {
      Coresdk__WorkflowActivation__ResolveActivity *ra = a->jobs[0]->resolve_activity;
      CHECK(ra->seq == 1 && ra->is_local && (int)ra->result->status_case == cases[i].status);
      if (cases[i].status == CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_BACKOFF)
        CHECK(ra->result->backoff->attempt == 2 &&
              ra->result->backoff->backoff_duration->seconds == 90 &&
              ra->result->backoff->original_schedule_time->seconds == 1700000003);
      if (cases[i].status == CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_FAILED)
        CHECK(!strcmp(ra->result->failed->failure->message, "boom"));
    }
    act_free(a);
    cmds l2 = {0};
    c_complete(&l2, "\"r\"");
    complete_ok(e, &l2);
    char names[256];
    resp_t *r = take(e, names, sizeof names);
    CHECK(!strcmp(names, "RECORD_MARKER COMPLETE_WORKFLOW_EXECUTION"));
    if (r && r->n_commands == 2) {
      const Temporal__Api__Command__V1__Command *m = r->commands[0];
      CHECK(!strcmp(m->record_marker_command_attributes->marker_name, "core_local_activity"));
      const char *js = marker_data(m);
      CHECK(strstr(js, "{\"seq\":1,\"attempt\":1,\"activity_id\":\"la-1\",\"activity_type\":\"Quick\","
                       "\"complete_time\":{\"seconds\":1700000100,\"nanos\":123456789}") == js);
      CHECK(strstr(js, cases[i].json_has) != NULL);
      CHECK(strstr(js, "\"original_schedule_time\":{\"seconds\":1700000003,\"nanos\":3000}}"));
      CHECK((m->record_marker_command_attributes->failure != NULL) == (cases[i].fail != NULL));
      CHECK(m->record_marker_command_attributes->n_details == (cases[i].fail ? 1u : 2u));
      CHECK((i == 0) == (m->user_metadata != NULL));
      if (i == 0 && m->user_metadata)
        CHECK(m->user_metadata->summary &&
              !memcmp(m->user_metadata->summary->data.data, "\"sum\"", 5));
    }
    resp_free(r);
    /* the marker comes back in history and is matched */
    h_wft_completed(&h);
    h_la_marker(&h, 1, "la-1", "Quick", cases[i].fail, cases[i].backoff_ns >= 0 ? 90 : -1);
    add(&h, ET(WORKFLOW_EXECUTION_COMPLETED));
    CHECK(feed(e, &h, 4, 0, 1) == TCORE_OK);
    tcore_wf_engine_free(e);
  }
}

/* Replay: the marker resolves the local activity in the activation after
 * the one that scheduled it; nothing is requested; the marker's outcome
 * (completed, failed, backoff) reaches the workflow. */
static void test_local_activity_replay(void) {
  static const struct {
    const char *fail;
    int64_t backoff_s;
    int status;
  } cases[] = {
      {NULL, -1, CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_COMPLETED},
      {"boom", -1, CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_FAILED},
      {"boom", 60, CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_BACKOFF},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hist h = {0};
    h_started(&h);
    h_wft(&h);
    h_wft_completed(&h);
    h_la_marker(&h, 1, "la-1", "Quick", cases[i].fail, cases[i].backoff_s);
    h_timer_started(&h, "2");
    h_wft(&h);
    tcore_wf_engine *e = engine_at_init(&h);
    cmds l = {0};
    c_local_activity(&l, 1, "la-1", "Quick", 0);
    complete_ok(e, &l);
    CHECK(take_la(e) == NULL);
    Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "resolve_activity");
    CHECK(a && a->is_replaying);
    if (a && a->n_jobs == 1) {
      Coresdk__WorkflowActivation__ResolveActivity *ra = a->jobs[0]->resolve_activity;
      CHECK(ra->seq == 1 && ra->is_local && (int)ra->result->status_case == cases[i].status);
      if (cases[i].status == CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_COMPLETED)
        CHECK(ra->result->completed->result &&
              !memcmp(ra->result->completed->result->data.data, "\"la-done\"", 9));
      if (cases[i].status == CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_BACKOFF)
        CHECK(ra->result->backoff->attempt == 2 &&
              ra->result->backoff->backoff_duration->seconds == 60 &&
              ra->result->backoff->original_schedule_time->seconds == 1672264241);
    }
    act_free(a);
    cmds l2 = {0};
    c_start_timer(&l2, 2, 5);
    complete_ok(e, &l2);
    char names[256];
    resp_t *r = take(e, names, sizeof names);
    CHECK(r && !strcmp(names, "")); /* the timer was matched in replay */
    resp_free(r);
    CHECK(take_la(e) == NULL);
    tcore_wf_engine_free(e);
  }
}

/* Replay catches up with a local activity whose marker history does not hold
 * (the worker that ran it was lost, or it still ran at a heartbeat): it runs
 * in the current task, as sdk-core does. */
static void test_local_activity_runs_after_replay_without_marker(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  h_wft_completed(&h);                     /* 4 */
  wf_event *ts = h_timer_started(&h, "1"); /* 5 */
  h_timer_fired(&h, "1", ts->event_id);    /* 6 */
  h_wft(&h);                               /* 7, 8: the current task */
  tcore_wf_engine *e = engine_at_init(&h);
  cmds l = {0};
  c_local_activity(&l, 1, "", "Again", 0);
  c_start_timer(&l, 1, 1);
  complete_ok(e, &l);
  CHECK(take_la(e) == NULL); /* replaying: waits for a marker */
  act_free(next_act(e, "fire_timer"));
  complete_ok(e, NULL);
  CHECK(next_code(e) == TCORE_WF_WAIT_LOCAL_ACTIVITIES);
  wf_lang_cmd *rq = take_la(e);
  CHECK(rq && rq->variant_case == CV(SCHEDULE_LOCAL_ACTIVITY) &&
        !strcmp(rq->schedule_local_activity->activity_type, "Again"));
  if (rq) coresdk__workflow_commands__workflow_command__free_unpacked(rq, NULL);
  CHECK(resolve_la(e, 1, NULL, -1) == TCORE_OK);
  Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "resolve_activity");
  CHECK(a && !a->is_replaying);
  act_free(a);
  cmds l2 = {0};
  c_complete(&l2, "\"r\"");
  complete_ok(e, &l2);
  char names[128];
  resp_t *r = take(e, names, sizeof names);
  CHECK(r && !strcmp(names, "RECORD_MARKER COMPLETE_WORKFLOW_EXECUTION"));
  resp_free(r);
  tcore_wf_engine_free(e);
}

/* Replay of a local activity that ran past the task timeout: the task that
 * scheduled it was completed empty (a heartbeat, a new task forced at once)
 * and the marker is in a later task's completion; the look-ahead finds it. */
static void test_local_activity_replay_across_heartbeat(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  h_wft_completed(&h);                      /* 4 */
  wf_event *ts = h_timer_started(&h, "1");  /* 5 */
  h_timer_fired(&h, "1", ts->event_id);     /* 6 */
  h_wft(&h);                                /* 7, 8: the local activity starts */
  h_wft_completed(&h);                      /* 9: a heartbeat, no commands */
  h_wft(&h);                                /* 10, 11 */
  h_wft_completed(&h);                      /* 12 */
  h_la_marker(&h, 1, "1", "Long", NULL, -1); /* 13 */
  h_wft(&h);                                /* 14, 15: the current task */
  tcore_wf_engine *e = engine_at_init(&h);
  cmds l = {0};
  c_start_timer(&l, 1, 1);
  complete_ok(e, &l);
  act_free(next_act(e, "fire_timer"));
  cmds l2 = {0};
  c_local_activity(&l2, 1, "", "Long", 0);
  complete_ok(e, &l2);
  Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "resolve_activity");
  CHECK(a && a->is_replaying);
  act_free(a);
  complete_ok(e, NULL);
  CHECK(take_la(e) == NULL);
  char names[64];
  resp_t *r = take(e, names, sizeof names);
  CHECK(r && !strcmp(names, ""));
  resp_free(r);
  tcore_wf_engine_free(e);
}

/* A task waiting for a local activity is answered before its timeout (the
 * commands so far, force_create_new_workflow_task); the next task waits on,
 * and the outcome then resolves it and records its marker. */
static void test_local_activity_heartbeat(void) {
  hist h = {0};
  h_started(&h);
  h_wft(&h);
  tcore_wf_engine *e = engine_at_init(&h);
  CHECK(tcore_wf_engine_task_timeout_ms(e) == 10000);
  uint8_t *out = NULL;
  size_t len = 0;
  CHECK(tcore_wf_engine_heartbeat(e, &out, &len, NULL) == TCORE_ERR_INVALID_ARGUMENT);
  cmds l = {0};
  c_local_activity(&l, 1, "", "Long", 0);
  c_start_timer(&l, 1, 100);
  complete_ok(e, &l);
  CHECK(next_code(e) == TCORE_WF_WAIT_LOCAL_ACTIVITIES);
  wf_lang_cmd *rq = take_la(e);
  if (rq) coresdk__workflow_commands__workflow_command__free_unpacked(rq, NULL);
  CHECK(tcore_wf_engine_heartbeat(e, &out, &len, NULL) == TCORE_OK);
  resp_t *r = temporal__api__workflowservice__v1__respond_workflow_task_completed_request__unpack(
      NULL, len, out);
  free(out);
  CHECK(r && r->force_create_new_workflow_task && r->n_commands == 1 &&
        r->commands[0]->command_type == CT(START_TIMER));
  resp_free(r);
  /* the forced task: nothing for the workflow, the local activity still runs */
  h_wft_completed(&h);
  h_timer_started(&h, "1");
  h_wft(&h);
  CHECK(feed(e, &h, 4, 0, 1) == TCORE_OK);
  CHECK(next_code(e) == TCORE_WF_WAIT_LOCAL_ACTIVITIES);
  CHECK(resolve_la(e, 1, NULL, -1) == TCORE_OK);
  act_free(next_act(e, "resolve_activity"));
  cmds l2 = {0};
  c_complete(&l2, "\"r\"");
  complete_ok(e, &l2);
  char names[128];
  r = take(e, names, sizeof names);
  CHECK(r && !strcmp(names, "RECORD_MARKER COMPLETE_WORKFLOW_EXECUTION") &&
        !r->force_create_new_workflow_task);
  resp_free(r);
  tcore_wf_engine_free(e);
}

static void check_nondeterminism_failure(tcore_wf_engine *e) {
  failed_t *f = take_failure(e);
  CHECK(f && f->cause == TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR);
  msg_free(f);
}

/* Replay mismatches are non-determinism: no marker for a local activity,
 * a marker no local activity waits for, another activity type. */
static void test_local_activity_nondeterminism(void) {
  static const struct {
    int marker;       /* put a marker in history */
    int schedule;     /* the code schedules the local activity */
    const char *type; /* its type */
    const char *want;
  } cases[] = {
      {0, 1, "Quick", "history holds no marker"},
      {1, 0, "Quick", "no such local activity"},
      {1, 1, "Other", "Activity type of recorded marker 'Quick'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hist h = {0};
    h_started(&h);
    h_wft(&h);
    h_wft_completed(&h);
    if (cases[i].marker) h_la_marker(&h, 1, "la-1", "Quick", NULL, -1);
    wf_event *ts = h_timer_started(&h, "2");
    if (!cases[i].marker) { /* the run ends with no marker for it */
      h_timer_fired(&h, "2", ts->event_id);
      h_wft(&h);
      h_wft_completed(&h);
      add(&h, ET(WORKFLOW_EXECUTION_COMPLETED));
    } else {
      h_wft(&h);
    }
    tcore_wf_engine *e = engine_at_init(&h);
    cmds l = {0};
    if (cases[i].schedule) c_local_activity(&l, 1, "la-1", cases[i].type, 0);
    c_start_timer(&l, 2, 5);
    tcore_error err = {0};
    int rc = complete(e, &l, &err);
    if (rc == TCORE_OK) {
      uint8_t *out = NULL;
      size_t len = 0;
      rc = tcore_wf_engine_next_activation(e, &out, &len, &err);
      free(out);
    }
    CHECK(rc == TCORE_WF_NONDETERMINISM);
    CHECK(strstr(err.message, cases[i].want) != NULL);
    if (!strstr(err.message, cases[i].want)) fprintf(stderr, "  case %zu: rc %d got '%s'\n", i, rc, err.message);
    check_nondeterminism_failure(e);
    tcore_wf_engine_free(e);
  }
}

/* Cancel: TRY_CANCEL resolves at once (cancelled, wrapped in an activity
 * failure) with a marker, and asks the run manager to stop it; its late
 * outcome is ignored. WAIT_CANCELLATION_COMPLETED waits for the outcome. */
static void test_local_activity_cancel(void) {
  for (int wait = 0; wait < 2; wait++) {
    hist h = {0};
    h_started(&h);
    h_wft(&h);
    tcore_wf_engine *e = engine_at_init(&h);
    cmds l = {0};
    c_local_activity(&l, 1, "la-1", "Slow",
                     wait ? CORESDK__WORKFLOW_COMMANDS__ACTIVITY_CANCELLATION_TYPE__WAIT_CANCELLATION_COMPLETED
                          : CORESDK__WORKFLOW_COMMANDS__ACTIVITY_CANCELLATION_TYPE__TRY_CANCEL);
    c_cancel_local_activity(&l, 1);
    complete_ok(e, &l);
    wf_lang_cmd *r1 = take_la(e), *r2 = take_la(e);
    CHECK(r1 && r1->variant_case == CV(SCHEDULE_LOCAL_ACTIVITY));
    CHECK(r2 && r2->variant_case == CV(REQUEST_CANCEL_LOCAL_ACTIVITY) &&
          r2->request_cancel_local_activity->seq == 1);
    if (r1) coresdk__workflow_commands__workflow_command__free_unpacked(r1, NULL);
    if (r2) coresdk__workflow_commands__workflow_command__free_unpacked(r2, NULL);
    if (wait) {
      CHECK(next_code(e) == TCORE_WF_WAIT_LOCAL_ACTIVITIES);
      CHECK(resolve_la(e, 1, "stopped", -1) == TCORE_OK);
    }
    Coresdk__WorkflowActivation__WorkflowActivation *a = next_act(e, "resolve_activity");
    if (a && a->n_jobs == 1) {
      Coresdk__ActivityResult__ActivityResolution *res = a->jobs[0]->resolve_activity->result;
      if (wait) {
        CHECK(res->status_case == CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_FAILED);
      } else {
        CHECK(res->status_case == CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_CANCELLED &&
              !strcmp(res->cancelled->failure->message, "Local Activity cancelled") &&
              res->cancelled->failure->cause &&
              res->cancelled->failure->cause->failure_info_case ==
                  TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO);
      }
    }
    act_free(a);
    if (!wait) CHECK(resolve_la(e, 1, "late", -1) == TCORE_OK); /* ignored */
    cmds l2 = {0};
    c_complete(&l2, "\"r\"");
    complete_ok(e, &l2);
    char names[256];
    resp_t *r = take(e, names, sizeof names);
    CHECK(!strcmp(names, "RECORD_MARKER COMPLETE_WORKFLOW_EXECUTION"));
    resp_free(r);
    tcore_wf_engine_free(e);
  }
}

int main(void) {
  RUN(test_initialize_and_complete);
  RUN(test_terminal_commands);
  RUN(test_terminal_old_behaviour_replays);
  RUN(test_timer_replay_and_fire);
  RUN(test_timer_incremental_and_cancel);
  RUN(test_activity_endings);
  RUN(test_activity_schedule_attributes);
  RUN(test_activity_cancellation);
  RUN(test_activity_cancel_before_sent);
  RUN(test_job_order_and_properties);
  RUN(test_reset_random_seed);
  RUN(test_queries_in_task);
  RUN(test_legacy_query);
  RUN(test_nondeterminism);
  RUN(test_nondeterminism_on_new_history);
  RUN(test_activation_failed);
  RUN(test_flags_and_sdk_metadata);
  RUN(test_heartbeat_tasks_fold);
  RUN(test_terminated_run);
  RUN(test_child_start_and_complete);
  RUN(test_child_start_failed);
  RUN(test_child_endings);
  RUN(test_child_cancellation);
  RUN(test_child_cancel_before_sent);
  RUN(test_external_signal_and_cancel);
  RUN(test_unsupported_command_and_eviction);
  RUN(test_history_pages);
  RUN(test_real_histories);
  RUN(test_official_sdk_history);
  RUN(test_patch_marker_details);
  RUN(test_patch_new_run);
  RUN(test_patch_replay_table);
  RUN(test_patch_lookahead);
  RUN(test_patch_user_version_upsert);
  RUN(test_update_accept_complete_and_replay);
  RUN(test_update_reject_and_fail);
  RUN(test_update_admitted_with_start);
  RUN(test_update_rejected_speculative_task_discarded);
  RUN(test_local_activity_new_run);
  RUN(test_local_activity_replay);
  RUN(test_local_activity_nondeterminism);
  RUN(test_local_activity_cancel);
  RUN(test_local_activity_replay_across_heartbeat);
  RUN(test_local_activity_heartbeat);
  RUN(test_local_activity_runs_after_replay_without_marker);
  wf_arena_free(&A);
  return check_summary();
}
