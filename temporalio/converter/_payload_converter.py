"""Payload converters: the :class:`PayloadConverter` interface and the
checks of what its ``encode``/``decode`` return, the built-in
:class:`EncodingPayloadConverter` subclasses (one per ``encoding``),
:class:`CompositePayloadConverter` and :class:`DefaultPayloadConverter`."""

from __future__ import annotations

import copy
import inspect
import json
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Optional, Self, Sequence, Tuple, Type

from temporalio.common import RawValue
from temporalio.converter import _protos
from temporalio.converter._json_types import AdvancedJSONEncoder, _type_converter
from temporalio.converter._protos import (
    _is_proto_message,
    _is_proto_type,
    _message_base,
    _payload_cls,
    _type_name,
)
from temporalio.converter._serialization_context import (
    SerializationContext,
    WithSerializationContext,
)

if TYPE_CHECKING:
    from temporalio.api.common.v1 import Payload, Payloads


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
        return _protos._Payloads(payloads=self.to_payloads(values))

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


class _NoConverterError(TypeError, RuntimeError):
    """No payload converter accepts a value. The official SDK raises a
    :class:`RuntimeError` (with this text); this SDK raised a
    :class:`TypeError`: it is both."""


class _UnknownEncodingError(KeyError, ValueError):
    """A payload's encoding has no converter. The official SDK raises a
    :class:`KeyError` (with this text); this SDK raised a
    :class:`ValueError`: it is both."""


def _unencodable(values: Sequence[Any], index: int, cause: Optional[str] = None) -> TypeError:
    """The error for ``values[index]``: the JSON converter's own error text
    (``cause``, as the official SDK raises it) with the value's position and
    type added, or the official "has no known converter" error."""
    value = values[index]
    if cause is None:
        return _NoConverterError(
            f"Value at index {index} of type {type(value)} has no known converter"
        )
    return TypeError(
        f"{cause} (value at index {index} of type {_type_name(value)} cannot be encoded)"
    )


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

    def to_payload_or_none(self, value: Any) -> Optional["Payload"]:
        """The payload for ``value``, or None if this converter does not
        handle it. By default the subclass's ``to_payload`` (the official
        SDK's name of this method: a converter written for it works as is).

        Raises:
            TypeError: the subclass implements neither method.
        """
        if type(self).to_payload is PayloadConverter.to_payload:
            raise TypeError(
                f"{type(self).__name__} implements neither to_payload_or_none nor to_payload"
            )
        return self.to_payload(value)

    def decode_one(self, payload: "Payload", type_hint: Optional[type] = None) -> Any:
        """Decode one payload of this encoding. By default the subclass's
        ``from_payload`` (the official SDK's name of this method).

        Raises:
            TypeError: the subclass implements neither method.
        """
        if type(self).from_payload is PayloadConverter.from_payload:
            raise TypeError(f"{type(self).__name__} implements neither decode_one nor from_payload")
        return self.from_payload(payload, type_hint)

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
    P = _protos._Payload or _payload_cls()
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
    p = _protos._Payload()
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
        return _is_proto_type(t)

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
        return _is_proto_type(t)

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


# Reused encoder instances: same output as json.dumps with these options,
# without building an encoder per call.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), sort_keys=True)


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
        self._dumps = (encoder or json.JSONEncoder)(separators=(",", ":"), sort_keys=True).encode
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


class CompositePayloadConverter(PayloadConverter, WithSerializationContext):
    """Tries its converters in order for each value on encode; on decode picks
    the converter by the payload's ``encoding`` metadata.

    ``CompositePayloadConverter([a, b])`` and ``CompositePayloadConverter(a,
    b)`` are the same. Every converter needs an ``encoding`` attribute.

    A :class:`temporalio.common.RawValue` encodes to its payload unchanged,
    and a payload decoded with the type hint ``RawValue`` gives a
    ``RawValue`` of it (whatever its encoding), as in the official SDK.
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

    def with_context(self, context: SerializationContext) -> Self:
        """A copy whose converters that implement
        :class:`WithSerializationContext` use ``context``; ``self`` if none
        does (or none changed)."""
        converters = [
            c.with_context(context) if isinstance(c, WithSerializationContext) else c
            for c in self.converters
        ]
        if all(new is old for new, old in zip(converters, self.converters)):
            return self
        clone = copy.copy(self)
        CompositePayloadConverter.__init__(clone, *converters)
        return clone

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
        if issubclass(t, RawValue):  # passes through unchanged, as in the official SDK
            self._by_type[t] = _RAW_VALUE
            return _RAW_VALUE
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
        if isinstance(v, RawValue):
            return v.payload
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
            if isinstance(v, RawValue):
                out.append(v.payload)
                continue
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
            name = "<unknown>" if enc is None else enc.decode(errors="replace")
            known = ", ".join(e.decode() for e in self._by_encoding)
            raise _UnknownEncodingError(
                f"Unknown payload encoding {name} (payload at index {index}; "
                f"known encodings: {known})"
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
            hint = type_hints[i] if i < nh else None  # type: ignore[index]
            if hint is RawValue:  # the payload itself, whatever its encoding
                out.append(RawValue(p))
                continue
            c = by_encoding.get(p.metadata.get("encoding")) or self._converter_for(p, i)
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
            hint = type_hints[i] if i < nh else None  # type: ignore[index]
            if hint is RawValue:
                out.append(RawValue(p))
                continue
            c = self._converter_for(p, i)
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


class _RawValuePassThrough:
    """What :meth:`CompositePayloadConverter._pick` gives for a
    :class:`temporalio.common.RawValue`: its payload, unchanged."""

    @staticmethod
    def to_payload_or_none(value: Any) -> "Payload":
        return value.payload  # type: ignore[no-any-return]


_RAW_VALUE = _RawValuePassThrough()


class DefaultPayloadConverter(CompositePayloadConverter):
    """The default composite: binary/null, binary/plain, json/protobuf,
    binary/protobuf, json/plain (JSON last: it accepts every value)."""

    default_encoding_payload_converters: Tuple[EncodingPayloadConverter, ...]
    """The default converters, in order (shared instances, as in the
    official SDK: compose variants from them, e.g. with JSON replaced)."""

    def __init__(self) -> None:
        super().__init__(*DefaultPayloadConverter.default_encoding_payload_converters)


DefaultPayloadConverter.default_encoding_payload_converters = (
    BinaryNullPayloadConverter(),
    BinaryPlainPayloadConverter(),
    JSONProtoPayloadConverter(),
    BinaryProtoPayloadConverter(),
    JSONPlainPayloadConverter(),
)


PayloadConverter.default = DefaultPayloadConverter()
