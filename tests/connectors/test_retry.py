import pytest

from adops.connectors import AuthError, RateLimited, TransientError
from adops.connectors.retry import RetryPolicy, call


def test_retries_transient_errors_honouring_retry_after() -> None:
    waits: list[float] = []
    outcomes: list[Exception | str] = [RateLimited("slow down", retry_after=7), TransientError("502"), "ok"]

    def flaky() -> str:
        item = outcomes.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    result, attempts = call(flaky, RetryPolicy(attempts=5, base_delay=1), sleep=waits.append)
    assert (result, attempts) == ("ok", 3)
    assert waits[0] == 7  # the server's Retry-After wins
    assert 0.5 <= waits[1] <= 2.0  # exponential backoff with jitter


def test_gives_up_after_the_last_attempt_and_never_retries_auth() -> None:
    calls = []

    def always(exc: Exception):  # type: ignore[no-untyped-def]
        def fn() -> None:
            calls.append(1)
            raise exc

        return fn

    with pytest.raises(TransientError):
        call(always(TransientError("down")), RetryPolicy(attempts=3), sleep=lambda s: None)
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(AuthError):
        call(always(AuthError("expired token")), RetryPolicy(attempts=3), sleep=lambda s: None)
    assert len(calls) == 1


def test_retry_after_is_capped() -> None:
    assert RetryPolicy(max_delay=30).delay(1, RateLimited("x", retry_after=3600)) == 30
