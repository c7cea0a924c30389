"""Every keyword of the official SDK's ``Worker`` (read from the peer
virtualenv, so a new official keyword fails here until ours decides what to
do with it) is accepted by ours, or refused with a ``NotImplementedError``
naming it; the official defaults are accepted. No server: workers are only
constructed."""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
from datetime import timedelta
from multiprocessing.managers import SyncManager
from typing import Any, Dict, List, Tuple

import pytest

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.plugin import SimplePlugin
from temporalio.worker import (
    PollerBehaviorAutoscaling,
    PollerBehaviorSimpleMaximum,
    SharedStateManager,
    UnsandboxedWorkflowRunner,
    Worker,
)

PEER_SCRIPT = r"""
import datetime, inspect, json
import temporalio.worker as w
out = []
for p in list(inspect.signature(w.Worker.__init__).parameters.values())[1:]:
    d = p.default
    if d is inspect.Parameter.empty:
        default = ["required"]
    elif d is None or isinstance(d, (bool, int, float, str)):
        default = ["value", d]
    elif isinstance(d, datetime.timedelta):
        default = ["timedelta", d.total_seconds()]
    elif isinstance(d, (list, tuple)) and not d:
        default = ["value", []]
    else:
        default = ["object", type(d).__name__]
    out.append({"name": p.name, "kind": p.kind.name, "default": default})
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def official() -> List[Dict[str, Any]]:
    from tests.peer.peerhost import peer_python

    proc = subprocess.run(
        [peer_python(), "-c", PEER_SCRIPT], capture_output=True, text=True, timeout=120, cwd="/"
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@workflow.defn(name="OptionsTestWorkflow")
class OptionsTestWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None


@activity.defn
async def options_test_activity() -> None:
    return None


class _Runner:  # stands for the official runner objects
    pass


OK, REFUSED = "ok", "refused"

# keyword -> [(value, outcome)]: non-default values (defaults are checked
# from the official signature). A new official keyword needs an entry.
SAMPLES: Dict[str, List[Tuple[Any, str]]] = {
    "client": [],
    "task_queue": [],
    "activities": [([options_test_activity], OK)],
    "nexus_service_handlers": [([object()], REFUSED)],
    "workflows": [([OptionsTestWorkflow], OK)],
    "activity_executor": [(concurrent.futures.ThreadPoolExecutor(1), OK)],
    "workflow_task_executor": [(concurrent.futures.ThreadPoolExecutor(1), OK)],
    "nexus_task_executor": [(concurrent.futures.ThreadPoolExecutor(1), OK)],
    # The official unsandboxed runner is what this worker always does.
    "workflow_runner": [(_Runner(), REFUSED), (UnsandboxedWorkflowRunner(), OK)],
    "unsandboxed_workflow_runner": [(_Runner(), REFUSED), (UnsandboxedWorkflowRunner(), OK)],
    "plugins": [([SimplePlugin("options-test")], OK)],
    "interceptors": [([], OK)],
    "build_id": [("build-1", OK)],
    "identity": [("me", OK)],
    "max_cached_workflows": [(10, OK)],
    "max_concurrent_workflow_tasks": [(3, OK)],
    "max_concurrent_activities": [(3, OK)],
    "max_concurrent_local_activities": [(3, OK)],
    "max_concurrent_nexus_tasks": [(3, OK)],
    "tuner": [(object(), REFUSED)],
    "max_concurrent_workflow_task_polls": [(3, OK)],
    "nonsticky_to_sticky_poll_ratio": [(0.5, OK)],
    "max_concurrent_activity_task_polls": [(3, OK)],
    "no_remote_activities": [(True, OK)],
    "sticky_queue_schedule_to_start_timeout": [(timedelta(seconds=3), OK)],
    "max_heartbeat_throttle_interval": [(timedelta(seconds=5), REFUSED)],
    "default_heartbeat_throttle_interval": [(timedelta(seconds=5), REFUSED)],
    "max_activities_per_second": [(10.0, OK)],
    "max_task_queue_activities_per_second": [(10.0, OK)],
    "max_eager_activity_reservations_per_workflow_task": [(5, OK)],
    "graceful_shutdown_timeout": [(timedelta(seconds=1), OK)],
    "plugin_shutdown_timeout": [(timedelta(seconds=1), OK)],
    "workflow_failure_exception_types": [([ValueError], OK)],
    "shared_state_manager": [(SharedStateManager.create_from_multiprocessing(SyncManager()), OK)],
    "debug_mode": [(True, OK)],
    "disable_eager_activity_execution": [(True, OK)],
    "on_fatal_error": [(lambda err: None, OK)],
    "use_worker_versioning": [(True, REFUSED)],
    "disable_safe_workflow_eviction": [(True, OK)],
    "deployment_config": [(object(), REFUSED)],
    "patch_activation_callback": [(lambda _: True, REFUSED)],
    "workflow_task_poller_behavior": [
        (PollerBehaviorSimpleMaximum(3), OK),
        (PollerBehaviorAutoscaling(), REFUSED),
    ],
    "activity_task_poller_behavior": [
        (PollerBehaviorSimpleMaximum(3), OK),
        (PollerBehaviorAutoscaling(), REFUSED),
    ],
    "nexus_task_poller_behavior": [
        (PollerBehaviorSimpleMaximum(3), OK),
        (PollerBehaviorAutoscaling(), REFUSED),
    ],
    "disable_payload_error_limit": [(True, OK)],
    "max_workflow_task_external_storage_concurrency": [(5, OK)],
}


def _build(**kwargs: Any) -> Worker:
    base: Dict[str, Any] = dict(
        task_queue="tq", workflows=[OptionsTestWorkflow], activities=[options_test_activity]
    )
    base.update(kwargs)
    return Worker(Client("localhost:7233"), **base)  # never connected


def _check(name: str, value: Any, outcome: str) -> None:
    if outcome == OK:
        _build(**{name: value})
        return
    with pytest.raises(NotImplementedError) as e:
        _build(**{name: value})
    assert f"Worker({name}=...)" in str(e.value)


def test_every_official_keyword_is_known_here(official: List[Dict[str, Any]]) -> None:
    names = [p["name"] for p in official]
    unknown = [n for n in names if n not in SAMPLES]
    assert not unknown, f"new official Worker keywords: {unknown}: accept or refuse them"
    import inspect

    ours = inspect.signature(Worker.__init__).parameters
    missing = [n for n in names if n not in ours]
    assert not missing, f"ours lacks the official Worker keywords {missing}"
    kinds = {p["name"]: p["kind"] for p in official}
    for n in names:
        assert ours[n].kind.name == kinds[n], f"{n}: ours {ours[n].kind.name}, official {kinds[n]}"


def test_the_official_defaults_are_accepted(official: List[Dict[str, Any]]) -> None:
    for p in official:
        kind, *rest = p["default"]
        if p["name"] in ("client", "task_queue") or kind in ("required", "object"):
            continue
        value = timedelta(seconds=rest[0]) if kind == "timedelta" else rest[0]
        if p["name"] in ("activities", "workflows") and value == []:
            continue  # a worker needs one of them
        _build(**{p["name"]: value})


@pytest.mark.parametrize(
    "name,value,outcome",
    [(n, v, o) for n, samples in SAMPLES.items() for v, o in samples],
    ids=[f"{n}-{i}" for n, samples in SAMPLES.items() for i in range(len(samples))],
)
def test_each_keyword_is_accepted_or_refused_by_name(name: str, value: Any, outcome: str) -> None:
    _check(name, value, outcome)


def test_poll_counts_from_behaviors() -> None:
    w = _build(activity_task_poller_behavior=PollerBehaviorSimpleMaximum(7))
    assert w._max_polls == 7
    # the explicit count wins, as in the official SDK
    w = _build(
        activity_task_poller_behavior=PollerBehaviorSimpleMaximum(7),
        max_concurrent_activity_task_polls=2,
    )
    assert w._max_polls == 2
    w = _build(workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(4))
    assert w._max_concurrent_workflow_task_polls == 4
    assert _build()._max_polls == 5
    with pytest.raises(ValueError):
        _build(activity_task_poller_behavior=PollerBehaviorSimpleMaximum(0))


def test_checked_values_and_official_messages() -> None:
    with pytest.raises(ValueError, match="max_eager_activity_reservations_per_workflow_task"):
        _build(max_eager_activity_reservations_per_workflow_task=0)
    with pytest.raises(ValueError, match="max_workflow_task_external_storage_concurrency"):
        _build(max_workflow_task_external_storage_concurrency=0)
    with pytest.raises(TypeError, match="shared_state_manager"):
        _build(shared_state_manager=object())
    with pytest.raises(ValueError, match="no_remote_activities"):
        Worker(
            Client("localhost:7233"),
            task_queue="tq",
            activities=[options_test_activity],
            no_remote_activities=True,
        )
