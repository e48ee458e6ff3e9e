"""The Meta connector against the fake Graph API: reads, writes, faults, and syncs into the warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pandas as pd
import pytest

from adops import warehouse
from adops.config import AccountConfig
from adops.connectors import AuthError, BadRequest, PermissionDenied, RateLimited, tokens
from adops.connectors.base import CampaignTemplate
from adops.connectors.meta import MetaClient, MetaConnector, minor_units, usage_wait
from adops.connectors.retry import RetryPolicy
from adops.ingest import sync
from tests.connectors.fakes.meta import ACCOUNT, Fault, MetaState, make_app
from tests.connectors.support import assert_daily_matches

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def fake(fake_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[MetaState]:  # type: ignore[no-untyped-def]
    state = MetaState()
    with fake_server(make_app(state)) as url:
        monkeypatch.setenv("ADOPS_META_BASE_URL", url)
        monkeypatch.setenv("META_TOKEN", state.token)
        yield state


def account(**creds: str) -> AccountConfig:
    return AccountConfig("meta", ACCOUNT, "api", None, {"access_token": "env:META_TOKEN", **creds})


def make(waits: list[float] | None = None, **creds: str) -> MetaConnector:
    acc = account(**creds)
    sleep = waits.append if waits is not None else (lambda s: None)
    return MetaConnector(acc, MetaClient(acc, sleep=sleep, policy=RetryPolicy(attempts=4)))


def expected(state: MetaState, level: str, since: date, until: date) -> pd.DataFrame:
    key = "campaign_id" if level == "campaign" else "ad_id"
    frame = pd.DataFrame(state.truth(level, since, until)).rename(columns={"id": key})
    return frame.sort_values([key, "date"]).reset_index(drop=True)


def check_daily(frame: pd.DataFrame, truth: pd.DataFrame, key: str) -> None:
    assert_daily_matches(frame, truth, [key, "date"])


# ---------------------------------------------------------------------------- reads


def test_account_campaigns_and_ads(fake: MetaState) -> None:
    conn = make()
    info = conn.account(ACCOUNT)
    assert (info.currency, info.timezone, info.status) == ("USD", "America/Los_Angeles", "ACTIVE")

    campaigns = conn.campaigns(ACCOUNT).set_index("campaign_id")
    assert len(campaigns) == 3
    first = campaigns.loc["238500000000001"]
    assert first.status == "ENABLED" and first.daily_budget == 50.0 and first.bid_amount == 1.5
    assert first.objective == "OUTCOME_SALES" and first.start_date == date(2026, 7, 1)
    assert pd.isna(campaigns.loc["238500000000002"].daily_budget)  # ad set budgets
    assert campaigns.loc["238500000000003"].status == "PAUSED"

    ads = conn.ads(ACCOUNT)
    assert len(ads) == 12 and ads.ad_id.map(type).eq(str).all()
    ad = ads.set_index("ad_id").loc["2387000000000111"]
    assert ad.ad_group_id == "23860000000001" + "1" and ad.ad_group_name == "Ad set 1.1"
    assert (ad.creative_type, ad.headline, ad.status) == ("SHARE", "Headline 1.1.1", "ENABLED")
    assert ad.landing_url == "https://shop.example.com/p/238500000000001"
    # each ad carries its ad set's learning phase as Meta says it; none where the ad set has none
    stage = ads.set_index("ad_id")["ad_group_learning_stage"]
    assert stage["2387000000000111"] == "SUCCESS" and stage["2387000000000121"] == "FAIL"
    assert stage["2387000000000211"] == "LEARNING" and stage["2387000000000222"] == "FAIL"
    assert pd.isna(stage["2387000000000311"])  # a paused campaign's ad sets are not in learning
    # every read asked for explicit fields and paged with the cursors the API issued
    assert all("fields" in p for m, path, p in fake.requests if m == "GET")


def test_short_window_reads_insights_synchronously_across_pages(fake: MetaState) -> None:
    since, until = date(2026, 11, 10), date(2026, 11, 16)
    conn = make()
    check_daily(
        conn.campaign_daily(ACCOUNT, since, until), expected(fake, "campaign", since, until), "campaign_id"
    )
    ads = conn.ad_daily(ACCOUNT, since, until)
    truth = expected(fake, "ad", since, until)
    check_daily(ads, truth, "ad_id")
    assert {"campaign_id", "ad_group_id", "ad_name"} <= set(ads.columns)
    # reach per ad and day, as Insights reports it at level=ad (never more than the impressions)
    ads = ads.sort_values(["ad_id", "date"]).reset_index(drop=True)
    assert ads["reach"].astype(int).tolist() == truth["reach"].tolist()
    assert (ads["reach"] <= ads["impressions"]).all()
    asked = [
        p["fields"] for m, path, p in fake.requests if path.endswith("insights") and p.get("level") == "ad"
    ]
    assert asked and all("reach" in f.split(",") for f in asked)
    insight_calls = [p for m, path, p in fake.requests if path.endswith("insights")]
    assert any("after" in p for p in insight_calls)  # more than one page
    assert all(p["time_increment"] == "1" for p in insight_calls)
    assert not fake.reports


def test_long_window_uses_async_report_runs_in_chunks(fake: MetaState) -> None:
    since, until = date(2026, 9, 1), date(2026, 11, 23)
    conn = make()
    check_daily(
        conn.campaign_daily(ACCOUNT, since, until), expected(fake, "campaign", since, until), "campaign_id"
    )
    check_daily(conn.ad_daily(ACCOUNT, since, until), expected(fake, "ad", since, until), "ad_id")
    assert len(fake.reports) == 6  # 84 days in 31-day chunks, twice
    assert all(r["polls"] >= 2 for r in fake.reports.values())  # waited through "Job Running"


def test_conversion_action_type_is_configurable(fake: MetaState) -> None:
    since = until = date(2026, 11, 12)
    default = make().campaign_daily(ACCOUNT, since, until)
    clicks = make(conversion_action_type="link_click").campaign_daily(ACCOUNT, since, until)
    assert default.conversions.sum() == expected(fake, "campaign", since, until).conversions.sum()
    assert clicks.conversions.sum() > 0 and clicks.conversion_value.sum() == 0


# ---------------------------------------------------------------------------- writes


def test_writes(fake: MetaState) -> None:
    conn = make()
    assert conn.set_daily_budget(ACCOUNT, "238500000000001", 75.25) == 50.0
    assert fake.campaigns["238500000000001"]["daily_budget"] == "7525"
    with pytest.raises(BadRequest, match="no campaign daily budget"):
        conn.set_daily_budget(ACCOUNT, "238500000000002", 10)

    assert conn.set_status(ACCOUNT, "campaign", "238500000000001", "PAUSED") == "ENABLED"
    assert fake.campaigns["238500000000001"]["status"] == "PAUSED"
    assert conn.set_status(ACCOUNT, "ad", "2387000000000112", "ENABLED") == "PAUSED"
    assert fake.ads["2387000000000112"]["status"] == "ACTIVE"
    assert conn.set_status(ACCOUNT, "ad_group", "238600000000021", "PAUSED") == "ENABLED"

    assert conn.set_bid(ACCOUNT, "ad_group", "238600000000012", 2.1) == 1.6
    assert fake.adsets["238600000000012"]["bid_amount"] == "210"
    assert conn.set_bid(ACCOUNT, "campaign", "238500000000001", 3) == 1.5
    assert {fake.adsets[s]["bid_amount"] for s in ("238600000000011", "238600000000012")} == {"300"}
    with pytest.raises(BadRequest):
        conn.set_bid(ACCOUNT, "ad", "2387000000000111", 1)

    new_id = conn.create_campaign(ACCOUNT, CampaignTemplate("Launch", "CONVERSIONS", 40.0))
    created = fake.campaigns[new_id]
    assert (created["status"], created["objective"], created["daily_budget"]) == (
        "PAUSED",
        "OUTCOME_SALES",
        "4000",
    )
    with pytest.raises(BadRequest, match="objective"):
        conn.create_campaign(ACCOUNT, CampaignTemplate("Bad", "MAGIC", 10.0))


def test_money_in_minimum_units() -> None:
    assert minor_units("USD") == 100 and minor_units("JPY") == 1 and minor_units("krw") == 1


# ---------------------------------------------------------------------------- faults


def test_rate_limits_back_off_and_recover(fake: MetaState) -> None:
    waits: list[float] = []
    conn = make(waits)
    fake.faults += [
        Fault("rate_limit", "campaigns"),
        Fault("http_429", "campaigns"),
        Fault("user_limit", "ads"),
    ]
    assert len(conn.campaigns(ACCOUNT)) == 3
    assert len(conn.ads(ACCOUNT)) == 12
    # 80000 with estimated_time_to_regain_access = 1 minute; the 429's Retry-After; code 17 (no hint)
    assert waits[:3] == [60.0, 7.0, 60.0]


def test_rate_limit_after_the_last_attempt_is_typed(fake: MetaState) -> None:
    fake.faults.append(Fault("rate_limit", "campaigns", times=10))
    with pytest.raises(RateLimited, match="80000"):
        make().client.campaigns(ACCOUNT)


def test_server_errors_and_malformed_bodies_are_retried(fake: MetaState) -> None:
    waits: list[float] = []
    since = until = date(2026, 11, 20)
    fake.faults += [Fault("server_error", "insights", times=2), Fault("malformed", "insights")]
    frame = make(waits).campaign_daily(ACCOUNT, since, until)
    check_daily(frame, expected(fake, "campaign", since, until), "campaign_id")
    assert len(waits) == 3


def test_permission_and_bad_requests_are_not_retried(fake: MetaState) -> None:
    waits: list[float] = []
    fake.faults.append(Fault("permission", "ads"))
    with pytest.raises(PermissionDenied, match="ads_read"):
        make(waits).ads(ACCOUNT)
    fake.faults.append(Fault("permanent", "insights"))
    with pytest.raises(BadRequest, match="1487534|Invalid parameter"):
        make(waits).campaign_daily(ACCOUNT, date(2026, 11, 1), date(2026, 11, 2))
    assert waits == []


def test_expired_token_is_a_precise_auth_error_without_the_secret(
    fake: MetaState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("META_APP_SECRET", fake.app_secret)
    fake.expired_tokens.add(fake.token)
    with pytest.raises(AuthError) as exc:
        make().account(ACCOUNT)
    assert "expired" in str(exc.value) and fake.token not in str(exc.value)
    # with the app's id and secret the client tries one exchange, which Meta refuses for an expired token
    with pytest.raises(AuthError, match="could not be renewed") as exc:
        make(client_id=fake.app_id, client_secret="env:META_APP_SECRET").account(ACCOUNT)
    assert fake.token not in str(exc.value) and fake.app_secret not in str(exc.value)
    assert fake.exchanges == 0


def test_long_lived_token_is_exchanged_before_it_expires_and_persisted(
    fake: MetaState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("META_APP_SECRET", fake.app_secret)
    creds = {"client_id": fake.app_id, "client_secret": "env:META_APP_SECRET"}
    soon = datetime.now(UTC) + timedelta(days=2)
    tokens.save(account().key, {"access_token": fake.token, "expires_at": soon.isoformat()})
    conn = make(**creds)
    assert conn.account(ACCOUNT).currency == "USD"
    assert fake.exchanges == 1 and fake.token == "meta-token-exchanged-1"
    saved = tokens.load(account().key)
    assert saved["access_token"] == fake.token
    # the next process uses the exchanged token (the configured one no longer works)
    later = make(**creds)
    assert later.client.access_token == fake.token and len(later.campaigns(ACCOUNT)) == 3
    assert fake.exchanges == 1


def test_usage_headers_slow_the_client_down() -> None:
    headers = httpx.Headers(
        {
            "x-business-use-case-usage": '{"1": [{"type": "ads_insights", "call_count": 95, '
            '"total_cputime": 10, "total_time": 10, "estimated_time_to_regain_access": 0}]}',
        }
    )
    assert usage_wait(headers, 90) == 60.0
    assert (
        usage_wait(
            httpx.Headers({"x-ad-account-usage": '{"acc_id_util_pct": 99, "reset_time_duration": 30}'}), 90
        )
        == 30
    )
    assert usage_wait(httpx.Headers({"x-ad-account-usage": '{"acc_id_util_pct": 20}'}), 90) == 0
    assert usage_wait(httpx.Headers({"x-ad-account-usage": "not json"}), 90) == 0


# ---------------------------------------------------------------------------- sync into the warehouse


def configure(workspace) -> None:  # type: ignore[no-untyped-def]
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "adops.toml").write_text(
        f"""
[[accounts]]
platform = "meta"
id = "{ACCOUNT}"
connector = "api"
[accounts.credentials]
access_token = "env:META_TOKEN"
"""
    )


SINCE, UNTIL = date(2026, 10, 1), date(2026, 11, 23)


def landed(fake: MetaState) -> None:
    camp = warehouse.query("SELECT * FROM campaign_daily WHERE platform = 'meta'")
    check_daily(camp, expected(fake, "campaign", SINCE, UNTIL), "campaign_id")
    assert set(camp.currency) == {"USD"} and camp.campaign_name.notna().all()
    ads = warehouse.query("SELECT * FROM ad_daily WHERE platform = 'meta'")
    truth = expected(fake, "ad", SINCE, UNTIL)
    check_daily(ads, truth, "ad_id")
    landed_reach = ads.sort_values(["ad_id", "date"])["reach"].astype(int).tolist()
    assert landed_reach == truth["reach"].tolist()  # reach lands in the warehouse as reported
    stages = warehouse.query("SELECT ad_id, ad_group_learning_stage AS s FROM ads WHERE platform = 'meta'")
    assert stages.set_index("ad_id")["s"]["2387000000000121"] == "FAIL"
    dup = warehouse.query(
        "SELECT count(*) AS n FROM (SELECT ad_id, date FROM ad_daily GROUP BY ad_id, date HAVING count(*) > 1)"
    )
    assert int(dup.n[0]) == 0
    assert len(warehouse.query("SELECT * FROM ads WHERE platform = 'meta'")) == 12


def test_sync_lands_exactly_the_fake_numbers(fake: MetaState, workspace) -> None:  # type: ignore[no-untyped-def]
    configure(workspace)
    result = sync(platforms=["meta"], since=SINCE, until=UNTIL)
    assert result.status == "success", result.accounts
    landed(fake)
    acc = warehouse.query("SELECT * FROM accounts WHERE platform = 'meta'")
    assert acc.timezone.tolist() == ["America/Los_Angeles"]


def test_interrupted_sync_then_rerun_lands_once(
    fake: MetaState, workspace, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    configure(workspace)
    # the insights reads fail for good partway through the account
    fake.faults.append(Fault("permanent", "insights", times=100, skip=4))
    failed = sync(platforms=["meta"], since=SINCE, until=UNTIL)
    assert failed.status == "failed" and failed.accounts[0].error_kind == "bad_request"
    assert fake.token not in (failed.accounts[0].error or "")
    fake.faults.clear()

    # a killed process in the middle of the next run
    original = MetaConnector.ad_daily

    def killed(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(MetaConnector, "ad_daily", killed)
    with pytest.raises(KeyboardInterrupt):
        sync(platforms=["meta"], since=SINCE, until=UNTIL)
    monkeypatch.setattr(MetaConnector, "ad_daily", original)

    assert sync(platforms=["meta"], since=SINCE, until=UNTIL).status == "success"
    assert sync(platforms=["meta"], since=SINCE, until=UNTIL).status == "success"
    landed(fake)
