"""A type checker sees each RPC's request and response types.

The wrappers' typed signatures come from ``temporalio/api/_service_rpcs.pyi``,
generated at build time from the same service protos as the runtime methods
(scripts/protos.py). mypy runs here as a user's would: on a snippet outside
this repository, with a configuration of its own.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import temporalio.api

from temporalio.service import OperatorService, WorkflowService

SNIPPET = """\
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, ListNamespacesRequest
from temporalio.client import Client


async def use(client: Client) -> None:
    resp = await client.service.describe_namespace(
        DescribeNamespaceRequest(namespace="default"), retry=False, timeout=5
    )
    reveal_type(resp)
    reveal_type(resp.namespace_info.name)
    await client.service.describe_namespace(ListNamespacesRequest())  # line 11
    await client.service.describe_namespace(DescribeNamespaceRequest(), timeout="5s")  # line 12
    await client.service.no_such_rpc(DescribeNamespaceRequest())  # line 13
    await client.operator_service.list_search_attributes(DescribeNamespaceRequest())  # line 14
"""


def test_mypy_sees_request_and_response_types(tmp_path: Path) -> None:
    (tmp_path / "snippet.py").write_text(SNIPPET)
    (tmp_path / "mypy.ini").write_text("[mypy]\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            "mypy.ini",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
            "--hide-error-context",
            "snippet.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    lines = [line.split(": ", 1)[1] for line in proc.stdout.splitlines()]
    ws = "temporalio.api.workflowservice.v1.request_response_pb2"
    assert lines == [
        f'note: Revealed type is "{ws}.DescribeNamespaceResponse"',
        'note: Revealed type is "str"',
        'error: Argument 1 to "describe_namespace" of "WorkflowServiceRPCs" has incompatible '
        'type "ListNamespacesRequest"; expected "DescribeNamespaceRequest"  [arg-type]',
        'error: Argument "timeout" to "describe_namespace" of "WorkflowServiceRPCs" has '
        'incompatible type "str"; expected "float | timedelta | None"  [arg-type]',
        'error: "WorkflowService" has no attribute "no_such_rpc"  [attr-defined]',
        'error: Argument 1 to "list_search_attributes" of "OperatorServiceRPCs" has '
        'incompatible type "DescribeNamespaceRequest"; expected "ListSearchAttributesRequest"'
        "  [arg-type]",
    ], proc.stdout + proc.stderr
    assert [line.split(":")[1] for line in proc.stdout.splitlines()] == [
        "9",
        "10",
        "11",
        "12",
        "13",
        "14",
    ]


def _stub_signatures() -> dict:
    """``{class: {method: (request, response)}}`` of the generated stub."""
    stub = next(
        Path(p) / "_service_rpcs.pyi"
        for p in temporalio.api.__path__
        if (Path(p) / "_service_rpcs.pyi").exists()
    )
    out: dict = {}
    for cls in ast.parse(stub.read_text()).body:
        if isinstance(cls, ast.ClassDef):
            out[cls.name] = {
                f.name: (
                    ast.unparse(f.args.args[1].annotation).split(".")[-1],  # type: ignore[union-attr]
                    ast.unparse(f.returns).split(".")[-1],
                )  # type: ignore[arg-type]
                for f in cls.body
                if isinstance(f, ast.AsyncFunctionDef)
            }
    return out


@pytest.mark.parametrize("cls", [WorkflowService, OperatorService])
def test_the_stub_has_every_rpc_with_the_descriptor_types(cls: type) -> None:
    import importlib

    pb = importlib.import_module(cls._module)  # type: ignore[attr-defined]
    service = pb.DESCRIPTOR.services_by_name[cls._service]  # type: ignore[attr-defined]
    want = {_snake(m.name): (m.input_type.name, m.output_type.name) for m in service.methods}
    assert _stub_signatures()[f"{cls.__name__}RPCs"] == want
    assert sorted(want) == sorted(cls.rpc_names())  # type: ignore[attr-defined]


def _snake(name: str) -> str:
    from temporalio.service._services import _snake as snake

    return snake(name)
