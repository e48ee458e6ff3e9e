"""One attempt of one outgoing webhook: sign it (Standard Webhooks v1), POST it, read the answer.

The body is `{"type", "timestamp", "data", "event_id"}` (the Standard Webhooks payload shape); the
headers `webhook-id` (stable across the retries of a delivery), `webhook-timestamp` (this attempt)
and `webhook-signature` (`v1,<base64 HMAC-SHA256>` of `id.timestamp.body`). Attempts follow Svix's
schedule (`SCHEDULE`); a `Retry-After` later than the next scheduled attempt moves it later.
"""

from __future__ import annotations

import asyncio
import json
import os
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from adops.errors import ConfigError
from adops.notify.ssrf import Guard, SSRFGuardError, refusal

#: seconds before each attempt: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (Svix's schedule)
SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
TIMEOUT_S = 15.0
USER_AGENT = "adops-webhooks/1"
#: the longest wait a Retry-After may ask for (the schedule's longest)
MAX_RETRY_AFTER_S = 36000.0
MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class Answer:
    """What one attempt got: a status code, or an error (network, refused), and any Retry-After."""

    status_code: int | None = None
    error: str | None = None
    refused: bool = False
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def resolve_secret(value: str | None) -> str:
    """The endpoint's `whsec_…` secret (an `env:NAME` reference read now); ConfigError when missing."""
    if not value:
        raise ConfigError('the endpoint has no secret: set secret = "env:NAME" (a whsec_ key)')
    if value.startswith("env:"):
        found = os.environ.get(value[4:], "").strip()
        if not found:
            raise ConfigError(f"the endpoint's secret variable {value[4:]} is not set")
        return found
    return value


def resolve_url(value: str) -> str:
    """The endpoint's URL (`env:NAME` read now, so a URL holding a token stays out of the file and the log)."""
    if not value.startswith("env:"):
        return value
    found = os.environ.get(value[4:], "").strip()
    if not found:
        raise ConfigError(f"the endpoint's URL variable {value[4:]} is not set")
    return found


def signer(secret: str) -> Webhook:
    try:
        return Webhook(secret)
    except (ValueError, EmptyWebhookSecretError):
        raise ConfigError("the endpoint's secret is not a whsec_ base64 key") from None


def body_of(event_id: int, event_type: str, data: Any, created_at: datetime) -> str:
    """The JSON text sent for an event (the same bytes on every attempt)."""
    stamp = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
    return json.dumps(
        {"type": event_type, "timestamp": stamp.isoformat(), "data": data, "event_id": event_id},
        separators=(",", ":"),
        default=str,
    )


def headers_for(webhook: Webhook, webhook_id: str, body: str, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt, signed at `now`."""
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": webhook.sign(webhook_id, now, body),
    }


def next_delay(attempt: int, answer: Answer, schedule: tuple[float, ...] = SCHEDULE) -> float | None:
    """Seconds until the attempt after `attempt` (1-based), or None when the schedule has run out."""
    if attempt >= len(schedule):
        return None
    delay = float(schedule[attempt])
    if answer.retry_after is not None:  # honoured (never earlier than the schedule), at most 10 h
        delay = max(delay, min(answer.retry_after, MAX_RETRY_AFTER_S))
    return delay


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()[:64]
    if value.isascii() and value.isdigit():
        return float(min(int(value), 10**7))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


async def post(guard: Guard, url: str, headers: dict[str, str], body: str, now: datetime) -> Answer:
    """POST once through the SSRF guard; never raises for the endpoint's behaviour."""
    try:
        guard.check(url)
        client = _client(guard, url)
        async with client.stream("POST", url, content=body.encode(), headers=headers) as response:
            return Answer(
                response.status_code, retry_after=retry_after(response.headers.get("retry-after"), now)
            )
    except SSRFGuardError as exc:
        return Answer(error=refusal(exc), refused=True)
    except httpx.TimeoutException:
        return Answer(error=f"no answer within {TIMEOUT_S:g} s")
    except httpx.HTTPError as exc:
        cause = exc.__cause__ if isinstance(exc.__cause__, SSRFGuardError) else None
        if cause is not None:
            return Answer(error=refusal(cause), refused=True)
        return Answer(error=f"{type(exc).__name__}: {_no_url(str(exc), url)}"[:MAX_ERROR_CHARS])


def _no_url(text: str, url: str) -> str:
    return text.replace(url, "<endpoint>")


# One client per (event loop, policy): httpx pools are bound to the loop that made them, and DBOS
# runs recovered workflows on its own loop while the sidecar's dispatcher runs on uvicorn's.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, httpx.AsyncClient]] = (
    weakref.WeakKeyDictionary()
)


def _client(guard: Guard, url: str) -> httpx.AsyncClient:
    from ssrfguard.httpx import AsyncClient

    policy = guard.policy_for(url)
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get(id(policy))
    if client is None:
        client = per_loop[id(policy)] = AsyncClient(
            policy=policy,
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(TIMEOUT_S),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
        )
    return client


async def close_clients() -> None:
    """Close this loop's clients (the sidecar's shutdown; tests)."""
    per_loop = _clients.pop(asyncio.get_running_loop(), {})
    for client in per_loop.values():
        await client.aclose()
