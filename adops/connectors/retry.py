"""The one retry layer's policy: what is retried, how long to wait, and the budget that ends it.

`ApiClient.request` runs each HTTP request through `run()`; nothing above it retries again, so one
call to a platform costs at most `attempts` requests and `seconds` of waiting, and a paged read
that fails on page 3 retries page 3 alone. The loop is tenacity's; what is ours is the budget:

- retried: RateLimited and TransientError (429, 5xx, timeouts, malformed bodies); never 400/401/403;
- the wait is the server's Retry-After when it gave one (0 is a real 0), else exponential backoff
  with jitter;
- a call stops after `attempts` attempts, or as soon as the next wait would end past `seconds`
  from its start: a wait the budget cannot afford fails now rather than being cut short;
- the error that ends it names the platform, the account, the attempts and the time, e.g.
  "meta act_123: rate limited after 6 attempts in 41 s".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import tenacity

from adops.connectors.errors import ConnectorError, RateLimited

if TYPE_CHECKING:
    from adops.config import Config

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """The budget of one call, and the shape of the backoff when the server names no wait."""

    #: attempts per call, the first one included (`retry_attempts` in adops.toml)
    attempts: int = 6
    #: seconds per call, waits included (`retry_seconds` in adops.toml)
    seconds: float = 120.0
    #: first backoff in seconds; it doubles on each retry, up to `max_backoff`, plus up to `jitter`
    initial_backoff: float = 1.0
    max_backoff: float = 30.0
    jitter: float = 1.0
    #: seconds one async report may take from its creation to its last poll (`report_seconds`)
    report_seconds: float = 900.0

    @classmethod
    def from_config(cls, cfg: Config) -> RetryPolicy:
        """The workspace's budget: `retry_attempts`, `retry_seconds` and `report_seconds`."""
        return cls(
            attempts=cfg.retry_attempts,
            seconds=float(cfg.retry_seconds),
            report_seconds=float(cfg.report_seconds),
        )


DEFAULT_POLICY = RetryPolicy()


def run(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    who: str,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call `fn` until it succeeds, fails for good, or the budget ends; `who` names the account in errors."""
    started = clock()
    backoff = tenacity.wait_exponential_jitter(
        initial=policy.initial_backoff, max=policy.max_backoff, jitter=policy.jitter
    )

    def wait(state: tenacity.RetryCallState) -> float:
        hint = _error(state).retry_after
        if hint is not None and not math.isnan(hint):
            return max(float(hint), 0.0)  # an infinite hint ends the call at once (see stop)
        return float(backoff(state))

    def stop(state: tenacity.RetryCallState) -> bool:
        spent = clock() - started
        return state.attempt_number >= policy.attempts or spent + state.upcoming_sleep > policy.seconds

    def give_up(state: tenacity.RetryCallState) -> T:
        raise exhausted(
            _error(state), who, state.attempt_number, clock() - started, state.upcoming_sleep, policy
        )

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda exc: isinstance(exc, ConnectorError) and exc.retryable),
        wait=wait,
        stop=stop,
        sleep=sleep,
        retry_error_callback=give_up,
    )
    return retrying(fn)


def exhausted(
    last: ConnectorError, who: str, attempts: int, spent: float, next_wait: float, policy: RetryPolicy
) -> ConnectorError:
    """The error that ends a call whose budget ran out: same kind as the last failure, one clear line."""
    what = "rate limited" if isinstance(last, RateLimited) else "still failing"
    message = f"{who}: {what} after {attempts} attempt{'s' * (attempts != 1)} in {spent:.0f} s"
    if attempts < policy.attempts:
        message += (
            f" (the next wait, {next_wait:.0f} s, would pass the {policy.seconds:.0f} s retry budget;"
            " raise retry_seconds to wait longer)"
        )
    error = type(last)(f"{message}; last answer: {last}", retry_after=last.retry_after, status=last.status)
    error.attempts = attempts
    return error


def _error(state: tenacity.RetryCallState) -> ConnectorError:
    assert state.outcome is not None
    error = state.outcome.exception()
    assert isinstance(error, ConnectorError)  # only ConnectorErrors are retried
    return error
