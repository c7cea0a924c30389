"""Workers against their client's close and against being dropped."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import uuid
import weakref
from datetime import timedelta
from typing import List

import pytest

from temporalio import _bridge
from temporalio.client import Client
from temporalio.worker import Worker

pytestmark = pytest.mark.timeout(180)


async def noop() -> str:
    return "noop"


async def test_worker_start_in_one_thread_while_another_closes(server_target: str) -> None:
    """Threads build and start workers (each on its own loop) on one client
    while the main thread closes it: a start either works or fails with a
    clear error; none touches freed memory; each started worker shuts down."""
    for r in range(5):
        client = await Client.connect(server_target)
        errors: List[BaseException] = []
        outcome = {"started": 0, "refused": 0}
        lock = threading.Lock()

        async def starter() -> None:
            for _ in range(2000):  # until the close refuses one
                w = Worker(client, task_queue=f"race-{uuid.uuid4()}", activities={"noop": noop})
                try:
                    await w.start()
                except (_bridge.CoreError, RuntimeError) as e:
                    assert "closed" in str(e), repr(e)
                    with lock:
                        outcome["refused"] += 1
                    return
                with lock:
                    outcome["started"] += 1
                await asyncio.wait_for(w.shutdown(), 30)

        def main() -> None:
            try:
                asyncio.run(starter())
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=main, daemon=True) for _ in range(2)]
        for t in threads:
            t.start()
        await asyncio.sleep(0.05 * r)
        await asyncio.to_thread(client.service_client.close)
        for t in threads:
            await asyncio.to_thread(t.join, 60)
            assert not t.is_alive()
        assert not errors, errors[:3]
        assert outcome["refused"] == len(threads), outcome


async def test_close_while_workers_poll(server_target: str) -> None:
    """Three workers long-polling when their client is closed: each stops
    (run() raises, the core reported it) and its shutdown ends promptly."""
    client = await Client.connect(server_target)
    workers = [
        Worker(client, task_queue=f"close-{uuid.uuid4()}", activities={"noop": noop})
        for _ in range(3)
    ]
    runs = [asyncio.ensure_future(w.run()) for w in workers]
    await asyncio.sleep(0.5)
    await client.close()
    results = await asyncio.wait_for(asyncio.gather(*runs, return_exceptions=True), 30)
    for w, r in zip(workers, results):
        assert isinstance(r, RuntimeError) and "closed" in str(r), repr(r)
        assert not w.is_running


async def test_dropped_worker_stops_polling(
    client: Client, peer_task_queue: str, server_target: str
) -> None:
    """A started worker dropped without shutdown (every reference gone, then
    gc.collect()) shuts its core worker down: its Python side is freed once
    the core's shutdown is delivered, and an activity started afterwards on
    its task queue is not run by it (a new worker then runs it)."""
    from tests.peer.peerhost import WORKFLOW_TYPE, actions

    tq = f"dropped-{uuid.uuid4()}"
    ran_by_dropped: List[str] = []

    async def record(who: str) -> str:
        ran_by_dropped.append(who)
        return "dropped"

    w = Worker(client, task_queue=tq, activities={"record": record})
    await w.start()
    aw = w._activity_worker
    assert aw is not None
    ref = weakref.ref(aw)
    del w, aw
    gc.collect()
    deadline = time.monotonic() + 20
    while ref() is not None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        gc.collect()
    assert ref() is None, "the dropped worker's state is still alive (its core worker too)"

    handle = await client.start_workflow(
        WORKFLOW_TYPE,
        actions(
            {
                "execute_activity": {
                    "name": "record",
                    "task_queue": tq,
                    "args": ["x"],
                    "start_to_close_ms": 10000,
                }
            }
        ),
        id=f"wf-{uuid.uuid4()}",
        task_queue=peer_task_queue,
        execution_timeout=timedelta(seconds=60),
    )
    await asyncio.sleep(3)
    assert ran_by_dropped == []

    async def record_new(who: str) -> str:
        return "new"

    async with Worker(client, task_queue=tq, activities={"record": record_new}):
        assert await asyncio.wait_for(handle.result(), 30) == "new"
    assert ran_by_dropped == []


async def test_many_workers_dropped_at_random_points(client: Client) -> None:
    """30 workers started and dropped (garbage-collected) at once or after
    up to 200 ms, while their first polls start: each one's core worker shuts
    down and its Python side is freed."""
    import random

    rng = random.Random(9)
    refs = []
    for i in range(30):
        w = Worker(client, task_queue=f"drop-{uuid.uuid4()}", activities={"noop": noop})
        await w.start()
        assert w._activity_worker is not None
        refs.append(weakref.ref(w._activity_worker))
        del w
        if i % 3:
            await asyncio.sleep(rng.uniform(0, 0.2))
        gc.collect()
    deadline = time.monotonic() + 30
    while any(r() is not None for r in refs) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        gc.collect()
    assert all(r() is None for r in refs), sum(1 for r in refs if r() is not None)
    # The client is still fine.
    assert isinstance(
        await client.service_client.call_raw(
            "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo", b""
        ),
        bytes,
    )
