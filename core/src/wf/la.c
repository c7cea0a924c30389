/* la.c: the local activity machine. schedule_local_activity /
 * request_cancel_local_activity commands <-> MarkerRecorded events named
 * "core_local_activity", resolve_activity jobs (is_local), and requests to
 * the run manager to run (or cancel) a local activity in this worker.
 *
 * Behaviour (sdk-core's, so that histories of every SDK replay):
 *   - Not replaying: the schedule command becomes a request for the run
 *     manager (tcore_wf_engine_take_local_activity); the task waits
 *     (TCORE_WF_WAIT_LOCAL_ACTIVITIES) until it is resolved
 *     (tcore_wf_engine_resolve_local_activity). The outcome queues a
 *     RecordMarker command (details "data": json
 *     {"seq","attempt","activity_id","activity_type","complete_time",
 *     "backoff","original_schedule_time"}, "result": the result payload;
 *     the failure in the marker's `failure`) and a resolve_activity job
 *     (last in its activation). An outcome with a backoff resolves as
 *     DoBackoff (attempt + 1): the language schedules a timer, then the
 *     local activity again with that attempt.
 *   - Replaying: the marker is looked for in the next logical task's events
 *     and resolves the activity at once (pre-resolved); a marker applied
 *     later resolves it then. A marker whose seq matches no local activity
 *     is a non-determinism error, as is one whose activity id or type
 *     differs (core flag 1), and a replayed task that ends while a local
 *     activity has no marker though a later task completed.
 *   - Failures whose info is a timeout or a cancellation are wrapped in an
 *     ActivityFailureInfo ("Local Activity timed out" / "... cancelled").
 *   - Cancel: TRY_CANCEL and ABANDON resolve as cancelled at once (marker
 *     recorded when not replaying) and ask the run manager to cancel;
 *     WAIT_CANCELLATION_COMPLETED asks and waits for the outcome.
 *
 * Table (one machine per schedule command):
 *   (requested,     outcome)        -> marker + resolve,  marker_queued
 *   (requested,     cancel try)     -> cancel req + cancelled marker + resolve, marker_queued
 *   (requested,     cancel wait)    -> cancel req,        cancel_wait
 *   (cancel_wait,   outcome)        -> marker + resolve,  marker_queued
 *   (marker_queued, marker)         -> drop own command,  done
 *   (waiting,       marker)         -> resolve from marker, done
 *   (waiting,       cancel try)     -> resolve cancelled, waiting_cancelled
 *   (preresolved / waiting_cancelled, marker) -> none,   done
 *   late outcomes and cancels after resolution are ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wf_internal.h"

#define LA_MARKER_NAME "core_local_activity"

enum {
  L_REQUESTED = 0,
  L_CANCEL_WAIT,
  L_MARKER_QUEUED,
  L_WAITING,
  L_PRERESOLVED,
  L_WAITING_CANCELLED,
  L_DONE,
  L_N_STATES
};
enum { LI_OUTCOME = 0, LI_CANCEL_TRY, LI_CANCEL_WAIT, LI_MARKER, LI_N };
enum {
  LA_BAD = 0,
  LA_NONE,
  LA_RECORD,          /* marker + resolve from the outcome */
  LA_CANCEL_RECORD,   /* cancel request + cancelled marker + resolve */
  LA_CANCEL_REQUEST,  /* cancel request only */
  LA_DROP_OWN,        /* our marker command came back as an event */
  LA_RESOLVE_MARKER,  /* resolve from the marker event */
  LA_RESOLVE_CANCEL   /* resolve cancelled (replaying: no marker) */
};

static const struct {
  unsigned char action, next;
} table[L_N_STATES][LI_N] = {
    [L_REQUESTED] = {[LI_OUTCOME] = {LA_RECORD, L_MARKER_QUEUED},
                     [LI_CANCEL_TRY] = {LA_CANCEL_RECORD, L_MARKER_QUEUED},
                     [LI_CANCEL_WAIT] = {LA_CANCEL_REQUEST, L_CANCEL_WAIT}},
    [L_CANCEL_WAIT] = {[LI_OUTCOME] = {LA_RECORD, L_MARKER_QUEUED},
                       [LI_CANCEL_TRY] = {LA_NONE, L_CANCEL_WAIT},
                       [LI_CANCEL_WAIT] = {LA_NONE, L_CANCEL_WAIT}},
    [L_MARKER_QUEUED] = {[LI_OUTCOME] = {LA_NONE, L_MARKER_QUEUED},
                         [LI_CANCEL_TRY] = {LA_NONE, L_MARKER_QUEUED},
                         [LI_CANCEL_WAIT] = {LA_NONE, L_MARKER_QUEUED},
                         [LI_MARKER] = {LA_DROP_OWN, L_DONE}},
    [L_WAITING] = {[LI_CANCEL_TRY] = {LA_RESOLVE_CANCEL, L_WAITING_CANCELLED},
                   [LI_CANCEL_WAIT] = {LA_NONE, L_WAITING},
                   [LI_MARKER] = {LA_RESOLVE_MARKER, L_DONE}},
    [L_PRERESOLVED] = {[LI_CANCEL_TRY] = {LA_NONE, L_PRERESOLVED},
                       [LI_CANCEL_WAIT] = {LA_NONE, L_PRERESOLVED},
                       [LI_MARKER] = {LA_NONE, L_DONE}},
    [L_WAITING_CANCELLED] = {[LI_CANCEL_TRY] = {LA_NONE, L_WAITING_CANCELLED},
                             [LI_CANCEL_WAIT] = {LA_NONE, L_WAITING_CANCELLED},
                             [LI_MARKER] = {LA_NONE, L_DONE}},
    [L_DONE] = {[LI_OUTCOME] = {LA_NONE, L_DONE},
                [LI_CANCEL_TRY] = {LA_NONE, L_DONE},
                [LI_CANCEL_WAIT] = {LA_NONE, L_DONE}},
};

/* ---- the marker's data ---- */

typedef struct la_marker {
  uint32_t seq, attempt;
  char activity_id[512], activity_type[512];
  int has_backoff;
  int64_t backoff_s;
  int32_t backoff_n;
  int has_sched;
  int64_t sched_s;
  int32_t sched_n;
  const Temporal__Api__Common__V1__Payload *result;
  const Temporal__Api__Failure__V1__Failure *failure;
} la_marker;

static int json_int(const uint8_t **p, const uint8_t *end, int64_t *v) {
  int neg = 0;
  int64_t x = 0;
  if (*p < end && **p == '-') neg = 1, (*p)++;
  if (*p >= end || **p < '0' || **p > '9') return -1;
  while (*p < end && **p >= '0' && **p <= '9') x = x * 10 + (**p - '0'), (*p)++;
  *v = neg ? -x : x;
  return 0;
}

/* {"seconds":N,"nanos":N} or null: 0 (*has set when not null) or -1. */
static int json_seconds_nanos(const uint8_t **p, const uint8_t *end, int *has, int64_t *s,
                              int32_t *n) {
  *has = 0;
  if (end - *p >= 4 && !memcmp(*p, "null", 4)) {
    *p += 4;
    return 0;
  }
  if (*p >= end || **p != '{') return -1;
  const uint8_t *q = *p + 1;
  *s = 0;
  *n = 0;
  for (;;) {
    char key[16];
    int64_t v = 0;
    wf_json_ws(&q, end);
    if (q < end && *q == '}') break;
    if (q >= end || *q++ != '"' || wf_json_string(&q, end, key, sizeof key)) return -1;
    wf_json_ws(&q, end);
    if (q >= end || *q++ != ':') return -1;
    wf_json_ws(&q, end);
    if (!strcmp(key, "seconds") && !json_int(&q, end, &v)) *s = v;
    else if (!strcmp(key, "nanos") && !json_int(&q, end, &v)) *n = (int32_t)v;
    else if (wf_json_skip(&q, end)) return -1;
    wf_json_ws(&q, end);
    if (q < end && *q == ',') q++;
  }
  *p = q + 1;
  *has = 1;
  return 0;
}

static int parse_marker_json(const uint8_t *p, size_t len, la_marker *m) {
  const uint8_t *end = p + len;
  int have_seq = 0;
  wf_json_ws(&p, end);
  if (p >= end || *p++ != '{') return -1;
  for (;;) {
    char key[32];
    int64_t v = 0;
    wf_json_ws(&p, end);
    if (p < end && *p == '}') break;
    if (p >= end || *p++ != '"' || wf_json_string(&p, end, key, sizeof key)) {
      if (p < end) return -1;
      return -1;
    }
    wf_json_ws(&p, end);
    if (p >= end || *p++ != ':') return -1;
    wf_json_ws(&p, end);
    int rc = 0;
    if (!strcmp(key, "seq")) {
      rc = json_int(&p, end, &v);
      m->seq = (uint32_t)v;
      have_seq = !rc;
    } else if (!strcmp(key, "attempt")) {
      rc = json_int(&p, end, &v);
      m->attempt = (uint32_t)v;
    } else if (!strcmp(key, "activity_id") && p < end && *p == '"') {
      p++;
      rc = wf_json_string(&p, end, m->activity_id, sizeof m->activity_id);
    } else if (!strcmp(key, "activity_type") && p < end && *p == '"') {
      p++;
      rc = wf_json_string(&p, end, m->activity_type, sizeof m->activity_type);
    } else if (!strcmp(key, "backoff")) {
      rc = json_seconds_nanos(&p, end, &m->has_backoff, &m->backoff_s, &m->backoff_n);
    } else if (!strcmp(key, "original_schedule_time")) {
      rc = json_seconds_nanos(&p, end, &m->has_sched, &m->sched_s, &m->sched_n);
    } else {
      rc = wf_json_skip(&p, end);
    }
    if (rc) return -1;
    wf_json_ws(&p, end);
    if (p < end && *p == ',') {
      p++;
      continue;
    }
    if (p >= end || *p != '}') return -1;
    break;
  }
  return have_seq ? 0 : -1;
}

/* 1 when ev is a local activity marker (its data in *m, 0 parsed, -1 not),
 * else 0. */
static int la_marker_of(const wf_event *ev, la_marker *m, int *parsed) {
  const Temporal__Api__History__V1__MarkerRecordedEventAttributes *a =
      wf_marker_attrs(ev, LA_MARKER_NAME);
  if (!a) return 0;
  memset(m, 0, sizeof *m);
  *parsed = -1;
  const Temporal__Api__Common__V1__Payloads *d = wf_marker_details_entry(a, "data");
  if (!d || !d->n_payloads || !d->payloads[0]) return 1;
  if (parse_marker_json(d->payloads[0]->data.data, d->payloads[0]->data.len, m)) return 1;
  const Temporal__Api__Common__V1__Payloads *r = wf_marker_details_entry(a, "result");
  if (r && r->n_payloads) m->result = r->payloads[0];
  m->failure = a->failure;
  *parsed = 0;
  return 1;
}

int wf_test_la_marker(const wf_event *ev, uint32_t *seq, char *id, char *type, size_t cap) {
  la_marker m;
  int parsed;
  if (!la_marker_of(ev, &m, &parsed) || parsed) return 0;
  *seq = m.seq;
  snprintf(id, cap, "%s", m.activity_id);
  snprintf(type, cap, "%s", m.activity_type);
  return 1;
}

/* ---- resolutions ---- */

/* The failure the language sees: timeouts and cancellations wrapped in an
 * ActivityFailureInfo. */
static Temporal__Api__Failure__V1__Failure *lang_failure(wf_arena *a, const wf_machine *m,
                                                        Temporal__Api__Failure__V1__Failure *f) {
  if (!f) return NULL;
  const char *msg = NULL;
  if (f->failure_info_case == TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TIMEOUT_FAILURE_INFO)
    msg = "Local Activity timed out";
  else if (f->failure_info_case ==
           TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO)
    msg = "Local Activity cancelled";
  if (!msg) return f;
  return wf_activity_failure(a, m, msg, f, NULL,
                             TEMPORAL__API__ENUMS__V1__RETRY_STATE__RETRY_STATE_CANCEL_REQUESTED, 0);
}

/* Pushes resolve_activity (is_local). `failure` NULL: completed with
 * `result`; backoff: DoBackoff for attempt + 1. */
static int push_resolution(wf_engine *e, wf_arena *a, wf_machine *m,
                           const Temporal__Api__Common__V1__Payload *result,
                           Temporal__Api__Failure__V1__Failure *failure, uint32_t attempt,
                           int has_backoff, int64_t bo_s, int32_t bo_n) {
  Coresdk__ActivityResult__ActivityResolution res = CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__INIT;
  Coresdk__ActivityResult__Success ok = CORESDK__ACTIVITY_RESULT__SUCCESS__INIT;
  Coresdk__ActivityResult__Failure fail = CORESDK__ACTIVITY_RESULT__FAILURE__INIT;
  Coresdk__ActivityResult__Cancellation can = CORESDK__ACTIVITY_RESULT__CANCELLATION__INIT;
  Coresdk__ActivityResult__DoBackoff bo = CORESDK__ACTIVITY_RESULT__DO_BACKOFF__INIT;
  Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
  Google__Protobuf__Timestamp st = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  if (has_backoff) {
    bo.attempt = attempt + 1;
    d.seconds = bo_s;
    d.nanos = bo_n;
    bo.backoff_duration = &d;
    st.seconds = m->sched_s;
    st.nanos = m->sched_n;
    bo.original_schedule_time = &st;
    res.status_case = CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_BACKOFF;
    res.backoff = &bo;
  } else if (!failure) {
    ok.result = (Temporal__Api__Common__V1__Payload *)result;
    res.status_case = CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_COMPLETED;
    res.completed = &ok;
  } else if (failure->failure_info_case ==
             TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO) {
    can.failure = lang_failure(a, m, failure);
    if (!can.failure) return TCORE_ERR_NOMEM;
    res.status_case = CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_CANCELLED;
    res.cancelled = &can;
  } else {
    fail.failure = lang_failure(a, m, failure);
    if (!fail.failure) return TCORE_ERR_NOMEM;
    res.status_case = CORESDK__ACTIVITY_RESULT__ACTIVITY_RESOLUTION__STATUS_FAILED;
    res.failed = &fail;
  }
  Coresdk__WorkflowActivation__ResolveActivity ra =
      CORESDK__WORKFLOW_ACTIVATION__RESOLVE_ACTIVITY__INIT;
  ra.seq = m->seq;
  ra.result = &res;
  ra.is_local = 1;
  wf_job_msg job = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
  job.variant_case = JV(RESOLVE_ACTIVITY);
  job.resolve_activity = &ra;
  return wf_push_job(e, WF_JOB_LA, &job);
}

static void sb_seconds_nanos(wf_sbuf *b, int64_t s, int32_t n) {
  char buf[64];
  int k = snprintf(buf, sizeof buf, "{\"seconds\":%lld,\"nanos\":%d}", (long long)s, (int)n);
  wf_sb_put(b, buf, (size_t)k);
}

/* Queues the RecordMarker command of machine mi. */
static int push_marker(wf_engine *e, wf_arena *a, int mi, uint32_t attempt,
                       const Temporal__Api__Common__V1__Payload *result,
                       Temporal__Api__Failure__V1__Failure *failure, int64_t ct_s, int32_t ct_n,
                       int has_backoff, int64_t bo_s, int32_t bo_n) {
  wf_machine *m = &e->machines[mi];
  wf_sbuf j = {0};
  char buf[64];
  int k = snprintf(buf, sizeof buf, "{\"seq\":%u,\"attempt\":%u,\"activity_id\":", m->seq, attempt);
  wf_sb_put(&j, buf, (size_t)k);
  wf_sb_json_string(&j, m->id);
  wf_sb_put(&j, ",\"activity_type\":", 17);
  wf_sb_json_string(&j, m->type);
  wf_sb_put(&j, ",\"complete_time\":", 17);
  sb_seconds_nanos(&j, ct_s, ct_n);
  wf_sb_put(&j, ",\"backoff\":", 11);
  if (has_backoff) sb_seconds_nanos(&j, bo_s, bo_n);
  else wf_sb_put(&j, "null", 4);
  wf_sb_put(&j, ",\"original_schedule_time\":", 26);
  sb_seconds_nanos(&j, m->sched_s, m->sched_n);
  wf_sb_put(&j, "}", 1);
  if (j.oom) {
    free(j.buf);
    return TCORE_ERR_NOMEM;
  }
  Temporal__Api__Common__V1__Payload *pl = wf_json_payload(a, j.buf, j.len, NULL);
  free(j.buf);
  Temporal__Api__Common__V1__Payloads *pls = wf_alloc(a, 2 * sizeof *pls);
  Temporal__Api__Common__V1__Payload **plv = wf_alloc(a, 2 * sizeof *plv);
  Temporal__Api__Command__V1__RecordMarkerCommandAttributes__DetailsEntry *de =
      wf_alloc(a, 2 * sizeof *de);
  Temporal__Api__Command__V1__RecordMarkerCommandAttributes__DetailsEntry **dv =
      wf_alloc(a, 2 * sizeof *dv);
  Temporal__Api__Command__V1__RecordMarkerCommandAttributes *at = wf_alloc(a, sizeof *at);
  if (!pl || !pls || !plv || !de || !dv || !at) return TCORE_ERR_NOMEM;
  size_t n = result ? 2 : 1;
  plv[0] = pl;
  plv[1] = (Temporal__Api__Common__V1__Payload *)result;
  const char *keys[2] = {"data", "result"};
  for (size_t i = 0; i < n; i++) {
    temporal__api__common__v1__payloads__init(&pls[i]);
    pls[i].n_payloads = 1;
    pls[i].payloads = &plv[i];
    temporal__api__command__v1__record_marker_command_attributes__details_entry__init(&de[i]);
    de[i].key = (char *)keys[i];
    de[i].value = &pls[i];
    dv[i] = &de[i];
  }
  temporal__api__command__v1__record_marker_command_attributes__init(at);
  at->marker_name = LA_MARKER_NAME;
  at->n_details = n;
  at->details = dv;
  at->failure = failure;
  wf_api_cmd api = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  api.command_type = CT(RECORD_MARKER);
  api.attributes_case = CA(RECORD_MARKER_COMMAND_ATTRIBUTES);
  api.record_marker_command_attributes = at;
  /* the summary goes with the marker (as sdk-core does) */
  if (m->md.len)
    api.user_metadata = temporal__api__sdk__v1__user_metadata__unpack(NULL, m->md.len, m->md.data);
  int rc = wf_push_cmd(e, &api, mi, m->id, m->type);
  if (api.user_metadata) temporal__api__sdk__v1__user_metadata__free_unpacked(api.user_metadata, NULL);
  return rc;
}

/* A request for the run manager (a WorkflowCommand). */
static int la_out_grow(wf_engine *e) {
  if (e->n_la_out < e->cap_la_out) return TCORE_OK;
  size_t nc = e->cap_la_out ? e->cap_la_out * 2 : 4;
  void *p = realloc(e->la_out, nc * sizeof *e->la_out);
  if (!p) return TCORE_ERR_NOMEM;
  e->la_out = p;
  e->cap_la_out = nc;
  return TCORE_OK;
}

static int push_out(wf_engine *e, const wf_lang_cmd *c) {
  if (la_out_grow(e)) return TCORE_ERR_NOMEM;
  int rc = wf_pack(&c->base, &e->la_out[e->n_la_out]);
  if (!rc) e->n_la_out++;
  return rc;
}

/* The request to run machine m's local activity: the command with the
 * attempt, activity id and original schedule time the engine settled on. */
static int request(wf_engine *e, wf_machine *m, const wf_lang_cmd *c, int hold) {
  Coresdk__WorkflowCommands__ScheduleLocalActivity copy = *c->schedule_local_activity;
  Google__Protobuf__Timestamp st = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  st.seconds = m->sched_s;
  st.nanos = m->sched_n;
  copy.original_schedule_time = &st;
  copy.attempt = m->attempt;
  copy.activity_id = m->id;
  wf_lang_cmd out = *c;
  out.schedule_local_activity = &copy;
  if (hold) return wf_pack(&out.base, &m->la_req);
  return push_out(e, &out);
}

static int push_cancel_out(wf_engine *e, uint32_t seq) {
  Coresdk__WorkflowCommands__RequestCancelLocalActivity rc =
      CORESDK__WORKFLOW_COMMANDS__REQUEST_CANCEL_LOCAL_ACTIVITY__INIT;
  rc.seq = seq;
  wf_lang_cmd c = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__INIT;
  c.variant_case = CV(REQUEST_CANCEL_LOCAL_ACTIVITY);
  c.request_cancel_local_activity = &rc;
  return push_out(e, &c);
}

static Temporal__Api__Failure__V1__Failure *cancelled_failure(wf_arena *a) {
  Temporal__Api__Failure__V1__Failure *f = wf_alloc(a, sizeof *f);
  Temporal__Api__Failure__V1__CanceledFailureInfo *ci = wf_alloc(a, sizeof *ci);
  if (!f || !ci) return NULL;
  temporal__api__failure__v1__failure__init(f);
  temporal__api__failure__v1__canceled_failure_info__init(ci);
  f->message = "Activity cancelled";
  f->failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO;
  f->canceled_failure_info = ci;
  return f;
}

/* What an input carries. */
typedef struct la_input {
  const la_marker *marker;
  const Temporal__Api__Common__V1__Payload *result;
  Temporal__Api__Failure__V1__Failure *failure;
  uint32_t attempt;
  int64_t ct_s;
  int32_t ct_n;
  int has_backoff;
  int64_t bo_s;
  int32_t bo_n;
} la_input;

static int run(wf_engine *e, wf_arena *a, int mi, int input, const la_input *in) {
  wf_machine *m = &e->machines[mi];
  int action = table[m->state][input].action, next = table[m->state][input].next;
  int rc = TCORE_OK;
  switch (action) {
    case LA_BAD:
      return TCORE_ERR_INVALID_ARGUMENT;
    case LA_RECORD:
      rc = push_marker(e, a, mi, in->attempt, in->result, in->failure, in->ct_s, in->ct_n,
                       in->has_backoff, in->bo_s, in->bo_n);
      if (!rc)
        rc = push_resolution(e, a, &e->machines[mi], in->result, in->failure, in->attempt,
                             in->has_backoff, in->bo_s, in->bo_n);
      break;
    case LA_CANCEL_RECORD: {
      Temporal__Api__Failure__V1__Failure *f = cancelled_failure(a);
      if (!f) return TCORE_ERR_NOMEM;
      rc = push_cancel_out(e, m->seq);
      if (!rc)
        rc = push_marker(e, a, mi, m->attempt, NULL, f, in->ct_s, in->ct_n, 0, 0, 0);
      if (!rc) rc = push_resolution(e, a, &e->machines[mi], NULL, f, m->attempt, 0, 0, 0);
      break;
    }
    case LA_CANCEL_REQUEST:
      rc = push_cancel_out(e, m->seq);
      break;
    case LA_DROP_OWN:
      wf_drop_cmd_of(e, mi);
      break;
    case LA_RESOLVE_MARKER: {
      const la_marker *mk = in->marker;
      if (mk->has_sched) m->sched_s = mk->sched_s, m->sched_n = mk->sched_n;
      rc = push_resolution(e, a, m, mk->result, (Temporal__Api__Failure__V1__Failure *)mk->failure,
                           mk->attempt, mk->has_backoff, mk->backoff_s, mk->backoff_n);
      break;
    }
    case LA_RESOLVE_CANCEL: {
      Temporal__Api__Failure__V1__Failure *f = cancelled_failure(a);
      if (!f) return TCORE_ERR_NOMEM;
      rc = push_resolution(e, a, m, NULL, f, m->attempt, 0, 0, 0);
      break;
    }
    default:
      break;
  }
  if (!rc) e->machines[mi].state = next;
  return rc;
}

/* The marker's activity id and type must be the command's (core flag 1). */
static int check_ids(wf_engine *e, const wf_machine *m, const la_marker *mk, tcore_error *err) {
  if (!wf_try_flag(e, WF_FLAG_ID_AND_TYPE_CHECKS)) return TCORE_OK;
  if (strcmp(mk->activity_id, m->id))
    return wf_nondeterminism(e, err,
                             "Activity id of recorded marker '%s' does not match activity id of "
                             "local activity command '%s'",
                             mk->activity_id, m->id);
  if (strcmp(mk->activity_type, m->type))
    return wf_nondeterminism(e, err,
                             "Activity type of recorded marker '%s' does not match activity type "
                             "of local activity command '%s'",
                             mk->activity_type, m->type);
  return TCORE_OK;
}

/* ---- commands ---- */

/* The marker of `seq` in the look-ahead from `from`: the command events of
 * the next completed task that made commands (completions followed at once
 * by a new task's schedule, made while local activities ran past the task
 * timeout, are skipped). With `anywhere`, in all the events from `from`.
 * Its index, or -1. */
static long find_marker(wf_engine *e, size_t from, uint32_t seq, int anywhere, la_marker *out) {
  int in_commands = 0;
  for (size_t i = from; i < e->n_ev; i++) {
    const wf_event *ev = e->ev[i];
    int t = ev->event_type;
    if (t == ET(WORKFLOW_TASK_COMPLETED)) {
      int heartbeat = i + 1 < e->n_ev && e->ev[i + 1]->event_type == ET(WORKFLOW_TASK_SCHEDULED);
      if (!heartbeat) in_commands = 1;
      continue;
    }
    int parsed;
    if (la_marker_of(ev, out, &parsed) && !parsed && out->seq == seq) return (long)i;
    if (!anywhere && in_commands && !wf_is_command_event(t)) in_commands = 2;
    if (in_commands == 2) break;
  }
  return -1;
}

int wf_la_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err) {
  if (c->variant_case == CV(SCHEDULE_LOCAL_ACTIVITY)) {
    const Coresdk__WorkflowCommands__ScheduleLocalActivity *s = c->schedule_local_activity;
    if (!s) return TCORE_ERR_INVALID_ARGUMENT;
    if (wf_find_machine(e, WF_M_LOCAL_ACTIVITY, s->seq))
      return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                        "schedule_local_activity: seq %u already used", s->seq);
    int mi = wf_new_machine(e, WF_M_LOCAL_ACTIVITY, s->seq);
    if (mi < 0) return mi;
    wf_machine *m = &e->machines[mi];
    if (wf_activity_names(m, s->activity_id, s->activity_type)) return TCORE_ERR_NOMEM;
    m->cancel_type = s->cancellation_type;
    m->attempt = s->attempt ? s->attempt : 1;
    if (c->user_metadata && wf_pack(&c->user_metadata->base, &m->md)) return TCORE_ERR_NOMEM;
    if (s->original_schedule_time) {
      m->sched_s = s->original_schedule_time->seconds;
      m->sched_n = s->original_schedule_time->nanos;
    } else {
      m->sched_s = e->task_time_s;
      m->sched_n = e->task_time_n;
    }
    if (!e->task_replaying) {
      m->state = L_REQUESTED;
      return request(e, m, c, 0);
    }
    la_marker mk;
    m->state = L_WAITING;
    if (find_marker(e, e->cursor, s->seq, 0, &mk) >= 0) {
      int rc = check_ids(e, &e->machines[mi], &mk, err);
      if (rc) return rc;
      rc = run(e, a, mi, LI_MARKER, &(la_input){.marker = &mk});
      if (rc) return rc;
      e->machines[mi].state = L_PRERESOLVED;
      return TCORE_OK;
    }
    /* No marker (yet): it resolves when one is applied, or runs once replay
     * has caught up (the task that scheduled it never recorded one). */
    return request(e, m, c, 1);
  }
  if (!c->request_cancel_local_activity) return TCORE_ERR_INVALID_ARGUMENT;
  uint32_t seq = c->request_cancel_local_activity->seq;
  wf_machine *m = wf_find_machine(e, WF_M_LOCAL_ACTIVITY, seq);
  if (!m)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                      "request_cancel_local_activity: no local activity with seq %u", seq);
  int input = m->cancel_type == CORESDK__WORKFLOW_COMMANDS__ACTIVITY_CANCELLATION_TYPE__WAIT_CANCELLATION_COMPLETED
                  ? LI_CANCEL_WAIT
                  : LI_CANCEL_TRY;
  la_input in = {.ct_s = e->task_time_s, .ct_n = e->task_time_n};
  return run(e, a, (int)(m - e->machines), input, &in);
}

/* ---- events ---- */

int wf_la_marker_event(wf_engine *e, const wf_event *ev, int *rc, tcore_error *err) {
  la_marker mk;
  int parsed;
  if (!la_marker_of(ev, &mk, &parsed)) return 0;
  if (parsed) {
    *rc = wf_nondeterminism(e, err, "Event %lld (MarkerRecorded): local activity marker whose "
                                    "data cannot be read",
                            (long long)ev->event_id);
    return 1;
  }
  wf_machine *m = wf_find_machine(e, WF_M_LOCAL_ACTIVITY, mk.seq);
  if (!m || m->state == L_REQUESTED || m->state == L_CANCEL_WAIT || m->state == L_DONE) {
    *rc = wf_nondeterminism(e, err,
                            "Event %lld (MarkerRecorded): local activity marker for seq %u "
                            "(activity type '%s') but the workflow has no such local activity "
                            "waiting for it",
                            (long long)ev->event_id, mk.seq, mk.activity_type);
    return 1;
  }
  if ((*rc = check_ids(e, m, &mk, err))) return 1;
  wf_arena a = {0};
  *rc = run(e, &a, (int)(m - e->machines), LI_MARKER, &(la_input){.marker = &mk});
  wf_arena_free(&a);
  if (*rc) *rc = wf_set_err(err, *rc, "out of memory");
  return 1;
}

int wf_la_running(const wf_engine *e) {
  for (size_t i = 0; i < e->n_machines; i++)
    if (e->machines[i].kind == WF_M_LOCAL_ACTIVITY &&
        (e->machines[i].state == L_REQUESTED || e->machines[i].state == L_CANCEL_WAIT))
      return 1;
  return 0;
}

int wf_la_replay_task_end(wf_engine *e, tcore_error *err) {
  int ends = 0;
  for (size_t i = e->cursor; i < e->n_ev && !ends; i++) {
    int t = e->ev[i]->event_type;
    ends = t == ET(WORKFLOW_EXECUTION_COMPLETED) || t == ET(WORKFLOW_EXECUTION_FAILED) ||
           t == ET(WORKFLOW_EXECUTION_CANCELED) || t == ET(WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
  }
  if (!ends) return TCORE_OK;
  for (size_t i = 0; i < e->n_machines; i++) {
    const wf_machine *m = &e->machines[i];
    la_marker mk;
    if (m->kind == WF_M_LOCAL_ACTIVITY && m->state == L_WAITING &&
        find_marker(e, e->cursor, m->seq, 1, &mk) < 0)
      return wf_nondeterminism(e, err,
                               "Local activity (seq %u, activity type '%s') was scheduled but "
                               "history holds no marker for it",
                               m->seq, m->type);
  }
  return TCORE_OK;
}

int wf_la_catch_up(wf_engine *e) {
  for (size_t i = 0; i < e->n_machines; i++) {
    wf_machine *m = &e->machines[i];
    if (m->kind != WF_M_LOCAL_ACTIVITY || m->state != L_WAITING || !m->la_req.len) continue;
    if (la_out_grow(e)) return TCORE_ERR_NOMEM;
    e->la_out[e->n_la_out++] = m->la_req;
    m->la_req = (wf_blob){0};
    m->state = L_REQUESTED;
  }
  return TCORE_OK;
}

void wf_la_out_clear(wf_engine *e) {
  for (size_t i = 0; i < e->n_la_out; i++) free(e->la_out[i].data);
  e->n_la_out = 0;
}

/* ---- the run manager's side ---- */

int tcore_wf_engine_take_local_activity(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                                        tcore_error *err) {
  if (!e || !out || !out_len) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "bad argument");
  *out = NULL;
  *out_len = 0;
  if (!e->n_la_out) return TCORE_ERR_NOT_FOUND;
  *out = e->la_out[0].data;
  *out_len = e->la_out[0].len;
  memmove(&e->la_out[0], &e->la_out[1], (e->n_la_out - 1) * sizeof *e->la_out);
  e->n_la_out--;
  return TCORE_OK;
}

int tcore_wf_engine_resolve_local_activity(tcore_wf_engine *e, const tcore_wf_la_outcome *o,
                                           tcore_error *err) {
  if (!e || !o || (!o->result && o->result_len))
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "bad argument");
  if (e->failed) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "the task has failed");
  wf_machine *m = wf_find_machine(e, WF_M_LOCAL_ACTIVITY, o->seq);
  if (!m) return wf_set_err(err, TCORE_ERR_NOT_FOUND, "no local activity with seq %u", o->seq);
  Coresdk__ActivityResult__ActivityExecutionResult *r =
      coresdk__activity_result__activity_execution_result__unpack(NULL, o->result_len, o->result);
  if (!r) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "outcome bytes do not parse");
  la_input in = {.attempt = o->attempt ? o->attempt : m->attempt,
                 .ct_s = o->complete_time_ns / 1000000000,
                 .ct_n = (int32_t)(o->complete_time_ns % 1000000000),
                 .has_backoff = o->backoff_ns >= 0,
                 .bo_s = o->backoff_ns / 1000000000,
                 .bo_n = (int32_t)(o->backoff_ns % 1000000000)};
  int rc = TCORE_OK;
  switch (r->status_case) {
    case CORESDK__ACTIVITY_RESULT__ACTIVITY_EXECUTION_RESULT__STATUS_COMPLETED:
      in.result = r->completed ? r->completed->result : NULL;
      break;
    case CORESDK__ACTIVITY_RESULT__ACTIVITY_EXECUTION_RESULT__STATUS_FAILED:
      in.failure = r->failed ? r->failed->failure : NULL;
      break;
    case CORESDK__ACTIVITY_RESULT__ACTIVITY_EXECUTION_RESULT__STATUS_CANCELLED:
      in.failure = r->cancelled ? r->cancelled->failure : NULL;
      break;
    default:
      rc = TCORE_ERR_INVALID_ARGUMENT;
  }
  if (!rc && in.failure == NULL &&
      r->status_case != CORESDK__ACTIVITY_RESULT__ACTIVITY_EXECUTION_RESULT__STATUS_COMPLETED)
    rc = TCORE_ERR_INVALID_ARGUMENT;
  if (!rc && in.has_backoff && !in.failure) rc = TCORE_ERR_INVALID_ARGUMENT;
  if (rc) {
    coresdk__activity_result__activity_execution_result__free_unpacked(r, NULL);
    return wf_set_err(err, rc, "a local activity outcome is completed, failed or cancelled "
                               "(a backoff only with a failure)");
  }
  wf_arena a = {0};
  rc = run(e, &a, (int)(m - e->machines), LI_OUTCOME, &in);
  wf_arena_free(&a);
  coresdk__activity_result__activity_execution_result__free_unpacked(r, NULL);
  return rc ? wf_set_err(err, rc, "out of memory") : TCORE_OK;
}

int tcore_wf_engine_heartbeat(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                              tcore_error *err) {
  if (!e || !out || !out_len) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "bad argument");
  *out = NULL;
  *out_len = 0;
  if (e->failed || !e->in_task || e->task_replaying || e->outstanding || e->n_jobs ||
      e->task_done || !wf_la_running(e))
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                      "no workflow task is waiting for local activities");
  e->task_done = 1;
  uint8_t *body = NULL;
  size_t len = 0;
  int rc = tcore_wf_engine_take_response(e, &body, &len, err);
  if (rc) {
    e->task_done = 0;
    return rc;
  }
  /* + force_create_new_workflow_task (protobuf merges concatenated messages) */
  Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest f =
      TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_REQUEST__INIT;
  f.force_create_new_workflow_task = 1;
  wf_blob fb = {0};
  rc = wf_pack(&f.base, &fb);
  uint8_t *buf = rc ? NULL : realloc(body, len + fb.len);
  if (!buf) {
    free(body);
    free(fb.data);
    return wf_set_err(err, TCORE_ERR_NOMEM, "out of memory");
  }
  memcpy(buf + len, fb.data, fb.len);
  free(fb.data);
  *out = buf;
  *out_len = len + fb.len;
  return TCORE_OK;
}

int64_t tcore_wf_engine_task_timeout_ms(const tcore_wf_engine *e) {
  return e && e->wft_timeout_ms > 0 ? e->wft_timeout_ms : 10000;
}
