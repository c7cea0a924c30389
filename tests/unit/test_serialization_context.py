"""Serialization contexts (the official SDK's): ``with_context`` of the data
converter and the composite payload converter, offline."""

from __future__ import annotations

from typing import Any, Optional

import pytest
from temporalio.api.common.v1 import Payload

from temporalio.converter import (
    ActivitySerializationContext,
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from tests.context_codec import ContextTagCodec

WF = WorkflowSerializationContext(namespace="ns", workflow_id="wf-1")


class TaggingJSON(JSONPlainPayloadConverter, WithSerializationContext):
    def __init__(self, context: Optional[SerializationContext] = None) -> None:
        super().__init__()
        self.context = context

    def with_context(self, context: SerializationContext) -> "TaggingJSON":
        return TaggingJSON(context)

    def to_payload_or_none(self, value: Any) -> Optional[Payload]:
        p = super().to_payload_or_none(value)
        if p is not None and self.context is not None:
            p.metadata["json-ctx"] = getattr(self.context, "workflow_id", "").encode()
        return p


async def test_data_converter_with_context_applies_to_context_aware_parts() -> None:
    assert DataConverter.default.with_context(WF) is DataConverter.default
    dc = DataConverter(payload_codec=ContextTagCodec("ctx", "workflow_id"))
    (plain,) = await dc.encode(["x"])
    assert plain.metadata["ctx"] == b"-"
    scoped = dc.with_context(WF)
    assert scoped is not dc and scoped.payload_converter is dc.payload_converter
    assert isinstance(scoped.payload_codec, ContextTagCodec) and scoped.payload_codec.context == WF
    (tagged,) = await scoped.encode(["x"])
    assert tagged.metadata["ctx"] == b"wf-1"
    assert await scoped.decode([tagged]) == ["x"]
    assert isinstance(dc, WithSerializationContext)


async def test_composite_payload_converter_with_context() -> None:
    default = DefaultPayloadConverter()
    assert default.with_context(WF) is default  # no converter takes a context
    composite = CompositePayloadConverter(TaggingJSON())
    scoped = composite.with_context(WF)
    assert scoped is not composite and type(scoped) is CompositePayloadConverter
    (p,) = scoped.to_payloads([{"a": 1}])
    assert p.metadata["json-ctx"] == b"wf-1"
    (q,) = composite.to_payloads([{"a": 1}])
    assert "json-ctx" not in q.metadata
    assert scoped.from_payloads([p]) == [{"a": 1}]
    dc = DataConverter(payload_converter=composite).with_context(WF)
    (r,) = await dc.encode([[1, 2]])
    assert r.metadata["json-ctx"] == b"wf-1"


def test_contexts_are_frozen_values() -> None:
    ctx = ActivitySerializationContext(
        namespace="ns",
        activity_id="a",
        activity_type="t",
        activity_task_queue="tq",
        workflow_id=None,
        workflow_type=None,
        is_local=False,
    )
    assert ctx == ActivitySerializationContext("ns", "a", "t", "tq", None, None, False)
    with pytest.raises(AttributeError):
        ctx.activity_id = "b"  # type: ignore[misc]
    with pytest.raises(NotImplementedError):
        WithSerializationContext().with_context(WF)
