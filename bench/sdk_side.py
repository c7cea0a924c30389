"""One SDK's side of a benchmark scenario, run with THAT SDK's interpreter.

    <python> -I bench/sdk_side.py worker --sdk ours|official --target HOST:PORT --task-queue TQ
    <python> -I bench/sdk_side.py client --sdk ours|official --target HOST:PORT --task-queue TQ

A worker started with ``--workflows`` also hosts the workflows of
``bench/bench_workflows.py`` (``--max-cached-workflows N``; ``--unsandboxed``:
the official SDK with ``UnsandboxedWorkflowRunner()`` instead of its default
sandbox).

The same file serves our SDK (``.venv/bin/python``) and the official one (the
peer venv's python): both expose ``temporalio.client.Client`` and
``temporalio.worker.Worker`` with the same shape, so only a few lines differ.
Run with ``-I`` and a working directory outside the repo, so the official
interpreter can never import our ``temporalio/`` by accident. Self-contained:
no imports from bench/ (``-I`` keeps this file's directory off ``sys.path``).

Output: JSON lines on stdout. A figure that this SDK cannot produce yet (a
missing API) is reported under ``unavailable`` with the reason; one that failed
is reported under ``errors``. Numbers are never invented.

``worker`` protocol (stdin commands, one per line, each answered by one JSON line):
    (startup)        -> {"event": "ready", "idle_rss_mib": .., ...}   after --idle-seconds idle
    begin LABEL      -> {"event": "begun", "label": LABEL, "rss_mib": ..}  rusage snapshot taken
    end LABEL        -> {"event": "ended", "label": LABEL, "cpu_s": .., "maxrss_mib": ..}
    quit             -> {"event": "bye"}                               then the process exits
If the worker stops by itself: {"event": "worker_stopped", "error": ..} and exit 3.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
import traceback
import uuid
from typing import Any, Callable, Dict, List, Optional

WORKFLOW_TYPE = "KitchenSink"


class Unavailable(Exception):
    """The SDK under test does not have the API a figure needs (yet)."""


def emit(obj: Dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def rss_mib() -> float:
    """Current resident set size, from /proc/self/status (VmRSS)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def maxrss_mib() -> float:
    """Peak RSS of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds() -> Dict[str, float]:
    """user+sys CPU of the whole process (every thread: core, gRPC, asyncio)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return {"user": r.ru_utime, "sys": r.ru_stime}


def thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return -1


def describe(e: BaseException) -> str:
    text = str(e) if isinstance(e, Unavailable) else f"{type(e).__name__}: {e}".strip()
    return text[:400]


def missing_api(e: BaseException) -> bool:
    """Whether an exception means 'this API is not there yet' rather than 'it broke'."""
    if isinstance(e, (Unavailable, NotImplementedError, ImportError)):
        return True
    if isinstance(e, AttributeError):  # only a missing public name of the SDK itself
        text = str(e)
        return any(
            s in text
            for s in (
                "module 'temporalio",
                "'Client'",
                "'WorkflowHandle'",
                "'Worker'",
                "type object 'Client'",
            )
        )
    return False


def hard_exit(code: int) -> None:
    """Exit without interpreter finalization (the official SDK's native threads
    can race it: temporalio/sdk-python#300). Same for both SDKs, for symmetry."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


async def connect(args: argparse.Namespace) -> Any:
    try:
        from temporalio.client import Client
    except ImportError as e:
        raise Unavailable(f"temporalio.client.Client: {e}") from None
    if not hasattr(Client, "connect"):
        raise Unavailable("temporalio.client.Client.connect not available yet")
    return await Client.connect(args.target, namespace=args.namespace)


# --------------------------------------------------------------------------- worker


async def echo(arg: Any) -> Any:
    """The benchmark activity: returns its (small JSON dict) argument."""
    return arg


def make_worker(sdk: str, client: Any, args: argparse.Namespace) -> Any:
    try:
        from temporalio.worker import Worker
    except ImportError as e:
        raise Unavailable(f"temporalio.worker.Worker not available yet ({e})") from None
    if sdk == "official":
        from temporalio import activity

        acts: Any = [activity.defn(name="echo")(echo)]
    else:
        acts = {"echo": echo}
    kw: Dict[str, Any] = {}
    if args.workflows:
        # bench/bench_workflows.py, by name: appended (not prepended) to sys.path, so
        # the SDK under test is still the one installed in this interpreter's venv.
        sys.path.append(os.path.dirname(os.path.abspath(__file__)))
        import bench_workflows

        kw["workflows"] = bench_workflows.WORKFLOWS
        kw["max_cached_workflows"] = args.max_cached_workflows
        if args.unsandboxed:
            from temporalio.worker import UnsandboxedWorkflowRunner  # type: ignore[attr-defined]

            kw["workflow_runner"] = UnsandboxedWorkflowRunner()
    try:
        return Worker(
            client,
            task_queue=args.task_queue,
            activities=acts,
            max_concurrent_activities=args.slots,
            **kw,
        )
    except NotImplementedError as e:
        raise Unavailable(f"temporalio.worker.Worker not implemented yet ({e})") from None


class _CallgrindToggle:
    """Starts/stops callgrind instrumentation through a tiny client-request
    library (bench/cg_toggle.c). A no-op when the process is not under valgrind."""

    def __init__(self, path: Optional[str]) -> None:
        self._lib = None
        if path:
            import ctypes

            self._lib = ctypes.CDLL(path)

    def start(self) -> None:
        if self._lib is not None:
            self._lib.bench_cg_start()

    def stop(self) -> None:
        if self._lib is not None:
            self._lib.bench_cg_stop()


async def stdin_reader(loop: asyncio.AbstractEventLoop) -> Callable[[], Any]:
    """An awaitable readline() of stdin: on the loop when stdin is a pipe, else
    (a file, /dev/null) from a thread."""
    try:
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

        async def from_pipe() -> str:
            return (await reader.readline()).decode()

        return from_pipe
    except (OSError, ValueError):
        return lambda: loop.run_in_executor(None, sys.stdin.readline)


async def run_worker(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    try:
        client = await connect(args)
        worker = make_worker(args.sdk, client, args)
        run_task = asyncio.ensure_future(worker.run())
    except Exception as e:  # report, never crash silently
        kind = "unavailable" if missing_api(e) else "error"
        emit({"event": "startup_failed", kind: describe(e)})
        if kind == "error":
            traceback.print_exc()
        return 2
    toggle = _CallgrindToggle(args.callgrind_lib)
    loop = asyncio.get_running_loop()
    finished = asyncio.Event()

    def on_run_done(task: "asyncio.Future[Any]") -> None:
        if finished.is_set():
            return
        err = "worker.run() returned" if not task.cancelled() else "worker.run() cancelled"
        exc = None if task.cancelled() else task.exception()
        if exc is not None and missing_api(exc):
            emit({"event": "startup_failed", "unavailable": describe(exc)})
            hard_exit(2)
        if exc is not None:
            err = describe(exc)
        emit({"event": "worker_stopped", "error": err})
        hard_exit(3)

    run_task.add_done_callback(on_run_done)
    startup_s = time.perf_counter() - t0
    await asyncio.sleep(args.idle_seconds)
    emit(
        {
            "event": "ready",
            "idle_rss_mib": rss_mib(),
            "maxrss_mib": maxrss_mib(),
            "threads": thread_count(),
            "startup_s": startup_s,
            "pid": os.getpid(),
        }
    )

    readline = await stdin_reader(loop)
    marks: Dict[str, Dict[str, float]] = {}
    while True:
        raw = await readline()
        if not raw:
            break
        cmd, _, label = raw.strip().partition(" ")
        if cmd == "begin":
            marks[label] = {**cpu_seconds(), "wall": time.perf_counter()}
            toggle.start()
            emit({"event": "begun", "label": label, "rss_mib": rss_mib()})
        elif cmd == "end":
            toggle.stop()
            now, start = cpu_seconds(), marks.pop(label)
            user, sys_ = now["user"] - start["user"], now["sys"] - start["sys"]
            emit(
                {
                    "event": "ended",
                    "label": label,
                    "cpu_s": user + sys_,
                    "user_s": user,
                    "sys_s": sys_,
                    "wall_s": time.perf_counter() - start["wall"],
                    "maxrss_mib": maxrss_mib(),
                    "rss_mib": rss_mib(),
                    "threads": thread_count(),
                }
            )
        elif cmd == "quit":
            break
    finished.set()
    try:
        await asyncio.wait_for(worker.shutdown(), timeout=15)
    except Exception as e:
        emit({"event": "shutdown_error", "error": describe(e)})
    emit({"event": "bye"})
    return 0


# --------------------------------------------------------------------------- client


def percentile(values: List[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(-(-q * len(s) // 1)) - 1))  # nearest rank
    return s[k]


async def run_client(args: argparse.Namespace) -> int:
    out: Dict[str, Any] = {"metrics": {}, "unavailable": {}, "errors": {}, "info": {}}
    m, unav, errs = out["metrics"], out["unavailable"], out["errors"]

    def fail(keys: List[str], e: BaseException) -> None:
        target = unav if missing_api(e) else errs
        for k in keys:
            target[k] = describe(e)
        if target is errs:
            traceback.print_exc()

    start_keys = ["start_p50_ms", "start_p99_ms", "starts_per_s", "signal_p50_ms", "query_p50_ms"]
    try:
        client = await connect(args)
    except Exception as e:
        fail(start_keys + ["client_rss_mib"], e)
        emit(out)
        return 0
    await asyncio.sleep(0.5)
    m["client_rss_mib"] = rss_mib()
    prefix = f"bench-{args.sdk}-{uuid.uuid4().hex[:8]}"
    empty = {"actions": []}  # a workflow that just returns

    async def start(wid: str, arg: Any = empty) -> Any:
        fn = getattr(client, "start_workflow", None)
        if fn is None:
            raise Unavailable("Client.start_workflow not available yet")
        tq = args.start_task_queue if arg is empty else args.task_queue
        return await fn(WORKFLOW_TYPE, arg, id=wid, task_queue=tq)

    # 4a/4b: sequential start_workflow latency.
    try:
        for i in range(args.warmup):
            await start(f"{prefix}-w{i}")
        lat = []
        for i in range(args.sequential):
            t = time.perf_counter()
            await start(f"{prefix}-s{i}")
            lat.append((time.perf_counter() - t) * 1000.0)
        m["start_p50_ms"] = percentile(lat, 0.50)
        m["start_p99_ms"] = percentile(lat, 0.99)
    except Exception as e:
        fail(["start_p50_ms", "start_p99_ms"], e)

    # 4c: concurrent starts with a fixed number in flight.
    if "start_p50_ms" in m:
        try:
            counter = iter(range(args.concurrent_total))

            async def lane() -> None:
                for i in counter:
                    await start(f"{prefix}-c{i}")

            t = time.perf_counter()
            await asyncio.gather(*(lane() for _ in range(args.in_flight)))
            m["starts_per_s"] = args.concurrent_total / (time.perf_counter() - t)
        except Exception as e:
            fail(["starts_per_s"], e)
    else:
        for k in ("starts_per_s", "signal_p50_ms", "query_p50_ms"):
            (unav if "start_p50_ms" in unav else errs)[k] = "needs start_workflow: " + (
                unav.get("start_p50_ms") or errs.get("start_p50_ms", "?")
            )

    # 4d/4e: signal and query latency against one long-running workflow.
    handle = None
    if "start_p50_ms" in m:
        try:
            handle = await start(
                f"{prefix}-sq",
                {
                    "actions": [
                        {"query_handler": {"name": "q", "value": {"ok": True}}},
                        {"await_signal": {"name": "never-sent"}},
                    ]
                },
            )
        except Exception as e:
            fail(["signal_p50_ms", "query_p50_ms"], e)
    if handle is not None:
        for key, op in (("signal_p50_ms", "signal"), ("query_p50_ms", "query")):
            try:
                fn: Optional[Callable[..., Any]] = getattr(handle, op, None)
                if fn is None:
                    raise Unavailable(f"WorkflowHandle.{op} not available yet")
                call = (lambda i: fn("s", {"i": i})) if op == "signal" else (lambda i: fn("q"))
                for i in range(3):  # warm-up (the first query also waits for the first task)
                    await call(i)
                lat = []
                for i in range(args.signals):
                    t = time.perf_counter()
                    r = await call(i)
                    lat.append((time.perf_counter() - t) * 1000.0)
                if op == "query" and r != {"ok": True}:
                    raise RuntimeError(f"query returned {r!r}, expected {{'ok': True}}")
                m[key] = percentile(lat, 0.50)
            except Exception as e:
                fail([key], e)
        try:
            await handle.terminate(reason="bench done")
        except Exception:
            pass
    out["info"]["maxrss_mib"] = maxrss_mib()
    emit(out)
    return 0


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["worker", "client"])
    p.add_argument("--sdk", choices=["ours", "official"], required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--namespace", default="default")
    p.add_argument("--task-queue", required=True)
    p.add_argument(
        "--start-task-queue",
        help="client: task queue of the started workflows (default --task-queue)",
    )
    p.add_argument("--idle-seconds", type=float, default=5.0)
    p.add_argument("--slots", type=int, default=100)
    p.add_argument("--callgrind-lib", default=None)
    p.add_argument(
        "--workflows", action="store_true", help="worker: also host bench/bench_workflows.py"
    )
    p.add_argument("--max-cached-workflows", type=int, default=1000)
    p.add_argument(
        "--unsandboxed",
        action="store_true",
        help="worker, official SDK: workflow_runner=UnsandboxedWorkflowRunner()",
    )
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--sequential", type=int, default=500)
    p.add_argument("--concurrent-total", type=int, default=1000)
    p.add_argument("--in-flight", type=int, default=100)
    p.add_argument("--signals", type=int, default=100)
    args = p.parse_args()
    args.start_task_queue = args.start_task_queue or args.task_queue
    fn = run_worker if args.mode == "worker" else run_client
    try:
        rc = asyncio.run(fn(args))
    except Exception as e:
        traceback.print_exc()
        emit({"event": "crashed", "error": describe(e)})
        rc = 1
    hard_exit(rc)


if __name__ == "__main__":
    main()
