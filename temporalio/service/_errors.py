"""The RPC error family: :class:`RPCStatusCode`, :class:`RPCError` and one
subclass per status code and per Temporal error detail (after Go's
``serviceerror``), and :func:`rpc_error`, which picks the subclass for a
failed call."""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Dict, Optional, Tuple, Type

from temporalio.exceptions import FailureError, TemporalError


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
        from temporalio import _core

        return _core.parse_status_details(self._grpc_status)

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

    cls = getattr(message_pb2, name[len(prefix) :], None)
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


class WorkflowAlreadyStartedError(FailureError, WorkflowExecutionAlreadyStartedError):
    """A workflow execution with this id has already started (it is running,
    or it closed and the id reuse policy forbids reusing its id).

    Importable as ``temporalio.exceptions.WorkflowAlreadyStartedError`` (its
    home, as in the official SDK) and ``temporalio.client.WorkflowAlreadyStartedError``:
    one class. It is a :class:`~temporalio.exceptions.FailureError` as the
    official one is, and also, for code written against this SDK's earlier
    API, an :class:`RPCError` (:class:`WorkflowExecutionAlreadyStartedError`)
    whose :attr:`status` is ``ALREADY_EXISTS``; when raised for a server
    answer, :attr:`grpc_status` and :attr:`details` are the server's and
    ``__cause__`` is the RPC error itself. Defined here (not in
    ``temporalio.exceptions``) because it needs both families; that module
    loads it on first use.
    """

    # Plain attributes (set in __init__): they shadow the RPC error's
    # read-only run_id property.
    run_id: Optional[str] = None  # type: ignore[assignment]  # the official type
    """Run id of the already-started workflow, when the server said."""
    first_run_id: Optional[str] = None
    """First execution run id of the already-started workflow, when the server said."""

    def __init__(
        self,
        workflow_id: str,
        workflow_type: str,
        run_id: Optional[str] = None,
        *,
        first_run_id: Optional[str] = None,
        grpc_status: bytes = b"",
    ) -> None:
        """``run_id`` may also be given positionally (this SDK's earlier
        signature); ``grpc_status`` is the server's status details, if any."""
        # RPCError's __init__ sets the message, status and details; the
        # FailureError part holds only the (absent) failure proto.
        RPCError.__init__(
            self, "Workflow execution already started", RPCStatusCode.ALREADY_EXISTS, grpc_status
        )
        self._failure = None
        self.workflow_id = workflow_id
        """Id of the already-started workflow."""
        self.workflow_type = workflow_type
        """Workflow type name given to the start."""
        self.run_id = run_id
        self.first_run_id = first_run_id

    def __repr__(self) -> str:
        return (
            f"WorkflowAlreadyStartedError(workflow_id={self.workflow_id!r}, "
            f"workflow_type={self.workflow_type!r}, run_id={self.run_id!r})"
        )


# Its home module, as in the official SDK (it is re-exported there).
WorkflowAlreadyStartedError.__module__ = "temporalio.exceptions"


class _ConnectUnavailableError(UnavailableError, RuntimeError):
    """``Client.connect`` could not reach the server: an :class:`UnavailableError`
    as this SDK raised it, and a :class:`RuntimeError` ("Failed client connect:
    ...") as the official SDK raises it."""


class _ConnectDeadlineExceededError(DeadlineExceededError, RuntimeError):
    """``Client.connect`` timed out: see :class:`_ConnectUnavailableError`."""


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
    1: CanceledError,
    3: InvalidArgumentError,
    4: DeadlineExceededError,
    5: NotFoundError,
    6: AlreadyExistsError,
    7: PermissionDeniedError,
    8: ResourceExhaustedError,
    9: FailedPreconditionError,
    10: AbortedError,
    12: UnimplementedError,
    13: InternalError,
    14: UnavailableError,
    15: DataLossError,
    16: UnauthenticatedError,
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
        from temporalio import _core

        try:
            for url, _ in _core.parse_status_details(grpc_status):
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
