/* call_msg.h: one blocking unary call of the client, for the live C tests
 * (test_worker.c, test_workflow_worker.c). Include after "internal.h" (tcore
 * client API) and protobuf-c. */
#ifndef TCORE_TESTS_CALL_MSG_H
#define TCORE_TESTS_CALL_MSG_H
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a call_msg call got: status (0: OK), message, and the response body
 * (malloc'ed; the caller frees it, even when empty). */
typedef struct outcome {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done, status;
  char message[512];
  uint8_t *body;
  size_t body_len;
} outcome;

/* The call's callback (on a core thread): copies the result into the outcome. */
static void on_done(void *user, const tcore_call_result *r) {
  outcome *o = user;
  pthread_mutex_lock(&o->mu);
  o->status = r->status;
  snprintf(o->message, sizeof o->message, "%s", r->message);
  o->body = malloc(r->response_len ? r->response_len : 1);
  memcpy(o->body, r->response, r->response_len);
  o->body_len = r->response_len;
  o->done = 1;
  pthread_cond_signal(&o->cv);
  pthread_mutex_unlock(&o->mu);
}

/* Runs one call of `method` with `req` (timeout_ms: 0 for none) and waits
 * for it; returns its status (0: OK; -1: the call could not start, o->body
 * then unset) and prints a non-zero one. The caller frees o->body. */
static int call_msg(tcore_client *c, const char *method, const ProtobufCMessage *req,
                    int64_t timeout_ms, outcome *o) {
  memset(o, 0, sizeof *o);
  pthread_mutex_init(&o->mu, NULL);
  pthread_cond_init(&o->cv, NULL);
  size_t n = protobuf_c_message_get_packed_size(req);
  uint8_t *buf = malloc(n ? n : 1);
  protobuf_c_message_pack(req, buf);
  tcore_call_options opts = {0};
  opts.timeout_ms = timeout_ms;
  tcore_error err;
  int rc = tcore_client_call(c, method, buf, n, &opts, on_done, o, NULL, &err);
  free(buf);
  if (rc != TCORE_OK) return -1;
  pthread_mutex_lock(&o->mu);
  while (!o->done) pthread_cond_wait(&o->cv, &o->mu);
  pthread_mutex_unlock(&o->mu);
  if (o->status) fprintf(stderr, "%s: status %d: %s\n", method, o->status, o->message);
  return o->status;
}
#endif
