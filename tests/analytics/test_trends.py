"""Mann-Kendall, Sen's slope and the Benjamini-Hochberg correction, pinned to values computed by hand
and to a published example."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from adops.analytics import trends
from adops.analytics.overview import Filters
from adops.errors import InputError
from tests.analytics.support import ad_rows, commit


def test_published_example() -> None:
    """The worked example of holycross.edu's "A Mann-Kendall Example (By Hand)": 14 values, S = 54,
    V = 14·13·33/18 − 2·1·9/18 (one pair of ties), Z = (S − 1)/√V = 2.9058, one-sided p ≈ 0.0018."""
    x = [12.9, 14.8, 13.2, 15.7, 13.8, 15.6, 12.9, 11.0, 17.3, 15.9, 19.0, 18.3, 20.1, 21.7]
    t = trends.mann_kendall(x)
    assert t.n == 14 and t.s == 54
    assert t.var_s == pytest.approx(14 * 13 * 33 / 18 - 2 * 1 * 9 / 18)
    assert t.z == pytest.approx(2.9058, abs=5e-5)
    assert t.p_value / 2 == pytest.approx(0.0018, abs=5e-5)  # we report the two-sided p
    assert t.tau == pytest.approx(54 / 91)


def test_small_series_by_hand() -> None:
    """[1, 3, 2, 5, 4]: 8 rising pairs, 2 falling: S = 6, Var = 5·4·15/18, Z = 5/√Var; the ten pairwise
    slopes sorted are -1, -1, 1/3, 1/2, 3/4, 1, 1, 4/3, 2, 3: Sen's slope = (3/4 + 1)/2."""
    t = trends.mann_kendall([1, 3, 2, 5, 4])
    assert t.s == 6 and t.var_s == pytest.approx(5 * 4 * 15 / 18)
    assert t.z == pytest.approx(5 / np.sqrt(5 * 4 * 15 / 18))
    assert t.p_value == pytest.approx(2 * stats.norm.sf(5 / np.sqrt(5 * 4 * 15 / 18)))
    assert t.slope == pytest.approx(0.875)
    assert trends.mann_kendall([2.0, np.nan, 2.0, 2.0, 2.0]).p_value == 1.0  # flat; NaN dropped


def test_the_array_test_gives_pymannkendalls_numbers() -> None:
    """mann_kendall_many against pymannkendall's original_test, series by series: lengths 4 to 60,
    ties (rounded values), flat series, steps; every field to 1e-12."""
    import pymannkendall as mk

    rng = np.random.default_rng(11)
    for n in (4, 5, 13, 28, 60):
        rows = [
            rng.normal(0, 1, n),
            np.round(rng.normal(5, 2, n)),  # many ties
            np.full(n, 3.0),  # flat
            np.arange(n) * 0.5 + rng.normal(0, 0.1, n),  # rising
            np.where(np.arange(n) < n // 2, 10.0, 2.0),  # a step down
        ]
        for row, t in zip(rows, trends.mann_kendall_many(np.vstack(rows)), strict=True):
            r = mk.original_test(row)
            assert t.n == n and t.s == r.s
            for ours, theirs in ((t.var_s, r.var_s), (t.z, r.z), (t.tau, r.Tau), (t.p_value, r.p),
                                 (t.slope, r.slope), (t.intercept, r.intercept)):  # fmt: skip
                assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)


def test_too_few_points() -> None:
    with pytest.raises(InputError, match="at least 4 points"):
        trends.mann_kendall([1.0, 2.0, np.nan])


def series(name: str, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"series": name, "period": range(len(values)), "value": values})


def test_detect_corrects_for_the_number_of_series() -> None:
    rng = np.random.default_rng(3)
    frames = [series("up", list(np.arange(20) + rng.normal(0, 1, 20)))]
    frames += [series(f"noise{i}", list(rng.normal(0, 1, 20))) for i in range(9)]
    frames += [series("short", [1.0, 2.0])]
    out = trends.detect(pd.concat(frames), alpha=0.05)
    assert out.iloc[0]["series"] == "up" and out.iloc[0]["verdict"] == "real"
    assert out.iloc[0]["direction"] == "increasing" and out.iloc[0]["slope"] == pytest.approx(1, abs=0.2)
    tested = out[out["verdict"] != "too short"]
    # Benjamini-Hochberg by hand: q_(i) = min over j >= i of p_(j) · m / j
    p = tested["p_value"].to_numpy()
    order = np.argsort(p)
    m = len(p)
    by_hand = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1].clip(max=1)
    assert tested["q_value"].to_numpy()[order] == pytest.approx(by_hand)
    assert (tested["q_value"] >= tested["p_value"]).all()
    assert (tested["verdict"] == np.where(tested["q_value"] < 0.05, "real", "noise")).all()
    assert out.iloc[-1]["series"] == "short" and out.iloc[-1]["verdict"] == "too short"
    assert pd.isna(out.iloc[-1]["direction"])


def test_a_noise_series_significant_alone_is_noise_among_many() -> None:
    """p = 0.03 passes alone; among 20 series with nothing else going on it does not survive."""
    rng = np.random.default_rng(11)
    lucky = None
    for seed in range(200):
        values = list(np.random.default_rng(seed).normal(0, 1, 15))
        if 0.01 < trends.mann_kendall(values).p_value < 0.05:
            lucky = values
            break
    assert lucky is not None
    assert trends.detect(series("lucky", lucky)).iloc[0]["verdict"] == "real"
    crowd = [series(f"n{i}", list(rng.normal(0, 1, 15))) for i in range(19)]
    out = trends.detect(pd.concat([series("lucky", lucky), *crowd])).set_index("series")
    assert out.loc["lucky", "verdict"] == "noise"


@pytest.mark.parametrize(
    ("frame", "alpha", "message"),
    [
        (pd.DataFrame({"series": ["a"], "value": [1.0]}), 0.05, "lacks period"),
        (series("a", [1, 2, 3, 4]), 0.0, "alpha"),
        (series("a", [1, 2, 3, 4]), 1.5, "alpha"),
    ],
)
def test_detect_bad_input(frame: pd.DataFrame, alpha: float, message: str) -> None:
    with pytest.raises(InputError, match=message):
        trends.detect(frame, alpha)


def test_complete_periods_leave_out_partial_weeks_and_months() -> None:
    weeks = trends.complete_periods(date(2026, 11, 1), date(2026, 11, 30), "week")
    assert weeks == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
    months = trends.complete_periods(date(2026, 10, 15), date(2026, 12, 31), "month")
    assert months == [date(2026, 11, 1), date(2026, 12, 1)]
    assert len(trends.complete_periods(date(2026, 11, 1), date(2026, 11, 28), "day")) == 28
    with pytest.raises(InputError, match="unknown grain"):
        trends.complete_periods(date(2026, 11, 1), date(2026, 11, 28), "hour")


def test_trend_table_on_the_warehouse() -> None:
    """A campaign whose spend rises 10 a day is a real increase; one that is flat is not; a campaign with
    one day of spend counts zeros on the other days."""
    commit(
        ad_rows("meta", "act_1", "up", "a1", date(2026, 11, 1), 28, impressions=1000, clicks=10,
                spend=[100.0 + 10 * i for i in range(28)]),
        ad_rows("meta", "act_1", "flat", "a2", date(2026, 11, 1), 28, impressions=1000, clicks=10,
                spend=[300.0, 310.0] * 14),
        ad_rows("tiktok", "200", "once", "a3", date(2026, 11, 14), 1, impressions=10, clicks=1, spend=5.0),
    )  # fmt: skip
    out = trends.trend_table(Filters(date(2026, 11, 1), date(2026, 11, 28)), "campaign", "day", "spend")
    out = out.set_index("entity_id")
    assert out.loc["up", "verdict"] == "real" and out.loc["up", "slope"] == pytest.approx(10.0)
    assert out.loc["up", "name"] == "Campaign up" and out.loc["up", "entity_type"] == "campaign"
    assert out.loc["flat", "verdict"] == "noise" and out.loc["flat", "n"] == 28
    assert out.loc["once", "n"] == 28 and out.loc["once", "verdict"] == "noise"
    weekly = trends.trend_table(Filters(date(2026, 11, 1), date(2026, 11, 28)), "campaign", "week", "spend")
    assert set(weekly["verdict"]) == {"too short"}  # Nov 2-22: three whole weeks
    assert (
        len(
            trends.trend_table(
                Filters(date(2026, 11, 1), date(2026, 11, 28)), "campaign", "day", "roas", top=1
            )
        )
        == 1
    )
    with pytest.raises(InputError, match="top"):
        trends.trend_table(Filters(date(2026, 11, 1), date(2026, 11, 28)), "campaign", "day", "spend", top=0)
