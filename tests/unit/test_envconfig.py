"""``temporalio.envconfig``: profiles from TOML and the environment.

The parity test runs the same calls through the official SDK (in the peer
virtualenv, whose loader is the Rust core's) and through ours, and compares
the results and the errors, so drift shows up here. The other tests pin the
rules the module doc states: file location, precedence, strict mode, the
TLS mapping.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

from temporalio.envconfig import (
    ClientConfig,
    ClientConfigProfile,
    ClientConfigTLS,
    ConfigError,
)
from temporalio.service import TLSConfig

TOML = """
[profile.default]
address = "a:1"
namespace = "ns"
[profile.default.tls]
client_cert_data = "CERT"
server_ca_cert_path = "/x/ca.pem"
[profile.default.grpc_meta]
Some_Key = "v"
[profile.other]
api_key = "k"
"""

# name -> expression evaluated with CC=ClientConfig, CP=ClientConfigProfile,
# TLS=ClientConfigTLS, T=TOML (bytes), P=pathlib.Path.
CASES: Dict[str, str] = {
    "all profiles": "CC.load(config_source=T)",
    "default profile": "CP.load(config_source=T, override_env_vars={})",
    "named profile": "CP.load('other', config_source=T, override_env_vars={})",
    "named profile connect": (
        "CP.load('other', config_source=T, override_env_vars={}).to_client_connect_config()"
    ),
    "profile not found": "CP.load('nope', config_source=T, override_env_vars={})",
    "TEMPORAL_PROFILE not found": (
        "CP.load(config_source=T, override_env_vars={'TEMPORAL_PROFILE': 'nope'})"
    ),
    "TEMPORAL_PROFILE chooses": (
        "CP.load(config_source=T, override_env_vars={'TEMPORAL_PROFILE': 'other'})"
    ),
    "argument beats TEMPORAL_PROFILE": (
        "CP.load('default', config_source=T, override_env_vars={'TEMPORAL_PROFILE': 'other'})"
    ),
    "TEMPORAL_PROFILE ignored without env": (
        "CP.load(config_source=T, disable_env=True, override_env_vars={'TEMPORAL_PROFILE': 'x'})"
    ),
    "no default profile": "CP.load(config_source=b'[profile.x]\\naddress=\"q\"', override_env_vars={})",
    "empty profile name": "CP.load('', config_source=T, override_env_vars={})",
    "both disabled": "CP.load(disable_file=True, disable_env=True)",
    "strict unknown profile key": (
        "CC.load(config_source=b'[profile.x]\\naddres=\"q\"', config_file_strict=True)"
    ),
    "strict unknown top key": (
        "CC.load(config_source=b'foo=1\\n[profile.x]\\naddress=\"q\"', config_file_strict=True)"
    ),
    "strict unknown tls key": (
        "CC.load(config_source=b'[profile.x.tls]\\nfoo=1', config_file_strict=True)"
    ),
    "strict unknown codec key": (
        "CC.load(config_source=b'[profile.x.codec]\\nfoo=1', config_file_strict=True)"
    ),
    "strict accepts the whole format": (
        'CC.load(config_source=b\'[profile.x]\\naddress="a"\\nnamespace="n"\\napi_key="k"\\n'
        '[profile.x.tls]\\ndisabled=false\\nserver_name="s"\\nclient_cert_path="c"\\n'
        'client_key_data="k"\\nserver_ca_cert_data="ca"\\ndisable_host_verification=true\\n'
        '[profile.x.codec]\\nendpoint="e"\\nauth="a"\\n[profile.x.grpc_meta]\\nh="v"\', '
        "config_file_strict=True)"
    ),
    "lax ignores unknown keys": "CC.load(config_source=b'foo=1\\n[profile.x]\\naddres=\"q\"')",
    "bad TOML": "CC.load(config_source=b'[profile.x\\n')",
    "address not a string": "CC.load(config_source=b'[profile.x]\\naddress=1')",
    "disabled not a boolean": "CC.load(config_source=b'[profile.x.tls]\\ndisabled=\"yes\"')",
    "grpc_meta value not a string": "CC.load(config_source=b'[profile.x.grpc_meta]\\na=1')",
    "profile not a table": "CC.load(config_source=b'profile=1')",
    "not utf-8": "CC.load(config_source=b'\\xff')",
    "cert path and data": (
        'CC.load(config_source=b\'[profile.x.tls]\\nclient_cert_path="a"\\nclient_cert_data="b"\')'
    ),
    "key path and data": (
        'CC.load(config_source=b\'[profile.x.tls]\\nclient_key_path="a"\\nclient_key_data="b"\')'
    ),
    "ca path and data": (
        'CC.load(config_source=b\'[profile.x.tls]\\nserver_ca_cert_path="a"\\n'
        'server_ca_cert_data="b"\')'
    ),
    "empty data is unset": "CC.load(config_source=b'[profile.x.tls]\\nclient_cert_data=\"\"')",
    "missing file": "CC.load(config_source=P('/nonexistent/t.toml'))",
    "missing file, default profile": (
        "CP.load(config_source=P('/nonexistent/t.toml'), override_env_vars={})"
    ),
    "missing file, named profile": (
        "CP.load('x', config_source=P('/nonexistent/t.toml'), override_env_vars={})"
    ),
    "a directory": "CC.load(config_source=P('/'))",
    "env overrides": (
        "CP.load(config_source=T, override_env_vars={'TEMPORAL_ADDRESS': 'e:2', "
        "'TEMPORAL_NAMESPACE': '', 'TEMPORAL_API_KEY': 'kk', 'TEMPORAL_TLS': 'false', "
        "'TEMPORAL_GRPC_META_SOME_KEY': '', 'TEMPORAL_GRPC_META_X_Y': 'z', "
        "'TEMPORAL_TLS_SERVER_NAME': 'sn'})"
    ),
    "env overrides connect": (
        "CP.load(config_source=T, override_env_vars={'TEMPORAL_ADDRESS': 'e:2', "
        "'TEMPORAL_API_KEY': 'kk', 'TEMPORAL_TLS': 'FALSE'}).to_client_connect_config()"
    ),
    "env TEMPORAL_TLS=1": "CP.load(disable_file=True, override_env_vars={'TEMPORAL_TLS': '1'})",
    "env TEMPORAL_TLS junk": (
        "CP.load(disable_file=True, override_env_vars={'TEMPORAL_TLS': 'yes'})"
        ".to_client_connect_config()"
    ),
    "env cert path and data": (
        "CP.load(disable_file=True, override_env_vars={'TEMPORAL_TLS_CLIENT_CERT_PATH': 'a', "
        "'TEMPORAL_TLS_CLIENT_CERT_DATA': 'b'})"
    ),
    "env cert path over file data": (
        "CP.load(config_source=T, override_env_vars={'TEMPORAL_TLS_CLIENT_CERT_PATH': 'a'})"
    ),
    "env CA data over file path": (
        "CP.load(config_source=T, override_env_vars={'TEMPORAL_TLS_SERVER_CA_CERT_DATA': 'a'})"
    ),
    "env key data": (
        "CP.load(config_source=T, override_env_vars={'TEMPORAL_TLS_CLIENT_KEY_DATA': 'a', "
        "'TEMPORAL_TLS_CLIENT_KEY_PATH': 'b'})"
    ),
    "env only, file disabled": (
        "CP.load(disable_file=True, override_env_vars={'TEMPORAL_ADDRESS': 'h:1', "
        "'TEMPORAL_NAMESPACE': 'n', 'TEMPORAL_GRPC_META_A': 'b'}).to_client_connect_config()"
    ),
    "TEMPORAL_CONFIG_FILE missing": (
        "CP.load(override_env_vars={'TEMPORAL_CONFIG_FILE': '/nonexistent'})"
    ),
    "codec is read, not kept": (
        "CP.load(config_source=b'[profile.default.codec]\\nendpoint=\"e\"', "
        "override_env_vars={'TEMPORAL_CODEC_AUTH': 'x'})"
    ),
    "bad config_source": "CC.load(config_source=3)",
    "str config_source is contents": "CC.load(config_source='[profile.a]\\naddress=\"b\"')",
    "blank file": "CC.load(config_source=b'  \\n')",
    "no profile table": "CC.load(config_source=b'[other]\\nx=1')",
    "load_client_connect_config": (
        "CC.load_client_connect_config(config_file='/nonexistent', "
        "override_env_vars={'TEMPORAL_ADDRESS': 'q:1'})"
    ),
    "api key, TLS disabled": ("CP(api_key='k', tls=TLS(disabled=True)).to_client_connect_config()"),
    "TLS data to TLSConfig": (
        "CP(tls=TLS(disabled=False, server_name='sn', server_root_ca_cert=b'ca', "
        "client_cert='cert', client_private_key=b'key')).to_client_connect_config()"
    ),
    "from_dict/to_dict": (
        "CC.from_dict({'p': {'address': 'a', 'tls': {'server_ca_cert': {'path': '/c'}, "
        "'client_cert': {'data': 'x'}, 'disabled': False}, 'grpc_meta': {'h': 'v'}}})"
    ),
    "empty tls dict": "CP.from_dict({'tls': {}}).to_client_connect_config()",
}

SCRIPT = r"""
import json, sys
from pathlib import Path as P
from temporalio.envconfig import ClientConfig as CC, ClientConfigProfile as CP, ClientConfigTLS as TLS
import temporalio.service

T = sys.argv[1].encode()
cases = json.loads(sys.stdin.read())

def norm(v):
    if isinstance(v, (CC, CP)):
        return {"type": type(v).__name__, "dict": norm(v.to_dict())}
    if isinstance(v, temporalio.service.TLSConfig):
        return {"TLSConfig": {k: norm(getattr(v, k)) for k in
                ("domain", "server_root_ca_cert", "client_cert", "client_private_key")}}
    if isinstance(v, bytes):
        return "bytes:" + v.decode()
    if isinstance(v, P):
        return "path:" + str(v)
    if isinstance(v, dict):
        return {str(k): norm(x) for k, x in v.items()}
    return v

out = {}
for name, expr in cases.items():
    try:
        out[name] = ["ok", norm(eval(expr))]
    except Exception as err:
        out[name] = ["error", type(err).__name__, [c.__name__ for c in type(err).__mro__], str(err)]
print(json.dumps(out))
"""


def _run(python: str, cwd: str) -> Dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(
        [python, "-c", SCRIPT, TOML],
        input=json.dumps(CASES),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def both() -> Dict[str, Any]:
    from tests.peer.peerhost import peer_python

    root = str(Path(__file__).resolve().parents[2])
    return {"theirs": _run(peer_python(), "/"), "ours": _run(sys.executable, root)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_as_the_official_sdk(both: Dict[str, Any], case: str) -> None:
    theirs, ours = both["theirs"][case], both["ours"][case]
    assert ours[0] == theirs[0], f"ours {ours} vs the official {theirs}"
    if theirs[0] == "ok":
        assert ours == theirs
        return
    _, their_type, their_mro, their_msg = theirs
    _, our_type, our_mro, our_msg = ours
    assert our_type == their_type
    # The official ConfigError is a RuntimeError from its native bridge.
    assert [c for c in their_mro if c != their_type] == [c for c in our_mro if c != our_type]
    if their_msg.startswith("Configuration loading error: TOML parse error at line"):
        # The official quotes the TOML with line and column, then serde's
        # message; ours has the same prefix and, where the check is ours
        # rather than the TOML parser's, serde's message.
        assert our_msg.startswith("Configuration loading error: ")
        serde = their_msg.strip().splitlines()[-1]
        if "TOML parse error" not in our_msg:
            assert serde in our_msg, f"{our_msg!r} lacks {serde!r}"
    else:
        # Ours may add to the official text (after it), never change it.
        assert our_msg.startswith(their_msg), f"{our_msg!r} vs the official {their_msg!r}"


def test_the_grpc_meta_key_form_is_normalized() -> None:
    c = ClientConfig.load(config_source=b'[profile.x.grpc_meta]\nSome_Header = "1"')
    assert dict(c.profiles["x"].grpc_meta) == {"some-header": "1"}


def test_default_file_location(tmp_path: Path) -> None:
    """No source: TEMPORAL_CONFIG_FILE, else $XDG_CONFIG_HOME/temporalio/temporal.toml,
    else ~/.config/temporalio/temporal.toml (checked in a child process with
    its own environment)."""
    xdg = tmp_path / "xdg" / "temporalio"
    home = tmp_path / "home" / ".config" / "temporalio"
    other = tmp_path / "other.toml"
    for d in (xdg, home):
        d.mkdir(parents=True)
    (xdg / "temporal.toml").write_text('[profile.default]\naddress = "xdg:1"\n')
    (home / "temporal.toml").write_text('[profile.default]\naddress = "home:1"\n')
    other.write_text('[profile.default]\naddress = "other:1"\n')
    code = (
        "from temporalio.envconfig import ClientConfigProfile as CP\n"
        "print(CP.load().address, CP.load(disable_env=True).address)\n"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "XDG_"))}
    base["HOME"] = str(tmp_path / "home")

    def run(**extra: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-c", code],
            env={**base, **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    assert run() == "home:1 home:1"
    assert run(XDG_CONFIG_HOME=str(tmp_path / "xdg")) == "xdg:1 xdg:1"
    assert run(XDG_CONFIG_HOME="relative/ignored") == "home:1 home:1"
    # TEMPORAL_CONFIG_FILE locates the file even with disable_env (as in the official core)
    assert run(TEMPORAL_CONFIG_FILE=str(other)) == "other:1 other:1"
    assert run(TEMPORAL_CONFIG_FILE="") == "home:1 home:1"
    # TEMPORAL_ADDRESS applies unless disable_env
    assert run(TEMPORAL_ADDRESS="env:1") == "env:1 home:1"


def test_os_environ_is_the_default_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "from-env")
    monkeypatch.setenv("TEMPORAL_GRPC_META_MY_HEADER", "x")
    p = ClientConfigProfile.load(config_source=b'[profile.default]\nnamespace = "file"')
    assert p.namespace == "from-env"
    assert dict(p.grpc_meta) == {"my-header": "x"}
    # override_env_vars replaces os.environ entirely
    p = ClientConfigProfile.load(
        config_source=b'[profile.default]\nnamespace = "file"', override_env_vars={}
    )
    assert p.namespace == "file" and not p.grpc_meta


def test_tls_files_become_tls_config_bytes(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_bytes(b"CA PEM")
    (tmp_path / "c.pem").write_bytes(b"CERT PEM")
    (tmp_path / "c.key").write_bytes(b"KEY PEM")
    toml = (
        "[profile.default]\n"
        'address = "h:7233"\n'
        "[profile.default.tls]\n"
        f'server_ca_cert_path = "{tmp_path / "ca.pem"}"\n'
        f'client_cert_path = "{tmp_path / "c.pem"}"\n'
        f'client_key_path = "{tmp_path / "c.key"}"\n'
        'server_name = "srv"\n'
    )
    cfg = ClientConfigProfile.load(config_source=toml, override_env_vars={})
    assert cfg.tls is not None and cfg.tls.client_cert == tmp_path / "c.pem"
    connect = cfg.to_client_connect_config()
    assert connect["target_host"] == "h:7233"
    tls = connect["tls"]
    assert isinstance(tls, TLSConfig)
    assert (tls.server_root_ca_cert, tls.client_cert, tls.client_private_key, tls.domain) == (
        b"CA PEM",
        b"CERT PEM",
        b"KEY PEM",
        "srv",
    )
    (tmp_path / "c.key").unlink()
    with pytest.raises(FileNotFoundError):
        cfg.to_client_connect_config()


def test_round_trip_through_dicts() -> None:
    c = ClientConfig.load(config_source=TOML)
    again = ClientConfig.from_dict(c.to_dict())
    assert again.profiles["default"].to_dict() == c.profiles["default"].to_dict()
    tls = again.profiles["default"].tls
    assert tls == ClientConfigTLS(server_root_ca_cert=Path("/x/ca.pem"), client_cert="CERT")


def test_errors_are_runtime_errors_and_frozen_profiles() -> None:
    with pytest.raises(RuntimeError, match="Profile 'missing' not found"):
        ClientConfigProfile.load("missing", config_source=TOML, override_env_vars={})
    with pytest.raises(ConfigError, match="unknown field `adress`"):
        ClientConfig.load(config_source=b'[profile.a]\nadress="x"', config_file_strict=True)
    p = ClientConfigProfile(address="a")
    with pytest.raises(AttributeError):
        p.address = "b"  # type: ignore[misc]
