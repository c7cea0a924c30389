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
from temporalio.activity import ActivityCancellationDetails  # re-exported as the official SDK does
from temporalio.client import _schedule
from temporalio.client._activity import AsyncActivityHandle, AsyncActivityIDReference
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
from temporalio.client._client import Client, ClientConfig, ServiceClientProtocol
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
from temporalio.client._schedule import *  # noqa: F403  (its __all__, added below)
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
    QueryRejectCondition,
    RetryPolicy,
    WorkflowExecutionStatus,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.converter import (  # re-exported as the official SDK does
    ActivitySerializationContext,
    DataConverter,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
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
    # standalone activities
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
    # re-exported from temporalio.activity, temporalio.converter and temporalio.service
    "ActivityCancellationDetails",
    "DataConverter",
    "ConnectConfig",
    "KeepAliveConfig",
    "RetryConfig",
    "RPCError",
    "RPCStatusCode",
    "ServiceClient",
    "TLSConfig",
    "SerializationContext",
    "WorkflowSerializationContext",
    "ActivitySerializationContext",
    "WithSerializationContext",
]
# The schedule names, as their module lists them.
__all__ += _schedule.__all__
