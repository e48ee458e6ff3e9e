"""What every real platform client shares: base URL, auth, retries, error mapping, token refresh.

A platform client subclasses `ApiClient`, sets `platform`, `default_base_url` (and `token_url` where
OAuth2 refresh applies), and overrides `auth_headers()` and `error_for()` where the platform differs
(Meta's error codes, TikTok's `{code, message, data}` envelope...). `request()` then gives it:

- `ADOPS_<PLATFORM>_BASE_URL` / `ADOPS_<PLATFORM>_TOKEN_URL` overrides, so tests talk to fake servers;
- retries on 429, 5xx, timeouts and malformed bodies, with backoff that honours Retry-After
  (`adops.connectors.retry`);
- typed errors: AuthError, PermissionDenied, RateLimited, BadRequest, TransientError;
- one OAuth2 refresh on an expired access token, with a rotated refresh token persisted;
- secrets redacted from every error message.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from adops.config import AccountConfig
from adops.connectors import retry, tokens
from adops.connectors.errors import (
    AuthError,
    BadRequest,
    ConnectorError,
    NotConfigured,
    PermissionDenied,
    RateLimited,
    TransientError,
)

ENV_NAMES = {
    "google_ads": "GOOGLE_ADS",
    "meta": "META",
    "pinterest": "PINTEREST",
    "linkedin": "LINKEDIN",
    "tiktok": "TIKTOK",
    "microsoft_ads": "MICROSOFT",
    "asana": "ASANA",
}


def base_url(platform: str, default: str) -> str:
    """The API host for a platform: `ADOPS_<PLATFORM>_BASE_URL` when set, else the real one."""
    return (os.environ.get(f"ADOPS_{ENV_NAMES[platform]}_BASE_URL") or default).rstrip("/")


def redact(text: str, secrets: list[str]) -> str:
    """Replace every secret (4+ characters) in a message with ***."""
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        from email.utils import parsedate_to_datetime

        return max((parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


class ApiClient:
    """An HTTP client for one account of one platform."""

    platform: ClassVar[str]
    default_base_url: ClassVar[str]
    #: OAuth2 token endpoint for the refresh-token flow (None: the platform has none)
    default_token_url: ClassVar[str | None] = None
    timeout: ClassVar[float] = 60.0

    def __init__(
        self,
        account: AccountConfig,
        *,
        policy: retry.RetryPolicy = retry.DEFAULT_POLICY,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.account = account
        self.policy = policy
        self.sleep = sleep
        self.base_url = base_url(self.platform, self.default_base_url)
        self.http = httpx.Client(base_url=self.base_url, timeout=self.timeout, transport=transport)
        self.access_token: str | None = account.credential("access_token")
        self.refresh_token: str | None = account.credential("refresh_token")
        self.expires_at: datetime | None = None
        self._load_rotated_tokens()

    # ------------------------------------------------------------------ for subclasses

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate a request (default: OAuth2 bearer)."""
        return {"Authorization": f"Bearer {self.token()}"}

    def error_for(self, response: httpx.Response, body: Any) -> ConnectorError | None:
        """The typed error a response means, or None when it succeeded. `body` is parsed JSON or None."""
        status = response.status_code
        if status < 400:
            return None
        message = f"{self.platform} {response.request.method} {response.request.url.path}: HTTP {status}"
        detail = _detail(body)
        if detail:
            message += f": {detail}"
        if status == 401:
            return AuthError(message, status=status)
        if status == 403:
            return PermissionDenied(message, status=status)
        if status == 429:
            return RateLimited(message, retry_after=retry_after(response), status=status)
        if status >= 500:
            return TransientError(message, retry_after=retry_after(response), status=status)
        return BadRequest(message, status=status)

    # ------------------------------------------------------------------ requests

    def request(self, method: str, path: str, *, raw: bool = False, **kwargs: Any) -> Any:
        """Send a request with retries; returns parsed JSON (or the response when `raw`)."""
        refreshed = False
        extra_headers = kwargs.pop("headers", {})

        def attempt() -> Any:
            nonlocal refreshed
            headers = {**self.auth_headers(), **extra_headers}
            try:
                response = self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TimeoutException as exc:
                raise TransientError(f"{self.platform}: request timed out ({type(exc).__name__})") from None
            except httpx.TransportError as exc:
                raise TransientError(f"{self.platform}: connection failed ({type(exc).__name__})") from None
            body = _json_or_none(response)
            error = self.error_for(response, body)
            if isinstance(error, AuthError) and not refreshed and self.can_refresh():
                refreshed = True
                self.refresh()
                return attempt()
            if error is not None:
                raise type(error)(self.redact(str(error)), retry_after=error.retry_after, status=error.status)
            if raw:
                return response
            if body is None and response.content:
                raise TransientError(f"{self.platform} {path}: the response body is not valid JSON")
            return body

        try:
            value, _ = retry.call(attempt, self.policy, self.sleep)
        except ConnectorError as exc:
            exc.args = (self.redact(str(exc)),)
            raise
        return value

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def redact(self, text: str) -> str:
        return redact(
            text,
            [
                self.access_token or "",
                self.refresh_token or "",
                *(self.account.credential(k) or "" for k in self.account.credentials),
            ],
        )

    # ------------------------------------------------------------------ OAuth2

    def token(self) -> str:
        """A usable access token, refreshed first when it is missing or about to expire."""
        if self.can_refresh() and (
            not self.access_token
            or (self.expires_at and self.expires_at < datetime.now(UTC) + timedelta(minutes=2))
        ):
            self.refresh()
        if not self.access_token:
            raise NotConfigured(
                f"{self.account.key}: no access token; set credentials.access_token, or refresh_token, "
                "client_id and client_secret for the OAuth2 refresh flow"
            )
        return self.access_token

    def can_refresh(self) -> bool:
        return bool(self.token_url() and self.refresh_token and self.account.credential("client_id"))

    def token_url(self) -> str | None:
        env = os.environ.get(f"ADOPS_{ENV_NAMES[self.platform]}_TOKEN_URL")
        if env:
            return env
        if self.default_token_url and self.default_token_url.startswith("/"):
            return self.base_url + self.default_token_url
        return self.default_token_url

    def refresh_form(self) -> dict[str, str]:
        """The refresh-token grant; platforms that need more fields add them."""
        return {
            "grant_type": "refresh_token",
            "refresh_token": self.refresh_token or "",
            "client_id": self.account.credential("client_id") or "",
            "client_secret": self.account.credential("client_secret") or "",
        }

    def refresh(self) -> None:
        """Trade the refresh token for a new access token; persist a rotated refresh token."""
        url = self.token_url()
        assert url is not None
        try:
            response = self.http.post(url, data=self.refresh_form())
        except httpx.HTTPError as exc:
            raise TransientError(f"{self.platform}: token refresh failed ({type(exc).__name__})") from None
        body = _json_or_none(response) or {}
        if response.status_code >= 400 or "access_token" not in body:
            detail = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
            raise AuthError(
                self.redact(
                    f"{self.account.key}: the refresh token was refused ({detail}); reconnect the account"
                ),
                status=response.status_code,
            )
        self.access_token = str(body["access_token"])
        if body.get("expires_in"):
            self.expires_at = datetime.now(UTC) + timedelta(seconds=float(body["expires_in"]))
        if body.get("refresh_token") and body["refresh_token"] != self.refresh_token:
            self.refresh_token = str(body["refresh_token"])
        self._save_rotated_tokens()

    def _load_rotated_tokens(self) -> None:
        saved = tokens.load(self.account.key)
        if saved.get("refresh_token") and self.refresh_token:
            self.refresh_token = saved["refresh_token"]
            expires = datetime.fromisoformat(saved["expires_at"]) if saved.get("expires_at") else None
            if saved.get("access_token") and expires and expires > datetime.now(UTC):
                self.access_token, self.expires_at = saved["access_token"], expires

    def _save_rotated_tokens(self) -> None:
        tokens.save(
            self.account.key,
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            },
        )


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


def _detail(body: Any) -> str:
    """A short human message from a JSON error body, whatever its shape."""
    if isinstance(body, dict):
        for key in ("message", "error_description", "error", "msg", "detail"):
            value = body.get(key)
            if isinstance(value, str):
                return value[:300]
            if isinstance(value, dict):
                return _detail(value)
            if isinstance(value, list) and value:
                return _detail(value[0])
    return ""


def require(account: AccountConfig, *names: str) -> dict[str, str]:
    """The named credentials, or NotConfigured listing exactly which are missing."""
    values = {n: account.credential(n) for n in names}
    missing = [account.missing(n) for n, v in values.items() if not v]
    if missing:
        raise NotConfigured(f"{account.key}: missing credentials: {', '.join(missing)}")
    return {n: str(v) for n, v in values.items()}
