/* status.c: decoding `grpc-status-details-bin` (a google.rpc.Status). */
#include <string.h>

#include "google/rpc/status.pb-c.h"
#include "internal.h"

int tcore_status_details_parse(const uint8_t *data, size_t len, tcore_status_detail_cb cb,
                               void *user) {
  if (!data && len) return TCORE_ERR_INVALID_ARGUMENT;
  Google__Rpc__Status *st = google__rpc__status__unpack(NULL, len, data);
  if (!st) return TCORE_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < st->n_details; i++) {
    const Google__Protobuf__Any *any = st->details[i];
    const char *url = any->type_url ? any->type_url : "";
    cb(user, url, strlen(url), any->value.data, any->value.len);
  }
  google__rpc__status__free_unpacked(st, NULL);
  return TCORE_OK;
}
