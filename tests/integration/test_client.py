"""The client's workflow API against a real dev server, with the workflow code
run by the peer host (workflow type ``KitchenSink``, driven by its input's
actions; see tests/peer/README.md)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Dict, List

import pytest

from temporalio.client import (
    Client,
    WorkflowAlreadyStartedError,
    WorkflowContinuedAsNewError,
    WorkflowExecutionDescription,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.common import (
    QueryRejectCondition,
    RetryPolicy,
    WorkflowExecutionStatus,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import (
    ApplicationError,
    CancelledError,
    TerminatedError,
    TimeoutError,
    TimeoutType,
)
from temporalio.service import NotFoundError, RPCError, RPCStatusCode
from tests.peer.peerhost import WORKFLOW_TYPE, actions

# A workflow that waits for signal "go" and returns its args.
WAIT_FOR_GO = ({"await_signal": {"name": "go"}}, {"return_last": {}})


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


async def history_events(client: Client, workflow_id: str, run_id: str = "") -> List[Any]:
    from temporalio.api.common.v1 import WorkflowExecution
    from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest

    resp = await client.service.get_workflow_execution_history(
        GetWorkflowExecutionHistoryRequest(
            namespace=client.namespace,
            execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
        )
    )
    return list(resp.history.events)


# ---- start and result ------------------------------------------------------------------


async def test_start_workflow_and_result(client: Client, peer_task_queue: str) -> None:
    handle = await start(client, peer_task_queue, {"result": {"value": {"ok": True, "n": [1, 2]}}})
    assert handle.id
    assert uuid.UUID(handle.id)  # default id: a uuid4
    assert handle.run_id is None
    assert handle.result_run_id and handle.first_execution_run_id == handle.result_run_id
    assert await handle.result() == {"ok": True, "n": [1, 2]}


async def test_start_workflow_with_given_id_and_args(client: Client, peer_task_queue: str) -> None:
    wf_id = f"wf-{uuid.uuid4()}"
    handle = await start(client, peer_task_queue, {"result": {"value": "x"}}, id=wf_id)
    assert handle.id == wf_id
    assert await handle.result() == "x"
    (started, *_) = await history_events(client, wf_id)
    attrs = started.workflow_execution_started_event_attributes
    assert attrs.workflow_type.name == WORKFLOW_TYPE
    assert attrs.task_queue.name == peer_task_queue
    assert attrs.identity == client.identity


async def test_execute_workflow(client: Client, peer_task_queue: str) -> None:
    result = await client.execute_workflow(
        WORKFLOW_TYPE,
        actions({"sleep": {"millis": 10}}, {"result": {"value": [1, "two", None]}}),
        task_queue=peer_task_queue,
    )
    assert result == [1, "two", None]


@dataclass
class Point:
    x: int
    y: int


async def test_result_type_converts_the_result(client: Client, peer_task_queue: str) -> None:
    handle = await start(
        client, peer_task_queue, {"result": {"value": {"x": 1, "y": 2}}}, result_type=Point
    )
    assert await handle.result() == Point(1, 2)


async def test_no_result_is_none(client: Client, peer_task_queue: str) -> None:
    assert (
        await client.execute_workflow(WORKFLOW_TYPE, actions(), task_queue=peer_task_queue) is None
    )


async def test_two_results_of_one_handle_each_ask_the_server(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start(client, peer_task_queue, {"result": {"value": 7}})
    service = client.service
    real = service.get_workflow_execution_history
    calls: List[Any] = []

    async def counting(req: Any, **kwargs: Any) -> Any:
        calls.append((req, kwargs))
        return await real(req, **kwargs)

    service.get_workflow_execution_history = counting  # type: ignore[method-assign]
    try:
        assert await handle.result() == 7
        first = len(calls)
        assert await handle.result() == 7
    finally:
        del service.get_workflow_execution_history
    assert first >= 1 and len(calls) >= 2 * first
    req, kwargs = calls[0]
    assert req.wait_new_event and req.history_event_filter_type == 2  # CLOSE_EVENT
    assert kwargs["timeout"] == timedelta(seconds=70)
    assert kwargs["metadata"]["supported-features"] == "follows-next-run-id"


async def test_result_waits_for_a_workflow_still_running(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start(client, peer_task_queue, *WAIT_FOR_GO)
    result = asyncio.ensure_future(handle.result())
    await asyncio.sleep(0.5)
    assert not result.done()
    await handle.signal("go", "now")
    assert await asyncio.wait_for(result, 30) == ["now"]


# ---- ids --------------------------------------------------------------------------------


async def test_duplicate_id_of_running_workflow_raises_already_started(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start(client, peer_task_queue, *WAIT_FOR_GO)
    with pytest.raises(WorkflowAlreadyStartedError) as info:
        await start(client, peer_task_queue, *WAIT_FOR_GO, id=handle.id)
    assert info.value.workflow_id == handle.id
    assert info.value.workflow_type == WORKFLOW_TYPE
    assert info.value.run_id == handle.result_run_id
    await handle.terminate()


async def test_duplicate_id_after_close_is_allowed_with_allow_duplicate(
    client: Client, peer_task_queue: str
) -> None:
    wf_id = f"wf-{uuid.uuid4()}"
    first = await start(client, peer_task_queue, {"result": {"value": 1}}, id=wf_id)
    assert await first.result() == 1
    second = await start(
        client,
        peer_task_queue,
        {"result": {"value": 2}},
        id=wf_id,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    assert second.result_run_id != first.result_run_id
    assert await second.result() == 2
    # The default is ALLOW_DUPLICATE too.
    third = await start(client, peer_task_queue, {"result": {"value": 3}}, id=wf_id)
    assert await third.result() == 3
    # The first handle still reads its own run.
    assert await first.result() == 1


async def test_duplicate_id_after_close_is_rejected_with_reject_duplicate(
    client: Client, peer_task_queue: str
) -> None:
    wf_id = f"wf-{uuid.uuid4()}"
    await (await start(client, peer_task_queue, id=wf_id)).result()
    with pytest.raises(WorkflowAlreadyStartedError):
        await start(
            client,
            peer_task_queue,
            id=wf_id,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )


# ---- signal-with-start and signals --------------------------------------------------------


async def test_signal_with_start_delivers_the_signal_before_the_first_task(
    client: Client, peer_task_queue: str
) -> None:
    # return_signals is the first action: it sees only what the first task had.
    handle = await start(
        client,
        peer_task_queue,
        {"return_signals": {}},
        start_signal="hello",
        start_signal_args=["a", {"b": 2}],
    )
    signals = await handle.result()
    assert [(s["name"], s["args"]) for s in signals] == [("hello", ["a", {"b": 2}])]
    events = await history_events(client, handle.id)
    kinds = [e.WhichOneof("attributes") for e in events[:3]]
    assert kinds[:2] == [
        "workflow_execution_started_event_attributes",
        "workflow_execution_signaled_event_attributes",
    ]


async def test_signal_with_start_signals_a_running_workflow(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start(client, peer_task_queue, *WAIT_FOR_GO)
    again = await start(
        client,
        peer_task_queue,
        *WAIT_FOR_GO,
        id=handle.id,
        start_signal="go",
        start_signal_args=[9],
    )
    assert again.result_run_id == handle.result_run_id
    assert await handle.result() == [9]


async def test_signal_is_delivered_with_args(client: Client, peer_task_queue: str) -> None:
    handle = await start(
        client, peer_task_queue, {"await_signal": {"name": "go"}}, {"return_signals": {}}
    )
    await handle.signal("go", "x", {"k": [1, 2]}, None)
    signals = await handle.result()
    assert [(s["name"], s["args"]) for s in signals] == [("go", ["x", {"k": [1, 2]}, None])]


# ---- continue-as-new ------------------------------------------------------------------------


async def test_result_follows_continue_as_new(client: Client, peer_task_queue: str) -> None:
    handle = await start(
        client,
        peer_task_queue,
        {
            "continue_as_new": {
                "input": actions(
                    {"continue_as_new": {"input": actions({"result": {"value": "third run"}})}}
                )
            }
        },
    )
    assert await handle.result() == "third run"
    assert await handle.result(follow_runs=True) == "third run"


async def test_result_without_follow_runs_raises_continued_as_new(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start(
        client,
        peer_task_queue,
        {"continue_as_new": {"input": actions({"result": {"value": "second run"}})}},
    )
    with pytest.raises(WorkflowContinuedAsNewError) as info:
        await handle.result(follow_runs=False)
    new_run = info.value.new_execution_run_id
    assert new_run and new_run != handle.result_run_id
    second = client.get_workflow_handle(handle.id, run_id=new_run)
    assert await second.result(follow_runs=False) == "second run"
    first = await client.get_workflow_handle(handle.id, run_id=handle.result_run_id).describe()
    assert first.status == WorkflowExecutionStatus.CONTINUED_AS_NEW


# ---- failures --------------------------------------------------------------------------------


async def test_failure_raises_workflow_failure_error_with_application_error(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start(
        client,
        peer_task_queue,
        {
            "error": {
                "message": "it broke",
                "type": "MyFailure",
                "details": ["d1", {"n": 2}],
                "non_retryable": True,
            }
        },
    )
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.message == "it broke"
    assert cause.type == "MyFailure"
    assert list(cause.details) == ["d1", {"n": 2}]
    assert cause.non_retryable
    assert info.value.__cause__ is cause


async def test_cancel_raises_workflow_failure_error_with_cancelled_error(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start(client, peer_task_queue, *WAIT_FOR_GO)
    await wait_for_first_task(handle)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, CancelledError)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED


async def test_terminate_with_reason_and_details_raises_terminated_error(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start(client, peer_task_queue, *WAIT_FOR_GO)
    await handle.terminate("detail one", {"two": 2}, reason="enough")
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    cause = info.value.cause
    assert isinstance(cause, TerminatedError)
    assert cause.message == "enough"
    assert list(cause.details) == ["detail one", {"two": 2}]
    events = await history_events(client, handle.id)
    term = events[-1].workflow_execution_terminated_event_attributes
    assert term.reason == "enough" and term.identity == client.identity
    assert (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED


async def test_execution_timeout_raises_timeout_error(client: Client, peer_task_queue: str) -> None:
    handle = await start(
        client,
        peer_task_queue,
        {"sleep": {"millis": 60_000}},
        execution_timeout=timedelta(seconds=1),
    )
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, TimeoutError)
    assert info.value.cause.type == TimeoutType.START_TO_CLOSE
    assert (await handle.describe()).status == WorkflowExecutionStatus.TIMED_OUT


async def test_cancel_of_a_missing_workflow_raises_not_found(client: Client) -> None:
    handle = client.get_workflow_handle(f"missing-{uuid.uuid4()}")
    with pytest.raises(NotFoundError) as info:
        await handle.cancel()
    assert isinstance(info.value, RPCError) and info.value.status == RPCStatusCode.NOT_FOUND


async def test_terminate_of_a_missing_workflow_raises_not_found(client: Client) -> None:
    handle = client.get_workflow_handle(f"missing-{uuid.uuid4()}")
    with pytest.raises(NotFoundError):
        await handle.terminate(reason="no such workflow")


async def test_result_of_a_missing_workflow_raises_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError):
        await client.get_workflow_handle(f"missing-{uuid.uuid4()}").result()


# ---- describe --------------------------------------------------------------------------------


async def test_describe_running_then_completed(client: Client, peer_task_queue: str) -> None:
    handle = await start(client, peer_task_queue, *WAIT_FOR_GO, memo={"owner": "tests", "n": 3})
    await wait_for_first_task(handle)
    desc = await handle.describe()
    assert isinstance(desc, WorkflowExecutionDescription)
    assert desc.status == WorkflowExecutionStatus.RUNNING
    assert desc.id == handle.id and desc.run_id == handle.result_run_id
    assert desc.workflow_type == WORKFLOW_TYPE
    assert desc.task_queue == peer_task_queue
    assert desc.namespace == client.namespace
    assert desc.start_time is not None and desc.start_time.tzinfo is not None
    assert desc.close_time is None
    assert desc.history_length >= 4
    assert desc.parent_id is None
    assert desc.raw_description.workflow_execution_info.execution.workflow_id == handle.id
    assert await desc.memo() == {"owner": "tests", "n": 3}

    await handle.signal("go")
    await handle.result()
    done = await handle.describe()
    assert done.status == WorkflowExecutionStatus.COMPLETED
    assert done.close_time is not None and done.close_time >= done.start_time
    assert done.history_length > desc.history_length


# ---- queries ---------------------------------------------------------------------------------


async def test_query_returns_the_handlers_value(client: Client, peer_task_queue: str) -> None:
    handle = await start(
        client,
        peer_task_queue,
        {"query_handler": {"name": "state", "value": {"phase": "waiting", "n": [1]}}},
        *WAIT_FOR_GO,
    )
    await wait_for_first_task(handle)
    assert await handle.query("state") == {"phase": "waiting", "n": [1]}
    assert await handle.query("state", "ignored arg", 2) == {"phase": "waiting", "n": [1]}
    await handle.signal("go", 1)
    assert await handle.result() == [1]
    assert await handle.query("signals") == [{"name": "go", "args": [1], "headers": {}}]


async def test_query_with_result_type(client: Client, peer_task_queue: str) -> None:
    handle = await start(
        client, peer_task_queue, {"query_handler": {"name": "p", "value": {"x": 3, "y": 4}}}
    )
    await handle.result()
    assert await handle.query("p", result_type=Point) == Point(3, 4)


async def test_unknown_query_raises_query_failed(client: Client, peer_task_queue: str) -> None:
    handle = await start(client, peer_task_queue, *WAIT_FOR_GO)
    await wait_for_first_task(handle)
    with pytest.raises(WorkflowQueryFailedError) as info:
        await handle.query("no-such-query")
    assert "no-such-query" in info.value.message
    await handle.terminate()


async def test_failing_query_handler_raises_query_failed(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start(
        client,
        peer_task_queue,
        {"query_handler": {"name": "bad", "error": "query exploded"}},
        *WAIT_FOR_GO,
    )
    await wait_for_first_task(handle)
    with pytest.raises(WorkflowQueryFailedError) as info:
        await handle.query("bad")
    assert "query exploded" in info.value.message
    await handle.terminate()


async def test_query_reject_condition_on_closed_workflow_raises_rejected(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start(client, peer_task_queue, {"result": {"value": 1}})
    await handle.result()
    # A closed workflow is still queryable without a reject condition...
    assert await handle.query("signals") == []
    assert await handle.query("signals", reject_condition=QueryRejectCondition.NONE) == []
    assert (
        await handle.query("signals", reject_condition=QueryRejectCondition.NOT_COMPLETED_CLEANLY)
        == []
    )
    # ...but NOT_OPEN rejects it.
    with pytest.raises(WorkflowQueryRejectedError) as info:
        await handle.query("signals", reject_condition=QueryRejectCondition.NOT_OPEN)
    assert info.value.status == WorkflowExecutionStatus.COMPLETED


async def test_query_reject_not_completed_cleanly_on_failed_workflow(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start(
        client, peer_task_queue, {"error": {"message": "x", "non_retryable": True}}
    )
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    with pytest.raises(WorkflowQueryRejectedError) as info:
        await handle.query("signals", reject_condition=QueryRejectCondition.NOT_COMPLETED_CLEANLY)
    assert info.value.status == WorkflowExecutionStatus.FAILED


# ---- retry policy ----------------------------------------------------------------------------


async def test_workflow_retry_policy_retries_are_visible(
    client: Client, peer_task_queue: str
) -> None:
    policy = RetryPolicy(
        initial_interval=timedelta(milliseconds=100), backoff_coefficient=1.0, maximum_attempts=3
    )
    handle = await start(
        client,
        peer_task_queue,
        {"error": {"message": "again", "type": "Flaky"}},
        retry_policy=policy,
    )
    # Without following runs, the first attempt's failure is the answer.
    with pytest.raises(WorkflowFailureError) as first:
        await handle.result(follow_runs=False)
    assert isinstance(first.value.cause, ApplicationError)
    # Following runs, the last attempt's.
    with pytest.raises(WorkflowFailureError) as last:
        await handle.result()
    assert isinstance(last.value.cause, ApplicationError) and last.value.cause.type == "Flaky"

    latest = await client.get_workflow_handle(handle.id).describe()
    assert latest.status == WorkflowExecutionStatus.FAILED
    assert latest.run_id != handle.result_run_id
    (started, *_) = await history_events(client, handle.id, latest.run_id)
    attrs = started.workflow_execution_started_event_attributes
    assert attrs.attempt == 3
    assert attrs.first_execution_run_id == handle.result_run_id
    assert attrs.continued_execution_run_id  # the previous attempt
    assert RetryPolicy.from_proto(attrs.retry_policy) == RetryPolicy(
        initial_interval=timedelta(milliseconds=100),
        backoff_coefficient=1.0,
        maximum_interval=attrs.retry_policy.maximum_interval.ToTimedelta(),
        maximum_attempts=3,
    )


async def test_non_retryable_error_type_stops_workflow_retries(
    client: Client, peer_task_queue: str
) -> None:
    policy = RetryPolicy(
        initial_interval=timedelta(milliseconds=100),
        maximum_attempts=5,
        non_retryable_error_types=["Fatal"],
    )
    handle = await start(
        client, peer_task_queue, {"error": {"message": "no", "type": "Fatal"}}, retry_policy=policy
    )
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    latest = await client.get_workflow_handle(handle.id).describe()
    assert latest.run_id == handle.result_run_id  # no second attempt


# ---- handles from get_workflow_handle ------------------------------------------------------------


async def test_handle_from_get_workflow_handle(client: Client, peer_task_queue: str) -> None:
    started = await start(client, peer_task_queue, *WAIT_FOR_GO)
    handle = client.get_workflow_handle(started.id)
    assert handle.id == started.id and handle.run_id is None
    await wait_for_first_task(handle)
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    await handle.signal("go", "via get")
    assert await handle.result() == ["via get"]

    other = await start(client, peer_task_queue, *WAIT_FOR_GO)
    pinned = client.get_workflow_handle(
        other.id, run_id=other.result_run_id, first_execution_run_id=other.first_execution_run_id
    )
    assert pinned.run_id == other.result_run_id
    await pinned.cancel()
    with pytest.raises(WorkflowFailureError) as info:
        await pinned.result()
    assert isinstance(info.value.cause, CancelledError)


async def test_handle_pinned_to_an_old_run_targets_that_run(
    client: Client, peer_task_queue: str
) -> None:
    wf_id = f"wf-{uuid.uuid4()}"
    old = await start(client, peer_task_queue, {"result": {"value": "old"}}, id=wf_id)
    await old.result()
    new = await start(client, peer_task_queue, *WAIT_FOR_GO, id=wf_id)
    pinned_old = client.get_workflow_handle(wf_id, run_id=old.result_run_id)
    assert (await pinned_old.describe()).status == WorkflowExecutionStatus.COMPLETED
    assert (
        await client.get_workflow_handle(wf_id).describe()
    ).status == WorkflowExecutionStatus.RUNNING
    # Terminating the closed old run fails; the new one is untouched.
    with pytest.raises(RPCError):
        await pinned_old.terminate(reason="too late")
    await new.signal("go")
    assert await new.result() == []


async def test_rpc_timeout_and_metadata_options_are_accepted(
    client: Client, peer_task_queue: str
) -> None:
    handle = await start(
        client,
        peer_task_queue,
        {"result": {"value": 5}},
        rpc_timeout=timedelta(seconds=10),
        rpc_metadata={"x-test": "1"},
    )
    assert await handle.result(rpc_timeout=timedelta(seconds=5), rpc_metadata={"x-test": "2"}) == 5
    assert (
        await handle.describe(rpc_timeout=timedelta(seconds=5))
    ).status == WorkflowExecutionStatus.COMPLETED


async def test_unknown_search_attribute_is_rejected_by_the_server(
    client: Client, peer_task_queue: str
) -> None:
    with pytest.raises(RPCError) as info:
        await start(client, peer_task_queue, search_attributes={"NoSuchAttribute_x1": "v"})
    assert info.value.status == RPCStatusCode.INVALID_ARGUMENT


@pytest.fixture
async def custom_search_attributes(client: Client) -> Dict[str, int]:
    """Search attributes registered for these tests (name -> IndexedValueType)."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest

    from temporalio.service import AlreadyExistsError

    attrs = {
        "SdkCTestKeyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        "SdkCTestInt": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    }
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=attrs)
        )
    except AlreadyExistsError:
        pass
    return attrs


async def test_search_attributes_are_set_and_described(
    client: Client, peer_task_queue: str, custom_search_attributes: Dict[str, int]
) -> None:
    handle = await start(
        client,
        peer_task_queue,
        {"result": {"value": None}},
        search_attributes={"SdkCTestKeyword": "blue", "SdkCTestInt": 42},
    )
    await handle.result()
    desc = await handle.describe()
    assert desc.search_attributes["SdkCTestKeyword"] == "blue"
    assert desc.search_attributes["SdkCTestInt"] == 42
