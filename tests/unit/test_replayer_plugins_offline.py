"""Replayer plugins without a server: the order of the configure_replayer and
run_replayer chains, the options they change (``Replayer.config``), the
checks applied to what plugins set, and SimplePlugin's replayer options.
The replays here take no history (the replay worker starts and shuts down
with nothing to replay), so no server is needed; replaying real histories
through plugins is tests/integration/test_replayer.py."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, List

import pytest

from temporalio import workflow
from temporalio.converter import DataConverter
from temporalio.plugin import SimplePlugin
from temporalio.worker import (
    Interceptor,
    Plugin,
    Replayer,
    ReplayerConfig,
    UnsandboxedWorkflowRunner,
    Worker,
    WorkerConfig,
)
from tests.unit.test_worker_plugins_offline import PluginWorkflow


@workflow.defn
class GivenWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None


class Recorder(Plugin):
    """Logs its replayer hooks; appends `-tag` to the namespace when
    configuring; its run_replayer wraps next's results in set-up and
    tear-down log lines."""

    def __init__(self, tag: str, log: List[str]) -> None:
        self.tag, self.log = tag, log

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        return config

    async def run_worker(self, worker: Worker, next: Any) -> None:
        await next(worker)

    def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
        self.log.append(f"configure {self.tag}")
        config["namespace"] = config["namespace"] + "-" + self.tag
        return config

    @asynccontextmanager
    async def run_replayer(
        self, replayer: Replayer, histories: Any, next: Callable[..., Any]
    ) -> AsyncIterator[Any]:
        self.log.append(f"set up {self.tag}")
        async with next(replayer, histories) as results:
            yield results
        self.log.append(f"tear down {self.tag}")


def test_configure_replayer_runs_in_order_and_its_options_are_used() -> None:
    log: List[str] = []
    r = Replayer(workflows=[GivenWorkflow], plugins=[Recorder("a", log), Recorder("b", log)])
    assert log == ["configure a", "configure b"]
    assert r.config(active_config=True)["namespace"] == "ReplayNamespace-a-b"
    assert r.config()["namespace"] == "ReplayNamespace"
    assert "plugins" not in r.config() and "plugins" not in r.config(active_config=True)
    assert r.plugins[0].tag == "a" and len(r.plugins) == 2  # type: ignore[attr-defined]


def test_no_plugins_config_as_given() -> None:
    r = Replayer(workflows=[GivenWorkflow], namespace="ns")
    assert r.plugins == []
    assert r.config() == r.config(active_config=True)
    assert r.config()["namespace"] == "ns"
    # new lists each time
    r.config()["workflows"].append(PluginWorkflow)
    assert r.config()["workflows"] == [GivenWorkflow]


def test_a_non_plugin_is_refused_by_position() -> None:
    with pytest.raises(TypeError, match=r"plugins\[1\] must be a temporalio.worker.Plugin"):
        Replayer(workflows=[GivenWorkflow], plugins=[Recorder("a", []), object()])


def test_configure_replayer_must_return_the_config() -> None:
    class Bad(Recorder):
        def configure_replayer(self, config: ReplayerConfig) -> Any:
            return None

    with pytest.raises(TypeError, match=r"Bad.configure_replayer must return the ReplayerConfig"):
        Replayer(workflows=[GivenWorkflow], plugins=[Bad("x", [])])


def test_what_a_plugin_sets_is_checked_like_a_keyword() -> None:
    with pytest.raises(NotImplementedError, match="workflow_runner"):
        Replayer(
            workflows=[GivenWorkflow], plugins=[SimplePlugin("runner", workflow_runner=object())]
        )

    class BadNamespace(Recorder):
        def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
            config["namespace"] = 3  # type: ignore[typeddict-item]
            return config

    with pytest.raises(TypeError, match="namespace must be a str"):
        Replayer(workflows=[GivenWorkflow], plugins=[BadNamespace("ns", [])])


def test_workflows_are_required_after_the_plugins() -> None:
    with pytest.raises(ValueError, match="At least one workflow"):
        Replayer(workflows=[], plugins=[Recorder("a", [])])
    r = Replayer(workflows=[], plugins=[SimplePlugin("wf", workflows=[PluginWorkflow])])
    assert r.config(active_config=True)["workflows"] == [PluginWorkflow]
    assert r.config()["workflows"] == []


def test_a_key_a_plugin_removes_takes_the_default() -> None:
    class Drop(Recorder):
        def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
            del config["namespace"]  # type: ignore[misc]
            return config

    r = Replayer(workflows=[GivenWorkflow], namespace="mine", plugins=[Drop("d", [])])
    assert r.config(active_config=True)["namespace"] == "ReplayNamespace"


class WorkerInterceptor(Interceptor):
    pass


class ClientOnlyInterceptor:
    """Stands for a client interceptor: not a worker one, so dropped."""


def test_simple_plugin_configures_the_replayer() -> None:
    given = WorkerInterceptor()
    added = WorkerInterceptor()
    converter = DataConverter()
    runner = UnsandboxedWorkflowRunner()
    plugin = SimplePlugin(
        "all",
        data_converter=converter,
        workflows=[PluginWorkflow],
        interceptors=[added, ClientOnlyInterceptor()],  # type: ignore[list-item]
        workflow_failure_exception_types=[KeyError],
        workflow_runner=runner,
    )
    r = Replayer(
        workflows=[GivenWorkflow],
        interceptors=[given],
        workflow_failure_exception_types=[ValueError],
        plugins=[plugin],
    )
    active = r.config(active_config=True)
    assert active["data_converter"] is converter
    assert active["workflows"] == [GivenWorkflow, PluginWorkflow]
    assert active["interceptors"] == [given, added]
    assert active["workflow_failure_exception_types"] == [ValueError, KeyError]
    assert active["workflow_runner"] is runner
    initial = r.config()
    assert initial["data_converter"] is DataConverter.default
    assert initial["interceptors"] == [given]


def test_simple_plugin_callable_parameters_receive_the_current_value() -> None:
    seen: List[Any] = []

    def workflows(current: Any) -> List[type]:
        seen.append(list(current))
        return [PluginWorkflow]

    r = Replayer(workflows=[GivenWorkflow], plugins=[SimplePlugin("c", workflows=workflows)])
    assert seen == [[GivenWorkflow]]
    assert r.config(active_config=True)["workflows"] == [PluginWorkflow]


@pytest.mark.asyncio
async def test_run_replayer_chain_order_first_plugin_outermost() -> None:
    log: List[str] = []
    r = Replayer(workflows=[GivenWorkflow], plugins=[Recorder("a", log), Recorder("b", log)])
    log.clear()
    async with r.workflow_replay_iterator([]) as results:
        log.append("replaying")
        assert [x async for x in results] == []
    assert log == ["set up a", "set up b", "replaying", "tear down b", "tear down a"]
    # replay_workflows goes through the chain too
    log.clear()
    assert (await r.replay_workflows([])).replay_failures == {}
    assert log == ["set up a", "set up b", "tear down b", "tear down a"]


@pytest.mark.asyncio
async def test_run_replayer_receives_the_replayer_and_histories_and_may_replace_them() -> None:
    got: List[Any] = []

    class Swap(Recorder):
        def run_replayer(self, replayer: Replayer, histories: Any, next: Callable[..., Any]) -> Any:
            got.append((replayer, histories))
            return next(replayer, [])  # replays no history instead

    given = ["not a history"]
    r = Replayer(workflows=[GivenWorkflow], plugins=[Swap("s", [])])
    assert (await r.replay_workflows(given)).replay_failures == {}
    assert got == [(r, given)]


@pytest.mark.asyncio
async def test_simple_plugin_run_context_wraps_the_replay() -> None:
    log: List[str] = []

    @asynccontextmanager
    async def context() -> AsyncIterator[None]:
        log.append("enter")
        yield
        log.append("exit")

    r = Replayer(workflows=[GivenWorkflow], plugins=[SimplePlugin("ctx", run_context=context)])
    async with r.workflow_replay_iterator([]) as results:
        assert log == ["enter"]
        assert [x async for x in results] == []
    assert log == ["enter", "exit"]
