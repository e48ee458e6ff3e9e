"""The one retry layer's policy: what is retried, the waits, and the budget of attempts and seconds."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from adops.config import Config
from adops.connectors import AuthError, BadRequest, PermissionDenied, RateLimited, TransientError
from adops.connectors.retry import RetryPolicy, run
from tests.connectors.support import FakeTime


def failing(*outcomes: Exception | str) -> tuple[Callable[[], str], list[int]]:
    """A function that raises (or returns) the outcomes in turn, the last one forever; and its call count."""
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        item = outcomes[min(len(calls), len(outcomes)) - 1]
        if isinstance(item, Exception):
            raise item
        return item

    return fn, calls


def go(fn: Callable[[], str], t: FakeTime, **policy: float) -> str:
    return run(fn, RetryPolicy(**policy), who="meta act_123", sleep=t.sleep, clock=t.clock)  # type: ignore[arg-type]


def test_retry_after_is_honoured_and_backoff_is_jittered_without_it() -> None:
    t = FakeTime()
    fn, calls = failing(
        RateLimited("slow down", retry_after=7), TransientError("502"), TransientError("503"), "ok"
    )
    assert go(fn, t, initial_backoff=1, jitter=1) == "ok"
    assert len(calls) == 4
    assert t.sleeps[0] == 7  # the server's wait, not ours
    assert (
        2 <= t.sleeps[1] <= 3 and 4 <= t.sleeps[2] <= 5
    )  # 1 s doubled per attempt, plus up to 1 s of jitter


def test_retry_after_zero_is_a_real_zero() -> None:
    t = FakeTime()
    fn, calls = failing(RateLimited("again", retry_after=0.0), "ok")
    assert go(fn, t) == "ok"
    assert t.sleeps == [0.0] and len(calls) == 2


def test_persistent_429_costs_at_most_the_attempts_and_names_platform_account_and_rate_limit() -> None:
    t = FakeTime()
    fn, calls = failing(RateLimited("meta GET /insights: HTTP 429", retry_after=2, status=429))
    with pytest.raises(RateLimited) as caught:
        go(fn, t, attempts=6, seconds=120)
    assert len(calls) == 6 and len(t.sleeps) == 5
    message = str(caught.value)
    assert message.startswith("meta act_123: rate limited after 6 attempts in 10 s")
    assert "HTTP 429" in message  # the last answer is kept for the operator
    assert caught.value.attempts == 6 and caught.value.kind == "rate_limit"


def test_budget_by_time_ends_the_call_before_a_wait_it_cannot_afford() -> None:
    t = FakeTime()
    fn, calls = failing(RateLimited("429", retry_after=50))
    with pytest.raises(RateLimited, match=r"rate limited after 3 attempts in 100 s \(the next wait, 50 s"):
        go(fn, t, attempts=6, seconds=120)
    assert t.sleeps == [50, 50]  # a third wait would end at 150 s: fail now, do not cut it short
    assert len(calls) == 3


def test_a_wait_longer_than_the_whole_budget_fails_at_once() -> None:
    t = FakeTime()
    fn, calls = failing(RateLimited("quota", retry_after=1800))  # Google's retryDelay "1800s"
    with pytest.raises(RateLimited, match="after 1 attempt in 0 s"):
        go(fn, t, seconds=120)
    assert t.sleeps == [] and len(calls) == 1


def test_backoff_alone_runs_out_of_time_too() -> None:
    t = FakeTime()
    fn, calls = failing(TransientError("503"))
    with pytest.raises(TransientError, match="still failing after") as caught:
        go(fn, t, attempts=100, seconds=20, initial_backoff=4, jitter=0)
    assert t.sleeps == [4, 8]  # a third wait (16 s) would pass 20 s
    assert caught.value.attempts == 3 == len(calls)


@pytest.mark.parametrize(
    "error",
    [AuthError("expired", status=401), PermissionDenied("scope", status=403), BadRequest("bad", status=400)],
)
def test_auth_permission_and_bad_requests_are_never_retried(error: Exception) -> None:
    t = FakeTime()
    fn, calls = failing(error)
    with pytest.raises(type(error)) as caught:
        go(fn, t)
    assert caught.value is error  # unchanged: no "after N attempts" wrapping either
    assert len(calls) == 1 and t.sleeps == []


def test_hostile_hints_neither_hang_nor_crash() -> None:
    t = FakeTime()
    fn, _ = failing(RateLimited("nan", retry_after=math.nan), "ok")
    assert go(fn, t, initial_backoff=1, jitter=0) == "ok" and t.sleeps == [1]  # no hint: our backoff
    t = FakeTime()
    fn, calls = failing(RateLimited("inf", retry_after=math.inf))
    with pytest.raises(RateLimited):
        go(fn, t)
    assert t.sleeps == [] and len(calls) == 1
    t = FakeTime()
    fn, _ = failing(RateLimited("negative", retry_after=-5), "ok")
    assert go(fn, t) == "ok" and t.sleeps == [0.0]


def test_policy_from_the_workspace_config(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = Config(home=tmp_path, retry_attempts=3, retry_seconds=45.0, report_seconds=300.0)
    policy = RetryPolicy.from_config(cfg)
    assert (policy.attempts, policy.seconds, policy.report_seconds) == (3, 45.0, 300.0)
    assert RetryPolicy() == RetryPolicy(attempts=6, seconds=120.0)  # the documented defaults


def test_the_three_settings_are_read_and_checked_from_adops_toml(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from adops import config
    from adops.errors import ConfigError

    monkeypatch.setenv("ADOPS_HOME", str(tmp_path))
    (tmp_path / "adops.toml").write_text("retry_attempts = 4\nretry_seconds = 30\nreport_seconds = 600\n")
    policy = RetryPolicy.from_config(config.load())
    assert (policy.attempts, policy.seconds, policy.report_seconds) == (4, 30.0, 600.0)
    for bad in ("report_seconds = 0", 'report_seconds = "long"', "retry_attempts = 0", "retry_seconds = -1"):
        (tmp_path / "adops.toml").write_text(bad + "\n")
        with pytest.raises(ConfigError, match=bad.split()[0]):
            config.load()
