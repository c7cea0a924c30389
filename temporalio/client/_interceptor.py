"""Client interceptors: one input dataclass per client operation, the
:class:`OutboundInterceptor` link and the :class:`Interceptor` that makes one,
and how ``Client(..., interceptors=[...])`` builds its chain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    List,
    Mapping,
    Optional,
    Sequence,
    Type,
    Union,
)

from temporalio._checks import _check_list, _describe
from temporalio.client._lazy import (
    _ActivityOutboundMixin,
    _ScheduleOutboundMixin,
    _UpdateOutboundMixin,
)
from temporalio.common import (
    Priority,
    QueryRejectCondition,
    RetryPolicy,
    TypedSearchAttributes,
    VersioningOverride,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

if TYPE_CHECKING:
    from temporalio.api.common.v1 import Payload
    from temporalio.client._activity import AsyncActivityIDReference
    from temporalio.client._workflow import (
        WorkflowExecutionAsyncIterator,
        WorkflowExecutionCount,
        WorkflowExecutionDescription,
        WorkflowHandle,
        WorkflowHistoryEventAsyncIterator,
        WorkflowHistoryEventFilterType,
    )
    from temporalio.converter import DataConverter


# ---- interceptors -----------------------------------------------------------------------
#
# One input dataclass per client operation. The public methods check the
# caller's arguments, fill in defaults (a uuid4 workflow id, the client's
# default query reject condition) and hand the input to the outermost
# interceptor; the innermost one (_ClientImpl) encodes arguments, builds the
# request and calls the server. An interceptor may change an input (its
# fields are plain attributes) or replace it before calling ``next``.


@dataclass
class StartWorkflowInput:
    """Input of :meth:`OutboundInterceptor.start_workflow` (:meth:`Client.start_workflow`,
    :meth:`Client.execute_workflow`; with ``start_signal``, signal-with-start)."""

    workflow: str
    """Workflow type name."""
    args: Sequence[Any]
    """Workflow arguments (values, encoded by the client's data converter)."""
    id: str
    """Workflow id (the caller's, or a new uuid4)."""
    task_queue: str
    """Task queue of the workflow."""
    execution_timeout: Optional[timedelta] = None
    """Limit of the whole chain of runs."""
    run_timeout: Optional[timedelta] = None
    """Limit of one run."""
    task_timeout: Optional[timedelta] = None
    """Limit of one workflow task."""
    id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE
    """Whether the id of a closed workflow may be used again."""
    id_conflict_policy: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.UNSPECIFIED
    """What to do when a workflow with the id is running."""
    retry_policy: Optional[RetryPolicy] = None
    """Retries of the workflow by the server."""
    cron_schedule: str = ""
    """Cron schedule ("" for none)."""
    memo: Optional[Mapping[str, Any]] = None
    """Memo (values, encoded by the client's data converter)."""
    search_attributes: Union[None, Mapping[str, Any], TypedSearchAttributes] = None
    """Search attributes: name to a value or a list of values, or typed
    (:class:`~temporalio.common.TypedSearchAttributes`); always JSON."""
    headers: Mapping[str, "Payload"] = field(default_factory=dict)
    """Headers sent in the request's ``header`` field, as given (no codec
    applied). Empty unless an interceptor sets them."""
    start_signal: Optional[str] = None
    """Signal to send with the start (SignalWithStartWorkflowExecution)."""
    start_signal_args: Sequence[Any] = field(default_factory=list)
    """Arguments of ``start_signal``."""
    ret_type: Optional[Type[Any]] = None
    """Result type hint that the returned handle's ``result()`` decodes into."""
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta] = None
    """Timeout of this gRPC call as a whole, retries included."""
    start_delay: Optional[timedelta] = None
    """Wait this long before the first workflow task (not with ``cron_schedule``)."""
    static_summary: Optional[str] = None
    """One-line summary shown by the UI/CLI (user metadata)."""
    static_details: Optional[str] = None
    """Longer details shown by the UI/CLI (user metadata)."""
    priority: Priority = Priority.default
    """Priority of the workflow's tasks."""
    request_eager_start: bool = False
    """The official SDK's request for the first workflow task in the start
    response, for a workflow worker sharing the client. Accepted and not
    sent: this SDK has no workflow worker to take the task yet."""
    versioning_override: Optional[VersioningOverride] = None
    """Override of the workflow's versioning behavior."""


@dataclass
class CancelWorkflowInput:
    """Input of :meth:`OutboundInterceptor.cancel_workflow` (:meth:`WorkflowHandle.cancel`)."""

    id: str
    """Workflow id."""
    run_id: Optional[str]
    """Run to cancel; None: the latest."""
    first_execution_run_id: Optional[str] = None
    """Limit the cancel to the chain of runs started by this run."""
    reason: str = ""
    """Why (recorded in history)."""
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta] = None
    """Timeout of this gRPC call as a whole, retries included."""


@dataclass
class DescribeWorkflowInput:
    """Input of :meth:`OutboundInterceptor.describe_workflow` (:meth:`WorkflowHandle.describe`)."""

    id: str
    """Workflow id."""
    run_id: Optional[str]
    """Run to describe; None: the latest."""
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta] = None
    """Timeout of this gRPC call as a whole, retries included."""


@dataclass
class GetWorkflowResultInput:
    """Input of :meth:`OutboundInterceptor.get_workflow_result` (:meth:`WorkflowHandle.result`).

    One call per ``result()``: the implementation long-polls the history for
    the close event and follows runs itself, so an interceptor sees the
    whole wait and the decoded result (or the raised error).
    """

    id: str
    """Workflow id."""
    run_id: Optional[str]
    """Run to start from (the handle's ``result_run_id``); None: the latest."""
    follow_runs: bool = True
    """Follow continue-as-new, retries and cron runs to the last one."""
    ret_type: Optional[Type[Any]] = None
    """Type hint the result is decoded into."""
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    """Headers of each history poll."""
    rpc_timeout: Optional[timedelta] = None
    """Timeout of each history poll (default 70 s), not of the wait."""


@dataclass
class QueryWorkflowInput:
    """Input of :meth:`OutboundInterceptor.query_workflow` (:meth:`WorkflowHandle.query`)."""

    id: str
    """Workflow id."""
    run_id: Optional[str]
    """Run to query; None: the latest."""
    query: str
    """Query name."""
    args: Sequence[Any] = field(default_factory=list)
    """Query arguments (values, encoded by the client's data converter)."""
    reject_condition: Optional[QueryRejectCondition] = None
    """The query's own condition, else the client's
    ``default_workflow_query_reject_condition``; None: the server's default."""
    headers: Mapping[str, "Payload"] = field(default_factory=dict)
    """Headers sent in the query's ``header`` field, as given (no codec applied)."""
    ret_type: Optional[Type[Any]] = None
    """Type hint the answer is decoded into."""
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta] = None
    """Timeout of this gRPC call as a whole, retries included."""


@dataclass
class SignalWorkflowInput:
    """Input of :meth:`OutboundInterceptor.signal_workflow` (:meth:`WorkflowHandle.signal`)."""

    id: str
    """Workflow id."""
    run_id: Optional[str]
    """Run to signal; None: the latest."""
    signal: str
    """Signal name."""
    args: Sequence[Any] = field(default_factory=list)
    """Signal arguments (values, encoded by the client's data converter)."""
    headers: Mapping[str, "Payload"] = field(default_factory=dict)
    """Headers sent in the request's ``header`` field, as given (no codec applied)."""
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta] = None
    """Timeout of this gRPC call as a whole, retries included."""


@dataclass
class TerminateWorkflowInput:
    """Input of :meth:`OutboundInterceptor.terminate_workflow` (:meth:`WorkflowHandle.terminate`)."""

    id: str
    """Workflow id."""
    run_id: Optional[str]
    """Run to terminate; None: the latest."""
    first_execution_run_id: Optional[str] = None
    """Limit the termination to the chain of runs started by this run."""
    args: Sequence[Any] = field(default_factory=list)
    """Details recorded with the termination (encoded by the client's data converter)."""
    reason: Optional[str] = None
    """Why (recorded in history)."""
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta] = None
    """Timeout of this gRPC call as a whole, retries included."""


@dataclass
class ListWorkflowsInput:
    """Input of :meth:`OutboundInterceptor.list_workflows` (:meth:`Client.list_workflows`)."""

    query: Optional[str]
    """Visibility list filter (None: all workflows)."""
    page_size: int
    """Most executions per page."""
    next_page_token: Optional[bytes]
    """Page to start at (None: the first)."""
    rpc_metadata: Mapping[str, Union[str, bytes]]
    """Headers of each gRPC call."""
    rpc_timeout: Optional[timedelta]
    """Timeout of each gRPC call as a whole, retries included."""
    limit: Optional[int] = None
    """Most executions the iterator yields (None: all)."""


@dataclass
class CountWorkflowsInput:
    """Input of :meth:`OutboundInterceptor.count_workflows` (:meth:`Client.count_workflows`)."""

    query: Optional[str]
    """Visibility filter (None: all workflows); may end in ``GROUP BY``."""
    rpc_metadata: Mapping[str, Union[str, bytes]]
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta]
    """Timeout of this gRPC call as a whole, retries included."""


@dataclass
class FetchWorkflowHistoryEventsInput:
    """Input of :meth:`OutboundInterceptor.fetch_workflow_history_events`
    (:meth:`WorkflowHandle.fetch_history_events`, :meth:`WorkflowHandle.fetch_history`)."""

    id: str
    """Workflow id."""
    run_id: Optional[str]
    """Run whose history is read; None: the latest."""
    page_size: Optional[int]
    """Most events per page (None: the server's default)."""
    next_page_token: Optional[bytes]
    """Page to start at (None: the first)."""
    wait_new_event: bool
    """Long-poll: wait for events not yet in the history instead of ending."""
    event_filter_type: "WorkflowHistoryEventFilterType"
    """All events, or only the close event."""
    skip_archival: bool
    """Do not read archived history."""
    rpc_metadata: Mapping[str, Union[str, bytes]]
    """Headers of each gRPC call."""
    rpc_timeout: Optional[timedelta]
    """Timeout of each gRPC call as a whole, retries included."""


@dataclass
class HeartbeatAsyncActivityInput:
    """Input of :meth:`OutboundInterceptor.heartbeat_async_activity`
    (:meth:`AsyncActivityHandle.heartbeat`)."""

    id_or_token: Union["AsyncActivityIDReference", bytes]
    """The activity: its ids or its task token."""
    details: Sequence[Any]
    """Heartbeat details (values, encoded by the client's data converter)."""
    rpc_metadata: Mapping[str, Union[str, bytes]]
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta]
    """Timeout of this gRPC call as a whole, retries included."""
    data_converter_override: Optional["DataConverter"] = None
    """The converter to use instead of the client's (None: the client's)."""


@dataclass
class CompleteAsyncActivityInput:
    """Input of :meth:`OutboundInterceptor.complete_async_activity`
    (:meth:`AsyncActivityHandle.complete`)."""

    id_or_token: Union["AsyncActivityIDReference", bytes]
    """The activity: its ids or its task token."""
    result: Any
    """The activity's result (a value, encoded by the client's data converter)."""
    rpc_metadata: Mapping[str, Union[str, bytes]]
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta]
    """Timeout of this gRPC call as a whole, retries included."""
    data_converter_override: Optional["DataConverter"] = None
    """The converter to use instead of the client's (None: the client's)."""


@dataclass
class FailAsyncActivityInput:
    """Input of :meth:`OutboundInterceptor.fail_async_activity`
    (:meth:`AsyncActivityHandle.fail`)."""

    id_or_token: Union["AsyncActivityIDReference", bytes]
    """The activity: its ids or its task token."""
    error: Exception
    """The failure (converted by the client's data converter)."""
    last_heartbeat_details: Sequence[Any]
    """Heartbeat details recorded with the failure."""
    rpc_metadata: Mapping[str, Union[str, bytes]]
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta]
    """Timeout of this gRPC call as a whole, retries included."""
    data_converter_override: Optional["DataConverter"] = None
    """The converter to use instead of the client's (None: the client's)."""


@dataclass
class ReportCancellationAsyncActivityInput:
    """Input of :meth:`OutboundInterceptor.report_cancellation_async_activity`
    (:meth:`AsyncActivityHandle.report_cancellation`)."""

    id_or_token: Union["AsyncActivityIDReference", bytes]
    """The activity: its ids or its task token."""
    details: Sequence[Any]
    """Cancellation details."""
    rpc_metadata: Mapping[str, Union[str, bytes]]
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta]
    """Timeout of this gRPC call as a whole, retries included."""
    data_converter_override: Optional["DataConverter"] = None
    """The converter to use instead of the client's (None: the client's)."""


class OutboundInterceptor(_ScheduleOutboundMixin, _UpdateOutboundMixin, _ActivityOutboundMixin):
    """One link of a client's interceptor chain: one async method per client
    operation, each delegating to :attr:`next` unless overridden.

    Subclass it and override the operations to observe or change; call
    ``await super().<operation>(input)`` (or ``self.next.<operation>(input)``)
    to go on down the chain. Raising instead makes the caller's call raise
    that error, and no request is sent.
    """

    def __init__(self, next: "OutboundInterceptor") -> None:
        self.next = next
        """The next link (the innermost one talks to the server)."""

    async def start_workflow(self, input: StartWorkflowInput) -> "WorkflowHandle[Any, Any]":
        """Called by :meth:`Client.start_workflow` (and ``execute_workflow``)."""
        return await self.next.start_workflow(input)

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        """Called by :meth:`WorkflowHandle.cancel`."""
        await self.next.cancel_workflow(input)

    async def describe_workflow(
        self, input: DescribeWorkflowInput
    ) -> "WorkflowExecutionDescription":
        """Called by :meth:`WorkflowHandle.describe`."""
        return await self.next.describe_workflow(input)

    async def get_workflow_result(self, input: GetWorkflowResultInput) -> Any:
        """Called by :meth:`WorkflowHandle.result` (and ``execute_workflow``):
        returns the decoded result or raises what ``result()`` raises."""
        return await self.next.get_workflow_result(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        """Called by :meth:`WorkflowHandle.query`."""
        return await self.next.query_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        """Called by :meth:`WorkflowHandle.signal`."""
        await self.next.signal_workflow(input)

    async def terminate_workflow(self, input: TerminateWorkflowInput) -> None:
        """Called by :meth:`WorkflowHandle.terminate`."""
        await self.next.terminate_workflow(input)

    def list_workflows(self, input: ListWorkflowsInput) -> "WorkflowExecutionAsyncIterator":
        """Called by :meth:`Client.list_workflows`: returns the iterator (no call yet)."""
        return self.next.list_workflows(input)

    async def count_workflows(self, input: CountWorkflowsInput) -> "WorkflowExecutionCount":
        """Called by :meth:`Client.count_workflows`."""
        return await self.next.count_workflows(input)

    def fetch_workflow_history_events(
        self, input: FetchWorkflowHistoryEventsInput
    ) -> "WorkflowHistoryEventAsyncIterator":
        """Called by :meth:`WorkflowHandle.fetch_history_events` (and
        ``fetch_history``): returns the iterator (no call yet)."""
        return self.next.fetch_workflow_history_events(input)

    async def heartbeat_async_activity(self, input: HeartbeatAsyncActivityInput) -> None:
        """Called by :meth:`AsyncActivityHandle.heartbeat`."""
        await self.next.heartbeat_async_activity(input)

    async def complete_async_activity(self, input: CompleteAsyncActivityInput) -> None:
        """Called by :meth:`AsyncActivityHandle.complete`."""
        await self.next.complete_async_activity(input)

    async def fail_async_activity(self, input: FailAsyncActivityInput) -> None:
        """Called by :meth:`AsyncActivityHandle.fail`."""
        await self.next.fail_async_activity(input)

    async def report_cancellation_async_activity(
        self, input: ReportCancellationAsyncActivityInput
    ) -> None:
        """Called by :meth:`AsyncActivityHandle.report_cancellation`."""
        await self.next.report_cancellation_async_activity(input)


class Interceptor:
    """A client interceptor: ``Client(..., interceptors=[MyInterceptor()])``.

    :meth:`intercept_client` is called once, when the client is built, with
    the link it must wrap; the default returns it unchanged. A plain callable
    ``(next: OutboundInterceptor) -> OutboundInterceptor`` (for instance an
    :class:`OutboundInterceptor` subclass) may be listed instead.
    """

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Return the link that wraps ``next`` (default: ``next`` itself)."""
        return next


ClientInterceptor = Union[Interceptor, Callable[[OutboundInterceptor], OutboundInterceptor]]
"""What ``interceptors=[...]`` accepts."""


def _check_interceptors(interceptors: Any) -> List[Any]:
    """The interceptors as a list; a wrong item raises TypeError naming its position."""
    items = list(
        _check_list(
            interceptors,
            "interceptors",
            "a list of temporalio.client.Interceptor (or callables (next) -> OutboundInterceptor)",
        )
    )
    for i, item in enumerate(items):
        if isinstance(item, type):
            if issubclass(item, OutboundInterceptor):
                continue  # the class is a factory: cls(next)
            if issubclass(item, Interceptor) or hasattr(item, "intercept_client"):
                raise TypeError(
                    f"interceptors[{i}] is the class {item.__name__}, not an instance: "
                    f"write {item.__name__}()"
                )
        elif callable(getattr(item, "intercept_client", None)) or callable(item):
            continue
        raise TypeError(
            f"interceptors[{i}] is a {_describe(item)}, not a temporalio.client.Interceptor "
            "nor a callable (next: OutboundInterceptor) -> OutboundInterceptor"
        )
    return items


def _build_chain(items: List[Any], innermost: OutboundInterceptor) -> OutboundInterceptor:
    """Wrap ``innermost`` in ``items``, the first one outermost."""
    chain = innermost
    for i in reversed(range(len(items))):
        item = items[i]
        wrap = getattr(item, "intercept_client", None)
        if isinstance(item, type) or not callable(wrap):
            wrap = item
        link = wrap(chain)
        if not isinstance(link, OutboundInterceptor):
            raise TypeError(
                f"interceptors[{i}] ({_describe(item)}) returned a {type(link).__name__}, "
                "not a temporalio.client.OutboundInterceptor"
            )
        chain = link
    return chain
