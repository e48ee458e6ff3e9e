"""What every real platform client shares: base URL, auth, the one retry layer, paging, reports.

A platform client subclasses `ApiClient`, sets `platform`, `default_base_url` (and `token_url` where
OAuth2 refresh applies), and overrides `auth_headers()` and `error_for()` where the platform differs
(Meta's error codes, TikTok's `{code, message, data}` envelope...). It then gets:

- `ADOPS_<PLATFORM>_BASE_URL` / `ADOPS_<PLATFORM>_TOKEN_URL` overrides, so tests talk to fake servers;
- `request()`: the one place that retries (429, 5xx, timeouts, malformed bodies) within the
  workspace's budget (`adops.connectors.retry`), counting every HTTP attempt in `attempts`;
- `paginate()`: every item of a paged list, each page one request that is retried alone, so a
  failure on page 3 resumes from page 3's cursor (strategies in `adops.connectors.paging`);
- `await_report()`: poll an async report job with one bounded deadline (`report_seconds`);
- `download()`: fetch a finished report file from a pre-signed URL, without our credentials;
- `create()`: a request that creates, never retried blindly (after a lost answer it reads first);
- typed errors: AuthError, PermissionDenied, RateLimited, BadRequest, TransientError, ReportFailed;
- one OAuth2 refresh on an expired access token, with a rotated refresh token persisted;
- secrets redacted from every error message, and a cap on the size of any answer.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

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
    ReportFailed,
    TransientError,
)

S = TypeVar("S")
#: The next page's query parameters from a page's body and the query that fetched it; None: last page.
NextPage = Callable[[Any, dict[str, Any]], dict[str, Any] | None]

ENV_NAMES = {
    "google_ads": "GOOGLE_ADS",
    "meta": "META",
    "pinterest": "PINTEREST",
    "linkedin": "LINKEDIN",
    "tiktok": "TIKTOK",
    "microsoft_ads": "MICROSOFT",
    "asana": "ASANA",
}
_DELTA_SECONDS = re.compile(r"\d{1,12}(\.\d{1,6})?")


def base_url(platform: str, default: str) -> str:
    """The API host for a platform: `ADOPS_<PLATFORM>_BASE_URL` when set, else the real one."""
    return (os.environ.get(f"ADOPS_{ENV_NAMES[platform]}_BASE_URL") or default).rstrip("/")


def redact(text: str, secrets: list[str]) -> str:
    """Replace every secret (4+ characters) in a message with ***."""
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def named(
    items: Iterable[dict[str, Any]], name: str, name_key: str = "name", id_key: str = "id"
) -> str | None:
    """The id of the (last) listed entity called exactly `name`, or None: how `create()` finds a
    creation whose answer was lost."""
    found = [str(i[id_key]) for i in items if str(i.get(name_key)) == name and i.get(id_key) is not None]
    return found[-1] if found else None


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds ("0" is a real 0) or an HTTP date (past: 0).

    Anything else (negative, not a number, a date that does not parse) is None: no hint."""
    value = (response.headers.get("retry-after") or "").strip()
    if not value:
        return None
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    if len(value) > 64:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC by RFC 5322
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # looked up at call time, so tests can stub time.sleep


class ApiClient:
    """An HTTP client for one account of one platform."""

    platform: ClassVar[str]
    default_base_url: ClassVar[str]
    #: OAuth2 token endpoint for the refresh-token flow (None: the platform has none)
    default_token_url: ClassVar[str | None] = None
    timeout: ClassVar[float] = 60.0
    #: seconds between polls of an async report: growing, the last one repeated
    poll_intervals: ClassVar[tuple[float, ...]] = (1.0, 2.0, 5.0, 10.0, 15.0)
    #: the largest answer read into memory (a report file included); larger ones are refused
    max_body_bytes: ClassVar[int] = 512 * 1024 * 1024
    #: a paged list longer than this many pages is refused (a server that never stops paging)
    max_pages: ClassVar[int] = 10_000

    def __init__(
        self,
        account: AccountConfig,
        *,
        policy: retry.RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """`policy` defaults to the workspace's budget (`retry_attempts`, `retry_seconds`); `sleep`
        and `clock` are injectable so tests can run a budget without waiting it out."""
        self.account = account
        self.policy = policy or _workspace_policy()
        self.sleep = sleep or _sleep
        self.clock = clock or time.monotonic
        #: HTTP requests this client sent to the platform, retries included (the sync records them)
        self.attempts = 0
        self.base_url = base_url(self.platform, self.default_base_url)
        self.http = httpx.Client(base_url=self.base_url, timeout=self.timeout, transport=transport)
        self.access_token: str | None = account.credential("access_token")
        self.refresh_token: str | None = account.credential("refresh_token")
        self.expires_at: datetime | None = None
        self._load_rotated_tokens()

    @property
    def who(self) -> str:
        """The platform and account, as every error names them."""
        return f"{self.platform} {self.account.id}"

    # ------------------------------------------------------------------ for subclasses

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate a request (default: OAuth2 bearer)."""
        return {"Authorization": f"Bearer {self.token()}"}

    def error_for(self, response: httpx.Response, body: Any) -> ConnectorError | None:
        """The typed error a response means, or None when it succeeded. `body` is parsed JSON or None."""
        return http_error(self.platform, response, body)

    # ------------------------------------------------------------------ requests

    def request(self, method: str, path: str, *, raw: bool = False, **kwargs: Any) -> Any:
        """Send one request through the retry layer; returns parsed JSON (or the response when `raw`).

        Retries 429, 5xx, timeouts and malformed bodies within the policy's budget; refreshes an
        expired access token once; never retries 400, 401 (after the refresh) or 403."""
        extra_headers = kwargs.pop("headers", {})
        refreshed = False

        def attempt() -> Any:
            nonlocal refreshed
            while True:
                response, body = self._send(method, path, {**self.auth_headers(), **extra_headers}, kwargs)
                error = self.error_for(response, body)
                if isinstance(error, AuthError) and not refreshed and self.can_refresh():
                    refreshed = True
                    self.refresh()
                    continue  # the same request once more, with the new token
                break
            if error is not None:
                raise type(error)(self.redact(str(error)), retry_after=error.retry_after, status=error.status)
            if raw:
                return response
            if body is None and response.content:
                raise TransientError(
                    f"{self.platform} {response.request.url.path}: the answer is not valid JSON"
                )
            return body

        return self._retrying(attempt)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def paginate(
        self,
        path: str,
        params: dict[str, Any],
        *,
        items: Callable[[Any], Iterable[dict[str, Any]] | None],
        next_page: NextPage,
        method: str = "GET",
    ) -> Iterator[dict[str, Any]]:
        """Every item of a paged list. Each page is one `request()`, retried alone: a failure on page 3
        asks page 3 again with the cursor page 2 gave, never page 1. `items` picks a page's items,
        `next_page` the next page's parameters (`adops.connectors.paging` has the usual kinds)."""
        query = dict(params)
        for _ in range(self.max_pages):
            body = self.request(method, path, params=query)
            yield from items(body) or []
            following = next_page(body, query)
            if not following:
                return
            advanced = {**query, **following}
            if advanced == query:
                raise TransientError(f"{self.who}: {path} answered the same page again; paging stopped")
            query = advanced
        raise TransientError(f"{self.who}: {path} has more than {self.max_pages} pages; paging stopped")

    def await_report(
        self,
        name: str,
        poll: Callable[[], S],
        *,
        done: Callable[[S], bool],
        failed: Callable[[S], str | None],
    ) -> S:
        """Poll an async report until `done`, within one deadline (`report_seconds` of the policy).

        `failed` returns why a report ended in error (None while it may still finish). A report the
        platform failed, or that is not ready by the deadline, raises ReportFailed; nothing retries
        the whole report again behind this. Each poll is one `request()` with its own retries."""
        started = self.clock()
        deadline = started + self.policy.report_seconds
        for polls in itertools.count():
            status = poll()
            if done(status):
                return status
            reason = failed(status)
            if reason:
                raise ReportFailed(f"{self.who}: report {name} {reason}")
            wait = self.poll_intervals[min(polls, len(self.poll_intervals) - 1)]
            if self.clock() + wait > deadline:
                raise ReportFailed(
                    f"{self.who}: report {name} was not ready after {self.clock() - started:.0f} s "
                    f"({polls + 1} polls; report_seconds is {self.policy.report_seconds:.0f})"
                )
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover - itertools.count() never ends

    def create(self, send: Callable[[], S], find: Callable[[], S | None]) -> S:
        """A request that creates something, retried so that it never creates it twice.

        `send` runs with one HTTP attempt (no retry of its own). A 429 did not land: it is sent
        again after the wait, like any call. A 5xx, a timeout or an unreadable answer may have
        landed, so `find()` reads the platform first (by the new entity's name) and returns what it
        finds; only when nothing is there is the request sent again. When even the read fails, the
        call stops: sending again could make a second one. All within the workspace's retry budget.
        """
        single = retry.RetryPolicy(
            attempts=1, seconds=self.policy.seconds, report_seconds=self.policy.report_seconds
        )

        def attempt() -> S:
            kept, self.policy = self.policy, single
            try:
                return send()
            except TransientError:
                self.policy = kept
                try:
                    found = find()
                except ConnectorError as exc:
                    raise ConnectorError(
                        f"{self.who}: a creation may have landed (the answer was lost) and the check "
                        f"failed too ({exc}); look in the platform before trying again"
                    ) from None
                if found is not None:
                    return found
                raise
            finally:
                self.policy = kept

        return self._retrying(attempt)

    def download(self, url: str) -> bytes:
        """A finished report file from a pre-signed URL, through the same retry layer. Our headers are
        not sent (the URL carries its own signature, and tokens must not reach the storage host)."""
        parts = urlsplit(url)
        insecure_ok = urlsplit(self.base_url).scheme == "http"  # a local fake server in tests
        if parts.scheme != "https" and not (parts.scheme == "http" and insecure_ok) or not parts.netloc:
            raise BadRequest(f"{self.who}: refusing to download a report from a non-https URL")

        def attempt() -> bytes:
            response, body = self._send("GET", url, {}, {})
            error = http_error(self.platform, response, body, what="report download")
            if error is not None:
                raise error
            return response.content

        return self._retrying(attempt)

    # ------------------------------------------------------------------ the retry layer

    def _retrying(self, attempt: Callable[[], S]) -> S:
        try:
            return retry.run(attempt, self.policy, who=self.who, sleep=self.sleep, clock=self.clock)
        except ConnectorError as exc:
            exc.args = (self.redact(str(exc)),)
            raise

    def _send(
        self, method: str, url: str, headers: dict[str, str], kwargs: dict[str, Any]
    ) -> tuple[httpx.Response, Any]:
        """One HTTP request, counted; the answer read up to `max_body_bytes`; (response, JSON or None)."""
        self.attempts += 1
        try:
            request = self.http.build_request(method, url, headers=headers, **kwargs)
            streamed = self.http.send(request, stream=True)
            try:
                response = _read_capped(streamed, self.max_body_bytes)
            finally:
                streamed.close()
        except httpx.TimeoutException as exc:
            raise TransientError(f"{self.who}: request timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise TransientError(f"{self.who}: connection failed ({type(exc).__name__})") from None
        if response is None:
            raise BadRequest(
                f"{self.who}: the answer to {method} {request.url.path} is larger than "
                f"{self.max_body_bytes // (1024 * 1024)} MiB; refused"
            )
        return response, _json_or_none(response)

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


def http_error(
    platform: str, response: httpx.Response, body: Any, what: str | None = None
) -> ConnectorError | None:
    """The typed error an HTTP status means (the default mapping; platforms refine it)."""
    status = response.status_code
    if status < 400:
        return None
    message = f"{platform} {what or response.request.method + ' ' + response.request.url.path}: HTTP {status}"
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


def _workspace_policy() -> retry.RetryPolicy:
    from adops import config

    return retry.RetryPolicy.from_config(config.load())


def _read_capped(response: httpx.Response, limit: int) -> httpx.Response | None:
    """The streamed response read into memory, or None when it is longer than `limit` bytes."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=b"".join(chunks), request=response.request
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
