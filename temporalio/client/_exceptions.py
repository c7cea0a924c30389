"""Errors of client operations (what :class:`~temporalio.client.WorkflowHandle`
and :class:`~temporalio.client.Client` methods raise besides RPC errors)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from temporalio.common import WorkflowExecutionStatus
from temporalio.exceptions import TemporalError
from temporalio.service._errors import WorkflowAlreadyStartedError  # noqa: F401 (re-export: one class)

if TYPE_CHECKING:
    from temporalio.activity import ActivityCancellationDetails


class WorkflowFailureError(TemporalError):
    """The workflow did not complete: it failed, was cancelled, was terminated
    or timed out. :attr:`cause` says which (``ApplicationError``,
    ``CancelledError``, ``TerminatedError``, ``TimeoutError``, ...)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"Workflow execution failed: {cause}")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """Why the workflow did not complete."""
        assert self.__cause__ is not None
        return self.__cause__


class WorkflowContinuedAsNewError(TemporalError):
    """The run continued as new and ``result(follow_runs=False)`` was asked."""

    def __init__(self, new_execution_run_id: str) -> None:
        super().__init__(f"Workflow continued as new (new run {new_execution_run_id})")
        self._new_execution_run_id = new_execution_run_id

    @property
    def new_execution_run_id(self) -> str:
        """Run id of the run it continued as."""
        return self._new_execution_run_id


class WorkflowQueryFailedError(TemporalError):
    """The query was not answered: no handler of that name, the handler
    raised, or the server rejected the request. When the workflow's handler
    failed, ``__cause__`` is the converted failure."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self._message = message

    @property
    def message(self) -> str:
        """Why the query failed."""
        return self._message


class WorkflowQueryRejectedError(TemporalError):
    """The query's ``reject_condition`` matched the workflow's status."""

    def __init__(self, status: Optional[WorkflowExecutionStatus]) -> None:
        # The official text ("status: " and the enum's str, its number), then
        # the status name.
        text = f"Query rejected, status: {status}"
        if status is not None:
            text += f" ({status.name})"
        super().__init__(text)
        self._status = status

    @property
    def status(self) -> Optional[WorkflowExecutionStatus]:
        """Status of the workflow that caused the rejection."""
        return self._status


class AsyncActivityCancelledError(TemporalError):
    """A heartbeat of an :class:`AsyncActivityHandle` was answered with a
    cancellation request (or a pause or reset): :attr:`details` says which."""

    def __init__(self, details: Optional["ActivityCancellationDetails"] = None) -> None:
        super().__init__("Activity cancelled")
        self.details = details
        """Why, as the server said."""


class ActivityFailureError(TemporalError):
    """A standalone activity execution did not complete successfully:
    :attr:`cause` says why."""

    def __init__(self, *, cause: BaseException) -> None:
        super().__init__("Activity execution failed")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """Why the activity did not complete."""
        assert self.__cause__ is not None
        return self.__cause__


class NexusOperationFailureError(TemporalError):
    """A Nexus operation did not complete successfully: :attr:`cause` says
    why. (This SDK has no Nexus support yet; the class is here for code that
    names it.)"""

    def __init__(self, *, cause: BaseException) -> None:
        super().__init__("Nexus operation execution failed")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """Why the operation did not complete."""
        assert self.__cause__ is not None
        return self.__cause__
