"""Anomalies in daily ad metrics: spikes, drops and tracking outages, each with what was expected.

Three rules look at every day of a series, all on numbers only (no I/O in here):

1. **Seasonal decomposition.** A robust weekly STL (statsmodels) of log(1 + y) gives the expected
   value (trend + weekly season) and a residual; the residual's robust z-score (distance from its
   median in units of 1.4826·MAD) says how unusual the day is for this series.
2. **Same-weekday baseline**, the rule of Google Ads' anomaly detector script: the day against the
   same weekday of the previous `weeks` weeks (their median here, so one past spike does not move
   it). A day is a spike when z >= `z` and y >= `ratio` x baseline, a drop when z <= -`z` and
   y <= baseline / `ratio`. Both must agree: the z-score alone flags small moves on very smooth
   series, the ratio alone flags noise on small ones.
3. **Outages.** A day at or below `outage_fraction` of a baseline of at least `min_volume` (zeros
   where the series normally has volume: a broken pixel or tag) is an outage, whatever the z-score.

A change that lasts is a level shift (a new budget), not an anomaly: when the series goes on for
days after the candidate, the deseasonalised level `persist_from` to `persist_from + 6` days
later must still be apart from the day by the same factor. The latest days cannot be checked that
way; they are reported (a live alert) and resolve in a later scan if the new level holds.

CPA and ROAS are ratios of the day's sums (`adops.analytics.kpis`); a day without a denominator has
no value and is skipped. Severity: `critical` for outages and for |z| >= `critical_z`, `warning`
for |z| >= `warning_z`, else `info`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from adops.analytics.kpis import KPIS

#: the metrics scanned: three sums and two KPIs
METRICS = ("spend", "clicks", "conversions", "cpa", "roas")
SUMS = ("spend", "clicks", "conversions", "conversion_value")
PERIOD = 7
#: STL's robustness passes: statsmodels' default for a robust fit is 15; 4 find the same anomalies on
#: seven sandbox worlds (docs/benchmarks.md) in a third of the time
ROBUST_PASSES = 4
#: the volume a metric stands on: its series is judged only when this is usually >= min_volume
VOLUME_BASE = {
    "spend": "spend",
    "clicks": "clicks",
    "conversions": "conversions",
    "cpa": "conversions",
    "roas": "conversions",
}
#: the level of a scanned series, widest first
LEVELS = ("platform", "account", "campaign")
SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class Thresholds:
    """When a day counts as an anomaly (see the module's docstring)."""

    z: float = 4.0
    ratio: float = 2.2
    weeks: int = 4
    min_history: int = 21
    outage_fraction: float = 0.05
    min_volume: float = 15.0
    persist_from: int = 3
    warning_z: float = 6.0
    critical_z: float = 10.0
    #: the residual's spread never counts as less than this (log units: 2%), so a flat series does
    #: not turn a 5% wobble into z = 50
    min_scale: float = 0.02

    def __post_init__(self) -> None:
        checks = {
            "z": self.z > 0,
            "ratio": self.ratio > 1,
            "weeks": 1 <= self.weeks <= 52,
            "min_history": 14 <= self.min_history <= 3660,
            "outage_fraction": 0 <= self.outage_fraction < 1,
            "min_volume": self.min_volume > 0,
            "persist_from": 1 <= self.persist_from <= 28,
            "warning_z": self.warning_z >= self.z,
            "critical_z": self.critical_z >= self.warning_z,
            "min_scale": self.min_scale > 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"anomaly thresholds out of range: {', '.join(bad)}")


@dataclass(frozen=True)
class Anomaly:
    """One unusual day of one series. `direction` is spike or drop; `kind` adds outage."""

    series: str | None
    metric: str
    ds: str  # YYYY-MM-DD
    y: float
    expected: float
    score: float  # the residual's robust z (signed)
    direction: str  # spike | drop
    kind: str  # spike | drop | outage
    severity: str  # info | warning | critical
    baseline: float | None = None  # the same-weekday median
    dims: Mapping[str, str] = field(default_factory=dict)  # level, platform, account_id, campaign_id

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["dims"] = dict(self.dims)
        return out

    def interface(self) -> dict[str, object]:
        """The `adops anomalies --json` row (INTERFACES.md), plus kind, metric and severity."""
        return {
            "series": self.series,
            "ds": self.ds,
            "y": _round(self.y),
            "expected": _round(self.expected),
            "score": round(self.score, 3),
            "direction": self.direction,
            "kind": self.kind,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class DayVerdict:
    """What the rules say about one day (index into the series)."""

    index: int
    expected: float
    score: float
    baseline: float
    kind: str
    severity: str


def detect(
    days: Sequence[object] | np.ndarray | pd.Index,
    values: Sequence[float] | np.ndarray,
    t: Thresholds | None = None,
) -> list[DayVerdict]:
    """The anomalous days of one daily series (`days` consecutive or not; missing days stay unknown).

    `values` must be non-negative (amounts, counts, ratios of them); NaN means "no value that day".
    """
    t = t or Thresholds()
    ds = np.asarray(pd.to_datetime(pd.Index(days)).normalize().values.astype("datetime64[D]"))
    y = np.asarray(values, dtype=float)
    if len(ds) != len(y):
        raise ValueError("days and values differ in length")
    if len(y) == 0:
        return []
    order = np.argsort(ds, kind="stable")
    ds, y = ds[order], y[order]
    if (np.diff(ds.astype(np.int64)) == 0).any():
        raise ValueError("a day appears twice")
    if (y[np.isfinite(y)] < 0).any():
        raise ValueError("values must not be negative")
    # a regular daily grid: gaps become unknown days
    first = ds[0]
    pos = (ds - first).astype(np.int64)
    grid = np.full(int(pos[-1]) + 1, np.nan)
    grid[pos] = y
    verdicts = _detect_grid(grid, t)
    back = {int(p): int(order[i]) for i, p in enumerate(pos)}
    return [
        DayVerdict(back[v.index], v.expected, v.score, v.baseline, v.kind, v.severity)
        for v in verdicts
        if v.index in back
    ]


def _detect_grid(y: np.ndarray, t: Thresholds) -> list[DayVerdict]:
    n = len(y)
    known = np.isfinite(y)
    if known.sum() < max(t.min_history, 2 * PERIOD + 1):
        return []
    logy = np.log1p(np.where(known, y, 0.0))
    filled = _interpolate(np.where(known, logy, np.nan))
    from statsmodels.tsa.seasonal import STL

    fit = STL(filled, period=PERIOD, robust=True).fit(outer_iter=ROBUST_PASSES)
    fitted = np.asarray(fit.trend) + np.asarray(fit.seasonal)
    seasonal = np.asarray(fit.seasonal)
    resid = np.where(known, logy - fitted, np.nan)
    center = float(np.nanmedian(resid))
    mad = float(np.nanmedian(np.abs(resid - center))) * 1.4826
    scale = max(mad, t.min_scale)
    z = (resid - center) / scale
    baseline = _same_weekday_baseline(y, t.weeks)
    level = _trailing_median(y, 4 * PERIOD)
    expect = np.expm1(fitted)
    deseason = logy - seasonal
    first_known = int(np.argmax(known))

    out: list[DayVerdict] = []
    for i in range(n):
        if not known[i] or i - first_known < t.min_history or not np.isfinite(baseline[i]):
            continue
        b, v, zi = baseline[i], y[i], z[i]
        kind = ""
        if level[i] >= t.min_volume and v <= t.outage_fraction * level[i] and zi <= -t.z:
            kind = "outage"
        elif zi >= t.z and v >= t.ratio * min(b, expect[i]) and b > 0:
            kind = "spike"
        elif zi <= -t.z and v <= max(b, expect[i]) / t.ratio:
            kind = "drop"
        if not kind or not _transient(deseason, known, i, kind, t):
            continue
        expected = float(np.expm1(fitted[i]))
        if kind == "outage":
            expected = max(expected, float(level[i]))
            severity = "critical"
        else:
            severity = _severity(abs(float(zi)), t)
        out.append(DayVerdict(i, max(expected, 0.0), float(zi), float(b), kind, severity))
    return out


def _severity(absz: float, t: Thresholds) -> str:
    if absz >= t.critical_z:
        return "critical"
    return "warning" if absz >= t.warning_z else "info"


def _transient(deseason: np.ndarray, known: np.ndarray, i: int, kind: str, t: Thresholds) -> bool:
    """False when the level `persist_from`.. days later matches the day: a level shift, not an anomaly."""
    later = slice(i + t.persist_from, i + t.persist_from + PERIOD)
    window = deseason[later][known[later]]
    if len(window) < 3:
        return True  # too recent to tell: report it now
    gap = deseason[i] - float(np.median(window))
    if kind == "spike":
        return gap >= math.log(t.ratio) / 2
    return gap <= -math.log(t.ratio) / 2  # a drop or an outage: the level comes back afterwards


def _same_weekday_baseline(y: np.ndarray, weeks: int) -> np.ndarray:
    """Median of the same weekday over the previous `weeks` weeks (NaN with fewer than two)."""
    n = len(y)
    stacked = np.full((weeks, n), np.nan)
    for w in range(1, weeks + 1):
        lag = w * PERIOD
        if lag < n:
            stacked[w - 1, lag:] = y[:-lag]
    count = np.isfinite(stacked).sum(axis=0)
    enough = count >= 2
    out = np.full(n, np.nan)
    if enough.any():  # nanmedian warns on all-NaN columns: only the columns with values
        out[enough] = np.nanmedian(stacked[:, enough], axis=0)
    return out


def _trailing_median(y: np.ndarray, days: int) -> np.ndarray:
    """Median of the `days` days before each day (its usual volume); NaN with fewer than half known."""
    frame = pd.Series(y).shift(1).rolling(days, min_periods=days // 2).median()
    return frame.to_numpy(float)


def _interpolate(values: np.ndarray) -> np.ndarray:
    idx = np.arange(len(values))
    ok = np.isfinite(values)
    return np.interp(idx, idx[ok], values[ok])


# ---------------------------------------------------------------------------- frames


def detect_series(frame: pd.DataFrame, t: Thresholds | None = None, metric: str = "y") -> list[Anomaly]:
    """`adops anomalies`: every series of a (series, ds, y) frame; `series` may be missing or None."""
    t = t or Thresholds()
    out: list[Anomaly] = []
    if "series" in frame.columns:
        groups: Iterable[tuple[object, pd.DataFrame]] = frame.groupby("series", sort=False, dropna=False)
    else:
        groups = [(None, frame)]
    for key, part in groups:
        name = None if key is None or (isinstance(key, float) and math.isnan(key)) else str(key)
        out += _anomalies(name, metric, part["ds"], part["y"].to_numpy(float), t, {})
    return sorted(out, key=lambda a: (a.series or "", a.ds))


def metric_values(sums: pd.DataFrame, metric: str) -> np.ndarray:
    """One metric per row of summed columns: a sum as it is, a KPI as the ratio of its sums."""
    if metric in KPIS:
        num, den, scale, _ = KPIS[metric]
        d = sums[den].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(d > 0, sums[num].to_numpy(float) / np.where(d > 0, d, 1) * scale, np.nan)
    return sums[metric].to_numpy(float)


def scan(
    daily: pd.DataFrame,
    t: Thresholds | None = None,
    metrics: Sequence[str] = METRICS,
    levels: Sequence[str] = LEVELS,
    since: date | str | None = None,
) -> list[Anomaly]:
    """Anomalies per platform, account and campaign in a frame of campaign days.

    `daily`: date, platform, account_id, campaign_id, and the sums (spend, clicks, conversions,
    conversion_value). Days without a row are days without delivery (zero), between the series'
    first and last day. `since`: report only days from then on (the history before still counts).
    A series is judged only when its usual daily volume (clicks for clicks; conversions for
    conversions, CPA and ROAS) reaches `min_volume`: on a few conversions a day, zeros and doublings
    are noise.
    """
    t = t or Thresholds()
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s): {', '.join(unknown)}")
    keys = {
        "platform": ["platform"],
        "account": ["platform", "account_id"],
        "campaign": ["platform", "account_id", "campaign_id"],
    }
    if daily.empty:
        return []
    frame = daily.assign(date=pd.to_datetime(daily["date"]).dt.normalize())
    start = pd.Timestamp(since).normalize() if since is not None else None
    out: list[Anomaly] = []
    for level in levels:
        cols = keys[level]
        sums = frame.groupby([*cols, "date"], sort=True)[list(SUMS)].sum()
        for key, part in sums.groupby(level=list(range(len(cols))), sort=True):
            key = key if isinstance(key, tuple) else (key,)
            dims = {"level": level, **{c: str(v) for c, v in zip(cols, key, strict=True)}}
            part = part.droplevel(list(range(len(cols))))
            full = pd.date_range(part.index.min(), part.index.max(), freq="D")
            part = part.reindex(full, fill_value=0.0)
            name = ":".join(str(v) for v in key)
            typical = part.median()
            for metric in metrics:
                base = VOLUME_BASE[metric]
                if typical[base] < (t.min_volume if base != "spend" else 1e-9):
                    continue  # a handful a day: its zeros and doublings are noise, not news
                found = _anomalies(name, metric, part.index, metric_values(part, metric), t, dims)
                out += [a for a in found if start is None or pd.Timestamp(a.ds) >= start]
    return out


def _anomalies(
    name: str | None,
    metric: str,
    days: Iterable[object],
    values: np.ndarray,
    t: Thresholds,
    dims: Mapping[str, str],
) -> list[Anomaly]:
    ds = pd.DatetimeIndex(pd.to_datetime(pd.Index(list(days))))
    out = []
    for v in detect(ds, values, t):
        out.append(
            Anomaly(
                series=name,
                metric=metric,
                ds=ds[v.index].date().isoformat(),
                y=float(values[v.index]),
                expected=v.expected,
                score=v.score,
                direction="spike" if v.kind == "spike" else "drop",
                kind=v.kind,
                severity=v.severity,
                baseline=v.baseline,
                dims=dims,
            )
        )
    return out


def _round(value: float) -> float:
    return round(value, 4) if math.isfinite(value) else 0.0
