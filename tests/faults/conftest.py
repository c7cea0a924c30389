"""The fault stage (``pytest -m faults tests/faults``): each test module starts
its own dev servers (it kills, restarts or cuts them off), so nothing here
uses the shared ``server_target``. At the end the figures every test recorded
are printed as one table and written to ``bench/_work/faults.md`` (or to the
file ``FAULTS_FIGURES`` names: the ASan stage of ``scripts/test`` keeps its
own)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.faults import figures

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / os.environ.get("FAULTS_FIGURES", "bench/_work/faults.md")


_started = time.monotonic()  # this conftest loads as collection starts


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not figures.rows():
        return
    stats = terminalreporter.stats
    counts = " / ".join(
        f"{len([r for r in stats.get(k, []) if getattr(r, 'when', 'call') == 'call' or k == 'error'])} {k}"
        for k in ("passed", "xfailed", "failed", "xpassed", "error")
    )
    figures.record("stage", "tests", counts)
    figures.record("stage", "wall time s", time.monotonic() - _started)
    text = figures.markdown()
    terminalreporter.write_sep("=", "fault test figures")
    terminalreporter.write(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    terminalreporter.write_line(f"(written to {os.path.relpath(RESULTS, ROOT)})")
