"""Rolling-origin backtests: how accurate each method has been on this series, at this horizon.

Prophet is scored with `prophet.diagnostics.cross_validation` (a refit per cutoff); the baselines
are refitted at exactly the same cutoffs, so their figures compare like with like. Each origin is
scored on the original scale: MASE (scaled by the in-sample seasonal naive m=7 of the data up to
that origin), sMAPE and interval coverage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from adops.forecast import metrics

# (training values on the model scale, horizon, seed) -> (point, samples (n, horizon)) on the model scale
Drawer = Callable[[np.ndarray, int, int], tuple[np.ndarray, np.ndarray]]
# per origin: (point, lower, upper, actual), all on the model scale
Predictions = list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Backtest:
    """Accuracy of one method over the rolling origins."""

    method: str
    horizon: int
    origins: list[str]
    mase: float
    smape: float
    coverage: float
    interval_width: float
    points: int
    ratios: list[float] = field(default_factory=list, repr=False)  # for interval calibration
    raw_coverage: float | None = None  # the chosen method's: coverage before calibration

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out.pop("ratios")
        return out

    def ratio_matrix(self) -> np.ndarray:
        """The calibration ratios as (origins, horizon); NaN where a ratio could not be taken."""
        r = np.asarray(self.ratios, dtype=float)
        if len(self.origins) == 0 or r.size != len(self.origins) * self.horizon:
            return np.empty((0, self.horizon))
        return r.reshape(len(self.origins), self.horizon)


def cutoffs(n: int, horizon: int, n_origins: int, min_train: int, period: int | None = None) -> list[int]:
    """Indexes of the last training day of each origin, oldest first (empty when none fits)."""
    period = period or horizon
    out = []
    for k in range(n_origins):
        last = n - 1 - horizon - k * period
        if last + 1 < min_train:
            break
        out.append(last)
    return sorted(out)


def score(
    method: str,
    y: np.ndarray,
    origins: list[int],
    horizon: int,
    interval_width: float,
    predictions: Predictions,
    ds: pd.DatetimeIndex,
    inverse: Callable[[np.ndarray], np.ndarray],
) -> Backtest:
    """Turn per-origin (point, lower, upper) on the model scale into one Backtest on the original scale.

    `predictions[i]` holds (point, lower, upper, actual_model_scale) for origins[i]; `y` is the
    original-scale series on a daily grid.
    """
    mases, smapes, hits, ratios = [], [], [], []
    for last, (point, lower, upper, actual_m) in zip(origins, predictions, strict=True):
        actual = y[last + 1 : last + 1 + horizon]
        yhat, lo, hi = inverse(point), inverse(lower), inverse(upper)
        mases.append(metrics.mase(actual, yhat, y[: last + 1]))
        smapes.append(metrics.smape(actual, yhat))
        hits.append(metrics.coverage(actual, lo, hi))
        ratios.extend(_ratios(actual_m, point, lower, upper))
    return Backtest(
        method=method,
        horizon=horizon,
        origins=[ds[i].date().isoformat() for i in origins],
        mase=float(np.mean(mases)),
        smape=float(np.mean(smapes)),
        coverage=float(np.mean(hits)),
        interval_width=interval_width,
        points=len(origins) * horizon,
        ratios=ratios,
    )


def run_drawer(
    method: str,
    drawer: Drawer,
    y_model: np.ndarray,
    y: np.ndarray,
    ds: pd.DatetimeIndex,
    origins: list[int],
    horizon: int,
    interval_width: float,
    seed: int,
    inverse: Callable[[np.ndarray], np.ndarray],
) -> tuple[Backtest, Predictions]:
    """Backtest a baseline (or any drawer) by refitting it on the data up to each origin."""
    lo_q, hi_q = (1 - interval_width) / 2, (1 + interval_width) / 2
    predictions = []
    for i, last in enumerate(origins):
        point, samples = drawer(y_model[: last + 1], horizon, seed + i)
        predictions.append(
            (
                point,
                np.quantile(samples, lo_q, axis=0),
                np.quantile(samples, hi_q, axis=0),
                y_model[last + 1 : last + 1 + horizon],
            )
        )
    return score(method, y, origins, horizon, interval_width, predictions, ds, inverse), predictions


def run_prophet(
    model: Any,
    y_model: np.ndarray,
    y: np.ndarray,
    ds: pd.DatetimeIndex,
    origins: list[int],
    horizon: int,
    interval_width: float,
    seed: int,
    inverse: Callable[[np.ndarray], np.ndarray],
) -> tuple[Backtest, Predictions]:
    """Backtest a fitted Prophet with prophet.diagnostics.cross_validation at the given origins."""
    from prophet.diagnostics import cross_validation

    state = np.random.get_state()
    np.random.seed(seed)
    try:
        cv = cross_validation(
            model,
            horizon=pd.Timedelta(days=horizon),  # type: ignore[arg-type]
            cutoffs=[ds[i] for i in origins],
            disable_tqdm=True,
        )
    finally:
        np.random.set_state(state)
    position = pd.Series(np.arange(len(ds)), index=ds)
    predictions = []
    for last in origins:
        part = cv[cv["cutoff"] == ds[last]].sort_values("ds")
        want = ds[last + 1 : last + 1 + horizon]
        part = part.set_index("ds").reindex(want)
        # days missing from the input (gaps) are filled from the point forecast's neighbours
        part = part.interpolate(limit_direction="both")
        idx = position[want].to_numpy()
        predictions.append(
            (
                part["yhat"].to_numpy(float),
                part["yhat_lower"].to_numpy(float),
                part["yhat_upper"].to_numpy(float),
                y_model[idx],
            )
        )
    return score("prophet", y, origins, horizon, interval_width, predictions, ds, inverse), predictions


def combine(parts: list[Predictions]) -> Predictions:
    """The equal-weight combination of several methods' predictions at the same origins.

    Point and bounds are averaged on the model scale (the bounds of the average of co-moving paths);
    calibration then corrects the width from the combination's own backtest.
    """
    out: Predictions = []
    for per_origin in zip(*parts, strict=True):
        out.append(
            (
                np.mean([p[0] for p in per_origin], axis=0),
                np.mean([p[1] for p in per_origin], axis=0),
                np.mean([p[2] for p in per_origin], axis=0),
                per_origin[0][3],
            )
        )
    return out


def calibration(backtest: Backtest | None, interval_width: float, min_points: int = 20) -> float:
    """Factor that stretches the interval so the backtest would have covered `interval_width` of points.

    Split-conformal on the rolling origins: each point's ratio says how far the interval had to
    reach (1.0 = exactly at the bound). It only ever widens: a few correlated origins, and picking
    the method that looked best on them, both make backtests look better than the future will be
    (measured: narrowing cost 8 points of coverage out of sample). Capped at 4; 1.0 without evidence.
    """
    if backtest is None or len(backtest.ratios) < min_points:
        return 1.0
    r = np.asarray(backtest.ratios, dtype=float)
    factor = float(np.quantile(r[np.isfinite(r)], interval_width)) if np.isfinite(r).any() else np.nan
    return float(np.clip(factor, 1.0, MAX_FACTOR)) if np.isfinite(factor) else 1.0


MAX_FACTOR = 4.0
BUCKET_DAYS = 7  # the horizon's days pooled into one calibration factor


def calibration_curve(
    blocks: list[np.ndarray], interval_width: float, horizon: int, min_points: int = 20
) -> np.ndarray:
    """Per-horizon widening factors (length `horizon`) from backtest ratio matrices (origins, days).

    Split-conformal as `calibration`, but per week of the horizon (how far ahead a point is changes
    how wrong a model is: a budget step has had more time to happen) and over every block given:
    the same method's backtests of all the series of one forecast call, each ratio already scaled
    by its own series' interval, so one series' size does not weigh on another's. Never below 1 or
    above 4, and never narrower further out. Too few points for a week: the factor over all of them.
    """
    if not blocks:
        return np.ones(horizon)
    days = max(b.shape[1] for b in blocks)
    stacked = np.full((sum(b.shape[0] for b in blocks), days), np.nan)
    row = 0
    for b in blocks:
        stacked[row : row + b.shape[0], : b.shape[1]] = b
        row += b.shape[0]
    finite = stacked[np.isfinite(stacked)]
    if finite.size < min_points:
        return np.ones(horizon)
    overall = float(np.quantile(finite, interval_width))
    curve = np.full(days, overall)
    for start in range(0, days, BUCKET_DAYS):
        part = stacked[:, start : start + BUCKET_DAYS]
        part = part[np.isfinite(part)]
        if part.size >= min_points:
            curve[start : start + BUCKET_DAYS] = float(np.quantile(part, interval_width))
    curve = np.maximum.accumulate(np.clip(curve, 1.0, MAX_FACTOR))
    return np.concatenate([curve, np.full(max(0, horizon - days), curve[-1])])[:horizon]


def factor(block: np.ndarray, interval_width: float, min_points: int = 20) -> float:
    """`calibration` from a ratio matrix: one series' own widening factor over all its points."""
    finite = block[np.isfinite(block)]
    if finite.size < min_points:
        return 1.0
    return float(np.clip(np.quantile(finite, interval_width), 1.0, MAX_FACTOR))


def covered(block: np.ndarray, curve: np.ndarray) -> np.ndarray:
    """Whether each backtest point falls inside the interval widened by `curve` (NaN: not counted)."""
    width = np.concatenate([curve, np.full(max(0, block.shape[1] - len(curve)), curve[-1])])[: block.shape[1]]
    return (block <= width[None, :])[np.isfinite(block)]


def _ratios(actual: np.ndarray, point: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> list[float]:
    above = actual >= point
    half = np.where(above, upper - point, point - lower)
    dist = np.abs(actual - point)
    ratio = np.where(half > 1e-12, dist / np.maximum(half, 1e-12), np.where(dist > 1e-12, 4.0, 0.0))
    return [float(r) if np.isfinite(r) else float("nan") for r in ratio]  # one per day, in order
