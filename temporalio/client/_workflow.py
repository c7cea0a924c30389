"""Workflow handles and descriptions: :class:`WorkflowHandle` (the
operations on one workflow, each through the client's interceptors) and
:class:`WorkflowExecutionDescription`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Generic,
    Mapping,
    Optional,
    Type,
    TypeVar,
    Union,
)

from temporalio._checks import _check_enum, _check_rpc_options, _check_str, _check_type
from temporalio.client._interceptor import (
    CancelWorkflowInput,
    DescribeWorkflowInput,
    GetWorkflowResultInput,
    QueryWorkflowInput,
    SignalWorkflowInput,
    TerminateWorkflowInput,
)
from temporalio.client._update import _UpdateWorkflowHandleMixin
from temporalio.common import QueryRejectCondition, WorkflowExecutionStatus

if TYPE_CHECKING:
    from temporalio.api.workflow.v1 import WorkflowExecutionInfo
    from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionResponse
    from temporalio.client._client import Client

ReturnType = TypeVar("ReturnType")


class WorkflowHandle(_UpdateWorkflowHandleMixin, Generic[ReturnType]):
    """A workflow execution: made by :meth:`Client.start_workflow` or
    :meth:`Client.get_workflow_handle`.

    :attr:`run_id` (when set) pins every operation to one run; a handle from
    ``start_workflow`` has none (operations target the latest run) but its
    :attr:`result_run_id` is the started run and :attr:`first_execution_run_id`
    ties cancel and terminate to that chain of runs.
    """

    def __init__(
        self,
        client: Client,
        id: str,
        *,
        run_id: Optional[str] = None,
        result_run_id: Optional[str] = None,
        first_execution_run_id: Optional[str] = None,
        result_type: Optional[Type[Any]] = None,
    ) -> None:
        self._client = client
        self._id = id
        self._run_id = run_id
        self._result_run_id = result_run_id
        self._first_execution_run_id = first_execution_run_id
        self._result_type = result_type

    @property
    def id(self) -> str:
        """Workflow id."""
        return self._id

    @property
    def run_id(self) -> Optional[str]:
        """Run every operation targets; None: the latest run."""
        return self._run_id

    @property
    def result_run_id(self) -> Optional[str]:
        """Run :meth:`result` starts from (the started run for a handle from
        ``start_workflow``); None: the latest run."""
        return self._result_run_id

    @property
    def first_execution_run_id(self) -> Optional[str]:
        """First run of the chain that cancel and terminate are limited to."""
        return self._first_execution_run_id

    @property
    def client(self) -> Client:
        """The client whose interceptors this handle's calls go through."""
        return self._client

    def __repr__(self) -> str:
        return f"WorkflowHandle(id={self._id!r}, run_id={self._run_id!r})"

    async def result(
        self,
        *,
        follow_runs: bool = True,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ReturnType:
        """Wait for the workflow to close; return its result.

        Not memoized: each call asks the server (a long poll of the history
        for the close event). With ``follow_runs`` (the default) runs that
        continued as new, were retried or were cron-scheduled are followed to
        the last one; otherwise a continue-as-new raises
        :class:`WorkflowContinuedAsNewError`. ``rpc_timeout`` bounds each poll
        (default 70 s; each poll is one call, retries included), not the wait.

        Raises :class:`WorkflowFailureError` if the workflow failed (cause: the
        converted failure, e.g. ``ApplicationError``), was cancelled (cause
        ``CancelledError``), terminated (``TerminatedError``) or timed out
        (``TimeoutError``). Goes through :meth:`OutboundInterceptor.get_workflow_result`
        (once per call, whatever the runs followed).
        """
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return await self._client._impl.get_workflow_result(  # type: ignore[no-any-return]
            GetWorkflowResultInput(
                id=self._id,
                run_id=self._result_run_id,
                follow_runs=follow_runs,
                ret_type=self._result_type,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def cancel(
        self,
        *,
        reason: str = "",
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Ask the workflow to cancel (it decides how; :meth:`result` then
        raises with cause ``CancelledError`` if it accepts).

        A missing workflow raises :class:`~temporalio.service.NotFoundError`.
        Goes through :meth:`OutboundInterceptor.cancel_workflow`.
        ``rpc_timeout`` bounds the call as a whole, retries included.
        """
        _check_type(reason, str, "reason", "a str")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.cancel_workflow(
            CancelWorkflowInput(
                id=self._id,
                run_id=self._run_id,
                first_execution_run_id=self._first_execution_run_id,
                reason=reason,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def describe(
        self,
        *,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> "WorkflowExecutionDescription":
        """The workflow's status and other facts, as the server has them now
        (the whole response is its ``raw_description``). Goes through
        :meth:`OutboundInterceptor.describe_workflow`. ``rpc_timeout`` bounds
        the call as a whole, retries included."""
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return await self._client._impl.describe_workflow(
            DescribeWorkflowInput(
                id=self._id, run_id=self._run_id, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout
            )
        )

    async def query(
        self,
        name: str,
        *args: Any,
        reject_condition: Optional[QueryRejectCondition] = None,
        result_type: Optional[Type[Any]] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> Any:
        """Run query ``name`` with ``args`` on the workflow; return its decoded value.

        ``reject_condition`` defaults to the client's
        ``default_workflow_query_reject_condition`` (None: the server's
        default, never reject). Raises :class:`WorkflowQueryFailedError` if
        the query has no handler or its handler failed,
        :class:`WorkflowQueryRejectedError` if the reject condition matched
        the workflow's status. Goes through :meth:`OutboundInterceptor.query_workflow`.
        ``rpc_timeout`` bounds the call as a whole, retries included.
        """
        _check_str(name, "query name")
        if reject_condition is not None:
            reject_condition = _check_enum(QueryRejectCondition, reject_condition, "reject_condition")
        else:
            reject_condition = self._client.default_workflow_query_reject_condition
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return await self._client._impl.query_workflow(
            QueryWorkflowInput(
                id=self._id,
                run_id=self._run_id,
                query=name,
                args=list(args),
                reject_condition=reject_condition,
                headers={},
                ret_type=result_type,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def signal(
        self,
        name: str,
        *args: Any,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Send signal ``name`` with ``args`` to the workflow. Goes through
        :meth:`OutboundInterceptor.signal_workflow`. ``rpc_timeout`` bounds the
        call as a whole, retries included."""
        _check_str(name, "signal name")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.signal_workflow(
            SignalWorkflowInput(
                id=self._id,
                run_id=self._run_id,
                signal=name,
                args=list(args),
                headers={},
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def terminate(
        self,
        *args: Any,
        reason: Optional[str] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Terminate the workflow at once (its code is not told); ``args`` are
        recorded as details. :meth:`result` then raises with cause ``TerminatedError``.

        A missing workflow raises :class:`~temporalio.service.NotFoundError`.
        Goes through :meth:`OutboundInterceptor.terminate_workflow`.
        ``rpc_timeout`` bounds the call as a whole, retries included.
        """
        _check_type(reason, str, "reason", "a str", optional=True)
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.terminate_workflow(
            TerminateWorkflowInput(
                id=self._id,
                run_id=self._run_id,
                first_execution_run_id=self._first_execution_run_id,
                args=list(args),
                reason=reason,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )


def _utc(ts: Any) -> datetime:
    return ts.ToDatetime().replace(tzinfo=timezone.utc)


def _utc_if_set(msg: Any, field_name: str) -> Optional[datetime]:
    return _utc(getattr(msg, field_name)) if msg.HasField(field_name) else None


@dataclass
class WorkflowExecutionDescription:
    """One run of a workflow as :meth:`WorkflowHandle.describe` found it."""

    id: str
    """Workflow id."""
    run_id: str
    """Run id."""
    workflow_type: str
    """Workflow type name."""
    task_queue: str
    """Task queue of the workflow."""
    status: Optional[WorkflowExecutionStatus]
    """Status (None if the server did not say)."""
    start_time: Optional[datetime]
    """When the run was created (UTC)."""
    execution_time: Optional[datetime]
    """When the run started or will start (after a start delay, a retry backoff or a cron wait)."""
    close_time: Optional[datetime]
    """When the run closed, if it did."""
    history_length: int
    """Events in the run's history."""
    namespace: str
    """Namespace of the workflow."""
    parent_id: Optional[str]
    """Parent workflow id, if a child workflow."""
    parent_run_id: Optional[str]
    """Parent run id, if a child workflow."""
    search_attributes: Mapping[str, Any]
    """Search attributes, decoded (name to value)."""
    raw_info: "WorkflowExecutionInfo"
    """``workflow_execution_info`` of the response."""
    raw_description: "DescribeWorkflowExecutionResponse"
    """The whole DescribeWorkflowExecution response."""
    _client: Client = field(repr=False, compare=False)

    @staticmethod
    async def _from_response(resp: Any, client: Client) -> "WorkflowExecutionDescription":
        from temporalio.converter import DataConverter

        info = resp.workflow_execution_info
        search_attributes: Dict[str, Any] = {}
        for key, payload in info.search_attributes.indexed_fields.items():
            (search_attributes[key],) = await DataConverter.default.decode([payload])
        parent = info.parent_execution if info.HasField("parent_execution") else None
        return WorkflowExecutionDescription(
            id=info.execution.workflow_id,
            run_id=info.execution.run_id,
            workflow_type=info.type.name,
            task_queue=info.task_queue,
            status=WorkflowExecutionStatus(info.status) if info.status else None,
            start_time=_utc_if_set(info, "start_time"),
            execution_time=_utc_if_set(info, "execution_time"),
            close_time=_utc_if_set(info, "close_time"),
            history_length=info.history_length,
            namespace=client.namespace,
            parent_id=parent.workflow_id if parent is not None else None,
            parent_run_id=parent.run_id if parent is not None else None,
            search_attributes=search_attributes,
            raw_info=info,
            raw_description=resp,
            _client=client,
        )

    async def memo(self) -> Dict[str, Any]:
        """The memo, decoded with the client's converter."""
        out: Dict[str, Any] = {}
        for key, payload in self.raw_info.memo.fields.items():
            (out[key],) = await self._client._decode([payload], None, f"memo {key!r}")
        return out
