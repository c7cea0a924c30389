"""The ``temporalio.workflow`` API item by item, on our own worker against the
dev server: definitions (names, dynamic workflows, failure exception types,
``@workflow.init``), handlers (dynamic, set at runtime, buffered signals),
``info()``, deterministic time, random and uuid across replays, the logger,
timers (``sleep``, ``asyncio.sleep``/``wait_for``/``timeout``,
``wait_condition``), activities (every form and timeout, retry policy,
handle cancel), continue-as-new, search attributes and memo, read-only
queries, non-determinism, deadlocks.

Semantics are the official SDK's (``sdk-python``); each test asserts what a
user of it would observe (results, history events, failures)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Sequence, Tuple

import pytest

from temporalio import activity, workflow
from temporalio.client import Client, WorkflowFailureError, WorkflowQueryFailedError
from temporalio.common import (
    RawValue,
    RetryPolicy,
    SearchAttributeKey,
)
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    TimeoutError,
)
from temporalio.worker import Worker
from tests.integration.workflow_history import history as _history
from tests.integration.workflow_history import new_workflow_id as _id
from tests.integration.workflow_history import wait_for_event as _wait_for_event

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

TIMEOUT = timedelta(seconds=60)


def _kinds(events: List[Any]) -> List[str]:
    return [e.WhichOneof("attributes") for e in events]


def _event_time(e: Any) -> datetime:
    return e.event_time.ToDatetime().replace(tzinfo=timezone.utc)


# ---- defn: names, dynamic, init ------------------------------------------------------------


@workflow.defn(name="Custom-Name")
class NamedWorkflow:
    @workflow.run
    async def run(self, x: int) -> str:
        return f"{workflow.info().workflow_type} got {x + 1}"


@workflow.defn(dynamic=True)
class DynamicWorkflow:
    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> Dict[str, Any]:
        pc = workflow.payload_converter()
        return {
            "type": workflow.info().workflow_type,
            "kinds": [type(a).__name__ for a in args],
            "args": [pc.from_payload(a.payload) for a in args],
        }


@workflow.defn
class InitWorkflow:
    @workflow.init
    def __init__(self, name: str, times: int) -> None:
        # the workflow's arguments, before run() and before any handler
        self.greeting = f"Hello, {name}" + "!" * times

    @workflow.run
    async def run(self, name: str, times: int) -> str:
        return self.greeting

    @workflow.query
    def greeting_query(self) -> str:
        return self.greeting


async def test_defn_name_dynamic_and_init(client: Client, task_queue: str) -> None:
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[NamedWorkflow, DynamicWorkflow, InitWorkflow],
    ):
        # the registered name, not the class name, selects the class
        assert (
            await client.execute_workflow(
                "Custom-Name", 41, id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
            )
            == "Custom-Name got 42"
        )
        # a type no class is registered for goes to the dynamic workflow, its
        # arguments as RawValue
        assert await client.execute_workflow(
            "NoSuchType",
            args=["a", {"b": 2}],
            id=_id(),
            task_queue=task_queue,
            execution_timeout=TIMEOUT,
        ) == {"type": "NoSuchType", "kinds": ["RawValue", "RawValue"], "args": ["a", {"b": 2}]}
        # the class name of a renamed class is not registered: dynamic again
        r = await client.execute_workflow(
            "NamedWorkflow", id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
        )
        assert r == {"type": "NamedWorkflow", "kinds": [], "args": []}
        # @workflow.init: __init__ gets the arguments
        h = await client.start_workflow(
            InitWorkflow.run,
            args=["Temporal", 2],
            id=_id(),
            task_queue=task_queue,
            execution_timeout=TIMEOUT,
        )
        assert await h.result() == "Hello, Temporal!!"
        assert await h.query(InitWorkflow.greeting_query) == "Hello, Temporal!!"


class DeclaredError(Exception):
    pass


@workflow.defn(name="FailureTypes", failure_exception_types=[DeclaredError])
class FailureTypesWorkflow:
    @workflow.run
    async def run(self, how: str) -> str:
        await workflow.sleep(0.05)
        if how == "declared":
            raise DeclaredError("declared failure")
        if how == "declared-subclass":
            raise type("SubDeclared", (DeclaredError,), {})("a subclass counts too")
        raise RuntimeError("undeclared: fails the task")


@workflow.defn(name="FailureTypes", failure_exception_types=[DeclaredError])
class FailureTypesFixed:
    """The same workflow with its bug fixed (a new deployment)."""

    @workflow.run
    async def run(self, how: str) -> str:
        await workflow.sleep(0.05)
        return "fixed"


async def test_failure_exception_types(client: Client, task_queue: str) -> None:
    # One poller and no cache for the broken worker: the fixed worker started
    # below while it is still up then takes a retried task at its second try
    # at the latest (the server hands tasks to pollers in arrival order, so
    # five pollers waiting ahead of the fixed worker's could each take a
    # retry, ten seconds apart, and outlast the run's timeout).
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[FailureTypesWorkflow],
        max_cached_workflows=0,
        max_concurrent_workflow_task_polls=1,
    ):
        # a declared type fails the workflow (converted to an ApplicationError
        # whose type is the class name)
        for how, typ, msg in [
            ("declared", "DeclaredError", "declared failure"),
            ("declared-subclass", "SubDeclared", "a subclass counts too"),
        ]:
            with pytest.raises(WorkflowFailureError) as ei:
                await client.execute_workflow(
                    "FailureTypes", how, id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
                )
            cause = ei.value.cause
            assert isinstance(cause, ApplicationError), cause
            assert (cause.type, cause.message) == (typ, msg)

        # anything else fails the workflow *task*: the workflow stays open,
        # the server retries the task, the failure is in history with its stack
        wid = _id()
        h = await client.start_workflow(
            "FailureTypes", "undeclared", id=wid, task_queue=task_queue, execution_timeout=TIMEOUT
        )
        failed = await _wait_for_event(client, wid, "workflow_task_failed_event_attributes")
        attrs = failed.workflow_task_failed_event_attributes
        assert attrs.failure.message == "undeclared: fails the task", attrs.failure
        assert "in run" in attrs.failure.stack_trace, attrs.failure.stack_trace
        assert 'raise RuntimeError("undeclared' in attrs.failure.stack_trace
        # retried: the pending task's attempt grows (later attempts are not
        # written to history, as the server does for every SDK)
        deadline = time.monotonic() + 40
        attempt = 0
        while time.monotonic() < deadline:
            desc = await h.describe()
            attempt = desc.raw_description.pending_workflow_task.attempt
            if attempt >= 2:
                break
            await asyncio.sleep(0.3)
        assert attempt >= 2, attempt
        assert (await h.describe()).status.name == "RUNNING"
        # a new worker with the bug fixed: the same run completes. The broken
        # worker stays up until then: stopped while it retries the task, it
        # may take a task with it that then stays started far past its
        # timeout (a known problem, see the report of this test's commit)
        async with Worker(client, task_queue=task_queue, workflows=[FailureTypesFixed]):
            assert await h.result() == "fixed"
    kinds = _kinds(await _history(client, wid))
    assert kinds[-1] == "workflow_execution_completed_event_attributes"
    assert "workflow_execution_failed_event_attributes" not in kinds


@workflow.defn
class RaisesKeyError:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(0.05)
        return {"a": "b"}["missing"]


async def test_worker_level_failure_exception_types(client: Client, task_queue: str) -> None:
    # Worker(workflow_failure_exception_types=...): for every workflow of the worker
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[RaisesKeyError],
        workflow_failure_exception_types=[LookupError],
    ):
        with pytest.raises(WorkflowFailureError) as ei:
            await client.execute_workflow(
                RaisesKeyError.run, id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
            )
    cause = ei.value.cause
    assert isinstance(cause, ApplicationError), cause
    assert cause.type == "KeyError" and "missing" in cause.message, (cause.type, cause.message)


# ---- handlers: dynamic, set at runtime, buffered --------------------------------------------


@workflow.defn
class HandlersWorkflow:
    def __init__(self) -> None:
        self.log: List[Any] = []
        self.done = False

    @workflow.run
    async def run(self) -> List[Any]:
        # wait for "install" before installing the runtime handlers: signals
        # sent before are buffered and delivered, in order, once they exist
        await workflow.wait_condition(lambda: "install" in self.log)
        assert workflow.get_signal_handler("runtime") is None
        workflow.set_signal_handler("runtime", lambda v: self.log.append(f"runtime:{v}"))
        assert workflow.get_signal_handler("runtime") is not None
        workflow.set_query_handler("runtime_query", lambda p: f"{p}:{len(self.log)}")
        await workflow.wait_condition(lambda: "dyn-install" in self.log)

        def dyn_signal(name: str, args: Sequence[RawValue]) -> None:
            pc = workflow.payload_converter()
            self.log.append(f"dyn:{name}:{[pc.from_payload(a.payload) for a in args]}")

        def dyn_query(name: str, args: Sequence[RawValue]) -> str:
            pc = workflow.payload_converter()
            return f"dynq:{name}:{[pc.from_payload(a.payload) for a in args]}"

        workflow.set_dynamic_signal_handler(dyn_signal)
        workflow.set_dynamic_query_handler(dyn_query)
        assert workflow.get_dynamic_signal_handler() is dyn_signal
        # unset: "runtime" signals are buffered again (then go to the dynamic handler)
        workflow.set_signal_handler("runtime", None)
        await workflow.wait_condition(lambda: self.done)
        return self.log

    @workflow.signal
    def record(self, v: str) -> None:
        self.log.append(v)

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def get_log(self) -> List[Any]:
        return list(self.log)


@workflow.defn
class DecoratedDynamicHandlers:
    def __init__(self) -> None:
        self.got: List[str] = []

    @workflow.run
    async def run(self) -> List[str]:
        await workflow.wait_condition(lambda: len(self.got) >= 3)
        return self.got

    @workflow.signal(dynamic=True)
    def any_signal(self, name: str, args: Sequence[RawValue]) -> None:
        pc = workflow.payload_converter()
        self.got.append(f"{name}{[pc.from_payload(a.payload) for a in args]}")

    @workflow.query(dynamic=True)
    def any_query(self, name: str, args: Sequence[RawValue]) -> str:
        return f"{name} with {len(args)} arg(s), {len(self.got)} signal(s)"


async def test_handlers_dynamic_and_set_at_runtime(client: Client, task_queue: str) -> None:
    async with Worker(
        client, task_queue=task_queue, workflows=[HandlersWorkflow, DecoratedDynamicHandlers]
    ):
        h = await client.start_workflow(
            HandlersWorkflow.run, id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
        )
        await h.signal("runtime", "early-1")  # no handler yet: buffered
        await h.signal("other", 1, 2)  # no handler, no dynamic handler yet: buffered
        await h.signal("runtime", "early-2")
        await h.signal(HandlersWorkflow.record, "install")
        # the runtime query handler exists once the buffered signals went in
        deadline = time.monotonic() + 30
        while True:
            try:
                n = await h.query("runtime_query", "n")
                break
            except WorkflowQueryFailedError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        assert n == "n:3", n
        await h.signal("runtime", "late")
        await h.signal(HandlersWorkflow.record, "dyn-install")
        deadline = time.monotonic() + 30
        while "dyn:other" not in str(await h.query(HandlersWorkflow.get_log)):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.2)
        assert await h.query("whatever", "x", 5) == "dynq:whatever:['x', 5]"
        await h.signal("runtime", "after-unset")
        await h.signal(HandlersWorkflow.finish)
        log = await h.result()
        # "install" ran at once; the buffered signals went in when their
        # handler was set, in the order they came
        assert log == [
            "install",
            "runtime:early-1",
            "runtime:early-2",
            "runtime:late",
            "dyn-install",
            "dyn:other:[1, 2]",
            "dyn:runtime:['after-unset']",
        ], log

        h2 = await client.start_workflow(
            DecoratedDynamicHandlers.run, id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
        )
        await h2.signal("a")
        await h2.signal("b", "x")
        assert await h2.query("q1", 1, 2) == "q1 with 2 arg(s), 2 signal(s)"
        await h2.signal("c", 1, {"k": None})
        assert await h2.result() == ["a[]", "b['x']", "c[1, {'k': None}]"]


# ---- info ------------------------------------------------------------------------------------


@workflow.defn
class InfoWorkflow:
    @workflow.run
    async def run(self) -> Dict[str, Any]:
        i = workflow.info()
        rp = i.retry_policy
        return {
            "workflow_id": i.workflow_id,
            "run_id": i.run_id,
            "workflow_type": i.workflow_type,
            "task_queue": i.task_queue,
            "namespace": i.namespace,
            "attempt": i.attempt,
            "start_time": i.start_time.isoformat(),
            "workflow_start_time": i.workflow_start_time.isoformat(),
            "now": workflow.now().isoformat(),
            "run_timeout": i.run_timeout.total_seconds() if i.run_timeout else None,
            "execution_timeout": (
                i.execution_timeout.total_seconds() if i.execution_timeout else None
            ),
            "task_timeout": i.task_timeout.total_seconds(),
            "first_execution_run_id": i.first_execution_run_id,
            "continued_run_id": i.continued_run_id,
            "cron_schedule": i.cron_schedule,
            "parent": i.parent,
            "retry_max_attempts": rp.maximum_attempts if rp else None,
            "history_length": i.get_current_history_length(),
            "in_workflow": workflow.in_workflow(),
        }


async def test_info_matches_describe(client: Client, task_queue: str) -> None:
    wid = _id()
    async with Worker(client, task_queue=task_queue, workflows=[InfoWorkflow]):
        h = await client.start_workflow(
            InfoWorkflow.run,
            id=wid,
            task_queue=task_queue,
            execution_timeout=TIMEOUT,
            run_timeout=timedelta(seconds=50),
            task_timeout=timedelta(seconds=7),
            retry_policy=RetryPolicy(maximum_attempts=4),
        )
        info = await h.result()
    desc = await h.describe()
    events = await _history(client, wid)
    first_task_started = next(
        e for e in events if e.HasField("workflow_task_started_event_attributes")
    )
    assert info["workflow_id"] == desc.id == wid
    assert info["run_id"] == desc.run_id == h.result_run_id
    assert info["workflow_type"] == desc.workflow_type == "InfoWorkflow"
    assert info["task_queue"] == desc.task_queue == task_queue
    assert info["namespace"] == client.namespace
    assert info["attempt"] == 1
    # workflow_start_time: when the run started; start_time (as the official
    # SDK): when its first workflow task started, also what now() said then
    assert datetime.fromisoformat(info["workflow_start_time"]) == desc.start_time
    assert datetime.fromisoformat(info["start_time"]) == _event_time(first_task_started)
    now = datetime.fromisoformat(info["now"])
    assert abs(now - datetime.fromisoformat(info["start_time"])) <= timedelta(microseconds=1)
    assert (info["run_timeout"], info["execution_timeout"], info["task_timeout"]) == (50, 60, 7)
    assert info["first_execution_run_id"] == h.result_run_id
    assert info["continued_run_id"] is None and info["cron_schedule"] is None
    assert info["parent"] is None
    assert info["retry_max_attempts"] == 4
    assert info["history_length"] == 3  # started, task scheduled, task started
    assert info["in_workflow"] is True
    assert workflow.in_workflow() is False


# ---- determinism across replays: now, time, random, uuid4, logger ---------------------------

_seen: Dict[str, List[Tuple[bool, List[Any]]]] = {}


@workflow.defn
class DeterminismWorkflow:
    @workflow.run
    async def run(self, key: str, steps: int) -> List[List[Any]]:
        out = []
        for i in range(steps):
            rec = [
                i,
                workflow.now().isoformat(),
                workflow.time(),
                workflow.time_ns(),
                workflow.random().random(),
                workflow.random().randint(0, 1 << 30),
                str(workflow.uuid4()),
            ]
            _seen.setdefault(key, []).append((workflow.unsafe.is_replaying(), rec))
            workflow.logger.info("step %d of %s", i, key)
            out.append(rec)
            await workflow.sleep(0.2)
        return out


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize("cache", [1000, 0])
async def test_deterministic_values_and_logger_across_replay(
    client: Client, task_queue: str, cache: int
) -> None:
    key = str(uuid.uuid4())
    wid = _id()
    steps = 4
    handler = _ListHandler()
    wf_logger = logging.getLogger("temporalio.workflow")
    old_level = wf_logger.level
    wf_logger.addHandler(handler)
    wf_logger.setLevel(logging.INFO)
    try:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[DeterminismWorkflow],
            max_cached_workflows=cache,
        ):
            result = await client.execute_workflow(
                DeterminismWorkflow.run,
                args=[key, steps],
                id=wid,
                task_queue=task_queue,
                execution_timeout=TIMEOUT,
            )
    finally:
        wf_logger.removeHandler(handler)
        wf_logger.setLevel(old_level)
    seen = _seen[key]
    # each step ran once for real; with no cache it also ran again in every
    # later task's replay, with the very same time, random values and uuids
    for i in range(steps):
        runs = [(replaying, rec) for replaying, rec in seen if rec[0] == i]
        assert [r for r in runs if not r[0]] == [(False, result[i])], runs
        replays = [rec for replaying, rec in runs if replaying]
        if cache == 0:
            assert len(replays) == steps - i, runs  # one per later task
        else:
            assert replays == []
        assert all(rec == result[i] for rec in replays), runs
    # the time is the task's (it moves with the timers), not the wall clock
    times = [datetime.fromisoformat(r[1]) for r in result]
    for a, b in zip(times, times[1:]):
        assert b - a >= timedelta(seconds=0.2), times
    for r in result:
        assert abs(r[2] - datetime.fromisoformat(r[1]).timestamp()) < 1e-5
        assert abs(r[3] / 1e9 - r[2]) < 1e-5
    events = await _history(client, wid)
    task_starts = [
        _event_time(e)
        for e, nxt in zip(events, events[1:])
        if e.HasField("workflow_task_started_event_attributes")
        and nxt.HasField("workflow_task_completed_event_attributes")
    ]
    # (now() is built from a float, as the official SDK's: within 1 µs)
    assert len(task_starts) >= steps
    for t, started in zip(times, task_starts):
        assert abs(t - started) <= timedelta(microseconds=1), (times, task_starts)
    # uuid4: version 4, all different; random differs per step
    uuids = [uuid.UUID(r[6]) for r in result]
    assert all(u.version == 4 for u in uuids) and len(set(uuids)) == steps
    assert len({r[4] for r in result}) == steps
    # the logger: once per step (silent while replaying), with the
    # workflow's details in the message and in extra
    mine = [r for r in handler.records if key in r.getMessage()]
    assert [r.getMessage().split(" (")[0] for r in mine] == [
        f"step {i} of {key}" for i in range(steps)
    ], [r.getMessage() for r in mine]
    for r in mine:
        details = getattr(r, "temporal_workflow")
        assert details["workflow_id"] == wid
        assert details["workflow_type"] == "DeterminismWorkflow"
        assert details["task_queue"] == task_queue
        assert details["namespace"] == client.namespace
        assert details["run_id"] and details["attempt"] == 1
        assert f"'workflow_id': '{wid}'" in r.getMessage()


# ---- timers and conditions -------------------------------------------------------------------


@workflow.defn
class TimersWorkflow:
    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.flag = False

    @workflow.run
    async def run(self) -> List[str]:
        out = []
        t0 = workflow.now()
        await workflow.sleep(timedelta(milliseconds=300))
        await workflow.sleep(0.3)
        await asyncio.sleep(0.3)
        out.append(f"slept {(workflow.now() - t0) >= timedelta(seconds=0.9)}")
        # wait_for: the timeout fires
        try:
            await asyncio.wait_for(asyncio.Event().wait(), 0.4)
            out.append("wait_for: no timeout?")
        except asyncio.TimeoutError:
            out.append("wait_for: timed out")
        # wait_for: the awaited thing comes first (signal), its timer is cancelled
        r = await asyncio.wait_for(self._event_then("value"), 30)
        out.append(f"wait_for: {r}")
        # asyncio.timeout (3.11)
        try:
            async with asyncio.timeout(0.4):
                await asyncio.Event().wait()
            out.append("timeout: none?")
        except asyncio.TimeoutError:
            out.append("timeout: timed out")
        # wait_condition with a timeout that fires: asyncio.TimeoutError
        try:
            await workflow.wait_condition(lambda: False, timeout=0.4)
            out.append("condition: no timeout?")
        except asyncio.TimeoutError:
            out.append("condition: timed out")
        # wait_condition without timeout, and with one that does not fire
        await workflow.wait_condition(lambda: self.flag)
        await workflow.wait_condition(lambda: self.flag, timeout=timedelta(seconds=30))
        out.append("condition: met")
        return out

    async def _event_then(self, v: str) -> str:
        await self.event.wait()
        return v

    @workflow.signal
    def set_event(self) -> None:
        self.event.set()

    @workflow.signal
    def set_flag(self) -> None:
        self.flag = True


async def test_timers_wait_for_timeout_and_conditions(client: Client, task_queue: str) -> None:
    wid = _id()
    async with Worker(client, task_queue=task_queue, workflows=[TimersWorkflow]):
        h = await client.start_workflow(
            TimersWorkflow.run, id=wid, task_queue=task_queue, execution_timeout=TIMEOUT
        )
        # the 4th timer is wait_for's 30 s one: signal then
        deadline = time.monotonic() + 30
        while _kinds(await _history(client, wid)).count("timer_started_event_attributes") < 5:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.2)
        await h.signal(TimersWorkflow.set_event)
        await _wait_for_event(client, wid, "timer_canceled_event_attributes")
        # condition timer (0.4 s) fires, then the unbounded wait: signal
        deadline = time.monotonic() + 30
        while _kinds(await _history(client, wid)).count("timer_fired_event_attributes") < 6:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.2)
        await h.signal(TimersWorkflow.set_flag)
        result = await h.result()
    assert result == [
        "slept True",
        "wait_for: timed out",
        "wait_for: value",
        "timeout: timed out",
        "condition: timed out",
        "condition: met",
    ]
    events = await _history(client, wid)
    started = [
        e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        for e in events
        if e.HasField("timer_started_event_attributes")
    ]
    s = timedelta(seconds=1)
    # the last wait_condition's condition held at once: its timer was started
    # and cancelled in one activation, so no command reached the server
    assert started == [0.3 * s, 0.3 * s, 0.3 * s, 0.4 * s, 30 * s, 0.4 * s, 0.4 * s], started
    kinds = _kinds(events)
    # wait_for's 30 s timer: cancelled once the awaited thing came
    assert kinds.count("timer_canceled_event_attributes") == 1
    assert kinds.count("timer_fired_event_attributes") == 6


# ---- activities ------------------------------------------------------------------------------


@activity.defn
async def echo(v: str) -> str:
    return f"echo {v}"


class MethodActivities:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    @activity.defn(name="method_act")
    async def method_act(self, v: str) -> str:
        return f"{self.prefix} {v}"


@activity.defn(name="class_act")
class ClassActivity:
    def __init__(self, suffix: str) -> None:
        self.suffix = suffix

    async def __call__(self, v: str) -> str:
        return f"{v} {self.suffix}"


@activity.defn
async def slow(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return "slow done"


@activity.defn
async def silent(seconds: float) -> str:
    # never heartbeats
    await asyncio.sleep(seconds)
    return "silent done"


_attempts: Dict[str, int] = {}


@activity.defn
async def fails_with(key: str, err_type: str) -> str:
    _attempts[key] = activity.info().attempt
    raise ApplicationError(f"attempt {activity.info().attempt}", type=err_type)


@workflow.defn
class ActivitiesWorkflow:
    @workflow.run
    async def run(self, key: str, other_queue: str) -> List[str]:
        out: List[str] = []
        t = timedelta(seconds=10)
        out.append(await workflow.execute_activity(echo, "a", start_to_close_timeout=t))
        h = workflow.start_activity(echo, "b", schedule_to_close_timeout=t)
        assert isinstance(h, workflow.ActivityHandle) and isinstance(h, asyncio.Task)
        out.append(await h)
        out.append(await workflow.execute_activity("echo", "by-name", start_to_close_timeout=t))
        out.append(
            await workflow.execute_activity_method(
                MethodActivities.method_act, "c", start_to_close_timeout=t
            )
        )
        out.append(
            await workflow.start_activity_method(
                MethodActivities.method_act, "d", start_to_close_timeout=t
            )
        )
        out.append(
            await workflow.execute_activity_class(ClassActivity, "e", start_to_close_timeout=t)
        )
        out.append(
            await workflow.start_activity_class(ClassActivity, "f", start_to_close_timeout=t)
        )
        no_retry = RetryPolicy(maximum_attempts=1)
        for name, kwargs in [
            (
                "schedule_to_close",
                dict(schedule_to_close_timeout=timedelta(seconds=1), retry_policy=no_retry),
            ),
            (
                "start_to_close",
                dict(start_to_close_timeout=timedelta(seconds=1), retry_policy=no_retry),
            ),
            (
                "heartbeat",
                dict(
                    start_to_close_timeout=timedelta(seconds=20),
                    heartbeat_timeout=timedelta(seconds=1),
                    retry_policy=no_retry,
                ),
            ),
        ]:
            try:
                await workflow.execute_activity(silent, 5.0, **kwargs)  # type: ignore[arg-type]
                out.append(f"{name}: no timeout?")
            except ActivityError as e:
                c = e.cause
                assert isinstance(c, TimeoutError), c
                out.append(f"{name}: {c.type.name if c.type else None}")
        # schedule_to_start: a task queue nobody polls
        try:
            await workflow.execute_activity(
                echo,
                "never",
                task_queue=other_queue,
                schedule_to_start_timeout=timedelta(seconds=1),
                start_to_close_timeout=t,
            )
            out.append("schedule_to_start: no timeout?")
        except ActivityError as e:
            c = e.cause
            assert isinstance(c, TimeoutError), c
            out.append(f"schedule_to_start: {c.type.name if c.type else None}")
        # retry policy: attempts bounded, non-retryable types stop at once
        policy = RetryPolicy(
            initial_interval=timedelta(milliseconds=100),
            backoff_coefficient=1.5,
            maximum_interval=timedelta(milliseconds=300),
            maximum_attempts=3,
            non_retryable_error_types=["Fatal"],
        )
        for err_type in ["Transient", "Fatal"]:
            try:
                await workflow.execute_activity(
                    fails_with,
                    args=[f"{key}-{err_type}", err_type],
                    start_to_close_timeout=t,
                    retry_policy=policy,
                    activity_id=f"retry-{err_type}",
                )
            except ActivityError as e:
                c = e.cause
                assert isinstance(c, ApplicationError)
                out.append(
                    f"{err_type}: {c.message} {e.retry_state.name if e.retry_state else None}"
                )
        # the handle's cancel (TRY_CANCEL: resolved as cancelled at once)
        h2 = workflow.start_activity(
            slow,
            30.0,
            start_to_close_timeout=timedelta(seconds=60),
            heartbeat_timeout=timedelta(seconds=50),
        )
        await workflow.sleep(0.5)
        h2.cancel()
        try:
            await h2
        except ActivityError as e:
            out.append(f"cancelled: {type(e.cause).__name__}")
        return out


async def test_activities_forms_timeouts_retry_and_cancel(client: Client, task_queue: str) -> None:
    key = str(uuid.uuid4())
    wid = _id()
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[ActivitiesWorkflow],
        activities=[
            echo,
            MethodActivities("method").method_act,
            ClassActivity("class"),
            slow,
            silent,
            fails_with,
        ],
        graceful_shutdown_timeout=timedelta(seconds=1),
    ):
        result = await client.execute_workflow(
            ActivitiesWorkflow.run,
            args=[key, f"{task_queue}-nobody"],
            id=wid,
            task_queue=task_queue,
            execution_timeout=TIMEOUT,
        )
    assert result == [
        "echo a",
        "echo b",
        "echo by-name",
        "method c",
        "method d",
        "e class",
        "f class",
        "schedule_to_close: SCHEDULE_TO_CLOSE",
        "start_to_close: START_TO_CLOSE",
        "heartbeat: HEARTBEAT",
        "schedule_to_start: SCHEDULE_TO_START",
        "Transient: attempt 3 MAXIMUM_ATTEMPTS_REACHED",
        "Fatal: attempt 1 NON_RETRYABLE_FAILURE",
        "cancelled: CancelledError",
    ], result
    assert _attempts[f"{key}-Transient"] == 3 and _attempts[f"{key}-Fatal"] == 1
    # what the commands asked for is what the server recorded
    sched = [
        e.activity_task_scheduled_event_attributes
        for e in await _history(client, wid)
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    types = [s.activity_type.name for s in sched]
    assert types[:7] == ["echo"] * 3 + ["method_act"] * 2 + ["class_act"] * 2
    hb = sched[9]
    assert hb.heartbeat_timeout.ToTimedelta() == timedelta(seconds=1)
    assert hb.start_to_close_timeout.ToTimedelta() == timedelta(seconds=20)
    s2s = sched[10]
    assert s2s.task_queue.name == f"{task_queue}-nobody"
    assert s2s.schedule_to_start_timeout.ToTimedelta() == timedelta(seconds=1)
    rp = sched[11].retry_policy
    assert sched[11].activity_id == "retry-Transient"
    assert rp.initial_interval.ToTimedelta() == timedelta(milliseconds=100)
    assert rp.backoff_coefficient == 1.5
    assert rp.maximum_interval.ToTimedelta() == timedelta(milliseconds=300)
    assert rp.maximum_attempts == 3
    assert list(rp.non_retryable_error_types) == ["Fatal"]


# ---- continue-as-new, search attributes, memo ------------------------------------------------


@workflow.defn
class CanTarget:
    @workflow.run
    async def run(self, a: str, b: int) -> Dict[str, Any]:
        i = workflow.info()
        return {
            "args": [a, b],
            "type": i.workflow_type,
            "continued_run_id": i.continued_run_id,
            "first_execution_run_id": i.first_execution_run_id,
            "run_timeout": i.run_timeout.total_seconds() if i.run_timeout else None,
            "memo": dict(workflow.memo()),
        }


@workflow.defn
class CanSource:
    @workflow.run
    async def run(self, n: int) -> str:
        await workflow.sleep(0.05)
        if n < 2:
            try:
                workflow.continue_as_new(n + 1)
            except Exception:  # ContinueAsNewError is a BaseException: not caught here
                return "caught by except Exception"
        try:
            workflow.continue_as_new(
                args=["from source", n],
                workflow=CanTarget.run,
                run_timeout=timedelta(seconds=45),
                memo={"carried": n},
            )
        except workflow.ContinueAsNewError:
            # it is what continue_as_new raises; re-raised, it still continues
            raise
        return "unreachable"


async def test_continue_as_new_args_and_changed_workflow(client: Client, task_queue: str) -> None:
    wid = _id()
    with pytest.raises(RuntimeError):
        workflow.ContinueAsNewError()  # not instantiable directly
    async with Worker(client, task_queue=task_queue, workflows=[CanSource, CanTarget]):
        h = await client.start_workflow(
            CanSource.run, 0, id=wid, task_queue=task_queue, execution_timeout=TIMEOUT
        )
        result = await client.get_workflow_handle(wid).result()
    first_run = h.first_execution_run_id or h.result_run_id
    assert result["args"] == ["from source", 2]
    assert result["type"] == "CanTarget"
    assert result["first_execution_run_id"] == first_run
    assert result["continued_run_id"] and result["continued_run_id"] != first_run
    assert result["run_timeout"] == 45
    assert result["memo"] == {"carried": 2}
    # three runs: CanSource(0) -> CanSource(1) -> CanSource(2) -> CanTarget
    events = await _history(client, wid, first_run)
    can = events[-1].workflow_execution_continued_as_new_event_attributes
    assert can.workflow_type.name == "CanSource"
    desc = await client.get_workflow_handle(wid).describe()
    assert desc.workflow_type == "CanTarget"


SA_KEYWORD = SearchAttributeKey.for_keyword("SdkCApiKeyword")
SA_INT = SearchAttributeKey.for_int("SdkCApiInt")


@workflow.defn
class MemoSearchWorkflow:
    @workflow.run
    async def run(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"memo": dict(workflow.memo())}
        out["given"] = workflow.memo_value("given")
        out["typed"] = workflow.memo_value("count", type_hint=int)
        out["default"] = workflow.memo_value("absent", "dflt")
        out["none_default"] = workflow.memo_value("absent", None)
        try:
            workflow.memo_value("absent")
            out["missing"] = "no error?"
        except KeyError:
            out["missing"] = "KeyError"
        workflow.upsert_memo({"added": [1, 2], "given": None})
        out["memo_after"] = dict(workflow.memo())
        out["raw_memo_keys"] = sorted(workflow.info().raw_memo)
        workflow.upsert_search_attributes(
            [SA_KEYWORD.value_set("set-by-workflow"), SA_INT.value_set(7)]
        )
        out["typed_sa"] = [
            workflow.info().typed_search_attributes.get(SA_KEYWORD),
            workflow.info().typed_search_attributes.get(SA_INT),
        ]
        await workflow.sleep(0.1)
        workflow.upsert_search_attributes([SA_INT.value_unset()])
        out["typed_sa_after_unset"] = workflow.info().typed_search_attributes.get(SA_INT)
        await workflow.sleep(0.1)
        return out


async def _ensure_search_attributes(client: Client) -> None:
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import (
        AddSearchAttributesRequest,
        ListSearchAttributesRequest,
    )

    want = {
        "SdkCApiKeyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        "SdkCApiInt": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    }
    have = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    missing = {k: v for k, v in want.items() if k not in have.custom_attributes}
    if missing:
        from temporalio.service import AlreadyExistsError

        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
            )
        except AlreadyExistsError:
            pass


async def test_memo_and_typed_search_attributes(client: Client, task_queue: str) -> None:
    await _ensure_search_attributes(client)
    async with Worker(client, task_queue=task_queue, workflows=[MemoSearchWorkflow]):
        h = await client.start_workflow(
            MemoSearchWorkflow.run,
            id=_id(),
            task_queue=task_queue,
            execution_timeout=TIMEOUT,
            memo={"given": "yes", "count": 3},
        )
        out = await h.result()
    assert out == {
        "memo": {"given": "yes", "count": 3},
        "given": "yes",
        "typed": 3,
        "default": "dflt",
        "none_default": None,
        "missing": "KeyError",
        "memo_after": {"count": 3, "added": [1, 2]},
        "raw_memo_keys": ["added", "count"],
        "typed_sa": ["set-by-workflow", 7],
        "typed_sa_after_unset": None,
    }, out
    desc = await h.describe()
    assert await desc.memo() == {"count": 3, "added": [1, 2]}
    assert desc.typed_search_attributes.get(SA_KEYWORD) == "set-by-workflow"
    assert SA_INT not in desc.typed_search_attributes
    # what the server recorded: typed payloads (the type in their metadata)
    events = await _history(client, h.id)
    ups = [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        for e in events
        if e.HasField("upsert_workflow_search_attributes_event_attributes")
    ]
    assert ups[0]["SdkCApiKeyword"].metadata["type"] == b"Keyword"
    assert ups[0]["SdkCApiInt"].metadata["type"] == b"Int"


# ---- read-only queries ---------------------------------------------------------------------


@workflow.defn
class ReadOnlyWorkflow:
    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.done)
        return "done"

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def attempt(self, what: str) -> str:
        if what == "activity":
            workflow.start_activity(echo, "x", start_to_close_timeout=timedelta(seconds=5))
        elif what == "timer":
            asyncio.get_running_loop().call_later(1.0, lambda: None)
        elif what == "sleep":
            # a coroutine driven by hand: its timer is made at once
            workflow.sleep(1.0).send(None)
        elif what == "upsert_memo":
            workflow.upsert_memo({"k": "v"})
        elif what == "upsert_search_attributes":
            workflow.upsert_search_attributes([SA_KEYWORD.value_set("x")])
        elif what == "continue_as_new":
            workflow.continue_as_new()
        elif what == "set_signal_handler":
            workflow.set_signal_handler("x", lambda: None)
        elif what == "random":
            workflow.random()
        return f"{what} allowed"


async def test_commands_from_a_query_raise_read_only_context_error(
    client: Client, task_queue: str
) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[ReadOnlyWorkflow]):
        h = await client.start_workflow(
            ReadOnlyWorkflow.run, id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
        )
        assert await h.query(ReadOnlyWorkflow.attempt, "nothing") == "nothing allowed"
        # the action names end the message as the official SDK 1.35 words them
        for what, action in [
            ("activity", "start activity"),
            ("timer", "schedule timer"),
            ("sleep", "schedule timer"),
            ("upsert_memo", "add command"),
            ("upsert_search_attributes", "add command"),
            ("continue_as_new", "continue as new"),
            ("set_signal_handler", "set signal handler"),
            ("random", "random"),
        ]:
            with pytest.raises(WorkflowQueryFailedError) as ei:
                await h.query(ReadOnlyWorkflow.attempt, what)
            assert str(ei.value) == f"While in read-only function, action attempted: {action}", (
                what,
                str(ei.value),
            )
        await h.signal(ReadOnlyWorkflow.finish)
        assert await h.result() == "done"
    # none of the attempts made it into history
    kinds = set(_kinds(await _history(client, h.id)))
    for k in [
        "activity_task_scheduled_event_attributes",
        "timer_started_event_attributes",
        "upsert_workflow_search_attributes_event_attributes",
        "workflow_properties_modified_event_attributes",
        "workflow_execution_continued_as_new_event_attributes",
    ]:
        assert k not in kinds


# ---- non-determinism -------------------------------------------------------------------------


@workflow.defn(name="ActivityChange")
class ActivityChangeV1:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self) -> str:
        await workflow.execute_activity(echo, "1", start_to_close_timeout=timedelta(seconds=10))
        await workflow.wait_condition(lambda: self.go)
        return "v1"

    @workflow.signal
    def proceed(self) -> None:
        self.go = True


@workflow.defn(name="ActivityChange")
class ActivityChangeV2:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self) -> str:
        # another activity type in the same place
        await workflow.execute_activity(slow, 0.0, start_to_close_timeout=timedelta(seconds=10))
        await workflow.wait_condition(lambda: self.go)
        return "v2"

    @workflow.signal
    def proceed(self) -> None:
        self.go = True


async def test_nondeterminism_surfaces_as_task_failure(client: Client, task_queue: str) -> None:
    from temporalio.api.enums.v1 import WorkflowTaskFailedCause

    wid = _id()
    async with Worker(
        client, task_queue=task_queue, workflows=[ActivityChangeV1], activities=[echo, slow]
    ):
        h = await client.start_workflow(
            "ActivityChange", id=wid, task_queue=task_queue, execution_timeout=TIMEOUT
        )
        await _wait_for_event(client, wid, "activity_task_completed_event_attributes")
        deadline = time.monotonic() + 30
        while _kinds(await _history(client, wid))[-1] != "workflow_task_completed_event_attributes":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.2)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[ActivityChangeV2],
        activities=[echo, slow],
        max_cached_workflows=0,
        max_concurrent_workflow_task_polls=1,  # see test_failure_exception_types
    ):
        await h.signal(ActivityChangeV2.proceed)
        failed = await _wait_for_event(client, wid, "workflow_task_failed_event_attributes")
        attrs = failed.workflow_task_failed_event_attributes
        assert (
            attrs.cause
            == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
        )
        msg = attrs.failure.message
        assert msg.startswith("[TMPRL1100] Nondeterminism error"), msg
        assert "echo" in msg and "slow" in msg, msg
        # the run is not failed: the task is retried, and a worker with the
        # old code finishes it (the changed worker stays up meanwhile, as in
        # test_failure_exception_types)
        assert (await h.describe()).status.name == "RUNNING"
        async with Worker(
            client, task_queue=task_queue, workflows=[ActivityChangeV1], activities=[echo, slow]
        ):
            assert await h.result() == "v1"


# ---- deadlocks ---------------------------------------------------------------------------


_spin_release: Dict[str, bool] = {}


@workflow.defn
class SpinningWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        await workflow.sleep(0.01)
        self.spin(key)
        return "released"

    def spin(self, key: str) -> None:
        n = 0
        while not _spin_release.get(key):  # a busy loop: never yields
            n += 1


@workflow.defn
class QuickWorkflow:
    @workflow.run
    async def run(self, i: int) -> int:
        await workflow.sleep(0.05)
        await workflow.sleep(0.05)
        return i * 2


async def _quick_workflows_complete(client: Client, task_queue: str, n: int) -> None:
    """``n`` runs of QuickWorkflow complete, with their results, within 60 s
    (while another run of the worker is stuck)."""
    results = await asyncio.wait_for(
        asyncio.gather(
            *(
                client.execute_workflow(
                    QuickWorkflow.run, i, id=_id(), task_queue=task_queue, execution_timeout=TIMEOUT
                )
                for i in range(n)
            )
        ),
        60,
    )
    assert results == [i * 2 for i in range(n)]


def _deadlock_failure(event: Any, workflow_name: str) -> Any:
    """The failure of a workflow task failed ``event``, checked to be the
    deadlock detector's for a run of ``workflow_name``."""
    f = event.workflow_task_failed_event_attributes.failure
    assert f.message.startswith("[TMPRL1101] Potential deadlock detected"), f.message
    assert workflow_name in f.message, f.message
    return f


async def test_deadlocked_run_does_not_starve_others(client: Client, task_queue: str) -> None:
    key = str(uuid.uuid4())
    wid = _id()
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[SpinningWorkflow, QuickWorkflow],
        max_concurrent_workflow_tasks=2,
        deadlock_timeout=timedelta(milliseconds=500),
    ) as w:
        assert w.deadlock_timeout == timedelta(milliseconds=500)
        h = await client.start_workflow(
            SpinningWorkflow.run, key, id=wid, task_queue=task_queue, execution_timeout=TIMEOUT
        )
        failed = await _wait_for_event(client, wid, "workflow_task_failed_event_attributes")
        # others keep completing while the spinning run deadlocks again and again
        await _quick_workflows_complete(client, task_queue, 10)
        deadline = time.monotonic() + 40
        attempt = 0
        while time.monotonic() < deadline:
            attempt = (await h.describe()).raw_description.pending_workflow_task.attempt
            if attempt >= 3:
                break
            await asyncio.sleep(0.3)
        assert attempt >= 3, attempt
        # release: the next attempt completes the run
        _spin_release[key] = True
        assert await h.result() == "released"
    f = _deadlock_failure(failed, "SpinningWorkflow")
    assert wid in f.message, f.message
    # where the code is stuck: the spin method's loop
    assert "in spin" in f.stack_trace and "while not _spin_release" in f.stack_trace, f.stack_trace


@workflow.defn
class BlockedInC:
    @workflow.run
    async def run(self) -> str:
        # time.sleep cannot be interrupted: the thread stays stuck, the task
        # fails as a deadlock, the run is evicted once the thread comes back
        if workflow.info().get_current_history_length() <= 3:
            time.sleep(3.0)
        return "unblocked"


async def test_run_blocked_in_c_does_not_starve_others(client: Client, task_queue: str) -> None:
    wid = _id()
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[BlockedInC, QuickWorkflow],
        max_concurrent_workflow_tasks=2,
        deadlock_timeout=timedelta(milliseconds=300),
    ):
        h = await client.start_workflow(
            BlockedInC.run, id=wid, task_queue=task_queue, execution_timeout=TIMEOUT
        )
        failed = await _wait_for_event(client, wid, "workflow_task_failed_event_attributes")
        await _quick_workflows_complete(client, task_queue, 6)
        # a later attempt (history longer: the failed task is in it) completes
        assert await h.result() == "unblocked"
    f = _deadlock_failure(failed, "BlockedInC")
    assert "time.sleep(3.0)" in f.stack_trace, f.stack_trace


@workflow.defn
class BlocksBriefly:
    @workflow.run
    async def run(self) -> str:
        time.sleep(1.0)  # longer than the deadlock timeout below
        return "done"


async def test_debug_mode_disables_deadlock_detection(client: Client, task_queue: str) -> None:
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[BlocksBriefly],
        deadlock_timeout=timedelta(milliseconds=200),
        debug_mode=True,
    ) as w:
        assert w.deadlock_timeout is None
        wid = _id()
        assert (
            await client.execute_workflow(
                BlocksBriefly.run, id=wid, task_queue=task_queue, execution_timeout=TIMEOUT
            )
            == "done"
        )
    assert "workflow_task_failed_event_attributes" not in _kinds(await _history(client, wid))
