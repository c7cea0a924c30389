"""Cross-SDK check: one workflow's code (tests/peer/cross_sdk_workflows.py)
run by our worker and by the official SDK's (in ``.venv-peer``, through
tests/peer/cross_sdk_host.py).

* Both write the same history: the same event types in the same order, and
  the same command-driven attributes (activity type, task queue, input and
  timeouts; timer duration; signal; upserted search attribute and memo;
  activity and workflow results). Ids, timestamps and identities are not
  compared.
* A run left half-done by one SDK (waiting on a signal after an activity and
  a timer) is finished by the other: the first worker stops, the other one
  starts on the same task queue, replays the foreign history, answers a
  query, takes the signal and completes with the right result.

The activities run on our own worker, on a task queue of their own, in every
case.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Tuple

import pytest

from temporalio import activity
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import Worker
from tests.peer.cross_sdk_workflows import (
    ACTIVITY_NAME,
    CHILD_PARENT_NAME,
    FAIL_ACTIVITY_NAME,
    MORE_WORKFLOW_NAME,
    SEARCH_ATTRIBUTE,
    WORKFLOW_NAME,
    CrossSdkChildParent,
    CrossSdkKid,
    CrossSdkMoreWorkflow,
    CrossSdkWorkflow,
)
from tests.peer.peerhost import CROSS_SDK_HOST, PeerHost

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(240)]

DEADLINE = 90.0  # bound on each wait (a handoff may wait out a sticky queue's timeout)

# A workflow task's events (scheduled, started, completed).
WORKFLOW_TASK = ["WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED"]

# The history both SDKs write for CrossSdkWorkflow when the signal comes while
# the run waits for it (event types, in order).
EXPECTED_EVENT_TYPES = [
    "WORKFLOW_EXECUTION_STARTED",
    *WORKFLOW_TASK,
    "ACTIVITY_TASK_SCHEDULED",
    "ACTIVITY_TASK_STARTED",
    "ACTIVITY_TASK_COMPLETED",
    *WORKFLOW_TASK,
    "TIMER_STARTED",
    "TIMER_FIRED",
    *WORKFLOW_TASK,
    "WORKFLOW_EXECUTION_SIGNALED",
    *WORKFLOW_TASK,
    "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES",
    "WORKFLOW_PROPERTIES_MODIFIED",
    "ACTIVITY_TASK_SCHEDULED",
    "ACTIVITY_TASK_STARTED",
    "ACTIVITY_TASK_COMPLETED",
    *WORKFLOW_TASK,
    "WORKFLOW_EXECUTION_COMPLETED",
]


# CrossSdkMoreWorkflow: run 1 (ends continued as new), then run 2 (ends cancelled)
EXPECTED_MORE_EVENT_TYPES = (
    [
        "WORKFLOW_EXECUTION_STARTED",
        *WORKFLOW_TASK,
        "ACTIVITY_TASK_SCHEDULED",
        "ACTIVITY_TASK_STARTED",
        "ACTIVITY_TASK_FAILED",
        *WORKFLOW_TASK,
        "TIMER_STARTED",
        "WORKFLOW_EXECUTION_SIGNALED",
        *WORKFLOW_TASK,
        "TIMER_CANCELED",
        "TIMER_STARTED",
        "TIMER_FIRED",
        *WORKFLOW_TASK,
        "WORKFLOW_EXECUTION_CONTINUED_AS_NEW",
    ],
    [
        "WORKFLOW_EXECUTION_STARTED",
        *WORKFLOW_TASK,
        "WORKFLOW_EXECUTION_CANCEL_REQUESTED",
        *WORKFLOW_TASK,
        "ACTIVITY_TASK_SCHEDULED",
        "ACTIVITY_TASK_STARTED",
        "ACTIVITY_TASK_COMPLETED",
        *WORKFLOW_TASK,
        "WORKFLOW_EXECUTION_CANCELED",
    ],
)


@activity.defn(name=ACTIVITY_NAME)
async def cross_sdk_echo(value: str) -> str:
    return f"echo:{value}"


@activity.defn(name=FAIL_ACTIVITY_NAME)
async def cross_sdk_fail(value: str) -> str:
    raise ApplicationError(f"failed: {value}", type="CrossSdkFailure")


def _payloads(payloads: Any) -> List[Tuple[bytes, Dict[str, bytes]]]:
    return [(p.data, dict(p.metadata)) for p in payloads.payloads]


def _duration(d: Any) -> float:
    return d.seconds + d.nanos / 1e9


def project(events: Any) -> List[Tuple[str, Dict[str, Any]]]:
    """Each event's type and the attributes that the workflow's code decides."""
    from temporalio.api.enums.v1 import EventType

    out: List[Tuple[str, Dict[str, Any]]] = []
    for e in events:
        name = EventType.Name(e.event_type)[len("EVENT_TYPE_") :]
        attrs: Dict[str, Any] = {}
        if name == "WORKFLOW_EXECUTION_STARTED":
            a = e.workflow_execution_started_event_attributes
            attrs = {"workflow_type": a.workflow_type.name, "input": _payloads(a.input)}
        elif name == "ACTIVITY_TASK_SCHEDULED":
            a = e.activity_task_scheduled_event_attributes
            attrs = {
                "activity_type": a.activity_type.name,
                "task_queue": a.task_queue.name,
                "input": _payloads(a.input),
                "schedule_to_close": _duration(a.schedule_to_close_timeout),
                "schedule_to_start": _duration(a.schedule_to_start_timeout),
                "start_to_close": _duration(a.start_to_close_timeout),
                "heartbeat": _duration(a.heartbeat_timeout),
                "retry_policy": a.retry_policy.SerializeToString(deterministic=True),
                "header": sorted(a.header.fields),
            }
        elif name == "ACTIVITY_TASK_STARTED":
            attrs = {"attempt": e.activity_task_started_event_attributes.attempt}
        elif name == "ACTIVITY_TASK_FAILED":
            a = e.activity_task_failed_event_attributes
            attrs = {
                "message": a.failure.message,
                "type": a.failure.application_failure_info.type,
                "retry_state": a.retry_state,
            }
        elif name == "WORKFLOW_EXECUTION_CONTINUED_AS_NEW":
            a = e.workflow_execution_continued_as_new_event_attributes
            attrs = {
                "workflow_type": a.workflow_type.name,
                "task_queue": a.task_queue.name,
                "input": _payloads(a.input),
                "run_timeout": _duration(a.workflow_run_timeout),
                "task_timeout": _duration(a.workflow_task_timeout),
            }
        elif name == "WORKFLOW_EXECUTION_CANCELED":
            attrs = {"details": _payloads(e.workflow_execution_canceled_event_attributes.details)}
        elif name == "ACTIVITY_TASK_COMPLETED":
            attrs = {"result": _payloads(e.activity_task_completed_event_attributes.result)}
        elif name == "TIMER_STARTED":
            attrs = {
                "start_to_fire": _duration(e.timer_started_event_attributes.start_to_fire_timeout)
            }
        elif name == "WORKFLOW_EXECUTION_SIGNALED":
            a = e.workflow_execution_signaled_event_attributes
            attrs = {"signal_name": a.signal_name, "input": _payloads(a.input)}
        elif name == "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES":
            fields = e.upsert_workflow_search_attributes_event_attributes.search_attributes
            attrs = {
                k: (v.data, dict(v.metadata)) for k, v in sorted(fields.indexed_fields.items())
            }
        elif name == "WORKFLOW_PROPERTIES_MODIFIED":
            memo = e.workflow_properties_modified_event_attributes.upserted_memo
            attrs = {k: (v.data, dict(v.metadata)) for k, v in sorted(memo.fields.items())}
        elif name == "WORKFLOW_EXECUTION_COMPLETED":
            attrs = {"result": _payloads(e.workflow_execution_completed_event_attributes.result)}
        out.append((name, attrs))
    return out


def _identities(events: Any) -> List[str]:
    """Identities of the workers that completed workflow tasks, in order."""
    return [
        e.workflow_task_completed_event_attributes.identity
        for e in events
        if e.HasField("workflow_task_completed_event_attributes")
    ]


@asynccontextmanager
async def peer_worker(
    target: str, task_queue: str, script: Path = CROSS_SDK_HOST
) -> AsyncIterator[PeerHost]:
    """The official SDK's worker for CrossSdkWorkflow on ``task_queue`` (or
    another host ``script``'s workflows)."""
    host = PeerHost(target, "default", task_queue, script=script)
    await asyncio.to_thread(host.start)
    try:
        yield host
    finally:
        await asyncio.to_thread(host.stop)
    assert host.returncode == 0, f"peer worker exited with {host.returncode}"


def our_worker(client: Client, task_queue: str) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[CrossSdkWorkflow, CrossSdkMoreWorkflow, CrossSdkChildParent, CrossSdkKid],
    )


def worker_of(sdk: str, client: Client, target: str, task_queue: str) -> Any:
    """The worker of ``sdk`` ("ours" or "official") for ``task_queue`` (an
    async context manager)."""
    if sdk == "ours":
        return our_worker(client, task_queue)
    return peer_worker(target, task_queue)


@pytest.fixture
async def activity_queue(client: Client) -> AsyncIterator[str]:
    """A task queue whose activities (``cross_sdk_echo``) our worker runs (and
    the workflow's search attribute registered)."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest

    from temporalio.service import AlreadyExistsError

    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=client.namespace,
                search_attributes={SEARCH_ATTRIBUTE: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD},
            )
        )
    except AlreadyExistsError:
        pass
    tq = f"cross-act-{uuid.uuid4()}"
    async with Worker(client, task_queue=tq, activities=[cross_sdk_echo, cross_sdk_fail]):
        yield tq


async def start(
    client: Client, task_queue: str, activity_queue: str, workflow: str = WORKFLOW_NAME
) -> WorkflowHandle:
    return await client.start_workflow(
        workflow,
        {"activity_task_queue": activity_queue},
        id=f"cross-{uuid.uuid4()}",
        task_queue=task_queue,
        execution_timeout=timedelta(seconds=200),
    )


async def wait_until_waiting(handle: WorkflowHandle) -> None:
    """Until the run waits for its signal: the timer fired and the task after
    it completed (so a signal now lands in a history of the same shape)."""
    deadline = time.monotonic() + DEADLINE
    while True:
        types = [t for t, _ in project((await handle.fetch_history()).events)]
        if "TIMER_FIRED" in types and types[-1] == "WORKFLOW_TASK_COMPLETED":
            return
        assert time.monotonic() < deadline, f"run not waiting for its signal: {types}"
        await asyncio.sleep(0.1)


async def run_to_end(client: Client, handle: WorkflowHandle) -> List[Tuple[str, Dict[str, Any]]]:
    """Wait for the signal wait, query, signal, and return the projected history."""
    await wait_until_waiting(handle)
    assert await handle.query("stage") == "waiting"
    await handle.signal("proceed", "go")
    assert await asyncio.wait_for(handle.result(), DEADLINE) == "echo:first|echo:go"
    return project((await handle.fetch_history()).events)


async def test_same_history_on_both_sdks(
    client: Client, server_target: str, activity_queue: str
) -> None:
    ours_tq, peer_tq = f"cross-ours-{uuid.uuid4()}", f"cross-peer-{uuid.uuid4()}"
    async with peer_worker(server_target, peer_tq):
        official = await run_to_end(client, await start(client, peer_tq, activity_queue))
    async with our_worker(client, ours_tq):
        ours = await run_to_end(client, await start(client, ours_tq, activity_queue))

    # the events, in order, first by type alone (the clearer message), then with
    # their attributes
    assert [t for t, _ in ours] == [t for t, _ in official]
    for i, (mine, theirs) in enumerate(zip(ours, official)):
        assert mine == theirs, f"event {i + 1} ({mine[0]}) differs"
    assert [t for t, _ in ours] == EXPECTED_EVENT_TYPES
    # and what the code decided is there
    attrs = dict(ours)
    assert attrs["TIMER_STARTED"] == {"start_to_fire": 0.3}
    assert attrs["ACTIVITY_TASK_SCHEDULED"]["activity_type"] == ACTIVITY_NAME
    assert attrs["ACTIVITY_TASK_SCHEDULED"]["task_queue"] == activity_queue
    assert attrs["UPSERT_WORKFLOW_SEARCH_ATTRIBUTES"][SEARCH_ATTRIBUTE][0] == b'["go"]'
    assert attrs["WORKFLOW_PROPERTIES_MODIFIED"]["signal"][0] == b'"go"'


async def _handoff(
    client: Client, server_target: str, activity_queue: str, first: str
) -> Tuple[List[Tuple[str, Dict[str, Any]]], List[str]]:
    """Start on ``first`` ("ours" or "official"), stop it while the run waits
    for its signal, finish on the other SDK's worker on the same task queue."""
    tq = f"cross-handoff-{uuid.uuid4()}"
    second = "official" if first == "ours" else "ours"
    async with worker_of(first, client, server_target, tq):
        handle = await start(client, tq, activity_queue)
        await wait_until_waiting(handle)
        assert await handle.query("stage") == "waiting"
    before = len((await handle.fetch_history()).events)
    async with worker_of(second, client, server_target, tq):
        # a query first: the second worker replays the other SDK's history to answer it
        assert await asyncio.wait_for(handle.query("stage"), DEADLINE) == "waiting"
        await handle.signal("proceed", "go")
        assert await asyncio.wait_for(handle.result(), DEADLINE) == "echo:first|echo:go"
    events = (await handle.fetch_history()).events
    identities = _identities(events)
    # the tasks up to the wait were completed by the first worker, the rest by
    # the second one (another process)
    first_ids = set(_identities(events[:before]))
    assert len(first_ids) == 1 and identities[-1] not in first_ids, identities
    desc = await handle.describe()
    assert await desc.memo() == {"signal": "go"}
    return project(events), identities


async def wait_for_stage(handle: WorkflowHandle, stage: str) -> None:
    """Until the query ``stage`` answers ``stage`` and the run's last workflow
    task is completed (the run is idle, waiting)."""
    deadline = time.monotonic() + DEADLINE
    while True:
        types = [t for t, _ in project((await handle.fetch_history()).events)]
        tasks = [t for t in types if t.startswith("WORKFLOW_TASK_")]
        if tasks and tasks[-1] == "WORKFLOW_TASK_COMPLETED":
            if await handle.query("stage") == stage:
                return
        assert time.monotonic() < deadline, f"run not at stage {stage!r}: {types}"
        await asyncio.sleep(0.1)


async def run_more_to_end(
    client: Client, handle: WorkflowHandle
) -> Tuple[List[Tuple[str, Dict[str, Any]]], List[Tuple[str, Dict[str, Any]]]]:
    """CrossSdkMoreWorkflow: signal run 1, cancel run 2; both runs' histories."""
    first_run = client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
    await wait_for_stage(first_run, "waiting")
    await first_run.signal("proceed", "go")
    latest = client.get_workflow_handle(handle.id)
    deadline = time.monotonic() + DEADLINE
    while (await latest.describe()).run_id == handle.result_run_id:
        assert time.monotonic() < deadline, "run 1 did not continue as new"
        await asyncio.sleep(0.1)
    await wait_for_stage(latest, "waiting")
    await latest.cancel()
    with pytest.raises(WorkflowFailureError) as err:
        await asyncio.wait_for(handle.result(), DEADLINE)
    assert isinstance(err.value.cause, CancelledError), repr(err.value.cause)
    return (
        project((await first_run.fetch_history()).events),
        project((await latest.fetch_history()).events),
    )


async def test_same_history_on_both_sdks_more(
    client: Client, server_target: str, activity_queue: str
) -> None:
    ours_tq, peer_tq = f"cross-ours-{uuid.uuid4()}", f"cross-peer-{uuid.uuid4()}"
    async with peer_worker(server_target, peer_tq):
        official = await run_more_to_end(
            client, await start(client, peer_tq, activity_queue, MORE_WORKFLOW_NAME)
        )
    async with our_worker(client, ours_tq):
        ours = await run_more_to_end(
            client, await start(client, ours_tq, activity_queue, MORE_WORKFLOW_NAME)
        )
    for run in range(2):
        assert [t for t, _ in ours[run]] == [t for t, _ in official[run]], f"run {run + 1}"
        for i, (mine, theirs) in enumerate(zip(ours[run], official[run])):
            if mine[0] in ("ACTIVITY_TASK_SCHEDULED", "WORKFLOW_EXECUTION_CONTINUED_AS_NEW"):
                mine[1].pop("task_queue")
                theirs[1].pop("task_queue")
            assert mine == theirs, f"run {run + 1}, event {i + 1} ({mine[0]}) differs"
        assert [t for t, _ in ours[run]] == EXPECTED_MORE_EVENT_TYPES[run]
    can = dict(ours[0])["WORKFLOW_EXECUTION_CONTINUED_AS_NEW"]
    assert can["workflow_type"] == MORE_WORKFLOW_NAME
    assert b'"failed":"ApplicationError: CrossSdkFailure: failed: boom"' in can["input"][0][0]
    assert dict(ours[0])["ACTIVITY_TASK_STARTED"] == {"attempt": 2}


def _without_task_timeouts(history: List[Tuple[str, Dict[str, Any]]]) -> List[str]:
    """Event types, minus a task that timed out on the stopped worker's sticky
    queue (``WORKFLOW_TASK_SCHEDULED``, ``WORKFLOW_TASK_TIMED_OUT``) if any."""
    types = [t for t, _ in history]
    out: List[str] = []
    for t in types:
        if t == "WORKFLOW_TASK_TIMED_OUT":
            assert out[-1] == "WORKFLOW_TASK_SCHEDULED" or out[-1] == "WORKFLOW_TASK_STARTED"
            while out[-1] != "WORKFLOW_TASK_SCHEDULED":
                out.pop()
            out.pop()
            continue
        out.append(t)
    return out


@pytest.mark.parametrize("first", ["official", "ours"])
async def test_half_done_history_finished_by_the_other_sdk(
    client: Client, server_target: str, activity_queue: str, first: str
) -> None:
    history, _ = await _handoff(client, server_target, activity_queue, first)
    assert _without_task_timeouts(history) == EXPECTED_EVENT_TYPES
    attrs = dict(history)
    assert attrs["WORKFLOW_EXECUTION_COMPLETED"]["result"][0][0] == b'"echo:first|echo:go"'


@pytest.mark.parametrize("first", ["official", "ours"])
async def test_half_done_more_finished_by_the_other_sdk(
    client: Client, server_target: str, activity_queue: str, first: str
) -> None:
    """CrossSdkMoreWorkflow stopped while it waits for its signal (an activity
    failed, a timer pending); the other SDK cancels that timer, fires the next,
    continues as new and runs the cancelled second run to its end."""
    tq = f"cross-handoff-{uuid.uuid4()}"
    second = "official" if first == "ours" else "ours"
    async with worker_of(first, client, server_target, tq):
        handle = await start(client, tq, activity_queue, MORE_WORKFLOW_NAME)
        await wait_for_stage(handle, "waiting")
    before = len((await handle.fetch_history()).events)
    async with worker_of(second, client, server_target, tq):
        runs = await run_more_to_end(client, handle)
    for run in range(2):
        assert _without_task_timeouts(runs[run]) == EXPECTED_MORE_EVENT_TYPES[run]
    can = dict(runs[0])["WORKFLOW_EXECUTION_CONTINUED_AS_NEW"]
    assert b'"failed":"ApplicationError: CrossSdkFailure: failed: boom"' in can["input"][0][0]
    first_run = client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
    identities = _identities((await first_run.fetch_history()).events)
    # two tasks by the first worker (up to the wait), the two after the signal by the second
    assert len(identities) == 4, identities
    assert identities[0] == identities[1] != identities[2] == identities[3], identities
    assert before == 11  # up to TIMER_STARTED: the first worker's part


# ---- child workflows -------------------------------------------------------------------------

# The parent's command events (in order) for CrossSdkChildParent; its other
# events are compared as a multiset (the server records a child's start, the
# signal's delivery and the child's end as they come, so only the commands'
# order is fixed).
EXPECTED_CHILD_COMMAND_EVENTS = [
    "START_CHILD_WORKFLOW_EXECUTION_INITIATED",
    "SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
    "START_CHILD_WORKFLOW_EXECUTION_INITIATED",
    "START_CHILD_WORKFLOW_EXECUTION_INITIATED",
    "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
    "WORKFLOW_EXECUTION_COMPLETED",
]


def project_children(events: Any, parent_id: str) -> List[Tuple[str, Dict[str, Any]]]:
    """The parent's events with what its code decides about its children
    (child ids relative to the parent's)."""
    from temporalio.api.enums.v1 import EventType

    def rel(wid: str) -> str:
        return wid[len(parent_id) :] if wid.startswith(parent_id) else wid

    out: List[Tuple[str, Dict[str, Any]]] = []
    for e in events:
        name = EventType.Name(e.event_type)[len("EVENT_TYPE_") :]
        attrs: Dict[str, Any] = {}
        if name == "START_CHILD_WORKFLOW_EXECUTION_INITIATED":
            a = e.start_child_workflow_execution_initiated_event_attributes
            attrs = {
                "id": rel(a.workflow_id),
                "namespace": a.namespace,
                "workflow_type": a.workflow_type.name,
                "task_queue": (a.task_queue.name, a.task_queue.kind),
                "input": _payloads(a.input),
                "execution_timeout": _duration(a.workflow_execution_timeout),
                "run_timeout": _duration(a.workflow_run_timeout),
                "task_timeout": _duration(a.workflow_task_timeout),
                "parent_close_policy": a.parent_close_policy,
                "id_reuse_policy": a.workflow_id_reuse_policy,
                "retry_policy": a.retry_policy.SerializeToString(deterministic=True),
                "cron": a.cron_schedule,
                "memo": {k: (v.data, dict(v.metadata)) for k, v in a.memo.fields.items()},
                "header": sorted(a.header.fields),
                "search_attributes": sorted(a.search_attributes.indexed_fields),
                "inherit_build_id": a.inherit_build_id,
            }
        elif name == "SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED":
            a = e.signal_external_workflow_execution_initiated_event_attributes
            attrs = {
                "id": rel(a.workflow_execution.workflow_id),
                "run_id": a.workflow_execution.run_id,
                "signal_name": a.signal_name,
                "input": _payloads(a.input),
                "child_workflow_only": a.child_workflow_only,
                "header": sorted(a.header.fields),
            }
        elif name == "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED":
            a = e.request_cancel_external_workflow_execution_initiated_event_attributes
            attrs = {
                "id": rel(a.workflow_execution.workflow_id),
                "has_run_id": bool(a.workflow_execution.run_id),
                "child_workflow_only": a.child_workflow_only,
                "reason": a.reason,
            }
        elif name == "CHILD_WORKFLOW_EXECUTION_COMPLETED":
            attrs = {
                "result": _payloads(e.child_workflow_execution_completed_event_attributes.result)
            }
        elif name == "CHILD_WORKFLOW_EXECUTION_FAILED":
            a = e.child_workflow_execution_failed_event_attributes
            attrs = {
                "message": a.failure.message,
                "type": a.failure.application_failure_info.type,
                "retry_state": a.retry_state,
            }
        elif name == "WORKFLOW_EXECUTION_COMPLETED":
            attrs = {"result": _payloads(e.workflow_execution_completed_event_attributes.result)}
        out.append((name, attrs))
    return out


_CHILD_COMMAND_EVENTS = (
    "START_CHILD_WORKFLOW_EXECUTION_INITIATED",
    "SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
    "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
    "WORKFLOW_EXECUTION_COMPLETED",
)


async def run_children(client: Client, task_queue: str) -> Dict[str, Any]:
    """CrossSdkChildParent to its end: its projected history, and the kids'."""
    parent_id = f"cross-child-{uuid.uuid4()}"
    handle = await client.start_workflow(
        CHILD_PARENT_NAME,
        {},
        id=parent_id,
        task_queue=task_queue,
        execution_timeout=timedelta(seconds=200),
    )
    result = await asyncio.wait_for(handle.result(), DEADLINE)
    parent = project_children((await handle.fetch_history()).events, parent_id)
    kids = [
        project((await client.get_workflow_handle(f"{parent_id}-{k}").fetch_history()).events)
        for k in ("kid1", "kid2", "kid3")
    ]
    return {"result": result, "parent": parent, "kids": kids}


async def test_same_child_workflow_history_on_both_sdks(client: Client, server_target: str) -> None:
    ours_tq, peer_tq = f"cross-ours-{uuid.uuid4()}", f"cross-peer-{uuid.uuid4()}"
    async with peer_worker(server_target, peer_tq):
        official = await run_children(client, peer_tq)
    async with our_worker(client, ours_tq):
        ours = await run_children(client, ours_tq)

    assert (
        ours["result"] == official["result"] == "kid:go|ApplicationError:kid failed|CancelledError"
    )
    # the commands, in order, with their attributes (the task queues differ by name)
    mine = [(t, a) for t, a in ours["parent"] if t in _CHILD_COMMAND_EVENTS]
    theirs = [(t, a) for t, a in official["parent"] if t in _CHILD_COMMAND_EVENTS]
    assert [t for t, _ in mine] == [t for t, _ in theirs] == EXPECTED_CHILD_COMMAND_EVENTS
    for i, ((t, m), (_, o)) in enumerate(zip(mine, theirs)):
        if "task_queue" in m:
            assert m.pop("task_queue") == (ours_tq, 1) and o.pop("task_queue") == (peer_tq, 1)
        assert m == o, f"command event {i + 1} ({t}) differs"
    # every event of the parent but its workflow tasks (how many depends on
    # when the children's events came), as a multiset, and the children's ends
    assert sorted(t for t, _ in ours["parent"] if not t.startswith("WORKFLOW_TASK_")) == sorted(
        t for t, _ in official["parent"] if not t.startswith("WORKFLOW_TASK_")
    )
    ends = {t: a for t, a in ours["parent"] if t.startswith("CHILD_WORKFLOW_EXECUTION_")}
    assert ends == {
        t: a for t, a in official["parent"] if t.startswith("CHILD_WORKFLOW_EXECUTION_")
    }
    assert ends["CHILD_WORKFLOW_EXECUTION_FAILED"]["type"] == "KidFailure"
    # the children's own histories (run by the same SDK as their parent), less
    # their workflow tasks (how many depends on when the parent's signal came)
    for k in range(3):
        mine_k, theirs_k = (
            [(t, a) for t, a in h["kids"][k] if not t.startswith("WORKFLOW_TASK_")]
            for h in (ours, official)
        )
        assert mine_k == theirs_k, f"kid {k + 1}"


@pytest.mark.parametrize("wait", ["start", "end"])
@pytest.mark.parametrize("first", ["official", "ours"])
async def test_half_done_child_workflows_finished_by_the_other_sdk(
    client: Client, server_target: str, first: str, wait: str
) -> None:
    """CrossSdkChildParent stopped while it waits for its own signal, and
    finished by the other SDK, which replays the foreign history first.
    "start": its first child runs (both wait for a signal): the parent's
    history has the child initiated and started, the child's its start; then
    the parent signals the child, gets its result, runs the failing child and
    cancels the third. "end": all that is history already (with the engine's
    own cancel request for the third child), the parent just returns."""
    tq = f"cross-handoff-{uuid.uuid4()}"
    second = "official" if first == "ours" else "ours"
    parent_id = f"cross-child-{uuid.uuid4()}"
    async with worker_of(first, client, server_target, tq):
        handle = await client.start_workflow(
            CHILD_PARENT_NAME,
            {"wait": wait},
            id=parent_id,
            task_queue=tq,
            execution_timeout=timedelta(seconds=200),
        )
        await wait_for_stage(handle, "waiting")
    async with worker_of(second, client, server_target, tq):
        assert await handle.query("stage") == "waiting"
        await handle.signal("go")
        assert await asyncio.wait_for(handle.result(), DEADLINE) == (
            "kid:go|ApplicationError:kid failed|CancelledError"
        )
    events = [t for t, _ in project_children((await handle.fetch_history()).events, parent_id)]
    assert [t for t in events if t in _CHILD_COMMAND_EVENTS] == EXPECTED_CHILD_COMMAND_EVENTS
    assert "WORKFLOW_TASK_FAILED" not in events
    identities = _identities((await handle.fetch_history()).events)
    assert len(set(identities)) == 2, identities  # both SDKs completed tasks of the parent
    kid = [
        t
        for t, _ in project(
            (await client.get_workflow_handle(f"{parent_id}-kid1").fetch_history()).events
        )
    ]
    assert kid[-1] == "WORKFLOW_EXECUTION_COMPLETED" and "WORKFLOW_TASK_FAILED" not in kid
