"""Method choice, Prophet's weekly pattern, interval coverage, the model cache and parallel fitting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adops.forecast import ForecastConfig, forecast_many, forecast_series, prepare, prophet_model

WEEKLY = np.array([1.0, 1.1, 1.2, 1.15, 1.0, 0.7, 0.6])  # Mon..Sun


def weekly_series(days: int, noise: float, seed: int = 1, start: str = "2026-01-05") -> pd.DataFrame:
    """A level of 100 times a known weekday profile times lognormal noise (2026-01-05 is a Monday)."""
    ds = pd.date_range(start, periods=days, freq="D")
    rng = np.random.default_rng(seed)
    y = 100 * WEEKLY[ds.weekday] * np.exp(rng.normal(0, noise, days))
    return pd.DataFrame({"ds": ds, "y": y})


def test_short_series_gets_a_baseline_chosen_by_backtest() -> None:
    fc = forecast_series(weekly_series(40, 0.25), ForecastConfig(horizon=14), series="short")
    assert fc.method in ("snaive", "ets")
    assert set(fc.backtests) == {"snaive", "ets"}
    # noisy data: ETS smooths the week, repeating last week copies its noise; it wins by more than 10%
    assert fc.method == "ets" and fc.backtests["ets"].mase < 0.9 * fc.backtests["snaive"].mase
    assert len(fc.forecast) == 14 and fc.forecast["ds"].iloc[0] == pd.Timestamp("2026-02-14")
    assert (fc.forecast["yhat_lower"] <= fc.forecast["yhat"]).all()
    assert (fc.forecast["yhat"] <= fc.forecast["yhat_upper"]).all()
    assert (fc.forecast["yhat_lower"] >= 0).all()  # log scale: never below zero


def test_exact_weekly_repeat_prefers_seasonal_naive() -> None:
    fc = forecast_series(weekly_series(42, 0.0), ForecastConfig(horizon=7), series="exact")
    assert fc.method == "snaive"
    np.testing.assert_allclose(fc.forecast["yhat"], 100 * WEEKLY, rtol=1e-9)


def test_prepare_rejects_bad_series() -> None:
    frame = weekly_series(20, 0.1)
    with pytest.raises(ValueError, match="duplicate"):
        prepare(pd.concat([frame, frame.iloc[:1]]))
    with pytest.raises(ValueError, match="at least"):
        prepare(frame.iloc[:5])


@pytest.mark.slow
def test_prophet_recovers_weekly_pattern_and_covers(tmp_path: Path) -> None:
    history = weekly_series(161, 0.08)  # 23 weeks
    config = ForecastConfig(horizon=28, method="prophet", interval_width=0.8)
    fc = forecast_series(history, config, series="weekly", cache_dir=tmp_path)
    assert fc.method == "prophet" and fc.transform == "log"
    yhat = fc.forecast["yhat"].to_numpy()
    weekday = fc.forecast["ds"].dt.weekday.to_numpy()
    profile = np.array([yhat[weekday == d].mean() for d in range(7)])
    np.testing.assert_allclose(profile / profile.mean(), WEEKLY / WEEKLY.mean(), rtol=0.04)
    assert yhat.mean() == pytest.approx(100 * WEEKLY.mean(), rel=0.06)
    # fresh draws from the same process land inside the 80% interval about 80% of the time
    truth = 100 * WEEKLY[weekday]
    rng = np.random.default_rng(99)
    future = truth[None, :] * np.exp(rng.normal(0, 0.08, (200, 28)))
    inside = (future >= fc.forecast["yhat_lower"].to_numpy()) & (
        future <= fc.forecast["yhat_upper"].to_numpy()
    )
    assert 0.68 <= inside.mean() <= 0.95
    acc = fc.accuracy
    assert acc is not None and acc.method == "prophet" and len(acc.origins) == 3
    assert fc.baseline is not None and acc.mase < fc.baseline.mase


@pytest.mark.slow
def test_cache_hit_returns_without_refitting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    history = weekly_series(84, 0.1)
    config = ForecastConfig(horizon=7, method="prophet", backtest_origins=0)
    first = forecast_series(history, config, series="cached", cache_dir=tmp_path)
    assert not first.cached and len(list(tmp_path.glob("*.json"))) == 1

    def no_fit(*args: object, **kwargs: object) -> None:
        raise AssertionError("refitted despite a cached model")

    monkeypatch.setattr(prophet_model, "fit", no_fit)
    second = forecast_series(history, config, series="cached", cache_dir=tmp_path)
    assert second.cached and second.method == "prophet"
    pd.testing.assert_frame_equal(first.forecast, second.forecast)
    # new data is a new version: it refits (here: hits the patched fit) and replaces the old entry
    changed = history.assign(y=history["y"] * 1.01)
    with pytest.raises(AssertionError, match="refitted"):
        forecast_series(changed, config, series="cached", cache_dir=tmp_path)


def test_forecast_many_in_processes_keeps_order_and_reports_progress() -> None:
    frames: dict[str | None, pd.DataFrame] = {f"s{i}": weekly_series(30, 0.2, seed=i) for i in range(3)}
    seen: list[tuple[int, int, str | None]] = []
    results = forecast_many(
        frames,
        ForecastConfig(horizon=5),
        workers=2,
        progress=lambda done, total, key: seen.append((done, total, key)),
    )
    assert [r.series for r in results] == ["s0", "s1", "s2"]
    assert sorted(d for d, _, _ in seen) == [1, 2, 3] and {t for _, t, _ in seen} == {3}
    again = forecast_many(frames, ForecastConfig(horizon=5), workers=1)
    for a, b in zip(results, again, strict=True):
        pd.testing.assert_frame_equal(a.forecast, b.forecast)  # deterministic across processes
