"""A workflow with local activities, run unchanged by BOTH SDKs (the
local-activity checks of tests/integration/test_workflow_local_activities.py).

Like ``cross_sdk_workflows.py``, this module imports only names the two SDKs
share, so our test process imports it with OUR ``temporalio`` and
``cross_sdk_la_host.py`` with the OFFICIAL one. Local activities run on the
workflow's own worker, so the activities are here too; each process counts
the calls it ran (``CALLS``).

``LaFlow(key)``: a local activity, one that fails twice (two attempts, one
local retry) and is caught, a wait for the ``proceed`` signal (``stage``
answers ``"waiting"``), a third local activity; returns the three outcomes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Dict, List

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

WORKFLOW_NAME = "LaFlow"
ECHO_NAME = "la_cross_echo"
FAIL_NAME = "la_cross_fail"

CALLS: Dict[str, int] = {}


@activity.defn(name=ECHO_NAME)
async def la_cross_echo(value: str) -> str:
    CALLS[value] = CALLS.get(value, 0) + 1
    return f"echo:{value}"


@activity.defn(name=FAIL_NAME)
async def la_cross_fail(value: str) -> str:
    CALLS[value] = CALLS.get(value, 0) + 1
    raise ApplicationError(f"failed: {value}", type="LaCrossFailure")


@workflow.defn(name=WORKFLOW_NAME)
class LaFlow:
    def __init__(self) -> None:
        self._stage = "started"
        self._go = False

    @workflow.run
    async def run(self, key: str) -> str:
        out: List[str] = []
        out.append(
            await workflow.execute_local_activity(
                ECHO_NAME, f"{key}-1", start_to_close_timeout=timedelta(seconds=10)
            )
        )
        try:
            await workflow.execute_local_activity(
                FAIL_NAME,
                f"{key}-2",
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(milliseconds=10), maximum_attempts=2
                ),
            )
        except ApplicationError as err:
            out.append(f"{err.type}:{err.message}")
        self._stage = "waiting"
        await workflow.wait_condition(lambda: self._go)
        out.append(
            await workflow.execute_local_activity(
                ECHO_NAME, f"{key}-3", start_to_close_timeout=timedelta(seconds=10)
            )
        )
        return "|".join(out)

    @workflow.signal
    def proceed(self) -> None:
        self._go = True

    @workflow.query
    def stage(self) -> str:
        return self._stage
