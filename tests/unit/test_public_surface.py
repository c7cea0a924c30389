"""The public surface: every name each public module exports today stays
exported (in ``__all__``) and importable from the same path, whatever moves
inside the package. New names may be added; a name leaves only on purpose,
by editing this list.

To extend the list after adding public names, print each module's sorted
``__all__`` and add the new ones here.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PUBLIC_SURFACE = {
    "temporalio": [
        "ApplicationError",
        "BinaryNullPayloadConverter",
        "BinaryPlainPayloadConverter",
        "BinaryProtoPayloadConverter",
        "Client",
        "CompositePayloadConverter",
        "DataConverter",
        "FailureConverter",
        "FailureError",
        "JSONPlainPayloadConverter",
        "JSONProtoPayloadConverter",
        "KeepAliveConfig",
        "OperatorService",
        "PayloadCodec",
        "PayloadConverter",
        "PicklePayloadConverter",
        "RPCError",
        "RetryConfig",
        "RetryPolicy",
        "TLSConfig",
        "TemporalError",
        "Worker",
        "WorkflowHandle",
        "WorkflowService",
    ],
    "temporalio.activity": [
        "Info",
        "LoggerAdapter",
        "defn",
        "heartbeat",
        "in_activity",
        "info",
        "is_cancelled",
        "is_worker_shutdown",
        "logger",
        "wait_for_cancelled",
        "wait_for_cancelled_sync",
        "wait_for_worker_shutdown",
        "wait_for_worker_shutdown_sync",
        "raise_complete_async",
        "ActivityCancellationDetails",
    ],
    "temporalio.client": [
        "CancelWorkflowInput",
        "Client",
        "ClientConfig",
        "DescribeWorkflowInput",
        "GetWorkflowResultInput",
        "Interceptor",
        "OutboundInterceptor",
        "QueryRejectCondition",
        "QueryWorkflowInput",
        "RetryPolicy",
        "ServiceClientProtocol",
        "SignalWorkflowInput",
        "StartWorkflowInput",
        "TerminateWorkflowInput",
        "WorkflowAlreadyStartedError",
        "WorkflowContinuedAsNewError",
        "WorkflowExecutionDescription",
        "WorkflowExecutionStatus",
        "WorkflowFailureError",
        "WorkflowHandle",
        "WorkflowIDConflictPolicy",
        "WorkflowIDReusePolicy",
        "WorkflowQueryFailedError",
        "WorkflowQueryRejectedError",
        # schedules
        "BackfillScheduleInput",
        "CreateScheduleInput",
        "DeleteScheduleInput",
        "DescribeScheduleInput",
        "ListSchedulesInput",
        "PauseScheduleInput",
        "Schedule",
        "ScheduleAction",
        "ScheduleActionExecution",
        "ScheduleActionExecutionStartWorkflow",
        "ScheduleActionResult",
        "ScheduleActionStartWorkflow",
        "ScheduleAlreadyRunningError",
        "ScheduleAsyncIterator",
        "ScheduleBackfill",
        "ScheduleCalendarSpec",
        "ScheduleDescription",
        "ScheduleHandle",
        "ScheduleInfo",
        "ScheduleIntervalSpec",
        "ScheduleListAction",
        "ScheduleListActionStartWorkflow",
        "ScheduleListDescription",
        "ScheduleListInfo",
        "ScheduleListSchedule",
        "ScheduleListState",
        "ScheduleOverlapPolicy",
        "SchedulePolicy",
        "ScheduleRange",
        "ScheduleSpec",
        "ScheduleState",
        "ScheduleUpdate",
        "ScheduleUpdateInput",
        "TriggerScheduleInput",
        "UnpauseScheduleInput",
        "UpdateScheduleInput",
        # workflow updates
        "RPCTimeoutOrCancelledError",
        "StartWorkflowUpdateInput",
        "StartWorkflowUpdateWithStartInput",
        "UpdateWithStartStartWorkflowInput",
        "UpdateWithStartUpdateWorkflowInput",
        "WithStartWorkflowOperation",
        "WorkflowUpdateFailedError",
        "WorkflowUpdateHandle",
        "WorkflowUpdateRPCTimeoutOrCancelledError",
        "WorkflowUpdateStage",
        # listing, counting and histories
        "WorkflowExecution",
        "WorkflowExecutionAsyncIterator",
        "WorkflowExecutionCount",
        "WorkflowExecutionCountAggregationGroup",
        "WorkflowHistory",
        "WorkflowHistoryEventAsyncIterator",
        "WorkflowHistoryEventFilterType",
        "ListWorkflowsInput",
        "CountWorkflowsInput",
        "FetchWorkflowHistoryEventsInput",
        # async activity completion
        "AsyncActivityHandle",
        "AsyncActivityIDReference",
        "AsyncActivityCancelledError",
        "HeartbeatAsyncActivityInput",
        "CompleteAsyncActivityInput",
        "FailAsyncActivityInput",
        "ReportCancellationAsyncActivityInput",
    ],
    "temporalio.common": [
        "QueryRejectCondition",
        "RetryPolicy",
        "WorkflowExecutionStatus",
        "WorkflowIDConflictPolicy",
        "WorkflowIDReusePolicy",
        "RawValue",
        "SearchAttributeIndexedValueType",
        "SearchAttributeKey",
        "SearchAttributePair",
        "SearchAttributeUpdate",
        "TypedSearchAttributes",
        "Priority",
        "VersioningBehavior",
        "WorkerDeploymentVersion",
        "VersioningOverride",
        "PinnedVersioningOverride",
        "AutoUpgradeVersioningOverride",
    ],
    "temporalio.converter": [
        "AdvancedJSONEncoder",
        "BinaryNullPayloadConverter",
        "BinaryPlainPayloadConverter",
        "BinaryProtoPayloadConverter",
        "CompositePayloadConverter",
        "DataConverter",
        "DefaultFailureConverter",
        "DefaultPayloadConverter",
        "EncodingPayloadConverter",
        "FailureConverter",
        "JSONPlainPayloadConverter",
        "JSONProtoPayloadConverter",
        "PayloadCodec",
        "PayloadConverter",
        "PicklePayloadConverter",
        "value_to_type",
    ],
    "temporalio.exceptions": [
        "ActivityError",
        "ApplicationError",
        "ApplicationErrorCategory",
        "CancelledError",
        "ChildWorkflowError",
        "FailureError",
        "RetryState",
        "ServerError",
        "TemporalError",
        "TerminatedError",
        "TimeoutError",
        "TimeoutType",
        "is_cancelled_exception",
    ],
    "temporalio.service": [
        "ConnectConfig",
        "KeepAliveConfig",
        "OperatorService",
        "RPCError",
        "RPCStatusCode",
        "RetryConfig",
        "ServiceClient",
        "TLSConfig",
        "WorkflowService",
    ],
    "temporalio.testing": [
        "ActivityEnvironment",
        "DevServer",
        "find_temporal_executable",
        "free_port",
    ],
    "temporalio.worker": [
        "ActivityInboundInterceptor",
        "ActivityOutboundInterceptor",
        "ExecuteActivityInput",
        "Interceptor",
        "Worker",
    ],
    "temporalio.workflow": [
        "ActivityCancellationType",
        "ActivityHandle",
        "ContinueAsNewError",
        "Info",
        "LoggerAdapter",
        "NondeterminismError",
        "ParentInfo",
        "ReadOnlyContextError",
        "continue_as_new",
        "defn",
        "deprecate_patch",
        "execute_activity",
        "execute_activity_class",
        "execute_activity_method",
        "get_dynamic_query_handler",
        "get_dynamic_signal_handler",
        "get_query_handler",
        "get_signal_handler",
        "in_workflow",
        "info",
        "init",
        "instance",
        "logger",
        "memo",
        "memo_value",
        "now",
        "patched",
        "payload_converter",
        "query",
        "random",
        "run",
        "set_dynamic_query_handler",
        "set_dynamic_signal_handler",
        "set_query_handler",
        "set_signal_handler",
        "signal",
        "sleep",
        "start_activity",
        "start_activity_class",
        "start_activity_method",
        "time",
        "time_ns",
        "unsafe",
        "upsert_memo",
        "upsert_search_attributes",
        "uuid4",
        "wait_condition",
    ],
}


@pytest.mark.parametrize("module", sorted(PUBLIC_SURFACE))
def test_every_public_name_is_exported_and_importable(module: str) -> None:
    mod = importlib.import_module(module)
    exported = set(getattr(mod, "__all__", ()))
    missing = [n for n in PUBLIC_SURFACE[module] if n not in exported]
    assert not missing, f"{module}.__all__ lost {missing}"
    unimportable = [n for n in PUBLIC_SURFACE[module] if not hasattr(mod, n)]
    assert not unimportable, f"cannot import {unimportable} from {module}"


@pytest.mark.parametrize("module", sorted(PUBLIC_SURFACE))
def test_all_names_only_what_the_module_has(module: str) -> None:
    mod = importlib.import_module(module)
    dangling = [n for n in getattr(mod, "__all__", ()) if not hasattr(mod, n)]
    assert not dangling, f"{module}.__all__ names {dangling}, which the module lacks"


def test_importing_every_public_module_loads_no_protobuf_and_no_extension() -> None:
    code = (
        "import sys\n"
        f"for m in {sorted(PUBLIC_SURFACE)!r}: __import__(m)\n"
        "bad = [m for m in sys.modules if m.startswith('google.protobuf') "
        "or m == 'temporalio._bridge' or m.startswith('temporalio.api')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"loaded at import: {out.stdout.strip()}"
