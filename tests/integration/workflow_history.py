"""Helpers the workflow integration tests share: new workflow ids and a
run's history, read straight from the server (``GetWorkflowExecutionHistory``)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, List

from temporalio.client import Client


def new_workflow_id() -> str:
    """A workflow id no other test uses (``wf-<uuid4>``)."""
    return f"wf-{uuid.uuid4()}"


async def history(client: Client, workflow_id: str, run_id: str = "") -> List[Any]:
    """Every event of the run (``run_id`` empty: the latest), all pages."""
    from temporalio.api.common.v1 import WorkflowExecution
    from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest

    events: List[Any] = []
    token = b""
    while True:
        resp = await client.service.get_workflow_execution_history(
            GetWorkflowExecutionHistoryRequest(
                namespace=client.namespace,
                execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
                next_page_token=token,
            )
        )
        events.extend(resp.history.events)
        token = resp.next_page_token
        if not token:
            return events


async def wait_for_event(client: Client, workflow_id: str, attr: str, seconds: float = 30) -> Any:
    """The first history event whose attributes field is ``attr`` (bounded
    wait). Raises AssertionError if none comes within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for e in await history(client, workflow_id):
            if e.HasField(attr):
                return e
        await asyncio.sleep(0.2)
    raise AssertionError(f"no {attr} in the history of {workflow_id} within {seconds} s")
