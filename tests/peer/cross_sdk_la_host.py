"""Peer worker hosting ``cross_sdk_la_workflows.LaFlow`` and its local
activities on the OFFICIAL SDK.

Runs ONLY inside the peer virtualenv (``scripts/peer-env``); started through
``tests.peer.peerhost.PeerHost(..., script=CROSS_SDK_LA_HOST)``. Same command
line and protocol as ``cross_sdk_host.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from cross_sdk_la_workflows import LaFlow, la_cross_echo, la_cross_fail
from kitchen_sink import run_main, serve_worker


async def serve(target: str, namespace: str, task_queue: str) -> None:
    """Run the worker until SIGTERM/SIGINT."""
    await serve_worker(
        target,
        namespace,
        task_queue,
        workflows=[LaFlow],
        activities=[la_cross_echo, la_cross_fail],
    )


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run_main(serve, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
