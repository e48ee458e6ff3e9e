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
from adops.connectors.linkedin import LinkedInClient, LinkedInConnector
from adops.connectors.retry import RetryPolicy
from tests.connectors.fakes.linkedin import FakeLinkedIn

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
