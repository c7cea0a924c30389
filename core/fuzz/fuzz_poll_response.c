/* fuzz_poll_response: what the activity worker decodes of the server's
 * answers, on arbitrary bytes: a PollActivityTaskQueue response (task token,
 * heartbeat timeout, and the heartbeat throttle derived from it) and a
 * RecordActivityTaskHeartbeat response (the cancel it asks for). */
#include "fuzz.h"
#include "worker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
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

  /* The throttle for any timeout at all (the first 8 bytes as an int64). */
  int64_t any;
  memset(&any, 0, sizeof any);
  memcpy(&any, data, size < sizeof any ? size : sizeof any);
  int64_t throttle = tcore_heartbeat_throttle_ms(any);
  CHECK(throttle >= 0 && throttle <= 60000);
  if (any > 0 && any < 75000) CHECK(throttle == any * 4 / 5);

  const char *reason = tcore_heartbeat_cancel_reason(data, size);
  CHECK(reason == NULL || strcmp(reason, "cancel_requested") == 0 ||
        strcmp(reason, "reset") == 0 || strcmp(reason, "paused") == 0);
  return 0;
}
