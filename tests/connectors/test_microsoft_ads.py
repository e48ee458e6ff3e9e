"""Microsoft Advertising connector against the fake API: reads, reports, writes, faults, token age, sync."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from adops import store, warehouse
from adops.config import AccountConfig
from adops.connectors import (
    AuthError,
    BadRequest,
    CampaignTemplate,
    NotConfigured,
    PermissionDenied,
    RateLimited,
)
from adops.connectors import tokens as token_store
from adops.connectors.microsoft_ads import (
    MicrosoftAdsClient,
    MicrosoftAdsConnector,
    cell,
    connector,
    iana_time_zone,
    number,
    read_report,
    refresh_token_status,
    report_date,
)
from adops.connectors.retry import RetryPolicy
from adops.ingest import sync
from tests.connectors.fakes.microsoft_ads import ACCOUNT, CUSTOMER, FakeMicrosoftAds, make_app
from tests.connectors.support import assert_daily_matches

SINCE, UNTIL = date(2026, 11, 1), date(2026, 11, 23)
CREDS = {
    "refresh_token": "env:MS_REFRESH",
    "client_id": "env:MS_CLIENT_ID",
    "client_secret": "env:MS_CLIENT_SECRET",
    "developer_token": "env:MS_DEV_TOKEN",
    "customer_id": CUSTOMER,
}


@pytest.fixture
def fake(fake_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMicrosoftAds]:  # type: ignore[no-untyped-def]
    state = FakeMicrosoftAds()
    with fake_server(make_app(state)) as url:
        monkeypatch.setenv("ADOPS_MICROSOFT_BASE_URL", url)
        monkeypatch.setenv("ADOPS_MICROSOFT_TOKEN_URL", f"{url}/token")
        monkeypatch.setenv("MS_REFRESH", state.refresh_token)
        monkeypatch.setenv("MS_CLIENT_ID", state.client_id)
        monkeypatch.setenv("MS_CLIENT_SECRET", state.client_secret)
        monkeypatch.setenv("MS_DEV_TOKEN", state.developer_token)
        yield state


def account(**overrides: str) -> AccountConfig:
    return AccountConfig("microsoft_ads", ACCOUNT, "api", None, {**CREDS, **overrides})


def conn(**overrides: str) -> MicrosoftAdsConnector:
    return connector(account(**overrides))


# ---------------------------------------------------------------------------- reads


def test_account_refreshes_the_token_and_sends_every_header(fake: FakeMicrosoftAds) -> None:
    info = conn().account(ACCOUNT)
    assert (info.name, info.currency, info.timezone, info.status) == (
        "Shop DE Bing",
        "EUR",
        "Europe/Berlin",
        "ACTIVE",
    )
    assert fake.token_requests[0]["scope"] == "https://ads.microsoft.com/msads.manage offline_access"
    h = fake.requests[-1]["headers"]
    assert fake.requests[-1]["op"] == "POST Account/Query"
    assert (h["developertoken"], h["customerid"], h["customeraccountid"]) == (
        fake.developer_token,
        CUSTOMER,
        ACCOUNT,
    )
    # the rotated refresh token is persisted, with the day it was issued
    saved = token_store.load(f"microsoft_ads:{ACCOUNT}")
    assert saved["refresh_token"] == fake.refresh_token and saved["refresh_token_issued_at"]


def test_campaigns_with_budgets_bidding_and_statuses(fake: FakeMicrosoftAds) -> None:
    frame = conn().campaigns(ACCOUNT).set_index("campaign_id")
    assert list(frame.index) == ["501", "502", "503"]
    assert frame.loc["501", "status"] == "ENABLED" and frame.loc["502", "status"] == "PAUSED"
    assert frame.loc["503", "status"] == "BUDGET_PAUSED"
    assert frame.loc["502", "daily_budget"] == 75.5 and frame.loc["502", "bid_amount"] == 18.0
    assert frame.loc["502", "bidding_strategy"] == "TargetCpa" and frame.loc["503", "objective"] == "Shopping"


def test_ads_walk_campaigns_ad_groups_and_ads(fake: FakeMicrosoftAds) -> None:
    frame = conn().ads(ACCOUNT).set_index("ad_id")
    assert len(frame) == len(fake.ads) == 9
    assert (
        frame.loc["7001", "headline"] == "Brand exact 0"
        and frame.loc["7001", "ad_group_name"] == "Brand exact"
    )
    assert frame.loc["7002", "status"] == "PAUSED" and frame.loc["7003", "ad_name"] == "Brand exact classic"
    assert frame.loc["7009", "campaign_id"] == "503" and frame.loc["7009", "creative_type"] == "ExpandedText"
    assert frame.loc["7004", "landing_url"] == "https://shop.example.de/b/7004"


def test_daily_reports_submit_poll_download_and_parse(fake: FakeMicrosoftAds) -> None:
    c = conn()
    ads = c.ad_daily(ACCOUNT, SINCE, UNTIL)
    submit = next(r for r in fake.requests if r["op"] == "POST GenerateReport/Submit")["body"][
        "ReportRequest"
    ]
    assert submit["Type"] == "AdPerformanceReportRequest" and submit["Aggregation"] == "Daily"
    assert submit["Time"]["ReportTimeZone"] == "AmsterdamBerlinBernRomeStockholmVienna"
    assert submit["Time"]["CustomDateRangeStart"] == {"Day": 1, "Month": 11, "Year": 2026}
    assert sum(r["op"] == "POST GenerateReport/Poll" for r in fake.requests) == 2  # Pending, then Success
    truth = {(r["date"], r["ad_id"]): r for r in fake.expected_ad_daily(SINCE, UNTIL)}
    got = {(r.date, r.ad_id): r for r in ads.itertuples()}
    assert got.keys() == truth.keys()
    for key, r in got.items():
        t = truth[key]
        assert (r.impressions, r.clicks, r.spend, r.conversions, r.conversion_value) == (
            t["impressions"], t["clicks"], t["spend"], t["conversions"], t["conversion_value"],
        )  # fmt: skip
    assert ads.set_index("ad_id").loc["7001"].ad_name.iloc[0] == "Responsive search ad 7001"
    camp = c.campaign_daily(ACCOUNT, SINCE, UNTIL)
    ctruth = {(r["date"], r["campaign_id"]): r for r in fake.expected_campaign_daily(SINCE, UNTIL)}
    assert {(r.date, r.campaign_id) for r in camp.itertuples()} == ctruth.keys()
    assert set(camp.campaign_name) == {"Brand", "Generic", "Shared"} and set(camp.currency) == {"EUR"}


def test_long_ranges_are_split_and_empty_reports_have_no_url(fake: FakeMicrosoftAds) -> None:
    c = conn()
    fake.ads.clear()
    frame = c.campaign_daily(ACCOUNT, date(2026, 1, 1), UNTIL)  # 327 days: four reports
    assert frame.empty and list(frame.columns)[:4] == ["date", "platform", "account_id", "campaign_id"]
    assert sum(r["op"] == "POST GenerateReport/Submit" for r in fake.requests) == 4


def test_report_parsing_helpers() -> None:
    assert (cell("--"), cell(" x "), number("5.26%"), number("1,234.50"), number("--")) == (
        None,
        "x",
        0.0526,
        1234.5,
        0.0,
    )
    assert report_date("2026-11-03") == report_date("11/3/2026") == date(2026, 11, 3)
    assert iana_time_zone("PacificTimeUSCanadaTijuana") == "America/Los_Angeles"
    assert iana_time_zone("Europe/Paris") == "Europe/Paris" and iana_time_zone(None) == "UTC"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            "r.csv",
            '\ufeff"Report Name: x"\r\n"Rows: 1"\r\n\r\n"TimePeriod","Spend"\r\n"2026-11-01","1.50"\r\n\r\n'
            '"\u00a92026 Microsoft Corporation. All rights reserved. "\r\n',
        )
    assert read_report(buf.getvalue()) == [{"TimePeriod": "2026-11-01", "Spend": "1.50"}]


def test_report_with_header_and_footer_is_read_the_same(
    fake: FakeMicrosoftAds, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = MicrosoftAdsClient.submit_report

    def with_header(self, request):  # type: ignore[no-untyped-def]
        return original(self, {**request, "ExcludeReportHeader": False, "ExcludeReportFooter": False})

    monkeypatch.setattr(MicrosoftAdsClient, "submit_report", with_header)
    frame = conn().campaign_daily(ACCOUNT, SINCE, SINCE + timedelta(days=2))
    assert len(frame) == len(fake.expected_campaign_daily(SINCE, SINCE + timedelta(days=2)))


# ---------------------------------------------------------------------------- writes


def test_set_daily_budget(fake: FakeMicrosoftAds) -> None:
    c = conn()
    assert c.set_daily_budget(ACCOUNT, "501", 55.556) == 40.0
    assert fake.campaigns[501]["DailyBudget"] == 55.56
    assert fake.requests[-1]["op"] == "PUT Campaigns"
    with pytest.raises(BadRequest, match="shared budget"):
        c.set_daily_budget(ACCOUNT, "503", 10)
    with pytest.raises(BadRequest, match="no campaign 999"):
        c.set_daily_budget(ACCOUNT, "999", 10)


def test_set_status_on_campaign_ad_group_and_ad(fake: FakeMicrosoftAds) -> None:
    c = conn()
    assert c.set_status(ACCOUNT, "campaign", "502", "ENABLED") == "PAUSED"
    assert fake.campaigns[502]["Status"] == "Active"
    assert c.set_status(ACCOUNT, "ad_group", "603", "ENABLED") == "PAUSED"
    assert fake.ad_groups[603]["Status"] == "Active"
    assert c.set_status(ACCOUNT, "ad", "7004", "PAUSED") == "ENABLED"
    assert fake.ads[7004]["Status"] == "Paused"
    assert fake.requests[-1]["body"] == {
        "AdGroupId": 602,
        "Ads": [{"Id": 7004, "Type": "ResponsiveSearch", "Status": "Paused"}],
    }
    with pytest.raises(BadRequest, match="no ad 1"):
        c.set_status(ACCOUNT, "ad", "1", "PAUSED")


def test_set_bid_on_ad_group_and_target_cpa_campaign(fake: FakeMicrosoftAds) -> None:
    c = conn()
    assert c.set_bid(ACCOUNT, "ad_group", "601", 1.4) == 1.25
    assert fake.ad_groups[601]["CpcBid"] == {"Amount": 1.4}
    assert c.set_bid(ACCOUNT, "campaign", "502", 21) == 18.0
    assert fake.campaigns[502]["BiddingScheme"] == {"Type": "TargetCpa", "TargetCpa": 21}
    with pytest.raises(BadRequest, match="EnhancedCpc"):
        c.set_bid(ACCOUNT, "campaign", "501", 2)


def test_create_campaign_paused_and_partial_errors(fake: FakeMicrosoftAds) -> None:
    c = conn()
    new_id = c.create_campaign(ACCOUNT, CampaignTemplate("Winter", "SEARCH", 25.0, bid_amount=9.5))
    created = fake.campaigns[int(new_id)]
    assert created["Status"] == "Paused" and created["DailyBudget"] == 25.0
    assert created["BiddingScheme"] == {"Type": "MaxConversions", "TargetCpa": 9.5}
    assert created["TimeZone"] == "AmsterdamBerlinBernRomeStockholmVienna"
    with pytest.raises(BadRequest, match="CampaignServiceCannotCreateDuplicateCampaign"):
        c.create_campaign(ACCOUNT, CampaignTemplate("Winter", "SEARCH", 25.0))


# ---------------------------------------------------------------------------- faults


def test_rate_limit_5xx_expired_token_and_malformed_json_are_survived(fake: FakeMicrosoftAds) -> None:
    waits: list[float] = []
    c = MicrosoftAdsConnector(
        MicrosoftAdsClient(account(), sleep=waits.append, policy=RetryPolicy(attempts=6))
    )
    c.account(ACCOUNT)
    fake.faults = ["429", "500", "expired", "malformed"]
    assert len(c.campaigns(ACCOUNT)) == 3
    assert waits[0] == 60.0 and len(waits) == 3  # CallRateExceeded: a minute; the refresh needs no wait
    assert len(fake.token_requests) == 2


def test_report_error_then_retry_and_permanent_rate_limit(fake: FakeMicrosoftAds) -> None:
    c = MicrosoftAdsConnector(
        MicrosoftAdsClient(account(), sleep=lambda s: None, policy=RetryPolicy(attempts=2))
    )
    fake.faults = ["report_error"]
    with pytest.raises(Exception, match="failed on Microsoft's side"):
        c.campaign_daily(ACCOUNT, SINCE, SINCE)
    fake.faults = ["429", "429"]
    with pytest.raises(RateLimited, match="CallRateExceeded"):
        c.campaigns(ACCOUNT)


def test_permission_and_missing_settings_are_precise(
    fake: FakeMicrosoftAds, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(PermissionDenied, match="UserIsNotAuthorized"):
        conn(customer_id="1").campaigns(ACCOUNT)
    with pytest.raises(NotConfigured, match="customer_id"):
        conn(customer_id="")
    monkeypatch.delenv("MS_DEV_TOKEN")
    with pytest.raises(NotConfigured, match="developer_token"):
        conn()


def test_expired_refresh_token_says_to_sign_in_again_without_secrets(fake: FakeMicrosoftAds) -> None:
    fake.refresh_token = "ms-refresh-other"
    with pytest.raises(AuthError) as exc:
        conn().account(ACCOUNT)
    text = str(exc.value)
    assert "AADSTS700082" in text and "90 days" in text and "sign in again" in text
    for secret in ("ms-refresh-1", "ms-secret", "ms-dev-token"):
        assert secret not in text


def test_refresh_token_nearing_90_days_is_warned_about(
    fake: FakeMicrosoftAds, caplog: pytest.LogCaptureFixture
) -> None:
    issued = (datetime.now(UTC) - timedelta(days=80)).isoformat()
    acc = account(refresh_token_issued_at=issued)
    assert refresh_token_status(acc)["expiring"] is True
    client = MicrosoftAdsClient(acc)
    left = client.refresh_token_days_left()
    assert left is not None and 9 < left < 11
    warning = client.refresh_token_warning()
    assert warning and "expires in 10 days" in warning and "sign in again" in warning
    c = MicrosoftAdsConnector(client)
    with caplog.at_level(logging.WARNING, logger="adops.connectors.microsoft_ads"):
        c.account(ACCOUNT)
    assert c.warnings == [warning] and "expires in 10 days" in caplog.text
    assert store.events.after(0, types=("connector.token_expiring",))
    # the refresh during that read rotated the token: the 90 days start again
    assert MicrosoftAdsClient(acc).refresh_token_warning() is None
    assert refresh_token_status(acc)["days_left"] > 89
    old = MicrosoftAdsClient(account(refresh_token_issued_at="2020-01-01"))
    assert old.refresh_token_warning() is None  # the rotated one from tokens.json wins
    token_store.save(f"microsoft_ads:{ACCOUNT}", {"refresh_token_issued_at": "2020-01-01T00:00:00+00:00"})
    assert "has likely expired" in (MicrosoftAdsClient(account()).refresh_token_warning() or "")


# ---------------------------------------------------------------------------- sync


def configure(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    creds = "\n".join(f'{k} = "{v}"' for k, v in CREDS.items())
    (home / "adops.toml").write_text(
        f'[[accounts]]\nplatform = "microsoft_ads"\nid = "{ACCOUNT}"\nconnector = "api"\n[accounts.credentials]\n{creds}\n'
    )


def landed(fake: FakeMicrosoftAds) -> None:
    ads = warehouse.query("SELECT * FROM ad_daily WHERE platform = 'microsoft_ads'")
    assert set(ads["currency"]) == {"EUR"}
    assert_daily_matches(
        ads, pd.DataFrame(fake.expected_ad_daily(SINCE, UNTIL)), ["date", "ad_id"], decimals=9
    )
    camps = warehouse.query("SELECT * FROM campaign_daily WHERE platform = 'microsoft_ads'")
    assert_daily_matches(
        camps, pd.DataFrame(fake.expected_campaign_daily(SINCE, UNTIL)), ["date", "campaign_id"], decimals=9
    )


def test_sync_lands_exactly_the_fake_numbers(fake: FakeMicrosoftAds, workspace: Path) -> None:
    configure(workspace)
    fake.faults = ["429", "500"]
    result = sync(platforms=["microsoft_ads"], since=SINCE, until=UNTIL)
    assert result.status == "success", result.accounts
    landed(fake)
    acc = warehouse.query("SELECT * FROM accounts WHERE platform = 'microsoft_ads'")
    assert (acc.currency.tolist(), acc.timezone.tolist()) == (["EUR"], ["Europe/Berlin"])
    assert warehouse.query("SELECT count(*) AS n FROM ads WHERE platform = 'microsoft_ads'").n.iloc[0] == 9


def test_failed_then_interrupted_sync_lands_once_when_rerun(
    fake: FakeMicrosoftAds, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workspace)
    fake.fail_reports = {"AdPerformanceReportRequest"}  # the last request of the account fails for good
    failed = sync(platforms=["microsoft_ads"], since=SINCE, until=UNTIL)
    assert failed.status == "partial" and failed.accounts[0].ad_error_kind == "permission"  # campaigns land
    fake.fail_reports = set()

    original = MicrosoftAdsConnector.ad_daily

    def killed(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(MicrosoftAdsConnector, "ad_daily", killed)
    with pytest.raises(KeyboardInterrupt):
        sync(platforms=["microsoft_ads"], since=SINCE, until=UNTIL)
    monkeypatch.setattr(MicrosoftAdsConnector, "ad_daily", original)

    assert sync(platforms=["microsoft_ads"], since=SINCE, until=UNTIL).status == "success"
    assert sync(platforms=["microsoft_ads"], since=SINCE, until=UNTIL).status == "success"
    landed(fake)
