"""Raw access to Temporal's gRPC services through the C core.

:class:`WorkflowService` and :class:`OperatorService` have one async method
per RPC of the service, in snake_case, made from the service descriptor (so
every RPC of the pinned API is there). Each takes the request message and
returns the response message; keyword options: ``retry`` (default True: the
client's retry policy), ``metadata`` (extra headers for this call) and
``timeout`` (a :class:`datetime.timedelta` or seconds, per attempt).

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
    """PEM text from bytes, or from a file path (str / PathLike)."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    elif isinstance(value, (str, os.PathLike)):
        from pathlib import Path

        try:
            data = Path(value).read_bytes()
        except OSError as e:
            raise ValueError(f"TLS {what}: cannot read {os.fspath(value)!r}: {e.strerror}") from e
    else:
        raise TypeError(f"TLS {what} must be PEM bytes or a file path, not {type(value).__name__}")
    if b"-----BEGIN " not in data:
        raise ValueError(f"TLS {what} is not PEM (no '-----BEGIN' line)")
    return data.decode("ascii", errors="strict")


@dataclass(frozen=True)
class TLSConfig:
    """TLS for the connection. PEM values are bytes, or paths to PEM files."""

    server_root_ca_cert: Optional[PemSource] = None
    """Root CA to trust; None: the system's roots."""
    domain: Optional[str] = None
    """Server name to verify instead of the target's host."""
    client_cert: Optional[PemSource] = None
    """Client certificate for mTLS (needs ``client_private_key``)."""
    client_private_key: Optional[PemSource] = None
    """Private key of ``client_cert``."""


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
    """Everything needed to open a connection (see :meth:`ServiceClient.connect`)."""

    target_host: str
    namespace: str = "default"
    api_key: Optional[str] = None
    tls: Union[bool, TLSConfig] = False
    retry_config: Optional[RetryConfig] = None
    keep_alive_config: Optional[KeepAliveConfig] = field(default_factory=KeepAliveConfig)
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    identity: Optional[str] = None
    lazy: bool = False


def _metadata_pairs(md: Optional[Mapping[str, Union[str, bytes]]]) -> list:
    if not md:
        return []
    if not isinstance(md, Mapping):
        raise TypeError(f"metadata must be a mapping of str to str or bytes, not {type(md).__name__}")
    out = []
    for k, v in md.items():
        if not isinstance(k, str):
            raise TypeError(f"metadata key {k!r} must be a str")
        if isinstance(v, str):
            v = v.encode()
        elif not isinstance(v, (bytes, bytearray)):
            raise TypeError(f"metadata value of {k!r} must be str or bytes, not {type(v).__name__}")
        out.append((k.lower(), bytes(v)))
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
                    raise type(e)(f"cannot connect to {config.target_host}: {e.message}",
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
        if config.api_key is not None and not isinstance(config.api_key, str):
            raise TypeError(f"api_key must be a str, not {type(config.api_key).__name__}")
        tls = config.tls
        if not isinstance(tls, (bool, TLSConfig)):
            raise TypeError(f"tls must be a bool or a TLSConfig, not {type(tls).__name__}")
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
            tls=bool(tls), api_key=config.api_key, metadata=_metadata_pairs(config.rpc_metadata),
            keepalive=keepalive, retry=retry, **tls_args,
        )

    def update_api_key(self, api_key: Optional[str]) -> None:
        """Use a new API key from the next call on (workers included)."""
        self._core.set_api_key(api_key)
        self.config.api_key = api_key

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
        """Call ``method`` ("/package.Service/Method"); see the module doc."""
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

    rpc.__doc__ = doc
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
