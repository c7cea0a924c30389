"""Peer worker hosting ``cross_sdk_workflows.CrossSdkWorkflow`` on the OFFICIAL SDK.

Runs ONLY inside the peer virtualenv (``scripts/peer-env``); started through
``tests.peer.peerhost.PeerHost(..., script=CROSS_SDK_HOST)``. Same command line
and protocol as ``kitchen_sink.py``: prints ``PEER READY`` once polling, shuts
the worker down on SIGTERM/SIGINT. Workflows only: the activities run on our
own worker, on another task queue.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence
from typing import NoReturn

from cross_sdk_workflows import (
    CrossSdkChildParent,
    CrossSdkKid,
    CrossSdkMoreWorkflow,
    CrossSdkWorkflow,
)
from kitchen_sink import hard_exit

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


async def serve(target: str, namespace: str, task_queue: str) -> None:
    """Run the worker until SIGTERM/SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    client = await Client.connect(target, namespace=namespace)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[CrossSdkWorkflow, CrossSdkMoreWorkflow, CrossSdkChildParent, CrossSdkKid],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    run_task = asyncio.create_task(worker.run())
    while not worker.is_running:
        if run_task.done():
            await run_task
            raise RuntimeError("worker stopped before it started polling")
        await asyncio.sleep(0.05)
    print("PEER READY", flush=True)
    stop_task = asyncio.create_task(stop.wait())
    await asyncio.wait({run_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    stop_task.cancel()
    await worker.shutdown()
    await run_task


def main(argv: Sequence[str] | None = None) -> NoReturn:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.target, args.namespace, args.task_queue))
    hard_exit(0)


if __name__ == "__main__":
    main()
