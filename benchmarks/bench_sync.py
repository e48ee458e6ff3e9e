"""Sync throughput: the demo's initial load, and MERGE of a restated window into a large table."""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta

import pyarrow.compute as pc

from adops import warehouse
from adops.ingest import build_demo, sync
from benchmarks._workspace import synthetic_daily, workspace


def main() -> None:
    with workspace("2026-11-24"):
        t0 = time.perf_counter()
        demo = build_demo(days=400, seed=7)
        took = time.perf_counter() - t0
        print(
            f"   demo build (simulate + validate + write), 400 days, 14 accounts: {demo.rows:,} rows "
            f"in {took:.2f}s = {demo.rows / took:,.0f} rows/s end to end"
        )
    with workspace("2026-11-29"):
        build_demo(days=400, seed=7)
        import os

        os.environ["ADOPS_TODAY"] = "2026-12-04"
        t0 = time.perf_counter()
        result = sync()
        took = time.perf_counter() - t0
        print(
            f"   incremental sync after 5 days (lookback windows re-read, restated rows merged): "
            f"{result.rows:,} rows in {took:.2f}s = {result.rows / took:,.0f} rows/s end to end"
        )

    for base_rows in (1_000_000, 10_000_000):
        merge_window(base_rows)


def merge_window(base_rows: int, repeat: int = 3) -> None:
    """MERGE a restated 30-day window (every row's conversions changed) into `base_rows` rows, `repeat`
    times with new values each time; prints the median."""
    with workspace():
        table = synthetic_daily("ad_daily", base_rows)
        warehouse.commit({"ad_daily": table})
        cutoff = date(2026, 11, 24) - timedelta(days=29)
        window = table.filter(pc.greater_equal(table["date"], cutoff))
        column = window.schema.get_field_index("conversions")
        took = []
        for _ in range(repeat):
            window = window.set_column(column, "conversions", pc.add(window["conversions"], 1.0))
            t0 = time.perf_counter()
            warehouse.commit({"ad_daily": window})
            took.append(time.perf_counter() - t0)
        median = statistics.median(took)
        print(
            f"   MERGE of a restated 30-day window ({window.num_rows:,} rows) into {base_rows:,} rows of "
            f"ad_daily: median {median:.2f}s of {repeat} (min {min(took):.2f}s) = "
            f"{window.num_rows / median:,.0f} rows/s merged"
        )
