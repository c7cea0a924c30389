/* update.c: workflow updates (the "update" protocol of protocol messages).
 *
 * In: update requests (temporal.api.update.v1.Request) from the task's
 * protocol messages, from WorkflowExecutionUpdateAdmitted events (durable
 * requests, e.g. update-with-start), and on replay from the look-ahead's
 * WorkflowExecutionUpdateAccepted events (the request the workflow accepted
 * then). Each gives a do_update job (run_validator only when not replaying).
 * Out: the language's update_response commands become outgoing protocol
 * messages (Acceptance "<msg>/accept", Rejection "<msg>/reject", Response
 * "<msg>/complete") and, for accept and complete, PROTOCOL_MESSAGE commands
 * that history records as WorkflowExecutionUpdateAccepted / Completed. A
 * rejection leaves no event. Messages are not sent while replaying.
 *
 * States (lang response or event -> next):
 *   REQUESTED  --accepted-->          ACCEPTED   (accept message + command)
 *   REQUESTED  --rejected-->          REJECTED   (reject message)
 *   ACCEPTED   --completed|rejected-> COMPLETED  (response message + command)
 *   ACCEPTED   --UpdateAccepted ev--> ACCEPT_RECORDED
 *   ACCEPT_RECORDED --completed|rejected-> COMPLETED
 *   COMPLETED  --UpdateAccepted ev--> COMPLETED  (accept and complete in one task)
 *   COMPLETED  --UpdateCompleted ev-> DONE
 * Anything else from the language is an invalid transition (the activation
 * fails); an event that does not fit is a non-determinism error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "temporal/api/protocol/v1/message.pb-c.h"
#include "temporal/api/update/v1/message.pb-c.h"
#include "wf_internal.h"

enum { U_REQUESTED = 0, U_ACCEPTED, U_ACCEPT_RECORDED, U_COMPLETED, U_DONE, U_REJECTED };
static const char *const state_names[] = {"requested",       "accepted",
                                          "accept recorded", "completed",
                                          "done",            "rejected"};

#define REQUEST_TYPE "temporal.api.update.v1.Request"
#define TYPE_PREFIX "type.googleapis.com/"

static void update_free(wf_update *u) {
  free(u->instance_id);
  free(u->msg_id);
  free(u->update_id);
  free(u->identity);
  free(u->request.data);
}

static void in_msg_free(wf_in_msg *m) {
  free(m->msg_id);
  free(m->instance_id);
  free(m->request.data);
}

void wf_updates_clear(wf_engine *e) {
  for (size_t i = 0; i < e->n_updates; i++) update_free(&e->updates[i]);
  free(e->updates);
  e->updates = NULL;
  e->n_updates = 0;
  for (size_t i = 0; i < e->n_in_msgs; i++) in_msg_free(&e->in_msgs[i]);
  free(e->in_msgs);
  e->in_msgs = NULL;
  e->n_in_msgs = 0;
  for (size_t i = 0; i < e->n_admitted; i++) in_msg_free(&e->admitted[i]);
  free(e->admitted);
  e->admitted = NULL;
  e->n_admitted = 0;
  wf_out_msgs_clear(e);
}

void wf_out_msgs_clear(wf_engine *e) {
  for (size_t i = 0; i < e->n_out_msgs; i++) free(e->out_msgs[i].data);
  free(e->out_msgs);
  e->out_msgs = NULL;
  e->n_out_msgs = 0;
}

static wf_update *find_update(wf_engine *e, const char *instance_id) {
  for (size_t i = e->n_updates; i-- > 0;)
    if (!strcmp(e->updates[i].instance_id, instance_id)) return &e->updates[i];
  return NULL;
}

/* Appends a request to a list (copies; the request is packed). */
static int list_add(wf_in_msg **arr, size_t *n, const char *msg_id, const char *instance_id,
                    int64_t seq_event_id, const Temporal__Api__Update__V1__Request *req) {
  void *p = realloc(*arr, (*n + 1) * sizeof **arr);
  if (!p) return TCORE_ERR_NOMEM;
  *arr = p;
  wf_in_msg *m = &(*arr)[*n];
  memset(m, 0, sizeof *m);
  m->seq_event_id = seq_event_id;
  m->msg_id = wf_xstrdup(msg_id);
  m->instance_id = wf_xstrdup(instance_id);
  if (!m->msg_id || !m->instance_id || wf_pack(&req->base, &m->request)) {
    in_msg_free(m);
    return TCORE_ERR_NOMEM;
  }
  (*n)++;
  return TCORE_OK;
}

int wf_update_messages_add(wf_engine *e, size_t n, Temporal__Api__Protocol__V1__Message **msgs,
                           tcore_error *err) {
  for (size_t i = 0; i < n; i++) {
    const Temporal__Api__Protocol__V1__Message *m = msgs[i];
    const Google__Protobuf__Any *body = m->body;
    const char *url = body && body->type_url ? body->type_url : "";
    const char *slash = strrchr(url, '/');
    if (strcmp(slash ? slash + 1 : url, REQUEST_TYPE))
      return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                        "protocol message '%s' has a body of type '%s', not an update request",
                        m->id ? m->id : "", url);
    /* Messages sequenced by command index are never processable (sdk-core). */
    if (m->sequencing_id_case ==
        TEMPORAL__API__PROTOCOL__V1__MESSAGE__SEQUENCING_ID_COMMAND_INDEX)
      continue;
    Temporal__Api__Update__V1__Request *req =
        temporal__api__update__v1__request__unpack(NULL, body->value.len, body->value.data);
    if (!req || !req->meta || !req->input) {
      if (req) temporal__api__update__v1__request__free_unpacked(req, NULL);
      return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                        "protocol message '%s': the update request does not parse or lacks "
                        "meta/input",
                        m->id ? m->id : "");
    }
    int64_t seq = m->sequencing_id_case ==
                          TEMPORAL__API__PROTOCOL__V1__MESSAGE__SEQUENCING_ID_EVENT_ID
                      ? m->event_id
                      : 0;
    int rc = list_add(&e->in_msgs, &e->n_in_msgs, m->id, m->protocol_instance_id, seq, req);
    temporal__api__update__v1__request__free_unpacked(req, NULL);
    if (rc) return wf_set_err(err, rc, "out of memory");
  }
  return TCORE_OK;
}

/* A new update machine and its do_update job. */
static int new_update(wf_engine *e, const char *msg_id, const char *instance_id,
                      int64_t seq_event_id, const wf_blob *request, int replaying) {
  /* A request for an update the run already has (a re-delivered message) is
   * ignored; one that was rejected may come again. */
  const wf_update *had = find_update(e, instance_id);
  if (had && had->state != U_REJECTED) return TCORE_OK;
  Temporal__Api__Update__V1__Request *req =
      temporal__api__update__v1__request__unpack(NULL, request->len, request->data);
  if (!req) return TCORE_ERR_NOMEM;
  int rc = TCORE_OK;
  wf_arena ar = {0};
  Coresdk__WorkflowActivation__DoUpdate du = CORESDK__WORKFLOW_ACTIVATION__DO_UPDATE__INIT;
  du.id = req->meta && req->meta->update_id ? req->meta->update_id : "";
  du.protocol_instance_id = (char *)instance_id;
  du.name = req->input && req->input->name ? req->input->name : "";
  if (req->input && req->input->args) {
    du.n_input = req->input->args->n_payloads;
    du.input = req->input->args->payloads;
  }
  if (req->input && req->input->header && req->input->header->n_fields) {
    du.n_headers = req->input->header->n_fields;
    du.headers = (Coresdk__WorkflowActivation__DoUpdate__HeadersEntry **)wf_copy_map(
        &ar, &coresdk__workflow_activation__do_update__headers_entry__descriptor,
        (void *const *)req->input->header->fields, req->input->header->n_fields);
  }
  du.meta = req->meta;
  du.run_validator = !replaying;
  wf_job_msg job = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
  job.variant_case = JV(DO_UPDATE);
  job.do_update = &du;
  void *p = realloc(e->updates, (e->n_updates + 1) * sizeof *e->updates);
  if (!p || ar.oom) {
    if (p) e->updates = p;
    rc = TCORE_ERR_NOMEM;
    goto out;
  }
  e->updates = p;
  wf_update *u = &e->updates[e->n_updates];
  memset(u, 0, sizeof *u);
  u->state = U_REQUESTED;
  u->seq_event_id = seq_event_id;
  u->instance_id = wf_xstrdup(instance_id);
  u->msg_id = wf_xstrdup(msg_id);
  u->update_id = wf_xstrdup(du.id);
  u->identity = wf_xstrdup(req->meta ? req->meta->identity : "");
  u->request.data = malloc(request->len ? request->len : 1);
  if (!u->instance_id || !u->msg_id || !u->update_id || !u->identity || !u->request.data) {
    update_free(u);
    rc = TCORE_ERR_NOMEM;
    goto out;
  }
  memcpy(u->request.data, request->data, request->len);
  u->request.len = request->len;
  e->n_updates++;
  rc = wf_push_job(e, WF_JOB_SIGNAL, &job);
out:
  wf_arena_free(&ar);
  temporal__api__update__v1__request__free_unpacked(req, NULL);
  return rc;
}

int wf_update_process_messages(wf_engine *e, int64_t after_event_id, int all, int replaying) {
  size_t k = 0;
  int rc = TCORE_OK;
  for (size_t i = 0; i < e->n_in_msgs; i++) {
    wf_in_msg *m = &e->in_msgs[i];
    if (!rc && (all || m->seq_event_id <= after_event_id)) {
      rc = new_update(e, m->msg_id, m->instance_id, m->seq_event_id, &m->request, replaying);
      in_msg_free(m);
      continue;
    }
    e->in_msgs[k++] = *m;
  }
  e->n_in_msgs = k;
  return rc;
}

int wf_update_admitted(wf_engine *e, const wf_event *ev, int replaying, tcore_error *err) {
  const Temporal__Api__History__V1__WorkflowExecutionUpdateAdmittedEventAttributes *a =
      ev->attributes_case == HA(WORKFLOW_EXECUTION_UPDATE_ADMITTED_EVENT_ATTRIBUTES)
          ? ev->workflow_execution_update_admitted_event_attributes
          : NULL;
  if (!a || !a->request || !a->request->meta || !a->request->input)
    return wf_nondeterminism(e, err, "Event %lld (%s) has no update request with meta and input",
                             (long long)ev->event_id, wf_event_type_name(ev->event_type));
  const char *instance = a->request->meta->update_id ? a->request->meta->update_id : "";
  size_t n = strlen(instance);
  char *msg_id = malloc(n + sizeof "/request");
  if (!msg_id) return wf_set_err(err, TCORE_ERR_NOMEM, "out of memory");
  memcpy(msg_id, instance, n);
  memcpy(msg_id + n, "/request", sizeof "/request");
  /* Replaying: kept for the look-ahead's UpdateAccepted event; otherwise a
   * request like a message sequenced at this event. */
  int rc = replaying ? list_add(&e->admitted, &e->n_admitted, msg_id, instance, ev->event_id,
                                a->request)
                     : list_add(&e->in_msgs, &e->n_in_msgs, msg_id, instance, ev->event_id,
                                a->request);
  free(msg_id);
  return rc ? wf_set_err(err, rc, "out of memory") : TCORE_OK;
}

int wf_update_lookahead(wf_engine *e, size_t from, size_t to) {
  for (size_t i = from; i < to && i < e->n_ev; i++) {
    const wf_event *ev = e->ev[i];
    if (ev->attributes_case != HA(WORKFLOW_EXECUTION_UPDATE_ACCEPTED_EVENT_ATTRIBUTES) ||
        !ev->workflow_execution_update_accepted_event_attributes)
      continue;
    const Temporal__Api__History__V1__WorkflowExecutionUpdateAcceptedEventAttributes *a =
        ev->workflow_execution_update_accepted_event_attributes;
    const char *instance = a->protocol_instance_id ? a->protocol_instance_id : "";
    int rc = TCORE_OK, used = 0;
    for (size_t j = 0; j < e->n_admitted; j++) {
      wf_in_msg *m = &e->admitted[j];
      if (strcmp(m->instance_id, instance)) continue;
      rc = new_update(e, m->msg_id, instance, m->seq_event_id, &m->request, 1);
      in_msg_free(m);
      memmove(m, m + 1, (e->n_admitted - j - 1) * sizeof *m);
      e->n_admitted--;
      used = 1;
      break;
    }
    if (!used && a->accepted_request) {
      wf_blob b = {0};
      rc = wf_pack(&a->accepted_request->base, &b);
      if (!rc)
        rc = new_update(e, a->accepted_request_message_id, instance,
                        a->accepted_request_sequencing_event_id, &b, 1);
      free(b.data);
    }
    if (rc) return rc;
  }
  return TCORE_OK;
}

/* An outgoing protocol message carrying `body` of type `type`. */
static int push_msg(wf_engine *e, const wf_update *u, const char *suffix, const char *type,
                    const ProtobufCMessage *body, char **msg_id_out) {
  size_t n = strlen(u->msg_id), sn = strlen(suffix);
  char *id = malloc(n + sn + 1);
  if (!id) return TCORE_ERR_NOMEM;
  memcpy(id, u->msg_id, n);
  memcpy(id + n, suffix, sn + 1);
  *msg_id_out = id;
  if (e->task_replaying) return TCORE_OK; /* messages are not sent on replay */
  char url[128];
  snprintf(url, sizeof url, TYPE_PREFIX "%s", type);
  Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
  any.type_url = url;
  wf_blob b = {0};
  if (wf_pack(body, &b)) return TCORE_ERR_NOMEM;
  any.value.data = b.data;
  any.value.len = b.len;
  Temporal__Api__Protocol__V1__Message m = TEMPORAL__API__PROTOCOL__V1__MESSAGE__INIT;
  m.id = id;
  m.protocol_instance_id = u->instance_id;
  m.body = &any;
  wf_blob out = {0};
  int rc = wf_pack(&m.base, &out);
  free(b.data);
  if (rc) return rc;
  void *p = realloc(e->out_msgs, (e->n_out_msgs + 1) * sizeof *e->out_msgs);
  if (!p) {
    free(out.data);
    return TCORE_ERR_NOMEM;
  }
  e->out_msgs = p;
  e->out_msgs[e->n_out_msgs++] = out;
  return TCORE_OK;
}

/* The PROTOCOL_MESSAGE command pointing at message `msg_id`. */
static int push_protocol_cmd(wf_engine *e, const wf_update *u, const char *msg_id,
                             const char *what) {
  Temporal__Api__Command__V1__ProtocolMessageCommandAttributes pa =
      TEMPORAL__API__COMMAND__V1__PROTOCOL_MESSAGE_COMMAND_ATTRIBUTES__INIT;
  pa.message_id = (char *)msg_id;
  wf_api_cmd c = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  c.command_type = CT(PROTOCOL_MESSAGE);
  c.attributes_case = CA(PROTOCOL_MESSAGE_COMMAND_ATTRIBUTES);
  c.protocol_message_command_attributes = &pa;
  return wf_push_cmd(e, &c, -1, u->instance_id, what);
}

int wf_update_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err) {
  (void)a;
  const Coresdk__WorkflowCommands__UpdateResponse *r = c->update_response;
  if (!r) return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "empty update_response");
  const char *instance = r->protocol_instance_id ? r->protocol_instance_id : "";
  wf_update *u = find_update(e, instance);
  if (!u)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                      "update_response for update with instance id '%s', which is not known",
                      instance);
  Temporal__Api__Update__V1__Request *req =
      temporal__api__update__v1__request__unpack(NULL, u->request.len, u->request.data);
  if (!req) return wf_set_err(err, TCORE_ERR_NOMEM, "out of memory");
  int rc = TCORE_OK, bad = 0;
  char *msg_id = NULL;
  switch (r->response_case) {
    case CORESDK__WORKFLOW_COMMANDS__UPDATE_RESPONSE__RESPONSE_ACCEPTED:
      if (u->state != U_REQUESTED) {
        bad = 1;
        break;
      }
      {
        Temporal__Api__Update__V1__Acceptance acc = TEMPORAL__API__UPDATE__V1__ACCEPTANCE__INIT;
        acc.accepted_request_message_id = u->msg_id;
        acc.accepted_request_sequencing_event_id = u->seq_event_id;
        acc.accepted_request = req;
        rc = push_msg(e, u, "/accept", "temporal.api.update.v1.Acceptance", &acc.base, &msg_id);
        if (!rc) rc = push_protocol_cmd(e, u, msg_id, "accept");
        if (!rc) u->state = U_ACCEPTED;
      }
      break;
    case CORESDK__WORKFLOW_COMMANDS__UPDATE_RESPONSE__RESPONSE_REJECTED:
      if (u->state == U_REQUESTED) {
        Temporal__Api__Update__V1__Rejection rej = TEMPORAL__API__UPDATE__V1__REJECTION__INIT;
        rej.rejected_request_message_id = u->msg_id;
        rej.rejected_request_sequencing_event_id = u->seq_event_id;
        rej.rejected_request = req;
        rej.failure = r->rejected;
        rc = push_msg(e, u, "/reject", "temporal.api.update.v1.Rejection", &rej.base, &msg_id);
        if (!rc) u->state = U_REJECTED;
        break;
      }
      /* a failure after acceptance completes the update */
      __attribute__((fallthrough));
    case CORESDK__WORKFLOW_COMMANDS__UPDATE_RESPONSE__RESPONSE_COMPLETED:
      if (u->state != U_ACCEPTED && u->state != U_ACCEPT_RECORDED) {
        bad = 1;
        break;
      }
      {
        Temporal__Api__Update__V1__Meta meta = TEMPORAL__API__UPDATE__V1__META__INIT;
        meta.update_id = u->update_id;
        meta.identity = u->identity;
        Temporal__Api__Update__V1__Outcome oc = TEMPORAL__API__UPDATE__V1__OUTCOME__INIT;
        Temporal__Api__Common__V1__Payloads pl = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
        Temporal__Api__Common__V1__Payload *one[1];
        if (r->response_case == CORESDK__WORKFLOW_COMMANDS__UPDATE_RESPONSE__RESPONSE_COMPLETED) {
          oc.value_case = TEMPORAL__API__UPDATE__V1__OUTCOME__VALUE_SUCCESS;
          if (r->completed) {
            one[0] = r->completed;
            pl.n_payloads = 1;
            pl.payloads = one;
          }
          oc.success = &pl;
        } else {
          oc.value_case = TEMPORAL__API__UPDATE__V1__OUTCOME__VALUE_FAILURE;
          oc.failure = r->rejected;
        }
        Temporal__Api__Update__V1__Response resp = TEMPORAL__API__UPDATE__V1__RESPONSE__INIT;
        resp.meta = &meta;
        resp.outcome = &oc;
        rc = push_msg(e, u, "/complete", "temporal.api.update.v1.Response", &resp.base, &msg_id);
        if (!rc) rc = push_protocol_cmd(e, u, msg_id, "complete");
        if (!rc) u->state = U_COMPLETED;
      }
      break;
    default:
      rc = wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                      "update_response for update '%s' has an empty result", u->update_id);
  }
  if (bad)
    rc = wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                    "invalid transition while handling update response (id %s) in state %s",
                    u->update_id, state_names[u->state]);
  else if (rc == TCORE_ERR_NOMEM)
    wf_set_err(err, rc, "out of memory");
  free(msg_id);
  temporal__api__update__v1__request__free_unpacked(req, NULL);
  return rc;
}

int wf_update_event(wf_engine *e, const wf_event *ev, wf_cmd *matched, tcore_error *err) {
  const char *instance = "";
  int accepted = ev->event_type == ET(WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
  if (accepted && ev->workflow_execution_update_accepted_event_attributes &&
      ev->attributes_case == HA(WORKFLOW_EXECUTION_UPDATE_ACCEPTED_EVENT_ATTRIBUTES))
    instance = ev->workflow_execution_update_accepted_event_attributes->protocol_instance_id;
  if (!accepted && ev->workflow_execution_update_completed_event_attributes &&
      ev->attributes_case == HA(WORKFLOW_EXECUTION_UPDATE_COMPLETED_EVENT_ATTRIBUTES) &&
      ev->workflow_execution_update_completed_event_attributes->meta)
    instance = ev->workflow_execution_update_completed_event_attributes->meta->update_id;
  if (!instance) instance = "";
  const char *want = accepted ? "accept" : "complete";
  wf_update *u = find_update(e, instance);
  if (!matched->kind || strcmp(matched->kind, want) || !matched->id ||
      strcmp(matched->id, instance) || !u)
    return wf_nondeterminism(e, err,
                             "Event %lld (%s) of update '%s' does not match the next command the "
                             "workflow produced: the %s message of update '%s'",
                             (long long)ev->event_id, wf_event_type_name(ev->event_type),
                             instance, matched->kind ? matched->kind : "?",
                             matched->id ? matched->id : "");
  if (accepted) {
    if (u->state == U_ACCEPTED) u->state = U_ACCEPT_RECORDED;
  } else {
    u->state = U_DONE;
  }
  return TCORE_OK;
}
