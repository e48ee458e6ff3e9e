"""Cohorts on a hand-made warehouse: launch months, censored launches, cumulative sums and ROAS."""

from __future__ import annotations

from datetime import date

import pytest

from adops.analytics import cohorts
from adops.analytics.overview import Filters
from adops.errors import InputError
from tests.analytics.support import ad_rows, commit

END = date(2026, 11, 10)


@pytest.fixture
def data() -> None:
    """History from Oct 1. c0 spends from Oct 1 (the account's first day: launch unknown); c1 launches
    Oct 10 (10/day, value 20/day); c2 Oct 20 (30/day, value 30/day); c3 on tiktok Nov 3 (5/day, no value)."""
    commit(
        ad_rows("meta", "act_1", "c0", "a0", date(2026, 10, 1), 41, impressions=100, spend=1.0),
        ad_rows("meta", "act_1", "c1", "a1", date(2026, 10, 10), 32, impressions=100, spend=10.0,
                conversion_value=20.0),
        ad_rows("meta", "act_1", "c2", "a2", date(2026, 10, 20), 22, impressions=100, spend=30.0,
                conversion_value=30.0),
        ad_rows("tiktok", "200", "c3", "a3", date(2026, 11, 3), 8, impressions=100, spend=5.0),
        ad_rows("tiktok", "200", "c4", "a4", date(2026, 10, 1), 1, impressions=100, spend=0.0),
    )  # fmt: skip


def test_launches_and_censoring(data: None) -> None:
    found = cohorts.launches().set_index("campaign_id")
    assert found.loc["c1", "launch"] == date(2026, 10, 10)
    assert bool(found.loc["c0", "censored"]) and not bool(found.loc["c1", "censored"])
    assert "c4" not in found.index  # never spent: never launched


def test_curves_by_hand(data: None) -> None:
    out = cohorts.cohort_curves(Filters(date(2026, 10, 1), END), since=date(2026, 10, 1), max_age_days=90)
    october = out[out["cohort"] == date(2026, 10, 1)].set_index("age_days")
    assert set(october["campaigns"]) == {2}  # c1 and c2; c0 is censored
    assert october.index.max() == 21  # c2, the youngest, is 21 days old on Nov 10
    assert october.loc[0, "cum_spend"] == 40.0 and october.loc[0, "cum_value"] == 50.0
    assert october.loc[0, "cum_roas"] == pytest.approx(1.25)
    assert october.loc[5, "cum_spend"] == 240.0 and october.loc[5, "cum_spend_per_campaign"] == 120.0
    assert october.loc[21, "cum_roas"] == pytest.approx(22 * 50 / (22 * 40))
    november = out[out["cohort"] == date(2026, 11, 1)].set_index("age_days")
    assert list(november.index) == list(range(8)) and set(november["campaigns"]) == {1}
    assert november.loc[7, "cum_spend"] == 40.0 and november.loc[7, "cum_roas"] == 0


def test_filters_since_and_max_age(data: None) -> None:
    only_nov = cohorts.cohort_curves(Filters(date(2026, 10, 1), END), since=date(2026, 11, 1))
    assert set(only_nov["cohort"]) == {date(2026, 11, 1)}
    meta = cohorts.cohort_curves(
        Filters(date(2026, 10, 1), END, platforms=("meta",)), since=date(2026, 10, 1)
    )
    assert set(meta["cohort"]) == {date(2026, 10, 1)}
    short = cohorts.cohort_curves(Filters(date(2026, 10, 1), END), since=date(2026, 10, 1), max_age_days=3)
    assert short["age_days"].max() == 3
    account = Filters(date(2026, 10, 1), END, accounts=("tiktok:200",))
    assert set(cohorts.cohort_curves(account, since=date(2026, 10, 1))["campaigns"]) == {1}


def test_bad_input_and_empty(data: None) -> None:
    with pytest.raises(InputError, match="after the end date"):
        cohorts.cohort_curves(Filters(date(2026, 10, 1), END), since=date(2026, 12, 1))
    with pytest.raises(InputError, match="max_age_days"):
        cohorts.cohort_curves(Filters(date(2026, 10, 1), END), since=date(2026, 10, 1), max_age_days=0)
    assert cohorts.cohort_curves(
        Filters(date(2026, 10, 1), END, platforms=("linkedin",)), date(2026, 10, 1)
    ).empty
