"""Run the official-SDK ``KitchenSink`` peer worker from our own test process.

Standard library only: this module must never import the official ``temporalio``
(our package has the same name). The peer runs in its own virtualenv, made by
``scripts/peer-env``. Example::

    from tests.peer.peerhost import PeerHost, actions

    with PeerHost("127.0.0.1:17233", "default", "my-tq"):
        ...  # start workflow "KitchenSink" on "my-tq" with
        ...  # actions({"sleep": {"millis": 10}}, {"result": {"value": 1}})

Set ``TEMPORALIO_PEER_PYTHON`` to a peer interpreter to skip ``scripts/peer-env``.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NoReturn

REPO_ROOT = Path(__file__).resolve().parents[2]
PEER_ENV_SCRIPT = REPO_ROOT / "scripts" / "peer-env"
KITCHEN_SINK = Path(__file__).resolve().parent / "kitchen_sink.py"
CROSS_SDK_HOST = Path(__file__).resolve().parent / "cross_sdk_host.py"
CROSS_SDK_PATCH_HOST = Path(__file__).resolve().parent / "cross_sdk_patch_host.py"
CROSS_SDK_LA_HOST = Path(__file__).resolve().parent / "cross_sdk_la_host.py"
READY_LINE = "PEER READY"
WORKFLOW_TYPE = "KitchenSink"

_python_lock = threading.Lock()
_python: str | None = None


def actions(*acts: dict[str, Any]) -> dict[str, Any]:
    """Build the KitchenSink input, e.g. ``actions({"sleep": {"millis": 5}})``."""
    return {"actions": list(acts)}


def peer_python() -> str:
    """The peer venv's interpreter; runs ``scripts/peer-env`` once per process."""
    global _python
    with _python_lock:
        if _python is None:
            override = os.environ.get("TEMPORALIO_PEER_PYTHON")
            if override:
                _python = override
            else:
                proc = subprocess.run(
                    [str(PEER_ENV_SCRIPT)],
                    capture_output=True,
                    text=True,
                    env=_peer_environ(),
                )
                lines = proc.stdout.strip().splitlines()
                if proc.returncode != 0 or not lines:
                    raise RuntimeError(
                        f"scripts/peer-env failed (exit {proc.returncode}):\n{_tail(proc.stderr)}"
                    )
                _python = lines[-1].strip()
        return _python


def _peer_environ() -> dict[str, str]:
    """Our environment minus anything that could leak our packages into the peer."""
    # (and minus the sanitizer run's settings: scripts/asan-python checks our
    # extension, not the peer's)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "LD_PRELOAD", "PYTHONMALLOC")
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_official(args: list[str], **kwargs: Any) -> "subprocess.CompletedProcess[str]":
    """``subprocess.run(args, capture_output=True, text=True, **kwargs)`` for a
    process running the official SDK, once more if a signal killed it: its
    Rust core has crashed (SIGSEGV) about once in ten runs on a loaded
    machine, which is not what the tests calling this compare. Our SDK's
    processes never get a second try."""
    for attempt in (1, 2):
        proc = subprocess.run(args, capture_output=True, text=True, **kwargs)
        if proc.returncode < 0 and attempt == 1:
            print(f"{args[0]} died of signal {-proc.returncode}; once more")
            continue
        break
    return proc


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


class PeerHost:
    """A peer worker subprocess polling ``task_queue``: ``kitchen_sink.py``, or
    another host ``script`` with the same command line and ``PEER READY`` line
    (e.g. ``CROSS_SDK_HOST``)."""

    def __init__(
        self, target: str, namespace: str, task_queue: str, script: Path = KITCHEN_SINK
    ) -> None:
        self.target = target
        self.namespace = namespace
        self.task_queue = task_queue
        self.script = script
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self.returncode: int | None = None
        """Exit code of the last stopped worker process (``None`` before that)."""

    def start(self, timeout: float = 60.0) -> None:
        """Start the worker and block until it prints ``PEER READY``."""
        if self._proc is not None:
            raise RuntimeError("peer already started")
        self._stderr = tempfile.TemporaryFile(mode="w+", prefix="peer-stderr-")
        self._proc = subprocess.Popen(
            [
                peer_python(),
                str(self.script),
                "--target",
                self.target,
                "--namespace",
                self.namespace,
                "--task-queue",
                self.task_queue,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=_peer_environ(),
            cwd=str(self.script.parent),
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(
            target=self._pump_stdout, args=(self._proc.stdout, lines), daemon=True
        ).start()
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = lines.get(timeout=max(remaining, 0.0))
            except queue.Empty:
                self._fail(f"peer not ready after {timeout:.0f}s")
            if line is None:
                self._proc.wait()
                self._fail(f"peer exited with code {self._proc.returncode}")
            if line.strip() == READY_LINE:
                return

    @staticmethod
    def _pump_stdout(stream: IO[str], lines: queue.Queue[str | None]) -> None:
        """Forward stdout lines (also keeps the pipe drained); ``None`` at EOF."""
        with stream:
            for line in stream:
                lines.put(line)
        lines.put(None)

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return _tail(self._stderr.read())

    def _fail(self, why: str) -> NoReturn:
        tail = self._stderr_tail()
        self.stop()
        raise RuntimeError(f"{why}; peer stderr tail:\n{tail}")

    def stop(self) -> None:
        """SIGTERM the worker, wait up to 10 s, then kill it. Safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            self.returncode = proc.returncode
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    @property
    def running(self) -> bool:
        """Whether the worker subprocess is alive."""
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> PeerHost:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


if __name__ == "__main__":  # manual use: python tests/peer/peerhost.py TARGET TQ
    with PeerHost(sys.argv[1], "default", sys.argv[2]) as host:
        print(f"peer ready on {host.task_queue}; Ctrl-C to stop", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
