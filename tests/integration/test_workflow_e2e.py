"""Workflows on our own worker, end to end against the dev server: the C
core polls workflow tasks and runs the state machines, the Python
sub-worker runs the workflow code (no other SDK involved)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import List

import pytest

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


@activity.defn
async def say_hello(name: str) -> str:
    return f"Hello, {name}!"


@workflow.defn
class HelloWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            say_hello, name, start_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn
class TimerWorkflow:
    @workflow.run
    async def run(self, n: int) -> List[str]:
        out = []
        for i in range(n):
            await workflow.sleep(0.1)
            out.append(f"tick {i}")
        return out


def _id() -> str:
    return f"wf-{uuid.uuid4()}"


async def test_hello_workflow_calls_activity(client: Client, task_queue: str) -> None:
    async with Worker(
        client, task_queue=task_queue, workflows=[HelloWorkflow], activities=[say_hello]
    ):
        result = await client.execute_workflow(
            "HelloWorkflow",
            "Temporal",
            id=_id(),
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
    assert result == "Hello, Temporal!"


@pytest.mark.parametrize("cache", [1000, 0])
async def test_timers(client: Client, task_queue: str, cache: int) -> None:
    async with Worker(
        client, task_queue=task_queue, workflows=[TimerWorkflow], max_cached_workflows=cache
    ):
        result = await client.execute_workflow(
            "TimerWorkflow",
            3,
            id=_id(),
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
    assert result == ["tick 0", "tick 1", "tick 2"]
