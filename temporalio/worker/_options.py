"""Worker option types the official SDK has: poller behaviors and the
shared state manager (which this SDK does not need)."""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass
from typing import Any, Optional, Union

__all__ = [
    "PollerBehavior",
    "PollerBehaviorAutoscaling",
    "PollerBehaviorSimpleMaximum",
    "SharedStateManager",
    "UnsandboxedWorkflowRunner",
    "WorkflowRunner",
]


@dataclass(frozen=True)
class PollerBehaviorSimpleMaximum:
    """Poll while a slot is free, with at most ``maximum`` polls open at
    once (the ``max_concurrent_*_task_polls`` options say the same)."""

    maximum: int = 5


@dataclass(frozen=True)
class PollerBehaviorAutoscaling:
    """Scale the number of polls from the server's feedback, between
    ``minimum`` and ``maximum``, starting at ``initial`` (the official SDK's
    option). This SDK has no autoscaling poller yet: :class:`Worker` refuses
    it with :class:`NotImplementedError` rather than poll differently."""

    minimum: int = 1
    maximum: int = 100
    initial: int = 5


PollerBehavior = Union[PollerBehaviorSimpleMaximum, PollerBehaviorAutoscaling]
"""How a worker polls one kind of task."""


class SharedStateManager:
    """Accepted for code written for the official SDK, which needs one (made
    from a ``multiprocessing.Manager``) to run sync activities in a process
    pool. This SDK does not: process-pool activities reach the worker
    (heartbeats, cancellation, ``info()``) through a Unix socket the worker
    owns, so ``Worker(shared_state_manager=...)`` is accepted and unused, and
    the manager's server process is not used either."""

    @staticmethod
    def create_from_multiprocessing(
        mgr: Any,
        queue_poller_executor: Optional[concurrent.futures.Executor] = None,
    ) -> "SharedStateManager":
        """A manager for ``Worker(shared_state_manager=...)`` from a
        ``multiprocessing.managers.SyncManager`` (usually
        ``multiprocessing.Manager()``), as in the official SDK. Neither
        argument is used (see the class doc); nothing is started."""
        return SharedStateManager()


class WorkflowRunner:
    """The official SDK's base of workflow runners (``Worker(workflow_runner=
    ...)``). This SDK's runners are not pluggable: the only one it accepts is
    :class:`UnsandboxedWorkflowRunner`, which is what it always does."""


class UnsandboxedWorkflowRunner(WorkflowRunner):
    """Runs workflows in the worker's own interpreter, with no sandbox: what
    this SDK's worker always does. ``Worker(workflow_runner=
    UnsandboxedWorkflowRunner())`` and ``unsandboxed_workflow_runner=
    UnsandboxedWorkflowRunner()`` (common in code written for the official
    SDK, e.g. for pydantic models) are accepted and change nothing; any other
    runner (e.g. the official sandboxed one) is refused by :class:`Worker`."""
