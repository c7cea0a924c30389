"""Workflow updates handled by OUR worker, end to end against the dev server:
results, validator rejection, a handler failing, an update waiting on a
condition, update-with-start, replay after eviction (no cache), and the
history compared with the official SDK's for the same workflow code
(tests/peer/cross_sdk_workflows.py:CrossSdkUpdateWorkflow)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any, Dict, List, Tuple

import pytest

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker
from tests.integration.test_workflow_cross_sdk import peer_worker
from tests.peer.cross_sdk_workflows import UPDATE_WORKFLOW_NAME, CrossSdkUpdateWorkflow

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(240)]

DEADLINE = 90.0


async def start(client: Client, task_queue: str) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        UPDATE_WORKFLOW_NAME,
        id=f"upd-{uuid.uuid4()}",
        task_queue=task_queue,
        execution_timeout=timedelta(seconds=200),
    )


async def drive(client: Client, handle: WorkflowHandle[Any, Any]) -> List[str]:
    """The same sequence of updates for every test and both SDKs; returns
    the run's result."""
    # The first update after the first workflow task completed, so that the
    # histories compared do not depend on whether it raced the start (an
    # update arriving first rides in the first task, with no task of its own).
    deadline = time.monotonic() + DEADLINE
    while not any(
        e.HasField("workflow_task_completed_event_attributes")
        for e in (await handle.fetch_history()).events
    ):
        assert time.monotonic() < deadline, "the first workflow task did not complete"
        await asyncio.sleep(0.05)
    assert await handle.execute_update("add", "a") == 1
    # the validator rejects: the update fails, nothing is recorded
    with pytest.raises(WorkflowUpdateFailedError) as rejected:
        await handle.execute_update("add", "")
    assert isinstance(rejected.value.cause, ApplicationError)
    assert rejected.value.cause.message == "empty item"
    assert rejected.value.cause.type == "ValueError"
    # the handler raises ApplicationError: the update fails
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update("fail", "boom")
    assert isinstance(failed.value.cause, ApplicationError)
    assert failed.value.cause.message == "boom" and failed.value.cause.type == "UpdateFailure"
    # an update waiting on a condition that a later update makes true
    waiting = await handle.start_update(
        "wait_for", 2, id="waiter", wait_for_stage=WorkflowUpdateStage.ACCEPTED
    )
    assert await handle.execute_update("add", "b") == 2
    assert await asyncio.wait_for(waiting.result(), DEADLINE) == ["a", "b"]
    assert await handle.execute_update("finish") == "finishing"
    return await asyncio.wait_for(handle.result(), DEADLINE)  # type: ignore[no-any-return]


def project(events: Any) -> List[Tuple[str, Dict[str, Any]]]:
    """Each event's type, and for update events what the code decided."""
    from temporalio.api.enums.v1 import EventType

    out: List[Tuple[str, Dict[str, Any]]] = []
    for e in events:
        name = EventType.Name(e.event_type)[len("EVENT_TYPE_") :]
        attrs: Dict[str, Any] = {}
        if name == "WORKFLOW_EXECUTION_UPDATE_ACCEPTED":
            a = e.workflow_execution_update_accepted_event_attributes
            attrs = {
                "name": a.accepted_request.input.name,
                "args": [p.data for p in a.accepted_request.input.args.payloads],
            }
        elif name == "WORKFLOW_EXECUTION_UPDATE_COMPLETED":
            o = e.workflow_execution_update_completed_event_attributes.outcome
            attrs = (
                {"failure": o.failure.message, "type": o.failure.application_failure_info.type}
                if o.HasField("failure")
                else {"success": [p.data for p in o.success.payloads]}
            )
        elif name == "WORKFLOW_EXECUTION_COMPLETED":
            r = e.workflow_execution_completed_event_attributes.result
            attrs = {"result": [p.data for p in r.payloads]}
        out.append((name, attrs))
    return out


def update_events(events: List[Tuple[str, Dict[str, Any]]]) -> List[Tuple[str, Dict[str, Any]]]:
    return [(t, a) for t, a in events if t.startswith("WORKFLOW_EXECUTION_UPDATE")]


# Accepted and completed updates, in the order the server records them (the
# rejected update leaves nothing).
EXPECTED_UPDATE_EVENTS = [
    ("WORKFLOW_EXECUTION_UPDATE_ACCEPTED", {"name": "add", "args": [b'"a"']}),
    ("WORKFLOW_EXECUTION_UPDATE_COMPLETED", {"success": [b"1"]}),
    ("WORKFLOW_EXECUTION_UPDATE_ACCEPTED", {"name": "fail", "args": [b'"boom"']}),
    ("WORKFLOW_EXECUTION_UPDATE_COMPLETED", {"failure": "boom", "type": "UpdateFailure"}),
    ("WORKFLOW_EXECUTION_UPDATE_ACCEPTED", {"name": "wait_for", "args": [b"2"]}),
    ("WORKFLOW_EXECUTION_UPDATE_ACCEPTED", {"name": "add", "args": [b'"b"']}),
    ("WORKFLOW_EXECUTION_UPDATE_COMPLETED", {"success": [b"2"]}),
    ("WORKFLOW_EXECUTION_UPDATE_COMPLETED", {"success": [b'["a","b"]']}),
    ("WORKFLOW_EXECUTION_UPDATE_ACCEPTED", {"name": "finish", "args": []}),
    ("WORKFLOW_EXECUTION_UPDATE_COMPLETED", {"success": [b'"finishing"']}),
]


async def test_updates_on_our_worker(client: Client) -> None:
    tq = f"upd-{uuid.uuid4()}"
    async with Worker(client, task_queue=tq, workflows=[CrossSdkUpdateWorkflow]):
        handle = await start(client, tq)
        assert await drive(client, handle) == ["a", "b"]
    events = project((await handle.fetch_history()).events)
    assert update_events(events) == EXPECTED_UPDATE_EVENTS
    assert events[-1] == ("WORKFLOW_EXECUTION_COMPLETED", {"result": [b'["a","b"]']})


async def test_updates_replayed_after_every_task_without_a_cache(client: Client) -> None:
    # max_cached_workflows=0: every task replays the whole history, accepted
    # updates re-delivered from their UpdateAccepted events (no validator)
    tq = f"upd-nocache-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=tq, workflows=[CrossSdkUpdateWorkflow], max_cached_workflows=0
    ):
        handle = await start(client, tq)
        assert await drive(client, handle) == ["a", "b"]
    events = project((await handle.fetch_history()).events)
    assert update_events(events) == EXPECTED_UPDATE_EVENTS
    assert "WORKFLOW_TASK_FAILED" not in [t for t, _ in events]


async def test_update_with_start_on_our_worker(client: Client) -> None:
    tq = f"upd-uws-{uuid.uuid4()}"
    workflow_id = f"uws-{uuid.uuid4()}"

    def operation() -> WithStartWorkflowOperation[Any, Any]:
        return WithStartWorkflowOperation(
            UPDATE_WORKFLOW_NAME,
            id=workflow_id,
            task_queue=tq,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )

    async with Worker(client, task_queue=tq, workflows=[CrossSdkUpdateWorkflow]):
        first = operation()
        # the update comes in the run's first workflow task, with its start
        assert (
            await client.execute_update_with_start_workflow(
                "add", "x", start_workflow_operation=first
            )
            == 1
        )
        handle = await first.workflow_handle()
        second = operation()
        assert (
            await client.execute_update_with_start_workflow(
                "add", "y", start_workflow_operation=second
            )
            == 2
        )
        assert (await second.workflow_handle()).result_run_id == handle.result_run_id
        assert await handle.execute_update("finish") == "finishing"
        assert await asyncio.wait_for(handle.result(), DEADLINE) == ["x", "y"]
    types = [t for t, _ in project((await handle.fetch_history()).events)]
    assert types[0] == "WORKFLOW_EXECUTION_STARTED"
    assert types.count("WORKFLOW_EXECUTION_UPDATE_ACCEPTED") == 3
    assert types.count("WORKFLOW_EXECUTION_UPDATE_COMPLETED") == 3


async def test_same_update_history_as_the_official_sdk(client: Client, server_target: str) -> None:
    ours_tq, peer_tq = f"upd-ours-{uuid.uuid4()}", f"upd-peer-{uuid.uuid4()}"
    async with peer_worker(server_target, peer_tq):
        handle = await start(client, peer_tq)
        assert await drive(client, handle) == ["a", "b"]
        official = project((await handle.fetch_history()).events)
    async with Worker(client, task_queue=ours_tq, workflows=[CrossSdkUpdateWorkflow]):
        handle = await start(client, ours_tq)
        assert await drive(client, handle) == ["a", "b"]
        ours = project((await handle.fetch_history()).events)
    assert [t for t, _ in ours] == [t for t, _ in official]
    assert ours == official
    assert update_events(ours) == EXPECTED_UPDATE_EVENTS


@pytest.mark.parametrize("first", ["official", "ours"])
async def test_update_history_of_one_sdk_finished_by_the_other(
    client: Client, server_target: str, first: str
) -> None:
    """One SDK's worker takes an update and accepts another that waits; it
    stops; the other SDK's worker replays that history (the accepted updates
    re-delivered from their UpdateAccepted events) and finishes the run."""
    tq = f"upd-handoff-{uuid.uuid4()}"

    def worker(sdk: str) -> Any:
        if sdk == "ours":
            return Worker(client, task_queue=tq, workflows=[CrossSdkUpdateWorkflow])
        return peer_worker(server_target, tq)

    async with worker(first):
        handle = await start(client, tq)
        assert await handle.execute_update("add", "a") == 1
        waiting = await handle.start_update(
            "wait_for", 2, id="waiter", wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
    async with worker("ours" if first == "official" else "official"):
        assert await asyncio.wait_for(handle.execute_update("add", "b"), DEADLINE) == 2
        assert await asyncio.wait_for(waiting.result(), DEADLINE) == ["a", "b"]
        assert await handle.execute_update("finish") == "finishing"
        assert await asyncio.wait_for(handle.result(), DEADLINE) == ["a", "b"]
    events = project((await handle.fetch_history()).events)
    assert "WORKFLOW_TASK_FAILED" not in [t for t, _ in events]
    assert update_events(events) == [
        e for e in EXPECTED_UPDATE_EVENTS if e[1].get("name") != "fail" and "type" not in e[1]
    ]
