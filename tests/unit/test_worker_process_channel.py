"""The worker <-> process-pool child channel (temporalio.worker._process), run
in one process: the hub on the test's loop, the child's end in a thread."""

from __future__ import annotations

import asyncio
import os
import pickle
import socket
import stat
from typing import Any, List, Tuple

import pytest

from temporalio import activity
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import _process


class Owner:
    """The worker's record of an attempt, as the hub sees it."""

    def __init__(self) -> None:
        self.cancel = activity._Flag(asyncio.get_running_loop())


INFO = ActivityEnvironment.default_info()


async def run_child(hub: _process.ProcessHub, key: bytes, fn: Any, *args: Any) -> Tuple[bool, Any]:
    loop = asyncio.get_running_loop()
    ok, data = await loop.run_in_executor(
        None, _process.run_activity, fn, args, INFO, hub.address, key
    )
    return ok, pickle.loads(data)


@pytest.fixture
async def hub_and_beats() -> Any:
    beats: List[Tuple[Any, Any]] = []
    hub = _process.ProcessHub(asyncio.get_running_loop(), lambda owner, d: beats.append((owner, d)))
    yield hub, beats
    hub.close()
    assert not os.path.exists(hub.address)


def beat_and_return(x: int) -> Any:
    activity.heartbeat("one", x)
    activity.heartbeat("two", x)
    return activity.info().activity_id, x * 2


def beat_until_cancelled() -> str:
    try:
        for _ in range(1000):
            activity.heartbeat()
            activity.wait_for_cancelled_sync(0.01)
    except CancelledError as e:
        return f"cancelled: {e} / {activity.info().cancelled}"
    return "never cancelled"


async def test_socket_lives_in_a_private_directory(hub_and_beats: Any) -> None:
    hub, _ = hub_and_beats
    mode = os.stat(os.path.dirname(hub.address)).st_mode
    assert stat.S_IMODE(mode) == 0o700


async def test_heartbeats_reach_the_worker_before_the_outcome_is_handled(
    hub_and_beats: Any,
) -> None:
    hub, beats = hub_and_beats
    owner = Owner()
    key = hub.register(owner)
    ok, value = await run_child(hub, key, beat_and_return, 21)
    hub.unregister(key)  # takes in whatever the loop did not read yet
    assert ok and value == ("test", 42)
    assert beats == [(owner, ("one", 21)), (owner, ("two", 21))]


async def test_unregister_drains_a_connection_the_loop_never_read(hub_and_beats: Any) -> None:
    hub, beats = hub_and_beats
    owner = Owner()
    key = hub.register(owner)
    # The child side by hand: HELLO, READY, a heartbeat, then gone, with the
    # loop never running in between (all data and the EOF wait in the socket).
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(hub.address)
    s.sendall(_process._frame(_process._HELLO, key + b"\0\0\0\1"))
    hub._accept_all()  # what the loop's reader would do: READY goes back
    assert s.recv(16) == _process._frame(_process._READY)
    s.sendall(_process._frame(_process._HEARTBEAT, pickle.dumps(("last",))))
    s.close()
    hub.unregister(key)
    assert beats == [(owner, ("last",))]


async def test_a_cancel_reaches_the_child(hub_and_beats: Any) -> None:
    hub, _ = hub_and_beats
    owner = Owner()
    key = hub.register(owner)
    loop = asyncio.get_running_loop()

    def cancel_soon() -> None:
        owner.cancel.set("cancel_requested")
        hub.cancel(key, "cancel_requested")

    loop.call_later(0.1, cancel_soon)
    ok, value = await run_child(hub, key, beat_until_cancelled)
    hub.unregister(key)
    assert ok and value == "cancelled: Cancelled (cancel_requested) / True"


async def test_a_cancel_before_the_child_connects_is_delivered_with_ready(
    hub_and_beats: Any,
) -> None:
    hub, _ = hub_and_beats
    owner = Owner()
    owner.cancel.set("worker_shutdown")
    key = hub.register(owner)
    ok, value = await run_child(hub, key, beat_until_cancelled)
    hub.unregister(key)
    assert value == "cancelled: Cancelled (worker_shutdown) / True"


async def test_shutdown_notice_and_the_worker_going_away(hub_and_beats: Any) -> None:
    hub, _ = hub_and_beats
    key = hub.register(Owner())
    loop = asyncio.get_running_loop()

    def waits() -> Any:
        shut = activity.wait_for_worker_shutdown_sync(10)
        gone = activity.wait_for_cancelled_sync(10)  # the hub closes: read as a cancel
        return shut, gone, activity.info().cancelled

    loop.call_later(0.1, hub.notify_shutdown)
    loop.call_later(0.2, hub.close)
    ok, value = await run_child(hub, key, waits)
    assert ok and value == (True, True, True)


async def test_an_unknown_or_revoked_key_never_runs_the_activity(hub_and_beats: Any) -> None:
    hub, _ = hub_and_beats
    ran: List[bool] = []
    key = hub.register(Owner())
    hub.unregister(key)
    ok, value = await run_child(hub, key, ran.append, True)
    assert not ok and isinstance(value, ApplicationError) and value.type == "NotStarted"
    ok, value = await run_child(hub, os.urandom(16), ran.append, True)
    assert not ok and value.type == "NotStarted"
    assert ran == []


async def test_nothing_is_unpickled_before_a_valid_hello(hub_and_beats: Any) -> None:
    hub, beats = hub_and_beats
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(hub.address)
    s.sendall(_process._frame(_process._HEARTBEAT, b"not even a pickle"))
    hub._accept_all()
    s.settimeout(5)
    assert s.recv(16) == b""  # dropped
    s.close()
    assert beats == []


class Unloadable(Exception):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"{a}+{b}")


def test_outcomes_that_do_not_pickle_become_clear_errors() -> None:
    err = pickle.loads(_process._dump_error(Unloadable(1, 2)))
    assert isinstance(err, ApplicationError) and err.type == "Unloadable" and err.message == "1+2"
    kept = pickle.loads(
        _process._dump_error(ApplicationError("m", {"d": 1}, type="T", non_retryable=True))
    )
    assert (kept.type, list(kept.details), kept.non_retryable) == ("T", [{"d": 1}], True)
    with pytest.raises(ApplicationError, match="did not unpickle in the worker"):
        _process.load_outcome(True, b"garbage")
    with pytest.raises(ValueError, match="boom"):
        _process.load_outcome(False, pickle.dumps(ValueError("boom")))
