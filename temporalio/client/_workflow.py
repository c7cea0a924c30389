"""Workflow handles and what the server says of workflows:
:class:`WorkflowHandle` (the operations on one workflow, each through the
client's interceptors), :class:`WorkflowExecution` (one run, as listed) and
:class:`WorkflowExecutionDescription`, counts, histories and the async
iterators of :meth:`Client.list_workflows` and
:meth:`WorkflowHandle.fetch_history_events`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import IntEnum
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Callable,
    Dict,
    Generic,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    Union,
)

from temporalio._checks import (
    _ARG_UNSET,
    _arg_or_args,
    _check_enum,
    _check_positive_int,
    _check_rpc_options,
    _check_type,
    _handler_name,
)
from temporalio.client._interceptor import (
    CancelWorkflowInput,
    DescribeWorkflowInput,
    FetchWorkflowHistoryEventsInput,
    GetWorkflowResultInput,
    ListWorkflowsInput,
    QueryWorkflowInput,
    SignalWorkflowInput,
    TerminateWorkflowInput,
)
from temporalio.client._lazy import _UpdateWorkflowHandleMixin
from temporalio.client._paging import _PagedAsyncIterator, _QueryPagedAsyncIterator
from temporalio.common import (
    QueryRejectCondition,
    SearchAttributeValue,
    TypedSearchAttributes,
    WorkflowExecutionStatus,
    _decode_typed_search_attributes,
)

if TYPE_CHECKING:
    from temporalio.api.history.v1 import HistoryEvent
    from temporalio.api.workflow.v1 import WorkflowExecutionInfo
    from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionResponse
    from temporalio.client._client import Client
    from temporalio.converter import DataConverter

SelfType = TypeVar("SelfType")
ReturnType = TypeVar("ReturnType")


class WorkflowHistoryEventFilterType(IntEnum):
    """Which history events to read (``temporal.api.enums.v1.HistoryEventFilterType``)."""

    ALL_EVENT = 1
    """Every event."""
    CLOSE_EVENT = 2
    """Only the close event (waited for with ``wait_new_event``)."""


class WorkflowHandle(_UpdateWorkflowHandleMixin, Generic[SelfType, ReturnType]):
    """A workflow execution: made by :meth:`Client.start_workflow` or
    :meth:`Client.get_workflow_handle`.

    :attr:`run_id` (when set) pins every operation to one run; a handle from
    ``start_workflow`` has none (operations target the latest run) but its
    :attr:`result_run_id` is the started run and :attr:`first_execution_run_id`
    ties cancel and terminate to that chain of runs.

    Generic as the official SDK's: ``WorkflowHandle[SelfType, ReturnType]``
    (the workflow class and its result type; ``Any`` for untyped use).
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
        start_workflow_response: Optional[Any] = None,
    ) -> None:
        """``start_workflow_response``: the ``StartWorkflowExecutionResponse``
        (or signal-with-start's) the handle came from, kept as the official
        SDK keeps it (this SDK reads nothing from it)."""
        self._client = client
        self._id = id
        self._run_id = run_id
        self._result_run_id = result_run_id
        self._first_execution_run_id = first_execution_run_id
        self._result_type = result_type
        self._start_workflow_response = start_workflow_response

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
        query: Union[str, Callable[..., Any]],
        *arg_values: Any,
        arg: Any = _ARG_UNSET,
        args: Sequence[Any] = (),
        reject_condition: Optional[QueryRejectCondition] = None,
        result_type: Optional[Type[Any]] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> Any:
        """Run query ``query`` (its name, or the ``@workflow.query`` method,
        whose declared result type then applies) on the workflow; return its
        decoded value.

        Arguments go positionally (``query("q", a, b)``), as one ``arg=``
        or as ``args=[...]`` (the official SDK's forms); two forms at once
        raise :class:`TypeError` (also a :class:`ValueError`).

        ``reject_condition`` defaults to the client's
        ``default_workflow_query_reject_condition`` (None: the server's
        default, never reject). Raises :class:`WorkflowQueryFailedError` if
        the query has no handler or its handler failed,
        :class:`WorkflowQueryRejectedError` if the reject condition matched
        the workflow's status. Goes through :meth:`OutboundInterceptor.query_workflow`.
        ``rpc_timeout`` bounds the call as a whole, retries included.
        """
        query, declared_type = _handler_name(query, "query")
        if result_type is None:
            result_type = declared_type
        values = _arg_or_args(arg_values, arg, args, f"query {query!r}")
        if reject_condition is not None:
            reject_condition = _check_enum(
                QueryRejectCondition, reject_condition, "reject_condition"
            )
        else:
            reject_condition = self._client.default_workflow_query_reject_condition
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return await self._client._impl.query_workflow(
            QueryWorkflowInput(
                id=self._id,
                run_id=self._run_id,
                query=query,
                args=values,
                reject_condition=reject_condition,
                headers={},
                ret_type=result_type,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def signal(
        self,
        signal: Union[str, Callable[..., Any]],
        *arg_values: Any,
        arg: Any = _ARG_UNSET,
        args: Sequence[Any] = (),
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Send signal ``signal`` (its name, or the ``@workflow.signal``
        method) to the workflow, its arguments positionally,
        as one ``arg=`` or as ``args=[...]`` (two forms at once raise
        :class:`TypeError`, also a :class:`ValueError`). Goes through
        :meth:`OutboundInterceptor.signal_workflow`. ``rpc_timeout`` bounds the
        call as a whole, retries included."""
        signal, _ = _handler_name(signal, "signal")
        values = _arg_or_args(arg_values, arg, args, f"signal {signal!r}")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.signal_workflow(
            SignalWorkflowInput(
                id=self._id,
                run_id=self._run_id,
                signal=signal,
                args=values,
                headers={},
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def fetch_history(
        self,
        *,
        event_filter_type: WorkflowHistoryEventFilterType = WorkflowHistoryEventFilterType.ALL_EVENT,
        skip_archival: bool = False,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> "WorkflowHistory":
        """The whole history of the run (:attr:`run_id`, else the latest
        run) as it is now: :meth:`fetch_history_events` read to the end.
        A missing workflow raises :class:`~temporalio.service.NotFoundError`."""
        events = [
            event
            async for event in self.fetch_history_events(
                event_filter_type=event_filter_type,
                skip_archival=skip_archival,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        ]
        return WorkflowHistory(workflow_id=self._id, events=events)

    def fetch_history_events(
        self,
        *,
        page_size: Optional[int] = None,
        next_page_token: Optional[bytes] = None,
        wait_new_event: bool = False,
        event_filter_type: WorkflowHistoryEventFilterType = WorkflowHistoryEventFilterType.ALL_EVENT,
        skip_archival: bool = False,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> "WorkflowHistoryEventAsyncIterator":
        """The run's history events (``temporal.api.history.v1.HistoryEvent``)
        as an async iterator, read a page at a time (``page_size`` events
        at most; None: the server's default) from ``next_page_token``.

        No call is made until the first iteration. With ``wait_new_event``
        the iterator waits (long polls) for events not yet written, ending
        at the close event; without, it ends at the history's current end.
        Goes through :meth:`OutboundInterceptor.fetch_workflow_history_events`.
        ``rpc_timeout`` bounds each call (with ``wait_new_event``, default
        70 s per poll, polled again when it passes).
        """
        if page_size is not None:
            _check_positive_int(page_size, "page_size")
        _check_type(next_page_token, bytes, "next_page_token", "bytes", optional=True)
        event_filter_type = _check_enum(
            WorkflowHistoryEventFilterType, event_filter_type, "event_filter_type"
        )
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return self._client._impl.fetch_workflow_history_events(
            FetchWorkflowHistoryEventsInput(
                id=self._id,
                run_id=self._run_id,
                page_size=page_size,
                next_page_token=next_page_token,
                wait_new_event=bool(wait_new_event),
                event_filter_type=event_filter_type,
                skip_archival=bool(skip_archival),
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


def _decode_search_attributes_json(proto: Any) -> Dict[str, Any]:
    """Search attributes as name to value (JSON, whatever the client's converter)."""
    import json

    out: Dict[str, Any] = {}
    for key, payload in proto.indexed_fields.items():
        out[key] = json.loads(payload.data) if payload.data else None
    return out


@dataclass
class WorkflowExecution:
    """One workflow run as :meth:`Client.list_workflows` lists it (and the
    base of :class:`WorkflowExecutionDescription`)."""

    close_time: Optional[datetime]
    """When the run closed, if it did (UTC)."""
    execution_time: Optional[datetime]
    """When the run started or will start (after a start delay, a retry backoff or a cron wait)."""
    history_length: int
    """Events in the run's history."""
    id: str
    """Workflow id."""
    namespace: str
    """Namespace of the workflow."""
    parent_id: Optional[str]
    """Parent workflow id, if a child workflow."""
    parent_run_id: Optional[str]
    """Parent run id, if a child workflow."""
    root_id: Optional[str]
    """Id of the root workflow of its tree of children."""
    root_run_id: Optional[str]
    """Run id of that root workflow."""
    raw_info: "WorkflowExecutionInfo"
    """The ``temporal.api.workflow.v1.WorkflowExecutionInfo``."""
    run_id: str
    """Run id."""
    search_attributes: Mapping[str, Any]
    """Search attributes, decoded (name to value, as the server stores it:
    a value or a list of values). See also :attr:`typed_search_attributes`."""
    start_time: Optional[datetime]
    """When the run was created (UTC)."""
    status: Optional[WorkflowExecutionStatus]
    """Status (None if the server did not say)."""
    task_queue: str
    """Task queue of the workflow."""
    typed_search_attributes: TypedSearchAttributes
    """The search attributes whose payloads carry their type."""
    workflow_type: str
    """Workflow type name."""
    _client: "Client" = field(repr=False, compare=False)

    @classmethod
    def _from_raw_info(cls, info: Any, client: "Client", **more: Any) -> Any:
        parent = info.parent_execution if info.HasField("parent_execution") else None
        root = info.root_execution if info.HasField("root_execution") else None
        return cls(
            close_time=_utc_if_set(info, "close_time"),
            execution_time=_utc_if_set(info, "execution_time"),
            history_length=info.history_length,
            id=info.execution.workflow_id,
            namespace=client.namespace,
            parent_id=parent.workflow_id if parent is not None else None,
            parent_run_id=parent.run_id if parent is not None else None,
            root_id=root.workflow_id if root is not None else None,
            root_run_id=root.run_id if root is not None else None,
            raw_info=info,
            run_id=info.execution.run_id,
            search_attributes=_decode_search_attributes_json(info.search_attributes),
            start_time=_utc_if_set(info, "start_time"),
            status=WorkflowExecutionStatus(info.status) if info.status else None,
            task_queue=info.task_queue,
            typed_search_attributes=_decode_typed_search_attributes(info.search_attributes),
            workflow_type=info.type.name,
            _client=client,
            **more,
        )

    @property
    def data_converter(self) -> "DataConverter":
        """The converter of the client that listed or described the run, in
        the run's WorkflowSerializationContext."""
        return self._client._workflow_converter(self.id)

    async def memo(self) -> Dict[str, Any]:
        """The memo, decoded with the client's converter (no type hints)."""
        out: Dict[str, Any] = {}
        converter = self.data_converter
        for key, payload in self.raw_info.memo.fields.items():
            (out[key],) = await self._client._decode([payload], None, f"memo {key!r}", converter)
        return out

    async def memo_value(
        self, key: str, default: Any = _ARG_UNSET, *, type_hint: Optional[Type[Any]] = None
    ) -> Any:
        """The memo value of ``key`` decoded (into ``type_hint`` if given);
        ``default`` if absent, else :class:`KeyError`."""
        fields = self.raw_info.memo.fields
        if key not in fields:
            if default is _ARG_UNSET:
                raise KeyError(f"Memo does not have a value for key {key}")
            return default
        hints = [type_hint] if type_hint is not None else None
        (value,) = await self._client._decode(
            [fields[key]], hints, f"memo {key!r}", self.data_converter
        )
        return value


@dataclass
class WorkflowExecutionDescription(WorkflowExecution):
    """One run of a workflow as :meth:`WorkflowHandle.describe` found it."""

    raw_description: "DescribeWorkflowExecutionResponse"
    """The whole DescribeWorkflowExecution response."""

    @property
    def raw_message(self) -> "DescribeWorkflowExecutionResponse":
        """The seed's name of :attr:`raw_description`."""
        return self.raw_description

    @staticmethod
    async def _from_response(resp: Any, client: "Client") -> "WorkflowExecutionDescription":
        return WorkflowExecutionDescription._from_raw_info(  # type: ignore[no-any-return]
            resp.workflow_execution_info, client, raw_description=resp
        )

    async def _user_metadata(self) -> Tuple[Optional[str], Optional[str]]:
        meta = self.raw_description.execution_config.user_metadata
        out: List[Optional[str]] = []
        for name in ("summary", "details"):
            if meta.HasField(name):
                (value,) = await self._client._decode(
                    [getattr(meta, name)], [str], f"the static {name}", self.data_converter
                )
                out.append(value)
            else:
                out.append(None)
        return out[0], out[1]

    async def static_summary(self) -> Optional[str]:
        """The one-line summary given at start (``static_summary``), if any."""
        return (await self._user_metadata())[0]

    async def static_details(self) -> Optional[str]:
        """The details given at start (``static_details``), if any."""
        return (await self._user_metadata())[1]


@dataclass
class WorkflowExecutionCountAggregationGroup:
    """One group of a ``GROUP BY`` count."""

    count: int
    """Approximate number of workflows in the group."""
    group_values: Sequence[SearchAttributeValue]
    """The values of the grouped search attributes."""


@dataclass
class WorkflowExecutionCount:
    """What :meth:`Client.count_workflows` returns."""

    count: int
    """Approximate number of matching workflows (with ``GROUP BY``: the sum of :attr:`groups`)."""
    groups: Sequence[WorkflowExecutionCountAggregationGroup]
    """The groups of a ``GROUP BY`` query; empty otherwise."""

    @staticmethod
    def _from_raw(resp: Any) -> "WorkflowExecutionCount":

        groups = [
            WorkflowExecutionCountAggregationGroup(
                count=g.count,
                group_values=[_json_or_none(v.data) for v in g.group_values],
            )
            for g in resp.groups
        ]
        return WorkflowExecutionCount(count=resp.count, groups=groups)


def _json_or_none(data: bytes) -> Any:
    import json

    return json.loads(data) if data else None


class WorkflowExecutionAsyncIterator(_QueryPagedAsyncIterator[WorkflowExecution]):
    """The workflows of :meth:`Client.list_workflows`: ``async for`` yields
    :class:`WorkflowExecution` objects, fetching a page at a time. No call is
    made until the first iteration (errors show up then)."""

    _input: ListWorkflowsInput

    def __init__(self, client: "Client", input: ListWorkflowsInput) -> None:
        """Made by :meth:`Client.list_workflows`."""
        super().__init__(client, input)

    async def fetch_next_page(self, *, page_size: Optional[int] = None) -> None:
        """Fetch the next page (``page_size`` overrides the iterator's, and
        the ``limit`` left caps it)."""
        from temporalio.api.workflowservice.v1 import ListWorkflowExecutionsRequest

        resp = await self._fetch_query_page(
            "list_workflow_executions", ListWorkflowExecutionsRequest, page_size
        )
        executions = [WorkflowExecution._from_raw_info(i, self._client) for i in resp.executions]
        self._set_page(executions, resp.next_page_token)

    async def map_histories(
        self,
        *,
        event_filter_type: WorkflowHistoryEventFilterType = WorkflowHistoryEventFilterType.ALL_EVENT,
        skip_archival: bool = False,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> AsyncIterator["WorkflowHistory"]:
        """The history of each listed run (:meth:`WorkflowHandle.fetch_history`
        of each), one after the other."""
        async for execution in self:
            handle = self._client.get_workflow_handle(execution.id, run_id=execution.run_id)
            yield await handle.fetch_history(
                event_filter_type=event_filter_type,
                skip_archival=skip_archival,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )


@dataclass(frozen=True)
class WorkflowHistory:
    """A workflow's id and the events of one run's history."""

    workflow_id: str
    """Workflow id."""
    events: Sequence["HistoryEvent"]
    """The events (``temporal.api.history.v1.HistoryEvent``), in order."""

    @property
    def run_id(self) -> str:
        """The run id (of the first event's original run); :class:`RuntimeError`
        if there are no events or the first is not the start."""
        if not self.events:
            raise RuntimeError("No events")
        first = self.events[0]
        if not first.HasField("workflow_execution_started_event_attributes"):
            raise RuntimeError("First event is not workflow start")
        return first.workflow_execution_started_event_attributes.original_execution_run_id

    @staticmethod
    def from_json(workflow_id: str, history: Union[str, Dict[str, Any]]) -> "WorkflowHistory":
        """A history from its JSON (a str, or the parsed dict), as
        :meth:`to_json`, the Temporal CLI (``temporal workflow show -o
        json``) and the web UI's download write it: the protobuf JSON of
        ``temporal.api.history.v1.History``. Enum values may be the proto
        names (``EVENT_TYPE_WORKFLOW_EXECUTION_STARTED``), their ints, or the
        older export's short PascalCase (``WorkflowExecutionStarted``).
        Unknown fields are ignored. :class:`ValueError` if it is not a
        history."""
        return WorkflowHistory(workflow_id, list(_history_from_json(history).events))

    def to_json(self) -> str:
        """The events as protobuf JSON of a ``History`` (not the workflow id)."""
        from google.protobuf.json_format import MessageToJson

        return MessageToJson(self._proto())

    def to_json_dict(self) -> Dict[str, Any]:
        """:meth:`to_json` as a dict."""
        from google.protobuf.json_format import MessageToDict

        return MessageToDict(self._proto())

    def _proto(self) -> Any:
        from temporalio.api.history.v1 import History

        return History(events=self.events)


def _history_from_json(history: Union[str, Dict[str, Any]]) -> Any:
    import copy
    import json

    from google.protobuf.json_format import ParseDict

    from temporalio.api.history.v1 import History

    parsed = json.loads(history) if isinstance(history, str) else copy.deepcopy(history)
    if not isinstance(parsed, dict):
        raise ValueError("JSON history not a dictionary")
    events = parsed.get("events")
    if not isinstance(events, list):
        raise ValueError("History does not have iterable 'events'")
    if not all(isinstance(event, dict) for event in events):
        raise ValueError("Event not a dictionary")
    _fix_json_enums(parsed, History.DESCRIPTOR)
    return ParseDict(parsed, History(), ignore_unknown_fields=True)


def _fix_json_enums(obj: Dict[str, Any], descriptor: Any) -> None:
    """Rewrite, in place, the short PascalCase enum values of older history
    exports ("WorkflowExecutionStarted") into their proto names, walking
    ``obj`` along the message ``descriptor``."""
    for key, value in obj.items():
        fd = descriptor.fields_by_camelcase_name.get(key) or descriptor.fields_by_name.get(key)
        if fd is None:
            continue
        if fd.message_type is not None:
            msg = fd.message_type
            if msg.GetOptions().map_entry:
                value_fd = msg.fields_by_name["value"]
                if value_fd.message_type is not None and isinstance(value, dict):
                    for item in value.values():
                        if isinstance(item, dict):
                            _fix_json_enums(item, value_fd.message_type)
                continue
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    _fix_json_enums(item, msg)
        elif fd.enum_type is not None:
            if isinstance(value, list):
                obj[key] = [_enum_name(fd.enum_type, v) for v in value]
            else:
                obj[key] = _enum_name(fd.enum_type, value)


def _enum_name(enum: Any, value: Any) -> Any:
    import re

    if not isinstance(value, str) or value in enum.values_by_name:
        return value
    # Every Temporal enum's zero value is <PREFIX>UNSPECIFIED.
    zero = enum.values_by_number.get(0)
    prefix = zero.name[: -len("UNSPECIFIED")] if zero and zero.name.endswith("UNSPECIFIED") else ""
    name = prefix + re.sub(r"([A-Z]+)", r"_\1", value).lstrip("_").upper()
    return name if name in enum.values_by_name else value


class WorkflowHistoryEventAsyncIterator(_PagedAsyncIterator["HistoryEvent"]):
    """History events of :meth:`WorkflowHandle.fetch_history_events`:
    ``async for`` yields ``HistoryEvent`` messages, a page at a time. No
    call is made until the first iteration."""

    def __init__(self, client: "Client", input: FetchWorkflowHistoryEventsInput) -> None:
        """Made by :meth:`WorkflowHandle.fetch_history_events`."""
        super().__init__(input.next_page_token, None)
        self._client = client
        self._input = input

    async def fetch_next_page(self, *, page_size: Optional[int] = None) -> None:
        """Fetch the next page (``page_size`` overrides the iterator's).
        With ``wait_new_event`` a poll that outlives its deadline is made
        again."""
        from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
        from temporalio.client._impl import LONG_POLL_TIMEOUT, _execution
        from temporalio.service import DeadlineExceededError

        input = self._input
        client = self._client
        req = GetWorkflowExecutionHistoryRequest(
            namespace=client.namespace,
            execution=_execution(input.id, input.run_id),
            maximum_page_size=page_size or input.page_size or 0,
            next_page_token=self._next_page_token or b"",
            wait_new_event=input.wait_new_event,
            history_event_filter_type=int(input.event_filter_type),  # type: ignore[arg-type]
            skip_archival=input.skip_archival,
        )
        timeout = input.rpc_timeout
        if input.wait_new_event and timeout is None:
            timeout = LONG_POLL_TIMEOUT
        while True:
            try:
                resp = await client._call(
                    "get_workflow_execution_history", req, input.rpc_metadata, timeout
                )
                break
            except DeadlineExceededError:
                if not input.wait_new_event or input.rpc_timeout is not None:
                    raise
        self._set_page(list(resp.history.events), resp.next_page_token)
