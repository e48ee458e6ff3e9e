"""A fake TikTok API for Business v1.3 that checks requests the way the real one does.

State: one advertiser, campaigns -> ad groups -> ads, and deterministic daily stats per ad (campaign
rows are the sums), so a test knows the true numbers. Answers use the `{code, message, request_id,
data}` envelope with HTTP 200 for API errors, as TikTok does. Faults are queued with `fail(path,
kind)`: "rate_limit" (code 40100), "http429" (HTTP 429 + Retry-After), "5xx" (HTTP 503),
"malformed" (a broken JSON body), "expired" (the token stops working until refreshed),
"fatal" (a permanent code 40002 on that endpoint).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

API = "/open_api/v1.3"
BASE_METRICS = {"spend", "impressions", "clicks", "conversion", "total_complete_payment_rate", "reach"}
LEVEL_ID = {"AUCTION_CAMPAIGN": "campaign_id", "AUCTION_ADGROUP": "adgroup_id", "AUCTION_AD": "ad_id"}
LEVEL_ATTRS = {
    "AUCTION_CAMPAIGN": {"campaign_name"},
    "AUCTION_AD": {"campaign_name", "campaign_id", "adgroup_id", "adgroup_name", "ad_name"},
}


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


#: campaign/create's fields (Marketing API v1.3); anything else is refused
CAMPAIGN_CREATE_FIELDS = {
    "advertiser_id",
    "campaign_name",
    "objective_type",
    "budget_mode",
    "budget",
    "operation_status",
    "campaign_type",
    "special_industries",
    "budget_optimize_on",
    "app_promotion_type",
    "request_id",
}
#: objective_type values (v1.3, CONVERSIONS kept for campaigns made before the switch)
OBJECTIVE_TYPES = {
    "REACH",
    "RF_REACH",
    "TRAFFIC",
    "VIDEO_VIEWS",
    "ENGAGEMENT",
    "APP_PROMOTION",
    "LEAD_GENERATION",
    "WEB_CONVERSIONS",
    "PRODUCT_SALES",
    "CONVERSIONS",
}


@dataclass
class FakeTikTok:
    advertiser_id: str = "7100000000000000001"
    name: str = "Acme TikTok"
    currency: str = "USD"
    timezone: str = "America/New_York"
    campaigns_n: int = 3
    adgroups_per_campaign: int = 2
    ads_per_adgroup: int = 2
    first_day: date = date(2026, 8, 1)
    last_day: date = date(2026, 11, 24)
    token: str = "tt-access-1"
    app_id: str = "tt-app"
    secret: str = "tt-secret"
    refresh_token: str = "tt-refresh-1"
    #: days a report may cover before the fake answers 40067 (the real limit for stat_time_day is 30)
    max_report_days: int = 30
    faults: list[tuple[str, str]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refreshes: int = 0

    def __post_init__(self) -> None:
        self.campaigns: dict[str, dict[str, Any]] = {}
        self.adgroups: dict[str, dict[str, Any]] = {}
        self.ads: dict[str, dict[str, Any]] = {}
        for c in range(self.campaigns_n):
            cid = f"17{c + 1:017d}"
            self.campaigns[cid] = {
                "campaign_id": cid,
                "campaign_name": f"TT Campaign {c + 1}",
                "objective_type": "CONVERSIONS" if c % 2 == 0 else "TRAFFIC",
                "budget": f"{50 + 25 * c:.2f}" if c != 2 else "0.00",
                "budget_mode": "BUDGET_MODE_DAY" if c != 2 else "BUDGET_MODE_INFINITE",
                "operation_status": "ENABLE" if c != 1 else "DISABLE",
                "secondary_status": "CAMPAIGN_STATUS_ENABLE" if c != 1 else "CAMPAIGN_STATUS_DISABLE",
                "create_time": "2026-07-15 08:30:00",
            }
            for g in range(self.adgroups_per_campaign):
                gid = f"18{c + 1:08d}{g + 1:09d}"
                self.adgroups[gid] = {
                    "adgroup_id": gid,
                    "adgroup_name": f"TT Ad group {c + 1}.{g + 1}",
                    "campaign_id": cid,
                    "budget": "0.00",
                    "budget_mode": "BUDGET_MODE_INFINITE",
                    "bid_type": "BID_TYPE_CUSTOM",
                    "bid_price": f"{1.5 + g:.2f}",
                    "operation_status": "ENABLE",
                    "secondary_status": "ADGROUP_STATUS_DELIVERY_OK",
                }
                for a in range(self.ads_per_adgroup):
                    aid = f"19{c + 1:06d}{g + 1:05d}{a + 1:06d}"
                    self.ads[aid] = {
                        "ad_id": aid,
                        "ad_name": f"TT Ad {c + 1}.{g + 1}.{a + 1}",
                        "adgroup_id": gid,
                        "adgroup_name": self.adgroups[gid]["adgroup_name"],
                        "campaign_id": cid,
                        "ad_format": "SINGLE_VIDEO",
                        "ad_text": f"Hook number {a + 1}",
                        "landing_page_url": f"https://shop.example.com/tt/{aid}",
                        "operation_status": "ENABLE",
                        "secondary_status": "AD_STATUS_DELIVERY_OK",
                    }
        self.valid_tokens = {self.token}

    # ------------------------------------------------------------------ truth

    def ad_stats(self, ad_id: str, day: date) -> dict[str, Any]:
        """The true numbers of one ad on one day (in the advertiser's currency and time zone)."""
        u = _unit(ad_id, day)
        impressions = 200 + int(5000 * u)
        clicks = int(impressions * (0.005 + 0.02 * _unit("ctr", ad_id, day)))
        spend = round(impressions * (0.004 + 0.006 * _unit("cpm", ad_id)), 2)
        conversions = int(clicks * 0.08 * _unit("cvr", ad_id, day))
        value = round(conversions * (20 + 30 * _unit("aov", ad_id)), 2)
        return {
            # unique users that day: a daily frequency of 1.2-2.4
            "reach": int(impressions / (1.2 + 1.2 * _unit("freq", ad_id, day))),
            "impressions": impressions,
            "clicks": clicks,
            "spend": spend,
            "conversions": float(conversions),
            "conversion_value": value,
        }

    def days(self, since: date, until: date) -> list[date]:
        start, end = max(since, self.first_day), min(until, self.last_day)
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]

    def truth_ad_daily(self, since: date, until: date) -> pd.DataFrame:
        rows = [
            {"date": d, "ad_id": aid, "campaign_id": ad["campaign_id"], "ad_group_id": ad["adgroup_id"]}
            | {"ad_name": ad["ad_name"]}
            | self.ad_stats(aid, d)
            for d in self.days(since, until)
            for aid, ad in self.ads.items()
        ]
        return pd.DataFrame(rows)

    def truth_campaign_daily(self, since: date, until: date) -> pd.DataFrame:
        ads = self.truth_ad_daily(since, until)
        out = ads.groupby(["date", "campaign_id"], as_index=False)[
            ["impressions", "clicks", "spend", "conversions", "conversion_value"]
        ].sum()  # reach is not summed: a campaign's is deduplicated
        out["spend"] = out["spend"].round(2)
        out["conversion_value"] = out["conversion_value"].round(2)
        out["campaign_name"] = out["campaign_id"].map(lambda c: self.campaigns[c]["campaign_name"])
        return out

    def fail(self, path: str, kind: str, times: int = 1) -> None:
        """Queue a fault for the next `times` requests whose path and query contain `path`."""
        self.faults.extend([(path, kind)] * times)

    def expire(self) -> None:
        """The current access token stops working (a refresh brings a new one)."""
        self.valid_tokens.clear()

    # ------------------------------------------------------------------ app

    @property
    def app(self) -> Starlette:
        routes = [
            Route(f"{API}/advertiser/info/", self._advertiser_info),
            Route(f"{API}/campaign/get/", self._list("campaign", CAMPAIGN_KEYS)),
            Route(f"{API}/adgroup/get/", self._list("adgroup", ADGROUP_KEYS)),
            Route(f"{API}/ad/get/", self._list("ad", AD_KEYS)),
            Route(f"{API}/report/integrated/get/", self._report),
            Route(f"{API}/campaign/update/", self._campaign_update, methods=["POST"]),
            Route(f"{API}/adgroup/update/", self._adgroup_update, methods=["POST"]),
            Route(f"{API}/campaign/status/update/", self._status("campaign"), methods=["POST"]),
            Route(f"{API}/adgroup/status/update/", self._status("adgroup"), methods=["POST"]),
            Route(f"{API}/ad/status/update/", self._status("ad"), methods=["POST"]),
            Route(f"{API}/campaign/create/", self._campaign_create, methods=["POST"]),
            Route(f"{API}/adgroup/create/", self._adgroup_create, methods=["POST"]),
            Route(f"{API}/ad/create/", self._ad_create, methods=["POST"]),
            Route(f"{API}/oauth2/refresh_token/", self._refresh, methods=["POST"]),
        ]
        return Starlette(routes=routes)

    # ------------------------------------------------------------------ plumbing

    def _gate(self, request: Request, params: dict[str, Any]) -> Response | None:
        """Faults, then the Access-Token and advertiser checks; None when the request may proceed."""
        path = request.url.path
        self.calls.append((path, params))
        where = f"{path}?{request.url.query}"
        for i, (needle, kind) in enumerate(self.faults):
            if needle in where:
                del self.faults[i]
                if kind == "rate_limit":
                    return _envelope(40100, "Requests made too frequently. Please try again later.")
                if kind == "http429":
                    return JSONResponse({"message": "Too many requests"}, 429, {"Retry-After": "2"})
                if kind == "5xx":
                    return JSONResponse({"code": 50000, "message": "System error"}, 503)
                if kind == "malformed":
                    return PlainTextResponse('{"code": 0, "data": {"list": [', media_type="application/json")
                if kind == "expired":
                    self.expire()
                elif kind == "fatal":
                    self.faults.insert(i, (needle, kind))
                    return _envelope(40002, "Invalid parameters: the request cannot be served")
                break
        token = request.headers.get("access-token")
        if not token:
            return _envelope(40104, "Access token is null, please check.")
        if token not in self.valid_tokens:
            return _envelope(40105, "Access token is incorrect or has been revoked.")
        if "authorization" in request.headers:
            return _envelope(40002, "Use the Access-Token header, not Authorization")
        if "advertiser_id" in params and str(params["advertiser_id"]) != self.advertiser_id:
            return _envelope(40001, "No permission to operate advertiser")
        return None

    async def _body(self, request: Request) -> dict[str, Any] | Response:
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            return _envelope(40002, "Content-Type must be application/json")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _envelope(40002, "Request body is not valid JSON")
        return body if isinstance(body, dict) else _envelope(40002, "body must be an object")

    async def _advertiser_info(self, request: Request) -> Response:
        params = dict(request.query_params)
        if denied := self._gate(request, params):
            return denied
        try:
            ids = json.loads(params["advertiser_ids"])
            fields = json.loads(params.get("fields", "[]"))
        except (KeyError, ValueError):
            return _envelope(40002, "advertiser_ids: a JSON array of advertiser ids is required")
        if self.advertiser_id not in ids:
            return _envelope(40001, "No permission to operate advertiser")
        full = {
            "advertiser_id": self.advertiser_id,
            "name": self.name,
            "currency": self.currency,
            "timezone": "Etc/GMT+5",
            "display_timezone": self.timezone,
            "status": "STATUS_ENABLE",
        }
        item = {k: v for k, v in full.items() if not fields or k in fields}
        return _envelope(0, "OK", {"list": [item]})

    def _list(self, kind: str, keys: set[str]):  # type: ignore[no-untyped-def]
        async def handler(request: Request) -> Response:
            params = dict(request.query_params)
            if denied := self._gate(request, params):
                return denied
            if "advertiser_id" not in params:
                return _envelope(40002, "advertiser_id: Missing data for required field.")
            try:
                fields = json.loads(params.get("fields", "[]"))
                page, size = int(params.get("page", 1)), int(params.get("page_size", 10))
            except ValueError:
                return _envelope(40002, "fields must be a JSON array; page and page_size integers")
            if unknown := set(fields) - keys:
                return _envelope(40002, f"fields: unknown field(s) {sorted(unknown)}")
            if not 1 <= size <= 1000 or page < 1:
                return _envelope(40002, "page_size: must be between 1 and 1000")
            items = list(getattr(self, f"{kind}s" if kind != "adgroup" else "adgroups").values())
            shown = [{k: v for k, v in i.items() if not fields or k in fields} for i in items]
            return _envelope(0, "OK", _page(shown, page, size))

        return handler

    async def _report(self, request: Request) -> Response:
        params = dict(request.query_params)
        if denied := self._gate(request, params):
            return denied
        for name in ("advertiser_id", "report_type", "data_level", "dimensions", "metrics"):
            if name not in params:
                return _envelope(40002, f"{name}: Missing data for required field.")
        if params["report_type"] != "BASIC" or params.get("service_type", "AUCTION") != "AUCTION":
            return _envelope(40002, "report_type / service_type not supported by this fake")
        level = params["data_level"]
        if level not in LEVEL_ATTRS:
            return _envelope(40002, f"data_level: invalid value {level}")
        try:
            dims = json.loads(params["dimensions"])
            metrics = json.loads(params["metrics"])
            since = date.fromisoformat(params["start_date"])
            until = date.fromisoformat(params["end_date"])
            page, size = int(params.get("page", 1)), int(params.get("page_size", 10))
        except (KeyError, ValueError):
            return _envelope(40002, "dimensions/metrics must be JSON arrays; start_date/end_date YYYY-MM-DD")
        if sorted(dims) != sorted([LEVEL_ID[level], "stat_time_day"]):
            return _envelope(40002, f"dimensions: {dims} is not valid for {level}")
        if unknown := set(metrics) - BASE_METRICS - LEVEL_ATTRS[level]:
            return _envelope(40002, f"metrics: {sorted(unknown)} not valid at {level}")
        if not 1 <= size <= 1000 or page < 1:
            return _envelope(40002, "page_size: must be between 1 and 1000")
        span = (until - since).days + 1
        if span < 1:
            return _envelope(40002, "end_date must not be before start_date")
        if span > 30:
            return _envelope(40002, "The time span of stat_time_day reports cannot exceed 30 days")
        if span > self.max_report_days:
            return _envelope(QUERY_TOO_LARGE, "Query too large: narrow the date range or the filtering")
        rows = []
        for d in self.days(since, until):
            for aid, ad in self.ads.items():
                rows.append((d, aid, ad, self.ad_stats(aid, d)))
        items: list[dict[str, Any]] = []
        if level == "AUCTION_AD":
            for d, aid, ad, s in rows:
                attrs = {
                    "ad_name": ad["ad_name"],
                    "adgroup_id": ad["adgroup_id"],
                    "adgroup_name": ad["adgroup_name"],
                    "campaign_id": ad["campaign_id"],
                    "campaign_name": self.campaigns[ad["campaign_id"]]["campaign_name"],
                }
                items.append(_row({"ad_id": aid}, d, s, attrs, metrics))
        else:
            sums: dict[tuple[date, str], dict[str, float]] = {}
            for d, _aid, ad, s in rows:
                acc = sums.setdefault((d, ad["campaign_id"]), dict.fromkeys(s, 0.0))
                for k, v in s.items():  # a campaign's reach is deduplicated: its largest ad's at least
                    acc[k] = max(acc[k], v) if k == "reach" else acc[k] + v
            for (d, cid), s in sums.items():
                attrs = {"campaign_name": self.campaigns[cid]["campaign_name"]}
                items.append(_row({"campaign_id": cid}, d, s, attrs, metrics))
        return _envelope(0, "OK", _page(items, page, size))

    async def _campaign_update(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        if denied := self._gate(request, body):
            return denied
        campaign = self.campaigns.get(str(body.get("campaign_id")))
        if campaign is None:
            return _envelope(40002, "campaign_id: campaign does not exist")
        if "budget" in body:
            if not isinstance(body["budget"], int | float) or body["budget"] < 20:
                return _envelope(40002, "budget: the daily budget must be at least 20")
            campaign["budget"] = f"{float(body['budget']):.2f}"
        if "campaign_name" in body:
            campaign["campaign_name"] = str(body["campaign_name"])
        return _envelope(0, "OK", {"campaign_id": campaign["campaign_id"]})

    async def _adgroup_update(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        if denied := self._gate(request, body):
            return denied
        group = self.adgroups.get(str(body.get("adgroup_id")))
        if group is None:
            return _envelope(40002, "adgroup_id: ad group does not exist")
        if "bid_price" in body:
            if not isinstance(body["bid_price"], int | float) or body["bid_price"] <= 0:
                return _envelope(40002, "bid_price: must be a positive number")
            group["bid_price"] = f"{float(body['bid_price']):.2f}"
        return _envelope(0, "OK", {"adgroup_id": group["adgroup_id"]})

    def _status(self, kind: str):  # type: ignore[no-untyped-def]
        async def handler(request: Request) -> Response:
            body = await self._body(request)
            if isinstance(body, Response):
                return body
            if denied := self._gate(request, body):
                return denied
            store = {"campaign": self.campaigns, "adgroup": self.adgroups, "ad": self.ads}[kind]
            ids = body.get(f"{kind}_ids")
            if not isinstance(ids, list) or not ids or len(ids) > 100:
                return _envelope(40002, f"{kind}_ids: a list of 1 to 100 ids is required")
            status = body.get("operation_status")
            if status not in ("ENABLE", "DISABLE", "DELETE"):
                return _envelope(40002, "operation_status: must be ENABLE, DISABLE or DELETE")
            if missing := [i for i in ids if i not in store]:
                return _envelope(40002, f"{kind}_ids: {missing} do not exist")
            for i in ids:
                store[i]["operation_status"] = status
                store[i]["secondary_status"] = f"{kind.upper()}_STATUS_{status}"
            return _envelope(0, "OK", {f"{kind}_ids": ids})

        return handler

    async def _campaign_create(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        if denied := self._gate(request, body):
            return denied
        for name in ("advertiser_id", "campaign_name", "objective_type", "budget_mode"):
            if not body.get(name):
                return _envelope(40002, f"{name}: Missing data for required field.")
        if unknown := sorted(set(body) - CAMPAIGN_CREATE_FIELDS):
            return _envelope(40002, f"{unknown[0]}: Unknown field.")
        if body["objective_type"] not in OBJECTIVE_TYPES:
            return _envelope(40002, f"objective_type: Must be one of: {', '.join(sorted(OBJECTIVE_TYPES))}.")
        if body["budget_mode"] not in ("BUDGET_MODE_DAY", "BUDGET_MODE_TOTAL", "BUDGET_MODE_INFINITE"):
            return _envelope(
                40002,
                "budget_mode: Must be one of: BUDGET_MODE_DAY, BUDGET_MODE_TOTAL, BUDGET_MODE_INFINITE.",
            )
        if body.get("operation_status", "ENABLE") not in ("ENABLE", "DISABLE"):
            return _envelope(40002, "operation_status: Must be one of: ENABLE, DISABLE.")
        if not isinstance(body["campaign_name"], str) or len(body["campaign_name"]) > 512:
            return _envelope(40002, "campaign_name: Length must be between 1 and 512.")
        budget = body.get("budget")
        if body["budget_mode"] == "BUDGET_MODE_DAY" and (
            isinstance(budget, bool) or not isinstance(budget, int | float) or budget < 50
        ):
            return _envelope(40002, "budget: The daily budget of a campaign must be at least 50.")
        cid = f"17{len(self.campaigns) + 900:017d}"
        self.campaigns[cid] = {
            "campaign_id": cid,
            "campaign_name": body["campaign_name"],
            "objective_type": body["objective_type"],
            "budget": f"{float(body.get('budget') or 0):.2f}",
            "budget_mode": body["budget_mode"],
            "operation_status": body.get("operation_status", "ENABLE"),
            "secondary_status": f"CAMPAIGN_STATUS_{body.get('operation_status', 'ENABLE')}",
            "create_time": "2026-11-24 09:00:00",
        }
        return _envelope(0, "OK", {"campaign_id": cid})

    async def _adgroup_create(self, request: Request) -> Response:
        """adgroup/create (v1.3): the required fields, their enums, location ids, a daily budget of at
        least 20, a bid when the bid type is custom; the campaign must exist and not be deleted."""
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        if denied := self._gate(request, body):
            return denied
        required = ("campaign_id", "adgroup_name", "placement_type", "location_ids", "budget_mode",
                    "schedule_type", "optimization_goal", "billing_event", "bid_type")  # fmt: skip
        for name in required:
            if not body.get(name):
                return _envelope(40002, f"{name}: Missing data for required field.")
        if unknown := sorted(set(body) - ADGROUP_CREATE_FIELDS):
            return _envelope(40002, f"{unknown[0]}: Unknown field.")
        campaign = self.campaigns.get(str(body["campaign_id"]))
        if campaign is None or campaign["operation_status"] == "DELETE":
            return _envelope(40002, "campaign_id: campaign does not exist")
        if not isinstance(body["adgroup_name"], str) or len(body["adgroup_name"]) > 512:
            return _envelope(40002, "adgroup_name: Length must be between 1 and 512.")
        checks = {"placement_type": {"PLACEMENT_TYPE_AUTOMATIC", "PLACEMENT_TYPE_NORMAL"},
                  "budget_mode": {"BUDGET_MODE_DAY", "BUDGET_MODE_TOTAL", "BUDGET_MODE_INFINITE"},
                  "schedule_type": {"SCHEDULE_FROM_NOW", "SCHEDULE_START_END"},
                  "optimization_goal": {"CLICK", "REACH", "CONVERT", "SHOW", "ENGAGED_VIEW", "LEAD_GENERATION",
                                        "INSTALL", "VALUE"},
                  "billing_event": {"CPC", "CPM", "OCPM", "CPV"},
                  "bid_type": {"BID_TYPE_NO_BID", "BID_TYPE_CUSTOM"}}  # fmt: skip
        for name, allowed in checks.items():
            if body[name] not in allowed:
                return _envelope(40002, f"{name}: Must be one of: {', '.join(sorted(allowed))}.")
        locations = body["location_ids"]
        if not isinstance(locations, list) or not all(str(x).isdigit() for x in locations):
            return _envelope(40002, "location_ids: Must be a list of location ids.")
        budget = body.get("budget")
        if body["budget_mode"] == "BUDGET_MODE_DAY" and (
            isinstance(budget, bool) or not isinstance(budget, int | float) or budget < 20
        ):
            return _envelope(40002, "budget: The daily budget of an ad group must be at least 20.")
        if body["bid_type"] == "BID_TYPE_CUSTOM" and not body.get("bid_price"):
            return _envelope(40002, "bid_price: Missing data for required field.")
        gid = f"18{len(self.adgroups) + 900:017d}"
        self.adgroups[gid] = {
            "adgroup_id": gid, "adgroup_name": body["adgroup_name"], "campaign_id": str(body["campaign_id"]),
            "budget": f"{float(budget or 0):.2f}", "budget_mode": body["budget_mode"], "bid_type": body["bid_type"],
            "bid_price": f"{float(body.get('bid_price') or 0):.2f}",
            "operation_status": body.get("operation_status", "ENABLE"),
            "secondary_status": f"ADGROUP_STATUS_{body.get('operation_status', 'ENABLE')}",
        }  # fmt: skip
        return _envelope(0, "OK", {"adgroup_id": gid})

    async def _ad_create(self, request: Request) -> Response:
        """ad/create (v1.3): creatives with ad_name, identity, ad_format, a video for a single-video
        ad, ad_text of 1-100 characters and a landing page."""
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        if denied := self._gate(request, body):
            return denied
        group = self.adgroups.get(str(body.get("adgroup_id") or ""))
        if group is None or group["operation_status"] == "DELETE":
            return _envelope(40002, "adgroup_id: ad group does not exist")
        creatives = body.get("creatives")
        if not isinstance(creatives, list) or not creatives:
            return _envelope(40002, "creatives: Missing data for required field.")
        made = []
        for c in creatives:
            for name in ("ad_name", "identity_type", "identity_id", "ad_format", "ad_text"):
                if not c.get(name):
                    return _envelope(40002, f"creatives.{name}: Missing data for required field.")
            if c["identity_type"] not in ("CUSTOMIZED_USER", "AUTH_CODE", "TT_USER", "BC_AUTH_TT"):
                return _envelope(40002, "creatives.identity_type: Must be one of: AUTH_CODE, BC_AUTH_TT, "
                                        "CUSTOMIZED_USER, TT_USER.")  # fmt: skip
            if c["ad_format"] == "SINGLE_VIDEO" and not c.get("video_id"):
                return _envelope(40002, "creatives.video_id: Missing data for required field.")
            if not 1 <= len(str(c["ad_text"])) <= 100:
                return _envelope(40002, "creatives.ad_text: Length must be between 1 and 100.")
            if not str(c.get("landing_page_url", "")).startswith(("http://", "https://")):
                return _envelope(40002, "creatives.landing_page_url: Not a valid URL.")
            aid = f"19{len(self.ads) + 900:017d}"
            self.ads[aid] = {
                "ad_id": aid, "ad_name": c["ad_name"], "adgroup_id": group["adgroup_id"],
                "adgroup_name": group["adgroup_name"], "campaign_id": group["campaign_id"],
                "ad_format": c["ad_format"], "ad_text": c["ad_text"], "landing_page_url": c["landing_page_url"],
                "operation_status": c.get("operation_status", "ENABLE"),
                "secondary_status": f"AD_STATUS_{c.get('operation_status', 'ENABLE')}",
            }  # fmt: skip
            made.append(aid)
        return _envelope(0, "OK", {"ad_ids": made})

    async def _refresh(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        if (body.get("app_id"), body.get("secret")) != (self.app_id, self.secret):
            return _envelope(40101, "Invalid app_id or secret")
        if body.get("grant_type") != "refresh_token" or body.get("refresh_token") != self.refresh_token:
            return _envelope(40107, "refresh_token is invalid or expired")
        self.refreshes += 1
        self.token = f"tt-access-{self.refreshes + 1}"
        self.refresh_token = f"tt-refresh-{self.refreshes + 1}"
        self.valid_tokens = {self.token}
        return _envelope(
            0,
            "OK",
            {
                "access_token": self.token,
                "refresh_token": self.refresh_token,
                "access_token_expire_in": 86400,
                "refresh_token_expire_in": 31536000,
            },
        )


CAMPAIGN_KEYS = {
    "campaign_id",
    "campaign_name",
    "objective_type",
    "budget",
    "budget_mode",
    "operation_status",
    "secondary_status",
    "create_time",
}
#: adgroup/create's fields the fake knows (Marketing API v1.3, in part); anything else is refused
ADGROUP_CREATE_FIELDS = {
    "advertiser_id", "campaign_id", "adgroup_name", "placement_type", "placements", "location_ids",
    "budget_mode", "budget", "schedule_type", "schedule_start_time", "schedule_end_time", "optimization_goal",
    "billing_event", "bid_type", "bid_price", "operation_status", "pacing", "request_id",
}  # fmt: skip
ADGROUP_KEYS = {
    "adgroup_id",
    "adgroup_name",
    "campaign_id",
    "budget",
    "budget_mode",
    "bid_type",
    "bid_price",
    "operation_status",
    "secondary_status",
}
AD_KEYS = {
    "ad_id",
    "ad_name",
    "adgroup_id",
    "adgroup_name",
    "campaign_id",
    "ad_format",
    "ad_text",
    "landing_page_url",
    "operation_status",
    "secondary_status",
}
QUERY_TOO_LARGE = 40067
_request_ids = iter(range(10**9))


def _envelope(code: int, message: str, data: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "request_id": f"2026112409{next(_request_ids):012d}",
            "data": data or {},
        }
    )


def _page(items: list[dict[str, Any]], page: int, size: int) -> dict[str, Any]:
    total_page = max(1, -(-len(items) // size))
    return {
        "list": items[(page - 1) * size : page * size],
        "page_info": {"page": page, "page_size": size, "total_number": len(items), "total_page": total_page},
    }


def _row(
    dims: dict[str, str], day: date, s: dict[str, float], attrs: dict[str, str], metrics: list[str]
) -> dict:
    """A report row as TikTok sends it: every metric value a string."""
    values = {
        "spend": f"{s['spend']:.2f}",
        "impressions": str(int(s["impressions"])),
        "clicks": str(int(s["clicks"])),
        "conversion": str(int(s["conversions"])),
        "total_complete_payment_rate": f"{s['conversion_value']:.2f}",
        "reach": str(int(s["reach"])),
        **attrs,
    }
    return {
        "dimensions": {**dims, "stat_time_day": f"{day.isoformat()} 00:00:00"},
        "metrics": {m: values[m] for m in metrics},
    }
