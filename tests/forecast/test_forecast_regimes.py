"""The bottom-up regime model: it finds each part's budget steps, knows when the current step is
likely to end, and beats the total-only methods when the parts move in staggered steps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adops.forecast import ForecastConfig, baselines, forecast_series, mase, regimes
from adops.forecast.metrics import coverage

HORIZON = 28
REGIME = 28


def stepped_parts(n_parts: int, days: int, seed: int, launches: bool = False) -> np.ndarray:
    """Daily spend of parts (shape (parts, days)) that hold a level for 28 days, each on its own
    phase, then jump to a new draw in [0.55, 1.45] × their base; 4% daily noise. With `launches`,
    the parts start on days spread over the history (as campaigns are launched), so the total grows
    in steps."""
    rng = np.random.default_rng(seed)
    base = rng.lognormal(np.log(200), 0.6, n_parts)
    phase = rng.integers(0, REGIME, n_parts)
    block = (np.arange(days)[None, :] + phase[:, None]) // REGIME
    draws = 0.55 + 0.9 * rng.random((n_parts, int(block.max()) + 1))
    level = base[:, None] * np.take_along_axis(draws, block, axis=1)
    if launches:
        start = rng.integers(0, days - 60, n_parts)
        level[np.arange(days)[None, :] < start[:, None]] = 0.0
    return level * np.exp(rng.normal(0, 0.04, level.shape))


def test_segment_finds_the_steps() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([np.full(40, 5.0), np.full(28, 5.4), np.full(30, 4.9), np.full(10, 5.1)])
    ends = regimes.segment(x + rng.normal(0, 0.03, len(x)))
    assert ends == [40, 68, 98, 108]
    assert regimes.segment(np.full(50, 3.0) + rng.normal(0, 0.03, 50)) == [50]  # noise is not a step


def test_current_regime_holds_until_its_usual_length_then_reverts() -> None:
    spend = stepped_parts(1, 400, seed=3)
    n = 400 - 5  # the current regime has run a while: it ends within the horizon on a known day
    parts = regimes.Parts(spend=spend[:, :n], metric=spend[:, :n])
    point, paths = regimes.forecast(parts, spend[0, :n], HORIZON, 400, np.random.default_rng(0))
    ends = regimes.segment(np.log1p(spend[0, :n]))
    elapsed = n - ends[-2]
    change = REGIME - elapsed  # days left in the current regime
    assert 0 < change < HORIZON
    current = spend[0, ends[-2] : n].mean()
    assert point[: change - 1] == pytest.approx(current, rel=0.03)
    long_run = spend[0, n - 365 : n].mean()
    assert point[change + 1 :] == pytest.approx(long_run, rel=0.1)
    lo, hi = np.quantile(paths[:, -1], [0.05, 0.95])
    assert hi - lo > 0.5 * long_run  # after the change the new level is unknown: wide


def test_bottom_up_beats_total_only_methods_on_staggered_steps_and_launches() -> None:
    """On the total alone, launches look like a level the mean-reverting method pulls back down; the
    parts show which spend is new and which step each part is on."""
    days, errors = 800, {"regimes": [], "reverting": [], "snaive": [], "coverage": []}
    for seed in range(4):
        spend = stepped_parts(30, days, seed, launches=True)
        total = spend.sum(axis=0)
        for n in (620, 680, 740):
            actual, train = total[n : n + HORIZON], total[:n]
            parts = regimes.Parts(spend=spend[:, :n], metric=spend[:, :n])
            point, paths = regimes.forecast(parts, train, HORIZON, 300, np.random.default_rng(n))
            errors["regimes"].append(mase(actual, point, train))
            rev = baselines.reverting(np.log1p(train), HORIZON, 50, np.random.default_rng(n))
            errors["reverting"].append(mase(actual, np.expm1(rev.yhat), train))
            errors["snaive"].append(mase(actual, np.resize(train[-7:], HORIZON), train))
            lo, hi = np.quantile(paths, [0.1, 0.9], axis=0)
            errors["coverage"].append(coverage(actual, lo, hi))
    mean = {k: float(np.mean(v)) for k, v in errors.items()}
    assert mean["regimes"] < 0.8 * mean["snaive"]
    assert mean["regimes"] < 0.85 * mean["reverting"]
    assert 0.6 <= mean["coverage"] <= 0.95  # before the backtest calibration widens it


def test_auto_offers_the_regime_candidates_only_with_parts() -> None:
    spend = stepped_parts(12, 500, seed=5)
    ds = pd.date_range("2025-01-01", periods=500, freq="D")
    frame = pd.DataFrame({"ds": ds, "y": spend.sum(axis=0)})
    parts = pd.DataFrame(
        {
            "ds": np.tile(ds, 12),
            "part": np.repeat([f"c{i}" for i in range(12)], 500),
            "spend": spend.ravel(),
            "y": spend.ravel(),
        }
    )
    config = ForecastConfig(horizon=HORIZON, method="regimes")
    fc = forecast_series(frame, config, series="account", parts=parts)
    assert fc.method == "regimes" and set(fc.backtests) == {"snaive", "regimes"}
    assert (fc.forecast["yhat_lower"] <= fc.forecast["yhat"]).all()
    assert (fc.forecast["yhat"] <= fc.forecast["yhat_upper"]).all()
    with pytest.raises(ValueError, match="needs the series' parts"):
        forecast_series(frame, config, series="account")
    with pytest.raises(ValueError, match="parts need columns"):
        forecast_series(frame, config, series="account", parts=parts.drop(columns="spend"))


def test_a_part_that_stopped_spending_is_forecast_at_zero() -> None:
    spend = stepped_parts(2, 300, seed=8)
    spend[0, -2:] = 0.0  # always spent, then paused two days ago
    spend[1, ::3] = 0.0  # often skips a day: one idle day is its habit, not a stop
    spend[1, -1] = 0.0
    parts = regimes.Parts(spend=spend, metric=spend)
    total = spend.sum(axis=0)
    point, _ = regimes.forecast(parts, total, HORIZON, 50, np.random.default_rng(0))
    only_second = regimes.Parts(spend=spend[1:], metric=spend[1:])
    alone, _ = regimes.forecast(only_second, total, HORIZON, 50, np.random.default_rng(0))
    assert point == pytest.approx(alone)  # the paused part adds nothing
    assert alone.min() > 0.3 * spend[1, -60:].mean()
