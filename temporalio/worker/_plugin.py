"""Worker plugins: :class:`Plugin` (the official SDK's
``temporalio.worker.Plugin``)."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, Awaitable, Callable

if TYPE_CHECKING:
    from temporalio.worker._worker import Worker, WorkerConfig


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

    :meth:`configure_replayer` and :meth:`run_replayer` are abstract here as
    in the official SDK, so that plugins written for it are complete here,
    but they are not called yet: this SDK has no
    ``temporalio.worker.Replayer`` (workflow replay from histories) yet.
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
    def configure_replayer(self, config: Any) -> Any:
        """The official SDK's hook for a ``Replayer``'s options (a
        ``ReplayerConfig``); not called by this SDK yet (no ``Replayer``)."""

    @abc.abstractmethod
    def run_replayer(self, replayer: Any, histories: Any, next: Callable[..., Any]) -> Any:
        """The official SDK's hook wrapping a ``Replayer``'s run (returns an
        async context manager of the replay results); not called by this SDK
        yet (no ``Replayer``)."""
