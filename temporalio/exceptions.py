"""Exceptions of the Temporal SDK.

Names and shapes follow the official Temporal Python SDK so that code moves
between the two. The failure converter (:mod:`temporalio.converter`) turns
these into ``temporal.api.failure.v1.Failure`` messages and back.

This module does not import protobuf: the enum values below are the wire
numbers of ``temporal.api.enums.v1`` (a unit test checks they agree).
"""

from __future__ import annotations

from datetime import timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Optional, Sequence

if TYPE_CHECKING:
    from temporalio.api.failure.v1 import Failure
    from temporalio.service._errors import WorkflowAlreadyStartedError

__all__ = [
    "TemporalError",
    "FailureError",
    "ApplicationErrorCategory",
    "ApplicationError",
    "CancelledError",
    "TerminatedError",
    "TimeoutType",
    "TimeoutError",
    "ServerError",
    "RetryState",
    "ActivityError",
    "ChildWorkflowError",
    "NexusOperationError",
    "WorkflowAlreadyStartedError",
    "InvalidVersioningOverrideError",
    "ActivityAlreadyStartedError",
    "NexusOperationAlreadyStartedError",
    "is_cancelled_exception",
]


class TemporalError(Exception):
    """Base of every error this SDK raises on purpose."""

    @property
    def cause(self) -> Optional[BaseException]:
        """Cause of the exception (the same as ``__cause__``)."""
        return self.__cause__


class FailureError(TemporalError):
    """Base of errors that travel as Temporal failures (activity, workflow,
    server). Errors decoded from a failure keep the raw proto in
    :attr:`failure`."""

    def __init__(
        self,
        message: str,
        *,
        failure: Optional["Failure"] = None,
        exc_args: Optional[tuple] = None,
    ) -> None:
        super().__init__(*(exc_args if exc_args is not None else (message,)))
        self._message = message
        self._failure = failure

    @property
    def message(self) -> str:
        """The failure message."""
        return self._message

    @property
    def failure(self) -> Optional["Failure"]:
        """The ``temporal.api.failure.v1.Failure`` this error was decoded
        from, if any. When set, encoding this error sends it unchanged."""
        return self._failure


class ApplicationErrorCategory(IntEnum):
    """Category of an :class:`ApplicationError` (``ApplicationErrorCategory``
    on the wire); it changes how workers log and count the failure."""

    UNSPECIFIED = 0
    BENIGN = 1
    """Logged at DEBUG level and not counted in failure metrics."""


class ApplicationError(FailureError):
    """An error raised by user code (activity or workflow).

    ``details`` are encoded with the payload converter; ``type`` is a free
    string the retry policy's non-retryable error types match against.
    """

    def __init__(
        self,
        message: str,
        *details: Any,
        type: Optional[str] = None,
        non_retryable: bool = False,
        next_retry_delay: Optional[timedelta] = None,
        category: ApplicationErrorCategory = ApplicationErrorCategory.UNSPECIFIED,
    ) -> None:
        super().__init__(message, exc_args=(f"{type}: {message}" if type else message,))
        self._details = details
        self._type = type
        self._non_retryable = non_retryable
        self._next_retry_delay = next_retry_delay
        self._category = category

    @property
    def details(self) -> Sequence[Any]:
        """User-defined details."""
        return self._details

    @property
    def type(self) -> Optional[str]:
        """Error type string, if any."""
        return self._type

    @property
    def non_retryable(self) -> bool:
        """Whether the error was marked non-retryable when raised (the retry
        policy may make it non-retryable by other means)."""
        return self._non_retryable

    @property
    def next_retry_delay(self) -> Optional[timedelta]:
        """Delay before the next activity attempt, overriding the retry
        policy's backoff."""
        return self._next_retry_delay

    @property
    def category(self) -> ApplicationErrorCategory:
        """Error category."""
        return self._category


class CancelledError(FailureError):
    """A workflow or activity was cancelled."""

    def __init__(self, message: str = "Cancelled", *details: Any) -> None:
        super().__init__(message)
        self._details = details

    @property
    def details(self) -> Sequence[Any]:
        """User-defined details."""
        return self._details


class TerminatedError(FailureError):
    """A workflow was terminated."""

    def __init__(self, message: str, *details: Any) -> None:
        super().__init__(message)
        self._details = details

    @property
    def details(self) -> Sequence[Any]:
        """User-defined details."""
        return self._details


class TimeoutType(IntEnum):
    """Kind of timeout of a :class:`TimeoutError` (``temporal.api.enums.v1.TimeoutType``)."""

    START_TO_CLOSE = 1
    SCHEDULE_TO_START = 2
    SCHEDULE_TO_CLOSE = 3
    HEARTBEAT = 4


class TimeoutError(FailureError):  # noqa: A001 - same name as the official SDK
    """A workflow or activity timed out."""

    def __init__(
        self,
        message: str,
        *,
        type: Optional[TimeoutType],
        last_heartbeat_details: Sequence[Any] = (),
    ) -> None:
        super().__init__(message)
        self._type = type
        self._last_heartbeat_details = last_heartbeat_details

    @property
    def type(self) -> Optional[TimeoutType]:
        """Kind of timeout."""
        return self._type

    @property
    def last_heartbeat_details(self) -> Sequence[Any]:
        """Details of the activity's last heartbeat, if any."""
        return self._last_heartbeat_details


class ServerError(FailureError):
    """An error that originated in the Temporal server."""

    def __init__(self, message: str, *, non_retryable: bool = False) -> None:
        super().__init__(message)
        self._non_retryable = non_retryable

    @property
    def non_retryable(self) -> bool:
        """Whether the error is non-retryable."""
        return self._non_retryable


class RetryState(IntEnum):
    """Retry state of an activity or child workflow when it failed
    (``temporal.api.enums.v1.RetryState``)."""

    IN_PROGRESS = 1
    NON_RETRYABLE_FAILURE = 2
    TIMEOUT = 3
    MAXIMUM_ATTEMPTS_REACHED = 4
    RETRY_POLICY_NOT_SET = 5
    INTERNAL_SERVER_ERROR = 6
    CANCEL_REQUESTED = 7


class ActivityError(FailureError):
    """An activity failed; the reason is in :attr:`cause`."""

    def __init__(
        self,
        message: str,
        *,
        scheduled_event_id: int,
        started_event_id: int,
        identity: str,
        activity_type: str,
        activity_id: str,
        retry_state: Optional[RetryState],
    ) -> None:
        super().__init__(message)
        self._scheduled_event_id = scheduled_event_id
        self._started_event_id = started_event_id
        self._identity = identity
        self._activity_type = activity_type
        self._activity_id = activity_id
        self._retry_state = retry_state

    @property
    def scheduled_event_id(self) -> int:
        """Event ID of the activity's scheduled event."""
        return self._scheduled_event_id

    @property
    def started_event_id(self) -> int:
        """Event ID of the activity's started event."""
        return self._started_event_id

    @property
    def identity(self) -> str:
        """Identity of the worker that last ran the activity."""
        return self._identity

    @property
    def activity_type(self) -> str:
        """Activity type name."""
        return self._activity_type

    @property
    def activity_id(self) -> str:
        """Activity ID."""
        return self._activity_id

    @property
    def retry_state(self) -> Optional[RetryState]:
        """Retry state when the activity failed."""
        return self._retry_state


class ChildWorkflowError(FailureError):
    """A child workflow failed; the reason is in :attr:`cause`."""

    def __init__(
        self,
        message: str,
        *,
        namespace: str,
        workflow_id: str,
        run_id: str,
        workflow_type: str,
        initiated_event_id: int,
        started_event_id: int,
        retry_state: Optional[RetryState],
    ) -> None:
        super().__init__(message)
        self._namespace = namespace
        self._workflow_id = workflow_id
        self._run_id = run_id
        self._workflow_type = workflow_type
        self._initiated_event_id = initiated_event_id
        self._started_event_id = started_event_id
        self._retry_state = retry_state

    @property
    def namespace(self) -> str:
        """Namespace of the child workflow."""
        return self._namespace

    @property
    def workflow_id(self) -> str:
        """Workflow ID of the child."""
        return self._workflow_id

    @property
    def run_id(self) -> str:
        """Run ID of the child."""
        return self._run_id

    @property
    def workflow_type(self) -> str:
        """Workflow type name of the child."""
        return self._workflow_type

    @property
    def initiated_event_id(self) -> int:
        """Event ID of the child's initiated event."""
        return self._initiated_event_id

    @property
    def started_event_id(self) -> int:
        """Event ID of the child's started event."""
        return self._started_event_id

    @property
    def retry_state(self) -> Optional[RetryState]:
        """Retry state when the child failed."""
        return self._retry_state


class InvalidVersioningOverrideError(FailureError):
    """A child workflow could not start because its versioning override is
    invalid."""

    def __init__(self) -> None:
        super().__init__("Invalid versioning override")


class ActivityAlreadyStartedError(FailureError):
    """An activity execution (standalone activity) with this id has already
    started."""

    def __init__(
        self, activity_id: str, activity_type: str, *, run_id: Optional[str] = None
    ) -> None:
        super().__init__("Activity execution already started")
        self.activity_id = activity_id
        """Id of the already-started activity."""
        self.activity_type = activity_type
        """Activity type name of the already-started activity."""
        self.run_id = run_id
        """Run id of the already-started activity, when the server said."""


class NexusOperationAlreadyStartedError(FailureError):
    """A Nexus operation execution with this id has already started. (This
    SDK has no Nexus support yet; the class is here for code that names it.)"""

    def __init__(self, operation_id: str, *, run_id: Optional[str] = None) -> None:
        super().__init__("Nexus operation execution already started")
        self.operation_id = operation_id
        """Id of the already-started operation."""
        self.run_id = run_id
        """Run id of the already-started operation, if known."""


class NexusOperationError(FailureError):
    """A Nexus operation failed (raised inside a workflow). (This SDK has no
    Nexus support yet; the class is here for code that names it.)"""

    def __init__(
        self,
        message: str,
        *,
        scheduled_event_id: int,
        endpoint: str,
        service: str,
        operation: str,
        operation_token: str,
    ) -> None:
        super().__init__(message)
        self._scheduled_event_id = scheduled_event_id
        self._endpoint = endpoint
        self._service = service
        self._operation = operation
        self._operation_token = operation_token

    @property
    def scheduled_event_id(self) -> int:
        """Event id of the operation's NexusOperationScheduled event."""
        return self._scheduled_event_id

    @property
    def endpoint(self) -> str:
        """Endpoint name of the operation."""
        return self._endpoint

    @property
    def service(self) -> str:
        """Service name of the operation."""
        return self._service

    @property
    def operation(self) -> str:
        """Name of the operation."""
        return self._operation

    @property
    def operation_token(self) -> str:
        """Token the operation returned."""
        return self._operation_token


def __getattr__(name: str) -> Any:
    # WorkflowAlreadyStartedError is both a FailureError and an RPC error, so
    # it is defined next to the RPC errors (which import this module) and
    # loaded here on first use; its __module__ is this module.
    if name == "WorkflowAlreadyStartedError":
        from temporalio.service._errors import WorkflowAlreadyStartedError

        globals()[name] = WorkflowAlreadyStartedError
        return WorkflowAlreadyStartedError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_cancelled_exception(exception: BaseException) -> bool:
    """Whether ``exception`` means "cancelled": an :class:`asyncio.CancelledError`,
    a :class:`CancelledError`, or an :class:`ActivityError` /
    :class:`ChildWorkflowError` / :class:`NexusOperationError` whose cause is
    a :class:`CancelledError`."""
    import asyncio

    if isinstance(exception, (asyncio.CancelledError, CancelledError)):
        return True
    return isinstance(
        exception, (ActivityError, ChildWorkflowError, NexusOperationError)
    ) and isinstance(exception.__cause__, CancelledError)
