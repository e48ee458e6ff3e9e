"""The one retry layer against a fake platform: a persistent 429 costs at most the budget, counted at
the fake; paging resumes from the cursor it reached; waits follow Retry-After in each of its forms."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from adops.config import AccountConfig
from adops.connectors import RateLimited
from adops.connectors.meta import MetaClient
from adops.connectors.retry import RetryPolicy
from tests.connectors.fakes.meta import ACCOUNT, Fault, MetaState, make_app
from tests.connectors.support import FakeTime

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def fake(fake_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[MetaState]:  # type: ignore[no-untyped-def]
    state = MetaState()
    with fake_server(make_app(state)) as url:
        monkeypatch.setenv("ADOPS_META_BASE_URL", url)
        yield state


def client(state: MetaState, t: FakeTime, **policy: float) -> MetaClient:
    account = AccountConfig("meta", ACCOUNT, "api", None, {"access_token": state.token})
    return MetaClient(account, policy=RetryPolicy(**policy), sleep=t.sleep, clock=t.clock)  # type: ignore[arg-type]


def requests_to(state: MetaState, edge: str) -> list[dict[str, str]]:
    return [params for _, path, params in state.requests if path.endswith(edge)]


def test_a_persistent_429_costs_at_most_the_attempt_budget(fake: MetaState) -> None:
    fake.faults.append(Fault("http_429:", "adsets", times=1000))  # no Retry-After: our jittered backoff
    t = FakeTime()
    meta = client(fake, t, attempts=6, seconds=120)
    with pytest.raises(RateLimited) as caught:
        meta.adsets(ACCOUNT)
    assert len(requests_to(fake, "adsets")) == 6  # counted at the fake: one layer, six requests, not 25
    assert meta.attempts == 6 and caught.value.attempts == 6
    message = str(caught.value)
    assert message.startswith(f"meta {ACCOUNT}: rate limited after 6 attempts in ")
    assert len(t.sleeps) == 5 and sum(t.sleeps) <= 120
    assert all(t.sleeps[i] < t.sleeps[i + 1] for i in range(4))  # exponential, jitter on top


def test_a_persistent_429_ends_when_its_waits_would_pass_the_seconds_budget(fake: MetaState) -> None:
    fake.faults.append(Fault("http_429", "adsets", times=1000))  # Retry-After: 7
    t = FakeTime()
    with pytest.raises(RateLimited, match=r"rate limited after 3 attempts in 14 s"):
        client(fake, t, attempts=6, seconds=20).adsets(ACCOUNT)
    assert len(requests_to(fake, "adsets")) == 3 and t.sleeps == [7.0, 7.0]


def test_paging_resumes_from_the_cursor_it_reached(fake: MetaState) -> None:
    fake.page_size = 3  # 12 ads: four pages
    fake.faults.append(Fault("http_429:1", "ads", skip=2))  # page 3 answers 429 once
    t = FakeTime()
    ads = client(fake, t).ads(ACCOUNT)
    assert len(ads) == 12 and len({a["id"] for a in ads}) == 12
    pages = requests_to(fake, "ads")
    assert len(pages) == 5  # pages 1, 2, 3 (429), 3 again, 4
    assert sum("after" not in p for p in pages) == 1  # page 1 was asked once: no restart
    assert pages[2]["after"] == pages[3]["after"]  # the retry asked page 3 with page 2's cursor
    assert t.sleeps == [1.0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("0", 0.0), ("3", 3.0), ("2.5", 2.5), ("http-date", 30.0), ("past-date", 0.0)],
)
def test_retry_after_forms(fake: MetaState, header: str, expected: float) -> None:
    if header.endswith("date"):
        delta = timedelta(seconds=30 if header == "http-date" else -3600)
        header = format_datetime(datetime.now(UTC) + delta, usegmt=True)
    fake.faults.append(Fault(f"http_429:{header}", "campaigns"))
    t = FakeTime()
    assert len(client(fake, t).campaigns(ACCOUNT)) == 3
    assert len(t.sleeps) == 1 and t.sleeps[0] == pytest.approx(expected, abs=1.5)


@pytest.mark.parametrize("header", ["-5", "soon", "9" * 400, "Thu, 99 Foo 2026 99:99:99 GMT"])
def test_malformed_retry_after_means_our_own_backoff(fake: MetaState, header: str) -> None:
    fake.faults.append(Fault(f"http_429:{header}", "campaigns"))
    t = FakeTime()
    assert len(client(fake, t, initial_backoff=1, jitter=0).campaigns(ACCOUNT)) == 3
    assert t.sleeps == [1.0]


def test_a_retry_after_beyond_the_budget_fails_at_once(fake: MetaState) -> None:
    fake.faults.append(Fault("http_429:1800", "campaigns", times=10))
    t = FakeTime()
    with pytest.raises(RateLimited, match="after 1 attempt in 0 s .*1800 s.*120 s retry budget"):
        client(fake, t).campaigns(ACCOUNT)
    assert t.sleeps == [] and len(requests_to(fake, "campaigns")) == 1
