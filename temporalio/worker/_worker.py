"""The :class:`Worker`: runs activities and workflows for one task queue."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import warnings
from datetime import timedelta
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Dict,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
    TypedDict,
    Union,
    cast,
)

from temporalio._checks import (
    _check_plugin_list,
    _check_positive_int,
    _check_positive_number,
    _check_str,
    _check_timedelta,
    _check_type,
    _plugin_chain,
    _through_plugins,
)
from temporalio.worker._activity import _activity_defs, _ActivityWorker
from temporalio.worker._interceptor import Interceptor, _check_interceptors
from temporalio.worker._options import (
    PollerBehavior,
    PollerBehaviorAutoscaling,
    PollerBehaviorSimpleMaximum,
    SharedStateManager,
    UnsandboxedWorkflowRunner,
    WorkflowRunner,
)
from temporalio.worker._plugin import Plugin

if TYPE_CHECKING:
    from temporalio.client import Client
    from temporalio.converter import DataConverter

__all__ = ["Worker", "WorkerConfig"]

logger = logging.getLogger("temporalio.worker")


DEFAULT_MAX_CONCURRENT_ACTIVITIES = 100


def _unsupported(keyword: str, why: str) -> NotImplementedError:
    """The error for an official ``Worker`` option this SDK cannot honour
    (accepting it would silently change what the worker does)."""
    return NotImplementedError(f"Worker({keyword}=...) is not supported by this SDK: {why}")


def _polls(
    polls: Optional[int],
    polls_name: str,
    behavior: Optional[PollerBehavior],
    behavior_name: str,
) -> Optional[int]:
    """The poll count from ``max_concurrent_*_task_polls`` (which wins, as in
    the official SDK) or a poller behavior; None: the default."""
    if polls is not None:
        return _check_positive_int(polls, polls_name)
    if behavior is None:
        return None
    if isinstance(behavior, PollerBehaviorAutoscaling):
        raise _unsupported(
            behavior_name,
            "PollerBehaviorAutoscaling needs an autoscaling poller, which this SDK does not "
            "have yet; use PollerBehaviorSimpleMaximum(maximum=...)",
        )
    if not isinstance(behavior, PollerBehaviorSimpleMaximum):
        raise TypeError(
            f"{behavior_name} must be a temporalio.worker.PollerBehaviorSimpleMaximum, "
            f"got {type(behavior).__name__}"
        )
    return _check_positive_int(behavior.maximum, f"{behavior_name}.maximum")


def _check_runners(workflow_runner: Any, unsandboxed_workflow_runner: Any) -> None:
    """Refuses (NotImplementedError naming the option) the workflow runners
    this SDK does not have (Worker and Replayer)."""
    if workflow_runner is not None and not isinstance(workflow_runner, UnsandboxedWorkflowRunner):
        raise _unsupported(
            "workflow_runner",
            "workflows run without a sandbox, in the worker's own interpreter; there are "
            "no pluggable workflow runners (leave it unset, or give "
            "UnsandboxedWorkflowRunner())",
        )
    if unsandboxed_workflow_runner is not None and not isinstance(
        unsandboxed_workflow_runner, UnsandboxedWorkflowRunner
    ):
        raise _unsupported(
            "unsandboxed_workflow_runner",
            "every workflow already runs unsandboxed, and runners are not pluggable "
            "(leave it unset)",
        )


def _check_failure_types(types: Sequence[Any]) -> Tuple[type, ...]:
    """``workflow_failure_exception_types`` checked (TypeError naming the
    position of a non-exception class)."""
    for i, t in enumerate(types):
        if not (isinstance(t, type) and issubclass(t, BaseException)):
            raise TypeError(
                f"workflow_failure_exception_types[{i}] must be an exception class, got {t!r}"
            )
    return tuple(types)


def _deadlock_timeout(
    deadlock_timeout: Optional[timedelta], debug_mode: bool
) -> Optional[timedelta]:
    """The deadlock timeout in effect: None (no check) in ``debug_mode``, or
    with a truthy ``TEMPORAL_DEBUG`` environment variable, as in the
    official SDK. TypeError / ValueError for bad values."""
    _check_type(debug_mode, bool, "debug_mode", "a bool")
    if deadlock_timeout is not None:
        _check_timedelta(deadlock_timeout, "deadlock_timeout")
        if deadlock_timeout <= timedelta(0):
            raise ValueError("deadlock_timeout must be positive (or None to disable)")
    debug_mode = debug_mode or bool(os.environ.get("TEMPORAL_DEBUG"))
    return None if debug_mode else deadlock_timeout


def _executor_capacity(executor: Optional[concurrent.futures.Executor]) -> Optional[int]:
    """How many callables ``executor`` runs at once (its ``_max_workers``, as
    the official SDK reads it), or None if it does not say."""
    n = getattr(executor, "_max_workers", None)
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else None


class WorkerConfig(TypedDict, total=False):
    """The options of a :class:`Worker` (the official SDK's TypedDict): the
    keywords given to ``Worker``, with ``client``. What a worker
    :class:`Plugin`'s ``configure_worker`` receives and returns, and what
    :meth:`Worker.config` returns. ``data_converter``,
    ``async_activity_executor`` and ``deadlock_timeout`` are this SDK's own
    keywords; the rest are the official ones."""

    client: "Client"
    task_queue: str
    activities: Union[Mapping[str, Callable[..., Any]], Sequence[Callable[..., Any]]]
    activity_executor: Optional[concurrent.futures.Executor]
    async_activity_executor: Optional[concurrent.futures.Executor]
    max_concurrent_activities: Optional[int]
    max_concurrent_activity_task_polls: Optional[int]
    graceful_shutdown_timeout: timedelta
    identity: Optional[str]
    max_activities_per_second: Optional[float]
    max_task_queue_activities_per_second: Optional[float]
    data_converter: Optional["DataConverter"]
    interceptors: Sequence[Interceptor]
    workflows: Sequence[type]
    max_cached_workflows: int
    max_concurrent_workflow_tasks: Optional[int]
    max_concurrent_workflow_task_polls: Optional[int]
    sticky_queue_schedule_to_start_timeout: timedelta
    workflow_failure_exception_types: Sequence[type]
    deadlock_timeout: Optional[timedelta]
    debug_mode: bool
    nexus_service_handlers: Sequence[Any]
    workflow_task_executor: Optional[concurrent.futures.ThreadPoolExecutor]
    nexus_task_executor: Optional[concurrent.futures.ThreadPoolExecutor]
    workflow_runner: Optional[WorkflowRunner]
    unsandboxed_workflow_runner: Optional[WorkflowRunner]
    plugins: Sequence[Plugin]
    build_id: Optional[str]
    max_concurrent_local_activities: Optional[int]
    max_concurrent_nexus_tasks: Optional[int]
    tuner: Any
    nonsticky_to_sticky_poll_ratio: float
    no_remote_activities: bool
    max_heartbeat_throttle_interval: timedelta
    default_heartbeat_throttle_interval: timedelta
    max_eager_activity_reservations_per_workflow_task: int
    plugin_shutdown_timeout: Optional[timedelta]
    shared_state_manager: Optional[SharedStateManager]
    disable_eager_activity_execution: bool
    on_fatal_error: Optional[Callable[[BaseException], Awaitable[None]]]
    use_worker_versioning: bool
    disable_safe_workflow_eviction: bool
    deployment_config: Any
    patch_activation_callback: Any
    workflow_task_poller_behavior: Optional[PollerBehavior]
    activity_task_poller_behavior: Optional[PollerBehavior]
    nexus_task_poller_behavior: Optional[PollerBehavior]
    disable_payload_error_limit: bool
    max_workflow_task_external_storage_concurrency: int


def _worker_plugins(client: "Client", plugins: Any) -> List[Plugin]:
    """The plugins a worker runs: the client's that are worker plugins too,
    then ``plugins`` (TypeError naming the position of anything that is not
    a :class:`Plugin` nor has its worker hooks), as in the official SDK."""
    plugins = _check_plugin_list(plugins, Plugin, ("configure_worker", "run_worker"))
    # the client's plugins as given (Client.config()["plugins"]); read from
    # its options so that a client not yet connected works too
    given = getattr(client, "_initial_config", None)
    from_client = [
        p
        for p in (given.get("plugins", ()) if isinstance(given, dict) else ())
        if isinstance(p, Plugin)
    ]
    own_types = [type(p) for p in plugins]
    for p in from_client:
        if type(p) in own_types:  # the official SDK's warning
            warnings.warn(
                f"The same plugin type {type(p)} is present from both client and worker. It may "
                "run twice and may not be the intended behavior."
            )
    return from_client + list(plugins)


class Worker:
    """Polls a task queue and runs the activities and workflows registered on it.

    ``activities`` maps activity type names to callables (plain or async
    functions, callable objects, bound methods, lambdas), or is a list of
    ``@activity.defn`` callables (named by the decorator). Sync callables
    run in ``activity_executor`` (a thread pool the worker makes and owns
    when none is given); async ones on the event loop that starts the
    worker, or in ``async_activity_executor`` (each on its own loop in one
    of its threads) when given.

    ``activity_executor`` may be a ``concurrent.futures.ProcessPoolExecutor``:
    sync activities (which must pickle: checked here) then run in its child
    processes, with their arguments, results and heartbeat details pickled.
    ``activity.heartbeat()``, ``info()`` and cancellation work there through
    a Unix socket the worker owns (no ``multiprocessing.Manager``). A child
    that dies fails the attempts its pool was running (retryable
    ``BrokenProcessPool`` errors) and the worker goes on with a new pool of
    the same settings. Prefer the ``"spawn"`` or ``"forkserver"`` start
    method: forking a process that runs threads is fragile.

    Cancellation (the server's, arriving in a heartbeat response, or the
    worker's own at shutdown): async activities see ``asyncio.CancelledError``
    (their task is cancelled, on the worker's loop or, with
    ``async_activity_executor``, on their own loop); sync ones (threads or
    processes) see :class:`temporalio.exceptions.CancelledError` raised by
    their next ``activity.heartbeat()``, and ``activity.is_cancelled()`` /
    ``wait_for_cancelled_sync()``. An activity that catches it and returns
    completes; one that raises it is reported as cancelled (as a retryable
    ``WorkerShutdown`` failure when the worker cancelled it).

    Deadlines are enforced here too: an attempt still running 5 s after its
    start-to-close, schedule-to-close or heartbeat timeout (counted from its
    last heartbeat) has passed is cancelled (reason ``"timed_out"``; the
    server has timed it out already, so its outcome is not reported) and
    its slot freed once it returns. A completion is retried until the
    attempt's deadline, so a short server outage loses no result. A result
    too large for the server fails the attempt at once, not retryable
    (over the server's 2 MiB payload limit the server fails it; over its
    4 MiB message limit the worker reports a ``GrpcMessageTooLarge``
    application error naming the size).

    Use ``await worker.run()`` (cancelling the task that runs it shuts the
    worker down), ``async with worker:``, or :meth:`start` + :meth:`shutdown`.
    Shutdown stops polling at once, lets running activities finish for
    ``graceful_shutdown_timeout`` (default 0), then cancels them (they fail
    with a retryable ``WorkerShutdown`` error so another worker retries them),
    waits a bounded time for their completions, and reports every completion
    before it returns. Running activities learn that shutdown began at once,
    before the grace period ends (``activity.is_worker_shutdown()``,
    ``await activity.wait_for_worker_shutdown()``,
    ``activity.wait_for_worker_shutdown_sync()``; process-pool children are
    told through the socket): one that returns then completes normally.

    ``max_concurrent_activities`` (slots): how many activities the worker
    runs at once; it never takes a task it has no slot for. Default 100, but
    never more than the executors the activities run in can start at once: a
    ``ThreadPoolExecutor`` / ``ProcessPoolExecutor`` given as
    ``activity_executor`` (when some activity is sync) or as
    ``async_activity_executor`` (when some activity is async) caps the
    default to its ``max_workers`` (the smallest of the two), so no task is
    taken that would wait for a thread while its start-to-close timeout runs.
    Given explicitly and larger than such an executor's ``max_workers``, it
    is kept and a :class:`UserWarning` says so, as in the official SDK.

    At least one activity or workflow must be given (``ValueError``, the
    official SDK's text); a missing ``@activity.defn``, two activities of
    one name or an activity class given instead of an instance raise as in
    the official SDK.

    ``interceptors``: :class:`temporalio.worker.Interceptor` objects, the
    first outermost; anything else raises ``TypeError`` naming its position.
    The client's interceptors that are worker interceptors too (subclass
    both ``temporalio.client.Interceptor`` and this ``Interceptor``) come
    first, as in the official SDK (:attr:`interceptors` lists them all).
    For each attempt the worker builds the inbound chain
    (``intercept_activity``), calls its ``init`` with the worker's outbound
    link, and awaits its ``execute_activity``; the innermost link runs the
    activity as described above. Where each call runs:

    * inbound (``init``, ``execute_activity``): always in the worker
      process, on its event loop, in the attempt's task; for thread- and
      process-pool activities it wraps the hand-over to the executor.
    * outbound (``info``, ``heartbeat``) of an async activity: in its task
      (on the worker's loop, or on its own loop with
      ``async_activity_executor``); of a thread-pool activity: in its thread.
    * outbound of a process-pool activity: in the worker process, on its
      event loop (interceptors need not pickle; they never reach the child).
      ``activity.heartbeat()`` in the child sends its details (pickled) to
      the worker, whose outbound chain then runs with them; a heartbeat that
      raises ``CancelledError`` in the child (the attempt was cancelled) is
      not sent, and an error raised by the chain is logged by the worker (the
      child does not see it). ``activity.info()`` in the child asks the
      worker (one round trip on the socket) when some outbound link overrides
      ``info()``, and returns what the chain returned (its error is raised in
      the child); without such a link, and if the worker is already gone, it
      returns the attempt's info at once without asking.

    Interceptors may change :class:`temporalio.worker.ExecuteActivityInput` (``fn``, ``args``,
    ``executor``) before calling ``next``; for a process pool ``fn`` and
    ``args`` must then pickle.

    Workflows: ``workflows`` are ``@workflow.defn`` classes with unique names
    (at most one dynamic); ``max_cached_workflows`` (default 1000; 0 replays
    every task from scratch), ``max_concurrent_workflow_tasks`` and
    ``max_concurrent_workflow_task_polls`` (positive, or None for the
    default), ``sticky_queue_schedule_to_start_timeout`` (positive, default
    10 s), ``workflow_failure_exception_types`` (exception classes that fail
    the workflow rather than the workflow task, for every workflow), and
    ``deadlock_timeout`` (default 2 s; None disables the check, as does
    ``debug_mode`` or a truthy ``TEMPORAL_DEBUG`` environment variable, the
    official SDK's switches): an activation that runs
    longer without yielding fails its workflow task with a ``[TMPRL1101]``
    error naming the workflow and showing the stack it is stuck in; it runs
    in a thread of its own, so it never holds back other runs.

    One core worker serves both sides: with ``workflows`` it also polls
    workflow tasks (and its sticky queue when ``max_cached_workflows`` > 0);
    the core's state machines turn history into activations, which the
    workflow sub-worker runs and answers. Without ``activities`` (and with
    workflows) no activity tasks are polled. Shutdown evicts every cached
    run (each gets its eviction activation, answered before shutdown
    returns) after the activity side's grace period.

    Plugins: ``plugins`` are :class:`temporalio.worker.Plugin` objects (e.g.
    :class:`temporalio.plugin.SimplePlugin`); anything else raises
    ``TypeError`` naming its position. The client's plugins that are worker
    plugins too come first (a plugin type in both lists warns that it may run
    twice), as in the official SDK. Their ``configure_worker`` hooks change
    the options (a :class:`WorkerConfig`) in that order before anything is
    checked, so what they set is checked and refused like the keywords
    (:meth:`config` returns the options as given or as in use); their
    ``run_worker`` hooks wrap :meth:`run`, the first plugin outermost, and
    ``async with`` runs that chain in a task: leaving the block shuts the
    worker down, then waits for the plugins' code after ``next`` for at most
    ``plugin_shutdown_timeout`` (default 60 s; None: no limit) before
    cancelling it. The same plugins given to :class:`Replayer` configure
    and wrap it through their replayer hooks.

    The official SDK's other options: every keyword of its ``Worker`` is
    accepted here (a test compares the signatures), with one of three
    outcomes.

    * Done: ``plugins`` and ``plugin_shutdown_timeout`` (see below),
      ``on_fatal_error`` (awaited with the failure when polling fails
      for good, before :meth:`run` or ``async with`` raises it; an error it
      raises is logged), ``no_remote_activities`` (poll no activity tasks;
      needs workflows), ``activity_task_poller_behavior`` /
      ``workflow_task_poller_behavior`` as
      :class:`PollerBehaviorSimpleMaximum` (its ``maximum`` is the poll
      count; ``max_concurrent_*_task_polls``, when given, wins, as in the
      official SDK), ``max_concurrent_activity_task_polls=None`` (5).
    * Accepted, checked, and without effect here, because this SDK needs or
      has no such thing: ``shared_state_manager`` (process pools need no
      manager: see above; see :class:`SharedStateManager`),
      ``workflow_task_executor`` (the workflow sub-worker decides where
      activations run: see above), ``build_id`` (not sent: no worker
      versioning), ``max_concurrent_local_activities``,
      ``disable_eager_activity_execution`` and
      ``max_eager_activity_reservations_per_workflow_task`` (no local or eager
      activities yet: activities are always scheduled through the server),
      ``nexus_task_executor``, ``max_concurrent_nexus_tasks`` and
      ``nexus_task_poller_behavior`` (no Nexus), ``nonsticky_to_sticky_poll_ratio`` (the core splits
      workflow polls its own way), ``disable_safe_workflow_eviction``,
      ``disable_payload_error_limit`` (the size checks described above always
      apply) and ``max_workflow_task_external_storage_concurrency``.
    * Refused with :class:`NotImplementedError` naming the option, because
      accepting them would silently change what the worker does:
      non-empty ``nexus_service_handlers``; any
      ``workflow_runner`` and ``unsandboxed_workflow_runner`` other than
      :class:`UnsandboxedWorkflowRunner` (accepted: it is what this worker
      always does), any ``tuner``,
      ``deployment_config`` or ``patch_activation_callback``;
      ``use_worker_versioning=True``; :class:`PollerBehaviorAutoscaling`;
      heartbeat throttle intervals other than the official defaults (60 s
      maximum, 30 s default), which this SDK's core uses.
    """

    def __init__(
        self,
        client: "Client",
        *,
        task_queue: str,
        activities: Union[Mapping[str, Callable[..., Any]], Sequence[Callable[..., Any]]] = {},
        activity_executor: Optional[concurrent.futures.Executor] = None,
        async_activity_executor: Optional[concurrent.futures.Executor] = None,
        max_concurrent_activities: Optional[int] = None,
        max_concurrent_activity_task_polls: Optional[int] = None,
        graceful_shutdown_timeout: timedelta = timedelta(0),
        identity: Optional[str] = None,
        max_activities_per_second: Optional[float] = None,
        max_task_queue_activities_per_second: Optional[float] = None,
        data_converter: Optional["DataConverter"] = None,
        interceptors: Sequence[Interceptor] = (),
        workflows: Sequence[type] = (),
        max_cached_workflows: int = 1000,
        max_concurrent_workflow_tasks: Optional[int] = None,
        max_concurrent_workflow_task_polls: Optional[int] = None,
        sticky_queue_schedule_to_start_timeout: timedelta = timedelta(seconds=10),
        workflow_failure_exception_types: Sequence[type] = (),
        deadlock_timeout: Optional[timedelta] = timedelta(seconds=2),
        debug_mode: bool = False,
        nexus_service_handlers: Sequence[Any] = (),
        workflow_task_executor: Optional[concurrent.futures.ThreadPoolExecutor] = None,
        nexus_task_executor: Optional[concurrent.futures.ThreadPoolExecutor] = None,
        workflow_runner: Any = None,
        unsandboxed_workflow_runner: Any = None,
        plugins: Sequence[Plugin] = (),
        build_id: Optional[str] = None,
        max_concurrent_local_activities: Optional[int] = None,
        max_concurrent_nexus_tasks: Optional[int] = None,
        tuner: Any = None,
        nonsticky_to_sticky_poll_ratio: float = 0.2,
        no_remote_activities: bool = False,
        max_heartbeat_throttle_interval: timedelta = timedelta(seconds=60),
        default_heartbeat_throttle_interval: timedelta = timedelta(seconds=30),
        max_eager_activity_reservations_per_workflow_task: int = 3,
        plugin_shutdown_timeout: Optional[timedelta] = timedelta(seconds=60),
        shared_state_manager: Optional[SharedStateManager] = None,
        disable_eager_activity_execution: bool = False,
        on_fatal_error: Optional[Callable[[BaseException], Awaitable[None]]] = None,
        use_worker_versioning: bool = False,
        disable_safe_workflow_eviction: bool = False,
        deployment_config: Any = None,
        patch_activation_callback: Any = None,
        workflow_task_poller_behavior: Optional[PollerBehavior] = None,
        activity_task_poller_behavior: Optional[PollerBehavior] = None,
        nexus_task_poller_behavior: Optional[PollerBehavior] = None,
        disable_payload_error_limit: bool = False,
        max_workflow_task_external_storage_concurrency: int = 3,
    ) -> None:
        options = dict(locals())  # the keywords as given (taken before any other local)
        del options["self"]
        if "_config" not in self.__dict__:
            # First entry: the plugins' configure_worker, in order. With
            # plugins, the worker is then initialized from the options they
            # returned by entering again (a key they removed takes its
            # default here; checks and refusals apply to what they set).
            self._initial_config = cast(WorkerConfig, dict(options))
            self._plugins = _worker_plugins(client, plugins)
            self._config: WorkerConfig = _through_plugins(
                self._plugins, "configure_worker", dict(options), "WorkerConfig"
            )
            if self._plugins:
                rest: Dict[str, Any] = dict(self._config)
                Worker.__init__(self, rest.pop("client", client), **rest)
                return
        # The official SDK's options this SDK cannot honour: refused, naming
        # the option, rather than accepted and silently not done.
        if nexus_service_handlers:
            raise _unsupported("nexus_service_handlers", "Nexus is not implemented yet")
        _check_runners(workflow_runner, unsandboxed_workflow_runner)
        if tuner is not None:
            raise _unsupported(
                "tuner",
                "slot suppliers are not implemented; use max_concurrent_activities and "
                "max_concurrent_workflow_tasks",
            )
        if use_worker_versioning:
            raise _unsupported("use_worker_versioning", "worker versioning is not implemented")
        if deployment_config is not None:
            raise _unsupported("deployment_config", "worker deployments are not implemented")
        if patch_activation_callback is not None:
            raise _unsupported(
                "patch_activation_callback", "patch activation callbacks are not implemented"
            )
        for name, value, fixed in (
            ("max_heartbeat_throttle_interval", max_heartbeat_throttle_interval, 60),
            ("default_heartbeat_throttle_interval", default_heartbeat_throttle_interval, 30),
        ):
            _check_timedelta(value, name)
            if value != timedelta(seconds=fixed):
                raise _unsupported(
                    name,
                    "the heartbeat throttle is fixed: 80 % of the heartbeat timeout, 30 s "
                    "without one, never more than 60 s (the official defaults)",
                )
        # Accepted and checked, with no effect here (see the class doc).
        _check_type(build_id, str, "build_id", "a str", optional=True)
        for name, pool in (
            ("workflow_task_executor", workflow_task_executor),
            ("nexus_task_executor", nexus_task_executor),
        ):
            _check_type(pool, concurrent.futures.Executor, name, "an Executor", optional=True)
        for name, n in (
            ("max_concurrent_local_activities", max_concurrent_local_activities),
            ("max_concurrent_nexus_tasks", max_concurrent_nexus_tasks),
        ):
            if n is not None:
                _check_positive_int(n, name)
        _check_positive_number(nonsticky_to_sticky_poll_ratio, "nonsticky_to_sticky_poll_ratio")
        if max_eager_activity_reservations_per_workflow_task < 1:
            raise ValueError(
                "max_eager_activity_reservations_per_workflow_task must be positive; "
                "use disable_eager_activity_execution=True to disable eager activity execution"
            )
        if max_workflow_task_external_storage_concurrency < 1:
            raise ValueError("max_workflow_task_external_storage_concurrency must be positive")
        if plugin_shutdown_timeout is not None:
            _check_timedelta(plugin_shutdown_timeout, "plugin_shutdown_timeout")
        self._plugin_shutdown_timeout = plugin_shutdown_timeout
        _check_type(
            shared_state_manager,
            SharedStateManager,
            "shared_state_manager",
            "a temporalio.worker.SharedStateManager",
            optional=True,
        )
        for name, flag in (
            ("no_remote_activities", no_remote_activities),
            ("disable_eager_activity_execution", disable_eager_activity_execution),
            ("disable_safe_workflow_eviction", disable_safe_workflow_eviction),
            ("disable_payload_error_limit", disable_payload_error_limit),
        ):
            _check_type(flag, bool, name, "a bool")
        if on_fatal_error is not None and not callable(on_fatal_error):
            raise TypeError(
                f"on_fatal_error must be an async callable, got {type(on_fatal_error).__name__}"
            )
        _polls(None, "", nexus_task_poller_behavior, "nexus_task_poller_behavior")
        max_concurrent_workflow_task_polls = _polls(
            max_concurrent_workflow_task_polls,
            "max_concurrent_workflow_task_polls",
            workflow_task_poller_behavior,
            "workflow_task_poller_behavior",
        )
        activity_polls = _polls(
            max_concurrent_activity_task_polls,
            "max_concurrent_activity_task_polls",
            activity_task_poller_behavior,
            "activity_task_poller_behavior",
        )
        self._on_fatal_error = on_fatal_error
        self._no_remote_activities = no_remote_activities
        self._fatal_watch: Optional["asyncio.Task[None]"] = None

        _check_str(task_queue, "task_queue")
        _check_type(identity, str, "identity", "a str", optional=True)
        for name, ex in (
            ("activity_executor", activity_executor),
            ("async_activity_executor", async_activity_executor),
        ):
            _check_type(
                ex,
                concurrent.futures.Executor,
                name,
                "a concurrent.futures.Executor",
                optional=True,
            )
        if isinstance(async_activity_executor, concurrent.futures.ProcessPoolExecutor):
            raise TypeError(
                "async_activity_executor must run callables in this process (e.g. a "
                "ThreadPoolExecutor): async activities cannot run in a process pool; "
                "make them sync functions and give the pool as activity_executor"
            )
        _check_timedelta(graceful_shutdown_timeout, "graceful_shutdown_timeout", show_value=False)
        own_interceptors = _check_interceptors(interceptors)
        self._client = client
        self._task_queue = task_queue
        # The client's interceptors that are worker interceptors too go first
        # (outermost), as in the official SDK.
        self._interceptors = [
            i for i in (getattr(client, "interceptors", None) or ()) if isinstance(i, Interceptor)
        ] + list(own_interceptors)
        self._defs = _activity_defs(activities)
        if isinstance(activity_executor, concurrent.futures.ProcessPoolExecutor):
            from temporalio.worker._process import check_picklable

            for d in self._defs.values():
                if not d.is_async:
                    check_picklable(d.name, d.fn)
        self._activity_executor = activity_executor
        self._async_activity_executor = async_activity_executor
        self._max_concurrent = self._slots(max_concurrent_activities)
        self._max_polls = activity_polls if activity_polls is not None else 5
        self._grace = graceful_shutdown_timeout
        self._identity = identity
        self._rate = _check_positive_number(max_activities_per_second, "max_activities_per_second")
        self._tq_rate = _check_positive_number(
            max_task_queue_activities_per_second, "max_task_queue_activities_per_second"
        )
        if data_converter is None:
            data_converter = getattr(client, "data_converter", None)
        if data_converter is None:
            from temporalio.converter import DataConverter

            data_converter = DataConverter.default
        self._data_converter = data_converter
        if no_remote_activities and not workflows:
            raise ValueError(
                "no_remote_activities=True leaves this worker nothing to poll: it has no "
                "workflows (and this SDK has no local activities yet)"
            )
        self._init_workflow_options(
            workflows,
            max_cached_workflows,
            max_concurrent_workflow_tasks,
            max_concurrent_workflow_task_polls,
            sticky_queue_schedule_to_start_timeout,
            workflow_failure_exception_types,
            deadlock_timeout,
            debug_mode,
        )
        if not self._defs and not self._workflow_defs:  # the official SDK's check and text
            raise ValueError("At least one activity, Nexus service, or workflow must be specified")
        self._owned_executor: Optional[concurrent.futures.ThreadPoolExecutor] = None
        self._activity_worker: Optional[_ActivityWorker] = None
        self._workflow_worker: Any = None  # a _workflow.WorkflowWorker when workflows are given
        self._activation_tasks: Set["asyncio.Task[None]"] = set()
        self._shutdown_task: Optional[asyncio.Task] = None
        # async with and plugins: the task running run() (the plugin chain)
        self._run_task: Optional["asyncio.Task[None]"] = None
        self._started: Optional["asyncio.Future[None]"] = None
        self._validating = False

    def _init_workflow_options(
        self,
        workflows: Sequence[type],
        max_cached_workflows: int,
        max_concurrent_workflow_tasks: Optional[int],
        max_concurrent_workflow_task_polls: Optional[int],
        sticky_queue_schedule_to_start_timeout: timedelta,
        workflow_failure_exception_types: Sequence[type],
        deadlock_timeout: Optional[timedelta],
        debug_mode: bool,
    ) -> None:
        """Checks and stores the workflow options (the core wiring that uses
        them comes with the workflow-task poller)."""
        from temporalio.worker._workflow import _workflow_defs

        self._workflow_defs = _workflow_defs(workflows) if workflows else {}
        self._workflows = list(workflows)
        if isinstance(max_cached_workflows, bool) or not isinstance(max_cached_workflows, int):
            raise TypeError(f"max_cached_workflows must be an int, got {max_cached_workflows!r}")
        if max_cached_workflows < 0:
            raise ValueError(
                f"max_cached_workflows must not be negative, got {max_cached_workflows}"
            )
        self._max_cached_workflows = max_cached_workflows
        self._max_concurrent_workflow_tasks = (
            None
            if max_concurrent_workflow_tasks is None
            else _check_positive_int(max_concurrent_workflow_tasks, "max_concurrent_workflow_tasks")
        )
        self._max_concurrent_workflow_task_polls = (
            None
            if max_concurrent_workflow_task_polls is None
            else _check_positive_int(
                max_concurrent_workflow_task_polls, "max_concurrent_workflow_task_polls"
            )
        )
        _check_timedelta(
            sticky_queue_schedule_to_start_timeout, "sticky_queue_schedule_to_start_timeout"
        )
        if sticky_queue_schedule_to_start_timeout <= timedelta(0):
            raise ValueError("sticky_queue_schedule_to_start_timeout must be positive")
        self._sticky_timeout = sticky_queue_schedule_to_start_timeout
        self._workflow_failure_exception_types = _check_failure_types(
            workflow_failure_exception_types
        )
        self._deadlock_timeout = _deadlock_timeout(deadlock_timeout, debug_mode)

    @property
    def workflows(self) -> Sequence[type]:
        """The workflow classes given (a copy)."""
        return list(self._workflows)

    @property
    def deadlock_timeout(self) -> Optional[timedelta]:
        """How long one workflow activation may run without yielding before
        it fails as a deadlock; None: not checked (``debug_mode``)."""
        return self._deadlock_timeout

    def _slots(self, given: Optional[int]) -> int:
        """The worker's slots: ``given``, or the default capped by the
        executors the activities use (see the class doc). Warns when a given
        number exceeds what such an executor can start."""
        used = []
        if any(not d.is_async for d in self._defs.values()):
            used.append(("activity_executor", _executor_capacity(self._activity_executor)))
        if any(d.is_async for d in self._defs.values()):
            used.append(
                ("async_activity_executor", _executor_capacity(self._async_activity_executor))
            )
        caps = [(name, n) for name, n in used if n is not None]
        if given is None:
            return min([DEFAULT_MAX_CONCURRENT_ACTIVITIES] + [n for _, n in caps])
        slots = _check_positive_int(given, "max_concurrent_activities")
        for name, n in caps:
            if n < slots:
                # The official SDK's words (temporalio/worker/_worker.py).
                warnings.warn(
                    f"Worker max_concurrent_activities is {slots} but {name}'s max_workers "
                    f"is only {n}",
                    stacklevel=3,
                )
        return slots

    @property
    def max_concurrent_activities(self) -> int:
        """The worker's slots: at most this many activities run at once."""
        return self._max_concurrent

    @property
    def task_queue(self) -> str:
        """The task queue this worker polls."""
        return self._task_queue

    @property
    def client(self) -> "Client":
        """The client the worker uses."""
        return self._client

    @property
    def interceptors(self) -> Sequence[Interceptor]:
        """The interceptors the worker uses, outermost first: the client's
        that are worker interceptors too, then the worker's own (a copy)."""
        return list(self._interceptors)

    @property
    def is_running(self) -> bool:
        """Whether the worker has started, not yet shut down, and not failed
        (polling failed for good: see :meth:`run`)."""
        aw = self._activity_worker
        return aw is not None and self._shutdown_task is None and aw.fatal is None

    async def start(self) -> None:
        """Start polling (on the running event loop).

        First validates the worker, as the official SDK does: the client's
        namespace must describe (``DescribeNamespace``, with the client's
        retries). Raises:
            RuntimeError: ``"Worker validation failed: Namespace NS was not
                found or otherwise could not be described: ..."`` (its
                ``__cause__`` the :class:`temporalio.service.RPCError`, e.g.
                a :class:`temporalio.service.NamespaceNotFoundError`);
                nothing was started. Also when already started.
        """
        if self._activity_worker is not None or self._validating:
            raise RuntimeError("Already started (a Worker runs once; make a new one to run again)")
        self._validating = True
        try:
            await self._validate()
        finally:
            self._validating = False
        executor = self._activity_executor
        if executor is None and any(not d.is_async for d in self._defs.values()):
            executor = self._owned_executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=self._max_concurrent, thread_name_prefix="temporal_activity"
            )
        sc = self._client.service_client
        workflow_config = None
        on_activation = None
        if self._workflow_defs:
            from temporalio.worker._workflow import WorkflowWorker

            self._workflow_worker = WorkflowWorker(
                workflows=self._workflows,
                namespace=self._client.namespace,
                task_queue=self._task_queue,
                data_converter=self._data_converter,
                complete=self._complete_activation,
                deadlock_timeout=self._deadlock_timeout,
                failure_exception_types=self._workflow_failure_exception_types,
            )
            workflow_config = dict(
                workflows=True,
                nondeterminism_as_workflow_fail=(
                    self._workflow_worker.nondeterminism_as_workflow_fail()
                ),
                nondeterminism_as_workflow_fail_for_types=sorted(
                    self._workflow_worker.nondeterminism_as_workflow_fail_for_types()
                ),
                max_cached_workflows=self._max_cached_workflows,
                sticky_schedule_to_start_ms=max(
                    1, int(self._sticky_timeout.total_seconds() * 1000)
                ),
            )
            if self._max_concurrent_workflow_tasks is not None:
                workflow_config["max_concurrent_workflow_tasks"] = (
                    self._max_concurrent_workflow_tasks
                )
            if self._max_concurrent_workflow_task_polls is not None:
                workflow_config["max_concurrent_workflow_task_polls"] = (
                    self._max_concurrent_workflow_task_polls
                )
            on_activation = self._on_activation
        aw = _ActivityWorker(
            client=self._client,
            core_client=sc._core,
            namespace=self._client.namespace,
            task_queue=self._task_queue,
            identity=self._identity or self._client.identity,
            activities=self._defs,
            activity_executor=executor,
            async_activity_executor=self._async_activity_executor,
            max_concurrent_activities=self._max_concurrent,
            max_concurrent_polls=self._max_polls,
            max_activities_per_second=self._rate,
            max_task_queue_activities_per_second=self._tq_rate,
            graceful_shutdown_timeout=self._grace,
            data_converter=self._data_converter,
            interceptors=self._interceptors,
            activities_enabled=(bool(self._defs) or not self._workflow_defs)
            and not self._no_remote_activities,
            workflow_config=workflow_config,
            on_activation=on_activation,
        )
        self._activity_worker = aw
        try:
            aw.start()
        except BaseException:
            self._activity_worker = None
            if self._workflow_worker is not None:
                self._workflow_worker.shutdown()
            raise
        if self._workflow_worker is not None:
            # a start with request_eager_start on this connection, namespace
            # and task queue may hand its first workflow task to this worker
            sc._register_workflow_worker(self._client.namespace, self._task_queue, aw._core)
        if self._on_fatal_error is not None:
            self._fatal_watch = asyncio.get_running_loop().create_task(self._watch_fatal(aw))

    async def _watch_fatal(self, aw: _ActivityWorker) -> None:
        """Calls ``on_fatal_error`` with the worker's failure, if it fails."""
        assert aw.stopped is not None and self._on_fatal_error is not None
        await asyncio.shield(aw.stopped)
        if aw.fatal is None:
            return
        try:
            await self._on_fatal_error(aw.fatal)
        except Exception:
            logger.warning("Fatal error handler failed", exc_info=True)

    async def _fatal_handled(self) -> None:
        """Waits for ``on_fatal_error`` (if the worker failed) to return."""
        watch = self._fatal_watch
        if watch is not None:
            aw = self._activity_worker
            if aw is not None and aw.fatal is not None:
                await asyncio.shield(watch)
            elif not watch.done():
                watch.cancel()

    # -- the workflow side (events on the worker's loop) --

    def _on_activation(self, data: bytes) -> None:
        """An activation from the core: runs it in a task of its own (the
        sub-worker serializes a run's activations; the core sends a run's
        next one only after this one is completed)."""
        ww = self._workflow_worker
        assert ww is not None
        task = asyncio.get_running_loop().create_task(self._handle_activation(ww, data))
        self._activation_tasks.add(task)
        task.add_done_callback(self._activation_tasks.discard)

    async def _handle_activation(self, ww: Any, data: bytes) -> None:
        try:
            await ww.handle_activation(data)
        except Exception:
            # handle_activation turns workflow errors into failed completions;
            # this is a bug or a completion the core refused.
            logger.exception("Handling a workflow activation failed")

    def _complete_activation(self, completion: bytes) -> None:
        aw = self._activity_worker
        if aw is None or aw._core is None:
            return
        if not aw._core.complete_activation(None, completion):
            logger.debug("A workflow activation completion was not taken (run gone)")

    async def shutdown(self) -> None:
        """Shut down (see the class doc); safe to call more than once and
        from several tasks: each waits for the same shutdown."""
        aw = self._activity_worker
        if aw is None:
            return
        if self._shutdown_task is None:
            self._shutdown_task = asyncio.get_running_loop().create_task(self._shutdown(aw))
        await asyncio.shield(self._shutdown_task)

    async def _shutdown(self, aw: _ActivityWorker) -> None:
        if self._workflow_worker is not None:
            self._client.service_client._unregister_workflow_worker(
                self._client.namespace, self._task_queue, aw._core
            )
        try:
            # The core evicts every cached run during its shutdown; the
            # evictions are answered by activation tasks on this loop.
            await aw.shutdown()
            if self._activation_tasks:
                await asyncio.wait(list(self._activation_tasks), timeout=10)
        finally:
            if self._workflow_worker is not None:
                self._workflow_worker.shutdown()
            if self._owned_executor is not None:
                self._owned_executor.shutdown(wait=False)

    def config(self, *, active_config: bool = False) -> WorkerConfig:
        """The worker's options (a new dict, with new ``activities`` and
        ``workflows`` lists): as given to ``Worker`` (with ``client``), or,
        with ``active_config=True``, those in use after the plugins'
        ``configure_worker`` (the same when there are no plugins)."""
        config = cast(WorkerConfig, dict(self._config if active_config else self._initial_config))
        activities = config.get("activities", [])
        config["activities"] = (
            dict(activities) if isinstance(activities, Mapping) else list(activities)
        )
        config["workflows"] = list(config.get("workflows", []))
        return config

    async def run(self) -> None:
        """Start, run until shut down (or until the worker fails), then shut
        down. Cancelling the task that awaits this shuts the worker down
        gracefully before the cancellation propagates.

        With plugins (see :class:`Plugin`), this calls the first plugin's
        ``run_worker(worker, next)``; each plugin's ``next`` calls the
        following plugin's, and the last one runs the worker as described
        here. What a plugin raises (before or after calling ``next``) is
        raised here.

        It first validates the worker (see :meth:`start`): a namespace
        that does not exist raises ``RuntimeError("Worker validation failed:
        ...")`` (its ``__cause__`` the
        :class:`temporalio.service.NamespaceNotFoundError`) before anything
        starts.

        Polls that fail in a way that can heal (the server down or
        restarting, a connection reset, the server busy) are retried for as
        long as the worker runs, with a capped backoff; polling resumes about
        a second after the server is back. A failure that cannot heal ends
        the worker: this then raises it, as the
        :class:`temporalio.service.RPCError` subclass for the poll's status
        (e.g. :class:`temporalio.service.NamespaceNotFoundError`, or an
        ``RPCError`` whose ``status`` is ``PERMISSION_DENIED`` or
        ``UNAUTHENTICATED``), or a :class:`RuntimeError` when the client was
        closed; :attr:`is_running` is then false."""
        run: Callable[[Worker], Awaitable[None]] = _plugin_chain(
            self._plugins, "run_worker", Worker._run
        )
        await run(self)

    async def _validate(self) -> None:
        from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
        from temporalio.service import RPCError, RPCStatusCode

        ns = self._client.namespace
        req = DescribeNamespaceRequest(namespace=ns)
        try:
            try:
                # (the client's call: it names its namespace in the header)
                await self._client._call("describe_namespace", req, {}, None)
            except RPCError as err:
                if err.status != RPCStatusCode.CANCELLED:
                    raise
                # A client closed during the call cancels it: asked again,
                # the core then says the client is closed (CoreError).
                await self._client._call("describe_namespace", req, {}, None)
        except RPCError as err:
            raise RuntimeError(
                f"Worker validation failed: Namespace {ns} was not found or otherwise could "
                f"not be described: {err}"
            ) from err

    async def _run(self) -> None:
        """:meth:`run` without the plugins (the innermost ``next``)."""
        if self._started is not None and self._started.done():
            # async with and a plugin that calls next twice
            raise RuntimeError("Already started (a Worker runs once; make a new one to run again)")
        try:
            await self.start()
        except BaseException as e:
            if self._started is not None and not self._started.done():
                self._started.set_exception(e)
                self._started.exception()  # retrieved by __aenter__, or nobody
            raise
        if self._started is not None:
            self._started.set_result(None)
        aw = self._activity_worker
        assert aw is not None and aw.stopped is not None
        try:
            await asyncio.shield(aw.stopped)
        finally:
            await self.shutdown()
            await self._fatal_handled()
        if aw.fatal is not None:
            raise aw.fatal

    async def __aenter__(self) -> "Worker":
        """Start the worker. With plugins, :meth:`run` (the plugins'
        ``run_worker`` chain) runs in a task of its own, and this returns
        once the innermost ``next`` has started the worker; what a plugin or
        the start raises before that is raised here."""
        if not self._plugins:
            await self.start()
            return self
        if self._run_task is not None:
            raise RuntimeError("Already started (a Worker runs once; make a new one to run again)")
        loop = asyncio.get_running_loop()
        self._started = loop.create_future()
        self._run_task = loop.create_task(self.run())
        await asyncio.wait([self._started, self._run_task], return_when=asyncio.FIRST_COMPLETED)
        if not self._started.done():
            # the chain ended without starting the worker
            self._started.cancel()
            self._run_task.result()  # raises what a plugin raised
            raise RuntimeError("A plugin's run_worker returned without calling next")
        self._started.result()  # raises the start's error
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Shut down; raises the worker's failure (as :meth:`run`) when
        polling failed for good and the block raised nothing else. With
        plugins, then waits for the code they run after the worker stops in
        ``run_worker``, at most ``plugin_shutdown_timeout`` (None: no limit),
        and cancels it after that; what it raises is raised here when the
        block raised nothing else."""
        await self.shutdown()
        await self._fatal_handled()
        run_task = self._run_task
        if run_task is not None:
            timeout = self._plugin_shutdown_timeout
            try:
                await asyncio.wait(
                    [run_task], timeout=None if timeout is None else timeout.total_seconds()
                )
            except asyncio.CancelledError:
                run_task.cancel()
                raise
            if not run_task.done():
                logger.warning(
                    "Plugins' run_worker did not return within plugin_shutdown_timeout (%s) "
                    "after the worker shut down: cancelled",
                    timeout,
                )
                run_task.cancel()
                await asyncio.wait([run_task])
            error = None if run_task.cancelled() else run_task.exception()
            if error is not None and exc[0] is None:
                raise error
            return
        aw = self._activity_worker
        if aw is not None and aw.fatal is not None and exc[0] is None:
            raise aw.fatal
