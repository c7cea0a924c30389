/* engine.c: the dispatcher of one run's workflow engine (wf_engine.h).
 *
 * History is applied one logical workflow task (WFT) at a time: from the
 * cursor up to the next WorkflowTaskStarted that is followed by
 * WorkflowTaskCompleted (a replayed task) or ends the history (the current
 * task). Started events followed by WorkflowTaskFailed/TimedOut are attempts
 * that never counted: their events fold into the next task. Each applied task
 * gives one activation (then more while jobs are pending, then the queries).
 * Command events (the ones right after WorkflowTaskCompleted) are matched in
 * order against the queue of commands the workflow produced; anything else
 * is a non-determinism error naming the event and the command expected.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wf_internal.h"

/* ---- small helpers ---- */

typedef struct wf_block {
  struct wf_block *next;
  max_align_t align[];
} wf_block;

void *wf_alloc(wf_arena *a, size_t n) {
  if (a->oom) return NULL;
  wf_block *b = calloc(1, sizeof *b + n + 1);
  if (!b) {
    a->oom = 1;
    return NULL;
  }
  b->next = a->head;
  a->head = b;
  return b->align;
}

char *wf_strdup(wf_arena *a, const char *s) {
  if (!s) s = "";
  size_t n = strlen(s);
  char *d = wf_alloc(a, n + 1);
  if (d) memcpy(d, s, n + 1);
  return d;
}

void wf_arena_free(wf_arena *a) {
  wf_block *b = a->head;
  while (b) {
    wf_block *n = b->next;
    free(b);
    b = n;
  }
  a->head = NULL;
}

char *wf_xstrdup(const char *s) {
  if (!s) s = "";
  size_t n = strlen(s);
  char *d = malloc(n + 1);
  if (d) memcpy(d, s, n + 1);
  return d;
}

int wf_pack(const ProtobufCMessage *m, wf_blob *out) {
  size_t n = protobuf_c_message_get_packed_size(m);
  out->data = malloc(n ? n : 1);
  if (!out->data) return TCORE_ERR_NOMEM;
  out->len = protobuf_c_message_pack(m, out->data);
  return TCORE_OK;
}

int wf_set_err(tcore_error *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

typedef struct {
  ProtobufCMessage base;
  char *key;
  void *value;
} wf_map_entry;

void **wf_copy_map(wf_arena *a, const ProtobufCMessageDescriptor *to, void *const *from, size_t n) {
  if (!n) return NULL;
  void **out = wf_alloc(a, n * sizeof *out);
  if (!out) return NULL;
  for (size_t i = 0; i < n; i++) {
    const wf_map_entry *src = from[i];
    wf_map_entry *dst = wf_alloc(a, to->sizeof_message > sizeof *dst ? to->sizeof_message
                                                                     : sizeof *dst);
    if (!dst) return NULL;
    protobuf_c_message_init(to, dst);
    dst->key = src->key;
    dst->value = src->value;
    out[i] = dst;
  }
  return out;
}

static const char *enum_name(const ProtobufCEnumDescriptor *d, int v) {
  const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
  return ev ? ev->name : "UNKNOWN";
}
const char *wf_event_type_name(int t) {
  return enum_name(&temporal__api__enums__v1__event_type__descriptor, t);
}
const char *wf_command_type_name(int t) {
  return enum_name(&temporal__api__enums__v1__command_type__descriptor, t);
}

static void blob_free(wf_blob *b) {
  free(b->data);
  b->data = NULL;
  b->len = 0;
}

#define GROW(arr, n, cap)                                                    \
  do {                                                                       \
    if ((n) == (cap)) {                                                      \
      size_t nc_ = (cap) ? (cap) * 2 : 8;                                    \
      void *p_ = realloc((arr), nc_ * sizeof *(arr));                        \
      if (!p_) return TCORE_ERR_NOMEM;                                       \
      (arr) = p_;                                                            \
      (cap) = nc_;                                                           \
    }                                                                        \
  } while (0)

int wf_push_job(wf_engine *e, int order, const wf_job_msg *job) {
  GROW(e->jobs, e->n_jobs, e->cap_jobs);
  wf_pending_job *j = &e->jobs[e->n_jobs];
  j->order = order;
  int rc = wf_pack(&job->base, &j->blob);
  if (rc) return rc;
  e->n_jobs++;
  return TCORE_OK;
}

int wf_push_cmd(wf_engine *e, const wf_api_cmd *c, int machine, const char *id,
                const char *kind) {
  GROW(e->cmds, e->n_cmds, e->cap_cmds);
  wf_cmd *q = &e->cmds[e->n_cmds];
  memset(q, 0, sizeof *q);
  q->type = c->command_type;
  q->machine = machine;
  if (id && !(q->id = wf_xstrdup(id))) return TCORE_ERR_NOMEM;
  if (kind && !(q->kind = wf_xstrdup(kind))) {
    free(q->id);
    return TCORE_ERR_NOMEM;
  }
  if (wf_pack(&c->base, &q->blob)) {
    free(q->id);
    free(q->kind);
    return TCORE_ERR_NOMEM;
  }
  e->n_cmds++;
  return TCORE_OK;
}

static void cmd_free(wf_cmd *c) {
  blob_free(&c->blob);
  free(c->id);
  free(c->kind);
}

static void cmd_remove(wf_engine *e, size_t i) {
  cmd_free(&e->cmds[i]);
  memmove(&e->cmds[i], &e->cmds[i + 1], (e->n_cmds - i - 1) * sizeof *e->cmds);
  e->n_cmds--;
}

int wf_drop_cmd_of(wf_engine *e, int machine) {
  for (size_t i = 0; i < e->n_cmds; i++)
    if (e->cmds[i].machine == machine) {
      cmd_remove(e, i);
      return 1;
    }
  return 0;
}

wf_machine *wf_find_machine(wf_engine *e, int kind, uint32_t seq) {
  for (size_t i = e->n_machines; i-- > 0;)
    if (e->machines[i].kind == kind && e->machines[i].seq == seq) return &e->machines[i];
  return NULL;
}

int wf_find_machine_by_event(wf_engine *e, int kind, int64_t initial_event_id) {
  for (size_t i = e->n_machines; i-- > 0;)
    if (e->machines[i].kind == kind && e->machines[i].initial_event_id == initial_event_id)
      return (int)i;
  return -1;
}

int wf_new_machine(wf_engine *e, int kind, uint32_t seq) {
  GROW(e->machines, e->n_machines, e->cap_machines);
  wf_machine *m = &e->machines[e->n_machines];
  memset(m, 0, sizeof *m);
  m->kind = kind;
  m->seq = seq;
  return (int)e->n_machines++;
}

int wf_try_flag(wf_engine *e, int flag) {
  uint64_t bit = (uint64_t)1 << flag;
  if (!e->task_replaying) {
    e->core_new |= bit;
    return 1;
  }
  return (e->core_hist & bit) != 0;
}

int wf_nondeterminism(wf_engine *e, tcore_error *err, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  e->failed = TCORE_WF_NONDETERMINISM;
  e->fail_cause =
      TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR;
  snprintf(e->fail_message, sizeof e->fail_message, "[TMPRL1100] Nondeterminism error: %s", msg);
  return wf_set_err(err, TCORE_WF_NONDETERMINISM, "%s", e->fail_message);
}

/* ---- life ---- */

tcore_wf_engine *tcore_wf_engine_new(const tcore_wf_engine_config *cfg) {
  if (!cfg) return NULL;
  wf_engine *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  e->namespace_ = wf_xstrdup(cfg->namespace_);
  e->task_queue = wf_xstrdup(cfg->task_queue);
  e->workflow_id = wf_xstrdup(cfg->workflow_id);
  e->run_id = wf_xstrdup(cfg->run_id);
  e->workflow_type = wf_xstrdup(cfg->workflow_type);
  e->sdk_name = wf_xstrdup(cfg->sdk_name ? cfg->sdk_name : TCORE_WF_SDK_NAME);
  e->sdk_version = wf_xstrdup(cfg->sdk_version ? cfg->sdk_version : TCORE_VERSION);
  e->last_sdk_name = wf_xstrdup("");
  e->last_sdk_version = wf_xstrdup("");
  if (!e->namespace_ || !e->task_queue || !e->workflow_id || !e->run_id || !e->workflow_type ||
      !e->sdk_name || !e->sdk_version || !e->last_sdk_name || !e->last_sdk_version) {
    tcore_wf_engine_free(e);
    return NULL;
  }
  return e;
}

static void jobs_clear(wf_engine *e) {
  for (size_t i = 0; i < e->n_jobs; i++) blob_free(&e->jobs[i].blob);
  e->n_jobs = 0;
}

void tcore_wf_engine_free(tcore_wf_engine *e) {
  if (!e) return;
  free(e->namespace_);
  free(e->task_queue);
  free(e->workflow_id);
  free(e->run_id);
  free(e->workflow_type);
  free(e->sdk_name);
  free(e->sdk_version);
  free(e->last_sdk_name);
  free(e->last_sdk_version);
  for (size_t i = 0; i < e->n_pages; i++)
    temporal__api__history__v1__history__free_unpacked(e->pages[i], NULL);
  free(e->pages);
  free(e->ev);
  jobs_clear(e);
  free(e->jobs);
  for (size_t i = 0; i < e->n_cmds; i++) cmd_free(&e->cmds[i]);
  free(e->cmds);
  for (size_t i = 0; i < e->n_machines; i++) {
    free(e->machines[i].id);
    free(e->machines[i].type);
    free(e->machines[i].ns);
    free(e->machines[i].run_id);
    free(e->machines[i].md.data);
    free(e->machines[i].la_req.data);
  }
  free(e->machines);
  for (size_t i = 0; i < e->n_patches; i++) free(e->patches[i].id);
  free(e->patches);
  wf_la_out_clear(e);
  free(e->la_out);
  wf_queries_clear(e);
  wf_updates_clear(e);
  blob_free(&e->fail_failure);
  free(e);
}

/* ---- history ---- */

int wf_is_command_event(int t) {
  switch (t) {
    case ET(TIMER_STARTED):
    case ET(TIMER_CANCELED):
    case ET(ACTIVITY_TASK_SCHEDULED):
    case ET(ACTIVITY_TASK_CANCEL_REQUESTED):
    case ET(WORKFLOW_EXECUTION_COMPLETED):
    case ET(WORKFLOW_EXECUTION_FAILED):
    case ET(WORKFLOW_EXECUTION_CANCELED):
    case ET(WORKFLOW_EXECUTION_CONTINUED_AS_NEW):
    case ET(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES):
    case ET(WORKFLOW_PROPERTIES_MODIFIED):
    case ET(MARKER_RECORDED):
    case ET(START_CHILD_WORKFLOW_EXECUTION_INITIATED):
    case ET(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED):
    case ET(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED):
    case ET(NEXUS_OPERATION_SCHEDULED):
    case ET(NEXUS_OPERATION_CANCEL_REQUESTED):
    case ET(WORKFLOW_EXECUTION_UPDATE_ACCEPTED):
    case ET(WORKFLOW_EXECUTION_UPDATE_COMPLETED):
      return 1;
    default:
      return 0;
  }
}

/* The command type a command event records. */
static int command_for_event(int t) {
  switch (t) {
    case ET(TIMER_STARTED): return CT(START_TIMER);
    case ET(TIMER_CANCELED): return CT(CANCEL_TIMER);
    case ET(ACTIVITY_TASK_SCHEDULED): return CT(SCHEDULE_ACTIVITY_TASK);
    case ET(ACTIVITY_TASK_CANCEL_REQUESTED): return CT(REQUEST_CANCEL_ACTIVITY_TASK);
    case ET(WORKFLOW_EXECUTION_COMPLETED): return CT(COMPLETE_WORKFLOW_EXECUTION);
    case ET(WORKFLOW_EXECUTION_FAILED): return CT(FAIL_WORKFLOW_EXECUTION);
    case ET(WORKFLOW_EXECUTION_CANCELED): return CT(CANCEL_WORKFLOW_EXECUTION);
    case ET(WORKFLOW_EXECUTION_CONTINUED_AS_NEW): return CT(CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
    case ET(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES): return CT(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
    case ET(WORKFLOW_PROPERTIES_MODIFIED): return CT(MODIFY_WORKFLOW_PROPERTIES);
    case ET(MARKER_RECORDED): return CT(RECORD_MARKER);
    case ET(START_CHILD_WORKFLOW_EXECUTION_INITIATED): return CT(START_CHILD_WORKFLOW_EXECUTION);
    case ET(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED):
      return CT(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION);
    case ET(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED):
      return CT(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION);
    case ET(NEXUS_OPERATION_SCHEDULED): return CT(SCHEDULE_NEXUS_OPERATION);
    case ET(NEXUS_OPERATION_CANCEL_REQUESTED): return CT(REQUEST_CANCEL_NEXUS_OPERATION);
    case ET(WORKFLOW_EXECUTION_UPDATE_ACCEPTED):
    case ET(WORKFLOW_EXECUTION_UPDATE_COMPLETED): return CT(PROTOCOL_MESSAGE);
    default: return CT(UNSPECIFIED);
  }
}

static int match_command_events(wf_engine *e, tcore_error *err);

int tcore_wf_engine_add_history(tcore_wf_engine *e, const uint8_t *history, size_t len,
                                int complete, tcore_error *err) {
  if (!e || (!history && len)) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "no engine");
  if (e->failed) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "the task has failed");
  if (e->outstanding || e->in_task)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                      "history added while a workflow task is being worked on");
  Temporal__Api__History__V1__History *h =
      temporal__api__history__v1__history__unpack(NULL, len, history);
  if (!h) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "history bytes do not parse");
  int64_t last = e->n_ev ? e->ev[e->n_ev - 1]->event_id : 0;
  size_t skip = 0;
  while (skip < h->n_events && h->events[skip]->event_id <= last) skip++;
  for (size_t i = skip; i < h->n_events; i++)
    if (h->events[i]->event_id != last + 1 + (int64_t)(i - skip)) {
      int64_t want = last + 1 + (int64_t)(i - skip), got = h->events[i]->event_id;
      temporal__api__history__v1__history__free_unpacked(h, NULL);
      return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                        "history event ids do not follow on: expected %lld, got %lld",
                        (long long)want, (long long)got);
    }
  if (e->n_pages == e->cap_pages) {
    size_t nc = e->cap_pages ? e->cap_pages * 2 : 4;
    void *p = realloc(e->pages, nc * sizeof *e->pages);
    if (!p) goto oom;
    e->pages = p;
    e->cap_pages = nc;
  }
  size_t need = e->n_ev + (h->n_events - skip);
  if (need > e->cap_ev) {
    size_t nc = e->cap_ev ? e->cap_ev : 16;
    while (nc < need) nc *= 2;
    void *p = realloc(e->ev, nc * sizeof *e->ev);
    if (!p) goto oom;
    e->ev = p;
    e->cap_ev = nc;
  }
  e->pages[e->n_pages++] = h;
  for (size_t i = skip; i < h->n_events; i++) e->ev[e->n_ev++] = h->events[i];
  e->history_complete = complete ? 1 : 0;
  /* The events of the commands last sent: matched now, so a mismatch is
   * reported here. */
  if (e->n_cmds) return match_command_events(e, err);
  return TCORE_OK;
oom:
  temporal__api__history__v1__history__free_unpacked(h, NULL);
  return wf_set_err(err, TCORE_ERR_NOMEM, "out of memory");
}

int tcore_wf_engine_add_queries(tcore_wf_engine *e, const uint8_t *poll_response, size_t len,
                                tcore_error *err) {
  if (!e || (!poll_response && len)) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "no engine");
  if (e->failed) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "the task has failed");
  if (e->outstanding == WF_ACT_QUERY || e->queries_delivered)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "queries added while queries are pending");
  return wf_queries_add(e, poll_response, len, err);
}

static void read_completed_metadata(wf_engine *e, const wf_event *ev) {
  if (ev->attributes_case != HA(WORKFLOW_TASK_COMPLETED_EVENT_ATTRIBUTES)) return;
  const Temporal__Api__History__V1__WorkflowTaskCompletedEventAttributes *a =
      ev->workflow_task_completed_event_attributes;
  const Temporal__Api__Sdk__V1__WorkflowTaskCompletedMetadata *md = a ? a->sdk_metadata : NULL;
  if (!md) return;
  for (size_t i = 0; i < md->n_core_used_flags; i++)
    if (md->core_used_flags[i] < 64) e->core_hist |= (uint64_t)1 << md->core_used_flags[i];
  for (size_t i = 0; i < md->n_lang_used_flags; i++)
    if (md->lang_used_flags[i] < 64) e->lang_hist |= (uint64_t)1 << md->lang_used_flags[i];
  if (md->sdk_name && *md->sdk_name) {
    char *s = wf_xstrdup(md->sdk_name);
    if (s) free(e->last_sdk_name), e->last_sdk_name = s;
  }
  if (md->sdk_version && *md->sdk_version) {
    char *s = wf_xstrdup(md->sdk_version);
    if (s) free(e->last_sdk_version), e->last_sdk_version = s;
  }
}

/* Matches a command event with the front of the command queue and hands
 * both to the command's machine. */
static int apply_command_event(wf_engine *e, const wf_event *ev, tcore_error *err) {
  int want = command_for_event(ev->event_type);
  if (e->skip_event_id && ev->event_id == e->skip_event_id) {
    e->skip_event_id = 0;
    return TCORE_OK;
  }
  int la_rc; /* local activity markers match their machine by seq (la.c) */
  if (wf_la_marker_event(e, ev, &la_rc, err)) return la_rc;
  for (;;) { /* patch markers and patch commands first (patch.c) */
    int pr = wf_patch_pre_match(e, ev, err);
    if (pr == WF_PATCH_SKIP_EVENT) return TCORE_OK;
    if (pr == WF_PATCH_SKIP_COMMAND) {
      cmd_remove(e, 0);
      continue;
    }
    if (pr) return pr;
    break;
  }
  if (!e->n_cmds)
    return wf_nondeterminism(e, err,
                             "No command scheduled for event %lld (%s): the workflow produced no "
                             "more commands, history expects a %s command",
                             (long long)ev->event_id, wf_event_type_name(ev->event_type),
                             wf_command_type_name(want));
  wf_cmd *c = &e->cmds[0];
  if ((int)c->type != want)
    return wf_nondeterminism(e, err,
                             "Event %lld (%s) does not match the next command the workflow "
                             "produced: %s%s%s%s (history expects a %s command)",
                             (long long)ev->event_id, wf_event_type_name(ev->event_type),
                             wf_command_type_name(c->type), c->id ? " (id '" : "",
                             c->id ? c->id : "", c->id ? "')" : "", wf_command_type_name(want));
  int rc = TCORE_OK;
  switch (ev->event_type) {
    case ET(TIMER_STARTED):
    case ET(TIMER_CANCELED):
      rc = wf_timer_event(e, ev, c, err);
      break;
    case ET(ACTIVITY_TASK_SCHEDULED):
    case ET(ACTIVITY_TASK_CANCEL_REQUESTED):
      rc = wf_activity_event(e, ev, c, err);
      break;
    case ET(START_CHILD_WORKFLOW_EXECUTION_INITIATED):
      rc = wf_child_event(e, ev, c, err);
      break;
    case ET(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED):
    case ET(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED):
      rc = wf_external_event(e, ev, c, err);
      break;
    case ET(WORKFLOW_EXECUTION_COMPLETED):
    case ET(WORKFLOW_EXECUTION_FAILED):
    case ET(WORKFLOW_EXECUTION_CANCELED):
    case ET(WORKFLOW_EXECUTION_CONTINUED_AS_NEW):
      e->finished = 1;
      break;
    case ET(MARKER_RECORDED):
      rc = wf_patch_event(e, ev, c, err);
      break;
    case ET(WORKFLOW_EXECUTION_UPDATE_ACCEPTED):
    case ET(WORKFLOW_EXECUTION_UPDATE_COMPLETED):
      rc = wf_update_event(e, ev, c, err);
      break;
    default:
      break; /* upsert search attributes, properties: nothing more to check */
  }
  if (rc) return rc;
  cmd_remove(e, 0);
  return TCORE_OK;
}

/* Applies one event (any kind). */
static int apply_event(wf_engine *e, const wf_event *ev, tcore_error *err) {
  if (wf_is_command_event(ev->event_type)) return apply_command_event(e, ev, err);
  switch (ev->event_type) {
    case ET(WORKFLOW_EXECUTION_STARTED):
      return wf_workflow_started(e, ev);
    case ET(WORKFLOW_TASK_SCHEDULED):
    case ET(WORKFLOW_TASK_STARTED):
    case ET(WORKFLOW_TASK_TIMED_OUT):
      return TCORE_OK;
    case ET(WORKFLOW_TASK_COMPLETED):
      read_completed_metadata(e, ev);
      return TCORE_OK;
    case ET(WORKFLOW_TASK_FAILED):
      return wf_workflow_task_failed(e, ev);
    case ET(TIMER_FIRED):
      return wf_timer_event(e, ev, NULL, err);
    case ET(ACTIVITY_TASK_STARTED):
    case ET(ACTIVITY_TASK_COMPLETED):
    case ET(ACTIVITY_TASK_FAILED):
    case ET(ACTIVITY_TASK_TIMED_OUT):
    case ET(ACTIVITY_TASK_CANCELED):
      return wf_activity_event(e, ev, NULL, err);
    case ET(START_CHILD_WORKFLOW_EXECUTION_FAILED):
    case ET(CHILD_WORKFLOW_EXECUTION_STARTED):
    case ET(CHILD_WORKFLOW_EXECUTION_COMPLETED):
    case ET(CHILD_WORKFLOW_EXECUTION_FAILED):
    case ET(CHILD_WORKFLOW_EXECUTION_TIMED_OUT):
    case ET(CHILD_WORKFLOW_EXECUTION_CANCELED):
    case ET(CHILD_WORKFLOW_EXECUTION_TERMINATED):
      return wf_child_event(e, ev, NULL, err);
    case ET(EXTERNAL_WORKFLOW_EXECUTION_SIGNALED):
    case ET(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED):
    case ET(EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED):
    case ET(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED):
      return wf_external_event(e, ev, NULL, err);
    case ET(WORKFLOW_EXECUTION_SIGNALED):
      return wf_signal_event(e, ev);
    case ET(WORKFLOW_EXECUTION_CANCEL_REQUESTED):
      return wf_cancel_requested_event(e, ev);
    case ET(WORKFLOW_EXECUTION_UPDATE_ADMITTED):
      return wf_update_admitted(e, ev, e->applying_replayed, err);
    case ET(WORKFLOW_EXECUTION_TERMINATED):
    case ET(WORKFLOW_EXECUTION_TIMED_OUT):
      e->finished = 1;
      return TCORE_OK;
    default:
      if (ev->worker_may_ignore) return TCORE_OK;
      return wf_nondeterminism(e, err, "Event %lld (%s) is not supported by this SDK's engine",
                               (long long)ev->event_id, wf_event_type_name(ev->event_type));
  }
}

/* Applies WorkflowTaskCompleted and the command events after it (those the
 * workflow's last commands made), stopping at the first other event. */
static int match_command_events(wf_engine *e, tcore_error *err) {
  while (e->cursor < e->n_ev) {
    const wf_event *ev = e->ev[e->cursor];
    if (ev->event_type != ET(WORKFLOW_TASK_COMPLETED) && !wf_is_command_event(ev->event_type)) break;
    int rc = apply_event(e, ev, err);
    if (rc) return rc;
    e->cursor++;
  }
  return TCORE_OK;
}

static int is_final_event(int t) {
  switch (t) {
    case ET(WORKFLOW_EXECUTION_COMPLETED):
    case ET(WORKFLOW_EXECUTION_FAILED):
    case ET(WORKFLOW_EXECUTION_TIMED_OUT):
    case ET(WORKFLOW_EXECUTION_TERMINATED):
    case ET(WORKFLOW_EXECUTION_CANCELED):
    case ET(WORKFLOW_EXECUTION_CONTINUED_AS_NEW):
      return 1;
    default:
      return 0;
  }
}

/* Where the next logical task's events end (sdk-core's rules): at a
 * WorkflowTaskStarted followed by WorkflowTaskCompleted (unless that task
 * was an empty "heartbeat" one: completed then scheduled again with no
 * command event seen in the sequence) or ending the history; attempts
 * followed by WorkflowTaskFailed/TimedOut or an abrupt end do not end it;
 * a final event of the run ends it. The sequence starts at index `from`.
 * Returns 1 with *end set, or 0 when the end is not in the events held
 * (*end = last index). */
static int find_sequence_end(const wf_engine *e, size_t from, size_t *end) {
  int saw_cmd = 0, saw_cmd_or_started = 0;
  for (size_t ix = from; ix < e->n_ev; ix++) {
    int t = e->ev[ix]->event_type;
    if (wf_is_command_event(t)) saw_cmd = saw_cmd_or_started = 1;
    if (t == ET(WORKFLOW_EXECUTION_STARTED)) saw_cmd_or_started = 1;
    if (is_final_event(t)) {
      *end = ix;
      return 1;
    }
    if (t != ET(WORKFLOW_TASK_STARTED)) continue;
    if (ix + 1 < e->n_ev) {
      int nt = e->ev[ix + 1]->event_type;
      if (nt == ET(WORKFLOW_TASK_FAILED) || nt == ET(WORKFLOW_TASK_TIMED_OUT) ||
          nt == ET(WORKFLOW_EXECUTION_TIMED_OUT) || nt == ET(WORKFLOW_EXECUTION_TERMINATED) ||
          nt == ET(WORKFLOW_EXECUTION_CANCELED))
        continue;
      if (nt == ET(WORKFLOW_TASK_COMPLETED) && ix + 2 < e->n_ev) {
        if (!saw_cmd && e->ev[ix + 2]->event_type == ET(WORKFLOW_TASK_SCHEDULED)) continue;
        *end = ix;
        return 1;
      }
    }
    if (saw_cmd_or_started) {
      *end = ix;
      return 1;
    }
  }
  *end = e->n_ev ? e->n_ev - 1 : 0;
  return 0;
}

/* A WorkflowTaskStarted that counts (followed by its completion, or the
 * last event) moves the workflow's clock. */
static void task_started(wf_engine *e, size_t ix) {
  const wf_event *st = e->ev[ix];
  if (ix + 1 < e->n_ev && e->ev[ix + 1]->event_type != ET(WORKFLOW_TASK_COMPLETED)) return;
  e->task_started_id = st->event_id;
  if (st->event_time) {
    e->task_time_s = st->event_time->seconds;
    e->task_time_n = st->event_time->nanos;
    e->has_task_time = 1;
  }
  if (st->attributes_case == HA(WORKFLOW_TASK_STARTED_EVENT_ATTRIBUTES) &&
      st->workflow_task_started_event_attributes) {
    e->history_size_bytes = (uint64_t)st->workflow_task_started_event_attributes->history_size_bytes;
    e->can_suggested = st->workflow_task_started_event_attributes->suggest_continue_as_new;
  }
  /* The flags recorded with this task's completion decide how its commands
   * are handled (look-ahead, as sdk-core does). */
  if (ix + 1 < e->n_ev) read_completed_metadata(e, e->ev[ix + 1]);
}

static int apply_range(wf_engine *e, size_t end, tcore_error *err) {
  for (; e->cursor <= end && e->cursor < e->n_ev; e->cursor++) {
    const wf_event *ev = e->ev[e->cursor];
    if (ev->event_type == ET(WORKFLOW_TASK_STARTED)) task_started(e, e->cursor);
    /* Protocol messages sequenced before this event come first (sdk-core). */
    int rc = e->n_in_msgs ? wf_update_process_messages(e, ev->event_id - 1, 0, e->applying_replayed)
                          : TCORE_OK;
    if (rc) return wf_set_err(err, rc, "out of memory");
    rc = apply_event(e, ev, err);
    if (rc) return rc;
    e->last_applied_id = ev->event_id;
  }
  return TCORE_OK;
}

/* Applies the next logical workflow task: TCORE_OK (in_task set, jobs
 * queued), TCORE_WF_NEED_HISTORY, TCORE_WF_RUN_FINISHED or an error. */
static int apply_next_task(wf_engine *e, tcore_error *err) {
  if (e->finished) return TCORE_WF_RUN_FINISHED;
  size_t end;
  int complete_seq = find_sequence_end(e, e->seq_from, &end);
  if (!complete_seq && !e->history_complete) return TCORE_WF_NEED_HISTORY;
  if (e->seq_from >= e->n_ev) return TCORE_WF_NEED_HISTORY;
  int is_started = e->ev[end]->event_type == ET(WORKFLOW_TASK_STARTED);
  int last = end + 1 == e->n_ev;
  /* A task's started event last in a page: whether it was completed is on
   * the next page. */
  if (is_started && last && !e->history_complete) return TCORE_WF_NEED_HISTORY;
  /* Look-ahead (as sdk-core): the next logical task's patch markers are
   * announced in this task's activation, so it must be held whole. */
  size_t next_end = e->n_ev;
  if (is_started && !last) {
    size_t ne;
    if (find_sequence_end(e, end + 1, &ne)) next_end = ne + 1;
    else if (!e->history_complete) return TCORE_WF_NEED_HISTORY;
  }
  e->applying_replayed = !(is_started && last);
  int rc = apply_range(e, end, err);
  if (rc) return rc;
  e->seq_from = end + 1;
  if (is_started && !last && !e->finished) {
    rc = wf_patch_lookahead(e, end + 1, next_end);
    /* accepted updates are re-delivered (their requests from history) */
    if (!rc) rc = wf_update_lookahead(e, end + 1, next_end);
    if (rc) return wf_set_err(err, rc, "out of memory");
  }
  if (is_started && last && e->n_in_msgs && !e->finished) {
    rc = wf_update_process_messages(e, 0, 1, 0);
    if (rc) return wf_set_err(err, rc, "out of memory");
  }
  if (e->finished) return TCORE_WF_RUN_FINISHED;
  if (is_started) {
    e->in_task = 1;
    e->task_replaying = !last;
    if (last && wf_la_catch_up(e)) return wf_set_err(err, TCORE_ERR_NOMEM, "out of memory");
    return TCORE_OK;
  }
  /* The history ends inside a task (a complete history being replayed): what
   * it holds is delivered as a replayed task. */
  if (e->n_jobs) {
    e->in_task = 1;
    e->task_replaying = 1;
    return TCORE_OK;
  }
  return TCORE_WF_NEED_HISTORY;
}

/* ---- activations ---- */

static int put_varint(uint8_t *p, uint64_t v) {
  int n = 0;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    p[n++] = b | (v ? 0x80 : 0);
  } while (v);
  return n;
}

/* header bytes + each blob as field `field` (length-delimited). */
static int concat_fields(const wf_blob *head, const wf_blob *const *parts, size_t n, int field,
                         uint8_t **out, size_t *out_len) {
  size_t total = head->len;
  for (size_t i = 0; i < n; i++) total += parts[i]->len + 11;
  uint8_t *buf = malloc(total ? total : 1);
  if (!buf) return TCORE_ERR_NOMEM;
  size_t at = 0;
  memcpy(buf, head->data, head->len);
  at = head->len;
  for (size_t i = 0; i < n; i++) {
    at += put_varint(buf + at, (uint64_t)field << 3 | 2);
    at += put_varint(buf + at, parts[i]->len);
    memcpy(buf + at, parts[i]->data, parts[i]->len);
    at += parts[i]->len;
  }
  *out = buf;
  *out_len = at;
  return TCORE_OK;
}

static int cmp_jobs(const void *a, const void *b) {
  const wf_pending_job *x = a, *y = b;
  return x->order - y->order;
}

/* The activation header (no jobs) for the current task. */
static int activation_header(wf_engine *e, int query_only, wf_blob *out) {
  Coresdk__WorkflowActivation__WorkflowActivation act =
      CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION__INIT;
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  uint32_t flags[64];
  size_t nf = 0;
  act.run_id = e->run_id;
  if (e->has_task_time) {
    ts.seconds = e->task_time_s;
    ts.nanos = e->task_time_n;
    act.timestamp = &ts;
  }
  /* query-only activations are always "replaying" (as sdk-core does). */
  act.is_replaying = e->task_replaying || query_only;
  act.history_length = (uint32_t)e->last_applied_id;
  for (uint32_t f = 0; f < 64; f++)
    if (e->lang_hist & (uint64_t)1 << f) flags[nf++] = f;
  act.n_available_internal_flags = nf;
  act.available_internal_flags = flags;
  act.history_size_bytes = e->history_size_bytes;
  act.continue_as_new_suggested = e->can_suggested;
  act.last_sdk_version = e->last_sdk_version;
  return wf_pack(&act.base, out);
}

static int emit(wf_engine *e, wf_blob *const *parts, size_t n, int query_only, uint8_t **out,
                size_t *out_len) {
  wf_blob head = {0};
  int rc = activation_header(e, query_only, &head);
  if (rc) return rc;
  rc = concat_fields(&head, (const wf_blob *const *)parts, n, 5, out, out_len);
  blob_free(&head);
  return rc;
}

static int emit_jobs(wf_engine *e, uint8_t **out, size_t *out_len) {
  qsort(e->jobs, e->n_jobs, sizeof *e->jobs, cmp_jobs); /* ties: see below */
  wf_blob **parts = malloc(e->n_jobs * sizeof *parts);
  if (!parts) return TCORE_ERR_NOMEM;
  for (size_t i = 0; i < e->n_jobs; i++) parts[i] = &e->jobs[i].blob;
  int rc = emit(e, parts, e->n_jobs, 0, out, out_len);
  free(parts);
  if (rc) return rc;
  jobs_clear(e);
  e->outstanding = WF_ACT_NORMAL;
  return TCORE_OK;
}

static int emit_queries(wf_engine *e, uint8_t **out, size_t *out_len) {
  wf_blob **parts = malloc((e->n_queries ? e->n_queries : 1) * sizeof *parts);
  if (!parts) return TCORE_ERR_NOMEM;
  for (size_t i = 0; i < e->n_queries; i++) parts[i] = &e->queries[i].job;
  int rc = emit(e, parts, e->n_queries, 1, out, out_len);
  free(parts);
  if (rc) return rc;
  e->queries_delivered = 1;
  e->outstanding = WF_ACT_QUERY;
  return TCORE_OK;
}

int tcore_wf_engine_next_activation(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                                    tcore_error *err) {
  if (!e || !out || !out_len) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "bad argument");
  *out = NULL;
  *out_len = 0;
  if (e->failed) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "the task has failed");
  if (e->outstanding)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "an activation is outstanding");
  for (;;) {
    if (e->n_jobs) {
      /* Stable order within a category: qsort is not stable, so number
       * the jobs first (order * 2^20 + index keeps arrival order). */
      for (size_t i = 0; i < e->n_jobs; i++) e->jobs[i].order = e->jobs[i].order << 20 | (int)i;
      int rc = emit_jobs(e, out, out_len);
      return rc ? wf_set_err(err, rc, "out of memory") : TCORE_OK;
    }
    if (e->in_task) {
      if (e->n_queries && !e->queries_delivered && !e->task_replaying) {
        int rc = emit_queries(e, out, out_len);
        return rc ? wf_set_err(err, rc, "out of memory") : TCORE_OK;
      }
      if (e->task_replaying) {
        e->in_task = 0;
        int rc = match_command_events(e, err);
        if (!rc) rc = wf_la_replay_task_end(e, err);
        if (rc) return rc;
        continue;
      }
      if (wf_la_running(e)) return TCORE_WF_WAIT_LOCAL_ACTIVITIES;
      e->task_done = 1;
      return TCORE_WF_TASK_DONE;
    }
    if (e->task_done) return TCORE_WF_TASK_DONE;
    /* A run whose terminal command went out may still get queries (a legacy
     * query task for the cached run): they are answered below. */
    int rc = e->terminal_sent ? TCORE_WF_RUN_FINISHED : apply_next_task(e, err);
    if (rc == TCORE_OK) continue;
    if ((rc == TCORE_WF_NEED_HISTORY || rc == TCORE_WF_RUN_FINISHED) && e->n_queries) {
      /* A legacy query (or queries without a new task): answer them now. */
      if (!e->queries_delivered) {
        int r2 = emit_queries(e, out, out_len);
        return r2 ? wf_set_err(err, r2, "out of memory") : TCORE_OK;
      }
      e->task_done = 1;
      return TCORE_WF_TASK_DONE;
    }
    return rc;
  }
}

int tcore_wf_engine_eviction(tcore_wf_engine *e, int reason, const char *message, uint8_t **out,
                             size_t *out_len, tcore_error *err) {
  if (!e || !out || !out_len) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "bad argument");
  *out = NULL;
  *out_len = 0;
  Coresdk__WorkflowActivation__RemoveFromCache rm =
      CORESDK__WORKFLOW_ACTIVATION__REMOVE_FROM_CACHE__INIT;
  rm.message = (char *)(message ? message : "");
  rm.reason = reason;
  wf_job_msg job = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
  job.variant_case = JV(REMOVE_FROM_CACHE);
  job.remove_from_cache = &rm;
  wf_blob jb = {0}, head = {0};
  int rc = wf_pack(&job.base, &jb);
  if (!rc) rc = activation_header(e, 0, &head);
  if (!rc) {
    const wf_blob *parts[1] = {&jb};
    rc = concat_fields(&head, parts, 1, 5, out, out_len);
  }
  blob_free(&jb);
  blob_free(&head);
  return rc ? wf_set_err(err, rc, "out of memory") : TCORE_OK;
}

/* ---- completions ---- */

static int apply_lang_command(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err) {
  switch (c->variant_case) {
    case CV(START_TIMER):
    case CV(CANCEL_TIMER):
      return wf_timer_cmd(e, a, c, err);
    case CV(SCHEDULE_ACTIVITY):
    case CV(REQUEST_CANCEL_ACTIVITY):
      return wf_activity_cmd(e, a, c, err);
    case CV(START_CHILD_WORKFLOW_EXECUTION):
    case CV(CANCEL_CHILD_WORKFLOW_EXECUTION):
      return wf_child_cmd(e, a, c, err);
    case CV(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION):
    case CV(CANCEL_SIGNAL_WORKFLOW):
    case CV(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION):
      return wf_external_cmd(e, a, c, err);
    case CV(COMPLETE_WORKFLOW_EXECUTION):
    case CV(FAIL_WORKFLOW_EXECUTION):
    case CV(CANCEL_WORKFLOW_EXECUTION):
    case CV(CONTINUE_AS_NEW_WORKFLOW_EXECUTION):
      return wf_workflow_terminal_cmd(e, a, c, err);
    case CV(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES):
    case CV(MODIFY_WORKFLOW_PROPERTIES):
      return wf_properties_cmd(e, a, c, err);
    case CV(RESPOND_TO_QUERY):
      return wf_query_result_cmd(e, a, c, err);
    case CV(SET_PATCH_MARKER):
      return wf_patch_cmd(e, a, c, err);
    case CV(UPDATE_RESPONSE):
      return wf_update_cmd(e, a, c, err);
    case CV(SCHEDULE_LOCAL_ACTIVITY):
    case CV(REQUEST_CANCEL_LOCAL_ACTIVITY):
      return wf_la_cmd(e, a, c, err);
    default: {
      const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
          &coresdk__workflow_commands__workflow_command__descriptor, (unsigned)c->variant_case);
      return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                        "workflow command %s is not supported by this SDK's engine yet",
                        f ? f->name : "(none)");
    }
  }
}

static void set_lang_failure(wf_engine *e, const Coresdk__WorkflowCompletion__Failure *f) {
  e->failed = TCORE_WF_ACTIVATION_FAILED;
  e->fail_cause = f->force_cause
                      ? (int)f->force_cause
                      : TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE;
  if (f->failure) {
    snprintf(e->fail_message, sizeof e->fail_message, "%s",
             f->failure->message ? f->failure->message : "");
    wf_pack(&f->failure->base, &e->fail_failure);
  } else {
    snprintf(e->fail_message, sizeof e->fail_message, "workflow activation failed");
  }
}

int tcore_wf_engine_complete(tcore_wf_engine *e, const uint8_t *completion, size_t len,
                             tcore_error *err) {
  if (!e || (!completion && len)) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "bad argument");
  if (e->failed) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "the task has failed");
  if (!e->outstanding)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "no activation is outstanding");
  Coresdk__WorkflowCompletion__WorkflowActivationCompletion *c =
      coresdk__workflow_completion__workflow_activation_completion__unpack(NULL, len, completion);
  if (!c) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "completion bytes do not parse");
  int kind = e->outstanding;
  e->outstanding = WF_ACT_NONE;
  int rc = TCORE_OK;
  if (c->status_case == CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__STATUS_FAILED &&
      kind == WF_ACT_QUERY) {
    /* A failed query activation fails the queries, not the task. */
    rc = wf_queries_fail(e, c->failed ? c->failed->failure : NULL);
    if (rc) rc = wf_set_err(err, rc, "out of memory");
    goto done;
  }
  if (c->status_case == CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__STATUS_FAILED) {
    set_lang_failure(e, c->failed);
    rc = wf_set_err(err, TCORE_WF_ACTIVATION_FAILED, "workflow activation failed: %s",
                    e->fail_message);
    goto done;
  }
  if (c->status_case != CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__STATUS_SUCCESSFUL ||
      !c->successful) {
    /* An empty completion: no commands. */
    goto done;
  }
  Coresdk__WorkflowCompletion__Success *s = c->successful;
  for (size_t i = 0; i < s->n_used_internal_flags; i++)
    if (s->used_internal_flags[i] < 64)
      e->lang_new |= (uint64_t)1 << s->used_internal_flags[i];

  /* Order: queries answered first, non-terminal commands in order, then the
   * first terminal command (flag 3), or (histories without flag 3 being
   * replayed) everything after the first terminal command dropped. */
  size_t n = s->n_commands;
  wf_lang_cmd **order = malloc((n ? n : 1) * sizeof *order);
  if (!order) {
    rc = wf_set_err(err, TCORE_ERR_NOMEM, "out of memory");
    goto done;
  }
  size_t k = 0;
  const wf_lang_cmd *terminal = NULL;
  int move_last = !e->task_replaying || (e->core_hist & (uint64_t)1 << WF_FLAG_MOVE_TERMINAL_COMMANDS);
  for (size_t i = 0; i < n; i++) {
    wf_lang_cmd *lc = s->commands[i];
    if (wf_is_terminal_lang_cmd(lc)) {
      if (!terminal) terminal = lc;
      if (!move_last) break;
      continue;
    }
    order[k++] = lc;
  }
  if (terminal) {
    if (move_last && k < n - 1) wf_try_flag(e, WF_FLAG_MOVE_TERMINAL_COMMANDS);
    order[k++] = (wf_lang_cmd *)terminal;
  }
  if (kind == WF_ACT_QUERY) {
    for (size_t i = 0; i < k && !rc; i++)
      if (order[i]->variant_case != CV(RESPOND_TO_QUERY))
        rc = wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                        "a query activation was completed with a command other than "
                        "respond_to_query");
  }
  for (size_t i = 0; i < k && !rc; i++) {
    wf_arena a = {0};
    rc = apply_lang_command(e, &a, order[i], err);
    if (!rc && a.oom) rc = wf_set_err(err, TCORE_ERR_NOMEM, "out of memory");
    wf_arena_free(&a);
  }
  free(order);
  if (rc == TCORE_ERR_INVALID_ARGUMENT) {
    /* A command the engine cannot apply (unsupported kind, unknown seq, a
     * query answer outside a query...): the task fails like a failed
     * activation, with the reason as its failure. */
    e->failed = TCORE_WF_ACTIVATION_FAILED;
    e->fail_cause =
        TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE;
    snprintf(e->fail_message, sizeof e->fail_message, "%s",
             err && err->message[0] ? err->message : "invalid workflow command");
    rc = wf_set_err(err, TCORE_WF_ACTIVATION_FAILED, "%s", e->fail_message);
  }
  if (rc) goto done;
  /* A replayed task with nothing more to deliver: match its command events
   * now, so non-determinism is reported by this completion. */
  if (kind == WF_ACT_NORMAL && e->in_task && e->task_replaying && !e->n_jobs) {
    e->in_task = 0;
    rc = match_command_events(e, err);
    if (!rc) rc = wf_la_replay_task_end(e, err);
  }
done:
  coresdk__workflow_completion__workflow_activation_completion__free_unpacked(c, NULL);
  return rc;
}

/* ---- responses ---- */

int tcore_wf_engine_take_response(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                                  tcore_error *err) {
  if (!e || !out || !out_len) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "bad argument");
  *out = NULL;
  *out_len = 0;
  if (!e->task_done || e->failed)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "the task is not done");
  if (e->legacy_query)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                      "a legacy query task: take_query_response instead");
  Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_REQUEST__INIT;
  Temporal__Api__Sdk__V1__WorkflowTaskCompletedMetadata md =
      TEMPORAL__API__SDK__V1__WORKFLOW_TASK_COMPLETED_METADATA__INIT;
  /* The flags this engine implements are recorded whenever it writes a
   * task (as sdk-core records all it knows), unless history has them. */
  e->core_new |= (uint64_t)1 << WF_FLAG_ID_AND_TYPE_CHECKS |
                 (uint64_t)1 << WF_FLAG_UPSERT_SA_ON_PATCH |
                 (uint64_t)1 << WF_FLAG_MOVE_TERMINAL_COMMANDS;
  uint32_t core[64], lang[64];
  for (uint32_t f = 0; f < 64; f++) {
    if ((e->core_new & ~e->core_hist) & (uint64_t)1 << f) core[md.n_core_used_flags++] = f;
    if ((e->lang_new & ~e->lang_hist) & (uint64_t)1 << f) lang[md.n_lang_used_flags++] = f;
  }
  md.core_used_flags = core;
  md.lang_used_flags = lang;
  md.sdk_name = strcmp(e->last_sdk_name, e->sdk_name) ? e->sdk_name : "";
  md.sdk_version = strcmp(e->last_sdk_version, e->sdk_version) ? e->sdk_version : "";
  req.sdk_metadata = &md;

  /* Query results of this task. */
  Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest__QueryResultsEntry *ents =
      NULL, **entp = NULL;
  Temporal__Api__Query__V1__WorkflowQueryResult **qr = NULL;
  int rc = TCORE_OK;
  if (e->n_qresults) {
    ents = calloc(e->n_qresults, sizeof *ents);
    entp = calloc(e->n_qresults, sizeof *entp);
    qr = calloc(e->n_qresults, sizeof *qr);
    if (!ents || !entp || !qr) rc = TCORE_ERR_NOMEM;
    for (size_t i = 0; !rc && i < e->n_qresults; i++) {
      qr[i] = temporal__api__query__v1__workflow_query_result__unpack(NULL, e->qresults[i].result.len,
                                                                    e->qresults[i].result.data);
      if (!qr[i]) {
        rc = TCORE_ERR_NOMEM;
        break;
      }
      temporal__api__workflowservice__v1__respond_workflow_task_completed_request__query_results_entry__init(
          &ents[i]);
      ents[i].key = e->qresults[i].id;
      ents[i].value = qr[i];
      entp[i] = &ents[i];
    }
    req.n_query_results = e->n_qresults;
    req.query_results = entp;
  }
  wf_blob head = {0};
  if (!rc) rc = wf_pack(&req.base, &head);
  if (!rc) {
    const wf_blob **parts = malloc((e->n_cmds ? e->n_cmds : 1) * sizeof *parts);
    if (!parts) rc = TCORE_ERR_NOMEM;
    for (size_t i = 0; !rc && i < e->n_cmds; i++) parts[i] = &e->cmds[i].blob;
    if (!rc) rc = concat_fields(&head, parts, e->n_cmds, 2, out, out_len);
    free(parts);
  }
  if (!rc && e->n_out_msgs) { /* then the protocol messages (field 11) */
    const wf_blob **parts = malloc(e->n_out_msgs * sizeof *parts);
    wf_blob with_cmds = {*out, *out_len};
    if (!parts) rc = TCORE_ERR_NOMEM;
    for (size_t i = 0; !rc && i < e->n_out_msgs; i++) parts[i] = &e->out_msgs[i];
    if (!rc) rc = concat_fields(&with_cmds, parts, e->n_out_msgs, 11, out, out_len);
    free(parts);
    blob_free(&with_cmds);
    if (rc) *out = NULL, *out_len = 0;
  }
  blob_free(&head);
  for (size_t i = 0; qr && i < e->n_qresults; i++)
    if (qr[i]) temporal__api__query__v1__workflow_query_result__free_unpacked(qr[i], NULL);
  free(qr);
  free(ents);
  free(entp);
  if (rc) return wf_set_err(err, rc, "out of memory");
  e->core_hist |= e->core_new;
  e->lang_hist |= e->lang_new;
  e->core_new = e->lang_new = 0;
  if (*md.sdk_name) {
    char *s = wf_xstrdup(e->sdk_name);
    if (s) free(e->last_sdk_name), e->last_sdk_name = s;
  }
  if (*md.sdk_version) {
    char *s = wf_xstrdup(e->sdk_version);
    if (s) free(e->last_sdk_version), e->last_sdk_version = s;
  }
  if (e->terminal_queued) e->terminal_sent = 1;
  wf_out_msgs_clear(e);
  e->task_done = 0;
  e->in_task = 0;
  wf_queries_clear(e);
  return TCORE_OK;
}

int tcore_wf_engine_take_query_response(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                                        tcore_error *err) {
  if (!e || !out || !out_len) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "bad argument");
  *out = NULL;
  *out_len = 0;
  if (!e->task_done || e->failed || !e->legacy_query)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "no legacy query task is done");
  int rc = wf_take_query_response(e, out, out_len, err);
  if (rc) return rc;
  e->task_done = 0;
  wf_queries_clear(e);
  return TCORE_OK;
}

int tcore_wf_engine_failure(tcore_wf_engine *e, uint8_t **out, size_t *out_len, tcore_error *err) {
  if (!e || !out || !out_len) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "bad argument");
  *out = NULL;
  *out_len = 0;
  if (!e->failed) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "the task has not failed");
  Temporal__Api__Workflowservice__V1__RespondWorkflowTaskFailedRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_FAILED_REQUEST__INIT;
  Temporal__Api__Failure__V1__Failure f = TEMPORAL__API__FAILURE__V1__FAILURE__INIT;
  Temporal__Api__Failure__V1__Failure *lf = NULL;
  req.cause = e->fail_cause;
  if (e->fail_failure.data) {
    lf = temporal__api__failure__v1__failure__unpack(NULL, e->fail_failure.len, e->fail_failure.data);
    if (!lf) return wf_set_err(err, TCORE_ERR_NOMEM, "out of memory");
    req.failure = lf;
  } else {
    f.message = e->fail_message;
    req.failure = &f;
  }
  wf_blob b = {0};
  int rc = wf_pack(&req.base, &b);
  if (lf) temporal__api__failure__v1__failure__free_unpacked(lf, NULL);
  if (rc) return wf_set_err(err, rc, "out of memory");
  *out = b.data;
  *out_len = b.len;
  return TCORE_OK;
}

int tcore_wf_engine_discard_task(tcore_wf_engine *e, int64_t reset_to_started_id,
                                 tcore_error *err) {
  if (!e) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "no engine");
  if (e->failed || e->outstanding || e->in_task || e->task_done || e->n_ev < 2 ||
      e->cursor != e->n_ev || e->ev[e->n_ev - 1]->event_type != ET(WORKFLOW_TASK_STARTED) ||
      e->ev[e->n_ev - 2]->event_type != ET(WORKFLOW_TASK_SCHEDULED) ||
      e->ev[e->n_ev - 2]->event_id <= reset_to_started_id)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                      "cannot discard the last workflow task (reset to event %lld)",
                      (long long)reset_to_started_id);
  e->n_ev -= 2; /* the events stay owned by their page */
  e->cursor = e->seq_from = e->n_ev;
  e->last_applied_id = e->n_ev ? e->ev[e->n_ev - 1]->event_id : 0;
  e->task_started_id = reset_to_started_id;
  return TCORE_OK;
}
