"""The Cross-platform analysis page run headless with AppTest, on an empty and on a demo workspace."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from adops.analytics import breakdowns, fatigue, trends
from adops.errors import InputError
from pages.components.analysis import SELECTION_KEY, rounded_csv

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "analysis.py")
TILES = ["Spend", "Impressions", "Clicks", "Conversions", "Conversion value", "CTR", "CPC", "CPA", "ROAS"]


def run_page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def open_tab(at: AppTest, name: str) -> AppTest:
    at.session_state["analysis-tab"] = name
    return at.run()


def test_empty_workspace_says_what_to_do() -> None:
    at = run_page()
    assert not at.exception
    assert at.title[0].value == "Cross-platform analysis"
    assert any("warehouse is empty" in i.value for i in at.info)
    assert not at.error


def test_demo_workspace_shows_tiles_charts_table_and_download(demo: Path) -> None:
    at = run_page()
    assert not at.exception, at.exception
    assert [m.label for m in at.metric] == TILES
    assert all(m.value not in ("", "–") for m in at.metric)
    assert all(m.proto.delta for m in at.metric)  # every tile compares with the previous period
    table = at.dataframe[0].value
    assert "platform_label" not in table  # one Platform column at the platform level
    assert set(table["name"]) == {
        "Google Ads",
        "Meta",
        "Pinterest",
        "LinkedIn",
        "TikTok",
        "Microsoft Ads",
    }
    assert list(table["spend"]) == sorted(table["spend"], reverse=True)
    assert "Download the platform breakdown (CSV)" in [b.label for b in at.get("download_button")]
    charts = at.get("plotly_chart")
    assert len(charts) == 2 and all('"title"' in c.proto.spec for c in charts)
    assert "Google Ads" in charts[0].proto.spec and "google_ads" not in charts[0].proto.spec.replace(
        '"google_ads"', ""
    )


def test_filters_level_and_selection(demo: Path) -> None:
    at = run_page()
    at.multiselect(key="analysis-platforms").set_value(["linkedin"]).run()
    assert set(at.dataframe[0].value["name"]) == {"LinkedIn"}
    at.selectbox(key="analysis-level").set_value("campaign").run()
    assert not at.exception
    campaigns = at.dataframe[0].value
    assert len(campaigns) > 1 and set(campaigns["platform_label"]) == {"LinkedIn"}
    assert at.session_state[SELECTION_KEY] == []
    at.session_state["analysis-table-campaign"] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    picked = at.session_state[SELECTION_KEY]
    assert [p[0] for p in picked] == ["linkedin", "linkedin"] and {p[2] for p in picked} == {"campaign"}
    assert len({p[3] for p in picked}) == 2 and all(p[1] for p in picked)
    at.run()  # the same selection again: the same list, nothing doubled
    assert at.session_state[SELECTION_KEY] == picked
    at.selectbox(key="analysis-grain").set_value("week").run()
    at.selectbox(key="analysis-metric").set_value("cpa").run()
    assert not at.exception


def test_start_after_end_is_an_error_that_says_what_to_fix(demo: Path) -> None:
    at = run_page()
    start, end = at.date_input(key="analysis-dates").value
    at.date_input(key="analysis-dates").set_value((end, start)).run()
    assert not at.exception
    assert at.error and "start date" in at.error[0].value and "pick a start date" in at.error[0].value


def test_each_tab_draws_only_when_open(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    st.cache_data.clear()

    def hidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a hidden tab was computed")

    with monkeypatch.context() as patch:
        for module, name in ((trends, "trend_table"), (fatigue, "detect")):
            patch.setattr(module, name, hidden)
        at = run_page()
        assert not at.exception, at.exception
    at = open_tab(at, "Trends")
    assert not at.exception, at.exception
    assert any("series changed for real" in m.value for m in at.markdown)
    at.toggle(key="analysis-trend-noise").set_value(True).run()
    assert at.dataframe and "Verdict" not in at.dataframe[0].value.columns  # labels live in the column config
    assert set(at.dataframe[0].value["verdict"]) <= {"real", "noise"}
    at.selectbox(key="analysis-grain").set_value("month").run()
    assert any("Too few whole months" in i.value for i in at.info)  # 28 days hold no whole month
    at = open_tab(at, "Cohorts")
    assert not at.exception
    assert any("No campaign launched" in i.value for i in at.info)  # the 120-day demo's campaigns are older
    at = open_tab(at, "Creative fatigue")
    assert not at.exception
    assert any("fatigued of" in m.value for m in at.markdown)
    assert at.dataframe and set(at.dataframe[0].value["status"]) == {"fatigued"}
    assert len(at.get("plotly_chart")) == 2
    assert "Download the fatigue table (CSV)" in [b.label for b in at.get("download_button")]


def test_a_domain_error_is_shown_not_raised(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    st.cache_data.clear()

    def refuse(*args: object, **kwargs: object) -> None:
        raise InputError("the level is not known")

    monkeypatch.setattr(breakdowns, "tiles", refuse)
    at = run_page()
    assert not at.exception
    assert at.error and at.error[0].value.startswith("Please check the input")
    st.cache_data.clear()


def test_the_csv_rounds_numbers() -> None:
    frame = pd.DataFrame(
        {
            "name": ["a"],
            "spend": [12.345678],
            "ctr": [0.0123456789],
            "roas": [3.14159265],
            "spend_change_pct": [0.123456],
            "conversions_prev": [1.23456],
            "q_value": [0.000123456],
            "cum_spend_per_campaign": [10.126],
        }
    )
    row = pd.read_csv(io.StringIO(rounded_csv(frame))).iloc[0]
    assert row["spend"] == 12.35 and row["ctr"] == 0.012346 and row["roas"] == 3.141593
    assert row["spend_change_pct"] == 0.1235 and row["conversions_prev"] == 1.23
    assert row["q_value"] == 0.000123 and row["cum_spend_per_campaign"] == 10.13


def test_the_cache_key_changes_with_every_sync() -> None:
    """st.cache_data is keyed on version(): a sync publishes a new snapshot, so cached reads are redone."""
    from datetime import date

    from pages.components.analysis import version
    from tests.analytics.support import ad_rows, commit

    commit(ad_rows("meta", "act_1", "c1", "a1", date(2026, 11, 1), 3, impressions=10, spend=1.0))
    first = version()
    assert version() == first
    commit(ad_rows("meta", "act_1", "c1", "a1", date(2026, 11, 1), 3, impressions=10, spend=2.0))
    assert version() != first
