"""Local activities on our own worker, end to end against the dev server:
run by the worker itself (no activity task on the server), recorded as
``core_local_activity`` markers, retried in the worker, timed out, and
resolved from the marker on replay without running again."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from datetime import timedelta
from typing import Any, Dict, List, Tuple

import pytest
from temporalio.api.enums.v1 import EventType

from temporalio import activity, workflow
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError, TimeoutType
from temporalio.worker import Worker
from tests.integration.test_workflow_cross_sdk import peer_worker
from tests.integration.workflow_history import new_workflow_id as _id
from tests.peer.cross_sdk_la_workflows import CALLS as LA_CALLS
from tests.peer.cross_sdk_la_workflows import WORKFLOW_NAME as LA_WORKFLOW_NAME
from tests.peer.cross_sdk_la_workflows import LaFlow, la_cross_echo, la_cross_fail
from tests.peer.peerhost import CROSS_SDK_LA_HOST

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(240)]

CALLS: Dict[str, int] = LA_CALLS  # one count of calls in this process


@activity.defn
async def la_echo(value: str) -> str:
    info = activity.info()
    CALLS[value] = CALLS.get(value, 0) + 1
    return f"{value}:{info.attempt}:{info.is_local}"


@activity.defn
async def la_flaky(key: str) -> str:
    """Fails its first two attempts."""
    CALLS[key] = CALLS.get(key, 0) + 1
    if activity.info().attempt < 3:
        raise ApplicationError(f"attempt {activity.info().attempt} failed")
    return f"ok after {activity.info().attempt}"


@activity.defn
async def la_fail(key: str) -> str:
    CALLS[key] = CALLS.get(key, 0) + 1
    raise ApplicationError("always fails", type="Boom")


@activity.defn
async def la_slow(key: str) -> str:
    CALLS[key] = CALLS.get(key, 0) + 1
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        CALLS[f"{key}-cancelled"] = 1  # the core told it (timed out, or cancelled)
        raise
    return "too late"


@workflow.defn
class LocalEchoWorkflow:
    @workflow.run
    async def run(self, value: str) -> List[str]:
        out = []
        for i in range(2):
            out.append(
                await workflow.execute_local_activity(
                    la_echo, f"{value}-{i}", start_to_close_timeout=timedelta(seconds=10)
                )
            )
            await workflow.sleep(0.05)  # a task boundary between them
        return out


@workflow.defn
class LocalRetryWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        return await workflow.execute_local_activity(
            la_flaky,
            key,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50)),
            summary="flaky one",
        )


@workflow.defn
class LocalFailWorkflow:
    @workflow.run
    async def run(self, key: str, backoff_ms: int = 50) -> str:
        # a backoff under the local retry threshold: a timer in the worker
        return await workflow.execute_local_activity(
            la_fail,
            key,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=backoff_ms),
                backoff_coefficient=1.0,
                maximum_attempts=3,
            ),
        )


@workflow.defn
class LocalTimeoutWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        try:
            return await workflow.execute_local_activity(
                la_slow,
                key,
                start_to_close_timeout=timedelta(milliseconds=300),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            assert isinstance(err.cause, TimeoutError)
            return f"timed out: {err.cause.type.name}"


@workflow.defn
class LocalBackoffWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        # each backoff (200 ms) is longer than the local retry threshold (100 ms):
        # a durable timer in the workflow between the attempts
        return await workflow.execute_local_activity(
            la_flaky,
            key,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=200), backoff_coefficient=1.0
            ),
            local_retry_threshold=timedelta(milliseconds=100),
        )


@activity.defn
async def la_long(key: str) -> str:
    CALLS[key] = CALLS.get(key, 0) + 1
    await asyncio.sleep(3)
    return "long done"


@workflow.defn
class LocalLongWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        return await workflow.execute_local_activity(
            la_long, key, start_to_close_timeout=timedelta(seconds=20)
        )


@workflow.defn
class LocalCancelWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        handle = workflow.start_local_activity(
            la_slow, key, start_to_close_timeout=timedelta(seconds=10)
        )
        await asyncio.sleep(0)  # the handle's task starts waiting
        handle.cancel()
        try:
            await handle
        except ActivityError as err:
            return f"{err.message}: {type(err.cause).__name__}"
        return "not cancelled"


_n = itertools.count()


def _key(name: str) -> str:
    return f"{name}-{next(_n)}-{_id()}"


async def _event_types(client: Client, wf_id: str) -> List[str]:
    out = []
    async for ev in client.get_workflow_handle(wf_id).fetch_history_events():
        out.append(EventType.Name(ev.event_type))
    return out


async def _execute(client: Client, task_queue: str, run: Any, key: str, wf_id: str) -> Any:
    return await client.execute_workflow(
        run, key, id=wf_id, task_queue=task_queue, execution_timeout=timedelta(seconds=60)
    )


def _worker(client: Client, task_queue: str, **kw: Any) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[
            LocalEchoWorkflow,
            LocalRetryWorkflow,
            LocalFailWorkflow,
            LocalTimeoutWorkflow,
            LocalBackoffWorkflow,
            LocalCancelWorkflow,
            LocalLongWorkflow,
        ],
        activities=[la_echo, la_flaky, la_fail, la_slow, la_long],
        **kw,
    )


@pytest.mark.parametrize("cache", [1000, 0])
async def test_local_activity_result_and_markers(
    client: Client, task_queue: str, cache: int
) -> None:
    """Results come back; history holds markers, no activity task events; with
    no cache every task replays the run and the activities still ran once each."""
    key = _key("echo")
    wf_id = _id()
    async with _worker(client, task_queue, max_cached_workflows=cache):
        result = await _execute(client, task_queue, LocalEchoWorkflow.run, key, wf_id)
    assert result == [f"{key}-0:1:True", f"{key}-1:1:True"]
    assert CALLS[f"{key}-0"] == 1 and CALLS[f"{key}-1"] == 1
    types = await _event_types(client, wf_id)
    assert types.count("EVENT_TYPE_MARKER_RECORDED") == 2
    assert not any(t.startswith("EVENT_TYPE_ACTIVITY_TASK") for t in types)
    history = await client.get_workflow_handle(wf_id).fetch_history()
    markers = [
        e.marker_recorded_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    assert all(m.marker_name == "core_local_activity" for m in markers)
    assert b'"seq":1,"attempt":1,"activity_id":"1","activity_type":"la_echo"' in (
        markers[0].details["data"].payloads[0].data
    )


async def test_local_activity_retries_in_the_worker(client: Client, task_queue: str) -> None:
    key = _key("flaky")
    wf_id = _id()
    async with _worker(client, task_queue):
        result = await _execute(client, task_queue, LocalRetryWorkflow.run, key, wf_id)
    assert result == "ok after 3"
    assert CALLS[key] == 3
    types = await _event_types(client, wf_id)
    assert types.count("EVENT_TYPE_MARKER_RECORDED") == 1  # one marker: the last attempt
    assert "EVENT_TYPE_TIMER_STARTED" not in types
    history = await client.get_workflow_handle(wf_id).fetch_history()
    (marker,) = [e for e in history.events if e.HasField("marker_recorded_event_attributes")]
    assert marker.user_metadata.summary.data == b'"flaky one"'  # the summary, with the marker


async def test_local_activity_failure_after_retries(client: Client, task_queue: str) -> None:
    key = _key("fail")
    async with _worker(client, task_queue):
        with pytest.raises(WorkflowFailureError) as e:
            await _execute(client, task_queue, LocalFailWorkflow.run, key, _id())
    assert CALLS[key] == 3
    # as on the official SDK: the activity's own failure, not wrapped in an ActivityError
    err = e.value.cause
    assert isinstance(err, ApplicationError)
    assert err.type == "Boom" and err.message == "always fails"


async def test_no_local_activity_retry_after_shutdown(client: Client, task_queue: str) -> None:
    """A worker shut down while a local activity waits for its retry in the
    worker: the shutdown ends, and no new attempt starts."""
    key = _key("retry-later")
    async with _worker(client, task_queue):
        await client.start_workflow(
            LocalFailWorkflow.run,
            args=[key, 3000],
            id=_id(),
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
        while CALLS.get(key, 0) < 1:
            await asyncio.sleep(0.05)
    assert CALLS[key] == 1


async def test_local_activity_timeout(client: Client, task_queue: str) -> None:
    key = _key("slow")
    async with _worker(client, task_queue):
        result = await _execute(client, task_queue, LocalTimeoutWorkflow.run, key, _id())
        assert result == f"timed out: {TimeoutType.START_TO_CLOSE.name}"
        assert CALLS[key] == 1
        # the attempt that timed out was told to stop (CANCEL "timed_out")
        deadline = time.monotonic() + 30
        while f"{key}-cancelled" not in CALLS:
            assert time.monotonic() < deadline, "the timed-out local activity was not cancelled"
            await asyncio.sleep(0.05)


async def test_local_activity_backoff_as_a_timer(client: Client, task_queue: str) -> None:
    """A backoff longer than local_retry_threshold: the failed attempt is
    recorded (a marker with its backoff), a timer waits it out, and the next
    attempt is a new local activity carrying the attempt number."""
    key = _key("backoff")
    wf_id = _id()
    async with _worker(client, task_queue):
        result = await _execute(client, task_queue, LocalBackoffWorkflow.run, key, wf_id)
    assert result == "ok after 3"
    assert CALLS[key] == 3
    history = await client.get_workflow_handle(wf_id).fetch_history()
    types = [EventType.Name(e.event_type) for e in history.events]
    assert types.count("EVENT_TYPE_TIMER_STARTED") == 2
    assert types.count("EVENT_TYPE_TIMER_FIRED") == 2
    markers = [
        json.loads(e.marker_recorded_event_attributes.details["data"].payloads[0].data)
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    # each attempt after a backoff is a new local activity: a new seq (and id)
    assert [(m["seq"], m["attempt"], m["activity_id"]) for m in markers] == [
        (1, 1, "1"),
        (2, 2, "2"),
        (3, 3, "3"),
    ]
    assert markers[0]["backoff"] == {"seconds": 0, "nanos": 200000000}
    assert markers[2]["backoff"] is None
    assert len({json.dumps(m["original_schedule_time"]) for m in markers}) == 1


async def test_local_activity_cancel(client: Client, task_queue: str) -> None:
    key = _key("cancel")
    wf_id = _id()
    async with _worker(client, task_queue):
        result = await _execute(client, task_queue, LocalCancelWorkflow.run, key, wf_id)
    # (cancelled before it was given to the language: it never started)
    assert key not in CALLS
    assert result == "Local Activity cancelled: CancelledError"
    types = await _event_types(client, wf_id)
    assert types.count("EVENT_TYPE_MARKER_RECORDED") == 1


@pytest.mark.parametrize("cache", [1000, 0])
async def test_local_activity_longer_than_the_task_timeout(
    client: Client, task_queue: str, cache: int
) -> None:
    """A local activity running past 80 % of the workflow task timeout (2 s
    here): the task is answered (a heartbeat) and a new one forced, so the
    task never times out and the activity runs once. With no cache the run is
    evicted after the heartbeat and the next task's replay asks for the same
    local activity again: it is the one still running, not a second one."""
    key = _key("long")
    wf_id = _id()
    async with _worker(client, task_queue, max_cached_workflows=cache):
        result = await client.execute_workflow(
            LocalLongWorkflow.run,
            key,
            id=wf_id,
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
            task_timeout=timedelta(seconds=2),
        )
    assert result == "long done"
    assert CALLS[key] == 1
    types = await _event_types(client, wf_id)
    assert "EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT" not in types
    # the first task completed (the heartbeat) before the marker's task
    assert types.count("EVENT_TYPE_WORKFLOW_TASK_COMPLETED") >= 2
    assert types.index("EVENT_TYPE_WORKFLOW_TASK_COMPLETED") < types.index(
        "EVENT_TYPE_MARKER_RECORDED"
    )
    assert types.count("EVENT_TYPE_MARKER_RECORDED") == 1


# ---- the official SDK as an oracle ----------------------------------------------------------


def _our_la_worker(client: Client, task_queue: str) -> Worker:
    return Worker(
        client, task_queue=task_queue, workflows=[LaFlow], activities=[la_cross_echo, la_cross_fail]
    )


def _la_worker_of(sdk: str, client: Client, target: str, task_queue: str) -> Any:
    if sdk == "ours":
        return _our_la_worker(client, task_queue)
    return peer_worker(target, task_queue, CROSS_SDK_LA_HOST)


def _project(events: Any) -> List[Tuple[str, Any]]:
    """Event types, and for local-activity markers what sdk-core's marker data
    says (seq, attempt, id, type, backoff), the result and the failure."""
    out: List[Tuple[str, Any]] = []
    for e in events:
        name = EventType.Name(e.event_type)[len("EVENT_TYPE_") :]
        attrs: Any = None
        if name == "MARKER_RECORDED":
            m = e.marker_recorded_event_attributes
            data = json.loads(m.details["data"].payloads[0].data)
            result = m.details["result"].payloads[0].data if "result" in m.details else None
            attrs = (
                m.marker_name,
                {k: data[k] for k in ("seq", "attempt", "activity_id", "activity_type", "backoff")},
                result,
                (m.failure.message, m.failure.application_failure_info.type)
                if m.HasField("failure")
                else None,
            )
        out.append((name, attrs))
    return out


async def _wait_stage(handle: WorkflowHandle, stage: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        events = (await handle.fetch_history()).events
        types = [EventType.Name(e.event_type) for e in events]
        tasks = [t for t in types if t.startswith("EVENT_TYPE_WORKFLOW_TASK_")]
        if tasks and tasks[-1] == "EVENT_TYPE_WORKFLOW_TASK_COMPLETED":
            if await handle.query("stage") == stage:
                return
        assert time.monotonic() < deadline, f"run not at stage {stage!r}: {types}"
        await asyncio.sleep(0.1)


async def _run_la_flow(client: Client, task_queue: str, key: str) -> List[Tuple[str, Any]]:
    handle = await client.start_workflow(
        LA_WORKFLOW_NAME,
        key,
        id=_id(),
        task_queue=task_queue,
        execution_timeout=timedelta(seconds=120),
    )
    await _wait_stage(handle, "waiting")
    await handle.signal("proceed")
    assert await asyncio.wait_for(handle.result(), 60) == (
        f"echo:{key}-1|LaCrossFailure:failed: {key}-2|echo:{key}-3"
    )
    return _project((await handle.fetch_history()).events)


async def test_same_local_activity_history_on_both_sdks(client: Client, server_target: str) -> None:
    ours_tq, peer_tq = f"la-ours-{uuid.uuid4()}", f"la-peer-{uuid.uuid4()}"
    async with peer_worker(server_target, peer_tq, CROSS_SDK_LA_HOST):
        official = await _run_la_flow(client, peer_tq, _key("peer"))
    key = _key("ours")
    async with _our_la_worker(client, ours_tq):
        ours = await _run_la_flow(client, ours_tq, key)
    assert [t for t, _ in ours] == [t for t, _ in official]
    for i, (mine, theirs) in enumerate(zip(ours, official)):
        if mine[0] == "MARKER_RECORDED":  # the results name each run's own key
            assert mine[1][:2] == theirs[1][:2], f"event {i + 1} differs"
    assert [t for t, _ in ours].count("MARKER_RECORDED") == 3
    markers = [a for t, a in ours if t == "MARKER_RECORDED"]
    assert markers[0][1] == {
        "seq": 1,
        "attempt": 1,
        "activity_id": "1",
        "activity_type": "la_cross_echo",
        "backoff": None,
    }
    assert markers[1][1]["attempt"] == 2 and markers[1][3] == (
        f"failed: {key}-2",
        "LaCrossFailure",
    )
    assert CALLS[f"{key}-1"] == 1 and CALLS[f"{key}-2"] == 2 and CALLS[f"{key}-3"] == 1


@pytest.mark.parametrize("first", ["official", "ours"])
async def test_local_activity_history_finished_by_the_other_sdk(
    client: Client, server_target: str, first: str
) -> None:
    """A run left waiting (two local-activity markers in history) by one SDK is
    finished by the other, which resolves the first two from their markers
    (running nothing again) and runs the third."""
    tq = f"la-handoff-{uuid.uuid4()}"
    second = "official" if first == "ours" else "ours"
    key = _key(f"handoff-{first}")
    async with _la_worker_of(first, client, server_target, tq):
        handle = await client.start_workflow(
            LA_WORKFLOW_NAME,
            key,
            id=_id(),
            task_queue=tq,
            execution_timeout=timedelta(seconds=120),
        )
        await _wait_stage(handle, "waiting")
    ran_here = {k: CALLS.get(k, 0) for k in (f"{key}-1", f"{key}-2", f"{key}-3")}
    async with _la_worker_of(second, client, server_target, tq):
        # a query first: the second worker replays the other SDK's markers to answer it
        assert await asyncio.wait_for(handle.query("stage"), 60) == "waiting"
        await handle.signal("proceed")
        assert await asyncio.wait_for(handle.result(), 60) == (
            f"echo:{key}-1|LaCrossFailure:failed: {key}-2|echo:{key}-3"
        )
    after = {k: CALLS.get(k, 0) for k in ran_here}
    if first == "ours":  # ours ran the first two; the official SDK the third
        assert ran_here == {f"{key}-1": 1, f"{key}-2": 2, f"{key}-3": 0}
        assert after == ran_here
    else:  # the official SDK ran the first two; ours only the third
        assert ran_here == {f"{key}-1": 0, f"{key}-2": 0, f"{key}-3": 0}
        assert after == {f"{key}-1": 0, f"{key}-2": 0, f"{key}-3": 1}
    types = [t for t, _ in _project((await handle.fetch_history()).events)]
    assert types.count("MARKER_RECORDED") == 3
