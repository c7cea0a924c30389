"""A typed facade over the C extension (``temporalio._bridge``).

Nothing else in the package imports ``_bridge``: the service client, the
activity sub-worker and the workflow sub-worker go through this module,
which turns the extension's tuples into typed events and its keyword soup
into a :class:`WorkerConfig`. Importing this module loads neither the
extension nor any protobuf module: ``_bridge`` is imported on first use.

Threading: every callable here may be called from any thread unless it says
otherwise; events are delivered on the event loop of the notifier the
worker was made with.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

__all__ = [
    "ActivityCancel",
    "ActivityTask",
    "CancelReason",
    "CompletionKind",
    "CoreWorker",
    "Fatal",
    "Warning",
    "WorkerConfig",
    "WorkerEvent",
    "WorkflowActivation",
    "bridge",
    "core_error_type",
    "new_client",
    "new_notifier",
    "new_runtime",
    "parse_status_details",
    "set_log_level",
]


def bridge() -> Any:
    """The extension module (imported on first use)."""
    from temporalio import _bridge

    return _bridge


class CompletionKind(enum.IntEnum):
    """How an activity task ended (the core's ``TCORE_COMPLETION_*``)."""

    COMPLETED = 1  #: data: serialized ``Payloads`` (the result)
    FAILED = 2  #: data: serialized ``Failure``
    CANCELLED = 3  #: data: serialized ``Payloads`` (the cancellation details)
    #: nothing is reported: the activity completes later through the client
    #: (``activity.raise_complete_async()``); the slot is freed at once
    WILL_COMPLETE_ASYNC = 4


class CancelReason(str, enum.Enum):
    """Why the core asks a running activity to stop. A ``str`` enum: its
    value is the official SDK's reason string (``activity.cancellation_reason``)."""

    CANCEL_REQUESTED = "cancel_requested"  #: the server says cancellation was requested
    PAUSED = "paused"  #: the activity was paused
    RESET = "reset"  #: the activity was reset
    NOT_FOUND = "not_found"  #: the server no longer knows the task (outcome not reported)
    TIMED_OUT = "timed_out"  #: a local deadline passed (outcome not reported)
    WORKER_SHUTDOWN = "worker_shutdown"  #: the worker's grace period is over

    @classmethod
    def of(cls, s: str) -> "CancelReason":
        """The reason named ``s`` (an unknown name reads as CANCEL_REQUESTED)."""
        try:
            return cls(s)
        except ValueError:
            return cls.CANCEL_REQUESTED


@dataclasses.dataclass(frozen=True)
class ActivityTask:
    """A polled activity task: ``data`` is a serialized
    ``PollActivityTaskQueueResponse``; its slot is held until
    :meth:`CoreWorker.complete` is called with its token. ``is_local``: a
    local activity of one of the worker's workflows (run by this worker, no
    slot; heartbeats are ignored)."""

    data: bytes
    is_local: bool = False


@dataclasses.dataclass(frozen=True)
class ActivityCancel:
    """The activity of ``token`` should stop, for ``reason``."""

    token: bytes
    reason: CancelReason


@dataclasses.dataclass(frozen=True)
class WorkflowActivation:
    """A serialized ``coresdk.workflow_activation.WorkflowActivation``,
    answered with :meth:`CoreWorker.complete_activation`."""

    data: bytes


@dataclasses.dataclass(frozen=True)
class Fatal:
    """Polling failed for good: ``status`` is the gRPC status (0 when the
    client was closed or the process forked), ``details`` the serialized
    ``google.rpc.Status`` (may be empty)."""

    message: str
    status: int
    details: bytes


@dataclasses.dataclass(frozen=True)
class Warning:  # noqa: A001 - the core's name for it
    """Something the worker survived (``token``: the task concerned, if any)."""

    token: Optional[bytes]
    message: str


WorkerEvent = Union[ActivityTask, ActivityCancel, WorkflowActivation, Fatal, Warning]


def _event(ev: Tuple[Any, ...]) -> WorkerEvent:
    kind = ev[0]
    if kind == "task":
        return ActivityTask(ev[1])
    if kind == "local_task":
        return ActivityTask(ev[1], True)
    if kind == "activation":
        return WorkflowActivation(ev[1])
    if kind == "cancel":
        return ActivityCancel(ev[1], CancelReason.of(ev[2]))
    if kind == "fatal":
        return Fatal(ev[1], ev[2], ev[3])
    return Warning(ev[1], ev[2])


@dataclasses.dataclass(frozen=True)
class WorkerConfig:
    """The options of one core worker (one task queue, activities and/or
    workflows). Times are in milliseconds; rates per second (0: unlimited).
    The core checks the ranges: a bad value raises ``ValueError`` naming it."""

    task_queue: str
    namespace: Optional[str] = None
    identity: Optional[str] = None
    activities: bool = True
    max_concurrent_activities: int = 100
    max_concurrent_activity_polls: int = 5
    max_activities_per_second: float = 0.0
    max_task_queue_activities_per_second: float = 0.0
    graceful_shutdown_ms: int = 0
    workflows: bool = False
    max_cached_workflows: int = 1000
    max_concurrent_workflow_tasks: int = 100
    max_concurrent_workflow_task_polls: int = 5
    sticky_schedule_to_start_ms: int = 10000
    nondeterminism_as_workflow_fail: bool = False
    nondeterminism_as_workflow_fail_for_types: Sequence[str] = ()


class CoreWorker:
    """One core worker: polls, slots and Respond* calls in C. ``on_event``
    gets typed :data:`WorkerEvent` objects on the notifier's loop.

    ``client`` may instead be a core runtime (:func:`new_runtime`): a
    replay worker, which takes histories (:meth:`replay_history`) instead
    of polling, workflows only.

    Raises the extension's ``CoreError`` (see :func:`core_error_type`) when
    the core refuses the worker (e.g. a closed client), ``ValueError`` for
    an option out of range."""

    def __init__(
        self,
        client: Any,
        notifier: Any,
        on_event: Callable[[WorkerEvent], None],
        config: WorkerConfig,
    ) -> None:
        c = config

        def deliver(ev: Tuple[Any, ...]) -> None:
            on_event(_event(ev))

        self._w = bridge().Worker(
            client,
            notifier,
            deliver,
            task_queue=c.task_queue,
            namespace=c.namespace,
            identity=c.identity,
            max_concurrent_activities=c.max_concurrent_activities,
            max_concurrent_polls=c.max_concurrent_activity_polls,
            max_activities_per_second=float(c.max_activities_per_second),
            max_task_queue_activities_per_second=float(c.max_task_queue_activities_per_second),
            graceful_shutdown_ms=c.graceful_shutdown_ms,
            workflows=c.workflows,
            activities=c.activities,
            max_cached_workflows=c.max_cached_workflows,
            max_concurrent_workflow_tasks=c.max_concurrent_workflow_tasks,
            max_concurrent_workflow_task_polls=c.max_concurrent_workflow_task_polls,
            sticky_schedule_to_start_ms=c.sticky_schedule_to_start_ms,
            nondeterminism_as_workflow_fail=c.nondeterminism_as_workflow_fail,
            nondeterminism_as_workflow_fail_for_types=tuple(
                c.nondeterminism_as_workflow_fail_for_types
            ),
        )

    def start(self) -> None:
        """Start polling."""
        self._w.start()

    def complete(self, token: bytes, kind: CompletionKind, data: bytes) -> bool:
        """Report an activity task's outcome; False if ``token`` is not a
        running task."""
        return bool(self._w.complete(token, int(kind), data))

    def heartbeat(self, token: bytes, details: bytes) -> bool:
        """Record a heartbeat (serialized ``Payloads``); never waits. False
        for an unknown token."""
        return bool(self._w.heartbeat(token, details))

    def complete_activation(self, run_id: Optional[str], completion: bytes) -> bool:
        """Answer a run's outstanding activation (a serialized
        ``WorkflowActivationCompletion``; ``run_id`` None: the completion's
        own). False if the run has no activation outstanding."""
        return bool(self._w.complete_activation(run_id, completion))

    def request_eviction(self, run_id: str, reason: Optional[str] = None) -> bool:
        """Ask for a run's eviction (an eviction activation follows). False
        for an unknown run."""
        return bool(self._w.request_eviction(run_id, reason))

    def replay_history(self, workflow_id: str, history: bytes) -> None:
        """Replay worker only: replay a serialized ``History`` (the whole
        history of one run). Its run's activations follow, then one eviction
        whose reason says how the replay went. ``ValueError`` for a history
        the core refuses (bytes that do not parse, no started event or run
        id; not a replay worker), ``CoreError`` when not started or shutting
        down."""
        self._w.replay_history(workflow_id, history)

    def reserve_workflow_slot(self) -> bool:
        """Reserve a workflow task slot for an eager workflow start: True
        when reserved (end it with :meth:`eager_workflow_task` or
        :meth:`release_workflow_slot`, exactly once); False when no slot is
        free or the worker takes no workflow tasks now."""
        return bool(self._w.reserve_workflow_slot())

    def eager_workflow_task(self, task: bytes) -> bool:
        """Consume a reservation with the eager workflow task of a start
        response (a serialized ``PollWorkflowTaskQueueResponse``), handled
        as if a poll had brought it. False when it was dropped (bad bytes,
        or shutdown past its grace phase): the server then retries it after
        its workflow task timeout."""
        return bool(self._w.eager_workflow_task(task))

    def release_workflow_slot(self) -> None:
        """End a reservation without a task."""
        self._w.release_workflow_slot()

    def shutdown(self, future: Any) -> None:
        """Shut down; ``future`` (of the notifier's loop) gets None when the
        core is done. Raises ``CoreError`` when called twice."""
        self._w.shutdown(future)


def new_runtime() -> Any:
    """A new core runtime (its threads; one per process is enough)."""
    return bridge().Runtime()


def set_log_level(level: int) -> None:
    """Transport (grpc) log lines at ``level`` or more severe go to stderr,
    process-wide: 0 none (the default), 1 error, 2 info, 3 debug."""
    bridge().set_log_level(level)


def new_notifier() -> Any:
    """A completion channel for one event loop (``fileno()``, ``drain()``)."""
    return bridge().Notifier()


def new_client(*args: Any, **kwargs: Any) -> Any:
    """A core client (``_bridge.Client``; arguments as documented there)."""
    return bridge().Client(*args, **kwargs)


def core_error_type() -> type:
    """The extension's ``CoreError`` class."""
    return bridge().CoreError  # type: ignore[no-any-return]


def parse_status_details(grpc_status: bytes) -> List[Tuple[str, bytes]]:
    """``[(type_url, value)]`` of a serialized ``google.rpc.Status``;
    ``ValueError`` when the bytes are not one."""
    return bridge().parse_status_details(grpc_status)  # type: ignore[no-any-return]
