"""The Live monitoring page's panels: pacing tiles and chart, active anomalies with their series, sync health.

Each panel is a fragment that reruns on its own clock (`run_every`), so the rest of the page is not
recomputed. Warehouse reads are cached per warehouse snapshot (a sync publishes a new one, and the
next rerun reads again); the store's small tables are read as they are.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from adops import clock, warehouse
from adops.analytics import anomaly_store, monitor
from adops.analytics.kpis import label as kpi_label
from adops.names import series_labels
from pages.components.formatting import PLATFORM_LABELS, compact, fmt, kpi_column

REFRESH_S = 30
#: Okabe-Ito, readable with every common colour-vision deficiency
SPEND, PROJECTED, BUDGET = "#0072B2", "#E69F00", "#000000"
SEVERITY_LABELS = {"critical": "Critical", "warning": "Warning", "info": "Info"}
#: the pacing flag (adops.analytics.monitor) as it reads in the table
PACING_LABELS = {
    "over": "Over budget",
    "under": "Under budget",
    "on pace": "On pace",
    "no budget": "No budget",
}


def snapshot_key() -> str:
    """What the cached reads are keyed on: the warehouse snapshot and the day."""
    return f"{warehouse.snapshot().id}|{clock.today().isoformat()}"


@st.cache_data(max_entries=32, show_spinner=False)
def pacing_table(level: str, key: str) -> pd.DataFrame:
    return monitor.pacing(level)


@st.cache_data(max_entries=32, show_spinner=False)
def series_around(row: dict[str, object], key: str) -> pd.DataFrame:
    return anomaly_store.series_around(row)


@st.fragment(run_every=REFRESH_S)
def pacing_panel(currency: str) -> None:
    """Tiles (today, month to date, budget, projected) and the pacing chart and table per level."""
    level = st.segmented_control(
        "Level", ["platform", "account", "campaign"], default="platform", key="monitor-level",
        format_func=str.capitalize,
    ) or "platform"  # fmt: skip
    table = pacing_table(level, snapshot_key())
    sums = monitor.totals(table)
    tiles = [
        ("Today", sums["spend_today"]),
        ("Month to date", sums["spend_mtd"]),
        ("Budget", sums["month_budget"]),
        ("Projected", sums["projected"]),
    ]
    for column, (label, value) in zip(st.columns(len(tiles)), tiles, strict=True):
        column.metric(f"{label} ({currency})", compact(value), help=fmt("spend", value, currency))
    shown = _labelled(table, level)
    top = shown.head(15).iloc[::-1]
    figure = go.Figure(
        [
            go.Bar(y=top["label"], x=top["spend_mtd"], name="Month to date", orientation="h", marker_color=SPEND),
            go.Bar(
                y=top["label"], x=(top["projected"] - top["spend_mtd"]).clip(lower=0), name="Rest of month (projected)",
                orientation="h", marker_color=PROJECTED,
            ),
            go.Scatter(
                y=top["label"], x=top["month_budget"], name="Month budget", mode="markers",
                marker={"symbol": "line-ns", "size": 18, "line": {"width": 3, "color": BUDGET}},
            ),
        ]
    )  # fmt: skip
    # the legend sits at the foot of the figure (container coordinates), below the axis title, with room
    # for three rows when a phone's width wraps it: it never covers the ticks or the title
    figure.update_layout(
        barmode="stack", title=f"Spend against budget this month ({currency})",
        height=200 + 28 * len(top), margin={"l": 10, "r": 10, "t": 50, "b": 120},
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "xanchor": "left", "x": 0},
        xaxis={"tickformat": "~s", "title": {"text": currency}},
    )  # fmt: skip
    st.plotly_chart(figure, width="stretch")
    columns = ["spend_today", "daily_budget", "spend_mtd", "month_budget", "projected"]
    st.dataframe(
        shown[["label", "flag", *columns, "projected_vs_budget"]],
        hide_index=True,
        width="stretch",
        column_config={
            "label": level.capitalize(),
            "flag": "Pacing",
            **{c: kpi_column("spend", currency) for c in columns},
            "spend_today": st.column_config.NumberColumn(f"Today ({currency})", format="%,.2f"),
            "daily_budget": st.column_config.NumberColumn(f"Daily budget ({currency})", format="%,.2f"),
            "spend_mtd": st.column_config.NumberColumn(f"Month to date ({currency})", format="%,.2f"),
            "month_budget": st.column_config.NumberColumn(f"Month budget ({currency})", format="%,.2f"),
            "projected": st.column_config.NumberColumn(f"Projected month ({currency})", format="%,.2f"),
            "projected_vs_budget": st.column_config.NumberColumn("Projected vs budget", format="percent"),
        },
    )
    st.download_button(
        "Download pacing (CSV)",
        table.to_csv(index=False),
        f"pacing_{level}.csv",
        "text/csv",
        key="pacing-csv",
    )


@st.fragment(run_every=REFRESH_S)
def anomalies_panel(currency: str) -> None:
    """Active anomalies, most severe first; picking one draws its series with the day marked."""
    found = anomaly_store.active()
    if found.empty:
        st.info("No active anomalies. Each sync is followed by a scan; what it finds shows here.")
        return
    shown = found.assign(
        severity=found["severity"].map(SEVERITY_LABELS),
        kind=found["kind"].map(str.capitalize),
        direction=found["direction"].map(str.capitalize),
        metric=found["metric"].map(kpi_label),
        platform=found["platform"].map(lambda p: PLATFORM_LABELS.get(p, p)),
        series=series_labels(found[["platform", "account_id", "campaign_id"]].itertuples(index=False)),
    )
    picked = st.dataframe(
        shown[["severity", "kind", "direction", "metric", "series", "ds", "y", "expected", "score"]],
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="anomaly-table",
        column_config={
            "severity": "Severity", "kind": "Kind", "direction": "Direction", "metric": "Metric",
            "platform": "Platform", "series": "Series", "ds": st.column_config.DateColumn("Day"),
            "y": st.column_config.NumberColumn("Value", format="%,.2f"),
            "expected": st.column_config.NumberColumn("Expected", format="%,.2f"),
            "score": st.column_config.NumberColumn("z-score", format="%+.1f"),
        },
    )  # fmt: skip
    rows = picked.selection.rows if picked is not None and hasattr(picked, "selection") else []
    row = found.iloc[rows[0] if rows else 0]
    st.caption("Pick a row to see its series.")
    _series_chart(
        {str(k): v for k, v in row.to_dict().items()}, str(shown["series"].iloc[rows[0] if rows else 0])
    )


def _series_chart(row: dict[str, object], name: str) -> None:
    series = series_around(
        {k: row[k] for k in ("platform", "account_id", "campaign_id", "metric", "ds")}, snapshot_key()
    )
    if series.empty:
        return
    day = pd.Timestamp(str(row["ds"]))
    metric = kpi_label(str(row["metric"]))
    hit = f"{str(row['kind']).capitalize()} ({SEVERITY_LABELS.get(str(row['severity']), row['severity'])})"
    figure = go.Figure(
        [
            go.Scatter(x=series["date"], y=series["value"], name=metric, mode="lines", line={"color": SPEND}),
            go.Scatter(
                x=[day], y=[row["y"]], name=hit, mode="markers", marker={"color": "#D55E00", "size": 12, "symbol": "diamond"},
            ),
            go.Scatter(
                x=[day], y=[row["expected"]], name="Expected", mode="markers",
                marker={"color": BUDGET, "size": 10, "symbol": "circle-open"},
            ),
        ]
    )  # fmt: skip
    figure.update_layout(title=f"{metric} of {name}", height=320, margin={"t": 50, "b": 10})
    st.plotly_chart(figure, width="stretch")


@st.fragment(run_every=REFRESH_S)
def sync_health_panel() -> None:
    """Per account: state, last success, lag and failed reads in the last week."""
    health = monitor.sync_health()
    if health.empty:
        st.info("No accounts yet: add one in Settings, or build the demo workspace with `adops demo`.")
        return
    health["platform"] = health["platform"].map(lambda p: PLATFORM_LABELS.get(p, p))
    st.dataframe(
        health,
        hide_index=True,
        width="stretch",
        column_config={
            "platform": "Platform", "account_id": "Account", "name": "Name", "state": "State",
            "last_success_at": st.column_config.DatetimeColumn("Last success", format="YYYY-MM-DD HH:mm"),
            "lag_hours": st.column_config.NumberColumn("Lag (hours)", format="%.1f"),
            "errors_7d": st.column_config.NumberColumn("Failed reads (7 days)", format="%d"),
            "last_error": "Last error",
        },
    )  # fmt: skip


def _labelled(table: pd.DataFrame, level: str) -> pd.DataFrame:
    platform = table["platform"].map(lambda p: PLATFORM_LABELS.get(p, p))
    if level == "platform":
        label = platform
    else:
        label = platform + " · " + table["name"].where(table["name"] != "", table[f"{level}_id"])
    return table.assign(label=label, flag=table["flag"].map(lambda f: PACING_LABELS.get(f, f)))
