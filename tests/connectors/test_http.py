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


# ---------------------------------------------------------------------------- the shared layer


class Clock:
    def __init__(self) -> None:
        self.now, self.sleeps = 0.0, []  # type: ignore[var-annotated]

    def __call__(self) -> float:
        return float(self.now)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def shared_app(state: dict) -> Starlette:
    async def status(request: Request) -> JSONResponse:
        state["hits"] = state.get("hits", 0) + 1
        code = int(request.path_params["code"])
        return JSONResponse({"message": f"answer {code}"}, status_code=code)

    async def huge(request: Request) -> PlainTextResponse:
        return PlainTextResponse("x" * 5000)

    async def same_cursor(request: Request) -> JSONResponse:
        state["pages"] = state.get("pages", 0) + 1
        return JSONResponse({"items": [{"n": state["pages"]}], "bookmark": "again"})

    async def report_file(request: Request) -> PlainTextResponse:
        state["file_auth"] = request.headers.get("authorization")
        return PlainTextResponse("a,b\n1,2\n")

    return Starlette(
        routes=[
            Route("/status/{code}", status),
            Route("/huge", huge),
            Route("/same", same_cursor),
            Route("/file.csv", report_file),
        ]
    )


@pytest.mark.parametrize("code", [400, 401, 403, 404])
def test_client_errors_are_sent_once(fake_server, monkeypatch: pytest.MonkeyPatch, code: int) -> None:  # type: ignore[no-untyped-def]
    state: dict = {}
    with fake_server(shared_app(state)) as url:
        monkeypatch.setenv("ADOPS_PINTEREST_BASE_URL", url)
        client = Client(account(access_token="tok-12345"), sleep=lambda s: None)
        with pytest.raises((BadRequest, AuthError, PermissionDenied)):
            client.get(f"/status/{code}")
    assert state["hits"] == 1 and client.attempts == 1


def test_oversized_answers_are_refused_not_read(fake_server, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    with fake_server(shared_app({})) as url:
        monkeypatch.setenv("ADOPS_PINTEREST_BASE_URL", url)
        client = Client(account(access_token="tok-12345"), sleep=lambda s: None)
        client.max_body_bytes = 1000  # type: ignore[misc]
        with pytest.raises(BadRequest, match="larger than"):
            client.get("/huge")
        assert client.attempts == 1


def test_paging_that_never_advances_is_stopped(fake_server, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from adops.connectors import TransientError, paging

    state: dict = {}
    with fake_server(shared_app(state)) as url:
        monkeypatch.setenv("ADOPS_PINTEREST_BASE_URL", url)
        client = Client(account(access_token="tok-12345"), sleep=lambda s: None)
        pages = client.paginate(
            "/same",
            {},
            items=paging.dig("items"),
            next_page=paging.cursor("bookmark", paging.dig("bookmark")),
        )
        with pytest.raises(TransientError, match="same page again"):
            list(pages)
    assert state["pages"] == 2  # the first page, then the same cursor once more: stop


def test_downloads_carry_no_credentials_and_only_from_https(
    fake_server, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    state: dict = {}
    with fake_server(shared_app(state)) as url:
        monkeypatch.setenv("ADOPS_PINTEREST_BASE_URL", url)
        client = Client(account(access_token="tok-12345"), sleep=lambda s: None)
        assert client.download(f"{url}/file.csv") == b"a,b\n1,2\n"
        assert state["file_auth"] is None  # the token never leaves for the storage host
        monkeypatch.setenv("ADOPS_PINTEREST_BASE_URL", "https://api.pinterest.com")
        strict = Client(account(access_token="tok-12345"), sleep=lambda s: None)
        for hostile in (f"{url}/file.csv", "file:///etc/passwd", "ftp://x/y", "https://"):
            with pytest.raises(BadRequest, match="non-https"):
                strict.download(hostile)


def test_await_report_has_one_deadline_and_names_failures() -> None:
    from adops.connectors import ReportFailed

    clock = Clock()
    client = Client(
        account(access_token="tok-12345"),
        sleep=clock.sleep,
        clock=clock,
        policy=RetryPolicy(report_seconds=30),
    )
    polls = []

    def poll() -> dict:
        polls.append(1)
        return {"state": "RUNNING"}

    with pytest.raises(
        ReportFailed, match=r"report r1 was not ready after 18 s \(5 polls; report_seconds is 30\)"
    ):
        client.await_report("r1", poll, done=lambda s: s["state"] == "DONE", failed=lambda s: None)
    assert clock.sleeps == [1.0, 2.0, 5.0, 10.0] and len(polls) == 5  # a 15 s wait would pass 30 s
    with pytest.raises(ReportFailed, match="report r2 ended as FAILED"):
        client.await_report(
            "r2", lambda: {"state": "FAILED"}, done=lambda s: False, failed=lambda s: f"ended as {s['state']}"
        )
    status = {"n": 0}

    def finishing() -> dict:
        status["n"] += 1
        return {"state": "DONE" if status["n"] == 3 else "RUNNING"}

    assert client.await_report("r3", finishing, done=lambda s: s["state"] == "DONE", failed=lambda s: None)
