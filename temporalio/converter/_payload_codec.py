"""Payload codecs: :class:`PayloadCodec` (payloads <-> payloads, applied
after the payload converter) and the walk over every payload of a failure
chain that its ``encode_failure``/``decode_failure`` use."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Awaitable, Callable, List, Sequence

from temporalio.converter._protos import _type_name

if TYPE_CHECKING:
    from temporalio.api.common.v1 import Payload
    from temporalio.api.failure.v1 import Failure


class PayloadCodec(ABC):
    """Encodes/decodes lists of payloads (compression, encryption, ...),
    applied after the payload converter on the way out and before it on the
    way in. ``encode`` and ``decode`` must return one payload per input."""

    @abstractmethod
    async def encode(self, payloads: Sequence["Payload"]) -> List["Payload"]:
        """Encode payloads."""

    @abstractmethod
    async def decode(self, payloads: Sequence["Payload"]) -> List["Payload"]:
        """Decode payloads."""

    async def encode_failure(self, failure: "Failure") -> None:
        """Encode, in place, every payload in ``failure`` and its causes."""
        await _apply_to_failure(failure, self.encode)

    async def decode_failure(self, failure: "Failure") -> None:
        """Decode, in place, every payload in ``failure`` and its causes."""
        await _apply_to_failure(failure, self.decode)


# The ``Payloads`` field of each failure info that has one.
_PAYLOADS_FIELD = {
    "application_failure_info": "details",
    "timeout_failure_info": "last_heartbeat_details",
    "canceled_failure_info": "details",
    "reset_workflow_failure_info": "last_heartbeat_details",
}


def _failure_payload_lists(failure: "Failure") -> List[Any]:
    """Every ``Payloads`` message in a failure chain, plus encoded attributes
    (as ``("attr", failure)``)."""
    out: List[Any] = []
    f = failure
    depth = 0
    while f is not None and depth < 1000:
        if f.HasField("encoded_attributes"):
            out.append(("attr", f))
        info = f.WhichOneof("failure_info")
        field = _PAYLOADS_FIELD.get(info)
        if field is not None:
            sub = getattr(f, info)
            if sub.HasField(field):
                out.append(getattr(sub, field))
        f = f.cause if f.HasField("cause") else None
        depth += 1
    return out


async def _apply_to_failure(
    failure: "Failure", fn: Callable[[Sequence["Payload"]], Awaitable[List["Payload"]]]
) -> None:
    for item in _failure_payload_lists(failure):
        if isinstance(item, tuple):
            f = item[1]
            new = await fn([f.encoded_attributes])
            _check_codec_result(new, 1)
            f.encoded_attributes.CopyFrom(new[0])
        elif item.payloads:
            new = await fn(list(item.payloads))
            _check_codec_result(new, len(item.payloads))
            del item.payloads[:]
            item.payloads.extend(new)


def _check_codec_result(result: Any, n: int) -> None:
    if not isinstance(result, (list, tuple)) or len(result) != n:
        got = f"{len(result)} payloads" if isinstance(result, (list, tuple)) else _type_name(result)
        raise ValueError(f"Payload codec returned {got} for {n} payloads; expected {n}")
