"""TLS and mTLS through a real TLS-terminating gRPC proxy: nginx (Debian
package, installed by scripts/bootstrap) with ``grpc_pass`` to a dev server,
run as a child process with its own config, on free loopback ports.

Three nginx servers share one upstream: ``tls`` (server authentication),
``mtls`` (client certificate required) and ``plain`` (HTTP/2 without TLS).
Every request is logged with its port, status and ``Authorization`` header,
so the tests see what reached the proxy. Certificates are made here with
openssl.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Callable, Iterator, List

import pytest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RetryConfig, RPCError, TLSConfig
from temporalio.testing import DevServer, free_port
from temporalio.worker import Worker
from tests.faults import figures
from tests.faults.harness import running_peer
from tests.peer.peerhost import WORKFLOW_TYPE, actions

pytestmark = [pytest.mark.faults, pytest.mark.timeout(120)]

API_KEY = "tls-test-key-0123456789"
QUICK_FAIL = RetryConfig(max_elapsed_time_millis=2000, max_retries=3)


def _openssl(d: Path, *args: str) -> None:
    subprocess.run(
        ["openssl", *args], cwd=d, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _signed(d: Path, name: str, cn: str, ext: str) -> None:
    """``name.key``/``name.pem``: a key and a certificate signed by ``ca``."""
    _openssl(
        d,
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
    )
    (d / f"{name}.ext").write_text(ext)
    _openssl(
        d,
        "x509",
        "-req",
        "-in",
        f"{name}.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        f"{name}.pem",
        "-extfile",
        f"{name}.ext",
    )


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ca, other-ca (signed nothing), server (localhost, 127.0.0.1), client."""
    d = tmp_path_factory.mktemp("nginx-certs")
    for ca in ("ca", "other-ca"):
        _openssl(
            d,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            f"{ca}.key",
            "-subj",
            f"/CN=fault test {ca}",
            "-days",
            "2",
            "-out",
            f"{ca}.pem",
        )
    _signed(
        d,
        "server",
        "localhost",
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    _signed(d, "client", "fault test client", "extendedKeyUsage=clientAuth\n")
    return d


@dataclass
class Nginx:
    tls: int
    mtls: int
    plain: int
    log: Path
    upstream: str

    def lines(self) -> List[List[str]]:
        """Logged requests: [port, status, authorization header, uri]."""
        if not self.log.exists():
            return []
        return [ln.split("|") for ln in self.log.read_text().splitlines()]

    def wait_lines(self, n: int, timeout: float = 5.0) -> List[List[str]]:
        """The log once it has at least ``n`` lines (nginx logs when a request ends)."""
        deadline = time.monotonic() + timeout
        while len(self.lines()) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.lines()

    def wait_logged(
        self, pred: Callable[[List[str]], bool], timeout: float = 5.0
    ) -> List[List[str]]:
        """The log once a line satisfies ``pred`` (or after ``timeout`` s).
        A test that checks what later tests log waits so for its own last
        request: nginx may log it after the client has its response."""
        deadline = time.monotonic() + timeout
        while not any(pred(ln) for ln in self.lines()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.lines()


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 512; }}
http {{
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  log_format auth '$server_port|$status|$http_authorization|$request_uri';
  access_log {d}/access.log auth;
  client_max_body_size 0;
  grpc_read_timeout 300s;
  grpc_send_timeout 300s;
  ssl_certificate {c}/server.pem;
  ssl_certificate_key {c}/server.key;
  server {{
    listen 127.0.0.1:{tls} ssl http2;
    location / {{ grpc_pass grpc://{up}; }}
  }}
  server {{
    listen 127.0.0.1:{mtls} ssl http2;
    ssl_client_certificate {c}/ca.pem;
    ssl_verify_client on;
    location / {{ grpc_pass grpc://{up}; }}
  }}
  server {{
    listen 127.0.0.1:{plain} http2;
    location / {{ grpc_pass grpc://{up}; }}
  }}
}}
"""


def _nginx_executable() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )
    if not found:
        raise FileNotFoundError(
            "nginx not found: scripts/bootstrap installs the Debian package 'nginx'"
        )
    return found


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    with DevServer() as s:
        yield s


@pytest.fixture(scope="module")
def nginx(
    certs: Path, server: DevServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Nginx]:
    d = tmp_path_factory.mktemp("nginx")
    ports = {"tls": free_port(), "mtls": free_port(), "plain": free_port()}
    conf = d / "nginx.conf"
    conf.write_text(NGINX_CONF.format(d=d, c=certs, up=server.target, **ports))
    proc = subprocess.Popen(
        [_nginx_executable(), "-p", str(d), "-e", str(d / "error.log"), "-c", str(conf)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        for port in ports.values():
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"nginx exited ({proc.returncode}): {(d / 'error.log').read_text()[-2000:]}"
                    )
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise TimeoutError("nginx did not listen")
                    time.sleep(0.05)
        yield Nginx(log=d / "access.log", upstream=server.target, **ports)
    finally:
        proc.kill()
        proc.wait()


def _tls(certs: Path, ca: str = "ca.pem", client: bool = False) -> TLSConfig:
    return TLSConfig(
        server_root_ca_cert=(certs / ca).read_bytes(),
        domain="localhost",
        client_cert=(certs / "client.pem").read_bytes() if client else None,
        client_private_key=(certs / "client.key").read_bytes() if client else None,
    )


async def _describe(client: Client) -> str:
    resp = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace="default"), timeout=10
    )
    return str(resp.namespace_info.name)


async def test_tls_end_to_end_describe_namespace_and_a_workflow(
    nginx: Nginx, certs: Path, server: DevServer
) -> None:
    client = await Client.connect(f"127.0.0.1:{nginx.tls}", tls=_tls(certs))
    assert await _describe(client) == "default"

    @activity.defn(name="tls_echo")
    async def tls_echo(text: str) -> str:
        return f"through nginx: {text}"

    tq = f"tls-{uuid.uuid4()}"
    t0 = time.monotonic()
    async with running_peer(server.target) as peer_tq:  # the peer connects directly
        async with Worker(client, task_queue=tq, activities=[tls_echo]):
            handle = await client.start_workflow(
                WORKFLOW_TYPE,
                actions(
                    {"execute_activity": {"name": "tls_echo", "task_queue": tq, "args": ["hi"]}}
                ),
                id=f"tls-{uuid.uuid4()}",
                task_queue=peer_tq,
                execution_timeout=timedelta(seconds=60),
            )
            assert await handle.result() == "through nginx: hi"
    figures.record("TLS via nginx grpc_pass", "describe + workflow over TLS", "ok")
    figures.record("TLS via nginx grpc_pass", "workflow with one activity s", time.monotonic() - t0)
    await client.close()
    ports = {line[0] for line in nginx.wait_lines(3)}
    assert str(nginx.tls) in ports


async def test_tls_with_the_wrong_ca_fails_and_says_why(nginx: Nginx, certs: Path) -> None:
    t0 = time.monotonic()
    with pytest.raises(RPCError) as e:
        await Client.connect(
            f"127.0.0.1:{nginx.tls}", tls=_tls(certs, ca="other-ca.pem"), retry_config=QUICK_FAIL
        )
    figures.record(
        "TLS via nginx grpc_pass",
        "wrong CA: error",
        f"{type(e.value).__name__} after {time.monotonic() - t0:.1f} s",
    )
    text = str(e.value).lower()
    assert any(w in text for w in ("tls", "ssl", "certificate", "handshake")), str(e.value)


async def test_mtls_with_the_client_certificate_is_accepted(nginx: Nginx, certs: Path) -> None:
    client = await Client.connect(f"127.0.0.1:{nginx.mtls}", tls=_tls(certs, client=True))
    assert await _describe(client) == "default"
    await client.close()
    # Its DescribeNamespace logged before the next test counts lines on this port.
    logged = nginx.wait_logged(
        lambda ln: (
            ln[0] == str(nginx.mtls) and ln[1] == "200" and ln[3].endswith("/DescribeNamespace")
        )
    )
    assert any(ln[0] == str(nginx.mtls) and ln[1] == "200" for ln in logged), logged
    figures.record("TLS via nginx grpc_pass", "mTLS with client certificate", "accepted")


async def test_mtls_without_a_client_certificate_is_refused(nginx: Nginx, certs: Path) -> None:
    before = len(nginx.lines())
    with pytest.raises(RPCError) as e:
        await Client.connect(f"127.0.0.1:{nginx.mtls}", tls=_tls(certs), retry_config=QUICK_FAIL)
    figures.record(
        "TLS via nginx grpc_pass",
        "mTLS without client certificate",
        f"refused: {type(e.value).__name__}",
    )
    # Nothing got through to the server: nginx answered every attempt itself.
    new = nginx.wait_lines(before + 1)[before:]
    assert all(line[1] != "200" for line in new), new


async def test_api_key_arrives_as_a_bearer_token_over_tls(nginx: Nginx, certs: Path) -> None:
    client = await Client.connect(f"127.0.0.1:{nginx.tls}", tls=_tls(certs), api_key=API_KEY)
    await _describe(client)
    await client.close()
    seen = [line for line in nginx.wait_lines(1) if line[0] == str(nginx.tls)]
    assert any(line[2] == f"Bearer {API_KEY}" for line in seen), seen


async def test_api_key_with_explicit_tls_false_goes_in_clear_as_asked(nginx: Nginx) -> None:
    """The one way to send a key without TLS: say ``tls=False``."""
    client = await Client.connect(f"127.0.0.1:{nginx.plain}", tls=False, api_key=API_KEY)
    await _describe(client)
    await client.close()
    seen = [line for line in nginx.wait_lines(1) if line[0] == str(nginx.plain)]
    assert any(line[2] == f"Bearer {API_KEY}" for line in seen), seen


async def test_api_key_without_tls_argument_is_never_sent_in_clear(nginx: Nginx) -> None:
    key = "never-in-clear-key"
    before = len(nginx.lines())
    try:
        client = await Client.connect(
            f"127.0.0.1:{nginx.plain}", api_key=key, retry_config=QUICK_FAIL
        )
    except RPCError:
        client = None  # TLS to a plaintext port fails: what should happen
    else:
        await _describe(client)
        await client.close()
    time.sleep(0.3)
    leaked = [line for line in nginx.lines()[before:] if key in line[2]]
    assert not leaked, f"the API key crossed a plaintext connection {len(leaked)} times"
    assert client is None


CONNECT_WITH_KEY_ONLY = """
import asyncio, sys
from temporalio.client import Client
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
async def main():
    c = await Client.connect(sys.argv[1], api_key=sys.argv[2])
    r = await c.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace="default"), timeout=10)
    print("OK", r.namespace_info.name)
    await c.close()
asyncio.run(main())
"""


async def test_api_key_without_tls_argument_connects_with_tls(nginx: Nginx, certs: Path) -> None:
    # A child process, so the test CA can be the default roots
    # (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH) without touching this process.
    env = dict(os.environ, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=str(certs / "ca.pem"))
    proc = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", CONNECT_WITH_KEY_ONLY, f"localhost:{nginx.tls}", API_KEY],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and "OK default" in proc.stdout, proc.stderr[-2000:]
    seen = [line for line in nginx.wait_lines(1) if line[0] == str(nginx.tls)]
    assert any(line[2] == f"Bearer {API_KEY}" for line in seen), seen


async def test_mtls_and_api_key_from_an_envconfig_profile(
    nginx: Nginx, certs: Path, tmp_path: Path
) -> None:
    """A ``temporalio.envconfig`` profile (TOML file + environment) whose TLS
    section names the CA, the client certificate and key by path: the profile
    connects through the mTLS proxy and its API key arrives as a bearer token."""
    from temporalio.envconfig import ClientConfig

    key = "envconfig-profile-key"
    toml = tmp_path / "temporal.toml"
    toml.write_text(
        "[profile.nginx]\n"
        f'address = "127.0.0.1:{nginx.mtls}"\n'
        'namespace = "default"\n'
        "[profile.nginx.tls]\n"
        'server_name = "localhost"\n'
        f'server_ca_cert_path = "{certs / "ca.pem"}"\n'
        f'client_cert_path = "{certs / "client.pem"}"\n'
        f'client_key_path = "{certs / "client.key"}"\n'
    )
    config = ClientConfig.load_client_connect_config(
        config_file=str(toml),
        override_env_vars={"TEMPORAL_PROFILE": "nginx", "TEMPORAL_API_KEY": key},
    )
    client = await Client.connect(**config)
    assert await _describe(client) == "default"
    await client.close()
    deadline = time.monotonic() + 5
    while True:  # nginx logs a request when it ends
        seen = [line for line in nginx.lines() if line[0] == str(nginx.mtls)]
        if any(line[1] == "200" and line[2] == f"Bearer {key}" for line in seen):
            break
        assert time.monotonic() < deadline, seen
        time.sleep(0.05)
