"""Client.connect / Client(...) with the official keywords against the dev
server: plugins (connect_service_client wraps the connection, configure_client
changes the options, in the official order), runtime=, and the typed errors
of the official options this SDK does not implement."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from typing import Any, Awaitable, Callable, List

import pytest

import temporalio.worker
from temporalio import activity, workflow
from temporalio.client import (
    Client,
    ClientConfig,
    Interceptor,
    OutboundInterceptor,
    Plugin,
    StartWorkflowInput,
    WorkflowHandle,
)
from temporalio.common import HeaderCodecBehavior
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.service import ConnectConfig, ServiceClient
from temporalio.worker import Worker

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


class Recording(Interceptor):
    def __init__(self, seen: List[str]) -> None:
        self.seen = seen

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        seen = self.seen

        class Out(OutboundInterceptor):
            async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
                seen.append(input.workflow)
                return await super().start_workflow(input)

        return Out(next)


class MyPlugin(Plugin):
    """Records its hooks in `log`; adds an interceptor and a metadata header."""

    def __init__(self, tag: str, log: List[str], seen: List[str]) -> None:
        self.tag, self.log, self.seen = tag, log, seen

    def configure_client(self, config: ClientConfig) -> ClientConfig:
        self.log.append(f"configure {self.tag}")
        config["interceptors"] = [*config.get("interceptors", ()), Recording(self.seen)]
        return config

    async def connect_service_client(
        self,
        config: ConnectConfig,
        next: Callable[[ConnectConfig], Awaitable[ServiceClient]],
    ) -> ServiceClient:
        self.log.append(f"connect {self.tag} in")
        metadata = {**config.rpc_metadata, f"x-plugin-{self.tag}": self.tag}
        sc = await next(dataclasses.replace(config, rpc_metadata=metadata))
        self.log.append(f"connect {self.tag} out")
        return sc


@activity.defn
async def shout(s: str) -> str:
    return s.upper()


@workflow.defn
class ShoutWorkflow:
    @workflow.run
    async def run(self, s: str) -> str:
        return await workflow.execute_activity(
            shout, s, start_to_close_timeout=timedelta(seconds=10)
        )


async def test_plugins_wrap_the_connection_and_configure_the_client(
    server_target: str, task_queue: str
) -> None:
    log: List[str] = []
    seen: List[str] = []
    a, b = MyPlugin("a", log, seen), MyPlugin("b", log, seen)
    client = await Client.connect(server_target, plugins=[a, b])
    try:
        assert log == [
            "connect a in",
            "connect b in",
            "connect b out",
            "connect a out",
            "configure a",
            "configure b",
        ]
        # the connection each plugin's next() opened carries both headers
        assert client.rpc_metadata == {"x-plugin-a": "a", "x-plugin-b": "b"}
        # config() gives the options as given, active_config those in use
        assert client.config()["interceptors"] == []
        assert client.config()["plugins"] == [a, b]
        assert len(client.config(active_config=True)["interceptors"]) == 2
        async with Worker(
            client, task_queue=task_queue, workflows=[ShoutWorkflow], activities=[shout]
        ):
            result = await client.execute_workflow(
                ShoutWorkflow.run, "hi", id=f"plugin-{uuid.uuid4()}", task_queue=task_queue
            )
        assert result == "HI"
        assert seen == ["ShoutWorkflow", "ShoutWorkflow"]  # both plugins' interceptors
    finally:
        await client.close()


async def test_plugins_on_an_existing_connection_configure_at_once(client: Client) -> None:
    log: List[str] = []
    derived = Client(client.service_client, plugins=[MyPlugin("c", log, [])], namespace="default")
    assert log == ["configure c"]  # no connection is opened
    assert derived.service_client is client.service_client
    assert len(derived.config(active_config=True)["interceptors"]) == 1


async def test_async_with_a_target_runs_the_plugins_on_enter(server_target: str) -> None:
    log: List[str] = []
    seen: List[str] = []
    async with Client(server_target, plugins=[MyPlugin("d", log, seen)]) as client:
        assert log == ["connect d in", "connect d out", "configure d"]
        handle = await client.start_workflow(
            "NoSuchWorkflowType", id=f"plugin-{uuid.uuid4()}", task_queue="nowhere"
        )
        await handle.terminate()
    assert seen == ["NoSuchWorkflowType"]


async def test_a_plugin_can_change_the_namespace(server_target: str) -> None:
    class Namespaced(Plugin):
        def configure_client(self, config: ClientConfig) -> ClientConfig:
            return {**config, "namespace": "other-ns"}

        async def connect_service_client(
            self, config: ConnectConfig, next: Callable[[ConnectConfig], Awaitable[ServiceClient]]
        ) -> ServiceClient:
            return await next(config)

    client = await Client.connect(server_target, plugins=[Namespaced()])
    try:
        assert client.namespace == "other-ns"
        assert client.config()["namespace"] == "default"
    finally:
        await client.close()


async def test_only_a_client_plugin_that_is_a_worker_plugin_configures_workers(
    server_target: str, task_queue: str
) -> None:
    """As in the official SDK: a worker runs the client's plugins that are
    ``temporalio.worker.Plugin`` instances; a hook of the same name on another
    client plugin is not a worker hook (tests/integration/test_worker_plugins.py
    runs such workers)."""
    log: List[str] = []

    class Both(MyPlugin, temporalio.worker.Plugin):
        def configure_worker(self, config: Any) -> Any:
            log.append(f"configure worker {self.tag}")
            return config

        async def run_worker(self, worker: Any, next: Any) -> None:
            await next(worker)

        def configure_replayer(self, config: Any) -> Any:
            return config

        def run_replayer(self, replayer: Any, histories: Any, next: Any) -> Any:
            return next(replayer, histories)

    class ClientOnly(MyPlugin):
        def configure_worker(self, config: Any) -> Any:
            log.append("configure worker client-only")
            return config

    client = await Client.connect(
        server_target, plugins=[Both("e", [], []), ClientOnly("f", [], [])]
    )
    try:
        Worker(client, task_queue=task_queue, activities=[shout])
        assert log == ["configure worker e"]
    finally:
        await client.close()


async def test_plugins_must_be_plugins() -> None:
    with pytest.raises(TypeError, match=r"plugins\[0\] must be a temporalio.client.Plugin"):
        Client("127.0.0.1:1", plugins=[object()])  # type: ignore[list-item]


async def test_a_connection_on_its_own_runtime_runs_a_worker(
    server_target: str, task_queue: str
) -> None:
    runtime = Runtime(telemetry=TelemetryConfig())
    client = await Client.connect(server_target, runtime=runtime)
    try:
        assert client.service_client.config.runtime is runtime
        async with Worker(
            client, task_queue=task_queue, workflows=[ShoutWorkflow], activities=[shout]
        ):
            result = await client.execute_workflow(
                ShoutWorkflow.run, "own", id=f"runtime-{uuid.uuid4()}", task_queue=task_queue
            )
        assert result == "OWN"
    finally:
        await client.close()


@pytest.mark.parametrize(
    "keyword, value",
    [
        ("connect_timeout", timedelta(seconds=5)),
        ("http_connect_proxy_config", object()),
        ("dns_load_balancing_config", object()),
        ("grpc_compression", object()),
        ("payload_limits", object()),
    ],
)
async def test_official_options_not_implemented_raise_naming_them(
    keyword: str, value: object
) -> None:
    with pytest.raises(NotImplementedError, match=rf"^{keyword}: .* not implemented"):
        await Client.connect("127.0.0.1:1", **{keyword: value})


async def test_the_official_keywords_at_their_defaults_are_accepted(server_target: str) -> None:
    client = await Client.connect(
        server_target,
        connect_timeout=None,
        http_connect_proxy_config=None,
        dns_load_balancing_config=None,
        header_codec_behavior=HeaderCodecBehavior.NO_CODEC,
        runtime=None,
        plugins=[],
    )
    await client.close()


async def test_a_header_codec_raises_naming_the_setting() -> None:
    with pytest.raises(NotImplementedError, match=r"^header_codec_behavior: .*CODEC"):
        Client("127.0.0.1:1", header_codec_behavior=HeaderCodecBehavior.CODEC)
