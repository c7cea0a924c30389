"""One workflow's code, run unchanged by BOTH SDKs (the cross-SDK check).

This module imports only names the two SDKs share (``temporalio.workflow``,
``temporalio.common.RetryPolicy``, ``temporalio.exceptions``' ActivityError,
ApplicationError and ChildWorkflowError),
so our test process imports it with OUR ``temporalio`` and
``cross_sdk_host.py`` imports it, in the peer virtualenv, with the OFFICIAL
one. tests/integration/test_workflow_cross_sdk.py runs it on both and compares
the histories, and hands a half-done run from one SDK's worker to the other's.

``CrossSdkWorkflow``: an activity, a durable timer, a wait for a signal (a query tells how far
the run got), an upsert of a search attribute and of the memo, a second
activity, then complete with both activities' results. ``CrossSdkMoreWorkflow``:
a failed activity (retried), a timer cancelled and one fired (``wait_condition``
with a timeout), continue-as-new, and a cancelled run that cleans up.
``CrossSdkChildParent``: child workflows (``CrossSdkKid``): one started with
options and signalled, one that fails, one cancelled.
``CrossSdkUpdateWorkflow``: workflow updates (a validator, a failing handler,
one waiting on a condition); tests/integration/test_workflow_updates.py.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, Dict, List

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

WORKFLOW_NAME = "CrossSdkWorkflow"
ACTIVITY_NAME = "cross_sdk_echo"
SEARCH_ATTRIBUTE = "SdkCWfKeyword"  # a Keyword attribute the test registers
TIMER = timedelta(milliseconds=300)


@workflow.defn(name=WORKFLOW_NAME)
class CrossSdkWorkflow:
    """``run({"activity_task_queue": str})`` -> ``"<first>|<second>"``."""

    def __init__(self) -> None:
        self._stage = "started"
        self._signals: List[str] = []

    @workflow.run
    async def run(self, params: Dict[str, Any]) -> str:
        queue = params["activity_task_queue"]
        first = await workflow.execute_activity(
            ACTIVITY_NAME, "first", task_queue=queue, start_to_close_timeout=timedelta(seconds=30)
        )
        self._stage = "timer"
        await workflow.sleep(TIMER)
        self._stage = "waiting"
        await workflow.wait_condition(lambda: len(self._signals) > 0)
        self._stage = "signalled"
        workflow.upsert_search_attributes({SEARCH_ATTRIBUTE: [self._signals[0]]})
        workflow.upsert_memo({"signal": self._signals[0]})
        second = await workflow.execute_activity(
            ACTIVITY_NAME,
            self._signals[0],
            task_queue=queue,
            start_to_close_timeout=timedelta(seconds=30),
        )
        return f"{first}|{second}"

    @workflow.signal
    def proceed(self, value: str) -> None:
        self._signals.append(value)

    @workflow.query
    def stage(self) -> str:
        return self._stage


FAIL_ACTIVITY_NAME = "cross_sdk_fail"
MORE_WORKFLOW_NAME = "CrossSdkMoreWorkflow"


@workflow.defn(name=MORE_WORKFLOW_NAME)
class CrossSdkMoreWorkflow:
    """Run 1: an activity that fails on both of its attempts (the failure is
    caught), a wait for a signal with a timeout (the signal comes first: its
    timer is cancelled), a wait that times out (its timer fires), then
    continue-as-new. Run 2: wait until cancelled, run a clean-up activity,
    end cancelled. ``stage`` (query) tells where it is."""

    def __init__(self) -> None:
        self._stage = "started"
        self._signals: List[str] = []

    @workflow.run
    async def run(self, params: Dict[str, Any]) -> str:
        queue = params["activity_task_queue"]
        if params.get("continued"):
            self._stage = "waiting"
            try:
                await workflow.wait_condition(lambda: False)
            except asyncio.CancelledError:
                await workflow.execute_activity(
                    ACTIVITY_NAME,
                    "cleanup",
                    task_queue=queue,
                    start_to_close_timeout=timedelta(seconds=30),
                )
                raise
            return "not cancelled"
        try:
            await workflow.execute_activity(
                FAIL_ACTIVITY_NAME,
                "boom",
                task_queue=queue,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(milliseconds=100), maximum_attempts=2
                ),
            )
            failed = "no failure"
        except ActivityError as err:
            failed = f"{type(err.cause).__name__}: {err.cause}"
        self._stage = "waiting"
        await workflow.wait_condition(lambda: len(self._signals) > 0, timeout=timedelta(minutes=2))
        self._stage = "signalled"
        try:
            await workflow.wait_condition(lambda: False, timeout=timedelta(milliseconds=200))
        except asyncio.TimeoutError:
            pass
        workflow.continue_as_new(
            {"activity_task_queue": queue, "continued": True, "failed": failed}
        )

    @workflow.signal
    def proceed(self, value: str) -> None:
        self._signals.append(value)

    @workflow.query
    def stage(self) -> str:
        return self._stage


CHILD_PARENT_NAME = "CrossSdkChildParent"
KID_NAME = "CrossSdkKid"


@workflow.defn(name=KID_NAME)
class CrossSdkKid:
    """``run("signal")`` waits for ``finish`` and returns ``"kid:<value>"``;
    ``run("fail")`` fails (not retryable)."""

    def __init__(self) -> None:
        self._got: List[str] = []

    @workflow.run
    async def run(self, how: str) -> str:
        if how == "fail":
            raise ApplicationError("kid failed", type="KidFailure", non_retryable=True)
        await workflow.wait_condition(lambda: len(self._got) > 0)
        return f"kid:{self._got[0]}"

    @workflow.signal
    def finish(self, value: str) -> None:
        self._got.append(value)


@workflow.defn(name=CHILD_PARENT_NAME)
class CrossSdkChildParent:
    """A child started with options, signalled, its result awaited; a second
    child that fails (the ChildWorkflowError caught); a third cancelled
    (WAIT_CANCELLATION_COMPLETED). Returns
    ``"<first result>|<cause type>:<cause message>|<third's cause type>"``. With ``{"wait":
    "start"}`` it waits for its own ``go`` signal once the first child has
    started, with ``{"wait": "end"}`` before it returns (``stage`` (query)
    says "waiting")."""

    def __init__(self) -> None:
        self._stage = "started"
        self._go = False

    @workflow.run
    async def run(self, params: Dict[str, Any]) -> str:
        wid = workflow.info().workflow_id
        handle = await workflow.start_child_workflow(
            KID_NAME,
            "signal",
            id=f"{wid}-kid1",
            execution_timeout=timedelta(seconds=100),
            run_timeout=timedelta(seconds=90),
            task_timeout=timedelta(seconds=7),
            memo={"m": "v"},
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            cancellation_type=workflow.ChildWorkflowCancellationType.TRY_CANCEL,
        )
        if params.get("wait") == "start":
            await self._wait()
        self._stage = "signalling"
        await handle.signal("finish", "go")
        first = await handle
        try:
            await workflow.execute_child_workflow(
                KID_NAME,
                "fail",
                id=f"{wid}-kid2",
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
            second = "no failure"
        except ChildWorkflowError as err:
            cause = err.cause
            second = f"{type(cause).__name__}:{getattr(cause, 'message', cause)}"
        third_handle = await workflow.start_child_workflow(
            KID_NAME,
            "signal",
            id=f"{wid}-kid3",
            cancellation_type=workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        third_handle.cancel()
        try:
            await third_handle
            third = "not cancelled"
        except ChildWorkflowError as err:
            third = type(err.cause).__name__
        if params.get("wait") == "end":
            await self._wait()
        return f"{first}|{second}|{third}"

    async def _wait(self) -> None:
        self._stage = "waiting"
        await workflow.wait_condition(lambda: self._go)
        self._stage = "going"

    @workflow.signal
    def go(self) -> None:
        self._go = True

    @workflow.query
    def stage(self) -> str:
        return self._stage


UPDATE_WORKFLOW_NAME = "CrossSdkUpdateWorkflow"


@workflow.defn(name=UPDATE_WORKFLOW_NAME)
class CrossSdkUpdateWorkflow:
    """Workflow updates: ``add`` (validated: an empty item is rejected),
    ``fail`` (the handler raises ApplicationError), ``wait_for`` (waits on a
    condition), ``finish``; ``run()`` returns the items once finished and
    every handler is done."""

    def __init__(self) -> None:
        self._items: List[str] = []
        self._done = False

    @workflow.run
    async def run(self) -> List[str]:
        await workflow.wait_condition(lambda: self._done)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._items

    @workflow.update
    def add(self, item: str) -> int:
        self._items.append(item)
        return len(self._items)

    @add.validator
    def validate_add(self, item: str) -> None:
        if not item:
            raise ValueError("empty item")

    @workflow.update
    async def fail(self, message: str) -> None:
        raise ApplicationError(message, type="UpdateFailure")

    @workflow.update
    async def wait_for(self, n: int) -> List[str]:
        await workflow.wait_condition(lambda: len(self._items) >= n)
        return list(self._items)

    @workflow.update
    def finish(self) -> str:
        self._done = True
        return "finishing"
