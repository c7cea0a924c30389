"""Temporal SDK for Python with a native core written in C.

``import temporalio`` is cheap: it loads neither the extension nor any
protobuf module. The top-level names below resolve on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# The one place the version is written: the package metadata reads it
# (pyproject.toml), and the connection sends it as the client-version header
# (temporalio.service.__version__ is this).
__version__ = "0.1.0"

# name -> module that defines it
_LAZY = {
    "Client": "temporalio.client",
    "Worker": "temporalio.worker",
    "WorkflowHandle": "temporalio.client",
    "RetryPolicy": "temporalio.common",
    "WorkflowService": "temporalio.service",
    "OperatorService": "temporalio.service",
    "RPCError": "temporalio.service",
    "TLSConfig": "temporalio.service",
    "RetryConfig": "temporalio.service",
    "KeepAliveConfig": "temporalio.service",
    "TemporalError": "temporalio.exceptions",
    "FailureError": "temporalio.exceptions",
    "ApplicationError": "temporalio.exceptions",
    "DataConverter": "temporalio.converter",
    "PayloadConverter": "temporalio.converter",
    "CompositePayloadConverter": "temporalio.converter",
    "BinaryNullPayloadConverter": "temporalio.converter",
    "BinaryPlainPayloadConverter": "temporalio.converter",
    "JSONProtoPayloadConverter": "temporalio.converter",
    "BinaryProtoPayloadConverter": "temporalio.converter",
    "JSONPlainPayloadConverter": "temporalio.converter",
    "PicklePayloadConverter": "temporalio.converter",
    "PayloadCodec": "temporalio.converter",
    "FailureConverter": "temporalio.converter",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowHandle
    from temporalio.common import RetryPolicy
    from temporalio.converter import (
        BinaryNullPayloadConverter,
        BinaryPlainPayloadConverter,
        BinaryProtoPayloadConverter,
        CompositePayloadConverter,
        DataConverter,
        FailureConverter,
        JSONPlainPayloadConverter,
        JSONProtoPayloadConverter,
        PayloadCodec,
        PayloadConverter,
        PicklePayloadConverter,
    )
    from temporalio.exceptions import ApplicationError, FailureError, TemporalError
    from temporalio.service import (
        KeepAliveConfig,
        OperatorService,
        RetryConfig,
        RPCError,
        TLSConfig,
        WorkflowService,
    )
    from temporalio.worker import Worker


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'temporalio' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))
