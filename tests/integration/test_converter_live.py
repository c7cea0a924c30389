"""Converters through a real server and the peer (official SDK) workflow host:
custom sync/async converters through the client, and failures crossing
between the two SDKs in both directions."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, List

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import (
    PollActivityTaskQueueRequest,
    RespondActivityTaskFailedRequest,
)

import temporalio.exceptions as E
from temporalio.client import Client, WorkflowFailureError
from temporalio.converter import PayloadConverter
from tests.peer.peerhost import WORKFLOW_TYPE, actions


class RecordingSync(PayloadConverter):
    """Delegates to the default converter, synchronously, recording calls."""

    def __init__(self) -> None:
        self.encoded: List[Any] = []
        self.decoded: List[Any] = []

    def encode(self, *values: Any) -> Any:
        self.encoded.extend(values)
        return PayloadConverter.default.to_payloads(values)

    def decode(self, *payloads: Payload, type_hints: Any = None) -> Any:
        vals = PayloadConverter.default.from_payloads(payloads, type_hints)
        self.decoded.extend(vals)
        return vals[0] if len(vals) == 1 else vals


class RecordingAsync(RecordingSync):
    async def encode(self, *values: Any) -> Any:  # type: ignore[override]
        await asyncio.sleep(0)
        return RecordingSync.encode(self, *values)

    async def decode(self, *payloads: Payload, type_hints: Any = None) -> Any:  # type: ignore[override]
        await asyncio.sleep(0)
        return RecordingSync.decode(self, *payloads, type_hints=type_hints)


@pytest.mark.parametrize("conv_cls", [RecordingSync, RecordingAsync])
async def test_custom_converter_through_client(
    server_target: str, peer_task_queue: str, conv_cls: type
) -> None:
    conv = conv_cls()
    client = await Client.connect(server_target, data_converter=conv)
    try:
        value = {"unicode": "héllo ✓", "nums": [1, 2.5], "nested": {"b": None, "a": True}}
        inp = actions({"result": {"value": value}})
        result = await client.execute_workflow(WORKFLOW_TYPE, inp, task_queue=peer_task_queue)
        assert result == value
        assert inp in conv.encoded
        assert value in conv.decoded
    finally:
        await client.close()


async def test_official_failure_seen_by_ours(client: Client, peer_task_queue: str) -> None:
    inp = actions(
        {
            "error": {
                "message": "boom ✓",
                "type": "PeerError",
                "details": [{"k": [1, 2]}, "two", None],
                "non_retryable": True,
            }
        }
    )
    with pytest.raises(WorkflowFailureError) as info:
        await client.execute_workflow(WORKFLOW_TYPE, inp, task_queue=peer_task_queue)
    cause = info.value.cause
    assert isinstance(cause, E.ApplicationError)
    assert cause.message == "boom ✓"
    assert cause.type == "PeerError"
    assert list(cause.details) == [{"k": [1, 2]}, "two", None]
    assert cause.non_retryable is True
    assert cause.failure is not None


async def test_our_failure_seen_by_official(client: Client, peer_task_queue: str) -> None:
    """We act as the activity worker by hand (raw service calls) and fail the
    activity with a failure our converter encoded; the peer workflow catches
    the ActivityError and returns the official SDK's description of it."""
    activity_tq = f"act-{uuid.uuid4()}"
    handle = await client.start_workflow(
        WORKFLOW_TYPE,
        actions(
            {
                "catch_activity_error": {
                    "name": "our_activity",
                    "task_queue": activity_tq,
                    "retry_max_attempts": 1,
                }
            }
        ),
        task_queue=peer_task_queue,
    )
    try:
        raise E.ApplicationError(
            "ours failed é", {"d": 1}, [1, "x"], type="OurType", non_retryable=True
        ) from ValueError("inner cause")
    except E.ApplicationError as err:
        failure = await client.data_converter.encode_failure(err)
    assert "test_converter_live.py" in failure.stack_trace

    task = None
    for _ in range(10):
        task = await client.service.poll_activity_task_queue(
            PollActivityTaskQueueRequest(
                namespace=client.namespace, task_queue=TaskQueue(name=activity_tq), identity="t"
            )
        )
        if task.task_token:
            break
    assert task is not None and task.task_token
    assert task.activity_type.name == "our_activity"
    await client.service.respond_activity_task_failed(
        RespondActivityTaskFailedRequest(
            namespace=client.namespace, task_token=task.task_token, failure=failure, identity="t"
        )
    )
    desc = await handle.result()
    assert desc["type"] == "ActivityError"
    assert desc["activity_type"] == "our_activity"
    assert desc["cause"] == {
        "type": "ApplicationError",
        "message": "ours failed é",
        "failure_type": "OurType",
        "details": [{"d": 1}, [1, "x"]],
        "non_retryable": True,
        "cause": {
            "type": "ApplicationError",
            "message": "inner cause",
            "failure_type": "ValueError",
            "details": [],
            "non_retryable": False,
        },
    }


async def test_data_converter_option_type_error(server_target: str) -> None:
    with pytest.raises(TypeError, match="got str"):
        await Client.connect(server_target, data_converter="json")  # type: ignore[arg-type]
