"""Plugins that are client and worker plugins at once: :class:`SimplePlugin`
(the official SDK's ``temporalio.plugin``)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    List,
    Mapping,
    Optional,
    Sequence,
    TypeVar,
    Union,
    cast,
)

import temporalio.client
import temporalio.worker
from temporalio.client import ClientConfig
from temporalio.converter import DataConverter
from temporalio.service import ConnectConfig, ServiceClient
from temporalio.worker import (
    Replayer,
    ReplayerConfig,
    Worker,
    WorkerConfig,
    WorkflowReplayResult,
    WorkflowRunner,
)

if TYPE_CHECKING:
    from temporalio.worker._plugin import ReplayHistories, ReplayResults

__all__ = ["SimplePlugin", "PluginParameter"]

T = TypeVar("T")

PluginParameter = Union[None, T, Callable[[Optional[T]], T]]
"""A :class:`SimplePlugin` option: None (leave the option as it is), a value
(set it, or append it to a sequence option), or a callable that receives the
option's current value (None when unset) and returns the new one."""


class SimplePlugin(temporalio.client.Plugin, temporalio.worker.Plugin):
    """A plugin made from options rather than hooks: each option applies to
    the clients and workers it concerns. Given to ``Client.connect(...,
    plugins=[...])`` it configures the client and every worker made from that
    client; given to ``Worker(..., plugins=[...])``, that worker.

    Every option but ``name`` and ``run_context`` is a
    :data:`PluginParameter`: None leaves the option alone; a value replaces
    it (``data_converter``, ``workflow_runner``) or is appended to it
    (``activities``, ``workflows``, ``interceptors``,
    ``workflow_failure_exception_types``, ``nexus_service_handlers``); a
    callable receives the current value (None when unset) and returns the
    one to use.

    * ``data_converter``: the client's (a worker uses its client's).
    * ``interceptors``: those that are ``temporalio.client.Interceptor`` go to
      the client, those that are ``temporalio.worker.Interceptor`` to the
      worker; one that is both is used once per worker (through the client
      when the plugin is on the client).
    * ``activities``, ``workflows``, ``workflow_failure_exception_types``,
      ``workflow_runner``, ``nexus_service_handlers``: the worker's (what
      ``Worker`` refuses, e.g. Nexus handlers or another workflow runner, is
      refused the same way when a plugin sets it). Activities given as a
      mapping (this SDK's ``{name: fn}`` form) stay a mapping: a plugin's
      ``@activity.defn`` activities are added under their names.
    * ``run_context``: a callable returning an async context manager that
      :meth:`run_worker` enters before the worker runs and exits after it
      has shut down.

    Given to ``Replayer(..., plugins=[...])``, it configures the replayer as
    the official SDK's does: ``data_converter`` and ``workflow_runner`` set,
    ``workflows``, ``workflow_failure_exception_types`` and the worker
    interceptors appended; ``run_context`` is entered around the replay
    (:meth:`run_replayer`).
    """

    def __init__(
        self,
        name: str,
        *,
        data_converter: PluginParameter[DataConverter] = None,
        interceptors: Optional[
            Sequence[Union[temporalio.client.Interceptor, temporalio.worker.Interceptor]]
        ] = None,
        activities: PluginParameter[Sequence[Callable]] = None,
        nexus_service_handlers: PluginParameter[Sequence[Any]] = None,
        workflows: PluginParameter[Sequence[type]] = None,
        workflow_runner: PluginParameter[WorkflowRunner] = None,
        workflow_failure_exception_types: PluginParameter[Sequence[type[BaseException]]] = None,
        run_context: Optional[Callable[[], Any]] = None,
    ) -> None:
        """Make the plugin; see the class doc for each option."""
        self._name = name
        self.data_converter = data_converter
        self.interceptors = interceptors
        self.activities = activities
        self.nexus_service_handlers = nexus_service_handlers
        self.workflows = workflows
        self.workflow_runner = workflow_runner
        self.workflow_failure_exception_types = workflow_failure_exception_types
        self.run_context = run_context

    def name(self) -> str:
        """The name given."""
        return self._name

    def configure_client(self, config: ClientConfig) -> ClientConfig:
        """Sets ``data_converter`` and adds the client interceptors."""
        _put(config, "data_converter", _resolve(config.get("data_converter"), self.data_converter))
        existing: Optional[Sequence[Any]] = config.get("interceptors")
        interceptors = _resolve_append(existing, self.interceptors)
        if interceptors is not None:
            config["interceptors"] = [
                i for i in interceptors if isinstance(i, temporalio.client.Interceptor)
            ]
        return config

    async def connect_service_client(
        self,
        config: ConnectConfig,
        next: Callable[[ConnectConfig], Awaitable[ServiceClient]],
    ) -> ServiceClient:
        """Opens the connection unchanged."""
        return await next(config)

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        """Adds the activities, workflows, worker interceptors and failure
        exception types; sets the workflow runner."""
        _put(config, "activities", _add_activities(config.get("activities"), self.activities))
        _put(
            config,
            "nexus_service_handlers",
            _resolve_append(config.get("nexus_service_handlers"), self.nexus_service_handlers),
            if_none_only=True,
        )
        self._configure_workflows(config)
        if self.interceptors is not None:
            # the client's worker interceptors already reach the worker
            on_client = _client_interceptors(config["client"])
            own = [
                i
                for i in self.interceptors
                if isinstance(i, temporalio.worker.Interceptor) and i not in on_client
            ]
            _put(
                config,
                "interceptors",
                _resolve_append(config.get("interceptors"), own),
                if_none_only=True,
            )
        return config

    def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
        """Sets the data converter and workflow runner, adds the workflows,
        worker interceptors and failure exception types."""
        _put(config, "data_converter", _resolve(config.get("data_converter"), self.data_converter))
        self._configure_workflows(config)
        existing: Optional[Sequence[Any]] = config.get("interceptors")
        interceptors = _resolve_append(existing, self.interceptors)
        if interceptors is not None:
            config["interceptors"] = [
                i for i in interceptors if isinstance(i, temporalio.worker.Interceptor)
            ]
        return config

    def _configure_workflows(self, config: Any) -> None:
        """The workflow options, the same for a worker and a replayer."""
        _put(
            config,
            "workflows",
            _resolve_append(config.get("workflows"), self.workflows),
            if_none_only=True,
        )
        _put(
            config, "workflow_runner", _resolve(config.get("workflow_runner"), self.workflow_runner)
        )
        _put(
            config,
            "workflow_failure_exception_types",
            _resolve_append(
                config.get("workflow_failure_exception_types"),
                self.workflow_failure_exception_types,
            ),
            if_none_only=True,
        )

    async def run_worker(self, worker: Worker, next: Callable[[Worker], Awaitable[None]]) -> None:
        """Runs the worker inside ``run_context()`` when given."""
        if self.run_context is None:
            await next(worker)
            return
        async with self.run_context():
            await next(worker)

    @asynccontextmanager
    async def run_replayer(
        self,
        replayer: Replayer,
        histories: ReplayHistories,
        next: Callable[[Replayer, ReplayHistories], ReplayResults],
    ) -> AsyncIterator[AsyncIterator[WorkflowReplayResult]]:
        """The replay inside ``run_context()`` when given (entered before the
        replay worker starts, exited after it has shut down)."""
        if self.run_context is None:
            async with next(replayer, histories) as results:
                yield results
            return
        async with self.run_context():
            async with next(replayer, histories) as results:
                yield results


def _put(config: Any, key: str, value: Any, *, if_none_only: bool = False) -> None:
    """``config[key] = value``, unless ``value`` is None or (for the options
    the official SDK sets only when truthy) empty or false."""
    if value is not None if if_none_only else value:
        config[key] = value


def _client_interceptors(client: Any) -> List[Any]:
    """The interceptors ``client`` uses (after its plugins)."""
    try:
        return list(client.config(active_config=True).get("interceptors", []))
    except RuntimeError:  # not connected yet: its options as configured
        return list(getattr(client, "_config", {}).get("interceptors", []))


def _resolve(existing: Optional[T], parameter: PluginParameter[T]) -> Optional[T]:
    if parameter is None:
        return existing
    if callable(parameter):
        return cast(Callable[[Optional[T]], Optional[T]], parameter)(existing)
    return parameter


def _resolve_append(
    existing: Optional[Sequence[T]], parameter: PluginParameter[Sequence[T]]
) -> Optional[Sequence[T]]:
    if parameter is None:
        return existing
    if callable(parameter):
        return cast(Callable[[Optional[Sequence[T]]], Optional[Sequence[T]]], parameter)(existing)
    return list(existing or []) + list(parameter)


def _add_activities(existing: Any, parameter: PluginParameter[Sequence[Callable]]) -> Any:
    """``_resolve_append`` for ``activities``, which here may also be a
    mapping ``{name: fn}``: a plugin's activities are then added under their
    ``@activity.defn`` names."""
    if parameter is None or callable(parameter) or not isinstance(existing, Mapping):
        return _resolve_append(existing, parameter)
    if not existing:  # the default ({}): the plugin's list as it is
        return list(parameter)
    from temporalio.worker._activity import _activity_defs

    added = {d.name: d.fn for d in _activity_defs(list(parameter)).values()}
    return {**existing, **added}
