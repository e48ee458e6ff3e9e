"""TikTok connector against the fake API: reads, writes, faults, and syncs that land exact numbers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from adops import warehouse
from adops.config import AccountConfig
from adops.connectors import AuthError, BadRequest, PermissionDenied, RateLimited, TransientError
from adops.connectors.base import CampaignTemplate
from adops.connectors.retry import RetryPolicy
from adops.connectors.tiktok import TikTokClient, TikTokConnector, connector
from adops.ingest import sync
from tests.connectors.fakes.tiktok import FakeTikTok
from tests.connectors.support import assert_daily_matches

ADV = "7100000000000000001"


def compare_daily(got: pd.DataFrame, truth: pd.DataFrame, key: list[str]) -> None:
    assert_daily_matches(got, truth, key, decimals=2)


@pytest.fixture
def fake(fake_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTikTok]:  # type: ignore[no-untyped-def]
    state = FakeTikTok()
    with fake_server(state.app) as url:
        monkeypatch.setenv("ADOPS_TIKTOK_BASE_URL", url)
        monkeypatch.setattr("adops.connectors.tiktok.PAGE_SIZE", 50)  # several pages per report
        yield state


def make(sleeps: list[float] | None = None, attempts: int = 5, **creds: str) -> TikTokConnector:
    account = AccountConfig("tiktok", ADV, "api", None, creds or {"access_token": "tt-access-1"})
    record = sleeps.append if sleeps is not None else (lambda s: None)
    return TikTokConnector(
        account, TikTokClient(account, sleep=record, policy=RetryPolicy(attempts=attempts))
    )


def test_account_campaigns_and_ads(fake: FakeTikTok) -> None:
    conn = make()
    info = conn.account(ADV)
    assert (info.name, info.currency, info.timezone, info.status) == (
        "Acme TikTok",
        "USD",
        "America/New_York",
        "ACTIVE",
    )
    camps = conn.campaigns(ADV).set_index("campaign_id")
    assert len(camps) == 3 and camps.index.map(type).tolist() == [str] * 3
    first, second, third = camps.index
    assert camps.loc[first, "status"] == "ENABLED" and camps.loc[second, "status"] == "PAUSED"
    assert camps.loc[first, "daily_budget"] == 50.0 and pd.isna(camps.loc[third, "daily_budget"])
    assert camps.loc[first, "objective"] == "CONVERSIONS" and camps.loc[first, "bid_amount"] == 1.5
    assert camps.loc[first, "start_date"] == date(2026, 7, 15)
    ads = conn.ads(ADV)
    assert len(ads) == 12 and set(ads.status) == {"ENABLED"}
    row = ads.iloc[0]
    assert row.ad_id in fake.ads and row.ad_group_id == fake.ads[row.ad_id]["adgroup_id"]
    assert row.headline and row.landing_url.startswith("https://") and row.creative_type == "SINGLE_VIDEO"
    # the API was asked the documented way: JSON-array fields and the largest page size we chose
    path, params = next(c for c in fake.calls if c[0].endswith("/ad/get/"))
    assert params["fields"].startswith("[") and params["page_size"] == "50"


def test_daily_reports_are_exact_across_chunks_and_pages(fake: FakeTikTok) -> None:
    conn = make()
    since, until = date(2026, 9, 1), date(2026, 11, 10)  # 71 days: three report chunks of <= 30 days
    camp = conn.campaign_daily(ADV, since, until)
    compare_daily(camp, fake.truth_campaign_daily(since, until), ["date", "campaign_id"])
    assert set(camp.campaign_name) == {c["campaign_name"] for c in fake.campaigns.values()}
    ads = conn.ad_daily(ADV, since, until)
    truth = fake.truth_ad_daily(since, until)
    compare_daily(ads, truth, ["date", "ad_id"])
    # reach per ad and day, as the basic report gives it; never more than the impressions
    both = ads.merge(truth, on=["date", "ad_id"], suffixes=("", "_t"))
    assert len(both) == len(ads) and (both["reach"].astype(int) == both["reach_t"]).all()
    assert (ads["reach"] <= ads["impressions"]).all()
    merged = ads.merge(truth, on=["ad_id"], suffixes=("", "_t")).drop_duplicates("ad_id")
    assert (merged.ad_group_id == merged.ad_group_id_t).all() and (
        merged.campaign_id == merged.campaign_id_t
    ).all()
    reports = [p for path, p in fake.calls if path.endswith("/report/integrated/get/")]
    spans = {(p["start_date"], p["end_date"]) for p in reports}
    assert spans == {("2026-09-01", "2026-09-30"), ("2026-10-01", "2026-10-30"), ("2026-10-31", "2026-11-10")}
    assert max(int(p["page"]) for p in reports) > 1  # paged
    assert all(p["report_type"] == "BASIC" and '"stat_time_day"' in p["dimensions"] for p in reports)


def test_query_too_large_shrinks_the_date_step(fake: FakeTikTok) -> None:
    fake.max_report_days = 7
    since, until = date(2026, 10, 1), date(2026, 10, 20)
    got = make().campaign_daily(ADV, since, until)
    compare_daily(got, fake.truth_campaign_daily(since, until), ["date", "campaign_id"])
    spans = [(p["start_date"], p["end_date"]) for path, p in fake.calls if "report" in path]
    assert ("2026-10-01", "2026-10-20") in spans  # tried, refused with 40067
    assert all((date.fromisoformat(b) - date.fromisoformat(a)).days < 7 for a, b in spans[-3:])


def test_writes(fake: FakeTikTok) -> None:
    conn = make()
    cid = next(iter(fake.campaigns))
    assert conn.set_daily_budget(ADV, cid, 120.0) == 50.0
    assert fake.campaigns[cid]["budget"] == "120.00"
    assert conn.set_status(ADV, "campaign", cid, "PAUSED") == "ENABLED"
    assert fake.campaigns[cid]["operation_status"] == "DISABLE"
    assert conn.campaigns(ADV).set_index("campaign_id").loc[cid, "status"] == "PAUSED"
    gid = next(iter(fake.adgroups))
    assert conn.set_status(ADV, "ad_group", gid, "PAUSED") == "ENABLED"
    assert fake.adgroups[gid]["operation_status"] == "DISABLE"
    aid = next(iter(fake.ads))
    assert conn.set_status(ADV, "ad", aid, "PAUSED") == "ENABLED"
    assert conn.set_status(ADV, "ad", aid, "ENABLED") == "PAUSED"
    assert fake.ads[aid]["operation_status"] == "ENABLE"
    assert conn.set_bid(ADV, "ad_group", gid, 2.75) == 1.5
    assert fake.adgroups[gid]["bid_price"] == "2.75"
    with pytest.raises(BadRequest, match="ad groups"):
        conn.set_bid(ADV, "campaign", cid, 1.0)
    with pytest.raises(BadRequest, match="budget mode"):
        conn.set_daily_budget(ADV, list(fake.campaigns)[2], 80.0)  # a no-limit campaign
    with pytest.raises(BadRequest, match="at least 20"):  # the platform's own refusal comes through
        conn.set_daily_budget(ADV, cid, 5.0)
    new = conn.create_campaign(ADV, CampaignTemplate("Launch", "TRAFFIC", 60.0))
    assert fake.campaigns[new]["operation_status"] == "DISABLE" and fake.campaigns[new]["budget"] == "60.00"
    assert conn.campaigns(ADV).set_index("campaign_id").loc[new, "status"] == "PAUSED"


def test_rate_limits_5xx_and_malformed_bodies_are_retried(fake: FakeTikTok) -> None:
    sleeps: list[float] = []
    conn = make(sleeps, attempts=6)
    fake.fail("campaign/get", "rate_limit")  # code 40100 on HTTP 200
    fake.fail("campaign/get", "http429")  # HTTP 429 with Retry-After: 2
    fake.fail("campaign/get", "5xx", times=2)
    fake.fail("campaign/get", "malformed")
    assert len(conn.campaigns(ADV)) == 3
    assert len(sleeps) == 5 and 2.0 in sleeps
    fake.fail("ad/get", "rate_limit", times=10)
    with pytest.raises(RateLimited, match="40100"):
        make(attempts=3).ads(ADV)
    fake.faults.clear()
    fake.fail("ad/get", "malformed", times=10)
    with pytest.raises(TransientError, match="not valid JSON"):
        make(attempts=2).ads(ADV)


def test_expired_token_refreshes_and_the_rotated_token_persists(fake: FakeTikTok, workspace: Path) -> None:
    creds = {
        "access_token": "tt-access-1",
        "refresh_token": "tt-refresh-1",
        "client_id": "tt-app",
        "client_secret": "tt-secret",
    }
    fake.fail("campaign/get", "expired")
    assert len(make(**creds).campaigns(ADV)) == 3
    assert fake.refreshes == 1 and fake.refresh_token == "tt-refresh-2"
    later = make(**creds)  # a new process picks up the rotated tokens
    assert later.client.refresh_token == "tt-refresh-2" and later.client.access_token == "tt-access-2"
    assert len(later.ads(ADV)) == 12 and fake.refreshes == 1
    assert (workspace / "tokens.json").stat().st_mode & 0o077 == 0  # kept private


def test_auth_and_permission_errors_are_typed_and_redacted(fake: FakeTikTok) -> None:
    with pytest.raises(AuthError, match="40105") as exc:
        make(access_token="tt-wrong-token").campaigns(ADV)
    assert "tt-wrong-token" not in str(exc.value)
    conn = make()
    with pytest.raises(PermissionDenied, match="40001"):
        conn.campaigns("7199999999999999999")
    fake.fail("report", "fatal")
    with pytest.raises(BadRequest, match="40002"):
        conn.campaign_daily(ADV, date(2026, 11, 1), date(2026, 11, 2))


def configure(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "adops.toml").write_text(
        f'[[accounts]]\nplatform = "tiktok"\nid = "{ADV}"\nconnector = "api"\n'
        '[accounts.credentials]\naccess_token = "env:TIKTOK_ACCESS_TOKEN"\n'
    )
    monkeypatch.setenv("TIKTOK_ACCESS_TOKEN", "tt-access-1")
    # the sync builds its client through connector(); keep its retries from sleeping for real
    monkeypatch.setattr(
        "adops.connectors.tiktok.connector",
        lambda account: TikTokConnector(account, TikTokClient(account, sleep=lambda s: None)),
    )


def landed(table: str) -> pd.DataFrame:
    return warehouse.query(f"SELECT * FROM {table} WHERE platform = 'tiktok'")


def test_sync_lands_exactly_the_fake_numbers(
    fake: FakeTikTok, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workspace, monkeypatch)
    since, until = date(2026, 10, 1), date(2026, 11, 23)
    result = sync(platforms=["tiktok"], since=since, until=until)
    assert result.status == "success", result.accounts
    camp = landed("campaign_daily")
    compare_daily(camp, fake.truth_campaign_daily(since, until), ["date", "campaign_id"])
    assert set(camp.currency) == {"USD"} and camp.spend_reporting.sum() == pytest.approx(camp.spend.sum())
    compare_daily(landed("ad_daily"), fake.truth_ad_daily(since, until), ["date", "ad_id"])
    assert len(landed("campaigns")) == 3 and len(landed("ads")) == 12
    accounts = landed("accounts")
    assert accounts.timezone.tolist() == ["America/New_York"] and accounts.account_name.tolist() == [
        "Acme TikTok"
    ]


def test_interrupted_sync_then_rerun_lands_each_row_once(
    fake: FakeTikTok, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workspace, monkeypatch)
    first = (date(2026, 10, 1), date(2026, 10, 31))
    assert sync(platforms=["tiktok"], since=first[0], until=first[1]).status == "success"
    before = landed("campaign_daily")

    calls = {"n": 0}
    real = TikTokClient.report

    def interrupted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:  # midway through the ad-level report
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    window = (date(2026, 10, 20), date(2026, 11, 23))
    monkeypatch.setattr(TikTokClient, "report", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sync(platforms=["tiktok"], since=window[0], until=window[1])
    after_kill = landed("campaign_daily")
    assert len(after_kill) == len(before) and after_kill.spend.sum() == pytest.approx(before.spend.sum())

    monkeypatch.setattr(TikTokClient, "report", real)
    fake.fail("report", "5xx")  # and a hiccup on the re-run, retried
    assert sync(platforms=["tiktok"], since=window[0], until=window[1]).status == "success"
    whole = (first[0], window[1])
    camp = landed("campaign_daily")
    assert not camp.duplicated(["account_id", "campaign_id", "date"]).any()
    compare_daily(camp, fake.truth_campaign_daily(*whole), ["date", "campaign_id"])
    ads = landed("ad_daily")
    assert not ads.duplicated(["account_id", "ad_id", "date"]).any()
    compare_daily(ads, fake.truth_ad_daily(*whole), ["date", "ad_id"])


def test_module_entry_point(fake: FakeTikTok) -> None:
    conn = connector(AccountConfig("tiktok", ADV, "api", None, {"access_token": "tt-access-1"}))
    assert conn.platform == "tiktok" and conn.account(ADV).currency == "USD"
