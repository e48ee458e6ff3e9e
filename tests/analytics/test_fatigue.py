"""Creative fatigue: the rule by hand, thresholds from adops.toml, and precision and recall against the
sandbox's injected fatigue."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from adops import config
from adops.analytics import fatigue
from adops.analytics.overview import Filters
from adops.connectors.sandbox.connector import load_world
from adops.errors import ConfigError, InputError
from tests.analytics.support import ad_rows, commit

RULE = fatigue.Thresholds()
END = date(2026, 11, 28)


def judge(first: tuple[int, int], last: tuple[int, int], days: int = 30) -> str:
    status, _ = fatigue.classify(
        np.array([first[0]]),
        np.array([first[1]]),
        np.array([last[0]]),
        np.array([last[1]]),
        np.array([days]),
        RULE,
    )
    return str(status[0])


def test_the_rule_by_hand() -> None:
    assert judge((10_000, 100), (10_000, 80)) == "fatigued"  # exactly 20% below: "at least 20%"
    assert judge((10_000, 100), (10_000, 81)) == "healthy"  # 19% below
    assert judge((10_000, 100), (20_000, 100)) == "fatigued"  # 50% below
    assert judge((9_999, 100), (10_000, 10)) == "too few impressions"  # the first window is too thin
    assert judge((10_000, 100), (9_999, 10)) == "too few impressions"
    assert judge((10_000, 100), (10_000, 10), days=6) == "too new"
    assert judge((10_000, 0), (10_000, 0)) == "healthy"  # no clicks ever: nothing to wear down
    _, change = fatigue.classify(np.array([10_000]), np.array([100]), np.array([10_000]), np.array([75]),
                                 np.array([30]), RULE)  # fmt: skip
    assert change[0] == pytest.approx(-0.25)


@pytest.fixture
def ads() -> None:
    """Four ads, Nov 1-28, 2,000 impressions a day: `worn` goes from 40 to 30 clicks a day (-25%),
    `steady` stays at 40, `thin` has 1,000 impressions a day, `fresh` starts Nov 24 (5 days)."""
    commit(
        ad_rows("meta", "act_1", "c1", "worn", date(2026, 11, 1), 28, impressions=2000,
                clicks=[40] * 7 + [35] * 14 + [30] * 7, spend=10.0),
        ad_rows("meta", "act_1", "c1", "steady", date(2026, 11, 1), 28, impressions=2000, clicks=40, spend=10.0),
        ad_rows("tiktok", "200", "c2", "thin", date(2026, 11, 1), 28, impressions=1000, clicks=[20] * 7 + [5] * 21,
                spend=10.0),
        ad_rows("tiktok", "200", "c2", "fresh", date(2026, 11, 24), 5, impressions=5000, clicks=50, spend=10.0),
        ad_rows("tiktok", "200", "c2", "gone", date(2026, 11, 1), 10, impressions=5000, clicks=50, spend=10.0),
    )  # fmt: skip


def test_detect_on_the_warehouse(ads: None) -> None:
    out = fatigue.detect(Filters(date(2026, 11, 1), END), RULE).set_index("ad_id")
    assert out.index[0] == "worn" and out.loc["worn", "status"] == "fatigued"
    worn = out.loc["worn"]
    assert (worn["first_impressions"], worn["first_clicks"], worn["last_clicks"]) == (14_000, 280, 210)
    assert worn["ctr_change"] == pytest.approx(-0.25) and worn["days"] == 28
    assert worn["first_day"] == date(2026, 11, 1) and bool(worn["first_seen_at_history_start"])
    assert (worn["entity_type"], worn["entity_id"], worn["name"]) == ("ad", "worn", "Ad worn")
    assert out.loc["steady", "status"] == "healthy"
    assert out.loc["thin", "status"] == "too few impressions"
    assert out.loc["fresh", "status"] == "too new" and not out.loc["fresh", "first_seen_at_history_start"]
    assert "gone" not in out.index  # nothing in the last 7 days: not running, not judged
    # as of Nov 21 the last window is Nov 15-21 (35 clicks a day): 12.5% below, not fatigued
    earlier = fatigue.detect(Filters(date(2026, 11, 1), date(2026, 11, 21)), RULE).set_index("ad_id")
    assert earlier.loc["worn", "status"] == "healthy"
    assert earlier.loc["worn", "ctr_change"] == pytest.approx(-0.125)
    only_tiktok = fatigue.detect(Filters(date(2026, 11, 1), END, platforms=("tiktok",)), RULE)
    assert set(only_tiktok["platform"]) == {"tiktok"}


def test_thresholds_come_from_adops_toml(ads: None, workspace: Path) -> None:
    (workspace / "adops.toml").write_text("[analysis.fatigue]\nmin_drop = 0.3\nmin_impressions = 500\n")
    t = fatigue.Thresholds.configured()
    assert (t.window_days, t.min_drop, t.min_impressions, t.min_days) == (7, 0.3, 500, 7)
    out = fatigue.detect(Filters(date(2026, 11, 1), END)).set_index("ad_id")
    assert out.loc["worn", "status"] == "healthy"  # 25% is under the 30% asked for
    assert out.loc["thin", "status"] == "fatigued"  # 1,000 a day is enough now; 20 -> 5 clicks


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[analysis.fatigue]\nmin_drop = 1.5\n", "analysis.fatigue.min_drop: must be less than 1"),
        ("[analysis.fatigue]\nmin_drop = 0\n", "analysis.fatigue.min_drop: must be more than 0"),
        ("[analysis.fatigue]\nwindow_days = 7.5\n", "analysis.fatigue.window_days: expected a whole number"),
        ("[analysis.fatigue]\nwindow_days = 1000\n", "analysis.fatigue.window_days: must be at most 90"),
        ('[analysis.fatigue]\nmin_impressions = "10k"\n', "analysis.fatigue.min_impressions"),
        ("[analysis.fatigue]\nmin_click = 3\n", "analysis.fatigue.min_click: unknown setting"),
        ("[analysis]\nfatigue = 3\n", "analysis.fatigue: expected a table"),
    ],
)
def test_bad_settings_name_the_key(workspace: Path, toml: str, message: str) -> None:
    workspace.mkdir(exist_ok=True)
    (workspace / "adops.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        config.load()


def test_bad_thresholds_in_code() -> None:
    with pytest.raises(InputError, match="min_drop"):
        fatigue.Thresholds(min_drop=20)
    with pytest.raises(InputError, match="bucket_days"):
        fatigue.ctr_by_age(Filters(date(2026, 11, 1), END), bucket_days=0)


def test_ctr_by_age_sums_before_dividing(ads: None) -> None:
    out = fatigue.ctr_by_age(Filters(date(2026, 11, 1), END), bucket_days=7)
    meta = out[out["platform"] == "meta"].set_index("age_days")
    assert list(meta.index) == [0, 7, 14, 21]
    assert meta.loc[0, "ctr"] == pytest.approx((280 + 280) / 28_000)
    assert meta.loc[21, "ctr"] == pytest.approx((210 + 280) / 28_000)
    assert meta.loc[0, "ads"] == 2 and meta.loc[0, "impressions_per_ad_day"] == 2000


def precision_recall(end: date, rule: fatigue.Thresholds) -> tuple[float, float, int]:
    """The detector's verdicts against the simulator's true CTR (fatigue only, no noise or season)
    over the same two windows, for every ad it could judge."""
    world = load_world()
    judged = fatigue.detect(Filters(end - timedelta(days=27), end), rule)
    judged = judged[judged["status"].isin(["fatigued", "healthy"])]
    tp = fp = fn = 0
    for ad in judged.itertuples():
        first = [ad.first_day + timedelta(days=i) for i in range(rule.window_days)]
        last = [end - timedelta(days=i) for i in range(rule.window_days)]
        ratio = (
            world.true_ctr(ad.account_id, ad.ad_id, last).mean()
            / world.true_ctr(ad.account_id, ad.ad_id, first).mean()
        )
        truth, found = ratio <= 1 - rule.min_drop, ad.status == "fatigued"
        tp, fp, fn = tp + (truth and found), fp + (found and not truth), fn + (truth and not found)
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1), tp + fn


def test_precision_and_recall_on_the_sandbox(demo: Path) -> None:
    """The demo (120 days) as of its last complete day: the misses are ads within a few points of the
    threshold, where the season's lift in CTR from summer to November hides part of the wear."""
    precision, recall, positives = precision_recall(date(2026, 11, 23), RULE)
    assert positives >= 15  # enough worn ads to measure on
    assert precision >= 0.85, precision
    assert recall >= 0.70, recall


def test_frequency_by_age_and_per_window_from_daily_reach() -> None:
    """`worn` (Meta) is shown to fewer people more often: 2,000 impressions on 1,600 people a day in
    its first week, on 1,000 later; `other` (Microsoft Ads) has no reach (null), so it has no
    frequency and does not dilute Meta's. Frequency = impressions / summed daily reach."""
    worn = ad_rows("meta", "act_1", "c1", "worn", date(2026, 11, 1), 28, impressions=2000,
                   clicks=[40] * 7 + [30] * 21, spend=10.0)  # fmt: skip
    worn["reach"] = [1600] * 7 + [1000] * 21
    other = ad_rows("microsoft_ads", "m1", "c9", "other", date(2026, 11, 1), 28, impressions=3000, clicks=30,
                    spend=10.0)  # fmt: skip
    commit(worn, other)
    by_age = fatigue.ctr_by_age(Filters(date(2026, 11, 1), END), bucket_days=7).set_index(
        ["platform", "age_days"]
    )
    assert by_age.loc[("meta", 0), "frequency"] == pytest.approx(1.25)
    assert by_age.loc[("meta", 21), "frequency"] == pytest.approx(2.0)
    assert np.isnan(by_age.loc[("microsoft_ads", 0), "frequency"])
    judged = fatigue.detect(Filters(date(2026, 11, 1), END), RULE).set_index("ad_id")
    assert judged.loc["worn", "first_frequency"] == pytest.approx(1.25)
    assert judged.loc["worn", "last_frequency"] == pytest.approx(2.0)
    assert judged.loc["worn", "frequency_change"] == pytest.approx(0.6)
    assert np.isnan(judged.loc["other", "last_frequency"])


def test_the_sandbox_frequency_rises_with_age_where_ctr_falls(demo: Path) -> None:
    """On the demo, Meta and TikTok report reach and the others do not; their frequency by ad age rises
    as CTR falls (both worn by the same decay in the simulator), and each ad's reported daily
    frequency is the simulator's true one within its daily noise."""
    by_age = fatigue.ctr_by_age(Filters(date(2026, 7, 28), date(2026, 11, 23)), bucket_days=28)
    reported = set(by_age.loc[by_age["frequency"].notna(), "platform"])
    assert reported == {"meta", "tiktok"}
    for platform in ("meta", "tiktok"):
        rows = by_age[by_age["platform"] == platform].sort_values("age_days")
        assert rows["frequency"].iloc[-1] > rows["frequency"].iloc[0]
    world = load_world()
    from adops import warehouse

    sample = warehouse.query(
        "SELECT account_id, ad_id, date, impressions, reach FROM ad_daily "
        "WHERE platform = 'meta' AND impressions >= 2000 ORDER BY account_id, ad_id, date LIMIT 200"
    )
    truth = np.array([
        world.true_frequency(r.account_id, r.ad_id, [r.date.date()])[0] for r in sample.itertuples()
    ])  # fmt: skip
    seen = sample["impressions"] / sample["reach"]
    assert np.all(np.abs(seen / truth - 1) <= 0.16)  # the daily noise is clipped to +-15%, plus rounding
