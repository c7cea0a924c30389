"""Types of the C extension (temporalio/_bridge.c). Only temporalio._core
imports it; everything else goes through that facade."""

import asyncio
from typing import Any, Callable, Optional, Sequence, Tuple, Union

COMPLETED: int
FAILED: int
CANCELLED: int
WILL_COMPLETE_ASYNC: int

class CoreError(RuntimeError): ...

def set_log_level(level: int, /) -> None: ...

class Notifier:
    def __init__(self) -> None: ...
    def fileno(self) -> int: ...
    def drain(self) -> None: ...

class Runtime:
    def __init__(self) -> None: ...

class Call:
    def cancel(self) -> None: ...

class Client:
    def __init__(
        self,
        runtime: Runtime,
        target: str,
        namespace: str,
        client_name: str,
        client_version: str,
        tls: bool = ...,
        root_ca: Optional[str] = ...,
        client_cert: Optional[str] = ...,
        client_key: Optional[str] = ...,
        server_name: Optional[str] = ...,
        api_key: Optional[str] = ...,
        metadata: Optional[Sequence[Tuple[str, bytes]]] = ...,
        keepalive: Optional[Tuple[int, int]] = ...,
        retry: Optional[Tuple[int, float, float, int, int, int]] = ...,
    ) -> None: ...
    def call(
        self,
        method: str,
        request: bytes,
        future: "asyncio.Future[Any]",
        notifier: Notifier,
        timeout_ms: int = ...,
        retry: bool = ...,
        metadata: Optional[Sequence[Tuple[str, bytes]]] = ...,
    ) -> Call: ...
    def close(self) -> None: ...
    def set_api_key(self, api_key: Optional[str]) -> None: ...
    def set_metadata(self, metadata: Sequence[Tuple[str, bytes]]) -> None: ...

class Worker:
    """Events given to ``on_event``: ("task", bytes), ("cancel", token,
    reason), ("fatal", message, status, details), ("warning", token or None,
    message), ("activation", bytes)."""

    def __init__(
        self,
        client: Union[Client, Runtime],  # a Runtime: a replay worker
        notifier: Notifier,
        on_event: Callable[[Tuple[Any, ...]], None],
        *,
        task_queue: str,
        namespace: Optional[str] = ...,
        identity: Optional[str] = ...,
        max_concurrent_activities: int = ...,
        max_concurrent_polls: int = ...,
        max_activities_per_second: float = ...,
        max_task_queue_activities_per_second: float = ...,
        graceful_shutdown_ms: int = ...,
        workflows: bool = ...,
        activities: bool = ...,
        max_cached_workflows: int = ...,
        max_concurrent_workflow_tasks: int = ...,
        max_concurrent_workflow_task_polls: int = ...,
        sticky_schedule_to_start_ms: int = ...,
    ) -> None: ...
    def start(self) -> None: ...
    def complete(self, token: bytes, kind: int, data: bytes) -> bool: ...
    def heartbeat(self, token: bytes, details: bytes) -> bool: ...
    def complete_activation(self, run_id: Optional[str], completion: bytes) -> bool: ...
    def request_eviction(self, run_id: str, reason: Optional[str]) -> bool: ...
    def replay_history(self, workflow_id: str, history: bytes) -> None: ...
    def reserve_workflow_slot(self) -> bool: ...
    def eager_workflow_task(self, task: bytes) -> bool: ...
    def release_workflow_slot(self) -> None: ...
    def shutdown(self, future: "asyncio.Future[None]") -> None: ...

def parse_status_details(grpc_status: bytes) -> list[Tuple[str, bytes]]: ...
