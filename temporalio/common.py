"""Small types shared by the client and workers.

Importing this module loads no protobuf module: the proto conversions import
the generated messages when they are called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Optional, Sequence

from temporalio._checks import _check_int, _check_list, _check_number, _check_timedelta

if TYPE_CHECKING:
    from temporalio.api.common.v1 import RetryPolicy as RetryPolicyProto

__all__ = [
    "RetryPolicy",
    "WorkflowIDReusePolicy",
    "WorkflowIDConflictPolicy",
    "QueryRejectCondition",
    "WorkflowExecutionStatus",
]


@dataclass
class RetryPolicy:
    """How a workflow or an activity is retried by the server.

    Values are checked on construction and again when converted to the proto
    (the dataclass is mutable); a bad value raises :class:`ValueError` (or
    :class:`TypeError` for a wrong type) naming the field.
    """

    initial_interval: timedelta = timedelta(seconds=1)
    """Wait before the first retry. Default 1 s."""

    backoff_coefficient: float = 2.0
    """Each wait is the previous one times this (at least 1.0). Default 2.0."""

    maximum_interval: Optional[timedelta] = None
    """Longest wait between retries; None: the server's default, 100 × ``initial_interval``."""

    maximum_attempts: int = 0
    """Attempts in all, the first included; 0 (the default): no limit; 1: no retries."""

    non_retryable_error_types: Optional[Sequence[str]] = None
    """Application error types that are never retried."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ValueError` / :class:`TypeError` if a field is invalid."""
        _check_timedelta(self.initial_interval, "RetryPolicy.initial_interval")
        _check_timedelta(self.maximum_interval, "RetryPolicy.maximum_interval", optional=True)
        coefficient = self.backoff_coefficient
        if not _check_number(coefficient, "RetryPolicy.backoff_coefficient") >= 1.0:  # also NaN
            raise ValueError(f"RetryPolicy.backoff_coefficient must be at least 1.0, got {coefficient!r}")
        attempts = _check_int(self.maximum_attempts, "RetryPolicy.maximum_attempts")
        if attempts < 0:
            raise ValueError(f"RetryPolicy.maximum_attempts must not be negative, got {attempts}")
        if attempts > 2**31 - 1:
            raise ValueError(f"RetryPolicy.maximum_attempts is too large: {attempts}")
        if self.maximum_interval is not None and self.maximum_interval < self.initial_interval:
            raise ValueError(
                f"RetryPolicy.maximum_interval ({self.maximum_interval}) must not be less than "
                f"initial_interval ({self.initial_interval})"
            )
        types = self.non_retryable_error_types
        if types is not None:
            _check_list(types, "RetryPolicy.non_retryable_error_types", "a sequence of str")
            for t in types:
                if not isinstance(t, str):
                    raise TypeError(
                        f"RetryPolicy.non_retryable_error_types holds a {type(t).__name__}; "
                        "only str error types are allowed"
                    )

    @staticmethod
    def from_proto(proto: "RetryPolicyProto") -> "RetryPolicy":
        """The policy of a ``temporal.api.common.v1.RetryPolicy`` message.

        Unset fields (zero) get the defaults the server applies to them.
        """
        return RetryPolicy(
            initial_interval=(
                proto.initial_interval.ToTimedelta()
                if proto.HasField("initial_interval")
                and proto.initial_interval.ToTimedelta() > timedelta(0)
                else timedelta(seconds=1)
            ),
            backoff_coefficient=proto.backoff_coefficient or 2.0,
            maximum_interval=(
                proto.maximum_interval.ToTimedelta()
                if proto.HasField("maximum_interval")
                and proto.maximum_interval.ToTimedelta() > timedelta(0)
                else None
            ),
            maximum_attempts=proto.maximum_attempts,
            non_retryable_error_types=(
                list(proto.non_retryable_error_types) if proto.non_retryable_error_types else None
            ),
        )

    def apply_to_proto(self, proto: "RetryPolicyProto") -> None:
        """Validate, then set this policy's fields on ``proto``."""
        self.validate()
        proto.initial_interval.FromTimedelta(self.initial_interval)
        proto.backoff_coefficient = float(self.backoff_coefficient)
        if self.maximum_interval is not None:
            proto.maximum_interval.FromTimedelta(self.maximum_interval)
        proto.maximum_attempts = self.maximum_attempts
        if self.non_retryable_error_types:
            proto.non_retryable_error_types.extend(self.non_retryable_error_types)

    def to_proto(self) -> "RetryPolicyProto":
        """A new ``temporal.api.common.v1.RetryPolicy`` message of this policy."""
        from temporalio.api.common.v1 import RetryPolicy as RetryPolicyProto

        proto = RetryPolicyProto()
        self.apply_to_proto(proto)
        return proto


# The enums below have the values of their protos in temporal.api.enums.v1
# (tests/unit/test_common.py checks them against the generated modules).


class WorkflowIDReusePolicy(IntEnum):
    """Whether a workflow id of a closed workflow may be used again
    (``temporal.api.enums.v1.WorkflowIdReusePolicy``)."""

    UNSPECIFIED = 0
    ALLOW_DUPLICATE = 1
    """Allowed whatever the closed workflow's outcome (the default)."""
    ALLOW_DUPLICATE_FAILED_ONLY = 2
    """Allowed only if the closed workflow failed, was cancelled, terminated or timed out."""
    REJECT_DUPLICATE = 3
    """Never allowed."""
    TERMINATE_IF_RUNNING = 4
    """Deprecated by the server: use ``WorkflowIDConflictPolicy.TERMINATE_EXISTING``."""


class WorkflowIDConflictPolicy(IntEnum):
    """What a start does when a workflow with the id is still running
    (``temporal.api.enums.v1.WorkflowIdConflictPolicy``)."""

    UNSPECIFIED = 0
    """The server's default: ``FAIL`` (signal-with-start: ``USE_EXISTING``)."""
    FAIL = 1
    USE_EXISTING = 2
    TERMINATE_EXISTING = 3


class QueryRejectCondition(IntEnum):
    """When the server rejects a query instead of running it
    (``temporal.api.enums.v1.QueryRejectCondition``)."""

    NONE = 1
    """Never reject."""
    NOT_OPEN = 2
    """Reject if the workflow is closed."""
    NOT_COMPLETED_CLEANLY = 3
    """Reject if the workflow closed in any way but completing."""


class WorkflowExecutionStatus(IntEnum):
    """Status of a workflow execution (``temporal.api.enums.v1.WorkflowExecutionStatus``)."""

    RUNNING = 1
    COMPLETED = 2
    FAILED = 3
    CANCELED = 4
    TERMINATED = 5
    CONTINUED_AS_NEW = 6
    TIMED_OUT = 7
    PAUSED = 8
