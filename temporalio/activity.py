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
    TYPE_CHECKING,
    Any,
    Callable,
    Mapping,
    MutableMapping,
    NoReturn,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
    overload,
)

from temporalio._checks import _seconds
from temporalio.common import Priority, RetryPolicy

if TYPE_CHECKING:
    from temporalio.client import Client
    from temporalio.converter import PayloadConverter

__all__ = [
    "defn",
    "Info",
    "in_activity",
    "info",
    "client",
    "heartbeat",
    "raise_complete_async",
    "ActivityCancellationDetails",
    "is_cancelled",
    "wait_for_cancelled",
    "wait_for_cancelled_sync",
    "is_worker_shutdown",
    "wait_for_worker_shutdown",
    "wait_for_worker_shutdown_sync",
    "LoggerAdapter",
    "logger",
    "payload_converter",
]

CallableType = TypeVar("CallableType", bound=Callable[..., Any])

# ---- definition -------------------------------------------------------------------


@dataclass(frozen=True)
class _Definition:
    """What ``@activity.defn`` records on a callable."""

    name: Optional[str]
    """The activity type name; None for the dynamic activity."""
    fn: Callable[..., Any]
    no_thread_cancel_exception: bool = False


_DEFN_ATTR = "__temporal_activity_definition"

_DYNAMIC_SIGNATURE_ERROR = (
    "Dynamic activity must accept a single Sequence[temporalio.common.RawValue]"
)


@overload
def defn(fn: CallableType) -> CallableType: ...


@overload
def defn(
    *, name: Optional[str] = None, no_thread_cancel_exception: bool = False
) -> Callable[[CallableType], CallableType]: ...


@overload
def defn(
    *, no_thread_cancel_exception: bool = False, dynamic: bool = False
) -> Callable[[CallableType], CallableType]: ...


def defn(
    fn: Optional[CallableType] = None,
    *,
    name: Optional[str] = None,
    no_thread_cancel_exception: bool = False,
    dynamic: bool = False,
) -> Any:
    """Mark a callable as an activity, named ``name`` (default: its
    ``__name__``), so that it can be given to a worker in a list::

        @activity.defn
        async def say_hello(name: str) -> str: ...

        Worker(client, task_queue="tq", activities=[say_hello])

    ``dynamic=True`` makes it the worker's dynamic activity: it runs every
    activity type no other activity of the worker is registered for, and
    takes one parameter, ``Sequence[temporalio.common.RawValue]``, the
    arguments as payloads (convert them with :func:`payload_converter`;
    :func:`info` gives the ``activity_type``). ``name`` is ignored then, as
    in the official SDK. A dynamic activity with another signature raises
    :class:`TypeError` here (the official SDK's message); a worker given two
    raises :class:`TypeError` ("More than one dynamic activity").

    ``no_thread_cancel_exception``: a sync activity running in a thread is
    not interrupted by a :class:`temporalio.exceptions.CancelledError` from
    :func:`heartbeat` when it is cancelled; it sees the cancellation through
    :func:`is_cancelled` / :func:`wait_for_cancelled_sync` only.

    The callable itself is returned unchanged. As in the official SDK,
    :class:`TypeError` if it has keyword-only parameters ("Activity cannot
    have keyword-only arguments") and :class:`ValueError` if it is already
    an activity ("Function already contains activity definition").
    """

    def decorate(f: CallableType) -> CallableType:
        if hasattr(f, _DEFN_ATTR):  # the official SDK's check and text
            raise ValueError("Function already contains activity definition")
        if not callable(f):
            raise TypeError(f"@activity.defn needs a callable, got {type(f).__name__}")
        try:
            params = inspect.signature(f).parameters.values()
        except (TypeError, ValueError):  # no signature (some builtins): nothing to check
            params = []  # type: ignore[assignment]
        if any(p.kind == inspect.Parameter.KEYWORD_ONLY for p in params):
            raise TypeError("Activity cannot have keyword-only arguments")
        activity_name: Optional[str]
        if dynamic:
            _check_dynamic_signature(f)
            activity_name = None
        else:
            activity_name = name if name is not None else getattr(f, "__name__", None)
            if not isinstance(activity_name, str) or not activity_name:
                raise TypeError(
                    f"@activity.defn cannot name {f!r}: it has no __name__; give name=..."
                )
        d = _Definition(activity_name, f, no_thread_cancel_exception)
        try:
            setattr(f, _DEFN_ATTR, d)
        except AttributeError:  # e.g. a bound method: record on its function
            setattr(getattr(f, "__func__", f), _DEFN_ATTR, d)
        return f

    if fn is not None:
        return decorate(fn)
    return decorate


def _check_dynamic_signature(fn: Any) -> None:
    """A dynamic activity takes one ``Sequence[RawValue]`` (after ``self``
    for a function defined in a class); :class:`TypeError` otherwise."""
    import collections.abc
    import typing

    from temporalio.common import RawValue

    target = fn
    if not (inspect.isfunction(fn) or inspect.ismethod(fn)):
        call = getattr(fn if isinstance(fn, type) else type(fn), "__call__", None)
        if call is not None:
            target = call if isinstance(fn, type) else getattr(fn, "__call__", fn)
    try:
        params = list(inspect.signature(target).parameters.values())
        hints = typing.get_type_hints(target)
    except Exception:
        raise TypeError(_DYNAMIC_SIGNATURE_ERROR) from None
    if params and params[0].name == "self" and params[0].annotation is inspect.Parameter.empty:
        params = params[1:]
    if len(params) != 1 or params[0].kind not in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        raise TypeError(_DYNAMIC_SIGNATURE_ERROR)
    hint = hints.get(params[0].name)
    if typing.get_origin(hint) is not collections.abc.Sequence or typing.get_args(hint) != (
        RawValue,
    ):
        raise TypeError(_DYNAMIC_SIGNATURE_ERROR)


def _definition_of(fn: Any) -> Optional[_Definition]:
    d = getattr(fn, _DEFN_ATTR, None)
    return d if isinstance(d, _Definition) else None


# ---- info and context ---------------------------------------------------------------


_flag_lock = threading.Lock()


def _resolve(fut: "asyncio.Future[str]", reason: str) -> None:
    if not fut.done():
        fut.set_result(reason)


class _Flag:
    """A one-shot flag (cancellation, worker shutdown) that any thread may
    set and read, and any event loop may await.

    Cheap when nobody waits: a bool. A ``threading.Event`` is made only for
    a thread that blocks on it, and one future per event loop that awaits it
    (resolved on its own loop, thread-safely)."""

    __slots__ = ("_loop", "_set", "reason", "_event", "_futures")

    def __init__(self, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        self._loop = loop  # the loop whose future :meth:`future` gives by default
        self._set = False
        self.reason: Optional[str] = None
        self._event: Optional[threading.Event] = None
        self._futures: Optional[list] = None  # [(loop, future)]

    def is_set(self) -> bool:
        return self._set

    def set(self, reason: str) -> None:
        """Set the flag (the first reason wins). Any thread."""
        with _flag_lock:
            if self._set:
                return
            self.reason = reason
            self._set = True
            event, futures = self._event, self._futures
        if event is not None:
            event.set()
        if futures:
            running = asyncio._get_running_loop()
            for loop, fut in futures:
                if loop is running:
                    _resolve(fut, reason)
                else:
                    try:
                        loop.call_soon_threadsafe(_resolve, fut, reason)
                    except RuntimeError:  # that loop is closed: nobody waits any more
                        pass

    def future(self) -> "asyncio.Future[str]":
        """A future of the running loop (else of the flag's loop) that gets
        the reason when the flag is set."""
        loop = asyncio._get_running_loop() or self._loop
        if loop is None:
            raise RuntimeError("no running event loop to wait on")
        with _flag_lock:
            for known, fut in self._futures or ():
                if known is loop:
                    return fut
            fut = loop.create_future()
            if self._set:
                fut.set_result(self.reason)  # nobody can wait on it yet
            else:
                # (closed loops' futures go: a worker's shutdown flag lives long)
                self._futures = [(lp, f) for lp, f in self._futures or () if not lp.is_closed()]
                self._futures.append((loop, fut))
            return fut

    async def wait(self) -> None:
        if not self._set:
            await asyncio.shield(self.future())

    def wait_sync(self, timeout: Optional[float] = None) -> bool:
        with _flag_lock:
            if self._set:
                return True
            if self._event is None:
                self._event = threading.Event()
            event = self._event
        return event.wait(timeout)


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
    priority: Priority = Priority.default
    """Priority of the activity's tasks (as scheduled)."""
    retry_policy: Optional[RetryPolicy] = None
    """The retry policy the server applies to the activity, if it sent one."""
    activity_run_id: Optional[str] = None
    """Run id of a standalone activity (started by a client); None for a
    workflow's activity."""
    _cancel: Optional[_Flag] = field(default=None, repr=False, compare=False)

    @property
    def cancelled(self) -> bool:
        """Whether cancellation of this activity has been requested."""
        return self._cancel is not None and self._cancel.is_set()

    @property
    def cancellation(self) -> "asyncio.Future[str]":
        """An awaitable that completes (with the reason) when cancellation is
        requested: ``"cancel_requested"``, ``"worker_shutdown"``, ``"paused"``,
        ``"reset"``, ``"not_found"``. A future of the running event loop (in a
        sync activity: of the worker's loop; there use :attr:`cancelled` or
        :func:`wait_for_cancelled_sync` instead)."""
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
    """The attempt's own info (what the innermost outbound interceptor returns)."""
    heartbeat: Optional[Callable[..., None]]
    """What :func:`heartbeat` calls: the outbound interceptor chain in a worker."""
    cancel: _Flag
    worker_shutdown: _Flag
    is_async: bool = True
    _logger_details: Optional[Mapping[str, Any]] = None
    payload_converter_source: Any = None
    """What :func:`payload_converter` gives: a payload converter, a class
    to make one of (once, on first use: process-pool children), or None for
    the default."""
    info_fn: Optional[Callable[[], Info]] = None
    """What :func:`info` calls (the outbound interceptor chain in a worker);
    None: :func:`info` returns :attr:`info`."""
    client: Any = None
    """What :func:`client` returns (a worker's client in ``async def``
    activities; None elsewhere)."""

    @property
    def logger_details(self) -> Mapping[str, Any]:
        if self._logger_details is None:
            self._logger_details = self.info._logger_details()
        return self._logger_details


_current: contextvars.ContextVar[_Context] = contextvars.ContextVar("temporal_activity")


def _context() -> _Context:
    ctx = _current.get(None)
    if ctx is None:
        raise RuntimeError("Not in activity context")
    return ctx


def payload_converter() -> "PayloadConverter":
    """The payload converter of the running activity's worker (its data
    converter's), e.g. to convert the :class:`temporalio.common.RawValue`
    arguments of a dynamic activity: ``payload_converter().from_payload(
    arg.payload, MyType)``. In a process-pool child it is a new instance of
    the worker's payload converter class (made on first use). Raises
    :class:`RuntimeError` outside an activity."""
    ctx = _context()
    source = ctx.payload_converter_source
    if source is None:
        from temporalio.converter import PayloadConverter

        return PayloadConverter.default
    if isinstance(source, type):
        source = ctx.payload_converter_source = source()
    return source  # type: ignore[no-any-return]


def in_activity() -> bool:
    """Whether the calling code runs inside an activity."""
    return _current.get(None) is not None


def info() -> Info:
    """The running activity's :class:`Info`. Raises :class:`RuntimeError`
    outside an activity. In a worker it goes through the worker's activity
    outbound interceptors (:meth:`temporalio.worker.ActivityOutboundInterceptor.info`)."""
    ctx = _context()
    fn = ctx.info_fn
    return ctx.info if fn is None else fn()


def client() -> "Client":
    """The :class:`temporalio.client.Client` of the worker running this
    activity, for calls to the server from the activity. Only in ``async
    def`` activities; in tests, the client given to
    :class:`temporalio.testing.ActivityEnvironment`.

    Raises :class:`RuntimeError` outside an activity ("Not in activity
    context") and when no client is available (a ``def`` activity, or an
    environment made without one), with the official SDK's texts.
    """
    c = _context().client
    if c is None:
        raise RuntimeError(
            "No client available. The client is only available in `async def` "
            "activities; not in `def` activities. In tests you can pass a "
            "client when creating ActivityEnvironment."
        )
    return c


def heartbeat(*details: Any) -> None:
    """Record a heartbeat with ``details`` (encoded with the worker's data
    converter; the latest are what a retried attempt sees in
    ``info().heartbeat_details``).

    Synchronous and cheap: it never waits on the network (the core sends at
    most one heartbeat per throttle interval). Works in async, thread-pool
    and process-pool activities. In a sync activity whose cancellation was
    requested it raises :class:`temporalio.exceptions.CancelledError`. In a
    worker it goes through the worker's activity outbound interceptors
    (:meth:`temporalio.worker.ActivityOutboundInterceptor.heartbeat`).
    """
    ctx = _context()
    if ctx.heartbeat is None:
        raise RuntimeError("this activity context cannot heartbeat")
    ctx.heartbeat(*details)


@dataclass(frozen=True)
class ActivityCancellationDetails:
    """Why an activity was cancelled (set once)."""

    not_found: bool = False
    """The server no longer knows the activity."""
    cancel_requested: bool = False
    """Its workflow requested cancellation."""
    paused: bool = False
    """It was paused."""
    reset: bool = False
    """It was reset."""
    timed_out: bool = False
    """It timed out."""
    worker_shutdown: bool = False
    """The worker is shutting down."""


def raise_complete_async() -> NoReturn:
    """End the running activity without completing it: the worker reports
    no outcome, and another process completes it later through
    :meth:`temporalio.client.Client.get_async_activity_handle` (with
    ``info().task_token``, or the workflow id, run id and activity id).

    Raises ``_CompleteAsyncError`` (a :class:`BaseException`, so that
    ``except Exception`` in the activity does not catch it); let it
    propagate. As in the official SDK it is raised inside an activity or
    not (outside one, nothing catches it).
    """
    raise _CompleteAsyncError()


class _CompleteAsyncError(BaseException):
    """Raised by :func:`raise_complete_async`; the worker reports nothing."""


def is_cancelled() -> bool:
    """Whether cancellation of the running activity has been requested."""
    return _context().cancel.is_set()


async def wait_for_cancelled() -> None:
    """Wait until cancellation of the running activity is requested."""
    await _context().cancel.wait()


def wait_for_cancelled_sync(timeout: Union[None, float, timedelta] = None) -> bool:
    """Block until cancellation is requested or ``timeout`` passes; returns
    whether it was requested."""
    return _context().cancel.wait_sync(_seconds(timeout))


def is_worker_shutdown() -> bool:
    """Whether the worker running this activity has begun to shut down.

    True from the moment shutdown begins (``worker.shutdown()``, or the task
    running ``worker.run()`` cancelled), before the grace period
    (``graceful_shutdown_timeout``) ends: an activity that returns on it
    completes normally. Works in async, thread-pool and process-pool
    activities."""
    return _context().worker_shutdown.is_set()


async def wait_for_worker_shutdown() -> None:
    """Wait until the worker running this activity begins to shut down
    (see :func:`is_worker_shutdown`)."""
    await _context().worker_shutdown.wait()


def wait_for_worker_shutdown_sync(timeout: Union[None, float, timedelta] = None) -> bool:
    """Block until the worker begins to shut down (see
    :func:`is_worker_shutdown`) or ``timeout`` passes; returns whether it
    did. For sync activities (threads and process pools)."""
    return _context().worker_shutdown.wait_sync(_seconds(timeout))


# ---- logging ---------------------------------------------------------------------------


class LoggerAdapter(logging.LoggerAdapter):
    """A logger adapter that adds the running activity's details to each
    record. Outside an activity records pass unchanged (but for ``extra``).

    Attributes:
        activity_info_on_message: append the details (a dict: activity id
            and type, attempt, namespace, task queue, workflow id, run id and
            type) to the message. Default true.
        activity_info_on_extra: put those details in ``extra`` as
            ``temporal_activity`` (so ``record.temporal_activity``). Default
            true.
        full_activity_info_on_extra: put the whole :class:`Info` in
            ``extra`` as ``activity_info``. Default false.
    """

    def __init__(self, logger: logging.Logger, extra: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(logger, extra or {})
        self.activity_info_on_message = True
        self.activity_info_on_extra = True
        self.full_activity_info_on_extra = False

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> Tuple[Any, MutableMapping[str, Any]]:
        ctx = _current.get(None)
        if ctx is None and not self.extra:
            return msg, kwargs
        extra = dict(self.extra or {})
        extra.update(kwargs.get("extra") or {})
        if ctx is not None:
            details = ctx.logger_details
            if self.activity_info_on_message:
                msg = f"{msg} ({details})"
            if self.activity_info_on_extra:
                extra["temporal_activity"] = details
            if self.full_activity_info_on_extra:
                extra["activity_info"] = ctx.info
        kwargs["extra"] = extra
        return msg, kwargs

    @property
    def base_logger(self) -> logging.Logger:
        """The logger this adapter wraps."""
        return self.logger


class _ActivityLogger(LoggerAdapter):
    """The type of :data:`logger`: an adapter that is also callable (the
    call returns itself), so both ``activity.logger()`` and the official
    SDK's ``activity.logger.info(...)`` work."""

    def __call__(self) -> LoggerAdapter:
        return self


logger: _ActivityLogger = _ActivityLogger(logging.getLogger(__name__))
"""A logger (named ``temporalio.activity``) that adds the running activity's
details to its records. Use it as ``activity.logger().info(...)`` or
``activity.logger.info(...)``."""


def _is_async_callable(fn: Any) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)
    return call is not None and inspect.iscoroutinefunction(call)
