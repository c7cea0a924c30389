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
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from typing import Any, Dict, List

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
