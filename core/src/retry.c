/* retry.c: which statuses are retried and how long to wait between tries. */
#include <string.h>

#include "internal.h"

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

static int64_t grow(double initial, double multiplier, int attempt, double cap) {
  double d = initial;
  for (int i = 1; i < attempt && d < cap; i++) d *= multiplier;
  return (int64_t)(d < cap ? d : cap);
}

int64_t tcore_retry_backoff_ms(const tcore_retry_config *cfg, int attempt, int code) {
  if (attempt < 1) attempt = 1;
  if (code == TCORE_STATUS_RESOURCE_EXHAUSTED) return grow(1000, 2.0, attempt, 10000);
  return grow((double)cfg->initial_interval_ms, cfg->multiplier, attempt,
              (double)cfg->max_interval_ms);
}
