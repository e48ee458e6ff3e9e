"""Forecast accuracy metrics: pure functions over arrays, no DataFrames inside the math.

MASE follows Hyndman & Koehler (2006): the forecast's mean absolute error divided by the in-sample
mean absolute error of the seasonal naive forecast (m=7 for daily ad data), so 1.0 means "as good as
repeating last week" and values are comparable across series of any scale.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike


def seasonal_naive_scale(history: ArrayLike, m: int = 7) -> float:
    """In-sample MAE of the seasonal naive forecast y[t] = y[t-m]: the MASE denominator.

    Falls back to the lag-1 naive scale when the history is shorter than m+1 points, and to 1.0
    for a constant history (every error then counts in the series' own units).
    """
    y = np.asarray(history, dtype=float)
    lag = m if len(y) > m else 1
    if len(y) <= lag:
        return 1.0
    scale = float(np.mean(np.abs(y[lag:] - y[:-lag])))
    return scale if scale > 0 and np.isfinite(scale) else 1.0


def mase(actual: ArrayLike, forecast: ArrayLike, history: ArrayLike, m: int = 7) -> float:
    """Mean absolute scaled error of `forecast` against `actual`, scaled on `history`."""
    a, f = _pair(actual, forecast)
    return float(np.mean(np.abs(a - f))) / seasonal_naive_scale(history, m)


def smape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Symmetric MAPE in percent (0-200): mean of 2|a-f| / (|a|+|f|), with 0/0 counted as 0."""
    a, f = _pair(actual, forecast)
    denom = np.abs(a) + np.abs(f)
    safe = np.where(denom > 0, denom, 1.0)
    terms = np.where(denom > 0, 2 * np.abs(a - f) / safe, 0.0)
    return float(100 * np.mean(terms))


def coverage(actual: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Share of actuals inside [lower, upper] (compare with the nominal interval width)."""
    a = np.asarray(actual, dtype=float)
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    if not (len(a) == len(lo) == len(hi)) or len(a) == 0:
        raise ValueError("coverage needs equal, non-empty arrays")
    return float(np.mean((a >= lo) & (a <= hi)))


def _pair(actual: ArrayLike, forecast: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    if a.shape != f.shape or a.size == 0:
        raise ValueError("actual and forecast must be non-empty arrays of the same length")
    return a, f
