"""Each fake refuses, with its platform's error, what the platform's reference says it refuses in a
write: unknown fields, values outside an enum, budgets below the minimum or not positive, names too
long, and requests without valid credentials. The refusal reaches the caller as BadRequest (or
AuthError), is never retried, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from adops.connectors import AuthError, BadRequest
from adops.connectors.base import CampaignTemplate
from tests.connectors.test_create_once import platform

Call = Callable[[Any, str], Any]


def _first_campaign(conn: Any, account: str) -> str:
    return str(conn.campaigns(account)["campaign_id"].iloc[0])


def _tpl(
    name: str = "Refused", objective: str = "TRAFFIC", budget: float = 60.0, **extra: str
) -> CampaignTemplate:
    return CampaignTemplate(name, objective, budget, extra=extra)


CASES: list[tuple[str, str, Call, str]] = [
    # Meta: Graph API error 100 (invalid parameter)
    (
        "meta",
        "status enum",
        lambda c, a: c.client.update(_first_campaign(c, a), {"status": "RUNNING"}),
        "status must be one of",
    ),
    (
        "meta",
        "unknown field",
        lambda c, a: c.client.update(_first_campaign(c, a), {"colour": "red"}),
        "not valid",
    ),
    (
        "meta",
        "budget in minor units",
        lambda c, a: c.client.update(_first_campaign(c, a), {"daily_budget": "12.5"}),
        "integer",
    ),
    (
        "meta",
        "legacy objective",
        lambda c, a: c.client.create_campaign(
            f"act_{a}" if not a.startswith("act_") else a,
            {"name": "x", "objective": "CONVERSIONS", "special_ad_categories": "[]"},
        ),
        "ODAX",
    ),
    # Pinterest: per-item exceptions in a 200 bulk answer
    (
        "pinterest",
        "status enum",
        lambda c, a: c.client.patch(a, "campaigns", [{"id": _first_campaign(c, a), "status": "RUNNING"}]),
        "Invalid",
    ),
    (
        "pinterest",
        "objective enum",
        lambda c, a: c.client.create_campaigns(
            a, [{"ad_account_id": a, "name": "x", "objective_type": "SALES"}]
        ),
        "objective_type",
    ),
    (
        "pinterest",
        "micro-currency",
        lambda c, a: c.client.create_campaigns(
            a, [{"ad_account_id": a, "name": "x", "objective_type": "AWARENESS", "daily_spend_cap": 12.5}]
        ),
        "daily_spend_cap",
    ),
    (
        "pinterest",
        "unknown field",
        lambda c, a: c.client.create_campaigns(
            a, [{"ad_account_id": a, "name": "x", "objective_type": "AWARENESS", "colour": "red"}]
        ),
        "Invalid fields",
    ),
    # LinkedIn: Rest.li errors (400 ILLEGAL_ARGUMENT / INVALID_ENUM_VALUE)
    (
        "linkedin",
        "status enum",
        lambda c, a: c.client.update_campaign(a, _first_campaign(c, a), {"status": "RUNNING"}),
        "not valid",
    ),
    (
        "linkedin",
        "budget minimum",
        lambda c, a: c.set_daily_budget(a, _first_campaign(c, a), 2.0),
        "at least 10",
    ),
    ("linkedin", "objective enum", lambda c, a: c.create_campaign(a, _tpl(objective="CONVERSIONS")), "enum"),
    (
        "linkedin",
        "create below minimum",
        lambda c, a: c.create_campaign(a, _tpl(objective="WEBSITE_VISIT", budget=5.0)),
        "at least 10",
    ),
    (
        "linkedin",
        "name too long",
        lambda c, a: c.create_campaign(a, _tpl("x" * 300, "WEBSITE_VISIT")),
        "name",
    ),
    # TikTok: code 40002 in the envelope
    (
        "tiktok",
        "objective enum",
        lambda c, a: c.create_campaign(a, _tpl(objective="SALES")),
        "objective_type",
    ),
    ("tiktok", "budget minimum", lambda c, a: c.create_campaign(a, _tpl(budget=20.0)), "at least 50"),
    ("tiktok", "name too long", lambda c, a: c.create_campaign(a, _tpl("x" * 600)), "campaign_name"),
    ("tiktok", "unknown field", lambda c, a: c.create_campaign(a, _tpl(colour="red")), "Unknown field"),
    (
        "tiktok",
        "status enum",
        lambda c, a: c.client.update_status(a, "campaign", [_first_campaign(c, a)], "RUNNING"),
        "operation_status",
    ),
    # Microsoft Advertising: PartialErrors with the reference's operation error codes
    (
        "microsoft_ads",
        "status enum",
        lambda c, a: c.client.update(
            "Campaigns", {}, [{"Id": int(_first_campaign(c, a)), "Status": "Running"}]
        ),
        "CampaignServiceInvalidCampaignStatus",
    ),
    (
        "microsoft_ads",
        "budget not positive",
        lambda c, a: c.client.update(
            "Campaigns", {}, [{"Id": int(_first_campaign(c, a)), "DailyBudget": -5}]
        ),
        "CampaignServiceInvalidDailyBudget",
    ),
    (
        "microsoft_ads",
        "name too long",
        lambda c, a: c.create_campaign(a, _tpl("x" * 200, "Search")),
        "CampaignServiceInvalidCampaignName",
    ),
    (
        "microsoft_ads",
        "duplicate name",
        lambda c, a: [c.create_campaign(a, _tpl("Twice", "Search")) for _ in range(2)],
        "CampaignServiceCannotCreateDuplicateCampaign",
    ),
    # Google Ads: GoogleAdsFailure (INVALID_ARGUMENT)
    (
        "google_ads",
        "status enum",
        lambda c, a: c.client.mutate(
            a,
            "campaigns",
            [
                {
                    "update": {
                        "resourceName": f"customers/{a}/campaigns/{_first_campaign(c, a)}",
                        "status": "RUNNING",
                    },
                    "updateMask": "status",
                }
            ],
        ),
        "Invalid value",
    ),
    ("google_ads", "name too long", lambda c, a: c.create_campaign(a, _tpl("é" * 150, "SEARCH")), "Too long"),
    (
        "google_ads",
        "name with a line feed",
        lambda c, a: c.create_campaign(a, _tpl("two\nlines", "SEARCH")),
        "invalid characters",
    ),
    (
        "google_ads",
        "budget not positive",
        lambda c, a: c.client.mutate(
            a,
            "campaignBudgets",
            [{"create": {"name": "b", "amountMicros": "0", "deliveryMethod": "STANDARD"}}],
        ),
        "greater than 0",
    ),
]


@pytest.mark.parametrize(("name", "what", "call", "match"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_the_fake_refuses_like_the_platform(
    name: str, what: str, call: Call, match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with platform(name, monkeypatch, "/never") as (conn, account, _):
        before = conn.campaigns(account)
        with pytest.raises(BadRequest, match=match) as refused:
            call(conn, account)
        assert refused.value.attempts in (None, 1)  # a refusal is not retried
        after = conn.campaigns(account)
        if what != "duplicate name":
            assert len(after) == len(before)
            assert after["status"].tolist() == before["status"].tolist()


@pytest.mark.parametrize("name", ["meta", "tiktok", "linkedin"])
def test_a_write_without_valid_credentials_is_an_auth_error(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with platform(name, monkeypatch, "/never") as (conn, account, _):
        campaign = _first_campaign(conn, account)
        conn.client.access_token = "not-a-valid-token"
        conn.client.refresh_token = None
        with pytest.raises(AuthError):
            conn.set_status(account, "campaign", campaign, "PAUSED")
