"""What the client puts on the wire, seen by a real loopback gRPC server.

The server is core/tests/echo_server (grpc's C core), which prints every
call's headers; it also serves TLS and mTLS with certificates made here.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

import temporalio.service
from temporalio.client import Client
from temporalio.service import (
    InvalidArgumentError,
    RetryConfig,
    TLSConfig,
    UnavailableError,
)

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "c"
GSI = "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo"


@pytest.fixture(scope="module")
def echo_server_bin() -> Path:
    """The echo server binary (built here if scripts/test has not built it)."""
    binary = BUILD / "core" / "echo_server"
    if not binary.exists():
        subprocess.run(
            [
                "cmake",
                "-S",
                str(ROOT),
                "-B",
                str(BUILD),
                "-G",
                "Ninja",
                "-DTCORE_TESTS=ON",
                "-DTCORE_PYTHON=OFF",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            ["ninja", "-C", str(BUILD), "echo_server"], check=True, stdout=subprocess.DEVNULL
        )
    return binary


class EchoServer:
    def __init__(self, binary: Path, args: List[str]) -> None:
        self.proc = subprocess.Popen(
            [str(binary), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        line = self.proc.stdout.readline()
        assert line.startswith("PORT "), line
        self.port = int(line.split()[1])
        self.calls: "queue.Queue[tuple]" = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            method, *pairs = line.rstrip("\n").split("\t")
            headers: Dict[str, Any] = dict(p.split("=", 1) for p in pairs)
            headers["_pairs"] = [p.split("=", 1)[0] for p in pairs]
            self.calls.put((method[len("CALL ") :], headers))

    def next_call(self, timeout: float = 5) -> tuple:
        return self.calls.get(timeout=timeout)

    def drain(self, settle: float = 0.3) -> List[tuple]:
        """Every call seen so far: waits until none has arrived for `settle`
        seconds (a call's line may still be on its way from the reader thread)."""
        out = []
        while True:
            try:
                out.append(self.calls.get(timeout=settle))
            except queue.Empty:
                return out

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def echo(echo_server_bin: Path) -> Iterator[EchoServer]:
    server = EchoServer(echo_server_bin, [])
    yield server
    server.close()


async def test_namespace_client_info_api_key_and_metadata_reach_the_server(
    echo: EchoServer,
) -> None:
    client = await Client.connect(
        f"127.0.0.1:{echo.port}",
        namespace="my-ns",
        api_key="secret-key",
        tls=False,
        rpc_metadata={"x-team": "blue", "x-raw-bin": b"\x00\x01\xff"},
    )
    method, headers = echo.next_call()  # GetSystemInfo on connect
    assert method == GSI
    assert headers["temporal-namespace"] == "my-ns"
    assert headers["authorization"] == "Bearer secret-key"
    assert headers["client-name"] == "temporal-python"
    assert headers["client-version"] == temporalio.service.__version__
    assert headers["x-team"] == "blue"
    assert headers["x-raw-bin"] == "0001ff"
    await client.close()


async def test_live_api_key_and_metadata_changes_apply_to_next_calls(echo: EchoServer) -> None:
    client = await Client.connect(f"127.0.0.1:{echo.port}", api_key="old", tls=False)
    echo.next_call()
    client.api_key = "new"
    client.rpc_metadata = {"x-gen": "2"}
    await client.service.get_system_info(GetSystemInfoRequest())
    _, headers = echo.next_call()
    assert headers["authorization"] == "Bearer new"
    assert headers["x-gen"] == "2"
    client.api_key = None
    await client.service.get_system_info(GetSystemInfoRequest())
    _, headers = echo.next_call()
    assert "authorization" not in headers
    await client.close()


async def test_per_call_metadata_is_sent_with_that_call_only(echo: EchoServer) -> None:
    client = await Client.connect(f"127.0.0.1:{echo.port}")
    echo.next_call()
    await client.service.get_system_info(GetSystemInfoRequest(), metadata={"x-call": "one"})
    assert echo.next_call()[1]["x-call"] == "one"
    await client.service.get_system_info(GetSystemInfoRequest())
    assert "x-call" not in echo.next_call()[1]
    await client.close()


async def test_a_call_header_replaces_the_connection_header_of_that_key(echo: EchoServer) -> None:
    client = await Client.connect(f"127.0.0.1:{echo.port}", namespace="first")
    echo.next_call()
    await client.service.get_system_info(
        GetSystemInfoRequest(), metadata={"temporal-namespace": "second"}
    )
    _, headers = echo.next_call()
    assert headers["temporal-namespace"] == "second"
    assert headers["_pairs"].count("temporal-namespace") == 1
    await client.close()


async def test_a_client_of_another_namespace_on_the_same_connection_says_so(
    echo: EchoServer,
) -> None:
    client = await Client.connect(f"127.0.0.1:{echo.port}", namespace="first")
    echo.next_call()
    other = Client(**{**client.config(), "namespace": "second"})
    await other.get_workflow_handle("wf-1").signal("go")
    method, headers = echo.next_call()
    assert method.endswith("/SignalWorkflowExecution")
    assert headers["temporal-namespace"] == "second"
    await client.get_workflow_handle("wf-1").signal("go")
    assert echo.next_call()[1]["temporal-namespace"] == "first"
    await client.close()


async def test_only_requests_of_a_kilobyte_or_more_are_gzipped(echo: EchoServer) -> None:
    from temporalio.api.common.v1 import Payload, Payloads
    from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest

    client = await Client.connect(f"127.0.0.1:{echo.port}")
    assert echo.next_call()[1]["x-echo-compression"] == "0"  # GetSystemInfo: tiny
    for size, expected in ((100, "0"), (4000, "2")):
        req = SignalWorkflowExecutionRequest(
            namespace="default",
            signal_name="s",
            input=Payloads(payloads=[Payload(data=b"x" * size)]),
        )
        await client.service.signal_workflow_execution(req)
        assert echo.next_call()[1]["x-echo-compression"] == expected, size
    await client.close()


async def test_a_worker_of_another_namespace_on_the_same_connection_polls_in_it(
    echo: EchoServer,
) -> None:
    from temporalio.worker import Worker

    client = await Client.connect(f"127.0.0.1:{echo.port}", namespace="first")
    echo.next_call()
    other = Client(**{**client.config(), "namespace": "second"})
    async with Worker(other, task_queue="tq", activities={"noop": lambda: None}):
        # the worker validates its namespace first, then polls in it
        method, headers = echo.next_call()
        assert method.endswith("/DescribeNamespace")
        assert headers["temporal-namespace"] == "second"
        method, headers = echo.next_call()
    assert method.endswith("/PollActivityTaskQueue")
    assert headers["temporal-namespace"] == "second"
    assert headers["_pairs"].count("temporal-namespace") == 1
    await client.close()


async def test_unavailable_is_retried_until_the_budget_ends(echo: EchoServer) -> None:
    client = await Client.connect(
        f"127.0.0.1:{echo.port}",
        retry_config=RetryConfig(initial_interval_millis=10, max_interval_millis=20, max_retries=4),
    )
    echo.next_call()
    with pytest.raises(UnavailableError):
        await client.service.get_system_info(GetSystemInfoRequest(), metadata={"x-status": "14"})
    await client.close()
    assert len([c for c in echo.drain() if c[1].get("x-status") == "14"]) == 5


async def test_invalid_argument_is_sent_once(echo: EchoServer) -> None:
    client = await Client.connect(f"127.0.0.1:{echo.port}")
    echo.next_call()
    with pytest.raises(InvalidArgumentError):
        await client.service.get_system_info(GetSystemInfoRequest(), metadata={"x-status": "3"})
    await client.close()
    assert len(echo.drain()) == 1


async def test_retry_false_makes_one_attempt(echo: EchoServer) -> None:
    client = await Client.connect(f"127.0.0.1:{echo.port}")
    echo.next_call()
    with pytest.raises(UnavailableError):
        await client.service.get_system_info(
            GetSystemInfoRequest(), retry=False, metadata={"x-status": "14"}
        )
    await client.close()
    assert len(echo.drain()) == 1


# ---- TLS ---------------------------------------------------------------------


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["openssl", *args],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _make_cert(d: Path, name: str, ca: Optional[str], cn: str, ext: Optional[str]) -> None:
    _openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        f"{name}.key",
        "-subj",
        f"/CN={cn}",
        "-out",
        f"{name}.csr",
        cwd=d,
    )
    sign = ["-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial"]
    extra = ["-extfile", f"{name}.ext"] if ext else []
    if ext:
        (d / f"{name}.ext").write_text(ext)
    _openssl(
        "x509",
        "-req",
        "-in",
        f"{name}.csr",
        *sign,
        "-days",
        "2",
        "-out",
        f"{name}.pem",
        *extra,
        cwd=d,
    )


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """A CA, a server certificate for localhost, a client certificate, and a
    second CA that signed nothing here."""
    d = tmp_path_factory.mktemp("certs")
    for ca in ("ca", "other-ca"):
        _openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            f"{ca}.key",
            "-subj",
            f"/CN=test {ca}",
            "-days",
            "2",
            "-out",
            f"{ca}.pem",
            cwd=d,
        )
    _make_cert(
        d,
        "server",
        "ca",
        "localhost",
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    _make_cert(d, "client", "ca", "test client", "extendedKeyUsage=clientAuth\n")
    return {p.stem + p.suffix.replace(".", "_"): p for p in d.iterdir()}


async def test_tls_handshake_with_a_trusted_root(echo_server_bin: Path, certs) -> None:
    server = EchoServer(
        echo_server_bin, ["--cert", str(certs["server_pem"]), "--key", str(certs["server_key"])]
    )
    try:
        tls = TLSConfig(server_root_ca_cert=certs["ca_pem"].read_bytes(), domain="localhost")
        client = await Client.connect(f"127.0.0.1:{server.port}", tls=tls)
        assert server.next_call()[0] == GSI
        await client.close()
    finally:
        server.close()


async def test_tls_with_an_untrusted_root_fails_without_hanging(
    echo_server_bin: Path, certs
) -> None:
    server = EchoServer(
        echo_server_bin, ["--cert", str(certs["server_pem"]), "--key", str(certs["server_key"])]
    )
    try:
        tls = TLSConfig(server_root_ca_cert=certs["other-ca_pem"], domain="localhost")
        with pytest.raises(UnavailableError, match="TLS is on: tls was given"):
            await Client.connect(
                f"127.0.0.1:{server.port}",
                tls=tls,
                retry_config=RetryConfig(max_elapsed_time_millis=500),
            )
        assert server.drain() == []
    finally:
        server.close()


async def test_mtls_needs_the_client_certificate(echo_server_bin: Path, certs) -> None:
    server = EchoServer(
        echo_server_bin,
        [
            "--cert",
            str(certs["server_pem"]),
            "--key",
            str(certs["server_key"]),
            "--client-ca",
            str(certs["ca_pem"]),
        ],
    )
    try:
        root = certs["ca_pem"].read_bytes()
        with pytest.raises(UnavailableError):
            await Client.connect(
                f"127.0.0.1:{server.port}",
                tls=TLSConfig(server_root_ca_cert=root, domain="localhost"),
                retry_config=RetryConfig(max_elapsed_time_millis=500),
            )
        tls = TLSConfig(
            server_root_ca_cert=root,
            domain="localhost",
            client_cert=certs["client_pem"],
            client_private_key=certs["client_key"],
        )
        client = await Client.connect(f"127.0.0.1:{server.port}", tls=tls)
        assert server.next_call()[0] == GSI
        await client.close()
    finally:
        server.close()


# ---- secure by default: an API key turns TLS on ------------------------------------


class FirstBytes:
    """A loopback TCP listener that records what each connection sends first
    (then closes it): a TLS ClientHello starts with 0x16 0x03, plaintext
    HTTP/2 with its preface "PRI * HTTP/2.0"."""

    def __init__(self) -> None:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(10)
        self.port = self.sock.getsockname()[1]
        self.received: "queue.Queue[bytes]" = queue.Queue()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                try:
                    while len(data) < 4096:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                        if len(data) >= 24:
                            break
                except OSError:
                    pass
                self.received.put(data)

    def close(self) -> None:
        self.sock.close()


async def test_an_api_key_without_tls_turns_tls_on() -> None:
    listener = FirstBytes()
    try:
        with pytest.raises(UnavailableError, match="TLS is on: an api_key turns it on"):
            await Client.connect(
                f"127.0.0.1:{listener.port}",
                api_key="secret-key",
                retry_config=RetryConfig(max_elapsed_time_millis=300),
            )
        first = listener.received.get(timeout=5)
        assert first[:2] == b"\x16\x03", first[:32]  # a TLS handshake record
        assert b"secret-key" not in first and b"PRI * HTTP/2.0" not in first
    finally:
        listener.close()


async def test_tls_false_with_an_api_key_is_plaintext() -> None:
    listener = FirstBytes()
    try:
        with pytest.raises(UnavailableError) as info:
            await Client.connect(
                f"127.0.0.1:{listener.port}",
                api_key="secret-key",
                tls=False,
                retry_config=RetryConfig(max_elapsed_time_millis=300),
            )
        assert "TLS is on" not in str(info.value)
        assert listener.received.get(timeout=5).startswith(b"PRI * HTTP/2.0")
    finally:
        listener.close()


def test_an_api_key_without_tls_reaches_a_tls_server_as_a_bearer_header(
    echo_server_bin: Path, certs
) -> None:
    """End to end: with no tls argument the key travels over TLS verified by
    the system roots (here grpc's default roots file is pointed at the test CA
    through GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, in a child interpreter)."""
    import os
    import sys

    server = EchoServer(
        echo_server_bin, ["--cert", str(certs["server_pem"]), "--key", str(certs["server_key"])]
    )
    try:
        code = (
            "import asyncio\n"
            "from temporalio.client import Client\n"
            "async def main():\n"
            f"    c = await Client.connect('127.0.0.1:{server.port}', api_key='secret-key')\n"
            "    assert c.service_client.tls_enabled\n"
            "    await c.close()\n"
            "asyncio.run(main())\n"
        )
        env = dict(os.environ, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=str(certs["ca_pem"]))
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
        method, headers = server.next_call()
        assert method == GSI
        assert headers["authorization"] == "Bearer secret-key"
    finally:
        server.close()


# ---- bad TLS material fails at connect, naming the item ---------------------------------

GARBAGE_CERT = b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
GARBAGE_KEY = b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"


@pytest.mark.parametrize(
    "item,match",
    [
        (
            "ca_garbage",
            "TLS server_root_ca_cert is not a valid PEM certificate: certificate 1 does not decode ",
        ),
        ("ca_is_a_key", "TLS server_root_ca_cert has no PEM certificate"),
        (
            "cert_garbage",
            "TLS client_cert is not a valid PEM certificate: certificate 1 does not decode ",
        ),
        (
            "key_garbage",
            "TLS client_private_key is not a valid PEM private key: it does not decode ",
        ),
        ("key_mismatch", "TLS client_private_key does not match client_cert"),
        ("key_encrypted", "TLS client_private_key is encrypted"),
        ("key_not_pem", r"TLS client_private_key is not PEM \(no '-----BEGIN' line\)"),
    ],
)
async def test_bad_tls_material_fails_at_connect_naming_the_item(
    echo_server_bin: Path, certs, item: str, match: str
) -> None:
    ca = certs["ca_pem"].read_bytes()
    cert = certs["client_pem"].read_bytes()
    key = certs["client_key"].read_bytes()
    server_key = certs["server_key"].read_bytes()
    if item == "key_encrypted" and "enc_key" not in certs:
        _openssl(
            "pkey",
            "-in",
            "client.key",
            "-aes128",
            "-passout",
            "pass:pw",
            "-out",
            "enc.key",
            cwd=certs["ca_pem"].parent,
        )
        certs["enc_key"] = certs["ca_pem"].parent / "enc.key"
    tls = {
        "ca_garbage": TLSConfig(server_root_ca_cert=GARBAGE_CERT),
        "ca_is_a_key": TLSConfig(server_root_ca_cert=server_key),
        "cert_garbage": TLSConfig(
            server_root_ca_cert=ca, client_cert=GARBAGE_CERT, client_private_key=key
        ),
        "key_garbage": TLSConfig(
            server_root_ca_cert=ca, client_cert=cert, client_private_key=GARBAGE_KEY
        ),
        "key_mismatch": TLSConfig(
            server_root_ca_cert=ca, client_cert=cert, client_private_key=server_key
        ),
        "key_encrypted": TLSConfig(
            server_root_ca_cert=ca, client_cert=cert, client_private_key=certs.get("enc_key")
        ),
        "key_not_pem": TLSConfig(
            server_root_ca_cert=ca, client_cert=cert, client_private_key=b"just some bytes"
        ),
    }[item]
    server = EchoServer(
        echo_server_bin, ["--cert", str(certs["server_pem"]), "--key", str(certs["server_key"])]
    )
    try:
        with pytest.raises(ValueError, match=match) as info:
            await Client.connect(f"127.0.0.1:{server.port}", tls=tls)
        message = str(info.value)
        for material in (key, server_key, GARBAGE_KEY, GARBAGE_CERT, cert):
            for line in material.splitlines():
                if not line.startswith(b"-----"):
                    assert line.decode() not in message
        assert server.drain() == []  # refused before any byte was sent
    finally:
        server.close()
