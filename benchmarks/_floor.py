"""Floors: the same work written directly against DuckDB, deltalake or pyarrow, measured in the same run.

Every figure a benchmark prints sits beside its floor and the ratio, so a change of machine or load
moves both, and the ratio says how far the project is from what the machine can do.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence

from benchmarks._workspace import timings


def load() -> str:
    """The 1/5/15-minute load averages, printed with every figure (the machine may be shared)."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def min_median(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(min, median) seconds of `repeat` calls."""
    times = timings(fn, repeat)
    return min(times), statistics.median(times)


def line(label: str, project: float, floor: float, unit: str = "ms", lower_is_better: bool = True) -> str:
    """One figure: project, floor and their ratio (project/floor for times and memory, floor/project
    for rates, so a ratio above 1 always means the project is that many times from the floor)."""
    ratio = project / floor if lower_is_better else floor / project
    return f"     {label:44s} {project:10,.1f} {unit}   floor {floor:10,.1f} {unit}   ratio {ratio:5.2f}x"


def peak_rss_mib(code: str, env: dict[str, str] | None = None, args: Sequence[str] = ()) -> tuple[float, str]:
    """Peak RSS (MiB) of a fresh Python running `code`, and what it printed (a child, so one
    measurement never inherits another's heap)."""
    # VmHWM, not getrusage's ru_maxrss: Linux keeps ru_maxrss across execve, so a child of a big
    # benchmark process would report at least its parent's size
    probe = (
        f"{code}\nimport sys as _s\n"
        "_hwm = next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
        "_s.stderr.write(f'PEAK_RSS_KIB={_hwm}\\n')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child failed: {done.stderr[-2000:]}")
    kib = next(int(x.split("=", 1)[1]) for x in done.stderr.splitlines() if x.startswith("PEAK_RSS_KIB="))
    return kib / 1024, done.stdout
