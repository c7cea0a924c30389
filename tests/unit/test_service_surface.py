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

    code = (
        "import sys, temporalio, temporalio.client; "
        "bad = [m for m in sys.modules if m.startswith(('google.protobuf', 'temporalio.api', "
        "'temporalio._bridge'))]; print(bad); assert not bad"
    )
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

    from temporalio.service import (
        QueryFailedError,
        ResourceExhaustedError,
        RPCStatusCode,
        rpc_error,
    )

    prefix = "type.googleapis.com/temporal.api.errordetails.v1."
    detail = ResourceExhaustedFailure(
        cause=ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT
    ).SerializeToString()
    err = rpc_error(
        8, "slow down", _status_bytes(8, [(prefix + "ResourceExhaustedFailure", detail)])
    )
    assert isinstance(err, ResourceExhaustedError)
    assert err.status == RPCStatusCode.RESOURCE_EXHAUSTED
    assert err.exhausted_cause == ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT
    assert err.cause is None  # the exception chain, not the detail
    # A detail with an empty body (as the server sends for some) still decodes.
    empty = rpc_error(3, "bad query", _status_bytes(3, [(prefix + "QueryFailedFailure", b"")]))
    assert isinstance(empty, QueryFailedError)
    assert empty.raw_details == [(prefix + "QueryFailedFailure", b"")]
    assert len(empty.details) == 1


def test_errors_show_under_temporalio_service() -> None:
    import traceback

    from temporalio.service import NotFoundError, RPCStatusCode, rpc_error

    err = rpc_error(5, "gone")
    assert type(err) is NotFoundError
    assert traceback.format_exception_only(type(err), err) == [
        "temporalio.service.NotFoundError: gone\n"
    ]
    assert RPCStatusCode.__module__ == "temporalio.service"


def test_names_outside_all_stay_importable() -> None:
    """What temporalio.service had besides __all__ before it became a package
    (the error family, helpers, and the private names other modules import)."""
    import temporalio.service as service

    names = """AbortedError AlreadyExistsError CanceledError CancellationAlreadyRequestedError
        ClientVersionNotSupportedError DataLossError DeadlineExceededError
        FailedPreconditionError InternalError InvalidArgumentError MultiOperationExecutionError
        NamespaceAlreadyExistsError NamespaceInvalidStateError NamespaceNotActiveError
        NamespaceNotFoundError NamespaceUnavailableError NewerBuildExistsError NotFoundError
        PermissionDeniedError QueryFailedError ResourceExhaustedError
        ServerVersionNotSupportedError SystemWorkflowError UnauthenticatedError UnavailableError
        UnimplementedError WorkflowExecutionAlreadyStartedError WorkflowNotReadyError rpc_error
        CLIENT_NAME VERSION REDACTED PemSource check_api_key default_identity
        _notifier _core_runtime _metadata_pairs _timeout_ms""".split()
    assert [n for n in names if not hasattr(service, n)] == []


def test_version_is_the_package_version() -> None:
    import importlib.metadata

    import temporalio
    import temporalio.service

    assert temporalio.service.__version__ == temporalio.__version__
    assert temporalio.service.__version__ == importlib.metadata.version("temporalio-c")


# ---- secrets stay out of reprs and messages; bad keys and headers are refused when set ----

SECRET = "sk-THE-SECRET-api-key-1234"
KEY_PEM = (
    b"-----BEGIN PRIVATE KEY-----\nTHEPRIVATEKEYMATERIALdGhpcyBpcyBzZWNyZXQ=\n"
    b"-----END PRIVATE KEY-----\n"
)


def test_tls_config_repr_redacts_the_private_key() -> None:
    r = repr(
        TLSConfig(
            server_root_ca_cert=b"-----BEGIN CERTIFICATE-----\n",
            domain="d",
            client_cert=b"-----BEGIN CERTIFICATE-----\n",
            client_private_key=KEY_PEM,
        )
    )
    assert "THEPRIVATEKEYMATERIAL" not in r
    assert "client_private_key=<redacted>" in r and "domain='d'" in r
    assert "client_private_key=None" in repr(TLSConfig())
    # a str may be key material given by mistake: redacted; a Path is shown
    assert "THEPRIVATEKEY" not in repr(TLSConfig(client_private_key="THEPRIVATEKEYMATERIAL"))
    from pathlib import Path

    assert "key.pem" in repr(TLSConfig(client_private_key=Path("/x/key.pem")))


async def test_connection_config_repr_redacts_the_api_key_and_metadata_values() -> None:
    client = await Client.connect(
        "127.0.0.1:1",
        api_key=SECRET,
        lazy=True,
        rpc_metadata={"x-auth-token": "tok-SECRET-value"},
    )
    try:
        for text in (
            repr(client.service_client.config),
            repr(client.config()),
            str(client.service_client.config),
        ):
            assert SECRET not in text and "tok-SECRET-value" not in text, text
        r = repr(client.service_client.config)
        assert "api_key=<redacted>" in r and "'x-auth-token': <redacted>" in r
        assert client.api_key == SECRET  # the property still gives it to its owner
    finally:
        await client.close()


async def test_a_str_private_key_given_as_a_path_is_not_quoted_in_the_error() -> None:
    with pytest.raises(ValueError, match="client_private_key: cannot read the path given") as info:
        await Client.connect(
            "127.0.0.1:1",
            lazy=True,
            tls=TLSConfig(
                client_cert=b"-----BEGIN CERTIFICATE-----\n",
                client_private_key="THEPRIVATEKEYMATERIAL",
            ),
        )
    assert "THEPRIVATEKEY" not in str(info.value)


@pytest.mark.parametrize(
    "key,problem",
    [
        (SECRET + "\n", "a newline at position 26"),
        ("ab\rcd", "a carriage return at position 2"),
        ("a\x01b", "the control character U\\+0001 at position 1"),
        ("a\x7fb", "the control character U\\+007F at position 1"),
        ("clé", "the non-ASCII character U\\+00E9 at position 2"),
    ],
)
async def test_an_api_key_a_header_cannot_carry_is_refused_when_set(key: str, problem: str) -> None:
    with pytest.raises(ValueError, match=f"api_key has {problem}") as info:
        await Client.connect("127.0.0.1:1", api_key=key, lazy=True)
    assert SECRET not in str(info.value)
    client = await Client.connect("127.0.0.1:1", api_key="good", lazy=True)
    try:
        with pytest.raises(ValueError, match=f"api_key has {problem}"):
            client.api_key = key
        with pytest.raises(ValueError, match=f"api_key has {problem}"):
            client.service_client.update_api_key(key)
        assert client.api_key == "good"
        with pytest.raises(TypeError, match="api_key must be a str"):
            client.api_key = b"bytes"  # type: ignore[assignment]
    finally:
        await client.close()


async def test_metadata_a_header_cannot_carry_is_refused_when_set() -> None:
    from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

    match = "metadata value of 'x-team' has a newline at position 4"
    with pytest.raises(ValueError, match=match):
        await Client.connect("127.0.0.1:1", rpc_metadata={"x-team": "blue\n"}, lazy=True)
    client = await Client.connect("127.0.0.1:1", lazy=True)
    try:
        with pytest.raises(ValueError, match=match):
            client.rpc_metadata = {"x-team": "blue\nred"}
        with pytest.raises(ValueError, match=match):  # per call, before anything is sent
            await client.service.get_system_info(
                GetSystemInfoRequest(), metadata={"x-team": "blue\n"}
            )
        with pytest.raises(ValueError, match="the byte 0xff at position 0"):
            client.rpc_metadata = {"x-raw": b"\xff"}
        client.rpc_metadata = {"x-raw-bin": b"\xff\n"}  # binary keys carry any byte
        with pytest.raises(ValueError, match="'grpc-x' is not a valid gRPC header name"):
            client.rpc_metadata = {"grpc-x": "v"}
    finally:
        await client.close()


async def test_an_api_key_cannot_be_added_to_a_connection_opened_in_plaintext_by_default() -> None:
    client = await Client.connect("127.0.0.1:1", lazy=True)  # no tls, no key: plaintext
    try:
        assert not client.service_client.tls_enabled
        with pytest.raises(ValueError, match="would travel in clear text"):
            client.api_key = "k"
        assert client.api_key is None
        client.api_key = None  # removing none is fine
    finally:
        await client.close()
    client = await Client.connect("127.0.0.1:1", lazy=True, tls=False)  # said explicitly
    try:
        client.api_key = "k"
        assert client.api_key == "k"
    finally:
        await client.close()
    client = await Client.connect("127.0.0.1:1", lazy=True, api_key="k")  # TLS by the key
    try:
        assert client.service_client.tls_enabled
        client.api_key = None
        client.api_key = "k2"  # still TLS: the channel's, whatever the key is now
        assert client.service_client.config.tls is True
    finally:
        await client.close()
