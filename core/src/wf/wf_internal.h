/* wf_internal.h: what the workflow engine's files share (core/src/wf/).
 * Internal to the engine; wf_engine.h is its interface.
 *
 * Shape: engine.c is the dispatcher (history applied one logical workflow
 * task at a time, command events matched to the commands the workflow
 * produced, activations built); each machine file (workflow.c, timer.c,
 * activity.c, child.c, external.c, signal.c, query.c, patch.c, update.c) handles its
 * commands and
 * events with a
 * small (state, input) -> (action, next state) table where it has states.
 *
 * Everything the engine keeps across calls is owned bytes: pending
 * activation jobs are serialized WorkflowActivationJob messages, queued
 * commands serialized temporal.api.command.v1.Command messages; the
 * activation and the task response are built by appending them as repeated
 * fields to a packed header (protobuf concatenation). History events are kept
 * unpacked for the engine's life (jobs borrow from them only while packing).
 */
#ifndef TCORE_WF_INTERNAL_H
#define TCORE_WF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "temporal/api/command/v1/message.pb-c.h"
#include "temporal/api/history/v1/message.pb-c.h"
#include "temporal/api/query/v1/message.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "temporal/sdk/core/workflow_activation/workflow_activation.pb-c.h"
#include "temporal/sdk/core/workflow_completion/workflow_completion.pb-c.h"
#include "wf_engine.h"

#define ET(x) TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_##x
#define CT(x) TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_##x
#define HA(x) TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_##x
#define JV(x) CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__VARIANT_##x
#define CV(x) CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_##x
#define CA(x) TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_##x

typedef Temporal__Api__History__V1__HistoryEvent wf_event;
typedef Coresdk__WorkflowActivation__WorkflowActivationJob wf_job_msg;
typedef Coresdk__WorkflowCommands__WorkflowCommand wf_lang_cmd;
typedef Temporal__Api__Command__V1__Command wf_api_cmd;

/* ---- arena: zeroed temporaries freed together after packing ---- */
typedef struct wf_arena {
  void *head; /* singly linked blocks */
  int oom;    /* an allocation failed (every later one returns NULL too) */
} wf_arena;
void *wf_alloc(wf_arena *a, size_t n);
char *wf_strdup(wf_arena *a, const char *s);
void wf_arena_free(wf_arena *a);

/* ---- byte blobs ---- */
typedef struct wf_blob {
  uint8_t *data;
  size_t len;
} wf_blob;

/* Packs a protobuf-c message into a fresh blob; 0 or TCORE_ERR_NOMEM. */
int wf_pack(const ProtobufCMessage *m, wf_blob *out);

/* Job order inside one activation (PHASE2.md): init, patches, random seed,
 * signals and updates, everything else, local-activity resolutions. */
enum { WF_JOB_INIT = 0, WF_JOB_PATCH, WF_JOB_SEED, WF_JOB_SIGNAL, WF_JOB_OTHER, WF_JOB_LA };

typedef struct wf_pending_job {
  int order;
  wf_blob blob;
} wf_pending_job;

/* A command the workflow produced that history has not yet confirmed (its
 * event not applied yet). `machine` indexes e->machines or is -1. */
typedef struct wf_cmd {
  Temporal__Api__Enums__V1__CommandType type;
  int machine;
  wf_blob blob; /* serialized temporal.api.command.v1.Command */
  char *id;     /* timer id / activity id (owned), or NULL */
  char *kind;   /* activity type (owned), or NULL */
} wf_cmd;

enum {
  WF_M_TIMER = 1,
  WF_M_ACTIVITY = 2,
  WF_M_PATCH = 3,
  WF_M_CHILD = 4,           /* child workflow (child.c) */
  WF_M_SIGNAL_EXT = 5,      /* signal external workflow (external.c) */
  WF_M_CANCEL_EXT = 6,      /* request cancel external workflow, lang-issued */
  WF_M_CANCEL_EXT_CORE = 7, /* ...issued by the engine to cancel a child: no job */
  WF_M_LOCAL_ACTIVITY = 8   /* local activity (la.c) */
};

/* One timer, activity, patch command, child workflow or external operation
 * of the run (by its lang sequence number and kind; patches by id, seq 0). */
typedef struct wf_machine {
  int kind;
  uint32_t seq;
  int state;
  int cancel_type;          /* activities: coresdk ActivityCancellationType;
                               children: coresdk ChildWorkflowCancellationType */
  int64_t initial_event_id; /* TimerStarted / ActivityTaskScheduled /
                               StartChildWorkflowExecutionInitiated / ...Initiated */
  int64_t started_event_id; /* ActivityTaskStarted / ChildWorkflowExecutionStarted */
  char *id;                 /* timer id / activity id / patch id / child workflow id (owned) */
  char *type;               /* activity type / child workflow type (owned) */
  char *ns;                 /* children: namespace (owned), or NULL */
  char *run_id;             /* children: run id once started (owned), or NULL */
  int seen;                 /* children: ChildWorkflowExecutionCanceled applied */
  uint32_t attempt;         /* local activities: the attempt scheduled */
  int64_t sched_s;          /* local activities: original_schedule_time */
  int32_t sched_n;
  wf_blob la_req;           /* local activities scheduled while replaying: the
                               request to run it should replay catch up first */
  wf_blob md;               /* local activities: the command's user_metadata
                               (serialized temporal.api.sdk.v1.UserMetadata), for
                               the marker command; empty when none */
} wf_machine;

/* Core internal flags this engine implements (PHASE2.md). */
enum {
  WF_FLAG_ID_AND_TYPE_CHECKS = 1,
  WF_FLAG_UPSERT_SA_ON_PATCH = 2,
  WF_FLAG_MOVE_TERMINAL_COMMANDS = 3
};

/* A patch id seen in a look-ahead (created 0) or that made its command
 * (created 1). */
typedef struct wf_patch_seen {
  char *id; /* owned */
  int created;
} wf_patch_seen;
#define WF_PATCH_ID_MAX 4096 /* bytes of a patch id, NUL included */

/* An update request not yet made into an update (update.c): from a
 * protocol message (processable after event seq_event_id) or an
 * UpdateAdmitted event. */
typedef struct wf_in_msg {
  char *msg_id;      /* owned */
  char *instance_id; /* owned */
  int64_t seq_event_id;
  wf_blob request; /* serialized temporal.api.update.v1.Request */
} wf_in_msg;

/* One update of the run (update.c). */
typedef struct wf_update {
  char *instance_id, *msg_id, *update_id, *identity; /* owned */
  int64_t seq_event_id;
  int state;
  wf_blob request; /* serialized temporal.api.update.v1.Request */
} wf_update;

typedef struct wf_query {
  char *id;
  wf_blob job; /* serialized WorkflowActivationJob (query_workflow) */
} wf_query;

typedef struct wf_query_result {
  char *id;
  wf_blob result; /* serialized temporal.api.query.v1.WorkflowQueryResult */
} wf_query_result;

enum {
  WF_ACT_NONE = 0,   /* no activation outstanding */
  WF_ACT_NORMAL = 1, /* jobs of a workflow task */
  WF_ACT_QUERY = 2   /* queries only */
};

struct tcore_wf_engine {
  char *namespace_, *task_queue, *workflow_id, *run_id, *workflow_type;
  char *sdk_name, *sdk_version;

  /* history */
  Temporal__Api__History__V1__History **pages;
  size_t n_pages, cap_pages;
  wf_event **ev;
  size_t n_ev, cap_ev;
  size_t cursor;        /* index of the next event to apply */
  size_t seq_from;      /* index where the next logical task's events start */
  int64_t last_applied_id;
  int history_complete; /* the last add_history said complete */

  /* the workflow task being worked on */
  int in_task;       /* a WFT's events are applied and its activations not all done */
  int task_replaying;
  int task_done;     /* TCORE_WF_TASK_DONE given; take_response next */
  int64_t task_started_id;
  int64_t task_time_s;
  int32_t task_time_n;
  int has_task_time;
  uint64_t history_size_bytes;
  int can_suggested;
  int outstanding; /* WF_ACT_* */

  /* pending activation jobs */
  wf_pending_job *jobs;
  size_t n_jobs, cap_jobs;

  /* commands produced, not yet matched by history */
  wf_cmd *cmds;
  size_t n_cmds, cap_cmds;
  int terminal_queued; /* a terminal command is in cmds */
  int terminal_sent;   /* ...and went out in a response */

  wf_machine *machines;
  size_t n_machines, cap_machines;

  /* patches (patch.c) */
  wf_patch_seen *patches;
  size_t n_patches, cap_patches;
  int64_t skip_event_id; /* a command event to skip (the upsert of a skipped patch marker) */

  /* internal flags */
  uint64_t core_hist;  /* core flags seen in history (bit n = flag n, n < 64) */
  uint64_t core_new;   /* used since the last response, not yet recorded */
  uint64_t lang_hist;
  uint64_t lang_new;
  char *last_sdk_name, *last_sdk_version; /* as last recorded in history */

  /* queries of the current task */
  wf_query *queries;
  size_t n_queries;
  int queries_delivered;
  int legacy_query; /* the queries are one legacy query (RespondQueryTaskCompleted) */
  int applying_replayed; /* apply_range is applying a task that is replayed */
  wf_query_result *qresults;
  size_t n_qresults;

  /* updates (update.c) */
  wf_in_msg *in_msgs; /* requests of the task's protocol messages, not yet processed */
  size_t n_in_msgs;
  wf_in_msg *admitted; /* UpdateAdmitted requests seen while replaying */
  size_t n_admitted;
  wf_update *updates;
  size_t n_updates;
  wf_blob *out_msgs; /* serialized protocol.v1.Message for the task response */
  size_t n_out_msgs;

  /* local activities to run or cancel (la.c): serialized
   * coresdk.workflow_commands.WorkflowCommand, taken by the run manager */
  wf_blob *la_out;
  size_t n_la_out, cap_la_out;

  int64_t wft_timeout_ms; /* the run's workflow task timeout (started event), 0: unknown */

  int finished; /* a terminal event was applied */
  /* failure of the task (after NONDETERMINISM / ACTIVATION_FAILED) */
  int failed;
  int fail_cause; /* Temporal__Api__Enums__V1__WorkflowTaskFailedCause */
  wf_blob fail_failure; /* serialized temporal.api.failure.v1.Failure */
  char fail_message[512];
};

typedef struct tcore_wf_engine wf_engine;

/* ---- engine services for the machines (engine.c) ---- */
/* Queues a job for the next activation (packs it). 0 or TCORE_ERR_NOMEM. */
int wf_push_job(wf_engine *e, int order, const wf_job_msg *job);
/* Appends a command to the queue (packs it; copies id and kind). */
int wf_push_cmd(wf_engine *e, const wf_api_cmd *c, int machine, const char *id,
                const char *kind);
/* Drops the queued command of a machine (cancelled before it was sent):
 * 1 if one was dropped. */
int wf_drop_cmd_of(wf_engine *e, int machine);
wf_machine *wf_find_machine(wf_engine *e, int kind, uint32_t seq);
int wf_new_machine(wf_engine *e, int kind, uint32_t seq); /* index or <0 */
int wf_find_machine_by_event(wf_engine *e, int kind, int64_t initial_event_id);
/* Flag `flag` may be used: when not replaying it is recorded for the
 * response, when replaying it must be in history. */
int wf_try_flag(wf_engine *e, int flag);
/* Sets a non-determinism failure (printf-style message); returns
 * TCORE_WF_NONDETERMINISM. */
int wf_nondeterminism(wf_engine *e, tcore_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *wf_event_type_name(int t);
/* Whether events of type t record a command (they follow WorkflowTaskCompleted). */
int wf_is_command_event(int t);
const char *wf_command_type_name(int t);

/* ---- machines: handlers. Return 0, a TCORE_WF_* code or an error. ---- */
/* workflow.c: run start, terminal commands and events, random seed */
uint64_t wf_randomness_seed(const char *run_id);
int wf_workflow_started(wf_engine *e, const wf_event *ev);
int wf_workflow_task_failed(wf_engine *e, const wf_event *ev);
int wf_workflow_terminal_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err);
int wf_is_terminal_lang_cmd(const wf_lang_cmd *c);
/* timer.c */
int wf_timer_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err);
int wf_timer_event(wf_engine *e, const wf_event *ev, wf_cmd *matched, tcore_error *err);
/* activity.c */
int wf_activity_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err);
int wf_activity_event(wf_engine *e, const wf_event *ev, wf_cmd *matched, tcore_error *err);
/* Sets m->id (activity_id, or the seq when empty) and m->type (copies).
 * 0 or TCORE_ERR_NOMEM. */
int wf_activity_names(wf_machine *m, const char *activity_id, const char *activity_type);
/* A failure with ActivityFailureInfo of machine m (type, id), in the arena;
 * identity may be NULL. NULL when out of memory. */
Temporal__Api__Failure__V1__Failure *wf_activity_failure(
    wf_arena *a, const wf_machine *m, const char *message, Temporal__Api__Failure__V1__Failure *cause,
    const char *identity, int retry_state, int64_t started_event_id);
/* child.c: start_child_workflow_execution / cancel_child_workflow_execution
 * commands, StartChildWorkflowExecutionInitiated and the child's events */
int wf_child_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err);
int wf_child_event(wf_engine *e, const wf_event *ev, wf_cmd *matched, tcore_error *err);
/* external.c: signal_external_workflow_execution / cancel_signal_workflow /
 * request_cancel_external_workflow_execution commands and their events */
int wf_external_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err);
int wf_external_event(wf_engine *e, const wf_event *ev, wf_cmd *matched, tcore_error *err);
/* Queues the engine's own RequestCancelExternalWorkflowExecution for a
 * child (child_workflow_only), whose resolution no one is told about. */
int wf_cancel_child_external(wf_engine *e, wf_arena *a, const char *ns, const char *workflow_id,
                             const char *run_id, const char *reason,
                             Temporal__Api__Sdk__V1__UserMetadata *md);
/* signal.c: signals, cancel requests, upsert search attributes, memo */
int wf_signal_event(wf_engine *e, const wf_event *ev);
int wf_cancel_requested_event(wf_engine *e, const wf_event *ev);
int wf_properties_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err);
/* patch.c */
int wf_patch_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err);
/* Notify jobs for the patch markers among events [from, to). */
int wf_patch_lookahead(wf_engine *e, size_t from, size_t to);
/* Before a command event is matched: WF_PATCH_NORMAL (match it),
 * WF_PATCH_SKIP_EVENT (ignore the event), WF_PATCH_SKIP_COMMAND (the front
 * command was dropped: try again), or a TCORE_WF_NONDETERMINISM error. */
enum { WF_PATCH_NORMAL = 0, WF_PATCH_SKIP_EVENT = -1000, WF_PATCH_SKIP_COMMAND = -1001 };
int wf_patch_pre_match(wf_engine *e, const wf_event *ev, tcore_error *err);
/* A MarkerRecorded event matched with a RecordMarker command. */
int wf_patch_event(wf_engine *e, const wf_event *ev, wf_cmd *matched, tcore_error *err);
/* 1 with id (NUL terminated, cap bytes) and *deprecated set when `ev` is a
 * patch marker whose details decode, else 0. */
int wf_patch_marker_details(const wf_event *ev, char *id, size_t cap, int *deprecated);
/* Whether search attributes hold TemporalChangeVersion. */
int wf_is_version_upsert(const Temporal__Api__Common__V1__SearchAttributes *sa);
/* JSON pieces (patch.c), for marker details: a string after its opening
 * quote (unescaped into out, NUL terminated, at most cap-1 bytes; out NULL:
 * skipped), whitespace, any one value. 0 or -1; *p moves past what was read. */
int wf_json_string(const uint8_t **p, const uint8_t *end, char *out, size_t cap);
void wf_json_ws(const uint8_t **p, const uint8_t *end);
int wf_json_skip(const uint8_t **p, const uint8_t *end);
/* A growing string (free buf after use; oom set when a put failed). */
typedef struct wf_sbuf {
  char *buf;
  size_t len, cap;
  int oom;
} wf_sbuf;
void wf_sb_put(wf_sbuf *b, const char *s, size_t n);
/* A JSON string as serde_json writes it (", \ and controls escaped). */
void wf_sb_json_string(wf_sbuf *b, const char *s);
/* A json/plain payload of `json` (metadata "type" too when not NULL), in the arena. */
Temporal__Api__Common__V1__Payload *wf_json_payload(wf_arena *a, const char *json, size_t len,
                                                    const char *type);
/* A MarkerRecorded event's attributes when its marker is `name`, else NULL. */
const Temporal__Api__History__V1__MarkerRecordedEventAttributes *wf_marker_attrs(
    const wf_event *ev, const char *name);
/* The Payloads under `key` in a marker's details, or NULL. */
const Temporal__Api__Common__V1__Payloads *wf_marker_details_entry(
    const Temporal__Api__History__V1__MarkerRecordedEventAttributes *a, const char *key);
/* la.c: schedule_local_activity / request_cancel_local_activity commands,
 * "core_local_activity" markers, resolutions from the run manager */
int wf_la_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err);
/* Before a command event is matched: 1 when `ev` is a local-activity marker
 * (handled: *rc set), else 0. */
int wf_la_marker_event(wf_engine *e, const wf_event *ev, int *rc, tcore_error *err);
/* Local activities waiting to run in a non-replayed task (1/0). */
int wf_la_running(const wf_engine *e);
/* End of a replayed task's command events: a local activity still waiting
 * for its marker that history never records (the run ends without it) is a
 * non-determinism error. */
int wf_la_replay_task_end(wf_engine *e, tcore_error *err);
/* Replay has caught up (the current task): local activities whose marker
 * never came run now. 0 or TCORE_ERR_NOMEM. */
int wf_la_catch_up(wf_engine *e);
void wf_la_out_clear(wf_engine *e);
/* 1 with the seq, activity id and type (cap bytes each) when `ev` is a
 * local-activity marker whose data reads, else 0 (for tests). */
int wf_test_la_marker(const wf_event *ev, uint32_t *seq, char *id, char *type, size_t cap);
/* query.c */
int wf_queries_add(wf_engine *e, const uint8_t *buf, size_t len, tcore_error *err);
int wf_query_result_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err);
void wf_queries_clear(wf_engine *e);
/* Every delivered query not answered yet gets a FAILED result. */
int wf_queries_fail(wf_engine *e, Temporal__Api__Failure__V1__Failure *failure);
int wf_take_query_response(wf_engine *e, uint8_t **out, size_t *out_len, tcore_error *err);

/* update.c */
/* The task's protocol messages (update requests), kept until the task's
 * events are applied. */
int wf_update_messages_add(wf_engine *e, size_t n, Temporal__Api__Protocol__V1__Message **msgs,
                           tcore_error *err);
/* Makes updates (do_update jobs) of the kept requests sequenced at or before
 * `after_event_id` (all of them if `all`). */
int wf_update_process_messages(wf_engine *e, int64_t after_event_id, int all, int replaying);
/* A WorkflowExecutionUpdateAdmitted event. */
int wf_update_admitted(wf_engine *e, const wf_event *ev, int replaying, tcore_error *err);
/* Replay: do_update jobs for the UpdateAccepted events among events [from, to). */
int wf_update_lookahead(wf_engine *e, size_t from, size_t to);
int wf_update_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err);
/* An UpdateAccepted / UpdateCompleted event matched with a PROTOCOL_MESSAGE command. */
int wf_update_event(wf_engine *e, const wf_event *ev, wf_cmd *matched, tcore_error *err);
void wf_updates_clear(wf_engine *e);
void wf_out_msgs_clear(wf_engine *e);

/* helpers shared by machines */
int wf_set_err(tcore_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
char *wf_xstrdup(const char *s); /* malloc; NULL -> "" copy */
/* A map<string, Payload> entry array copied to another entry type of the
 * same layout (protobuf-c map entries: base, key, value). */
void **wf_copy_map(wf_arena *a, const ProtobufCMessageDescriptor *to, void *const *from, size_t n);
#endif
