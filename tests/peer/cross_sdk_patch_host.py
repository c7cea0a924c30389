"""Peer worker hosting one version of ``cross_sdk_patch_workflows.PatchFlow``
on the OFFICIAL SDK.

Runs ONLY inside the peer virtualenv (``scripts/peer-env``); started through
``tests.peer.peerhost.PeerHost(..., script=CROSS_SDK_PATCH_HOST)``. Same
command line and protocol as ``cross_sdk_host.py``; the version comes from
the task queue's name (``patch-v1-<uuid>`` runs ``PatchFlowV1``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from cross_sdk_patch_workflows import version_of
from kitchen_sink import run_main, serve_worker


async def serve(target: str, namespace: str, task_queue: str) -> None:
    """Run the worker for the queue's version until SIGTERM/SIGINT."""
    await serve_worker(target, namespace, task_queue, workflows=[version_of(task_queue)])


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run_main(serve, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
