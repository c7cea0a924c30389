"""Replayer: runs workflow histories through the workflow code, without a server.

The histories go to the core's replay worker (``tcore_replay_worker_new``):
the same run manager and engine a polling worker uses, fed each history as
one workflow task holding it whole. The workflow sub-worker runs the
activations exactly as on a polling worker. Each history ends with its
run's eviction, whose reason is the result: replayed to the end, a
nondeterminism error, or a failed workflow task.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    TypedDict,
    Union,
    cast,
)

from temporalio._checks import _check_plugin_list, _check_type, _plugin_chain, _through_plugins
from temporalio.common import HeaderCodecBehavior, _check_no_header_codec
from temporalio.converter import DataConverter
from temporalio.worker._interceptor import Interceptor, _check_interceptors
from temporalio.worker._plugin import Plugin
from temporalio.worker._worker import (
    _check_failure_types,
    _check_runners,
    _deadlock_timeout,
)

if TYPE_CHECKING:
    import temporalio.client
    import temporalio.runtime

logger = logging.getLogger(__name__)

__all__ = ["Replayer", "ReplayerConfig", "WorkflowReplayResult", "WorkflowReplayResults"]

# coresdk.workflow_activation.RemoveFromCache.EvictionReason values
_CACHE_FULL = 1
_NONDETERMINISM = 3
_LANG_REQUESTED = 5


@dataclass(frozen=True)
class WorkflowReplayResult:
    """The result of replaying one history."""

    history: "temporalio.client.WorkflowHistory"
    """The history replayed."""

    replay_failure: Optional[Exception]
    """Why the replay failed, or None when the history replayed to its end:
    a :class:`temporalio.workflow.NondeterminismError` when the code does not
    match the history, else a :class:`RuntimeError` (a workflow task failed,
    e.g. the workflow raised or is not registered; its message begins with
    the eviction reason's number, as the official SDK's)."""


@dataclass(frozen=True)
class WorkflowReplayResults:
    """The results of :meth:`Replayer.replay_workflows`."""

    replay_failures: Mapping[str, Exception]
    """The failures, by run id (empty when every history replayed)."""


class ReplayerConfig(TypedDict, total=False):
    """The options :class:`Replayer` was made with (see its ``__init__``)."""

    workflows: Sequence[type]
    workflow_task_executor: Optional[concurrent.futures.ThreadPoolExecutor]
    workflow_runner: Any
    unsandboxed_workflow_runner: Any
    namespace: str
    data_converter: DataConverter
    interceptors: Sequence[Interceptor]
    build_id: Optional[str]
    identity: Optional[str]
    workflow_failure_exception_types: Sequence[type]
    debug_mode: bool
    runtime: Optional["temporalio.runtime.Runtime"]
    disable_safe_workflow_eviction: bool
    header_codec_behavior: HeaderCodecBehavior


def _failure_of(remove_job: Any) -> Optional[Exception]:
    """A history's outcome from its run's eviction (as the official SDK
    reads it)."""
    import temporalio.workflow

    reason = remove_job.reason
    if reason == _NONDETERMINISM:
        return temporalio.workflow.NondeterminismError(remove_job.message)
    if reason in (_CACHE_FULL, _LANG_REQUESTED):
        return None
    return RuntimeError(f"{reason}: {remove_job.message}")


class Replayer:
    """Replays workflow histories with this process's workflow code, to check
    that changed code still replays what the old code did (no server).

    Args:
        workflows: The ``@workflow.defn`` classes (at least one), as given
            to the worker that ran the histories.
        workflow_task_executor: Accepted for the official signature; this
            SDK runs activations in threads of its own (no effect).
        workflow_runner: Only :class:`UnsandboxedWorkflowRunner` (or None):
            workflows run without a sandbox here; any other is refused with
            ``NotImplementedError``.
        unsandboxed_workflow_runner: As ``workflow_runner``.
        namespace: The namespace workflow code sees (default
            ``"ReplayNamespace"``, as the official SDK's).
        data_converter: Converts payloads (codec included) as the worker's.
        interceptors: Worker interceptors, checked as the worker checks them;
            this SDK's interceptors wrap activities only, which replay does
            not run (no effect).
        plugins: :class:`temporalio.worker.Plugin` objects (e.g.
            :class:`temporalio.plugin.SimplePlugin`; anything else raises
            ``TypeError`` naming its position). In order, each plugin's
            ``configure_replayer`` receives the options (a
            :class:`ReplayerConfig`: these keywords but ``plugins``) and
            returns those to use, before they are checked (what a plugin sets
            is checked and refused as if given here; a key it removes takes
            its default). Each ``run_replayer`` wraps
            :meth:`workflow_replay_iterator`, the first plugin outermost. Only
            these plugins are used (a replayer has no client to take plugins
            from), as in the official SDK.
        build_id: Names the replay task queue (``replay-<build_id>``).
        identity: The replay worker's identity.
        workflow_failure_exception_types: Exception classes that fail the
            workflow instead of the workflow task, as on the worker (a
            :class:`temporalio.workflow.NondeterminismError` among them still
            reports the nondeterminism as the replay's failure).
        debug_mode: Disables deadlock detection (as does a truthy
            ``TEMPORAL_DEBUG`` environment variable); otherwise an activation
            that runs over 2 s without yielding fails its workflow task.
        runtime: The :class:`temporalio.runtime.Runtime` whose core runtime
            runs the replay worker (None: the default one, as for clients).
        disable_safe_workflow_eviction: Accepted (no effect: evictions here
            never leave a run's coroutines behind).
        header_codec_behavior: Only ``HeaderCodecBehavior.NO_CODEC`` (the
            default: headers do not pass through the codec); another is
            refused with ``NotImplementedError``.

    Raises:
        ValueError: no workflows (after the plugins); TypeError: a bad option
        (or a plugin's ``configure_replayer`` returned something else than a
        dict);
        NotImplementedError: an option this SDK cannot honour.
    """

    def __init__(
        self,
        *,
        workflows: Sequence[type],
        workflow_task_executor: Optional[concurrent.futures.ThreadPoolExecutor] = None,
        workflow_runner: Any = None,
        unsandboxed_workflow_runner: Any = None,
        namespace: str = "ReplayNamespace",
        data_converter: DataConverter = DataConverter.default,
        interceptors: Sequence[Interceptor] = [],
        plugins: Sequence[Plugin] = [],
        build_id: Optional[str] = None,
        identity: Optional[str] = None,
        workflow_failure_exception_types: Sequence[type] = [],
        debug_mode: bool = False,
        runtime: Optional["temporalio.runtime.Runtime"] = None,
        disable_safe_workflow_eviction: bool = False,
        header_codec_behavior: HeaderCodecBehavior = HeaderCodecBehavior.NO_CODEC,
    ) -> None:
        options = dict(locals())  # the keywords as given (taken before any other local)
        del options["self"], options["plugins"]
        if "_config" not in self.__dict__:
            # First entry: the plugins' configure_replayer, in order. With
            # plugins, the replayer is then initialized from the options
            # they returned by entering again (a key they removed takes its
            # default here; checks and refusals apply to what they set).
            self._initial_config = cast(ReplayerConfig, options)
            self.plugins: List[Plugin] = _check_plugin_list(
                plugins, Plugin, ("configure_replayer", "run_replayer")
            )
            self._config = cast(
                ReplayerConfig,
                _through_plugins(
                    self.plugins, "configure_replayer", dict(options), "ReplayerConfig"
                ),
            )
            if self.plugins:
                Replayer.__init__(self, **self._config)
                return
        from temporalio.worker._workflow import _workflow_defs

        _check_runners(workflow_runner, unsandboxed_workflow_runner)
        if runtime is not None:
            from temporalio.runtime import Runtime

            _check_type(runtime, Runtime, "runtime", "a temporalio.runtime.Runtime", optional=True)
        _check_no_header_codec(header_codec_behavior)
        if not workflows:
            raise ValueError("At least one workflow must be specified")
        _workflow_defs(workflows)  # checked now, as the worker does
        _check_type(namespace, str, "namespace", "a str")
        _check_type(build_id, str, "build_id", "a str", optional=True)
        _check_type(identity, str, "identity", "a str", optional=True)
        _check_type(
            workflow_task_executor,
            concurrent.futures.Executor,
            "workflow_task_executor",
            "an Executor",
            optional=True,
        )
        _check_type(
            disable_safe_workflow_eviction, bool, "disable_safe_workflow_eviction", "a bool"
        )
        self._config = ReplayerConfig(
            workflows=list(workflows),
            workflow_task_executor=workflow_task_executor,
            workflow_runner=workflow_runner,
            unsandboxed_workflow_runner=unsandboxed_workflow_runner,
            namespace=namespace,
            data_converter=data_converter,
            interceptors=list(_check_interceptors(interceptors)),
            build_id=build_id,
            identity=identity,
            workflow_failure_exception_types=list(
                _check_failure_types(workflow_failure_exception_types)
            ),
            debug_mode=debug_mode,
            runtime=runtime,
            disable_safe_workflow_eviction=disable_safe_workflow_eviction,
            header_codec_behavior=header_codec_behavior,
        )
        self._deadlock = _deadlock_timeout(timedelta(seconds=2), debug_mode)

    def config(self, *, active_config: bool = False) -> ReplayerConfig:
        """The replayer's options (a new dict, with a new ``workflows``
        list; ``plugins`` is not among them, as in the official SDK): as
        given to ``Replayer``, or, with ``active_config=True``, those in use
        after the plugins' ``configure_replayer`` (the same when there are no
        plugins)."""
        config = cast(ReplayerConfig, dict(self._config if active_config else self._initial_config))
        config["workflows"] = list(config.get("workflows", []))
        return config

    async def replay_workflow(
        self,
        history: "temporalio.client.WorkflowHistory",
        *,
        raise_on_replay_failure: bool = True,
    ) -> WorkflowReplayResult:
        """Replay one history.

        Args:
            history: The history (from :meth:`WorkflowHandle.fetch_history`,
                or :meth:`WorkflowHistory.from_json` for one downloaded with
                the CLI or the web UI).
            raise_on_replay_failure: Raise the result's ``replay_failure``
                (default) rather than return it.

        Raises:
            temporalio.workflow.NondeterminismError: the code does not match
                the history (with ``raise_on_replay_failure``).
            RuntimeError: a workflow task failed (likewise).
            ValueError: a history the core refuses (no started event or run
                id).
        """
        async with self.workflow_replay_iterator([history]) as results:
            async for result in results:
                if raise_on_replay_failure and result.replay_failure:
                    raise result.replay_failure
                return result
        raise RuntimeError("No histories")  # never: one history in, one result out

    async def replay_workflows(
        self,
        histories: Union[
            AsyncIterable["temporalio.client.WorkflowHistory"],
            Iterable["temporalio.client.WorkflowHistory"],
        ],
        *,
        raise_on_replay_failure: bool = True,
    ) -> WorkflowReplayResults:
        """Replay histories one after another (e.g.
        ``client.list_workflows(...).map_histories()``, or a list).

        Args:
            histories: The histories, an async iterable (or a plain one).
            raise_on_replay_failure: Raise the first failure (default; no
                later history is taken from ``histories``) rather than
                collect them.

        Returns:
            The failures by run id.

        Raises:
            As :meth:`replay_workflow`.
        """
        failures: Dict[str, Exception] = {}
        async with self.workflow_replay_iterator(histories) as results:
            async for result in results:
                if result.replay_failure:
                    if raise_on_replay_failure:
                        raise result.replay_failure
                    failures[result.history.run_id] = result.replay_failure
        return WorkflowReplayResults(replay_failures=failures)

    def workflow_replay_iterator(
        self,
        histories: Union[
            AsyncIterable["temporalio.client.WorkflowHistory"],
            Iterable["temporalio.client.WorkflowHistory"],
        ],
    ) -> AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]]:
        """Replay histories as they come: ``async with`` gives an async
        iterator of :class:`WorkflowReplayResult`, one per history, in
        order; each history is taken from ``histories`` only once the
        previous one's result is out. Leaving the block shuts the replay
        worker down.

        With plugins (see :class:`Plugin`), this returns the first plugin's
        ``run_replayer(replayer, histories, next)``; each plugin's ``next``
        returns the following plugin's, and the last one the replay described
        here (so the first plugin's code before and after ``next`` runs
        outermost). :meth:`replay_workflow` and :meth:`replay_workflows` go
        through this, hence through the plugins."""
        replay: Callable[
            [Replayer, Any], AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]]
        ] = _plugin_chain(self.plugins, "run_replayer", Replayer._replay_iterator)
        return replay(self, histories)

    @asynccontextmanager
    async def _replay_iterator(
        self, histories: Any
    ) -> AsyncIterator[AsyncIterator[WorkflowReplayResult]]:
        from temporalio import _core
        from temporalio.api.history.v1 import History
        from temporalio.service._client import _core_runtime_of, _notifier
        from temporalio.worker._workflow import WorkflowWorker

        loop = asyncio.get_running_loop()
        config = self._config
        pending: Dict[str, "asyncio.Future[Optional[Exception]]"] = {}
        tasks: Set["asyncio.Task[None]"] = set()
        core: Optional[_core.CoreWorker] = None

        def on_eviction(run_id: str, remove_job: Any) -> None:
            fut = pending.pop(run_id, None)
            if fut is not None and not fut.done():
                fut.set_result(_failure_of(remove_job))

        def complete(completion: bytes) -> None:
            if core is not None and not core.complete_activation(None, completion):
                logger.debug("A replay activation completion was not taken (run gone)")

        ww = WorkflowWorker(
            workflows=config["workflows"],
            namespace=config["namespace"],
            task_queue=f"replay-{config['build_id'] or 'default'}",
            data_converter=config["data_converter"],
            complete=complete,
            deadlock_timeout=self._deadlock,
            failure_exception_types=config["workflow_failure_exception_types"],
            on_eviction=on_eviction,
        )

        async def handle(data: bytes) -> None:
            try:
                await ww.handle_activation(data)
            except Exception:
                logger.exception("Handling a replay activation failed")

        def on_event(ev: _core.WorkerEvent) -> None:
            if isinstance(ev, _core.WorkflowActivation):
                task = loop.create_task(handle(ev.data))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            elif isinstance(ev, _core.Warning):
                logger.warning("Replay: %s", ev.message)

        core = _core.CoreWorker(
            _core_runtime_of(config["runtime"]),
            _notifier(loop),
            on_event,
            _core.WorkerConfig(
                task_queue=f"replay-{config['build_id'] or 'default'}",
                namespace=config["namespace"],
                identity=config["identity"],
                activities=False,
                workflows=True,
                nondeterminism_as_workflow_fail=ww.nondeterminism_as_workflow_fail(),
                nondeterminism_as_workflow_fail_for_types=sorted(
                    ww.nondeterminism_as_workflow_fail_for_types()
                ),
            ),
        )
        core.start()

        async def results() -> AsyncIterator[WorkflowReplayResult]:
            async for history in _aiter(histories):
                # The core checks the history (ValueError naming what is
                # wrong); its eviction comes through this loop, so the
                # future is in place before it can arrive.
                core.replay_history(
                    history.workflow_id, History(events=history.events).SerializeToString()
                )
                fut: "asyncio.Future[Optional[Exception]]" = loop.create_future()
                pending[history.run_id] = fut
                yield WorkflowReplayResult(history=history, replay_failure=await fut)

        try:
            yield results()
        finally:
            done: "asyncio.Future[None]" = loop.create_future()
            core.shutdown(done)
            await done
            if tasks:
                await asyncio.wait(list(tasks), timeout=10)
            ww.shutdown()


async def _aiter(histories: Any) -> AsyncIterator[Any]:
    """An async or plain iterable, iterated asynchronously."""
    if hasattr(histories, "__aiter__"):
        async for h in histories:
            yield h
    else:
        for h in histories:
            yield h
