"""Worker plugins against the dev server: a SimplePlugin that adds an
activity, a workflow and an interceptor to a worker; a plugin on the client
that configures every worker made from it; run_worker wrapping the worker's
run (its set-up before the worker polls, its tear-down after the worker has
shut down), with ``run()`` and with ``async with``."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, AsyncIterator, Awaitable, Callable, List

import pytest

import temporalio.client
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.plugin import SimplePlugin
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Plugin,
    Worker,
    WorkerConfig,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


@activity.defn
async def plugin_greet(name: str) -> str:
    return f"hello {name}"


@workflow.defn
class PluginGreetWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            plugin_greet, name, start_to_close_timeout=timedelta(seconds=10)
        )


@activity.defn
async def unrelated_activity() -> None:
    return None


class SeenActivities(Interceptor):
    """Records the type of every activity the worker runs."""

    def __init__(self) -> None:
        self.seen: List[str] = []

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        seen = self.seen

        class Inbound(ActivityInboundInterceptor):
            async def execute_activity(self, input: ExecuteActivityInput) -> Any:
                seen.append(activity.info().activity_type)
                return await super().execute_activity(input)

        return Inbound(next)


class SeenEverywhere(temporalio.client.Interceptor, SeenActivities):
    """A client interceptor that is a worker interceptor too."""


async def _greet(client: Client, task_queue: str) -> str:
    result: str = await client.execute_workflow(
        PluginGreetWorkflow.run, "plugin", id=f"wplugin-{uuid.uuid4()}", task_queue=task_queue
    )
    return result


async def test_simple_plugin_adds_an_activity_a_workflow_and_an_interceptor(
    client: Client, task_queue: str
) -> None:
    interceptor = SeenActivities()
    plugin = SimplePlugin(
        "greeter",
        activities=[plugin_greet],
        workflows=[PluginGreetWorkflow],
        interceptors=[interceptor],
    )
    # the worker is given only an unrelated activity: the rest comes from the plugin
    async with Worker(
        client, task_queue=task_queue, activities=[unrelated_activity], plugins=[plugin]
    ) as worker:
        assert await _greet(client, task_queue) == "hello plugin"
    assert interceptor.seen == ["plugin_greet"]
    assert worker.workflows == [PluginGreetWorkflow]
    assert worker.config()["activities"] == [unrelated_activity]


async def test_a_plugin_on_the_client_configures_its_workers(
    server_target: str, task_queue: str
) -> None:
    interceptor = SeenEverywhere()
    plugin = SimplePlugin(
        "on-client",
        activities=[plugin_greet],
        workflows=[PluginGreetWorkflow],
        interceptors=[interceptor],
    )
    client = await Client.connect(server_target, plugins=[plugin])
    try:
        assert client.config(active_config=True)["interceptors"] == [interceptor]
        # nothing given to the worker but its task queue
        worker = Worker(client, task_queue=task_queue)
        # the interceptor reaches the worker once, through the client
        assert worker.interceptors == [interceptor]
        async with worker:
            assert await _greet(client, task_queue) == "hello plugin"
        assert interceptor.seen == ["plugin_greet"]
    finally:
        await client.close()


class Lifecycle(Plugin):
    """run_worker logs whether the worker runs before and after next."""

    def __init__(self, tag: str, log: List[str]) -> None:
        self.tag, self.log = tag, log

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        return config

    async def run_worker(self, worker: Worker, next: Callable[[Worker], Awaitable[None]]) -> None:
        self.log.append(f"{self.tag} set up (running: {worker.is_running})")
        try:
            await next(worker)
        finally:
            self.log.append(f"{self.tag} torn down (running: {worker.is_running})")

    def configure_replayer(self, config: Any) -> Any:
        return config

    def run_replayer(self, replayer: Any, histories: Any, next: Callable[..., Any]) -> Any:
        return next(replayer, histories)


async def test_run_worker_wraps_run(client: Client, task_queue: str) -> None:
    log: List[str] = []

    @asynccontextmanager
    async def context() -> AsyncIterator[None]:
        log.append("context entered")
        yield
        log.append("context exited")

    worker = Worker(
        client,
        task_queue=task_queue,
        activities=[plugin_greet],
        workflows=[PluginGreetWorkflow],
        plugins=[SimplePlugin("ctx", run_context=context), Lifecycle("inner", log)],
    )
    run = asyncio.get_running_loop().create_task(worker.run())
    assert await _greet(client, task_queue) == "hello plugin"
    assert log == ["context entered", "inner set up (running: False)"]
    await worker.shutdown()
    await run
    assert log == [
        "context entered",
        "inner set up (running: False)",
        "inner torn down (running: False)",
        "context exited",
    ]


async def test_async_with_runs_the_plugins_and_waits_for_their_tear_down(
    client: Client, task_queue: str
) -> None:
    log: List[str] = []
    async with Worker(
        client,
        task_queue=task_queue,
        activities=[plugin_greet],
        workflows=[PluginGreetWorkflow],
        plugins=[Lifecycle("a", log), Lifecycle("b", log)],
    ) as worker:
        assert worker.is_running
        assert await _greet(client, task_queue) == "hello plugin"
        assert log == ["a set up (running: False)", "b set up (running: False)"]
    assert log[2:] == ["b torn down (running: False)", "a torn down (running: False)"]


async def test_a_tear_down_past_plugin_shutdown_timeout_is_cancelled(
    client: Client, task_queue: str
) -> None:
    log: List[str] = []

    @asynccontextmanager
    async def slow_exit() -> AsyncIterator[None]:
        yield
        try:
            await asyncio.Event().wait()  # never set
        except asyncio.CancelledError:
            log.append("tear-down cancelled")
            raise

    async with Worker(
        client,
        task_queue=task_queue,
        activities=[plugin_greet],
        plugins=[SimplePlugin("slow", run_context=slow_exit)],
        plugin_shutdown_timeout=timedelta(milliseconds=100),
    ):
        pass
    assert log == ["tear-down cancelled"]


async def test_a_plugin_error_after_next_is_raised_by_run(client: Client, task_queue: str) -> None:
    class FailsAfter(Lifecycle):
        async def run_worker(
            self, worker: Worker, next: Callable[[Worker], Awaitable[None]]
        ) -> None:
            await next(worker)
            raise ValueError("tear-down failed")

    worker = Worker(
        client, task_queue=task_queue, activities=[plugin_greet], plugins=[FailsAfter("f", [])]
    )
    run = asyncio.get_running_loop().create_task(worker.run())
    while not worker.is_running:
        await asyncio.sleep(0.01)
    await worker.shutdown()
    with pytest.raises(ValueError, match="tear-down failed"):
        await run
