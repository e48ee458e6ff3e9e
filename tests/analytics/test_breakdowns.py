"""Breakdowns on a hand-made warehouse: sums, KPIs, period over period and series, checked by hand."""

from __future__ import annotations

import math
from datetime import date

import pytest

from adops.analytics import breakdowns
from adops.analytics.overview import Filters
from adops.errors import InputError
from tests.analytics.support import ad_rows, commit

WEEK = Filters(date(2026, 11, 8), date(2026, 11, 14))  # previous: Nov 1-7


@pytest.fixture
def data() -> None:
    """meta: one ad, Nov 1-7 at 20/day (10 clicks, 1 conversion, value 50), Nov 8-14 at 30/day (20 clicks,
    2 conversions, value 120). google_ads: one ad in EUR, Nov 8-14 only, 10 EUR/day = 11 USD, no conversions."""
    commit(
        ad_rows("meta", "act_1", "c1", "a1", date(2026, 11, 1), 7, impressions=1000, clicks=10, spend=20.0,
                conversions=1.0, conversion_value=50.0),
        ad_rows("meta", "act_1", "c1", "a1", date(2026, 11, 8), 7, impressions=1000, clicks=20, spend=30.0,
                conversions=2.0, conversion_value=120.0),
        ad_rows("google_ads", "100", "c2", "a2", date(2026, 11, 8), 7, impressions=500, clicks=5, spend=10.0,
                currency="EUR", rate=1.1),
    )  # fmt: skip


def test_platform_breakdown_period_over_period(data: None) -> None:
    table = breakdowns.breakdown(WEEK, "platform")
    assert list(table["platform"]) == ["meta", "google_ads"]  # by spend
    meta = table.iloc[0]
    assert meta["name"] == "Meta" and meta["entity_type"] == "platform" and meta["entity_id"] == "meta"
    assert (meta["spend"], meta["spend_prev"], meta["spend_change"]) == (210.0, 140.0, 70.0)
    assert meta["spend_change_pct"] == pytest.approx(0.5)
    assert meta["ctr"] == pytest.approx(0.02) and meta["ctr_prev"] == pytest.approx(0.01)
    assert meta["ctr_change"] == pytest.approx(0.01) and meta["ctr_change_pct"] == pytest.approx(1.0)
    assert meta["cpa"] == pytest.approx(15.0) and meta["cpa_prev"] == pytest.approx(20.0)
    assert meta["cpa_change_pct"] == pytest.approx(-0.25)
    assert meta["roas"] == pytest.approx(4.0) and meta["roas_change_pct"] == pytest.approx(0.6)
    assert meta["cpc"] == pytest.approx(1.5)
    google = table.iloc[1]
    assert google["spend"] == pytest.approx(77.0)  # reporting currency: 7 x 10 EUR at 1.1
    assert google["spend_prev"] == 0 and math.isnan(google["spend_change_pct"])  # nothing to compare with
    assert math.isnan(google["cpa"])  # no conversions: no CPA, not infinity
    assert google["roas"] == 0


def test_every_level_names_its_entities_for_people_and_workflows(data: None) -> None:
    expected = {
        "account": ("account", "act_1", "Account act_1"),
        "campaign": ("campaign", "c1", "Campaign c1"),
        "ad_group": ("ad_group", "c1-g", "Group c1-g"),
        "creative": ("ad", "a1", "Ad a1"),
    }
    for level, (entity_type, entity_id, name) in expected.items():
        top = breakdowns.breakdown(WEEK, level).iloc[0]
        assert (top["entity_type"], top["entity_id"], top["name"]) == (entity_type, entity_id, name), level
        assert top["spend"] == 210.0 and top["account_id"] == "act_1"


def test_filters_narrow_by_platform_and_account(data: None) -> None:
    only_google = Filters(WEEK.start, WEEK.end, platforms=("google_ads",))
    assert list(breakdowns.breakdown(only_google, "campaign")["campaign_id"]) == ["c2"]
    only_meta = Filters(WEEK.start, WEEK.end, accounts=("meta:act_1",))
    assert list(breakdowns.breakdown(only_meta, "creative")["ad_id"]) == ["a1"]
    nobody = Filters(WEEK.start, WEEK.end, accounts=("meta:100",))  # an id of another platform
    assert breakdowns.breakdown(nobody, "account").empty


def test_tiles_sum_before_taking_kpis(data: None) -> None:
    tiles = {t.kpi: t for t in breakdowns.tiles(WEEK)}
    assert [t for t in tiles] == list(breakdowns.METRICS)
    assert tiles["spend"].value == pytest.approx(287.0) and tiles["spend"].previous == 140.0
    assert tiles["spend"].change == pytest.approx(147.0) and tiles["spend"].change_pct == pytest.approx(1.05)
    assert tiles["roas"].value == pytest.approx(840 / 287)  # value over spend, not a mean of ROAS
    assert tiles["ctr"].value == pytest.approx(175 / 10500)
    assert tiles["cpa"].previous == pytest.approx(20.0)


def test_series_by_week_and_other(data: None) -> None:
    two_weeks = Filters(date(2026, 11, 1), date(2026, 11, 14))
    weekly = breakdowns.series(two_weeks, "platform", "week", "spend")
    meta = weekly[weekly["entity"] == "meta"]
    # Nov 1 2026 is a Sunday: its week starts Monday Oct 26
    assert [str(p)[:10] for p in meta["period"]] == ["2026-10-26", "2026-11-02", "2026-11-09"]
    assert list(meta["spend"]) == [20.0, 6 * 20 + 30, 6 * 30]
    keys = breakdowns.entity_keys(breakdowns.breakdown(WEEK, "creative").head(1), "creative")
    assert keys == ["meta:act_1:c1:c1-g:a1"]
    daily = breakdowns.series(WEEK, "creative", "day", "roas", keys)
    assert set(daily["entity"]) == {"meta:act_1:c1:c1-g:a1", "Other"}
    assert daily[daily["entity"] == "Other"]["roas"].eq(0).all()
    monthly = breakdowns.series(two_weeks, "account", "month", "ctr")
    assert len(monthly) == 2 and monthly.set_index("entity").loc["meta:act_1", "ctr"] == pytest.approx(
        210 / 14000
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: breakdowns.breakdown(WEEK, "country"), "unknown level"),
        (lambda: breakdowns.breakdown(WEEK, None), "unknown level"),  # type: ignore[arg-type]
        (lambda: breakdowns.series(WEEK, "platform", "year", "spend"), "unknown grain"),
        (lambda: breakdowns.series(WEEK, "platform", "day", "spend; DROP TABLE x"), "unknown metric"),
        (
            lambda: breakdowns.breakdown(Filters(WEEK.start, WEEK.end, accounts=("act_1",)), "account"),
            "platform:",
        ),
    ],
)
def test_bad_input_is_an_input_error(data: None, call: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()  # type: ignore[operator]


def test_hostile_filter_values_are_parameters_not_sql(data: None) -> None:
    hostile = Filters(WEEK.start, WEEK.end, platforms=("meta' OR '1'='1",), accounts=("x:' OR 1=1 --",))
    assert breakdowns.breakdown(hostile, "platform").empty


def test_empty_warehouse_gives_empty_frames() -> None:
    assert breakdowns.breakdown(WEEK, "creative").empty
    assert all(t.value == 0 or math.isnan(t.value) for t in breakdowns.tiles(WEEK))
    assert breakdowns.series(WEEK, "platform", "day", "spend").empty


def test_kpi_sql_is_the_same_formula_as_kpis() -> None:
    from adops.analytics import kpis

    assert kpis.sql("cpm", "{}_prev") == "(spend_prev::DOUBLE / nullif(impressions_prev, 0) * 1000)"
    assert kpis.sql("roas") == "(conversion_value::DOUBLE / nullif(spend, 0))"
    assert set(breakdowns.RATIOS) <= set(kpis.KPIS)
