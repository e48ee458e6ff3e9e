"""The fast paths keep the answers: a group's method chosen on a sample of its series, ETS fits
warm-started from the previous origin, Prophet given only the years of retail events it sees, one
persistent process pool; and the pooled per-week interval calibration with its held-out readout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adops.forecast import ForecastConfig, baselines, forecast_many, pool, prophet_model
from adops.forecast import backtest as bt

WEEKLY = np.array([1.0, 1.1, 1.2, 1.15, 1.0, 0.7, 0.6])


def series(days: int, seed: int, noise: float = 0.2) -> pd.DataFrame:
    ds = pd.date_range("2026-01-05", periods=days, freq="D")
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"ds": ds, "y": 100 * WEEKLY[ds.weekday] * np.exp(rng.normal(0, noise, days))})


def test_a_large_group_chooses_on_a_fixed_sample_and_backtests_the_rest_with_the_choice(
    tmp_path: Path,
) -> None:
    # an exact weekly repeat: seasonal naive wins, so the series outside the sample need only its backtest
    frames: dict[str | None, pd.DataFrame] = {f"s{i}": series(42, i, noise=0.0) for i in range(5)}
    config = ForecastConfig(horizon=7, choice_sample=2)
    results = forecast_many(frames, config, workers=1, cache=tmp_path)
    assert {r.method for r in results} == {"snaive"}
    judged = [r.series for r in results if set(r.backtests) == {"snaive", "ets"}]
    assert len(judged) == 2 and all(set(r.backtests) == {"snaive"} for r in results if r.series not in judged)
    # the same sample on every run (by name), so a rerun reads every backtest from the cache
    again = forecast_many(frames, config, workers=1, cache=tmp_path)
    assert all(r.cached for r in again) and [r.method for r in again] == [r.method for r in results]
    assert [r.series for r in again if set(r.backtests) == {"snaive", "ets"}] == judged
    # a group no larger than its sample is judged on all its series, as before (the other tests)


def test_the_choice_sample_must_be_positive() -> None:
    with pytest.raises(ValueError, match="choice_sample"):
        ForecastConfig(choice_sample=0)


def test_a_warm_started_ets_fit_reaches_the_cold_fit() -> None:
    y = np.log1p(series(400, 3, noise=0.1)["y"].to_numpy())
    rng = np.random.default_rng
    earlier = baselines.ets(y[:-14], 28, 50, rng(1))
    cold = baselines.ets(y, 28, 50, rng(1))
    warm = baselines.ets(y, 28, 50, rng(1), start=earlier.params)
    assert earlier.params is not None and warm.params is not None
    np.testing.assert_allclose(warm.yhat, cold.yhat, atol=0.02)
    # a start of another shape (another model) is ignored, not an error
    odd = baselines.ets(y, 28, 50, rng(1), start=(0.5, 0.1))
    np.testing.assert_allclose(odd.yhat, cold.yhat)


def test_a_filtered_ets_keeps_its_parameters_and_a_refit_moves_them() -> None:
    y = np.log1p(series(150, 4, noise=0.1)["y"].to_numpy())
    rng = np.random.default_rng
    for fit in (baselines.ets, baselines.reverting):
        earlier = fit(y[:-14], 28, 50, rng(1))
        assert earlier.params is not None
        filtered = fit(y, 28, 50, rng(1), start=earlier.params, refit=False)
        refitted = fit(y, 28, 50, rng(1), start=earlier.params)
        assert filtered.params == earlier.params and refitted.params != earlier.params
        # the filter still sees the 14 new days: its forecast starts from them, close to a refit's
        assert np.all(np.isfinite(filtered.samples))
        assert np.max(np.abs(filtered.yhat - refitted.yhat)) < 0.25
        assert np.max(np.abs(filtered.yhat - earlier.yhat[: len(filtered.yhat)])) > 0
        # without a start there is nothing to filter with: it fits
        assert fit(y, 28, 50, rng(1), refit=False).params == fit(y, 28, 50, rng(1)).params


def test_outside_the_choice_sample_ets_is_fitted_once_per_backtest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames: dict[str | None, pd.DataFrame] = {f"s{i}": series(120, 10 + i, noise=0.15) for i in range(4)}
    config = ForecastConfig(horizon=14, method="reverting", choice_sample=1)
    calls: list[bool] = []
    real = baselines._ets_fit

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(bool(kwargs.get("refit", True)) or kwargs.get("start") is None)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(baselines, "_ets_fit", spy)
    results = forecast_many(frames, config, workers=1, cache=tmp_path)
    origins = len(results[0].backtests["reverting"].origins)
    assert origins == 3 and all(r.method == "reverting" for r in results)
    # the sampled series: a fit at each origin and the final one; the other three: one fit per
    # backtest (its first origin), the later origins filtered, and the final fit
    assert calls.count(True) == (origins + 1) + 3 * 2 and calls.count(False) == 3 * (origins - 1)
    # each still has a full backtest and calibrated band
    assert all(r.accuracy is not None and r.accuracy.points == origins * 14 for r in results)


@pytest.mark.slow
def test_retail_events_outside_the_seen_years_change_nothing() -> None:
    frame = series(200, 4, noise=0.05)
    frame = frame.assign(y=np.log1p(frame["y"]))
    config = ForecastConfig(horizon=28)
    trimmed = prophet_model.fit(config, frame)
    assert trimmed.holidays is not None and set(trimmed.holidays["ds"].dt.year) == {2026, 2027}
    whole = prophet_model.build(config, 200)
    assert whole.holidays is not None and len(whole.holidays) > 4 * len(trimmed.holidays)
    whole.fit(frame)
    for name in ("k", "m", "delta", "beta"):
        np.testing.assert_allclose(trimmed.params[name], whole.params[name], rtol=1e-6, atol=1e-9)
    # no event in the seen years: no holidays at all rather than an empty table
    assert prophet_model.build(config, 200, (1990, 1991)).holidays is None


def test_calibration_curve_pools_series_per_week_and_never_narrows() -> None:
    rng = np.random.default_rng(0)
    # ratios growing with the horizon: week 1 needs no widening, week 4 about 2x
    blocks = [np.abs(rng.normal(0, 1, (3, 28))) * np.linspace(0.5, 1.6, 28)[None, :] for _ in range(6)]
    curve = bt.calibration_curve(blocks, 0.8, 35)
    assert curve.shape == (35,)
    assert curve[0] == 1.0  # never narrows
    assert np.all(np.diff(curve) >= 0)  # never narrower further out
    assert curve[27] == pytest.approx(np.quantile(np.concatenate([b[:, 21:28] for b in blocks]), 0.8))
    assert (curve[28:] == curve[27]).all()  # beyond the backtest's horizon: its last week's factor
    assert (bt.calibration_curve([], 0.8, 5) == 1).all()
    assert (bt.calibration_curve([np.full((1, 5), 3.0)], 0.8, 5) == 1).all()  # too few points: no evidence
    with_nan = blocks[0].copy()
    with_nan[0, :] = np.nan
    assert bt.covered(with_nan, curve).size == 2 * 28  # a ratio that could not be taken is not counted


def test_the_readout_is_the_calibrated_coverage_held_out(tmp_path: Path) -> None:
    frames: dict[str | None, pd.DataFrame] = {f"s{i}": series(40, 10 + i, noise=0.35) for i in range(3)}
    results = forecast_many(frames, ForecastConfig(horizon=7), workers=1, cache=False)
    for r in results:
        acc = r.accuracy
        assert acc is not None and acc.raw_coverage is not None
        assert acc.to_dict()["raw_coverage"] == acc.raw_coverage
        others = [x.backtests[x.method].ratio_matrix() for x in results if x is not r]
        block = acc.ratio_matrix()
        inside = []
        for o in range(block.shape[0]):  # the other series' curve, and its own factor without origin o
            held = np.maximum(
                bt.calibration_curve(others, 0.8, 7), bt.factor(np.delete(block, o, axis=0), 0.8)
            )
            inside.append(bt.covered(block[o : o + 1], held))
        assert acc.coverage == pytest.approx(np.mean(np.concatenate(inside)))
        # the band itself: the larger of the group's curve and the series' own factor
        assert r.calibration >= max(1.0, bt.calibration(acc, 0.8)) - 1e-12
    uncalibrated = forecast_many(frames, ForecastConfig(horizon=7, calibrate=False), workers=1, cache=False)
    for a, b in zip(results, uncalibrated, strict=True):
        assert b.accuracy is not None and b.accuracy.raw_coverage is None
        width = (a.forecast["yhat_upper"] - a.forecast["yhat_lower"]).to_numpy()
        assert (width >= (b.forecast["yhat_upper"] - b.forecast["yhat_lower"]).to_numpy() - 1e-9).all()


def test_a_kept_pool_serves_every_call_and_none_is_kept_unasked(monkeypatch: pytest.MonkeyPatch) -> None:
    frames: dict[str | None, pd.DataFrame] = {f"s{i}": series(30, i) for i in range(2)}
    assert pool.kept() is None and not pool.keeping()  # without one, a call uses a pool of its own
    alone = forecast_many(frames, ForecastConfig(horizon=5), workers=2, cache=False)
    assert pool.kept() is None
    pool.keep()  # as `adops serve` does at start: the first forecast starts the pool, the rest reuse it
    try:
        forecast_many(frames, ForecastConfig(horizon=5), workers=2, cache=False)
        first = pool.kept()
        assert first is not None
        made: list[int] = []
        monkeypatch.setattr(pool, "scoped", lambda workers: made.append(workers))  # must not be used
        kept = forecast_many(frames, ForecastConfig(horizon=5), workers=2, cache=False)
        forecast_many(frames, ForecastConfig(horizon=5), workers=2, cache=False)
        assert pool.kept() is first and made == []
        for a, b in zip(alone, kept, strict=True):
            pd.testing.assert_frame_equal(a.forecast, b.forecast)
    finally:
        pool.shutdown()
    assert pool.kept() is None and not pool.keeping()
