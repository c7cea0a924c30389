"""Prove that every KitchenSink action works, using only the OFFICIAL SDK.

Run with the peer interpreter against a running dev server::

    $(scripts/peer-env | tail -n1) tests/peer/selfcheck.py --target 127.0.0.1:PORT

Starts the kitchen sink through :class:`peerhost.PeerHost`, runs activity workers
(``echo``, ``fail``, ``wait_cancel``, ``stall``) on its task queue and on a second
one, drives one workflow per check, prints ``N passed, M failed``, and exits
non-zero on any failure.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType

from temporalio import activity
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    QueryWorkflowInput,
    SignalWorkflowInput,
    StartWorkflowInput,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from temporalio.converter import default as default_converter
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import Worker

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kitchen_sink import hard_exit  # noqa: E402
from peerhost import WORKFLOW_TYPE, PeerHost, actions  # noqa: E402

HEADER_NAME = "peer-selfcheck"
HEADER_VALUE = {"hello": "world"}

# Activity bookkeeping, read by the checks.
attempts: dict[str, int] = {}
cancel_cleanups: list[str] = []


@activity.defn(name="echo")
async def echo(arg: Any) -> Any:
    return arg


@activity.defn(name="fail")
async def fail(key: str, non_retryable: bool) -> None:
    attempts[key] = activity.info().attempt
    raise ApplicationError(
        f"failed {key}", {"k": 1}, "d2", type="MyFailure", non_retryable=non_retryable
    )


@activity.defn(name="wait_cancel")
async def wait_cancel(key: str) -> None:
    """Heartbeat until cancelled, then take 300 ms to clean up."""
    try:
        while True:
            activity.heartbeat(key)
            await asyncio.sleep(0.1)
    except asyncio.CancelledError:
        await asyncio.sleep(0.3)
        cancel_cleanups.append(key)
        raise


@activity.defn(name="stall")
async def stall(detail: str) -> None:
    """Heartbeat once, then stop heartbeating (to trigger a heartbeat timeout)."""
    activity.heartbeat(detail)
    await asyncio.sleep(3)


class _HeaderOutbound(OutboundInterceptor):
    def _payload(self) -> Payload:
        return default_converter().payload_converter.to_payloads([HEADER_VALUE])[0]

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        input.headers = {**input.headers, HEADER_NAME: self._payload()}
        return await self.next.start_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        input.headers = {**input.headers, HEADER_NAME: self._payload()}
        await self.next.signal_workflow(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        input.headers = {**input.headers, HEADER_NAME: self._payload()}
        return await self.next.query_workflow(input)


class HeaderInterceptor(Interceptor):
    """Client interceptor adding a JSON header to starts, signals and queries."""

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _HeaderOutbound(next)


def expect(actual: Any, expected: Any, what: str = "value") -> None:
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


class SelfCheck:
    """One method per check; each drives one or more KitchenSink workflows."""

    def __init__(self, client: Client, header_client: Client, tq: str, other_tq: str):
        self.client = client
        self.header_client = header_client
        self.tq = tq
        self.other_tq = other_tq

    async def start(
        self, *acts: dict[str, Any], client: Client | None = None
    ) -> WorkflowHandle[Any, Any]:
        return await (client or self.client).start_workflow(
            WORKFLOW_TYPE,
            actions(*acts),
            id=f"selfcheck-{uuid.uuid4()}",
            task_queue=self.tq,
            execution_timeout=timedelta(seconds=60),
        )

    async def run(self, *acts: dict[str, Any]) -> Any:
        return await (await self.start(*acts)).result()

    async def failure(self, *acts: dict[str, Any]) -> BaseException:
        """Run a workflow expected to fail; return the failure's cause."""
        try:
            result = await self.run(*acts)
        except WorkflowFailureError as err:
            assert err.cause is not None
            return err.cause
        raise AssertionError(f"workflow unexpectedly returned {result!r}")

    @staticmethod
    async def query_when_ready(handle: WorkflowHandle[Any, Any], name: str) -> Any:
        """Query, retrying while the handler may not be registered yet (5 s)."""
        deadline = time.monotonic() + 5
        while True:
            try:
                return await handle.query(name)
            except WorkflowQueryFailedError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)

    async def check_update(self) -> None:
        handle = await self.start({"await_signal": {"name": "finish"}}, {"return_last": {}})
        expect(await handle.execute_update("update", {"value": [1, "x"]}), [1, "x"])
        try:
            await handle.execute_update("update", {"error": "bad", "type": "T"})
            raise AssertionError("the failing update returned")
        except WorkflowUpdateFailedError as err:
            expect(type(err.cause).__name__, "ApplicationError", "handler failure cause")
            expect((err.cause.message, err.cause.type), ("bad", "T"), "handler failure")
        try:
            await handle.execute_update("update", {"reject": "no"})
            raise AssertionError("the rejected update returned")
        except WorkflowUpdateFailedError as err:
            expect((err.cause.message, err.cause.type), ("no", "ValueError"), "rejection")
        waiting = await handle.start_update(
            "update",
            {"await_signal": "go", "value": 2},
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
        await handle.signal("go")
        expect(await waiting.result(), 2, "update after its signal")
        expect(
            await handle.query("updates"),
            [
                {"value": [1, "x"]},
                {"error": "bad", "type": "T"},
                {"await_signal": "go", "value": 2},
            ],
            "accepted updates",
        )
        await handle.signal("finish", 3)
        expect(await handle.result(), [3], "workflow result after updates")

    async def check_result(self) -> None:
        value = {"x": [1, "two", None, 3.5, True]}
        expect(await self.run({"result": {"value": value}}), value)
        expect(await self.run(), None, "empty actions")

    async def check_error(self) -> None:
        cause = await self.failure(
            {
                "error": {
                    "message": "boom",
                    "type": "Custom",
                    "details": [1, {"a": "b"}],
                    "non_retryable": True,
                }
            }
        )
        assert isinstance(cause, ApplicationError), repr(cause)
        expect(
            (cause.message, cause.type, list(cause.details), cause.non_retryable),
            ("boom", "Custom", [1, {"a": "b"}], True),
        )
        cause = await self.failure({"error": {"message": "plain"}})
        assert isinstance(cause, ApplicationError), repr(cause)
        expect((cause.message, cause.type, list(cause.details)), ("plain", None, []))

    async def check_continue_as_new(self) -> None:
        handle = await self.start(
            {"continue_as_new": {"input": actions({"result": {"value": "second run"}})}}
        )
        expect(await handle.result(), "second run")
        first = self.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
        expect(
            (await first.describe()).status,
            WorkflowExecutionStatus.CONTINUED_AS_NEW,
            "first run status",
        )

    async def check_sleep(self) -> None:
        started = time.monotonic()
        handle = await self.start({"sleep": {"millis": 1500}})
        expect(await handle.result(), None)
        elapsed = time.monotonic() - started
        assert elapsed >= 1.4, f"slept only {elapsed:.2f}s"
        timers = [
            e
            async for e in handle.fetch_history_events()
            if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED
        ]
        expect(len(timers), 1, "timers started")

    async def check_query_handlers(self) -> None:
        handle = await self.start(
            {"query_handler": {"name": "q1", "value": {"answer": 42}}},
            {"query_handler": {"name": "bad", "error": "query exploded"}},
            {"await_signal": {"name": "finish"}},
            {"result": {"value": "done"}},
        )
        expect(await self.query_when_ready(handle, "q1"), {"answer": 42}, "q1")
        expect(await handle.query("q1", "ignored-arg"), {"answer": 42}, "q1 with arg")
        for name, fragment in (("bad", "query exploded"), ("nope", "nope")):
            try:
                await handle.query(name)
                raise AssertionError(f"query {name!r} should fail")
            except WorkflowQueryFailedError as err:
                assert fragment in str(err), f"query {name!r}: {err}"
        expect(await handle.query("signals"), [], "signals before any")
        await handle.signal("finish")
        expect(await handle.result(), "done")

    async def check_signals(self) -> None:
        handle = await self.start(
            {"await_signal": {"name": "a"}},
            {"await_signal": {"name": "b"}},
            {"await_signal": {"name": "a"}},
            {"return_last": {}},
        )
        await handle.signal("b", args=[1, 2])
        await handle.signal("a", "x")
        await handle.signal("a", args=[{"second": True}])
        expect(await handle.result(), [{"second": True}], "second 'a' signal args")

        handle = await self.start({"await_signal": {"name": "go"}}, {"return_signals": {}})
        await handle.signal("other", args=["o", 1])
        await handle.signal("go")
        expected = [
            {"name": "other", "args": ["o", 1], "headers": {}},
            {"name": "go", "args": [], "headers": {}},
        ]
        expect(await handle.result(), expected, "recorded signals")
        expect(await handle.query("signals"), expected, "signals query after close")

    async def check_execute_activity(self) -> None:
        act = {"name": "echo", "args": [{"v": 1}]}
        expect(await self.run({"execute_activity": act}), {"v": 1}, "single")
        expect(
            await self.run({"execute_activity": {**act, "count": 3}}),
            [{"v": 1}] * 3,
            "count",
        )
        expect(
            await self.run({"execute_activity": {**act, "count": 3, "concurrent": True}}),
            [{"v": 1}] * 3,
            "concurrent",
        )
        expect(
            await self.run({"execute_activity": {**act, "concurrent": True}}),
            [{"v": 1}],
            "concurrent x1",
        )
        other = {**act, "task_queue": self.other_tq, "schedule_to_close_ms": 5000}
        expect(await self.run({"execute_activity": other}), {"v": 1}, "other task queue")
        cause = await self.failure(
            {"execute_activity": {"name": "fail", "args": ["uncaught", True]}}
        )
        assert isinstance(cause, ActivityError), repr(cause)
        assert isinstance(cause.cause, ApplicationError), repr(cause.cause)
        expect((cause.cause.message, cause.cause.type), ("failed uncaught", "MyFailure"))

    async def check_catch_activity_error(self) -> None:
        value = await self.run({"catch_activity_error": {"name": "fail", "args": ["nr", True]}})
        expect(value["type"], "ActivityError", "type")
        expect(value["activity_type"], "fail", "activity_type")
        expect(
            value["cause"],
            {
                "type": "ApplicationError",
                "message": "failed nr",
                "failure_type": "MyFailure",
                "details": [{"k": 1}, "d2"],
                "non_retryable": True,
            },
            "cause",
        )
        retry = {"retry_max_attempts": 2, "retry_initial_interval_ms": 100}
        await self.run(
            {
                "catch_activity_error": {
                    "name": "fail",
                    "args": ["retry2", False],
                    **retry,
                }
            }
        )
        expect(attempts.get("retry2"), 2, "attempts with max 2")
        await self.run(
            {
                "catch_activity_error": {
                    "name": "fail",
                    "args": ["nrtypes", False],
                    **retry,
                    "non_retryable_error_types": ["MyFailure"],
                }
            }
        )
        expect(attempts.get("nrtypes"), 1, "attempts with non-retryable type")
        expect(
            await self.run({"catch_activity_error": {"name": "echo", "args": [7]}}),
            7,
            "success passes through",
        )

    async def check_timeouts(self) -> None:
        value = await self.run(
            {
                "catch_activity_error": {
                    "name": "stall",
                    "args": ["hb-detail"],
                    "heartbeat_timeout_ms": 1000,
                    "retry_max_attempts": 1,
                }
            }
        )
        cause = value["cause"]
        expect(
            (cause["type"], cause["timeout_type"], cause["heartbeat_details"]),
            ("TimeoutError", "HEARTBEAT", ["hb-detail"]),
        )
        value = await self.run(
            {
                "catch_activity_error": {
                    "name": "echo",
                    "args": [1],
                    "task_queue": "selfcheck-nobody",
                    "schedule_to_start_ms": 500,
                }
            }
        )
        expect(
            (value["cause"]["type"], value["cause"]["timeout_type"]),
            ("TimeoutError", "SCHEDULE_TO_START"),
        )

    async def check_cancel(self) -> None:
        for wait in (True, False):
            key = f"cancel-wait-{wait}"
            value = await self.run(
                {
                    "catch_activity_error": {
                        "name": "wait_cancel",
                        "args": [key],
                        "heartbeat_timeout_ms": 1000,
                        "cancel_after_ms": 500,
                        "wait_for_cancellation": wait,
                    }
                }
            )
            expect(
                (value["type"], value["cause"]["type"]),
                ("ActivityError", "CancelledError"),
                key,
            )
            if wait:
                assert key in cancel_cleanups, "workflow finished before activity cleanup"
        await asyncio.sleep(1)
        expect(
            sorted(cancel_cleanups),
            ["cancel-wait-False", "cancel-wait-True"],
            "activities cancelled",
        )

    async def check_headers(self) -> None:
        handle = await self.start(
            {"await_signal": {"name": "s"}}, {"headers": {}}, client=self.header_client
        )
        expect(
            await self.query_when_ready(handle, "headers"),
            {HEADER_NAME: HEADER_VALUE},
            "headers query",
        )
        expect(
            await handle.query("query_headers"),
            {HEADER_NAME: HEADER_VALUE},
            "query's own headers",
        )
        await handle.signal("s", 1)
        expect(await handle.result(), {HEADER_NAME: HEADER_VALUE}, "headers action")
        expect(
            await handle.query("signals"),
            [{"name": "s", "args": [1], "headers": {HEADER_NAME: HEADER_VALUE}}],
            "signal headers",
        )
        expect(await self.run({"headers": {}}), {}, "no headers without interceptor")


async def main_async(target: str, namespace: str) -> int:
    # Expected activity failures would otherwise log a traceback each.
    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)
    client = await Client.connect(target, namespace=namespace)
    config = client.config()
    config["interceptors"] = [HeaderInterceptor()]
    header_client = Client(**config)
    suffix = uuid.uuid4().hex[:8]
    tq, other_tq = f"selfcheck-{suffix}", f"selfcheck-other-{suffix}"
    acts: list[Callable[..., Any]] = [echo, fail, wait_cancel, stall]
    passed = failed = 0
    os.environ.setdefault("TEMPORALIO_PEER_PYTHON", sys.executable)
    host = PeerHost(target, namespace, tq)
    host.start()
    try:
        async with (
            Worker(client, task_queue=tq, activities=acts),
            Worker(client, task_queue=other_tq, activities=acts),
        ):
            checks = SelfCheck(client, header_client, tq, other_tq)
            for name in sorted(n for n in dir(checks) if n.startswith("check_")):
                check: Callable[[], Awaitable[None]] = getattr(checks, name)
                try:
                    await asyncio.wait_for(check(), timeout=60)
                    passed += 1
                    print(f"PASS {name}", flush=True)
                except Exception:
                    failed += 1
                    print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
    finally:
        host.stop()
    clean_exit = host.returncode == 0
    print(f"{'PASS' if clean_exit else 'FAIL'} peer_clean_exit (code {host.returncode})")
    passed, failed = passed + clean_exit, failed + (not clean_exit)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description="KitchenSink peer self-check")
    parser.add_argument("--target", required=True)
    parser.add_argument("--namespace", default="default")
    args = parser.parse_args()
    hard_exit(asyncio.run(main_async(args.target, args.namespace)))


if __name__ == "__main__":
    main()
