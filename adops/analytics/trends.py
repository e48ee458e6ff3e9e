"""Trend detection: which series really moved over a window, and which only wobbled.

Each series gets the Mann-Kendall test (as pymannkendall's `original_test` computes it: S, its
variance with the tie correction, the two-sided p of the normal approximation; here as array
operations over every series of one length at once, the same numbers, tested) and Sen's slope (the median of the pairwise
slopes, per period). Testing many series at once makes some look significant by chance, so the
p-values are adjusted with Benjamini-Hochberg (statsmodels' `multipletests`, `fdr_bh`) over every
series tested together: a trend is `real` when its adjusted p (`q_value`) is below alpha, else `noise`.

`mann_kendall` and `detect` are pure functions over numbers and frames; `trend_table` reads the
warehouse through `adops.analytics.breakdowns`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from adops.analytics import breakdowns
from adops.analytics.overview import Filters
from adops.errors import InputError

__all__ = [
    "MIN_POINTS",
    "Trend",
    "complete_periods",
    "detect",
    "mann_kendall",
    "mann_kendall_many",
    "trend_table",
]

#: fewer points than this give no trend (Mann-Kendall's normal approximation needs a few)
MIN_POINTS = 4
#: the most series tested at once (the largest entities by spend)
MAX_SERIES = 500


@dataclass(frozen=True)
class Trend:
    """Mann-Kendall with Sen's slope for one series."""

    n: int
    s: float  # Mann-Kendall S: concordant minus discordant pairs
    var_s: float
    z: float
    tau: float  # Kendall's tau
    p_value: float  # two-sided, before any correction
    slope: float  # Sen's slope, in the series' unit per period
    intercept: float


def mann_kendall(values: np.ndarray | list[float]) -> Trend:
    """The Mann-Kendall test and Sen's slope of `values` (in time order; NaNs dropped)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) < MIN_POINTS:
        raise InputError(f"a trend needs at least {MIN_POINTS} points, got {len(x)}")
    return mann_kendall_many(x[np.newaxis, :])[0]


def mann_kendall_many(rows: np.ndarray) -> list[Trend]:
    """`mann_kendall` of each row of a matrix (series of one length, no NaNs), as array operations:
    pymannkendall's `original_test` computes the same numbers one series at a time, in loops (50
    series of 28 days: 33 ms there). S counts the rising minus falling pairs, its variance takes out
    the ties, p is two-sided from the normal approximation with the continuity correction; Sen's
    slope is the median of the pairwise slopes and the intercept Conover's."""
    from scipy.stats import norm  # imported when used, as pymannkendall did

    x = np.asarray(rows, dtype=float)
    m, n = x.shape
    if n < MIN_POINTS:
        raise InputError(f"a trend needs at least {MIN_POINTS} points, got {n}")
    first, second = np.triu_indices(n, 1)
    pairs = x[:, second] - x[:, first]
    s = np.sign(pairs).sum(axis=1)
    var_s = np.full(m, n * (n - 1) * (2 * n + 5) / 18)
    for i in range(m):
        _, counts = np.unique(x[i], return_counts=True)
        if len(counts) < n:  # ties
            var_s[i] = (n * (n - 1) * (2 * n + 5) - np.sum(counts * (counts - 1) * (2 * counts + 5))) / 18
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, (s - 1) / np.sqrt(var_s), np.where(s < 0, (s + 1) / np.sqrt(var_s), 0.0))
    p = 2 * (1 - norm.cdf(np.abs(z)))
    slope = np.median(pairs / (second - first), axis=1)
    intercept = np.median(x, axis=1) - np.median(np.arange(n)) * slope
    tau = s / (0.5 * n * (n - 1))
    return [
        Trend(
            n=n,
            s=float(s[i]),
            var_s=float(var_s[i]),
            z=float(z[i]),
            tau=float(tau[i]),
            p_value=float(p[i]),
            slope=float(slope[i]),
            intercept=float(intercept[i]),
        )
        for i in range(m)
    ]


def detect(frame: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Test every series of a long frame (`series`, `period`, `value`) and correct for their number.

    Returns one row per series: `series, n, first, last, slope, slope_pct` (Sen's slope relative to
    the series' median, per period), `tau, p_value, q_value` (Benjamini-Hochberg), `direction`
    (`increasing`, `decreasing`, `flat`) and `verdict` (`real` when q < alpha, `noise` otherwise,
    `too short` under MIN_POINTS points). Real trends first, then by q.
    """
    from statsmodels.stats.multitest import multipletests

    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, got {alpha}")
    missing = {"series", "period", "value"} - set(frame.columns)
    if missing:
        raise InputError(f"the series frame lacks {', '.join(sorted(missing))}")
    rows = []
    by_length: dict[int, list[tuple[dict[str, object], np.ndarray]]] = {}  # tested together
    for name, group in frame.sort_values("period").groupby("series", sort=True):
        values = group["value"].to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        row: dict[str, object] = {
            "series": name,
            "n": len(values),
            "first": float(values[0]) if len(values) else math.nan,
            "last": float(values[-1]) if len(values) else math.nan,
        }
        rows.append(row)
        if len(values) >= MIN_POINTS:
            by_length.setdefault(len(values), []).append((row, values))
    for same in by_length.values():
        found = mann_kendall_many(np.vstack([values for _, values in same]))
        for (row, values), t in zip(same, found, strict=True):
            median = float(np.median(values))
            row.update(
                slope=t.slope,
                slope_pct=t.slope / abs(median) if median else math.nan,
                tau=t.tau,
                s=t.s,
                p_value=t.p_value,
            )
    columns = ["series", "n", "first", "last", "slope", "slope_pct", "tau", "s", "p_value", "q_value"]
    out = pd.DataFrame(rows).reindex(columns=columns).astype({c: float for c in columns[2:]})
    tested = out["p_value"].notna().to_numpy()
    verdict = np.full(len(out), "too short", dtype=object)
    if tested.any():
        reject, q, _, _ = multipletests(out.loc[tested, "p_value"].to_numpy(dtype=float), alpha, "fdr_bh")
        out.loc[tested, "q_value"] = q
        verdict[tested] = np.where(reject, "real", "noise")
    direction = np.select([out["slope"] > 0, out["slope"] < 0], ["increasing", "decreasing"], default="flat")
    out["direction"] = pd.Series(direction, index=out.index, dtype=object).where(tested, None)
    out["verdict"] = verdict
    order = out["verdict"].map({"real": 0, "noise": 1, "too short": 2})
    return (
        out.assign(_order=order)
        .sort_values(["_order", "q_value", "series"], na_position="last")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def trend_table(
    filters: Filters,
    level_name: str,
    grain: str,
    metric: str,
    top: int = 50,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Trends of `metric` at `grain` for the `top` largest entities of the level by spend over the period.

    A summed metric counts a period without rows as 0 (the entity spent nothing); a KPI has no value
    then and that period is left out. Adds `name`, `platform`, `entity_type`, `entity_id`.
    """
    if not 1 <= top <= MAX_SERIES:
        raise InputError(f"top must be between 1 and {MAX_SERIES}, got {top}")
    table = breakdowns.breakdown(filters, level_name).head(top)
    table = table[table["spend"] > 0]
    if table.empty:
        return detect(pd.DataFrame(columns=["series", "period", "value"]), alpha)
    keys = breakdowns.entity_keys(table, level_name)
    data = breakdowns.series(filters, level_name, grain, metric, keys)
    grid = complete_periods(filters.start, filters.end, grain)
    data = data[(data["entity"] != "Other")].assign(period=pd.to_datetime(data["period"]).dt.date)
    data = data[data["period"].isin(grid)]
    if metric in breakdowns.SUMMED:  # a period with no rows is a zero, over the whole window
        full = pd.MultiIndex.from_product([keys, grid], names=["entity", "period"])
        data = data.set_index(["entity", "period"])[metric].reindex(full, fill_value=0.0).reset_index()
    found = detect(data.rename(columns={"entity": "series", metric: "value"}), alpha)
    info = pd.DataFrame(
        {
            "series": keys,
            "name": table["name"].to_numpy(),
            "platform": table["platform"].to_numpy(),
            "account_id": table["account_id"].to_numpy() if "account_id" in table else None,
            "entity_type": table["entity_type"].to_numpy(),
            "entity_id": table["entity_id"].to_numpy(),
        }
    )
    return info.merge(found, on="series", how="right")


def complete_periods(start: date, end: date, grain: str) -> list[date]:
    """The first days of the periods at `grain` that lie wholly within [start, end]: a partial week
    or month sums fewer days and would read as a drop."""
    if grain == "day":
        return [d.date() for d in pd.date_range(start, end, freq="D")]
    if grain == "week":
        first = start + timedelta(days=(7 - start.weekday()) % 7)
        return [d.date() for d in pd.date_range(first, end, freq="7D") if d.date() + timedelta(days=6) <= end]
    if grain == "month":
        first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        months = [d.date() for d in pd.date_range(first, end, freq="MS")]
        return [m for m in months if (pd.Timestamp(m) + pd.offsets.MonthEnd(0)).date() <= end]
    raise InputError(f"unknown grain {grain!r}: use one of {', '.join(breakdowns.GRAINS)}")
