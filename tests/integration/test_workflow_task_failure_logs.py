"""Every failed workflow task shows in the worker's log, as with the official
SDK: one WARNING "Failing workflow task run_id=... failure=..." per failed
task (the core's; on the first attempt too), the workflow code's own failure
as the "Failed activation ..." WARNING carrying
``__temporal_error_identifier: WorkflowTaskFailure``, and a deadlock as the
ERROR "Failed handling activation on workflow with run ID ..." with the
``_DeadlockError``. Against the dev server."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Callable, List

import pytest

from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker._workflow import _DeadlockError
from tests.integration.test_workflow_cache import ChangingV2, _run_v1
from tests.integration.workflow_history import new_workflow_id as _id

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

TIMEOUT = timedelta(seconds=60)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def matching(self, pred: Callable[[logging.LogRecord], bool]) -> List[logging.LogRecord]:
        return [r for r in list(self.records) if pred(r)]

    async def wait_for(self, pred: Callable[[logging.LogRecord], bool]) -> logging.LogRecord:
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            found = self.matching(pred)
            if found:
                return found[0]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no such log record in {[r.getMessage() for r in self.records]}")


@pytest.fixture
def records():
    h = _Records()
    log = logging.getLogger("temporalio")
    log.addHandler(h)
    try:
        yield h
    finally:
        log.removeHandler(h)


def _failing_task(run_id: str, failure_start: str) -> Callable[[logging.LogRecord], bool]:
    head = f"Failing workflow task run_id={run_id} failure={failure_start}"
    return lambda r: r.levelno == logging.WARNING and head in r.getMessage()


@workflow.defn
class RaisesInCode:
    @workflow.run
    async def run(self) -> None:
        raise RuntimeError("boom in workflow code")


async def test_exception_in_workflow_code_is_logged(
    client: Client, task_queue: str, records: _Records
) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[RaisesInCode]):
        h = await client.start_workflow(
            RaisesInCode.run, id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
        )
        run_id = h.result_run_id
        assert run_id
        core = await records.wait_for(_failing_task(run_id, "boom in workflow code"))
        await h.terminate("test over")
    assert core.name == "temporalio.worker"
    # the first attempt's task failure is logged once, by the core only
    first = records.matching(
        lambda r: f"Failing workflow task run_id={run_id} failure=" in r.getMessage()
    )
    assert len(first) == 1, [r.getMessage() for r in first]
    act = records.matching(lambda r: r.getMessage().startswith("Failed activation on workflow"))[0]
    assert act.levelno == logging.WARNING
    assert act.name == "temporalio.worker._workflow_instance"
    assert act.getMessage() == (
        f"Failed activation on workflow RaisesInCode with ID {h.id} and run ID {run_id}"
    )
    assert act.__dict__["__temporal_error_identifier"] == "WorkflowTaskFailure"
    assert act.__dict__["temporal_workflow"]["run_id"] == run_id
    assert act.exc_info and isinstance(act.exc_info[1], RuntimeError)


@workflow.defn
class BlocksItsThread:
    @workflow.run
    async def run(self) -> None:
        time.sleep(3)  # blocks the workflow's thread: never do this


async def test_deadlock_is_logged(client: Client, task_queue: str, records: _Records) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[BlocksItsThread]):
        h = await client.start_workflow(
            BlocksItsThread.run, id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
        )
        run_id = h.result_run_id
        assert run_id
        await records.wait_for(_failing_task(run_id, "[TMPRL1101] Potential deadlock detected"))
        await h.terminate("test over")
    err = records.matching(
        lambda r: r.getMessage() == f"Failed handling activation on workflow with run ID {run_id}"
    )[0]
    assert err.levelno == logging.ERROR and err.name == "temporalio.worker._workflow"
    assert err.exc_info and isinstance(err.exc_info[1], _DeadlockError)
    assert str(err.exc_info[1]).startswith("[TMPRL1101] Potential deadlock detected")


async def test_nondeterminism_is_logged(client: Client, task_queue: str, records: _Records) -> None:
    h = await _run_v1(client, task_queue)
    run_id = h.result_run_id
    assert run_id
    async with Worker(client, task_queue=task_queue, workflows=[ChangingV2]):
        await h.signal("proceed")
        await records.wait_for(_failing_task(run_id, "[TMPRL1100] Nondeterminism error"))
    await h.terminate("test over")
