"""The activity worker converts each activity's payloads in its
ActivitySerializationContext (as the official SDK's worker does): a
workflow's activity (the workflow run by the peer host) and, in
test_standalone_activities.py, a standalone one."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, List, Sequence

import pytest
from temporalio.api.common.v1 import Payload

from temporalio import activity
from temporalio.client import Client
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)
from temporalio.worker import Worker
from tests.peer.peerhost import WORKFLOW_TYPE, actions

pytestmark = pytest.mark.timeout(90)


class RecordingCodec(PayloadCodec, WithSerializationContext):
    """Passes payloads through, recording the context of each call."""

    def __init__(self, seen: List[Any], context: Any = None) -> None:
        self.seen = seen
        self.context = context

    def with_context(self, context: SerializationContext) -> "RecordingCodec":
        return RecordingCodec(self.seen, context)

    async def encode(self, payloads: Sequence[Payload]) -> List[Payload]:
        self.seen.append(("encode", self.context))
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> List[Payload]:
        self.seen.append(("decode", self.context))
        return list(payloads)


@activity.defn
async def echo(value: str) -> str:
    activity.heartbeat("beat")
    return value


async def test_workflow_activity_is_converted_in_its_context(
    server_target: str, peer_task_queue: str
) -> None:
    seen: List[Any] = []
    worker_client = await Client.connect(
        server_target, data_converter=DataConverter(payload_codec=RecordingCodec(seen))
    )
    plain_client = await Client.connect(server_target)
    tq = f"ctx-{uuid.uuid4()}"
    try:
        async with Worker(worker_client, task_queue=tq, activities=[echo]):
            wf_id = f"wf-{uuid.uuid4()}"
            handle = await plain_client.start_workflow(
                WORKFLOW_TYPE,
                actions({"execute_activity": {"name": "echo", "task_queue": tq, "args": ["hi"]}}),
                id=wf_id,
                task_queue=peer_task_queue,
                execution_timeout=timedelta(seconds=60),
            )
            assert await handle.result() == "hi"
    finally:
        await worker_client.close()
        await plain_client.close()
    # decode of the input, encode of the heartbeat details and of the result
    assert [kind for kind, _ in seen] == ["decode", "encode", "encode"]
    contexts = {ctx for _, ctx in seen}
    assert len(contexts) == 1
    (ctx,) = contexts
    assert isinstance(ctx, ActivitySerializationContext)
    assert (ctx.workflow_id, ctx.workflow_type) == (wf_id, WORKFLOW_TYPE)
    assert (ctx.activity_type, ctx.activity_task_queue, ctx.is_local) == ("echo", tq, False)
    assert ctx.namespace == "default" and ctx.activity_id
