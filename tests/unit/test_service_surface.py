"""The service wrappers' surface and option checks (no server needed)."""

from __future__ import annotations

import pytest

from temporalio.client import Client
from temporalio.service import OperatorService, TLSConfig, WorkflowService


def _descriptor_methods(module: str, service: str) -> list:
    import importlib

    pb = importlib.import_module(module)
    return list(pb.DESCRIPTOR.services_by_name[service].methods)


@pytest.mark.parametrize(
    "cls,module,service",
    [
        (WorkflowService, "temporalio.api.workflowservice.v1.service_pb2", "WorkflowService"),
        (OperatorService, "temporalio.api.operatorservice.v1.service_pb2", "OperatorService"),
    ],
)
def test_every_rpc_is_a_method_with_its_types(cls, module, service) -> None:
    import re

    methods = _descriptor_methods(module, service)
    assert len(methods) > 10
    for m in methods:
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", m.name).lower()
        fn = getattr(cls, name, None) or (cls._install() or getattr(cls, name))
        assert callable(fn), name
        assert m.input_type.name in fn.__doc__ and m.output_type.name in fn.__doc__
    assert len(cls.rpc_names()) == len(methods)


@pytest.mark.parametrize("target", ["", "localhost", "localhost:", "host:99999", "a b:1"])
async def test_malformed_target_is_a_value_error(target: str) -> None:
    with pytest.raises(ValueError, match="host:port"):
        await Client.connect(target)


async def test_wrong_types_are_type_errors() -> None:
    with pytest.raises(TypeError, match="namespace"):
        Client("localhost:7233", namespace=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="target"):
        Client(7233)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tls"):
        await Client.connect("localhost:7233", tls="yes")  # type: ignore[arg-type]


async def test_unreadable_cert_file_is_named(tmp_path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(ValueError, match="nope.pem"):
        await Client.connect("localhost:7233", tls=TLSConfig(server_root_ca_cert=str(missing)))
    bad = tmp_path / "bad.pem"
    bad.write_text("not a cert")
    with pytest.raises(ValueError, match="not PEM"):
        await Client.connect("localhost:7233", tls=TLSConfig(server_root_ca_cert=bad))


async def test_mismatched_tls_options_are_rejected() -> None:
    with pytest.raises(ValueError, match="together"):
        await Client.connect("localhost:7233", tls=TLSConfig(client_cert=b"-----BEGIN X"))


async def test_bad_metadata_key_is_named() -> None:
    with pytest.raises(ValueError, match="'Bad Key' is not a valid gRPC header name"):
        await Client.connect("localhost:7233", rpc_metadata={"Bad Key": "v"}, lazy=True)


def test_import_temporalio_loads_no_protobuf_or_extension() -> None:
    import subprocess
    import sys

    code = ("import sys, temporalio, temporalio.client; "
            "bad = [m for m in sys.modules if m.startswith(('google.protobuf', 'temporalio.api', "
            "'temporalio._bridge'))]; print(bad); assert not bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def _status_bytes(code: int, details: list) -> bytes:
    """A serialized google.rpc.Status, encoded by hand (field 1 code, 3 details)."""

    def ld(field: int, data: bytes) -> bytes:
        n, out = len(data), bytearray([field << 3 | 2])
        while True:
            out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                return bytes(out) + data

    body = bytes([0x08, code])
    for url, value in details:
        body += ld(3, ld(1, url.encode()) + (ld(2, value) if value else b""))
    return body


def test_status_details_choose_the_subclass_and_fill_its_fields() -> None:
    from temporalio.api.enums.v1 import ResourceExhaustedCause
    from temporalio.api.errordetails.v1 import ResourceExhaustedFailure
    from temporalio.service import QueryFailedError, ResourceExhaustedError, RPCStatusCode, rpc_error

    prefix = "type.googleapis.com/temporal.api.errordetails.v1."
    detail = ResourceExhaustedFailure(
        cause=ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT
    ).SerializeToString()
    err = rpc_error(8, "slow down", _status_bytes(8, [(prefix + "ResourceExhaustedFailure", detail)]))
    assert isinstance(err, ResourceExhaustedError)
    assert err.status == RPCStatusCode.RESOURCE_EXHAUSTED
    assert err.exhausted_cause == ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT
    assert err.cause is None  # the exception chain, not the detail
    # A detail with an empty body (as the server sends for some) still decodes.
    empty = rpc_error(3, "bad query", _status_bytes(3, [(prefix + "QueryFailedFailure", b"")]))
    assert isinstance(empty, QueryFailedError)
    assert empty.raw_details == [(prefix + "QueryFailedFailure", b"")]
    assert len(empty.details) == 1
