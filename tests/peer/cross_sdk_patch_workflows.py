"""Versions of one patched workflow, run unchanged by BOTH SDKs (the
patching checks of tests/integration/test_workflow_patching.py).

Like ``cross_sdk_workflows.py``, this module imports only names the two SDKs
share, so our test process imports it with OUR ``temporalio`` and
``cross_sdk_patch_host.py`` with the OFFICIAL one.

Every version is the workflow type ``PatchFlow``: it takes its branch, waits
for the ``proceed`` signal (``stage`` answers ``"waiting"`` then), and
returns the branch it took. The branches differ in their commands, so a
replay down the wrong one is a non-determinism error:

* old: a timer;
* new: a memo upsert, then a timer.

``PatchFlowV0`` has only the old branch, ``PatchFlowV1`` asks
``workflow.patched(PATCH_ID)``, ``PatchFlowV2`` calls
``workflow.deprecate_patch(PATCH_ID)`` and has only the new branch,
``PatchFlowV3`` has only the new branch and no patch call at all.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

WORKFLOW_NAME = "PatchFlow"
PATCH_ID = "cross-sdk-patch"
STEP = timedelta(milliseconds=100)


class _PatchFlow:
    def __init__(self) -> None:
        self._stage = "started"
        self._go = False

    async def _old(self) -> str:
        await workflow.sleep(STEP)
        return "old"

    async def _new(self) -> str:
        workflow.upsert_memo({"branch": "new"})
        await workflow.sleep(STEP)
        return "new"

    async def _wait(self, branch: str) -> str:
        self._stage = "waiting"
        await workflow.wait_condition(lambda: self._go)
        return branch

    @workflow.signal
    def proceed(self) -> None:
        self._go = True

    @workflow.query
    def stage(self) -> str:
        return self._stage


@workflow.defn(name=WORKFLOW_NAME)
class PatchFlowV0(_PatchFlow):
    @workflow.run
    async def run(self) -> str:
        return await self._wait(await self._old())


@workflow.defn(name=WORKFLOW_NAME)
class PatchFlowV1(_PatchFlow):
    @workflow.run
    async def run(self) -> str:
        if workflow.patched(PATCH_ID):
            return await self._wait(await self._new())
        return await self._wait(await self._old())


@workflow.defn(name=WORKFLOW_NAME)
class PatchFlowV2(_PatchFlow):
    @workflow.run
    async def run(self) -> str:
        workflow.deprecate_patch(PATCH_ID)
        return await self._wait(await self._new())


@workflow.defn(name=WORKFLOW_NAME)
class PatchFlowV3(_PatchFlow):
    @workflow.run
    async def run(self) -> str:
        return await self._wait(await self._new())


VERSIONS = {"v0": PatchFlowV0, "v1": PatchFlowV1, "v2": PatchFlowV2, "v3": PatchFlowV3}


def version_of(task_queue: str) -> type:
    """The version a peer worker on ``task_queue`` runs: the queue's name
    starts with ``patch-<version>-`` (``patch-v1-...``)."""
    return VERSIONS[task_queue.split("-")[1]]
