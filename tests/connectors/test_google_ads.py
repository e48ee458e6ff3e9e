"""Google Ads connector against the fake API: reads, writes, faults, and syncs into the warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from adops import warehouse
from adops.config import AccountConfig
from adops.connectors import (
    AuthError,
    BadRequest,
    CampaignTemplate,
    NotConfigured,
    PermissionDenied,
    RateLimited,
)
from adops.connectors.google_ads import (
    GoogleAdsClient,
    GoogleAdsConnector,
    connector,
    customer_id,
    date_chunks,
    to_micros,
)
from adops.connectors.retry import RetryPolicy
from adops.ingest import sync
from tests.connectors.fakes.google_ads import CLIENT, MANAGER, FakeGoogleAds, make_app
from tests.connectors.support import assert_daily_matches

SINCE, UNTIL = date(2026, 11, 1), date(2026, 11, 23)

CREDS = {
    "access_token": "env:GADS_ACCESS",
    "refresh_token": "env:GADS_REFRESH",
    "client_id": "env:GADS_CLIENT_ID",
    "client_secret": "env:GADS_CLIENT_SECRET",
    "developer_token": "env:GADS_DEV_TOKEN",
    "login_customer_id": "env:GADS_LOGIN",
}


@pytest.fixture
def fake(fake_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogleAds]:  # type: ignore[no-untyped-def]
    state = FakeGoogleAds()
    with fake_server(make_app(state)) as url:
        monkeypatch.setenv("ADOPS_GOOGLE_ADS_BASE_URL", url)
        monkeypatch.setenv("ADOPS_GOOGLE_ADS_TOKEN_URL", f"{url}/token")
        monkeypatch.setenv("GADS_ACCESS", state.access_token)
        monkeypatch.setenv("GADS_REFRESH", state.refresh_token)
        monkeypatch.setenv("GADS_CLIENT_ID", state.client_id)
        monkeypatch.setenv("GADS_CLIENT_SECRET", state.client_secret)
        monkeypatch.setenv("GADS_DEV_TOKEN", state.developer_token)
        monkeypatch.setenv("GADS_LOGIN", "987-654-3210")
        yield state


def account(**overrides: str) -> AccountConfig:
    return AccountConfig("google_ads", "123-456-7890", "api", None, {**CREDS, **overrides})


def conn(**overrides: str) -> GoogleAdsConnector:
    return connector(account(**overrides))


# ---------------------------------------------------------------------------- reads


def test_account_reads_currency_and_time_zone_through_the_manager(fake: FakeGoogleAds) -> None:
    info = conn().account("123-456-7890")
    assert (info.name, info.currency, info.timezone) == ("Shop DE", "EUR", "Europe/Berlin")
    req = fake.requests[-1]
    assert req["path"] == f"/v26/customers/{CLIENT}/googleAds:searchStream"
    assert req["headers"]["developer-token"] == fake.developer_token
    assert req["headers"]["login-customer-id"] == MANAGER
    assert "FROM customer" in req["body"]["query"]


def test_client_account_without_login_customer_id_is_a_precise_permission_error(
    fake: FakeGoogleAds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GADS_LOGIN")
    with pytest.raises(PermissionDenied, match="login-customer-id"):
        conn().account(CLIENT)


def test_campaigns_budgets_in_currency_and_statuses(fake: FakeGoogleAds) -> None:
    frame = conn().campaigns(CLIENT).set_index("campaign_id")
    assert list(frame.index) == ["111", "222", "333"]
    assert frame.loc["111", "daily_budget"] == 50.0 and frame.loc["222", "daily_budget"] == 120.5
    assert frame.loc["111", "status"] == "ENABLED" and frame.loc["222", "status"] == "PAUSED"
    assert frame.loc["333", "status"] == "REMOVED"  # kept as the platform says
    assert frame.loc["222", "bid_amount"] == 25.0 and frame.loc["222", "bidding_strategy"] == "TARGET_CPA"
    assert frame.loc["111", "start_date"] == date(2026, 1, 5)
    assert set(frame.currency) == {"EUR"}
    # enabled conversion actions matching each campaign's biddable goals: 222 bids on app downloads,
    # whose only action is removed (no conversion tracking); 333's one goal is not biddable
    assert frame["conversion_actions"].to_dict() == {"111": 2, "222": 0, "333": 0}
    queries = [(r["body"] or {}).get("query", "") for r in fake.requests if isinstance(r["body"], dict)]
    assert any("FROM conversion_action WHERE conversion_action.status = 'ENABLED'" in q for q in queries)


def test_ads_with_creative_fields_and_names_for_nameless_ads(fake: FakeGoogleAds) -> None:
    frame = conn().ads(CLIENT).set_index("ad_id")
    assert len(frame) == len(fake.ads)
    assert frame.loc["9000", "ad_name"] == "Brand exact ad"
    assert frame.loc["9001", "ad_name"] == "Brand exact headline 1"  # no name: first headline
    assert frame.loc["9001", "headline"] == "Brand exact headline 1"
    assert frame.loc["9002", "status"] == "PAUSED"
    assert frame.loc["9001", "landing_url"] == "https://shop.example.de/7001/1"
    assert frame.loc["9030", "campaign_id"] == "333" and frame.loc["9030", "ad_group_id"] == "7004"
    assert frame.loc["9031", "ad_name"] == "RESPONSIVE_DISPLAY_AD 9031"  # no name, no headline


def test_daily_reads_match_the_truth_in_chunks(fake: FakeGoogleAds) -> None:
    since, until = date(2026, 9, 1), UNTIL  # 84 days: three 31-day queries
    c = conn()
    camp = c.campaign_daily(CLIENT, since, until)
    ads = c.ad_daily(CLIENT, since, until)
    queries = [r["body"]["query"] for r in fake.requests if "segments.date" in r["body"]["query"]]
    assert (
        sum("FROM campaign" in q for q in queries) == 3 and sum("FROM ad_group_ad" in q for q in queries) == 3
    )
    assert "BETWEEN '2026-09-01' AND '2026-10-01'" in queries[0]
    truth = {(r["date"], r["ad_id"]): r for r in fake.expected_ad_daily(since, until)}
    got = {(r.date, r.ad_id): r for r in ads.itertuples()}
    assert got.keys() == truth.keys()
    for key, r in got.items():
        t = truth[key]
        assert (r.impressions, r.clicks, r.spend, r.conversions, r.conversion_value) == (
            t["impressions"], t["clicks"], t["spend"], t["conversions"], t["conversion_value"],
        )  # fmt: skip
        assert (r.campaign_id, r.ad_group_id, r.currency) == (t["campaign_id"], t["ad_group_id"], "EUR")
    ctruth = {(r["date"], r["campaign_id"]): r for r in fake.expected_campaign_daily(since, until)}
    assert {(r.date, r.campaign_id) for r in camp.itertuples()} == ctruth.keys()
    for r in camp.itertuples():
        t = ctruth[(r.date, r.campaign_id)]
        assert r.spend == pytest.approx(t["spend"]) and r.impressions == t["impressions"]
    assert set(camp.campaign_name) == {"Brand Search", "Generic Search", "Old Display"}
    assert ads.impressions.dtype.kind == "i" and camp.conversions.dtype.kind == "f"


def test_empty_window_gives_empty_frames_with_the_columns(fake: FakeGoogleAds) -> None:
    fake.ads.clear()
    frame = conn().ad_daily(CLIENT, SINCE, SINCE)
    assert frame.empty and "ad_name" in frame.columns


# ---------------------------------------------------------------------------- writes


def test_set_daily_budget_returns_the_old_one(fake: FakeGoogleAds) -> None:
    c = conn()
    assert c.set_daily_budget(CLIENT, "111", 64.999) == 50.0
    assert fake.budgets["501"]["amount_micros"] == 65_000_000  # rounded to the cent
    mutate = fake.requests[-1]
    assert mutate["path"] == f"/v26/customers/{CLIENT}/campaignBudgets:mutate"
    assert mutate["body"]["operations"][0]["updateMask"] == "amountMicros"
    with pytest.raises(BadRequest, match="shared budget"):
        c.set_daily_budget(CLIENT, "333", 10)
    with pytest.raises(BadRequest, match="positive"):
        c.set_daily_budget(CLIENT, "111", 0)


def test_set_status_on_campaign_ad_group_and_ad(fake: FakeGoogleAds) -> None:
    c = conn()
    assert c.set_status(CLIENT, "campaign", "111", "PAUSED") == "ENABLED"
    assert fake.campaigns["111"]["status"] == "PAUSED"
    assert c.set_status(CLIENT, "ad_group", "7003", "ENABLED") == "PAUSED"
    assert fake.ad_groups["7003"]["status"] == "ENABLED"
    assert c.set_status(CLIENT, "ad", "9011", "PAUSED") == "ENABLED"
    assert fake.ads["9011"]["status"] == "PAUSED"
    assert (
        fake.requests[-1]["body"]["operations"][0]["update"]["resourceName"]
        == f"customers/{CLIENT}/adGroupAds/7002~9011"
    )
    with pytest.raises(BadRequest, match="nothing with id 4242"):
        c.set_status(CLIENT, "ad", "4242", "PAUSED")


def test_set_bid_on_ad_group_and_target_cpa_campaign(fake: FakeGoogleAds) -> None:
    c = conn()
    assert c.set_bid(CLIENT, "ad_group", "7001", 2.25) == 1.5
    assert fake.ad_groups["7001"]["cpc_bid_micros"] == 2_250_000
    assert c.set_bid(CLIENT, "campaign", "222", 30) == 25.0
    assert fake.campaigns["222"]["target_cpa_micros"] == 30_000_000
    with pytest.raises(BadRequest, match="MANUAL_CPC"):
        c.set_bid(CLIENT, "campaign", "111", 1.0)
    with pytest.raises(BadRequest, match="not on ads"):
        c.set_bid(CLIENT, "ad", "9000", 1.0)


def test_create_campaign_is_paused_with_its_own_budget(fake: FakeGoogleAds) -> None:
    c = conn()
    new_id = c.create_campaign(CLIENT, CampaignTemplate("Winter Sale", "SEARCH", 40.0, bid_amount=12.0))
    created = fake.campaigns[new_id]
    assert created["status"] == "PAUSED" and created["target_cpa_micros"] == 12_000_000
    assert fake.budgets[created["budget"]] == {"amount_micros": 40_000_000, "explicitly_shared": False}
    budgets = len(fake.budgets)
    with pytest.raises(BadRequest, match="DUPLICATE_CAMPAIGN_NAME"):
        c.create_campaign(CLIENT, CampaignTemplate("Winter Sale", "SEARCH", 40.0))
    assert len(fake.budgets) == budgets  # the orphaned budget was removed again


# ---------------------------------------------------------------------------- faults


def test_429_with_retry_delay_5xx_and_malformed_bodies_are_retried(fake: FakeGoogleAds) -> None:
    waits: list[float] = []
    client = GoogleAdsClient(account(), sleep=waits.append, policy=RetryPolicy(attempts=6))
    c = GoogleAdsConnector(client)
    fake.faults = ["429", "503", "malformed", "stream_error"]
    assert c.account(CLIENT).currency == "EUR"
    assert waits[0] == 7.0 and len(waits) == 4  # retryDelay "7s" honoured, then backoff


def test_rate_limit_surfaces_after_the_last_attempt(fake: FakeGoogleAds) -> None:
    client = GoogleAdsClient(account(), sleep=lambda s: None, policy=RetryPolicy(attempts=2))
    fake.faults = ["429", "429"]
    with pytest.raises(RateLimited, match="RESOURCE_TEMPORARILY_EXHAUSTED") as exc:
        GoogleAdsConnector(client).account(CLIENT)
    assert exc.value.retry_after == 7.0


def test_expired_token_refreshes_once_and_carries_on(fake: FakeGoogleAds) -> None:
    c = conn()
    fake.faults = ["expired"]
    assert len(c.campaigns(CLIENT)) == 3
    assert c.client.access_token == fake.access_token != "access-good"


def test_revoked_refresh_token_is_an_auth_error_without_secrets(fake: FakeGoogleAds) -> None:
    fake.refresh_token = "something-else"
    fake.access_token = "not-what-the-client-has"
    with pytest.raises(AuthError) as exc:
        conn().account(CLIENT)
    assert "refresh token was refused" in str(exc.value)
    for secret in ("refresh-good", "client-secret", "access-good", "dev-token-123"):
        assert secret not in str(exc.value)


def test_bad_query_is_a_bad_request_and_wrong_developer_token_an_auth_error(
    fake: FakeGoogleAds, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(BadRequest, match="UNRECOGNIZED_FIELD"):
        conn().client.search_stream(CLIENT, "SELECT campaign.nope FROM campaign")
    monkeypatch.setenv("GADS_DEV_TOKEN", "wrong")
    monkeypatch.delenv("GADS_REFRESH")
    with pytest.raises(AuthError, match="DEVELOPER_TOKEN_INVALID"):
        conn().account(CLIENT)
    monkeypatch.delenv("GADS_DEV_TOKEN")
    with pytest.raises(NotConfigured, match="missing credentials: developer_token"):
        conn()


def test_helpers() -> None:
    assert customer_id("123-456-7890") == "1234567890"
    assert to_micros(19.999) == 20_000_000 and to_micros(0.015) == 20_000
    assert list(date_chunks(date(2026, 1, 1), date(2026, 1, 3), 2)) == [
        (date(2026, 1, 1), date(2026, 1, 2)),
        (date(2026, 1, 3), date(2026, 1, 3)),
    ]


# ---------------------------------------------------------------------------- sync


def configure(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    creds = "\n".join(f'{k} = "{v}"' for k, v in CREDS.items())
    (home / "adops.toml").write_text(
        f'[[accounts]]\nplatform = "google_ads"\nid = "{CLIENT}"\nconnector = "api"\n[accounts.credentials]\n{creds}\n'
    )


def landed(fake: FakeGoogleAds, since: date = SINCE, until: date = UNTIL) -> None:
    ads = warehouse.query("SELECT * FROM ad_daily WHERE platform = 'google_ads'")
    assert set(ads["currency"]) == {"EUR"}
    assert_daily_matches(
        ads, pd.DataFrame(fake.expected_ad_daily(since, until)), ["date", "ad_id"], decimals=9
    )
    camps = warehouse.query("SELECT * FROM campaign_daily WHERE platform = 'google_ads'")
    assert_daily_matches(
        camps, pd.DataFrame(fake.expected_campaign_daily(since, until)), ["date", "campaign_id"], decimals=9
    )
    dupes = warehouse.query(
        "SELECT count(*) AS n FROM (SELECT ad_id, date FROM ad_daily GROUP BY ALL HAVING count(*) > 1)"
    )
    assert dupes.n.iloc[0] == 0


def test_sync_lands_exactly_the_fake_numbers(fake: FakeGoogleAds, workspace: Path) -> None:
    configure(workspace)
    fake.faults = ["429", "expired", "503"]  # a bumpy ride still lands everything
    result = sync(platforms=["google_ads"], since=SINCE, until=UNTIL)
    assert result.status == "success", result.accounts
    landed(fake)
    acc = warehouse.query("SELECT * FROM accounts WHERE platform = 'google_ads'")
    assert (acc.account_id.tolist(), acc.currency.tolist(), acc.timezone.tolist()) == (
        [CLIENT], ["EUR"], ["Europe/Berlin"]
    )  # fmt: skip
    camps = warehouse.query("SELECT campaign_id, status, daily_budget FROM campaigns ORDER BY campaign_id")
    assert camps.status.tolist() == ["ENABLED", "PAUSED", "REMOVED"]
    assert warehouse.query("SELECT count(*) AS n FROM ads").n.iloc[0] == len(fake.ads)


def test_failed_then_interrupted_sync_lands_once_when_rerun(
    fake: FakeGoogleAds, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workspace)
    fake.fail_resources = {"ad_group_ad"}  # a permanent failure on a later request
    failed = sync(platforms=["google_ads"], since=SINCE, until=UNTIL)  # the ad grain fails, campaigns land
    assert failed.status == "partial" and failed.accounts[0].ad_error_kind == "permission"
    assert warehouse.query("SELECT count(*) AS n FROM ad_daily WHERE platform = 'google_ads'").n.iloc[0] == 0
    fake.fail_resources = set()

    assert sync(platforms=["google_ads"], since=SINCE, until=date(2026, 11, 10)).status == "success"
    original = GoogleAdsConnector.ad_daily

    def killed(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(GoogleAdsConnector, "ad_daily", killed)
    with pytest.raises(KeyboardInterrupt):
        sync(platforms=["google_ads"], since=SINCE, until=UNTIL)
    monkeypatch.setattr(GoogleAdsConnector, "ad_daily", original)

    assert sync(platforms=["google_ads"], since=SINCE, until=UNTIL).status == "success"
    assert sync(platforms=["google_ads"], since=SINCE, until=UNTIL).status == "success"
    landed(fake)
