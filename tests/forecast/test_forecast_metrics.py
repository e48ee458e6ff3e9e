"""Metrics, baselines, backtest origins and pacing against hand-computed values."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from adops.forecast import backtest as bt
from adops.forecast import (
    budget_outcome,
    coverage,
    mase,
    pace,
    period_bounds,
    period_totals,
    project_ratio,
    smape,
)
from adops.forecast.baselines import seasonal_naive
from adops.forecast.metrics import seasonal_naive_scale


def test_seasonal_naive_scale_by_hand() -> None:
    history = [1, 2, 3, 4, 5, 6, 7, 3, 2, 3, 4, 5, 6, 9]  # lag-7 differences: 2,0,0,0,0,0,2
    assert seasonal_naive_scale(history) == pytest.approx(4 / 7)
    assert seasonal_naive_scale([5, 7, 4]) == pytest.approx(2.5)  # too short: lag 1 -> |2|, |3|
    assert seasonal_naive_scale([3.0] * 20) == 1.0  # constant history: no scale, errors count as is


def test_mase_by_hand() -> None:
    history = [1, 2, 3, 4, 5, 6, 7, 3, 2, 3, 4, 5, 6, 9]
    assert mase([10, 12], [11, 10], history) == pytest.approx(1.5 / (4 / 7))
    assert mase([3, 4], [3, 4], history) == 0.0


def test_smape_by_hand() -> None:
    # 2*|100-110|/210 = 0.095238; 2*|0-0|/0 counts as 0; 2*|50-0|/50 = 2
    assert smape([100, 0, 50], [110, 0, 0]) == pytest.approx(100 * (20 / 210 + 0 + 2) / 3)


def test_coverage_by_hand() -> None:
    assert coverage([1, 5, 10, 3], [0, 6, 9, 3], [2, 7, 11, 3]) == 0.75  # bounds are inclusive
    with pytest.raises(ValueError):
        coverage([], [], [])


def test_seasonal_naive_repeats_last_week_and_widens() -> None:
    y = np.array([float(v) for v in [5, 1, 2, 3, 4, 5, 6, 7] * 3])
    draws = seasonal_naive(y, 10, 4000, np.random.default_rng(0))
    assert draws.yhat.tolist() == [1, 2, 3, 4, 5, 6, 7, 1, 2, 3]  # the last 7 days, again
    spread = draws.samples.std(axis=0)
    assert spread[0] == pytest.approx(spread[6], rel=0.15)  # same season ahead
    assert spread[7] == pytest.approx(spread[0] * np.sqrt(2), rel=0.15)  # second season: sqrt(2) wider


def test_cutoffs_walk_back_by_period() -> None:
    assert bt.cutoffs(100, 28, 3, min_train=14) == [15, 43, 71]  # 71 = 100 - 1 - 28
    assert bt.cutoffs(100, 28, 3, min_train=28) == [43, 71]  # 16 days is too little training
    assert bt.cutoffs(60, 28, 3, min_train=28) == [31]
    assert bt.cutoffs(40, 28, 3, min_train=28) == []


def test_calibration_widens_an_interval_that_was_too_narrow() -> None:
    ratios = list(np.linspace(0, 2, 101))  # half the points fell outside the interval
    backtest = bt.Backtest("x", 7, [], 1.0, 1.0, 0.5, 0.8, 101, ratios)
    assert bt.calibration(backtest, 0.8) == pytest.approx(1.6)
    assert bt.calibration(None, 0.8) == 1.0
    too_wide = bt.Backtest("x", 7, [], 1.0, 1.0, 1.0, 0.8, 101, list(np.linspace(0, 0.5, 101)))
    assert bt.calibration(too_wide, 0.8) == 1.0  # never narrows


def test_period_bounds() -> None:
    assert period_bounds(date(2026, 11, 24), "month") == (date(2026, 11, 1), date(2026, 11, 30))
    assert period_bounds(date(2026, 12, 31), "month") == (date(2026, 12, 1), date(2026, 12, 31))
    assert period_bounds(date(2026, 11, 24), "quarter") == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_bounds(date(2024, 2, 10), "quarter") == (date(2024, 1, 1), date(2024, 3, 31))


def _forecast_frame(start: str, days: int, value: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ds": pd.date_range(start, periods=days),
            "yhat": value,
            "yhat_lower": value - 10.0,
            "yhat_upper": value + 10.0,
        }
    )


def test_pace_from_sample_paths() -> None:
    actuals = pd.DataFrame({"ds": pd.date_range("2026-10-20", "2026-11-23"), "y": 100.0})
    forecast = _forecast_frame("2026-11-24", 10, 100.0)  # 7 days left in November
    # two paths: one 90/day, one 120/day (the extra 3 days after the month must not count)
    samples = np.vstack([np.full(10, 90.0), np.full(10, 120.0)])
    result = pace(actuals, forecast, budget=3000.0, samples=samples, interval_width=0.5)
    assert result.actual_to_date == 2300.0  # Nov 1-23
    assert (result.days_elapsed, result.days_remaining) == (23, 7)
    assert result.projected_total == pytest.approx(2300 + (630 + 840) / 2)
    assert result.prob_over_budget == 0.5  # 2300+840 > 3000, 2300+630 is not
    assert result.projected_vs_budget == pytest.approx(result.projected_total / 3000 - 1)


def test_pace_without_paths_uses_the_interval() -> None:
    actuals = pd.DataFrame({"ds": pd.date_range("2026-11-01", "2026-11-23"), "y": 100.0})
    forecast = _forecast_frame("2026-11-24", 7, 100.0)
    at_budget = pace(actuals, forecast, budget=3000.0)
    assert at_budget.projected_total == pytest.approx(3000, rel=0.01)
    assert at_budget.prob_over_budget == pytest.approx(0.5, abs=0.05)
    assert pace(actuals, forecast, budget=2500.0).prob_over_budget == 1.0
    with pytest.raises(ValueError, match="ends before"):
        pace(actuals, forecast, period="quarter")


def test_period_totals_correlation_widens_the_sum() -> None:
    forecast = _forecast_frame("2026-11-24", 7, 100.0)
    lo, hi = date(2026, 11, 24), date(2026, 11, 30)
    independent = period_totals(forecast, lo, hi, rho=0.0, n_samples=20000).std()
    together = period_totals(forecast, lo, hi, rho=1.0, n_samples=20000).std()
    assert together == pytest.approx(independent * np.sqrt(7), rel=0.05)


def test_project_ratio_pairs_paths() -> None:
    roas = project_ratio(
        1000.0, 500.0, np.array([1000.0, 2000.0, 3000.0]), np.array([500.0, 500.0, 500.0]), interval_width=0.5
    )
    assert roas.value == pytest.approx(3.0)  # (1000+2000)/(500+500)
    assert roas.lower < roas.value < roas.upper


class _Curve:
    """y = 10·sqrt(x), with two bootstrap draws 0.9x and 1.1x of it."""

    observed_min, observed_max = 50.0, 200.0

    def value(self, x: np.ndarray | float) -> np.ndarray:
        return np.asarray(10 * np.sqrt(x))

    def boot_value(self, x: np.ndarray | float) -> np.ndarray:
        return np.asarray([0.9, 1.1]) * 10 * np.sqrt(x)


def test_budget_outcome_scales_the_forecast_by_the_curve() -> None:
    totals = np.full(1000, 3000.0)  # 30 days x 100 conversions at today's 100/day spend
    out = budget_outcome(_Curve(), 100.0, 400.0, totals)
    assert out.current_total == 3000.0
    assert out.new_total == pytest.approx(6000.0)  # sqrt(4) = 2x; each draw's ratio is the same
    assert out.change == pytest.approx(3000.0) and out.extrapolated
    assert not budget_outcome(_Curve(), 100.0, 150.0, totals).extrapolated


def test_choice_is_the_lowest_relative_mase_for_the_series_or_for_the_group() -> None:
    from adops.forecast.core import ForecastConfig, _choose, _Scored

    def scored(candidates: list[str], **mases: float) -> _Scored:
        backtests = {
            k.replace("_", "+"): bt.Backtest(k, 28, [], v, 0.0, 0.8, 0.8, 28) for k, v in mases.items()
        }
        return _Scored(None, pd.DataFrame(), "log", 0, False, candidates, backtests, None, False)

    long = ["prophet", "prophet+ets", "ets", "snaive"]
    # on its own each series takes its lowest MASE
    a = scored(long, prophet=0.9, prophet_ets=1.0, ets=1.2, snaive=1.5)
    b = scored(long, prophet=3.0, prophet_ets=1.6, ets=1.0, snaive=2.0)
    assert _choose(ForecastConfig(selection="series"), [a, b]) == ["prophet", "ets"]
    # pooled: relative to each series' seasonal naive, ets is best on average (0.8 / 0.5 vs 0.6 / 1.5)
    assert _choose(ForecastConfig(), [a, b]) == ["ets", "ets"]
    # series with other candidates (short ones) are a group of their own
    short = scored(["snaive", "ets"], ets=2.0, snaive=1.0)
    assert _choose(ForecastConfig(), [a, b, short]) == ["ets", "ets", "snaive"]
    assert _choose(ForecastConfig(), [scored(["snaive", "ets"])]) == [
        "snaive"
    ]  # nothing scored: last week again


def test_roas_projection_and_budget_change_over_the_forecast() -> None:
    from adops.forecast.core import SeriesForecast
    from adops.forecast.report import budget_change, roas_projection

    history_ds = pd.date_range("2026-10-01", "2026-11-23")
    future = pd.date_range("2026-11-24", periods=30)

    def series(daily: float, spread: float) -> SeriesForecast:
        rng = np.random.default_rng(int(daily))
        samples = daily + spread * rng.standard_normal((400, len(future)))
        frame = pd.DataFrame(
            {"ds": future, "yhat": daily, "yhat_lower": daily - spread, "yhat_upper": daily + spread}
        )
        history = pd.DataFrame({"ds": history_ds, "y": daily})
        return SeriesForecast("meta", "regimes", 0.8, frame, samples, history)

    spend, value = series(100.0, 5.0), series(300.0, 30.0)
    month = roas_projection(spend, value, "month")
    assert month is not None and month.value == pytest.approx(3.0, abs=0.02)
    assert month.lower < 3.0 < month.upper
    assert roas_projection(spend, value, "quarter") is None  # 30 days do not reach 31 December

    class Linear:  # a curve whose outcome doubles with spend
        observed_min, observed_max = 50.0, 150.0

        def value(self, x: np.ndarray | float) -> np.ndarray:
            return np.asarray(x, dtype=float) * 3.0

        def boot_value(self, x: np.ndarray | float) -> np.ndarray:
            return np.asarray([np.asarray(x, dtype=float) * 3.0])

    out = budget_change(value, Linear(), 100.0, 200.0)
    assert out.current_total == pytest.approx(300.0 * 30, rel=0.01)
    assert out.new_total == pytest.approx(2 * out.current_total, rel=0.001) and out.extrapolated
