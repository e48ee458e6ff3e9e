"""Overview query latency over 1M and 10M rows of campaign_daily and ad_daily (warm, p50/p95)."""

from __future__ import annotations

import time
from datetime import date

from adops import warehouse
from adops.analytics import overview
from benchmarks._workspace import pct, synthetic_daily, timings, workspace

REPEAT = 40
END = date(2026, 11, 24)
LAST_28 = overview.Filters(date(2026, 10, 28), END)
LAST_YEAR = overview.Filters(date(2025, 11, 25), END)
TWO_PLATFORMS = overview.Filters(date(2026, 10, 28), END, platforms=("meta", "tiktok"))
QUERIES = {
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


def main() -> None:
    for rows in (1_000_000, 10_000_000):
        measure(rows)


def measure(rows: int) -> None:
    with workspace():
        warehouse.commit(
            {
                "campaign_daily": synthetic_daily("campaign_daily", rows, seed=2),
                "ad_daily": synthetic_daily("ad_daily", rows, seed=3),
            }
        )
        t0 = time.perf_counter()
        overview.date_bounds()
        cold = time.perf_counter() - t0
        print(
            f"   {rows:,} rows per table: first query (builds the account_daily rollup) {cold * 1000:,.0f} ms"
        )
        for name, fn in QUERIES.items():
            fn()  # warm
            times = timings(fn, REPEAT)
            print(f"     {name:32s} p50 {pct(times, 50):6.1f} ms   p95 {pct(times, 95):6.1f} ms")
