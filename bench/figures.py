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
    print_columns({"before": baseline, "now": figures})


def print_columns(columns: dict[str, dict[str, float]]) -> None:
    """Every figure of any run, one column per run (NaN where a run has no such figure)."""
    names = dict.fromkeys(name for figures in columns.values() for name in figures)
    width = max(len(name) for name in [*names, "figure"])
    print(f"\n  {'figure':<{width}}" + "".join(f" {title:>10}" for title in columns))
    for name in names:
        values = (figures.get(name, float("nan")) for figures in columns.values())
        print(f"  {name:<{width}}" + "".join(f" {value:10.1f}" for value in values))
