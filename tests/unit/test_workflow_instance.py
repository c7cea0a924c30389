"""The deterministic workflow instance, driven by hand-built activations:
commands out for jobs in (no server, no core)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, List, Optional, Sequence

import pytest

from temporalio import activity, workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from tests.unit._wfharness import (
    T0,
    Harness,
    cancel_workflow,
    commands,
    fire_timer,
    init,
    payloads,
    query,
    resolve_activity_cancelled,
    resolve_activity_failed,
    resolve_activity_ok,
    result_of,
    signal,
    update_seed,
    value,
)

# ---- hello, info, time ------------------------------------------------------------------


@workflow.defn
class Hello:
    @workflow.run
    async def run(self, name: str) -> str:
        info = workflow.info()
        assert workflow.in_workflow()
        return (
            f"Hello, {name}! {info.workflow_type} {info.workflow_id} {info.run_id} "
            f"{info.namespace} {info.task_queue} {workflow.now().isoformat()} {workflow.time()}"
        )


def test_hello_initialize_gives_complete_command() -> None:
    h = Harness(Hello)
    c = h.activate(init("Hello", "you"))
    assert commands(c) == ["complete_workflow_execution"]
    when = datetime.fromtimestamp(T0, timezone.utc)
    assert result_of(c) == (f"Hello, you! Hello wid run1 default tq {when.isoformat()} {float(T0)}")
    assert c.run_id == "run1"


@workflow.defn(name="renamed")
class WithInit:
    @workflow.init
    def __init__(self, a: int, b: int) -> None:
        self.total = a + b

    @workflow.run
    async def run(self, a: int, b: int) -> int:
        return self.total * 10


def test_init_receives_the_arguments_and_names_are_honoured() -> None:
    h = Harness(WithInit)
    assert result_of(h.activate(init("renamed", 2, 3))) == 50


def test_unknown_workflow_type_fails_the_activation() -> None:
    c = Harness(Hello).activate(init("Nope"))
    assert c.HasField("failed")
    assert "Workflow class Nope is not registered on this worker, available workflows: Hello" in (
        c.failed.failure.message
    )


# ---- timers ------------------------------------------------------------------------------


@workflow.defn
class Timers:
    @workflow.run
    async def run(self) -> List[float]:
        seen = [workflow.time()]
        await asyncio.sleep(10)
        seen.append(workflow.time())
        await workflow.sleep(timedelta(minutes=1))
        seen.append(workflow.time())
        return seen


def test_timer_commands_and_fire() -> None:
    h = Harness(Timers)
    c = h.activate(init("Timers"))
    assert commands(c) == ["start_timer"]
    t = c.successful.commands[0].start_timer
    assert (t.seq, t.start_to_fire_timeout.ToTimedelta()) == (1, timedelta(seconds=10))
    c = h.activate(fire_timer(1), advance=10)
    assert commands(c) == ["start_timer"]
    t = c.successful.commands[0].start_timer
    assert (t.seq, t.start_to_fire_timeout.ToTimedelta()) == (2, timedelta(minutes=1))
    c = h.activate(fire_timer(2), advance=60)
    assert result_of(c) == [T0, T0 + 10, T0 + 70]


@workflow.defn
class WaitFor:
    @workflow.run
    async def run(self) -> str:
        try:
            await asyncio.wait_for(asyncio.sleep(100), 5)
        except asyncio.TimeoutError:
            pass
        return "timed out"


def test_asyncio_wait_for_uses_timers_and_cancels_the_loser() -> None:
    h = Harness(WaitFor)
    c = h.activate(init("WaitFor"))
    assert commands(c) == ["start_timer", "start_timer"]
    durations = {
        x.start_timer.seq: x.start_timer.start_to_fire_timeout.ToTimedelta()
        for x in c.successful.commands
    }
    # wait_for's own timeout timer first, then the sleep's (when its task first runs)
    assert durations == {1: timedelta(seconds=5), 2: timedelta(seconds=100)}
    c = h.activate(fire_timer(1), advance=5)
    assert commands(c) == ["cancel_timer", "complete_workflow_execution"]
    assert c.successful.commands[0].cancel_timer.seq == 2
    assert result_of(c) == "timed out"


# ---- activities --------------------------------------------------------------------------


@activity.defn(name="say")
async def say(name: str) -> str:
    return name


@workflow.defn
class OneActivity:
    @workflow.run
    async def run(self, name: str) -> str:
        try:
            return await workflow.execute_activity(
                say,
                name,
                start_to_close_timeout=timedelta(seconds=5),
                schedule_to_close_timeout=timedelta(seconds=50),
                schedule_to_start_timeout=timedelta(seconds=7),
                heartbeat_timeout=timedelta(seconds=2),
                retry_policy=RetryPolicy(maximum_attempts=3),
                cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
                task_queue="other-tq",
                activity_id="my-id",
            )
        except ActivityError as e:
            assert isinstance(e.cause, ApplicationError)
            return f"failed: {e.activity_type} {e.activity_id} {e.cause.type}: {e.cause.message}"


def test_activity_scheduled_with_every_option_and_resolved() -> None:
    h = Harness(OneActivity)
    c = h.activate(init("OneActivity", "Ann"))
    assert commands(c) == ["schedule_activity"]
    sa = c.successful.commands[0].schedule_activity
    assert (sa.seq, sa.activity_type, sa.activity_id, sa.task_queue) == (
        1,
        "say",
        "my-id",
        "other-tq",
    )
    assert [value(p) for p in sa.arguments] == ["Ann"]
    assert sa.start_to_close_timeout.ToTimedelta() == timedelta(seconds=5)
    assert sa.schedule_to_close_timeout.ToTimedelta() == timedelta(seconds=50)
    assert sa.schedule_to_start_timeout.ToTimedelta() == timedelta(seconds=7)
    assert sa.heartbeat_timeout.ToTimedelta() == timedelta(seconds=2)
    assert sa.retry_policy.maximum_attempts == 3
    assert sa.cancellation_type == 1
    c = h.activate(resolve_activity_ok(1, "Hi Ann"))
    assert result_of(c) == "Hi Ann"


def test_activity_failure_raises_activity_error_with_cause() -> None:
    h = Harness(OneActivity)
    h.activate(init("OneActivity", "Ann"))
    c = h.activate(resolve_activity_failed(1, "say", "boom", "ValueError"))
    assert result_of(c) == "failed: say 1 ValueError: boom"


@workflow.defn
class CancelActivity:
    @workflow.run
    async def run(self) -> str:
        handle = workflow.start_activity(
            "slow",
            start_to_close_timeout=timedelta(seconds=30),
            cancellation_type=workflow.ActivityCancellationType.TRY_CANCEL,
        )
        assert isinstance(handle, workflow.ActivityHandle)
        await workflow.sleep(1)
        handle.cancel()
        try:
            await handle
        except ActivityError as e:
            return f"{type(e.cause).__name__}: {e.cause}"
        return "not cancelled"


def test_activity_cancel_requests_cancellation_and_raises_with_cancelled_cause() -> None:
    h = Harness(CancelActivity)
    c = h.activate(init("CancelActivity"))
    assert commands(c) == ["schedule_activity", "start_timer"]
    assert c.successful.commands[0].schedule_activity.activity_id == "1"
    c = h.activate(fire_timer(1), advance=1)
    assert commands(c) == ["request_cancel_activity"]
    assert c.successful.commands[0].request_cancel_activity.seq == 1
    c = h.activate(resolve_activity_cancelled(1, "slow"))
    assert result_of(c) == "CancelledError: Activity cancelled"


# ---- signals -----------------------------------------------------------------------------


@workflow.defn
class Signals:
    def __init__(self) -> None:
        self.got: List[str] = []

    @workflow.run
    async def run(self) -> List[str]:
        await workflow.wait_condition(lambda: "go" in self.got)
        # a handler set at runtime gets the signals that arrived before it
        workflow.set_signal_handler("late", lambda v: self.got.append(f"late:{v}"))
        await workflow.wait_condition(lambda: "stop" in self.got)
        return self.got

    @workflow.signal
    async def add(self, v: str) -> None:
        self.got.append(v)

    @workflow.signal(dynamic=True)
    def other(self, name: str, args: Sequence[RawValue]) -> None:
        if name == "late":  # never: the dynamic handler is not used once "late" exists
            raise AssertionError
        self.got.append(
            f"dyn:{name}:{workflow.payload_converter().from_payloads([args[0].payload])[0]}"
        )


def test_signals_before_and_after_handlers_exist() -> None:
    @workflow.defn(name="Buffered")
    class Buffered:
        def __init__(self) -> None:
            self.got: List[str] = []

        @workflow.run
        async def run(self) -> List[str]:
            await workflow.sleep(1)
            workflow.set_signal_handler("late", lambda v: self.got.append(f"late:{v}"))
            await workflow.wait_condition(lambda: len(self.got) >= 3)
            return self.got

    h = Harness(Buffered)
    # signals in the first activation, before the handler exists: buffered
    c = h.activate(init("Buffered"), signal("late", "a"), signal("late", "b"))
    assert commands(c) == ["start_timer"]
    # the handler is set after the timer: both delivered at once, in order
    c = h.activate(fire_timer(1), advance=1)
    assert commands(c) == []
    c = h.activate(signal("late", "c"))
    assert result_of(c) == ["late:a", "late:b", "late:c"]


def test_class_and_dynamic_signal_handlers() -> None:
    h = Harness(Signals)
    c = h.activate(init("Signals"), signal("add", "x"), signal("whatever", 5))
    assert commands(c) == []
    c = h.activate(signal("add", "go"))
    assert commands(c) == []
    c = h.activate(signal("late", 1), signal("add", "stop"))
    assert result_of(c) == ["x", "dyn:whatever:5", "go", "late:1", "stop"]


# ---- queries -----------------------------------------------------------------------------


@workflow.defn
class Queries:
    def __init__(self) -> None:
        self.state = "started"

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.query
    def state_of(self, prefix: str) -> str:
        return prefix + self.state

    @workflow.query
    def bad(self) -> None:
        workflow.start_activity("x", start_to_close_timeout=timedelta(seconds=1))

    @workflow.query
    def bad_sleep(self) -> None:
        asyncio.get_running_loop().call_later(5, lambda: None)

    @workflow.signal
    def set_state(self, s: str) -> None:
        self.state = s


def test_queries_answer_and_commands_from_a_query_raise_read_only() -> None:
    h = Harness(Queries)
    assert commands(h.activate(init("Queries"))) == []
    c = h.activate(query("q1", "state_of", ">"))
    assert commands(c) == ["respond_to_query"]
    r = c.successful.commands[0].respond_to_query
    assert r.query_id == "q1" and value(r.succeeded.response) == ">started"
    h.activate(signal("set_state", "changed"))
    r = h.activate(query("q2", "state_of", "=")).successful.commands[0].respond_to_query
    assert value(r.succeeded.response) == "=changed"
    for q in ("bad", "bad_sleep"):
        c = h.activate(query("q3", q))
        assert commands(c) == ["respond_to_query"], f"{q} issued a command"
        r = c.successful.commands[0].respond_to_query
        assert r.HasField("failed")
        assert r.failed.message == "While in read-only function, action attempted"
        assert r.failed.application_failure_info.type == "ReadOnlyContextError"
    r = h.activate(query("q4", "nope")).successful.commands[0].respond_to_query
    assert r.failed.message == (
        "Query handler for 'nope' expected but not found, known queries: "
        "[__stack_trace __temporal_workflow_metadata bad bad_sleep state_of]"
    )


# ---- wait_condition ------------------------------------------------------------------------


@workflow.defn
class Condition:
    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.wait_condition(lambda: self.done, timeout=timedelta(seconds=30))
            return "met"
        except asyncio.TimeoutError:
            return "timeout"

    @workflow.signal
    def finish(self) -> None:
        self.done = True


def test_wait_condition_times_out_with_a_timer() -> None:
    h = Harness(Condition)
    c = h.activate(init("Condition"))
    assert commands(c) == ["start_timer"]
    assert c.successful.commands[0].start_timer.start_to_fire_timeout.ToTimedelta() == timedelta(
        seconds=30
    )
    assert result_of(h.activate(fire_timer(1), advance=30)) == "timeout"


def test_wait_condition_met_cancels_its_timer() -> None:
    h = Harness(Condition)
    h.activate(init("Condition"))
    c = h.activate(signal("finish"))
    assert commands(c) == ["cancel_timer", "complete_workflow_execution"]
    assert result_of(c) == "met"


# ---- continue-as-new, cancellation, failures ----------------------------------------------------


@workflow.defn
class Continues:
    @workflow.run
    async def run(self, n: int) -> None:
        workflow.continue_as_new(n + 1, run_timeout=timedelta(minutes=5), memo={"k": "v"})


def test_continue_as_new_command() -> None:
    c = Harness(Continues).activate(init("Continues", 1))
    assert commands(c) == ["continue_as_new_workflow_execution"]
    can = c.successful.commands[0].continue_as_new_workflow_execution
    assert (can.workflow_type, can.task_queue) == ("Continues", "tq")
    assert [value(p) for p in can.arguments] == [2]
    assert can.workflow_run_timeout.ToTimedelta() == timedelta(minutes=5)
    assert value(can.memo["k"]) == "v"


@workflow.defn
class Cancellable:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(100)


def test_cancel_workflow_job_cancels_timer_and_workflow() -> None:
    h = Harness(Cancellable)
    assert commands(h.activate(init("Cancellable"))) == ["start_timer"]
    c = h.activate(cancel_workflow("because"))
    assert commands(c) == ["cancel_timer", "cancel_workflow_execution"]


@workflow.defn
class CatchesCancel:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.sleep(100)
        except asyncio.CancelledError:
            return "cleaned up"
        return "slept"


def test_cancellation_caught_lets_the_workflow_complete() -> None:
    h = Harness(CatchesCancel)
    h.activate(init("CatchesCancel"))
    c = h.activate(cancel_workflow())
    assert commands(c) == ["cancel_timer", "complete_workflow_execution"]
    assert result_of(c) == "cleaned up"


class MyError(Exception):
    pass


@workflow.defn
class Raises:
    @workflow.run
    async def run(self, kind: str) -> None:
        if kind == "app":
            raise ApplicationError("app failure", "detail", type="Custom", non_retryable=True)
        if kind == "declared":
            raise MyError("declared failure")
        raise KeyError("a bug")


@workflow.defn(failure_exception_types=[MyError])
class RaisesDeclared(Raises):
    @workflow.run
    async def run(self, kind: str) -> None:
        await super().run(kind)


def test_application_error_fails_the_workflow() -> None:
    c = Harness(Raises).activate(init("Raises", "app"))
    assert commands(c) == ["fail_workflow_execution"]
    f = c.successful.commands[0].fail_workflow_execution.failure
    assert f.message == "app failure"
    assert f.application_failure_info.type == "Custom"
    assert f.application_failure_info.non_retryable


def test_other_exception_fails_the_activation_not_the_workflow() -> None:
    c = Harness(Raises).activate(init("Raises", "bug"))
    assert c.HasField("failed")
    assert c.failed.failure.message == "'a bug'"
    assert c.failed.failure.application_failure_info.type == "KeyError"
    assert "raise KeyError" in c.failed.failure.stack_trace


def test_declared_failure_types_fail_the_workflow() -> None:
    c = Harness(RaisesDeclared).activate(init("RaisesDeclared", "declared"))
    assert commands(c) == ["fail_workflow_execution"]
    assert c.successful.commands[0].fail_workflow_execution.failure.message == "declared failure"
    # the same exception without the declaration fails the task
    assert Harness(Raises).activate(init("Raises", "declared")).HasField("failed")
    # declared on the worker instead
    c = Harness(Raises, failure_exception_types=[MyError]).activate(init("Raises", "declared"))
    assert commands(c) == ["fail_workflow_execution"]


# ---- determinism: random, uuid4 -------------------------------------------------------------------


@workflow.defn
class Randoms:
    @workflow.run
    async def run(self) -> List[str]:
        out = [str(workflow.random().randint(0, 10**9)), str(workflow.uuid4())]
        await workflow.sleep(1)
        out += [str(workflow.random().randint(0, 10**9)), str(workflow.uuid4())]
        return out


def _randoms(seed: int, new_seed: Optional[int] = None) -> List[str]:
    h = Harness(Randoms)
    h.activate(init("Randoms", seed=seed))
    jobs = [update_seed(new_seed)] if new_seed is not None else []
    return result_of(h.activate(*jobs, fire_timer(1), advance=1))


def test_random_and_uuid_follow_the_seed() -> None:
    a, b = _randoms(42), _randoms(42)
    assert a == b
    assert _randoms(43) != a
    reseeded = _randoms(42, new_seed=99)
    assert reseeded[:2] == a[:2] and reseeded[2:] != a[2:]
    import uuid

    assert uuid.UUID(a[1]).version == 4


# ---- memo, search attributes, logger ----------------------------------------------------------------


@workflow.defn
class Memo:
    @workflow.run
    async def run(self) -> List[Any]:
        before = dict(workflow.memo())
        workflow.upsert_memo({"b": 2, "a": None})
        workflow.upsert_search_attributes({"CustomKeywordField": ["kw"]})
        return [
            before,
            workflow.memo_value("b"),
            workflow.memo_value("a", "gone"),
            workflow.info().search_attributes["CustomKeywordField"],
        ]


def test_memo_and_search_attribute_upserts() -> None:
    c = Harness(Memo).activate(init("Memo", memo={"a": 1}))
    assert commands(c) == [
        "modify_workflow_properties",
        "upsert_workflow_search_attributes",
        "complete_workflow_execution",
    ]
    fields = c.successful.commands[0].modify_workflow_properties.upserted_memo.fields
    assert value(fields["b"]) == 2 and value(fields["a"]) is None
    sa = c.successful.commands[1].upsert_workflow_search_attributes.search_attributes.indexed_fields
    assert value(sa["CustomKeywordField"]) == ["kw"]
    assert result_of(c) == [{"a": 1}, 2, "gone", ["kw"]]


@workflow.defn
class Logs:
    @workflow.run
    async def run(self) -> None:
        workflow.logger.info("first")
        await workflow.sleep(1)
        workflow.logger.info("second")


def test_logger_adds_workflow_details_and_is_silent_while_replaying(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = Harness(Logs)
    with caplog.at_level(logging.INFO, logger="temporalio.workflow"):
        h.activate(init("Logs"), replaying=True)
        h.activate(fire_timer(1), advance=1)
    records = [r for r in caplog.records if r.name == "temporalio.workflow"]
    assert [r.getMessage().split(" (")[0] for r in records] == ["second"]
    details = getattr(records[0], "temporal_workflow")
    assert details["workflow_type"] == "Logs" and details["run_id"] == "run1"


# ---- dynamic workflows and handlers set at runtime ------------------------------------------------


@workflow.defn(dynamic=True)
class Dynamic:
    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> str:
        workflow.set_query_handler("where", lambda: "here")
        workflow.set_dynamic_query_handler(lambda name, qargs: f"dyn {name}")
        assert workflow.get_query_handler("where") is not None
        values = [workflow.payload_converter().from_payloads([a.payload])[0] for a in args]
        await workflow.sleep(1)
        return f"{workflow.info().workflow_type}: {values}"


def test_dynamic_workflow_runtime_query_handlers_and_stack_trace() -> None:
    h = Harness(Dynamic, Hello)
    assert commands(h.activate(init("AnyName", 1, "two"))) == ["start_timer"]
    r = h.activate(query("q1", "where")).successful.commands[0].respond_to_query
    assert value(r.succeeded.response) == "here"
    r = h.activate(query("q2", "other")).successful.commands[0].respond_to_query
    assert value(r.succeeded.response) == "dyn other"
    r = h.activate(query("q3", "__stack_trace")).successful.commands[0].respond_to_query
    assert "await workflow.sleep(1)" in value(r.succeeded.response)
    assert result_of(h.activate(fire_timer(1), advance=1)) == "AnyName: [1, 'two']"
    # a registered type still goes to its own class
    h2 = Harness(Dynamic, Hello, run_id="run2")
    assert result_of(h2.activate(init("Hello", "x"))).startswith("Hello, x! Hello")


@workflow.defn
class Timeout:
    @workflow.run
    async def run(self) -> List[Any]:
        try:
            async with asyncio.timeout(3):
                await workflow.sleep(50)
        except TimeoutError:
            pass
        info = workflow.info()
        return [
            workflow.time(),
            info.get_current_history_length(),
            info.is_continue_as_new_suggested(),
            workflow.unsafe.is_replaying(),
        ]


def test_asyncio_timeout_uses_a_timer() -> None:
    h = Harness(Timeout)
    c = h.activate(init("Timeout"))
    assert commands(c) == ["start_timer", "start_timer"]
    assert {x.start_timer.start_to_fire_timeout.ToTimedelta() for x in c.successful.commands} == {
        timedelta(seconds=3),
        timedelta(seconds=50),
    }
    three = [
        x.start_timer.seq
        for x in c.successful.commands
        if x.start_timer.start_to_fire_timeout.ToTimedelta() == timedelta(seconds=3)
    ][0]
    act = h.activation(fire_timer(three), advance=3, replaying=True)
    act.history_length = 8
    act.continue_as_new_suggested = True
    asyncio.run(h.worker.handle_activation(act.SerializeToString()))
    from temporalio.bridge.proto import workflow_completion as wcomp

    c = wcomp.WorkflowActivationCompletion.FromString(h.completions[-1])
    assert commands(c) == ["cancel_timer", "complete_workflow_execution"]
    assert result_of(c) == [T0 + 3, 8, True, True]


@workflow.defn
class SignalRaises:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal
    async def boom(self, kind: str) -> None:
        if kind == "app":
            raise ApplicationError("from a signal")
        raise ZeroDivisionError("bug in a signal")


def test_signal_handler_exceptions() -> None:
    h = Harness(SignalRaises)
    h.activate(init("SignalRaises"))
    c = h.activate(signal("boom", "bug"))
    assert c.HasField("failed") and c.failed.failure.message == "bug in a signal"
    c = h.activate(signal("boom", "app"))
    assert commands(c) == ["fail_workflow_execution"]
    assert c.successful.commands[0].fail_workflow_execution.failure.message == "from a signal"


class MyActivities:
    @activity.defn(name="method-activity")
    async def do(self, x: int) -> int:
        return x


class CallableActivity:
    @activity.defn(name="class-activity")
    async def __call__(self, x: int) -> int:
        return x


@workflow.defn
class MethodAndClass:
    @workflow.run
    async def run(self) -> List[int]:
        a = await workflow.execute_activity_method(
            MyActivities.do, 1, start_to_close_timeout=timedelta(seconds=1)
        )
        b = await workflow.execute_activity_class(
            CallableActivity, 2, start_to_close_timeout=timedelta(seconds=1)
        )
        t = asyncio.get_running_loop().create_task(asyncio.sleep(1))
        t.cancel()
        try:
            await t
        except asyncio.CancelledError:
            pass
        return [a, b]


def test_activity_method_and_class_are_named_by_their_decorator() -> None:
    h = Harness(MethodAndClass)
    c = h.activate(init("MethodAndClass"))
    assert c.successful.commands[0].schedule_activity.activity_type == "method-activity"
    c = h.activate(resolve_activity_ok(1, 10))
    assert c.successful.commands[0].schedule_activity.activity_type == "class-activity"
    c = h.activate(resolve_activity_ok(2, 20))
    assert result_of(c) == [10, 20]


@workflow.defn
class StrayCancel:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal
    async def s(self) -> None:
        raise asyncio.CancelledError()


def test_a_stray_cancelled_error_fails_the_task_and_never_escapes() -> None:
    h = Harness(StrayCancel)
    h.activate(init("StrayCancel"))
    c = h.activate(signal("s"))
    assert c.HasField("failed")


@workflow.defn
class Patched:
    @workflow.run
    async def run(self) -> List[bool]:
        first = workflow.patched("p1")
        again = workflow.patched("p1")
        return [first, again]


def _patch_job(patch_id: str) -> Any:
    from temporalio.bridge.proto import workflow_activation as wa

    job = wa.WorkflowActivationJob()
    job.notify_has_patch.patch_id = patch_id
    return job


def test_patched_new_run_replay_with_and_without_marker() -> None:
    c = Harness(Patched).activate(init("Patched"))
    assert commands(c) == ["set_patch_marker", "complete_workflow_execution"]
    assert c.successful.commands[0].set_patch_marker.patch_id == "p1"
    assert result_of(c) == [True, True]
    # replaying a history from before the patch: the old path, no marker
    c = Harness(Patched).activate(init("Patched"), replaying=True)
    assert commands(c) == ["complete_workflow_execution"] and result_of(c) == [False, False]
    # replaying a history that has the marker
    c = Harness(Patched).activate(init("Patched"), _patch_job("p1"), replaying=True)
    assert commands(c) == ["set_patch_marker", "complete_workflow_execution"]
    assert result_of(c) == [True, True]


@workflow.defn
class PatchedLater:
    """Asks about a patch in the first task and again after a signal."""

    def __init__(self) -> None:
        self.answers: List[bool] = []

    @workflow.run
    async def run(self) -> List[bool]:
        self.answers.append(workflow.patched("early"))
        await workflow.wait_condition(lambda: len(self.answers) > 1)
        return self.answers

    @workflow.signal
    def go(self) -> None:
        self.answers.append(workflow.patched("early"))
        self.answers.append(workflow.patched("late"))

    @workflow.query
    def ask(self) -> bool:
        return workflow.patched("in-query")


def test_patched_answer_is_memoized_and_a_late_marker_is_announced_before_signals() -> None:
    # replaying a history from before "early": False, kept for the whole run
    # even if a marker for it shows up later; "late" announced with the
    # signal's activation (patches are applied first) is True
    h = Harness(PatchedLater)
    assert commands(h.activate(init("PatchedLater"), replaying=True)) == []
    c = h.activate(signal("go"), _patch_job("early"), _patch_job("late"), replaying=True)
    assert [cmd.set_patch_marker.patch_id for cmd in c.successful.commands[:1]] == ["late"]
    assert commands(c) == ["set_patch_marker", "complete_workflow_execution"]
    assert result_of(c) == [False, False, True]


def test_patched_in_a_query_raises_read_only() -> None:
    h = Harness(PatchedLater)
    h.activate(init("PatchedLater"))
    c = h.activate(query("q1", "ask"))
    assert commands(c) == ["respond_to_query"]
    r = c.successful.commands[0].respond_to_query
    assert r.failed.application_failure_info.type == "ReadOnlyContextError"


@workflow.defn
class Deprecated:
    @workflow.run
    async def run(self) -> Optional[bool]:
        workflow.deprecate_patch("p1")
        workflow.deprecate_patch("p1")
        # deprecate_patch returns nothing; patched after it reuses its answer
        return workflow.patched("p1")


def test_deprecate_patch_records_a_deprecated_marker_only_when_new() -> None:
    c = Harness(Deprecated).activate(init("Deprecated"))
    assert commands(c) == ["set_patch_marker", "complete_workflow_execution"]
    m = c.successful.commands[0].set_patch_marker
    assert m.patch_id == "p1" and m.deprecated
    assert result_of(c) is True
    # replaying with the marker: the command again (core matches it)
    c = Harness(Deprecated).activate(init("Deprecated"), _patch_job("p1"), replaying=True)
    assert commands(c) == ["set_patch_marker", "complete_workflow_execution"]
    # replaying without it: no command (core skips nothing, code runs on)
    c = Harness(Deprecated).activate(init("Deprecated"), replaying=True)
    assert commands(c) == ["complete_workflow_execution"]


# ---- handler and run inputs that do not decode --------------------------------------


@dataclass
class Item:
    n: int


@workflow.defn(name="TypedInputs")
class TypedInputs:
    def __init__(self) -> None:
        self.items: List[int] = []

    @workflow.run
    async def run(self, first: Item) -> List[int]:
        self.items.append(first.n)
        await workflow.wait_condition(lambda: len(self.items) >= 2)
        return self.items

    @workflow.signal
    def add(self, item: Item) -> None:
        self.items.append(item.n)

    @workflow.query
    def plus(self, item: Item) -> int:
        return item.n + 1


def test_signal_input_that_does_not_decode_is_logged_and_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # As the official SDK: failing the task instead would fail it again on
    # every retry and replay, since the signal stays in the history.
    h = Harness(TypedInputs)
    assert commands(h.activate(init("TypedInputs", {"n": 1}))) == []
    with caplog.at_level(logging.ERROR, logger="temporalio.worker._workflow_instance"):
        c = h.activate(signal("add", "not an item"))
    assert commands(c) == []
    rec = [r for r in caplog.records if "dropping the signal" in r.getMessage()]
    assert len(rec) == 1
    assert rec[0].getMessage().startswith("Failed deserializing signal input for add on workflow")
    assert rec[0].exc_info is not None and str(rec[0].exc_info[1]) == "Failed decoding arguments"
    assert isinstance(rec[0].exc_info[1].__cause__, TypeError)
    c = h.activate(signal("add", {"n": 2}))
    assert result_of(c) == [1, 2]


def test_query_and_run_inputs_that_do_not_decode() -> None:
    h = Harness(TypedInputs)
    assert commands(h.activate(init("TypedInputs", {"n": 1}))) == []
    r = h.activate(query("q1", "plus", "x")).successful.commands[0].respond_to_query
    assert r.failed.message == "Failed decoding arguments"
    r = h.activate(query("q2", "plus", {"n": 4})).successful.commands[0].respond_to_query
    assert value(r.succeeded.response) == 5

    h = Harness(TypedInputs, run_id="run2")
    c = h.activate(init("TypedInputs", "not an item"))
    assert c.HasField("failed") and c.failed.failure.message == "Failed decoding arguments"


def undecorated_activity(x: int) -> int:
    return x


@workflow.defn(name="CallsUndecorated")
class CallsUndecorated:
    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(
            undecorated_activity, 1, start_to_close_timeout=timedelta(seconds=5)
        )


def test_undecorated_activity_fails_the_task_with_the_official_message() -> None:
    c = Harness(CallsUndecorated).activate(init("CallsUndecorated"))
    assert c.HasField("failed")
    assert c.failed.failure.message == (
        "Activity undecorated_activity missing attributes, was it decorated with @activity.defn?"
    )


@workflow.defn(name="ArgAndArgs")
class ArgAndArgs:
    @workflow.run
    async def run(self, where: str) -> None:
        if where == "activity":
            await workflow.execute_activity(
                "act", 1, args=[2], start_to_close_timeout=timedelta(seconds=5)
            )
        workflow.continue_as_new(1, args=[2])


@pytest.mark.parametrize("where", ["activity", "continue_as_new"])
def test_arg_and_args_together_fail_with_the_official_message(where: str) -> None:
    c = Harness(ArgAndArgs).activate(init("ArgAndArgs", where))
    assert c.HasField("failed") and c.failed.failure.message == "Cannot have arg and args"


@workflow.defn(name="NegativeSleep")
class NegativeSleep:
    @workflow.run
    async def run(self, how: str) -> None:
        if how == "sleep":
            await workflow.sleep(-1)
        elif how == "timedelta":
            await workflow.sleep(timedelta(seconds=-1))
        else:
            asyncio.get_running_loop().call_later(-1, lambda: None)


@pytest.mark.parametrize("how", ["sleep", "timedelta", "call_later"])
def test_negative_timer_fails_the_task_as_in_the_official_sdk(how: str) -> None:
    c = Harness(NegativeSleep).activate(init("NegativeSleep", how))
    assert c.HasField("failed")
    assert c.failed.failure.message == "Attempting to schedule timer with negative delay"


def test_workflow_metadata_query_lists_the_handlers() -> None:
    # What the web UI and `temporal workflow metadata` ask every workflow.
    from temporalio.api.sdk.v1 import WorkflowMetadata

    h = Harness(Queries)
    assert commands(h.activate(init("Queries"))) == []
    r = h.activate(query("q1", "__temporal_workflow_metadata")).successful.commands[0]
    md = value(r.respond_to_query.succeeded.response, WorkflowMetadata)
    assert md.definition.type == "Queries"
    assert [q.name for q in md.definition.query_definitions] == [
        "__stack_trace",
        "__temporal_workflow_metadata",
        "bad",
        "bad_sleep",
        "state_of",
    ]
    assert [s.name for s in md.definition.signal_definitions] == ["set_state"]


@workflow.defn(name="UncaughtTimeout")
class UncaughtTimeout:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False, timeout=timedelta(seconds=1))


def test_an_uncaught_asyncio_timeout_fails_the_workflow_as_in_the_official_sdk() -> None:
    # Not the task: a task failure would repeat on every retry and wedge the run.
    h = Harness(UncaughtTimeout)
    assert commands(h.activate(init("UncaughtTimeout"))) == ["start_timer"]
    c = h.activate(fire_timer(1), advance=1)
    assert commands(c) == ["fail_workflow_execution"]
    failure = c.successful.commands[0].fail_workflow_execution.failure
    assert failure.application_failure_info.type == "TimeoutError"


@workflow.defn(name="Details")
class Details:
    @workflow.run
    async def run(self) -> list:
        before = workflow.get_current_details()
        workflow.set_current_details("step **1**")
        failure = workflow.get_last_failure()
        return [
            before,
            workflow.get_current_details(),
            workflow.has_last_completion_result(),
            workflow.get_last_completion_result(int),
            str(failure) if failure else None,
            type(failure).__name__,
        ]

    @workflow.query
    def try_set(self) -> None:
        workflow.set_current_details("from a query")


def test_current_details_and_the_previous_runs_result_and_failure() -> None:

    h = Harness(Details)
    assert result_of(h.activate(init("Details"))) == [
        "",
        "step **1**",
        False,
        None,
        None,
        "NoneType",
    ]

    h = Harness(Details, run_id="run2")
    job = init("Details")
    job.initialize_workflow.last_completion_result.payloads.extend(payloads(41))
    job.initialize_workflow.continued_failure.message = "previous run failed"
    job.initialize_workflow.continued_failure.application_failure_info.type = "Boom"
    assert result_of(h.activate(job)) == [
        "",
        "step **1**",
        True,
        41,
        "Boom: previous run failed",
        "ApplicationError",
    ]


def test_current_details_in_the_metadata_query_and_read_only_in_queries() -> None:
    from temporalio.api.sdk.v1 import WorkflowMetadata

    @workflow.defn(name="DetailsWait")
    class DetailsWait:
        @workflow.run
        async def run(self) -> None:
            workflow.set_current_details("waiting")
            await workflow.wait_condition(lambda: False)

        @workflow.query
        def try_set(self) -> None:
            workflow.set_current_details("from a query")

    h = Harness(DetailsWait)
    assert commands(h.activate(init("DetailsWait"))) == []
    r = h.activate(query("q1", "__temporal_workflow_metadata")).successful.commands[0]
    assert (
        value(r.respond_to_query.succeeded.response, WorkflowMetadata).current_details == "waiting"
    )
    r = h.activate(query("q2", "try_set")).successful.commands[0].respond_to_query
    assert r.failed.message == "While in read-only function, action attempted"


@workflow.defn(name="Racing")
class Racing:
    @workflow.run
    async def run(self, mode: str) -> list:
        async def nap(tag: str, secs: float) -> str:
            await workflow.sleep(secs)
            return tag

        if mode == "as_completed":
            out = []
            for next_done in workflow.as_completed([nap("a", 3), nap("b", 1), nap("c", 2)]):
                out.append(await next_done)
            return out
        if mode == "as_completed_timeout":
            got: list = []
            try:
                for next_done in workflow.as_completed([nap("a", 3), nap("b", 1)], timeout=2):
                    got.append(await next_done)
            except asyncio.TimeoutError:
                got.append("timeout")
            return got
        tasks = [asyncio.create_task(nap(t, s)) for t, s in (("a", 3), ("b", 1), ("c", 2))]
        if mode == "wait_first":
            done, pending = await workflow.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            return [[t.result() for t in done], [tasks.index(t) for t in pending]]
        done, pending = await workflow.wait(tasks, timeout=2.5)
        return [[t.result() for t in done], [tasks.index(t) for t in pending]]


def test_deterministic_as_completed_and_wait() -> None:
    h = Harness(Racing)
    assert commands(h.activate(init("Racing", "as_completed"))) == ["start_timer"] * 3
    assert commands(h.activate(fire_timer(2), advance=1)) == []
    assert commands(h.activate(fire_timer(3), advance=1)) == []
    assert result_of(h.activate(fire_timer(1), advance=1)) == ["b", "c", "a"]

    h = Harness(Racing, run_id="r2")
    # timer 1 is the timeout (set before the tasks start), 2 is "a", 3 is "b"
    assert commands(h.activate(init("Racing", "as_completed_timeout"))) == ["start_timer"] * 3
    h.activate(fire_timer(3), advance=1)
    assert result_of(h.activate(fire_timer(1), advance=1)) == ["b", "timeout"]

    h = Harness(Racing, run_id="r3")
    assert commands(h.activate(init("Racing", "wait_first"))) == ["start_timer"] * 3
    assert result_of(h.activate(fire_timer(2), advance=1)) == [["b"], [0, 2]]

    h = Harness(Racing, run_id="r4")
    # timer 1 is the timeout (set before the tasks start), 2-4 are "a", "b", "c"
    assert commands(h.activate(init("Racing", "wait_timeout"))) == ["start_timer"] * 4
    h.activate(fire_timer(3), advance=1)
    h.activate(fire_timer(4), advance=1)
    assert result_of(h.activate(fire_timer(1), advance=0.5)) == [["b", "c"], [0]]


def test_wait_refuses_what_asyncio_wait_refuses() -> None:
    async def check() -> None:
        with pytest.raises(ValueError, match="must not be empty"):
            await workflow.wait([])
        fut = asyncio.get_running_loop().create_future()
        with pytest.raises(TypeError, match="Expect an iterable of Tasks/Futures"):
            await workflow.wait(fut)
        with pytest.raises(ValueError, match="Invalid return_when value: sometimes"):
            await workflow.wait([fut], return_when="sometimes")
        coro = asyncio.sleep(0)
        with pytest.raises(TypeError, match="Passing coroutines is forbidden"):
            await workflow.wait([coro])
        coro.close()

    asyncio.run(check())
