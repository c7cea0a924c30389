/* activity.c: the activity machine. schedule_activity /
 * request_cancel_activity commands <-> ActivityTaskScheduled / Started /
 * Completed / Failed / TimedOut / CancelRequested / Canceled events,
 * resolve_activity jobs.
 *
 * Cancellation types (coresdk ActivityCancellationType):
 *   TRY_CANCEL: RequestCancelActivityTask is sent and the activity resolves
 *     as cancelled at once; what history says later is consumed silently.
 *   WAIT_CANCELLATION_COMPLETED: the request is sent; the activity resolves
 *     when history says how it ended (Canceled, or Completed/Failed/TimedOut).
 *   ABANDON: nothing is sent; resolves as cancelled at once.
 * Cancelled before its schedule command was sent: the command is dropped and
 * the activity resolves as cancelled at once (all types).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wf_internal.h"

enum {
  A_NEW = 0,
  A_CREATED,       /* schedule command queued */
  A_SCHEDULED,     /* ActivityTaskScheduled applied */
  A_STARTED,       /* ActivityTaskStarted applied */
  A_CANCEL_SENT,   /* RequestCancelActivityTask queued */
  A_CANCEL_REQ,    /* ActivityTaskCancelRequested applied */
  A_DONE,          /* resolved and nothing more expected from history */
  A_N_STATES
};
enum {
  AI_CMD_SCHEDULE = 0,
  AI_CMD_CANCEL_TRY,
  AI_CMD_CANCEL_WAIT,
  AI_CMD_CANCEL_ABANDON,
  AI_EV_SCHEDULED,
  AI_EV_STARTED,
  AI_EV_COMPLETED,
  AI_EV_FAILED,
  AI_EV_TIMED_OUT,
  AI_EV_CANCEL_REQUESTED,
  AI_EV_CANCELED,
  AI_N
};
enum {
  AA_BAD = 0,
  AA_NONE,
  AA_ISSUE_SCHEDULE,
  AA_DROP_AND_RESOLVE_CANCEL, /* cancelled before sent */
  AA_ISSUE_CANCEL,            /* WAIT_CANCELLATION_COMPLETED */
  AA_ISSUE_CANCEL_RESOLVE,    /* TRY_CANCEL */
  AA_RESOLVE_CANCEL,          /* ABANDON */
  AA_RESOLVE_EVENT            /* completed / failed / timed out / canceled, from the event */
};

#define ALL_CANCELS(a, n)                                                     \
  [AI_CMD_CANCEL_TRY] = {a, n}, [AI_CMD_CANCEL_WAIT] = {a, n},                \
  [AI_CMD_CANCEL_ABANDON] = {a, n}
#define ENDINGS(a, n)                                                          \
  [AI_EV_COMPLETED] = {a, n}, [AI_EV_FAILED] = {a, n}, [AI_EV_TIMED_OUT] = {a, n}

static const struct {
  unsigned char action, next;
} table[A_N_STATES][AI_N] = {
    [A_NEW] = {[AI_CMD_SCHEDULE] = {AA_ISSUE_SCHEDULE, A_CREATED}},
    [A_CREATED] = {ALL_CANCELS(AA_DROP_AND_RESOLVE_CANCEL, A_DONE),
                   [AI_EV_SCHEDULED] = {AA_NONE, A_SCHEDULED}},
    [A_SCHEDULED] = {[AI_CMD_CANCEL_TRY] = {AA_ISSUE_CANCEL_RESOLVE, A_CANCEL_SENT},
                     [AI_CMD_CANCEL_WAIT] = {AA_ISSUE_CANCEL, A_CANCEL_SENT},
                     [AI_CMD_CANCEL_ABANDON] = {AA_RESOLVE_CANCEL, A_DONE},
                     [AI_EV_STARTED] = {AA_NONE, A_STARTED},
                     ENDINGS(AA_RESOLVE_EVENT, A_DONE)},
    [A_STARTED] = {[AI_CMD_CANCEL_TRY] = {AA_ISSUE_CANCEL_RESOLVE, A_CANCEL_SENT},
                   [AI_CMD_CANCEL_WAIT] = {AA_ISSUE_CANCEL, A_CANCEL_SENT},
                   [AI_CMD_CANCEL_ABANDON] = {AA_RESOLVE_CANCEL, A_DONE},
                   ENDINGS(AA_RESOLVE_EVENT, A_DONE)},
    [A_CANCEL_SENT] = {ALL_CANCELS(AA_NONE, A_CANCEL_SENT),
                       [AI_EV_CANCEL_REQUESTED] = {AA_NONE, A_CANCEL_REQ}},
    [A_CANCEL_REQ] = {ALL_CANCELS(AA_NONE, A_CANCEL_REQ),
                      [AI_EV_STARTED] = {AA_NONE, A_CANCEL_REQ},
                      ENDINGS(AA_RESOLVE_EVENT, A_DONE),
                      [AI_EV_CANCELED] = {AA_RESOLVE_EVENT, A_DONE}},
    /* Done: later events (after an abandon or a try-cancel) are consumed. */
    [A_DONE] = {ALL_CANCELS(AA_NONE, A_DONE), [AI_EV_STARTED] = {AA_NONE, A_DONE},
                ENDINGS(AA_NONE, A_DONE), [AI_EV_CANCELED] = {AA_NONE, A_DONE}},
};

static const char *state_name[A_N_STATES] = {"new", "created", "scheduled", "started",
                                             "cancel sent", "cancel requested", "done"};

/* machines[].cancel_type keeps the coresdk cancellation type; the
 * "resolved" bit rides above it. */
#define RESOLVED 0x100

Temporal__Api__Failure__V1__Failure *wf_activity_failure(
    wf_arena *a, const wf_machine *m, const char *message, Temporal__Api__Failure__V1__Failure *cause,
    const char *identity, int retry_state, int64_t started_event_id) {
  Temporal__Api__Failure__V1__Failure *f = wf_alloc(a, sizeof *f);
  Temporal__Api__Failure__V1__ActivityFailureInfo *info = wf_alloc(a, sizeof *info);
  Temporal__Api__Common__V1__ActivityType *t = wf_alloc(a, sizeof *t);
  if (!f || !info || !t) return NULL;
  temporal__api__failure__v1__failure__init(f);
  temporal__api__failure__v1__activity_failure_info__init(info);
  temporal__api__common__v1__activity_type__init(t);
  f->message = (char *)message;
  f->cause = cause;
  t->name = m->type;
  info->activity_type = t;
  info->activity_id = m->id;
  info->identity = (char *)(identity ? identity : "");
  info->retry_state = retry_state;
  info->started_event_id = started_event_id;
  info->scheduled_event_id = m->initial_event_id;
  f->failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_ACTIVITY_FAILURE_INFO;
  f->activity_failure_info = info;
  return f;
}

static Temporal__Api__Failure__V1__Failure *canceled_cause(wf_arena *a,
                                                          Temporal__Api__Common__V1__Payloads *details) {
  Temporal__Api__Failure__V1__Failure *f = wf_alloc(a, sizeof *f);
  Temporal__Api__Failure__V1__CanceledFailureInfo *ci = wf_alloc(a, sizeof *ci);
  if (!f || !ci) return NULL;
  temporal__api__failure__v1__failure__init(f);
  temporal__api__failure__v1__canceled_failure_info__init(ci);
  ci->details = details;
  f->failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO;
  f->canceled_failure_info = ci;
  return f;
}

static int push_resolution(wf_engine *e, wf_machine *m,
                           Coresdk__ActivityResult__ActivityResolution *res) {
  Coresdk__WorkflowActivation__ResolveActivity ra =
      CORESDK__WORKFLOW_ACTIVATION__RESOLVE_ACTIVITY__INIT;
  ra.seq = m->seq;
  ra.result = res;
  wf_job_msg job = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
  job.variant_case = JV(RESOLVE_ACTIVITY);
  job.resolve_activity = &ra;
  m->cancel_type |= RESOLVED;
  return wf_push_job(e, WF_JOB_OTHER, &job);
}

static int resolve_cancel_now(wf_engine *e, wf_arena *a, wf_machine *m) {
  Coresdk__ActivityResult__ActivityResolution res = CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__INIT;
  Coresdk__ActivityResult__Cancellation can = CORESDK__ACTIVITY_RESULT__CANCELLATION__INIT;
  can.failure = wf_activity_failure(a, m, "Activity cancelled", canceled_cause(a, NULL), NULL,
                                 TEMPORAL__API__ENUMS__V1__RETRY_STATE__RETRY_STATE_CANCEL_REQUESTED,
                                 m->started_event_id);
  if (!can.failure || !can.failure->cause) return TCORE_ERR_NOMEM;
  res.status_case = CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_CANCELLED;
  res.cancelled = &can;
  return push_resolution(e, m, &res);
}

static int resolve_from_event(wf_engine *e, wf_arena *a, wf_machine *m, const wf_event *ev) {
  Coresdk__ActivityResult__ActivityResolution res = CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__INIT;
  Coresdk__ActivityResult__Success ok = CORESDK__ACTIVITY_RESULT__SUCCESS__INIT;
  Coresdk__ActivityResult__Failure fail = CORESDK__ACTIVITY_RESULT__FAILURE__INIT;
  Coresdk__ActivityResult__Cancellation can = CORESDK__ACTIVITY_RESULT__CANCELLATION__INIT;
  switch (ev->attributes_case) {
    case HA(ACTIVITY_TASK_COMPLETED_EVENT_ATTRIBUTES): {
      const Temporal__Api__History__V1__ActivityTaskCompletedEventAttributes *at =
          ev->activity_task_completed_event_attributes;
      if (at && at->result && at->result->n_payloads) ok.result = at->result->payloads[0];
      res.status_case = CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_COMPLETED;
      res.completed = &ok;
      break;
    }
    case HA(ACTIVITY_TASK_FAILED_EVENT_ATTRIBUTES): {
      const Temporal__Api__History__V1__ActivityTaskFailedEventAttributes *at =
          ev->activity_task_failed_event_attributes;
      fail.failure = wf_activity_failure(a, m, "Activity task failed", at->failure, at->identity,
                                      at->retry_state, at->started_event_id);
      if (!fail.failure) return TCORE_ERR_NOMEM;
      res.status_case = CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_FAILED;
      res.failed = &fail;
      break;
    }
    case HA(ACTIVITY_TASK_TIMED_OUT_EVENT_ATTRIBUTES): {
      const Temporal__Api__History__V1__ActivityTaskTimedOutEventAttributes *at =
          ev->activity_task_timed_out_event_attributes;
      fail.failure = wf_activity_failure(a, m, "Activity task timed out", at->failure, NULL,
                                      at->retry_state, at->started_event_id);
      if (!fail.failure) return TCORE_ERR_NOMEM;
      res.status_case = CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_FAILED;
      res.failed = &fail;
      break;
    }
    case HA(ACTIVITY_TASK_CANCELED_EVENT_ATTRIBUTES): {
      const Temporal__Api__History__V1__ActivityTaskCanceledEventAttributes *at =
          ev->activity_task_canceled_event_attributes;
      can.failure = wf_activity_failure(a, m, "Activity cancelled", canceled_cause(a, at->details),
                                     at->identity,
                                     TEMPORAL__API__ENUMS__V1__RETRY_STATE__RETRY_STATE_CANCEL_REQUESTED,
                                     at->started_event_id);
      if (!can.failure || !can.failure->cause) return TCORE_ERR_NOMEM;
      res.status_case = CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_CANCELLED;
      res.cancelled = &can;
      break;
    }
    default:
      return TCORE_OK;
  }
  return push_resolution(e, m, &res);
}

static int issue_schedule(wf_engine *e, wf_arena *a, int mi, const wf_lang_cmd *lc) {
  const Coresdk__WorkflowCommands__ScheduleActivity *s = lc->schedule_activity;
  wf_machine *m = &e->machines[mi];
  Temporal__Api__Command__V1__ScheduleActivityTaskCommandAttributes *at = wf_alloc(a, sizeof *at);
  Temporal__Api__Common__V1__ActivityType *t = wf_alloc(a, sizeof *t);
  Temporal__Api__Taskqueue__V1__TaskQueue *tq = wf_alloc(a, sizeof *tq);
  Temporal__Api__Common__V1__Payloads *in = wf_alloc(a, sizeof *in);
  Temporal__Api__Common__V1__Header *hdr = wf_alloc(a, sizeof *hdr);
  if (!at || !t || !tq || !in || !hdr) return TCORE_ERR_NOMEM;
  temporal__api__command__v1__schedule_activity_task_command_attributes__init(at);
  temporal__api__common__v1__activity_type__init(t);
  temporal__api__taskqueue__v1__task_queue__init(tq);
  temporal__api__common__v1__payloads__init(in);
  temporal__api__common__v1__header__init(hdr);
  at->activity_id = m->id;
  t->name = m->type;
  at->activity_type = t;
  tq->name = s->task_queue && *s->task_queue ? s->task_queue : e->task_queue;
  tq->kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
  at->task_queue = tq;
  if (s->n_headers) {
    hdr->n_fields = s->n_headers;
    hdr->fields = (Temporal__Api__Common__V1__Header__FieldsEntry **)wf_copy_map(
        a, &temporal__api__common__v1__header__fields_entry__descriptor, (void *const *)s->headers,
        s->n_headers);
    at->header = hdr;
  }
  if (s->n_arguments) {
    in->n_payloads = s->n_arguments;
    in->payloads = s->arguments;
    at->input = in;
  }
  at->schedule_to_close_timeout = s->schedule_to_close_timeout;
  at->schedule_to_start_timeout = s->schedule_to_start_timeout;
  at->start_to_close_timeout = s->start_to_close_timeout;
  at->heartbeat_timeout = s->heartbeat_timeout;
  at->retry_policy = s->retry_policy;
  /* Eager execution needs the worker to run the returned task: not asked. */
  at->request_eager_execution = 0;
  at->use_workflow_build_id = s->versioning_intent == CORESDK__COMMON__VERSIONING_INTENT__COMPATIBLE;
  at->priority = s->priority;
  if (a->oom) return TCORE_ERR_NOMEM;
  wf_api_cmd api = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  api.command_type = CT(SCHEDULE_ACTIVITY_TASK);
  api.user_metadata = lc->user_metadata;
  api.attributes_case = CA(SCHEDULE_ACTIVITY_TASK_COMMAND_ATTRIBUTES);
  api.schedule_activity_task_command_attributes = at;
  return wf_push_cmd(e, &api, mi, m->id, m->type);
}

static int issue_cancel(wf_engine *e, wf_arena *a, int mi, const wf_lang_cmd *lc) {
  Temporal__Api__Command__V1__RequestCancelActivityTaskCommandAttributes *at =
      wf_alloc(a, sizeof *at);
  if (!at) return TCORE_ERR_NOMEM;
  temporal__api__command__v1__request_cancel_activity_task_command_attributes__init(at);
  at->scheduled_event_id = e->machines[mi].initial_event_id;
  wf_api_cmd api = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  api.command_type = CT(REQUEST_CANCEL_ACTIVITY_TASK);
  api.user_metadata = lc ? lc->user_metadata : NULL;
  api.attributes_case = CA(REQUEST_CANCEL_ACTIVITY_TASK_COMMAND_ATTRIBUTES);
  api.request_cancel_activity_task_command_attributes = at;
  return wf_push_cmd(e, &api, mi, e->machines[mi].id, NULL);
}

static int run(wf_engine *e, wf_arena *a, int mi, int input, const wf_event *ev,
               const wf_lang_cmd *lc, tcore_error *err) {
  wf_machine *m = &e->machines[mi];
  int action = table[m->state][input].action, next = table[m->state][input].next;
  if (action == AA_BAD) {
    if (ev)
      return wf_nondeterminism(e, err, "Activity %u (state %s) does not handle event %lld (%s)",
                               m->seq, state_name[m->state], (long long)ev->event_id,
                               wf_event_type_name(ev->event_type));
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "activity %u (state %s): command not allowed",
                      m->seq, state_name[m->state]);
  }
  int resolved = (m->cancel_type & RESOLVED) != 0;
  int rc = TCORE_OK;
  switch (action) {
    case AA_ISSUE_SCHEDULE:
      rc = issue_schedule(e, a, mi, lc);
      break;
    case AA_DROP_AND_RESOLVE_CANCEL:
      wf_drop_cmd_of(e, mi);
      rc = resolve_cancel_now(e, a, m);
      break;
    case AA_ISSUE_CANCEL:
      rc = issue_cancel(e, a, mi, lc);
      break;
    case AA_ISSUE_CANCEL_RESOLVE:
      rc = issue_cancel(e, a, mi, lc);
      m = &e->machines[mi];
      if (!rc) rc = resolve_cancel_now(e, a, m);
      break;
    case AA_RESOLVE_CANCEL:
      if (!resolved) rc = resolve_cancel_now(e, a, m);
      break;
    case AA_RESOLVE_EVENT:
      if (!resolved) rc = resolve_from_event(e, a, m, ev);
      break;
    default:
      break;
  }
  if (!rc) e->machines[mi].state = next;
  return rc;
}

int wf_activity_names(wf_machine *m, const char *activity_id, const char *activity_type) {
  char id[16];
  snprintf(id, sizeof id, "%u", m->seq);
  m->id = wf_xstrdup(activity_id && *activity_id ? activity_id : id);
  m->type = wf_xstrdup(activity_type);
  return m->id && m->type ? TCORE_OK : TCORE_ERR_NOMEM;
}

int wf_activity_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err) {
  if (c->variant_case == CV(SCHEDULE_ACTIVITY)) {
    const Coresdk__WorkflowCommands__ScheduleActivity *s = c->schedule_activity;
    if (!s) return TCORE_ERR_INVALID_ARGUMENT;
    if (wf_find_machine(e, WF_M_ACTIVITY, s->seq))
      return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "schedule_activity: seq %u already used",
                        s->seq);
    int mi = wf_new_machine(e, WF_M_ACTIVITY, s->seq);
    if (mi < 0) return mi;
    wf_machine *m = &e->machines[mi];
    if (wf_activity_names(m, s->activity_id, s->activity_type)) return TCORE_ERR_NOMEM;
    m->cancel_type = s->cancellation_type & 0xff;
    return run(e, a, mi, AI_CMD_SCHEDULE, NULL, c, err);
  }
  if (!c->request_cancel_activity) return TCORE_ERR_INVALID_ARGUMENT;
  wf_machine *m = wf_find_machine(e, WF_M_ACTIVITY, c->request_cancel_activity->seq);
  if (!m)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                      "request_cancel_activity: no activity with seq %u",
                      c->request_cancel_activity->seq);
  int input;
  switch (m->cancel_type & 0xff) {
    case CORESDK__WORKFLOW_COMMANDS__ACTIVITY_CANCELLATION_TYPE__WAIT_CANCELLATION_COMPLETED:
      input = AI_CMD_CANCEL_WAIT;
      break;
    case CORESDK__WORKFLOW_COMMANDS__ACTIVITY_CANCELLATION_TYPE__ABANDON:
      input = AI_CMD_CANCEL_ABANDON;
      break;
    default:
      input = AI_CMD_CANCEL_TRY;
      break;
  }
  return run(e, a, (int)(m - e->machines), input, NULL, c, err);
}

static int64_t scheduled_id_of(const wf_event *ev) {
  switch (ev->attributes_case) {
    case HA(ACTIVITY_TASK_STARTED_EVENT_ATTRIBUTES):
      return ev->activity_task_started_event_attributes
                 ? ev->activity_task_started_event_attributes->scheduled_event_id
                 : 0;
    case HA(ACTIVITY_TASK_COMPLETED_EVENT_ATTRIBUTES):
      return ev->activity_task_completed_event_attributes
                 ? ev->activity_task_completed_event_attributes->scheduled_event_id
                 : 0;
    case HA(ACTIVITY_TASK_FAILED_EVENT_ATTRIBUTES):
      return ev->activity_task_failed_event_attributes
                 ? ev->activity_task_failed_event_attributes->scheduled_event_id
                 : 0;
    case HA(ACTIVITY_TASK_TIMED_OUT_EVENT_ATTRIBUTES):
      return ev->activity_task_timed_out_event_attributes
                 ? ev->activity_task_timed_out_event_attributes->scheduled_event_id
                 : 0;
    case HA(ACTIVITY_TASK_CANCELED_EVENT_ATTRIBUTES):
      return ev->activity_task_canceled_event_attributes
                 ? ev->activity_task_canceled_event_attributes->scheduled_event_id
                 : 0;
    case HA(ACTIVITY_TASK_CANCEL_REQUESTED_EVENT_ATTRIBUTES):
      return ev->activity_task_cancel_requested_event_attributes
                 ? ev->activity_task_cancel_requested_event_attributes->scheduled_event_id
                 : 0;
    default:
      return 0;
  }
}

int wf_activity_event(wf_engine *e, const wf_event *ev, wf_cmd *matched, tcore_error *err) {
  int input;
  switch (ev->event_type) {
    case ET(ACTIVITY_TASK_SCHEDULED): input = AI_EV_SCHEDULED; break;
    case ET(ACTIVITY_TASK_STARTED): input = AI_EV_STARTED; break;
    case ET(ACTIVITY_TASK_COMPLETED): input = AI_EV_COMPLETED; break;
    case ET(ACTIVITY_TASK_FAILED): input = AI_EV_FAILED; break;
    case ET(ACTIVITY_TASK_TIMED_OUT): input = AI_EV_TIMED_OUT; break;
    case ET(ACTIVITY_TASK_CANCEL_REQUESTED): input = AI_EV_CANCEL_REQUESTED; break;
    default: input = AI_EV_CANCELED; break;
  }
  int mi;
  if (input == AI_EV_SCHEDULED) {
    mi = matched->machine;
    const Temporal__Api__History__V1__ActivityTaskScheduledEventAttributes *at =
        ev->attributes_case == HA(ACTIVITY_TASK_SCHEDULED_EVENT_ATTRIBUTES)
            ? ev->activity_task_scheduled_event_attributes
            : NULL;
    const char *hid = at && at->activity_id ? at->activity_id : "";
    const char *htype = at && at->activity_type && at->activity_type->name ? at->activity_type->name : "";
    if (wf_try_flag(e, WF_FLAG_ID_AND_TYPE_CHECKS)) {
      if (strcmp(hid, e->machines[mi].id))
        return wf_nondeterminism(e, err,
                                 "Activity id of scheduled event %lld '%s' does not match activity "
                                 "id of activity command '%s'",
                                 (long long)ev->event_id, hid, e->machines[mi].id);
      if (strcmp(htype, e->machines[mi].type))
        return wf_nondeterminism(e, err,
                                 "Activity type of scheduled event %lld '%s' does not match "
                                 "activity type of activity command '%s'",
                                 (long long)ev->event_id, htype, e->machines[mi].type);
    }
    e->machines[mi].initial_event_id = ev->event_id;
  } else {
    int64_t sid = scheduled_id_of(ev);
    mi = wf_find_machine_by_event(e, WF_M_ACTIVITY, sid);
    if (mi < 0)
      return wf_nondeterminism(e, err,
                               "Event %lld (%s) is for the activity scheduled by event %lld, which "
                               "the workflow never scheduled",
                               (long long)ev->event_id, wf_event_type_name(ev->event_type),
                               (long long)sid);
    if (matched && matched->machine != mi)
      return wf_nondeterminism(e, err,
                               "Event %lld (%s) cancels the activity scheduled by event %lld but "
                               "the workflow's next command cancels activity '%s'",
                               (long long)ev->event_id, wf_event_type_name(ev->event_type),
                               (long long)sid, matched->id ? matched->id : "");
    if (input == AI_EV_STARTED) e->machines[mi].started_event_id = ev->event_id;
  }
  wf_arena a = {0};
  int rc = run(e, &a, mi, input, ev, NULL, err);
  if (!rc && a.oom) rc = TCORE_ERR_NOMEM;
  wf_arena_free(&a);
  return rc;
}
