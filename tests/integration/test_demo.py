"""The demo (examples/python/demo.py, what scripts/demo runs) and the README's
usage example run as they are shipped, against the test's dev server, and
print what they should."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "python" / "demo.py"
README = ROOT / "README.md"

pytestmark = pytest.mark.timeout(200)


def _run(args: list[str], timeout: float = 150) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(ROOT),
    )


def test_demo_runs_workflows_on_our_worker(server_target: str) -> None:
    proc = _run([str(DEMO), "--target", server_target])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "1. query status:             'waiting for the approve signal'" in out, out
    assert "1. activity, timer, signal:  'Hello, Temporal! (approved by the demo)'" in out, out
    assert "2. three sync activities:    [16, 16, 16]" in out, out
    assert "3. failed once, resumed:     'sum 55 on attempt 2, resumed at item 5'" in out, out
    assert out.rstrip().endswith("worker shut down; done"), out
    # nothing from the peer (the official SDK) is involved
    assert "peer" not in (ROOT / "scripts" / "demo").read_text()
    assert "tests.peer" not in DEMO.read_text()


def usage_example() -> str:
    """The first code block of the README's "## Usage" section."""
    usage = README.read_text().split("\n## Usage\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", usage, re.S)
    assert match, "no python block in the README's usage section"
    return match.group(1)


def test_readme_usage_example_runs(server_target: str, tmp_path: Path) -> None:
    code = usage_example()
    assert "@workflow.defn" in code and "workflow.execute_activity(" in code
    assert "Worker(" in code and "workflows=[" in code
    # the same code, pointed at the test's server, with a workflow id of its own
    for old in ('"localhost:7233"', 'id="wf-1"'):
        assert code.count(old) == 1, old
    code = code.replace('"localhost:7233"', repr(server_target))
    code = code.replace('id="wf-1"', repr(f"readme-{uuid.uuid4()}").join(["id=", ""]))
    script = tmp_path / "readme_usage.py"
    script.write_text(code)
    proc = _run([str(script)], timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "Hello, you!", proc.stdout + proc.stderr
