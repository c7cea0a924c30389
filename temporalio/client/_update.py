"""Workflow updates from the client: :class:`WorkflowUpdateHandle`,
:class:`WorkflowUpdateStage`, the update errors, update-with-start
(:class:`WithStartWorkflowOperation`), the interceptor inputs, and what each
operation does on the wire.

:class:`WorkflowHandle` gets ``execute_update``, ``start_update`` and
``get_update_handle`` from :class:`_UpdateWorkflowHandleMixin`;
:class:`Client` gets ``start_update_with_start_workflow`` and
``execute_update_with_start_workflow`` from :class:`_UpdateClientMixin`; the
interceptor chain its methods from :class:`_UpdateOutboundMixin` and the
innermost link its requests from :class:`_UpdateImplMixin`. Protobuf modules
load inside the functions that use them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Generic,
    Mapping,
    Optional,
    Sequence,
    Type,
    TypeVar,
    Union,
)

from temporalio._checks import (
    _ARG_UNSET,
    _arg_or_args,
    _check_enum,
    _check_mapping,
    _check_rpc_options,
    _check_str,
    _check_timeout,
    _check_type,
    _workflow_name_and_result_type,
)
from temporalio.common import (
    Priority,
    RetryPolicy,
    TypedSearchAttributes,
    VersioningOverride,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import TemporalError

if TYPE_CHECKING:
    from temporalio.api.common.v1 import Payload
    from temporalio.api.update.v1 import Outcome
    from temporalio.client._client import Client
    from temporalio.client._interceptor import OutboundInterceptor, StartWorkflowInput
    from temporalio.client._workflow import WorkflowHandle

LocalReturnType = TypeVar("LocalReturnType")
ReturnType = TypeVar("ReturnType")
SelfType = TypeVar("SelfType")


class WorkflowUpdateStage(IntEnum):
    """The stage :meth:`WorkflowHandle.start_update` waits for the update to reach."""

    ADMITTED = 1
    """Received by the server (not supported as a wait stage)."""
    ACCEPTED = 2
    """Accepted by the workflow's validator."""
    COMPLETED = 3
    """Completed by the workflow's handler (or rejected, or failed)."""


class WorkflowUpdateFailedError(TemporalError):
    """The update was rejected by the workflow's validator or its handler
    raised; :attr:`cause` is the converted failure (e.g. ``ApplicationError``)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__("Workflow update failed")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """Why the update failed."""
        assert self.__cause__ is not None
        return self.__cause__


class RPCTimeoutOrCancelledError(TemporalError):
    """A client call timed out or was cancelled."""


class WorkflowUpdateRPCTimeoutOrCancelledError(RPCTimeoutOrCancelledError):
    """The call sending an update or waiting for its outcome timed out or was
    cancelled. The update itself may still go on (or have completed)."""

    def __init__(self) -> None:
        super().__init__("Timeout or cancellation waiting for update")


def _timeout_or_cancelled(err: BaseException) -> bool:
    from temporalio.service import RPCError, RPCStatusCode

    return isinstance(err, asyncio.CancelledError) or (
        isinstance(err, RPCError)
        and err.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)
    )


class WorkflowUpdateHandle(Generic[LocalReturnType]):
    """An update of a workflow: from :meth:`WorkflowHandle.start_update`,
    :meth:`WorkflowHandle.get_update_handle` or
    :meth:`Client.start_update_with_start_workflow`."""

    def __init__(
        self,
        client: "Client",
        id: str,
        workflow_id: str,
        *,
        workflow_run_id: Optional[str] = None,
        result_type: Optional[Type[Any]] = None,
        known_outcome: Optional["Outcome"] = None,
    ) -> None:
        self._client = client
        self._id = id
        self._workflow_id = workflow_id
        self._workflow_run_id = workflow_run_id
        self._result_type = result_type
        self._known_outcome = known_outcome

    @property
    def id(self) -> str:
        """Update id."""
        return self._id

    @property
    def workflow_id(self) -> str:
        """Id of the workflow the update is for."""
        return self._workflow_id

    @property
    def workflow_run_id(self) -> Optional[str]:
        """Run the update is for, if known."""
        return self._workflow_run_id

    def __repr__(self) -> str:
        return f"WorkflowUpdateHandle(id={self._id!r}, workflow_id={self._workflow_id!r})"

    async def result(
        self,
        *,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> LocalReturnType:
        """The update's result, waiting for it (no call if already known).

        ``rpc_timeout`` bounds each poll, not the wait. Raises
        :class:`WorkflowUpdateFailedError` if the update was rejected or
        failed, :class:`WorkflowUpdateRPCTimeoutOrCancelledError` if a poll
        timed out or was cancelled, an :class:`~temporalio.service.RPCError`
        otherwise (e.g. ``NotFoundError`` for an unknown update id).
        """
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._poll_until_outcome(rpc_metadata, rpc_timeout)
        outcome = self._known_outcome
        assert outcome is not None
        client = self._client
        converter = client._workflow_converter(self._workflow_id)
        if outcome.HasField("failure"):
            raise WorkflowUpdateFailedError(await converter.decode_failure(outcome.failure))
        if not outcome.success.payloads:
            return None  # type: ignore[return-value]
        hints = [self._result_type] if self._result_type is not None else None
        values = await client._decode(
            outcome.success.payloads, hints, f"the result of update {self._id!r}", converter
        )
        return values[0] if values else None  # type: ignore[no-any-return,return-value]

    async def _poll_until_outcome(
        self,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        if self._known_outcome is not None:
            return
        from temporalio.api.workflowservice.v1 import PollWorkflowExecutionUpdateRequest

        client = self._client
        req = PollWorkflowExecutionUpdateRequest(
            namespace=client.namespace, identity=client.identity
        )
        ref = req.update_ref
        ref.workflow_execution.workflow_id = self._workflow_id
        ref.workflow_execution.run_id = self._workflow_run_id or ""
        ref.update_id = self._id
        req.wait_policy.lifecycle_stage = int(WorkflowUpdateStage.COMPLETED)
        while True:  # the server answers a long poll without an outcome when it gives up
            try:
                resp = await client._call(
                    "poll_workflow_execution_update", req, rpc_metadata, rpc_timeout
                )
            except BaseException as err:
                if _timeout_or_cancelled(err):
                    raise WorkflowUpdateRPCTimeoutOrCancelledError() from err
                raise
            if resp.HasField("outcome"):
                self._known_outcome = resp.outcome
                return


# ---- interceptor inputs -----------------------------------------------------------------


@dataclass
class StartWorkflowUpdateInput:
    """Input of :meth:`OutboundInterceptor.start_workflow_update`
    (:meth:`WorkflowHandle.start_update`, :meth:`WorkflowHandle.execute_update`)."""

    id: str
    """Workflow id."""
    run_id: Optional[str]
    """Run to update; None: the latest."""
    first_execution_run_id: Optional[str]
    """Limit the update to the chain of runs started by this run."""
    update_id: Optional[str]
    """Update id (None: a new uuid4)."""
    update: str
    """Update name."""
    args: Sequence[Any]
    """Update arguments (values, encoded by the client's data converter)."""
    wait_for_stage: WorkflowUpdateStage
    """Stage to wait for before returning the handle."""
    headers: Mapping[str, "Payload"]
    """Headers of the update, as given (no codec applied)."""
    ret_type: Optional[Type[Any]]
    """Type hint the result is decoded into."""
    rpc_metadata: Mapping[str, Union[str, bytes]]
    """Headers of the gRPC calls."""
    rpc_timeout: Optional[timedelta]
    """Timeout of each gRPC call, retries included."""


@dataclass
class UpdateWithStartUpdateWorkflowInput:
    """The update part of :class:`StartWorkflowUpdateWithStartInput`."""

    update_id: Optional[str]
    update: str
    args: Sequence[Any]
    wait_for_stage: WorkflowUpdateStage
    headers: Mapping[str, "Payload"]
    ret_type: Optional[Type[Any]]


@dataclass
class UpdateWithStartStartWorkflowInput:
    """The start part of :class:`StartWorkflowUpdateWithStartInput` (the
    options of :meth:`Client.start_workflow` an update-with-start may have)."""

    workflow: str
    args: Sequence[Any]
    id: str
    task_queue: str
    execution_timeout: Optional[timedelta]
    run_timeout: Optional[timedelta]
    task_timeout: Optional[timedelta]
    id_reuse_policy: WorkflowIDReusePolicy
    id_conflict_policy: WorkflowIDConflictPolicy
    retry_policy: Optional[RetryPolicy]
    cron_schedule: str
    memo: Optional[Mapping[str, Any]]
    search_attributes: Union[None, Mapping[str, Any], TypedSearchAttributes]
    start_delay: Optional[timedelta]
    headers: Mapping[str, "Payload"]
    static_summary: Optional[str]
    static_details: Optional[str]
    ret_type: Optional[Type[Any]]
    priority: Priority
    versioning_override: Optional[VersioningOverride] = None


@dataclass
class StartWorkflowUpdateWithStartInput:
    """Input of :meth:`OutboundInterceptor.start_update_with_start_workflow`:
    one ExecuteMultiOperation call (start, then update)."""

    start_workflow_input: UpdateWithStartStartWorkflowInput
    update_workflow_input: UpdateWithStartUpdateWorkflowInput
    rpc_metadata: Mapping[str, Union[str, bytes]]
    """Headers of the gRPC calls."""
    rpc_timeout: Optional[timedelta]
    """Timeout of each gRPC call, retries included."""
    _on_start: Callable[[Any], None] = field(repr=False, default=lambda _resp: None)
    _on_start_error: Callable[[BaseException], None] = field(repr=False, default=lambda _e: None)


# ---- update-with-start -------------------------------------------------------------------


class WithStartWorkflowOperation(Generic[SelfType, ReturnType]):
    """The workflow start of an update-with-start
    (:meth:`Client.start_update_with_start_workflow`): starts the workflow
    unless one with the id runs, in which case ``id_conflict_policy``
    (required: ``USE_EXISTING`` or ``FAIL``) decides. Used once."""

    def __init__(
        self,
        workflow: Any,
        arg: Any = _ARG_UNSET,
        *,
        args: Sequence[Any] = [],
        id: str,
        task_queue: str,
        id_conflict_policy: WorkflowIDConflictPolicy,
        result_type: Optional[Type[Any]] = None,
        execution_timeout: Optional[timedelta] = None,
        run_timeout: Optional[timedelta] = None,
        task_timeout: Optional[timedelta] = None,
        id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        retry_policy: Optional[RetryPolicy] = None,
        cron_schedule: str = "",
        memo: Optional[Mapping[str, Any]] = None,
        search_attributes: Union[None, Mapping[str, Any], TypedSearchAttributes] = None,
        static_summary: Optional[str] = None,
        static_details: Optional[str] = None,
        start_delay: Optional[timedelta] = None,
        priority: Priority = Priority.default,
        versioning_override: Optional[VersioningOverride] = None,
    ) -> None:
        """The options are those of :meth:`Client.start_workflow` (``workflow``
        is a type name or a ``@workflow.run`` method); an unspecified
        ``id_conflict_policy`` raises ValueError "WorkflowIDConflictPolicy is
        required"."""
        id_conflict_policy = _check_enum(
            WorkflowIDConflictPolicy, id_conflict_policy, "id_conflict_policy"
        )
        if id_conflict_policy == WorkflowIDConflictPolicy.UNSPECIFIED:
            raise ValueError("WorkflowIDConflictPolicy is required")
        workflow, declared_type = _workflow_name_and_result_type(workflow)
        if result_type is None:
            result_type = declared_type
        _check_str(id, "id")
        _check_str(task_queue, "task_queue")
        for name, timeout in (
            ("execution_timeout", execution_timeout),
            ("run_timeout", run_timeout),
            ("task_timeout", task_timeout),
            ("start_delay", start_delay),
        ):
            _check_timeout(timeout, name)
        id_reuse_policy = _check_enum(WorkflowIDReusePolicy, id_reuse_policy, "id_reuse_policy")
        _check_type(retry_policy, RetryPolicy, "retry_policy", "a RetryPolicy", optional=True)
        if retry_policy is not None:
            retry_policy.validate()
        _check_type(cron_schedule, str, "cron_schedule", "a str")
        _check_mapping(memo, "memo")
        if not isinstance(search_attributes, TypedSearchAttributes):
            _check_mapping(search_attributes, "search_attributes")
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
        self._start_workflow_input = UpdateWithStartStartWorkflowInput(
            workflow=workflow,
            args=_arg_or_args((), arg, args),
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
            start_delay=start_delay,
            headers={},
            static_summary=static_summary,
            static_details=static_details,
            ret_type=result_type,
            priority=priority,
            versioning_override=versioning_override,
        )
        self._handle_future: "Optional[asyncio.Future[WorkflowHandle[Any, Any]]]" = None
        self._used = False

    @property
    def _workflow_handle(self) -> "asyncio.Future[WorkflowHandle[Any, Any]]":
        # Made on first use, in the running loop (the operation may be built outside one).
        if self._handle_future is None:
            self._handle_future = asyncio.get_running_loop().create_future()
        return self._handle_future

    async def workflow_handle(self) -> "WorkflowHandle[SelfType, ReturnType]":
        """The started (or existing) workflow's handle, once the
        update-with-start call has started it; raises what that call raised
        if it did not."""
        return await self._workflow_handle


def _update_name(update: Any) -> str:
    return _check_str(update, "update (the update name)")


def _check_stage(wait_for_stage: Any) -> WorkflowUpdateStage:
    stage = _check_enum(WorkflowUpdateStage, wait_for_stage, "wait_for_stage")
    if stage == WorkflowUpdateStage.ADMITTED:
        raise ValueError("ADMITTED wait stage not supported")
    return stage


class _UpdateWorkflowHandleMixin:
    """The update operations of :class:`WorkflowHandle`."""

    _client: "Client"
    _id: str
    _run_id: Optional[str]
    _first_execution_run_id: Optional[str]

    async def execute_update(
        self,
        update: str,
        arg: Any = _ARG_UNSET,
        *,
        args: Sequence[Any] = [],
        id: Optional[str] = None,
        result_type: Optional[Type[Any]] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> Any:
        """Send update ``update`` (one argument as ``arg``, several as
        ``args``) and wait for its result. ``id`` defaults to a new uuid4.

        Raises :class:`WorkflowUpdateFailedError` if the workflow rejected
        the update or its handler failed,
        :class:`WorkflowUpdateRPCTimeoutOrCancelledError` if a call timed out
        or was cancelled, an :class:`~temporalio.service.RPCError` otherwise
        (e.g. ``NotFoundError`` for a missing workflow). Goes through
        :meth:`OutboundInterceptor.start_workflow_update`.
        """
        handle = await self.start_update(
            update,
            arg,
            args=args,
            wait_for_stage=WorkflowUpdateStage.COMPLETED,
            id=id,
            result_type=result_type,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        return await handle.result(rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout)

    async def start_update(
        self,
        update: str,
        arg: Any = _ARG_UNSET,
        *,
        wait_for_stage: WorkflowUpdateStage,
        args: Sequence[Any] = [],
        id: Optional[str] = None,
        result_type: Optional[Type[Any]] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> WorkflowUpdateHandle[Any]:
        """Send update ``update`` and return its handle once it reached
        ``wait_for_stage`` (``ACCEPTED`` or ``COMPLETED``; ``ADMITTED``
        raises ValueError "ADMITTED wait stage not supported"). A rejected
        update shows as :class:`WorkflowUpdateFailedError` from the handle's
        ``result()``. Raises :class:`WorkflowUpdateRPCTimeoutOrCancelledError`
        if the call timed out or was cancelled. Goes through
        :meth:`OutboundInterceptor.start_workflow_update`.
        """
        name = _update_name(update)
        stage = _check_stage(wait_for_stage)
        if id is not None:
            _check_str(id, "id")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        return await self._client._impl.start_workflow_update(
            StartWorkflowUpdateInput(
                id=self._id,
                run_id=self._run_id,
                first_execution_run_id=self._first_execution_run_id,
                update_id=id,
                update=name,
                args=_arg_or_args((), arg, args),
                wait_for_stage=stage,
                headers={},
                ret_type=result_type,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    def get_update_handle_for(
        self,
        update: Callable[..., Any],
        id: str,
        *,
        workflow_run_id: Optional[str] = None,
    ) -> WorkflowUpdateHandle[Any]:
        """:meth:`get_update_handle` typed by ``update``, a ``@workflow.update``
        method: its declared return type decodes the result. No call is made.

        Raises:
            TypeError: ``update`` carries no update definition.
        """
        defn = getattr(update, "_defn", None) or getattr(
            update, "__temporal_update_definition", None
        )
        if defn is None or not hasattr(defn, "ret_type"):
            raise TypeError(
                f"{getattr(update, '__qualname__', update)!r} is not a @workflow.update method "
                "(use get_update_handle with result_type= for an update given by name)"
            )
        return self.get_update_handle(
            id, workflow_run_id=workflow_run_id, result_type=defn.ret_type
        )

    def get_update_handle(
        self,
        id: str,
        *,
        workflow_run_id: Optional[str] = None,
        result_type: Optional[Type[Any]] = None,
    ) -> WorkflowUpdateHandle[Any]:
        """A handle to update ``id`` of this workflow (no call); of run
        ``workflow_run_id``, else of this handle's run."""
        _check_str(id, "id")
        _check_type(workflow_run_id, str, "workflow_run_id", "a str", optional=True)
        return WorkflowUpdateHandle(
            self._client,
            id,
            self._id,
            workflow_run_id=workflow_run_id or self._run_id,
            result_type=result_type,
        )


class _UpdateClientMixin:
    """The update-with-start operations of :class:`Client`."""

    _impl: "OutboundInterceptor"

    async def execute_update_with_start_workflow(
        self,
        update: str,
        arg: Any = _ARG_UNSET,
        *,
        start_workflow_operation: WithStartWorkflowOperation[Any, Any],
        args: Sequence[Any] = [],
        id: Optional[str] = None,
        result_type: Optional[Type[Any]] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> Any:
        """:meth:`start_update_with_start_workflow` waiting for the update's
        result; raises what :meth:`WorkflowHandle.execute_update` raises."""
        handle = await self.start_update_with_start_workflow(
            update,
            arg,
            args=args,
            start_workflow_operation=start_workflow_operation,
            wait_for_stage=WorkflowUpdateStage.COMPLETED,
            id=id,
            result_type=result_type,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        return await handle.result(rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout)

    async def start_update_with_start_workflow(
        self,
        update: str,
        arg: Any = _ARG_UNSET,
        *,
        start_workflow_operation: WithStartWorkflowOperation[Any, Any],
        wait_for_stage: WorkflowUpdateStage,
        args: Sequence[Any] = [],
        id: Optional[str] = None,
        result_type: Optional[Type[Any]] = None,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> WorkflowUpdateHandle[Any]:
        """In one call, start the workflow of ``start_workflow_operation``
        (or, by its ``id_conflict_policy``, use the running one or fail) and
        send it update ``update``; return the update's handle once it reached
        ``wait_for_stage``. ``start_workflow_operation.workflow_handle()``
        then gives the workflow's handle. An operation may be used once
        (RuntimeError "WithStartWorkflowOperation cannot be reused").

        Raises :class:`~temporalio.exceptions.WorkflowAlreadyStartedError`
        (``temporalio.client``'s) when the policy is ``FAIL`` and the
        workflow runs, :class:`WorkflowUpdateRPCTimeoutOrCancelledError` on
        a timed-out or cancelled call, an :class:`~temporalio.service.RPCError`
        for the operation that failed otherwise. Goes through
        :meth:`OutboundInterceptor.start_update_with_start_workflow`.
        """
        _check_type(
            start_workflow_operation,
            WithStartWorkflowOperation,
            "start_workflow_operation",
            "a WithStartWorkflowOperation",
        )
        name = _update_name(update)
        stage = _check_stage(wait_for_stage)
        if id is not None:
            _check_str(id, "id")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        op = start_workflow_operation
        if op._used:
            raise RuntimeError("WithStartWorkflowOperation cannot be reused")
        op._used = True
        start = op._start_workflow_input

        def on_start(resp: Any) -> None:
            from temporalio.client._workflow import WorkflowHandle

            if not op._workflow_handle.done():
                op._workflow_handle.set_result(
                    WorkflowHandle(
                        self,  # type: ignore[arg-type]
                        start.id,
                        result_run_id=resp.run_id,
                        first_execution_run_id=resp.first_execution_run_id or resp.run_id,
                        result_type=start.ret_type,
                    )
                )

        def on_start_error(err: BaseException) -> None:
            if not op._workflow_handle.done():
                op._workflow_handle.set_exception(err)
                op._workflow_handle.exception()  # retrieved: no "never retrieved" warning

        return await self._impl.start_update_with_start_workflow(
            StartWorkflowUpdateWithStartInput(
                start_workflow_input=start,
                update_workflow_input=UpdateWithStartUpdateWorkflowInput(
                    update_id=id,
                    update=name,
                    args=_arg_or_args((), arg, args),
                    wait_for_stage=stage,
                    headers={},
                    ret_type=result_type,
                ),
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                _on_start=on_start,
                _on_start_error=on_start_error,
            )
        )


class _UpdateOutboundMixin:
    """The update operations of :class:`OutboundInterceptor` (each delegates to ``next``)."""

    next: "OutboundInterceptor"

    async def start_workflow_update(
        self, input: StartWorkflowUpdateInput
    ) -> WorkflowUpdateHandle[Any]:
        """Called by :meth:`WorkflowHandle.start_update` (and ``execute_update``)."""
        return await self.next.start_workflow_update(input)

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        """Called by :meth:`Client.start_update_with_start_workflow` (and
        ``execute_update_with_start_workflow``)."""
        return await self.next.start_update_with_start_workflow(input)


_ACCEPTED = int(WorkflowUpdateStage.ACCEPTED)


class _UpdateImplMixin:
    """The update requests of the innermost link (``_ClientImpl``)."""

    _client: "Client"

    async def _fill_start_request(
        self, req: Any, input: "Union[StartWorkflowInput, UpdateWithStartStartWorkflowInput]"
    ) -> None:
        raise NotImplementedError  # _ClientImpl's

    async def _update_request(
        self,
        input: Any,
        workflow_id: str,
        run_id: Optional[str],
        first_execution_run_id: Optional[str],
    ) -> Any:
        from temporalio.api.workflowservice.v1 import UpdateWorkflowExecutionRequest
        from temporalio.client._impl import _new_id, _set_headers

        client = self._client
        req = UpdateWorkflowExecutionRequest(
            namespace=client.namespace, first_execution_run_id=first_execution_run_id or ""
        )
        req.workflow_execution.workflow_id = workflow_id
        req.workflow_execution.run_id = run_id or ""
        req.request.meta.update_id = input.update_id or _new_id()
        req.request.meta.identity = client.identity
        req.request.input.name = input.update
        if input.args:
            req.request.input.args.payloads.extend(
                await client._encode(
                    input.args, f"update {input.update!r}", client._workflow_converter(workflow_id)
                )
            )
        _set_headers(input.headers, req.request.input.header, f"update {input.update!r}")
        req.wait_policy.lifecycle_stage = int(input.wait_for_stage)
        return req

    async def start_workflow_update(
        self, input: StartWorkflowUpdateInput
    ) -> WorkflowUpdateHandle[Any]:
        client = self._client
        req = await self._update_request(
            input, input.id, input.run_id, input.first_execution_run_id
        )
        # The server may answer before the update is durable (stage ADMITTED): ask again.
        while True:
            try:
                resp = await client._call(
                    "update_workflow_execution", req, input.rpc_metadata, input.rpc_timeout
                )
            except BaseException as err:
                if _timeout_or_cancelled(err):
                    raise WorkflowUpdateRPCTimeoutOrCancelledError() from err
                raise
            if resp.stage >= _ACCEPTED:
                break
        handle: WorkflowUpdateHandle[Any] = WorkflowUpdateHandle(
            client,
            req.request.meta.update_id,
            input.id,
            workflow_run_id=resp.update_ref.workflow_execution.run_id or None,
            result_type=input.ret_type,
            known_outcome=resp.outcome if resp.HasField("outcome") else None,
        )
        if input.wait_for_stage == WorkflowUpdateStage.COMPLETED:
            await handle._poll_until_outcome(input.rpc_metadata, input.rpc_timeout)
        return handle

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        started = False
        try:
            handle, started = await self._update_with_start(input)
            return handle
        except BaseException as err:
            mapped = _map_multi_operation_error(err, input.start_workflow_input)
            if not started:
                input._on_start_error(mapped)
            if mapped is err:
                raise
            raise mapped from err

    async def _update_with_start(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> "tuple[WorkflowUpdateHandle[Any], bool]":
        from temporalio.api.workflowservice.v1 import (
            ExecuteMultiOperationRequest,
            StartWorkflowExecutionRequest,
        )

        client = self._client
        start_input = input.start_workflow_input
        update_input = input.update_workflow_input
        start_req = StartWorkflowExecutionRequest()
        await self._fill_start_request(start_req, start_input)
        update_req = await self._update_request(update_input, start_input.id, None, None)
        req = ExecuteMultiOperationRequest(namespace=client.namespace)
        req.operations.add().start_workflow.CopyFrom(start_req)
        req.operations.add().update_workflow.CopyFrom(update_req)
        started = False
        while True:  # until the update is durable (accepted or later)
            resp = await client._call(
                "execute_multi_operation", req, input.rpc_metadata, input.rpc_timeout
            )
            start_resp = resp.responses[0].start_workflow
            update_resp = resp.responses[1].update_workflow
            if not started:
                input._on_start(start_resp)
                started = True
            if update_resp.stage >= _ACCEPTED:
                break
        handle: WorkflowUpdateHandle[Any] = WorkflowUpdateHandle(
            client,
            update_req.request.meta.update_id,
            start_input.id,
            workflow_run_id=start_resp.run_id or None,
            result_type=update_input.ret_type,
            known_outcome=update_resp.outcome if update_resp.HasField("outcome") else None,
        )
        if update_input.wait_for_stage == WorkflowUpdateStage.COMPLETED:
            await handle._poll_until_outcome(input.rpc_metadata, input.rpc_timeout)
        return handle, started


def _map_multi_operation_error(
    err: BaseException, start: UpdateWithStartStartWorkflowInput
) -> BaseException:
    """What an update-with-start raises for ``err``: a timeout/cancel error, the
    client's WorkflowAlreadyStartedError, or the RPC error of the operation
    that failed (the other one's "aborted" status says nothing)."""
    from temporalio.client._exceptions import WorkflowAlreadyStartedError
    from temporalio.service import MultiOperationExecutionError, RPCError, RPCStatusCode
    from temporalio.service._errors import rpc_error

    if isinstance(err, WorkflowUpdateRPCTimeoutOrCancelledError):
        return err
    if _timeout_or_cancelled(err):
        return WorkflowUpdateRPCTimeoutOrCancelledError()
    if not isinstance(err, MultiOperationExecutionError):
        return err
    try:
        failure = err._detail("MultiOperationExecutionFailure")
    except (TypeError, ValueError):  # undecodable status details
        return err
    if failure is None:
        return err
    for status in failure.statuses:
        if status.code == 0 or any(
            d.type_url.endswith("MultiOperationExecutionAborted") for d in status.details
        ):
            continue
        if status.code == RPCStatusCode.ALREADY_EXISTS:
            for d in status.details:
                if d.type_url.endswith("WorkflowExecutionAlreadyStartedFailure"):
                    from temporalio.api.errordetails.v1 import (
                        WorkflowExecutionAlreadyStartedFailure,
                    )

                    info = WorkflowExecutionAlreadyStartedFailure.FromString(d.value)
                    return WorkflowAlreadyStartedError(
                        start.id, start.workflow, info.run_id or None
                    )
        mapped: RPCError = rpc_error(status.code, status.message)
        return mapped
    return err
