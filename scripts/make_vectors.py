#!/usr/bin/env python3
"""Make the cross-SDK payload and failure vectors in tests/data/payload_vectors.json.

    .venv/bin/python scripts/make_vectors.py          # writes the file, prints the table

It runs twice:
  * with this repo's interpreter ("ours"): encodes the failure table with our
    converter, so the official SDK can decode what we write;
  * with the peer interpreter holding the OFFICIAL SDK (``scripts/peer-env``),
    isolated (``-I``) so our ``temporalio/`` is not importable: encodes every
    value and failure with the official SDK, decodes its own failures and
    ours, and reports what it sees.

The value and failure tables below are shared by both runs and by
tests/unit/test_converter_vectors.py, which checks that our bytes equal the
official ones and that failures decode the same on both sides. The tables
import ``temporalio`` lazily: the same module paths exist in both SDKs.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import enum
import json
import os
import subprocess
import sys
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "payload_vectors.json")


# ---------------------------------------------------------------------------
# Shared tables


class Color(enum.IntEnum):
    RED = 1
    GREEN = 2


class Size(str, enum.Enum):
    SMALL = "s"
    LARGE = "l"


@dataclasses.dataclass
class Point:
    x: int
    y: str


@dataclasses.dataclass
class Order:
    id: uuid.UUID
    color: Color
    size: Size
    points: List[Point]
    at: datetime
    note: Optional[str] = None
    tags: Dict[str, int] = dataclasses.field(default_factory=dict)


def _proto_values() -> List[Tuple[str, Any]]:
    from google.protobuf.duration_pb2 import Duration
    from temporalio.api.common.v1 import Payload, Payloads, RetryPolicy, WorkflowExecution
    from temporalio.api.enums.v1 import EventType
    from temporalio.api.history.v1 import HistoryEvent

    return [
        ("proto_workflow_execution", WorkflowExecution(workflow_id="w", run_id="r")),
        (
            "proto_retry_policy",
            RetryPolicy(
                initial_interval=Duration(seconds=1, nanos=500_000_000),
                backoff_coefficient=2.0,
                maximum_attempts=5,
                non_retryable_error_types=["A", "Bé"],
            ),
        ),
        (
            "proto_payloads_bytes",
            Payloads(payloads=[Payload(metadata={"encoding": b"binary/plain"}, data=b"\x00\xff")]),
        ),
        (
            "proto_history_event_enum_int64",
            HistoryEvent(
                event_id=2**40, event_type=EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
            ),
        ),
        ("proto_empty", WorkflowExecution()),
    ]


def values() -> List[Tuple[str, Any, Optional[Any]]]:
    """(name, value, type hint for decoding) for the default converter."""
    order = Order(
        id=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        color=Color.GREEN,
        size=Size.LARGE,
        points=[Point(1, "a"), Point(-2, "bé")],
        at=datetime(2024, 2, 29, 13, 14, 15, 123456, tzinfo=timezone.utc),
        tags={"b": 2, "a": 1},
    )
    table: List[Tuple[str, Any, Optional[Any]]] = [
        ("none", None, None),
        ("bytes", b"\x00\x01binary\xff", None),
        ("bytes_empty", b"", None),
        ("str_ascii", "hello", None),
        ("str_empty", "", None),
        ("str_unicode", "héllo wörld ✓ 日本 😀", None),
        ("str_escapes", 'quote " backslash \\ nl \n tab \t ctl \x01 </script>', None),
        ("int_zero", 0, None),
        ("int_negative", -42, None),
        ("int_big", 2**64 + 1, None),
        ("float", 2.5, None),
        ("float_tenth", 0.1, None),
        ("float_third", 1 / 3, None),
        ("float_big", 1e100, None),
        ("float_negative_zero", -0.0, None),
        ("bool_true", True, None),
        ("bool_false", False, None),
        ("list_mixed", [1, "two", 3.0, None, True], None),
        ("list_empty", [], None),
        ("dict_empty", {}, None),
        ("dict_facts", {"a": [1, 2.5, "é", True, None]}, None),
        (
            "dict_nested_unsorted",
            {"zeta": {"z": 1, "a": [1, {"y": None, "x": "é"}]}, "alpha": [], "Beta": {}},
            None,
        ),
        ("dict_int_keys", {2: "b", 1: "a", 10: "c"}, None),
        ("tuple", (1, "x"), None),
        ("set_of_ints", {3, 1, 2}, None),
        ("dataclass_point", Point(x=1, y="b"), Point),
        ("dataclass_nested", order, Order),
        ("list_of_dataclasses", [Point(1, "a"), Point(2, "b")], List[Point]),
        ("int_enum", Color.RED, Color),
        ("str_enum", Size.SMALL, Size),
        ("uuid", uuid.UUID("00000000-0000-4000-8000-000000000001"), uuid.UUID),
        ("datetime_utc", datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc), datetime),
        ("datetime_naive", datetime(2024, 1, 2, 3, 4, 5, 6), datetime),
        (
            "datetime_offset",
            datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
            datetime,
        ),
    ]
    for name, v in _proto_values():
        table.append((name, v, type(v)))
    return table


def binary_proto_values() -> List[Tuple[str, Any]]:
    """Values for BinaryProtoPayloadConverter used on its own."""
    return [("binary_" + name, v) for name, v in _proto_values()]


def failures() -> List[Tuple[str, Callable[[], BaseException]]]:
    """(name, factory) of exceptions; factories import temporalio.exceptions
    lazily so the same table builds the official SDK's and ours."""

    def app_with_cause() -> BaseException:
        import temporalio.exceptions as E

        top = E.ApplicationError(
            "app failed ✓",
            "detail1",
            {"k": [1, 2], "a": None},
            Point(3, "p"),
            type="MyError",
            non_retryable=True,
            next_retry_delay=timedelta(seconds=3, milliseconds=250),
        )
        mid = ValueError("root cause")
        deep = E.TimeoutError(
            "hb timed out", type=E.TimeoutType.HEARTBEAT, last_heartbeat_details=["hb", 7]
        )
        mid.__cause__ = deep
        top.__cause__ = mid
        return top

    def activity_error() -> BaseException:
        import temporalio.exceptions as E

        err = E.ActivityError(
            "activity error",
            scheduled_event_id=5,
            started_event_id=6,
            identity="123@host",
            activity_type="MyActivity",
            activity_id="act-1",
            retry_state=E.RetryState.MAXIMUM_ATTEMPTS_REACHED,
        )
        err.__cause__ = E.ApplicationError("inner", b"raw", type="Inner")
        return err

    def child_workflow_error() -> BaseException:
        import temporalio.exceptions as E

        err = E.ChildWorkflowError(
            "child workflow error",
            namespace="default",
            workflow_id="child-wf",
            run_id="run-1",
            workflow_type="ChildWorkflow",
            initiated_event_id=7,
            started_event_id=8,
            retry_state=E.RetryState.NON_RETRYABLE_FAILURE,
        )
        err.__cause__ = E.TerminatedError("terminated by test")
        return err

    def cancelled() -> BaseException:
        import temporalio.exceptions as E

        return E.CancelledError("Cancelled", "why", 42)

    def server() -> BaseException:
        import temporalio.exceptions as E

        return E.ServerError("server said no", non_retryable=True)

    def timeout() -> BaseException:
        import temporalio.exceptions as E

        return E.TimeoutError(
            "activity timeout",
            type=E.TimeoutType.START_TO_CLOSE,
            last_heartbeat_details=[1, "two", None],
        )

    def plain_exception() -> BaseException:
        err = RuntimeError("plain runtime error")
        err.__cause__ = KeyError("missing")
        return err

    def benign() -> BaseException:
        import temporalio.exceptions as E

        return E.ApplicationError(
            "benign", type="Benign", category=E.ApplicationErrorCategory.BENIGN
        )

    return [
        ("application_error_with_cause_chain", app_with_cause),
        ("activity_error", activity_error),
        ("child_workflow_error", child_workflow_error),
        ("cancelled_error", cancelled),
        ("server_error", server),
        ("timeout_error", timeout),
        ("plain_exception_with_cause", plain_exception),
        ("application_error_benign", benign),
    ]


def _plain(v: Any) -> Any:
    """JSON-able form of a decoded detail value."""
    if isinstance(v, bytes):
        return {"bytes_b64": base64.b64encode(v).decode()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v


def describe(exc: Optional[BaseException]) -> Any:
    """What a user sees of a decoded exception, the same way for both SDKs."""
    if exc is None:
        return None
    d: Dict[str, Any] = {"class": type(exc).__name__, "str": str(exc)}
    for attr in (
        "message",
        "type",
        "non_retryable",
        "scheduled_event_id",
        "started_event_id",
        "initiated_event_id",
        "identity",
        "activity_type",
        "activity_id",
        "namespace",
        "workflow_id",
        "run_id",
        "workflow_type",
    ):
        if hasattr(exc, attr):
            v = getattr(exc, attr)
            d[attr] = int(v) if isinstance(v, enum.IntEnum) else v
    for attr in ("retry_state", "category"):
        if hasattr(exc, attr):
            v = getattr(exc, attr)
            d[attr] = None if v is None else int(v)
    if hasattr(exc, "next_retry_delay"):
        v = exc.next_retry_delay  # type: ignore[attr-defined]
        d["next_retry_delay"] = None if v is None else v.total_seconds()
    for attr in ("details", "last_heartbeat_details"):
        if hasattr(exc, attr):
            d[attr] = _plain(list(getattr(exc, attr)))
    d["cause"] = describe(exc.__cause__)
    return d


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def payload_json(p: Any) -> Dict[str, Any]:
    return {
        "metadata": {k: p.metadata[k].decode() for k in sorted(p.metadata)},
        "data_b64": b64(p.data),
    }


# ---------------------------------------------------------------------------
# The two runs


def run_ours(out_path: str) -> None:
    """Encode the failure table with our SDK (so the official one can decode it)."""
    from temporalio.converter import DataConverter

    dc = DataConverter.default
    result = {}
    for name, factory in failures():
        f = asyncio.run(dc.encode_failure(factory()))
        result[name] = b64(f.SerializeToString(deterministic=True))
    with open(out_path, "w") as fh:
        json.dump(result, fh)


def run_official(ours_path: str, out_path: str) -> None:
    from temporalio.api.failure.v1 import Failure

    import temporalio
    import temporalio.converter as C

    assert "site-packages" in temporalio.__file__, temporalio.__file__
    import importlib.metadata

    version = importlib.metadata.version("temporalio")
    pc = C.DataConverter.default.payload_converter
    fc = C.DataConverter.default.failure_converter

    payloads = {}
    for name, value, _hint in values():
        payloads[name] = payload_json(pc.to_payloads([value])[0])
    binary = {}
    bp = C.BinaryProtoPayloadConverter()
    for name, value in binary_proto_values():
        binary[name] = payload_json(bp.to_payload(value))

    with open(ours_path) as fh:
        ours = json.load(fh)
    failure_vectors = {}
    for name, factory in failures():
        f = Failure()
        fc.to_failure(factory(), pc, f)
        data = f.SerializeToString(deterministic=True)
        official_decoded = describe(fc.from_failure(Failure.FromString(data), pc))
        ours_bytes = base64.b64decode(ours[name])
        failure_vectors[name] = {
            "official_failure_b64": b64(data),
            "official_decoded": official_decoded,
            "ours_failure_b64": ours[name],
            "ours_decoded_by_official": describe(
                fc.from_failure(Failure.FromString(ours_bytes), pc)
            ),
        }
    doc = {
        "about": "Made by scripts/make_vectors.py with the official temporalio "
        f"{version} (payloads, failures) and this SDK (ours_failure_b64). "
        "Values: see values()/failures() in that script.",
        "official_sdk_version": version,
        "payloads": payloads,
        "binary_proto_payloads": binary,
        "failures": failure_vectors,
    }
    with open(out_path, "w") as fh:
        json.dump(doc, fh, indent=1, sort_keys=True, ensure_ascii=False)
        fh.write("\n")


def peer_python() -> str:
    out = subprocess.run(
        [os.path.join(ROOT, "scripts", "peer-env")],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "--ours":
        run_ours(sys.argv[2])
        return
    if len(sys.argv) >= 2 and sys.argv[1] == "--official":
        run_official(sys.argv[2], sys.argv[3])
        return
    here = os.path.abspath(__file__)
    with tempfile.TemporaryDirectory() as tmp:
        ours = os.path.join(tmp, "ours.json")
        subprocess.run([sys.executable, here, "--ours", ours], check=True, cwd=ROOT)
        # -I and a neutral cwd: our temporalio/ must not shadow the official one.
        subprocess.run([peer_python(), "-I", here, "--official", ours, OUT], check=True, cwd=tmp)
    print(f"wrote {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
