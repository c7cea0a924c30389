"""Standalone activities (started by the client, no workflow) on the dev
server, run by our own worker: start/execute in every form, the handle's
result, describe, cancel, terminate, pause/unpause, options updates, the
id policies, list and count, and the interceptor chain."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, List

import pytest

from temporalio import activity
from temporalio.client import (
    ActivityExecutionStatus,
    ActivityFailureError,
    ActivityHandle,
    ActivityOptionsKeys,
    Client,
    Interceptor,
    OutboundInterceptor,
    StartActivityInput,
)
from temporalio.common import (
    ActivityIDConflictPolicy,
    ActivityIDReusePolicy,
    Priority,
    RetryPolicy,
)
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
)
from temporalio.exceptions import (
    ActivityAlreadyStartedError,
    ApplicationError,
    CancelledError,
)
from temporalio.service import FailedPreconditionError, NotFoundError
from temporalio.worker import Worker
from tests.context_codec import ContextTagCodec

pytestmark = pytest.mark.timeout(120)

TIMEOUT = timedelta(seconds=30)


@dataclass
class Greeting:
    text: str
    times: int


@activity.defn
async def greet(name: str) -> Greeting:
    return Greeting(text=f"Hello, {name}!", times=1)


@activity.defn
async def add(a: int, b: int) -> int:
    return a + b


@activity.defn
async def fail_always(message: str) -> None:
    raise ApplicationError(message, "detail-1", type="Boom", non_retryable=True)


@activity.defn
async def whoami() -> Dict[str, Any]:
    info = activity.info()
    return {
        "activity_id": info.activity_id,
        "activity_run_id": info.activity_run_id,
        "workflow_id": info.workflow_id,
        "in_workflow": info.in_workflow,
        "priority_key": info.priority.priority_key,
        "max_attempts": info.retry_policy.maximum_attempts if info.retry_policy else None,
    }


@activity.defn
async def complete_later() -> str:
    """Leaves its completion to the client (by its ids)."""
    activity.heartbeat("handed over")
    activity.raise_complete_async()


@activity.defn
async def wait_for_cancel() -> str:
    """Heartbeats until cancelled (then lets the cancellation end it)."""
    while True:
        activity.heartbeat("beat")
        await asyncio.sleep(0.1)


class Counter:
    """An activity given as a callable class instance and as a method."""

    def __init__(self) -> None:
        self.calls = 0

    @activity.defn(name="counter_call")
    async def __call__(self, step: int) -> int:
        self.calls += step
        return self.calls

    @activity.defn
    async def counter_method(self, step: int) -> int:
        self.calls += 10 * step
        return self.calls


def new_id() -> str:
    return f"sa-{uuid.uuid4()}"


async def eventually(check: Callable[[], Awaitable[bool]], what: str, within: float = 20.0) -> None:
    """Visibility is eventually consistent: poll ``check`` until true (bounded)."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not seen within {within}s: {what}")
        await asyncio.sleep(0.2)


async def test_start_result_and_describe(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, activities=[greet, add]):
        aid = new_id()
        handle = await client.start_activity(
            greet, "Temporal", id=aid, task_queue=task_queue, start_to_close_timeout=TIMEOUT
        )
        assert isinstance(handle, ActivityHandle)
        assert handle.id == aid and handle.run_id
        # the declared return type decodes the result
        assert await handle.result() == Greeting(text="Hello, Temporal!", times=1)
        desc = await handle.describe(include_input=True, include_outcome=True)
        assert desc.activity_id == aid and desc.activity_run_id == handle.run_id
        assert desc.activity_type == "greet" and desc.task_queue == task_queue
        assert desc.status == ActivityExecutionStatus.COMPLETED
        assert desc.start_to_close_timeout == TIMEOUT and desc.attempt == 1
        assert desc.close_time is not None and desc.close_time >= desc.schedule_time
        assert desc.has_input() and await desc.input() == ["Temporal"]
        assert desc.has_result() and await desc.result() == {"text": "Hello, Temporal!", "times": 1}
        assert await desc.result(Greeting) == Greeting("Hello, Temporal!", 1)
        assert not desc.has_outcome_failure() and await desc.outcome_failure() is None
        # without include_*, no input and no outcome
        bare = await handle.describe()
        assert not bare.has_input() and not bare.has_result()

        # several arguments; execute_activity; a name with result_type
        assert (
            await client.execute_activity(
                add, args=[2, 3], id=new_id(), task_queue=task_queue, start_to_close_timeout=TIMEOUT
            )
            == 5
        )
        got = await client.execute_activity(
            "greet",
            "by-name",
            id=new_id(),
            task_queue=task_queue,
            result_type=Greeting,
            schedule_to_close_timeout=TIMEOUT,
            summary="a summary",
        )
        assert got == Greeting("Hello, by-name!", 1)

        # a handle got by id (latest run) waits for the same result
        same = client.get_activity_handle(aid, result_type=Greeting)
        assert same.run_id is None
        assert await same.result() == Greeting("Hello, Temporal!", 1)
        # a result that does not decode as the type asked for says whose it is
        with pytest.raises((TypeError, ValueError), match=f"the result of activity '{aid}'"):
            await client.get_activity_handle(aid, result_type=int).result()


async def test_class_and_method_forms(client: Client, task_queue: str) -> None:
    counter = Counter()
    # (our worker takes a callable instance by name)
    activities = {"counter_call": counter, "counter_method": counter.counter_method}
    async with Worker(client, task_queue=task_queue, activities=activities):
        h = await client.start_activity_class(
            Counter, 2, id=new_id(), task_queue=task_queue, start_to_close_timeout=TIMEOUT
        )
        assert await h.result() == 2
        assert (
            await client.execute_activity_class(
                Counter, 3, id=new_id(), task_queue=task_queue, start_to_close_timeout=TIMEOUT
            )
            == 5
        )
        h = await client.start_activity_method(
            Counter.counter_method,
            1,
            id=new_id(),
            task_queue=task_queue,
            start_to_close_timeout=TIMEOUT,
        )
        assert await h.result() == 15
        assert (
            await client.execute_activity_method(
                Counter.counter_method,
                arg=1,
                id=new_id(),
                task_queue=task_queue,
                start_to_close_timeout=TIMEOUT,
            )
            == 25
        )
    assert counter.calls == 25


async def test_failure_reaches_result_and_describe(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, activities=[fail_always]):
        handle = await client.start_activity(
            fail_always,
            "it broke",
            id=new_id(),
            task_queue=task_queue,
            start_to_close_timeout=TIMEOUT,
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
        with pytest.raises(ActivityFailureError) as info:
            await handle.result()
        assert str(info.value) == "Activity execution failed"
        cause = info.value.cause
        assert isinstance(cause, ApplicationError)
        assert cause.message == "it broke" and cause.type == "Boom"
        assert list(cause.details) == ["detail-1"]
        desc = await handle.describe(include_outcome=True, include_last_failure=True)
        assert desc.status == ActivityExecutionStatus.FAILED
        assert desc.has_outcome_failure() and not desc.has_result()
        failure = await desc.outcome_failure()
        assert isinstance(failure, ApplicationError) and failure.message == "it broke"


async def test_cancel(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, activities=[wait_for_cancel]):
        handle = await client.start_activity(
            wait_for_cancel,
            id=new_id(),
            task_queue=task_queue,
            start_to_close_timeout=TIMEOUT,
            heartbeat_timeout=timedelta(seconds=5),
        )

        async def started() -> bool:
            return (await handle.describe()).last_started_time is not None

        await eventually(started, "the activity started")
        await handle.cancel(reason="no longer needed")
        with pytest.raises(ActivityFailureError) as info:
            await handle.result()
        assert isinstance(info.value.cause, CancelledError)
        desc = await handle.describe()
        assert desc.status == ActivityExecutionStatus.CANCELED
        assert desc.canceled_reason == "no longer needed"


async def test_terminate_and_id_policies(client: Client, task_queue: str) -> None:
    # No worker: the activity stays scheduled until terminated.
    aid = new_id()
    first = await client.start_activity(
        "never_runs", id=aid, task_queue=task_queue, start_to_close_timeout=TIMEOUT
    )
    with pytest.raises(ActivityAlreadyStartedError) as info:
        await client.start_activity(
            "never_runs", id=aid, task_queue=task_queue, start_to_close_timeout=TIMEOUT
        )
    err = info.value
    assert str(err) == "Activity execution already started"
    assert (err.activity_id, err.activity_type, err.run_id) == (aid, "never_runs", first.run_id)
    existing = await client.start_activity(
        "never_runs",
        id=aid,
        task_queue=task_queue,
        start_to_close_timeout=TIMEOUT,
        id_conflict_policy=ActivityIDConflictPolicy.USE_EXISTING,
    )
    assert existing.run_id == first.run_id

    await first.terminate(reason="stop it")
    with pytest.raises(ActivityFailureError):
        await first.result()
    assert (await first.describe()).status == ActivityExecutionStatus.TERMINATED

    # a closed id: REJECT_DUPLICATE refuses it, the default allows it
    with pytest.raises(ActivityAlreadyStartedError):
        await client.start_activity(
            "never_runs",
            id=aid,
            task_queue=task_queue,
            start_to_close_timeout=TIMEOUT,
            id_reuse_policy=ActivityIDReusePolicy.REJECT_DUPLICATE,
        )
    second = await client.start_activity(
        "never_runs", id=aid, task_queue=task_queue, start_to_close_timeout=TIMEOUT
    )
    assert second.run_id != first.run_id
    await second.terminate()

    with pytest.raises(NotFoundError):
        await client.get_activity_handle(new_id()).describe()


async def test_pause_unpause_and_options(client: Client, task_queue: str) -> None:
    handle = await client.start_activity(
        "never_runs", id=new_id(), task_queue=task_queue, start_to_close_timeout=TIMEOUT
    )
    try:
        await handle.pause(reason="hold on")

        async def paused() -> bool:
            return (await handle.describe()).status == ActivityExecutionStatus.PAUSED

        await eventually(paused, "the activity paused")
        await handle.unpause(reason="go on")

        async def running() -> bool:
            return (await handle.describe()).status == ActivityExecutionStatus.RUNNING

        await eventually(running, "the activity running again")

        options = await handle.update_options(
            [
                ActivityOptionsKeys.start_to_close_timeout.value_set(timedelta(seconds=42)),
                ActivityOptionsKeys.heartbeat_timeout.value_set(timedelta(seconds=7)),
            ]
        )
        assert options.start_to_close_timeout == timedelta(seconds=42)
        assert options.heartbeat_timeout == timedelta(seconds=7)
        assert (await handle.describe()).start_to_close_timeout == timedelta(seconds=42)
        restored = await handle.restore_original_options()
        assert restored.start_to_close_timeout == TIMEOUT
        with pytest.raises(ValueError, match="more than one update"):
            await handle.update_options(
                [
                    ActivityOptionsKeys.start_delay.value_set(timedelta(seconds=1)),
                    ActivityOptionsKeys.start_delay.value_unset(),
                ]
            )
        with pytest.raises(ValueError, match="at least one update"):
            await handle.update_options([])
    finally:
        await handle.terminate()


async def test_list_and_count(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, activities=[add]):
        ids = [new_id() for _ in range(3)]
        for i, aid in enumerate(ids):
            await client.execute_activity(
                add, args=[i, i], id=aid, task_queue=task_queue, start_to_close_timeout=TIMEOUT
            )
    query = f"TaskQueue = '{task_queue}'"

    async def all_three_completed() -> bool:
        # (visibility is eventually consistent: the closes come after the starts)
        done = await client.count_activities(f"{query} AND ExecutionStatus = 'Completed'")
        return done.count == 3

    await eventually(all_three_completed, "three completed activities counted")
    assert (await client.count_activities(query)).count == 3
    listed = [a async for a in client.list_activities(query, page_size=2)]
    assert sorted(a.activity_id for a in listed) == sorted(ids)
    assert all(
        a.status == ActivityExecutionStatus.COMPLETED and a.activity_type == "add" for a in listed
    )
    assert len([a async for a in client.list_activities(query, limit=2)]) == 2
    grouped = await client.count_activities(f"{query} GROUP BY ExecutionStatus")
    assert grouped.count == 3
    assert [(g.count, list(g.group_values)) for g in grouped.groups] == [(3, ["Completed"])]


async def test_start_goes_through_interceptors(server_target: str, task_queue: str) -> None:
    seen: List[Any] = []

    class Recorder(Interceptor):
        def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
            class Out(OutboundInterceptor):
                async def start_activity(self, input: StartActivityInput) -> ActivityHandle[Any]:
                    seen.append((input.activity_type, list(input.args), input.id))
                    input.args = [*input.args, 100]
                    return await super().start_activity(input)

            return Out(next)

    client = await Client.connect(server_target, interceptors=[Recorder()])
    try:
        async with Worker(client, task_queue=task_queue, activities=[add]):
            aid = new_id()
            result = await client.execute_activity(
                add, 1, id=aid, task_queue=task_queue, start_to_close_timeout=TIMEOUT
            )
        assert result == 101
        assert seen == [("add", [1], aid)]
    finally:
        await client.close()


async def test_argument_errors(client: Client) -> None:
    with pytest.raises(ValueError, match="start_to_close_timeout or schedule_to_close_timeout"):
        await client.start_activity("a", id=new_id(), task_queue="tq")
    with pytest.raises(ValueError, match="Cannot have arg and args"):
        await client.start_activity(
            "a", 1, args=[2], id=new_id(), task_queue="tq", start_to_close_timeout=TIMEOUT
        )

    async def undecorated() -> None: ...

    with pytest.raises(TypeError, match="was it decorated with @activity.defn"):
        await client.start_activity(
            undecorated, id=new_id(), task_queue="tq", start_to_close_timeout=TIMEOUT
        )


async def test_async_completion_by_activity_id_and_run_id(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, activities=[complete_later]):
        handle = await client.start_activity(
            complete_later,
            id=new_id(),
            task_queue=task_queue,
            start_to_close_timeout=TIMEOUT,
        )

        async def heartbeated() -> bool:
            desc = await handle.describe(include_heartbeat_details=True)
            return desc.has_heartbeat_details()

        await eventually(heartbeated, "the activity's heartbeat")
        desc = await handle.describe(include_heartbeat_details=True)
        assert await desc.heartbeat_details() == ["handed over"]
        # no workflow: the activity id and its run name it
        async_handle = client.get_async_activity_handle(activity_id=handle.id, run_id=handle.run_id)
        await async_handle.heartbeat("from the client")
        desc = await handle.describe(include_heartbeat_details=True)
        assert await desc.heartbeat_details() == ["from the client"]
        assert desc.status == ActivityExecutionStatus.RUNNING
        await async_handle.complete("done elsewhere")
        assert await handle.result() == "done elsewhere"
        # the run is over: the server refuses a second completion
        with pytest.raises(FailedPreconditionError, match="invalid transition from Completed"):
            await async_handle.complete("again")


async def test_activity_info_of_a_standalone_activity(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, activities=[whoami]):
        aid = new_id()
        handle = await client.start_activity(
            whoami,
            id=aid,
            task_queue=task_queue,
            start_to_close_timeout=TIMEOUT,
            priority=Priority(priority_key=2),
            retry_policy=RetryPolicy(maximum_attempts=4),
        )
        assert await handle.result() == {
            "activity_id": aid,
            "activity_run_id": handle.run_id,
            "workflow_id": None,
            "in_workflow": False,
            "priority_key": 2,
            "max_attempts": 4,
        }
        desc = await handle.describe()
        assert desc.priority.priority_key == 2
        assert desc.retry_policy is not None and desc.retry_policy.maximum_attempts == 4


async def test_serialization_context_of_standalone_activities(
    server_target: str, task_queue: str
) -> None:
    seen: List[Any] = []
    client = await Client.connect(
        server_target,
        data_converter=DataConverter(
            payload_codec=ContextTagCodec("activity-ctx", "activity_id", seen)
        ),
    )
    try:
        async with Worker(client, task_queue=task_queue, activities=[complete_later, add]):
            aid = new_id()
            handle = await client.start_activity(
                add, args=[1, 2], id=aid, task_queue=task_queue, start_to_close_timeout=TIMEOUT
            )
            assert await handle.result() == 3
            # the start encoded the input in the activity's context; the
            # result was decoded in it
            desc = await handle.describe(include_input=True)
            assert [p.metadata["activity-ctx"] for p in desc.raw_input.payloads] == [
                aid.encode()
            ] * 2
            # (first the worker decoded the input, then the client the result)
            assert [getattr(c, "activity_id", None) for c in seen] == [aid, aid]
            worker_ctx, handle_ctx = seen
            assert (worker_ctx.activity_type, worker_ctx.activity_task_queue) == ("add", task_queue)
            assert worker_ctx.workflow_id is None and not worker_ctx.is_local
            assert handle_ctx.activity_type is None  # a handle knows only the id
            # the worker encoded the result in the activity's context too
            desc = await handle.describe(include_outcome=True)
            assert desc.raw_outcome.result.payloads[0].metadata["activity-ctx"] == aid.encode()

            # async completion in a context given by the caller
            other = await client.start_activity(
                complete_later, id=new_id(), task_queue=task_queue, start_to_close_timeout=TIMEOUT
            )

            async def started() -> bool:
                return (await other.describe()).last_started_time is not None

            await eventually(started, "the activity started")
            by_id = client.get_async_activity_handle(activity_id=other.id, run_id=other.run_id)
            context = ActivitySerializationContext(
                namespace=client.namespace,
                activity_id="given-context",
                activity_type="complete_later",
                activity_task_queue=task_queue,
                workflow_id=None,
                workflow_type=None,
                is_local=False,
            )
            scoped = by_id.with_context(context)
            assert scoped is not by_id and scoped.id_or_token == by_id.id_or_token
            await scoped.complete("done")
            desc = await other.describe(include_outcome=True)
            assert desc.raw_outcome.result.payloads[0].metadata["activity-ctx"] == b"given-context"
            # a converter without context-aware parts gives the same handle back
            plain = Client(**{**client.config(), "data_converter": DataConverter.default})
            same = plain.get_async_activity_handle(activity_id="a", run_id="r")
            assert same.with_context(context) is same
    finally:
        await client.close()


def test_server_with_standalone_activities_off() -> None:
    """The switch: dynamic config ``activity.enableStandalone`` (on by default
    in the dev server); off, the server refuses every standalone-activity
    call with UNIMPLEMENTED, which reaches the caller as an RPC error."""
    from temporalio.service import RPCStatusCode, UnimplementedError
    from temporalio.testing import DevServer

    async def calls(target: str) -> List[BaseException]:
        c = await Client.connect(target)
        errors: List[BaseException] = []
        try:
            for call in (
                lambda: c.start_activity(
                    "a", id=new_id(), task_queue="tq", start_to_close_timeout=TIMEOUT
                ),
                lambda: c.count_activities(),
                lambda: c.get_activity_handle("a").describe(),
            ):
                with pytest.raises(UnimplementedError) as info:
                    await call()
                errors.append(info.value)
        finally:
            await c.close()
        return errors

    args = ["--dynamic-config-value", "activity.enableStandalone=false"]
    with DevServer(extra_args=args) as server:
        errors = asyncio.run(calls(server.target))
    assert [(e.status, str(e)) for e in errors] == [
        (RPCStatusCode.UNIMPLEMENTED, "Standalone activity is disabled")
    ] * 3
