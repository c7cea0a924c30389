"""Workflow updates on the instance: do_update jobs in, update_response
commands out (accepted / rejected / completed), validators, dynamic and
runtime handlers, current_update_info, all_handlers_finished and the
unfinished-handler warnings (no server, no core)."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any, List, Optional, Sequence

import pytest

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError
from tests.unit._wfharness import (
    Harness,
    commands,
    do_update,
    init,
    query,
    result_of,
    signal,
    update_responses,
)


@workflow.defn
class Counter:
    def __init__(self) -> None:
        self.value = 0
        self.infos: List[Optional[workflow.UpdateInfo]] = []
        self.done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        return self.value

    @workflow.update
    def add(self, n: int) -> int:
        self.infos.append(workflow.current_update_info())
        self.value += n
        return self.value

    @add.validator
    def validate_add(self, n: int) -> None:
        self.infos.append(workflow.current_update_info())
        if n < 0:
            raise ValueError(f"negative: {n}")

    @workflow.update(name="wait-then-set")
    async def wait_then_set(self, n: int) -> str:
        await workflow.wait_condition(lambda: self.value >= n)
        return f"reached {self.value}"

    @workflow.update
    async def fail(self, kind: str) -> None:
        if kind == "app":
            raise ApplicationError("handler failed", type="Bad")
        raise RuntimeError("a bug")

    @workflow.update
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def get(self) -> int:
        return self.value


def test_update_is_accepted_then_completed_with_the_result_and_info() -> None:
    h = Harness(Counter)
    c = h.activate(init("Counter"), do_update("u1", "add", 5))
    assert update_responses(c) == [("u1", "accepted", None), ("u1", "completed", 5)]
    c = h.activate(query("q", "get"))
    assert c.successful.commands[0].respond_to_query.succeeded.response.data == b"5"
    # the validator and the handler both saw the update's info; outside it is None
    info = workflow.UpdateInfo(id="u1", name="add")
    assert h.worker._runs["run1"].instance._object.infos == [info, info]
    assert workflow.current_update_info() is None


def test_validator_rejects_and_is_skipped_on_replay() -> None:
    h = Harness(Counter)
    c = h.activate(init("Counter"), do_update("u1", "add", -1))
    [(iid, kind, failure)] = update_responses(c)
    assert (iid, kind) == ("u1", "rejected")
    assert failure.message == "negative: -1"
    assert failure.application_failure_info.type == "ValueError"
    # replaying an accepted update: the validator is not run
    h2 = Harness(Counter)
    c = h2.activate(
        init("Counter"), do_update("u1", "add", -1, run_validator=False), replaying=True
    )
    assert update_responses(c) == [("u1", "accepted", None), ("u1", "completed", -1)]


def test_handler_failure_fails_the_update_and_other_errors_fail_the_task() -> None:
    h = Harness(Counter)
    c = h.activate(init("Counter"), do_update("u1", "fail", "app"))
    (a, (iid, kind, failure)) = update_responses(c)
    assert a == ("u1", "accepted", None)
    assert (iid, kind) == ("u1", "rejected")
    assert failure.message == "handler failed"
    assert failure.application_failure_info.type == "Bad"
    c = h.activate(do_update("u2", "fail", "bug"))
    assert c.HasField("failed")
    assert "a bug" in c.failed.failure.message


def test_update_waits_on_a_condition_and_completes_in_a_later_activation() -> None:
    h = Harness(Counter)
    c = h.activate(init("Counter"), do_update("w", "wait-then-set", 3))
    assert update_responses(c) == [("w", "accepted", None)]
    c = h.activate(do_update("a", "add", 3))
    assert update_responses(c) == [
        ("a", "accepted", None),
        ("a", "completed", 3),
        ("w", "completed", "reached 3"),
    ]
    c = h.activate(do_update("f", "finish"))
    assert result_of(c) == 3


def test_unknown_update_is_rejected_naming_the_known_ones() -> None:
    h = Harness(Counter)
    c = h.activate(init("Counter"), do_update("u1", "nope"))
    [(_, kind, failure)] = update_responses(c)
    assert kind == "rejected"
    assert failure.message == (
        "Update handler for 'nope' expected but not found, and there is no dynamic handler. "
        "known updates: [add fail finish wait-then-set]"
    )


def test_arguments_that_do_not_decode_reject_the_update() -> None:
    h = Harness(Counter)
    c = h.activate(init("Counter"), do_update("u1", "add", "not an int"))
    [(_, kind, failure)] = update_responses(c)
    assert kind == "rejected"
    assert failure.message == "Failed decoding arguments"


@workflow.defn
class Runtime:
    @workflow.init
    def __init__(self) -> None:
        self.log: List[str] = []
        workflow.set_update_handler("set", self.set_it, validator=self.check)

    def set_it(self, v: str) -> str:
        self.log.append(v)
        return v.upper()

    def check(self, v: str) -> None:
        if v == "bad":
            raise ApplicationError("rejected by runtime validator")

    @workflow.run
    async def run(self) -> List[str]:
        assert workflow.get_update_handler("set") is not None
        assert workflow.get_update_handler("other") is None
        assert workflow.get_dynamic_update_handler() is None
        workflow.set_dynamic_update_handler(self.dyn)
        assert workflow.get_dynamic_update_handler() is not None
        await workflow.wait_condition(lambda: "stop" in self.log)
        return self.log

    def dyn(self, name: str, args: Sequence[RawValue]) -> str:
        v = workflow.payload_converter().from_payloads([args[0].payload])[0]
        self.log.append(f"{name}:{v}")
        return name


def test_runtime_and_dynamic_update_handlers() -> None:
    h = Harness(Runtime)
    c = h.activate(init("Runtime"), do_update("u1", "set", "x"), do_update("u2", "set", "bad"))
    rs = update_responses(c)
    assert rs[:2] == [("u1", "accepted", None), ("u1", "completed", "X")]
    assert rs[2][:2] == ("u2", "rejected")
    assert rs[2][2].message == "rejected by runtime validator"
    c = h.activate(do_update("u3", "whatever", 7), do_update("u4", "set", "stop"))
    assert update_responses(c) == [
        ("u3", "accepted", None),
        ("u3", "completed", "whatever"),
        ("u4", "accepted", None),
        ("u4", "completed", "STOP"),
    ]
    assert result_of(c) == ["x", "whatever:7", "stop"]


def test_update_decorator_rules() -> None:
    with pytest.raises(RuntimeError, match="Cannot provide name and dynamic boolean"):
        workflow.update(name="a", dynamic=True)
    with pytest.raises(RuntimeError, match="Dynamic updates do not support a vararg third param"):

        class Bad:
            @workflow.update(dynamic=True)
            def d(self, name: str, *args: Any) -> None: ...

    class Twice:
        @workflow.update
        def u(self, v: int) -> None: ...

        @u.validator
        def v1(self, v: int) -> None: ...

    with pytest.raises(RuntimeError, match="Validator already set for update u"):
        Twice.u.validator(lambda self, v: None)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="Update validator must not be an async function"):

        class AsyncValidator:
            @workflow.update
            def u(self, v: int) -> None: ...

            @u.validator
            async def check(self, v: int) -> None: ...

    with pytest.raises(ValueError, match="Update validator method check parameters do not match"):

        @workflow.defn
        class Mismatch:
            @workflow.run
            async def run(self) -> None: ...

            @workflow.update
            def u(self, v: int) -> None: ...

            @u.validator
            def check(self, v: int, w: int) -> None: ...

    d = workflow._Definition.must_from_class(Counter)
    assert sorted(k for k in d.updates if k) == ["add", "fail", "finish", "wait-then-set"]
    assert d.updates["add"].ret_type is int


@workflow.defn
class Unfinished:
    def __init__(self) -> None:
        self.release = False

    @workflow.run
    async def run(self, wait: bool) -> str:
        await workflow.wait_condition(lambda: self.release)
        if wait:
            await workflow.wait_condition(workflow.all_handlers_finished)
        return "done"

    @workflow.update
    async def slow(self) -> str:
        self.release = True
        await asyncio.Event().wait()
        return "never"

    @workflow.update(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)
    async def slow_quiet(self) -> str:
        self.release = True
        await asyncio.Event().wait()
        return "never"

    @workflow.signal
    async def sig(self) -> None:
        self.release = True
        await asyncio.Event().wait()


def test_unfinished_handlers_warn_unless_abandoned() -> None:
    h = Harness(Unfinished)
    with pytest.warns(workflow.UnfinishedUpdateHandlersWarning) as rec:
        c = h.activate(init("Unfinished", False), do_update("u1", "slow"))
    assert result_of(c) == "done"
    msg = str(rec[0].message)
    assert msg.startswith("[TMPRL1102] Workflow finished while update handlers are still running.")
    assert msg.endswith('[{"name": "slow", "id": "u1"}]')

    h = Harness(Unfinished)
    with pytest.warns(workflow.UnfinishedSignalHandlersWarning) as rec:
        c = h.activate(init("Unfinished", False), signal("sig"), signal("sig"))
    assert str(rec[0].message).endswith('[{"name": "sig", "count": 2}]')

    h = Harness(Unfinished)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = h.activate(init("Unfinished", False), do_update("u1", "slow_quiet"))
    assert result_of(c) == "done"


def test_all_handlers_finished_holds_the_workflow_open() -> None:
    h = Harness(Unfinished)
    c = h.activate(init("Unfinished", True), do_update("u1", "slow_quiet"))
    assert commands(c) == ["update_response"]


@workflow.defn
class LogsInUpdate:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.update
    def note(self) -> None:
        workflow.logger.info("in update")


def test_logger_adds_the_update_id_and_name(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    h = Harness(LogsInUpdate)
    with caplog.at_level(logging.INFO, logger="temporalio.workflow"):
        h.activate(init("LogsInUpdate"), do_update("u9", "note"))
    [rec] = [r for r in caplog.records if r.name == "temporalio.workflow"]
    details = getattr(rec, "temporal_workflow")
    assert details["update_id"] == "u9" and details["update_name"] == "note"
    assert details["workflow_type"] == "LogsInUpdate"
    assert "'update_id': 'u9'" in rec.getMessage()
