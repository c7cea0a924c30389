"""Worker plugins without a server: the order of the configure_worker and
run_worker chains, the options they change, the client's plugins that are
worker plugins too, and the checks applied to what plugins set. Workers are
only constructed (their client never connects); running them against the dev
server is tests/integration/test_worker_plugins.py."""

from __future__ import annotations

import warnings
from typing import Any, Awaitable, Callable, List

import pytest

from temporalio import activity, workflow
from temporalio.client import Client, ClientConfig
from temporalio.plugin import SimplePlugin
from temporalio.worker import Interceptor, Plugin, Worker, WorkerConfig


@activity.defn
async def given_activity() -> str:
    return "given"


@activity.defn
async def plugin_activity() -> str:
    return "plugin"


@workflow.defn
class PluginWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None


class Recorder(Plugin):
    """Logs its hooks; adds `task_queue` suffix `tag` when configuring; its
    run_worker stops the chain (no call to next) when `stop`."""

    def __init__(self, tag: str, log: List[str], stop: bool = False) -> None:
        self.tag, self.log, self.stop = tag, log, stop

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        self.log.append(f"configure {self.tag}")
        config["task_queue"] = config["task_queue"] + "-" + self.tag
        return config

    async def run_worker(self, worker: Worker, next: Callable[[Worker], Awaitable[None]]) -> None:
        self.log.append(f"run {self.tag} in")
        if not self.stop:
            await next(worker)
        self.log.append(f"run {self.tag} out")

    def configure_replayer(self, config: Any) -> Any:
        return config

    def run_replayer(self, replayer: Any, histories: Any, next: Callable[..., Any]) -> Any:
        return next(replayer, histories)


class BothPlugin(Recorder):
    """A client plugin that is a worker plugin too."""

    def configure_client(self, config: ClientConfig) -> ClientConfig:
        return config

    async def connect_service_client(self, config: Any, next: Any) -> Any:
        return await next(config)


def _client(**kwargs: Any) -> Client:
    return Client("localhost:7233", **kwargs)  # never connected


def _worker(client: Client, **kwargs: Any) -> Worker:
    base: dict = dict(task_queue="tq", activities=[given_activity])
    base.update(kwargs)
    return Worker(client, **base)


def test_configure_worker_runs_in_order_and_its_options_are_used() -> None:
    log: List[str] = []
    w = _worker(_client(), plugins=[Recorder("a", log), Recorder("b", log)])
    assert log == ["configure a", "configure b"]
    assert w.task_queue == "tq-a-b"
    assert w.config()["task_queue"] == "tq"
    assert w.config(active_config=True)["task_queue"] == "tq-a-b"


def test_the_clients_worker_plugins_come_first() -> None:
    log: List[str] = []
    client = _client(plugins=[BothPlugin("client", log)])
    w = _worker(client, plugins=[Recorder("worker", log)])
    assert log == ["configure client", "configure worker"]
    assert w.task_queue == "tq-client-worker"


def test_a_plugin_type_on_client_and_worker_warns() -> None:
    log: List[str] = []
    client = _client(plugins=[BothPlugin("c", log)])
    with pytest.warns(UserWarning, match="present from both client and worker"):
        _worker(client, plugins=[BothPlugin("w", log)])


def test_no_plugins_no_warning_and_config_as_given() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = _worker(_client())
    assert w.config() == w.config(active_config=True)
    assert w.config()["activities"] == [given_activity]


def test_a_non_plugin_is_refused_by_position() -> None:
    with pytest.raises(TypeError, match=r"plugins\[1\] must be a temporalio.worker.Plugin"):
        _worker(_client(), plugins=[Recorder("a", []), object()])


def test_configure_worker_must_return_the_config() -> None:
    class Bad(Recorder):
        def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
            return None  # type: ignore[return-value]

    with pytest.raises(TypeError, match="Bad.configure_worker must return the WorkerConfig"):
        _worker(_client(), plugins=[Bad("x", [])])


def test_what_a_plugin_sets_is_checked_like_a_keyword() -> None:
    bad = SimplePlugin("nexus", nexus_service_handlers=[object()])
    with pytest.raises(NotImplementedError, match=r"Worker\(nexus_service_handlers=...\)"):
        _worker(_client(), plugins=[bad])

    class NoActivities(Recorder):
        def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
            config["activities"] = []
            return config

    with pytest.raises(ValueError, match="At least one activity"):
        _worker(_client(), plugins=[NoActivities("x", [])])


def test_simple_plugin_keeps_activities_when_its_callable_returns_an_empty_list() -> None:
    # as the official SDK: an empty result is not set
    w = _worker(_client(), plugins=[SimplePlugin("none", activities=lambda _: [])])
    assert w.config(active_config=True)["activities"] == [given_activity]


def test_a_key_a_plugin_removes_takes_the_default() -> None:
    class Drop(Recorder):
        def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
            del config["max_cached_workflows"]  # type: ignore[misc]
            return config

    w = _worker(_client(), max_cached_workflows=5, plugins=[Drop("d", [])])
    assert w._max_cached_workflows == 1000


def test_simple_plugin_appends_activities_workflows_and_exception_types() -> None:
    class Inter(Interceptor):
        pass

    inter = Inter()
    p = SimplePlugin(
        "simple",
        activities=[plugin_activity],
        workflows=[PluginWorkflow],
        interceptors=[inter],
        workflow_failure_exception_types=[KeyError],
    )
    w = _worker(_client(), plugins=[p], workflow_failure_exception_types=[ValueError])
    active = w.config(active_config=True)
    assert active["activities"] == [given_activity, plugin_activity]
    assert active["workflows"] == [PluginWorkflow]
    assert w.workflows == [PluginWorkflow]
    assert w.interceptors == [inter]
    assert list(active["workflow_failure_exception_types"]) == [ValueError, KeyError]
    assert w.config()["activities"] == [given_activity]  # as given


def test_simple_plugin_adds_to_activities_given_as_a_mapping() -> None:
    p = SimplePlugin("simple", activities=[plugin_activity])
    w = _worker(_client(), activities={"given": given_activity}, plugins=[p])
    assert set(w.config(active_config=True)["activities"]) == {"given", "plugin_activity"}


def test_simple_plugin_callable_parameters_receive_the_current_value() -> None:
    seen: List[Any] = []

    def only_plugin_activity(current: Any) -> List[Any]:
        seen.append(list(current))
        return [plugin_activity]

    w = _worker(_client(), plugins=[SimplePlugin("c", activities=only_plugin_activity)])
    assert seen == [[given_activity]]
    assert w.config(active_config=True)["activities"] == [plugin_activity]


def test_simple_plugin_is_a_client_and_a_worker_plugin() -> None:
    from temporalio import client as tc
    from temporalio.converter import DataConverter, PayloadConverter

    class CI(tc.Interceptor):
        pass

    class Both(tc.Interceptor, Interceptor):
        pass

    converter = DataConverter(payload_converter_class=PayloadConverter.default.__class__)
    ci, both, wi = CI(), Both(), Interceptor()
    p = SimplePlugin("s", data_converter=converter, interceptors=[ci, both, wi])
    assert isinstance(p, tc.Plugin) and isinstance(p, Plugin)
    config = p.configure_client(ClientConfig(interceptors=[]))
    assert config["data_converter"] is converter
    assert config["interceptors"] == [ci, both]


@pytest.mark.asyncio
async def test_run_worker_chain_order_first_plugin_outermost() -> None:
    log: List[str] = []
    # the last plugin does not call next: the chain unwinds without a server
    w = _worker(_client(), plugins=[Recorder("a", log), Recorder("b", log, stop=True)])
    log.clear()
    await w.run()
    assert log == ["run a in", "run b in", "run b out", "run a out"]


@pytest.mark.asyncio
async def test_async_with_a_plugin_that_never_calls_next_raises() -> None:
    w = _worker(_client(), plugins=[Recorder("a", [], stop=True)])
    with pytest.raises(RuntimeError, match="returned without calling next"):
        async with w:
            pass


@pytest.mark.asyncio
async def test_a_plugin_error_before_next_is_raised_by_async_with() -> None:
    class Boom(Recorder):
        async def run_worker(
            self, worker: Worker, next: Callable[[Worker], Awaitable[None]]
        ) -> None:
            raise ValueError("boom")

    w = _worker(_client(), plugins=[Boom("x", [])])
    with pytest.raises(ValueError, match="boom"):
        async with w:
            pass


PEER_PLUGIN_SHAPE = r"""
import inspect, json
import temporalio.worker as w
hooks = {
    name: [p.name for p in inspect.signature(getattr(w.Plugin, name)).parameters.values()]
    for name in sorted(w.Plugin.__abstractmethods__) + ["name"]
}
print(json.dumps({
    "abstract": sorted(w.Plugin.__abstractmethods__),
    "hooks": hooks,
    "config_keys": sorted(w.WorkerConfig.__annotations__),
}))
"""


def test_plugin_hooks_and_worker_config_keys_match_the_official_sdk() -> None:
    import inspect
    import json
    import subprocess

    from tests.peer.peerhost import _peer_environ, peer_python

    proc = subprocess.run(
        [peer_python(), "-I", "-c", PEER_PLUGIN_SHAPE],
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",  # not this repository: its temporalio would shadow the official one
        env=_peer_environ(),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    official = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sorted(Plugin.__abstractmethods__) == official["abstract"]
    for name, params in official["hooks"].items():
        ours = [p.name for p in inspect.signature(getattr(Plugin, name)).parameters.values()]
        assert ours == params, name
    ours_keys = set(WorkerConfig.__annotations__)
    assert set(official["config_keys"]) <= ours_keys
    # this SDK's own Worker keywords
    assert ours_keys - set(official["config_keys"]) == {
        "async_activity_executor",
        "data_converter",
        "deadlock_timeout",
    }
