"""Parity of the schedule and update API with the OFFICIAL SDK (in the peer
virtualenv, ``scripts/peer-env``): the same signatures and dataclass fields
are read on both sides and compared, so a rename, a changed default or a new
official parameter shows up here.

Each parameter or field ours lacks must be listed in ``NOT_SUPPORTED`` (with
why); ours may not have a parameter the official one lacks.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import subprocess
from typing import Any, Dict, List, Tuple

import pytest

import temporalio.client as ours
from tests.peer.peerhost import _peer_environ, peer_python

# (class name in temporalio.client, method name or "" for the dataclass fields / __init__)
CHECKED: List[Tuple[str, str]] = [
    ("Client", "create_schedule"),
    ("Client", "get_schedule_handle"),
    ("Client", "list_schedules"),
    ("Client", "start_update_with_start_workflow"),
    ("Client", "execute_update_with_start_workflow"),
    ("ScheduleHandle", "backfill"),
    ("ScheduleHandle", "delete"),
    ("ScheduleHandle", "describe"),
    ("ScheduleHandle", "pause"),
    ("ScheduleHandle", "unpause"),
    ("ScheduleHandle", "trigger"),
    ("ScheduleHandle", "update"),
    ("WorkflowHandle", "execute_update"),
    ("WorkflowHandle", "start_update"),
    ("WorkflowHandle", "get_update_handle"),
    ("WorkflowUpdateHandle", "result"),
    ("WorkflowUpdateHandle", "__init__"),
    ("WithStartWorkflowOperation", "__init__"),
    ("ScheduleActionStartWorkflow", "__init__"),
    ("ScheduleAsyncIterator", "fetch_next_page"),
    ("ScheduleDescription", "memo_value"),
    ("ScheduleListDescription", "memo_value"),
] + [
    (name, "")
    for name in (
        "Schedule",
        "ScheduleActionStartWorkflow",
        "ScheduleSpec",
        "ScheduleRange",
        "ScheduleCalendarSpec",
        "ScheduleIntervalSpec",
        "SchedulePolicy",
        "ScheduleState",
        "ScheduleBackfill",
        "ScheduleDescription",
        "ScheduleInfo",
        "ScheduleActionResult",
        "ScheduleActionExecutionStartWorkflow",
        "ScheduleUpdate",
        "ScheduleUpdateInput",
        "ScheduleListDescription",
        "ScheduleListSchedule",
        "ScheduleListInfo",
        "ScheduleListState",
        "ScheduleListActionStartWorkflow",
        "CreateScheduleInput",
        "ListSchedulesInput",
        "BackfillScheduleInput",
        "DeleteScheduleInput",
        "DescribeScheduleInput",
        "PauseScheduleInput",
        "TriggerScheduleInput",
        "UnpauseScheduleInput",
        "UpdateScheduleInput",
        "StartWorkflowUpdateInput",
        "UpdateWithStartUpdateWorkflowInput",
        "UpdateWithStartStartWorkflowInput",
        "StartWorkflowUpdateWithStartInput",
    )
]

# What ours leaves out, and why.
NOT_SUPPORTED: Dict[str, str] = {
    "WithStartWorkflowOperation.__init__(stack_level)": "only for the deprecation warning",
    "UpdateWithStartStartWorkflowInput.time_skipping_config": "no time skipping",
}

_DUMP = r"""
import dataclasses, inspect, json, sys
import temporalio.client as c
out = {}
for cls_name, meth in json.loads(sys.argv[1]):
    out[cls_name + "." + meth] = PLACEHOLDER(getattr(c, cls_name), meth)
print(json.dumps(out))
"""

_DESCRIBE = r"""
def describe(cls, meth):
    if not meth:
        if dataclasses.is_dataclass(cls):
            return {"fields": [[f.name, simple(f.default)] for f in dataclasses.fields(cls)
                               if not f.name.startswith("_")]}
        meth = "__init__"
    sig = inspect.signature(getattr(cls, meth))
    return {"params": [[p.name, p.kind.name, simple(p.default)]
                       for p in sig.parameters.values() if p.name != "self"]}

def simple(value):
    if value is inspect.Parameter.empty or value is dataclasses.MISSING:
        return "<required>"
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, (list, tuple, dict)) and not value:
        return "<empty>"
    return "<" + type(value).__name__ + ">"
"""


def _describe_ours() -> Dict[str, Any]:
    scope: Dict[str, Any] = {"dataclasses": dataclasses, "inspect": inspect}
    exec(_DESCRIBE, scope)
    return {f"{c}.{m}": scope["describe"](getattr(ours, c), m) for c, m in CHECKED}


def _describe_official() -> Dict[str, Any]:
    script = _DESCRIBE + _DUMP.replace("PLACEHOLDER", "describe")
    proc = subprocess.run(
        [peer_python(), "-I", "-c", script, json.dumps(CHECKED)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_peer_environ(),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result: Dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.fixture(scope="module")
def official() -> Dict[str, Any]:
    return _describe_official()


@pytest.mark.parametrize("key", [f"{c}.{m}" for c, m in CHECKED])
def test_same_parameters_and_fields_as_the_official_sdk(key: str, official: Dict[str, Any]) -> None:
    mine = _describe_ours()[key]
    theirs = official[key]
    kind = "fields" if "fields" in theirs else "params"
    assert kind in mine, f"{key}: official has {kind}, ours {list(mine)}"
    my_items = {item[0]: item[1:] for item in mine[kind]}
    their_items = {item[0]: item[1:] for item in theirs[kind]}
    problems = []
    for name, spec in their_items.items():
        label = f"{key}({name})" if kind == "params" else f"{key.rstrip('.')}.{name}"
        if name not in my_items:
            if label not in NOT_SUPPORTED:
                problems.append(f"missing {label}")
        elif my_items[name] != spec and not (
            # a default object of another class (a sentinel, a policy member) is fine
            all(
                s.startswith("<") and s not in ("<required>", "<empty>")
                for s in (my_items[name][-1], spec[-1])
            )
        ):
            problems.append(f"{label}: ours {my_items[name]}, official {spec}")
    extra = sorted(set(my_items) - set(their_items))
    if extra:
        problems.append(f"{key}: ours only {extra}")
    assert not problems, "\n".join(problems)


_ERRORS = r"""
import json
import temporalio.client as c
errors = {
    "WorkflowUpdateFailedError": c.WorkflowUpdateFailedError(RuntimeError("cause")),
    "WorkflowUpdateRPCTimeoutOrCancelledError": c.WorkflowUpdateRPCTimeoutOrCancelledError(),
    "ScheduleAlreadyRunningError": c.ScheduleAlreadyRunningError(),
    "RPCTimeoutOrCancelledError": c.RPCTimeoutOrCancelledError(),
}
print(json.dumps({name: [str(err), [k.__name__ for k in type(err).__mro__]]
                  for name, err in errors.items()}))
"""


def test_same_error_classes_and_messages_as_the_official_sdk() -> None:
    proc = subprocess.run(
        [peer_python(), "-I", "-c", _ERRORS],
        capture_output=True,
        text=True,
        timeout=120,
        env=_peer_environ(),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    scope: Dict[str, Any] = {}
    exec(
        _ERRORS.replace("import temporalio.client as c", "c = CLIENT").replace(
            "print(json.dumps(", "RESULT = (json.dumps("
        ),
        {**scope, "CLIENT": ours},
        scope,
    )
    assert json.loads(scope["RESULT"]) == json.loads(proc.stdout)
