"""The activity worker under faults: polls that fail for good end the worker
(and say why), an activity the server timed out is cancelled locally, a
shutdown reports tasks that never started, an oversized result fails the
activity at once, and a server restart does not make the worker deaf."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from typing import Any, List, Optional

import pytest

from temporalio import activity
from temporalio.client import Client
from temporalio.service import NamespaceNotFoundError
from temporalio.testing._devserver import find_temporal_executable, free_port
from temporalio.worker import Worker
from tests.integration.test_worker import catch_activity, new_tq, start_activity_workflow

# ---- polling that fails for good ------------------------------------------------------------


async def test_unknown_namespace_fails_worker_validation(server_target: str) -> None:
    """As the official SDK: the worker validates its namespace before it
    starts; one that does not exist raises RuntimeError("Worker validation
    failed: ...") from run() and async with, its cause the
    NamespaceNotFoundError; nothing was started."""
    ns = f"no-such-ns-{uuid.uuid4()}"
    client = await Client.connect(server_target, namespace=ns)
    try:

        async def never() -> None:
            raise AssertionError("no task can come from a namespace that does not exist")

        prefix = (
            f"Worker validation failed: Namespace {ns} was not found or otherwise could not "
            "be described: "
        )
        worker = Worker(client, task_queue=new_tq(), activities={"never": never})
        with pytest.raises(RuntimeError) as info:
            await asyncio.wait_for(worker.run(), 30)
        assert str(info.value).startswith(prefix), str(info.value)
        assert isinstance(info.value.__cause__, NamespaceNotFoundError)
        assert "not found" in str(info.value.__cause__)
        assert not worker.is_running
        await asyncio.wait_for(worker.shutdown(), 5)  # nothing to shut down

        worker = Worker(client, task_queue=new_tq(), activities={"never": never})
        with pytest.raises(RuntimeError) as info:
            async with worker:
                raise AssertionError("the worker started")
        assert str(info.value).startswith(prefix), str(info.value)
        assert isinstance(info.value.__cause__, NamespaceNotFoundError)
        assert not worker.is_running
    finally:
        await client.close()


# ---- local timeouts -------------------------------------------------------------------------


async def test_activity_past_its_start_to_close_is_cancelled_and_frees_its_slot(
    client: Client, peer_task_queue: str
) -> None:
    tq = new_tq()
    seen: List[str] = []

    async def sleepy(n: int) -> str:
        if n == 1:
            try:
                await asyncio.sleep(20)  # no heartbeats: only the deadline can stop it
            except asyncio.CancelledError:
                seen.append("cancelled")
                raise
            seen.append("ran to the end")
        return f"second ran ({n})"

    # One slot: the second activity can only run once the first gave it back.
    async with Worker(
        client, task_queue=tq, activities={"sleepy": sleepy}, max_concurrent_activities=1
    ):
        t0 = time.monotonic()
        desc = await asyncio.wait_for(
            catch_activity(
                client,
                peer_task_queue,
                tq,
                "sleepy",
                1,
                start_to_close_ms=2000,
                retry_max_attempts=1,
            ),
            30,
        )
        assert desc["type"] == "ActivityError"
        assert desc["cause"]["type"] == "TimeoutError"
        assert desc["cause"]["timeout_type"] == "START_TO_CLOSE"
        for _ in range(150):  # start-to-close 2 s + the local buffer (5 s)
            if seen:
                break
            await asyncio.sleep(0.1)
        took = time.monotonic() - t0
        assert seen == ["cancelled"]
        assert took < 15, f"the activity ran {took:.1f} s, past its 2 s start-to-close"
        second = await asyncio.wait_for(
            catch_activity(client, peer_task_queue, tq, "sleepy", 2), 30
        )
        assert second == "second ran (2)"


# ---- shutdown reports every task it took ----------------------------------------------------


async def test_shutdown_reports_tasks_still_queued_in_the_executor(
    client: Client, peer_task_queue: str
) -> None:
    tq = new_tq()
    ran: List[int] = []

    def job() -> str:
        attempt = activity.info().attempt
        ran.append(attempt)
        return f"done on attempt {attempt}"

    # Every thread of the executor is busy with something else: the three
    # tasks the worker takes wait in its queue, never started.
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=3)
    release = threading.Event()
    for _ in range(3):
        executor.submit(release.wait, 60)
    try:
        first = Worker(
            client,
            task_queue=tq,
            activities={"job": job},
            activity_executor=executor,
            max_concurrent_activities=3,
        )
        await first.start()
        handles = [
            await start_activity_workflow(
                client,
                peer_task_queue,
                "execute_activity",
                tq,
                "job",
                retry_max_attempts=2,
                retry_initial_interval_ms=100,
                start_to_close_ms=30000,
            )
            for _ in range(3)
        ]
        aw = first._activity_worker
        assert aw is not None
        for _ in range(300):
            if len(aw._running) == 3:
                break
            await asyncio.sleep(0.05)
        assert len(aw._running) == 3 and not ran
        t0 = time.monotonic()
        await asyncio.wait_for(first.shutdown(), 30)
        took = time.monotonic() - t0
        # Before, these were given up after the 10 s cancel wait and the
        # server re-ran them only after their 30 s start-to-close.
        assert took < 5, f"shutdown took {took:.1f} s"
        assert not ran
        release.set()
        # Each attempt was reported (failed as WorkerShutdown): attempt 2
        # runs on another worker at once.
        async with Worker(client, task_queue=tq, activities={"job": job}):
            results = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), 20)
        assert results == ["done on attempt 2"] * 3
    finally:
        release.set()
        executor.shutdown(wait=False)


async def test_attempt_cancelled_before_its_first_step_is_reported(
    client: Client, peer_task_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A task and its cancel can be handled in the same turn of the loop (many
    # tasks arriving as shutdown begins): the cancel then comes before the
    # attempt's first step. Play that order exactly: each task event is
    # followed at once by a cancel for it, as shutdown past its grace sends.
    from temporalio.worker._activity import _ActivityWorker

    tq = new_tq()
    ran: List[str] = []

    async def never_started() -> None:
        ran.append("ran")

    on_event = _ActivityWorker._on_event

    from temporalio import _core

    def task_then_cancel(self: _ActivityWorker, ev: Any) -> None:
        on_event(self, ev)
        if isinstance(ev, _core.ActivityTask):
            token = self._Task.FromString(ev.data).task_token
            on_event(self, _core.ActivityCancel(token, _core.CancelReason.WORKER_SHUTDOWN))

    monkeypatch.setattr(_ActivityWorker, "_on_event", task_then_cancel)
    worker = Worker(client, task_queue=tq, activities={"never_started": never_started})
    await worker.start()
    try:
        desc = await asyncio.wait_for(
            catch_activity(
                client,
                peer_task_queue,
                tq,
                "never_started",
                start_to_close_ms=30000,
                retry_max_attempts=1,
            ),
            15,  # unreported, the server would wait out the 30 s start-to-close
        )
    finally:
        await worker.shutdown()
    assert ran == []
    assert desc["type"] == "ActivityError"
    assert desc["cause"]["type"] == "ApplicationError"
    assert desc["cause"]["failure_type"] == "WorkerShutdown"


# ---- results over the server's limits ---------------------------------------------------


@pytest.mark.parametrize(
    "size,cause_type,failure_type",
    [
        # over the 2 MiB blob limit: the server fails the attempt itself
        (3 * 1024 * 1024, "ServerError", None),
        # over its 4 MiB gRPC message limit: the worker fails it
        (5 * 1024 * 1024, "ApplicationError", "GrpcMessageTooLarge"),
    ],
)
async def test_result_over_the_server_limit_fails_the_activity_at_once(
    client: Client,
    peer_task_queue: str,
    size: int,
    cause_type: str,
    failure_type: Optional[str],
) -> None:
    tq = new_tq()

    async def big() -> str:
        return "x" * size

    async with Worker(client, task_queue=tq, activities={"big": big}):
        t0 = time.monotonic()
        desc = await asyncio.wait_for(
            catch_activity(
                client,
                peer_task_queue,
                tq,
                "big",
                start_to_close_ms=30000,
                retry_max_attempts=3,
            ),
            25,
        )
        took = time.monotonic() - t0
    assert desc["type"] == "ActivityError"
    cause = desc["cause"]
    assert cause["type"] == cause_type, cause
    assert desc["retry_state"] == "NON_RETRYABLE_FAILURE"  # 3 attempts allowed, 1 made
    assert took < 20  # not the 30 s start-to-close, nor 3 attempts
    if failure_type is not None:
        assert cause["failure_type"] == failure_type
        assert cause["non_retryable"] is True
        assert "bytes serialized) is larger than the server accepts" in cause["message"]
    else:
        assert "size limit" in cause["message"]


# ---- a server restart ---------------------------------------------------------------------


class _RestartableServer:
    """A dev server with a database file, killed with SIGKILL and started
    again on the same port."""

    def __init__(self) -> None:
        self.dir = tempfile.TemporaryDirectory()
        self.db = os.path.join(self.dir.name, "temporal.db")
        self.port = free_port()
        self.target = f"127.0.0.1:{self.port}"
        self.proc: Optional[subprocess.Popen] = None
        self.http_port = free_port()
        self.metrics_port = free_port()

    def start(self, timeout: float = 60.0) -> None:
        import socket

        self.proc = subprocess.Popen(
            [
                find_temporal_executable(),
                "server",
                "start-dev",
                "--headless",
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--http-port",
                str(self.http_port),
                "--metrics-port",
                str(self.metrics_port),
                "--db-filename",
                self.db,
                "--log-level",
                "error",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("the dev server did not listen")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def close(self) -> None:
        self.kill()
        self.dir.cleanup()


async def _first_poll_after(client: Client, tq: str, since: float) -> float:
    """Seconds from ``since`` until the server lists a poller of activity
    task queue ``tq`` (it forgets pollers when it restarts)."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    req = DescribeTaskQueueRequest(
        namespace="default",
        task_queue=TaskQueue(name=tq),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            resp = await client.service.describe_task_queue(req, timeout=timedelta(seconds=2))
            if resp.pollers:
                return time.monotonic() - since
        except Exception:  # the server is still starting
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the worker did not poll within 20 s of the server's restart")


async def test_a_server_restart_loses_no_result_and_polling_resumes() -> None:
    from tests.peer.peerhost import PeerHost

    server = _RestartableServer()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, server.start)
    peer_tq = f"peer-{uuid.uuid4()}"
    try:
        with PeerHost(server.target, "default", peer_tq):
            client = await Client.connect(server.target)
            tq = new_tq()
            started = asyncio.Event()
            runs: List[int] = []
            pings: List[float] = []

            async def slow() -> str:
                runs.append(activity.info().attempt)
                started.set()
                await asyncio.sleep(2)  # completes while the server is down
                return f"attempt {activity.info().attempt}"

            async def ping() -> str:
                pings.append(time.monotonic())
                return "pong"

            async with Worker(
                client, task_queue=tq, activities={"slow": slow, "ping": ping}
            ) as worker:
                handle = await start_activity_workflow(
                    client,
                    peer_tq,
                    "execute_activity",
                    tq,
                    "slow",
                    start_to_close_ms=30000,
                    retry_max_attempts=3,
                )
                await asyncio.wait_for(started.wait(), 30)
                await loop.run_in_executor(None, server.kill)
                await asyncio.sleep(5)
                assert worker.is_running  # still trying, not failed
                await loop.run_in_executor(None, server.start)
                back = time.monotonic()
                # The server knows a poller once one of its polls arrived.
                polled_after = await _first_poll_after(client, tq, back)
                # The completion made during the outage reached the server
                # once it was back: the activity did not run again.
                assert await asyncio.wait_for(handle.result(), 25) == "attempt 1"
                assert runs == [1]
                t0 = time.monotonic()
                assert (
                    await asyncio.wait_for(catch_activity(client, peer_tq, tq, "ping"), 20)
                    == "pong"
                )
                print(
                    f"\nrestart: first poll {polled_after:.2f} s after the server listened "
                    f"again; the result made during the outage delivered {t0 - back:.2f} s "
                    f"after; a new activity ran {pings[0] - back:.2f} s after"
                )
                assert worker.is_running
            await client.close()
    finally:
        await loop.run_in_executor(None, server.close)


async def test_shutdown_while_the_server_is_down_is_bounded() -> None:
    # A completion made while the server is down retries until its task's
    # deadline (here 60 s + 5 s); shutdown waits for it only a bounded time
    # (the cancel wait, 10 s), then gives it up.
    from tests.peer.peerhost import PeerHost

    server = _RestartableServer()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, server.start)
    peer_tq = f"peer-{uuid.uuid4()}"
    try:
        with PeerHost(server.target, "default", peer_tq):
            client = await Client.connect(server.target)
            tq = new_tq()
            started = asyncio.Event()
            release = asyncio.Event()

            async def held() -> str:
                started.set()
                await release.wait()
                return "done"

            worker = Worker(client, task_queue=tq, activities={"held": held})
            await worker.start()
            await start_activity_workflow(
                client, peer_tq, "execute_activity", tq, "held", start_to_close_ms=60000
            )
            await asyncio.wait_for(started.wait(), 30)
            await loop.run_in_executor(None, server.kill)
            release.set()  # its completion now retries against a server that is gone
            await asyncio.sleep(0.5)
            t0 = time.monotonic()
            await asyncio.wait_for(worker.shutdown(), 40)
            took = time.monotonic() - t0
            assert 5 < took < 25, f"shutdown took {took:.1f} s"
            await client.close()
    finally:
        await loop.run_in_executor(None, server.close)
