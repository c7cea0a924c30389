/* fuzz_options: the client options setters on arbitrary strings and
 * numbers cut from the input: the target check of tcore_client_new
 * (tcore_target_valid), namespace, client info, API key, TLS with PEM-ish
 * strings (each maybe NULL), keepalive, retry policy (and the delays that
 * policy gives), gzip threshold, max receive size. No channel is made: the
 * setters need neither grpc_init nor the network.
 *
 * Oracles: each setter returns exactly what its contract says for the
 * input, and a retry policy the options accept gives delays that are
 * representable: non-negative, at most the policy's cap, and still an
 * int64 after call.c scales them by 1 +/- jitter. */
#include <math.h>

#include "client.h"
#include "fuzz.h"

static double fuzz_double(fuzz_reader *r) {
  int64_t bits = fuzz_i64(r);
  double d;
  memcpy(&d, &bits, sizeof d);
  return d;
}

/* A string or NULL (when the next byte is odd, or the input is used up). */
static char *maybe_str(fuzz_reader *r) {
  if (!r->left) return NULL;
  int null = r->p[0] & 1;
  r->p++, r->left--;
  return null ? NULL : fuzz_str(r, NULL);
}

static int has_space(const char *s) {
  for (; *s; s++)
    if (*s == ' ' || *s == '\t' || *s == '\n') return 1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_reader r = {data, size};
  tcore_client_options *o = NULL;
  CHECK(tcore_client_options_new(&o) == TCORE_OK);

  char *target = maybe_str(&r);
  int tv = tcore_target_valid(target);
  if (tv) CHECK(target && *target && !has_space(target));
  CHECK(tcore_client_options_set_target(o, target) ==
        (target ? TCORE_OK : TCORE_ERR_INVALID_ARGUMENT));

  char *ns = maybe_str(&r);
  CHECK(tcore_client_options_set_namespace(o, ns) ==
        (ns && *ns ? TCORE_OK : TCORE_ERR_INVALID_ARGUMENT));
  char *name = maybe_str(&r), *version = maybe_str(&r);
  CHECK(tcore_client_options_set_client_info(o, name, version) ==
        (name && version ? TCORE_OK : TCORE_ERR_INVALID_ARGUMENT));
  char *key = maybe_str(&r);
  int rc = tcore_client_options_set_api_key(o, key);
  CHECK(rc == TCORE_OK || rc == TCORE_ERR_INVALID_ARGUMENT);

  char *ca = maybe_str(&r), *cert = maybe_str(&r), *pkey = maybe_str(&r), *sn = maybe_str(&r);
  rc = tcore_client_options_set_tls(o, ca, cert, pkey, sn);
  if (!cert != !pkey) CHECK(rc == TCORE_ERR_INVALID_ARGUMENT);
  else CHECK(rc == TCORE_OK || rc == TCORE_ERR_INVALID_ARGUMENT);

  int64_t ka = fuzz_i64(&r), kt = fuzz_i64(&r);
  rc = tcore_client_options_set_keepalive(o, ka, kt);
  CHECK(rc == (ka >= 0 && kt >= 0 && ka <= INT32_MAX && kt <= INT32_MAX
                   ? TCORE_OK
                   : TCORE_ERR_INVALID_ARGUMENT));

  int64_t gz = fuzz_i64(&r);
  CHECK(tcore_client_options_set_gzip_threshold(o, gz) ==
        (gz >= 0 ? TCORE_OK : TCORE_ERR_INVALID_ARGUMENT));
  int64_t mr = fuzz_i64(&r);
  CHECK(tcore_client_options_set_max_receive_bytes(o, mr) ==
        (mr > 0 && mr <= INT32_MAX ? TCORE_OK : TCORE_ERR_INVALID_ARGUMENT));

  tcore_retry_config cfg;
  cfg.initial_interval_ms = fuzz_i64(&r);
  cfg.multiplier = fuzz_double(&r);
  cfg.jitter = fuzz_double(&r);
  cfg.max_interval_ms = fuzz_i64(&r);
  cfg.max_elapsed_ms = fuzz_i64(&r);
  cfg.max_retries = (int)fuzz_i64(&r);
  int attempt = (int)fuzz_i64(&r);
  rc = tcore_client_options_set_retry(o, &cfg);
  CHECK(rc == TCORE_OK || rc == TCORE_ERR_INVALID_ARGUMENT);
  if (rc == TCORE_OK) {
    CHECK(cfg.multiplier >= 1.0 && isfinite(cfg.multiplier));
    CHECK(cfg.jitter >= 0 && cfg.jitter < 1.0);
    CHECK(cfg.initial_interval_ms >= 0 && cfg.max_interval_ms >= 0);
    CHECK(cfg.max_elapsed_ms >= 0 && cfg.max_retries >= 0);
    /* The delays of the first attempts and of the one the input names. */
    for (int a = 0; a <= 70; a++) {
      int at = a == 70 ? attempt : a;
      int64_t d = tcore_retry_backoff_ms(&cfg, at, TCORE_STATUS_UNAVAILABLE);
      CHECK(d >= 0 && d <= cfg.max_interval_ms);
      /* call.c: delay * (1 + jitter * (2u - 1)), u in [0, 1). */
      double hi = (double)d * (1.0 + cfg.jitter), lo = (double)d * (1.0 - cfg.jitter);
      CHECK(isfinite(hi) && hi < 9223372036854775808.0 && lo >= 0);
    }
  }
  CHECK(tcore_client_options_set_retry(o, NULL) == TCORE_OK);

  tcore_client_options_free(o);
  free(target), free(ns), free(name), free(version), free(key);
  free(ca), free(cert), free(pkey), free(sn);
  return 0;
}
