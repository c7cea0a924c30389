"""``temporalio.worker.Replayer`` and its result types compared, live, with
the official SDK's (peer virtualenv, ``scripts/peer-env``), member by member
and parameter by parameter, as tests/unit/test_client_api_parity.py compares
the client: every difference is listed here with its reason."""

from __future__ import annotations

from typing import Dict

from tests.unit.test_client_api_parity import _class_diff, _official_shapes, _our_shapes

MODULE = "temporalio.worker"
CLASSES = ["Replayer", "ReplayerConfig", "WorkflowReplayResult", "WorkflowReplayResults"]

_NO_SANDBOX = (
    "no sandbox: workflows always run unsandboxed, so there is no SandboxedWorkflowRunner "
    "default; None (or UnsandboxedWorkflowRunner()) is accepted, another runner refused"
)
KNOWN_DIFFERENCES: Dict[str, str] = {
    "Replayer.__init__(workflow_runner): default ours None, official <object>": _NO_SANDBOX,
    "Replayer.__init__(unsandboxed_workflow_runner): default ours None, official <object>": (
        _NO_SANDBOX
    ),
}


def test_replayer_api_matches_the_official_one() -> None:
    ours = _our_shapes([MODULE])[MODULE]
    official = _official_shapes([MODULE])[MODULE]
    differences = []
    for name in CLASSES:
        assert name in ours["classes"], f"{MODULE}.{name} missing"
        differences += _class_diff(name, ours["classes"][name], official["classes"][name])
    assert sorted(differences) == sorted(KNOWN_DIFFERENCES)
