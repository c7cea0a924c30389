"""``temporalio.worker.Replayer`` against real histories: runs made on our
worker (and on the official SDK's, in ``.venv-peer``) on the dev server,
their histories fetched (or exported by the Temporal CLI as JSON) and
replayed with the same code (they replay), with changed code
(``NondeterminismError`` naming the event) and with code that fails the
workflow task (``RuntimeError``); and the other way round, a history of our
worker replayed by the official SDK's ``Replayer``. The replay itself talks to no server: the
core's replay worker feeds each history to the same run manager and engine
the polling worker uses."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, AsyncIterator, Callable, List, Sequence

import pytest
from temporalio.api.common.v1 import Payload

from temporalio import activity, workflow
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle, WorkflowHistory
from temporalio.common import HeaderCodecBehavior
from temporalio.converter import DataConverter, PayloadCodec
from temporalio.exceptions import ApplicationError
from temporalio.plugin import SimplePlugin
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.testing._devserver import find_temporal_executable
from temporalio.worker import (
    Replayer,
    UnsandboxedWorkflowRunner,
    Worker,
    WorkflowReplayResult,
    WorkflowReplayResults,
)
from tests.integration.test_workflow_cross_sdk import (  # noqa: F401  (a fixture)
    activity_queue,
    peer_worker,
    run_to_end,
    start,
)
from tests.integration.workflow_history import new_workflow_id as _id
from tests.peer.cross_sdk_workflows import WORKFLOW_NAME, CrossSdkWorkflow

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(180)]


@activity.defn
async def say_hello(name: str) -> str:
    return f"Hello, {name}!"


@dataclass
class SayHelloParams:
    name: str
    should_wait: bool = False
    should_error: bool = False
    should_cause_nondeterminism: bool = False


@workflow.defn
class SayHelloWorkflow:
    def __init__(self) -> None:
        self._waiting = False
        self._finish = False

    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        result = await workflow.execute_activity(
            say_hello, params.name, schedule_to_close_timeout=timedelta(seconds=60)
        )
        await workflow.sleep(0.05)
        if params.should_wait:
            self._waiting = True
            await workflow.wait_condition(lambda: self._finish)
            self._waiting = False
        if params.should_error:
            raise ApplicationError("Intentional error")
        if params.should_cause_nondeterminism and workflow.unsafe.is_replaying():
            await workflow.sleep(0.1)
        return result

    @workflow.signal
    def finish(self) -> None:
        self._finish = True

    @workflow.query
    def waiting(self) -> bool:
        return self._waiting


@workflow.defn(name="SayHelloWorkflow")
class SayHelloChanged:
    """SayHelloWorkflow's name, changed code: a timer before the activity."""

    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        await workflow.sleep(1)
        return await workflow.execute_activity(
            say_hello, params.name, schedule_to_close_timeout=timedelta(seconds=60)
        )


@workflow.defn(name="SayHelloWorkflow")
class SayHelloBroken:
    """SayHelloWorkflow's name, code that fails its first workflow task."""

    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        raise RuntimeError("broken code")


@workflow.defn
class OtherWorkflow:
    @workflow.run
    async def run(self) -> None:
        pass


async def run_say_hello(
    client: Client, task_queue: str, workflow_id: str = "", **params: Any
) -> WorkflowHandle:
    """Runs SayHelloWorkflow on our worker until it closes (or, with
    should_wait, until it waits for its signal)."""
    async with Worker(
        client, task_queue=task_queue, workflows=[SayHelloWorkflow], activities=[say_hello]
    ):
        handle = await client.start_workflow(
            SayHelloWorkflow.run,
            SayHelloParams(name="Temporal", **params),
            id=workflow_id or _id(),
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
        if params.get("should_wait"):
            while not await handle.query(SayHelloWorkflow.waiting):
                await asyncio.sleep(0.05)
        elif params.get("should_error"):
            with pytest.raises(WorkflowFailureError):
                await handle.result()
        else:
            assert await handle.result() == "Hello, Temporal!"
    return handle


async def test_completed_history_replays_with_the_same_code(
    client: Client, task_queue: str
) -> None:
    history = await (await run_say_hello(client, task_queue)).fetch_history()
    result = await Replayer(workflows=[SayHelloWorkflow]).replay_workflow(history)
    assert isinstance(result, WorkflowReplayResult)
    assert result.history is history and result.replay_failure is None


async def test_waiting_and_failed_runs_replay(client: Client, task_queue: str) -> None:
    waiting = await run_say_hello(client, task_queue, should_wait=True)
    failed = await run_say_hello(client, task_queue, should_error=True)
    replayer = Replayer(workflows=[SayHelloWorkflow])
    for handle in (waiting, failed):
        result = await replayer.replay_workflow(await handle.fetch_history())
        assert result.replay_failure is None
    await waiting.terminate()


async def test_changed_code_is_a_nondeterminism_error(client: Client, task_queue: str) -> None:
    history = await (await run_say_hello(client, task_queue)).fetch_history()
    replayer = Replayer(workflows=[SayHelloChanged])
    with pytest.raises(workflow.NondeterminismError) as err:
        await replayer.replay_workflow(history)
    # event 5 is the activity the old code scheduled; the new code starts a timer
    msg = str(err.value)
    assert msg.startswith("[TMPRL1100] Nondeterminism error"), msg
    assert "Event 5 (EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)" in msg, msg
    assert "START_TIMER" in msg, msg
    # returned instead of raised
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert isinstance(result.replay_failure, workflow.NondeterminismError)
    assert str(result.replay_failure) == msg


async def test_workflow_task_failure_is_raised(client: Client, task_queue: str) -> None:
    history = await (await run_say_hello(client, task_queue)).fetch_history()
    with pytest.raises(RuntimeError) as err:
        await Replayer(workflows=[SayHelloBroken]).replay_workflow(history)
    assert not isinstance(err.value, workflow.NondeterminismError)
    # the eviction reason (LANG_FAIL) then the failure, as the official SDK's
    assert str(err.value).startswith("4: Workflow activation completion failed: "), err.value
    assert "broken code" in str(err.value)
    with pytest.raises(RuntimeError) as err:
        await Replayer(workflows=[OtherWorkflow]).replay_workflow(history)
    assert "SayHelloWorkflow is not registered" in str(err.value)


async def test_history_exported_as_json_replays(
    client: Client, server_target: str, task_queue: str
) -> None:
    handle = await run_say_hello(client, task_queue)
    # the Temporal CLI's export, as a user downloads it
    target = server_target
    exported = subprocess.run(
        [
            find_temporal_executable(),
            "workflow",
            "show",
            "--address",
            target,
            "--workflow-id",
            handle.id,
            "--output",
            "json",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    history = WorkflowHistory.from_json(handle.id, exported)
    assert history == await handle.fetch_history()
    assert (
        await Replayer(workflows=[SayHelloWorkflow]).replay_workflow(history)
    ).replay_failure is None
    # and our own to_json round trip; with changed code it does not replay
    again = WorkflowHistory.from_json("fake", history.to_json())
    with pytest.raises(workflow.NondeterminismError):
        await Replayer(workflows=[SayHelloChanged]).replay_workflow(again)


async def test_several_histories_from_list_workflows(client: Client, task_queue: str) -> None:
    # Five runs of one workflow id; the 2nd and 4th change what they do on
    # replay (is_replaying), so they do not replay.
    workflow_id = _id()
    expected = {}
    for i in range(5):
        nondeterministic = i in (1, 3)
        handle = await run_say_hello(
            client, task_queue, workflow_id, should_cause_nondeterminism=nondeterministic
        )
        assert handle.result_run_id
        expected[handle.result_run_id] = nondeterministic

    def histories() -> AsyncIterator[WorkflowHistory]:
        return client.list_workflows(f"WorkflowId = '{workflow_id}'").map_histories()

    # visibility is eventually consistent: wait until all five are listed
    for _ in range(100):
        if len([h async for h in histories()]) == 5:
            break
        await asyncio.sleep(0.1)
    replayer = Replayer(workflows=[SayHelloWorkflow])
    async with replayer.workflow_replay_iterator(histories()) as results:
        got = {
            r.history.run_id: isinstance(r.replay_failure, workflow.NondeterminismError)
            async for r in results
        }
    assert got == expected

    summary = await replayer.replay_workflows(histories(), raise_on_replay_failure=False)
    assert isinstance(summary, WorkflowReplayResults)
    assert set(summary.replay_failures) == {r for r, bad in expected.items() if bad}
    assert all(
        isinstance(e, workflow.NondeterminismError) for e in summary.replay_failures.values()
    )
    with pytest.raises(workflow.NondeterminismError):
        await replayer.replay_workflows(histories())


async def test_replay_workflows_stops_at_the_first_failure(client: Client, task_queue: str) -> None:
    history = await (await run_say_hello(client, task_queue)).fetch_history()
    taken: List[str] = []

    async def histories() -> AsyncIterator[WorkflowHistory]:
        for name in ("first", "second"):
            taken.append(name)
            yield history

    with pytest.raises(workflow.NondeterminismError):
        await Replayer(workflows=[SayHelloChanged]).replay_workflows(histories())
    assert taken == ["first"]
    # a plain list works too, the same run may come again, and a Runtime of
    # its own runs the replay worker
    ok = await Replayer(
        workflows=[SayHelloWorkflow], runtime=Runtime(telemetry=TelemetryConfig())
    ).replay_workflows([history, history])
    assert ok.replay_failures == {}


async def test_official_sdk_history_replays_on_ours(
    client: Client,
    server_target: str,
    activity_queue: str,  # noqa: F811  (the fixture imported above)
) -> None:
    tq = f"replay-peer-{uuid.uuid4()}"
    async with peer_worker(server_target, tq):
        handle = await start(client, tq, activity_queue)
        await run_to_end(client, handle)
    history = await handle.fetch_history()
    # written by the official SDK: its sdk_metadata names it (only when it changes)
    sdk_names = {
        e.workflow_task_completed_event_attributes.sdk_metadata.sdk_name
        for e in history.events
        if e.HasField("workflow_task_completed_event_attributes")
    }
    assert sdk_names - {""} == {"temporal-python"}, sdk_names
    result = await Replayer(workflows=[CrossSdkWorkflow]).replay_workflow(history)
    assert result.replay_failure is None

    @workflow.defn(name=WORKFLOW_NAME)
    class Changed:
        @workflow.run
        async def run(self, args: Any) -> str:
            await workflow.sleep(1)
            return ""

    with pytest.raises(workflow.NondeterminismError) as err:
        await Replayer(workflows=[Changed]).replay_workflow(history)
    assert "Event 5 (EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)" in str(err.value)


# Replays a history (JSON file argv[1]) of CrossSdkWorkflow with the official
# SDK's Replayer; prints the failure's type and message, or "replayed".
OFFICIAL_REPLAY = r"""
import asyncio, sys
sys.path.insert(0, sys.argv[2])
from cross_sdk_workflows import CrossSdkWorkflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

async def main():
    history = WorkflowHistory.from_json("wf", open(sys.argv[1]).read())
    result = await Replayer(
        workflows=[CrossSdkWorkflow], workflow_runner=UnsandboxedWorkflowRunner()
    ).replay_workflow(history, raise_on_replay_failure=False)
    f = result.replay_failure
    print("replayed" if f is None else f"{type(f).__name__}: {f}")

asyncio.run(main())
"""


async def test_our_history_replays_on_the_official_sdk(
    client: Client,
    activity_queue: str,  # noqa: F811  (the fixture imported above)
    tmp_path: Any,
) -> None:
    from tests.peer.peerhost import _peer_environ, peer_python, run_official

    tq = f"replay-ours-{uuid.uuid4()}"
    async with Worker(client, task_queue=tq, workflows=[CrossSdkWorkflow]):
        handle = await start(client, tq, activity_queue)
        await run_to_end(client, handle)
    history = await handle.fetch_history()
    # ours replays it, and so does the official SDK's Replayer
    assert (
        await Replayer(workflows=[CrossSdkWorkflow]).replay_workflow(history)
    ).replay_failure is None
    path = tmp_path / "history.json"
    path.write_text(history.to_json())
    peer_dir = str(Path(__file__).parent.parent / "peer")
    proc = await asyncio.to_thread(
        run_official,
        [peer_python(), "-c", OFFICIAL_REPLAY, str(path), peer_dir],
        timeout=120,
        cwd="/",  # not this repository: its temporalio would shadow the official one
        env=_peer_environ(),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "replayed", proc.stdout


async def test_replayer_options() -> None:
    with pytest.raises(ValueError, match="At least one workflow"):
        Replayer(workflows=[])
    with pytest.raises(TypeError, match=r"plugins\[0\] must be a temporalio.worker.Plugin"):
        Replayer(workflows=[SayHelloWorkflow], plugins=[object()])  # type: ignore[list-item]
    with pytest.raises(NotImplementedError, match="workflow_runner"):
        Replayer(workflows=[SayHelloWorkflow], workflow_runner=object())
    with pytest.raises(NotImplementedError, match="header_codec_behavior"):
        Replayer(workflows=[SayHelloWorkflow], header_codec_behavior=HeaderCodecBehavior.CODEC)
    with pytest.raises(TypeError, match="runtime"):
        Replayer(workflows=[SayHelloWorkflow], runtime=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="workflow_failure_exception_types"):
        Replayer(workflows=[SayHelloWorkflow], workflow_failure_exception_types=[int])
    replayer = Replayer(
        workflows=[SayHelloWorkflow],
        namespace="ns",
        workflow_runner=UnsandboxedWorkflowRunner(),
        debug_mode=True,
    )
    config = replayer.config()
    assert config["namespace"] == "ns" and config["workflows"] == [SayHelloWorkflow]
    config["workflows"].append(OtherWorkflow)
    assert replayer.config()["workflows"] == [SayHelloWorkflow]
    # a history without its started event is refused
    with pytest.raises(ValueError, match="WorkflowExecutionStarted"):
        await replayer.replay_workflow(WorkflowHistory("w", []))


class XorCodec(PayloadCodec):
    """Flips every byte of each payload (the encoding named ``binary/xor``,
    the original kept in ``inner``): a history written through it replays
    only with a data converter that has it."""

    async def encode(self, payloads: Sequence[Payload]) -> List[Payload]:
        return [
            Payload(
                metadata={"encoding": b"binary/xor", "inner": p.metadata["encoding"]},
                data=bytes(b ^ 0xFF for b in p.data),
            )
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> List[Payload]:
        out = []
        for p in payloads:
            if p.metadata.get("encoding") != b"binary/xor":
                out.append(p)
                continue
            out.append(
                Payload(
                    metadata={"encoding": p.metadata["inner"]},
                    data=bytes(b ^ 0xFF for b in p.data),
                )
            )
        return out


async def test_simple_plugin_configures_the_replayer_of_its_workers_histories(
    server_target: str, task_queue: str
) -> None:
    # one plugin gives the client its codec and the worker its workflow ...
    plugin = SimplePlugin(
        "tests.replay-codec",
        data_converter=DataConverter(payload_codec=XorCodec()),
        workflows=[SayHelloWorkflow],
    )
    client = await Client.connect(server_target, plugins=[plugin])
    try:
        async with Worker(client, task_queue=task_queue, activities=[say_hello]):
            handle = await client.start_workflow(
                SayHelloWorkflow.run,
                SayHelloParams(name="Temporal"),
                id=_id(),
                task_queue=task_queue,
                execution_timeout=timedelta(seconds=60),
            )
            assert await handle.result() == "Hello, Temporal!"
        history = await handle.fetch_history()
    finally:
        await client.close()
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.input.payloads[0].metadata["encoding"] == b"binary/xor"
    # ... without it the input cannot be decoded: the workflow task fails
    with pytest.raises(RuntimeError) as err:
        await Replayer(workflows=[SayHelloWorkflow]).replay_workflow(history)
    assert not isinstance(err.value, workflow.NondeterminismError)
    # ... and the same plugin gives the replayer the workflow and the codec
    replayer = Replayer(workflows=[], plugins=[plugin])
    active = replayer.config(active_config=True)
    assert active["workflows"] == [SayHelloWorkflow]
    assert isinstance(active["data_converter"].payload_codec, XorCodec)
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
    # changed code is still told apart (a later plugin replaces the workflows)
    changed = SimplePlugin("changed", workflows=lambda _: [SayHelloChanged])
    with pytest.raises(workflow.NondeterminismError):
        await Replayer(workflows=[], plugins=[plugin, changed]).replay_workflow(history)


class ReplayRecorder(SimplePlugin):
    """Logs its run_replayer's set-up, each result and its tear-down."""

    def __init__(self, tag: str, log: List[str]) -> None:
        super().__init__(f"tests.{tag}")
        self.tag, self.log = tag, log

    @asynccontextmanager
    async def run_replayer(
        self, replayer: Any, histories: Any, next: Callable[..., Any]
    ) -> AsyncIterator[Any]:
        self.log.append(f"set up {self.tag}")

        async def logged(results: AsyncIterator[WorkflowReplayResult]) -> AsyncIterator[Any]:
            async for result in results:
                self.log.append(f"{self.tag} saw {result.history.workflow_id}")
                yield result

        try:
            async with next(replayer, histories) as results:
                yield logged(results)
        finally:
            self.log.append(f"tear down {self.tag}")


async def test_run_replayer_sets_up_and_tears_down_around_replay_workflows(
    client: Client, task_queue: str
) -> None:
    handles = [await run_say_hello(client, task_queue) for _ in range(2)]
    histories = [await h.fetch_history() for h in handles]
    ids = [h.id for h in handles]
    log: List[str] = []
    replayer = Replayer(
        workflows=[SayHelloWorkflow],
        plugins=[ReplayRecorder("a", log), ReplayRecorder("b", log)],
    )
    assert (await replayer.replay_workflows(histories)).replay_failures == {}
    # the first plugin outermost; each result passes the inner plugin first
    assert log == [
        "set up a",
        "set up b",
        f"b saw {ids[0]}",
        f"a saw {ids[0]}",
        f"b saw {ids[1]}",
        f"a saw {ids[1]}",
        "tear down b",
        "tear down a",
    ]
    # a failure raised out of replay_workflows still tears down, inner first
    log.clear()
    changed = Replayer(
        workflows=[SayHelloChanged],
        plugins=[ReplayRecorder("a", log), ReplayRecorder("b", log)],
    )
    with pytest.raises(workflow.NondeterminismError):
        await changed.replay_workflows(histories)
    assert log == ["set up a", "set up b", f"b saw {ids[0]}", f"a saw {ids[0]}"] + [
        "tear down b",
        "tear down a",
    ]
