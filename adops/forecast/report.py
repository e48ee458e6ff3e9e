"""Tables and projections for pages and downloads: forecasts, accuracy, pacing, ROAS, budget changes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from adops.forecast.core import SeriesForecast
from adops.forecast.pacing import (
    BudgetOutcome,
    Pacing,
    Projection,
    ResponseCurve,
    actual_between,
    budget_outcome,
    pace,
    period_bounds,
    period_totals,
    project_ratio,
)


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


def roas_projection(spend: SeriesForecast, value: SeriesForecast, period: str) -> Projection | None:
    """ROAS (conversion value / spend) over the month or quarter of the first forecast day.

    Actuals to date plus both forecasts' sample paths, paired in draw order; the two series are
    drawn independently, so the interval is wider than it would be if their co-movement were
    modelled. None when either forecast ends before the period does.
    """
    first = spend.forecast["ds"].iloc[0].date()
    start, end = period_bounds(first, period)  # type: ignore[arg-type]
    if min(spend.forecast["ds"].iloc[-1].date(), value.forecast["ds"].iloc[-1].date()) < end:
        return None

    def to_date(result: SeriesForecast) -> float:
        return actual_between(result.history, start, first)

    def totals(result: SeriesForecast) -> np.ndarray:
        return period_totals(result.forecast, start, end, result.samples)

    return project_ratio(
        to_date(value), to_date(spend), totals(value), totals(spend), interval_width=spend.interval_width
    )


def budget_change(
    outcome: SeriesForecast, curve: ResponseCurve, current_daily_spend: float, new_daily_spend: float
) -> BudgetOutcome:
    """What moving the daily spend from `current` to `new` buys over the whole forecast horizon.

    `outcome` is the forecast of conversions or conversion value at today's spend; the response
    curve (from budget optimization) scales it by how much more or less the new spend yields.
    """
    first, last = (d.date() for d in outcome.forecast["ds"].iloc[[0, -1]])
    totals = period_totals(outcome.forecast, first, last, outcome.samples)
    return budget_outcome(
        curve, current_daily_spend, new_daily_spend, totals, interval_width=outcome.interval_width
    )
