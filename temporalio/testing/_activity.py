"""Run activity code outside a worker: :class:`ActivityEnvironment`."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional, Set

import temporalio.activity as _act
import temporalio.exceptions as _exc

__all__ = ["ActivityEnvironment"]


class ActivityEnvironment:
    """Runs activity functions (or any code) in an activity context, so that
    :mod:`temporalio.activity` works as in a worker::

        env = ActivityEnvironment()
        env.info = dataclasses.replace(env.info, attempt=3)
        env.on_heartbeat = lambda *details: seen.append(details)
        assert await env.run(my_async_activity, "arg") == ...
        assert env.run(my_sync_activity, "arg") == ...

    Attributes:
        info: what :func:`temporalio.activity.info` returns (default
            :meth:`default_info`; change it with :func:`dataclasses.replace`).
            Its ``cancelled`` / ``cancellation`` follow :meth:`cancel`.
        on_heartbeat: called with the details of each
            :func:`temporalio.activity.heartbeat`, on the activity's thread.
        client: what :func:`temporalio.activity.client` returns in ``async
            def`` activities run here (the ``client`` argument; None: it raises
            RuntimeError, as in the official SDK).
        payload_converter: what :func:`temporalio.activity.payload_converter`
            returns (default: the default data converter's).

    :meth:`run` of an async function returns a coroutine to await (the
    activity runs as its own task, which :meth:`cancel` cancels: the
    activity sees ``asyncio.CancelledError``). A sync function runs in the
    calling thread at once; after :meth:`cancel` (from another thread) its
    next ``heartbeat()`` raises :class:`temporalio.exceptions.CancelledError`,
    as in a worker's thread pool. :meth:`worker_shutdown` sets what
    :func:`temporalio.activity.is_worker_shutdown` reports. Both affect the
    activities running now and those run later.
    """

    def __init__(self, client: Optional[Any] = None) -> None:
        self.info: _act.Info = ActivityEnvironment.default_info()
        self.client: Optional[Any] = client
        """What :func:`temporalio.activity.client` returns in async activities
        run here (the official SDK's ``client`` argument); None: it raises."""
        self.on_heartbeat: Callable[..., None] = lambda *details: None
        from temporalio.converter import DataConverter, PayloadConverter

        self.payload_converter: PayloadConverter = DataConverter.default.payload_converter
        self._cancel_reason: Optional[str] = None
        self._shutdown = False
        self._lock = threading.Lock()
        self._running: Set[_EnvActivity] = set()

    @staticmethod
    def default_info() -> _act.Info:
        """The info activities see unless :attr:`info` is changed (the same
        defaults as the official SDK's environment)."""
        zero = datetime.fromtimestamp(0, timezone.utc)
        return _act.Info(
            activity_id="test",
            activity_type="unknown",
            attempt=1,
            current_attempt_scheduled_time=zero,
            heartbeat_details=[],
            heartbeat_timeout=None,
            is_local=False,
            namespace="default",
            schedule_to_close_timeout=timedelta(seconds=1),
            scheduled_time=zero,
            start_to_close_timeout=timedelta(seconds=1),
            started_time=zero,
            task_queue="test",
            task_token=b"test",
            workflow_id="test",
            workflow_namespace="default",
            workflow_run_id="test-run",
            workflow_type="test",
        )

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancel_reason is not None

    def cancel(self, reason: str = "cancel_requested") -> None:
        """Cancel the running activities (and any run later), as a worker
        would when the server asks; ``reason`` is what
        ``info().cancellation`` resolves to. Any thread; only the first call
        counts."""
        with self._lock:
            if self._cancel_reason is not None:
                return
            self._cancel_reason = reason
            running = list(self._running)
        for a in running:
            a.cancel(reason)

    def worker_shutdown(self) -> None:
        """Tell the running activities (and any run later) that the worker
        shuts down. Any thread; only the first call counts."""
        with self._lock:
            if self._shutdown:
                return
            self._shutdown = True
            running = list(self._running)
        for a in running:
            a.shutdown.set("worker_shutdown")

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` in an activity context: returns its
        result (sync functions) or a coroutine giving it (async functions)."""
        a = _EnvActivity(self, fn)
        if a.is_async:
            return a.run_async(args, kwargs)
        return a.run_sync(args, kwargs)


class _EnvActivity:
    """One :meth:`ActivityEnvironment.run`."""

    def __init__(self, env: ActivityEnvironment, fn: Callable[..., Any]) -> None:
        self.env = env
        self.fn = fn
        self.is_async = _act._is_async_callable(fn)
        self.cancel_flag = _act._Flag()
        self.shutdown = _act._Flag()
        self.task: Optional[asyncio.Task] = None
        self.loop: Optional[asyncio.AbstractEventLoop] = None

    def _context(self) -> _act._Context:
        return _act._Context(
            info=dataclasses.replace(self.env.info, _cancel=self.cancel_flag),
            heartbeat=self._heartbeat,
            cancel=self.cancel_flag,
            worker_shutdown=self.shutdown,
            is_async=self.is_async,
            client=self.env.client if self.is_async else None,
            payload_converter_source=self.env.payload_converter,
        )

    def _heartbeat(self, *details: Any) -> None:
        if not self.is_async and self.cancel_flag.is_set():
            raise _exc.CancelledError(f"Cancelled ({self.cancel_flag.reason})")
        self.env.on_heartbeat(*details)

    def _enter(self) -> None:
        env = self.env
        with env._lock:
            env._running.add(self)
            reason, shutdown = env._cancel_reason, env._shutdown
        if shutdown:
            self.shutdown.set("worker_shutdown")
        if reason is not None:
            self.cancel_flag.set(reason)

    def _leave(self) -> None:
        with self.env._lock:
            self.env._running.discard(self)

    def cancel(self, reason: str) -> None:
        self.cancel_flag.set(reason)
        task, loop = self.task, self.loop
        if task is None or loop is None:
            return  # sync: seen at its next heartbeat() and in is_cancelled()
        if asyncio._get_running_loop() is loop:
            task.cancel()
        else:
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:  # its loop is closed: it is over
                pass

    def run_sync(self, args: Any, kwargs: Any) -> Any:
        token = _act._current.set(self._context())
        self._enter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self._leave()
            _act._current.reset(token)

    async def run_async(self, args: Any, kwargs: Any) -> Any:
        self.loop = asyncio.get_running_loop()
        token = _act._current.set(self._context())
        try:
            # The activity's own task (it copies this context), so cancel()
            # cancels the activity and not whoever awaits run().
            self.task = self.loop.create_task(self.fn(*args, **kwargs))
        finally:
            _act._current.reset(token)
        self._enter()
        try:
            if self.cancel_flag.is_set():
                self.task.cancel()
            return await self.task
        finally:
            self._leave()
