"""The Pinterest connector against the fake API v5: reads, writes, faults, and syncs into the warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest

from adops import warehouse
from adops.config import AccountConfig
from adops.connectors import AuthError, BadRequest, PermissionDenied, RateLimited, tokens
from adops.connectors.base import CampaignTemplate
from adops.connectors.pinterest import PinterestClient, PinterestConnector
from adops.connectors.retry import RetryPolicy
from adops.ingest import sync
from tests.connectors.fakes.pinterest import ACCOUNT, Fault, PinterestState, make_app
from tests.connectors.support import assert_daily_matches


@pytest.fixture
def fake(fake_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[PinterestState]:  # type: ignore[no-untyped-def]
    state = PinterestState()
    with fake_server(make_app(state)) as url:
        monkeypatch.setenv("ADOPS_PINTEREST_BASE_URL", url)
        monkeypatch.setenv("PIN_TOKEN", state.token)
        monkeypatch.setenv("PIN_REFRESH", state.refresh_token)
        monkeypatch.setenv("PIN_SECRET", state.client_secret)
        yield state


def account(**creds: str) -> AccountConfig:
    return AccountConfig("pinterest", ACCOUNT, "api", None, {"access_token": "env:PIN_TOKEN", **creds})


def make(waits: list[float] | None = None, **creds: str) -> PinterestConnector:
    acc = account(**creds)
    sleep = waits.append if waits is not None else (lambda s: None)
    return PinterestConnector(acc, PinterestClient(acc, sleep=sleep, policy=RetryPolicy(attempts=5)))


def expected(state: PinterestState, level: str, since: date, until: date) -> pd.DataFrame:
    key = "campaign_id" if level == "CAMPAIGN" else "ad_id"
    frame = pd.DataFrame(state.truth(level, since, until)).rename(columns={"id": key})
    return frame.sort_values([key, "date"]).reset_index(drop=True)


def check_daily(frame: pd.DataFrame, truth: pd.DataFrame, key: str) -> None:
    assert_daily_matches(frame, truth, [key, "date"])


# ---------------------------------------------------------------------------- reads


def test_account_campaigns_and_ads(fake: PinterestState) -> None:
    conn = make()
    info = conn.account(ACCOUNT)
    assert (info.currency, info.timezone) == ("EUR", "UTC")
    campaigns = conn.campaigns(ACCOUNT).set_index("campaign_id")
    assert len(campaigns) == 3
    first = campaigns.loc["626775830001"]
    assert (first.status, first.daily_budget, first.bid_amount, first.bidding_strategy) == (
        "ENABLED",
        40.0,
        1.25,
        "CBO",
    )
    assert campaigns.loc["626775830003"].status == "ARCHIVED" and pd.isna(
        campaigns.loc["626775830003"].daily_budget
    )
    ads = conn.ads(ACCOUNT).set_index("ad_id")
    assert len(ads) == 12
    ad = ads.loc["6877121000"]
    assert (ad.ad_group_id, ad.ad_group_name, ad.campaign_id) == (
        "2680120000",
        "Ad group 1.2",
        "626775830001",
    )
    assert (ad.status, ad.creative_type, ad.landing_url) == (
        "ENABLED",
        "REGULAR",
        "https://shop.example.com/pin/6877121000",
    )
    assert any("bookmark" in p for m, path, p in fake.requests)  # pages of 3 were followed


def test_recent_short_window_uses_analytics_with_ids_chunked(
    fake: PinterestState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PinterestClient, "max_ids", 5)
    since, until = date(2026, 11, 1), date(2026, 11, 23)
    conn = make()
    check_daily(
        conn.campaign_daily(ACCOUNT, since, until), expected(fake, "CAMPAIGN", since, until), "campaign_id"
    )
    ads = conn.ad_daily(ACCOUNT, since, until)
    check_daily(ads, expected(fake, "AD", since, until), "ad_id")
    assert ads.ad_name.notna().all() and ads.ad_group_id.str.startswith("2680").all()
    calls = [p for m, path, p in fake.requests if path.endswith("/analytics")]
    assert len([p for p in calls if "ad_ids" in p]) == 3  # 12 ads in chunks of 5
    assert all(len(p.get("ad_ids", p.get("campaign_ids", "")).split(",")) <= 5 for p in calls)
    assert not fake.reports


def test_long_or_old_windows_use_async_reports(fake: PinterestState) -> None:
    since, until = date(2026, 3, 10), date(2026, 11, 23)  # 259 days, the start beyond the 90-day reach
    conn = make()
    check_daily(
        conn.campaign_daily(ACCOUNT, since, until), expected(fake, "CAMPAIGN", since, until), "campaign_id"
    )
    check_daily(conn.ad_daily(ACCOUNT, since, until), expected(fake, "AD", since, until), "ad_id")
    assert len(fake.reports) == 4  # two 186-day reports per level
    assert all(r["polls"] == 2 for r in fake.reports.values())


def test_conversion_event_is_configurable(fake: PinterestState) -> None:
    since = until = date(2026, 11, 20)
    leads = make(conversion_event="LEAD").campaign_daily(ACCOUNT, since, until)
    assert leads.conversions.sum() > 0 and leads.conversion_value.sum() == 0
    with pytest.raises(BadRequest, match="conversion_event"):
        make(conversion_event="NOPE")


# ---------------------------------------------------------------------------- writes


def test_writes(fake: PinterestState) -> None:
    conn = make()
    assert conn.set_daily_budget(ACCOUNT, "626775830001", 55.5) == 40.0
    assert fake.campaigns["626775830001"]["daily_spend_cap"] == 55_500_000
    assert conn.set_status(ACCOUNT, "campaign", "626775830002", "ENABLED") == "PAUSED"
    assert fake.campaigns["626775830002"]["status"] == "ACTIVE"
    assert conn.set_status(ACCOUNT, "ad", "6877111000", "PAUSED") == "ENABLED"
    assert conn.set_status(ACCOUNT, "ad_group", "2680110000", "PAUSED") == "ENABLED"
    assert fake.ad_groups["2680110000"]["status"] == "PAUSED"
    assert conn.set_bid(ACCOUNT, "ad_group", "2680120000", 2.0) == 1.35
    assert fake.ad_groups["2680120000"]["bid_in_micro_currency"] == 2_000_000
    assert conn.set_bid(ACCOUNT, "campaign", "626775830003", 0.9) == 1.25
    assert {fake.ad_groups[g]["bid_in_micro_currency"] for g in ("2680310000", "2680320000")} == {900_000}
    with pytest.raises(BadRequest, match="no ad 1"):
        conn.set_status(ACCOUNT, "ad", "1", "PAUSED")
    new_id = conn.create_campaign(ACCOUNT, CampaignTemplate("Launch", "CONVERSIONS", 30.0))
    created = fake.campaigns[new_id]
    assert (created["status"], created["objective_type"], created["daily_spend_cap"]) == (
        "PAUSED",
        "WEB_CONVERSION",
        30_000_000,
    )
    patches = [p["_body"] for m, path, p in fake.requests if m == "PATCH"]
    assert patches[0] == [{"id": "626775830001", "daily_spend_cap": 55_500_000}]


# ---------------------------------------------------------------------------- faults


def test_rate_limit_server_errors_and_malformed_bodies_are_retried(fake: PinterestState) -> None:
    waits: list[float] = []
    fake.faults += [
        Fault("http_429", "campaigns"),
        Fault("server_error", "campaigns", times=2),
        Fault("malformed", "campaigns"),
    ]
    assert len(make(waits).client.campaigns(ACCOUNT)) == 3
    assert waits[0] == 4.0 and len(waits) == 4


def test_persistent_rate_limit_and_permission_errors_are_typed(fake: PinterestState) -> None:
    fake.faults.append(Fault("http_429", "campaigns", times=10))
    with pytest.raises(RateLimited) as exc:
        make().client.campaigns(ACCOUNT)
    assert exc.value.retry_after == 4.0
    fake.faults.clear()
    fake.faults.append(Fault("forbidden", "campaigns"))
    with pytest.raises(PermissionDenied, match="ads:write"):
        make().set_daily_budget(ACCOUNT, "626775830001", 10)


def test_expired_token_refreshes_once_and_persists_the_rotated_refresh_token(fake: PinterestState) -> None:
    fake.expired_tokens.add(fake.token)
    creds = {
        "refresh_token": "env:PIN_REFRESH",
        "client_id": fake.client_id,
        "client_secret": "env:PIN_SECRET",
    }
    conn = make(**creds)
    assert conn.account(ACCOUNT).currency == "EUR"
    assert fake.refreshes == 1 and conn.client.access_token == "pin-access-2"
    assert tokens.load(account().key)["refresh_token"] == "pin-refresh-2"
    # the env still holds the old refresh token, which Pinterest no longer accepts: the saved one is used
    later = make(**creds)
    assert later.client.refresh_token == "pin-refresh-2" and later.client.access_token == "pin-access-2"
    assert len(later.campaigns(ACCOUNT)) == 3 and fake.refreshes == 1


def test_expired_token_without_refresh_credentials_is_an_auth_error(fake: PinterestState) -> None:
    fake.expired_tokens.add(fake.token)
    with pytest.raises(AuthError, match="expired") as exc:
        make().account(ACCOUNT)
    assert fake.token not in str(exc.value)
    fake.refresh_token = "revoked"
    creds = {
        "refresh_token": "env:PIN_REFRESH",
        "client_id": fake.client_id,
        "client_secret": "env:PIN_SECRET",
    }
    with pytest.raises(AuthError, match="refresh token was refused") as exc:
        make(**creds).account(ACCOUNT)
    assert fake.client_secret not in str(exc.value) and "pin-refresh-1" not in str(exc.value)


# ---------------------------------------------------------------------------- sync into the warehouse

SINCE, UNTIL = date(2026, 9, 1), date(2026, 11, 23)


def configure(workspace) -> None:  # type: ignore[no-untyped-def]
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "adops.toml").write_text(
        f"""
[[accounts]]
platform = "pinterest"
id = "{ACCOUNT}"
connector = "api"
[accounts.credentials]
access_token = "env:PIN_TOKEN"
"""
    )


def landed(fake: PinterestState) -> None:
    camp = warehouse.query("SELECT * FROM campaign_daily WHERE platform = 'pinterest'")
    check_daily(camp, expected(fake, "CAMPAIGN", SINCE, UNTIL), "campaign_id")
    assert set(camp.currency) == {"EUR"} and camp.campaign_name.notna().all()
    ads = warehouse.query("SELECT * FROM ad_daily WHERE platform = 'pinterest'")
    check_daily(ads, expected(fake, "AD", SINCE, UNTIL), "ad_id")
    dup = warehouse.query(
        "SELECT count(*) AS n FROM (SELECT ad_id, date FROM ad_daily GROUP BY ad_id, date HAVING count(*) > 1)"
    )
    assert int(dup.n[0]) == 0


def test_sync_lands_exactly_the_fake_numbers(fake: PinterestState, workspace) -> None:  # type: ignore[no-untyped-def]
    configure(workspace)
    result = sync(platforms=["pinterest"], since=SINCE, until=UNTIL)
    assert result.status == "success", result.accounts
    landed(fake)
    assert len(warehouse.query("SELECT * FROM ads WHERE platform = 'pinterest'")) == 12


def test_interrupted_sync_then_rerun_lands_once(
    fake: PinterestState, workspace, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    configure(workspace)
    fake.faults.append(Fault("permanent", "reports", times=100, skip=3))  # later report calls fail for good
    failed = sync(platforms=["pinterest"], since=SINCE, until=UNTIL)
    assert failed.status in (
        "partial",
        "failed",
    )  # which grain meets the failing report depends on the window
    assert "bad_request" in (failed.accounts[0].error_kind, failed.accounts[0].ad_error_kind)
    fake.faults.clear()

    original = PinterestConnector.ad_daily

    def killed(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(PinterestConnector, "ad_daily", killed)
    with pytest.raises(KeyboardInterrupt):
        sync(platforms=["pinterest"], since=SINCE, until=UNTIL)
    monkeypatch.setattr(PinterestConnector, "ad_daily", original)

    assert sync(platforms=["pinterest"], since=SINCE, until=UNTIL).status == "success"
    assert sync(platforms=["pinterest"], since=SINCE, until=UNTIL).status == "success"
    landed(fake)
