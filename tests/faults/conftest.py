"""The fault stage (``pytest -m faults tests/faults``): each test module starts
its own dev servers (it kills, restarts or cuts them off), so nothing here
uses the shared ``server_target``. At the end the figures every test recorded
are printed as one table and written to ``bench/_work/faults.md``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults import figures

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "_work" / "faults.md"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    rows = figures.rows()
    if not rows:
        return
    text = figures.markdown()
    terminalreporter.write_sep("=", "fault test figures")
    terminalreporter.write(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    terminalreporter.write_line(f"(written to {RESULTS.relative_to(ROOT)})")
