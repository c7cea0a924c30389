"""Network faults between our SDK and the server, made by a loopback proxy
(tests/faults/proxy.py): a stall, a reset of every connection, a blackhole, and a
spell of resets of every connection as soon as it opens ("reject").

Our worker and a second client of ours connect through the proxy; the peer
host (which runs the workflows) and the client that starts them connect
directly. The second client calls DescribeNamespace with ``timeout=3`` in a
loop. For each fault: no call outlives its deadline (3 s, plus 2 s of slack
for a busy machine), the worker and the client work again after it, and the
time they take to do so is recorded.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import AsyncIterator, List, Optional

import pytest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

from temporalio.client import Client, WorkflowHandle
from temporalio.service import DeadlineExceededError
from temporalio.testing import DevServer
from temporalio.worker import Worker
from tests.faults import figures
from tests.faults.harness import ACTIVITY, Executions, running_peer, start_workflows, wait_until
from tests.faults.proxy import FaultProxy

pytestmark = [pytest.mark.faults, pytest.mark.timeout(200)]

CALL_TIMEOUT_S = 3.0
SLACK_S = 2.0
FAULT_S = 5.0
REJECT_S = 8.0  # long enough that retrying through it would outlive any 3 s call
RECOVERY_WAIT_S = 60.0


@dataclass
class Call:
    started: float
    ended: float
    error: Optional[BaseException]

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Rig:
    proxy: FaultProxy
    ex: Executions
    calls: List[Call] = field(default_factory=list)


async def _caller(client: Client, calls: List[Call], stop: asyncio.Event) -> None:
    """DescribeNamespace with timeout=3, one after another, until ``stop``."""
    req = DescribeNamespaceRequest(namespace="default")
    while not stop.is_set():
        t0 = time.monotonic()
        err: Optional[BaseException] = None
        try:
            await client.workflow_service.describe_namespace(req, timeout=CALL_TIMEOUT_S)
        except Exception as e:  # recorded, judged by the tests
            err = e
        calls.append(Call(t0, time.monotonic(), err))
        await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
async def rig() -> AsyncIterator[Rig]:
    server = DevServer()
    await asyncio.to_thread(server.start)
    proxy = FaultProxy(server.host, server.port).start()
    try:
        async with running_peer(server.target) as peer_tq:
            driver = await Client.connect(server.target)
            wclient = await Client.connect(proxy.target)
            caller = await Client.connect(proxy.target)
            rig = Rig(proxy, Executions())
            tq = f"proxy-{uuid.uuid4()}"
            handles: List[WorkflowHandle] = []
            stop = asyncio.Event()
            call_task = asyncio.ensure_future(_caller(caller, rig.calls, stop))
            async with Worker(wclient, task_queue=tq, activities={ACTIVITY: rig.ex.activity()}):
                # Endless work: 4 workflows of sequential 10-30 ms activities.
                handles = await start_workflows(
                    driver, peer_tq, tq, 4, 100000, lo_ms=10, hi_ms=30, prefix="proxy"
                )
                yield rig
                proxy.pass_through()
                stop.set()
                await asyncio.wait([call_task], timeout=30)
                for h in handles:
                    try:
                        await h.terminate(reason="test over")
                    except Exception:
                        pass
            for c in (driver, wclient, caller):
                await c.close()
    finally:
        proxy.close()
        await asyncio.to_thread(server.stop)


@dataclass
class FaultRun:
    name: str
    began: float
    healed: float
    calls: List[Call]
    worker_recovery_s: Optional[float]
    client_recovery_s: Optional[float]
    lost_results: int
    """Activities that returned here during or after the fault and ran again."""
    retried: int
    """Executions with attempt > 1 since the fault (lost results, or tasks
    the server handed out whose poll responses the fault dropped)."""

    def calls_during(self) -> List[Call]:
        """Calls in flight at some point of the fault or of the 3 s after it
        (those may still be retrying what the fault did to them)."""
        return [
            c
            for c in self.calls
            if c.ended >= self.began and c.started <= self.healed + CALL_TIMEOUT_S
        ]


async def _fault(rig: Rig, name: str) -> FaultRun:
    ex, proxy = rig.ex, rig.proxy
    n0 = ex.finished
    lost0, retried0 = ex.lost_results(), ex.retried_attempts()
    assert await wait_until(lambda: ex.finished >= n0 + 5, RECOVERY_WAIT_S), (
        f"no activity ran before the {name}"
    )
    assert await wait_until(
        lambda: any(c.error is None for c in rig.calls[-3:]), RECOVERY_WAIT_S
    ), f"calls failed before the {name}"
    began = time.monotonic()
    if name == "stall":
        proxy.stall()
        await asyncio.sleep(FAULT_S)
        proxy.pass_through()
    elif name == "blackhole":
        proxy.blackhole()
        await asyncio.sleep(FAULT_S)
        proxy.pass_through()
    elif name == "reset":
        assert proxy.reset() > 0
    elif name == "reject":
        proxy.reject()
        await asyncio.sleep(REJECT_S)
        proxy.pass_through()
    healed = time.monotonic()

    def client_recovery() -> Optional[float]:
        ok = [c.ended for c in rig.calls if c.error is None and c.ended >= healed]
        return min(ok) - healed if ok else None

    await wait_until(
        lambda: ex.first_finish_after(healed) is not None and client_recovery() is not None,
        RECOVERY_WAIT_S,
    )
    # Let the calls in flight during the fault end (each is bounded by its deadline).
    await asyncio.sleep(CALL_TIMEOUT_S + SLACK_S)
    run = FaultRun(
        name,
        began,
        healed,
        list(rig.calls),
        ex.first_finish_after(healed),
        client_recovery(),
        ex.lost_results() - lost0,
        ex.retried_attempts() - retried0,
    )
    seconds = {"reset": 0.0, "reject": REJECT_S}.get(name, FAULT_S)
    label = f"proxy {name}" + (f" ({seconds:.0f} s)" if seconds else "")
    during = run.calls_during()
    figures.record(
        label,
        "worker: heal to first new activity done s",
        "never" if run.worker_recovery_s is None else run.worker_recovery_s,
    )
    figures.record(
        label,
        "client: heal to first successful call s",
        "never" if run.client_recovery_s is None else run.client_recovery_s,
    )
    figures.record(
        label,
        "calls during fault: ok / failed",
        f"{sum(c.error is None for c in during)} / {sum(c.error is not None for c in during)}",
    )
    figures.record(
        label, "longest call (timeout 3 s) s", max((c.seconds for c in during), default=0.0)
    )
    figures.record(label, "results lost / attempts > 1", f"{run.lost_results} / {run.retried}")
    return run


@pytest.fixture(scope="module")
async def stall_run(rig: Rig) -> FaultRun:
    return await _fault(rig, "stall")


@pytest.fixture(scope="module")
async def reset_run(rig: Rig) -> FaultRun:
    return await _fault(rig, "reset")


@pytest.fixture(scope="module")
async def blackhole_run(rig: Rig) -> FaultRun:
    return await _fault(rig, "blackhole")


@pytest.fixture(scope="module")
async def reject_run(rig: Rig) -> FaultRun:
    return await _fault(rig, "reject")


def _assert_resumed(run: FaultRun) -> None:
    assert run.worker_recovery_s is not None, f"the worker ran no activity after the {run.name}"
    assert run.client_recovery_s is not None, f"no call succeeded after the {run.name}"


def _assert_deadlines(run: FaultRun, expect_deadline_errors: bool) -> None:
    during = run.calls_during()
    late = [c for c in during if c.seconds > CALL_TIMEOUT_S + SLACK_S]
    assert not late, (
        f"{len(late)} calls with timeout={CALL_TIMEOUT_S} s took up to "
        f"{max(c.seconds for c in late):.1f} s during the {run.name}: "
        f"{[type(c.error).__name__ for c in late]}"
    )
    if expect_deadline_errors:
        cut_off = [c for c in during if c.started >= run.began and c.ended < run.healed]
        assert cut_off, f"no call ended during the {run.name}"
        assert all(isinstance(c.error, DeadlineExceededError) for c in cut_off), [
            repr(c.error) for c in cut_off
        ]


async def test_stall_worker_and_client_resume(stall_run: FaultRun) -> None:
    _assert_resumed(stall_run)


async def test_stall_calls_end_at_their_deadline(stall_run: FaultRun) -> None:
    _assert_deadlines(stall_run, expect_deadline_errors=True)


async def test_reset_worker_and_client_resume(reset_run: FaultRun) -> None:
    _assert_resumed(reset_run)


async def test_reset_calls_end_within_their_deadline(reset_run: FaultRun) -> None:
    _assert_deadlines(reset_run, expect_deadline_errors=False)


async def test_blackhole_worker_and_client_resume(blackhole_run: FaultRun) -> None:
    _assert_resumed(blackhole_run)


async def test_blackhole_calls_end_at_their_deadline(blackhole_run: FaultRun) -> None:
    _assert_deadlines(blackhole_run, expect_deadline_errors=True)


async def test_reject_worker_and_client_resume(reject_run: FaultRun) -> None:
    _assert_resumed(reject_run)


async def test_reject_calls_end_within_their_deadline(reject_run: FaultRun) -> None:
    _assert_deadlines(reject_run, expect_deadline_errors=False)
