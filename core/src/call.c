/* call.c: a unary call with retries.
 *
 * Each attempt is one grpc_call with one batch of the six client ops. When an
 * attempt fails with a retryable status and the policy allows, the attempt is
 * dropped and a timer starts the next one. All call state is guarded by the
 * client's lock; the user's callback always runs without it.
 */
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/compression.h>
#include <grpc/support/alloc.h>

#include "client.h"

struct tcore_call {
  tcore_op op;
  tcore_client *client;
  grpc_slice method, request;
  int64_t timeout_ms, total_ms; /* per attempt; whole call (0: unbounded) */
  int no_retry, retry_until_total;
  size_t n_md;
  grpc_metadata *md; /* this call's own headers */
  tcore_call_cb cb;
  void *user;
  int refs; /* one for the core until the callback ran, one for a handle */
  int cancelled, finished, attempts;
  int64_t start_ms;
  tcore_timer timer;
  struct tcore_call *prev, *next;
  /* the current attempt */
  grpc_call *gcall;
  tcore_md_set *set;
  grpc_metadata *send_md;
  grpc_byte_buffer *send_buf, *recv_buf;
  grpc_metadata_array recv_init, recv_trail;
  grpc_status_code status;
  grpc_slice status_message;
  const char *error_string;
};

static void call_done(tcore_op *op, int success);
static void call_timer_fired(tcore_timer *t);

static void call_free(tcore_call *call) {
  grpc_slice_unref(call->method);
  grpc_slice_unref(call->request);
  for (size_t i = 0; i < call->n_md; i++) {
    grpc_slice_unref(call->md[i].key);
    grpc_slice_unref(call->md[i].value);
  }
  free(call->md);
  tcore_client *c = call->client;
  free(call);
  tcore_client_unref(c);
}

/* Drops one reference; called with the client's lock held. Returns 1 when
 * the call must be freed (after unlocking). */
static int call_unref_locked(tcore_call *call) { return --call->refs == 0; }

/* Frees what one attempt used. With the lock held. */
static void attempt_cleanup_locked(tcore_call *call) {
  if (call->gcall) grpc_call_unref(call->gcall);
  call->gcall = NULL;
  if (call->send_buf) grpc_byte_buffer_destroy(call->send_buf);
  if (call->recv_buf) grpc_byte_buffer_destroy(call->recv_buf);
  call->send_buf = call->recv_buf = NULL;
  grpc_metadata_array_destroy(&call->recv_init);
  grpc_metadata_array_destroy(&call->recv_trail);
  grpc_slice_unref(call->status_message);
  call->status_message = grpc_empty_slice();
  if (call->error_string) gpr_free((void *)call->error_string);
  call->error_string = NULL;
  free(call->send_md);
  call->send_md = NULL;
  tcore_md_set_unref_locked(call->set);
  call->set = NULL;
}

/* Starts an attempt. With the lock held. Returns a grpc_call_error. */
static grpc_call_error attempt_start_locked(tcore_call *call) {
  tcore_client *c = call->client;
  call->attempts++;
  call->set = c->md;
  call->set->refs++;
  size_t n = call->set->n + call->n_md + 1;
  call->send_md = malloc(n * sizeof *call->send_md);
  if (!call->send_md) return GRPC_CALL_ERROR;
  /* The call's own headers first; a client header with the same key (e.g.
   * temporal-namespace for a client of another namespace) is replaced. */
  if (call->n_md) memcpy(call->send_md, call->md, call->n_md * sizeof *call->md);
  n = call->n_md;
  for (size_t i = 0; i < call->set->n; i++) {
    int replaced = 0;
    for (size_t j = 0; j < call->n_md && !replaced; j++)
      replaced = grpc_slice_eq(call->set->md[i].key, call->md[j].key);
    if (!replaced) call->send_md[n++] = call->set->md[i];
  }
  if (c->gzip_min_bytes > 0 && GRPC_SLICE_LENGTH(call->request) >= (size_t)c->gzip_min_bytes) {
    /* Tells grpc's compression filter to gzip this call's request. */
    call->send_md[n].key = grpc_slice_from_static_string(GRPC_COMPRESSION_REQUEST_ALGORITHM_MD_KEY);
    call->send_md[n++].value = grpc_slice_from_static_string("gzip");
  }
  int64_t attempt_ms = call->timeout_ms;
  if (call->total_ms > 0) {
    int64_t left = call->start_ms + call->total_ms - tcore_now_ms();
    if (left < attempt_ms) attempt_ms = left > 1 ? left : 1; /* ends DEADLINE_EXCEEDED */
  }
  gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                       gpr_time_from_millis(attempt_ms, GPR_TIMESPAN));
  call->gcall = grpc_channel_create_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, c->rt->cq,
                                         call->method, NULL, deadline, NULL);
  if (!call->gcall) return GRPC_CALL_ERROR;
  call->send_buf = grpc_raw_byte_buffer_create(&call->request, 1);
  grpc_metadata_array_init(&call->recv_init);
  grpc_metadata_array_init(&call->recv_trail);
  grpc_op ops[6];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].data.send_initial_metadata.count = n;
  ops[0].data.send_initial_metadata.metadata = call->send_md;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = call->send_buf;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &call->recv_init;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &call->recv_buf;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &call->recv_trail;
  ops[5].data.recv_status_on_client.status = &call->status;
  ops[5].data.recv_status_on_client.status_details = &call->status_message;
  ops[5].data.recv_status_on_client.error_string = &call->error_string;
  call->op.done = call_done;
  grpc_call_error e = grpc_call_start_batch(call->gcall, ops, 6, &call->op, NULL);
  if (e == GRPC_CALL_OK && call->cancelled) grpc_call_cancel(call->gcall, NULL);
  return e;
}

/* Runs the user's callback (no lock held), then lets the call go. */
static void call_finish(tcore_call *call, tcore_call_result *res) {
  call->cb(call->user, res);
  tcore_client *c = call->client;
  pthread_mutex_lock(&c->mu);
  attempt_cleanup_locked(call);
  int last = call_unref_locked(call);
  pthread_mutex_unlock(&c->mu);
  if (last) call_free(call);
}

static void finish_with(tcore_call *call, int status, const char *message) {
  tcore_call_result res = {0};
  res.status = status;
  res.message = message;
  res.attempts = call->attempts;
  call_finish(call, &res);
}

/* Marks the call finished and takes it off the client's list. Lock held. */
static void mark_finished_locked(tcore_call *call) {
  call->finished = 1;
  tcore_client *c = call->client;
  if (call->prev) call->prev->next = call->next;
  else if (c->calls == call) c->calls = call->next;
  if (call->next) call->next->prev = call->prev;
  call->prev = call->next = NULL;
}

static void call_done(tcore_op *op, int success) {
  tcore_call *call = (tcore_call *)op;
  tcore_client *c = call->client;
  int status = success ? (int)call->status : TCORE_STATUS_INTERNAL;
  char *message = grpc_slice_to_c_string(call->status_message);

  pthread_mutex_lock(&c->mu);
  if (status != TCORE_STATUS_OK && !call->no_retry && !call->cancelled && !c->closed &&
      (call->retry_until_total || call->attempts <= c->retry.max_retries) &&
      tcore_status_is_retryable(status, message)) {
    int64_t delay = tcore_retry_backoff_ms(&c->retry, call->attempts, status);
    delay = (int64_t)((double)delay * (1.0 + c->retry.jitter * (2.0 * tcore_random_unit() - 1.0)));
    int64_t elapsed = tcore_now_ms() - call->start_ms;
    int within_policy = call->retry_until_total || c->retry.max_elapsed_ms == 0 ||
                        elapsed + delay <= c->retry.max_elapsed_ms;
    int within_total = call->total_ms == 0 || elapsed + delay < call->total_ms;
    if (within_policy && within_total) {
      attempt_cleanup_locked(call);
      tcore_timer_start(c->rt, &call->timer, delay);
      pthread_mutex_unlock(&c->mu);
      gpr_free(message);
      return;
    }
  }
  mark_finished_locked(call);
  pthread_mutex_unlock(&c->mu);

  tcore_call_result res = {0};
  res.status = status;
  res.message = message ? message : "";
  res.attempts = call->attempts;
  if (status == TCORE_STATUS_OK && call->recv_buf) {
    grpc_byte_buffer_reader reader;
    grpc_slice body = grpc_empty_slice();
    if (grpc_byte_buffer_reader_init(&reader, call->recv_buf)) {
      body = grpc_byte_buffer_reader_readall(&reader);
      grpc_byte_buffer_reader_destroy(&reader);
    }
    res.response = GRPC_SLICE_START_PTR(body);
    res.response_len = GRPC_SLICE_LENGTH(body);
    call_finish(call, &res);
    grpc_slice_unref(body);
  } else {
    for (size_t i = 0; i < call->recv_trail.count; i++) {
      if (grpc_slice_str_cmp(call->recv_trail.metadata[i].key, "grpc-status-details-bin") == 0) {
        res.details = GRPC_SLICE_START_PTR(call->recv_trail.metadata[i].value);
        res.details_len = GRPC_SLICE_LENGTH(call->recv_trail.metadata[i].value);
      }
    }
    call_finish(call, &res);
  }
  gpr_free(message);
}

static void call_timer_fired(tcore_timer *t) {
  tcore_call *call = (tcore_call *)((char *)t - offsetof(tcore_call, timer));
  tcore_client *c = call->client;
  pthread_mutex_lock(&c->mu);
  if (!call->cancelled && !c->closed) {
    grpc_call_error e = attempt_start_locked(call);
    if (e == GRPC_CALL_OK) {
      pthread_mutex_unlock(&c->mu);
      return;
    }
  }
  mark_finished_locked(call);
  pthread_mutex_unlock(&c->mu);
  finish_with(call, TCORE_STATUS_CANCELLED, "call cancelled");
}

static int copy_call_md(tcore_call *call, const tcore_call_options *o, tcore_error *err) {
  if (!o || !o->md_count) return TCORE_OK;
  call->md = calloc(o->md_count, sizeof *call->md);
  if (!call->md) return tcore_fail(err, TCORE_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < o->md_count; i++) {
    const char *k = o->md_keys[i];
    if (!tcore_md_key_valid(k) || !tcore_md_value_valid(k, o->md_values[i], o->md_value_lens[i]))
      return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT,
                        "metadata '%s' is not a valid header (lowercase key, printable value)", k);
    call->md[i].key = grpc_slice_from_copied_string(k);
    call->md[i].value =
        grpc_slice_from_copied_buffer((const char *)o->md_values[i], o->md_value_lens[i]);
    call->n_md++;
  }
  return TCORE_OK;
}

int tcore_client_call(tcore_client *c, const char *method, const uint8_t *request,
                      size_t request_len, const tcore_call_options *opts, tcore_call_cb cb,
                      void *user, tcore_call **out, tcore_error *err) {
  if (out) *out = NULL;
  if (!c || !method || method[0] != '/' || !cb || (!request && request_len))
    return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT,
                      "a client, a method '/package.Service/Method' and a callback are required");
  if (opts && opts->retry_until_total && opts->total_timeout_ms <= 0)
    return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT,
                      "retry_until_total needs a total_timeout_ms > 0");
  if (tcore_runtime_forked(c->rt))
    return tcore_fail(err, TCORE_ERR_FORKED,
                      "this client was made before fork(); make a new one in the child process");
  tcore_call *call = calloc(1, sizeof *call);
  if (!call) return tcore_fail(err, TCORE_ERR_NOMEM, "out of memory");
  call->method = grpc_slice_from_copied_string(method);
  call->request = grpc_slice_from_copied_buffer((const char *)request, request_len);
  call->status_message = grpc_empty_slice();
  call->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
  call->no_retry = opts ? opts->no_retry : 0;
  call->total_ms = opts && opts->total_timeout_ms > 0 ? opts->total_timeout_ms : 0;
  call->retry_until_total = opts ? opts->retry_until_total : 0;
  call->cb = cb;
  call->user = user;
  call->refs = out ? 2 : 1;
  call->timer.fire = call_timer_fired;
  call->start_ms = tcore_now_ms();
  call->client = c;
  int rc = copy_call_md(call, opts, err);

  pthread_mutex_lock(&c->mu);
  c->refs++;
  if (rc == TCORE_OK && c->closed) rc = tcore_fail(err, TCORE_ERR_CLOSED, "the client is closed");
  if (rc == TCORE_OK) {
    grpc_call_error e = attempt_start_locked(call);
    if (e != GRPC_CALL_OK) {
      attempt_cleanup_locked(call);
      rc = tcore_fail(err, TCORE_ERR_INTERNAL, "grpc refused the call (error %d)", (int)e);
    }
  }
  if (rc != TCORE_OK) {
    pthread_mutex_unlock(&c->mu);
    call_free(call);
    return rc;
  }
  call->next = c->calls;
  if (c->calls) c->calls->prev = call;
  c->calls = call;
  pthread_mutex_unlock(&c->mu);
  if (out) *out = call;
  return TCORE_OK;
}

static void call_cancel_locked(tcore_call *call) {
  if (call->finished || call->cancelled) return;
  call->cancelled = 1;
  if (call->gcall) {
    grpc_call_cancel(call->gcall, NULL);
  } else if (tcore_timer_cancel(call->client->rt, &call->timer)) {
    /* Waiting to retry: finish now, on the timer thread. */
    tcore_timer_start(call->client->rt, &call->timer, 0);
  }
}

void tcore_call_cancel(tcore_call *call) {
  if (!call) return;
  pthread_mutex_lock(&call->client->mu);
  call_cancel_locked(call);
  pthread_mutex_unlock(&call->client->mu);
}

void tcore_call_release(tcore_call *call) {
  if (!call) return;
  tcore_client *c = call->client;
  pthread_mutex_lock(&c->mu);
  int last = call_unref_locked(call);
  pthread_mutex_unlock(&c->mu);
  if (last) call_free(call);
}

void tcore_calls_cancel_all(tcore_client *c) {
  pthread_mutex_lock(&c->mu);
  for (tcore_call *call = c->calls; call; call = call->next) call_cancel_locked(call);
  pthread_mutex_unlock(&c->mu);
}
