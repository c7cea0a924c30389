/* retry.c: which statuses are retried and how long to wait between tries. */
#include <math.h>
#include <string.h>

#include "internal.h"

/* The longest backoff whatever the policy (2^52 ms, ~142,000 years): a
 * delay stays exact as a double, and scaling it by 1 + jitter (call.c) or
 * adding it to a clock stays far inside int64. */
#define MAX_BACKOFF_MS ((int64_t)1 << 52)

void tcore_retry_config_default(tcore_retry_config *cfg) {
  cfg->initial_interval_ms = 100;
  cfg->multiplier = 1.5;
  cfg->jitter = 0.2;
  cfg->max_interval_ms = 5000;
  cfg->max_elapsed_ms = 10000;
  cfg->max_retries = 10;
}

int tcore_status_is_retryable(int code, const char *message) {
  switch (code) {
    case TCORE_STATUS_RESOURCE_EXHAUSTED:
      /* gRPC reports an oversized message as RESOURCE_EXHAUSTED too; sending it
       * again cannot help. */
      return !(message && strstr(message, "larger than max"));
    case TCORE_STATUS_UNAVAILABLE:
    case TCORE_STATUS_INTERNAL:
    case TCORE_STATUS_UNKNOWN:
    case TCORE_STATUS_ABORTED:
    case TCORE_STATUS_OUT_OF_RANGE:
    case TCORE_STATUS_DATA_LOSS:
      return 1;
    default:
      return 0;
  }
}

/* initial * multiplier^(attempt - 1), capped. O(1) whatever the attempt,
 * never more than `cap`, and never through a double out of int64 range (a
 * cap near INT64_MAX rounds up to 2^63 as a double). */
static int64_t grow(int64_t initial, double multiplier, int attempt, int64_t cap) {
  if (cap > MAX_BACKOFF_MS) cap = MAX_BACKOFF_MS;
  if (initial >= cap) return cap;
  if (initial <= 0) return 0;
  double d = (double)initial * pow(multiplier, attempt - 1);
  if (!(d < (double)cap)) return cap;
  int64_t v = (int64_t)d;
  return v < cap ? v : cap;
}

int64_t tcore_retry_backoff_ms(const tcore_retry_config *cfg, int attempt, int code) {
  if (attempt < 1) attempt = 1;
  if (code == TCORE_STATUS_RESOURCE_EXHAUSTED) return grow(1000, 2.0, attempt, 10000);
  return grow(cfg->initial_interval_ms, cfg->multiplier, attempt, cfg->max_interval_ms);
}
