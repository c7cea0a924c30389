"""Dynamic activities and ``RawValue`` without a server: the definition
checks and their messages (compared with the official SDK in the peer
virtualenv), ``activity.payload_converter()``, and ``RawValue`` through the
payload converters."""

from __future__ import annotations

import asyncio
import collections.abc
import json
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any, Dict, List

import pytest

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RawValue
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    JSONPlainPayloadConverter,
    PayloadConverter,
)
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Worker

# The same definitions, made on both SDKs; each case prints its outcome.
ERRORS_SCRIPT = r"""
import collections.abc, json, typing
from temporalio import activity
from temporalio.common import RawValue
out = {}
def case(name, f):
    try:
        f()
        out[name] = None
    except BaseException as err:
        out[name] = [type(err).__name__, str(err)]

def no_hint(args): ...
def list_hint(args: typing.List[RawValue]): ...
def two(args: collections.abc.Sequence[RawValue], more: int): ...
def varargs(*args: RawValue): ...
def none(): ...
def good(args: collections.abc.Sequence[RawValue]): ...
class Holder:
    def method(self, args: collections.abc.Sequence[RawValue]): ...
case("no hint", lambda: activity.defn(dynamic=True)(no_hint))
case("list hint", lambda: activity.defn(dynamic=True)(list_hint))
case("two parameters", lambda: activity.defn(dynamic=True)(two))
case("varargs", lambda: activity.defn(dynamic=True)(varargs))
case("no parameter", lambda: activity.defn(dynamic=True)(none))
case("good", lambda: activity.defn(dynamic=True)(good))
case("method", lambda: activity.defn(dynamic=True)(Holder.method))
def named_dynamic(args: collections.abc.Sequence[RawValue]): ...
case("name ignored", lambda: activity.defn(name="x", dynamic=True)(named_dynamic))
case("outside an activity", lambda: activity.payload_converter())
print(json.dumps(out))
"""


def _errors(python: str, cwd: str) -> Dict[str, Any]:
    proc = subprocess.run(
        [python, "-c", ERRORS_SCRIPT], capture_output=True, text=True, timeout=120, cwd=cwd
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_definition_errors_are_the_official_ones() -> None:
    from tests.peer.peerhost import peer_python

    theirs = _errors(peer_python(), "/")
    mine = _errors(sys.executable, str(Path(__file__).resolve().parents[2]))
    assert set(theirs) == set(mine)
    for case, official in theirs.items():
        got = mine[case]
        if official is None:
            assert got is None, f"{case}: ours raised {got}, the official nothing"
            continue
        assert got is not None, f"{case}: ours raised nothing, the official {official}"
        assert got[0] == official[0], f"{case}: {got} vs the official {official}"
        if case != "outside an activity":  # that message is the names slice's
            assert got[1].startswith(official[1]), f"{case}: {got[1]!r} vs {official[1]!r}"


def test_typing_sequence_is_accepted_too() -> None:
    """The official 1.35 accepts only ``collections.abc.Sequence[RawValue]``;
    ours also takes the ``typing`` alias (the same type to a checker)."""

    def f(args: typing.Sequence[RawValue]) -> None: ...

    assert activity.defn(dynamic=True)(f) is f


@activity.defn(dynamic=True)
async def dyn_one(args: collections.abc.Sequence[RawValue]) -> None: ...


@activity.defn(dynamic=True)
async def dyn_two(args: collections.abc.Sequence[RawValue]) -> None: ...


@activity.defn
async def named(x: int) -> int:
    return x


def test_two_dynamic_activities_are_refused() -> None:
    client = Client("localhost:7233")  # never connected
    with pytest.raises(TypeError, match="^More than one dynamic activity$"):
        Worker(client, task_queue="tq", activities=[dyn_one, named, dyn_two])
    # one is fine, next to named ones
    Worker(client, task_queue="tq", activities=[named, dyn_one])


def test_a_workflow_cannot_call_the_dynamic_activity_by_reference() -> None:
    with pytest.raises(ValueError, match="definition has no name"):
        workflow._activity_name(dyn_one)
    assert workflow._activity_name(named) == "named"


def test_payload_converter_in_activities() -> None:
    env = ActivityEnvironment()
    assert env.run(activity.payload_converter) is DataConverter.default.payload_converter
    custom = CompositePayloadConverter(JSONPlainPayloadConverter())
    env.payload_converter = custom
    assert env.run(activity.payload_converter) is custom

    async def in_async() -> PayloadConverter:
        return activity.payload_converter()

    assert asyncio.run(env.run(in_async)) is custom
    with pytest.raises(RuntimeError):
        activity.payload_converter()


def test_raw_value_passes_through_the_converters() -> None:
    pc = PayloadConverter.default
    p = pc.to_payload({"a": [1, "b"]})
    raw = RawValue(p)
    # encoding: the payload itself, unchanged (not the dataclass as JSON)
    assert pc.to_payload(raw) == p
    assert pc.to_payloads([raw, raw, 5])[:2] == [p, p]
    odd = type(p)(metadata={"encoding": b"no/such-encoding"}, data=b"\x00")
    assert pc.to_payload(RawValue(odd)) == odd
    # decoding with the hint RawValue: the payload wrapped, whatever its encoding
    got = pc.from_payloads([p, odd], [RawValue, RawValue])
    assert got == [RawValue(p), RawValue(odd)]
    assert pc.from_payloads([p, p], [RawValue, None]) == [RawValue(p), {"a": [1, "b"]}]
    # through a DataConverter (async path) too
    dc = DataConverter.default
    assert asyncio.run(dc.encode([raw])) == [p]
    assert asyncio.run(dc.decode([odd], [RawValue])) == [RawValue(odd)]


def test_raw_value_through_a_non_builtin_composite() -> None:
    class Upper(JSONPlainPayloadConverter):
        def encode(self, *values: Any) -> Any:  # overridden: the generic path
            return super().encode(*[v.upper() if isinstance(v, str) else v for v in values])

    pc = CompositePayloadConverter(Upper())
    p = PayloadConverter.default.to_payload("x")
    assert pc.to_payloads([RawValue(p), "y"]) == [p, PayloadConverter.default.to_payload("Y")]
    out: List[Any] = pc.from_payloads([p], [RawValue])
    assert out == [RawValue(p)]
