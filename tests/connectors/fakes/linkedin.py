"""A fake LinkedIn Marketing API (versioned /rest endpoints) that checks requests like the real one.

It requires the bearer token, a served `LinkedIn-Version` and
`X-Restli-Protocol-Version: 2.0.0`; parses Rest.li 2.0 `dateRange=(start:(...),end:(...))` and
`accounts=List(urn%3Ali%3A...)` from the raw query string; refuses more than 20 analytics fields and
answers that would exceed `max_elements`; honours query tunnelling (POST + `X-HTTP-Method-Override:
GET` + form body) and refuses GET query strings longer than `max_url`; pages entity searches with
`pageToken` / `metadata.nextPageToken`; applies PARTIAL_UPDATE patches and creates campaigns (201 +
`x-restli-id`). Stats are deterministic per creative and day; campaign rows are the sums.
Faults (`fail(path, kind)`): "429", "5xx", "malformed", "expired", "fatal".

Versions as LinkedIn publishes them: a monthly `YYYYMM` is served from its month until about the 15th
of the same month a year later (202511 until 2026-11-15); a retired, skipped (`unreleased`) or future
month gets 426 NONEXISTENT_VERSION, and a missing header 400 VERSION_MISSING. `versions_sent` lists
the header of every request.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, unquote

import pandas as pd
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

ANALYTICS_FIELDS = {
    "dateRange",
    "pivotValues",
    "impressions",
    "clicks",
    "costInLocalCurrency",
    "externalWebsiteConversions",
    "conversionValueInLocalCurrency",
    "oneClickLeads",
    "landingPageClicks",
}
DATE_RANGE = re.compile(
    r"^\(start:\(year:(\d{4}),month:(\d{1,2}),day:(\d{1,2})\),end:\(year:(\d{4}),month:(\d{1,2}),day:(\d{1,2})\)\)$"
)


def _unit(*parts: object) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _error(status: int, message: str, code: str = "", service: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"status": status, "message": message}
    if code:
        body["code"] = code
    if service:
        body["serviceErrorCode"] = service
    return JSONResponse(body, status)


#: objectiveType values of a campaign (Marketing API, adCampaigns)
OBJECTIVE_TYPES = {
    "BRAND_AWARENESS",
    "ENGAGEMENT",
    "JOB_APPLICANT",
    "LEAD_GENERATION",
    "WEBSITE_CONVERSION",
    "WEBSITE_VISIT",
    "VIDEO_VIEW",
    "TALENT_LEAD",
}


@dataclass
class FakeLinkedIn:
    account_id: str = "508000001"
    name: str = "Acme LinkedIn"
    currency: str = "EUR"
    campaigns_n: int = 4
    creatives_per_campaign: int = 3
    first_day: date = date(2026, 8, 1)
    last_day: date = date(2026, 11, 24)
    token: str = "li-access-1"
    client_id: str = "li-client"
    client_secret: str = "li-secret"
    refresh_token: str = "li-refresh-1"
    max_elements: int = 15_000
    max_url: int = 8_000
    faults: list[tuple[str, str]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    refreshes: int = 0
    #: the fake's "today", which decides the versions it serves
    today: date = date(2026, 11, 24)
    #: months LinkedIn released no version for (or not yet)
    unreleased: set[str] = field(default_factory=set)
    versions_sent: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.groups = {
            "61000001": {
                "id": "urn:li:sponsoredCampaignGroup:61000001",
                "name": "Always on",
                "status": "ACTIVE",
                "account": f"urn:li:sponsoredAccount:{self.account_id}",
            },
            "61000002": {
                "id": "urn:li:sponsoredCampaignGroup:61000002",
                "name": "Old",
                "status": "ARCHIVED",
                "account": f"urn:li:sponsoredAccount:{self.account_id}",
            },
        }
        self.campaigns: dict[str, dict[str, Any]] = {}
        self.creatives: dict[str, dict[str, Any]] = {}
        for c in range(self.campaigns_n):
            cid = f"{31000000 + c + 1}"
            self.campaigns[cid] = {
                "id": int(cid),
                "name": f"LI Campaign {c + 1}",
                "account": f"urn:li:sponsoredAccount:{self.account_id}",
                "campaignGroup": "urn:li:sponsoredCampaignGroup:61000001",
                "status": ["ACTIVE", "PAUSED", "ACTIVE", "ARCHIVED"][c % 4],
                "type": "SPONSORED_UPDATES",
                "costType": "CPM",
                "objectiveType": "WEBSITE_CONVERSION",
                "dailyBudget": {"amount": f"{100 + 10 * c:.2f}", "currencyCode": self.currency},
                "unitCost": {"amount": f"{8 + c:.2f}", "currencyCode": self.currency},
                "runSchedule": {"start": 1783900800000},  # 2026-07-13T00:00:00Z
            }
            for k in range(self.creatives_per_campaign):
                crid = f"{41000000 + 100 * c + k + 1}"
                self.creatives[crid] = {
                    "id": f"urn:li:sponsoredCreative:{crid}",
                    "campaign": f"urn:li:sponsoredCampaign:{cid}",
                    "account": f"urn:li:sponsoredAccount:{self.account_id}",
                    "name": f"LI Creative {c + 1}.{k + 1}",
                    "intendedStatus": "ACTIVE",
                    "isServing": True,
                    "content": {
                        "textAd": {
                            "headline": f"Headline {k + 1}",
                            "description": "Try it",
                            "landingPage": f"https://shop.example.com/li/{crid}",
                        }
                    },
                }
        self.valid_tokens = {self.token}

    def serves(self, version: str) -> bool:
        """Whether LinkedIn serves this LinkedIn-Version on `today`."""
        if (
            not re.fullmatch(r"\d{6}", version)
            or not 1 <= int(version[4:]) <= 12
            or version in self.unreleased
        ):
            return False
        year, month = int(version[:4]), int(version[4:])
        return date(year, month, 1) <= self.today < date(year + 1, month, 15)

    # ------------------------------------------------------------------ truth

    def creative_stats(self, crid: str, day: date) -> dict[str, Any]:
        impressions = 100 + int(3000 * _unit(crid, day))
        clicks = int(impressions * (0.003 + 0.01 * _unit("ctr", crid, day)))
        spend = round(impressions * (0.02 + 0.03 * _unit("cpm", crid)), 2)
        conversions = int(clicks * 0.1 * _unit("cvr", crid, day))
        return {
            "impressions": impressions,
            "clicks": clicks,
            "spend": spend,
            "conversions": float(conversions),
            "conversion_value": round(conversions * (50 + 100 * _unit("aov", crid)), 2),
        }

    def days(self, since: date, until: date) -> list[date]:
        start, end = max(since, self.first_day), min(until, self.last_day)
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]

    def truth_ad_daily(self, since: date, until: date) -> pd.DataFrame:
        rows = []
        for d in self.days(since, until):
            for crid, cr in self.creatives.items():
                cid = cr["campaign"].rsplit(":", 1)[-1]
                rows.append(
                    {"date": d, "ad_id": crid, "campaign_id": cid, "ad_group_id": cid, "ad_name": cr["name"]}
                )
                rows[-1].update(self.creative_stats(crid, d))
        return pd.DataFrame(rows)

    def truth_campaign_daily(self, since: date, until: date) -> pd.DataFrame:
        ads = self.truth_ad_daily(since, until)
        out = ads.groupby(["date", "campaign_id"], as_index=False)[
            ["impressions", "clicks", "spend", "conversions", "conversion_value"]
        ].sum()
        out["spend"] = out["spend"].round(2)
        out["conversion_value"] = out["conversion_value"].round(2)
        out["campaign_name"] = out["campaign_id"].map(lambda c: self.campaigns[c]["name"])
        return out

    def fail(self, path: str, kind: str, times: int = 1) -> None:
        self.faults.extend([(path, kind)] * times)

    # ------------------------------------------------------------------ app

    @property
    def app(self) -> Starlette:
        acct = "/rest/adAccounts/{account_id}"
        return Starlette(
            routes=[
                Route(acct, self._account),
                Route(acct + "/adCampaignGroups", self._search("groups")),
                Route(acct + "/adCampaigns", self._campaigns, methods=["GET", "POST"]),
                Route(acct + "/adCampaigns/{campaign_id}", self._campaign_update, methods=["POST"]),
                Route(acct + "/creatives", self._creatives, methods=["GET", "POST"]),
                Route(acct + "/creatives/{creative}", self._creative_update, methods=["POST"]),
                Route("/rest/adAnalytics", self._analytics, methods=["GET", "POST"]),
                Route("/oauth/v2/accessToken", self._token, methods=["POST"]),
            ]
        )

    def _gate(self, request: Request, query: str = "") -> Response | None:
        path = request.url.path
        self.calls.append(
            {
                "method": request.method,
                "path": path,
                "query": query or request.url.query,
                "headers": dict(request.headers),
            }
        )
        where = f"{path}?{query or request.url.query}"
        for i, (needle, kind) in enumerate(self.faults):
            if needle in where:
                del self.faults[i]
                if kind == "429":
                    return JSONResponse(
                        {"status": 429, "message": "Resource level throttle limit reached"},
                        429,
                        {"Retry-After": "3"},
                    )
                if kind == "5xx":
                    return _error(504, "Gateway timeout")
                if kind == "malformed":
                    return PlainTextResponse('{"elements": [{"impre', media_type="application/json")
                if kind == "expired":
                    self.valid_tokens.clear()
                elif kind == "fatal":
                    self.faults.insert(i, (needle, kind))
                    return _error(400, "Invalid query parameters passed to request", "ILLEGAL_ARGUMENT")
                break
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return _error(401, "Empty oauth2 access token", "EMPTY_ACCESS_TOKEN", 65604)
        if auth.removeprefix("Bearer ") not in self.valid_tokens:
            return _error(401, "The token used in the request has expired", "EXPIRED_ACCESS_TOKEN", 65601)
        version = request.headers.get("linkedin-version")
        self.versions_sent.append(version or "")
        if not version:
            return _error(
                400,
                "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
                "VERSION_MISSING",
            )
        if not self.serves(version):
            return _error(426, f"Requested version {version} is not active", "NONEXISTENT_VERSION")
        if request.headers.get("x-restli-protocol-version") != "2.0.0":
            return _error(
                400, "Rest.li 2.0 syntax used without X-Restli-Protocol-Version: 2.0.0", "ILLEGAL_ARGUMENT"
            )
        account = request.path_params.get("account_id")
        if account is not None and account != self.account_id:
            return _error(
                403, f"Not enough permissions to access: adAccounts.GET.20251001 {account}", "ACCESS_DENIED"
            )
        return None

    async def _account(self, request: Request) -> Response:
        if denied := self._gate(request):
            return denied
        return JSONResponse(
            {
                "id": int(self.account_id),
                "name": self.name,
                "currency": self.currency,
                "status": "ACTIVE",
                "type": "BUSINESS",
                "reference": "urn:li:organization:2414183",
                "test": False,
            }
        )

    def _page(self, request: Request, items: list[dict[str, Any]], finder: str, max_size: int) -> Response:
        params = request.query_params
        if params.get("q") != finder:
            return _error(400, f"q: the finder must be '{finder}'", "ILLEGAL_ARGUMENT")
        size = int(params.get("pageSize", 10))
        if not 1 <= size <= max_size:
            return _error(400, f"pageSize must be between 1 and {max_size}", "ILLEGAL_ARGUMENT")
        start = 0
        if token := params.get("pageToken"):
            try:
                start = int(json.loads(token)["offset"])
            except (ValueError, KeyError, TypeError):
                return _error(400, "Invalid pageToken", "ILLEGAL_ARGUMENT")
        body: dict[str, Any] = {
            "elements": items[start : start + size],
            "paging": {"start": 0, "count": size, "links": []},
        }
        if start + size < len(items):
            body["metadata"] = {"nextPageToken": json.dumps({"offset": start + size})}
        else:
            body["metadata"] = {}
        return JSONResponse(body)

    def _search(self, kind: str):  # type: ignore[no-untyped-def]
        async def handler(request: Request) -> Response:
            if denied := self._gate(request):
                return denied
            if kind == "groups":
                return self._page(request, list(self.groups.values()), "search", 1000)
            return self._page(request, list(self.creatives.values()), "criteria", 100)

        return handler

    async def _creatives(self, request: Request) -> Response:
        """GET: the criteria finder. POST: create a creative (campaign, content.reference to a post,
        intendedStatus); 201 with the creative's URN in x-restli-id."""
        if request.method == "GET":
            return await self._search("creatives")(request)
        if denied := self._gate(request):
            return denied
        body = await request.json()
        for name in ("campaign", "content"):
            if name not in body:
                return _error(422, f"/{name} :: field is required but not found and has no default value",
                              "FIELD_VALUE_MISSING")  # fmt: skip
        cid = str(body["campaign"]).rsplit(":", 1)[-1]
        campaign = self.campaigns.get(cid)
        if campaign is None or campaign["status"] in ("ARCHIVED", "CANCELED"):
            return _error(
                400, f"/campaign :: campaign {cid[:20]} is not active, paused or draft", "ILLEGAL_ARGUMENT"
            )
        reference = (body.get("content") or {}).get("reference")
        if not isinstance(reference, str) or not re.fullmatch(r"urn:li:(share|ugcPost):\d+", reference):
            return _error(
                400, "/content/reference :: must be a share or ugcPost URN", "INVALID_VALUE_FOR_FIELD"
            )
        if body.get("intendedStatus", "ACTIVE") not in ("ACTIVE", "PAUSED", "DRAFT"):
            return _error(
                400, "/intendedStatus :: a new creative is ACTIVE, PAUSED or DRAFT", "INVALID_ENUM_VALUE"
            )
        if len(str(body.get("name", ""))) > 255:
            return _error(400, "/name :: length must be at most 255", "ILLEGAL_ARGUMENT")
        crid = str(41009000 + len(self.creatives))
        self.creatives[crid] = {
            "id": f"urn:li:sponsoredCreative:{crid}", "campaign": body["campaign"],
            "account": f"urn:li:sponsoredAccount:{self.account_id}", "name": body.get("name"),
            "intendedStatus": body.get("intendedStatus", "ACTIVE"), "isServing": False, "content": body["content"],
        }  # fmt: skip
        created = quote(f"urn:li:sponsoredCreative:{crid}", safe="")
        return Response(status_code=201, headers={"x-restli-id": created, "x-linkedin-id": created})

    async def _campaigns(self, request: Request) -> Response:
        if denied := self._gate(request):
            return denied
        if request.method == "GET":
            return self._page(request, list(self.campaigns.values()), "search", 1000)
        body = await request.json()
        for name in (
            "account",
            "campaignGroup",
            "name",
            "type",
            "costType",
            "dailyBudget",
            "locale",
            "runSchedule",
            "targetingCriteria",
            "objectiveType",
            "offsiteDeliveryEnabled",
            "politicalIntent",
        ):
            if name not in body:
                return _error(
                    422,
                    f"/{name} :: field is required but not found and has no default value",
                    "FIELD_VALUE_MISSING",
                )
        if body["account"] != f"urn:li:sponsoredAccount:{self.account_id}":
            return _error(400, "account does not match the path", "ILLEGAL_ARGUMENT")
        if body["objectiveType"] not in OBJECTIVE_TYPES:
            return _error(
                400,
                f"/objectiveType :: {str(body['objectiveType'])[:40]} is not a valid enum value",
                "INVALID_ENUM_VALUE",
            )
        if body.get("status", "ACTIVE") not in ("ACTIVE", "PAUSED", "DRAFT"):
            return _error(400, "/status :: a new campaign is ACTIVE, PAUSED or DRAFT", "ILLEGAL_ARGUMENT")
        budget = body["dailyBudget"]
        if not isinstance(budget, dict) or budget.get("currencyCode") != self.currency:
            return _error(400, "dailyBudget: amount must be in the account currency", "ILLEGAL_ARGUMENT")
        try:
            amount = float(budget.get("amount"))
        except (TypeError, ValueError):
            return _error(400, "dailyBudget: amount must be a decimal string", "ILLEGAL_ARGUMENT")
        if amount < 10:
            return _error(400, "dailyBudget must be at least 10.00", "ILLEGAL_ARGUMENT")
        if not isinstance(body["name"], str) or not body["name"].strip() or len(body["name"]) > 255:
            return _error(400, "/name :: length must be 1 to 255", "ILLEGAL_ARGUMENT")
        group = body["campaignGroup"].rsplit(":", 1)[-1]
        if self.groups.get(group, {}).get("status") not in ("ACTIVE", "DRAFT"):
            return _error(400, "campaignGroup must be ACTIVE or DRAFT", "ILLEGAL_ARGUMENT")
        cid = str(31000900 + len(self.campaigns))
        self.campaigns[cid] = {**body, "id": int(cid), "status": body.get("status", "ACTIVE")}
        return Response(status_code=201, headers={"x-restli-id": cid, "x-linkedin-id": cid})

    async def _patch(self, request: Request) -> dict[str, Any] | Response:
        if request.headers.get("x-restli-method") != "PARTIAL_UPDATE":
            return _error(
                400, "X-RestLi-Method: PARTIAL_UPDATE is required for a partial update", "ILLEGAL_ARGUMENT"
            )
        try:
            body = json.loads(await request.body())
            changes = body["patch"]["$set"]
        except (ValueError, KeyError, TypeError):
            return _error(400, 'body must be {"patch": {"$set": {...}}}', "ILLEGAL_ARGUMENT")
        return dict(changes)

    async def _campaign_update(self, request: Request) -> Response:
        if denied := self._gate(request):
            return denied
        changes = await self._patch(request)
        if isinstance(changes, Response):
            return changes
        campaign = self.campaigns.get(request.path_params["campaign_id"])
        if campaign is None:
            return _error(404, "Campaign not found", "NOT_FOUND")
        for key in ("dailyBudget", "unitCost"):
            if key in changes:
                money = changes[key]
                if money.get("currencyCode") != self.currency or float(money.get("amount", 0)) <= 0:
                    return _error(
                        400, f"{key}: amount must be positive in the account currency", "ILLEGAL_ARGUMENT"
                    )
                if key == "dailyBudget" and float(money["amount"]) < 10:
                    return _error(400, "dailyBudget must be at least 10.00", "ILLEGAL_ARGUMENT")
        if "status" in changes and changes["status"] not in (
            "ACTIVE",
            "PAUSED",
            "ARCHIVED",
            "DRAFT",
            "CANCELED",
        ):
            return _error(400, f"status {changes['status']} is not valid", "ILLEGAL_ARGUMENT")
        campaign.update(changes)
        return Response(status_code=204)

    async def _creative_update(self, request: Request) -> Response:
        if denied := self._gate(request):
            return denied
        raw = request.scope.get("raw_path", b"").decode()
        if "%3A" not in raw.rsplit("/", 1)[-1]:
            return _error(400, "the creative URN in the path must be URL-encoded", "ILLEGAL_ARGUMENT")
        changes = await self._patch(request)
        if isinstance(changes, Response):
            return changes
        crid = unquote(request.path_params["creative"]).rsplit(":", 1)[-1]
        creative = self.creatives.get(crid)
        if creative is None:
            return _error(404, "Creative not found", "NOT_FOUND")
        if changes.get("intendedStatus") not in ("ACTIVE", "PAUSED", "ARCHIVED", "CANCELED"):
            return _error(400, "intendedStatus is not valid", "ILLEGAL_ARGUMENT")
        creative.update(changes)
        return Response(status_code=204)

    async def _analytics(self, request: Request) -> Response:
        if request.method == "POST":
            if request.headers.get("x-http-method-override") != "GET":
                return _error(405, "POST to adAnalytics must be a tunnelled GET", "METHOD_NOT_ALLOWED")
            if request.headers.get("content-type", "").split(";")[0] != "application/x-www-form-urlencoded":
                return _error(
                    400, "a tunnelled query is sent as application/x-www-form-urlencoded", "ILLEGAL_ARGUMENT"
                )
            query = (await request.body()).decode()
        else:
            query = request.url.query
            if len(query) > self.max_url:
                return PlainTextResponse("Request-URI Too Long", 414)
        if denied := self._gate(request, query):
            return denied
        params = _raw_params(query)
        if params.get("q") != "analytics":
            return _error(400, "q must be analytics", "ILLEGAL_ARGUMENT")
        pivot = params.get("pivot")
        if pivot not in ("CAMPAIGN", "CREATIVE"):
            return _error(400, f"pivot {pivot} is not supported by this fake", "ILLEGAL_ARGUMENT")
        if params.get("timeGranularity") != "DAILY":
            return _error(400, "timeGranularity must be DAILY here", "ILLEGAL_ARGUMENT")
        match = DATE_RANGE.match(params.get("dateRange", ""))
        if not match:
            return _error(400, "dateRange: invalid Rest.li 2.0 value", "ILLEGAL_ARGUMENT")
        g = [int(x) for x in match.groups()]
        since, until = date(g[0], g[1], g[2]), date(g[3], g[4], g[5])
        accounts = re.fullmatch(r"List\(([^()]*)\)", params.get("accounts", ""))
        if not accounts:
            return _error(400, "accounts: expected List(...) of encoded account URNs", "ILLEGAL_ARGUMENT")
        urns = accounts.group(1).split(",")
        if any(":" in u for u in urns):  # raw colons inside List(...) break Rest.li 2.0 parsing
            return _error(400, "accounts: URNs inside List() must be URL-encoded", "ILLEGAL_ARGUMENT")
        if [unquote(u) for u in urns] != [f"urn:li:sponsoredAccount:{self.account_id}"]:
            return _error(403, "Not enough permissions to access these accounts", "ACCESS_DENIED")
        fields = params.get("fields", "").split(",")
        if len(fields) > 20:
            return _error(400, f"Maximum number of fields is 20, requested {len(fields)}", "ILLEGAL_ARGUMENT")
        if unknown := set(fields) - ANALYTICS_FIELDS:
            return _error(400, f"Unknown fields {sorted(unknown)}", "ILLEGAL_ARGUMENT")
        elements = []
        for d in self.days(since, until):
            groups: dict[str, dict[str, float]] = {}
            for crid, cr in self.creatives.items():
                key = crid if pivot == "CREATIVE" else cr["campaign"].rsplit(":", 1)[-1]
                acc = groups.setdefault(key, dict.fromkeys(self.creative_stats(crid, d), 0.0))
                for k, v in self.creative_stats(crid, d).items():
                    acc[k] += v
            for key, s in groups.items():
                kind = "sponsoredCreative" if pivot == "CREATIVE" else "sponsoredCampaign"
                full = {
                    "dateRange": {
                        "start": {"year": d.year, "month": d.month, "day": d.day},
                        "end": {"year": d.year, "month": d.month, "day": d.day},
                    },
                    "pivotValues": [f"urn:li:{kind}:{key}"],
                    "impressions": int(s["impressions"]),
                    "clicks": int(s["clicks"]),
                    "costInLocalCurrency": f"{s['spend']:.2f}",
                    "externalWebsiteConversions": int(s["conversions"]),
                    "conversionValueInLocalCurrency": f"{s['conversion_value']:.2f}",
                    "oneClickLeads": 0,
                    "landingPageClicks": int(s["clicks"]),
                }
                elements.append({f: full[f] for f in fields})
        if len(elements) > self.max_elements:
            return _error(
                400,
                f"Request would return {len(elements)} elements, more than {self.max_elements}",
                "ILLEGAL_ARGUMENT",
            )
        return JSONResponse({"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Client authentication failed"}, 401
            )
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "error_description": "The provided authorization grant is invalid",
                },
                400,
            )
        self.refreshes += 1
        self.token = f"li-access-{self.refreshes + 1}"
        self.refresh_token = f"li-refresh-{self.refreshes + 1}"
        self.valid_tokens = {self.token}
        return JSONResponse(
            {
                "access_token": self.token,
                "expires_in": 5184000,
                "refresh_token": self.refresh_token,
                "refresh_token_expires_in": 31536000,
            }
        )


def _raw_params(query: str) -> dict[str, str]:
    """Split a query string without decoding values (Rest.li 2.0 values keep their inner encoding)."""
    out = {}
    for part in query.split("&"):
        key, _, value = part.partition("=")
        out[unquote(key)] = value
    return out
