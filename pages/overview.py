"""Overview: KPI tiles against the previous period, spend and conversions by platform, platform table."""

import math

import pandas as pd
import plotly.express as px
import streamlit as st

from adops import config, warehouse
from adops.analytics import overview
from adops.analytics.kpis import KPIS, LABELS, higher_is_better
from pages.components.details import csv_text
from pages.components.filters import filter_bar
from pages.components.formatting import PLATFORM_COLORS, PLATFORM_LABELS, fmt, kpi_column
from pages.components.palette import day_ticks, distinguish, legend_below
from pages.components.routing import through_app
from pages.components.sync_status import sync_panel

through_app()
st.title("Overview")
currency = config.load().reporting_currency
sync_panel()


@st.cache_data(max_entries=8, show_spinner=False)
def _workspace(snapshot: str) -> tuple[tuple | None, pd.DataFrame]:
    """Date bounds and accounts: they change only with a sync (a new snapshot id)."""
    return overview.date_bounds(), overview.accounts()


@st.cache_data(max_entries=32, show_spinner=False)
def _numbers(snapshot: str, start: object, end: object, platforms: tuple, accounts: tuple) -> tuple:
    """Tiles, daily series and platform table of one filter choice in one snapshot."""
    chosen = overview.Filters(start, end, platforms, accounts)  # type: ignore[arg-type]
    return overview.tiles(chosen), overview.daily_by_platform(chosen), overview.by_platform(chosen)


snapshot = f"{config.load().warehouse_uri}|{warehouse.snapshot().id}"
bounds, accounts = _workspace(snapshot)
if bounds is None:
    st.info(
        "The warehouse is empty. Press **Sync now** to pull your accounts, or build the demo workspace "
        "with `adops demo` (six simulated platforms, 400 days of history)."
    )
    st.stop()

filters = filter_bar(bounds, accounts)
if filters is None:
    st.stop()

tiles, daily, table = _numbers(snapshot, filters.start, filters.end, filters.platforms, filters.accounts)
for column, tile in zip(st.columns(len(tiles)), tiles, strict=True):
    column.metric(
        LABELS[tile.kpi],
        fmt(tile.kpi, tile.value, currency, short=True),
        delta=None if math.isnan(tile.change) else f"{tile.change:+.1%}",
        delta_color="normal" if higher_is_better(tile.kpi) else "inverse",
        help=f"{fmt(tile.kpi, tile.value, currency)}; previous {(filters.end - filters.start).days + 1} days: "
        f"{fmt(tile.kpi, tile.previous, currency)}",
    )

if daily.empty:
    st.info("No data for these filters: widen the date range or clear the platform and account filters.")
    st.stop()
daily["platform"] = daily["platform"].map(PLATFORM_LABELS)
colors = {PLATFORM_LABELS[k]: v for k, v in PLATFORM_COLORS.items()}
left, right = st.columns(2)
left.plotly_chart(
    legend_below(
        day_ticks(
            distinguish(
                px.area(
                    daily,
                    x="date",
                    y="spend",
                    color="platform",
                    color_discrete_map=colors,
                    title=f"Spend ({currency}) by platform",
                    labels={"spend": currency, "date": "", "platform": "Platform"},
                )
            )
        )
    ),
    width="stretch",
)
right.plotly_chart(
    legend_below(
        day_ticks(
            distinguish(
                px.line(
                    daily,
                    x="date",
                    y="conversions",
                    color="platform",
                    color_discrete_map=colors,
                    title="Conversions by platform",
                    labels={"date": "", "platform": "Platform", "conversions": "Conversions"},
                )
            )
        )
    ),
    width="stretch",
)

st.caption("The last days' conversions still restate: platforms add late conversions for up to a few weeks.")
st.subheader("Platforms")
table["platform"] = table["platform"].map(lambda p: PLATFORM_LABELS.get(p, p))
columns = ["spend", "impressions", "clicks", "conversions", "conversion_value", *KPIS]
st.dataframe(
    table[["platform", *columns]],
    hide_index=True,
    width="stretch",
    column_config={"platform": "Platform", **{c: kpi_column(c, currency) for c in columns}},
)
st.download_button("Download platform table (CSV)", csv_text(table), "platforms.csv", "text/csv")
st.download_button("Download daily series (CSV)", csv_text(daily), "daily_by_platform.csv", "text/csv")
