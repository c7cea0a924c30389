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

from __future__ import annotations

import collections.abc
import dataclasses
import inspect
import json
import sys
import traceback
from abc import ABC, abstractmethod
from datetime import datetime
from enum import Enum
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    ClassVar,
    Dict,
    List,
    Optional,
    cast,
    Sequence,
    Tuple,
    Type,
    Union,
)

import temporalio.exceptions as _exc

if TYPE_CHECKING:
    from temporalio.api.common.v1 import Payload, Payloads
    from temporalio.api.failure.v1 import Failure

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
]

# ---------------------------------------------------------------------------
# Lazy protobuf access. Module globals, filled on first use.

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


def _type_name(value: Any) -> str:
    t = type(value)
    mod = t.__module__
    return t.__qualname__ if mod == "builtins" else f"{mod}.{t.__qualname__}"


def _is_awaitable(value: Any) -> bool:
    # Cheaper than inspect.isawaitable for the common non-awaitable results.
    return hasattr(value, "__await__")


def _is_async_callable(fn: Any) -> bool:
    return inspect.iscoroutinefunction(fn)


def _accepts_type_hints(fn: Any) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.kind is inspect.Parameter.VAR_KEYWORD
        or (p.name == "type_hints" and p.kind is not inspect.Parameter.VAR_POSITIONAL)
        for p in params
    )


# ---------------------------------------------------------------------------
# Payload converters


class PayloadConverter(ABC):
    """Converts values to payloads and back.

    ``encode(*values)`` and ``decode(*payloads, type_hints=None)`` may each be
    a plain method or ``async def``; callers await the result only when it is
    awaitable. Each may return:

    * a single item (a ``Payload`` from ``encode``, a value from ``decode``);
      from ``decode`` this is how the result is read whenever exactly one
      payload was given (so a returned list is the decoded value itself);
    * a list (or tuple) of items the same size as the input;
    * ``None`` when this converter cannot handle the input (for ``decode``
      of a single payload, ``None`` is the decoded value).

    Anything else is an error; errors raised by the converter propagate.
    ``decode`` receives ``type_hints`` (one per payload, items may be None)
    only if its signature has a ``type_hints`` parameter or ``**kwargs``.

    Converters used inside a :class:`CompositePayloadConverter` also need an
    ``encoding`` attribute: the ``encoding`` metadata value they write and
    decode.
    """

    default: ClassVar["PayloadConverter"]
    """The default converter: :class:`DefaultPayloadConverter`."""

    @abstractmethod
    def encode(self, *values: Any) -> Any:
        """Encode values: a ``Payload``, a list of them or ``None`` (or an
        awaitable of one of those)."""

    @abstractmethod
    def decode(
        self,
        *payloads: "Payload",
        type_hints: Optional[Sequence[Optional[type]]] = None,
    ) -> Any:
        """Decode payloads: a value, a list of them or ``None`` (or an
        awaitable of one of those)."""

    # -- synchronous helpers (for failure converters and sync callers) --

    def to_payloads(self, values: Sequence[Any]) -> List["Payload"]:
        """Encode ``values`` synchronously; the converter must not be async."""
        if not values:
            return []
        result = self.encode(*values)
        if _is_awaitable(result):
            _close(result)
            raise TypeError(
                f"{type(self).__name__}.encode is asynchronous; use "
                "DataConverter.encode to await it"
            )
        return _check_encoded(result, values, self)

    def from_payloads(
        self,
        payloads: Sequence["Payload"],
        type_hints: Optional[Sequence[Optional[type]]] = None,
    ) -> List[Any]:
        """Decode ``payloads`` synchronously; the converter must not be async."""
        if not payloads:
            return []
        result = _call_decode(self, payloads, type_hints)
        if _is_awaitable(result) and _is_async_callable(self.decode):
            _close(result)
            raise TypeError(
                f"{type(self).__name__}.decode is asynchronous; use "
                "DataConverter.decode to await it"
            )
        return _check_decoded(result, len(payloads), self)

    def to_payload(self, value: Any) -> "Payload":
        """Encode one value synchronously."""
        return self.to_payloads((value,))[0]

    def from_payload(self, payload: "Payload", type_hint: Optional[type] = None) -> Any:
        """Decode one payload synchronously."""
        return self.from_payloads((payload,), None if type_hint is None else (type_hint,))[0]

    def to_payloads_wrapper(self, values: Sequence[Any]) -> "Payloads":
        """:meth:`to_payloads` into a ``Payloads`` message."""
        _payload_cls()
        return _Payloads(payloads=self.to_payloads(values))

    def from_payloads_wrapper(self, payloads: Optional["Payloads"]) -> List[Any]:
        """:meth:`from_payloads` from a ``Payloads`` message (None or empty
        gives ``[]``)."""
        if payloads is None or not payloads.payloads:
            return []
        return self.from_payloads(payloads.payloads)


def _close(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()


def _call_decode(
    pc: Any, payloads: Sequence[Any], type_hints: Optional[Sequence[Optional[type]]]
) -> Any:
    if type_hints is not None and _decode_takes_hints(pc):
        return pc.decode(*payloads, type_hints=type_hints)
    return pc.decode(*payloads)


_HINTS_CACHE: Dict[type, bool] = {}


def _decode_takes_hints(pc: Any) -> bool:
    t = type(pc)
    r = _HINTS_CACHE.get(t)
    if r is None:
        r = _HINTS_CACHE[t] = _accepts_type_hints(pc.decode)
    return r


def _unencodable(values: Sequence[Any], index: int, cause: Optional[str] = None) -> TypeError:
    value = values[index]
    msg = f"Value at index {index} of type {_type_name(value)} cannot be encoded: "
    msg += cause or "no payload converter accepts it"
    return TypeError(msg)


def _check_encoded(result: Any, values: Sequence[Any], pc: Any) -> List["Payload"]:
    """Validate an ``encode`` result against its input."""
    P = _payload_cls()
    n = len(values)
    if type(result) is P:
        if n == 1:
            return [result]
        raise ValueError(
            f"{type(pc).__name__}.encode returned 1 payload for {n} values; "
            f"expected a list of {n} payloads"
        )
    if result is None:
        if n == 1:
            raise _unencodable(values, 0)
        types = ", ".join(_type_name(v) for v in values)
        raise TypeError(f"Values of types ({types}) cannot be encoded by {type(pc).__name__}")
    if isinstance(result, (list, tuple)):
        if len(result) != n:
            raise ValueError(
                f"{type(pc).__name__}.encode returned a list of {len(result)} "
                f"payloads for {n} values; expected {n}"
            )
        for i, p in enumerate(result):
            if type(p) is not P:
                if p is None:
                    raise _unencodable(values, i)
                raise TypeError(
                    f"{type(pc).__name__}.encode returned a list whose item {i} "
                    f"is a {_type_name(p)}, not a Payload"
                )
        return list(result)
    raise TypeError(
        f"{type(pc).__name__}.encode returned a {_type_name(result)}; expected a "
        f"Payload, a list of {n} Payloads, or None"
    )


def _check_decoded(result: Any, n: int, pc: Any) -> List[Any]:
    """Validate a ``decode`` result against its input size."""
    if n == 1:
        return [result]
    if isinstance(result, (list, tuple)):
        if len(result) == n:
            return list(result)
        raise ValueError(
            f"{type(pc).__name__}.decode returned a list of {len(result)} "
            f"values for {n} payloads; expected {n}"
        )
    if result is None:
        raise ValueError(f"{type(pc).__name__}.decode could not decode the {n} payloads")
    raise TypeError(
        f"{type(pc).__name__}.decode returned a {_type_name(result)} for {n} "
        f"payloads; expected a list of {n} values"
    )


class EncodingPayloadConverter(PayloadConverter):
    """Base of converters for one ``encoding`` (the built-in ones).

    Subclasses set :attr:`encoding` and implement :meth:`to_payload_or_none`
    and :meth:`decode_one`; :meth:`accepts_type` lets a composite pick them by
    the value's type alone.
    """

    encoding: str = ""

    def accepts_type(self, t: type) -> Optional[bool]:
        """Whether values of type ``t`` are this converter's. ``None`` means
        "depends on the value": the composite then asks
        :meth:`to_payload_or_none` for each value."""
        return None

    @abstractmethod
    def to_payload_or_none(self, value: Any) -> Optional["Payload"]:
        """The payload for ``value``, or None if this converter does not
        handle it."""

    @abstractmethod
    def decode_one(self, payload: "Payload", type_hint: Optional[type] = None) -> Any:
        """Decode one payload of this encoding."""

    def encode(self, *values: Any) -> Any:
        if len(values) == 1:
            return self.to_payload_or_none(values[0])
        out = []
        for v in values:
            p = self.to_payload_or_none(v)
            if p is None:
                return None
            out.append(p)
        return out

    def decode(
        self,
        *payloads: "Payload",
        type_hints: Optional[Sequence[Optional[type]]] = None,
    ) -> Any:
        if len(payloads) == 1:
            return self.decode_one(payloads[0], type_hints[0] if type_hints else None)
        hints = list(type_hints or ())
        hints += [None] * (len(payloads) - len(hints))
        return [self.decode_one(p, h) for p, h in zip(payloads, hints)]

    # Subclasses store their encoding metadata once.
    _enc_bytes: bytes = b""


def _meta_payload(encoding: bytes, data: bytes, **extra: bytes) -> "Payload":
    P = _Payload or _payload_cls()
    meta = {"encoding": encoding}
    if extra:
        meta.update(extra)
    return P(metadata=meta, data=data)


_TEMPLATES: Dict[bytes, Any] = {}


def _new_payload(encoding: bytes, data: bytes) -> "Payload":
    """A payload with only ``encoding`` metadata. Copying a prebuilt template
    is about 3x cheaper than building the metadata map each time."""
    t = _TEMPLATES.get(encoding)
    if t is None:
        t = _TEMPLATES[encoding] = _payload_cls()(metadata={"encoding": encoding})
    p = _Payload()
    p.CopyFrom(t)
    if data:
        p.data = data
    return p


class BinaryNullPayloadConverter(EncodingPayloadConverter):
    """``None`` <-> ``binary/null`` with empty data."""

    encoding = "binary/null"

    def accepts_type(self, t: type) -> Optional[bool]:
        return t is type(None)

    def to_payload_or_none(self, value: Any) -> Optional["Payload"]:
        if value is None:
            return _new_payload(b"binary/null", b"")
        return None

    def decode_one(self, payload: "Payload", type_hint: Optional[type] = None) -> Any:
        if payload.data:
            raise ValueError("binary/null payload has non-empty data")
        return None


class BinaryPlainPayloadConverter(EncodingPayloadConverter):
    """``bytes`` <-> ``binary/plain``, data as is."""

    encoding = "binary/plain"

    def accepts_type(self, t: type) -> Optional[bool]:
        return issubclass(t, bytes)

    def to_payload_or_none(self, value: Any) -> Optional["Payload"]:
        if isinstance(value, bytes):
            return _new_payload(b"binary/plain", bytes(value))
        return None

    def decode_one(self, payload: "Payload", type_hint: Optional[type] = None) -> Any:
        return payload.data


_PROTO_CLASSES: Dict[str, Any] = {}


def _proto_class(name: str, type_hint: Optional[type]) -> Any:
    """The message class for full name ``name``: the type hint if it is that
    message, else from the default descriptor pool (importing
    ``temporalio.api.<pkg>`` for Temporal API types)."""
    base = _message_base()
    if (
        type_hint is not None
        and base is not None
        and isinstance(type_hint, type)
        and issubclass(type_hint, base)
        and (not name or getattr(type_hint, "DESCRIPTOR").full_name == name)
    ):
        return type_hint
    cls = _PROTO_CLASSES.get(name)
    if cls is not None:
        return cls
    from google.protobuf import descriptor_pool, message_factory

    if name.startswith("temporal.api."):
        parts = name.split(".")
        if len(parts) >= 5:
            try:
                __import__("temporalio.api." + ".".join(parts[2:4]))
            except ImportError:
                pass
    try:
        desc = descriptor_pool.Default().FindMessageTypeByName(name)
    except KeyError:
        raise ValueError(f"Unknown protobuf message type {name!r}") from None
    cls = message_factory.GetMessageClass(desc)
    _PROTO_CLASSES[name] = cls
    return cls


class JSONProtoPayloadConverter(EncodingPayloadConverter):
    """Protobuf messages <-> ``json/protobuf`` with ``messageType`` metadata,
    using the protobuf JSON mapping, dumped compact with sorted keys."""

    encoding = "json/protobuf"

    def __init__(self, ignore_unknown_fields: bool = False) -> None:
        self._ignore_unknown_fields = ignore_unknown_fields

    def accepts_type(self, t: type) -> Optional[bool]:
        base = _message_base()
        return base is not None and issubclass(t, base)

    def to_payload_or_none(self, value: Any) -> Optional["Payload"]:
        if not _is_proto_message(value):
            return None
        from google.protobuf import json_format

        data = _COMPACT_JSON.encode(json_format.MessageToDict(value)).encode()
        return _meta_payload(
            b"json/protobuf", data, messageType=value.DESCRIPTOR.full_name.encode()
        )

    def decode_one(self, payload: "Payload", type_hint: Optional[type] = None) -> Any:
        from google.protobuf import json_format

        name = payload.metadata.get("messageType", b"").decode()
        cls = _proto_class(name, type_hint)
        try:
            return json_format.Parse(
                payload.data, cls(), ignore_unknown_fields=self._ignore_unknown_fields
            )
        except json_format.ParseError as err:
            raise ValueError(f"Invalid json/protobuf payload for {name}: {err}") from err


class BinaryProtoPayloadConverter(EncodingPayloadConverter):
    """Protobuf messages <-> ``binary/protobuf`` with ``messageType``
    metadata. In the default composite it comes after
    :class:`JSONProtoPayloadConverter`, so it only decodes."""

    encoding = "binary/protobuf"

    def accepts_type(self, t: type) -> Optional[bool]:
        base = _message_base()
        return base is not None and issubclass(t, base)

    def to_payload_or_none(self, value: Any) -> Optional["Payload"]:
        if not _is_proto_message(value):
            return None
        return _meta_payload(
            b"binary/protobuf",
            value.SerializeToString(),
            messageType=value.DESCRIPTOR.full_name.encode(),
        )

    def decode_one(self, payload: "Payload", type_hint: Optional[type] = None) -> Any:
        from google.protobuf.message import DecodeError

        name = payload.metadata.get("messageType", b"").decode()
        msg = _proto_class(name, type_hint)()
        try:
            msg.ParseFromString(payload.data)
        except DecodeError as err:
            raise ValueError(f"Invalid binary/protobuf payload for {name}: {err}") from err
        return msg


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


# Reused encoder instances: same output as json.dumps with these options,
# without building an encoder per call.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), sort_keys=True)
_JSON_DECODE = json.JSONDecoder().decode


class JSONPlainPayloadConverter(EncodingPayloadConverter):
    """Any JSON-able value <-> ``json/plain``: compact separators, sorted
    keys, ASCII escapes (byte-identical to the official Python SDK).

    Decoding with a type hint rebuilds dataclasses, enums, datetimes, UUIDs,
    lists/dicts/tuples/sets of them, ``Optional``/unions and ``Literal``.
    """

    encoding = "json/plain"

    def __init__(
        self,
        *,
        encoder: Optional[Type[json.JSONEncoder]] = AdvancedJSONEncoder,
        decoder: Optional[Type[json.JSONDecoder]] = None,
        encoding: str = "json/plain",
    ) -> None:
        self.encoding = encoding
        self._enc_bytes = encoding.encode()
        self._dumps = (encoder or json.JSONEncoder)(
            separators=(",", ":"), sort_keys=True
        ).encode
        self._loads = (decoder or json.JSONDecoder)().decode

    def accepts_type(self, t: type) -> Optional[bool]:
        return True

    def to_payload_or_none(self, value: Any) -> Optional["Payload"]:
        # Unencodable values raise (TypeError naming the type), as in the
        # official SDK: this converter comes last.
        return _new_payload(self._enc_bytes, self._dumps(value).encode())

    def decode_one(self, payload: "Payload", type_hint: Optional[type] = None) -> Any:
        try:
            value = self._loads(payload.data.decode())
        except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
            raise ValueError(f"Invalid {self.encoding} payload: {err}") from err
        if type_hint is None:
            return value
        conv = _type_converter(type_hint)
        return value if conv is None else conv(value)


class PicklePayloadConverter(EncodingPayloadConverter):
    """Any picklable value <-> ``python/pickle``. Opt-in only: no other SDK
    can read it, and unpickling runs code chosen by whoever wrote the
    payload."""

    encoding = "python/pickle"

    def __init__(self, protocol: Optional[int] = None) -> None:
        self._protocol = protocol

    def accepts_type(self, t: type) -> Optional[bool]:
        return True

    def to_payload_or_none(self, value: Any) -> Optional["Payload"]:
        import pickle

        return _new_payload(b"python/pickle", pickle.dumps(value, protocol=self._protocol))

    def decode_one(self, payload: "Payload", type_hint: Optional[type] = None) -> Any:
        import pickle

        return pickle.loads(payload.data)


class CompositePayloadConverter(PayloadConverter):
    """Tries its converters in order for each value on encode; on decode picks
    the converter by the payload's ``encoding`` metadata.

    ``CompositePayloadConverter([a, b])`` and ``CompositePayloadConverter(a,
    b)`` are the same. Every converter needs an ``encoding`` attribute.
    """

    def __init__(self, *converters: Any) -> None:
        if len(converters) == 1 and isinstance(converters[0], (list, tuple)):
            converters = tuple(converters[0])
        by_encoding: Dict[bytes, Any] = {}
        for c in converters:
            if not (callable(getattr(c, "encode", None)) and callable(getattr(c, "decode", None))):
                raise TypeError(
                    f"CompositePayloadConverter needs payload converters, got {_type_name(c)}"
                )
            enc = getattr(c, "encoding", None)
            if not isinstance(enc, str) or not enc:
                raise TypeError(
                    f"{_type_name(c)} has no 'encoding' attribute (str): a "
                    "CompositePayloadConverter picks decoders by encoding"
                )
            by_encoding.setdefault(enc.encode(), c)
        self.converters: Tuple[Any, ...] = tuple(converters)
        self._by_encoding = by_encoding
        # Built-in converters are synchronous and pick values by type, so a
        # type -> converter cache replaces trying each one per value.
        # (Only when encode/decode are not overridden: the fast path calls
        # to_payload_or_none / decode_one directly.)
        self._builtin = all(
            isinstance(c, EncodingPayloadConverter)
            and type(c).encode is EncodingPayloadConverter.encode
            and type(c).decode is EncodingPayloadConverter.decode
            for c in converters
        )
        self._sync = all(
            not (_is_async_callable(c.encode) or _is_async_callable(c.decode))
            and getattr(c, "_sync", True)
            for c in converters
        )
        self._by_type: Dict[type, Any] = {}

    @property
    def is_sync(self) -> bool:
        """Whether every converter is synchronous."""
        return self._sync

    # -- the PayloadConverter interface --

    def encode(self, *values: Any) -> Any:
        if self._sync:
            return self._encode_list(values)
        return self._encode_async(values)

    def decode(
        self,
        *payloads: "Payload",
        type_hints: Optional[Sequence[Optional[type]]] = None,
    ) -> Any:
        if self._sync:
            values = self._decode_list(payloads, type_hints)
        else:
            return self._decode_async(payloads, type_hints)
        return values[0] if len(values) == 1 else values

    def to_payloads(self, values: Sequence[Any]) -> List["Payload"]:
        if self._sync:
            return self._encode_list(values)
        return super().to_payloads(values)

    def from_payloads(
        self,
        payloads: Sequence["Payload"],
        type_hints: Optional[Sequence[Optional[type]]] = None,
    ) -> List[Any]:
        if self._sync:
            return self._decode_list(payloads, type_hints)
        return super().from_payloads(payloads, type_hints)

    # -- internals --

    def _pick(self, value: Any) -> Any:
        """The built-in converter for ``value`` (cached by type when every
        converter decides by type)."""
        t = type(value)
        by_value = False
        for c in self.converters:
            ok = c.accepts_type(t)
            if ok is None:
                by_value = True
                if c.to_payload_or_none(value) is not None:
                    return c
            elif ok:
                if not by_value:
                    self._by_type[t] = c
                return c
        return None

    def _encode_list(self, values: Sequence[Any]) -> List["Payload"]:
        if not self._builtin:
            return [self._encode_one_sync(v, i, values) for i, v in enumerate(values)]
        out = []
        by_type = self._by_type
        for i, v in enumerate(values):
            c = by_type.get(type(v)) or self._pick(v)
            if c is None:
                raise _unencodable(values, i)
            try:
                p = c.to_payload_or_none(v)
            except TypeError as err:
                raise _unencodable(values, i, str(err)) from err
            if p is None:
                raise _unencodable(values, i)
            out.append(p)
        return out

    def _encode_one_sync(self, v: Any, i: int, values: Sequence[Any]) -> "Payload":
        P = _payload_cls()
        for c in self.converters:
            try:
                r = c.encode(v)
            except TypeError as err:
                if isinstance(c, JSONPlainPayloadConverter):
                    raise _unencodable(values, i, str(err)) from err
                raise
            if r is None:
                continue
            return _single_payload(r, c, P)
        raise _unencodable(values, i)

    async def _encode_async(self, values: Sequence[Any]) -> List["Payload"]:
        P = _payload_cls()
        out = []
        for i, v in enumerate(values):
            for c in self.converters:
                try:
                    r = c.encode(v)
                    if _is_awaitable(r):
                        r = await r
                except TypeError as err:
                    if isinstance(c, JSONPlainPayloadConverter):
                        raise _unencodable(values, i, str(err)) from err
                    raise
                if r is not None:
                    out.append(_single_payload(r, c, P))
                    break
            else:
                raise _unencodable(values, i)
        return out

    def _converter_for(self, payload: "Payload", index: int) -> Any:
        enc = payload.metadata.get("encoding")
        c = self._by_encoding.get(enc)
        if c is None:
            name = "(none)" if enc is None else enc.decode(errors="replace")
            known = ", ".join(e.decode() for e in self._by_encoding)
            raise ValueError(
                f"Unknown payload encoding {name!r} (payload at index {index}); "
                f"known encodings: {known}"
            )
        return c

    def _decode_list(
        self,
        payloads: Sequence["Payload"],
        type_hints: Optional[Sequence[Optional[type]]],
    ) -> List[Any]:
        out = []
        nh = len(type_hints) if type_hints else 0
        builtin = self._builtin
        by_encoding = self._by_encoding
        for i, p in enumerate(payloads):
            c = by_encoding.get(p.metadata.get("encoding")) or self._converter_for(p, i)
            hint = type_hints[i] if i < nh else None  # type: ignore[index]
            if builtin:
                out.append(c.decode_one(p, hint))
            else:
                r = _call_decode(c, (p,), None if hint is None else (hint,))
                out.append(r)
        return out

    async def _decode_async(
        self,
        payloads: Sequence["Payload"],
        type_hints: Optional[Sequence[Optional[type]]],
    ) -> Any:
        out = []
        nh = len(type_hints) if type_hints else 0
        for i, p in enumerate(payloads):
            c = self._converter_for(p, i)
            hint = type_hints[i] if i < nh else None  # type: ignore[index]
            r = _call_decode(c, (p,), None if hint is None else (hint,))
            if _is_awaitable(r) and _is_async_callable(c.decode):
                r = await r
            out.append(r)
        return out[0] if len(out) == 1 else out


def _single_payload(r: Any, c: Any, P: Any) -> "Payload":
    if type(r) is P:
        return r
    if isinstance(r, (list, tuple)) and len(r) == 1 and type(r[0]) is P:
        return r[0]
    raise TypeError(
        f"{type(c).__name__}.encode returned a {_type_name(r)} for one value; "
        "expected a Payload, a list of one Payload, or None"
    )


class DefaultPayloadConverter(CompositePayloadConverter):
    """The default composite: binary/null, binary/plain, json/protobuf,
    binary/protobuf, json/plain (JSON last: it accepts every value)."""

    def __init__(self) -> None:
        super().__init__(
            BinaryNullPayloadConverter(),
            BinaryPlainPayloadConverter(),
            JSONProtoPayloadConverter(),
            BinaryProtoPayloadConverter(),
            JSONPlainPayloadConverter(),
        )


PayloadConverter.default = DefaultPayloadConverter()


# ---------------------------------------------------------------------------
# Type-hinted JSON decoding


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


def _hint_name(hint: Any) -> str:
    return getattr(hint, "__qualname__", None) or repr(hint)


def _fail(hint: Any, value: Any) -> TypeError:
    return TypeError(f"Cannot convert value of type {_type_name(value)} to {_hint_name(hint)}")


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
                raise TypeError(f"Cannot parse datetime {v!r}: {err}") from err

        return to_datetime

    supertype = getattr(hint, "__supertype__", None)  # NewType
    if supertype is not None:
        return _type_converter(supertype)

    origin = typing.get_origin(hint)
    args = typing.get_args(hint)

    if origin is typing.Literal:

        def literal(v: Any) -> Any:
            if v not in args:
                raise TypeError(f"Value {v!r} is not one of {args!r}")
            return v

        return literal

    if origin is Union or (
        sys.version_info >= (3, 10) and origin is __import__("types").UnionType
    ):
        return _union_converter(hint, args)

    if origin is getattr(typing, "Annotated", None) and args:
        return _type_converter(args[0])

    cls = origin if origin is not None else hint
    if not isinstance(cls, type):
        raise TypeError(f"Cannot decode JSON to type hint {hint!r}")

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
        raise TypeError(f"Cannot decode JSON to type hint {hint!r}")

    if issubclass(cls, collections.abc.Iterable):
        return _iterable_converter(hint, cls, args)

    base = _message_base()
    if base is not None and issubclass(cls, base):

        def to_message(v: Any) -> Any:
            from google.protobuf import json_format

            return json_format.ParseDict(v, cls())  # type: ignore[type-var]

        return to_message

    raise TypeError(f"Cannot decode JSON to type hint {_hint_name(hint)}")


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
        raise TypeError(f"Cannot convert value of type {_type_name(v)} to any of {hint!r}")

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
            raise TypeError(
                f"Cannot convert value of type {_type_name(v)} to dataclass "
                f"{cls.__qualname__}: expected a JSON object"
            )
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
                            f"Cannot convert field {name!r} of dataclass "
                            f"{cls.__qualname__}: {err}"
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


# ---------------------------------------------------------------------------
# Payload codec


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
        if info == "application_failure_info":
            if f.application_failure_info.HasField("details"):
                out.append(f.application_failure_info.details)
        elif info == "timeout_failure_info":
            if f.timeout_failure_info.HasField("last_heartbeat_details"):
                out.append(f.timeout_failure_info.last_heartbeat_details)
        elif info == "canceled_failure_info":
            if f.canceled_failure_info.HasField("details"):
                out.append(f.canceled_failure_info.details)
        elif info == "reset_workflow_failure_info":
            if f.reset_workflow_failure_info.HasField("last_heartbeat_details"):
                out.append(f.reset_workflow_failure_info.last_heartbeat_details)
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


# ---------------------------------------------------------------------------
# Failure converter


class FailureConverter(ABC):
    """Converts exceptions to ``temporal.api.failure.v1.Failure`` and back.

    The ``payload_converter`` passed in is synchronous to use
    (:meth:`PayloadConverter.to_payloads` / ``from_payloads`` and their
    ``_wrapper`` forms), even when the data converter's is async.
    """

    default: ClassVar["FailureConverter"]
    """The default: :class:`DefaultFailureConverter`."""

    @abstractmethod
    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: "Failure"
    ) -> None:
        """Fill ``failure`` from ``exception`` (do not modify the exception)."""

    @abstractmethod
    def from_failure(self, failure: "Failure", payload_converter: PayloadConverter) -> BaseException:
        """The exception for ``failure`` (do not modify the failure)."""


def _format_tb(tb: Any) -> str:
    return "\n".join(traceback.format_tb(tb)) if tb is not None else ""


class DefaultFailureConverter(FailureConverter):
    """The default failure converter, compatible with the official SDKs.

    * :class:`~temporalio.exceptions.FailureError` subclasses map to their
      failure info (application, timeout, cancelled, terminated, server,
      activity, child workflow); an error decoded from a failure is sent back
      unchanged.
    * Any other exception becomes an application failure whose ``type`` is
      the exception's class name and whose message is ``str(exception)``.
    * ``__cause__`` (or, when not suppressed, ``__context__``) becomes the
      failure's ``cause``, recursively; the traceback becomes
      ``stack_trace``.

    With ``encode_common_attributes=True`` the message and stack trace move
    into ``encoded_attributes`` (so a codec can encrypt them).
    """

    def __init__(self, *, encode_common_attributes: bool = False) -> None:
        self._encode_common_attributes = encode_common_attributes

    # -- exception -> failure --

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: "Failure"
    ) -> None:
        self._to_failure(exception, payload_converter, failure, set())
        if self._encode_common_attributes:
            f: Any = failure
            while f is not None:
                attrs = payload_converter.to_payloads(
                    [{"message": f.message, "stack_trace": f.stack_trace}]
                )[0]
                f.encoded_attributes.CopyFrom(attrs)
                f.message = "Encoded failure"
                f.stack_trace = ""
                f = f.cause if f.HasField("cause") else None

    def _to_failure(
        self, exc: BaseException, pc: PayloadConverter, failure: Any, seen: set
    ) -> None:
        seen.add(id(exc))
        if isinstance(exc, _exc.FailureError) and exc.failure is not None:
            failure.CopyFrom(exc.failure)
            return
        cause = exc.__cause__
        if cause is None and not exc.__suppress_context__:
            cause = exc.__context__
        if not isinstance(exc, _exc.FailureError):
            failure.message = str(exc)
            failure.stack_trace = _format_tb(exc.__traceback__)
            info = failure.application_failure_info
            info.SetInParent()
            info.type = type(exc).__name__
        else:
            failure.message = exc.message
            failure.stack_trace = _format_tb(exc.__traceback__)
            self._fill_info(exc, pc, failure)
        if cause is not None and id(cause) not in seen:
            self._to_failure(cause, pc, failure.cause, seen)

    def _fill_info(self, err: Any, pc: PayloadConverter, failure: Any) -> None:
        E = _exc
        if isinstance(err, E.ApplicationError):
            info = failure.application_failure_info
            info.SetInParent()
            if err.type:
                info.type = err.type
            info.non_retryable = err.non_retryable
            if err.details:
                info.details.CopyFrom(pc.to_payloads_wrapper(err.details))
            if err.next_retry_delay:
                info.next_retry_delay.FromTimedelta(err.next_retry_delay)
            if err.category:
                info.category = int(err.category)
        elif isinstance(err, E.TimeoutError):
            info = failure.timeout_failure_info
            info.SetInParent()
            info.timeout_type = int(err.type or 0)
            if err.last_heartbeat_details:
                info.last_heartbeat_details.CopyFrom(pc.to_payloads_wrapper(err.last_heartbeat_details))
        elif isinstance(err, E.CancelledError):
            info = failure.canceled_failure_info
            info.SetInParent()
            if err.details:
                info.details.CopyFrom(pc.to_payloads_wrapper(err.details))
        elif isinstance(err, E.TerminatedError):
            failure.terminated_failure_info.SetInParent()
        elif isinstance(err, E.ServerError):
            info = failure.server_failure_info
            info.SetInParent()
            info.non_retryable = err.non_retryable
        elif isinstance(err, E.ActivityError):
            info = failure.activity_failure_info
            info.SetInParent()
            info.scheduled_event_id = err.scheduled_event_id
            info.started_event_id = err.started_event_id
            info.identity = err.identity
            info.activity_type.name = err.activity_type
            info.activity_id = err.activity_id
            info.retry_state = int(err.retry_state or 0)
        elif isinstance(err, E.ChildWorkflowError):
            info = failure.child_workflow_execution_failure_info
            info.SetInParent()
            info.namespace = err.namespace
            info.workflow_execution.workflow_id = err.workflow_id
            info.workflow_execution.run_id = err.run_id
            info.workflow_type.name = err.workflow_type
            info.initiated_event_id = err.initiated_event_id
            info.started_event_id = err.started_event_id
            info.retry_state = int(err.retry_state or 0)

    # -- failure -> exception --

    def from_failure(self, failure: "Failure", payload_converter: PayloadConverter) -> BaseException:
        top: Optional[BaseException] = None
        prev: Optional[BaseException] = None
        f: Any = failure
        depth = 0
        while f is not None and depth < 1000:
            err = self._one_from_failure(f, payload_converter)
            if prev is None:
                top = err
            else:
                prev.__cause__ = err
            prev = err
            f = f.cause if f.HasField("cause") else None
            depth += 1
        assert top is not None
        return top

    def _one_from_failure(self, failure: Any, pc: PayloadConverter) -> BaseException:
        E = _exc
        message = failure.message
        if failure.HasField("encoded_attributes"):
            try:
                attrs = pc.from_payloads([failure.encoded_attributes])[0]
            except Exception:
                attrs = None
            if isinstance(attrs, dict):
                if isinstance(attrs.get("message"), str):
                    message = attrs["message"]
        kind = failure.WhichOneof("failure_info")
        err: Any
        if kind == "application_failure_info":
            info = failure.application_failure_info
            err = E.ApplicationError(
                message or "Application error",
                *pc.from_payloads_wrapper(info.details),
                type=info.type or None,
                non_retryable=info.non_retryable,
                next_retry_delay=info.next_retry_delay.ToTimedelta()
                if info.HasField("next_retry_delay")
                else None,
                category=_enum_or(E.ApplicationErrorCategory, info.category, E.ApplicationErrorCategory.UNSPECIFIED),
            )
        elif kind == "timeout_failure_info":
            info = failure.timeout_failure_info
            err = E.TimeoutError(
                message or "Timeout",
                type=_enum_or(E.TimeoutType, info.timeout_type, None),
                last_heartbeat_details=pc.from_payloads_wrapper(info.last_heartbeat_details),
            )
        elif kind == "canceled_failure_info":
            err = E.CancelledError(
                message or "Cancelled",
                *pc.from_payloads_wrapper(failure.canceled_failure_info.details),
            )
        elif kind == "terminated_failure_info":
            err = E.TerminatedError(message or "Terminated")
        elif kind == "server_failure_info":
            err = E.ServerError(
                message or "Server error",
                non_retryable=failure.server_failure_info.non_retryable,
            )
        elif kind == "activity_failure_info":
            info = failure.activity_failure_info
            err = E.ActivityError(
                message or "Activity error",
                scheduled_event_id=info.scheduled_event_id,
                started_event_id=info.started_event_id,
                identity=info.identity,
                activity_type=info.activity_type.name,
                activity_id=info.activity_id,
                retry_state=_enum_or(E.RetryState, info.retry_state, None),
            )
        elif kind == "child_workflow_execution_failure_info":
            info = failure.child_workflow_execution_failure_info
            err = E.ChildWorkflowError(
                message or "Child workflow error",
                namespace=info.namespace,
                workflow_id=info.workflow_execution.workflow_id,
                run_id=info.workflow_execution.run_id,
                workflow_type=info.workflow_type.name,
                initiated_event_id=info.initiated_event_id,
                started_event_id=info.started_event_id,
                retry_state=_enum_or(E.RetryState, info.retry_state, None),
            )
        else:  # reset workflow, Nexus, or none
            err = E.FailureError(message or "Failure error")
        err._failure = failure
        return err


def _enum_or(enum_cls: Any, value: int, default: Any) -> Any:
    if not value:
        return default
    try:
        return enum_cls(int(value))
    except ValueError:
        return default


FailureConverter.default = DefaultFailureConverter()


# ---------------------------------------------------------------------------
# Failure conversion with async payload converters: two passes, the first
# recording which values are encoded/decoded, the second replaying results.


class _RecordingConverter(PayloadConverter):
    def __init__(self) -> None:
        self.calls: List[Tuple[str, Any]] = []

    def encode(self, *values: Any) -> Any:  # pragma: no cover - not used
        raise NotImplementedError

    def decode(self, *payloads: Any, type_hints: Any = None) -> Any:  # pragma: no cover
        raise NotImplementedError

    def to_payloads(self, values: Sequence[Any]) -> List["Payload"]:
        values = list(values)
        self.calls.append(("e", values))
        P = _payload_cls()
        return [P() for _ in values]

    def from_payloads(self, payloads: Sequence["Payload"], type_hints: Any = None) -> List[Any]:
        payloads = list(payloads)
        self.calls.append(("d", (payloads, type_hints)))
        return [None] * len(payloads)


class _ReplayConverter(PayloadConverter):
    def __init__(self, results: List[List[Any]]) -> None:
        self._results = results
        self._i = 0

    def encode(self, *values: Any) -> Any:  # pragma: no cover - not used
        raise NotImplementedError

    def decode(self, *payloads: Any, type_hints: Any = None) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _next(self) -> List[Any]:
        if self._i >= len(self._results):
            raise RuntimeError("Failure converter is not deterministic across passes")
        r = self._results[self._i]
        self._i += 1
        return r

    def to_payloads(self, values: Sequence[Any]) -> List["Payload"]:
        return self._next()

    def from_payloads(self, payloads: Sequence["Payload"], type_hints: Any = None) -> List[Any]:
        return self._next()


# ---------------------------------------------------------------------------
# Data converter


def _payload_converter_is_sync(pc: Any) -> bool:
    sync = getattr(pc, "_sync", None)
    if isinstance(sync, bool):
        return sync
    return not (_is_async_callable(pc.encode) or _is_async_callable(pc.decode))


@dataclasses.dataclass(frozen=True)
class DataConverter:
    """Payload converter + optional codec + failure converter.

    ``DataConverter.default`` uses the defaults. Use :meth:`of` to accept
    either a ``DataConverter`` or a bare ``PayloadConverter`` from users.
    """

    payload_converter: PayloadConverter = PayloadConverter.default
    payload_codec: Optional[PayloadCodec] = None
    failure_converter: FailureConverter = FailureConverter.default

    default: ClassVar["DataConverter"]

    def __post_init__(self) -> None:
        pc = self.payload_converter
        if not (callable(getattr(pc, "encode", None)) and callable(getattr(pc, "decode", None))):
            raise TypeError(
                f"payload_converter must be a temporalio.converter.PayloadConverter, "
                f"got {_type_name(pc)}"
            )
        codec = self.payload_codec
        if codec is not None and not (
            callable(getattr(codec, "encode", None)) and callable(getattr(codec, "decode", None))
        ):
            raise TypeError(
                f"payload_codec must be a temporalio.converter.PayloadCodec or None, "
                f"got {_type_name(codec)}"
            )
        fc = self.failure_converter
        if not (callable(getattr(fc, "to_failure", None)) and callable(getattr(fc, "from_failure", None))):
            raise TypeError(
                f"failure_converter must be a temporalio.converter.FailureConverter, "
                f"got {_type_name(fc)}"
            )
        pc_sync = _payload_converter_is_sync(pc)
        set_ = object.__setattr__
        set_(self, "_pc_sync", pc_sync)
        # True when encode/decode need no awaiting: callers on the hot path
        # may then use _encode_sync / _decode_sync directly. (A converter
        # whose plain methods return awaitables works through the async
        # methods only; the sync ones raise TypeError for it.)
        set_(self, "_sync", pc_sync and codec is None)
        composite = (
            isinstance(pc, CompositePayloadConverter)
            and pc._sync
            and type(pc).encode is CompositePayloadConverter.encode
            and type(pc).decode is CompositePayloadConverter.decode
        )
        set_(self, "_enc_list", cast(Any, pc)._encode_list if composite else None)
        set_(self, "_dec_list", cast(Any, pc)._decode_list if composite else None)

    @classmethod
    def of(cls, value: Union["DataConverter", PayloadConverter, None]) -> "DataConverter":
        """A ``DataConverter`` from a user option: a ``DataConverter`` as is,
        a ``PayloadConverter`` wrapped with default codec/failure converter,
        ``None`` for the default. Anything else raises TypeError."""
        if value is None:
            return cls.default
        if isinstance(value, DataConverter):
            return value
        if isinstance(value, PayloadConverter):
            return cls(payload_converter=value)
        raise TypeError(
            "Expected a temporalio.converter.DataConverter or PayloadConverter, "
            f"got {_type_name(value)}"
        )

    # -- values <-> payloads --

    def _encode_sync(self, values: Sequence[Any]) -> List["Payload"]:
        """Encode without a codec with a synchronous payload converter (no
        coroutine). Only valid when ``self._sync``."""
        enc = self._enc_list  # type: ignore[attr-defined]
        if enc is not None:
            return enc(values)
        return self.payload_converter.to_payloads(values)

    def _decode_sync(
        self,
        payloads: Sequence["Payload"],
        type_hints: Optional[Sequence[Optional[type]]] = None,
    ) -> List[Any]:
        """Decode without a codec with a synchronous payload converter (no
        coroutine). Only valid when ``self._sync``."""
        dec = self._dec_list  # type: ignore[attr-defined]
        if dec is not None:
            return dec(payloads, type_hints)
        return self.payload_converter.from_payloads(payloads, type_hints)

    async def _convert_to_payloads(self, values: Sequence[Any]) -> List["Payload"]:
        enc = self._enc_list  # type: ignore[attr-defined]
        if enc is not None:
            return enc(values)
        if not values:
            return []
        pc = self.payload_converter
        result = pc.encode(*values)
        if _is_awaitable(result):
            result = await result
        return _check_encoded(result, values, pc)

    async def _convert_from_payloads(
        self,
        payloads: Sequence["Payload"],
        type_hints: Optional[Sequence[Optional[type]]],
    ) -> List[Any]:
        dec = self._dec_list  # type: ignore[attr-defined]
        if dec is not None:
            return dec(payloads, type_hints)
        if not payloads:
            return []
        pc = self.payload_converter
        result = _call_decode(pc, payloads, type_hints)
        if _is_awaitable(result):
            result = await result
        return _check_decoded(result, len(payloads), pc)

    async def encode(self, values: Sequence[Any]) -> List["Payload"]:
        """Encode values to payloads (converter, then codec)."""
        enc = self._enc_list  # type: ignore[attr-defined]
        if enc is not None and self.payload_codec is None:
            return enc(values)  # the common case: no awaiting at all
        payloads = await self._convert_to_payloads(values)
        codec = self.payload_codec
        if codec is not None and payloads:
            payloads = await codec.encode(payloads)
            _check_codec_result(payloads, len(values))
            payloads = list(payloads)
        return payloads

    async def decode(
        self,
        payloads: Sequence["Payload"],
        type_hints: Optional[Sequence[Optional[type]]] = None,
    ) -> List[Any]:
        """Decode payloads to values (codec, then converter). ``type_hints``,
        when given, has one type (or None) per payload."""
        codec = self.payload_codec
        if codec is None:
            dec = self._dec_list  # type: ignore[attr-defined]
            if dec is not None:
                return dec(payloads, type_hints)  # the common case: no awaiting at all
        if codec is not None and payloads:
            n = len(payloads)
            payloads = await codec.decode(list(payloads))
            _check_codec_result(payloads, n)
        return await self._convert_from_payloads(payloads, type_hints)

    async def encode_wrapper(self, values: Sequence[Any]) -> "Payloads":
        """:meth:`encode` into a ``Payloads`` message."""
        payloads = await self.encode(values)
        _payload_cls()
        return _Payloads(payloads=payloads)

    async def decode_wrapper(
        self,
        payloads: Optional["Payloads"],
        type_hints: Optional[Sequence[Optional[type]]] = None,
    ) -> List[Any]:
        """:meth:`decode` of a ``Payloads`` message (None or empty: ``[]``)."""
        if payloads is None or not payloads.payloads:
            return []
        return await self.decode(payloads.payloads, type_hints)

    # -- exceptions <-> failures --

    def _encode_failure_sync(self, exception: BaseException) -> "Failure":
        """:meth:`encode_failure` without awaiting; only valid when
        ``self._sync`` and the failure converter is synchronous."""
        _payload_cls()
        failure = _Failure()
        r = self.failure_converter.to_failure(exception, self.payload_converter, failure)
        if _is_awaitable(r):
            _close(r)
            raise TypeError("failure converter is asynchronous; use encode_failure")
        return failure

    def _decode_failure_sync(self, failure: "Failure") -> BaseException:
        """:meth:`decode_failure` without awaiting; only valid when
        ``self._sync`` and the failure converter is synchronous."""
        r = self.failure_converter.from_failure(failure, self.payload_converter)
        if _is_awaitable(r):
            _close(r)
            raise TypeError("failure converter is asynchronous; use decode_failure")
        return r

    async def encode_failure(
        self, exception: BaseException, failure: Optional["Failure"] = None
    ) -> "Failure":
        """Convert an exception to a ``Failure`` (details through the
        payload converter, then the codec over every payload in it).

        Fills and returns ``failure`` when given (the official SDK's calling
        convention), else a new message."""
        _payload_cls()
        if failure is None:
            failure = _Failure()
        fc = self.failure_converter
        if self._pc_sync:  # type: ignore[attr-defined]
            pc: PayloadConverter = self.payload_converter
        else:
            rec = _RecordingConverter()
            r: Any = fc.to_failure(exception, rec, _Failure())
            if _is_awaitable(r):
                await r
            results = [await self._convert_to_payloads(v) for _, v in rec.calls]
            pc = _ReplayConverter(results)
        r = cast(Any, fc.to_failure(exception, pc, failure))
        if _is_awaitable(r):
            await r
        if self.payload_codec is not None:
            await self.payload_codec.encode_failure(failure)
        return failure

    async def decode_failure(self, failure: "Failure") -> BaseException:
        """Convert a ``Failure`` to an exception (codec first, then the
        failure converter). The given message is not modified."""
        _payload_cls()
        if self.payload_codec is not None:
            copy = _Failure()
            copy.CopyFrom(failure)
            failure = copy
            await self.payload_codec.decode_failure(failure)
        fc = self.failure_converter
        if self._pc_sync:  # type: ignore[attr-defined]
            pc: PayloadConverter = self.payload_converter
        else:
            rec = _RecordingConverter()
            r: Any = fc.from_failure(failure, rec)
            if _is_awaitable(r):
                await r
            results = [await self._convert_from_payloads(p, h) for _, (p, h) in rec.calls]
            pc = _ReplayConverter(results)
        r = cast(Any, fc.from_failure(failure, pc))
        if _is_awaitable(r):
            r = await r
        return r


DataConverter.default = DataConverter()
