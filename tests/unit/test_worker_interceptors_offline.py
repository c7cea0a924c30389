"""Worker interceptors without a server: construction checks, the default
links, the process-pool child's info() round trip, and the shutdown notice
through ActivityEnvironment."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import os
import pickle
import threading
from typing import Any, List, Tuple

import pytest

import temporalio.client
import temporalio.worker
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
    _process,
)
from temporalio.worker._activity import _ActivityOutboundImpl, _intercepts_info


def client(**kwargs: Any) -> Client:
    return Client("localhost:7233", **kwargs)  # never connected


async def a(x: int) -> int:
    return x


class Mine(Interceptor):
    pass


class Both(temporalio.client.Interceptor, temporalio.worker.Interceptor):
    pass


# ---- construction --------------------------------------------------------------------


def test_names_and_shapes_follow_the_official_sdk() -> None:
    assert [f.name for f in dataclasses.fields(ExecuteActivityInput)] == [
        "fn",
        "args",
        "executor",
        "headers",
    ]
    assert set(temporalio.worker.__all__) >= {
        "Interceptor",
        "ActivityInboundInterceptor",
        "ActivityOutboundInterceptor",
        "ExecuteActivityInput",
        "Worker",
    }


def test_a_non_interceptor_fails_at_construction_naming_its_position() -> None:
    with pytest.raises(
        TypeError, match=r"interceptors\[1\] is a object .*not a temporalio.worker.Interceptor"
    ):
        Worker(client(), task_queue="tq", activities={"a": a}, interceptors=[Mine(), object()])


def test_a_client_only_interceptor_given_to_a_worker_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"interceptors\[0\] is a Interceptor"):
        Worker(
            client(),
            task_queue="tq",
            activities={"a": a},
            interceptors=[temporalio.client.Interceptor()],
        )


def test_an_interceptor_class_instead_of_an_instance_is_rejected_with_a_hint() -> None:
    with pytest.raises(
        TypeError, match=r"interceptors\[0\] is the class Mine, not an instance: write Mine\(\)"
    ):
        Worker(client(), task_queue="tq", activities={"a": a}, interceptors=[Mine])


def test_an_inbound_link_class_is_rejected_with_a_hint() -> None:
    with pytest.raises(TypeError, match=r"interceptors\[0\].*intercept_activity\(next\) returns"):
        Worker(
            client(),
            task_queue="tq",
            activities={"a": a},
            interceptors=[ActivityInboundInterceptor],
        )


def test_interceptors_must_be_a_list() -> None:
    with pytest.raises(TypeError, match="interceptors must be a list"):
        Worker(client(), task_queue="tq", activities={"a": a}, interceptors=Mine())  # type: ignore[arg-type]


def test_worker_takes_the_client_interceptors_that_are_worker_interceptors_first() -> None:
    both, own = Both(), Mine()
    c = client(interceptors=[temporalio.client.Interceptor(), both])
    assert Worker(c, task_queue="tq", activities={"a": a}, interceptors=[own]).interceptors == [
        both,
        own,
    ]
    assert Worker(client(), task_queue="tq", activities={"a": a}).interceptors == []


# ---- the default links delegate --------------------------------------------------------


class FakeNext(ActivityInboundInterceptor):
    def __init__(self) -> None:
        self.calls: List[Any] = []

    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        self.calls.append(("init", outbound))

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        self.calls.append(("execute", input))
        return "result"


class FakeOutbound(ActivityOutboundInterceptor):
    def __init__(self) -> None:
        self.beats: List[Any] = []

    def info(self) -> activity.Info:
        return ActivityEnvironment.default_info()

    def heartbeat(self, *details: Any) -> None:
        self.beats.append(details)


async def test_default_links_delegate_to_next() -> None:
    nxt = FakeNext()
    assert Interceptor().intercept_activity(nxt) is nxt
    link = ActivityInboundInterceptor(nxt)
    out = FakeOutbound()
    link.init(out)
    inp = ExecuteActivityInput(fn=a, args=[1], executor=None, headers={})
    assert await link.execute_activity(inp) == "result"
    assert nxt.calls == [("init", out), ("execute", inp)]
    wrapped = ActivityOutboundInterceptor(out)
    wrapped.heartbeat("d", 1)
    assert out.beats == [("d", 1)]
    assert wrapped.info().activity_id == "test"


def test_info_is_asked_of_the_child_only_when_a_link_overrides_info() -> None:
    inner = _ActivityOutboundImpl.__new__(_ActivityOutboundImpl)

    class HeartbeatOnly(ActivityOutboundInterceptor):
        def heartbeat(self, *details: Any) -> None:
            super().heartbeat(*details)

    class InfoToo(ActivityOutboundInterceptor):
        def info(self) -> activity.Info:
            return super().info()

    assert not _intercepts_info(None)
    assert not _intercepts_info(inner.info)
    assert not _intercepts_info(HeartbeatOnly(ActivityOutboundInterceptor(inner)).info)
    assert _intercepts_info(HeartbeatOnly(InfoToo(inner)).info)
    assert _intercepts_info(lambda: ActivityEnvironment.default_info())  # unknown: ask


# ---- a process-pool child's info() goes to the worker's outbound chain ---------------------


class Owner:
    def __init__(self) -> None:
        self.cancel = activity._Flag(asyncio.get_running_loop())


INFO = ActivityEnvironment.default_info()


def read_info_twice() -> Any:
    first = activity.info()
    second = activity.info()
    return first.activity_type, second.attempt, len(second.heartbeat_details), second.cancelled


def read_info() -> Any:
    return activity.info().activity_type


async def run_child(hub: _process.ProcessHub, key: bytes, fn: Any) -> Tuple[bool, Any]:
    loop = asyncio.get_running_loop()
    ok, data = await loop.run_in_executor(
        None, _process.run_activity, fn, (), INFO, hub.address, key, True
    )
    return ok, pickle.loads(data)


async def test_child_info_is_answered_by_the_worker_even_when_large() -> None:
    asked: List[Any] = []
    big = [str(i) * 100_000 for i in range(20)]  # 2 MB: more than the socket takes at once

    def on_info(owner: Any) -> activity.Info:
        asked.append((owner, threading.current_thread() is threading.main_thread(), os.getpid()))
        return dataclasses.replace(
            INFO, activity_type="from-worker", attempt=len(asked), heartbeat_details=big
        )

    hub = _process.ProcessHub(asyncio.get_running_loop(), lambda o, d: None, on_info)
    try:
        owner = Owner()
        key = hub.register(owner)
        ok, value = await run_child(hub, key, read_info_twice)
        hub.unregister(key)
    finally:
        hub.close()
    assert ok, value
    assert value == ("from-worker", 2, 20, False)
    assert asked == [(owner, True, os.getpid())] * 2  # on the worker's loop


async def test_an_error_of_the_worker_info_chain_is_raised_in_the_child() -> None:
    def on_info(owner: Any) -> activity.Info:
        raise ApplicationError("no info for you", type="Nope")

    hub = _process.ProcessHub(asyncio.get_running_loop(), lambda o, d: None, on_info)
    try:
        key = hub.register(Owner())
        ok, value = await run_child(hub, key, read_info)
        hub.unregister(key)
    finally:
        hub.close()
    assert not ok
    assert isinstance(value, ApplicationError) and value.type == "Nope"


def read_info_after_the_worker_is_gone(gone: Any) -> Any:
    gone.wait(10)
    return activity.info().activity_type


async def test_a_child_whose_worker_is_gone_gets_the_info_it_started_with() -> None:
    hub = _process.ProcessHub(asyncio.get_running_loop(), lambda o, d: None, lambda o: INFO)
    gone = threading.Event()
    key = hub.register(Owner())
    loop = asyncio.get_running_loop()
    fut = loop.run_in_executor(
        None,
        _process.run_activity,
        read_info_after_the_worker_is_gone,
        (gone,),
        dataclasses.replace(INFO, activity_type="at-start"),
        hub.address,
        key,
        True,
    )
    while not hub.started(key):
        await asyncio.sleep(0.01)
    hub.close()
    gone.set()
    ok, data = await fut
    assert ok and pickle.loads(data) == "at-start"


# ---- shutdown notice (ActivityEnvironment) --------------------------------------------------


async def test_shutdown_notice_wakes_async_and_sync_waiters() -> None:
    env = ActivityEnvironment()
    started_async, started_sync = threading.Event(), threading.Event()

    async def waits_async() -> bool:
        started_async.set()
        await activity.wait_for_worker_shutdown()
        return activity.is_worker_shutdown()

    def waits_sync() -> Tuple[bool, bool]:
        early = activity.wait_for_worker_shutdown_sync(timeout=0.01)
        started_sync.set()
        return early, activity.wait_for_worker_shutdown_sync()

    task = asyncio.ensure_future(env.run(waits_async))
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        sync = asyncio.get_running_loop().run_in_executor(ex, env.run, waits_sync)
        while not (started_async.is_set() and started_sync.is_set()):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert not task.done()
        env.worker_shutdown()
        assert await task is True
        assert await sync == (False, True)
