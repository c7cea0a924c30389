/* timer.c: the timer machine. start_timer / cancel_timer commands <->
 * TimerStarted / TimerFired / TimerCanceled events, fire_timer job.
 * The timer id in history is the lang sequence number in decimal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wf_internal.h"

enum { T_NEW = 0, T_CREATED, T_STARTED, T_CANCEL_SENT, T_FIRED, T_CANCELED, T_N_STATES };
enum { TI_CMD_START = 0, TI_CMD_CANCEL, TI_EV_STARTED, TI_EV_FIRED, TI_EV_CANCELED, TI_N };
enum {
  TA_BAD = 0,         /* not allowed: non-determinism (events) or lang error (commands) */
  TA_NONE,            /* nothing to do */
  TA_ISSUE_START,     /* queue StartTimer */
  TA_DROP_START,      /* cancelled before sent: drop the queued StartTimer */
  TA_ISSUE_CANCEL,    /* queue CancelTimer */
  TA_FIRE             /* fire_timer job */
};

static const struct {
  unsigned char action, next;
} table[T_N_STATES][TI_N] = {
    [T_NEW] = {[TI_CMD_START] = {TA_ISSUE_START, T_CREATED}},
    [T_CREATED] = {[TI_CMD_CANCEL] = {TA_DROP_START, T_CANCELED},
                   [TI_EV_STARTED] = {TA_NONE, T_STARTED}},
    [T_STARTED] = {[TI_CMD_CANCEL] = {TA_ISSUE_CANCEL, T_CANCEL_SENT},
                   [TI_EV_FIRED] = {TA_FIRE, T_FIRED}},
    [T_CANCEL_SENT] = {[TI_EV_CANCELED] = {TA_NONE, T_CANCELED},
                       [TI_CMD_CANCEL] = {TA_NONE, T_CANCEL_SENT}},
    /* cancelling a fired or cancelled timer does nothing (as sdk-core) */
    [T_FIRED] = {[TI_CMD_CANCEL] = {TA_NONE, T_FIRED}},
    [T_CANCELED] = {[TI_CMD_CANCEL] = {TA_NONE, T_CANCELED}},
};

static const char *input_name[TI_N] = {"start_timer", "cancel_timer", "TimerStarted",
                                        "TimerFired", "TimerCanceled"};
static const char *state_name[T_N_STATES] = {"new", "created", "started", "cancel sent",
                                             "fired", "canceled"};

static int run(wf_engine *e, wf_arena *a, int mi, int input, const wf_event *ev,
               const wf_lang_cmd *lc, tcore_error *err) {
  wf_machine *m = &e->machines[mi];
  int action = table[m->state][input].action, next = table[m->state][input].next;
  if (action == TA_BAD) {
    if (ev)
      return wf_nondeterminism(e, err, "Timer %u (state %s) does not handle event %lld (%s)", m->seq,
                               state_name[m->state], (long long)ev->event_id,
                               wf_event_type_name(ev->event_type));
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "timer %u (state %s): %s not allowed",
                      m->seq, state_name[m->state], input_name[input]);
  }
  int rc = TCORE_OK;
  wf_api_cmd api = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  switch (action) {
    case TA_ISSUE_START: {
      Temporal__Api__Command__V1__StartTimerCommandAttributes *at = wf_alloc(a, sizeof *at);
      if (!at) return TCORE_ERR_NOMEM;
      temporal__api__command__v1__start_timer_command_attributes__init(at);
      at->timer_id = m->id;
      at->start_to_fire_timeout = lc->start_timer->start_to_fire_timeout;
      api.command_type = CT(START_TIMER);
      api.user_metadata = lc->user_metadata;
      api.attributes_case = CA(START_TIMER_COMMAND_ATTRIBUTES);
      api.start_timer_command_attributes = at;
      rc = wf_push_cmd(e, &api, mi, m->id, NULL);
      break;
    }
    case TA_DROP_START:
      wf_drop_cmd_of(e, mi);
      break;
    case TA_ISSUE_CANCEL: {
      Temporal__Api__Command__V1__CancelTimerCommandAttributes *at = wf_alloc(a, sizeof *at);
      if (!at) return TCORE_ERR_NOMEM;
      temporal__api__command__v1__cancel_timer_command_attributes__init(at);
      at->timer_id = m->id;
      api.command_type = CT(CANCEL_TIMER);
      api.user_metadata = lc->user_metadata;
      api.attributes_case = CA(CANCEL_TIMER_COMMAND_ATTRIBUTES);
      api.cancel_timer_command_attributes = at;
      rc = wf_push_cmd(e, &api, mi, m->id, NULL);
      break;
    }
    case TA_FIRE: {
      Coresdk__WorkflowActivation__FireTimer ft = CORESDK__WORKFLOW_ACTIVATION__FIRE_TIMER__INIT;
      ft.seq = m->seq;
      wf_job_msg job = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
      job.variant_case = JV(FIRE_TIMER);
      job.fire_timer = &ft;
      rc = wf_push_job(e, WF_JOB_OTHER, &job);
      break;
    }
    default:
      break;
  }
  if (!rc) e->machines[mi].state = next;
  return rc;
}

int wf_timer_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err) {
  if (c->variant_case == CV(START_TIMER)) {
    if (!c->start_timer) return TCORE_ERR_INVALID_ARGUMENT;
    if (wf_find_machine(e, WF_M_TIMER, c->start_timer->seq))
      return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "start_timer: seq %u already used",
                        c->start_timer->seq);
    int mi = wf_new_machine(e, WF_M_TIMER, c->start_timer->seq);
    if (mi < 0) return mi;
    char id[16];
    snprintf(id, sizeof id, "%u", c->start_timer->seq);
    if (!(e->machines[mi].id = wf_xstrdup(id))) return TCORE_ERR_NOMEM;
    return run(e, a, mi, TI_CMD_START, NULL, c, err);
  }
  if (!c->cancel_timer) return TCORE_ERR_INVALID_ARGUMENT;
  wf_machine *m = wf_find_machine(e, WF_M_TIMER, c->cancel_timer->seq);
  if (!m)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "cancel_timer: no timer with seq %u",
                      c->cancel_timer->seq);
  return run(e, a, (int)(m - e->machines), TI_CMD_CANCEL, NULL, c, err);
}

static int find_by_timer_id(wf_engine *e, const char *id) {
  for (size_t i = e->n_machines; i-- > 0;)
    if (e->machines[i].kind == WF_M_TIMER && e->machines[i].id && id &&
        !strcmp(e->machines[i].id, id))
      return (int)i;
  return -1;
}

int wf_timer_event(wf_engine *e, const wf_event *ev, wf_cmd *matched, tcore_error *err) {
  const char *tid = NULL;
  int input;
  switch (ev->event_type) {
    case ET(TIMER_STARTED):
      input = TI_EV_STARTED;
      if (ev->attributes_case == HA(TIMER_STARTED_EVENT_ATTRIBUTES) &&
          ev->timer_started_event_attributes)
        tid = ev->timer_started_event_attributes->timer_id;
      break;
    case ET(TIMER_FIRED):
      input = TI_EV_FIRED;
      if (ev->attributes_case == HA(TIMER_FIRED_EVENT_ATTRIBUTES) && ev->timer_fired_event_attributes)
        tid = ev->timer_fired_event_attributes->timer_id;
      break;
    default:
      input = TI_EV_CANCELED;
      if (ev->attributes_case == HA(TIMER_CANCELED_EVENT_ATTRIBUTES) &&
          ev->timer_canceled_event_attributes)
        tid = ev->timer_canceled_event_attributes->timer_id;
      break;
  }
  if (!tid) tid = "";
  int mi;
  if (matched) {
    mi = matched->machine;
    if (mi < 0 || strcmp(e->machines[mi].id, tid))
      return wf_nondeterminism(e, err,
                               "Timer id of event %lld (%s) is '%s' but the workflow's next "
                               "command is for timer '%s'",
                               (long long)ev->event_id, wf_event_type_name(ev->event_type), tid,
                               matched->id ? matched->id : "");
  } else {
    mi = find_by_timer_id(e, tid);
    if (mi < 0)
      return wf_nondeterminism(e, err, "Event %lld (%s) is for timer '%s', which the workflow never started",
                               (long long)ev->event_id, wf_event_type_name(ev->event_type), tid);
  }
  if (input == TI_EV_STARTED) e->machines[mi].initial_event_id = ev->event_id;
  return run(e, NULL, mi, input, ev, NULL, err);
}
