"""The demo: workflows written with ``@workflow.defn``, run by our own Worker,
calling activities that the same Worker runs. No other SDK is involved.

Run it with ``scripts/demo`` (it installs what it needs first). It starts a
local Temporal dev server (``temporalio.testing.DevServer``), or uses the one
given with ``--target HOST:PORT``, and one ``temporalio.worker.Worker`` (its
engine the C core: it polls workflow and activity tasks and runs the workflow
state machines; the workflow code runs in Python, deterministically). Then our
client (``temporalio.client.Client``) runs three workflows and prints what
happens:

1. a workflow that calls an activity, sleeps on a durable timer and waits for
   a signal, while the client follows its progress with a query;
2. three sync activities run concurrently in the worker's thread pool;
3. an activity that fails once and resumes on its retry from the details it
   heartbeated.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
import uuid
from datetime import timedelta
from typing import List, Optional

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory
from temporalio.testing import DevServer
from temporalio.worker import Worker

TASK_QUEUE = "demo"


# ---- activities: plain Python functions ---------------------------------------------------


@activity.defn
async def compose_greeting(greeting: str, name: str) -> str:
    activity.logger.info("composing a greeting")
    return f"{greeting}, {name}!"


@activity.defn
def count_letters(text: str) -> int:
    """A sync activity: the worker runs it in its thread pool."""
    activity.heartbeat("counting")
    time.sleep(0.2)
    return sum(c.isalpha() for c in text)


@activity.defn
async def resumable_sum(numbers: List[int]) -> str:
    """Sums with a checkpoint per item; attempt 1 fails half-way, attempt 2
    resumes from the last heartbeat (``info().heartbeat_details``)."""
    info = activity.info()
    start, total = info.heartbeat_details if info.heartbeat_details else (0, 0)
    for i in range(start, len(numbers)):
        if info.attempt == 1 and i == len(numbers) // 2:
            # BENIGN: an expected failure, logged at debug level only
            raise ApplicationError(
                "simulated crash half-way", category=ApplicationErrorCategory.BENIGN
            )
        total += numbers[i]
        activity.heartbeat(i + 1, total)
    return f"sum {total} on attempt {info.attempt}, resumed at item {start}"


# ---- workflows: deterministic code, its progress kept in the workflow's history ------------


@workflow.defn
class GreetingWorkflow:
    """An activity, a durable timer, then a wait for the ``approve`` signal;
    the ``status`` query tells where it is."""

    def __init__(self) -> None:
        self._status = "starting"
        self._approver: Optional[str] = None

    @workflow.run
    async def run(self, name: str) -> str:
        greeting = await workflow.execute_activity(
            compose_greeting, args=["Hello", name], start_to_close_timeout=timedelta(seconds=10)
        )
        self._status = "sleeping on a 1 s durable timer"
        await workflow.sleep(timedelta(seconds=1))
        self._status = "waiting for the approve signal"
        await workflow.wait_condition(lambda: self._approver is not None)
        return f"{greeting} (approved by {self._approver})"

    @workflow.signal
    def approve(self, who: str) -> None:
        self._approver = who

    @workflow.query
    def status(self) -> str:
        return self._status


@workflow.defn
class LetterCountWorkflow:
    """Three sync activities at once (``asyncio.gather`` in workflow code)."""

    @workflow.run
    async def run(self, text: str) -> List[int]:
        return list(
            await asyncio.gather(
                *(
                    workflow.execute_activity(
                        count_letters, text, start_to_close_timeout=timedelta(seconds=10)
                    )
                    for _ in range(3)
                )
            )
        )


@workflow.defn
class ResumableSumWorkflow:
    """An activity retried (after 200 ms) once it failed, with a heartbeat timeout."""

    @workflow.run
    async def run(self, numbers: List[int]) -> str:
        return await workflow.execute_activity(
            resumable_sum,
            numbers,
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=200), maximum_attempts=3
            ),
        )


# ---- the story ---------------------------------------------------------------------------


def new_id() -> str:
    return f"demo-{uuid.uuid4()}"


async def main(target: str) -> None:
    client = await Client.connect(target, namespace="default")
    print(f"connected to the dev server at {target}")
    async with Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[GreetingWorkflow, LetterCountWorkflow, ResumableSumWorkflow],
        activities=[compose_greeting, count_letters, resumable_sum],
    ):
        print(f"our worker runs workflows and activities on task queue {TASK_QUEUE!r}")

        handle = await client.start_workflow(
            GreetingWorkflow.run, "Temporal", id=new_id(), task_queue=TASK_QUEUE
        )
        status = ""
        deadline = time.monotonic() + 60
        while not status.startswith("waiting"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the workflow did not reach its signal wait: {status!r}")
            new = await handle.query(GreetingWorkflow.status)
            if new != status:
                print(f"1. query status:             {new!r}")
                status = new
            await asyncio.sleep(0.1)
        await handle.signal(GreetingWorkflow.approve, "the demo")
        print(f"1. activity, timer, signal:  {await handle.result()!r}")

        result = await client.execute_workflow(
            LetterCountWorkflow.run, "durable execution", id=new_id(), task_queue=TASK_QUEUE
        )
        print(f"2. three sync activities:    {result!r}")

        result = await client.execute_workflow(
            ResumableSumWorkflow.run, list(range(1, 11)), id=new_id(), task_queue=TASK_QUEUE
        )
        print(f"3. failed once, resumed:     {result!r}")
    await client.close()
    print("worker shut down; done")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Workflows and activities on our own worker.")
    parser.add_argument(
        "--target", help="HOST:PORT of a running server (default: start a local dev server)"
    )
    cli = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if cli.target:
        asyncio.run(main(cli.target))
    else:
        with DevServer() as server:
            asyncio.run(main(server.target))
