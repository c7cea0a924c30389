"""Local activities in the deterministic workflow instance, driven by
hand-built activations: ``schedule_local_activity`` commands with the
official options, results and failures from ``resolve_activity`` (is_local),
and a DoBackoff resolution turned into a timer and the next attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from tests.unit._wfharness import (
    Harness,
    commands,
    fire_timer,
    init,
    resolve_activity_failed,
    resolve_activity_ok,
    result_of,
    value,
    wa,
)


@activity.defn(name="la_say")
async def la_say(name: str) -> str:
    return name


@workflow.defn
class OneLocal:
    @workflow.run
    async def run(self, name: str) -> str:
        try:
            return await workflow.execute_local_activity(
                la_say,
                name,
                start_to_close_timeout=timedelta(seconds=5),
                schedule_to_close_timeout=timedelta(seconds=50),
                schedule_to_start_timeout=timedelta(seconds=7),
                retry_policy=RetryPolicy(maximum_attempts=3),
                local_retry_threshold=timedelta(seconds=20),
                cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
                activity_id="my-la",
                summary="say it",
            )
        except ApplicationError as e:
            return f"failed: {e.type}: {e.message}"


def _local(job: object) -> object:
    job.resolve_activity.is_local = True  # type: ignore[attr-defined]
    return job


def test_local_activity_scheduled_with_every_option_and_resolved() -> None:
    h = Harness(OneLocal)
    c = h.activate(init("OneLocal", "Ann"))
    assert commands(c) == ["schedule_local_activity"]
    cmd = c.successful.commands[0]
    la = cmd.schedule_local_activity
    assert (la.seq, la.activity_type, la.activity_id, la.attempt) == (1, "la_say", "my-la", 1)
    assert not la.HasField("original_schedule_time")
    assert [value(p) for p in la.arguments] == ["Ann"]
    assert la.start_to_close_timeout.ToTimedelta() == timedelta(seconds=5)
    assert la.schedule_to_close_timeout.ToTimedelta() == timedelta(seconds=50)
    assert la.schedule_to_start_timeout.ToTimedelta() == timedelta(seconds=7)
    assert la.local_retry_threshold.ToTimedelta() == timedelta(seconds=20)
    assert la.retry_policy.maximum_attempts == 3
    assert la.cancellation_type == 1
    assert value(cmd.user_metadata.summary) == "say it"
    c = h.activate(_local(resolve_activity_ok(1, "Hi Ann")))
    assert result_of(c) == "Hi Ann"


def test_local_activity_failure_raises_its_own_error() -> None:
    # as on the official SDK: the failure core reports, not an ActivityError
    h = Harness(OneLocal)
    h.activate(init("OneLocal", "Ann"))
    job = wa.WorkflowActivationJob()
    job.resolve_activity.seq = 1
    job.resolve_activity.is_local = True
    f = job.resolve_activity.result.failed.failure
    f.message = "boom"
    f.application_failure_info.type = "Bad"
    c = h.activate(job)
    assert result_of(c) == "failed: Bad: boom"


@workflow.defn
class Backoff:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_local_activity(
            "flaky", start_to_close_timeout=timedelta(seconds=5)
        )


def test_do_backoff_sleeps_then_schedules_the_next_attempt() -> None:
    h = Harness(Backoff)
    c = h.activate(init("Backoff"))
    assert commands(c) == ["schedule_local_activity"]
    job = wa.WorkflowActivationJob()
    job.resolve_activity.seq = 1
    job.resolve_activity.is_local = True
    bo = job.resolve_activity.result.backoff
    bo.attempt = 2
    bo.backoff_duration.FromTimedelta(timedelta(seconds=90))
    bo.original_schedule_time.FromSeconds(1_700_000_000)
    c = h.activate(job)
    assert commands(c) == ["start_timer"]
    assert c.successful.commands[0].start_timer.start_to_fire_timeout.ToTimedelta() == timedelta(
        seconds=90
    )
    c = h.activate(fire_timer(1), advance=90)
    assert commands(c) == ["schedule_local_activity"]
    la = c.successful.commands[0].schedule_local_activity
    assert (la.seq, la.activity_id, la.attempt) == (2, "2", 2)
    assert la.original_schedule_time.ToSeconds() == 1_700_000_000
    c = h.activate(_local(resolve_activity_ok(2, "ok")))
    assert result_of(c) == "ok"


@workflow.defn
class CancelLocal:
    @workflow.run
    async def run(self) -> str:
        handle = workflow.start_local_activity("slow", start_to_close_timeout=timedelta(seconds=5))
        await workflow.sleep(0)
        handle.cancel()
        try:
            await handle
        except BaseException as e:  # noqa: B902 - whatever the resolution raises
            return type(e).__name__
        return "not cancelled"


def test_cancel_sends_request_cancel_local_activity() -> None:
    h = Harness(CancelLocal)
    c = h.activate(init("CancelLocal"))
    assert commands(c) == ["schedule_local_activity", "request_cancel_local_activity"]
    assert c.successful.commands[1].request_cancel_local_activity.seq == 1
    c = h.activate(_local(resolve_activity_failed(1, "slow", "stopped", "X")))
    assert result_of(c) == "ActivityError"


def test_start_local_activity_needs_a_timeout() -> None:
    # the official message; the check comes before anything else
    with pytest.raises(ValueError, match="start_to_close_timeout or schedule_to_close_timeout"):
        workflow.start_local_activity("x")
