"""The data converter: :class:`DataConverter` (payload converter + optional
codec + failure converter), with the two-pass recording/replaying payload
converters that let a synchronous failure converter work over an async
payload converter."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar, List, Optional, Sequence, Tuple, Type, Union, cast

from temporalio.converter import _protos
from temporalio.converter._failure_converter import FailureConverter
from temporalio.converter._payload_codec import PayloadCodec, _check_codec_result
from temporalio.converter._payload_converter import (
    CompositePayloadConverter,
    PayloadConverter,
    _call_decode,
    _check_decoded,
    _check_encoded,
    _close,
    _is_async_callable,
    _is_awaitable,
)
from temporalio.converter._protos import _payload_cls, _type_name
from temporalio.converter._serialization_context import (
    SerializationContext,
    WithSerializationContext,
)

if TYPE_CHECKING:
    from temporalio.api.common.v1 import Payload, Payloads
    from temporalio.api.failure.v1 import Failure


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


def _payload_converter_is_sync(pc: Any) -> bool:
    sync = getattr(pc, "_sync", None)
    if isinstance(sync, bool):
        return sync
    return not (_is_async_callable(pc.encode) or _is_async_callable(pc.decode))


# A converter not given (a field default that dataclasses.replace never passes on).
_DEFAULT: Any = type("_Default", (), {"__repr__": lambda self: "<default>"})()


@dataclasses.dataclass(frozen=True)
class DataConverter(WithSerializationContext):
    """Payload converter + optional codec + failure converter.

    ``DataConverter.default`` uses the defaults. Use :meth:`of` to accept
    either a ``DataConverter`` or a bare ``PayloadConverter`` from users.

    The official SDK's keywords ``payload_converter_class`` and
    ``failure_converter_class`` work too: a class given there (called with no
    arguments) makes the converter when no instance is given; after
    construction they hold the classes of the converters in use.
    """

    payload_converter: PayloadConverter = _DEFAULT
    """The payload converter (default: ``payload_converter_class()`` if that
    is given, else :attr:`PayloadConverter.default`)."""
    payload_codec: Optional[PayloadCodec] = None
    failure_converter: FailureConverter = _DEFAULT
    """The failure converter (default: ``failure_converter_class()`` if that
    is given, else :attr:`FailureConverter.default`)."""
    payload_converter_class: Optional[Type[PayloadConverter]] = dataclasses.field(
        default=None, kw_only=True
    )
    failure_converter_class: Optional[Type[FailureConverter]] = dataclasses.field(
        default=None, kw_only=True
    )

    default: ClassVar["DataConverter"]

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for inst, cls_name, default in (
            ("payload_converter", "payload_converter_class", PayloadConverter.default),
            ("failure_converter", "failure_converter_class", FailureConverter.default),
        ):
            cls = getattr(self, cls_name)
            if getattr(self, inst) is _DEFAULT:
                if cls is None or cls is type(default):
                    set_(self, inst, default)
                elif isinstance(cls, type):
                    set_(self, inst, cls())
                else:
                    raise TypeError(f"{cls_name} must be a class, got {_type_name(cls)}")
            set_(self, cls_name, type(getattr(self, inst)))
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
        if not (
            callable(getattr(fc, "to_failure", None))
            and callable(getattr(fc, "from_failure", None))
        ):
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

    def with_context(self, context: SerializationContext) -> "DataConverter":
        """This converter for payloads of ``context``: its payload converter,
        codec and failure converter replaced by their ``with_context(context)``
        where they implement :class:`WithSerializationContext`; ``self`` if
        none does (or none changed)."""
        parts: dict[str, Any] = {}
        for name in ("payload_converter", "payload_codec", "failure_converter"):
            part = getattr(self, name)
            if isinstance(part, WithSerializationContext):
                new = part.with_context(context)
                if new is not part:
                    parts[name] = new
        return dataclasses.replace(self, **parts) if parts else self

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
        return _protos._Payloads(payloads=payloads)

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
        failure = _protos._Failure()
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
            failure = _protos._Failure()
        fc = self.failure_converter
        if self._pc_sync:  # type: ignore[attr-defined]
            pc: PayloadConverter = self.payload_converter
        else:
            rec = _RecordingConverter()
            r: Any = fc.to_failure(exception, rec, _protos._Failure())
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
            copy = _protos._Failure()
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
