"""Tables for pages and downloads: forecasts, accuracy and pacing as plain DataFrames."""

from __future__ import annotations

import pandas as pd

from adops.forecast.core import SeriesForecast
from adops.forecast.pacing import Pacing, pace, period_bounds


def forecast_table(results: list[SeriesForecast]) -> pd.DataFrame:
    """Every series' forecast rows, as `adops forecast --json` prints them."""
    rows = [row for r in results for row in r.records()]
    return pd.DataFrame(rows, columns=["series", "ds", "yhat", "yhat_lower", "yhat_upper"])


def accuracy_table(result: SeriesForecast) -> pd.DataFrame:
    """One row per backtested method: MASE, sMAPE, coverage; the chosen one first."""
    rows = [
        {
            "method": b.method,
            "chosen": b.method == result.method,
            "mase": b.mase,
            "smape": b.smape,
            "coverage": b.coverage,
            "origins": len(b.origins),
            "horizon": b.horizon,
        }
        for b in result.backtests.values()
    ]
    frame = pd.DataFrame(
        rows, columns=["method", "chosen", "mase", "smape", "coverage", "origins", "horizon"]
    )
    return frame.sort_values(["chosen", "mase"], ascending=[False, True], ignore_index=True)


def period_pacing(result: SeriesForecast, period: str, budget: float | None = None) -> Pacing | None:
    """Month- or quarter-end pacing of one forecast, or None when the horizon ends before the period."""
    first = result.forecast["ds"].iloc[0].date()
    _, end = period_bounds(first, period)  # type: ignore[arg-type]
    if result.forecast["ds"].iloc[-1].date() < end:
        return None
    return pace(
        result.history,
        result.forecast,
        budget=budget,
        period=period,  # type: ignore[arg-type]
        samples=result.samples,
        interval_width=result.interval_width,
    )
