"""Server crashes and restarts in the middle of several hundred activities.

A dev server with a database file runs 30 workflows (peer host) x 12
activities of 50-100 ms (start-to-close 30 s) on our worker. After 100
activities it is killed with SIGKILL, stays down 5 s and comes back on the
same port with the same state; after 220 it is killed again and stays down
15 s. Every workflow must complete, and no result our worker produced may be
lost: both restarts are far shorter than the activities' timeout, so each
completion can still be delivered once the server is back (a lost one shows
as the server running that activity again after its timeout).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, List, Optional

import pytest

from temporalio.client import Client
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

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

WORKFLOWS, EACH = 30, 12
# (kill once this many activities have returned, seconds down)
RESTARTS = [(100, 5.0), (220, 15.0)]


@dataclass
class Restart:
    killed: float
    up: float
    poll_resume_s: Optional[float] = None
    recovery_s: Optional[float] = None


@dataclass
class RestartRun:
    outcome: Outcome
    executions: Executions
    restarts: List[Restart] = field(default_factory=list)
    worker_running: bool = False


@pytest.fixture(scope="module")
async def restart_run(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RestartRun]:
    db: Path = tmp_path_factory.mktemp("restart") / "temporal.db"
    server = DevServer(db_filename=str(db))
    await asyncio.to_thread(server.start)
    restarts: List[Restart] = []
    try:
        async with running_peer(server.target) as peer_tq:
            driver = await Client.connect(server.target)
            wclient = await Client.connect(server.target)
            ex = Executions()
            tq = f"restart-{uuid.uuid4()}"
            async with Worker(
                wclient, task_queue=tq, activities={ACTIVITY: ex.activity()}
            ) as worker:
                handles = await start_workflows(driver, peer_tq, tq, WORKFLOWS, EACH)
                for after, down in RESTARTS:
                    assert await wait_until(lambda: ex.finished >= after, 120), (
                        f"only {ex.finished} activities ran, {after} wanted before a restart"
                    )
                    t_kill = time.monotonic()
                    await asyncio.to_thread(server.kill)
                    await asyncio.sleep(down)
                    await asyncio.to_thread(server.restart)
                    r = Restart(t_kill, time.monotonic())
                    restarts.append(r)
                    await wait_until(lambda: ex.first_finish_after(r.up) is not None, 60)
                    r.poll_resume_s = ex.first_start_after(r.up)
                    r.recovery_s = ex.first_finish_after(r.up)
                outcome = await wait_closed(handles, 120)
                run = RestartRun(outcome, ex, restarts, worker.is_running)
            await driver.close()
            await wclient.close()
    finally:
        await asyncio.to_thread(server.stop)
    name = "restarts (SIGKILL)"
    figures.record(name, "activities executed / scheduled", f"{len(ex.runs)} / {WORKFLOWS * EACH}")
    for i, r in enumerate(restarts):
        label = f"restart {i + 1} ({RESTARTS[i][1]:.0f} s down)"
        figures.record(label, "kill to listening again s", r.up - r.killed)
        figures.record(
            label,
            "results lost (returned, then run again)",
            _lost_between(
                ex, r.killed - 1.0, restarts[i + 1].killed - 1.0 if i + 1 < len(restarts) else None
            ),
        )
        figures.record(label, "restart to first activity start s", _fmt(r.poll_resume_s))
        figures.record(label, "restart to first new activity done s", _fmt(r.recovery_s))
    figures.record(name, "results lost in all", ex.lost_results())
    figures.record(name, "attempts > 1 in all", ex.retried_attempts())
    figures.record(name, "workflows completed", f"{outcome.completed} / {WORKFLOWS}")
    figures.record(name, "last restart to all workflows closed s", outcome.seconds)
    yield run


def _lost_between(ex: Executions, t0: float, t1: Optional[float]) -> int:
    """Lost results whose first (returned) run ended in [t0, t1)."""
    first_end = {}
    lost = 0
    for r in ex.runs:
        if r.key in first_end:
            end = first_end[r.key]
            lost += end >= t0 and (t1 is None or end < t1)
        elif r.finished is not None:
            first_end[r.key] = r.finished
    return lost


def _fmt(v: Optional[float]) -> str:
    return "never" if v is None else f"{v:.2f}"


async def test_every_workflow_completes_after_restarts(restart_run: RestartRun) -> None:
    assert restart_run.outcome.all_completed, restart_run.outcome
    assert restart_run.worker_running
    assert all(r.poll_resume_s is not None for r in restart_run.restarts)


async def test_no_result_is_lost_across_restarts_shorter_than_the_timeouts(
    restart_run: RestartRun,
) -> None:
    ex = restart_run.executions
    assert ex.lost_results() == 0, (
        f"{ex.lost_results()} activities finished here and ran again: their results were lost"
    )
