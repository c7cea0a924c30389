/* worker_shutdown.c: the worker's orderly shutdown.
 *
 * GRACE: polling has stopped and the polls in flight are cancelled (never
 *   waited for); ShutdownWorker goes out now, as sdk-core sends it when its
 *   shutdown begins: the server then stops routing workflow tasks to this
 *   worker's sticky queue (no longer polled), so a run cached here moves at
 *   once to another worker of the task queue instead of waiting out the
 *   sticky queue's schedule-to-start timeout; running tasks may finish until
 *   the grace deadline.
 * CANCELLING: CANCEL "worker_shutdown" went to every task still running;
 *   they get a bounded time (cancel_wait_ms) to complete, then are given up.
 * DRAIN: every Respond* and heartbeat call, poll and timer must end, so no
 *   completion handed to us before is dropped. Those calls retry until their
 *   task's own deadline; DRAIN waits for them at most max(cancel_wait_ms,
 *   1 s), then cancels them, so shutdown always ends.
 *   ShutdownWorker is waited for too (never cancelled: its own 5 s timeout
 *   bounds it; any error ignored).
 * FINAL: only when ShutdownWorker could not start before: it is sent again
 *   and waited for (any error ignored), then the callback.
 *
 * Every path that changes what these phases wait for ends with
 * tcore_worker_step_locked, so the phases move without a thread of their own;
 * the shutdown timer covers the deadlines, and work that must run on a
 * runtime thread (delivering cancels, the callback).
 */
#include <stdlib.h>

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "worker.h"

#define WS "/temporal.api.workflowservice.v1.WorkflowService/"
#define SHUTDOWN_WORKER_TIMEOUT_MS 5000

static int send_shutdown_worker_locked(tcore_worker *w);

void tcore_worker_begin_shutdown_locked(tcore_worker *w, tcore_worker_shutdown_cb cb, void *user) {
  w->shutdown_cb = cb;
  w->shutdown_user = user;
  w->phase = PHASE_GRACE;
  w->deadline_ms = tcore_now_ms() + w->grace_ms;
  tcore_worker_stop_polls_locked(w);
  if (w->started) (void)send_shutdown_worker_locked(w); /* DRAIN retries it if it cannot start */
  if (w->wf_enabled) tcore_wf_evict_all_locked(w);
}

int tcore_worker_shutdown(tcore_worker *w, tcore_worker_shutdown_cb cb, void *user) {
  if (!w) return TCORE_ERR_INVALID_ARGUMENT;
  pthread_mutex_lock(&w->mu);
  if (w->phase >= PHASE_GRACE) {
    pthread_mutex_unlock(&w->mu);
    return TCORE_ERR_CLOSED;
  }
  tcore_worker_begin_shutdown_locked(w, cb, user);
  tcore_worker_step_locked(w, 0);
  tcore_worker_unlock(w);
  return TCORE_OK;
}

/* Delivers CANCEL "worker_shutdown" to every running task not yet told to
 * cancel. Drops `mu` around each delivery; the task's reference keeps it
 * (and so the worker) alive meanwhile. (mu), runtime thread. */
static void cancel_running_locked(tcore_worker *w) {
  for (size_t i = 0; i < w->nbuckets; i++) {
    act *a = w->buckets[i];
    while (a) {
      if (a->cancel_sent) {
        a = a->hnext;
        continue;
      }
      if (!a->delivered) { /* its delivery sends the cancel */
        a->cancel_reason = "worker_shutdown";
        a = a->hnext;
        continue;
      }
      a->cancel_sent = 1;
      a->refs++;
      pthread_mutex_unlock(&w->mu);
      tcore_worker_emit(w, TCORE_WORKER_EVENT_CANCEL, a, NULL, 0, "worker_shutdown");
      pthread_mutex_lock(&w->mu);
      tcore_act_unref_locked(a);
      a = w->buckets[i]; /* the chain may have changed: scan it again */
    }
  }
}

/* Gives up on the tasks still running (the server times them out) and on
 * the runs whose eviction was not answered. (mu) */
static void abandon_running_locked(tcore_worker *w) {
  if (w->wf_enabled) tcore_wf_abandon_locked(w);
  for (size_t i = 0; i < w->nbuckets; i++) {
    while (w->buckets[i]) {
      act *a = w->buckets[i];
      tcore_act_remove_locked(w, a);
      tcore_wtimer_cancel_locked(w, &a->throttle, &a->refs);
      tcore_wtimer_cancel_locked(w, &a->timeout, &a->refs);
      tcore_act_unref_locked(a); /* the table's */
    }
  }
}

int tcore_test_shutdown_worker_calls;

static void on_shutdown_worker_done(void *user, const tcore_call_result *r) {
  (void)r; /* UNIMPLEMENTED, UNAVAILABLE, anything: the worker is done either way */
  tcore_worker *w = user;
  __atomic_fetch_add(&tcore_test_shutdown_worker_calls, 1, __ATOMIC_SEQ_CST);
  pthread_mutex_lock(&w->mu);
  w->sw_state = 2;
  w->holds--; /* the call's */
  if (w->phase == PHASE_FINAL) w->phase = PHASE_CALLBACK;
  tcore_worker_step_locked(w, 1);
  tcore_worker_unlock(w);
}

/* Starts ShutdownWorker (once: while it is in flight it holds a hold, so
 * DRAIN waits for it); returns 0 if it could not start. (mu) */
static int send_shutdown_worker_locked(tcore_worker *w) {
  if (w->sw_state != 0) return 0;
  Temporal__Api__Workflowservice__V1__ShutdownWorkerRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__SHUTDOWN_WORKER_REQUEST__INIT;
  Temporal__Api__Enums__V1__TaskQueueType types[2];
  size_t ntypes = 0;
  if (w->act_src.enabled) types[ntypes++] = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_TYPE__TASK_QUEUE_TYPE_ACTIVITY;
  if (w->wf_enabled) types[ntypes++] = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_TYPE__TASK_QUEUE_TYPE_WORKFLOW;
  req.namespace_ = w->ns;
  req.identity = w->identity;
  req.sticky_task_queue = w->sticky_queue ? w->sticky_queue : "";
  req.reason = "graceful shutdown";
  req.worker_instance_key = w->instance_key;
  req.task_queue = w->task_queue;
  req.n_task_queue_types = ntypes;
  req.task_queue_types = types;
  size_t n = temporal__api__workflowservice__v1__shutdown_worker_request__get_packed_size(&req);
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) return 0;
  n = temporal__api__workflowservice__v1__shutdown_worker_request__pack(&req, buf);
  w->sw_state = 1;
  w->holds++;
  int rc = tcore_worker_call(w, WS "ShutdownWorker", buf, n, SHUTDOWN_WORKER_TIMEOUT_MS, 1, 0,
                             on_shutdown_worker_done, w, NULL, NULL);
  free(buf);
  if (rc != TCORE_OK) {
    w->sw_state = 0;
    w->holds--;
  }
  return rc == TCORE_OK;
}

/* Enters DRAIN: its wait for calls in flight is bounded from now. (mu) */
static void enter_drain_locked(tcore_worker *w, int64_t now) {
  w->phase = PHASE_DRAIN;
  w->deadline_ms = now + (w->cancel_wait_ms > 1000 ? w->cancel_wait_ms : 1000);
}

void tcore_worker_step_locked(tcore_worker *w, int rt_thread) {
  for (;;) {
    int64_t now = tcore_now_ms();
    switch (w->phase) {
      case PHASE_GRACE:
      case PHASE_CANCELLING:
        if (tcore_worker_idle_locked(w)) {
          enter_drain_locked(w, now);
          continue;
        }
        if (now < w->deadline_ms) {
          tcore_wtimer_arm_locked(w, &w->shutdown_timer, &w->holds, w->deadline_ms - now);
          return;
        }
        if (w->phase == PHASE_CANCELLING) {
          abandon_running_locked(w);
          enter_drain_locked(w, now);
          continue;
        }
        if (!rt_thread) { /* cancels are delivered from a runtime thread */
          tcore_wtimer_arm_locked(w, &w->shutdown_timer, &w->holds, 0);
          return;
        }
        w->phase = PHASE_CANCELLING;
        w->deadline_ms = now + w->cancel_wait_ms;
        cancel_running_locked(w);
        continue;
      case PHASE_DRAIN:
        tcore_wtimer_cancel_locked(w, &w->shutdown_timer, &w->holds);
        if (w->holds > 0) {
          if (w->draining_calls) return;
          if (now < w->deadline_ms) {
            tcore_wtimer_arm_locked(w, &w->shutdown_timer, &w->holds, w->deadline_ms - now);
          } else { /* the drain wait is over: end the calls still retrying */
            w->draining_calls = 1;
            tcore_worker_cancel_calls_locked(w);
          }
          return;
        }
        if (w->started && w->sw_state == 0) {
          w->phase = PHASE_FINAL;
          if (send_shutdown_worker_locked(w)) return;
        }
        w->phase = PHASE_CALLBACK;
        continue;
      case PHASE_CALLBACK:
        if (!rt_thread) { /* the callback runs on a runtime thread */
          tcore_wtimer_arm_locked(w, &w->shutdown_timer, &w->holds, 0);
          return;
        }
        w->phase = PHASE_DONE;
        w->finish_due = 1;
        return;
      default: /* NEW, RUNNING, FINAL, DONE: nothing to do here */
        return;
    }
  }
}

void tcore_worker_shutdown_fired(tcore_timer *t) {
  tcore_worker *w = (tcore_worker *)((char *)t - offsetof(tcore_worker, shutdown_timer));
  pthread_mutex_lock(&w->mu);
  w->shutdown_timer.armed = 0;
  w->holds--;
  tcore_worker_step_locked(w, 1);
  tcore_worker_unlock(w);
}
