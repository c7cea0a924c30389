"""The Python workflow sub-worker: activations in, completions out.

The core (C) worker polls workflow tasks, runs the state machines and hands
each activation to :meth:`WorkflowWorker.handle_activation` as serialized
``coresdk.workflow_activation.WorkflowActivation`` bytes. This worker keeps
one :class:`~temporalio.worker._workflow_instance._WorkflowInstance` per run
id, applies the payload codec (on the asyncio loop), runs the activation in
a thread (off the loop that polls) under a deadlock timeout, and gives the
serialized ``WorkflowActivationCompletion`` to the ``complete`` callable.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import inspect
import logging
import queue
import sys
import threading
import traceback
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Set, Union

import temporalio.workflow as wf
from temporalio.converter import DataConverter

logger = logging.getLogger(__name__)

__all__: List[str] = []

DEFAULT_DEADLOCK_TIMEOUT = timedelta(seconds=2)


def _workflow_defs(workflows: Sequence[type]) -> Dict[Optional[str], "wf._Definition"]:
    """Checks the ``workflows`` option: ``@workflow.defn`` classes, unique
    names, at most one dynamic. Raises TypeError / ValueError."""
    if isinstance(workflows, (str, bytes)) or not isinstance(workflows, Sequence):
        raise TypeError(
            f"workflows must be a sequence of @workflow.defn classes, got {type(workflows).__name__}"
        )
    out: Dict[Optional[str], wf._Definition] = {}
    for i, w in enumerate(workflows):
        if not isinstance(w, type):
            raise TypeError(
                f"workflows[{i}] must be a @workflow.defn class, got {type(w).__name__} {w!r}"
            )
        d = wf._Definition.must_from_class(w)
        if d.name in out:
            if d.name is None:
                raise ValueError("More than one dynamic workflow")
            raise ValueError(f"More than one workflow named {d.name}")
        out[d.name] = d
    return out


class _DeadlockError(Exception):
    """A workflow activation did not yield within the deadlock timeout."""

    def __init__(self, message: str, stack: str) -> None:
        super().__init__(message)
        self.message = message
        self.stack = stack


class _InterruptDeadlockError(BaseException):
    """Raised asynchronously in a thread stuck past the deadlock timeout,
    so that it stops when its code next runs Python."""


class _ElasticThreads:
    """Threads for activations: a new one starts whenever none is idle, so a
    run stuck in its thread never holds back another run (a stuck thread
    just stays busy). Idle threads end after ``idle_seconds``."""

    def __init__(self, name: str, idle_seconds: float = 60.0) -> None:
        self._name = name
        self._idle_seconds = idle_seconds
        self._q: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._count = 0
        self._closed = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> "concurrent.futures.Future[Any]":
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("workflow worker is shut down")
            self._q.put((fn, args, fut))
            if self._idle == 0:
                self._count += 1
                t = threading.Thread(
                    target=self._loop, name=f"{self._name}_{self._count}", daemon=True
                )
                t.start()
            else:
                self._idle -= 1  # that one takes it
        return fut

    def _loop(self) -> None:
        while True:
            try:
                if not self._one():
                    return
            except _InterruptDeadlockError:
                # A deadlock interrupt that arrived just after the activation
                # ended lands here: harmless, go on serving.
                continue

    def _one(self) -> bool:
        """Run one submitted callable; False when this thread should end."""
        try:
            item = self._q.get(timeout=self._idle_seconds)
        except queue.Empty:
            with self._lock:
                if self._idle > 0 and self._q.empty():
                    self._idle -= 1
                    return False
            return True
        if item is None:
            return False
        fn, args, fut = item
        if fut.set_running_or_notify_cancel():
            try:
                fut.set_result(fn(*args))
            except BaseException as e:  # noqa: B902 - handed to the awaiting side
                fut.set_exception(e)
        with self._lock:
            self._idle += 1
        return True

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            for _ in range(self._idle):
                self._q.put(None)


class _Run:
    __slots__ = ("instance", "stuck", "inflight")

    def __init__(self, instance: Any) -> None:
        self.instance = instance
        self.stuck: Optional["concurrent.futures.Future[Any]"] = None
        # the activation running in a thread now, if any
        self.inflight: Optional["concurrent.futures.Future[Any]"] = None


class WorkflowWorker:
    """Runs the workflows of one task queue, one activation at a time per run.

    Args:
        workflows: ``@workflow.defn`` classes (checked: unique names, at most
            one dynamic).
        namespace: The worker's namespace (for ``workflow.info()``).
        task_queue: The worker's task queue.
        data_converter: Converts payloads (its codec is applied here, on the
            asyncio loop) and failures.
        complete: Called with each serialized
            ``coresdk.workflow_completion.WorkflowActivationCompletion``;
            may return an awaitable, which is awaited.
        deadlock_timeout: How long one activation may run without yielding
            before it is failed as a deadlock (``[TMPRL1101]``, naming the
            workflow and showing its stack); ``None`` disables the check.
        failure_exception_types: Exception types that fail the workflow
            (added to each definition's own).
        on_eviction: Called with the run id and the
            ``coresdk.workflow_activation.RemoveFromCache`` job of each
            eviction, once the run's state is dropped (the replayer reads
            each history's outcome there).

    Raises:
        TypeError, ValueError: bad ``workflows`` or options.
    """

    def __init__(
        self,
        *,
        workflows: Sequence[type],
        namespace: str,
        task_queue: str,
        data_converter: DataConverter,
        complete: Callable[[bytes], Union[None, Awaitable[Any]]],
        deadlock_timeout: Optional[timedelta] = DEFAULT_DEADLOCK_TIMEOUT,
        failure_exception_types: Sequence[type] = (),
        on_eviction: Optional[Callable[[str, Any], None]] = None,
    ) -> None:
        self._defs = _workflow_defs(workflows)
        self._on_eviction = on_eviction
        self._namespace = namespace
        self._task_queue = task_queue
        self._dc = data_converter
        self._complete = complete
        if deadlock_timeout is not None and not isinstance(deadlock_timeout, timedelta):
            raise TypeError("deadlock_timeout must be a timedelta or None")
        if deadlock_timeout is not None and deadlock_timeout <= timedelta(0):
            raise ValueError("deadlock_timeout must be positive")
        self._deadlock_seconds = (
            None if deadlock_timeout is None else deadlock_timeout.total_seconds()
        )
        self._failure_types = tuple(failure_exception_types)
        self._runs: Dict[str, _Run] = {}
        self._threads = _ElasticThreads("temporal_workflow")

    def nondeterminism_as_workflow_fail(self) -> bool:
        """Whether the worker's ``failure_exception_types`` make a
        :class:`temporalio.workflow.NondeterminismError` fail the workflow
        (they hold it or a base class of it), for every workflow type."""
        import temporalio.workflow

        return any(
            issubclass(temporalio.workflow.NondeterminismError, t) for t in self._failure_types
        )

    def nondeterminism_as_workflow_fail_for_types(self) -> Set[str]:
        """The workflow type names whose own ``failure_exception_types``
        (``@workflow.defn``) make a nondeterminism error fail the workflow."""
        import temporalio.workflow

        return {
            name
            for name, d in self._defs.items()
            if name is not None
            and any(
                issubclass(temporalio.workflow.NondeterminismError, t)
                for t in d.failure_exception_types
            )
        }

    @property
    def cached_runs(self) -> int:
        """How many runs this worker holds."""
        return len(self._runs)

    async def handle_activation(self, data: bytes) -> None:
        """Handle one serialized ``WorkflowActivation`` and pass its
        completion to ``complete``. Never raises for a bad activation or
        workflow code: those become a failed completion."""
        from temporalio.bridge.proto import workflow_activation as wa

        act = wa.WorkflowActivation.FromString(data)
        completion = await self.activate(act)
        r = self._complete(completion.SerializeToString())
        if inspect.isawaitable(r):
            await r

    async def activate(self, act: Any) -> Any:
        """The ``WorkflowActivationCompletion`` (message) of ``act``."""
        from temporalio.bridge.proto import workflow_completion as wcomp

        run_id = act.run_id
        evict = next(
            (j.remove_from_cache for j in act.jobs if j.HasField("remove_from_cache")), None
        )
        if evict is not None:
            if len(act.jobs) != 1:
                logger.warning("Unexpected job alongside cache remove job")
            logger.debug("Evicting workflow with run ID %s, message: %s", run_id, evict.message)
            await self._evict(run_id)
            if self._on_eviction is not None:
                self._on_eviction(run_id, evict)
            completion = wcomp.WorkflowActivationCompletion(run_id=run_id)
            completion.successful.SetInParent()
            return completion
        try:
            codec = self._dc.payload_codec
            if codec is not None:
                await _decode_activation(codec, act)
            run = self._runs.get(run_id)
            if run is None:
                run = _Run(self._create_instance(act))
                self._runs[run_id] = run
            elif any(j.HasField("initialize_workflow") for j in act.jobs):
                logger.warning("Cache already exists for activation with initialize job")
            if run.stuck is not None:
                raise RuntimeError(
                    f"Workflow run {run_id} is still stuck in a previous activation "
                    "(deadlock); waiting for its eviction"
                )
            if run.inflight is not None and not run.inflight.done():
                raise RuntimeError(
                    f"Workflow run {run_id} got an activation while its previous one still runs"
                )
            completion = await self._run_activation(run, act)
        except Exception as e:
            # As the official SDK: a failure outside the workflow's code (a
            # deadlock, an unknown workflow type, a codec error) is logged at
            # ERROR; the workflow instance logs its own code's failures.
            logger.exception("Failed handling activation on workflow with run ID %s", run_id)
            completion = wcomp.WorkflowActivationCompletion(run_id=run_id)
            completion.failed.failure.SetInParent()
            try:
                await self._dc.encode_failure(e, completion.failed.failure)
            except Exception as inner:
                logger.exception(
                    "Failed converting activation exception on workflow with run ID %s", run_id
                )
                completion.failed.failure.message = (
                    f"Failed converting activation exception: {inner}"
                )
            if isinstance(e, _DeadlockError):
                completion.failed.failure.stack_trace = e.stack
            return completion
        codec = self._dc.payload_codec
        if codec is not None:
            try:
                await _encode_completion(codec, completion)
            except Exception as e:
                logger.exception("Failed encoding completion on workflow with run ID %s", run_id)
                completion = wcomp.WorkflowActivationCompletion(run_id=run_id)
                completion.failed.failure.message = f"Failed encoding completion: {e}"
        return completion

    def _create_instance(self, act: Any) -> Any:
        from temporalio.worker._workflow_instance import _WorkflowInstance

        init = next(
            (j.initialize_workflow for j in act.jobs if j.HasField("initialize_workflow")), None
        )
        if init is None:
            raise RuntimeError(
                f"Missing initialize workflow for run {act.run_id}: the run is not cached here"
            )
        defn = self._defs.get(init.workflow_type) or self._defs.get(None)
        if defn is None:
            names = ", ".join(sorted(n for n in self._defs if n))
            raise RuntimeError(
                f"Workflow class {init.workflow_type} is not registered on this worker, "
                f"available workflows: {names}"
            )
        return _WorkflowInstance(  # type: ignore[abstract]
            defn,
            init,
            run_id=act.run_id,
            namespace=self._namespace,
            task_queue=self._task_queue,
            data_converter=self._dc,
            failure_exception_types=self._failure_types,
        )

    async def _run_activation(self, run: _Run, act: Any) -> Any:
        inst = run.instance
        fut = self._threads.submit(inst.activate, act)
        run.inflight = fut
        if self._deadlock_seconds is None:
            return await asyncio.wrap_future(fut)
        done, _ = await asyncio.wait([asyncio.wrap_future(fut)], timeout=self._deadlock_seconds)
        if done:
            return fut.result()
        # Deadlock: show where the code is stuck, then try to interrupt it.
        tid = inst._thread_id
        frame = sys._current_frames().get(tid) if tid is not None else None
        stack = (
            "".join(traceback.format_stack(frame)) if frame is not None else "(stack unavailable)"
        )
        run.stuck = fut
        if tid is not None and not fut.done():
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(tid), ctypes.py_object(_InterruptDeadlockError)
            )
        info = inst._info
        raise _DeadlockError(
            f"[TMPRL1101] Potential deadlock detected: workflow {info.workflow_type} "
            f"(ID {info.workflow_id}, run ID {info.run_id}) didn't yield within "
            f"{self._deadlock_seconds:g} second(s). Its code is stuck at:\n{stack}",
            stack,
        )

    async def _evict(self, run_id: str) -> None:
        run = self._runs.pop(run_id, None)
        if run is None:
            return
        if run.stuck is not None and not run.stuck.done():
            # Its thread still runs the workflow's code: leave it behind (it
            # was interrupted; it holds no slot), never wait on it.
            return
        wait = self._deadlock_seconds or 2.0
        if run.inflight is not None and not run.inflight.done():
            # never tear down under a running activation: wait for it (bounded)
            await asyncio.wait([asyncio.wrap_future(run.inflight)], timeout=wait)
            if not run.inflight.done():
                return
        fut = self._threads.submit(run.instance.teardown)
        done, _ = await asyncio.wait([asyncio.wrap_future(fut)], timeout=wait)
        if not done:
            logger.warning(
                "Eviction of workflow run %s did not finish its teardown in %gs", run_id, wait
            )

    def shutdown(self) -> None:
        """Stop the idle activation threads (threads still busy end when
        their activation does)."""
        self._threads.shutdown()


# ---- codec over activations and completions ------------------------------------------------


async def _codec_repeated(fn: Callable[[List[Any]], Awaitable[List[Any]]], field: Any) -> None:
    if len(field) == 0:
        return
    new = await fn(list(field))
    del field[:]
    field.extend(new)


async def _codec_map(fn: Callable[[List[Any]], Awaitable[List[Any]]], field: Any) -> None:
    if len(field) == 0:
        return
    keys = list(field.keys())
    new = await fn([field[k] for k in keys])
    for k, p in zip(keys, new):
        field[k].CopyFrom(p)


async def _decode_activation(codec: Any, act: Any) -> None:
    dec = codec.decode
    for job in act.jobs:
        kind = job.WhichOneof("variant")
        if kind == "initialize_workflow":
            j = job.initialize_workflow
            await _codec_repeated(dec, j.arguments)
            if j.HasField("memo"):
                await _codec_map(dec, j.memo.fields)
            if j.HasField("continued_failure"):
                await codec.decode_failure(j.continued_failure)
            if j.HasField("last_completion_result"):
                await _codec_repeated(dec, j.last_completion_result.payloads)
        elif kind == "signal_workflow":
            await _codec_repeated(dec, job.signal_workflow.input)
        elif kind == "query_workflow":
            await _codec_repeated(dec, job.query_workflow.arguments)
        elif kind == "resolve_activity":
            r = job.resolve_activity.result
            status = r.WhichOneof("status")
            if status == "completed" and r.completed.HasField("result"):
                r.completed.result.CopyFrom((await dec([r.completed.result]))[0])
            elif status == "failed":
                await codec.decode_failure(r.failed.failure)
            elif status == "cancelled":
                await codec.decode_failure(r.cancelled.failure)


async def _encode_completion(codec: Any, completion: Any) -> None:
    enc = codec.encode
    if completion.HasField("failed"):
        await codec.encode_failure(completion.failed.failure)
        return
    for cmd in completion.successful.commands:
        kind = cmd.WhichOneof("variant")
        if kind == "complete_workflow_execution":
            c = cmd.complete_workflow_execution
            if c.HasField("result"):
                c.result.CopyFrom((await enc([c.result]))[0])
        elif kind == "fail_workflow_execution":
            await codec.encode_failure(cmd.fail_workflow_execution.failure)
        elif kind == "schedule_activity":
            await _codec_repeated(enc, cmd.schedule_activity.arguments)
        elif kind == "schedule_local_activity":
            await _codec_repeated(enc, cmd.schedule_local_activity.arguments)
        elif kind == "continue_as_new_workflow_execution":
            c = cmd.continue_as_new_workflow_execution
            await _codec_repeated(enc, c.arguments)
            await _codec_map(enc, c.memo)
        elif kind == "respond_to_query":
            q = cmd.respond_to_query
            if q.HasField("succeeded"):
                q.succeeded.response.CopyFrom((await enc([q.succeeded.response]))[0])
            elif q.HasField("failed"):
                await codec.encode_failure(q.failed)
        elif kind == "modify_workflow_properties":
            await _codec_map(enc, cmd.modify_workflow_properties.upserted_memo.fields)
