/*
 * temporal_core.h: the public C API of temporalio-c's core.
 *
 * The core talks gRPC to a Temporal frontend (grpc's C core underneath) and
 * runs the activity-worker engine. It has no Python in it: the CPython
 * extension is one user of this header, a C program can be another.
 *
 * Conventions
 *  - Every public symbol starts with `tcore_`. Objects are opaque pointers with
 *    a `_new`/`_free` pair.
 *  - Functions that can fail return an int: TCORE_OK (0) or a negative
 *    tcore_errcode. Where more can be said, a caller-provided `tcore_error`
 *    (may be NULL) receives a message naming the problem. Nothing aborts.
 *  - Asynchronous results arrive through a callback with a user pointer,
 *    called on one of the runtime's own threads (a "runtime thread": the one
 *    draining gRPC's completion queue, or the one firing timers such as retry
 *    backoffs). Never on the caller's thread. A callback must
 *    not block for long and must not call tcore_runtime_free. It may call any
 *    other function of this header.
 *  - Buffers: a pointer given to the core is only read during the call and
 *    copied if kept. A pointer the core gives to a callback is valid only
 *    until that callback returns.
 *  - Thread safety: all functions may be called from any thread unless a
 *    comment says otherwise. No function waits on the network.
 */
#ifndef TEMPORAL_CORE_H
#define TEMPORAL_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */

typedef enum tcore_errcode {
  TCORE_OK = 0,
  TCORE_ERR_INVALID_ARGUMENT = -1, /* a bad option or argument */
  TCORE_ERR_NOMEM = -2,
  TCORE_ERR_CLOSED = -3,  /* the object is shutting down or freed */
  TCORE_ERR_FORKED = -4,  /* used in a child process after fork() */
  TCORE_ERR_INTERNAL = -5, /* grpc refused an operation */
  TCORE_ERR_NOT_FOUND = -6 /* no such task (already completed, or not this worker's) */
} tcore_errcode;

/* Detail for a failed synchronous call. `message` is NUL-terminated. */
typedef struct tcore_error {
  int code;
  char message[256];
} tcore_error;

/* A static description of an error code. Never NULL. */
const char *tcore_strerror(int code);

/* gRPC status codes, as on the wire. */
typedef enum tcore_status_code {
  TCORE_STATUS_OK = 0,
  TCORE_STATUS_CANCELLED = 1,
  TCORE_STATUS_UNKNOWN = 2,
  TCORE_STATUS_INVALID_ARGUMENT = 3,
  TCORE_STATUS_DEADLINE_EXCEEDED = 4,
  TCORE_STATUS_NOT_FOUND = 5,
  TCORE_STATUS_ALREADY_EXISTS = 6,
  TCORE_STATUS_PERMISSION_DENIED = 7,
  TCORE_STATUS_RESOURCE_EXHAUSTED = 8,
  TCORE_STATUS_FAILED_PRECONDITION = 9,
  TCORE_STATUS_ABORTED = 10,
  TCORE_STATUS_OUT_OF_RANGE = 11,
  TCORE_STATUS_UNIMPLEMENTED = 12,
  TCORE_STATUS_INTERNAL = 13,
  TCORE_STATUS_UNAVAILABLE = 14,
  TCORE_STATUS_DATA_LOSS = 15,
  TCORE_STATUS_UNAUTHENTICATED = 16
} tcore_status_code;

/* ------------------------------------------------------------------------ */
/* Runtime: owns the threads that drive gRPC and the core's timers.         */

typedef struct tcore_runtime tcore_runtime;

/* Creates a runtime and starts its threads (one draining grpc's completion
 * queue, one firing timers). Any thread. Errors: TCORE_ERR_NOMEM,
 * TCORE_ERR_INTERNAL (a thread could not be started). The caller owns the
 * runtime until tcore_runtime_free; every client and replay worker made
 * on it must be freed first. */
int tcore_runtime_new(tcore_runtime **out, tcore_error *err);

/* Frees a runtime. Call it after tcore_client_free of every client made on
 * it. A freed client lives on until its last call has been called back
 * (cancelled calls, retry timers included) and its last worker is freed;
 * this waits for that (up to 30 s), with the runtime's threads still
 * delivering, then stops the threads and blocks until they have exited.
 * Should a client still be alive after the wait (never freed, or a worker
 * never shut down), nothing is freed and the runtime is left running: a
 * leak rather than a use after free. A replay worker
 * (tcore_replay_worker_new) counts as a client here: it is waited for until
 * freed and shut down. Must not be called from a core
 * callback (it would wait for its own thread). In a child process after
 * fork() it does nothing (the memory is left). Not idempotent: call once. */
void tcore_runtime_free(tcore_runtime *rt);

/* Log levels of tcore_set_log_level, most quiet first. The transport (grpc)
 * knows three severities: TCORE_LOG_ERROR, TCORE_LOG_INFO, TCORE_LOG_DEBUG. */
typedef enum {
  TCORE_LOG_OFF = 0,
  TCORE_LOG_ERROR = 1,
  TCORE_LOG_INFO = 2,
  TCORE_LOG_DEBUG = 3
} tcore_log_level;

/* Sets, for the whole process, which log lines of the transport (grpc) are
 * written to stderr: those at `level` or more severe (TCORE_LOG_OFF: none,
 * the default). The core itself writes no log lines: its errors reach the
 * caller as return codes and statuses. Any thread, any time (before or
 * after tcore_runtime_new); takes effect for lines logged after it returns.
 * A level outside the enum is clamped into it. The environment variable
 * TCORE_GRPC_LOG=1, read by tcore_runtime_new, leaves grpc's own logger in
 * place instead (this setting then has no effect). */
void tcore_set_log_level(tcore_log_level level);

/* ------------------------------------------------------------------------ */
/* Retry policy for ordinary (non-poll) calls.                              */

typedef struct tcore_retry_config {
  int64_t initial_interval_ms; /* default 100 */
  double multiplier;           /* default 1.5 */
  double jitter;               /* default 0.2: each delay is scaled by 1 +/- jitter */
  int64_t max_interval_ms;     /* default 5000 */
  int64_t max_elapsed_ms;      /* default 10000; 0 = no limit */
  int max_retries;             /* default 10 attempts after the first */
} tcore_retry_config;

/* Fills `cfg` with the defaults above. */
void tcore_retry_config_default(tcore_retry_config *cfg);

/* Whether a status code is retried for an ordinary call. `message` (may be
 * NULL) is checked for gRPC's "message larger than max" text, never retried. */
int tcore_status_is_retryable(int code, const char *message);

/* The delay before retry number `attempt` (1-based), before jitter, in ms:
 * at most the policy's max_interval_ms, and never over 2^52 ms.
 * RESOURCE_EXHAUSTED backs off longer: 1 s initial, x2, up to 10 s. */
int64_t tcore_retry_backoff_ms(const tcore_retry_config *cfg, int attempt, int code);

/* ------------------------------------------------------------------------ */
/* Client options: build with setters, pass to tcore_client_new, then free.  */

typedef struct tcore_client_options tcore_client_options;

int tcore_client_options_new(tcore_client_options **out);
void tcore_client_options_free(tcore_client_options *o);

/* "host:port", required. Copied. */
int tcore_client_options_set_target(tcore_client_options *o, const char *target);
/* Sent as the `temporal-namespace` header on every call. Default "default". */
int tcore_client_options_set_namespace(tcore_client_options *o, const char *ns);
/* Sent as `client-name` / `client-version`. Default "temporal-python" and
 * this package's version (temporalio/__init__.py's __version__). */
int tcore_client_options_set_client_info(tcore_client_options *o, const char *name,
                                         const char *version);
/* Turns TLS on. All PEM arguments may be NULL (system roots, no client cert).
 * A client certificate needs its key and the other way round. Copied. */
int tcore_client_options_set_tls(tcore_client_options *o, const char *root_ca_pem,
                                 const char *client_cert_pem, const char *client_key_pem,
                                 const char *server_name_override);
/* Sent as `authorization: Bearer <key>`; NULL or "" sends none.
 * TCORE_ERR_INVALID_ARGUMENT if the key has a byte outside printable ASCII
 * (0x20-0x7e: a header cannot carry it); TCORE_ERR_NOMEM. */
int tcore_client_options_set_api_key(tcore_client_options *o, const char *api_key);
/* Adds a header sent on every call. Keys must be lowercase ASCII; keys
 * ending in "-bin" carry binary values. */
int tcore_client_options_add_metadata(tcore_client_options *o, const char *key,
                                      const uint8_t *value, size_t value_len);
/* HTTP/2 keepalive; interval 0 turns it off. Default 30000 / 15000. Each
 * in 0..INT32_MAX ms, else TCORE_ERR_INVALID_ARGUMENT. */
int tcore_client_options_set_keepalive(tcore_client_options *o, int64_t interval_ms,
                                       int64_t timeout_ms);
/* Retry policy of ordinary calls; NULL keeps the defaults. */
int tcore_client_options_set_retry(tcore_client_options *o, const tcore_retry_config *cfg);
/* Requests of at least `min_bytes` are sent gzipped; 0 turns compression off.
 * Default 1024: small messages (most of a worker's) are not worth the CPU. */
int tcore_client_options_set_gzip_threshold(tcore_client_options *o, int64_t min_bytes);
/* Largest response accepted. Default 128 MiB. */
int tcore_client_options_set_max_receive_bytes(tcore_client_options *o, int64_t n);

/* ------------------------------------------------------------------------ */
/* Client: one channel to a Temporal frontend.                              */

typedef struct tcore_client tcore_client;

/* Validates the options and creates the client. Does not wait for the network
 * (the channel connects on first use). Copies what it needs of `opts`. Any
 * thread. Errors: TCORE_ERR_INVALID_ARGUMENT (no runtime or options, a target
 * not of the form host:port, TLS material grpc rejects), TCORE_ERR_NOMEM,
 * TCORE_ERR_FORKED (the runtime was made in a parent process),
 * TCORE_ERR_INTERNAL (grpc could not make the channel). On success `*out` is
 * the caller's reference (see below); on error it is NULL. */
int tcore_client_new(tcore_runtime *rt, const tcore_client_options *opts, tcore_client **out,
                     tcore_error *err);

/* Ownership: the pointer from tcore_client_new is the caller's reference.
 * The core takes references of its own: one per call until its callback has
 * returned, one per worker until the worker is freed. The memory goes when
 * the last reference does, so a callback or worker never sees a freed
 * client; the caller's pointer is valid until tcore_client_free.
 *
 * Closing is separate from freeing, so that a language binding can close a
 * client that other threads may still be using: */

/* Closes the client: from now on tcore_client_call and tcore_worker_new fail
 * with TCORE_ERR_CLOSED; every call in flight (also one waiting to retry) is
 * cancelled and its callback runs with CANCELLED on a runtime thread; a
 * worker's polls end and it reports FATAL. Does not free anything: the
 * pointer stays valid until tcore_client_free. Idempotent (a second close
 * does nothing), any thread, never waits on the network, safe to call from
 * a core callback. NULL is ignored. Does nothing in a child after fork(). */
void tcore_client_close(tcore_client *c);

/* Closes the client (tcore_client_close) and gives back the caller's
 * reference: the pointer must not be used again, by any thread. Memory goes
 * once the last call has been called back and the last worker freed.
 * Any thread, also a core callback. NULL is ignored. In a child process
 * after fork() it does nothing. Calls made in such a child fail with
 * TCORE_ERR_FORKED. */
void tcore_client_free(tcore_client *c);

/* Live updates, applied to every call started afterwards (workers included). */
/* TCORE_ERR_INVALID_ARGUMENT (the key is kept as it was) for a key with a
 * byte outside printable ASCII, as tcore_client_options_set_api_key. */
int tcore_client_set_api_key(tcore_client *c, const char *api_key);
/* Replaces the extra metadata with `n` pairs. */
int tcore_client_set_metadata(tcore_client *c, const char *const *keys,
                              const uint8_t *const *values, const size_t *value_lens, size_t n);

/* ------------------------------------------------------------------------ */
/* Unary calls                                                              */

typedef struct tcore_call tcore_call;

/* The outcome of a call. Valid only during the callback. */
typedef struct tcore_call_result {
  int status;                /* tcore_status_code; 0 = OK */
  const char *message;       /* status message, NUL-terminated, "" when OK */
  const uint8_t *details;    /* raw `grpc-status-details-bin` (google.rpc.Status) */
  size_t details_len;
  const uint8_t *response;   /* serialized response message when OK */
  size_t response_len;
  int attempts;              /* how many attempts were made */
} tcore_call_result;

typedef void (*tcore_call_cb)(void *user, const tcore_call_result *result);

typedef struct tcore_call_options {
  int64_t timeout_ms;         /* per attempt; 0 = 30 s default */
  int no_retry;               /* nonzero: a single attempt */
  const char *const *md_keys; /* extra headers for this call only; each replaces
                                 the client's header of the same key */
  const uint8_t *const *md_values;
  const size_t *md_value_lens;
  size_t md_count;
  /* The whole call, retries and backoffs included, in ms from the start: no
   * attempt runs past it (its grpc deadline is cut to what is left) and no
   * retry starts that could not begin before it. The callback then gets
   * DEADLINE_EXCEEDED (or the last attempt's status). 0 = no bound beyond the
   * retry policy's max elapsed time. */
  int64_t total_timeout_ms;
  /* Nonzero: retryable failures are retried past the policy's max_retries and
   * max_elapsed_ms, for as long as total_timeout_ms allows (which must then be
   * > 0, else TCORE_ERR_INVALID_ARGUMENT). For calls that must not be lost to
   * a short outage, e.g. a task's completion until the task's own deadline. */
  int retry_until_total;
} tcore_call_options;

/* Starts a unary call of `method` ("/package.Service/Method") with a
 * serialized request. `opts` may be NULL. `cb` runs exactly once, on a
 * runtime thread, unless this returns an error (then it never runs).
 * Errors: TCORE_ERR_INVALID_ARGUMENT (no client/method/callback, a method
 * not starting with '/', an invalid header in `opts`, retry_until_total
 * without total_timeout_ms), TCORE_ERR_NOMEM, TCORE_ERR_CLOSED (the client
 * was closed), TCORE_ERR_FORKED (in a child after fork()),
 * TCORE_ERR_INTERNAL (grpc refused to start the call).
 * The call holds a reference on the client until its callback has returned
 * and its handle (if any) was released.
 * If `out` is not NULL it receives a handle for tcore_call_cancel, which the
 * caller must give back with tcore_call_release (before or after the
 * callback); if `out` is NULL no handle is kept. */
int tcore_client_call(tcore_client *c, const char *method, const uint8_t *request,
                      size_t request_len, const tcore_call_options *opts, tcore_call_cb cb,
                      void *user, tcore_call **out, tcore_error *err);

/* Cancels a call: its callback runs with CANCELLED (unless it already ran or
 * is running), promptly in every phase: before the request is sent, in
 * flight, or waiting to retry (then on the timer thread). Idempotent; any
 * thread, also a core callback. Safe to call at any time before
 * tcore_call_release; NULL is ignored. */
void tcore_call_cancel(tcore_call *call);

/* Gives back a handle from tcore_client_call. Does not cancel. Exactly once
 * per handle; any thread, also the call's own callback. NULL is ignored. The
 * handle keeps the call's memory (not the client's use) alive: after the
 * release the call may be freed at once. */
void tcore_call_release(tcore_call *call);

/* ------------------------------------------------------------------------ */
/* Status details                                                           */

/* Called once per `google.rpc.Status.details` entry. */
typedef void (*tcore_status_detail_cb)(void *user, const char *type_url, size_t type_url_len,
                                       const uint8_t *value, size_t value_len);

/* Parses raw `grpc-status-details-bin` bytes (a serialized google.rpc.Status)
 * and reports each detail. Returns TCORE_OK, or TCORE_ERR_INVALID_ARGUMENT
 * when the bytes do not parse. */
int tcore_status_details_parse(const uint8_t *data, size_t len, tcore_status_detail_cb cb,
                               void *user);


/* ------------------------------------------------------------------------ */
/* Activity worker                                                          */
/*
 * A worker polls one task queue of the client's namespace for activity
 * tasks and hands each to its event callback; the language side runs the
 * activity and gives the outcome back with tcore_worker_complete. The core
 * owns everything between: the long polls (never more than there are free
 * slots, so a task taken is a task that can run), poll error backoff,
 * heartbeat throttling, cancellation delivery, each task's local deadlines,
 * the Respond* calls (retried until the task's own deadline) and an orderly
 * shutdown.
 *
 * Polls: a failure that can heal (UNAVAILABLE, DEADLINE_EXCEEDED,
 * CANCELLED, INTERNAL, UNKNOWN, RESOURCE_EXHAUSTED, ABORTED, OUT_OF_RANGE,
 * DATA_LOSS: the server down, restarting, busy, or a connection reset) is
 * retried for as long as the worker runs, after a backoff of 200 ms doubling
 * up to 500 ms while the server cannot be reached (UNAVAILABLE,
 * DEADLINE_EXCEEDED, CANCELLED; with the channel's reconnect backoff capped
 * at 1 s, polling resumes about a second after the server is back) and up
 * to 10 s for the others; a healthy poll resets it. Any other status (NOT_FOUND for an unknown namespace,
 * PERMISSION_DENIED, UNAUTHENTICATED, UNIMPLEMENTED, INVALID_ARGUMENT,
 * FAILED_PRECONDITION, ...; the same split as the official SDK's core), a
 * closed client, or use after fork() ends polling: one FATAL event.
 *
 * Local deadlines: each task's start-to-close (from the moment the task
 * arrived), schedule-to-close (from its scheduled time) and heartbeat
 * timeout (from the last tcore_worker_heartbeat, or arrival) are enforced
 * here too, a buffer (tcore_worker_options_set_local_timeout_buffer_ms)
 * after the server's own: CANCEL "timed_out" is delivered and the task's
 * completion is dropped (the server has timed the attempt out already).
 *
 * Life cycle: options -> tcore_worker_new -> tcore_worker_start -> ... ->
 * tcore_worker_shutdown(cb) -> cb runs once -> tcore_worker_free.
 *
 * Threads: the event callback and the shutdown callback run on runtime
 * threads (the completion-queue thread or the timer thread), except the
 * events of workflow runs (ACTIVATION, REPLAY_RESPONSE, and WARNING about a run), which run
 * on the worker's own run-manager thread (one per worker with workflows:
 * the run cache, the engines and the history replay run there, so a slow
 * replay never holds up the runtime's timers). Never on the thread that
 * called a tcore_worker_* function, and never with a worker lock held: they
 * may call tcore_worker_complete / _heartbeat / _shutdown /
 * _complete_activation.
 * tcore_worker_complete and tcore_worker_heartbeat never wait on the network
 * (they take one short lock) and may be called from any thread.
 */

typedef struct tcore_worker tcore_worker;
typedef struct tcore_worker_options tcore_worker_options;

typedef enum tcore_worker_event_kind {
  /* A task: `task` is the serialized PollActivityTaskQueueResponse,
   * `task_token` its token. The slot it took stays taken until
   * tcore_worker_complete is called with that token. */
  TCORE_WORKER_EVENT_TASK = 1,
  /* The activity of `task_token` should stop; `message` is the reason:
   * "cancel_requested", "paused", "reset" (from a heartbeat response),
   * "not_found" (the server no longer knows the task: its completion will
   * not be reported), "timed_out" (a local deadline passed: its completion
   * will not be reported), or "worker_shutdown" (the grace period is over).
   * Delivered at most once per task, always after its TASK event. The
   * language side still calls tcore_worker_complete for the task. */
  TCORE_WORKER_EVENT_CANCEL = 2,
  /* Polling failed for good: a poll got a status that cannot heal (see
   * "Polls" above; `status` and `details` say which), or polling cannot go
   * on (the client was closed, or fork(): `status` 0). The worker polls no
   * more; running tasks may still complete. The language side should shut
   * the worker down and report the error. `message` says why. */
  TCORE_WORKER_EVENT_FATAL = 3,
  /* Something worth logging that needs no action, e.g. a Respond* call that
   * failed after its retries (`task_token` set when about one task). */
  TCORE_WORKER_EVENT_WARNING = 4,
  /* Workflows only: an activation of the run `run_id`: `task` is a
   * serialized coresdk.workflow_activation.WorkflowActivation. Answer it
   * with tcore_worker_complete_activation (from any thread, now or later);
   * a run has at most one activation outstanding. An activation whose one
   * job is `remove_from_cache` is an eviction: drop the run's state, then
   * complete it too (any completion; the core then frees the run). */
  TCORE_WORKER_EVENT_ACTIVATION = 5,
  /* Replay workers only (tcore_replay_worker_new): what a worker would have
   * sent for the task of a pushed history, delivered instead of the call:
   * `task` is the serialized request, `message` its full method name
   * ("/temporal.api.workflowservice.v1.WorkflowService/RespondWorkflowTaskCompleted",
   * ".../RespondWorkflowTaskFailed"), `run_id` the run. Needs no answer. */
  TCORE_WORKER_EVENT_REPLAY_RESPONSE = 6,
  /* Workflows only: a local activity of one of the worker's runs, to run
   * in this process (no server round trip): `task` is a serialized
   * PollActivityTaskQueueResponse (activity type and id, input, header,
   * attempt, scheduled and started times, timeouts, retry policy, the
   * workflow's identity) and `task_token` its token (16 bytes, local to this
   * worker), `run_id` the run. Answer it with tcore_worker_complete
   * (COMPLETED, FAILED or CANCELLED; WILL_COMPLETE_ASYNC is taken as a
   * failure); tcore_worker_heartbeat on it is accepted and ignored. The
   * core enforces its timeouts (CANCEL "timed_out"), retries it (a new
   * LOCAL_ACTIVITY event per attempt) while the retry policy's backoff is at
   * most its local retry threshold, delivers CANCEL "cancel_requested" when
   * the workflow cancels it and "worker_shutdown" at shutdown, and records
   * the outcome in the workflow's history (a marker). It takes no activity
   * slot. */
  TCORE_WORKER_EVENT_LOCAL_ACTIVITY = 7
} tcore_worker_event_kind;

/* An event. Every pointer is valid only while the callback runs. */
typedef struct tcore_worker_event {
  int kind; /* tcore_worker_event_kind */
  const uint8_t *task_token;
  size_t task_token_len;
  const uint8_t *task; /* TASK, ACTIVATION, LOCAL_ACTIVITY */
  size_t task_len;
  const char *message; /* CANCEL, FATAL, WARNING; NUL-terminated */
  int status;              /* FATAL: the poll's gRPC status, 0 when not a call's */
  const uint8_t *details;  /* FATAL: its raw `grpc-status-details-bin` (may be empty) */
  size_t details_len;
  const char *run_id; /* ACTIVATION (and WARNING about a run): NUL-terminated, else NULL */
} tcore_worker_event;

typedef void (*tcore_worker_event_cb)(void *user, const tcore_worker_event *event);
typedef void (*tcore_worker_shutdown_cb)(void *user);

int tcore_worker_options_new(tcore_worker_options **out);
void tcore_worker_options_free(tcore_worker_options *o);

/* Task queue name, required. Copied. */
int tcore_worker_options_set_task_queue(tcore_worker_options *o, const char *task_queue);
/* Namespace to poll and report in; NULL or "" means the client's. Another
 * namespace than the client's is also sent as the worker's calls'
 * `temporal-namespace` header. */
int tcore_worker_options_set_namespace(tcore_worker_options *o, const char *ns);
/* Identity sent with every call; NULL or "" means "<pid>@<hostname>". */
int tcore_worker_options_set_identity(tcore_worker_options *o, const char *identity);
/* Slots: tasks running at once (including polls that may bring one). Default 100. */
int tcore_worker_options_set_max_concurrent_activities(tcore_worker_options *o, int n);
/* Long polls in flight at once. Default 5. */
int tcore_worker_options_set_max_concurrent_polls(tcore_worker_options *o, int n);
/* Local limit on activity tasks received per second; 0 (the default) means
 * none. When set, one poll is in flight at a time, and the next starts no
 * sooner than 1/rate seconds after both the previous poll's start and the
 * last task received, so tasks never arrive in a burst. */
int tcore_worker_options_set_max_activities_per_second(tcore_worker_options *o, double rate);
/* Sent to the server with every poll: its limit for the whole task queue;
 * 0 (the default) sends none. */
int tcore_worker_options_set_max_task_queue_activities_per_second(tcore_worker_options *o,
                                                                  double rate);
/* How long shutdown lets running tasks finish before cancelling them.
 * Default 0: cancel at once. */
int tcore_worker_options_set_graceful_shutdown_ms(tcore_worker_options *o, int64_t ms);
/* How long shutdown then waits for cancelled tasks to complete before it
 * gives up on them (the server times them out). Default 10000. */
int tcore_worker_options_set_shutdown_cancel_wait_ms(tcore_worker_options *o, int64_t ms);
/* How long after a task's deadline (start-to-close, schedule-to-close or
 * heartbeat timeout) the core times it out locally; also how long past that
 * deadline its Respond* call may retry. Default 5000 (as the official SDK's
 * core), so the server's own timeout comes first. */
int tcore_worker_options_set_local_timeout_buffer_ms(tcore_worker_options *o, int64_t ms);
/* The event callback (required) and its user pointer. */
int tcore_worker_options_set_event_callback(tcore_worker_options *o, tcore_worker_event_cb cb,
                                            void *user);

/* Workflows. A worker with workflows enabled also polls its task queue for
 * workflow tasks, and (when it caches runs: max_cached_workflows > 0) its
 * own sticky queue "<identity>-<worker instance uuid>", which each
 * RespondWorkflowTaskCompleted names (StickyExecutionAttributes) so the
 * server sends a cached run's next task to this worker with only the new
 * events. The core runs each run's workflow state machines and hands the
 * language activations (TCORE_WORKER_EVENT_ACTIVATION). The run cache keeps
 * at most max_cached_workflows runs between tasks, least recently used
 * evicted first; every eviction is an activation of its own.
 * All setters: TCORE_OK, or TCORE_ERR_INVALID_ARGUMENT for a NULL `o` or a
 * value out of range. */
/* Polls workflow tasks (default 0: off). */
int tcore_worker_options_set_workflows(tcore_worker_options *o, int enabled);
/* Polls activity tasks (default 1: on). A worker needs one of the two. */
int tcore_worker_options_set_activities(tcore_worker_options *o, int enabled);
/* Runs cached between tasks; >= 0, default 1000. 0: no cache, no sticky
 * queue: every task replays the run's whole history. */
int tcore_worker_options_set_max_cached_workflows(tcore_worker_options *o, int n);
/* Workflow task slots (tasks under way, buffered for a busy run, or polls
 * in flight); >= 1, default 100. The task queue's polls take free slots
 * before the sticky queue's: with 1 slot the sticky queue is never polled
 * (its tasks reach the task queue after the sticky schedule-to-start
 * timeout), so give a worker with a cache 2 or more. */
int tcore_worker_options_set_max_concurrent_workflow_tasks(tcore_worker_options *o, int n);
/* Workflow task long polls in flight at once, on the task queue and
 * (another as many) on the sticky queue; >= 1, default 5. */
int tcore_worker_options_set_max_concurrent_workflow_task_polls(tcore_worker_options *o, int n);
/* Sticky schedule-to-start timeout sent to the server: how long a task
 * waits on the sticky queue before the server gives it to the task queue;
 * 1..INT32_MAX ms, default 10000. */
int tcore_worker_options_set_sticky_schedule_to_start_ms(tcore_worker_options *o, int64_t ms);
/* Nondeterminism as a workflow failure (as the official worker does when
 * its workflow_failure_exception_types, or a workflow's own, hold
 * NondeterminismError or a base of it): when a workflow task of a run whose
 * workflow type is one of the `n` names in `types` (or of any type when `all`
 * is nonzero) finds the workflow code non-deterministic, on the task's first
 * attempt, the core answers the task with RespondWorkflowTaskCompleted
 * carrying one FailWorkflowExecution command whose failure is the
 * nondeterminism failure ("[TMPRL1100] Nondeterminism error: ..."), so the
 * workflow fails, instead of failing the task (the default: all 0, n 0).
 * Copies the names; replaces an earlier call's setting. TCORE_OK,
 * TCORE_ERR_INVALID_ARGUMENT (NULL `o`, or a NULL `types` or name with
 * n > 0), TCORE_ERR_NOMEM. */
int tcore_worker_options_set_nondeterminism_as_workflow_fail(tcore_worker_options *o, int all,
                                                             const char *const *types, size_t n);

/* Creates a worker on `client` (which it keeps alive; the namespace is the
 * client's). Polls nothing until tcore_worker_start. Copies what it needs
 * of `opts`. */
int tcore_worker_new(tcore_client *client, const tcore_worker_options *opts, tcore_worker **out,
                     tcore_error *err);

/* ------------------------------------------------------------------------ */
/* Replay: the workflow engine on histories, without a server.              */
/*
 * A replay worker runs workflow histories through the same run manager and
 * engine as a polling worker (the same task decode, the same activations,
 * the same nondeterminism checks), with no client, no polls and no calls:
 * each history pushed with tcore_worker_replay_history becomes one workflow
 * task holding the whole history, as if a poll had brought it. Use it to
 * check that changed workflow code still replays the histories of runs
 * made by the old code.
 *
 * For each pushed history the event callback gets, in order (on the
 * worker's run-manager thread, as a polling worker's workflow events):
 *  - ACTIVATION events, answered with tcore_worker_complete_activation
 *    (replayed tasks have is_replaying set);
 *  - REPLAY_RESPONSE when the history ends in a task the workflow answered
 *    (a run that was still open: its last task's commands), or failed;
 *  - exactly one eviction activation (one remove_from_cache job) for the
 *    run, whose reason says how the replay went:
 *      LANG_REQUESTED: the history replayed to its end;
 *      NONDETERMINISM: the code does not match the history; the message is
 *        the nondeterminism failure ("[TMPRL1100] Nondeterminism error:
 *        ..." naming the event, its type and the command expected);
 *      LANG_FAIL: the language failed an activation (the workflow task
 *        failed); the message is "Workflow activation completion failed: "
 *        and the failure's message;
 *      any other (FATAL, ...): the core could not replay it (message: why;
 *        a WARNING event says it too).
 *    Complete the eviction as any other; the run is then gone, and a
 *    history with the same run id may follow.
 * Histories are worked on as they come, one task per run at a time: push
 * the next after the previous one's eviction to get results in order.
 *
 * Life cycle as for any worker: tcore_replay_worker_new -> tcore_worker_start
 * -> tcore_worker_replay_history ... -> tcore_worker_shutdown(cb) -> cb ->
 * tcore_worker_free. Shutdown takes no more histories and waits for those
 * under way to end (each with its eviction) for the graceful period plus
 * the cancel wait (tcore_worker_options_set_shutdown_cancel_wait_ms), then
 * gives up on them (no eviction follows). The workflow options of tcore_worker_options apply
 * (namespace, identity, nondeterminism as workflow failure); the task
 * queue is required (workflow code sees it as its worker's). Polling and
 * activity options are ignored.
 */

/* Creates a replay worker on `rt` (no client). The namespace defaults to
 * "default". The runtime must outlive it: tcore_runtime_free waits for
 * the worker to be freed and shut down, as for a client. Copies what it
 * needs of `opts`. TCORE_OK; TCORE_ERR_INVALID_ARGUMENT (no runtime,
 * options or out, no task queue or event callback), TCORE_ERR_NOMEM,
 * TCORE_ERR_FORKED (the runtime was made in a parent process). */
int tcore_replay_worker_new(tcore_runtime *rt, const tcore_worker_options *opts,
                            tcore_worker **out, tcore_error *err);

/* Pushes a history to replay: `history` is a serialized
 * temporal.api.history.v1.History (copied), the whole history of one run
 * from its WorkflowExecutionStarted event (id 1), whose
 * original_execution_run_id is the run id; `workflow_id` (NULL: "") is
 * the run's workflow id (a history does not hold it). Returns at once;
 * the replay goes on in the run-manager thread (see above). Any thread.
 * TCORE_OK; TCORE_ERR_INVALID_ARGUMENT (NULL worker, not a replay worker,
 * bytes that do not parse, a history not starting with its started event
 * or without a run id: `err` says which); TCORE_ERR_CLOSED (not started, or
 * shutdown requested); TCORE_ERR_NOMEM. */
int tcore_worker_replay_history(tcore_worker *w, const char *workflow_id,
                                const uint8_t *history, size_t history_len, tcore_error *err);

/* Starts polling (and, with workflows, the worker's run-manager thread).
 * TCORE_ERR_CLOSED if already started or shut down; TCORE_ERR_INTERNAL if
 * the run-manager thread could not be started (the worker stays unstarted). */
int tcore_worker_start(tcore_worker *w);

typedef enum tcore_completion_kind {
  /* `data`: serialized temporal.api.common.v1.Payloads (the result); may be empty. */
  TCORE_COMPLETION_COMPLETED = 1,
  /* `data`: serialized temporal.api.failure.v1.Failure. */
  TCORE_COMPLETION_FAILED = 2,
  /* `data`: serialized temporal.api.common.v1.Payloads (cancellation details); may be empty. */
  TCORE_COMPLETION_CANCELLED = 3,
  /* No outcome is reported: the activity completes asynchronously (another
   * process responds with the task token or the ids). Frees the slot and
   * drops heartbeat details not yet sent; `data` must be empty. */
  TCORE_COMPLETION_WILL_COMPLETE_ASYNC = 4
} tcore_completion_kind;

/* Reports the outcome of a task and frees its slot. The Respond* call is
 * sent in the background; retryable failures (the server unreachable, ...)
 * are retried until the task's own deadline plus the local timeout buffer
 * (the client's policy when the task has none); for FAILED and CANCELLED,
 * heartbeat details not yet sent are sent first, likewise. A COMPLETED
 * result the server refuses as too large (RESOURCE_EXHAUSTED "larger than
 * max", INVALID_ARGUMENT about a size limit) is reported instead as a
 * non-retryable application failure of type "GrpcMessageTooLarge" naming
 * its size, so the workflow sees it at once (and a WARNING event says so).
 * Nothing is reported when the server answered a heartbeat of this task
 * with NOT_FOUND, or after its local timeout (CANCEL "timed_out"). Returns TCORE_ERR_NOT_FOUND if the token is not a running task
 * of this worker (already completed, or given up at shutdown). `token` and
 * `data` are copied. */
int tcore_worker_complete(tcore_worker *w, const uint8_t *token, size_t token_len, int kind,
                          const uint8_t *data, size_t data_len);

/* Records a heartbeat; `details` is a serialized temporal.api.common.v1.Payloads
 * (may be empty). The first heartbeat of a task is sent at once; later ones
 * at most once per throttle interval (tcore_heartbeat_throttle_ms), carrying
 * the latest details. Never waits. TCORE_ERR_NOT_FOUND if the token is not
 * a running task of this worker. */
int tcore_worker_heartbeat(tcore_worker *w, const uint8_t *token, size_t token_len,
                           const uint8_t *details, size_t details_len);

/* The heartbeat throttle interval for a task's heartbeat timeout (0 = none):
 * 80 % of it, 30000 ms when there is none, never more than 60000 ms. */
int64_t tcore_heartbeat_throttle_ms(int64_t heartbeat_timeout_ms);

/* Answers the outstanding activation of a run: `completion` is a serialized
 * coresdk.workflow_completion.WorkflowActivationCompletion (copied).
 * `run_id` may be NULL or "": then the completion's own run_id is used.
 * Never waits on the network; any thread. TCORE_ERR_INVALID_ARGUMENT (NULL
 * worker, NULL data with a length, no run id and the bytes do not parse or
 * name none), TCORE_ERR_NOT_FOUND (no such run on this worker, or it has no
 * activation outstanding: already completed, or given up at shutdown),
 * TCORE_ERR_NOMEM. A completion the engine refuses is reported as a
 * WARNING event and the run is evicted. A failed completion (or a
 * nondeterminism the engine finds) fails the workflow task and evicts the
 * run; as in sdk-core, only the task's first attempt is reported with
 * RespondWorkflowTaskFailed: a later attempt is dropped with a WARNING event
 * (the server retries it after its workflow task timeout). */
int tcore_worker_complete_activation(tcore_worker *w, const char *run_id,
                                     const uint8_t *completion, size_t completion_len);

/* Asks for a run to be evicted (`reason`, may be NULL, is copied into the
 * eviction's message): once its current task is answered, an eviction
 * activation follows. TCORE_OK, TCORE_ERR_INVALID_ARGUMENT (NULL worker or
 * run id), TCORE_ERR_NOT_FOUND (no such run). */
int tcore_worker_request_eviction(tcore_worker *w, const char *run_id, const char *reason);

/* Eager workflow start (as sdk-core does it): a client starting a workflow
 * with request_eager_execution on this worker's namespace and task queue
 * first reserves a workflow task slot here, and asks the server for the
 * eager task only when it got one; the first workflow task that comes back
 * in the StartWorkflowExecution response goes to
 * tcore_worker_eager_workflow_task, which consumes the reservation; a start
 * that brought no task (or failed) gives the reservation back with
 * tcore_worker_release_workflow_slot. Each reservation must end in exactly
 * one of the two. A reservation holds a slot (polls wait for it) and keeps
 * shutdown's grace phase from ending early, so end it as soon as the start
 * call is over. Any thread; never waits on the network.
 *
 * tcore_worker_reserve_workflow_slot: TCORE_OK (reserved),
 * TCORE_ERR_NOT_FOUND (no free workflow task slot, or the worker runs no
 * workflows), TCORE_ERR_CLOSED (not started, shutting down, or polling
 * stopped by a fatal error), TCORE_ERR_INVALID_ARGUMENT (NULL worker). */
int tcore_worker_reserve_workflow_slot(tcore_worker *w);

/* Consumes a reservation and gives its run the task: `task` (copied) is a
 * serialized temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse
 * (the start response's eager_workflow_task), handled as if a poll of the
 * task queue had brought it. TCORE_OK; TCORE_ERR_INVALID_ARGUMENT (NULL
 * worker, bytes that do not parse or carry no task token or run id: the
 * task is dropped), TCORE_ERR_CLOSED (shutdown has gone past its grace
 * phase: the task is dropped), TCORE_ERR_NOMEM (dropped). A dropped task comes back from the server after its
 * workflow task timeout. The reservation ends either way. */
int tcore_worker_eager_workflow_task(tcore_worker *w, const uint8_t *task, size_t task_len);

/* Ends a reservation without a task (NULL worker: nothing). */
void tcore_worker_release_workflow_slot(tcore_worker *w);

/* Shuts the worker down: stops polling and cancels the polls in flight;
 * asks every cached workflow run to be evicted (each answers its eviction
 * activation within the same bounded waits as activities, else it is
 * given up); lets running tasks finish for the graceful period, then delivers CANCEL
 * "worker_shutdown" to those still running and waits (bounded) for their
 * completions; waits for every Respond* call (at most max(cancel wait,
 * 1 s); then they are cancelled); sends ShutdownWorker (its
 * errors are ignored); then calls `cb` (may be NULL) once, on a runtime
 * thread. No event is delivered after `cb` starts. TCORE_ERR_CLOSED if
 * shutdown was already requested. */
int tcore_worker_shutdown(tcore_worker *w, tcore_worker_shutdown_cb cb, void *user);

/* Frees the worker. Call it after the shutdown callback started (it may be
 * called from inside it), or on a worker never started. On a started worker
 * not yet shut down it starts a shutdown without a callback and returns; the
 * memory goes when that shutdown is done, and event deliveries stop (one
 * already under way on a runtime thread may still run, so keep the event
 * callback's user pointer valid for a while, or better: shut down first). */
void tcore_worker_free(tcore_worker *w);

#ifdef __cplusplus
}
#endif
#endif /* TEMPORAL_CORE_H */
