"""Helpers the pipeline benchmarks share: a process's CPU and memory, two columns of figures."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User+system CPU seconds used by a process (Linux), or NaN."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux), or NaN."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return float("nan")


def print_beside(baseline: dict[str, float], figures: dict[str, float]) -> None:
    """Every figure of either run, the baseline's value beside this checkout's."""
    width = max(len(name) for name in [*baseline, *figures, "figure"])
    print(f"\n  {'figure':<{width}} {'before':>10} {'now':>10}")
    for name in dict.fromkeys([*baseline, *figures]):
        before = baseline.get(name, float("nan"))
        now = figures.get(name, float("nan"))
        print(f"  {name:<{width}} {before:10.1f} {now:10.1f}")
