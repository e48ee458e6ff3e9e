"""A fake Google Ads API (REST, the versions Google serves) that checks requests the way the real one does.

It holds one manager and one client customer with campaigns, budgets, ad groups and ads, and
daily metrics generated deterministically (`ad_stats`), so tests know the true numbers. It checks
the `developer-token`, the bearer token, `login-customer-id` for the client under the manager, the
API version in the path, and GAQL field names; it answers searchStream as a list of batches in
proto3 JSON (camelCase, int64 as strings, default values left out) and mutates like the real API.

Versions: `VERSIONS` holds each version's release and sunset. On the fake's `today` it serves the
versions released and not yet sunset; any other version in the path gets what Google's front end
answers for a path it does not know: HTTP 404 with its HTML "Error 404 (Not Found)" page.

Faults: `faults` is a queue consumed by the next API requests ("429", "503", "expired",
"malformed", "stream_error"); `fail_resources` fails every query FROM a resource (a permanent 403).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

VERSION = "v26"
#: release and sunset (None: none announced yet) per version, from Google's sunset reminders and
#: release notes; v23 and v24 are known to the month only.
#: https://developers.google.com/google-ads/api/docs/sunset-dates
VERSIONS: dict[str, tuple[date, date | None]] = {
    "v19": (date(2025, 2, 26), date(2026, 2, 11)),
    "v20": (date(2025, 6, 4), date(2026, 6, 10)),
    "v21": (date(2025, 8, 1), date(2026, 8, 5)),
    "v22": (date(2025, 10, 1), date(2026, 10, 7)),
    "v23": (date(2026, 1, 1), None),
    "v24": (date(2026, 4, 1), None),
    "v25": (date(2026, 7, 22), None),
    "v26": (date(2026, 10, 14), None),
}
NOT_FOUND_PAGE = (
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n"
    "  <p><b>404.</b> <ins>That\u2019s an error.</ins>\n  <p>The requested URL <code>{path}</code> was not "
    "found on this server.  <ins>That\u2019s all we know.</ins>\n"
)
MANAGER = "9876543210"
CLIENT = "1234567890"

FIELDS = {
    "customer": {
        "customer.id", "customer.descriptive_name", "customer.currency_code", "customer.time_zone",
        "customer.status", "customer.manager",
    },
    "campaign": {
        "campaign.id", "campaign.name", "campaign.status", "campaign.advertising_channel_type",
        "campaign.bidding_strategy_type", "campaign.start_date_time", "campaign.campaign_budget",
        "campaign_budget.amount_micros", "campaign_budget.total_amount_micros",
        "campaign_budget.explicitly_shared", "campaign.target_cpa.target_cpa_micros",
        "campaign.maximize_conversions.target_cpa_micros", "segments.date",
    },
    "ad_group": {"ad_group.id", "ad_group.name", "ad_group.status", "ad_group.cpc_bid_micros", "campaign.id"},
    "conversion_action": {
        "conversion_action.id", "conversion_action.name", "conversion_action.category",
        "conversion_action.origin", "conversion_action.status",
    },
    "campaign_conversion_goal": {
        "campaign.id", "campaign_conversion_goal.category", "campaign_conversion_goal.origin",
        "campaign_conversion_goal.biddable",
    },
    "ad_group_ad": {
        "ad_group_ad.ad.id", "ad_group_ad.ad.name", "ad_group_ad.ad.type", "ad_group_ad.status",
        "ad_group_ad.ad.final_urls", "ad_group_ad.ad.responsive_search_ad.headlines", "ad_group.id",
        "ad_group.name", "campaign.id", "segments.date",
    },
}  # fmt: skip
METRIC_FIELDS = {
    "metrics.impressions", "metrics.clicks", "metrics.cost_micros", "metrics.conversions",
    "metrics.conversions_value",
}  # fmt: skip
INT64 = {
    "id",
    "impressions",
    "clicks",
    "cost_micros",
    "amount_micros",
    "total_amount_micros",
    "target_cpa_micros",
    "cpc_bid_micros",
}


def ad_stats(ad_id: str, day: date) -> dict[str, Any]:
    """The true metrics of one ad on one day (zero before the ad's launch: no row at all)."""
    n = int(ad_id) % 1000
    if n % 4 == 3 and day < date(2026, 11, 10):  # every fourth ad launches later
        return {"impressions": 0, "clicks": 0, "cost_micros": 0, "conversions": 0.0, "conversions_value": 0.0}
    seed = n * 31 + day.toordinal()
    impressions = 400 + (seed * 7919) % 1600
    clicks = impressions * (1 + seed % 6) // 100
    cost_micros = clicks * (200_000 + (seed % 17) * 10_000)
    conversions = (seed % 7) * 0.5
    return {
        "impressions": impressions,
        "clicks": clicks,
        "cost_micros": cost_micros,
        "conversions": conversions,
        "conversions_value": round(conversions * 42.5, 2),
    }


@dataclass
class FakeGoogleAds:
    developer_token: str = "dev-token-123"
    access_token: str = "access-good"
    refresh_token: str = "refresh-good"
    client_id: str = "client-app"
    client_secret: str = "client-secret"
    customers: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            MANAGER: {"descriptive_name": "Agency MCC", "currency_code": "USD", "time_zone": "America/New_York",
                      "status": "ENABLED", "manager": True, "parent": None},
            CLIENT: {"descriptive_name": "Shop DE", "currency_code": "EUR", "time_zone": "Europe/Berlin",
                     "status": "ENABLED", "manager": False, "parent": MANAGER},
        }
    )  # fmt: skip
    budgets: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "501": {"amount_micros": 50_000_000, "explicitly_shared": False},
            "502": {"amount_micros": 120_500_000, "explicitly_shared": False},
            "503": {"amount_micros": 80_000_000, "explicitly_shared": True},
        }
    )
    campaigns: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "111": {"name": "Brand Search", "status": "ENABLED", "advertising_channel_type": "SEARCH",
                    "bidding_strategy_type": "MANUAL_CPC", "start_date_time": "2026-01-05 00:00:00", "budget": "501"},
            "222": {"name": "Generic Search", "status": "PAUSED", "advertising_channel_type": "SEARCH",
                    "bidding_strategy_type": "TARGET_CPA", "target_cpa_micros": 25_000_000,
                    "start_date_time": "2026-03-01 00:00:00", "budget": "502"},
            "333": {"name": "Old Display", "status": "REMOVED", "advertising_channel_type": "DISPLAY",
                    "bidding_strategy_type": "MAXIMIZE_CONVERSIONS", "start_date_time": "2025-06-01 00:00:00",
                    "budget": "503"},
        }
    )  # fmt: skip
    ad_groups: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "7001": {
                "campaign": "111",
                "name": "Brand exact",
                "status": "ENABLED",
                "cpc_bid_micros": 1_500_000,
            },
            "7002": {"campaign": "222", "name": "Shoes", "status": "ENABLED", "cpc_bid_micros": 900_000},
            "7003": {"campaign": "222", "name": "Boots", "status": "PAUSED", "cpc_bid_micros": 0},
            "7004": {"campaign": "333", "name": "Remarketing", "status": "ENABLED", "cpc_bid_micros": 0},
        }
    )
    #: conversion actions (ConversionActionCategory, ConversionOrigin, ConversionActionStatus)
    conversion_actions: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "801": {"name": "Purchases", "category": "PURCHASE", "origin": "WEBSITE", "status": "ENABLED"},
            "802": {
                "name": "Leads",
                "category": "SUBMIT_LEAD_FORM",
                "origin": "WEBSITE",
                "status": "ENABLED",
            },
            "803": {"name": "Old app installs", "category": "DOWNLOAD", "origin": "APP", "status": "REMOVED"},
        }
    )
    #: each campaign's conversion goals: (category, origin, biddable). 111 bids on purchases and leads;
    #: 222 only on app downloads, whose one action is removed (no conversion tracking); 333 on none
    conversion_goals: dict[str, list[tuple[str, str, bool]]] = field(
        default_factory=lambda: {
            "111": [("PURCHASE", "WEBSITE", True), ("SUBMIT_LEAD_FORM", "WEBSITE", True)],
            "222": [("PURCHASE", "WEBSITE", False), ("DOWNLOAD", "APP", True)],
            "333": [("PURCHASE", "WEBSITE", False)],
        }
    )
    ads: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    fail_resources: set[str] = field(default_factory=set)
    batch_size: int = 20
    requests: list[dict[str, Any]] = field(default_factory=list)
    created: int = 0
    #: the fake's "today", which decides the versions it serves
    today: date = date(2026, 11, 24)

    def serves(self, version: str) -> bool:
        released, sunset = VERSIONS.get(version, (None, None))
        return released is not None and released <= self.today and (sunset is None or self.today < sunset)

    def __post_init__(self) -> None:
        if not self.ads:
            for i, (group, g) in enumerate(sorted(self.ad_groups.items())):
                for j in range(3):
                    ad_id = f"90{i}{j}"
                    self.ads[ad_id] = {
                        "ad_group": group,
                        "name": "" if j else f"{g['name']} ad",  # most Google ads have no name
                        "type": "RESPONSIVE_SEARCH_AD" if g["campaign"] != "333" else "RESPONSIVE_DISPLAY_AD",
                        "status": "ENABLED" if j < 2 else "PAUSED",
                        "headlines": [{"text": f"{g['name']} headline {j}"}, {"text": "Free delivery"}],
                        "final_urls": [f"https://shop.example.de/{group}/{j}"],
                    }

    # ------------------------------------------------------------------ the truth, for tests

    def expected_ad_daily(self, since: date, until: date) -> list[dict[str, Any]]:
        rows = []
        day = since
        while day <= until:
            for ad_id, ad in sorted(self.ads.items()):
                s = ad_stats(ad_id, day)
                if s["impressions"]:
                    group = self.ad_groups[ad["ad_group"]]
                    rows.append({"date": day, "ad_id": ad_id, "ad_group_id": ad["ad_group"],
                                 "campaign_id": group["campaign"], **_units(s)})  # fmt: skip
            day += timedelta(days=1)
        return rows

    def expected_campaign_daily(self, since: date, until: date) -> list[dict[str, Any]]:
        totals: dict[tuple[date, str], dict[str, Any]] = {}
        for r in self.expected_ad_daily(since, until):
            t = totals.setdefault((r["date"], r["campaign_id"]), {"impressions": 0, "clicks": 0, "spend": 0.0,
                                                                  "conversions": 0.0, "conversion_value": 0.0})  # fmt: skip
            for k in t:
                t[k] += r[k]
        return [
            {"date": d, "campaign_id": c, **{k: round(v, 6) for k, v in t.items()}}
            for (d, c), t in sorted(totals.items())
        ]

    # ------------------------------------------------------------------ rows behind GAQL

    def entity_rows(self, resource: str, cid: str) -> list[dict[str, Any]]:
        if resource == "customer":
            c = self.customers[cid]
            return [{f"customer.{k}": v for k, v in c.items() if k != "parent"} | {"customer.id": cid}]
        if cid != CLIENT:
            return []
        if resource == "campaign":
            return [self._campaign_row(cid, i) for i in sorted(self.campaigns)]
        if resource == "ad_group":
            return [
                {"ad_group.id": i, "ad_group.name": g["name"], "ad_group.status": g["status"],
                 "ad_group.cpc_bid_micros": g["cpc_bid_micros"], "campaign.id": g["campaign"]}
                for i, g in sorted(self.ad_groups.items())
            ]  # fmt: skip
        if resource == "conversion_action":
            return [
                {f"conversion_action.{k}": v for k, v in a.items()} | {"conversion_action.id": i}
                for i, a in sorted(self.conversion_actions.items())
            ]
        if resource == "campaign_conversion_goal":
            return [
                {"campaign.id": c, "campaign_conversion_goal.category": cat,
                 "campaign_conversion_goal.origin": origin, "campaign_conversion_goal.biddable": biddable}
                for c, goals in sorted(self.conversion_goals.items()) if c in self.campaigns
                for cat, origin, biddable in goals
            ]  # fmt: skip
        if resource == "ad_group_ad":
            rows = []
            for i, a in sorted(self.ads.items()):
                g = self.ad_groups[a["ad_group"]]
                rows.append({
                    "ad_group_ad.ad.id": i, "ad_group_ad.ad.name": a["name"], "ad_group_ad.ad.type": a["type"],
                    "ad_group_ad.status": a["status"], "ad_group_ad.ad.final_urls": a["final_urls"],
                    "ad_group_ad.ad.responsive_search_ad.headlines": a["headlines"] if "SEARCH" in a["type"] else [],
                    "ad_group.id": a["ad_group"], "ad_group.name": g["name"], "campaign.id": g["campaign"],
                })  # fmt: skip
            return rows
        return []

    def _campaign_row(self, cid: str, i: str) -> dict[str, Any]:
        c = self.campaigns[i]
        b = self.budgets[c["budget"]]
        target = c.get("target_cpa_micros", 0)
        return {
            "campaign.id": i, "campaign.name": c["name"], "campaign.status": c["status"],
            "campaign.advertising_channel_type": c["advertising_channel_type"],
            "campaign.bidding_strategy_type": c["bidding_strategy_type"],
            "campaign.start_date_time": c["start_date_time"],
            "campaign.campaign_budget": f"customers/{cid}/campaignBudgets/{c['budget']}",
            "campaign_budget.amount_micros": b["amount_micros"],
            "campaign_budget.total_amount_micros": 0,
            "campaign_budget.explicitly_shared": b["explicitly_shared"],
            "campaign.target_cpa.target_cpa_micros": target if c["bidding_strategy_type"] == "TARGET_CPA" else 0,
            "campaign.maximize_conversions.target_cpa_micros":
                target if c["bidding_strategy_type"] == "MAXIMIZE_CONVERSIONS" else 0,
        }  # fmt: skip

    def metric_rows(self, resource: str, since: date, until: date) -> list[dict[str, Any]]:
        """Rows segmented by date: one per entity and day with impressions (Google omits empty ones)."""
        rows = []
        day = since
        while day <= until:
            if resource == "ad_group_ad":
                for base in self.entity_rows("ad_group_ad", CLIENT):
                    s = ad_stats(base["ad_group_ad.ad.id"], day)
                    if s["impressions"]:
                        rows.append(
                            {
                                **base,
                                "segments.date": day.isoformat(),
                                **{f"metrics.{k}": v for k, v in s.items()},
                            }
                        )
            else:
                for base in self.entity_rows("campaign", CLIENT):
                    total = {
                        "impressions": 0,
                        "clicks": 0,
                        "cost_micros": 0,
                        "conversions": 0.0,
                        "conversions_value": 0.0,
                    }
                    for ad_id, ad in self.ads.items():
                        if self.ad_groups[ad["ad_group"]]["campaign"] == base["campaign.id"]:
                            for k, v in ad_stats(ad_id, day).items():
                                total[k] += v
                    if total["impressions"]:
                        rows.append(
                            {
                                **base,
                                "segments.date": day.isoformat(),
                                **{f"metrics.{k}": v for k, v in total.items()},
                            }
                        )
            day += timedelta(days=1)
        return rows


def _units(s: dict[str, Any]) -> dict[str, Any]:
    return {
        "impressions": s["impressions"],
        "clicks": s["clicks"],
        "spend": s["cost_micros"] / 1_000_000,
        "conversions": s["conversions"],
        "conversion_value": s["conversions_value"],
    }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _project(row: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """Nested proto3 JSON of the selected fields: camelCase, int64 as strings, defaults left out."""
    out: dict[str, Any] = {}
    for f in fields:
        value = row.get(f)
        if value in (None, 0, 0.0, "", False, []):
            continue
        if f.rsplit(".", 1)[-1] in INT64:
            value = str(value)
        node = out
        parts = [_camel(p) for p in f.split(".")]
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return out


def _error(code: int, status: str, reason: dict[str, str], message: str, **extra: Any) -> dict[str, Any]:
    failure: dict[str, Any] = {"errorCode": reason, "message": message}
    failure.update(extra)
    return {
        "error": {
            "code": code,
            "message": "Request contains an invalid argument." if code == 400 else message,
            "status": status,
            "details": [
                {
                    "@type": f"type.googleapis.com/google.ads.googleads.{VERSION}.errors.GoogleAdsFailure",
                    "errors": [failure],
                    "requestId": "fake-request-id",
                }
            ],
        }
    }


QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<resource>\w+)(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+LIMIT\s+\d+)?\s*$",
    re.S | re.I,
)
BETWEEN = re.compile(r"segments\.date\s+BETWEEN\s+'(\d{4}-\d\d-\d\d)'\s+AND\s+'(\d{4}-\d\d-\d\d)'", re.I)


class Refused(ValueError):
    """A value Google Ads refuses, with the error code its GoogleAdsFailure carries."""

    def __init__(self, message: str, code: dict[str, str]) -> None:
        super().__init__(message)
        self.code = code


STATUSES = {"campaigns": ("ENABLED", "PAUSED", "REMOVED"), "adGroups": ("ENABLED", "PAUSED", "REMOVED"),
            "adGroupAds": ("ENABLED", "PAUSED", "REMOVED")}  # fmt: skip
CHANNELS = {"SEARCH", "DISPLAY", "SHOPPING", "VIDEO", "MULTI_CHANNEL", "LOCAL", "SMART", "PERFORMANCE_MAX",
            "LOCAL_SERVICES", "TRAVEL", "DEMAND_GEN"}  # fmt: skip


def check(service: str, item: dict[str, Any]) -> None:
    """What the API refuses in a create or update, as its reference says: enum values (an unknown one
    is refused when the JSON is read), names of 1-255 UTF-8 bytes without NUL/LF/CR, positive amounts."""
    status = item.get("status")
    if status is not None and status not in STATUSES.get(service, (status,)):
        raise Refused(
            f"Invalid value at 'operations[0].status', \"{status}\"", {"requestError": "INVALID_ENUM_VALUE"}
        )
    channel = item.get("advertisingChannelType")
    if channel is not None and channel not in CHANNELS:
        raise Refused(
            f"Invalid value at 'advertising_channel_type', \"{channel}\"",
            {"requestError": "INVALID_ENUM_VALUE"},
        )
    name = item.get("name")
    if name is not None:
        if not str(name) or len(str(name).encode()) > 255:
            raise Refused(
                "Too long." if name else "Too short.",
                {"stringLengthError": "TOO_LONG" if name else "TOO_SHORT"},
            )
        if any(c in str(name) for c in "\x00\n\r"):
            raise Refused("The field contains invalid characters.", {"stringFormatError": "ILLEGAL_CHARS"})
    for money in ("amountMicros", "cpcBidMicros"):
        if money in item and int(item[money]) <= 0:
            raise Refused("Value must be greater than 0.", {"rangeError": "TOO_LOW"})


def make_app(fake: FakeGoogleAds) -> Starlette:
    def check_auth(request: Request, cid: str) -> Response | None:
        if request.headers.get("developer-token") != fake.developer_token:
            return JSONResponse(
                _error(401, "UNAUTHENTICATED", {"authenticationError": "DEVELOPER_TOKEN_INVALID"},
                       "The developer token is not valid."), status_code=401)  # fmt: skip
        if request.headers.get("authorization") != f"Bearer {fake.access_token}":
            return JSONResponse(
                _error(401, "UNAUTHENTICATED", {"authenticationError": "OAUTH_TOKEN_EXPIRED"},
                       "Authentication of the request failed: the OAuth token has expired."), status_code=401)  # fmt: skip
        customer = fake.customers.get(cid)
        login = request.headers.get("login-customer-id")
        if (
            customer is None
            or (customer["parent"] and login != customer["parent"])
            or (login and not re.fullmatch(r"\d{10}", login))
        ):
            return JSONResponse(
                _error(403, "PERMISSION_DENIED", {"authorizationError": "USER_PERMISSION_DENIED"},
                       "User doesn't have permission to access customer. Note: If you're accessing a client "
                       "customer, the manager's customer id must be set in the 'login-customer-id' header."),
                status_code=403)  # fmt: skip
        return None

    def fault() -> Response | None:
        if not fake.faults:
            return None
        kind = fake.faults.pop(0)
        if kind == "429":
            return JSONResponse(
                _error(429, "RESOURCE_EXHAUSTED", {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"},
                       "Too many requests. Retry in 7 seconds.",
                       details={"quotaErrorDetails": {"rateScope": "ACCOUNT", "rateName": "Requests per account",
                                                      "retryDelay": "7s"}}), status_code=429)  # fmt: skip
        if kind == "503":
            return JSONResponse({"error": {"code": 503, "message": "The service is currently unavailable.",
                                           "status": "UNAVAILABLE"}}, status_code=503)  # fmt: skip
        if kind == "expired":
            fake.access_token = "access-rotated-away"  # the token the client holds no longer works
            return JSONResponse(
                _error(401, "UNAUTHENTICATED", {"authenticationError": "OAUTH_TOKEN_EXPIRED"},
                       "Authentication of the request failed: the OAuth token has expired."), status_code=401)  # fmt: skip
        if kind == "malformed":
            return PlainTextResponse(
                '[{"results": [{"campaign": ', status_code=200, media_type="application/json"
            )
        if kind == "stream_error":
            return JSONResponse(
                [_error(500, "INTERNAL", {"internalError": "INTERNAL_ERROR"}, "Internal error encountered.")]
            )
        raise AssertionError(f"unknown fault {kind}")

    async def token(request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "refresh_token" or form.get("client_id") != fake.client_id:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("refresh_token") != fake.refresh_token or form.get("client_secret") != fake.client_secret:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
                status_code=400,
            )
        fake.access_token = f"access-{len(fake.requests)}"
        return JSONResponse({"access_token": fake.access_token, "expires_in": 3599, "token_type": "Bearer",
                             "scope": "https://www.googleapis.com/auth/adwords"})  # fmt: skip

    async def api(request: Request) -> Response:
        path = request.url.path
        m = re.fullmatch(r"/(v\d+)/customers/(\d+)/(\w+):(\w+)", path)
        if not m or request.method != "POST":
            return JSONResponse(
                {"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}}, status_code=404
            )
        version, cid, service, method = m.groups()
        if not fake.serves(version):
            return HTMLResponse(NOT_FOUND_PAGE.format(path=path), status_code=404)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse(
                _error(400, "INVALID_ARGUMENT", {"requestError": "INVALID_INPUT"}, "Invalid JSON payload."),
                status_code=400,
            )
        fake.requests.append({"path": path, "body": body, "headers": dict(request.headers)})
        denied = check_auth(request, cid)
        if denied:
            return denied
        failed = fault()
        if failed:
            return failed
        if service == "googleAds" and method == "searchStream":
            return search_stream(cid, body)
        if method == "mutate":
            return mutate(cid, service, body)
        return JSONResponse(
            {"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}}, status_code=404
        )

    def search_stream(cid: str, body: dict[str, Any]) -> Response:
        query = body.get("query") or ""
        m = QUERY.match(query)
        if not m:
            return JSONResponse(
                [
                    _error(
                        400,
                        "INVALID_ARGUMENT",
                        {"queryError": "UNEXPECTED_INPUT"},
                        f"Error in query: {query[:60]}",
                    )
                ],
                status_code=400,
            )
        fields = [f.strip() for f in m["fields"].split(",")]
        resource, where = m["resource"], m["where"] or ""
        allowed = FIELDS.get(resource, set()) | (
            METRIC_FIELDS if resource in ("campaign", "ad_group_ad") else set()
        )
        unknown = [f for f in fields if f not in allowed]
        if unknown:
            return JSONResponse([_error(400, "INVALID_ARGUMENT", {"queryError": "UNRECOGNIZED_FIELD"},
                                        f"Unrecognized field in the query: '{unknown[0]}'.")], status_code=400)  # fmt: skip
        if resource in fake.fail_resources:
            return JSONResponse(
                [_error(403, "PERMISSION_DENIED", {"authorizationError": "ACTION_NOT_PERMITTED"},
                        "The user does not have permission to perform this action on the resource.")],
                status_code=403)  # fmt: skip
        between = BETWEEN.search(where)
        if "segments.date" in fields or any(f.startswith("metrics.") for f in fields):
            if not between:
                return JSONResponse([_error(400, "INVALID_ARGUMENT", {"queryError": "EXPECTED_FILTERS_ON_DATE_RANGE"},
                                            "Expected a finite date range on segments.date.")], status_code=400)  # fmt: skip
            rows = fake.metric_rows(resource, date.fromisoformat(between[1]), date.fromisoformat(between[2]))
        else:
            rows = fake.entity_rows(resource, cid)
        rest = BETWEEN.sub("", where)
        for cond in [c.strip() for c in re.split(r"\s+AND\s+", rest) if c.strip()]:
            cm = re.fullmatch(r"([\w.]+)\s*(=|!=)\s*'?([\w-]+)'?", cond)
            if not cm or cm[1] not in allowed:
                return JSONResponse(
                    [
                        _error(
                            400, "INVALID_ARGUMENT", {"queryError": "BAD_FIELD_NAME"}, f"Bad condition {cond}"
                        )
                    ],
                    status_code=400,
                )
            rows = [r for r in rows if (str(r.get(cm[1])) == cm[3]) == (cm[2] == "=")]
        if cid != CLIENT and resource != "customer":
            rows = []
        results = [_project(r, fields) for r in rows]
        mask = ",".join(".".join(_camel(p) for p in f.split(".")) for f in fields)
        batches = [
            {"results": results[i : i + fake.batch_size], "fieldMask": mask, "requestId": f"req-{i}"}
            for i in range(0, len(results), fake.batch_size)
        ] or [{"fieldMask": mask, "requestId": "req-empty"}]
        return JSONResponse(batches)

    def mutate(cid: str, service: str, body: dict[str, Any]) -> Response:
        ops = body.get("operations")
        if not isinstance(ops, list) or not ops:
            return JSONResponse(
                _error(
                    400,
                    "INVALID_ARGUMENT",
                    {"requestError": "REQUIRED_FIELD_MISSING"},
                    "operations is required",
                ),
                status_code=400,
            )
        results = []
        for op in ops:
            try:
                results.append({"resourceName": apply(cid, service, op)})
            except Refused as exc:
                return JSONResponse(_error(400, "INVALID_ARGUMENT", exc.code, str(exc)), status_code=400)
            except ValueError as exc:
                return JSONResponse(
                    _error(400, "INVALID_ARGUMENT", {"mutateError": "RESOURCE_NOT_FOUND"}, str(exc)),
                    status_code=400,
                )
        return JSONResponse({"results": results})

    def apply(cid: str, service: str, op: dict[str, Any]) -> str:
        check(service, op.get("update") or op.get("create") or {})
        if "update" in op:
            item, mask = op["update"], op.get("updateMask") or ""
            if not mask:
                raise ValueError("updateMask is required")
            rid = item["resourceName"].rsplit("/", 1)[-1]
            if service == "campaignBudgets":
                fake.budgets[rid]["amount_micros"] = int(item["amountMicros"])
            elif service == "campaigns":
                c = fake.campaigns[rid]
                if "status" in mask:
                    c["status"] = item["status"]
                for f in ("targetCpa", "maximizeConversions"):
                    if f in mask:
                        c["target_cpa_micros"] = int(item[f]["targetCpaMicros"])
            elif service == "adGroups":
                g = fake.ad_groups[rid]
                if "status" in mask:
                    g["status"] = item["status"]
                if "cpcBidMicros" in mask:
                    g["cpc_bid_micros"] = int(item["cpcBidMicros"])
            elif service == "adGroupAds":
                group, ad = rid.split("~")
                if fake.ads[ad]["ad_group"] != group:
                    raise ValueError(f"no ad {ad} in ad group {group}")
                fake.ads[ad]["status"] = item["status"]
            return str(item["resourceName"])
        if "create" in op:
            item = op["create"]
            fake.created += 1
            new_id = str(8000 + fake.created)
            if service == "campaignBudgets":
                if int(item["amountMicros"]) % 10_000:
                    raise ValueError("Budget amount must be a multiple of the minimum currency unit.")
                fake.budgets[new_id] = {
                    "amount_micros": int(item["amountMicros"]),
                    "explicitly_shared": item.get("explicitlyShared", True),
                }
                return f"customers/{cid}/campaignBudgets/{new_id}"
            if service == "campaigns":
                if item.get("containsEuPoliticalAdvertising") not in (
                    "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING",
                    "CONTAINS_EU_POLITICAL_ADVERTISING",
                ):
                    raise ValueError("contains_eu_political_advertising is required")
                if any(c["name"] == item["name"] for c in fake.campaigns.values()):
                    raise ValueError("DUPLICATE_CAMPAIGN_NAME")
                fake.campaigns[new_id] = {
                    "name": item["name"], "status": item["status"],
                    "advertising_channel_type": item["advertisingChannelType"],
                    "bidding_strategy_type": "MANUAL_CPC" if "manualCpc" in item else "MAXIMIZE_CONVERSIONS",
                    "target_cpa_micros": int((item.get("maximizeConversions") or {}).get("targetCpaMicros", 0)),
                    "start_date_time": "2026-11-25 00:00:00", "budget": item["campaignBudget"].rsplit("/", 1)[-1],
                }  # fmt: skip
                return f"customers/{cid}/campaigns/{new_id}"
            if service == "adGroups":
                return create_ad_group(cid, new_id, item)
            if service == "adGroupAds":
                return create_ad(cid, new_id, item)
        if "remove" in op:
            rid = str(op["remove"]).rsplit("/", 1)[-1]
            if service == "campaignBudgets":
                fake.budgets.pop(rid, None)
            elif service in ("campaigns", "adGroups", "adGroupAds"):
                kept = {"campaigns": fake.campaigns, "adGroups": fake.ad_groups, "adGroupAds": fake.ads}[
                    service
                ]
                key = rid.split("~")[-1]
                if key not in kept:
                    raise ValueError(f"Resource was not found: {op['remove']}")
                if kept[key]["status"] == "REMOVED":
                    raise Refused("The operation is not allowed for removed resources.",
                                  {"operationAccessDeniedError": "OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE"})  # fmt: skip
                kept[key]["status"] = "REMOVED"
            return str(op["remove"])
        raise ValueError("unsupported operation")

    def create_ad_group(cid: str, new_id: str, item: dict[str, Any]) -> str:
        """AdGroupService: name, campaign and type required; names unique among the campaign's
        ad groups that are not removed (`adGroupError.DUPLICATE_ADGROUP_NAME`)."""
        for required in ("name", "campaign"):
            if not item.get(required):
                raise Refused(f"The required field '{required}' was not present.", {"fieldError": "REQUIRED"})
        if item.get("type") not in ("SEARCH_STANDARD", "DISPLAY_STANDARD", "VIDEO_TRUE_VIEW_IN_STREAM"):
            raise Refused(
                f"Invalid value at 'type', \"{item.get('type')}\"", {"requestError": "INVALID_ENUM_VALUE"}
            )
        campaign = str(item["campaign"]).rsplit("/", 1)[-1]
        if campaign not in fake.campaigns or fake.campaigns[campaign]["status"] == "REMOVED":
            raise ValueError(f"Resource was not found: {item['campaign']}")
        if any(g["campaign"] == campaign and g["name"] == item["name"] and g["status"] != "REMOVED"
               for g in fake.ad_groups.values()):  # fmt: skip
            raise Refused("AdGroup with the same name already exists for the campaign.",
                          {"adGroupError": "DUPLICATE_ADGROUP_NAME"})  # fmt: skip
        fake.ad_groups[new_id] = {"campaign": campaign, "name": item["name"], "status": item.get("status", "ENABLED"),
                                  "cpc_bid_micros": int(item.get("cpcBidMicros", 0)), "type": item["type"]}  # fmt: skip
        return f"customers/{cid}/adGroups/{new_id}"

    def create_ad(cid: str, new_id: str, item: dict[str, Any]) -> str:
        """AdGroupAdService with a ResponsiveSearchAdInfo: 3-15 headlines of at most 30 characters,
        2-4 descriptions of at most 90, a final URL; only in a search ad group."""
        group = str(item.get("adGroup") or "").rsplit("/", 1)[-1]
        if group not in fake.ad_groups:
            raise ValueError(f"Resource was not found: {item.get('adGroup')}")
        ad = item.get("ad") or {}
        rsa = ad.get("responsiveSearchAd")
        if not ad.get("finalUrls") or not all(ad["finalUrls"]):
            raise Refused("The required field 'final_urls' was not present.", {"fieldError": "REQUIRED"})
        if not isinstance(rsa, dict):
            raise Refused("An ad type is required.", {"adError": "AD_TYPE_REQUIRED"})
        if fake.ad_groups[group].get("type") == "DISPLAY_STANDARD":
            raise Refused("The ad type is not allowed in this ad group type.",
                          {"adGroupAdError": "AD_TYPE_NOT_SUPPORTED_FOR_AD_GROUP_TYPE"})  # fmt: skip
        for part, fewest, most, longest in (("headlines", 3, 15, 30), ("descriptions", 2, 4, 90)):
            texts = [str(t.get("text", "")) for t in rsa.get(part) or []]
            if not fewest <= len(texts) <= most:
                raise Refused(f"Too {'few' if len(texts) < fewest else 'many'} {part}.",
                              {"collectionSizeError": "TOO_FEW" if len(texts) < fewest else "TOO_MANY"})  # fmt: skip
            if any(len(t) > longest for t in texts):
                raise Refused("Too long.", {"stringLengthError": "TOO_LONG"})
            if any(not t.strip() for t in texts):
                raise Refused("Too short.", {"stringLengthError": "TOO_SHORT"})
        fake.ads[new_id] = {"ad_group": group, "name": "", "type": "RESPONSIVE_SEARCH_AD",
                            "status": item.get("status", "ENABLED"), "headlines": rsa["headlines"],
                            "final_urls": ad["finalUrls"]}  # fmt: skip
        return f"customers/{cid}/adGroupAds/{group}~{new_id}"

    return Starlette(
        routes=[Route("/token", token, methods=["POST"]), Route("/{path:path}", api, methods=["GET", "POST"])]
    )
