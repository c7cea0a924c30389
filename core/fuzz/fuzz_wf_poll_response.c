/* fuzz_wf_poll_response: what the workflow worker (wf_worker.c) decodes of
 * the server's answers: a PollWorkflowTaskQueue response (also what an
 * eager workflow task from a workflow start is: tcore_worker_eager_workflow_task
 * decodes it the same way) with its task token, run id, first history page,
 * next_page_token, legacy query, queries and protocol messages; and a
 * GetWorkflowExecutionHistory response (the next pages). The functions are
 * the ones the run manager calls (worker.h: tcore_wf_task_decode,
 * tcore_wf_task_first_page, tcore_wf_history_page_decode,
 * tcore_wf_task_queries), and what they give goes to a real engine as the
 * run manager gives it.
 *
 * Two halves per input:
 *   raw: the bytes as a PollWorkflowTaskQueue response, as a
 *     GetWorkflowExecutionHistory response, and as a History pushed to a
 *     replay worker (tcore_wf_replay_task: the task it makes goes through
 *     the same decode and steps). Every code must be a documented
 *     one, every output must parse as its message type, but for one quirk
 *     of libprotobuf-c (1.4): it takes a tag of field number 0 when its
 *     varint is not minimal (80 00: it checks the first byte only), keeps
 *     it as an unknown field, and packs it again minimal (00), which it
 *     then refuses. A server never sends field 0; the worker's part is that
 *     the engine refuses such a page (TCORE_ERR_INVALID_ARGUMENT: the task
 *     is dropped with a WARNING and the run evicted), which is checked.
 *   structured: a well-formed response is built from the input's pieces
 *     (token, run id, first event id, event count, next page token, legacy
 *     query, queries, messages), decoded, and the exact values checked (the
 *     protobuf-c parser is not instrumented, so byte mutations alone seldom
 *     reach the combinations).
 */
#include "fuzz.h"
#include "temporal/api/history/v1/message.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "temporal/sdk/core/workflow_activation/workflow_activation.pb-c.h"
#include "worker.h"

#define ET(x) TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_##x

typedef Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse poll_resp;

/* Whether the input may hold libprotobuf-c's field-0 quirk (see the top),
 * so that what the worker packs of it may not parse again: raw inputs only. */
static int quirk_ok;

/* Checks a page and returns its History (free it; NULL: the quirk). */
static Temporal__Api__History__V1__History *check_page(const tcore_wf_page *p) {
  CHECK(p->history != NULL);
  fuzz_touch(p->history, p->history_len);
  CHECK(p->complete == (p->next_token == NULL));
  CHECK(p->complete == (p->next_token_len == 0));
  if (p->next_token) fuzz_touch(p->next_token, p->next_token_len);
  Temporal__Api__History__V1__History *h =
      temporal__api__history__v1__history__unpack(NULL, p->history_len, p->history);
  CHECK(h != NULL || quirk_ok);
  return h;
}

static void check_zero(const tcore_wf_page *p) {
  CHECK(p->history == NULL && p->history_len == 0 && !p->complete && p->next_token == NULL &&
        p->next_token_len == 0);
}

/* Checks the queries part of `m` and returns it (NULL: none, or the
 * quirk; free it). */
static poll_resp *check_queries(const poll_resp *m, uint8_t **qb, size_t *qlen) {
  CHECK(tcore_wf_task_queries(m, qb, qlen) == TCORE_OK);
  if (!m->query && !m->n_queries && !m->n_messages) {
    CHECK(*qb == NULL && *qlen == 0);
    return NULL;
  }
  CHECK(*qb != NULL);
  fuzz_touch(*qb, *qlen);
  poll_resp *q =
      temporal__api__workflowservice__v1__poll_workflow_task_queue_response__unpack(NULL, *qlen, *qb);
  CHECK(q != NULL || quirk_ok);
  if (!q) return NULL;
  CHECK((q->query != NULL) == (m->query != NULL));
  CHECK(q->n_queries == m->n_queries && q->n_messages == m->n_messages);
  CHECK(q->history == NULL && q->task_token.len == 0 && q->next_page_token.len == 0);
  return q;
}

/* What the run manager does with a task's first page: the engine gets the
 * page, and the queries once the history is complete. */
static void to_engine(const poll_resp *m, const tcore_wf_page *p, int page_parses,
                      const uint8_t *qb, size_t qlen, int queries_parse) {
  tcore_wf_engine_config cfg = {
      .namespace_ = "default",
      .task_queue = "tq",
      .workflow_id = m->workflow_execution->workflow_id,
      .run_id = m->workflow_execution->run_id,
      .workflow_type = m->workflow_type ? m->workflow_type->name : ""};
  tcore_wf_engine *e = tcore_wf_engine_new(&cfg);
  CHECK(e != NULL);
  tcore_error err = {0};
  int rc = tcore_wf_engine_add_history(e, p->history, p->history_len, p->complete, &err);
  CHECK(rc == TCORE_OK || rc == TCORE_ERR_INVALID_ARGUMENT || rc == TCORE_ERR_NOMEM ||
        rc == TCORE_WF_NONDETERMINISM);
  if (!page_parses) CHECK(rc == TCORE_ERR_INVALID_ARGUMENT);
  if (rc == TCORE_OK && p->complete && qb) {
    rc = tcore_wf_engine_add_queries(e, qb, qlen, &err);
    CHECK(rc == TCORE_OK || rc == TCORE_ERR_INVALID_ARGUMENT || rc == TCORE_ERR_NOMEM);
    if (!queries_parse) CHECK(rc == TCORE_ERR_INVALID_ARGUMENT);
  }
  uint8_t *out = NULL;
  size_t len = 0;
  rc = tcore_wf_engine_next_activation(e, &out, &len, &err);
  CHECK(rc == TCORE_OK || rc == TCORE_WF_TASK_DONE || rc == TCORE_WF_NEED_HISTORY ||
        rc == TCORE_WF_RUN_FINISHED || rc == TCORE_WF_NONDETERMINISM ||
        rc == TCORE_ERR_INVALID_ARGUMENT || rc == TCORE_ERR_NOMEM);
  if (rc == TCORE_OK) {
    CHECK(out != NULL);
    Coresdk__WorkflowActivation__WorkflowActivation *a =
        coresdk__workflow_activation__workflow_activation__unpack(NULL, len, out);
    CHECK(a != NULL && a->n_jobs > 0);
    CHECK(strcmp(a->run_id, m->workflow_execution->run_id) == 0);
    coresdk__workflow_activation__workflow_activation__free_unpacked(a, NULL);
  } else {
    CHECK(out == NULL);
  }
  free(out);
  tcore_wf_engine_free(e);
}

/* A decoded task through the run manager's steps, for a run cached or not. */
static void task_steps(const poll_resp *m) {
  CHECK(m->task_token.len > 0);
  CHECK(m->workflow_execution && m->workflow_execution->run_id && *m->workflow_execution->run_id);
  uint8_t *qb = NULL;
  size_t qlen = 0;
  poll_resp *q = check_queries(m, &qb, &qlen);
  for (int cached = 0; cached < 2; cached++) {
    tcore_wf_page p;
    int rc = tcore_wf_task_first_page(m, cached, &p);
    if (rc != TCORE_OK) {
      CHECK(rc == TCORE_ERR_NOT_FOUND && !cached);
      check_zero(&p);
      continue;
    }
    Temporal__Api__History__V1__History *h = check_page(&p);
    size_t n = m->history ? m->history->n_events : 0;
    if (h) {
      CHECK(h->n_events == n);
      if (!cached) CHECK(n > 0 && h->events[0]->event_id == 1);
      temporal__api__history__v1__history__free_unpacked(h, NULL);
    }
    CHECK(p.next_token_len == m->next_page_token.len);
    if (p.next_token_len) CHECK(memcmp(p.next_token, m->next_page_token.data, p.next_token_len) == 0);
    if (!cached) to_engine(m, &p, h != NULL, qb, qlen, !qb || q);
    tcore_wf_page_clear(&p);
    tcore_wf_page_clear(&p); /* idempotent */
    check_zero(&p);
  }
  if (q) temporal__api__workflowservice__v1__poll_workflow_task_queue_response__free_unpacked(q, NULL);
  free(qb);
}

static void raw(const uint8_t *data, size_t size) {
  quirk_ok = 1;
  poll_resp *m = (poll_resp *)1;
  const char *why = (const char *)1;
  int rc = tcore_wf_task_decode(data, size, &m, &why);
  if (rc == TCORE_OK) {
    CHECK(m != NULL && why == NULL);
    task_steps(m);
    temporal__api__workflowservice__v1__poll_workflow_task_queue_response__free_unpacked(m, NULL);
  } else {
    CHECK(m == NULL);
    CHECK(rc == TCORE_ERR_NOT_FOUND || (rc == TCORE_ERR_INVALID_ARGUMENT && why != NULL));
  }

  tcore_wf_page p;
  rc = tcore_wf_history_page_decode(data, size, &p);
  if (rc == TCORE_OK) {
    Temporal__Api__History__V1__History *h = check_page(&p);
    if (h) temporal__api__history__v1__history__free_unpacked(h, NULL);
    tcore_wf_page_clear(&p);
  } else {
    CHECK(rc == TCORE_ERR_INVALID_ARGUMENT || rc == TCORE_ERR_NOMEM);
    check_zero(&p);
  }

  /* A history to replay: its task is a task from the first event, run id
   * and token set, or it is refused. */
  uint8_t *task = (uint8_t *)1;
  size_t task_len = 0;
  tcore_error err = {0};
  rc = tcore_wf_replay_task("wf", data, size, &task, &task_len, &err);
  if (rc != TCORE_OK) {
    CHECK(task == NULL && (rc == TCORE_ERR_INVALID_ARGUMENT || rc == TCORE_ERR_NOMEM));
    CHECK(err.message[0] != 0);
    return;
  }
  m = NULL;
  rc = tcore_wf_task_decode(task, task_len, &m, &why);
  CHECK(rc == TCORE_OK || (quirk_ok && rc == TCORE_ERR_INVALID_ARGUMENT));
  if (rc == TCORE_OK) {
    CHECK(strcmp(m->workflow_execution->workflow_id, "wf") == 0);
    CHECK(m->task_token.len == strlen(m->workflow_execution->run_id));
    CHECK(m->history && m->history->n_events > 0 && m->history->events[0]->event_id == 1);
    task_steps(m);
    temporal__api__workflowservice__v1__poll_workflow_task_queue_response__free_unpacked(m, NULL);
  }
  free(task);
}

/* ---- structured ---- */

#define MAX_EVENTS 8
#define MAX_QUERIES 3

static void structured(const uint8_t *data, size_t size) {
  quirk_ok = 0; /* no unknown fields here */
  fuzz_reader r = {data, size};
  uint8_t flags = r.left ? r.p[0] : 0;
  if (r.left) r.p++, r.left--;
  size_t n_events = r.left ? r.p[0] % (MAX_EVENTS + 1) : 0;
  if (r.left) r.p++, r.left--;
  int64_t first_id = (flags & 1) ? fuzz_i64(&r) : 1;
  size_t token_len = 0, next_len = 0;
  char *token = fuzz_str(&r, &token_len);
  char *run_id = fuzz_str(&r, NULL);
  char *next = fuzz_str(&r, &next_len);
  char *qtype = fuzz_str(&r, NULL);
  const char *qname = qtype ? qtype : "";
  size_t n_queries = (flags >> 1) % (MAX_QUERIES + 1);
  int legacy = (flags >> 3) & 1;
  size_t n_messages = (flags >> 4) & 3;
  int no_execution = (flags >> 6) & 1;
  int no_history = (flags >> 7) & 1;

  /* The history: WorkflowExecutionStarted, then workflow task events. */
  Temporal__Api__History__V1__HistoryEvent ev[MAX_EVENTS], *evp[MAX_EVENTS];
  Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes started =
      TEMPORAL__API__HISTORY__V1__WORKFLOW_EXECUTION_STARTED_EVENT_ATTRIBUTES__INIT;
  Temporal__Api__Common__V1__WorkflowType wt = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
  wt.name = "Wf";
  started.workflow_type = &wt;
  static const int types[] = {ET(WORKFLOW_TASK_SCHEDULED), ET(WORKFLOW_TASK_STARTED),
                              ET(WORKFLOW_TASK_COMPLETED)};
  for (size_t i = 0; i < n_events; i++) {
    temporal__api__history__v1__history_event__init(&ev[i]);
    ev[i].event_id = (int64_t)((uint64_t)first_id + i);
    if (i == 0 && first_id == 1) {
      ev[i].event_type = ET(WORKFLOW_EXECUTION_STARTED);
      ev[i].attributes_case =
          TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_STARTED_EVENT_ATTRIBUTES;
      ev[i].workflow_execution_started_event_attributes = &started;
    } else {
      ev[i].event_type = types[(i + 2) % 3];
    }
    evp[i] = &ev[i];
  }
  Temporal__Api__History__V1__History hist = TEMPORAL__API__HISTORY__V1__HISTORY__INIT;
  hist.n_events = n_events;
  hist.events = evp;

  Temporal__Api__Query__V1__WorkflowQuery wq[MAX_QUERIES + 1];
  Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse__QueriesEntry qe[MAX_QUERIES],
      *qep[MAX_QUERIES];
  char keys[MAX_QUERIES][8];
  for (size_t i = 0; i <= MAX_QUERIES; i++) {
    temporal__api__query__v1__workflow_query__init(&wq[i]);
    wq[i].query_type = (char *)qname;
  }
  for (size_t i = 0; i < n_queries; i++) {
    temporal__api__workflowservice__v1__poll_workflow_task_queue_response__queries_entry__init(&qe[i]);
    snprintf(keys[i], sizeof keys[i], "q%zu", i);
    qe[i].key = keys[i];
    qe[i].value = &wq[i + 1];
    qep[i] = &qe[i];
  }
  Temporal__Api__Protocol__V1__Message msg[3], *msgp[3];
  for (size_t i = 0; i < n_messages; i++) {
    temporal__api__protocol__v1__message__init(&msg[i]);
    msg[i].id = (char *)qname;
    msg[i].protocol_instance_id = "update-1";
    msgp[i] = &msg[i];
  }

  Temporal__Api__Common__V1__WorkflowExecution ex = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
  ex.workflow_id = "wf";
  ex.run_id = run_id ? run_id : "";
  Temporal__Api__Common__V1__WorkflowType type = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
  type.name = "Wf";
  poll_resp resp = TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_TASK_QUEUE_RESPONSE__INIT;
  resp.task_token.data = (uint8_t *)token;
  resp.task_token.len = token_len;
  resp.workflow_execution = no_execution ? NULL : &ex;
  resp.workflow_type = &type;
  resp.attempt = 1;
  resp.history = no_history ? NULL : &hist;
  resp.next_page_token.data = (uint8_t *)next;
  resp.next_page_token.len = next_len;
  resp.query = legacy ? &wq[0] : NULL;
  resp.n_queries = n_queries;
  resp.queries = qep;
  resp.n_messages = n_messages;
  resp.messages = msgp;
  size_t n = protobuf_c_message_get_packed_size(&resp.base);
  uint8_t *buf = malloc(n ? n : 1);
  CHECK(buf != NULL);
  CHECK(protobuf_c_message_pack(&resp.base, buf) == n);

  poll_resp *m = NULL;
  const char *why = NULL;
  int rc = tcore_wf_task_decode(buf, n, &m, &why);
  if (!token_len) {
    CHECK(rc == TCORE_ERR_NOT_FOUND && why == NULL && m == NULL);
  } else if (no_execution || !run_id || !*run_id) {
    CHECK(rc == TCORE_ERR_NOT_FOUND && why != NULL && m == NULL);
  } else {
    CHECK(rc == TCORE_OK && m != NULL);
    CHECK(m->task_token.len == token_len && memcmp(m->task_token.data, token, token_len) == 0);
    CHECK(strcmp(m->workflow_execution->run_id, run_id) == 0);
    task_steps(m);
    /* Whether the first page is used: always for a cached run; else only
     * when the history starts at event 1. */
    tcore_wf_page p;
    rc = tcore_wf_task_first_page(m, 0, &p);
    int from_start = !no_history && n_events > 0 && first_id == 1;
    CHECK(rc == (from_start ? TCORE_OK : TCORE_ERR_NOT_FOUND));
    CHECK(!from_start || p.complete == (next_len == 0));
    tcore_wf_page_clear(&p);
    temporal__api__workflowservice__v1__poll_workflow_task_queue_response__free_unpacked(m, NULL);
  }
  free(buf);

  /* The same history and token as a GetWorkflowExecutionHistory response. */
  Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse gr =
      TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_RESPONSE__INIT;
  gr.history = no_history ? NULL : &hist;
  gr.next_page_token = resp.next_page_token;
  n = protobuf_c_message_get_packed_size(&gr.base);
  buf = malloc(n ? n : 1);
  CHECK(buf != NULL);
  CHECK(protobuf_c_message_pack(&gr.base, buf) == n);
  tcore_wf_page p;
  CHECK(tcore_wf_history_page_decode(buf, n, &p) == TCORE_OK);
  Temporal__Api__History__V1__History *h = check_page(&p);
  CHECK(h->n_events == (no_history ? 0 : n_events));
  for (size_t i = 0; i < h->n_events; i++) CHECK(h->events[i]->event_id == ev[i].event_id);
  CHECK(p.complete == (next_len == 0));
  CHECK(p.next_token_len == next_len && (!next_len || memcmp(p.next_token, next, next_len) == 0));
  temporal__api__history__v1__history__free_unpacked(h, NULL);
  tcore_wf_page_clear(&p);
  free(buf);
  free(token), free(run_id), free(next), free(qtype);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  raw(data, size);
  structured(data, size);
  return 0;
}
