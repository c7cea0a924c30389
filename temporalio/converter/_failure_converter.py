"""Failure conversion: :class:`FailureConverter` (exceptions <->
``temporal.api.failure.v1.Failure``) and :class:`DefaultFailureConverter`."""

from __future__ import annotations

import traceback
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, Optional

import temporalio.exceptions as _exc
from temporalio.converter._payload_converter import PayloadConverter

if TYPE_CHECKING:
    from temporalio.api.failure.v1 import Failure


class FailureConverter(ABC):
    """Converts exceptions to ``temporal.api.failure.v1.Failure`` and back.

    The ``payload_converter`` passed in is synchronous to use
    (:meth:`PayloadConverter.to_payloads` / ``from_payloads`` and their
    ``_wrapper`` forms), even when the data converter's is async.
    """

    default: ClassVar["FailureConverter"]
    """The default: :class:`DefaultFailureConverter`."""

    @abstractmethod
    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: "Failure"
    ) -> None:
        """Fill ``failure`` from ``exception`` (do not modify the exception)."""

    @abstractmethod
    def from_failure(
        self, failure: "Failure", payload_converter: PayloadConverter
    ) -> BaseException:
        """The exception for ``failure`` (do not modify the failure)."""


def _format_tb(tb: Any) -> str:
    return "\n".join(traceback.format_tb(tb)) if tb is not None else ""


class DefaultFailureConverter(FailureConverter):
    """The default failure converter, compatible with the official SDKs.

    * :class:`~temporalio.exceptions.FailureError` subclasses map to their
      failure info (application, timeout, cancelled, terminated, server,
      activity, child workflow); an error decoded from a failure is sent back
      unchanged.
    * Any other exception becomes an application failure whose ``type`` is
      the exception's class name and whose message is ``str(exception)``.
    * ``__cause__`` (or, when not suppressed, ``__context__``) becomes the
      failure's ``cause``, recursively; the traceback becomes
      ``stack_trace``.

    With ``encode_common_attributes=True`` the message and stack trace move
    into ``encoded_attributes`` (so a codec can encrypt them).
    """

    def __init__(self, *, encode_common_attributes: bool = False) -> None:
        self._encode_common_attributes = encode_common_attributes

    # -- exception -> failure --

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: "Failure"
    ) -> None:
        self._to_failure(exception, payload_converter, failure, set())
        if self._encode_common_attributes:
            f: Any = failure
            while f is not None:
                attrs = payload_converter.to_payloads(
                    [{"message": f.message, "stack_trace": f.stack_trace}]
                )[0]
                f.encoded_attributes.CopyFrom(attrs)
                f.message = "Encoded failure"
                f.stack_trace = ""
                f = f.cause if f.HasField("cause") else None

    def _to_failure(
        self, exc: BaseException, pc: PayloadConverter, failure: Any, seen: set
    ) -> None:
        seen.add(id(exc))
        if isinstance(exc, _exc.FailureError) and exc.failure is not None:
            failure.CopyFrom(exc.failure)
            return
        cause = exc.__cause__
        if cause is None and not exc.__suppress_context__:
            cause = exc.__context__
        if not isinstance(exc, _exc.FailureError):
            failure.message = str(exc)
            failure.stack_trace = _format_tb(exc.__traceback__)
            info = failure.application_failure_info
            info.SetInParent()
            info.type = type(exc).__name__
        else:
            failure.message = exc.message
            failure.stack_trace = _format_tb(exc.__traceback__)
            self._fill_info(exc, pc, failure)
        if cause is not None and id(cause) not in seen:
            self._to_failure(cause, pc, failure.cause, seen)

    def _fill_info(self, err: Any, pc: PayloadConverter, failure: Any) -> None:
        E = _exc
        if isinstance(err, E.ApplicationError):
            info = failure.application_failure_info
            info.SetInParent()
            if err.type:
                info.type = err.type
            info.non_retryable = err.non_retryable
            if err.details:
                info.details.CopyFrom(pc.to_payloads_wrapper(err.details))
            if err.next_retry_delay:
                info.next_retry_delay.FromTimedelta(err.next_retry_delay)
            if err.category:
                info.category = int(err.category)
        elif isinstance(err, E.TimeoutError):
            info = failure.timeout_failure_info
            info.SetInParent()
            info.timeout_type = int(err.type or 0)
            if err.last_heartbeat_details:
                info.last_heartbeat_details.CopyFrom(
                    pc.to_payloads_wrapper(err.last_heartbeat_details)
                )
        elif isinstance(err, E.CancelledError):
            info = failure.canceled_failure_info
            info.SetInParent()
            if err.details:
                info.details.CopyFrom(pc.to_payloads_wrapper(err.details))
        elif isinstance(err, E.TerminatedError):
            failure.terminated_failure_info.SetInParent()
        elif isinstance(err, E.ServerError):
            info = failure.server_failure_info
            info.SetInParent()
            info.non_retryable = err.non_retryable
        elif isinstance(err, E.ActivityError):
            info = failure.activity_failure_info
            info.SetInParent()
            info.scheduled_event_id = err.scheduled_event_id
            info.started_event_id = err.started_event_id
            info.identity = err.identity
            info.activity_type.name = err.activity_type
            info.activity_id = err.activity_id
            info.retry_state = int(err.retry_state or 0)
        elif isinstance(err, E.ChildWorkflowError):
            info = failure.child_workflow_execution_failure_info
            info.SetInParent()
            info.namespace = err.namespace
            info.workflow_execution.workflow_id = err.workflow_id
            info.workflow_execution.run_id = err.run_id
            info.workflow_type.name = err.workflow_type
            info.initiated_event_id = err.initiated_event_id
            info.started_event_id = err.started_event_id
            info.retry_state = int(err.retry_state or 0)

    # -- failure -> exception --

    def from_failure(
        self, failure: "Failure", payload_converter: PayloadConverter
    ) -> BaseException:
        top: Optional[BaseException] = None
        prev: Optional[BaseException] = None
        f: Any = failure
        depth = 0
        while f is not None and depth < 1000:
            err = self._one_from_failure(f, payload_converter)
            if prev is None:
                top = err
            else:
                prev.__cause__ = err
            prev = err
            f = f.cause if f.HasField("cause") else None
            depth += 1
        assert top is not None
        return top

    def _one_from_failure(self, failure: Any, pc: PayloadConverter) -> BaseException:
        E = _exc
        message = failure.message
        if failure.HasField("encoded_attributes"):
            try:
                attrs = pc.from_payloads([failure.encoded_attributes])[0]
            except Exception:
                attrs = None
            if isinstance(attrs, dict):
                if isinstance(attrs.get("message"), str):
                    message = attrs["message"]
        kind = failure.WhichOneof("failure_info")
        err: Any
        if kind == "application_failure_info":
            info = failure.application_failure_info
            err = E.ApplicationError(
                message or "Application error",
                *pc.from_payloads_wrapper(info.details),
                type=info.type or None,
                non_retryable=info.non_retryable,
                next_retry_delay=info.next_retry_delay.ToTimedelta()
                if info.HasField("next_retry_delay")
                else None,
                category=_enum_or(
                    E.ApplicationErrorCategory,
                    info.category,
                    E.ApplicationErrorCategory.UNSPECIFIED,
                ),
            )
        elif kind == "timeout_failure_info":
            info = failure.timeout_failure_info
            err = E.TimeoutError(
                message or "Timeout",
                type=_enum_or(E.TimeoutType, info.timeout_type, None),
                last_heartbeat_details=pc.from_payloads_wrapper(info.last_heartbeat_details),
            )
        elif kind == "canceled_failure_info":
            err = E.CancelledError(
                message or "Cancelled",
                *pc.from_payloads_wrapper(failure.canceled_failure_info.details),
            )
        elif kind == "terminated_failure_info":
            err = E.TerminatedError(message or "Terminated")
        elif kind == "server_failure_info":
            err = E.ServerError(
                message or "Server error",
                non_retryable=failure.server_failure_info.non_retryable,
            )
        elif kind == "activity_failure_info":
            info = failure.activity_failure_info
            err = E.ActivityError(
                message or "Activity error",
                scheduled_event_id=info.scheduled_event_id,
                started_event_id=info.started_event_id,
                identity=info.identity,
                activity_type=info.activity_type.name,
                activity_id=info.activity_id,
                retry_state=_enum_or(E.RetryState, info.retry_state, None),
            )
        elif kind == "child_workflow_execution_failure_info":
            info = failure.child_workflow_execution_failure_info
            err = E.ChildWorkflowError(
                message or "Child workflow error",
                namespace=info.namespace,
                workflow_id=info.workflow_execution.workflow_id,
                run_id=info.workflow_execution.run_id,
                workflow_type=info.workflow_type.name,
                initiated_event_id=info.initiated_event_id,
                started_event_id=info.started_event_id,
                retry_state=_enum_or(E.RetryState, info.retry_state, None),
            )
        else:  # reset workflow, Nexus, or none
            err = E.FailureError(message or "Failure error")
        err._failure = failure
        return err


def _enum_or(enum_cls: Any, value: int, default: Any) -> Any:
    if not value:
        return default
    try:
        return enum_cls(int(value))
    except ValueError:
        return default


FailureConverter.default = DefaultFailureConverter()
