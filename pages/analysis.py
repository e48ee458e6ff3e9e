"""Cross-platform analysis: where the money works best, which changes are real, cohorts, creative fatigue."""

import streamlit as st

from adops import config
from adops.analytics import breakdowns, overview
from adops.analytics.kpis import label
from adops.errors import AdopsError
from pages.components import analysis, workflow_run
from pages.components.errors import show_error
from pages.components.filters import filter_bar
from pages.components.routing import through_app

through_app()
st.title("Cross-platform analysis")
currency = config.load().reporting_currency

bounds = overview.date_bounds()
if bounds is None:
    st.info(
        "The warehouse is empty. Sync your accounts from the Overview page, or build the demo workspace "
        "with `adops demo` (six simulated platforms, 400 days of history)."
    )
    st.stop()

filters = filter_bar(bounds, overview.accounts(), key="analysis")
if filters is None:
    st.stop()
c1, c2, c3 = st.columns(3)
level = c1.selectbox("Level", list(breakdowns.LEVELS), format_func=lambda n: breakdowns.LEVELS[n].label,
                     key="analysis-level")  # fmt: skip
grain = c2.selectbox("Grain", breakdowns.GRAINS, format_func=str.capitalize, key="analysis-grain")
metric = c3.selectbox("Metric", breakdowns.METRICS, index=list(breakdowns.METRICS).index("roas"),
                      format_func=lambda m: label(m, currency), key="analysis-metric")  # fmt: skip

try:
    analysis.kpi_tiles(filters, currency)
    tabs = st.tabs(
        ["Breakdown", "Trends", "Cohorts", "Creative fatigue"], key="analysis-tab", on_change="rerun"
    )
    if tabs[0].open:
        with tabs[0]:
            analysis.breakdown_tab(filters, level, grain, metric, currency)
    if tabs[1].open:
        with tabs[1]:
            analysis.trends_tab(filters, level, grain, metric, currency)
    if tabs[2].open:
        with tabs[2]:
            analysis.cohorts_tab(filters, currency)
    if tabs[3].open:
        with tabs[3]:
            analysis.fatigue_tab(filters)
except AdopsError as exc:
    show_error(exc)
workflow_run.bulk_action(st.session_state.get(analysis.SELECTION_KEY))  # a workflow run of the picks
