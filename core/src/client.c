/* client.c: client options, the channel, and the headers every call carries. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>

#include "client.h"

/* ---- options ---------------------------------------------------------- */

struct tcore_client_options {
  char *target, *ns, *client_name, *client_version, *api_key;
  int tls;
  char *root_ca, *cert, *key, *server_name;
  size_t n_md;
  char **md_keys;
  uint8_t **md_values;
  size_t *md_lens;
  int64_t keepalive_interval_ms, keepalive_timeout_ms, max_receive_bytes, gzip_min_bytes;
  tcore_retry_config retry;
};

int tcore_client_options_new(tcore_client_options **out) {
  tcore_client_options *o = calloc(1, sizeof *o);
  *out = o;
  if (!o) return TCORE_ERR_NOMEM;
  o->ns = tcore_strdup("default");
  o->client_name = tcore_strdup("temporal-python");
  o->client_version = tcore_strdup(TCORE_VERSION);
  o->keepalive_interval_ms = 30000;
  o->keepalive_timeout_ms = 15000;
  o->max_receive_bytes = 128 * 1024 * 1024;
  o->gzip_min_bytes = 1024;
  tcore_retry_config_default(&o->retry);
  if (!o->ns || !o->client_name || !o->client_version) {
    tcore_client_options_free(o);
    *out = NULL;
    return TCORE_ERR_NOMEM;
  }
  return TCORE_OK;
}

void tcore_client_options_free(tcore_client_options *o) {
  if (!o) return;
  free(o->target), free(o->ns), free(o->client_name), free(o->client_version);
  free(o->api_key), free(o->root_ca), free(o->cert), free(o->key), free(o->server_name);
  for (size_t i = 0; i < o->n_md; i++) free(o->md_keys[i]), free(o->md_values[i]);
  free(o->md_keys), free(o->md_values), free(o->md_lens);
  free(o);
}

/* Replaces *slot with a copy of s (NULL allowed). */
static int set_str(char **slot, const char *s) {
  char *d = tcore_strdup(s);
  if (s && !d) return TCORE_ERR_NOMEM;
  free(*slot);
  *slot = d;
  return TCORE_OK;
}

int tcore_client_options_set_target(tcore_client_options *o, const char *target) {
  return target ? set_str(&o->target, target) : TCORE_ERR_INVALID_ARGUMENT;
}

int tcore_client_options_set_namespace(tcore_client_options *o, const char *ns) {
  return ns && *ns ? set_str(&o->ns, ns) : TCORE_ERR_INVALID_ARGUMENT;
}

int tcore_client_options_set_client_info(tcore_client_options *o, const char *name,
                                         const char *version) {
  if (!name || !version) return TCORE_ERR_INVALID_ARGUMENT;
  int rc = set_str(&o->client_name, name);
  return rc ? rc : set_str(&o->client_version, version);
}

int tcore_client_options_set_tls(tcore_client_options *o, const char *root_ca_pem,
                                 const char *client_cert_pem, const char *client_key_pem,
                                 const char *server_name_override) {
  if (!client_cert_pem != !client_key_pem) return TCORE_ERR_INVALID_ARGUMENT;
  o->tls = 1;
  int rc = set_str(&o->root_ca, root_ca_pem);
  if (!rc) rc = set_str(&o->cert, client_cert_pem);
  if (!rc) rc = set_str(&o->key, client_key_pem);
  if (!rc) rc = set_str(&o->server_name, server_name_override);
  return rc;
}

/* An API key goes in a header value: printable ASCII only. */
static int api_key_valid(const char *api_key) {
  return !api_key || tcore_md_value_valid("authorization", (const uint8_t *)api_key,
                                          strlen(api_key));
}

int tcore_client_options_set_api_key(tcore_client_options *o, const char *api_key) {
  if (!api_key_valid(api_key)) return TCORE_ERR_INVALID_ARGUMENT;
  return set_str(&o->api_key, api_key && *api_key ? api_key : NULL);
}

int tcore_md_key_valid(const char *key) {
  if (!key || !*key || strncmp(key, "grpc-", 5) == 0) return 0;
  for (const char *p = key; *p; p++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return 0;
  }
  return 1;
}

int tcore_md_value_valid(const char *key, const uint8_t *value, size_t len) {
  size_t klen = strlen(key);
  if (klen > 4 && strcmp(key + klen - 4, "-bin") == 0) return 1;
  for (size_t i = 0; i < len; i++)
    if (value[i] < 0x20 || value[i] > 0x7e) return 0;
  return 1;
}

int tcore_client_options_add_metadata(tcore_client_options *o, const char *key,
                                      const uint8_t *value, size_t value_len) {
  if (!tcore_md_key_valid(key) || (!value && value_len) ||
      !tcore_md_value_valid(key, value, value_len))
    return TCORE_ERR_INVALID_ARGUMENT;
  size_t n = o->n_md + 1;
  char **keys = realloc(o->md_keys, n * sizeof *keys);
  if (keys) o->md_keys = keys;
  uint8_t **vals = realloc(o->md_values, n * sizeof *vals);
  if (vals) o->md_values = vals;
  size_t *lens = realloc(o->md_lens, n * sizeof *lens);
  if (lens) o->md_lens = lens;
  char *k = tcore_strdup(key);
  uint8_t *v = malloc(value_len ? value_len : 1);
  if (!keys || !vals || !lens || !k || !v) {
    free(k), free(v);
    return TCORE_ERR_NOMEM;
  }
  if (value_len) memcpy(v, value, value_len);
  o->md_keys[o->n_md] = k;
  o->md_values[o->n_md] = v;
  o->md_lens[o->n_md] = value_len;
  o->n_md = n;
  return TCORE_OK;
}

int tcore_client_options_set_keepalive(tcore_client_options *o, int64_t interval_ms,
                                       int64_t timeout_ms) {
  /* grpc takes them as int: larger values would wrap. */
  if (interval_ms < 0 || timeout_ms < 0 || interval_ms > INT32_MAX || timeout_ms > INT32_MAX)
    return TCORE_ERR_INVALID_ARGUMENT;
  o->keepalive_interval_ms = interval_ms;
  o->keepalive_timeout_ms = timeout_ms;
  return TCORE_OK;
}

int tcore_client_options_set_retry(tcore_client_options *o, const tcore_retry_config *cfg) {
  if (!cfg) {
    tcore_retry_config_default(&o->retry);
    return TCORE_OK;
  }
  /* Written so that NaN fails: it compares false with everything. */
  if (cfg->initial_interval_ms < 0 || !(cfg->multiplier >= 1.0 && cfg->multiplier <= DBL_MAX) ||
      !(cfg->jitter >= 0 && cfg->jitter < 1.0) || cfg->max_interval_ms < 0 ||
      cfg->max_elapsed_ms < 0 || cfg->max_retries < 0)
    return TCORE_ERR_INVALID_ARGUMENT;
  o->retry = *cfg;
  return TCORE_OK;
}

int tcore_client_options_set_gzip_threshold(tcore_client_options *o, int64_t min_bytes) {
  if (min_bytes < 0) return TCORE_ERR_INVALID_ARGUMENT;
  o->gzip_min_bytes = min_bytes;
  return TCORE_OK;
}

int tcore_client_options_set_max_receive_bytes(tcore_client_options *o, int64_t n) {
  if (n <= 0 || n > INT32_MAX) return TCORE_ERR_INVALID_ARGUMENT;
  o->max_receive_bytes = n;
  return TCORE_OK;
}

/* ---- metadata sets ---------------------------------------------------- */

void tcore_md_set_unref_locked(tcore_md_set *s) {
  if (!s || --s->refs > 0) return;
  for (size_t i = 0; i < s->n; i++) {
    grpc_slice_unref(s->md[i].key);
    grpc_slice_unref(s->md[i].value);
  }
  free(s->md);
  free(s);
}

/* The headers of every call: namespace, client name/version, API key, then
 * the user's extra metadata. */
static tcore_md_set *md_set_build(const char *ns, const char *name, const char *version,
                                  const char *api_key, size_t n, const char *const *keys,
                                  const uint8_t *const *values, const size_t *lens) {
  tcore_md_set *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->md = calloc(n + 4, sizeof *s->md);
  if (!s->md) {
    free(s);
    return NULL;
  }
  s->refs = 1;
#define ADD(k, v, l)                                                         \
  do {                                                                       \
    s->md[s->n].key = grpc_slice_from_copied_string(k);                      \
    s->md[s->n].value = grpc_slice_from_copied_buffer((const char *)(v), l); \
    s->n++;                                                                  \
  } while (0)
  ADD("temporal-namespace", ns, strlen(ns));
  ADD("client-name", name, strlen(name));
  ADD("client-version", version, strlen(version));
  if (api_key) {
    size_t klen = strlen(api_key);
    char *bearer = malloc(klen + 8);
    if (bearer) {
      memcpy(bearer, "Bearer ", 7);
      memcpy(bearer + 7, api_key, klen + 1);
      ADD("authorization", bearer, klen + 7);
      free(bearer);
    }
  }
  for (size_t i = 0; i < n; i++) ADD(keys[i], values[i], lens[i]);
#undef ADD
  return s;
}

/* Installs a new set under the lock (the old one lives on in calls using it). */
static int md_set_swap(tcore_client *c, const char *api_key_or_keep, int keep_key,
                       size_t n, const char *const *keys, const uint8_t *const *values,
                       const size_t *lens, int keep_user) {
  pthread_mutex_lock(&c->mu);
  if (!keep_key) {
    free(c->api_key);
    c->api_key = api_key_or_keep && *api_key_or_keep ? tcore_strdup(api_key_or_keep) : NULL;
  }
  if (!keep_user) {
    for (size_t i = 0; i < c->n_user_md; i++) free(c->user_keys[i]), free(c->user_values[i]);
    free(c->user_keys), free(c->user_values), free(c->user_lens);
    c->n_user_md = 0;
    c->user_keys = calloc(n + 1, sizeof(char *));
    c->user_values = calloc(n + 1, sizeof(uint8_t *));
    c->user_lens = calloc(n + 1, sizeof(size_t));
    for (size_t i = 0; c->user_keys && c->user_values && c->user_lens && i < n; i++) {
      c->user_keys[i] = tcore_strdup(keys[i]);
      c->user_values[i] = malloc(lens[i] ? lens[i] : 1);
      if (c->user_values[i] && lens[i]) memcpy(c->user_values[i], values[i], lens[i]);
      c->user_lens[i] = lens[i];
      c->n_user_md++;
    }
  }
  tcore_md_set *s = md_set_build(c->ns, c->client_name, c->client_version, c->api_key,
                                 c->n_user_md, (const char *const *)c->user_keys,
                                 (const uint8_t *const *)c->user_values, c->user_lens);
  if (s) {
    tcore_md_set_unref_locked(c->md);
    c->md = s;
  }
  pthread_mutex_unlock(&c->mu);
  return s ? TCORE_OK : TCORE_ERR_NOMEM;
}

int tcore_client_set_api_key(tcore_client *c, const char *api_key) {
  if (!api_key_valid(api_key)) return TCORE_ERR_INVALID_ARGUMENT;
  return md_set_swap(c, api_key, 0, 0, NULL, NULL, NULL, 1);
}

int tcore_client_set_metadata(tcore_client *c, const char *const *keys,
                              const uint8_t *const *values, const size_t *value_lens, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!tcore_md_key_valid(keys[i]) || !tcore_md_value_valid(keys[i], values[i], value_lens[i]))
      return TCORE_ERR_INVALID_ARGUMENT;
  return md_set_swap(c, NULL, 1, n, keys, values, value_lens, 0);
}

/* ---- client ------------------------------------------------------------ */

int tcore_target_valid(const char *t) {
  if (!t || !*t) return 0;
  for (const char *p = t; *p; p++)
    if (*p == ' ' || *p == '\t' || *p == '\n') return 0;
  if (strstr(t, ":///") || strncmp(t, "unix:", 5) == 0 || strncmp(t, "ipv4:", 5) == 0 ||
      strncmp(t, "ipv6:", 5) == 0)
    return 1;
  const char *colon = strrchr(t, ':');
  if (!colon || colon == t || !colon[1]) return 0;
  long port = 0;
  for (const char *p = colon + 1; *p; p++) {
    if (*p < '0' || *p > '9') return 0;
    port = port * 10 + (*p - '0');
    if (port > 65535) return 0;
  }
  return port > 0;
}

static grpc_channel_credentials *make_credentials(const tcore_client_options *o,
                                                  tcore_error *err) {
  if (!o->tls) return grpc_insecure_credentials_create();
  if (tcore_tls_check(o->root_ca, o->cert, o->key, err) != TCORE_OK) return NULL;
  grpc_ssl_pem_key_cert_pair pair = {o->key, o->cert};
  grpc_channel_credentials *creds =
      grpc_ssl_credentials_create(o->root_ca, o->cert ? &pair : NULL, NULL, NULL);
  if (!creds) tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "TLS credentials rejected by grpc");
  return creds;
}

static grpc_arg int_arg(const char *key, int value) {
  grpc_arg a;
  a.type = GRPC_ARG_INTEGER;
  a.key = (char *)key;
  a.value.integer = value;
  return a;
}

static grpc_arg str_arg(const char *key, const char *value) {
  grpc_arg a;
  a.type = GRPC_ARG_STRING;
  a.key = (char *)key;
  a.value.string = (char *)value;
  return a;
}

int tcore_client_new(tcore_runtime *rt, const tcore_client_options *o, tcore_client **out,
                     tcore_error *err) {
  *out = NULL;
  if (!rt || !o) return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT, "runtime and options required");
  if (tcore_runtime_forked(rt))
    return tcore_fail(err, TCORE_ERR_FORKED, "the runtime was made in the parent process; "
                                             "make a new client in the child after fork()");
  if (!tcore_target_valid(o->target))
    return tcore_fail(err, TCORE_ERR_INVALID_ARGUMENT,
                      "target %s%s%s is not of the form host:port", o->target ? "'" : "",
                      o->target ? o->target : "(none)", o->target ? "'" : "");
  tcore_client *c = calloc(1, sizeof *c);
  if (!c) return tcore_fail(err, TCORE_ERR_NOMEM, "out of memory");
  c->rt = rt;
  tcore_runtime_client_added(rt);
  c->refs = 1;
  c->retry = o->retry;
  c->gzip_min_bytes = o->gzip_min_bytes;
  pthread_mutex_init(&c->mu, NULL);
  c->ns = tcore_strdup(o->ns);
  c->client_name = tcore_strdup(o->client_name);
  c->client_version = tcore_strdup(o->client_version);
  if (!c->ns || !c->client_name || !c->client_version) goto nomem;
  if (md_set_swap(c, o->api_key, 0, o->n_md, (const char *const *)o->md_keys,
                  (const uint8_t *const *)o->md_values, o->md_lens, 0) != TCORE_OK)
    goto nomem;

  grpc_arg args[12];
  size_t n = 0;
  /* Reconnect promptly once the server is back (grpc's default backoff grows
   * to 120 s): connect again after 100 ms growing to at most 1 s. Not
   * GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: grpc uses it as the minimum connect
   * timeout (default 20 s), which a slow remote TLS handshake needs. */
  args[n++] = int_arg(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args[n++] = int_arg(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args[n++] = int_arg(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
                                              (int)o->max_receive_bytes);
  /* Our own retries are the policy; grpc's built-in ones would multiply them. */
  args[n++] = int_arg(GRPC_ARG_ENABLE_RETRIES, 0);
  if (o->keepalive_interval_ms > 0) {
    args[n++] = int_arg(GRPC_ARG_KEEPALIVE_TIME_MS,
                                                (int)o->keepalive_interval_ms);
    args[n++] = int_arg(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                                                (int)o->keepalive_timeout_ms);
    args[n++] = int_arg(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  }
  if (o->tls && o->server_name)
    args[n++] = str_arg(GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, o->server_name);
  grpc_channel_args cargs = {n, args};
  grpc_channel_credentials *creds = make_credentials(o, err);
  if (!creds) {
    tcore_client_free(c);
    return TCORE_ERR_INVALID_ARGUMENT;
  }
  c->channel = grpc_channel_create(o->target, creds, &cargs);
  grpc_channel_credentials_release(creds);
  if (!c->channel) {
    tcore_client_free(c);
    return tcore_fail(err, TCORE_ERR_INTERNAL, "grpc could not create a channel to %s", o->target);
  }
  *out = c;
  return TCORE_OK;

nomem:
  tcore_client_free(c);
  return tcore_fail(err, TCORE_ERR_NOMEM, "out of memory");
}

static void client_destroy(tcore_client *c) {
  tcore_runtime *rt = c->rt;
  if (c->channel) grpc_channel_destroy(c->channel);
  c->channel = NULL;
  tcore_md_set_unref_locked(c->md);
  for (size_t i = 0; i < c->n_user_md; i++) free(c->user_keys[i]), free(c->user_values[i]);
  free(c->user_keys), free(c->user_values), free(c->user_lens);
  free(c->ns), free(c->client_name), free(c->client_version), free(c->api_key);
  pthread_mutex_destroy(&c->mu);
  free(c);
  /* Last: the runtime may go right after. (A client assembled by hand, as the
   * fuzz targets do, has none.) */
  if (rt) tcore_runtime_client_removed(rt);
}

void tcore_client_unref(tcore_client *c) {
  pthread_mutex_lock(&c->mu);
  int last = --c->refs == 0;
  pthread_mutex_unlock(&c->mu);
  if (last) client_destroy(c);
}

void tcore_client_close(tcore_client *c) {
  if (!c) return;
  if (tcore_runtime_forked(c->rt)) return; /* see tcore_runtime_free */
  pthread_mutex_lock(&c->mu);
  c->closed = 1;
  pthread_mutex_unlock(&c->mu);
  /* Every call, also one started between the flag and here, is cancelled
   * (a call checks the flag under the same lock before it starts). Calls
   * already cancelled are skipped, so a second close does nothing new. */
  tcore_calls_cancel_all(c);
}

void tcore_client_free(tcore_client *c) {
  if (!c) return;
  if (tcore_runtime_forked(c->rt)) return; /* see tcore_runtime_free */
  tcore_client_close(c);
  tcore_client_unref(c);
}
