"""Forecast one series or many: pick the method by backtest, fit, sample, calibrate, cache.

    from adops.forecast import ForecastConfig, forecast_many
    results = forecast_many({"meta": frame_a, "google_ads": frame_b}, ForecastConfig(horizon=28))

A series is a frame with `ds` (a day) and `y`. Series of at least `short_days` days get Prophet,
ETS, their equal-weight combination, mean-reverting ETS and seasonal naive, scored by a
rolling-origin backtest at the requested horizon; shorter ones get seasonal naive and ETS. When the
caller also gives a series' parts (its campaigns' daily spend and metric), the bottom-up regime
model (`regimes`) and its combination with mean-reverting ETS are candidates too. The method with the lowest backtest
MASE makes the forecast; its backtest also calibrates the interval. Every result carries the
backtests (and the seasonal-naive baseline's) so accuracy is shown beside the forecast.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, fields
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from adops.forecast import backtest as bt
from adops.forecast import baselines, regimes
from adops.forecast.cache import ModelCache

Method = Literal[
    "auto", "prophet", "ets", "reverting", "snaive", "prophet+ets", "regimes", "regimes+reverting"
]
METHODS = ("auto", "prophet", "ets", "reverting", "snaive", "prophet+ets", "regimes", "regimes+reverting")
# equal-weight combinations and their members
ENSEMBLES = {"prophet+ets": ("prophet", "ets"), "regimes+reverting": ("regimes", "reverting")}
SIMPLICITY = ("snaive", "ets", "reverting", "regimes", "regimes+reverting", "prophet+ets", "prophet")
NEEDS_PARTS = ("regimes", "regimes+reverting")
Progress = Callable[[int, int, "str | None"], None]

MIN_DAYS = 14
CACHE_VERSION = 3  # 2: the mean-reverting ETS candidate; 3: the bottom-up regime candidates


@dataclass(frozen=True)
class ForecastConfig:
    """What to forecast and how; every field that changes a fit is part of the cache key."""

    horizon: int = 28
    interval_width: float = 0.8
    method: Method = "auto"
    transform: Literal["auto", "log", "none"] = "auto"  # auto: log1p when the series has no negatives
    country: str | None = None  # prophet's add_country_holidays, e.g. "US", "DE"
    retail_events: bool = True  # Black Friday, Cyber Monday, Christmas run-up
    weekly_order: int = 3
    yearly_order: int = 6
    yearly_min_days: int = 730  # measured: with less, yearly terms soak up trend and hurt 28-day accuracy
    n_changepoints: int = 25
    changepoint_range: float = 0.9
    changepoint_prior_scale: float = 0.05
    seasonality_prior_scale: float = 10.0
    holidays_prior_scale: float = 10.0
    n_samples: int = 500
    short_days: int = 56  # below this: seasonal naive and ETS only
    backtest_origins: int = 3
    backtest_period: int | None = None  # days between origins; default half the horizon (as prophet's)
    simpler_within: float = 0.0  # >0: take a simpler method whose backtest MASE is this close to the best
    calibrate: bool = True
    events_from: int = 2015
    events_until: int = 2035

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise ValueError("horizon must be at least 1 day")
        if not 0 < self.interval_width < 1:
            raise ValueError("interval width must be strictly between 0 and 1")
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}")

    def key(self) -> str:
        """A stable digest of the settings."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class SeriesForecast:
    """One series' forecast with its accuracy record."""

    series: str | None
    method: str
    interval_width: float
    forecast: pd.DataFrame  # ds, yhat, yhat_lower, yhat_upper (original scale)
    samples: np.ndarray  # (n_samples, horizon) sample paths, original scale: for totals and pacing
    history: pd.DataFrame  # ds, y as given
    backtests: dict[str, bt.Backtest] = field(default_factory=dict)
    calibration: float = 1.0
    changepoints: list[dict[str, Any]] = field(default_factory=list)
    transform: str = "none"
    cached: bool = False

    @property
    def accuracy(self) -> bt.Backtest | None:
        """The backtest of the method that made this forecast."""
        return self.backtests.get(self.method)

    @property
    def baseline(self) -> bt.Backtest | None:
        """Seasonal naive at the same origins: the bar every method must clear."""
        return self.backtests.get("snaive")

    def records(self) -> list[dict[str, Any]]:
        """The forecast rows as in `adops forecast --json`."""
        return [
            {
                "series": self.series,
                "ds": d.date().isoformat(),
                "yhat": float(a),
                "yhat_lower": float(b),
                "yhat_upper": float(c),
            }
            for d, a, b, c in zip(
                self.forecast["ds"],
                self.forecast["yhat"],
                self.forecast["yhat_lower"],
                self.forecast["yhat_upper"],
                strict=True,
            )
        ]

    def summary(self) -> dict[str, Any]:
        acc, base = self.accuracy, self.baseline
        return {
            "series": self.series,
            "method": self.method,
            "transform": self.transform,
            "calibration": self.calibration,
            "backtest": acc.to_dict() if acc else None,
            "baseline_mase": base.mase if base else None,
        }


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Check and normalise one series: ds as midnight timestamps, y as float, sorted, unique days."""
    if not {"ds", "y"} <= set(frame.columns):
        raise ValueError("a series needs columns ds and y")
    out = pd.DataFrame(
        {"ds": pd.to_datetime(frame["ds"]).dt.normalize(), "y": pd.to_numeric(frame["y"]).astype(float)}
    )
    if out["ds"].isna().any() or not np.all(np.isfinite(out["y"].to_numpy())):
        raise ValueError("ds and y must be complete and finite")
    if out["ds"].duplicated().any():
        raise ValueError(f"duplicate day {out.loc[out['ds'].duplicated(), 'ds'].iloc[0].date()}")
    out = out.sort_values("ds", ignore_index=True)
    if len(out) < MIN_DAYS:
        raise ValueError(f"{len(out)} rows; at least {MIN_DAYS} days are needed")
    return out


def forecast_series(
    history: pd.DataFrame,
    config: ForecastConfig | None = None,
    series: str | None = None,
    cache_dir: Path | None = None,
    parts: pd.DataFrame | None = None,
) -> SeriesForecast:
    """Forecast one series `config.horizon` days past its last day (in this process)."""
    config = config or ForecastConfig()
    return _forecast(prepare(history), config, series, cache_dir, _prepare_parts(parts))


def forecast_many(
    frames: Mapping[str | None, pd.DataFrame],
    config: ForecastConfig | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    cache: bool | Path = True,
    parts: Mapping[str | None, pd.DataFrame] | None = None,
) -> list[SeriesForecast]:
    """Forecast many series in parallel processes (at most one per core), in the input order.

    `parts` optionally gives a series' parts as a long frame of `ds`, `part`, `spend` and `y` (its
    campaigns' daily spend and the same metric as the series), which adds the bottom-up regime
    candidates. `progress(done, total, series)` is called as each series finishes. Fitted models
    are cached under `$ADOPS_HOME/cache/forecast/` (or the folder `cache` names) unless `cache` is
    False.
    """
    config = config or ForecastConfig()
    prepared = {key: prepare(frame) for key, frame in frames.items()}
    split = {key: _prepare_parts((parts or {}).get(key)) for key in prepared}
    cache_dir = Path(cache) if isinstance(cache, Path) else default_cache_dir() if cache else None
    total = len(prepared)
    workers = max(1, min(workers or os.cpu_count() or 1, os.cpu_count() or 1, total))
    results: dict[str | None, SeriesForecast] = {}
    if workers == 1 or total == 1:
        for done, (key, frame) in enumerate(prepared.items(), start=1):
            results[key] = _forecast(frame, config, key, cache_dir, split[key])
            if progress:
                progress(done, total, key)
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
            futures = {
                pool.submit(_forecast, frame, config, key, cache_dir, split[key]): key
                for key, frame in prepared.items()
            }
            for done, future in enumerate(as_completed(futures), start=1):
                key = futures[future]
                results[key] = future.result()
                if progress:
                    progress(done, total, key)
    return [results[key] for key in prepared]


def _prepare_parts(parts: pd.DataFrame | None) -> pd.DataFrame | None:
    if parts is None or parts.empty:
        return None
    if not {"ds", "part", "spend", "y"} <= set(parts.columns):
        raise ValueError("parts need columns ds, part, spend and y")
    out = parts[["ds", "part", "spend", "y"]].copy()
    out["ds"] = pd.to_datetime(out["ds"]).dt.normalize()
    out["part"] = out["part"].astype(str)
    return out.sort_values(["part", "ds"], ignore_index=True)


def _context() -> BaseContext:
    """fork when this process has one thread (fast: workers inherit the imports), else forkserver.

    Forking a threaded process (Streamlit, the sidecar) can deadlock; the fork server is started
    with the heavy imports preloaded so its workers start warm too.
    """
    if threading.active_count() == 1 and "fork" in get_all_start_methods():
        return get_context("fork")
    ctx = get_context("forkserver")
    ctx.set_forkserver_preload(
        [
            "adops.forecast.core",
            "adops.forecast.prophet_model",
            "prophet",
            "statsmodels.tsa.exponential_smoothing.ets",
        ]
    )
    return ctx


def default_cache_dir() -> Path:
    from adops import config as adops_config

    return adops_config.home() / "cache" / "forecast"


# ---------------------------------------------------------------------------- internals


@dataclass(frozen=True)
class _Transform:
    kind: str

    def forward(self, y: np.ndarray) -> np.ndarray:
        return np.log1p(y) if self.kind == "log" else np.asarray(y, dtype=float)

    def inverse(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(np.expm1(np.minimum(x, 700.0)), 0.0) if self.kind == "log" else np.asarray(x, float)


def _forecast(
    history: pd.DataFrame,
    config: ForecastConfig,
    series: str | None,
    cache_dir: Path | None,
    parts_frame: pd.DataFrame | None = None,
) -> SeriesForecast:
    nonneg = bool((history["y"] >= 0).all())
    kind = "log" if config.transform == "log" or (config.transform == "auto" and nonneg) else "none"
    if kind == "log" and not nonneg:
        raise ValueError("the log transform needs a series without negative values")
    tf = _Transform(kind)
    digest = hashlib.sha256(
        history["ds"].dt.strftime("%Y-%m-%d").str.cat(sep=",").encode()
        + history["y"].to_numpy(dtype=float).tobytes()
    )
    if parts_frame is not None:
        digest.update(pd.util.hash_pandas_object(parts_frame, index=False).to_numpy().tobytes())
    data_hash = digest.hexdigest()[:16]
    seed = int(hashlib.sha256(f"{series}|{data_hash}".encode()).hexdigest()[:8], 16)
    entry_key = f"{data_hash}-{config.key()}-v{CACHE_VERSION}"
    cache = ModelCache(cache_dir) if cache_dir else None

    # a regular daily grid for the baselines and the scoring (gaps interpolated)
    grid = history.set_index("ds")["y"].asfreq("D").interpolate(limit_direction="both")
    ds, y = pd.DatetimeIndex(grid.index), grid.to_numpy(dtype=float)
    y_model = tf.forward(y)
    fit_frame = pd.DataFrame({"ds": history["ds"], "y": tf.forward(history["y"].to_numpy(dtype=float))})
    future = pd.date_range(ds[-1] + pd.Timedelta(days=1), periods=config.horizon, freq="D")
    short = len(ds) < config.short_days
    parts = regimes.Parts.from_frame(parts_frame, ds) if parts_frame is not None else None

    entry = cache.get(series, entry_key) if cache else None
    model: Any = None
    if entry is not None:
        method = entry["method"]
        backtests = {k: bt.Backtest(**v) for k, v in entry["backtests"].items()}
        factor = float(entry["calibration"])
        if entry.get("model"):
            from adops.forecast import prophet_model

            model = prophet_model.from_json(entry["model"])
    else:
        candidates = _candidates(config.method, short, parts is not None)
        if "prophet" in candidates or "prophet+ets" in candidates:
            from adops.forecast import prophet_model

            model = prophet_model.fit(config, fit_frame)
        backtests = _backtests(candidates, model, config, y_model, y, ds, short, seed, tf, parts)
        method = _choose(config, candidates, backtests, short)
        if method not in ("prophet", "prophet+ets"):
            model = None
        factor = bt.calibration(backtests.get(method), config.interval_width) if config.calibrate else 1.0
        if cache:
            from adops.forecast import prophet_model

            cache.put(
                series,
                entry_key,
                {
                    "method": method,
                    "backtests": {k: asdict(v) for k, v in backtests.items()},
                    "calibration": factor,
                    "model": prophet_model.to_json(model) if model is not None else None,
                },
            )

    point, samples, method = _draw(
        method, model, y_model, future, config, seed, _drawers(config, y, tf, parts)
    )
    samples = point[None, :] + factor * (samples - point[None, :])
    lo_q, hi_q = (1 - config.interval_width) / 2, (1 + config.interval_width) / 2
    yhat = tf.inverse(point)
    lower = np.minimum(tf.inverse(np.quantile(samples, lo_q, axis=0)), yhat)
    upper = np.maximum(tf.inverse(np.quantile(samples, hi_q, axis=0)), yhat)
    frame = pd.DataFrame({"ds": future, "yhat": yhat, "yhat_lower": lower, "yhat_upper": upper})
    changepoints: list[dict[str, Any]] = []
    if model is not None:
        from adops.forecast import prophet_model

        changepoints = prophet_model.changepoints(model)
    return SeriesForecast(
        series=series,
        method=method,
        interval_width=config.interval_width,
        forecast=frame,
        samples=tf.inverse(samples),
        history=history,
        backtests=backtests,
        calibration=factor,
        changepoints=changepoints,
        transform=kind,
        cached=entry is not None,
    )


def _candidates(method: Method, short: bool, has_parts: bool = False) -> list[str]:
    if method == "auto":
        if short:
            return ["snaive", "ets"]
        bottom_up = list(NEEDS_PARTS) if has_parts else []
        return ["prophet", "prophet+ets", "ets", "reverting", *bottom_up, "snaive"]
    if method in NEEDS_PARTS and not has_parts:
        raise ValueError(f"method {method!r} needs the series' parts (its campaigns' spend)")
    if method in ("prophet", "prophet+ets", "reverting", *NEEDS_PARTS) and short:
        return ["snaive", "ets"]  # too little history for seasonality, trend or regimes
    return [method]


def _drawers(
    config: ForecastConfig, y: np.ndarray, tf: _Transform, parts: regimes.Parts | None
) -> dict[str, bt.Drawer]:
    """The sample-path methods other than Prophet, each refittable on a prefix of the series."""
    out = {name: _baseline_drawer(name, config.n_samples) for name in ("snaive", "ets", "reverting")}
    if parts is not None:
        whole = parts

        def draw_regimes(y_model: np.ndarray, horizon: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
            n = len(y_model)
            point, paths = regimes.forecast(
                whole.until(n), y[:n], horizon, config.n_samples, np.random.default_rng(seed)
            )
            return tf.forward(point), tf.forward(paths)

        out["regimes"] = draw_regimes
    return out


def _backtests(
    candidates: list[str],
    model: Any,
    config: ForecastConfig,
    y_model: np.ndarray,
    y: np.ndarray,
    ds: pd.DatetimeIndex,
    short: bool,
    seed: int,
    tf: _Transform,
    parts: regimes.Parts | None = None,
) -> dict[str, bt.Backtest]:
    """Score every candidate and the seasonal-naive baseline at the same rolling origins."""
    n = len(y)
    if short:
        horizon = min(config.horizon, max(7, n // 4))
        origins = bt.cutoffs(n, horizon, config.backtest_origins, min_train=MIN_DAYS, period=7)
    else:
        horizon = config.horizon
        period = config.backtest_period or max(7, horizon // 2)
        origins = bt.cutoffs(
            n, horizon, config.backtest_origins, min_train=max(28, config.short_days // 2), period=period
        )
    if not origins:
        return {}
    out: dict[str, bt.Backtest] = {}
    preds: dict[str, bt.Predictions] = {}
    w = config.interval_width
    drawers = _drawers(config, y, tf, parts)
    needed = ["snaive"]
    for name in candidates:
        needed += list(ENSEMBLES.get(name, (name,)))
    for name in dict.fromkeys(needed):
        if name == "prophet":
            out[name], preds[name] = bt.run_prophet(
                model, y_model, y, ds, origins, horizon, w, seed, tf.inverse
            )
        else:
            out[name], preds[name] = bt.run_drawer(
                name, drawers[name], y_model, y, ds, origins, horizon, w, seed, tf.inverse
            )
    for name, members in ENSEMBLES.items():
        if name in candidates:
            combined = bt.combine([preds[m] for m in members])
            out[name] = bt.score(name, y, origins, horizon, w, combined, ds, tf.inverse)
    return out


def _choose(
    config: ForecastConfig, candidates: list[str], backtests: dict[str, bt.Backtest], short: bool
) -> str:
    """The lowest backtest MASE; with `simpler_within` > 0, the simplest candidate that close to it.

    Measured on the benchmark series, a 10% preference for simpler models cost 2-4 points of MASE
    (seasonal naive, the simplest, is rarely the better forecast at 28 days), so it is off by default.
    """
    scored = [c for c in candidates if c in backtests]
    if not scored:
        return "snaive" if short or config.method == "snaive" else candidates[0]
    best = min(backtests[c].mase for c in scored)
    ok = [c for c in scored if backtests[c].mase <= best * (1 + config.simpler_within)]
    return min(ok, key=lambda c: (SIMPLICITY.index(c), backtests[c].mase))


def _baseline_drawer(name: str, n_samples: int) -> bt.Drawer:
    def draw(y_model: np.ndarray, horizon: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        if name in ("ets", "reverting"):
            fit = baselines.ets if name == "ets" else baselines.reverting
            try:
                d = fit(y_model, horizon, n_samples, rng)
                return d.yhat, d.samples
            except ValueError:
                pass
        d = baselines.seasonal_naive(y_model, horizon, n_samples, rng)
        return d.yhat, d.samples

    return draw


def _draw(
    method: str,
    model: Any,
    y_model: np.ndarray,
    future: pd.DatetimeIndex,
    config: ForecastConfig,
    seed: int,
    drawers: dict[str, bt.Drawer],
) -> tuple[np.ndarray, np.ndarray, str]:
    """Point and sample paths on the model scale for the chosen method (ETS falls back to naive)."""
    if method in ENSEMBLES:
        drawn = [_draw(m, model, y_model, future, config, seed, drawers) for m in ENSEMBLES[method]]
        return np.mean([d[0] for d in drawn], axis=0), np.mean([d[1] for d in drawn], axis=0), method
    if method == "prophet":
        from adops.forecast import prophet_model

        point, samples = prophet_model.sample(model, pd.Series(future), seed)
        return point, samples, method
    if method in ("ets", "reverting"):
        fit = baselines.ets if method == "ets" else baselines.reverting
        try:
            d = fit(y_model, config.horizon, config.n_samples, np.random.default_rng(seed))
            return d.yhat, d.samples, method
        except ValueError:
            method = "snaive"
    if method in drawers and method != "snaive":
        point, samples = drawers[method](y_model, config.horizon, seed)
        return point, samples, method
    d = baselines.seasonal_naive(y_model, config.horizon, config.n_samples, np.random.default_rng(seed))
    return d.yhat, d.samples, "snaive"
