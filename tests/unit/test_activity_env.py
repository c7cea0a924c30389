"""temporalio.testing.ActivityEnvironment: activity code outside a worker."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from typing import Any, List

import pytest

from temporalio import activity
from temporalio.exceptions import CancelledError
from temporalio.testing import ActivityEnvironment


async def test_async_activity_sees_the_default_info() -> None:
    async def describe(x: int) -> Any:
        info = activity.info()
        return (
            x,
            info.activity_id,
            info.activity_type,
            info.attempt,
            info.task_queue,
            info.workflow_id,
        )

    env = ActivityEnvironment()
    assert await env.run(describe, 5) == (5, "test", "unknown", 1, "test", "test")
    assert not activity.in_activity()


def test_sync_activity_sees_injected_info() -> None:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, attempt=3, heartbeat_details=["so far"], activity_type="mine"
    )

    def describe() -> Any:
        info = activity.info()
        return info.attempt, list(info.heartbeat_details), info.activity_type, info.cancelled

    assert env.run(describe) == (3, ["so far"], "mine", False)
    assert not activity.in_activity()


def test_default_info_has_every_field() -> None:
    info = ActivityEnvironment.default_info()
    assert info.task_token == b"test" and info.workflow_run_id == "test-run"
    assert info.namespace == info.workflow_namespace == "default"
    assert info.heartbeat_timeout is None and info.start_to_close_timeout is not None
    assert info.scheduled_time is not None and info.scheduled_time.tzinfo is not None


def test_heartbeats_go_to_on_heartbeat() -> None:
    seen: List[Any] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: seen.append(details)

    def work() -> None:
        activity.heartbeat("a", 1)
        activity.heartbeat()

    env.run(work)
    assert seen == [("a", 1), ()]


async def test_async_heartbeats_go_to_on_heartbeat() -> None:
    seen: List[Any] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: seen.append(details)

    async def work() -> None:
        activity.heartbeat({"step": 1})

    await env.run(work)
    assert seen == [({"step": 1},)]


async def test_cancel_cancels_an_async_activity_task() -> None:
    env = ActivityEnvironment()
    started = asyncio.Event()

    async def wait() -> None:
        started.set()
        await asyncio.sleep(30)

    run = asyncio.ensure_future(env.run(wait))
    await started.wait()
    env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert env.cancelled


async def test_async_activity_may_swallow_the_cancel() -> None:
    env = ActivityEnvironment()

    async def wait() -> str:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            assert activity.is_cancelled() and activity.info().cancelled
            return f"swallowed ({await activity.info().cancellation})"
        return "not cancelled"

    loop = asyncio.get_running_loop()
    loop.call_later(0.05, env.cancel)
    assert await env.run(wait) == "swallowed (cancel_requested)"


async def test_wait_for_cancelled_wakes_on_cancel() -> None:
    env = ActivityEnvironment()

    async def wait() -> str:
        try:
            await activity.wait_for_cancelled()
        except asyncio.CancelledError:
            pass
        return "woke"

    asyncio.get_running_loop().call_later(0.05, env.cancel, "paused")
    assert await env.run(wait) == "woke"


async def test_cancel_before_run_cancels_at_once() -> None:
    env = ActivityEnvironment()
    env.cancel()
    ran: List[bool] = []

    async def never() -> None:
        ran.append(True)

    with pytest.raises(asyncio.CancelledError):
        await env.run(never)
    assert ran == []


def test_cancel_reaches_a_sync_activity_at_its_next_heartbeat() -> None:
    env = ActivityEnvironment()
    beats: List[int] = []

    def work() -> str:
        try:
            for i in range(1000):
                activity.heartbeat(i)
                beats.append(i)
                time.sleep(0.01)
        except CancelledError as err:
            assert activity.is_cancelled()
            # The official text ("Cancelled"), then the reason.
            return str(err)
        return "finished"

    threading.Timer(0.1, env.cancel).start()
    assert env.run(work) == "Cancelled (cancel_requested)"
    assert 0 < len(beats) < 1000


def test_sync_activity_can_wait_for_cancel_from_another_thread() -> None:
    env = ActivityEnvironment()

    def work() -> bool:
        return activity.wait_for_cancelled_sync(timeout=10)

    threading.Timer(0.05, env.cancel).start()
    assert env.run(work) is True


def test_worker_shutdown_is_visible() -> None:
    env = ActivityEnvironment()

    def work() -> Any:
        before = activity.is_worker_shutdown()
        threading.Timer(0.05, env.worker_shutdown).start()
        woke = activity.wait_for_worker_shutdown_sync(10)
        return before, woke, activity.is_worker_shutdown(), activity.is_cancelled()

    assert env.run(work) == (False, True, True, False)


async def test_worker_shutdown_wakes_async_waiters() -> None:
    env = ActivityEnvironment()

    async def work() -> str:
        await activity.wait_for_worker_shutdown()
        return "shutting down"

    asyncio.get_running_loop().call_later(0.05, env.worker_shutdown)
    assert await env.run(work) == "shutting down"


def test_logger_adds_activity_info(caplog: pytest.LogCaptureFixture) -> None:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, activity_type="logs", workflow_id="wf-1")
    mine = activity.LoggerAdapter(logging.getLogger("tests.mine"), {"app": "x"})
    caplog.set_level(logging.INFO)

    def work() -> None:
        activity.logger().info("hello %s", "there")
        mine.info("mine")

    env.run(work)
    mine.info("outside")
    hello, own, outside = caplog.records
    assert hello.name == "temporalio.activity"
    assert hello.temporal_activity["activity_type"] == "logs"  # type: ignore[attr-defined]
    assert hello.temporal_activity["workflow_id"] == "wf-1"  # type: ignore[attr-defined]
    assert hello.getMessage().startswith("hello there ({")
    assert own.temporal_activity["activity_type"] == "logs"  # type: ignore[attr-defined]
    assert own.app == "x"  # type: ignore[attr-defined]
    assert not hasattr(outside, "temporal_activity") and outside.getMessage() == "outside"
    assert outside.app == "x"  # type: ignore[attr-defined]


def test_logger_full_info_on_extra(caplog: pytest.LogCaptureFixture) -> None:
    env = ActivityEnvironment()
    adapter = activity.LoggerAdapter(logging.getLogger("tests.full"))
    adapter.full_activity_info_on_extra = True
    adapter.activity_info_on_message = False
    caplog.set_level(logging.INFO)
    env.run(lambda: adapter.info("msg"))
    (r,) = caplog.records
    assert r.getMessage() == "msg"
    assert r.activity_info.activity_id == "test"  # type: ignore[attr-defined]


def test_runs_callable_objects_and_keyword_arguments() -> None:
    class Adder:
        def __call__(self, a: int, *, b: int = 0) -> int:
            assert activity.in_activity()
            return a + b

    assert ActivityEnvironment().run(Adder(), 1, b=2) == 3


async def test_concurrent_activities_each_have_their_own_context() -> None:
    env = ActivityEnvironment()

    async def whoami(n: int) -> int:
        await asyncio.sleep(0.01 * (3 - n))
        return activity.info().attempt * 10 + n

    env.info = dataclasses.replace(env.info, attempt=2)
    assert await asyncio.gather(*(env.run(whoami, i) for i in range(3))) == [20, 21, 22]
