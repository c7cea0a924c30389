"""The schedule and update types without a server: enum values against the
API's protobuf enums, official defaults, and the error messages (the official
SDK's texts)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from temporalio.client import (
    OutboundInterceptor,
    RPCTimeoutOrCancelledError,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.exceptions import ApplicationError, TemporalError


def test_enums_match_the_api() -> None:
    from temporalio.api.enums.v1 import (
        ScheduleOverlapPolicy as ProtoOverlap,
    )
    from temporalio.api.enums.v1 import (
        UpdateWorkflowExecutionLifecycleStage as ProtoStage,
    )

    for member in ScheduleOverlapPolicy:
        assert ProtoOverlap.Value(f"SCHEDULE_OVERLAP_POLICY_{member.name}") == member
    for stage in WorkflowUpdateStage:
        assert ProtoStage.Value(f"UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_{stage.name}") == stage


def test_official_defaults() -> None:
    assert ScheduleRange(3) == ScheduleRange(3, 3, 1)
    assert ScheduleRange(5, 2).end == 5
    cal = ScheduleCalendarSpec()
    assert cal.second == (ScheduleRange(0),) and cal.day_of_month == (ScheduleRange(1, 31),)
    assert cal.day_of_week == (ScheduleRange(0, 6),) and cal.year == ()
    assert SchedulePolicy() == SchedulePolicy(ScheduleOverlapPolicy.SKIP, None, False)
    assert ScheduleState() == ScheduleState(None, False, False, 0)
    spec = ScheduleSpec()
    assert spec.calendars == [] and spec.time_zone_name is None
    action = ScheduleActionStartWorkflow("Wf", 1, id="i", task_queue="q")
    assert action.args == [1]
    assert ScheduleActionStartWorkflow("Wf", args=[1, 2], id="i", task_queue="q").args == [1, 2]
    with pytest.raises(ValueError, match="^Cannot have arg and args$"):
        ScheduleActionStartWorkflow("Wf", 1, args=[2], id="i", task_queue="q")
    sched = Schedule(action=action, spec=spec)
    assert sched.policy == SchedulePolicy() and sched.state == ScheduleState()


def test_error_messages_and_classes() -> None:
    cause = ApplicationError("no")
    failed = WorkflowUpdateFailedError(cause)
    assert str(failed) == "Workflow update failed" and failed.cause is cause
    timeout = WorkflowUpdateRPCTimeoutOrCancelledError()
    assert str(timeout) == "Timeout or cancellation waiting for update"
    assert isinstance(timeout, RPCTimeoutOrCancelledError)
    assert isinstance(timeout, TemporalError)
    assert str(ScheduleAlreadyRunningError()) == "Schedule already running"


def test_outbound_interceptor_has_the_official_methods() -> None:
    for name in (
        "start_workflow_update",
        "start_update_with_start_workflow",
        "create_schedule",
        "list_schedules",
        "backfill_schedule",
        "delete_schedule",
        "describe_schedule",
        "pause_schedule",
        "trigger_schedule",
        "unpause_schedule",
        "update_schedule",
    ):
        assert callable(getattr(OutboundInterceptor, name)), name


def test_action_compares_by_value() -> None:
    a = ScheduleActionStartWorkflow("Wf", id="i", task_queue="q", run_timeout=timedelta(1))
    b = ScheduleActionStartWorkflow("Wf", id="i", task_queue="q", run_timeout=timedelta(1))
    assert a == b
    b.run_timeout = None
    assert a != b


def test_start_workflow_action_takes_a_run_method() -> None:
    from temporalio import workflow

    @workflow.defn(name="ScheduledReport")
    class Report:
        @workflow.run
        async def run(self, day: int) -> None:
            return None

    action = ScheduleActionStartWorkflow(Report.run, 3, id="i", task_queue="q")
    assert action.workflow == "ScheduledReport" and action.args == [3]
    assert action == ScheduleActionStartWorkflow("ScheduledReport", 3, id="i", task_queue="q")

    def not_a_workflow() -> None:
        return None

    with pytest.raises(ValueError, match="was it decorated with @workflow.run"):
        ScheduleActionStartWorkflow(not_a_workflow, id="i", task_queue="q")
    with pytest.raises(TypeError, match="workflow"):
        ScheduleActionStartWorkflow(5, id="i", task_queue="q")  # type: ignore[arg-type]
