"""JSON type handling: :class:`AdvancedJSONEncoder` (values -> JSON) and
:func:`value_to_type` with the per-type-hint converters it builds and caches
(JSON-loaded values -> dataclasses, enums, datetimes, UUIDs, collections,
unions, ...)."""

from __future__ import annotations

import collections.abc
import dataclasses
import json
import sys
from datetime import datetime
from enum import Enum
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from temporalio.converter._protos import _message_base


class AdvancedJSONEncoder(json.JSONEncoder):
    """JSON encoder of the default converter (the same extensions as the
    official SDK's): datetimes as ISO 8601, dataclasses as dicts, objects with
    a ``dict()`` method through it, other iterables (sets, generators) as
    lists, UUIDs as strings."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return o.isoformat()
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dataclasses.asdict(o)
        dict_fn = getattr(o, "dict", None)
        if callable(dict_fn):
            return dict_fn()
        if not isinstance(o, list) and isinstance(o, collections.abc.Iterable):
            return list(o)
        uuid_mod = sys.modules.get("uuid")
        if uuid_mod is not None and isinstance(o, uuid_mod.UUID):
            return str(o)
        return super().default(o)


_TYPE_CONVERTERS: Dict[Any, Optional[Callable[[Any], Any]]] = {}
_NONE_TYPE = type(None)


def value_to_type(hint: Any, value: Any) -> Any:
    """Convert a JSON-loaded ``value`` (dict, list, scalar) to ``hint``.

    Raises TypeError when it cannot.
    """
    conv = _type_converter(hint)
    return value if conv is None else conv(value)


def _type_converter(hint: Any) -> Optional[Callable[[Any], Any]]:
    """A function converting JSON-loaded values to ``hint`` (cached), or None
    when values pass through unchanged."""
    try:
        return _TYPE_CONVERTERS[hint]
    except KeyError:
        pass
    except TypeError:  # unhashable hint
        return _build_converter(hint)
    conv = _build_converter(hint)
    _TYPE_CONVERTERS[hint] = conv
    return conv


def _fail(hint: Any, value: Any) -> TypeError:
    """The official SDK's text for a value of the wrong JSON type."""
    t = type(value)
    if hint is _NONE_TYPE:
        return TypeError(f"Expected None, got value of type {t}")
    if hint is int or hint is float:
        return TypeError(f"Expected value to be int|float, was {t}")
    if hint is str or hint is bool or hint is bytes:
        return TypeError(f"Expected value to be {hint.__name__}, was {t}")
    if hint is datetime:
        return TypeError(f"Expected datetime or ISO8601 string, got {t}")
    return TypeError(f"Expected {hint}, value was {t}")


def _parse_datetime(s: str) -> datetime:
    if sys.version_info < (3, 11):  # pragma: no cover - 3.11+ parses RFC 3339 itself
        # Before 3.11, fromisoformat takes neither "Z" nor fractions other
        # than 3 or 6 digits (Go writes up to 9).
        import re

        if s.endswith(("Z", "z")):
            s = s[:-1] + "+00:00"
        m = re.match(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$", s)
        if m:
            s = f"{m.group(1)}.{(m.group(2) + '000000')[:6]}{m.group(3)}"
    return datetime.fromisoformat(s)


def _build_converter(hint: Any) -> Optional[Callable[[Any], Any]]:
    import typing

    if hint is None or hint is Any or hint is object or isinstance(hint, typing.TypeVar):
        return None
    if hint is _NONE_TYPE:

        def to_none(v: Any) -> Any:
            if v is not None:
                raise _fail(hint, v)
            return None

        return to_none
    if hint is str or hint is bool:

        def exact(v: Any) -> Any:
            if type(v) is not hint:
                raise _fail(hint, v)
            return v

        return exact
    if hint is int or hint is float:

        def number(v: Any) -> Any:
            if not isinstance(v, (int, float)):
                raise _fail(hint, v)
            return v if type(v) is hint else hint(v)

        return number
    if hint is bytes:

        def to_bytes(v: Any) -> Any:
            if isinstance(v, (list, bytes)):
                return bytes(v)
            if isinstance(v, str):
                import base64

                return base64.b64decode(v)  # how Go/Java/TS write []byte in JSON
            raise _fail(hint, v)

        return to_bytes
    if hint is datetime:

        def to_datetime(v: Any) -> Any:
            if isinstance(v, datetime):
                return v
            if not isinstance(v, str):
                raise _fail(hint, v)
            try:
                return _parse_datetime(v)
            except ValueError as err:
                raise TypeError(f"Failed parsing datetime string: {v}") from err

        return to_datetime

    supertype = getattr(hint, "__supertype__", None)  # NewType
    if supertype is not None:
        return _type_converter(supertype)

    origin = typing.get_origin(hint)
    args = typing.get_args(hint)

    if origin is typing.Literal:

        def literal(v: Any) -> Any:
            if v not in args:
                raise TypeError(f"Value {v} not in literal values {args}")
            return v

        return literal

    if origin is Union or (sys.version_info >= (3, 10) and origin is __import__("types").UnionType):
        return _union_converter(hint, args)

    if origin is getattr(typing, "Annotated", None) and args:
        return _type_converter(args[0])

    cls = origin if origin is not None else hint
    if not isinstance(cls, type):
        raise TypeError(f"Unserializable type during conversion: {hint}")

    if dataclasses.is_dataclass(cls):
        return _dataclass_converter(cls)

    if issubclass(cls, collections.abc.Mapping):
        return _mapping_converter(hint, cls, args)

    if issubclass(cls, Enum):

        def to_enum(v: Any) -> Any:
            try:
                return cls(v)
            except ValueError as err:
                raise TypeError(str(err)) from err

        return to_enum

    uuid_mod = sys.modules.get("uuid")
    if uuid_mod is not None and issubclass(cls, uuid_mod.UUID):

        def to_uuid(v: Any) -> Any:
            if isinstance(v, cls):
                return v
            if not isinstance(v, str):
                raise _fail(hint, v)
            return cls(v)  # type: ignore[call-arg]

        return to_uuid

    if issubclass(cls, (str, bytes)):
        raise TypeError(f"Unserializable type during conversion: {hint}")

    if issubclass(cls, collections.abc.Iterable):
        return _iterable_converter(hint, cls, args)

    base = _message_base()
    if base is not None and issubclass(cls, base):

        def to_message(v: Any) -> Any:
            from google.protobuf import json_format

            return json_format.ParseDict(v, cls())  # type: ignore[type-var]

        return to_message

    raise TypeError(f"Unserializable type during conversion: {hint}")


def _union_converter(hint: Any, args: Tuple[Any, ...]) -> Optional[Callable[[Any], Any]]:
    if any(a is Any or a is object for a in args):
        return None
    has_none = _NONE_TYPE in args
    members = [a for a in args if a is not _NONE_TYPE]
    convs = [_type_converter(a) for a in members]
    if len(convs) == 1 and has_none:
        only = convs[0]
        if only is None:
            return None

        def optional(v: Any) -> Any:
            return None if v is None else only(v)

        return optional

    def union(v: Any) -> Any:
        if v is None and has_none:
            return None
        for conv in convs:
            if conv is None:
                return v
            try:
                return conv(v)
            except Exception:
                pass
        raise TypeError(f"Failed converting to {hint} from {v}")

    return union


def _dataclass_converter(cls: type) -> Callable[[Any], Any]:
    # Field converters are built on first call so that self-referencing
    # dataclasses (trees) work. Built into a new list and published at once:
    # two threads racing here build the same plan twice, harmlessly.
    state: List[Any] = [None]

    def build() -> List[Tuple[str, bool, Optional[Callable[[Any], Any]]]]:
        import typing

        hints = typing.get_type_hints(cls)
        plan = [
            (f.name, f.init, _type_converter(hints.get(f.name, Any)))
            for f in dataclasses.fields(cls)
        ]
        state[0] = plan
        return plan

    def to_dataclass(v: Any) -> Any:
        if isinstance(v, cls):
            return v
        if not isinstance(v, dict):
            raise TypeError(f"Cannot convert to dataclass {cls}, value is {type(v)} not dict")
        plan = state[0]
        if plan is None:
            plan = build()
        kwargs = {}
        late = []
        for name, init, conv in plan:
            if name in v:
                fv = v[name]
                if conv is not None:
                    try:
                        fv = conv(fv)
                    except Exception as err:
                        raise TypeError(
                            f"Failed converting field {name} on dataclass {cls}: {err}"
                        ) from err
                if init:
                    kwargs[name] = fv
                else:
                    late.append((name, fv))
        try:
            obj = cls(**kwargs)
        except TypeError as err:
            raise TypeError(f"Cannot build dataclass {cls.__qualname__}: {err}") from err
        for name, fv in late:
            object.__setattr__(obj, name, fv)
        return obj

    return to_dataclass


def _key_converter(kt: Any) -> Optional[Callable[[Any], Any]]:
    """JSON object keys are strings; rebuild int/float/bool/None/enum keys."""
    if kt is None or kt is Any or kt is str:
        return None
    if kt is int or kt is float:
        return kt
    if kt is bool:
        return {"true": True, "false": False}.__getitem__
    if kt is _NONE_TYPE:
        return {"null": None}.__getitem__
    if isinstance(kt, type) and issubclass(kt, Enum) and issubclass(kt, int):
        return lambda k: kt(int(k))
    return _type_converter(kt)


def _mapping_converter(hint: Any, cls: type, args: Tuple[Any, ...]) -> Callable[[Any], Any]:
    import typing

    typed_dict_hints = None
    if getattr(cls, "__required_keys__", None) is not None:  # TypedDict
        typed_dict_hints = {k: _type_converter(t) for k, t in typing.get_type_hints(cls).items()}
    kconv = _key_converter(args[0]) if len(args) > 0 else None
    vconv = _type_converter(args[1]) if len(args) > 1 else None

    def to_mapping(v: Any) -> Any:
        if not isinstance(v, collections.abc.Mapping):
            raise _fail(hint, v)
        if typed_dict_hints is not None:
            out = {}
            for k, item in v.items():
                conv = typed_dict_hints.get(k)
                out[k] = item if conv is None else conv(item)
            return out
        if kconv is None and vconv is None:
            return v if type(v) is dict else dict(v)
        out = {}
        for k, item in v.items():
            try:
                nk = k if kconv is None else kconv(k)
            except Exception as err:
                raise TypeError(f"Cannot convert key {k!r} of {hint!r}: {err}") from err
            try:
                out[nk] = item if vconv is None else vconv(item)
            except Exception as err:
                raise TypeError(f"Cannot convert value for key {k!r} of {hint!r}: {err}") from err
        return out

    return to_mapping


def _iterable_converter(hint: Any, cls: type, args: Tuple[Any, ...]) -> Callable[[Any], Any]:
    is_tuple = cls is tuple
    variadic = not is_tuple or (len(args) == 2 and args[1] is Ellipsis)
    if not args:
        convs: Any = None
    elif variadic:
        convs = _type_converter(args[0])
    else:
        convs = [_type_converter(a) for a in args]
    if cls in (list, tuple, set, frozenset) or cls is collections.deque:
        ctor: Any = cls
    else:  # abstract (Sequence, Iterable, Collection, ...): a list
        ctor = list

    def to_iterable(v: Any) -> Any:
        if not isinstance(v, (list, tuple)):
            raise _fail(hint, v)
        if convs is None:
            items = v
        elif variadic:
            try:
                items = [convs(x) for x in v]
            except Exception as err:
                raise TypeError(f"Cannot convert an item of {hint!r}: {err}") from err
        else:
            if len(v) != len(convs):
                raise TypeError(f"Expected {len(convs)} items for {hint!r}, got {len(v)}")
            items = [x if c is None else c(x) for c, x in zip(convs, v)]
        return items if ctor is list and type(items) is list else ctor(items)

    return to_iterable
