"""The client's workflow API without a server: argument checks (which must
fail before any call), the requests it builds and how it reads responses,
against a fake WorkflowService (given to the client through
``temporalio.client.ServiceClientProtocol``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple

import pytest

from temporalio.client import (
    Client,
    WorkflowAlreadyStartedError,
    WorkflowContinuedAsNewError,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.common import (
    QueryRejectCondition,
    RetryPolicy,
    WorkflowExecutionStatus,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.converter import DataConverter, PayloadConverter
from temporalio.exceptions import (
    ApplicationError,
    CancelledError,
    TemporalError,
    TerminatedError,
    TimeoutError,
    TimeoutType,
)
from temporalio.service import (
    ConnectConfig,
    DeadlineExceededError,
    NotFoundError,
    RPCStatusCode,
    rpc_error,
)


class FakeService:
    """Records every call; answers from queued responses (or raises them)."""

    def __init__(self) -> None:
        self.calls: List[Tuple[str, Any, Dict[str, Any]]] = []
        self.responses: Dict[str, List[Any]] = {}

    def queue(self, rpc: str, *responses: Any) -> None:
        self.responses.setdefault(rpc, []).extend(responses)

    def __getattr__(self, rpc: str) -> Any:
        if rpc.startswith("_"):
            raise AttributeError(rpc)

        async def call(req: Any, **kwargs: Any) -> Any:
            copy = type(req)()
            copy.CopyFrom(req)  # the client may reuse the message
            self.calls.append((rpc, copy, kwargs))
            item = self.responses[rpc].pop(0)
            if isinstance(item, BaseException):
                raise item
            return item

        return call

    def names(self) -> List[str]:
        return [name for name, _, _ in self.calls]


class FakeServiceClient:
    """A connection for tests without a server: implements
    ``temporalio.client.ServiceClientProtocol`` with a :class:`FakeService`
    as its workflow service."""

    def __init__(self, namespace: str = "default", identity: Optional[str] = None) -> None:
        self.config = ConnectConfig("fake:0", namespace=namespace, identity=identity)
        self.workflow_service = FakeService()
        self.operator_service = FakeService()
        self.closed = False

    def update_api_key(self, api_key: Optional[str]) -> None:
        self.config.api_key = api_key

    def update_rpc_metadata(self, metadata: Any) -> None:
        self.config.rpc_metadata = dict(metadata)

    def close(self) -> None:
        self.closed = True


def fake_client(**kwargs: Any) -> Tuple[Client, FakeService]:
    """A client on a :class:`FakeServiceClient`, and its fake WorkflowService."""
    sc = FakeServiceClient()
    return Client(sc, identity="me@test", **kwargs), sc.workflow_service  # type: ignore[arg-type]


@pytest.fixture
def fake() -> Tuple[Client, FakeService]:
    return fake_client()


def payload(value: Any) -> Any:
    return DataConverter.default.payload_converter.to_payload(value)


def wsv1() -> Any:
    from temporalio.api.workflowservice import v1

    return v1


def history(*events: Any, token: bytes = b"") -> Any:
    from temporalio.api.history.v1 import History

    return wsv1().GetWorkflowExecutionHistoryResponse(
        history=History(events=list(events)), next_page_token=token
    )


def event(**attrs: Any) -> Any:
    from temporalio.api.history.v1 import HistoryEvent

    return HistoryEvent(event_id=5, **attrs)


def completed(value: Any = None, *, new_run: str = "", raw: Any = None) -> Any:
    from temporalio.api.common.v1 import Payloads
    from temporalio.api.history.v1 import WorkflowExecutionCompletedEventAttributes as A

    payloads = [raw] if raw is not None else [payload(value)]
    return event(
        workflow_execution_completed_event_attributes=A(
            result=Payloads(payloads=payloads), new_execution_run_id=new_run
        )
    )


def continued_as_new(new_run: str) -> Any:
    from temporalio.api.history.v1 import WorkflowExecutionContinuedAsNewEventAttributes as A

    return event(
        workflow_execution_continued_as_new_event_attributes=A(new_execution_run_id=new_run)
    )


# ---- bad input: errors before any call --------------------------------------------------


async def test_missing_task_queue_is_a_type_error(fake: Tuple[Client, FakeService]) -> None:
    client, service = fake
    with pytest.raises(TypeError, match="task_queue"):
        await client.start_workflow("Wf")  # type: ignore[call-arg]
    assert service.calls == []


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(task_queue=""), ValueError, "task_queue must not be empty"),
        (dict(task_queue=None), TypeError, "task_queue must be a str, not NoneType"),
        (dict(task_queue="tq", id=""), ValueError, "id must not be empty"),
        (dict(task_queue="tq", id=5), TypeError, "id must be a str"),
        (
            dict(task_queue="tq", execution_timeout=timedelta(seconds=-1)),
            ValueError,
            "execution_timeout must not be negative",
        ),
        (
            dict(task_queue="tq", run_timeout=timedelta(seconds=-1)),
            ValueError,
            "run_timeout must not be negative",
        ),
        (
            dict(task_queue="tq", task_timeout=timedelta(milliseconds=-1)),
            ValueError,
            "task_timeout must not be negative",
        ),
        (
            dict(task_queue="tq", execution_timeout=10),
            TypeError,
            "execution_timeout must be a datetime.timedelta, not int",
        ),
        (dict(task_queue="tq", rpc_timeout=timedelta(0)), ValueError, "rpc_timeout"),
        (dict(task_queue="tq", rpc_timeout=timedelta(seconds=-5)), ValueError, "rpc_timeout"),
        (dict(task_queue="tq", id_reuse_policy=42), ValueError, "not a WorkflowIDReusePolicy"),
        (dict(task_queue="tq", id_reuse_policy="ALLOW"), TypeError, "id_reuse_policy"),
        (dict(task_queue="tq", id_conflict_policy=9), ValueError, "WorkflowIDConflictPolicy"),
        (
            dict(task_queue="tq", retry_policy={"maximum_attempts": 1}),
            TypeError,
            "retry_policy must be a RetryPolicy",
        ),
        (dict(task_queue="tq", cron_schedule=5), TypeError, "cron_schedule"),
        (dict(task_queue="tq", memo=["a"]), TypeError, "memo must be a mapping"),
        (dict(task_queue="tq", memo={1: "a"}), TypeError, "memo key must be a str"),
        (
            dict(task_queue="tq", search_attributes="x"),
            TypeError,
            "search_attributes must be a mapping",
        ),
        (dict(task_queue="tq", start_signal=""), ValueError, "start_signal must not be empty"),
        (
            dict(task_queue="tq", start_signal_args="abc", start_signal="s"),
            TypeError,
            "start_signal_args must be a list",
        ),
        (dict(task_queue="tq", start_signal_args=[1]), ValueError, "without start_signal"),
        (
            dict(task_queue="tq", rpc_metadata=[("a", "b")]),
            TypeError,
            "rpc_metadata must be a mapping",
        ),
    ],
)
async def test_bad_start_options_fail_before_any_call(
    fake: Tuple[Client, FakeService], kwargs: dict, error: type, match: str
) -> None:
    client, service = fake
    with pytest.raises(error, match=match):
        await client.start_workflow("Wf", **kwargs)
    assert service.calls == []


@pytest.mark.parametrize("workflow", [None, 5, object, b"Wf"])
async def test_non_string_workflow_name_is_a_type_error(
    fake: Tuple[Client, FakeService], workflow: Any
) -> None:
    client, service = fake
    with pytest.raises(TypeError, match="workflow .*must be a str"):
        await client.start_workflow(workflow, task_queue="tq")
    assert service.calls == []


async def test_empty_workflow_name_is_a_value_error(fake: Tuple[Client, FakeService]) -> None:
    client, _ = fake
    with pytest.raises(ValueError, match="workflow"):
        await client.start_workflow("", task_queue="tq")


async def test_unencodable_argument_names_its_type(fake: Tuple[Client, FakeService]) -> None:
    client, service = fake

    class Opaque:
        pass

    with pytest.raises(
        TypeError,
        match=r"^Object of type Opaque is not JSON serializable.*index 1 of type .*Opaque"
        r".*workflow 'Wf'",
    ):
        await client.start_workflow("Wf", "fine", Opaque(), task_queue="tq")
    with pytest.raises(TypeError, match=r"index 0 of type object.*signal 'go'"):
        await client.start_workflow(
            "Wf", task_queue="tq", start_signal="go", start_signal_args=[object()]
        )
    with pytest.raises(TypeError, match="Opaque.*memo 'm'"):
        await client.start_workflow("Wf", task_queue="tq", memo={"m": Opaque()})
    assert service.calls == []


async def test_bad_retry_policy_fails_before_any_call(fake: Tuple[Client, FakeService]) -> None:
    client, service = fake
    policy = RetryPolicy()
    policy.backoff_coefficient = 0.1
    with pytest.raises(ValueError, match="backoff_coefficient"):
        await client.start_workflow("Wf", task_queue="tq", retry_policy=policy)
    assert service.calls == []


async def test_bad_handle_call_arguments_fail_before_any_call(
    fake: Tuple[Client, FakeService],
) -> None:
    client, service = fake
    handle = client.get_workflow_handle("wf")
    with pytest.raises(TypeError, match="signal name must be a str"):
        await handle.signal(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"index 0 of type object.*signal 'go'"):
        await handle.signal("go", object())
    with pytest.raises(ValueError, match="query name must not be empty"):
        await handle.query("")
    with pytest.raises(ValueError, match="not a QueryRejectCondition"):
        await handle.query("q", reject_condition=17)
    with pytest.raises(TypeError, match="reason must be a str"):
        await handle.terminate(reason=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="reason must be a str"):
        await handle.cancel(reason=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rpc_timeout"):
        await handle.result(rpc_timeout=timedelta(seconds=-1))
    with pytest.raises(ValueError, match="rpc_timeout"):
        await handle.describe(rpc_timeout=timedelta(0))
    assert service.calls == []


def test_get_workflow_handle_checks_its_arguments_and_calls_nothing(
    fake: Tuple[Client, FakeService],
) -> None:
    client, service = fake
    with pytest.raises(TypeError, match="workflow_id must be a str"):
        client.get_workflow_handle(5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="workflow_id must not be empty"):
        client.get_workflow_handle("")
    with pytest.raises(ValueError, match="run_id"):
        client.get_workflow_handle("wf", run_id="")
    handle = client.get_workflow_handle("wf", run_id="r1", first_execution_run_id="r0")
    assert (handle.id, handle.run_id, handle.result_run_id, handle.first_execution_run_id) == (
        "wf",
        "r1",
        "r1",
        "r0",
    )
    assert service.calls == []


async def test_an_unconnected_client_says_so() -> None:
    client = Client("localhost:7233")
    with pytest.raises(RuntimeError, match="not connected"):
        await client.start_workflow("Wf", task_queue="tq")


# ---- data converter option -------------------------------------------------------------------


def test_data_converter_option() -> None:
    assert Client("localhost:7233").data_converter is DataConverter.default
    dc = DataConverter()
    assert Client("localhost:7233", data_converter=dc).data_converter is dc
    wrapped = Client("localhost:7233", data_converter=PayloadConverter.default).data_converter
    assert isinstance(wrapped, DataConverter)
    assert wrapped.payload_converter is PayloadConverter.default
    with pytest.raises(TypeError, match="DataConverter"):
        Client("localhost:7233", data_converter="json")  # type: ignore[arg-type]


# ---- start requests --------------------------------------------------------------------------


async def test_start_workflow_request(fake: Tuple[Client, FakeService]) -> None:
    client, service = fake
    service.queue(
        "start_workflow_execution",
        wsv1().StartWorkflowExecutionResponse(run_id="run-1"),
        wsv1().StartWorkflowExecutionResponse(run_id="run-2"),
    )
    handle = await client.start_workflow(
        "Wf",
        "a",
        {"b": 1},
        id="wf-1",
        task_queue="tq",
        execution_timeout=timedelta(minutes=5),
        run_timeout=timedelta(minutes=2),
        task_timeout=timedelta(seconds=7),
        retry_policy=RetryPolicy(maximum_attempts=3),
        cron_schedule="* * * * *",
        memo={"m": [1]},
        search_attributes={"Attr": "v"},
        rpc_metadata={"x-h": "1"},
        rpc_timeout=timedelta(seconds=3),
    )
    assert (handle.id, handle.run_id, handle.result_run_id, handle.first_execution_run_id) == (
        "wf-1",
        None,
        "run-1",
        "run-1",
    )
    ((name, req, kwargs),) = service.calls
    assert name == "start_workflow_execution"
    assert kwargs == dict(retry=True, metadata={"x-h": "1"}, timeout=timedelta(seconds=3))
    assert req.namespace == "default"
    assert req.workflow_id == "wf-1"
    assert req.workflow_type.name == "Wf"
    assert req.task_queue.name == "tq"
    assert [p.data for p in req.input.payloads] == [b'"a"', b'{"b":1}']
    assert req.workflow_execution_timeout.ToTimedelta() == timedelta(minutes=5)
    assert req.workflow_run_timeout.ToTimedelta() == timedelta(minutes=2)
    assert req.workflow_task_timeout.ToTimedelta() == timedelta(seconds=7)
    assert req.identity == "me@test"
    assert uuid.UUID(req.request_id)
    assert req.workflow_id_reuse_policy == WorkflowIDReusePolicy.ALLOW_DUPLICATE
    assert req.workflow_id_conflict_policy == WorkflowIDConflictPolicy.UNSPECIFIED
    assert RetryPolicy.from_proto(req.retry_policy) == RetryPolicy(maximum_attempts=3)
    assert req.cron_schedule == "* * * * *"
    assert req.memo.fields["m"].data == b"[1]"
    assert req.search_attributes.indexed_fields["Attr"].data == b'"v"'

    # A second start: a new request id; no id given: a uuid4.
    await client.start_workflow("Wf", task_queue="tq")
    req2 = service.calls[1][1]
    assert req2.request_id != req.request_id
    assert uuid.UUID(req2.workflow_id).version == 4
    assert not req2.HasField("retry_policy") and not req2.HasField("workflow_execution_timeout")
    assert service.calls[1][2]["metadata"] is None


async def test_start_signal_makes_one_signal_with_start_call(
    fake: Tuple[Client, FakeService],
) -> None:
    client, service = fake
    service.queue(
        "signal_with_start_workflow_execution",
        wsv1().SignalWithStartWorkflowExecutionResponse(run_id="run-9", started=True),
        wsv1().SignalWithStartWorkflowExecutionResponse(run_id="run-9", started=False),
    )
    handle = await client.start_workflow(
        "Wf", 1, id="wf", task_queue="tq", start_signal="sig", start_signal_args=["x", 2]
    )
    assert handle.result_run_id == handle.first_execution_run_id == "run-9"
    ((name, req, _),) = service.calls
    assert name == "signal_with_start_workflow_execution"
    assert req.signal_name == "sig"
    assert [p.data for p in req.signal_input.payloads] == [b'"x"', b"2"]
    assert [p.data for p in req.input.payloads] == [b"1"]
    assert req.identity == "me@test" and uuid.UUID(req.request_id)
    # Signalling an existing run: it is not known to be the chain's first.
    again = await client.start_workflow("Wf", id="wf", task_queue="tq", start_signal="sig")
    assert again.result_run_id == "run-9" and again.first_execution_run_id is None


def _already_started_status(run_id: str) -> bytes:
    """A google.rpc.Status with a WorkflowExecutionAlreadyStartedFailure detail."""
    from google.protobuf.any_pb2 import Any as AnyProto
    from temporalio.api.errordetails.v1 import WorkflowExecutionAlreadyStartedFailure

    detail = AnyProto()
    detail.Pack(WorkflowExecutionAlreadyStartedFailure(start_request_id="r", run_id=run_id))
    msg = b"already started"

    def field(num: int, data: bytes) -> bytes:
        return bytes([num << 3 | 2, len(data)]) + data

    return b"\x08\x06" + field(2, msg) + field(3, detail.SerializeToString())


async def test_already_started_becomes_workflow_already_started_error(
    fake: Tuple[Client, FakeService],
) -> None:
    client, service = fake
    err = rpc_error(6, "already started", _already_started_status("existing-run"))
    service.queue("start_workflow_execution", err)
    with pytest.raises(WorkflowAlreadyStartedError) as info:
        await client.start_workflow("Wf", id="wf", task_queue="tq")
    assert isinstance(info.value, TemporalError)
    assert (info.value.workflow_id, info.value.workflow_type, info.value.run_id) == (
        "wf",
        "Wf",
        "existing-run",
    )
    assert info.value.__cause__ is err


# ---- result ----------------------------------------------------------------------------------


async def test_result_long_polls_until_the_close_event(fake: Tuple[Client, FakeService]) -> None:
    client, service = fake
    deadline = rpc_error(int(RPCStatusCode.DEADLINE_EXCEEDED), "deadline")
    assert isinstance(deadline, DeadlineExceededError)
    service.queue(
        "get_workflow_execution_history",
        history(token=b"t1"),
        deadline,
        history(token=b"t2"),
        history(completed({"v": 1})),
    )
    handle = client.get_workflow_handle("wf", run_id="r1")
    assert await handle.result() == {"v": 1}
    reqs = [req for _, req, _ in service.calls]
    assert [r.next_page_token for r in reqs] == [b"", b"t1", b"t1", b"t2"]
    for name, req, kwargs in service.calls:
        assert name == "get_workflow_execution_history"
        assert req.execution.workflow_id == "wf" and req.execution.run_id == "r1"
        assert req.wait_new_event and req.skip_archival
        assert req.history_event_filter_type == 2  # HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT
        assert kwargs["timeout"] == timedelta(seconds=70)
        assert kwargs["metadata"]["supported-features"] == "follows-next-run-id"


async def test_result_is_not_memoized(fake: Tuple[Client, FakeService]) -> None:
    client, service = fake
    service.queue("get_workflow_execution_history", history(completed(1)), history(completed(2)))
    handle = client.get_workflow_handle("wf")
    assert await handle.result() == 1
    assert await handle.result() == 2
    assert len(service.calls) == 2


async def test_result_rpc_options_apply_to_each_poll(fake: Tuple[Client, FakeService]) -> None:
    client, service = fake
    service.queue("get_workflow_execution_history", history(completed(1)))
    await client.get_workflow_handle("wf").result(
        rpc_metadata={"x-a": "b"}, rpc_timeout=timedelta(seconds=5)
    )
    kwargs = service.calls[0][2]
    assert kwargs["timeout"] == timedelta(seconds=5)
    assert kwargs["metadata"]["x-a"] == "b"


async def test_result_follows_runs(fake: Tuple[Client, FakeService]) -> None:
    client, service = fake
    service.queue(
        "get_workflow_execution_history",
        history(continued_as_new("r2")),
        history(completed(None, new_run="r3")),
        history(completed("last")),
    )
    assert await client.get_workflow_handle("wf", run_id="r1").result() == "last"
    assert [req.execution.run_id for _, req, _ in service.calls] == ["r1", "r2", "r3"]


async def test_result_without_follow_runs(fake: Tuple[Client, FakeService]) -> None:
    client, service = fake
    service.queue(
        "get_workflow_execution_history",
        history(continued_as_new("r2")),
        history(completed("cron run", new_run="r3")),
    )
    handle = client.get_workflow_handle("wf", run_id="r1")
    with pytest.raises(WorkflowContinuedAsNewError) as info:
        await handle.result(follow_runs=False)
    assert info.value.new_execution_run_id == "r2"
    assert await handle.result(follow_runs=False) == "cron run"


async def test_result_type_is_used(fake: Tuple[Client, FakeService]) -> None:
    @dataclass
    class P:
        x: int

    client, service = fake
    service.queue("get_workflow_execution_history", history(completed({"x": 4})))
    assert await client.get_workflow_handle("wf", result_type=P).result() == P(4)


async def test_undecodable_result_names_the_encoding(fake: Tuple[Client, FakeService]) -> None:
    from temporalio.api.common.v1 import Payload

    client, service = fake
    odd = Payload(metadata={"encoding": b"weird/custom"}, data=b"??")
    service.queue("get_workflow_execution_history", history(completed(raw=odd)))
    with pytest.raises(ValueError, match="weird/custom"):
        await client.get_workflow_handle("wf").result()

    bad_json = Payload(metadata={"encoding": b"json/plain"}, data=b"{not json")
    service.queue("get_workflow_execution_history", history(completed(raw=bad_json)))
    with pytest.raises(ValueError, match="json/plain"):
        await client.get_workflow_handle("wf").result()

    service.queue("get_workflow_execution_history", history(completed("text")))
    with pytest.raises(
        TypeError,
        match=r"^Expected value to be int\|float, was .*"
        r"result of workflow 'wf', payload encoding json/plain",
    ):
        await client.get_workflow_handle("wf", result_type=int).result()


async def test_result_of_failed_workflow(fake: Tuple[Client, FakeService]) -> None:
    from temporalio.api.history.v1 import WorkflowExecutionFailedEventAttributes as A

    client, service = fake
    failure = await DataConverter.default.encode_failure(
        ApplicationError("boom", "d", 2, type="Bad", non_retryable=True)
    )
    service.queue(
        "get_workflow_execution_history",
        history(event(workflow_execution_failed_event_attributes=A(failure=failure))),
    )
    with pytest.raises(WorkflowFailureError) as info:
        await client.get_workflow_handle("wf").result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    assert (cause.message, cause.type, list(cause.details), cause.non_retryable) == (
        "boom",
        "Bad",
        ["d", 2],
        True,
    )


async def test_result_follows_a_retried_failure_only_with_follow_runs(
    fake: Tuple[Client, FakeService],
) -> None:
    from temporalio.api.history.v1 import WorkflowExecutionFailedEventAttributes as A

    client, service = fake
    failure = await DataConverter.default.encode_failure(ApplicationError("first"))
    retried = event(
        workflow_execution_failed_event_attributes=A(failure=failure, new_execution_run_id="r2")
    )
    service.queue(
        "get_workflow_execution_history",
        history(retried),
        history(retried),
        history(completed("second attempt")),
    )
    handle = client.get_workflow_handle("wf", run_id="r1")
    with pytest.raises(WorkflowFailureError):
        await handle.result(follow_runs=False)
    assert await handle.result() == "second attempt"


async def test_result_of_cancelled_terminated_and_timed_out_workflows(
    fake: Tuple[Client, FakeService],
) -> None:
    from temporalio.api.common.v1 import Payloads
    from temporalio.api.history.v1 import (
        WorkflowExecutionCanceledEventAttributes,
        WorkflowExecutionTerminatedEventAttributes,
        WorkflowExecutionTimedOutEventAttributes,
    )

    client, service = fake
    details = Payloads(payloads=[payload("why"), payload(3)])
    service.queue(
        "get_workflow_execution_history",
        history(
            event(
                workflow_execution_canceled_event_attributes=(
                    WorkflowExecutionCanceledEventAttributes(details=details)
                )
            )
        ),
        history(
            event(
                workflow_execution_terminated_event_attributes=(
                    WorkflowExecutionTerminatedEventAttributes(reason="stop", details=details)
                )
            )
        ),
        history(
            event(
                workflow_execution_terminated_event_attributes=(
                    WorkflowExecutionTerminatedEventAttributes()
                )
            )
        ),
        history(
            event(
                workflow_execution_timed_out_event_attributes=(
                    WorkflowExecutionTimedOutEventAttributes()
                )
            )
        ),
    )
    handle = client.get_workflow_handle("wf")
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, CancelledError)
    assert list(info.value.cause.details) == ["why", 3]
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, TerminatedError)
    assert info.value.cause.message == "stop" and list(info.value.cause.details) == ["why", 3]
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, TerminatedError)
    assert info.value.cause.message == "Workflow terminated"
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, TimeoutError)
    assert info.value.cause.type == TimeoutType.START_TO_CLOSE


async def test_result_of_missing_workflow_propagates_not_found(
    fake: Tuple[Client, FakeService],
) -> None:
    client, service = fake
    service.queue("get_workflow_execution_history", rpc_error(5, "workflow not found"))
    with pytest.raises(NotFoundError):
        await client.get_workflow_handle("wf").result()


# ---- other handle calls ------------------------------------------------------------------------


async def test_cancel_signal_terminate_requests(fake: Tuple[Client, FakeService]) -> None:
    client, service = fake
    service.queue(
        "request_cancel_workflow_execution", wsv1().RequestCancelWorkflowExecutionResponse()
    )
    service.queue("signal_workflow_execution", wsv1().SignalWorkflowExecutionResponse())
    service.queue("terminate_workflow_execution", wsv1().TerminateWorkflowExecutionResponse())
    handle = client.get_workflow_handle("wf", run_id="r1", first_execution_run_id="r0")
    await handle.cancel(reason="enough")
    await handle.signal("go", 1, "two")
    await handle.terminate("detail", reason="done")
    (_, cancel, _), (_, signal, _), (_, terminate, _) = service.calls
    assert (
        cancel.workflow_execution.workflow_id == "wf" and cancel.workflow_execution.run_id == "r1"
    )
    assert cancel.first_execution_run_id == "r0" and cancel.reason == "enough"
    assert cancel.identity == "me@test" and uuid.UUID(cancel.request_id)
    assert signal.signal_name == "go" and [p.data for p in signal.input.payloads] == [
        b"1",
        b'"two"',
    ]
    assert signal.identity == "me@test" and uuid.UUID(signal.request_id)
    assert terminate.reason == "done" and terminate.first_execution_run_id == "r0"
    assert [p.data for p in terminate.details.payloads] == [b'"detail"']
    assert terminate.identity == "me@test"


async def test_cancel_of_missing_workflow_propagates_not_found(
    fake: Tuple[Client, FakeService],
) -> None:
    client, service = fake
    service.queue("request_cancel_workflow_execution", rpc_error(5, "not found"))
    with pytest.raises(NotFoundError):
        await client.get_workflow_handle("wf").cancel()


async def test_query_request_and_results(fake: Tuple[Client, FakeService]) -> None:
    from temporalio.api.common.v1 import Payloads
    from temporalio.api.query.v1 import QueryRejected

    client, service = fake
    service.queue(
        "query_workflow",
        wsv1().QueryWorkflowResponse(query_result=Payloads(payloads=[payload({"s": 1})])),
        wsv1().QueryWorkflowResponse(),
        wsv1().QueryWorkflowResponse(query_rejected=QueryRejected(status=2)),
        rpc_error(3, "unknown queryType nope"),
    )
    handle = client.get_workflow_handle("wf")
    assert await handle.query("state", 1, reject_condition=QueryRejectCondition.NOT_OPEN) == {
        "s": 1
    }
    req = service.calls[0][1]
    assert req.query.query_type == "state" and [p.data for p in req.query.query_args.payloads] == [
        b"1"
    ]
    assert req.query_reject_condition == QueryRejectCondition.NOT_OPEN
    assert await handle.query("empty") is None
    assert service.calls[1][1].query_reject_condition == 0  # unset: the server's default
    with pytest.raises(WorkflowQueryRejectedError) as rejected:
        await handle.query("state", reject_condition=QueryRejectCondition.NOT_OPEN)
    assert rejected.value.status == WorkflowExecutionStatus.COMPLETED
    with pytest.raises(WorkflowQueryFailedError, match="unknown queryType nope") as failed:
        await handle.query("nope")
    assert failed.value.message == "unknown queryType nope"


async def test_describe(fake: Tuple[Client, FakeService]) -> None:
    from google.protobuf.timestamp_pb2 import Timestamp
    from temporalio.api.common.v1 import Memo, SearchAttributes, WorkflowExecution, WorkflowType
    from temporalio.api.workflow.v1 import WorkflowExecutionInfo

    client, service = fake
    start = Timestamp()
    start.FromDatetime(datetime(2024, 1, 2, 3, 4, 5))
    info = WorkflowExecutionInfo(
        execution=WorkflowExecution(workflow_id="wf", run_id="r1"),
        type=WorkflowType(name="Wf"),
        start_time=start,
        status=1,
        history_length=3,
        task_queue="tq",
        memo=Memo(fields={"m": payload([1, 2])}),
        search_attributes=SearchAttributes(indexed_fields={"Kw": payload("v")}),
    )
    resp = wsv1().DescribeWorkflowExecutionResponse(workflow_execution_info=info)
    service.queue("describe_workflow_execution", resp)
    desc = await client.get_workflow_handle("wf", run_id="r1").describe()
    req = service.calls[0][1]
    assert req.execution.workflow_id == "wf" and req.execution.run_id == "r1"
    assert desc.status is WorkflowExecutionStatus.RUNNING
    assert (desc.id, desc.run_id, desc.workflow_type, desc.task_queue) == ("wf", "r1", "Wf", "tq")
    assert desc.start_time == datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert desc.close_time is None and desc.execution_time is None
    assert desc.history_length == 3 and desc.namespace == "default"
    assert desc.parent_id is None and desc.parent_run_id is None
    assert desc.search_attributes == {"Kw": "v"}
    assert await desc.memo() == {"m": [1, 2]}
    assert desc.raw_description is resp or desc.raw_description == resp


def test_errors_are_temporal_errors() -> None:
    cause = ApplicationError("x")
    e = WorkflowFailureError(cause)
    assert e.cause is cause and e.__cause__ is cause
    assert WorkflowFailureError(cause=cause).cause is cause
    assert WorkflowContinuedAsNewError("r").new_execution_run_id == "r"
    assert WorkflowQueryFailedError("m").message == "m"
    assert (
        WorkflowQueryRejectedError(WorkflowExecutionStatus.FAILED).status
        == WorkflowExecutionStatus.FAILED
    )
    assert str(WorkflowQueryRejectedError(None)) == "Query rejected, status: None"  # official text
    for err in (
        e,
        WorkflowContinuedAsNewError("r"),
        WorkflowQueryFailedError("m"),
        WorkflowQueryRejectedError(None),
        WorkflowAlreadyStartedError("a", "b", "c"),
    ):
        assert isinstance(err, TemporalError)


def test_new_ids_are_random_uuid4_strings() -> None:
    from temporalio.client._impl import _new_id

    ids = [_new_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_the_default_priority_sets_the_same_bytes_as_its_proto() -> None:
    from temporalio.api.workflowservice.v1 import StartWorkflowExecutionRequest

    from temporalio.common import Priority

    copied = StartWorkflowExecutionRequest()
    copied.priority.CopyFrom(Priority.default._to_proto())
    present = StartWorkflowExecutionRequest()
    present.priority.SetInParent()  # what a start with the default priority sends
    assert present.SerializeToString() == copied.SerializeToString() == b"\xda\x01\x00"
