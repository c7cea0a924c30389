"""Raw access to Temporal's gRPC services through the C core.

:class:`WorkflowService` and :class:`OperatorService` have one async method
per RPC of the service, in snake_case, made from the service descriptor (so
every RPC of the pinned API is there). Each takes the request message and
returns the response message; keyword options: ``retry`` (default True: the
client's retry policy), ``metadata`` (extra headers for this call) and
``timeout`` (a :class:`datetime.timedelta` or seconds): it bounds the call as
a whole, every attempt and the backoff between retries included; when it
passes the call fails with :class:`DeadlineExceededError`, whatever attempt it
was in. Without it the retry policy's budget and the core's default
deadline bound the call.

Failures raise :class:`RPCError`, or the subclass that matches the status
and the ``grpc-status-details-bin`` detail (after Go's ``serviceerror``).
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar, Dict, Mapping, Optional, Sequence, Tuple, Type, Union

from temporalio.exceptions import TemporalError

if TYPE_CHECKING:
    import asyncio

    from google.protobuf.message import Message

# asyncio, socket, pathlib and re are imported where used: importing this
# module (and so temporalio.client) stays cheap.

__all__ = [
    "RPCStatusCode", "RPCError", "TLSConfig", "RetryConfig", "KeepAliveConfig",
    "ConnectConfig", "ServiceClient", "WorkflowService", "OperatorService",
]

VERSION = "0.1.0"
CLIENT_NAME = "temporal-python"


# ---- errors -----------------------------------------------------------------


class RPCStatusCode(IntEnum):
    """gRPC status codes."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


class RPCError(TemporalError):
    """A failed call to the server.

    ``status`` is the gRPC status; ``grpc_status`` the raw
    ``grpc-status-details-bin`` bytes (a serialized ``google.rpc.Status``);
    ``details`` the decoded Temporal error-detail messages in it.
    """

    def __init__(self, message: str, status: RPCStatusCode, grpc_status: bytes = b"") -> None:
        super().__init__(message)
        self._message = message
        self._status = status
        self._grpc_status = grpc_status
        self._details: Optional[list] = None

    @property
    def message(self) -> str:
        """The server's message."""
        return self._message

    @property
    def status(self) -> RPCStatusCode:
        """The gRPC status code."""
        return self._status

    @property
    def grpc_status(self) -> bytes:
        """Raw ``grpc-status-details-bin`` (serialized ``google.rpc.Status``)."""
        return self._grpc_status

    @property
    def raw_details(self) -> list:
        """``[(type_url, value bytes)]`` of the status details."""
        if not self._grpc_status:
            return []
        from temporalio import _bridge

        return _bridge.parse_status_details(self._grpc_status)

    @property
    def details(self) -> list:
        """The status details decoded as Temporal error-detail messages
        (unknown detail types are left out)."""
        if self._details is None:
            self._details = [m for m in map(_decode_detail, self.raw_details) if m is not None]
        return self._details

    def _detail(self, name: str) -> Any:
        for d in self.details:
            if type(d).__name__ == name:
                return d
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._message!r}, status={self._status.name})"


def _decode_detail(item: Tuple[str, bytes]) -> Any:
    url, value = item
    name = url.rsplit("/", 1)[-1]
    prefix = "temporal.api.errordetails.v1."
    if not name.startswith(prefix):
        return None
    from temporalio.api.errordetails.v1 import message_pb2

    cls = getattr(message_pb2, name[len(prefix):], None)
    return cls.FromString(value) if cls is not None else None


# One subclass per status code, after Go's serviceerror names.
class CanceledError(RPCError):
    """The call was cancelled (CANCELLED)."""


class DeadlineExceededError(RPCError):
    """The call's deadline passed (DEADLINE_EXCEEDED)."""


class InvalidArgumentError(RPCError):
    """The request was rejected as invalid (INVALID_ARGUMENT)."""


class NotFoundError(RPCError):
    """The thing named was not found (NOT_FOUND)."""


class AlreadyExistsError(RPCError):
    """The thing already exists (ALREADY_EXISTS)."""


class PermissionDeniedError(RPCError):
    """Not allowed (PERMISSION_DENIED); ``reason`` from the details."""

    @property
    def reason(self) -> str:
        d = self._detail("PermissionDeniedFailure")
        return d.reason if d is not None else ""


class ResourceExhaustedError(RPCError):
    """The server is overloaded or a limit was hit (RESOURCE_EXHAUSTED)."""

    @property
    def exhausted_cause(self) -> int:
        """``temporal.api.enums.v1.ResourceExhaustedCause`` value (0 if unknown).
        (Not ``cause``: that is the exception chain, as on every TemporalError.)"""
        d = self._detail("ResourceExhaustedFailure")
        return d.cause if d is not None else 0

    @property
    def scope(self) -> int:
        """``temporal.api.enums.v1.ResourceExhaustedScope`` value (0 if unknown)."""
        d = self._detail("ResourceExhaustedFailure")
        return d.scope if d is not None else 0


class FailedPreconditionError(RPCError):
    """The system is not in a state for this call (FAILED_PRECONDITION)."""


class AbortedError(RPCError):
    """The call was aborted (ABORTED)."""


class UnimplementedError(RPCError):
    """The server does not have this call (UNIMPLEMENTED)."""


class InternalError(RPCError):
    """An internal error (INTERNAL)."""


class UnavailableError(RPCError):
    """The server could not be reached (UNAVAILABLE)."""


class DataLossError(RPCError):
    """Unrecoverable data loss (DATA_LOSS)."""


class UnauthenticatedError(RPCError):
    """Missing or bad credentials (UNAUTHENTICATED)."""


# Subclasses chosen by the detail message in the status.
class NamespaceNotFoundError(NotFoundError):
    """The namespace does not exist."""

    @property
    def namespace(self) -> str:
        d = self._detail("NamespaceNotFoundFailure")
        return d.namespace if d is not None else ""


class NamespaceAlreadyExistsError(AlreadyExistsError):
    """The namespace already exists."""


class NamespaceNotActiveError(FailedPreconditionError):
    """The namespace is not active in this cluster."""


class NamespaceInvalidStateError(FailedPreconditionError):
    """The namespace is in a state that does not allow the call."""


class NamespaceUnavailableError(UnavailableError):
    """The namespace is unavailable."""


class WorkflowExecutionAlreadyStartedError(AlreadyExistsError):
    """A workflow with this id is already running."""

    @property
    def start_request_id(self) -> str:
        d = self._detail("WorkflowExecutionAlreadyStartedFailure")
        return d.start_request_id if d is not None else ""

    @property
    def run_id(self) -> str:
        d = self._detail("WorkflowExecutionAlreadyStartedFailure")
        return d.run_id if d is not None else ""


class CancellationAlreadyRequestedError(FailedPreconditionError):
    """Cancellation was already requested for this workflow."""


class QueryFailedError(InvalidArgumentError):
    """The workflow's query handler failed; ``failure`` is the Failure proto."""

    @property
    def failure(self) -> Any:
        d = self._detail("QueryFailedFailure")
        return d.failure if d is not None else None


class ClientVersionNotSupportedError(FailedPreconditionError):
    """The server does not support this client's version."""


class ServerVersionNotSupportedError(FailedPreconditionError):
    """This client does not support the server's version."""


class SystemWorkflowError(InternalError):
    """A system workflow failed."""


class WorkflowNotReadyError(FailedPreconditionError):
    """The workflow is not ready for the call yet."""


class NewerBuildExistsError(FailedPreconditionError):
    """A newer build id is the default for the task queue."""


class MultiOperationExecutionError(RPCError):
    """One of several operations of a multi-operation call failed."""


_BY_STATUS: Dict[int, Type[RPCError]] = {
    1: CanceledError, 3: InvalidArgumentError, 4: DeadlineExceededError, 5: NotFoundError,
    6: AlreadyExistsError, 7: PermissionDeniedError, 8: ResourceExhaustedError,
    9: FailedPreconditionError, 10: AbortedError, 12: UnimplementedError, 13: InternalError,
    14: UnavailableError, 15: DataLossError, 16: UnauthenticatedError,
}

_BY_DETAIL: Dict[str, Type[RPCError]] = {
    "NotFoundFailure": NotFoundError,
    "NamespaceNotFoundFailure": NamespaceNotFoundError,
    "NamespaceAlreadyExistsFailure": NamespaceAlreadyExistsError,
    "NamespaceNotActiveFailure": NamespaceNotActiveError,
    "NamespaceInvalidStateFailure": NamespaceInvalidStateError,
    "NamespaceUnavailableFailure": NamespaceUnavailableError,
    "WorkflowExecutionAlreadyStartedFailure": WorkflowExecutionAlreadyStartedError,
    "CancellationAlreadyRequestedFailure": CancellationAlreadyRequestedError,
    "QueryFailedFailure": QueryFailedError,
    "PermissionDeniedFailure": PermissionDeniedError,
    "ResourceExhaustedFailure": ResourceExhaustedError,
    "ClientVersionNotSupportedFailure": ClientVersionNotSupportedError,
    "ServerVersionNotSupportedFailure": ServerVersionNotSupportedError,
    "SystemWorkflowFailure": SystemWorkflowError,
    "WorkflowNotReadyFailure": WorkflowNotReadyError,
    "NewerBuildExistsFailure": NewerBuildExistsError,
    "MultiOperationExecutionFailure": MultiOperationExecutionError,
}


def rpc_error(status: int, message: str, grpc_status: bytes = b"") -> RPCError:
    """The :class:`RPCError` subclass for a status and its details."""
    cls: Type[RPCError] = _BY_STATUS.get(status, RPCError)
    if grpc_status:
        from temporalio import _bridge

        try:
            for url, _ in _bridge.parse_status_details(grpc_status):
                name = url.rsplit(".", 1)[-1]
                if name in _BY_DETAIL:
                    cls = _BY_DETAIL[name]
                    break
        except ValueError:
            pass
    try:
        code = RPCStatusCode(status)
    except ValueError:
        code = RPCStatusCode.UNKNOWN
    return cls(message, code, grpc_status)


# ---- options -----------------------------------------------------------------


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


@dataclass(frozen=True)
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


@dataclass
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
            f"rpc_metadata={md!r}, identity={self.identity!r}, lazy={self.lazy!r})"
        ).replace(f"'{REDACTED}'", REDACTED)


def _bad_char(text: str) -> Optional[str]:
    """The first character of ``text`` a gRPC (non-binary) header value
    cannot carry, described with its position; None if all are printable
    ASCII (space to '~'). Never shows the text itself."""
    names = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", "\0": "a NUL"}
    for i, ch in enumerate(text):
        if not " " <= ch <= "~":
            what = names.get(ch) or (
                f"the control character U+{ord(ch):04X}" if ord(ch) < 0x20 or ord(ch) == 0x7F
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
        raise TypeError(f"metadata must be a mapping of str to str or bytes, not {type(md).__name__}")
    out = []
    for k, v in md.items():
        if not isinstance(k, str):
            raise TypeError(f"metadata key {k!r} must be a str")
        key = k.lower()
        if (not key or key.startswith("grpc-")
                or any(not (c.isascii() and (c.isalnum() or c in "-_.")) for c in key)):
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


# ---- the core's runtime and the loops' notifiers --------------------------------

_runtime: Any = None
_notifiers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]" = (
    weakref.WeakKeyDictionary()
)


def _core_runtime() -> Any:
    """The process's core runtime (made on first use)."""
    global _runtime
    if _runtime is None:
        from temporalio import _bridge

        _runtime = _bridge.Runtime()
    return _runtime


def _notifier(loop: asyncio.AbstractEventLoop) -> Any:
    """The completion channel of `loop`: one eventfd it watches."""
    n = _notifiers.get(loop)
    if n is None:
        from temporalio import _bridge

        n = _bridge.Notifier()
        loop.add_reader(n.fileno(), n.drain)
        _notifiers[loop] = n
    return n


def _timeout_ms(timeout: Union[None, float, timedelta]) -> int:
    if timeout is None:
        return 0
    seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
    if seconds <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    return max(1, int(seconds * 1000))


# ---- the connection ----------------------------------------------------------------


class ServiceClient:
    """One connection (a core client: one gRPC channel) to a Temporal frontend.

    Shared by every service wrapper and by workers made from a client.
    """

    def __init__(self, config: ConnectConfig, core: Any) -> None:
        self.config = config
        self._core = core
        self._tls_enabled = config.tls_enabled  # fixed for the channel's life
        self._plaintext_key_allowed = config.tls is False  # said explicitly
        self._system_info: Optional[bytes] = None  # parsed on first use
        self.workflow_service = WorkflowService(self)
        self.operator_service = OperatorService(self)

    @staticmethod
    async def connect(config: ConnectConfig) -> "ServiceClient":
        """Open a connection; unless ``config.lazy``, call GetSystemInfo (with
        the retry policy, so a server still starting is waited for)."""
        sc = ServiceClient(config, ServiceClient._make_core(config))
        if not config.lazy:
            try:
                # Raw bytes (an empty request): connecting loads no protobuf
                # module, so an idle worker never does.
                sc._system_info = await sc.call_raw(
                    "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo", b""
                )
            except RPCError as e:
                sc.close()
                if e.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
                    hint = ""
                    if sc._tls_enabled:
                        why = ("tls was given" if config.tls is not None
                               else "an api_key turns it on when tls is not given")
                        hint = (f" (TLS is on: {why}; a failed TLS handshake, e.g. a server "
                                "that speaks plaintext or a certificate the roots do not trust, "
                                "also ends so; pass tls=False for a plaintext server)")
                    raise type(e)(f"cannot connect to {config.target_host}: {e.message}{hint}",
                                  e.status, e.grpc_status) from None
                raise
        return sc

    @property
    def capabilities(self) -> Any:
        """``GetSystemInfoResponse.Capabilities`` learnt on connect (None if lazy)."""
        if self._system_info is None:
            return None
        from temporalio.api.workflowservice.v1 import GetSystemInfoResponse

        return GetSystemInfoResponse.FromString(self._system_info).capabilities

    @staticmethod
    def _make_core(config: ConnectConfig) -> Any:
        from temporalio import _bridge

        if not isinstance(config.target_host, str):
            raise TypeError(f"target must be a str 'host:port', not {type(config.target_host).__name__}")
        if not isinstance(config.namespace, str):
            raise TypeError(f"namespace must be a str, not {type(config.namespace).__name__}")
        if not config.namespace:
            raise ValueError("namespace must not be empty")
        check_api_key(config.api_key)
        tls = config.tls
        if tls is not None and not isinstance(tls, (bool, TLSConfig)):
            raise TypeError(f"tls must be None, a bool or a TLSConfig, not {type(tls).__name__}")
        tls_args: Dict[str, Any] = {}
        if isinstance(tls, TLSConfig):
            if (tls.client_cert is None) != (tls.client_private_key is None):
                raise ValueError("TLS client_cert and client_private_key must be given together")
            tls_args = dict(
                root_ca=_read_pem(tls.server_root_ca_cert, "server_root_ca_cert"),
                client_cert=_read_pem(tls.client_cert, "client_cert"),
                client_key=_read_pem(tls.client_private_key, "client_private_key"),
                server_name=tls.domain,
            )
        retry = None
        if config.retry_config is not None:
            r = config.retry_config
            retry = (r.initial_interval_millis, r.multiplier, r.randomization_factor,
                     r.max_interval_millis, r.max_elapsed_time_millis or 0, r.max_retries)
        ka = config.keep_alive_config
        keepalive = (ka.interval_millis, ka.timeout_millis) if ka is not None else (0, 0)
        return _bridge.Client(
            _core_runtime(), config.target_host, config.namespace, CLIENT_NAME, VERSION,
            tls=config.tls_enabled, api_key=config.api_key,
            metadata=_metadata_pairs(config.rpc_metadata),
            keepalive=keepalive, retry=retry, **tls_args,
        )

    def update_api_key(self, api_key: Optional[str]) -> None:
        """Use a new API key from the next call on (workers included).

        Raises :class:`ValueError` for a key a header cannot carry (see
        :func:`check_api_key`), and for a key on a connection that was opened
        in plaintext without ``tls=False`` being said (no ``tls`` and no API
        key at connect): the key would travel in clear text."""
        check_api_key(api_key)
        if api_key is not None and not self._tls_enabled and not self._plaintext_key_allowed:
            raise ValueError(
                "this connection is plaintext (it was opened without tls and without an API "
                "key), so an API key set now would travel in clear text: connect with tls=True "
                "(or with an api_key, which turns TLS on), or with tls=False to allow a "
                "plaintext key"
            )
        self._core.set_api_key(api_key)
        if self.config.tls is None and self._tls_enabled:
            # TLS came from the key: keep saying so whatever the key is now.
            self.config.tls = True
        self.config.api_key = api_key

    @property
    def tls_enabled(self) -> bool:
        """Whether this connection uses TLS (decided when it was opened)."""
        return self._tls_enabled

    def update_rpc_metadata(self, metadata: Mapping[str, Union[str, bytes]]) -> None:
        """Replace the extra headers from the next call on (workers included)."""
        self._core.set_metadata(_metadata_pairs(metadata))
        self.config.rpc_metadata = dict(metadata)

    def close(self) -> None:
        """Cancel calls in flight and close the channel."""
        self._core.close()

    async def call(
        self,
        method: str,
        request: "Message",
        response_type: Type["Message"],
        *,
        retry: bool = True,
        metadata: Optional[Mapping[str, Union[str, bytes]]] = None,
        timeout: Union[None, float, timedelta] = None,
    ) -> Any:
        """Call ``method`` ("/package.Service/Method"); see the module doc.

        ``timeout`` bounds the call as a whole (every attempt and the backoff
        between them); ``retry=False`` makes one attempt."""
        response = await self.call_raw(method, request.SerializeToString(), retry=retry,
                                       metadata=metadata, timeout=timeout)
        return response_type.FromString(response)

    async def call_raw(
        self,
        method: str,
        request: bytes,
        *,
        retry: bool = True,
        metadata: Optional[Mapping[str, Union[str, bytes]]] = None,
        timeout: Union[None, float, timedelta] = None,
    ) -> bytes:
        """:meth:`call` with a serialized request; returns the serialized response."""
        import asyncio

        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        call = self._core.call(
            method, request, fut, _notifier(loop),
            _timeout_ms(timeout), retry, _metadata_pairs(metadata) if metadata else None,
        )
        try:
            result = await fut
        except asyncio.CancelledError:
            call.cancel()
            raise
        if type(result) is bytes:
            return result
        raise rpc_error(*result)


# ---- services -------------------------------------------------------------------------


def _snake(name: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _make_rpc(full_method: str, response_type: Type["Message"], doc: str) -> Any:
    async def rpc(
        self: "_Service",
        req: "Message",
        *,
        retry: bool = True,
        metadata: Optional[Mapping[str, Union[str, bytes]]] = None,
        timeout: Union[None, float, timedelta] = None,
    ) -> Any:
        return await self._client.call(full_method, req, response_type, retry=retry,
                                       metadata=metadata, timeout=timeout)

    rpc.__doc__ = (
        f"{doc}\n\nKeyword options: ``retry`` (default True: retried by the client's retry "
        "policy), ``metadata`` (extra headers for this call), ``timeout`` (timedelta or "
        "seconds): bounds the call as a whole, retries and their backoff included "
        "(:class:`DeadlineExceededError` when it passes). Failures raise :class:`RPCError`."
    )
    return rpc


class _Service:
    """Base of the service wrappers: RPC methods are made from the service
    descriptor on first use (so importing this module loads no protos)."""

    _module: str = ""
    _service: str = ""
    _installed = False
    _rpc_names: Tuple[str, ...] = ()

    def __init__(self, client: ServiceClient) -> None:
        self._client = client

    @classmethod
    def _install(cls) -> None:
        import importlib

        from google.protobuf import symbol_database

        pb = importlib.import_module(cls._module)
        service = pb.DESCRIPTOR.services_by_name[cls._service]
        db = symbol_database.Default()
        # Importing the package registers every request/response class.
        importlib.import_module(cls._module.rsplit(".", 1)[0])
        names = []
        for m in service.methods:
            resp = db.GetSymbol(m.output_type.full_name)
            path = f"/{service.full_name}/{m.name}"
            doc = f"{m.name}({m.input_type.name}) -> {m.output_type.name}"
            setattr(cls, _snake(m.name), _make_rpc(path, resp, doc))
            names.append(_snake(m.name))
        cls._rpc_names = tuple(names)
        cls._installed = True

    def __getattr__(self, name: str) -> Any:
        cls = type(self)
        if name.startswith("_") or cls._installed:
            raise AttributeError(f"{cls.__name__} has no RPC {name!r}")
        cls._install()
        return getattr(self, name)

    def __dir__(self) -> list:
        type(self)._installed or type(self)._install()
        return sorted(set(super().__dir__()) | set(type(self)._rpc_names))

    @classmethod
    def rpc_names(cls) -> Sequence[str]:
        """snake_case names of every RPC of the service."""
        cls._installed or cls._install()
        return cls._rpc_names


class WorkflowService(_Service):
    """``temporal.api.workflowservice.v1.WorkflowService``: one async method per RPC."""

    _module = "temporalio.api.workflowservice.v1.service_pb2"
    _service = "WorkflowService"


class OperatorService(_Service):
    """``temporal.api.operatorservice.v1.OperatorService``: one async method per RPC."""

    _module = "temporalio.api.operatorservice.v1.service_pb2"
    _service = "OperatorService"
