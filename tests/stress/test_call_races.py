"""Races of calls with cancellation and close, on one client, with random
timing: cancel at every point of a call's life (before it is sent, in
flight, waiting to retry, as it completes), close during every phase, many
threads each with its own event loop on one client. The assertions are that
every call ends with a result or an error that fits, promptly, and that the
process survives (under ASan/UBSan: without a report)."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from typing import Any, List

import pytest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

from temporalio import _bridge
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

pytestmark = pytest.mark.timeout(120)

GET_SYSTEM_INFO = "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo"
DESCRIBE_NS = "/temporal.api.workflowservice.v1.WorkflowService/DescribeNamespace"
NS_REQ = DescribeNamespaceRequest(namespace="default").SerializeToString()


def closed(e: BaseException) -> bool:
    """An error that a close of the client may give a call."""
    if isinstance(e, RPCError):
        return e.status == RPCStatusCode.CANCELLED
    return isinstance(e, _bridge.CoreError) and "closed" in str(e)


async def test_cancel_during_retry_backoff_on_a_rate_limited_server(limited_target: str) -> None:
    """The issue's reproduction: wait_for(describe_namespace, 0.3) in a loop
    against a namespace limited to 2 requests per second. Calls are rejected
    RESOURCE_EXHAUSTED and wait (1 s and more) to retry; the timeout cancels
    them there. Timeouts from 0.02 to 0.6 s move the cancel over the whole
    call: before sending, in flight, in the backoff."""
    client = await Client.connect(limited_target)
    req = DescribeNamespaceRequest(namespace="default")
    rng = random.Random(13)
    outcomes = {"ok": 0, "timeout": 0, "exhausted": 0}
    for _ in range(40):
        try:
            await asyncio.wait_for(client.service.describe_namespace(req), rng.uniform(0.02, 0.6))
            outcomes["ok"] += 1
        except asyncio.TimeoutError:
            outcomes["timeout"] += 1
        except RPCError as e:
            assert e.status == RPCStatusCode.RESOURCE_EXHAUSTED, e
            outcomes["exhausted"] += 1
    print("outcomes", outcomes)
    assert outcomes["timeout"] > 0 and outcomes["ok"] > 0
    await client.close()


async def test_close_while_calls_wait_to_retry(limited_target: str) -> None:
    """50 calls at once on the rate-limited server: most wait to retry when
    the client is closed. Every one ends CANCELLED (or with its answer), at
    once, not after its backoff."""
    for delay in (0.0, 0.05, 0.3, 1.2):
        client = await Client.connect(limited_target)
        sc = client.service_client
        tasks = [asyncio.ensure_future(sc.call_raw(DESCRIBE_NS, NS_REQ)) for _ in range(50)]
        await asyncio.sleep(delay)
        await client.close()
        t0 = time.monotonic()
        done = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
        assert time.monotonic() - t0 < 5
        for r in done:
            assert isinstance(r, bytes) or closed(r), repr(r)
        assert sum(1 for r in done if not isinstance(r, bytes)) > 0


async def test_cancel_at_every_point_of_a_call(server_target: str) -> None:
    """2,000 calls, each cancelled after a random delay of 0-3 ms (or via a
    task cancelled before it ran, or not at all): the cancel meets the call
    before it starts, in flight, and as it completes."""
    client = await Client.connect(server_target)
    sc = client.service_client
    rng = random.Random(7)
    tasks = []
    for i in range(2000):
        t = asyncio.ensure_future(sc.call_raw(GET_SYSTEM_INFO, b""))
        mode = i % 4
        if mode == 0:
            t.cancel()  # before the task ran: no core call at all
        elif mode == 1:
            await asyncio.sleep(0)
            t.cancel()  # right after the core call started
        elif mode == 2:
            loop = asyncio.get_running_loop()
            loop.call_later(rng.uniform(0, 0.003), t.cancel)
        tasks.append(t)
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)
    completed = sum(1 for r in results if isinstance(r, bytes))
    cancelled = sum(1 for r in results if isinstance(r, asyncio.CancelledError))
    assert completed + cancelled == len(results), [
        r for r in results if not isinstance(r, (bytes, asyncio.CancelledError))
    ][:3]
    assert completed > 0 and cancelled > 0
    # The client still works.
    assert isinstance(await sc.call_raw(GET_SYSTEM_INFO, b""), bytes)
    await client.close()


async def test_close_with_thousands_of_calls_in_flight(server_target: str) -> None:
    """Thousands of calls in flight, then ``await client.close()`` on the
    same loop: each ends with its answer or CANCELLED; later calls fail
    cleanly."""
    for n, delay in ((3000, 0.0), (3000, 0.01), (1000, 0.05)):
        client = await Client.connect(server_target)
        sc = client.service_client
        tasks = [asyncio.ensure_future(sc.call_raw(GET_SYSTEM_INFO, b"")) for _ in range(n)]
        await asyncio.sleep(delay)
        await client.close()
        results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)
        bad = [r for r in results if not (isinstance(r, bytes) or closed(r))]
        assert not bad, bad[:3]
        with pytest.raises(Exception) as info:
            await sc.call_raw(GET_SYSTEM_INFO, b"")
        assert closed(info.value)
        sc.close()  # a second close does nothing


def run_loop_thread(target_fn: Any, errors: List[BaseException]) -> threading.Thread:
    def main() -> None:
        try:
            asyncio.run(target_fn())
        except BaseException as e:  # noqa: BLE001 - reported to the test
            errors.append(e)

    t = threading.Thread(target=main, daemon=True)
    t.start()
    return t


async def test_many_threads_and_loops_on_one_client_while_one_closes(server_target: str) -> None:
    """4 threads, each with its own event loop, call on one client (a third
    of the calls with a 2 ms timeout, so cancelled at random points) while a
    fifth thread closes it after a random delay. Every thread ends; every
    call ends with an answer, a cancel, or 'closed'."""
    rng = random.Random(3)
    rounds = 6
    for r in range(rounds):
        client = await Client.connect(server_target)
        sc = client.service_client
        errors: List[BaseException] = []
        stats = {"ok": 0, "closed": 0}
        lock = threading.Lock()

        async def caller(sc: Any = sc) -> None:  # this round's client
            for i in range(100000):  # until the close ends it
                coro = sc.call_raw(GET_SYSTEM_INFO, b"")
                try:
                    if i % 3 == 0:
                        await asyncio.wait_for(coro, 0.002)
                    else:
                        await coro
                    with lock:
                        stats["ok"] += 1
                except asyncio.TimeoutError:
                    pass
                except Exception as e:  # noqa: BLE001
                    assert closed(e), repr(e)
                    with lock:
                        stats["closed"] += 1
                    if isinstance(e, _bridge.CoreError):
                        return  # refused: the client is closed for good

        threads = [run_loop_thread(caller, errors) for _ in range(4)]
        time.sleep(rng.uniform(0.0, 0.4))
        closer = threading.Thread(target=sc.close)
        closer.start()
        closer.join(10)
        for t in threads:
            t.join(60)
            assert not t.is_alive()
        assert not errors, errors[:3]
        assert stats["closed"] > 0, stats
        del sc, client


async def test_raw_calls_on_one_thread_while_another_closes(server_target: str) -> None:
    """The bridge directly: one thread starts calls as fast as it can
    (releasing the GIL in each) while another closes the client: a call
    after the close raises CoreError, none reads freed memory."""
    from temporalio.service import _notifier

    for r in range(10):
        client = await Client.connect(server_target)
        core = client.service_client._core
        loop = asyncio.get_running_loop()
        n = _notifier(loop)
        started: List[Any] = []
        refused: List[BaseException] = []
        stop = threading.Event()

        def spin() -> None:
            while not stop.is_set():
                fut = loop.create_future()
                try:
                    started.append((core.call(GET_SYSTEM_INFO, b"", fut, n, 0, True, None), fut))
                except _bridge.CoreError as e:
                    refused.append(e)
                    if len(refused) > 20:
                        return

        t = threading.Thread(target=spin, daemon=True)
        t.start()
        await asyncio.sleep(0.002 * r)
        await asyncio.to_thread(core.close)
        t.join(20)
        stop.set()
        assert refused, "no call was refused after the close"
        futs = [f for _, f in started]
        await asyncio.wait_for(asyncio.gather(*futs), 30)
        for f in futs:
            res = f.result()
            assert isinstance(res, bytes) or res[0] == RPCStatusCode.CANCELLED, res


async def test_cancel_and_close_at_every_point_of_a_retrying_call() -> None:
    """A port nothing listens on: every attempt fails UNAVAILABLE at once and
    is retried after 5-10 ms. 600 calls cancelled after 0-30 ms (before an
    attempt, in one, or in a backoff), then the client closed with 200 more
    in their backoffs: each ends CANCELLED, none is left hanging."""
    import socket

    from temporalio.service import RetryConfig

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    client = await Client.connect(
        f"127.0.0.1:{port}",
        lazy=True,
        retry_config=RetryConfig(
            initial_interval_millis=5,
            max_interval_millis=10,
            max_elapsed_time_millis=None,
            max_retries=100000,
        ),
    )
    sc = client.service_client
    rng = random.Random(5)
    loop = asyncio.get_running_loop()
    tasks = []
    for i in range(600):
        t = asyncio.ensure_future(sc.call_raw(GET_SYSTEM_INFO, b""))
        loop.call_later(rng.uniform(0, 0.03), t.cancel)
        tasks.append(t)
        if i % 50 == 0:
            await asyncio.sleep(0.01)
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
    assert all(isinstance(r, asyncio.CancelledError) for r in results), [
        r for r in results if not isinstance(r, asyncio.CancelledError)
    ][:3]
    pending = [asyncio.ensure_future(sc.call_raw(GET_SYSTEM_INFO, b"")) for _ in range(200)]
    await asyncio.sleep(0.05)
    await client.close()
    results = await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), 30)
    assert all(closed(r) for r in results), [r for r in results if not closed(r)][:3]
