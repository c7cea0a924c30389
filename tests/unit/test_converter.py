"""Payload converters, codecs and the DataConverter (no server)."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import subprocess
import sys
import uuid
import zlib
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Literal, Optional, Sequence, Tuple, Union

import pytest
from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution

import temporalio.converter as C
from temporalio.converter import (
    BinaryNullPayloadConverter,
    BinaryPlainPayloadConverter,
    BinaryProtoPayloadConverter,
    CompositePayloadConverter,
    DataConverter,
    JSONPlainPayloadConverter,
    JSONProtoPayloadConverter,
    PayloadCodec,
    PayloadConverter,
    PicklePayloadConverter,
)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def enc(values: Sequence[Any], dc: DataConverter = DataConverter.default) -> List[Payload]:
    return run(dc.encode(values))


def dec(
    payloads: Sequence[Payload],
    hints: Optional[Sequence[Any]] = None,
    dc: DataConverter = DataConverter.default,
) -> List[Any]:
    return run(dc.decode(payloads, hints))


def meta(p: Payload) -> Dict[str, bytes]:
    return dict(p.metadata)


# --------------------------------------------------------------------------
# Exact encodings of the default converters


def test_binary_null() -> None:
    (p,) = enc([None])
    assert meta(p) == {"encoding": b"binary/null"} and p.data == b""
    assert BinaryNullPayloadConverter().encode("x") is None
    assert dec([p]) == [None]
    bad = Payload(metadata={"encoding": b"binary/null"}, data=b"x")
    with pytest.raises(ValueError, match="non-empty"):
        dec([bad])


def test_binary_plain() -> None:
    (p,) = enc([b"\x00\xffab"])
    assert meta(p) == {"encoding": b"binary/plain"} and p.data == b"\x00\xffab"
    assert BinaryPlainPayloadConverter().encode("str") is None
    assert dec([p]) == [b"\x00\xffab"]


@pytest.mark.parametrize(
    "value, data",
    [
        ({"a": [1, 2.5, "é", True, None]}, b'{"a":[1,2.5,"\\u00e9",true,null]}'),
        ("hi", b'"hi"'),
        ({"b": 1, "a": {"d": 2, "c": 3}}, b'{"a":{"c":3,"d":2},"b":1}'),
        ([], b"[]"),
        (1.0, b"1.0"),
        (-7, b"-7"),
        (True, b"true"),
        ((1, 2), b"[1,2]"),
        ("😀", b'"\\ud83d\\ude00"'),
    ],
)
def test_json_plain_exact(value: Any, data: bytes) -> None:
    (p,) = enc([value])
    assert meta(p) == {"encoding": b"json/plain"}
    assert p.data == data


@dataclasses.dataclass
class Point:
    x: int
    y: str


class Color(enum.IntEnum):
    RED = 1
    BLUE = 2


class Size(str, enum.Enum):
    S = "s"
    L = "l"


class Plain(enum.Enum):
    A = "a"


def test_json_plain_extensions() -> None:
    assert enc([Point(1, "b")])[0].data == b'{"x":1,"y":"b"}'
    assert enc([Color.BLUE])[0].data == b"2"
    assert enc([Size.L])[0].data == b'"l"'
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert enc([u])[0].data == b'"12345678-1234-5678-1234-567812345678"'
    dt = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert enc([dt])[0].data == b'"2024-01-02T03:04:05+00:00"'
    assert enc([{3, 1, 2}])[0].data == b"[1,2,3]"
    assert enc([(i for i in range(3))])[0].data == b"[0,1,2]"


def test_json_proto_exact() -> None:
    (p,) = enc([WorkflowExecution(workflow_id="w", run_id="r")])
    assert meta(p) == {
        "encoding": b"json/protobuf",
        "messageType": b"temporal.api.common.v1.WorkflowExecution",
    }
    assert p.data == b'{"runId":"r","workflowId":"w"}'
    assert dec([p]) == [WorkflowExecution(workflow_id="w", run_id="r")]
    assert dec([p], [WorkflowExecution]) == [WorkflowExecution(workflow_id="w", run_id="r")]


def test_binary_proto_exact() -> None:
    msg = WorkflowExecution(workflow_id="w", run_id="r")
    p = BinaryProtoPayloadConverter().to_payload(msg)
    assert meta(p) == {
        "encoding": b"binary/protobuf",
        "messageType": b"temporal.api.common.v1.WorkflowExecution",
    }
    assert p.data == msg.SerializeToString()
    assert dec([p]) == [msg]


def test_proto_unknown_message_type() -> None:
    p = Payload(metadata={"encoding": b"json/protobuf", "messageType": b"no.such.Msg"}, data=b"{}")
    with pytest.raises(ValueError, match="no.such.Msg"):
        dec([p])
    p = Payload(
        metadata={
            "encoding": b"json/protobuf",
            "messageType": b"temporal.api.common.v1.WorkflowExecution",
        },
        data=b"{nope",
    )
    with pytest.raises(ValueError, match="Invalid json/protobuf"):
        dec([p])


def test_pickle_is_opt_in() -> None:
    encodings = [c.encoding for c in PayloadConverter.default.converters]  # type: ignore[attr-defined]
    assert encodings == [
        "binary/null",
        "binary/plain",
        "json/protobuf",
        "binary/protobuf",
        "json/plain",
    ]
    dc = DataConverter(
        CompositePayloadConverter(BinaryNullPayloadConverter(), PicklePayloadConverter())
    )
    (p,) = enc([Plain.A], dc)
    assert meta(p) == {"encoding": b"python/pickle"}
    assert dec([p], dc=dc) == [Plain.A]
    with pytest.raises(ValueError, match="python/pickle"):
        dec([p])


def test_round_trip_many() -> None:
    values = [
        None,
        b"b",
        "s",
        1,
        2.5,
        True,
        [1, None],
        {"k": {"n": [1]}},
        WorkflowExecution(workflow_id="x"),
    ]
    ps = enc(values)
    assert [meta(p)["encoding"] for p in ps] == [
        b"binary/null",
        b"binary/plain",
        b"json/plain",
        b"json/plain",
        b"json/plain",
        b"json/plain",
        b"json/plain",
        b"json/plain",
        b"json/protobuf",
    ]
    assert dec(ps) == values
    assert enc([]) == [] and dec([]) == []


def test_wrappers_and_sync_helpers() -> None:
    dc = DataConverter.default
    w = run(dc.encode_wrapper(["a", 1]))
    assert isinstance(w, Payloads) and len(w.payloads) == 2
    assert run(dc.decode_wrapper(w)) == ["a", 1]
    assert run(dc.decode_wrapper(None)) == []
    pc = PayloadConverter.default
    assert pc.from_payload(pc.to_payload(Point(1, "a")), Point) == Point(1, "a")
    assert pc.from_payloads_wrapper(pc.to_payloads_wrapper([1, "x"])) == [1, "x"]


# --------------------------------------------------------------------------
# Errors


def test_unknown_encoding_names_it() -> None:
    p = Payload(metadata={"encoding": b"my/weird"}, data=b"x")
    with pytest.raises(ValueError, match="Unknown payload encoding my/weird"):
        dec([p])
    with pytest.raises(KeyError, match="Unknown payload encoding <unknown>"):  # the official type
        dec([Payload(data=b"x")])


def test_unencodable_value_names_its_type() -> None:
    class Opaque:
        pass

    with pytest.raises(TypeError, match=r"index 1 of type .*Opaque cannot be encoded"):
        enc(["ok", Opaque()])
    with pytest.raises(TypeError, match="Plain"):
        enc([Plain.A])  # plain (non str/int) enums: not JSON, as in the official SDK
    with pytest.raises(TypeError, match="Opaque"):
        enc([{"nested": [Opaque()]}])
    # a composite without JSON: no converter at all
    dc = DataConverter(CompositePayloadConverter(BinaryNullPayloadConverter()))
    with pytest.raises(
        TypeError, match="^Value at index 0 of type <class 'int'> has no known converter$"
    ):
        enc([1], dc)
    with pytest.raises(RuntimeError, match="has no known converter"):  # the official type
        enc([1], dc)


def test_invalid_json_payload() -> None:
    with pytest.raises(ValueError, match="Invalid json/plain payload"):
        dec([Payload(metadata={"encoding": b"json/plain"}, data=b"{nope")])


# --------------------------------------------------------------------------
# Custom converters: sync and async, single or list results


class UpperSync(PayloadConverter):
    """Top-level converter for str only: returns a list, same size."""

    def encode(self, *values: Any) -> Any:
        if not all(isinstance(v, str) for v in values):
            return None
        return [Payload(metadata={"encoding": b"x/upper"}, data=v.upper().encode()) for v in values]

    def decode(self, *payloads: Payload) -> Any:
        vals = [p.data.decode().lower() for p in payloads]
        return vals[0] if len(vals) == 1 else vals


class UpperAsync(PayloadConverter):
    """Async; returns a single item for one value."""

    async def encode(self, *values: Any) -> Any:
        await asyncio.sleep(0)
        ps = [
            Payload(metadata={"encoding": b"x/upper"}, data=str(v).upper().encode()) for v in values
        ]
        return ps[0] if len(ps) == 1 else ps

    async def decode(self, *payloads: Payload, type_hints: Any = None) -> Any:
        await asyncio.sleep(0)
        self.last_hints = type_hints
        vals = [p.data.decode().lower() for p in payloads]
        return vals[0] if len(vals) == 1 else vals


@pytest.mark.parametrize("conv", [UpperSync(), UpperAsync()])
def test_custom_top_level_converter(conv: PayloadConverter) -> None:
    dc = DataConverter.of(conv)
    assert dc.payload_converter is conv
    assert dc._sync is (not isinstance(conv, UpperAsync))  # type: ignore[attr-defined]
    ps = enc(["ab", "cd"], dc)
    assert [p.data for p in ps] == [b"AB", b"CD"]
    assert dec(ps, dc=dc) == ["ab", "cd"]
    (one,) = enc(["xy"], dc)
    assert one.data == b"XY"
    assert dec([one], [str], dc) == ["xy"]


def test_async_converter_gets_type_hints() -> None:
    conv = UpperAsync()
    dc = DataConverter(conv)
    p = enc(["a"], dc)
    dec(p, [str], dc)
    assert conv.last_hints == [str]


def test_sync_converter_returning_none_is_unencodable() -> None:
    dc = DataConverter(UpperSync())
    with pytest.raises(TypeError, match="index 0 of type <class 'int'> has no known converter"):
        enc([1], dc)


class WrongLength(PayloadConverter):
    def __init__(self, is_async: bool = False) -> None:
        self.is_async = is_async

    def encode(self, *values: Any) -> Any:
        r = [Payload(metadata={"encoding": b"json/plain"}, data=b"1")]  # always one
        if self.is_async:

            async def later() -> Any:
                return r

            return later()
        return r

    def decode(self, *payloads: Payload) -> Any:
        return [1, 2, 3]


@pytest.mark.parametrize("is_async", [False, True])
def test_wrong_length_list_is_an_error(is_async: bool) -> None:
    dc = DataConverter(WrongLength(is_async))
    with pytest.raises(ValueError, match="returned a list of 1 payloads for 2 values; expected 2"):
        enc(["a", "b"], dc)
    p = Payload(metadata={"encoding": b"json/plain"}, data=b"1")
    with pytest.raises(ValueError, match="returned a list of 3 values for 2 payloads"):
        dec([p, p], dc=dc)
    # with one payload, the result is the value itself
    assert dec([p], dc=dc) == [[1, 2, 3]]


class BadResult(PayloadConverter):
    def encode(self, *values: Any) -> Any:
        return "not a payload"

    def decode(self, *payloads: Payload) -> Any:
        return 5


def test_bad_result_types() -> None:
    dc = DataConverter(BadResult())
    with pytest.raises(TypeError, match="returned a str; expected a Payload"):
        enc([1], dc)
    p = Payload(metadata={"encoding": b"json/plain"}, data=b"1")
    with pytest.raises(TypeError, match="returned a int for 2 payloads"):
        dec([p, p], dc=dc)


class SingleForMany(PayloadConverter):
    def encode(self, *values: Any) -> Any:
        return Payload(metadata={"encoding": b"json/plain"}, data=b"1")

    def decode(self, *payloads: Payload) -> Any:
        return None


def test_single_payload_for_many_values_is_an_error() -> None:
    dc = DataConverter(SingleForMany())
    with pytest.raises(ValueError, match="returned 1 payload for 2 values"):
        enc([1, 2], dc)
    p = Payload(metadata={"encoding": b"json/plain"}, data=b"1")
    with pytest.raises(ValueError, match="could not decode the 2 payloads"):
        dec([p, p], dc=dc)
    assert dec([p], dc=dc) == [None]


# --------------------------------------------------------------------------
# Composite


class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and other.cents == self.cents


class MoneyConverter(PayloadConverter):
    encoding = "x/money"

    def encode(self, *values: Any) -> Any:
        (v,) = values
        if not isinstance(v, Money):
            return None
        return Payload(metadata={"encoding": b"x/money"}, data=str(v.cents).encode())

    def decode(self, *payloads: Payload) -> Any:
        return Money(int(payloads[0].data))


class AsyncMoneyConverter(MoneyConverter):
    async def encode(self, *values: Any) -> Any:  # type: ignore[override]
        r = MoneyConverter.encode(self, *values)
        return None if r is None else [r]  # a list of one is fine too

    async def decode(self, *payloads: Payload) -> Any:  # type: ignore[override]
        return MoneyConverter.decode(self, *payloads)


class Recorder(PayloadConverter):
    """Accepts everything; records that it was asked."""

    encoding = "x/rec"

    def __init__(self) -> None:
        self.asked: List[Any] = []

    def encode(self, *values: Any) -> Any:
        self.asked.append(values[0])
        return Payload(metadata={"encoding": b"x/rec"}, data=repr(values[0]).encode())

    def decode(self, *payloads: Payload) -> Any:
        return payloads[0].data.decode()


@pytest.mark.parametrize("money", [MoneyConverter(), AsyncMoneyConverter()])
def test_composite_custom_component(money: PayloadConverter) -> None:
    pc = CompositePayloadConverter(
        [BinaryNullPayloadConverter(), money, JSONPlainPayloadConverter()]
    )
    assert pc.is_sync is (type(money) is MoneyConverter)
    dc = DataConverter(pc)
    ps = enc([Money(150), None, {"a": 1}], dc)
    assert [meta(p)["encoding"] for p in ps] == [b"x/money", b"binary/null", b"json/plain"]
    assert ps[0].data == b"150"
    assert dec(ps, dc=dc) == [Money(150), None, {"a": 1}]


def test_composite_order_first_match_wins() -> None:
    rec = Recorder()
    pc = CompositePayloadConverter(BinaryNullPayloadConverter(), rec, JSONPlainPayloadConverter())
    ps = enc([None, 1, "s"], DataConverter(pc))
    assert [meta(p)["encoding"] for p in ps] == [b"binary/null", b"x/rec", b"x/rec"]
    assert rec.asked == [1, "s"]  # never asked about None: an earlier converter took it
    # JSON first: the recorder is never reached
    rec2 = Recorder()
    pc2 = CompositePayloadConverter(JSONPlainPayloadConverter(), rec2)
    ps2 = enc([None, 1], DataConverter(pc2))
    assert [meta(p)["encoding"] for p in ps2] == [b"json/plain", b"json/plain"]
    assert rec2.asked == []
    # decode is by encoding, whatever the order
    assert dec(ps, dc=DataConverter(pc)) == [None, "1", "'s'"]


def test_composite_proto_order() -> None:
    msg = WorkflowExecution(workflow_id="w")
    binary_first = CompositePayloadConverter(
        BinaryProtoPayloadConverter(), JSONProtoPayloadConverter()
    )
    (p,) = enc([msg], DataConverter(binary_first))
    assert meta(p)["encoding"] == b"binary/protobuf"
    (p,) = enc([msg])
    assert meta(p)["encoding"] == b"json/protobuf"


def test_composite_needs_encoding() -> None:
    with pytest.raises(TypeError, match="no 'encoding' attribute"):
        CompositePayloadConverter(UpperSync())
    with pytest.raises(TypeError, match="needs payload converters, got int"):
        CompositePayloadConverter(5)


def test_composite_type_cache_is_per_instance() -> None:
    # a proto type cached before/after does not leak across composites
    a = CompositePayloadConverter(BinaryNullPayloadConverter(), JSONPlainPayloadConverter())
    b = PayloadConverter.default
    msg = WorkflowExecution(workflow_id="w")
    assert meta(a.to_payloads([msg.workflow_id])[0])["encoding"] == b"json/plain"
    assert meta(b.to_payloads([msg])[0])["encoding"] == b"json/protobuf"


def test_custom_json_encoding_name() -> None:
    pc = CompositePayloadConverter(JSONPlainPayloadConverter(encoding="json/custom"))
    (p,) = pc.to_payloads([{"a": 1}])
    assert meta(p) == {"encoding": b"json/custom"} and p.data == b'{"a":1}'
    assert pc.from_payloads([p]) == [{"a": 1}]


# --------------------------------------------------------------------------
# Type-hinted decoding


@dataclasses.dataclass
class Inner:
    when: datetime
    color: Color
    size: Size
    id: uuid.UUID


@dataclasses.dataclass
class Outer:
    name: str
    inners: List[Inner]
    by_key: Dict[str, Inner]
    maybe: Optional[Inner] = None
    pair: Tuple[int, str] = (0, "")
    ints_by_int: Dict[int, List[int]] = dataclasses.field(default_factory=dict)
    lit: Literal["a", "b"] = "a"
    either: Union[int, str] = 0


@dataclasses.dataclass
class Node:
    value: int
    children: List["Node"] = dataclasses.field(default_factory=list)


def test_type_hinted_dataclass_decode() -> None:
    inner = Inner(
        datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc), Color.BLUE, Size.L, uuid.uuid4()
    )
    outer = Outer("n", [inner, inner], {"k": inner}, None, (3, "x"), {1: [2], 3: []}, "b", "s")
    ps = enc([outer])
    assert dec(ps, [Outer]) == [outer]
    outer2 = dataclasses.replace(outer, maybe=inner, either=5)
    assert dec(enc([outer2]), [Outer]) == [outer2]
    assert dec(enc([[inner]]), [List[Inner]]) == [[inner]]
    assert dec(enc([{"a": inner}]), [Dict[str, Inner]]) == [{"a": inner}]
    assert dec(enc([None]), [Optional[Inner]]) == [None]
    assert dec(enc([inner]), [Optional[Inner]]) == [inner]
    tree = Node(1, [Node(2), Node(3, [Node(4)])])
    assert dec(enc([tree]), [Node]) == [tree]


def test_type_hinted_scalars_and_collections() -> None:
    assert dec(enc([Color.RED, Size.S]), [Color, Size]) == [Color.RED, Size.S]
    assert dec(enc([3]), [float]) == [3.0] and isinstance(dec(enc([3]), [float])[0], float)
    assert dec(enc([[1, 2]]), [tuple]) == [(1, 2)]
    assert dec(enc([[1, 2]]), [set]) == [{1, 2}]
    assert dec(enc([[1, 2]]), [Sequence[int]]) == [[1, 2]]
    assert dec(enc([{"1": "a"}]), [Dict[int, str]]) == [{1: "a"}]
    assert dec(enc([{"true": 1}]), [Dict[bool, int]]) == [{True: 1}]
    assert dec(enc([{"2": 1}]), [Dict[Color, int]]) == [{Color.BLUE: 1}]
    assert dec(enc([1, "x"]), [Any, None]) == [1, "x"]
    assert dec(enc([[1, 2]]), [bytes]) == [b"\x01\x02"]
    # fewer hints than payloads: the rest are untyped
    assert dec(enc([1, Point(1, "a")]), [int]) == [1, {"x": 1, "y": "a"}]


def test_type_hinted_errors() -> None:
    with pytest.raises(TypeError, match=r"Failed converting field x on dataclass .*Point"):
        dec(enc([{"x": "no", "y": "b"}]), [Point])
    with pytest.raises(TypeError, match="Point"):
        dec(enc([{"y": "b"}]), [Point])  # missing field
    with pytest.raises(TypeError, match="Cannot convert to dataclass .*not dict"):
        dec(enc([[1]]), [Point])
    with pytest.raises(TypeError, match="str"):
        dec(enc([1]), [str])
    with pytest.raises(TypeError):
        dec(enc([3]), [Color])
    with pytest.raises(TypeError, match="not in literal values"):
        dec(enc(["c"]), [Literal["a", "b"]])


def test_unknown_dataclass_fields_are_ignored() -> None:
    assert dec(enc([{"x": 1, "y": "b", "extra": 5}]), [Point]) == [Point(1, "b")]


# --------------------------------------------------------------------------
# Codec


class ZlibCodec(PayloadCodec):
    def __init__(self) -> None:
        self.calls = 0

    async def encode(self, payloads: Sequence[Payload]) -> List[Payload]:
        self.calls += 1
        return [
            Payload(
                metadata={"encoding": b"binary/zlib"}, data=zlib.compress(p.SerializeToString())
            )
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> List[Payload]:
        self.calls += 1
        out = []
        for p in payloads:
            assert p.metadata["encoding"] == b"binary/zlib"
            out.append(Payload.FromString(zlib.decompress(p.data)))
        return out


def test_codec_applied_after_conversion() -> None:
    codec = ZlibCodec()
    dc = DataConverter(payload_codec=codec)
    assert dc._sync is False  # type: ignore[attr-defined]
    ps = enc(["a", Point(1, "b")], dc)
    assert all(meta(p) == {"encoding": b"binary/zlib"} for p in ps)
    inner = Payload.FromString(zlib.decompress(ps[1].data))
    assert inner.data == b'{"x":1,"y":"b"}'
    assert dec(ps, [str, Point], dc) == ["a", Point(1, "b")]
    assert codec.calls == 2
    assert enc([], dc) == [] and codec.calls == 2


class ShortCodec(PayloadCodec):
    async def encode(self, payloads: Sequence[Payload]) -> List[Payload]:
        return list(payloads)[:1]

    async def decode(self, payloads: Sequence[Payload]) -> List[Payload]:
        return []


def test_codec_wrong_length() -> None:
    dc = DataConverter(payload_codec=ShortCodec())
    with pytest.raises(ValueError, match="codec returned 1 payloads for 2"):
        enc([1, 2], dc)
    with pytest.raises(ValueError, match="codec returned 0 payloads for 1"):
        dec(enc([1]), dc=dc)


# --------------------------------------------------------------------------
# DataConverter construction and options


def test_data_converter_defaults_and_of() -> None:
    d = DataConverter.default
    assert d.payload_converter is PayloadConverter.default
    assert d.payload_codec is None
    assert d.failure_converter is C.FailureConverter.default
    assert d._sync is True  # type: ignore[attr-defined]
    assert DataConverter.of(None) is d
    assert DataConverter.of(d) is d
    pc = UpperSync()
    assert DataConverter.of(pc).payload_converter is pc
    with pytest.raises(TypeError, match="got dict"):
        DataConverter.of({})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="payload_converter must be .* got str"):
        DataConverter(payload_converter="json")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="payload_codec .* got int"):
        DataConverter(payload_codec=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="failure_converter .* got int"):
        DataConverter(failure_converter=1)  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.payload_codec = None  # type: ignore[misc]
    d2 = dataclasses.replace(d, payload_codec=ZlibCodec())
    assert d2._sync is False  # type: ignore[attr-defined]


def test_sync_fast_path_matches_async() -> None:
    d = DataConverter.default
    values = [None, b"x", {"a": 1}, WorkflowExecution(workflow_id="w")]
    ps = d._encode_sync(values)
    assert ps == enc(values)
    assert d._decode_sync(ps) == dec(ps) == values


def test_sync_helper_refuses_async_converter() -> None:
    with pytest.raises(TypeError, match="asynchronous"):
        UpperAsync().to_payloads(["a"])


# --------------------------------------------------------------------------
# Import cost and enum numbers


def test_import_loads_no_protobuf() -> None:
    code = (
        "import sys, temporalio.converter, temporalio.exceptions;"
        "bad = [m for m in sys.modules if m.startswith(('google', 'temporalio.api'))];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_enum_numbers_match_protos() -> None:
    import temporalio.api.enums.v1 as pe

    import temporalio.exceptions as E

    for ours, theirs, prefix in [
        (E.TimeoutType, pe.TimeoutType, "TIMEOUT_TYPE_"),
        (E.RetryState, pe.RetryState, "RETRY_STATE_"),
        (E.ApplicationErrorCategory, pe.ApplicationErrorCategory, "APPLICATION_ERROR_CATEGORY_"),
    ]:
        expected = {
            k[len(prefix) :]: v for k, v in theirs.items() if not k.endswith("_UNSPECIFIED")
        }
        got = {m.name: int(m) for m in ours if m.name != "UNSPECIFIED"}
        assert got == expected


def test_value_to_type_public() -> None:
    assert C.value_to_type(Point, {"x": 1, "y": "z"}) == Point(1, "z")
    assert C.value_to_type(Optional[List[Point]], [{"x": 1, "y": "z"}]) == [Point(1, "z")]
    with pytest.raises(TypeError, match="Unserializable type during conversion"):
        C.value_to_type(timedelta, 5)


def test_decodes_what_other_sdks_write() -> None:
    """Go writes raw UTF-8, struct fields in declaration order, []byte as
    base64 and RFC 3339 times with nanoseconds; all of it decodes."""
    go = Payload(metadata={"encoding": b"json/plain"}, data='{"y":"é ✓","x":1}'.encode())
    assert dec([go], [Point]) == [Point(1, "é ✓")]
    assert dec([go]) == [{"y": "é ✓", "x": 1}]
    b = Payload(metadata={"encoding": b"json/plain"}, data=b'"AAH/"')
    assert dec([b], [bytes]) == [b"\x00\x01\xff"]
    t = Payload(metadata={"encoding": b"json/plain"}, data=b'"2024-01-02T03:04:05.123456789Z"')
    assert dec([t], [datetime]) == [datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)]
    # TypeScript/Java write protobuf JSON with the same metadata
    pj = Payload(
        metadata={
            "encoding": b"json/protobuf",
            "messageType": b"temporal.api.common.v1.WorkflowExecution",
        },
        data=b'{"workflowId": "w", "runId": "r"}',
    )
    assert dec([pj]) == [WorkflowExecution(workflow_id="w", run_id="r")]


def test_overridden_builtin_methods_are_honoured() -> None:
    class LoudJSON(JSONPlainPayloadConverter):
        def encode(self, *values: Any) -> Any:
            if values == ("secret",):
                return Payload(metadata={"encoding": b"json/plain"}, data=b'"***"')
            return super().encode(*values)

    dc = DataConverter(CompositePayloadConverter(BinaryNullPayloadConverter(), LoudJSON()))
    assert [p.data for p in enc(["secret", "open", None], dc)] == [b'"***"', b'"open"', b""]

    class Counting(C.DefaultPayloadConverter):
        calls = 0

        def encode(self, *values: Any) -> Any:
            Counting.calls += 1
            return super().encode(*values)

    enc([1], DataConverter(Counting()))
    assert Counting.calls == 1
