/* activity_worker.c: the activity worker: options, pollers, slots, tasks
 * and completions. Heartbeats are in heartbeat.c, shutdown in
 * worker_shutdown.c; worker.h says how locking and lifetimes work.
 *
 * Polling (slots, backoff, rate limit, fatal failures) is poller.c's: this
 * file is the activity task source it polls.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "worker.h"

#define WS "/temporal.api.workflowservice.v1.WorkflowService/"
/* Local timeouts fire this long after the server's own (as sdk-core's
 * local_timeout_buffer_for_activities) so they do not race it. */
#define LOCAL_TIMEOUT_BUFFER_MS 5000

/* ---- options -------------------------------------------------------------- */

struct tcore_worker_options {
  char *ns, *task_queue, *identity;
  int max_slots, max_polls;
  double local_rate, tq_rate;
  int64_t grace_ms, cancel_wait_ms, timeout_buffer_ms;
  tcore_worker_event_cb cb;
  void *user;
  /* workflows */
  int workflows, no_activities, max_cached, max_wft, wf_polls;
  int64_t sticky_s2s_ms;
  const tcore_wf_engine_ops *wf_ops;
  int nd_fail_all;
  char **nd_fail_types;
  size_t n_nd_fail_types;
};

static void free_strv(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

/* A copy of `n` strings (NULL for n 0); TCORE_ERR_NOMEM. */
static int copy_strv(const char *const *src, size_t n, char ***out) {
  *out = NULL;
  if (!n) return TCORE_OK;
  char **v = calloc(n, sizeof *v);
  if (!v) return TCORE_ERR_NOMEM;
  for (size_t i = 0; i < n; i++) {
    if (!(v[i] = tcore_strdup(src[i]))) {
      free_strv(v, i);
      return TCORE_ERR_NOMEM;
    }
  }
  *out = v;
  return TCORE_OK;
}

int tcore_worker_options_new(tcore_worker_options **out) {
  tcore_worker_options *o = calloc(1, sizeof *o);
  *out = o;
  if (!o) return TCORE_ERR_NOMEM;
  o->max_slots = 100;
  o->max_polls = 5;
  o->cancel_wait_ms = 10000;
  o->timeout_buffer_ms = LOCAL_TIMEOUT_BUFFER_MS;
  o->max_cached = 1000;
  o->max_wft = 100;
  o->wf_polls = 5;
  o->sticky_s2s_ms = 10000;
  return TCORE_OK;
}

void tcore_worker_options_free(tcore_worker_options *o) {
  if (!o) return;
  free(o->ns);
  free(o->task_queue);
  free(o->identity);
  free_strv(o->nd_fail_types, o->n_nd_fail_types);
  free(o);
}

static int replace_str(char **slot, const char *s) {
  char *d = tcore_strdup(s);
  if (s && !d) return TCORE_ERR_NOMEM;
  free(*slot);
  *slot = d;
  return TCORE_OK;
}

int tcore_worker_options_set_task_queue(tcore_worker_options *o, const char *tq) {
  if (!o || !tq || !*tq) return TCORE_ERR_INVALID_ARGUMENT;
  return replace_str(&o->task_queue, tq);
}

int tcore_worker_options_set_namespace(tcore_worker_options *o, const char *ns) {
  if (!o) return TCORE_ERR_INVALID_ARGUMENT;
  return replace_str(&o->ns, ns && *ns ? ns : NULL);
}

int tcore_worker_options_set_identity(tcore_worker_options *o, const char *identity) {
  if (!o) return TCORE_ERR_INVALID_ARGUMENT;
  return replace_str(&o->identity, identity && *identity ? identity : NULL);
}

int tcore_worker_options_set_max_concurrent_activities(tcore_worker_options *o, int n) {
  if (!o || n < 1) return TCORE_ERR_INVALID_ARGUMENT;
  o->max_slots = n;
  return TCORE_OK;
}

int tcore_worker_options_set_max_concurrent_polls(tcore_worker_options *o, int n) {
  if (!o || n < 1) return TCORE_ERR_INVALID_ARGUMENT;
  o->max_polls = n;
  return TCORE_OK;
}

static int rate_ok(double r) { return isfinite(r) && r >= 0; }

int tcore_worker_options_set_max_activities_per_second(tcore_worker_options *o, double rate) {
  if (!o || !rate_ok(rate)) return TCORE_ERR_INVALID_ARGUMENT;
  o->local_rate = rate;
  return TCORE_OK;
}

int tcore_worker_options_set_max_task_queue_activities_per_second(tcore_worker_options *o,
                                                                  double rate) {
  if (!o || !rate_ok(rate)) return TCORE_ERR_INVALID_ARGUMENT;
  o->tq_rate = rate;
  return TCORE_OK;
}

int tcore_worker_options_set_graceful_shutdown_ms(tcore_worker_options *o, int64_t ms) {
  if (!o || ms < 0) return TCORE_ERR_INVALID_ARGUMENT;
  o->grace_ms = ms;
  return TCORE_OK;
}

int tcore_worker_options_set_shutdown_cancel_wait_ms(tcore_worker_options *o, int64_t ms) {
  if (!o || ms < 0) return TCORE_ERR_INVALID_ARGUMENT;
  o->cancel_wait_ms = ms;
  return TCORE_OK;
}

int tcore_worker_options_set_local_timeout_buffer_ms(tcore_worker_options *o, int64_t ms) {
  if (!o || ms < 0) return TCORE_ERR_INVALID_ARGUMENT;
  o->timeout_buffer_ms = ms;
  return TCORE_OK;
}

int tcore_worker_options_set_event_callback(tcore_worker_options *o, tcore_worker_event_cb cb,
                                            void *user) {
  if (!o || !cb) return TCORE_ERR_INVALID_ARGUMENT;
  o->cb = cb;
  o->user = user;
  return TCORE_OK;
}

int tcore_worker_options_set_workflows(tcore_worker_options *o, int enabled) {
  if (!o) return TCORE_ERR_INVALID_ARGUMENT;
  o->workflows = enabled != 0;
  return TCORE_OK;
}

int tcore_worker_options_set_activities(tcore_worker_options *o, int enabled) {
  if (!o) return TCORE_ERR_INVALID_ARGUMENT;
  o->no_activities = enabled == 0;
  return TCORE_OK;
}

int tcore_worker_options_set_max_cached_workflows(tcore_worker_options *o, int n) {
  if (!o || n < 0) return TCORE_ERR_INVALID_ARGUMENT;
  o->max_cached = n;
  return TCORE_OK;
}

int tcore_worker_options_set_max_concurrent_workflow_tasks(tcore_worker_options *o, int n) {
  if (!o || n < 1) return TCORE_ERR_INVALID_ARGUMENT;
  o->max_wft = n;
  return TCORE_OK;
}

int tcore_worker_options_set_max_concurrent_workflow_task_polls(tcore_worker_options *o, int n) {
  if (!o || n < 1) return TCORE_ERR_INVALID_ARGUMENT;
  o->wf_polls = n;
  return TCORE_OK;
}

int tcore_worker_options_set_sticky_schedule_to_start_ms(tcore_worker_options *o, int64_t ms) {
  if (!o || ms < 1 || ms > INT32_MAX) return TCORE_ERR_INVALID_ARGUMENT;
  o->sticky_s2s_ms = ms;
  return TCORE_OK;
}

int tcore_worker_options_set_nondeterminism_as_workflow_fail(tcore_worker_options *o, int all,
                                                             const char *const *types, size_t n) {
  if (!o || (n && !types)) return TCORE_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < n; i++)
    if (!types[i]) return TCORE_ERR_INVALID_ARGUMENT;
  char **v = NULL;
  if (copy_strv(types, n, &v) != TCORE_OK) return TCORE_ERR_NOMEM;
  free_strv(o->nd_fail_types, o->n_nd_fail_types);
  o->nd_fail_types = v;
  o->n_nd_fail_types = n;
  o->nd_fail_all = all != 0;
  return TCORE_OK;
}

int tcore_worker_options_set_wf_engine_ops(tcore_worker_options *o,
                                           const tcore_wf_engine_ops *ops) {
  if (!o) return TCORE_ERR_INVALID_ARGUMENT;
  o->wf_ops = ops;
  return TCORE_OK;
}

/* ---- small helpers ---------------------------------------------------------- */

void tcore_wtimer_arm_locked(tcore_worker *w, wtimer *t, int *refs, int64_t delay_ms) {
  if (!t->armed) {
    t->armed = 1;
    (*refs)++;
    tcore_timer_start(w->rt, &t->t, delay_ms);
  } else if (tcore_timer_cancel(w->rt, &t->t)) {
    tcore_timer_start(w->rt, &t->t, delay_ms);
  }
  /* else: it is firing right now; its handler looks at the state anew. */
}

int tcore_wtimer_cancel_locked(tcore_worker *w, wtimer *t, int *refs) {
  if (!t->armed || !tcore_timer_cancel(w->rt, &t->t)) return 0;
  t->armed = 0;
  (*refs)--;
  return 1;
}

static char *default_identity(void) {
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = 0;
  char buf[300];
  snprintf(buf, sizeof buf, "%ld@%s", (long)getpid(), host);
  return tcore_strdup(buf);
}

/* A random (version 4) UUID: the worker instance key. */
static char *new_instance_key(void) {
  uint8_t b[16];
  for (int i = 0; i < 16; i++) b[i] = (uint8_t)(tcore_random_unit() * 256.0);
  b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
  b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
  char s[37];
  snprintf(s, sizeof s,
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
           b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
           b[15]);
  return tcore_strdup(s);
}

/* ---- the activity table -------------------------------------------------------- */

static uint64_t token_hash(const uint8_t *p, size_t n) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

act *tcore_act_find_locked(tcore_worker *w, const uint8_t *token, size_t len) {
  uint64_t h = token_hash(token, len);
  for (act *a = w->buckets[h & (w->nbuckets - 1)]; a; a = a->hnext)
    if (a->hash == h && a->token_len == len && memcmp(a->token, token, len) == 0) return a;
  return NULL;
}

static void act_insert_locked(tcore_worker *w, act *a) {
  act **b = &w->buckets[a->hash & (w->nbuckets - 1)];
  a->hnext = *b;
  *b = a;
  a->in_table = 1;
  a->refs++;
  w->running++;
  a->lnext = w->live;
  if (w->live) w->live->lprev = a;
  w->live = a;
}

void tcore_act_remove_locked(tcore_worker *w, act *a) {
  for (act **p = &w->buckets[a->hash & (w->nbuckets - 1)]; *p; p = &(*p)->hnext) {
    if (*p == a) {
      *p = a->hnext;
      break;
    }
  }
  a->hnext = NULL;
  a->in_table = 0;
  w->running--;
  /* The caller drops the table's reference. */
}

static void act_timeout_fired(tcore_timer *t);

static act *act_new(tcore_worker *w, const uint8_t *token, size_t len, int64_t hb_timeout_ms) {
  act *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  a->token = malloc(len);
  if (!a->token) {
    free(a);
    return NULL;
  }
  memcpy(a->token, token, len);
  a->token_len = len;
  a->hash = token_hash(token, len);
  a->w = w;
  a->throttle_ms = tcore_heartbeat_throttle_ms(hb_timeout_ms);
  a->throttle.t.fire = tcore_act_throttle_fired;
  a->timeout.t.fire = act_timeout_fired;
  const int64_t cap = 100LL * 366 * 24 * 3600 * 1000; /* a century: sums stay in range */
  a->hb_timeout_ms = hb_timeout_ms <= 0 ? 0 : hb_timeout_ms < cap ? hb_timeout_ms : cap;
  return a;
}

void tcore_act_unref_locked(act *a) {
  if (--a->refs > 0) return;
  tcore_worker *w = a->w;
  if (a->lprev) a->lprev->lnext = a->lnext;
  else if (w->live == a) w->live = a->lnext;
  if (a->lnext) a->lnext->lprev = a->lprev;
  free(a->token);
  free(a->pending);
  free(a->result);
  free(a);
  w->holds--;
}

/* ---- events ---------------------------------------------------------------------- */

void tcore_worker_emit(tcore_worker *w, int kind, const act *a, const uint8_t *task,
                       size_t task_len, const char *message) {
  pthread_mutex_lock(&w->mu);
  tcore_worker_event_cb cb = w->event_cb;
  void *user = w->event_user;
  pthread_mutex_unlock(&w->mu);
  if (!cb) return;
  tcore_worker_event ev = {0};
  ev.kind = kind;
  if (a) {
    ev.task_token = a->token;
    ev.task_token_len = a->token_len;
  }
  ev.task = task;
  ev.task_len = task_len;
  ev.message = message;
  cb(user, &ev);
}

/* ---- calls --------------------------------------------------------------------- */

int tcore_worker_send(tcore_worker *w, const char *method, const ProtobufCMessage *msg,
                      const uint8_t *extra, size_t extra_len, int64_t total_ms,
                      tcore_call_cb cb, void *user, tcore_call **out) {
  size_t n = protobuf_c_message_get_packed_size(msg);
  uint8_t stack[1024];
  size_t cap = n + extra_len + 11;
  uint8_t *buf = cap <= sizeof stack ? stack : malloc(cap);
  if (!buf) return TCORE_ERR_NOMEM;
  size_t len = protobuf_c_message_pack(msg, buf);
  if (extra_len) {
    /* Field 2, length-delimited: protobuf allows fields in any order, so
     * the serialized payloads need no unpacking and packing again. */
    buf[len++] = (2 << 3) | 2;
    uint64_t v = extra_len;
    do {
      uint8_t byte = v & 0x7f;
      v >>= 7;
      buf[len++] = (uint8_t)(byte | (v ? 0x80 : 0));
    } while (v);
    memcpy(buf + len, extra, extra_len);
    len += extra_len;
  }
  int rc = tcore_worker_call(w, method, buf, len, 0, 0, total_ms, cb, user, out, NULL);
  if (buf != stack) free(buf);
  return rc;
}

int tcore_worker_call(tcore_worker *w, const char *method, const uint8_t *req, size_t len,
                      int64_t timeout_ms, int no_retry, int64_t total_ms, tcore_call_cb cb,
                      void *user, tcore_call **out, tcore_error *err) {
  static const char *const ns_key[] = {"temporal-namespace"};
  const uint8_t *ns_value[] = {(const uint8_t *)w->ns};
  size_t ns_len[] = {strlen(w->ns)};
  tcore_call_options opts = {0};
  opts.timeout_ms = timeout_ms;
  opts.no_retry = no_retry;
  if (total_ms > 0) {
    opts.total_timeout_ms = total_ms;
    opts.retry_until_total = 1;
  }
  if (w->own_ns) { /* replaces the connection's namespace header */
    opts.md_keys = ns_key;
    opts.md_values = ns_value;
    opts.md_value_lens = ns_len;
    opts.md_count = 1;
  }
  if (!w->client) /* a replay worker */
    return tcore_fail(err, TCORE_ERR_CLOSED, "a replay worker makes no calls");
  return tcore_client_call(w->client, method, req, len, &opts, cb, user, out, err);
}

/* Saturates rather than overflow: the bytes may say anything. */
static int64_t duration_ms(const Google__Protobuf__Duration *d) {
  if (!d) return 0;
  int64_t ms;
  if (__builtin_mul_overflow(d->seconds, 1000, &ms) ||
      __builtin_add_overflow(ms, d->nanos / 1000000, &ms))
    return d->seconds < 0 ? INT64_MIN : INT64_MAX;
  return ms;
}

int tcore_activity_task_decode(const uint8_t *data, size_t len, tcore_activity_task *t) {
  memset(t, 0, sizeof *t);
  if (!data && len) return TCORE_ERR_INVALID_ARGUMENT;
  t->msg = temporal__api__workflowservice__v1__poll_activity_task_queue_response__unpack(
      NULL, len, data);
  if (!t->msg) return TCORE_ERR_INVALID_ARGUMENT;
  t->token = t->msg->task_token.data;
  t->token_len = t->msg->task_token.len;
  t->heartbeat_timeout_ms = duration_ms(t->msg->heartbeat_timeout);
  return TCORE_OK;
}

void tcore_activity_task_clear(tcore_activity_task *t) {
  if (t->msg)
    temporal__api__workflowservice__v1__poll_activity_task_queue_response__free_unpacked(t->msg,
                                                                                          NULL);
  memset(t, 0, sizeof *t);
}

static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t tcore_act_close_deadline_ms(int64_t now_ms, int64_t now_wall_ms,
                                    int64_t start_to_close_ms, int64_t scheduled_wall_ms,
                                    int64_t schedule_to_close_ms) {
  /* The bytes may say anything: keep every term within a century so the sums
   * below (and the timer arithmetic on the result) cannot overflow. */
  const int64_t cap = 100LL * 366 * 24 * 3600 * 1000;
  if (start_to_close_ms > cap) start_to_close_ms = cap;
  if (schedule_to_close_ms > cap) schedule_to_close_ms = cap;
  if (scheduled_wall_ms > cap || scheduled_wall_ms < 0) scheduled_wall_ms = 0;
  int64_t d = 0;
  if (start_to_close_ms > 0) d = now_ms + start_to_close_ms; /* from receipt, as sdk-core */
  if (schedule_to_close_ms > 0 && scheduled_wall_ms > 0) {
    int64_t s = now_ms + (scheduled_wall_ms + schedule_to_close_ms - now_wall_ms);
    if (d == 0 || s < d) d = s;
  }
  return d;
}

/* When the local timeout of `a` is due (without the buffer); 0: never. */
static int64_t act_due_ms(const act *a) {
  int64_t due = a->close_deadline_ms;
  if (a->hb_timeout_ms > 0) {
    int64_t hb = a->last_beat_ms + a->hb_timeout_ms;
    if (due == 0 || hb < due) due = hb;
  }
  return due;
}

void tcore_act_arm_timeout_locked(act *a) {
  if (!a->in_table || a->timed_out) return;
  int64_t due = act_due_ms(a);
  if (due == 0) return;
  int64_t delay = due + a->w->timeout_buffer_ms - tcore_now_ms();
  tcore_wtimer_arm_locked(a->w, &a->timeout, &a->refs, delay > 0 ? delay : 0);
}

int64_t tcore_act_respond_total_ms(const act *a) {
  if (a->close_deadline_ms == 0) return 0;
  int64_t left = a->close_deadline_ms + a->w->timeout_buffer_ms - tcore_now_ms();
  return left > 1000 ? left : 1000;
}

/* The local timeout: the server has timed the attempt out by now. Tell the
 * activity (CANCEL "timed_out") and drop its completion. A heartbeat since
 * the timer was armed may have moved the deadline: then re-arm. */
static void act_timeout_fired(tcore_timer *t) {
  act *a = (act *)((char *)t - offsetof(act, timeout));
  tcore_worker *w = a->w;
  const char *deliver = NULL;
  pthread_mutex_lock(&w->mu);
  a->timeout.armed = 0;
  if (a->in_table && !a->timed_out) {
    int64_t due = act_due_ms(a);
    if (due && due + w->timeout_buffer_ms > tcore_now_ms()) {
      tcore_act_arm_timeout_locked(a);
    } else if (due) {
      a->timed_out = 1;
      free(a->pending);
      a->pending = NULL;
      a->has_pending = 0;
      if (!a->cancel_sent) {
        if (a->delivered) {
          a->cancel_sent = 1;
          deliver = "timed_out";
          a->refs++; /* for the delivery */
        } else {
          a->cancel_reason = "timed_out"; /* the task's delivery sends it */
        }
      }
    }
  }
  pthread_mutex_unlock(&w->mu);
  if (deliver) tcore_worker_emit(w, TCORE_WORKER_EVENT_CANCEL, a, NULL, 0, deliver);
  pthread_mutex_lock(&w->mu);
  if (deliver) tcore_act_unref_locked(a);
  tcore_act_unref_locked(a); /* the timer's */
  tcore_worker_step_locked(w, 1);
  tcore_worker_unlock(w);
}

void tcore_worker_cancel_calls_locked(tcore_worker *w) {
  if (w->wf_enabled) tcore_wf_cancel_calls_locked(w);
  for (act *a = w->live; a; a = a->lnext) {
    if (a->hb_call) tcore_call_cancel(a->hb_call);
    if (a->respond_call) tcore_call_cancel(a->respond_call);
  }
}

/* Saturates like duration_ms. */
static int64_t timestamp_ms(const Google__Protobuf__Timestamp *t) {
  if (!t) return 0;
  int64_t ms;
  if (__builtin_mul_overflow(t->seconds, 1000, &ms) ||
      __builtin_add_overflow(ms, t->nanos / 1000000, &ms))
    return t->seconds < 0 ? INT64_MIN : INT64_MAX;
  return ms;
}

/* Delivers a task, then the cancel that may have come for it meanwhile. The
 * caller holds a reference on `a` for this. Without `mu`. */
static void deliver_task(tcore_worker *w, act *a, const uint8_t *task, size_t len) {
  tcore_worker_emit(w, TCORE_WORKER_EVENT_TASK, a, task, len, NULL);
  pthread_mutex_lock(&w->mu);
  a->delivered = 1;
  const char *reason = NULL;
  if (a->cancel_reason && !a->cancel_sent && a->in_table) {
    reason = a->cancel_reason;
    a->cancel_sent = 1;
  }
  pthread_mutex_unlock(&w->mu);
  if (reason) tcore_worker_emit(w, TCORE_WORKER_EVENT_CANCEL, a, NULL, 0, reason);
}

/* ---- the activity task source ------------------------------------------------ */

static int act_take_locked(tcore_task_source *s, const tcore_call_result *r, void **out,
                           const char **warning) {
  tcore_worker *w = s->w;
  tcore_activity_task task = {0};
  if (tcore_activity_task_decode(r->response, r->response_len, &task) != TCORE_OK) {
    *warning = "a PollActivityTaskQueue response did not parse; polling on";
    return 0;
  }
  int64_t now = tcore_now_ms();
  if (task.token_len) {
    act *a = act_new(w, task.token, task.token_len, task.heartbeat_timeout_ms);
    if (a) {
      w->holds++;
      act_insert_locked(w, a);
      a->refs++; /* for the delivery */
      a->last_beat_ms = now;
      a->close_deadline_ms = tcore_act_close_deadline_ms(
          now, wall_ms(), duration_ms(task.msg->start_to_close_timeout),
          timestamp_ms(task.msg->scheduled_time), duration_ms(task.msg->schedule_to_close_timeout));
      tcore_act_arm_timeout_locked(a);
      if (w->phase >= PHASE_CANCELLING) {
        /* Shutdown is past its grace period: run it, cancelled at once. */
        a->cancel_reason = "worker_shutdown";
        if (w->phase == PHASE_DRAIN) {
          w->phase = PHASE_CANCELLING;
          w->deadline_ms = now + w->cancel_wait_ms;
        }
      }
      *out = a;
    } else {
      *warning = "out of memory: an activity task was dropped (the server will time it out)";
    }
  }
  tcore_activity_task_clear(&task);
  return 1;
}

static void act_deliver(tcore_task_source *s, void *task, const tcore_call_result *r) {
  deliver_task(s->w, task, r->response, r->response_len);
}

static void act_done_locked(tcore_task_source *s, void *task) {
  (void)s;
  tcore_act_unref_locked(task);
}

static int act_idle_locked(tcore_task_source *s) { return s->w->running == 0; }

/* ---- the worker -------------------------------------------------------------------- */

static size_t build_poll_request(tcore_worker *w, double tq_rate, uint8_t **out) {
  *out = NULL;
  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_ACTIVITY_TASK_QUEUE_REQUEST__INIT;
  Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
  Temporal__Api__Taskqueue__V1__TaskQueueMetadata md =
      TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE_METADATA__INIT;
  Google__Protobuf__DoubleValue rate = GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT;
  tq.name = w->task_queue;
  tq.kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
  req.namespace_ = w->ns;
  req.task_queue = &tq;
  req.identity = w->identity;
  req.worker_instance_key = w->instance_key;
  if (tq_rate > 0) {
    rate.value = tq_rate;
    md.max_tasks_per_second = &rate;
    req.task_queue_metadata = &md;
  }
  size_t n = temporal__api__workflowservice__v1__poll_activity_task_queue_request__get_packed_size(
      &req);
  *out = malloc(n ? n : 1);
  if (!*out) return 0;
  return temporal__api__workflowservice__v1__poll_activity_task_queue_request__pack(&req, *out);
}

static void worker_destroy(tcore_worker *w) {
  if (w->client) tcore_client_unref(w->client);
  free(w->ns), free(w->task_queue), free(w->identity), free(w->instance_key);
  tcore_source_free(&w->act_src);
  tcore_wf_destroy(w);
  free(w->buckets), free(w->fatal_message);
  free(w->fatal_details);
  free_strv(w->nd_fail_types, w->n_nd_fail_types);
  pthread_mutex_destroy(&w->mu);
  tcore_runtime *replay_rt = w->replay ? w->rt : NULL;
  free(w);
  /* Last: the runtime may be freed as soon as it is told. */
  if (replay_rt) tcore_runtime_client_removed(replay_rt);
}

/* The checks both constructors make; TCORE_OK or an error (err set). */
static int check_options(tcore_runtime *rt, const tcore_worker_options *o, int replay,
                         tcore_error *err) {
  if (!o->task_queue)
    return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "a task queue is required");
  if (!o->cb) return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "an event callback is required");
  if (!replay && o->no_activities && !o->workflows)
    return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT,
                      "a worker needs activities or workflows (or both) enabled");
  if (tcore_runtime_forked(rt))
    return tcore_fail(err, TCORE_ERR_FORKED,
                      "this %s was made before fork(); make a new one in the child process",
                      replay ? "runtime" : "client");
  return TCORE_OK;
}

/* A worker on `rt` from `o` (checked). `replay`: a replay worker (no
 * client: workflows only, no task sources). NULL when out of memory. */
static tcore_worker *worker_make(tcore_runtime *rt, const char *client_ns,
                                 const tcore_worker_options *o, int replay) {
  const tcore_wf_engine_ops *wf_ops = o->wf_ops ? o->wf_ops : tcore_wf_default_ops();
  tcore_worker *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  pthread_mutex_init(&w->mu, NULL);
  w->rt = rt;
  w->replay = replay;
  w->refs = 2; /* the user's, and the life cycle's (until shutdown is done) */
  w->max_slots = o->max_slots;
  w->grace_ms = o->grace_ms;
  w->cancel_wait_ms = o->cancel_wait_ms;
  w->timeout_buffer_ms = o->timeout_buffer_ms;
  w->event_cb = o->cb;
  w->event_user = o->user;
  w->backoff.t.fire = tcore_worker_backoff_fired;
  w->shutdown_timer.t.fire = tcore_worker_shutdown_fired;
  w->ns = tcore_strdup(o->ns ? o->ns : client_ns);
  w->own_ns = o->ns && strcmp(o->ns, client_ns) != 0;
  w->task_queue = tcore_strdup(o->task_queue);
  w->identity = o->identity ? tcore_strdup(o->identity) : default_identity();
  w->instance_key = new_instance_key();
  w->nbuckets = 16;
  while (w->nbuckets < (size_t)w->max_slots * 2 && w->nbuckets < 65536) w->nbuckets *= 2;
  w->buckets = calloc(w->nbuckets, sizeof *w->buckets);
  if (replay) w->sw_state = 2; /* no ShutdownWorker to send */
  int ok = 0;
  if (w->ns && w->task_queue && w->identity && w->instance_key && w->buckets) {
    uint8_t *req = NULL;
    size_t req_len = replay ? 0 : build_poll_request(w, o->tq_rate, &req);
    w->act_slots.running = &w->running;
    w->act_slots.max = o->max_slots;
    ok = replay ||
         (req && tcore_source_init(&w->act_src, w, "activity tasks", WS "PollActivityTaskQueue",
                                   req, req_len,
                                   o->max_polls < o->max_slots ? o->max_polls : o->max_slots,
                                   &w->act_slots) == TCORE_OK);
    if (!ok && !w->act_src.req) free(req);
    w->act_src.local_rate = o->local_rate;
    w->act_src.take_locked = act_take_locked;
    w->act_src.deliver = act_deliver;
    w->act_src.done_locked = act_done_locked;
    w->act_src.idle_locked = act_idle_locked;
    if (ok && o->no_activities) w->act_src.enabled = 0;
    if (ok && (o->workflows || replay)) {
      w->wf_enabled = 1;
      w->wf_ops = wf_ops;
      w->max_cached = o->max_cached;
      w->sticky_s2s_ms = o->sticky_s2s_ms;
      w->nd_fail_all = o->nd_fail_all;
      ok = copy_strv((const char *const *)o->nd_fail_types, o->n_nd_fail_types,
                     &w->nd_fail_types) == TCORE_OK;
      if (ok) w->n_nd_fail_types = o->n_nd_fail_types;
      ok = ok && tcore_wf_init(w, o->wf_polls, o->max_wft) == TCORE_OK;
    }
  }
  if (!ok) {
    w->replay = 0; /* not yet counted by the runtime */
    worker_destroy(w);
    return NULL;
  }
  return w;
}

int tcore_worker_new(tcore_client *c, const tcore_worker_options *o, tcore_worker **out,
                     tcore_error *err) {
  if (out) *out = NULL;
  if (!c || !o || !out)
    return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "a client, options and out are required");
  int rc = check_options(c->rt, o, 0, err);
  if (rc != TCORE_OK) return rc;
  tcore_worker *w = worker_make(c->rt, c->ns, o, 0);
  if (!w) return tcore_fail(err, TCORE_ERR_NOMEM, "out of memory");
  pthread_mutex_lock(&c->mu);
  int closed = c->closed;
  if (!closed) c->refs++;
  pthread_mutex_unlock(&c->mu);
  if (closed) {
    worker_destroy(w);
    return tcore_fail(err, TCORE_ERR_CLOSED, "the client is closed");
  }
  w->client = c;
  *out = w;
  return TCORE_OK;
}

int tcore_replay_worker_new(tcore_runtime *rt, const tcore_worker_options *o, tcore_worker **out,
                            tcore_error *err) {
  if (out) *out = NULL;
  if (!rt || !o || !out)
    return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "a runtime, options and out are required");
  int rc = check_options(rt, o, 1, err);
  if (rc != TCORE_OK) return rc;
  tcore_worker *w = worker_make(rt, "default", o, 1);
  if (!w) return tcore_fail(err, TCORE_ERR_NOMEM, "out of memory");
  tcore_runtime_client_added(rt); /* tcore_runtime_free waits for the worker */
  *out = w;
  return TCORE_OK;
}

int tcore_worker_start(tcore_worker *w) {
  if (!w) return TCORE_ERR_INVALID_ARGUMENT;
  pthread_mutex_lock(&w->mu);
  if (w->phase != PHASE_NEW) {
    pthread_mutex_unlock(&w->mu);
    return TCORE_ERR_CLOSED;
  }
  if (w->wf_enabled && tcore_wf_start_locked(w) != TCORE_OK) {
    pthread_mutex_unlock(&w->mu);
    return TCORE_ERR_INTERNAL;
  }
  w->phase = PHASE_RUNNING;
  w->started = 1;
  tcore_worker_pump_locked(w);
  tcore_worker_unlock(w);
  return TCORE_OK;
}

void tcore_worker_unlock(tcore_worker *w) {
  int finish = w->finish_due;
  w->finish_due = 0;
  tcore_worker_shutdown_cb cb = w->shutdown_cb;
  void *user = w->shutdown_user;
  pthread_mutex_unlock(&w->mu);
  if (finish) {
    if (cb) cb(user);
    tcore_worker_unref(w);
  }
}

void tcore_worker_unref(tcore_worker *w) {
  pthread_mutex_lock(&w->mu);
  int last = --w->refs == 0;
  pthread_mutex_unlock(&w->mu);
  if (last) worker_destroy(w);
}

void tcore_worker_free(tcore_worker *w) {
  if (!w) return;
  pthread_mutex_lock(&w->mu);
  w->event_cb = NULL;
  if (w->phase == PHASE_NEW) {
    w->phase = PHASE_DONE;
    w->refs--; /* no life cycle to wait for */
  } else if (w->phase == PHASE_RUNNING) {
    tcore_worker_begin_shutdown_locked(w, NULL, NULL);
    tcore_worker_step_locked(w, 0);
  }
  tcore_worker_unlock(w);
  tcore_worker_unref(w);
}

/* ---- completions ---------------------------------------------------------------------- */

int tcore_worker_complete(tcore_worker *w, const uint8_t *token, size_t token_len, int kind,
                          const uint8_t *data, size_t data_len) {
  if (!w || !token || !token_len || (!data && data_len) || kind < TCORE_COMPLETION_COMPLETED ||
      kind > TCORE_COMPLETION_WILL_COMPLETE_ASYNC ||
      (kind == TCORE_COMPLETION_WILL_COMPLETE_ASYNC && data_len))
    return TCORE_ERR_INVALID_ARGUMENT;
  if (tcore_la_is_token(token, token_len)) return tcore_la_complete(w, token, kind, data, data_len);
  uint8_t *copy = NULL;
  if (data_len) {
    copy = malloc(data_len);
    if (!copy) return TCORE_ERR_NOMEM;
    memcpy(copy, data, data_len);
  }
  pthread_mutex_lock(&w->mu);
  act *a = tcore_act_find_locked(w, token, token_len);
  if (!a) {
    pthread_mutex_unlock(&w->mu);
    free(copy);
    return TCORE_ERR_NOT_FOUND;
  }
  tcore_act_remove_locked(w, a);
  a->completed = 1;
  a->kind = kind;
  a->result = copy;
  a->result_len = data_len;
  if (kind == TCORE_COMPLETION_COMPLETED || kind == TCORE_COMPLETION_WILL_COMPLETE_ASYNC) {
    /* no flush needed: drop unsent details */
    free(a->pending);
    a->pending = NULL;
    a->has_pending = 0;
  }
  if (kind == TCORE_COMPLETION_COMPLETED) a->completed_len = data_len;
  tcore_wtimer_cancel_locked(w, &a->throttle, &a->refs);
  tcore_wtimer_cancel_locked(w, &a->timeout, &a->refs);
  tcore_act_progress_locked(a);
  tcore_act_unref_locked(a); /* the table's */
  tcore_worker_pump_locked(w);
  tcore_worker_step_locked(w, 0);
  tcore_worker_unlock(w);
  return TCORE_OK;
}
