"""Workflow features on our own worker against the dev server: signals,
queries (in a task and legacy), cancellation, continue-as-new, search
attributes and memo, activities (cancellation types, retries, timeouts),
non-determinism, deadlocks, eviction under cache pressure, shutdown with
runs cached."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any, Dict, List

import pytest

from temporalio import activity, workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, TimeoutError
from temporalio.worker import Worker
from tests.integration.workflow_history import history as _history
from tests.integration.workflow_history import new_workflow_id as _id
from tests.integration.workflow_history import wait_for_event as _wait_for_event

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

TIMEOUT = timedelta(seconds=60)


# ---- signals and queries -------------------------------------------------------------------


@workflow.defn
class SignalQueryWorkflow:
    def __init__(self) -> None:
        self.got: List[str] = []
        self.late: List[str] = []

    @workflow.run
    async def run(self) -> Dict[str, List[str]]:
        await workflow.sleep(0.5)
        # a handler that exists only from now on: earlier signals were buffered
        workflow.set_signal_handler("late", lambda v: self.late.append(v))
        await workflow.wait_condition(lambda: "done" in self.got)
        return {"got": self.got, "late": self.late}

    @workflow.signal
    def add(self, v: str) -> None:
        self.got.append(v)

    @workflow.query
    def state(self) -> List[str]:
        return list(self.got)


async def test_signals_before_and_after_handler(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[SignalQueryWorkflow]):
        h = await client.start_workflow(
            "SignalQueryWorkflow", id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
        )
        await h.signal("late", "early-1")  # before set_signal_handler runs
        await h.signal("add", "a")
        await _wait_for_event(client, h.id, "timer_fired_event_attributes")
        await h.signal("late", "after-1")
        # a query answered while the run is cached (legacy query task)
        assert await h.query("state") == ["a"]
        await h.signal("add", "done")
        result = await h.result()
    assert result == {"got": ["a", "done"], "late": ["early-1", "after-1"]}


async def test_legacy_query_without_cached_run(client: Client, task_queue: str) -> None:
    wid = _id()
    async with Worker(
        client, task_queue=task_queue, workflows=[SignalQueryWorkflow], max_cached_workflows=0
    ):
        h = await client.start_workflow(
            "SignalQueryWorkflow", id=wid, task_queue=task_queue, execution_timeout=TIMEOUT
        )
        await h.signal("add", "x")
        await h.signal("add", "y")
        await _wait_for_event(client, wid, "timer_fired_event_attributes")
        # no run cached: the query task replays the history first
        assert await h.query("state") == ["x", "y"]
        await h.signal("add", "done")
        await h.result()
    # and a completed workflow, queried on a fresh worker
    async with Worker(client, task_queue=task_queue, workflows=[SignalQueryWorkflow]):
        assert await h.query("state") == ["x", "y", "done"]


# ---- cancel, continue-as-new, search attributes and memo ---------------------------------


@workflow.defn
class CancelWorkflow:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(100)
        return "not cancelled"


async def test_workflow_cancel(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CancelWorkflow]):
        h = await client.start_workflow(
            "CancelWorkflow", id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
        )
        await _wait_for_event(client, h.id, "timer_started_event_attributes")
        await h.cancel()
        with pytest.raises(WorkflowFailureError) as ei:
            await h.result()
    assert isinstance(ei.value.cause, CancelledError)


@workflow.defn
class ContinueWorkflow:
    @workflow.run
    async def run(self, n: int) -> str:
        if n < 3:
            workflow.continue_as_new(n + 1)
        return f"run {n} of {workflow.info().workflow_id}"


async def test_continue_as_new(client: Client, task_queue: str) -> None:
    wid = _id()
    async with Worker(client, task_queue=task_queue, workflows=[ContinueWorkflow]):
        result = await client.execute_workflow(
            "ContinueWorkflow", 0, id=wid, task_queue=task_queue, execution_timeout=TIMEOUT
        )
    assert result == f"run 3 of {wid}"


@workflow.defn
class AttrsWorkflow:
    @workflow.run
    async def run(self) -> Dict[str, Any]:
        before = dict(workflow.memo())
        workflow.upsert_memo({"added": 2})
        workflow.upsert_search_attributes({"SdkCWfKeyword": ["from-workflow"]})
        await workflow.sleep(0.1)
        return {"before": before, "after": dict(workflow.memo())}


async def test_search_attributes_and_memo(client: Client, task_queue: str) -> None:
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest

    from temporalio.service import AlreadyExistsError

    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=client.namespace,
                search_attributes={"SdkCWfKeyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD},
            )
        )
    except AlreadyExistsError:
        pass
    async with Worker(client, task_queue=task_queue, workflows=[AttrsWorkflow]):
        h = await client.start_workflow(
            "AttrsWorkflow",
            id=_id(),
            task_queue=task_queue,
            execution_timeout=TIMEOUT,
            memo={"given": "yes"},
        )
        result = await h.result()
    assert result == {"before": {"given": "yes"}, "after": {"given": "yes", "added": 2}}
    desc = await h.describe()
    assert await desc.memo() == {"given": "yes", "added": 2}
    assert desc.search_attributes.get("SdkCWfKeyword") in (["from-workflow"], "from-workflow")


# ---- activities: cancellation types, retries, timeouts -----------------------------------

_acts: Dict[str, List[str]] = {}


@activity.defn
async def long_heartbeater(key: str) -> str:
    try:
        for _ in range(300):
            activity.heartbeat()
            await asyncio.sleep(0.1)
    except asyncio.CancelledError:
        _acts.setdefault(key, []).append("cancelled")
        await asyncio.sleep(0.3)
        raise
    return "finished"


@workflow.defn
class ActivityCancelWorkflow:
    @workflow.run
    async def run(self, key: str, ctype: int) -> str:
        h = workflow.start_activity(
            long_heartbeater,
            key,
            start_to_close_timeout=timedelta(seconds=60),
            heartbeat_timeout=timedelta(seconds=5),
            cancellation_type=workflow.ActivityCancellationType(ctype),
        )
        await workflow.sleep(1)
        h.cancel()
        try:
            await h
        except ActivityError as e:
            return f"activity error: {type(e.cause).__name__}"
        except asyncio.CancelledError:
            return "cancelled"
        return "completed"


@pytest.mark.parametrize("ctype", list(workflow.ActivityCancellationType))
async def test_activity_cancellation_types(
    client: Client, task_queue: str, ctype: workflow.ActivityCancellationType
) -> None:
    key = str(uuid.uuid4())
    wid = _id()
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[ActivityCancelWorkflow],
        activities=[long_heartbeater],
    ):
        result = await client.execute_workflow(
            "ActivityCancelWorkflow",
            key,
            int(ctype),
            id=wid,
            task_queue=task_queue,
            execution_timeout=TIMEOUT,
        )
        events = await _history(client, wid)
    kinds = [e.WhichOneof("attributes") for e in events]
    assert result == "activity error: CancelledError", result
    if ctype == workflow.ActivityCancellationType.ABANDON:
        assert "activity_task_cancel_requested_event_attributes" not in kinds
    else:
        assert "activity_task_cancel_requested_event_attributes" in kinds
    if ctype == workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED:
        # the workflow went on only once the activity said it was cancelled
        assert "activity_task_canceled_event_attributes" in kinds
        assert kinds.index("activity_task_canceled_event_attributes") < kinds.index(
            "workflow_execution_completed_event_attributes"
        )
        assert _acts.get(key) == ["cancelled"]


@activity.defn
async def flaky(n: int) -> int:
    if activity.info().attempt < n:
        raise RuntimeError(f"attempt {activity.info().attempt} fails")
    return activity.info().attempt


@activity.defn
async def too_slow() -> str:
    await asyncio.sleep(10)
    return "late"


@workflow.defn
class RetryTimeoutWorkflow:
    @workflow.run
    async def run(self) -> List[str]:
        attempt = await workflow.execute_activity(
            flaky,
            3,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100)),
        )
        out = [f"succeeded on attempt {attempt}"]
        try:
            await workflow.execute_activity(
                too_slow,
                start_to_close_timeout=timedelta(seconds=1),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as e:
            assert isinstance(e.cause, TimeoutError)
            out.append(f"timed out: {e.cause.type.name}")
        try:
            await workflow.execute_activity(
                flaky,
                100,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(milliseconds=100), maximum_attempts=2
                ),
            )
        except ActivityError as e:
            assert isinstance(e.cause, ApplicationError)
            out.append(f"gave up: {e.cause.type}: {e.cause.message}")
        return out


async def test_activity_retries_and_timeouts(client: Client, task_queue: str) -> None:
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[RetryTimeoutWorkflow],
        activities=[flaky, too_slow],
    ):
        result = await client.execute_workflow(
            "RetryTimeoutWorkflow", id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
        )
    assert result == [
        "succeeded on attempt 3",
        "timed out: START_TO_CLOSE",
        "gave up: RuntimeError: attempt 2 fails",
    ]


# ---- failures --------------------------------------------------------------------------------


@workflow.defn
class FailingWorkflow:
    @workflow.run
    async def run(self, how: str) -> str:
        await workflow.sleep(0.05)
        if how == "application":
            raise ApplicationError("it went wrong", "detail", type="MyFailure", non_retryable=True)
        return "ok"


async def test_workflow_failure(client: Client, task_queue: str) -> None:
    async with Worker(
        client, task_queue=task_queue, workflows=[FailingWorkflow], max_cached_workflows=0
    ):
        with pytest.raises(WorkflowFailureError) as ei:
            await client.execute_workflow(
                "FailingWorkflow",
                "application",
                id=_id(),
                task_queue=task_queue,
                execution_timeout=TIMEOUT,
            )
    cause = ei.value.cause
    assert isinstance(cause, ApplicationError)
    assert (cause.message, cause.type, list(cause.details)) == (
        "it went wrong",
        "MyFailure",
        ["detail"],
    )


@workflow.defn
class SlowSignalWorkflow:
    def __init__(self) -> None:
        self.got: List[str] = []

    @workflow.run
    async def run(self) -> List[str]:
        await workflow.wait_condition(lambda: "done" in self.got)
        return self.got

    @workflow.signal
    def add(self, v: str) -> None:
        if v == "slow":
            time.sleep(1.5)  # keeps the workflow task in flight (deadlock timeout is 10 s)
        self.got.append(v)

    @workflow.query
    def state(self) -> List[str]:
        return list(self.got)


async def test_query_while_a_task_is_in_flight(client: Client, task_queue: str) -> None:
    # A query arriving while a workflow task runs is held by the server and
    # given to the worker with the next task (with the signal that came
    # meanwhile): it is answered after that task's work.
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[SlowSignalWorkflow],
        deadlock_timeout=timedelta(seconds=10),
    ):
        h = await client.start_workflow(
            "SlowSignalWorkflow", id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
        )
        await h.signal("add", "slow")
        await asyncio.sleep(0.5)  # the slow task is under way
        await h.signal("add", "next")
        state = await h.query("state")
        assert state[:2] == ["slow", "next"], state
        await h.signal("add", "done")
        assert await h.result() == ["slow", "next", "done"]
