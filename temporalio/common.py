"""Small types shared by the client and workers.

Importing this module loads no protobuf module: the proto conversions import
the generated messages when they are called.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Collection,
    Generic,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Type,
    TypeVar,
    Union,
)

from temporalio._checks import _check_int, _check_list, _check_number, _check_timedelta

if TYPE_CHECKING:
    from temporalio.api.common.v1 import Payload
    from temporalio.api.common.v1 import Priority as PriorityProto
    from temporalio.api.common.v1 import RetryPolicy as RetryPolicyProto
    from temporalio.api.workflow.v1 import VersioningOverride as VersioningOverrideProto

__all__ = [
    "RetryPolicy",
    "HeaderCodecBehavior",
    "WorkflowIDReusePolicy",
    "WorkflowIDConflictPolicy",
    "ActivityIDReusePolicy",
    "ActivityIDConflictPolicy",
    "QueryRejectCondition",
    "WorkflowExecutionStatus",
    "RawValue",
    "SearchAttributeIndexedValueType",
    "SearchAttributeKey",
    "SearchAttributePair",
    "SearchAttributeUpdate",
    "TypedSearchAttributes",
    "Priority",
    "VersioningBehavior",
    "WorkerDeploymentVersion",
    "VersioningOverride",
    "PinnedVersioningOverride",
    "AutoUpgradeVersioningOverride",
    "OneTimeVersioningOverride",
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
        # The messages begin with the official SDK's text.
        for what, value, optional in (
            ("Initial interval", self.initial_interval, False),
            ("Maximum interval", self.maximum_interval, True),
        ):
            field_name = "RetryPolicy." + what.lower().replace(" ", "_")
            try:
                _check_timedelta(value, field_name, optional=optional)
            except ValueError as err:  # negative
                raise ValueError(f"{what} cannot be negative ({err})") from None
        coefficient = self.backoff_coefficient
        if not _check_number(coefficient, "RetryPolicy.backoff_coefficient") >= 1.0:  # also NaN
            raise ValueError(
                "Backoff coefficient cannot be less than 1 "
                f"(RetryPolicy.backoff_coefficient, got {coefficient!r})"
            )
        attempts = _check_int(self.maximum_attempts, "RetryPolicy.maximum_attempts")
        if attempts < 0:
            raise ValueError(
                f"Maximum attempts cannot be negative (RetryPolicy.maximum_attempts, got {attempts})"
            )
        if attempts > 2**31 - 1:
            raise ValueError(f"RetryPolicy.maximum_attempts is too large: {attempts}")
        if self.maximum_interval is not None and self.maximum_interval < self.initial_interval:
            raise ValueError(
                "Maximum interval cannot be less than initial interval "
                f"(RetryPolicy.maximum_interval {self.maximum_interval}, "
                f"initial_interval {self.initial_interval})"
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


class ActivityIDReusePolicy(IntEnum):
    """Whether the id of a closed standalone activity may be used again
    (``temporal.api.enums.v1.ActivityIdReusePolicy``)."""

    UNSPECIFIED = 0
    ALLOW_DUPLICATE = 1
    """Allowed whatever the closed activity's outcome (the default of ``start_activity``)."""
    ALLOW_DUPLICATE_FAILED_ONLY = 2
    """Allowed only if the closed activity failed, was cancelled, terminated or timed out."""
    REJECT_DUPLICATE = 3
    """Never allowed."""


class ActivityIDConflictPolicy(IntEnum):
    """What starting a standalone activity does when one with the id is
    still running (``temporal.api.enums.v1.ActivityIdConflictPolicy``)."""

    UNSPECIFIED = 0
    FAIL = 1
    """Fail with :class:`~temporalio.exceptions.ActivityAlreadyStartedError` (the default)."""
    USE_EXISTING = 2
    """Return a handle to the running activity."""


class QueryRejectCondition(IntEnum):
    """When the server rejects a query instead of running it
    (``temporal.api.enums.v1.QueryRejectCondition``)."""

    NONE = 1
    """Never reject."""
    NOT_OPEN = 2
    """Reject if the workflow is closed."""
    NOT_COMPLETED_CLEANLY = 3
    """Reject if the workflow closed in any way but completing."""


class HeaderCodecBehavior(IntEnum):
    """Whether headers go through the payload codec. Only ``NO_CODEC``
    (the official default) is implemented here: clients and workers given
    another raise :class:`NotImplementedError`."""

    NO_CODEC = 1
    """Don't encode or decode any headers automatically"""
    CODEC = 2
    """Encode and decode all headers automatically"""
    WORKFLOW_ONLY_CODEC = 3
    """Only automatically encode and decode headers in workflow activation encoding and decoding."""


def _check_no_header_codec(value: Any) -> "HeaderCodecBehavior":
    """``header_codec_behavior`` of a client or replayer: TypeError/ValueError
    for a value that is not a member; NotImplementedError for any but
    ``NO_CODEC`` (the only one implemented)."""
    from temporalio._checks import _check_enum

    behavior = _check_enum(HeaderCodecBehavior, value, "header_codec_behavior")
    if behavior != HeaderCodecBehavior.NO_CODEC:
        raise NotImplementedError(
            f"header_codec_behavior: {behavior!s} (headers through the payload codec) "
            "is not implemented in this SDK; only HeaderCodecBehavior.NO_CODEC"
        )
    return behavior


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


# ---- the official SDK's shared value types ---------------------------------------------


@dataclass(frozen=True)
class RawValue:
    """A payload left unconverted (the official SDK's type, used by dynamic
    activities and workflows for arguments they convert themselves).
    Pickles (for process-pool activities)."""

    payload: "Payload"
    """The ``temporal.api.common.v1.Payload``."""

    def __getstate__(self) -> object:
        """Pickle support: a version byte, then the serialized payload."""
        return b"1" + self.payload.SerializeToString()

    def __setstate__(self, state: object) -> None:
        """Pickle support; :class:`ValueError` for a state of another version."""
        from temporalio.api.common.v1 import Payload

        if not isinstance(state, bytes) or state[:1] != b"1":
            raise ValueError("RawValue: unknown pickled state")
        object.__setattr__(self, "payload", Payload.FromString(state[1:]))


SearchAttributeValue = Union[str, int, float, bool, datetime, Sequence[str]]
"""A value of a typed search attribute."""

SearchAttributeValueType = TypeVar(
    "SearchAttributeValueType", str, int, float, bool, datetime, Sequence[str]
)


class SearchAttributeIndexedValueType(IntEnum):
    """How the server indexes a search attribute
    (``temporal.api.enums.v1.IndexedValueType``)."""

    TEXT = 1
    KEYWORD = 2
    INT = 3
    DOUBLE = 4
    BOOL = 5
    DATETIME = 6
    KEYWORD_LIST = 7


# The "type" metadata of a search attribute payload, per index type.
_SA_METADATA_TYPES = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


class SearchAttributeKey(ABC, Generic[SearchAttributeValueType]):
    """A search attribute's name and type; make one with a ``for_*`` method
    (e.g. ``SearchAttributeKey.for_keyword("CustomerId")``). Keys are equal
    when name and type are."""

    @property
    @abstractmethod
    def name(self) -> str:
        """The attribute's name."""

    @property
    @abstractmethod
    def indexed_value_type(self) -> SearchAttributeIndexedValueType:
        """How the server indexes it."""

    @property
    @abstractmethod
    def value_type(self) -> Type[SearchAttributeValueType]:
        """The Python type of its values (``Sequence[str]`` for a keyword list)."""

    @property
    def origin_value_type(self) -> type:
        """:attr:`value_type` without generics (usable with ``isinstance``)."""
        from typing import get_origin

        return get_origin(self.value_type) or self.value_type

    @property
    def _metadata_type(self) -> str:
        return _SA_METADATA_TYPES[self.indexed_value_type]

    def value_set(
        self, value: SearchAttributeValueType
    ) -> "SearchAttributeUpdate[SearchAttributeValueType]":
        """An update that sets this attribute to ``value``."""
        return _SearchAttributeUpdate(self, value)

    def value_unset(self) -> "SearchAttributeUpdate[SearchAttributeValueType]":
        """An update that removes this attribute."""
        return _SearchAttributeUpdate(self, None)

    @staticmethod
    def for_text(name: str) -> "SearchAttributeKey[str]":
        """A ``Text`` attribute (full-text indexed)."""
        return _SearchAttributeKey(name, SearchAttributeIndexedValueType.TEXT, str)

    @staticmethod
    def for_keyword(name: str) -> "SearchAttributeKey[str]":
        """A ``Keyword`` attribute (matched exactly)."""
        return _SearchAttributeKey(name, SearchAttributeIndexedValueType.KEYWORD, str)

    @staticmethod
    def for_int(name: str) -> "SearchAttributeKey[int]":
        """An ``Int`` attribute."""
        return _SearchAttributeKey(name, SearchAttributeIndexedValueType.INT, int)

    @staticmethod
    def for_float(name: str) -> "SearchAttributeKey[float]":
        """A ``Double`` attribute."""
        return _SearchAttributeKey(name, SearchAttributeIndexedValueType.DOUBLE, float)

    @staticmethod
    def for_bool(name: str) -> "SearchAttributeKey[bool]":
        """A ``Bool`` attribute."""
        return _SearchAttributeKey(name, SearchAttributeIndexedValueType.BOOL, bool)

    @staticmethod
    def for_datetime(name: str) -> "SearchAttributeKey[datetime]":
        """A ``Datetime`` attribute."""
        return _SearchAttributeKey(name, SearchAttributeIndexedValueType.DATETIME, datetime)

    @staticmethod
    def for_keyword_list(name: str) -> "SearchAttributeKey[Sequence[str]]":
        """A ``KeywordList`` attribute (values are lists of str)."""
        return _SearchAttributeKey(
            name,
            SearchAttributeIndexedValueType.KEYWORD_LIST,
            Sequence[str],  # type: ignore[type-abstract]
        )

    @staticmethod
    def _from_metadata_type(name: str, metadata_type: str) -> "Optional[SearchAttributeKey[Any]]":
        """The key of a payload's "type" metadata ("KeywordList", or the
        enum's name "INDEXED_VALUE_TYPE_KEYWORD_LIST"); None if unknown."""
        for index, text in _SA_METADATA_TYPES.items():
            if metadata_type in (text, f"INDEXED_VALUE_TYPE_{index.name}"):
                return _SearchAttributeKey(name, index, _SA_VALUE_TYPES[index])
        return None


_SA_VALUE_TYPES: Any = {
    SearchAttributeIndexedValueType.TEXT: str,
    SearchAttributeIndexedValueType.KEYWORD: str,
    SearchAttributeIndexedValueType.INT: int,
    SearchAttributeIndexedValueType.DOUBLE: float,
    SearchAttributeIndexedValueType.BOOL: bool,
    SearchAttributeIndexedValueType.DATETIME: datetime,
    SearchAttributeIndexedValueType.KEYWORD_LIST: Sequence[str],
}


@dataclass(frozen=True)
class _SearchAttributeKey(SearchAttributeKey[SearchAttributeValueType]):
    _name: str
    _indexed_value_type: SearchAttributeIndexedValueType
    _value_type: Type[SearchAttributeValueType]

    @property
    def name(self) -> str:
        return self._name

    @property
    def indexed_value_type(self) -> SearchAttributeIndexedValueType:
        return self._indexed_value_type

    @property
    def value_type(self) -> Type[SearchAttributeValueType]:
        return self._value_type


if TYPE_CHECKING or sys.version_info >= (3, 11):

    class SearchAttributePair(NamedTuple, Generic[SearchAttributeValueType]):
        """A typed search attribute: its key and its value."""

        key: SearchAttributeKey[SearchAttributeValueType]
        value: SearchAttributeValueType

else:  # a NamedTuple cannot be generic before Python 3.11

    class SearchAttributePair(NamedTuple):
        """A typed search attribute: its key and its value."""

        key: Any
        value: Any


class SearchAttributeUpdate(ABC, Generic[SearchAttributeValueType]):
    """A change of one search attribute (from :meth:`SearchAttributeKey.value_set`
    or :meth:`SearchAttributeKey.value_unset`)."""

    @property
    @abstractmethod
    def key(self) -> SearchAttributeKey[SearchAttributeValueType]:
        """The attribute changed."""

    @property
    @abstractmethod
    def value(self) -> Optional[SearchAttributeValueType]:
        """Its new value; None: removed."""


@dataclass(frozen=True)
class _SearchAttributeUpdate(SearchAttributeUpdate[SearchAttributeValueType]):
    _key: SearchAttributeKey[SearchAttributeValueType]
    _value: Optional[SearchAttributeValueType]

    @property
    def key(self) -> SearchAttributeKey[SearchAttributeValueType]:
        return self._key

    @property
    def value(self) -> Optional[SearchAttributeValueType]:
        return self._value


@dataclass(frozen=True)
class TypedSearchAttributes(Collection[SearchAttributePair]):
    """An immutable collection of :class:`SearchAttributePair`, sorted by
    name; two pairs of one name raise :class:`ValueError`. ``attrs[key]``
    reads a value (:class:`KeyError` if absent), ``key in attrs`` tests one,
    :meth:`updated` makes a changed copy."""

    search_attributes: Sequence[SearchAttributePair]
    """The pairs, sorted by key name (do not mutate)."""

    empty: ClassVar["TypedSearchAttributes"]
    """No attributes."""

    def __post_init__(self) -> None:
        pairs = sorted(self.search_attributes, key=lambda pair: pair.key.name)
        for before, after in zip(pairs, pairs[1:]):
            if before.key.name == after.key.name:
                raise ValueError(
                    f"Duplicate search attribute entries found for key {after.key.name}"
                )
        object.__setattr__(self, "search_attributes", pairs)

    def __len__(self) -> int:
        """The number of attributes."""
        return len(self.search_attributes)

    def __iter__(self) -> Iterator[SearchAttributePair]:
        """The pairs, by name."""
        return iter(self.search_attributes)

    def __contains__(self, key: object) -> bool:
        """Whether an attribute of this key (same name and type) is present."""
        return any(pair.key == key for pair in self.search_attributes)

    def __getitem__(
        self, key: SearchAttributeKey[SearchAttributeValueType]
    ) -> SearchAttributeValueType:
        """The value of ``key``; :class:`KeyError` if absent."""
        for pair in self.search_attributes:
            if pair.key == key:
                return pair.value  # type: ignore[no-any-return]
        raise KeyError(key.name)

    def get(self, key: SearchAttributeKey[SearchAttributeValueType], default: Any = None) -> Any:
        """The value of ``key``, or ``default`` if absent."""
        try:
            return self[key]
        except KeyError:
            return default

    def updated(self, *search_attributes: SearchAttributePair) -> "TypedSearchAttributes":
        """A copy with these pairs set (replacing pairs of the same name)."""
        names = {pair.key.name for pair in search_attributes}
        kept = [pair for pair in self.search_attributes if pair.key.name not in names]
        return TypedSearchAttributes(kept + list(search_attributes))


TypedSearchAttributes.empty = TypedSearchAttributes(search_attributes=[])


def _decode_typed_search_attributes(proto: Any) -> TypedSearchAttributes:
    """The typed attributes of a ``temporal.api.common.v1.SearchAttributes``:
    those whose payload says its type (others are left out)."""
    import json

    pairs: List[SearchAttributePair] = []
    for name, payload in proto.indexed_fields.items():
        meta = payload.metadata.get("type", b"").decode("utf-8", "replace")
        key = SearchAttributeKey._from_metadata_type(name, meta)
        if key is None or not payload.data:
            continue
        value = json.loads(payload.data)
        if (
            isinstance(value, list)
            and key.indexed_value_type != SearchAttributeIndexedValueType.KEYWORD_LIST
        ):
            if not value:
                continue
            value = value[0]
        if key.indexed_value_type == SearchAttributeIndexedValueType.DATETIME:
            value = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        elif key.indexed_value_type == SearchAttributeIndexedValueType.DOUBLE:
            value = float(value)
        pairs.append(SearchAttributePair(key, value))
    return TypedSearchAttributes(pairs)


@dataclass(frozen=True)
class Priority:
    """Relative order of a workflow's or an activity's tasks when a task
    queue has a backlog (``temporal.api.common.v1.Priority``). None fields
    inherit (from the calling workflow) or take the server's default."""

    priority_key: Optional[int] = None
    """1 (first) to the server's maximum (default 5); None: the middle (3)."""

    fairness_key: Optional[str] = None
    """Key (at most 64 bytes, e.g. a tenant id) tasks are balanced by."""

    fairness_weight: Optional[float] = None
    """Weight of ``fairness_key`` (the server clamps it to 0.001 .. 1000; default 1.0)."""

    default: ClassVar["Priority"]
    """All fields unset."""

    def __post_init__(self) -> None:
        if self.priority_key is not None:
            if isinstance(self.priority_key, bool) or not isinstance(self.priority_key, int):
                raise TypeError("priority_key must be an integer")
            if self.priority_key < 1:
                raise ValueError("priority_key must be a positive integer")

    @staticmethod
    def _from_proto(proto: "PriorityProto") -> "Priority":
        return Priority(
            priority_key=proto.priority_key or None,
            fairness_key=proto.fairness_key or None,
            fairness_weight=proto.fairness_weight or None,
        )

    def _to_proto(self) -> "PriorityProto":
        from temporalio.api.common.v1 import Priority as PriorityProto

        return PriorityProto(
            priority_key=self.priority_key or 0,
            fairness_key=self.fairness_key or "",
            fairness_weight=self.fairness_weight or 0.0,
        )


Priority.default = Priority()


class VersioningBehavior(IntEnum):
    """When a workflow may move from a worker of one build to another
    (``temporal.api.enums.v1.VersioningBehavior``)."""

    UNSPECIFIED = 0
    """Not given (workers that opt into versioning must give one)."""
    PINNED = 1
    """Stays on its build unless moved by hand."""
    AUTO_UPGRADE = 2
    """Moves to the task queue's current build at its next task."""


@dataclass(frozen=True)
class WorkerDeploymentVersion:
    """One version (build) of a worker deployment."""

    deployment_name: str
    build_id: str

    def to_canonical_string(self) -> str:
        """``"<deployment_name>.<build_id>"``."""
        return f"{self.deployment_name}.{self.build_id}"

    @staticmethod
    def from_canonical_string(canonical: str) -> "WorkerDeploymentVersion":
        """Parse ``"<deployment_name>.<build_id>"`` (the name has no dot);
        :class:`ValueError` otherwise."""
        name, dot, build_id = canonical.partition(".")
        if not dot:
            raise ValueError(
                f"Cannot parse version string: {canonical}, must be in format "
                "<deployment_name>.<build_id>"
            )
        return WorkerDeploymentVersion(name, build_id)


class VersioningOverride(ABC):
    """Overrides a workflow's versioning behavior (``versioning_override=``
    of :meth:`temporalio.client.Client.start_workflow`)."""

    @abstractmethod
    def _to_proto(self) -> "VersioningOverrideProto":
        """The ``temporal.api.workflow.v1.VersioningOverride``."""


@dataclass(frozen=True)
class PinnedVersioningOverride(VersioningOverride):
    """Pin the workflow to ``version``."""

    version: WorkerDeploymentVersion

    def _to_proto(self) -> "VersioningOverrideProto":
        from temporalio.api.workflow.v1 import VersioningOverride as Proto

        proto = Proto(behavior=int(VersioningBehavior.PINNED))
        proto.pinned_version = self.version.to_canonical_string()  # for older servers
        proto.pinned.behavior = 1  # PINNED_OVERRIDE_BEHAVIOR_PINNED
        proto.pinned.version.deployment_name = self.version.deployment_name
        proto.pinned.version.build_id = self.version.build_id
        return proto


@dataclass(frozen=True)
class AutoUpgradeVersioningOverride(VersioningOverride):
    """Move the workflow to the current deployment version at its next task."""

    def _to_proto(self) -> "VersioningOverrideProto":
        from temporalio.api.workflow.v1 import VersioningOverride as Proto

        return Proto(behavior=int(VersioningBehavior.AUTO_UPGRADE), auto_upgrade=True)


@dataclass(frozen=True)
class OneTimeVersioningOverride(VersioningOverride):
    """Send the workflow's tasks to ``target_version`` until one completes
    there, then drop the override (the worker's versioning behavior governs
    later tasks; the workflow is not pinned). Needs Temporal server 1.32+."""

    target_version: WorkerDeploymentVersion

    def _to_proto(self) -> "VersioningOverrideProto":
        from temporalio.api.workflow.v1 import VersioningOverride as Proto

        proto = Proto()
        proto.one_time.target_deployment_version.deployment_name = (
            self.target_version.deployment_name
        )
        proto.one_time.target_deployment_version.build_id = self.target_version.build_id
        return proto
