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

# This package's version (one place: temporalio/__init__.py), sent to the
# server as the client-version header, as the official SDK's
# temporalio.service.__version__ is.
from temporalio import __version__

# The package's modules, by concern (all cheap to import: none loads protobuf
# or the extension). The names are re-exported here; their home modules are
# private, so definitions may move between them.
from temporalio.service import _errors
from temporalio.service._client import (
    CLIENT_NAME,
    ServiceClient,
    _core_runtime,
    _notifier,
    _timeout_ms,
)
from temporalio.service._errors import (
    AbortedError,
    AlreadyExistsError,
    CanceledError,
    CancellationAlreadyRequestedError,
    ClientVersionNotSupportedError,
    DataLossError,
    DeadlineExceededError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    MultiOperationExecutionError,
    NamespaceAlreadyExistsError,
    NamespaceInvalidStateError,
    NamespaceNotActiveError,
    NamespaceNotFoundError,
    NamespaceUnavailableError,
    NewerBuildExistsError,
    NotFoundError,
    PermissionDeniedError,
    QueryFailedError,
    ResourceExhaustedError,
    RPCError,
    RPCStatusCode,
    ServerVersionNotSupportedError,
    SystemWorkflowError,
    UnauthenticatedError,
    UnavailableError,
    UnimplementedError,
    WorkflowExecutionAlreadyStartedError,
    WorkflowNotReadyError,
    rpc_error,
)
from temporalio.service._options import (
    REDACTED,
    ConnectConfig,
    KeepAliveConfig,
    PemSource,
    RetryConfig,
    TLSConfig,
    _metadata_pairs,
    check_api_key,
    default_identity,
)
from temporalio.service._services import OperatorService, WorkflowService

VERSION = __version__  # its name before the official one was added

# The error family shows under this module, as before the split (tracebacks
# print "temporalio.service.NotFoundError: ..."; pickles name this module).
for _value in list(globals().values()):
    if getattr(_value, "__module__", None) == _errors.__name__:
        _value.__module__ = __name__
del _value

__all__ = [
    "RPCStatusCode",
    "RPCError",
    "TLSConfig",
    "RetryConfig",
    "KeepAliveConfig",
    "ConnectConfig",
    "ServiceClient",
    "WorkflowService",
    "OperatorService",
]
