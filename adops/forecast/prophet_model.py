"""Prophet, set up for daily ad metrics: built, fitted quietly, sampled, and (de)serialised.

The model sees the series on the model scale (log1p for non-negative metrics, so seasonality is
multiplicative and forecasts never go below zero). Prophet runs offline: its Stan model ships
compiled inside the wheel (cmdstanpy backend).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from prophet import Prophet

    from adops.forecast.options import ForecastConfig


def quiet() -> None:
    """Silence cmdstanpy and prophet chatter (prophet resets its logger level on import)."""
    import prophet  # noqa: F401 - import first so its own setLevel(INFO) runs before ours

    for name in ("cmdstanpy", "prophet", "prophet.models", "prophet.plot"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.ERROR)
        logger.propagate = False
        if not logger.handlers:  # cmdstanpy installs a chatty handler on a logger without one
            logger.addHandler(logging.NullHandler())


def build(config: ForecastConfig, history_days: int, years: tuple[int, int] | None = None) -> Prophet:
    """A Prophet with weekly seasonality, yearly from a year of history, holidays and changepoints.

    `years` limits the retail events to the years the model will see (history and forecast): the
    others never touch a fit or a forecast, but Prophet builds features for every row it is given
    (21 years of events made its holiday features the costliest part of a fit and a prediction).
    """
    quiet()
    from prophet import Prophet

    events = retail_events(config, years) if config.retail_events else None
    yearly: bool | int = config.yearly_order if history_days >= config.yearly_min_days else False
    model = Prophet(
        growth="linear",
        n_changepoints=config.n_changepoints,
        changepoint_range=config.changepoint_range,
        changepoint_prior_scale=config.changepoint_prior_scale,
        seasonality_prior_scale=config.seasonality_prior_scale,
        holidays_prior_scale=config.holidays_prior_scale,
        yearly_seasonality=yearly,
        weekly_seasonality=config.weekly_order,
        daily_seasonality=False,
        holidays=events if events is not None and not events.empty else None,
        interval_width=config.interval_width,
        uncertainty_samples=config.n_samples,
    )
    if config.country:
        model.add_country_holidays(country_name=config.country)
    return model


def fit(config: ForecastConfig, frame: pd.DataFrame) -> Prophet:
    """Fit on a frame of ds and y (already on the model scale)."""
    first, last = pd.Timestamp(frame["ds"].iloc[0]), pd.Timestamp(frame["ds"].iloc[-1])
    span = int((last - first).days) + 1
    until = last + pd.Timedelta(days=config.horizon + 366)  # the forecast's years, and a margin
    model = build(config, span, (first.year, until.year))
    model.fit(frame[["ds", "y"]])
    return model


def sample(model: Prophet, ds: pd.Series, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Point path (the MAP fit) and sample paths (n_samples, len(ds)) on the model scale."""
    future = pd.DataFrame({"ds": pd.to_datetime(ds).reset_index(drop=True)})
    n_samples = model.uncertainty_samples
    model.uncertainty_samples = 0  # the point forecast only; the draws come next, once
    try:
        point = model.predict(future)["yhat"].to_numpy(dtype=float)
    finally:
        model.uncertainty_samples = n_samples
    state = np.random.get_state()
    np.random.seed(seed)  # prophet draws from numpy's global generator
    try:
        draws = model.predictive_samples(future)["yhat"]
    finally:
        np.random.set_state(state)
    return point, np.asarray(draws, dtype=float).T


def changepoints(model: Prophet, threshold: float = 0.01) -> list[dict[str, Any]]:
    """The changepoints whose slope change is material, for charts: date and rate change."""
    deltas = np.asarray(model.params["delta"]).mean(axis=0)
    out = []
    points = list(model.changepoints) if model.changepoints is not None else []
    for ts, delta in zip(points, deltas, strict=False):
        if abs(delta) >= threshold:
            out.append({"ds": pd.Timestamp(ts).date().isoformat(), "delta": float(delta)})
    return out


def to_json(model: Prophet) -> str:
    from prophet.serialize import model_to_json

    return str(model_to_json(model))


def from_json(text: str) -> Prophet:
    quiet()
    from prophet.serialize import model_from_json

    return model_from_json(text)


def retail_events(config: ForecastConfig, years: tuple[int, int] | None = None) -> pd.DataFrame:
    """Ad-commerce peaks that no country calendar lists: Black Friday to Cyber Monday, Christmas run-up.

    Every year from `events_from` to `events_until`, or only those of them within `years`.
    """
    rows = []
    low, high = config.events_from, config.events_until
    if years is not None:
        low, high = max(low, years[0]), min(high, years[1])
    for year in range(low, high + 1):
        nov1 = date(year, 11, 1)
        thanksgiving = nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)
        rows.append(("black_friday", thanksgiving + timedelta(days=1), 0, 0))
        rows.append(("bfcm_weekend", thanksgiving + timedelta(days=2), 0, 1))
        rows.append(("cyber_monday", thanksgiving + timedelta(days=4), 0, 0))
        rows.append(("christmas_rush", date(year, 12, 15), 0, 8))
    return pd.DataFrame(
        {
            "holiday": [r[0] for r in rows],
            "ds": pd.to_datetime([r[1] for r in rows]),
            "lower_window": [r[2] for r in rows],
            "upper_window": [r[3] for r in rows],
        }
    )
