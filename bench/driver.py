"""Workload driver for the worker scenarios, run with the PEER interpreter.

    <peer-python> -I bench/driver.py --target HOST:PORT --workflow-task-queue TQ

Uses the official SDK's client (the same for both SDKs under test, so it costs
them the same) to start ``KitchenSink`` workflows on the peer host's task
queue; each workflow runs ``echo`` activities on the task queue served by the
worker under test. Long-lived: reads one JSON command per stdin line and
answers one JSON line:

    {"cmd": "activities", "activity_task_queue": TQ, "workflows": W,
     "per_workflow": K, "concurrent": bool, "timeout_s": T}
      -> {"ok": true, "activities": W*K, "elapsed_s": S}
       | {"ok": false, "error": "..."}          (the workflows are terminated)

``concurrent`` true: each workflow schedules its K activities at once;
false: one after another, so W activities are in flight at any time.
Every result is checked to be the echoed argument.

The workflow benchmarks (9) use the workflows of ``bench/bench_workflows.py``,
hosted by the worker under test on ``task_queue``:

    {"cmd": "workflows", "task_queue": TQ, "count": N, "timer_s": T, "timeout_s": S}
      -> {"ok": true, "workflows": N, "elapsed_s": S}
         N ``BenchActivityTimer`` workflows started at once; every result checked
    {"cmd": "count_tasks"}
      -> {"ok": true, "completed": C, "failed": F, "timed_out": O, "activity_retries": R,
          "workflows": N}
         workflow-task events in the histories of the last ``workflows`` batch, and
         activity attempts beyond the first
    {"cmd": "first_line", "task_queue": TQ, "count": K, "timeout_s": S}
      -> {"ok": true, "latencies_ms": [..], "worker_ms": [..]}
         K ``BenchFirstLine`` workflows one after another: the wall clock of the
         first line of run (the workflow's result) minus the wall clock just
         before start_workflow was called; and minus the time of the
         WorkflowTaskStarted event in its history (the worker's part)
    {"cmd": "idle_workflows", "task_queue": TQ, "count": N, "timeout_s": S}
      -> {"ok": true, "workflows": N, "elapsed_s": S}
         N ``BenchWaitSignal`` workflows started (50 starts in flight); answers once
         every one has completed its first workflow task and has none pending
    {"cmd": "end_idle"}
      -> {"ok": true, "terminated": N}        terminates the idle workflows
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from typing import Any, Awaitable, Callable, Dict, List, TypeVar

from temporalio.api.enums.v1 import EventType

from temporalio.client import Client

ARG = {"a": 1, "b": "hello", "c": [1, 2, 3]}


def emit(obj: Dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def run_activities(client: Client, wf_tq: str, cmd: Dict[str, Any]) -> Dict[str, Any]:
    w, k, conc = int(cmd["workflows"]), int(cmd["per_workflow"]), bool(cmd["concurrent"])
    spec = {
        "name": "echo",
        "task_queue": cmd["activity_task_queue"],
        "args": [ARG],
        "count": k,
        "concurrent": conc,
    }
    inp = {"actions": [{"execute_activity": spec}]}
    expect: Any = [ARG] * k if (k > 1 or conc) else ARG
    prefix = f"bench-drv-{uuid.uuid4().hex[:8]}"
    handles: List[Any] = []

    async def one(i: int) -> None:
        h = await client.start_workflow("KitchenSink", inp, id=f"{prefix}-{i}", task_queue=wf_tq)
        handles.append(h)
        result = await h.result()
        if result != expect:
            raise RuntimeError(
                f"workflow {h.id} returned {str(result)[:200]}, expected the echoed argument"
            )

    t0 = time.perf_counter()
    tasks = [asyncio.ensure_future(one(i)) for i in range(w)]
    done, pending = await asyncio.wait(tasks, timeout=float(cmd.get("timeout_s", 300)))
    elapsed = time.perf_counter() - t0
    errors = [t.exception() for t in done if t.exception() is not None]
    if pending or errors:
        diag = await diagnose(handles) if pending else ""
        for t in pending:
            t.cancel()
        for h in handles:
            try:
                await h.terminate(reason="bench driver: giving up")
            except Exception:
                pass
        why = (
            f"timeout after {elapsed:.0f}s: {len(done) - len(errors)} of {w} workflows "
            f"finished; {diag}"
            if pending
            else f"{type(errors[0]).__name__}: {errors[0]}"
        )
        return {"ok": False, "error": why[:1500]}
    return {"ok": True, "activities": w * k, "elapsed_s": elapsed}


async def diagnose(handles: List[Any]) -> str:
    """What the server says about the unfinished workflows' activities: SCHEDULED
    ones were never picked up; STARTED ones were taken and never completed."""
    states: Dict[str, int] = {}
    attempts, failures, running = 0, set(), 0
    for h in handles:
        try:
            d = await h.describe()
        except Exception as e:  # the description is a hint, never the result
            return f"describe failed: {type(e).__name__}: {e}"
        if d.status is None or d.status.name != "RUNNING":
            continue
        running += 1
        for pa in d.raw_description.pending_activities:
            state = (
                type(pa)
                .DESCRIPTOR.fields_by_name["state"]
                .enum_type.values_by_number[pa.state]
                .name.replace("PENDING_ACTIVITY_STATE_", "")
            )
            states[state] = states.get(state, 0) + 1
            attempts = max(attempts, pa.attempt)
            if pa.HasField("last_failure"):
                failures.add(pa.last_failure.message[:120])
    return (
        f"{running} still running; their pending activities by state: {states or 'none'}, "
        f"max attempt {attempts}" + (f", last failures: {sorted(failures)[:3]}" if failures else "")
    )


T = TypeVar("T")
# Handles of the last "workflows" batch (for "count_tasks") and of the idle workflows.
LAST: Dict[str, List[Any]] = {"workflows": [], "idle": []}


async def bounded(n: int, items: List[Any], fn: Callable[[Any], Awaitable[T]]) -> List[T]:
    """fn over items with at most n calls in flight, results in order."""
    sem = asyncio.Semaphore(n)

    async def one(x: Any) -> T:
        async with sem:
            return await fn(x)

    return list(await asyncio.gather(*(one(x) for x in items)))


async def terminate_all(handles: List[Any]) -> None:
    async def term(h: Any) -> None:
        try:
            await h.terminate(reason="bench driver: done")
        except Exception:
            pass  # already closed

    await bounded(50, handles, term)


async def run_workflows(client: Client, cmd: Dict[str, Any]) -> Dict[str, Any]:
    n, tq = int(cmd["count"]), cmd["task_queue"]
    inp = {"payload": ARG, "timer_s": float(cmd["timer_s"])}
    prefix = f"bench-wf-{uuid.uuid4().hex[:8]}"
    handles: List[Any] = []

    async def one(i: int) -> None:
        h = await client.start_workflow(
            "BenchActivityTimer", inp, id=f"{prefix}-{i}", task_queue=tq
        )
        handles.append(h)
        result = await h.result()
        if result != ARG:
            raise RuntimeError(f"workflow {h.id} returned {str(result)[:200]}, expected {ARG}")

    t0 = time.perf_counter()
    tasks = [asyncio.ensure_future(one(i)) for i in range(n)]
    done, pending = await asyncio.wait(tasks, timeout=float(cmd.get("timeout_s", 300)))
    elapsed = time.perf_counter() - t0
    LAST["workflows"] = handles
    errors = [t.exception() for t in done if t.exception() is not None]
    if pending or errors:
        for t in pending:
            t.cancel()
        await terminate_all(handles)
        why = (
            f"timeout after {elapsed:.0f}s: {len(done) - len(errors)} of {n} workflows finished"
            if pending
            else f"{type(errors[0]).__name__}: {errors[0]}"
        )
        return {"ok": False, "error": why[:1500]}
    return {"ok": True, "workflows": n, "elapsed_s": elapsed}


async def count_tasks(client: Client, cmd: Dict[str, Any]) -> Dict[str, Any]:
    kinds = {
        EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: "completed",
        EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED: "failed",
        EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: "timed_out",
    }

    started = EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED

    async def one(h: Any) -> Dict[str, int]:
        hist = await h.fetch_history()
        out = {v: 0 for v in kinds.values()}
        out["activity_retries"] = 0
        for e in hist.events:
            if e.event_type in kinds:
                out[kinds[e.event_type]] += 1
            elif e.event_type == started:  # attempt > 1: an earlier attempt was lost/failed
                out["activity_retries"] += max(
                    0, e.activity_task_started_event_attributes.attempt - 1
                )
        return out

    per = await bounded(20, LAST["workflows"], one)
    total = {v: sum(p[v] for p in per) for v in [*kinds.values(), "activity_retries"]}
    return {"ok": True, "workflows": len(per), **total}


async def first_line(client: Client, cmd: Dict[str, Any]) -> Dict[str, Any]:
    tq, prefix = cmd["task_queue"], f"bench-first-{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + float(cmd.get("timeout_s", 120))
    lat: List[float] = []
    worker_ms: List[float] = []
    for i in range(int(cmd["count"])):
        t0 = time.time()
        h = await client.start_workflow("BenchFirstLine", id=f"{prefix}-{i}", task_queue=tq)
        try:
            first = await asyncio.wait_for(h.result(), max(1.0, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            await terminate_all([h])
            return {"ok": False, "error": f"workflow {h.id}: no result in time"}
        lat.append((float(first) - t0) * 1000.0)
        # Outside the timed part: when the server recorded WorkflowTaskStarted (it
        # handed the task to a poll of the worker), to split the latency in two.
        hist = await h.fetch_history()
        ev = next(
            e for e in hist.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
        )
        started = ev.event_time.seconds + ev.event_time.nanos / 1e9
        worker_ms.append((float(first) - started) * 1000.0)
    return {"ok": True, "latencies_ms": lat, "worker_ms": worker_ms}


async def idle_workflows(client: Client, cmd: Dict[str, Any]) -> Dict[str, Any]:
    n, tq = int(cmd["count"]), cmd["task_queue"]
    prefix = f"bench-idle-{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + float(cmd.get("timeout_s", 300))
    t0 = time.perf_counter()
    handles = await bounded(
        50,
        list(range(n)),
        lambda i: client.start_workflow("BenchWaitSignal", id=f"{prefix}-{i}", task_queue=tq),
    )
    LAST["idle"] = handles

    async def settled(h: Any) -> bool:
        d = await h.describe()
        # events 1-4: started, task scheduled, task started, task completed
        return d.history_length >= 4 and not d.raw_description.HasField("pending_workflow_task")

    left = handles
    while left:
        if time.monotonic() > deadline:
            return {
                "ok": False,
                "error": f"{len(left)} of {n} idle workflows never completed their first task",
            }
        ok = await bounded(50, left, settled)
        left = [h for h, done in zip(left, ok) if not done]
        if left:
            await asyncio.sleep(0.25)
    return {"ok": True, "workflows": n, "elapsed_s": time.perf_counter() - t0}


async def end_idle(client: Client, cmd: Dict[str, Any]) -> Dict[str, Any]:
    handles, LAST["idle"] = LAST["idle"], []
    await terminate_all(handles)
    return {"ok": True, "terminated": len(handles)}


COMMANDS = {
    "workflows": run_workflows,
    "count_tasks": count_tasks,
    "first_line": first_line,
    "idle_workflows": idle_workflows,
    "end_idle": end_idle,
}


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--target", required=True)
    p.add_argument("--namespace", default="default")
    p.add_argument("--workflow-task-queue", required=True)
    args = p.parse_args()
    client = await Client.connect(args.target, namespace=args.namespace)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    emit({"event": "ready"})
    while True:
        line = await reader.readline()
        if not line:
            break
        try:
            cmd = json.loads(line)
            if cmd.get("cmd") == "activities":
                emit(await run_activities(client, args.workflow_task_queue, cmd))
            elif cmd.get("cmd") in COMMANDS:
                emit(await COMMANDS[cmd["cmd"]](client, cmd))
            elif cmd.get("cmd") == "quit":
                break
            else:
                emit({"ok": False, "error": f"unknown command {cmd!r}"})
        except Exception as e:
            emit({"ok": False, "error": f"{type(e).__name__}: {e}"[:500]})


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    os._exit(0)  # skip finalization (temporalio/sdk-python#300)
