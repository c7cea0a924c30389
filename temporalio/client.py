"""The Temporal client: connect, start and drive workflows.

Importing this module loads no protobuf module and not the extension; they
load on the first connect.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Union

from temporalio.service import (
    ConnectConfig,
    KeepAliveConfig,
    OperatorService,
    RetryConfig,
    ServiceClient,
    TLSConfig,
    WorkflowService,
    default_identity,
)

__all__ = ["Client"]


class Client:
    """A client of one namespace of a Temporal server.

    Either ``client = await Client.connect(target, ...)`` (close it with
    :meth:`close`), or ``async with Client(target, ...) as client:``.
    """

    def __init__(
        self,
        target_host: str,
        *,
        namespace: str = "default",
        identity: Optional[str] = None,
        tls: Union[bool, TLSConfig] = False,
        api_key: Optional[str] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        retry_config: Optional[RetryConfig] = None,
        keep_alive_config: Optional[KeepAliveConfig] = KeepAliveConfig.default,
        lazy: bool = False,
    ) -> None:
        if identity is not None and not isinstance(identity, str):
            raise TypeError(f"identity must be a str, not {type(identity).__name__}")
        self._config = ConnectConfig(
            target_host=target_host, namespace=namespace, api_key=api_key, tls=tls,
            retry_config=retry_config, keep_alive_config=keep_alive_config,
            rpc_metadata=dict(rpc_metadata), identity=identity, lazy=lazy,
        )
        # Check types now, before anything touches the network.
        if not isinstance(target_host, str):
            raise TypeError(f"target_host must be a str 'host:port', not {type(target_host).__name__}")
        if not isinstance(namespace, str):
            raise TypeError(f"namespace must be a str, not {type(namespace).__name__}")
        self._identity = identity or default_identity()
        self._service_client: Optional[ServiceClient] = None

    @staticmethod
    async def connect(target_host: str, **kwargs: Any) -> "Client":
        """Connect to ``target_host`` ("host:port"); same options as the constructor.

        Unless ``lazy=True`` this calls GetSystemInfo, retrying within the retry
        budget, so a bad target fails here with an :class:`~temporalio.service.RPCError`.
        """
        client = Client(target_host, **kwargs)
        await client._connect()
        return client

    async def _connect(self) -> None:
        if self._service_client is None:
            self._service_client = await ServiceClient.connect(self._config)

    async def __aenter__(self) -> "Client":
        await self._connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection; calls in flight are cancelled."""
        sc, self._service_client = self._service_client, None
        if sc is not None:
            sc.close()

    @property
    def service_client(self) -> ServiceClient:
        """The connection (shared by the services and by workers)."""
        if self._service_client is None:
            raise RuntimeError("the client is not connected: use Client.connect() or 'async with'")
        return self._service_client

    @property
    def service(self) -> WorkflowService:
        """Raw WorkflowService: one async method per RPC."""
        return self.service_client.workflow_service

    workflow_service = service

    @property
    def operator_service(self) -> OperatorService:
        """Raw OperatorService: one async method per RPC."""
        return self.service_client.operator_service

    @property
    def namespace(self) -> str:
        """The namespace of this client."""
        return self._config.namespace

    @property
    def identity(self) -> str:
        """The identity sent with calls (default ``pid@hostname``)."""
        return self._identity

    @property
    def api_key(self) -> Optional[str]:
        """The API key; setting it applies to every later call, workers' too."""
        return self._config.api_key

    @api_key.setter
    def api_key(self, value: Optional[str]) -> None:
        self.service_client.update_api_key(value)

    @property
    def rpc_metadata(self) -> Mapping[str, Union[str, bytes]]:
        """Extra headers; setting them applies to every later call, workers' too."""
        return self._config.rpc_metadata

    @rpc_metadata.setter
    def rpc_metadata(self, value: Mapping[str, Union[str, bytes]]) -> None:
        self.service_client.update_rpc_metadata(value)
