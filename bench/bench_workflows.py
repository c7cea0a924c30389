"""Workflows of the workflow benchmarks (9), the same source for both SDKs.

Imported by ``bench/sdk_side.py`` (with the SDK's own interpreter) when a
worker is started with ``--workflows``; the official SDK's sandbox re-imports
this module for every workflow run, as it does for its users' code. Only
``temporalio.workflow`` is used, through names both SDKs have. Kept minimal,
so the figures are the SDK's cost, not the workflow's.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, Dict

from temporalio import workflow


def wall_clock() -> float:
    """The real wall clock (``time.time()``, seconds since the epoch): a
    deliberately non-deterministic read for a latency probe. The official
    sandbox forbids ``time.time`` at run time unless unrestricted."""
    unrestricted = getattr(workflow.unsafe, "sandbox_unrestricted", None)
    if unrestricted is None:  # no sandbox (ours)
        return time.time()
    with unrestricted():
        return time.time()


@workflow.defn(name="BenchActivityTimer")
class BenchActivityTimer:
    """9a/9b: one ``echo`` activity, then a timer; returns the echoed value.
    Three workflow tasks when nothing goes wrong: start (schedule the activity),
    activity completed (start the timer), timer fired (complete)."""

    @workflow.run
    async def run(self, arg: Dict[str, Any]) -> Any:
        out = await workflow.execute_activity(
            "echo", arg["payload"], start_to_close_timeout=timedelta(seconds=120)
        )
        await workflow.sleep(float(arg["timer_s"]))
        return out


@workflow.defn(name="BenchWaitSignal")
class BenchWaitSignal:
    """9c: waits (idle, cached) until the ``finish`` signal."""

    def __init__(self) -> None:
        self._done = False

    @workflow.signal
    def finish(self) -> None:
        self._done = True

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self._done)


@workflow.defn(name="BenchFirstLine")
class BenchFirstLine:
    """9e: returns the wall-clock time at the first line of its run method
    (one workflow task, so it never replays)."""

    @workflow.run
    async def run(self) -> float:
        return wall_clock()


WORKFLOWS = [BenchActivityTimer, BenchWaitSignal, BenchFirstLine]
