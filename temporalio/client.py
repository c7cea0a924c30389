"""The Temporal client: connect, start and drive workflows.

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
    Dict,
    Generic,
    List,
    Mapping,
    Optional,
    Sequence,
    Type,
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


# ---- client ---------------------------------------------------------------------------


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
        data_converter: Union[None, "DataConverter", "PayloadConverter"] = None,
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
        from temporalio.converter import DataConverter

        self._data_converter = (
            DataConverter.default if data_converter is None else DataConverter.of(data_converter)
        )
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
    def data_converter(self) -> "DataConverter":
        """Converts arguments, results and failures (workers use it too)."""
        return self._data_converter

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
        any call. A running workflow with the id (or a closed one the
        ``id_reuse_policy`` forbids) raises :class:`WorkflowAlreadyStartedError`.
        """
        from temporalio.api.workflowservice import v1 as wsv1

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

        req: Any
        if start_signal is None:
            req = wsv1.StartWorkflowExecutionRequest()
        else:
            req = wsv1.SignalWithStartWorkflowExecutionRequest(signal_name=start_signal)
            if start_signal_args:
                req.signal_input.payloads.extend(
                    await self._encode(start_signal_args, f"signal {start_signal!r}")
                )
        req.namespace = self.namespace
        req.workflow_id = workflow_id
        req.workflow_type.name = workflow
        req.task_queue.name = task_queue
        if args:
            req.input.payloads.extend(await self._encode(args, f"workflow {workflow!r}"))
        if execution_timeout is not None:
            req.workflow_execution_timeout.FromTimedelta(execution_timeout)
        if run_timeout is not None:
            req.workflow_run_timeout.FromTimedelta(run_timeout)
        if task_timeout is not None:
            req.workflow_task_timeout.FromTimedelta(task_timeout)
        req.identity = self.identity
        req.request_id = str(uuid.uuid4())
        req.workflow_id_reuse_policy = int(id_reuse_policy)
        req.workflow_id_conflict_policy = int(id_conflict_policy)
        if retry_policy is not None:
            retry_policy.apply_to_proto(req.retry_policy)
        req.cron_schedule = cron_schedule
        if memo:
            for key, value in memo.items():
                req.memo.fields[key].CopyFrom(await self._encode_one(value, f"memo {key!r}"))
        if search_attributes:
            await _encode_search_attributes(search_attributes, req.search_attributes)

        try:
            if start_signal is None:
                resp = await self._call("start_workflow_execution", req, rpc_metadata, rpc_timeout)
                first_run_id = resp.first_execution_run_id or resp.run_id
            else:
                resp = await self._call(
                    "signal_with_start_workflow_execution", req, rpc_metadata, rpc_timeout
                )
                # The run signalled may be an existing one; servers before
                # 1.32 do not say which run began its chain.
                first_run_id = resp.first_execution_run_id or (resp.run_id if resp.started else None)
        except WorkflowExecutionAlreadyStartedError as err:
            try:
                existing_run_id = err.run_id or None
            except (TypeError, ValueError):  # undecodable status details
                existing_run_id = None
            raise WorkflowAlreadyStartedError(workflow_id, workflow, existing_run_id) from err
        return WorkflowHandle(
            self,
            workflow_id,
            result_run_id=resp.run_id,
            first_execution_run_id=first_run_id,
            result_type=result_type,
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
        polls get ``rpc_metadata`` too, but their own 70 s timeout)."""
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

    # ---- helpers shared with handles ----

    async def _call(
        self,
        rpc: str,
        req: "Message",
        rpc_metadata: Mapping[str, Union[str, bytes]],
        rpc_timeout: Optional[timedelta],
    ) -> Any:
        method = getattr(self.service, rpc)
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

    def __repr__(self) -> str:
        return f"WorkflowHandle(id={self._id!r}, run_id={self._run_id!r})"

    def _execution(self, run_id: Optional[str]) -> Any:
        from temporalio.api.common.v1 import WorkflowExecution

        return WorkflowExecution(workflow_id=self._id, run_id=run_id or "")

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
        (default 70 s), not the wait.

        Raises :class:`WorkflowFailureError` if the workflow failed (cause: the
        converted failure, e.g. ``ApplicationError``), was cancelled (cause
        ``CancelledError``), terminated (``TerminatedError``) or timed out
        (``TimeoutError``).
        """
        from temporalio import exceptions as exc

        _check_rpc_options(rpc_metadata, rpc_timeout)
        dc = self._client.data_converter
        run_id = self._result_run_id
        while True:
            event = await self._close_event(run_id, rpc_metadata, rpc_timeout)
            kind = event.WhichOneof("attributes")
            attrs = getattr(event, kind) if kind else None
            if kind == "workflow_execution_completed_event_attributes":
                if follow_runs and attrs.new_execution_run_id:  # cron
                    run_id = attrs.new_execution_run_id
                    continue
                hints = [self._result_type] if self._result_type is not None else None
                values = await self._client._decode(
                    attrs.result.payloads, hints, f"the result of workflow {self._id!r}"
                )
                return values[0] if values else None  # type: ignore[return-value]
            if kind == "workflow_execution_failed_event_attributes":
                if follow_runs and attrs.new_execution_run_id:  # retry or cron
                    run_id = attrs.new_execution_run_id
                    continue
                raise WorkflowFailureError(await dc.decode_failure(attrs.failure))
            if kind == "workflow_execution_canceled_event_attributes":
                details = await self._details(attrs.details)
                raise WorkflowFailureError(exc.CancelledError("Workflow cancelled", *details))
            if kind == "workflow_execution_terminated_event_attributes":
                details = await self._details(attrs.details)
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
            raise RuntimeError(f"unexpected close event of workflow {self._id!r}: {kind}")

    async def _close_event(
        self,
        run_id: Optional[str],
        rpc_metadata: Mapping[str, Union[str, bytes]],
        rpc_timeout: Optional[timedelta],
    ) -> Any:
        """Long-poll the history of ``run_id`` until its close event arrives."""
        from temporalio.api.enums.v1 import HistoryEventFilterType
        from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest

        req = GetWorkflowExecutionHistoryRequest(
            namespace=self._client.namespace,
            execution=self._execution(run_id),
            wait_new_event=True,
            history_event_filter_type=HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
            skip_archival=True,
        )
        timeout = rpc_timeout or LONG_POLL_TIMEOUT
        # Without this header the server rewrites a close event that has a
        # next run (retry, cron) into a fake continue-as-new, for old SDKs.
        metadata = {SUPPORTED_FEATURES_HEADER: FOLLOWS_NEXT_RUN_ID, **rpc_metadata}
        while True:
            try:
                resp = await self._client._call(
                    "get_workflow_execution_history", req, metadata, timeout
                )
            except DeadlineExceededError:
                continue  # the poll outlived its deadline: poll again
            if resp.history.events:
                return resp.history.events[-1]
            # Still open: an empty page; keep polling from where it left off.
            req.next_page_token = resp.next_page_token

    async def _details(self, payloads: Any) -> List[Any]:
        if not payloads.payloads:
            return []
        return await self._client._decode(
            payloads.payloads, None, f"the details of workflow {self._id!r}"
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
        """
        from temporalio.api.workflowservice.v1 import RequestCancelWorkflowExecutionRequest

        if not isinstance(reason, str):
            raise TypeError(f"reason must be a str, not {type(reason).__name__}")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        req = RequestCancelWorkflowExecutionRequest(
            namespace=self._client.namespace,
            workflow_execution=self._execution(self._run_id),
            identity=self._client.identity,
            request_id=str(uuid.uuid4()),
            first_execution_run_id=self._first_execution_run_id or "",
            reason=reason,
        )
        await self._client._call("request_cancel_workflow_execution", req, rpc_metadata, rpc_timeout)

    async def describe(
        self,
        *,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> "WorkflowExecutionDescription":
        """The workflow's status and other facts, as the server has them now."""
        from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest

        _check_rpc_options(rpc_metadata, rpc_timeout)
        req = DescribeWorkflowExecutionRequest(
            namespace=self._client.namespace, execution=self._execution(self._run_id)
        )
        resp = await self._client._call("describe_workflow_execution", req, rpc_metadata, rpc_timeout)
        return await WorkflowExecutionDescription._from_response(resp, self._client)

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

        Raises :class:`WorkflowQueryFailedError` if the query has no handler
        or its handler failed, :class:`WorkflowQueryRejectedError` if
        ``reject_condition`` matched the workflow's status.
        """
        from temporalio.api.workflowservice.v1 import QueryWorkflowRequest

        _check_str(name, "query name")
        if reject_condition is not None:
            reject_condition = _enum(QueryRejectCondition, reject_condition, "reject_condition")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        req = QueryWorkflowRequest(
            namespace=self._client.namespace, execution=self._execution(self._run_id)
        )
        req.query.query_type = name
        if args:
            req.query.query_args.payloads.extend(await self._client._encode(args, f"query {name!r}"))
        if reject_condition is not None:
            req.query_reject_condition = int(reject_condition)
        try:
            resp = await self._client._call("query_workflow", req, rpc_metadata, rpc_timeout)
        except InvalidArgumentError as err:
            # QueryFailedError (the handler failed or is missing) is one of these.
            failed = WorkflowQueryFailedError(err.message)
            try:
                failure = getattr(err, "failure", None)
            except (TypeError, ValueError):  # undecodable status details
                failure = None
            if failure is not None and failure.ByteSize():
                raise failed from await self._client.data_converter.decode_failure(failure)
            raise failed from err
        if resp.HasField("query_rejected"):
            status = resp.query_rejected.status
            raise WorkflowQueryRejectedError(WorkflowExecutionStatus(status) if status else None)
        if not resp.query_result.payloads:
            return None
        hints = [result_type] if result_type is not None else None
        values = await self._client._decode(
            resp.query_result.payloads, hints, f"the result of query {name!r}"
        )
        return values[0] if values else None

    async def signal(
        self,
        name: str,
        *args: Any,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Send signal ``name`` with ``args`` to the workflow."""
        from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest

        _check_str(name, "signal name")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        req = SignalWorkflowExecutionRequest(
            namespace=self._client.namespace,
            workflow_execution=self._execution(self._run_id),
            signal_name=name,
            identity=self._client.identity,
            request_id=str(uuid.uuid4()),
        )
        if args:
            req.input.payloads.extend(await self._client._encode(args, f"signal {name!r}"))
        await self._client._call("signal_workflow_execution", req, rpc_metadata, rpc_timeout)

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
        """
        from temporalio.api.workflowservice.v1 import TerminateWorkflowExecutionRequest

        if reason is not None and not isinstance(reason, str):
            raise TypeError(f"reason must be a str, not {type(reason).__name__}")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        req = TerminateWorkflowExecutionRequest(
            namespace=self._client.namespace,
            workflow_execution=self._execution(self._run_id),
            reason=reason or "",
            identity=self._client.identity,
            first_execution_run_id=self._first_execution_run_id or "",
        )
        if args:
            req.details.payloads.extend(await self._client._encode(args, "terminate details"))
        await self._client._call("terminate_workflow_execution", req, rpc_metadata, rpc_timeout)


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
