"""The figures the fault tests measure, collected for one summary table.

Each test calls :func:`record`; the stage's conftest prints the table at the
end of the run and writes it to ``bench/_work/faults.md``.
"""

from __future__ import annotations

from typing import Any, List, Tuple

_rows: List[Tuple[str, str, str]] = []


def record(test: str, figure: str, value: Any) -> None:
    """Remember one figure (``value`` is shown as given; floats to 2 decimals)."""
    if isinstance(value, float):
        value = f"{value:.2f}"
    _rows.append((test, figure, str(value)))
    print(f"[faults] {test}: {figure} = {value}", flush=True)


def rows() -> List[Tuple[str, str, str]]:
    """Every figure recorded so far, in order."""
    return list(_rows)


def markdown(title: str = "Fault tests: figures") -> str:
    """The figures as a markdown table."""
    out = [f"# {title}", "", "| test | figure | value |", "| --- | --- | --- |"]
    out += [f"| {t} | {f} | {v} |" for t, f, v in _rows]
    return "\n".join(out) + "\n"
