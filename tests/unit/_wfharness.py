"""Hand-built coresdk activations for the workflow worker's unit tests (the
way the official SDK tests its instance: no server, no core)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, List, Optional, Sequence

from temporalio.bridge.proto import workflow_activation as wa
from temporalio.bridge.proto import workflow_completion as wcomp

from temporalio.converter import DataConverter
from temporalio.worker._workflow import WorkflowWorker

PC = DataConverter.default.payload_converter
T0 = 1_700_000_000  # the first activation's timestamp (seconds)


def payloads(*values: Any) -> List[Any]:
    return PC.to_payloads(list(values)) if values else []


def value(payload: Any, type_hint: Optional[type] = None) -> Any:
    return PC.from_payloads([payload], [type_hint] if type_hint else None)[0]


# ---- jobs -------------------------------------------------------------------------


def init(
    workflow_type: str,
    *args: Any,
    seed: int = 7,
    workflow_id: str = "wid",
    memo: Optional[dict] = None,
    raw_args: Optional[Sequence[Any]] = None,
) -> Any:
    job = wa.WorkflowActivationJob()
    j = job.initialize_workflow
    j.workflow_type = workflow_type
    j.workflow_id = workflow_id
    j.randomness_seed = seed
    j.first_execution_run_id = "run1"
    j.attempt = 1
    j.arguments.extend(raw_args if raw_args is not None else payloads(*args))
    j.workflow_task_timeout.FromTimedelta(timedelta(seconds=10))
    j.start_time.FromSeconds(T0)
    for k, v in (memo or {}).items():
        j.memo.fields[k].CopyFrom(payloads(v)[0])
    return job


def fire_timer(seq: int) -> Any:
    job = wa.WorkflowActivationJob()
    job.fire_timer.seq = seq
    return job


def signal(name: str, *args: Any) -> Any:
    job = wa.WorkflowActivationJob()
    job.signal_workflow.signal_name = name
    job.signal_workflow.input.extend(payloads(*args))
    return job


def query(query_id: str, name: str, *args: Any) -> Any:
    job = wa.WorkflowActivationJob()
    job.query_workflow.query_id = query_id
    job.query_workflow.query_type = name
    job.query_workflow.arguments.extend(payloads(*args))
    return job


def do_update(
    update_id: str, name: str, *args: Any, run_validator: bool = True, instance: str = ""
) -> Any:
    job = wa.WorkflowActivationJob()
    u = job.do_update
    u.id = update_id
    u.protocol_instance_id = instance or update_id
    u.name = name
    u.input.extend(payloads(*args))
    u.meta.update_id = update_id
    u.meta.identity = "client-1"
    u.run_validator = run_validator
    return job


def update_responses(completion: Any) -> List[Any]:
    """(instance id, "accepted" | "rejected" | "completed", value or failure)
    of the completion's update_response commands, in order."""
    out = []
    for c in completion.successful.commands:
        if c.HasField("update_response"):
            r = c.update_response
            kind = r.WhichOneof("response")
            v = (
                value(r.completed)
                if kind == "completed"
                else r.rejected
                if kind == "rejected"
                else None
            )
            out.append((r.protocol_instance_id, kind, v))
    return out


def cancel_workflow(reason: str = "") -> Any:
    job = wa.WorkflowActivationJob()
    job.cancel_workflow.reason = reason
    return job


def update_seed(seed: int) -> Any:
    job = wa.WorkflowActivationJob()
    job.update_random_seed.randomness_seed = seed
    return job


def evict(message: str = "evicted") -> Any:
    job = wa.WorkflowActivationJob()
    job.remove_from_cache.message = message
    return job


def resolve_activity_ok(seq: int, result: Any) -> Any:
    job = wa.WorkflowActivationJob()
    job.resolve_activity.seq = seq
    job.resolve_activity.result.completed.result.CopyFrom(payloads(result)[0])
    return job


def _activity_failure(target: Any, activity_type: str, seq: int) -> Any:
    """Fills ``target`` (a Failure) as the server/core describe a failed activity."""
    target.message = "Activity task failed"
    info = target.activity_failure_info
    info.activity_type.name = activity_type
    info.activity_id = str(seq)
    info.scheduled_event_id = 5
    info.started_event_id = 6
    info.identity = "worker-1"
    info.retry_state = 5  # RETRY_STATE_NON_RETRYABLE_FAILURE
    return target.cause


def resolve_activity_failed(seq: int, activity_type: str, message: str, error_type: str) -> Any:
    job = wa.WorkflowActivationJob()
    job.resolve_activity.seq = seq
    cause = _activity_failure(job.resolve_activity.result.failed.failure, activity_type, seq)
    cause.message = message
    cause.application_failure_info.type = error_type
    return job


def resolve_activity_cancelled(seq: int, activity_type: str) -> Any:
    job = wa.WorkflowActivationJob()
    job.resolve_activity.seq = seq
    cause = _activity_failure(job.resolve_activity.result.cancelled.failure, activity_type, seq)
    cause.message = "Activity cancelled"
    cause.canceled_failure_info.SetInParent()
    return job


# ---- a worker fed by hand -------------------------------------------------------------


class Harness:
    """A :class:`WorkflowWorker` fed hand-built activations of one run."""

    def __init__(
        self,
        *workflows: type,
        run_id: str = "run1",
        deadlock_timeout: Optional[timedelta] = timedelta(seconds=5),
        data_converter: DataConverter = DataConverter.default,
        failure_exception_types: Sequence[type] = (),
    ) -> None:
        self.completions: List[bytes] = []
        self.worker = WorkflowWorker(
            workflows=list(workflows),
            namespace="default",
            task_queue="tq",
            data_converter=data_converter,
            complete=self.completions.append,
            deadlock_timeout=deadlock_timeout,
            failure_exception_types=failure_exception_types,
        )
        self.run_id = run_id
        self.now = T0

    def activation(
        self, *jobs: Any, advance: float = 0, replaying: bool = False, run_id: Optional[str] = None
    ) -> Any:
        self.now += advance
        act = wa.WorkflowActivation(run_id=run_id or self.run_id, is_replaying=replaying)
        act.timestamp.FromNanoseconds(int(self.now * 1e9))
        for j in jobs:
            act.jobs.add().CopyFrom(j)
        return act

    def activate(self, *jobs: Any, **kw: Any) -> Any:
        """Run one activation to its completion (a WorkflowActivationCompletion)."""
        act = self.activation(*jobs, **kw)
        asyncio.run(asyncio.wait_for(self.worker.handle_activation(act.SerializeToString()), 30))
        return wcomp.WorkflowActivationCompletion.FromString(self.completions[-1])


def commands(completion: Any) -> List[str]:
    assert completion.HasField("successful"), f"activation failed: {completion.failed}"
    return [c.WhichOneof("variant") for c in completion.successful.commands]


def result_of(completion: Any, type_hint: Optional[type] = None) -> Any:
    cmds = [c for c in completion.successful.commands if c.HasField("complete_workflow_execution")]
    assert len(cmds) == 1, f"no completion in {commands(completion)}"
    return value(cmds[0].complete_workflow_execution.result, type_hint)
