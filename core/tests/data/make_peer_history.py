#!/usr/bin/env python3
"""Writes core/tests/data/peer_python_history*.bin: histories of runs of
workflows executed by the OFFICIAL Temporal Python SDK (the peer virtualenv,
scripts/peer-env), for test_wf_engine to replay on this SDK's engine.

The workflows use what the engine supports. PeerWorkflow: an activity,
timers (one cancelled), an activity cancelled (TRY_CANCEL), search
attributes and memo upserts, a signal, and completes. PeerWorkflow2: a
failed activity, a timed-out activity, an activity cancelled with
WAIT_CANCELLATION_COMPLETED, then the run is cancelled from outside and
cancels itself. PeerPatchWorkflow: patched("first") in the first task,
deprecate_patch("second") and patched("first") again in the second (core
patch markers and TemporalChangeVersion upserts). Run against a local dev
server, from a directory outside the repository:

    .venv/bin/python -m temporalio.testing bash -c \
      '.venv-peer/bin/python core/tests/data/make_peer_history.py'

(TEMPORAL_TEST_TARGET names the server.) Not run by the tests; the .bin
files it wrote are committed (a few KB each) and kept: delete one to write it
again.
"""

import asyncio
import os
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.history.v1 import History
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest

from temporalio import activity, workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import Worker
from temporalio.workflow import ActivityCancellationType

KEY = SearchAttributeKey.for_keyword("PeerKeyword")


@activity.defn
async def echo(x: str) -> str:
    return x


@activity.defn
async def slow() -> None:
    while True:
        activity.heartbeat()
        await asyncio.sleep(0.1)


@workflow.defn(sandboxed=False)
class PeerWorkflow:
    def __init__(self) -> None:
        self.signals: list = []

    @workflow.signal
    def sig(self, v: str) -> None:
        self.signals.append(v)

    @workflow.run
    async def run(self, arg: str) -> str:
        r = await workflow.execute_activity(echo, arg, start_to_close_timeout=timedelta(seconds=10))
        await asyncio.sleep(0.1)
        t = workflow.start_activity(
            slow,
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=2),
        )
        await asyncio.sleep(0.5)
        t.cancel()
        try:
            await t
        except ActivityError:
            pass
        long_timer = asyncio.create_task(asyncio.sleep(100))
        await asyncio.sleep(0.1)
        long_timer.cancel()
        workflow.upsert_search_attributes([KEY.value_set("peer")])
        workflow.upsert_memo({"k": "v"})
        await workflow.wait_condition(lambda: bool(self.signals))
        return r + self.signals[0]


@activity.defn
async def failing() -> None:
    raise ApplicationError("nope", non_retryable=True)


@activity.defn
async def sleepy() -> None:
    await asyncio.sleep(5)


@workflow.defn(sandboxed=False)
class PeerWorkflow2:
    @workflow.run
    async def run(self) -> None:
        try:
            await workflow.execute_activity(failing, start_to_close_timeout=timedelta(seconds=10))
        except ActivityError:
            pass
        try:
            await workflow.execute_activity(
                sleepy,
                start_to_close_timeout=timedelta(seconds=1),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError:
            pass
        t = workflow.start_activity(
            slow,
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=2),
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await asyncio.sleep(1)
        t.cancel()
        try:
            await t
        except ActivityError:
            pass
        await workflow.wait_condition(lambda: False)


@workflow.defn(sandboxed=False)
class PeerPatchWorkflow:
    @workflow.run
    async def run(self) -> str:
        first = workflow.patched("first")
        await asyncio.sleep(0.1)
        workflow.deprecate_patch("second")
        again = workflow.patched("first")
        await asyncio.sleep(0.1)
        return f"{first} {again}"


async def main() -> None:
    client = await Client.connect(os.environ["TEMPORAL_TEST_TARGET"])
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace="default",
            search_attributes={"PeerKeyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD},
        )
    )
    tq = f"peer-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=tq,
        workflows=[PeerWorkflow, PeerWorkflow2, PeerPatchWorkflow],
        activities=[echo, slow, failing, sleepy],
    ):
        h = await client.start_workflow(
            PeerWorkflow.run, "a", id=f"peer-{uuid.uuid4()}", task_queue=tq
        )
        await asyncio.sleep(2)
        await h.signal(PeerWorkflow.sig, "s")
        assert await h.result() == "as"
        hist = await h.fetch_history()
        h2 = await client.start_workflow(
            PeerWorkflow2.run, id=f"peer-{uuid.uuid4()}", task_queue=tq
        )
        await asyncio.sleep(5)
        await h2.cancel()
        try:
            await h2.result()
            raise AssertionError("PeerWorkflow2 was not cancelled")
        except WorkflowFailureError:
            pass
        hist2 = await h2.fetch_history()
        h3 = await client.start_workflow(
            PeerPatchWorkflow.run, id=f"peer-{uuid.uuid4()}", task_queue=tq
        )
        assert await h3.result() == "True True"
        hist3 = await h3.fetch_history()
    for name, hi in (
        ("peer_python_history.bin", hist),
        ("peer_python_history2.bin", hist2),
        ("peer_python_patch_history.bin", hist3),
    ):
        out = Path(__file__).resolve().parent / name
        if out.exists():
            continue  # keep the committed one (the tests expect its exact jobs)
        out.write_bytes(History(events=hi.events).SerializeToString())
        print(out, len(hi.events), "events")


asyncio.run(main())
