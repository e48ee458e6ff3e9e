"""LinkedIn connector against the fake Marketing API: reads, writes, Rest.li syntax, faults, syncs."""

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
from adops.connectors.linkedin import LinkedInClient, LinkedInConnector, connector
from adops.connectors.retry import RetryPolicy
from adops.ingest import sync
from tests.connectors.fakes.linkedin import FakeLinkedIn
from tests.connectors.support import assert_daily_matches

ACCOUNT = "508000001"


def compare_daily(got: pd.DataFrame, truth: pd.DataFrame, key: list[str]) -> None:
    assert_daily_matches(got, truth, key, decimals=2)


@pytest.fixture
def fake(fake_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLinkedIn]:  # type: ignore[no-untyped-def]
    state = FakeLinkedIn()
    with fake_server(state.app) as url:
        monkeypatch.setenv("ADOPS_LINKEDIN_BASE_URL", url)
        monkeypatch.setenv("ADOPS_LINKEDIN_TOKEN_URL", f"{url}/oauth/v2/accessToken")
        monkeypatch.setattr("adops.connectors.linkedin.PAGE_SIZE", 5)  # several pages per search
        yield state


def make(sleeps: list[float] | None = None, attempts: int = 5, **creds: str) -> LinkedInConnector:
    account = AccountConfig("linkedin", ACCOUNT, "api", None, creds or {"access_token": "li-access-1"})
    record = sleeps.append if sleeps is not None else (lambda s: None)
    return LinkedInConnector(
        account, LinkedInClient(account, sleep=record, policy=RetryPolicy(attempts=attempts))
    )


def analytics_calls(fake: FakeLinkedIn) -> list[dict]:
    return [c for c in fake.calls if c["path"] == "/rest/adAnalytics"]


def test_account_campaigns_and_creatives(fake: FakeLinkedIn) -> None:
    conn = make()
    info = conn.account(ACCOUNT)
    assert (info.name, info.currency, info.timezone, info.status) == ("Acme LinkedIn", "EUR", "UTC", "ACTIVE")
    camps = conn.campaigns(ACCOUNT).set_index("campaign_id")
    assert list(camps.index) == ["31000001", "31000002", "31000003", "31000004"]
    assert camps.status.tolist() == ["ENABLED", "PAUSED", "ENABLED", "ARCHIVED"]
    assert camps.loc["31000002", "daily_budget"] == 110.0 and camps.loc["31000002", "bid_amount"] == 9.0
    assert camps.loc["31000001", "start_date"] == date(2026, 7, 13)
    ads = conn.ads(ACCOUNT)
    assert len(ads) == 12  # 3 pages of 5
    first = ads.iloc[0]
    assert (first.ad_id, first.campaign_id, first.ad_group_id) == ("41000001", "31000001", "31000001")
    assert (
        first.ad_name == "LI Creative 1.1"
        and first.headline == "Headline 1"
        and first.creative_type == "textAd"
    )
    search = [c for c in fake.calls if c["path"].endswith("/creatives")]
    assert len(search) == 3 and "pageToken=" in search[1]["query"]
    headers = search[0]["headers"]
    assert headers["linkedin-version"].isdigit() and headers["x-restli-protocol-version"] == "2.0.0"


def test_daily_analytics_are_exact_and_use_restli_syntax(fake: FakeLinkedIn) -> None:
    conn = make()
    since, until = date(2026, 9, 1), date(2026, 11, 10)
    compare_daily(
        conn.campaign_daily(ACCOUNT, since, until),
        fake.truth_campaign_daily(since, until),
        ["date", "campaign_id"],
    )
    ads = conn.ad_daily(ACCOUNT, since, until)
    compare_daily(ads, fake.truth_ad_daily(since, until), ["date", "ad_id"])
    assert set(ads.ad_group_id) == set(ads.campaign_id) == set(fake.campaigns)
    query = analytics_calls(fake)[0]["query"]
    assert "dateRange=(start:(year:2026,month:9,day:1),end:(year:2026,month:11,day:10))" in query
    assert "accounts=List(urn%3Ali%3AsponsoredAccount%3A508000001)" in query
    assert "pivot=CAMPAIGN" in query and "timeGranularity=DAILY" in query


def test_chunks_dates_under_the_element_limit_and_splits_fields(fake: FakeLinkedIn, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fake.max_elements = 100  # 12 creatives: at most 8 days a call
    monkeypatch.setattr("adops.connectors.linkedin.MAX_ELEMENTS", 100)
    monkeypatch.setattr("adops.connectors.linkedin.MAX_FIELDS", 4)  # dateRange + pivotValues + 2 metrics
    since, until = date(2026, 10, 1), date(2026, 10, 20)
    compare_daily(
        make().ad_daily(ACCOUNT, since, until), fake.truth_ad_daily(since, until), ["date", "ad_id"]
    )
    calls = analytics_calls(fake)
    assert len(calls) == 3 * 3  # 3 date chunks x 3 field groups
    assert all(len(c["query"].split("fields=")[1].split(",")) <= 4 for c in calls)


def test_long_queries_are_tunnelled(fake: FakeLinkedIn, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fake.max_url = 200  # the fake refuses long GET URLs with 414
    monkeypatch.setattr("adops.connectors.linkedin.MAX_URL", 200)
    since, until = date(2026, 11, 1), date(2026, 11, 3)
    compare_daily(
        make().campaign_daily(ACCOUNT, since, until),
        fake.truth_campaign_daily(since, until),
        ["date", "campaign_id"],
    )
    call = analytics_calls(fake)[0]
    assert call["method"] == "POST" and call["headers"]["x-http-method-override"] == "GET"
    assert call["headers"]["content-type"] == "application/x-www-form-urlencoded"


def test_writes(fake: FakeLinkedIn) -> None:
    conn = make()
    assert conn.set_daily_budget(ACCOUNT, "31000001", 150.0) == 100.0
    assert fake.campaigns["31000001"]["dailyBudget"] == {"amount": "150.00", "currencyCode": "EUR"}
    assert conn.set_status(ACCOUNT, "campaign", "31000001", "PAUSED") == "ENABLED"
    assert fake.campaigns["31000001"]["status"] == "PAUSED"
    assert conn.set_status(ACCOUNT, "ad_group", "31000002", "ENABLED") == "PAUSED"
    assert conn.set_status(ACCOUNT, "ad", "41000001", "PAUSED") == "ENABLED"
    assert fake.creatives["41000001"]["intendedStatus"] == "PAUSED"
    assert conn.set_bid(ACCOUNT, "campaign", "31000001", 12.5) == 8.0
    assert fake.campaigns["31000001"]["unitCost"]["amount"] == "12.50"
    with pytest.raises(BadRequest, match="at least 10"):  # the platform's refusal comes through
        conn.set_daily_budget(ACCOUNT, "31000001", 2.0)
    with pytest.raises(BadRequest, match="unitCost"):
        conn.set_bid(ACCOUNT, "ad", "41000001", 1.0)
    new = conn.create_campaign(ACCOUNT, CampaignTemplate("Launch", "WEBSITE_CONVERSION", 75.0, 9.0))
    created = fake.campaigns[new]
    assert created["status"] == "PAUSED" and created["campaignGroup"].endswith(":61000001")
    assert created["dailyBudget"] == {"amount": "75.00", "currencyCode": "EUR"}
    assert conn.campaigns(ACCOUNT).set_index("campaign_id").loc[new, "status"] == "PAUSED"


def test_throttling_5xx_and_malformed_bodies_are_retried(fake: FakeLinkedIn) -> None:
    sleeps: list[float] = []
    fake.fail("adCampaigns", "429")
    fake.fail("adCampaigns", "5xx", times=2)
    fake.fail("adCampaigns", "malformed")
    assert len(make(sleeps).campaigns(ACCOUNT)) == 4
    assert len(sleeps) == 4 and sleeps[0] == 3.0
    fake.fail("adAnalytics", "429", times=5)
    with pytest.raises(RateLimited, match="throttle"):
        make(attempts=3).campaign_daily(ACCOUNT, date(2026, 11, 1), date(2026, 11, 2))
    fake.faults.clear()
    fake.fail("adAnalytics", "malformed", times=5)
    with pytest.raises(TransientError):
        make(attempts=2).campaign_daily(ACCOUNT, date(2026, 11, 1), date(2026, 11, 2))


def test_expired_token_refreshes_with_rotated_refresh_token(fake: FakeLinkedIn) -> None:
    creds = {
        "access_token": "li-access-1",
        "refresh_token": "li-refresh-1",
        "client_id": "li-client",
        "client_secret": "li-secret",
    }
    fake.fail("adCampaigns", "expired")
    assert len(make(**creds).campaigns(ACCOUNT)) == 4
    assert fake.refreshes == 1 and fake.refresh_token == "li-refresh-2"
    later = make(**creds)
    assert later.client.refresh_token == "li-refresh-2"
    assert len(later.ads(ACCOUNT)) == 12 and fake.refreshes == 1


def test_auth_permission_and_version_errors(fake: FakeLinkedIn, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AuthError, match="EXPIRED_ACCESS_TOKEN") as exc:
        make(access_token="li-stale-token").campaigns(ACCOUNT)
    assert "li-stale-token" not in str(exc.value)
    with pytest.raises(PermissionDenied, match="ACCESS_DENIED"):
        make().campaigns("509999999")
    monkeypatch.setenv("ADOPS_LINKEDIN_VERSION", "202301")
    with pytest.raises(BadRequest, match="202301 is not served"):
        make().account(ACCOUNT)


def configure(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "adops.toml").write_text(
        f'[[accounts]]\nplatform = "linkedin"\nid = "{ACCOUNT}"\nconnector = "api"\n'
        '[accounts.credentials]\naccess_token = "env:LINKEDIN_ACCESS_TOKEN"\n'
    )
    monkeypatch.setenv("LINKEDIN_ACCESS_TOKEN", "li-access-1")


def landed(table: str) -> pd.DataFrame:
    return warehouse.query(f"SELECT * FROM {table} WHERE platform = 'linkedin'")


def test_sync_lands_exactly_the_fake_numbers(
    fake: FakeLinkedIn, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workspace, monkeypatch)
    since, until = date(2026, 10, 1), date(2026, 11, 23)
    result = sync(platforms=["linkedin"], since=since, until=until)
    assert result.status == "success", result.accounts
    camp = landed("campaign_daily")
    compare_daily(camp, fake.truth_campaign_daily(since, until), ["date", "campaign_id"])
    assert set(camp.currency) == {"EUR"} and camp.spend_reporting.notna().all()
    compare_daily(landed("ad_daily"), fake.truth_ad_daily(since, until), ["date", "ad_id"])
    assert len(landed("campaigns")) == 4 and len(landed("ads")) == 12


def test_interrupted_sync_then_rerun_lands_each_row_once(
    fake: FakeLinkedIn, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workspace, monkeypatch)
    first = (date(2026, 10, 1), date(2026, 10, 31))
    assert sync(platforms=["linkedin"], since=first[0], until=first[1]).status == "success"
    before = landed("ad_daily")
    window = (date(2026, 10, 20), date(2026, 11, 23))
    fake.fail("pivot=CREATIVE", "fatal")  # the ad-level report fails for good midway through the sync
    result = sync(platforms=["linkedin"], since=window[0], until=window[1])
    assert result.status == "partial" and result.accounts[0].ad_error_kind == "bad_request"
    after = landed("ad_daily")
    assert len(after) == len(before)  # no ad rows half-landed; the campaign grain landed whole
    assert len(landed("campaign_daily")) == 4 * (31 + 23)
    fake.faults.clear()
    assert sync(platforms=["linkedin"], since=window[0], until=window[1]).status == "success"
    whole = (first[0], window[1])
    camp = landed("campaign_daily")
    assert not camp.duplicated(["account_id", "campaign_id", "date"]).any()
    compare_daily(camp, fake.truth_campaign_daily(*whole), ["date", "campaign_id"])
    ads = landed("ad_daily")
    assert not ads.duplicated(["account_id", "ad_id", "date"]).any()
    compare_daily(ads, fake.truth_ad_daily(*whole), ["date", "ad_id"])


def test_module_entry_point(fake: FakeLinkedIn) -> None:
    conn = connector(AccountConfig("linkedin", ACCOUNT, "api", None, {"access_token": "li-access-1"}))
    assert conn.platform == "linkedin" and conn.account(ACCOUNT).currency == "EUR"
