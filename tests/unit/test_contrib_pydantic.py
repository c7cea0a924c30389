"""temporalio.contrib.pydantic on our converter package: round trips with
type hints, and payload bytes equal to the official SDK's
``temporalio.contrib.pydantic`` (temporalio 1.35.0 with pydantic 2.14, probed
from the peer virtualenv) for the same values."""

from __future__ import annotations

import dataclasses
import pickle
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Dict, List, Optional, Set

import pydantic
import pytest
from temporalio.api.common.v1 import Payload

from temporalio.contrib.pydantic import (
    PydanticJSONPlainPayloadConverter,
    PydanticPayloadConverter,
    ToJsonOptions,
    pydantic_data_converter,
)
from temporalio.converter import DataConverter, EncodingPayloadConverter


class Address(pydantic.BaseModel):
    street: str
    zip: Optional[str] = None


class Person(pydantic.BaseModel):
    id: uuid.UUID
    name: str
    born: datetime
    addresses: List[Address]
    tags: Set[str] = pydantic.Field(default_factory=set)
    score: float = 0.5


@dataclass
class Pt:
    x: int
    y: str


PERSON = Person(
    id=uuid.UUID("12345678-1234-5678-1234-567812345678"),
    name="Zoë",
    born=datetime(2000, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc),
    addresses=[Address(street="Main St 1"), Address(street="Elm", zip="12345")],
    tags={"a"},
)

# (value, encoding, data) as the official SDK's pydantic_data_converter writes them.
OFFICIAL = [
    (
        PERSON,
        "json/plain",
        '{"id":"12345678-1234-5678-1234-567812345678","name":"Zoë",'
        '"born":"2000-01-02T03:04:05.678000Z","addresses":[{"street":"Main St 1","zip":null},'
        '{"street":"Elm","zip":"12345"}],"tags":["a"],"score":0.5}',
    ),
    ({"b": 1, "a": [1, 2.5, "é", True, None]}, "json/plain", '{"b":1,"a":[1,2.5,"é",true,null]}'),
    ("hi", "json/plain", '"hi"'),
    (datetime(2021, 5, 6, 7, 8, 9), "json/plain", '"2021-05-06T07:08:09"'),
    (
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "json/plain",
        '"12345678-1234-5678-1234-567812345678"',
    ),
    (Pt(x=1, y="b"), "json/plain", '{"x":1,"y":"b"}'),
    (date(2020, 1, 1), "json/plain", '"2020-01-01"'),
    (timedelta(seconds=90), "json/plain", '"PT1M30S"'),
    ([Address(street="s")], "json/plain", '[{"street":"s","zip":null}]'),
    (None, "binary/null", ""),
    (b"raw", "binary/plain", "raw"),
]


@pytest.mark.parametrize("value, encoding, data", OFFICIAL)
def test_payload_bytes_are_the_official_sdks(value: Any, encoding: str, data: str) -> None:
    (payload,) = pydantic_data_converter.payload_converter.to_payloads([value])
    assert dict(payload.metadata) == {"encoding": encoding.encode()}
    assert payload.data == data.encode()


def test_exclude_unset_leaves_out_fields_not_set() -> None:
    (payload,) = PydanticPayloadConverter(ToJsonOptions(exclude_unset=True)).to_payloads([PERSON])
    assert (
        payload.data
        == (
            '{"id":"12345678-1234-5678-1234-567812345678","name":"Zoë",'
            '"born":"2000-01-02T03:04:05.678000Z","addresses":[{"street":"Main St 1"},'
            '{"street":"Elm","zip":"12345"}],"tags":["a"]}'
        ).encode()
    )


@pytest.mark.parametrize(
    "value, hint",
    [
        (PERSON, Person),
        ([Address(street="a"), Address(street="b", zip="1")], List[Address]),
        ({"k": Address(street="x")}, Dict[str, Address]),
        (datetime(2021, 5, 6, 7, 8, 9, tzinfo=timezone.utc), datetime),
        (uuid.UUID("12345678-1234-5678-1234-567812345678"), uuid.UUID),
        (Pt(x=3, y="z"), Pt),
        ({"a", "b"}, Set[str]),
        (timedelta(minutes=3), timedelta),
        (None, Optional[Person]),
        (b"\x00\x01", bytes),
    ],
)
async def test_values_come_back_as_their_type_hint(value: Any, hint: Any) -> None:
    payloads = await pydantic_data_converter.encode([value])
    (decoded,) = await pydantic_data_converter.decode(payloads, [hint])
    assert decoded == value
    assert type(decoded) is type(value)


def test_without_a_type_hint_json_comes_back_as_plain_values() -> None:
    pc = pydantic_data_converter.payload_converter
    (payload,) = pc.to_payloads([PERSON])
    (decoded,) = pc.from_payloads([payload])
    assert decoded["born"] == "2000-01-02T03:04:05.678000Z"
    assert decoded["addresses"][1] == {"street": "Elm", "zip": "12345"}


def test_a_payload_that_does_not_fit_the_hint_raises_validation_error() -> None:
    pc = pydantic_data_converter.payload_converter
    (payload,) = pc.to_payloads([{"street": 5}])
    with pytest.raises(pydantic.ValidationError):
        pc.from_payloads([payload], [Address])


def test_the_default_converters_are_kept_but_json() -> None:
    pc = PydanticPayloadConverter()
    assert [c.encoding for c in pc.converters] == [
        "binary/null",
        "binary/plain",
        "json/protobuf",
        "binary/protobuf",
        "json/plain",
    ]
    assert isinstance(pc.converters[-1], PydanticJSONPlainPayloadConverter)
    assert isinstance(pydantic_data_converter, DataConverter)


def test_protobuf_messages_still_use_the_protobuf_converters() -> None:
    msg = Payload(data=b"x")
    (payload,) = pydantic_data_converter.payload_converter.to_payloads([msg])
    assert payload.metadata["encoding"] == b"json/protobuf"


def test_the_type_adapter_cache_is_bounded_and_pickles_empty() -> None:
    with pytest.raises(ValueError, match="max_cached_type_adapters cannot be negative"):
        PydanticJSONPlainPayloadConverter(max_cached_type_adapters=-1)
    conv = PydanticJSONPlainPayloadConverter(max_cached_type_adapters=2)
    payload = conv.to_payload(Address(street="s"))
    for hint in (Address, Optional[Address], Dict[str, Any], Address):
        conv.from_payload(payload, hint)
    info = conv._type_adapter.cache_info()
    assert (info.currsize, info.maxsize) == (2, 2)
    clone = pickle.loads(pickle.dumps(conv))
    assert clone._type_adapter.cache_info().currsize == 0
    assert clone._type_adapter.cache_info().maxsize == 2
    assert clone.from_payload(payload, Address) == Address(street="s")


def test_an_unhashable_type_hint_bypasses_the_cache() -> None:
    conv = PydanticJSONPlainPayloadConverter()
    hint: Any = Annotated[List[int], {"doc": "unhashable metadata"}]
    with pytest.raises(TypeError):
        hash(hint)
    assert conv.from_payload(conv.to_payload([1, 2]), hint) == [1, 2]
    assert conv._type_adapter.cache_info().currsize == 0


def test_an_official_style_encoding_converter_works_in_ours() -> None:
    """A converter written for the official SDK (to_payload / from_payload
    and an ``encoding`` property) is used as is."""

    class Upper(EncodingPayloadConverter):
        @property
        def encoding(self) -> str:  # type: ignore[override]
            return "text/upper"

        def to_payload(self, value: Any) -> Optional[Payload]:  # type: ignore[override]
            if not isinstance(value, str):
                return None
            return Payload(metadata={"encoding": b"text/upper"}, data=value.upper().encode())

        def from_payload(self, payload: Payload, type_hint: Optional[type] = None) -> Any:
            return payload.data.decode().lower()

    from temporalio.converter import CompositePayloadConverter, JSONPlainPayloadConverter

    pc = CompositePayloadConverter(Upper(), JSONPlainPayloadConverter())
    payloads = pc.to_payloads(["abc", 5])
    assert [p.metadata["encoding"] for p in payloads] == [b"text/upper", b"json/plain"]
    assert payloads[0].data == b"ABC"
    assert pc.from_payloads(payloads) == ["abc", 5]


def test_a_converter_implementing_neither_method_raises_type_error() -> None:
    class Nothing(EncodingPayloadConverter):
        encoding = "x/none"

    with pytest.raises(TypeError, match="Nothing implements neither to_payload_or_none"):
        Nothing().to_payload_or_none(1)


def test_data_converter_takes_the_official_converter_class_keywords() -> None:
    class Small(PydanticPayloadConverter):
        def __init__(self) -> None:
            super().__init__(max_cached_type_adapters=3)

    dc = DataConverter(payload_converter_class=Small)
    assert type(dc.payload_converter) is Small
    assert dc.payload_converter_class is Small
    json_conv = dc.payload_converter.converters[-1]  # type: ignore[attr-defined]
    assert json_conv._type_adapter.cache_info().maxsize == 3
    assert pydantic_data_converter.payload_converter_class is PydanticPayloadConverter
    # replace() keeps what it is given, and the class fields follow the instances
    plain = dataclasses.replace(dc, payload_converter=DataConverter.default.payload_converter)
    assert plain.payload_converter is DataConverter.default.payload_converter
    assert plain.payload_converter_class is type(DataConverter.default.payload_converter)
    assert DataConverter.default.failure_converter_class is type(
        DataConverter.default.failure_converter
    )
    with pytest.raises(TypeError, match="payload_converter_class must be a class"):
        DataConverter(payload_converter_class=Small())  # type: ignore[arg-type]
