"""The Cross-platform analysis page's queries at N rows of ad_daily, against the same aggregates written by
hand in DuckDB on the same Parquet files; and creative-fatigue precision and recall on sandbox truth.

`make bench` runs 1M rows; the 10M figure in docs/benchmarks.md comes from
`python -m benchmarks.bench_analysis --rows 10000000`.

Each query runs warm (its first run loads the recent window, `adops.analytics.recent`, and fills the
per-snapshot results) `REPEAT` times; p50 and p95 in ms of wall time, and the median CPU time of the
process (all DuckDB threads), which a loaded machine inflates far less than wall time. The
hand-written query reads the Delta table's files with `read_parquet` on a plain DuckDB connection, as
someone would without the warehouse module; for the queries the window serves, the same aggregate
written by hand on the window's tables is printed too (the second floor).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable

from adops import warehouse
from adops.analytics import breakdowns, cohorts, fatigue, memo, overview, recent, trends
from adops.analytics.overview import Filters
from adops.warehouse import delta
from adops.warehouse.tables import TABLES
from benchmarks._workspace import pct, synthetic_daily, timings, workspace

REPEAT = 30
END = date(2026, 11, 24)
LAST_28 = Filters(END - timedelta(days=27), END)
PREVIOUS_START = LAST_28.previous.start
SUMS = """sum(impressions) AS impressions, sum(clicks) AS clicks, sum(spend_reporting) AS spend,
          sum(conversions) AS conversions, sum(conversion_value_reporting) AS conversion_value"""
NOW_AND_BEFORE = f"""
    sum(spend_reporting) FILTER (WHERE date >= DATE '{LAST_28.start}') AS spend,
    sum(conversion_value_reporting) FILTER (WHERE date >= DATE '{LAST_28.start}') AS value,
    sum(impressions) FILTER (WHERE date >= DATE '{LAST_28.start}') AS impressions,
    sum(clicks) FILTER (WHERE date >= DATE '{LAST_28.start}') AS clicks,
    sum(conversions) FILTER (WHERE date >= DATE '{LAST_28.start}') AS conversions,
    sum(spend_reporting) FILTER (WHERE date < DATE '{LAST_28.start}') AS spend_prev,
    sum(conversion_value_reporting) FILTER (WHERE date < DATE '{LAST_28.start}') AS value_prev,
    sum(impressions) FILTER (WHERE date < DATE '{LAST_28.start}') AS impressions_prev,
    sum(clicks) FILTER (WHERE date < DATE '{LAST_28.start}') AS clicks_prev,
    sum(conversions) FILTER (WHERE date < DATE '{LAST_28.start}') AS conversions_prev"""
BOTH_PERIODS = f"date BETWEEN DATE '{PREVIOUS_START}' AND DATE '{END}'"
LAST_WEEK = f"date BETWEEN DATE '{END - timedelta(days=6)}' AND DATE '{END}'"
# page query -> (the analysis call, the same aggregate by hand over the files)
QUERIES: dict[str, tuple[Callable[[], object], str]] = {
    "date bounds": (overview.date_bounds, "SELECT min(date), max(date) FROM campaign_daily"),
    "KPI tiles (2 periods)": (
        lambda: breakdowns.tiles(LAST_28),
        f"SELECT platform, {NOW_AND_BEFORE} FROM campaign_daily WHERE {BOTH_PERIODS} GROUP BY ALL",
    ),
    "breakdown: account": (
        lambda: breakdowns.breakdown(LAST_28, "account"),
        f"SELECT platform, account_id, {NOW_AND_BEFORE} FROM campaign_daily WHERE {BOTH_PERIODS} GROUP BY ALL",
    ),
    "breakdown: campaign": (
        lambda: breakdowns.breakdown(LAST_28, "campaign"),
        f"SELECT platform, account_id, campaign_id, {NOW_AND_BEFORE} FROM campaign_daily "
        f"WHERE {BOTH_PERIODS} GROUP BY ALL",
    ),
    "breakdown: ad group": (
        lambda: breakdowns.breakdown(LAST_28, "ad_group"),
        f"SELECT platform, account_id, campaign_id, ad_group_id, {NOW_AND_BEFORE} FROM ad_daily "
        f"WHERE {BOTH_PERIODS} GROUP BY ALL",
    ),
    "breakdown: creative": (
        lambda: breakdowns.breakdown(LAST_28, "creative"),
        f"SELECT platform, account_id, campaign_id, ad_group_id, ad_id, {NOW_AND_BEFORE} FROM ad_daily "
        f"WHERE {BOTH_PERIODS} GROUP BY ALL",
    ),
    "series: platform by day": (
        lambda: breakdowns.series(LAST_28, "platform", "day", "roas"),
        f"SELECT date, platform, {SUMS} FROM campaign_daily WHERE date >= DATE '{LAST_28.start}' GROUP BY ALL",
    ),
    "series: top creatives by week": (
        lambda: breakdowns.series(LAST_28, "creative", "week", "spend", [f"x{i}" for i in range(8)]),
        f"SELECT date_trunc('week', date), CASE WHEN ad_id IN ('x0', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7') THEN ad_id ELSE 'Other' END, {SUMS} "
        f"FROM ad_daily WHERE date >= DATE '{LAST_28.start}' GROUP BY ALL",
    ),
    "trends: 50 campaigns by day": (
        lambda: trends.trend_table(LAST_28, "campaign", "day", "spend", top=50),
        f"SELECT date, campaign_id, {SUMS} FROM campaign_daily WHERE date >= DATE '{LAST_28.start}' GROUP BY ALL",
    ),
    "cohorts: 12 months": (
        lambda: cohorts.cohort_curves(LAST_28, END.replace(year=END.year - 1)),
        """WITH l AS (SELECT platform, account_id, campaign_id, min(date) AS launch FROM campaign_daily
                      WHERE spend > 0 GROUP BY ALL)
           SELECT date_trunc('month', launch), c.date - l.launch AS age, sum(spend_reporting)
           FROM campaign_daily c JOIN l USING (platform, account_id, campaign_id)
           WHERE l.launch >= DATE '2025-11-24' GROUP BY ALL""",
    ),
    "fatigue: judge the ads": (
        lambda: fatigue.detect(LAST_28, fatigue.Thresholds()),
        f"""WITH f AS (SELECT platform, account_id, ad_id, min(date) AS first_day FROM ad_daily
                       WHERE impressions > 0 GROUP BY ALL),
                 first AS (SELECT a.platform, a.account_id, a.ad_id, sum(impressions) i, sum(clicks) c
                           FROM ad_daily a JOIN f USING (platform, account_id, ad_id)
                           WHERE a.date < f.first_day + 7 GROUP BY ALL),
                 last AS (SELECT platform, account_id, ad_id, sum(impressions) i, sum(clicks) c
                          FROM ad_daily WHERE {LAST_WEEK} GROUP BY ALL)
            SELECT * FROM last JOIN first USING (platform, account_id, ad_id)""",
    ),
    "fatigue: CTR by age": (
        lambda: fatigue.ctr_by_age(LAST_28),
        f"""WITH f AS (SELECT platform, account_id, ad_id, min(date) AS first_day FROM ad_daily
                       WHERE impressions > 0 GROUP BY ALL)
            SELECT platform, (date - first_day) // 7, sum(impressions), sum(clicks), count(DISTINCT ad_id)
            FROM ad_daily a JOIN f USING (platform, account_id, ad_id)
            WHERE a.date >= DATE '{LAST_28.start}' GROUP BY ALL""",
    ),
}

_W_SUMS = """sum(impressions), sum(clicks), sum(spend_reporting), sum(conversions),
             sum(conversion_value_reporting)"""
_W_BOTH = f"""sum(spend_reporting) FILTER (WHERE date >= DATE '{LAST_28.start}'),
    sum(impressions) FILTER (WHERE date >= DATE '{LAST_28.start}'),
    sum(clicks) FILTER (WHERE date >= DATE '{LAST_28.start}'),
    sum(conversions) FILTER (WHERE date >= DATE '{LAST_28.start}'),
    sum(conversion_value_reporting) FILTER (WHERE date >= DATE '{LAST_28.start}'),
    sum(spend_reporting) FILTER (WHERE date < DATE '{LAST_28.start}'),
    sum(impressions) FILTER (WHERE date < DATE '{LAST_28.start}'),
    sum(clicks) FILTER (WHERE date < DATE '{LAST_28.start}'),
    sum(conversions) FILTER (WHERE date < DATE '{LAST_28.start}'),
    sum(conversion_value_reporting) FILTER (WHERE date < DATE '{LAST_28.start}')"""
#: page query -> the same aggregate written by hand on the recent window's tables (the second floor)
WINDOW_FLOORS: dict[str, str] = {
    "breakdown: campaign": f"SELECT k, {_W_BOTH} FROM recent_campaign_daily WHERE {BOTH_PERIODS} GROUP BY k",
    "breakdown: ad group": f"""WITH s AS (SELECT k, {_W_BOTH} FROM recent_ad_daily WHERE {BOTH_PERIODS}
                                          GROUP BY k)
        SELECT n.platform, n.account_id, n.campaign_id, n.ad_group_id, sum(COLUMNS(s.* EXCLUDE (k)))
        FROM s JOIN recent_ad_daily_keys n ON s.k = n.k GROUP BY ALL""",
    "breakdown: creative": f"SELECT k, {_W_BOTH} FROM recent_ad_daily WHERE {BOTH_PERIODS} GROUP BY k",
    "series: top creatives by week": f"""SELECT date_trunc('week', date), CASE WHEN n.ad_id IN ('x0', 'x1', 'x2',
        'x3', 'x4', 'x5', 'x6', 'x7') THEN n.ad_id ELSE 'Other' END, {_W_SUMS}
        FROM recent_ad_daily a JOIN recent_ad_daily_keys n ON a.k = n.k
        WHERE date >= DATE '{LAST_28.start}' GROUP BY ALL""",
    "trends: 50 campaigns by day": f"""SELECT date, k, {_W_SUMS} FROM recent_campaign_daily
        WHERE date >= DATE '{LAST_28.start}' AND k IN (SELECT k FROM recent_campaign_daily_keys LIMIT 50)
        GROUP BY ALL""",
    "fatigue: judge the ads": f"""SELECT k, sum(impressions), sum(clicks) FROM recent_ad_daily
        WHERE {LAST_WEEK} AND impressions > 0 GROUP BY k""",
    "fatigue: CTR by age": f"""SELECT k, date_trunc('week', date), sum(impressions), sum(clicks), count(*)
        FROM recent_ad_daily WHERE date >= DATE '{LAST_28.start}' AND impressions > 0 GROUP BY ALL""",
}


def main(rows: int = 1_000_000) -> None:
    measure(rows)
    fatigue_accuracy()


def measure(rows: int) -> None:
    with workspace():
        t0 = time.perf_counter()
        fill(rows)
        print(f"   {rows:,} rows of ad_daily ({time.perf_counter() - t0:.0f} s to write)")
        time_queries()


def time_queries() -> None:
    """Every page query against its hand-written twin, on the workspace's current warehouse."""
    recent.clear()
    t0, c0 = time.perf_counter(), time.process_time()
    recent.recent()
    print(
        f"     recent window ({recent.RECENT_DAYS} days of ad_daily and campaign_daily into memory), once per "
        f"snapshot: {time.perf_counter() - t0:,.2f} s wall, {time.process_time() - c0:,.2f} s CPU "
        f"(load {os.getloadavg()[0]:.1f})"
    )
    t0 = time.perf_counter()
    for call, _ in QUERIES.values():
        call()
    print(
        f"     first run of every other query after a sync (file footers, per-snapshot results): "
        f"{time.perf_counter() - t0:,.2f} s"
    )
    memo.clear()
    t0 = time.perf_counter()
    fatigue.first_windows(7)
    cohorts.launches()
    print(
        f"     of which the per-snapshot first days and launches: {(time.perf_counter() - t0) * 1000:,.0f} ms"
    )
    by_hand = hand_connection()
    window = recent.recent().con
    print(
        f"     {'query':32s} {'ours p50':>9s} {'p95':>7s} {'cpu':>6s}   {'by hand p50':>11s} {'p95':>7s} "
        f"{'cpu':>6s}   ratio p95   {'on window p50':>13s} {'p95':>7s}   load"
    )
    for name, (call, sql) in QUERIES.items():
        ours, ours_cpu = cpu_timings(call, REPEAT)
        by_hand.execute(sql).fetchall()
        hand, hand_cpu = cpu_timings(lambda sql=sql: by_hand.execute(sql).fetchall(), max(5, REPEAT // 3))
        floor = ""
        if name in WINDOW_FLOORS:
            cur = window.cursor()
            cur.execute(WINDOW_FLOORS[name]).fetchall()
            w = timings(
                lambda cur=cur, sql=WINDOW_FLOORS[name]: cur.execute(sql).fetchall(), max(5, REPEAT // 3)
            )
            cur.close()
            floor = f"{pct(w, 50):11.1f}ms {pct(w, 95):6.1f}ms"
        print(
            f"     {name:32s} {pct(ours, 50):7.1f}ms {pct(ours, 95):6.1f}ms {pct(ours_cpu, 50):5.0f}ms   "
            f"{pct(hand, 50):9.1f}ms {pct(hand, 95):6.1f}ms {pct(hand_cpu, 50):5.0f}ms   "
            f"{pct(ours, 95) / pct(hand, 95):6.2f}x   {floor:>22s}   {os.getloadavg()[0]:.1f}"
        )


def cpu_timings(fn: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds (this process, all threads) of each of `repeat` calls."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def fill(rows: int) -> None:
    """ad_daily and campaign_daily (a fifth of the rows) with their accounts, campaigns and ads."""
    ads = synthetic_daily("ad_daily", rows, seed=3)
    camps = synthetic_daily("campaign_daily", rows // 5, seed=2)
    # campaigns launch on different days (a cohort needs launches inside the history)
    number = pc.cast(pc.utf8_slice_codeunits(camps.column("campaign_id"), 1), pa.int64()).to_numpy()
    launch = np.datetime64(END) - 729 + (number * 7919) % 700
    camps = camps.filter(pa.array(camps.column("date").to_numpy() >= launch))
    ad_ids = pc.unique(ads.column("ad_id")).to_pylist()
    dims = pd.DataFrame({"ad_id": ad_ids})
    entity = dims["ad_id"].str[1:].astype(int)
    dims = dims.assign(
        platform=np.array(["google_ads", "meta", "pinterest", "linkedin", "tiktok", "microsoft_ads"])[
            (entity % 14) % 6
        ],
        account_id="acc" + (entity % 14).astype(str),
        campaign_id="c" + (entity // 6).astype(str),
        ad_group_id="g" + (entity // 3).astype(str),
        ad_group_name="Group " + (entity // 3).astype(str),
        ad_name="Ad " + dims["ad_id"],
        status="ENABLED",
        creative_type="image",
        headline="",
        landing_url="",
        synced_at=pd.Timestamp("2026-11-24", tz="UTC"),
    )
    dims = dims.assign(**{c: None for c in TABLES["ads"].optional})  # columns added since: not reported
    warehouse.commit({"ad_daily": ads, "campaign_daily": camps, "ads": dims[TABLES["ads"].columns]})


def hand_connection() -> duckdb.DuckDBPyConnection:
    """A plain DuckDB connection with views over the Delta tables' Parquet files."""
    con = duckdb.connect()
    for name in ("ad_daily", "campaign_daily"):
        files = DeltaTable(str(delta.root() / name)).file_uris()
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({files!r})")
    return con


def fatigue_accuracy(seeds: tuple[int, ...] = (7, 11, 23)) -> None:
    """Precision and recall of the fatigue rule against the simulator's true CTR (no noise, no season),
    on 180-day sandbox workspaces, as of their last complete day."""
    from adops.connectors.sandbox.connector import load_world
    from adops.ingest import build_demo

    end = date(2026, 11, 23)
    rule = fatigue.Thresholds()
    tp = fp = fn = tn = 0
    for seed in seeds:
        with workspace():
            build_demo(days=180, seed=seed, campaigns_per_account=(6, 12))
            world = load_world()
            judged = fatigue.detect(Filters(end - timedelta(days=27), end), rule)
            judged = judged[judged["status"].isin(["fatigued", "healthy"])]
            for ad in judged.itertuples():
                first = [ad.first_day + timedelta(days=i) for i in range(rule.window_days)]
                last = [end - timedelta(days=i) for i in range(rule.window_days)]
                ratio = (
                    world.true_ctr(ad.account_id, ad.ad_id, last).mean()
                    / world.true_ctr(ad.account_id, ad.ad_id, first).mean()
                )
                truth, found = ratio <= 1 - rule.min_drop, ad.status == "fatigued"
                tp, fp = tp + (truth and found), fp + (found and not truth)
                fn, tn = fn + (truth and not found), tn + (not truth and not found)
    print(
        f"   fatigue, seeds {', '.join(map(str, seeds))} (180 days, {tp + fp + fn + tn:,} ads judged, "
        f"{tp + fn} truly fatigued): precision {tp / max(tp + fp, 1):.3f}, recall {tp / max(tp + fn, 1):.3f} "
        f"(tp {tp}, fp {fp}, fn {fn}, tn {tn})"
    )


def page_reruns(reruns: int = 10) -> None:
    """The analysis page on a demo workspace (AppTest): its first run, warm reruns, and a rerun at the
    creative level right after a sync-like commit (the window loaded again, the caches missed)."""
    from pathlib import Path

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from adops.ingest import build_demo

    page = str(Path(__file__).resolve().parents[1] / "pages" / "analysis.py")
    with workspace():
        build_demo(days=120, seed=7)
        at = AppTest.from_file(page, default_timeout=300)
        t0 = time.perf_counter()
        at.run()
        first = time.perf_counter() - t0
        warm = timings(at.run, reruns)
        at.selectbox(key="analysis-level").set_value("creative")
        at.run()
        creative = timings(at.run, reruns)
        after_commit, after_cpu, window_cpu = [], [], []
        for _ in range(3):
            rows = warehouse.query("SELECT * FROM ad_daily WHERE date = (SELECT max(date) FROM ad_daily)")
            warehouse.commit({"ad_daily": rows.assign(clicks=rows.clicks + 1)})  # a new snapshot
            t0, c0 = time.perf_counter(), time.process_time()
            at.run()
            after_commit.append(time.perf_counter() - t0)
            after_cpu.append(time.process_time() - c0)
            c0 = time.process_time()
            recent.load(warehouse.snapshot())
            window_cpu.append(time.process_time() - c0)
        assert not at.exception, at.exception
        st.cache_data.clear()
        print(
            f"   analysis page (AppTest, demo workspace, 120 days): first run {first:.2f} s; rerun p50 "
            f"{pct(warm, 50):.0f} ms, p95 {pct(warm, 95):.0f} ms; creative level p50 {pct(creative, 50):.0f} ms, "
            f"p95 {pct(creative, 95):.0f} ms; right after a commit (window and caches cold) "
            f"{', '.join(f'{t * 1000:.0f}' for t in after_commit)} ms, CPU "
            f"{', '.join(f'{t * 1000:.0f}' for t in after_cpu)} ms (of which the window's load "
            f"{pct(window_cpu, 50):.0f} ms CPU) (load {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of ad_daily (default 1,000,000)")
    parser.add_argument("--no-fatigue", action="store_true", help="skip the precision and recall run")
    parser.add_argument("--page", action="store_true", help="also time the analysis page's reruns (AppTest)")
    args = parser.parse_args()
    measure(args.rows)
    if args.page:
        page_reruns()
    if not args.no_fatigue:
        fatigue_accuracy()
