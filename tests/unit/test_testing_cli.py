"""``python -m temporalio.testing``: its help, usage errors and a command
that does not exist (none of these starts a dev server)."""

from __future__ import annotations

import subprocess
import sys
from typing import List


def _run(*args: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(
        [sys.executable, "-m", "temporalio.testing", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _no_traceback(p: "subprocess.CompletedProcess[str]") -> None:
    assert "Traceback" not in p.stdout + p.stderr, p.stdout + p.stderr


def test_help_prints_usage_and_exits_0() -> None:
    for flag in ("--help", "-h"):
        p = _run(flag)
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith("usage: python -m temporalio.testing [-h] [--] COMMAND")
        assert "TEMPORAL_TEST_TARGET" in p.stdout
        assert p.stderr == ""


def test_usage_errors_exit_2() -> None:
    cases: List[List[str]] = [[], ["--bogus"], ["--"]]
    for args in cases:
        p = _run(*args)
        assert p.returncode == 2, (args, p.stderr)
        assert p.stderr.startswith("usage: python -m temporalio.testing"), p.stderr
        assert "error:" in p.stderr
        _no_traceback(p)


def test_command_not_found_exits_127_without_a_traceback() -> None:
    p = _run("no-such-command-for-temporalio-testing")
    assert p.returncode == 127
    assert "command not found: no-such-command-for-temporalio-testing" in p.stderr
    _no_traceback(p)
