"""Schedules against a dev server: create, describe, update, pause/unpause,
trigger, backfill, list and delete, with the scheduled workflow run by the peer
host (workflow type KitchenSink; tests/peer/README.md)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, TypeVar

import pytest

from temporalio.client import (
    Client,
    CreateScheduleInput,
    Interceptor,
    OutboundInterceptor,
    PauseScheduleInput,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
    ScheduleCalendarSpec,
    ScheduleDescription,
    ScheduleHandle,
    ScheduleIntervalSpec,
    ScheduleListDescription,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
    WorkflowHandle,
)
from temporalio.common import (
    Priority,
    RetryPolicy,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)
from temporalio.service import NotFoundError
from tests.integration.test_client import custom_search_attributes  # noqa: F401 (fixture)
from tests.peer.peerhost import WORKFLOW_TYPE, actions

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[Optional[T]]], what: str, timeout: float = 30
) -> T:
    """Poll ``probe`` until it returns something other than None (bounded)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if value is not None:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


INT_KEY = SearchAttributeKey.for_int("SdkCTestInt")
KEYWORD_KEY = SearchAttributeKey.for_keyword("SdkCTestKeyword")


def hourly(task_queue: str, workflow_id: str, value: Any = "scheduled") -> Schedule:
    """A schedule due every hour (so nothing runs unless triggered or backfilled)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            WORKFLOW_TYPE,
            actions({"result": {"value": value}}),
            id=workflow_id,
            task_queue=task_queue,
            execution_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(maximum_attempts=2),
            memo={"wf-memo": 1},
        ),
        spec=ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=timedelta(hours=1))],
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(3, 5)], comment="early")],
            jitter=timedelta(seconds=1),
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL),
        state=ScheduleState(note="created by a test"),
    )


@pytest.fixture
async def schedule_handle(client: Client, peer_task_queue: str) -> AsyncIterator[ScheduleHandle]:
    sid = f"sched-{uuid.uuid4()}"
    handle = await client.create_schedule(
        sid,
        hourly(peer_task_queue, f"wf-{sid}"),
        memo={"owner": "tests"},
    )
    yield handle
    try:
        await handle.delete()
    except NotFoundError:
        pass


async def action_count(handle: ScheduleHandle, at_least: int) -> Optional[ScheduleDescription]:
    desc = await handle.describe()
    return desc if desc.info.num_actions >= at_least else None


async def trigger_and_get_started(
    client: Client, handle: ScheduleHandle
) -> WorkflowHandle[Any, Any]:
    """Trigger the schedule now and return a handle to the workflow its
    action started (once the schedule's description lists it)."""
    await handle.trigger()
    desc = await eventually(lambda: action_count(handle, 1), "the triggered action")
    started = desc.info.recent_actions[0].action
    assert isinstance(started, ScheduleActionExecutionStartWorkflow)
    return client.get_workflow_handle(started.workflow_id)


async def test_create_and_describe(client: Client, schedule_handle: ScheduleHandle) -> None:
    desc = await schedule_handle.describe()
    assert desc.id == schedule_handle.id
    action = desc.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.workflow == WORKFLOW_TYPE
    assert action.id == f"wf-{schedule_handle.id}"
    assert action.execution_timeout == timedelta(minutes=5)
    assert action.retry_policy is not None and action.retry_policy.maximum_attempts == 2
    spec = desc.schedule.spec
    assert spec.intervals == [ScheduleIntervalSpec(every=timedelta(hours=1))]
    assert spec.calendars[0].hour == (ScheduleRange(3, 5, 1),)
    assert spec.calendars[0].comment == "early"
    assert spec.jitter == timedelta(seconds=1)
    assert desc.schedule.policy.overlap == ScheduleOverlapPolicy.ALLOW_ALL
    assert desc.schedule.state == ScheduleState(note="created by a test")
    assert await desc.memo() == {"owner": "tests"}
    assert await desc.memo_value("owner") == "tests"
    assert await desc.memo_value("nope", "dflt") == "dflt"
    with pytest.raises(KeyError, match="Memo does not have a value for key nope"):
        await desc.memo_value("nope")
    assert desc.info.num_actions == 0
    assert desc.info.next_action_times and desc.info.next_action_times[0] > datetime.now(
        timezone.utc
    )
    # A second create with the id.
    with pytest.raises(ScheduleAlreadyRunningError, match="^Schedule already running$"):
        await client.create_schedule(schedule_handle.id, desc.schedule)


async def test_trigger_starts_the_workflow(client: Client, schedule_handle: ScheduleHandle) -> None:
    await schedule_handle.trigger()
    desc = await eventually(lambda: action_count(schedule_handle, 1), "the triggered action")
    result = desc.info.recent_actions[0]
    assert isinstance(result.action, ScheduleActionExecutionStartWorkflow)
    started = result.action
    assert started.workflow_id.startswith(f"wf-{schedule_handle.id}")
    handle = client.get_workflow_handle(started.workflow_id, run_id=started.first_execution_run_id)
    assert await asyncio.wait_for(handle.result(), 60) == "scheduled"
    # The scheduled workflow's memo is the action's.
    assert await (await handle.describe()).memo() == {"wf-memo": 1}


async def test_pause_unpause_notes(schedule_handle: ScheduleHandle) -> None:
    await schedule_handle.pause(note="hold on")
    state = (await schedule_handle.describe()).schedule.state
    assert state.paused and state.note == "hold on"
    await schedule_handle.unpause()
    state = (await schedule_handle.describe()).schedule.state
    assert not state.paused and state.note == "Unpaused via Python SDK"
    await schedule_handle.pause()
    assert (await schedule_handle.describe()).schedule.state.note == "Paused via Python SDK"


async def test_backfill_takes_past_actions(schedule_handle: ScheduleHandle) -> None:
    with pytest.raises(ValueError, match="At least one backfill required"):
        await schedule_handle.backfill()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    # Hourly intervals: a 3.5 h window holds 3 (or 4) whole hours; the calendar
    # adds its 03-05h matches if they fall inside.
    await schedule_handle.backfill(
        ScheduleBackfill(
            start_at=now - timedelta(hours=3, minutes=30),
            end_at=now,
            overlap=ScheduleOverlapPolicy.ALLOW_ALL,
        )
    )
    desc = await eventually(lambda: action_count(schedule_handle, 3), "the backfilled actions")
    assert desc.info.num_actions >= 3


async def test_update_with_the_callback(schedule_handle: ScheduleHandle) -> None:
    seen: List[ScheduleUpdateInput] = []

    def change(input: ScheduleUpdateInput) -> ScheduleUpdate:
        seen.append(input)
        sched = input.description.schedule
        sched.spec = ScheduleSpec(cron_expressions=["0 12 * * MON"])
        sched.state.note = "updated"
        assert isinstance(sched.action, ScheduleActionStartWorkflow)
        sched.action.task_timeout = timedelta(seconds=20)
        return ScheduleUpdate(schedule=sched, search_attributes={})

    await schedule_handle.update(change)
    assert len(seen) == 1 and seen[0].description.id == schedule_handle.id
    desc = await schedule_handle.describe()
    assert desc.schedule.state.note == "updated"
    assert desc.schedule.spec.intervals == []
    cal = desc.schedule.spec.calendars[0]  # the server turned the cron into a calendar
    assert cal.hour == (ScheduleRange(12),) and cal.day_of_week == (ScheduleRange(1),)
    action = desc.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.task_timeout == timedelta(seconds=20)
    # The args went back as the payloads read: the workflow still gets them.
    assert action.args and desc.schedule.policy.overlap == ScheduleOverlapPolicy.ALLOW_ALL

    # None: no update at all; an async updater works too.
    async def nothing(input: ScheduleUpdateInput) -> None:
        return None

    await schedule_handle.update(nothing)
    after = await schedule_handle.describe()
    assert after.info.last_updated_at == desc.info.last_updated_at

    # An updater's error propagates and nothing changes.
    def broken(input: ScheduleUpdateInput) -> ScheduleUpdate:
        raise RuntimeError("updater failed")

    with pytest.raises(RuntimeError, match="updater failed"):
        await schedule_handle.update(broken)
    assert (await schedule_handle.describe()).schedule.state.note == "updated"


async def test_list_and_delete(client: Client, schedule_handle: ScheduleHandle) -> None:
    async def listed() -> Optional[ScheduleListDescription]:
        async for entry in await client.list_schedules(page_size=2):
            if entry.id == schedule_handle.id:
                return entry
        return None

    entry = await eventually(listed, "the schedule in the list")
    assert entry.schedule is not None and entry.info is not None
    assert entry.schedule.action.workflow == WORKFLOW_TYPE  # type: ignore[attr-defined]
    assert entry.schedule.state.note == "created by a test"
    assert await entry.memo() == {"owner": "tests"}

    # A visibility query selects it alone; a paused-only query leaves it out.
    async def by_query(query: str) -> Optional[List[str]]:
        ids = [e.id async for e in await client.list_schedules(query)]
        return ids or None

    sid = schedule_handle.id
    assert await eventually(lambda: by_query(f"ScheduleId = '{sid}'"), "the query") == [sid]
    paused = await by_query(f"ScheduleId = '{sid}' AND TemporalSchedulePaused = true")
    assert paused is None
    await schedule_handle.delete()
    with pytest.raises(NotFoundError):
        await schedule_handle.describe()

    async def gone() -> Optional[bool]:
        return None if await listed() is not None else True

    await eventually(gone, "the schedule to leave the list")


async def test_limited_actions_checks_and_arguments(client: Client, peer_task_queue: str) -> None:
    sched = hourly(peer_task_queue, "wf-x")
    sched.state = ScheduleState(remaining_actions=2)
    with pytest.raises(ValueError, match="Must set limited actions to true if there are"):
        await client.create_schedule(f"sched-{uuid.uuid4()}", sched)
    sched.state = ScheduleState(limited_actions=True)
    with pytest.raises(ValueError, match="Must set limited actions to false if there are"):
        await client.create_schedule(f"sched-{uuid.uuid4()}", sched)
    with pytest.raises(ValueError, match="ID required"):
        ScheduleActionStartWorkflow(WORKFLOW_TYPE, task_queue="tq")
    with pytest.raises(ValueError, match="Task queue required"):
        ScheduleActionStartWorkflow(WORKFLOW_TYPE, id="x")
    with pytest.raises(TypeError, match="schedule must be a Schedule"):
        await client.create_schedule("x", "not a schedule")  # type: ignore[arg-type]
    assert ScheduleRange(4) == ScheduleRange(4, 4, 1)
    assert SchedulePolicy().overlap == ScheduleOverlapPolicy.SKIP


async def test_trigger_immediately_and_interceptors(client: Client, peer_task_queue: str) -> None:
    seen: List[str] = []

    class Recorder(OutboundInterceptor):
        async def create_schedule(self, input: CreateScheduleInput) -> ScheduleHandle:
            seen.append(f"create {input.id} {input.trigger_immediately}")
            return await super().create_schedule(input)

        async def pause_schedule(self, input: PauseScheduleInput) -> None:
            seen.append(f"pause {input.note}")
            await super().pause_schedule(input)

    class Factory(Interceptor):
        def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
            return Recorder(next)

    intercepted = Client(**{**client.config(), "interceptors": [Factory()]})
    sid = f"sched-{uuid.uuid4()}"
    handle = await intercepted.create_schedule(
        sid, hourly(peer_task_queue, f"wf-{sid}", value="at once"), trigger_immediately=True
    )
    try:
        await handle.pause(note="n")
        assert seen == [f"create {sid} True", "pause n"]
        desc = await eventually(lambda: action_count(handle, 1), "the immediate action")
        started = desc.info.recent_actions[0].action
        assert isinstance(started, ScheduleActionExecutionStartWorkflow)
        wf = client.get_workflow_handle(started.workflow_id)
        assert await asyncio.wait_for(wf.result(), 60) == "at once"
    finally:
        await handle.delete()


async def test_missing_schedule(client: Client) -> None:
    handle = client.get_schedule_handle(f"missing-{uuid.uuid4()}")
    with pytest.raises(NotFoundError):
        await handle.describe()
    with pytest.raises(NotFoundError):
        await handle.trigger()


async def test_search_attributes_of_schedule_and_action(
    client: Client,
    peer_task_queue: str,
    custom_search_attributes: Dict[str, int],  # noqa: F811
) -> None:
    sid = f"sched-{uuid.uuid4()}"
    sched = hourly(peer_task_queue, f"wf-{sid}")
    assert isinstance(sched.action, ScheduleActionStartWorkflow)
    sched.action.untyped_search_attributes = {"SdkCTestInt": 7}
    handle = await client.create_schedule(
        sid, sched, search_attributes={"SdkCTestKeyword": f"kw-{sid}"}
    )
    try:
        desc = await handle.describe()
        assert desc.search_attributes["SdkCTestKeyword"] == f"kw-{sid}"
        action = desc.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        # the server stores the attribute's type: read back, it is a typed one
        # (and not also untyped), as the official SDK reads it
        assert action.typed_search_attributes.get(INT_KEY) == 7
        assert action.untyped_search_attributes == {}

        async def listed(kw: str) -> Optional[List[str]]:
            ids = [e.id async for e in await client.list_schedules(f"SdkCTestKeyword = '{kw}'")]
            return ids or None

        assert await eventually(lambda: listed(f"kw-{sid}"), "the keyword query") == [sid]
        # An update replaces the schedule's search attributes; the action's stay.
        await handle.update(
            lambda input: ScheduleUpdate(
                input.description.schedule, search_attributes={"SdkCTestKeyword": f"new-{sid}"}
            )
        )

        # (applied by the server's scheduler asynchronously: polled)
        async def replaced() -> Optional[ScheduleDescription]:
            d = await handle.describe()
            return d if d.search_attributes.get("SdkCTestKeyword") == f"new-{sid}" else None

        desc = await eventually(replaced, "the updated search attribute")
        action = desc.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert action.typed_search_attributes.get(INT_KEY) == 7
        # The started workflow gets the action's.
        wf = await trigger_and_get_started(client, handle)
        await asyncio.wait_for(wf.result(), 60)
        assert (await wf.describe()).search_attributes["SdkCTestInt"] == 7
    finally:
        await handle.delete()


async def test_typed_search_attributes_and_priority(
    client: Client,
    peer_task_queue: str,
    custom_search_attributes: Dict[str, int],  # noqa: F811
) -> None:
    """The official SDK's typed forms: the action's typed_search_attributes
    and priority, the schedule's own typed search attributes (at creation and
    in an update), read back typed and given to the started workflow."""
    sid = f"sched-{uuid.uuid4()}"
    sched = hourly(peer_task_queue, f"wf-{sid}")
    assert isinstance(sched.action, ScheduleActionStartWorkflow)
    sched.action = ScheduleActionStartWorkflow(
        WORKFLOW_TYPE,
        actions({"result": {"value": "typed"}}),
        id=f"wf-{sid}",
        task_queue=peer_task_queue,
        typed_search_attributes=TypedSearchAttributes([SearchAttributePair(INT_KEY, 11)]),
        # an untyped value for the same name loses to the typed one
        untyped_search_attributes={"SdkCTestInt": 99},
        priority=Priority(priority_key=4),
    )
    handle = await client.create_schedule(
        sid,
        sched,
        search_attributes=TypedSearchAttributes([SearchAttributePair(KEYWORD_KEY, f"t-{sid}")]),
    )
    try:
        desc = await handle.describe()
        assert desc.typed_search_attributes.get(KEYWORD_KEY) == f"t-{sid}"
        action = desc.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert action.typed_search_attributes.get(INT_KEY) == 11
        assert action.priority == Priority(priority_key=4)

        async def listed() -> Optional[ScheduleListDescription]:
            async for e in await client.list_schedules(f"SdkCTestKeyword = 't-{sid}'"):
                return e
            return None

        entry = await eventually(listed, "the schedule listed by its typed keyword")
        assert entry.typed_search_attributes.get(KEYWORD_KEY) == f"t-{sid}"

        # an update with typed search attributes replaces the schedule's
        await handle.update(
            lambda input: ScheduleUpdate(
                input.description.schedule,
                search_attributes=TypedSearchAttributes(
                    [SearchAttributePair(KEYWORD_KEY, f"u-{sid}")]
                ),
            )
        )

        async def replaced() -> Optional[ScheduleDescription]:
            d = await handle.describe()
            return d if d.typed_search_attributes.get(KEYWORD_KEY) == f"u-{sid}" else None

        desc = await eventually(replaced, "the updated typed search attribute")
        action = desc.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        # the action read back and sent again keeps its priority and attributes
        assert action.priority == Priority(priority_key=4)
        assert action.typed_search_attributes.get(INT_KEY) == 11

        wf = await trigger_and_get_started(client, handle)
        assert await asyncio.wait_for(wf.result(), 60) == "typed"
        wf_desc = await wf.describe()
        assert wf_desc.typed_search_attributes.get(INT_KEY) == 11
        assert wf_desc.raw_info.priority.priority_key == 4
    finally:
        await handle.delete()
