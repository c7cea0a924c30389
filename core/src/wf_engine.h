/* wf_engine.h: one workflow run's engine: history events and language
 * completions in, activations and server commands out. Internal to the core
 * (the workflow worker's run manager is its one user); not public API.
 *
 * Pure: no locks, no I/O, no clock, no grpc. Everything crosses as
 * serialized protobuf bytes, so a run's whole input can be recorded, replayed
 * and fuzzed:
 *   in:  temporal.api.history.v1.History (pages of events, in order),
 *        coresdk.workflow_completion.WorkflowActivationCompletion,
 *        queries and protocol messages (update requests) of the current task;
 *   out: coresdk.workflow_activation.WorkflowActivation,
 *        the body of a RespondWorkflowTaskCompletedRequest (commands,
 *        sdk_metadata, query_results, messages), to which the caller appends
 *        task_token, identity, namespace, sticky attributes (protobuf merges
 *        concatenated messages).
 *
 * Threading: an engine is used by one thread at a time (the run manager
 * serializes a run's inputs); different engines are independent.
 *
 * Life of one workflow task (WFT), as the run manager drives it:
 *   1. tcore_wf_engine_add_history() with the task's events (the full history
 *      for a new or uncached run, only the new events on the sticky queue);
 *      `complete` = 0 while more pages are to come (next_page_token), then
 *      1 for the last page. tcore_wf_engine_add_queries() for the task's
 *      queries (or a legacy query) if any.
 *   2. while tcore_wf_engine_next_activation() gives an activation: hand it
 *      to the language, then tcore_wf_engine_complete() with its completion.
 *      Replayed WFTs produce activations too (is_replaying set); their
 *      commands are matched against the history's command events.
 *   3. when next_activation says TCORE_WF_TASK_DONE:
 *      tcore_wf_engine_take_response() gives the RespondWorkflowTaskCompleted
 *      body for this task (legacy query tasks: take_query_response instead).
 *   A completion that is a failure, or a non-determinism error, ends the task:
 *   the caller sends RespondWorkflowTaskFailed (tcore_wf_engine_failure says
 *   with which cause and failure) and evicts the run (frees the engine).
 *
 * Ownership: every `uint8_t **out` receives malloc'd bytes the caller frees
 * with free(). Input buffers are only read during the call.
 *
 * Return codes: TCORE_OK (0) or a negative tcore_errcode
 * (TCORE_ERR_INVALID_ARGUMENT for bytes that do not parse or a call out of
 * order, TCORE_ERR_NOMEM), or one of the positive codes below. `err` (may be
 * NULL) gets a message naming the problem.
 */
#ifndef TCORE_WF_ENGINE_H
#define TCORE_WF_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "temporal_core.h"

enum {
  /* next_activation: nothing for the language now; the task's work is done
   * and take_response may be called. */
  TCORE_WF_TASK_DONE = 1,
  /* next_activation: more history is needed (a page, or the next task). */
  TCORE_WF_NEED_HISTORY = 2,
  /* complete/add_history: the history does not match the commands the
   * workflow produced. The task fails with cause NON_DETERMINISTIC_ERROR;
   * `err` names the event id, the event type and the command expected. */
  TCORE_WF_NONDETERMINISM = 3,
  /* complete: the language failed the activation; the task fails (cause
   * WORKFLOW_WORKER_UNHANDLED_FAILURE) with the language's failure. */
  TCORE_WF_ACTIVATION_FAILED = 4,
  /* next_activation: the run has reached a terminal event in history (or
   * its terminal command was accepted): evict it after this task. */
  TCORE_WF_RUN_FINISHED = 5,
  /* next_activation: the task's work waits for local activities: take
   * their requests (tcore_wf_engine_take_local_activity), run them, and
   * give each outcome to tcore_wf_engine_resolve_local_activity; then call
   * next_activation again. */
  TCORE_WF_WAIT_LOCAL_ACTIVITIES = 6
};

typedef struct tcore_wf_engine tcore_wf_engine;

/* Identity of the run (copied). `workflow_id`, `run_id`, `workflow_type` as
 * the poll response gives them. */
typedef struct tcore_wf_engine_config {
  const char *namespace_;
  const char *task_queue;
  const char *workflow_id;
  const char *run_id;
  const char *workflow_type;
  /* Written to sdk_metadata of task responses when history's last recorded
   * value differs (as sdk-core does); NULL: TCORE_WF_SDK_NAME and the core's
   * version. (Added by the engine; zero-initialised configs keep working.) */
  const char *sdk_name;
  const char *sdk_version;
} tcore_wf_engine_config;

/* This SDK's name in sdk_metadata (the official Python SDK writes
 * "temporal-python"; this one says what it is). */
#define TCORE_WF_SDK_NAME "temporalio-c"

/* A new engine, or NULL when out of memory. */
tcore_wf_engine *tcore_wf_engine_new(const tcore_wf_engine_config *cfg);
void tcore_wf_engine_free(tcore_wf_engine *e);

/* Appends serialized temporal.api.history.v1.History events (ids must follow
 * on from what the engine has: a page or task starting at an id it already
 * has is deduplicated, a gap is TCORE_ERR_INVALID_ARGUMENT). `complete`: this
 * is the last page of the current task's history. */
int tcore_wf_engine_add_history(tcore_wf_engine *e, const uint8_t *history, size_t len,
                                int complete, tcore_error *err);

/* The current task's queries: serialized
 * temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse carrying
 * only `query` (legacy query task) and/or `queries` (map id -> query). They
 * are delivered in an activation of their own after the task's other work.
 * Its completion answers them (respond_to_query); a failed completion of a
 * query activation fails the queries (FAILED results), not the task.
 * `messages` (protocol messages: update requests) become do_update jobs
 * when the task's events are applied (each after the event it is sequenced
 * at); the language answers with update_response commands, which go out as
 * protocol messages (RespondWorkflowTaskCompleted.messages) and
 * PROTOCOL_MESSAGE commands. A body that is not an update request is
 * TCORE_ERR_INVALID_ARGUMENT. */
int tcore_wf_engine_add_queries(tcore_wf_engine *e, const uint8_t *poll_response, size_t len,
                                tcore_error *err);

/* The next activation for the language (serialized WorkflowActivation in
 * *out), TCORE_WF_TASK_DONE, TCORE_WF_NEED_HISTORY or TCORE_WF_RUN_FINISHED
 * (or TCORE_WF_NONDETERMINISM when applying the next task's events finds a
 * mismatch not already reported by complete/add_history).
 * At most one activation is outstanding: until its completion arrives this
 * returns TCORE_ERR_INVALID_ARGUMENT. */
int tcore_wf_engine_next_activation(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                                    tcore_error *err);

/* Applies the language's serialized WorkflowActivationCompletion for the
 * outstanding activation: TCORE_OK, TCORE_WF_NONDETERMINISM,
 * TCORE_WF_ACTIVATION_FAILED, or an error code. TCORE_WF_ACTIVATION_FAILED
 * also when a command cannot be applied (a kind this engine does not
 * support, e.g. Nexus operations;
 * an unknown or reused seq; a non-query command in a query activation):
 * `err` and tcore_wf_engine_failure say which. */
int tcore_wf_engine_complete(tcore_wf_engine *e, const uint8_t *completion, size_t len,
                             tcore_error *err);

/* Local activities (run in this worker, their outcome recorded as a
 * "core_local_activity" marker, as sdk-core does).
 *
 * tcore_wf_engine_take_local_activity: the next request for the run
 * manager, a serialized coresdk.workflow_commands.WorkflowCommand: either
 * schedule_local_activity (run it: attempt, activity_id and
 * original_schedule_time filled in) or request_cancel_local_activity (stop
 * the one with that seq; its outcome is still given, and ignored when the
 * engine resolved it already). TCORE_OK, or TCORE_ERR_NOT_FOUND when there
 * is none. Requests come from completions (and from replay when the task
 * that scheduled a local activity never completed). */
int tcore_wf_engine_take_local_activity(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                                        tcore_error *err);

/* The outcome of one local activity run (after the run manager's own
 * retries below local_retry_threshold). */
typedef struct tcore_wf_la_outcome {
  uint32_t seq;             /* the schedule_local_activity's seq */
  /* serialized coresdk.activity_result.ActivityExecutionResult: completed,
   * failed, or cancelled (a timeout is a failed whose failure has
   * TimeoutFailureInfo); read during the call */
  const uint8_t *result;
  size_t result_len;
  uint32_t attempt;         /* the attempt that gave it (0: the scheduled one) */
  int64_t complete_time_ns; /* when it ended, Unix ns (recorded in the marker) */
  /* >= 0: the next attempt is due after this many ns, longer than the local
   * retry threshold: the workflow gets DoBackoff (schedules a timer and the
   * local activity again); needs a failed result. -1: none. */
  int64_t backoff_ns;
} tcore_wf_la_outcome;

/* Resolves a requested local activity: queues its marker command and a
 * resolve_activity job (is_local). TCORE_OK, TCORE_ERR_NOT_FOUND (no local
 * activity with that seq), TCORE_ERR_INVALID_ARGUMENT (bytes that do not
 * parse, another status, a backoff without a failure), TCORE_ERR_NOMEM. */
int tcore_wf_engine_resolve_local_activity(tcore_wf_engine *e, const tcore_wf_la_outcome *o,
                                           tcore_error *err);

/* While next_activation says TCORE_WF_WAIT_LOCAL_ACTIVITIES, so that the
 * task does not time out while local activities run (sdk-core's workflow
 * task heartbeat, due at 80 % of the task timeout): the
 * RespondWorkflowTaskCompletedRequest body of the task as it stands (its
 * commands so far) with force_create_new_workflow_task set, as
 * take_response gives it. The local activities go on; the next task (the
 * server makes it at once) brings the engine back to waiting for them.
 * TCORE_OK, TCORE_ERR_INVALID_ARGUMENT (no task waits for local
 * activities), TCORE_ERR_NOMEM. */
int tcore_wf_engine_heartbeat(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                              tcore_error *err);

/* The run's workflow task timeout (ms) from its started event; 10000 (the
 * server's default) before that is known. */
int64_t tcore_wf_engine_task_timeout_ms(const tcore_wf_engine *e);

/* After TCORE_WF_TASK_DONE: the RespondWorkflowTaskCompletedRequest body of
 * this task (commands, sdk_metadata with the internal flags used, query
 * answers). Then the engine waits for the next task's history, which must
 * start with this task's WorkflowTaskCompleted: if the server did not
 * accept the response (the task failed or timed out), evict the run and
 * replay it on a new engine. */
int tcore_wf_engine_take_response(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                                  tcore_error *err);

/* The server discarded the task just answered
 * (RespondWorkflowTaskCompletedResponse.reset_history_event_id nonzero: a
 * speculative task, e.g. one whose only output was update rejections, left
 * no events). Its WorkflowTaskScheduled/Started events are forgotten, so the
 * next task's history reuses their ids; `reset_to_started_id` is the last
 * WorkflowTaskStarted that counts. TCORE_ERR_INVALID_ARGUMENT when the
 * history does not end with the task's scheduled and started events or a
 * task is under way (the caller then evicts the run). */
int tcore_wf_engine_discard_task(tcore_wf_engine *e, int64_t reset_to_started_id,
                                 tcore_error *err);

/* After TCORE_WF_TASK_DONE of a legacy query task: the serialized
 * RespondQueryTaskCompletedRequest body (completed_type, query_result or
 * error_message). */
int tcore_wf_engine_take_query_response(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                                        tcore_error *err);

/* After TCORE_WF_NONDETERMINISM or TCORE_WF_ACTIVATION_FAILED: the
 * RespondWorkflowTaskFailedRequest body (cause and failure). */
int tcore_wf_engine_failure(tcore_wf_engine *e, uint8_t **out, size_t *out_len,
                            tcore_error *err);

/* The eviction activation for the language: a WorkflowActivation whose only
 * job is remove_from_cache with `reason`
 * (coresdk.workflow_activation.RemoveFromCache.EvictionReason) and
 * `message` (may be NULL). Does not change the engine; the caller frees the
 * engine once the language has answered. TCORE_OK or TCORE_ERR_NOMEM. */
int tcore_wf_engine_eviction(tcore_wf_engine *e, int reason, const char *message, uint8_t **out,
                             size_t *out_len, tcore_error *err);

#endif
