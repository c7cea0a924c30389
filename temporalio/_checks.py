"""Argument checks shared by the public modules.

Each check raises :class:`TypeError` for a wrong type and :class:`ValueError`
for a wrong value, naming the argument (``name``) as the caller gives it;
the messages are part of the API (tests assert them). Importing this module
loads nothing beyond the standard library.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping, Optional, Sequence


def _check_str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


def _check_timeout(value: Any, name: str, *, allow_zero: bool = True) -> Optional[timedelta]:
    if value is None:
        return None
    if not isinstance(value, timedelta):
        raise TypeError(f"{name} must be a datetime.timedelta, not {type(value).__name__}")
    if value < timedelta(0) or (not allow_zero and value == timedelta(0)):
        limit = "negative" if allow_zero else "zero or negative"
        raise ValueError(f"{name} must not be {limit}, got {value!r}")
    return value


def _check_rpc_options(rpc_metadata: Any, rpc_timeout: Any) -> None:
    if not isinstance(rpc_metadata, Mapping):
        raise TypeError(f"rpc_metadata must be a mapping, not {type(rpc_metadata).__name__}")
    _check_timeout(rpc_timeout, "rpc_timeout", allow_zero=False)


def _check_args(args: Any, name: str) -> Sequence[Any]:
    if isinstance(args, (str, bytes)) or not isinstance(args, Sequence):
        raise TypeError(f"{name} must be a list of arguments, not {type(args).__name__}")
    return args


def _enum(enum: Any, value: Any, name: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a {enum.__name__}, not {type(value).__name__}")
    try:
        return enum(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a {enum.__name__}") from None
