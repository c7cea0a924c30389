"""``python -m temporalio.testing -- COMMAND``: a real dev server."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(120)


def test_runs_the_command_against_a_dev_server_and_exits_with_its_status() -> None:
    """``--`` then a command: it sees TEMPORAL_TEST_TARGET (a host:port that
    accepts connections) and its exit status is the CLI's."""
    code = (
        "import os, socket, sys\n"
        "host, port = os.environ['TEMPORAL_TEST_TARGET'].rsplit(':', 1)\n"
        "socket.create_connection((host, int(port)), timeout=10).close()\n"
        "sys.exit(3)\n"
    )
    p = subprocess.run(
        [sys.executable, "-m", "temporalio.testing", "--", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert p.returncode == 3, p.stderr
    assert "Traceback" not in p.stderr, p.stderr
