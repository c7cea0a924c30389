"""Our workflow worker under pressure against the dev server: changed code
on an existing history (non-determinism), a workflow that blocks its
thread (deadlock), more runs than the cache holds, shutdown with runs
cached."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any, List

import pytest

from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

TIMEOUT = timedelta(seconds=60)


def _id() -> str:
    return f"wf-{uuid.uuid4()}"


async def _history(client: Client, workflow_id: str) -> List[Any]:
    from temporalio.api.common.v1 import WorkflowExecution
    from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest

    resp = await client.service.get_workflow_execution_history(
        GetWorkflowExecutionHistoryRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    return list(resp.history.events)


async def _wait_for_event(client: Client, workflow_id: str, attr: str, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for e in await _history(client, workflow_id):
            if e.HasField(attr):
                return e
        await asyncio.sleep(0.2)
    raise AssertionError(f"no {attr} in the history of {workflow_id} within {seconds} s")


# ---- non-determinism -----------------------------------------------------------------------


@workflow.defn(name="Changing")
class ChangingV1:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(0.1)
        await workflow.wait_condition(lambda: self.go)
        return "v1"

    @workflow.signal
    def proceed(self) -> None:
        self.go = True


@workflow.defn(name="Changing")
class ChangingV2:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self) -> str:
        # the timer is gone: replaying v1's history cannot match
        await workflow.wait_condition(lambda: self.go)
        return "v2"

    @workflow.signal
    def proceed(self) -> None:
        self.go = True


async def test_nondeterministic_change_fails_the_task(client: Client, task_queue: str) -> None:
    wid = _id()
    async with Worker(client, task_queue=task_queue, workflows=[ChangingV1]):
        h = await client.start_workflow(
            "Changing", id=wid, task_queue=task_queue, execution_timeout=TIMEOUT
        )
        await _wait_for_event(client, wid, "timer_fired_event_attributes")
        # the task after the timer completed: its commands are in history
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            kinds = [e.WhichOneof("attributes") for e in await _history(client, wid)]
            if (
                kinds[-1] == "workflow_task_completed_event_attributes"
                and kinds.count("workflow_task_completed_event_attributes") >= 2
            ):
                break
            await asyncio.sleep(0.2)
    async with Worker(client, task_queue=task_queue, workflows=[ChangingV2]):
        await h.signal("proceed")
        failed = await _wait_for_event(client, wid, "workflow_task_failed_event_attributes")
    attrs = failed.workflow_task_failed_event_attributes
    from temporalio.api.enums.v1 import WorkflowTaskFailedCause

    assert attrs.cause == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
    msg = attrs.failure.message
    # names the event (id 5, TimerStarted) and the command history expects
    assert msg.startswith("[TMPRL1100] Nondeterminism error"), msg
    assert "event 5 (EVENT_TYPE_TIMER_STARTED)" in msg and "COMMAND_TYPE_START_TIMER" in msg, msg
    await h.terminate("test over")


# ---- deadlock ------------------------------------------------------------------------------


@workflow.defn
class BlockingWorkflow:
    @workflow.run
    async def run(self) -> str:
        time.sleep(2)  # blocks the workflow's thread: never do this
        return "done"


async def test_deadlock_fails_the_task(client: Client, task_queue: str) -> None:
    wid = _id()
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[BlockingWorkflow],
        deadlock_timeout=timedelta(milliseconds=300),
    ):
        h = await client.start_workflow(
            "BlockingWorkflow", id=wid, task_queue=task_queue, execution_timeout=TIMEOUT
        )
        failed = await _wait_for_event(client, wid, "workflow_task_failed_event_attributes")
        await h.terminate("test over")
    msg = failed.workflow_task_failed_event_attributes.failure.message
    assert "[TMPRL1101]" in msg and "BlockingWorkflow" in msg, msg


# ---- cache pressure and shutdown ---------------------------------------------------------


@workflow.defn
class WaitSignal:
    def __init__(self) -> None:
        self.values: List[int] = []

    @workflow.run
    async def run(self) -> List[int]:
        await workflow.sleep(0.05)
        await workflow.wait_condition(lambda: len(self.values) >= 2)
        return self.values

    @workflow.signal
    def value(self, v: int) -> None:
        self.values.append(v)


async def test_eviction_under_cache_pressure(client: Client, task_queue: str) -> None:
    async with Worker(
        client, task_queue=task_queue, workflows=[WaitSignal], max_cached_workflows=2
    ):
        handles = [
            await client.start_workflow(
                "WaitSignal", id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
            )
            for _ in range(5)
        ]
        for i, h in enumerate(handles):
            await h.signal("value", i)
        for i, h in enumerate(handles):
            await h.signal("value", 10 + i)
        results = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), 60)
    assert results == [[i, 10 + i] for i in range(5)]


async def test_shutdown_with_runs_cached(client: Client, task_queue: str) -> None:
    w = Worker(client, task_queue=task_queue, workflows=[WaitSignal])
    await w.start()
    handles = [
        await client.start_workflow(
            "WaitSignal", id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
        )
        for _ in range(3)
    ]
    for h in handles:
        await h.signal("value", 1)
        await _wait_for_event(client, h.id, "timer_fired_event_attributes")
    ww = w._workflow_worker
    deadline = time.monotonic() + 30
    while ww.cached_runs < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert ww.cached_runs == 3
    await asyncio.wait_for(w.shutdown(), 30)
    assert ww.cached_runs == 0  # every cached run was evicted
    # another worker picks the runs up from their histories
    async with Worker(client, task_queue=task_queue, workflows=[WaitSignal]):
        for h in handles:
            await h.signal("value", 2)
        results = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), 60)
    assert results == [[1, 2]] * 3
