"""Errors as the official SDK has them: the same calls made on ours and on the
official SDK (``temporalio==1.35.0`` in the peer venv, ``scripts/peer-env``),
the exception types and messages compared, so drift shows up here.

``tests/peer/error_probe.py`` runs each row's snippet under either package
(a subprocess of each interpreter, all rows in one run) and reports what it
raised: the type (``module.qualname``, with private submodules dropped: what
users import), the public MRO, ``str(exc)`` and the ``__cause__`` chain.

Per row:

* ``message``: ``"exact"`` (the same text), ``"prefix"`` (ours begins with
  the official text and adds to it) or ``"contains"`` (ours holds the
  official text). With ``chain=True`` every level of the official cause chain
  is compared too (ours may have more levels).
* ``type``: ``"same"`` (the same public class) or ``"subclass"`` (ours is a
  subclass of the official class: it has the official class in its MRO; used
  where ours keeps a more precise class of its own, e.g. ``NotFoundError``
  for the official plain ``RPCError``, or a class that is also what this SDK
  raised before).
* A row where the official call raises nothing expects ours to raise nothing.

``KNOWN_DIFFERENCES`` lists what cannot be equal yet, each with its reason;
they are checked too (both sides as documented), so a change on either side
fails until the list is updated. ``test_exception_classes`` compares the
exception classes each public module exports.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import pytest

from tests.peer.peerhost import peer_python, run_official

ROOT = Path(__file__).resolve().parent.parent.parent
PROBE = ROOT / "tests" / "peer" / "error_probe.py"


@dataclass(frozen=True)
class Row:
    id: str
    code: str
    message: str = "exact"  # "exact" | "prefix" | "contains"
    type: str = "same"  # "same" | "subclass"
    chain: bool = False


CONNECT = "c = await connect()\n"

ROWS: List[Row] = [
    # ---- exceptions as constructed ----------------------------------------------------
    Row("app_error", "raise exceptions.ApplicationError('boom', 1, type='T', non_retryable=True)"),
    Row("cancelled_error", "raise exceptions.CancelledError()"),
    Row("terminated_error", "raise exceptions.TerminatedError('gone')"),
    Row("server_error", "raise exceptions.ServerError('bad', non_retryable=True)"),
    Row(
        "workflow_already_started",
        "raise exceptions.WorkflowAlreadyStartedError('w', 'T', run_id='r')",
    ),
    Row(
        "activity_already_started",
        "raise exceptions.ActivityAlreadyStartedError('a', 'T', run_id='r')",
    ),
    Row("invalid_versioning_override", "raise exceptions.InvalidVersioningOverrideError()"),
    Row(
        "workflow_failure_error",
        "raise client.WorkflowFailureError(cause=exceptions.ApplicationError('x'))",
        message="prefix",
    ),
    Row(
        "workflow_continued_as_new_error",
        "raise client.WorkflowContinuedAsNewError('run-2')",
        message="prefix",
    ),
    Row(
        "workflow_query_rejected_error",
        "raise client.WorkflowQueryRejectedError(client.WorkflowExecutionStatus.FAILED)",
        message="prefix",
    ),
    Row("workflow_query_failed_error", "raise client.WorkflowQueryFailedError('no handler')"),
    Row(
        "workflow_update_failed_error",
        "raise client.WorkflowUpdateFailedError(exceptions.ApplicationError('x'))",
    ),
    Row(
        "update_rpc_timeout_error",
        "raise client.WorkflowUpdateRPCTimeoutOrCancelledError()",
    ),
    Row("async_activity_cancelled_error", "raise client.AsyncActivityCancelledError()"),
    Row("schedule_already_running_error", "raise client.ScheduleAlreadyRunningError()"),
    Row(
        "activity_failure_error",
        "raise client.ActivityFailureError(cause=exceptions.ApplicationError('x'))",
    ),
    Row("continue_as_new_error_direct", "workflow.ContinueAsNewError()"),
    Row(
        "rpc_error",
        "raise service.RPCError('nope', service.RPCStatusCode.NOT_FOUND, b'')",
    ),
    # ---- activity functions outside an activity ---------------------------------------
    Row("activity_info_outside", "activity.info()"),
    Row("activity_heartbeat_outside", "activity.heartbeat(1)"),
    Row("activity_is_cancelled_outside", "activity.is_cancelled()"),
    Row("activity_is_worker_shutdown_outside", "activity.is_worker_shutdown()"),
    Row("activity_wait_for_cancelled_outside", "await activity.wait_for_cancelled()"),
    Row(
        "activity_wait_for_worker_shutdown_outside",
        "await activity.wait_for_worker_shutdown()",
    ),
    Row("activity_wait_for_cancelled_sync_outside", "activity.wait_for_cancelled_sync(0)"),
    Row("activity_in_activity_outside", "assert not activity.in_activity()"),
    Row("activity_client_outside", "activity.client()"),
    Row(
        "activity_client_in_test_environment_sync",
        "testing.ActivityEnvironment().run(activity.client)",
    ),
    Row(
        "activity_client_in_test_environment_async",
        CONNECT + "async def f():\n    return activity.client()\n"
        "assert await testing.ActivityEnvironment(client=c).run(f) is c",
    ),
    Row("activity_raise_complete_async_outside", "activity.raise_complete_async()"),
    # ---- @activity.defn misuse ----------------------------------------------------------
    Row(
        "activity_defn_keyword_only",
        "@activity.defn\nasync def f(a: int, *, b: int) -> None: pass",
    ),
    Row("activity_defn_twice", "activity.defn(async_act)"),
    Row(
        "activity_defn_keyword_only_default",
        "@activity.defn\nasync def f(*, b: int = 1) -> None: pass",
    ),
    # ---- workflow functions outside a workflow ----------------------------------------
    Row("workflow_info_outside", "workflow.info()"),
    Row("workflow_now_outside", "workflow.now()"),
    Row("workflow_uuid4_outside", "workflow.uuid4()"),
    Row("workflow_random_outside", "workflow.random()"),
    Row("workflow_memo_outside", "workflow.memo()"),
    Row("workflow_sleep_outside", "await workflow.sleep(1)"),
    Row("workflow_wait_condition_outside", "await workflow.wait_condition(lambda: True)"),
    Row(
        "workflow_execute_activity_outside",
        "await workflow.execute_activity(async_act, start_to_close_timeout=timedelta(seconds=1))",
    ),
    Row("workflow_continue_as_new_outside", "workflow.continue_as_new()"),
    Row("workflow_in_workflow_outside", "assert not workflow.in_workflow()"),
    # ---- @workflow.defn / handler misuse ------------------------------------------------
    Row("workflow_defn_no_run", "@workflow.defn\nclass W:\n    pass"),
    Row(
        "workflow_defn_dynamic_bad_signature",
        "@workflow.defn(dynamic=True)\nclass W:\n"
        "    @workflow.run\n    async def run(self, x: int) -> None: pass",
    ),
    Row(
        "workflow_init_run_parameters_differ",
        "@workflow.defn\nclass W:\n"
        "    @workflow.init\n    def __init__(self, a: int) -> None: pass\n"
        "    @workflow.run\n    async def run(self, b: str) -> None: pass",
    ),
    Row(
        "workflow_defn_two_runs",
        "@workflow.defn\nclass W:\n"
        "    @workflow.run\n    async def a(self) -> None: pass\n"
        "    @workflow.run\n    async def b(self) -> None: pass",
    ),
    Row(
        "workflow_run_not_async",
        "@workflow.defn\nclass W:\n    @workflow.run\n    def run(self) -> None: pass",
    ),
    Row(
        "workflow_signal_name_and_dynamic",
        "@workflow.signal(name='x', dynamic=True)\nasync def s(self, name, args) -> None: pass",
    ),
    Row(
        "workflow_query_name_and_dynamic",
        "@workflow.query(name='x', dynamic=True)\ndef q(self, name, args) -> None: pass",
    ),
    # ---- payload conversion ---------------------------------------------------------------
    Row(
        "converter_unconvertible_value",
        "converter.DataConverter.default.payload_converter.to_payloads([Unconvertible()])",
        message="prefix",
    ),
    Row(
        "converter_encode_unconvertible",
        "await converter.DataConverter.default.encode([1, Unconvertible()])",
        message="prefix",
    ),
    Row(
        "converter_no_known_converter",
        "pc = converter.CompositePayloadConverter(converter.BinaryNullPayloadConverter())\n"
        "pc.to_payloads([1])",
        type="subclass",
    ),
    Row(
        "converter_unknown_encoding",
        "from temporalio.api.common.v1 import Payload\n"
        "converter.DataConverter.default.payload_converter.from_payloads("
        "[Payload(metadata={'encoding': b'my/weird'}, data=b'')])",
        message="prefix",
        type="subclass",
    ),
    Row(
        "converter_no_encoding",
        "from temporalio.api.common.v1 import Payload\n"
        "converter.DataConverter.default.payload_converter.from_payloads([Payload(data=b'')])",
        message="prefix",
        type="subclass",
    ),
    *[
        Row(
            f"converter_hint_{name}",
            "pc = converter.DataConverter.default.payload_converter\n"
            f"pc.from_payloads(pc.to_payloads([{value}]), [{hint}])",
            message=mode,
        )
        for name, value, hint, mode in [
            ("int", "'x'", "int", "exact"),
            ("float", "'x'", "float", "exact"),
            ("str", "1", "str", "exact"),
            ("bool", "1", "bool", "exact"),
            ("none", "1", "type(None)", "exact"),
            ("dataclass_not_dict", "[1]", "StartArgs", "exact"),
            ("dataclass_field", "{'x': 'no'}", "StartArgs", "prefix"),
            ("literal", "'c'", "__import__('typing').Literal['a', 'b']", "exact"),
            ("unserializable_hint", "{'a': 1}", "Unconvertible", "exact"),
        ]
    ],
    # ---- client: argument checks and server answers -------------------------------------------
    Row(
        "start_workflow_no_task_queue",
        CONNECT + "await c.start_workflow('W', id=uid())",
    ),
    Row(
        "start_workflow_not_a_workflow",
        CONNECT + "await c.start_workflow(NotAWorkflow.run, id=uid(), task_queue='tq')",
    ),
    Row(
        "start_workflow_arg_and_args",
        CONNECT + "await c.start_workflow('W', 1, args=[2], id=uid(), task_queue='tq')",
        message="prefix",
        type="subclass",
    ),
    Row(
        "start_workflow_unconvertible_arg",
        CONNECT + "await c.start_workflow('W', Unconvertible(), id=uid(), task_queue='tq')",
        message="prefix",
    ),
    *[
        Row(
            f"start_workflow_retry_policy_{name}",
            CONNECT + "await c.start_workflow('W', id=uid(), task_queue='tq', "
            f"retry_policy=common.RetryPolicy({kwargs}))",
            message="prefix",
        )
        for name, kwargs in [
            ("negative_initial", "initial_interval=timedelta(seconds=-1)"),
            ("backoff", "backoff_coefficient=0.5"),
            (
                "max_below_initial",
                "initial_interval=timedelta(seconds=5), maximum_interval=timedelta(seconds=1)",
            ),
            ("negative_attempts", "maximum_attempts=-1"),
        ]
    ],
    Row(
        "start_workflow_already_started",
        CONNECT + "i = uid()\nawait c.start_workflow('W', id=i, task_queue='tq')\n"
        "await c.start_workflow('W', id=i, task_queue='tq')",
    ),
    Row(
        "get_workflow_handle_for_not_a_workflow",
        CONNECT + "c.get_workflow_handle_for(NotAWorkflow.run, 'x')",
    ),
    *[
        Row(
            f"handle_{name}_unknown_workflow",
            CONNECT + f"h = c.get_workflow_handle('no-such-workflow-{name}')\nawait h.{call}",
            type="subclass",
        )
        for name, call in [
            ("describe", "describe()"),
            ("result", "result()"),
            ("signal", "signal('s')"),
            ("query", "query('q')"),
            ("cancel", "cancel()"),
            ("terminate", "terminate()"),
        ]
    ],
    Row(
        "result_of_terminated_workflow",
        CONNECT + "h = await c.start_workflow('W', id=uid(), task_queue=uid())\n"
        "await h.terminate('enough')\nawait h.result()",
        message="prefix",
        chain=True,
    ),
    Row(
        "query_rejected_terminated_workflow",
        CONNECT + "h = await c.start_workflow('W', id=uid(), task_queue=uid())\n"
        "await h.terminate()\n"
        "await h.query('q', reject_condition=common.QueryRejectCondition.NOT_OPEN)",
        message="prefix",
    ),
    Row(
        "unknown_namespace",
        "c = await client.Client.connect(TARGET, namespace='no-such-namespace-errparity')\n"
        "await c.start_workflow('W', id=uid(), task_queue='tq')",
        type="subclass",
    ),
    Row(
        "schedule_unknown",
        CONNECT + "await c.get_schedule_handle('no-such-schedule').describe()",
        type="subclass",
    ),
    Row(
        "async_activity_handle_token_and_ids",
        CONNECT + "c.get_async_activity_handle(task_token=b'x', workflow_id='w', "
        "run_id=None, activity_id='a')",
    ),
    Row("async_activity_handle_nothing", CONNECT + "c.get_async_activity_handle()"),
    Row(
        "async_activity_handle_no_activity_id",
        CONNECT + "c.get_async_activity_handle(workflow_id='w', run_id=None)",
    ),
    Row("history_from_json_not_a_dict", "client.WorkflowHistory.from_json('w', 5)"),
    Row("history_from_json_no_events", "client.WorkflowHistory.from_json('w', {})"),
    Row(
        "history_from_json_event_not_a_dict",
        "client.WorkflowHistory.from_json('w', {'events': [1]})",
    ),
    Row("history_run_id_without_events", "client.WorkflowHistory('w', []).run_id"),
    Row(
        "signal_method_not_decorated",
        CONNECT + "await c.get_workflow_handle('x').signal(NotAWorkflow.run)",
    ),
    Row(
        "query_method_not_decorated",
        CONNECT + "await c.get_workflow_handle('x').query(NotAWorkflow.run)",
    ),
    Row(
        "start_update_admitted_stage",
        CONNECT + "await c.get_workflow_handle('x').start_update("
        "'u', wait_for_stage=client.WorkflowUpdateStage.ADMITTED)",
    ),
    *[
        Row(f"{name}_unknown_workflow", CONNECT + code, type="subclass")
        for name, code in [
            ("fetch_history", "await c.get_workflow_handle('no-such-wf-h').fetch_history()"),
            ("execute_update", "await c.get_workflow_handle('no-such-wf-u').execute_update('u')"),
            (
                "update_handle_result",
                "await c.get_workflow_handle('no-such-wf-u2').get_update_handle('u1').result()",
            ),
            (
                "async_activity_complete",
                "await c.get_async_activity_handle(workflow_id='no-such-wf-a', run_id=None, "
                "activity_id='a').complete('x')",
            ),
        ]
    ],
    *[
        Row(f"{name}", CONNECT + code, type="subclass")
        for name, code in [
            (
                "start_workflow_bad_cron",
                "await c.start_workflow('W', id=uid(), task_queue='tq', cron_schedule='not cron')",
            ),
            (
                "start_workflow_unknown_search_attribute",
                "await c.start_workflow('W', id=uid(), task_queue='tq', "
                "search_attributes={'NoSuchAttr': ['x']})",
            ),
            (
                "describe_bad_run_id",
                "await c.get_workflow_handle('x', run_id='not-a-uuid').describe()",
            ),
            (
                "terminate_closed_workflow",
                "h = await c.start_workflow('W', id=uid(), task_queue=uid())\n"
                "await h.terminate()\nawait h.terminate()",
            ),
            (
                "signal_closed_workflow",
                "h = await c.start_workflow('W', id=uid(), task_queue=uid())\n"
                "await h.terminate()\nawait h.signal('s')",
            ),
            (
                "unknown_namespace_lazy_client",
                "c = await client.Client.connect(TARGET, namespace='no-such-ns', lazy=True)\n"
                "await c.count_workflows()",
            ),
        ]
    ],
    Row(
        "start_workflow_reuse_policy_reject_duplicate",
        CONNECT + "i = uid()\nh = await c.start_workflow('W', id=i, task_queue=uid())\n"
        "await h.terminate()\n"
        "await c.start_workflow('W', id=i, task_queue='tq', "
        "id_reuse_policy=common.WorkflowIDReusePolicy.REJECT_DUPLICATE)",
    ),
    Row(
        "start_workflow_conflict_policy_fail",
        CONNECT + "i = uid()\nh = await c.start_workflow('W', id=i, task_queue=uid())\n"
        "try:\n"
        "    await c.start_workflow('W', id=i, task_queue='tq', "
        "id_conflict_policy=common.WorkflowIDConflictPolicy.FAIL)\n"
        "finally:\n    await h.terminate()",
    ),
    Row(
        "list_workflows_bad_query",
        CONNECT + "[x async for x in c.list_workflows('this is not a query')]",
        type="subclass",
    ),
    Row(
        "count_workflows_bad_query",
        CONNECT + "await c.count_workflows('this is not a query')",
        type="subclass",
    ),
    Row(
        "async_activity_bad_task_token",
        CONNECT + "await c.get_async_activity_handle(task_token=b'bad').complete('x')",
        type="subclass",
    ),
    Row(
        "create_schedule_twice",
        CONNECT + "i = uid()\n"
        "s = client.Schedule(action=client.ScheduleActionStartWorkflow('W', id=uid(), "
        "task_queue='tq'), spec=client.ScheduleSpec(intervals=["
        "client.ScheduleIntervalSpec(every=timedelta(hours=1))]))\n"
        "await c.create_schedule(i, s)\n"
        "try:\n    await c.create_schedule(i, s)\n"
        "finally:\n    await c.get_schedule_handle(i).delete()",
    ),
    Row(
        "start_signal_unconvertible_arg",
        CONNECT + "await c.start_workflow('W', id=uid(), task_queue='tq', start_signal='s', "
        "start_signal_args=[Unconvertible()])",
        message="prefix",
    ),
    Row(
        "memo_unconvertible_value",
        CONNECT + "await c.start_workflow('W', id=uid(), task_queue='tq', "
        "memo={'m': Unconvertible()})",
        message="prefix",
    ),
    Row("priority_key_zero", "common.Priority(priority_key=0)"),
    Row("priority_key_not_int", "common.Priority(priority_key='1')"),
    # ---- worker construction --------------------------------------------------------------------
    Row("worker_nothing_registered", CONNECT + "worker.Worker(c, task_queue='tq')"),
    Row(
        "worker_activity_without_defn",
        CONNECT + "worker.Worker(c, task_queue='tq', activities=[plain_async_fn])",
        message="prefix",
    ),
    Row(
        "worker_activity_class_not_instance",
        CONNECT + "@activity.defn\nclass A:\n    async def __call__(self) -> None: pass\n"
        "worker.Worker(c, task_queue='tq', activities=[A])",
    ),
    Row(
        "worker_duplicate_activity",
        CONNECT + "worker.Worker(c, task_queue='tq', activities=[named_act, named_act_again])",
    ),
    Row(
        "worker_workflow_without_defn",
        CONNECT + "worker.Worker(c, task_queue='tq', workflows=[NotAWorkflow])",
    ),
    Row(
        "worker_duplicate_workflow",
        CONNECT + "worker.Worker(c, task_queue='tq', workflows=[GoodWorkflow, GoodWorkflowAgain])",
    ),
    Row(
        "worker_unpicklable_process_activity",
        CONNECT + "import multiprocessing\n"
        "@activity.defn\ndef local_act() -> None: pass\n"
        "ssm = getattr(worker, 'SharedStateManager', None)\n"
        "extra = {'shared_state_manager': ssm.create_from_multiprocessing("
        "multiprocessing.Manager())} if ssm else {}\n"
        "with concurrent_futures.ProcessPoolExecutor(1) as ex:\n"
        "    worker.Worker(c, task_queue='tq', activities=[local_act], "
        "activity_executor=ex, **extra)",
        message="prefix",
    ),
    # ---- failures seen through a running worker ----------------------------------------------
    Row(
        "activity_failure_through_workflow",
        CONNECT + "tq = uid()\n"
        "async with worker.Worker(c, task_queue=tq, workflows=[RunActivityWorkflow], "
        "activities=[failing_act]):\n"
        "    await c.execute_workflow(RunActivityWorkflow.run, 'failing_act', id=uid(), "
        "task_queue=tq)",
        message="prefix",
        chain=True,
    ),
    Row(
        "activity_client_in_async_activity",
        CONNECT + "tq = uid()\n"
        "async with worker.Worker(c, task_queue=tq, workflows=[RunActivityWorkflow], "
        "activities=[client_act]):\n"
        "    await c.execute_workflow(RunActivityWorkflow.run, 'client_act', id=uid(), "
        "task_queue=tq)",
    ),
    Row(
        "activity_client_in_sync_activity",
        CONNECT + "tq = uid()\n"
        "with concurrent_futures.ThreadPoolExecutor(2) as ex:\n"
        "    async with worker.Worker(c, task_queue=tq, workflows=[RunActivityWorkflow], "
        "activities=[sync_client_act], activity_executor=ex):\n"
        "        await c.execute_workflow(RunActivityWorkflow.run, 'sync_client_act', "
        "id=uid(), task_queue=tq)",
        message="prefix",
        chain=True,
    ),
    Row(
        "heartbeat_unconvertible_details",
        CONNECT + "tq = uid()\n"
        "async with worker.Worker(c, task_queue=tq, workflows=[RunActivityWorkflow], "
        "activities=[heartbeat_unconvertible_act]):\n"
        "    await c.execute_workflow(RunActivityWorkflow.run, 'heartbeat_unconvertible_act', "
        "id=uid(), task_queue=tq)",
        message="prefix",
        chain=True,
    ),
]


@dataclass(frozen=True)
class KnownDifference:
    """A call whose outcome differs on purpose or for a feature ours lacks;
    both outcomes are checked as written here (``None``: raises nothing;
    else ``(public type, message prefix)``, or several prefixes where the
    server's timing decides the text)."""

    id: str
    code: str
    official: Optional[Tuple[str, Union[str, Tuple[str, ...]]]]
    ours: Optional[Tuple[str, Union[str, Tuple[str, ...]]]]
    why: str


# the server's answer when its own wait for a worker ends first
_SERVER_QUERY_TIMEOUT = "query timed out before a worker could process it"

KNOWN_DIFFERENCES: List[KnownDifference] = [
    KnownDifference(
        "worker_sync_activity_without_executor",
        CONNECT + "worker.Worker(c, task_queue='tq', activities=[sync_act])",
        ("builtins.ValueError", "Activity sync_act is not async so an activity_executor"),
        None,
        "ours runs sync activities in a thread pool the worker makes and owns when no "
        "activity_executor is given (this SDK's documented behaviour); code written for the "
        "official SDK always gives one, and it works unchanged",
    ),
    KnownDifference(
        "activity_metric_meter_outside",
        "activity.metric_meter()",
        ("builtins.RuntimeError", "Not in activity context"),
        ("builtins.AttributeError", "module 'temporalio.activity' has no attribute"),
        "ours has no metrics yet (no MetricMeter)",
    ),
    KnownDifference(
        "start_workflow_negative_start_delay",
        CONNECT + "await c.start_workflow('W', id=uid(), task_queue='tq', "
        "start_delay=timedelta(seconds=-1))",
        ("temporalio.service.RPCError", "An invalid WorkflowStartDelaySeconds is set"),
        ("builtins.ValueError", "start_delay must not be negative"),
        "the official SDK defines no error here: it sends the value and the server refuses "
        "it; ours checks timeouts and delays before sending (a ValueError naming the option)",
    ),
    KnownDifference(
        "start_workflow_negative_execution_timeout",
        CONNECT + "await c.start_workflow('W', id=uid(), task_queue='tq', "
        "execution_timeout=timedelta(seconds=-1))",
        ("temporalio.service.RPCError", "An invalid WorkflowExecutionTimeoutSeconds is set"),
        ("builtins.ValueError", "execution_timeout must not be negative"),
        "as for start_delay: the server's answer in the official SDK, ours checks first",
    ),
    *[
        KnownDifference(
            f"start_workflow_{name}",
            CONNECT + f"await c.start_workflow({args})",
            ("temporalio.service.RPCError", server_text),
            ("builtins.ValueError", ours_text),
            "the official SDK defines no error here: it sends the value and the server refuses "
            "it (INVALID_ARGUMENT, the server's text); ours refuses it before any call (this "
            "SDK's contract, see tests/unit/test_client_offline.py)",
        )
        for name, args, server_text, ours_text in [
            (
                "empty_task_queue",
                "'W', id=uid(), task_queue=''",
                "missing task queue name",
                "task_queue must not be empty",
            ),
            ("empty_id", "'W', id='', task_queue='tq'", "WorkflowId is not set", "id must not be"),
            (
                "empty_workflow_type",
                "'', id=uid(), task_queue='tq'",
                "WorkflowType is not set",
                "workflow (the workflow type name) must not be empty",
            ),
            (
                "negative_run_timeout",
                "'W', id=uid(), task_queue='tq', run_timeout=timedelta(seconds=-1)",
                "An invalid WorkflowRunTimeoutSeconds is set",
                "run_timeout must not be negative",
            ),
            (
                "negative_task_timeout",
                "'W', id=uid(), task_queue='tq', task_timeout=timedelta(seconds=-1)",
                "An invalid WorkflowTaskTimeoutSeconds is set",
                "task_timeout must not be negative",
            ),
        ]
    ],
    KnownDifference(
        "signal_empty_name",
        CONNECT + "h = await c.start_workflow('W', id=uid(), task_queue=uid())\n"
        "try:\n    await h.signal('')\nfinally:\n    await h.terminate()",
        ("temporalio.service.RPCError", "SignalName is not set on request."),
        ("builtins.ValueError", "signal name must not be empty"),
        "as for the empty start_workflow values: the server's answer there, ours checks first",
    ),
    KnownDifference(
        "start_workflow_timeout_not_a_timedelta",
        CONNECT + "await c.start_workflow('W', id=uid(), task_queue='tq', execution_timeout=5)",
        ("builtins.TypeError", "Fail to convert to Duration. Expected a timedelta object"),
        ("builtins.TypeError", "execution_timeout must be a datetime.timedelta, not int"),
        "both a TypeError; the official text is protobuf's (it converts without checking), "
        "ours names the option",
    ),
    KnownDifference(
        "start_workflow_without_id",
        CONNECT + "h = await c.start_workflow('W', task_queue=uid())\nawait h.terminate()",
        ("builtins.TypeError", "Client.start_workflow() missing 1 required keyword-only"),
        None,
        "ours makes a uuid4 id when none is given (this SDK's documented default); code "
        "written for the official SDK always gives one, and it works unchanged",
    ),
    KnownDifference(
        "query_rpc_timeout_without_worker",
        CONNECT + "h = await c.start_workflow('W', id=uid(), task_queue=uid())\n"
        "try:\n    await h.query('q', rpc_timeout=timedelta(seconds=2))\n"
        "finally:\n    await h.terminate()",
        ("temporalio.service.RPCError", ("Timeout expired", _SERVER_QUERY_TIMEOUT)),
        ("temporalio.service.DeadlineExceededError", ("Deadline Exceeded", _SERVER_QUERY_TIMEOUT)),
        "ours is a subclass of RPCError (status DEADLINE_EXCEEDED, as theirs); the text is "
        "each core's (Rust core there, grpc C core here), or the server's when it gives up "
        "on the query just before the call's deadline (a loaded machine)",
    ),
    KnownDifference(
        "worker_max_concurrent_activities_zero",
        CONNECT + "worker.Worker(c, task_queue='tq', activities=[async_act], "
        "max_concurrent_activities=0)",
        None,
        ("builtins.ValueError", "max_concurrent_activities must be at least 1"),
        "the official constructor accepts 0 (its core refuses it later); ours refuses it at once",
    ),
    KnownDifference(
        "client_connect_bad_target",
        "await client.Client.connect('not a target at all')",
        ("builtins.ValueError", "invalid target URL: "),
        ("builtins.ValueError", "target 'not a target at all' is not of the form host:port"),
        "both a ValueError; the text is each core's target parser's (Rust url crate there, "
        "the C core here)",
    ),
    KnownDifference(
        "client_connect_refused",
        "await client.Client.connect('127.0.0.1:1')",
        ("builtins.RuntimeError", "Failed client connect: Server connection error: "),
        (
            "temporalio.service._ConnectUnavailableError",
            "Failed client connect: cannot connect to 127.0.0.1:1: ",
        ),
        "both begin 'Failed client connect: ' and both are RuntimeErrors (ours is also an "
        "UnavailableError, as this SDK raised before); the rest is each core's transport "
        "error (Rust tonic there, grpc C core here)",
    ),
]

# Exception classes the official SDK exports that ours lacks, with why.
KNOWN_MISSING_CLASSES: Dict[str, str] = {
    "temporalio.converter.StorageWarning": "no external payload storage",
}


def _run_probe(
    python: str, extra: List[str], rows: List[Dict[str, str]], target: str, official: bool
) -> Any:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    run: Any = (
        run_official
        if official
        else functools.partial(subprocess.run, capture_output=True, text=True)
    )
    proc = run(
        [python, *extra, str(PROBE)],
        input=json.dumps({"target": target, "rows": rows}),
        cwd=str(ROOT / "tests" / "peer"),
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, f"probe under {python} failed:\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def outcomes(server_target: str) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """What every row (and known difference) raised: (official, ours)."""
    rows = [{"id": r.id, "code": r.code} for r in ROWS]
    rows += [{"id": k.id, "code": k.code} for k in KNOWN_DIFFERENCES]
    assert len({r["id"] for r in rows}) == len(rows), "row ids must be unique"
    official = _run_probe(peer_python(), ["-I"], rows, server_target, official=True)
    ours = _run_probe(sys.executable, [], rows, server_target, official=False)
    return official, ours


def _show(r: Optional[Dict[str, Any]]) -> str:
    if not r or not r["raised"]:
        return "(nothing raised)"
    text = f"{r['public_type']}: {r['message']!r}"
    if r.get("cause"):
        text += "\n    caused by " + _show(r["cause"])
    return text


def _compare(row: Row, theirs: Dict[str, Any], ours: Dict[str, Any]) -> List[str]:
    """What differs at one level of the chain (empty: as the row allows)."""
    if not theirs["raised"]:
        return [] if not ours["raised"] else ["ours raised, the official SDK did not"]
    if not ours["raised"]:
        return ["the official SDK raised, ours did not"]
    problems = []
    if row.type == "same":
        if ours["public_type"] != theirs["public_type"]:
            problems.append(f"type {ours['public_type']} != {theirs['public_type']}")
    elif theirs["public_type"] not in ours["mro"]:
        problems.append(f"type {ours['public_type']} is not a {theirs['public_type']}")
    # Ours keeps the official class's public bases (in order).
    bases = iter(ours["mro"])
    if row.type == "same" and not all(b in bases for b in theirs["mro"]):
        problems.append(f"bases {ours['mro']} lack some of {theirs['mro']}")
    a, b = theirs["message"], ours["message"]
    ok = {
        "exact": b == a,
        "prefix": b.startswith(a),
        "contains": a in b,
    }[row.message]
    if not ok:
        problems.append(f"message ({row.message}) {b!r} vs official {a!r}")
    return problems


SNIPPET_BUGS = {"builtins.SyntaxError", "builtins.NameError", "builtins.ImportError"}


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_error_matches_the_official_sdk(
    row: Row, outcomes: Tuple[Dict[str, Any], Dict[str, Any]]
) -> None:
    official, ours = outcomes
    theirs, mine = official[row.id], ours[row.id]
    # A broken snippet would compare equal on both sides and prove nothing.
    assert theirs.get("public_type") not in SNIPPET_BUGS, f"{row.id}: {_show(theirs)}"
    problems = _compare(row, theirs, mine)
    if row.chain and not problems:
        level, t, m = 1, theirs.get("cause"), mine.get("cause")
        while t is not None:
            if m is None:
                problems.append(f"cause level {level}: ours has no cause")
                break
            problems += [f"cause level {level}: {p}" for p in _compare(row, t, m)]
            level, t, m = level + 1, t.get("cause"), m.get("cause")
    assert not problems, (
        f"{row.id}:\n  "
        + "\n  ".join(problems)
        + f"\nofficial: {_show(theirs)}\nours:     {_show(mine)}"
    )


@pytest.mark.parametrize("diff", KNOWN_DIFFERENCES, ids=[k.id for k in KNOWN_DIFFERENCES])
def test_known_difference_is_still_as_documented(
    diff: KnownDifference, outcomes: Tuple[Dict[str, Any], Dict[str, Any]]
) -> None:
    official, ours = outcomes
    for side, expected, got in (
        ("official", diff.official, official[diff.id]),
        ("ours", diff.ours, ours[diff.id]),
    ):
        if expected is None:
            assert not got["raised"], f"{diff.id}: {side} now raises {_show(got)} ({diff.why})"
        else:
            assert got["raised"] and got["public_type"] == expected[0], (
                f"{diff.id}: {side} changed: {_show(got)}; documented {expected} ({diff.why})"
            )
            assert got["message"].startswith(expected[1]), (
                f"{diff.id}: {side} changed: {_show(got)}; documented {expected} ({diff.why})"
            )


def test_there_are_enough_rows() -> None:
    assert len(ROWS) >= 40


def _classes(python: str, extra: List[str]) -> Dict[str, Dict[str, List[str]]]:
    proc = subprocess.run(
        [python, *extra, str(PROBE), "--classes"],
        capture_output=True,
        text=True,
        cwd=str(ROOT / "tests" / "peer"),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout)


def test_exception_classes() -> None:
    """Every exception class the official SDK exports from a public module is
    exported by ours from the same module, with the official public bases in
    its MRO (in order); the known missing ones are still missing."""
    theirs = _classes(peer_python(), ["-I"])
    ours = _classes(sys.executable, [])
    problems = []
    still_missing = set()
    for module, classes in theirs.items():
        for name, mro in classes.items():
            key = f"{module}.{name}"
            if name not in ours[module]:
                if key in KNOWN_MISSING_CLASSES:
                    still_missing.add(key)
                else:
                    problems.append(f"{key} is missing")
                continue
            mine = ours[module][name]
            bases = iter(mine)
            if mine[0] != mro[0] or not all(b in bases for b in mro):
                problems.append(f"{key}: ours {mine} vs official {mro}")
    assert not problems, "\n".join(problems)
    assert still_missing == set(KNOWN_MISSING_CLASSES), (
        "now present, take them off KNOWN_MISSING_CLASSES: "
        f"{sorted(set(KNOWN_MISSING_CLASSES) - still_missing)}"
    )


def test_workflow_already_started_error_is_one_class_and_an_rpc_error() -> None:
    """``temporalio.exceptions`` and ``temporalio.client`` export one class;
    for code written against this SDK's earlier API it is also an
    ``RPCError`` with status ``ALREADY_EXISTS``."""
    import temporalio.client
    import temporalio.exceptions
    import temporalio.service

    cls = temporalio.exceptions.WorkflowAlreadyStartedError
    assert cls is temporalio.client.WorkflowAlreadyStartedError
    err = cls("wf", "Wf", "run-1")  # this SDK's positional run_id still works
    assert isinstance(err, temporalio.exceptions.FailureError)
    assert isinstance(err, temporalio.service.WorkflowExecutionAlreadyStartedError)
    assert isinstance(err, temporalio.service.RPCError)
    assert err.status == temporalio.service.RPCStatusCode.ALREADY_EXISTS
    assert (err.workflow_id, err.workflow_type, err.run_id, err.first_run_id) == (
        "wf",
        "Wf",
        "run-1",
        None,
    )
    assert str(err) == err.message == "Workflow execution already started"


async def test_already_started_from_the_server_keeps_the_rpc_details(
    server_target: str,
) -> None:
    import uuid

    from temporalio.client import Client
    from temporalio.exceptions import WorkflowAlreadyStartedError
    from temporalio.service import RPCError, RPCStatusCode

    c = await Client.connect(server_target)
    try:
        wid = f"errparity-{uuid.uuid4()}"
        handle = await c.start_workflow("W", id=wid, task_queue=f"tq-{uuid.uuid4()}")
        try:
            with pytest.raises(RPCError) as info:
                await c.start_workflow("W", id=wid, task_queue="tq")
            err = info.value
            assert isinstance(err, WorkflowAlreadyStartedError)
            assert err.status == RPCStatusCode.ALREADY_EXISTS
            assert err.run_id == handle.result_run_id
            assert err.grpc_status  # the server's details, as the cause has them
            assert isinstance(err.__cause__, RPCError)
            assert err.start_request_id == err.__cause__.start_request_id != ""  # type: ignore[attr-defined]
        finally:
            await handle.terminate()
    finally:
        await c.close()


async def test_description_has_raw_message_and_raw_description(server_target: str) -> None:
    import uuid

    from temporalio.client import Client

    c = await Client.connect(server_target)
    try:
        handle = await c.start_workflow(
            "W", id=f"errparity-{uuid.uuid4()}", task_queue=f"tq-{uuid.uuid4()}"
        )
        try:
            desc = await handle.describe()
            assert desc.raw_message is desc.raw_description
            assert desc.raw_description.workflow_execution_info.execution.workflow_id == handle.id
        finally:
            await handle.terminate()
    finally:
        await c.close()
