/* fuzz_status_details: tcore_status_details_parse (status.c) on arbitrary
 * bytes, as they come in a call's `grpc-status-details-bin` trailer. */
#include "fuzz.h"
#include "temporal_core.h"

typedef struct seen {
  size_t n;
  unsigned sum;
} seen;

static void on_detail(void *user, const char *type_url, size_t type_url_len, const uint8_t *value,
                      size_t value_len) {
  seen *s = user;
  CHECK(type_url != NULL);
  CHECK(strlen(type_url) == type_url_len);
  CHECK(value != NULL || value_len == 0);
  s->sum += fuzz_touch(type_url, type_url_len + 1);
  if (value_len) s->sum += fuzz_touch(value, value_len);
  s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  seen s = {0, 0};
  int rc = tcore_status_details_parse(data, size, on_detail, &s);
  CHECK(rc == TCORE_OK || rc == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(rc == TCORE_OK || s.n == 0);
  return 0;
}
