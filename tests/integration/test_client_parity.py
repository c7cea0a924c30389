"""Client features of the official SDK against a real dev server: listing and
counting workflows, histories (and their JSON), async activity completion
(from another process), the ``arg``/``args`` call forms and the start options.
Workflows run on the peer host (official SDK, type ``KitchenSink``; see
tests/peer/README.md); activities on our worker."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, TypeVar

import pytest

from temporalio import activity, workflow
from temporalio.client import (
    AsyncActivityCancelledError,
    Client,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowHistory,
    WorkflowHistoryEventFilterType,
)
from temporalio.common import Priority
from temporalio.exceptions import ApplicationError
from temporalio.service import NotFoundError
from temporalio.worker import Worker
from tests.peer.peerhost import WORKFLOW_TYPE, actions

ROOT = Path(__file__).resolve().parent.parent.parent
T = TypeVar("T")


async def eventually(
    fn: Callable[[], Awaitable[T]],
    ok: Callable[[T], bool],
    what: str,
    show: Callable[[T], Any] = repr,
    seconds: float = 60.0,
) -> T:
    """Poll ``fn`` until ``ok`` holds (visibility is eventually consistent,
    and lags behind under load); bounded by ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    value = await fn()
    while not ok(value):
        if loop.time() > deadline:
            raise AssertionError(f"{what}: still {show(value)} after {seconds:.0f} s")
        await asyncio.sleep(0.2)
        value = await fn()
    return value


def _brief(executions: List[WorkflowExecution]) -> List[Any]:
    return [(w.id, w.status, w.close_time) for w in executions]


async def completed(client: Client, tq: str, value: Any, **kwargs: Any) -> WorkflowHandle[Any, Any]:
    handle = await client.start_workflow(
        WORKFLOW_TYPE,
        actions({"result": {"value": value}}),
        task_queue=tq,
        execution_timeout=timedelta(seconds=60),
        **kwargs,
    )
    await handle.result()
    return handle


# ---- list_workflows / count_workflows ---------------------------------------------------


async def test_list_and_count_workflows(client: Client, peer_task_queue: str) -> None:
    handles = [await completed(client, peer_task_queue, i) for i in range(3)]
    ids = {h.id for h in handles}
    # The peer task queue is shared by the session's tests: select these by id.
    query = "WorkflowId IN ({})".format(", ".join(f"'{i}'" for i in sorted(ids)))

    async def listed(**kwargs: Any) -> List[WorkflowExecution]:
        return [w async for w in client.list_workflows(query, **kwargs)]

    execs = await eventually(
        listed,
        lambda v: {w.id for w in v} == ids and all(w.close_time for w in v),
        f"list_workflows (expected {sorted(ids)}, all closed)",
        _brief,
    )
    by_id = {w.id: w for w in execs}
    for h in handles:
        w = by_id[h.id]
        assert w.run_id == h.result_run_id
        assert w.workflow_type == WORKFLOW_TYPE
        assert w.task_queue == peer_task_queue
        assert w.namespace == client.namespace
        assert w.status == WorkflowExecutionStatus.COMPLETED
        assert w.start_time is not None and w.close_time is not None
        assert w.close_time >= w.start_time
        assert w.history_length >= 5
        assert w.parent_id is None and w.raw_info.execution.workflow_id == h.id
        assert w.root_id in (None, h.id)

    # Paging: one per page still yields all; limit stops early.
    it = client.list_workflows(query, page_size=1)
    paged = [w.id async for w in it]
    assert sorted(paged) == sorted(ids)
    assert it.next_page_token is None
    assert len(await listed(limit=2)) == 2
    assert len(await listed(limit=2, page_size=1)) == 2
    # A manual page.
    it = client.list_workflows(query, page_size=2)
    await it.fetch_next_page()
    assert it.current_page is not None and len(it.current_page) == 2
    assert it.next_page_token is not None
    rest = [
        w.id
        async for w in client.list_workflows(query, page_size=2, next_page_token=it.next_page_token)
    ]
    assert len(rest) == 1 and rest[0] not in {w.id for w in it.current_page}

    count = await eventually(
        lambda: client.count_workflows(query), lambda c: c.count == 3, "count_workflows"
    )
    assert count.groups == []
    grouped = await client.count_workflows(f"{query} GROUP BY ExecutionStatus")
    assert grouped.count == 3
    assert [(g.count, list(g.group_values)) for g in grouped.groups] == [(3, ["Completed"])]

    # Each run's history, in listing order.
    histories = [h async for h in client.list_workflows(query).map_histories()]
    assert sorted(h.workflow_id for h in histories) == sorted(ids)
    for history in histories:
        assert history.events[0].HasField("workflow_execution_started_event_attributes")
        assert history.events[-1].HasField("workflow_execution_completed_event_attributes")


async def test_list_workflows_bad_query_raises_on_iteration(client: Client) -> None:
    it = client.list_workflows("NoSuchThing ~~~ 'x'")  # no call yet
    with pytest.raises(Exception) as info:
        await it.__anext__()
    assert "NoSuchThing" in str(info.value) or "invalid" in str(info.value).lower()
    with pytest.raises(ValueError, match="limit must be at least 1"):
        client.list_workflows(limit=0)


# ---- histories ----------------------------------------------------------------------------


async def test_fetch_history_and_json_round_trip(client: Client, peer_task_queue: str) -> None:
    handle = await client.start_workflow(
        WORKFLOW_TYPE,
        actions({"await_signal": {"name": "go"}}, {"return_last": {}}),
        task_queue=peer_task_queue,
        execution_timeout=timedelta(seconds=60),
    )
    # A long poll that ends at the close event, fed by the signal.
    events_seen: List[Any] = []

    async def follow() -> None:
        async for event in handle.fetch_history_events(wait_new_event=True):
            events_seen.append(event)

    follower = asyncio.ensure_future(follow())
    await asyncio.sleep(0.5)
    assert not follower.done()
    await handle.signal("go", arg={"n": 1})
    assert await handle.result() == [{"n": 1}]
    await asyncio.wait_for(follower, 30)

    history = await handle.fetch_history()
    assert isinstance(history, WorkflowHistory)
    assert history.workflow_id == handle.id
    assert history.run_id == handle.result_run_id
    assert [e.event_id for e in history.events] == list(range(1, len(history.events) + 1))
    assert history.events[-1].HasField("workflow_execution_completed_event_attributes")
    assert [e.event_id for e in events_seen] == [e.event_id for e in history.events]

    paged = [e.event_id async for e in handle.fetch_history_events(page_size=2)]
    assert paged == [e.event_id for e in history.events]
    close = [
        e
        async for e in handle.fetch_history_events(
            event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT
        )
    ]
    assert len(close) == 1 and close[0].event_id == history.events[-1].event_id

    # JSON: ours round-trips, as a str and as a dict.
    text = history.to_json()
    assert json.loads(text)["events"][0]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
    assert WorkflowHistory.from_json(handle.id, text) == history
    assert WorkflowHistory.from_json(handle.id, history.to_json_dict()) == history

    # The older export's short enum names (eventType "WorkflowExecutionStarted", ...).
    old = json.loads(text)
    for event in old["events"]:
        event["eventType"] = _pascal(event["eventType"], "EVENT_TYPE_")
        for attrs in event.values():
            if isinstance(attrs, dict) and isinstance(attrs.get("taskQueue"), dict):
                kind = attrs["taskQueue"].get("kind")
                if kind:
                    attrs["taskQueue"]["kind"] = _pascal(kind, "TASK_QUEUE_KIND_")
    assert old["events"][0]["eventType"] == "WorkflowExecutionStarted"
    assert WorkflowHistory.from_json(handle.id, json.dumps(old)) == history

    with pytest.raises(ValueError, match="events"):
        WorkflowHistory.from_json("x", {"no": "events"})
    with pytest.raises(NotFoundError):
        await client.get_workflow_handle(f"missing-{uuid.uuid4()}").fetch_history()


def _pascal(name: str, prefix: str) -> str:
    assert name.startswith(prefix), name
    return "".join(part.capitalize() for part in name[len(prefix) :].split("_"))


async def test_history_json_of_the_official_sdk_parses(
    client: Client, peer_task_queue: str
) -> None:
    """The official SDK's WorkflowHistory.to_json of a run, parsed by ours,
    is the history our client fetches (and the reverse)."""
    from tests.peer.peerhost import peer_python

    handle = await completed(client, peer_task_queue, {"ok": True})
    script = textwrap.dedent("""
        import asyncio, sys
        from temporalio.client import Client, WorkflowHistory
        async def main():
            client = await Client.connect(sys.argv[1])
            h = await client.get_workflow_handle(sys.argv[2]).fetch_history()
            sys.stdout.write(h.to_json())
            theirs = WorkflowHistory.from_json(sys.argv[2], sys.stdin.read())
            assert theirs.events == h.events, "official from_json of our JSON differs"
        asyncio.run(main())
    """)
    ours = await handle.fetch_history()
    proc = await asyncio.create_subprocess_exec(
        peer_python(),
        "-c",
        script,
        client.service_client.config.target_host,
        handle.id,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd="/",  # not this repository: its temporalio would shadow the official one
    )
    out, err = await asyncio.wait_for(proc.communicate(ours.to_json().encode()), 60)
    assert proc.returncode == 0, err.decode()
    assert WorkflowHistory.from_json(handle.id, out.decode()) == ours


# ---- async activity completion ------------------------------------------------------------

COMPLETER = textwrap.dedent("""
    import asyncio, sys
    from temporalio.client import Client
    async def main():
        target, token_hex, result = sys.argv[1:4]
        client = await Client.connect(target)
        handle = client.get_async_activity_handle(task_token=bytes.fromhex(token_hex))
        await handle.heartbeat("from another process")
        await handle.complete(result)
        await client.close()
    asyncio.run(main())
""")


def async_worker(client: Client, tq: str, tokens: "asyncio.Queue[Any]", **kw: Any) -> Worker:
    async def defer(*args: Any) -> str:
        info = activity.info()
        await tokens.put(info)
        activity.raise_complete_async()

    def defer_sync(*args: Any) -> str:
        try:
            activity.raise_complete_async()
        except Exception:  # must not catch it: it is a BaseException
            return "caught"
        return "not raised"

    return Worker(
        client, task_queue=tq, activities={"defer": defer, "defer_sync": defer_sync}, **kw
    )


async def start_activity_workflow(
    client: Client, peer_tq: str, act: str, spec: Dict[str, Any]
) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        WORKFLOW_TYPE,
        actions({act: spec}),
        task_queue=peer_tq,
        execution_timeout=timedelta(seconds=90),
    )


async def test_async_activity_completed_by_another_process(
    client: Client, peer_task_queue: str
) -> None:
    tq = f"async-{uuid.uuid4()}"
    tokens: "asyncio.Queue[Any]" = asyncio.Queue()
    # One slot: the second activity only starts if the first one's slot was
    # freed when it went async.
    async with async_worker(client, tq, tokens, max_concurrent_activities=1):
        handle = await start_activity_workflow(
            client,
            peer_task_queue,
            "execute_activity",
            {
                "name": "defer",
                "task_queue": tq,
                "count": 2,
                "concurrent": True,
                "start_to_close_ms": 60000,
            },
        )
        infos = [await asyncio.wait_for(tokens.get(), 30) for _ in range(2)]
        assert all(i.task_token for i in infos)
        for n, info in enumerate(infos):
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                COMPLETER,
                client.service_client.config.target_host,
                info.task_token.hex(),
                f"done-{n}",
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            _, err = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode == 0, err.decode()
        assert sorted(await asyncio.wait_for(handle.result(), 30)) == ["done-0", "done-1"]
        # The history shows the heartbeat-free completion by the other identity.
        history = await handle.fetch_history()
        completed_events = [
            e for e in history.events if e.HasField("activity_task_completed_event_attributes")
        ]
        assert len(completed_events) == 2
        # Completing again: the server no longer knows the task.
        with pytest.raises(NotFoundError):
            await client.get_async_activity_handle(task_token=infos[0].task_token).complete("x")


async def test_async_activity_heartbeat_and_fail_by_id(
    client: Client, peer_task_queue: str
) -> None:
    tq = f"async-{uuid.uuid4()}"
    tokens: "asyncio.Queue[Any]" = asyncio.Queue()
    async with async_worker(client, tq, tokens):
        handle = await start_activity_workflow(
            client,
            peer_task_queue,
            "catch_activity_error",
            {
                "name": "defer",
                "task_queue": tq,
                "start_to_close_ms": 60000,
                "retry_max_attempts": 1,
            },
        )
        info = await asyncio.wait_for(tokens.get(), 30)
        act = client.get_async_activity_handle(
            workflow_id=info.workflow_id,
            run_id=info.workflow_run_id,
            activity_id=info.activity_id,
        )
        await act.heartbeat("halfway", 50)
        desc = await handle.describe()
        pending = desc.raw_description.pending_activities
        assert len(pending) == 1
        details = await client.data_converter.decode(list(pending[0].heartbeat_details.payloads))
        assert details == ["halfway", 50]
        await act.fail(
            ApplicationError("gave up", "why", type="GaveUp", non_retryable=True),
            last_heartbeat_details=["last"],
        )
        result = await asyncio.wait_for(handle.result(), 30)
    assert result["type"] == "ActivityError"
    cause = result["cause"]
    assert cause["type"] == "ApplicationError"
    assert cause["message"] == "gave up"
    assert cause["failure_type"] == "GaveUp"
    assert cause["details"] == ["why"]


async def test_async_activity_report_cancellation(client: Client, peer_task_queue: str) -> None:
    tq = f"async-{uuid.uuid4()}"
    tokens: "asyncio.Queue[Any]" = asyncio.Queue()
    async with async_worker(client, tq, tokens):
        handle = await start_activity_workflow(
            client,
            peer_task_queue,
            "catch_activity_error",
            {
                "name": "defer",
                "task_queue": tq,
                "start_to_close_ms": 60000,
                "heartbeat_timeout_ms": 30000,
                "cancel_after_ms": 300,
                "wait_for_cancellation": True,
            },
        )
        info = await asyncio.wait_for(tokens.get(), 30)
        act = client.get_async_activity_handle(task_token=info.task_token)

        async def cancelled() -> bool:
            try:
                await act.heartbeat()
            except AsyncActivityCancelledError as err:
                assert err.details is not None and err.details.cancel_requested
                assert str(err) == "Activity cancelled"
                return True
            return False

        await eventually(cancelled, bool, "heartbeat seeing the cancellation")
        await act.report_cancellation("bye")
        result = await asyncio.wait_for(handle.result(), 30)
    assert result["type"] == "ActivityError"
    assert result["cause"]["type"] == "CancelledError"
    assert result["cause"]["details"] == ["bye"]


async def test_raise_complete_async_is_not_caught_by_except_exception(
    client: Client, peer_task_queue: str
) -> None:
    tq = f"async-{uuid.uuid4()}"
    tokens: "asyncio.Queue[Any]" = asyncio.Queue()
    async with async_worker(client, tq, tokens):
        handle = await start_activity_workflow(
            client,
            peer_task_queue,
            "execute_activity",
            {
                "name": "defer_sync",
                "task_queue": tq,
                "start_to_close_ms": 60000,
            },
        )
        # Not completed by the worker: the activity stays pending.
        await eventually(
            handle.describe,
            lambda d: (
                len(d.raw_description.pending_activities) == 1
                and d.raw_description.pending_activities[0].attempt == 1
                and d.raw_description.pending_activities[0].state == 2
            ),  # STARTED
            "the activity started",
        )
        await asyncio.sleep(1.0)
        desc = await handle.describe()
        assert desc.status == WorkflowExecutionStatus.RUNNING
        assert len(desc.raw_description.pending_activities) == 1
        pending = desc.raw_description.pending_activities[0]
        await client.get_async_activity_handle(
            workflow_id=handle.id, run_id=None, activity_id=pending.activity_id
        ).complete("by id")
        assert await asyncio.wait_for(handle.result(), 30) == "by id"
    # As in the official SDK, it raises the same BaseException outside an activity.
    with pytest.raises(activity._CompleteAsyncError):
        activity.raise_complete_async()


def defer_in_child(marker: str) -> str:
    """A process-pool activity that leaves its completion to another party."""
    activity.heartbeat(marker)
    activity.raise_complete_async()


async def test_raise_complete_async_in_a_process_pool(client: Client, peer_task_queue: str) -> None:
    import concurrent.futures
    import multiprocessing

    tq = f"async-{uuid.uuid4()}"
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        async with Worker(
            client,
            task_queue=tq,
            activities={"defer_in_child": defer_in_child},
            activity_executor=pool,
            max_concurrent_activities=1,
        ):
            handle = await start_activity_workflow(
                client,
                peer_task_queue,
                "execute_activity",
                {
                    "name": "defer_in_child",
                    "task_queue": tq,
                    "args": ["m"],
                    "start_to_close_ms": 60000,
                    "count": 2,
                },
            )

            def pending(d: Any) -> List[Any]:
                return list(d.raw_description.pending_activities)

            for n in range(2):  # sequential: the second needs the first's slot back
                desc = await eventually(
                    handle.describe,
                    lambda d: (
                        len(pending(d)) == 1
                        and pending(d)[0].state == 2  # STARTED
                        and pending(d)[0].activity_id == str(n + 1)
                    ),
                    f"activity {n + 1} started",
                )
                act = pending(desc)[0]
                await client.get_async_activity_handle(
                    workflow_id=handle.id, run_id=None, activity_id=act.activity_id
                ).complete(f"child-{n}")
            assert await asyncio.wait_for(handle.result(), 30) == ["child-0", "child-1"]


def test_get_async_activity_handle_argument_errors(client: Client) -> None:
    with pytest.raises(ValueError, match="Task token cannot be present with other IDs"):
        client.get_async_activity_handle(task_token=b"t", activity_id="1")
    with pytest.raises(ValueError, match="must all be given together"):
        client.get_async_activity_handle(workflow_id="w")
    with pytest.raises(ValueError, match="Require task token"):
        client.get_async_activity_handle()


# ---- arg/args forms and start options ------------------------------------------------------


async def test_arg_and_args_forms(client: Client, peer_task_queue: str) -> None:
    tq = peer_task_queue
    wait = actions({"await_signal": {"name": "go"}}, {"return_signals": {}})
    # The official forms: workflow(arg) and args=[...]; the seed's *args.
    h1 = await client.start_workflow(WORKFLOW_TYPE, arg=wait, task_queue=tq)
    h2 = await client.start_workflow(WORKFLOW_TYPE, args=[wait], task_queue=tq)
    h3 = await client.start_workflow(WORKFLOW_TYPE, wait, task_queue=tq)
    await h1.signal("go", arg={"one": 1})
    await h2.signal("go", args=[1, 2])
    await h3.signal("go", 1, 2)
    assert [s["args"] for s in await h1.result()] == [[{"one": 1}]]
    assert [s["args"] for s in await h2.result()] == [[1, 2]]
    assert [s["args"] for s in await h3.result()] == [[1, 2]]
    assert await h1.query("signals", arg="ignored") == await h1.query("signals", args=[1])

    for bad in (
        lambda: client.start_workflow(WORKFLOW_TYPE, wait, arg=wait, task_queue=tq),
        lambda: client.start_workflow(WORKFLOW_TYPE, arg=wait, args=[wait], task_queue=tq),
        lambda: h1.signal("go", 1, args=[2]),
        lambda: h1.query("signals", arg=1, args=[2]),
    ):
        with pytest.raises(TypeError, match="Cannot have arg and args") as info:
            await bad()
        assert isinstance(info.value, ValueError)  # what the official SDK raises
    # None is an argument.
    h4 = await client.start_workflow(WORKFLOW_TYPE, arg=None, task_queue=tq)
    assert await asyncio.wait_for(h4.result(), 30) is None  # KitchenSink(None): no actions
    history = await h4.fetch_history()
    (payload,) = history.events[0].workflow_execution_started_event_attributes.input.payloads
    assert payload.metadata["encoding"] == b"binary/null"


@dataclass
class Point:
    x: int
    y: int


@workflow.defn(name="PointWorkflow")
class PointWorkflow:
    @workflow.run
    async def run(self) -> Point:
        raise NotImplementedError


async def test_start_options_and_handle_for(client: Client, peer_task_queue: str) -> None:
    handle = await client.start_workflow(
        WORKFLOW_TYPE,
        actions({"result": {"value": {"x": 1, "y": 2}}}),
        task_queue=peer_task_queue,
        start_delay=timedelta(seconds=2),
        static_summary="the summary",
        static_details="the **details**\non two lines",
        priority=Priority(priority_key=2),
        request_eager_start=True,
    )
    desc = await handle.describe()
    assert await desc.static_summary() == "the summary"
    assert await desc.static_details() == "the **details**\non two lines"
    assert desc.raw_info.priority.priority_key == 2
    assert desc.start_time is not None and desc.execution_time is not None
    assert desc.execution_time - desc.start_time >= timedelta(seconds=1.9)

    typed = client.get_workflow_handle_for(PointWorkflow.run, handle.id)
    assert await asyncio.wait_for(typed.result(), 30) == Point(1, 2)
    started = (await handle.fetch_history()).events[0].workflow_execution_started_event_attributes
    assert started.first_workflow_task_backoff.ToTimedelta() == timedelta(seconds=2)
    assert started.priority.priority_key == 2

    with pytest.raises(ValueError, match="start_delay cannot be given with cron_schedule"):
        await client.start_workflow(
            WORKFLOW_TYPE,
            task_queue=peer_task_queue,
            start_delay=timedelta(seconds=1),
            cron_schedule="* * * * *",
        )
    with pytest.raises(TypeError, match="priority must be a temporalio.common.Priority"):
        await client.start_workflow(WORKFLOW_TYPE, task_queue=peer_task_queue, priority=2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="priority_key must be a positive integer"):
        Priority(priority_key=0)


@pytest.fixture
async def typed_attributes(client: Client) -> None:
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest

    from temporalio.service import AlreadyExistsError

    attrs = {
        "SdkCParityKeyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        "SdkCParityInt": IndexedValueType.INDEXED_VALUE_TYPE_INT,
        "SdkCParityWhen": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
        "SdkCParityTags": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    }
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=attrs)
        )
    except AlreadyExistsError:
        pass


async def test_typed_search_attributes_and_versioning_override(
    client: Client, peer_task_queue: str, typed_attributes: None
) -> None:
    from datetime import datetime, timezone

    from temporalio.common import (
        AutoUpgradeVersioningOverride,
        SearchAttributeKey,
        SearchAttributePair,
        TypedSearchAttributes,
    )

    keyword = SearchAttributeKey.for_keyword("SdkCParityKeyword")
    number = SearchAttributeKey.for_int("SdkCParityInt")
    when = SearchAttributeKey.for_datetime("SdkCParityWhen")
    tags = SearchAttributeKey.for_keyword_list("SdkCParityTags")
    stamp = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    marker = f"m-{uuid.uuid4()}"
    attrs = TypedSearchAttributes(
        [
            SearchAttributePair(keyword, marker),
            SearchAttributePair(number, 7),
            SearchAttributePair(when, stamp),
            SearchAttributePair(tags, ["a", "b"]),
        ]
    )
    handle = await completed(
        client,
        peer_task_queue,
        None,
        search_attributes=attrs,
        versioning_override=AutoUpgradeVersioningOverride(),
    )
    desc = await handle.describe()
    typed = desc.typed_search_attributes
    assert typed[keyword] == marker
    assert typed[number] == 7
    assert typed[when] == stamp
    assert list(typed[tags]) == ["a", "b"]
    assert desc.search_attributes["SdkCParityInt"] == 7
    started = (await handle.fetch_history()).events[0].workflow_execution_started_event_attributes
    assert started.versioning_override.auto_upgrade or started.versioning_override.behavior == 2

    listed = await eventually(
        lambda: _ids(client.list_workflows(f"SdkCParityKeyword = '{marker}'")),
        lambda v: v == [handle.id],
        "listing by a typed search attribute",
    )
    assert listed == [handle.id]
    execution = [w async for w in client.list_workflows(f"SdkCParityKeyword = '{marker}'")][0]
    assert execution.typed_search_attributes[number] == 7


async def _ids(it: Any) -> List[str]:
    return [w.id async for w in it]
