"""The activity worker end to end: a real dev server, workflows run by the peer
host (workflow type ``KitchenSink``; see tests/peer/README.md), activities run
by our :class:`temporalio.worker.Worker`."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from datetime import timedelta
from typing import Any, Dict, List

import pytest

from temporalio import activity
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import Worker
from tests.peer.peerhost import WORKFLOW_TYPE, actions


def new_tq() -> str:
    return f"act-{uuid.uuid4()}"


async def run_activity(
    client: Client, peer_task_queue: str, worker_tq: str, name: str, *args: Any, **spec: Any
) -> Any:
    """Runs a KitchenSink workflow that executes activity ``name`` on ``worker_tq``
    and returns its result."""
    spec = {"name": name, "task_queue": worker_tq, "args": list(args), **spec}
    handle = await client.start_workflow(
        WORKFLOW_TYPE,
        actions({"execute_activity": spec}),
        id=f"wf-{uuid.uuid4()}",
        task_queue=peer_task_queue,
        execution_timeout=timedelta(seconds=60),
    )
    return await handle.result()


async def say_hello(name: str) -> str:
    return f"Hello, {name}!"


async def test_hello_activity(client: Client, peer_task_queue: str) -> None:
    tq = new_tq()
    async with Worker(client, task_queue=tq, activities={"say_hello": say_hello}):
        result = await run_activity(client, peer_task_queue, tq, "say_hello", "Temporal")
    assert result == "Hello, Temporal!"


async def test_sync_activity_runs_in_a_thread(client: Client, peer_task_queue: str) -> None:
    tq = new_tq()
    threads: List[str] = []

    def add(a: int, b: int) -> int:
        threads.append(threading.current_thread().name)
        activity.heartbeat("working")
        return a + b

    async with Worker(client, task_queue=tq, activities={"add": add}):
        assert await run_activity(client, peer_task_queue, tq, "add", 2, 3) == 5
    assert threads and threads[0].startswith("temporal_activity")


async def test_defn_list_registration(client: Client, peer_task_queue: str) -> None:
    @activity.defn(name="shout")
    async def loud(text: str) -> str:
        return text.upper()

    tq = new_tq()
    async with Worker(client, task_queue=tq, activities=[loud]):
        assert await run_activity(client, peer_task_queue, tq, "shout", "hi") == "HI"


async def test_info_fields(client: Client, peer_task_queue: str) -> None:
    tq = new_tq()
    seen: Dict[str, Any] = {}

    async def describe() -> str:
        info = activity.info()
        seen["info"] = info
        seen["in_activity"] = activity.in_activity()
        seen["cancelled"] = info.cancelled
        return "ok"

    async with Worker(client, task_queue=tq, activities={"describe": describe}):
        await run_activity(
            client, peer_task_queue, tq, "describe", start_to_close_ms=20000, heartbeat_timeout_ms=5000
        )
    info = seen["info"]
    assert seen["in_activity"] and not seen["cancelled"]
    assert info.activity_type == "describe"
    assert info.attempt == 1
    assert info.task_queue == tq
    assert info.workflow_type == WORKFLOW_TYPE
    assert info.workflow_id and info.workflow_id.startswith("wf-")
    assert info.workflow_run_id
    assert info.namespace == "default" and info.workflow_namespace == "default"
    assert info.start_to_close_timeout == timedelta(seconds=20)
    assert info.heartbeat_timeout == timedelta(seconds=5)
    assert info.task_token and info.activity_id
    assert info.scheduled_time is not None and info.started_time is not None
    assert info.heartbeat_details == []
    assert not activity.in_activity()


async def test_failure_chain(client: Client, peer_task_queue: str) -> None:
    tq = new_tq()

    async def fail() -> None:
        raise ApplicationError("it broke", {"why": "test"}, type="MyFailure", non_retryable=True)

    async with Worker(client, task_queue=tq, activities={"fail": fail}):
        with pytest.raises(WorkflowFailureError) as e:
            await run_activity(client, peer_task_queue, tq, "fail")
    cause = e.value.cause
    assert isinstance(cause, ActivityError)
    app = cause.cause
    assert isinstance(app, ApplicationError)
    assert app.message == "it broke"
    assert app.type == "MyFailure"
    assert app.non_retryable
    assert list(app.details) == [{"why": "test"}]


async def test_unknown_activity_fails_with_not_found(client: Client, peer_task_queue: str) -> None:
    tq = new_tq()
    async with Worker(client, task_queue=tq, activities={"b": say_hello, "a": say_hello}):
        with pytest.raises(WorkflowFailureError) as e:
            await run_activity(client, peer_task_queue, tq, "nope", retry_max_attempts=1)
    app = e.value.cause.cause
    assert isinstance(app, ApplicationError)
    assert app.type == "NotFoundError"
    assert "Activity function nope for workflow" in app.message
    assert app.message.endswith("is not registered on this worker, available activities: a, b")


async def test_shutdown_of_an_idle_worker_is_prompt(client: Client) -> None:
    worker = Worker(client, task_queue=new_tq(), activities={"say_hello": say_hello})
    await worker.start()
    await asyncio.sleep(0.3)  # long polls are parked at the server
    t0 = time.monotonic()
    await worker.shutdown()
    assert time.monotonic() - t0 < 2
    await worker.shutdown()  # again: no-op


async def test_cancelling_run_shuts_down(client: Client) -> None:
    worker = Worker(client, task_queue=new_tq(), activities={"say_hello": say_hello})
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.3)
    t0 = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - t0 < 2
    assert not worker.is_running


async def test_many_concurrent_activities_with_few_slots(client: Client, peer_task_queue: str) -> None:
    tq = new_tq()
    running = 0
    peak = 0

    async def work(i: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        return i * 2

    async with Worker(client, task_queue=tq, activities={"work": work}, max_concurrent_activities=4):
        result = await run_activity(client, peer_task_queue, tq, "work", 21, count=40, concurrent=True)
    assert result == [42] * 40
    assert 1 <= peak <= 4


async def test_local_rate_limit_spaces_tasks(client: Client, peer_task_queue: str) -> None:
    tq = new_tq()
    starts: List[float] = []

    async def tick() -> None:
        starts.append(time.monotonic())

    async with Worker(client, task_queue=tq, activities={"tick": tick}, max_activities_per_second=5):
        await run_activity(client, peer_task_queue, tq, "tick", count=6, concurrent=True)
    assert len(starts) == 6
    # one poll (so at most one task) per 200 ms: six tasks span at least ~1 s
    assert max(starts) - min(starts) >= 0.8
