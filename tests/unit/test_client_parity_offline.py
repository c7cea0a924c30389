"""Offline checks of the official SDK's client and common types as ours has
them: the parameters of the methods (compared with the official SDK in the
peer virtualenv, so drift fails here), the common types' behaviour and
messages, the history JSON's enum forms and the ``arg``/``args`` rules."""

from __future__ import annotations

import dataclasses
import inspect
import json
import pickle
import subprocess
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

import pytest

import temporalio.client as ours
import temporalio.common as common
from temporalio import workflow
from temporalio._checks import _ARG_UNSET, _arg_or_args

# (class, method) whose official parameters ours must all have.
METHODS = [
    ("Client", "start_workflow"),
    ("Client", "execute_workflow"),
    ("Client", "list_workflows"),
    ("Client", "count_workflows"),
    ("Client", "get_async_activity_handle"),
    ("Client", "get_workflow_handle_for"),
    ("Client", "get_workflow_handle"),
    ("WorkflowHandle", "fetch_history"),
    ("WorkflowHandle", "fetch_history_events"),
    ("WorkflowHandle", "signal"),
    ("WorkflowHandle", "query"),
    ("WorkflowHandle", "result"),
    ("WorkflowHandle", "describe"),
    ("WorkflowHandle", "cancel"),
    ("WorkflowHandle", "terminate"),
    ("AsyncActivityHandle", "heartbeat"),
    ("AsyncActivityHandle", "complete"),
    ("AsyncActivityHandle", "fail"),
    ("AsyncActivityHandle", "report_cancellation"),
    ("WorkflowExecutionAsyncIterator", "map_histories"),
    ("WorkflowExecutionAsyncIterator", "fetch_next_page"),
    ("WorkflowHistoryEventAsyncIterator", "fetch_next_page"),
]
# Dataclasses whose official public fields ours must all have.
DATACLASSES = [
    "client.WorkflowExecution",
    "client.WorkflowExecutionDescription",
    "client.WorkflowExecutionCount",
    "client.WorkflowExecutionCountAggregationGroup",
    "client.WorkflowHistory",
    "client.AsyncActivityIDReference",
    "client.ListWorkflowsInput",
    "client.CountWorkflowsInput",
    "client.FetchWorkflowHistoryEventsInput",
    "client.HeartbeatAsyncActivityInput",
    "client.CompleteAsyncActivityInput",
    "client.FailAsyncActivityInput",
    "client.ReportCancellationAsyncActivityInput",
    "common.Priority",
    "common.RawValue",
    "common.WorkerDeploymentVersion",
    "common.TypedSearchAttributes",
    "activity.ActivityCancellationDetails",
]
ENUMS = [
    "client.WorkflowHistoryEventFilterType",
    "common.VersioningBehavior",
    "common.SearchAttributeIndexedValueType",
]

PEER_SCRIPT = """
import dataclasses, importlib, inspect, json, sys
spec = json.loads(sys.stdin.read())
out = {"methods": {}, "fields": {}, "enums": {}}
import temporalio.client as client
for cls, meth in spec["methods"]:
    params = inspect.signature(getattr(getattr(client, cls), meth)).parameters
    out["methods"][cls + "." + meth] = [p for p in params if p != "self"]
for path in spec["dataclasses"]:
    mod, name = path.split(".")
    cls = getattr(importlib.import_module("temporalio." + mod), name)
    out["fields"][path] = [f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")]
for path in spec["enums"]:
    mod, name = path.split(".")
    cls = getattr(importlib.import_module("temporalio." + mod), name)
    out["enums"][path] = {m.name: int(m) for m in cls}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def official() -> Dict[str, Any]:
    from tests.peer.peerhost import peer_python

    spec = {"methods": METHODS, "dataclasses": DATACLASSES, "enums": ENUMS}
    proc = subprocess.run(
        [peer_python(), "-c", PEER_SCRIPT],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",  # not this repository: its temporalio would shadow
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def _ours(path: str) -> Any:
    import importlib

    mod, name = path.split(".")
    return getattr(importlib.import_module(f"temporalio.{mod}"), name)


@pytest.mark.parametrize("cls,meth", METHODS)
def test_method_has_every_official_parameter(official: Dict[str, Any], cls: str, meth: str) -> None:
    theirs = official["methods"][f"{cls}.{meth}"]
    params = inspect.signature(getattr(getattr(ours, cls), meth)).parameters
    mine = [p for p in params if p != "self"]
    missing = [p for p in theirs if p not in mine]
    # The official `details` of heartbeat/report_cancellation and `args` of
    # terminate are *varargs; ours are too, named the same.
    assert not missing, f"{cls}.{meth} lacks {missing} (ours: {mine})"


@pytest.mark.parametrize("path", DATACLASSES)
def test_dataclass_has_every_official_field(official: Dict[str, Any], path: str) -> None:
    mine = [f.name for f in dataclasses.fields(_ours(path))]
    missing = [f for f in official["fields"][path] if f not in mine]
    assert not missing, f"{path} lacks {missing}"


@pytest.mark.parametrize("path", ENUMS)
def test_enum_matches_official(official: Dict[str, Any], path: str) -> None:
    assert {m.name: int(m) for m in _ours(path)} == official["enums"][path]


def test_workflow_handle_is_generic_in_two_types() -> None:
    alias = ours.WorkflowHandle[int, str]
    assert alias.__args__ == (int, str)  # type: ignore[attr-defined]


# ---- arg / args --------------------------------------------------------------------------


def test_arg_or_args_forms_and_conflicts() -> None:
    assert _arg_or_args((), _ARG_UNSET, (), "w") == []
    assert _arg_or_args((1,), _ARG_UNSET, (), "w") == [1]
    assert _arg_or_args((1, 2), _ARG_UNSET, (), "w") == [1, 2]
    assert _arg_or_args((), None, (), "w") == [None]
    assert _arg_or_args((), [1, 2], (), "w") == [[1, 2]]  # one argument: a list
    assert _arg_or_args((), _ARG_UNSET, [1, 2], "w") == [1, 2]
    for positional, arg, args in (((1,), 2, ()), ((1,), _ARG_UNSET, [2]), ((), 1, [2])):
        with pytest.raises(TypeError, match="^Cannot have arg and args: the arguments of w") as e:
            _arg_or_args(positional, arg, args, "w")
        assert isinstance(e.value, ValueError)
    with pytest.raises(TypeError, match="args must be a list of arguments, not str"):
        _arg_or_args((), _ARG_UNSET, "abc", "w")
    # Without a callee (the official-style calls: updates, schedule actions):
    # the official message alone.
    with pytest.raises(ValueError, match="^Cannot have arg and args$"):
        _arg_or_args((), 1, [2])
    assert _arg_or_args((), _ARG_UNSET, []) == [] and _arg_or_args((), 1, []) == [1]


# ---- common types ------------------------------------------------------------------------


def test_typed_search_attributes() -> None:
    kw = common.SearchAttributeKey.for_keyword("b")
    n = common.SearchAttributeKey.for_int("a")
    tags = common.SearchAttributeKey.for_keyword_list("c")
    attrs = common.TypedSearchAttributes(
        [
            common.SearchAttributePair(kw, "x"),
            common.SearchAttributePair(n, 1),
        ]
    )
    assert [p.key.name for p in attrs] == ["a", "b"] and len(attrs) == 2
    assert attrs[kw] == "x" and attrs[n] == 1
    assert kw in attrs and common.SearchAttributeKey.for_text("b") not in attrs
    assert attrs.get(tags) is None and attrs.get(tags, ["d"]) == ["d"]
    with pytest.raises(KeyError):
        attrs[tags]
    updated = attrs.updated(
        common.SearchAttributePair(kw, "y"), common.SearchAttributePair(tags, ["t"])
    )
    assert updated[kw] == "y" and updated[tags] == ["t"] and attrs[kw] == "x"
    with pytest.raises(ValueError, match="Duplicate search attribute entries found for key b"):
        common.TypedSearchAttributes(
            [
                common.SearchAttributePair(kw, "x"),
                common.SearchAttributePair(kw, "y"),
            ]
        )
    assert len(common.TypedSearchAttributes.empty) == 0
    assert tags.origin_value_type is Sequence and n.origin_value_type is int
    assert kw.value_set("v").value == "v" and kw.value_unset().value is None
    assert kw == common.SearchAttributeKey.for_keyword("b")


def test_typed_search_attributes_decoded_from_payloads() -> None:
    from temporalio.api.common.v1 import SearchAttributes

    proto = SearchAttributes()
    for name, kind, data in (
        ("k", b"Keyword", b'"v"'),
        ("i", b"INDEXED_VALUE_TYPE_INT", b"[3]"),
        ("d", b"Datetime", b'"2024-01-02T03:04:05Z"'),
        ("l", b"KeywordList", b'["a","b"]'),
        ("untyped", b"", b'"u"'),
    ):
        proto.indexed_fields[name].data = data
        if kind:
            proto.indexed_fields[name].metadata["type"] = kind
    attrs = common._decode_typed_search_attributes(proto)
    assert attrs[common.SearchAttributeKey.for_keyword("k")] == "v"
    assert attrs[common.SearchAttributeKey.for_int("i")] == 3
    assert attrs[common.SearchAttributeKey.for_datetime("d")] == datetime(
        2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc
    )
    assert attrs[common.SearchAttributeKey.for_keyword_list("l")] == ["a", "b"]
    assert len(attrs) == 4


def test_priority_and_versioning_types() -> None:
    assert common.Priority.default == common.Priority()
    with pytest.raises(TypeError, match="^priority_key must be an integer$"):
        common.Priority(priority_key="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^priority_key must be a positive integer$"):
        common.Priority(priority_key=0)
    p = common.Priority(priority_key=3, fairness_key="t", fairness_weight=2.0)
    assert common.Priority._from_proto(p._to_proto()) == p
    v = common.WorkerDeploymentVersion.from_canonical_string("deploy.build.1")
    assert (v.deployment_name, v.build_id) == ("deploy", "build.1")
    assert v.to_canonical_string() == "deploy.build.1"
    with pytest.raises(ValueError, match="Cannot parse version string: nodot"):
        common.WorkerDeploymentVersion.from_canonical_string("nodot")
    pinned = common.PinnedVersioningOverride(v)._to_proto()
    assert pinned.pinned.version.build_id == "build.1" and pinned.pinned_version == "deploy.build.1"
    assert common.AutoUpgradeVersioningOverride()._to_proto().auto_upgrade


def test_raw_value_pickles() -> None:
    from temporalio.api.common.v1 import Payload

    raw = common.RawValue(Payload(metadata={"encoding": b"json/plain"}, data=b"1"))
    assert pickle.loads(pickle.dumps(raw)) == raw


# ---- history JSON ------------------------------------------------------------------------


def test_history_from_json_takes_every_enum_form() -> None:
    def event(event_type: Any, kind: Any, timeout_type: Any) -> Dict[str, Any]:
        return {
            "eventId": "1",
            "eventType": event_type,
            "workflowExecutionStartedEventAttributes": {
                "workflowType": {"name": "W"},
                "taskQueue": {"name": "q", "kind": kind},
                "originalExecutionRunId": "r1",
                "continuedFailure": {
                    "message": "m",
                    "cause": {
                        "message": "inner",
                        "timeoutFailureInfo": {"timeoutType": timeout_type},
                    },
                },
            },
        }

    forms: List[Dict[str, Any]] = [
        {
            "events": [
                event(
                    "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
                    "TASK_QUEUE_KIND_NORMAL",
                    "TIMEOUT_TYPE_START_TO_CLOSE",
                )
            ]
        },
        {"events": [event("WorkflowExecutionStarted", "Normal", "StartToClose")]},
        {"events": [event(1, 1, 1)]},
    ]
    histories = [ours.WorkflowHistory.from_json("wf", f) for f in forms]
    assert histories[0] == histories[1] == histories[2]
    h = histories[0]
    assert h.run_id == "r1"
    cause = h.events[0].workflow_execution_started_event_attributes.continued_failure.cause
    assert cause.timeout_failure_info.timeout_type == 1
    assert ours.WorkflowHistory.from_json("wf", h.to_json()) == h
    with pytest.raises(ValueError, match="not a dictionary"):
        ours.WorkflowHistory.from_json("wf", "[]")
    with pytest.raises(RuntimeError, match="No events"):
        ours.WorkflowHistory("wf", []).run_id


# ---- offline argument checks --------------------------------------------------------------


class _Returns:
    async def run(self) -> datetime:
        raise NotImplementedError


@workflow.defn(name="Returns")
class _ReturnsWf:
    @workflow.run
    async def run(self) -> datetime:
        raise NotImplementedError


def test_get_workflow_handle_for_takes_the_return_type(offline_client: Any) -> None:
    handle = offline_client.get_workflow_handle_for(_ReturnsWf.run, "wf-1", run_id="r")
    assert handle._result_type is datetime and handle.run_id == "r"
    with pytest.raises(TypeError, match="workflow must be the workflow's run method"):
        offline_client.get_workflow_handle_for("Name", "wf-1")
    # As in the official SDK: a method of a class without @workflow.defn is refused.
    with pytest.raises(ValueError, match="^Function _Returns.run missing attributes"):
        offline_client.get_workflow_handle_for(_Returns.run, "wf-1")


@pytest.fixture
def offline_client() -> Any:
    from temporalio.client import Client

    return Client("127.0.0.1:1")


# ---- the new operations through interceptors (fake service) ---------------------------------

NEW_OPERATIONS = [
    "list_workflows",
    "count_workflows",
    "fetch_workflow_history_events",
    "heartbeat_async_activity",
    "complete_async_activity",
    "fail_async_activity",
    "report_cancellation_async_activity",
]


async def test_new_operations_go_through_interceptors_and_build_their_requests() -> None:
    from temporalio.client import Interceptor, OutboundInterceptor
    from temporalio.converter import DataConverter
    from temporalio.exceptions import ApplicationError
    from tests.unit.test_client_offline import completed, fake_client, history, wsv1

    seen: List[str] = []

    class Spy(OutboundInterceptor):
        pass

    def spy(op: str) -> Any:
        def method(self: Spy, input: Any) -> Any:
            seen.append(op)
            return getattr(self.next, op)(input)

        return method

    for op in NEW_OPERATIONS:
        setattr(Spy, op, spy(op))

    class SpyInterceptor(Interceptor):
        def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
            return Spy(next)

    client, service = fake_client(interceptors=[SpyInterceptor()])
    ws = wsv1()
    from temporalio.api.workflow.v1 import WorkflowExecutionInfo

    info = WorkflowExecutionInfo(status=2, task_queue="tq")
    info.execution.workflow_id, info.execution.run_id = "wf", "r1"
    service.queue(
        "list_workflow_executions",
        ws.ListWorkflowExecutionsResponse(executions=[info], next_page_token=b"p2"),
        ws.ListWorkflowExecutionsResponse(executions=[info]),
    )
    service.queue("count_workflow_executions", ws.CountWorkflowExecutionsResponse(count=5))
    service.queue("get_workflow_execution_history", history(completed("done")))
    for rpc in (
        "record_activity_task_heartbeat",
        "respond_activity_task_completed",
        "respond_activity_task_failed_by_id",
        "respond_activity_task_canceled",
    ):
        message = "".join(word.capitalize() for word in rpc.split("_")) + "Response"
        service.queue(rpc, getattr(ws, message)())

    listed = [w async for w in client.list_workflows("Q = 1", page_size=7)]
    assert [w.id for w in listed] == ["wf", "wf"] and listed[0].status == 2
    assert (await client.count_workflows("Q = 1")).count == 5
    events = [e async for e in client.get_workflow_handle("wf").fetch_history_events(page_size=3)]
    assert len(events) == 1
    token_handle = client.get_async_activity_handle(task_token=b"tok")
    await token_handle.heartbeat("d")
    await token_handle.complete(None)
    id_handle = client.get_async_activity_handle(workflow_id="wf", run_id="r", activity_id="1")
    await id_handle.fail(ApplicationError("no"), last_heartbeat_details=["h"])
    await token_handle.report_cancellation()
    assert seen == [
        "list_workflows",
        "count_workflows",
        "fetch_workflow_history_events",
        "heartbeat_async_activity",
        "complete_async_activity",
        "fail_async_activity",
        "report_cancellation_async_activity",
    ]

    calls = {name: req for name, req, _ in service.calls}
    first_list = service.calls[0][1]
    assert (first_list.query, first_list.page_size, first_list.next_page_token) == ("Q = 1", 7, b"")
    assert service.calls[1][1].next_page_token == b"p2"
    assert calls["get_workflow_execution_history"].maximum_page_size == 3
    assert calls["record_activity_task_heartbeat"].task_token == b"tok"
    decoded = DataConverter.default.payload_converter.from_payloads(
        calls["record_activity_task_heartbeat"].details.payloads
    )
    assert decoded == ["d"] and calls["record_activity_task_heartbeat"].identity == "me@test"
    # complete(None) sends None as the result; complete() sends no result.
    assert len(calls["respond_activity_task_completed"].result.payloads) == 1
    failed = calls["respond_activity_task_failed_by_id"]
    assert (failed.workflow_id, failed.run_id, failed.activity_id) == ("wf", "r", "1")
    assert failed.failure.message == "no" and failed.failure.HasField("application_failure_info")
    assert len(failed.last_heartbeat_details.payloads) == 1
    assert not calls["respond_activity_task_canceled"].details.payloads


async def test_start_options_reach_the_request() -> None:
    from temporalio.common import PinnedVersioningOverride, Priority, WorkerDeploymentVersion
    from temporalio.converter import DataConverter
    from tests.unit.test_client_offline import fake_client, wsv1

    client, service = fake_client()
    service.queue("start_workflow_execution", wsv1().StartWorkflowExecutionResponse(run_id="r"))
    await client.start_workflow(
        "Wf",
        arg=[1, 2],
        id="wf",
        task_queue="tq",
        start_delay=timedelta(seconds=3),
        static_summary="s",
        static_details="d",
        priority=Priority(priority_key=4),
        request_eager_start=True,
        versioning_override=PinnedVersioningOverride(WorkerDeploymentVersion("dep", "b1")),
    )
    ((_, req, _),) = service.calls
    pc = DataConverter.default.payload_converter
    assert pc.from_payloads(req.input.payloads) == [[1, 2]]  # arg: one argument
    assert req.workflow_start_delay.ToTimedelta() == timedelta(seconds=3)
    assert pc.from_payloads([req.user_metadata.summary, req.user_metadata.details]) == ["s", "d"]
    assert req.priority.priority_key == 4
    assert req.versioning_override.pinned.version.build_id == "b1"
    assert not req.request_eager_execution  # no workflow worker here to take the task


# ---- workflows, signals and queries named by their methods (the official forms) ------------


@dataclasses.dataclass(frozen=True)
class _FakeDefinition:
    """What ``@workflow.defn`` records (the attributes the client reads)."""

    name: Any
    ret_type: Any = None


@dataclasses.dataclass(frozen=True)
class _FakeHandler:
    name: Any
    ret_type: Any = None


class DecoratedWorkflow:
    """Decorated by hand the way ``@workflow.defn`` / ``@workflow.signal``
    / ``@workflow.query`` record themselves (class attribute, method attributes)."""

    async def run(self, x: int) -> datetime:
        raise NotImplementedError

    async def go(self, value: int) -> None:
        raise NotImplementedError

    def state(self) -> int:
        raise NotImplementedError


setattr(DecoratedWorkflow, "__temporal_workflow_definition", _FakeDefinition("Decorated", datetime))
setattr(DecoratedWorkflow.go, "__temporal_signal_definition", _FakeHandler("go-signal"))
setattr(DecoratedWorkflow.state, "__temporal_query_definition", _FakeHandler("state-query", int))


class Undecorated:
    async def run(self) -> None:
        raise NotImplementedError


async def test_methods_name_workflows_signals_and_queries() -> None:
    from tests.unit.test_client_offline import fake_client, wsv1

    client, service = fake_client()
    service.queue("start_workflow_execution", wsv1().StartWorkflowExecutionResponse(run_id="r"))
    handle = await client.start_workflow(DecoratedWorkflow.run, 1, id="wf", task_queue="tq")
    assert service.calls[0][1].workflow_type.name == "Decorated"
    assert handle._result_type is datetime
    service.queue("signal_workflow_execution", wsv1().SignalWorkflowExecutionResponse())
    await handle.signal(DecoratedWorkflow.go, 5)
    assert service.calls[1][1].signal_name == "go-signal"
    from temporalio.api.common.v1 import Payloads

    from temporalio.converter import DataConverter

    answer = DataConverter.default.payload_converter.to_payload(3)
    service.queue(
        "query_workflow", wsv1().QueryWorkflowResponse(query_result=Payloads(payloads=[answer]))
    )
    assert await handle.query(DecoratedWorkflow.state) == 3
    assert service.calls[2][1].query.query_type == "state-query"
    assert client.get_workflow_handle_for(DecoratedWorkflow.run, "wf")._result_type is datetime

    with pytest.raises(
        ValueError,
        match=r"^Function Undecorated.run missing attributes, was it "
        r"decorated with @workflow.run and was its class decorated with @workflow.defn\?$",
    ):
        await client.start_workflow(Undecorated.run, id="wf", task_queue="tq")
    with pytest.raises(
        RuntimeError,
        match=r"^Signal definition not found on Undecorated.run, is it "
        r"decorated with @workflow.signal\?$",
    ):
        await handle.signal(Undecorated.run)
    with pytest.raises(RuntimeError, match=r"^Query definition not found on Undecorated.run"):
        await handle.query(Undecorated.run)
    with pytest.raises(
        TypeError, match="workflow \\(the workflow type name\\) must be a str, not int"
    ):
        await client.start_workflow(5, id="wf", task_queue="tq")  # type: ignore[arg-type]
    # The start of an update-with-start takes the same forms.
    from temporalio.client import WithStartWorkflowOperation
    from temporalio.common import WorkflowIDConflictPolicy

    op = WithStartWorkflowOperation(
        DecoratedWorkflow.run,
        1,
        id="wf",
        task_queue="tq",
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    assert op._start_workflow_input.workflow == "Decorated"
    assert op._start_workflow_input.ret_type is datetime
    with pytest.raises(ValueError, match=r"^Function Undecorated.run missing attributes"):
        WithStartWorkflowOperation(
            Undecorated.run,
            id="wf",
            task_queue="tq",
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )


# ---- errors: the same calls on both SDKs, the same types and messages ----------------------

ERRORS_SCRIPT = r"""
import json
from unittest import mock

from temporalio import common
from temporalio.client import AsyncActivityCancelledError, Client, WorkflowHistory

try:
    client = Client("127.0.0.1:1")  # ours: not connected until asked
    client.namespace
except Exception:
    client = Client(mock.MagicMock())  # the official one takes its service client

kw = common.SearchAttributeKey.for_keyword("k")
cases = {
    "handle: token and ids": lambda: client.get_async_activity_handle(task_token=b"t", activity_id="1"),
    "handle: workflow id alone": lambda: client.get_async_activity_handle(workflow_id="w"),
    "handle: nothing": lambda: client.get_async_activity_handle(),
    "priority zero": lambda: common.Priority(priority_key=0),
    "priority str": lambda: common.Priority(priority_key="1"),
    "duplicate attributes": lambda: common.TypedSearchAttributes(
        [common.SearchAttributePair(kw, "a"), common.SearchAttributePair(kw, "b")]),
    "missing attribute": lambda: common.TypedSearchAttributes.empty[kw],
    "version string": lambda: common.WorkerDeploymentVersion.from_canonical_string("nodot"),
    "history not a dict": lambda: WorkflowHistory.from_json("w", "[]"),
    "history without events": lambda: WorkflowHistory.from_json("w", {"x": 1}),
    "history run_id of nothing": lambda: WorkflowHistory("w", []).run_id,
}
out = {}
for name, call in cases.items():
    try:
        call()
        out[name] = None
    except BaseException as err:
        out[name] = [type(err).__name__, str(err)]
out["AsyncActivityCancelledError"] = ["AsyncActivityCancelledError", str(AsyncActivityCancelledError())]
print(json.dumps(out))
"""


def _run_errors(python: str, cwd: str) -> Dict[str, Any]:
    proc = subprocess.run(
        [python, "-c", ERRORS_SCRIPT], capture_output=True, text=True, timeout=120, cwd=cwd
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_errors_are_the_official_ones() -> None:
    import sys
    from pathlib import Path

    from tests.peer.peerhost import peer_python

    theirs = _run_errors(peer_python(), "/")
    mine = _run_errors(sys.executable, str(Path(__file__).resolve().parents[2]))
    assert set(theirs) == set(mine)
    for case, official in theirs.items():
        assert official is not None, f"{case}: the official SDK raised nothing"
        got = mine[case]
        assert got is not None, f"{case}: ours raised nothing, the official {official}"
        assert got[0] == official[0], f"{case}: {got} vs the official {official}"
        # Ours may say more, after the official text.
        assert got[1].startswith(official[1]), f"{case}: {got[1]!r} vs the official {official[1]!r}"
