"""The connection: :class:`ServiceClient` (one core client, one gRPC
channel) and its glue to the core: the process's runtime and each event
loop's completion notifier."""

from __future__ import annotations

import sys
import weakref
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple, Type, Union

from temporalio import __version__
from temporalio.service._errors import (
    RPCError,
    RPCStatusCode,
    _ConnectDeadlineExceededError,
    _ConnectUnavailableError,
    rpc_error,
)
from temporalio.service._options import (
    ConnectConfig,
    TLSConfig,
    _metadata_pairs,
    _read_pem,
    check_api_key,
)
from temporalio.service._services import OperatorService, WorkflowService

if TYPE_CHECKING:
    import asyncio

    from google.protobuf.message import Message

# asyncio is imported where used: importing this module stays cheap.

CLIENT_NAME = "temporal-python"


_runtime: Any = None
_notifiers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]" = (
    weakref.WeakKeyDictionary()
)


def _core_runtime() -> Any:
    """The process's core runtime (made on first use)."""
    global _runtime
    if _runtime is None:
        from temporalio import _core

        _runtime = _core.new_runtime()
    return _runtime


def _core_runtime_of(runtime: Any) -> Any:
    """The core runtime for a ``runtime=`` option (a
    :class:`temporalio.runtime.Runtime`, or None: the default Runtime's if
    one was made or set, else the process's). TypeError for another value."""
    if runtime is None:
        if "temporalio.runtime" in sys.modules:  # a default Runtime may have been set
            from temporalio.runtime import _default_core_runtime

            return _default_core_runtime()
        return _core_runtime()
    from temporalio.runtime import Runtime

    if not isinstance(runtime, Runtime):
        raise TypeError(
            f"runtime must be a temporalio.runtime.Runtime or None, not {type(runtime).__name__}"
        )
    return runtime._core_runtime()


def _notifier(loop: asyncio.AbstractEventLoop) -> Any:
    """The completion channel of `loop`: one eventfd it watches."""
    n = _notifiers.get(loop)
    if n is None:
        from temporalio import _core

        n = _core.new_notifier()
        loop.add_reader(n.fileno(), n.drain)
        _notifiers[loop] = n
    return n


def _timeout_ms(timeout: Union[None, float, timedelta]) -> int:
    if timeout is None:
        return 0
    seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
    if seconds <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    return max(1, int(seconds * 1000))


# ---- the connection ----------------------------------------------------------------


class ServiceClient:
    """One connection (a core client: one gRPC channel) to a Temporal frontend.

    Shared by every service wrapper and by workers made from a client.
    """

    def __init__(self, config: ConnectConfig, core: Any) -> None:
        self.config = config
        self._core = core
        self._tls_enabled = config.tls_enabled  # fixed for the channel's life
        self._plaintext_key_allowed = config.tls is False  # said explicitly
        self._system_info: Optional[bytes] = None  # parsed on first use
        # Running workflow workers on this connection, by (namespace, task
        # queue): what an eager workflow start can hand its first task to.
        self._workflow_workers: Dict[Tuple[str, str], List[Any]] = {}
        self.workflow_service = WorkflowService(self)
        self.operator_service = OperatorService(self)

    @staticmethod
    async def connect(config: ConnectConfig) -> "ServiceClient":
        """Open a connection; unless ``config.lazy``, call GetSystemInfo (with
        the retry policy, so a server still starting is waited for)."""
        sc = ServiceClient(config, ServiceClient._make_core(config))
        if not config.lazy:
            try:
                # Raw bytes (an empty request): connecting loads no protobuf
                # module, so an idle worker never does.
                sc._system_info = await sc.call_raw(
                    "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo", b""
                )
            except RPCError as e:
                sc.close()
                if e.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
                    hint = ""
                    if sc._tls_enabled:
                        why = (
                            "tls was given"
                            if config.tls is not None
                            else "an api_key turns it on when tls is not given"
                        )
                        hint = (
                            f" (TLS is on: {why}; a failed TLS handshake, e.g. a server "
                            "that speaks plaintext or a certificate the roots do not trust, "
                            "also ends so; pass tls=False for a plaintext server)"
                        )
                    # Also a RuntimeError whose text begins as the official SDK's.
                    cls = (
                        _ConnectUnavailableError
                        if e.status == RPCStatusCode.UNAVAILABLE
                        else _ConnectDeadlineExceededError
                    )
                    raise cls(
                        f"Failed client connect: cannot connect to {config.target_host}: "
                        f"{e.message}{hint}",
                        e.status,
                        e.grpc_status,
                    ) from None
                raise
        return sc

    @property
    def capabilities(self) -> Any:
        """``GetSystemInfoResponse.Capabilities`` learnt on connect (None if lazy)."""
        if self._system_info is None:
            return None
        from temporalio.api.workflowservice.v1 import GetSystemInfoResponse

        return GetSystemInfoResponse.FromString(self._system_info).capabilities

    @staticmethod
    def _make_core(config: ConnectConfig) -> Any:
        from temporalio import _core

        if not isinstance(config.target_host, str):
            raise TypeError(
                f"target must be a str 'host:port', not {type(config.target_host).__name__}"
            )
        if not isinstance(config.namespace, str):
            raise TypeError(f"namespace must be a str, not {type(config.namespace).__name__}")
        if not config.namespace:
            raise ValueError("namespace must not be empty")
        check_api_key(config.api_key)
        tls = config.tls
        if tls is not None and not isinstance(tls, (bool, TLSConfig)):
            raise TypeError(f"tls must be None, a bool or a TLSConfig, not {type(tls).__name__}")
        tls_args: Dict[str, Any] = {}
        if isinstance(tls, TLSConfig):
            if (tls.client_cert is None) != (tls.client_private_key is None):
                raise ValueError("TLS client_cert and client_private_key must be given together")
            tls_args = dict(
                root_ca=_read_pem(tls.server_root_ca_cert, "server_root_ca_cert"),
                client_cert=_read_pem(tls.client_cert, "client_cert"),
                client_key=_read_pem(tls.client_private_key, "client_private_key"),
                server_name=tls.domain,
            )
        retry = None
        if config.retry_config is not None:
            r = config.retry_config
            retry = (
                r.initial_interval_millis,
                r.multiplier,
                r.randomization_factor,
                r.max_interval_millis,
                r.max_elapsed_time_millis or 0,
                r.max_retries,
            )
        ka = config.keep_alive_config
        keepalive = (ka.interval_millis, ka.timeout_millis) if ka is not None else (0, 0)
        return _core.new_client(
            _core_runtime_of(config.runtime),
            config.target_host,
            config.namespace,
            CLIENT_NAME,
            __version__,
            tls=config.tls_enabled,
            api_key=config.api_key,
            metadata=_metadata_pairs(config.rpc_metadata),
            keepalive=keepalive,
            retry=retry,
            **tls_args,
        )

    def update_api_key(self, api_key: Optional[str]) -> None:
        """Use a new API key from the next call on (workers included).

        Raises :class:`ValueError` for a key a header cannot carry (see
        :func:`check_api_key`), and for a key on a connection that was opened
        in plaintext without ``tls=False`` being said (no ``tls`` and no API
        key at connect): the key would travel in clear text."""
        check_api_key(api_key)
        if api_key is not None and not self._tls_enabled and not self._plaintext_key_allowed:
            raise ValueError(
                "this connection is plaintext (it was opened without tls and without an API "
                "key), so an API key set now would travel in clear text: connect with tls=True "
                "(or with an api_key, which turns TLS on), or with tls=False to allow a "
                "plaintext key"
            )
        self._core.set_api_key(api_key)
        if self.config.tls is None and self._tls_enabled:
            # TLS came from the key: keep saying so whatever the key is now.
            self.config.tls = True
        self.config.api_key = api_key

    @property
    def tls_enabled(self) -> bool:
        """Whether this connection uses TLS (decided when it was opened)."""
        return self._tls_enabled

    def update_rpc_metadata(self, metadata: Mapping[str, Union[str, bytes]]) -> None:
        """Replace the extra headers from the next call on (workers included)."""
        self._core.set_metadata(_metadata_pairs(metadata))
        self.config.rpc_metadata = dict(metadata)

    def _register_workflow_worker(self, namespace: str, task_queue: str, core: Any) -> None:
        """A workflow worker on this connection runs now: ``core`` (its
        ``temporalio._core.CoreWorker``) may take eager workflow tasks."""
        self._workflow_workers.setdefault((namespace, task_queue), []).append(core)

    def _unregister_workflow_worker(self, namespace: str, task_queue: str, core: Any) -> None:
        """The worker is shutting down: no more eager tasks for it."""
        cores = self._workflow_workers.get((namespace, task_queue), [])
        if core in cores:
            cores.remove(core)
        if not cores:
            self._workflow_workers.pop((namespace, task_queue), None)

    def _reserve_workflow_slot(self, namespace: str, task_queue: str) -> Any:
        """The ``CoreWorker`` of a running workflow worker on this
        connection for ``namespace`` and ``task_queue`` that reserved a
        workflow task slot (end it with its ``eager_workflow_task`` or
        ``release_workflow_slot``), or None when none could."""
        for core in list(self._workflow_workers.get((namespace, task_queue), ())):
            if core.reserve_workflow_slot():
                return core
        return None

    def close(self) -> None:
        """Cancel calls in flight and close the channel."""
        self._core.close()

    async def call(
        self,
        method: str,
        request: "Message",
        response_type: Type["Message"],
        *,
        retry: bool = True,
        metadata: Optional[Mapping[str, Union[str, bytes]]] = None,
        timeout: Union[None, float, timedelta] = None,
    ) -> Any:
        """Call ``method`` ("/package.Service/Method"); see the module doc.

        ``timeout`` bounds the call as a whole (every attempt and the backoff
        between them); ``retry=False`` makes one attempt."""
        response = await self.call_raw(
            method, request.SerializeToString(), retry=retry, metadata=metadata, timeout=timeout
        )
        return response_type.FromString(response)

    async def call_raw(
        self,
        method: str,
        request: bytes,
        *,
        retry: bool = True,
        metadata: Optional[Mapping[str, Union[str, bytes]]] = None,
        timeout: Union[None, float, timedelta] = None,
    ) -> bytes:
        """:meth:`call` with a serialized request; returns the serialized response."""
        import asyncio

        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        call = self._core.call(
            method,
            request,
            fut,
            _notifier(loop),
            _timeout_ms(timeout),
            retry,
            _metadata_pairs(metadata) if metadata else None,
        )
        try:
            result = await fut
        except asyncio.CancelledError:
            call.cancel()
            raise
        if type(result) is bytes:
            return result
        raise rpc_error(*result)
