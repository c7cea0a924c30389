"""Bar chart of the ratios ours/official, with each target as a tick.

    <python-with-matplotlib> bench/chart.py CHART_JSON OUT_PNG

Run by bench/bench.py with the bench-only venv (bench/_work/venv); matplotlib
is never a dependency of the package. Log scale: 0.5x and 2x are the same
distance from parity. Green: meets its target; red: misses; grey: no target;
rows without both figures say why instead of a bar.
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    data = json.load(open(sys.argv[1]))
    rows = data["rows"]
    n = len(rows)
    fig, ax = plt.subplots(figsize=(11, 0.42 * n + 1.6))
    labels, lo, hi = [], 0.05, 20.0
    for i, row in enumerate(rows):
        y = n - 1 - i
        labels.append(row["label"])
        r, tgt = row["ratio"], row["target"]
        if r is None:
            why = (
                "not available yet (ours)"
                if row["ours"] == "unavailable"
                else ("failed" if "failed" in (row["ours"], row["official"]) else "not measured")
            )
            ax.text(1.0, y, f"  {why}", va="center", ha="left", fontsize=8, color="#666666")
            continue
        if tgt is None:
            color = "#9e9e9e"
        else:
            op, v = tgt
            color = "#2e7d32" if (r <= v if op == "<=" else r >= v) else "#c62828"
        left, width = (r, 1.0 - r) if r < 1 else (1.0, r - 1.0)
        ax.barh(y, width, left=left, height=0.6, color=color)
        # Label just outside parity on the bar's side of 1.0 would collide with the
        # y labels for tiny ratios, so ratios < 1 are labelled right of the 1.0 line.
        ax.text(1.04 if r < 1 else r * 1.04, y, f"{r:.2f}×", va="center", ha="left", fontsize=8)
        if tgt is not None:
            ax.plot([tgt[1], tgt[1]], [y - 0.4, y + 0.4], color="black", lw=2)
        lo, hi = min(lo, r / 1.5), max(hi, r * 2.0)
    ax.set_yticks(range(n))
    ax.set_yticklabels(list(reversed(labels)), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(max(lo, 1e-3), hi)
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xlabel("ours / official (log scale; black tick = target)")
    ax.set_title(f"temporalio-c vs official temporalio 1.35.0 ({data['mode']} run)", fontsize=10)
    ax.grid(axis="x", which="both", alpha=0.25)
    ax.set_ylim(-0.7, n - 0.3)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
