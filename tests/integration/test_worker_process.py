"""Sync activities in a ProcessPoolExecutor, end to end (dev server + peer host).

The activity functions live at module level: a process pool sends them to its
children by pickle (by name, so a "spawn" child imports this module).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import Worker
from tests.peer.peerhost import WORKFLOW_TYPE, actions


def new_tq() -> str:
    return f"proc-{uuid.uuid4()}"


async def run(
    client: Client,
    peer_task_queue: str,
    worker_tq: str,
    name: str,
    *args: Any,
    catch: bool = False,
    **spec: Any,
) -> Any:
    action = "catch_activity_error" if catch else "execute_activity"
    spec = {"name": name, "task_queue": worker_tq, "args": list(args), **spec}
    handle = await client.start_workflow(
        WORKFLOW_TYPE,
        actions({action: spec}),
        id=f"wf-{uuid.uuid4()}",
        task_queue=peer_task_queue,
        execution_timeout=timedelta(seconds=60),
    )
    return await handle.result()


# ---- activities (run in the children) -------------------------------------------------


def whoami(x: int) -> Dict[str, Any]:
    info = activity.info()
    activity.heartbeat("hello from the child")
    return {
        "pid": os.getpid(),
        "x": x,
        "type": info.activity_type,
        "attempt": info.attempt,
        "workflow_type": info.workflow_type,
        "in_activity": activity.in_activity(),
        "cancelled": activity.is_cancelled(),
        "shutdown": activity.is_worker_shutdown(),
    }


def flaky() -> List[Any]:
    info = activity.info()
    if info.attempt == 1:
        activity.heartbeat("first", os.getpid())
        activity.heartbeat("latest", 2)  # throttled in the worker: flushed before the failure
        raise ApplicationError("try again")
    return list(info.heartbeat_details)


def wait_for_cancel(swallow: bool) -> str:
    try:
        while True:
            activity.heartbeat("beat")  # raises once the worker relayed the cancel
            time.sleep(0.05)
    except CancelledError:
        assert activity.is_cancelled() and activity.info().cancelled
        if swallow:
            return "swallowed"
        raise


def wait_for_cancel_without_heartbeat_raising() -> str:
    # heartbeats from a helper thread; the activity itself only waits
    stop = threading.Event()

    def beat() -> None:
        while not stop.is_set():
            try:
                activity.heartbeat()
            except CancelledError:
                return
            time.sleep(0.05)

    ctx = __import__("contextvars").copy_context()
    t = threading.Thread(target=ctx.run, args=(beat,))
    t.start()
    try:
        cancelled = activity.wait_for_cancelled_sync(timeout=20)
    finally:
        stop.set()
        t.join()
    return f"cancelled={cancelled}"


def dies_on_first_attempt() -> str:
    if activity.info().attempt == 1:
        os._exit(7)  # the child dies abruptly: BrokenProcessPool
    return f"survived on attempt {activity.info().attempt}"


def returns_unpicklable() -> Any:
    return threading.Lock()


class OddError(Exception):
    def __init__(self, a: int, b: int) -> None:  # does not survive a pickle round trip
        super().__init__(f"odd {a} {b}")


def raises_odd() -> None:
    raise OddError(1, 2)


def stuck_until_shutdown(marker: str) -> str:
    Path(marker).touch()
    while not activity.is_worker_shutdown():
        time.sleep(0.05)
    assert activity.wait_for_cancelled_sync(10)  # the grace period is 0: the cancel follows
    activity.heartbeat()  # raises
    return "not reached"


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture(params=["fork", "spawn"])
def pool(request: pytest.FixtureRequest) -> Iterator[concurrent.futures.ProcessPoolExecutor]:
    ex = concurrent.futures.ProcessPoolExecutor(
        max_workers=2, mp_context=multiprocessing.get_context(request.param)
    )
    yield ex
    ex.shutdown(wait=True, cancel_futures=True)


# ---- tests --------------------------------------------------------------------------------


async def test_sync_activity_runs_in_a_child_process_with_its_context(
    client: Client, peer_task_queue: str, pool: concurrent.futures.ProcessPoolExecutor
) -> None:
    tq = new_tq()
    async with Worker(client, task_queue=tq, activities={"whoami": whoami}, activity_executor=pool):
        result = await run(client, peer_task_queue, tq, "whoami", 21)
    assert result["pid"] != os.getpid()
    assert result == {
        "pid": result["pid"],
        "x": 21,
        "type": "whoami",
        "attempt": 1,
        "workflow_type": WORKFLOW_TYPE,
        "in_activity": True,
        "cancelled": False,
        "shutdown": False,
    }
    assert not multiprocessing.active_children() or all(
        "Manager" not in type(p).__name__ for p in multiprocessing.active_children()
    )


async def test_heartbeat_details_from_a_child_survive_a_retry(
    client: Client, peer_task_queue: str, pool: concurrent.futures.ProcessPoolExecutor
) -> None:
    tq = new_tq()
    async with Worker(client, task_queue=tq, activities={"flaky": flaky}, activity_executor=pool):
        result = await run(
            client,
            peer_task_queue,
            tq,
            "flaky",
            retry_max_attempts=2,
            retry_initial_interval_ms=100,
            heartbeat_timeout_ms=10000,
        )
    assert result == ["latest", 2]


@pytest.mark.parametrize("swallow", [False, True])
async def test_cancel_reaches_the_child(
    client: Client,
    peer_task_queue: str,
    pool: concurrent.futures.ProcessPoolExecutor,
    swallow: bool,
) -> None:
    tq = new_tq()
    async with Worker(
        client, task_queue=tq, activities={"wait": wait_for_cancel}, activity_executor=pool
    ):
        out = await run(
            client,
            peer_task_queue,
            tq,
            "wait",
            swallow,
            catch=True,
            cancel_after_ms=500,
            wait_for_cancellation=True,
            heartbeat_timeout_ms=5000,
            retry_max_attempts=1,
        )
    if swallow:
        assert out == "swallowed"
    else:
        assert out["type"] == "ActivityError"
        assert out["cause"]["type"] == "CancelledError"


async def test_wait_for_cancelled_sync_in_a_child(client: Client, peer_task_queue: str) -> None:
    tq = new_tq()
    with concurrent.futures.ProcessPoolExecutor(1) as pool:
        async with Worker(
            client,
            task_queue=tq,
            activities={"wait": wait_for_cancel_without_heartbeat_raising},
            activity_executor=pool,
        ):
            out = await run(
                client,
                peer_task_queue,
                tq,
                "wait",
                cancel_after_ms=500,
                wait_for_cancellation=True,
                heartbeat_timeout_ms=5000,
                retry_max_attempts=1,
            )
    assert out == "cancelled=True"


async def test_a_dead_child_fails_its_attempt_and_the_worker_goes_on(
    client: Client, peer_task_queue: str, pool: concurrent.futures.ProcessPoolExecutor
) -> None:
    tq = new_tq()
    async with Worker(
        client,
        task_queue=tq,
        activities={"dies": dies_on_first_attempt, "whoami": whoami},
        activity_executor=pool,
    ):
        first = await run(client, peer_task_queue, tq, "dies", catch=True, retry_max_attempts=1)
        retried = await run(
            client, peer_task_queue, tq, "dies", retry_max_attempts=2, retry_initial_interval_ms=100
        )
        after = await run(client, peer_task_queue, tq, "whoami", 1)
    app = first["cause"]
    assert app["type"] == "ApplicationError"
    assert app["failure_type"] == "BrokenProcessPool"
    assert app["non_retryable"] is False
    assert "ended abruptly" in app["message"]
    assert retried == "survived on attempt 2"
    assert after["x"] == 1


async def test_unpicklable_outcomes_fail_the_attempt_clearly(
    client: Client, peer_task_queue: str
) -> None:
    tq = new_tq()
    with concurrent.futures.ProcessPoolExecutor(1) as pool:
        async with Worker(
            client,
            task_queue=tq,
            activities={"lock": returns_unpicklable, "odd": raises_odd, "whoami": whoami},
            activity_executor=pool,
        ):
            lock = await run(client, peer_task_queue, tq, "lock", catch=True, retry_max_attempts=1)
            odd = await run(client, peer_task_queue, tq, "odd", catch=True, retry_max_attempts=1)
            after = await run(client, peer_task_queue, tq, "whoami", 2)
    assert lock["cause"]["failure_type"] == "PicklingError"
    assert "the result of activity 'lock' does not pickle" in lock["cause"]["message"]
    assert odd["cause"]["failure_type"] == "OddError"
    assert odd["cause"]["message"] == "odd 1 2"
    assert after["x"] == 2  # the pool still works


async def wait_for_file(path: Path) -> None:
    for _ in range(600):
        if path.exists():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{path} did not appear")


async def test_worker_shutdown_reaches_the_child(
    client: Client, peer_task_queue: str, tmp_path: Path
) -> None:
    tq = new_tq()
    marker = tmp_path / "started"
    with concurrent.futures.ProcessPoolExecutor(1) as pool:
        worker = Worker(
            client,
            task_queue=tq,
            activities={"stuck": stuck_until_shutdown},
            activity_executor=pool,
        )
        await worker.start()
        handle = await client.start_workflow(
            WORKFLOW_TYPE,
            actions(
                {
                    "catch_activity_error": {
                        "name": "stuck",
                        "task_queue": tq,
                        "args": [str(marker)],
                        "retry_max_attempts": 1,
                    }
                }
            ),
            id=f"wf-{uuid.uuid4()}",
            task_queue=peer_task_queue,
            execution_timeout=timedelta(seconds=60),
        )
        await wait_for_file(marker)  # the activity runs in the child
        t0 = time.monotonic()
        await worker.shutdown()
        assert time.monotonic() - t0 < 5
        desc = await handle.result()
    assert desc["cause"]["failure_type"] == "WorkerShutdown"


def dies_after_a_while(marker: str) -> str:
    Path(marker).touch()
    time.sleep(1.0)
    os._exit(9)


async def test_attempts_queued_behind_a_dead_child_run_in_a_new_pool(
    client: Client, peer_task_queue: str, tmp_path: Path
) -> None:
    tq = new_tq()
    marker = tmp_path / "dying"
    with concurrent.futures.ProcessPoolExecutor(1) as pool:
        async with Worker(
            client,
            task_queue=tq,
            activities={"dies": dies_after_a_while, "whoami": whoami},
            activity_executor=pool,
        ):
            dying = asyncio.create_task(
                run(
                    client,
                    peer_task_queue,
                    tq,
                    "dies",
                    str(marker),
                    catch=True,
                    retry_max_attempts=1,
                )
            )
            await wait_for_file(marker)  # "dies" runs in the only child
            queued = await run(client, peer_task_queue, tq, "whoami", 3, count=2, concurrent=True)
            died = await dying
    assert died["cause"]["failure_type"] == "BrokenProcessPool"
    # queued behind it, they never started: run again in the new pool, same attempt
    assert [q["x"] for q in queued] == [3, 3]
    assert [q["attempt"] for q in queued] == [1, 1]
