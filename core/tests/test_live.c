/* test_live.c: the transport against a real Temporal dev server.
 * TEMPORAL_TEST_TARGET=host:port names the server; without it the test
 * reports itself skipped (scripts/test always sets it). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

#define WS "/temporal.api.workflowservice.v1.WorkflowService/"

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done, status, attempts;
  char message[512];
  uint8_t body[65536];
  size_t body_len;
  char detail_urls[512];
} outcome;

static void on_detail(void *user, const char *url, size_t n, const uint8_t *v, size_t len) {
  outcome *o = user;
  (void)v, (void)len;
  strncat(o->detail_urls, url, n < 200 ? n : 200);
  strcat(o->detail_urls, ";");
}

static void on_done(void *user, const tcore_call_result *r) {
  outcome *o = user;
  pthread_mutex_lock(&o->mu);
  o->status = r->status;
  o->attempts = r->attempts;
  snprintf(o->message, sizeof o->message, "%s", r->message);
  if (r->response_len && r->response_len <= sizeof o->body) {
    memcpy(o->body, r->response, r->response_len);
    o->body_len = r->response_len;
  }
  tcore_status_details_parse(r->details, r->details_len, on_detail, o);
  o->done = 1;
  pthread_cond_signal(&o->cv);
  pthread_mutex_unlock(&o->mu);
}

static void outcome_init(outcome *o) {
  memset(o, 0, sizeof *o);
  pthread_mutex_init(&o->mu, NULL);
  pthread_cond_init(&o->cv, NULL);
}

static void outcome_wait(outcome *o) {
  pthread_mutex_lock(&o->mu);
  while (!o->done) pthread_cond_wait(&o->cv, &o->mu);
  pthread_mutex_unlock(&o->mu);
}


static tcore_runtime *rt;
static const char *target;

static tcore_client *make_client(const char *tgt, const tcore_retry_config *retry) {
  tcore_client_options *o;
  tcore_client_options_new(&o);
  tcore_client_options_set_target(o, tgt);
  if (retry) tcore_client_options_set_retry(o, retry);
  tcore_client *c = NULL;
  tcore_error err;
  if (tcore_client_new(rt, o, &c, &err) != TCORE_OK) fprintf(stderr, "client: %s\n", err.message);
  tcore_client_options_free(o);
  return c;
}

/* Runs one call to completion. */
static void call(tcore_client *c, const char *method, const uint8_t *req, size_t len,
                 int64_t timeout_ms, outcome *o) {
  outcome_init(o);
  tcore_call_options opts = {0};
  opts.timeout_ms = timeout_ms;
  int rc = tcore_client_call(c, method, req, len, &opts, on_done, o, NULL, NULL);
  CHECK(rc == TCORE_OK);
  if (rc == TCORE_OK) outcome_wait(o);
}

static void test_get_system_info(void) {
  tcore_client *c = make_client(target, NULL);
  outcome o;
  call(c, WS "GetSystemInfo", NULL, 0, 0, &o);
  CHECK(o.status == 0 && o.attempts >= 1);
  Temporal__Api__Workflowservice__V1__GetSystemInfoResponse *r =
      temporal__api__workflowservice__v1__get_system_info_response__unpack(NULL, o.body_len, o.body);
  CHECK(r != NULL && r->capabilities != NULL && r->server_version && *r->server_version);
  if (r) temporal__api__workflowservice__v1__get_system_info_response__free_unpacked(r, NULL);
  tcore_client_free(c);
}

static void test_missing_namespace_is_not_found_with_details(void) {
  tcore_client *c = make_client(target, NULL);
  Temporal__Api__Workflowservice__V1__DescribeNamespaceRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_NAMESPACE_REQUEST__INIT;
  req.namespace_ = "no-such-namespace-xyz";
  uint8_t buf[256];
  size_t len = temporal__api__workflowservice__v1__describe_namespace_request__pack(&req, buf);
  outcome o;
  call(c, WS "DescribeNamespace", buf, len, 0, &o);
  CHECK(o.status == TCORE_STATUS_NOT_FOUND);
  CHECK(o.attempts == 1);
  CHECK(strstr(o.message, "no-such-namespace-xyz") != NULL);
  CHECK(strstr(o.detail_urls, "temporal.api.errordetails.v1.NamespaceNotFoundFailure") != NULL);
  tcore_client_free(c);
}

static void test_invalid_argument_is_not_retried(void) {
  tcore_client *c = make_client(target, NULL);
  outcome o;
  call(c, WS "StartWorkflowExecution", NULL, 0, 0, &o); /* no namespace, no id */
  CHECK(o.status == TCORE_STATUS_INVALID_ARGUMENT || o.status == TCORE_STATUS_NOT_FOUND);
  CHECK(o.attempts == 1);
  tcore_client_free(c);
}


static void test_closed_port_retries_then_fails_unavailable_within_budget(void) {
  char tgt[64];
  snprintf(tgt, sizeof tgt, "127.0.0.1:%d", closed_port());
  tcore_retry_config retry;
  tcore_retry_config_default(&retry);
  retry.max_elapsed_ms = 1500;
  tcore_client *c = make_client(tgt, &retry);
  int64_t t0 = tcore_now_ms();
  outcome o;
  call(c, WS "GetSystemInfo", NULL, 0, 0, &o);
  int64_t took = tcore_now_ms() - t0;
  CHECK(o.status == TCORE_STATUS_UNAVAILABLE);
  CHECK(o.attempts > 1);
  CHECK(took < 3000);
  tcore_client_free(c);
}

/* A call with a total timeout: the retries stop in time, whatever the policy. */
static void test_total_timeout_bounds_the_retries(void) {
  char tgt[64];
  snprintf(tgt, sizeof tgt, "127.0.0.1:%d", closed_port());
  tcore_retry_config retry;
  tcore_retry_config_default(&retry);
  retry.max_elapsed_ms = 0; /* the policy alone would retry 10 times */
  retry.initial_interval_ms = 200;
  retry.multiplier = 1.0;
  tcore_client *c = make_client(tgt, &retry);
  outcome o;
  outcome_init(&o);
  tcore_call_options opts = {0};
  opts.total_timeout_ms = 700;
  int64_t t0 = tcore_now_ms();
  CHECK(tcore_client_call(c, WS "GetSystemInfo", NULL, 0, &opts, on_done, &o, NULL, NULL) ==
        TCORE_OK);
  outcome_wait(&o);
  int64_t took = tcore_now_ms() - t0;
  CHECK(o.status == TCORE_STATUS_UNAVAILABLE || o.status == TCORE_STATUS_DEADLINE_EXCEEDED);
  CHECK(o.attempts >= 2 && o.attempts <= 5);
  CHECK(took < 1500);
  tcore_client_free(c);
}

/* retry_until_total: past the policy's attempt limit, until the total. */
static void test_retry_until_total_outlasts_the_policy(void) {
  char tgt[64];
  snprintf(tgt, sizeof tgt, "127.0.0.1:%d", closed_port());
  tcore_retry_config retry;
  tcore_retry_config_default(&retry);
  retry.max_retries = 1;
  retry.initial_interval_ms = 50;
  retry.multiplier = 1.0;
  tcore_client *c = make_client(tgt, &retry);
  outcome o;
  outcome_init(&o);
  tcore_call_options opts = {0};
  opts.retry_until_total = 1;
  tcore_error err = {0};
  CHECK(tcore_client_call(c, WS "GetSystemInfo", NULL, 0, &opts, on_done, &o, NULL, &err) ==
        TCORE_ERR_INVALID_ARGUMENT); /* needs a total */
  opts.total_timeout_ms = 800;
  CHECK(tcore_client_call(c, WS "GetSystemInfo", NULL, 0, &opts, on_done, &o, NULL, NULL) ==
        TCORE_OK);
  outcome_wait(&o);
  CHECK(o.status == TCORE_STATUS_UNAVAILABLE);
  CHECK(o.attempts > 3); /* the policy alone allows 2 */
  tcore_client_free(c);
}

static void test_deadline_on_a_silent_server(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0); /* listens, never speaks */
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, (struct sockaddr *)&a, sizeof a);
  listen(s, 8);
  socklen_t n = sizeof a;
  getsockname(s, (struct sockaddr *)&a, &n);
  char tgt[64];
  snprintf(tgt, sizeof tgt, "127.0.0.1:%d", ntohs(a.sin_port));
  tcore_client *c = make_client(tgt, NULL);
  int64_t t0 = tcore_now_ms();
  outcome o;
  call(c, WS "GetSystemInfo", NULL, 0, 300, &o);
  int64_t took = tcore_now_ms() - t0;
  CHECK(o.status == TCORE_STATUS_DEADLINE_EXCEEDED);
  CHECK(took >= 250 && took < 2000);
  tcore_client_free(c);
  close(s);
}

static size_t poll_request(uint8_t *buf) {
  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_ACTIVITY_TASK_QUEUE_REQUEST__INIT;
  Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
  tq.name = "c-live-test-nobody-schedules-here";
  req.namespace_ = "default";
  req.task_queue = &tq;
  req.identity = "test_live";
  return temporal__api__workflowservice__v1__poll_activity_task_queue_request__pack(&req, buf);
}

static void test_cancel_ends_a_long_poll_at_once(void) {
  tcore_client *c = make_client(target, NULL);
  uint8_t buf[256];
  size_t len = poll_request(buf);
  outcome o;
  outcome_init(&o);
  tcore_call_options opts = {0};
  opts.timeout_ms = 60000;
  tcore_call *h = NULL;
  CHECK(tcore_client_call(c, WS "PollActivityTaskQueue", buf, len, &opts, on_done, &o, &h, NULL) ==
        TCORE_OK);
  sleep_ms(200);
  int64_t t0 = tcore_now_ms();
  tcore_call_cancel(h);
  outcome_wait(&o);
  CHECK(o.status == TCORE_STATUS_CANCELLED);
  CHECK(tcore_now_ms() - t0 < 1000);
  tcore_call_cancel(h); /* after completion: harmless */
  tcore_call_release(h);
  tcore_client_free(c);
}

static void test_client_free_cancels_calls_in_flight(void) {
  tcore_client *c = make_client(target, NULL);
  uint8_t buf[256];
  size_t len = poll_request(buf);
  outcome o;
  outcome_init(&o);
  tcore_call_options opts = {0};
  opts.timeout_ms = 60000;
  CHECK(tcore_client_call(c, WS "PollActivityTaskQueue", buf, len, &opts, on_done, &o, NULL, NULL) ==
        TCORE_OK);
  sleep_ms(100);
  tcore_client_free(c);
  outcome_wait(&o);
  CHECK(o.status == TCORE_STATUS_CANCELLED);
}

static void test_calls_after_fork_are_refused(void) {
  tcore_client *c = make_client(target, NULL);
  pid_t pid = fork();
  if (pid == 0) {
    tcore_error err;
    outcome o;
    outcome_init(&o);
    int rc = tcore_client_call(c, WS "GetSystemInfo", NULL, 0, NULL, on_done, &o, NULL, &err);
    _exit(rc == TCORE_ERR_FORKED && strstr(err.message, "fork") ? 0 : 1);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  tcore_client_free(c);
}

int main(void) {
  target = getenv("TEMPORAL_TEST_TARGET");
  if (!target || !*target) {
    printf("test_live: TEMPORAL_TEST_TARGET is not set; nothing run\n");
    return 77;
  }
  tcore_error err;
  if (tcore_runtime_new(&rt, &err) != TCORE_OK) return 1;
  RUN(test_get_system_info);
  RUN(test_missing_namespace_is_not_found_with_details);
  RUN(test_invalid_argument_is_not_retried);
  RUN(test_closed_port_retries_then_fails_unavailable_within_budget);
  RUN(test_total_timeout_bounds_the_retries);
  RUN(test_retry_until_total_outlasts_the_policy);
  RUN(test_deadline_on_a_silent_server);
  RUN(test_cancel_ends_a_long_poll_at_once);
  RUN(test_client_free_cancels_calls_in_flight);
  /* Under valgrind the child's own exit is reported as leaks (grpc's threads
   * do not exist there); the plain and ASan runs cover fork. */
  if (!getenv("TCORE_TEST_NO_FORK")) RUN(test_calls_after_fork_are_refused);
  tcore_runtime_free(rt);
  return check_summary();
}
