"""The Python workflow sub-worker: deadlock detection (a stuck run never
holds back others), eviction, codecs over activations and completions,
``handle_activation``/``complete`` and the Worker's workflow options."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from typing import Any, List, Sequence

import pytest
from temporalio.bridge.proto import workflow_completion as wcomp

from temporalio import workflow
from temporalio.client import Client
from temporalio.converter import DataConverter, PayloadCodec
from temporalio.worker import Worker
from temporalio.worker._workflow import WorkflowWorker
from tests.unit._wfharness import (
    Harness,
    commands,
    evict,
    fire_timer,
    init,
    query,
    resolve_activity_ok,
    result_of,
    signal,
    value,
)


@workflow.defn
class Stuck:
    @workflow.run
    async def run(self) -> str:
        time.sleep(3)  # blocks the event loop: a deadlock
        return "woke"


@workflow.defn
class Quick:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(1)
        return "quick"


def test_deadlock_fails_the_activation_naming_the_workflow_and_its_stack() -> None:
    h = Harness(Stuck, deadlock_timeout=timedelta(seconds=0.5))
    started = time.monotonic()
    c = h.activate(init("Stuck"))
    elapsed = time.monotonic() - started
    assert c.HasField("failed")
    msg = c.failed.failure.message
    assert msg.startswith(
        "[TMPRL1101] Potential deadlock detected: workflow Stuck (ID wid, run ID run1)"
    )
    assert "didn't yield within 0.5 second(s)" in msg
    assert "time.sleep(3)" in msg and "time.sleep(3)" in c.failed.failure.stack_trace
    assert elapsed < 2.5, "the activation was not abandoned at the deadlock timeout"
    # the run waits for its eviction; eviction answers at once
    c = h.activate(signal("x"))
    assert c.HasField("failed") and "still stuck" in c.failed.failure.message
    c = h.activate(evict())
    assert c.HasField("successful") and commands(c) == []
    assert h.worker.cached_runs == 0


def test_a_stuck_run_never_holds_back_other_runs() -> None:
    out: List[bytes] = []
    w = WorkflowWorker(
        workflows=[Stuck, Quick],
        namespace="default",
        task_queue="tq",
        data_converter=DataConverter.default,
        complete=out.append,
        deadlock_timeout=timedelta(seconds=10),
    )
    stuck = Harness(Stuck, run_id="stuck")
    stuck.worker = w
    quick = Harness(Quick, run_id="quick")
    quick.worker = w

    async def main() -> List[Any]:
        t_stuck = asyncio.ensure_future(w.activate(stuck.activation(init("Stuck"))))
        await asyncio.sleep(0.1)
        # the stuck run's thread is busy; the other run goes on meanwhile
        c1 = await asyncio.wait_for(w.activate(quick.activation(init("Quick"))), 2)
        c2 = await asyncio.wait_for(w.activate(quick.activation(fire_timer(1), advance=1)), 2)
        assert not t_stuck.done()
        return [c1, c2, await asyncio.wait_for(t_stuck, 10)]

    c1, c2, c3 = asyncio.run(main())
    assert commands(c1) == ["start_timer"]
    assert result_of(c2) == "quick"
    assert result_of(c3) == "woke"  # under the 10 s timeout it just finishes


@workflow.defn
class Waits:
    def __init__(self) -> None:
        self.cleaned = False

    @workflow.run
    async def run(self) -> None:
        try:
            await workflow.sleep(100)
        finally:
            self.cleaned = True
            CLEANED.append(workflow.info().run_id)


CLEANED: List[str] = []


def test_eviction_drops_the_run_and_answers_an_empty_success() -> None:
    h = Harness(Waits)
    assert commands(h.activate(init("Waits"))) == ["start_timer"]
    assert h.worker.cached_runs == 1
    c = h.activate(evict("cache full"))
    assert c.run_id == "run1" and c.HasField("successful") and commands(c) == []
    assert h.worker.cached_runs == 0
    assert "run1" in CLEANED  # its tasks were unwound
    # a later activation of the run without initialize (no longer cached): fails
    c = h.activate(fire_timer(1))
    assert c.HasField("failed")
    assert "Missing initialize workflow" in c.failed.failure.message
    # eviction of an unknown run is answered too
    assert commands(h.activate(evict(), run_id="other")) == []


class PrefixCodec(PayloadCodec):
    """Prefixes each payload's data with a marker and tags its encoding."""

    async def encode(self, payloads: Sequence[Any]) -> List[Any]:
        out = []
        for p in payloads:
            q = type(p)()
            q.CopyFrom(p)
            q.metadata["encoding"] = b"binary/prefixed"
            q.metadata["inner"] = p.metadata["encoding"]
            q.data = b"PFX" + p.data
            out.append(q)
        return out

    async def decode(self, payloads: Sequence[Any]) -> List[Any]:
        out = []
        for p in payloads:
            assert p.metadata["encoding"] == b"binary/prefixed", "payload not encoded"
            q = type(p)()
            q.CopyFrom(p)
            q.metadata["encoding"] = p.metadata["inner"]
            del q.metadata["inner"]
            q.data = p.data[3:]
            out.append(q)
        return out


@workflow.defn
class Echo:
    def __init__(self) -> None:
        self.last = ""

    @workflow.run
    async def run(self, name: str) -> str:
        r = await workflow.execute_activity(
            "act", name, start_to_close_timeout=timedelta(seconds=5)
        )
        await workflow.wait_condition(lambda: self.last == "done")
        return f"{r}!"

    @workflow.signal
    def sig(self, v: str) -> None:
        self.last = v

    @workflow.query
    def q(self) -> str:
        return self.last


def test_codec_is_applied_to_activations_and_completions() -> None:
    codec = PrefixCodec()
    dc = DataConverter(payload_codec=codec)
    h = Harness(Echo, data_converter=dc)

    def enc(job: Any) -> Any:
        asyncio.run(_encode_job(codec, job))
        return job

    c = h.activate(enc(init("Echo", "x")))
    sa = c.successful.commands[0].schedule_activity
    assert sa.arguments[0].data == b'PFX"x"'
    h.activate(enc(resolve_activity_ok(1, "r")))
    c = h.activate(enc(query("q1", "q")))
    assert c.successful.commands[0].respond_to_query.succeeded.response.data == b'PFX""'
    c = h.activate(enc(signal("sig", "done")))
    res = c.successful.commands[0].complete_workflow_execution.result
    assert res.data == b'PFX"r!"'
    assert value(asyncio.run(codec.decode([res]))[0]) == "r!"


async def _encode_job(codec: PayloadCodec, job: Any) -> None:
    kind = job.WhichOneof("variant")
    if kind == "initialize_workflow":
        field = job.initialize_workflow.arguments
    elif kind == "signal_workflow":
        field = job.signal_workflow.input
    elif kind == "query_workflow":
        field = job.query_workflow.arguments
    else:
        r = job.resolve_activity.result.completed.result
        r.CopyFrom((await codec.encode([r]))[0])
        return
    new = await codec.encode(list(field))
    del field[:]
    field.extend(new)


def test_handle_activation_takes_bytes_and_awaits_an_async_complete() -> None:
    got: List[bytes] = []
    completed = threading.Event()

    async def complete(data: bytes) -> None:
        await asyncio.sleep(0)
        got.append(data)
        completed.set()

    w = WorkflowWorker(
        workflows=[Quick],
        namespace="default",
        task_queue="tq",
        data_converter=DataConverter.default,
        complete=complete,
    )
    h = Harness(Quick)
    asyncio.run(w.handle_activation(h.activation(init("Quick")).SerializeToString()))
    assert completed.is_set()
    c = wcomp.WorkflowActivationCompletion.FromString(got[0])
    assert commands(c) == ["start_timer"]


def test_worker_accepts_and_checks_workflows_and_options() -> None:
    client = Client("localhost:7233")  # never connected
    w = Worker(
        client,
        task_queue="tq",
        workflows=[Quick, Stuck],
        max_cached_workflows=0,
        max_concurrent_workflow_tasks=3,
        deadlock_timeout=timedelta(seconds=7),
    )
    assert w.workflows == [Quick, Stuck]
    assert w.deadlock_timeout == timedelta(seconds=7)
    assert Worker(client, task_queue="tq", workflows=[Quick]).deadlock_timeout == timedelta(
        seconds=2
    )
    assert (
        Worker(client, task_queue="tq", workflows=[Quick], debug_mode=True).deadlock_timeout is None
    )

    class NotAWorkflow:
        pass

    with pytest.raises(
        ValueError, match="missing attributes, was it decorated with @workflow.defn"
    ):
        Worker(client, task_queue="tq", workflows=[NotAWorkflow])
    with pytest.raises(TypeError, match=r"workflows\[0\] must be a @workflow.defn class"):
        Worker(client, task_queue="tq", workflows=[Quick().run])  # type: ignore[list-item]

    @workflow.defn(name="Quick")
    class Quick2:
        @workflow.run
        async def run(self) -> None:
            pass

    with pytest.raises(ValueError, match="More than one workflow named Quick"):
        Worker(client, task_queue="tq", workflows=[Quick, Quick2])
    with pytest.raises(ValueError, match="max_cached_workflows"):
        Worker(client, task_queue="tq", workflows=[Quick], max_cached_workflows=-1)
    with pytest.raises(ValueError, match="max_concurrent_workflow_tasks"):
        Worker(client, task_queue="tq", workflows=[Quick], max_concurrent_workflow_tasks=0)
    with pytest.raises(ValueError, match="sticky_queue_schedule_to_start_timeout"):
        Worker(
            client,
            task_queue="tq",
            workflows=[Quick],
            sticky_queue_schedule_to_start_timeout=timedelta(0),
        )
    with pytest.raises(ValueError, match="deadlock_timeout"):
        Worker(client, task_queue="tq", workflows=[Quick], deadlock_timeout=timedelta(0))
    with pytest.raises(TypeError, match="workflow_failure_exception_types"):
        Worker(
            client,
            task_queue="tq",
            workflows=[Quick],
            workflow_failure_exception_types=["ValueError"],
        )  # type: ignore[list-item]


@workflow.defn
class Slow:
    @workflow.run
    async def run(self) -> str:
        time.sleep(0.3)  # slow but under the deadlock timeout
        await workflow.sleep(1)
        return "done"


def test_overlapping_activation_of_one_run_is_refused_and_eviction_waits_for_it() -> None:
    h = Harness(Slow, deadlock_timeout=timedelta(seconds=5))

    async def main() -> List[Any]:
        first = asyncio.ensure_future(h.worker.activate(h.activation(init("Slow"))))
        await asyncio.sleep(0.05)
        second = await h.worker.activate(h.activation(signal("x")))
        evicted = await h.worker.activate(h.activation(evict()))
        return [await first, second, evicted]

    first, second, evicted = asyncio.run(main())
    assert commands(first) == ["start_timer"]
    assert second.HasField("failed") and "previous one still runs" in second.failed.failure.message
    assert commands(evicted) == [] and h.worker.cached_runs == 0
