/*
 * _bridge.c: the asyncio adapter of the C core.
 *
 * Argument conversion and completion delivery only; logic lives in the core
 * or in Python.
 *
 * Delivery: a core callback runs on a runtime thread, which never takes the
 * GIL. It fills a `completion` (raw malloc) and appends it to the queue of a
 * Notifier; when the queue goes from empty to non-empty it writes the
 * Notifier's eventfd. The event loop watches that fd (loop.add_reader) and
 * calls Notifier.drain(), which takes every queued completion in one pass and
 * resolves its future (or calls its callable) on the loop's own thread. So a
 * GIL/core-lock deadlock cannot happen: the runtime threads hold no lock
 * that anyone holding the GIL waits for, except the tiny queue mutex, which
 * is never held across anything that waits.
 *
 * No global state: types live in module state (multi-phase init).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "temporal_core.h"

typedef struct {
  PyTypeObject *runtime_type, *client_type, *call_type, *notifier_type, *worker_type;
  PyObject *core_error; /* _bridge.CoreError(ValueError-like) */
} module_state;

static module_state *state_of_type(PyTypeObject *t) {
  return (module_state *)PyType_GetModuleState(t);
}

/* Raises the Python exception that fits a core error. */
static PyObject *raise_core(PyTypeObject *t, int rc, const tcore_error *err) {
  const char *msg = err && err->message[0] ? err->message : tcore_strerror(rc);
  switch (rc) {
    case TCORE_ERR_INVALID_ARGUMENT: PyErr_SetString(PyExc_ValueError, msg); break;
    case TCORE_ERR_NOMEM: PyErr_NoMemory(); break;
    default: PyErr_SetString(state_of_type(t)->core_error, msg); break;
  }
  return NULL;
}

static int no_arguments(const char *name, PyObject *args, PyObject *kw) {
  if (PyTuple_GET_SIZE(args) == 0 && (!kw || PyDict_GET_SIZE(kw) == 0)) return 0;
  PyErr_Format(PyExc_TypeError, "%s() takes no arguments", name);
  return -1;
}

/* ---- completions and the Notifier ------------------------------------- */

struct completion;
/* Builds the Python value of a completion (with the GIL). */
typedef PyObject *(*convert_fn)(struct completion *c);

typedef struct completion {
  struct completion *next;
  struct NotifierObject *notifier; /* strong ref, dropped by drain (unless borrowed) */
  PyObject *target;                /* future (set_result), callable, or None; strong ref */
  convert_fn convert;
  int is_future; /* target is an asyncio future, else a callable (None: convert only) */
  int borrowed;  /* notifier and target are borrowed: someone else keeps them alive */
  void *ctx;     /* for `convert` */
  int status;
  char *message;
  uint8_t *data; /* response (OK) or status details (error) */
  size_t len;
  int code; /* worker FATAL events: the gRPC status (0: not a call's) */
} completion;

typedef struct NotifierObject {
  PyObject_HEAD
  int fd;
  pthread_mutex_t mu;
  completion *head, *tail;
} NotifierObject;

static completion *completion_new(NotifierObject *n, PyObject *target, convert_fn convert,
                                  int is_future) {
  completion *c = PyMem_RawCalloc(1, sizeof *c);
  if (!c) return NULL;
  Py_INCREF(n);
  Py_INCREF(target);
  c->notifier = n;
  c->target = target;
  c->convert = convert;
  c->is_future = is_future;
  return c;
}

/* Any thread, no GIL. */
static void notifier_push(NotifierObject *n, completion *c) {
  pthread_mutex_lock(&n->mu);
  int was_empty = n->head == NULL;
  if (n->tail) n->tail->next = c;
  else n->head = c;
  n->tail = c;
  pthread_mutex_unlock(&n->mu);
  if (was_empty) {
    uint64_t one = 1;
    ssize_t w;
    do w = write(n->fd, &one, sizeof one);
    while (w < 0 && errno == EINTR);
  }
}

static void completion_free(completion *c) {
  PyMem_RawFree(c->message);
  PyMem_RawFree(c->data);
  PyMem_RawFree(c);
}

/* Delivers one completion with the GIL. A future already done (cancelled by
 * its awaiting task) is left alone. If building the value fails, the future
 * gets that exception, so an awaiting task never hangs. */
static int deliver(completion *c) {
  PyObject *value = c->convert(c);
  PyObject *r = NULL;
  if (c->target == Py_None) {
    r = value ? Py_NewRef(Py_None) : NULL;
  } else if (!c->is_future) {
    if (value) r = PyObject_CallOneArg(c->target, value);
  } else {
    PyObject *done = PyObject_CallMethod(c->target, "done", NULL);
    if (done == Py_False) {
      if (value) {
        r = PyObject_CallMethod(c->target, "set_result", "(O)", value);
      } else {
        PyObject *type, *exc, *tb;
        PyErr_Fetch(&type, &exc, &tb);
        PyErr_NormalizeException(&type, &exc, &tb);
        r = PyObject_CallMethod(c->target, "set_exception", "(O)", exc ? exc : Py_None);
        Py_XDECREF(type), Py_XDECREF(exc), Py_XDECREF(tb);
      }
    } else if (done) {
      r = Py_NewRef(Py_None);
    }
    Py_XDECREF(done);
  }
  Py_XDECREF(value);
  Py_XDECREF(r);
  return r ? 0 : -1;
}

static PyObject *Notifier_drain(NotifierObject *self, PyObject *Py_UNUSED(ignored)) {
  uint64_t count;
  ssize_t r;
  do r = read(self->fd, &count, sizeof count);
  while (r < 0 && errno == EINTR);
  completion *c;
  Py_BEGIN_ALLOW_THREADS
  pthread_mutex_lock(&self->mu);
  c = self->head;
  self->head = self->tail = NULL;
  pthread_mutex_unlock(&self->mu);
  Py_END_ALLOW_THREADS
  /* Every completion is delivered, whatever happens to the others: the
   * first error is kept (and raised at the end), later ones are reported as
   * unraisable. */
  PyObject *etype = NULL, *evalue = NULL, *etb = NULL;
  while (c) {
    completion *next = c->next;
    if (deliver(c) < 0) {
      if (!etype) PyErr_Fetch(&etype, &evalue, &etb);
      else PyErr_WriteUnraisable(c->target);
    }
    if (!c->borrowed) {
      Py_DECREF(c->target);
      Py_DECREF((PyObject *)c->notifier);
    }
    completion_free(c);
    c = next;
  }
  if (etype) {
    PyErr_Restore(etype, evalue, etb);
    return NULL;
  }
  Py_RETURN_NONE;
}

static PyObject *Notifier_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
  if (no_arguments("Notifier", args, kw) < 0) return NULL;
  NotifierObject *self = (NotifierObject *)type->tp_alloc(type, 0);
  if (!self) return NULL;
  self->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  pthread_mutex_init(&self->mu, NULL);
  if (self->fd < 0) {
    Py_DECREF(self);
    return PyErr_SetFromErrno(PyExc_OSError);
  }
  return (PyObject *)self;
}

static void Notifier_dealloc(NotifierObject *self) {
  PyTypeObject *tp = Py_TYPE(self);
  /* Nothing can be queued: every completion holds a reference to us. */
  if (self->fd >= 0) close(self->fd);
  pthread_mutex_destroy(&self->mu);
  tp->tp_free(self);
  Py_DECREF(tp);
}

static PyObject *Notifier_fileno(NotifierObject *self, PyObject *Py_UNUSED(ignored)) {
  return PyLong_FromLong(self->fd);
}

static PyMethodDef Notifier_methods[] = {
    {"drain", (PyCFunction)Notifier_drain, METH_NOARGS,
     "Deliver every queued completion (called by the event loop when fileno() is readable)."},
    {"fileno", (PyCFunction)Notifier_fileno, METH_NOARGS, "The eventfd to watch."},
    {NULL}};

static PyType_Slot Notifier_slots[] = {
    {Py_tp_new, Notifier_new},
    {Py_tp_dealloc, Notifier_dealloc},
    {Py_tp_methods, Notifier_methods},
    {Py_tp_doc, "Completion queue of one event loop: an eventfd plus a list."},
    {0, NULL}};

static PyType_Spec Notifier_spec = {"temporalio._bridge.Notifier", sizeof(NotifierObject), 0,
                                    Py_TPFLAGS_DEFAULT, Notifier_slots};

/* ---- Runtime ------------------------------------------------------------ */

typedef struct {
  PyObject_HEAD
  tcore_runtime *rt;
} RuntimeObject;

static PyObject *Runtime_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
  if (no_arguments("Runtime", args, kw) < 0) return NULL;
  RuntimeObject *self = (RuntimeObject *)type->tp_alloc(type, 0);
  if (!self) return NULL;
  tcore_error err = {0};
  int rc;
  Py_BEGIN_ALLOW_THREADS
  rc = tcore_runtime_new(&self->rt, &err);
  Py_END_ALLOW_THREADS
  if (rc != TCORE_OK) {
    Py_DECREF(self);
    return raise_core(type, rc, &err);
  }
  return (PyObject *)self;
}

static void Runtime_dealloc(RuntimeObject *self) {
  PyTypeObject *tp = Py_TYPE(self);
  if (self->rt) {
    tcore_runtime *rt = self->rt;
    Py_BEGIN_ALLOW_THREADS
    tcore_runtime_free(rt);
    Py_END_ALLOW_THREADS
  }
  tp->tp_free(self);
  Py_DECREF(tp);
}

static PyType_Slot Runtime_slots[] = {
    {Py_tp_new, Runtime_new},
    {Py_tp_dealloc, Runtime_dealloc},
    {Py_tp_doc, "The core's runtime: its gRPC and timer threads."},
    {0, NULL}};

static PyType_Spec Runtime_spec = {"temporalio._bridge.Runtime", sizeof(RuntimeObject), 0,
                                   Py_TPFLAGS_DEFAULT, Runtime_slots};

/* ---- Client ------------------------------------------------------------- */

/* Lifetime: `client` is our reference on the core client, set by __new__ and
 * given back only by dealloc, so every method (which holds a reference on
 * self) may use it with the GIL released while another thread closes the
 * client: close() only closes (tcore_client_close), it frees nothing. */
typedef struct {
  PyObject_HEAD
  PyObject *runtime; /* keeps the runtime alive */
  tcore_client *client;
  int closed;
} ClientObject;

/* Reads a sequence of (str key, bytes value) pairs into parallel arrays that
 * point into the Python objects (valid while `seq` lives). `seq` is a tuple
 * copy: the arrays are read with the GIL released, when another thread could
 * change a list given to us (and free the strings the arrays point into). */
typedef struct {
  PyObject *seq;
  Py_ssize_t n;
  const char **keys;
  const uint8_t **values;
  size_t *lens;
} md_view;

static void md_view_free(md_view *v) {
  PyMem_Free(v->keys);
  PyMem_Free(v->values);
  PyMem_Free(v->lens);
  Py_XDECREF(v->seq);
}

static int md_view_init(md_view *v, PyObject *obj) {
  memset(v, 0, sizeof *v);
  if (obj == Py_None) return 0;
  if (!PySequence_Check(obj) || PyUnicode_Check(obj) || PyBytes_Check(obj)) {
    PyErr_SetString(PyExc_TypeError, "metadata must be a sequence of (str, bytes) pairs");
    return -1;
  }
  v->seq = PySequence_Tuple(obj);
  if (!v->seq) return -1;
  v->n = PySequence_Fast_GET_SIZE(v->seq);
  v->keys = PyMem_Calloc(v->n + 1, sizeof *v->keys);
  v->values = PyMem_Calloc(v->n + 1, sizeof *v->values);
  v->lens = PyMem_Calloc(v->n + 1, sizeof *v->lens);
  if (!v->keys || !v->values || !v->lens) {
    PyErr_NoMemory();
    return -1;
  }
  for (Py_ssize_t i = 0; i < v->n; i++) {
    PyObject *pair = PySequence_Fast_GET_ITEM(v->seq, i);
    PyObject *k, *val;
    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 ||
        !PyUnicode_Check(k = PyTuple_GET_ITEM(pair, 0)) ||
        !PyBytes_Check(val = PyTuple_GET_ITEM(pair, 1))) {
      PyErr_SetString(PyExc_TypeError, "metadata must be a sequence of (str, bytes) pairs");
      return -1;
    }
    v->keys[i] = PyUnicode_AsUTF8(k);
    if (!v->keys[i]) return -1;
    v->values[i] = (const uint8_t *)PyBytes_AS_STRING(val);
    v->lens[i] = (size_t)PyBytes_GET_SIZE(val);
  }
  return 0;
}

/* Applies one option setter result, naming the option on failure. */
static int opt_ok(int rc, const char *what) {
  if (rc == TCORE_OK) return 0;
  if (rc == TCORE_ERR_NOMEM) PyErr_NoMemory();
  else PyErr_Format(PyExc_ValueError, "invalid %s", what);
  return -1;
}

static PyObject *Client_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"runtime", "target", "namespace", "client_name", "client_version",
                           "tls", "root_ca", "client_cert", "client_key", "server_name",
                           "api_key", "metadata", "keepalive", "retry", NULL};
  PyObject *runtime, *metadata = Py_None, *keepalive = Py_None, *retry = Py_None;
  const char *target, *ns, *name, *version;
  const char *root_ca = NULL, *cert = NULL, *key = NULL, *server_name = NULL, *api_key = NULL;
  int tls = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "O!ssss|pzzzzzOOO", kwlist,
                                   state_of_type(type)->runtime_type, &runtime, &target, &ns,
                                   &name, &version, &tls, &root_ca, &cert, &key, &server_name,
                                   &api_key, &metadata, &keepalive, &retry))
    return NULL;
  tcore_client_options *o = NULL;
  if (tcore_client_options_new(&o) != TCORE_OK) return PyErr_NoMemory();
  md_view md = {0};
  int bad = md_view_init(&md, metadata) < 0 ||
            opt_ok(tcore_client_options_set_target(o, target), "target") ||
            opt_ok(tcore_client_options_set_namespace(o, ns), "namespace (must be non-empty)") ||
            opt_ok(tcore_client_options_set_client_info(o, name, version), "client name") ||
            opt_ok(tcore_client_options_set_api_key(o, api_key), "api_key");
  if (!bad && tls)
    bad = opt_ok(tcore_client_options_set_tls(o, root_ca, cert, key, server_name),
                 "TLS options: a client certificate needs its private key and the other way round");
  for (Py_ssize_t i = 0; !bad && i < md.n; i++) {
    if (tcore_client_options_add_metadata(o, md.keys[i], md.values[i], md.lens[i]) != TCORE_OK) {
      PyErr_Format(PyExc_ValueError,
                   "metadata key %R is not a valid gRPC header (lowercase letters, digits, "
                   "'-', '_', '.'; printable ASCII value unless the key ends in '-bin')",
                   PyTuple_GET_ITEM(PySequence_Fast_GET_ITEM(md.seq, i), 0));
      bad = 1;
    }
  }
  if (!bad && keepalive != Py_None) {
    long long interval, timeout;
    bad = !PyArg_ParseTuple(keepalive, "LL", &interval, &timeout) ||
          opt_ok(tcore_client_options_set_keepalive(o, interval, timeout), "keepalive");
  }
  if (!bad && retry != Py_None) {
    tcore_retry_config rc;
    long long initial, max_interval, max_elapsed;
    bad = !PyArg_ParseTuple(retry, "LddLLi", &initial, &rc.multiplier, &rc.jitter,
                            &max_interval, &max_elapsed, &rc.max_retries);
    rc.initial_interval_ms = initial, rc.max_interval_ms = max_interval;
    rc.max_elapsed_ms = max_elapsed;
    bad = bad || opt_ok(tcore_client_options_set_retry(o, &rc), "retry config");
  }
  ClientObject *self = NULL;
  if (!bad) {
    self = (ClientObject *)type->tp_alloc(type, 0);
    if (self) {
      Py_INCREF(runtime);
      self->runtime = runtime;
      tcore_error err = {0};
      int rc;
      tcore_runtime *rt = ((RuntimeObject *)runtime)->rt;
      Py_BEGIN_ALLOW_THREADS
      rc = tcore_client_new(rt, o, &self->client, &err);
      Py_END_ALLOW_THREADS
      if (rc != TCORE_OK) {
        Py_CLEAR(self);
        raise_core(type, rc, &err);
      }
    }
  }
  md_view_free(&md);
  tcore_client_options_free(o);
  return (PyObject *)self;
}

static void Client_dealloc(ClientObject *self) {
  PyTypeObject *tp = Py_TYPE(self);
  tcore_client *c = self->client;
  self->client = NULL;
  if (c) {
    /* Nobody else can be using `c` through us: we hold no reference any
     * more. Calls and workers keep their own references on the core client. */
    Py_BEGIN_ALLOW_THREADS
    tcore_client_free(c);
    Py_END_ALLOW_THREADS
  }
  Py_XDECREF(self->runtime);
  tp->tp_free(self);
  Py_DECREF(tp);
}

/* Idempotent. The core client stays allocated until dealloc. */
static PyObject *Client_close(ClientObject *self, PyObject *Py_UNUSED(ignored)) {
  tcore_client *c = self->client;
  if (c && !self->closed) {
    self->closed = 1;
    Py_BEGIN_ALLOW_THREADS
    tcore_client_close(c);
    Py_END_ALLOW_THREADS
  }
  Py_RETURN_NONE;
}

/* A fast check for a nicer message; the core checks again under its lock
 * (a close by another thread after this returns TCORE_ERR_CLOSED). */
static int client_open(ClientObject *self) {
  if (self->client && !self->closed) return 0;
  PyErr_SetString(state_of_type(Py_TYPE(self))->core_error, "the client is closed");
  return -1;
}

/* -- calls -- */

typedef struct {
  PyObject_HEAD
  tcore_call *call;
} CallObject;

static void Call_dealloc(CallObject *self) {
  PyTypeObject *tp = Py_TYPE(self);
  if (self->call) tcore_call_release(self->call);
  tp->tp_free(self);
  Py_DECREF(tp);
}

static PyObject *Call_cancel(CallObject *self, PyObject *Py_UNUSED(ignored)) {
  if (self->call) {
    tcore_call *c = self->call;
    Py_BEGIN_ALLOW_THREADS
    tcore_call_cancel(c);
    Py_END_ALLOW_THREADS
  }
  Py_RETURN_NONE;
}

static PyMethodDef Call_methods[] = {
    {"cancel", (PyCFunction)Call_cancel, METH_NOARGS,
     "Cancel the call; its future then gets status CANCELLED unless already done."},
    {NULL}};

static PyType_Slot Call_slots[] = {
    {Py_tp_dealloc, Call_dealloc},
    {Py_tp_methods, Call_methods},
    {Py_tp_doc, "A call in flight."},
    {0, NULL}};

static PyType_Spec Call_spec = {"temporalio._bridge.Call", sizeof(CallObject), 0,
                                Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION, Call_slots};

/* OK: the response bytes. Error: (status, message, details bytes). */
static PyObject *convert_call(completion *c) {
  if (c->status == 0) return PyBytes_FromStringAndSize((const char *)c->data, (Py_ssize_t)c->len);
  return Py_BuildValue("(isy#)", c->status, c->message ? c->message : "", (const char *)c->data,
                       (Py_ssize_t)c->len);
}

static uint8_t *raw_copy(const uint8_t *p, size_t n) {
  uint8_t *d = PyMem_RawMalloc(n ? n : 1);
  if (d && n) memcpy(d, p, n);
  return d;
}

/* Runtime thread, no GIL. */
static void on_call_done(void *user, const tcore_call_result *r) {
  completion *c = user;
  c->status = r->status;
  if (r->status == 0) {
    c->data = raw_copy(r->response, r->response_len);
    c->len = r->response_len;
  } else {
    size_t n = strlen(r->message) + 1;
    c->message = PyMem_RawMalloc(n);
    if (c->message) memcpy(c->message, r->message, n);
    c->data = raw_copy(r->details, r->details_len);
    c->len = r->details_len;
  }
  if (!c->data) { /* out of memory: report it as a status rather than lose it */
    c->status = TCORE_STATUS_RESOURCE_EXHAUSTED;
    c->len = 0;
  }
  notifier_push(c->notifier, c);
}

static PyObject *Client_call(ClientObject *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"method", "request", "future", "notifier", "timeout_ms", "retry",
                           "metadata", NULL};
  const char *method;
  Py_buffer req;
  PyObject *future, *notifier, *metadata = Py_None;
  long long timeout_ms = 0;
  int retry = 1;
  module_state *st = state_of_type(Py_TYPE(self));
  if (!PyArg_ParseTupleAndKeywords(args, kw, "sy*OO!|LpO", kwlist, &method, &req, &future,
                                   st->notifier_type, &notifier, &timeout_ms, &retry, &metadata))
    return NULL;
  PyObject *result = NULL;
  md_view md = {0};
  completion *c = NULL;
  CallObject *call = NULL;
  if (client_open(self) < 0 || md_view_init(&md, metadata) < 0) goto done;
  call = PyObject_New(CallObject, st->call_type);
  if (!call) goto done;
  call->call = NULL;
  c = completion_new((NotifierObject *)notifier, future, convert_call, 1);
  if (!c) {
    PyErr_NoMemory();
    goto done;
  }
  /* A timeout bounds the call as a whole, retries included. */
  tcore_call_options opts = {timeout_ms, !retry, md.keys, md.values, md.lens, (size_t)md.n,
                             timeout_ms, 0};
  tcore_error err = {0};
  int rc;
  tcore_client *client = self->client;
  Py_BEGIN_ALLOW_THREADS
  rc = tcore_client_call(client, method, req.buf, (size_t)req.len, &opts, on_call_done, c,
                         &call->call, &err);
  Py_END_ALLOW_THREADS
  if (rc != TCORE_OK) {
    Py_DECREF(c->target);
    Py_DECREF((PyObject *)c->notifier);
    completion_free(c);
    raise_core(Py_TYPE(self), rc, &err);
    goto done;
  }
  result = (PyObject *)call;
  call = NULL;
done:
  Py_XDECREF(call);
  md_view_free(&md);
  PyBuffer_Release(&req);
  return result;
}

static PyObject *Client_set_api_key(ClientObject *self, PyObject *arg) {
  const char *key = NULL;
  if (arg != Py_None && !(key = PyUnicode_AsUTF8(arg))) return NULL;
  if (client_open(self) < 0) return NULL;
  if (tcore_client_set_api_key(self->client, key) != TCORE_OK) return PyErr_NoMemory();
  Py_RETURN_NONE;
}

static PyObject *Client_set_metadata(ClientObject *self, PyObject *arg) {
  md_view md = {0};
  if (client_open(self) < 0 || md_view_init(&md, arg) < 0) {
    md_view_free(&md);
    return NULL;
  }
  int rc = tcore_client_set_metadata(self->client, md.keys, md.values, md.lens, (size_t)md.n);
  md_view_free(&md);
  if (rc != TCORE_OK) {
    PyErr_SetString(PyExc_ValueError, "metadata has a key or value that is not a valid header");
    return NULL;
  }
  Py_RETURN_NONE;
}

static PyMethodDef Client_methods[] = {
    {"call", (PyCFunction)(void (*)(void))Client_call, METH_VARARGS | METH_KEYWORDS,
     "call(method, request, future, notifier, timeout_ms=0, retry=True, metadata=None) -> Call\n"
     "Start a unary call. The future gets the response bytes, or a tuple\n"
     "(status, message, details) on failure, delivered through the notifier."},
    {"close", (PyCFunction)Client_close, METH_NOARGS, "Cancel calls in flight and free the client."},
    {"set_api_key", (PyCFunction)Client_set_api_key, METH_O, "Replace the API key (None: none)."},
    {"set_metadata", (PyCFunction)Client_set_metadata, METH_O,
     "Replace the extra metadata with a sequence of (key, bytes) pairs."},
    {NULL}};

static PyType_Slot Client_slots[] = {
    {Py_tp_new, Client_new},
    {Py_tp_dealloc, Client_dealloc},
    {Py_tp_methods, Client_methods},
    {Py_tp_doc, "A core client: one gRPC channel to a Temporal frontend."},
    {0, NULL}};

static PyType_Spec Client_spec = {"temporalio._bridge.Client", sizeof(ClientObject), 0,
                                  Py_TPFLAGS_DEFAULT, Client_slots};

/* ---- Worker ------------------------------------------------------------ */

/* Where a worker's events go: the loop's notifier and the Python callable.
 * Raw memory holding strong references; the references are dropped (with
 * the GIL) when the completion that ends the worker's shutdown is
 * delivered, which comes after every event (the core delivers none after
 * its shutdown callback). Event completions borrow these references. */
typedef struct {
  NotifierObject *notifier;
  PyObject *on_event;
} event_sink;

typedef struct {
  PyObject_HEAD
  PyObject *client; /* the ClientObject (keeps the core client alive), or the
                     * RuntimeObject of a replay worker (keeps the runtime) */
  tcore_worker *worker;
  event_sink *sink; /* owned here until shutdown hands it to its completion */
  int started, shutting_down;
} WorkerObject;

static void sink_free(event_sink *s) {
  if (!s) return;
  Py_XDECREF((PyObject *)s->notifier);
  Py_XDECREF(s->on_event);
  PyMem_RawFree(s);
}

/* ("task", bytes) / ("local_task", bytes) / ("cancel", token, reason) /
 * ("fatal", message, grpc status or 0, status details bytes) /
 * ("warning", token or None, message) */
static PyObject *convert_event(completion *c) {
  const char *msg = c->message ? c->message : "";
  switch (c->status) {
    case TCORE_WORKER_EVENT_TASK:
      return Py_BuildValue("(sy#)", "task", (const char *)c->data, (Py_ssize_t)c->len);
    case TCORE_WORKER_EVENT_CANCEL:
      return Py_BuildValue("(sy#s)", "cancel", (const char *)c->data, (Py_ssize_t)c->len, msg);
    case TCORE_WORKER_EVENT_FATAL:
      return Py_BuildValue("(ssiy#)", "fatal", msg, c->code, (const char *)c->data,
                           (Py_ssize_t)c->len);
    case TCORE_WORKER_EVENT_ACTIVATION:
      return Py_BuildValue("(sy#)", "activation", (const char *)c->data, (Py_ssize_t)c->len);
    case TCORE_WORKER_EVENT_LOCAL_ACTIVITY:
      return Py_BuildValue("(sy#)", "local_task", (const char *)c->data, (Py_ssize_t)c->len);
    default:
      if (c->len)
        return Py_BuildValue("(sy#s)", "warning", (const char *)c->data, (Py_ssize_t)c->len, msg);
      return Py_BuildValue("(sOs)", "warning", Py_None, msg);
  }
}

/* Runtime thread, no GIL: queue the event for the loop. */
static void on_worker_event(void *user, const tcore_worker_event *ev) {
  event_sink *s = user;
  /* A replay worker's responses: the Python replayer reads each history's
   * outcome from its eviction (as the official SDK's does). */
  if (ev->kind == TCORE_WORKER_EVENT_REPLAY_RESPONSE) return;
  completion *c = PyMem_RawCalloc(1, sizeof *c);
  if (!c) return; /* out of memory: the event is lost, the core goes on */
  c->notifier = s->notifier;
  c->target = s->on_event;
  c->borrowed = 1;
  c->convert = convert_event;
  c->status = ev->kind;
  int whole = ev->kind == TCORE_WORKER_EVENT_TASK || ev->kind == TCORE_WORKER_EVENT_ACTIVATION ||
              ev->kind == TCORE_WORKER_EVENT_LOCAL_ACTIVITY;
  const uint8_t *data = whole ? ev->task : ev->task_token;
  size_t len = whole ? ev->task_len : ev->task_token_len;
  if (ev->kind == TCORE_WORKER_EVENT_FATAL) {
    data = ev->details;
    len = ev->details_len;
    c->code = ev->status;
  }
  c->data = raw_copy(data, len);
  c->len = c->data ? len : 0;
  if (ev->message) {
    size_t n = strlen(ev->message) + 1;
    c->message = PyMem_RawMalloc(n);
    if (c->message) memcpy(c->message, ev->message, n);
  }
  notifier_push(s->notifier, c);
}

/* The shutdown completion: resolves its future with None and lets the
 * event sink go. */
static PyObject *convert_shutdown(completion *c) {
  sink_free(c->ctx);
  c->ctx = NULL;
  Py_RETURN_NONE;
}

/* Runtime thread, no GIL. */
static void on_worker_shutdown(void *user) {
  completion *c = user;
  notifier_push(c->notifier, c);
}

static int worker_option(int rc, const char *what) {
  if (rc == TCORE_OK) return 0;
  if (rc == TCORE_ERR_NOMEM) PyErr_NoMemory();
  else if (!PyErr_Occurred()) PyErr_Format(PyExc_ValueError, "invalid worker option %s", what);
  return -1;
}

/* Sets which workflow types' nondeterminism fails the workflow: all of them
 * (`all`), or those named in `types` (a sequence of str, or NULL / None).
 * A TCORE_* code; with a Python exception set (and TCORE_ERR_INVALID_ARGUMENT
 * returned) for a bad `types`. */
static int worker_set_nondeterminism(tcore_worker_options *o, int all, PyObject *types) {
  if (!types || types == Py_None)
    return tcore_worker_options_set_nondeterminism_as_workflow_fail(o, all, NULL, 0);
  PyObject *seq =
      PySequence_Fast(types, "nondeterminism_as_workflow_fail_for_types must be a sequence of str");
  if (!seq) return TCORE_ERR_INVALID_ARGUMENT;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  const char **names = PyMem_Calloc((size_t)(n ? n : 1), sizeof *names);
  int rc = names ? TCORE_OK : TCORE_ERR_NOMEM;
  for (Py_ssize_t i = 0; rc == TCORE_OK && i < n; i++) {
    PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
    names[i] = PyUnicode_Check(item) ? PyUnicode_AsUTF8(item) : NULL;
    if (!names[i]) {
      if (!PyErr_Occurred())
        PyErr_SetString(PyExc_TypeError,
                        "nondeterminism_as_workflow_fail_for_types must be a sequence of str");
      rc = TCORE_ERR_INVALID_ARGUMENT;
    }
  }
  if (rc == TCORE_OK)
    rc = tcore_worker_options_set_nondeterminism_as_workflow_fail(o, all, names, (size_t)n);
  PyMem_Free(names);
  Py_DECREF(seq);
  return rc;
}

static PyObject *Worker_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"client", "notifier", "on_event", "task_queue", "namespace", "identity",
                           "max_concurrent_activities", "max_concurrent_polls",
                           "max_activities_per_second", "max_task_queue_activities_per_second",
                           "graceful_shutdown_ms", "workflows", "activities",
                           "max_cached_workflows", "max_concurrent_workflow_tasks",
                           "max_concurrent_workflow_task_polls", "sticky_schedule_to_start_ms",
                           "nondeterminism_as_workflow_fail",
                           "nondeterminism_as_workflow_fail_for_types", NULL};
  module_state *st = state_of_type(type);
  PyObject *client, *notifier, *on_event;
  const char *tq = NULL, *ns = NULL, *identity = NULL;
  int max_acts = 100, max_polls = 5;
  double rate = 0, tq_rate = 0;
  long long grace_ms = 0;
  int workflows = 0, activities = 1, max_cached = 1000, max_wft = 100, wf_polls = 5;
  long long sticky_ms = 10000;
  int nd_all = 0;
  PyObject *nd_types = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "OO!O|$szziiddLppiiiLpO", kwlist,
                                   &client, st->notifier_type, &notifier, &on_event, &tq, &ns,
                                   &identity, &max_acts, &max_polls, &rate, &tq_rate, &grace_ms,
                                   &workflows, &activities, &max_cached, &max_wft, &wf_polls,
                                   &sticky_ms, &nd_all, &nd_types))
    return NULL;
  if (!tq) {
    PyErr_SetString(PyExc_TypeError, "Worker() needs the keyword argument task_queue");
    return NULL;
  }
  if (!PyCallable_Check(on_event)) {
    PyErr_SetString(PyExc_TypeError, "on_event must be callable");
    return NULL;
  }
  /* A Runtime instead of a Client: a replay worker (no server). */
  int replay = PyObject_TypeCheck(client, st->runtime_type);
  if (!replay && !PyObject_TypeCheck(client, st->client_type)) {
    PyErr_SetString(PyExc_TypeError, "Worker() needs a Client, or a Runtime for a replay worker");
    return NULL;
  }
  if (!replay && client_open((ClientObject *)client) < 0) return NULL;
  event_sink *sink = PyMem_RawCalloc(1, sizeof *sink);
  if (!sink) return PyErr_NoMemory();
  sink->notifier = (NotifierObject *)Py_NewRef(notifier);
  sink->on_event = Py_NewRef(on_event);
  tcore_worker_options *o = NULL;
  if (tcore_worker_options_new(&o) != TCORE_OK) {
    sink_free(sink);
    return PyErr_NoMemory();
  }
  int bad = worker_option(tcore_worker_options_set_task_queue(o, tq), "task_queue (must be non-empty)") ||
            worker_option(tcore_worker_options_set_namespace(o, ns), "namespace") ||
            worker_option(tcore_worker_options_set_identity(o, identity), "identity") ||
            worker_option(tcore_worker_options_set_max_concurrent_activities(o, max_acts),
                          "max_concurrent_activities (must be >= 1)") ||
            worker_option(tcore_worker_options_set_max_concurrent_polls(o, max_polls),
                          "max_concurrent_polls (must be >= 1)") ||
            worker_option(tcore_worker_options_set_max_activities_per_second(o, rate),
                          "max_activities_per_second (must be >= 0)") ||
            worker_option(tcore_worker_options_set_max_task_queue_activities_per_second(o, tq_rate),
                          "max_task_queue_activities_per_second (must be >= 0)") ||
            worker_option(tcore_worker_options_set_graceful_shutdown_ms(o, grace_ms),
                          "graceful_shutdown_ms (must be >= 0)") ||
            worker_option(tcore_worker_options_set_workflows(o, workflows), "workflows") ||
            worker_option(tcore_worker_options_set_activities(o, activities), "activities") ||
            worker_option(tcore_worker_options_set_max_cached_workflows(o, max_cached),
                          "max_cached_workflows (must be >= 0)") ||
            worker_option(tcore_worker_options_set_max_concurrent_workflow_tasks(o, max_wft),
                          "max_concurrent_workflow_tasks (must be >= 1)") ||
            worker_option(tcore_worker_options_set_max_concurrent_workflow_task_polls(o, wf_polls),
                          "max_concurrent_workflow_task_polls (must be >= 1)") ||
            worker_option(tcore_worker_options_set_sticky_schedule_to_start_ms(o, sticky_ms),
                          "sticky_schedule_to_start_ms (must be 1..2**31-1)") ||
            worker_option(worker_set_nondeterminism(o, nd_all, nd_types),
                          "nondeterminism_as_workflow_fail_for_types") ||
            worker_option(tcore_worker_options_set_event_callback(o, on_worker_event, sink),
                          "on_event");
  WorkerObject *self = NULL;
  if (!bad) self = (WorkerObject *)type->tp_alloc(type, 0);
  if (self) {
    self->client = Py_NewRef(client);
    self->sink = sink;
    sink = NULL;
    tcore_error err = {0};
    int rc;
    if (replay) {
      tcore_runtime *rt = ((RuntimeObject *)client)->rt;
      Py_BEGIN_ALLOW_THREADS
      rc = tcore_replay_worker_new(rt, o, &self->worker, &err);
      Py_END_ALLOW_THREADS
    } else {
      tcore_client *c = ((ClientObject *)client)->client;
      Py_BEGIN_ALLOW_THREADS
      rc = tcore_worker_new(c, o, &self->worker, &err);
      Py_END_ALLOW_THREADS
    }
    if (rc != TCORE_OK) {
      Py_CLEAR(self);
      raise_core(type, rc, &err);
    }
  }
  sink_free(sink);
  tcore_worker_options_free(o);
  return (PyObject *)self;
}

/* Lets go of the Python references the worker holds, in a way that is safe
 * for the core (tp_clear and dealloc). A started worker not yet shut down
 * is shut down in the background (so a dropped worker stops polling): its
 * sink goes to the shutdown completion, which frees it on the loop after
 * every event (the core delivers none after its shutdown callback). Should
 * that completion not be made, the sink leaks rather than risk a use after
 * free by an event under way. The core worker itself stays until dealloc,
 * so a method called on a cleared worker still finds it (and gets
 * CoreError: shut down). */
static void worker_detach(WorkerObject *self) {
  tcore_worker *w = self->worker;
  if (w && self->started && !self->shutting_down && self->sink) {
    completion *c = completion_new(self->sink->notifier, Py_None, convert_shutdown, 0);
    if (c) {
      c->ctx = self->sink;
      int rc;
      Py_BEGIN_ALLOW_THREADS
      rc = tcore_worker_shutdown(w, on_worker_shutdown, c);
      Py_END_ALLOW_THREADS
      if (rc == TCORE_OK) {
        self->sink = NULL;
        self->shutting_down = 1;
      } else {
        Py_DECREF(c->target);
        Py_DECREF((PyObject *)c->notifier);
        completion_free(c);
      }
    }
  }
  event_sink *s = self->sink;
  self->sink = NULL;
  if (!self->started) sink_free(s); /* never used by the core */
  /* else: leaked on purpose (see above). */
  Py_CLEAR(self->client);
}

static int Worker_traverse(WorkerObject *self, visitproc visit, void *arg) {
  Py_VISIT(Py_TYPE(self));
  Py_VISIT(self->client);
  if (self->sink) {
    /* The sink's references are ours while we own it: the bound method of
     * the Python worker (which holds us) makes a cycle the GC must see. */
    Py_VISIT((PyObject *)self->sink->notifier);
    Py_VISIT(self->sink->on_event);
  }
  return 0;
}

static int Worker_clear(WorkerObject *self) {
  worker_detach(self);
  return 0;
}

static void Worker_dealloc(WorkerObject *self) {
  PyTypeObject *tp = Py_TYPE(self);
  PyObject_GC_UnTrack(self);
  worker_detach(self);
  tcore_worker *w = self->worker;
  self->worker = NULL;
  if (w) {
    Py_BEGIN_ALLOW_THREADS
    tcore_worker_free(w);
    Py_END_ALLOW_THREADS
  }
  tp->tp_free(self);
  Py_DECREF(tp);
}

static PyObject *Worker_start(WorkerObject *self, PyObject *Py_UNUSED(ignored)) {
  int rc;
  tcore_worker *w = self->worker;
  Py_BEGIN_ALLOW_THREADS
  rc = tcore_worker_start(w);
  Py_END_ALLOW_THREADS
  if (rc != TCORE_OK) return raise_core(Py_TYPE(self), rc, NULL);
  self->started = 1;
  Py_RETURN_NONE;
}

/* Any thread. Returns False when the core does not know the token (the
 * task was completed already or given up at shutdown). */
static PyObject *Worker_complete(WorkerObject *self, PyObject *args) {
  Py_buffer token, data;
  int kind;
  if (!PyArg_ParseTuple(args, "y*iy*", &token, &kind, &data)) return NULL;
  int rc;
  tcore_worker *w = self->worker;
  Py_BEGIN_ALLOW_THREADS
  rc = tcore_worker_complete(w, token.buf, (size_t)token.len, kind, data.buf, (size_t)data.len);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&token);
  PyBuffer_Release(&data);
  if (rc == TCORE_ERR_NOT_FOUND) Py_RETURN_FALSE;
  if (rc != TCORE_OK) return raise_core(Py_TYPE(self), rc, NULL);
  Py_RETURN_TRUE;
}

/* Any thread; never waits on the network. False for an unknown token. */
static PyObject *Worker_heartbeat(WorkerObject *self, PyObject *args) {
  Py_buffer token, data;
  if (!PyArg_ParseTuple(args, "y*y*", &token, &data)) return NULL;
  int rc;
  tcore_worker *w = self->worker;
  Py_BEGIN_ALLOW_THREADS
  rc = tcore_worker_heartbeat(w, token.buf, (size_t)token.len, data.buf, (size_t)data.len);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&token);
  PyBuffer_Release(&data);
  if (rc == TCORE_ERR_NOT_FOUND) Py_RETURN_FALSE;
  if (rc != TCORE_OK) return raise_core(Py_TYPE(self), rc, NULL);
  Py_RETURN_TRUE;
}

/* Any thread; never waits on the network. complete_activation(run_id or
 * None, completion bytes) -> bool: False when the run has no activation
 * outstanding (unknown run, already completed, given up at shutdown). */
static PyObject *Worker_complete_activation(WorkerObject *self, PyObject *args) {
  const char *run_id = NULL;
  Py_buffer data;
  if (!PyArg_ParseTuple(args, "zy*", &run_id, &data)) return NULL;
  int rc;
  tcore_worker *w = self->worker;
  Py_BEGIN_ALLOW_THREADS
  rc = tcore_worker_complete_activation(w, run_id, data.buf, (size_t)data.len);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&data);
  if (rc == TCORE_ERR_NOT_FOUND) Py_RETURN_FALSE;
  if (rc != TCORE_OK) return raise_core(Py_TYPE(self), rc, NULL);
  Py_RETURN_TRUE;
}

/* request_eviction(run_id, reason or None) -> bool: False for an unknown run. */
static PyObject *Worker_request_eviction(WorkerObject *self, PyObject *args) {
  const char *run_id = NULL, *reason = NULL;
  if (!PyArg_ParseTuple(args, "sz", &run_id, &reason)) return NULL;
  int rc;
  tcore_worker *w = self->worker;
  Py_BEGIN_ALLOW_THREADS
  rc = tcore_worker_request_eviction(w, run_id, reason);
  Py_END_ALLOW_THREADS
  if (rc == TCORE_ERR_NOT_FOUND) Py_RETURN_FALSE;
  if (rc != TCORE_OK) return raise_core(Py_TYPE(self), rc, NULL);
  Py_RETURN_TRUE;
}

/* reserve_workflow_slot() -> bool: True when a workflow task slot was
 * reserved for an eager workflow start (end it with eager_workflow_task or
 * release_workflow_slot); False when there is no free slot or the worker
 * takes no workflow tasks now. Never waits on the network. */
static PyObject *Worker_reserve_workflow_slot(WorkerObject *self, PyObject *unused) {
  (void)unused;
  int rc;
  tcore_worker *w = self->worker;
  Py_BEGIN_ALLOW_THREADS
  rc = tcore_worker_reserve_workflow_slot(w);
  Py_END_ALLOW_THREADS
  if (rc == TCORE_ERR_NOT_FOUND || rc == TCORE_ERR_CLOSED) Py_RETURN_FALSE;
  if (rc != TCORE_OK) return raise_core(Py_TYPE(self), rc, NULL);
  Py_RETURN_TRUE;
}

/* eager_workflow_task(task bytes) -> bool: consumes the reservation; False
 * when the task was dropped (bytes that do not parse, or shutdown past its
 * grace phase). */
static PyObject *Worker_eager_workflow_task(WorkerObject *self, PyObject *args) {
  Py_buffer data;
  if (!PyArg_ParseTuple(args, "y*", &data)) return NULL;
  int rc;
  tcore_worker *w = self->worker;
  Py_BEGIN_ALLOW_THREADS
  rc = tcore_worker_eager_workflow_task(w, data.buf, (size_t)data.len);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&data);
  if (rc == TCORE_ERR_INVALID_ARGUMENT || rc == TCORE_ERR_CLOSED || rc == TCORE_ERR_NOMEM)
    Py_RETURN_FALSE;
  if (rc != TCORE_OK) return raise_core(Py_TYPE(self), rc, NULL);
  Py_RETURN_TRUE;
}

static PyObject *Worker_release_workflow_slot(WorkerObject *self, PyObject *unused) {
  (void)unused;
  tcore_worker *w = self->worker;
  Py_BEGIN_ALLOW_THREADS
  tcore_worker_release_workflow_slot(w);
  Py_END_ALLOW_THREADS
  Py_RETURN_NONE;
}

/* replay_history(workflow_id, history bytes): a replay worker takes a
 * serialized History to replay (ValueError for bytes or a history it
 * refuses, CoreError when not started or shutting down). Never waits. */
static PyObject *Worker_replay_history(WorkerObject *self, PyObject *args) {
  const char *workflow_id = NULL;
  Py_buffer data;
  if (!PyArg_ParseTuple(args, "sy*", &workflow_id, &data)) return NULL;
  int rc;
  tcore_error err = {0};
  tcore_worker *w = self->worker;
  Py_BEGIN_ALLOW_THREADS
  rc = tcore_worker_replay_history(w, workflow_id, data.buf, (size_t)data.len, &err);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&data);
  if (rc != TCORE_OK) return raise_core(Py_TYPE(self), rc, &err);
  Py_RETURN_NONE;
}

static PyObject *Worker_shutdown(WorkerObject *self, PyObject *future) {
  if (self->shutting_down) {
    PyErr_SetString(state_of_type(Py_TYPE(self))->core_error, "shutdown was already requested");
    return NULL;
  }
  event_sink *sink = self->sink;
  if (!sink) {
    PyErr_SetString(state_of_type(Py_TYPE(self))->core_error, "the worker was cleared");
    return NULL;
  }
  completion *c = completion_new(sink->notifier, future, convert_shutdown, 1);
  if (!c) return PyErr_NoMemory();
  c->ctx = sink;
  int rc;
  tcore_worker *w = self->worker;
  Py_BEGIN_ALLOW_THREADS
  rc = tcore_worker_shutdown(w, on_worker_shutdown, c);
  Py_END_ALLOW_THREADS
  if (rc != TCORE_OK) {
    c->ctx = NULL;
    Py_DECREF(c->target);
    Py_DECREF((PyObject *)c->notifier);
    completion_free(c);
    return raise_core(Py_TYPE(self), rc, NULL);
  }
  self->shutting_down = 1;
  if (self->started) self->sink = NULL; /* the completion frees it */
  else c->ctx = NULL;                    /* never used by the core: ours to free */
  Py_RETURN_NONE;
}

static PyMethodDef Worker_methods[] = {
    {"start", (PyCFunction)Worker_start, METH_NOARGS, "Start polling."},
    {"complete", (PyCFunction)Worker_complete, METH_VARARGS,
     "complete(token, kind, data) -> bool\n"
     "Report a task's outcome (kind COMPLETED/FAILED/CANCELLED, or WILL_COMPLETE_ASYNC\n"
     "with empty data: nothing is reported, another process completes it; data the serialized\n"
     "Payloads / Failure). Any thread. False if the token is not a running task."},
    {"heartbeat", (PyCFunction)Worker_heartbeat, METH_VARARGS,
     "heartbeat(token, details) -> bool\n"
     "Record a heartbeat (details: serialized Payloads). Any thread; never waits."},
    {"complete_activation", (PyCFunction)Worker_complete_activation, METH_VARARGS,
     "complete_activation(run_id, completion) -> bool\n"
     "Answer a run's outstanding activation (completion: serialized\n"
     "WorkflowActivationCompletion; run_id None: the completion's own). Any thread.\n"
     "False if the run has no activation outstanding."},
    {"request_eviction", (PyCFunction)Worker_request_eviction, METH_VARARGS,
     "request_eviction(run_id, reason) -> bool\n"
     "Ask for a run's eviction (an eviction activation follows). False for an unknown run."},
    {"reserve_workflow_slot", (PyCFunction)Worker_reserve_workflow_slot, METH_NOARGS,
     "reserve_workflow_slot() -> bool\n"
     "Reserve a workflow task slot for an eager workflow start; False when there is no\n"
     "free slot or the worker takes no workflow tasks now. End a reservation with\n"
     "eager_workflow_task or release_workflow_slot."},
    {"eager_workflow_task", (PyCFunction)Worker_eager_workflow_task, METH_VARARGS,
     "eager_workflow_task(task) -> bool\n"
     "Consume a reservation with the start response's eager workflow task (a serialized\n"
     "PollWorkflowTaskQueueResponse). False when the task was dropped."},
    {"release_workflow_slot", (PyCFunction)Worker_release_workflow_slot, METH_NOARGS,
     "release_workflow_slot(): end a reservation without a task."},
    {"replay_history", (PyCFunction)Worker_replay_history, METH_VARARGS,
     "replay_history(workflow_id, history) -> None\n"
     "A replay worker (made on a Runtime) replays a serialized History; its run's eviction\n"
     "activation says how it went."},
    {"shutdown", (PyCFunction)Worker_shutdown, METH_O,
     "shutdown(future): shut down; the future gets None when the core is done."},
    {NULL}};

static PyType_Slot Worker_slots[] = {
    {Py_tp_new, Worker_new},
    {Py_tp_dealloc, Worker_dealloc},
    {Py_tp_traverse, Worker_traverse},
    {Py_tp_clear, Worker_clear},
    {Py_tp_methods, Worker_methods},
    {Py_tp_doc,
     "Worker(client, notifier, on_event, *, task_queue, namespace=None, identity=None,\n"
     "       max_concurrent_activities=100, max_concurrent_polls=5,\n"
     "       max_activities_per_second=0.0, max_task_queue_activities_per_second=0.0,\n"
     "       graceful_shutdown_ms=0, workflows=False, activities=True,\n"
     "       max_cached_workflows=1000, max_concurrent_workflow_tasks=100,\n"
     "       max_concurrent_workflow_task_polls=5, sticky_schedule_to_start_ms=10000)\n"
     "The core's worker. `client` may instead be a Runtime: a replay worker (workflows only,\n"
     "no server; histories go in with replay_history).\n"
     "on_event(tuple) runs on the loop of `notifier`\n"
     "with ('task', bytes), ('cancel', token, reason), ('fatal', message, status, details) or\n"
     "('warning', token or None, message); with workflows also ('activation', bytes)\n"
     "(a serialized WorkflowActivation, answered with complete_activation)."},
    {0, NULL}};

static PyType_Spec Worker_spec = {"temporalio._bridge.Worker", sizeof(WorkerObject), 0,
                                  Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, Worker_slots};

/* ---- module functions --------------------------------------------------- */

static void append_detail(void *user, const char *url, size_t url_len, const uint8_t *v,
                          size_t len) {
  PyObject *list = user;
  /* An empty value comes as NULL, which "y#" would turn into None. */
  PyObject *item = Py_BuildValue("(s#y#)", url, (Py_ssize_t)url_len, v ? (const char *)v : "",
                                 (Py_ssize_t)len);
  if (!item || PyList_Append(list, item) < 0) PyErr_Clear();
  Py_XDECREF(item);
}

static PyObject *parse_status_details(PyObject *module, PyObject *arg) {
  (void)module;
  Py_buffer b;
  if (PyObject_GetBuffer(arg, &b, PyBUF_SIMPLE) < 0) return NULL;
  PyObject *list = PyList_New(0);
  if (list && tcore_status_details_parse(b.buf, (size_t)b.len, append_detail, list) != TCORE_OK) {
    Py_CLEAR(list);
    PyErr_SetString(PyExc_ValueError, "status details are not a google.rpc.Status");
  }
  PyBuffer_Release(&b);
  return list;
}

static PyObject *set_log_level(PyObject *module, PyObject *arg) {
  (void)module;
  long level = PyLong_AsLong(arg);
  if (level == -1 && PyErr_Occurred()) return NULL;
  if (level < TCORE_LOG_OFF || level > TCORE_LOG_DEBUG) {
    PyErr_Format(PyExc_ValueError, "log level must be %d..%d, got %ld", TCORE_LOG_OFF,
                 TCORE_LOG_DEBUG, level);
    return NULL;
  }
  tcore_set_log_level((tcore_log_level)level);
  Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"set_log_level", set_log_level, METH_O,
     "set_log_level(int): transport (grpc) log lines at this level or above go to stderr\n"
     "(0 off, 1 error, 2 info, 3 debug); process-wide."},
    {"parse_status_details", parse_status_details, METH_O,
     "parse_status_details(bytes) -> [(type_url, value)]: the details of a google.rpc.Status."},
    {NULL}};

/* ---- module ------------------------------------------------------------- */

static int add_type(PyObject *m, PyType_Spec *spec, PyTypeObject **slot) {
  *slot = (PyTypeObject *)PyType_FromModuleAndSpec(m, spec, NULL);
  return *slot ? PyModule_AddType(m, *slot) : -1;
}

static int module_exec(PyObject *m) {
  module_state *st = PyModule_GetState(m);
  if (add_type(m, &Runtime_spec, &st->runtime_type) < 0 ||
      add_type(m, &Client_spec, &st->client_type) < 0 ||
      add_type(m, &Call_spec, &st->call_type) < 0 ||
      add_type(m, &Notifier_spec, &st->notifier_type) < 0 ||
      add_type(m, &Worker_spec, &st->worker_type) < 0)
    return -1;
  if (PyModule_AddIntConstant(m, "COMPLETED", TCORE_COMPLETION_COMPLETED) < 0 ||
      PyModule_AddIntConstant(m, "FAILED", TCORE_COMPLETION_FAILED) < 0 ||
      PyModule_AddIntConstant(m, "CANCELLED", TCORE_COMPLETION_CANCELLED) < 0 ||
      PyModule_AddIntConstant(m, "WILL_COMPLETE_ASYNC", TCORE_COMPLETION_WILL_COMPLETE_ASYNC) < 0)
    return -1;
  st->core_error = PyErr_NewExceptionWithDoc(
      "temporalio._bridge.CoreError", "An error reported by the C core.", PyExc_RuntimeError, NULL);
  if (!st->core_error || PyModule_AddObjectRef(m, "CoreError", st->core_error) < 0) return -1;
  return 0;
}

static int module_traverse(PyObject *m, visitproc visit, void *arg) {
  module_state *st = PyModule_GetState(m);
  Py_VISIT(st->runtime_type);
  Py_VISIT(st->client_type);
  Py_VISIT(st->call_type);
  Py_VISIT(st->notifier_type);
  Py_VISIT(st->worker_type);
  Py_VISIT(st->core_error);
  return 0;
}

static int module_clear(PyObject *m) {
  module_state *st = PyModule_GetState(m);
  Py_CLEAR(st->runtime_type);
  Py_CLEAR(st->client_type);
  Py_CLEAR(st->call_type);
  Py_CLEAR(st->notifier_type);
  Py_CLEAR(st->worker_type);
  Py_CLEAR(st->core_error);
  return 0;
}

static PyModuleDef_Slot module_slots[] = {{Py_mod_exec, module_exec}, {0, NULL}};

static struct PyModuleDef bridge_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "temporalio._bridge",
    .m_doc = "The asyncio adapter of temporalio's C core.",
    .m_size = sizeof(module_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
};

PyMODINIT_FUNC PyInit__bridge(void) { return PyModuleDef_Init(&bridge_module); }
