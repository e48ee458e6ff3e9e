"""The Forecast page's chart (with a text summary) and its pacing panel (a budget for each period)."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from adops.analytics.kpis import label
from adops.forecast import SeriesForecast, period_pacing
from pages.components.formatting import fmt
from pages.components.palette import ACTUAL, BAND, FORECAST

PERIODS = ("month", "quarter")


def forecast_chart(fc: SeriesForecast, metric: str, name: str, currency: str) -> None:
    """History, forecast and its interval; the title names it and a caption says what it shows."""
    history = fc.history.tail(180)
    band = fc.forecast
    width = f"{fc.interval_width:.0%}"
    fig = go.Figure()
    fig.add_scatter(x=history["ds"], y=history["y"], name="actual", mode="lines", line={"color": ACTUAL})
    fig.add_scatter(
        x=band["ds"],
        y=band["yhat_upper"],
        mode="lines",
        line={"width": 0},
        showlegend=False,
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=band["ds"],
        y=band["yhat_lower"],
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor=BAND,
        name=f"{width} interval",
    )
    fig.add_scatter(
        x=band["ds"],
        y=band["yhat"],
        name=f"forecast ({fc.method})",
        mode="lines",
        line={"color": FORECAST, "dash": "dash"},
    )
    first = history["ds"].iloc[0].date().isoformat() if len(history) else ""
    for cp in fc.changepoints:
        if cp["ds"] >= first:
            fig.add_vline(x=cp["ds"], line={"dash": "dot", "color": "#767676", "width": 1})
    title = f"{label(metric, currency)}: {name}, actual and forecast"
    fig.update_layout(
        title=title,
        height=400,
        margin={"t": 50, "b": 10},
        yaxis_title=label(metric, currency),
        legend={"orientation": "h"},
    )
    st.plotly_chart(fig, width="stretch")
    st.caption(summary(fc, metric, currency))


def summary(fc: SeriesForecast, metric: str, currency: str) -> str:
    """The chart in one sentence (its text alternative)."""
    band, history = fc.forecast, fc.history
    if band.empty:
        return "No forecast days."
    recent = history.tail(len(band))
    return (
        f"Over the next {len(band)} days ({band['ds'].iloc[0]:%Y-%m-%d} to {band['ds'].iloc[-1]:%Y-%m-%d}) "
        f"the forecast totals {fmt(metric, float(band['yhat'].sum()), currency)} "
        f"(daily {fc.interval_width:.0%} intervals within {fmt(metric, float(band['yhat_lower'].min()), currency)}"
        f" – {fmt(metric, float(band['yhat_upper'].max()), currency)}), against "
        f"{fmt(metric, float(recent['y'].sum()), currency)} in the last {len(recent)} days."
    )


def pacing_panel(fc: SeriesForecast, metric: str, currency: str) -> None:
    """Month and quarter pacing, each against its own budget (a month's budget is not a quarter's)."""
    unit = f" ({currency})" if metric in ("spend", "conversion_value") else ""
    for period in PERIODS:
        budget = st.number_input(
            f"{period.title()} budget{unit}",
            min_value=0.0,
            max_value=1e12,
            value=0.0,
            step=1000.0,
            key=f"fc-budget-{period}",
            help=f"The whole {period}'s budget; 0: no budget, projection only",
        )
        p = period_pacing(fc, period, budget or None)
        if p is None:
            st.caption(f"{period.title()}: the horizon ends before the {period} does; forecast further.")
            continue
        cols = st.columns(3)
        cols[0].metric(
            f"{period.title()} to {p.end[5:]}",
            fmt(metric, p.projected_total, currency, short=True),
            help=f"Projected {fmt(metric, p.projected_total, currency)} by {p.end}; "
            f"{p.interval_width:.0%} interval {fmt(metric, p.lower, currency)} – {fmt(metric, p.upper, currency)}",
        )
        cols[1].metric(
            "Actual so far",
            fmt(metric, p.actual_to_date, currency, short=True),
            help=fmt(metric, p.actual_to_date, currency),
        )
        if p.prob_over_budget is not None and p.projected_vs_budget is not None:
            cols[2].metric(
                "Chance over budget",
                f"{p.prob_over_budget:.0%}",
                delta=f"{p.projected_vs_budget:+.1%} vs budget",
                delta_color="inverse",
            )
