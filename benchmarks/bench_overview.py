"""Overview query latency over 1M and 10M rows of campaign_daily and ad_daily, beside its floors.

First query after a sync: a commit publishes a new snapshot, then the Overview's queries run once
(the reader connection and its views are opened for the new snapshot). Floor: the same SQL on a
fresh DuckDB reading the snapshot's Parquet files directly: over campaign_daily's files (no
rollup: what DuckDB alone does) and over the stored account_daily rollup's files.
Warm: p50/p95 of each query, against the same SQL on a DuckDB connection already open over the
same rollup files.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import duckdb
import pyarrow.compute as pc
from deltalake import DeltaTable

from adops import warehouse
from adops.analytics import overview
from adops.warehouse import delta
from benchmarks._floor import line, load
from benchmarks._workspace import pct, synthetic_daily, timings, workspace

REPEAT = 40
FIRST_RUNS = 3
END = date(2026, 11, 24)
LAST_28 = overview.Filters(date(2026, 10, 28), END)
LAST_YEAR = overview.Filters(date(2025, 11, 25), END)
TWO_PLATFORMS = overview.Filters(date(2026, 10, 28), END, platforms=("meta", "tiktok"))
QUERIES: dict[str, Callable[[], object]] = {
    "date bounds": overview.date_bounds,
    "KPI tiles (2 periods)": lambda: overview.tiles(LAST_28),
    "daily by platform, 28 days": lambda: overview.daily_by_platform(LAST_28),
    "daily by platform, 1 year": lambda: overview.daily_by_platform(LAST_YEAR),
    "platform table": lambda: overview.by_platform(LAST_28),
    "platform table, 2 platforms": lambda: overview.by_platform(TWO_PLATFORMS),
    "ad_daily top ads, 28 days": lambda: warehouse.query(
        "SELECT ad_id, sum(spend) s FROM ad_daily WHERE date >= ? GROUP BY 1 ORDER BY s DESC LIMIT 20",
        [date(2026, 10, 28)],
    ),
}
ROLLUP_SQL = warehouse.ROLLUPS["account_daily"][1]
#: what a first visit of the Overview runs
FIRST_VISIT = ["date bounds", "KPI tiles (2 periods)", "daily by platform, 28 days", "platform table"]


def main() -> None:
    for rows in (1_000_000, 10_000_000):
        measure(rows)


def recorded(fn: Callable[[], object]) -> list[tuple[str, Any]]:
    """The (sql, params) a project call sends to warehouse.query: the floor runs exactly these."""
    calls: list[tuple[str, Any]] = []

    def spy(sql: str, params: Any = None, **kw: Any) -> Any:
        calls.append((sql, params))
        return delta.query(sql, params, **kw)

    warehouse.query = spy  # type: ignore[assignment]
    try:
        fn()
    finally:
        warehouse.query = delta.query  # type: ignore[assignment]
    return calls


def floor_connection(sources: dict[str, list[str]]) -> duckdb.DuckDBPyConnection:
    """A bare DuckDB with one view per table straight over its Parquet files."""
    con = duckdb.connect()
    con.execute("SET parquet_metadata_cache = true")
    for name, paths in sources.items():
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in paths)
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{listed}])")
    return con


def run_floor(con: duckdb.DuckDBPyConnection, calls: list[tuple[str, Any]]) -> None:
    for sql, params in calls:
        con.execute(sql, params).df()


def files(name: str, version: int) -> list[str]:
    return list(DeltaTable(str(delta.root() / name), version=version).file_uris())


def measure(rows: int) -> None:
    with workspace():
        campaign = synthetic_daily("campaign_daily", rows, seed=2)
        warehouse.commit({"campaign_daily": campaign, "ad_daily": synthetic_daily("ad_daily", rows, seed=3)})
        print(f"   {rows:,} rows per table ({load()})")
        calls = {name: recorded(fn) for name, fn in QUERIES.items()}
        first_calls = [c for name in FIRST_VISIT for c in calls[name]]
        last_day = campaign.filter(pc.equal(campaign["date"], END))
        spend = last_day.schema.get_field_index("spend")
        project, floor_base, floor_rollup = [], [], []
        for run in range(FIRST_RUNS):
            # a sync restating the last day: a new snapshot, so the next query is a first one
            warehouse.commit(
                {"campaign_daily": last_day.set_column(spend, "spend", pc.add(last_day["spend"], run + 1.0))}
            )
            t0 = time.perf_counter()
            for name in FIRST_VISIT:
                QUERIES[name]()
            project.append(time.perf_counter() - t0)
            snap = warehouse.snapshot()
            base = files("campaign_daily", snap.versions["campaign_daily"])
            rollup = files("account_daily", snap.rollups["account_daily"])
            t0 = time.perf_counter()
            con = floor_connection({"campaign_daily": base})  # the rollup's SUM straight from the base
            con.execute(f"CREATE VIEW account_daily AS {ROLLUP_SQL.format(source='campaign_daily')}")
            run_floor(con, first_calls)
            floor_base.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            run_floor(floor_connection({"account_daily": rollup}), first_calls)
            floor_rollup.append(time.perf_counter() - t0)
        p, fb, fr = (statistics.median(x) * 1000 for x in (project, floor_base, floor_rollup))
        print(f"     first Overview visit after a sync ({len(first_calls)} queries), median of {FIRST_RUNS}")
        print(
            line(f"project (min {min(project) * 1000:.0f} ms)", p, fb) + "  (floor: DuckDB on campaign_daily)"
        )
        print(line(f"project (min {min(project) * 1000:.0f} ms)", p, fr) + "  (floor: DuckDB on the rollup)")
        snap = warehouse.snapshot()
        warm = floor_connection(
            {
                "account_daily": files("account_daily", snap.rollups["account_daily"]),
                "ad_daily": files("ad_daily", snap.versions["ad_daily"]),
            }
        )
        print(f"     warm p50 of {REPEAT} runs; floor: the same SQL on an open DuckDB over the same files")
        for name, fn in QUERIES.items():
            fn()  # warm
            times = timings(fn, REPEAT)
            run_floor(warm, calls[name])
            floor = timings(lambda c=calls[name]: run_floor(warm, c), REPEAT)  # type: ignore[misc]
            print(line(name, pct(times, 50), pct(floor, 50)) + f"   (p95 {pct(times, 95):.1f} ms)")
