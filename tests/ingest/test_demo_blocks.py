"""The demo built block by block (the next days read while the previous are written) holds exactly
the rows one window gives: the pinned checksums, the same rates, run records and cursors."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from adops import store
from adops.errors import ExternalError
from adops.ingest import build_demo, demo
from adops.ingest.sync import _block_windows as block_windows
from adops.store.models import SyncAccountRun, SyncState
from tests.ingest.test_demo_checksum import AD_COLUMNS, CAMPAIGN_COLUMNS, digest, rows


def test_windows_cover_the_days_once_in_order_and_the_last_ends_at_each_accounts_today() -> None:
    since = date(2025, 10, 27)
    windows = block_windows(since, None, 4)
    assert len(windows) == 4 and windows[0][0] == since and windows[-1][1] is None
    for (_, hi), (lo, _) in zip(windows, windows[1:], strict=False):
        assert hi is not None and lo == hi + timedelta(days=1)
    assert windows[-2][1] is not None and windows[-2][1] <= date(2026, 11, 22)  # two days before today
    assert block_windows(since, None, 1) == [(since, None)]
    assert block_windows(date(2026, 11, 20), None, 4) == [(date(2026, 11, 20), None)]  # too short
    assert block_windows(None, None, 4) == []


@pytest.mark.slow
def test_a_demo_built_in_blocks_is_the_pinned_demo(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "BLOCK_DAYS", 40)  # 120 days: three blocks
    result = build_demo(days=120, seed=7, campaigns_per_account=(3, 5))
    assert result.status == "success" and len(result.accounts) == 14
    ad = rows(f"SELECT {AD_COLUMNS} FROM ad_daily ORDER BY platform, account_id, ad_id, date")
    assert ad.num_rows == 43_028
    assert digest(ad) == "cb398a7971b7baada89f3ac5515ad9c2c8dac9c778ffaaaf867b773df37cba0d"
    campaign = rows(
        f"SELECT {CAMPAIGN_COLUMNS} FROM campaign_daily ORDER BY platform, account_id, campaign_id, date"
    )
    assert digest(campaign) == "528abc0cc23c9bbe8224c261dffdd5e3cac060781f6129b7910273a0f74513e0"
    assert result.rows == 43_028 + 7_045
    rates = rows("SELECT date, currency, count(*) AS n FROM fx_rates GROUP BY ALL")
    assert rates.num_rows == rows("SELECT * FROM fx_rates").num_rows  # one rate per day and currency
    assert min(rates["date"].to_pylist()) == date(2026, 7, 28)
    with store.session() as s:
        runs = list(s.scalars(select(SyncAccountRun)))
        cursors = list(s.scalars(select(SyncState)))
    assert len(runs) == 14 and sum(r.rows for r in runs) == result.rows
    assert all(r.since == date(2026, 7, 28) for r in runs)
    assert {c.cursor for c in cursors} <= {date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)}
    assert len(cursors) == 14


@pytest.mark.slow
def test_an_account_failing_in_a_later_block_fails_the_build_and_keeps_the_warehouse(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "BLOCK_DAYS", 40)
    build_demo(days=30, seed=7, campaigns_per_account=(3, 5))  # one block: the warehouse to keep
    before = rows("SELECT count(*) AS n, min(date) AS first FROM ad_daily").to_pylist()
    module = __import__("adops.ingest.sync", fromlist=["_daily_block"])
    original = module._daily_block

    def failing(cfg, account, kept, window, run_id, synced_at):  # type: ignore[no-untyped-def]
        result, batch = original(cfg, account, kept, window, run_id, synced_at)
        if account.platform == "meta" and window[1] is None:
            result.status, result.error = "failed", "simulated outage"
            return result, None
        return result, batch

    monkeypatch.setattr(module, "_daily_block", failing)
    with pytest.raises(ExternalError, match="simulated outage"):
        build_demo(days=120, seed=7, campaigns_per_account=(3, 5))
    assert rows("SELECT count(*) AS n, min(date) AS first FROM ad_daily").to_pylist() == before
