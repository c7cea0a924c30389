"""Our workflow worker under pressure against the dev server: changed code
on an existing history (non-determinism), a workflow that blocks its
thread (deadlock), more runs than the cache holds, shutdown with runs
cached."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Any, Dict, List

import pytest

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker
from tests.integration.workflow_history import history as _history
from tests.integration.workflow_history import new_workflow_id as _id
from tests.integration.workflow_history import wait_for_event as _wait_for_event

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

TIMEOUT = timedelta(seconds=60)


# ---- non-determinism -----------------------------------------------------------------------


@workflow.defn(name="Changing")
class ChangingV1:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(0.1)
        await workflow.wait_condition(lambda: self.go)
        return "v1"

    @workflow.signal
    def proceed(self) -> None:
        self.go = True


@workflow.defn(name="Changing")
class ChangingV2:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self) -> str:
        # the timer is gone: replaying v1's history cannot match
        await workflow.wait_condition(lambda: self.go)
        return "v2"

    @workflow.signal
    def proceed(self) -> None:
        self.go = True


@workflow.defn(name="Changing", failure_exception_types=[workflow.NondeterminismError])
class ChangingV2FailsOnNondeterminism:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.go)
        return "v2"

    @workflow.signal
    def proceed(self) -> None:
        self.go = True


async def _run_v1(client: Client, task_queue: str) -> Any:
    """Starts "Changing" on ChangingV1 and returns its handle once v1's
    timer fired and the task after it completed (its commands in history)."""
    wid = _id()
    async with Worker(client, task_queue=task_queue, workflows=[ChangingV1]):
        h = await client.start_workflow(
            "Changing", id=wid, task_queue=task_queue, execution_timeout=TIMEOUT
        )
        await _wait_for_event(client, wid, "timer_fired_event_attributes")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            kinds = [e.WhichOneof("attributes") for e in await _history(client, wid)]
            if (
                kinds[-1] == "workflow_task_completed_event_attributes"
                and kinds.count("workflow_task_completed_event_attributes") >= 2
            ):
                break
            await asyncio.sleep(0.2)
    return h


async def test_nondeterministic_change_fails_the_task(client: Client, task_queue: str) -> None:
    h = await _run_v1(client, task_queue)
    wid = h.id
    async with Worker(client, task_queue=task_queue, workflows=[ChangingV2]):
        await h.signal("proceed")
        failed = await _wait_for_event(client, wid, "workflow_task_failed_event_attributes")
    attrs = failed.workflow_task_failed_event_attributes
    from temporalio.api.enums.v1 import WorkflowTaskFailedCause

    assert attrs.cause == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
    msg = attrs.failure.message
    # names the event (id 5, TimerStarted) and the command history expects
    assert msg.startswith("[TMPRL1100] Nondeterminism error"), msg
    assert "event 5 (EVENT_TYPE_TIMER_STARTED)" in msg and "COMMAND_TYPE_START_TIMER" in msg, msg
    await h.terminate("test over")


@pytest.mark.parametrize("where", ["worker", "defn"])
async def test_nondeterminism_listed_as_failure_type_fails_the_workflow(
    client: Client, task_queue: str, where: str
) -> None:
    """As the official SDK: with NondeterminismError (or a base of it) in
    the worker's workflow_failure_exception_types or the workflow's own
    failure_exception_types, nondeterminism fails the workflow (the
    nondeterminism failure as its failure) instead of the task."""
    from temporalio.client import WorkflowFailureError
    from temporalio.exceptions import ApplicationError

    h = await _run_v1(client, task_queue)
    w = (
        Worker(
            client,
            task_queue=task_queue,
            workflows=[ChangingV2],
            workflow_failure_exception_types=[Exception],
        )
        if where == "worker"
        else Worker(client, task_queue=task_queue, workflows=[ChangingV2FailsOnNondeterminism])
    )
    async with w:
        await h.signal("proceed")
        with pytest.raises(WorkflowFailureError) as info:
            await asyncio.wait_for(h.result(), 30)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError), repr(cause)
    assert cause.message.startswith("[TMPRL1100] Nondeterminism error"), cause.message
    assert "event 5 (EVENT_TYPE_TIMER_STARTED)" in cause.message, cause.message
    assert not cause.non_retryable
    kinds = [e.WhichOneof("attributes") for e in await _history(client, h.id)]
    assert "workflow_task_failed_event_attributes" not in kinds, kinds
    assert kinds[-1] == "workflow_execution_failed_event_attributes", kinds


# ---- deadlock ------------------------------------------------------------------------------


@workflow.defn
class BlockingWorkflow:
    @workflow.run
    async def run(self) -> str:
        time.sleep(2)  # blocks the workflow's thread: never do this
        return "done"


async def test_deadlock_fails_the_task(client: Client, task_queue: str) -> None:
    wid = _id()
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[BlockingWorkflow],
        deadlock_timeout=timedelta(milliseconds=300),
    ):
        h = await client.start_workflow(
            "BlockingWorkflow", id=wid, task_queue=task_queue, execution_timeout=TIMEOUT
        )
        failed = await _wait_for_event(client, wid, "workflow_task_failed_event_attributes")
        await h.terminate("test over")
    msg = failed.workflow_task_failed_event_attributes.failure.message
    assert "[TMPRL1101]" in msg and "BlockingWorkflow" in msg, msg


# ---- a task that keeps failing -------------------------------------------------------------

# workflow id -> whether its code is broken, and how many times it ran
_BROKEN: Dict[str, bool] = {}
_RUNS: Dict[str, int] = {}


@workflow.defn
class BrokenUntilFixed:
    @workflow.run
    async def run(self) -> str:
        wid = workflow.info().workflow_id
        _RUNS[wid] = _RUNS.get(wid, 0) + 1
        if _BROKEN.get(wid, False):
            raise RuntimeError("workflow code is broken")
        return "fixed"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def test_failing_task_reported_on_first_attempt_only(client: Client, task_queue: str) -> None:
    """As sdk-core: a workflow task that keeps failing is reported
    (RespondWorkflowTaskFailed) on its first attempt only; later attempts are
    dropped, and the server retries them when the workflow task timeout
    passes. Fixing the code lets the run finish."""
    from temporalio.api.common.v1 import WorkflowExecution
    from temporalio.api.enums.v1 import PendingWorkflowTaskState
    from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest

    wid = _id()
    _BROKEN[wid] = True
    records = _Records()
    wlog = logging.getLogger("temporalio.worker")
    wlog.addHandler(records)

    def dropped(attempt: int) -> bool:
        return any(
            m.startswith("Worker on task queue")
            and f" attempt={attempt} workflow_id={wid} (not reported to the server" in m
            for m in records.messages
        )

    try:
        async with Worker(client, task_queue=task_queue, workflows=[BrokenUntilFixed]):
            h = await client.start_workflow(
                "BrokenUntilFixed",
                id=wid,
                task_queue=task_queue,
                execution_timeout=TIMEOUT,
                task_timeout=timedelta(seconds=5),
            )
            # Attempt 1 is reported, so attempt 2 comes at once; it fails
            # too and is dropped: attempt 3 comes only after the timeout.
            deadline = time.monotonic() + 45
            while not dropped(3) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert dropped(2) and dropped(3), records.messages
            # The server still holds attempt 3 as started (nothing reported
            # it failed; its timeout is 5 s away).
            desc = await client.service.describe_workflow_execution(
                DescribeWorkflowExecutionRequest(
                    namespace=client.namespace, execution=WorkflowExecution(workflow_id=wid)
                )
            )
            pending = desc.pending_workflow_task
            assert pending.attempt == 3, desc
            assert pending.state == PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED
            kinds = [e.WhichOneof("attributes") for e in await _history(client, wid)]
            assert kinds.count("workflow_task_failed_event_attributes") == 1, kinds
            assert _RUNS[wid] >= 3
            # Fix the code: the next retry (after the timeout) completes.
            _BROKEN[wid] = False
            assert await asyncio.wait_for(h.result(), 60) == "fixed"
    finally:
        wlog.removeHandler(records)
        _BROKEN.pop(wid, None)
    failed = [
        e
        for e in await _history(client, wid)
        if e.HasField("workflow_task_failed_event_attributes")
    ]
    assert len(failed) == 1
    assert (
        "workflow code is broken" in failed[0].workflow_task_failed_event_attributes.failure.message
    )


# ---- cache pressure and shutdown ---------------------------------------------------------


@workflow.defn
class WaitSignal:
    def __init__(self) -> None:
        self.values: List[int] = []

    @workflow.run
    async def run(self) -> List[int]:
        await workflow.sleep(0.05)
        await workflow.wait_condition(lambda: len(self.values) >= 2)
        return self.values

    @workflow.signal
    def value(self, v: int) -> None:
        self.values.append(v)


async def test_eviction_under_cache_pressure(client: Client, task_queue: str) -> None:
    async with Worker(
        client, task_queue=task_queue, workflows=[WaitSignal], max_cached_workflows=2
    ):
        handles = [
            await client.start_workflow(
                "WaitSignal", id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
            )
            for _ in range(5)
        ]
        for i, h in enumerate(handles):
            await h.signal("value", i)
        for i, h in enumerate(handles):
            await h.signal("value", 10 + i)
        results = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), 60)
    assert results == [[i, 10 + i] for i in range(5)]


async def test_shutdown_with_runs_cached(client: Client, task_queue: str) -> None:
    w = Worker(client, task_queue=task_queue, workflows=[WaitSignal])
    await w.start()
    handles = [
        await client.start_workflow(
            "WaitSignal", id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
        )
        for _ in range(3)
    ]
    for h in handles:
        await h.signal("value", 1)
        await _wait_for_event(client, h.id, "timer_fired_event_attributes")
    ww = w._workflow_worker
    deadline = time.monotonic() + 30
    while ww.cached_runs < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert ww.cached_runs == 3
    await asyncio.wait_for(w.shutdown(), 30)
    assert ww.cached_runs == 0  # every cached run was evicted
    # another worker picks the runs up from their histories
    async with Worker(client, task_queue=task_queue, workflows=[WaitSignal]):
        for h in handles:
            await h.signal("value", 2)
        results = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), 60)
    assert results == [[1, 2]] * 3


_HELD: Dict[str, asyncio.Event] = {}
_HOLDING: Dict[str, asyncio.Event] = {}


@activity.defn
async def held_until_released(key: str) -> str:
    _HOLDING[key].set()
    await _HELD[key].wait()
    return "released"


@workflow.defn
class SignalWhileHeld:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self, key: str) -> str:
        workflow.start_activity(
            held_until_released, key, start_to_close_timeout=timedelta(seconds=60)
        )
        await workflow.wait_condition(lambda: self.go)
        return "signalled"

    @workflow.signal
    def release(self) -> None:
        self.go = True


async def test_sticky_run_handed_over_promptly_while_shutting_down(
    client: Client, task_queue: str
) -> None:
    """A worker that is shutting down (held in its grace period by a running
    activity) polls its sticky queue no more; as sdk-core, it tells the
    server so (ShutdownWorker with its sticky queue) when the shutdown
    begins, so a workflow task for a run it had cached goes at once to
    another worker on the task queue, not after the sticky queue's
    schedule-to-start timeout (60 s here)."""
    key = _id()
    _HELD[key] = asyncio.Event()
    _HOLDING[key] = asyncio.Event()
    a = Worker(
        client,
        task_queue=task_queue,
        workflows=[SignalWhileHeld],
        activities=[held_until_released],
        graceful_shutdown_timeout=timedelta(seconds=60),
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=60),
    )
    await a.start()
    shutting: "asyncio.Task[None] | None" = None
    try:
        h = await client.start_workflow(
            SignalWhileHeld.run, key, id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
        )
        await asyncio.wait_for(_HOLDING[key].wait(), 30)
        await _wait_for_event(client, h.id, "workflow_task_completed_event_attributes")
        shutting = asyncio.create_task(a.shutdown())
        # Worker a is in its grace period (the activity runs on) and no longer polls.
        await asyncio.sleep(1)
        assert not shutting.done()
        async with Worker(client, task_queue=task_queue, workflows=[SignalWhileHeld]):
            await h.signal(SignalWhileHeld.release)
            # Prompt: far sooner than the 60 s sticky schedule-to-start timeout.
            assert await asyncio.wait_for(h.result(), 20) == "signalled"
    finally:
        _HELD[key].set()
        if shutting is not None:
            await asyncio.wait_for(shutting, 30)
        else:
            await a.shutdown()
        _HELD.pop(key, None)
        _HOLDING.pop(key, None)
