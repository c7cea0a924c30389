"""One workflow run: a deterministic asyncio event loop driven by activations.

:class:`_WorkflowInstance` is an :class:`asyncio.AbstractEventLoop` of its
own. ``call_soon`` queues; ``call_later``/``call_at`` become Temporal timers
(``start_timer`` commands, fired by ``fire_timer`` jobs), so
``asyncio.sleep``, ``asyncio.wait_for`` and ``asyncio.timeout`` work inside
workflows; ``time()`` is the activation's timestamp. There is no I/O, no
threads and no executors. :meth:`_WorkflowInstance.activate` applies one
activation's jobs, runs everything runnable, and returns the completion
(the commands, or a failure that fails the workflow task).

The instance is synchronous and payload conversion uses the payload
converter only: codecs are applied by the caller (the workflow worker) on
the activation before and on the completion after.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import inspect
import json
import logging
import threading
import traceback
import warnings
from datetime import datetime, timedelta, timezone
from random import Random
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional, Sequence, Tuple

import temporalio.common
import temporalio.exceptions
import temporalio.workflow as wf
from temporalio.bridge.proto import workflow_completion as wcomp
from temporalio.converter import DataConverter, PayloadConverter

logger = logging.getLogger(__name__)

# The official SDK's message for workflow.sleep / loop.call_later with a negative delay.
_NEGATIVE_DELAY = "Attempting to schedule timer with negative delay"

# Queries every workflow answers (listed with the user's in "known queries").
_BUILTIN_QUERIES = ("__stack_trace", "__temporal_workflow_metadata")

__all__: List[str] = []


class _TimerHandle(asyncio.TimerHandle):
    __slots__ = ("_seq",)

    def __init__(
        self,
        seq: int,
        when: float,
        callback: Callable[..., Any],
        args: Sequence[Any],
        loop: "_WorkflowInstance",
        context: Optional[contextvars.Context],
    ) -> None:
        super().__init__(when, callback, args, loop, context=context)
        self._seq = seq


class _ActivityState:
    __slots__ = ("seq", "name", "result_type", "fut", "cancel_sent", "handle")

    def __init__(
        self, seq: int, name: str, result_type: Optional[type], fut: "asyncio.Future[Any]"
    ) -> None:
        self.seq = seq
        self.name = name
        self.result_type = result_type
        self.fut = fut
        self.cancel_sent = False
        self.handle: Optional[wf.ActivityHandle[Any]] = None


class _LocalBackoff:
    """A local activity's DoBackoff resolution: sleep, then schedule again."""

    __slots__ = ("backoff",)

    def __init__(self, backoff: Any) -> None:
        self.backoff = backoff


class _ChildState:
    """A child workflow of the run: resolved by the start and result jobs."""

    __slots__ = (
        "seq",
        "id",
        "workflow",
        "result_type",
        "start_fut",
        "result_fut",
        "first_execution_run_id",
    )

    def __init__(
        self,
        seq: int,
        id: str,
        workflow: str,
        result_type: Optional[type],
        start_fut: "asyncio.Future[Any]",
        result_fut: "asyncio.Future[Any]",
    ) -> None:
        self.seq = seq
        self.id = id
        self.workflow = workflow
        self.result_type = result_type
        self.start_fut = start_fut
        self.result_fut = result_fut
        self.first_execution_run_id: Optional[str] = None

    def fail(self, err: BaseException) -> None:
        """Before the start resolved, the start fails (and the result is
        None, so no one is warned about an unretrieved exception); after, the
        result does."""
        if self.start_fut.done():
            self.result_fut.set_exception(err)
        else:
            self.start_fut.set_exception(err)
            self.result_fut.set_result(None)


class _ChildWorkflowHandle(wf.ChildWorkflowHandle[Any, Any]):
    def __init__(self, coro: Any, instance: "_WorkflowInstance", st: _ChildState) -> None:
        super().__init__(coro, loop=instance, name=f"child: {st.workflow}")
        self._instance = instance
        self._st = st

    @property
    def id(self) -> str:
        return self._st.id

    @property
    def first_execution_run_id(self) -> Optional[str]:
        return self._st.first_execution_run_id

    async def signal(
        self,
        signal: Any,
        arg: Any = wf._arg_unset,
        *,
        args: Sequence[Any] = [],
        event_groups: Any = None,
    ) -> None:
        await self._instance._signal_external(
            self._st.id, None, signal, wf._args(arg, args), event_groups, child=True
        )


class _ExternalWorkflowHandle(wf.ExternalWorkflowHandle[Any]):
    def __init__(self, instance: "_WorkflowInstance", id: str, run_id: Optional[str]) -> None:
        self._instance = instance
        self._id = id
        self._run_id = run_id

    @property
    def id(self) -> str:
        return self._id

    @property
    def run_id(self) -> Optional[str]:
        return self._run_id

    async def signal(
        self,
        signal: Any,
        arg: Any = wf._arg_unset,
        *,
        args: Sequence[Any] = [],
        event_groups: Any = None,
    ) -> None:
        await self._instance._signal_external(
            self._id, self._run_id, signal, wf._args(arg, args), event_groups, child=False
        )

    async def cancel(self, *, reason: str = "", event_groups: Any = None) -> None:
        wf._no_event_groups(event_groups)
        self._instance._check_not_read_only("cancel external handle")
        await self._instance._cancel_external(self._id, self._run_id, reason)


class _WorkflowInstance(asyncio.AbstractEventLoop, wf._Runtime):
    """One run of one workflow (see the module doc).

    Args:
        defn: The workflow's definition.
        init: The run's ``initialize_workflow`` job.
        run_id: The run's id.
        namespace: The worker's namespace.
        task_queue: The worker's task queue.
        data_converter: Its payload and failure converters are used (no codec).
        failure_exception_types: The worker's exception types that fail the
            workflow (added to the definition's).
    """

    def __init__(
        self,
        defn: "wf._Definition",
        init: Any,
        *,
        run_id: str,
        namespace: str,
        task_queue: str,
        data_converter: DataConverter,
        failure_exception_types: Sequence[type] = (),
    ) -> None:
        self._temporal_runtime = self
        self._defn = defn
        self._pc: PayloadConverter = data_converter.payload_converter
        self._fc = data_converter.failure_converter
        self._failure_types = tuple(defn.failure_exception_types) + tuple(failure_exception_types)
        self._init_job = init
        self._current_details = ""  # workflow.set_current_details
        self._info = self._make_info(init, run_id, namespace, task_queue)
        self._random = Random(init.randomness_seed)
        self._raw_memo: Dict[str, Any] = dict(init.memo.fields) if init.HasField("memo") else {}
        self._time_ns = 0
        self._is_replaying = False
        self._history: Tuple[int, int, bool] = (0, 0, False)
        self._ready: Deque[asyncio.Handle] = collections.deque()
        self._tasks: "set[asyncio.Task[Any]]" = set()
        self._conditions: List[Tuple[Callable[[], bool], "asyncio.Future[Any]"]] = []
        self._timers: Dict[int, _TimerHandle] = {}
        self._activities: Dict[int, _ActivityState] = {}
        self._children: Dict[int, _ChildState] = {}
        self._external_signals: Dict[int, "asyncio.Future[Any]"] = {}
        self._external_cancels: Dict[int, "asyncio.Future[Any]"] = {}
        self._seqs: Dict[str, int] = {}
        self._object: Any = None
        self._primary: Optional["asyncio.Task[Any]"] = None
        self._cancel_requested = False
        self._completed = False
        self._read_only = False
        self._deleting = False
        self._signals: Dict[Optional[str], "wf._SignalDefinition"] = dict(defn.signals)
        self._queries: Dict[Optional[str], "wf._QueryDefinition"] = dict(defn.queries)
        self._buffered_signals: Dict[str, List[Any]] = {}
        self._updates: Dict[Optional[str], "wf._UpdateDefinition"] = dict(defn.updates)
        # Handlers running, for all_handlers_finished() and the unfinished-handler
        # warnings: signals by a counter, updates by id: (name, policy).
        self._in_progress_signals: Dict[int, Tuple[str, "wf.HandlerUnfinishedPolicy"]] = {}
        self._in_progress_updates: Dict[str, Tuple[str, "wf.HandlerUnfinishedPolicy"]] = {}
        self._signal_count = 0
        self._patches_notified: "set[str]" = set()
        self._patches_memo: Dict[str, bool] = {}
        self._completion: Any = None
        self._activation_error: Optional[BaseException] = None
        self._thread_id: Optional[int] = None

    # -- info ---------------------------------------------------------------------------

    @staticmethod
    def _make_info(init: Any, run_id: str, namespace: str, task_queue: str) -> "wf.Info":
        def dur(field: str) -> Optional[timedelta]:
            if not init.HasField(field):
                return None
            d = getattr(init, field).ToTimedelta()
            return d if d > timedelta(0) else None

        parent = None
        if init.HasField("parent_workflow_info"):
            p = init.parent_workflow_info
            parent = wf.ParentInfo(
                namespace=p.namespace, run_id=p.run_id, workflow_id=p.workflow_id
            )
        start = (
            init.start_time.ToDatetime().replace(tzinfo=timezone.utc)
            if init.HasField("start_time")
            else datetime.fromtimestamp(0, timezone.utc)
        )
        sa: Dict[str, Sequence[Any]] = {}
        if init.HasField("search_attributes"):
            sa = _decode_search_attributes(init.search_attributes.indexed_fields)
        return wf.Info(
            attempt=init.attempt or 1,
            continued_run_id=init.continued_from_execution_run_id or None,
            cron_schedule=init.cron_schedule or None,
            execution_timeout=dur("workflow_execution_timeout"),
            first_execution_run_id=init.first_execution_run_id,
            headers=dict(init.headers),
            namespace=namespace,
            parent=parent,
            raw_memo=dict(init.memo.fields) if init.HasField("memo") else {},
            retry_policy=(
                temporalio.common.RetryPolicy.from_proto(init.retry_policy)
                if init.HasField("retry_policy")
                else None
            ),
            run_id=run_id,
            run_timeout=dur("workflow_run_timeout"),
            search_attributes=sa,
            typed_search_attributes=(
                temporalio.common._decode_typed_search_attributes(init.search_attributes)
                if init.HasField("search_attributes")
                else temporalio.common.TypedSearchAttributes.empty
            ),
            start_time=start,
            task_queue=task_queue,
            task_timeout=dur("workflow_task_timeout") or timedelta(seconds=10),
            workflow_id=init.workflow_id,
            workflow_start_time=start,
            workflow_type=init.workflow_type,
            original_execution_run_id=init.original_execution_run_id,
        )

    # -- activation ---------------------------------------------------------------------

    def activate(self, act: Any) -> Any:
        """Apply ``act`` (a ``WorkflowActivation``) and return its
        ``WorkflowActivationCompletion``. Never raises: an error that is not
        a workflow failure becomes the completion's ``failed``."""
        self._completion = wcomp.WorkflowActivationCompletion(run_id=act.run_id)
        self._completion.successful.SetInParent()
        self._activation_error = None
        self._time_ns = act.timestamp.ToNanoseconds()
        if self._object is None and self._primary is None and act.HasField("timestamp"):
            # Info.start_time (as the official SDK): when the run's first
            # workflow task started, i.e. its first activation's time.
            object.__setattr__(
                self._info,
                "start_time",
                act.timestamp.ToDatetime().replace(tzinfo=timezone.utc),
            )
        self._is_replaying = act.is_replaying
        self._history = (act.history_length, act.history_size_bytes, act.continue_as_new_suggested)
        self._thread_id = threading.get_ident()
        err: Optional[BaseException] = None
        try:
            # Patches, then signals, then everything else, then queries (which
            # come alone); the loop runs after each group (as the official SDK
            # without its single-batch flag).
            groups: List[List[Any]] = [[], [], [], []]
            for job in act.jobs:
                kind = job.WhichOneof("variant")
                if kind == "notify_has_patch":
                    groups[0].append(job)
                elif kind in ("signal_workflow", "do_update"):
                    groups[1].append(job)
                elif kind == "query_workflow":
                    groups[3].append(job)
                else:
                    groups[2].append(job)
            for i, group in enumerate(groups):
                if not group:
                    continue
                for job in group:
                    self._apply(job)
                self._run_once(check_conditions=i in (1, 2))
        except BaseException as e:  # noqa: B902 - e.g. a stray asyncio.CancelledError: fail the task
            if self._is_failure_exception(e):
                try:
                    self._fail_workflow(e)
                except Exception as inner:
                    err = inner
            else:
                err = e
            if self._deleting:
                err = None
        finally:
            self._thread_id = None
        from temporalio.worker._workflow import _InterruptDeadlockError

        if err is None and any(
            c.WhichOneof("variant") in _TERMINAL_COMMANDS
            for c in self._completion.successful.commands
        ):
            self._warn_if_unfinished_handlers()
        # An activation interrupted as a deadlock was failed (and logged) by
        # the worker already: nobody reads this completion.
        if err is not None and not isinstance(err, _InterruptDeadlockError):
            logger.warning(
                "Failed activation on workflow %s with ID %s and run ID %s",
                self._info.workflow_type,
                self._info.workflow_id,
                self._info.run_id,
                exc_info=err,
                extra={
                    "temporal_workflow": self._info._logger_details(),
                    "__temporal_error_identifier": "WorkflowTaskFailure",
                },
            )
        if err is not None:
            completion = wcomp.WorkflowActivationCompletion(run_id=act.run_id)
            completion.failed.failure.SetInParent()
            try:
                self._fc.to_failure(err, self._pc, completion.failed.failure)
            except Exception as inner:
                logger.exception(
                    f"Failed converting activation exception on workflow with run ID {act.run_id}"
                )
                completion.failed.failure.message = (
                    f"Failed converting activation exception: {inner}"
                )
                completion.failed.failure.application_failure_info.SetInParent()
            self._completion = completion
        return self._completion

    def _apply(self, job: Any) -> None:
        kind = job.WhichOneof("variant")
        if kind == "initialize_workflow":
            self._apply_initialize()
        elif kind == "fire_timer":
            handle = self._timers.pop(job.fire_timer.seq, None)
            if handle is None:
                raise RuntimeError(f"Failed finding timer handle for sequence {job.fire_timer.seq}")
            if not handle.cancelled():
                self._ready.append(handle)
        elif kind == "update_random_seed":
            self._random.seed(job.update_random_seed.randomness_seed)
        elif kind == "signal_workflow":
            self._apply_signal(job.signal_workflow)
        elif kind == "do_update":
            self._apply_do_update(job.do_update)
        elif kind == "query_workflow":
            self._apply_query(job.query_workflow)
        elif kind == "cancel_workflow":
            self._cancel_requested = True
            if self._primary is not None:
                self.call_soon(self._primary.cancel)
        elif kind == "resolve_activity":
            self._apply_resolve_activity(job.resolve_activity)
        elif kind == "resolve_child_workflow_execution_start":
            self._apply_resolve_child_start(job.resolve_child_workflow_execution_start)
        elif kind == "resolve_child_workflow_execution":
            self._apply_resolve_child(job.resolve_child_workflow_execution)
        elif kind == "resolve_signal_external_workflow":
            self._apply_resolve_signal_external(job.resolve_signal_external_workflow)
        elif kind == "resolve_request_cancel_external_workflow":
            self._apply_resolve_cancel_external(job.resolve_request_cancel_external_workflow)
        elif kind == "remove_from_cache":
            self._deleting = True
        elif kind == "notify_has_patch":
            self._patches_notified.add(job.notify_has_patch.patch_id)
        else:
            raise RuntimeError(f"Unsupported activation job: {kind}")

    def _run_once(self, *, check_conditions: bool) -> None:
        prev = asyncio._get_running_loop()
        asyncio._set_running_loop(self)
        try:
            if self._object is None and not self._deleting:
                self._object = self._instantiate()
            while self._ready:
                while self._ready:
                    handle = self._ready.popleft()
                    if handle.cancelled():
                        continue
                    handle._run()
                    if self._activation_error is not None and not self._deleting:
                        raise self._activation_error
                if check_conditions:
                    still = []
                    for fn, fut in self._conditions:
                        if fut.done():
                            continue
                        if fn():
                            fut.set_result(True)
                        else:
                            still.append((fn, fut))
                    self._conditions[:] = still
        finally:
            asyncio._set_running_loop(prev)

    def _instantiate(self) -> Any:
        cls = self._defn.cls
        if self._defn.init_fn is not None:
            return cls(*self._convert_args(self._init_job.arguments))
        return cls()

    def _convert_args(self, payloads: Sequence[Any]) -> List[Any]:
        if self._defn.name is None:  # dynamic
            return [[temporalio.common.RawValue(p) for p in payloads]]
        types = self._defn.arg_types
        hints = None
        if types is not None:
            hints = list(types[: len(payloads)]) + [None] * max(0, len(payloads) - len(types))
        try:
            return self._pc.from_payloads(list(payloads), hints) if payloads else []
        except temporalio.exceptions.FailureError:
            raise
        except Exception as err:
            if self._is_failure_exception(err):
                raise
            # The official SDK's message; the converter's error is the cause.
            raise RuntimeError("Failed decoding arguments") from err

    # -- the workflow's task -------------------------------------------------------------

    def _apply_initialize(self) -> None:
        args = self._convert_args(self._init_job.arguments)

        async def run_workflow() -> None:
            try:
                fn = self._defn.run_fn.__get__(self._object, type(self._object))
                result = await fn(*args)
                self._complete_workflow(result)
            except wf.ContinueAsNewError as e:
                self._continue_as_new(e)
            except BaseException as e:  # noqa: B902 - everything must be mapped
                if self._cancel_requested and temporalio.exceptions.is_cancelled_exception(e):
                    self._add_command().cancel_workflow_execution.SetInParent()
                    self._completed = True
                elif self._is_failure_exception(e):
                    self._fail_workflow(e)
                else:
                    self._activation_error = e

        self._primary = self.create_task(run_workflow(), name="run")

    def _is_failure_exception(self, e: BaseException) -> bool:
        # As the official SDK: a FailureError, an asyncio.TimeoutError (e.g. a
        # wait_condition or asyncio.wait_for that timed out, not caught) or a
        # declared failure type fails the workflow; anything else the task.
        return isinstance(e, (temporalio.exceptions.FailureError, asyncio.TimeoutError)) or (
            bool(self._failure_types) and isinstance(e, self._failure_types)
        )

    def _complete_workflow(self, result: Any) -> None:
        cmd = self._add_command()
        cmd.complete_workflow_execution.SetInParent()
        cmd.complete_workflow_execution.result.CopyFrom(self._pc.to_payloads([result])[0])
        self._completed = True

    def _fail_workflow(self, e: BaseException) -> None:
        cmd = self._add_command()
        self._fc.to_failure(e, self._pc, cmd.fail_workflow_execution.failure)
        self._completed = True

    def _continue_as_new(self, e: BaseException) -> None:
        kw: Dict[str, Any] = getattr(e, "kwargs", {})
        cmd = self._add_command()
        can = cmd.continue_as_new_workflow_execution
        can.SetInParent()
        can.workflow_type = kw.get("workflow") or self._info.workflow_type
        can.task_queue = kw.get("task_queue") or self._info.task_queue
        args = kw.get("args") or []
        if args:
            can.arguments.extend(self._pc.to_payloads(list(args)))
        if kw.get("run_timeout") is not None:
            can.workflow_run_timeout.FromTimedelta(kw["run_timeout"])
        if kw.get("task_timeout") is not None:
            can.workflow_task_timeout.FromTimedelta(kw["task_timeout"])
        if kw.get("retry_policy") is not None:
            kw["retry_policy"].apply_to_proto(can.retry_policy)
        for k, v in (kw.get("memo") or {}).items():
            can.memo[k].CopyFrom(self._pc.to_payloads([v])[0])
        if kw.get("search_attributes"):
            _encode_search_attributes(kw["search_attributes"], can.search_attributes.indexed_fields)
        self._completed = True

    def _add_command(self, action: str = "add command") -> Any:
        self._check_not_read_only(action)
        return self._completion.successful.commands.add()

    def _next_seq(self, kind: str) -> int:
        seq = self._seqs.get(kind, 0) + 1
        self._seqs[kind] = seq
        return seq

    def _handler_error(self, e: BaseException) -> None:
        """An exception out of a signal handler: a failure exception fails
        the workflow, anything else fails the activation."""
        if isinstance(e, asyncio.CancelledError) and self._deleting:
            return
        if self._is_failure_exception(e):
            if not self._completed:
                self._fail_workflow(e)
        else:
            self._activation_error = e

    # -- signals and queries ----------------------------------------------------------------

    def _apply_signal(self, job: Any) -> None:
        defn = self._signals.get(job.signal_name) or self._signals.get(None)
        if defn is None:
            self._buffered_signals.setdefault(job.signal_name, []).append(job)
            return
        self._start_signal(defn, job)

    def _start_signal(self, defn: "wf._SignalDefinition", job: Any) -> None:
        # A signal whose input does not decode is logged and dropped, as in the
        # official SDK: failing the task instead would fail it again on every
        # retry and replay (the signal stays in history), wedging the run.
        try:
            args = self._handler_args(job.signal_name, list(job.input), defn)
        except Exception:
            logger.exception(
                f"Failed deserializing signal input for {job.signal_name}"
                f" on workflow {self._info.workflow_type} with ID {self._info.workflow_id}"
                f" and run ID {self._info.run_id}, dropping the signal",
                extra={"temporal_workflow": self._info._logger_details()},
            )
            return

        self._signal_count += 1
        key = self._signal_count
        self._in_progress_signals[key] = (job.signal_name, defn.unfinished_policy)

        async def run_signal() -> None:
            try:
                fn = defn.bind_fn(self._object)
                r = fn(*args)
                if inspect.isawaitable(r):
                    await r
            except BaseException as e:  # noqa: B902
                self._handler_error(e)
            finally:
                self._in_progress_signals.pop(key, None)

        self.create_task(run_signal(), name=f"signal: {job.signal_name}")

    # -- updates --------------------------------------------------------------------------

    def _update_response(self, job: Any) -> Any:
        cmd = self._add_command()
        cmd.update_response.protocol_instance_id = job.protocol_instance_id
        return cmd.update_response

    def _apply_do_update(self, job: Any) -> None:
        """Run update ``job`` (a ``DoUpdate``) in a task of its own: the
        handler may be set by the workflow's code after this activation began.
        Before acceptance (a missing handler, arguments that do not decode, the
        validator raising) every error rejects the update; after it, a failure
        exception fails the update and anything else fails the task."""

        async def run_update() -> None:
            wf._current_update_info.set(wf.UpdateInfo(id=job.id, name=job.name))
            response: Any = self._update_response(job)
            accepted = False
            try:
                defn = self._updates.get(job.name) or self._updates.get(None)
                if defn is None:
                    known = sorted(k for k in self._updates if k)
                    raise RuntimeError(
                        f"Update handler for '{job.name}' expected but not found, and there is "
                        f"no dynamic handler. known updates: [{' '.join(known)}]"
                    )
                self._in_progress_updates[job.id] = (job.name, defn.unfinished_policy)
                args = self._handler_args(job.name, list(job.input), defn)
                validator = defn.bind_validator(self._object)
                if job.run_validator and validator is not None:
                    self._read_only = True
                    try:
                        validator(*args)
                    finally:
                        self._read_only = False
                    # the validator may have mutated them
                    args = self._handler_args(job.name, list(job.input), defn)
                accepted = True
                response.accepted.SetInParent()
                result = defn.bind_fn(self._object)(*args)
                if inspect.isawaitable(result):
                    result = await result
                response = self._update_response(job)
                response.completed.CopyFrom(self._pc.to_payloads([result])[0])
            except (Exception, asyncio.CancelledError) as e:
                if self._deleting:
                    return
                err: BaseException = e
                if isinstance(e, asyncio.CancelledError):
                    err = temporalio.exceptions.CancelledError(
                        f"Cancellation raised within update {e}"
                    )
                if isinstance(err, wf.ReadOnlyContextError):
                    self._activation_error = err
                elif not accepted or self._is_failure_exception(err):
                    if accepted:
                        response = self._update_response(job)
                    self._fc.to_failure(err, self._pc, response.rejected)
                else:
                    self._activation_error = err
            except wf.ContinueAsNewError:
                self._activation_error = RuntimeError(
                    "Cannot continue as new from an update handler"
                )
            finally:
                self._in_progress_updates.pop(job.id, None)

        self.create_task(run_update(), name=f"update: {job.name}")

    def _warn_if_unfinished_handlers(self) -> None:
        warn = wf.HandlerUnfinishedPolicy.WARN_AND_ABANDON
        updates = [
            {"name": name, "id": uid}
            for uid, (name, policy) in self._in_progress_updates.items()
            if policy == warn
        ]
        if updates:
            warnings.warn(
                wf.UnfinishedUpdateHandlersWarning(
                    f"{_UNFINISHED_UPDATES} The following updates were unfinished (and "
                    "warnings were not disabled for their handler): " + json.dumps(updates)
                )
            )
        signals = collections.Counter(
            name for name, policy in self._in_progress_signals.values() if policy == warn
        )
        if signals:
            warnings.warn(
                wf.UnfinishedSignalHandlersWarning(
                    f"{_UNFINISHED_SIGNALS} The following signals were unfinished (and "
                    "warnings were not disabled for their handler): "
                    + json.dumps([{"name": n, "count": c} for n, c in signals.most_common()])
                )
            )

    def _handler_args(self, name: str, payloads: List[Any], defn: Any) -> List[Any]:
        """The arguments of a signal or query handler ``defn`` (a dynamic one
        gets ``name`` first). A payload that does not convert raises
        ``RuntimeError("Failed decoding arguments")`` from the converter's
        error, the official SDK's message (a ``FailureError`` passes as is)."""
        try:
            if defn.name is None:
                if defn.dynamic_vararg:
                    return [name, *(self._pc.from_payloads(payloads) if payloads else [])]
                return [name, [temporalio.common.RawValue(p) for p in payloads]]
            return self._decode_handler_args(payloads, defn.arg_types)
        except temporalio.exceptions.FailureError:
            raise
        except Exception as err:
            raise RuntimeError("Failed decoding arguments") from err

    def _decode_handler_args(
        self, payloads: List[Any], types: Optional[List[Optional[type]]]
    ) -> List[Any]:
        if not payloads:
            return []
        if types is not None:
            # Extra arguments beyond the handler's parameters are dropped (as the official SDK).
            payloads = payloads[: len(types)]
            return self._pc.from_payloads(payloads, list(types[: len(payloads)]))
        return self._pc.from_payloads(payloads)

    def _apply_query(self, job: Any) -> None:
        cmd = self._completion.successful.commands.add()
        cmd.respond_to_query.query_id = job.query_id
        self._read_only = True
        try:
            result = self._run_query(job)
            cmd.respond_to_query.succeeded.response.CopyFrom(self._pc.to_payloads([result])[0])
        except Exception as e:
            cmd.respond_to_query.ClearField("succeeded")
            try:
                self._fc.to_failure(e, self._pc, cmd.respond_to_query.failed)
            except Exception as inner:
                cmd.respond_to_query.failed.message = f"Failed converting query exception: {inner}"
        finally:
            self._read_only = False

    def _run_query(self, job: Any) -> Any:
        prev = asyncio._get_running_loop()
        asyncio._set_running_loop(self)
        try:
            if job.query_type == "__stack_trace":
                return self._stack_trace()
            if job.query_type == "__temporal_workflow_metadata":
                return self._workflow_metadata()
            defn = self._queries.get(job.query_type) or self._queries.get(None)
            if defn is None:
                known = sorted([*_BUILTIN_QUERIES, *(k for k in self._queries if k)])
                raise RuntimeError(
                    f"Query handler for '{job.query_type}' expected but not found, "
                    f"known queries: [{' '.join(known)}]"
                )
            args = self._handler_args(job.query_type, list(job.arguments), defn)
            fn = defn.bind_fn(self._object)
            result = fn(*args)
            if inspect.isawaitable(result):
                if hasattr(result, "close"):
                    result.close()
                raise RuntimeError("Query handlers must not be async")
            return result
        finally:
            asyncio._set_running_loop(prev)

    def _workflow_metadata(self) -> Any:
        """The ``__temporal_workflow_metadata`` query (what the web UI and
        ``temporal workflow metadata`` show): the workflow type and the names
        of its query and signal handlers, built-in queries included, sorted."""
        from temporalio.api.sdk.v1 import WorkflowMetadata

        md = WorkflowMetadata()
        md.definition.type = self._info.workflow_type
        for name in sorted([*_BUILTIN_QUERIES, *(k for k in self._queries if k)]):
            md.definition.query_definitions.add().name = name
        for name in sorted(k for k in self._signals if k):
            md.definition.signal_definitions.add().name = name
        for name in sorted(k for k in self._updates if k):
            md.definition.update_definitions.add().name = name
        md.current_details = self._current_details
        return md

    def _stack_trace(self) -> str:
        """Where each task of the workflow waits (the ``__stack_trace`` query)."""
        out = []
        for t in list(self._tasks):
            frames = []
            coro: Any = t.get_coro()
            while coro is not None:
                f = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
                if f is None:
                    break
                frames.append((f, f.f_lineno))
                coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
            out.append("".join(traceback.StackSummary.extract(iter(frames)).format()))
        return "\n\n".join(out)

    # -- activities ---------------------------------------------------------------------------

    def _apply_resolve_activity(self, job: Any) -> None:
        st = self._activities.pop(job.seq, None)
        if st is None:
            raise RuntimeError(f"Failed finding activity handle for sequence {job.seq}")
        res = job.result
        kind = res.WhichOneof("status")
        if st.fut.done():
            return
        if kind == "completed":
            if res.completed.HasField("result"):
                hints = [st.result_type] if st.result_type is not None else None
                value = self._pc.from_payloads([res.completed.result], hints)[0]
            else:
                value = None
            st.fut.set_result(value)
        elif kind == "failed":
            st.fut.set_exception(self._fc.from_failure(res.failed.failure, self._pc))
        elif kind == "cancelled":
            st.fut.set_exception(self._fc.from_failure(res.cancelled.failure, self._pc))
        elif kind == "backoff" and job.is_local:
            st.fut.set_result(_LocalBackoff(res.backoff))
        else:
            raise RuntimeError(f"Unsupported activity resolution: {kind}")

    def workflow_start_activity(
        self,
        activity: str,
        args: Sequence[Any],
        *,
        task_queue: Optional[str],
        result_type: Optional[type],
        schedule_to_close_timeout: Optional[timedelta],
        schedule_to_start_timeout: Optional[timedelta],
        start_to_close_timeout: Optional[timedelta],
        heartbeat_timeout: Optional[timedelta],
        retry_policy: Optional[temporalio.common.RetryPolicy],
        cancellation_type: "wf.ActivityCancellationType",
        activity_id: Optional[str],
    ) -> "wf.ActivityHandle[Any]":
        cmd = self._add_command("start activity")
        seq = self._next_seq("activity")
        sa = cmd.schedule_activity
        sa.seq = seq
        sa.activity_id = activity_id or str(seq)
        sa.activity_type = activity
        sa.task_queue = task_queue or self._info.task_queue
        if args:
            sa.arguments.extend(self._pc.to_payloads(list(args)))
        for field, value in (
            ("schedule_to_close_timeout", schedule_to_close_timeout),
            ("schedule_to_start_timeout", schedule_to_start_timeout),
            ("start_to_close_timeout", start_to_close_timeout),
            ("heartbeat_timeout", heartbeat_timeout),
        ):
            if value is not None:
                getattr(sa, field).FromTimedelta(value)
        if retry_policy is not None:
            retry_policy.apply_to_proto(sa.retry_policy)
        sa.cancellation_type = int(cancellation_type)
        st = _ActivityState(seq, activity, result_type, self.create_future())
        self._activities[seq] = st

        async def run_activity() -> Any:
            while True:
                try:
                    return await asyncio.shield(st.fut)
                except asyncio.CancelledError:
                    if st.fut.done():
                        raise
                    if not st.cancel_sent:
                        st.cancel_sent = True
                        self._add_command().request_cancel_activity.seq = seq
                    # keep waiting: the core resolves it (at once for TRY_CANCEL/ABANDON)

        handle: wf.ActivityHandle[Any] = wf.ActivityHandle(run_activity(), loop=self)
        st.handle = handle
        self._tasks.add(handle)
        handle.add_done_callback(self._tasks.discard)
        return handle

    def workflow_start_local_activity(
        self,
        activity: str,
        args: Sequence[Any],
        *,
        result_type: Optional[type],
        schedule_to_close_timeout: Optional[timedelta],
        schedule_to_start_timeout: Optional[timedelta],
        start_to_close_timeout: Optional[timedelta],
        retry_policy: Optional[temporalio.common.RetryPolicy],
        local_retry_threshold: Optional[timedelta],
        cancellation_type: "wf.ActivityCancellationType",
        activity_id: Optional[str],
        summary: Optional[str],
    ) -> "wf.ActivityHandle[Any]":
        self._check_not_read_only("start local activity")
        payloads = self._pc.to_payloads(list(args)) if args else []

        def schedule(attempt: int, original_schedule_time: Any, seq: int) -> _ActivityState:
            cmd = self._add_command("start local activity")
            la = cmd.schedule_local_activity
            la.seq = seq
            la.activity_id = activity_id or str(seq)
            la.activity_type = activity
            la.attempt = attempt
            if original_schedule_time is not None:
                la.original_schedule_time.CopyFrom(original_schedule_time)
            la.arguments.extend(payloads)
            for field, value in (
                ("schedule_to_close_timeout", schedule_to_close_timeout),
                ("schedule_to_start_timeout", schedule_to_start_timeout),
                ("start_to_close_timeout", start_to_close_timeout),
                ("local_retry_threshold", local_retry_threshold),
            ):
                if value is not None:
                    getattr(la, field).FromTimedelta(value)
            if retry_policy is not None:
                retry_policy.apply_to_proto(la.retry_policy)
            la.cancellation_type = int(cancellation_type)
            if summary:
                cmd.user_metadata.summary.CopyFrom(self._pc.to_payloads([summary])[0])
            st = _ActivityState(seq, activity, result_type, self.create_future())
            self._activities[seq] = st
            return st

        first = schedule(1, None, self._next_seq("activity"))

        async def run_local_activity() -> Any:
            st = first
            while True:
                try:
                    value = await asyncio.shield(st.fut)
                except asyncio.CancelledError:
                    if st.fut.done():
                        raise
                    if not st.cancel_sent:
                        st.cancel_sent = True
                        self._add_command().request_cancel_local_activity.seq = st.seq
                    continue  # the core resolves it (at once for TRY_CANCEL/ABANDON)
                if not isinstance(value, _LocalBackoff):
                    return value
                # a backoff longer than local_retry_threshold: a durable timer, then
                # the next attempt under a new seq taken now (as the official SDK does)
                bo = value.backoff
                seq = self._next_seq("activity")
                await asyncio.sleep(bo.backoff_duration.ToTimedelta().total_seconds())
                st = schedule(bo.attempt, bo.original_schedule_time, seq)

        handle: wf.ActivityHandle[Any] = wf.ActivityHandle(run_local_activity(), loop=self)
        first.handle = handle
        self._tasks.add(handle)
        handle.add_done_callback(self._tasks.discard)
        return handle

    # -- child workflows, signals to them ---------------------------------------------------

    def _apply_resolve_child_start(self, job: Any) -> None:
        st = self._children.get(job.seq)
        if st is None:
            raise RuntimeError(f"Failed finding child workflow handle for sequence {job.seq}")
        kind = job.WhichOneof("status")
        if kind == "succeeded":
            # the state stays: the same handle waits for the child's result
            st.first_execution_run_id = job.succeeded.run_id
            st.start_fut.set_result(None)
            return
        self._children.pop(job.seq)
        err: BaseException
        if kind == "failed":
            from temporalio.bridge.proto.child_workflow import (
                StartChildWorkflowExecutionFailedCause as Cause,
            )

            if (
                job.failed.cause
                == Cause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS
            ):
                err = temporalio.exceptions.WorkflowAlreadyStartedError(
                    job.failed.workflow_id, job.failed.workflow_type
                )
            elif (
                job.failed.cause
                == Cause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_INVALID_VERSIONING_OVERRIDE
            ):
                err = temporalio.exceptions.InvalidVersioningOverrideError()
            else:
                err = RuntimeError(f"Unknown child start fail cause: {job.failed.cause}")
        elif kind == "cancelled":
            err = self._fc.from_failure(job.cancelled.failure, self._pc)
        else:
            raise RuntimeError("Child workflow start did not have a known status")
        st.fail(err)

    def _apply_resolve_child(self, job: Any) -> None:
        st = self._children.pop(job.seq, None)
        if st is None:
            raise RuntimeError(f"Failed finding child workflow handle for sequence {job.seq}")
        kind = job.result.WhichOneof("status")
        if kind == "completed":
            value = None
            if job.result.completed.HasField("result"):
                hints = [st.result_type] if st.result_type is not None else None
                value = self._pc.from_payloads([job.result.completed.result], hints)[0]
            st.result_fut.set_result(value)
        elif kind in ("failed", "cancelled"):
            st.fail(self._fc.from_failure(getattr(job.result, kind).failure, self._pc))
        else:
            raise RuntimeError("Child workflow did not have result")

    def _apply_resolve_signal_external(self, job: Any) -> None:
        fut = self._external_signals.pop(job.seq, None)
        if fut is None:
            raise RuntimeError(f"Failed finding pending external signal for sequence {job.seq}")
        if fut.done():
            return
        if job.HasField("failure"):
            fut.set_exception(self._fc.from_failure(job.failure, self._pc))
        else:
            fut.set_result(None)

    async def _await_cancellable(
        self, fut: "asyncio.Future[Any]", on_cancel: Callable[[str], None], *, give_up: bool
    ) -> Any:
        """Waits for ``fut`` (resolved by a job); a cancellation of the
        waiting task calls ``on_cancel`` with its message (once) and keeps
        waiting for the core's answer, unless ``give_up`` and the workflow
        itself is being cancelled or evicted."""
        sent = False
        while True:
            try:
                return await asyncio.shield(fut)
            except asyncio.CancelledError as err:
                if fut.done():
                    raise
                if not sent:
                    sent = True
                    on_cancel(err.args[0] if err.args and isinstance(err.args[0], str) else "")
                if give_up and (self._cancel_requested or self._deleting):
                    raise

    async def workflow_start_child_workflow(
        self,
        workflow: str,
        args: Sequence[Any],
        *,
        id: str,
        task_queue: Optional[str],
        result_type: Optional[type],
        cancellation_type: "wf.ChildWorkflowCancellationType",
        parent_close_policy: "wf.ParentClosePolicy",
        execution_timeout: Optional[timedelta],
        run_timeout: Optional[timedelta],
        task_timeout: Optional[timedelta],
        id_reuse_policy: temporalio.common.WorkflowIDReusePolicy,
        retry_policy: Optional[temporalio.common.RetryPolicy],
        cron_schedule: str,
        memo: Optional[Mapping[str, Any]],
        search_attributes: Any,
        versioning_intent: Any,
        static_summary: Optional[str],
        static_details: Optional[str],
        priority: temporalio.common.Priority,
        versioning_override: Any,
    ) -> "wf.ChildWorkflowHandle[Any, Any]":
        # Arguments are converted before the command exists (a conversion
        # error leaves no half-made command).
        payloads = self._pc.to_payloads(list(args)) if args else []
        cmd = self._add_command()
        seq = self._next_seq("child_workflow")
        sc = cmd.start_child_workflow_execution
        sc.seq = seq
        sc.namespace = self._info.namespace
        sc.workflow_id = id
        sc.workflow_type = workflow
        sc.task_queue = task_queue or self._info.task_queue
        sc.input.extend(payloads)
        for field, value in (
            ("workflow_execution_timeout", execution_timeout),
            ("workflow_run_timeout", run_timeout),
            ("workflow_task_timeout", task_timeout),
        ):
            if value is not None:
                getattr(sc, field).FromTimedelta(value)
        sc.parent_close_policy = int(parent_close_policy)  # type: ignore[assignment]
        sc.workflow_id_reuse_policy = int(id_reuse_policy)  # type: ignore[assignment]
        if retry_policy is not None:
            retry_policy.apply_to_proto(sc.retry_policy)
        sc.cron_schedule = cron_schedule
        for k, v in (memo or {}).items():
            sc.memo[k].CopyFrom(self._pc.to_payloads([v])[0])
        if search_attributes:
            fields = sc.search_attributes.indexed_fields
            if isinstance(search_attributes, Mapping):
                _encode_search_attributes(search_attributes, fields)
            else:
                for pair in search_attributes:
                    _encode_typed_search_attribute(pair.key, pair.value, fields[pair.key.name])
        sc.cancellation_type = int(cancellation_type)  # type: ignore[assignment]
        if versioning_intent is not None and hasattr(versioning_intent, "_to_proto"):
            sc.versioning_intent = versioning_intent._to_proto()
        if versioning_override is not None:
            sc.versioning_override.CopyFrom(versioning_override._to_proto())
        if static_summary:
            cmd.user_metadata.summary.CopyFrom(self._pc.to_payloads([static_summary])[0])
        if static_details:
            cmd.user_metadata.details.CopyFrom(self._pc.to_payloads([static_details])[0])
        sc.priority.CopyFrom(priority._to_proto())
        st = _ChildState(seq, id, workflow, result_type, self.create_future(), self.create_future())
        self._children[seq] = st

        def cancel_child(reason: str) -> None:
            c = self._add_command().cancel_child_workflow_execution
            c.child_workflow_seq = seq
            c.reason = reason

        async def run_child() -> Any:
            return await self._await_cancellable(st.result_fut, cancel_child, give_up=False)

        handle = _ChildWorkflowHandle(run_child(), self, st)
        self._tasks.add(handle)
        handle.add_done_callback(self._tasks.discard)
        # The start's cancellation is the child's: the same command; the
        # workflow's own cancellation does not wait for the answer.
        await self._await_cancellable(st.start_fut, cancel_child, give_up=True)
        return handle

    async def _signal_external(
        self,
        workflow_id: str,
        run_id: Optional[str],
        signal: Any,
        args: Sequence[Any],
        event_groups: Any,
        *,
        child: bool,
    ) -> None:
        """Signal a child (``child``: the command names it by id only) or
        another workflow; returns when the core resolves the signal.
        ``signal``: its name or ``@workflow.signal`` method."""
        from temporalio._checks import _handler_name

        wf._no_event_groups(event_groups)
        self._check_not_read_only("signal child handle" if child else "signal external handle")
        name, _ = _handler_name(signal, "signal")
        payloads = self._pc.to_payloads(list(args)) if args else []
        cmd = self._add_command()
        seq = self._next_seq("external_signal")
        se = cmd.signal_external_workflow_execution
        se.seq = seq
        if child:
            se.child_workflow_id = workflow_id
        else:
            se.workflow_execution.namespace = self._info.namespace
            se.workflow_execution.workflow_id = workflow_id
            se.workflow_execution.run_id = run_id or ""
        se.signal_name = name
        se.args.extend(payloads)
        fut: "asyncio.Future[Any]" = self.create_future()
        self._external_signals[seq] = fut

        def cancel_signal(_: str) -> None:
            self._add_command().cancel_signal_workflow.seq = seq

        await self._await_cancellable(fut, cancel_signal, give_up=False)

    async def _cancel_external(self, workflow_id: str, run_id: Optional[str], reason: str) -> None:
        cmd = self._add_command()
        seq = self._next_seq("external_cancel")
        rc = cmd.request_cancel_external_workflow_execution
        rc.seq = seq
        rc.workflow_execution.namespace = self._info.namespace
        rc.workflow_execution.workflow_id = workflow_id
        rc.workflow_execution.run_id = run_id or ""
        rc.reason = reason
        fut: "asyncio.Future[Any]" = self.create_future()
        self._external_cancels[seq] = fut
        await fut  # there is no cancelling a cancel request

    def _apply_resolve_cancel_external(self, job: Any) -> None:
        fut = self._external_cancels.pop(job.seq, None)
        if fut is None:
            raise RuntimeError(f"Failed finding pending external cancel for sequence {job.seq}")
        if fut.done():  # the waiting task was cancelled: the request went out anyway
            return
        if job.HasField("failure"):
            fut.set_exception(self._fc.from_failure(job.failure, self._pc))
        else:
            fut.set_result(None)

    def workflow_get_external_workflow_handle(
        self, id: str, *, run_id: Optional[str]
    ) -> "wf.ExternalWorkflowHandle[Any]":
        return _ExternalWorkflowHandle(self, id, run_id)

    # -- timers, conditions -------------------------------------------------------------------

    async def workflow_sleep(self, duration: float) -> None:
        if duration < 0:  # asyncio.sleep would return at once; the official SDK refuses
            raise RuntimeError(_NEGATIVE_DELAY)
        await asyncio.sleep(duration)

    async def workflow_wait_condition(
        self, fn: Callable[[], bool], timeout: Optional[float]
    ) -> None:
        self._check_not_read_only("wait condition")
        fut: asyncio.Future[Any] = self.create_future()
        self._conditions.append((fn, fut))
        if timeout is None:
            await fut
        else:
            await asyncio.wait_for(fut, timeout)

    def _check_not_read_only(self, action: str) -> None:
        """Raise ReadOnlyContextError in a query handler; ``action`` is the
        official SDK's name of what was attempted, ending its message."""
        if self._read_only:
            raise wf.ReadOnlyContextError(
                f"While in read-only function, action attempted: {action}"
            )

    # -- _Runtime: the rest -----------------------------------------------------------------

    def workflow_info(self) -> "wf.Info":
        return self._info

    def workflow_instance(self) -> Any:
        return self._object

    def workflow_is_replaying(self) -> bool:
        return self._is_replaying

    def workflow_history_info(self) -> Tuple[int, int, bool]:
        return self._history

    def workflow_time_ns(self) -> int:
        return self._time_ns

    def workflow_random(self) -> Random:
        self._check_not_read_only("random")
        return self._random

    def workflow_payload_converter(self) -> PayloadConverter:
        return self._pc

    def workflow_memo(self) -> Mapping[str, Any]:
        return {k: self._pc.from_payloads([p])[0] for k, p in self._raw_memo.items()}

    def workflow_memo_value(self, key: str, default: Any, type_hint: Optional[type]) -> Any:
        p = self._raw_memo.get(key)
        if p is None:
            if default is wf._memo_unset:
                raise KeyError(f"Memo does not have a value for key {key}")
            return default
        return self._pc.from_payloads([p], [type_hint] if type_hint is not None else None)[0]

    def workflow_upsert_memo(self, updates: Mapping[str, Any]) -> None:
        cmd = self._add_command()
        fields = cmd.modify_workflow_properties.upserted_memo.fields
        for k, v in updates.items():
            p = self._pc.to_payloads([v])[0]
            fields[k].CopyFrom(p)
            if v is None:
                self._raw_memo.pop(k, None)
            else:
                self._raw_memo[k] = p
        object.__setattr__(self._info, "raw_memo", dict(self._raw_memo))

    def workflow_get_current_details(self) -> str:
        return self._current_details

    def workflow_set_current_details(self, details: str) -> None:
        self._check_not_read_only("set current details")
        self._current_details = details

    def workflow_has_last_completion_result(self) -> bool:
        return len(self._init_job.last_completion_result.payloads) > 0

    def workflow_last_completion_result(self, type_hint: Optional[type]) -> Any:
        payloads = self._init_job.last_completion_result.payloads
        if len(payloads) != 1:  # none, or (never from this SDK) several: None as officially
            return None
        return self._pc.from_payloads([payloads[0]], [type_hint] if type_hint else None)[0]

    def workflow_last_failure(self) -> Optional[BaseException]:
        if not self._init_job.HasField("continued_failure"):
            return None
        return self._fc.from_failure(self._init_job.continued_failure, self._pc)

    def workflow_upsert_search_attributes(self, attributes: Any) -> None:
        from temporalio.common import (
            SearchAttributeIndexedValueType,
            SearchAttributePair,
            SearchAttributeUpdate,
            TypedSearchAttributes,
        )

        cmd = self._add_command()
        fields = cmd.upsert_workflow_search_attributes.search_attributes.indexed_fields
        sa = dict(self._info.search_attributes)
        typed = list(self._info.typed_search_attributes)
        if isinstance(attributes, Mapping):
            _encode_search_attributes(attributes, fields)
            for k, v in attributes.items():
                ix = next((i for i, p in enumerate(typed) if p.key.name == k), None)
                if v:
                    sa[k] = list(v)
                    if ix is not None:  # same name, its known type
                        key = typed[ix].key
                        kl = key.indexed_value_type == SearchAttributeIndexedValueType.KEYWORD_LIST
                        typed[ix] = SearchAttributePair(key, list(v) if kl else v[0])
                else:
                    sa.pop(k, None)
                    if ix is not None:
                        del typed[ix]
        else:
            updates = list(attributes)
            for u in updates:
                if not isinstance(u, SearchAttributeUpdate):
                    raise TypeError(
                        "search attributes must be a mapping (name -> values) or a sequence "
                        f"of SearchAttributeUpdate (key.value_set(...)), got {type(u).__name__}"
                    )
                _encode_typed_search_attribute(u.key, u.value, fields[u.key.name])
                typed = [p for p in typed if p.key.name != u.key.name]
                if u.value is None:
                    sa.pop(u.key.name, None)
                else:
                    typed.append(SearchAttributePair(u.key, u.value))
                    sa[u.key.name] = (
                        list(u.value)
                        if u.key.indexed_value_type == SearchAttributeIndexedValueType.KEYWORD_LIST
                        else [u.value]
                    )
        object.__setattr__(self._info, "search_attributes", sa)
        object.__setattr__(self._info, "typed_search_attributes", TypedSearchAttributes(typed))

    def workflow_patch(self, id: str, *, deprecated: bool) -> bool:
        self._check_not_read_only("patch")
        use = self._patches_memo.get(id)
        if use is not None:
            return use
        use = not self._is_replaying or id in self._patches_notified
        self._patches_memo[id] = use
        if use:
            cmd = self._add_command()
            cmd.set_patch_marker.patch_id = id
            cmd.set_patch_marker.deprecated = deprecated
        return use

    def workflow_continue_as_new(self, err: Any) -> None:
        self._check_not_read_only("continue as new")

    def workflow_get_signal_handler(self, name: Optional[str]) -> Optional[Callable[..., Any]]:
        d = self._signals.get(name)
        return d.bind_fn(self._object) if d is not None else None

    def workflow_set_signal_handler(
        self, name: Optional[str], handler: Optional[Callable[..., Any]]
    ) -> None:
        self._check_not_read_only("set signal handler")
        if handler is None:
            self._signals.pop(name, None)
            return
        defn = wf._SignalDefinition._make(name, handler, False)
        self._signals[name] = defn
        if name is not None:
            jobs = self._buffered_signals.pop(name, [])
        else:
            jobs = [j for js in self._buffered_signals.values() for j in js]
            self._buffered_signals.clear()
        for job in jobs:
            self._start_signal(defn, job)

    def workflow_get_update_handler(self, name: Optional[str]) -> Optional[Callable[..., Any]]:
        d = self._updates.get(name)
        return d.bind_fn(self._object) if d is not None else None

    def workflow_set_update_handler(
        self,
        name: Optional[str],
        handler: Optional[Callable[..., Any]],
        validator: Optional[Callable[..., Any]],
        unfinished_policy: "wf.HandlerUnfinishedPolicy",
    ) -> None:
        self._check_not_read_only("set update handler")
        if handler is None:
            self._updates.pop(name, None)
            return
        defn = wf._UpdateDefinition._make(name, handler, False, unfinished_policy)
        if validator is not None:
            defn.set_validator(validator)
        self._updates[name] = defn

    def workflow_all_handlers_finished(self) -> bool:
        return not self._in_progress_updates and not self._in_progress_signals

    def workflow_get_query_handler(self, name: Optional[str]) -> Optional[Callable[..., Any]]:
        d = self._queries.get(name)
        return d.bind_fn(self._object) if d is not None else None

    def workflow_set_query_handler(
        self, name: Optional[str], handler: Optional[Callable[..., Any]]
    ) -> None:
        self._check_not_read_only("set query handler")
        if handler is None:
            self._queries.pop(name, None)
            return
        if inspect.iscoroutinefunction(handler):
            raise ValueError("Query handlers must not be async functions")
        self._queries[name] = wf._QueryDefinition._make(name, handler, False)

    # -- eviction -------------------------------------------------------------------------------

    def teardown(self) -> None:
        """Cancel every task and let them unwind (a bounded number of loop
        iterations); commands made meanwhile are dropped."""
        self._deleting = True
        self._completion = wcomp.WorkflowActivationCompletion()
        self._completion.successful.SetInParent()
        for t in list(self._tasks):
            t.cancel()
        for _ in range(3):
            if not self._ready:
                break
            try:
                self._run_once(check_conditions=False)
            except BaseException:  # noqa: B902 - nothing may escape an eviction
                pass
        self._tasks.clear()
        self._ready.clear()
        self._timers.clear()

    # -- asyncio.AbstractEventLoop --------------------------------------------------------------

    def call_soon(  # type: ignore[override]
        self,
        callback: Callable[..., Any],
        *args: Any,
        context: Optional[contextvars.Context] = None,
    ) -> asyncio.Handle:
        handle = asyncio.Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def call_soon_threadsafe(  # type: ignore[override]
        self,
        callback: Callable[..., Any],
        *args: Any,
        context: Optional[contextvars.Context] = None,
    ) -> asyncio.Handle:
        raise RuntimeError("call_soon_threadsafe is not allowed in a workflow (no threads)")

    def call_later(  # type: ignore[override]
        self,
        delay: float,
        callback: Callable[..., Any],
        *args: Any,
        context: Optional[contextvars.Context] = None,
    ) -> asyncio.TimerHandle:
        if delay < 0:
            raise RuntimeError(_NEGATIVE_DELAY)
        self._check_not_read_only("schedule timer")
        if delay == 0:
            h = _TimerHandle(0, self.time(), callback, args, self, context)
            self._ready.append(h)
            return h
        seq = self._next_seq("timer")
        cmd = self._add_command()
        cmd.start_timer.seq = seq
        cmd.start_timer.start_to_fire_timeout.FromNanoseconds(max(1_000_000, int(delay * 1e9)))
        handle = _TimerHandle(seq, self.time() + delay, callback, args, self, context)
        handle._scheduled = True  # type: ignore[attr-defined] # so that cancel() tells us (_timer_handle_cancelled)
        self._timers[seq] = handle
        return handle

    def call_at(  # type: ignore[override]
        self,
        when: float,
        callback: Callable[..., Any],
        *args: Any,
        context: Optional[contextvars.Context] = None,
    ) -> asyncio.TimerHandle:
        return self.call_later(max(0.0, when - self.time()), callback, *args, context=context)

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        seq = getattr(handle, "_seq", 0)
        if seq and self._timers.pop(seq, None) is not None and not self._deleting:
            self._add_command().cancel_timer.seq = seq

    def time(self) -> float:
        return self._time_ns / 1e9

    def create_future(self) -> "asyncio.Future[Any]":
        return asyncio.Future(loop=self)

    def create_task(
        self,
        coro: Any,
        *,
        name: Optional[str] = None,
        context: Optional[contextvars.Context] = None,
    ) -> "asyncio.Task[Any]":
        if context is not None:
            task: asyncio.Task[Any] = asyncio.Task(coro, loop=self, name=name, context=context)
        else:
            task = asyncio.Task(coro, loop=self, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def get_debug(self) -> bool:
        return False

    def is_running(self) -> bool:
        return True

    def is_closed(self) -> bool:
        return False

    def call_exception_handler(self, context: Dict[str, Any]) -> None:
        # An un-retrieved task exception (e.g. a task the workflow never
        # awaited) is logged at ERROR, as asyncio and the official SDK do;
        # nothing while the run is torn down.
        if self._deleting:
            return
        self.default_exception_handler(context)

    def default_exception_handler(self, context: Dict[str, Any]) -> None:
        lines = [context.get("message") or "Unhandled exception in event loop"]
        for key in sorted(context):
            if key not in ("message", "exception"):
                lines.append(f"{key}: {context[key]!r}")
        exc = context.get("exception")
        logger.error("\n".join(lines), exc_info=exc if exc is not None else False)

    def get_exception_handler(self) -> None:
        return None

    def set_exception_handler(self, handler: Any) -> None:
        raise NotImplementedError("not supported in a workflow")

    def get_task_factory(self) -> None:
        return None

    def run_in_executor(self, executor: Any, func: Any, *args: Any) -> Any:  # type: ignore[override]
        raise RuntimeError("run_in_executor is not allowed in a workflow (no threads)")


# ---- search attributes (untyped form) ---------------------------------------------------------


def _encode_search_attributes(attributes: Mapping[str, Sequence[Any]], fields: Any) -> None:
    pc = DataConverter.default.payload_converter
    for k, vals in attributes.items():
        values = [v.isoformat() if isinstance(v, datetime) else v for v in vals]
        fields[k].CopyFrom(pc.to_payloads([values])[0])


def _encode_typed_search_attribute(key: Any, value: Any, payload: Any) -> None:
    """One typed value as the server indexes it: JSON with its type in the
    metadata; None (unset) is a plain JSON null (no type), as the official SDK."""
    import json

    from temporalio.common import SearchAttributeIndexedValueType

    if value is None:
        payload.CopyFrom(DataConverter.default.payload_converter.to_payloads([None])[0])
        return
    if not isinstance(value, key.origin_value_type):
        raise TypeError(
            f"Value of type {value} not suitable for indexed value type {key.indexed_value_type}"
        )
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("Timezone must be present on all search attribute dates")
        value = value.isoformat()
    elif key.indexed_value_type == SearchAttributeIndexedValueType.KEYWORD_LIST:
        value = list(value)
    payload.metadata["encoding"] = b"json/plain"
    payload.metadata["type"] = key._metadata_type.encode()
    payload.data = json.dumps(value, separators=(",", ":")).encode()


def _decode_search_attributes(fields: Mapping[str, Any]) -> Dict[str, Sequence[Any]]:
    pc = DataConverter.default.payload_converter
    out: Dict[str, Sequence[Any]] = {}
    for k, p in fields.items():
        try:
            v = pc.from_payloads([p])[0]
        except Exception:
            continue
        out[k] = v if isinstance(v, list) else [v]
    return out


_TERMINAL_COMMANDS = (
    "complete_workflow_execution",
    "fail_workflow_execution",
    "cancel_workflow_execution",
    "continue_as_new_workflow_execution",
)

# The official SDK's warnings (TMPRL1102), word for word.
_UNFINISHED_UPDATES = (
    "[TMPRL1102] Workflow finished while update handlers are still running. This may have "
    "interrupted work that the update handler was doing, and the client that sent the update "
    "will receive a 'workflow execution already completed' RPCError instead of the update "
    "result. You can wait for all update and signal handlers to complete by using `await "
    "workflow.wait_condition(lambda: workflow.all_handlers_finished())`. Alternatively, if both "
    "you and the clients sending the update are okay with interrupting running handlers when the "
    "workflow finishes, and causing clients to receive errors, then you can disable this warning "
    "via the update handler decorator: "
    "`@workflow.update(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)`."
)
_UNFINISHED_SIGNALS = (
    "[TMPRL1102] Workflow finished while signal handlers are still running. This may have "
    "interrupted work that the signal handler was doing. You can wait for all update and signal "
    "handlers to complete by using `await workflow.wait_condition(lambda: "
    "workflow.all_handlers_finished())`. Alternatively, if both you and the clients sending the "
    "signal are okay with interrupting running handlers when the workflow finishes, then you can "
    "disable this warning via the signal handler decorator: "
    "`@workflow.signal(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)`."
)
