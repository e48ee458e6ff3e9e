"""Budget: response curves per channel, the recommended split, what more or less budget buys, and plans."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from adops import config, warehouse
from adops.analytics import overview
from adops.forecast.names import series_names
from adops.optimize import fits, plan
from adops.optimize.fits import Fits, FitScope
from adops.optimize.sources import LEVELS
from adops.optimize.views import allocation_frame, curve_frame, scenario_frame, waterfall_frame
from pages.components.budget_plans import plans_panel
from pages.components.details import csv_text
from pages.components.formatting import PLATFORM_LABELS
from pages.components.routing import through_app
from pages.components.waiting import job_gate, refreshing


def fits_or_progress(scope: FitScope) -> Fits:
    """The cached fits, else the latest earlier ones (marked as refreshing); otherwise follow (or offer to start) the fit in the sidecar and stop the page."""
    found = fits.cached(scope)
    if found is not None:
        return found
    earlier = fits.latest(scope)
    if earlier is not None:
        refreshing(
            "optimize.fit",
            scope.to_params(),
            what="Fitting",
            start="Refit the response curves",
            key="budget-fit",
        )
        return earlier
    job_gate(
        "optimize.fit",
        scope.to_params(),
        what="Fitting response curves in the background",
        start="Fit the response curves",
        idle="No response curves for these filters on the current data yet. The default view is fitted "
        "after each sync the sidecar runs; **Fit the response curves** fits this one in the background.",
        key="budget-fit",
    )
    st.stop()


through_app()
st.title("Budget")
currency = config.load().reporting_currency
snap = warehouse.snapshot()
if "campaign_daily" not in snap.versions:
    st.info("The warehouse is empty. Sync your accounts, or build the demo workspace with `adops demo`.")
    st.stop()

accounts = overview.accounts()
c1, c2, c3, c4 = st.columns([1, 2, 3, 1])
level = c1.selectbox("Channels", LEVELS, format_func=lambda v: f"{v.capitalize()}s", key="budget-level")
platforms = c2.multiselect(
    "Platforms",
    sorted(accounts["platform"].unique()),
    format_func=lambda p: PLATFORM_LABELS.get(p, p),
    placeholder="All platforms",
    key="budget-platforms",
)
shown = accounts[accounts["platform"].isin(platforms)] if platforms else accounts
names = dict(zip(shown["key"], shown["account_name"] + " (" + shown["currency"] + ")", strict=True))
chosen = c3.multiselect(
    "Accounts", list(names), format_func=lambda k: names[k], placeholder="All accounts", key="budget-accounts"
)
objective = c4.selectbox(
    "Objective", ["conversions", "revenue"], format_func=str.capitalize, key="budget-objective"
)

history, curves = fits_or_progress(FitScope(level, tuple(platforms), tuple(chosen), objective))
if not curves:
    st.info(
        "No channel spent in the last 28 complete days for these filters: widen the platforms or accounts."
    )
    st.stop()
days = sorted(set(history.restating_days.values()))
st.caption(
    f"History up to {max(history.last_complete.values())}: the last {', '.join(map(str, days))} days are left out "
    "while their conversions still restate. Money in the reporting currency."
)

current_total = sum(f.current_spend for f in curves)
change = st.slider(
    "Total daily budget against today's spend", -20, 20, 0, 5, format="%d%%", key="budget-change"
)
budget = current_total * (1 + change / 100)
rec = plan(curves, budget, objective=objective)
m = st.columns(4)
m[0].metric(f"Daily budget ({currency})", f"{budget:,.0f}", delta=f"{budget - current_total:+,.0f}")
m[1].metric(f"Expected {objective}/day", f"{rec.expected_total:,.1f}")
m[2].metric("Current split", f"{rec.current_expected_total:,.1f}")
m[3].metric(
    "Uplift",
    f"{rec.uplift:+,.1f}",
    help=f"{rec.interval:.0%} interval {rec.uplift_low:+,.1f} to {rec.uplift_high:+,.1f}",
)
if rec.warnings:
    with st.expander(f"{len(rec.warnings)} note(s) on the curves and the plan", icon=":material/warning:"):
        st.markdown("\n".join(f"- {w}" for w in rec.warnings))

scenarios = scenario_frame(curves, current_total, objective)
st.dataframe(
    scenarios,
    hide_index=True,
    width="stretch",
    column_config={
        "change": st.column_config.NumberColumn("Budget change", format="percent"),
        "budget": st.column_config.NumberColumn(f"Daily budget ({currency})", format="%,.0f"),
        "expected": st.column_config.NumberColumn(f"Expected {objective}", format="%,.1f"),
        "vs_budget": st.column_config.NumberColumn("Against today's budget", format="%+,.1f"),
        "marginal_cost": st.column_config.NumberColumn("Cost per extra", format="%,.2f"),
        "uplift_low": None,
        "uplift_high": None,
    },
)

# "Spring sale (Meta)", "Acme EU (Meta)", "Meta": never a key like meta:act_1000100007
names_by_channel = {str(k): v for k, v in series_names(level, list(history.channels["channel"])).items()}
table = allocation_frame(rec, names_by_channel)
left, right = st.columns(2)
steps = waterfall_frame(rec)
steps["label"] = steps["label"].map(lambda c: names_by_channel.get(c, c))
left.plotly_chart(
    go.Figure(  # Okabe-Ito: gains bluish green, losses vermillion, totals blue (no red/green pair)
        go.Waterfall(
            x=steps["label"],
            y=steps["value"],
            measure=steps["measure"],
            increasing={"marker": {"color": "#009E73"}},
            decreasing={"marker": {"color": "#D55E00"}},
            totals={"marker": {"color": "#0072B2"}},
        )
    ).update_layout(  # two title lines: one would be cut off at a phone's width
        title=f"Expected {objective}/day:<br>current split to recommended",
        showlegend=False,
        xaxis_tickangle=-30,
        margin={"t": 80},
    ),  # fmt: skip
    width="stretch",
)
pick: str = right.selectbox(
    "Response curve of",
    table.sort_values("change", key=abs, ascending=False)["channel"],
    format_func=lambda c: names_by_channel.get(c, c),
    key="budget-curve",
)
line = next(c for c in rec.channels if c.channel == pick)
points = curve_frame(line.curve, line.upper)
fig = go.Figure()
fig.add_vrect(
    x0=line.curve.observed_min,
    x1=line.curve.observed_max,
    fillcolor="#94a3b8",
    opacity=0.2,
    line_width=0,
    annotation_text="observed",
    annotation_position="top left",
)
fig.add_scatter(x=points["spend"], y=points["high"], line_width=0, showlegend=False, hoverinfo="skip")
fig.add_scatter(
    x=points["spend"],
    y=points["low"],
    fill="tonexty",
    line_width=0,
    name="interval",
    fillcolor="rgba(59,130,246,0.2)",
)
fig.add_scatter(x=points["spend"], y=points["expected"], name="expected", line_color="#2563eb")
fig.add_scatter(
    x=[line.current_spend], y=[line.current_expected], mode="markers", name="current", marker_size=11
)
fig.add_scatter(
    x=[line.spend],
    y=[line.expected],
    mode="markers",
    name="recommended",
    marker_size=11,
    marker_symbol="star",
)
fig.update_layout(  # the legend below the curve: beside it, it squeezes the plot at a phone's width
    legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0},
    margin={"b": 110},
    title=names_by_channel.get(pick, pick),
    xaxis_title=f"daily spend ({currency})",
    yaxis_title=f"{objective}/day",
)
right.plotly_chart(fig, width="stretch")

st.subheader("Allocation")
st.dataframe(
    table.drop(columns=["channel"]),
    hide_index=True,
    width="stretch",
    column_config={
        "name": "Channel",
        "current_spend": st.column_config.NumberColumn("Current", format="%,.0f"),
        "spend": st.column_config.NumberColumn("Recommended", format="%,.0f"),
        "change": st.column_config.NumberColumn("Change", format="%+,.0f"),
        "change_pct": st.column_config.NumberColumn("Change %", format="percent"),
        "current_expected": st.column_config.NumberColumn(f"Current {objective}", format="%,.1f"),
        "expected": st.column_config.NumberColumn(f"Expected {objective}", format="%,.1f"),
        "expected_low": st.column_config.NumberColumn("low", format="%,.1f"),
        "expected_high": st.column_config.NumberColumn("high", format="%,.1f"),
        "observed_min": st.column_config.NumberColumn("Seen from", format="%,.0f"),
        "observed_max": st.column_config.NumberColumn("Seen to", format="%,.0f"),
        "extrapolated": st.column_config.CheckboxColumn("Beyond seen"),
        "identifiable": st.column_config.CheckboxColumn("Identified"),
        "marginal": st.column_config.NumberColumn(
            "Marginal CPA" if objective == "conversions" else "Marginal ROAS", format="%,.2f"
        ),
    },
)
st.download_button("Download allocation (CSV)", csv_text(table), "allocation.csv", "text/csv")
scope = ", ".join(chosen or [PLATFORM_LABELS.get(p, p) for p in platforms]) or "all accounts"
plans_panel(rec, history, f"{level}s of {scope}", currency)
