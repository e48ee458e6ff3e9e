"""API versions: the pins and their end of life, overrides, and LinkedIn's negotiated version."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from adops.config import AccountConfig
from adops.connectors import BadRequest, NotConfigured, versions
from adops.connectors.google_ads import GoogleAdsClient
from adops.connectors.linkedin import LinkedInClient, LinkedInConnector
from adops.connectors.meta import MetaClient
from adops.connectors.retry import RetryPolicy
from tests.connectors.fakes.google_ads import CLIENT, MANAGER, FakeGoogleAds
from tests.connectors.fakes.google_ads import VERSIONS as GOOGLE_VERSIONS
from tests.connectors.fakes.google_ads import make_app as google_app
from tests.connectors.fakes.linkedin import FakeLinkedIn
from tests.connectors.fakes.meta import ACCOUNT as META_ACCOUNT
from tests.connectors.fakes.meta import VERSIONS as META_VERSIONS
from tests.connectors.fakes.meta import MetaState
from tests.connectors.fakes.meta import make_app as meta_app

ACCOUNT = "508000001"


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts like a new process: nothing negotiated in memory yet."""
    monkeypatch.setattr(versions, "_negotiated", {})
    monkeypatch.setattr(versions, "_written", {})
    monkeypatch.delenv("ADOPS_LINKEDIN_VERSION", raising=False)
    monkeypatch.delenv("ADOPS_META_VERSION", raising=False)
    monkeypatch.delenv("ADOPS_GOOGLE_ADS_VERSION", raising=False)


@pytest.fixture
def linkedin(fake_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeLinkedIn, str]]:  # type: ignore[no-untyped-def]
    state = FakeLinkedIn()
    with fake_server(state.app) as url:
        monkeypatch.setenv("ADOPS_LINKEDIN_BASE_URL", url)
        yield state, url


def client() -> LinkedInConnector:
    account = AccountConfig("linkedin", ACCOUNT, "api", None, {"access_token": "li-access-1"})
    return LinkedInConnector(account, LinkedInClient(account, policy=RetryPolicy(attempts=2)))


def new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(versions, "_negotiated", {})
    monkeypatch.setattr(versions, "_written", {})


# ---------------------------------------------------------------------------- LinkedIn


def test_the_fake_serves_a_year_of_months_and_nothing_from_the_future() -> None:
    fake = FakeLinkedIn(today=date(2026, 11, 24))
    assert fake.serves("202611") and fake.serves("202512")
    assert not fake.serves("202511")  # sunset 2026-11-15
    assert not fake.serves("202612")  # not released yet
    assert not any(fake.serves(v) for v in ("202613", "202600", "abcdef", "20261", "2026111", ""))
    assert FakeLinkedIn(today=date(2026, 11, 14)).serves("202511")


def test_steps_back_from_this_month_to_the_newest_served_and_uses_it(
    linkedin: tuple[FakeLinkedIn, str], workspace: Path
) -> None:
    fake, url = linkedin
    fake.unreleased = {"202611", "202610"}  # this month and the last one are not out
    conn = client()
    assert conn.account(ACCOUNT).name == "Acme LinkedIn"
    assert fake.versions_sent == ["202611", "202610", "202609"]
    assert len(conn.campaigns(ACCOUNT)) == 4
    assert set(fake.versions_sent[3:]) == {"202609"}  # every later request: no probing again
    cache = json.loads((workspace / "api_versions.json").read_text())
    assert cache["linkedin"][url] == {"version": "202609", "month": "202611"}
    assert (workspace / "api_versions.json").stat().st_mode & 0o777 == 0o600
    assert versions.linkedin_cached() == "202609"


def test_the_next_run_starts_where_the_last_one_ended(
    linkedin: tuple[FakeLinkedIn, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, _ = linkedin
    fake.unreleased = {"202611"}
    client().account(ACCOUNT)
    new_process(monkeypatch)
    fake.versions_sent.clear()
    client().account(ACCOUNT)
    assert fake.versions_sent == ["202610"]


def test_a_new_month_probes_the_new_version_first(
    linkedin: tuple[FakeLinkedIn, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, _ = linkedin
    fake.unreleased = {"202611"}
    client().account(ACCOUNT)
    new_process(monkeypatch)
    monkeypatch.setenv("ADOPS_TODAY", "2026-12-02")
    fake.today, fake.unreleased = date(2026, 12, 2), set()
    fake.versions_sent.clear()
    client().account(ACCOUNT)
    assert fake.versions_sent == ["202612"]


def test_a_retired_cached_version_is_not_reused(linkedin: tuple[FakeLinkedIn, str], workspace: Path) -> None:
    """A cache from an earlier month (a replayed file) is only a hint for that month."""
    fake, url = linkedin
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "api_versions.json").write_text(
        json.dumps({"linkedin": {url: {"version": "202510", "month": "202510"}}})
    )
    client().account(ACCOUNT)
    assert fake.versions_sent == ["202611"]


def test_stepping_back_is_bounded(linkedin: tuple[FakeLinkedIn, str]) -> None:
    fake, _ = linkedin
    fake.today = date(2031, 1, 1)  # nothing the client may try is served
    with pytest.raises(BadRequest, match="ADOPS_LINKEDIN_VERSION") as exc:
        client().account(ACCOUNT)
    assert exc.value.status == 426
    assert len(fake.versions_sent) == versions.LINKEDIN_MAX_STEPS + 1
    assert fake.versions_sent[0] == "202611" and fake.versions_sent[-1] == "202511"


def test_a_pinned_version_is_never_changed(
    linkedin: tuple[FakeLinkedIn, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, _ = linkedin
    monkeypatch.setenv("ADOPS_LINKEDIN_VERSION", "202510")  # retired on 2026-10-15
    with pytest.raises(BadRequest, match="202510 is not served"):
        client().account(ACCOUNT)
    assert fake.versions_sent == ["202510"]
    monkeypatch.setenv("ADOPS_LINKEDIN_VERSION", "202601")
    client().account(ACCOUNT)
    assert fake.versions_sent[-1] == "202601"


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\x00 not json",
        b"[1, 2, 3]",
        b'{"linkedin": ["202611"]}',
        b'{"linkedin": {"URL": {"version": "../../etc", "month": "202611"}}}',
        b'{"linkedin": {"URL": {"version": 202609, "month": "202611"}}}',
        b'{"linkedin": {"URL": {"version": "202699", "month": "202611"}}}',
        b'{"linkedin": {"URL": {"version": "209912", "month": "202611"}}}',
        b'{"linkedin": {"URL": {"version": "202609", "month": "202611"}}, "pad": "'
        + b"x" * (versions.CACHE_MAX_BYTES + 1)
        + b'"}',
    ],
    ids=["binary", "list", "wrong-shape", "path", "number", "month-99", "future", "oversized"],
)
def test_a_malformed_or_hostile_cache_is_ignored_and_replaced(
    linkedin: tuple[FakeLinkedIn, str], workspace: Path, content: bytes
) -> None:
    fake, url = linkedin
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "api_versions.json").write_bytes(content.replace(b"URL", url.encode()))
    client().account(ACCOUNT)
    assert fake.versions_sent == ["202611"]
    cache = json.loads((workspace / "api_versions.json").read_text())
    assert cache["linkedin"][url] == {"version": "202611", "month": "202611"}
    assert (workspace / "api_versions.json").stat().st_size < versions.CACHE_MAX_BYTES


def test_threads_that_see_the_same_refusal_agree() -> None:
    base = "https://api.linkedin.example"
    assert versions.linkedin_version(base) == "202611"
    answers: list[str | None] = []
    barrier = threading.Barrier(8)

    def refuse() -> None:
        barrier.wait()
        answers.append(versions.linkedin_refused(base, "202611"))

    threads = [threading.Thread(target=refuse) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == ["202610"] * 8
    assert versions.linkedin_version(base) == "202610"
    assert versions.linkedin_refused(base, "202610") == "202609"


@pytest.mark.parametrize(
    "value", ["2026-11", "202613", "202600", "20261", "v202611", "202611\n1", "x" * 10_000]
)
def test_a_bad_linkedin_override_is_a_configuration_error(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADOPS_LINKEDIN_VERSION", value)
    with pytest.raises(NotConfigured, match="ADOPS_LINKEDIN_VERSION") as exc:
        versions.linkedin_version("https://api.linkedin.com")
    assert len(str(exc.value)) < 200
    assert os.environ["ADOPS_LINKEDIN_VERSION"] == value


# ---------------------------------------------------------------------------- pins and status


def test_every_pin_names_its_source_and_works_today() -> None:
    for platform, pin in versions.PINS.items():
        assert pin.source.startswith("https://"), platform
        assert pin.released is None or pin.released <= date(2026, 12, 7)
        stat = versions.status(platform, date(2026, 12, 7))
        assert stat is not None and stat.state in ("ok", "unknown"), (platform, stat)
    assert set(versions.PINS) == {"google_ads", "meta", "tiktok", "pinterest", "microsoft_ads"}


def test_status_warns_sixty_days_before_the_end_and_errors_after_it() -> None:
    eol = versions.PINS["google_ads"].end_of_life
    assert eol is not None
    ok = versions.status("google_ads", date(2027, 8, 1))
    soon = versions.status("google_ads", date(2027, 8, 2))
    last = versions.status("google_ads", date(2027, 9, 30))
    gone = versions.status("google_ads", eol)
    assert ok is not None and ok.state == "ok" and ok.message is None and ok.days_left == 61
    assert soon is not None and soon.state == "expiring" and soon.days_left == 60
    assert "about 2027-10-01 (in 60 days)" in (soon.message or "") and soon.estimated
    assert last is not None and last.state == "expiring" and last.days_left == 1
    assert gone is not None and gone.state == "expired" and "reached its end of life" in (gone.message or "")
    assert "ADOPS_GOOGLE_ADS_VERSION" in (gone.message or "")
    assert gone.to_dict()["end_of_life"] == "2027-10-01"


def test_an_override_is_judged_by_its_own_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADOPS_META_VERSION", "v24.0")
    stat = versions.status("meta", date(2026, 11, 24))
    assert stat is not None and stat.state == "expired" and stat.overridden
    assert stat.message is not None and "2026-11-10" in stat.message and "unset" in stat.message
    monkeypatch.setenv("ADOPS_META_VERSION", "v25.0")
    stat = versions.status("meta", date(2026, 12, 30))
    assert stat is not None and stat.state == "expiring" and stat.days_left == 55
    monkeypatch.setenv("ADOPS_META_VERSION", "v99.0")  # well formed, nothing known about it
    stat = versions.status("meta", date(2026, 12, 30))
    assert stat is not None and stat.state == "unknown" and stat.message is None


def test_linkedin_status_follows_the_negotiated_version(monkeypatch: pytest.MonkeyPatch) -> None:
    assert versions.status("linkedin", date(2026, 11, 24)) is None  # nothing negotiated yet
    stat = versions.status("linkedin", date(2026, 11, 24), in_use="202611")
    assert stat is not None and stat.state == "ok" and stat.end_of_life == date(2027, 11, 15)
    monkeypatch.setenv("ADOPS_LINKEDIN_VERSION", "202511")
    stat = versions.status("linkedin", date(2026, 11, 24))
    assert (
        stat is not None
        and stat.state == "expired"
        and "unset ADOPS_LINKEDIN_VERSION" in (stat.message or "")
    )


@pytest.mark.parametrize(
    ("platform", "value"),
    [
        ("meta", "24.0"),
        ("meta", "v24"),
        ("meta", "v24.0/../../me"),
        ("meta", "v24.0?access_token=x"),
        ("google_ads", "v26.1"),
        ("google_ads", "V26"),
        ("google_ads", "v26/customers"),
        ("google_ads", "v" + "9" * 5000),
    ],
)
def test_a_malformed_override_is_a_configuration_error(
    platform: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(versions.env_name(platform), value)
    with pytest.raises(NotConfigured, match=versions.env_name(platform)) as exc:
        versions.version(platform)
    assert exc.value.kind == "config" and len(str(exc.value)) < 200


def test_tiktok_pinterest_and_microsoft_have_no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADOPS_TIKTOK_VERSION", "v9.9")
    assert versions.version("tiktok") == "v1.3" and versions.override("tiktok") is None


# ---------------------------------------------------------------------------- Meta and Google Ads


@pytest.fixture
def meta(fake_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[MetaState]:  # type: ignore[no-untyped-def]
    state = MetaState()
    with fake_server(meta_app(state)) as url:
        monkeypatch.setenv("ADOPS_META_BASE_URL", url)
        yield state


def meta_client(**creds: str) -> MetaClient:
    account = AccountConfig("meta", META_ACCOUNT, "api", None, {"access_token": "meta-token-1", **creds})
    return MetaClient(account, policy=RetryPolicy(attempts=2))


def test_the_meta_fake_refuses_expired_versions_with_error_2635(meta: MetaState) -> None:
    assert meta.serves(versions.PINS["meta"].version)
    assert not meta.serves("v24.0") and meta.serves("v25.0") and not meta.serves("v28.0")
    meta.today = date(2027, 2, 23)
    assert not meta.serves("v25.0") and meta.latest() == "v27.0"


def test_meta_speaks_the_pin_and_an_expired_override_fails_clearly(
    meta: MetaState, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = meta_client()
    assert client.node(META_ACCOUNT, "id,name")["id"] == META_ACCOUNT
    assert meta.requests[-1][1] == META_ACCOUNT
    monkeypatch.setenv("ADOPS_META_VERSION", "v24.0")
    with pytest.raises(BadRequest) as exc:
        client.node(META_ACCOUNT, "id,name")
    text = str(exc.value)
    assert "(2635)" in text and "latest version: v27.0" in text
    assert "meta does not serve API v24.0 (its end of life was 2026-11-10)" in text
    assert "ADOPS_META_VERSION" in text and "meta-token-1" not in text
    monkeypatch.setenv("ADOPS_META_VERSION", "v25.0")
    assert client.node(META_ACCOUNT, "id")["id"] == META_ACCOUNT
    assert client.token_url() == f"{client.base_url}/v25.0/oauth/access_token"


def test_a_malformed_meta_override_fails_the_request_as_configuration(
    meta: MetaState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADOPS_META_VERSION", "v24.0/../../oauth")
    sent = len(meta.requests)
    with pytest.raises(NotConfigured, match="ADOPS_META_VERSION"):
        meta_client().node(META_ACCOUNT, "id")
    assert len(meta.requests) == sent  # nothing reached the platform


@pytest.fixture
def google(fake_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogleAds]:  # type: ignore[no-untyped-def]
    state = FakeGoogleAds()
    with fake_server(google_app(state)) as url:
        monkeypatch.setenv("ADOPS_GOOGLE_ADS_BASE_URL", url)
        yield state


def google_client() -> GoogleAdsClient:
    creds = {"access_token": "access-good", "developer_token": "dev-token-123", "login_customer_id": MANAGER}
    return GoogleAdsClient(
        AccountConfig("google_ads", CLIENT, "api", None, creds), policy=RetryPolicy(attempts=2)
    )


def test_google_ads_sunset_versions_get_404_and_a_clear_message(
    google: FakeGoogleAds, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = "SELECT customer.id FROM customer"
    assert google_client().search_stream(CLIENT, query)
    assert google.requests[-1]["path"].startswith(f"/{versions.PINS['google_ads'].version}/")
    for sunset in ("v19", "v22"):
        monkeypatch.setenv("ADOPS_GOOGLE_ADS_VERSION", sunset)
        with pytest.raises(BadRequest) as exc:
            google_client().search_stream(CLIENT, query)
        assert exc.value.status == 404
        assert f"google_ads does not serve API {sunset} (its end of life was" in str(exc.value)
    monkeypatch.setenv("ADOPS_GOOGLE_ADS_VERSION", "v27")  # not released on the fake's today
    with pytest.raises(BadRequest, match="does not serve API v27: set ADOPS_GOOGLE_ADS_VERSION"):
        google_client().search_stream(CLIENT, query)
    monkeypatch.setenv("ADOPS_GOOGLE_ADS_VERSION", "v25")
    assert google_client().search_stream(CLIENT, query)


def test_the_fakes_agree_with_the_documented_dates() -> None:
    """The fakes are the platforms' published tables; versions.py must say the same."""
    for name, (released, expires) in META_VERSIONS.items():
        known = versions.release("meta", name)
        assert known is not None and (known.released, known.end_of_life) == (released, expires), name
    for name, (_, sunset) in GOOGLE_VERSIONS.items():
        known = versions.release("google_ads", name)
        if known is not None and not known.estimated:
            assert known.end_of_life == sunset, name
