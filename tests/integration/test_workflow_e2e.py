"""Workflows on our own worker, end to end against the dev server: the C
core polls workflow tasks and runs the state machines, the Python
sub-worker runs the workflow code (no other SDK involved)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, List, Optional

import pytest

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker
from tests.integration.workflow_history import new_workflow_id as _id

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


@activity.defn
async def say_hello(name: str) -> str:
    return f"Hello, {name}!"


@workflow.defn
class HelloWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            say_hello, name, start_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn
class TimerWorkflow:
    @workflow.run
    async def run(self, n: int) -> List[str]:
        out = []
        for i in range(n):
            await workflow.sleep(0.1)
            out.append(f"tick {i}")
        return out


async def test_hello_workflow_calls_activity(client: Client, task_queue: str) -> None:
    async with Worker(
        client, task_queue=task_queue, workflows=[HelloWorkflow], activities=[say_hello]
    ):
        result = await client.execute_workflow(
            "HelloWorkflow",
            "Temporal",
            id=_id(),
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
    assert result == "Hello, Temporal!"


@pytest.mark.parametrize("cache", [1000, 0])
async def test_timers(client: Client, task_queue: str, cache: int) -> None:
    async with Worker(
        client, task_queue=task_queue, workflows=[TimerWorkflow], max_cached_workflows=cache
    ):
        result = await client.execute_workflow(
            TimerWorkflow.run,  # the type name from the class: "TimerWorkflow"
            3,
            id=_id(),
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
    assert result == ["tick 0", "tick 1", "tick 2"]


# ---- the client with our @workflow.defn classes (the official SDK's typed forms) ------------


@dataclass
class Greeting:
    text: str
    count: int


@workflow.defn(name="typed-greeter")
class TypedGreeter:
    def __init__(self) -> None:
        self.names: List[str] = []
        self.done = False

    @workflow.run
    async def run(self, first: Greeting) -> Greeting:
        self.names.append(first.text)
        await workflow.wait_condition(lambda: self.done)
        return Greeting(text=", ".join(self.names), count=len(self.names))

    @workflow.signal(name="add-name")
    async def add(self, name: str) -> None:
        self.names.append(name)

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query(name="current")
    def current(self) -> Greeting:
        return Greeting(text=", ".join(self.names), count=len(self.names))

    @workflow.query
    def last(self, default: str) -> Optional[str]:
        return self.names[-1] if self.names else default


async def test_client_with_workflow_class_methods(client: Client, task_queue: str) -> None:
    """``start_workflow(Cls.run)``: the type name from the class's
    definition (``typed-greeter``), the argument and the result converted by
    the run method's annotations (a dataclass back, not a dict);
    ``get_workflow_handle_for``, ``signal(Cls.method)`` (also one with its
    own name) and ``query(Cls.method)`` typed by the query's annotation."""
    from temporalio.api.common.v1 import WorkflowExecution
    from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest

    wid = _id()
    async with Worker(client, task_queue=task_queue, workflows=[TypedGreeter]):
        h = await client.start_workflow(
            TypedGreeter.run,
            Greeting("Ada", 1),
            id=wid,
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
        desc = await client.service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=client.namespace, execution=WorkflowExecution(workflow_id=wid)
            )
        )
        assert desc.workflow_execution_info.type.name == "typed-greeter"
        # (a query answered after the first task: the run method went first)
        first = await h.query(TypedGreeter.current)
        assert first == Greeting(text="Ada", count=1) and isinstance(first, Greeting)
        await h.signal(TypedGreeter.add, "Grace")
        cur = await h.query(TypedGreeter.current)
        assert cur == Greeting(text="Ada, Grace", count=2) and isinstance(cur, Greeting)
        assert await h.query(TypedGreeter.last, "none") == "Grace"
        h2 = client.get_workflow_handle_for(TypedGreeter.run, wid)
        assert isinstance(await h2.query(TypedGreeter.current), Greeting)
        await h2.signal(TypedGreeter.finish)
        result = await h2.result()
        assert isinstance(result, Greeting), type(result)
        assert result == Greeting(text="Ada, Grace", count=2)
        assert await h.result() == result  # typed by start_workflow's run method too
        # execute_workflow with the run method: a typed result
        again = await client.execute_workflow(
            TypedGreeter.run,
            Greeting("Lin", 1),
            id=_id(),
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
            start_signal="finish",
        )
        assert again == Greeting(text="Lin", count=1) and isinstance(again, Greeting)
        # untyped handle: the same result decodes to a plain dict
        assert await client.get_workflow_handle(wid).result() == {"text": "Ada, Grace", "count": 2}


# ---- eager workflow start ------------------------------------------------------------------


async def _first_task_events(client: Client, workflow_id: str) -> List[Any]:
    """The history's events from the first WorkflowTaskStarted on."""
    from temporalio.api.common.v1 import WorkflowExecution
    from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest

    resp = await client.service.get_workflow_execution_history(
        GetWorkflowExecutionHistoryRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    events = list(resp.history.events)
    kinds = [e.WhichOneof("attributes") for e in events]
    assert "workflow_task_timed_out_event_attributes" not in kinds, kinds
    i = kinds.index("workflow_task_started_event_attributes")
    assert kinds[i + 1] == "workflow_task_completed_event_attributes", kinds
    return events[i:]


async def _start_one_tick(client: Client, task_queue: str, **options: Any) -> Any:
    """Starts TimerWorkflow (one tick: result ``["tick 0"]``) on
    ``task_queue`` with the start ``options``; returns its handle."""
    return await client.start_workflow(
        TimerWorkflow.run,
        1,
        id=_id(),
        task_queue=task_queue,
        execution_timeout=timedelta(seconds=60),
        **options,
    )


async def test_eager_workflow_start(client: Client, task_queue: str) -> None:
    """request_eager_start with our worker running on the same client and
    task queue: the first workflow task comes back in the start response and
    goes to the worker; its WorkflowTaskStarted carries the starting client's
    identity (a polled task carries the poller's), and it is completed (not
    left to time out)."""
    worker_identity = f"eager-worker-{uuid.uuid4()}"
    assert worker_identity != client.identity
    async with Worker(
        client, task_queue=task_queue, workflows=[TimerWorkflow], identity=worker_identity
    ):
        h = await _start_one_tick(client, task_queue, request_eager_start=True)
        assert await h.result() == ["tick 0"]
        events = await _first_task_events(client, h.id)
        assert events[0].workflow_task_started_event_attributes.identity == client.identity
        assert events[1].workflow_task_completed_event_attributes.identity == worker_identity
        # without the request: an ordinary start, the task polled by the worker
        h2 = await _start_one_tick(client, task_queue)
        assert await h2.result() == ["tick 0"]
        events = await _first_task_events(client, h2.id)
        assert events[0].workflow_task_started_event_attributes.identity == worker_identity


async def test_eager_start_not_requested_without_a_worker(client: Client, task_queue: str) -> None:
    """request_eager_start with no workflow worker for the task queue on this
    client: eager execution is not requested (else the server would hand the
    task to nobody and it would wait out its timeout); the worker started
    later polls it."""
    worker_identity = f"late-worker-{uuid.uuid4()}"
    h = await _start_one_tick(client, task_queue, request_eager_start=True)
    async with Worker(
        client, task_queue=task_queue, workflows=[TimerWorkflow], identity=worker_identity
    ):
        assert await h.result() == ["tick 0"]
    events = await _first_task_events(client, h.id)
    assert events[0].workflow_task_started_event_attributes.identity == worker_identity
