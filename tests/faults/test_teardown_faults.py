"""Teardown and cancellation while the network is faulted (tests/faults/proxy.py),
and our own workflow worker through every fault.

These paths free what calls in flight still point at: a Python task cancelled
while its call waits on a stalled connection, a client closed with calls in
flight and new ones started behind it, a worker shut down (with and without a
grace period, its client closed under it) while its polls, heartbeats and
completions are stuck, and the workflow worker's polls, sticky queues and
completions cut off by each fault and by a server SIGKILL. The other fault
modules run workflows on the peer host; here they run on our worker. They run
in the ASan/UBSan stage of ``scripts/test`` too, where a use after free shows.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import List

import pytest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.service import CanceledError
from temporalio.testing import DevServer
from temporalio.worker import Worker
from tests.faults import figures
from tests.faults.harness import running_peer, start_workflows, wait_until
from tests.faults.proxy import FaultProxy

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

REQ = DescribeNamespaceRequest(namespace="default")


def _calls(client: Client, n: int) -> "List[asyncio.Future[object]]":
    return [
        asyncio.ensure_future(client.workflow_service.describe_namespace(REQ, timeout=20))
        for _ in range(n)
    ]


@pytest.mark.parametrize("mode", ["stall", "blackhole", "reject"])
async def test_calls_cancelled_and_client_closed_during_a_fault(mode: str) -> None:
    """40 calls wait on a faulted connection; 20 of their tasks are
    cancelled, then the client is closed (5 more calls started right after
    the close in one round). Every call ends, cancelled either way."""
    with DevServer() as server:
        proxy = FaultProxy(server.host, server.port).start()
        try:
            for rnd in range(3):
                client = await Client.connect(proxy.target)
                await client.workflow_service.describe_namespace(REQ)
                getattr(proxy, mode)()
                waiting = _calls(client, 40)
                await asyncio.sleep(0.3)
                for t in waiting[:20]:
                    t.cancel()
                await asyncio.sleep(0.05)
                closing = asyncio.ensure_future(client.close())
                late = _calls(client, 5) if rnd == 1 else []
                await asyncio.sleep(0.2)
                if mode == "stall":
                    proxy.reset()
                ended = await asyncio.gather(*waiting, *late, return_exceptions=True)
                await closing
                proxy.pass_through()
                assert all(isinstance(e, asyncio.CancelledError) for e in ended[:20]), ended[:20]
                assert all(isinstance(e, CanceledError) for e in ended[20:40]), ended[20:40]
                # Started after close: refused at once (never sent).
                assert all(isinstance(e, Exception) for e in ended[40:]), ended[40:]
                if late:
                    figures.record(
                        f"teardown: calls after close ({mode})",
                        "raised",
                        sorted({type(e).__name__ for e in ended[40:]}),
                    )
        finally:
            proxy.close()


async def test_worker_shut_down_during_each_fault() -> None:
    """A worker with heartbeating activities through the proxy is shut down
    in the middle of a stall, blackhole, reject or burst of resets (no grace
    and 300 ms of grace; in half the rounds its client is closed during the
    shutdown); the shutdown ends, and the next worker on the queue runs the
    activities again."""
    started = 0

    @activity.defn(name="teardown_hb")
    async def teardown_hb(lo_ms: int, hi_ms: int) -> int:
        nonlocal started
        started += 1
        for _ in range(20):
            activity.heartbeat(started)
            await asyncio.sleep(lo_ms / 1000)
        return started

    with DevServer() as server:
        proxy = FaultProxy(server.host, server.port).start()
        try:
            async with running_peer(server.target) as peer_tq:
                driver = await Client.connect(server.target)
                tq = f"teardown-{uuid.uuid4()}"
                handles = await start_workflows(
                    driver, peer_tq, tq, 6, 1000, lo_ms=5, hi_ms=10, prefix="teardown",
                    activity_name="teardown_hb",
                )  # fmt: skip
                modes = ["stall", "blackhole", "reject", "reset", "stall", "blackhole"]
                for i, mode in enumerate(modes):
                    close_during = i % 2 == 1
                    wclient = await Client.connect(proxy.target)
                    worker = Worker(
                        wclient,
                        task_queue=tq,
                        activities=[teardown_hb],
                        graceful_shutdown_timeout=timedelta(milliseconds=300 * (i % 2)),
                    )
                    running = asyncio.ensure_future(worker.run())
                    n0 = started
                    assert await wait_until(lambda: started >= n0 + 3, 60), f"round {i}: no work"
                    if mode == "reset":
                        for _ in range(20):
                            proxy.reset()
                            await asyncio.sleep(0.05)
                    else:
                        getattr(proxy, mode)()
                        await asyncio.sleep(0.5)
                    shutdown = asyncio.ensure_future(worker.shutdown())
                    if close_during:
                        await asyncio.sleep(0.1)
                        await wclient.close()
                    await asyncio.sleep(1.5)
                    proxy.pass_through()
                    await asyncio.wait_for(shutdown, 60)
                    await asyncio.wait_for(running, 60)
                    if not close_during:
                        await wclient.close()
                figures.record("teardown: worker shut down in a fault", "rounds", len(modes))
                for h in handles:
                    await h.terminate(reason="test over")
                await driver.close()
        finally:
            proxy.close()


@activity.defn(name="teardown_step")
async def teardown_step(i: int) -> int:
    await asyncio.sleep(0.01)
    return i + 1


@workflow.defn(name="TeardownLoop")
class TeardownLoop:
    @workflow.run
    async def run(self, n: int) -> int:
        v = 0
        for i in range(n):
            v = await workflow.execute_activity(
                teardown_step, v, start_to_close_timeout=timedelta(seconds=30)
            )
            if i % 3 == 0:
                await workflow.sleep(0.05)
        return v


@pytest.mark.parametrize("cache", [100, 0])
async def test_own_workflow_worker_through_each_fault(cache: int, tmp_path: Path) -> None:
    """8 workflows of 40 activities and timers on our worker (through the
    proxy) live through a stall, resets, a blackhole, a reject and a server
    SIGKILL + restart, and all return 40; then the worker is shut down in a
    stall with 4 workflows running."""
    server = DevServer(db_filename=str(tmp_path / "db.sqlite"))
    await asyncio.to_thread(server.start)
    proxy = FaultProxy(server.host, server.port).start()
    try:
        driver = await Client.connect(server.target)
        wclient = await Client.connect(proxy.target)
        tq = f"teardown-wf-{uuid.uuid4()}"
        worker = Worker(
            wclient,
            task_queue=tq,
            workflows=[TeardownLoop],
            activities=[teardown_step],
            max_cached_workflows=cache,
        )
        running = asyncio.ensure_future(worker.run())
        handles = [
            await driver.start_workflow(
                TeardownLoop.run, 40, id=f"tw-{uuid.uuid4()}", task_queue=tq
            )
            for _ in range(8)
        ]
        await asyncio.sleep(2)
        for mode in ["stall", "reset", "blackhole", "reject", "kill"]:
            if mode == "reset":
                for _ in range(10):
                    proxy.reset()
                    await asyncio.sleep(0.1)
            elif mode == "kill":
                server.kill()
                await asyncio.sleep(3)
                await asyncio.to_thread(server.restart)
            else:
                getattr(proxy, mode)()
                await asyncio.sleep(4)
                proxy.pass_through()
            await asyncio.sleep(2)
        healed = time.monotonic()
        results = await asyncio.wait_for(asyncio.gather(*[h.result() for h in handles]), 200)
        figures.record(
            f"teardown: own workflows (cache {cache})",
            "last fault healed to all 8 done s (no speed check)",
            time.monotonic() - healed,
        )
        assert results == [40] * 8
        busy = [
            await driver.start_workflow(
                TeardownLoop.run, 1000, id=f"tw-{uuid.uuid4()}", task_queue=tq
            )
            for _ in range(4)
        ]
        await asyncio.sleep(1.5)
        proxy.stall()
        shutdown = asyncio.ensure_future(worker.shutdown())
        await asyncio.sleep(1)
        proxy.pass_through()
        await asyncio.wait_for(shutdown, 60)
        await asyncio.wait_for(running, 60)
        for h in busy:
            await h.terminate(reason="test over")
        await wclient.close()
        await driver.close()
    finally:
        proxy.close()
        await asyncio.to_thread(server.stop)
