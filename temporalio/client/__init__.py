"""The Temporal client: connect, start and drive workflows.

Every workflow operation of :class:`Client` and :class:`WorkflowHandle` goes
through a chain of :class:`OutboundInterceptor` objects (one async method and
one input dataclass per operation) ending in the implementation that talks to
the server; ``Client(..., interceptors=[...])`` puts yours in front of it.
A client takes its connection as any :class:`ServiceClientProtocol` object: a
:class:`~temporalio.service.ServiceClient`, or a test double.

Importing this module loads no protobuf module and not the extension; they
load on the first connect (request messages are imported inside the methods
that build them). Nor does it load asyncio, the converters, or the modules of
schedules, standalone activities and updates: their names here, and their
methods on :class:`Client`, :class:`OutboundInterceptor` and
:class:`WorkflowHandle`, load them on first use.
"""

# The package's modules, by concern (none loads protobuf), as the official
# SDK's temporalio/client/ is laid out: _client (Client), _impl (the
# innermost link: requests to the server), _interceptor (interceptors and
# their inputs), _workflow (handles and descriptions), _exceptions. The
# public names are re-exported here; their home modules are private, so
# classes may move between them.
from typing import TYPE_CHECKING, Dict, Tuple

from temporalio._exports import lazy_exports
from temporalio.client._activity import AsyncActivityHandle, AsyncActivityIDReference
from temporalio.client._client import (
    Client,
    ClientConfig,
    ClientConnectConfig,
    ServiceClientProtocol,
)
from temporalio.client._exceptions import (
    ActivityFailureError,
    AsyncActivityCancelledError,
    NexusOperationFailureError,
    WorkflowAlreadyStartedError,
    WorkflowContinuedAsNewError,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.client._interceptor import (
    CancelWorkflowInput,
    ClientInterceptor,
    CompleteAsyncActivityInput,
    CountWorkflowsInput,
    DescribeWorkflowInput,
    FailAsyncActivityInput,
    FetchWorkflowHistoryEventsInput,
    GetWorkflowResultInput,
    HeartbeatAsyncActivityInput,
    Interceptor,
    ListWorkflowsInput,
    OutboundInterceptor,
    QueryWorkflowInput,
    ReportCancellationAsyncActivityInput,
    SignalWorkflowInput,
    StartWorkflowInput,
    TerminateWorkflowInput,
)
from temporalio.client._plugin import Plugin
from temporalio.client._workflow import (
    WorkflowExecution,
    WorkflowExecutionAsyncIterator,
    WorkflowExecutionCount,
    WorkflowExecutionCountAggregationGroup,
    WorkflowExecutionDescription,
    WorkflowHandle,
    WorkflowHistory,
    WorkflowHistoryEventAsyncIterator,
    WorkflowHistoryEventFilterType,
)
from temporalio.common import (
    HeaderCodecBehavior,
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
    RPCStatusCode,
    ServiceClient,
    TLSConfig,
)

# Loaded on first use (module __getattr__ below): standalone activities,
# schedules and updates define dozens of dataclasses and cost more to import
# than the rest of the client together; temporalio.activity loads asyncio.
# module -> the names re-exported from it
_LAZY_FROM: Dict[str, Tuple[str, ...]] = {
    "temporalio.activity": ("ActivityCancellationDetails",),
    "temporalio.client._activity_execution": (
        "ActivityExecution",
        "ActivityExecutionAsyncIterator",
        "ActivityExecutionCount",
        "ActivityExecutionCountAggregationGroup",
        "ActivityExecutionDescription",
        "ActivityExecutionOptions",
        "ActivityExecutionStatus",
        "ActivityHandle",
        "ActivityOptionsKey",
        "ActivityOptionsKeys",
        "ActivityOptionsUpdate",
        "CancelActivityInput",
        "CountActivitiesInput",
        "DescribeActivityInput",
        "ListActivitiesInput",
        "PauseActivityInput",
        "PendingActivityState",
        "StartActivityInput",
        "TerminateActivityInput",
        "UnpauseActivityInput",
        "UpdateActivityOptionsInput",
    ),
    "temporalio.client._schedule": (
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
    ),
    "temporalio.client._update": (
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
    ),
    "temporalio.converter": (
        "ActivitySerializationContext",
        "DataConverter",
        "SerializationContext",
        "WithSerializationContext",
        "WorkflowSerializationContext",
    ),
}

if TYPE_CHECKING:
    from temporalio.activity import (
        ActivityCancellationDetails,
    )  # re-exported as the official SDK does
    from temporalio.client._activity_execution import (
        ActivityExecution,
        ActivityExecutionAsyncIterator,
        ActivityExecutionCount,
        ActivityExecutionCountAggregationGroup,
        ActivityExecutionDescription,
        ActivityExecutionOptions,
        ActivityExecutionStatus,
        ActivityHandle,
        ActivityOptionsKey,
        ActivityOptionsKeys,
        ActivityOptionsUpdate,
        CancelActivityInput,
        CountActivitiesInput,
        DescribeActivityInput,
        ListActivitiesInput,
        PauseActivityInput,
        PendingActivityState,
        StartActivityInput,
        TerminateActivityInput,
        UnpauseActivityInput,
        UpdateActivityOptionsInput,
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
    from temporalio.converter import (  # re-exported as the official SDK does
        ActivitySerializationContext,
        DataConverter,
        SerializationContext,
        WithSerializationContext,
        WorkflowSerializationContext,
    )

__all__ = [
    # loaded on first use: every name of _LAZY_FROM
    *(name for names in _LAZY_FROM.values() for name in names),
    "Client",
    "ClientConfig",
    "ClientConnectConfig",
    "Plugin",
    "HeaderCodecBehavior",
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
    # listing, counting and histories
    "WorkflowExecution",
    "WorkflowExecutionAsyncIterator",
    "WorkflowExecutionCount",
    "WorkflowExecutionCountAggregationGroup",
    "WorkflowHistory",
    "WorkflowHistoryEventAsyncIterator",
    "WorkflowHistoryEventFilterType",
    "ListWorkflowsInput",
    "CountWorkflowsInput",
    "FetchWorkflowHistoryEventsInput",
    "AsyncActivityHandle",
    "AsyncActivityIDReference",
    "AsyncActivityCancelledError",
    "ActivityFailureError",
    "NexusOperationFailureError",
    "HeartbeatAsyncActivityInput",
    "CompleteAsyncActivityInput",
    "FailAsyncActivityInput",
    "ReportCancellationAsyncActivityInput",
    # re-exported from temporalio.service
    "ConnectConfig",
    "KeepAliveConfig",
    "RetryConfig",
    "RPCError",
    "RPCStatusCode",
    "ServiceClient",
    "TLSConfig",
]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY_FROM)
