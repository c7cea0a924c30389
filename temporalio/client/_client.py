"""The :class:`Client`: its options, its connection and the workflow
operations it starts (each through its interceptor chain)."""

from __future__ import annotations

from datetime import timedelta
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Dict,
    List,
    Mapping,
    Optional,
    Protocol,
    Sequence,
    Type,
    TypedDict,
    Union,
    cast,
    runtime_checkable,
)

from temporalio._checks import (
    _ARG_UNSET,
    _arg_or_args,
    _check_args,
    _check_enum,
    _check_mapping,
    _check_plugin_list,
    _check_rpc_options,
    _check_str,
    _check_timeout,
    _check_type,
    _must_workflow_definition,
    _plugin_chain,
    _through_plugins,
    _workflow_name_and_result_type,
)
from temporalio.client._activity import AsyncActivityHandle, AsyncActivityIDReference
from temporalio.client._impl import _ClientImpl, _new_id
from temporalio.client._interceptor import (
    ClientInterceptor,
    CountWorkflowsInput,
    ListWorkflowsInput,
    OutboundInterceptor,
    StartWorkflowInput,
    _build_chain,
    _check_interceptors,
)
from temporalio.client._lazy import _ActivityClientMixin, _ScheduleClientMixin, _UpdateClientMixin
from temporalio.client._paging import _list_input
from temporalio.client._plugin import Plugin
from temporalio.client._workflow import (
    WorkflowExecutionAsyncIterator,
    WorkflowExecutionCount,
    WorkflowHandle,
)
from temporalio.common import (
    HeaderCodecBehavior,
    Priority,
    QueryRejectCondition,
    RetryPolicy,
    TypedSearchAttributes,
    VersioningOverride,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
    _check_no_header_codec,
)
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

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from temporalio.api.common.v1 import Payload
    from temporalio.converter import DataConverter, PayloadConverter
    from temporalio.runtime import Runtime


class _DefaultDataConverter:
    """The default of ``data_converter`` in signatures: stands for
    ``DataConverter.default`` so that importing the client does not import
    the converters (the official SDK's default is that object itself)."""

    def __repr__(self) -> str:
        return "DataConverter.default"


_DEFAULT_DATA_CONVERTER: Any = _DefaultDataConverter()


def _data_converter_of(value: Any) -> "DataConverter":
    """``DataConverter.of(value)``, the default stand-in being the default."""
    from temporalio.converter import DataConverter

    return DataConverter.of(None if value is _DEFAULT_DATA_CONVERTER else value)


@runtime_checkable
class ServiceClientProtocol(Protocol):
    """What a :class:`Client` uses of its connection: the members below and
    nothing else. :class:`~temporalio.service.ServiceClient` implements it;
    any other object that does may be given as ``Client(service_client)``
    (for instance a test double whose ``workflow_service`` answers from
    canned responses, for tests without a server). Workers need a real
    ``ServiceClient``.
    """

    @property
    def config(self) -> ConnectConfig:
        """The connection's options, kept current. The client reads
        ``namespace`` (its default; a call in another namespace adds the
        namespace header), ``identity`` (its default), and ``api_key`` and
        ``rpc_metadata`` (which the ``update_*`` methods change)."""

    @property
    def workflow_service(self) -> WorkflowService:
        """The WorkflowService: every workflow operation calls one of its
        async methods by RPC name, as ``method(request, retry=True,
        metadata=..., timeout=...)``."""

    @property
    def operator_service(self) -> OperatorService:
        """The OperatorService (:attr:`Client.operator_service`)."""

    def update_api_key(self, api_key: Optional[str]) -> None:
        """Use ``api_key`` from the next call on and record it in
        ``config.api_key`` (:attr:`Client.api_key`); ValueError if refused."""

    def update_rpc_metadata(self, metadata: Mapping[str, Union[str, bytes]]) -> None:
        """Send ``metadata`` with every later call and record it in
        ``config.rpc_metadata`` (:attr:`Client.rpc_metadata`); ValueError if refused."""

    def close(self) -> None:
        """Close the connection (called by the client that opened it)."""


class ClientConfig(TypedDict, total=False):
    """What :meth:`Client.config` returns (and what a :class:`Plugin`'s
    ``configure_client`` receives and returns): ``Client(**config)`` makes a
    client on the same connection at once."""

    service_client: ServiceClient
    """The live connection (owned by the client that opened it)."""
    namespace: str
    identity: str
    data_converter: "DataConverter"
    plugins: Sequence[Plugin]
    interceptors: Sequence[ClientInterceptor]
    default_workflow_query_reject_condition: Optional[QueryRejectCondition]
    header_codec_behavior: HeaderCodecBehavior


class ClientConnectConfig(TypedDict, total=False):
    """The keywords of :meth:`Client.connect`, as a TypedDict (the official
    SDK's), e.g. for ``Client.connect(**config)`` built elsewhere."""

    target_host: str
    namespace: str
    api_key: Optional[str]
    data_converter: "DataConverter"
    plugins: Sequence[Plugin]
    interceptors: Sequence[ClientInterceptor]
    default_workflow_query_reject_condition: Optional[QueryRejectCondition]
    tls: Union[bool, TLSConfig, None]
    retry_config: Optional[RetryConfig]
    keep_alive_config: Optional[KeepAliveConfig]
    connect_timeout: Optional[timedelta]
    rpc_metadata: Mapping[str, Union[str, bytes]]
    identity: Optional[str]
    lazy: bool
    runtime: Optional["Runtime"]
    http_connect_proxy_config: Any
    dns_load_balancing_config: Any
    grpc_compression: Any
    payload_limits: Any
    header_codec_behavior: HeaderCodecBehavior


# Options of the connection itself: given with a target, never with a service_client.
_CONNECTION_DEFAULTS: Dict[str, Any] = dict(
    tls=None,
    api_key=None,
    rpc_metadata={},
    retry_config=None,
    keep_alive_config=KeepAliveConfig.default,
    lazy=False,
    runtime=None,
)


def _check_service_client(service_client: Any) -> None:
    _check_type(
        service_client,
        ServiceClientProtocol,
        "service_client",
        "a temporalio.service.ServiceClient (or implement temporalio.client.ServiceClientProtocol)",
    )


def _check_plugins(plugins: Any) -> List[Plugin]:
    """``plugins`` as a list; TypeError naming the position of anything that
    is not a :class:`Plugin` (nor has its two hooks)."""
    return _check_plugin_list(plugins, Plugin, ("configure_client", "connect_service_client"))


def _configure(config: ClientConfig) -> ClientConfig:
    """``config`` through each plugin's ``configure_client``, in order."""
    configured: ClientConfig = _through_plugins(
        list(config.get("plugins", ())), "configure_client", config, "ClientConfig"
    )
    return configured


class Client(_ScheduleClientMixin, _UpdateClientMixin, _ActivityClientMixin):
    """A client of one namespace of a Temporal server.

    Three ways to make one:

    * ``client = await Client.connect(target, ...)``: opens a connection
      (close it with :meth:`close`);
    * ``async with Client(target, ...) as client:``: the same, closed on exit;
    * ``Client(**other.config())`` (or ``Client(service_client=..., ...)``):
      a ready client on an existing connection, e.g. with another namespace,
      interceptors or data converter. No call is made.

    A connection is owned by the client that opened it: :meth:`close` on that
    client closes it (and calls of clients built on it then fail); ``close()``
    on a client built on a given ``service_client`` only detaches that client.
    """

    def __init__(
        self,
        target_host: Union[str, ServiceClientProtocol, None] = None,
        *,
        service_client: Optional[ServiceClientProtocol] = None,
        namespace: Optional[str] = None,
        identity: Optional[str] = None,
        data_converter: Union["DataConverter", "PayloadConverter"] = _DEFAULT_DATA_CONVERTER,
        plugins: Sequence[Plugin] = [],
        interceptors: Sequence[ClientInterceptor] = [],
        default_workflow_query_reject_condition: Optional[QueryRejectCondition] = None,
        header_codec_behavior: HeaderCodecBehavior = HeaderCodecBehavior.NO_CODEC,
        tls: Union[bool, TLSConfig, None] = None,
        api_key: Optional[str] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        retry_config: Optional[RetryConfig] = None,
        keep_alive_config: Optional[KeepAliveConfig] = KeepAliveConfig.default,
        lazy: bool = False,
        runtime: Optional["Runtime"] = None,
    ) -> None:
        """Options:

        * ``target_host``: "host:port" to connect to (on :meth:`connect` or
          ``async with``), or an existing :class:`~temporalio.service.ServiceClient`
          (the same as ``service_client=``, the official SDK's positional form;
          any :class:`ServiceClientProtocol` object is accepted);
        * ``namespace``: default "default", or the connection's namespace when
          built on a ``service_client``;
        * ``identity``: sent with calls; default the connection's, else ``pid@hostname``;
        * ``data_converter``: a ``DataConverter`` or a ``PayloadConverter``;
        * ``plugins``: :class:`Plugin` objects; each one's ``configure_client``
          gets the options (a :class:`ClientConfig`) in turn and returns those
          used, the first plugin first; ``connect_service_client`` wraps the
          opening of the connection (on :meth:`connect` or ``async with``);
        * ``interceptors``: :class:`Interceptor` objects or callables
          ``(next) -> OutboundInterceptor``, the first outermost; anything
          else raises :class:`TypeError` naming its position;
        * ``default_workflow_query_reject_condition``: for queries that set none;
        * ``header_codec_behavior``: only ``HeaderCodecBehavior.NO_CODEC`` (the
          default: headers never go through the payload codec); the others
          raise :class:`NotImplementedError`;
        * connection options (only with a target): ``tls``, ``api_key``,
          ``rpc_metadata``, ``retry_config``, ``keep_alive_config``, ``lazy``,
          ``runtime`` (a :class:`temporalio.runtime.Runtime` whose threads drive
          the connection; default :meth:`Runtime.default
          <temporalio.runtime.Runtime.default>` if one was made or set, else
          the process's core runtime).

          ``tls``: ``None`` (the default) means TLS (system roots) when an
          ``api_key`` is given and plaintext otherwise; ``True`` TLS with the
          system roots; a :class:`~temporalio.service.TLSConfig` TLS with its
          material (checked here: bad PEM, a key that does not match its
          certificate or an unreadable file raise :class:`ValueError` naming
          the field); ``False`` plaintext, also with an API key (which then
          travels in clear text). ``api_key`` is sent as ``authorization:
          Bearer <key>`` and must be printable ASCII (:class:`ValueError`
          otherwise, e.g. for a trailing newline). ``rpc_metadata`` keys must be
          valid gRPC header names and values printable ASCII unless the key
          ends in ``-bin`` (:class:`ValueError` naming the key otherwise). No
          repr or error message shows the API key, metadata values or the
          private key.

        ``rpc_timeout`` of every operation bounds its call to the server as a
        whole, retries and the backoff between them included.
        """
        if isinstance(target_host, ServiceClientProtocol):
            if service_client is not None:
                raise TypeError("give the connection once: target_host or service_client, not both")
            target_host, service_client = None, target_host
        if service_client is not None:
            if target_host is not None:
                raise TypeError("give target_host or service_client, not both")
            _check_service_client(service_client)
            given = dict(
                tls=tls,
                api_key=api_key,
                rpc_metadata=rpc_metadata,
                retry_config=retry_config,
                keep_alive_config=keep_alive_config,
                lazy=lazy,
                runtime=runtime,
            )
            extra = sorted(k for k, v in given.items() if v != _CONNECTION_DEFAULTS[k])
            if extra:
                raise TypeError(
                    f"{', '.join(extra)}: options of the connection, which cannot be given with "
                    "service_client (the connection exists; set client.api_key or "
                    "client.rpc_metadata to change those on it)"
                )
            self._connect_config = service_client.config
            if namespace is None:
                namespace = self._connect_config.namespace
        else:
            if target_host is None:
                raise TypeError("Client needs a target_host 'host:port' (or a service_client)")
            _check_type(target_host, str, "target_host", "a str 'host:port'")
            if namespace is None:
                namespace = "default"
            _check_type(namespace, str, "namespace", "a str")
            _check_type(identity, str, "identity", "a str", optional=True)
            self._connect_config = ConnectConfig(
                target_host=target_host,
                namespace=namespace,
                api_key=api_key,
                tls=tls,
                retry_config=retry_config,
                keep_alive_config=keep_alive_config,
                rpc_metadata=dict(rpc_metadata),
                identity=identity,
                lazy=lazy,
                runtime=runtime,
            )
        self._owns_connection = service_client is None
        plugins = _check_plugins(plugins)
        config = ClientConfig(
            namespace=namespace,
            data_converter=_data_converter_of(data_converter),
            plugins=plugins,
            interceptors=interceptors,
            default_workflow_query_reject_condition=default_workflow_query_reject_condition,
            header_codec_behavior=header_codec_behavior,
        )
        if identity is not None:
            config["identity"] = identity
        if service_client is not None:
            config["service_client"] = cast(ServiceClient, service_client)
        self._initial_config = ClientConfig(**config)  # type: ignore[typeddict-item]
        # Plugins see a complete config (with its service_client): on a
        # client that opens its own connection they run once it is open.
        self._plugins_pending = bool(plugins) and service_client is None
        self._init_from_config(config if self._plugins_pending else _configure(config))

    def _init_from_config(self, config: ClientConfig) -> None:
        """Check the options and build the interceptor chain."""
        namespace = config.get("namespace")
        identity = config.get("identity")
        _check_type(namespace, str, "namespace", "a str")
        _check_type(identity, str, "identity", "a str", optional=True)
        condition = config.get("default_workflow_query_reject_condition")
        if condition is not None:
            condition = _check_enum(
                QueryRejectCondition, condition, "default_workflow_query_reject_condition"
            )
        _check_no_header_codec(config.get("header_codec_behavior", HeaderCodecBehavior.NO_CODEC))
        service_client = config.get("service_client")
        if service_client is not None:
            _check_service_client(service_client)
            if not self._owns_connection:
                self._connect_config = service_client.config
        data_converter = config.get("data_converter")
        self._data_converter = _data_converter_of(data_converter)
        self._namespace: str = cast(str, namespace)
        self._default_query_reject_condition: Optional[QueryRejectCondition] = condition
        self._service_client: Optional[ServiceClientProtocol] = service_client
        self._identity = identity or self._connect_config.identity or default_identity()
        self._interceptors = _check_interceptors(config.get("interceptors", ()))
        self._plugins = list(config.get("plugins", ()))
        self._config = config
        self._impl: OutboundInterceptor = _build_chain(self._interceptors, _ClientImpl(self))

    @classmethod
    async def connect(
        cls,
        target_host: str,
        *,
        namespace: str = "default",
        api_key: Optional[str] = None,
        data_converter: Union["DataConverter", "PayloadConverter"] = _DEFAULT_DATA_CONVERTER,
        plugins: Sequence[Plugin] = [],
        interceptors: Sequence[ClientInterceptor] = [],
        default_workflow_query_reject_condition: Optional[QueryRejectCondition] = None,
        tls: Union[bool, TLSConfig, None] = None,
        retry_config: Optional[RetryConfig] = None,
        keep_alive_config: Optional[KeepAliveConfig] = KeepAliveConfig.default,
        connect_timeout: Optional[timedelta] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        identity: Optional[str] = None,
        lazy: bool = False,
        runtime: Optional["Runtime"] = None,
        http_connect_proxy_config: Any = None,
        dns_load_balancing_config: Any = None,
        grpc_compression: Any = None,
        payload_limits: Any = None,
        header_codec_behavior: HeaderCodecBehavior = HeaderCodecBehavior.NO_CODEC,
    ) -> "Client":
        """Connect to ``target_host`` ("host:port"); the options are the
        constructor's (see :class:`Client`), and the official SDK's keywords.

        Unless ``lazy=True`` this calls GetSystemInfo, retrying within the retry
        budget, so a bad target fails here with an :class:`~temporalio.service.RPCError`.
        ``plugins``' ``connect_service_client`` hooks wrap the opening of the
        connection (the first plugin outermost), then their
        ``configure_client`` hooks change the client's options.

        Official options this SDK does not implement take only their "off"
        value, ``None``; anything else raises :class:`NotImplementedError`
        naming the option: ``connect_timeout`` (the connection is checked by
        one GetSystemInfo within ``retry_config``'s budget),
        ``http_connect_proxy_config``, ``dns_load_balancing_config``,
        ``grpc_compression`` (the core compresses messages above 1 KiB) and
        ``payload_limits`` (sizes are not checked client-side; the server
        enforces its own).
        """
        _check_type(target_host, str, "target_host", "a str 'host:port'")
        for name, value, why in (
            ("connect_timeout", connect_timeout, "a TCP connect timeout"),
            ("http_connect_proxy_config", http_connect_proxy_config, "HTTP CONNECT proxies"),
            ("dns_load_balancing_config", dns_load_balancing_config, "DNS load balancing"),
            ("grpc_compression", grpc_compression, "choosing the gRPC compression"),
            ("payload_limits", payload_limits, "client-side payload size limits"),
        ):
            if value is not None:
                raise NotImplementedError(
                    f"{name}: {why} is not implemented in this SDK (give None)"
                )
        client = cls(
            target_host,
            namespace=namespace,
            api_key=api_key,
            data_converter=data_converter,
            plugins=plugins,
            interceptors=interceptors,
            default_workflow_query_reject_condition=default_workflow_query_reject_condition,
            tls=tls,
            retry_config=retry_config,
            keep_alive_config=keep_alive_config,
            rpc_metadata=rpc_metadata,
            identity=identity,
            lazy=lazy,
            runtime=runtime,
            header_codec_behavior=header_codec_behavior,
        )
        await client._connect()
        return client

    async def _connect(self) -> None:
        if self._service_client is None:
            if not self._owns_connection:
                raise RuntimeError(
                    "this client was closed; it was built on another client's connection: "
                    "make a new one with Client(**other_client.config())"
                )
            connect: Callable[[ConnectConfig], Awaitable[ServiceClient]] = _plugin_chain(
                self._plugins, "connect_service_client", ServiceClient.connect
            )
            service_client = await connect(self._connect_config)
            if not self._plugins_pending:
                self._service_client = service_client
                return
            try:
                _check_type(
                    service_client,
                    ServiceClientProtocol,
                    "the service client a plugin's connect_service_client returned",
                    "a temporalio.service.ServiceClient",
                )
                self._connect_config = service_client.config
                config = ClientConfig(**self._config)  # type: ignore[typeddict-item]
                config["service_client"] = service_client
                self._initial_config["service_client"] = service_client
                self._init_from_config(_configure(config))
                self._plugins_pending = False
            except BaseException:
                service_client.close()
                raise

    async def __aenter__(self) -> "Client":
        await self._connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop using the connection. If this client opened it (``connect``,
        ``async with``), close it: calls in flight, this client's and those of
        clients built on it, are cancelled. A client built on a given
        ``service_client`` leaves the connection open for its owner."""
        sc, self._service_client = self._service_client, None
        if sc is not None and self._owns_connection:
            sc.close()

    def config(self, *, active_config: bool = False) -> ClientConfig:
        """This client's options, with its live connection as ``service_client``.

        ``Client(**config)`` makes a client on the same connection at once;
        change entries first for a variant, e.g.
        ``Client(**{**client.config(), "namespace": "other"})``. A new dict
        (and interceptors list) each call. ``active_config``: the options in
        use, after the plugins' ``configure_client`` (the default: those
        given); the same when there are no plugins.

        Raises:
            RuntimeError: the client is not connected (no ``service_client``).
        """
        base = self._config if active_config else self._initial_config
        config = ClientConfig(
            service_client=self.service_client,
            namespace=self._namespace if active_config else base["namespace"],
            identity=self._identity,
            data_converter=(
                self._data_converter
                if active_config
                else _data_converter_of(base.get("data_converter"))
            ),
            plugins=list(base.get("plugins", ())),
            interceptors=list(base.get("interceptors", ())),
            default_workflow_query_reject_condition=base.get(
                "default_workflow_query_reject_condition"
            ),
            header_codec_behavior=base.get("header_codec_behavior", HeaderCodecBehavior.NO_CODEC),
        )
        if not active_config:
            config["service_client"] = base.get("service_client", self.service_client)
        return config

    @property
    def service_client(self) -> ServiceClient:
        """The connection (shared by the services, by workers and by clients
        made from :meth:`config`): the ``ServiceClient`` opened or given (or
        the :class:`ServiceClientProtocol` object given instead)."""
        if self._service_client is None:
            raise RuntimeError("the client is not connected: use Client.connect() or 'async with'")
        # Typed as the class for callers (workers) that need a real one; a
        # client only uses the protocol's members of it.
        return cast(ServiceClient, self._service_client)

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
        return self._namespace

    @property
    def identity(self) -> str:
        """The identity sent with calls (default ``pid@hostname``)."""
        return self._identity

    @property
    def data_converter(self) -> "DataConverter":
        """Converts arguments, results and failures (workers use it too)."""
        return self._data_converter

    @property
    def interceptors(self) -> Sequence[ClientInterceptor]:
        """The interceptors given, outermost first (a copy)."""
        return list(self._interceptors)

    @property
    def default_workflow_query_reject_condition(self) -> Optional[QueryRejectCondition]:
        """Reject condition of queries that set none (None: the server's default)."""
        return self._default_query_reject_condition

    @property
    def api_key(self) -> Optional[str]:
        """The API key of the connection; setting it applies to every later
        call, workers' and other clients' on the connection too."""
        return self._connect_config.api_key

    @api_key.setter
    def api_key(self, value: Optional[str]) -> None:
        """Raises :class:`ValueError` for a key a header cannot carry, or on a
        connection opened in plaintext without ``tls=False``."""
        self.service_client.update_api_key(value)

    @property
    def rpc_metadata(self) -> Mapping[str, Union[str, bytes]]:
        """Extra headers of the connection; setting them applies to every
        later call, workers' and other clients' on the connection too."""
        return self._connect_config.rpc_metadata

    @rpc_metadata.setter
    def rpc_metadata(self, value: Mapping[str, Union[str, bytes]]) -> None:
        """Raises :class:`ValueError` naming a key that is not a valid header
        name or whose value a header cannot carry."""
        self.service_client.update_rpc_metadata(value)

    # ---- workflows ----

    async def start_workflow(
        self,
        workflow: Union[str, Callable[..., Any]],
        *arg_values: Any,
        arg: Any = _ARG_UNSET,
        args: Sequence[Any] = (),
        id: Optional[str] = None,
        task_queue: str,
        execution_timeout: Optional[timedelta] = None,
        run_timeout: Optional[timedelta] = None,
        task_timeout: Optional[timedelta] = None,
        id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.UNSPECIFIED,
        retry_policy: Optional[RetryPolicy] = None,
        cron_schedule: str = "",
        memo: Optional[Mapping[str, Any]] = None,
        search_attributes: Union[None, Mapping[str, Any], TypedSearchAttributes] = None,
        start_signal: Optional[str] = None,
        start_signal_args: Sequence[Any] = [],
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
        result_type: Optional[Type[Any]] = None,
        start_delay: Optional[timedelta] = None,
        static_summary: Optional[str] = None,
        static_details: Optional[str] = None,
        priority: Priority = Priority.default,
        request_eager_start: bool = False,
        versioning_override: Optional[VersioningOverride] = None,
        stack_level: int = 2,
    ) -> "WorkflowHandle[Any, Any]":
        """Start workflow type ``workflow`` (its name, or the run method of
        a ``@workflow.defn`` class, whose declared result type then types
        :meth:`WorkflowHandle.result`) on ``task_queue``.

        Its arguments go positionally (``start_workflow("Wf", a, b, ...)``),
        as one ``arg=`` or as ``args=[...]`` (the official SDK's forms: one
        positional argument means the same as ``arg``); two forms at once
        raise :class:`TypeError` (also a :class:`ValueError`, as the
        official SDK raises).

        The official SDK's options: ``start_delay`` (the first workflow task
        waits that long; not with ``cron_schedule``), ``static_summary`` /
        ``static_details`` (user metadata the UI shows, encoded by the data
        converter), ``priority`` (:class:`~temporalio.common.Priority`),
        ``request_eager_start`` and ``versioning_override``.

        ``request_eager_start`` (eager workflow start, as the official SDK
        does it): when a :class:`~temporalio.worker.Worker` with workflows
        runs on this client's connection, namespace and task queue and has a
        free workflow task slot, the slot is reserved and the server is
        asked to return the first workflow task in the start response; that
        task goes straight to the worker (no poll). Otherwise (no such
        worker, no free slot, with ``start_signal`` or ``start_delay``)
        eager execution is not requested and the start is an ordinary one.
        ``stack_level`` is accepted for the official SDK's callers (it places
        its deprecation warnings; this client warns of nothing).

        ``id`` defaults to a new uuid4. With ``start_signal`` this is one
        SignalWithStartWorkflowExecution call: the signal (with
        ``start_signal_args``) is delivered before the workflow's first task,
        and a running workflow with the id is signalled instead of failing.
        ``search_attributes`` maps names to a value or a list of values, or is
        a :class:`~temporalio.common.TypedSearchAttributes` (the official form).
        ``result_type`` is the type hint for :meth:`WorkflowHandle.result`.

        Bad arguments raise :class:`TypeError` / :class:`ValueError` before
        any call (and before the interceptors). A running workflow with the
        id (or a closed one the ``id_reuse_policy`` forbids) raises
        :class:`WorkflowAlreadyStartedError`. Goes through
        :meth:`OutboundInterceptor.start_workflow`. ``rpc_timeout`` bounds the
        call as a whole, retries included.
        """
        workflow, declared_type = _workflow_name_and_result_type(workflow)
        if result_type is None:
            result_type = declared_type
        values = _arg_or_args(arg_values, arg, args, f"workflow {workflow!r}")
        _check_str(task_queue, "task_queue")
        workflow_id = _new_id() if id is None else _check_str(id, "id")
        _check_timeout(execution_timeout, "execution_timeout")
        _check_timeout(run_timeout, "run_timeout")
        _check_timeout(task_timeout, "task_timeout")
        id_reuse_policy = _check_enum(WorkflowIDReusePolicy, id_reuse_policy, "id_reuse_policy")
        id_conflict_policy = _check_enum(
            WorkflowIDConflictPolicy, id_conflict_policy, "id_conflict_policy"
        )
        _check_type(retry_policy, RetryPolicy, "retry_policy", "a RetryPolicy", optional=True)
        if retry_policy is not None:
            retry_policy.validate()
        _check_type(cron_schedule, str, "cron_schedule", "a str")
        _check_mapping(memo, "memo")
        if not isinstance(search_attributes, TypedSearchAttributes):
            _check_mapping(search_attributes, "search_attributes")
        if start_signal is not None:
            _check_str(start_signal, "start_signal")
        start_signal_args = _check_args(start_signal_args, "start_signal_args")
        if start_signal is None and start_signal_args:
            raise ValueError("start_signal_args given without start_signal")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        _check_timeout(start_delay, "start_delay")
        if start_delay is not None and cron_schedule:
            raise ValueError("start_delay cannot be given with cron_schedule")
        _check_type(static_summary, str, "static_summary", "a str", optional=True)
        _check_type(static_details, str, "static_details", "a str", optional=True)
        _check_type(priority, Priority, "priority", "a temporalio.common.Priority")
        _check_type(
            versioning_override,
            VersioningOverride,
            "versioning_override",
            "a temporalio.common.VersioningOverride",
            optional=True,
        )
        return await self._impl.start_workflow(
            StartWorkflowInput(
                workflow=workflow,
                args=values,
                id=workflow_id,
                task_queue=task_queue,
                execution_timeout=execution_timeout,
                run_timeout=run_timeout,
                task_timeout=task_timeout,
                id_reuse_policy=id_reuse_policy,
                id_conflict_policy=id_conflict_policy,
                retry_policy=retry_policy,
                cron_schedule=cron_schedule,
                memo=memo,
                search_attributes=search_attributes,
                headers={},
                start_signal=start_signal,
                start_signal_args=list(start_signal_args),
                ret_type=result_type,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                start_delay=start_delay,
                static_summary=static_summary,
                static_details=static_details,
                priority=priority,
                request_eager_start=bool(request_eager_start),
                versioning_override=versioning_override,
            )
        )

    async def execute_workflow(
        self,
        workflow: Union[str, Callable[..., Any]],
        *arg_values: Any,
        arg: Any = _ARG_UNSET,
        args: Sequence[Any] = (),
        id: Optional[str] = None,
        task_queue: str,
        execution_timeout: Optional[timedelta] = None,
        run_timeout: Optional[timedelta] = None,
        task_timeout: Optional[timedelta] = None,
        id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.UNSPECIFIED,
        retry_policy: Optional[RetryPolicy] = None,
        cron_schedule: str = "",
        memo: Optional[Mapping[str, Any]] = None,
        search_attributes: Union[None, Mapping[str, Any], TypedSearchAttributes] = None,
        start_signal: Optional[str] = None,
        start_signal_args: Sequence[Any] = [],
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
        result_type: Optional[Type[Any]] = None,
        start_delay: Optional[timedelta] = None,
        static_summary: Optional[str] = None,
        static_details: Optional[str] = None,
        priority: Priority = Priority.default,
        request_eager_start: bool = False,
        versioning_override: Optional[VersioningOverride] = None,
    ) -> Any:
        """:meth:`start_workflow` then :meth:`WorkflowHandle.result` (whose
        polls get ``rpc_metadata`` too, but their own 70 s timeout); both go
        through the interceptors."""
        handle = await self.start_workflow(
            workflow,
            *arg_values,
            arg=arg,
            args=args,
            id=id,
            task_queue=task_queue,
            execution_timeout=execution_timeout,
            run_timeout=run_timeout,
            task_timeout=task_timeout,
            id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy,
            retry_policy=retry_policy,
            cron_schedule=cron_schedule,
            memo=memo,
            search_attributes=search_attributes,
            start_signal=start_signal,
            start_signal_args=start_signal_args,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
            result_type=result_type,
            start_delay=start_delay,
            static_summary=static_summary,
            static_details=static_details,
            priority=priority,
            request_eager_start=request_eager_start,
            versioning_override=versioning_override,
        )
        return await handle.result(rpc_metadata=rpc_metadata)

    def get_workflow_handle(
        self,
        workflow_id: str,
        *,
        run_id: Optional[str] = None,
        first_execution_run_id: Optional[str] = None,
        result_type: Optional[Type[Any]] = None,
    ) -> "WorkflowHandle[Any, Any]":
        """A handle to workflow ``workflow_id`` (no call: it may not exist).

        With ``run_id`` every operation targets that run (and :meth:`~WorkflowHandle.result`
        starts from it); otherwise the latest run. ``first_execution_run_id``
        limits cancel and terminate to the chain of runs started by that run.
        """
        _check_str(workflow_id, "workflow_id")
        if run_id is not None:
            _check_str(run_id, "run_id")
        if first_execution_run_id is not None:
            _check_str(first_execution_run_id, "first_execution_run_id")
        return WorkflowHandle(
            self,
            workflow_id,
            run_id=run_id,
            result_run_id=run_id,
            first_execution_run_id=first_execution_run_id,
            result_type=result_type,
        )

    def get_workflow_handle_for(
        self,
        workflow: Any,
        workflow_id: str,
        *,
        run_id: Optional[str] = None,
        first_execution_run_id: Optional[str] = None,
    ) -> "WorkflowHandle[Any, Any]":
        """:meth:`get_workflow_handle` typed by the workflow's run method
        ``workflow`` (the official SDK's form): the handle's
        :meth:`~WorkflowHandle.result` decodes into the method's return
        annotation. No call is made. Raises :class:`ValueError` if
        ``workflow`` is not the run method of a ``@workflow.defn`` class."""
        if not callable(workflow):
            raise TypeError(
                f"workflow must be the workflow's run method, not {type(workflow).__name__}"
            )
        defn = _must_workflow_definition(workflow)  # ValueError if not a @workflow.run
        declared = getattr(defn, "ret_type", None)
        return self.get_workflow_handle(
            workflow_id,
            run_id=run_id,
            first_execution_run_id=first_execution_run_id,
            result_type=declared or _return_type(workflow),
        )

    def list_workflows(
        self,
        query: Optional[str] = None,
        *,
        limit: Optional[int] = None,
        page_size: int = 1000,
        next_page_token: Optional[bytes] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> WorkflowExecutionAsyncIterator:
        """Workflow runs matching the visibility ``query`` (None: all), as
        an async iterator of :class:`WorkflowExecution` fetching
        ``page_size`` at a time, ``limit`` in all (None: no limit), from
        ``next_page_token``. No call is made until the first iteration.
        Visibility is eventually consistent: a run just started may not be
        listed yet. Goes through :meth:`OutboundInterceptor.list_workflows`;
        ``rpc_timeout`` bounds each page's call."""
        _check_type(query, str, "query", "a str", optional=True)
        return self._impl.list_workflows(
            _list_input(
                ListWorkflowsInput,
                query,
                limit,
                page_size,
                next_page_token,
                rpc_metadata,
                rpc_timeout,
            )
        )

    async def count_workflows(
        self,
        query: Optional[str] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> WorkflowExecutionCount:
        """The number of workflow runs matching the visibility ``query``
        (None: all); with ``GROUP BY`` (e.g. ``GROUP BY ExecutionStatus``)
        also per group. Approximate, eventually consistent. Goes through
        :meth:`OutboundInterceptor.count_workflows`."""
        _check_type(query, str, "query", "a str", optional=True)
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return await self._impl.count_workflows(
            CountWorkflowsInput(query=query, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout)
        )

    def get_async_activity_handle(
        self,
        *,
        workflow_id: Optional[str] = None,
        run_id: Optional[str] = None,
        activity_id: Optional[str] = None,
        task_token: Optional[bytes] = None,
    ) -> AsyncActivityHandle:
        """A handle to complete, fail, heartbeat or report cancelled an
        activity that called :func:`temporalio.activity.raise_complete_async`:
        by ``task_token`` alone (``activity.info().task_token``), by
        ``workflow_id``, ``run_id`` (None: the latest run) and ``activity_id``,
        or, for a standalone activity (:meth:`start_activity`), by
        ``activity_id`` and ``run_id`` (the activity's run; None: the latest).
        No call is made. :class:`ValueError` for another combination."""
        if task_token is not None:
            if workflow_id is not None or run_id is not None or activity_id is not None:
                raise ValueError("Task token cannot be present with other IDs")
            _check_type(task_token, bytes, "task_token", "bytes")
            if not task_token:
                raise ValueError("task_token must not be empty")
            return AsyncActivityHandle(self, task_token)
        if workflow_id is not None:
            if activity_id is None:
                raise ValueError("Workflow ID, run ID, and activity ID must all be given together")
            _check_str(workflow_id, "workflow_id")
            if run_id is not None:
                _check_str(run_id, "run_id")
            _check_str(activity_id, "activity_id")
            return AsyncActivityHandle(
                self,
                AsyncActivityIDReference(
                    workflow_id=workflow_id, run_id=run_id, activity_id=activity_id
                ),
            )
        if activity_id is not None:
            # a standalone activity (Client.start_activity): its id and run
            _check_str(activity_id, "activity_id")
            if run_id is not None:
                _check_str(run_id, "run_id")
            return AsyncActivityHandle(
                self,
                AsyncActivityIDReference(workflow_id=None, run_id=run_id, activity_id=activity_id),
            )
        raise ValueError(
            "Require task token, or workflow_id & run_id & activity_id, or activity_id & run_id"
        )

    # ---- helpers of the implementation ----

    def _workflow_converter(self, workflow_id: str) -> "DataConverter":
        """The client's data converter in the WorkflowSerializationContext of
        ``workflow_id`` (itself when no part of it uses contexts)."""
        dc = self._data_converter
        uses_context = self.__dict__.get("_dc_uses_context")
        if uses_context is False:  # probed once: most converters use none
            return dc
        from temporalio.converter import WorkflowSerializationContext

        scoped = dc.with_context(
            WorkflowSerializationContext(namespace=self._namespace, workflow_id=workflow_id)
        )
        if uses_context is None:
            self.__dict__["_dc_uses_context"] = scoped is not dc
        return scoped

    async def _call(
        self,
        rpc: str,
        req: "Message",
        rpc_metadata: Mapping[str, Union[str, bytes]],
        rpc_timeout: Optional[timedelta],
    ) -> Any:
        method = getattr(self.service, rpc)
        if self._namespace != self.service_client.config.namespace:
            # The connection's namespace header would name the other namespace.
            rpc_metadata = {**rpc_metadata, "temporal-namespace": self._namespace}
        return await method(req, retry=True, metadata=rpc_metadata or None, timeout=rpc_timeout)

    async def _encode(
        self, values: Sequence[Any], what: str, converter: Optional["DataConverter"] = None
    ) -> List["Payload"]:
        """Encode ``values`` (with ``converter``, default the client's); an
        unconvertible one raises a TypeError naming ``what``, its position
        and its type."""
        try:
            return list(await (converter or self._data_converter).encode(list(values)))
        except TypeError as err:
            raise _with_context(err, f"cannot encode the arguments of {what}") from err

    async def _encode_one(
        self, value: Any, what: str, converter: Optional["DataConverter"] = None
    ) -> "Payload":
        try:
            (payload,) = await (converter or self._data_converter).encode([value])
        except TypeError as err:
            raise _with_context(err, f"cannot encode {what}") from err
        return payload

    async def _decode(
        self,
        payloads: Sequence["Payload"],
        type_hints: Optional[List[Any]],
        what: str,
        converter: Optional["DataConverter"] = None,
    ) -> List[Any]:
        """Decode ``payloads``; a failure says what was decoded and the
        payloads' encoding."""
        try:
            return list(
                await (converter or self._data_converter).decode(list(payloads), type_hints)
            )
        except (TypeError, ValueError) as err:
            encodings = sorted(
                {p.metadata.get("encoding", b"(none)").decode("utf-8", "replace") for p in payloads}
            )
            raise _with_context(
                err, f"cannot decode {what}, payload encoding {', '.join(encodings)}"
            ) from err


def _with_context(err: Exception, context: str) -> Exception:
    """``err``'s text (the converter's, as the official SDK raises it) with
    ``context`` added after it, in an error of the same class when that is a
    plain converter error class (else TypeError/ValueError)."""
    from temporalio.converter._payload_converter import _NoConverterError, _UnknownEncodingError

    text = str(err) if not isinstance(err, KeyError) or len(err.args) != 1 else str(err.args[0])
    cls: type = type(err)
    if cls not in (TypeError, ValueError, _NoConverterError, _UnknownEncodingError):
        cls = TypeError if isinstance(err, TypeError) else ValueError
    return cls(f"{text} ({context})")


def _return_type(fn: Any) -> Optional[Type[Any]]:
    """The return annotation of ``fn`` (None if it has none or it cannot be resolved)."""
    import typing

    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # unresolvable forward references: decode untyped
        return None
    ret = hints.get("return")
    return None if ret is None or ret is type(None) else ret
