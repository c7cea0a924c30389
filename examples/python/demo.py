"""The phase-1 demo: our Client starts workflows whose activities run in our Worker.

Run it with ``scripts/demo`` (it installs what it needs first). It starts

* a local Temporal dev server (``temporalio.testing.DevServer``);
* the peer workflow host: until phase 2 gives this SDK a workflow worker of its
  own, workflow code runs in the official Temporal Python SDK, in its own
  virtualenv (``scripts/peer-env``), as the test suite's ``KitchenSink``
  workflow, which runs the list of actions it is given (tests/peer/README.md);
* our activity worker (``temporalio.worker.Worker``, its engine the C core),
  on its own task queue.

Then our client (``temporalio.client.Client``) starts three workflows and
prints their results: a plain activity, sync activities run concurrently in
the worker's thread pool, and an activity that fails once and resumes on its
retry from the details it heartbeated.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import uuid
from pathlib import Path
from typing import Any, List

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # for tests.peer.peerhost (test tooling, stdlib only)

from temporalio import activity  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory  # noqa: E402
from temporalio.testing import DevServer  # noqa: E402
from temporalio.worker import Worker  # noqa: E402
from tests.peer.peerhost import WORKFLOW_TYPE, PeerHost, actions  # noqa: E402

ACTIVITY_TASK_QUEUE = "demo-activities"
WORKFLOW_TASK_QUEUE = "demo-workflows"


# ---- activities: plain Python, registered with our Worker ------------------------------


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


# ---- the story ---------------------------------------------------------------------------


def activity_spec(name: str, *args: Any, **more: Any) -> dict:
    return {"name": name, "args": list(args), "task_queue": ACTIVITY_TASK_QUEUE, **more}


async def run_workflow(client: Client, *acts: dict) -> Any:
    return await client.execute_workflow(
        WORKFLOW_TYPE, actions(*acts), id=f"demo-{uuid.uuid4()}", task_queue=WORKFLOW_TASK_QUEUE
    )


async def main(target: str) -> None:
    client = await Client.connect(target, namespace="default")
    print(f"connected to the dev server at {target}")
    async with Worker(
        client,
        task_queue=ACTIVITY_TASK_QUEUE,
        activities=[compose_greeting, count_letters, resumable_sum],
    ):
        print(f"our worker polls task queue {ACTIVITY_TASK_QUEUE!r}")

        result = await run_workflow(
            client, {"execute_activity": activity_spec("compose_greeting", "Hello", "Temporal")}
        )
        print(f"1. one activity:             {result!r}")

        result = await run_workflow(
            client,
            {
                "execute_activity": activity_spec(
                    "count_letters", "durable execution", count=3, concurrent=True
                )
            },
        )
        print(f"2. three sync activities:    {result!r}")

        result = await run_workflow(
            client,
            {
                "execute_activity": activity_spec(
                    "resumable_sum",
                    list(range(1, 11)),
                    retry_max_attempts=3,
                    retry_initial_interval_ms=200,
                    heartbeat_timeout_ms=10000,
                )
            },
        )
        print(f"3. failed once, resumed:     {result!r}")
    await client.close()
    print("worker shut down; done")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with DevServer() as server:
        print("starting the peer workflow host (official SDK, its own virtualenv) ...")
        with PeerHost(server.target, "default", WORKFLOW_TASK_QUEUE):
            asyncio.run(main(server.target))
