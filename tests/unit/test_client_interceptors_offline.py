"""Client interceptors, default query reject condition and client.config()
without a server: the chain is checked against a fake WorkflowService that
records every request."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

from temporalio.client import (
    CancelWorkflowInput,
    Client,
    DescribeWorkflowInput,
    GetWorkflowResultInput,
    Interceptor,
    OutboundInterceptor,
    QueryWorkflowInput,
    ServiceClientProtocol,
    SignalWorkflowInput,
    StartWorkflowInput,
    TerminateWorkflowInput,
    WorkflowExecutionDescription,
    WorkflowHandle,
    WorkflowQueryRejectedError,
)
from temporalio.common import HeaderCodecBehavior, QueryRejectCondition
from temporalio.converter import DataConverter, PayloadConverter
from temporalio.service import KeepAliveConfig, ServiceClient
from tests.unit.test_client_offline import (
    FakeService,
    FakeServiceClient,
    completed,
    fake_client,
    history,
    payload,
    wsv1,
)

OPERATIONS = [
    "start_workflow",
    "get_workflow_result",
    "describe_workflow",
    "query_workflow",
    "signal_workflow",
    "cancel_workflow",
    "terminate_workflow",
]


class Recording(OutboundInterceptor):
    """Logs (name, operation, "in"/"out", input) around every operation."""

    def __init__(self, next: OutboundInterceptor, name: str, log: List[Tuple[str, str, str, Any]]):
        super().__init__(next)
        self.name = name
        self.log = log


def _recorded(op: str) -> Callable[..., Any]:
    async def method(self: Recording, input: Any) -> Any:
        self.log.append((self.name, op, "in", input))
        try:
            return await getattr(self.next, op)(input)
        finally:
            self.log.append((self.name, op, "out", input))

    method.__name__ = op
    return method


for _op in OPERATIONS:
    setattr(Recording, _op, _recorded(_op))


class Recorder(Interceptor):
    def __init__(self, name: str, log: List[Any]) -> None:
        self.name = name
        self.log = log

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return Recording(next, self.name, self.log)


def fake_connection(
    namespace: str = "default", identity: Optional[str] = None
) -> Tuple[Any, FakeService, FakeServiceClient]:
    """A :class:`FakeServiceClient` (typed Any: given where a ServiceClient is
    expected), its fake WorkflowService, and itself again (``.closed``)."""
    sc = FakeServiceClient(namespace=namespace, identity=identity)
    return sc, sc.workflow_service, sc


def queue_every_operation(service: FakeService) -> None:
    from temporalio.api.common.v1 import Payloads
    from temporalio.api.workflow.v1 import WorkflowExecutionInfo

    service.queue("start_workflow_execution", wsv1().StartWorkflowExecutionResponse(run_id="r1"))
    service.queue("get_workflow_execution_history", history(completed("done")))
    service.queue(
        "describe_workflow_execution",
        wsv1().DescribeWorkflowExecutionResponse(
            workflow_execution_info=WorkflowExecutionInfo(status=1)
        ),
    )
    service.queue(
        "query_workflow",
        wsv1().QueryWorkflowResponse(query_result=Payloads(payloads=[payload("answer")])),
    )
    service.queue("signal_workflow_execution", wsv1().SignalWorkflowExecutionResponse())
    service.queue(
        "request_cancel_workflow_execution", wsv1().RequestCancelWorkflowExecutionResponse()
    )
    service.queue("terminate_workflow_execution", wsv1().TerminateWorkflowExecutionResponse())


async def run_every_operation(client: Client) -> WorkflowHandle[Any, Any]:
    handle = await client.start_workflow("Wf", "arg", id="wf", task_queue="tq")
    assert await handle.result() == "done"
    assert isinstance(await handle.describe(), WorkflowExecutionDescription)
    assert await handle.query("q", 1) == "answer"
    await handle.signal("s", 2)
    await handle.cancel(reason="r")
    await handle.terminate("d", reason="t")
    return handle


# ---- the chain ---------------------------------------------------------------------------


async def test_every_operation_goes_through_the_chain_first_interceptor_outermost() -> None:
    log: List[Any] = []
    client, service = fake_client(interceptors=[Recorder("outer", log), Recorder("inner", log)])
    queue_every_operation(service)
    await run_every_operation(client)
    seen = [(name, op, when) for name, op, when, _ in log]
    expected = []
    for op in OPERATIONS:
        expected += [
            ("outer", op, "in"),
            ("inner", op, "in"),
            ("inner", op, "out"),
            ("outer", op, "out"),
        ]
    assert seen == expected
    assert len(service.calls) == 7


async def test_each_operation_gets_its_input_dataclass() -> None:
    log: List[Any] = []
    client, service = fake_client(interceptors=[Recorder("r", log)])
    queue_every_operation(service)
    await run_every_operation(client)
    inputs = {op: inp for _, op, when, inp in log if when == "in"}
    start = inputs["start_workflow"]
    assert isinstance(start, StartWorkflowInput)
    assert (start.workflow, list(start.args), start.id, start.task_queue) == (
        "Wf",
        ["arg"],
        "wf",
        "tq",
    )
    assert start.headers == {} and start.start_signal is None and start.ret_type is None
    result = inputs["get_workflow_result"]
    assert isinstance(result, GetWorkflowResultInput)
    assert (result.id, result.run_id, result.follow_runs) == ("wf", "r1", True)
    assert isinstance(inputs["describe_workflow"], DescribeWorkflowInput)
    query = inputs["query_workflow"]
    assert isinstance(query, QueryWorkflowInput)
    assert (query.query, list(query.args), query.headers, query.reject_condition) == (
        "q",
        [1],
        {},
        None,
    )
    signal = inputs["signal_workflow"]
    assert isinstance(signal, SignalWorkflowInput)
    assert (signal.signal, list(signal.args), signal.headers) == ("s", [2], {})
    cancel = inputs["cancel_workflow"]
    assert isinstance(cancel, CancelWorkflowInput) and cancel.reason == "r"
    assert cancel.first_execution_run_id == "r1"
    terminate = inputs["terminate_workflow"]
    assert isinstance(terminate, TerminateWorkflowInput)
    assert (list(terminate.args), terminate.reason) == (["d"], "t")


async def test_execute_workflow_is_start_then_result_through_the_chain() -> None:
    log: List[Any] = []
    client, service = fake_client(interceptors=[Recorder("r", log)])
    service.queue("start_workflow_execution", wsv1().StartWorkflowExecutionResponse(run_id="r1"))
    service.queue("get_workflow_execution_history", history(completed(5)))
    assert await client.execute_workflow("Wf", task_queue="tq") == 5
    assert [(op, when) for _, op, when, _ in log] == [
        ("start_workflow", "in"),
        ("start_workflow", "out"),
        ("get_workflow_result", "in"),
        ("get_workflow_result", "out"),
    ]


async def test_result_is_one_interceptor_call_however_many_runs_it_follows() -> None:
    from tests.unit.test_client_offline import continued_as_new

    log: List[Any] = []
    client, service = fake_client(interceptors=[Recorder("r", log)])
    service.queue(
        "get_workflow_execution_history",
        history(continued_as_new("r2")),
        history(completed("last")),
    )
    assert await client.get_workflow_handle("wf", run_id="r1").result() == "last"
    assert len(service.calls) == 2
    assert [(op, when) for _, op, when, _ in log] == [
        ("get_workflow_result", "in"),
        ("get_workflow_result", "out"),
    ]


async def test_plain_callables_and_outbound_classes_are_interceptors() -> None:
    log: List[Any] = []

    class Outbound(Recording):
        def __init__(self, next: OutboundInterceptor) -> None:
            super().__init__(next, "class", log)

    client, service = fake_client(
        interceptors=[lambda next: Recording(next, "lambda", log), Outbound, Interceptor()]
    )
    service.queue("signal_workflow_execution", wsv1().SignalWorkflowExecutionResponse())
    await client.get_workflow_handle("wf").signal("s")
    assert [(name, when) for name, _, when, _ in log] == [
        ("lambda", "in"),
        ("class", "in"),
        ("class", "out"),
        ("lambda", "out"),
    ]


async def test_base_classes_delegate_every_operation() -> None:
    # Interceptor() returns next; a bare OutboundInterceptor forwards everything.
    client, service = fake_client(interceptors=[Interceptor(), OutboundInterceptor])
    queue_every_operation(service)
    await run_every_operation(client)
    assert [name for name, _, _ in service.calls] == [
        "start_workflow_execution",
        "get_workflow_execution_history",
        "describe_workflow_execution",
        "query_workflow",
        "signal_workflow_execution",
        "request_cancel_workflow_execution",
        "terminate_workflow_execution",
    ]


async def test_an_interceptor_can_rewrite_the_input() -> None:
    class Rewrite(OutboundInterceptor):
        async def start_workflow(self, input: StartWorkflowInput) -> Any:
            input.args = ["rewritten", *input.args]
            input.task_queue = "other-tq"
            return await super().start_workflow(input)

        async def query_workflow(self, input: QueryWorkflowInput) -> Any:
            return {"from": "interceptor", "inner": await super().query_workflow(input)}

    client, service = fake_client(interceptors=[Rewrite])
    service.queue("start_workflow_execution", wsv1().StartWorkflowExecutionResponse(run_id="r1"))
    service.queue("query_workflow", wsv1().QueryWorkflowResponse())
    handle = await client.start_workflow("Wf", "orig", task_queue="tq")
    req = service.calls[0][1]
    assert [p.data for p in req.input.payloads] == [b'"rewritten"', b'"orig"']
    assert req.task_queue.name == "other-tq"
    assert await handle.query("q") == {"from": "interceptor", "inner": None}


async def test_an_interceptor_that_raises_stops_the_call() -> None:
    class Boom(Exception):
        pass

    class Refuse(OutboundInterceptor):
        async def signal_workflow(self, input: SignalWorkflowInput) -> None:
            raise Boom(f"no signal {input.signal}")

    log: List[Any] = []
    client, service = fake_client(interceptors=[Recorder("outer", log), Refuse])
    with pytest.raises(Boom, match="no signal s"):
        await client.get_workflow_handle("wf").signal("s")
    assert service.calls == []
    assert [when for _, _, when, _ in log] == ["in", "out"]  # the outer one saw it leave


async def test_argument_errors_are_raised_before_the_interceptors() -> None:
    log: List[Any] = []
    client, service = fake_client(interceptors=[Recorder("r", log)])
    with pytest.raises(ValueError, match="task_queue must not be empty"):
        await client.start_workflow("Wf", task_queue="")
    with pytest.raises(TypeError, match="signal name"):
        await client.get_workflow_handle("wf").signal(5)  # type: ignore[arg-type]
    assert log == [] and service.calls == []


# ---- bad interceptor lists ---------------------------------------------------------------


@pytest.mark.parametrize(
    "interceptors,match",
    [
        (
            [Interceptor(), "nope"],
            r"interceptors\[1\] is a str 'nope', not a temporalio.client.Interceptor",
        ),
        ([42], r"interceptors\[0\] is a int 42"),
        ([Interceptor(), Interceptor(), None], r"interceptors\[2\] is a NoneType"),
        ([Interceptor], r"interceptors\[0\] is the class Interceptor, not an instance"),
        ([dict], r"interceptors\[0\] is a type"),
        (Interceptor(), "interceptors must be a list"),
        ("abc", "interceptors must be a list"),
    ],
)
def test_a_non_interceptor_is_a_type_error_naming_its_position(
    interceptors: Any, match: str
) -> None:
    with pytest.raises(TypeError, match=match):
        Client("localhost:7233", interceptors=interceptors)


def test_a_callable_that_returns_no_outbound_interceptor_is_named() -> None:
    returned_none = (
        r"interceptors\[1\] .*returned a NoneType, not a temporalio.client.OutboundInterceptor"
    )
    with pytest.raises(TypeError, match=returned_none):
        Client("localhost:7233", interceptors=[Interceptor(), lambda next: None])

    class Lazy(Interceptor):
        def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
            return "not a link"  # type: ignore[return-value]

    with pytest.raises(TypeError, match=r"interceptors\[0\] \(Lazy .*returned a str"):
        Client("localhost:7233", interceptors=[Lazy()])


async def test_connect_rejects_a_bad_interceptor_before_connecting() -> None:
    # Port 1: nothing listens; the TypeError comes first, with no network wait.
    with pytest.raises(TypeError, match=r"interceptors\[0\]"):
        await Client.connect("127.0.0.1:1", interceptors=[object()])


def test_intercept_client_is_called_once_at_construction() -> None:
    calls: List[Any] = []

    class Counting(Interceptor):
        def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
            calls.append(next)
            return next

    counting = Counting()
    client = Client("localhost:7233", interceptors=[counting])
    assert len(calls) == 1
    assert client.interceptors == [counting]
    client.get_workflow_handle("wf")
    assert len(calls) == 1


# ---- headers -----------------------------------------------------------------------------


class AddHeaders(OutboundInterceptor):
    """Adds header "x-op" (the operation) to start, signal and query."""

    async def start_workflow(self, input: StartWorkflowInput) -> Any:
        input.headers = {**input.headers, "x-op": payload("start")}
        return await super().start_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        input.headers = {**input.headers, "x-op": payload("signal")}
        await super().signal_workflow(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        input.headers = {**input.headers, "x-op": payload("query")}
        return await super().query_workflow(input)


async def test_headers_go_in_the_requests_header_field() -> None:
    client, service = fake_client(interceptors=[AddHeaders])
    service.queue("start_workflow_execution", wsv1().StartWorkflowExecutionResponse(run_id="r1"))
    service.queue(
        "signal_with_start_workflow_execution",
        wsv1().SignalWithStartWorkflowExecutionResponse(run_id="r2", started=True),
    )
    service.queue("signal_workflow_execution", wsv1().SignalWorkflowExecutionResponse())
    service.queue("query_workflow", wsv1().QueryWorkflowResponse())
    handle = await client.start_workflow("Wf", task_queue="tq")
    await client.start_workflow("Wf", task_queue="tq", start_signal="go")
    await handle.signal("s")
    await handle.query("q")
    start, sws, signal, query = (req for _, req, _ in service.calls)
    assert start.header.fields["x-op"].data == b'"start"'
    assert sws.header.fields["x-op"].data == b'"start"'
    assert signal.header.fields["x-op"].data == b'"signal"'
    assert query.query.header.fields["x-op"].data == b'"query"'


async def test_no_headers_by_default() -> None:
    client, service = fake_client()
    service.queue("start_workflow_execution", wsv1().StartWorkflowExecutionResponse(run_id="r1"))
    await client.start_workflow("Wf", task_queue="tq")
    assert not service.calls[0][1].HasField("header")


@pytest.mark.parametrize(
    "headers,error,match",
    [
        (
            {"x": "plain str"},
            TypeError,
            r"header 'x' of signal 's' must be a temporalio.api.common.v1.Payload, not str",
        ),
        ({5: None}, TypeError, "header name 5"),
        ([("x", 1)], TypeError, "headers of signal 's' must be a mapping"),
    ],
)
async def test_a_header_that_is_not_a_payload_is_named(
    headers: Any, error: type, match: str
) -> None:
    class Bad(OutboundInterceptor):
        async def signal_workflow(self, input: SignalWorkflowInput) -> None:
            input.headers = headers
            await super().signal_workflow(input)

    client, service = fake_client(interceptors=[Bad])
    with pytest.raises(error, match=match):
        await client.get_workflow_handle("wf").signal("s")
    assert service.calls == []


# ---- default query reject condition --------------------------------------------------------


async def test_default_query_reject_condition_applies_to_queries_without_one() -> None:
    from temporalio.api.query.v1 import QueryRejected

    log: List[Any] = []
    client, service = fake_client(
        default_workflow_query_reject_condition=QueryRejectCondition.NOT_OPEN,
        interceptors=[Recorder("r", log)],
    )
    assert client.default_workflow_query_reject_condition is QueryRejectCondition.NOT_OPEN
    service.queue(
        "query_workflow",
        wsv1().QueryWorkflowResponse(query_rejected=QueryRejected(status=2)),
        wsv1().QueryWorkflowResponse(),
    )
    handle = client.get_workflow_handle("wf")
    with pytest.raises(WorkflowQueryRejectedError):
        await handle.query("q")
    assert service.calls[0][1].query_reject_condition == QueryRejectCondition.NOT_OPEN
    assert log[0][3].reject_condition is QueryRejectCondition.NOT_OPEN
    # A query's own condition wins.
    await handle.query("q", reject_condition=QueryRejectCondition.NONE)
    assert service.calls[1][1].query_reject_condition == QueryRejectCondition.NONE


def test_bad_default_query_reject_condition_is_rejected() -> None:
    with pytest.raises(ValueError, match="default_workflow_query_reject_condition"):
        Client("localhost:7233", default_workflow_query_reject_condition=99)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="default_workflow_query_reject_condition"):
        Client("localhost:7233", default_workflow_query_reject_condition="NOT_OPEN")  # type: ignore[arg-type]


# ---- config() -------------------------------------------------------------------------------


def test_config_holds_the_options_and_the_live_connection() -> None:
    sc, _, _ = fake_connection(namespace="ns1", identity="id@host")
    rec = Recorder("r", [])
    dc = DataConverter()
    client = Client(
        sc,
        interceptors=[rec],
        data_converter=dc,
        default_workflow_query_reject_condition=QueryRejectCondition.NOT_COMPLETED_CLEANLY,
    )
    config = client.config()
    assert config == {
        "service_client": sc,
        "namespace": "ns1",
        "identity": "id@host",
        "data_converter": dc,
        "plugins": [],
        "interceptors": [rec],
        "default_workflow_query_reject_condition": QueryRejectCondition.NOT_COMPLETED_CLEANLY,
        "header_codec_behavior": HeaderCodecBehavior.NO_CODEC,
    }
    assert config["service_client"] is sc
    config["interceptors"].append(Interceptor())  # a copy: the client is unchanged
    assert client.config()["interceptors"] == [rec]


async def test_client_from_config_shares_the_connection_and_can_differ() -> None:
    sc, service, _ = fake_connection()
    original = Client(service_client=sc)
    log: List[Any] = []
    derived = Client(
        **{
            **original.config(),
            "namespace": "other",
            "interceptors": [Recorder("d", log)],
            "data_converter": PayloadConverter.default,
        }
    )
    assert derived.service_client is original.service_client is sc
    assert derived.namespace == "other" and original.namespace == "default"
    assert derived.identity == original.identity
    service.queue(
        "signal_workflow_execution",
        wsv1().SignalWorkflowExecutionResponse(),
        wsv1().SignalWorkflowExecutionResponse(),
    )
    await derived.get_workflow_handle("wf").signal("s")
    await original.get_workflow_handle("wf").signal("s")
    assert [req.namespace for _, req, _ in service.calls] == ["other", "default"]
    assert len(log) == 2  # only the derived client's call


def test_service_client_may_be_given_positionally_as_in_the_official_sdk() -> None:
    sc, _, _ = fake_connection(namespace="conn-ns")
    assert Client(sc).namespace == "conn-ns"  # default: the connection's namespace
    assert Client(sc, namespace="x").namespace == "x"
    assert Client(sc).service_client is sc


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(api_key="k"), "api_key: options of the connection"),
        (dict(tls=True, lazy=True), "lazy, tls: options of the connection"),
        (dict(rpc_metadata={"a": "b"}), "rpc_metadata"),
        (dict(keep_alive_config=None), "keep_alive_config"),
        (dict(target_host="localhost:7233"), "not both"),
    ],
)
def test_connection_options_cannot_come_with_a_service_client(
    kwargs: Dict[str, Any], match: str
) -> None:
    sc, _, _ = fake_connection()
    with pytest.raises(TypeError, match=match):
        Client(service_client=sc, **kwargs)


def test_defaults_of_connection_options_are_accepted_with_a_service_client() -> None:
    sc, _, _ = fake_connection()
    Client(
        service_client=sc,
        tls=None,
        api_key=None,
        rpc_metadata={},
        lazy=False,
        keep_alive_config=KeepAliveConfig.default,
    )


def test_bad_service_client_and_missing_target() -> None:
    with pytest.raises(
        TypeError, match="service_client must be a temporalio.service.ServiceClient"
    ):
        Client(service_client="localhost:7233")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="target_host"):
        Client()


def test_the_service_client_protocol_is_what_a_client_takes() -> None:
    from temporalio.service import ConnectConfig

    class FakeCore:
        def close(self) -> None:
            pass

    real = ServiceClient(ConnectConfig("localhost:7233"), FakeCore())
    assert isinstance(real, ServiceClientProtocol)
    assert isinstance(FakeServiceClient(), ServiceClientProtocol)

    class NoClose:  # one member short
        def __init__(self) -> None:
            fake = FakeServiceClient()
            self.config = fake.config
            self.workflow_service = fake.workflow_service
            self.operator_service = fake.operator_service

        def update_api_key(self, api_key: Optional[str]) -> None:
            pass

        def update_rpc_metadata(self, metadata: Any) -> None:
            pass

    with pytest.raises(
        TypeError,
        match=r"service_client must be a temporalio.service.ServiceClient "
        r"\(or implement temporalio.client.ServiceClientProtocol\), not NoClose",
    ):
        Client(service_client=NoClose())  # type: ignore[arg-type]


def test_api_key_and_rpc_metadata_of_a_client_go_to_its_service_client() -> None:
    sc, _, _ = fake_connection()
    client = Client(sc)
    client.api_key = "key"
    client.rpc_metadata = {"x-a": "b"}
    assert sc.config.api_key == "key" and client.api_key == "key"
    assert sc.config.rpc_metadata == {"x-a": "b"} and client.rpc_metadata == {"x-a": "b"}


async def test_closing_a_client_built_on_a_connection_leaves_it_open() -> None:
    sc, _, core = fake_connection()
    derived = Client(service_client=sc)
    async with derived as same:  # no connect: it is ready
        assert same is derived and same.service_client is sc
    assert not core.closed
    with pytest.raises(RuntimeError, match="not connected"):
        derived.service
    with pytest.raises(RuntimeError, match="closed; it was built on another client's connection"):
        async with derived:
            pass
    assert Client(service_client=sc).service_client is sc  # still usable by others


async def test_closing_the_client_that_opened_the_connection_closes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sc, _, core = fake_connection()
    opened: List[Any] = []

    async def connect(config: Any) -> Any:
        opened.append(config)
        return sc

    monkeypatch.setattr(ServiceClient, "connect", staticmethod(connect))
    owner = await Client.connect("localhost:7233", namespace="ns1")
    assert [c.target_host for c in opened] == ["localhost:7233"]
    assert opened[0].namespace == "ns1" and owner.service_client is sc
    derived = Client(**owner.config())
    await owner.close()
    assert core.closed
    assert derived.service_client is sc  # its calls now fail on the closed connection


def test_config_of_an_unconnected_client_says_so() -> None:
    with pytest.raises(RuntimeError, match="not connected"):
        Client("localhost:7233").config()


def test_import_keeps_protobuf_out() -> None:
    import subprocess
    import sys

    code = (
        "import sys, temporalio.client as c; c.Interceptor(); c.StartWorkflowInput; "
        "bad = [m for m in sys.modules if m.startswith(('google.protobuf', 'temporalio.api', "
        "'temporalio._bridge'))]; print(bad); assert not bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
