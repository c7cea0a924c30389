"""Workers: poll a task queue and run the activities and workflows registered
on it; :class:`Replayer` replays workflow histories without a server.

``Worker(client, task_queue=..., activities={...}, interceptors=[...])``;
see :class:`Worker`, for interceptors :class:`Interceptor`, and for plugins
:class:`Plugin`.
"""

from temporalio.worker import _options
from temporalio.worker._interceptor import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)
from temporalio.worker._options import *  # noqa: F403  (its __all__, added below)
from temporalio.worker._plugin import Plugin
from temporalio.worker._replayer import (
    Replayer,
    ReplayerConfig,
    WorkflowReplayResult,
    WorkflowReplayResults,
)
from temporalio.worker._worker import Worker, WorkerConfig

__all__ = [
    "Worker",
    "WorkerConfig",
    "Plugin",
    "Replayer",
    "ReplayerConfig",
    "WorkflowReplayResult",
    "WorkflowReplayResults",
    "Interceptor",
    "ActivityInboundInterceptor",
    "ActivityOutboundInterceptor",
    "ExecuteActivityInput",
]
# The official options' types, as their module lists them.
__all__ += _options.__all__
