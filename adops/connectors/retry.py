"""One retry policy for every connector: exponential backoff with jitter that honours Retry-After."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from adops.connectors.errors import ConnectorError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 60.0

    def delay(self, attempt: int, error: ConnectorError) -> float:
        """Seconds to wait before try `attempt + 1`: the server's Retry-After wins when given."""
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_delay)
        backoff = self.base_delay * 2 ** (attempt - 1)
        return min(backoff * (0.5 + random.random() / 2), self.max_delay)


DEFAULT_POLICY = RetryPolicy()


def call(
    fn: Callable[[], T],
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, ConnectorError, float], None] | None = None,
) -> tuple[T, int]:
    """Run `fn`, retrying retryable ConnectorErrors; returns (result, attempts used)."""
    attempt = 1
    while True:
        try:
            return fn(), attempt
        except ConnectorError as exc:
            if not exc.retryable or attempt >= policy.attempts:
                raise
            wait = policy.delay(attempt, exc)
            if on_retry:
                on_retry(attempt, exc, wait)
            sleep(wait)
            attempt += 1
