"""Workflow patching (``workflow.patched`` / ``workflow.deprecate_patch``)
end to end, on our worker and across SDKs.

The workflow: tests/peer/cross_sdk_patch_workflows.py (``PatchFlow`` in four
versions: no patch, ``patched``, ``deprecate_patch``, patch call removed).
A run is started by one worker, which stops while the run waits for its
signal; another worker (another version of the code, or the other SDK) takes
over on the same task queue, replays the history, answers a query and
finishes the run. The result names the branch the run took.

* a run started before the patch takes the old branch when finished by the
  patched code; a new run takes the new one and records the patch marker
  and the ``TemporalChangeVersion`` search attribute;
* ``deprecate_patch`` replays histories with the marker, records a deprecated
  marker, and a deprecated marker replays on code with no patch call at all,
  while a marker that is not deprecated does not (non-determinism);
* the official SDK (``.venv-peer``) writes the same history for the patched
  code (marker details and search attribute byte for byte), and runs hand
  over between the two SDKs in both directions.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, AsyncIterator, Dict, List, Optional, Tuple

import pytest

from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker
from tests.integration.test_workflow_cross_sdk import project, wait_for_stage
from tests.peer.cross_sdk_patch_workflows import PATCH_ID, VERSIONS, WORKFLOW_NAME
from tests.peer.peerhost import CROSS_SDK_PATCH_HOST, PeerHost

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(240)]

DEADLINE = 90.0

# A new run of PatchFlowV1 (patched: the new branch), signalled while waiting.
EXPECTED_NEW_RUN = [
    "WORKFLOW_EXECUTION_STARTED",
    "WORKFLOW_TASK_SCHEDULED",
    "WORKFLOW_TASK_STARTED",
    "WORKFLOW_TASK_COMPLETED",
    "MARKER_RECORDED",
    "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES",
    "WORKFLOW_PROPERTIES_MODIFIED",
    "TIMER_STARTED",
    "TIMER_FIRED",
    "WORKFLOW_TASK_SCHEDULED",
    "WORKFLOW_TASK_STARTED",
    "WORKFLOW_TASK_COMPLETED",
    "WORKFLOW_EXECUTION_SIGNALED",
    "WORKFLOW_TASK_SCHEDULED",
    "WORKFLOW_TASK_STARTED",
    "WORKFLOW_TASK_COMPLETED",
    "WORKFLOW_EXECUTION_COMPLETED",
]

Sdk = Tuple[str, str]  # ("ours" | "official", version "v0".."v3")


def markers(events: Any) -> List[Tuple[str, Dict[str, Any]]]:
    """The markers' names and details, and the search attribute upserts
    (payload bytes and metadata), in order."""
    out: List[Tuple[str, Dict[str, Any]]] = []
    for e in events:
        if e.HasField("marker_recorded_event_attributes"):
            a = e.marker_recorded_event_attributes
            out.append(
                (
                    a.marker_name,
                    {
                        k: [(p.data, dict(p.metadata)) for p in v.payloads]
                        for k, v in a.details.items()
                    },
                )
            )
        elif e.HasField("upsert_workflow_search_attributes_event_attributes"):
            sa = e.upsert_workflow_search_attributes_event_attributes.search_attributes
            out.append(
                ("upsert", {k: (v.data, dict(v.metadata)) for k, v in sa.indexed_fields.items()})
            )
    return out


def patch_marker(deprecated: bool) -> Tuple[str, Dict[str, Any]]:
    data = b'{"id":"%s","deprecated":%s}' % (PATCH_ID.encode(), b"true" if deprecated else b"false")
    return ("core_patch", {"patch-data": [(data, {"encoding": b"json/plain"})]})


VERSION_UPSERT = (
    "upsert",
    {
        "TemporalChangeVersion": (
            b'["%s"]' % PATCH_ID.encode(),
            {"encoding": b"json/plain", "type": b"KeywordList"},
        )
    },
)


@asynccontextmanager
async def official(target: str, task_queue: str) -> AsyncIterator[None]:
    """The official SDK's worker on ``task_queue`` (its version from the name)."""
    host = PeerHost(target, "default", task_queue, script=CROSS_SDK_PATCH_HOST)
    await asyncio.to_thread(host.start)
    try:
        yield
    finally:
        await asyncio.to_thread(host.stop)
    assert host.returncode == 0, f"peer worker exited with {host.returncode}"


def worker(sdk: Sdk, client: Client, target: str, task_queue: str) -> Any:
    if sdk[0] == "ours":
        return Worker(client, task_queue=task_queue, workflows=[VERSIONS[sdk[1]]])
    return official(target, task_queue)


def queue_for(*sdks: Sdk) -> str:
    """A task queue named for the official SDK's version among ``sdks``."""
    peer = [v for s, v in sdks if s == "official"]
    assert len(set(peer)) <= 1
    return f"patch-{peer[0] if peer else 'ours'}-{uuid.uuid4()}"


async def start(client: Client, task_queue: str) -> WorkflowHandle:
    return await client.start_workflow(
        WORKFLOW_NAME,
        id=f"patch-{uuid.uuid4()}",
        task_queue=task_queue,
        execution_timeout=timedelta(seconds=200),
    )


async def finish(handle: WorkflowHandle) -> str:
    # a query first: the worker replays the history to answer it
    assert await asyncio.wait_for(handle.query("stage"), DEADLINE) == "waiting"
    await handle.signal("proceed")
    return await asyncio.wait_for(handle.result(), DEADLINE)


async def handoff(
    client: Client, target: str, first: Sdk, second: Optional[Sdk]
) -> Tuple[str, Any]:
    """Start a run on ``first``; once it waits for its signal, stop it and
    finish the run on ``second`` (or on ``first`` when None). The result and
    the history's events."""
    tq = queue_for(first, *([second] if second else []))
    async with worker(first, client, target, tq):
        handle = await start(client, tq)
        await wait_for_stage(handle, "waiting")
        if second is None:
            result = await finish(handle)
    if second is not None:
        async with worker(second, client, target, tq):
            result = await finish(handle)
    return result, (await handle.fetch_history()).events


def types(events: Any) -> List[str]:
    return [t for t, _ in project(events)]


async def test_a_run_from_before_the_patch_takes_the_old_branch(
    client: Client, server_target: str
) -> None:
    result, events = await handoff(client, server_target, ("ours", "v0"), ("ours", "v1"))
    assert result == "old"
    assert markers(events) == []
    assert "TIMER_STARTED" in types(events) and "WORKFLOW_PROPERTIES_MODIFIED" not in types(events)


async def test_a_new_run_takes_the_new_branch_and_records_the_patch(
    client: Client, server_target: str
) -> None:
    result, events = await handoff(client, server_target, ("ours", "v1"), None)
    assert result == "new"
    assert types(events) == EXPECTED_NEW_RUN
    assert markers(events) == [patch_marker(False), VERSION_UPSERT]
    # and the run is listed under its patch
    handle = client.get_workflow_handle(
        events[0].workflow_execution_started_event_attributes.workflow_id
    )
    desc = await handle.describe()
    assert desc.search_attributes.get("TemporalChangeVersion") == [PATCH_ID]


async def test_a_patched_run_replays_on_the_same_code(client: Client, server_target: str) -> None:
    # finished by another worker of the same code: the marker is replayed
    result, events = await handoff(client, server_target, ("ours", "v1"), ("ours", "v1"))
    assert result == "new"
    assert markers(events) == [patch_marker(False), VERSION_UPSERT]


async def test_deprecate_patch(client: Client, server_target: str) -> None:
    # a run of the patched code finished by the deprecating code
    result, events = await handoff(client, server_target, ("ours", "v1"), ("ours", "v2"))
    assert result == "new" and markers(events) == [patch_marker(False), VERSION_UPSERT]
    # a new run records a deprecated marker
    result, events = await handoff(client, server_target, ("ours", "v2"), None)
    assert result == "new" and markers(events) == [patch_marker(True), VERSION_UPSERT]
    assert types(events) == EXPECTED_NEW_RUN
    # which code without any patch call replays (the marker is skipped)
    result, events = await handoff(client, server_target, ("ours", "v2"), ("ours", "v3"))
    assert result == "new" and markers(events) == [patch_marker(True), VERSION_UPSERT]


async def test_a_marker_that_is_not_deprecated_needs_its_patch_call(
    client: Client, server_target: str
) -> None:
    tq = queue_for()
    async with worker(("ours", "v1"), client, server_target, tq):
        handle = await start(client, tq)
        await wait_for_stage(handle, "waiting")
    async with worker(("ours", "v3"), client, server_target, tq):
        await handle.signal("proceed")
        deadline = time.monotonic() + DEADLINE
        while True:
            failed = [
                e.workflow_task_failed_event_attributes
                for e in (await handle.fetch_history()).events
                if e.HasField("workflow_task_failed_event_attributes")
            ]
            if failed:
                break
            assert time.monotonic() < deadline, "the replay did not fail"
            await asyncio.sleep(0.1)
        from temporalio.api.enums.v1 import WorkflowTaskFailedCause

        assert (
            failed[0].cause
            == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
        )
        assert f"patch marker encountered for change {PATCH_ID}" in failed[0].failure.message
        await handle.terminate("done")


async def test_same_patched_history_on_both_sdks(client: Client, server_target: str) -> None:
    theirs_result, theirs = await handoff(client, server_target, ("official", "v1"), None)
    ours_result, ours = await handoff(client, server_target, ("ours", "v1"), None)
    assert theirs_result == ours_result == "new"
    assert types(ours) == types(theirs) == EXPECTED_NEW_RUN
    for i, (mine, other) in enumerate(zip(project(ours), project(theirs))):
        assert mine == other, f"event {i + 1} ({mine[0]}) differs"
    assert markers(ours) == markers(theirs) == [patch_marker(False), VERSION_UPSERT]
    theirs_dep = (await handoff(client, server_target, ("official", "v2"), None))[1]
    ours_dep = (await handoff(client, server_target, ("ours", "v2"), None))[1]
    assert markers(ours_dep) == markers(theirs_dep) == [patch_marker(True), VERSION_UPSERT]


@pytest.mark.parametrize(
    "first,second,branch",
    [
        (("official", "v0"), ("ours", "v1"), "old"),  # their run from before the patch
        (("official", "v1"), ("ours", "v1"), "new"),  # their marker replayed by us
        (("official", "v1"), ("ours", "v2"), "new"),  # ... by our deprecating code
        (("official", "v2"), ("ours", "v3"), "new"),  # their deprecated marker skipped by us
        (("ours", "v1"), ("official", "v1"), "new"),  # our marker replayed by them
        (("ours", "v0"), ("official", "v1"), "old"),
    ],
    ids=lambda x: "-".join(x) if isinstance(x, tuple) else x,
)
async def test_patched_runs_hand_over_between_sdks(
    client: Client, server_target: str, first: Sdk, second: Sdk, branch: str
) -> None:
    result, events = await handoff(client, server_target, first, second)
    assert result == branch
    if first[1] == "v0":
        assert markers(events) == []
    else:
        assert markers(events) == [patch_marker(first[1] == "v2"), VERSION_UPSERT]
