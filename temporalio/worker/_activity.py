"""The activity side of a worker: runs the tasks the C core polls.

The core (through ``temporalio._core.CoreWorker``) owns polling, slots,
heartbeat throttling, cancellation delivery and the Respond* calls. This
module turns each task into a call of the registered Python callable and its
outcome into a completion. Typed events arrive on the worker's event loop
(``_core.ActivityTask``, ``ActivityCancel``, ``Fatal``, ``Warning``; with
workflows on the same core worker also ``WorkflowActivation``, handed to the
``on_activation`` callable).

An attempt runs in one of four places, which decides how a cancel reaches
it (``_Running.mode``): an async activity on the worker's loop (its task is
cancelled) or on a loop of its own in ``async_activity_executor`` (that task
is cancelled, thread-safely); a sync activity in a thread (its next
heartbeat raises) or in a process pool (the same, told through the
``_process`` socket). The async-on-the-loop path, the common one, costs no
thread, lock or system call of its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import dataclasses
import functools
import inspect
import logging
import typing
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

import temporalio.activity as _act
import temporalio.exceptions as _exc
from temporalio._checks import _check_list
from temporalio.common import Priority, RetryPolicy
from temporalio.common import RawValue as _RawValue
from temporalio.converter import ActivitySerializationContext
from temporalio.worker._interceptor import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

logger = logging.getLogger("temporalio.worker")

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# ---- registration -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _ActivityDef:
    """A registered activity, with what calling it needs worked out once."""

    name: str
    fn: Callable[..., Any]
    is_async: bool
    arg_types: Tuple[Optional[type], ...]  # one per positional parameter
    varargs_type: Optional[type]
    has_varargs: bool
    min_args: int
    max_args: int  # without *args
    dynamic: bool = False  # takes every argument as one Sequence[RawValue]
    no_thread_cancel_exception: bool = False

    @staticmethod
    def of(name: str, fn: Any) -> "_ActivityDef":
        if not callable(fn):
            raise TypeError(
                f"activity {name!r} is not callable (got {type(fn).__name__}); "
                "give a function, a coroutine function or a callable object"
            )
        is_async = _act._is_async_callable(fn)
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):  # a builtin without a signature: take anything
            return _ActivityDef(name, fn, is_async, (), None, True, 0, 0)
        try:
            hints = typing.get_type_hints(fn)
        except Exception:
            call = getattr(fn, "__call__", None)
            try:
                hints = typing.get_type_hints(call) if call is not None else {}
            except Exception:
                hints = {}
        types: List[Optional[type]] = []
        min_args = 0
        has_varargs = False
        varargs_type: Optional[type] = None
        for p in sig.parameters.values():
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                types.append(_hint(hints.get(p.name)))
                if p.default is p.empty:
                    min_args = len(types)
            elif p.kind == p.VAR_POSITIONAL:
                has_varargs = True
                varargs_type = _hint(hints.get(p.name))
            elif p.kind == p.KEYWORD_ONLY and p.default is p.empty:
                raise TypeError(
                    "Activity cannot have keyword-only arguments "
                    f"(activity {name!r} has keyword-only parameter {p.name!r} without a "
                    "default: activities are called with positional arguments only)"
                )
        return _ActivityDef(
            name, fn, is_async, tuple(types), varargs_type, has_varargs, min_args, len(types)
        )

    def type_hints(self, n: int) -> Optional[List[Optional[type]]]:
        """One type hint per argument, or None when there are none at all."""
        hints = list(self.arg_types[:n])
        if n > len(hints):
            hints.extend([self.varargs_type] * (n - len(hints)))
        return hints if any(h is not None for h in hints) else None


def _hint(h: Any) -> Optional[type]:
    return None if h is None or h is Any or h is inspect.Parameter.empty else h


def _activity_defs(activities: Any) -> Dict[Optional[str], _ActivityDef]:
    """Checks the ``activities`` option: a mapping of name to callable, or a
    sequence of ``@activity.defn`` callables (at most one of them dynamic:
    it is under the key None)."""
    out: Dict[Optional[str], _ActivityDef] = {}
    if isinstance(activities, Mapping):
        for name, fn in activities.items():
            if not isinstance(name, str) or not name:
                raise TypeError(f"activity names must be non-empty strings, got {name!r}")
            out[name] = _ActivityDef.of(name, fn)
        return out
    _check_list(
        activities,
        "activities",
        "a mapping of name to callable or a list of @activity.defn callables",
    )
    for i, fn in enumerate(activities):
        d = _act._definition_of(fn)
        if d is None:
            if not callable(fn):
                raise TypeError(f"activities[{i}] is not callable (got {type(fn).__name__})")
            fn_name = getattr(fn, "__name__", "<unknown>")
            raise TypeError(
                f"Activity {fn_name} missing attributes, was it decorated with @activity.defn? "
                f"(activities[{i}]; or pass a mapping of name to callable)"
            )
        if d.name is None:
            if None in out:
                raise TypeError("More than one dynamic activity")
            out[None] = dataclasses.replace(
                _ActivityDef.of(getattr(fn, "__name__", "dynamic activity"), fn),
                dynamic=True,
                no_thread_cancel_exception=d.no_thread_cancel_exception,
            )
            continue
        if d.name in out:
            raise ValueError(f"More than one activity named {d.name}")
        if inspect.isclass(fn):  # a __call__ activity is registered as an instance
            raise TypeError(f"Activity named {d.name} is a class instead of an instance")
        out[d.name] = dataclasses.replace(
            _ActivityDef.of(d.name, fn), no_thread_cancel_exception=d.no_thread_cancel_exception
        )
    return out


# ---- running activities ---------------------------------------------------------------

# Where an attempt runs: how a cancel reaches it.
_ON_LOOP = 0  # async, on the worker's loop: the task is cancelled
_IN_THREAD = 1  # sync, in activity_executor: heartbeat() raises, info().cancelled
_ON_OTHER_LOOP = 2  # async, in async_activity_executor: its task on that loop is cancelled
_IN_PROCESS = 3  # sync, in a process pool: told through the worker's socket

# An attempt that had not started when its process pool broke runs again in
# the new pool, up to this many times in all.
_MAX_POOL_SUBMISSIONS = 3


# A context to ask a data converter whether any part of it uses contexts.
_PROBE_CONTEXT = ActivitySerializationContext(
    namespace="",
    activity_id=None,
    activity_type=None,
    activity_task_queue=None,
    workflow_id=None,
    workflow_type=None,
    is_local=False,
)


class _Running:
    """One activity attempt in progress."""

    __slots__ = (
        "token",
        "dc",
        "context",
        "task",
        "cancel",
        "done",
        "mode",
        "remote",
        "key",
        "hb_task",
        "started",
        "cfut",
        "no_cancel_exc",
    )

    def __init__(self, token: bytes, cancel: _act._Flag, dc: Any) -> None:
        self.token = token
        # the worker's data converter in this activity's serialization context
        self.dc = dc
        self.context: Optional[_act._Context] = None
        self.task: Optional[asyncio.Task] = None
        self.cancel = cancel
        self.done = False  # the user's callable has returned or raised
        self.mode = _ON_LOOP  # until the activity is known (decoding runs on the loop)
        self.remote: Optional[Tuple[asyncio.AbstractEventLoop, asyncio.Task]] = None
        self.key: Optional[bytes] = None  # process-pool attempts: the hub's key
        self.hb_task: Optional[asyncio.Task] = None  # heartbeat encoding (async converters)
        # Its task has taken its first step: cancelling it now reaches _execute
        # (a task cancelled before its first step would never run its finally,
        # and the attempt would never be reported).
        self.started = False
        # The executor's future while it waits there: cancelled (if it has not
        # started) when the attempt is, so a queued attempt is reported at once.
        self.cfut: Optional[concurrent.futures.Future] = None
        # @activity.defn(no_thread_cancel_exception=True): heartbeat() of a
        # thread-pool attempt does not raise when it is cancelled.
        self.no_cancel_exc = False


def _td(msg: Any, name: str) -> Optional[timedelta]:
    if not msg.HasField(name):
        return None
    d = getattr(msg, name)
    return timedelta(seconds=d.seconds, microseconds=d.nanos // 1000)


def _dt(msg: Any, name: str) -> Optional[datetime]:
    if not msg.HasField(name):
        return None
    t = getattr(msg, name)
    return _EPOCH + timedelta(seconds=t.seconds, microseconds=t.nanos // 1000)


def _fatal_error(message: str, status: int, details: bytes) -> BaseException:
    """The error a worker whose polling failed for good raises: the
    :class:`temporalio.service.RPCError` subclass for the poll's status (e.g.
    ``NamespaceNotFoundError``, or ``RPCError`` with ``PERMISSION_DENIED``),
    or a ``RuntimeError`` when no call failed (the client was closed)."""
    if status:
        from temporalio.service import rpc_error

        return rpc_error(status, message, details)
    return RuntimeError(f"activity worker failed: {message}")


def _is_cancel_error(e: BaseException) -> bool:
    return isinstance(e, (asyncio.CancelledError, _exc.CancelledError))


def _run_on_new_loop(ra: _Running, fn: Callable[..., Any], args: Sequence[Any]) -> Any:
    """In an ``async_activity_executor`` thread: runs the async activity on a
    loop of its own, where the worker can cancel its task."""
    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(fn(*args))
        ra.remote = (loop, task)
        if ra.cancel.is_set():  # came before `remote` was visible
            task.cancel()
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError:
            # An asyncio.CancelledError would read as the worker's own task
            # being cancelled: hand it over as Temporal's.
            raise _exc.CancelledError("Cancelled") from None
    finally:
        ra.remote = None
        try:
            rest = asyncio.all_tasks(loop)
            for t in rest:
                t.cancel()
            if rest:
                loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()


class _ActivityWorker:
    """Runs the activity tasks of one worker."""

    def __init__(
        self,
        *,
        core_client: Any,
        namespace: str,
        task_queue: str,
        identity: str,
        activities: Dict[Optional[str], _ActivityDef],
        activity_executor: Optional[concurrent.futures.Executor],
        async_activity_executor: Optional[concurrent.futures.Executor],
        max_concurrent_activities: int,
        max_concurrent_polls: int,
        max_activities_per_second: Optional[float],
        max_task_queue_activities_per_second: Optional[float],
        graceful_shutdown_timeout: timedelta,
        data_converter: Any,
        interceptors: Sequence[Interceptor] = (),
        activities_enabled: bool = True,
        workflow_config: Optional[Dict[str, Any]] = None,
        on_activation: Optional[Callable[[bytes], None]] = None,
        client: Any = None,
    ) -> None:
        self._core_client = core_client
        self._client = client  # what activity.client() returns in async activities
        self._activities_enabled = activities_enabled
        # WorkerConfig fields of the workflow side (workflows=True, cache...)
        self._workflow_config = dict(workflow_config or {})
        self._on_activation = on_activation
        self._interceptors = list(reversed(interceptors))  # innermost first
        self._namespace = namespace
        self._task_queue = task_queue
        self._identity = identity
        self._activities = activities
        self._executor = activity_executor
        self._async_executor = async_activity_executor
        self._max_concurrent = max_concurrent_activities
        self._max_polls = max_concurrent_polls
        self._rate = max_activities_per_second or 0.0
        self._tq_rate = max_task_queue_activities_per_second or 0.0
        self._grace_ms = int(graceful_shutdown_timeout.total_seconds() * 1000)
        self._dc = data_converter
        # Whether any part of the converter uses serialization contexts (if
        # none does, each task uses the converter as it is).
        self._dc_uses_context = (
            callable(getattr(data_converter, "with_context", None))
            and data_converter.with_context(_PROBE_CONTEXT) is not data_converter
        )
        self._running: Dict[bytes, _Running] = {}
        # tokens of the local activities running (their info says is_local)
        self._local_tokens: Set[bytes] = set()
        self._core: Any = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._shutdown_flag: Optional[_act._Flag] = None
        self._hub: Any = None  # a _process.ProcessHub when sync activities run in processes
        self._owned_pools: List[concurrent.futures.Executor] = []
        self._broken_pools: List[concurrent.futures.Executor] = []  # replaced by a new one
        self.fatal: Optional[BaseException] = None
        self.stopped: Optional[asyncio.Future] = None  # done on fatal or shutdown
        # The protobuf classes load with the first task: an idle worker keeps
        # no protobuf module in memory.
        self._Payloads: Any = None
        self._Task: Any = None

    def _load_protos(self) -> None:
        from temporalio.api.common.v1 import Payloads
        from temporalio.api.workflowservice.v1 import PollActivityTaskQueueResponse

        self._Payloads = Payloads
        self._Task = PollActivityTaskQueueResponse

    # -- life cycle --

    def start(self) -> None:
        from temporalio import _core
        from temporalio.service import _notifier

        loop = asyncio.get_running_loop()
        self._loop = loop
        self._shutdown_flag = _act._Flag(loop)
        self.stopped = loop.create_future()
        if isinstance(self._executor, concurrent.futures.ProcessPoolExecutor):
            self._ensure_hub()
        try:
            config = _core.WorkerConfig(
                task_queue=self._task_queue,
                namespace=self._namespace,
                identity=self._identity,
                activities=self._activities_enabled,
                max_concurrent_activities=self._max_concurrent,
                max_concurrent_activity_polls=self._max_polls,
                max_activities_per_second=float(self._rate),
                max_task_queue_activities_per_second=float(self._tq_rate),
                graceful_shutdown_ms=self._grace_ms,
                **self._workflow_config,
            )
            self._core = _core.CoreWorker(
                self._core_client, _notifier(loop), self._on_event, config
            )
            self._core.start()
        except BaseException:
            if self._hub is not None:
                self._hub.close()
            raise

    def _ensure_hub(self) -> Any:
        """The channel to process-pool activities (made on first need: an
        interceptor may hand an activity to a process pool of its own)."""
        if self._hub is None:
            from temporalio.worker._process import ProcessHub

            assert self._loop is not None and self._shutdown_flag is not None
            self._hub = ProcessHub(
                loop=self._loop,
                on_heartbeat=self._heartbeat_from_process,
                on_info=self._info_from_process,
            )
            if self._shutdown_flag.is_set():
                self._hub.notify_shutdown()
        return self._hub

    async def shutdown(self) -> None:
        """Shut down; returns when the core is done (grace period, then
        cancels, then a bounded wait for their completions, all reported)."""
        assert self._loop is not None and self._shutdown_flag is not None
        self._shutdown_flag.set("worker_shutdown")
        if self._hub is not None:
            self._hub.notify_shutdown()
        fut = self._loop.create_future()
        self._core.shutdown(fut)
        await asyncio.shield(fut)
        if self.stopped is not None and not self.stopped.done():
            self.stopped.set_result(None)
        # Whatever still runs was given up by the core (its completion can no
        # longer be reported): stop waiting for what we can stop.
        for ra in list(self._running.values()):
            if ra.mode == _ON_LOOP and ra.task is not None and not ra.task.done():
                ra.task.cancel()
        if self._hub is not None:
            self._hub.close()  # children still running read it as a cancel
        for pool in self._owned_pools:
            pool.shutdown(wait=False)

    # -- events from the core --

    def _on_event(self, ev: Any) -> None:
        from temporalio import _core

        if isinstance(ev, _core.WorkflowActivation):
            if self._on_activation is not None:
                self._on_activation(ev.data)
        elif isinstance(ev, _core.ActivityTask):
            self._on_task(ev.data, ev.is_local)
        elif isinstance(ev, _core.ActivityCancel):
            self._on_cancel(ev.token, ev.reason.value)
        elif isinstance(ev, _core.Fatal):
            self.fatal = _fatal_error(ev.message, ev.status, ev.details)
            logger.error("Worker on task queue %r failed: %s", self._task_queue, ev.message)
            if self.stopped is not None and not self.stopped.done():
                self.stopped.set_result(None)
        else:
            logger.warning("Worker on task queue %r: %s", self._task_queue, ev.message)

    def _on_task(self, data: bytes, is_local: bool = False) -> None:
        assert self._loop is not None
        if self._Task is None:
            self._load_protos()
        task = self._Task.FromString(data)
        if is_local:
            self._local_tokens.add(task.task_token)
        ra = _Running(task.task_token, _act._Flag(self._loop), self._converter_for(task))
        self._running[ra.token] = ra
        ra.task = self._loop.create_task(self._execute(ra, task))

    def _converter_for(self, task: Any) -> Any:
        """The data converter in the task's ActivitySerializationContext (the
        worker's own when no part of it uses a context)."""
        if not self._dc_uses_context:
            return self._dc
        wf = task.workflow_execution
        in_wf = bool(wf.workflow_id)
        return self._dc.with_context(
            ActivitySerializationContext(
                namespace=task.workflow_namespace or self._namespace,
                activity_id=task.activity_id,
                activity_type=task.activity_type.name,
                activity_task_queue=self._task_queue,
                workflow_id=wf.workflow_id if in_wf else None,
                workflow_type=task.workflow_type.name if in_wf else None,
                is_local=task.task_token in self._local_tokens,
            )
        )

    def _on_cancel(self, token: bytes, reason: str) -> None:
        ra = self._running.get(token)
        if ra is None:
            return
        ra.cancel.set(reason)
        if ra.done:
            return
        if ra.cfut is not None and ra.cfut.cancel():  # still queued in its executor
            return
        mode = ra.mode
        if mode == _ON_LOOP:
            if ra.task is not None and ra.started:  # else _execute sees the flag first
                ra.task.cancel()
        elif mode == _ON_OTHER_LOOP:
            remote = ra.remote  # None until its loop runs: it checks the flag then
            if remote is not None:
                try:
                    remote[0].call_soon_threadsafe(remote[1].cancel)
                except RuntimeError:  # its loop just closed: the activity is over
                    pass
        elif mode == _IN_PROCESS:
            if ra.key is not None and self._hub is not None:
                self._hub.cancel(ra.key, reason)
        # _IN_THREAD: seen at its next heartbeat() and in info().cancelled.

    # -- one attempt --

    async def _execute(self, ra: _Running, task: Any) -> None:
        from temporalio._core import CompletionKind

        kind, data = CompletionKind.FAILED, b""
        ra.started = True
        try:
            try:
                if ra.cancel.is_set():  # cancelled before it could start: report it
                    raise _exc.CancelledError("Cancelled (before it started)")
                result = await self._invoke(ra, task)
                ra.done = True
                payloads = await ra.dc.encode([result])
                kind, data = (
                    CompletionKind.COMPLETED,
                    self._Payloads(payloads=payloads).SerializeToString(),
                )
            except _act._CompleteAsyncError:  # activity.raise_complete_async(): report nothing
                ra.done = True
                kind, data = CompletionKind.WILL_COMPLETE_ASYNC, b""
            except BaseException as err:  # noqa: B902 - every outcome is reported
                ra.done = True
                kind, data = await self._failure(ra, err)
            if ra.hb_task is not None and kind not in (
                CompletionKind.COMPLETED,
                CompletionKind.WILL_COMPLETE_ASYNC,
            ):
                await asyncio.wait([ra.hb_task])  # its details go before the failure
        except BaseException as err:  # noqa: B902 - converting the outcome failed
            kind, data = (
                CompletionKind.FAILED,
                self._plain_failure(
                    f"failed to build the activity's result: {type(err).__name__}: {err}", err
                ),
            )
        finally:
            self._running.pop(ra.token, None)
            self._local_tokens.discard(ra.token)
            self._core.complete(ra.token, kind, data)

    async def _invoke(self, ra: _Running, task: Any) -> Any:
        defn = self._activities.get(task.activity_type.name) or self._activities.get(None)
        if defn is None:
            names = ", ".join(sorted(n for n in self._activities if n is not None)) or "(none)"
            raise _exc.ApplicationError(
                f"Activity function {task.activity_type.name} for workflow "
                f"{task.workflow_execution.workflow_id} is not registered on this worker, "
                f"available activities: {names}",
                type="NotFoundError",
            )
        payloads = task.input.payloads
        n = len(payloads)
        if not defn.dynamic and (n < defn.min_args or (n > defn.max_args and not defn.has_varargs)):
            expected = (
                f"{defn.min_args}"
                if defn.min_args == defn.max_args
                else f"{defn.min_args} to {defn.max_args}"
            )
            if defn.has_varargs:
                expected = f"at least {defn.min_args}"
            raise _exc.ApplicationError(
                f"Activity {defn.name!r} takes {expected} argument(s) but was given {n}",
                type="TypeError",
            )
        try:
            if defn.dynamic:  # one argument: the payloads (after the codec) as RawValues
                args = [[_RawValue(p) for p in await self._decode_codec(ra.dc, payloads)]]
            else:
                args = await ra.dc.decode(payloads, defn.type_hints(n)) if n else []
        except Exception as err:
            raise _exc.ApplicationError(
                f"Failed decoding arguments of activity {defn.name!r}: {type(err).__name__}: {err}",
                type="TypeError",
            ) from err
        try:
            details = (
                await ra.dc.decode(task.heartbeat_details.payloads)
                if task.heartbeat_details.payloads
                else []
            )
        except Exception as err:
            raise _exc.ApplicationError(
                f"Failed decoding heartbeat details: {type(err).__name__}: {err}",
                non_retryable=True,
            ) from err
        info = self._info(task, details, ra.cancel)
        assert self._shutdown_flag is not None
        ctx = _act._Context(
            info=info,
            heartbeat=functools.partial(self._heartbeat, ra),
            cancel=ra.cancel,
            worker_shutdown=self._shutdown_flag,
            is_async=defn.is_async,
            client=self._client if defn.is_async else None,
            payload_converter_source=getattr(ra.dc, "payload_converter", None),
        )
        ra.context = ctx
        ra.no_cancel_exc = defn.no_thread_cancel_exception
        # This task's own context: the activity's (async on this loop), the
        # interceptors', and the worker's logging of the outcome either way.
        _act._current.set(ctx)
        inbound: ActivityInboundInterceptor = _ActivityInboundImpl(self, ra, defn)
        for i in self._interceptors:  # innermost first: the first given is outermost
            link = i.intercept_activity(inbound)
            if not isinstance(link, ActivityInboundInterceptor):
                raise TypeError(
                    f"{type(i).__name__}.intercept_activity returned a {type(link).__name__}, "
                    "not a temporalio.worker.ActivityInboundInterceptor"
                )
            inbound = link
        inbound.init(_ActivityOutboundImpl(self, ra))
        executor = self._async_executor if defn.is_async else self._executor
        return await inbound.execute_activity(
            ExecuteActivityInput(
                fn=defn.fn, args=args, executor=executor, headers=task.header.fields
            )
        )

    def _payload_converter_class_for_children(self) -> Optional[type]:
        """The class of the payload converter, for ``activity.payload_converter()``
        in process-pool children (which make their own instance); None (the
        default converter) when it does not pickle by reference."""
        try:
            return self._pc_class  # type: ignore[no-any-return,has-type]
        except AttributeError:
            pass
        import pickle

        pc = getattr(self._dc, "payload_converter", None)
        cls: Optional[type] = None if pc is None else type(pc)
        try:
            pickle.dumps(cls)
        except Exception:
            cls = None
        self._pc_class = cls
        return cls

    @staticmethod
    async def _decode_codec(dc: Any, payloads: Sequence[Any]) -> Sequence[Any]:
        """``payloads`` through data converter ``dc``'s codec (if any), not
        its payload converter: a dynamic activity's arguments."""
        codec = getattr(dc, "payload_codec", None)
        if codec is None or not payloads:
            return payloads
        from temporalio.converter._payload_codec import _check_codec_result

        decoded = await codec.decode(list(payloads))
        _check_codec_result(decoded, len(payloads))
        return decoded  # type: ignore[no-any-return]

    async def _run(self, ra: _Running, defn: _ActivityDef, input: ExecuteActivityInput) -> Any:
        """The innermost ``execute_activity``: runs ``input.fn`` where
        ``input.executor`` says (see :class:`ExecuteActivityInput`)."""
        assert self._loop is not None
        fn, args, executor = input.fn, input.args, input.executor
        is_async = defn.is_async if fn is defn.fn else _act._is_async_callable(fn)
        if ra.context is not None:
            ra.context.is_async = is_async
        if is_async:
            if executor is None:
                return await fn(*args)
            if isinstance(executor, concurrent.futures.ProcessPoolExecutor):
                raise TypeError(f"activity {defn.name!r} is async: it cannot run in a process pool")
            ra.mode = _ON_OTHER_LOOP
            cv = contextvars.copy_context()
            return await self._submit(ra, executor, cv.run, _run_on_new_loop, ra, fn, args)
        if isinstance(executor, concurrent.futures.ProcessPoolExecutor):
            ra.mode = _IN_PROCESS
            return await self._run_in_process(ra, defn, fn, args, executor)
        ra.mode = _IN_THREAD
        cv = contextvars.copy_context()
        return await self._submit(ra, executor, cv.run, fn, *args)

    def _submit(
        self,
        ra: _Running,
        executor: Optional[concurrent.futures.Executor],
        fn: Callable[..., Any],
        *args: Any,
    ) -> "asyncio.Future[Any]":
        """Runs ``fn(*args)`` in an executor (threads or processes); while it
        waits there for a worker, a cancel of the attempt takes it out of the
        queue (the attempt then ends at once with the cancel, and is reported)."""
        assert self._loop is not None
        if executor is None:
            return self._loop.run_in_executor(None, functools.partial(fn, *args))
        cf = executor.submit(fn, *args)
        ra.cfut = cf
        if ra.cancel.is_set():
            cf.cancel()
        fut = asyncio.wrap_future(cf, loop=self._loop)
        fut.add_done_callback(lambda _: setattr(ra, "cfut", None))
        return fut

    async def _run_in_process(
        self,
        ra: _Running,
        defn: _ActivityDef,
        fn: Callable[..., Any],
        args: Sequence[Any],
        pool: concurrent.futures.ProcessPoolExecutor,
    ) -> Any:
        from concurrent.futures.process import BrokenProcessPool

        from temporalio.worker import _process

        assert self._loop is not None and ra.context is not None
        hub = self._ensure_hub()
        sent_info = dataclasses.replace(ra.context.info, _cancel=None)
        # info() in the child asks the worker (one round trip) only when an
        # outbound interceptor has its own info(); heartbeats always come here.
        remote_info = _intercepts_info(ra.context.info_fn)
        for submissions in range(1, _MAX_POOL_SUBMISSIONS + 1):
            key = ra.key = hub.register(ra)
            try:
                ok, data = await self._submit(
                    ra,
                    pool,
                    _process.run_activity,
                    fn,
                    args,
                    sent_info,
                    hub.address,
                    key,
                    remote_info,
                    self._payload_converter_class_for_children(),
                )
            except BrokenProcessPool as err:
                started = hub.started(key)
                hub.unregister(key)  # from now on its child would not start it
                if pool is self._executor or any(pool is b for b in self._broken_pools):
                    # the worker's own pool (or one it replaced already): go on in its new one
                    self._renew_pool(pool)
                    pool = self._executor  # type: ignore[assignment]
                if not started and not ra.cancel.is_set() and submissions < _MAX_POOL_SUBMISSIONS:
                    continue  # it ran no user code: run it in the new pool
                if not started and ra.cancel.is_set():
                    raise _exc.CancelledError("Cancelled (before it started)") from None
                raise _exc.ApplicationError(
                    f"the process pool running activity {defn.name!r} broke: a child process "
                    f"ended abruptly (killed, crashed or out of memory) while it ran this "
                    f"attempt or another one ({err})",
                    type="BrokenProcessPool",
                ) from None
            except BaseException as err:
                hub.unregister(key)
                if not isinstance(err, Exception):
                    raise
                raise _exc.ApplicationError(
                    f"activity {defn.name!r} could not be run in the process pool "
                    f"(its function and arguments must pickle): {type(err).__name__}: {err}",
                    type=type(err).__name__,
                ) from None
            hub.unregister(key)  # takes in its last heartbeats first
            return _process.load_outcome(ok, data)
        raise AssertionError("unreachable")

    def _renew_pool(self, broken: concurrent.futures.ProcessPoolExecutor) -> None:
        """After a child died, the pool is broken for good: use a new one
        with its settings (owned by the worker) for the next attempts."""
        if self._executor is not broken:
            return  # renewed already
        self._broken_pools.append(broken)
        from temporalio.worker import _process

        new = _process.renew_pool(broken)
        if new is None:
            return
        logger.warning(
            "A child process of the activity process pool died; the pool broke and the "
            "worker on task queue %r replaced it with a new one of the same settings",
            self._task_queue,
        )
        self._executor = new
        self._owned_pools.append(new)

    def _info(self, task: Any, details: List[Any], cancel: _act._Flag) -> _act.Info:
        wf = task.workflow_execution
        in_wf = bool(wf.workflow_id)
        return _act.Info(
            activity_id=task.activity_id,
            activity_type=task.activity_type.name,
            attempt=task.attempt,
            current_attempt_scheduled_time=_dt(task, "current_attempt_scheduled_time"),
            heartbeat_details=details,
            heartbeat_timeout=_td(task, "heartbeat_timeout"),
            is_local=task.task_token in self._local_tokens,
            namespace=task.workflow_namespace or self._namespace,
            schedule_to_close_timeout=_td(task, "schedule_to_close_timeout"),
            scheduled_time=_dt(task, "scheduled_time"),
            start_to_close_timeout=_td(task, "start_to_close_timeout"),
            started_time=_dt(task, "started_time"),
            task_queue=self._task_queue,
            task_token=task.task_token,
            workflow_id=wf.workflow_id if in_wf else None,
            workflow_namespace=(task.workflow_namespace or self._namespace) if in_wf else None,
            workflow_run_id=wf.run_id if in_wf else None,
            workflow_type=task.workflow_type.name if in_wf else None,
            priority=Priority._from_proto(task.priority),
            retry_policy=(
                RetryPolicy.from_proto(task.retry_policy) if task.HasField("retry_policy") else None
            ),
            activity_run_id=task.activity_run_id or None,
            _cancel=cancel,
        )

    # -- heartbeats --

    def _heartbeat(self, ra: _Running, *details: Any) -> None:
        """The innermost ``heartbeat`` of the outbound chain; any thread."""
        if ra.mode == _IN_THREAD and ra.cancel.is_set() and not ra.no_cancel_exc:
            raise _exc.CancelledError(f"Cancelled ({ra.cancel.reason})")
        if getattr(ra.dc, "_sync", False):
            self._record_heartbeat(ra, ra.dc._encode_sync(list(details)))
        else:  # an async converter or codec: encode on the loop
            assert self._loop is not None
            if asyncio._get_running_loop() is self._loop:
                self._heartbeat_async_start(ra, details)  # now: keeps hb_task current
            else:
                self._loop.call_soon_threadsafe(self._heartbeat_async_start, ra, details)

    def _heartbeat_from_process(self, ra: _Running, details: Sequence[Any]) -> None:
        """Details a process-pool activity heartbeated (on the loop): they go
        through the attempt's outbound interceptor chain here, in the worker."""
        ctx = ra.context
        if ctx is None or ctx.heartbeat is None:
            return
        token = _act._current.set(ctx)  # the interceptors may use temporalio.activity
        try:
            ctx.heartbeat(*details)
        except Exception:
            logger.exception("Heartbeat of a process-pool activity failed in the worker")
        finally:
            _act._current.reset(token)

    def _info_from_process(self, ra: _Running) -> _act.Info:
        """``activity.info()`` of a process-pool activity whose outbound
        chain intercepts it (on the loop)."""
        ctx = ra.context
        assert ctx is not None
        if ctx.info_fn is None:
            return ctx.info
        token = _act._current.set(ctx)
        try:
            return ctx.info_fn()
        finally:
            _act._current.reset(token)

    def _record_heartbeat(self, ra: _Running, payloads: Sequence[Any]) -> None:
        self._core.heartbeat(ra.token, self._Payloads(payloads=payloads).SerializeToString())

    def _heartbeat_async_start(self, ra: _Running, details: Sequence[Any]) -> None:
        assert self._loop is not None
        ra.hb_task = self._loop.create_task(self._heartbeat_async(ra, details, ra.hb_task))

    async def _heartbeat_async(
        self, ra: _Running, details: Sequence[Any], previous: Optional[asyncio.Task]
    ) -> None:
        try:
            payloads = await ra.dc.encode(list(details))
            if previous is not None:  # keep the order the activity heartbeated in
                await asyncio.wait([previous])
            self._record_heartbeat(ra, payloads)
        except Exception:
            logger.exception("Encoding heartbeat details of activity failed")

    # -- outcomes --

    async def _failure(self, ra: _Running, err: BaseException) -> Tuple[Any, bytes]:
        from temporalio._core import CompletionKind

        reason = ra.cancel.reason if ra.cancel.is_set() else None
        if reason is not None and _is_cancel_error(err):
            if reason == "cancel_requested":
                details = list(err.details) if isinstance(err, _exc.CancelledError) else []
                payloads = await ra.dc.encode(details) if details else []
                return CompletionKind.CANCELLED, self._Payloads(
                    payloads=payloads
                ).SerializeToString()
            if reason == "worker_shutdown":
                err = _exc.ApplicationError("Worker shutdown", type="WorkerShutdown")
            elif reason == "paused":
                err = _exc.ApplicationError(
                    "Unhandled activity cancel error produced by activity pause",
                    type="ActivityPause",
                )
            elif reason == "reset":
                err = _exc.ApplicationError(
                    "Unhandled activity cancel error produced by activity reset",
                    type="ActivityReset",
                )
        elif not (
            isinstance(err, _exc.ApplicationError)
            and err.category == _exc.ApplicationErrorCategory.BENIGN
        ):
            _act.logger.warning("Completing activity as failed", exc_info=err)
        failure = await ra.dc.encode_failure(err)
        if failure.WhichOneof("failure_info") != "application_failure_info":
            # The server takes only application failures from an activity.
            failure.application_failure_info.type = type(err).__name__
        return CompletionKind.FAILED, failure.SerializeToString()

    def _plain_failure(self, message: str, err: BaseException) -> bytes:
        from temporalio.api.failure.v1 import Failure

        f = Failure(message=message)
        f.application_failure_info.type = type(err).__name__
        return f.SerializeToString()


# ---- the innermost interceptors ----------------------------------------------------------


class _ActivityInboundImpl(ActivityInboundInterceptor):
    """The end of the inbound chain: runs the activity (``_ActivityWorker._run``)."""

    __slots__ = ("_worker", "_ra", "_defn")

    def __init__(self, worker: _ActivityWorker, ra: _Running, defn: _ActivityDef) -> None:
        # no next: this is the end of the chain
        self._worker = worker
        self._ra = ra
        self._defn = defn

    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        ctx = self._ra.context
        assert ctx is not None
        ctx.heartbeat = outbound.heartbeat
        ctx.info_fn = outbound.info

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        return await self._worker._run(self._ra, self._defn, input)


class _ActivityOutboundImpl(ActivityOutboundInterceptor):
    """The end of the outbound chain: the attempt's info, and the worker's
    heartbeat (throttled and sent by the core)."""

    __slots__ = ("_worker", "_ra")

    def __init__(self, worker: _ActivityWorker, ra: _Running) -> None:
        # no next: this is the end of the chain
        self._worker = worker
        self._ra = ra

    def info(self) -> _act.Info:
        ctx = self._ra.context
        assert ctx is not None
        return ctx.info

    def heartbeat(self, *details: Any) -> None:
        self._worker._heartbeat(self._ra, *details)


def _intercepts_info(info_fn: Optional[Callable[[], Any]]) -> bool:
    """Whether an outbound link before the worker's own has an ``info()`` of
    its own (else asking it is the same as reading the attempt's info)."""
    if info_fn is None:
        return False
    link = getattr(info_fn, "__self__", None)
    while isinstance(link, ActivityOutboundInterceptor):
        if isinstance(link, _ActivityOutboundImpl):
            return False
        if type(link).info is not ActivityOutboundInterceptor.info:
            return True
        link = getattr(link, "next", None)
    return True
