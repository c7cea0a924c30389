"""The Temporal client: connect, start and drive workflows.

Every workflow operation of :class:`Client` and :class:`WorkflowHandle` goes
through a chain of :class:`OutboundInterceptor` objects (one async method and
one input dataclass per operation) ending in the implementation that talks to
the server; ``Client(..., interceptors=[...])`` puts yours in front of it.

Importing this module loads no protobuf module and not the extension; they
load on the first connect (request messages are imported inside the methods
that build them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Generic,
    List,
    Mapping,
    Optional,
    Sequence,
    Type,
    TypedDict,
    TypeVar,
    Union,
)

from temporalio.common import (
    QueryRejectCondition,
    RetryPolicy,
    WorkflowExecutionStatus,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import TemporalError
from temporalio.service import (
    ConnectConfig,
    DeadlineExceededError,
    InvalidArgumentError,
    KeepAliveConfig,
    OperatorService,
    RetryConfig,
    RPCError,
    ServiceClient,
    TLSConfig,
    WorkflowExecutionAlreadyStartedError,
    WorkflowService,
    default_identity,
)

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from temporalio.api.common.v1 import Payload, Payloads
    from temporalio.api.workflow.v1 import WorkflowExecutionInfo
    from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionResponse
    from temporalio.converter import DataConverter, PayloadConverter

__all__ = [
    "Client",
    "ClientConfig",
    "WorkflowHandle",
    "WorkflowExecutionDescription",
    "WorkflowExecutionStatus",
    "WorkflowFailureError",
    "WorkflowContinuedAsNewError",
    "WorkflowQueryFailedError",
    "WorkflowQueryRejectedError",
    "WorkflowAlreadyStartedError",
    "RetryPolicy",
    "WorkflowIDReusePolicy",
    "WorkflowIDConflictPolicy",
    "QueryRejectCondition",
    "Interceptor",
    "OutboundInterceptor",
    "StartWorkflowInput",
    "CancelWorkflowInput",
    "DescribeWorkflowInput",
    "GetWorkflowResultInput",
    "QueryWorkflowInput",
    "SignalWorkflowInput",
    "TerminateWorkflowInput",
]

ReturnType = TypeVar("ReturnType")

# A long poll of history is cut by the client after this long (the server
# answers an open workflow's poll well before, with an empty page).
LONG_POLL_TIMEOUT = timedelta(seconds=70)

SUPPORTED_FEATURES_HEADER = "supported-features"
FOLLOWS_NEXT_RUN_ID = "follows-next-run-id"

# ---- errors -----------------------------------------------------------------


class WorkflowFailureError(TemporalError):
    """The workflow did not complete: it failed, was cancelled, was terminated
    or timed out. :attr:`cause` says which (``ApplicationError``,
    ``CancelledError``, ``TerminatedError``, ``TimeoutError``, ...)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"Workflow execution failed: {cause}")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """Why the workflow did not complete."""
        assert self.__cause__ is not None
        return self.__cause__


class WorkflowContinuedAsNewError(TemporalError):
    """The run continued as new and ``result(follow_runs=False)`` was asked."""

    def __init__(self, new_execution_run_id: str) -> None:
        super().__init__(f"Workflow continued as new (new run {new_execution_run_id})")
        self._new_execution_run_id = new_execution_run_id

    @property
    def new_execution_run_id(self) -> str:
        """Run id of the run it continued as."""
        return self._new_execution_run_id


class WorkflowQueryFailedError(TemporalError):
    """The query was not answered: no handler of that name, the handler
    raised, or the server rejected the request. When the workflow's handler
    failed, ``__cause__`` is the converted failure."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self._message = message

    @property
    def message(self) -> str:
        """Why the query failed."""
        return self._message


class WorkflowQueryRejectedError(TemporalError):
    """The query's ``reject_condition`` matched the workflow's status."""

    def __init__(self, status: Optional[WorkflowExecutionStatus]) -> None:
        name = status.name if status is not None else "unknown"
        super().__init__(f"Query rejected, workflow status: {name}")
        self._status = status

    @property
    def status(self) -> Optional[WorkflowExecutionStatus]:
        """Status of the workflow that caused the rejection."""
        return self._status


class WorkflowAlreadyStartedError(TemporalError):
    """A workflow with this id is running (or closed, and the id reuse policy
    forbids reusing it)."""

    def __init__(self, workflow_id: str, workflow_type: str, run_id: Optional[str] = None) -> None:
        super().__init__(f"Workflow execution already started: id {workflow_id!r}, run {run_id}")
        self.workflow_id = workflow_id
        """Id given to the start."""
        self.workflow_type = workflow_type
        """Workflow type given to the start."""
        self.run_id = run_id
        """Run id of the existing workflow, if the server said."""


# ---- argument checks --------------------------------------------------------------


def _check_str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


def _check_timeout(value: Any, name: str, *, allow_zero: bool = True) -> Optional[timedelta]:
    if value is None:
        return None
    if not isinstance(value, timedelta):
        raise TypeError(f"{name} must be a datetime.timedelta, not {type(value).__name__}")
    if value < timedelta(0) or (not allow_zero and value == timedelta(0)):
        limit = "negative" if allow_zero else "zero or negative"
        raise ValueError(f"{name} must not be {limit}, got {value!r}")
    return value


def _check_rpc_options(rpc_metadata: Any, rpc_timeout: Any) -> None:
    if not isinstance(rpc_metadata, Mapping):
        raise TypeError(f"rpc_metadata must be a mapping, not {type(rpc_metadata).__name__}")
    _check_timeout(rpc_timeout, "rpc_timeout", allow_zero=False)


def _check_args(args: Any, name: str) -> Sequence[Any]:
    if isinstance(args, (str, bytes)) or not isinstance(args, Sequence):
        raise TypeError(f"{name} must be a list of arguments, not {type(args).__name__}")
    return args


def _enum(enum: Any, value: Any, name: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a {enum.__name__}, not {type(value).__name__}")
    try:
        return enum(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a {enum.__name__}") from None


def _utc(ts: Any) -> datetime:
    return ts.ToDatetime().replace(tzinfo=timezone.utc)


def _utc_if_set(msg: Any, field_name: str) -> Optional[datetime]:
    return _utc(getattr(msg, field_name)) if msg.HasField(field_name) else None




# ---- interceptors -----------------------------------------------------------------------
#
# One input dataclass per client operation. The public methods check the
# caller's arguments, fill in defaults (a uuid4 workflow id, the client's
# default query reject condition) and hand the input to the outermost
# interceptor; the innermost one (_ClientImpl) encodes arguments, builds the
# request and calls the server. An interceptor may change an input (its
# fields are plain attributes) or replace it before calling ``next``.


@dataclass
class StartWorkflowInput:
    """Input of :meth:`OutboundInterceptor.start_workflow` (:meth:`Client.start_workflow`,
    :meth:`Client.execute_workflow`; with ``start_signal``, signal-with-start)."""

    workflow: str
    """Workflow type name."""
    args: Sequence[Any]
    """Workflow arguments (values, encoded by the client's data converter)."""
    id: str
    """Workflow id (the caller's, or a new uuid4)."""
    task_queue: str
    """Task queue of the workflow."""
    execution_timeout: Optional[timedelta] = None
    """Limit of the whole chain of runs."""
    run_timeout: Optional[timedelta] = None
    """Limit of one run."""
    task_timeout: Optional[timedelta] = None
    """Limit of one workflow task."""
    id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE
    """Whether the id of a closed workflow may be used again."""
    id_conflict_policy: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.UNSPECIFIED
    """What to do when a workflow with the id is running."""
    retry_policy: Optional[RetryPolicy] = None
    """Retries of the workflow by the server."""
    cron_schedule: str = ""
    """Cron schedule ("" for none)."""
    memo: Optional[Mapping[str, Any]] = None
    """Memo (values, encoded by the client's data converter)."""
    search_attributes: Optional[Mapping[str, Any]] = None
    """Search attributes: name to a value or a list of values (always JSON)."""
    headers: Mapping[str, "Payload"] = field(default_factory=dict)
    """Headers sent in the request's ``header`` field, as given (no codec
    applied). Empty unless an interceptor sets them."""
    start_signal: Optional[str] = None
    """Signal to send with the start (SignalWithStartWorkflowExecution)."""
    start_signal_args: Sequence[Any] = field(default_factory=list)
    """Arguments of ``start_signal``."""
    ret_type: Optional[Type[Any]] = None
    """Result type hint that the returned handle's ``result()`` decodes into."""
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta] = None
    """Timeout of this gRPC call as a whole, retries included."""


@dataclass
class CancelWorkflowInput:
    """Input of :meth:`OutboundInterceptor.cancel_workflow` (:meth:`WorkflowHandle.cancel`)."""

    id: str
    """Workflow id."""
    run_id: Optional[str]
    """Run to cancel; None: the latest."""
    first_execution_run_id: Optional[str] = None
    """Limit the cancel to the chain of runs started by this run."""
    reason: str = ""
    """Why (recorded in history)."""
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta] = None
    """Timeout of this gRPC call as a whole, retries included."""


@dataclass
class DescribeWorkflowInput:
    """Input of :meth:`OutboundInterceptor.describe_workflow` (:meth:`WorkflowHandle.describe`)."""

    id: str
    """Workflow id."""
    run_id: Optional[str]
    """Run to describe; None: the latest."""
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta] = None
    """Timeout of this gRPC call as a whole, retries included."""


@dataclass
class GetWorkflowResultInput:
    """Input of :meth:`OutboundInterceptor.get_workflow_result` (:meth:`WorkflowHandle.result`).

    One call per ``result()``: the implementation long-polls the history for
    the close event and follows runs itself, so an interceptor sees the
    whole wait and the decoded result (or the raised error).
    """

    id: str
    """Workflow id."""
    run_id: Optional[str]
    """Run to start from (the handle's ``result_run_id``); None: the latest."""
    follow_runs: bool = True
    """Follow continue-as-new, retries and cron runs to the last one."""
    ret_type: Optional[Type[Any]] = None
    """Type hint the result is decoded into."""
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    """Headers of each history poll."""
    rpc_timeout: Optional[timedelta] = None
    """Timeout of each history poll (default 70 s), not of the wait."""


@dataclass
class QueryWorkflowInput:
    """Input of :meth:`OutboundInterceptor.query_workflow` (:meth:`WorkflowHandle.query`)."""

    id: str
    """Workflow id."""
    run_id: Optional[str]
    """Run to query; None: the latest."""
    query: str
    """Query name."""
    args: Sequence[Any] = field(default_factory=list)
    """Query arguments (values, encoded by the client's data converter)."""
    reject_condition: Optional[QueryRejectCondition] = None
    """The query's own condition, else the client's
    ``default_workflow_query_reject_condition``; None: the server's default."""
    headers: Mapping[str, "Payload"] = field(default_factory=dict)
    """Headers sent in the query's ``header`` field, as given (no codec applied)."""
    ret_type: Optional[Type[Any]] = None
    """Type hint the answer is decoded into."""
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta] = None
    """Timeout of this gRPC call as a whole, retries included."""


@dataclass
class SignalWorkflowInput:
    """Input of :meth:`OutboundInterceptor.signal_workflow` (:meth:`WorkflowHandle.signal`)."""

    id: str
    """Workflow id."""
    run_id: Optional[str]
    """Run to signal; None: the latest."""
    signal: str
    """Signal name."""
    args: Sequence[Any] = field(default_factory=list)
    """Signal arguments (values, encoded by the client's data converter)."""
    headers: Mapping[str, "Payload"] = field(default_factory=dict)
    """Headers sent in the request's ``header`` field, as given (no codec applied)."""
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta] = None
    """Timeout of this gRPC call as a whole, retries included."""


@dataclass
class TerminateWorkflowInput:
    """Input of :meth:`OutboundInterceptor.terminate_workflow` (:meth:`WorkflowHandle.terminate`)."""

    id: str
    """Workflow id."""
    run_id: Optional[str]
    """Run to terminate; None: the latest."""
    first_execution_run_id: Optional[str] = None
    """Limit the termination to the chain of runs started by this run."""
    args: Sequence[Any] = field(default_factory=list)
    """Details recorded with the termination (encoded by the client's data converter)."""
    reason: Optional[str] = None
    """Why (recorded in history)."""
    rpc_metadata: Mapping[str, Union[str, bytes]] = field(default_factory=dict)
    """Headers of this gRPC call."""
    rpc_timeout: Optional[timedelta] = None
    """Timeout of this gRPC call as a whole, retries included."""


class OutboundInterceptor:
    """One link of a client's interceptor chain: one async method per client
    operation, each delegating to :attr:`next` unless overridden.

    Subclass it and override the operations to observe or change; call
    ``await super().<operation>(input)`` (or ``self.next.<operation>(input)``)
    to go on down the chain. Raising instead makes the caller's call raise
    that error, and no request is sent.
    """

    def __init__(self, next: "OutboundInterceptor") -> None:
        self.next = next
        """The next link (the innermost one talks to the server)."""

    async def start_workflow(self, input: StartWorkflowInput) -> "WorkflowHandle[Any]":
        """Called by :meth:`Client.start_workflow` (and ``execute_workflow``)."""
        return await self.next.start_workflow(input)

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        """Called by :meth:`WorkflowHandle.cancel`."""
        await self.next.cancel_workflow(input)

    async def describe_workflow(self, input: DescribeWorkflowInput) -> "WorkflowExecutionDescription":
        """Called by :meth:`WorkflowHandle.describe`."""
        return await self.next.describe_workflow(input)

    async def get_workflow_result(self, input: GetWorkflowResultInput) -> Any:
        """Called by :meth:`WorkflowHandle.result` (and ``execute_workflow``):
        returns the decoded result or raises what ``result()`` raises."""
        return await self.next.get_workflow_result(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        """Called by :meth:`WorkflowHandle.query`."""
        return await self.next.query_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        """Called by :meth:`WorkflowHandle.signal`."""
        await self.next.signal_workflow(input)

    async def terminate_workflow(self, input: TerminateWorkflowInput) -> None:
        """Called by :meth:`WorkflowHandle.terminate`."""
        await self.next.terminate_workflow(input)


class Interceptor:
    """A client interceptor: ``Client(..., interceptors=[MyInterceptor()])``.

    :meth:`intercept_client` is called once, when the client is built, with
    the link it must wrap; the default returns it unchanged. A plain callable
    ``(next: OutboundInterceptor) -> OutboundInterceptor`` (for instance an
    :class:`OutboundInterceptor` subclass) may be listed instead.
    """

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Return the link that wraps ``next`` (default: ``next`` itself)."""
        return next


ClientInterceptor = Union[Interceptor, Callable[[OutboundInterceptor], OutboundInterceptor]]
"""What ``interceptors=[...]`` accepts."""


def _describe_item(item: Any) -> str:
    text = repr(item)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(item).__name__} {text}"


def _check_interceptors(interceptors: Any) -> List[Any]:
    """The interceptors as a list; a wrong item raises TypeError naming its position."""
    if isinstance(interceptors, (str, bytes)) or not isinstance(interceptors, Sequence):
        raise TypeError(
            "interceptors must be a list of temporalio.client.Interceptor (or callables "
            f"(next) -> OutboundInterceptor), not {type(interceptors).__name__}"
        )
    items = list(interceptors)
    for i, item in enumerate(items):
        if isinstance(item, type):
            if issubclass(item, OutboundInterceptor):
                continue  # the class is a factory: cls(next)
            if issubclass(item, Interceptor) or hasattr(item, "intercept_client"):
                raise TypeError(
                    f"interceptors[{i}] is the class {item.__name__}, not an instance: "
                    f"write {item.__name__}()"
                )
        elif callable(getattr(item, "intercept_client", None)) or callable(item):
            continue
        raise TypeError(
            f"interceptors[{i}] is a {_describe_item(item)}, not a temporalio.client.Interceptor "
            "nor a callable (next: OutboundInterceptor) -> OutboundInterceptor"
        )
    return items


def _build_chain(items: List[Any], innermost: OutboundInterceptor) -> OutboundInterceptor:
    """Wrap ``innermost`` in ``items``, the first one outermost."""
    chain = innermost
    for i in reversed(range(len(items))):
        item = items[i]
        wrap = getattr(item, "intercept_client", None)
        if isinstance(item, type) or not callable(wrap):
            wrap = item
        link = wrap(chain)
        if not isinstance(link, OutboundInterceptor):
            raise TypeError(
                f"interceptors[{i}] ({_describe_item(item)}) returned a {type(link).__name__}, "
                "not a temporalio.client.OutboundInterceptor"
            )
        chain = link
    return chain


def _set_headers(headers: Any, proto: Any, what: str) -> None:
    """Copy ``headers`` (name -> Payload) into the ``Header`` message ``proto``."""
    if not headers:
        return
    if not isinstance(headers, Mapping):
        raise TypeError(
            f"headers of {what} must be a mapping of str to Payload, not {type(headers).__name__}"
        )
    from temporalio.api.common.v1 import Payload

    for name, payload in headers.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"header name {name!r} of {what} must be a non-empty str")
        if not isinstance(payload, Payload):
            raise TypeError(
                f"header {name!r} of {what} must be a temporalio.api.common.v1.Payload, not "
                f"{type(payload).__name__} (encode it first, e.g. with "
                "client.data_converter.payload_converter.to_payload)"
            )
        proto.fields[name].CopyFrom(payload)



# ---- client ---------------------------------------------------------------------------


class ClientConfig(TypedDict, total=False):
    """What :meth:`Client.config` returns: ``Client(**config)`` makes a client
    on the same connection at once."""

    service_client: ServiceClient
    """The live connection (owned by the client that opened it)."""
    namespace: str
    identity: str
    data_converter: "DataConverter"
    interceptors: Sequence[ClientInterceptor]
    default_workflow_query_reject_condition: Optional[QueryRejectCondition]


# Options of the connection itself: given with a target, never with a service_client.
_CONNECTION_DEFAULTS: Dict[str, Any] = dict(
    tls=None, api_key=None, rpc_metadata={}, retry_config=None,
    keep_alive_config=KeepAliveConfig.default, lazy=False,
)


class Client:
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
        target_host: Union[str, ServiceClient, None] = None,
        *,
        service_client: Optional[ServiceClient] = None,
        namespace: Optional[str] = None,
        identity: Optional[str] = None,
        data_converter: Union[None, "DataConverter", "PayloadConverter"] = None,
        interceptors: Sequence[ClientInterceptor] = (),
        default_workflow_query_reject_condition: Optional[QueryRejectCondition] = None,
        tls: Union[bool, TLSConfig, None] = None,
        api_key: Optional[str] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        retry_config: Optional[RetryConfig] = None,
        keep_alive_config: Optional[KeepAliveConfig] = KeepAliveConfig.default,
        lazy: bool = False,
    ) -> None:
        """Options:

        * ``target_host``: "host:port" to connect to (on :meth:`connect` or
          ``async with``), or an existing :class:`~temporalio.service.ServiceClient`
          (the same as ``service_client=``);
        * ``namespace``: default "default", or the connection's namespace when
          built on a ``service_client``;
        * ``identity``: sent with calls; default the connection's, else ``pid@hostname``;
        * ``data_converter``: a ``DataConverter`` or a ``PayloadConverter``;
        * ``interceptors``: :class:`Interceptor` objects or callables
          ``(next) -> OutboundInterceptor``, the first outermost; anything
          else raises :class:`TypeError` naming its position;
        * ``default_workflow_query_reject_condition``: for queries that set none;
        * connection options (only with a target): ``tls``, ``api_key``,
          ``rpc_metadata``, ``retry_config``, ``keep_alive_config``, ``lazy``.

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
        if isinstance(target_host, ServiceClient):
            if service_client is not None:
                raise TypeError("give the connection once: target_host or service_client, not both")
            target_host, service_client = None, target_host
        if service_client is not None:
            if target_host is not None:
                raise TypeError("give target_host or service_client, not both")
            if not isinstance(service_client, ServiceClient):
                raise TypeError(
                    "service_client must be a temporalio.service.ServiceClient, not "
                    f"{type(service_client).__name__}"
                )
            given = dict(tls=tls, api_key=api_key, rpc_metadata=rpc_metadata,
                         retry_config=retry_config, keep_alive_config=keep_alive_config, lazy=lazy)
            extra = sorted(k for k, v in given.items() if v != _CONNECTION_DEFAULTS[k])
            if extra:
                raise TypeError(
                    f"{', '.join(extra)}: options of the connection, which cannot be given with "
                    "service_client (the connection exists; set client.api_key or "
                    "client.rpc_metadata to change those on it)"
                )
            conn_config = service_client.config
            if namespace is None:
                namespace = conn_config.namespace
        else:
            if target_host is None:
                raise TypeError("Client needs a target_host 'host:port' (or a service_client)")
            if not isinstance(target_host, str):
                raise TypeError(
                    f"target_host must be a str 'host:port', not {type(target_host).__name__}"
                )
            if namespace is None:
                namespace = "default"
        if not isinstance(namespace, str):
            raise TypeError(f"namespace must be a str, not {type(namespace).__name__}")
        if identity is not None and not isinstance(identity, str):
            raise TypeError(f"identity must be a str, not {type(identity).__name__}")
        if default_workflow_query_reject_condition is not None:
            default_workflow_query_reject_condition = _enum(
                QueryRejectCondition, default_workflow_query_reject_condition,
                "default_workflow_query_reject_condition",
            )
        from temporalio.converter import DataConverter

        self._data_converter = (
            DataConverter.default if data_converter is None else DataConverter.of(data_converter)
        )
        self._namespace = namespace
        self._default_query_reject_condition: Optional[QueryRejectCondition] = (
            default_workflow_query_reject_condition
        )
        self._service_client: Optional[ServiceClient] = service_client
        self._owns_connection = service_client is None
        if service_client is not None:
            self._connect_config = service_client.config
        else:
            assert isinstance(target_host, str)
            self._connect_config = ConnectConfig(
                target_host=target_host, namespace=namespace, api_key=api_key, tls=tls,
                retry_config=retry_config, keep_alive_config=keep_alive_config,
                rpc_metadata=dict(rpc_metadata), identity=identity, lazy=lazy,
            )
        self._identity = identity or self._connect_config.identity or default_identity()
        self._interceptors = _check_interceptors(interceptors)
        self._impl: OutboundInterceptor = _build_chain(self._interceptors, _ClientImpl(self))

    @staticmethod
    async def connect(target_host: str, **kwargs: Any) -> "Client":
        """Connect to ``target_host`` ("host:port"); same options as the constructor.

        Unless ``lazy=True`` this calls GetSystemInfo, retrying within the retry
        budget, so a bad target fails here with an :class:`~temporalio.service.RPCError`.
        """
        if not isinstance(target_host, str):
            raise TypeError(f"target_host must be a str 'host:port', not {type(target_host).__name__}")
        client = Client(target_host, **kwargs)
        await client._connect()
        return client

    async def _connect(self) -> None:
        if self._service_client is None:
            if not self._owns_connection:
                raise RuntimeError(
                    "this client was closed; it was built on another client's connection: "
                    "make a new one with Client(**other_client.config())"
                )
            self._service_client = await ServiceClient.connect(self._connect_config)

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

    def config(self) -> ClientConfig:
        """This client's options, with its live connection as ``service_client``.

        ``Client(**config)`` makes a client on the same connection at once;
        change entries first for a variant, e.g.
        ``Client(**{**client.config(), "namespace": "other"})``. A new dict
        (and interceptors list) each call.
        """
        return ClientConfig(
            service_client=self.service_client,
            namespace=self._namespace,
            identity=self._identity,
            data_converter=self._data_converter,
            interceptors=list(self._interceptors),
            default_workflow_query_reject_condition=self._default_query_reject_condition,
        )

    @property
    def service_client(self) -> ServiceClient:
        """The connection (shared by the services, by workers and by clients
        made from :meth:`config`)."""
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
        workflow: str,
        *args: Any,
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
        search_attributes: Optional[Mapping[str, Any]] = None,
        start_signal: Optional[str] = None,
        start_signal_args: Sequence[Any] = [],
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
        result_type: Optional[Type[Any]] = None,
    ) -> "WorkflowHandle[Any]":
        """Start workflow type ``workflow`` with ``args`` on ``task_queue``.

        ``id`` defaults to a new uuid4. With ``start_signal`` this is one
        SignalWithStartWorkflowExecution call: the signal (with
        ``start_signal_args``) is delivered before the workflow's first task,
        and a running workflow with the id is signalled instead of failing.
        ``search_attributes`` maps names to a value or a list of values.
        ``result_type`` is the type hint for :meth:`WorkflowHandle.result`.

        Bad arguments raise :class:`TypeError` / :class:`ValueError` before
        any call (and before the interceptors). A running workflow with the
        id (or a closed one the ``id_reuse_policy`` forbids) raises
        :class:`WorkflowAlreadyStartedError`. Goes through
        :meth:`OutboundInterceptor.start_workflow`. ``rpc_timeout`` bounds the
        call as a whole, retries included.
        """
        _check_str(workflow, "workflow (the workflow type name)")
        _check_str(task_queue, "task_queue")
        workflow_id = str(uuid.uuid4()) if id is None else _check_str(id, "id")
        _check_timeout(execution_timeout, "execution_timeout")
        _check_timeout(run_timeout, "run_timeout")
        _check_timeout(task_timeout, "task_timeout")
        id_reuse_policy = _enum(WorkflowIDReusePolicy, id_reuse_policy, "id_reuse_policy")
        id_conflict_policy = _enum(WorkflowIDConflictPolicy, id_conflict_policy, "id_conflict_policy")
        if retry_policy is not None:
            if not isinstance(retry_policy, RetryPolicy):
                raise TypeError(f"retry_policy must be a RetryPolicy, not {type(retry_policy).__name__}")
            retry_policy.validate()
        if not isinstance(cron_schedule, str):
            raise TypeError(f"cron_schedule must be a str, not {type(cron_schedule).__name__}")
        for what, mapping in (("memo", memo), ("search_attributes", search_attributes)):
            if mapping is not None:
                if not isinstance(mapping, Mapping):
                    raise TypeError(f"{what} must be a mapping, not {type(mapping).__name__}")
                for key in mapping:
                    _check_str(key, f"{what} key")
        if start_signal is not None:
            _check_str(start_signal, "start_signal")
        start_signal_args = _check_args(start_signal_args, "start_signal_args")
        if start_signal is None and start_signal_args:
            raise ValueError("start_signal_args given without start_signal")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return await self._impl.start_workflow(
            StartWorkflowInput(
                workflow=workflow,
                args=list(args),
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
            )
        )

    async def execute_workflow(
        self,
        workflow: str,
        *args: Any,
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
        search_attributes: Optional[Mapping[str, Any]] = None,
        start_signal: Optional[str] = None,
        start_signal_args: Sequence[Any] = [],
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
        result_type: Optional[Type[Any]] = None,
    ) -> Any:
        """:meth:`start_workflow` then :meth:`WorkflowHandle.result` (whose
        polls get ``rpc_metadata`` too, but their own 70 s timeout); both go
        through the interceptors."""
        handle = await self.start_workflow(
            workflow, *args, id=id, task_queue=task_queue,
            execution_timeout=execution_timeout, run_timeout=run_timeout,
            task_timeout=task_timeout, id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy, retry_policy=retry_policy,
            cron_schedule=cron_schedule, memo=memo, search_attributes=search_attributes,
            start_signal=start_signal, start_signal_args=start_signal_args,
            rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout, result_type=result_type,
        )
        return await handle.result(rpc_metadata=rpc_metadata)

    def get_workflow_handle(
        self,
        workflow_id: str,
        *,
        run_id: Optional[str] = None,
        first_execution_run_id: Optional[str] = None,
        result_type: Optional[Type[Any]] = None,
    ) -> "WorkflowHandle[Any]":
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

    # ---- helpers of the implementation ----

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

    async def _encode(self, values: Sequence[Any], what: str) -> List["Payload"]:
        """Encode ``values``; an unconvertible one raises a TypeError naming
        ``what``, its position and its type."""
        try:
            return list(await self._data_converter.encode(list(values)))
        except TypeError as err:
            raise TypeError(f"cannot encode the arguments of {what}: {err}") from err

    async def _encode_one(self, value: Any, what: str) -> "Payload":
        try:
            (payload,) = await self._data_converter.encode([value])
        except TypeError as err:
            raise TypeError(f"cannot encode {what}: {err}") from err
        return payload

    async def _decode(
        self, payloads: Sequence["Payload"], type_hints: Optional[List[Any]], what: str
    ) -> List[Any]:
        """Decode ``payloads``; a failure says what was decoded and the
        payloads' encoding."""
        try:
            return list(await self._data_converter.decode(list(payloads), type_hints))
        except (TypeError, ValueError) as err:
            encodings = sorted({
                p.metadata.get("encoding", b"(none)").decode("utf-8", "replace") for p in payloads
            })
            cls = TypeError if isinstance(err, TypeError) else ValueError
            raise cls(
                f"cannot decode {what} (payload encoding {', '.join(encodings)}): {err}"
            ) from err

async def _encode_search_attributes(attrs: Mapping[str, Any], proto: Any) -> None:
    """Search attributes are JSON whatever the client's converter (the
    server indexes them), one payload per name."""
    from temporalio.converter import DataConverter

    for key, value in attrs.items():
        try:
            (payload,) = await DataConverter.default.encode([value])
        except TypeError as err:
            raise TypeError(
                f"search attribute {key!r} (of type {type(value).__name__}) cannot be "
                f"converted to a payload: {err}"
            ) from err
        proto.indexed_fields[key].CopyFrom(payload)




# ---- the innermost link: requests to the server -------------------------------------------


def _execution(workflow_id: str, run_id: Optional[str]) -> Any:
    from temporalio.api.common.v1 import WorkflowExecution

    return WorkflowExecution(workflow_id=workflow_id, run_id=run_id or "")


class _ClientImpl(OutboundInterceptor):
    """The end of every client's chain: what each operation does on the wire."""

    def __init__(self, client: Client) -> None:  # no next: this is the last link
        self._client = client

    async def start_workflow(self, input: StartWorkflowInput) -> "WorkflowHandle[Any]":
        from temporalio.api.workflowservice import v1 as wsv1

        client = self._client
        req: Any
        if input.start_signal is None:
            if input.start_signal_args:
                raise ValueError("start_signal_args given without start_signal")
            req = wsv1.StartWorkflowExecutionRequest()
        else:
            req = wsv1.SignalWithStartWorkflowExecutionRequest(signal_name=input.start_signal)
            if input.start_signal_args:
                req.signal_input.payloads.extend(
                    await client._encode(input.start_signal_args, f"signal {input.start_signal!r}")
                )
        req.namespace = client.namespace
        req.workflow_id = input.id
        req.workflow_type.name = input.workflow
        req.task_queue.name = input.task_queue
        if input.args:
            req.input.payloads.extend(await client._encode(input.args, f"workflow {input.workflow!r}"))
        if input.execution_timeout is not None:
            req.workflow_execution_timeout.FromTimedelta(input.execution_timeout)
        if input.run_timeout is not None:
            req.workflow_run_timeout.FromTimedelta(input.run_timeout)
        if input.task_timeout is not None:
            req.workflow_task_timeout.FromTimedelta(input.task_timeout)
        req.identity = client.identity
        req.request_id = str(uuid.uuid4())
        req.workflow_id_reuse_policy = int(input.id_reuse_policy)
        req.workflow_id_conflict_policy = int(input.id_conflict_policy)
        if input.retry_policy is not None:
            input.retry_policy.apply_to_proto(req.retry_policy)
        req.cron_schedule = input.cron_schedule
        if input.memo:
            for key, value in input.memo.items():
                req.memo.fields[key].CopyFrom(await client._encode_one(value, f"memo {key!r}"))
        if input.search_attributes:
            await _encode_search_attributes(input.search_attributes, req.search_attributes)
        _set_headers(input.headers, req.header, f"workflow {input.workflow!r}")

        try:
            if input.start_signal is None:
                resp = await client._call(
                    "start_workflow_execution", req, input.rpc_metadata, input.rpc_timeout
                )
                first_run_id = resp.first_execution_run_id or resp.run_id
            else:
                resp = await client._call(
                    "signal_with_start_workflow_execution", req, input.rpc_metadata,
                    input.rpc_timeout,
                )
                # The run signalled may be an existing one; servers before
                # 1.32 do not say which run began its chain.
                first_run_id = resp.first_execution_run_id or (resp.run_id if resp.started else None)
        except WorkflowExecutionAlreadyStartedError as err:
            try:
                existing_run_id = err.run_id or None
            except (TypeError, ValueError):  # undecodable status details
                existing_run_id = None
            raise WorkflowAlreadyStartedError(input.id, input.workflow, existing_run_id) from err
        return WorkflowHandle(
            client,
            input.id,
            result_run_id=resp.run_id,
            first_execution_run_id=first_run_id,
            result_type=input.ret_type,
        )

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        from temporalio.api.workflowservice.v1 import RequestCancelWorkflowExecutionRequest

        client = self._client
        req = RequestCancelWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=_execution(input.id, input.run_id),
            identity=client.identity,
            request_id=str(uuid.uuid4()),
            first_execution_run_id=input.first_execution_run_id or "",
            reason=input.reason or "",
        )
        await client._call(
            "request_cancel_workflow_execution", req, input.rpc_metadata, input.rpc_timeout
        )

    async def describe_workflow(self, input: DescribeWorkflowInput) -> "WorkflowExecutionDescription":
        from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest

        client = self._client
        req = DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=_execution(input.id, input.run_id)
        )
        resp = await client._call(
            "describe_workflow_execution", req, input.rpc_metadata, input.rpc_timeout
        )
        return await WorkflowExecutionDescription._from_response(resp, client)

    async def get_workflow_result(self, input: GetWorkflowResultInput) -> Any:
        from temporalio import exceptions as exc

        client = self._client
        dc = client.data_converter
        run_id = input.run_id
        follow_runs = input.follow_runs
        while True:
            event = await self._close_event(input, run_id)
            kind = event.WhichOneof("attributes")
            attrs: Any = getattr(event, kind) if kind else None
            if kind == "workflow_execution_completed_event_attributes":
                if follow_runs and attrs.new_execution_run_id:  # cron
                    run_id = attrs.new_execution_run_id
                    continue
                hints = [input.ret_type] if input.ret_type is not None else None
                values = await client._decode(
                    attrs.result.payloads, hints, f"the result of workflow {input.id!r}"
                )
                return values[0] if values else None
            if kind == "workflow_execution_failed_event_attributes":
                if follow_runs and attrs.new_execution_run_id:  # retry or cron
                    run_id = attrs.new_execution_run_id
                    continue
                raise WorkflowFailureError(await dc.decode_failure(attrs.failure))
            if kind == "workflow_execution_canceled_event_attributes":
                details = await self._details(input.id, attrs.details)
                raise WorkflowFailureError(exc.CancelledError("Workflow cancelled", *details))
            if kind == "workflow_execution_terminated_event_attributes":
                details = await self._details(input.id, attrs.details)
                raise WorkflowFailureError(
                    exc.TerminatedError(attrs.reason or "Workflow terminated", *details)
                )
            if kind == "workflow_execution_timed_out_event_attributes":
                if follow_runs and attrs.new_execution_run_id:  # retry or cron
                    run_id = attrs.new_execution_run_id
                    continue
                raise WorkflowFailureError(
                    exc.TimeoutError(
                        "Workflow timed out",
                        type=exc.TimeoutType.START_TO_CLOSE,
                        last_heartbeat_details=[],
                    )
                )
            if kind == "workflow_execution_continued_as_new_event_attributes":
                if not attrs.new_execution_run_id:
                    raise RuntimeError("continue-as-new event without the new run id")
                if follow_runs:
                    run_id = attrs.new_execution_run_id
                    continue
                raise WorkflowContinuedAsNewError(attrs.new_execution_run_id)
            raise RuntimeError(f"unexpected close event of workflow {input.id!r}: {kind}")

    async def _close_event(self, input: GetWorkflowResultInput, run_id: Optional[str]) -> Any:
        """Long-poll the history of ``run_id`` until its close event arrives."""
        from temporalio.api.enums.v1 import HistoryEventFilterType
        from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest

        client = self._client
        req = GetWorkflowExecutionHistoryRequest(
            namespace=client.namespace,
            execution=_execution(input.id, run_id),
            wait_new_event=True,
            history_event_filter_type=HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
            skip_archival=True,
        )
        timeout = input.rpc_timeout or LONG_POLL_TIMEOUT
        # Without this header the server rewrites a close event that has a
        # next run (retry, cron) into a fake continue-as-new, for old SDKs.
        metadata = {SUPPORTED_FEATURES_HEADER: FOLLOWS_NEXT_RUN_ID, **input.rpc_metadata}
        while True:
            try:
                resp = await client._call("get_workflow_execution_history", req, metadata, timeout)
            except DeadlineExceededError:
                continue  # the poll outlived its deadline: poll again
            if resp.history.events:
                return resp.history.events[-1]
            # Still open: an empty page; keep polling from where it left off.
            req.next_page_token = resp.next_page_token

    async def _details(self, workflow_id: str, payloads: Any) -> List[Any]:
        if not payloads.payloads:
            return []
        return await self._client._decode(
            payloads.payloads, None, f"the details of workflow {workflow_id!r}"
        )

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        from temporalio.api.workflowservice.v1 import QueryWorkflowRequest

        client = self._client
        name = input.query
        req = QueryWorkflowRequest(
            namespace=client.namespace, execution=_execution(input.id, input.run_id)
        )
        req.query.query_type = name
        if input.args:
            req.query.query_args.payloads.extend(await client._encode(input.args, f"query {name!r}"))
        _set_headers(input.headers, req.query.header, f"query {name!r}")
        if input.reject_condition is not None:
            req.query_reject_condition = int(input.reject_condition)
        try:
            resp = await client._call("query_workflow", req, input.rpc_metadata, input.rpc_timeout)
        except InvalidArgumentError as err:
            # QueryFailedError (the handler failed or is missing) is one of these.
            failed = WorkflowQueryFailedError(err.message)
            try:
                failure = getattr(err, "failure", None)
            except (TypeError, ValueError):  # undecodable status details
                failure = None
            if failure is not None and failure.ByteSize():
                raise failed from await client.data_converter.decode_failure(failure)
            raise failed from err
        if resp.HasField("query_rejected"):
            status = resp.query_rejected.status
            raise WorkflowQueryRejectedError(WorkflowExecutionStatus(status) if status else None)
        if not resp.query_result.payloads:
            return None
        hints = [input.ret_type] if input.ret_type is not None else None
        values = await client._decode(
            resp.query_result.payloads, hints, f"the result of query {name!r}"
        )
        return values[0] if values else None

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest

        client = self._client
        req = SignalWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=_execution(input.id, input.run_id),
            signal_name=input.signal,
            identity=client.identity,
            request_id=str(uuid.uuid4()),
        )
        if input.args:
            req.input.payloads.extend(await client._encode(input.args, f"signal {input.signal!r}"))
        _set_headers(input.headers, req.header, f"signal {input.signal!r}")
        await client._call("signal_workflow_execution", req, input.rpc_metadata, input.rpc_timeout)

    async def terminate_workflow(self, input: TerminateWorkflowInput) -> None:
        from temporalio.api.workflowservice.v1 import TerminateWorkflowExecutionRequest

        client = self._client
        req = TerminateWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=_execution(input.id, input.run_id),
            reason=input.reason or "",
            identity=client.identity,
            first_execution_run_id=input.first_execution_run_id or "",
        )
        if input.args:
            req.details.payloads.extend(await client._encode(input.args, "terminate details"))
        await client._call(
            "terminate_workflow_execution", req, input.rpc_metadata, input.rpc_timeout
        )

# ---- handles ----------------------------------------------------------------------------


class WorkflowHandle(Generic[ReturnType]):
    """A workflow execution: made by :meth:`Client.start_workflow` or
    :meth:`Client.get_workflow_handle`.

    :attr:`run_id` (when set) pins every operation to one run; a handle from
    ``start_workflow`` has none (operations target the latest run) but its
    :attr:`result_run_id` is the started run and :attr:`first_execution_run_id`
    ties cancel and terminate to that chain of runs.
    """

    def __init__(
        self,
        client: Client,
        id: str,
        *,
        run_id: Optional[str] = None,
        result_run_id: Optional[str] = None,
        first_execution_run_id: Optional[str] = None,
        result_type: Optional[Type[Any]] = None,
    ) -> None:
        self._client = client
        self._id = id
        self._run_id = run_id
        self._result_run_id = result_run_id
        self._first_execution_run_id = first_execution_run_id
        self._result_type = result_type

    @property
    def id(self) -> str:
        """Workflow id."""
        return self._id

    @property
    def run_id(self) -> Optional[str]:
        """Run every operation targets; None: the latest run."""
        return self._run_id

    @property
    def result_run_id(self) -> Optional[str]:
        """Run :meth:`result` starts from (the started run for a handle from
        ``start_workflow``); None: the latest run."""
        return self._result_run_id

    @property
    def first_execution_run_id(self) -> Optional[str]:
        """First run of the chain that cancel and terminate are limited to."""
        return self._first_execution_run_id

    @property
    def client(self) -> Client:
        """The client whose interceptors this handle's calls go through."""
        return self._client

    def __repr__(self) -> str:
        return f"WorkflowHandle(id={self._id!r}, run_id={self._run_id!r})"

    async def result(
        self,
        *,
        follow_runs: bool = True,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> ReturnType:
        """Wait for the workflow to close; return its result.

        Not memoized: each call asks the server (a long poll of the history
        for the close event). With ``follow_runs`` (the default) runs that
        continued as new, were retried or were cron-scheduled are followed to
        the last one; otherwise a continue-as-new raises
        :class:`WorkflowContinuedAsNewError`. ``rpc_timeout`` bounds each poll
        (default 70 s; each poll is one call, retries included), not the wait.

        Raises :class:`WorkflowFailureError` if the workflow failed (cause: the
        converted failure, e.g. ``ApplicationError``), was cancelled (cause
        ``CancelledError``), terminated (``TerminatedError``) or timed out
        (``TimeoutError``). Goes through :meth:`OutboundInterceptor.get_workflow_result`
        (once per call, whatever the runs followed).
        """
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return await self._client._impl.get_workflow_result(  # type: ignore[no-any-return]
            GetWorkflowResultInput(
                id=self._id,
                run_id=self._result_run_id,
                follow_runs=follow_runs,
                ret_type=self._result_type,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def cancel(
        self,
        *,
        reason: str = "",
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Ask the workflow to cancel (it decides how; :meth:`result` then
        raises with cause ``CancelledError`` if it accepts).

        A missing workflow raises :class:`~temporalio.service.NotFoundError`.
        Goes through :meth:`OutboundInterceptor.cancel_workflow`.
        ``rpc_timeout`` bounds the call as a whole, retries included.
        """
        if not isinstance(reason, str):
            raise TypeError(f"reason must be a str, not {type(reason).__name__}")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.cancel_workflow(
            CancelWorkflowInput(
                id=self._id,
                run_id=self._run_id,
                first_execution_run_id=self._first_execution_run_id,
                reason=reason,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def describe(
        self,
        *,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> "WorkflowExecutionDescription":
        """The workflow's status and other facts, as the server has them now
        (the whole response is its ``raw_description``). Goes through
        :meth:`OutboundInterceptor.describe_workflow`. ``rpc_timeout`` bounds
        the call as a whole, retries included."""
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return await self._client._impl.describe_workflow(
            DescribeWorkflowInput(
                id=self._id, run_id=self._run_id, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout
            )
        )

    async def query(
        self,
        name: str,
        *args: Any,
        reject_condition: Optional[QueryRejectCondition] = None,
        result_type: Optional[Type[Any]] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> Any:
        """Run query ``name`` with ``args`` on the workflow; return its decoded value.

        ``reject_condition`` defaults to the client's
        ``default_workflow_query_reject_condition`` (None: the server's
        default, never reject). Raises :class:`WorkflowQueryFailedError` if
        the query has no handler or its handler failed,
        :class:`WorkflowQueryRejectedError` if the reject condition matched
        the workflow's status. Goes through :meth:`OutboundInterceptor.query_workflow`.
        ``rpc_timeout`` bounds the call as a whole, retries included.
        """
        _check_str(name, "query name")
        if reject_condition is not None:
            reject_condition = _enum(QueryRejectCondition, reject_condition, "reject_condition")
        else:
            reject_condition = self._client.default_workflow_query_reject_condition
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return await self._client._impl.query_workflow(
            QueryWorkflowInput(
                id=self._id,
                run_id=self._run_id,
                query=name,
                args=list(args),
                reject_condition=reject_condition,
                headers={},
                ret_type=result_type,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def signal(
        self,
        name: str,
        *args: Any,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Send signal ``name`` with ``args`` to the workflow. Goes through
        :meth:`OutboundInterceptor.signal_workflow`. ``rpc_timeout`` bounds the
        call as a whole, retries included."""
        _check_str(name, "signal name")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.signal_workflow(
            SignalWorkflowInput(
                id=self._id,
                run_id=self._run_id,
                signal=name,
                args=list(args),
                headers={},
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    async def terminate(
        self,
        *args: Any,
        reason: Optional[str] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Terminate the workflow at once (its code is not told); ``args`` are
        recorded as details. :meth:`result` then raises with cause ``TerminatedError``.

        A missing workflow raises :class:`~temporalio.service.NotFoundError`.
        Goes through :meth:`OutboundInterceptor.terminate_workflow`.
        ``rpc_timeout`` bounds the call as a whole, retries included.
        """
        if reason is not None and not isinstance(reason, str):
            raise TypeError(f"reason must be a str, not {type(reason).__name__}")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.terminate_workflow(
            TerminateWorkflowInput(
                id=self._id,
                run_id=self._run_id,
                first_execution_run_id=self._first_execution_run_id,
                args=list(args),
                reason=reason,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

# ---- descriptions ---------------------------------------------------------------------


@dataclass
class WorkflowExecutionDescription:
    """One run of a workflow as :meth:`WorkflowHandle.describe` found it."""

    id: str
    """Workflow id."""
    run_id: str
    """Run id."""
    workflow_type: str
    """Workflow type name."""
    task_queue: str
    """Task queue of the workflow."""
    status: Optional[WorkflowExecutionStatus]
    """Status (None if the server did not say)."""
    start_time: Optional[datetime]
    """When the run was created (UTC)."""
    execution_time: Optional[datetime]
    """When the run started or will start (after a start delay, a retry backoff or a cron wait)."""
    close_time: Optional[datetime]
    """When the run closed, if it did."""
    history_length: int
    """Events in the run's history."""
    namespace: str
    """Namespace of the workflow."""
    parent_id: Optional[str]
    """Parent workflow id, if a child workflow."""
    parent_run_id: Optional[str]
    """Parent run id, if a child workflow."""
    search_attributes: Mapping[str, Any]
    """Search attributes, decoded (name to value)."""
    raw_info: "WorkflowExecutionInfo"
    """``workflow_execution_info`` of the response."""
    raw_description: "DescribeWorkflowExecutionResponse"
    """The whole DescribeWorkflowExecution response."""
    _client: Client = field(repr=False, compare=False)

    @staticmethod
    async def _from_response(resp: Any, client: Client) -> "WorkflowExecutionDescription":
        from temporalio.converter import DataConverter

        info = resp.workflow_execution_info
        search_attributes: Dict[str, Any] = {}
        for key, payload in info.search_attributes.indexed_fields.items():
            (search_attributes[key],) = await DataConverter.default.decode([payload])
        parent = info.parent_execution if info.HasField("parent_execution") else None
        return WorkflowExecutionDescription(
            id=info.execution.workflow_id,
            run_id=info.execution.run_id,
            workflow_type=info.type.name,
            task_queue=info.task_queue,
            status=WorkflowExecutionStatus(info.status) if info.status else None,
            start_time=_utc_if_set(info, "start_time"),
            execution_time=_utc_if_set(info, "execution_time"),
            close_time=_utc_if_set(info, "close_time"),
            history_length=info.history_length,
            namespace=client.namespace,
            parent_id=parent.workflow_id if parent is not None else None,
            parent_run_id=parent.run_id if parent is not None else None,
            search_attributes=search_attributes,
            raw_info=info,
            raw_description=resp,
            _client=client,
        )

    async def memo(self) -> Dict[str, Any]:
        """The memo, decoded with the client's converter."""
        out: Dict[str, Any] = {}
        for key, payload in self.raw_info.memo.fields.items():
            (out[key],) = await self._client._decode([payload], None, f"memo {key!r}")
        return out
