/* client.h: the client's internals, shared by client.c, call.c and the worker. */
#ifndef TCORE_CLIENT_H
#define TCORE_CLIENT_H

#include "internal.h"

/* An immutable, refcounted set of headers (guarded by the client's lock).
 * A call keeps the set it started with, so a live update never pulls headers
 * out from under a running attempt. */
typedef struct tcore_md_set {
  int refs;
  size_t n;
  grpc_metadata *md;
} tcore_md_set;

struct tcore_call;

struct tcore_client {
  tcore_runtime *rt;
  grpc_channel *channel;
  pthread_mutex_t mu; /* guards everything below and every call's state */
  int refs;           /* the user's + one per live call */
  int closed;
  char *ns, *client_name, *client_version, *api_key;
  size_t n_user_md;
  char **user_keys;
  uint8_t **user_values;
  size_t *user_lens;
  tcore_md_set *md;
  tcore_retry_config retry;
  int64_t gzip_min_bytes; /* requests at least this large are gzipped; 0: never */
  struct tcore_call *calls; /* in flight, for cancel on free */
};

/* Drops a reference to a header set (NULL allowed). With the client's lock. */
void tcore_md_set_unref_locked(tcore_md_set *s);
int tcore_md_key_valid(const char *key);
int tcore_md_value_valid(const char *key, const uint8_t *value, size_t len);
/* Parses TLS PEM material with OpenSSL, in memory (tls_check.c). Any argument
 * may be NULL; the certificate and key go together. TCORE_ERR_INVALID_ARGUMENT
 * with a message naming the item (server_root_ca_cert, client_cert,
 * client_private_key) and the reason, never quoting the material;
 * TCORE_ERR_NOMEM. Any thread; clears this thread's OpenSSL error queue. */
int tcore_tls_check(const char *root_ca_pem, const char *client_cert_pem,
                    const char *client_key_pem, tcore_error *err);
/* Whether `target` (NULL allowed) is one tcore_client_new accepts: host:port
 * with a port in 1..65535, or a grpc URI (`scheme:///...`, unix:, ipv4:,
 * ipv6:); no whitespace. 1 or 0. */
int tcore_target_valid(const char *target);

/* Drops a reference; the last one destroys the channel and the client. */
void tcore_client_unref(tcore_client *c);
/* Cancels every call in flight (client free). */
void tcore_calls_cancel_all(tcore_client *c);

#endif
