"""Client connection profiles from a TOML file and environment variables.

The format and the rules are those the official SDKs and the Temporal CLI
share, so one file serves them all::

    [profile.default]
    address = "localhost:7233"
    namespace = "default"
    api_key = "my-key"            # TLS defaults to on when an API key is given

    [profile.default.tls]
    disabled = false
    server_name = "my.host"       # SNI / name to verify
    server_ca_cert_path = "/path/ca.pem"     # or server_ca_cert_data = "-----BEGIN..."
    client_cert_path = "/path/client.pem"    # or client_cert_data
    client_key_path = "/path/client.key"     # or client_key_data

    [profile.default.grpc_meta]
    my-header = "value"

Use it as::

    config = ClientConfig.load_client_connect_config()     # the "default" profile
    client = await Client.connect(**config)

Where the file is: ``config_source`` when given (a :class:`pathlib.Path`, or
the file's contents as ``str``/``bytes``), else the ``TEMPORAL_CONFIG_FILE``
environment variable when set and not empty, else ``temporalio/temporal.toml``
under the user's configuration directory (``$XDG_CONFIG_HOME`` or
``~/.config`` on Linux, ``~/Library/Application Support`` on macOS,
``%APPDATA%`` on Windows). A file that does not exist is an empty
configuration, not an error.

Which profile: the ``profile`` argument, else ``TEMPORAL_PROFILE`` (when set,
not empty, and the environment is not disabled), else ``"default"``. A profile
named by either that the file lacks raises :class:`ConfigError`
(``Profile 'x' not found``); a missing ``"default"`` is an empty profile.

Environment variables applied on top of the profile by
:meth:`ClientConfigProfile.load` (unless ``disable_env``):
``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``;
``TEMPORAL_TLS`` (``true``/``false``/``1``/``0``: TLS on or off),
``TEMPORAL_TLS_SERVER_NAME``, ``TEMPORAL_TLS_SERVER_CA_CERT_PATH`` /
``_DATA``, ``TEMPORAL_TLS_CLIENT_CERT_PATH`` / ``_DATA``,
``TEMPORAL_TLS_CLIENT_KEY_PATH`` / ``_DATA`` (setting any ``TEMPORAL_TLS*``
variable gives the profile a TLS section, which turns TLS on unless it says
``disabled``); ``TEMPORAL_GRPC_META_<NAME>`` (header ``<name>``, lowercased,
``_`` → ``-``; an empty value removes the header). Codec settings
(``[profile.x.codec]``, ``TEMPORAL_CODEC_*``) and
``disable_host_verification`` are read and checked but, as in the official
Python SDK, not used.

Errors (all :class:`ConfigError`, a :class:`RuntimeError`, with the official
SDK's texts): a file that is not UTF-8 or not TOML, a value of the wrong type
(``Configuration loading error: ...``), a key the format does not have when
``config_file_strict`` is set (unknown keys are ignored otherwise), both the
path and the data of one certificate or key (``Invalid configuration: ...``),
both ``disable_file`` and ``disable_env``, and a missing named profile.

Reading a file uses only the standard library (:mod:`tomllib`); this module
writes no TOML (``to_dict`` gives the data for a TOML writer of your choice).
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Dict, Literal, Mapping, Optional, Self, Tuple, TypedDict, Union

import temporalio.service

__all__ = [
    "ClientConfig",
    "ClientConfigProfile",
    "ClientConfigProfileDict",
    "ClientConfigTLS",
    "ClientConfigTLSDict",
    "ClientConnectConfig",
    "ConfigError",
    "DataSource",
]

DataSource = Union[Path, str, bytes]
"""Where a file or a certificate comes from: a :class:`pathlib.Path` to read,
or the contents themselves (``str`` or ``bytes``)."""

DEFAULT_PROFILE = "default"
DEFAULT_CONFIG_FILE = "temporal.toml"


class ConfigError(RuntimeError):
    """The configuration could not be loaded (the official SDK raises a
    ``RuntimeError`` subclass of this name): bad TOML, a wrong type, an
    unknown key in strict mode, conflicting settings, a missing profile."""


class ClientConfigTLSDict(TypedDict, total=False):
    """:class:`ClientConfigTLS` as a dictionary (:meth:`ClientConfigTLS.to_dict`).
    Certificate and key sources are ``{"path": ...}`` or ``{"data": ...}``."""

    disabled: Optional[bool]
    server_name: str
    server_ca_cert: Mapping[str, str]
    client_cert: Mapping[str, str]
    client_key: Mapping[str, str]


class ClientConfigProfileDict(TypedDict, total=False):
    """:class:`ClientConfigProfile` as a dictionary (:meth:`ClientConfigProfile.to_dict`)."""

    address: str
    namespace: str
    api_key: str
    tls: ClientConfigTLSDict
    grpc_meta: Mapping[str, str]


class ClientConnectConfig(TypedDict, total=False):
    """Keyword arguments of :meth:`temporalio.client.Client.connect` that a
    profile sets: ``Client.connect(**config)``."""

    target_host: str
    namespace: str
    api_key: str
    tls: Union[bool, temporalio.service.TLSConfig]
    rpc_metadata: Mapping[str, str]


def _source_from_dict(d: Optional[Mapping[str, Any]]) -> Optional[DataSource]:
    if not d:
        return None
    if "data" in d:
        return d["data"]
    if "path" in d:
        return Path(d["path"])
    return None


def _source_to_dict(source: Optional[DataSource]) -> Optional[Dict[str, str]]:
    if isinstance(source, Path):
        return {"path": str(source)}
    if isinstance(source, str):
        return {"data": source}
    if isinstance(source, bytes):
        return {"data": source.decode("utf-8")}
    return None


def _read_source(source: Optional[DataSource]) -> Optional[bytes]:
    """The bytes of a source (reads a path; :class:`OSError` when it cannot)."""
    if source is None:
        return None
    if isinstance(source, Path):
        return source.read_bytes()
    if isinstance(source, str):
        return source.encode("utf-8")
    if isinstance(source, bytes):
        return source
    raise TypeError(
        f"Source must be one of pathlib.Path, str, or bytes, but got {type(source).__name__}"
    )


@dataclass(frozen=True)
class ClientConfigTLS:
    """The TLS part of a profile."""

    disabled: Optional[bool] = None
    """True: TLS off; False: on; None: not said (on, since the section exists)."""
    server_name: Optional[str] = None
    """Server name for SNI and verification (``TLSConfig.domain``)."""
    server_root_ca_cert: Optional[DataSource] = None
    """CA certificate(s) to trust instead of the system's roots."""
    client_cert: Optional[DataSource] = None
    """Client certificate (mTLS)."""
    client_private_key: Optional[DataSource] = None
    """Key of the client certificate."""

    def to_dict(self) -> ClientConfigTLSDict:
        """A dictionary of the fields that are set (sources as
        ``{"path": ...}`` / ``{"data": ...}``)."""
        d: ClientConfigTLSDict = {}
        if self.disabled is not None:
            d["disabled"] = self.disabled
        if self.server_name is not None:
            d["server_name"] = self.server_name
        keys: Tuple[Tuple[Literal["server_ca_cert", "client_cert", "client_key"], Any], ...] = (
            ("server_ca_cert", self.server_root_ca_cert),
            ("client_cert", self.client_cert),
            ("client_key", self.client_private_key),
        )
        for key, source in keys:
            as_dict = _source_to_dict(source)
            if as_dict:
                d[key] = as_dict
        return d

    def to_connect_tls_config(self) -> Union[bool, temporalio.service.TLSConfig]:
        """``False`` when disabled, else a :class:`temporalio.service.TLSConfig`
        holding the certificates' bytes (files are read now: :class:`OSError`
        when one cannot be)."""
        if self.disabled is True:
            return False
        return temporalio.service.TLSConfig(
            domain=self.server_name,
            server_root_ca_cert=_read_source(self.server_root_ca_cert),
            client_cert=_read_source(self.client_cert),
            client_private_key=_read_source(self.client_private_key),
        )

    @classmethod
    def from_dict(cls, d: Optional[ClientConfigTLSDict]) -> Optional[Self]:
        """From :meth:`to_dict`'s form; None for None or an empty dict.
        Other keys are ignored."""
        if not d:
            return None
        return cls(
            disabled=d.get("disabled"),
            server_name=d.get("server_name"),
            server_root_ca_cert=_source_from_dict(d.get("server_ca_cert")),
            client_cert=_source_from_dict(d.get("client_cert")),
            client_private_key=_source_from_dict(d.get("client_key")),
        )


@dataclass(frozen=True)
class ClientConfigProfile:
    """One profile: where and how to connect. :meth:`to_client_connect_config`
    turns it into ``Client.connect`` keyword arguments."""

    address: Optional[str] = None
    """``host:port`` of the server."""
    namespace: Optional[str] = None
    """Namespace."""
    api_key: Optional[str] = None
    """API key (turns TLS on unless the TLS section disables it)."""
    tls: Optional[ClientConfigTLS] = None
    """TLS section, if any."""
    grpc_meta: Mapping[str, str] = field(default_factory=dict)
    """gRPC metadata (headers) sent with every call."""

    @classmethod
    def from_dict(cls, d: ClientConfigProfileDict) -> Self:
        """From :meth:`to_dict`'s form (other keys are ignored)."""
        return cls(
            address=d.get("address"),
            namespace=d.get("namespace"),
            api_key=d.get("api_key"),
            tls=ClientConfigTLS.from_dict(d.get("tls")),
            grpc_meta=d.get("grpc_meta") or {},
        )

    def to_dict(self) -> ClientConfigProfileDict:
        """A dictionary of the fields that are set."""
        d: ClientConfigProfileDict = {}
        if self.address is not None:
            d["address"] = self.address
        if self.namespace is not None:
            d["namespace"] = self.namespace
        if self.api_key is not None:
            d["api_key"] = self.api_key
        if self.tls is not None:
            tls = self.tls.to_dict()
            if tls:
                d["tls"] = tls
        if self.grpc_meta:
            d["grpc_meta"] = self.grpc_meta
        return d

    def to_client_connect_config(self) -> ClientConnectConfig:
        """Keyword arguments for :meth:`temporalio.client.Client.connect`:
        ``target_host`` (when the address is set and not empty),
        ``namespace``, ``api_key``, ``tls`` (``True`` when an API key is set,
        replaced by the TLS section's :meth:`ClientConfigTLS.to_connect_tls_config`
        when there is one) and ``rpc_metadata``, each only when set. Reads
        certificate files (:class:`OSError` when one cannot be read)."""
        config: ClientConnectConfig = {}
        if self.address:
            config["target_host"] = self.address
        if self.namespace is not None:
            config["namespace"] = self.namespace
        if self.api_key is not None:
            config["api_key"] = self.api_key
            config["tls"] = True
        if self.tls is not None:
            config["tls"] = self.tls.to_connect_tls_config()
        if self.grpc_meta:
            config["rpc_metadata"] = self.grpc_meta
        return config

    @staticmethod
    def load(
        profile: Optional[str] = None,
        *,
        config_source: Optional[DataSource] = None,
        disable_file: bool = False,
        disable_env: bool = False,
        config_file_strict: bool = False,
        override_env_vars: Optional[Mapping[str, str]] = None,
    ) -> "ClientConfigProfile":
        """Load one profile from the file (see the module doc for where the
        file is and which profile), then apply the environment variables.

        ``config_source``: the file (a ``Path``) or its contents (``str`` or
        ``bytes``) instead of the default locations. ``disable_file``: start
        from an empty profile. ``disable_env``: apply no environment variable
        (``TEMPORAL_PROFILE`` is then ignored too; ``TEMPORAL_CONFIG_FILE``
        still locates the file). ``config_file_strict``: unknown keys in the
        file are errors. ``override_env_vars``: the environment to use instead
        of ``os.environ``.

        Raises :class:`ConfigError` (see the module doc) and
        :class:`TypeError` for a ``config_source`` of another type."""
        _check_source(config_source)
        if disable_file and disable_env:
            raise ConfigError(
                "Invalid configuration: Cannot disable both file and environment loading"
            )
        env: Mapping[str, str] = os.environ if override_env_vars is None else override_env_vars
        if disable_file:
            loaded = ClientConfigProfile()
        else:
            config = ClientConfig.load(
                config_source=config_source,
                config_file_strict=config_file_strict,
                override_env_vars=override_env_vars,
            )
            name, named = profile, profile is not None
            if name is None and not disable_env:
                from_env = env.get("TEMPORAL_PROFILE")
                if from_env:
                    name, named = from_env, True
            if name is None:
                name = DEFAULT_PROFILE
            found = config.profiles.get(name)
            if found is None:
                if named:
                    raise ConfigError(f"Profile '{name}' not found")
                found = ClientConfigProfile()
            loaded = found
        if not disable_env:
            loaded = _apply_env(loaded, env)
        return loaded


@dataclass
class ClientConfig:
    """Every profile of a configuration file, by name."""

    profiles: Mapping[str, ClientConfigProfile]
    """Profile name → profile."""

    def to_dict(self) -> Mapping[str, ClientConfigProfileDict]:
        """Profile name → :meth:`ClientConfigProfile.to_dict`."""
        return {k: v.to_dict() for k, v in self.profiles.items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Mapping[str, Any]]) -> Self:
        """From :meth:`to_dict`'s form."""
        return cls(
            profiles={k: ClientConfigProfile.from_dict(v) for k, v in d.items()}  # type: ignore[arg-type]
        )

    @staticmethod
    def load(
        *,
        config_source: Optional[DataSource] = None,
        config_file_strict: bool = False,
        override_env_vars: Optional[Mapping[str, str]] = None,
    ) -> "ClientConfig":
        """Load every profile of the file, without applying environment
        variables (only ``TEMPORAL_CONFIG_FILE`` is read, to find the file:
        from ``override_env_vars`` when given, else from ``os.environ``).
        A file that does not exist gives no profiles.

        Raises :class:`ConfigError` (bad TOML or UTF-8, a wrong type, an
        unknown key when ``config_file_strict``, path and data both given, an
        unreadable file) and :class:`TypeError` for a ``config_source`` of
        another type."""
        _check_source(config_source)
        env: Mapping[str, str] = os.environ if override_env_vars is None else override_env_vars
        data: Optional[bytes]
        if isinstance(config_source, bytes):
            data = config_source
        elif isinstance(config_source, str):
            data = config_source.encode("utf-8")
        elif isinstance(config_source, Path):
            data = _read_file(str(config_source))
        else:
            path = env.get("TEMPORAL_CONFIG_FILE") or _default_config_file()
            data = _read_file(path) if path else None
        if data is None:
            return ClientConfig(profiles={})
        return ClientConfig(profiles=_parse(data, config_file_strict))

    @staticmethod
    def load_client_connect_config(
        profile: Optional[str] = None,
        *,
        config_file: Optional[str] = None,
        disable_file: bool = False,
        disable_env: bool = False,
        config_file_strict: bool = False,
        override_env_vars: Optional[Mapping[str, str]] = None,
    ) -> ClientConnectConfig:
        """:meth:`ClientConfigProfile.load` then
        :meth:`ClientConfigProfile.to_client_connect_config`: keyword
        arguments for ``Client.connect``. ``config_file``: a path to read
        instead of the default locations (ignored with ``disable_file``).
        Raises as those two do."""
        source: Optional[DataSource] = None
        if config_file and not disable_file:
            source = Path(config_file)
        return ClientConfigProfile.load(
            profile=profile,
            config_source=source,
            disable_file=disable_file,
            disable_env=disable_env,
            config_file_strict=config_file_strict,
            override_env_vars=override_env_vars,
        ).to_client_connect_config()


# ---- locating and reading the file --------------------------------------------------


def _check_source(source: object) -> None:
    if source is not None and not isinstance(source, (Path, str, bytes)):
        raise TypeError(
            "config_source must be one of pathlib.Path, str, bytes, or None, "
            f"but got {type(source).__name__}"
        )


def _default_config_file() -> Optional[str]:
    """``temporalio/temporal.toml`` under the user's configuration directory
    (the directory the official SDKs' core uses: the ``dirs`` crate's)."""
    base: Optional[str]
    if sys.platform == "win32":
        base = os.environ.get("APPDATA")
    elif sys.platform == "darwin":
        base = os.path.join(os.path.expanduser("~"), "Library", "Application Support")
    else:
        xdg = os.environ.get("XDG_CONFIG_HOME")
        if xdg and os.path.isabs(xdg):
            base = xdg
        else:
            home = os.path.expanduser("~")
            base = os.path.join(home, ".config") if home != "~" else None
    if not base:
        return None
    return os.path.join(base, "temporalio", DEFAULT_CONFIG_FILE)


def _read_file(path: str) -> Optional[bytes]:
    """The file's bytes, None when it does not exist."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise ConfigError(
            f"Configuration loading error: {err.strerror or err} (os error {err.errno}): {path}"
        ) from err


# ---- parsing -------------------------------------------------------------------------

_PROFILE_KEYS = ("address", "namespace", "api_key", "tls", "codec", "grpc_meta")
_TLS_KEYS = (
    "disabled",
    "client_cert_path",
    "client_cert_data",
    "client_key_path",
    "client_key_data",
    "server_ca_cert_path",
    "server_ca_cert_data",
    "server_name",
    "disable_host_verification",
)
_CODEC_KEYS = ("endpoint", "auth")


def _load_error(msg: str) -> ConfigError:
    return ConfigError(f"Configuration loading error: {msg}")


def _describe(value: object) -> str:
    """A TOML value as serde names it in its 'invalid type' errors."""
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f'string "{value}"'
    if isinstance(value, list):
        return "sequence"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, (datetime, date, time)):
        return f"datetime `{value.isoformat()}`"
    return type(value).__name__


def _expect(value: object, kind: type, expected: str, where: str) -> None:
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if not ok:
        raise _load_error(f"invalid type: {_describe(value)}, expected {expected} (at `{where}`)")


def _check_keys(table: Mapping[str, Any], known: Tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in known:
            if len(known) == 1:
                expected = f"expected `{known[0]}`"
            elif len(known) == 2:
                expected = f"expected `{known[0]}` or `{known[1]}`"
            else:
                expected = "expected one of " + ", ".join(f"`{k}`" for k in known)
            raise _load_error(f"unknown field `{key}`, {expected} (at `{where}`)")


def _parse(data: bytes, strict: bool) -> Dict[str, ClientConfigProfile]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.reason == "unexpected end of data":
            msg = f"incomplete utf-8 byte sequence from index {err.start}"
        else:
            msg = f"invalid utf-8 sequence of {err.end - err.start} bytes from index {err.start}"
        raise _load_error(msg) from err
    if not text.strip():
        return {}
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _load_error(f"TOML parse error: {err}") from err
    if strict:
        _check_keys(doc, ("profile",), "<top level>")
    profiles = doc.get("profile", {})
    _expect(profiles, dict, "a map", "profile")
    return {
        name: _parse_profile(value, strict, f"profile.{name}") for name, value in profiles.items()
    }


def _parse_profile(table: Any, strict: bool, where: str) -> ClientConfigProfile:
    _expect(table, dict, "struct TomlClientConfigProfile", where)
    if strict:
        _check_keys(table, _PROFILE_KEYS, where)
    for key in ("address", "namespace", "api_key"):
        if key in table:
            _expect(table[key], str, "a string", f"{where}.{key}")
    tls = None
    if "tls" in table:
        tls = _parse_tls(table["tls"], strict, f"{where}.tls")
    if "codec" in table:  # checked, not used (as in the official Python SDK)
        codec = table["codec"]
        _expect(codec, dict, "struct TomlClientConfigCodec", f"{where}.codec")
        if strict:
            _check_keys(codec, _CODEC_KEYS, f"{where}.codec")
        for key in _CODEC_KEYS:
            if key in codec:
                _expect(codec[key], str, "a string", f"{where}.codec.{key}")
    meta: Dict[str, str] = {}
    if "grpc_meta" in table:
        raw = table["grpc_meta"]
        _expect(raw, dict, "a map", f"{where}.grpc_meta")
        for key, value in raw.items():
            _expect(value, str, "a string", f"{where}.grpc_meta.{key}")
            meta[_normalize_meta_key(key)] = value
    return ClientConfigProfile(
        address=table.get("address"),
        namespace=table.get("namespace"),
        api_key=table.get("api_key"),
        tls=tls,
        grpc_meta=meta,
    )


def _parse_tls(table: Any, strict: bool, where: str) -> ClientConfigTLS:
    _expect(table, dict, "struct TomlClientConfigTLS", where)
    if strict:
        _check_keys(table, _TLS_KEYS, where)
    for key in _TLS_KEYS:
        if key in table:
            kind = bool if key in ("disabled", "disable_host_verification") else str
            _expect(table[key], kind, "a boolean" if kind is bool else "a string", f"{where}.{key}")

    def source(name: str) -> Optional[DataSource]:
        path, data = table.get(f"{name}_path"), table.get(f"{name}_data")
        if path is not None and data is not None:
            raise ConfigError(
                f"Invalid configuration: Cannot specify both {name}_path and {name}_data"
            )
        if path is not None:
            return Path(path)
        return data.encode("utf-8") if data else None

    client_cert = source("client_cert")
    client_key = source("client_key")
    server_ca_cert = source("server_ca_cert")
    return ClientConfigTLS(
        disabled=table.get("disabled"),
        server_name=table.get("server_name"),
        server_root_ca_cert=server_ca_cert,
        client_cert=client_cert,
        client_private_key=client_key,
    )


def _normalize_meta_key(key: str) -> str:
    return key.lower().replace("_", "-")


# ---- environment variables -----------------------------------------------------------

_TLS_ENV_VARS = (
    "TEMPORAL_TLS",
    "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_CERT_DATA",
    "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "TEMPORAL_TLS_CLIENT_KEY_DATA",
    "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
    "TEMPORAL_TLS_SERVER_NAME",
    "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
)
_GRPC_META_PREFIX = "TEMPORAL_GRPC_META_"


def _env_bool(value: str) -> Optional[bool]:
    v = value.lower()
    if v in ("true", "1"):
        return True
    if v in ("false", "0"):
        return False
    return None


def _env_source(
    env: Mapping[str, str],
    what: str,
    path_var: str,
    data_var: str,
    current: Optional[DataSource],
) -> Optional[DataSource]:
    path, data = env.get(path_var), env.get(data_var)
    if path is not None and data is not None:
        raise ConfigError(f"Invalid configuration: Cannot specify both {path_var} and {data_var}")
    if path is not None:
        if isinstance(current, (bytes, str)):
            raise ConfigError(
                f"Invalid configuration: Cannot specify {what} path via {path_var} when "
                f"{what} data is already specified"
            )
        return Path(path)
    if data is not None:
        if isinstance(current, Path):
            raise ConfigError(
                f"Invalid configuration: Cannot specify {what} data via {data_var} when "
                f"{what} path is already specified"
            )
        return data.encode("utf-8")
    return current


def _apply_env(profile: ClientConfigProfile, env: Mapping[str, str]) -> ClientConfigProfile:
    address = env.get("TEMPORAL_ADDRESS", profile.address)
    namespace = env.get("TEMPORAL_NAMESPACE", profile.namespace)
    api_key = env.get("TEMPORAL_API_KEY", profile.api_key)
    tls = profile.tls
    if tls is None and any(k in env for k in _TLS_ENV_VARS):
        tls = ClientConfigTLS()
    if tls is not None:
        disabled = tls.disabled
        enabled = _env_bool(env["TEMPORAL_TLS"]) if "TEMPORAL_TLS" in env else None
        if enabled is not None:
            disabled = not enabled
        tls = ClientConfigTLS(
            disabled=disabled,
            server_name=env.get("TEMPORAL_TLS_SERVER_NAME", tls.server_name),
            client_cert=_env_source(
                env,
                "cert",
                "TEMPORAL_TLS_CLIENT_CERT_PATH",
                "TEMPORAL_TLS_CLIENT_CERT_DATA",
                tls.client_cert,
            ),
            client_private_key=_env_source(
                env,
                "key",
                "TEMPORAL_TLS_CLIENT_KEY_PATH",
                "TEMPORAL_TLS_CLIENT_KEY_DATA",
                tls.client_private_key,
            ),
            server_root_ca_cert=_env_source(
                env,
                "server CA cert",
                "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
                "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
                tls.server_root_ca_cert,
            ),
        )
    meta = dict(profile.grpc_meta)
    for key, value in env.items():
        if key.startswith(_GRPC_META_PREFIX):
            name = _normalize_meta_key(key[len(_GRPC_META_PREFIX) :])
            if value:
                meta[name] = value
            else:
                meta.pop(name, None)
    return ClientConfigProfile(
        address=address, namespace=namespace, api_key=api_key, tls=tls, grpc_meta=meta
    )
