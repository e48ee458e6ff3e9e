"""The mean-reverting ETS: it pulls a level that wanders around a base back toward it, and does not
invent reversion on a level that wanders freely."""

from __future__ import annotations

import numpy as np
import pandas as pd

from adops.forecast import ForecastConfig, baselines, forecast_series, mase
from adops.forecast.metrics import coverage

WEEKLY = np.log([1.0, 1.1, 1.2, 1.15, 1.0, 0.7, 0.6])
HORIZON = 28


def reverting_log_series(days: int, phi: float, seed: int) -> np.ndarray:
    """log(100) + weekday profile + an AR(1) level (phi per day) + daily noise, on the log scale."""
    rng = np.random.default_rng(seed)
    level = np.zeros(days)
    shocks = rng.normal(0, 0.04, days)
    for t in range(1, days):
        level[t] = phi * level[t - 1] + shocks[t]
    return np.log(100) + WEEKLY[np.arange(days) % 7] + level + rng.normal(0, 0.03, days)


def score(x: np.ndarray, origins: list[int]) -> dict[str, float]:
    """Mean MASE (original scale) of each method at the origins, and the reverting interval's coverage."""
    out: dict[str, list[float]] = {"snaive": [], "ets": [], "reverting": [], "coverage": []}
    for n in origins:
        train, actual = np.exp(x[:n]), np.exp(x[n : n + HORIZON])
        rng = np.random.default_rng(n)
        for name, fit in (("snaive", baselines.seasonal_naive), ("ets", baselines.ets)):
            out[name].append(mase(actual, np.exp(fit(x[:n], HORIZON, 50, rng).yhat), train))
        d = baselines.reverting(x[:n], HORIZON, 500, rng)
        out["reverting"].append(mase(actual, np.exp(d.yhat), train))
        lo, hi = np.exp(np.quantile(d.samples, [0.1, 0.9], axis=0))
        out["coverage"].append(coverage(actual, lo, hi))
    return {k: float(np.mean(v)) for k, v in out.items()}


def test_reverting_beats_seasonal_naive_and_ets_on_a_mean_reverting_level() -> None:
    results = [score(reverting_log_series(800, 0.95, seed), [560, 620, 680, 740]) for seed in range(4)]
    mean = {k: float(np.mean([r[k] for r in results])) for k in results[0]}
    assert mean["reverting"] < 0.8 * mean["snaive"]
    assert mean["reverting"] < 0.95 * mean["ets"]
    assert 0.7 <= mean["coverage"] <= 0.9  # 80% interval from the past's own residual paths


def test_reverting_heads_for_the_long_run_mean_only_as_far_as_the_past_says() -> None:
    shares, ets_gaps = [], []
    for seed in range(5):
        x = reverting_log_series(800, 0.9, seed=seed)
        x[-21:] = np.log(100) + 0.4 + WEEKLY[np.arange(779, 800) % 7]  # three weeks 49% above the base
        d = baselines.reverting(x, HORIZON, 200, np.random.default_rng(0))
        gap = d.yhat - WEEKLY[np.arange(800, 800 + HORIZON) % 7] - np.log(100)
        assert gap[:7].mean() > 0.25  # starts near the current level
        shares.append(gap[-7:].mean() / gap[:7].mean())
        ets = baselines.ets(x, HORIZON, 50, np.random.default_rng(0), trend=False).yhat
        ets_gaps.append(ets[-7:].mean() - d.yhat[-7:].mean())
    # most of the way back to the base four weeks out (true: 0.9**28, nothing left), where ETS stays up
    assert np.mean(shares) < 0.5
    assert np.mean(ets_gaps) > 0.15


def test_reverting_stays_with_ets_on_a_level_that_does_not_revert() -> None:
    rng = np.random.default_rng(3)
    x = np.log(100) + WEEKLY[np.arange(800) % 7] + np.cumsum(rng.normal(0, 0.03, 800))
    rev = baselines.reverting(x, HORIZON, 50, np.random.default_rng(0)).yhat
    flat = baselines.ets(x, HORIZON, 50, np.random.default_rng(0), trend=False).yhat
    assert np.max(np.abs(rev - flat)) < 0.05  # a random walk: little reversion estimated


def test_auto_offers_reverting_on_long_series_and_can_force_it() -> None:
    ds = pd.date_range("2024-01-01", periods=800, freq="D")
    frame = pd.DataFrame({"ds": ds, "y": np.exp(reverting_log_series(800, 0.95, seed=1))})
    fc = forecast_series(frame, ForecastConfig(horizon=HORIZON, method="reverting"), series="r")
    assert fc.method == "reverting" and set(fc.backtests) == {"snaive", "reverting"}
    assert len(fc.forecast) == HORIZON and (fc.forecast["yhat_lower"] <= fc.forecast["yhat"]).all()
    short = forecast_series(frame.iloc[:40], ForecastConfig(horizon=7, method="reverting"), series="s")
    assert short.method in ("snaive", "ets")  # too short: the short-series candidates
