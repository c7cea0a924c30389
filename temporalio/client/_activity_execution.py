"""Standalone activities: activities a client starts directly on a task
queue, without a workflow (``StartActivityExecution`` and the other
``*ActivityExecution*`` RPCs of the WorkflowService), as the official SDK has
them: :meth:`Client.start_activity` / :meth:`Client.execute_activity` (and
their ``_class``/``_method`` forms), :meth:`Client.get_activity_handle`,
:meth:`Client.list_activities`, :meth:`Client.count_activities`, and
:class:`ActivityHandle` (result, describe, cancel, terminate, pause,
unpause, update_options).

The server must support them: Temporal server 1.32 (the ``temporal`` CLI
1.9 dev server) does, with the dynamic config ``activity.enableStandalone``
on (the dev server's default). A server without them answers the RPCs with
an :class:`~temporalio.service.RPCError` (e.g. ``UNIMPLEMENTED``).

Every operation goes through the client's interceptors
(:class:`OutboundInterceptor` methods ``start_activity``, ``describe_activity``,
``cancel_activity``, ...), each with its input dataclass below.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import IntEnum
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Concatenate,
    Generic,
    List,
    Mapping,
    Optional,
    ParamSpec,
    Sequence,
    Type,
    TypeVar,
    Union,
    cast,
    overload,
)

from temporalio._checks import (
    _ARG_UNSET,
    _arg_or_args,
    _check_enum,
    _check_rpc_options,
    _check_str,
    _check_timeout,
    _check_type,
)
from temporalio.client._exceptions import ActivityFailureError
from temporalio.client._paging import _list_input, _QueryPagedAsyncIterator
from temporalio.common import (
    ActivityIDConflictPolicy,
    ActivityIDReusePolicy,
    Priority,
    RetryPolicy,
    SearchAttributeValue,
    TypedSearchAttributes,
    WorkerDeploymentVersion,
)

if TYPE_CHECKING:
    from temporalio.api.common.v1 import Payload
    from temporalio.client._client import Client
    from temporalio.client._interceptor import OutboundInterceptor
    from temporalio.converter import DataConverter

ReturnType = TypeVar("ReturnType")
ActivityOptionValueType = TypeVar("ActivityOptionValueType")
_InputType = TypeVar("_InputType")
_F = TypeVar("_F", bound=Callable[..., Any])


# Values of temporal.api.enums.v1 (tests/unit/test_client_api_parity.py
# compares them with the official SDK's).
class ActivityExecutionStatus(IntEnum):
    """Status of a standalone activity (``temporal.api.enums.v1.ActivityExecutionStatus``)."""

    UNSPECIFIED = 0
    RUNNING = 1
    COMPLETED = 2
    FAILED = 3
    CANCELED = 4
    TERMINATED = 5
    TIMED_OUT = 6
    PAUSED = 7


class PendingActivityState(IntEnum):
    """Detailed state of a RUNNING activity (``temporal.api.enums.v1.PendingActivityState``)."""

    UNSPECIFIED = 0
    SCHEDULED = 1
    STARTED = 2
    CANCEL_REQUESTED = 3
    PAUSED = 4
    PAUSE_REQUESTED = 5


def _activity_converter(
    client: "Client",
    activity_id: str,
    activity_type: Optional[str] = None,
    task_queue: Optional[str] = None,
) -> "DataConverter":
    """The client's data converter in the context of a standalone activity."""
    from temporalio.converter import ActivitySerializationContext

    return client.data_converter.with_context(
        ActivitySerializationContext(
            namespace=client.namespace,
            activity_id=activity_id,
            activity_type=activity_type,
            activity_task_queue=task_queue,
            workflow_id=None,
            workflow_type=None,
            is_local=False,
        )
    )


def _dt(msg: Any, name: str) -> Optional[datetime]:
    return (
        getattr(msg, name).ToDatetime().replace(tzinfo=timezone.utc) if msg.HasField(name) else None
    )


def _td(msg: Any, name: str) -> Optional[timedelta]:
    return getattr(msg, name).ToTimedelta() if msg.HasField(name) else None


async def _decode_single_result(
    converter: "DataConverter", payloads: Any, type_hint: Optional[Type[Any]]
) -> Any:
    """The activity result in the ``Payloads`` message ``payloads`` decoded
    as ``type_hint`` (None when it holds none; warns when it holds more
    than one and returns the first). Raises what the converter raises."""
    hints = [type_hint] if type_hint is not None else None
    values = await converter.decode_wrapper(payloads, hints)
    if not values:
        return None
    if len(values) > 1:
        warnings.warn(f"Expected single activity result, got {len(values)}")
    return values[0]


# ---- interceptor inputs ---------------------------------------------------------------


@dataclass
class StartActivityInput:
    """Input of :meth:`OutboundInterceptor.start_activity`."""

    activity_type: str
    args: Sequence[Any]
    id: str
    task_queue: str
    result_type: Optional[Type[Any]]
    schedule_to_close_timeout: Optional[timedelta]
    start_to_close_timeout: Optional[timedelta]
    schedule_to_start_timeout: Optional[timedelta]
    heartbeat_timeout: Optional[timedelta]
    id_reuse_policy: ActivityIDReusePolicy
    id_conflict_policy: ActivityIDConflictPolicy
    retry_policy: Optional[RetryPolicy]
    priority: Priority
    search_attributes: Optional[TypedSearchAttributes]
    summary: Optional[str]
    start_delay: Optional[timedelta]
    headers: Mapping[str, "Payload"]
    """Header payloads sent with the start (interceptors add theirs here)."""
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


@dataclass
class CancelActivityInput:
    """Input of :meth:`OutboundInterceptor.cancel_activity`."""

    activity_id: str
    activity_run_id: Optional[str]
    reason: Optional[str]
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


@dataclass
class TerminateActivityInput:
    """Input of :meth:`OutboundInterceptor.terminate_activity`."""

    activity_id: str
    activity_run_id: Optional[str]
    reason: Optional[str]
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


@dataclass
class DescribeActivityInput:
    """Input of :meth:`OutboundInterceptor.describe_activity`."""

    activity_id: str
    activity_run_id: Optional[str]
    include_input: bool
    include_outcome: bool
    include_heartbeat_details: bool
    include_last_failure: bool
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


@dataclass
class PauseActivityInput:
    """Input of :meth:`OutboundInterceptor.pause_activity`."""

    activity_id: str
    activity_run_id: Optional[str]
    reason: Optional[str]
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


@dataclass
class UnpauseActivityInput:
    """Input of :meth:`OutboundInterceptor.unpause_activity`."""

    activity_id: str
    activity_run_id: Optional[str]
    reason: Optional[str]
    jitter: Optional[timedelta]
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


@dataclass
class UpdateActivityOptionsInput:
    """Input of :meth:`OutboundInterceptor.update_activity_options`."""

    activity_id: str
    activity_run_id: Optional[str]
    updates: Sequence["ActivityOptionsUpdate[Any]"]
    restore_original: bool
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


@dataclass
class ListActivitiesInput:
    """Input of :meth:`OutboundInterceptor.list_activities`."""

    query: Optional[str]
    page_size: int
    next_page_token: Optional[bytes]
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]
    limit: Optional[int]


@dataclass
class CountActivitiesInput:
    """Input of :meth:`OutboundInterceptor.count_activities`."""

    query: Optional[str]
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


# ---- descriptions -----------------------------------------------------------------


@dataclass(frozen=True, eq=False, kw_only=True)
class ActivityExecution:
    """A standalone activity as :meth:`Client.list_activities` lists it."""

    activity_id: str
    """Activity id."""
    activity_run_id: Optional[str]
    """Run id of the activity."""
    activity_type: str
    """Activity type name."""
    close_time: Optional[datetime]
    """When it closed (None while running)."""
    execution_duration: Optional[timedelta]
    """From schedule to close (None while running)."""
    execution_time: Optional[datetime]
    """When its first task became available: schedule time plus start delay."""
    namespace: str
    """Namespace (the client's)."""
    schedule_time: datetime
    """When it was scheduled."""
    status: ActivityExecutionStatus
    """Its status."""
    task_queue: str
    """Task queue it was scheduled on."""
    typed_search_attributes: TypedSearchAttributes
    """Its search attributes (those whose payload says its type)."""
    raw_info: Any = field(repr=False)
    """The ``temporal.api.activity.v1.ActivityExecutionListInfo`` (or
    ``ActivityExecutionInfo`` for a description)."""

    @classmethod
    def _from_raw_info(cls, info: Any, namespace: str, **kwargs: Any) -> Any:
        from temporalio.common import _decode_typed_search_attributes

        return cls(
            raw_info=info,
            activity_id=info.activity_id,
            activity_run_id=info.run_id or None,
            activity_type=info.activity_type.name,
            close_time=_dt(info, "close_time"),
            execution_duration=_td(info, "execution_duration"),
            execution_time=_dt(info, "execution_time"),
            namespace=namespace,
            schedule_time=_dt(info, "schedule_time") or datetime.min,
            status=ActivityExecutionStatus(info.status),
            task_queue=info.task_queue,
            typed_search_attributes=_decode_typed_search_attributes(info.search_attributes),
            **kwargs,
        )


@dataclass(frozen=True, eq=False, kw_only=True)
class ActivityExecutionDescription(ActivityExecution):
    """A standalone activity as :meth:`ActivityHandle.describe` describes it."""

    attempt: int
    """Current attempt (1 for the first)."""
    canceled_reason: Optional[str]
    """Reason given with the cancellation request, if any."""
    current_retry_interval: Optional[timedelta]
    """Wait before the next attempt, if retrying."""
    expiration_time: Optional[datetime]
    """When its schedule-to-close timeout expires."""
    heartbeat_timeout: Optional[timedelta]
    """Its heartbeat timeout."""
    last_attempt_complete_time: Optional[datetime]
    """When the last attempt completed."""
    last_deployment_version: Optional[WorkerDeploymentVersion]
    """Worker deployment version it was last dispatched to."""
    last_heartbeat_time: Optional[datetime]
    """When it last heartbeated."""
    last_started_time: Optional[datetime]
    """When the last attempt started."""
    last_worker_identity: Optional[str]
    """Identity of the worker that last ran it."""
    next_attempt_schedule_time: Optional[datetime]
    """When the next attempt is scheduled."""
    priority: Priority
    """Its priority."""
    retry_policy: Optional[RetryPolicy]
    """Its retry policy."""
    run_state: Optional[PendingActivityState]
    """While RUNNING: the detailed state."""
    schedule_to_close_timeout: Optional[timedelta]
    """Its schedule-to-close timeout."""
    schedule_to_start_timeout: Optional[timedelta]
    """Its schedule-to-start timeout."""
    start_to_close_timeout: Optional[timedelta]
    """Its start-to-close timeout."""
    start_delay: Optional[timedelta]
    """Its start delay."""
    total_heartbeat_count: int
    """Heartbeats over all attempts (0 if none or not reported)."""
    raw_info: Any = field(repr=False)
    """The ``temporal.api.activity.v1.ActivityExecutionInfo``."""
    raw_callbacks: Sequence[Any] = field(repr=False)
    """The ``temporal.api.activity.v1.CallbackInfo`` messages."""
    raw_input: Any = field(repr=False)
    """Its input (``Payloads``) if asked for (``include_input``), else None."""
    raw_outcome: Any = field(repr=False)
    """Its outcome (``ActivityExecutionOutcome``) if asked for and closed, else None."""
    data_converter: "DataConverter" = field(repr=False)
    """Converter of the payloads (the client's)."""

    @classmethod
    def _from_resp(cls, resp: Any, namespace: str, data_converter: "DataConverter") -> Any:
        info = resp.info
        last_version = None
        if info.HasField("last_deployment_version"):
            last_version = WorkerDeploymentVersion(
                deployment_name=info.last_deployment_version.deployment_name,
                build_id=info.last_deployment_version.build_id,
            )
        return cls._from_raw_info(
            info,
            namespace,
            attempt=info.attempt,
            canceled_reason=info.canceled_reason or None,
            current_retry_interval=_td(info, "current_retry_interval"),
            expiration_time=_dt(info, "expiration_time"),
            heartbeat_timeout=_td(info, "heartbeat_timeout"),
            last_attempt_complete_time=_dt(info, "last_attempt_complete_time"),
            last_deployment_version=last_version,
            last_heartbeat_time=_dt(info, "last_heartbeat_time"),
            last_started_time=_dt(info, "last_started_time"),
            last_worker_identity=info.last_worker_identity or None,
            next_attempt_schedule_time=_dt(info, "next_attempt_schedule_time"),
            priority=Priority._from_proto(info.priority),
            retry_policy=(
                RetryPolicy.from_proto(info.retry_policy) if info.HasField("retry_policy") else None
            ),
            run_state=PendingActivityState(info.run_state) if info.run_state else None,
            schedule_to_close_timeout=_td(info, "schedule_to_close_timeout"),
            schedule_to_start_timeout=_td(info, "schedule_to_start_timeout"),
            start_to_close_timeout=_td(info, "start_to_close_timeout"),
            start_delay=_td(info, "start_delay"),
            total_heartbeat_count=info.total_heartbeat_count,
            raw_callbacks=list(resp.callbacks),
            raw_input=resp.input if resp.HasField("input") else None,
            raw_outcome=resp.outcome if resp.HasField("outcome") else None,
            data_converter=data_converter,
        )

    def has_heartbeat_details(self) -> bool:
        """Whether heartbeat details came (``include_heartbeat_details=True``)."""
        return bool(self.raw_info.HasField("heartbeat_details"))

    async def heartbeat_details(
        self, type_hints: Optional[List[Type[Any]]] = None
    ) -> Optional[List[Any]]:
        """The last heartbeat's details, decoded; None if they did not come."""
        if not self.has_heartbeat_details():
            return None
        return list(
            await self.data_converter.decode_wrapper(self.raw_info.heartbeat_details, type_hints)
        )

    def has_last_failure(self) -> bool:
        """Whether the last attempt's failure came (``include_last_failure=True``)."""
        return bool(self.raw_info.HasField("last_failure"))

    async def last_failure(self) -> Optional[BaseException]:
        """The last failed attempt's failure, decoded; None if it did not come."""
        if not self.has_last_failure():
            return None
        return await self.data_converter.decode_failure(self.raw_info.last_failure)

    def has_input(self) -> bool:
        """Whether the input came (``include_input=True``)."""
        return self.raw_input is not None

    async def input(self, type_hints: Optional[List[Type[Any]]] = None) -> Optional[List[Any]]:
        """The activity's arguments, decoded; None if they did not come."""
        if self.raw_input is None:
            return None
        return list(await self.data_converter.decode_wrapper(self.raw_input, type_hints))

    def has_result(self) -> bool:
        """Whether a result came (``include_outcome=True`` and it completed)."""
        return self.raw_outcome is not None and bool(self.raw_outcome.HasField("result"))

    async def result(self, type_hint: Optional[Type[Any]] = None) -> Optional[Any]:
        """The result, decoded; None if none came."""
        if not self.has_result():
            return None
        return await _decode_single_result(self.data_converter, self.raw_outcome.result, type_hint)

    def has_outcome_failure(self) -> bool:
        """Whether a closing failure came (``include_outcome=True`` and it did not complete)."""
        return self.raw_outcome is not None and bool(self.raw_outcome.HasField("failure"))

    async def outcome_failure(self) -> Optional[BaseException]:
        """The failure it closed with, decoded; None if none came."""
        if not self.has_outcome_failure():
            return None
        return await self.data_converter.decode_failure(self.raw_outcome.failure)


@dataclass(frozen=True)
class ActivityExecutionCountAggregationGroup:
    """One group of a ``GROUP BY`` count of activities."""

    count: int
    """Approximate number of activities in the group."""
    group_values: Sequence[SearchAttributeValue]
    """The values of the grouped search attributes."""


@dataclass(frozen=True)
class ActivityExecutionCount:
    """What :meth:`Client.count_activities` returns."""

    count: int
    """Approximate number of matching activities."""
    groups: Sequence[ActivityExecutionCountAggregationGroup]
    """The groups of a ``GROUP BY`` query; empty otherwise."""

    @staticmethod
    def _from_raw(resp: Any) -> "ActivityExecutionCount":
        from temporalio.client._workflow import _json_or_none

        return ActivityExecutionCount(
            count=resp.count,
            groups=[
                ActivityExecutionCountAggregationGroup(
                    count=g.count, group_values=[_json_or_none(v.data) for v in g.group_values]
                )
                for g in resp.groups
            ],
        )


# ---- options updates ----------------------------------------------------------------


@dataclass(frozen=True)
class ActivityOptionsKey(Generic[ActivityOptionValueType]):
    """One option :meth:`ActivityHandle.update_options` can change; use the
    keys of :class:`ActivityOptionsKeys`."""

    name: str
    """The update-mask path of the option."""

    def value_set(
        self, value: ActivityOptionValueType
    ) -> "ActivityOptionsUpdate[ActivityOptionValueType]":
        """An update setting the option to ``value``."""
        return ActivityOptionsUpdate(self, value)

    def value_unset(self) -> "ActivityOptionsUpdate[ActivityOptionValueType]":
        """An update clearing the option on the server."""
        return ActivityOptionsUpdate(self, None)


@dataclass(frozen=True)
class ActivityOptionsUpdate(Generic[ActivityOptionValueType]):
    """A change of one option (``value`` None: cleared)."""

    key: ActivityOptionsKey[ActivityOptionValueType]
    """The option."""
    value: Optional[ActivityOptionValueType]
    """Its new value, or None to clear it."""


class ActivityOptionsKeys:
    """The options :meth:`ActivityHandle.update_options` can change."""

    task_queue: ActivityOptionsKey[str] = ActivityOptionsKey("task_queue.name")
    schedule_to_close_timeout: ActivityOptionsKey[timedelta] = ActivityOptionsKey(
        "schedule_to_close_timeout"
    )
    schedule_to_start_timeout: ActivityOptionsKey[timedelta] = ActivityOptionsKey(
        "schedule_to_start_timeout"
    )
    start_to_close_timeout: ActivityOptionsKey[timedelta] = ActivityOptionsKey(
        "start_to_close_timeout"
    )
    heartbeat_timeout: ActivityOptionsKey[timedelta] = ActivityOptionsKey("heartbeat_timeout")
    start_delay: ActivityOptionsKey[timedelta] = ActivityOptionsKey("start_delay")
    retry_policy: ActivityOptionsKey[RetryPolicy] = ActivityOptionsKey("retry_policy")
    priority: ActivityOptionsKey[Priority] = ActivityOptionsKey("priority")


_TIMEDELTA_OPTIONS = (
    "schedule_to_close_timeout",
    "schedule_to_start_timeout",
    "start_to_close_timeout",
    "heartbeat_timeout",
    "start_delay",
)


@dataclass(frozen=True)
class ActivityExecutionOptions:
    """An activity's options as the server has them after
    :meth:`ActivityHandle.update_options` or :meth:`ActivityHandle.restore_original_options`."""

    task_queue: Optional[str]
    schedule_to_close_timeout: Optional[timedelta]
    schedule_to_start_timeout: Optional[timedelta]
    start_to_close_timeout: Optional[timedelta]
    heartbeat_timeout: Optional[timedelta]
    start_delay: Optional[timedelta]
    retry_policy: Optional[RetryPolicy]
    priority: Optional[Priority]

    @staticmethod
    def _from_proto(options: Any) -> "ActivityExecutionOptions":
        return ActivityExecutionOptions(
            task_queue=options.task_queue.name if options.HasField("task_queue") else None,
            schedule_to_close_timeout=_td(options, "schedule_to_close_timeout"),
            schedule_to_start_timeout=_td(options, "schedule_to_start_timeout"),
            start_to_close_timeout=_td(options, "start_to_close_timeout"),
            heartbeat_timeout=_td(options, "heartbeat_timeout"),
            start_delay=_td(options, "start_delay"),
            retry_policy=(
                RetryPolicy.from_proto(options.retry_policy)
                if options.HasField("retry_policy")
                else None
            ),
            priority=(
                Priority._from_proto(options.priority) if options.HasField("priority") else None
            ),
        )


# ---- the iterator and the handle ------------------------------------------------------


class ActivityExecutionAsyncIterator(_QueryPagedAsyncIterator[ActivityExecution]):
    """The activities of :meth:`Client.list_activities`: ``async for``
    yields :class:`ActivityExecution` objects, a page at a time. No call is
    made until the first iteration (errors show up then)."""

    _input: ListActivitiesInput

    def __init__(self, client: "Client", input: ListActivitiesInput) -> None:
        """Made by :meth:`Client.list_activities`."""
        super().__init__(client, input)

    async def fetch_next_page(self, *, page_size: Optional[int] = None) -> None:
        """Fetch the next page (``page_size`` overrides the iterator's, and
        the ``limit`` left caps it)."""
        from temporalio.api.workflowservice.v1 import ListActivityExecutionsRequest

        resp = await self._fetch_query_page(
            "list_activity_executions", ListActivityExecutionsRequest, page_size
        )
        namespace = self._client.namespace
        executions = [ActivityExecution._from_raw_info(e, namespace) for e in resp.executions]
        self._set_page(executions, resp.next_page_token)


class ActivityHandle(Generic[ReturnType]):
    """A standalone activity (one started by a client, not a workflow), by
    id and optionally run id (None: the latest run). Made by
    :meth:`Client.start_activity` or :meth:`Client.get_activity_handle`; no
    call is made until a method is awaited. Each method goes through the
    client's interceptors."""

    def __init__(
        self,
        client: "Client",
        id: str,
        *,
        run_id: Optional[str] = None,
        result_type: Optional[Type[Any]] = None,
    ) -> None:
        """A handle to activity ``id`` (``run_id`` None: the latest run)
        whose result decodes as ``result_type``."""
        self._client = client
        self._id = id
        self._run_id = run_id
        self._result_type = result_type
        self._known_outcome: Any = None

    @property
    def id(self) -> str:
        """The activity id."""
        return self._id

    @property
    def run_id(self) -> Optional[str]:
        """The activity run id (None: the latest run)."""
        return self._run_id

    def _input(
        self,
        input_type: Callable[..., _InputType],
        rpc_metadata: Mapping[str, Union[str, bytes]],
        rpc_timeout: Optional[timedelta],
        **fields: Any,
    ) -> _InputType:
        """The interceptor input ``input_type`` of a call on this activity
        (its id and run id, ``fields``), the RPC options checked. Raises
        TypeError/ValueError for a bad one."""
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return input_type(
            activity_id=self._id,
            activity_run_id=self._run_id,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
            **fields,
        )

    def _reason_input(
        self,
        input_type: Callable[..., _InputType],
        reason: Optional[str],
        rpc_metadata: Mapping[str, Union[str, bytes]],
        rpc_timeout: Optional[timedelta],
        **fields: Any,
    ) -> _InputType:
        """:meth:`_input` of a call with a ``reason`` (cancel, terminate,
        pause, unpause), ``reason`` checked first."""
        _check_type(reason, str, "reason", "a str", optional=True)
        return self._input(input_type, rpc_metadata, rpc_timeout, reason=reason, **fields)

    async def result(
        self,
        *,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ReturnType:
        """Wait for the activity to close and return its result (long-polling
        ``PollActivityExecution``; ``rpc_timeout`` bounds each poll, not the
        wait). Once known, the outcome is kept: later calls make no call.

        Raises:
            ActivityFailureError: it failed, was cancelled, terminated or
                timed out (``cause`` says how).
            RPCError: the server could not answer (e.g. NOT_FOUND).
        """
        from temporalio.api.workflowservice.v1 import PollActivityExecutionRequest
        from temporalio.client._impl import _long_poll

        _check_rpc_options(rpc_metadata, rpc_timeout)
        client = self._client
        if self._known_outcome is None:
            req = PollActivityExecutionRequest(
                namespace=client.namespace, activity_id=self._id, run_id=self._run_id or ""
            )
            while True:
                resp = await _long_poll(
                    client, "poll_activity_execution", req, rpc_metadata, rpc_timeout
                )
                if resp.HasField("outcome"):
                    self._known_outcome = resp.outcome
                    break
        outcome = self._known_outcome
        converter = _activity_converter(client, self._id)
        if outcome.HasField("failure"):
            raise ActivityFailureError(cause=await converter.decode_failure(outcome.failure))
        try:
            value = await _decode_single_result(converter, outcome.result, self._result_type)
        except (TypeError, ValueError) as err:
            cls = TypeError if isinstance(err, TypeError) else ValueError
            raise cls(f"{err} (decoding the result of activity {self._id!r})") from err
        return cast(ReturnType, value)

    async def cancel(
        self,
        *,
        reason: Optional[str] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Request the activity's cancellation (``reason`` is recorded). The
        activity learns it when it heartbeats; it is CANCELED once it lets
        the cancellation end it."""
        await self._client._impl.cancel_activity(
            self._reason_input(CancelActivityInput, reason, rpc_metadata, rpc_timeout)
        )

    async def terminate(
        self,
        *,
        reason: Optional[str] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Terminate the activity at once (the worker is not told; a running
        attempt learns it on its next heartbeat)."""
        await self._client._impl.terminate_activity(
            self._reason_input(TerminateActivityInput, reason, rpc_metadata, rpc_timeout)
        )

    async def pause(
        self,
        *,
        reason: Optional[str] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Pause the activity: it is not scheduled or retried until :meth:`unpause`."""
        await self._client._impl.pause_activity(
            self._reason_input(PauseActivityInput, reason, rpc_metadata, rpc_timeout)
        )

    async def unpause(
        self,
        *,
        reason: Optional[str] = None,
        jitter: Optional[timedelta] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Unpause the activity (``jitter``: start it at a random time within it)."""
        _check_timeout(jitter, "jitter")
        await self._client._impl.unpause_activity(
            self._reason_input(
                UnpauseActivityInput, reason, rpc_metadata, rpc_timeout, jitter=jitter
            )
        )

    async def update_options(
        self,
        updates: Sequence[ActivityOptionsUpdate[Any]],
        *,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ActivityExecutionOptions:
        """Change the options named by ``updates`` (made with
        :class:`ActivityOptionsKeys`); returns the options the server has after.

        Raises:
            ValueError: ``updates`` is empty or names an option twice.
        """
        if not updates:
            raise ValueError(
                "update_options requires at least one update; use "
                "restore_original_options() to revert options"
            )
        seen = set()
        for update in updates:
            _check_type(update, ActivityOptionsUpdate, "updates[]", "an ActivityOptionsUpdate")
            if update.key.name in seen:
                raise ValueError(
                    f"update_options received more than one update for {update.key.name}"
                )
            seen.add(update.key.name)
        return await self._client._impl.update_activity_options(
            self._input(
                UpdateActivityOptionsInput,
                rpc_metadata,
                rpc_timeout,
                updates=list(updates),
                restore_original=False,
            )
        )

    async def restore_original_options(
        self,
        *,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ActivityExecutionOptions:
        """Put back the options the activity was started with; returns them."""
        return await self._client._impl.update_activity_options(
            self._input(
                UpdateActivityOptionsInput,
                rpc_metadata,
                rpc_timeout,
                updates=[],
                restore_original=True,
            )
        )

    async def describe(
        self,
        *,
        include_input: bool = False,
        include_outcome: bool = False,
        include_heartbeat_details: bool = False,
        include_last_failure: bool = False,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ActivityExecutionDescription:
        """Describe the activity (``include_*``: also fetch its input,
        outcome, last heartbeat details, last failure)."""
        return await self._client._impl.describe_activity(
            self._input(
                DescribeActivityInput,
                rpc_metadata,
                rpc_timeout,
                include_input=bool(include_input),
                include_outcome=bool(include_outcome),
                include_heartbeat_details=bool(include_heartbeat_details),
                include_last_failure=bool(include_last_failure),
            )
        )


# ---- Client methods ---------------------------------------------------------------


def _activity_name_and_result_type(activity: Any) -> "tuple[str, Optional[Type[Any]]]":
    """An activity type given as its name or as an ``@activity.defn``
    callable (function, method, or a class whose ``__call__`` is one), and
    the result type the callable declares (None for a name)."""
    from temporalio.activity import _definition_of
    from temporalio.client._client import _return_type

    if isinstance(activity, str):
        return _check_str(activity, "activity (the activity type name)"), None
    if not callable(activity):
        raise TypeError("Activity must be a string or callable")
    defn = _definition_of(activity)
    fn = activity
    if defn is None and isinstance(activity, type):
        fn = getattr(activity, "__call__", None)
        defn = _definition_of(fn)
    if defn is None:
        name = getattr(activity, "__name__", "<unknown>")
        raise TypeError(
            f"Activity {name} missing attributes, was it decorated with @activity.defn?"
        )
    if not defn.name:
        raise ValueError(f"Activity {activity} definition has no name")
    return defn.name, _return_type(fn)


_P = ParamSpec("_P")
_Self = TypeVar("_Self")
_Activity = TypeVar("_Activity")
_Result = TypeVar("_Result")


def _with_signature_of(impl: Callable[..., Any]) -> Callable[[_F], _F]:
    """A decorator: :mod:`inspect` (``help()``, the docs) reports the
    decorated ``(self, activity, *args, **kwargs)`` with its own ``self``,
    ``activity`` and return annotation and, in place of ``*args,
    **kwargs``, the parameters ``impl`` has after its ``activity``. Type
    checkers see it as written (the implementation of overloads: they see
    the overloads)."""

    def wrap(form: _F) -> _F:
        own = inspect.signature(form)
        params = list(own.parameters.values())[:2]
        params += list(inspect.signature(impl).parameters.values())[2:]
        setattr(form, "__signature__", own.replace(parameters=params))
        return form

    return wrap


def _form_of(
    impl: Callable[Concatenate[Any, Any, _P], Awaitable[Any]],
) -> Callable[
    [Callable[Concatenate[_Self, _Activity, ...], Awaitable[_Result]]],
    Callable[Concatenate[_Self, _Activity, _P], Awaitable[_Result]],
]:
    """:func:`_with_signature_of` for a form of ``impl`` that differs only
    in the type of its ``activity`` and in its result; type checkers too see
    the parameters of ``impl`` after ``activity`` (and ``activity`` as
    positional: a ParamSpec cannot name it)."""
    return cast(Any, _with_signature_of(impl))


class _ActivityClientMixin:
    """The standalone-activity operations of :class:`Client`: the public
    forms (``start_activity``/``execute_activity`` and their ``_class`` and
    ``_method`` forms, named and typed as in the official SDK) all take the
    options of :meth:`_start_activity`, which validates them."""

    _impl: "OutboundInterceptor"

    async def _start_activity(
        self,
        activity: Any,
        arg: Any = _ARG_UNSET,
        *,
        args: Sequence[Any] = [],
        id: str,
        task_queue: str,
        result_type: Optional[Type[Any]] = None,
        schedule_to_close_timeout: Optional[timedelta] = None,
        schedule_to_start_timeout: Optional[timedelta] = None,
        start_to_close_timeout: Optional[timedelta] = None,
        heartbeat_timeout: Optional[timedelta] = None,
        id_reuse_policy: ActivityIDReusePolicy = ActivityIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: ActivityIDConflictPolicy = ActivityIDConflictPolicy.FAIL,
        retry_policy: Optional[RetryPolicy] = None,
        search_attributes: Optional[TypedSearchAttributes] = None,
        summary: Optional[str] = None,
        priority: Priority = Priority.default,
        start_delay: Optional[timedelta] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ActivityHandle[Any]:
        """The one implementation of every start/execute form: checks the
        options, then starts the activity through the interceptors."""
        name, declared = _activity_name_and_result_type(activity)
        values = _arg_or_args((), arg, args, f"activity {name!r}")
        _check_str(id, "id")
        _check_str(task_queue, "task_queue")
        for tname, tval in (
            ("schedule_to_close_timeout", schedule_to_close_timeout),
            ("schedule_to_start_timeout", schedule_to_start_timeout),
            ("start_to_close_timeout", start_to_close_timeout),
            ("heartbeat_timeout", heartbeat_timeout),
        ):
            _check_timeout(tval, tname)
        _check_type(start_delay, timedelta, "start_delay", "a datetime.timedelta", optional=True)
        id_reuse_policy = _check_enum(ActivityIDReusePolicy, id_reuse_policy, "id_reuse_policy")
        id_conflict_policy = _check_enum(
            ActivityIDConflictPolicy, id_conflict_policy, "id_conflict_policy"
        )
        _check_type(retry_policy, RetryPolicy, "retry_policy", "a RetryPolicy", optional=True)
        _check_type(
            search_attributes,
            TypedSearchAttributes,
            "search_attributes",
            "a TypedSearchAttributes",
            optional=True,
        )
        _check_type(summary, str, "summary", "a str", optional=True)
        _check_type(priority, Priority, "priority", "a Priority")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return await self._impl.start_activity(
            StartActivityInput(
                activity_type=name,
                args=values,
                id=id,
                task_queue=task_queue,
                result_type=result_type or declared,
                schedule_to_close_timeout=schedule_to_close_timeout,
                start_to_close_timeout=start_to_close_timeout,
                schedule_to_start_timeout=schedule_to_start_timeout,
                heartbeat_timeout=heartbeat_timeout,
                id_reuse_policy=id_reuse_policy,
                id_conflict_policy=id_conflict_policy,
                retry_policy=retry_policy,
                priority=priority,
                search_attributes=search_attributes,
                summary=summary,
                start_delay=start_delay,
                headers={},
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def _execute_activity(self, activity: Any, *args: Any, **kwargs: Any) -> Any:
        handle = await self._start_activity(activity, *args, **kwargs)
        return await handle.result()

    @overload
    async def start_activity(
        self,
        activity: Callable[..., Awaitable[ReturnType]],
        arg: Any = _ARG_UNSET,
        *,
        args: Sequence[Any] = [],
        id: str,
        task_queue: str,
        result_type: Optional[Type[Any]] = None,
        schedule_to_close_timeout: Optional[timedelta] = None,
        schedule_to_start_timeout: Optional[timedelta] = None,
        start_to_close_timeout: Optional[timedelta] = None,
        heartbeat_timeout: Optional[timedelta] = None,
        id_reuse_policy: ActivityIDReusePolicy = ActivityIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: ActivityIDConflictPolicy = ActivityIDConflictPolicy.FAIL,
        retry_policy: Optional[RetryPolicy] = None,
        search_attributes: Optional[TypedSearchAttributes] = None,
        summary: Optional[str] = None,
        priority: Priority = Priority.default,
        start_delay: Optional[timedelta] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity(
        self,
        activity: Union[str, Callable[..., ReturnType]],
        arg: Any = _ARG_UNSET,
        *,
        args: Sequence[Any] = [],
        id: str,
        task_queue: str,
        result_type: Optional[Type[Any]] = None,
        schedule_to_close_timeout: Optional[timedelta] = None,
        schedule_to_start_timeout: Optional[timedelta] = None,
        start_to_close_timeout: Optional[timedelta] = None,
        heartbeat_timeout: Optional[timedelta] = None,
        id_reuse_policy: ActivityIDReusePolicy = ActivityIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: ActivityIDConflictPolicy = ActivityIDConflictPolicy.FAIL,
        retry_policy: Optional[RetryPolicy] = None,
        search_attributes: Optional[TypedSearchAttributes] = None,
        summary: Optional[str] = None,
        priority: Priority = Priority.default,
        start_delay: Optional[timedelta] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ActivityHandle[ReturnType]: ...

    @_with_signature_of(_start_activity)
    async def start_activity(self, activity: Any, *args: Any, **kwargs: Any) -> ActivityHandle[Any]:
        """Start a standalone activity (no workflow) on ``task_queue`` and
        return its handle. ``activity`` is a type name or an
        ``@activity.defn`` callable; its arguments are ``arg`` (one) or
        ``args`` (several). ``id`` is required; ``start_to_close_timeout`` or
        ``schedule_to_close_timeout`` must be given. ``summary`` shows in the
        UI/CLI; ``start_delay`` delays the first attempt (not retries).

        Raises:
            ValueError: neither timeout is given, ``start_delay`` is negative,
                or ``arg`` and ``args`` are both given.
            temporalio.exceptions.ActivityAlreadyStartedError: an activity
                with this id is running (``id_conflict_policy=FAIL``) or
                closed and not reusable (``id_reuse_policy``).
            RPCError: the server refused (e.g. it lacks standalone activities).
        """
        return await self._start_activity(activity, *args, **kwargs)

    @overload
    async def execute_activity(
        self,
        activity: Callable[..., Awaitable[ReturnType]],
        arg: Any = _ARG_UNSET,
        *,
        args: Sequence[Any] = [],
        id: str,
        task_queue: str,
        result_type: Optional[Type[Any]] = None,
        schedule_to_close_timeout: Optional[timedelta] = None,
        schedule_to_start_timeout: Optional[timedelta] = None,
        start_to_close_timeout: Optional[timedelta] = None,
        heartbeat_timeout: Optional[timedelta] = None,
        id_reuse_policy: ActivityIDReusePolicy = ActivityIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: ActivityIDConflictPolicy = ActivityIDConflictPolicy.FAIL,
        retry_policy: Optional[RetryPolicy] = None,
        search_attributes: Optional[TypedSearchAttributes] = None,
        summary: Optional[str] = None,
        priority: Priority = Priority.default,
        start_delay: Optional[timedelta] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ReturnType: ...

    @overload
    async def execute_activity(
        self,
        activity: Union[str, Callable[..., ReturnType]],
        arg: Any = _ARG_UNSET,
        *,
        args: Sequence[Any] = [],
        id: str,
        task_queue: str,
        result_type: Optional[Type[Any]] = None,
        schedule_to_close_timeout: Optional[timedelta] = None,
        schedule_to_start_timeout: Optional[timedelta] = None,
        start_to_close_timeout: Optional[timedelta] = None,
        heartbeat_timeout: Optional[timedelta] = None,
        id_reuse_policy: ActivityIDReusePolicy = ActivityIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: ActivityIDConflictPolicy = ActivityIDConflictPolicy.FAIL,
        retry_policy: Optional[RetryPolicy] = None,
        search_attributes: Optional[TypedSearchAttributes] = None,
        summary: Optional[str] = None,
        priority: Priority = Priority.default,
        start_delay: Optional[timedelta] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ReturnType: ...

    @_with_signature_of(_start_activity)
    async def execute_activity(self, activity: Any, *args: Any, **kwargs: Any) -> Any:
        """:meth:`start_activity` then :meth:`ActivityHandle.result`: start a
        standalone activity and wait for its result (same arguments).

        Raises:
            ActivityFailureError: it did not complete successfully.
        """
        return await self._execute_activity(activity, *args, **kwargs)

    @_form_of(_start_activity)
    async def start_activity_class(
        self, activity: Type[Any], *args: Any, **kwargs: Any
    ) -> ActivityHandle[Any]:
        """:meth:`start_activity` for an activity given as its callable class
        (a class whose ``__call__`` is the ``@activity.defn`` activity)."""
        return await self._start_activity(activity, *args, **kwargs)

    @_form_of(_start_activity)
    async def execute_activity_class(self, activity: Type[Any], *args: Any, **kwargs: Any) -> Any:
        """:meth:`execute_activity` for an activity given as its callable class."""
        return await self._execute_activity(activity, *args, **kwargs)

    @_form_of(_start_activity)
    async def start_activity_method(
        self, activity: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> ActivityHandle[Any]:
        """:meth:`start_activity` for an activity given as an ``@activity.defn`` method."""
        return await self._start_activity(activity, *args, **kwargs)

    @_form_of(_start_activity)
    async def execute_activity_method(
        self, activity: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Any:
        """:meth:`execute_activity` for an activity given as an ``@activity.defn`` method."""
        return await self._execute_activity(activity, *args, **kwargs)

    def list_activities(
        self,
        query: str,
        *,
        limit: Optional[int] = None,
        page_size: int = 1000,
        next_page_token: Optional[bytes] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ActivityExecutionAsyncIterator:
        """The standalone activities matching the visibility ``query`` (e.g.
        ``"ActivityType = 'greet'"``; ``""``: all), ``limit`` at most (None:
        all), ``page_size`` per call. No call is made until the first
        iteration. Goes through :meth:`OutboundInterceptor.list_activities`."""
        _check_type(query, str, "query", "a str")
        return self._impl.list_activities(
            _list_input(
                ListActivitiesInput,
                query,
                limit,
                page_size,
                next_page_token,
                rpc_metadata,
                rpc_timeout,
            )
        )

    async def count_activities(
        self,
        query: Optional[str] = None,
        *,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ActivityExecutionCount:
        """The number of standalone activities matching ``query`` (None:
        all; ``GROUP BY`` also counts per group). Approximate, eventually
        consistent. Goes through :meth:`OutboundInterceptor.count_activities`."""
        _check_type(query, str, "query", "a str", optional=True)
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return await self._impl.count_activities(
            CountActivitiesInput(query=query, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout)
        )

    def get_activity_handle(
        self,
        activity_id: str,
        *,
        run_id: Optional[str] = None,
        result_type: Optional[Type[Any]] = None,
    ) -> ActivityHandle[Any]:
        """A handle to the standalone activity ``activity_id`` (``run_id``
        None: the latest run) whose result decodes as ``result_type``. No
        call is made. For an activity to complete in a worker's stead, see
        :meth:`get_async_activity_handle`."""
        _check_str(activity_id, "activity_id")
        if run_id is not None:
            _check_str(run_id, "run_id")
        return ActivityHandle(
            cast("Client", self), activity_id, run_id=run_id, result_type=result_type
        )


class _ActivityOutboundMixin:
    """The standalone-activity operations of :class:`OutboundInterceptor`
    (each delegates to ``next``)."""

    next: "OutboundInterceptor"

    async def start_activity(self, input: StartActivityInput) -> ActivityHandle[Any]:
        """Called by :meth:`Client.start_activity` (and its forms)."""
        return await self.next.start_activity(input)

    async def cancel_activity(self, input: CancelActivityInput) -> None:
        """Called by :meth:`ActivityHandle.cancel`."""
        await self.next.cancel_activity(input)

    async def terminate_activity(self, input: TerminateActivityInput) -> None:
        """Called by :meth:`ActivityHandle.terminate`."""
        await self.next.terminate_activity(input)

    async def pause_activity(self, input: PauseActivityInput) -> None:
        """Called by :meth:`ActivityHandle.pause`."""
        await self.next.pause_activity(input)

    async def unpause_activity(self, input: UnpauseActivityInput) -> None:
        """Called by :meth:`ActivityHandle.unpause`."""
        await self.next.unpause_activity(input)

    async def update_activity_options(
        self, input: UpdateActivityOptionsInput
    ) -> ActivityExecutionOptions:
        """Called by :meth:`ActivityHandle.update_options` and ``restore_original_options``."""
        return await self.next.update_activity_options(input)

    async def describe_activity(self, input: DescribeActivityInput) -> ActivityExecutionDescription:
        """Called by :meth:`ActivityHandle.describe`."""
        return await self.next.describe_activity(input)

    def list_activities(self, input: ListActivitiesInput) -> ActivityExecutionAsyncIterator:
        """Called by :meth:`Client.list_activities` (not async: returns the iterator)."""
        return self.next.list_activities(input)

    async def count_activities(self, input: CountActivitiesInput) -> ActivityExecutionCount:
        """Called by :meth:`Client.count_activities`."""
        return await self.next.count_activities(input)


class _ActivityImplMixin:
    """The standalone-activity requests of the innermost link (``_ClientImpl``)."""

    _client: "Client"

    def _request(self, request_type: Any, input: Any, **fields: Any) -> Any:
        """The request ``request_type`` on the activity of ``input`` (its
        ``activity_id`` and ``activity_run_id``) in the client's namespace,
        with the client's identity, a new request id and ``fields``."""
        from temporalio.client._impl import _new_id

        client = self._client
        return request_type(
            namespace=client.namespace,
            activity_id=input.activity_id,
            run_id=input.activity_run_id or "",
            identity=client.identity,
            request_id=_new_id(),
            **fields,
        )

    async def start_activity(self, input: StartActivityInput) -> ActivityHandle[Any]:
        from temporalio.api.workflowservice.v1 import StartActivityExecutionRequest
        from temporalio.client._impl import _encode_typed_search_attributes, _new_id, _set_headers
        from temporalio.exceptions import ActivityAlreadyStartedError
        from temporalio.service import AlreadyExistsError

        if not (input.start_to_close_timeout or input.schedule_to_close_timeout):
            raise ValueError(
                "Activity must have start_to_close_timeout or schedule_to_close_timeout"
            )
        if input.start_delay is not None and input.start_delay < timedelta(0):
            raise ValueError("start_delay must be non-negative")
        client = self._client
        converter = _activity_converter(client, input.id, input.activity_type, input.task_queue)
        req = StartActivityExecutionRequest(
            namespace=client.namespace,
            identity=client.identity,
            request_id=_new_id(),
            activity_id=input.id,
            id_reuse_policy=int(input.id_reuse_policy),  # type: ignore[arg-type]
            id_conflict_policy=int(input.id_conflict_policy),  # type: ignore[arg-type]
        )
        req.activity_type.name = input.activity_type
        req.task_queue.name = input.task_queue
        for name in (
            "schedule_to_close_timeout",
            "start_to_close_timeout",
            "schedule_to_start_timeout",
            "heartbeat_timeout",
            "start_delay",
        ):
            value = getattr(input, name)
            if value is not None:
                getattr(req, name).FromTimedelta(value)
        if input.retry_policy is not None:
            input.retry_policy.apply_to_proto(req.retry_policy)
        if input.args:
            req.input.payloads.extend(
                await client._encode(input.args, f"activity {input.activity_type!r}", converter)
            )
        if input.search_attributes is not None:
            _encode_typed_search_attributes(input.search_attributes, req.search_attributes)
        if input.summary is not None:
            req.user_metadata.summary.CopyFrom(
                await client._encode_one(input.summary, "summary", converter)
            )
        _set_headers(input.headers, req.header, f"activity {input.activity_type!r}")
        req.priority.CopyFrom(input.priority._to_proto())
        try:
            resp = await client._call(
                "start_activity_execution", req, input.rpc_metadata, input.rpc_timeout
            )
        except AlreadyExistsError as err:
            try:
                detail = err._detail("ActivityExecutionAlreadyStartedFailure")
            except (TypeError, ValueError):  # undecodable status details
                detail = None
            if detail is None:
                raise
            raise ActivityAlreadyStartedError(
                input.id, input.activity_type, run_id=detail.run_id or None
            ) from err
        return ActivityHandle(
            client, input.id, run_id=resp.run_id or None, result_type=input.result_type
        )

    async def cancel_activity(self, input: CancelActivityInput) -> None:
        from temporalio.api.workflowservice.v1 import RequestCancelActivityExecutionRequest

        req = self._request(RequestCancelActivityExecutionRequest, input, reason=input.reason or "")
        await self._client._call(
            "request_cancel_activity_execution", req, input.rpc_metadata, input.rpc_timeout
        )

    async def terminate_activity(self, input: TerminateActivityInput) -> None:
        from temporalio.api.workflowservice.v1 import TerminateActivityExecutionRequest

        req = self._request(TerminateActivityExecutionRequest, input, reason=input.reason or "")
        await self._client._call(
            "terminate_activity_execution", req, input.rpc_metadata, input.rpc_timeout
        )

    async def pause_activity(self, input: PauseActivityInput) -> None:
        from temporalio.api.workflowservice.v1 import PauseActivityExecutionRequest

        req = self._request(PauseActivityExecutionRequest, input, reason=input.reason or "")
        await self._client._call(
            "pause_activity_execution", req, input.rpc_metadata, input.rpc_timeout
        )

    async def unpause_activity(self, input: UnpauseActivityInput) -> None:
        from temporalio.api.workflowservice.v1 import UnpauseActivityExecutionRequest

        req = self._request(UnpauseActivityExecutionRequest, input, reason=input.reason or "")
        if input.jitter is not None:
            req.jitter.FromTimedelta(input.jitter)
        await self._client._call(
            "unpause_activity_execution", req, input.rpc_metadata, input.rpc_timeout
        )

    async def update_activity_options(
        self, input: UpdateActivityOptionsInput
    ) -> ActivityExecutionOptions:
        from temporalio.api.workflowservice.v1 import UpdateActivityExecutionOptionsRequest

        if input.restore_original and input.updates:
            raise ValueError("restore_original cannot be combined with individual option updates")
        client = self._client
        req = self._request(UpdateActivityExecutionOptionsRequest, input)
        if input.restore_original:
            req.restore_original = True
        seen = set()
        for update in input.updates:
            name = update.key.name
            if name in seen:
                raise ValueError(
                    f"update_activity_options received more than one update for {name}"
                )
            seen.add(name)
            req.update_mask.paths.append(name)
            value = update.value
            if value is None:
                continue
            opts = req.activity_options
            if name == "task_queue.name":
                opts.task_queue.name = _check_str(value, "task_queue")
            elif name == "retry_policy":
                _check_type(value, RetryPolicy, "retry_policy", "a RetryPolicy")
                value.apply_to_proto(opts.retry_policy)
            elif name == "priority":
                _check_type(value, Priority, "priority", "a Priority")
                opts.priority.CopyFrom(value._to_proto())
            elif name in _TIMEDELTA_OPTIONS:
                _check_timeout(value, name)
                getattr(opts, name).FromTimedelta(value)
            else:
                raise ValueError(f"No conversion for activity option {name!r}")
        resp = await client._call(
            "update_activity_execution_options", req, input.rpc_metadata, input.rpc_timeout
        )
        return ActivityExecutionOptions._from_proto(resp.activity_options)

    async def describe_activity(self, input: DescribeActivityInput) -> ActivityExecutionDescription:
        from temporalio.api.workflowservice.v1 import DescribeActivityExecutionRequest

        client = self._client
        resp = await client._call(
            "describe_activity_execution",
            DescribeActivityExecutionRequest(
                namespace=client.namespace,
                activity_id=input.activity_id,
                run_id=input.activity_run_id or "",
                include_input=input.include_input,
                include_outcome=input.include_outcome,
                include_heartbeat_details=input.include_heartbeat_details,
                include_last_failure=input.include_last_failure,
            ),
            input.rpc_metadata,
            input.rpc_timeout,
        )
        converter = _activity_converter(
            client, resp.info.activity_id, resp.info.activity_type.name, resp.info.task_queue
        )
        description: ActivityExecutionDescription = ActivityExecutionDescription._from_resp(
            resp, client.namespace, converter
        )
        return description

    def list_activities(self, input: ListActivitiesInput) -> ActivityExecutionAsyncIterator:
        return ActivityExecutionAsyncIterator(self._client, input)

    async def count_activities(self, input: CountActivitiesInput) -> ActivityExecutionCount:
        from temporalio.api.workflowservice.v1 import CountActivityExecutionsRequest

        client = self._client
        resp = await client._call(
            "count_activity_executions",
            CountActivityExecutionsRequest(namespace=client.namespace, query=input.query or ""),
            input.rpc_metadata,
            input.rpc_timeout,
        )
        return ActivityExecutionCount._from_raw(resp)
