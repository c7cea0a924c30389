"""Functions for code running inside an activity.

The worker sets the running activity's context (a :mod:`contextvars`
variable) before it calls the activity, so :func:`info`, :func:`heartbeat`
and friends work in async activities, in sync activities run in a thread
pool (the context is copied into the thread) and in process-pool activities.
Code that starts its own threads must copy the context itself
(``contextvars.copy_context().run(...)``). Tests can run activities outside a
worker with :class:`temporalio.testing.ActivityEnvironment`.

Importing this module loads no protobuf module.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import (
    Any,
    Callable,
    Mapping,
    MutableMapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
    overload,
)

__all__ = [
    "defn",
    "Info",
    "in_activity",
    "info",
    "heartbeat",
    "is_cancelled",
    "wait_for_cancelled",
    "wait_for_cancelled_sync",
    "is_worker_shutdown",
    "wait_for_worker_shutdown",
    "wait_for_worker_shutdown_sync",
    "LoggerAdapter",
    "logger",
]

CallableType = TypeVar("CallableType", bound=Callable[..., Any])

# ---- definition -------------------------------------------------------------------


@dataclass(frozen=True)
class _Definition:
    """What ``@activity.defn`` records on a callable."""

    name: str
    fn: Callable[..., Any]


_DEFN_ATTR = "__temporal_activity_definition"


@overload
def defn(fn: CallableType) -> CallableType: ...


@overload
def defn(*, name: Optional[str] = None) -> Callable[[CallableType], CallableType]: ...


def defn(fn: Optional[CallableType] = None, *, name: Optional[str] = None) -> Any:
    """Mark a callable as an activity, named ``name`` (default: its
    ``__name__``), so that it can be given to a worker in a list::

        @activity.defn
        async def say_hello(name: str) -> str: ...

        Worker(client, task_queue="tq", activities=[say_hello])

    The callable itself is returned unchanged.
    """

    def decorate(f: CallableType) -> CallableType:
        if not callable(f):
            raise TypeError(f"@activity.defn needs a callable, got {type(f).__name__}")
        activity_name = name if name is not None else getattr(f, "__name__", None)
        if not isinstance(activity_name, str) or not activity_name:
            raise TypeError(
                f"@activity.defn cannot name {f!r}: it has no __name__; give name=..."
            )
        try:
            setattr(f, _DEFN_ATTR, _Definition(activity_name, f))
        except AttributeError:  # e.g. a bound method: record on its function
            setattr(getattr(f, "__func__", f), _DEFN_ATTR, _Definition(activity_name, f))
        return f

    if fn is not None:
        return decorate(fn)
    return decorate


def _definition_of(fn: Any) -> Optional[_Definition]:
    d = getattr(fn, _DEFN_ATTR, None)
    return d if isinstance(d, _Definition) else None


# ---- info and context ---------------------------------------------------------------


class _Flag:
    """A one-shot flag visible to threads (``threading.Event``) and to the
    worker's event loop (an ``asyncio.Future``, resolved on that loop)."""

    __slots__ = ("_event", "_future", "_loop", "reason")

    def __init__(self, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        self._event = threading.Event()
        self._loop = loop
        self._future: Optional[asyncio.Future] = None
        self.reason: Optional[str] = None

    def is_set(self) -> bool:
        return self._event.is_set()

    def set(self, reason: str) -> None:
        """Set the flag. From the loop's thread, or from any thread when the
        flag has no loop."""
        if self._event.is_set():
            return
        self.reason = reason
        self._event.set()
        if self._future is not None and not self._future.done():
            self._future.set_result(reason)

    def future(self) -> asyncio.Future:
        if self._future is None:
            loop = self._loop or asyncio.get_running_loop()
            self._future = loop.create_future()
            if self._event.is_set():
                self._future.set_result(self.reason)
        return self._future

    async def wait(self) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if self._loop is None or running is self._loop:
            await asyncio.shield(self.future())
        else:  # awaited from another loop: poll the thread-safe flag
            while not self._event.is_set():
                await asyncio.sleep(0.05)

    def wait_sync(self, timeout: Optional[float] = None) -> bool:
        return self._event.wait(timeout)


@dataclass(frozen=True)
class Info:
    """What an activity knows about itself; :func:`info` returns it."""

    activity_id: str
    activity_type: str
    attempt: int
    """1 for the first attempt."""
    current_attempt_scheduled_time: Optional[datetime]
    heartbeat_details: Sequence[Any]
    """Details of the last heartbeat of a previous attempt (decoded without type hints)."""
    heartbeat_timeout: Optional[timedelta]
    is_local: bool
    namespace: str
    schedule_to_close_timeout: Optional[timedelta]
    scheduled_time: Optional[datetime]
    start_to_close_timeout: Optional[timedelta]
    started_time: Optional[datetime]
    task_queue: str
    task_token: bytes
    workflow_id: Optional[str]
    workflow_namespace: Optional[str]
    workflow_run_id: Optional[str]
    workflow_type: Optional[str]
    _cancel: Optional[_Flag] = field(default=None, repr=False, compare=False)

    @property
    def cancelled(self) -> bool:
        """Whether cancellation of this activity has been requested."""
        return self._cancel is not None and self._cancel.is_set()

    @property
    def cancellation(self) -> "asyncio.Future[str]":
        """An awaitable that completes (with the reason) when cancellation is
        requested: ``"cancel_requested"``, ``"worker_shutdown"``, ``"paused"``,
        ``"reset"``, ``"not_found"``. Await it on the worker's event loop
        (sync activities: :attr:`cancelled` or :func:`wait_for_cancelled_sync`)."""
        if self._cancel is None:
            raise RuntimeError("this Info has no cancellation (not made by a worker)")
        return self._cancel.future()

    @property
    def in_workflow(self) -> bool:
        """Whether a workflow scheduled this activity."""
        return self.workflow_id is not None

    def _logger_details(self) -> Mapping[str, Any]:
        return {
            "activity_id": self.activity_id,
            "activity_type": self.activity_type,
            "attempt": self.attempt,
            "namespace": self.namespace,
            "task_queue": self.task_queue,
            "workflow_id": self.workflow_id,
            "workflow_run_id": self.workflow_run_id,
            "workflow_type": self.workflow_type,
        }


@dataclass
class _Context:
    """The running activity's context (one per attempt)."""

    info: Info
    heartbeat: Optional[Callable[..., None]]
    cancel: _Flag
    worker_shutdown: _Flag
    is_async: bool = True
    _logger_details: Optional[Mapping[str, Any]] = None

    @property
    def logger_details(self) -> Mapping[str, Any]:
        if self._logger_details is None:
            self._logger_details = self.info._logger_details()
        return self._logger_details


_current: contextvars.ContextVar[_Context] = contextvars.ContextVar("temporal_activity")


def _context() -> _Context:
    ctx = _current.get(None)
    if ctx is None:
        raise RuntimeError("not in an activity (temporalio.activity needs a running activity)")
    return ctx


def in_activity() -> bool:
    """Whether the calling code runs inside an activity."""
    return _current.get(None) is not None


def info() -> Info:
    """The running activity's :class:`Info`. Raises :class:`RuntimeError`
    outside an activity."""
    return _context().info


def heartbeat(*details: Any) -> None:
    """Record a heartbeat with ``details`` (encoded with the worker's data
    converter; the latest are what a retried attempt sees in
    ``info().heartbeat_details``).

    Synchronous and cheap: it never waits on the network (the core sends at
    most one heartbeat per throttle interval). Works in async, thread-pool
    and process-pool activities. In a sync activity whose cancellation was
    requested it raises :class:`temporalio.exceptions.CancelledError`.
    """
    ctx = _context()
    if ctx.heartbeat is None:
        raise RuntimeError("this activity context cannot heartbeat")
    ctx.heartbeat(*details)


def is_cancelled() -> bool:
    """Whether cancellation of the running activity has been requested."""
    return _context().cancel.is_set()


async def wait_for_cancelled() -> None:
    """Wait until cancellation of the running activity is requested."""
    await _context().cancel.wait()


def wait_for_cancelled_sync(timeout: Union[None, float, timedelta] = None) -> bool:
    """Block until cancellation is requested or ``timeout`` passes; returns
    whether it was requested."""
    if isinstance(timeout, timedelta):
        timeout = timeout.total_seconds()
    return _context().cancel.wait_sync(timeout)


def is_worker_shutdown() -> bool:
    """Whether the worker running this activity has begun to shut down."""
    return _context().worker_shutdown.is_set()


async def wait_for_worker_shutdown() -> None:
    """Wait until the worker running this activity begins to shut down."""
    await _context().worker_shutdown.wait()


def wait_for_worker_shutdown_sync(timeout: Union[None, float, timedelta] = None) -> bool:
    """Block until the worker begins to shut down or ``timeout`` passes."""
    if isinstance(timeout, timedelta):
        timeout = timeout.total_seconds()
    return _context().worker_shutdown.wait_sync(timeout)


# ---- logging ---------------------------------------------------------------------------


class LoggerAdapter(logging.LoggerAdapter):
    """A logger adapter that adds the running activity's details to each
    record: as ``record.temporal_activity`` (a dict: activity id and type,
    attempt, namespace, task queue, workflow id, run id and type) and, when
    ``activity_info_on_message`` is true (the default), appended to the
    message. Outside an activity records pass unchanged.
    """

    def __init__(
        self, logger: logging.Logger, extra: Optional[Mapping[str, Any]] = None
    ) -> None:
        super().__init__(logger, extra or {})
        self.activity_info_on_message = True
        self.activity_info_on_extra = True

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> Tuple[Any, MutableMapping[str, Any]]:
        ctx = _current.get(None)
        if ctx is not None:
            details = ctx.logger_details
            if self.activity_info_on_message:
                msg = f"{msg} ({details})"
            if self.activity_info_on_extra:
                extra = dict(self.extra or {})
                extra.update(kwargs.get("extra") or {})
                extra["temporal_activity"] = details
                kwargs["extra"] = extra
                return msg, kwargs
        if self.extra:
            extra = dict(self.extra)
            extra.update(kwargs.get("extra") or {})
            kwargs["extra"] = extra
        return msg, kwargs

    @property
    def base_logger(self) -> logging.Logger:
        """The logger this adapter wraps."""
        return self.logger


_logger = LoggerAdapter(logging.getLogger(__name__))


def logger() -> LoggerAdapter:
    """A logger (named ``temporalio.activity``) that adds the running
    activity's details to its records."""
    return _logger


def _is_async_callable(fn: Any) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)
    return call is not None and inspect.iscoroutinefunction(call)
