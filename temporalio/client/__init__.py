"""The Temporal client: connect, start and drive workflows.

Every workflow operation of :class:`Client` and :class:`WorkflowHandle` goes
through a chain of :class:`OutboundInterceptor` objects (one async method and
one input dataclass per operation) ending in the implementation that talks to
the server; ``Client(..., interceptors=[...])`` puts yours in front of it.
A client takes its connection as any :class:`ServiceClientProtocol` object: a
:class:`~temporalio.service.ServiceClient`, or a test double.

Importing this module loads no protobuf module and not the extension; they
load on the first connect (request messages are imported inside the methods
that build them).
"""

# The package's modules, by concern (none loads protobuf), as the official
# SDK's temporalio/client/ is laid out: _client (Client), _impl (the
# innermost link: requests to the server), _interceptor (interceptors and
# their inputs), _workflow (handles and descriptions), _exceptions. The
# public names are re-exported here; their home modules are private, so
# classes may move between them.
from temporalio.client._client import Client, ClientConfig, ServiceClientProtocol
from temporalio.client._exceptions import (
    WorkflowAlreadyStartedError,
    WorkflowContinuedAsNewError,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.client._interceptor import (
    CancelWorkflowInput,
    ClientInterceptor,
    DescribeWorkflowInput,
    GetWorkflowResultInput,
    Interceptor,
    OutboundInterceptor,
    QueryWorkflowInput,
    SignalWorkflowInput,
    StartWorkflowInput,
    TerminateWorkflowInput,
)
from temporalio.client._schedule import (
    BackfillScheduleInput,
    CreateScheduleInput,
    DeleteScheduleInput,
    DescribeScheduleInput,
    ListSchedulesInput,
    PauseScheduleInput,
    Schedule,
    ScheduleAction,
    ScheduleActionExecution,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionResult,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleAsyncIterator,
    ScheduleBackfill,
    ScheduleCalendarSpec,
    ScheduleDescription,
    ScheduleHandle,
    ScheduleInfo,
    ScheduleIntervalSpec,
    ScheduleListAction,
    ScheduleListActionStartWorkflow,
    ScheduleListDescription,
    ScheduleListInfo,
    ScheduleListSchedule,
    ScheduleListState,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
    TriggerScheduleInput,
    UnpauseScheduleInput,
    UpdateScheduleInput,
)
from temporalio.client._update import (
    RPCTimeoutOrCancelledError,
    StartWorkflowUpdateInput,
    StartWorkflowUpdateWithStartInput,
    UpdateWithStartStartWorkflowInput,
    UpdateWithStartUpdateWorkflowInput,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.client._workflow import WorkflowExecutionDescription, WorkflowHandle
from temporalio.common import (
    QueryRejectCondition,
    RetryPolicy,
    WorkflowExecutionStatus,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.service import (  # importable from here as before (and as in the official SDK)
    ConnectConfig,
    KeepAliveConfig,
    RetryConfig,
    RPCError,
    ServiceClient,
    TLSConfig,
)

__all__ = [
    "Client",
    "ClientConfig",
    "ServiceClientProtocol",
    "WorkflowHandle",
    "WorkflowExecutionDescription",
    "WorkflowExecutionStatus",
    "WorkflowFailureError",
    "WorkflowContinuedAsNewError",
    "WorkflowQueryFailedError",
    "WorkflowQueryRejectedError",
    "WorkflowAlreadyStartedError",
    "RetryPolicy",
    "WorkflowIDReusePolicy",
    "WorkflowIDConflictPolicy",
    "QueryRejectCondition",
    "Interceptor",
    "OutboundInterceptor",
    "StartWorkflowInput",
    "CancelWorkflowInput",
    "DescribeWorkflowInput",
    "GetWorkflowResultInput",
    "QueryWorkflowInput",
    "SignalWorkflowInput",
    "TerminateWorkflowInput",
    # schedules
    "BackfillScheduleInput",
    "CreateScheduleInput",
    "DeleteScheduleInput",
    "DescribeScheduleInput",
    "ListSchedulesInput",
    "PauseScheduleInput",
    "Schedule",
    "ScheduleAction",
    "ScheduleActionExecution",
    "ScheduleActionExecutionStartWorkflow",
    "ScheduleActionResult",
    "ScheduleActionStartWorkflow",
    "ScheduleAlreadyRunningError",
    "ScheduleAsyncIterator",
    "ScheduleBackfill",
    "ScheduleCalendarSpec",
    "ScheduleDescription",
    "ScheduleHandle",
    "ScheduleInfo",
    "ScheduleIntervalSpec",
    "ScheduleListAction",
    "ScheduleListActionStartWorkflow",
    "ScheduleListDescription",
    "ScheduleListInfo",
    "ScheduleListSchedule",
    "ScheduleListState",
    "ScheduleOverlapPolicy",
    "SchedulePolicy",
    "ScheduleRange",
    "ScheduleSpec",
    "ScheduleState",
    "ScheduleUpdate",
    "ScheduleUpdateInput",
    "TriggerScheduleInput",
    "UnpauseScheduleInput",
    "UpdateScheduleInput",
    # workflow updates
    "RPCTimeoutOrCancelledError",
    "StartWorkflowUpdateInput",
    "StartWorkflowUpdateWithStartInput",
    "UpdateWithStartStartWorkflowInput",
    "UpdateWithStartUpdateWorkflowInput",
    "WithStartWorkflowOperation",
    "WorkflowUpdateFailedError",
    "WorkflowUpdateHandle",
    "WorkflowUpdateRPCTimeoutOrCancelledError",
    "WorkflowUpdateStage",
]
