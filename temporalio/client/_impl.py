"""The innermost link of every client's interceptor chain: what each
operation does on the wire (requests built, responses read, errors mapped)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple, Union

from temporalio._checks import _ARG_UNSET
from temporalio.client._exceptions import (
    WorkflowAlreadyStartedError,
    WorkflowContinuedAsNewError,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.client._interceptor import (
    CancelWorkflowInput,
    CompleteAsyncActivityInput,
    CountWorkflowsInput,
    DescribeWorkflowInput,
    FailAsyncActivityInput,
    FetchWorkflowHistoryEventsInput,
    GetWorkflowResultInput,
    HeartbeatAsyncActivityInput,
    ListWorkflowsInput,
    OutboundInterceptor,
    QueryWorkflowInput,
    ReportCancellationAsyncActivityInput,
    SignalWorkflowInput,
    StartWorkflowInput,
    TerminateWorkflowInput,
)
from temporalio.client._lazy import _ActivityImplMixin, _ScheduleImplMixin, _UpdateImplMixin
from temporalio.client._workflow import (
    WorkflowExecutionAsyncIterator,
    WorkflowExecutionCount,
    WorkflowExecutionDescription,
    WorkflowHandle,
    WorkflowHistoryEventAsyncIterator,
)
from temporalio.common import (
    Priority,
    SearchAttributeIndexedValueType,
    TypedSearchAttributes,
    WorkflowExecutionStatus,
)
from temporalio.service import (
    DeadlineExceededError,
    InvalidArgumentError,
    WorkflowExecutionAlreadyStartedError,
)

if TYPE_CHECKING:
    from temporalio.client._client import Client
    from temporalio.client._update import UpdateWithStartStartWorkflowInput


# A long poll of history is cut by the client after this long (the server
# answers an open workflow's poll well before, with an empty page).
LONG_POLL_TIMEOUT = timedelta(seconds=70)

SUPPORTED_FEATURES_HEADER = "supported-features"
FOLLOWS_NEXT_RUN_ID = "follows-next-run-id"


def _new_id() -> str:
    """A new random (version 4) UUID as a str, the form ``str(uuid.uuid4())``
    gives (default workflow ids, request ids); made from 16 random bytes
    directly, as the uuid module (which loads ``platform``, and alone costs
    more to import than this package) would make it, in a fifth of the time."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40  # version 4
    b[8] = (b[8] & 0x3F) | 0x80  # variant RFC 4122
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


async def _long_poll(
    client: "Client",
    rpc: str,
    req: Any,
    rpc_metadata: Mapping[str, Union[str, bytes]],
    rpc_timeout: Optional[timedelta],
) -> Any:
    """The response of the long-poll ``rpc`` (each call bounded by
    ``rpc_timeout``, None: :data:`LONG_POLL_TIMEOUT`); a call that outlives
    its deadline is made again. Raises what ``client._call`` raises but
    :class:`DeadlineExceededError`."""
    timeout = rpc_timeout or LONG_POLL_TIMEOUT
    while True:
        try:
            return await client._call(rpc, req, rpc_metadata, timeout)
        except DeadlineExceededError:
            continue  # the poll outlived its deadline: poll again


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


async def _encode_search_attributes(attrs: Any, proto: Any) -> None:
    """Search attributes are JSON whatever the client's converter (the
    server indexes them), one payload per name; typed ones
    (:class:`~temporalio.common.TypedSearchAttributes`) also say their type."""
    from temporalio.converter import DataConverter

    if isinstance(attrs, TypedSearchAttributes):
        _encode_typed_search_attributes(attrs, proto)
        return

    for key, value in attrs.items():
        try:
            (payload,) = await DataConverter.default.encode([value])
        except TypeError as err:
            raise TypeError(
                f"search attribute {key!r} (of type {type(value).__name__}) cannot be "
                f"converted to a payload: {err}"
            ) from err
        proto.indexed_fields[key].CopyFrom(payload)


def _encode_typed_search_attributes(attrs: TypedSearchAttributes, proto: Any) -> None:
    import json
    from datetime import datetime

    for key, value in attrs:
        if isinstance(value, datetime):
            value = value.isoformat()
        elif key.indexed_value_type == SearchAttributeIndexedValueType.KEYWORD_LIST:
            value = list(value)
        payload = proto.indexed_fields[key.name]
        payload.metadata["encoding"] = b"json/plain"
        payload.metadata["type"] = key._metadata_type.encode()
        payload.data = json.dumps(value, separators=(",", ":")).encode()


def _execution(workflow_id: str, run_id: Optional[str]) -> Any:
    from temporalio.api.common.v1 import WorkflowExecution

    return WorkflowExecution(workflow_id=workflow_id, run_id=run_id or "")


class _ClientImpl(_ScheduleImplMixin, _UpdateImplMixin, _ActivityImplMixin, OutboundInterceptor):
    """The end of every client's chain: what each operation does on the wire."""

    def __init__(self, client: Client) -> None:  # no next: this is the last link
        self._client = client

    async def start_workflow(self, input: StartWorkflowInput) -> "WorkflowHandle[Any, Any]":
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
                    await client._encode(
                        input.start_signal_args,
                        f"signal {input.start_signal!r}",
                        client._workflow_converter(input.id),
                    )
                )
        await self._fill_start_request(req, input)
        # Eager start, as sdk-core does it: asked for only when a workflow
        # worker on this connection, namespace and task queue reserved a
        # slot for the first task (and not with a start delay: that task
        # cannot be eager); the task in the response goes to that worker.
        eager: Any = None
        if input.start_signal is None and input.request_eager_start and input.start_delay is None:
            eager = client.service_client._reserve_workflow_slot(client.namespace, input.task_queue)
            req.request_eager_execution = eager is not None

        try:
            if input.start_signal is None:
                try:
                    resp = await client._call(
                        "start_workflow_execution", req, input.rpc_metadata, input.rpc_timeout
                    )
                    if eager is not None and resp.HasField("eager_workflow_task"):
                        core, eager = eager, None
                        if not core.eager_workflow_task(
                            resp.eager_workflow_task.SerializeToString()
                        ):
                            # the server redelivers it after its task timeout
                            import logging  # not at import: only this warning logs

                            logging.getLogger("temporalio.client").warning(
                                "Eager workflow task of workflow %s rejected by the worker",
                                input.id,
                            )
                finally:
                    if eager is not None:
                        eager.release_workflow_slot()
                first_run_id = resp.first_execution_run_id or resp.run_id
            else:
                resp = await client._call(
                    "signal_with_start_workflow_execution",
                    req,
                    input.rpc_metadata,
                    input.rpc_timeout,
                )
                # The run signalled may be an existing one; servers before
                # 1.32 do not say which run began its chain.
                first_run_id = resp.first_execution_run_id or (
                    resp.run_id if resp.started else None
                )
        except WorkflowExecutionAlreadyStartedError as err:
            try:
                existing_run_id = err.run_id or None
            except (TypeError, ValueError):  # undecodable status details
                existing_run_id = None
            raise WorkflowAlreadyStartedError(
                input.id, input.workflow, existing_run_id, grpc_status=err.grpc_status
            ) from err
        return WorkflowHandle(
            client,
            input.id,
            result_run_id=resp.run_id,
            first_execution_run_id=first_run_id,
            result_type=input.ret_type,
            start_workflow_response=resp,
        )

    async def _fill_start_request(
        self, req: Any, input: Union[StartWorkflowInput, "UpdateWithStartStartWorkflowInput"]
    ) -> None:
        """Set the fields a StartWorkflowExecution (or SignalWithStart)
        request ``req`` shares with every start: workflow, options, memo,
        search attributes, headers (also update-with-start's start)."""
        client = self._client
        converter = client._workflow_converter(input.id)
        req.namespace = client.namespace
        req.workflow_id = input.id
        req.workflow_type.name = input.workflow
        req.task_queue.name = input.task_queue
        if input.args:
            req.input.payloads.extend(
                await client._encode(input.args, f"workflow {input.workflow!r}", converter)
            )
        if input.execution_timeout is not None:
            req.workflow_execution_timeout.FromTimedelta(input.execution_timeout)
        if input.run_timeout is not None:
            req.workflow_run_timeout.FromTimedelta(input.run_timeout)
        if input.task_timeout is not None:
            req.workflow_task_timeout.FromTimedelta(input.task_timeout)
        req.identity = client.identity
        req.request_id = _new_id()
        req.workflow_id_reuse_policy = int(input.id_reuse_policy)
        req.workflow_id_conflict_policy = int(input.id_conflict_policy)
        if input.retry_policy is not None:
            input.retry_policy.apply_to_proto(req.retry_policy)
        req.cron_schedule = input.cron_schedule
        if input.memo:
            for key, value in input.memo.items():
                req.memo.fields[key].CopyFrom(
                    await client._encode_one(value, f"memo {key!r}", converter)
                )
        if input.search_attributes:
            await _encode_search_attributes(input.search_attributes, req.search_attributes)
        _set_headers(input.headers, req.header, f"workflow {input.workflow!r}")
        if input.start_delay is not None:
            req.workflow_start_delay.FromTimedelta(input.start_delay)
        if input.static_summary is not None:
            req.user_metadata.summary.CopyFrom(
                await client._encode_one(input.static_summary, "static_summary", converter)
            )
        if input.static_details is not None:
            req.user_metadata.details.CopyFrom(
                await client._encode_one(input.static_details, "static_details", converter)
            )
        if input.priority is Priority.default:  # the default: its proto is empty
            req.priority.SetInParent()  # the bytes CopyFrom(Priority.default._to_proto()) gives
        elif input.priority is not None:
            req.priority.CopyFrom(input.priority._to_proto())
        if input.versioning_override is not None:
            req.versioning_override.CopyFrom(input.versioning_override._to_proto())

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        from temporalio.api.workflowservice.v1 import RequestCancelWorkflowExecutionRequest

        client = self._client
        req = RequestCancelWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=_execution(input.id, input.run_id),
            identity=client.identity,
            request_id=_new_id(),
            first_execution_run_id=input.first_execution_run_id or "",
            reason=input.reason or "",
        )
        await client._call(
            "request_cancel_workflow_execution", req, input.rpc_metadata, input.rpc_timeout
        )

    async def describe_workflow(
        self, input: DescribeWorkflowInput
    ) -> "WorkflowExecutionDescription":
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
        dc = client._workflow_converter(input.id)
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
                    attrs.result.payloads, hints, f"the result of workflow {input.id!r}", dc
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
        # Without this header the server rewrites a close event that has a
        # next run (retry, cron) into a fake continue-as-new, for old SDKs.
        metadata = {SUPPORTED_FEATURES_HEADER: FOLLOWS_NEXT_RUN_ID, **input.rpc_metadata}
        while True:
            resp = await _long_poll(
                client, "get_workflow_execution_history", req, metadata, input.rpc_timeout
            )
            if resp.history.events:
                return resp.history.events[-1]
            # Still open: an empty page; keep polling from where it left off.
            req.next_page_token = resp.next_page_token

    async def _details(self, workflow_id: str, payloads: Any) -> List[Any]:
        if not payloads.payloads:
            return []
        return await self._client._decode(
            payloads.payloads,
            None,
            f"the details of workflow {workflow_id!r}",
            self._client._workflow_converter(workflow_id),
        )

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        from temporalio.api.workflowservice.v1 import QueryWorkflowRequest

        client = self._client
        converter = client._workflow_converter(input.id)
        name = input.query
        req = QueryWorkflowRequest(
            namespace=client.namespace, execution=_execution(input.id, input.run_id)
        )
        req.query.query_type = name
        if input.args:
            req.query.query_args.payloads.extend(
                await client._encode(input.args, f"query {name!r}", converter)
            )
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
                raise failed from await converter.decode_failure(failure)
            raise failed from err
        if resp.HasField("query_rejected"):
            status = resp.query_rejected.status
            raise WorkflowQueryRejectedError(WorkflowExecutionStatus(status) if status else None)
        if not resp.query_result.payloads:
            return None
        hints = [input.ret_type] if input.ret_type is not None else None
        values = await client._decode(
            resp.query_result.payloads, hints, f"the result of query {name!r}", converter
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
            request_id=_new_id(),
        )
        if input.args:
            req.input.payloads.extend(
                await client._encode(
                    input.args, f"signal {input.signal!r}", client._workflow_converter(input.id)
                )
            )
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
            req.details.payloads.extend(
                await client._encode(
                    input.args, "terminate details", client._workflow_converter(input.id)
                )
            )
        await client._call(
            "terminate_workflow_execution", req, input.rpc_metadata, input.rpc_timeout
        )

    # ---- visibility and history ----

    def list_workflows(self, input: ListWorkflowsInput) -> WorkflowExecutionAsyncIterator:
        return WorkflowExecutionAsyncIterator(self._client, input)

    async def count_workflows(self, input: CountWorkflowsInput) -> WorkflowExecutionCount:
        from temporalio.api.workflowservice.v1 import CountWorkflowExecutionsRequest

        client = self._client
        req = CountWorkflowExecutionsRequest(namespace=client.namespace, query=input.query or "")
        resp = await client._call(
            "count_workflow_executions", req, input.rpc_metadata, input.rpc_timeout
        )
        return WorkflowExecutionCount._from_raw(resp)

    def fetch_workflow_history_events(
        self, input: FetchWorkflowHistoryEventsInput
    ) -> WorkflowHistoryEventAsyncIterator:
        return WorkflowHistoryEventAsyncIterator(self._client, input)

    # ---- async activity completion ----

    async def heartbeat_async_activity(self, input: HeartbeatAsyncActivityInput) -> None:
        from temporalio.api.workflowservice import v1 as wsv1
        from temporalio.client._activity import AsyncActivityIDReference
        from temporalio.client._exceptions import AsyncActivityCancelledError

        client = self._client
        ref = input.id_or_token
        req: Any
        if isinstance(ref, AsyncActivityIDReference):
            req = wsv1.RecordActivityTaskHeartbeatByIdRequest(
                workflow_id=ref.workflow_id or "",
                run_id=ref.run_id or "",
                activity_id=ref.activity_id,
            )
            rpc = "record_activity_task_heartbeat_by_id"
        else:
            req = wsv1.RecordActivityTaskHeartbeatRequest(task_token=ref)
            rpc = "record_activity_task_heartbeat"
        req.namespace = client.namespace
        req.identity = client.identity
        if input.details:
            req.details.payloads.extend(
                await client._encode(
                    input.details, "the heartbeat details", input.data_converter_override
                )
            )
        resp = await client._call(rpc, req, input.rpc_metadata, input.rpc_timeout)
        if resp.cancel_requested or resp.activity_paused or resp.activity_reset:
            from temporalio.activity import ActivityCancellationDetails

            raise AsyncActivityCancelledError(
                details=ActivityCancellationDetails(
                    cancel_requested=resp.cancel_requested,
                    paused=resp.activity_paused,
                    reset=resp.activity_reset,
                )
            )

    async def complete_async_activity(self, input: CompleteAsyncActivityInput) -> None:
        client = self._client
        req, rpc = self._activity_request(input.id_or_token, "Completed")
        if input.result is not _ARG_UNSET:
            req.result.payloads.append(
                await client._encode_one(
                    input.result, "the activity result", input.data_converter_override
                )
            )
        await client._call(rpc, req, input.rpc_metadata, input.rpc_timeout)

    async def fail_async_activity(self, input: FailAsyncActivityInput) -> None:
        client = self._client
        req, rpc = self._activity_request(input.id_or_token, "Failed")
        converter = input.data_converter_override or client.data_converter
        failure = await converter.encode_failure(input.error)
        if failure.WhichOneof("failure_info") != "application_failure_info":
            # The server takes only application failures from an activity.
            failure.application_failure_info.type = type(input.error).__name__
        req.failure.CopyFrom(failure)
        if input.last_heartbeat_details:
            req.last_heartbeat_details.payloads.extend(
                await client._encode(
                    input.last_heartbeat_details, "the last heartbeat details", converter
                )
            )
        await client._call(rpc, req, input.rpc_metadata, input.rpc_timeout)

    async def report_cancellation_async_activity(
        self, input: ReportCancellationAsyncActivityInput
    ) -> None:
        client = self._client
        req, rpc = self._activity_request(input.id_or_token, "Canceled")
        if input.details:
            req.details.payloads.extend(
                await client._encode(
                    input.details, "the cancellation details", input.data_converter_override
                )
            )
        await client._call(rpc, req, input.rpc_metadata, input.rpc_timeout)

    def _activity_request(self, ref: Any, outcome: str) -> Tuple[Any, str]:
        """The RespondActivityTask<outcome>[ById] request for ``ref`` (ids or
        a task token) and the name of the RPC that takes it."""
        from temporalio.api.workflowservice import v1 as wsv1
        from temporalio.client._activity import AsyncActivityIDReference

        client = self._client
        if isinstance(ref, AsyncActivityIDReference):
            msg = getattr(wsv1, f"RespondActivityTask{outcome}ByIdRequest")(
                workflow_id=ref.workflow_id or "",
                run_id=ref.run_id or "",
                activity_id=ref.activity_id,
            )
            rpc = f"respond_activity_task_{outcome.lower()}_by_id"
        else:
            msg = getattr(wsv1, f"RespondActivityTask{outcome}Request")(task_token=ref)
            rpc = f"respond_activity_task_{outcome.lower()}"
        msg.namespace = client.namespace
        msg.identity = client.identity
        return msg, rpc


def _decode_search_attributes(proto: Any) -> Dict[str, Any]:
    """The ``SearchAttributes`` message ``proto`` decoded: name to value (JSON,
    whatever the client's converter, as :func:`_encode_search_attributes` wrote them)."""
    from temporalio.converter import DataConverter

    out: Dict[str, Any] = {}
    for key, payload in proto.indexed_fields.items():
        (out[key],) = DataConverter.default.payload_converter.from_payloads([payload])
    return out
