/* test_unit.c: the core's logic that needs no server. */
#include <grpc/support/log.h>
#include <string.h>

#include "check.h"
#include "google/rpc/status.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "temporal_core.h"
#include "worker.h"

static void test_default_backoff_grows_by_one_and_a_half_up_to_five_seconds(void) {
  tcore_retry_config cfg;
  tcore_retry_config_default(&cfg);
  CHECK(tcore_retry_backoff_ms(&cfg, 1, TCORE_STATUS_UNAVAILABLE) == 100);
  CHECK(tcore_retry_backoff_ms(&cfg, 2, TCORE_STATUS_UNAVAILABLE) == 150);
  CHECK(tcore_retry_backoff_ms(&cfg, 3, TCORE_STATUS_UNAVAILABLE) == 225);
  CHECK(tcore_retry_backoff_ms(&cfg, 30, TCORE_STATUS_UNAVAILABLE) == 5000);
  CHECK(cfg.max_elapsed_ms == 10000 && cfg.max_retries == 10 && cfg.jitter == 0.2);
}

/* A local activity's retry backoff (la_worker.c): the retry policy's
 * defaults (1 s, x2, at most 100 x initial), its own values, no attempt left
 * past maximum_attempts, and an application failure's next_retry_delay. */
static void test_local_activity_backoff(void) {
  CHECK(tcore_la_backoff_ms(NULL, 1, NULL) == 1000);
  CHECK(tcore_la_backoff_ms(NULL, 3, NULL) == 4000);
  CHECK(tcore_la_backoff_ms(NULL, 30, NULL) == 100000);
  Temporal__Api__Common__V1__RetryPolicy rp = TEMPORAL__API__COMMON__V1__RETRY_POLICY__INIT;
  Google__Protobuf__Duration ii = GOOGLE__PROTOBUF__DURATION__INIT, mi = GOOGLE__PROTOBUF__DURATION__INIT;
  ii.nanos = 200000000;
  mi.seconds = 1;
  rp.initial_interval = &ii;
  rp.maximum_interval = &mi;
  rp.backoff_coefficient = 3.0;
  rp.maximum_attempts = 4;
  CHECK(tcore_la_backoff_ms(&rp, 1, NULL) == 200);
  CHECK(tcore_la_backoff_ms(&rp, 2, NULL) == 600);
  CHECK(tcore_la_backoff_ms(&rp, 3, NULL) == 1000);
  CHECK(tcore_la_backoff_ms(&rp, 4, NULL) == -1);
  Temporal__Api__Failure__V1__Failure f = TEMPORAL__API__FAILURE__V1__FAILURE__INIT;
  Temporal__Api__Failure__V1__ApplicationFailureInfo ai =
      TEMPORAL__API__FAILURE__V1__APPLICATION_FAILURE_INFO__INIT;
  Google__Protobuf__Duration nd = GOOGLE__PROTOBUF__DURATION__INIT;
  nd.seconds = 7;
  ai.next_retry_delay = &nd;
  f.failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO;
  f.application_failure_info = &ai;
  CHECK(tcore_la_backoff_ms(&rp, 1, &f) == 7000);
}

static void test_resource_exhausted_backs_off_longer(void) {
  tcore_retry_config cfg;
  tcore_retry_config_default(&cfg);
  CHECK(tcore_retry_backoff_ms(&cfg, 1, TCORE_STATUS_RESOURCE_EXHAUSTED) == 1000);
  CHECK(tcore_retry_backoff_ms(&cfg, 2, TCORE_STATUS_RESOURCE_EXHAUSTED) == 2000);
  CHECK(tcore_retry_backoff_ms(&cfg, 9, TCORE_STATUS_RESOURCE_EXHAUSTED) == 10000);
}

static void test_retryable_codes(void) {
  int yes[] = {TCORE_STATUS_UNAVAILABLE, TCORE_STATUS_RESOURCE_EXHAUSTED, TCORE_STATUS_INTERNAL,
               TCORE_STATUS_UNKNOWN, TCORE_STATUS_ABORTED, TCORE_STATUS_OUT_OF_RANGE,
               TCORE_STATUS_DATA_LOSS};
  int no[] = {TCORE_STATUS_OK, TCORE_STATUS_INVALID_ARGUMENT, TCORE_STATUS_NOT_FOUND,
              TCORE_STATUS_ALREADY_EXISTS, TCORE_STATUS_PERMISSION_DENIED,
              TCORE_STATUS_FAILED_PRECONDITION, TCORE_STATUS_UNIMPLEMENTED,
              TCORE_STATUS_UNAUTHENTICATED, TCORE_STATUS_CANCELLED, TCORE_STATUS_DEADLINE_EXCEEDED};
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) CHECK(tcore_status_is_retryable(yes[i], ""));
  for (size_t i = 0; i < sizeof no / sizeof *no; i++) CHECK(!tcore_status_is_retryable(no[i], ""));
  CHECK(!tcore_status_is_retryable(TCORE_STATUS_RESOURCE_EXHAUSTED,
                                   "Received message larger than max (5 vs. 4)"));
}

static tcore_runtime *rt;

static int try_target(const char *target, tcore_error *err) {
  tcore_client_options *o;
  tcore_client_options_new(&o);
  if (target) tcore_client_options_set_target(o, target);
  tcore_client *c = NULL;
  int rc = tcore_client_new(rt, o, &c, err);
  tcore_client_free(c);
  tcore_client_options_free(o);
  return rc;
}

static void test_targets_are_validated_with_a_message(void) {
  tcore_error err;
  CHECK(try_target(NULL, &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(err.message, "(none)") != NULL);
  CHECK(try_target("", &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(try_target("localhost", &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(err.message, "'localhost'") != NULL);
  CHECK(try_target("localhost:", &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(try_target("localhost:99999", &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(try_target("local host:7233", &err) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(try_target("localhost:7233", &err) == TCORE_OK);
  CHECK(try_target("[::1]:7233", &err) == TCORE_OK);
  CHECK(try_target("dns:///localhost:7233", &err) == TCORE_OK);
}

static void test_options_reject_bad_values(void) {
  tcore_client_options *o;
  CHECK(tcore_client_options_new(&o) == TCORE_OK);
  CHECK(tcore_client_options_set_namespace(o, "") == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_client_options_add_metadata(o, "Upper", (const uint8_t *)"v", 1) ==
        TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_client_options_add_metadata(o, "grpc-timeout", (const uint8_t *)"v", 1) ==
        TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_client_options_add_metadata(o, "x", (const uint8_t *)"a\nb", 3) ==
        TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_client_options_add_metadata(o, "x-bin", (const uint8_t *)"a\nb", 3) == TCORE_OK);
  CHECK(tcore_client_options_add_metadata(o, "x-ok", (const uint8_t *)"fine", 4) == TCORE_OK);
  CHECK(tcore_client_options_set_tls(o, NULL, "cert", NULL, NULL) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_client_options_set_keepalive(o, -1, 0) == TCORE_ERR_INVALID_ARGUMENT);
  tcore_retry_config bad;
  tcore_retry_config_default(&bad);
  bad.multiplier = 0.5;
  CHECK(tcore_client_options_set_retry(o, &bad) == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(tcore_client_options_set_max_receive_bytes(o, 0) == TCORE_ERR_INVALID_ARGUMENT);
  tcore_client_options_free(o);
}

struct seen {
  int n;
  char urls[4][128];
  size_t lens[4];
};

static void on_detail(void *user, const char *url, size_t url_len, const uint8_t *v, size_t len) {
  struct seen *s = user;
  (void)v;
  if (s->n < 4 && url_len < 128) {
    memcpy(s->urls[s->n], url, url_len);
    s->urls[s->n][url_len] = 0;
    s->lens[s->n] = len;
  }
  s->n++;
}

static void test_status_details_decode_each_any(void) {
  Google__Protobuf__Any a = GOOGLE__PROTOBUF__ANY__INIT, b = GOOGLE__PROTOBUF__ANY__INIT;
  a.type_url = "type.googleapis.com/temporal.api.errordetails.v1.NamespaceNotFoundFailure";
  a.value.data = (uint8_t *)"\x0a\x03" "abc";
  a.value.len = 5;
  b.type_url = "type.googleapis.com/other";
  Google__Protobuf__Any *list[] = {&a, &b};
  Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
  st.code = 5;
  st.message = "namespace abc not found";
  st.n_details = 2;
  st.details = list;
  uint8_t buf[512];
  size_t len = google__rpc__status__pack(&st, buf);
  struct seen s = {0};
  CHECK(tcore_status_details_parse(buf, len, on_detail, &s) == TCORE_OK);
  CHECK(s.n == 2);
  CHECK(strcmp(s.urls[0], a.type_url) == 0 && s.lens[0] == 5);
  CHECK(strcmp(s.urls[1], b.type_url) == 0 && s.lens[1] == 0);
  struct seen none = {0};
  CHECK(tcore_status_details_parse(NULL, 0, on_detail, &none) == TCORE_OK && none.n == 0);
  CHECK(tcore_status_details_parse((const uint8_t *)"\xff\xff\xff", 3, on_detail, &none) ==
        TCORE_ERR_INVALID_ARGUMENT);
}

static void test_strerror_names_every_code(void) {
  CHECK(strcmp(tcore_strerror(TCORE_ERR_FORKED), "used in a forked child process") == 0);
  CHECK(strcmp(tcore_strerror(12345), "unknown error") == 0);
}

/* A packed PollWorkflowTaskQueueResponse: token, run id, history from
 * event `first` (n events), next page token. */
static uint8_t *wf_task(const char *token, const char *run_id, int64_t first, size_t n,
                        const char *next, size_t *len) {
  Temporal__Api__History__V1__HistoryEvent ev[4], *evp[4];
  for (size_t i = 0; i < n; i++) {
    temporal__api__history__v1__history_event__init(&ev[i]);
    ev[i].event_id = first + (int64_t)i;
    evp[i] = &ev[i];
  }
  Temporal__Api__History__V1__History h = TEMPORAL__API__HISTORY__V1__HISTORY__INIT;
  h.n_events = n;
  h.events = evp;
  Temporal__Api__Common__V1__WorkflowExecution ex = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
  ex.workflow_id = "wf";
  ex.run_id = (char *)run_id;
  Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse m =
      TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_TASK_QUEUE_RESPONSE__INIT;
  m.task_token.data = (uint8_t *)token;
  m.task_token.len = strlen(token);
  m.workflow_execution = run_id ? &ex : NULL;
  m.history = n ? &h : NULL;
  m.next_page_token.data = (uint8_t *)next;
  m.next_page_token.len = strlen(next);
  *len = protobuf_c_message_get_packed_size(&m.base);
  uint8_t *buf = malloc(*len + 1);
  protobuf_c_message_pack(&m.base, buf);
  return buf;
}

static void test_workflow_task_decode(void) {
  tcore_wf_poll_resp *m = NULL;
  const char *why = NULL;
  size_t len;
  uint8_t *b = wf_task("", "run", 1, 3, "", &len); /* an empty poll */
  CHECK(tcore_wf_task_decode(b, len, &m, &why) == TCORE_ERR_NOT_FOUND && !m && !why);
  free(b);
  b = wf_task("tok", "", 1, 3, "", &len);
  CHECK(tcore_wf_task_decode(b, len, &m, &why) == TCORE_ERR_NOT_FOUND && !m);
  CHECK(why && strcmp(why, "a workflow task without a run id was dropped") == 0);
  free(b);
  b = wf_task("tok", NULL, 1, 3, "", &len);
  CHECK(tcore_wf_task_decode(b, len, &m, &why) == TCORE_ERR_NOT_FOUND && !m && why);
  free(b);
  CHECK(tcore_wf_task_decode((const uint8_t *)"\xff\xff\xff", 3, &m, &why) ==
        TCORE_ERR_INVALID_ARGUMENT);
  CHECK(!m && why && strstr(why, "did not parse"));
  CHECK(tcore_wf_task_decode(NULL, 0, &m, &why) == TCORE_ERR_NOT_FOUND && !m);

  /* A whole first page with a next page: used, cached or not. */
  tcore_wf_page p;
  b = wf_task("tok", "run", 1, 3, "p2", &len);
  CHECK(tcore_wf_task_decode(b, len, &m, &why) == TCORE_OK && m);
  free(b);
  for (int cached = 0; cached < 2; cached++) {
    CHECK(tcore_wf_task_first_page(m, cached, &p) == TCORE_OK);
    Temporal__Api__History__V1__History *h =
        temporal__api__history__v1__history__unpack(NULL, p.history_len, p.history);
    CHECK(h && h->n_events == 3 && h->events[0]->event_id == 1);
    if (h) temporal__api__history__v1__history__free_unpacked(h, NULL);
    CHECK(!p.complete && p.next_token_len == 2 && memcmp(p.next_token, "p2", 2) == 0);
    tcore_wf_page_clear(&p);
    CHECK(!p.history && !p.next_token);
  }
  uint8_t *q = (uint8_t *)"x";
  size_t qlen = 1;
  CHECK(tcore_wf_task_queries(m, &q, &qlen) == TCORE_OK && q == NULL && qlen == 0);
  temporal__api__workflowservice__v1__poll_workflow_task_queue_response__free_unpacked(m, NULL);

  /* A sticky task's partial history: only for a cached run. */
  b = wf_task("tok", "run", 7, 2, "", &len);
  CHECK(tcore_wf_task_decode(b, len, &m, &why) == TCORE_OK && m);
  free(b);
  CHECK(tcore_wf_task_first_page(m, 0, &p) == TCORE_ERR_NOT_FOUND && !p.history);
  CHECK(tcore_wf_task_first_page(m, 1, &p) == TCORE_OK && p.complete && !p.next_token);
  tcore_wf_page_clear(&p);
  temporal__api__workflowservice__v1__poll_workflow_task_queue_response__free_unpacked(m, NULL);

  /* GetWorkflowExecutionHistory: no history is an empty page. */
  CHECK(tcore_wf_history_page_decode(NULL, 0, &p) == TCORE_OK && p.complete && p.history);
  tcore_wf_page_clear(&p);
  CHECK(tcore_wf_history_page_decode((const uint8_t *)"\xff", 1, &p) ==
        TCORE_ERR_INVALID_ARGUMENT && !p.history);
}

/* What the transport logs at `level`: one INFO and one ERROR line through
 * grpc's logger, stderr captured in a temporary file. */
static void log_at(tcore_log_level level, char *out, size_t cap) {
  fflush(stderr);
  FILE *tmp = tmpfile();
  int saved = dup(fileno(stderr));
  dup2(fileno(tmp), fileno(stderr));
  tcore_set_log_level(level);
  gpr_log(GPR_INFO, "info line %d", 1);
  gpr_log(GPR_ERROR, "error line %d", 2);
  fflush(stderr);
  dup2(saved, fileno(stderr));
  close(saved);
  rewind(tmp);
  size_t n = fread(out, 1, cap - 1, tmp);
  out[n] = 0;
  fclose(tmp);
}

static void test_log_level_selects_transport_lines(void) {
  char buf[1024];
  log_at(TCORE_LOG_OFF, buf, sizeof buf);
  CHECK(buf[0] == 0);
  log_at(TCORE_LOG_ERROR, buf, sizeof buf);
  CHECK(strstr(buf, "ERROR grpc ") && strstr(buf, "] error line 2\n") && !strstr(buf, "info"));
  log_at(TCORE_LOG_INFO, buf, sizeof buf);
  CHECK(strstr(buf, "INFO grpc ") && strstr(buf, "] info line 1\n") && strstr(buf, "error"));
  log_at((tcore_log_level)99, buf, sizeof buf); /* clamped to DEBUG */
  CHECK(strstr(buf, "info line 1") != NULL);
  tcore_set_log_level(TCORE_LOG_OFF);
}

int main(void) {
  tcore_error err;
  if (tcore_runtime_new(&rt, &err) != TCORE_OK) {
    fprintf(stderr, "runtime: %s\n", err.message);
    return 1;
  }
  RUN(test_default_backoff_grows_by_one_and_a_half_up_to_five_seconds);
  RUN(test_resource_exhausted_backs_off_longer);
  RUN(test_local_activity_backoff);
  RUN(test_retryable_codes);
  RUN(test_targets_are_validated_with_a_message);
  RUN(test_options_reject_bad_values);
  RUN(test_status_details_decode_each_any);
  RUN(test_strerror_names_every_code);
  RUN(test_workflow_task_decode);
  RUN(test_log_level_selects_transport_lines);
  tcore_runtime_free(rt);
  return check_summary();
}
