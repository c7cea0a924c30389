"""Shared fixtures: a real Temporal dev server for the whole run, clients,
and the peer workflow host (the official SDK in its own virtualenv)."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import AsyncIterator, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.peer.peerhost


@pytest.fixture(scope="session")
def server_target() -> Iterator[str]:
    """host:port of a dev server: TEMPORAL_TEST_TARGET, or one started here."""
    target = os.environ.get("TEMPORAL_TEST_TARGET")
    if target:
        yield target
        return
    from temporalio.testing import DevServer

    with DevServer() as server:
        yield server.target


@pytest.fixture
async def client(server_target: str) -> AsyncIterator["temporalio.client.Client"]:  # noqa: F821
    from temporalio.client import Client

    c = await Client.connect(server_target)
    yield c
    await c.close()


@pytest.fixture
def task_queue() -> str:
    """A task queue name no other test uses."""
    return f"tq-{uuid.uuid4()}"


@pytest.fixture(scope="session")
def peer_task_queue(server_target: str) -> Iterator[str]:
    """Task queue served by the peer workflow host (workflow type KitchenSink)."""
    from tests.peer.peerhost import PeerHost

    tq = f"peer-{uuid.uuid4()}"
    with PeerHost(server_target, "default", tq):
        yield tq
