"""Peer worker hosting ``cross_sdk_workflows.CrossSdkWorkflow`` on the OFFICIAL SDK.

Runs ONLY inside the peer virtualenv (``scripts/peer-env``); started through
``tests.peer.peerhost.PeerHost(..., script=CROSS_SDK_HOST)``. Same command line
and protocol as ``kitchen_sink.py``: prints ``PEER READY`` once polling, shuts
the worker down on SIGTERM/SIGINT. Workflows only: the activities run on our
own worker, on another task queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from cross_sdk_workflows import (
    CrossSdkChildParent,
    CrossSdkKid,
    CrossSdkMoreWorkflow,
    CrossSdkUpdateWorkflow,
    CrossSdkWorkflow,
)
from kitchen_sink import run_main, serve_worker


async def serve(target: str, namespace: str, task_queue: str) -> None:
    """Run the worker until SIGTERM/SIGINT."""
    await serve_worker(
        target,
        namespace,
        task_queue,
        workflows=[
            CrossSdkWorkflow,
            CrossSdkMoreWorkflow,
            CrossSdkChildParent,
            CrossSdkKid,
            CrossSdkUpdateWorkflow,
        ],
    )


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run_main(serve, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
