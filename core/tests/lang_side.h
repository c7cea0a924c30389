/* lang_side.h: the language side of the C tests of the workflow worker
 * (test_workflow_worker.c, test_replay.c): the answer to an activation (a
 * real coresdk WorkflowActivationCompletion, packed and handed to
 * tcore_worker_complete_activation), and a bounded wait for what the event
 * callback records. Include after check.h and internal.h. */
#ifndef TCORE_LANG_SIDE_H
#define TCORE_LANG_SIDE_H

#include <stdlib.h>

#include "temporal/sdk/core/workflow_completion/workflow_completion.pb-c.h"
#include "temporal_core.h"

enum {
  ANSWER_NOTHING,  /* successful, no command */
  ANSWER_COMPLETE, /* successful: complete the workflow */
  ANSWER_TIMER,    /* successful: start timer `timer_seq` firing after `timer_ms` */
  ANSWER_FAIL      /* failed, with the failure message "boom" */
};

/* Answers run `run_id`'s activation on `w` with `answer`; `explicit_id`:
 * name the run in the call too (else the core reads it from the
 * completion). Returns tcore_worker_complete_activation's code. */
static int answer_activation(tcore_worker *w, const char *run_id, int explicit_id, int answer,
                             uint32_t timer_seq, int64_t timer_ms) {
  Coresdk__WorkflowCompletion__WorkflowActivationCompletion c =
      CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__INIT;
  Coresdk__WorkflowCompletion__Success ok = CORESDK__WORKFLOW_COMPLETION__SUCCESS__INIT;
  Coresdk__WorkflowCompletion__Failure failed = CORESDK__WORKFLOW_COMPLETION__FAILURE__INIT;
  Temporal__Api__Failure__V1__Failure f = TEMPORAL__API__FAILURE__V1__FAILURE__INIT;
  Coresdk__WorkflowCommands__WorkflowCommand cmd = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__INIT;
  Coresdk__WorkflowCommands__WorkflowCommand *cp = &cmd;
  Coresdk__WorkflowCommands__StartTimer timer = CORESDK__WORKFLOW_COMMANDS__START_TIMER__INIT;
  Coresdk__WorkflowCommands__CompleteWorkflowExecution done =
      CORESDK__WORKFLOW_COMMANDS__COMPLETE_WORKFLOW_EXECUTION__INIT;
  Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
  c.run_id = (char *)run_id;
  c.status_case = CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__STATUS_SUCCESSFUL;
  c.successful = &ok;
  if (answer == ANSWER_FAIL) {
    f.message = "boom";
    failed.failure = &f;
    c.status_case = CORESDK__WORKFLOW_COMPLETION__WORKFLOW_ACTIVATION_COMPLETION__STATUS_FAILED;
    c.failed = &failed;
  } else if (answer == ANSWER_COMPLETE) {
    cmd.variant_case = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_COMPLETE_WORKFLOW_EXECUTION;
    cmd.complete_workflow_execution = &done;
    ok.n_commands = 1;
    ok.commands = &cp;
  } else if (answer == ANSWER_TIMER) {
    d.seconds = timer_ms / 1000;
    d.nanos = (int32_t)(timer_ms % 1000) * 1000000;
    timer.seq = timer_seq;
    timer.start_to_fire_timeout = &d;
    cmd.variant_case = CORESDK__WORKFLOW_COMMANDS__WORKFLOW_COMMAND__VARIANT_START_TIMER;
    cmd.start_timer = &timer;
    ok.n_commands = 1;
    ok.commands = &cp;
  }
  size_t n = coresdk__workflow_completion__workflow_activation_completion__get_packed_size(&c);
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) return TCORE_ERR_NOMEM;
  coresdk__workflow_completion__workflow_activation_completion__pack(&c, buf);
  int rc = tcore_worker_complete_activation(w, explicit_id ? run_id : NULL, buf, n);
  free(buf);
  return rc;
}

/* Waits (at most `ms`) until `expr` holds, read under the mutex `mu`. */
#define WAIT_FOR(mu, expr, ms)                    \
  do {                                            \
    int64_t until_ = tcore_now_ms() + (ms);       \
    for (;;) {                                    \
      pthread_mutex_lock(mu);                     \
      int ok_ = (expr);                           \
      pthread_mutex_unlock(mu);                   \
      if (ok_ || tcore_now_ms() > until_) break;  \
      sleep_ms(10);                               \
    }                                             \
  } while (0)

#endif
