"""The activity worker end to end: a real dev server, workflows run by the peer
host (workflow type ``KitchenSink``; see tests/peer/README.md), activities run
by our :class:`temporalio.worker.Worker`."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Dict, List

import pytest

from temporalio import activity
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError
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
            client,
            peer_task_queue,
            tq,
            "describe",
            start_to_close_ms=20000,
            heartbeat_timeout_ms=5000,
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


async def test_many_concurrent_activities_with_few_slots(
    client: Client, peer_task_queue: str
) -> None:
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

    async with Worker(
        client, task_queue=tq, activities={"work": work}, max_concurrent_activities=4
    ):
        result = await run_activity(
            client, peer_task_queue, tq, "work", 21, count=40, concurrent=True
        )
    assert result == [42] * 40
    assert 1 <= peak <= 4


async def test_local_rate_limit_spaces_tasks(client: Client, peer_task_queue: str) -> None:
    tq = new_tq()
    starts: List[float] = []

    async def tick() -> None:
        starts.append(time.monotonic())

    async with Worker(
        client, task_queue=tq, activities={"tick": tick}, max_activities_per_second=5
    ):
        await run_activity(client, peer_task_queue, tq, "tick", count=6, concurrent=True)
    assert len(starts) == 6
    # one poll (so at most one task) per 200 ms: six tasks span at least ~1 s
    assert max(starts) - min(starts) >= 0.8


# ---- helpers for the stage-3 tests ---------------------------------------------------


async def start_activity_workflow(
    client: Client,
    peer_task_queue: str,
    action: str,
    worker_tq: str,
    name: str,
    *args: Any,
    **spec: Any,
) -> Any:
    """Starts a KitchenSink workflow whose one action is ``action``
    (``execute_activity`` or ``catch_activity_error``) of activity ``name``."""
    spec = {"name": name, "task_queue": worker_tq, "args": list(args), **spec}
    return await client.start_workflow(
        WORKFLOW_TYPE,
        actions({action: spec}),
        id=f"wf-{uuid.uuid4()}",
        task_queue=peer_task_queue,
        execution_timeout=timedelta(seconds=60),
    )


async def catch_activity(
    client: Client, peer_task_queue: str, worker_tq: str, name: str, *args: Any, **spec: Any
) -> Any:
    """The activity's result, or the peer's description of its ActivityError."""
    handle = await start_activity_workflow(
        client, peer_task_queue, "catch_activity_error", worker_tq, name, *args, **spec
    )
    return await handle.result()


# The workflow cancels the activity 500 ms after scheduling it and waits for the
# activity's outcome; the cancel reaches the worker in a heartbeat response
# (heartbeat timeout 1 s: at most one heartbeat per 800 ms).
CANCEL_SPEC: Dict[str, Any] = dict(
    cancel_after_ms=500, wait_for_cancellation=True, heartbeat_timeout_ms=1000, retry_max_attempts=1
)


async def heartbeat_until_cancelled_async(swallow: bool) -> str:
    try:
        while True:
            activity.heartbeat("beat")
            await asyncio.sleep(0.05)
    except asyncio.CancelledError:
        assert activity.is_cancelled() and activity.info().cancelled
        if swallow:
            return "swallowed"
        raise


def heartbeat_until_cancelled_sync(swallow: bool) -> str:
    try:
        while True:
            activity.heartbeat("beat")  # raises once the cancel came
            time.sleep(0.05)
    except CancelledError:
        assert activity.is_cancelled() and activity.info().cancelled
        if swallow:
            return "swallowed"
        raise


# ---- cancellation ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["async", "thread"])
async def test_cancel_reraised_is_reported_as_cancelled(
    client: Client, peer_task_queue: str, kind: str
) -> None:
    tq = new_tq()
    fn = heartbeat_until_cancelled_async if kind == "async" else heartbeat_until_cancelled_sync
    async with Worker(client, task_queue=tq, activities={"wait": fn}):
        desc = await catch_activity(client, peer_task_queue, tq, "wait", False, **CANCEL_SPEC)
    assert desc["type"] == "ActivityError"
    assert desc["cause"]["type"] == "CancelledError"


@pytest.mark.parametrize("kind", ["async", "thread"])
async def test_cancel_swallowed_completes_the_activity(
    client: Client, peer_task_queue: str, kind: str
) -> None:
    tq = new_tq()
    fn = heartbeat_until_cancelled_async if kind == "async" else heartbeat_until_cancelled_sync
    async with Worker(client, task_queue=tq, activities={"wait": fn}):
        result = await catch_activity(client, peer_task_queue, tq, "wait", True, **CANCEL_SPEC)
    assert result == "swallowed"


async def test_cancel_turned_into_another_error_fails_with_it(
    client: Client, peer_task_queue: str
) -> None:
    tq = new_tq()

    async def wait() -> None:
        try:
            await heartbeat_until_cancelled_async(False)
        except asyncio.CancelledError as e:
            raise ApplicationError("someone cancelled me", type="Annoyed") from e

    async with Worker(client, task_queue=tq, activities={"wait": wait}):
        desc = await catch_activity(client, peer_task_queue, tq, "wait", **CANCEL_SPEC)
    assert desc["cause"]["type"] == "ApplicationError"
    assert desc["cause"]["failure_type"] == "Annoyed"


async def test_async_activity_executor_activity_is_cancelled_on_its_own_loop(
    client: Client, peer_task_queue: str
) -> None:
    tq = new_tq()
    loops: List[Any] = []

    async def wait(swallow: bool) -> str:
        loops.append(asyncio.get_running_loop())
        return await heartbeat_until_cancelled_async(swallow)

    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        async with Worker(
            client, task_queue=tq, activities={"wait": wait}, async_activity_executor=ex
        ):
            swallowed = await catch_activity(
                client, peer_task_queue, tq, "wait", True, **CANCEL_SPEC
            )
            desc = await catch_activity(client, peer_task_queue, tq, "wait", False, **CANCEL_SPEC)
    assert swallowed == "swallowed"
    assert desc["cause"]["type"] == "CancelledError"
    assert len(loops) == 2 and asyncio.get_running_loop() not in loops


async def test_wait_for_cancelled_in_async_activity_executor(
    client: Client, peer_task_queue: str
) -> None:
    tq = new_tq()

    async def wait() -> str:
        async def beat() -> None:
            while True:
                activity.heartbeat()
                await asyncio.sleep(0.05)

        beater = asyncio.create_task(beat())
        try:
            await asyncio.shield(activity.wait_for_cancelled())
        except asyncio.CancelledError:
            pass  # the activity's task is cancelled too; the flag is what we test
        beater.cancel()
        return f"saw {await activity.info().cancellation}"

    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        async with Worker(
            client, task_queue=tq, activities={"wait": wait}, async_activity_executor=ex
        ):
            result = await catch_activity(client, peer_task_queue, tq, "wait", **CANCEL_SPEC)
    assert result == "saw cancel_requested"


# ---- heartbeats --------------------------------------------------------------------------


async def flaky_async() -> List[Any]:
    info = activity.info()
    if info.attempt == 1:
        activity.heartbeat("first", 1)  # sent at once
        activity.heartbeat("latest", 2)  # throttled: flushed before the failure goes
        raise ApplicationError("try again")
    return list(info.heartbeat_details)


def flaky_sync() -> List[Any]:
    info = activity.info()
    if info.attempt == 1:
        activity.heartbeat("first", 1)
        activity.heartbeat("latest", 2)
        raise ApplicationError("try again")
    return list(info.heartbeat_details)


@pytest.mark.parametrize("kind", ["async", "thread"])
async def test_heartbeat_details_survive_a_retry(
    client: Client, peer_task_queue: str, kind: str
) -> None:
    tq = new_tq()
    fn = flaky_async if kind == "async" else flaky_sync
    async with Worker(client, task_queue=tq, activities={"flaky": fn}):
        result = await run_activity(
            client,
            peer_task_queue,
            tq,
            "flaky",
            retry_max_attempts=2,
            retry_initial_interval_ms=100,
            heartbeat_timeout_ms=10000,
        )
    assert result == ["latest", 2]


async def test_heartbeat_timeout_reports_the_last_details(
    client: Client, peer_task_queue: str
) -> None:
    tq = new_tq()

    async def stall() -> None:
        activity.heartbeat("d1", {"step": 1})
        await asyncio.sleep(30)  # no more heartbeats

    async with Worker(client, task_queue=tq, activities={"stall": stall}):
        desc = await catch_activity(
            client, peer_task_queue, tq, "stall", heartbeat_timeout_ms=1000, retry_max_attempts=1
        )
    timeout = desc["cause"]
    assert timeout["type"] == "TimeoutError"
    assert timeout["timeout_type"] == "HEARTBEAT"
    assert timeout["heartbeat_details"] == ["d1", {"step": 1}]


# ---- slots ---------------------------------------------------------------------------------


async def test_one_slot_makes_the_second_activity_wait(
    client: Client, peer_task_queue: str
) -> None:
    tq = new_tq()
    started: List[float] = []

    async def slow() -> str:
        started.append(time.monotonic())
        await asyncio.sleep(5)
        return "done"

    async with Worker(
        client, task_queue=tq, activities={"slow": slow}, max_concurrent_activities=1
    ):
        desc = await catch_activity(
            client,
            peer_task_queue,
            tq,
            "slow",
            count=2,
            concurrent=True,
            schedule_to_start_ms=1000,
            retry_max_attempts=1,
        )
        assert len(started) == 1  # the second never left the server
    timeout = desc["cause"]
    assert timeout["type"] == "TimeoutError"
    assert timeout["timeout_type"] == "SCHEDULE_TO_START"


async def test_a_one_thread_executor_takes_one_task_at_a_time(
    client: Client, peer_task_queue: str
) -> None:
    """Three sync activities of 1 s each, start-to-close 2.5 s, one thread:
    with the default slots capped to the executor's one thread, each task is
    taken when the thread is free, so none times out waiting for it (with 100
    slots the third would start 2 s after it was taken and time out)."""
    tq = new_tq()
    running = 0
    peak = 0
    lock = threading.Lock()

    def nap(i: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(1)
        with lock:
            running -= 1
        return i

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as ex:
        worker = Worker(client, task_queue=tq, activities={"nap": nap}, activity_executor=ex)
        assert worker.max_concurrent_activities == 1
        async with worker:
            result = await run_activity(
                client,
                peer_task_queue,
                tq,
                "nap",
                7,
                count=3,
                concurrent=True,
                start_to_close_ms=2500,
                retry_max_attempts=1,
            )
    assert result == [7, 7, 7]  # no attempt timed out (one attempt each)
    assert peak == 1


# ---- logging -------------------------------------------------------------------------------


async def test_activity_logger_adds_activity_info(
    client: Client, peer_task_queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    tq = new_tq()
    mine = activity.LoggerAdapter(logging.getLogger("tests.my_activity"))

    async def logs() -> None:
        activity.logger().info("from the module logger")
        activity.logger.info("as an attribute too")

    def logs_sync() -> None:
        mine.info("from my adapter")

    caplog.set_level(logging.INFO)
    async with Worker(client, task_queue=tq, activities={"logs": logs, "logs_sync": logs_sync}):
        await run_activity(client, peer_task_queue, tq, "logs")
        await run_activity(client, peer_task_queue, tq, "logs_sync")
    records = {
        r.getMessage().split(" (")[0]: r for r in caplog.records if hasattr(r, "temporal_activity")
    }
    assert set(records) >= {"from the module logger", "as an attribute too", "from my adapter"}
    r = records["from the module logger"]
    assert r.name == "temporalio.activity"
    assert r.temporal_activity["activity_type"] == "logs"
    assert r.temporal_activity["task_queue"] == tq
    assert r.temporal_activity["attempt"] == 1
    assert r.temporal_activity["workflow_type"] == WORKFLOW_TYPE
    assert "'activity_type': 'logs'" in r.getMessage()
    r = records["from my adapter"]
    assert r.name == "tests.my_activity"
    assert r.temporal_activity["activity_type"] == "logs_sync"


# ---- shutdown ------------------------------------------------------------------------------


async def test_graceful_shutdown_lets_a_running_activity_finish(
    client: Client, peer_task_queue: str
) -> None:
    tq = new_tq()
    started = asyncio.Event()
    saw_shutdown: List[bool] = []

    async def slow() -> str:
        started.set()
        await activity.wait_for_worker_shutdown()
        saw_shutdown.append(activity.is_worker_shutdown())
        await asyncio.sleep(0.5)  # within the grace period
        return "finished"

    worker = Worker(
        client,
        task_queue=tq,
        activities={"slow": slow},
        graceful_shutdown_timeout=timedelta(seconds=10),
    )
    await worker.start()
    handle = await start_activity_workflow(client, peer_task_queue, "execute_activity", tq, "slow")
    await asyncio.wait_for(started.wait(), 30)
    await worker.shutdown()
    assert saw_shutdown == [True]
    assert await handle.result() == "finished"


async def test_shutdown_past_the_grace_period_fails_the_activity_with_worker_shutdown(
    client: Client, peer_task_queue: str
) -> None:
    tq = new_tq()
    started = asyncio.Event()

    async def stuck() -> None:
        started.set()
        await asyncio.sleep(60)

    worker = Worker(
        client,
        task_queue=tq,
        activities={"stuck": stuck},
        graceful_shutdown_timeout=timedelta(milliseconds=300),
    )
    await worker.start()
    handle = await start_activity_workflow(
        client, peer_task_queue, "catch_activity_error", tq, "stuck", retry_max_attempts=1
    )
    await asyncio.wait_for(started.wait(), 30)
    t0 = time.monotonic()
    await worker.shutdown()
    assert time.monotonic() - t0 < 5
    desc = await handle.result()
    assert desc["type"] == "ActivityError"
    app = desc["cause"]
    assert app["type"] == "ApplicationError"
    assert app["failure_type"] == "WorkerShutdown"
    assert app["non_retryable"] is False


async def test_activity_cancelled_by_shutdown_is_retried_by_another_worker(
    client: Client, peer_task_queue: str
) -> None:
    tq = new_tq()
    started = threading.Event()

    def job() -> str:
        attempt = activity.info().attempt
        if attempt == 1:
            started.set()
            while True:  # until heartbeat() raises: the worker shuts down
                activity.heartbeat()
                time.sleep(0.05)
        return f"done on attempt {attempt}"

    first = Worker(client, task_queue=tq, activities={"job": job})
    await first.start()
    handle = await start_activity_workflow(
        client,
        peer_task_queue,
        "execute_activity",
        tq,
        "job",
        retry_max_attempts=2,
        retry_initial_interval_ms=100,
    )
    assert await asyncio.get_running_loop().run_in_executor(None, started.wait, 30)
    await first.shutdown()
    async with Worker(client, task_queue=tq, activities={"job": job}):
        assert await handle.result() == "done on attempt 2"


# ---- bad input -----------------------------------------------------------------------------


@dataclass
class Point:
    x: int
    y: int


async def test_undecodable_argument_fails_the_attempt_and_the_worker_goes_on(
    client: Client, peer_task_queue: str
) -> None:
    tq = new_tq()

    async def norm(p: Point) -> int:
        return abs(p.x) + abs(p.y)

    async with Worker(client, task_queue=tq, activities={"norm": norm}):
        desc = await catch_activity(
            client, peer_task_queue, tq, "norm", "not a point", retry_max_attempts=1
        )
        assert await run_activity(client, peer_task_queue, tq, "norm", {"x": 3, "y": -4}) == 7
    app = desc["cause"]
    assert app["type"] == "ApplicationError"
    assert app["message"].startswith("Failed decoding arguments of activity 'norm': TypeError:")
    assert "Cannot convert to dataclass <class 'test_worker.Point'>" in app["message"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["a", "b"], "Activity 'say_hello' takes 1 argument(s) but was given 2"),
        ([], "Activity 'say_hello' takes 1 argument(s) but was given 0"),
    ],
)
async def test_wrong_argument_count_fails_clearly(
    client: Client, peer_task_queue: str, args: List[Any], message: str
) -> None:
    tq = new_tq()
    async with Worker(client, task_queue=tq, activities={"say_hello": say_hello}):
        desc = await catch_activity(
            client, peer_task_queue, tq, "say_hello", *args, retry_max_attempts=1
        )
    app = desc["cause"]
    assert app["type"] == "ApplicationError"
    assert app["failure_type"] == "TypeError"
    assert app["message"] == message


async def test_a_worker_runs_once_and_says_so_as_the_official_sdk(client: Client) -> None:
    @activity.defn(name="runs_once_activity")
    async def runs_once_activity() -> None:
        return None

    worker = Worker(client, task_queue=new_tq(), activities=[runs_once_activity])
    async with worker:
        pass
    with pytest.raises(RuntimeError, match=r"^Already started \(a Worker runs once"):
        async with worker:
            pass
