"""Client members added for parity with the official SDK (besides
standalone activities and schedules, tested in their own files), on the dev
server."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, List

import pytest

from temporalio.client import Client
from temporalio.common import OneTimeVersioningOverride, WorkerDeploymentVersion
from temporalio.converter import (
    DataConverter,
    WorkflowSerializationContext,
)
from temporalio.service import FailedPreconditionError
from tests.context_codec import ContextTagCodec
from tests.peer.peerhost import WORKFLOW_TYPE, actions

pytestmark = pytest.mark.timeout(60)


async def test_one_time_versioning_override_reaches_the_server(
    client: Client, task_queue: str
) -> None:
    # The server checks the target version against the task queue's
    # deployments: none here, so it refuses the start, naming the version
    # it was sent (the same answer the official SDK gets).
    with pytest.raises(FailedPreconditionError, match="'deploy:b1' is not present"):
        await client.start_workflow(
            "NoSuchWorkflow",
            id=f"wf-{uuid.uuid4()}",
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=30),
            versioning_override=OneTimeVersioningOverride(
                WorkerDeploymentVersion(deployment_name="deploy", build_id="b1")
            ),
        )


async def test_handle_keeps_the_start_response(client: Client, task_queue: str) -> None:
    # No worker polls the queue: the workflow stays running until terminated.
    handle = await client.start_workflow(
        "NoSuchWorkflow",
        id=f"wf-{uuid.uuid4()}",
        task_queue=task_queue,
        execution_timeout=timedelta(seconds=30),
    )
    try:
        assert handle._start_workflow_response.run_id == handle.result_run_id
        assert client.get_workflow_handle(handle.id)._start_workflow_response is None
    finally:
        await handle.terminate()


async def test_config_active_config(client: Client) -> None:
    assert client.config(active_config=True) == client.config()
    assert client.config(active_config=True) is not client.config(active_config=True)


async def test_workflow_operations_convert_in_the_workflow_context(
    server_target: str, peer_task_queue: str
) -> None:
    seen: List[Any] = []
    client = await Client.connect(
        server_target,
        data_converter=DataConverter(payload_codec=ContextTagCodec("wf-ctx", "workflow_id", seen)),
    )
    try:
        wf_id = f"wf-{uuid.uuid4()}"
        handle = await client.start_workflow(
            WORKFLOW_TYPE,
            actions({"result": {"value": "x"}}),
            id=wf_id,
            task_queue=peer_task_queue,
            memo={"m": 1},
            static_summary="sum",
            execution_timeout=timedelta(seconds=60),
        )
        assert await handle.result() == "x"
        started = (
            (await handle.fetch_history()).events[0].workflow_execution_started_event_attributes
        )
        assert started.input.payloads[0].metadata["wf-ctx"] == wf_id.encode()
        assert started.memo.fields["m"].metadata["wf-ctx"] == wf_id.encode()
        assert [c.workflow_id for c in seen] == [wf_id]  # the result's decoding
        desc = await handle.describe()
        assert await desc.memo() == {"m": 1}
        assert await desc.static_summary() == "sum"
        assert all(isinstance(c, WorkflowSerializationContext) for c in seen)
        assert {(c.namespace, c.workflow_id) for c in seen} == {("default", wf_id)}

        # an update and a query: their results decode in the workflow's context
        waiting_id = f"wf-{uuid.uuid4()}"
        waiting = await client.start_workflow(
            WORKFLOW_TYPE,
            actions({"await_signal": {"name": "go"}}),
            id=waiting_id,
            task_queue=peer_task_queue,
            execution_timeout=timedelta(seconds=60),
        )
        seen.clear()
        assert await waiting.execute_update("update", {"value": {"n": 1}}) == {"n": 1}
        assert await waiting.query("updates") == [{"value": {"n": 1}}]
        assert [c.workflow_id for c in seen] == [waiting_id, waiting_id]
        await waiting.signal("go")
        await waiting.result()

        # signal and terminate details in the context of the workflow signalled
        other_id = f"wf-{uuid.uuid4()}"
        other = await client.start_workflow(
            "NoSuchWorkflow",
            id=other_id,
            task_queue=f"tq-{uuid.uuid4()}",
            execution_timeout=timedelta(seconds=30),
        )
        await other.signal("sig", "payload")
        await other.terminate("details", reason="done")
        events = (await other.fetch_history()).events
        signalled = [
            e for e in events if e.HasField("workflow_execution_signaled_event_attributes")
        ]
        assert (
            signalled[0]
            .workflow_execution_signaled_event_attributes.input.payloads[0]
            .metadata["wf-ctx"]
            == other_id.encode()
        )
        terminated = events[-1].workflow_execution_terminated_event_attributes
        assert terminated.details.payloads[0].metadata["wf-ctx"] == other_id.encode()
    finally:
        await client.close()
