"""A payload codec that shows the serialization context it was given, for
the tests of serialization contexts (unit and integration)."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

from temporalio.api.common.v1 import Payload

from temporalio.converter import PayloadCodec, SerializationContext, WithSerializationContext


class ContextTagCodec(PayloadCodec, WithSerializationContext):
    """Encoding tags each payload's metadata ``key`` with the attribute
    ``attr`` of its context (``workflow_id``, ``activity_id``; no context
    or no value: "-"); decoding records the context in ``seen`` (when
    given). The data is left as it is (so the peer's official worker,
    without this codec, reads it)."""

    def __init__(
        self, key: str, attr: str, seen: Optional[List[Any]] = None, context: Any = None
    ) -> None:
        self.key = key
        self.attr = attr
        self.seen = seen
        self.context = context

    def with_context(self, context: SerializationContext) -> "ContextTagCodec":
        return ContextTagCodec(self.key, self.attr, self.seen, context)

    async def encode(self, payloads: Sequence[Payload]) -> List[Payload]:
        tag = getattr(self.context, self.attr, None) or "-"
        out = []
        for p in payloads:
            q = Payload()
            q.CopyFrom(p)
            q.metadata[self.key] = tag.encode()
            out.append(q)
        return out

    async def decode(self, payloads: Sequence[Payload]) -> List[Payload]:
        if self.seen is not None:
            self.seen.append(self.context)
        return list(payloads)
