"""Local activities on our own worker, end to end against the dev server:
run by the worker itself (no activity task on the server), recorded as
``core_local_activity`` markers, retried in the worker, timed out, and
resolved from the marker on replay without running again."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any, Dict, List

import pytest
from temporalio.api.enums.v1 import EventType

from temporalio import activity, workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError, TimeoutType
from temporalio.worker import Worker
from tests.integration.workflow_history import new_workflow_id as _id

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

CALLS: Dict[str, int] = {}


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
    import asyncio

    await asyncio.sleep(30)
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
        )


@workflow.defn
class LocalFailWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        return await workflow.execute_local_activity(
            la_fail,
            key,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=50), maximum_attempts=3
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


_n = itertools.count()


def _key(name: str) -> str:
    return f"{name}-{next(_n)}-{_id()}"


async def _event_types(client: Client, wf_id: str) -> List[str]:
    out = []
    async for ev in client.get_workflow_handle(wf_id).fetch_history_events():
        out.append(EventType.Name(ev.event_type))
    return out


def _worker(client: Client, task_queue: str, **kw: Any) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[LocalEchoWorkflow, LocalRetryWorkflow, LocalFailWorkflow, LocalTimeoutWorkflow],
        activities=[la_echo, la_flaky, la_fail, la_slow],
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
        result = await client.execute_workflow(
            LocalEchoWorkflow.run,
            key,
            id=wf_id,
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
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
        result = await client.execute_workflow(
            LocalRetryWorkflow.run,
            key,
            id=wf_id,
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
    assert result == "ok after 3"
    assert CALLS[key] == 3
    types = await _event_types(client, wf_id)
    assert types.count("EVENT_TYPE_MARKER_RECORDED") == 1  # one marker: the last attempt
    assert "EVENT_TYPE_TIMER_STARTED" not in types


async def test_local_activity_failure_after_retries(client: Client, task_queue: str) -> None:
    key = _key("fail")
    async with _worker(client, task_queue):
        with pytest.raises(WorkflowFailureError) as e:
            await client.execute_workflow(
                LocalFailWorkflow.run,
                key,
                id=_id(),
                task_queue=task_queue,
                execution_timeout=timedelta(seconds=60),
            )
    assert CALLS[key] == 3
    # as on the official SDK: the activity's own failure, not wrapped in an ActivityError
    err = e.value.cause
    assert isinstance(err, ApplicationError)
    assert err.type == "Boom" and err.message == "always fails"


async def test_local_activity_timeout(client: Client, task_queue: str) -> None:
    key = _key("slow")
    async with _worker(client, task_queue):
        result = await client.execute_workflow(
            LocalTimeoutWorkflow.run,
            key,
            id=_id(),
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
    assert result == f"timed out: {TimeoutType.START_TO_CLOSE.name}"
    assert CALLS[key] == 1
