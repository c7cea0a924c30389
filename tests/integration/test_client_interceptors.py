"""Client interceptors, the default query reject condition and client.config()
against a real dev server, with the workflow code run by the peer host
(workflow type ``KitchenSink``; it echoes the headers it receives: the
``headers`` action and query for the start, ``query_headers`` for a query,
the ``signals`` records for signals; see tests/peer/README.md)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Callable, Dict, List, Tuple

import pytest

from temporalio.client import (
    CancelWorkflowInput,
    Client,
    DescribeWorkflowInput,
    GetWorkflowResultInput,
    Interceptor,
    OutboundInterceptor,
    QueryWorkflowInput,
    SignalWorkflowInput,
    StartWorkflowInput,
    TerminateWorkflowInput,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryRejectedError,
)
from temporalio.common import QueryRejectCondition, WorkflowExecutionStatus
from temporalio.converter import PayloadConverter
from temporalio.exceptions import CancelledError, TerminatedError
from temporalio.service import NamespaceNotFoundError, NotFoundError
from tests.peer.peerhost import WORKFLOW_TYPE, actions

WAIT_FOR_GO = ({"await_signal": {"name": "go"}}, {"return_last": {}})

OPERATIONS = [
    "start_workflow",
    "get_workflow_result",
    "describe_workflow",
    "query_workflow",
    "signal_workflow",
    "cancel_workflow",
    "terminate_workflow",
]

INPUT_TYPES = {
    "start_workflow": StartWorkflowInput,
    "get_workflow_result": GetWorkflowResultInput,
    "describe_workflow": DescribeWorkflowInput,
    "query_workflow": QueryWorkflowInput,
    "signal_workflow": SignalWorkflowInput,
    "cancel_workflow": CancelWorkflowInput,
    "terminate_workflow": TerminateWorkflowInput,
}

Log = List[Tuple[str, str, str, Any]]


class Recording(OutboundInterceptor):
    """Logs (name, operation, "in" / "out" / "error", input or error) around each operation."""

    def __init__(self, next: OutboundInterceptor, name: str, log: Log) -> None:
        super().__init__(next)
        self.name = name
        self.log = log


def _recorded(op: str) -> Callable[..., Any]:
    async def method(self: Recording, input: Any) -> Any:
        self.log.append((self.name, op, "in", input))
        try:
            result = await getattr(self.next, op)(input)
        except BaseException as err:
            self.log.append((self.name, op, "error", err))
            raise
        self.log.append((self.name, op, "out", result))
        return result

    method.__name__ = op
    return method


for _op in OPERATIONS:
    setattr(Recording, _op, _recorded(_op))


class Recorder(Interceptor):
    def __init__(self, name: str, log: Log) -> None:
        self.name = name
        self.log = log

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return Recording(next, self.name, self.log)


def header(value: Any) -> Any:
    return PayloadConverter.default.to_payload(value)


def derive(client: Client, **changes: Any) -> Client:
    """A client on ``client``'s connection with some options changed."""
    return Client(**{**client.config(), **changes})


async def start(
    client: Client, task_queue: str, *acts: Dict[str, Any], **kwargs: Any
) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        WORKFLOW_TYPE, actions(*acts), task_queue=task_queue, **kwargs
    )


async def wait_for_first_task(handle: WorkflowHandle[Any, Any]) -> None:
    """Until the workflow's first task completed (its handlers are registered)."""
    for _ in range(200):
        if (await handle.describe()).history_length >= 4:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the workflow's first task did not complete")


def calls_of(log: Log, op: str) -> List[Tuple[str, str]]:
    return [(name, when) for name, o, when, _ in log if o == op]


# ---- chain order ------------------------------------------------------------------------------


async def test_two_interceptors_see_every_operation_in_order(
    client: Client, peer_task_queue: str
) -> None:
    log: Log = []
    intercepted = derive(client, interceptors=[Recorder("outer", log), Recorder("inner", log)])
    nested = [("outer", "in"), ("inner", "in"), ("inner", "out"), ("outer", "out")]

    handle = await start(
        intercepted,
        peer_task_queue,
        {"query_handler": {"name": "state", "value": "waiting"}},
        *WAIT_FOR_GO,
    )
    await wait_for_first_task(client.get_workflow_handle(handle.id))
    desc = await handle.describe()
    assert desc.status == WorkflowExecutionStatus.RUNNING
    assert desc.raw_description.workflow_execution_info.execution.workflow_id == handle.id
    assert await handle.query("state") == "waiting"
    await handle.signal("go", "now")
    assert await handle.result() == ["now"]

    to_cancel = await start(intercepted, peer_task_queue, *WAIT_FOR_GO)
    await wait_for_first_task(client.get_workflow_handle(to_cancel.id))
    await to_cancel.cancel()
    with pytest.raises(WorkflowFailureError) as cancelled:
        await to_cancel.result()
    assert isinstance(cancelled.value.cause, CancelledError)

    to_terminate = await start(intercepted, peer_task_queue, *WAIT_FOR_GO)
    await to_terminate.terminate(reason="enough")
    with pytest.raises(WorkflowFailureError) as terminated:
        await to_terminate.result()
    assert isinstance(terminated.value.cause, TerminatedError)

    for op in [
        "describe_workflow",
        "query_workflow",
        "signal_workflow",
        "cancel_workflow",
        "terminate_workflow",
    ]:
        assert calls_of(log, op) == nested, op
    assert calls_of(log, "start_workflow") == nested * 3
    # result: completed, then the two failures (raised through both links)
    assert (
        calls_of(log, "get_workflow_result")
        == nested + [("outer", "in"), ("inner", "in"), ("inner", "error"), ("outer", "error")] * 2
    )
    for _, op, when, value in log:
        if when == "in":
            assert isinstance(value, INPUT_TYPES[op])
    # Every start returned the handle the client gave back.
    started = [
        value
        for name, op, when, value in log
        if (name, op, when) == ("outer", "start_workflow", "out")
    ]
    assert [h.id for h in started] == [handle.id, to_cancel.id, to_terminate.id]
    assert all(h.client is intercepted for h in started)


async def test_execute_workflow_goes_through_start_and_result(
    client: Client, peer_task_queue: str
) -> None:
    log: Log = []
    intercepted = derive(client, interceptors=[Recorder("r", log)])
    result = await intercepted.execute_workflow(
        WORKFLOW_TYPE, actions({"result": {"value": 7}}), task_queue=peer_task_queue
    )
    assert result == 7
    assert [(op, when) for _, op, when, _ in log] == [
        ("start_workflow", "in"),
        ("start_workflow", "out"),
        ("get_workflow_result", "in"),
        ("get_workflow_result", "out"),
    ]
    assert log[-1][3] == 7  # the interceptor saw the decoded result


async def test_interceptors_given_to_connect(server_target: str, peer_task_queue: str) -> None:
    log: Log = []
    client = await Client.connect(
        server_target, interceptors=[lambda next: Recording(next, "connected", log)]
    )
    try:
        assert (
            await client.execute_workflow(
                WORKFLOW_TYPE, actions({"result": {"value": "ok"}}), task_queue=peer_task_queue
            )
            == "ok"
        )
    finally:
        await client.close()
    assert {op for _, op, _, _ in log} == {"start_workflow", "get_workflow_result"}


# ---- headers ---------------------------------------------------------------------------------


class TraceHeaders(OutboundInterceptor):
    """Adds a header naming the operation to start, signal and query."""

    async def start_workflow(self, input: StartWorkflowInput) -> Any:
        input.headers = {**input.headers, "x-trace": header({"op": "start", "id": input.id})}
        return await super().start_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        input.headers = {**input.headers, "x-trace": header(f"signal {input.signal}")}
        await super().signal_workflow(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        input.headers = {**input.headers, "x-trace": header(f"query {input.query}")}
        return await super().query_workflow(input)


async def test_start_header_reaches_the_workflow(client: Client, peer_task_queue: str) -> None:
    traced = derive(client, interceptors=[TraceHeaders])
    handle = await start(traced, peer_task_queue, {"headers": {}}, {"return_last": {}})
    assert await handle.result() == {"x-trace": {"op": "start", "id": handle.id}}
    # The "headers" query answers the start headers too (asked without the interceptor).
    assert await client.get_workflow_handle(handle.id).query("headers") == {
        "x-trace": {"op": "start", "id": handle.id}
    }


async def test_signal_with_start_carries_the_start_header(
    client: Client, peer_task_queue: str
) -> None:
    traced = derive(client, interceptors=[TraceHeaders])
    handle = await start(
        traced,
        peer_task_queue,
        {"headers": {}},
        {"return_last": {}},
        start_signal="hello",
        start_signal_args=[1],
    )
    assert await handle.result() == {"x-trace": {"op": "start", "id": handle.id}}


async def test_signal_header_reaches_the_workflow(client: Client, peer_task_queue: str) -> None:
    traced = derive(client, interceptors=[TraceHeaders])
    handle = await start(
        client, peer_task_queue, {"await_signal": {"name": "go"}}, {"return_signals": {}}
    )
    await traced.get_workflow_handle(handle.id).signal("go", "a")
    assert await handle.result() == [
        {"name": "go", "args": ["a"], "headers": {"x-trace": "signal go"}}
    ]


async def test_query_header_reaches_the_workflow(client: Client, peer_task_queue: str) -> None:
    traced = derive(client, interceptors=[TraceHeaders])
    handle = await start(client, peer_task_queue, *WAIT_FOR_GO)
    await wait_for_first_task(handle)
    assert await traced.get_workflow_handle(handle.id).query("query_headers") == {
        "x-trace": "query query_headers"
    }
    assert await handle.query("query_headers") == {}  # none without the interceptor
    await handle.terminate()


async def test_without_interceptors_no_headers_are_sent(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start(client, peer_task_queue, {"headers": {}}, {"return_last": {}})
    assert await handle.result() == {}


# ---- rewriting and raising ----------------------------------------------------------------------


async def test_an_interceptor_can_rewrite_a_start_argument(
    client: Client, peer_task_queue: str
) -> None:
    class Rewrite(OutboundInterceptor):
        async def start_workflow(self, input: StartWorkflowInput) -> Any:
            (workflow_input,) = input.args
            rewritten = [
                a if "result" not in a else {"result": {"value": "rewritten"}}
                for a in workflow_input["actions"]
            ]
            input.args = [{"actions": rewritten}]
            return await super().start_workflow(input)

    rewriting = derive(client, interceptors=[Rewrite])
    handle = await start(rewriting, peer_task_queue, {"result": {"value": "original"}})
    assert await handle.result() == "rewritten"


class Refused(Exception):
    pass


async def test_a_raising_interceptor_surfaces_its_error_and_sends_nothing(
    client: Client, peer_task_queue: str
) -> None:
    class Refuse(OutboundInterceptor):
        async def start_workflow(self, input: StartWorkflowInput) -> Any:
            raise Refused(f"not starting {input.id}")

        async def signal_workflow(self, input: SignalWorkflowInput) -> None:
            raise Refused(f"not signalling {input.signal}")

    log: Log = []
    refusing = derive(client, interceptors=[Recorder("outer", log), Refuse])
    wf_id = f"refused-{uuid.uuid4()}"
    with pytest.raises(Refused, match=f"not starting {wf_id}"):
        await start(refusing, peer_task_queue, id=wf_id)
    with pytest.raises(NotFoundError):  # nothing was started
        await client.get_workflow_handle(wf_id).describe()

    handle = await start(
        client, peer_task_queue, {"await_signal": {"name": "go"}}, {"return_signals": {}}
    )
    with pytest.raises(Refused, match="not signalling go"):
        await refusing.get_workflow_handle(handle.id).signal("go", "lost")
    await client.get_workflow_handle(handle.id).signal("go", "delivered")
    assert [s["args"] for s in await handle.result()] == [["delivered"]]
    assert [(op, when) for _, op, when, _ in log] == [
        ("start_workflow", "in"),
        ("start_workflow", "error"),
        ("signal_workflow", "in"),
        ("signal_workflow", "error"),
    ]
    assert all(isinstance(v, Refused) for _, _, when, v in log if when == "error")


async def test_server_errors_pass_back_up_through_the_chain(client: Client) -> None:
    log: Log = []
    intercepted = derive(client, interceptors=[Recorder("r", log)])
    with pytest.raises(NotFoundError):
        await intercepted.get_workflow_handle(f"missing-{uuid.uuid4()}").cancel()
    ((_, _, _, _), (_, op, when, err)) = log
    assert (op, when) == ("cancel_workflow", "error") and isinstance(err, NotFoundError)


async def test_a_non_interceptor_is_a_type_error_naming_its_position(server_target: str) -> None:
    with pytest.raises(TypeError, match=r"interceptors\[1\] is a str 'tracing'"):
        await Client.connect(server_target, interceptors=[Interceptor(), "tracing"])
    with pytest.raises(TypeError, match=r"interceptors\[0\] is a dict"):
        Client(server_target, interceptors=[{"intercept_client": None}])


# ---- default query reject condition -------------------------------------------------------------


async def test_default_query_reject_condition_applies_to_every_query_without_one(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start(client, peer_task_queue, {"result": {"value": 1}})
    await handle.result()
    strict = derive(client, default_workflow_query_reject_condition=QueryRejectCondition.NOT_OPEN)
    closed = strict.get_workflow_handle(handle.id)
    with pytest.raises(WorkflowQueryRejectedError) as info:
        await closed.query("signals")
    assert info.value.status == WorkflowExecutionStatus.COMPLETED
    # A query's own condition wins; the plain client has no default.
    assert await closed.query("signals", reject_condition=QueryRejectCondition.NONE) == []
    assert await client.get_workflow_handle(handle.id).query("signals") == []


async def test_default_query_reject_condition_leaves_open_workflows_queryable(
    client: Client, peer_task_queue: str
) -> None:
    strict = derive(client, default_workflow_query_reject_condition=QueryRejectCondition.NOT_OPEN)
    handle = await start(strict, peer_task_queue, *WAIT_FOR_GO)
    await wait_for_first_task(handle)
    assert await handle.query("signals") == []
    await handle.terminate()


# ---- client.config() -----------------------------------------------------------------------------


async def test_config_round_trip_builds_a_ready_client_on_the_same_connection(
    client: Client, peer_task_queue: str
) -> None:
    config = client.config()
    assert config["service_client"] is client.service_client
    assert config["namespace"] == client.namespace and config["identity"] == client.identity
    assert config["data_converter"] is client.data_converter
    assert (
        config["interceptors"] == [] and config["default_workflow_query_reject_condition"] is None
    )
    same = Client(**config)  # no connect, no async with
    assert same.service_client is client.service_client
    assert (
        await same.execute_workflow(
            WORKFLOW_TYPE, actions({"result": {"value": "via config"}}), task_queue=peer_task_queue
        )
        == "via config"
    )


async def test_derived_client_with_interceptors_uses_the_same_connection(
    client: Client, peer_task_queue: str
) -> None:
    log: Log = []
    derived = derive(client, interceptors=[Recorder("derived", log)])
    assert derived.service_client is client.service_client
    handle = await start(derived, peer_task_queue, {"result": {"value": 3}})
    assert await client.get_workflow_handle(handle.id).result() == 3  # original: no interceptor
    assert [op for _, op, when, _ in log if when == "in"] == ["start_workflow"]
    assert derived.config()["interceptors"][0].name == "derived"


@pytest.fixture(scope="session")
async def second_namespace(server_target: str) -> str:
    """A namespace registered on the test server besides "default"."""
    from google.protobuf.duration_pb2 import Duration
    from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest

    from temporalio.service import AlreadyExistsError

    name = "client-config-ns"
    async with Client(server_target) as c:
        try:
            await c.service.register_namespace(
                RegisterNamespaceRequest(
                    namespace=name, workflow_execution_retention_period=Duration(seconds=86400)
                )
            )
        except AlreadyExistsError:
            pass
    return name


async def test_derived_client_with_another_namespace_uses_the_same_connection(
    client: Client, second_namespace: str
) -> None:
    other = derive(client, namespace=second_namespace)
    assert other.service_client is client.service_client
    assert other.namespace == second_namespace and client.namespace == "default"
    # No worker serves this namespace: the workflow just waits, which is enough here.
    for _ in range(100):  # a namespace just registered may take a moment to be known
        try:
            handle = await other.start_workflow(WORKFLOW_TYPE, actions(), task_queue="nobody")
            break
        except NamespaceNotFoundError:
            await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"namespace {second_namespace} never became usable")
    desc = await handle.describe()
    assert desc.namespace == second_namespace and desc.status == WorkflowExecutionStatus.RUNNING
    with pytest.raises(NotFoundError):  # not in the original client's namespace
        await client.get_workflow_handle(handle.id).describe()
    await handle.terminate()

    missing = derive(client, namespace=f"no-such-ns-{uuid.uuid4()}")
    with pytest.raises(NamespaceNotFoundError) as info:
        await missing.get_workflow_handle("wf").describe()
    assert info.value.namespace == missing.namespace


async def test_closing_a_derived_client_leaves_the_connection_to_its_owner(
    client: Client, peer_task_queue: str
) -> None:
    async with derive(client) as derived:
        assert derived.service_client is client.service_client
        with pytest.raises(NotFoundError):  # a real round trip on the shared connection
            await derived.get_workflow_handle(f"missing-{uuid.uuid4()}").describe()
    with pytest.raises(RuntimeError, match="not connected"):
        derived.service
    # The original client's connection is still open.
    assert (
        await client.execute_workflow(
            WORKFLOW_TYPE, actions({"result": {"value": "still open"}}), task_queue=peer_task_queue
        )
        == "still open"
    )


async def test_closing_the_owner_closes_the_connection_of_derived_clients(
    server_target: str,
) -> None:
    owner = await Client.connect(server_target)
    derived = Client(**owner.config())
    await owner.close()
    with pytest.raises(RuntimeError, match="closed"):
        await derived.get_workflow_handle("wf").describe()
