/* patch.c: the patch (versioning) machine. set_patch_marker command <->
 * MarkerRecorded event named "core_patch", notify_has_patch job, and the
 * TemporalChangeVersion search attribute upsert that goes with a patch.
 *
 * Behaviour (sdk-core's, so that histories of every SDK replay):
 *   - Look-ahead: when a task is applied, the patch markers of the next
 *     logical task (its command events) each give a notify_has_patch job in
 *     this task's activation, before the code can ask (wf_patch_lookahead).
 *   - set_patch_marker queues a RecordMarker command (details
 *     {"patch-data": [json {"id":..,"deprecated":..}]}) once per patch id;
 *     asking again for an id that already made its command does nothing.
 *   - With core flag 2 usable, the marker is followed by an upsert of
 *     TemporalChangeVersion = every patch id this run made a command for
 *     (sorted, a KeywordList), unless replaying and the marker was not in
 *     the look-ahead, or the value would be 2048 bytes or more.
 *   - Matching command events (wf_patch_pre_match): a patch marker with no
 *     patch command in front is skipped when deprecated (with the
 *     TemporalChangeVersion upsert right after it), else non-determinism; a
 *     deprecated marker for another id than the patch command in front is
 *     skipped likewise; any other command event drops a patch command in
 *     front (replaying code that asked with no marker in history).
 *   - A user upsert of TemporalChangeVersion (flag 2 usable) is sent empty.
 *
 * Table (one machine per patch command):
 *   (new, set_patch_marker)         -> queue RecordMarker [+ upsert], awaiting
 *   (awaiting, marker of its id)    -> recorded
 *   (awaiting, other command event) -> command dropped, skipped
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wf_internal.h"

#define PATCH_MARKER_NAME "core_patch"
#define PATCH_DETAILS_KEY "patch-data"
#define VERSION_SA_KEY "TemporalChangeVersion"
#define MAX_SA_VALUE 2048

enum { P_NEW = 0, P_AWAITING, P_RECORDED, P_SKIPPED, P_N_STATES };
enum { PI_CMD_SET = 0, PI_EV_MARKER, PI_EV_OTHER, PI_N };
enum { PA_BAD = 0, PA_ISSUE, PA_NONE, PA_DROP };

static const struct {
  unsigned char action, next;
} table[P_N_STATES][PI_N] = {
    [P_NEW] = {[PI_CMD_SET] = {PA_ISSUE, P_AWAITING}},
    [P_AWAITING] = {[PI_EV_MARKER] = {PA_NONE, P_RECORDED}, [PI_EV_OTHER] = {PA_DROP, P_SKIPPED}},
};

/* ---- the marker's details ---- */

/* Four hex digits at s: 0 with *v set, or -1. */
static int hex4(const uint8_t *s, uint32_t *v) {
  *v = 0;
  for (int k = 0; k < 4; k++) {
    uint8_t h = s[k];
    int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
            : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
    if (d < 0) return -1;
    *v = *v << 4 | (uint32_t)d;
  }
  return 0;
}

/* JSON string at *p (after the opening quote) into out (UTF-8, NUL
 * terminated; longer than cap-1 bytes is an error; out NULL: only
 * skipped); *p ends after the
 * closing quote. 0 or -1. */
int wf_json_string(const uint8_t **p, const uint8_t *end, char *out, size_t cap) {
  size_t n = 0;
  const uint8_t *s = *p;
  while (s < end && *s != '"') {
    uint32_t c = *s++;
    if (c < 0x20) return -1;
    if (c == '\\') {
      if (s >= end) return -1;
      switch (*s++) {
        case '"': c = '"'; break;
        case '\\': c = '\\'; break;
        case '/': c = '/'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u': {
          uint32_t v, lo;
          if (end - s < 4 || hex4(s, &v)) return -1;
          s += 4;
          /* a surrogate pair */
          if (v >= 0xd800 && v < 0xdc00 && end - s >= 6 && s[0] == '\\' && s[1] == 'u' &&
              !hex4(s + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
            v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
            s += 6;
          }
          /* UTF-8 of v */
          uint8_t u[4];
          int k = 0;
          if (v < 0x80) u[k++] = (uint8_t)v;
          else if (v < 0x800) u[k++] = (uint8_t)(0xc0 | v >> 6), u[k++] = (uint8_t)(0x80 | (v & 0x3f));
          else if (v < 0x10000)
            u[k++] = (uint8_t)(0xe0 | v >> 12), u[k++] = (uint8_t)(0x80 | (v >> 6 & 0x3f)),
            u[k++] = (uint8_t)(0x80 | (v & 0x3f));
          else
            u[k++] = (uint8_t)(0xf0 | v >> 18), u[k++] = (uint8_t)(0x80 | (v >> 12 & 0x3f)),
            u[k++] = (uint8_t)(0x80 | (v >> 6 & 0x3f)), u[k++] = (uint8_t)(0x80 | (v & 0x3f));
          for (int j = 0; j < k && out; j++) {
            if (n + 1 >= cap) return -1;
            out[n++] = (char)u[j];
          }
          continue;
        }
        default: return -1;
      }
    }
    if (!out) continue;
    if (n + 1 >= cap) return -1;
    out[n++] = (char)c;
  }
  if (s >= end) return -1;
  if (out) out[n] = 0;
  *p = s + 1;
  return 0;
}

void wf_json_ws(const uint8_t **p, const uint8_t *end) {
  while (*p < end && (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')) (*p)++;
}

/* Skips one JSON value other than a string (numbers, literals, nested
 * arrays and objects, strings inside them). 0 or -1. */
int wf_json_skip(const uint8_t **p, const uint8_t *end) {
  int depth = 0;
  do {
    wf_json_ws(p, end);
    if (*p >= end) return -1;
    uint8_t c = **p;
    if (c == '"') {
      (*p)++;
      if (wf_json_string(p, end, NULL, 0)) return -1;
    } else if (c == '{' || c == '[') {
      depth++;
      (*p)++;
    } else if (c == '}' || c == ']') {
      if (!depth) return -1;
      depth--;
      (*p)++;
    } else if (c == ',' || c == ':') {
      if (!depth) return -1;
      (*p)++;
    } else {
      const uint8_t *s = *p;
      while (*p < end && **p != ',' && **p != '}' && **p != ']' && **p != ' ' && **p != '\t' &&
             **p != '\n' && **p != '\r')
        (*p)++;
      if (*p == s) return -1;
    }
  } while (depth);
  return 0;
}

/* {"id": "...", "deprecated": bool} (other members ignored). 0 or -1. */
static int parse_patch_json(const uint8_t *p, size_t len, char *id, size_t cap, int *deprecated) {
  const uint8_t *end = p + len;
  int have_id = 0;
  *deprecated = 0;
  wf_json_ws(&p, end);
  if (p >= end || *p++ != '{') return -1;
  wf_json_ws(&p, end);
  if (p < end && *p == '}') return -1;
  for (;;) {
    char key[16];
    wf_json_ws(&p, end);
    if (p >= end || *p++ != '"' || wf_json_string(&p, end, key, sizeof key)) return -1;
    wf_json_ws(&p, end);
    if (p >= end || *p++ != ':') return -1;
    wf_json_ws(&p, end);
    if (!strcmp(key, "id") && p < end && *p == '"') {
      p++;
      if (wf_json_string(&p, end, id, cap)) return -1;
      have_id = 1;
    } else if (!strcmp(key, "deprecated") && end - p >= 4 && !memcmp(p, "true", 4)) {
      *deprecated = 1;
      p += 4;
    } else if (!strcmp(key, "deprecated") && end - p >= 5 && !memcmp(p, "false", 5)) {
      *deprecated = 0;
      p += 5;
    } else if (wf_json_skip(&p, end)) {
      return -1;
    }
    wf_json_ws(&p, end);
    if (p >= end) return -1;
    if (*p == ',') {
      p++;
      continue;
    }
    if (*p++ != '}') return -1;
    break;
  }
  return have_id ? 0 : -1;
}

const Temporal__Api__Common__V1__Payloads *wf_marker_details_entry(
    const Temporal__Api__History__V1__MarkerRecordedEventAttributes *a, const char *key) {
  for (size_t i = 0; i < a->n_details; i++)
    if (a->details[i] && a->details[i]->key && !strcmp(a->details[i]->key, key))
      return a->details[i]->value;
  return NULL;
}

const Temporal__Api__History__V1__MarkerRecordedEventAttributes *wf_marker_attrs(
    const wf_event *ev, const char *name) {
  if (ev->event_type != ET(MARKER_RECORDED) ||
      ev->attributes_case != HA(MARKER_RECORDED_EVENT_ATTRIBUTES) ||
      !ev->marker_recorded_event_attributes)
    return NULL;
  const Temporal__Api__History__V1__MarkerRecordedEventAttributes *a =
      ev->marker_recorded_event_attributes;
  return a->marker_name && !strcmp(a->marker_name, name) ? a : NULL;
}

int wf_patch_marker_details(const wf_event *ev, char *id, size_t cap, int *deprecated) {
  const Temporal__Api__History__V1__MarkerRecordedEventAttributes *a =
      wf_marker_attrs(ev, PATCH_MARKER_NAME);
  if (!a) return 0;
  const Temporal__Api__Common__V1__Payloads *pd = wf_marker_details_entry(a, PATCH_DETAILS_KEY);
  if (pd) {
    if (!pd->n_payloads || !pd->payloads[0]) return 0;
    const ProtobufCBinaryData *d = &pd->payloads[0]->data;
    return parse_patch_json(d->data, d->len, id, cap, deprecated) == 0;
  }
  /* The older shape: raw bytes under "patch_id" and "deprecated". */
  const Temporal__Api__Common__V1__Payloads *pi = wf_marker_details_entry(a, "patch_id");
  const Temporal__Api__Common__V1__Payloads *dp = wf_marker_details_entry(a, "deprecated");
  if (!pi || !dp || !pi->n_payloads || !pi->payloads[0] || !dp->n_payloads || !dp->payloads[0] ||
      !dp->payloads[0]->data.len)
    return 0;
  const ProtobufCBinaryData *d = &pi->payloads[0]->data;
  if (memchr(d->data, 0, d->len) || d->len >= cap) return 0;
  memcpy(id, d->data, d->len);
  id[d->len] = 0;
  *deprecated = dp->payloads[0]->data.data[0] != 0;
  return 1;
}

/* ---- patches seen (markers in the look-ahead, commands made) ---- */

static wf_patch_seen *seen_find(wf_engine *e, const char *id) {
  for (size_t i = 0; i < e->n_patches; i++)
    if (!strcmp(e->patches[i].id, id)) return &e->patches[i];
  return NULL;
}

static wf_patch_seen *seen_put(wf_engine *e, const char *id, int created) {
  wf_patch_seen *s = seen_find(e, id);
  if (!s) {
    if (e->n_patches == e->cap_patches) {
      size_t nc = e->cap_patches ? e->cap_patches * 2 : 4;
      void *p = realloc(e->patches, nc * sizeof *e->patches);
      if (!p) return NULL;
      e->patches = p;
      e->cap_patches = nc;
    }
    char *d = wf_xstrdup(id);
    if (!d) return NULL;
    s = &e->patches[e->n_patches++];
    s->id = d;
  }
  s->created = created;
  return s;
}

int wf_patch_lookahead(wf_engine *e, size_t from, size_t to) {
  char id[WF_PATCH_ID_MAX];
  int deprecated;
  for (size_t i = from; i < to && i < e->n_ev; i++) {
    if (!wf_patch_marker_details(e->ev[i], id, sizeof id, &deprecated)) continue;
    if (!seen_put(e, id, 0)) return TCORE_ERR_NOMEM;
    Coresdk__WorkflowActivation__NotifyHasPatch nh =
        CORESDK__WORKFLOW_ACTIVATION__NOTIFY_HAS_PATCH__INIT;
    nh.patch_id = id;
    wf_job_msg job = CORESDK__WORKFLOW_ACTIVATION__WORKFLOW_ACTIVATION_JOB__INIT;
    job.variant_case = JV(NOTIFY_HAS_PATCH);
    job.notify_has_patch = &nh;
    int rc = wf_push_job(e, WF_JOB_PATCH, &job);
    if (rc) return rc;
  }
  return TCORE_OK;
}

/* ---- JSON out ---- */


void wf_sb_put(wf_sbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->len + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap : 64;
    while (nc < b->len + n + 1) nc *= 2;
    char *p = realloc(b->buf, nc);
    if (!p) {
      b->oom = 1;
      return;
    }
    b->buf = p;
    b->cap = nc;
  }
  memcpy(b->buf + b->len, s, n);
  b->len += n;
  b->buf[b->len] = 0;
}

/* A JSON string as serde_json writes it: ", \ and control characters
 * escaped, everything else (UTF-8 included) as is. */
void wf_sb_json_string(wf_sbuf *b, const char *s) {
  wf_sb_put(b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    char esc[8];
    switch (*p) {
      case '"': wf_sb_put(b, "\\\"", 2); break;
      case '\\': wf_sb_put(b, "\\\\", 2); break;
      case '\b': wf_sb_put(b, "\\b", 2); break;
      case '\f': wf_sb_put(b, "\\f", 2); break;
      case '\n': wf_sb_put(b, "\\n", 2); break;
      case '\r': wf_sb_put(b, "\\r", 2); break;
      case '\t': wf_sb_put(b, "\\t", 2); break;
      default:
        if (*p < 0x20) {
          snprintf(esc, sizeof esc, "\\u%04x", *p);
          wf_sb_put(b, esc, 6);
        } else {
          wf_sb_put(b, (const char *)p, 1);
        }
    }
  }
  wf_sb_put(b, "\"", 1);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- the command ---- */

Temporal__Api__Common__V1__Payload *wf_json_payload(wf_arena *a, const char *json, size_t len,
                                                        const char *type) {
  Temporal__Api__Common__V1__Payload *p = wf_alloc(a, sizeof *p);
  Temporal__Api__Common__V1__Payload__MetadataEntry **md = wf_alloc(a, 2 * sizeof *md);
  uint8_t *data = wf_alloc(a, len + 1);
  if (!p || !md || !data) return NULL;
  temporal__api__common__v1__payload__init(p);
  const char *keys[2] = {"encoding", "type"}, *vals[2] = {"json/plain", type};
  size_t n = type ? 2 : 1;
  for (size_t i = 0; i < n; i++) {
    md[i] = wf_alloc(a, sizeof *md[i]);
    if (!md[i]) return NULL;
    temporal__api__common__v1__payload__metadata_entry__init(md[i]);
    md[i]->key = (char *)keys[i];
    md[i]->value.data = (uint8_t *)vals[i];
    md[i]->value.len = strlen(vals[i]);
  }
  p->n_metadata = n;
  p->metadata = md;
  memcpy(data, json, len);
  p->data.data = data;
  p->data.len = len;
  return p;
}

static int push_marker(wf_engine *e, wf_arena *a, int mi, const wf_lang_cmd *lc) {
  const Coresdk__WorkflowCommands__SetPatchMarker *sp = lc->set_patch_marker;
  wf_sbuf j = {0};
  wf_sb_put(&j, "{\"id\":", 6);
  wf_sb_json_string(&j, e->machines[mi].id);
  wf_sb_put(&j, sp->deprecated ? ",\"deprecated\":true}" : ",\"deprecated\":false}",
         sp->deprecated ? 19 : 20);
  if (j.oom) return TCORE_ERR_NOMEM;
  Temporal__Api__Common__V1__Payload *pl = wf_json_payload(a, j.buf, j.len, NULL);
  free(j.buf);
  Temporal__Api__Common__V1__Payloads *pls = wf_alloc(a, sizeof *pls);
  Temporal__Api__Common__V1__Payload **plv = wf_alloc(a, sizeof *plv);
  Temporal__Api__Command__V1__RecordMarkerCommandAttributes__DetailsEntry *de =
      wf_alloc(a, sizeof *de);
  Temporal__Api__Command__V1__RecordMarkerCommandAttributes__DetailsEntry **dv =
      wf_alloc(a, sizeof *dv);
  Temporal__Api__Command__V1__RecordMarkerCommandAttributes *at = wf_alloc(a, sizeof *at);
  if (!pl || !pls || !plv || !de || !dv || !at) return TCORE_ERR_NOMEM;
  temporal__api__common__v1__payloads__init(pls);
  plv[0] = pl;
  pls->n_payloads = 1;
  pls->payloads = plv;
  temporal__api__command__v1__record_marker_command_attributes__details_entry__init(de);
  de->key = PATCH_DETAILS_KEY;
  de->value = pls;
  dv[0] = de;
  temporal__api__command__v1__record_marker_command_attributes__init(at);
  at->marker_name = PATCH_MARKER_NAME;
  at->n_details = 1;
  at->details = dv;
  wf_api_cmd api = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  api.command_type = CT(RECORD_MARKER);
  api.user_metadata = lc->user_metadata;
  api.attributes_case = CA(RECORD_MARKER_COMMAND_ATTRIBUTES);
  api.record_marker_command_attributes = at;
  return wf_push_cmd(e, &api, mi, e->machines[mi].id, NULL);
}

/* The TemporalChangeVersion upsert: the ids of every patch command made
 * (this one included), sorted. 0 when skipped for size. */
static int push_version_upsert(wf_engine *e, wf_arena *a, const char *id, const wf_lang_cmd *lc) {
  size_t n = 0;
  const char **ids = wf_alloc(a, (e->n_patches + 1) * sizeof *ids);
  if (!ids) return TCORE_ERR_NOMEM;
  for (size_t i = 0; i < e->n_patches; i++)
    if (e->patches[i].created && strcmp(e->patches[i].id, id)) ids[n++] = e->patches[i].id;
  ids[n++] = id;
  qsort(ids, n, sizeof *ids, cmp_str);
  wf_sbuf j = {0};
  wf_sb_put(&j, "[", 1);
  for (size_t i = 0; i < n; i++) {
    if (i) wf_sb_put(&j, ",", 1);
    wf_sb_json_string(&j, ids[i]);
  }
  wf_sb_put(&j, "]", 1);
  if (j.oom) return TCORE_ERR_NOMEM;
  if (j.len >= MAX_SA_VALUE) { /* as sdk-core: too big for the server, not upserted */
    free(j.buf);
    return TCORE_OK;
  }
  Temporal__Api__Common__V1__Payload *pl = wf_json_payload(a, j.buf, j.len, "KeywordList");
  free(j.buf);
  Temporal__Api__Common__V1__SearchAttributes__IndexedFieldsEntry *fe = wf_alloc(a, sizeof *fe);
  Temporal__Api__Common__V1__SearchAttributes__IndexedFieldsEntry **fv = wf_alloc(a, sizeof *fv);
  Temporal__Api__Common__V1__SearchAttributes *sa = wf_alloc(a, sizeof *sa);
  Temporal__Api__Command__V1__UpsertWorkflowSearchAttributesCommandAttributes *at =
      wf_alloc(a, sizeof *at);
  if (!pl || !fe || !fv || !sa || !at) return TCORE_ERR_NOMEM;
  temporal__api__common__v1__search_attributes__indexed_fields_entry__init(fe);
  fe->key = VERSION_SA_KEY;
  fe->value = pl;
  fv[0] = fe;
  temporal__api__common__v1__search_attributes__init(sa);
  sa->n_indexed_fields = 1;
  sa->indexed_fields = fv;
  temporal__api__command__v1__upsert_workflow_search_attributes_command_attributes__init(at);
  at->search_attributes = sa;
  wf_api_cmd api = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
  api.command_type = CT(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
  api.user_metadata = lc->user_metadata;
  api.attributes_case = CA(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES_COMMAND_ATTRIBUTES);
  api.upsert_workflow_search_attributes_command_attributes = at;
  return wf_push_cmd(e, &api, -1, NULL, NULL);
}

int wf_patch_cmd(wf_engine *e, wf_arena *a, const wf_lang_cmd *c, tcore_error *err) {
  const Coresdk__WorkflowCommands__SetPatchMarker *sp = c->set_patch_marker;
  if (!sp || !sp->patch_id || !*sp->patch_id)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT, "set_patch_marker: no patch id");
  if (strlen(sp->patch_id) >= WF_PATCH_ID_MAX)
    return wf_set_err(err, TCORE_ERR_INVALID_ARGUMENT,
                      "set_patch_marker: patch id longer than %d bytes", WF_PATCH_ID_MAX - 1);
  wf_patch_seen *seen = seen_find(e, sp->patch_id);
  if (seen && seen->created) return TCORE_OK; /* one command per patch id */
  int in_lookahead = seen != NULL;
  int mi = wf_new_machine(e, WF_M_PATCH, 0);
  if (mi < 0) return mi;
  if (!(e->machines[mi].id = wf_xstrdup(sp->patch_id))) return TCORE_ERR_NOMEM;
  int action = table[P_NEW][PI_CMD_SET].action;
  int rc = action == PA_ISSUE ? push_marker(e, a, mi, c) : TCORE_ERR_INVALID_ARGUMENT;
  if (rc) return rc;
  e->machines[mi].state = table[P_NEW][PI_CMD_SET].next;
  /* the flag is asked for either way (recorded when not replaying) */
  int flag = wf_try_flag(e, WF_FLAG_UPSERT_SA_ON_PATCH);
  if (flag && !(e->task_replaying && !in_lookahead)) {
    rc = push_version_upsert(e, a, sp->patch_id, c);
    if (rc) return rc;
  }
  return seen_put(e, sp->patch_id, 1) ? TCORE_OK : TCORE_ERR_NOMEM;
}

/* ---- command events ---- */

int wf_is_version_upsert(const Temporal__Api__Common__V1__SearchAttributes *sa) {
  for (size_t i = 0; sa && i < sa->n_indexed_fields; i++)
    if (sa->indexed_fields[i]->key && !strcmp(sa->indexed_fields[i]->key, VERSION_SA_KEY)) return 1;
  return 0;
}


/* The event after `ev` (held in e->ev at the cursor), or NULL. */
static const wf_event *event_after(const wf_engine *e, const wf_event *ev) {
  if (e->cursor < e->n_ev && e->ev[e->cursor] == ev && e->cursor + 1 < e->n_ev)
    return e->ev[e->cursor + 1];
  return NULL;
}

/* A skipped patch marker: the TemporalChangeVersion upsert right after it
 * (made with it) is skipped too. */
static int skip_marker(wf_engine *e, const wf_event *ev) {
  const wf_event *nx = event_after(e, ev);
  if (nx && nx->attributes_case == HA(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES_EVENT_ATTRIBUTES) &&
      nx->upsert_workflow_search_attributes_event_attributes &&
      wf_is_version_upsert(nx->upsert_workflow_search_attributes_event_attributes->search_attributes))
    e->skip_event_id = nx->event_id;
  return WF_PATCH_SKIP_EVENT;
}

int wf_patch_pre_match(wf_engine *e, const wf_event *ev, tcore_error *err) {
  const wf_cmd *front = e->n_cmds ? &e->cmds[0] : NULL;
  const wf_machine *pm = front && front->machine >= 0 &&
                                 e->machines[front->machine].kind == WF_M_PATCH
                             ? &e->machines[front->machine]
                             : NULL;
  char id[WF_PATCH_ID_MAX];
  int deprecated = 0;
  if (wf_patch_marker_details(ev, id, sizeof id, &deprecated)) {
    if (pm) return strcmp(pm->id, id) && deprecated ? skip_marker(e, ev) : WF_PATCH_NORMAL;
    if (deprecated) return skip_marker(e, ev);
    return wf_nondeterminism(e, err,
                             "Event %lld (MarkerRecorded): non-deprecated patch marker encountered "
                             "for change %s, but there is no corresponding change command",
                             (long long)ev->event_id, id);
  }
  if (pm) {
    int mi = front->machine;
    int action = table[pm->state][PI_EV_OTHER].action;
    if (action != PA_DROP)
      return wf_nondeterminism(e, err, "Patch %s does not handle event %lld (%s)", pm->id,
                               (long long)ev->event_id, wf_event_type_name(ev->event_type));
    e->machines[mi].state = table[pm->state][PI_EV_OTHER].next;
    return WF_PATCH_SKIP_COMMAND;
  }
  return WF_PATCH_NORMAL;
}

int wf_patch_event(wf_engine *e, const wf_event *ev, wf_cmd *matched, tcore_error *err) {
  char id[WF_PATCH_ID_MAX];
  int deprecated = 0;
  wf_machine *m = matched->machine >= 0 ? &e->machines[matched->machine] : NULL;
  if (!m || m->kind != WF_M_PATCH)
    return wf_nondeterminism(e, err,
                             "Event %lld (MarkerRecorded) is not a patch marker this SDK knows, and "
                             "the workflow's next command is a marker",
                             (long long)ev->event_id);
  if (!wf_patch_marker_details(ev, id, sizeof id, &deprecated))
    return wf_nondeterminism(e, err,
                             "Event %lld (MarkerRecorded) is not a patch marker, but the "
                             "workflow's next command is the marker of patch %s",
                             (long long)ev->event_id, m->id);
  if (strcmp(id, m->id))
    return wf_nondeterminism(e, err, "Change id %s does not match expected id %s (event %lld)", id,
                             m->id, (long long)ev->event_id);
  if (table[m->state][PI_EV_MARKER].action == PA_BAD)
    return wf_nondeterminism(e, err, "Patch %s does not handle event %lld (MarkerRecorded)", m->id,
                             (long long)ev->event_id);
  m->state = table[m->state][PI_EV_MARKER].next;
  return TCORE_OK;
}
