"""Payload, codec and failure conversion.

A :class:`DataConverter` turns Python values into
``temporal.api.common.v1.Payload`` messages and back, in two stages:

1. a :class:`PayloadConverter` (value <-> payload); the default is the
   composite of :class:`BinaryNullPayloadConverter`,
   :class:`BinaryPlainPayloadConverter`, :class:`JSONProtoPayloadConverter`,
   :class:`BinaryProtoPayloadConverter` and :class:`JSONPlainPayloadConverter`,
   whose bytes are identical to the official Temporal Python SDK's;
2. an optional :class:`PayloadCodec` (payloads <-> payloads, e.g. compression
   or encryption), applied after conversion.

Exceptions travel as ``temporal.api.failure.v1.Failure`` through a
:class:`FailureConverter`.

A ``PayloadConverter``'s ``encode(*values)`` / ``decode(*payloads)`` may be
plain functions or coroutines. Each returns a single item, a list the size of
its input, or ``None`` when it cannot handle the input; anything else is an
error. See :class:`PayloadConverter` for the exact rules.

Importing this module loads neither protobuf nor ``temporalio.api``: they are
imported on first use.
"""

# The package's modules, by concern (none loads protobuf). The public
# names are re-exported here; their home modules are private, so classes may
# move between them.
from typing import TYPE_CHECKING, Dict, Tuple

from temporalio._exports import lazy_exports

# Loaded on first use (module __getattr__ below): the converters and the
# json machinery cost more to import than a client that never converts.
# module -> the names re-exported from it
_LAZY_FROM: Dict[str, Tuple[str, ...]] = {
    "temporalio.converter._data_converter": ("DataConverter",),
    "temporalio.converter._failure_converter": (
        "DefaultFailureConverter",
        "FailureConverter",
    ),
    "temporalio.converter._json_types": (
        "AdvancedJSONEncoder",
        "value_to_type",
    ),
    "temporalio.converter._payload_codec": ("PayloadCodec",),
    "temporalio.converter._payload_converter": (
        "BinaryNullPayloadConverter",
        "BinaryPlainPayloadConverter",
        "BinaryProtoPayloadConverter",
        "CompositePayloadConverter",
        "DefaultPayloadConverter",
        "EncodingPayloadConverter",
        "JSONPlainPayloadConverter",
        "JSONProtoPayloadConverter",
        "PayloadConverter",
        "PicklePayloadConverter",
    ),
    "temporalio.converter._serialization_context": (
        "ActivitySerializationContext",
        "SerializationContext",
        "WithSerializationContext",
        "WorkflowSerializationContext",
    ),
}

if TYPE_CHECKING:
    from temporalio.converter._data_converter import DataConverter
    from temporalio.converter._failure_converter import DefaultFailureConverter, FailureConverter
    from temporalio.converter._json_types import AdvancedJSONEncoder, value_to_type
    from temporalio.converter._payload_codec import PayloadCodec
    from temporalio.converter._payload_converter import (
        BinaryNullPayloadConverter,
        BinaryPlainPayloadConverter,
        BinaryProtoPayloadConverter,
        CompositePayloadConverter,
        DefaultPayloadConverter,
        EncodingPayloadConverter,
        JSONPlainPayloadConverter,
        JSONProtoPayloadConverter,
        PayloadConverter,
        PicklePayloadConverter,
    )
    from temporalio.converter._serialization_context import (
        ActivitySerializationContext,
        SerializationContext,
        WithSerializationContext,
        WorkflowSerializationContext,
    )

__all__ = [
    "PayloadConverter",
    "EncodingPayloadConverter",
    "CompositePayloadConverter",
    "DefaultPayloadConverter",
    "BinaryNullPayloadConverter",
    "BinaryPlainPayloadConverter",
    "JSONProtoPayloadConverter",
    "BinaryProtoPayloadConverter",
    "JSONPlainPayloadConverter",
    "PicklePayloadConverter",
    "AdvancedJSONEncoder",
    "PayloadCodec",
    "FailureConverter",
    "DefaultFailureConverter",
    "DataConverter",
    "value_to_type",
    "SerializationContext",
    "WorkflowSerializationContext",
    "ActivitySerializationContext",
    "WithSerializationContext",
]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY_FROM)
