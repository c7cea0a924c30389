/* fuzz_status_details: tcore_status_details_parse (status.c) on arbitrary
 * bytes, as they come in a call's `grpc-status-details-bin` trailer; then
 * on a well-formed google.rpc.Status built from pieces of the input, where
 * every detail must come back exactly (libprotobuf-c's parser is the
 * system's, not instrumented, so byte mutations alone explore it poorly). */
#include "fuzz.h"
#include "google/rpc/status.pb-c.h"
#include "temporal_core.h"

#define MAX_DETAILS 6

typedef struct seen {
  size_t n;
  unsigned sum;
  const char *urls[MAX_DETAILS]; /* expected (structured half), or NULL */
  const uint8_t *values[MAX_DETAILS];
  size_t lens[MAX_DETAILS];
} seen;

static void on_detail(void *user, const char *type_url, size_t type_url_len, const uint8_t *value,
                      size_t value_len) {
  seen *s = user;
  CHECK(type_url != NULL);
  CHECK(strlen(type_url) == type_url_len);
  CHECK(value != NULL || value_len == 0);
  s->sum += fuzz_touch(type_url, type_url_len + 1);
  if (value_len) s->sum += fuzz_touch(value, value_len);
  if (s->n < MAX_DETAILS && s->urls[s->n]) {
    CHECK(strcmp(type_url, s->urls[s->n]) == 0);
    CHECK(value_len == s->lens[s->n]);
    CHECK(value_len == 0 || memcmp(value, s->values[s->n], value_len) == 0);
  }
  s->n++;
}

static void structured(const uint8_t *data, size_t size) {
  fuzz_reader r = {data, size};
  Google__Protobuf__Any anys[MAX_DETAILS];
  Google__Protobuf__Any *ptrs[MAX_DETAILS];
  char *urls[MAX_DETAILS];
  char *values[MAX_DETAILS];
  seen s;
  memset(&s, 0, sizeof s);
  size_t n = 0;
  while (n < MAX_DETAILS) {
    size_t vlen = 0;
    char *url = fuzz_str(&r, NULL);
    if (!url) break;
    char *v = fuzz_str(&r, &vlen);
    if (!v) {
      v = calloc(1, 1);
      CHECK(v != NULL);
    }
    google__protobuf__any__init(&anys[n]);
    anys[n].type_url = url;
    anys[n].value.data = (uint8_t *)v;
    anys[n].value.len = vlen;
    ptrs[n] = &anys[n];
    urls[n] = url, values[n] = v;
    s.urls[n] = url, s.values[n] = (uint8_t *)v, s.lens[n] = vlen;
    n++;
  }
  Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
  st.code = (int32_t)size;
  st.message = "fuzz";
  st.n_details = n;
  st.details = ptrs;
  size_t len = google__rpc__status__get_packed_size(&st);
  uint8_t *buf = malloc(len ? len : 1);
  CHECK(buf != NULL);
  CHECK(google__rpc__status__pack(&st, buf) == len);
  CHECK(tcore_status_details_parse(buf, len, on_detail, &s) == TCORE_OK);
  CHECK(s.n == n);
  free(buf);
  for (size_t i = 0; i < n; i++) free(urls[i]), free(values[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  seen s;
  memset(&s, 0, sizeof s);
  int rc = tcore_status_details_parse(data, size, on_detail, &s);
  CHECK(rc == TCORE_OK || rc == TCORE_ERR_INVALID_ARGUMENT);
  CHECK(rc == TCORE_OK || s.n == 0);
  structured(data, size);
  return 0;
}
