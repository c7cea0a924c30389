/* describe_namespace.c: the C core used directly, without Python.
 *
 *   describe_namespace HOST:PORT [NAMESPACE]
 *
 * Connects, calls DescribeNamespace through the core (which retries
 * transient failures), prints the result or the error, and frees everything.
 * Requests are built with protobuf-c from the generated Temporal API. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "temporal_core.h"

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done, ok;
} waiter;

/* Runs on a core runtime thread: the response is valid only during this call. */
static void on_done(void *user, const tcore_call_result *r) {
  waiter *w = user;
  if (r->status == TCORE_STATUS_OK) {
    Temporal__Api__Workflowservice__V1__DescribeNamespaceResponse *resp =
        temporal__api__workflowservice__v1__describe_namespace_response__unpack(
            NULL, r->response_len, r->response);
    if (resp && resp->namespace_info) {
      printf("namespace %s: id %s, state %d\n", resp->namespace_info->name,
             resp->namespace_info->id, resp->namespace_info->state);
      w->ok = 1;
    }
    temporal__api__workflowservice__v1__describe_namespace_response__free_unpacked(resp, NULL);
  } else {
    fprintf(stderr, "DescribeNamespace failed: status %d: %s (after %d attempts)\n", r->status,
            r->message, r->attempts);
  }
  pthread_mutex_lock(&w->mu);
  w->done = 1;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s HOST:PORT [NAMESPACE]\n", argv[0]);
    return 2;
  }
  const char *ns = argc > 2 ? argv[2] : "default";
  tcore_error err;
  tcore_runtime *rt;
  if (tcore_runtime_new(&rt, &err) != TCORE_OK) {
    fprintf(stderr, "runtime: %s\n", err.message);
    return 1;
  }
  tcore_client_options *opts;
  tcore_client_options_new(&opts);
  tcore_client_options_set_target(opts, argv[1]);
  tcore_client_options_set_namespace(opts, ns);
  tcore_client *client;
  int rc = tcore_client_new(rt, opts, &client, &err);
  tcore_client_options_free(opts);
  if (rc != TCORE_OK) {
    fprintf(stderr, "client: %s\n", err.message);
    tcore_runtime_free(rt);
    return 1;
  }

  Temporal__Api__Workflowservice__V1__DescribeNamespaceRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_NAMESPACE_REQUEST__INIT;
  req.namespace_ = (char *)ns;
  uint8_t buf[512];
  size_t len = temporal__api__workflowservice__v1__describe_namespace_request__pack(&req, buf);

  waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
  rc = tcore_client_call(client, "/temporal.api.workflowservice.v1.WorkflowService/DescribeNamespace",
                         buf, len, NULL, on_done, &w, NULL, &err);
  if (rc == TCORE_OK) {
    pthread_mutex_lock(&w.mu);
    while (!w.done) pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
  } else {
    fprintf(stderr, "call: %s\n", err.message);
  }
  tcore_client_free(client);
  tcore_runtime_free(rt);
  return w.ok ? 0 : 1;
}
