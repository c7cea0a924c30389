"""Offline checks of client members added for parity with the official SDK
(no server: no call is made by what is checked here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pytest

from temporalio.client import ActivityHandle, Client, WorkflowUpdateHandle


@dataclass
class _UpdateDefinition:
    """What a ``@workflow.update`` decorator records (name, ret_type)."""

    name: Optional[str]
    ret_type: Optional[type]


@pytest.fixture
def offline_client() -> Client:
    return Client("127.0.0.1:1")  # never connected: nothing here calls the server


def test_get_update_handle_for_takes_the_declared_result_type(offline_client: Client) -> None:
    def set_value(self: Any, value: int) -> int: ...

    # the official SDK keeps the definition as the method's `_defn`
    set_value._defn = _UpdateDefinition("set_value", int)  # type: ignore[attr-defined]
    wf = offline_client.get_workflow_handle("wf-1", run_id="run-1")
    handle = wf.get_update_handle_for(set_value, "upd-1")
    assert isinstance(handle, WorkflowUpdateHandle)
    assert (handle.id, handle.workflow_id, handle.workflow_run_id) == ("upd-1", "wf-1", "run-1")
    assert handle._result_type is int
    other = wf.get_update_handle_for(set_value, "upd-2", workflow_run_id="run-2")
    assert other.workflow_run_id == "run-2"

    def plain(self: Any) -> None: ...

    with pytest.raises(TypeError, match="not a @workflow.update method"):
        wf.get_update_handle_for(plain, "upd-3")


def test_get_activity_handle(offline_client: Client) -> None:
    handle = offline_client.get_activity_handle("act-1", run_id="r-1", result_type=int)
    assert isinstance(handle, ActivityHandle)
    assert (handle.id, handle.run_id, handle._result_type) == ("act-1", "r-1", int)
    assert offline_client.get_activity_handle("act-2").run_id is None
    with pytest.raises(TypeError):
        offline_client.get_activity_handle(5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        offline_client.get_activity_handle("")
