"""A/B readouts against their floor: 50 experiments read out warm, beside one DuckDB query for all of
them and the tests in numpy.

Workspace: the demo (400 days, seed 7) and 50 running ad-level experiments (control ad vs treatment
ad of the same campaign, the busiest pairs of the last 35 days; primary metric CVR, guardrails CTR
and CPA). Project: `results.readouts` of all 50 (what the `experiments.decide` job reads after a
sync), and 50 single `results.readout` calls (the A/B page reading them one by one). Floor: one
DuckDB query over ad_daily's Parquet files for every variant and day of the 50 experiments, then in
numpy per experiment: the sample-ratio test over days (chi-square of the totals divided by the
days' over-dispersion, as the project's `srm_daily`), the primary metric's two-proportion test and
its lift over time (cumulative, every day) with the sequential interval and the Bayesian chance to
win of every day (closed forms the project also computes for each day), and the guardrails' tests
(CTR as a proportion, CPA by the delta method over days). The floor skips what only the project
computes: the guardrails' sequential and Bayesian figures, Holm, power (power now and at the end,
the detectable lift, days to significance) and the decision; and it builds no frames.

Medians of RUNS passes, wall and CPU seconds (`time.process_time`, all threads): under load the
wall figures swing, the CPU ones much less.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import duckdb
import numpy as np
import pyarrow as pa
from scipy import stats

from adops import clock, warehouse
from adops.experiments import results
from adops.experiments import store as experiments
from adops.ingest import build_demo
from adops.warehouse import delta
from benchmarks._floor import line, load
from benchmarks._workspace import workspace

EXPERIMENTS = 50
RUNS = 9


def main() -> None:
    print(f"   ({load()})")
    with workspace("2026-11-24"):
        t0 = time.perf_counter()
        build_demo(days=400, seed=7)
        records = plant(EXPERIMENTS)
        print(f"   demo workspace and {len(records)} experiments in {time.perf_counter() - t0:.1f}s")
        ids = [r.id for r in records]
        results.readouts(ids)  # warm: the reader connection and the files' footers are open
        for r in ids:
            results.readout(r)
        batched, batched_cpu = _times(lambda: results.readouts(ids))
        single, single_cpu = _times(lambda: [results.readout(r) for r in ids])
        files = delta._files(
            delta._uri("ad_daily"), delta.snapshot().pinned["ad_daily"], delta.snapshot().token
        )[0]
        con = duckdb.connect()
        floor(con, files, records)  # warm: footers read once, as the project's reader keeps them
        floors, floors_cpu = _times(lambda: floor(con, files, records))
        con.close()
    f, f_cpu = statistics.median(floors) * 1000, statistics.median(floors_cpu) * 1000
    print(f"   {EXPERIMENTS} readouts warm, median of {RUNS} ({load()})")
    print(
        line(f"{EXPERIMENTS} readouts, one batch", statistics.median(batched) * 1000, f)
        + "  (floor: one DuckDB query + numpy)"
    )
    print(line("   the same in CPU time", statistics.median(batched_cpu) * 1000, f_cpu))
    print(line(f"{EXPERIMENTS} readouts, one by one", statistics.median(single) * 1000, f))
    print(line("   the same in CPU time", statistics.median(single_cpu) * 1000, f_cpu))


def _times(fn: object) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of RUNS calls."""
    wall, cpu = [], []
    for _ in range(RUNS):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def plant(n: int) -> list[experiments.ExperimentRecord]:
    """`n` running experiments on the busiest pairs of ads that share a campaign (last 35 days)."""
    today = clock.today()
    start = today - timedelta(days=35)
    busiest = warehouse.query(
        """SELECT platform, account_id, campaign_id, ad_id, sum(clicks) AS clicks FROM ad_daily
           WHERE date >= ? GROUP BY platform, account_id, campaign_id, ad_id
           QUALIFY row_number() OVER (PARTITION BY campaign_id ORDER BY sum(clicks) DESC, ad_id) <= 2
           ORDER BY campaign_id, clicks DESC""",
        [start],
    )
    pairs = [g for _, g in busiest.groupby("campaign_id", sort=True) if len(g) == 2]
    pairs.sort(key=lambda g: (-g["clicks"].min(), g["campaign_id"].iloc[0]))
    out = []
    for i, pair in enumerate(pairs[:n]):
        (a, b) = pair.itertuples(index=False)
        out.append(
            experiments.create(
                f"bench test {i + 1}",
                [
                    experiments.Variant("control", a.platform, a.account_id, "ad", a.ad_id, 0.5),
                    experiments.Variant("treatment", b.platform, b.account_id, "ad", b.ad_id, 0.5),
                ],
                start=start,
                end=today + timedelta(days=21),
                primary_metric="cvr",
                guardrail_metrics=("ctr", "cpa"),
                mde=0.10,
                actor="bench",
            )
        )
    return out


def floor(con: duckdb.DuckDBPyConnection, files: tuple[str, ...], records: list) -> list[dict]:
    """One DuckDB query for every variant-day of all experiments, then the tests in numpy."""
    today = clock.today()
    plan = pa.table(
        {
            "experiment": [r.id for r in records for _ in r.variants],
            "variant": [i for r in records for i, _ in enumerate(r.variants)],
            "platform": [v.platform for r in records for v in r.variants],
            "account_id": [v.account_id for r in records for v in r.variants],
            "ad_id": [v.entity_id for r in records for v in r.variants],
            "since": [r.start_date for r in records for _ in r.variants],
            "until": [min(r.end_date or today, today) for r in records for _ in r.variants],
        }
    )
    con.register("plan", plan)
    scan = f"read_parquet([{', '.join(repr(f) for f in files)}])"
    rows = con.execute(
        f"""SELECT p.experiment, p.variant, d.date, sum(d.impressions)::DOUBLE AS impressions,
                   sum(d.clicks)::DOUBLE AS clicks, sum(d.conversions)::DOUBLE AS conversions,
                   sum(d.spend)::DOUBLE AS spend
            FROM {scan} d JOIN plan p ON d.platform = p.platform AND d.account_id = p.account_id
                 AND d.ad_id = p.ad_id AND d.date BETWEEN p.since AND p.until
            GROUP BY ALL ORDER BY p.experiment, d.date, p.variant"""
    ).fetchnumpy()
    con.unregister("plan")
    out = []
    experiment = rows["experiment"]
    bounds = np.flatnonzero(np.diff(experiment)) + 1
    for part in np.split(np.arange(len(experiment)), bounds):
        v = rows["variant"][part]
        c, t = part[v == 0], part[v == 1]
        days = min(len(c), len(t))
        c, t = c[:days], t[:days]
        clicks = np.stack([rows["clicks"][c], rows["clicks"][t]])
        conv = np.stack([rows["conversions"][c], rows["conversions"][t]])
        impressions = np.stack([rows["impressions"][c], rows["impressions"][t]])
        spend = np.stack([rows["spend"][c], rows["spend"][t]])
        n, s = np.cumsum(clicks, axis=1), np.cumsum(conv, axis=1)
        lift, low, high, p, *_ = _proportions(n, s)  # the lift over time: every day at once
        srm = _srm_daily(clicks)
        ctr = _proportions(impressions.sum(axis=1, keepdims=True), clicks.sum(axis=1, keepdims=True))
        cpa = _ratio(spend, conv)
        out.append(
            {"lift": lift[-1], "ci": (low[-1], high[-1]), "p": p[-1], "srm": srm, "ctr": ctr, "cpa": cpa}
        )
    return out


def _proportions(n: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, ...]:
    """Two-proportion z tests of treatment (row 1) against control (row 0), column by column, with
    the sequential interval (the mixture confidence sequence at tuning 5000) and the chance to win
    under a flat prior: (lift, low, high, p, sequential low, sequential high, chance to win)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = s / n
        lift = rate[1] / rate[0] - 1
        var = rate * (1 - rate) / n
        se = np.sqrt(var[1] / rate[0] ** 2 + rate[1] ** 2 * var[0] / rate[0] ** 4)
        z = stats.norm.ppf(0.975)
        p = 2 * stats.norm.sf(np.abs(lift / se))
        total = n.sum(axis=0)
        rho2 = (-2 * np.log(0.05) + np.log(-2 * np.log(0.05) + 1)) / 5000
        seq = se * np.sqrt(2 * (total * rho2 + 1) * np.log(np.sqrt(total * rho2 + 1) / 0.05) / (total * rho2))
        chance = stats.norm.cdf(lift / se)
    return lift, lift - z * se, lift + z * se, p, lift - seq, lift + seq, chance


def _srm_daily(units: np.ndarray) -> float:
    """Sample-ratio p-value of a 50/50 split over days: the totals' chi-square divided by the days'
    over-dispersion (when above 1), as an F test."""
    days = units[:, units.sum(axis=0) > 0]
    totals = days.sum(axis=1)
    chi2 = ((totals - totals.sum() / 2) ** 2 / (totals.sum() / 2)).sum()
    df = days.shape[1] - 1
    if df < 2:
        return float(stats.chi2.sf(chi2, 1))
    shares = totals / totals.sum()
    n = days.sum(axis=0)
    dispersion = (((days - n * shares[:, None]) ** 2) / (n * shares[:, None])).sum() / df
    if dispersion <= 1:
        return float(stats.chi2.sf(chi2, 1))
    return float(stats.f.sf(chi2 / dispersion, 1, df))


def _ratio(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """The ratio of sums per variant by the delta method over days; the treatment's lift and p."""
    days = num.shape[1]
    mx, my = num.mean(axis=1), den.mean(axis=1)
    vx, vy = num.var(axis=1, ddof=1), den.var(axis=1, ddof=1)
    cov = np.array([np.cov(num[i], den[i])[0, 1] for i in range(2)])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = mx / my
        var = (vx / my**2 - 2 * mx * cov / my**3 + mx**2 * vy / my**4) / days
        lift = ratio[1] / ratio[0] - 1
        se = np.sqrt(var[1] / ratio[0] ** 2 + ratio[1] ** 2 * var[0] / ratio[0] ** 4)
    return float(lift), float(2 * stats.norm.sf(abs(lift / se)))


if __name__ == "__main__":
    main()
