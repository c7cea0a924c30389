/* heartbeat.c: heartbeat throttling, cancellation from heartbeat responses,
 * and the Respond* call that ends an activity.
 *
 * Per activity: at most one RecordActivityTaskHeartbeat in flight; the
 * first heartbeat goes at once, later ones no sooner than the throttle
 * interval after the previous one, carrying the latest details (older
 * pending details are replaced). A failed or cancelled completion first
 * waits for the heartbeat in flight and sends the pending details, so the
 * next attempt sees them; a successful one goes at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "worker.h"

#define WS "/temporal.api.workflowservice.v1.WorkflowService/"
#define DEFAULT_THROTTLE_MS 30000
#define MAX_THROTTLE_MS 60000

int64_t tcore_heartbeat_throttle_ms(int64_t heartbeat_timeout_ms) {
  if (heartbeat_timeout_ms <= 0) return DEFAULT_THROTTLE_MS;
  if (heartbeat_timeout_ms >= MAX_THROTTLE_MS / 4 * 5) return MAX_THROTTLE_MS; /* no overflow */
  int64_t t = heartbeat_timeout_ms * 4 / 5;
  return t < MAX_THROTTLE_MS ? t : MAX_THROTTLE_MS;
}

/* ---- heartbeats ------------------------------------------------------------ */

static void on_heartbeat_done(void *user, const tcore_call_result *r);

static void send_heartbeat_locked(act *a) {
  tcore_worker *w = a->w;
  uint8_t *details = a->pending;
  size_t len = a->pending_len;
  a->pending = NULL;
  a->pending_len = 0;
  a->has_pending = 0;
  Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__RECORD_ACTIVITY_TASK_HEARTBEAT_REQUEST__INIT;
  req.task_token.data = a->token;
  req.task_token.len = a->token_len;
  req.identity = w->identity;
  req.namespace_ = w->ns;
  a->hb_in_flight = 1;
  a->last_hb_ms = tcore_now_ms();
  a->refs++;
  /* The flush before a failed completion retries as long as the completion may. */
  int64_t total = a->completed ? tcore_act_respond_total_ms(a) : 0;
  if (tcore_worker_send(w, WS "RecordActivityTaskHeartbeat", &req.base, details, len, total,
                        on_heartbeat_done, a, &a->hb_call) != TCORE_OK) {
    a->hb_in_flight = 0; /* the client is closed: nothing more can be sent */
    a->refs--;
  }
  free(details);
}

/* Cancel comes before reset, reset before pause (as the other SDKs). */
const char *tcore_heartbeat_cancel_reason(const uint8_t *data, size_t len) {
  if (!data && len) return NULL;
  Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatResponse *resp =
      temporal__api__workflowservice__v1__record_activity_task_heartbeat_response__unpack(
          NULL, len, data);
  if (!resp) return NULL;
  const char *reason = resp->cancel_requested ? "cancel_requested"
                       : resp->activity_reset ? "reset"
                       : resp->activity_paused ? "paused"
                                               : NULL;
  temporal__api__workflowservice__v1__record_activity_task_heartbeat_response__free_unpacked(resp,
                                                                                             NULL);
  return reason;
}

/* Which cancel a heartbeat's answer asks for, if any. */
static const char *cancel_reason(const tcore_call_result *r) {
  if (r->status == TCORE_STATUS_NOT_FOUND) return "not_found";
  if (r->status != TCORE_STATUS_OK) return NULL;
  return tcore_heartbeat_cancel_reason(r->response, r->response_len);
}

static void on_heartbeat_done(void *user, const tcore_call_result *r) {
  act *a = user;
  tcore_worker *w = a->w;
  const char *reason = cancel_reason(r);
  const char *deliver = NULL;
  pthread_mutex_lock(&w->mu);
  a->hb_in_flight = 0;
  tcore_call *call = a->hb_call;
  a->hb_call = NULL;
  if (r->status == TCORE_STATUS_NOT_FOUND) {
    a->not_found = 1;
    free(a->pending);
    a->pending = NULL;
    a->has_pending = 0;
  }
  if (reason && !a->cancel_sent && a->in_table) {
    if (a->delivered) {
      a->cancel_sent = 1;
      deliver = reason;
    } else {
      a->cancel_reason = reason; /* the task's delivery sends it */
    }
  }
  tcore_act_progress_locked(a);
  pthread_mutex_unlock(&w->mu);

  tcore_call_release(call);
  if (deliver) tcore_worker_emit(w, TCORE_WORKER_EVENT_CANCEL, a, NULL, 0, deliver);

  pthread_mutex_lock(&w->mu);
  tcore_act_unref_locked(a); /* the call's */
  tcore_worker_step_locked(w, 1);
  tcore_worker_unlock(w);
}

void tcore_act_throttle_fired(tcore_timer *t) {
  act *a = (act *)((char *)t - offsetof(act, throttle));
  tcore_worker *w = a->w;
  pthread_mutex_lock(&w->mu);
  a->throttle.armed = 0;
  tcore_act_progress_locked(a);
  tcore_act_unref_locked(a); /* the timer's */
  tcore_worker_step_locked(w, 1);
  tcore_worker_unlock(w);
}

int tcore_worker_heartbeat(tcore_worker *w, const uint8_t *token, size_t token_len,
                           const uint8_t *details, size_t details_len) {
  if (!w || !token || !token_len || (!details && details_len)) return TCORE_ERR_INVALID_ARGUMENT;
  if (tcore_la_is_token(token, token_len)) return TCORE_OK; /* local: nothing to send */
  uint8_t *copy = malloc(details_len ? details_len : 1);
  if (!copy) return TCORE_ERR_NOMEM;
  if (details_len) memcpy(copy, details, details_len);
  pthread_mutex_lock(&w->mu);
  act *a = tcore_act_find_locked(w, token, token_len);
  if (!a) {
    pthread_mutex_unlock(&w->mu);
    free(copy);
    return TCORE_ERR_NOT_FOUND;
  }
  a->last_beat_ms = tcore_now_ms(); /* moves the local heartbeat timeout */
  if (a->not_found || a->timed_out) { /* the server has forgotten it: nothing to send */
    pthread_mutex_unlock(&w->mu);
    free(copy);
    return TCORE_OK;
  }
  free(a->pending);
  a->pending = copy;
  a->pending_len = details_len;
  a->has_pending = 1;
  tcore_act_progress_locked(a);
  pthread_mutex_unlock(&w->mu);
  return TCORE_OK;
}

/* ---- the Respond* call ------------------------------------------------------------ */

static void send_respond_locked(act *a);

int tcore_result_too_large(int status, const char *message) {
  if (!message) return 0;
  if (status == TCORE_STATUS_RESOURCE_EXHAUSTED) return strstr(message, "larger than max") != NULL;
  if (status == TCORE_STATUS_INVALID_ARGUMENT)
    return strstr(message, "size limit") != NULL || strstr(message, "larger than max") != NULL ||
           strstr(message, "too large") != NULL;
  return 0;
}

/* A serialized Failure: the result was too large for the server; not
 * retryable (the same result would be refused again). NULL: out of memory. */
static uint8_t *too_large_failure(const act *a, const char *server_message, size_t *len) {
  char msg[700];
  snprintf(msg, sizeof msg,
           "the activity's result (%zu bytes serialized) is larger than the server accepts "
           "(its payload size limit, by default 2 MiB per payload and 4 MiB per gRPC "
           "message); the server said: %s",
           a->completed_len, server_message ? server_message : "");
  Temporal__Api__Failure__V1__Failure f = TEMPORAL__API__FAILURE__V1__FAILURE__INIT;
  Temporal__Api__Failure__V1__ApplicationFailureInfo info =
      TEMPORAL__API__FAILURE__V1__APPLICATION_FAILURE_INFO__INIT;
  info.type = "GrpcMessageTooLarge";
  info.non_retryable = 1;
  f.message = msg;
  f.failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO;
  f.application_failure_info = &info;
  size_t n = temporal__api__failure__v1__failure__get_packed_size(&f);
  uint8_t *buf = malloc(n ? n : 1);
  if (buf) *len = temporal__api__failure__v1__failure__pack(&f, buf);
  return buf;
}

static void on_respond_done(void *user, const tcore_call_result *r) {
  act *a = user;
  tcore_worker *w = a->w;
  static const char *names[] = {"", "RespondActivityTaskCompleted", "RespondActivityTaskFailed",
                                "RespondActivityTaskCanceled"};
  pthread_mutex_lock(&w->mu);
  tcore_call *call = a->respond_call;
  a->respond_call = NULL;
  int kind = a->kind, failed_instead = 0;
  if (r->status != TCORE_STATUS_OK && kind == TCORE_COMPLETION_COMPLETED && !a->too_large &&
      tcore_result_too_large(r->status, r->message)) {
    /* Fail the attempt at once, visibly, instead of letting it time out. */
    size_t n = 0;
    uint8_t *failure = too_large_failure(a, r->message, &n);
    if (failure) {
      a->too_large = 1;
      a->kind = TCORE_COMPLETION_FAILED;
      free(a->result);
      a->result = failure;
      a->result_len = n;
      send_respond_locked(a);
      failed_instead = 1;
    }
  }
  pthread_mutex_unlock(&w->mu);
  tcore_call_release(call);
  if (r->status != TCORE_STATUS_OK) {
    char buf[900];
    snprintf(buf, sizeof buf, "%s failed (status %d: %s)%s", names[kind], r->status, r->message,
             failed_instead ? "; the attempt is failed instead (non-retryable "
                              "GrpcMessageTooLarge)"
                            : "");
    tcore_worker_emit(w, TCORE_WORKER_EVENT_WARNING, a, NULL, 0, buf);
  }
  pthread_mutex_lock(&w->mu);
  tcore_act_unref_locked(a); /* the call's */
  tcore_worker_step_locked(w, 1);
  tcore_worker_unlock(w);
}

static void send_respond_locked(act *a) {
  tcore_worker *w = a->w;
  a->respond_sent = 1;
  ProtobufCBinaryData token = {a->token_len, a->token};
  const char *method;
  int rc;
  int64_t total = tcore_act_respond_total_ms(a); /* retried until the task's own deadline */
  a->refs++;
  /* Each request is its fixed fields plus field 2: result / failure / details. */
  if (a->kind == TCORE_COMPLETION_COMPLETED) {
    Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_COMPLETED_REQUEST__INIT;
    req.task_token = token, req.identity = w->identity, req.namespace_ = w->ns;
    method = WS "RespondActivityTaskCompleted";
    rc = tcore_worker_send(w, method, &req.base, a->result, a->result_len, total,
                           on_respond_done, a, &a->respond_call);
  } else if (a->kind == TCORE_COMPLETION_FAILED) {
    Temporal__Api__Workflowservice__V1__RespondActivityTaskFailedRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_FAILED_REQUEST__INIT;
    req.task_token = token, req.identity = w->identity, req.namespace_ = w->ns;
    method = WS "RespondActivityTaskFailed";
    rc = tcore_worker_send(w, method, &req.base, a->result, a->result_len, total,
                           on_respond_done, a, &a->respond_call);
  } else {
    Temporal__Api__Workflowservice__V1__RespondActivityTaskCanceledRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_CANCELED_REQUEST__INIT;
    req.task_token = token, req.identity = w->identity, req.namespace_ = w->ns;
    method = WS "RespondActivityTaskCanceled";
    rc = tcore_worker_send(w, method, &req.base, a->result, a->result_len, total,
                           on_respond_done, a, &a->respond_call);
  }
  if (rc != TCORE_OK) a->refs--; /* the client is closed: the server times the task out */
  free(a->result);
  a->result = NULL;
  a->result_len = 0;
}

/* ---- moving an activity on ------------------------------------------------------------ */

void tcore_act_progress_locked(act *a) {
  if (a->completed) {
    if (a->respond_sent) return;
    /* The server has forgotten it, or another process will respond: report nothing. */
    if (a->not_found || a->timed_out || a->kind == TCORE_COMPLETION_WILL_COMPLETE_ASYNC) {
      a->respond_sent = 1;
      free(a->result);
      a->result = NULL;
      return;
    }
    if (a->kind != TCORE_COMPLETION_COMPLETED) {
      if (a->hb_in_flight) return; /* its response moves us on */
      if (a->has_pending) {
        send_heartbeat_locked(a); /* flush first */
        if (a->hb_in_flight) return;
      }
    }
    send_respond_locked(a);
    return;
  }
  if (!a->in_table || a->hb_in_flight || a->throttle.armed || !a->has_pending) return;
  int64_t wait = a->last_hb_ms ? a->last_hb_ms + a->throttle_ms - tcore_now_ms() : 0;
  if (wait <= 0) send_heartbeat_locked(a);
  else tcore_wtimer_arm_locked(a->w, &a->throttle, &a->refs, wait);
}
