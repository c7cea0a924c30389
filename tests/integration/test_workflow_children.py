"""Child workflows on our own worker, end to end against the dev server: a
parent runs a child and gets its result; a failing child raises
ChildWorkflowError with the child's failure as its cause; a taken id raises
WorkflowAlreadyStartedError; the parent signals its child; cancelling the
parent cancels the child as each ChildWorkflowCancellationType says; the
parent close policy decides what happens to a child left running. Handles to
other workflows signal and cancel them."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any, Dict, List

import pytest

from temporalio import workflow
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import (
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
)
from temporalio.worker import Worker
from tests.integration.workflow_history import history
from tests.integration.workflow_history import new_workflow_id as _id

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

DEADLINE = 30.0


@workflow.defn
class Kid:
    """``run(how)``: "echo:<x>" returns "kid:<x>"; "fail" fails; "signal"
    waits for ``finish`` and returns what it got; "forever" waits until
    cancelled, then (for "forever-cleanup") returns "cleaned up"."""

    def __init__(self) -> None:
        self.got: List[str] = []

    @workflow.run
    async def run(self, how: str) -> str:
        if how.startswith("echo:"):
            return f"kid:{how[5:]}"
        if how == "fail":
            raise ApplicationError("kid failed", {"n": 1}, type="KidFailure", non_retryable=True)
        if how == "signal":
            await workflow.wait_condition(lambda: bool(self.got))
            return f"kid got {self.got}"
        try:
            await workflow.wait_condition(lambda: False)
        except asyncio.CancelledError:
            if how == "forever-cleanup":
                await workflow.sleep(0.2)
                return "cleaned up"
            raise
        return "unreachable"

    @workflow.signal
    def finish(self, value: str) -> None:
        self.got.append(value)


@workflow.defn
class Parent:
    """``run(params)``: what ``params["how"]`` says, with children of ``Kid``."""

    @workflow.run
    async def run(self, params: Dict[str, Any]) -> Any:
        how = params["how"]
        kid_id = params["kid_id"]
        if how == "result":
            return await workflow.execute_child_workflow(Kid.run, "echo:hi", id=kid_id)
        if how == "fail-caught":
            try:
                await workflow.execute_child_workflow(Kid.run, "fail", id=kid_id)
            except ChildWorkflowError as e:
                c = e.cause
                assert isinstance(c, ApplicationError)
                return [
                    e.message,
                    e.workflow_id,
                    e.workflow_type,
                    bool(e.run_id),
                    e.retry_state.name if e.retry_state else None,
                    type(c).__name__,
                    c.message,
                    c.type,
                    list(c.details),
                ]
            return "not failed"
        if how == "fail":
            return await workflow.execute_child_workflow(Kid.run, "fail", id=kid_id)
        if how == "taken":
            try:
                await workflow.start_child_workflow(Kid.run, "signal", id=kid_id)
            except WorkflowAlreadyStartedError as e:
                return ["already started", e.workflow_id, e.workflow_type]
            return "started"
        if how == "signal":
            handle = await workflow.start_child_workflow(Kid.run, "signal", id=kid_id)
            assert handle.id == kid_id and handle.first_execution_run_id
            await handle.signal(Kid.finish, "from parent")
            return [await handle, handle.first_execution_run_id]
        if how == "cancel":
            handle = await workflow.start_child_workflow(
                Kid.run,
                params["kid_how"],
                id=kid_id,
                cancellation_type=workflow.ChildWorkflowCancellationType[params["type"]],
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
            self.started = True
            try:
                return await handle
            except ChildWorkflowError as e:
                self.child_error = type(e.cause).__name__
                if params["type"] == "TRY_CANCEL":
                    # resolved at once; stay open until the child has taken the
                    # request (a closed parent's pending request is dropped)
                    await workflow.wait_condition(lambda: self.released)
                raise
        if how in ("timeout", "terminated"):
            try:
                handle = await workflow.start_child_workflow(
                    Kid.run,
                    "forever",
                    id=kid_id,
                    execution_timeout=timedelta(seconds=1) if how == "timeout" else None,
                )
                self.started = True
                await handle
            except ChildWorkflowError as e:
                assert e.retry_state is not None
                return [e.message, type(e.cause).__name__, str(e.cause), e.retry_state.name]
            return "not failed"
        if how == "close":
            await workflow.start_child_workflow(
                Kid.run,
                "signal",
                id=kid_id,
                parent_close_policy=workflow.ParentClosePolicy[params["policy"]],
            )
            return "parent done"
        raise ApplicationError(f"unknown how {how}")

    def __init__(self) -> None:
        self.started = False
        self.released = False
        self.child_error = ""

    @workflow.query
    def child_started(self) -> bool:
        return self.started

    @workflow.query
    def child_error_type(self) -> str:
        return self.child_error

    @workflow.signal
    def release(self) -> None:
        self.released = True


def _types(events: Any) -> List[str]:
    from temporalio.api.enums.v1 import EventType

    return [EventType.Name(e.event_type)[len("EVENT_TYPE_") :] for e in events]


async def _run(client: Client, task_queue: str, params: Dict[str, Any]) -> Any:
    return await client.execute_workflow(
        Parent.run,
        params,
        id=_id(),
        task_queue=task_queue,
        execution_timeout=timedelta(seconds=60),
    )


def worker(client: Client, task_queue: str) -> Worker:
    return Worker(client, task_queue=task_queue, workflows=[Parent, Kid])


async def test_parent_gets_the_childs_result(client: Client, task_queue: str) -> None:
    kid = _id()
    async with worker(client, task_queue):
        assert await _run(client, task_queue, {"how": "result", "kid_id": kid}) == "kid:hi"
    kid_events = await history(client, kid)
    started = kid_events[0].workflow_execution_started_event_attributes
    assert started.workflow_type.name == "Kid" and started.parent_workflow_execution.workflow_id


async def test_child_failure_is_a_child_workflow_error_with_the_cause(
    client: Client, task_queue: str
) -> None:
    kid = _id()
    async with worker(client, task_queue):
        got = await _run(client, task_queue, {"how": "fail-caught", "kid_id": kid})
        assert got == [
            "Child Workflow execution failed",
            kid,
            "Kid",
            True,
            "RETRY_POLICY_NOT_SET",  # the server's word: the child had no retry policy
            "ApplicationError",
            "kid failed",
            "KidFailure",
            [{"n": 1}],
        ]
        # Not caught: the parent fails with the same chain, as the official SDK builds it:
        # WorkflowFailureError <- ChildWorkflowError <- ApplicationError.
        with pytest.raises(WorkflowFailureError) as info:
            await _run(client, task_queue, {"how": "fail", "kid_id": _id()})
    err = info.value.cause
    assert isinstance(err, ChildWorkflowError)
    assert err.message == "Child Workflow execution failed"
    assert isinstance(err.cause, ApplicationError) and err.cause.type == "KidFailure"


async def test_child_timed_out_and_terminated(client: Client, task_queue: str) -> None:
    async with worker(client, task_queue):
        got = await _run(client, task_queue, {"how": "timeout", "kid_id": _id()})
        assert got == [
            "Child Workflow execution timed out",
            "TimeoutError",
            "Timed out",
            "TIMEOUT",
        ]
        kid = _id()
        handle = await client.start_workflow(
            Parent.run,
            {"how": "terminated", "kid_id": kid},
            id=_id(),
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
        deadline = time.monotonic() + DEADLINE
        while not await handle.query(Parent.child_started):
            assert time.monotonic() < deadline, "the child never started"
            await asyncio.sleep(0.1)
        await client.get_workflow_handle(kid).terminate("enough")
        assert await handle.result() == [
            "Child Workflow execution terminated",
            "TerminatedError",
            "Terminated",
            "NON_RETRYABLE_FAILURE",
        ]


async def test_child_id_taken_raises_workflow_already_started(
    client: Client, task_queue: str
) -> None:
    kid = _id()
    async with worker(client, task_queue):
        running = await client.start_workflow(
            Kid.run,
            "signal",
            id=kid,
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
        got = await _run(client, task_queue, {"how": "taken", "kid_id": kid})
        assert got == ["already started", kid, "Kid"]
        await running.signal(Kid.finish, "done")
        assert await running.result() == "kid got ['done']"


async def test_parent_signals_its_child(client: Client, task_queue: str) -> None:
    kid = _id()
    async with worker(client, task_queue):
        got = await _run(client, task_queue, {"how": "signal", "kid_id": kid})
    assert got[0] == "kid got ['from parent']"
    kid_events = await history(client, kid)
    assert (
        got[1]
        == kid_events[0].workflow_execution_started_event_attributes.original_execution_run_id
    )
    signalled = [
        e for e in kid_events if e.HasField("workflow_execution_signaled_event_attributes")
    ]
    assert [e.workflow_execution_signaled_event_attributes.signal_name for e in signalled] == [
        "finish"
    ]


async def _wait_status(client: Client, workflow_id: str, *status: WorkflowExecutionStatus) -> Any:
    deadline = time.monotonic() + DEADLINE
    while True:
        d = await client.get_workflow_handle(workflow_id).describe()
        if d.status in status:
            return d.status
        assert time.monotonic() < deadline, f"{workflow_id} is {d.status}, wanted {status}"
        await asyncio.sleep(0.1)


@pytest.mark.parametrize(
    "ctype, kid_how, parent_events, kid_status",
    [
        # nothing is sent; the parent is cancelled at once; the child runs on
        ("ABANDON", "forever", [], WorkflowExecutionStatus.RUNNING),
        # the request is sent and the parent does not wait for the child
        (
            "TRY_CANCEL",
            "forever",
            [
                "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
                "EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED",
                "CHILD_WORKFLOW_EXECUTION_CANCELED",
            ],
            WorkflowExecutionStatus.CANCELED,
        ),
        # the request is sent and the parent waits until the child has ended
        (
            "WAIT_CANCELLATION_COMPLETED",
            "forever-cleanup",
            [
                "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
                "EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED",
                "CHILD_WORKFLOW_EXECUTION_COMPLETED",
            ],
            WorkflowExecutionStatus.COMPLETED,
        ),
        # as sdk-core: the same as WAIT_CANCELLATION_COMPLETED
        (
            "WAIT_CANCELLATION_REQUESTED",
            "forever",
            [
                "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
                "EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED",
                "CHILD_WORKFLOW_EXECUTION_CANCELED",
            ],
            WorkflowExecutionStatus.CANCELED,
        ),
    ],
)
async def test_cancel_parent_cancels_child_by_cancellation_type(
    client: Client,
    task_queue: str,
    ctype: str,
    kid_how: str,
    parent_events: List[str],
    kid_status: WorkflowExecutionStatus,
) -> None:
    kid, parent = _id(), _id()
    async with worker(client, task_queue):
        handle = await client.start_workflow(
            Parent.run,
            {"how": "cancel", "kid_id": kid, "type": ctype, "kid_how": kid_how},
            id=parent,
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
        deadline = time.monotonic() + DEADLINE
        while not await handle.query(Parent.child_started):
            assert time.monotonic() < deadline, "the child never started"
            await asyncio.sleep(0.1)
        await handle.cancel()
        await _wait_status(client, kid, kid_status)
        if ctype == "TRY_CANCEL":
            assert await handle.query(Parent.child_error_type) == "CancelledError"
            await handle.signal(Parent.release)
        if kid_how == "forever-cleanup":
            # the child completed (after cleaning up): so does the parent, with its result
            assert await handle.result() == "cleaned up"
        else:
            with pytest.raises(WorkflowFailureError) as info:
                await handle.result()
            assert isinstance(info.value.cause, CancelledError)
        events = _types(await history(client, parent))
        # between the cancel request and the parent's end: what the type makes happen
        tail = events[events.index("WORKFLOW_EXECUTION_CANCEL_REQUESTED") :]
        seen = [e for e in tail if not e.startswith("WORKFLOW_")]
        # (sorted: the server records the request's delivery and the child's end
        # as they come)
        assert sorted(seen) == sorted(parent_events), tail
        assert events[-1] == (
            "WORKFLOW_EXECUTION_COMPLETED"
            if kid_how == "forever-cleanup"
            else "WORKFLOW_EXECUTION_CANCELED"
        )
        kid_events = _types(await history(client, kid))
        assert ("WORKFLOW_EXECUTION_CANCEL_REQUESTED" in kid_events) == (ctype != "ABANDON")
        if kid_status == WorkflowExecutionStatus.RUNNING:
            await client.get_workflow_handle(kid).terminate("test done")


@pytest.mark.parametrize(
    "policy, kid_status",
    [
        ("TERMINATE", WorkflowExecutionStatus.TERMINATED),
        ("ABANDON", WorkflowExecutionStatus.RUNNING),
        ("REQUEST_CANCEL", WorkflowExecutionStatus.CANCELED),
    ],
)
async def test_parent_close_policy(
    client: Client, task_queue: str, policy: str, kid_status: WorkflowExecutionStatus
) -> None:
    kid, parent = _id(), _id()
    async with worker(client, task_queue):
        got = await client.execute_workflow(
            Parent.run,
            {"how": "close", "kid_id": kid, "policy": policy},
            id=parent,
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
        assert got == "parent done"
        initiated = [
            e.start_child_workflow_execution_initiated_event_attributes
            for e in await history(client, parent)
            if e.HasField("start_child_workflow_execution_initiated_event_attributes")
        ]
        assert [i.parent_close_policy for i in initiated] == [
            workflow.ParentClosePolicy[policy].value
        ]
        await _wait_status(client, kid, kid_status)
        if kid_status == WorkflowExecutionStatus.RUNNING:
            # abandoned: it still takes signals and completes on its own
            kid_handle = client.get_workflow_handle(kid)
            await kid_handle.signal(Kid.finish, "after parent")
            assert await kid_handle.result() == "kid got ['after parent']"


@workflow.defn
class Reacher:
    """Signals one workflow, cancels another, and signals and cancels one
    that does not exist (the failures it gets back)."""

    @workflow.run
    async def run(self, ids: List[str]) -> List[str]:
        out: List[str] = []
        await workflow.get_external_workflow_handle_for(Kid.run, ids[0]).signal(Kid.finish, "hi")
        await workflow.get_external_workflow_handle(ids[1]).cancel(reason="not needed")
        nobody = workflow.get_external_workflow_handle(ids[2])
        for attempt in (nobody.signal("finish", "x"), nobody.cancel()):
            try:
                await attempt
                out.append("delivered")
            except ApplicationError as e:
                out.append(f"{e.type}: {e.message}")
        return out


async def test_external_workflow_handles_signal_and_cancel(client: Client, task_queue: str) -> None:
    first, second, nobody = _id(), _id(), _id()
    async with Worker(client, task_queue=task_queue, workflows=[Reacher, Kid]):
        signalled = await client.start_workflow(
            Kid.run,
            "signal",
            id=first,
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
        cancelled = await client.start_workflow(
            Kid.run,
            "forever",
            id=second,
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
        got = await client.execute_workflow(
            Reacher.run,
            [first, second, nobody],
            id=_id(),
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
        assert got == [
            "ExternalWorkflowExecutionNotFound: Unable to signal external workflow because it "
            "was not found",
            "ExternalWorkflowExecutionNotFound: Unable to cancel external workflow because not found",
        ]
        assert await signalled.result() == "kid got ['hi']"
        with pytest.raises(WorkflowFailureError) as info:
            await cancelled.result()
        assert isinstance(info.value.cause, CancelledError)
    requested = [
        e.workflow_execution_cancel_requested_event_attributes
        for e in await history(client, second)
        if e.HasField("workflow_execution_cancel_requested_event_attributes")
    ]
    assert len(requested) == 1 and "not needed" in requested[0].cause
