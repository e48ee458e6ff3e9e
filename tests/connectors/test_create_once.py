"""A creation is never retried blindly: when the platform made the campaign but its answer was lost
(a 502 after the work, as a proxy or a dropped connection does), the client reads the account, finds
the campaign by its name and returns it; it sends the creation again only when nothing is there."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adops.connectors.base import CampaignTemplate
from tests.connectors.conftest import serve


class LoseAnswers:
    """ASGI wrapper: the next `times` requests whose path contains `needle` are fully served by the
    fake (the campaign is made), then answered 502 instead of the fake's answer."""

    def __init__(self, app: ASGIApp, needle: str, times: int = 1, method: str = "POST") -> None:
        self.app, self.needle, self.left, self.method = app, needle, times, method
        self.lost = 0

    def matches(self, path: str) -> bool:
        """`needle` in the path; a needle ending in `$` must end it (POST /AdGroups, not
        /AdGroups/QueryByCampaignId)."""
        if self.needle.endswith("$"):
            return path.endswith(self.needle[:-1])
        return self.needle in path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != self.method or not self.matches(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.left <= 0:
            await self.app(scope, receive, send)
            return
        self.left -= 1

        async def swallow(message: Message) -> None:
            return None

        await self.app(scope, receive, swallow)
        self.lost += 1
        await send(
            {"type": "http.response.start", "status": 502, "headers": [(b"content-type", b"text/html")]}
        )
        await send({"type": "http.response.body", "body": b"<html>502 Bad Gateway</html>"})


@contextmanager
def platform(
    name: str, monkeypatch: pytest.MonkeyPatch, needle: str, times: int = 1
) -> Iterator[tuple[Any, str, LoseAnswers]]:
    """(connector, account id, the wrapper) for `name` against its fake, the creation's answers lost."""
    if name == "meta":
        from tests.connectors import test_meta as t
        from tests.connectors.fakes.meta import ACCOUNT, MetaState, make_app

        state: Any = MetaState()
        app, env, account = make_app(state), {"ADOPS_META_BASE_URL": None, "META_TOKEN": state.token}, ACCOUNT
        build: Callable[[], Any] = t.make
    elif name == "pinterest":
        from tests.connectors import test_pinterest as t
        from tests.connectors.fakes.pinterest import PinterestState, make_app

        state = PinterestState()
        app, account = make_app(state), t.ACCOUNT
        env = {
            "ADOPS_PINTEREST_BASE_URL": None,
            "PIN_TOKEN": state.token,
            "PIN_REFRESH": state.refresh_token,
            "PIN_SECRET": state.client_secret,
        }
        build = t.make
    elif name == "linkedin":
        from tests.connectors import test_linkedin as t
        from tests.connectors.fakes.linkedin import FakeLinkedIn

        state = FakeLinkedIn()
        app, account, env, build = state.app, t.ACCOUNT, {"ADOPS_LINKEDIN_BASE_URL": None}, t.make
    elif name == "tiktok":
        from tests.connectors import test_tiktok as t
        from tests.connectors.fakes.tiktok import FakeTikTok

        state = FakeTikTok()
        app, account, env, build = state.app, t.ADV, {"ADOPS_TIKTOK_BASE_URL": None}, t.make
    elif name == "microsoft_ads":
        from tests.connectors import test_microsoft_ads as t
        from tests.connectors.fakes.microsoft_ads import FakeMicrosoftAds, make_app

        state = FakeMicrosoftAds()
        app, account = make_app(state), t.ACCOUNT
        env = {
            "ADOPS_MICROSOFT_BASE_URL": None,
            "ADOPS_MICROSOFT_TOKEN_URL": "/token",
            "MS_REFRESH": state.refresh_token,
            "MS_CLIENT_ID": state.client_id,
            "MS_CLIENT_SECRET": state.client_secret,
            "MS_DEV_TOKEN": state.developer_token,
        }
        build = t.conn
    else:
        from tests.connectors import test_google_ads as t
        from tests.connectors.fakes.google_ads import FakeGoogleAds, make_app

        state = FakeGoogleAds()
        app, account = make_app(state), t.CLIENT
        env = {
            "ADOPS_GOOGLE_ADS_BASE_URL": None,
            "ADOPS_GOOGLE_ADS_TOKEN_URL": "/token",
            "GADS_ACCESS": state.access_token,
            "GADS_REFRESH": state.refresh_token,
            "GADS_CLIENT_ID": state.client_id,
            "GADS_CLIENT_SECRET": state.client_secret,
            "GADS_DEV_TOKEN": state.developer_token,
            "GADS_LOGIN": "987-654-3210",
        }
        build = t.conn
    wrapper = LoseAnswers(app, needle, times)
    with serve(wrapper) as url:
        for key, value in env.items():
            monkeypatch.setenv(
                key, url if value is None else (url + value if value.startswith("/") else value)
            )
        yield build(), account, wrapper


CASES = [
    ("meta", "/campaigns", "OUTCOME_SALES"),
    ("pinterest", "/campaigns", "WEB_CONVERSION"),
    ("linkedin", "/adCampaigns", "WEBSITE_CONVERSION"),
    ("tiktok", "/campaign/create/", "TRAFFIC"),
    ("microsoft_ads", "/Campaigns", "Search"),
    ("google_ads", "campaigns:mutate", "SEARCH"),
]


@pytest.mark.parametrize(("name", "needle", "objective"), CASES)
def test_a_lost_answer_finds_the_campaign_instead_of_making_a_second(
    name: str, needle: str, objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with platform(name, monkeypatch, needle) as (conn, account, lost):
        new_id = conn.create_campaign(account, CampaignTemplate("Lost answer ✓", objective, 60.0))
        assert lost.lost == 1
        campaigns = conn.campaigns(account)
        named = campaigns[campaigns["campaign_name"] == "Lost answer ✓"]
        assert list(named["campaign_id"]) == [new_id]  # exactly one, the one returned
        assert list(named["status"]) == ["PAUSED"]


@pytest.mark.parametrize(("name", "needle", "objective"), [CASES[0], CASES[3]])
def test_a_refused_creation_is_not_found_and_is_not_made(
    name: str, needle: str, objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adops.connectors import BadRequest

    with platform(name, monkeypatch, "/never") as (conn, account, _):
        with pytest.raises(BadRequest):
            conn.create_campaign(account, CampaignTemplate("Nope", "NOT_AN_OBJECTIVE", 60.0))
        assert not (conn.campaigns(account)["campaign_name"] == "Nope").any()
