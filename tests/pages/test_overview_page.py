"""The Overview page run headless with AppTest, on an empty and on a demo workspace."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from adops import jobs

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "overview.py")


def run_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    return at.run()


def test_empty_workspace_shows_a_helpful_empty_state() -> None:
    at = run_page()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert any("warehouse is empty" in i.value for i in at.info)
    assert not at.error


def test_demo_workspace_shows_tiles_table_and_downloads(demo: Path) -> None:
    at = run_page()
    assert not at.exception
    assert [m.label for m in at.metric] == ["Spend", "Conversions", "CPA", "ROAS", "CTR"]
    assert all(m.value not in ("", "–") for m in at.metric)
    table = at.dataframe[-1].value
    assert set(table["platform"]) == {
        "Google Ads",
        "Meta",
        "Pinterest",
        "LinkedIn",
        "TikTok",
        "Microsoft Ads",
        "All platforms",
    }
    labels = [b.label for b in at.get("download_button")]
    assert "Download platform table (CSV)" in labels
    charts = at.get("plotly_chart")  # legends titled "Platform", not the column name
    assert all('"text":"Platform"' in c.proto.spec.replace(" ", "") for c in charts), len(charts)


def test_platform_filter_narrows_the_table(demo: Path) -> None:
    at = run_page()
    at.multiselect(key="filters-platforms").set_value(["linkedin"]).run()
    table = at.dataframe[-1].value
    assert list(table["platform"]) == ["LinkedIn", "All platforms"]


def test_start_after_end_is_an_error_not_a_crash(demo: Path) -> None:
    at = run_page()
    start, end = at.date_input(key="filters-dates").value
    at.date_input(key="filters-dates").set_value((end, start)).run()
    assert not at.exception
    assert at.error and "start date" in at.error[0].value


def test_sync_now_queues_a_job_instead_of_syncing(workspace: Path) -> None:
    at = run_page()
    at.button[0].click().run()
    queued = jobs.recent(kind="sync")
    assert len(queued) == 1 and queued[0].status == "queued"
    assert at.button[0].disabled  # while it is queued
    assert any("sidecar is not answering" in w.value for w in at.warning)


def test_default_range_is_the_last_28_complete_days() -> None:
    from datetime import date

    from adops.analytics.overview import default_range

    # conftest freezes today at 2026-11-24: today is still filling in, so the range ends yesterday
    assert default_range((date(2026, 1, 1), date(2026, 11, 24))) == (date(2026, 10, 27), date(2026, 11, 23))
    assert default_range((date(2026, 11, 20), date(2026, 11, 24))) == (date(2026, 11, 20), date(2026, 11, 23))
    assert default_range((date(2026, 11, 24), date(2026, 11, 24))) == (date(2026, 11, 24), date(2026, 11, 24))


def test_sync_history_and_account_health_are_read_only_while_their_panel_is_open(demo: Path) -> None:
    at = run_page()
    tables = len(at.dataframe)  # the platform table only: the collapsed panel read nothing
    assert [e.label for e in at.expander] == ["Sync history and account health"]
    at.session_state["sync-history"] = True
    at.run()
    assert not at.exception and len(at.dataframe) == tables + 2
    runs, health = at.dataframe[0].value, at.dataframe[1].value
    assert list(runs["status"]) == ["success"] and len(health) == 14
    at.session_state["sync-history"] = False
    at.run()
    assert len(at.dataframe) == tables


def test_numbers_are_cached_per_snapshot_and_a_sync_shows_new_ones(demo: Path) -> None:
    from adops import warehouse

    at = run_page()
    spend = at.dataframe[-1].value.set_index("platform").loc["All platforms", "spend"]
    at.run()  # a rerun on the same snapshot: the same numbers
    assert at.dataframe[-1].value.set_index("platform").loc["All platforms", "spend"] == spend
    start, end = at.date_input(key="filters-dates").value
    row = warehouse.query(
        "SELECT * FROM campaign_daily WHERE date = ? ORDER BY platform, account_id, campaign_id LIMIT 1",
        [end],
    )
    row["spend_reporting"] += 1000.0
    warehouse.commit({"campaign_daily": row})  # a sync restating one row: a new snapshot
    at.run()
    after = at.dataframe[-1].value.set_index("platform").loc["All platforms", "spend"]
    assert round(after - spend, 6) == 1000.0
