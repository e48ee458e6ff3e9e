"""The shared client: overrides, error mapping, retries, malformed bodies, token refresh, redaction."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from adops.config import AccountConfig
from adops.connectors import AuthError, BadRequest, NotConfigured, PermissionDenied, RateLimited
from adops.connectors.http import ApiClient, redact
from adops.connectors.retry import RetryPolicy


class Client(ApiClient):
    platform = "pinterest"
    default_base_url = "https://api.pinterest.com"
    default_token_url = "/v5/oauth/token"


def make_app(state: dict) -> Starlette:
    async def flaky(request: Request) -> JSONResponse:
        state["flaky"] = state.get("flaky", 0) + 1
        if state["flaky"] == 1:
            return JSONResponse({"message": "slow down"}, status_code=429, headers={"Retry-After": "3"})
        if state["flaky"] == 2:
            return JSONResponse({"message": "oops"}, status_code=503)
        if state["flaky"] == 3:
            return PlainTextResponse("<html>gateway</html>", status_code=200)
        return JSONResponse({"ok": True})

    async def secured(request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {state['valid']}":
            return JSONResponse({"message": "Authentication failed: token expired"}, status_code=401)
        return JSONResponse({"items": [1, 2]})

    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("refresh_token") != state["refresh"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        state["valid"], state["refresh"] = "new-access", "rotated-refresh"
        return JSONResponse(
            {"access_token": "new-access", "refresh_token": "rotated-refresh", "expires_in": 3600}
        )

    async def forbidden(request: Request) -> JSONResponse:
        return JSONResponse({"message": "missing scope ads:read"}, status_code=403)

    async def bad(request: Request) -> JSONResponse:
        return JSONResponse({"message": f"bad value {request.headers.get('authorization')}"}, status_code=400)

    return Starlette(
        routes=[
            Route("/flaky", flaky),
            Route("/secured", secured),
            Route("/v5/oauth/token", token, methods=["POST"]),
            Route("/forbidden", forbidden),
            Route("/bad", bad),
        ]
    )


def account(**creds: str) -> AccountConfig:
    return AccountConfig("pinterest", "549755885175", "api", None, creds)


def test_retries_until_success_honouring_retry_after(fake_server, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    waits: list[float] = []
    with fake_server(make_app({})) as url:
        monkeypatch.setenv("ADOPS_PINTEREST_BASE_URL", url)
        client = Client(account(access_token="tok-1234"), sleep=waits.append, policy=RetryPolicy(attempts=5))
        assert client.base_url == url
        assert client.get("/flaky") == {"ok": True}
    assert waits[0] == 3 and len(waits) == 3  # 429 (Retry-After), 503, malformed body


def test_typed_errors_and_redaction(fake_server, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    with fake_server(make_app({"valid": "x"})) as url:
        monkeypatch.setenv("ADOPS_PINTEREST_BASE_URL", url)
        client = Client(account(access_token="tok-secret-1234"), sleep=lambda s: None)
        with pytest.raises(PermissionDenied, match="missing scope ads:read"):
            client.get("/forbidden")
        with pytest.raises(BadRequest) as bad:
            client.get("/bad")
        assert "tok-secret-1234" not in str(bad.value) and "***" in str(bad.value)
        with pytest.raises(AuthError, match="token expired"):
            client.get("/secured")


def test_expired_token_refreshes_once_and_persists_the_rotated_token(
    fake_server, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    state = {"valid": "new-access", "refresh": "refresh-1"}
    with fake_server(make_app(state)) as url:
        monkeypatch.setenv("ADOPS_PINTEREST_BASE_URL", url)
        creds = {
            "access_token": "old-access",
            "refresh_token": "refresh-1",
            "client_id": "app",
            "client_secret": "s",
        }
        assert Client(account(**creds)).get("/secured") == {"items": [1, 2]}
        # the platform rotated the refresh token; a new process must use the rotated one
        later = Client(account(**creds))
        assert later.refresh_token == "rotated-refresh"
        assert later.get("/secured") == {"items": [1, 2]}
        state["refresh"] = "something-else"  # revoked: refusing to refresh is a precise AuthError
        revoked = Client(account(**{**creds, "access_token": "stale"}))
        revoked.access_token = "stale"
        with pytest.raises(AuthError, match="refresh token was refused"):
            revoked.get("/secured")


def test_missing_credentials_say_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(NotConfigured, match="no access token"):
        Client(account()).get("/anything")
    assert redact("token abcd1234 and abcd1234", ["abcd1234", ""]) == "token *** and ***"


def test_rate_limit_error_after_the_last_attempt(fake_server, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    async def always(request: Request) -> JSONResponse:
        return JSONResponse({"message": "quota"}, status_code=429, headers={"Retry-After": "1"})

    with fake_server(Starlette(routes=[Route("/x", always)])) as url:
        monkeypatch.setenv("ADOPS_PINTEREST_BASE_URL", url)
        with pytest.raises(RateLimited) as exc:
            Client(account(access_token="t0000"), sleep=lambda s: None, policy=RetryPolicy(attempts=2)).get(
                "/x"
            )
        assert exc.value.retry_after == 1
