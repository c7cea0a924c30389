/* poller.c: the worker's long polls, generic over its task sources (the
 * activity queue, the workflow task queue, the workflow sticky queue).
 *
 * Each source has its own poll slots (at most max_polls in flight) and
 * shares a slot count with the sources of its kind: a poll is started only
 * while tasks running + polls in flight of that kind < its max, so every
 * task a poll brings has a slot. Failures back off the whole worker (one
 * server); a failure that cannot heal ends polling with one FATAL event.
 * worker.h says how locking and lifetimes work.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker.h"

#define POLL_TIMEOUT_MS 70000
#define POLL_BACKOFF_INITIAL_MS 200
#define POLL_BACKOFF_MAX_MS 10000
/* While the server cannot be reached (UNAVAILABLE and the like) polls retry
 * at least this often: they fail at once while the channel is down, and the
 * first one after the channel reconnected (its own backoff is capped at 1 s,
 * in client.c) goes out within this, so polling resumes within about a
 * second of the server being back. */
#define POLL_BACKOFF_MAX_UNREACHABLE_MS 500
/* A poll that ends CANCELLED / DEADLINE_EXCEEDED sooner than this was not a
 * long poll: back off instead of polling again at once. */
#define POLL_MIN_NORMAL_MS 1000

int tcore_worker_polls_wanted(int running, int in_flight, int max_slots, int max_polls) {
  int by_slots = max_slots - running - in_flight;
  int by_polls = max_polls - in_flight;
  int n = by_slots < by_polls ? by_slots : by_polls;
  return n > 0 ? n : 0;
}

int tcore_poll_failure_heals(int status) {
  switch (status) {
    case TCORE_STATUS_UNAVAILABLE:
    case TCORE_STATUS_DEADLINE_EXCEEDED:
    case TCORE_STATUS_CANCELLED:
    case TCORE_STATUS_INTERNAL:
    case TCORE_STATUS_UNKNOWN:
    case TCORE_STATUS_RESOURCE_EXHAUSTED:
    case TCORE_STATUS_ABORTED:
    case TCORE_STATUS_OUT_OF_RANGE:
    case TCORE_STATUS_DATA_LOSS:
      return 1;
    default:
      return 0;
  }
}

int64_t tcore_poll_backoff_ms(int failures, int status) {
  int64_t cap = status == TCORE_STATUS_UNAVAILABLE || status == TCORE_STATUS_DEADLINE_EXCEEDED ||
                        status == TCORE_STATUS_CANCELLED
                    ? POLL_BACKOFF_MAX_UNREACHABLE_MS
                    : POLL_BACKOFF_MAX_MS;
  int64_t delay = POLL_BACKOFF_INITIAL_MS;
  for (int i = 1; i < failures && delay < cap; i++) delay *= 2;
  return delay < cap ? delay : cap;
}

/* ---- sources -------------------------------------------------------------- */

static void rate_fired(tcore_timer *t);

int tcore_source_init(tcore_task_source *s, tcore_worker *w, const char *what,
                      const char *method, uint8_t *req, size_t req_len, int max_polls,
                      tcore_slots *slots) {
  s->w = w;
  s->what = what;
  s->method = method;
  s->req = req;
  s->req_len = req_len;
  s->max_polls = max_polls;
  s->slots = slots;
  s->rate.t.fire = rate_fired;
  s->polls = calloc((size_t)(max_polls > 0 ? max_polls : 1), sizeof *s->polls);
  if (!s->polls) return TCORE_ERR_NOMEM;
  for (int i = 0; i < max_polls; i++) s->polls[i].src = s;
  s->enabled = 1;
  return TCORE_OK;
}

void tcore_source_free(tcore_task_source *s) {
  free(s->req);
  free(s->polls);
  s->req = NULL;
  s->polls = NULL;
}

/* The sources of a worker, in the order they are pumped. */
static int sources_of(tcore_worker *w, tcore_task_source **out) {
  int n = 0;
  tcore_task_source *all[] = {&w->act_src, &w->wf_src, &w->sticky_src};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++)
    if (all[i]->enabled) out[n++] = all[i];
  return n;
}

void tcore_worker_stop_polls_locked(tcore_worker *w) {
  tcore_task_source *src[3];
  int n = sources_of(w, src);
  for (int k = 0; k < n; k++) {
    tcore_task_source *s = src[k];
    for (int i = 0; i < s->max_polls; i++)
      if (s->polls[i].busy && s->polls[i].call) tcore_call_cancel(s->polls[i].call);
    tcore_wtimer_cancel_locked(w, &s->rate, &w->holds);
  }
  tcore_wtimer_cancel_locked(w, &w->backoff, &w->holds);
}

int tcore_worker_idle_locked(tcore_worker *w) {
  if (w->polls_in_flight) return 0;
  /* Workflow tasks and runs (also a replay worker's, which has no source). */
  if (w->wf_enabled && (w->wf_running || w->n_runs)) return 0;
  if (w->las) return 0; /* local activities, also of evicted runs */
  tcore_task_source *src[3];
  int n = sources_of(w, src);
  for (int k = 0; k < n; k++)
    if (src[k]->idle_locked && !src[k]->idle_locked(src[k])) return 0;
  return 1;
}

/* ---- failures ------------------------------------------------------------- */

static void set_fatal_locked(tcore_worker *w, int status, const char *message,
                             const uint8_t *details, size_t details_len) {
  if (w->fatal) return;
  w->fatal = 1;
  free(w->fatal_message);
  w->fatal_message = tcore_strdup(message);
  w->fatal_status = status;
  free(w->fatal_details);
  w->fatal_details = NULL;
  w->fatal_details_len = 0;
  if (details_len && (w->fatal_details = malloc(details_len))) {
    memcpy(w->fatal_details, details, details_len);
    w->fatal_details_len = details_len;
  }
}

/* A FATAL event taken out of the worker to be delivered without `mu`. */
typedef struct fatal_event {
  char *message; /* NULL: none due */
  int status;
  uint8_t *details;
  size_t details_len;
} fatal_event;

static void take_fatal_locked(tcore_worker *w, fatal_event *f) {
  f->message = w->fatal_message;
  f->status = w->fatal_status;
  f->details = w->fatal_details;
  f->details_len = w->fatal_details_len;
  w->fatal_message = NULL;
  w->fatal_details = NULL;
  w->fatal_details_len = 0;
}

/* Delivers a taken FATAL event (if any) and frees it. Without `mu`. */
static void emit_fatal(tcore_worker *w, fatal_event *f) {
  if (f->message) {
    pthread_mutex_lock(&w->mu);
    tcore_worker_event_cb cb = w->event_cb;
    void *user = w->event_user;
    pthread_mutex_unlock(&w->mu);
    if (cb) {
      tcore_worker_event ev = {0};
      ev.kind = TCORE_WORKER_EVENT_FATAL;
      ev.message = f->message;
      ev.status = f->status;
      ev.details = f->details;
      ev.details_len = f->details_len;
      cb(user, &ev);
    }
  }
  free(f->message);
  free(f->details);
}

/* A failed poll. A failure that can heal (the server unreachable, busy,
 * restarting) is retried after a backoff, for as long as the worker runs;
 * any other (namespace not found, permission denied, unauthenticated, ...)
 * ends polling: the FATAL event, from the backoff timer. Polls failing
 * together (while a backoff is already armed) count once. (mu) */
static void poll_failed_locked(tcore_task_source *s, const tcore_call_result *r) {
  tcore_worker *w = s->w;
  if (!tcore_poll_failure_heals(r->status)) {
    char buf[600];
    snprintf(buf, sizeof buf, "polling for %s failed for good (status %d: %s)", s->what,
             r->status, r->message ? r->message : "");
    set_fatal_locked(w, r->status, buf, r->details, r->details_len);
    tcore_wtimer_arm_locked(w, &w->backoff, &w->holds, 0);
    return;
  }
  if (w->backoff.armed) return;
  w->poll_failures++;
  int64_t delay = tcore_poll_backoff_ms(w->poll_failures, r->status);
  delay = (int64_t)((double)delay * (0.8 + 0.4 * tcore_random_unit()));
  tcore_wtimer_arm_locked(w, &w->backoff, &w->holds, delay);
}

/* A poll could not even start. The FATAL event (if any) is delivered from
 * the backoff timer, so it always comes from a runtime thread. (mu) */
static void poll_start_failed_locked(tcore_task_source *s, int rc, const tcore_error *err) {
  tcore_worker *w = s->w;
  if (rc == TCORE_ERR_CLOSED || rc == TCORE_ERR_FORKED) {
    char buf[400];
    snprintf(buf, sizeof buf, "cannot poll for %s: %s", s->what, err->message);
    set_fatal_locked(w, 0, buf, NULL, 0);
    tcore_wtimer_arm_locked(w, &w->backoff, &w->holds, 0);
    return;
  }
  tcore_call_result r = {0};
  r.status = TCORE_STATUS_INTERNAL;
  r.message = err->message;
  poll_failed_locked(s, &r);
}

/* ---- polls ---------------------------------------------------------------- */

static void on_poll_done(void *user, const tcore_call_result *r);

/* Starts the polls of one source that are allowed now; 0 when polling must
 * stop for now (a start failed). (mu) */
static int pump_source_locked(tcore_task_source *s) {
  tcore_worker *w = s->w;
  int n = tcore_worker_polls_wanted(*s->slots->running + s->slots->polls - s->in_flight,
                                    s->in_flight, s->slots->max, s->max_polls);
  while (n-- > 0) {
    int64_t now = tcore_now_ms();
    if (s->local_rate > 0) {
      /* Rate limited: one poll at a time, spaced from the last start and
       * from the last task received (on_poll_done), so that polls waiting
       * at the server cannot hand out a burst of tasks at once. */
      if (s->in_flight > 0) return 1;
      double next = (double)s->next_poll_ms;
      if ((double)now < next) {
        tcore_wtimer_arm_locked(w, &s->rate, &w->holds, (int64_t)ceil(next - (double)now));
        return 1;
      }
      s->next_poll_ms = (int64_t)ceil(((double)now > next ? (double)now : next) +
                                      1000.0 / s->local_rate);
    }
    poll_slot *p = NULL;
    for (int i = 0; i < s->max_polls && !p; i++)
      if (!s->polls[i].busy) p = &s->polls[i];
    if (!p) return 1;
    p->busy = 1;
    p->started_ms = now;
    s->in_flight++;
    s->slots->polls++;
    w->polls_in_flight++;
    w->holds++;
    tcore_error err = {0};
    /* No retry: the worker retries polls itself, without limit. */
    int rc = tcore_worker_call(w, s->method, s->req, s->req_len, POLL_TIMEOUT_MS, 1, 0,
                               on_poll_done, p, &p->call, &err);
    if (rc != TCORE_OK) {
      p->busy = 0;
      s->in_flight--;
      s->slots->polls--;
      w->polls_in_flight--;
      w->holds--;
      poll_start_failed_locked(s, rc, &err);
      return 0;
    }
  }
  return 1;
}

void tcore_worker_pump_locked(tcore_worker *w) {
  if (w->phase != PHASE_RUNNING || w->fatal || w->backoff.armed) return;
  tcore_task_source *src[3];
  int n = sources_of(w, src);
  for (int k = 0; k < n; k++)
    if (!pump_source_locked(src[k])) return;
}

static void on_poll_done(void *user, const tcore_call_result *r) {
  poll_slot *p = user;
  tcore_task_source *s = p->src;
  tcore_worker *w = s->w;
  void *task = NULL;
  const char *warning = NULL;

  pthread_mutex_lock(&w->mu);
  tcore_call *call = p->call;
  p->call = NULL;
  p->busy = 0;
  s->in_flight--;
  s->slots->polls--;
  w->polls_in_flight--;
  int64_t now = tcore_now_ms();
  if (r->status == TCORE_STATUS_OK) {
    if (s->take_locked(s, r, &task, &warning)) {
      w->poll_failures = 0; /* healthy again */
      if (task && s->local_rate > 0) {
        int64_t after = (int64_t)ceil((double)now + 1000.0 / s->local_rate);
        if (after > s->next_poll_ms) s->next_poll_ms = after;
      }
    } else {
      tcore_call_result bad = {0};
      bad.status = TCORE_STATUS_INTERNAL;
      bad.message = warning;
      poll_failed_locked(s, &bad);
    }
  } else if ((r->status == TCORE_STATUS_CANCELLED || r->status == TCORE_STATUS_DEADLINE_EXCEEDED) &&
             (w->phase != PHASE_RUNNING || now - p->started_ms >= POLL_MIN_NORMAL_MS)) {
    /* the normal end of a long poll, or our own cancel at shutdown */
  } else if (w->phase == PHASE_RUNNING) {
    poll_failed_locked(s, r);
  }
  tcore_worker_pump_locked(w);
  fatal_event fatal;
  take_fatal_locked(w, &fatal);
  pthread_mutex_unlock(&w->mu);

  tcore_call_release(call);
  if (task) s->deliver(s, task, r);
  if (warning) tcore_worker_emit(w, TCORE_WORKER_EVENT_WARNING, NULL, NULL, 0, warning);
  emit_fatal(w, &fatal);

  pthread_mutex_lock(&w->mu);
  if (task && s->done_locked) s->done_locked(s, task);
  w->holds--; /* the poll's */
  tcore_worker_step_locked(w, 1);
  tcore_worker_unlock(w);
}

/* The backoff timer: polling may go on; a FATAL event may be due. */
void tcore_worker_backoff_fired(tcore_timer *t) {
  tcore_worker *w = (tcore_worker *)((char *)t - offsetof(tcore_worker, backoff));
  pthread_mutex_lock(&w->mu);
  w->backoff.armed = 0;
  tcore_worker_pump_locked(w);
  fatal_event fatal;
  take_fatal_locked(w, &fatal);
  pthread_mutex_unlock(&w->mu);
  emit_fatal(w, &fatal);
  pthread_mutex_lock(&w->mu);
  w->holds--;
  tcore_worker_step_locked(w, 1);
  tcore_worker_unlock(w);
}

/* A source's local rate limiter's timer: its next poll may start. */
static void rate_fired(tcore_timer *t) {
  tcore_task_source *s = (tcore_task_source *)((char *)t - offsetof(tcore_task_source, rate));
  tcore_worker *w = s->w;
  pthread_mutex_lock(&w->mu);
  s->rate.armed = 0;
  w->holds--;
  tcore_worker_pump_locked(w);
  tcore_worker_step_locked(w, 1);
  tcore_worker_unlock(w);
}
