"""Child workflows on the workflow instance, driven by hand-built
activations (no server, no core): the start_child_workflow_execution command
with every option, the start and result resolutions, the failures as the
official SDK raises them, cancellation and signals to the child; handles
to other workflows (signal, cancel)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, List

import pytest
from temporalio.bridge.proto import workflow_activation as wa

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import (
    ApplicationError,
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
)
from tests.unit._wfharness import (
    Harness,
    cancel_workflow,
    commands,
    fire_timer,
    init,
    payloads,
    result_of,
    value,
)

# ---- jobs the core sends ---------------------------------------------------------------


def started(seq: int, run_id: str = "child-run") -> Any:
    job = wa.WorkflowActivationJob()
    job.resolve_child_workflow_execution_start.seq = seq
    job.resolve_child_workflow_execution_start.succeeded.run_id = run_id
    return job


def start_failed(seq: int, workflow_id: str, workflow_type: str) -> Any:
    job = wa.WorkflowActivationJob()
    f = job.resolve_child_workflow_execution_start.failed
    job.resolve_child_workflow_execution_start.seq = seq
    f.workflow_id = workflow_id
    f.workflow_type = workflow_type
    f.cause = 1  # START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS
    return job


def _child_failure(target: Any, message: str, workflow_type: str = "Child") -> Any:
    """Fills ``target`` as the core describes a child's ending; returns the cause."""
    target.message = message
    info = target.child_workflow_execution_failure_info
    info.namespace = "default"
    info.workflow_execution.workflow_id = "kid"
    info.workflow_execution.run_id = "child-run"
    info.workflow_type.name = workflow_type
    info.initiated_event_id = 5
    info.started_event_id = 6
    info.retry_state = 2  # RETRY_STATE_NON_RETRYABLE_FAILURE
    return target.cause


def child_ok(seq: int, result: Any) -> Any:
    job = wa.WorkflowActivationJob()
    job.resolve_child_workflow_execution.seq = seq
    job.resolve_child_workflow_execution.result.completed.result.CopyFrom(payloads(result)[0])
    return job


def child_failed(seq: int, message: str, error_type: str) -> Any:
    job = wa.WorkflowActivationJob()
    job.resolve_child_workflow_execution.seq = seq
    cause = _child_failure(
        job.resolve_child_workflow_execution.result.failed.failure,
        "Child Workflow execution failed",
    )
    cause.message = message
    cause.application_failure_info.type = error_type
    return job


def child_terminated(seq: int) -> Any:
    job = wa.WorkflowActivationJob()
    job.resolve_child_workflow_execution.seq = seq
    cause = _child_failure(
        job.resolve_child_workflow_execution.result.failed.failure,
        "Child Workflow execution terminated",
    )
    cause.message = "Terminated"
    cause.terminated_failure_info.SetInParent()
    return job


def child_cancelled(seq: int) -> Any:
    job = wa.WorkflowActivationJob()
    job.resolve_child_workflow_execution.seq = seq
    cause = _child_failure(
        job.resolve_child_workflow_execution.result.cancelled.failure,
        "Child Workflow execution cancelled",
    )
    cause.canceled_failure_info.SetInParent()
    return job


def start_cancelled(seq: int) -> Any:
    job = wa.WorkflowActivationJob()
    job.resolve_child_workflow_execution_start.seq = seq
    cause = _child_failure(
        job.resolve_child_workflow_execution_start.cancelled.failure,
        "Child Workflow Execution cancelled before scheduled: ",
    )
    cause.canceled_failure_info.SetInParent()
    return job


def signalled(seq: int, failure_message: str = "") -> Any:
    job = wa.WorkflowActivationJob()
    job.resolve_signal_external_workflow.seq = seq
    if failure_message:
        job.resolve_signal_external_workflow.failure.message = failure_message
        job.resolve_signal_external_workflow.failure.application_failure_info.type = (
            "ExternalWorkflowExecutionNotFound"
        )
    return job


# ---- workflows ---------------------------------------------------------------------------


@workflow.defn
class Child:
    @workflow.run
    async def run(self, name: str) -> List[str]:
        return [name]

    @workflow.signal
    def poke(self, n: int) -> None:
        pass


@workflow.defn
class Parent:
    @workflow.run
    async def run(self, how: str) -> str:
        try:
            if how == "execute":
                got = await workflow.execute_child_workflow(Child.run, "Ann", id="kid")
                return f"got {got!r}"
            handle = await workflow.start_child_workflow(
                Child.run,
                "Ann",
                id="kid",
                task_queue="child-tq",
                execution_timeout=timedelta(seconds=60),
                run_timeout=timedelta(seconds=30),
                task_timeout=timedelta(seconds=5),
                retry_policy=RetryPolicy(maximum_attempts=2),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                cancellation_type=workflow.ChildWorkflowCancellationType.TRY_CANCEL,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                cron_schedule="",
                memo={"m": 1},
                static_summary="a kid",
            )
            assert isinstance(handle, workflow.ChildWorkflowHandle)
            if how == "signal":
                await handle.signal(Child.poke, 3)
                await handle.signal("other", args=[1, 2])
            if how == "cancel":
                await workflow.sleep(1)
                handle.cancel()
            got = await handle
            return f"{handle.id} {handle.first_execution_run_id} {got!r}"
        except ChildWorkflowError as e:
            c = e.cause
            return (
                f"{type(e).__name__}({e.message}; {e.namespace} {e.workflow_id} {e.run_id} "
                f"{e.workflow_type} {e.initiated_event_id} {e.started_event_id} "
                f"{e.retry_state!r}) <- {type(c).__name__}: {c}"
                + (f" ({c.type})" if isinstance(c, ApplicationError) else "")
            )
        except WorkflowAlreadyStartedError as e:
            return f"already started: {e.workflow_id} {e.workflow_type}"
        except ApplicationError as e:
            return f"signal failed: {e} ({e.type})"


def test_start_command_has_every_option_and_the_result_resolves() -> None:
    h = Harness(Parent, Child)
    c = h.activate(init("Parent", "start"))
    assert commands(c) == ["start_child_workflow_execution"]
    cmd = c.successful.commands[0]
    sc = cmd.start_child_workflow_execution
    assert (sc.seq, sc.namespace, sc.workflow_id, sc.workflow_type, sc.task_queue) == (
        1,
        "default",
        "kid",
        "Child",
        "child-tq",
    )
    assert [value(p) for p in sc.input] == ["Ann"]
    assert sc.workflow_execution_timeout.ToTimedelta() == timedelta(seconds=60)
    assert sc.workflow_run_timeout.ToTimedelta() == timedelta(seconds=30)
    assert sc.workflow_task_timeout.ToTimedelta() == timedelta(seconds=5)
    assert sc.retry_policy.maximum_attempts == 2
    assert sc.parent_close_policy == 2  # ABANDON
    assert sc.cancellation_type == 1  # TRY_CANCEL
    assert sc.workflow_id_reuse_policy == 3  # REJECT_DUPLICATE
    assert value(sc.memo["m"]) == 1
    assert value(cmd.user_metadata.summary) == "a kid"
    # nothing more until the start resolves; then the result
    c = h.activate(started(1))
    assert commands(c) == []
    c = h.activate(child_ok(1, ["Ann"]))
    assert result_of(c) == "kid child-run ['Ann']"


def test_execute_child_workflow_defaults_and_both_jobs_in_one_activation() -> None:
    h = Harness(Parent, Child)
    c = h.activate(init("Parent", "execute"))
    sc = c.successful.commands[0].start_child_workflow_execution
    assert sc.task_queue == "tq"  # this workflow's
    assert sc.parent_close_policy == workflow.ParentClosePolicy.TERMINATE
    assert (
        sc.cancellation_type == workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED
    )
    assert sc.workflow_id_reuse_policy == WorkflowIDReusePolicy.ALLOW_DUPLICATE
    c = h.activate(started(1), child_ok(1, ["Ann"]))
    assert result_of(c) == "got ['Ann']"


def test_child_failure_is_a_child_workflow_error_with_the_cause() -> None:
    h = Harness(Parent, Child)
    h.activate(init("Parent", "start"))
    h.activate(started(1))
    c = h.activate(child_failed(1, "kid broke", "KidError"))
    assert result_of(c) == (
        "ChildWorkflowError(Child Workflow execution failed; default kid child-run Child 5 6 "
        "<RetryState.NON_RETRYABLE_FAILURE: 2>) <- ApplicationError: KidError: kid broke (KidError)"
    )


def test_terminated_child() -> None:
    h = Harness(Parent, Child)
    h.activate(init("Parent", "start"))
    h.activate(started(1))
    c = h.activate(child_terminated(1))
    assert result_of(c).endswith("<- TerminatedError: Terminated")


def test_start_failed_already_started() -> None:
    h = Harness(Parent, Child)
    h.activate(init("Parent", "start"))
    c = h.activate(start_failed(1, "kid", "Child"))
    assert result_of(c) == "already started: kid Child"


def test_signal_the_child_and_a_refused_signal() -> None:
    h = Harness(Parent, Child)
    h.activate(init("Parent", "signal"))
    c = h.activate(started(1))
    assert commands(c) == ["signal_external_workflow_execution"]
    se = c.successful.commands[0].signal_external_workflow_execution
    assert (se.seq, se.child_workflow_id, se.signal_name) == (1, "kid", "poke")
    assert [value(p) for p in se.args] == [3]
    c = h.activate(signalled(1))
    assert commands(c) == ["signal_external_workflow_execution"]
    se = c.successful.commands[0].signal_external_workflow_execution
    assert (se.seq, se.signal_name, [value(p) for p in se.args]) == (2, "other", [1, 2])
    c = h.activate(signalled(2, "Unable to signal external workflow because it was not found"))
    assert result_of(c) == (
        "signal failed: ExternalWorkflowExecutionNotFound: Unable to signal external workflow "
        "because it was not found "
        "(ExternalWorkflowExecutionNotFound)"
    )


def test_cancel_the_handle_sends_cancel_child_and_raises_when_resolved() -> None:
    h = Harness(Parent, Child)
    h.activate(init("Parent", "cancel"))
    c = h.activate(started(1))
    assert commands(c) == ["start_timer"]
    c = h.activate(fire_timer(1), advance=1)
    assert commands(c) == ["cancel_child_workflow_execution"]
    assert c.successful.commands[0].cancel_child_workflow_execution.child_workflow_seq == 1
    c = h.activate(child_cancelled(1))
    assert result_of(c).endswith("<- CancelledError: Cancelled")


@workflow.defn
class CancelledParent:
    @workflow.run
    async def run(self) -> str:
        await workflow.execute_child_workflow(Child.run, "x", id="kid")
        return "done"


def test_workflow_cancelled_while_starting_cancels_the_child_and_the_workflow() -> None:
    h = Harness(CancelledParent, Child)
    h.activate(init("CancelledParent"))
    c = h.activate(cancel_workflow("stop"))
    assert commands(c) == ["cancel_child_workflow_execution", "cancel_workflow_execution"]


def test_workflow_cancelled_while_waiting_waits_for_the_child() -> None:
    h = Harness(CancelledParent, Child)
    h.activate(init("CancelledParent"))
    h.activate(started(1))
    c = h.activate(cancel_workflow("stop"))
    assert commands(c) == ["cancel_child_workflow_execution"]
    c = h.activate(child_cancelled(1))
    assert commands(c) == ["cancel_workflow_execution"]


def test_start_cancelled_before_sent() -> None:
    h = Harness(CancelledParent, Child)
    h.activate(init("CancelledParent"))
    c = h.activate(cancel_workflow("stop"))
    # the core answers the cancel of an unsent start with a cancelled start
    c = h.activate(start_cancelled(1))
    assert commands(c) == []


@workflow.defn
class BadArgs:
    @workflow.run
    async def run(self) -> None:
        await workflow.start_child_workflow(Child.run, "a", args=["b"])


def test_arg_and_args_together_fail_with_the_official_message() -> None:
    h = Harness(BadArgs)
    c = h.activate(init("BadArgs"))
    assert c.HasField("failed") and "Cannot have arg and args" in c.failed.failure.message


@pytest.mark.parametrize(
    "name",
    [
        "ChildWorkflowHandle",
        "ParentClosePolicy",
        "ChildWorkflowConfig",
        "ExternalWorkflowHandle",
        "get_external_workflow_handle",
        "get_external_workflow_handle_for",
    ],
)
def test_names_are_public(name: str) -> None:
    assert name in workflow.__all__ and hasattr(workflow, name)


# ---- other workflows: external handles -------------------------------------------------


def cancel_resolved(seq: int, failure_message: str = "") -> Any:
    job = wa.WorkflowActivationJob()
    job.resolve_request_cancel_external_workflow.seq = seq
    if failure_message:
        job.resolve_request_cancel_external_workflow.failure.message = failure_message
        job.resolve_request_cancel_external_workflow.failure.application_failure_info.type = (
            "ExternalWorkflowExecutionNotFound"
        )
    return job


@workflow.defn
class External:
    @workflow.run
    async def run(self) -> List[str]:
        other = workflow.get_external_workflow_handle("other", run_id="r1")
        typed = workflow.get_external_workflow_handle_for(Child.run, "other2")
        out = [other.id, str(other.run_id), typed.id, str(typed.run_id)]
        await other.signal(Child.poke, 5)
        await typed.cancel(reason="enough")
        try:
            await typed.cancel()
        except ApplicationError as e:
            out.append(f"{e.type}: {e.message}")
        return out


def test_external_handle_signals_and_cancels() -> None:
    h = Harness(External, Child)
    c = h.activate(init("External"))
    assert commands(c) == ["signal_external_workflow_execution"]
    se = c.successful.commands[0].signal_external_workflow_execution
    assert (se.seq, se.signal_name, [value(p) for p in se.args]) == (1, "poke", [5])
    assert (se.workflow_execution.namespace, se.workflow_execution.workflow_id) == (
        "default",
        "other",
    )
    assert se.workflow_execution.run_id == "r1" and not se.child_workflow_id
    c = h.activate(signalled(1))
    assert commands(c) == ["request_cancel_external_workflow_execution"]
    rc = c.successful.commands[0].request_cancel_external_workflow_execution
    assert (rc.seq, rc.workflow_execution.workflow_id, rc.reason) == (1, "other2", "enough")
    c = h.activate(cancel_resolved(1))
    assert commands(c) == ["request_cancel_external_workflow_execution"]
    c = h.activate(cancel_resolved(2, "Unable to cancel external workflow because not found"))
    assert result_of(c) == [
        "other",
        "r1",
        "other2",
        "None",
        "ExternalWorkflowExecutionNotFound: Unable to cancel external workflow because not found",
    ]


@workflow.defn
class WithSearchAttributes:
    @workflow.run
    async def run(self, typed: bool) -> None:
        from temporalio.common import (
            SearchAttributeKey,
            SearchAttributePair,
            TypedSearchAttributes,
        )

        sa: Any = (
            TypedSearchAttributes([SearchAttributePair(SearchAttributeKey.for_keyword("k"), "v")])
            if typed
            else {"k": ["v"]}
        )
        await workflow.start_child_workflow("Child", "x", id="kid", search_attributes=sa)


@pytest.mark.parametrize("typed", [True, False])
def test_child_search_attributes_typed_and_untyped(typed: bool) -> None:
    h = Harness(WithSearchAttributes)
    c = h.activate(init("WithSearchAttributes", typed))
    p = c.successful.commands[0].start_child_workflow_execution.search_attributes.indexed_fields[
        "k"
    ]
    if typed:
        assert (p.data, p.metadata["type"]) == (b'"v"', b"Keyword")
    else:
        assert value(p) == ["v"]
