/* fuzz_metadata: header validation (tcore_md_key_valid,
 * tcore_md_value_valid) and the two ways headers get in:
 * tcore_client_options_add_metadata and tcore_client_set_metadata /
 * tcore_client_set_api_key on a live client, on arbitrary keys and values
 * cut from the input. The oracle is grpc itself: a header the core accepts
 * must be one grpc accepts (grpc_header_key_is_legal and, for keys not
 * ending in "-bin", grpc_header_nonbin_value_is_legal), and the header set
 * a client builds must hold exactly the bytes given.
 *
 * The client is made by hand, without a channel (no network, no grpc_init:
 * header sets are plain grpc slices), as tcore_client_new would leave it. */
#include <grpc/slice.h>

#include "client.h"
#include "fuzz.h"

#define MAX_PAIRS 8

static int grpc_accepts(const char *key, const uint8_t *value, size_t len) {
  grpc_slice k = grpc_slice_from_static_string(key);
  grpc_slice v = grpc_slice_from_static_buffer(value, len);
  if (!grpc_header_key_is_legal(k)) return 0;
  return grpc_is_binary_header(k) || grpc_header_nonbin_value_is_legal(v);
}

static tcore_client *fake_client(void) {
  tcore_client *c = calloc(1, sizeof *c);
  CHECK(c != NULL);
  c->refs = 1;
  pthread_mutex_init(&c->mu, NULL);
  c->ns = tcore_strdup("default");
  c->client_name = tcore_strdup("temporal-python");
  c->client_version = tcore_strdup("0.1.0");
  CHECK(c->ns && c->client_name && c->client_version);
  CHECK(tcore_client_set_api_key(c, NULL) == TCORE_OK); /* the first header set */
  return c;
}

static int slice_is(grpc_slice s, const void *bytes, size_t len) {
  return GRPC_SLICE_LENGTH(s) == len && (len == 0 || memcmp(GRPC_SLICE_START_PTR(s), bytes, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_reader r = {data, size};
  char *keys[MAX_PAIRS];
  uint8_t *values[MAX_PAIRS];
  size_t lens[MAX_PAIRS];
  size_t n = 0;
  int all_valid = 1;

  tcore_client_options *o = NULL;
  CHECK(tcore_client_options_new(&o) == TCORE_OK);
  char *api_key = fuzz_str(&r, NULL);
  while (n < MAX_PAIRS) {
    char *k = fuzz_str(&r, NULL);
    if (!k) break;
    size_t vlen = 0;
    char *v = fuzz_str(&r, &vlen); /* NULL (length 0) at the end of the input */
    keys[n] = k, values[n] = (uint8_t *)v, lens[n] = vlen;

    int key_ok = tcore_md_key_valid(k);
    int ok = key_ok && tcore_md_value_valid(k, values[n], vlen);
    if (ok) CHECK(grpc_accepts(k, values[n], vlen));
    if (!ok) all_valid = 0;
    int rc = tcore_client_options_add_metadata(o, k, values[n], vlen);
    CHECK(rc == (ok ? TCORE_OK : TCORE_ERR_INVALID_ARGUMENT));
    n++;
  }
  tcore_client_options_free(o);

  tcore_client *c = fake_client();
  /* An API key goes out as "authorization: Bearer <key>": one a header cannot
   * carry is refused (and the client keeps none), one it can is what grpc
   * accepts. */
  int key_ok = !api_key ||
               tcore_md_value_valid("authorization", (const uint8_t *)api_key, strlen(api_key));
  CHECK(tcore_client_set_api_key(c, api_key) == (key_ok ? TCORE_OK : TCORE_ERR_INVALID_ARGUMENT));
  const char *kept = key_ok ? api_key : NULL; /* a refused key sets nothing */
  if (kept && *kept) {
    size_t klen = strlen(kept);
    uint8_t *bearer = malloc(klen + 7);
    CHECK(bearer != NULL);
    memcpy(bearer, "Bearer ", 7);
    memcpy(bearer + 7, kept, klen);
    CHECK(grpc_accepts("authorization", bearer, klen + 7));
    free(bearer);
  }
  int rc = tcore_client_set_metadata(c, (const char *const *)keys,
                                     (const uint8_t *const *)values, lens, n);
  CHECK(rc == (all_valid ? TCORE_OK : TCORE_ERR_INVALID_ARGUMENT));
  /* The set: namespace, client name and version, the API key if any, then
   * the user's pairs (only when all of them were valid). */
  size_t base = 3 + (kept && *kept ? 1 : 0);
  tcore_md_set *s = c->md;
  CHECK(s != NULL);
  CHECK(s->n == base + (all_valid ? n : 0));
  if (base == 4) {
    CHECK(slice_is(s->md[3].key, "authorization", 13));
    size_t klen = strlen(kept);
    CHECK(GRPC_SLICE_LENGTH(s->md[3].value) == klen + 7);
    CHECK(memcmp(GRPC_SLICE_START_PTR(s->md[3].value), "Bearer ", 7) == 0);
    CHECK(memcmp(GRPC_SLICE_START_PTR(s->md[3].value) + 7, kept, klen) == 0);
  }
  for (size_t i = 0; all_valid && i < n; i++) {
    CHECK(slice_is(s->md[base + i].key, keys[i], strlen(keys[i])));
    CHECK(slice_is(s->md[base + i].value, values[i], lens[i]));
  }
  for (size_t i = 0; i < s->n; i++) {
    fuzz_touch(GRPC_SLICE_START_PTR(s->md[i].key), GRPC_SLICE_LENGTH(s->md[i].key));
    fuzz_touch(GRPC_SLICE_START_PTR(s->md[i].value), GRPC_SLICE_LENGTH(s->md[i].value));
  }
  /* Clearing the key and the pairs again keeps the rest. */
  CHECK(tcore_client_set_api_key(c, NULL) == TCORE_OK);
  CHECK(tcore_client_set_metadata(c, NULL, NULL, NULL, 0) == TCORE_OK);
  CHECK(c->md->n == 3);
  tcore_client_unref(c);

  for (size_t i = 0; i < n; i++) free(keys[i]), free(values[i]);
  free(api_key);
  return 0;
}
