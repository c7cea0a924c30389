"""What the workflow worker logs, as the official SDK does: a workflow
code failure (WARNING "Failed activation ..." with
``__temporal_error_identifier``), a failure outside the workflow's code
(ERROR "Failed handling activation ..."), a completion the codec cannot
encode, and the event loop's exception handler (ERROR)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Any, List, Sequence

import pytest

from temporalio import workflow
from temporalio.converter import DataConverter, PayloadCodec
from temporalio.worker._workflow import _DeadlockError
from tests.unit._wfharness import Harness, init


@workflow.defn
class Raises:
    @workflow.run
    async def run(self) -> None:
        raise RuntimeError("boom")


@workflow.defn
class Returns:
    @workflow.run
    async def run(self) -> str:
        return "done"


@workflow.defn
class CallsTheLoopHandler:
    @workflow.run
    async def run(self) -> str:
        asyncio.get_running_loop().call_exception_handler(
            {"message": "something went wrong", "exception": ValueError("bad"), "where": "here"}
        )
        return "done"


class FailingEncode(PayloadCodec):
    async def encode(self, payloads: Sequence[Any]) -> List[Any]:
        raise RuntimeError("cannot encode")

    async def decode(self, payloads: Sequence[Any]) -> List[Any]:
        return list(payloads)


def _records(caplog: pytest.LogCaptureFixture, start: str) -> List[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith(start)]


def test_failed_activation_is_a_warning_with_the_official_extras(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = Harness(Raises)
    with caplog.at_level(logging.DEBUG, logger="temporalio"):
        c = h.activate(init("Raises"))
    assert c.HasField("failed") and c.failed.failure.message == "boom"
    (r,) = _records(caplog, "Failed activation on workflow")
    assert r.getMessage() == "Failed activation on workflow Raises with ID wid and run ID run1"
    assert r.levelno == logging.WARNING and r.name == "temporalio.worker._workflow_instance"
    assert r.__dict__["__temporal_error_identifier"] == "WorkflowTaskFailure"
    assert r.__dict__["temporal_workflow"]["workflow_type"] == "Raises"
    assert r.exc_info and isinstance(r.exc_info[1], RuntimeError)
    # handled inside the instance: not also logged as a handling failure
    assert not _records(caplog, "Failed handling activation")


def test_failure_outside_workflow_code_is_an_error(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(Returns)
    with caplog.at_level(logging.DEBUG, logger="temporalio"):
        c = h.activate(init("NotRegistered"))
    assert c.HasField("failed") and "is not registered" in c.failed.failure.message
    (r,) = _records(caplog, "Failed handling activation on workflow with run ID run1")
    assert r.levelno == logging.ERROR and r.name == "temporalio.worker._workflow"
    assert r.exc_info and "is not registered" in str(r.exc_info[1])


def test_completion_the_codec_cannot_encode(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(Returns, data_converter=DataConverter(payload_codec=FailingEncode()))
    with caplog.at_level(logging.DEBUG, logger="temporalio"):
        c = h.activate(init("Returns"))
    assert c.HasField("failed")
    assert c.failed.failure.message == "Failed encoding completion: cannot encode"
    (r,) = _records(caplog, "Failed encoding completion on workflow with run ID run1")
    assert r.levelno == logging.ERROR


def test_event_loop_exception_handler_logs_an_error(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(CallsTheLoopHandler)
    with caplog.at_level(logging.DEBUG, logger="temporalio"):
        c = h.activate(init("CallsTheLoopHandler"))
    assert c.HasField("successful")
    (r,) = _records(caplog, "something went wrong")
    assert r.levelno == logging.ERROR and r.name == "temporalio.worker._workflow_instance"
    assert r.getMessage() == "something went wrong\nwhere: 'here'"
    assert r.exc_info and isinstance(r.exc_info[1], ValueError)


@workflow.defn
class SleepsInItsThread:
    @workflow.run
    async def run(self) -> None:
        time.sleep(1)  # blocks the workflow's thread: a deadlock


def test_deadlock_is_an_error_and_its_interrupted_activation_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = Harness(SleepsInItsThread, deadlock_timeout=timedelta(seconds=0.2))
    with caplog.at_level(logging.DEBUG, logger="temporalio"):
        c = h.activate(init("SleepsInItsThread"))
        assert c.HasField("failed")
        assert c.failed.failure.message.startswith("[TMPRL1101] Potential deadlock detected")
        stuck = h.worker._runs["run1"].stuck
        assert stuck is not None
        stuck.exception(timeout=30)  # the thread ends (interrupted) after its sleep
    (r,) = _records(caplog, "Failed handling activation on workflow with run ID run1")
    assert r.levelno == logging.ERROR and r.name == "temporalio.worker._workflow"
    assert r.exc_info and isinstance(r.exc_info[1], _DeadlockError)
    assert not _records(caplog, "Failed activation on workflow")
