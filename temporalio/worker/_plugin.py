"""Worker plugins: :class:`Plugin` (the official SDK's
``temporalio.worker.Plugin``)."""

from __future__ import annotations

import abc
from contextlib import AbstractAsyncContextManager
from typing import (
    TYPE_CHECKING,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Union,
)

if TYPE_CHECKING:
    from temporalio.client import WorkflowHistory
    from temporalio.worker._replayer import Replayer, ReplayerConfig, WorkflowReplayResult
    from temporalio.worker._worker import Worker, WorkerConfig

    ReplayHistories = Union[AsyncIterable[WorkflowHistory], Iterable[WorkflowHistory]]
    """What ``Replayer.workflow_replay_iterator`` takes."""
    ReplayResults = AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]]
    """What ``Replayer.workflow_replay_iterator`` returns."""


class Plugin(abc.ABC):
    """Base class of worker plugins: a chain that can change a worker's
    options and wrap its run.

    Given as ``Worker(client, ..., plugins=[a, b])``. The client's plugins
    that are worker plugins too (e.g. :class:`temporalio.plugin.SimplePlugin`,
    or any class deriving from both ``temporalio.client.Plugin`` and this
    class) come first, then the worker's own, as in the official SDK; a
    plugin type present in both lists makes :class:`Worker` warn
    (``UserWarning``) that it may run twice. In that order:

    * when the worker is made, each plugin's :meth:`configure_worker`
      receives the worker's options (a :class:`WorkerConfig`: the keywords
      given to ``Worker``, with ``client``) and returns those to use
      (``Worker.config()`` gives the options as given,
      ``Worker.config(active_config=True)`` those in use);
    * :meth:`Worker.run` calls the first plugin's :meth:`run_worker` with the
      worker and a ``next`` that calls the following plugin's, the last one
      running the worker (``async with worker`` runs the same chain in a
      task: see :class:`Worker`).

    The same plugins given as ``Replayer(..., plugins=[a, b])`` (only
    those: a replayer has no client) configure and wrap the replayer:

    * when the replayer is made, each plugin's :meth:`configure_replayer`
      receives its options (a :class:`ReplayerConfig`) and returns those to
      use (``Replayer.config(active_config=True)``);
    * :meth:`Replayer.workflow_replay_iterator` (which
      :meth:`Replayer.replay_workflow` and :meth:`Replayer.replay_workflows`
      use) returns the first plugin's :meth:`run_replayer`, given a ``next``
      that returns the following plugin's, the last one the replay itself.
    """

    def name(self) -> str:
        """The plugin's name (default: the class's ``module.qualname``)."""
        return type(self).__module__ + "." + type(self).__qualname__

    @abc.abstractmethod
    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        """Return the options of the worker being made, changed or not (e.g.
        activities, workflows or interceptors added). Called once per worker,
        in the plugins' order, before the options are checked: an option a
        plugin sets is checked (and refused) as if given to ``Worker``; a key
        a plugin removes takes ``Worker``'s default. ``client`` cannot be
        changed."""

    @abc.abstractmethod
    async def run_worker(self, worker: Worker, next: Callable[[Worker], Awaitable[None]]) -> None:
        """Run the worker: usually ``await next(worker)``, with code before
        (set-up) and after it (tear-down, run once the worker has shut down,
        whether it stopped normally, failed or was cancelled)."""

    @abc.abstractmethod
    def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
        """Return the options of the replayer being made, changed or not
        (e.g. the workflows, data converter or interceptors the matching
        :meth:`configure_worker` gives a worker, so that its histories
        replay). Called once per replayer, in the plugins' order, before the
        options are checked: an option a plugin sets is checked (and refused)
        as if given to ``Replayer``; a key a plugin removes takes
        ``Replayer``'s default."""

    @abc.abstractmethod
    def run_replayer(
        self,
        replayer: Replayer,
        histories: ReplayHistories,
        next: Callable[[Replayer, ReplayHistories], ReplayResults],
    ) -> ReplayResults:
        """Return the async context manager of the replay's results: usually
        ``next(replayer, histories)``, entered inside set-up and tear-down
        code (e.g. an ``@asynccontextmanager`` that does ``async with
        next(replayer, histories) as results: yield results``). Its code
        after ``next`` runs once the replay worker has shut down (the
        caller's ``async with`` block left)."""
