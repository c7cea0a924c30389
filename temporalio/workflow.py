"""Workflow definitions and the API workflow code calls (``temporalio.workflow``).

A workflow is a class marked :func:`defn` with one ``async`` method marked
:func:`run`; :func:`signal` and :func:`query` mark its handlers. Inside
workflow code the functions of this module (:func:`info`, :func:`now`,
:func:`sleep`, :func:`execute_activity`, ...) talk to the run's deterministic
event loop; outside a workflow they raise
:class:`temporalio.exceptions.TemporalError` ("Not in workflow event loop").

Same names, signatures and semantics as the official SDK for the part that
exists here. Importing this module loads no protobuf module and no extension.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import typing
import uuid
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum, IntEnum
from random import Random
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Dict,
    Generic,
    Iterable,
    Iterator,
    List,
    Mapping,
    MutableMapping,
    NoReturn,
    Optional,
    Sequence,
    Tuple,
    Type,
    TypedDict,
    TypeVar,
    Union,
    cast,
    overload,
)

import temporalio.common
import temporalio.exceptions

if TYPE_CHECKING:
    from temporalio.converter import PayloadConverter

__all__ = [
    "ActivityCancellationType",
    "ActivityHandle",
    "ChildWorkflowCancellationType",
    "ChildWorkflowConfig",
    "ChildWorkflowHandle",
    "ContinueAsNewError",
    "ExternalWorkflowHandle",
    "HandlerUnfinishedPolicy",
    "Info",
    "LocalActivityConfig",
    "LoggerAdapter",
    "NondeterminismError",
    "ParentClosePolicy",
    "ParentInfo",
    "ReadOnlyContextError",
    "UnfinishedSignalHandlersWarning",
    "UnfinishedUpdateHandlersWarning",
    "UpdateInfo",
    "all_handlers_finished",
    "current_update_info",
    "continue_as_new",
    "defn",
    "deprecate_patch",
    "execute_activity",
    "execute_activity_class",
    "execute_activity_method",
    "execute_child_workflow",
    "execute_local_activity",
    "execute_local_activity_class",
    "execute_local_activity_method",
    "get_dynamic_query_handler",
    "get_dynamic_signal_handler",
    "get_dynamic_update_handler",
    "get_external_workflow_handle",
    "get_external_workflow_handle_for",
    "get_query_handler",
    "get_signal_handler",
    "get_update_handler",
    "in_workflow",
    "info",
    "init",
    "instance",
    "logger",
    "memo",
    "memo_value",
    "now",
    "patched",
    "payload_converter",
    "query",
    "random",
    "run",
    "set_dynamic_query_handler",
    "set_dynamic_signal_handler",
    "set_dynamic_update_handler",
    "set_query_handler",
    "set_signal_handler",
    "set_update_handler",
    "signal",
    "sleep",
    "start_activity",
    "start_activity_class",
    "start_activity_method",
    "start_child_workflow",
    "start_local_activity",
    "start_local_activity_class",
    "start_local_activity_method",
    "time",
    "time_ns",
    "unsafe",
    "upsert_memo",
    "get_current_details",
    "set_current_details",
    "has_last_completion_result",
    "get_last_completion_result",
    "get_last_failure",
    "wait",
    "as_completed",
    "upsert_search_attributes",
    "update",
    "uuid4",
    "wait_condition",
]

ClassType = TypeVar("ClassType", bound=type)
CallableType = TypeVar("CallableType", bound=Callable[..., Any])
CallableAsyncType = TypeVar("CallableAsyncType", bound=Callable[..., Awaitable[Any]])
ReturnType = TypeVar("ReturnType")

# A sentinel: "no single argument given" (``arg`` vs ``args=``).
_arg_unset: Any = object()


# ---- errors --------------------------------------------------------------------------


class NondeterminismError(temporalio.exceptions.TemporalError):
    """Raised when the workflow's code no longer matches its history."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ReadOnlyContextError(temporalio.exceptions.TemporalError):
    """Raised when code running in a read-only context (a query handler)
    tries something that would issue a command (a timer, an activity,
    continue-as-new, an upsert...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _NotInWorkflowEventLoopError(temporalio.exceptions.TemporalError):
    def __init__(self, *args: object) -> None:
        super().__init__("Not in workflow event loop")
        self.message = "Not in workflow event loop"


class ContinueAsNewError(BaseException):
    """Raised by :func:`continue_as_new`. Let it propagate out of the
    workflow: the run then ends with a continue-as-new command. Never
    instantiate it yourself."""

    def __init__(self, *args: object) -> None:
        if type(self) is ContinueAsNewError:
            raise RuntimeError("Cannot instantiate ContinueAsNewError directly")
        super().__init__(*args)


class _ContinueAsNewError(ContinueAsNewError):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__("Continue as new")
        self.kwargs = kwargs


class ActivityCancellationType(IntEnum):
    """What cancelling an activity's handle waits for (the values of
    ``coresdk.workflow_commands.ActivityCancellationType``)."""

    TRY_CANCEL = 0
    """Request cancellation and resolve the handle as cancelled at once."""
    WAIT_CANCELLATION_COMPLETED = 1
    """Request cancellation and wait until the activity reports it is done."""
    ABANDON = 2
    """Do not request cancellation; resolve the handle as cancelled at once."""


class ChildWorkflowCancellationType(IntEnum):
    """What cancelling a child workflow's handle does and waits for (the
    values of ``coresdk.child_workflow.ChildWorkflowCancellationType``)."""

    ABANDON = 0
    """Do not request the child's cancellation; resolve the handle as cancelled at once."""
    TRY_CANCEL = 1
    """Request the child's cancellation and resolve the handle as cancelled at once."""
    WAIT_CANCELLATION_COMPLETED = 2
    """Request the child's cancellation and wait until the child has ended."""
    WAIT_CANCELLATION_REQUESTED = 3
    """Request the child's cancellation and wait (as the official SDK's core
    does: until the child has ended)."""


class ParentClosePolicy(IntEnum):
    """What happens to a child workflow when its parent closes (the values of
    ``coresdk.child_workflow.ParentClosePolicy``)."""

    UNSPECIFIED = 0
    """The server's default (terminate)."""
    TERMINATE = 1
    """The child is terminated."""
    ABANDON = 2
    """The child keeps running."""
    REQUEST_CANCEL = 3
    """The child's cancellation is requested."""


# ---- info --------------------------------------------------------------------------


@dataclass(frozen=True)
class ParentInfo:
    """The workflow that started this one as a child."""

    namespace: str
    run_id: str
    workflow_id: str


@dataclass(frozen=True)
class Info:
    """Information about the running workflow (:func:`info`). Immutable,
    except ``search_attributes``, which :func:`upsert_search_attributes`
    updates."""

    attempt: int
    continued_run_id: Optional[str]
    cron_schedule: Optional[str]
    execution_timeout: Optional[timedelta]
    first_execution_run_id: str
    headers: Mapping[str, Any]
    namespace: str
    parent: Optional[ParentInfo]
    raw_memo: Mapping[str, Any]
    retry_policy: Optional[temporalio.common.RetryPolicy]
    run_id: str
    run_timeout: Optional[timedelta]
    search_attributes: Mapping[str, Sequence[Any]]
    start_time: datetime
    """When the run's first workflow task started (as the official SDK); see
    ``workflow_start_time`` for when the run itself started."""
    task_queue: str
    task_timeout: timedelta
    workflow_id: str
    workflow_start_time: datetime
    workflow_type: str
    original_execution_run_id: str = ""
    typed_search_attributes: temporalio.common.TypedSearchAttributes = (
        temporalio.common.TypedSearchAttributes.empty
    )
    """The search attributes whose type is known (given typed, or typed in
    their payload's metadata); :func:`upsert_search_attributes` updates them."""

    def get_current_history_length(self) -> int:
        """Events in the history so far (as of the current activation)."""
        return _Runtime.current().workflow_history_info()[0]

    def get_current_history_size(self) -> int:
        """Size of the history so far in bytes (as of the current activation)."""
        return _Runtime.current().workflow_history_info()[1]

    def is_continue_as_new_suggested(self) -> bool:
        """Whether the server suggests continuing as new (the history is
        getting large)."""
        return _Runtime.current().workflow_history_info()[2]

    def _logger_details(self) -> Mapping[str, Any]:
        return {
            "attempt": self.attempt,
            "namespace": self.namespace,
            "run_id": self.run_id,
            "task_queue": self.task_queue,
            "workflow_id": self.workflow_id,
            "workflow_type": self.workflow_type,
        }


# ---- definitions ---------------------------------------------------------------------


class HandlerUnfinishedPolicy(Enum):
    """What happens when a workflow finishes (returns, fails, is cancelled or
    continues as new) while handlers of a signal or update are still running."""

    WARN_AND_ABANDON = 1
    """Abandon the handler and warn (:class:`UnfinishedUpdateHandlersWarning`
    or :class:`UnfinishedSignalHandlersWarning`)."""
    ABANDON = 2
    """Abandon the handler silently. For an update, the client receives an
    error rather than the update's result."""


class UnfinishedUpdateHandlersWarning(RuntimeWarning):
    """The workflow finished while update handlers were still running."""


class UnfinishedSignalHandlersWarning(RuntimeWarning):
    """The workflow finished while signal handlers were still running."""


@dataclass(frozen=True)
class UpdateInfo:
    """The update being handled (:func:`current_update_info`)."""

    id: str
    """The update's id."""
    name: str
    """The update's name."""

    @property
    def _logger_details(self) -> Mapping[str, Any]:
        return {"update_id": self.id, "update_name": self.name}


@dataclass(frozen=True)
class _SignalDefinition:
    name: Optional[str]  # None: dynamic
    fn: Callable[..., Any]
    is_method: bool = True
    # dynamic handlers: (name, Sequence[RawValue]) rather than the old (name, *args)
    dynamic_vararg: bool = False
    arg_types: Optional[List[Optional[type]]] = None
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON

    @staticmethod
    def _make(
        name: Optional[str],
        fn: Callable[..., Any],
        is_method: bool,
        unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    ) -> "_SignalDefinition":
        types, _ = _param_types(fn, is_method)
        vararg = False
        if name is None:
            vararg = not _check_dynamic_handler(fn, types, is_method)
        return _SignalDefinition(name, fn, is_method, vararg, types, unfinished_policy)

    def bind_fn(self, obj: Any) -> Callable[..., Any]:
        return _bind_method(obj, self.fn) if self.is_method else self.fn


@dataclass(frozen=True)
class _QueryDefinition:
    name: Optional[str]
    fn: Callable[..., Any]
    is_method: bool = True
    dynamic_vararg: bool = False
    arg_types: Optional[List[Optional[type]]] = None
    ret_type: Optional[type] = None

    @staticmethod
    def _make(name: Optional[str], fn: Callable[..., Any], is_method: bool) -> "_QueryDefinition":
        types, ret = _param_types(fn, is_method)
        vararg = False
        if name is None:
            vararg = not _check_dynamic_handler(fn, types, is_method)
        return _QueryDefinition(name, fn, is_method, vararg, types, ret)

    def bind_fn(self, obj: Any) -> Callable[..., Any]:
        return _bind_method(obj, self.fn) if self.is_method else self.fn


@dataclass(frozen=True)
class _UpdateDefinition:
    name: Optional[str]  # None: dynamic
    fn: Callable[..., Any]
    is_method: bool = True
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON
    arg_types: Optional[List[Optional[type]]] = None
    ret_type: Optional[type] = None
    validator: Optional[Callable[..., None]] = None

    @staticmethod
    def _make(
        name: Optional[str],
        fn: Callable[..., Any],
        is_method: bool,
        unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    ) -> "_UpdateDefinition":
        types, ret = _param_types(fn, is_method)
        if name is None and not _check_dynamic_handler(fn, types, is_method):
            raise RuntimeError(
                "Dynamic updates do not support a vararg third param, use Sequence[RawValue]"
            )
        return _UpdateDefinition(name, fn, is_method, unfinished_policy, types, ret)

    @property
    def dynamic_vararg(self) -> bool:
        return False

    def bind_fn(self, obj: Any) -> Callable[..., Any]:
        return _bind_method(obj, self.fn) if self.is_method else self.fn

    def bind_validator(self, obj: Any) -> Optional[Callable[..., Any]]:
        if self.validator is None:
            return None
        return _bind_method(obj, self.validator) if self.is_method else self.validator

    def set_validator(self, validator: Callable[..., None]) -> None:
        # Validators are called, never awaited: an async one would accept everything.
        if inspect.iscoroutinefunction(validator):
            raise ValueError("Update validator must not be an async function")
        if self.validator is not None:
            raise RuntimeError(f"Validator already set for update {self.name}")
        object.__setattr__(self, "validator", validator)


def _bind_method(obj: Any, fn: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.ismethod(fn):  # already bound (set at runtime)
        return fn
    return fn.__get__(obj, type(obj))  # type: ignore[attr-defined,no-any-return]


def _is_raw_value_sequence(hint: Any) -> bool:
    """Whether ``hint`` is ``Sequence[temporalio.common.RawValue]`` (from
    ``typing`` or ``collections.abc``)."""
    import collections.abc

    from temporalio.common import RawValue

    return typing.get_origin(hint) is collections.abc.Sequence and typing.get_args(hint) == (
        RawValue,
    )


def _param_types(
    fn: Callable[..., Any], is_method: bool
) -> Tuple[Optional[List[Optional[type]]], Optional[type]]:
    """The type hints of ``fn``'s positional parameters (without ``self``)
    and its return type; (None, None) when it takes ``*args``."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None, None
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        hints = {}
    params = list(sig.parameters.values())
    if is_method and params and not inspect.ismethod(fn):
        params = params[1:]
    types: List[Optional[type]] = []
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            return None, hints.get("return")
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            types.append(hints.get(p.name))
    return types, hints.get("return")


def _check_dynamic_handler(
    fn: Callable[..., Any], types: Optional[List[Optional[type]]], is_method: bool
) -> bool:
    """True for the (name: str, args: Sequence[RawValue]) form, False for
    the older (name, *args) form; anything else raises."""
    params = list(inspect.signature(fn).parameters.values())
    if is_method and not inspect.ismethod(fn):
        params = params[1:]
    if (
        len(params) == 2
        and params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        and params[1].kind is inspect.Parameter.VAR_POSITIONAL
    ):
        return False
    if len(params) == 2 and all(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params
    ):
        return True
    raise RuntimeError("Dynamic handler must have 3 arguments: self, str, and Sequence[RawValue]")


@dataclass(frozen=True)
class _Definition:
    """What ``@workflow.defn`` records on a class."""

    name: Optional[str]  # None: dynamic
    cls: type
    run_fn: Callable[..., Awaitable[Any]]
    signals: Mapping[Optional[str], _SignalDefinition]
    queries: Mapping[Optional[str], _QueryDefinition]
    updates: Mapping[Optional[str], _UpdateDefinition]
    init_fn: Optional[Callable[..., None]] = None
    failure_exception_types: Sequence[Type[BaseException]] = ()
    arg_types: Optional[List[Optional[type]]] = None
    ret_type: Optional[type] = None

    @staticmethod
    def from_class(cls: type) -> Optional["_Definition"]:
        if not isinstance(cls, type):
            return None
        d = cls.__dict__.get("__temporal_workflow_definition")
        return d if isinstance(d, _Definition) else None

    @staticmethod
    def must_from_class(cls: type) -> "_Definition":
        d = _Definition.from_class(cls)
        if d is None:
            name = getattr(cls, "__qualname__", repr(cls))
            raise ValueError(
                f"Workflow {name} missing attributes, was it decorated with @workflow.defn?"
            )
        return d

    @staticmethod
    def _apply(
        cls: type,
        name: Optional[str],
        failure_exception_types: Sequence[Type[BaseException]],
    ) -> "_Definition":
        if not isinstance(cls, type):
            raise TypeError(
                f"@workflow.defn must decorate a class, got {type(cls).__name__} {cls!r}"
            )
        if _Definition.from_class(cls) is not None:
            raise ValueError("Class already contains workflow definition")
        for t in failure_exception_types:
            if not (isinstance(t, type) and issubclass(t, BaseException)):
                raise TypeError(f"failure_exception_types must hold exception classes, got {t!r}")
        issues: List[str] = []
        run_fn: Optional[Callable[..., Any]] = None
        init_fn: Optional[Callable[..., Any]] = None
        seen_run = False
        signals: Dict[Optional[str], _SignalDefinition] = {}
        queries: Dict[Optional[str], _QueryDefinition] = {}
        updates: Dict[Optional[str], _UpdateDefinition] = {}
        for attr, member in inspect.getmembers(cls):
            if hasattr(member, "__temporal_workflow_run"):
                seen_run = True
                if not _is_unbound_method_on_cls(member, cls):
                    issues.append(
                        f"@workflow.run method {attr} must be defined on {cls.__qualname__}"
                    )
                elif run_fn is not None:
                    issues.append(
                        f"Multiple @workflow.run methods found (at least on {attr} and "
                        f"{run_fn.__name__})"
                    )
                else:
                    run_fn = member
            elif hasattr(member, "__temporal_signal_definition"):
                sd = cast(_SignalDefinition, getattr(member, "__temporal_signal_definition"))
                if sd.name in signals:
                    issues.append(
                        f"Multiple signal methods found for {sd.name or '<dynamic>'} "
                        f"(at least on {attr} and {signals[sd.name].fn.__name__})"
                    )
                else:
                    signals[sd.name] = sd
            elif hasattr(member, "__temporal_query_definition"):
                qd = cast(_QueryDefinition, getattr(member, "__temporal_query_definition"))
                if qd.name in queries:
                    issues.append(
                        f"Multiple query methods found for {qd.name or '<dynamic>'} "
                        f"(at least on {attr} and {queries[qd.name].fn.__name__})"
                    )
                else:
                    queries[qd.name] = qd
            elif hasattr(member, "__temporal_update_definition"):
                ud = cast(_UpdateDefinition, getattr(member, "__temporal_update_definition"))
                if ud.name in updates:
                    issues.append(
                        f"Multiple update methods found for {ud.name or '<dynamic>'} "
                        f"(at least on {attr} and {updates[ud.name].fn.__name__})"
                    )
                elif ud.validator is not None and not _parameters_identical_up_to_naming(
                    ud.fn, ud.validator
                ):
                    issues.append(
                        f"Update validator method {ud.validator.__name__} parameters "
                        f"do not match update method {ud.fn.__name__} parameters"
                    )
                else:
                    updates[ud.name] = ud
            elif attr == "__init__" and hasattr(member, "__temporal_workflow_init"):
                init_fn = member
        # A base class's decorated method overridden without its decorator
        for base in inspect.getmro(cls)[1:]:
            for _, bm in inspect.getmembers(base):
                if not inspect.isfunction(bm) or not _is_unbound_method_on_cls(bm, base):
                    continue
                if hasattr(bm, "__temporal_workflow_run"):
                    seen_run = True
                    if run_fn is None or bm.__name__ != run_fn.__name__:
                        issues.append(
                            f"@workflow.run defined on {bm.__qualname__} but not on the override"
                        )
                elif hasattr(bm, "__temporal_signal_definition"):
                    if getattr(bm, "__temporal_signal_definition").name not in signals:
                        issues.append(
                            f"@workflow.signal defined on {bm.__qualname__} but not on the override"
                        )
                elif hasattr(bm, "__temporal_query_definition"):
                    if getattr(bm, "__temporal_query_definition").name not in queries:
                        issues.append(
                            f"@workflow.query defined on {bm.__qualname__} but not on the override"
                        )
                elif hasattr(bm, "__temporal_update_definition"):
                    if getattr(bm, "__temporal_update_definition").name not in updates:
                        issues.append(
                            f"@workflow.update defined on {bm.__qualname__} but not on the override"
                        )
        if not seen_run:
            issues.append("Missing @workflow.run method")
        if init_fn is not None and run_fn is not None:
            if not _parameters_identical_up_to_naming(init_fn, run_fn):
                issues.append("@workflow.init and @workflow.run method parameters do not match")
        if issues:
            if len(issues) == 1:
                raise ValueError(f"Invalid workflow class: {issues[0]}")
            raise ValueError(
                f"Invalid workflow class for {len(issues)} reasons: {', '.join(issues)}"
            )
        assert run_fn is not None
        arg_types, ret_type = _param_types(run_fn, True)
        if name is None:
            # dynamic: run(self, args: Sequence[RawValue])
            params = list(inspect.signature(run_fn).parameters.values())[1:]
            hint = arg_types[0] if arg_types else None
            if (
                len(params) != 1
                or params[0].kind
                not in (
                    inspect.Parameter.POSITIONAL_ONLY,
                    inspect.Parameter.POSITIONAL_OR_KEYWORD,
                )
                # annotated, but not as Sequence[RawValue] (the official check)
                or (hint is not None and not _is_raw_value_sequence(hint))
            ):
                raise TypeError(
                    "Dynamic workflow must accept a single Sequence[temporalio.common.RawValue]"
                )
        d = _Definition(
            name=name,
            cls=cls,
            run_fn=run_fn,
            signals=signals,
            queries=queries,
            updates=updates,
            init_fn=init_fn,
            failure_exception_types=tuple(failure_exception_types),
            arg_types=arg_types,
            ret_type=ret_type,
        )
        setattr(cls, "__temporal_workflow_definition", d)
        setattr(run_fn, "__temporal_workflow_definition", d)
        return d


def _is_unbound_method_on_cls(fn: Callable[..., Any], cls: type) -> bool:
    return (
        inspect.isfunction(fn)
        and inspect.getmodule(fn) is inspect.getmodule(cls)
        and fn.__qualname__.rsplit(".", 1)[0] == cls.__qualname__
    )


def _parameters_identical_up_to_naming(fn1: Callable[..., Any], fn2: Callable[..., Any]) -> bool:
    p1 = list(inspect.signature(fn1).parameters.values())[1:]
    p2 = list(inspect.signature(fn2).parameters.values())[1:]
    return len(p1) == len(p2) and all(
        a.annotation == b.annotation and a.kind == b.kind and a.default == b.default
        for a, b in zip(p1, p2)
    )


@overload
def defn(cls: ClassType) -> ClassType: ...


@overload
def defn(
    *,
    name: Optional[str] = None,
    sandboxed: bool = True,
    failure_exception_types: Sequence[Type[BaseException]] = [],
) -> Callable[[ClassType], ClassType]: ...


@overload
def defn(
    *,
    sandboxed: bool = True,
    dynamic: bool = False,
    failure_exception_types: Sequence[Type[BaseException]] = [],
) -> Callable[[ClassType], ClassType]: ...


def defn(
    cls: Optional[ClassType] = None,
    *,
    name: Optional[str] = None,
    sandboxed: bool = True,
    dynamic: bool = False,
    failure_exception_types: Sequence[Type[BaseException]] = [],
) -> Any:
    """Mark a class as a workflow.

    Args:
        cls: The class (when used without parentheses).
        name: The workflow type name; default: the class's ``__name__``.
            Not allowed with ``dynamic``.
        sandboxed: Accepted for compatibility; this SDK has no sandbox yet.
        dynamic: Handle every workflow type no other workflow handles; its
            run method takes one ``Sequence[temporalio.common.RawValue]``.
        failure_exception_types: Exception types that, raised by the
            workflow (or by a handler), fail the *workflow*. Any other
            exception (except :class:`temporalio.exceptions.FailureError`
            subclasses and ``asyncio.TimeoutError``, which always fail the
            workflow, as in the official SDK) fails the workflow *task*,
            which the server retries.

    Raises:
        ValueError: the class is invalid (no ``@workflow.run``, two handlers
            of one name, ...), naming every issue.
        TypeError: the decorated object is not a class.
    """
    if name is not None and dynamic:
        raise RuntimeError("Cannot provide name and dynamic boolean")

    def decorate(c: ClassType) -> ClassType:
        wf_name = None if dynamic else (name if name is not None else getattr(c, "__name__", None))
        _Definition._apply(c, wf_name, failure_exception_types)
        return c

    if cls is not None:
        return decorate(cls)
    return decorate


def init(init_fn: CallableType) -> CallableType:
    """Mark ``__init__`` as taking the workflow's arguments (the same
    parameters as the run method)."""
    if getattr(init_fn, "__name__", None) != "__init__":
        raise ValueError("@workflow.init may only be used on the __init__ method")
    setattr(init_fn, "__temporal_workflow_init", True)
    return init_fn


def run(fn: CallableAsyncType) -> CallableAsyncType:
    """Mark the workflow's entry point; it must be an ``async def`` method.

    Raises:
        ValueError: ``fn`` is not an async function.
    """
    if not inspect.iscoroutinefunction(fn):
        raise ValueError("Workflow run method must be an async function")
    if len(inspect.signature(fn).parameters) < 1:
        raise ValueError("Workflow run method must have a self parameter")
    setattr(fn, "__temporal_workflow_run", True)
    return cast(CallableAsyncType, fn)


@overload
def signal(fn: CallableType) -> CallableType: ...


@overload
def signal(*, name: str) -> Callable[[CallableType], CallableType]: ...


@overload
def signal(*, dynamic: bool) -> Callable[[CallableType], CallableType]: ...


def signal(
    fn: Optional[CallableType] = None,
    *,
    name: Optional[str] = None,
    dynamic: bool = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    description: Optional[str] = None,
) -> Any:
    """Mark a method as a signal handler (sync or async), named ``name``
    (default: the method's name). A ``dynamic`` handler receives every
    signal that has no handler of its own, as ``(name, args)`` with ``args``
    a ``Sequence[temporalio.common.RawValue]``. ``unfinished_policy``: what
    happens if the workflow finishes while this handler runs."""
    if name is not None and dynamic:
        raise RuntimeError("Cannot provide name and dynamic boolean")

    def decorate(f: CallableType) -> CallableType:
        sig_name = None if dynamic else (name or f.__name__)
        setattr(
            f,
            "__temporal_signal_definition",
            _SignalDefinition._make(sig_name, f, True, unfinished_policy),
        )
        return f

    if fn is not None:
        return decorate(fn)
    return decorate


@overload
def query(fn: CallableType) -> CallableType: ...


@overload
def query(*, name: str) -> Callable[[CallableType], CallableType]: ...


@overload
def query(*, dynamic: bool) -> Callable[[CallableType], CallableType]: ...


def query(
    fn: Optional[CallableType] = None,
    *,
    name: Optional[str] = None,
    dynamic: bool = False,
    description: Optional[str] = None,
) -> Any:
    """Mark a method as a query handler. It must be synchronous (``def``)
    and must not change the workflow's state; anything that would issue a
    command from it raises :class:`ReadOnlyContextError`."""
    if name is not None and dynamic:
        raise RuntimeError("Cannot provide name and dynamic boolean")

    def decorate(f: CallableType) -> CallableType:
        if inspect.iscoroutinefunction(f):
            raise ValueError("Query handlers must not be async functions")
        q_name = None if dynamic else (name or f.__name__)
        setattr(f, "__temporal_query_definition", _QueryDefinition._make(q_name, f, True))
        return f

    if fn is not None:
        return decorate(fn)
    return decorate


@overload
def update(fn: CallableType) -> CallableType: ...


@overload
def update(
    *,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    description: Optional[str] = None,
) -> Callable[[CallableType], CallableType]: ...


@overload
def update(
    *,
    name: str,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    description: Optional[str] = None,
) -> Callable[[CallableType], CallableType]: ...


@overload
def update(
    *,
    dynamic: bool,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    description: Optional[str] = None,
) -> Callable[[CallableType], CallableType]: ...


def update(
    fn: Optional[CallableType] = None,
    *,
    name: Optional[str] = None,
    dynamic: Optional[bool] = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    description: Optional[str] = None,
) -> Any:
    """Mark a method (sync or async) as the handler of update ``name``
    (default: the method's name); its return value is the update's result.
    A ``dynamic`` handler takes ``(name: str, args: Sequence[RawValue])`` and
    handles every update without a handler of its own.

    A validator (a plain ``def`` with the handler's parameters, returning
    None) is attached with ``@<handler>.validator``; it runs read-only before
    the update is accepted, and an exception from it rejects the update (the
    client gets :class:`temporalio.client.WorkflowUpdateFailedError`) and
    leaves no event in history. Once accepted, a
    :class:`temporalio.exceptions.FailureError` from the handler (or a
    declared workflow failure type) fails the update; any other exception
    fails the workflow task.

    ``unfinished_policy``: what happens if the workflow finishes while this
    handler runs. ``description`` is accepted for compatibility.

    Raises:
        RuntimeError: both ``name`` and ``dynamic``; a dynamic handler with
            ``*args``.
    """
    if name is not None and dynamic:
        raise RuntimeError("Cannot provide name and dynamic boolean")

    def decorate(f: CallableType) -> CallableType:
        upd_name = None if dynamic else (name or f.__name__)
        d = _UpdateDefinition._make(upd_name, f, True, unfinished_policy)
        setattr(f, "__temporal_update_definition", d)
        setattr(f, "_defn", d)

        def validator(vfn: Callable[..., None]) -> Callable[..., None]:
            d.set_validator(vfn)
            return vfn

        setattr(f, "validator", validator)
        return f

    if fn is not None:
        return decorate(fn)
    return decorate


# ---- the runtime a running workflow provides ----------------------------------------------


class _Runtime(ABC):
    """What the workflow instance (its event loop) implements for this
    module's functions."""

    @staticmethod
    def current() -> "_Runtime":
        rt = _Runtime.maybe_current()
        if rt is None:
            raise _NotInWorkflowEventLoopError()
        return rt

    @staticmethod
    def maybe_current() -> Optional["_Runtime"]:
        loop = asyncio._get_running_loop()
        return getattr(loop, "_temporal_runtime", None) if loop is not None else None

    @abstractmethod
    def workflow_info(self) -> Info: ...

    @abstractmethod
    def workflow_instance(self) -> Any: ...

    @abstractmethod
    def workflow_is_replaying(self) -> bool: ...

    @abstractmethod
    def workflow_history_info(self) -> Tuple[int, int, bool]:
        """(history length, history size in bytes, continue-as-new suggested)."""

    @abstractmethod
    def workflow_time_ns(self) -> int: ...

    @abstractmethod
    def workflow_random(self) -> Random: ...

    @abstractmethod
    def workflow_payload_converter(self) -> "PayloadConverter": ...

    @abstractmethod
    def workflow_memo(self) -> Mapping[str, Any]: ...

    @abstractmethod
    def workflow_memo_value(self, key: str, default: Any, type_hint: Optional[type]) -> Any: ...

    @abstractmethod
    def workflow_upsert_memo(self, updates: Mapping[str, Any]) -> None: ...

    @abstractmethod
    def workflow_upsert_search_attributes(self, attributes: Any) -> None: ...

    @abstractmethod
    def workflow_get_current_details(self) -> str: ...

    @abstractmethod
    def workflow_set_current_details(self, details: str) -> None: ...

    @abstractmethod
    def workflow_has_last_completion_result(self) -> bool: ...

    @abstractmethod
    def workflow_last_completion_result(self, type_hint: Optional[type]) -> Any: ...

    @abstractmethod
    def workflow_last_failure(self) -> Optional[BaseException]: ...

    @abstractmethod
    async def workflow_sleep(self, duration: float) -> None: ...

    @abstractmethod
    async def workflow_wait_condition(
        self, fn: Callable[[], bool], timeout: Optional[float]
    ) -> None: ...

    @abstractmethod
    def workflow_start_activity(
        self,
        activity: str,
        args: Sequence[Any],
        *,
        task_queue: Optional[str],
        result_type: Optional[type],
        schedule_to_close_timeout: Optional[timedelta],
        schedule_to_start_timeout: Optional[timedelta],
        start_to_close_timeout: Optional[timedelta],
        heartbeat_timeout: Optional[timedelta],
        retry_policy: Optional[temporalio.common.RetryPolicy],
        cancellation_type: ActivityCancellationType,
        activity_id: Optional[str],
    ) -> "ActivityHandle[Any]": ...

    @abstractmethod
    def workflow_start_local_activity(
        self,
        activity: str,
        args: Sequence[Any],
        *,
        result_type: Optional[type],
        schedule_to_close_timeout: Optional[timedelta],
        schedule_to_start_timeout: Optional[timedelta],
        start_to_close_timeout: Optional[timedelta],
        retry_policy: Optional[temporalio.common.RetryPolicy],
        local_retry_threshold: Optional[timedelta],
        cancellation_type: ActivityCancellationType,
        activity_id: Optional[str],
        summary: Optional[str],
    ) -> "ActivityHandle[Any]": ...

    @abstractmethod
    async def workflow_start_child_workflow(
        self,
        workflow: str,
        args: Sequence[Any],
        *,
        id: str,
        task_queue: Optional[str],
        result_type: Optional[type],
        cancellation_type: ChildWorkflowCancellationType,
        parent_close_policy: ParentClosePolicy,
        execution_timeout: Optional[timedelta],
        run_timeout: Optional[timedelta],
        task_timeout: Optional[timedelta],
        id_reuse_policy: temporalio.common.WorkflowIDReusePolicy,
        retry_policy: Optional[temporalio.common.RetryPolicy],
        cron_schedule: str,
        memo: Optional[Mapping[str, Any]],
        search_attributes: Any,
        versioning_intent: Any,
        static_summary: Optional[str],
        static_details: Optional[str],
        priority: temporalio.common.Priority,
        versioning_override: Any,
    ) -> "ChildWorkflowHandle[Any, Any]": ...

    @abstractmethod
    def workflow_get_external_workflow_handle(
        self, id: str, *, run_id: Optional[str]
    ) -> "ExternalWorkflowHandle[Any]": ...

    @abstractmethod
    def workflow_patch(self, id: str, *, deprecated: bool) -> bool: ...

    @abstractmethod
    def workflow_continue_as_new(self, err: "_ContinueAsNewError") -> None:
        """Check the context (raises ReadOnlyContextError in a query)."""

    @abstractmethod
    def workflow_get_signal_handler(self, name: Optional[str]) -> Optional[Callable[..., Any]]: ...

    @abstractmethod
    def workflow_set_signal_handler(
        self, name: Optional[str], handler: Optional[Callable[..., Any]]
    ) -> None: ...

    @abstractmethod
    def workflow_get_query_handler(self, name: Optional[str]) -> Optional[Callable[..., Any]]: ...

    @abstractmethod
    def workflow_get_update_handler(self, name: Optional[str]) -> Optional[Callable[..., Any]]: ...

    @abstractmethod
    def workflow_set_update_handler(
        self,
        name: Optional[str],
        handler: Optional[Callable[..., Any]],
        validator: Optional[Callable[..., Any]],
        unfinished_policy: HandlerUnfinishedPolicy,
    ) -> None: ...

    @abstractmethod
    def workflow_all_handlers_finished(self) -> bool: ...

    @abstractmethod
    def workflow_set_query_handler(
        self, name: Optional[str], handler: Optional[Callable[..., Any]]
    ) -> None: ...


def in_workflow() -> bool:
    """Whether the caller runs in a workflow (its event loop)."""
    return _Runtime.maybe_current() is not None


def info() -> Info:
    """The current workflow's :class:`Info`."""
    return _Runtime.current().workflow_info()


def instance() -> Any:
    """The current workflow's object (the instance of its class)."""
    return _Runtime.current().workflow_instance()


def now() -> datetime:
    """The workflow's current time (the time of the current workflow task,
    deterministic on replay), timezone-aware UTC."""
    return datetime.fromtimestamp(time(), timezone.utc)


def time() -> float:
    """The workflow's current time in seconds since the epoch (see :func:`now`)."""
    return _Runtime.current().workflow_time_ns() / 1e9


def time_ns() -> int:
    """The workflow's current time in nanoseconds since the epoch (see :func:`now`)."""
    return _Runtime.current().workflow_time_ns()


def random() -> Random:
    """A deterministic :class:`random.Random` seeded by the run's seed
    (the same values on replay). Do not reseed it."""
    return _Runtime.current().workflow_random()


def uuid4() -> uuid.UUID:
    """A deterministic version-4 UUID drawn from :func:`random`."""
    return uuid.UUID(int=random().getrandbits(128), version=4)


def payload_converter() -> "PayloadConverter":
    """The payload converter the workflow uses (e.g. to decode the
    ``RawValue`` arguments of dynamic handlers)."""
    return _Runtime.current().workflow_payload_converter()


def get_current_details() -> str:
    """The workflow's current details (see :func:`set_current_details`);
    ``""`` until set."""
    return _Runtime.current().workflow_get_current_details()


def set_current_details(description: str) -> None:
    """Set the workflow's current details: text (Temporal markdown, may span
    lines) that the web UI and ``temporal workflow metadata`` show, answered
    by the built-in ``__temporal_workflow_metadata`` query. Not recorded in
    history. Raises :class:`ReadOnlyContextError` in a query handler."""
    if not isinstance(description, str):
        raise TypeError(f"description must be a str, not {type(description).__name__}")
    _Runtime.current().workflow_set_current_details(description)


def has_last_completion_result() -> bool:
    """Whether the previous run (of a cron or scheduled workflow, or the run
    before a retry) left a completion result."""
    return _Runtime.current().workflow_has_last_completion_result()


def get_last_completion_result(type_hint: Optional[type] = None) -> Optional[Any]:
    """The result of the previous run (see :func:`has_last_completion_result`),
    converted as ``type_hint`` when given; None if there was none (or it was
    None)."""
    return _Runtime.current().workflow_last_completion_result(type_hint)


def get_last_failure() -> Optional[BaseException]:
    """The failure of the previous run (e.g. the attempt before a workflow
    retry, or a failed cron run), as an exception; None if there was none."""
    return _Runtime.current().workflow_last_failure()


def memo() -> Mapping[str, Any]:
    """The workflow's memo, each value decoded with the payload converter."""
    return _Runtime.current().workflow_memo()


_memo_unset: Any = object()


def memo_value(key: str, default: Any = _memo_unset, *, type_hint: Optional[type] = None) -> Any:
    """The memo value for ``key`` decoded (as ``type_hint`` when given).

    Raises:
        KeyError: no such key and no default given.
    """
    return _Runtime.current().workflow_memo_value(key, default, type_hint)


def upsert_memo(updates: Mapping[str, Any]) -> None:
    """Add, change (or, with a ``None`` value, remove) memo entries; issues a
    ``modify_workflow_properties`` command."""
    _Runtime.current().workflow_upsert_memo(updates)


def upsert_search_attributes(
    attributes: Union[
        Mapping[str, Sequence[Any]], Sequence[temporalio.common.SearchAttributeUpdate[Any]]
    ],
) -> None:
    """Add, change or remove search attributes; issues an
    ``upsert_workflow_search_attributes`` command and updates
    ``info().search_attributes`` and ``info().typed_search_attributes``.

    Args:
        attributes: Typed updates (``key.value_set(v)``, ``key.value_unset()``),
            or the older untyped form: name -> list of values (an empty list
            removes the attribute).

    Raises:
        TypeError: a value does not suit its key's type, or an item is not an update.
        ReadOnlyContextError: called from a query handler.
    """
    if not attributes:
        return
    _Runtime.current().workflow_upsert_search_attributes(attributes)


def _seconds(value: Union[float, timedelta], what: str) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds or a timedelta, got {value!r}")
    return float(value)


async def sleep(duration: Union[float, timedelta], *, summary: Optional[str] = None) -> None:
    """Sleep ``duration`` (seconds or a timedelta) with a durable timer
    (a ``start_timer`` command). ``asyncio.sleep`` does the same."""
    await _Runtime.current().workflow_sleep(_seconds(duration, "duration"))


async def wait(
    fs: Iterable[Any],
    *,
    timeout: Optional[float] = None,
    return_when: str = asyncio.ALL_COMPLETED,
) -> Tuple[List[Any], List[Any]]:
    """A deterministic :func:`asyncio.wait` for workflows (as in the official
    SDK): wait for the tasks or futures ``fs`` until ``return_when``
    (``asyncio.FIRST_COMPLETED``, ``FIRST_EXCEPTION`` or ``ALL_COMPLETED``)
    or ``timeout`` seconds (a durable timer). Returns ``(done, pending)`` as
    lists in the order of ``fs`` (``asyncio.wait`` returns sets, whose order
    varies between runs and so breaks replay).

    Raises:
        TypeError: ``fs`` is one future or coroutine, or holds coroutines.
        ValueError: ``fs`` is empty, or ``return_when`` is not one of the three.
    """
    if asyncio.isfuture(fs) or asyncio.iscoroutine(fs):
        raise TypeError(f"Expect an iterable of Tasks/Futures, not {type(fs).__name__}")
    futs = list(fs)
    if not futs:
        raise ValueError("Sequence of Tasks/Futures must not be empty.")
    if return_when not in (asyncio.FIRST_COMPLETED, asyncio.FIRST_EXCEPTION, asyncio.ALL_COMPLETED):
        raise ValueError(f"Invalid return_when value: {return_when}")
    if any(asyncio.iscoroutine(f) for f in futs):
        raise TypeError("Passing coroutines is forbidden, use tasks explicitly.")
    loop = asyncio.get_running_loop()
    woken: asyncio.Future[None] = loop.create_future()
    left = len(futs)

    def wake(_: Any = None) -> None:
        if not woken.done():
            woken.set_result(None)

    def on_done(f: Any) -> None:
        nonlocal left
        left -= 1
        failed = not f.cancelled() and f.exception() is not None
        if (
            left == 0
            or return_when == asyncio.FIRST_COMPLETED
            or (return_when == asyncio.FIRST_EXCEPTION and failed)
        ):
            wake()

    timer = loop.call_later(timeout, wake) if timeout is not None else None
    for f in futs:
        f.add_done_callback(on_done)
    try:
        await woken
    finally:
        if timer is not None:
            timer.cancel()
        for f in futs:
            f.remove_done_callback(on_done)
    return [f for f in futs if f.done()], [f for f in futs if not f.done()]


def as_completed(fs: Iterable[Awaitable[Any]], *, timeout: Optional[float] = None) -> Iterator[Any]:
    """A deterministic :func:`asyncio.as_completed` for workflows (as in the
    official SDK): yields one awaitable per item of ``fs``; each gives the
    next result in completion order (ties in the order of ``fs``). After
    ``timeout`` seconds (a durable timer) the ones left raise
    ``asyncio.TimeoutError``.

    Raises:
        TypeError: ``fs`` is one future or coroutine.
    """
    if asyncio.isfuture(fs) or asyncio.iscoroutine(fs):
        raise TypeError(f"expect an iterable of futures, not {type(fs).__name__}")
    loop = asyncio.get_event_loop()
    todo: List[Any] = [asyncio.ensure_future(f, loop=loop) for f in list(fs)]
    count = len(todo)
    finished: List[Any] = []  # completed futures, None for a timeout, in order
    waiting: List[asyncio.Future[Any]] = []  # consumers waiting for the next one
    timer: Optional[asyncio.TimerHandle] = None

    def hand_over(item: Any) -> None:
        while waiting:
            w = waiting.pop(0)
            if not w.done():
                w.set_result(item)
                return
        finished.append(item)

    def on_done(f: Any) -> None:
        if f in todo:
            todo.remove(f)
            hand_over(f)
            if not todo and timer is not None:
                timer.cancel()

    def on_timeout() -> None:
        for f in todo:
            f.remove_done_callback(on_done)
            hand_over(None)
        todo.clear()

    async def next_result() -> Any:
        if finished:
            item = finished.pop(0)
        else:
            w: asyncio.Future[Any] = loop.create_future()
            waiting.append(w)
            item = await w
        if item is None:
            raise asyncio.TimeoutError
        return item.result()

    for f in todo:
        f.add_done_callback(on_done)
    if todo and timeout is not None:
        timer = loop.call_later(timeout, on_timeout)
    for _ in range(count):
        yield next_result()


async def wait_condition(
    fn: Callable[[], bool],
    *,
    timeout: Optional[Union[timedelta, float]] = None,
    timeout_summary: Optional[str] = None,
) -> None:
    """Wait until ``fn()`` is true; it is checked after each step of the
    workflow's code.

    Raises:
        asyncio.TimeoutError: ``timeout`` (a durable timer) passed first.
    """
    t = None if timeout is None else _seconds(timeout, "timeout")
    await _Runtime.current().workflow_wait_condition(fn, t)


# ---- activities -----------------------------------------------------------------------------


class ActivityHandle(asyncio.Task, Generic[ReturnType]):  # type: ignore[type-arg]
    """The task of a started activity (:func:`start_activity`): await it
    for the result; ``cancel()`` requests the activity's cancellation (what
    happens then depends on its :class:`ActivityCancellationType`)."""


def _activity_name(activity: Any) -> str:
    if isinstance(activity, str):
        return activity
    if callable(activity):
        from temporalio.activity import _definition_of

        d = _definition_of(activity)
        if d is None:
            d = _definition_of(getattr(activity, "__func__", None))
        if d is None and isinstance(activity, type):
            d = _definition_of(getattr(activity, "__call__", None))
        if d is None:
            # The official SDK's message (the function's __name__, unquoted).
            raise TypeError(
                f"Activity {getattr(activity, '__name__', '<unknown>')} missing attributes, "
                "was it decorated with @activity.defn?"
            )
        if d.name is None:  # the dynamic activity has no type name to call
            raise ValueError(f"Activity {activity} definition has no name")
        return d.name
    raise TypeError("Activity must be a string or callable")


def _activity_result_type(activity: Any) -> Optional[type]:
    if isinstance(activity, str):
        return None
    fn = activity
    if isinstance(activity, type):
        fn = getattr(activity, "__call__", None)
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        return None
    ret = hints.get("return")
    origin = typing.get_origin(ret)
    if origin is not None and origin in (typing.Awaitable, typing.Coroutine):
        args = typing.get_args(ret)
        ret = args[-1] if args else None
    return ret if ret is not type(None) else None


def _args(arg: Any, args: Sequence[Any]) -> Sequence[Any]:
    if arg is not _arg_unset:
        if args:
            raise ValueError("Cannot have arg and args")  # the official message
        return [arg]
    return list(args)


def start_activity(
    activity: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = [],
    task_queue: Optional[str] = None,
    result_type: Optional[type] = None,
    schedule_to_close_timeout: Optional[timedelta] = None,
    schedule_to_start_timeout: Optional[timedelta] = None,
    start_to_close_timeout: Optional[timedelta] = None,
    heartbeat_timeout: Optional[timedelta] = None,
    retry_policy: Optional[temporalio.common.RetryPolicy] = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: Optional[str] = None,
    versioning_intent: Any = None,
    summary: Optional[str] = None,
) -> ActivityHandle[Any]:
    """Schedule an activity (a ``schedule_activity`` command) and return its
    handle.

    Args:
        activity: The activity: an ``@activity.defn`` callable or a type name.
        arg: A single argument (or use ``args``).
        args: The arguments.
        task_queue: Its task queue; default: the workflow's.
        result_type: Decode the result as this type; default: the callable's
            return hint.
        schedule_to_close_timeout: Whole time allowed, retries included.
        schedule_to_start_timeout: Time allowed in the task queue.
        start_to_close_timeout: Time allowed for one attempt. One of this and
            ``schedule_to_close_timeout`` is required.
        heartbeat_timeout: Longest gap between heartbeats.
        retry_policy: How the server retries it; default: the server's.
        cancellation_type: What cancelling the handle waits for.
        activity_id: Its id; default: the command's sequence number.

    Raises:
        ValueError: neither ``start_to_close_timeout`` nor
            ``schedule_to_close_timeout`` given.
        ReadOnlyContextError: called from a query handler.
    """
    if schedule_to_close_timeout is None and start_to_close_timeout is None:
        raise ValueError("Activity must have start_to_close_timeout or schedule_to_close_timeout")
    return _Runtime.current().workflow_start_activity(
        _activity_name(activity),
        _args(arg, args),
        task_queue=task_queue,
        result_type=result_type if result_type is not None else _activity_result_type(activity),
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        cancellation_type=ActivityCancellationType(cancellation_type),
        activity_id=activity_id,
    )


async def execute_activity(
    activity: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = [],
    task_queue: Optional[str] = None,
    result_type: Optional[type] = None,
    schedule_to_close_timeout: Optional[timedelta] = None,
    schedule_to_start_timeout: Optional[timedelta] = None,
    start_to_close_timeout: Optional[timedelta] = None,
    heartbeat_timeout: Optional[timedelta] = None,
    retry_policy: Optional[temporalio.common.RetryPolicy] = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: Optional[str] = None,
    versioning_intent: Any = None,
    summary: Optional[str] = None,
) -> Any:
    """:func:`start_activity` and wait for its result.

    Raises:
        temporalio.exceptions.ActivityError: the activity failed, timed out
            or was cancelled (``cause`` says which).
    """
    return await start_activity(
        activity,
        arg,
        args=args,
        task_queue=task_queue,
        result_type=result_type,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
    )


def start_activity_class(
    activity: Type[Any], arg: Any = _arg_unset, **kwargs: Any
) -> ActivityHandle[Any]:
    """:func:`start_activity` for an ``@activity.defn`` callable class."""
    return start_activity(activity, arg, **kwargs)


async def execute_activity_class(activity: Type[Any], arg: Any = _arg_unset, **kwargs: Any) -> Any:
    """:func:`execute_activity` for an ``@activity.defn`` callable class."""
    return await execute_activity(activity, arg, **kwargs)


def start_activity_method(
    activity: Callable[..., Any], arg: Any = _arg_unset, **kwargs: Any
) -> ActivityHandle[Any]:
    """:func:`start_activity` for an ``@activity.defn`` method (named by
    its decorator, e.g. ``MyActivities.do_it``)."""
    return start_activity(activity, arg, **kwargs)


async def execute_activity_method(
    activity: Callable[..., Any], arg: Any = _arg_unset, **kwargs: Any
) -> Any:
    """:func:`execute_activity` for an ``@activity.defn`` method."""
    return await execute_activity(activity, arg, **kwargs)


class LocalActivityConfig(TypedDict, total=False):
    """The keyword arguments of :func:`start_local_activity` and
    :func:`execute_local_activity`, as a TypedDict (e.g. to pass ``**config``)."""

    schedule_to_close_timeout: Optional[timedelta]
    schedule_to_start_timeout: Optional[timedelta]
    start_to_close_timeout: Optional[timedelta]
    retry_policy: Optional[temporalio.common.RetryPolicy]
    local_retry_threshold: Optional[timedelta]
    cancellation_type: ActivityCancellationType
    activity_id: Optional[str]
    summary: Optional[str]


def start_local_activity(
    activity: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = [],
    result_type: Optional[type] = None,
    schedule_to_close_timeout: Optional[timedelta] = None,
    schedule_to_start_timeout: Optional[timedelta] = None,
    start_to_close_timeout: Optional[timedelta] = None,
    retry_policy: Optional[temporalio.common.RetryPolicy] = None,
    local_retry_threshold: Optional[timedelta] = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: Optional[str] = None,
    summary: Optional[str] = None,
) -> ActivityHandle[Any]:
    """Schedule a local activity (a ``schedule_local_activity`` command): run
    by this worker, no server round trip; its outcome is recorded in the
    workflow's history as a ``core_local_activity`` marker, and replays
    resolve from that marker without running it again. The activity must be
    registered on the same worker.

    Args:
        activity: The activity: an ``@activity.defn`` callable or a type name.
        arg: A single argument (or use ``args``).
        args: The arguments.
        result_type: Decode the result as this type; default: the callable's
            return hint.
        schedule_to_close_timeout: Whole time allowed, retries included.
        schedule_to_start_timeout: Time allowed before it starts.
        start_to_close_timeout: Time allowed for one attempt. One of this and
            ``schedule_to_close_timeout`` is required.
        retry_policy: How the worker retries it; default: retry forever with
            exponential backoff (1 s initial, coefficient 2, at most 100 s).
        local_retry_threshold: Retries whose backoff is at most this long
            happen in the worker; a longer backoff is a durable timer in the
            workflow, then the next attempt. Default: 1 minute.
        cancellation_type: What cancelling the handle waits for.
        activity_id: Its id; default: the command's sequence number.
        summary: A single-line summary recorded with its marker.

    Raises:
        ValueError: neither ``start_to_close_timeout`` nor
            ``schedule_to_close_timeout`` given.
        ReadOnlyContextError: called from a query handler.
    """
    if schedule_to_close_timeout is None and start_to_close_timeout is None:
        raise ValueError("Activity must have start_to_close_timeout or schedule_to_close_timeout")
    return _Runtime.current().workflow_start_local_activity(
        _activity_name(activity),
        _args(arg, args),
        result_type=result_type if result_type is not None else _activity_result_type(activity),
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        retry_policy=retry_policy,
        local_retry_threshold=local_retry_threshold,
        cancellation_type=ActivityCancellationType(cancellation_type),
        activity_id=activity_id,
        summary=summary,
    )


async def execute_local_activity(
    activity: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = [],
    result_type: Optional[type] = None,
    schedule_to_close_timeout: Optional[timedelta] = None,
    schedule_to_start_timeout: Optional[timedelta] = None,
    start_to_close_timeout: Optional[timedelta] = None,
    retry_policy: Optional[temporalio.common.RetryPolicy] = None,
    local_retry_threshold: Optional[timedelta] = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: Optional[str] = None,
    summary: Optional[str] = None,
) -> Any:
    """:func:`start_local_activity` and wait for its result.

    Raises:
        temporalio.exceptions.ActivityError: the local activity failed (its
            retries spent), timed out or was cancelled (``cause`` says which).
    """
    return await start_local_activity(
        activity,
        arg,
        args=args,
        result_type=result_type,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        retry_policy=retry_policy,
        local_retry_threshold=local_retry_threshold,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        summary=summary,
    )


def start_local_activity_class(
    activity: Type[Any], arg: Any = _arg_unset, **kwargs: Any
) -> ActivityHandle[Any]:
    """:func:`start_local_activity` for an ``@activity.defn`` callable class."""
    return start_local_activity(activity, arg, **kwargs)


async def execute_local_activity_class(
    activity: Type[Any], arg: Any = _arg_unset, **kwargs: Any
) -> Any:
    """:func:`execute_local_activity` for an ``@activity.defn`` callable class."""
    return await execute_local_activity(activity, arg, **kwargs)


def start_local_activity_method(
    activity: Callable[..., Any], arg: Any = _arg_unset, **kwargs: Any
) -> ActivityHandle[Any]:
    """:func:`start_local_activity` for an ``@activity.defn`` method."""
    return start_local_activity(activity, arg, **kwargs)


async def execute_local_activity_method(
    activity: Callable[..., Any], arg: Any = _arg_unset, **kwargs: Any
) -> Any:
    """:func:`execute_local_activity` for an ``@activity.defn`` method."""
    return await execute_local_activity(activity, arg, **kwargs)


# ---- child workflows ------------------------------------------------------------------------

SelfType = TypeVar("SelfType")


class ChildWorkflowHandle(asyncio.Task, Generic[SelfType, ReturnType]):  # type: ignore[type-arg]
    """A started child workflow (:func:`start_child_workflow`): an
    :class:`asyncio.Task` whose result is the child's result. Awaiting it
    raises :class:`temporalio.exceptions.ChildWorkflowError` when the child
    failed, timed out, was terminated or cancelled (``cause`` says which);
    ``cancel()`` cancels the child as its :class:`ChildWorkflowCancellationType`
    says."""

    @property
    def id(self) -> str:
        """The child's workflow id."""
        raise NotImplementedError

    @property
    def first_execution_run_id(self) -> Optional[str]:
        """The run id of the child's first run (known once it started)."""
        raise NotImplementedError

    async def signal(
        self,
        signal: Union[str, Callable[..., Any]],
        arg: Any = _arg_unset,
        *,
        args: Sequence[Any] = [],
        event_groups: Any = None,
    ) -> None:
        """Signal the child (a ``SignalExternalWorkflowExecution`` command
        limited to this workflow's children); returns once the server has
        delivered it.

        Args:
            signal: The signal's name or its ``@workflow.signal`` method.
            arg: A single argument (or use ``args``).
            args: The arguments.
            event_groups: Not supported by this SDK (must be None).

        Raises:
            temporalio.exceptions.ApplicationError: the server could not
                deliver it (e.g. the child has ended): type
                ``ExternalWorkflowExecutionNotFound``.
            ReadOnlyContextError: called from a query handler.
        """
        raise NotImplementedError


class ChildWorkflowConfig(TypedDict, total=False):
    """The keyword arguments of :func:`start_child_workflow` and
    :func:`execute_child_workflow`, as a TypedDict (e.g. to pass ``**config``)."""

    id: Optional[str]
    task_queue: Optional[str]
    cancellation_type: ChildWorkflowCancellationType
    parent_close_policy: ParentClosePolicy
    execution_timeout: Optional[timedelta]
    run_timeout: Optional[timedelta]
    task_timeout: Optional[timedelta]
    id_reuse_policy: temporalio.common.WorkflowIDReusePolicy
    retry_policy: Optional[temporalio.common.RetryPolicy]
    cron_schedule: str
    memo: Optional[Mapping[str, Any]]
    search_attributes: Any
    versioning_intent: Any
    versioning_override: Any
    static_summary: Optional[str]
    static_details: Optional[str]
    event_groups: Any
    priority: temporalio.common.Priority


def _no_event_groups(event_groups: Any) -> None:
    if event_groups is not None:
        raise NotImplementedError("event_groups are not implemented in this SDK yet")


async def start_child_workflow(
    workflow: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = [],
    id: Optional[str] = None,
    task_queue: Optional[str] = None,
    result_type: Optional[type] = None,
    cancellation_type: ChildWorkflowCancellationType = (
        ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED
    ),
    parent_close_policy: ParentClosePolicy = ParentClosePolicy.TERMINATE,
    execution_timeout: Optional[timedelta] = None,
    run_timeout: Optional[timedelta] = None,
    task_timeout: Optional[timedelta] = None,
    id_reuse_policy: temporalio.common.WorkflowIDReusePolicy = (
        temporalio.common.WorkflowIDReusePolicy.ALLOW_DUPLICATE
    ),
    retry_policy: Optional[temporalio.common.RetryPolicy] = None,
    cron_schedule: str = "",
    memo: Optional[Mapping[str, Any]] = None,
    search_attributes: Any = None,
    versioning_intent: Any = None,
    static_summary: Optional[str] = None,
    static_details: Optional[str] = None,
    event_groups: Any = None,
    priority: temporalio.common.Priority = temporalio.common.Priority.default,
    versioning_override: Any = None,
) -> ChildWorkflowHandle[Any, Any]:
    """Start a child workflow (a ``StartChildWorkflowExecution`` command) and
    return its handle once the server has started it.

    Args:
        workflow: The workflow: its ``@workflow.run`` method or its type name.
        arg: A single argument (or use ``args``).
        args: The arguments.
        id: The child's workflow id; default: :func:`uuid4` (deterministic).
        task_queue: Its task queue; default: this workflow's.
        result_type: Decode the result as this type; default: the run
            method's return hint.
        cancellation_type: What cancelling the handle does and waits for.
        parent_close_policy: What happens to the child when this workflow closes.
        execution_timeout: Whole time allowed, retries and continue-as-new included.
        run_timeout: Time allowed for one run.
        task_timeout: Time allowed for one workflow task.
        id_reuse_policy: Whether the id of a closed workflow may be used again.
        retry_policy: How the server retries the child; default: no retries.
        cron_schedule: Run the child on this cron schedule.
        memo: The child's memo.
        search_attributes: The child's search attributes
            (:class:`temporalio.common.TypedSearchAttributes`, or the
            deprecated name -> values mapping).
        versioning_intent: Accepted for compatibility; build ids are
            inherited when the child runs on this task queue.
        static_summary: A one-line summary shown in the UI.
        static_details: Longer details shown in the UI.
        event_groups: Not supported by this SDK (must be None).
        priority: Priority of the child's tasks.
        versioning_override: The child's versioning override.

    Raises:
        temporalio.exceptions.WorkflowAlreadyStartedError: a workflow with
            this id is running (or the reuse policy forbids reusing it).
        temporalio.exceptions.ChildWorkflowError: cancelled before it started.
        ReadOnlyContextError: called from a query handler.
    """
    _no_event_groups(event_groups)
    from temporalio._checks import _workflow_name_and_result_type

    name, declared = _workflow_name_and_result_type(workflow)
    return await _Runtime.current().workflow_start_child_workflow(
        name,
        _args(arg, args),
        id=id or str(uuid4()),
        task_queue=task_queue,
        result_type=result_type if result_type is not None else declared,
        cancellation_type=ChildWorkflowCancellationType(cancellation_type),
        parent_close_policy=ParentClosePolicy(parent_close_policy),
        execution_timeout=execution_timeout,
        run_timeout=run_timeout,
        task_timeout=task_timeout,
        id_reuse_policy=id_reuse_policy,
        retry_policy=retry_policy,
        cron_schedule=cron_schedule,
        memo=memo,
        search_attributes=search_attributes,
        versioning_intent=versioning_intent,
        static_summary=static_summary,
        static_details=static_details,
        priority=priority,
        versioning_override=versioning_override,
    )


async def execute_child_workflow(
    workflow: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = [],
    id: Optional[str] = None,
    task_queue: Optional[str] = None,
    result_type: Optional[type] = None,
    cancellation_type: ChildWorkflowCancellationType = (
        ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED
    ),
    parent_close_policy: ParentClosePolicy = ParentClosePolicy.TERMINATE,
    execution_timeout: Optional[timedelta] = None,
    run_timeout: Optional[timedelta] = None,
    task_timeout: Optional[timedelta] = None,
    id_reuse_policy: temporalio.common.WorkflowIDReusePolicy = (
        temporalio.common.WorkflowIDReusePolicy.ALLOW_DUPLICATE
    ),
    retry_policy: Optional[temporalio.common.RetryPolicy] = None,
    cron_schedule: str = "",
    memo: Optional[Mapping[str, Any]] = None,
    search_attributes: Any = None,
    versioning_intent: Any = None,
    static_summary: Optional[str] = None,
    static_details: Optional[str] = None,
    event_groups: Any = None,
    priority: temporalio.common.Priority = temporalio.common.Priority.default,
    versioning_override: Any = None,
) -> Any:
    """:func:`start_child_workflow` and wait for the child's result
    (``await (await start_child_workflow(...))``).

    Raises:
        temporalio.exceptions.ChildWorkflowError: the child failed, timed
            out, was terminated or cancelled (``cause`` says which).
        temporalio.exceptions.WorkflowAlreadyStartedError: see
            :func:`start_child_workflow`.
    """
    handle = await start_child_workflow(
        workflow,
        arg,
        args=args,
        id=id,
        task_queue=task_queue,
        result_type=result_type,
        cancellation_type=cancellation_type,
        parent_close_policy=parent_close_policy,
        execution_timeout=execution_timeout,
        run_timeout=run_timeout,
        task_timeout=task_timeout,
        id_reuse_policy=id_reuse_policy,
        retry_policy=retry_policy,
        cron_schedule=cron_schedule,
        memo=memo,
        search_attributes=search_attributes,
        versioning_intent=versioning_intent,
        static_summary=static_summary,
        static_details=static_details,
        event_groups=event_groups,
        priority=priority,
        versioning_override=versioning_override,
    )
    return await handle


# ---- other workflows -------------------------------------------------------------------------


class ExternalWorkflowHandle(Generic[SelfType]):
    """Another workflow (:func:`get_external_workflow_handle`): signal it or
    request its cancellation from this workflow."""

    @property
    def id(self) -> str:
        """Its workflow id."""
        raise NotImplementedError

    @property
    def run_id(self) -> Optional[str]:
        """Its run id, if one was given (None: the latest run)."""
        raise NotImplementedError

    async def signal(
        self,
        signal: Union[str, Callable[..., Any]],
        arg: Any = _arg_unset,
        *,
        args: Sequence[Any] = [],
        event_groups: Any = None,
    ) -> None:
        """Signal it (a ``SignalExternalWorkflowExecution`` command); returns
        once the server has delivered the signal.

        Args:
            signal: The signal's name or its ``@workflow.signal`` method.
            arg: A single argument (or use ``args``).
            args: The arguments.
            event_groups: Not supported by this SDK (must be None).

        Raises:
            temporalio.exceptions.ApplicationError: the server could not
                deliver it (type ``ExternalWorkflowExecutionNotFound`` when
                there is no such running workflow).
            ReadOnlyContextError: called from a query handler.
        """
        raise NotImplementedError

    async def cancel(self, *, reason: str = "", event_groups: Any = None) -> None:
        """Request its cancellation (a ``RequestCancelExternalWorkflowExecution``
        command); returns once the server has delivered the request.

        Args:
            reason: Recorded with the request.
            event_groups: Not supported by this SDK (must be None).

        Raises:
            temporalio.exceptions.ApplicationError: the server could not
                deliver it (type ``ExternalWorkflowExecutionNotFound``).
            ReadOnlyContextError: called from a query handler.
        """
        raise NotImplementedError


def get_external_workflow_handle(
    workflow_id: str, *, run_id: Optional[str] = None
) -> ExternalWorkflowHandle[Any]:
    """A handle to another workflow by its id (and run id; None: its latest
    run). No call is made until it is used."""
    return _Runtime.current().workflow_get_external_workflow_handle(workflow_id, run_id=run_id)


def get_external_workflow_handle_for(
    workflow: Callable[..., Any], workflow_id: str, *, run_id: Optional[str] = None
) -> ExternalWorkflowHandle[Any]:
    """:func:`get_external_workflow_handle`, typed by the workflow's run
    method (which is not checked, as in the official SDK)."""
    return get_external_workflow_handle(workflow_id, run_id=run_id)


# ---- continue-as-new -----------------------------------------------------------------------


def continue_as_new(
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = [],
    workflow: Union[None, str, Callable[..., Any]] = None,
    task_queue: Optional[str] = None,
    run_timeout: Optional[timedelta] = None,
    task_timeout: Optional[timedelta] = None,
    retry_policy: Optional[temporalio.common.RetryPolicy] = None,
    memo: Optional[Mapping[str, Any]] = None,
    search_attributes: Optional[Mapping[str, Sequence[Any]]] = None,
    versioning_intent: Any = None,
) -> NoReturn:
    """End this run and start a new one of the same workflow id (by default
    the same type and task queue) with the given arguments.

    Raises:
        ContinueAsNewError: always; let it propagate out of the workflow.
        ReadOnlyContextError: called from a query handler.
    """
    wf_type: Optional[str] = None
    if isinstance(workflow, str):
        wf_type = workflow
    elif workflow is not None:
        d = getattr(workflow, "__temporal_workflow_definition", None)
        if not isinstance(d, _Definition):
            raise TypeError("workflow must be a workflow type name or a @workflow.run method")
        if d.name is None:
            raise ValueError("Cannot invoke dynamic workflow explicitly")
        wf_type = d.name
    err = _ContinueAsNewError(
        args=_args(arg, args),
        workflow=wf_type,
        task_queue=task_queue,
        run_timeout=run_timeout,
        task_timeout=task_timeout,
        retry_policy=retry_policy,
        memo=memo,
        search_attributes=search_attributes,
    )
    _Runtime.current().workflow_continue_as_new(err)
    raise err


# ---- patching ----------------------------------------------------------------------------------


def patched(id: str) -> bool:
    """Whether this run takes the new code path of patch ``id``.

    True when the run is not replaying (a patch marker is then recorded in
    its history, and the ``TemporalChangeVersion`` search attribute lists
    the patch) and when replaying a history that has the marker; False when
    replaying a history written before the patch. The first answer for an
    ``id`` holds for the rest of the run. Once no run on the old path is
    left, replace the call with :py:func:`deprecate_patch`.

    Args:
        id: The patch's identifier; the same ``id`` may be asked about
            anywhere in the workflow and means the same patch.

    Returns:
        True for the new code path, False for the old one.

    Raises:
        ReadOnlyContextError: Called from a query handler.
    """
    return _Runtime.current().workflow_patch(id, deprecated=False)


def deprecate_patch(id: str) -> None:
    """Mark patch ``id`` deprecated: only its new code path is left.

    Use this in place of :py:func:`patched` once every run that took the
    old path is closed. New runs record a deprecated marker; histories with
    the patch's marker (deprecated or not) and histories with none both
    replay, and a later version of the code may drop the call entirely.

    Args:
        id: The identifier that was given to :py:func:`patched`.

    Raises:
        ReadOnlyContextError: Called from a query handler.
    """
    _Runtime.current().workflow_patch(id, deprecated=True)


# ---- handlers set at runtime ----------------------------------------------------------------


def get_signal_handler(name: str) -> Optional[Callable[..., Any]]:
    """The handler of signal ``name`` (set at runtime or by the class), or None."""
    return _Runtime.current().workflow_get_signal_handler(name)


def set_signal_handler(name: str, handler: Optional[Callable[..., Any]]) -> None:
    """Set (or with None, unset) the handler of signal ``name``. Signals
    that arrived before it existed are delivered to it at once, in order."""
    _Runtime.current().workflow_set_signal_handler(name, handler)


def get_dynamic_signal_handler() -> Optional[Callable[..., Any]]:
    """The dynamic signal handler, or None."""
    return _Runtime.current().workflow_get_signal_handler(None)


def set_dynamic_signal_handler(handler: Optional[Callable[..., Any]]) -> None:
    """Set (or unset) the handler of every signal without a handler of its
    own; it receives ``(name, args: Sequence[RawValue])``."""
    _Runtime.current().workflow_set_signal_handler(None, handler)


def get_query_handler(name: str) -> Optional[Callable[..., Any]]:
    """The handler of query ``name``, or None."""
    return _Runtime.current().workflow_get_query_handler(name)


def set_query_handler(name: str, handler: Optional[Callable[..., Any]]) -> None:
    """Set (or unset) the handler of query ``name``."""
    _Runtime.current().workflow_set_query_handler(name, handler)


def get_dynamic_query_handler() -> Optional[Callable[..., Any]]:
    """The dynamic query handler, or None."""
    return _Runtime.current().workflow_get_query_handler(None)


def set_dynamic_query_handler(handler: Optional[Callable[..., Any]]) -> None:
    """Set (or unset) the handler of every query without a handler of its own."""
    _Runtime.current().workflow_set_query_handler(None, handler)


def get_update_handler(name: str) -> Optional[Callable[..., Any]]:
    """The handler of update ``name`` (set at runtime or by the class), or
    None; never the dynamic handler."""
    return _Runtime.current().workflow_get_update_handler(name)


def set_update_handler(
    name: str,
    handler: Optional[Callable[..., Any]],
    *,
    validator: Optional[Callable[..., Any]] = None,
    description: Optional[str] = None,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
) -> None:
    """Set (or with None, unset) the handler of update ``name``, replacing
    the class's. ``validator`` (a plain ``def``, not ``async``) runs
    read-only before acceptance; an exception from it rejects the update.

    Raises:
        ValueError: ``validator`` is an async function.
        ReadOnlyContextError: called from a query or validator.
    """
    _Runtime.current().workflow_set_update_handler(name, handler, validator, unfinished_policy)


def get_dynamic_update_handler() -> Optional[Callable[..., Any]]:
    """The dynamic update handler, or None."""
    return _Runtime.current().workflow_get_update_handler(None)


def set_dynamic_update_handler(
    handler: Optional[Callable[..., Any]],
    *,
    validator: Optional[Callable[..., Any]] = None,
    description: Optional[str] = None,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
) -> None:
    """Set (or unset) the handler of every update without a handler of its
    own; it receives ``(name, args: Sequence[RawValue])``.

    Raises:
        RuntimeError: the handler takes ``*args``.
        ValueError: ``validator`` is an async function.
    """
    _Runtime.current().workflow_set_update_handler(None, handler, validator, unfinished_policy)


_current_update_info: "contextvars.ContextVar[UpdateInfo]" = contextvars.ContextVar(
    "temporal_current_update_info"
)


def current_update_info() -> Optional[UpdateInfo]:
    """The update whose handler (or validator) is running, or None. A
    context variable: also valid in the tasks the handler starts."""
    return _current_update_info.get(None)


def all_handlers_finished() -> bool:
    """Whether no signal or update handler is running; wait on it before
    returning so that none is abandoned:
    ``await workflow.wait_condition(workflow.all_handlers_finished)``."""
    return _Runtime.current().workflow_all_handlers_finished()


# ---- logging and unsafe ---------------------------------------------------------------------


class LoggerAdapter(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger adapter that adds the workflow's details: in ``extra``
    under ``temporal_workflow`` (when ``workflow_info_on_extra``) and
    appended to the message (when ``workflow_info_on_message``). Records
    are dropped while the workflow replays (unless
    ``log_during_replay``)."""

    def __init__(self, logger: logging.Logger, extra: Optional[Mapping[str, Any]]) -> None:
        super().__init__(logger, extra or {})
        self.workflow_info_on_message = True
        self.workflow_info_on_extra = True
        self.log_during_replay = False

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> Tuple[Any, MutableMapping[str, Any]]:
        rt = _Runtime.maybe_current()
        if rt is not None:
            details = dict(rt.workflow_info()._logger_details())
            update = current_update_info()  # in an update handler: its id and name too
            if update is not None:
                details.update(update._logger_details)
            if self.workflow_info_on_extra:
                extra = dict(self.extra or {})
                extra.update(kwargs.get("extra") or {})
                extra["temporal_workflow"] = details
                kwargs["extra"] = extra
            if self.workflow_info_on_message:
                msg = f"{msg} ({details})"
        return msg, kwargs

    def isEnabledFor(self, level: int) -> bool:
        rt = _Runtime.maybe_current()
        if rt is not None and not self.log_during_replay and rt.workflow_is_replaying():
            return False
        return super().isEnabledFor(level)

    @property
    def base_logger(self) -> logging.Logger:
        """The underlying logger."""
        return self.logger


logger = LoggerAdapter(logging.getLogger(__name__), None)
"""The workflow logger: workflow details in ``extra["temporal_workflow"]``,
silent while replaying."""


class unsafe:
    """Calls that are not deterministic or not safe in general."""

    def __init__(self) -> None:  # pragma: no cover
        raise RuntimeError("unsafe is a namespace")

    @staticmethod
    def is_replaying() -> bool:
        """Whether the workflow is replaying history (no new commands are
        being recorded)."""
        return _Runtime.current().workflow_is_replaying()

    @staticmethod
    def in_sandbox() -> bool:
        """Always False: this SDK has no sandbox yet."""
        return False

    @staticmethod
    def is_sandbox_unrestricted() -> bool:
        """Whether the code runs inside :meth:`sandbox_unrestricted` (always
        True here: there is no sandbox to restrict anything)."""
        return True

    @staticmethod
    @contextmanager
    def sandbox_unrestricted() -> Iterator[None]:
        """A no-op context manager, for code written for the official SDK's
        sandbox (this SDK has none: workflow code is never restricted)."""
        yield None

    @staticmethod
    def is_imports_passed_through() -> bool:
        """Whether imports pass through the sandbox (always True here: there
        is no sandbox, every module is imported once, normally)."""
        return True

    @staticmethod
    @contextmanager
    def imports_passed_through() -> Iterator[None]:
        """A no-op context manager: the official SDK's sandbox re-imports
        modules per workflow run unless they are imported inside this block;
        this SDK has no sandbox, so the imports in it are ordinary imports.
        Accepted so that workflow modules written for the official SDK
        (``with workflow.unsafe.imports_passed_through(): import ...``)
        run unchanged."""
        yield None


# Names of the official SDK's workflow API that this SDK does not have yet:
# asking for one says so (still an AttributeError, so hasattr() is False).
_NOT_YET = {
    **dict.fromkeys(
        ("create_nexus_client", "NexusClient", "NexusOperationHandle"), "Nexus operations"
    ),
    "metric_meter": "workflow metrics",
    "extern_functions": "the sandbox's extern functions (there is no sandbox)",
}


if not TYPE_CHECKING:  # a module __getattr__ would make type checkers accept any name

    def __getattr__(name: str) -> Any:
        what = _NOT_YET.get(name)
        if what is not None:
            raise AttributeError(
                f"module {__name__!r} has no attribute {name!r}: {what} are not implemented in "
                "this SDK yet"
            )
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
