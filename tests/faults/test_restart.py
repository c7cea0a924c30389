"""A server crash and restart in the middle of several hundred activities.

A dev server with a database file runs 30 workflows (peer host) x 12
activities of 50-100 ms (start-to-close 30 s) on our worker. After 100
activities it is killed with SIGKILL, stays down 5 s and comes back on the
same port with the same state. Every workflow must complete, and no result
our worker produced may be lost: the restart is far shorter than the
activities' timeout, so each completion can be delivered once the server is
back (a lost one shows as the server running that activity again).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Optional

import pytest

from temporalio.client import Client
from temporalio.testing import DevServer
from temporalio.worker import Worker
from tests.faults import figures
from tests.faults.harness import (
    ACTIVITY, Executions, Outcome, running_peer, start_workflows, wait_closed, wait_until,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

WORKFLOWS, EACH, KILL_AFTER, DOWN_S = 30, 12, 100, 5.0


@dataclass
class RestartRun:
    outcome: Outcome
    executions: Executions
    down_s: float
    poll_resume_s: Optional[float]
    recovery_s: Optional[float]
    worker_running: bool


@pytest.fixture(scope="module")
async def restart_run(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RestartRun]:
    db: Path = tmp_path_factory.mktemp("restart") / "temporal.db"
    server = DevServer(db_filename=str(db))
    await asyncio.to_thread(server.start)
    try:
        async with running_peer(server.target) as peer_tq:
            driver = await Client.connect(server.target)
            wclient = await Client.connect(server.target)
            ex = Executions()
            tq = f"restart-{uuid.uuid4()}"
            async with Worker(wclient, task_queue=tq, activities={ACTIVITY: ex.activity()}) as worker:
                handles = await start_workflows(driver, peer_tq, tq, WORKFLOWS, EACH)
                assert await wait_until(lambda: ex.finished >= KILL_AFTER, 120), \
                    f"only {ex.finished} activities ran before the restart"
                t_kill = time.monotonic()
                await asyncio.to_thread(server.kill)
                await asyncio.sleep(DOWN_S)
                await asyncio.to_thread(server.restart)
                t_up = time.monotonic()
                outcome = await wait_closed(handles, 120)
                run = RestartRun(
                    outcome, ex, t_up - t_kill, ex.first_start_after(t_up),
                    ex.first_finish_after(t_up), worker.is_running,
                )
            await driver.close()
            await wclient.close()
    finally:
        await asyncio.to_thread(server.stop)
    name = "restart (SIGKILL, 5 s down)"
    figures.record(name, "activities executed / scheduled", f"{len(ex.runs)} / {WORKFLOWS * EACH}")
    figures.record(name, "server down (kill to listening) s", run.down_s)
    figures.record(name, "workflows completed", f"{outcome.completed} / {WORKFLOWS}")
    figures.record(name, "results lost (returned, then run again)", ex.lost_results())
    figures.record(name, "attempts > 1", ex.retried_attempts())
    figures.record(name, "restart to first activity start s", _fmt(run.poll_resume_s))
    figures.record(name, "restart to first new activity done s", _fmt(run.recovery_s))
    figures.record(name, "restart to all workflows closed s", outcome.seconds)
    yield run


def _fmt(v: Optional[float]) -> str:
    return "never" if v is None else f"{v:.2f}"


async def test_every_workflow_completes_after_a_restart(restart_run: RestartRun) -> None:
    assert restart_run.outcome.all_completed, restart_run.outcome
    assert restart_run.worker_running
    assert restart_run.poll_resume_s is not None


@pytest.mark.xfail(strict=True, reason="needs completions retried until the task deadline (issue 13)")
async def test_no_result_is_lost_across_a_short_restart(restart_run: RestartRun) -> None:
    ex = restart_run.executions
    assert ex.lost_results() == 0, (
        f"{ex.lost_results()} activities finished here and ran again: their results were lost"
    )
