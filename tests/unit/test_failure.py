"""Failure conversion: exceptions <-> temporal.api.failure.v1.Failure (no server)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import timedelta
from typing import Any, List, Sequence

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure

import temporalio.exceptions as E
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverter,
    PayloadCodec,
    PayloadConverter,
)

dc = DataConverter.default


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as e:
        return e


def details_of(payloads: Any) -> List[Any]:
    return [json.loads(p.data) for p in payloads.payloads]


@dataclasses.dataclass
class Info:
    code: int
    why: str


def test_application_error_fields() -> None:
    err = E.ApplicationError(
        "boom",
        "d1",
        {"k": 2},
        type="MyType",
        non_retryable=True,
        next_retry_delay=timedelta(seconds=1.5),
        category=E.ApplicationErrorCategory.BENIGN,
    )
    assert str(err) == "MyType: boom" and err.message == "boom"
    assert str(E.ApplicationError("plain")) == "plain"
    f = run(dc.encode_failure(err))
    assert f.message == "boom" and f.stack_trace == ""
    info = f.application_failure_info
    assert info.type == "MyType" and info.non_retryable is True
    assert details_of(info.details) == ["d1", {"k": 2}]
    assert info.next_retry_delay.ToTimedelta() == timedelta(seconds=1.5)
    assert info.category == 1
    back = run(dc.decode_failure(f))
    assert isinstance(back, E.ApplicationError)
    assert (back.message, back.type, back.non_retryable) == ("boom", "MyType", True)
    assert list(back.details) == ["d1", {"k": 2}]
    assert back.next_retry_delay == timedelta(seconds=1.5)
    assert back.category == E.ApplicationErrorCategory.BENIGN
    assert back.failure is f
    assert back.cause is None


def test_plain_exception_becomes_application_failure_with_class_name() -> None:
    class MyDomainError(Exception):
        pass

    f = run(dc.encode_failure(raised(MyDomainError("bad thing"))))
    assert f.message == "bad thing"
    assert f.application_failure_info.type == "MyDomainError"
    assert f.application_failure_info.non_retryable is False
    assert "raise exc" in f.stack_trace and "test_failure.py" in f.stack_trace
    back = run(dc.decode_failure(f))
    assert type(back) is E.ApplicationError
    assert back.type == "MyDomainError" and back.message == "bad thing"


def test_cause_chain_both_ways() -> None:
    def inner() -> None:
        raise KeyError("k")

    def middle() -> None:
        try:
            inner()
        except KeyError as e:
            raise ValueError("middle") from e

    try:
        try:
            middle()
        except ValueError as e:
            raise E.ApplicationError("top", Info(1, "x"), type="Top") from e
    except E.ApplicationError as e:
        top = e
    f = run(dc.encode_failure(top))
    assert [f.message, f.cause.message, f.cause.cause.message] == ["top", "middle", "'k'"]
    assert [
        f.application_failure_info.type,
        f.cause.application_failure_info.type,
        f.cause.cause.application_failure_info.type,
    ] == ["Top", "ValueError", "KeyError"]
    assert not f.cause.cause.HasField("cause")
    assert "inner" in f.cause.cause.stack_trace
    back = run(dc.decode_failure(f))
    chain = []
    e: Any = back
    while e is not None:
        chain.append((type(e).__name__, e.message, e.type))
        assert e.cause is e.__cause__
        e = e.cause
    assert chain == [
        ("ApplicationError", "top", "Top"),
        ("ApplicationError", "middle", "ValueError"),
        ("ApplicationError", "'k'", "KeyError"),
    ]
    assert back.details == ({"code": 1, "why": "x"},)


def test_context_is_a_cause_unless_suppressed() -> None:
    try:
        try:
            raise OSError("disk")
        except OSError:
            raise RuntimeError("while handling")
    except RuntimeError as e:
        implicit = e
    f = run(dc.encode_failure(implicit))
    assert f.cause.message == "disk" and f.cause.application_failure_info.type == "OSError"

    try:
        try:
            raise OSError("disk")
        except OSError:
            raise RuntimeError("suppressed") from None
    except RuntimeError as e:
        suppressed = e
    f = run(dc.encode_failure(suppressed))
    assert not f.HasField("cause")


def test_cause_cycle_terminates() -> None:
    a = ValueError("a")
    b = ValueError("b")
    a.__cause__ = b
    b.__cause__ = a
    f = run(dc.encode_failure(a))
    assert f.message == "a" and f.cause.message == "b" and not f.cause.HasField("cause")


def test_every_failure_kind_round_trips() -> None:
    cases: List[BaseException] = [
        E.CancelledError("stop", "d"),
        E.CancelledError(),
        E.TerminatedError("term"),
        E.TimeoutError("to", type=E.TimeoutType.HEARTBEAT, last_heartbeat_details=[1, "hb"]),
        E.TimeoutError("to2", type=None, last_heartbeat_details=[]),
        E.ServerError("srv", non_retryable=True),
        E.ActivityError(
            "act",
            scheduled_event_id=1,
            started_event_id=2,
            identity="me",
            activity_type="T",
            activity_id="id",
            retry_state=E.RetryState.TIMEOUT,
        ),
        E.ChildWorkflowError(
            "child",
            namespace="ns",
            workflow_id="w",
            run_id="r",
            workflow_type="WT",
            initiated_event_id=3,
            started_event_id=4,
            retry_state=None,
        ),
    ]
    for exc in cases:
        back = run(dc.decode_failure(run(dc.encode_failure(exc))))
        assert type(back) is type(exc)
        for attr in (
            "message",
            "details",
            "type",
            "last_heartbeat_details",
            "non_retryable",
            "scheduled_event_id",
            "started_event_id",
            "identity",
            "activity_type",
            "activity_id",
            "retry_state",
            "namespace",
            "workflow_id",
            "run_id",
            "workflow_type",
            "initiated_event_id",
        ):
            if hasattr(exc, attr):
                assert list_or(getattr(back, attr)) == list_or(getattr(exc, attr)), (exc, attr)


def list_or(v: Any) -> Any:
    return list(v) if isinstance(v, (list, tuple)) else v


def test_activity_error_wraps_application_cause() -> None:
    err = E.ActivityError(
        "activity error",
        scheduled_event_id=5,
        started_event_id=6,
        identity="i",
        activity_type="A",
        activity_id="1",
        retry_state=E.RetryState.MAXIMUM_ATTEMPTS_REACHED,
    )
    err.__cause__ = E.ApplicationError("inner", type="X", non_retryable=True)
    back = run(dc.decode_failure(run(dc.encode_failure(err))))
    assert isinstance(back, E.ActivityError)
    assert back.retry_state is E.RetryState.MAXIMUM_ATTEMPTS_REACHED
    assert isinstance(back.cause, E.ApplicationError) and back.cause.type == "X"
    assert not E.is_cancelled_exception(back)
    err.__cause__ = E.CancelledError()
    assert E.is_cancelled_exception(run(dc.decode_failure(run(dc.encode_failure(err)))))


def test_decoded_error_is_sent_back_unchanged() -> None:
    f = Failure(message="from server", source="GoSDK", stack_trace="go stack")
    f.server_failure_info.non_retryable = False
    back = run(dc.decode_failure(f))
    assert isinstance(back, E.ServerError) and back.failure is f
    again = run(dc.encode_failure(back))
    assert again == f


def test_unknown_or_empty_failure_info() -> None:
    back = run(dc.decode_failure(Failure(message="")))
    assert type(back) is E.FailureError and back.message == "Failure error"
    f = Failure(message="reset")
    f.reset_workflow_failure_info.SetInParent()
    assert type(run(dc.decode_failure(f))) is E.FailureError
    f = Failure()
    f.application_failure_info.SetInParent()
    assert run(dc.decode_failure(f)).message == "Application error"
    # unknown enum numbers do not break decoding
    f = Failure(message="t")
    f.timeout_failure_info.timeout_type = 99  # type: ignore[assignment]
    assert run(dc.decode_failure(f)).type is None


def test_encoded_attributes() -> None:
    conv = DataConverter(failure_converter=DefaultFailureConverter(encode_common_attributes=True))
    err = E.ApplicationError("secret message", type="T")
    err.__cause__ = ValueError("secret cause")
    f = run(conv.encode_failure(err))
    assert f.message == "Encoded failure" and f.stack_trace == ""
    assert json.loads(f.encoded_attributes.data) == {"message": "secret message", "stack_trace": ""}
    assert f.cause.message == "Encoded failure"
    back = run(dc.decode_failure(f))  # any converter reads them back
    assert back.message == "secret message" and back.cause.message == "secret cause"


class XorCodec(PayloadCodec):
    async def encode(self, payloads: Sequence[Payload]) -> List[Payload]:
        return [
            Payload(
                metadata={"encoding": b"binary/xor"},
                data=bytes(b ^ 0x5A for b in p.SerializeToString()),
            )
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> List[Payload]:
        return [Payload.FromString(bytes(b ^ 0x5A for b in p.data)) for p in payloads]


def test_codec_applies_to_failure_payloads() -> None:
    conv = DataConverter(
        payload_codec=XorCodec(),
        failure_converter=DefaultFailureConverter(encode_common_attributes=True),
    )
    err = E.ApplicationError("m", "detail", type="T")
    err.__cause__ = E.TimeoutError("t", type=E.TimeoutType.HEARTBEAT, last_heartbeat_details=["hb"])
    f = run(conv.encode_failure(err))
    assert f.application_failure_info.details.payloads[0].metadata["encoding"] == b"binary/xor"
    assert (
        f.cause.timeout_failure_info.last_heartbeat_details.payloads[0].metadata["encoding"]
        == b"binary/xor"
    )
    assert f.encoded_attributes.metadata["encoding"] == b"binary/xor"
    snapshot = f.SerializeToString()
    back = run(conv.decode_failure(f))
    assert f.SerializeToString() == snapshot  # input not modified
    assert back.message == "m" and list(back.details) == ["detail"]
    assert list(back.cause.last_heartbeat_details) == ["hb"]


def test_codec_reaches_every_payloads_field_of_a_failure_chain() -> None:
    """Cancelled details and reset-workflow heartbeat details, deep in a
    chain, go through the codec too, and come back."""
    codec = XorCodec()
    f = Failure(message="top")
    f.canceled_failure_info.details.payloads.extend(dc._encode_sync(["c1", "c2"]))
    f.cause.message = "reset"
    f.cause.reset_workflow_failure_info.last_heartbeat_details.payloads.extend(dc._encode_sync([7]))
    f.cause.cause.message = "plain"  # no failure info: nothing to encode
    original = f.SerializeToString()
    run(codec.encode_failure(f))
    reset = f.cause.reset_workflow_failure_info
    payloads = [*f.canceled_failure_info.details.payloads, *reset.last_heartbeat_details.payloads]
    encodings = [p.metadata["encoding"] for p in payloads]
    assert encodings == [b"binary/xor"] * 3
    run(codec.decode_failure(f))
    assert f.SerializeToString() == original


class AsyncJSONish(PayloadConverter):
    """An async top-level converter: strings only, upper-cased on the wire."""

    async def encode(self, *values: Any) -> Any:
        await asyncio.sleep(0)
        return [
            Payload(metadata={"encoding": b"x/up"}, data=str(v).upper().encode()) for v in values
        ]

    async def decode(self, *payloads: Payload) -> Any:
        await asyncio.sleep(0)
        vals = [p.data.decode().lower() for p in payloads]
        return vals[0] if len(vals) == 1 else vals


def test_async_payload_converter_in_failures() -> None:
    conv = DataConverter(AsyncJSONish())
    err = E.ApplicationError("m", "a", "b", type="T")
    err.__cause__ = E.CancelledError("c", "why")
    f = run(conv.encode_failure(err))
    assert [p.data for p in f.application_failure_info.details.payloads] == [b"A", b"B"]
    assert [p.data for p in f.cause.canceled_failure_info.details.payloads] == [b"WHY"]
    back = run(conv.decode_failure(f))
    assert list(back.details) == ["a", "b"] and list(back.cause.details) == ["why"]


def test_encode_failure_into_given_message() -> None:
    f = Failure()
    out = run(dc.encode_failure(E.ApplicationError("x"), f))
    assert out is f and f.message == "x"


def test_sync_failure_helpers() -> None:
    f = dc._encode_failure_sync(E.ApplicationError("x", 1))
    assert details_of(f.application_failure_info.details) == [1]
    back = dc._decode_failure_sync(f)
    assert isinstance(back, E.ApplicationError) and back.details == (1,)


def test_failure_error_base() -> None:
    assert issubclass(E.FailureError, E.TemporalError)
    for cls in (
        E.ApplicationError,
        E.CancelledError,
        E.TerminatedError,
        E.TimeoutError,
        E.ServerError,
        E.ActivityError,
        E.ChildWorkflowError,
    ):
        assert issubclass(cls, E.FailureError)
    err = E.FailureError("m")
    assert err.message == "m" and err.failure is None and err.cause is None
    assert E.CancelledError().message == "Cancelled"
    with pytest.raises(TypeError):
        E.TimeoutError("x", E.TimeoutType.HEARTBEAT)  # type: ignore[misc]
