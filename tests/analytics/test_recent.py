"""The recent window (adops.analytics.recent) gives the same numbers as the Parquet files: after a demo,
after a sync that adds days and restates the lookback, and after a restatement committed by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from adops import warehouse
from adops.analytics import breakdowns, fatigue, recent, trends
from adops.analytics.overview import Filters
from adops.ingest import build_demo, sync

TODAY = date(2026, 11, 24)


def _last_28(end: date, **kw: tuple[str, ...]) -> Filters:
    return Filters(end - timedelta(days=27), end, **kw)


def _queries(end: date) -> dict[str, Callable[[], pd.DataFrame]]:
    """Every analysis query that reads the window, with and without platform and account filters."""
    plain = _last_28(end)
    meta = _last_28(end, platforms=("meta", "tiktok"))
    account = warehouse.query("SELECT platform || ':' || account_id AS k FROM accounts ORDER BY k LIMIT 1").k[
        0
    ]
    one = _last_28(end, accounts=(account,))

    def top(level: str, f: Filters) -> list[str]:
        return breakdowns.entity_keys(breakdowns.breakdown(f, level).head(5), level)

    out: dict[str, Callable[[], pd.DataFrame]] = {}
    for name, f in (("all", plain), ("platforms", meta), ("account", one)):
        for level in ("campaign", "ad_group", "creative"):
            out[f"breakdown {level} {name}"] = partial(breakdowns.breakdown, f, level)
            for grain in ("day", "week", "month") if name == "all" else ("week",):
                out[f"series {level} {grain} {name}"] = partial(
                    breakdowns.series, f, level, grain, "roas", top(level, f)
                )
        out[f"series campaign all {name}"] = partial(breakdowns.series, f, "campaign", "week", "spend")
        out[f"fatigue {name}"] = partial(fatigue.detect, f, fatigue.Thresholds(min_impressions=100))
        out[f"ctr by age {name}"] = partial(fatigue.ctr_by_age, f)
        out[f"trends {name}"] = partial(trends.trend_table, f, "campaign", "day", "spend", top=10)
    # a range that starts on a Wednesday: partial weeks at both ends
    odd = Filters(end - timedelta(days=40), end - timedelta(days=3))
    out["series creative week odd range"] = partial(
        breakdowns.series, odd, "creative", "week", "spend", top("creative", odd)
    )
    out["breakdown creative odd range"] = partial(breakdowns.breakdown, odd, "creative")
    return out


def _without_window(monkeypatch: pytest.MonkeyPatch, call: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    with monkeypatch.context() as m:
        m.setattr(recent.Recent, "covers", lambda self, table, start: False)
        return call()


def assert_window_matches_files(monkeypatch: pytest.MonkeyPatch, end: date) -> None:
    """Each query on the window equals the same query on the Parquet files (floats to 1e-9)."""
    for name, call in _queries(end).items():
        ours = call()
        files = _without_window(monkeypatch, call)
        assert len(ours) > 0, name
        pd.testing.assert_frame_equal(
            ours.reset_index(drop=True),
            files.reset_index(drop=True),
            check_dtype=False,
            rtol=1e-9,
            obj=name,
        )


@pytest.fixture
def small_demo(workspace: Path) -> None:
    assert build_demo(days=70, seed=5, campaigns_per_account=(2, 3)).status == "success"
    recent.clear()


@pytest.mark.slow
def test_the_window_equals_the_files_after_a_demo_a_sync_and_a_restatement(
    small_demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    end = TODAY - timedelta(days=1)
    assert_window_matches_files(monkeypatch, end)
    first = recent.recent()
    assert first.covers("ad_daily", end - timedelta(days=60))

    # a sync three days later: new days, and the lookback window restated by the sandbox
    later = TODAY + timedelta(days=3)
    monkeypatch.setenv("ADOPS_TODAY", later.isoformat())
    assert sync().status == "success"
    assert recent.recent() is not first  # a new snapshot: the window is loaded again
    assert_window_matches_files(monkeypatch, later - timedelta(days=1))

    # a restatement committed by hand: the last five days' spend doubled on one platform
    rows = warehouse.query(
        "SELECT * FROM ad_daily WHERE platform = 'meta' AND date >= ?", [later - timedelta(days=5)]
    )
    doubled = rows.assign(spend=rows.spend * 2, spend_reporting=rows.spend_reporting * 2)
    before = breakdowns.breakdown(_last_28(later - timedelta(days=1)), "creative")
    warehouse.commit({"ad_daily": doubled})
    after = breakdowns.breakdown(_last_28(later - timedelta(days=1)), "creative")
    assert after.spend.sum() > before.spend.sum()  # the window shows the restated rows
    assert_window_matches_files(monkeypatch, later - timedelta(days=1))


def test_ranges_before_the_window_read_the_files(small_demo: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recent, "RECENT_DAYS", 10)
    monkeypatch.setattr(recent.load, "__defaults__", (10,))
    recent.clear()
    end = TODAY - timedelta(days=1)
    window = recent.recent()  # the demo's last day is today (still filling in)
    assert window.covers("ad_daily", TODAY - timedelta(days=9))
    assert not window.covers("ad_daily", TODAY - timedelta(days=10))
    held = window.query("SELECT min(date) AS first, count(DISTINCT date) AS days FROM recent_ad_daily")
    assert held.days[0] == 10
    # a 28-day range is read from the files; a 5-day one from the window: both as the files say
    for f in (_last_28(end), Filters(end - timedelta(days=4), end)):
        ours = breakdowns.breakdown(f, "creative")
        pd.testing.assert_frame_equal(
            ours, _without_window(monkeypatch, partial(breakdowns.breakdown, f, "creative")), rtol=1e-9
        )


def test_an_empty_warehouse_has_an_empty_window(workspace: Path) -> None:
    recent.clear()
    window = recent.recent()
    assert window.first == {"ad_daily": None, "campaign_daily": None}
    assert not window.covers("ad_daily", TODAY)
    assert breakdowns.breakdown(_last_28(TODAY), "creative").empty


def test_colliding_entity_numbers_are_not_used(small_demo: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two entities with one number would add up: such a window is not used, the files are read."""
    end = TODAY - timedelta(days=1)
    expected = breakdowns.breakdown(_last_28(end), "creative")
    monkeypatch.setattr(recent, "NUMBER", "hash({}) % 7")  # seven numbers for every ad
    recent.clear()
    window = recent.recent()
    assert window.first == {"ad_daily": None, "campaign_daily": None}  # more than 7 of each
    assert not window.covers("ad_daily", end)
    pd.testing.assert_frame_equal(breakdowns.breakdown(_last_28(end), "creative"), expected, rtol=1e-9)


def test_a_window_that_cannot_load_leaves_the_queries_to_the_files(
    small_demo: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Past the memory limit (here: a load that fails) the page still gets its numbers, from the files."""
    end = TODAY - timedelta(days=1)
    expected = _without_window(monkeypatch, partial(breakdowns.breakdown, _last_28(end), "creative"))

    def fail(snap: warehouse.Snapshot, days: int = recent.RECENT_DAYS) -> recent.Recent:
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block of size 256.0 KiB")

    monkeypatch.setattr(recent, "load", fail)
    recent.clear()
    pd.testing.assert_frame_equal(breakdowns.breakdown(_last_28(end), "creative"), expected, rtol=1e-9)
    assert not recent.recent().covers("ad_daily", end)
    assert "recent window was not loaded" in caplog.text


def test_whole_weeks_leave_out_the_edges_and_weeks_a_split_crosses() -> None:
    wed, tue = date(2026, 10, 28), date(2026, 11, 24)
    assert breakdowns._whole_weeks(wed, tue, ()) == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    assert breakdowns._whole_weeks(wed, tue, (date(2026, 11, 11),)) == [date(2026, 11, 2), date(2026, 11, 16)]
    # a split on a Monday starts a new bucket with the week: the week is whole on one side
    assert breakdowns._whole_weeks(wed, tue, (date(2026, 11, 9),)) == [
        date(2026, 11, 2),
        date(2026, 11, 9),
        date(2026, 11, 16),
    ]
    assert breakdowns._whole_weeks(date(2026, 11, 2), date(2026, 11, 8), ()) == [date(2026, 11, 2)]
    assert breakdowns._whole_weeks(date(2026, 11, 3), date(2026, 11, 9), ()) == []
