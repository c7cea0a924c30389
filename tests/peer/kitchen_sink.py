"""Peer worker hosting the ``KitchenSink`` workflow on the OFFICIAL Temporal SDK.

Runs ONLY inside the peer virtualenv (see ``scripts/peer-env``); never import it
from our own test process. Usage::

    <peer-python> tests/peer/kitchen_sink.py --target 127.0.0.1:PORT \\
        --namespace default --task-queue TQ

Prints ``PEER READY`` once the worker is polling; exits cleanly on SIGTERM/SIGINT.

The workflow input is ``{"actions": [ACTION, ...]}``; each action is a dict with
exactly one key, executed in order (see ``KitchenSink._run_action`` and
``tests/peer/README.md`` for the schema). Every action produces a value; the
workflow returns on ``result``/``return_*`` actions, or else with the value of
the last action.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextvars
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, NoReturn

from temporalio.api.common.v1 import Payload

from temporalio import workflow
from temporalio.client import Client
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    FailureError,
    TimeoutError,
)
from temporalio.worker import (
    ExecuteWorkflowInput,
    HandleQueryInput,
    HandleSignalInput,
    Interceptor,
    UnsandboxedWorkflowRunner,
    Worker,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

# Decoded headers of the inbound call (start, signal or query) being handled.
_INBOUND_HEADERS: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "kitchen_sink_inbound_headers", default=None
)


def inbound_headers() -> dict[str, Any]:
    """Headers of the start/signal/query currently being handled (a copy)."""
    return dict(_INBOUND_HEADERS.get() or {})


class _Return(Exception):
    """Internal control flow: stop executing actions and return ``value``."""

    def __init__(self, value: Any) -> None:
        super().__init__("return")
        self.value = value


def decode_headers(headers: Mapping[str, Payload]) -> dict[str, Any]:
    """Decode headers: JSON payloads to their value, null to None, else base64 data."""
    out: dict[str, Any] = {}
    for name, payload in headers.items():
        encoding = payload.metadata.get("encoding", b"")
        if encoding == b"json/plain":
            out[name] = json.loads(payload.data)
        elif encoding == b"binary/null":
            out[name] = None
        else:
            out[name] = base64.b64encode(payload.data).decode("ascii")
    return out


def describe_error(err: BaseException) -> dict[str, Any]:
    """JSON-compatible description of an exception and its ``__cause__`` chain."""
    desc: dict[str, Any] = {
        "type": type(err).__name__,
        "message": err.message if isinstance(err, FailureError) else str(err),
    }
    if isinstance(err, ApplicationError):
        desc["failure_type"] = err.type
        desc["details"] = list(err.details)
        desc["non_retryable"] = err.non_retryable
    elif isinstance(err, CancelledError):
        desc["details"] = list(err.details)
    elif isinstance(err, TimeoutError):
        desc["timeout_type"] = err.type.name if err.type is not None else None
        desc["heartbeat_details"] = list(err.last_heartbeat_details)
    elif isinstance(err, ActivityError):
        desc["activity_type"] = err.activity_type
        desc["retry_state"] = err.retry_state.name if err.retry_state else None
    if err.__cause__ is not None:
        desc["cause"] = describe_error(err.__cause__)
    return desc


def _ms(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(milliseconds=value)


@workflow.defn(name="KitchenSink")
class KitchenSink:
    """Workflow driven entirely by its input's list of actions."""

    def __init__(self) -> None:
        self._signals: list[dict[str, Any]] = []
        # Signals already consumed by ``await_signal``, per signal name.
        self._consumed: dict[str, int] = {}
        self._start_headers: dict[str, Any] = {}
        self._updates: list[dict[str, Any]] = []

    @workflow.run
    async def run(self, input: dict[str, Any] | None) -> Any:
        self._start_headers = inbound_headers()
        last: Any = None
        try:
            for action in (input or {}).get("actions") or []:
                last = await self._run_action(action, last)
        except _Return as ret:
            return ret.value
        return last

    @workflow.signal(dynamic=True)
    def on_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Record every signal, whatever its name, in arrival order."""
        converter = workflow.payload_converter()
        self._signals.append(
            {
                "name": name,
                "args": [converter.from_payload(a.payload) for a in args],
                "headers": inbound_headers(),
            }
        )

    @workflow.update(name="update")
    async def on_update(self, arg: dict[str, Any] | None) -> Any:
        """Update ``update``: ``{"await_signal": name}`` first waits for that
        signal (as the action does); then ``{"error": msg, "type": t?}``
        raises ``ApplicationError(msg, type=t)``, else returns ``value``.
        Every accepted update's argument is kept (query ``updates``)."""
        spec = arg or {}
        self._updates.append(spec)
        if spec.get("await_signal"):
            await self._await_signal(spec["await_signal"])
        if "error" in spec:
            raise ApplicationError(spec["error"], type=spec.get("type"))
        return spec.get("value")

    @on_update.validator
    def validate_update(self, arg: dict[str, Any] | None) -> None:
        """``{"reject": msg}`` is rejected with ``ValueError(msg)``."""
        if arg and "reject" in arg:
            raise ValueError(arg["reject"])

    @workflow.query(name="updates")
    def query_updates(self) -> list[dict[str, Any]]:
        return self._updates

    @workflow.query(name="signals")
    def query_signals(self) -> list[dict[str, Any]]:
        return self._signals

    @workflow.query(name="headers")
    def query_headers(self) -> dict[str, Any]:
        return self._start_headers

    @workflow.query(name="query_headers")
    def query_own_headers(self) -> dict[str, Any]:
        """Headers sent with this very query."""
        return inbound_headers()

    async def _run_action(self, action: dict[str, Any], last: Any) -> Any:
        if len(action) != 1:
            raise ApplicationError(f"action must have exactly one key: {action!r}")
        ((kind, spec),) = action.items()
        if kind == "result":
            raise _Return(spec.get("value"))
        if kind == "return_last":
            raise _Return(last)
        if kind == "return_signals":
            raise _Return(self._signals)
        if kind == "error":
            raise ApplicationError(
                spec["message"],
                *(spec.get("details") or []),
                type=spec.get("type"),
                non_retryable=bool(spec.get("non_retryable")),
            )
        if kind == "continue_as_new":
            workflow.continue_as_new(spec.get("input") or {})
        if kind == "sleep":
            await asyncio.sleep(spec["millis"] / 1000)
            return None
        if kind == "query_handler":
            self._add_query_handler(spec)
            return None
        if kind == "await_signal":
            return await self._await_signal(spec["name"])
        if kind == "headers":
            return self._start_headers
        if kind == "execute_activity":
            return await self._execute_activities(spec)
        if kind == "catch_activity_error":
            try:
                return await self._execute_activities(spec)
            except ActivityError as err:
                return describe_error(err)
        raise ApplicationError(f"unknown action {kind!r}", type="UnknownAction")

    def _add_query_handler(self, spec: dict[str, Any]) -> None:
        if "error" in spec:
            message = str(spec["error"])

            def failing(*_args: Any) -> Any:
                raise ApplicationError(message)

            workflow.set_query_handler(spec["name"], failing)
        else:
            value = spec.get("value")
            workflow.set_query_handler(spec["name"], lambda *_args: value)

    async def _await_signal(self, name: str) -> list[Any]:
        """Wait for the next unconsumed signal called ``name``; return its args."""
        index = self._consumed.get(name, 0)

        def matching() -> list[dict[str, Any]]:
            return [s for s in self._signals if s["name"] == name]

        await workflow.wait_condition(lambda: len(matching()) > index)
        self._consumed[name] = index + 1
        args: list[Any] = matching()[index]["args"]
        return args

    async def _execute_activities(self, spec: dict[str, Any]) -> Any:
        count = spec.get("count") or 1
        if spec.get("concurrent", False):
            return list(await asyncio.gather(*(self._execute_activity(spec) for _ in range(count))))
        results = [await self._execute_activity(spec) for _ in range(count)]
        return results if count > 1 else results[0]

    async def _execute_activity(self, spec: dict[str, Any]) -> Any:
        retry: RetryPolicy | None = None
        if any(
            spec.get(k) is not None
            for k in (
                "retry_max_attempts",
                "retry_initial_interval_ms",
                "non_retryable_error_types",
            )
        ):
            retry = RetryPolicy(
                maximum_attempts=spec.get("retry_max_attempts") or 0,
                initial_interval=_ms(spec.get("retry_initial_interval_ms")) or timedelta(seconds=1),
                non_retryable_error_types=spec.get("non_retryable_error_types"),
            )
        start_to_close = _ms(spec.get("start_to_close_ms"))
        schedule_to_close = _ms(spec.get("schedule_to_close_ms"))
        if start_to_close is None and schedule_to_close is None:
            start_to_close = timedelta(seconds=30)
        handle = workflow.start_activity(
            spec["name"],
            args=list(spec.get("args") or []),
            task_queue=spec.get("task_queue"),
            schedule_to_close_timeout=schedule_to_close,
            start_to_close_timeout=start_to_close,
            schedule_to_start_timeout=_ms(spec.get("schedule_to_start_ms")),
            heartbeat_timeout=_ms(spec.get("heartbeat_timeout_ms")),
            retry_policy=retry,
            cancellation_type=(
                workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
                if spec.get("wait_for_cancellation", False)
                else workflow.ActivityCancellationType.TRY_CANCEL
            ),
        )
        cancel_after = spec.get("cancel_after_ms")
        if cancel_after is not None:
            await asyncio.sleep(cancel_after / 1000)
            handle.cancel()
        return await handle


class _HeaderCapture(WorkflowInboundInterceptor):
    """Expose each inbound call's decoded headers through ``_INBOUND_HEADERS``."""

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        _INBOUND_HEADERS.set(decode_headers(input.headers))
        return await self.next.execute_workflow(input)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        _INBOUND_HEADERS.set(decode_headers(input.headers))
        return await self.next.handle_signal(input)

    async def handle_query(self, input: HandleQueryInput) -> Any:
        _INBOUND_HEADERS.set(decode_headers(input.headers))
        return await self.next.handle_query(input)


class HeaderCaptureInterceptor(Interceptor):
    """Worker interceptor installing :class:`_HeaderCapture` on every workflow."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _HeaderCapture


async def serve_worker(target: str, namespace: str, task_queue: str, **worker_options: Any) -> None:
    """Run an (unsandboxed) worker with ``worker_options`` until
    SIGTERM/SIGINT; print ``PEER READY`` once it polls."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    client = await Client.connect(target, namespace=namespace)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflow_runner=UnsandboxedWorkflowRunner(),
        **worker_options,
    )
    run_task = asyncio.create_task(worker.run())
    # ``is_running`` flips once the namespace is validated and pollers start.
    while not worker.is_running:
        if run_task.done():
            await run_task  # re-raise the startup failure
            raise RuntimeError("worker stopped before it started polling")
        await asyncio.sleep(0.05)
    print("PEER READY", flush=True)

    stop_task = asyncio.create_task(stop.wait())
    await asyncio.wait({run_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    stop_task.cancel()
    await worker.shutdown()
    await run_task


async def serve(target: str, namespace: str, task_queue: str) -> None:
    """Run the KitchenSink worker until SIGTERM/SIGINT."""
    await serve_worker(
        target,
        namespace,
        task_queue,
        workflows=[KitchenSink],
        interceptors=[HeaderCaptureInterceptor()],
    )


def hard_exit(code: int) -> NoReturn:
    """Exit without interpreter finalization.

    The SDK core's native threads can race CPython finalization and abort the
    process ("PyGILState_Release ... must be current", temporalio/sdk-python#300),
    so after a clean shutdown we flush and skip finalization entirely.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run_main(
    serve: Callable[[str, str, str], Awaitable[None]],
    description: str,
    argv: Sequence[str] | None = None,
) -> NoReturn:
    """The command line of a peer host (``--target``, ``--namespace``,
    ``--task-queue``): ``serve`` them, then :func:`hard_exit`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--target", required=True, help="host:port of the server")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.target, args.namespace, args.task_queue))
    hard_exit(0)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run_main(serve, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
