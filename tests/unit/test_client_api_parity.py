"""The public API of ``temporalio.client``, ``temporalio.common`` and ``temporalio.runtime``
compared, live, with the official SDK's (in the peer virtualenv,
``scripts/peer-env``): the names each module exports, and for each class
defined there its public members (methods, properties, attributes, dataclass
fields, enum members) and each method's parameters (name, kind, default;
``tests/unit/_api_shape.py`` reads them the same way on both sides).

Every difference must be in ``KNOWN_DIFFERENCES`` with its reason, and every
entry there must still match a difference: a new official member, a renamed
or removed parameter of ours, a changed default shows up as a failure here;
so does an entry made stale by a fix (delete it then).

Keys are ``fnmatch`` patterns over the difference lines, which read:

* ``<module>: missing <name>`` / ``<module>: extra <name>``: an exported name
  only the official SDK (missing) or only ours (extra) has;
* ``<Class>.<member>: missing`` / ``extra``; ``<Class>.<field>: missing field``;
* ``<Class>.<member>: ours <kind>, official <kind>`` (method, async method,
  property, classmethod, ...);
* ``<Class>.<method>(<param>): missing`` / ``extra`` / ``ours <KIND>, official
  <KIND>`` / ``default ours <d>, official <d>``; ``<Class>.<field>: default ...``;
* ``<Class>.<method>: positional order ...``; ``<Enum>: members ...``.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.peer.peerhost import _peer_environ, peer_python

MODULES = ["temporalio.client", "temporalio.common", "temporalio.runtime", "temporalio.plugin"]
SHAPE_SCRIPT = Path(__file__).with_name("_api_shape.py")

_NEXUS = "Nexus operations: this SDK has no Nexus support (no Nexus worker or client)"
_BUILD_ID = (
    "worker versioning v1 (build-id compatibility sets, task reachability): deprecated "
    "by the server (disabled by default since 1.24); this SDK supports only worker "
    "deployments (versioning_override, WorkerDeploymentVersion)"
)
_TYPEVARS = (
    "typing helpers (TypeVars, ParamSpec, Callable protocols) the official SDK keeps in "
    "temporalio.types and re-exports; ours types its methods with plain TypeVars"
)
_INPUT_DEFAULTS = (
    "interceptor inputs: ours give defaults to optional fields, so code building an input "
    "with every field (the official form) works unchanged"
)
_SEED_ARGS = (
    "the seed's call form start_workflow(wf, *args) is kept (issue 14): arguments are "
    "positional-only varargs 'arg_values', so 'arg' is keyword-only; one positional "
    "argument means the same as the official positional 'arg'"
)

_OWN_CONNECTION = (
    "ours also opens its own connection, Client(target_host, tls=..., api_key=..., ...), "
    "the seed's form, besides the official Client(service_client, ...)"
)
_NO_TRANSPORT_OPTION = (
    "transport option the grpc C core transport does not offer here (HTTP CONNECT proxy, "
    "DNS load balancing, compression)"
)
_UNLISTED_OFFICIAL = (
    "official public names too: the official temporalio.runtime has no __all__, so only its "
    "classes and functions are listed on its side (these are constants and a NewType)"
)
_PAYLOAD_LIMITS = "payload size limits are not checked client-side (the server enforces its own)"

KNOWN_DIFFERENCES: Dict[str, str] = {
    # ---- temporalio.plugin ---------------------------------------------------------
    "temporalio.plugin: extra PluginParameter": (
        "official public name too (the TypeAlias of SimplePlugin's options): the official "
        "temporalio.plugin has no __all__, so only its classes are listed on its side"
    ),
    # ---- names exported by temporalio.client --------------------------------------
    "temporalio.client: missing *Nexus*": _NEXUS,
    "temporalio.client: missing Callback": "Nexus completion callbacks: " + _NEXUS,
    "temporalio.client: missing BuildId*": _BUILD_ID,
    "temporalio.client: missing *BuildIdCompatibility*": _BUILD_ID,
    "temporalio.client: missing *TaskReachability*": _BUILD_ID,
    "temporalio.client: missing WorkerBuildIdVersionSets": _BUILD_ID,
    "temporalio.client: missing StorageDriver*": (
        "external payload storage (storage drivers) is not implemented"
    ),
    "temporalio.client: missing CloudOperationsClient": (
        "the Temporal Cloud operations API client is not implemented"
    ),
    "temporalio.client: missing HttpConnectProxyConfig": _NO_TRANSPORT_OPTION,
    "temporalio.client: missing DnsLoadBalancingConfig": _NO_TRANSPORT_OPTION,
    "temporalio.client: missing GrpcCompression": _NO_TRANSPORT_OPTION,
    "temporalio.client: missing PayloadLimitsConfig": _PAYLOAD_LIMITS,
    "temporalio.client: missing AnyType": _TYPEVARS,
    "temporalio.client: missing LocalReturnType": _TYPEVARS,
    "temporalio.client: missing MultiParamSpec": _TYPEVARS,
    "temporalio.client: missing ParamType": _TYPEVARS,
    "temporalio.client: missing ReturnType": _TYPEVARS,
    "temporalio.client: missing SelfType": _TYPEVARS,
    "temporalio.client: missing CallableAsync*": _TYPEVARS,
    "temporalio.client: missing CallableSync*": _TYPEVARS,
    "temporalio.client: missing MethodAsync*": _TYPEVARS,
    "temporalio.client: missing MethodSyncOrAsync*": _TYPEVARS,
    "temporalio.client: extra GetWorkflowResultInput": (
        "ours: WorkflowHandle.result() goes through the interceptors too "
        "(OutboundInterceptor.get_workflow_result)"
    ),
    "temporalio.client: extra ServiceClientProtocol": (
        "ours: the structural type Client accepts as its connection (issue 14's test seam)"
    ),
    "temporalio.client: extra WorkflowAlreadyStartedError": (
        "the official SDK has it in temporalio.exceptions only; ours keeps the seed's "
        "temporalio.client home (the errparity slice adds the official one)"
    ),
    "temporalio.client: extra QueryRejectCondition": (
        "the seed exported these common types from temporalio.client too; kept importable"
    ),
    "temporalio.client: extra RetryPolicy": (
        "the seed exported these common types from temporalio.client too; kept importable"
    ),
    "temporalio.client: extra WorkflowIDConflictPolicy": (
        "the seed exported these common types from temporalio.client too; kept importable"
    ),
    "temporalio.client: extra WorkflowIDReusePolicy": (
        "the seed exported these common types from temporalio.client too; kept importable"
    ),
    # ---- Client ---------------------------------------------------------------------
    # Client(...): ours also opens its own connection (the seed's form).
    "Client.__init__(service_client): ours KEYWORD_ONLY, official POSITIONAL_OR_KEYWORD": (
        _OWN_CONNECTION
    ),
    "Client.__init__(service_client): default ours None, official <required>": _OWN_CONNECTION,
    "Client.__init__(namespace): default ours None, official 'default'": (
        "None: 'default', or the connection's namespace when built on a service_client"
    ),
    "Client.__init__(target_host): extra": _OWN_CONNECTION,
    "Client.__init__(identity): extra": _OWN_CONNECTION,
    "Client.__init__(tls): extra": _OWN_CONNECTION,
    "Client.__init__(api_key): extra": _OWN_CONNECTION,
    "Client.__init__(rpc_metadata): extra": _OWN_CONNECTION,
    "Client.__init__(retry_config): extra": _OWN_CONNECTION,
    "Client.__init__(keep_alive_config): extra": _OWN_CONNECTION,
    "Client.__init__(lazy): extra": _OWN_CONNECTION,
    "Client.__init__(runtime): extra": _OWN_CONNECTION,
    # Official options whose types ours lacks: None (off) is taken, anything
    # else raises NotImplementedError naming the option.
    "Client.connect(grpc_compression): default ours None, official <object>": (
        _NO_TRANSPORT_OPTION
    ),
    "Client.connect(payload_limits): default ours None, official <object>": _PAYLOAD_LIMITS,
    "Client.*nexus*": _NEXUS,
    "Client.*build_id_compatibility: missing": _BUILD_ID,
    "Client.get_worker_task_reachability: missing": _BUILD_ID,
    "Client.test_service: missing": (
        "no time-skipping test server (temporalio.testing.WorkflowEnvironment's) in this SDK"
    ),
    "Client.close: extra": "ours: closes the connection the client opened",
    "Client.service: extra": "the seed's name of workflow_service, kept",
    "Client.interceptors: extra": "ours: read-only view of the client's options",
    "Client.default_workflow_query_reject_condition: extra": (
        "ours: read-only view of the client's options"
    ),
    "Client.start_workflow(arg): ours KEYWORD_ONLY, official POSITIONAL_OR_KEYWORD": _SEED_ARGS,
    "Client.start_workflow(arg_values): extra": _SEED_ARGS,
    "Client.execute_workflow(arg): ours KEYWORD_ONLY, official POSITIONAL_OR_KEYWORD": _SEED_ARGS,
    "Client.execute_workflow(arg_values): extra": _SEED_ARGS,
    "WorkflowHandle.signal(arg): ours KEYWORD_ONLY, official POSITIONAL_OR_KEYWORD": _SEED_ARGS,
    "WorkflowHandle.signal(arg_values): extra": _SEED_ARGS,
    "WorkflowHandle.query(arg): ours KEYWORD_ONLY, official POSITIONAL_OR_KEYWORD": _SEED_ARGS,
    "WorkflowHandle.query(arg_values): extra": _SEED_ARGS,
    "Client.start_workflow(id): default ours None, official <required>": (
        "the seed's default: a new uuid4 workflow id"
    ),
    "Client.execute_workflow(id): default ours None, official <required>": (
        "the seed's default: a new uuid4 workflow id"
    ),
    # ---- other classes --------------------------------------------------------------
    "OutboundInterceptor.*nexus_operation*": _NEXUS,
    "OutboundInterceptor.*build_id_compatibility: missing": _BUILD_ID,
    "OutboundInterceptor.get_worker_task_reachability: missing": _BUILD_ID,
    "OutboundInterceptor.get_workflow_result: extra": (
        "ours: WorkflowHandle.result() goes through the interceptors too"
    ),
    "AsyncActivityHandle.id_or_token: extra": "ours: read-only view of what the handle names",
    "WorkflowHandle.client: extra": "ours: the handle's client, read-only",
    "WorkflowExecutionDescription.raw_message: extra": (
        "the seed-era name of raw_description, kept (issue 14)"
    ),
    "WorkflowExecutionStatus: members ours *'PAUSED': '8'*": (
        "ours has the server's PAUSED (8, temporal.api.enums.v1; server 1.32 workflow pause)"
    ),
    "WorkflowFailureError.__init__(cause): ours POSITIONAL_OR_KEYWORD, official KEYWORD_ONLY": (
        "ours also takes the cause positionally (the seed's form); cause= works as in the "
        "official SDK"
    ),
    "WithStartWorkflowOperation.__init__(stack_level): missing": (
        "only sets the stack level of the official SDK's deprecation warning"
    ),
    "Interceptor: ours a class, official a dataclass": (
        "the official dataclass has no fields; subclassing and intercept_client are the same"
    ),
    "WorkflowHistoryEventAsyncIterator: ours a class, official a dataclass": (
        "the official dataclass has no public fields; iteration and fetch_next_page are the same"
    ),
    "WorkflowHistoryEventAsyncIterator.__init__: extra": (
        "made by WorkflowHandle.fetch_history_events (not meant to be built by users)"
    ),
    "StartWorkflowInput.time_skipping_config: missing field": (
        "no time-skipping test server in this SDK"
    ),
    "UpdateWithStartStartWorkflowInput.time_skipping_config: missing field": (
        "no time-skipping test server in this SDK"
    ),
    "*Input.*: default ours *, official <required>": _INPUT_DEFAULTS,
    # ---- temporalio.runtime ---------------------------------------------------------
    "temporalio.runtime: extra BUFFERED_METRIC_KIND_*": _UNLISTED_OFFICIAL,
    "temporalio.runtime: extra BufferedMetricKind": _UNLISTED_OFFICIAL,
    # ---- temporalio.common ----------------------------------------------------------
    "temporalio.common: missing *Nexus*": _NEXUS,
    "temporalio.common: missing Metric*": (
        "metrics (MetricMeter and its instruments) are not implemented: no runtime telemetry"
    ),
    "temporalio.common: extra WorkflowExecutionStatus": (
        "defined in temporalio.common and re-exported by temporalio.client (the official "
        "SDK defines it in temporalio.client); importable from both"
    ),
    "RetryPolicy.to_proto: extra": "ours: the proto form (apply_to_proto's counterpart)",
    "RetryPolicy.validate: extra": "ours: checks the fields (also done when sent)",
    "WorkflowIDReusePolicy: members ours *'UNSPECIFIED': '0'*": (
        "ours has the proto's UNSPECIFIED (0): the server's default"
    ),
}


def _official_shapes(modules: List[str] = MODULES) -> Dict[str, Any]:
    proc = subprocess.run(
        [peer_python(), "-I", str(SHAPE_SCRIPT), *modules],
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",  # not this repository: its temporalio would shadow the official one
        env=_peer_environ(),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    shapes: Dict[str, Any] = json.loads(proc.stdout)
    return shapes


def _our_shapes(modules: List[str] = MODULES) -> Dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(SHAPE_SCRIPT), *modules],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    shapes: Dict[str, Any] = json.loads(proc.stdout)
    return shapes


def _param_diff(label: str, mine: List[List[str]], theirs: List[List[str]]) -> List[str]:
    out = []
    by_name = {p[0]: p for p in mine}
    for name, kind, default in theirs:
        if name not in by_name:
            out.append(f"{label}({name}): missing")
            continue
        _, my_kind, my_default = by_name[name]
        if my_kind != kind:
            out.append(f"{label}({name}): ours {my_kind}, official {kind}")
        if my_default != default:
            out.append(f"{label}({name}): default ours {my_default}, official {default}")
    their_names = {p[0] for p in theirs}
    out.extend(f"{label}({p[0]}): extra" for p in mine if p[0] not in their_names)

    def positional(params: List[List[str]]) -> List[str]:
        return [p[0] for p in params if p[1] in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")]

    mp, tp = positional(mine), positional(theirs)
    shared = [n for n in tp if n in mp]
    if [n for n in mp if n in shared] != shared:
        out.append(f"{label}: positional order ours {mp}, official {tp}")
    return out


def _class_diff(name: str, mine: Dict[str, Any], theirs: Dict[str, Any]) -> List[str]:
    out = []
    if mine["kind"] != theirs["kind"]:
        out.append(f"{name}: ours a {mine['kind']}, official a {theirs['kind']}")
    if theirs["kind"] == "enum" or mine["kind"] == "enum":
        if mine.get("enum") != theirs.get("enum"):
            out.append(f"{name}: members ours {mine.get('enum')}, official {theirs.get('enum')}")
        return out
    my_fields = {f[0]: f[1] for f in mine.get("fields", [])}
    their_fields = {f[0]: f[1] for f in theirs.get("fields", [])}
    my_members, their_members = mine.get("members", {}), theirs.get("members", {})
    for field, default in their_fields.items():
        if field in my_fields:
            if my_fields[field] != default:
                out.append(f"{name}.{field}: default ours {my_fields[field]}, official {default}")
        elif field not in my_members:
            out.append(f"{name}.{field}: missing field")
    for field in my_fields:
        if field not in their_fields and field not in their_members:
            out.append(f"{name}.{field}: extra field")
    for member in sorted(their_members):
        if member not in my_members:
            if member not in my_fields:
                out.append(f"{name}.{member}: missing")
            continue
        a, b = my_members[member], their_members[member]
        if a["kind"] != b["kind"]:
            out.append(f"{name}.{member}: ours {a['kind']}, official {b['kind']}")
        if "params" in a and "params" in b:
            out.extend(_param_diff(f"{name}.{member}", a["params"], b["params"]))
    for member in sorted(my_members):
        if member not in their_members and member not in their_fields:
            out.append(f"{name}.{member}: extra")
    return out


def api_differences(ours: Dict[str, Any], official: Dict[str, Any]) -> List[str]:
    """Every difference between the two sets of module shapes, as lines."""
    out = []
    for module in MODULES:
        mine, theirs = ours[module], official[module]
        out.extend(f"{module}: missing {n}" for n in theirs["all"] if n not in mine["all"])
        out.extend(f"{module}: extra {n}" for n in mine["all"] if n not in theirs["all"])
        for name, their_class in sorted(theirs["classes"].items()):
            # each class once: under the module that defines it officially
            if not their_class["module"].startswith(module):
                continue
            if name in mine["classes"]:
                out.extend(_class_diff(name, mine["classes"][name], their_class))
    return out


@pytest.fixture(scope="module")
def differences() -> List[str]:
    return api_differences(_our_shapes(), _official_shapes())


def test_every_difference_from_the_official_api_is_known(differences: List[str]) -> None:
    unknown = [
        d for d in differences if not any(fnmatch.fnmatchcase(d, p) for p in KNOWN_DIFFERENCES)
    ]
    assert not unknown, (
        "differences from the official SDK's API not in KNOWN_DIFFERENCES (implement them, "
        "or add them with the reason):\n" + "\n".join(unknown)
    )


def test_every_known_difference_still_exists(differences: List[str]) -> None:
    stale = [
        p for p in KNOWN_DIFFERENCES if not any(fnmatch.fnmatchcase(d, p) for d in differences)
    ]
    assert not stale, "KNOWN_DIFFERENCES entries that match nothing any more (delete them):\n" + (
        "\n".join(stale)
    )


def test_the_comparison_sees_differences() -> None:
    """The diff itself: a missing method, a changed default, a parameter
    turned keyword-only and a missing export are each reported."""
    official = {
        m: {
            "all": ["Thing"],
            "classes": {
                "Thing": {
                    "kind": "class",
                    "module": m,
                    "members": {
                        "go": {"kind": "method", "params": [["x", "POSITIONAL_OR_KEYWORD", "1"]]},
                        "stop": {"kind": "method", "params": []},
                    },
                }
            },
        }
        for m in MODULES
    }
    ours = json.loads(json.dumps(official))
    mod = MODULES[0]
    ours[mod]["classes"]["Thing"]["members"]["go"]["params"] = [["x", "KEYWORD_ONLY", "2"]]
    del ours[mod]["classes"]["Thing"]["members"]["stop"]
    ours[MODULES[1]]["all"] = []
    assert api_differences(ours, official) == [
        "Thing.go(x): ours KEYWORD_ONLY, official POSITIONAL_OR_KEYWORD",
        "Thing.go(x): default ours 2, official 1",
        "Thing.stop: missing",
        f"{MODULES[1]}: missing Thing",
    ]
