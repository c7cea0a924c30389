"""Shared pieces of the fault tests: a recorded activity, workflows run by the
peer host (official SDK, workflow type ``KitchenSink``) that call it on our
worker's task queue, and waits that survive a server that comes and goes.

Nothing here cancels an RPC in flight: every wait is made of calls bounded by
their own ``rpc_timeout``, so a test never depends on call cancellation.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, AsyncIterator, Callable, Dict, List, Optional, Tuple

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowExecutionStatus
from temporalio.service import RPCError
from tests.peer.peerhost import WORKFLOW_TYPE, PeerHost, actions

ACTIVITY = "fault_work"


@asynccontextmanager
async def running_peer(target: str) -> AsyncIterator[str]:
    """A peer workflow host (official SDK) on a fresh task queue; yields the queue."""
    tq = f"peer-{uuid.uuid4()}"
    peer = PeerHost(target, "default", tq)
    await asyncio.to_thread(peer.start)
    try:
        yield tq
    finally:
        await asyncio.to_thread(peer.stop)


@dataclass
class Run:
    """One execution of the recorded activity."""

    key: Tuple[str, str]  # (workflow id, activity id)
    attempt: int
    started: float  # time.monotonic()
    finished: Optional[float] = None


@dataclass
class Executions:
    """Every execution of :data:`ACTIVITY` in this process, in start order."""

    runs: List[Run] = field(default_factory=list)

    def activity(self) -> Callable[..., Any]:
        """The activity: sleeps a random time in ``[lo_ms, hi_ms]`` and records itself."""
        runs = self.runs

        async def fault_work(lo_ms: int, hi_ms: int) -> int:
            info = activity.info()
            run = Run((info.workflow_id or "", info.activity_id), info.attempt, time.monotonic())
            runs.append(run)
            await asyncio.sleep(random.uniform(lo_ms, hi_ms) / 1000)
            run.finished = time.monotonic()
            return info.attempt

        return fault_work

    @property
    def finished(self) -> int:
        """Executions that returned (their completion may still be lost)."""
        return sum(1 for r in self.runs if r.finished is not None)

    def first_start_after(self, t: float) -> Optional[float]:
        """Seconds from ``t`` to the first execution started after it."""
        starts = [r.started for r in self.runs if r.started >= t]
        return min(starts) - t if starts else None

    def first_finish_after(self, t: float) -> Optional[float]:
        """Seconds from ``t`` until an execution started after ``t`` returned."""
        ends = [r.finished for r in self.runs if r.started >= t and r.finished is not None]
        return min(ends) - t if ends else None

    def lost_results(self) -> int:
        """Activities that returned here and still ran again: results the
        server never got (it re-ran them after their timeout)."""
        lost = 0
        done: Dict[Tuple[str, str], bool] = {}
        for r in self.runs:
            if done.get(r.key):
                lost += 1
            if r.finished is not None:
                done[r.key] = True
        return lost

    def retried_attempts(self) -> int:
        """Executions with ``attempt > 1`` (whatever the reason)."""
        return sum(1 for r in self.runs if r.attempt > 1)


async def start_workflows(
    client: Client,
    peer_tq: str,
    worker_tq: str,
    count: int,
    activities_each: int,
    *,
    lo_ms: int = 50,
    hi_ms: int = 100,
    start_to_close_ms: int = 30000,
    concurrent: bool = False,
    prefix: str = "fault",
    activity_name: str = ACTIVITY,
) -> List[WorkflowHandle]:
    """Start ``count`` KitchenSink workflows, each running ``activities_each``
    executions of ``activity_name`` (called with ``lo_ms, hi_ms``) on
    ``worker_tq``, in sequence, or all at once with ``concurrent``."""
    spec = {
        "name": activity_name,
        "task_queue": worker_tq,
        "args": [lo_ms, hi_ms],
        "count": activities_each,
        "concurrent": concurrent,
        "start_to_close_ms": start_to_close_ms,
    }
    tag = uuid.uuid4().hex[:8]
    handles = []
    for i in range(count):
        handles.append(
            await client.start_workflow(
                WORKFLOW_TYPE,
                actions({"execute_activity": spec}, {"result": {"value": i}}),
                id=f"{prefix}-{tag}-{i}",
                task_queue=peer_tq,
            )
        )
    return handles


@dataclass
class Outcome:
    """How a set of workflows ended within a wait."""

    completed: int = 0
    failed: int = 0
    pending: int = 0
    seconds: float = 0.0

    @property
    def all_completed(self) -> bool:
        return self.failed == 0 and self.pending == 0


async def wait_closed(handles: List[WorkflowHandle], timeout: float) -> Outcome:
    """Wait up to ``timeout`` seconds for every workflow to close, by polling
    ``describe`` (calls bounded by ``rpc_timeout``; errors while the server
    is away are waited out)."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    out = Outcome()
    for h in handles:
        status = None
        while time.monotonic() < deadline:
            try:
                desc = await h.describe(rpc_timeout=timedelta(seconds=3))
                status = desc.status
            except RPCError:
                status = None
            if status is not None and status != WorkflowExecutionStatus.RUNNING:
                break
            await asyncio.sleep(0.2)
        if status == WorkflowExecutionStatus.COMPLETED:
            out.completed += 1
        elif status is None or status == WorkflowExecutionStatus.RUNNING:
            out.pending += 1
        else:
            out.failed += 1
    out.seconds = time.monotonic() - t0
    return out


async def wait_until(pred: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    """Poll ``pred`` until true or ``timeout`` seconds passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(step)
    return True
