"""Forecast page projections: ROAS to the month and quarter end, and what a budget change buys.

Both need a second piece of background work — the companion metric's forecast, or the response
curves of budget optimization — which the panels offer to queue for the sidecar (a button) and
wait for, without holding up the rest of the page.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from adops.analytics.kpis import label as kpi_label
from adops.forecast import ForecastScope, SeriesForecast
from adops.forecast import jobs as forecast_jobs
from adops.forecast.report import budget_change, roas_projection
from adops.optimize import fits
from pages.components.formatting import compact, fmt
from pages.components.waiting import job_gate

COMPANION = {"spend": "conversion_value", "conversion_value": "spend"}
OBJECTIVE = {"conversions": "conversions", "conversion_value": "revenue"}


def roas_panel(scope: ForecastScope, fc: SeriesForecast) -> None:
    """ROAS = conversion value / spend to the end of the month and the quarter, with its interval."""
    st.markdown("**ROAS**")
    if scope.metric not in COMPANION:
        st.caption("Forecast spend or conversion value to see the projected ROAS.")
        return
    other = replace(scope, metric=COMPANION[scope.metric])
    companion = forecast_jobs.cached(other)
    if companion is None:
        job_gate(
            "forecast.run",
            other.to_params(),
            what=f"Forecasting {other.metric} in the background",
            start=f"Forecast {kpi_label(other.metric).lower()} too",
            idle=f"ROAS needs the {kpi_label(other.metric).lower()} forecast of the same settings as well.",
            key="fc-companion",
        )
        return
    match = next((r for r in companion if r.series == fc.series), None)
    if match is None:
        st.caption(f"No {other.metric} forecast for this series.")
        return
    spend, value = (fc, match) if scope.metric == "spend" else (match, fc)
    cols = st.columns(2)
    for col, period in zip(cols, ("month", "quarter"), strict=True):
        p = roas_projection(spend, value, period)
        if p is None:
            col.caption(f"{period.title()}: forecast further to reach its end.")
            continue
        col.metric(
            f"ROAS this {period}",
            fmt("roas", p.value),
            help=f"{p.interval_width:.0%} interval {p.lower:.2f} – {p.upper:.2f}; actuals to date plus the forecast",
        )
    st.caption("The two metrics are forecast separately, so the interval is on the wide side.")


def budget_panel(scope: ForecastScope, fc: SeriesForecast, currency: str) -> None:
    """What a different daily spend buys over the horizon, from the series' response curve."""
    st.markdown("**A different daily budget**")
    if scope.metric not in OBJECTIVE or scope.level == "total":
        st.caption("Forecast conversions or conversion value per platform, account or campaign to see this.")
        return
    fit_scope = fits.FitScope(scope.level, scope.platforms, (), OBJECTIVE[scope.metric])
    fitted = fits.cached(fit_scope)
    if fitted is None:
        job_gate(
            "optimize.fit",
            fit_scope.to_params(),
            what="Fitting the response curves in the background",
            start="Fit the response curves",
            idle="This needs the response curves of these platforms (budget optimization).",
            key="fc-fit",
        )
        return
    curve = next((c for c in fitted[1] if c.channel == fc.series), None)
    if curve is None:
        st.caption("No response curve for this series: it has not spent in the last 28 days.")
        return
    change = st.slider("Change in daily spend (%)", -50, 100, 20, 5, key="fc-spend-change")
    current = curve.current_spend
    new = current * (1 + change / 100)
    out = budget_change(fc, curve.curve, current, new)
    days = len(fc.forecast)
    st.metric(
        f"{scope.metric} over the next {days} days at {new:,.0f} {currency}/day",
        compact(out.new_total),
        delta=f"{'+' if out.change >= 0 else '-'}{compact(abs(out.change))} vs {current:,.0f} {currency}/day",
        help=f"{out.new_total:,.0f}; {out.interval_width:.0%} interval {out.lower:,.0f} – {out.upper:,.0f}",
    )
    if out.extrapolated:
        st.warning(
            f"{new:,.0f}/day lies outside the daily spend this series has shown "
            f"({curve.curve.observed_min:,.0f} – {curve.curve.observed_max:,.0f}): the curve is extrapolated."
        )
