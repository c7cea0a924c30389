"""The bridge's workflow-worker surface (options, complete_activation,
request_eviction) on a worker that is never started: no server needed.

Running workflows end to end needs the core's workflow engine; the C tests
(core/tests/test_workflow_worker.c) cover the run manager against a dev
server."""

from __future__ import annotations

import asyncio
from typing import Any, List

import pytest

from temporalio import _bridge
from temporalio.service import ConnectConfig, ServiceClient
from temporalio.service._client import _notifier


async def _worker(**options: Any) -> Any:
    sc = await ServiceClient.connect(ConnectConfig("127.0.0.1:1", lazy=True))  # never used
    events: List[Any] = []
    return _bridge.Worker(
        sc._core,
        _notifier(asyncio.get_running_loop()),
        events.append,
        task_queue="tq",
        **options,
    )


async def test_workflow_options_are_checked() -> None:
    for name, bad in [
        ("max_cached_workflows", -1),
        ("max_concurrent_workflow_tasks", 0),
        ("max_concurrent_workflow_task_polls", 0),
        ("sticky_schedule_to_start_ms", 0),
    ]:
        with pytest.raises(ValueError, match=name):
            await _worker(**{name: bad})
    with pytest.raises(ValueError, match="activities"):
        await _worker(activities=False)  # neither activities nor workflows


async def test_activation_calls_on_unknown_runs() -> None:
    w = await _worker(
        max_cached_workflows=0,
        max_concurrent_workflow_tasks=3,
        max_concurrent_workflow_task_polls=2,
        sticky_schedule_to_start_ms=5000,
    )
    assert w.complete_activation("no-such-run", b"") is False
    assert w.request_eviction("no-such-run", "why") is False
    assert w.request_eviction("no-such-run", None) is False
    with pytest.raises(Exception):
        w.complete_activation(None, b"\xff\xff")  # no run id, bytes that do not parse
