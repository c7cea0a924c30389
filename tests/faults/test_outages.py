"""Outages of the server while our worker runs: one longer than a minute, and
two short ones a minute apart. After each the worker must poll again and
finish every workflow (the failures in between are transient: they must be
retried for as long as the worker runs).

The two scenarios use a dev server each and run at the same time (they are
mostly waiting), so the stage pays for the longer one only.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Dict, List, Optional

import pytest

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import DevServer
from temporalio.worker import Worker
from tests.faults import figures
from tests.faults.harness import (
    ACTIVITY,
    Executions,
    Outcome,
    running_peer,
    start_workflows,
    wait_closed,
    wait_until,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(400)]

# Longer than a minute, and than 60 s plus the worker's longest poll backoff
# (10 s + 20 % jitter): so a worker that gives up after a minute of failures
# is sure to have given up before the server is back.
LONG_DOWN_S = 75.0
SHORT_DOWN_S = 5.0
SHORT_APART_S = 62.0  # from the first outage's start to the second's
RESUME_WAIT_S = 60.0  # bound on the wait for the workflows after a restart
START_WAIT_S = 60.0  # bound on starting new workflows after a restart


@dataclass
class OutageRun:
    outcomes: Dict[str, Outcome] = field(default_factory=dict)
    resume_s: Dict[str, Optional[float]] = field(default_factory=dict)
    error: Optional[str] = None
    """What stopped the scenario early (not the worker's doing), if anything."""


async def _start_after_restart(
    driver: Client, peer_tq: str, tq: str, n: int, each: int
) -> List[WorkflowHandle]:
    """Start workflows, waiting out a server that is still coming up (bounded)."""
    deadline = time.monotonic() + START_WAIT_S
    while True:
        try:
            return await start_workflows(driver, peer_tq, tq, n, each, prefix="outage")
        except Exception as e:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the restarted server took no new workflow in {START_WAIT_S:.0f} s: {e!r}"
                ) from e
            await asyncio.sleep(0.5)


async def _scenario(tmp: Path, long_outage: bool) -> OutageRun:
    run = OutageRun()
    try:
        await _run_scenario(run, tmp, long_outage)
    except Exception as e:  # reported by the tests of the outages not reached
        run.error = f"{'long' if long_outage else 'short'} scenario: {e!r}"
    return run


async def _run_scenario(run: OutageRun, tmp: Path, long_outage: bool) -> None:
    server = DevServer(db_filename=str(tmp / "temporal.db"))
    await asyncio.to_thread(server.start)
    try:
        async with running_peer(server.target) as peer_tq:
            driver = await Client.connect(server.target)
            wclient = await Client.connect(server.target)
            ex = Executions()
            tq = f"outage-{uuid.uuid4()}"
            async with Worker(wclient, task_queue=tq, activities={ACTIVITY: ex.activity()}):
                first = await start_workflows(driver, peer_tq, tq, 10, 6, prefix="outage")
                if not await wait_until(lambda: ex.finished >= 10, 60):
                    raise RuntimeError(f"only {ex.finished} activities ran before the outage")
                outages = [LONG_DOWN_S] if long_outage else [SHORT_DOWN_S, SHORT_DOWN_S]
                pending = first
                for i, down in enumerate(outages, 1):
                    t_kill = time.monotonic()
                    await asyncio.to_thread(server.kill)
                    await asyncio.sleep(down)
                    await asyncio.to_thread(server.restart)
                    t_up = time.monotonic()
                    wave = await _start_after_restart(driver, peer_tq, tq, 5, 3)
                    key = "long" if long_outage else f"short {i}"
                    run.outcomes[key] = await wait_closed(pending + wave, RESUME_WAIT_S)
                    run.resume_s[key] = ex.first_start_after(t_up)
                    pending = []
                    if i < len(outages):
                        await asyncio.sleep(max(0.0, t_kill + SHORT_APART_S - time.monotonic()))
            await driver.close()
            await wclient.close()
    finally:
        await asyncio.to_thread(server.stop)


@pytest.fixture(scope="module")
async def outages(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[OutageRun]:
    long_run, short_run = await asyncio.gather(
        _scenario(tmp_path_factory.mktemp("long"), True),
        _scenario(tmp_path_factory.mktemp("short"), False),
    )
    merged = OutageRun(error="; ".join(e for e in (long_run.error, short_run.error) if e) or None)
    merged.outcomes = {**long_run.outcomes, **short_run.outcomes}
    merged.resume_s = {**long_run.resume_s, **short_run.resume_s}
    if merged.error:
        figures.record("outages", "scenario stopped early", merged.error)
    labels = {
        "long": f"outage {LONG_DOWN_S:.0f} s",
        "short 1": f"2 outages of {SHORT_DOWN_S:.0f} s, {SHORT_APART_S:.0f} s apart: 1st",
        "short 2": f"2 outages of {SHORT_DOWN_S:.0f} s, {SHORT_APART_S:.0f} s apart: 2nd",
    }
    for key, label in labels.items():
        o = merged.outcomes.get(key)
        r = merged.resume_s.get(key)
        figures.record(label, "restart to first activity start s", "never" if r is None else r)
        if o is not None:
            figures.record(
                label,
                f"workflows completed within {RESUME_WAIT_S:.0f} s",
                f"{o.completed} / {o.completed + o.failed + o.pending}",
            )
    yield merged


def _check(run: OutageRun, key: str) -> None:
    outcome = run.outcomes.get(key)
    assert outcome is not None, f"the scenario did not get through outage {key!r}: {run.error}"
    assert run.resume_s.get(key) is not None, "the worker never ran an activity after the restart"
    assert outcome.all_completed, outcome


async def test_worker_resumes_after_an_outage_longer_than_a_minute(outages: OutageRun) -> None:
    _check(outages, "long")


async def test_worker_resumes_after_a_first_short_outage(outages: OutageRun) -> None:
    _check(outages, "short 1")


async def test_worker_resumes_after_a_second_short_outage_a_minute_later(
    outages: OutageRun,
) -> None:
    _check(outages, "short 2")
