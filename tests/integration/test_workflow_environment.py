"""``temporalio.testing.WorkflowEnvironment`` as code written for the official
SDK uses it: ``start_local()`` starts its own dev server (with search
attributes registered), a worker and a workflow run on ``env.client``, and
``async with`` stops the server; ``from_client`` wraps an existing client;
``start_time_skipping`` is refused by name."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from tests.integration.test_workflow_e2e import HelloWorkflow, say_hello

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


async def test_start_local_runs_a_workflow_and_stops_its_server() -> None:
    key = SearchAttributeKey.for_keyword("EnvTestCustomerId")
    async with await WorkflowEnvironment.start_local(search_attributes=[key]) as env:
        assert env.supports_time_skipping is False
        server = env._server  # type: ignore[attr-defined]
        assert server.running
        attrs = await env.client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=env.client.namespace)
        )
        assert (
            attrs.custom_attributes["EnvTestCustomerId"]
            == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
        )
        tq = f"tq-{uuid.uuid4()}"
        async with Worker(
            env.client, task_queue=tq, workflows=[HelloWorkflow], activities=[say_hello]
        ):
            result = await env.client.execute_workflow(
                HelloWorkflow.run, "env", id=f"wf-{uuid.uuid4()}", task_queue=tq
            )
        assert result == "Hello, env!"
    assert not server.running


async def test_from_client_keeps_the_server_and_time_skipping_is_refused(client: Client) -> None:
    async with WorkflowEnvironment.from_client(client) as env:
        assert env.client is client
        before = await env.get_current_time()
        await env.sleep(timedelta(milliseconds=50))
        assert (await env.get_current_time()) > before
    assert (await client.service.get_system_info(_system_info_request())) is not None
    with pytest.raises(NotImplementedError, match="start_time_skipping"):
        await WorkflowEnvironment.start_time_skipping()


def _system_info_request():  # type: ignore[no-untyped-def]
    from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

    return GetSystemInfoRequest()
