/* fuzz_poll_response: what the activity worker decodes of the server's
 * answers: a PollActivityTaskQueue response (task token, heartbeat timeout,
 * and the heartbeat throttle derived from it) and a
 * RecordActivityTaskHeartbeat response (the cancel it asks for).
 *
 * Two halves per input: the raw bytes go to both decoders as they are;
 * then a well-formed response is built from numbers and bytes of the input
 * and decoded, with the exact values checked. The second half is there
 * because libprotobuf-c's parser is the system's (not instrumented for
 * coverage), so byte mutations alone seldom make a nested Duration with
 * extreme values. */
#include "fuzz.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "worker.h"

static void raw(const uint8_t *data, size_t size) {
  tcore_activity_task t;
  int rc = tcore_activity_task_decode(data, size, &t);
  if (rc == TCORE_OK) {
    CHECK(t.msg != NULL);
    CHECK(t.token != NULL || t.token_len == 0);
    if (t.token_len) fuzz_touch(t.token, t.token_len);
    int64_t throttle = tcore_heartbeat_throttle_ms(t.heartbeat_timeout_ms);
    CHECK(throttle >= 0 && throttle <= 60000);
  } else {
    CHECK(rc == TCORE_ERR_INVALID_ARGUMENT);
    CHECK(t.msg == NULL && t.token_len == 0);
  }
  tcore_activity_task_clear(&t);
  tcore_activity_task_clear(&t); /* idempotent */

  const char *reason = tcore_heartbeat_cancel_reason(data, size);
  CHECK(reason == NULL || strcmp(reason, "cancel_requested") == 0 ||
        strcmp(reason, "reset") == 0 || strcmp(reason, "paused") == 0);
}

static void structured(const uint8_t *data, size_t size) {
  fuzz_reader r = {data, size};
  int64_t seconds = fuzz_i64(&r);
  int32_t nanos = (int32_t)fuzz_i64(&r);
  uint8_t flags = r.left ? r.p[0] : 0;
  int has_hb = flags & 1;

  /* The throttle for any timeout at all. */
  int64_t throttle = tcore_heartbeat_throttle_ms(seconds);
  CHECK(throttle >= 0 && throttle <= 60000);
  if (seconds <= 0) CHECK(throttle == 30000);
  else if (seconds < 75000) CHECK(throttle == seconds * 4 / 5);
  else CHECK(throttle == 60000);

  Google__Protobuf__Duration hb = GOOGLE__PROTOBUF__DURATION__INIT;
  hb.seconds = seconds;
  hb.nanos = nanos;
  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse resp =
      TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_ACTIVITY_TASK_QUEUE_RESPONSE__INIT;
  resp.task_token.data = (uint8_t *)r.p;
  resp.task_token.len = r.left;
  resp.heartbeat_timeout = has_hb ? &hb : NULL;
  size_t n = temporal__api__workflowservice__v1__poll_activity_task_queue_response__get_packed_size(
      &resp);
  uint8_t *buf = malloc(n ? n : 1);
  CHECK(buf != NULL);
  CHECK(temporal__api__workflowservice__v1__poll_activity_task_queue_response__pack(&resp, buf) ==
        n);
  tcore_activity_task t;
  CHECK(tcore_activity_task_decode(buf, n, &t) == TCORE_OK);
  CHECK(t.token_len == r.left && (r.left == 0 || memcmp(t.token, r.p, r.left) == 0));
  __int128 want = has_hb ? (__int128)seconds * 1000 + nanos / 1000000 : 0;
  if (want > INT64_MAX) want = INT64_MAX;
  if (want < INT64_MIN) want = INT64_MIN;
  CHECK(t.heartbeat_timeout_ms == (int64_t)want);
  tcore_activity_task_clear(&t);
  free(buf);

  Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatResponse hr =
      TEMPORAL__API__WORKFLOWSERVICE__V1__RECORD_ACTIVITY_TASK_HEARTBEAT_RESPONSE__INIT;
  hr.cancel_requested = (flags >> 1) & 1;
  hr.activity_reset = (flags >> 2) & 1;
  hr.activity_paused = (flags >> 3) & 1;
  uint8_t hbuf[16];
  size_t hn = temporal__api__workflowservice__v1__record_activity_task_heartbeat_response__pack(
      &hr, hbuf);
  const char *reason = tcore_heartbeat_cancel_reason(hbuf, hn);
  const char *want_reason = hr.cancel_requested ? "cancel_requested"
                            : hr.activity_reset ? "reset"
                            : hr.activity_paused ? "paused"
                                                 : NULL;
  CHECK(reason == want_reason || (reason && want_reason && strcmp(reason, want_reason) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  raw(data, size);
  structured(data, size);
  return 0;
}
