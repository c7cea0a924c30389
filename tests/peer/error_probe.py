"""Run snippets and report what each raised, as JSON: the error-parity probe.

Runs unchanged under OUR package and under the OFFICIAL SDK (the peer venv),
so ``tests/integration/test_error_parity.py`` can make the same calls on both
and compare the exception types and messages.

Input (stdin, JSON)::

    {"target": "127.0.0.1:7233" | null,
     "rows": [{"id": str, "code": str}, ...]}

Each ``code`` runs as module-level code (top-level ``await`` allowed) in a
fresh namespace, in one event loop, one row after the other, each bounded by
30 s. Names a snippet can
use: the modules ``temporalio.{activity,client,common,converter,exceptions,
service,testing,worker,workflow}`` under their short names (``activity``,
``client``, ...), ``asyncio``, ``dataclasses``, ``timedelta``,
``concurrent_futures``, ``TARGET`` (the server), ``await connect()`` (one
shared :class:`Client`, connected on first use), ``uid()`` (a fresh id) and
the definitions of ``PRELUDE`` below.

With ``--classes`` it reads nothing and prints ``{module: {name: public
MRO}}`` for the exception classes each public module exports.

Output (stdout, JSON): ``{id: result}``, result either ``{"raised": false}``
or ``{"raised": true, "type": "module.qualname", "public_type": ...,
"mro": [public names], "message": str(exc), "cause": result | null}``
(``cause`` describes ``__cause__``, five levels at most). ``public_type`` drops the
private submodules (``temporalio.client._exceptions.X`` ->
``temporalio.client.X``): users import from the public module.
"""

from __future__ import annotations

import ast
import asyncio
import concurrent.futures as concurrent_futures  # noqa: F401 (for the snippets)
import dataclasses  # noqa: F401 (for the snippets)
import inspect
import json
import os
import sys
import textwrap
import uuid
from datetime import timedelta  # noqa: F401 (for the snippets)
from typing import Any, Dict, List, Optional

import temporalio.activity as activity  # noqa: F401 (for the snippets)
import temporalio.client as client  # noqa: F401 (for the snippets)
import temporalio.common as common  # noqa: F401 (for the snippets)
import temporalio.converter as converter  # noqa: F401 (for the snippets)
import temporalio.exceptions as exceptions  # noqa: F401 (for the snippets)
import temporalio.service as service  # noqa: F401 (for the snippets)
import temporalio.testing as testing  # noqa: F401 (for the snippets)
import temporalio.worker as worker  # noqa: F401 (for the snippets)
import temporalio.workflow as workflow  # noqa: F401 (for the snippets)

# Definitions every snippet can use (module level, so they are picklable).


@activity.defn
async def async_act(x: int = 0) -> int:
    return x


@activity.defn
def sync_act(x: int = 0) -> int:
    return x


@activity.defn(name="named_act")
async def named_act() -> None:
    pass


@activity.defn(name="named_act")
async def named_act_again() -> None:
    pass


async def plain_async_fn() -> None:
    pass


@workflow.defn
class GoodWorkflow:
    @workflow.run
    async def run(self, x: int = 0) -> int:
        return x


@workflow.defn(name="GoodWorkflow")
class GoodWorkflowAgain:
    @workflow.run
    async def run(self) -> None:
        pass


class NotAWorkflow:
    async def run(self) -> None:
        pass


class Unconvertible:
    """No payload converter handles instances of this class."""


@dataclasses.dataclass
class StartArgs:
    x: int


@activity.defn
async def failing_act() -> None:
    raise exceptions.ApplicationError(
        "activity failed on purpose", "detail", type="MyFailure", non_retryable=True
    )


@activity.defn
async def heartbeat_unconvertible_act() -> None:
    activity.heartbeat(Unconvertible())
    await asyncio.sleep(20)


@activity.defn
async def client_act() -> None:
    # Raises unless the worker's client is there.
    assert activity.client().namespace == "default"


@activity.defn
def sync_client_act() -> None:
    activity.client()  # a def activity has no client: RuntimeError


@workflow.defn(sandboxed=False)
class RunActivityWorkflow:
    """Runs the activity named by its argument once (no retries)."""

    @workflow.run
    async def run(self, name: str) -> None:
        await workflow.execute_activity(
            name,
            start_to_close_timeout=timedelta(seconds=20),
            retry_policy=common.RetryPolicy(maximum_attempts=1),
        )


def public_name(cls: type) -> str:
    """``module.qualname`` with private submodules dropped."""
    parts = cls.__module__.split(".")
    keep: List[str] = []
    for i, part in enumerate(parts):
        if i > 0 and part.startswith("_"):
            break
        keep.append(part)
    return ".".join(keep) + "." + cls.__qualname__


def message_of(exc: BaseException) -> str:
    """``str(exc)``, but a KeyError's message without the quotes ``str`` adds."""
    if isinstance(exc, KeyError) and len(exc.args) == 1 and isinstance(exc.args[0], str):
        return exc.args[0]
    return str(exc)


def describe(exc: BaseException, depth: int = 0) -> Dict[str, Any]:
    cls = type(exc)
    out: Dict[str, Any] = {
        "raised": True,
        "type": f"{cls.__module__}.{cls.__qualname__}",
        "public_type": public_name(cls),
        "mro": [public_name(c) for c in cls.__mro__],
        "message": message_of(exc),
        "cause": None,
    }
    if exc.__cause__ is not None and depth < 5:
        out["cause"] = describe(exc.__cause__, depth + 1)
    return out


_target: Optional[str] = None
_client: Any = None
_counter = 0


async def connect() -> Any:
    """One client for the whole run, to ``TARGET``."""
    global _client
    if _client is None:
        if _target is None:
            raise RuntimeError("probe: this row needs a server and no target was given")
        _client = await client.Client.connect(_target)
    return _client


def uid() -> str:
    global _counter
    _counter += 1
    return f"errparity-{uuid.uuid4().hex[:12]}-{_counter}"


async def run_row(code: str) -> Dict[str, Any]:
    # Module level (top-level await allowed), so classes a snippet defines are
    # not local classes (the official SDK refuses workflow classes defined in
    # a function).
    scope: Dict[str, Any] = dict(globals())
    scope["TARGET"] = _target
    try:
        compiled = compile(
            textwrap.dedent(code), "<row>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        )
        result = eval(compiled, scope)
        if inspect.iscoroutine(result):
            await asyncio.wait_for(result, 30)
    except BaseException as exc:  # noqa: BLE001 - the point is to report it
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return describe(exc)
    return {"raised": False}


PUBLIC_MODULES = [
    "temporalio.exceptions",
    "temporalio.client",
    "temporalio.service",
    "temporalio.worker",
    "temporalio.workflow",
    "temporalio.activity",
    "temporalio.converter",
    "temporalio.common",
    "temporalio.testing",
]


def exception_classes() -> Dict[str, Dict[str, List[str]]]:
    """``{module: {name: public MRO}}``: every exception (or warning) class
    defined by the SDK that each public module has (its ``__all__`` and its
    other names, private ones included)."""
    import importlib

    out: Dict[str, Dict[str, List[str]]] = {}
    for name in PUBLIC_MODULES:
        mod = importlib.import_module(name)
        # Private names too: the official SDK exports _NotInWorkflowEventLoopError.
        names = set(getattr(mod, "__all__", ())) | {n for n in dir(mod) if not n.startswith("__")}
        found: Dict[str, List[str]] = {}
        for n in sorted(names):
            v = getattr(mod, n, None)
            if (
                isinstance(v, type)
                and issubclass(v, BaseException)
                and v.__module__.startswith("temporalio")
            ):
                found[n] = [public_name(c) for c in v.__mro__]
        out[name] = found
    return out


async def main() -> None:
    global _target
    request = json.load(sys.stdin)
    _target = request.get("target")
    out: Dict[str, Any] = {}
    for row in request["rows"]:
        out[row["id"]] = await run_row(row["code"])
    json.dump(out, sys.stdout)
    sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1:] == ["--classes"]:
        json.dump(exception_classes(), sys.stdout)
    else:
        asyncio.run(main())
    sys.stdout.flush()
    # The answer is out: skip interpreter teardown, where the official SDK's
    # Rust runtime has been seen to crash (SIGSEGV) with workers just shut down.
    os._exit(0)
