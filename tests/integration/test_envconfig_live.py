"""``temporalio.envconfig`` against the dev server: a profile read from a
TOML file (plus environment overrides) gives ``Client.connect`` keyword
arguments that connect, to the namespace and with the metadata it names."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

from temporalio.client import Client
from temporalio.envconfig import ClientConfig, ClientConfigProfile

pytestmark = pytest.mark.timeout(60)


async def test_connect_with_a_profile_from_a_toml_file(server_target: str, tmp_path: Path) -> None:
    namespace = "default"
    path = tmp_path / "temporal.toml"
    path.write_text(
        "[profile.default]\n"
        'address = "127.0.0.1:1"\n'  # overridden below by TEMPORAL_ADDRESS
        "[profile.dev]\n"
        f'address = "{server_target}"\n'
        f'namespace = "{namespace}"\n'
        "[profile.dev.grpc_meta]\n"
        'My_Header = "from-file"\n'
    )
    config = ClientConfig.load_client_connect_config(
        "dev", config_file=str(path), override_env_vars={"TEMPORAL_GRPC_META_OTHER": "env"}
    )
    assert config == {
        "target_host": server_target,
        "namespace": namespace,
        "rpc_metadata": {"my-header": "from-file", "other": "env"},
    }
    client = await Client.connect(**config)
    try:
        assert client.namespace == namespace
        resp = await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace), timeout=10
        )
        assert resp.namespace_info.name == namespace
        # a call that needs the namespace to exist: a workflow nobody runs
        handle = await client.start_workflow(
            "EnvconfigNobodyRunsThis", id=f"envcfg-{uuid.uuid4()}", task_queue="envcfg-nobody"
        )
        await handle.terminate("test done")
    finally:
        await client.close()

    # The default profile's bad address, replaced by TEMPORAL_ADDRESS
    profile = ClientConfigProfile.load(
        config_source=path, override_env_vars={"TEMPORAL_ADDRESS": server_target}
    )
    client = await Client.connect(**profile.to_client_connect_config())
    assert client.namespace == "default"
    await client.close()
