"""Workers: poll a task queue and run the activities registered on it.

``Worker(client, task_queue=..., activities={...}, interceptors=[...])``;
see :class:`Worker` and, for interceptors, :class:`Interceptor`.
"""

from temporalio.worker._interceptor import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)
from temporalio.worker._options import (
    PollerBehavior,
    PollerBehaviorAutoscaling,
    PollerBehaviorSimpleMaximum,
    SharedStateManager,
    UnsandboxedWorkflowRunner,
    WorkflowRunner,
)
from temporalio.worker._worker import Worker

__all__ = [
    "Worker",
    "Interceptor",
    "ActivityInboundInterceptor",
    "ActivityOutboundInterceptor",
    "ExecuteActivityInput",
    "PollerBehavior",
    "PollerBehaviorAutoscaling",
    "PollerBehaviorSimpleMaximum",
    "SharedStateManager",
    "UnsandboxedWorkflowRunner",
    "WorkflowRunner",
]
