"""The Cross-platform analysis page's pieces: cached reads, KPI tiles, and one drawer per tab.

Reads go through `st.cache_data` keyed on the warehouse snapshot and workspace (`version()`): reruns
with the same filters are instant, and a sync, which publishes a new snapshot, invalidates them.
Each tab's drawer is called only while its tab is open, so hidden sections compute nothing.

`SELECTION_KEY` holds the rows picked in the breakdown table as a list of
`(platform, account_id, entity_type, entity_id)` tuples, for bulk actions on the selection.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import plotly.express as px
import streamlit as st

from adops import config, warehouse
from adops.analytics import breakdowns, cohorts, fatigue, trends
from adops.analytics.kpis import KINDS, higher_is_better, label
from adops.analytics.overview import Filters
from pages.components.formatting import PLATFORM_COLORS, PLATFORM_LABELS, fmt, kpi_column
from pages.components.palette import SAFE_COLORS, distinguish

__all__ = [
    "SELECTION_KEY",
    "breakdown_tab",
    "cohorts_tab",
    "fatigue_tab",
    "kpi_tiles",
    "rounded_csv",
    "trends_tab",
    "version",
]

#: session state: the breakdown rows picked, as [(platform, account_id, entity_type, entity_id), ...]
SELECTION_KEY = "analysis_selected_entities"
PLATFORM_COLOR_BY_LABEL = {PLATFORM_LABELS[k]: v for k, v in PLATFORM_COLORS.items()}
TOP_IN_CHARTS = 8


def version() -> str:
    """The cache key of what the warehouse holds now: the workspace and its published snapshot."""
    return f"{config.home()}|{warehouse.snapshot().id}"


@st.cache_data(max_entries=64, show_spinner=False)
def _tiles(key: str, filters: Filters) -> list[breakdowns.Tile]:
    return breakdowns.tiles(filters)


@st.cache_data(max_entries=64, show_spinner=False)
def _breakdown(key: str, filters: Filters, level: str) -> pd.DataFrame:
    return breakdowns.breakdown(filters, level)


@st.cache_data(max_entries=64, show_spinner=False)
def _series(
    key: str, filters: Filters, level: str, grain: str, metric: str, entities: tuple[str, ...] | None
) -> pd.DataFrame:
    return breakdowns.series(filters, level, grain, metric, None if entities is None else list(entities))


@st.cache_data(max_entries=32, show_spinner=False)
def _trends(
    key: str, filters: Filters, level: str, grain: str, metric: str, top: int, alpha: float
) -> pd.DataFrame:
    return trends.trend_table(filters, level, grain, metric, top=top, alpha=alpha)


@st.cache_data(max_entries=32, show_spinner=False)
def _cohorts(key: str, filters: Filters, since: date, max_age: int) -> pd.DataFrame:
    return cohorts.cohort_curves(filters, since, max_age)


@st.cache_data(max_entries=32, show_spinner=False)
def _fatigue(key: str, filters: Filters, rule: fatigue.Thresholds) -> tuple[pd.DataFrame, pd.DataFrame]:
    return fatigue.detect(filters, rule), fatigue.ctr_by_age(filters)


def kpi_tiles(filters: Filters, currency: str) -> None:
    """Nine tiles: the period's value and its change against the previous period of the same length."""
    found = _tiles(version(), filters)
    days = (filters.end - filters.start).days + 1
    for row in (found[:5], found[5:]):
        for column, tile in zip(st.columns(5), row, strict=False):
            pct = tile.change_pct
            column.metric(
                label(tile.kpi),
                fmt(tile.kpi, tile.value, currency, short=True),
                delta=None if math.isnan(pct) else f"{pct:+.1%}",
                delta_color="normal" if higher_is_better(tile.kpi) else "inverse",
                help=f"{fmt(tile.kpi, tile.value, currency)}; previous {days} days: "
                f"{fmt(tile.kpi, tile.previous, currency)}",
            )


def breakdown_tab(filters: Filters, level: str, grain: str, metric: str, currency: str) -> None:
    """A ranking chart, the metric over time, and the selectable breakdown table with its CSV."""
    lvl = breakdowns.level(level)
    table = _breakdown(version(), filters, level)
    if table.empty:
        st.info("Nothing spent in this period for these filters: widen the date range or clear the filters.")
        return
    table = table.assign(platform_label=table["platform"].map(lambda p: PLATFORM_LABELS.get(p, p)))
    top = table.head(TOP_IN_CHARTS * 2)
    left, right = st.columns(2)
    ranked = top.sort_values(metric, ascending=not higher_is_better(metric)).dropna(subset=[metric])
    left.plotly_chart(
        px.bar(
            ranked,
            x=metric,
            y="name",
            color="platform_label",
            orientation="h",
            color_discrete_map=PLATFORM_COLOR_BY_LABEL,
            title=f"{label(metric, currency)} by {lvl.label.lower()}"
            + (f" (the {len(ranked)} largest by spend)" if len(table) > len(ranked) else ""),
            labels={metric: label(metric, currency), "name": "", "platform_label": "Platform"},
        ).update_layout(yaxis={"categoryorder": "array", "categoryarray": list(ranked["name"])[::-1]}),
        width="stretch",
    )
    entities = (
        None if level == "platform" else tuple(breakdowns.entity_keys(table.head(TOP_IN_CHARTS), level))
    )
    over_time = _series(version(), filters, level, grain, metric, entities)
    names = dict(zip(breakdowns.entity_keys(table, level), table["name"], strict=True))
    names.update({p: PLATFORM_LABELS.get(p, p) for p in PLATFORM_LABELS} if level == "platform" else {})
    over_time = over_time.assign(entity=over_time["entity"].map(lambda e: names.get(e, e)))
    right.plotly_chart(
        distinguish(
            px.line(
                over_time,
                x="period",
                y=metric,
                color="entity",
                color_discrete_map=PLATFORM_COLOR_BY_LABEL if level == "platform" else None,
                color_discrete_sequence=SAFE_COLORS,
                markers=grain != "day",
                title=f"{label(metric, currency)} by {grain}",
                labels={metric: label(metric, currency), "period": "", "entity": lvl.label},
            )
        ),
        width="stretch",
    )
    _selectable_table(table, lvl, metric, currency)
    st.download_button(
        f"Download the {lvl.label.lower()} breakdown (CSV)",
        rounded_csv(table.drop(columns=["platform_label"])),
        f"breakdown_{level}_{filters.start}_{filters.end}.csv",
        "text/csv",
        key="analysis-download-breakdown",
    )


def _selectable_table(table: pd.DataFrame, lvl: breakdowns.Level, metric: str, currency: str) -> None:
    """The breakdown table; the rows picked go to session state as (platform, account_id, type, id)."""
    first = ["name"] if lvl.name == "platform" else ["platform_label", "name"]
    shown = list(dict.fromkeys([*first, *breakdowns.METRICS, "spend_change_pct", f"{metric}_change_pct"]))
    config_ = {
        "platform_label": "Platform",
        "name": lvl.label,
        **{m: kpi_column(m, currency) for m in breakdowns.METRICS},
        **{
            f"{m}_change_pct": st.column_config.NumberColumn(f"{label(m)} vs previous", format="percent")
            for m in {"spend", metric}
        },
    }
    picked = st.dataframe(
        table[shown],
        hide_index=True,
        width="stretch",
        column_config=config_,  # type: ignore[arg-type]
        on_select="rerun",
        selection_mode="multi-row",
        key=f"analysis-table-{lvl.name}",
    )
    rows = list(picked.selection.rows) if hasattr(picked, "selection") else []
    account = table["account_id"] if "account_id" in table else pd.Series([None] * len(table))
    st.session_state[SELECTION_KEY] = [
        (
            str(table["platform"].iat[i]),
            account.iat[i],
            str(table["entity_type"].iat[i]),
            str(table["entity_id"].iat[i]),
        )
        for i in rows
    ]
    if rows:
        st.caption(f"{len(rows)} selected.")


def trends_tab(filters: Filters, level: str, grain: str, metric: str, currency: str) -> None:
    """Which series changed for real (Mann-Kendall, Benjamini-Hochberg) and which only wobbled."""
    c1, c2, c3 = st.columns([2, 1, 1])
    top = c1.slider("Series tested (largest by spend)", 5, 200, 50, step=5, key="analysis-trend-top")
    alpha = c2.selectbox("False discovery rate", [0.01, 0.05, 0.1], index=1, key="analysis-trend-alpha",
                         format_func=lambda a: f"{a:.0%}")  # fmt: skip
    show_noise = c3.toggle("Show noise too", value=False, key="analysis-trend-noise")
    found = _trends(version(), filters, level, grain, metric, int(top), float(alpha))
    tested = found[found["verdict"] != "too short"]
    if tested.empty:
        st.info(
            f"Too few whole {grain}s in this range to test a trend (at least {trends.MIN_POINTS} are needed): "
            "widen the date range or pick a finer grain."
        )
        return
    real = tested[tested["verdict"] == "real"]
    st.markdown(
        f"**{len(real)}** of {len(tested)} series changed for real ({label(metric)} by {grain}, false discovery "
        f"rate {alpha:.0%}); the other {len(tested) - len(real)} are noise."
    )
    shown = tested if show_noise else real
    if shown.empty:
        st.info("No series changed beyond noise. **Show noise too** lists every series tested.")
    else:
        shown = shown.assign(platform=shown["platform"].map(lambda p: PLATFORM_LABELS.get(p, p)))
        st.dataframe(
            shown[
                [
                    "platform",
                    "name",
                    "direction",
                    "slope",
                    "slope_pct",
                    "first",
                    "last",
                    "p_value",
                    "q_value",
                    "verdict",
                ]
            ],
            hide_index=True,
            width="stretch",
            column_config={
                "platform": "Platform",
                "name": breakdowns.level(level).label,
                "direction": "Direction",
                "slope": st.column_config.NumberColumn(f"Sen's slope per {grain}", format="%.4g"),
                "slope_pct": st.column_config.NumberColumn(f"Per {grain}, of the median", format="percent"),
                "first": kpi_column(metric, currency),
                "last": kpi_column(metric, currency),
                "p_value": st.column_config.NumberColumn("p", format="%.4f"),
                "q_value": st.column_config.NumberColumn("q (adjusted)", format="%.4f"),
                "verdict": "Verdict",
            },
        )
    st.download_button(
        "Download the trend table (CSV)",
        rounded_csv(found),
        f"trends_{level}_{metric}_{grain}.csv",
        "text/csv",
        key="analysis-download-trends",
    )


def cohorts_tab(filters: Filters, currency: str) -> None:
    """Campaigns by launch month: cumulative ROAS and spend per campaign by days since launch."""
    c1, c2 = st.columns(2)
    months = c1.selectbox("Launched in the last", [3, 6, 12, 24], index=2, key="analysis-cohort-months",
                          format_func=lambda m: f"{m} months")  # fmt: skip
    max_age = c2.selectbox("Follow for", [30, 90, 180, 365], index=1, key="analysis-cohort-age",
                           format_func=lambda d: f"{d} days")  # fmt: skip
    since = (pd.Timestamp(filters.end) - pd.DateOffset(months=int(months))).date().replace(day=1)
    curves = _cohorts(version(), filters, since, int(max_age))
    if curves.empty:
        st.info(
            f"No campaign launched since {since:%B %Y} within the stored history. A campaign whose first spend "
            "is its account's first stored day may be older and is left out: pick a longer launch window, or "
            "sync more history (`initial_history_days` in adops.toml)."
        )
        return
    curves = curves.assign(
        cohort=[f"{c:%Y-%m} ({n})" for c, n in zip(curves["cohort"], curves["campaigns"], strict=True)]
    )
    left, right = st.columns(2)
    common = {"x": "age_days", "color": "cohort", "color_discrete_sequence": SAFE_COLORS}
    names = {"age_days": "Days since launch", "cohort": "Launch month (campaigns)"}
    left.plotly_chart(
        px.line(curves, y="cum_roas", title="Cumulative ROAS by age", **common,
                labels={**names, "cum_roas": "ROAS"}),
        width="stretch",
    )  # fmt: skip
    right.plotly_chart(
        px.line(curves, y="cum_spend_per_campaign", title=f"Cumulative spend per campaign ({currency})", **common,
                labels={**names, "cum_spend_per_campaign": currency}),
        width="stretch",
    )  # fmt: skip
    st.download_button(
        "Download the cohort curves (CSV)", rounded_csv(curves), "cohorts.csv", "text/csv",
        key="analysis-download-cohorts",
    )  # fmt: skip


def fatigue_tab(filters: Filters) -> None:
    """Ads whose CTR wore down since their first days, and CTR by ad age per platform."""
    rule = fatigue.Thresholds.configured()
    judged, by_age = _fatigue(version(), filters, rule)
    st.caption(
        f"Fatigued: CTR over the last {rule.window_days} days to {filters.end} at least {rule.min_drop:.0%} below "
        f"the ad's own first {rule.window_days} days, each with at least {rule.min_impressions:,} impressions, "
        f"after at least {rule.min_days} days (`[analysis.fatigue]` in adops.toml)."
    )
    if judged.empty:
        st.info(
            f"No ad had impressions in the {rule.window_days} days to {filters.end}: move the end date to days "
            "with data, or clear the platform and account filters."
        )
        return
    counts = judged["status"].value_counts()
    worn = judged[judged["status"] == "fatigued"]
    st.markdown(
        f"**{len(worn)}** fatigued of {counts.get('fatigued', 0) + counts.get('healthy', 0)} ads judged; "
        f"{counts.get('too few impressions', 0)} had too few impressions and {counts.get('too new', 0)} are too new."
    )
    show_all = st.toggle("Show every ad", value=False, key="analysis-fatigue-all")
    shown = judged if show_all else worn
    if shown.empty:
        st.info("No fatigued ad. **Show every ad** lists the healthy ones and those not judged.")
    else:
        shown = shown.assign(platform=shown["platform"].map(lambda p: PLATFORM_LABELS.get(p, p)))
        st.dataframe(
            shown[["platform", "name", "status", "first_day", "days", "first_ctr", "last_ctr", "ctr_change",
                   "first_frequency", "last_frequency", "first_impressions", "last_impressions"]],
            hide_index=True,
            width="stretch",
            column_config={
                "platform": "Platform",
                "name": "Ad",
                "status": "Status",
                "first_day": st.column_config.DateColumn("First impression"),
                "days": st.column_config.NumberColumn("Days", format="%d"),
                "first_ctr": st.column_config.NumberColumn("CTR, first days", format="percent"),
                "last_ctr": st.column_config.NumberColumn("CTR, last days", format="percent"),
                "ctr_change": st.column_config.NumberColumn("Change", format="percent"),
                "first_frequency": st.column_config.NumberColumn("Frequency, first days", format="%.2f"),
                "last_frequency": st.column_config.NumberColumn("Frequency, last days", format="%.2f"),
                "first_impressions": st.column_config.NumberColumn("Impressions, first days", format="%,.0f"),
                "last_impressions": st.column_config.NumberColumn("Impressions, last days", format="%,.0f"),
            },
        )  # fmt: skip
    if not by_age.empty:
        by_age = by_age.assign(platform=by_age["platform"].map(lambda p: PLATFORM_LABELS.get(p, p)))
        left, right = st.columns(2)
        common = {
            "x": "age_days",
            "color": "platform",
            "color_discrete_map": PLATFORM_COLOR_BY_LABEL,
            "markers": True,
        }
        names = {"age_days": "Ad age (days since first impression)", "platform": "Platform"}
        left.plotly_chart(
            px.line(by_age, y="ctr", title="CTR by ad age", **common, labels={**names, "ctr": "CTR"})
            .update_yaxes(tickformat=".2%"),
            width="stretch",
        )  # fmt: skip
        reached = by_age[by_age["frequency"].notna()]
        if reached.empty:
            right.info(
                "Frequency needs reach, which only Meta and TikTok report per ad and day: none of the "
                "platforms and accounts filtered has it."
            )
        else:
            right.plotly_chart(
                px.line(reached, y="frequency", title="Frequency by ad age", **common,
                        labels={**names, "frequency": "Impressions per person a day"})
                .update_yaxes(tickformat=".2f"),
                width="stretch",
            )  # fmt: skip
        st.caption(
            "Frequency is the average daily frequency: impressions over the sum of each ad-day's reach, on the "
            "ad-days that have a reach (Meta and TikTok report it per ad and day; the other platforms do not). "
            "People seen on several days count once a day, so it is not the frequency over the whole bucket. "
            "An ad older than the stored history counts its age from the history's first day."
        )
    st.download_button(
        "Download the fatigue table (CSV)", rounded_csv(judged), f"fatigue_{filters.end}.csv", "text/csv",
        key="analysis-download-fatigue",
    )  # fmt: skip


def rounded_csv(frame: pd.DataFrame) -> str:
    """The frame as CSV with numbers rounded as people read them: money and counts to 2 places (cents;
    conversions are fractional), relative changes to 4, rates, ratios, slopes and p-values to 6."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_float_dtype(out[column]):
            continue
        name = str(column)
        base = name.removesuffix("_prev").removesuffix("_change").removeprefix("cum_")
        base = base.removeprefix("first_").removeprefix("last_").removesuffix("_per_campaign")
        if name.endswith("_pct"):
            places = 4
        elif (
            base in KINDS and KINDS[base] in ("money", "count") or base in ("value", "impressions_per_ad_day")
        ):
            places = 2
        else:
            places = 6
        out[column] = out[column].round(places)
    return out.to_csv(index=False)
