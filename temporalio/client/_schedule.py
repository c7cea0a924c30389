"""Schedules: :class:`ScheduleHandle`, the ``Schedule*`` classes that describe
a schedule (the official SDK's names, fields and defaults), the interceptor
inputs of the schedule operations, and what each operation does on the wire.

:class:`Client` gets ``create_schedule``, ``get_schedule_handle`` and
``list_schedules`` from :class:`_ScheduleClientMixin`; the interceptor
chain gets its schedule methods from :class:`_ScheduleOutboundMixin` and the
innermost link its requests from :class:`_ScheduleImplMixin`. Protobuf
modules load inside the functions that use them.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import IntEnum
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Mapping,
    Optional,
    Sequence,
    Union,
)

from temporalio._checks import (
    _ARG_UNSET,
    _arg_or_args,
    _check_enum,
    _check_list,
    _check_mapping,
    _check_positive_int,
    _check_rpc_options,
    _check_str,
    _check_timeout,
    _check_type,
    _workflow_name_and_result_type,
)
from temporalio.common import Priority, RetryPolicy, TypedSearchAttributes
from temporalio.exceptions import TemporalError

if TYPE_CHECKING:
    from temporalio.api.common.v1 import Payload
    from temporalio.api.schedule.v1 import ScheduleListEntry
    from temporalio.api.workflow.v1 import NewWorkflowExecutionInfo
    from temporalio.api.workflowservice.v1 import DescribeScheduleResponse
    from temporalio.client._client import Client
    from temporalio.client._interceptor import OutboundInterceptor
    from temporalio.converter import DataConverter


class ScheduleAlreadyRunningError(TemporalError):
    """:meth:`Client.create_schedule` found a schedule with that id."""

    def __init__(self) -> None:
        super().__init__("Schedule already running")


def _utc(ts: Any) -> datetime:
    return ts.ToDatetime().replace(tzinfo=timezone.utc)


def _utc_if_set(msg: Any, name: str) -> Optional[datetime]:
    return _utc(getattr(msg, name)) if msg.HasField(name) else None


def _duration_if_set(msg: Any, name: str) -> Optional[timedelta]:
    return getattr(msg, name).ToTimedelta() if msg.HasField(name) else None


def _aware(value: datetime, name: str) -> datetime:
    """A datetime for a Timestamp: naive ones are taken as UTC (as protobuf does)."""
    _check_type(value, datetime, name, "a datetime.datetime")
    return value


# ---- the schedule's description ---------------------------------------------------------


@dataclass(frozen=True)
class ScheduleRange:
    """Inclusive range of values a calendar field matches: ``start``, then
    every ``step`` up to ``end``."""

    start: int
    """First value matched."""
    end: int = 0
    """Last value matched (inclusive); less than ``start`` (the default) means ``start``."""
    step: int = 0
    """Distance between matched values; 0 (the default) means 1."""

    def __post_init__(self) -> None:
        if self.end < self.start:
            object.__setattr__(self, "end", self.start)
        if self.step == 0:
            object.__setattr__(self, "step", 1)

    @staticmethod
    def _from_protos(ranges: Any) -> Sequence["ScheduleRange"]:
        return tuple(ScheduleRange(start=r.start, end=r.end, step=r.step) for r in ranges)

    @staticmethod
    def _fill(ranges: Sequence["ScheduleRange"], dest: Any) -> None:
        for r in ranges:
            dest.add(start=r.start, end=r.end, step=r.step)


@dataclass
class ScheduleCalendarSpec:
    """Calendar times an action runs at: a time matches when each field has a
    matching range (``year`` empty: every year)."""

    second: Sequence[ScheduleRange] = (ScheduleRange(0),)
    """Seconds, 0-59 (default 0)."""
    minute: Sequence[ScheduleRange] = (ScheduleRange(0),)
    """Minutes, 0-59 (default 0)."""
    hour: Sequence[ScheduleRange] = (ScheduleRange(0),)
    """Hours, 0-23 (default 0)."""
    day_of_month: Sequence[ScheduleRange] = (ScheduleRange(1, 31),)
    """Days of the month, 1-31 (default all)."""
    month: Sequence[ScheduleRange] = (ScheduleRange(1, 12),)
    """Months, 1-12 (default all)."""
    year: Sequence[ScheduleRange] = ()
    """Years (default empty: all)."""
    day_of_week: Sequence[ScheduleRange] = (ScheduleRange(0, 6),)
    """Days of the week, 0-6, 0 is Sunday (default all)."""
    comment: Optional[str] = None
    """Free text."""

    _FIELDS = ("second", "minute", "hour", "day_of_month", "month", "year", "day_of_week")

    @staticmethod
    def _from_proto(spec: Any) -> "ScheduleCalendarSpec":
        return ScheduleCalendarSpec(
            **{
                f: ScheduleRange._from_protos(getattr(spec, f))
                for f in ScheduleCalendarSpec._FIELDS
            },
            comment=spec.comment or None,
        )

    def _fill(self, dest: Any) -> None:
        for f in self._FIELDS:
            ScheduleRange._fill(getattr(self, f), getattr(dest, f))
        dest.comment = self.comment or ""


@dataclass
class ScheduleIntervalSpec:
    """Times ``epoch + n * every + offset``."""

    every: timedelta
    """Period."""
    offset: Optional[timedelta] = None
    """Shift of each period's time."""

    @staticmethod
    def _from_proto(spec: Any) -> "ScheduleIntervalSpec":
        return ScheduleIntervalSpec(
            every=spec.interval.ToTimedelta(), offset=_duration_if_set(spec, "phase")
        )


@dataclass
class ScheduleSpec:
    """When a schedule's action runs: the union of :attr:`calendars`,
    :attr:`intervals` and :attr:`cron_expressions`, minus :attr:`skip`."""

    calendars: Sequence[ScheduleCalendarSpec] = field(default_factory=list)
    """Calendar-based times."""
    intervals: Sequence[ScheduleIntervalSpec] = field(default_factory=list)
    """Interval-based times."""
    cron_expressions: Sequence[str] = field(default_factory=list)
    """Cron strings (the server turns them into calendar specs)."""
    skip: Sequence[ScheduleCalendarSpec] = field(default_factory=list)
    """Calendar times to leave out."""
    start_at: Optional[datetime] = None
    """No action before this time."""
    end_at: Optional[datetime] = None
    """No action after this time."""
    jitter: Optional[timedelta] = None
    """Each action is delayed by a random time up to this."""
    time_zone_name: Optional[str] = None
    """IANA time zone name of the calendar specs, e.g. ``US/Central``."""

    @staticmethod
    def _from_proto(spec: Any) -> "ScheduleSpec":
        return ScheduleSpec(
            calendars=[ScheduleCalendarSpec._from_proto(c) for c in spec.structured_calendar],
            intervals=[ScheduleIntervalSpec._from_proto(i) for i in spec.interval],
            cron_expressions=list(spec.cron_string),
            skip=[ScheduleCalendarSpec._from_proto(c) for c in spec.exclude_structured_calendar],
            start_at=_utc_if_set(spec, "start_time"),
            end_at=_utc_if_set(spec, "end_time"),
            jitter=_duration_if_set(spec, "jitter"),
            time_zone_name=spec.timezone_name or None,
        )

    def _fill(self, dest: Any) -> None:
        for i, cal in enumerate(_check_list(self.calendars, "ScheduleSpec.calendars", "a list")):
            _check_type(
                cal, ScheduleCalendarSpec, f"ScheduleSpec.calendars[{i}]", "a ScheduleCalendarSpec"
            )
            cal._fill(dest.structured_calendar.add())
        for i, iv in enumerate(_check_list(self.intervals, "ScheduleSpec.intervals", "a list")):
            _check_type(
                iv, ScheduleIntervalSpec, f"ScheduleSpec.intervals[{i}]", "a ScheduleIntervalSpec"
            )
            msg = dest.interval.add()
            msg.interval.FromTimedelta(iv.every)
            if iv.offset:
                msg.phase.FromTimedelta(iv.offset)
        dest.cron_string.extend(
            _check_list(self.cron_expressions, "ScheduleSpec.cron_expressions", "a list of str")
        )
        for cal in self.skip:
            cal._fill(dest.exclude_structured_calendar.add())
        if self.start_at:
            dest.start_time.FromDatetime(_aware(self.start_at, "ScheduleSpec.start_at"))
        if self.end_at:
            dest.end_time.FromDatetime(_aware(self.end_at, "ScheduleSpec.end_at"))
        if self.jitter:
            dest.jitter.FromTimedelta(self.jitter)
        dest.timezone_name = self.time_zone_name or ""


class ScheduleAction(ABC):
    """What a schedule does; :class:`ScheduleActionStartWorkflow` is the one kind."""

    @staticmethod
    def _from_proto(action: Any) -> "ScheduleAction":
        if action.HasField("start_workflow"):
            return ScheduleActionStartWorkflow("<unset>", raw_info=action.start_workflow)
        raise ValueError(f"Unsupported action: {action.WhichOneof('action')}")

    @abstractmethod
    async def _fill(self, client: "Client", dest: Any) -> None:
        """Set the ``ScheduleAction`` message ``dest``."""


@dataclass(init=False)
class ScheduleActionStartWorkflow(ScheduleAction):
    """Start a workflow: the options as :meth:`Client.start_workflow` has them.

    Read back from the server (``raw_info``), ``args``, ``memo`` and
    ``headers`` hold the payloads as stored, and go back unchanged in an update.
    """

    workflow: str
    """Workflow type name."""
    args: Sequence[Any]
    """Arguments (values, or payloads as read back)."""
    id: str
    """Workflow id (the server appends the scheduled time to it)."""
    task_queue: str
    """Task queue of the workflow."""
    execution_timeout: Optional[timedelta]
    """Limit of the whole chain of runs."""
    run_timeout: Optional[timedelta]
    """Limit of one run."""
    task_timeout: Optional[timedelta]
    """Limit of one workflow task."""
    retry_policy: Optional[RetryPolicy]
    """Retries of the workflow by the server."""
    memo: Optional[Mapping[str, Any]]
    """Memo of the workflow (values, or payloads as read back)."""
    typed_search_attributes: TypedSearchAttributes
    """Typed search attributes of the workflow (read back: those whose
    payload says its type)."""
    untyped_search_attributes: Mapping[str, Any]
    """Search attributes of the workflow: name to a value or a list of values
    (read back: those not in :attr:`typed_search_attributes`). A name in both
    is sent with its typed value."""
    static_summary: Union[str, "Payload", None]
    """Single-line summary shown in the UI (a payload as read back)."""
    static_details: Union[str, "Payload", None]
    """Longer description shown in the UI (a payload as read back)."""
    priority: Priority
    """Priority of the workflow's tasks (:attr:`Priority.default`: none set)."""
    headers: Optional[Mapping[str, "Payload"]]
    """Headers of the start (payloads, as given)."""
    _from_raw: bool = field(compare=False, repr=False, init=False)

    def __init__(
        self,
        workflow: Union[str, Callable[..., Any]],
        arg: Any = _ARG_UNSET,
        *,
        args: Sequence[Any] = [],
        id: Optional[str] = None,
        task_queue: Optional[str] = None,
        execution_timeout: Optional[timedelta] = None,
        run_timeout: Optional[timedelta] = None,
        task_timeout: Optional[timedelta] = None,
        retry_policy: Optional[RetryPolicy] = None,
        memo: Optional[Mapping[str, Any]] = None,
        typed_search_attributes: TypedSearchAttributes = TypedSearchAttributes.empty,
        untyped_search_attributes: Mapping[str, Any] = {},
        static_summary: Optional[str] = None,
        static_details: Optional[str] = None,
        headers: Optional[Mapping[str, "Payload"]] = None,
        priority: Priority = Priority.default,
        raw_info: Optional["NewWorkflowExecutionInfo"] = None,
    ) -> None:
        """``workflow``: the workflow type name, or the ``@workflow.run``
        method of a ``@workflow.defn`` class (its name is stored in
        :attr:`workflow`). ``id`` and ``task_queue`` are required (ValueError
        "ID required" / "Task queue required"); one argument as ``arg`` or several as
        ``args``. ``raw_info`` (a ``NewWorkflowExecutionInfo``) builds the
        action from what the server stored, ignoring the other options."""
        if raw_info is not None:
            from temporalio.client._impl import _decode_search_attributes
            from temporalio.common import _decode_typed_search_attributes

            self._from_raw = True
            self.workflow = raw_info.workflow_type.name
            self.args = list(raw_info.input.payloads)
            self.id = raw_info.workflow_id
            self.task_queue = raw_info.task_queue.name
            self.execution_timeout = _duration_if_set(raw_info, "workflow_execution_timeout")
            self.run_timeout = _duration_if_set(raw_info, "workflow_run_timeout")
            self.task_timeout = _duration_if_set(raw_info, "workflow_task_timeout")
            self.retry_policy = (
                RetryPolicy.from_proto(raw_info.retry_policy)
                if raw_info.HasField("retry_policy")
                else None
            )
            self.memo = dict(raw_info.memo.fields) if raw_info.memo.fields else None
            self.typed_search_attributes = _decode_typed_search_attributes(
                raw_info.search_attributes
            )
            typed_names = {pair.key.name for pair in self.typed_search_attributes}
            self.untyped_search_attributes = {
                k: v
                for k, v in _decode_search_attributes(raw_info.search_attributes).items()
                if k not in typed_names
            }
            self.priority = (
                Priority._from_proto(raw_info.priority)
                if raw_info.HasField("priority")
                else Priority.default
            )
            meta = raw_info.user_metadata
            has_meta = raw_info.HasField("user_metadata")
            self.static_summary = meta.summary if has_meta and meta.HasField("summary") else None
            self.static_details = meta.details if has_meta and meta.HasField("details") else None
            self.headers = dict(raw_info.header.fields) if raw_info.header.fields else None
            return
        self._from_raw = False
        # A name, or the run method of a @workflow.defn class (as the official SDK).
        workflow = _workflow_name_and_result_type(workflow)[0]
        if not id:
            raise ValueError("ID required")
        if not task_queue:
            raise ValueError("Task queue required")
        _check_str(id, "id")
        _check_str(task_queue, "task_queue")
        for name, value in (
            ("execution_timeout", execution_timeout),
            ("run_timeout", run_timeout),
            ("task_timeout", task_timeout),
        ):
            _check_timeout(value, name)
        _check_type(retry_policy, RetryPolicy, "retry_policy", "a RetryPolicy", optional=True)
        _check_mapping(memo, "memo")
        _check_type(
            typed_search_attributes,
            TypedSearchAttributes,
            "typed_search_attributes",
            "a TypedSearchAttributes",
        )
        _check_mapping(untyped_search_attributes, "untyped_search_attributes")
        _check_type(priority, Priority, "priority", "a Priority")
        self.workflow = workflow
        self.args = _arg_or_args((), arg, args)
        self.id = id
        self.task_queue = task_queue
        self.execution_timeout = execution_timeout
        self.run_timeout = run_timeout
        self.task_timeout = task_timeout
        self.retry_policy = retry_policy
        self.memo = memo
        self.typed_search_attributes = typed_search_attributes
        self.untyped_search_attributes = untyped_search_attributes
        self.static_summary = static_summary
        self.static_details = static_details
        self.priority = priority
        self.headers = headers

    async def _fill(self, client: "Client", dest: Any) -> None:
        from temporalio.api.common.v1 import Payload
        from temporalio.client._impl import (
            _encode_search_attributes,
            _encode_typed_search_attributes,
            _set_headers,
        )

        info = dest.start_workflow
        # (the official SDK's context for a schedule's workflow: its id as configured)
        converter = client._workflow_converter(self.id)
        info.workflow_id = self.id
        info.workflow_type.name = self.workflow
        info.task_queue.name = self.task_queue
        what = f"the scheduled workflow {self.workflow!r}"
        for arg in self.args:
            info.input.payloads.append(
                arg if isinstance(arg, Payload) else await client._encode_one(arg, what, converter)
            )
        for name, proto_name in (
            ("execution_timeout", "workflow_execution_timeout"),
            ("run_timeout", "workflow_run_timeout"),
            ("task_timeout", "workflow_task_timeout"),
        ):
            value = getattr(self, name)
            if value:
                getattr(info, proto_name).FromTimedelta(value)
        if self.retry_policy is not None:
            self.retry_policy.apply_to_proto(info.retry_policy)
        for key, value in (self.memo or {}).items():
            info.memo.fields[key].CopyFrom(
                value
                if isinstance(value, Payload)
                else await client._encode_one(value, f"memo {key!r}", converter)
            )
        typed_names = {pair.key.name for pair in self.typed_search_attributes}
        untyped = {k: v for k, v in self.untyped_search_attributes.items() if k not in typed_names}
        if untyped:
            await _encode_search_attributes(untyped, info.search_attributes)
        if typed_names:
            _encode_typed_search_attributes(self.typed_search_attributes, info.search_attributes)
        if self.priority != Priority.default:
            info.priority.CopyFrom(self.priority._to_proto())
        for name in ("summary", "details"):
            value = getattr(self, f"static_{name}")
            if value is not None:
                getattr(info.user_metadata, name).CopyFrom(
                    value
                    if isinstance(value, Payload)
                    else await client._encode_one(value, f"static_{name}", converter)
                )
        _set_headers(self.headers, info.header, what)


class ScheduleOverlapPolicy(IntEnum):
    """What happens when an action is due while the previous one still runs."""

    SKIP = 1
    """Start nothing (the default)."""
    BUFFER_ONE = 2
    """Start once more when the running one completes (one start buffered)."""
    BUFFER_ALL = 3
    """Start every buffered action, one after the other."""
    CANCEL_OTHER = 4
    """Cancel the running one, then start."""
    TERMINATE_OTHER = 5
    """Terminate the running one and start at once."""
    ALLOW_ALL = 6
    """Start regardless: actions run concurrently."""


@dataclass
class ScheduleBackfill:
    """A past time range to take actions for as if it passed now."""

    start_at: datetime
    """Start of the range (exclusive)."""
    end_at: datetime
    """End of the range (inclusive)."""
    overlap: Optional[ScheduleOverlapPolicy] = None
    """Overlap policy of these actions (None: the schedule's)."""

    def _fill(self, dest: Any) -> None:
        dest.start_time.FromDatetime(_aware(self.start_at, "ScheduleBackfill.start_at"))
        dest.end_time.FromDatetime(_aware(self.end_at, "ScheduleBackfill.end_at"))
        if self.overlap:
            dest.overlap_policy = int(_check_enum(ScheduleOverlapPolicy, self.overlap, "overlap"))


@dataclass
class SchedulePolicy:
    """Policies of a schedule."""

    overlap: ScheduleOverlapPolicy = field(default_factory=lambda: ScheduleOverlapPolicy.SKIP)
    """What happens when an action is due while another runs."""
    catchup_window: Optional[timedelta] = None
    """How far back missed actions are run after an outage (None: the server's default, a year)."""
    pause_on_failure: bool = False
    """Pause the schedule when an action fails or times out (after its retries)."""

    @staticmethod
    def _from_proto(pol: Any) -> "SchedulePolicy":
        return SchedulePolicy(
            overlap=ScheduleOverlapPolicy(int(pol.overlap_policy) or ScheduleOverlapPolicy.SKIP),
            catchup_window=_duration_if_set(pol, "catchup_window"),
            pause_on_failure=pol.pause_on_failure,
        )

    def _fill(self, dest: Any) -> None:
        dest.overlap_policy = int(_check_enum(ScheduleOverlapPolicy, self.overlap, "overlap"))
        dest.pause_on_failure = self.pause_on_failure
        if self.catchup_window is not None:
            dest.catchup_window.FromTimedelta(self.catchup_window)


@dataclass
class ScheduleState:
    """State of a schedule."""

    note: Optional[str] = None
    """Human-readable note (the server may overwrite it, e.g. on pause-on-failure)."""
    paused: bool = False
    """Whether the schedule is paused."""
    limited_actions: bool = False
    """Whether :attr:`remaining_actions` counts down (must be True exactly
    when ``remaining_actions`` is not 0 on create)."""
    remaining_actions: int = 0
    """Actions left when ``limited_actions``; at 0 no more are scheduled."""

    @staticmethod
    def _from_proto(state: Any) -> "ScheduleState":
        return ScheduleState(
            note=state.notes or None,
            paused=state.paused,
            limited_actions=state.limited_actions,
            remaining_actions=state.remaining_actions,
        )

    def _fill(self, dest: Any) -> None:
        dest.notes = self.note or ""
        dest.paused = self.paused
        dest.limited_actions = self.limited_actions
        dest.remaining_actions = self.remaining_actions


@dataclass
class Schedule:
    """A schedule: an action, when it runs, policies and state."""

    action: ScheduleAction
    """What is done."""
    spec: ScheduleSpec
    """When."""
    policy: SchedulePolicy = field(default_factory=SchedulePolicy)
    """Policies."""
    state: ScheduleState = field(default_factory=ScheduleState)
    """State."""

    @staticmethod
    def _from_proto(sched: Any) -> "Schedule":
        return Schedule(
            action=ScheduleAction._from_proto(sched.action),
            spec=ScheduleSpec._from_proto(sched.spec),
            policy=SchedulePolicy._from_proto(sched.policies),
            state=ScheduleState._from_proto(sched.state),
        )

    async def _fill(self, client: "Client", dest: Any) -> None:
        _check_type(self.action, ScheduleAction, "Schedule.action", "a ScheduleAction")
        _check_type(self.spec, ScheduleSpec, "Schedule.spec", "a ScheduleSpec")
        self.spec._fill(dest.spec)
        await self.action._fill(client, dest.action)
        self.policy._fill(dest.policies)
        self.state._fill(dest.state)


class ScheduleActionExecution(ABC):
    """An action taken; :class:`ScheduleActionExecutionStartWorkflow` is the one kind."""


@dataclass
class ScheduleActionExecutionStartWorkflow(ScheduleActionExecution):
    """A workflow the schedule started."""

    workflow_id: str
    """Its workflow id."""
    first_execution_run_id: str
    """Its first run id."""

    @staticmethod
    def _from_proto(exe: Any) -> "ScheduleActionExecutionStartWorkflow":
        return ScheduleActionExecutionStartWorkflow(
            workflow_id=exe.workflow_id, first_execution_run_id=exe.run_id
        )


@dataclass
class ScheduleActionResult:
    """An action the schedule took."""

    scheduled_at: datetime
    """When it was due."""
    started_at: datetime
    """When it was taken."""
    action: ScheduleActionExecution
    """What was started."""

    @staticmethod
    def _from_proto(res: Any) -> "ScheduleActionResult":
        return ScheduleActionResult(
            scheduled_at=_utc(res.schedule_time),
            started_at=_utc(res.actual_time),
            action=ScheduleActionExecutionStartWorkflow._from_proto(res.start_workflow_result),
        )


@dataclass
class ScheduleInfo:
    """What a schedule has done and will do."""

    num_actions: int
    """Actions taken (triggers and backfills included)."""
    num_actions_missed_catchup_window: int
    """Actions missed because they were older than the catchup window."""
    num_actions_skipped_overlap: int
    """Actions skipped by the overlap policy."""
    running_actions: Sequence[ScheduleActionExecution]
    """Workflows it started that are still running."""
    recent_actions: Sequence[ScheduleActionResult]
    """The latest actions taken."""
    next_action_times: Sequence[datetime]
    """The next times an action is due."""
    created_at: datetime
    """When the schedule was created."""
    last_updated_at: Optional[datetime]
    """When it was last updated."""

    @staticmethod
    def _from_proto(info: Any) -> "ScheduleInfo":
        return ScheduleInfo(
            num_actions=info.action_count,
            num_actions_missed_catchup_window=info.missed_catchup_window,
            num_actions_skipped_overlap=info.overlap_skipped,
            running_actions=[
                ScheduleActionExecutionStartWorkflow._from_proto(r) for r in info.running_workflows
            ],
            recent_actions=[ScheduleActionResult._from_proto(r) for r in info.recent_actions],
            next_action_times=[_utc(t) for t in info.future_action_times],
            created_at=_utc(info.create_time),
            last_updated_at=_utc_if_set(info, "update_time"),
        )


class _MemoReader:
    """``memo()`` and ``memo_value()`` of a description holding a ``Memo`` proto."""

    data_converter: "DataConverter"

    def _memo_proto(self) -> Any:
        raise NotImplementedError

    async def memo(self) -> Mapping[str, Any]:
        """The memo, decoded without type hints (a dataclass comes back as a dict)."""
        return {k: await self._memo_field(k, v, None) for k, v in self._memo_proto().fields.items()}

    async def memo_value(
        self, key: str, default: Any = _ARG_UNSET, *, type_hint: Any = None
    ) -> Any:
        """Memo value ``key`` decoded (into ``type_hint`` if given); ``default``
        if absent, else :class:`KeyError`."""
        fields = self._memo_proto().fields
        if key not in fields:
            if default is _ARG_UNSET:
                raise KeyError(f"Memo does not have a value for key {key}")
            return default
        return await self._memo_field(key, fields[key], type_hint)

    async def _memo_field(self, key: str, payload: Any, hint: Any) -> Any:
        (value,) = await self.data_converter.decode([payload], [hint] if hint else None)
        return value


@dataclass
class ScheduleDescription(_MemoReader):
    """A schedule as :meth:`ScheduleHandle.describe` found it."""

    id: str
    """Schedule id."""
    schedule: Schedule
    """The schedule (what :meth:`ScheduleHandle.update` may change)."""
    info: ScheduleInfo
    """What it has done and will do."""
    typed_search_attributes: TypedSearchAttributes
    """Search attributes of the schedule whose payload says its type."""
    search_attributes: Mapping[str, Any]
    """Search attributes of the schedule, decoded (all of them, untyped)."""
    data_converter: "DataConverter"
    """Decodes the memo."""
    raw_description: "DescribeScheduleResponse"
    """The whole DescribeSchedule response."""

    def _memo_proto(self) -> Any:
        return self.raw_description.memo

    @staticmethod
    def _from_proto(id: str, desc: Any, converter: "DataConverter") -> "ScheduleDescription":
        from temporalio.client._impl import _decode_search_attributes
        from temporalio.common import _decode_typed_search_attributes

        return ScheduleDescription(
            id=id,
            schedule=Schedule._from_proto(desc.schedule),
            info=ScheduleInfo._from_proto(desc.info),
            typed_search_attributes=_decode_typed_search_attributes(desc.search_attributes),
            search_attributes=_decode_search_attributes(desc.search_attributes),
            data_converter=converter,
            raw_description=desc,
        )


@dataclass
class ScheduleUpdateInput:
    """What the ``updater`` of :meth:`ScheduleHandle.update` is given."""

    description: ScheduleDescription
    """The schedule's current description."""


@dataclass
class ScheduleUpdate:
    """What the ``updater`` of :meth:`ScheduleHandle.update` returns."""

    schedule: Schedule
    """The schedule as it should be."""
    search_attributes: Union[TypedSearchAttributes, Mapping[str, Any], None] = None
    """If set, replaces all search attributes of the schedule (typed, as the
    official SDK takes them, or a mapping of name to value)."""


class ScheduleListAction(ABC):
    """The action of a listed schedule."""


@dataclass
class ScheduleListActionStartWorkflow(ScheduleListAction):
    """A listed schedule's action starts this workflow type."""

    workflow: str
    """Workflow type name."""


@dataclass
class ScheduleListState:
    """State of a listed schedule."""

    note: Optional[str]
    """Human-readable note."""
    paused: bool
    """Whether it is paused."""


@dataclass
class ScheduleListSchedule:
    """The schedule of a list entry."""

    action: ScheduleListAction
    spec: ScheduleSpec
    state: ScheduleListState

    @staticmethod
    def _from_proto(info: Any) -> "ScheduleListSchedule":
        if not info.HasField("workflow_type"):
            raise ValueError("Unknown action on schedule")
        return ScheduleListSchedule(
            action=ScheduleListActionStartWorkflow(workflow=info.workflow_type.name),
            spec=ScheduleSpec._from_proto(info.spec),
            state=ScheduleListState(note=info.notes or None, paused=info.paused),
        )


@dataclass
class ScheduleListInfo:
    """What a listed schedule has done and will do (fewer entries than describe gives)."""

    recent_actions: Sequence[ScheduleActionResult]
    next_action_times: Sequence[datetime]

    @staticmethod
    def _from_proto(info: Any) -> "ScheduleListInfo":
        return ScheduleListInfo(
            recent_actions=[ScheduleActionResult._from_proto(r) for r in info.recent_actions],
            next_action_times=[_utc(t) for t in info.future_action_times],
        )


@dataclass
class ScheduleListDescription(_MemoReader):
    """One schedule of :meth:`Client.list_schedules`."""

    id: str
    """Schedule id."""
    schedule: Optional[ScheduleListSchedule]
    """The schedule, in short (None if the server's visibility does not keep it)."""
    info: Optional[ScheduleListInfo]
    """What it did and will do, in short (None likewise)."""
    typed_search_attributes: TypedSearchAttributes
    """Search attributes of the schedule whose payload says its type."""
    search_attributes: Mapping[str, Any]
    """Search attributes of the schedule, decoded (all of them, untyped)."""
    data_converter: "DataConverter"
    """Decodes the memo."""
    raw_entry: "ScheduleListEntry"
    """The list entry as the server sent it."""

    def _memo_proto(self) -> Any:
        return self.raw_entry.memo

    @staticmethod
    def _from_proto(entry: Any, converter: "DataConverter") -> "ScheduleListDescription":
        from temporalio.client._impl import _decode_search_attributes
        from temporalio.common import _decode_typed_search_attributes

        has_info = entry.HasField("info")
        return ScheduleListDescription(
            id=entry.schedule_id,
            schedule=ScheduleListSchedule._from_proto(entry.info) if has_info else None,
            info=ScheduleListInfo._from_proto(entry.info) if has_info else None,
            typed_search_attributes=_decode_typed_search_attributes(entry.search_attributes),
            search_attributes=_decode_search_attributes(entry.search_attributes),
            data_converter=converter,
            raw_entry=entry,
        )


# ---- interceptor inputs -----------------------------------------------------------------


@dataclass
class CreateScheduleInput:
    """Input of :meth:`OutboundInterceptor.create_schedule`."""

    id: str
    schedule: Schedule
    trigger_immediately: bool
    backfill: Sequence[ScheduleBackfill]
    memo: Optional[Mapping[str, Any]]
    search_attributes: Union[TypedSearchAttributes, Mapping[str, Any], None]
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


@dataclass
class ListSchedulesInput:
    """Input of :meth:`OutboundInterceptor.list_schedules`."""

    page_size: int
    next_page_token: Optional[bytes]
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]
    query: Optional[str] = None


@dataclass
class BackfillScheduleInput:
    """Input of :meth:`OutboundInterceptor.backfill_schedule`."""

    id: str
    backfills: Sequence[ScheduleBackfill]
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


@dataclass
class DeleteScheduleInput:
    """Input of :meth:`OutboundInterceptor.delete_schedule`."""

    id: str
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


@dataclass
class DescribeScheduleInput:
    """Input of :meth:`OutboundInterceptor.describe_schedule`."""

    id: str
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


@dataclass
class PauseScheduleInput:
    """Input of :meth:`OutboundInterceptor.pause_schedule`."""

    id: str
    note: Optional[str]
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


@dataclass
class TriggerScheduleInput:
    """Input of :meth:`OutboundInterceptor.trigger_schedule`."""

    id: str
    overlap: Optional[ScheduleOverlapPolicy]
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


@dataclass
class UnpauseScheduleInput:
    """Input of :meth:`OutboundInterceptor.unpause_schedule`."""

    id: str
    note: Optional[str]
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


ScheduleUpdater = Callable[
    [ScheduleUpdateInput], Union[Optional[ScheduleUpdate], Awaitable[Optional[ScheduleUpdate]]]
]


@dataclass
class UpdateScheduleInput:
    """Input of :meth:`OutboundInterceptor.update_schedule`."""

    id: str
    updater: ScheduleUpdater
    rpc_metadata: Mapping[str, Union[str, bytes]]
    rpc_timeout: Optional[timedelta]


# ---- handle and iterator ----------------------------------------------------------------


class ScheduleHandle:
    """A schedule: made by :meth:`Client.create_schedule` or
    :meth:`Client.get_schedule_handle`. Each operation goes through the
    client's interceptors; ``rpc_timeout`` bounds one call, retries included.
    A missing schedule raises :class:`~temporalio.service.NotFoundError`."""

    def __init__(self, client: "Client", id: str) -> None:
        self._client = client
        self.id = id
        """Schedule id."""

    def __repr__(self) -> str:
        return f"ScheduleHandle(id={self.id!r})"

    async def backfill(
        self,
        *backfill: ScheduleBackfill,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Take the actions due in each backfill's time range as if it passed
        now (ValueError "At least one backfill required" for none)."""
        if not backfill:
            raise ValueError("At least one backfill required")
        for i, b in enumerate(backfill):
            _check_type(b, ScheduleBackfill, f"backfill[{i}]", "a ScheduleBackfill")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.backfill_schedule(
            BackfillScheduleInput(self.id, list(backfill), rpc_metadata, rpc_timeout)
        )

    async def delete(
        self,
        *,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Delete the schedule (workflows it started keep running)."""
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.delete_schedule(
            DeleteScheduleInput(self.id, rpc_metadata, rpc_timeout)
        )

    async def describe(
        self,
        *,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ScheduleDescription:
        """The schedule, its state and what it has done, as the server has them now."""
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return await self._client._impl.describe_schedule(
            DescribeScheduleInput(self.id, rpc_metadata, rpc_timeout)
        )

    async def pause(
        self,
        *,
        note: Optional[str] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Pause the schedule with ``note`` (default "Paused via Python SDK")."""
        _check_type(note, str, "note", "a str", optional=True)
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.pause_schedule(
            PauseScheduleInput(self.id, note, rpc_metadata, rpc_timeout)
        )

    async def unpause(
        self,
        *,
        note: Optional[str] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Unpause the schedule with ``note`` (default "Unpaused via Python SDK")."""
        _check_type(note, str, "note", "a str", optional=True)
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.unpause_schedule(
            UnpauseScheduleInput(self.id, note, rpc_metadata, rpc_timeout)
        )

    async def trigger(
        self,
        *,
        overlap: Optional[ScheduleOverlapPolicy] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Take the action now (``overlap`` overrides the schedule's policy)."""
        if overlap is not None:
            overlap = _check_enum(ScheduleOverlapPolicy, overlap, "overlap")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.trigger_schedule(
            TriggerScheduleInput(self.id, overlap, rpc_metadata, rpc_timeout)
        )

    async def update(
        self,
        updater: ScheduleUpdater,
        *,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Update the schedule: ``updater`` (sync or async) gets a
        :class:`ScheduleUpdateInput` with the current description and returns
        a :class:`ScheduleUpdate`, or None to leave the schedule as it is. An
        error it raises propagates and nothing is updated. ``rpc_metadata``
        and ``rpc_timeout`` apply to each call made (describe, then update)."""
        if not callable(updater):
            raise TypeError(
                f"updater must be a callable (ScheduleUpdateInput) -> ScheduleUpdate | None, "
                f"not {type(updater).__name__}"
            )
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.update_schedule(
            UpdateScheduleInput(self.id, updater, rpc_metadata, rpc_timeout)
        )


class ScheduleAsyncIterator:
    """The schedules of :meth:`Client.list_schedules`, page by page (use ``async for``)."""

    def __init__(self, client: "Client", input: ListSchedulesInput) -> None:
        self._client = client
        self._input = input
        self._next_page_token = input.next_page_token
        self._current_page: Optional[Sequence[ScheduleListDescription]] = None
        self._current_page_index = 0

    @property
    def current_page_index(self) -> int:
        """Index in :attr:`current_page` of the next entry returned."""
        return self._current_page_index

    @property
    def current_page(self) -> Optional[Sequence[ScheduleListDescription]]:
        """The page being returned (None before the first fetch)."""
        return self._current_page

    @property
    def next_page_token(self) -> Optional[bytes]:
        """Token of the next page (None: no more pages after the current one)."""
        return self._next_page_token

    async def fetch_next_page(self, *, page_size: Optional[int] = None) -> None:
        """Fetch the next page into :attr:`current_page` (``page_size``
        overrides the iterator's)."""
        from temporalio.api.workflowservice.v1 import ListSchedulesRequest

        client = self._client
        req = ListSchedulesRequest(
            namespace=client.namespace,
            maximum_page_size=page_size or self._input.page_size,
            next_page_token=self._next_page_token or b"",
            query=self._input.query or "",
        )
        resp = await client._call(
            "list_schedules", req, self._input.rpc_metadata, self._input.rpc_timeout
        )
        self._current_page = [
            ScheduleListDescription._from_proto(e, client.data_converter) for e in resp.schedules
        ]
        self._current_page_index = 0
        self._next_page_token = resp.next_page_token or None

    def __aiter__(self) -> "ScheduleAsyncIterator":
        return self

    async def __anext__(self) -> ScheduleListDescription:
        while self._current_page is None or self._current_page_index >= len(self._current_page):
            if self._current_page is not None and self._next_page_token is None:
                raise StopAsyncIteration
            await self.fetch_next_page()
        entry = self._current_page[self._current_page_index]
        self._current_page_index += 1
        return entry


# ---- the client's, the chain's and the implementation's parts ---------------------------


class _ScheduleClientMixin:
    """The schedule operations of :class:`Client`."""

    _impl: "OutboundInterceptor"

    async def create_schedule(
        self,
        id: str,
        schedule: Schedule,
        *,
        trigger_immediately: bool = False,
        backfill: Sequence[ScheduleBackfill] = [],
        memo: Optional[Mapping[str, Any]] = None,
        search_attributes: Union[TypedSearchAttributes, Mapping[str, Any], None] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ScheduleHandle:
        """Create schedule ``id``; return its handle.

        ``trigger_immediately`` takes one action at once; ``backfill`` takes
        the actions of past time ranges as if they passed now. ``memo`` and
        ``search_attributes`` are the schedule's (the scheduled workflow's
        are part of its action). Raises :class:`ScheduleAlreadyRunningError`
        if a schedule with the id exists; ValueError when
        ``schedule.state.limited_actions`` and ``remaining_actions``
        disagree. Goes through :meth:`OutboundInterceptor.create_schedule`.
        """
        _check_str(id, "id")
        _check_type(schedule, Schedule, "schedule", "a Schedule")
        _check_type(trigger_immediately, bool, "trigger_immediately", "a bool")
        backfill = list(_check_list(backfill, "backfill", "a list of ScheduleBackfill"))
        for i, b in enumerate(backfill):
            _check_type(b, ScheduleBackfill, f"backfill[{i}]", "a ScheduleBackfill")
        _check_mapping(memo, "memo")
        if not isinstance(search_attributes, TypedSearchAttributes):
            _check_mapping(search_attributes, "search_attributes")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return await self._impl.create_schedule(
            CreateScheduleInput(
                id=id,
                schedule=schedule,
                trigger_immediately=trigger_immediately,
                backfill=backfill,
                memo=memo,
                search_attributes=search_attributes,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    def get_schedule_handle(self, id: str) -> ScheduleHandle:
        """A handle to schedule ``id`` (no call: it may not exist)."""
        _check_str(id, "id")
        return ScheduleHandle(self, id)  # type: ignore[arg-type]

    async def list_schedules(
        self,
        query: Optional[str] = None,
        *,
        page_size: int = 1000,
        next_page_token: Optional[bytes] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ScheduleAsyncIterator:
        """The schedules matching visibility ``query`` (None: all), as an
        async iterator fetching ``page_size`` at a time (no call until the
        first iteration). Visibility is eventually consistent: a schedule
        just created or deleted may not show yet. Goes through
        :meth:`OutboundInterceptor.list_schedules`."""
        _check_type(query, str, "query", "a str", optional=True)
        _check_positive_int(page_size, "page_size")
        _check_type(next_page_token, bytes, "next_page_token", "bytes", optional=True)
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return self._impl.list_schedules(
            ListSchedulesInput(page_size, next_page_token, rpc_metadata, rpc_timeout, query)
        )


class _ScheduleOutboundMixin:
    """The schedule operations of :class:`OutboundInterceptor` (each delegates to ``next``)."""

    next: "OutboundInterceptor"

    async def create_schedule(self, input: CreateScheduleInput) -> ScheduleHandle:
        """Called by :meth:`Client.create_schedule`."""
        return await self.next.create_schedule(input)

    def list_schedules(self, input: ListSchedulesInput) -> ScheduleAsyncIterator:
        """Called by :meth:`Client.list_schedules` (not async: returns the iterator)."""
        return self.next.list_schedules(input)

    async def backfill_schedule(self, input: BackfillScheduleInput) -> None:
        """Called by :meth:`ScheduleHandle.backfill`."""
        await self.next.backfill_schedule(input)

    async def delete_schedule(self, input: DeleteScheduleInput) -> None:
        """Called by :meth:`ScheduleHandle.delete`."""
        await self.next.delete_schedule(input)

    async def describe_schedule(self, input: DescribeScheduleInput) -> ScheduleDescription:
        """Called by :meth:`ScheduleHandle.describe`."""
        return await self.next.describe_schedule(input)

    async def pause_schedule(self, input: PauseScheduleInput) -> None:
        """Called by :meth:`ScheduleHandle.pause`."""
        await self.next.pause_schedule(input)

    async def trigger_schedule(self, input: TriggerScheduleInput) -> None:
        """Called by :meth:`ScheduleHandle.trigger`."""
        await self.next.trigger_schedule(input)

    async def unpause_schedule(self, input: UnpauseScheduleInput) -> None:
        """Called by :meth:`ScheduleHandle.unpause`."""
        await self.next.unpause_schedule(input)

    async def update_schedule(self, input: UpdateScheduleInput) -> None:
        """Called by :meth:`ScheduleHandle.update`."""
        await self.next.update_schedule(input)


class _ScheduleImplMixin:
    """The schedule requests of the innermost link (``_ClientImpl``)."""

    _client: "Client"

    async def create_schedule(self, input: CreateScheduleInput) -> ScheduleHandle:
        from temporalio.api.workflowservice.v1 import CreateScheduleRequest
        from temporalio.client._impl import _encode_search_attributes, _new_id
        from temporalio.service import WorkflowExecutionAlreadyStartedError

        state = input.schedule.state
        if state.limited_actions and not state.remaining_actions:
            raise ValueError(
                "Must set limited actions to false if there are no remaining actions set"
            )
        if not state.limited_actions and state.remaining_actions:
            raise ValueError("Must set limited actions to true if there are remaining actions set")
        client = self._client
        req = CreateScheduleRequest(
            namespace=client.namespace,
            schedule_id=input.id,
            identity=client.identity,
            request_id=_new_id(),
        )
        await input.schedule._fill(client, req.schedule)
        if input.trigger_immediately:
            req.initial_patch.trigger_immediately.overlap_policy = int(
                input.schedule.policy.overlap
            )
        for b in input.backfill:
            b._fill(req.initial_patch.backfill_request.add())
        for key, value in (input.memo or {}).items():
            req.memo.fields[key].CopyFrom(await client._encode_one(value, f"memo {key!r}"))
        if input.search_attributes:
            await _encode_search_attributes(input.search_attributes, req.search_attributes)
        try:
            await client._call("create_schedule", req, input.rpc_metadata, input.rpc_timeout)
        except WorkflowExecutionAlreadyStartedError as err:
            raise ScheduleAlreadyRunningError() from err
        return ScheduleHandle(client, input.id)

    def list_schedules(self, input: ListSchedulesInput) -> ScheduleAsyncIterator:
        return ScheduleAsyncIterator(self._client, input)

    async def _patch(self, id: str, fill: Callable[[Any], None], input: Any) -> None:
        from temporalio.api.workflowservice.v1 import PatchScheduleRequest
        from temporalio.client._impl import _new_id

        client = self._client
        req = PatchScheduleRequest(
            namespace=client.namespace,
            schedule_id=id,
            identity=client.identity,
            request_id=_new_id(),
        )
        fill(req.patch)
        await client._call("patch_schedule", req, input.rpc_metadata, input.rpc_timeout)

    async def backfill_schedule(self, input: BackfillScheduleInput) -> None:
        def fill(patch: Any) -> None:
            for b in input.backfills:
                b._fill(patch.backfill_request.add())

        await self._patch(input.id, fill, input)

    async def pause_schedule(self, input: PauseScheduleInput) -> None:
        def fill(patch: Any) -> None:
            patch.pause = input.note or "Paused via Python SDK"

        await self._patch(input.id, fill, input)

    async def unpause_schedule(self, input: UnpauseScheduleInput) -> None:
        def fill(patch: Any) -> None:
            patch.unpause = input.note or "Unpaused via Python SDK"

        await self._patch(input.id, fill, input)

    async def trigger_schedule(self, input: TriggerScheduleInput) -> None:
        def fill(patch: Any) -> None:
            patch.trigger_immediately.overlap_policy = int(input.overlap or 0)

        await self._patch(input.id, fill, input)

    async def delete_schedule(self, input: DeleteScheduleInput) -> None:
        from temporalio.api.workflowservice.v1 import DeleteScheduleRequest

        client = self._client
        req = DeleteScheduleRequest(
            namespace=client.namespace, schedule_id=input.id, identity=client.identity
        )
        await client._call("delete_schedule", req, input.rpc_metadata, input.rpc_timeout)

    async def describe_schedule(self, input: DescribeScheduleInput) -> ScheduleDescription:
        from temporalio.api.workflowservice.v1 import DescribeScheduleRequest

        client = self._client
        req = DescribeScheduleRequest(namespace=client.namespace, schedule_id=input.id)
        resp = await client._call("describe_schedule", req, input.rpc_metadata, input.rpc_timeout)
        return ScheduleDescription._from_proto(input.id, resp, client.data_converter)

    async def update_schedule(self, input: UpdateScheduleInput) -> None:
        from temporalio.api.workflowservice.v1 import UpdateScheduleRequest
        from temporalio.client._impl import _encode_search_attributes, _new_id

        client = self._client
        description = await self.describe_schedule(
            DescribeScheduleInput(input.id, input.rpc_metadata, input.rpc_timeout)
        )
        update: Any = input.updater(ScheduleUpdateInput(description=description))
        if inspect.isawaitable(update):
            update = await update
        if update is None:
            return
        _check_type(update, ScheduleUpdate, "the updater's result", "a ScheduleUpdate or None")
        _check_type(update.schedule, Schedule, "ScheduleUpdate.schedule", "a Schedule")
        req = UpdateScheduleRequest(
            namespace=client.namespace,
            schedule_id=input.id,
            identity=client.identity,
            request_id=_new_id(),
            # The server refuses the update if the schedule changed since the describe.
            conflict_token=description.raw_description.conflict_token,
        )
        await update.schedule._fill(client, req.schedule)
        if update.search_attributes is not None:
            if not isinstance(update.search_attributes, TypedSearchAttributes):
                _check_mapping(update.search_attributes, "ScheduleUpdate.search_attributes")
            req.search_attributes.SetInParent()  # an empty map clears them
            await _encode_search_attributes(update.search_attributes, req.search_attributes)
        await client._call("update_schedule", req, input.rpc_metadata, input.rpc_timeout)
