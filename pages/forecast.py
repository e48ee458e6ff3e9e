"""Forecast: where a metric will land, with its interval, its backtest accuracy and month/quarter pacing."""

from __future__ import annotations

import streamlit as st

from adops import config, warehouse
from adops.analytics.kpis import label
from adops.forecast import METRICS, ForecastScope, accuracy_table, forecast_table
from adops.forecast import jobs as forecast_jobs
from adops.forecast.names import series_names
from pages.components.details import csv_text
from pages.components.forecast_view import forecast_chart, pacing_panel
from pages.components.formatting import PLATFORM_LABELS
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
metric = c1.selectbox("Metric", list(METRICS), format_func=label, key="fc-metric")
level = c2.selectbox("Scope", LEVELS, format_func=str.capitalize, key="fc-level")
platforms = c3.multiselect(
    "Platforms",
    list(PLATFORM_LABELS),
    format_func=lambda p: PLATFORM_LABELS.get(p, p),
    placeholder="All platforms",
    key="fc-platforms",
)
horizon = c4.slider("Horizon (days)", 7, 120, ForecastScope.horizon, 1, key="fc-horizon")
interval = c5.selectbox("Interval", [0.8, 0.9, 0.95], format_func=lambda w: f"{w:.0%}", key="fc-interval")
country = c6.selectbox("Holidays", COUNTRIES, format_func=lambda c: c or "None", key="fc-country")
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
names = series_names(level, list(by_name))
chosen = st.selectbox("Series", list(by_name), format_func=lambda key: names.get(key, key), key="fc-series")
fc = by_name[chosen]
currency = config.load().reporting_currency
forecast_chart(fc, metric, names.get(chosen, chosen), currency)

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
        st.dataframe(
            accuracy_table(fc),
            hide_index=True,
            width="stretch",
            column_config={
                "method": "Method",
                "chosen": st.column_config.CheckboxColumn("Chosen"),
                "mase": st.column_config.NumberColumn("MASE", format="%.2f"),
                "smape": st.column_config.NumberColumn("sMAPE %", format="%.1f"),
                "coverage": st.column_config.NumberColumn("Coverage", format="percent"),
                "origins": "Origins",
                "horizon": "Horizon (days)",
            },
        )
with right:
    st.subheader("Pacing")
    pacing_panel(fc, metric, currency)

st.subheader("Projections")
proj_left, proj_right = st.columns(2)
with proj_left:
    roas_panel(scope, fc)
with proj_right:
    budget_panel(scope, fc, currency)

table = forecast_table(results)
table["series"] = table["series"].map(lambda key: names.get(key or "total", key))
st.download_button(
    "Download forecasts (CSV)",
    csv_text(table),
    file_name=f"forecast-{metric}.csv",
    mime="text/csv",
    key="fc-download",
)
