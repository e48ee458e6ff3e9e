"""Forecast: where a metric will land, with its interval, its backtest accuracy and month/quarter pacing."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from adops import config, warehouse
from adops.forecast import METRICS, ForecastScope, accuracy_table, forecast_table, period_pacing
from adops.forecast import jobs as forecast_jobs
from pages.components.details import csv_text
from pages.components.formatting import PLATFORM_LABELS, fmt
from pages.components.projections import budget_panel, roas_panel
from pages.components.routing import through_app
from pages.components.waiting import job_gate, refreshing

LEVELS = ["platform", "account", "total", "campaign"]
COUNTRIES = [None, "US", "GB", "DE", "FR", "CA", "AU", "JP"]

through_app()
st.title("Forecast")
if "campaign_daily" not in warehouse.snapshot().versions:
    st.info("The warehouse is empty. Sync your accounts, or build the demo workspace with `adops demo`.")
    st.stop()

c1, c2, c3, c4, c5, c6 = st.columns([1.2, 1, 2, 1.2, 0.8, 1])
metric = c1.selectbox("Metric", list(METRICS), key="fc-metric")
level = c2.selectbox("Scope", LEVELS, key="fc-level")
platforms = c3.multiselect(
    "Platforms",
    list(PLATFORM_LABELS),
    format_func=lambda p: PLATFORM_LABELS.get(p, p),
    placeholder="All platforms",
    key="fc-platforms",
)
horizon = c4.slider("Horizon (days)", 7, 120, 45, 1, key="fc-horizon")
interval = c5.selectbox("Interval", [0.8, 0.9, 0.95], format_func=lambda w: f"{w:.0%}", key="fc-interval")
country = c6.selectbox("Holidays", COUNTRIES, format_func=lambda c: c or "none", key="fc-country")
scope = ForecastScope(metric, level, tuple(platforms), horizon, interval, country)

results = forecast_jobs.cached(scope)
if results is None and (results := forecast_jobs.latest(scope)) is not None:
    refreshing(
        "forecast.run", scope.to_params(), what="Forecasting", start="Refresh the forecast", key="fc-run"
    )
if results is None:
    job_gate(
        "forecast.run",
        scope.to_params(),
        what="Forecasting in the background",
        start="Forecast",
        idle="No forecast of these settings on the current data yet. **Forecast** runs it in the background "
        "(the sidecar): a few seconds to a minute, and it is kept until the next sync.",
        key="fc-run",
    )
    st.stop()
if not results:
    st.info("No series with at least 14 days of history for these filters: widen the platforms or the scope.")
    st.stop()

by_name = {r.series or "total": r for r in results}
chosen = st.selectbox(
    "Series", list(by_name), format_func=lambda name: PLATFORM_LABELS.get(name, name), key="fc-series"
)
fc = by_name[chosen]
currency = config.load().reporting_currency
unit = f" ({currency})" if metric in ("spend", "conversion_value") else ""

history = fc.history.tail(180)
band = fc.forecast
fig = go.Figure()
fig.add_scatter(x=history["ds"], y=history["y"], name="actual", mode="lines", line={"color": "#334155"})
fig.add_scatter(
    x=band["ds"], y=band["yhat_upper"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"
)
fig.add_scatter(
    x=band["ds"],
    y=band["yhat_lower"],
    mode="lines",
    line={"width": 0},
    fill="tonexty",
    fillcolor="rgba(59,130,246,0.2)",
    name=f"{interval:.0%} interval",
)
fig.add_scatter(
    x=band["ds"], y=band["yhat"], name=f"forecast ({fc.method})", mode="lines", line={"color": "#2563EB"}
)
for cp in fc.changepoints:
    if cp["ds"] >= history["ds"].iloc[0].date().isoformat():
        fig.add_vline(x=cp["ds"], line={"dash": "dot", "color": "#94A3B8", "width": 1})
fig.update_layout(
    height=380, margin={"t": 10, "b": 10}, yaxis_title=f"{metric}{unit}", legend={"orientation": "h"}
)
st.plotly_chart(fig, width="stretch")

left, right = st.columns(2)
with left:
    st.subheader("Accuracy")
    acc, base = fc.accuracy, fc.baseline
    if acc is None:
        st.info("Too little history for a backtest: the forecast is seasonal naive (last week again).")
    else:
        m1, m2, m3 = st.columns(3)
        m1.metric(
            "MASE",
            f"{acc.mase:.2f}",
            delta=f"{acc.mase - base.mase:+.2f} vs naive" if base else None,
            delta_color="inverse",
        )
        m2.metric("sMAPE", f"{acc.smape:.1f}%")
        m3.metric(
            "Coverage", f"{acc.coverage:.0%}", delta=f"nominal {acc.interval_width:.0%}", delta_color="off"
        )
        st.caption(
            f"Backtest at {acc.horizon} days from {len(acc.origins)} origins ({', '.join(acc.origins)}). "
            "One method serves every series of this scope: the lowest backtest MASE relative to "
            "seasonal naive, on average over them."
        )
        st.dataframe(accuracy_table(fc), hide_index=True, width="stretch")
with right:
    st.subheader("Pacing")
    budget = st.number_input(
        f"Budget for the period{unit}",
        min_value=0.0,
        value=0.0,
        step=1000.0,
        key="fc-budget",
        help="0: no budget, projection only",
    )
    for period in ("month", "quarter"):
        p = period_pacing(fc, period, budget or None)
        if p is None:
            st.caption(f"{period.title()}: the horizon ends before the {period} does; forecast further.")
            continue
        cols = st.columns(3)
        cols[0].metric(
            f"{period.title()} to {p.end[5:]}",
            fmt(metric, p.projected_total, currency, short=True),
            help=f"Projected {p.projected_total:,.0f} by {p.end}; "
            f"{p.interval_width:.0%} interval {p.lower:,.0f} – {p.upper:,.0f}",
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

st.subheader("Projections")
proj_left, proj_right = st.columns(2)
with proj_left:
    roas_panel(scope, fc)
with proj_right:
    budget_panel(scope, fc, currency)

table = forecast_table(results)
st.download_button(
    "Download forecasts (CSV)",
    csv_text(table),
    file_name=f"forecast-{metric}.csv",
    mime="text/csv",
    key="fc-download",
)
