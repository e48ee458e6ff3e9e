"""Forecasting: one model per series (Prophet, with ETS and seasonal-naive fallbacks), rolling-origin
backtests beside every forecast, calibrated intervals, and pacing / ROAS projections over the draws.

    from adops.forecast import ForecastConfig, forecast_many, pace
    [fc] = forecast_many({"spend": frame}, ForecastConfig(horizon=45, country="US"))
    fc.forecast            # ds, yhat, yhat_lower, yhat_upper
    fc.accuracy            # MASE, sMAPE, coverage of the method used, at the same horizon

The names below are imported on first use (`adops.lazy`): `adops forecast --help` does not load
pandas or Prophet.
"""

from typing import TYPE_CHECKING

from adops.lazy import export_lazily

if TYPE_CHECKING:
    from adops.forecast.backtest import Backtest
    from adops.forecast.core import (
        MIN_DAYS,
        SeriesForecast,
        default_cache_dir,
        forecast_many,
        forecast_series,
        prepare,
    )
    from adops.forecast.data import METRICS, daily_parts, daily_series
    from adops.forecast.jobs import ForecastScope
    from adops.forecast.metrics import coverage, mase, seasonal_naive_scale, smape
    from adops.forecast.options import ForecastConfig
    from adops.forecast.pacing import (
        BudgetOutcome,
        Pacing,
        Projection,
        budget_outcome,
        pace,
        period_bounds,
        period_totals,
        project_ratio,
    )
    from adops.forecast.report import accuracy_table, forecast_table, period_pacing

__all__ = [
    "METRICS",
    "MIN_DAYS",
    "Backtest",
    "BudgetOutcome",
    "Pacing",
    "Projection",
    "ForecastConfig",
    "ForecastScope",
    "SeriesForecast",
    "budget_outcome",
    "accuracy_table",
    "coverage",
    "daily_parts",
    "daily_series",
    "default_cache_dir",
    "forecast_many",
    "forecast_series",
    "forecast_table",
    "mase",
    "pace",
    "period_bounds",
    "period_pacing",
    "period_totals",
    "prepare",
    "project_ratio",
    "seasonal_naive_scale",
    "smape",
]

export_lazily(
    __name__,
    {
        "backtest": ["Backtest"],
        "core": [
            "MIN_DAYS",
            "SeriesForecast",
            "default_cache_dir",
            "forecast_many",
            "forecast_series",
            "prepare",
        ],
        "data": ["METRICS", "daily_parts", "daily_series"],
        "jobs": ["ForecastScope"],
        "metrics": ["coverage", "mase", "seasonal_naive_scale", "smape"],
        "options": ["ForecastConfig"],
        "pacing": [
            "BudgetOutcome",
            "Pacing",
            "Projection",
            "budget_outcome",
            "pace",
            "period_bounds",
            "period_totals",
            "project_ratio",
        ],
        "report": ["accuracy_table", "forecast_table", "period_pacing"],
    },
)
