#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus, core/fuzz/corpus/<target>/.

Run from the repository with the project's virtualenv (it has the generated
Temporal protos): ``.venv/bin/python core/fuzz/make_corpus.py``. It writes
only the seeds it names (it never deletes files, so regression inputs
added by hand stay). Seeds are real encoded messages plus edge cases; the
byte layouts for fuzz_metadata and fuzz_options are the ones their C files
read (see core/fuzz/fuzz.h: a string is a length byte then that many bytes;
a number is 8 bytes, big-endian). No empty seed: libFuzzer always runs the
empty input itself.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from google.protobuf import any_pb2, duration_pb2, timestamp_pb2
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import event_type_pb2 as event_type
from temporalio.api.errordetails.v1 import message_pb2 as errordetails
from temporalio.api.history.v1 import message_pb2 as history
from temporalio.api.protocol.v1 import message_pb2 as protocol
from temporalio.api.query.v1 import message_pb2 as query
from temporalio.api.workflowservice.v1 import request_response_pb2 as rr

OUT = Path(__file__).resolve().parent / "corpus"


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(num: int, data: bytes) -> bytes:
    return varint(num << 3 | 2) + varint(len(data)) + data


def rpc_status(code: int, message: str, details: list[any_pb2.Any]) -> bytes:
    """A serialized google.rpc.Status (its Python module is not in the package):
    code = 1 (int32), message = 2 (string), details = 3 (repeated Any)."""
    out = varint(1 << 3) + varint(code) if code else b""
    if message:
        out += field_bytes(2, message.encode())
    for d in details:
        out += field_bytes(3, d.SerializeToString())
    return out


def packed(msg) -> any_pb2.Any:
    a = any_pb2.Any()
    a.Pack(msg)
    return a


def status_details() -> dict[str, bytes]:
    nnf = packed(errordetails.NamespaceNotFoundFailure(namespace="nope"))
    rex = packed(errordetails.ResourceExhaustedFailure(cause=1, scope=1))
    started = packed(
        errordetails.WorkflowExecutionAlreadyStartedFailure(
            start_request_id="4b2c1c4e-0d4f-4d7a-9a53-3c1e7a2f9d10", run_id="r-1"
        )
    )
    real = rpc_status(5, "namespace nope is not found", [nnf])
    return {
        "namespace_not_found": real,
        "resource_exhausted": rpc_status(8, "namespace rate limit exceeded", [rex]),
        "already_started": rpc_status(6, "workflow execution already started", [started]),
        "two_details": rpc_status(3, "two", [nnf, rex]),
        "code_only": rpc_status(14, "", []),
        "empty_any": rpc_status(2, "x", [any_pb2.Any()]),
        "truncated": real[: len(real) // 2],
        "huge_length": b"\x1a\xff\xff\xff\xff\x0f",
        "type_url_with_nul": rpc_status(
            2, "", [any_pb2.Any(type_url="type.googleapis.com/a\x00b", value=b"\x00\x01")]
        ),
    }


def payload(data: bytes, encoding: bytes = b"json/plain") -> common.Payload:
    return common.Payload(metadata={"encoding": encoding}, data=data)


def poll_response() -> dict[str, bytes]:
    ts = timestamp_pb2.Timestamp(seconds=1_780_000_000, nanos=123_000_000)
    task = rr.PollActivityTaskQueueResponse(
        task_token=bytes(range(1, 120)),
        workflow_namespace="default",
        workflow_type=common.WorkflowType(name="MyWorkflow"),
        workflow_execution=common.WorkflowExecution(workflow_id="wf-1", run_id="run-1"),
        activity_type=common.ActivityType(name="say_hello"),
        activity_id="1",
        input=common.Payloads(payloads=[payload(b'"world"'), payload(b"", b"binary/null")]),
        scheduled_time=ts,
        current_attempt_scheduled_time=ts,
        started_time=ts,
        attempt=1,
        schedule_to_close_timeout=duration_pb2.Duration(seconds=60),
        start_to_close_timeout=duration_pb2.Duration(seconds=10),
        heartbeat_timeout=duration_pb2.Duration(seconds=2, nanos=500_000_000),
    )
    retry = rr.PollActivityTaskQueueResponse()
    retry.CopyFrom(task)
    retry.attempt = 3
    retry.heartbeat_details.payloads.append(payload(b"41"))
    no_hb = rr.PollActivityTaskQueueResponse(task_token=b"\x0a\x04tokn", activity_id="2")

    def with_heartbeat(seconds: int, nanos: int) -> bytes:
        m = rr.PollActivityTaskQueueResponse(task_token=b"t", activity_id="3")
        m.heartbeat_timeout.seconds = seconds
        m.heartbeat_timeout.nanos = nanos
        return m.SerializeToString()

    return {
        "task": task.SerializeToString(),
        "task_retry_with_details": retry.SerializeToString(),
        "task_no_heartbeat_timeout": no_hb.SerializeToString(),
        # Durations no server sends, but the bytes allow: the worker must
        # not overflow turning them into milliseconds.
        "heartbeat_timeout_huge": with_heartbeat(2**63 - 1, 999_999_999),
        "heartbeat_timeout_negative": with_heartbeat(-(2**63), -999_999_999),
        "heartbeat_timeout_bad_nanos": with_heartbeat(1, -(2**31)),
        "heartbeat_timeout_throttle_overflow": with_heartbeat(3 * 10**15, 0),
        "truncated_task": task.SerializeToString()[:40],
        "heartbeat_cancel_requested": rr.RecordActivityTaskHeartbeatResponse(
            cancel_requested=True
        ).SerializeToString(),
        "heartbeat_reset": rr.RecordActivityTaskHeartbeatResponse(
            activity_reset=True
        ).SerializeToString(),
        "heartbeat_paused": rr.RecordActivityTaskHeartbeatResponse(
            activity_paused=True
        ).SerializeToString(),
        "heartbeat_all": rr.RecordActivityTaskHeartbeatResponse(
            cancel_requested=True, activity_paused=True, activity_reset=True
        ).SerializeToString(),
    }


def events(first: int, n: int) -> list[history.HistoryEvent]:
    """n events from event id `first`: WorkflowExecutionStarted when it is 1,
    then workflow task scheduled/started/completed."""
    out = []
    kinds = [
        event_type.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        event_type.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        event_type.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    ]
    for i in range(n):
        e = history.HistoryEvent(event_id=first + i)
        if first + i == 1:
            e.event_type = event_type.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
            e.workflow_execution_started_event_attributes.workflow_type.name = "MyWorkflow"
            e.workflow_execution_started_event_attributes.task_queue.name = "tq"
            e.workflow_execution_started_event_attributes.input.payloads.append(payload(b'"x"'))
        else:
            e.event_type = kinds[i % 3 - 1]
        out.append(e)
    return out


def wf_task(first: int = 1, n: int = 3, **kw) -> rr.PollWorkflowTaskQueueResponse:
    m = rr.PollWorkflowTaskQueueResponse(
        task_token=b"wf-token-" + bytes(range(20)),
        workflow_execution=common.WorkflowExecution(workflow_id="wf-1", run_id="run-1"),
        workflow_type=common.WorkflowType(name="MyWorkflow"),
        previous_started_event_id=0,
        started_event_id=first + n - 1,
        attempt=1,
        **kw,
    )
    m.history.events.extend(events(first, n))
    return m


def wf_poll_response() -> dict[str, bytes]:
    """Raw seeds (PollWorkflowTaskQueue and GetWorkflowExecutionHistory
    responses) and structured ones (the byte layout fuzz_wf_poll_response.c
    reads: flags, event count, [first event id], token, run id, next page
    token, query type)."""
    full = wf_task()
    paged = wf_task(next_page_token=b"page-2")
    sticky = wf_task(first=7, n=3)
    legacy = wf_task(first=1, n=4, query=query.WorkflowQuery(query_type="__stack_trace"))
    queries = wf_task()
    queries.queries["q1"].query_type = "status"
    queries.queries["q2"].query_type = "__temporal_workflow_metadata"
    update = wf_task()
    update.messages.append(protocol.Message(id="m1", protocol_instance_id="update-1", event_id=3))
    no_run = wf_task()
    no_run.workflow_execution.run_id = ""
    page = rr.GetWorkflowExecutionHistoryResponse(next_page_token=b"page-3")
    page.history.events.extend(events(4, 3))
    last_page = rr.GetWorkflowExecutionHistoryResponse()
    last_page.history.events.extend(events(7, 2))
    replayed = history.History(events=events(1, 6))
    replayed.events[
        0
    ].workflow_execution_started_event_attributes.original_execution_run_id = "run-1"
    return {
        "raw_task": full.SerializeToString(),
        "raw_task_paged": paged.SerializeToString(),
        "raw_task_sticky_partial": sticky.SerializeToString(),
        "raw_task_legacy_query": legacy.SerializeToString(),
        "raw_task_queries": queries.SerializeToString(),
        "raw_task_update_message": update.SerializeToString(),
        "raw_task_no_run_id": no_run.SerializeToString(),
        "raw_empty_poll": rr.PollWorkflowTaskQueueResponse(
            backlog_count_hint=3
        ).SerializeToString(),
        "raw_truncated_task": paged.SerializeToString()[:60],
        "raw_history_page": page.SerializeToString(),
        "raw_history_last_page": last_page.SerializeToString(),
        # a History pushed to a replay worker (tcore_wf_replay_task)
        "raw_replay_history": replayed.SerializeToString(),
        # flags: bit 0 first id given, bits 1-2 queries, bit 3 legacy query,
        # bits 4-5 messages, bit 6 no execution, bit 7 no history.
        "structured_first_page": bytes([0, 3]) + s(b"tok") + s("run-1") + s(b"") + s("q"),
        "structured_paged_queries": bytes([0b0000_1100, 5]) + s(b"t") + s("r") + s(b"p2") + s("q"),
        "structured_sticky": bytes([0b0001_0001, 2]) + i64(40) + s(b"t") + s("r") + s(b"") + s("u"),
        "structured_id_overflow": bytes([1, 8])
        + i64(2**63 - 3)
        + s(b"t")
        + s("r")
        + s(b"x")
        + s(""),
        "structured_no_run_id": bytes([0, 3]) + s(b"t") + s("") + s(b"") + s(""),
        "structured_empty_poll": bytes([0b1000_0000, 0]) + s(b"") + s("r"),
    }


def s(b: bytes | str) -> bytes:
    """A fuzz_str piece: length byte, bytes."""
    if isinstance(b, str):
        b = b.encode()
    assert len(b) < 256
    return bytes([len(b)]) + b


def opt(b: bytes | str | None) -> bytes:
    """A maybe_str piece of fuzz_options: odd flag byte = NULL."""
    return b"\x01" if b is None else b"\x00" + s(b)


def i64(n: int) -> bytes:
    return struct.pack(">q", n)


def f64(x: float) -> bytes:
    return struct.pack(">d", x)


def metadata() -> dict[str, bytes]:
    # api key, then key/value pairs
    return {
        "plain_pairs": s("my-key") + s("x-team") + s("payments") + s("x-trace.id") + s("a_b-c"),
        "binary_value": s("") + s("trace-bin") + s(bytes(range(256))[:200]),
        "grpc_prefix": s("k") + s("grpc-timeout") + s("1S"),
        "uppercase_key": s("k") + s("X-Team") + s("v"),
        "newline_value": s("k") + s("x-team") + s("a\nb"),
        "empty_key": s("k") + s("") + s("v"),
        "bin_only_suffix": s("") + s("-bin") + s("\x00\x01"),
        "many": s("key") + b"".join(s(f"k{i}") + s(f"v{i}") for i in range(9)),
    }


def options(
    target: str | None = "127.0.0.1:7233",
    ns: str | None = "default",
    name: str | None = "temporal-python",
    version: str | None = "0.1.0",
    key: str | None = None,
    tls: tuple[str | None, str | None, str | None, str | None] = (None, None, None, None),
    keepalive: tuple[int, int] = (30000, 15000),
    gzip: int = 1024,
    max_receive: int = 128 << 20,
    retry: tuple[int, float, float, int, int, int] = (100, 1.5, 0.2, 5000, 10000, 10),
    attempt: int = 3,
) -> bytes:
    out = opt(target) + opt(ns) + opt(name) + opt(version) + opt(key)
    out += b"".join(opt(x) for x in tls)
    out += i64(keepalive[0]) + i64(keepalive[1]) + i64(gzip) + i64(max_receive)
    ii, mult, jit, mx, el, n = retry
    out += i64(ii) + f64(mult) + f64(jit) + i64(mx) + i64(el) + i64(n) + i64(attempt)
    return out


PEM = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBszCCAVmgAwIBAgIUTmV2ZXIgYSByZWFsIGNlcnRpZmljYXRlMAoGCCqGSM49\n"
    "-----END CERTIFICATE-----\n"
)
KEY = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"


def options_seeds() -> dict[str, bytes]:
    return {
        "defaults": options(),
        "tls_api_key": options(
            target="my-ns.a1b2c.tmprl.cloud:7233", key="secret-key", tls=(PEM, None, None, None)
        ),
        "mtls": options(tls=(PEM, PEM, KEY, "server.example")),
        "cert_without_key": options(tls=(None, PEM, None, None)),
        "dns_uri": options(target="dns:///localhost:7233"),
        "unix": options(target="unix:/tmp/temporal.sock"),
        "ipv6": options(target="[::1]:7233"),
        "bad_port": options(target="localhost:99999"),
        "no_port": options(target="localhost:"),
        "space": options(target="local host:7233"),
        "null_target": options(target=None, ns=""),
        "key_with_newline": options(key="abc\ndef"),
        "negative_numbers": options(keepalive=(-1, 0), gzip=-1, max_receive=0, attempt=-5),
        "keepalive_over_int": options(keepalive=(2**32 + 5, 2**31)),
        "retry_no_jitter": options(retry=(0, 1.0, 0.0, 0, 0, 0), attempt=1),
        "retry_big_attempt": options(retry=(100, 2.0, 0.5, 60000, 0, 1000), attempt=2**31 - 1),
        "retry_flat_big_attempt": options(retry=(100, 1.0, 0.2, 5000, 0, 10), attempt=2**31 - 1),
        "retry_huge_intervals": options(retry=(2**62, 1.5, 0.9, 2**63 - 1, 2**63 - 1, 2**31 - 1)),
        "retry_nan": options(retry=(100, float("nan"), float("nan"), 5000, 0, 10)),
        "retry_inf": options(retry=(100, float("inf"), 0.2, 5000, 0, 10)),
    }


def main() -> int:
    sets = {
        "fuzz_status_details": status_details(),
        "fuzz_poll_response": poll_response(),
        "fuzz_wf_poll_response": wf_poll_response(),
        "fuzz_metadata": metadata(),
        "fuzz_options": options_seeds(),
    }
    for target, seeds in sets.items():
        d = OUT / target
        d.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (d / name).write_bytes(data)
        print(f"{target}: {len(seeds)} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
