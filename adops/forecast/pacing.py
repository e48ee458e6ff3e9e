"""Pacing and projections: where a month or quarter will land against its budget, and ROAS ahead.

Pure functions over forecast frames (ds, yhat, yhat_lower, yhat_upper) and, when available, the
sample paths behind them (`SeriesForecast.samples`). A period total is a sum over days, whose
spread is not the sum of the daily intervals, so totals come from the paths; without paths the
daily intervals are turned into a normal approximation with an assumed day-to-day correlation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Literal, Protocol

import numpy as np
import pandas as pd

Period = Literal["month", "quarter"]


@dataclass(frozen=True)
class Pacing:
    """A period's projected total against its budget."""

    period: str
    start: str
    end: str
    actual_to_date: float
    projected_total: float  # median of the simulated totals
    lower: float
    upper: float
    interval_width: float
    budget: float | None
    projected_vs_budget: float | None  # projected_total / budget - 1
    prob_over_budget: float | None
    days_elapsed: int
    days_remaining: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Projection:
    """A ratio (ROAS, CPA, ROI) over a period, with its interval."""

    value: float
    lower: float
    upper: float
    interval_width: float


@dataclass(frozen=True)
class BudgetOutcome:
    """What a new daily budget buys over a period, from a response curve applied to the forecast."""

    current_total: float  # the outcome forecast at today's spend (median of the totals)
    new_total: float
    lower: float
    upper: float
    change: float  # new_total - current_total
    interval_width: float
    extrapolated: bool  # the new spend lies outside the spend the curve was fitted on


class ResponseCurve(Protocol):
    """Expected daily outcome at a daily spend (e.g. `adops.optimize.CurveFit`)."""

    observed_min: float
    observed_max: float

    def value(self, x: np.ndarray | float) -> np.ndarray: ...

    def boot_value(self, x: np.ndarray | float) -> np.ndarray: ...


def budget_outcome(
    curve: ResponseCurve,
    current_daily_spend: float,
    new_daily_spend: float,
    outcome_totals: np.ndarray,
    interval_width: float = 0.8,
    seed: int = 0,
) -> BudgetOutcome:
    """Scale the forecast outcome totals by the curve's response ratio new/current spend.

    The forecast carries seasonality and trend at today's spend; the curve says how much more (or
    less) the same days yield at another spend. Curve uncertainty (its bootstrap draws) and forecast
    uncertainty (`outcome_totals`, e.g. from `period_totals`) are combined by pairing draws at random.
    """
    if current_daily_spend <= 0 or new_daily_spend < 0:
        raise ValueError("spend must be positive (the new spend may be zero)")
    totals = np.asarray(outcome_totals, dtype=float)
    base_now = float(np.asarray(curve.value(current_daily_spend)))
    if base_now <= 0:
        raise ValueError("the response curve gives no outcome at the current spend")
    boot_now = np.asarray(curve.boot_value(current_daily_spend), dtype=float).ravel()
    boot_new = np.asarray(curve.boot_value(new_daily_spend), dtype=float).ravel()
    if boot_now.size and boot_now.size == boot_new.size and np.all(boot_now > 0):
        ratios = boot_new / boot_now
    else:
        ratios = np.array([float(np.asarray(curve.value(new_daily_spend))) / base_now])
    rng = np.random.default_rng(seed)
    new = totals * rng.choice(ratios, size=totals.size)
    lo_q, hi_q = (1 - interval_width) / 2, (1 + interval_width) / 2
    current, projected = float(np.median(totals)), float(np.median(new))
    return BudgetOutcome(
        current_total=current,
        new_total=projected,
        lower=float(np.quantile(new, lo_q)),
        upper=float(np.quantile(new, hi_q)),
        change=projected - current,
        interval_width=interval_width,
        extrapolated=not (curve.observed_min <= new_daily_spend <= curve.observed_max),
    )


def period_bounds(day: date, period: Period) -> tuple[date, date]:
    """First and last day of the month or calendar quarter that contains `day`."""
    if period == "month":
        start = day.replace(day=1)
    elif period == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    else:
        raise ValueError(f"period must be month or quarter, not {period!r}")
    months = 1 if period == "month" else 3
    nxt = date(start.year + (start.month - 1 + months) // 12, (start.month - 1 + months) % 12 + 1, 1)
    return start, nxt - timedelta(days=1)


def actual_between(actuals: pd.DataFrame, start: date, before: date) -> float:
    """The sum of `actuals` (ds, y) from `start` up to the day before `before`: the period to date."""
    days = pd.to_datetime(actuals["ds"]).dt.date
    return float(actuals.loc[((days >= start) & (days < before)).to_numpy(), "y"].sum())


def period_totals(
    forecast: pd.DataFrame,
    start: date,
    end: date,
    samples: np.ndarray | None = None,
    n_samples: int = 2000,
    interval_width: float = 0.8,
    rho: float = 0.5,
    seed: int = 0,
) -> np.ndarray:
    """Simulated totals of the forecast days within [start, end], one per sample path.

    With `samples` (n_paths, len(forecast)) the paths are summed as they are. Without, each day is
    a normal with the sd implied by its interval, days correlated by `rho` (0 = independent,
    1 = moving together; ad metrics sit in between because levels persist).
    """
    ds = pd.to_datetime(forecast["ds"]).dt.date
    mask = ((ds >= start) & (ds <= end)).to_numpy()
    if samples is not None:
        paths = np.asarray(samples, dtype=float)
        if paths.shape[1] != len(forecast):
            raise ValueError("samples must have one column per forecast row")
        return np.asarray(paths[:, mask].sum(axis=1), dtype=float)
    from scipy import stats

    yhat = forecast["yhat"].to_numpy(float)[mask]
    z = stats.norm.ppf((1 + interval_width) / 2)
    sd = (forecast["yhat_upper"].to_numpy(float) - forecast["yhat_lower"].to_numpy(float))[mask] / (2 * z)
    var = float(np.sum(sd**2) + rho * (np.sum(sd) ** 2 - np.sum(sd**2)))
    rng = np.random.default_rng(seed)
    return np.asarray(rng.normal(float(yhat.sum()), np.sqrt(max(var, 0.0)), size=n_samples), dtype=float)


def pace(
    actuals: pd.DataFrame,
    forecast: pd.DataFrame,
    budget: float | None = None,
    period: Period = "month",
    samples: np.ndarray | None = None,
    interval_width: float = 0.8,
    rho: float = 0.5,
) -> Pacing:
    """Project the total of the period that contains the first forecast day.

    `actuals` (ds, y) supplies the days already spent in the period; `forecast` must reach the
    period's last day. `prob_over_budget` is the share of simulated totals above `budget`.
    """
    if forecast.empty:
        raise ValueError("the forecast is empty")
    first = pd.Timestamp(forecast["ds"].iloc[0]).date()
    start, end = period_bounds(first, period)
    if pd.Timestamp(forecast["ds"].iloc[-1]).date() < end:
        raise ValueError(f"the forecast ends before the {period} ends on {end}; forecast a longer horizon")
    actual = actual_between(actuals, start, first)
    totals = actual + period_totals(forecast, start, end, samples, interval_width=interval_width, rho=rho)
    lo_q, hi_q = (1 - interval_width) / 2, (1 + interval_width) / 2
    projected = float(np.median(totals))
    over = vs = None
    if budget is not None:
        if budget <= 0:
            raise ValueError("budget must be positive")
        over = float(np.mean(totals > budget))
        vs = projected / budget - 1
    return Pacing(
        period=period,
        start=start.isoformat(),
        end=end.isoformat(),
        actual_to_date=actual,
        projected_total=projected,
        lower=float(np.quantile(totals, lo_q)),
        upper=float(np.quantile(totals, hi_q)),
        interval_width=interval_width,
        budget=budget,
        projected_vs_budget=vs,
        prob_over_budget=over,
        days_elapsed=(first - start).days,
        days_remaining=(end - first).days + 1,
    )


def project_ratio(
    numerator_actual: float,
    denominator_actual: float,
    numerator_totals: np.ndarray,
    denominator_totals: np.ndarray,
    interval_width: float = 0.8,
) -> Projection:
    """A period ratio such as ROAS = value / spend from to-date actuals plus simulated remaining totals.

    The two sets of totals are paired path by path; pass paths from the same draw order when the
    metrics are forecast together. Paths with a non-positive denominator are left out.
    """
    num = numerator_actual + np.asarray(numerator_totals, dtype=float)
    den = denominator_actual + np.asarray(denominator_totals, dtype=float)
    if num.shape != den.shape:
        raise ValueError("numerator and denominator need the same number of paths")
    ok = den > 0
    if not ok.any():
        raise ValueError("the denominator is never positive")
    ratio = num[ok] / den[ok]
    lo_q, hi_q = (1 - interval_width) / 2, (1 + interval_width) / 2
    return Projection(
        value=float(np.median(ratio)),
        lower=float(np.quantile(ratio, lo_q)),
        upper=float(np.quantile(ratio, hi_q)),
        interval_width=interval_width,
    )
