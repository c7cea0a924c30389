"""Workflow updates from the client (execute/start/get handle, update-with-start)
against a dev server, with the update handler run by the peer host's KitchenSink
workflow (update ``update``: see tests/peer/README.md)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any, List

import pytest

from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowUpdateInput,
    StartWorkflowUpdateWithStartInput,
    WithStartWorkflowOperation,
    WorkflowAlreadyStartedError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import Priority, WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import NotFoundError
from tests.peer.peerhost import WORKFLOW_TYPE, actions

# Runs until signal "finish", then returns the signal's args.
UNTIL_FINISH = actions({"await_signal": {"name": "finish"}}, {"return_last": {}})


async def start_running(client: Client, task_queue: str) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        WORKFLOW_TYPE, UNTIL_FINISH, id=f"upd-{uuid.uuid4()}", task_queue=task_queue
    )


async def test_execute_update_returns_the_handlers_value(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start_running(client, peer_task_queue)
    assert await handle.execute_update("update", {"value": {"n": 1}}) == {"n": 1}
    # The official args= form and a typed result.
    assert await handle.execute_update("update", args=[{"value": 7}], result_type=int) == 7
    assert await handle.query("updates") == [{"value": {"n": 1}}, {"value": 7}]
    await handle.signal("finish", "done")
    assert await handle.result() == ["done"]


async def test_update_failures_are_update_failed_errors(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start_running(client, peer_task_queue)
    # The handler raised.
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update("update", {"error": "boom", "type": "Bad"})
    assert str(info.value) == "Workflow update failed"
    assert isinstance(info.value.cause, ApplicationError)
    assert info.value.cause.message == "boom"
    assert info.value.cause.type == "Bad"
    # The validator rejected it: the handler never ran.
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update("update", {"reject": "not this one"})
    assert isinstance(info.value.cause, ApplicationError)
    assert info.value.cause.message == "not this one"
    assert info.value.cause.type == "ValueError"
    assert await handle.query("updates") == [{"error": "boom", "type": "Bad"}]
    # A rejected start_update still returns a handle; result() raises.
    rejected = await handle.start_update(
        "update", {"reject": "no"}, wait_for_stage=WorkflowUpdateStage.ACCEPTED
    )
    with pytest.raises(WorkflowUpdateFailedError):
        await rejected.result()
    await handle.terminate()


async def test_start_update_accepted_then_result_and_get_update_handle(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start_running(client, peer_task_queue)
    # The handler waits for signal "go": ACCEPTED returns before it completes.
    upd = await handle.start_update(
        "update",
        {"await_signal": "go", "value": "after go"},
        id="my-update",
        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
    )
    assert isinstance(upd, WorkflowUpdateHandle)
    assert upd.id == "my-update"
    assert upd.workflow_id == handle.id
    assert upd.workflow_run_id == handle.result_run_id
    # Not completed yet: a bounded poll times out.
    with pytest.raises(WorkflowUpdateRPCTimeoutOrCancelledError) as timeout_info:
        await upd.result(rpc_timeout=timedelta(seconds=1))
    assert str(timeout_info.value) == "Timeout or cancellation waiting for update"
    # Cancelling the wait: the same error (the update goes on).
    cancelled = asyncio.ensure_future(upd.result())
    await asyncio.sleep(0.3)
    cancelled.cancel()
    with pytest.raises(WorkflowUpdateRPCTimeoutOrCancelledError):
        await cancelled
    other = handle.get_update_handle("my-update")
    assert other.id == "my-update" and other.workflow_id == handle.id
    waiter = asyncio.ensure_future(other.result())
    await handle.signal("go")
    assert await asyncio.wait_for(upd.result(), 30) == "after go"
    assert await asyncio.wait_for(waiter, 30) == "after go"
    # A handle to an update that does not exist.
    with pytest.raises(NotFoundError):
        await handle.get_update_handle("no-such-update").result()
    # The same update id again is the same update (deduplicated, not run twice).
    again = await handle.start_update(
        "update", {"value": "ignored"}, id="my-update", wait_for_stage=WorkflowUpdateStage.COMPLETED
    )
    assert await again.result() == "after go"
    assert len(await handle.query("updates")) == 1
    await handle.signal("finish")
    await handle.result()


async def test_update_argument_errors_and_missing_workflow(client: Client) -> None:
    handle = client.get_workflow_handle(f"missing-{uuid.uuid4()}")
    with pytest.raises(ValueError, match="ADMITTED wait stage not supported"):
        await handle.start_update("update", wait_for_stage=WorkflowUpdateStage.ADMITTED)
    with pytest.raises(ValueError, match="Cannot have arg and args"):
        await handle.execute_update("update", 1, args=[2])
    with pytest.raises(TypeError, match="update .* must be a str"):
        await handle.execute_update(42)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        await handle.execute_update("update", {"value": 1})


async def test_update_with_start_starts_then_uses_existing(
    client: Client, peer_task_queue: str
) -> None:
    workflow_id = f"uws-{uuid.uuid4()}"

    def operation() -> WithStartWorkflowOperation[Any, Any]:
        return WithStartWorkflowOperation(
            WORKFLOW_TYPE,
            UNTIL_FINISH,
            id=workflow_id,
            task_queue=peer_task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )

    first = operation()
    assert (
        await client.execute_update_with_start_workflow(
            "update", {"value": "one"}, start_workflow_operation=first
        )
        == "one"
    )
    started = await first.workflow_handle()
    assert started.id == workflow_id and started.result_run_id
    # Used once only.
    with pytest.raises(RuntimeError, match="WithStartWorkflowOperation cannot be reused"):
        await client.execute_update_with_start_workflow("update", start_workflow_operation=first)
    # The second one finds the running workflow: same run.
    second = operation()
    upd = await client.start_update_with_start_workflow(
        "update",
        {"value": "two"},
        start_workflow_operation=second,
        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
    )
    assert await upd.result() == "two"
    assert (await second.workflow_handle()).result_run_id == started.result_run_id
    assert await started.query("updates") == [{"value": "one"}, {"value": "two"}]
    # FAIL with a running workflow: the client's WorkflowAlreadyStartedError,
    # also from the operation's workflow_handle().
    failing = WithStartWorkflowOperation(
        WORKFLOW_TYPE,
        UNTIL_FINISH,
        id=workflow_id,
        task_queue=peer_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    with pytest.raises(WorkflowAlreadyStartedError) as info:
        await client.execute_update_with_start_workflow(
            "update", {"value": "three"}, start_workflow_operation=failing
        )
    assert info.value.run_id == started.result_run_id
    with pytest.raises(WorkflowAlreadyStartedError):
        await failing.workflow_handle()
    # A failing update through update-with-start.
    with pytest.raises(WorkflowUpdateFailedError):
        await client.execute_update_with_start_workflow(
            "update", {"reject": "nope"}, start_workflow_operation=operation()
        )
    await started.signal("finish", 1)
    assert await started.result() == [1]


async def test_update_with_start_sends_the_start_options_of_start_workflow(
    client: Client, peer_task_queue: str
) -> None:
    # The start part of update-with-start is built like start_workflow's
    # request: priority, user metadata and a delay reach the server.
    operation = WithStartWorkflowOperation(
        WORKFLOW_TYPE,
        UNTIL_FINISH,
        id=f"uws-opts-{uuid.uuid4()}",
        task_queue=peer_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        priority=Priority(priority_key=2),
        static_summary="uws summary",
        static_details="uws details",
    )
    assert (
        await client.execute_update_with_start_workflow(
            "update", {"value": "v"}, start_workflow_operation=operation
        )
        == "v"
    )
    handle = await operation.workflow_handle()
    desc = await handle.describe()
    assert desc.raw_info.priority.priority_key == 2
    assert await desc.static_summary() == "uws summary"
    assert await desc.static_details() == "uws details"
    await handle.signal("finish")
    await handle.result()


def test_with_start_operation_requires_a_conflict_policy() -> None:
    with pytest.raises(ValueError, match="WorkflowIDConflictPolicy is required"):
        WithStartWorkflowOperation(
            WORKFLOW_TYPE,
            id="x",
            task_queue="tq",
            id_conflict_policy=WorkflowIDConflictPolicy.UNSPECIFIED,
        )


async def test_update_interceptors_see_each_operation(client: Client, peer_task_queue: str) -> None:
    seen: List[str] = []

    class Recorder(OutboundInterceptor):
        async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> Any:
            seen.append(f"update {input.update} {input.wait_for_stage.name}")
            input.args = [{"value": "changed by interceptor"}]
            return await super().start_workflow_update(input)

        async def start_update_with_start_workflow(
            self, input: StartWorkflowUpdateWithStartInput
        ) -> Any:
            seen.append(
                f"uws {input.start_workflow_input.workflow} {input.update_workflow_input.update}"
            )
            return await super().start_update_with_start_workflow(input)

    class Factory(Interceptor):
        def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
            return Recorder(next)

    intercepted = Client(**{**client.config(), "interceptors": [Factory()]})
    handle = await start_running(intercepted, peer_task_queue)
    assert await handle.execute_update("update", {"value": 1}) == "changed by interceptor"
    op = WithStartWorkflowOperation(
        WORKFLOW_TYPE,
        UNTIL_FINISH,
        id=handle.id,
        task_queue=peer_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    await intercepted.execute_update_with_start_workflow(
        "update", {"value": 2}, start_workflow_operation=op
    )
    assert seen == ["update update COMPLETED", f"uws {WORKFLOW_TYPE} update"]
    await handle.terminate()
