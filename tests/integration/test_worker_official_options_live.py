"""Official ``Worker`` options that change what the worker does, on the dev
server: ``on_fatal_error`` and ``no_remote_activities``."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any, List

import pytest

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError
from temporalio.service import NamespaceNotFoundError
from temporalio.worker import Worker

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]


@activity.defn
async def never_polled() -> str:
    return "ran"


@workflow.defn
class CallsAnActivity:
    @workflow.run
    async def run(self) -> str:
        try:
            return await workflow.execute_activity(  # type: ignore[no-any-return]
                never_polled,
                schedule_to_start_timeout=timedelta(seconds=2),
                start_to_close_timeout=timedelta(seconds=5),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            return f"activity failed: {type(err.cause).__name__}"


@pytest.mark.parametrize("use", ["run", "async with"])
async def test_on_fatal_error_gets_the_failure(server_target: str, use: str) -> None:
    # polling cannot go on once the client is closed: the worker fails
    client = await Client.connect(server_target)
    seen: List[BaseException] = []

    async def on_fatal_error(err: BaseException) -> None:
        await asyncio.sleep(0)  # awaited before run()/async with raises
        seen.append(err)

    worker = Worker(
        client,
        task_queue=f"tq-{uuid.uuid4()}",
        activities=[never_polled],
        on_fatal_error=on_fatal_error,
    )
    with pytest.raises(RuntimeError) as e:
        if use == "run":
            task = asyncio.create_task(worker.run())
            for _ in range(600):  # until it runs (bounded: 30 s)
                if worker.is_running:
                    break
                await asyncio.sleep(0.05)
            await client.close()
            await asyncio.wait_for(task, 30)
        else:
            async with worker:
                await client.close()
                for _ in range(600):  # until polling fails for good (bounded: 30 s)
                    if not worker.is_running:
                        break
                    await asyncio.sleep(0.05)
    assert seen == [e.value]


async def test_validation_failure_is_not_a_fatal_error(server_target: str) -> None:
    """A namespace that does not exist fails the worker's validation before
    it starts (RuntimeError): on_fatal_error is not called."""
    client = await Client.connect(server_target, namespace=f"no-such-namespace-{uuid.uuid4()}")
    seen: List[BaseException] = []

    async def on_fatal_error(err: BaseException) -> None:
        seen.append(err)

    worker = Worker(
        client, task_queue="tq", activities=[never_polled], on_fatal_error=on_fatal_error
    )
    with pytest.raises(RuntimeError, match="^Worker validation failed: ") as e:
        await asyncio.wait_for(worker.run(), 30)
    assert isinstance(e.value.__cause__, NamespaceNotFoundError)
    assert seen == []
    await client.close()


async def _calls_an_activity(client: Client, task_queue: str, **worker_options: Any) -> str:
    """The result of CallsAnActivity on a worker with ``worker_options``
    that has the activity ``never_polled``."""
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[CallsAnActivity],
        activities=[never_polled],
        **worker_options,
    ):
        return await client.execute_workflow(
            CallsAnActivity.run,
            id=f"nra-{uuid.uuid4()}",
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=30),
        )


async def test_no_remote_activities_polls_no_activity_task(client: Client, task_queue: str) -> None:
    result = await _calls_an_activity(client, task_queue, no_remote_activities=True)
    assert result == "activity failed: TimeoutError"
    # and without the option the same worker runs it
    assert await _calls_an_activity(client, task_queue) == "ran"
