"""temporalio.common: RetryPolicy and the enums (no server)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from temporalio.common import (
    QueryRejectCondition,
    RetryPolicy,
    WorkflowExecutionStatus,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)


def test_retry_policy_defaults() -> None:
    p = RetryPolicy()
    assert p.initial_interval == timedelta(seconds=1)
    assert p.backoff_coefficient == 2.0
    assert p.maximum_interval is None
    assert p.maximum_attempts == 0
    assert p.non_retryable_error_types is None


def test_retry_policy_round_trips_through_the_proto() -> None:
    p = RetryPolicy(
        initial_interval=timedelta(milliseconds=250),
        backoff_coefficient=1.5,
        maximum_interval=timedelta(seconds=30),
        maximum_attempts=7,
        non_retryable_error_types=["Fatal", "Bad"],
    )
    proto = p.to_proto()
    assert proto.initial_interval.ToTimedelta() == timedelta(milliseconds=250)
    assert proto.backoff_coefficient == 1.5
    assert proto.maximum_interval.ToTimedelta() == timedelta(seconds=30)
    assert proto.maximum_attempts == 7
    assert list(proto.non_retryable_error_types) == ["Fatal", "Bad"]
    assert RetryPolicy.from_proto(proto) == p


def test_retry_policy_without_maximum_interval_leaves_it_to_the_server() -> None:
    proto = RetryPolicy().to_proto()
    assert not proto.HasField("maximum_interval")
    assert RetryPolicy.from_proto(proto) == RetryPolicy()


def test_retry_policy_from_an_empty_proto_has_the_defaults() -> None:
    from temporalio.api.common.v1 import RetryPolicy as Proto

    assert RetryPolicy.from_proto(Proto()) == RetryPolicy()


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(initial_interval=timedelta(seconds=-1)), "^Initial interval cannot be negative"),
        (dict(maximum_interval=timedelta(seconds=-1)), "^Maximum interval cannot be negative"),
        (dict(backoff_coefficient=0.5), "^Backoff coefficient cannot be less than 1 "),
        (dict(backoff_coefficient=float("nan")), "^Backoff coefficient cannot be less than 1 "),
        (dict(maximum_attempts=-1), "^Maximum attempts cannot be negative"),
        (
            dict(initial_interval=timedelta(seconds=10), maximum_interval=timedelta(seconds=5)),
            "^Maximum interval cannot be less than initial interval",
        ),
    ],
)
def test_retry_policy_bad_values_are_value_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        RetryPolicy(**kwargs)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(initial_interval=5), "initial_interval must be a datetime.timedelta, not int"),
        (dict(maximum_interval=5.0), "maximum_interval must be a datetime.timedelta"),
        (dict(backoff_coefficient="2"), "backoff_coefficient must be a number"),
        (dict(maximum_attempts=2.5), "maximum_attempts must be an int"),
        (dict(non_retryable_error_types="Fatal"), "non_retryable_error_types must be a sequence"),
        (dict(non_retryable_error_types=["ok", 3]), "holds a int"),
    ],
)
def test_retry_policy_wrong_types_are_type_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        RetryPolicy(**kwargs)


def test_retry_policy_changed_after_construction_is_checked_on_conversion() -> None:
    p = RetryPolicy()
    p.maximum_attempts = -3
    with pytest.raises(ValueError, match="maximum_attempts"):
        p.to_proto()


@pytest.mark.parametrize(
    "ours,proto_enum,prefix",
    [
        (WorkflowIDReusePolicy, "WorkflowIdReusePolicy", "WORKFLOW_ID_REUSE_POLICY_"),
        (WorkflowIDConflictPolicy, "WorkflowIdConflictPolicy", "WORKFLOW_ID_CONFLICT_POLICY_"),
        (QueryRejectCondition, "QueryRejectCondition", "QUERY_REJECT_CONDITION_"),
        (WorkflowExecutionStatus, "WorkflowExecutionStatus", "WORKFLOW_EXECUTION_STATUS_"),
    ],
)
def test_enums_match_the_protos(ours: type, proto_enum: str, prefix: str) -> None:
    from temporalio.api.enums import v1

    theirs = {
        name[len(prefix) :]: value
        for name, value in getattr(v1, proto_enum).items()
        if not (
            name.endswith("_UNSPECIFIED")
            and ours is not WorkflowIDReusePolicy
            and ours is not WorkflowIDConflictPolicy
        )
    }
    assert {m.name: m.value for m in ours} == theirs  # type: ignore[attr-defined]
