"""Connection options: :class:`ConnectConfig`, :class:`TLSConfig`,
:class:`RetryConfig`, :class:`KeepAliveConfig`, and the checks of what goes
into headers (the API key and the metadata) and of TLS material."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Optional, Union

if TYPE_CHECKING:
    from temporalio.runtime import Runtime

# pathlib and socket are imported where used: importing this module stays cheap.


PemSource = Union[bytes, str, "os.PathLike[str]"]


def _read_pem(value: Optional[PemSource], what: str) -> Optional[str]:
    """PEM text from bytes, from a str holding PEM text, or from a file path
    (str / PathLike). Errors name ``what`` and never show the material."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    elif isinstance(value, str) and "-----BEGIN" in value:
        data = value.encode("utf-8", "replace")
    elif isinstance(value, (str, os.PathLike)):
        from pathlib import Path

        try:
            data = Path(value).read_bytes()
        except (OSError, ValueError) as e:
            # A str given as the key may be key material by mistake: only a
            # PathLike key, or a certificate's path, is shown.
            secret = what == "client_private_key" and not isinstance(value, os.PathLike)
            shown = "the path given" if secret else repr(os.fspath(value))
            reason = getattr(e, "strerror", None) or str(e)
            raise ValueError(f"TLS {what}: cannot read {shown}: {reason}") from None
    else:
        raise TypeError(f"TLS {what} must be PEM bytes or a file path, not {type(value).__name__}")
    if b"-----BEGIN " not in data:
        raise ValueError(f"TLS {what} is not PEM (no '-----BEGIN' line)")
    try:
        return data.decode("ascii", errors="strict")
    except UnicodeDecodeError:
        raise ValueError(f"TLS {what} is not PEM (it has bytes that are not ASCII)") from None


REDACTED = "<redacted>"


def _redacted_pem(value: Optional[PemSource]) -> str:
    """How a private key shows in a repr: a ``PathLike`` as is, anything
    else (bytes, or a str that may be material given by mistake) never."""
    if value is None:
        return "None"
    if isinstance(value, os.PathLike):
        return repr(value)
    return REDACTED


# repr=False where the class writes its own __repr__ (which wins either way):
# the generated one would only cost import time.
@dataclass(frozen=True, repr=False)
class TLSConfig:
    """TLS for the connection. PEM values are bytes (or a str holding PEM
    text), or paths to PEM files (str or ``os.PathLike``).

    Checked at connect, before anything is sent: unreadable files, text that
    is not PEM, certificates or a key that do not decode, an encrypted key, an
    expired client certificate and a key that does not match ``client_cert``
    raise :class:`ValueError` naming the field and the reason. ``repr()``
    and the messages never show the private key."""

    server_root_ca_cert: Optional[PemSource] = None
    """Root CA to trust; None: the system's roots."""
    domain: Optional[str] = None
    """Server name to verify instead of the target's host."""
    client_cert: Optional[PemSource] = None
    """Client certificate for mTLS (needs ``client_private_key``)."""
    client_private_key: Optional[PemSource] = None
    """Private key of ``client_cert`` (unencrypted PEM). Never shown by
    ``repr()`` or in messages (a ``pathlib.Path`` to it is)."""

    def __repr__(self) -> str:
        return (
            f"TLSConfig(server_root_ca_cert={self.server_root_ca_cert!r}, domain={self.domain!r}, "
            f"client_cert={self.client_cert!r}, "
            f"client_private_key={_redacted_pem(self.client_private_key)})"
        )


@dataclass(frozen=True)
class RetryConfig:
    """Retry policy of ordinary calls (long polls have their own)."""

    initial_interval_millis: int = 100
    randomization_factor: float = 0.2
    multiplier: float = 1.5
    max_interval_millis: int = 5000
    max_elapsed_time_millis: Optional[int] = 10000
    max_retries: int = 10


@dataclass(frozen=True)
class KeepAliveConfig:
    """HTTP/2 keepalive pings."""

    interval_millis: int = 30000
    timeout_millis: int = 15000

    default: ClassVar["KeepAliveConfig"]


KeepAliveConfig.default = KeepAliveConfig()  # type: ignore[misc]


def default_identity() -> str:
    """``pid@hostname``, as the other SDKs."""
    import socket

    return f"{os.getpid()}@{socket.gethostname()}"


@dataclass(repr=False)
class ConnectConfig:
    """Everything needed to open a connection (see :meth:`ServiceClient.connect`).

    ``tls``: ``None`` (the default) turns TLS on with the system's roots when
    there is an ``api_key`` and leaves it off otherwise; ``True`` turns it on;
    a :class:`TLSConfig` turns it on with that material; ``False`` turns it off,
    also with an API key (which then travels in clear text: only say so for a
    trusted network). ``repr()`` shows neither the API key, nor the values of
    ``rpc_metadata``, nor a client private key.
    """

    target_host: str
    namespace: str = "default"
    api_key: Optional[str] = None
    tls: Union[bool, TLSConfig, None] = None
    retry_config: Optional[RetryConfig] = None
    keep_alive_config: Optional[KeepAliveConfig] = field(default_factory=KeepAliveConfig)
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    identity: Optional[str] = None
    lazy: bool = False
    runtime: Optional["Runtime"] = None
    """The :class:`temporalio.runtime.Runtime` whose threads drive the
    connection; ``None``: the default runtime."""

    @property
    def tls_enabled(self) -> bool:
        """Whether the connection uses TLS: ``tls`` if it was set (True or a
        :class:`TLSConfig`), else whether there is an API key."""
        if self.tls is None:
            return self.api_key is not None
        return bool(self.tls)

    def __repr__(self) -> str:
        md = {k: REDACTED for k in (self.rpc_metadata or {})}
        return (
            f"ConnectConfig(target_host={self.target_host!r}, namespace={self.namespace!r}, "
            f"api_key={None if self.api_key is None else REDACTED}, tls={self.tls!r}, "
            f"retry_config={self.retry_config!r}, keep_alive_config={self.keep_alive_config!r}, "
            f"rpc_metadata={md!r}, identity={self.identity!r}, lazy={self.lazy!r}, "
            f"runtime={self.runtime!r})"
        ).replace(f"'{REDACTED}'", REDACTED)


def _bad_char(text: str) -> Optional[str]:
    """The first character of ``text`` a gRPC (non-binary) header value
    cannot carry, described with its position; None if all are printable
    ASCII (space to '~'). Never shows the text itself."""
    names = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", "\0": "a NUL"}
    for i, ch in enumerate(text):
        if not " " <= ch <= "~":
            what = names.get(ch) or (
                f"the control character U+{ord(ch):04X}"
                if ord(ch) < 0x20 or ord(ch) == 0x7F
                else f"the non-ASCII character U+{ord(ch):04X}"
            )
            return f"{what} at position {i}"
    return None


def check_api_key(api_key: Any) -> Optional[str]:
    """Checks an API key before it is used (connect and every update).

    Raises :class:`TypeError` unless it is a str or None, and
    :class:`ValueError` (naming the character and its position, never the key)
    if it has a character an HTTP/2 header cannot carry: only printable ASCII
    may go in ``authorization: Bearer <key>``."""
    if api_key is None:
        return None
    if not isinstance(api_key, str):
        raise TypeError(f"api_key must be a str, not {type(api_key).__name__}")
    bad = _bad_char(api_key)
    if bad is not None:
        raise ValueError(
            f"api_key has {bad}: it is sent as a gRPC header (authorization: Bearer <key>), "
            "which carries only printable ASCII (space to '~'); check how the key was read "
            "(e.g. a trailing newline from a file)"
        )
    return api_key


def _metadata_pairs(md: Optional[Mapping[str, Union[str, bytes]]]) -> list:
    """``[(key, bytes)]`` of a metadata mapping, checked: the one place that
    validates headers (connect, live updates, per-call metadata). Keys are
    lowercased; errors name the key and the problem, never the value."""
    if not md:
        return []
    if not isinstance(md, Mapping):
        raise TypeError(
            f"metadata must be a mapping of str to str or bytes, not {type(md).__name__}"
        )
    out = []
    for k, v in md.items():
        if not isinstance(k, str):
            raise TypeError(f"metadata key {k!r} must be a str")
        key = k.lower()
        if (
            not key
            or key.startswith("grpc-")
            or any(not (c.isascii() and (c.isalnum() or c in "-_.")) for c in key)
        ):
            raise ValueError(
                f"metadata key {k!r} is not a valid gRPC header name: lowercase letters, digits, "
                "'-', '_' and '.' only, not empty and not starting with 'grpc-'"
            )
        binary = key.endswith("-bin")
        if isinstance(v, str):
            if not binary:
                bad = _bad_char(v)
                if bad is not None:
                    raise ValueError(
                        f"metadata value of {k!r} has {bad}: a gRPC header value carries only "
                        "printable ASCII (space to '~'); binary values need a key ending in '-bin'"
                    )
            v = v.encode()
        elif isinstance(v, (bytes, bytearray)):
            if not binary and any(not 0x20 <= b <= 0x7E for b in v):
                i = next(i for i, b in enumerate(v) if not 0x20 <= b <= 0x7E)
                raise ValueError(
                    f"metadata value of {k!r} has the byte 0x{v[i]:02x} at position {i}: a gRPC "
                    "header value carries only printable ASCII (space to '~'); binary values "
                    "need a key ending in '-bin'"
                )
        else:
            raise TypeError(f"metadata value of {k!r} must be str or bytes, not {type(v).__name__}")
        out.append((key, bytes(v)))
    return out
