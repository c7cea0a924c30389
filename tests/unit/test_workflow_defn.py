"""``@workflow.defn`` and its decorators: good definitions are recorded,
bad ones fail at decoration with the official SDK's messages; the API
refuses to run outside a workflow."""

from __future__ import annotations

import asyncio
from typing import Sequence

import pytest

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import TemporalError


@workflow.defn
class Good:
    @workflow.init
    def __init__(self, name: str) -> None:
        self.name = name

    @workflow.run
    async def run(self, name: str) -> str:
        return name

    @workflow.signal
    def sig(self, v: int) -> None:
        pass

    @workflow.signal(name="other-signal")
    async def sig2(self) -> None:
        pass

    @workflow.query
    def q(self) -> str:
        return self.name

    @workflow.signal(dynamic=True)
    def dyn(self, name: str, args: Sequence[RawValue]) -> None:
        pass


def test_good_definition_is_recorded() -> None:
    d = workflow._Definition.must_from_class(Good)
    assert d.name == "Good"
    assert set(d.signals) == {"sig", "other-signal", None}
    assert set(d.queries) == {"q"}
    assert d.init_fn is not None
    assert d.arg_types == [str]
    assert d.ret_type is str


def test_name_and_dynamic() -> None:
    @workflow.defn(name="custom")
    class A:
        @workflow.run
        async def run(self) -> None:
            pass

    @workflow.defn(dynamic=True)
    class D:
        @workflow.run
        async def run(self, args: Sequence[RawValue]) -> None:
            pass

    assert workflow._Definition.must_from_class(A).name == "custom"
    assert workflow._Definition.must_from_class(D).name is None
    with pytest.raises(RuntimeError, match="Cannot provide name and dynamic boolean"):
        workflow.defn(name="x", dynamic=True)


def test_missing_run_fails_at_defn() -> None:
    with pytest.raises(ValueError, match="Invalid workflow class: Missing @workflow.run method"):

        @workflow.defn
        class NoRun:
            async def run(self) -> None:
                pass


def test_run_not_async_fails() -> None:
    with pytest.raises(ValueError, match="Workflow run method must be an async function"):

        class Sync:
            @workflow.run
            def run(self) -> None:
                pass


def test_not_a_class_fails() -> None:
    async def fn() -> None:
        pass

    with pytest.raises(TypeError, match="must decorate a class"):
        workflow.defn(fn)  # type: ignore[type-var]


def test_two_handlers_of_one_name_fail() -> None:
    with pytest.raises(ValueError, match="Multiple signal methods found for dup"):

        @workflow.defn
        class Dup:
            @workflow.run
            async def run(self) -> None:
                pass

            @workflow.signal(name="dup")
            def a(self) -> None:
                pass

            @workflow.signal(name="dup")
            def b(self) -> None:
                pass

    with pytest.raises(ValueError, match="Multiple query methods found for q"):

        @workflow.defn
        class DupQ:
            @workflow.run
            async def run(self) -> None:
                pass

            @workflow.query(name="q")
            def a(self) -> int:
                return 1

            @workflow.query(name="q")
            def b(self) -> int:
                return 2


def test_two_runs_and_several_issues_are_all_named() -> None:
    with pytest.raises(ValueError, match="Multiple @workflow.run methods found"):

        @workflow.defn
        class TwoRuns:
            @workflow.run
            async def a(self) -> None:
                pass

            @workflow.run
            async def b(self) -> None:
                pass


def test_init_must_match_run() -> None:
    with pytest.raises(
        ValueError, match="@workflow.init and @workflow.run method parameters do not match"
    ):

        @workflow.defn
        class Mismatch:
            @workflow.init
            def __init__(self, a: int) -> None:
                pass

            @workflow.run
            async def run(self, a: str) -> None:
                pass

    with pytest.raises(ValueError, match="only be used on the __init__ method"):
        workflow.init(lambda self: None)


def test_async_query_and_bad_dynamic_handler_fail() -> None:
    with pytest.raises(ValueError, match="Query handlers must not be async"):

        class Q:
            @workflow.query
            async def q(self) -> int:
                return 1

    with pytest.raises(RuntimeError, match="Dynamic handler must have 3 arguments"):

        class S:
            @workflow.signal(dynamic=True)
            def s(self, a: str, b: int, c: int) -> None:
                pass


def test_defn_twice_fails() -> None:
    with pytest.raises(ValueError, match="Class already contains workflow definition"):
        workflow.defn(Good)


def test_api_outside_a_workflow() -> None:
    assert workflow.in_workflow() is False
    for fn in (
        workflow.info,
        workflow.now,
        workflow.random,
        workflow.uuid4,
        workflow.memo,
        workflow.unsafe.is_replaying,
    ):
        with pytest.raises(TemporalError, match="Not in workflow event loop"):
            fn()
    with pytest.raises(TemporalError, match="Not in workflow event loop"):
        asyncio.run(workflow.sleep(1))
    with pytest.raises(RuntimeError, match="Cannot instantiate ContinueAsNewError directly"):
        workflow.ContinueAsNewError()


def test_start_activity_needs_a_timeout() -> None:
    with pytest.raises(ValueError, match="start_to_close_timeout or schedule_to_close_timeout"):
        workflow.start_activity("act")


def test_sandbox_helpers_of_official_workflow_modules_are_no_ops() -> None:
    # Every official sample imports its activities and models this way; with
    # no sandbox here the block is an ordinary import, nested or not.
    with workflow.unsafe.imports_passed_through():
        with workflow.unsafe.imports_passed_through():
            import json as passed_json
        assert workflow.unsafe.is_imports_passed_through() is True
    assert passed_json.dumps([1]) == "[1]"
    with workflow.unsafe.sandbox_unrestricted():
        assert workflow.unsafe.is_sandbox_unrestricted() is True
    assert workflow.unsafe.in_sandbox() is False

    # An exception inside the block propagates unchanged.
    with pytest.raises(ImportError):
        with workflow.unsafe.imports_passed_through():
            import temporalio_no_such_module  # type: ignore[import-not-found]  # noqa: F401


def test_official_names_not_implemented_yet_say_so() -> None:
    with pytest.raises(AttributeError, match="Nexus operations are not implemented"):
        workflow.create_nexus_client  # noqa: B018
    with pytest.raises(
        AttributeError, match="^module 'temporalio.workflow' has no attribute 'nope'$"
    ):
        workflow.nope  # type: ignore[attr-defined]  # noqa: B018
