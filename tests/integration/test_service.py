"""The raw WorkflowService against a real dev server."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    DescribeNamespaceResponse,
    GetSystemInfoRequest,
    PollActivityTaskQueueRequest,
    StartWorkflowExecutionRequest,
)

from temporalio.client import Client
from temporalio.service import (
    DeadlineExceededError,
    InvalidArgumentError,
    NamespaceNotFoundError,
    NotFoundError,
    RetryConfig,
    RPCError,
    RPCStatusCode,
    UnavailableError,
)


async def test_connect_and_get_system_info(server_target: str) -> None:
    client = await Client.connect(server_target, namespace="default")
    info = await client.service.get_system_info(GetSystemInfoRequest())
    assert info.server_version
    assert info.capabilities.signal_and_query_header
    assert client.service_client.capabilities == info.capabilities
    await client.close()


async def test_describe_namespace(client: Client) -> None:
    ns = await client.service.describe_namespace(DescribeNamespaceRequest(namespace="default"))
    assert isinstance(ns, DescribeNamespaceResponse)
    assert ns.namespace_info.name == "default"


async def test_async_with_form(server_target: str) -> None:
    async with Client(server_target) as client:
        ns = await client.service.describe_namespace(DescribeNamespaceRequest(namespace="default"))
        assert ns.namespace_info.name == "default"
    with pytest.raises(RuntimeError, match="not connected"):
        client.service


async def test_missing_namespace_raises_namespace_not_found(client: Client) -> None:
    with pytest.raises(NamespaceNotFoundError) as e:
        await client.service.describe_namespace(DescribeNamespaceRequest(namespace="nope-x1"))
    assert isinstance(e.value, NotFoundError)
    assert e.value.status == RPCStatusCode.NOT_FOUND
    assert e.value.namespace == "nope-x1"
    assert "nope-x1" in e.value.message


async def test_invalid_argument_is_raised_without_retry(client: Client) -> None:
    started = time.monotonic()
    with pytest.raises(InvalidArgumentError) as e:
        await client.service.start_workflow_execution(
            StartWorkflowExecutionRequest(namespace="default", workflow_id="")
        )
    assert e.value.status == RPCStatusCode.INVALID_ARGUMENT
    assert time.monotonic() - started < 1.0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_connect_to_closed_port_fails_clearly_within_retry_budget() -> None:
    target = f"127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    with pytest.raises(UnavailableError) as e:
        await Client.connect(target, retry_config=RetryConfig(max_elapsed_time_millis=1500))
    assert time.monotonic() - started < 5
    assert target in str(e.value)


async def test_call_timeout_raises_deadline_exceeded() -> None:
    with socket.socket() as silent:  # accepts TCP, never speaks HTTP/2
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        client = await Client.connect(f"127.0.0.1:{silent.getsockname()[1]}", lazy=True)
        with pytest.raises(DeadlineExceededError):
            await client.service.get_system_info(GetSystemInfoRequest(), timeout=0.3)
        await client.close()


async def test_cancelling_the_awaiting_task_cancels_the_call(client: Client) -> None:
    poll = client.service.poll_activity_task_queue(
        PollActivityTaskQueueRequest(namespace="default", task_queue=TaskQueue(name="nobody-here")),
        timeout=60,
    )
    task = asyncio.ensure_future(poll)
    await asyncio.sleep(0.2)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 1.0
    # The client still works afterwards.
    await client.service.get_system_info(GetSystemInfoRequest())


async def test_closed_client_fails_calls_in_flight_with_cancelled(server_target: str) -> None:
    client = await Client.connect(server_target)
    poll = asyncio.ensure_future(
        client.service.poll_activity_task_queue(
            PollActivityTaskQueueRequest(
                namespace="default", task_queue=TaskQueue(name="nobody-2")
            ),
            timeout=60,
        )
    )
    await asyncio.sleep(0.1)
    await client.close()
    with pytest.raises(RPCError) as e:
        await poll
    assert e.value.status == RPCStatusCode.CANCELLED


async def test_client_used_in_forked_child_fails_clearly(client: Client) -> None:
    import os

    pid = os.fork()
    if pid == 0:  # child: a clear error, then a clean exit (no hang)
        code = 1
        try:
            asyncio.run(client.service.get_system_info(GetSystemInfoRequest()))
        except RuntimeError as e:
            code = 0 if "fork" in str(e) else 2
        except BaseException:
            code = 3
        os._exit(code)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        await asyncio.sleep(0.05)
    else:
        os.kill(pid, 9)
        pytest.fail("the forked child hung")
    assert os.waitstatus_to_exitcode(status) == 0
    await client.service.get_system_info(GetSystemInfoRequest())  # parent unaffected
