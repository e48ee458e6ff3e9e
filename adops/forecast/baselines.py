"""Baselines for short series and for scoring: seasonal naive (m=7) and statsmodels ETS.

Both work on a regular daily array already on the model scale (see `Transform`) and return sample
paths, so intervals, month-end totals and overspend probabilities all come from the same draws.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

SEASON = 7
ETS_WINDOW = 365  # ETS has no yearly term: the last year is all it uses, and fitting stays fast


@dataclass(frozen=True)
class Draws:
    """A forecast on the model scale: the point path and sample paths (n_samples, horizon)."""

    yhat: np.ndarray
    samples: np.ndarray


def seasonal_naive(
    y: np.ndarray, horizon: int, n_samples: int, rng: np.random.Generator, m: int = SEASON
) -> Draws:
    """Repeat the last m days; uncertainty grows with sqrt(seasons ahead), as in Hyndman's fpp3 (5.5)."""
    y = np.asarray(y, dtype=float)
    m = m if len(y) >= m else 1
    steps = np.arange(horizon)
    yhat = y[len(y) - m + steps % m]
    resid = y[m:] - y[:-m]
    sd = float(np.std(resid, ddof=1)) if len(resid) > 1 else float(np.std(y)) or 0.0
    # one random walk per position in the season: shocks arrive once per season ahead
    seasons = horizon // m + 1
    shocks = rng.normal(0.0, sd, size=(n_samples, seasons, m)).cumsum(axis=1)
    paths = yhat[None, :] + shocks[:, steps // m, steps % m]
    return Draws(yhat=yhat, samples=paths)


def ets(y: np.ndarray, horizon: int, n_samples: int, rng: np.random.Generator, m: int = SEASON) -> Draws:
    """Additive-error ETS with a damped trend (from 4 weeks) and weekly seasonality (from 2 weeks).

    Raises ValueError when statsmodels cannot fit the series; callers fall back to seasonal naive.
    """
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = np.asarray(y, dtype=float)[-ETS_WINDOW:]
    n = len(y)
    seasonal = "add" if n >= 2 * m else None
    trend = "add" if n >= 4 * m else None
    series = pd.Series(y)  # a RangeIndex: statsmodels' prediction code needs an index
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = ETSModel(
                series,
                error="add",
                trend=trend,
                damped_trend=trend is not None,
                seasonal=seasonal,
                seasonal_periods=m if seasonal else None,
            )
            fit = model.fit(disp=False, maxiter=200)
            yhat = np.asarray(fit.forecast(horizon), dtype=float)
            sims = fit.simulate(horizon, repetitions=n_samples, anchor="end", rng=rng)
        except Exception as exc:  # statsmodels raises many types on degenerate input
            raise ValueError(f"ETS could not fit: {exc}") from exc
    samples = np.asarray(sims, dtype=float).reshape(horizon, n_samples).T
    if not (np.all(np.isfinite(yhat)) and np.all(np.isfinite(samples))):
        raise ValueError("ETS produced non-finite forecasts")
    return Draws(yhat=yhat, samples=samples)
