"""``@activity.defn(dynamic=True)`` end to end on the dev server: a workflow
on our worker calls activity types nobody registered by name; the worker's
dynamic activity runs them with their arguments as ``RawValue`` payloads,
converts them with ``activity.payload_converter()``, and its ``RawValue``
result passes through the converters unchanged. Sync dynamic activities
run in a thread pool and in a process pool (whose child makes its own
payload converter)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Dict, List, Optional

import pytest

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError
from temporalio.worker import Worker

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


@dataclass
class Greeting:
    name: str
    times: int


@activity.defn
async def registered_by_name(text: str) -> str:
    return f"registered: {text}"


def _describe(args: Sequence[RawValue]) -> Dict[str, Any]:
    pc = activity.payload_converter()
    out: Dict[str, Any] = {
        "type": activity.info().activity_type,
        "n": len(args),
        "encodings": [a.payload.metadata["encoding"].decode() for a in args],
        "raw_value": all(isinstance(a, RawValue) for a in args),
    }
    if out["type"] == "Greet":
        g = pc.from_payload(args[0].payload, Greeting)
        out["greeting"] = f"{'hello ' * g.times}{g.name}".strip()
        out["rest"] = [pc.from_payload(a.payload) for a in args[1:]]
    return out


@activity.defn(dynamic=True)
async def dynamic_async(args: Sequence[RawValue]) -> Any:
    if activity.info().activity_type == "Echo":
        return args[0]  # a RawValue result: its payload as is
    return _describe(args)


@activity.defn(dynamic=True)
def dynamic_sync(args: Sequence[RawValue]) -> Any:
    if activity.info().activity_type == "Echo":
        return args[0]
    return _describe(args)


@workflow.defn
class CallsUnregisteredActivities:
    @workflow.run
    async def run(self) -> List[Any]:
        t = timedelta(seconds=20)
        return [
            await workflow.execute_activity(
                "Greet", args=[Greeting("Ada", 2), 7, None], start_to_close_timeout=t
            ),
            await workflow.execute_activity("NoArguments", start_to_close_timeout=t),
            await workflow.execute_activity(
                "Echo", {"kept": ["as", "is"]}, start_to_close_timeout=t
            ),
            await workflow.execute_activity(
                "registered_by_name", "still routed by name", start_to_close_timeout=t
            ),
        ]


EXPECTED = [
    {
        "type": "Greet",
        "n": 3,
        "encodings": ["json/plain", "json/plain", "binary/null"],
        "raw_value": True,
        "greeting": "hello hello Ada",
        "rest": [7, None],
    },
    {"type": "NoArguments", "n": 0, "encodings": [], "raw_value": True},
    {"kept": ["as", "is"]},
    "registered: still routed by name",
]


async def _run(
    client: Client,
    task_queue: str,
    dynamic: Callable[..., Any],
    executor: Optional[concurrent.futures.Executor] = None,
) -> List[Any]:
    """The result of CallsUnregisteredActivities on a worker with the
    ``dynamic`` activity (run in ``executor``) besides registered_by_name."""
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[CallsUnregisteredActivities],
        activities=[registered_by_name, dynamic],
        activity_executor=executor,
    ):
        return await client.execute_workflow(  # type: ignore[no-any-return]
            CallsUnregisteredActivities.run,
            id=f"dyn-{uuid.uuid4()}",
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=90),
        )


async def test_dynamic_async_activity_serves_unregistered_types(
    client: Client, task_queue: str
) -> None:
    assert await _run(client, task_queue, dynamic_async) == EXPECTED


async def test_dynamic_sync_activity_in_a_thread_pool(client: Client, task_queue: str) -> None:
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert await _run(client, task_queue, dynamic_sync, pool) == EXPECTED


async def test_dynamic_sync_activity_in_a_process_pool(client: Client, task_queue: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as pool:
        assert await _run(client, task_queue, dynamic_sync, pool) == EXPECTED


async def test_without_a_dynamic_activity_the_type_is_not_found(
    client: Client, task_queue: str
) -> None:
    @workflow.defn(name=f"OnlyUnregistered{uuid.uuid4().hex}")
    class OnlyUnregistered:
        @workflow.run
        async def run(self) -> str:
            try:
                await workflow.execute_activity(
                    "Greet",
                    start_to_close_timeout=timedelta(seconds=10),
                    retry_policy=RetryPolicy(maximum_attempts=1),
                )
            except ActivityError as err:
                return str(err.cause)
            return "ran"

    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[OnlyUnregistered],
        activities=[registered_by_name],
    ):
        msg = await client.execute_workflow(
            OnlyUnregistered.run,
            id=f"dyn-{uuid.uuid4()}",
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
    assert "Activity function Greet for workflow" in msg
    assert "is not registered on this worker, available activities: registered_by_name" in msg


# ---- @activity.defn(no_thread_cancel_exception=True) ------------------------------------

_seen: Dict[str, str] = {}
_started = {"quiet": threading.Event(), "loud": threading.Event()}


def _heartbeat_until_cancelled(key: str) -> str:
    _started[key].set()
    try:
        for _ in range(600):
            cancelled = activity.is_cancelled()
            activity.heartbeat()  # after a cancel: raises, unless no_thread_cancel_exception
            if cancelled:
                _seen[key] = "saw the cancel, heartbeat did not raise"
                return "done"
            time.sleep(0.05)
    except BaseException as err:
        _seen[key] = f"heartbeat raised {type(err).__name__}"
        raise
    _seen[key] = "never cancelled"
    return "done"


@activity.defn(name="quiet", no_thread_cancel_exception=True)
def quiet(_: int) -> str:
    return _heartbeat_until_cancelled("quiet")


@activity.defn(name="loud")
def loud(_: int) -> str:
    return _heartbeat_until_cancelled("loud")


@workflow.defn
class RunsOneActivity:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(  # type: ignore[no-any-return]
            name, 0, start_to_close_timeout=timedelta(seconds=60)
        )


@pytest.mark.parametrize(
    "name,expected",
    [
        ("quiet", "saw the cancel, heartbeat did not raise"),
        ("loud", "heartbeat raised CancelledError"),
    ],
)
async def test_no_thread_cancel_exception(
    client: Client, task_queue: str, name: str, expected: str
) -> None:
    """The worker's shutdown cancels the running thread-pool activity: by
    default its next heartbeat raises; with no_thread_cancel_exception it
    does not, and the activity sees is_cancelled()."""
    _started[name].clear()
    _seen.pop(name, None)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        worker = Worker(
            client,
            task_queue=task_queue,
            workflows=[RunsOneActivity],
            activities=[quiet, loud],
            activity_executor=pool,
        )
        async with worker:
            await client.start_workflow(
                RunsOneActivity.run,
                name,
                id=f"dyn-{uuid.uuid4()}",
                task_queue=task_queue,
                execution_timeout=timedelta(seconds=60),
            )
            assert await asyncio.get_running_loop().run_in_executor(None, _started[name].wait, 30)
        # leaving the block shut the worker down: it cancelled the attempt
    assert _seen.get(name) == expected
