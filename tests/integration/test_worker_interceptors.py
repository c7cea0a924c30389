"""Worker (activity) interceptors and the worker-shutdown notice, end to end:
a real dev server, workflows run by the peer host (``KitchenSink``), activities
run by our Worker on the event loop, in a loop of their own, in a thread pool
and in a process pool.

The activities live at module level: a process pool sends them to its children
by pickle. The interceptors hold a lock, so they do not pickle: they run only
in the worker process, also for process-pool activities.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import multiprocessing
import os
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import temporalio.client
import temporalio.worker
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
)
from tests.peer.peerhost import WORKFLOW_TYPE, actions

KINDS = ["async", "async-own-loop", "thread", "process-fork", "process-spawn"]


def new_tq() -> str:
    return f"icpt-{uuid.uuid4()}"


async def start(
    client: Client, peer_task_queue: str, worker_tq: str, name: str, *args: Any, **spec: Any
) -> Any:
    spec = {"name": name, "task_queue": worker_tq, "args": list(args), **spec}
    return await client.start_workflow(
        WORKFLOW_TYPE,
        actions({"execute_activity": spec}),
        id=f"wf-{uuid.uuid4()}",
        task_queue=peer_task_queue,
        execution_timeout=timedelta(seconds=60),
    )


async def run(
    client: Client, peer_task_queue: str, worker_tq: str, name: str, *args: Any, **spec: Any
) -> Any:
    handle = await start(client, peer_task_queue, worker_tq, name, *args, **spec)
    return await handle.result()


# ---- recording interceptors -------------------------------------------------------------


class Recorder:
    """Events from every link, in the order they happened (any thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # also makes the interceptors unpicklable
        self.events: List[Tuple[Any, ...]] = []

    def add(self, *event: Any) -> None:
        with self.lock:
            self.events.append(event)

    def of(self, what: str) -> List[Tuple[Any, ...]]:
        return [e for e in self.events if e[1] == what]


def _where() -> Tuple[int, str]:
    return os.getpid(), threading.current_thread().name


class Recording(Interceptor):
    def __init__(self, name: str, rec: Recorder) -> None:
        self.name = name
        self.rec = rec

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _RecordingInbound(next, self.name, self.rec)


class _RecordingInbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, name: str, rec: Recorder) -> None:
        super().__init__(next)
        self.name = name
        self.rec = rec

    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        self.rec.add(self.name, "init")
        super().init(_RecordingOutbound(outbound, self.name, self.rec))

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        self.rec.add(
            self.name,
            "enter",
            getattr(input.fn, "__name__", None),
            list(input.args),
            type(input.executor).__name__ if input.executor is not None else None,
            dict(input.headers),
            _where(),
        )
        result = await super().execute_activity(input)
        self.rec.add(self.name, "exit", result)
        return result


class _RecordingOutbound(ActivityOutboundInterceptor):
    def __init__(self, next: ActivityOutboundInterceptor, name: str, rec: Recorder) -> None:
        super().__init__(next)
        self.name = name
        self.rec = rec

    def info(self) -> activity.Info:
        self.rec.add(self.name, "info", _where())
        return super().info()

    def heartbeat(self, *details: Any) -> None:
        self.rec.add(self.name, "heartbeat", details, _where())
        super().heartbeat(*details)


# ---- activities (module level: process pools pickle them) --------------------------------


def add_sync(a: int, b: int) -> int:
    activity.heartbeat("adding", a)
    assert activity.info().activity_type == "add"
    return a + b


async def add_async(a: int, b: int) -> int:
    activity.heartbeat("adding", a)
    assert activity.info().activity_type == "add"
    return a + b


@pytest.fixture
def make_worker() -> Iterator[Any]:
    """``make_worker(kind, client, activities={"name": (async_fn, sync_fn)}, **options)``:
    a Worker running the activities as ``kind`` says (executors closed after the test)."""
    executors: List[concurrent.futures.Executor] = []

    def make(
        kind: str, client: Client, task_queue: str, activities: Dict[str, Any], **options: Any
    ) -> Worker:
        is_async = kind.startswith("async")
        acts = {name: fns[0] if is_async else fns[1] for name, fns in activities.items()}
        if kind == "async-own-loop":
            ex = concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="own_loop")
            executors.append(ex)
            options["async_activity_executor"] = ex
        elif kind.startswith("process"):
            ex = concurrent.futures.ProcessPoolExecutor(
                2, mp_context=multiprocessing.get_context(kind.split("-")[1])
            )
            executors.append(ex)
            options["activity_executor"] = ex
        return Worker(client, task_queue=task_queue, activities=acts, **options)

    yield make
    for ex in executors:
        ex.shutdown(wait=True, cancel_futures=True)


# ---- inbound -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_inbound_interceptors_wrap_execute_activity_and_see_args_and_result(
    client: Client, peer_task_queue: str, make_worker: Any, kind: str
) -> None:
    rec = Recorder()
    tq = new_tq()
    worker = make_worker(
        kind,
        client,
        tq,
        {"add": (add_async, add_sync)},
        interceptors=[Recording("outer", rec), Recording("inner", rec)],
    )
    async with worker:
        assert await run(client, peer_task_queue, tq, "add", 2, 3) == 5

    calls = [(e[0], e[1]) for e in rec.events if e[1] in ("init", "enter", "exit")]
    # the first in the list is outermost
    assert calls == [
        ("outer", "init"),
        ("inner", "init"),
        ("outer", "enter"),
        ("inner", "enter"),
        ("inner", "exit"),
        ("outer", "exit"),
    ]
    enter = rec.of("enter")[0]
    fn_name, args, executor, headers, where = enter[2:]
    assert fn_name == ("add_async" if kind.startswith("async") else "add_sync")
    assert args == [2, 3]
    assert (
        executor
        == {
            "async": None,
            "async-own-loop": "ThreadPoolExecutor",
            "thread": "ThreadPoolExecutor",
            "process-fork": "ProcessPoolExecutor",
            "process-spawn": "ProcessPoolExecutor",
        }[kind]
    )
    assert headers == {}
    # the inbound chain runs in the worker process, on its loop
    assert where == (os.getpid(), threading.current_thread().name)
    assert [e[2] for e in rec.of("exit")] == [5, 5]


async def test_inbound_interceptor_can_rewrite_the_arguments(
    client: Client, peer_task_queue: str
) -> None:
    class Doubling(ActivityInboundInterceptor):
        async def execute_activity(self, input: ExecuteActivityInput) -> Any:
            input.args = [a * 2 for a in input.args]
            return await super().execute_activity(input)

    class DoublingInterceptor(Interceptor):
        def intercept_activity(
            self, next: ActivityInboundInterceptor
        ) -> ActivityInboundInterceptor:
            return Doubling(next)

    tq = new_tq()
    async with Worker(
        client, task_queue=tq, activities={"add": add_async}, interceptors=[DoublingInterceptor()]
    ):
        assert await run(client, peer_task_queue, tq, "add", 2, 3) == 10


async def test_an_inbound_interceptor_that_raises_fails_the_attempt_with_its_error(
    client: Client, peer_task_queue: str
) -> None:
    ran: List[bool] = []

    async def never(x: int) -> int:
        ran.append(True)
        return x

    class Refusing(ActivityInboundInterceptor):
        async def execute_activity(self, input: ExecuteActivityInput) -> Any:
            raise ApplicationError("refused by interceptor", type="Refused", non_retryable=True)

    class RefusingInterceptor(Interceptor):
        def intercept_activity(
            self, next: ActivityInboundInterceptor
        ) -> ActivityInboundInterceptor:
            return Refusing(next)

    tq = new_tq()
    async with Worker(
        client, task_queue=tq, activities={"never": never}, interceptors=[RefusingInterceptor()]
    ):
        with pytest.raises(WorkflowFailureError) as e:
            await run(client, peer_task_queue, tq, "never", 1)
    cause = e.value.cause
    assert isinstance(cause, ActivityError)
    assert isinstance(cause.cause, ApplicationError)
    assert cause.cause.type == "Refused" and cause.cause.message == "refused by interceptor"
    assert ran == []


# ---- outbound ----------------------------------------------------------------------------


class Tagging(Interceptor):
    """An outbound interceptor that changes what the activity sees and sends:
    info() gets a tagged activity type, heartbeats an extra detail."""

    def __init__(self, rec: Recorder) -> None:
        self.rec = rec

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        rec = self.rec

        class Inbound(ActivityInboundInterceptor):
            def init(self, outbound: ActivityOutboundInterceptor) -> None:
                super().init(TaggingOutbound(outbound, rec))

        return Inbound(next)


class TaggingOutbound(ActivityOutboundInterceptor):
    def __init__(self, next: ActivityOutboundInterceptor, rec: Recorder) -> None:
        super().__init__(next)
        self.rec = rec

    def info(self) -> activity.Info:
        info = super().info()
        self.rec.add("tag", "info", info.attempt, _where())
        return dataclasses.replace(info, activity_type=f"tagged:{info.activity_type}")

    def heartbeat(self, *details: Any) -> None:
        # temporalio.activity works here too (for a process-pool activity: in the worker)
        self.rec.add("tag", "heartbeat", details, activity.in_activity(), _where())
        super().heartbeat(*details, "tagged")


def probe_sync() -> Dict[str, Any]:
    info = activity.info()
    if info.attempt == 1:
        activity.heartbeat("beat", 1)
        raise ApplicationError("try again")
    return {
        "type": info.activity_type,
        "details": list(info.heartbeat_details),  # what the server got: the interceptor's
        "cancelled": activity.info().cancelled,
    }


async def probe_async() -> Dict[str, Any]:
    return probe_sync()


@pytest.mark.parametrize("kind", ["async", "async-own-loop", "thread", "process-spawn"])
async def test_outbound_interceptor_observes_and_changes_heartbeats_and_info(
    client: Client, peer_task_queue: str, make_worker: Any, kind: str
) -> None:
    rec = Recorder()
    tq = new_tq()
    worker = make_worker(
        kind, client, tq, {"probe": (probe_async, probe_sync)}, interceptors=[Tagging(rec)]
    )
    async with worker:
        result = await run(
            client,
            peer_task_queue,
            tq,
            "probe",
            retry_max_attempts=2,
            retry_initial_interval_ms=100,
            heartbeat_timeout_ms=10000,
        )
    assert result == {"type": "tagged:probe", "details": ["beat", 1, "tagged"], "cancelled": False}
    assert [e[2:4] for e in rec.of("heartbeat")] == [(("beat", 1), True)]
    assert [e[2] for e in rec.of("info")] == [1, 2, 2]  # every info() call, both attempts

    # where the outbound calls run
    here = (os.getpid(), threading.current_thread().name)
    for pid, thread in [e[-1] for e in rec.of("heartbeat") + rec.of("info")]:
        if kind == "async" or kind.startswith("process"):
            assert (pid, thread) == here  # on the worker's loop (relayed from the child)
        elif kind == "async-own-loop":
            assert pid == here[0] and thread.startswith("own_loop")
        else:
            assert pid == here[0] and thread.startswith("temporal_activity")


def heartbeat_only_sync() -> str:
    activity.heartbeat("x")
    return activity.info().activity_type


async def test_outbound_chain_order_and_info_during_init(
    client: Client, peer_task_queue: str
) -> None:
    """Each inbound link wraps the outbound it is given and passes it on:
    the outermost inbound's outbound ends up innermost (as in the official SDK)."""
    rec = Recorder()
    seen_in_init: List[str] = []

    class Peeking(Interceptor):
        def intercept_activity(
            self, next: ActivityInboundInterceptor
        ) -> ActivityInboundInterceptor:
            class Inbound(ActivityInboundInterceptor):
                def init(self, outbound: ActivityOutboundInterceptor) -> None:
                    seen_in_init.append(activity.info().activity_type)  # context is set
                    super().init(outbound)

            return Inbound(next)

    tq = new_tq()
    async with Worker(
        client,
        task_queue=tq,
        activities={"hb": heartbeat_only_sync},
        interceptors=[Peeking(), Recording("outer", rec), Recording("inner", rec)],
    ):
        assert await run(client, peer_task_queue, tq, "hb") == "hb"
    assert seen_in_init == ["hb"]
    assert [e[0] for e in rec.of("heartbeat")] == ["inner", "outer"]
    assert [e[0] for e in rec.of("info")] == ["inner", "outer"]


# ---- client interceptors that are worker interceptors too ---------------------------------


class Both(temporalio.client.Interceptor, temporalio.worker.Interceptor):
    """One object for both sides, as tracing libraries ship them."""

    def __init__(self, rec: Recorder) -> None:
        self.rec = rec

    def intercept_client(
        self, next: temporalio.client.OutboundInterceptor
    ) -> temporalio.client.OutboundInterceptor:
        rec = self.rec

        class Outbound(temporalio.client.OutboundInterceptor):
            async def start_workflow(self, input: Any) -> Any:
                rec.add("both", "start_workflow", input.workflow)
                return await super().start_workflow(input)

        return Outbound(next)

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _RecordingInbound(next, "both", self.rec)


async def test_client_interceptor_that_is_also_a_worker_interceptor_is_used_by_the_worker(
    client: Client, peer_task_queue: str
) -> None:
    rec = Recorder()
    both = Both(rec)
    traced = Client(**{**client.config(), "interceptors": [both]})
    own = Recording("own", rec)
    tq = new_tq()
    worker = Worker(traced, task_queue=tq, activities={"add": add_async}, interceptors=[own])
    assert worker.interceptors == [both, own]  # the client's first, as in the official SDK
    async with worker:
        assert await run(traced, peer_task_queue, tq, "add", 4, 5) == 9
    assert [(e[0], e[1]) for e in rec.events if e[1] in ("start_workflow", "enter", "exit")] == [
        ("both", "start_workflow"),
        ("both", "enter"),
        ("own", "enter"),
        ("own", "exit"),
        ("both", "exit"),
    ]
    # a client interceptor that is only a client interceptor stays on the client
    only_client = Client(**{**client.config(), "interceptors": [temporalio.client.Interceptor()]})
    assert Worker(only_client, task_queue=tq, activities={"add": add_async}).interceptors == []


# ---- worker-shutdown notice -----------------------------------------------------------------


def wait_for_shutdown_sync(marker: str) -> Dict[str, Any]:
    before = activity.wait_for_worker_shutdown_sync(timeout=0.05)  # not yet
    Path(marker).touch()
    came = activity.wait_for_worker_shutdown_sync()  # no timeout: returns when shutdown begins
    awaited = asyncio.run(_await_shutdown())  # the async form in a sync activity's own loop
    return {
        "before": before,
        "came": came,
        "awaited": awaited,
        "is_worker_shutdown": activity.is_worker_shutdown(),
    }


async def _await_shutdown() -> bool:
    await activity.wait_for_worker_shutdown()
    return True


async def wait_for_shutdown_async(marker: str) -> Dict[str, Any]:
    before = activity.is_worker_shutdown()
    Path(marker).touch()
    await activity.wait_for_worker_shutdown()
    return {
        "before": before,
        "came": True,
        "awaited": True,
        "is_worker_shutdown": activity.is_worker_shutdown(),
    }


async def wait_for_file(path: Path) -> None:
    for _ in range(600):
        if path.exists():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{path} did not appear")


GRACE = timedelta(seconds=60)


@pytest.mark.parametrize("kind", KINDS)
async def test_wait_for_worker_shutdown_fires_when_shutdown_begins_and_the_activity_completes(
    client: Client, peer_task_queue: str, make_worker: Any, kind: str, tmp_path: Path
) -> None:
    tq = new_tq()
    marker = tmp_path / "started"
    worker = make_worker(
        kind,
        client,
        tq,
        {"wait": (wait_for_shutdown_async, wait_for_shutdown_sync)},
        graceful_shutdown_timeout=GRACE,
    )
    await worker.start()
    try:
        handle = await start(client, peer_task_queue, tq, "wait", str(marker), retry_max_attempts=1)
        await wait_for_file(marker)  # the activity runs and waits
    finally:
        t0 = time.monotonic()
        await worker.shutdown()
        took = time.monotonic() - t0
    # It returned on the notice: the grace period (60 s) is not what ended it.
    assert took < GRACE.total_seconds() / 2
    assert await handle.result() == {
        "before": False,
        "came": True,
        "awaited": True,
        "is_worker_shutdown": True,
    }
