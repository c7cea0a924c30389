/* worker.h: the activity worker's internals, shared by activity_worker.c,
 * heartbeat.c and worker_shutdown.c; not part of the public API.
 *
 * Locking: one mutex per worker (`mu`) guards every field marked (mu) and
 * every activity's state. Lock order: worker -> client -> runtime timers.
 * User callbacks run without `mu`.
 *
 * Lifetime: `holds` counts everything that may still touch the worker
 * (polls in flight, activities alive, armed worker timers). Shutdown
 * finishes only at zero holds. `refs` counts owners of the memory: the user
 * (until tcore_worker_free) and the life cycle (until the shutdown callback
 * returned).
 */
#ifndef TCORE_WORKER_H
#define TCORE_WORKER_H

#include <protobuf-c/protobuf-c.h>

#include "client.h"
#include "temporal/api/common/v1/message.pb-c.h"
#include "temporal/api/failure/v1/message.pb-c.h"
#include "wf_engine.h"

/* A timer of the worker. `armed` (mu) says whether the timer holds its
 * reference; it is cleared by the fire handler under `mu`. */
typedef struct wtimer {
  tcore_timer t;
  int armed;
} wtimer;

/* One running (or completing) activity task, keyed by its token. */
typedef struct act {
  struct act *hnext; /* bucket chain (mu) */
  struct tcore_worker *w;
  uint8_t *token;
  size_t token_len;
  uint64_t hash;
  int refs;      /* table, heartbeat call, throttle timer, Respond call, deliveries */
  int in_table;  /* running: in the table, holding a slot */
  int delivered; /* its TASK event has returned */
  const char *cancel_reason; /* a cancel waiting for `delivered` */
  int cancel_sent;
  /* heartbeats */
  int64_t throttle_ms, last_hb_ms;
  int hb_in_flight;
  wtimer throttle;
  uint8_t *pending;
  size_t pending_len;
  int has_pending;
  int not_found; /* a heartbeat got NOT_FOUND: report nothing */
  /* completion */
  int completed, kind, respond_sent;
  uint8_t *result;
  size_t result_len;
  size_t completed_len; /* bytes of the COMPLETED result (for the size error) */
  int too_large;        /* the result was refused as too large: FAILED sent instead */
  /* local deadlines (monotonic ms; 0: none). The timer fires at the earliest
   * of close_deadline_ms and last heartbeat + hb_timeout_ms, plus the
   * worker's buffer; then CANCEL "timed_out" and the completion is dropped. */
  int64_t hb_timeout_ms, close_deadline_ms, last_beat_ms;
  wtimer timeout;
  int timed_out;
  /* calls in flight, cancelled when shutdown's drain wait is over (mu) */
  tcore_call *hb_call, *respond_call;
  struct act *lnext, *lprev; /* every live activity (mu) */
} act;

struct tcore_task_source;
typedef struct poll_slot {
  struct tcore_task_source *src;
  tcore_call *call;
  int busy;
  int64_t started_ms;
} poll_slot;

/* Slots shared by the sources of one kind (mu): tasks running (`*running`)
 * plus polls in flight never exceed `max`. */
typedef struct tcore_slots {
  int *running;
  int max;
  int polls;
} tcore_slots;

/* A task source: one queue the worker long-polls (poller.c). Its hooks run
 * on runtime threads. */
typedef struct tcore_task_source {
  struct tcore_worker *w;
  const char *what;   /* "activity tasks", for messages */
  const char *method; /* the poll's full method name */
  uint8_t *req;       /* the poll request (owned) */
  size_t req_len;
  int enabled;
  int max_polls, in_flight; /* (mu) */
  poll_slot *polls;
  tcore_slots *slots;
  double local_rate;    /* polls per second, 0: no limit */
  int64_t next_poll_ms; /* (mu) */
  wtimer rate;
  /* A poll's OK response (mu): takes a slot and sets *task (NULL: no task).
   * Returns 0 when the bytes did not parse (*warning says so: a failure);
   * *warning (a static string) may be set either way. */
  int (*take_locked)(struct tcore_task_source *s, const tcore_call_result *r, void **task,
                     const char **warning);
  /* Hands a taken task on (without mu). */
  void (*deliver)(struct tcore_task_source *s, void *task, const tcore_call_result *r);
  /* After deliver (mu); may be NULL. */
  void (*done_locked)(struct tcore_task_source *s, void *task);
  /* Whether shutdown need not wait for this source (mu); NULL: always. */
  int (*idle_locked)(struct tcore_task_source *s);
} tcore_task_source;

/* The engine functions (wf_engine.h), as a table so tests can give the run
 * manager a stand-in engine. */
typedef struct tcore_wf_engine_ops {
  tcore_wf_engine *(*new_engine)(const tcore_wf_engine_config *cfg);
  void (*free_engine)(tcore_wf_engine *e);
  int (*add_history)(tcore_wf_engine *e, const uint8_t *history, size_t len, int complete,
                     tcore_error *err);
  int (*add_queries)(tcore_wf_engine *e, const uint8_t *poll_response, size_t len,
                     tcore_error *err);
  int (*next_activation)(tcore_wf_engine *e, uint8_t **out, size_t *out_len, tcore_error *err);
  int (*complete)(tcore_wf_engine *e, const uint8_t *completion, size_t len, tcore_error *err);
  int (*take_response)(tcore_wf_engine *e, uint8_t **out, size_t *out_len, tcore_error *err);
  int (*take_query_response)(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                             tcore_error *err);
  int (*failure)(tcore_wf_engine *e, uint8_t **out, size_t *out_len, tcore_error *err);
  /* NULL: not supported (the run is evicted instead). */
  int (*discard_task)(tcore_wf_engine *e, int64_t reset_to_started_id, tcore_error *err);
  /* local activities; NULL in an engine without them */
  int (*take_local_activity)(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                             tcore_error *err);
  int (*resolve_local_activity)(tcore_wf_engine *e, const tcore_wf_la_outcome *o,
                                tcore_error *err);
  int (*heartbeat)(tcore_wf_engine *e, uint8_t **out, size_t *out_len, tcore_error *err);
} tcore_wf_engine_ops;

struct wf_run;

enum {
  PHASE_NEW,
  PHASE_RUNNING,
  PHASE_GRACE,      /* shutdown asked: running tasks may finish */
  PHASE_CANCELLING, /* cancels delivered: waiting (bounded) for completions */
  PHASE_DRAIN,      /* waiting for polls, calls and timers to end */
  PHASE_FINAL,      /* ShutdownWorker (sent only now: it could not start before) in flight */
  PHASE_CALLBACK,   /* the shutdown callback is due */
  PHASE_DONE
};

struct tcore_worker {
  tcore_client *client; /* NULL for a replay worker */
  int replay;           /* a replay worker (tcore_replay_worker_new): histories pushed in,
                         * responses reported as events, no calls */
  tcore_runtime *rt;
  pthread_mutex_t mu;
  /* configuration (immutable after new) */
  char *ns, *task_queue, *identity, *instance_key;
  int own_ns; /* ns is not the client's: calls carry their own namespace header */
  int max_slots;
  int64_t grace_ms, cancel_wait_ms, timeout_buffer_ms;
  /* (mu) */
  tcore_worker_event_cb event_cb;
  void *event_user;
  int refs, holds;
  int phase;
  int running, polls_in_flight; /* activities running; polls of every source */
  tcore_task_source act_src, wf_src, sticky_src;
  tcore_slots act_slots, wf_slots;
  int poll_failures; /* in a row, any source; a healthy poll resets it */
  wtimer backoff, shutdown_timer;
  int fatal;            /* polling stopped for good */
  char *fatal_message;  /* not yet delivered */
  int fatal_status;     /* its gRPC status (0: not a call's, e.g. the client closed) */
  uint8_t *fatal_details;
  size_t fatal_details_len;
  act *live;            /* every activity not yet freed */
  int draining_calls;   /* DRAIN's wait is over: calls in flight were cancelled */
  int64_t deadline_ms;  /* of the grace or cancel-wait phase */
  int started;
  int sw_state;   /* ShutdownWorker: 0 not sent, 1 in flight (holds a hold), 2 over */
  int finish_due; /* the shutdown callback is due once `mu` is dropped */
  tcore_worker_shutdown_cb shutdown_cb;
  void *shutdown_user;
  act **buckets;
  size_t nbuckets; /* a power of two */
  /* workflows (wf_worker.c); configuration immutable after new */
  int wf_enabled;
  int max_cached;       /* runs kept between tasks; 0: none */
  int nd_fail_all;      /* nondeterminism fails the workflow, for every type */
  char **nd_fail_types; /* ... for these workflow types (owned) */
  size_t n_nd_fail_types;
  int64_t sticky_s2s_ms; /* sticky schedule-to-start */
  char *sticky_queue;   /* NULL without a cache */
  const tcore_wf_engine_ops *wf_ops;
  int wf_running;       /* workflow tasks holding a slot (mu) */
  struct wf_run *runs;  /* every run, most recently used first (mu) */
  int n_runs;           /* (mu) */
  /* The run manager's thread (wf_worker.c): it drives the runs queued in
   * wf_ready, in order, waiting on wf_cv when there are none. Started by
   * tcore_worker_start, stopped and joined by worker_destroy. */
  pthread_t wf_thread;
  pid_t wf_thread_pid;           /* the process it runs in (fork: never joined elsewhere) */
  int wf_thread_started, wf_cv_init;
  pthread_cond_t wf_cv;          /* (mu) */
  struct wf_run *wf_ready, *wf_ready_tail; /* (mu) */
  int wf_stop;                   /* (mu) */
  struct tcore_la *las;          /* local activities alive (la_worker.c) (mu) */
  struct la_cancel *la_cancels;  /* CANCELs of ended ones, not yet delivered (mu) */
  uint64_t la_next_id;           /* (mu) */
  int la_delivering;             /* LOCAL_ACTIVITY events being delivered (mu) */
};

/* ---- activity_worker.c ---- */

/* What the worker takes from a PollActivityTaskQueue response. `token`
 * points into `msg` (the unpacked response, which the caller may read for
 * more) and lives until tcore_activity_task_clear. */
struct Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse;
typedef struct tcore_activity_task {
  struct Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *msg;
  const uint8_t *token;
  size_t token_len;             /* 0: the poll brought no task */
  int64_t heartbeat_timeout_ms; /* 0: none; saturated, never overflows */
} tcore_activity_task;
/* Decodes a PollActivityTaskQueue response (any bytes, `data` NULL only
 * with `len` 0). TCORE_OK; TCORE_ERR_INVALID_ARGUMENT if the bytes do not
 * parse (then `*t` holds nothing). Any thread, no lock. */
int tcore_activity_task_decode(const uint8_t *data, size_t len, tcore_activity_task *t);
/* Frees what a successful decode holds; `*t` is zeroed (idempotent). */
void tcore_activity_task_clear(tcore_activity_task *t);

/* How many more polls may start: never more than free slots, never more
 * than max_polls in flight. */
int tcore_worker_polls_wanted(int running, int in_flight, int max_slots, int max_polls);
/* ---- poller.c ---- */

/* Sets a source up; takes `req` (freed by tcore_source_free). */
int tcore_source_init(tcore_task_source *s, tcore_worker *w, const char *what,
                      const char *method, uint8_t *req, size_t req_len, int max_polls,
                      tcore_slots *slots);
void tcore_source_free(tcore_task_source *s);
/* Starts the polls that are allowed now, source by source (mu). */
void tcore_worker_pump_locked(tcore_worker *w);
/* Cancels the polls in flight and the poll timers (shutdown). (mu) */
void tcore_worker_stop_polls_locked(tcore_worker *w);
/* No poll in flight and every source idle. (mu) */
int tcore_worker_idle_locked(tcore_worker *w);
void tcore_worker_backoff_fired(tcore_timer *t);

/* ---- activity_worker.c ---- */
/* Delivers an event unless deliveries are off. Without `mu`. */
void tcore_worker_emit(tcore_worker *w, int kind, const act *a, const uint8_t *task,
                       size_t task_len, const char *message);
/* Unlocks `mu`; when shutdown just finished, then runs the shutdown
 * callback and drops the life-cycle reference. The last thing a path may do
 * with `w`. */
void tcore_worker_unlock(tcore_worker *w);
/* Drops a memory reference; the last frees the worker. Without `mu`. */
void tcore_worker_unref(tcore_worker *w);
act *tcore_act_find_locked(tcore_worker *w, const uint8_t *token, size_t len);
void tcore_act_remove_locked(tcore_worker *w, act *a);
/* Drops an activity reference; the last frees it and drops its hold on the
 * worker (the caller then runs tcore_worker_step_locked). (mu) */
void tcore_act_unref_locked(act *a);
/* Every call of the worker goes through here: in a namespace of its own it
 * adds that namespace's header. timeout_ms 0: the default. total_ms > 0:
 * the whole call is bounded by it and retryable failures are retried until
 * then (past the client's policy). */
int tcore_worker_call(tcore_worker *w, const char *method, const uint8_t *req, size_t len,
                      int64_t timeout_ms, int no_retry, int64_t total_ms, tcore_call_cb cb,
                      void *user, tcore_call **out, tcore_error *err);
/* Starts a call with a request of `msg` plus, when `extra_len` > 0, field 2
 * holding `extra` (an already serialized message); total_ms as for
 * tcore_worker_call; `out` (may be NULL) receives the call's handle. (mu) */
int tcore_worker_send(tcore_worker *w, const char *method, const ProtobufCMessage *msg,
                      const uint8_t *extra, size_t extra_len, int64_t total_ms,
                      tcore_call_cb cb, void *user, tcore_call **out);
/* How long a Respond* call of `a` may retry: until its local timeout would
 * fire (at least 1 s); 0 (the client's policy) when it has no deadline. (mu) */
int64_t tcore_act_respond_total_ms(const act *a);
/* (Re)arms the local timeout of a running activity. (mu) */
void tcore_act_arm_timeout_locked(act *a);
/* Cancels the calls in flight of every activity (shutdown's drain wait is
 * over). (mu) */
void tcore_worker_cancel_calls_locked(tcore_worker *w);
/* Arms a worker timer; takes `*refs` + 1 the first time. (mu) */
void tcore_wtimer_arm_locked(tcore_worker *w, wtimer *t, int *refs, int64_t delay_ms);
/* Disarms a timer; returns 1 (and drops `*refs`) if it will not fire. (mu) */
int tcore_wtimer_cancel_locked(tcore_worker *w, wtimer *t, int *refs);

/* Whether a poll failing with `status` is retried (else polling ends). */
int tcore_poll_failure_heals(int status);
/* The poll backoff after `failures` failures in a row (without jitter). */
int64_t tcore_poll_backoff_ms(int failures, int status);
/* A task's close deadline (monotonic ms, 0: none): the earliest of arrival +
 * start-to-close and scheduled time + schedule-to-close (0 durations: unset). */
int64_t tcore_act_close_deadline_ms(int64_t now_ms, int64_t now_wall_ms,
                                    int64_t start_to_close_ms, int64_t scheduled_wall_ms,
                                    int64_t schedule_to_close_ms);

/* ---- wf_worker.c ---- */

/* Sets the workflow sources up (wf_enabled). TCORE_OK or TCORE_ERR_NOMEM. */
int tcore_wf_init(tcore_worker *w, int max_polls, int max_tasks);
/* Stops and joins the run manager's thread (never from it), frees the
 * rest. Without `mu`. */
void tcore_wf_destroy(tcore_worker *w);
/* Starts the run manager's thread (wf_enabled). TCORE_OK or
 * TCORE_ERR_INTERNAL. (mu) */
int tcore_wf_start_locked(tcore_worker *w);
/* Shutdown: asks every run to be evicted. (mu) */
void tcore_wf_evict_all_locked(tcore_worker *w);
/* Shutdown's wait is over: gives up on the runs left. (mu) */
void tcore_wf_abandon_locked(tcore_worker *w);
/* Cancels the runs' calls in flight. (mu) */
void tcore_wf_cancel_calls_locked(tcore_worker *w);
/* Test hook: the engine the run manager uses (the default is the real one,
 * core/src/wf/). */
int tcore_worker_options_set_wf_engine_ops(tcore_worker_options *o,
                                           const tcore_wf_engine_ops *ops);
/* The real engine's functions (core/src/wf/, always built in). */
const tcore_wf_engine_ops *tcore_wf_default_ops(void);

/* Decoding what the server sends for workflow tasks. Pure: no lock, no
 * I/O, any thread. The run manager and the fuzz target
 * fuzz_wf_poll_response both call these. */
struct Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse;
typedef struct Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse tcore_wf_poll_resp;

/* Decodes a PollWorkflowTaskQueue response, or an eager workflow task from
 * a workflow start (any bytes; `data` NULL only with `len` 0). TCORE_OK:
 * *out is a task with a task token and a non-empty run id; the caller
 * frees it (..._poll_workflow_task_queue_response__free_unpacked).
 * TCORE_ERR_NOT_FOUND: no task to run: an empty poll (no task token; *why
 * NULL), or a task without a run id (dropped; *why says so).
 * TCORE_ERR_INVALID_ARGUMENT: the bytes do not parse (*why says so).
 * *out is NULL unless TCORE_OK; *why, when set, is a static string. */
int tcore_wf_task_decode(const uint8_t *data, size_t len, tcore_wf_poll_resp **out,
                         const char **why);

/* A page of a run's history for the engine (tcore_wf_engine_add_history),
 * and where the next one comes from. */
typedef struct tcore_wf_page {
  uint8_t *history; /* a serialized History (owned) */
  size_t history_len;
  int complete;        /* the last page: no token */
  uint8_t *next_token; /* the next page's token (owned); NULL when complete */
  size_t next_token_len;
} tcore_wf_page;
/* Frees what `p` holds; zeroes it (idempotent). */
void tcore_wf_page_clear(tcore_wf_page *p);

/* The first page of task `m`'s history (its events and next_page_token).
 * `cached`: the run's engine already has the history before this task.
 * TCORE_OK: *p is the page. TCORE_ERR_NOT_FOUND: the page is no use: the
 * run is not cached and the task's history does not start at event 1 (a
 * sticky task for a run evicted since, or a partial history), so the whole
 * history is to be fetched (GetWorkflowExecutionHistory without a token).
 * TCORE_ERR_NOMEM. *p is zeroed unless TCORE_OK. */
int tcore_wf_task_first_page(const tcore_wf_poll_resp *m, int cached, tcore_wf_page *p);

/* A GetWorkflowExecutionHistory response as a page (any bytes; `data` NULL
 * only with `len` 0; a response without a history is an empty page).
 * TCORE_OK; TCORE_ERR_INVALID_ARGUMENT (the bytes do not parse);
 * TCORE_ERR_NOMEM. *p is zeroed unless TCORE_OK. */
int tcore_wf_history_page_decode(const uint8_t *data, size_t len, tcore_wf_page *p);

/* What of task `m` goes to tcore_wf_engine_add_queries once its history is
 * complete: a PollWorkflowTaskQueueResponse with only its legacy query, its
 * queries and its protocol messages (updates), in *out (the caller frees
 * it). TCORE_OK with *out NULL when the task has none of them;
 * TCORE_ERR_NOMEM. */
int tcore_wf_task_queries(const tcore_wf_poll_resp *m, uint8_t **out, size_t *out_len);

/* The workflow task a replay worker makes of a pushed history
 * (tcore_worker_replay_history; any bytes, `history` NULL only with `len`
 * 0): a serialized PollWorkflowTaskQueueResponse holding the whole history,
 * the run id (the started event's original_execution_run_id) as its task
 * token and run id, `workflow_id` (NULL: ""), the workflow type, attempt 1;
 * it then goes through tcore_wf_task_decode as a polled task does. Pure.
 * TCORE_OK (*out malloc'd, the caller frees it); TCORE_ERR_INVALID_ARGUMENT
 * (bytes that do not parse, a first event that is not WorkflowExecutionStarted
 * with id 1, no run id: `err` says which), TCORE_ERR_NOMEM; *out is NULL
 * unless TCORE_OK. */
int tcore_wf_replay_task(const char *workflow_id, const uint8_t *history, size_t len,
                         uint8_t **out, size_t *out_len, tcore_error *err);
/* Run references and local-activity outcomes, for la_worker.c. (mu) */
void tcore_wf_run_ref_locked(struct wf_run *run);
void tcore_wf_run_unref_locked(struct wf_run *run);
/* Queues an outcome for the run's engine (tcore_wf_engine_resolve_local_activity
 * on the run manager's thread) and kicks the run; takes `result`. */
void tcore_wf_la_done_locked(struct wf_run *run, uint32_t seq, uint8_t *result, size_t len,
                             uint32_t attempt, int64_t complete_time_ns, int64_t backoff_ns);

/* ---- la_worker.c ---- */
typedef struct tcore_la tcore_la;
/* A request of a run's engine (a serialized WorkflowCommand:
 * schedule_local_activity or request_cancel_local_activity): a new local
 * activity due for delivery, or a cancel of one. TCORE_OK,
 * TCORE_ERR_INVALID_ARGUMENT, TCORE_ERR_NOMEM. (mu) */
int tcore_la_request_locked(tcore_worker *w, struct wf_run *run, const char *ns,
                            const char *workflow_id, const char *run_id,
                            const char *workflow_type, const uint8_t *req, size_t len);
/* Delivers the local-activity events due (LOCAL_ACTIVITY, CANCEL). Without `mu`. */
void tcore_la_flush(tcore_worker *w);
/* Whether a token is a local activity's. */
int tcore_la_is_token(const uint8_t *token, size_t len);
/* tcore_worker_complete for a local activity's token (16 bytes). Without `mu`.
 * Delivers nothing itself: events due go from the run manager's thread. */
int tcore_la_complete(tcore_worker *w, const uint8_t *token, int kind, const uint8_t *data,
                      size_t len);
/* Shutdown: CANCEL "worker_shutdown" for every attempt running (due for
 * delivery); one waiting to retry ends with its last failure. (mu) */
void tcore_la_cancel_all_locked(tcore_worker *w);
/* Whether events are due for delivery. (mu) */
int tcore_la_due_locked(tcore_worker *w);
/* Shutdown's wait is over: drops every local activity (their late
 * completions are NOT_FOUND). (mu) */
void tcore_la_abandon_all_locked(tcore_worker *w);
/* Frees the CANCELs not delivered (the worker is destroyed). */
void tcore_la_free_cancels(tcore_worker *w);
/* The retry policy's backoff before the attempt after `attempt` (ms), or -1
 * when no attempt is left (maximum_attempts). Pure. */
int64_t tcore_la_backoff_ms(const Temporal__Api__Common__V1__RetryPolicy *rp, uint32_t attempt,
                            const Temporal__Api__Failure__V1__Failure *f);

/* ---- heartbeat.c ---- */

/* Whether a Respond* failure means the result is too large for the server. */
int tcore_result_too_large(int status, const char *message);

/* The cancel a RecordActivityTaskHeartbeat response (OK status; any bytes,
 * `data` NULL only with `len` 0) asks for: "cancel_requested", "reset",
 * "paused" (a static string), or NULL for none or bytes that do not parse.
 * Any thread, no lock. */
const char *tcore_heartbeat_cancel_reason(const uint8_t *data, size_t len);

/* Moves an activity on: sends due heartbeats, arms the throttle, sends the
 * Respond call once the completion may go. (mu) */
void tcore_act_progress_locked(act *a);
void tcore_act_throttle_fired(tcore_timer *t);

/* ---- worker_shutdown.c ---- */

/* Moves shutdown along whatever the phase. Actions that run user code are
 * done only on a runtime thread (`rt_thread`); elsewhere the shutdown timer
 * is armed to do them. (mu); may drop and retake it while it delivers
 * cancels (the activities it delivers to keep the worker alive). */
void tcore_worker_step_locked(tcore_worker *w, int rt_thread);
/* Stops polling and enters the grace phase. (mu) */
void tcore_worker_begin_shutdown_locked(tcore_worker *w, tcore_worker_shutdown_cb cb, void *user);
void tcore_worker_shutdown_fired(tcore_timer *t);
/* ShutdownWorker calls answered so far in this process (for tests). */
extern int tcore_test_shutdown_worker_calls;

#endif
