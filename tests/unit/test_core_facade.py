"""temporalio._core: the one module that imports the extension; typed
events and the worker config (no server needed)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, List

import pytest

from temporalio import _core

PKG = Path(_core.__file__).resolve().parent


def test_only_the_facade_imports_the_extension() -> None:
    offenders = []
    for p in PKG.rglob("*.py"):
        if p.name == "_core.py" or "api" in p.relative_to(PKG).parts[:1]:
            continue
        text = p.read_text()
        if re.search(r"\b_bridge\b", text) and re.search(
            r"import _bridge|from temporalio\._bridge|temporalio\._bridge", text
        ):
            offenders.append(str(p.relative_to(PKG)))
    assert offenders == []


def test_importing_the_facade_loads_no_extension() -> None:
    code = (
        "import sys, temporalio._core; "
        "bad = [m for m in sys.modules if m == 'temporalio._bridge' or 'protobuf' in m]; "
        "print(bad); assert not bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_events_are_typed() -> None:
    ev = _core._event
    assert ev(("task", b"t")) == _core.ActivityTask(b"t")
    assert ev(("activation", b"a")) == _core.WorkflowActivation(b"a")
    c = ev(("cancel", b"tok", "timed_out"))
    assert c == _core.ActivityCancel(b"tok", _core.CancelReason.TIMED_OUT)
    assert isinstance(c, _core.ActivityCancel) and c.reason == "timed_out"  # a str enum
    assert ev(("cancel", b"tok", "something new")).reason is _core.CancelReason.CANCEL_REQUESTED
    assert ev(("fatal", "gone", 7, b"d")) == _core.Fatal("gone", 7, b"d")
    assert ev(("warning", None, "hm")) == _core.Warning(None, "hm")


def test_completion_kinds_match_the_extension() -> None:
    b = _core.bridge()
    assert (
        int(_core.CompletionKind.COMPLETED),
        int(_core.CompletionKind.FAILED),
        int(_core.CompletionKind.CANCELLED),
    ) == (b.COMPLETED, b.FAILED, b.CANCELLED)


async def test_core_worker_config_and_calls() -> None:
    from temporalio.service import ConnectConfig, ServiceClient
    from temporalio.service._client import _notifier

    sc = await ServiceClient.connect(ConnectConfig("127.0.0.1:1", lazy=True))  # never used
    events: List[Any] = []
    with pytest.raises(ValueError, match="max_cached_workflows"):
        _core.CoreWorker(
            sc._core,
            _notifier(asyncio.get_running_loop()),
            events.append,
            _core.WorkerConfig(task_queue="tq", workflows=True, max_cached_workflows=-1),
        )
    w = _core.CoreWorker(
        sc._core,
        _notifier(asyncio.get_running_loop()),
        events.append,
        _core.WorkerConfig(task_queue="tq", workflows=True, activities=False),
    )
    assert w.complete_activation("no-such-run", b"") is False
    assert w.request_eviction("no-such-run") is False
    assert w.complete(b"no-such-token", _core.CompletionKind.COMPLETED, b"") is False
    fut = asyncio.get_running_loop().create_future()
    w.shutdown(fut)
    await asyncio.wait_for(fut, 10)
    with pytest.raises(_core.core_error_type()):
        w.shutdown(asyncio.get_running_loop().create_future())
    sc.close()
