"""Results that depend only on the warehouse snapshot, computed once per snapshot in each process.

An ad's first day with impressions or a campaign's launch day reads the whole history (a scan of
every row); it changes only when a sync publishes a new snapshot. `per_snapshot(name, compute)` keeps
the latest result per name with the snapshot id it was computed on (and the workspace it came from),
so dashboards pay the scan once after each sync instead of on every rerun.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pandas as pd

from adops import warehouse

__all__ = ["clear", "per_snapshot"]

_lock = threading.Lock()
_results: dict[str, tuple[tuple[str, str], pd.DataFrame]] = {}


def per_snapshot(name: str, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """`compute()` once per warehouse snapshot (and workspace); callers must not change the frame."""
    from adops.warehouse import delta

    key = (str(delta.root()), warehouse.snapshot().id)
    with _lock:
        hit = _results.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
    frame = compute()
    with _lock:
        _results[name] = (key, frame)
    return frame


def clear() -> None:
    """Forget every kept result (tests)."""
    with _lock:
        _results.clear()
