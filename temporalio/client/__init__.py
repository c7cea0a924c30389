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
from temporalio.client._activity import AsyncActivityHandle, AsyncActivityIDReference
from temporalio.client._client import Client, ClientConfig, ServiceClientProtocol
from temporalio.client._exceptions import (
    AsyncActivityCancelledError,
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
    "HeartbeatAsyncActivityInput",
    "CompleteAsyncActivityInput",
    "FailAsyncActivityInput",
    "ReportCancellationAsyncActivityInput",
]
