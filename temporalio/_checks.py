"""Argument checks shared by the public modules (client, worker, common types).

Each check returns the value (converted where it says) or raises
:class:`TypeError` for a wrong type and :class:`ValueError` for a wrong value,
naming the argument as the caller gives it in ``name``. The messages are part
of the API (tests assert them): "<name> must be <what>, not <type name>" for
a type, "<name> must ..., got <value>" for a value. Importing this module
loads nothing beyond the standard library.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence  # isinstance: faster than typing's aliases
from datetime import timedelta
from typing import Any, Callable, Optional, Tuple, Type, TypeVar, Union

E = TypeVar("E")
T = TypeVar("T")


def _describe(value: Any) -> str:
    """``value``'s type name and its repr, cut to 60 characters, for messages
    about one item of a list ("interceptors[1] is a str 'nope', ...")."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _check_type(
    value: Any,
    types: Union[type, Tuple[type, ...]],
    name: str,
    what: str,
    *,
    optional: bool = False,
) -> Any:
    """``value`` if it is an instance of ``types`` (or None when
    ``optional``); else TypeError "<name> must be <what>, not <type>"."""
    if (value is None and optional) or isinstance(value, types):
        return value
    raise TypeError(f"{name} must be {what}, not {type(value).__name__}")


def _check_str(value: Any, name: str) -> str:
    """A non-empty str."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


def _check_list(value: Any, name: str, what: str) -> Sequence[Any]:
    """A sequence that is not a str or bytes (a list, a tuple, ...); else
    TypeError "<name> must be <what>, not <type>"."""
    if type(value) is list or type(value) is tuple:  # the common case, without the ABC check
        return value
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be {what}, not {type(value).__name__}")
    return value


def _check_plugin_list(plugins: Any, base: type, hooks: Tuple[str, ...]) -> list:
    """``plugins`` as a list; TypeError naming the position of anything that
    is not a ``base`` (``temporalio.client.Plugin`` or
    ``temporalio.worker.Plugin``) nor has its ``hooks``."""
    what = f"{base.__module__.rsplit('._', 1)[0]}.{base.__qualname__}"
    if isinstance(plugins, (str, bytes)) or not isinstance(plugins, Sequence):
        raise TypeError(f"plugins must be a sequence of {what}, got {type(plugins).__name__}")
    for i, p in enumerate(plugins):
        if not isinstance(p, base) and not all(callable(getattr(p, h, None)) for h in hooks):
            raise TypeError(f"plugins[{i}] must be a {what}, got {type(p).__name__}")
    return list(plugins)


def _through_plugins(plugins: Sequence[Any], hook: str, config: Any, what: str) -> Any:
    """``config`` (a dict) through each plugin's ``hook`` (``configure_client``,
    ``configure_worker`` or ``configure_replayer``), in order; TypeError
    naming the plugin when one returns something else than a dict (``what``:
    the TypedDict's name)."""
    for plugin in plugins:
        new = getattr(plugin, hook)(config)
        if not isinstance(new, dict):
            raise TypeError(
                f"{type(plugin).__name__}.{hook} must return the {what} (a dict), got "
                f"{type(new).__name__}"
            )
        config = new
    return config


def _plugin_chain(plugins: Sequence[Any], hook: str, last: Callable[..., T]) -> Callable[..., T]:
    """``last`` wrapped in each plugin's ``hook`` (``connect_service_client``,
    ``run_worker`` or ``run_replayer``), the first plugin outermost: calling
    the result with some arguments calls the first plugin's hook with them
    and a ``next`` that does the same for the following plugins, the last
    ``next`` being ``last``. Without plugins, ``last`` itself."""
    chain = last
    for plugin in reversed(plugins):
        chain = _chain_link(getattr(plugin, hook), chain)
    return chain


def _chain_link(hook: Callable[..., T], next: Callable[..., T]) -> Callable[..., T]:
    return lambda *args: hook(*args, next)


def _check_args(args: Any, name: str) -> Sequence[Any]:
    """Arguments of a call: a list (or other sequence), not a single str."""
    return _check_list(args, name, "a list of arguments")


def _check_mapping(value: Any, name: str) -> Optional[Mapping[str, Any]]:
    """None, or a mapping whose keys are non-empty str (memo, search attributes)."""
    if value is not None:
        _check_type(value, Mapping, name, "a mapping")
        for key in value:
            _check_str(key, f"{name} key")
    return value


def _check_int(value: Any, name: str) -> int:
    """An int (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return value


def _check_positive_int(value: Any, name: str) -> int:
    """An int of at least 1."""
    if _check_int(value, name) < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


def _check_number(value: Any, name: str) -> float:
    """A real number (not a bool), as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    return float(value)


def _check_positive_number(value: Any, name: str) -> Optional[float]:
    """None, or a positive finite number (as a float; NaN is refused)."""
    if value is None:
        return None
    rate = _check_number(value, name)
    if not rate > 0 or rate == float("inf"):  # also rejects NaN
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return rate


def _check_timedelta(
    value: Any,
    name: str,
    *,
    optional: bool = False,
    allow_zero: bool = True,
    show_value: bool = True,
) -> Optional[timedelta]:
    """A ``datetime.timedelta`` that is not negative (nor zero unless
    ``allow_zero``); None too when ``optional``. ``show_value=False`` leaves
    the value out of the ValueError's message."""
    if value is None and optional:
        return None
    if not isinstance(value, timedelta):
        raise TypeError(f"{name} must be a datetime.timedelta, not {type(value).__name__}")
    if value < timedelta(0) or (not allow_zero and value == timedelta(0)):
        limit = "negative" if allow_zero else "zero or negative"
        got = f", got {value!r}" if show_value else ""
        raise ValueError(f"{name} must not be {limit}{got}")
    return value


def _check_timeout(value: Any, name: str, *, allow_zero: bool = True) -> Optional[timedelta]:
    """None (no timeout) or a timedelta that is not negative (nor zero unless ``allow_zero``)."""
    return _check_timedelta(value, name, optional=True, allow_zero=allow_zero)


def _check_rpc_options(rpc_metadata: Any, rpc_timeout: Any) -> None:
    """The per-call options of a client operation: a metadata mapping and a
    positive timeout or None. (The connection checks the header names and
    values themselves when it sends them.)"""
    _check_type(rpc_metadata, Mapping, "rpc_metadata", "a mapping")
    _check_timeout(rpc_timeout, "rpc_timeout", allow_zero=False)


def _check_enum(enum: Type[E], value: Any, name: str) -> E:
    """A member of the int enum ``enum``, from a member or its int value."""
    if type(value) is enum:  # a member already (the common case: the default)
        return value  # type: ignore[return-value]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a {enum.__name__}, not {type(value).__name__}")
    try:
        return enum(value)  # type: ignore[call-arg]
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a {enum.__name__}") from None


def _seconds(timeout: Union[None, float, timedelta]) -> Optional[float]:
    """A timeout given as seconds or a timedelta, in seconds (None: none)."""
    return timeout.total_seconds() if isinstance(timeout, timedelta) else timeout


class _ArgUnset:
    """The default of an ``arg=`` parameter: no single argument given (None
    is an argument)."""

    def __repr__(self) -> str:
        return "<unset>"


_ARG_UNSET: Any = _ArgUnset()


class _ArgAndArgsError(TypeError, ValueError):
    """Arguments given in two forms at once. A :class:`TypeError` (a wrong
    call) that is also the :class:`ValueError` the official SDK raises for
    ``arg`` with ``args``, so either ``except`` catches it."""


def _arg_or_args(
    positional: Sequence[Any],
    arg: Any,
    args: Any,
    what: Optional[str] = None,
    args_name: str = "args",
) -> Sequence[Any]:
    """The argument list of a call taking arguments in any one of three
    forms: positionally (``f(x, *values)``), ``arg=value`` (one argument, the
    official SDK's form; one positional argument means the same) or
    ``args=[...]`` (checked to be a list; None or empty means none). Pass
    ``positional=()`` for an official-style ``(arg, *, args=[...])`` call.

    Raises:
        TypeError: ``args`` (named ``args_name`` in the message) is not a list.
        _ArgAndArgsError: two forms at once; the message is the official
            "Cannot have arg and args", followed, when ``what`` (the callee,
            e.g. "workflow 'Wf'") is given, by ": the arguments of {what} were
            given as ..." saying which forms.
    """
    if args is not None:
        args = _check_args(args, args_name)
    if not positional and not args:  # the common cases: one form or none
        return [] if arg is _ARG_UNSET else [arg]
    given = [
        name
        for name, present in (
            ("positional arguments", bool(positional)),
            ("arg", arg is not _ARG_UNSET),
            ("args", bool(args)),
        )
        if present
    ]
    if len(given) > 1:
        if what is None:
            raise _ArgAndArgsError("Cannot have arg and args")
        raise _ArgAndArgsError(
            f"Cannot have arg and args: the arguments of {what} were given as "
            f"{' and '.join(given)}; give them once: one value as arg (or positionally), "
            "several as args=[...] (or positionally)"
        )
    if arg is not _ARG_UNSET:
        return [arg]
    if positional:
        return list(positional)
    return list(args) if args is not None else []


def _workflow_definition_of(fn: Any) -> Any:
    """The ``@workflow.defn`` record of a workflow's run method ``fn``: the
    ``__temporal_workflow_definition`` attribute the official SDK sets on the
    run method, else the one on the class that defines ``fn`` (found from
    its module and qualified name). None if neither."""
    import sys

    found = getattr(fn, "__temporal_workflow_definition", None)
    if found is not None:
        return found
    owner: Any = sys.modules.get(getattr(fn, "__module__", "") or "")
    for part in (getattr(fn, "__qualname__", "") or "").split(".")[:-1]:
        owner = getattr(owner, part, None)
        if owner is None or part == "<locals>":
            return None
    if isinstance(owner, type):
        return owner.__dict__.get("__temporal_workflow_definition")
    return None


def _must_workflow_definition(fn: Any) -> Any:
    """:func:`_workflow_definition_of`, or the official SDK's ValueError."""
    defn = _workflow_definition_of(fn)
    if defn is None:
        name = getattr(fn, "__qualname__", "<unknown>")
        raise ValueError(
            f"Function {name} missing attributes, was it decorated with @workflow.run "
            "and was its class decorated with @workflow.defn?"
        )
    return defn


def _workflow_name_and_result_type(workflow: Any) -> Tuple[str, Any]:
    """A workflow type name given as itself or as the run method of a
    ``@workflow.defn`` class (the official SDK's two forms), and the result
    type the run method declares (None for a name)."""
    if isinstance(workflow, (str, type)) or not callable(workflow):
        return _check_str(workflow, "workflow (the workflow type name)"), None
    defn = _must_workflow_definition(workflow)
    if not getattr(defn, "name", None):
        raise ValueError("Cannot invoke dynamic workflow explicitly")
    return defn.name, getattr(defn, "ret_type", None)


def _handler_name(handler: Any, kind: str) -> Tuple[str, Any]:
    """A signal or query (``kind``) name given as itself or as the
    ``@workflow.signal``/``@workflow.query`` method (the official SDK's
    forms), and the method's declared result type (None for a name)."""
    if isinstance(handler, (str, type)) or not callable(handler):
        return _check_str(handler, f"{kind} name"), None
    defn = getattr(handler, f"__temporal_{kind}_definition", None)
    if defn is None:
        raise RuntimeError(
            f"{kind.capitalize()} definition not found on {handler.__qualname__}, "
            f"is it decorated with @workflow.{kind}?"
        )
    if not getattr(defn, "name", None):
        raise RuntimeError(f"Cannot invoke dynamic {kind} definition")
    return defn.name, getattr(defn, "ret_type", None)
