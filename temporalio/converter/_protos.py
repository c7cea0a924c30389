"""Lazy protobuf access for the converter modules.

``Payload``, ``Payloads`` and ``Failure`` are imported on first use (so that
importing :mod:`temporalio.converter` loads no protobuf module) and kept in
this module's globals. Other modules read them as ``_protos._Payload`` etc.
after calling :func:`_payload_cls` (never ``from ... import _Payload``, which
would copy the ``None`` of before the first use).

It also holds the helpers every converter module shares: the
protobuf-message tests (true only once protobuf is loaded) and
:func:`_type_name`, the type name the error messages use.
"""

from __future__ import annotations

import sys
from typing import Any

# Module globals, filled on first use.

_Payload: Any = None
_Payloads: Any = None
_Failure: Any = None


def _load_protos() -> None:
    global _Payload, _Payloads, _Failure
    from temporalio.api.common.v1 import Payload, Payloads
    from temporalio.api.failure.v1 import Failure

    _Payloads = Payloads
    _Failure = Failure
    _Payload = Payload  # last: the others are set once this one is


def _payload_cls() -> Any:
    if _Payload is None:
        _load_protos()
    return _Payload


def _message_base() -> Any:
    """``google.protobuf.message.Message`` if protobuf is loaded, else None
    (then no value can be a protobuf message)."""
    mod = sys.modules.get("google.protobuf.message")
    return None if mod is None else mod.Message


def _is_proto_message(value: Any) -> bool:
    base = _message_base()
    return base is not None and isinstance(value, base)


def _is_proto_type(t: type) -> bool:
    base = _message_base()
    return base is not None and issubclass(t, base)


def _type_name(value: Any) -> str:
    t = type(value)
    mod = t.__module__
    return t.__qualname__ if mod == "builtins" else f"{mod}.{t.__qualname__}"
