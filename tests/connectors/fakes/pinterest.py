"""A fake Pinterest API v5 for the Pinterest connector's tests.

One ad account with campaigns, ad groups and ads, and deterministic daily stats per ad (campaign
rows are sums of their ads). It checks requests like Pinterest: `/v5` paths, a bearer token,
`bookmark` cursors it issued and `page_size` <= 250, analytics `start_date`/`end_date` within 90
days back and 90 days long, `granularity`, known `columns`, at most 250 ids; async reports as JSON
bodies only, within 914 days back and 186 days long. It answers with `{"items", "bookmark"}`
pages, analytics lists of `{"DATE", "<LEVEL>_ID", metrics...}`, reports that are IN_PROGRESS on
the first poll then FINISHED with a download URL, `{"code", "message"}` errors, and bulk
`{"items": [{"data", "exceptions"}]}` writes. OAuth2 refresh with HTTP Basic client auth rotates
the refresh token.

Report levels are Pinterest's documented ones (`MetricsReportingLevel` of the v5 reference: ADVERTISER,
CAMPAIGN, AD_GROUP, PIN_PROMOTION, KEYWORD, PRODUCT_*, the *_TARGETING ones); anything else, "AD"
included, gets the reference's 400 for this endpoint, `{"code": 400, "message": "Invalid ad account
ads analytics parameters."}`. The fake builds CAMPAIGN and PIN_PROMOTION (ad) reports; a PIN_PROMOTION
row is keyed by PIN_PROMOTION_ID and carries AD_ID, AD_GROUP_ID and CAMPAIGN_ID when asked for.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

ACCOUNT = "549755885175"
TODAY = date(2026, 11, 24)
FIRST_DAY = date(2026, 3, 1)
MICRO = 1_000_000
#: MetricsReportingLevel, Pinterest API v5 (github.com/pinterest/api-description, v5/openapi.yaml)
REPORT_LEVELS = {
    "ADVERTISER", "ADVERTISER_TARGETING", "CAMPAIGN", "CAMPAIGN_TARGETING", "AD_GROUP",
    "AD_GROUP_TARGETING", "PIN_PROMOTION", "PIN_PROMOTION_TARGETING", "KEYWORD", "PRODUCT_GROUP",
    "PRODUCT_GROUP_TARGETING", "PRODUCT_ITEM", "PRODUCT_ITEM_TARGETING",
}  # fmt: skip
#: the id column of each level the fake builds ("AD": the synchronous /ads/analytics rows)
ID_COLUMN = {"CAMPAIGN": "CAMPAIGN_ID", "AD": "AD_ID", "PIN_PROMOTION": "PIN_PROMOTION_ID"}
COLUMNS = {
    "CAMPAIGN_ID",
    "AD_GROUP_ID",
    "AD_ID",
    "PIN_PROMOTION_ID",
    "PAID_IMPRESSION",
    "CLICKTHROUGH_1",
    "SPEND_IN_MICRO_DOLLAR",
    "TOTAL_CHECKOUT",
    "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR",
    "TOTAL_LEAD",
    "TOTAL_CONVERSIONS",
}


@dataclass
class Fault:
    """One injected failure on the next request whose path ends with `match`."""

    kind: str  # http_429 | server_error | malformed | permanent | forbidden
    match: str = ""
    times: int = 1
    skip: int = 0


@dataclass
class PinterestState:
    token: str = "pin-access-1"
    refresh_token: str = "pin-refresh-1"
    client_id: str = "1500000"
    client_secret: str = "pin-app-secret"
    currency: str = "EUR"
    page_size_cap: int = 3  # small pages so paging is exercised
    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    ad_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    ads: dict[str, dict[str, Any]] = field(default_factory=dict)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    expired_tokens: set[str] = field(default_factory=set)
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    refreshes: int = 0

    def __post_init__(self) -> None:
        if not self.campaigns:
            for c in range(3):
                cid = f"62677583{c + 1:04d}"
                self.campaigns[cid] = {
                    "id": cid,
                    "ad_account_id": ACCOUNT,
                    "name": f"Pin campaign {c + 1}",
                    "status": ["ACTIVE", "PAUSED", "ARCHIVED"][c],
                    "objective_type": ["WEB_CONVERSION", "CONSIDERATION", "AWARENESS"][c],
                    "daily_spend_cap": 40 * MICRO * (c + 1) if c != 2 else None,
                    "lifetime_spend_cap": None,
                    "is_campaign_budget_optimization": c == 0,
                    "start_time": 1775000000,
                    "type": "campaign",
                }
                for g in range(2):
                    gid = f"2680{c + 1}{g + 1}0000"
                    self.ad_groups[gid] = {
                        "id": gid,
                        "ad_account_id": ACCOUNT,
                        "campaign_id": cid,
                        "name": f"Ad group {c + 1}.{g + 1}",
                        "status": "ACTIVE",
                        "budget_in_micro_currency": None,
                        "bid_in_micro_currency": 1_250_000 + 100_000 * g if c != 1 else None,
                        "type": "adgroup",
                    }
                    for a in range(2):
                        aid = f"6877{c + 1}{g + 1}{a + 1}000"
                        self.ads[aid] = {
                            "id": aid,
                            "ad_account_id": ACCOUNT,
                            "ad_group_id": gid,
                            "campaign_id": cid,
                            "name": f"Pin ad {c + 1}.{g + 1}.{a + 1}",
                            "status": "ACTIVE" if a == 0 else "PAUSED",
                            "creative_type": "REGULAR" if a == 0 else "VIDEO",
                            "destination_url": f"https://shop.example.com/pin/{aid}",
                            "pin_id": f"99{aid}",
                            "type": "pinpromotion",
                        }

    def ad_day(self, ad_id: str, day: date) -> dict[str, int] | None:
        h = zlib.crc32(f"pin:{ad_id}:{day.isoformat()}".encode())
        if h % 9 == 0 or not FIRST_DAY <= day <= TODAY:
            return None
        impressions = 500 + h % 3000
        clicks = impressions * (1 + h % 4) // 100
        return {
            "PAID_IMPRESSION": impressions,
            "CLICKTHROUGH_1": clicks,
            "SPEND_IN_MICRO_DOLLAR": impressions * (2000 + h % 5000),  # CPM 2-7 in micro-units
            "TOTAL_CHECKOUT": clicks * (h % 5) // 20,
            "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR": (clicks * (h % 5) // 20) * 31_990_000,
            "TOTAL_LEAD": h % 3,
            "TOTAL_CONVERSIONS": clicks * (h % 5) // 20 + h % 3,
        }

    def rows(
        self, level: str, ids: set[str] | None, since: date, until: date, columns: list[str]
    ) -> list[dict[str, Any]]:
        """Daily rows per entity, as Pinterest returns them (no row when everything is 0)."""
        out: dict[tuple[str, date], dict[str, Any]] = {}
        day = since
        while day <= until:
            for ad_id, ad in sorted(self.ads.items()):
                stats = self.ad_day(ad_id, day)
                if stats is None:
                    continue
                key = ad["campaign_id"] if level == "CAMPAIGN" else ad_id
                if ids is not None and key not in ids:
                    continue
                row = out.setdefault((key, day), {"DATE": day.isoformat(), ID_COLUMN[level]: key})
                if level != "CAMPAIGN":
                    row.update(AD_ID=ad_id, PIN_PROMOTION_ID=ad_id, AD_GROUP_ID=ad["ad_group_id"])
                    row["CAMPAIGN_ID"] = ad["campaign_id"]
                for k, v in stats.items():
                    row[k] = row.get(k, 0) + v
            day += timedelta(days=1)
        keep = set(columns) | {"DATE", ID_COLUMN[level]}
        return [{k: v for k, v in r.items() if k in keep} for r in out.values()]

    def truth(self, level: str, since: date, until: date) -> list[dict[str, Any]]:
        """What the connector should land (default conversion event: CHECKOUT)."""
        return [
            {
                "id": r[ID_COLUMN[level]],
                "date": date.fromisoformat(r["DATE"]),
                "impressions": r["PAID_IMPRESSION"],
                "clicks": r["CLICKTHROUGH_1"],
                "spend": r["SPEND_IN_MICRO_DOLLAR"] / MICRO,
                "conversions": float(r["TOTAL_CHECKOUT"]),
                "conversion_value": r["TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR"] / MICRO,
            }
            for r in self.rows(level, None, since, until, sorted(COLUMNS))
        ]


def error(code: int, message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


def _bookmark(offset: int) -> str:
    return base64.urlsafe_b64encode(f"pin-bm:{offset}".encode()).decode()


#: CampaignCreateRequest's fields and ObjectiveType's values (API v5 reference)
CAMPAIGN_CREATE_FIELDS = {
    "ad_account_id",
    "name",
    "status",
    "objective_type",
    "daily_spend_cap",
    "lifetime_spend_cap",
    "order_line_id",
    "tracking_urls",
    "start_time",
    "end_time",
    "is_flexible_daily_budgets",
    "default_ad_group_budget_in_micro_currency",
    "is_automated_campaign",
    "is_campaign_budget_optimization",
}
OBJECTIVE_TYPES = {
    "AWARENESS",
    "CONSIDERATION",
    "VIDEO_VIEW",
    "WEB_CONVERSION",
    "CATALOG_SALES",
    "WEB_SESSIONS",
    "VIDEO_COMPLETION",
}


def _campaign_problem(item: Any) -> str | None:
    """Why Pinterest refuses one campaign of a create request (None: it does not)."""
    if not isinstance(item, dict):
        return "Invalid campaign: expected an object"
    if unknown := sorted(set(item) - CAMPAIGN_CREATE_FIELDS):
        return f"Invalid fields {unknown}"
    if "objective_type" in item and item["objective_type"] not in OBJECTIVE_TYPES:
        return f"objective_type: '{item['objective_type']}' is not one of {sorted(OBJECTIVE_TYPES)}"
    if item.get("status", "ACTIVE") not in ("ACTIVE", "PAUSED", "ARCHIVED"):
        return "status: must be ACTIVE, PAUSED or ARCHIVED"
    cap = item.get("daily_spend_cap")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap <= 0):
        return "daily_spend_cap: a positive integer in micro-currency"
    return None


#: AdGroupCreateRequest's fields (API v5 reference, in part) and the enums the fake checks
AD_GROUP_CREATE_FIELDS = {
    "ad_account_id", "campaign_id", "name", "status", "budget_in_micro_currency", "bid_in_micro_currency",
    "budget_type", "start_time", "end_time", "targeting_spec", "lifetime_frequency_cap", "tracking_urls",
    "auto_targeting_enabled", "placement_group", "pacing_delivery_type", "billable_event", "bid_strategy_type",
    "optimization_goal_metadata",
}  # fmt: skip
BILLABLE_EVENTS = {"CLICKTHROUGH", "IMPRESSION", "VIDEO_V_50_MRC"}
AD_CREATE_FIELDS = {"ad_group_id", "creative_type", "pin_id", "name", "status", "destination_url",
                    "tracking_urls", "is_pin_deleted", "is_removable", "view_tracking_url", "click_tracking_url"}  # fmt: skip
CREATIVE_TYPES = {
    "REGULAR",
    "VIDEO",
    "SHOPPING",
    "CAROUSEL",
    "MAX_VIDEO",
    "SHOP_THE_PIN",
    "COLLECTION",
    "IDEA",
}


def _ad_group_problem(item: Any, state: PinterestState) -> str | None:
    """Why Pinterest refuses one ad group of a create request (None: it does not)."""
    if not isinstance(item, dict):
        return "Invalid ad group: expected an object"
    if unknown := sorted(set(item) - AD_GROUP_CREATE_FIELDS):
        return f"Invalid fields {unknown}"
    for required in ("campaign_id", "name", "billable_event"):
        if not item.get(required):
            return f"{required}: required"
    campaign = state.campaigns.get(str(item["campaign_id"]))
    if campaign is None or campaign["status"] == "ARCHIVED":
        return f"campaign_id: no active campaign {item['campaign_id']}"
    if item["billable_event"] not in BILLABLE_EVENTS:
        return f"billable_event: '{item['billable_event']}' is not one of {sorted(BILLABLE_EVENTS)}"
    if item.get("status", "ACTIVE") not in ("ACTIVE", "PAUSED"):
        return "status: must be ACTIVE or PAUSED"
    for money in ("budget_in_micro_currency", "bid_in_micro_currency"):
        value = item.get(money)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            return f"{money}: a positive integer in micro-currency"
    if item.get("bid_in_micro_currency") is None and item.get("bid_strategy_type") != "AUTOMATIC_BID":
        return "bid_in_micro_currency: required unless bid_strategy_type is AUTOMATIC_BID"
    geo = (item.get("targeting_spec") or {}).get("GEO") or []
    if any(not (isinstance(g, str) and len(g) == 2 and g.isupper()) for g in geo):
        return "targeting_spec.GEO: two-letter country codes"
    return None


def _ad_problem(item: Any, state: PinterestState) -> str | None:
    """Why Pinterest refuses one ad (pin promotion) of a create request (None: it does not)."""
    if not isinstance(item, dict):
        return "Invalid ad: expected an object"
    if unknown := sorted(set(item) - AD_CREATE_FIELDS):
        return f"Invalid fields {unknown}"
    for required in ("ad_group_id", "creative_type", "pin_id"):
        if not item.get(required):
            return f"{required}: required"
    group = state.ad_groups.get(str(item["ad_group_id"]))
    if group is None or group["status"] == "ARCHIVED":
        return f"ad_group_id: no active ad group {item['ad_group_id']}"
    if item["creative_type"] not in CREATIVE_TYPES:
        return f"creative_type: '{item['creative_type']}' is not one of {sorted(CREATIVE_TYPES)}"
    if not str(item["pin_id"]).isdigit():
        return f"pin_id: Pin {item['pin_id']} not found"
    url = item.get("destination_url")
    if url is not None and not str(url).startswith(("http://", "https://")):
        return "destination_url: must be an http(s) URL"
    return None


def make_app(state: PinterestState) -> Starlette:
    """The fake API over `state`."""

    def authorised(request: Request) -> Response | None:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return error(2, "Authentication failed.", 401)
        token = auth.removeprefix("Bearer ")
        if token in state.expired_tokens:
            return error(2, "Authentication failed. Access token expired.", 401)
        if token != state.token:
            return error(2, "Authentication failed.", 401)
        return None

    def fault_for(path: str) -> Response | None:
        for f in state.faults:
            if path.endswith(f.match):
                if f.skip > 0:
                    f.skip -= 1
                    return None
                f.times -= 1
                if f.times <= 0:
                    state.faults.remove(f)
                if f.kind == "http_429":
                    return error(
                        8, "You have exceeded your rate limit. Try again later.", 429, {"Retry-After": "4"}
                    )
                if f.kind == "server_error":
                    return error(0, "Something went wrong on our end.", 503)
                if f.kind == "malformed":
                    return PlainTextResponse('{"items": [{"id": "6267', media_type="application/json")
                if f.kind == "forbidden":
                    return error(
                        29, "You are not permitted to access that resource. Missing scope ads:write", 403
                    )
                if f.kind == "permanent":
                    return error(1, "Invalid parameters.", 400)
        return None

    async def guarded(request: Request) -> Response:
        path = request.url.path
        body: Any = None
        if request.method in ("POST", "PATCH"):
            raw = await request.body()
            if request.headers.get("content-type", "").split(";")[0] != "application/json":
                return error(1, "Invalid request body: expected application/json", 400)
            try:
                body = json.loads(raw)
            except ValueError:
                return error(1, "Invalid request body", 400)
        state.requests.append((request.method, path, {**dict(request.query_params), "_body": body}))
        denied = authorised(request)
        if denied:
            return denied
        injected = fault_for(path)
        if injected:
            return injected
        parts = path.removeprefix("/v5/").split("/")
        if parts[:2] != ["ad_accounts", ACCOUNT]:
            return error(29, "You are not permitted to access that resource.", 403)
        rest = parts[2:]
        q = dict(request.query_params)
        if request.method == "GET" and not rest:
            return JSONResponse(
                {
                    "id": ACCOUNT,
                    "name": "Fake Pins DE",
                    "currency": state.currency,
                    "country": "DE",
                    "owner": {"username": "fakeshop", "id": "1"},
                    "permissions": ["OWNER"],
                }
            )
        if request.method == "GET" and len(rest) == 1 and rest[0] in ("campaigns", "ad_groups", "ads"):
            return listing(request, rest[0], q)
        if request.method == "GET" and rest[1:] == ["analytics"] and rest[0] in ("campaigns", "ads"):
            return analytics(rest[0], q)
        if rest == ["reports"] and request.method == "POST":
            return create_report(q, body)
        if rest == ["reports"] and request.method == "GET":
            return get_report(request, q)
        if request.method == "PATCH" and len(rest) == 1:
            return bulk_update(rest[0], body)
        if request.method == "POST" and rest == ["campaigns"]:
            return create_campaigns(body)
        if request.method == "POST" and rest == ["ad_groups"]:
            return create_many(body, _ad_group_problem, add_ad_group)
        if request.method == "POST" and rest == ["ads"]:
            return create_many(body, _ad_problem, add_ad)
        return error(404, "Not found", 404)

    def listing(request: Request, kind: str, q: dict[str, str]) -> Response:
        size = int(q.get("page_size", 25))
        if not 1 <= size <= 250:
            return error(1, "Invalid parameters: page_size must be between 1 and 250", 400)
        table = {"campaigns": state.campaigns, "ad_groups": state.ad_groups, "ads": state.ads}[kind]
        items = [table[k] for k in sorted(table)]
        start = 0
        if "bookmark" in q:
            try:
                text = base64.urlsafe_b64decode(q["bookmark"].encode()).decode()
                assert text.startswith("pin-bm:")
                start = int(text.split(":")[1])
            except (ValueError, AssertionError, UnicodeDecodeError):
                return error(1, "Invalid parameters: bookmark", 400)
        size = min(size, state.page_size_cap)
        chunk = items[start : start + size]
        more = start + size < len(items)
        return JSONResponse({"items": chunk, "bookmark": _bookmark(start + size) if more else None})

    def window(
        since_s: str | None, until_s: str | None, back: int, span: int
    ) -> tuple[date, date] | Response:
        try:
            since, until = date.fromisoformat(since_s or ""), date.fromisoformat(until_s or "")
        except ValueError:
            return error(1, "Invalid parameters: start_date and end_date are required (YYYY-MM-DD)", 400)
        if since > until:
            return error(1, "Invalid parameters: end_date is before start_date", 400)
        if since < TODAY - timedelta(days=back):
            return error(
                1, f"Invalid parameters: start_date cannot be more than {back} days back from today", 400
            )
        if (until - since).days + 1 > span:
            return error(1, f"Invalid parameters: the date range cannot be more than {span} days", 400)
        return since, until

    def check_columns(columns: list[str]) -> Response | None:
        bad = [c for c in columns if c not in COLUMNS]
        if not columns or bad:
            return error(1, f"Invalid parameters: columns ({bad[0] if bad else 'missing'})", 400)
        return None

    def analytics(kind: str, q: dict[str, str]) -> Response:
        level = {"campaigns": "CAMPAIGN", "ads": "AD"}[kind]
        id_param = {"campaigns": "campaign_ids", "ads": "ad_ids"}[kind]
        ids = [i for i in q.get(id_param, "").split(",") if i]
        if not ids or len(ids) > 250:
            return error(1, f"Invalid parameters: {id_param} must list 1 to 250 ids", 400)
        if q.get("granularity") not in ("TOTAL", "DAY", "HOUR", "WEEK", "MONTH"):
            return error(1, "Invalid parameters: granularity", 400)
        if q.get("granularity") != "DAY":
            return error(1, "the fake serves DAY granularity only", 400)
        columns = q.get("columns", "").split(",")
        bad = check_columns(columns)
        if bad:
            return bad
        span = window(q.get("start_date"), q.get("end_date"), 90, 90)
        if isinstance(span, Response):
            return span
        return JSONResponse(state.rows(level, set(ids), span[0], span[1], columns))

    def create_report(q: dict[str, str], body: Any) -> Response:
        if q:
            return error(1, "This endpoint does not support URL query parameters", 400)
        if not isinstance(body, dict):
            return error(1, "Invalid request body", 400)
        if not isinstance(body.get("level"), str) or body["level"] not in REPORT_LEVELS:
            return error(400, "Invalid ad account ads analytics parameters.", 400)
        if body["level"] not in ("CAMPAIGN", "PIN_PROMOTION"):
            return error(1, "the fake builds CAMPAIGN and PIN_PROMOTION reports only", 400)
        if body.get("granularity") != "DAY":
            return error(1, "the fake serves DAY granularity only", 400)
        bad = check_columns(list(body.get("columns") or []))
        if bad:
            return bad
        span = window(body.get("start_date"), body.get("end_date"), 914, 186)
        if isinstance(span, Response):
            return span
        token = f"report-{len(state.reports) + 1}"
        rows = state.rows(body["level"], None, span[0], span[1], body["columns"])
        by_id: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_id.setdefault(str(r[ID_COLUMN[body["level"]]]), []).append(r)
        state.reports[token] = {"polls": 0, "data": by_id}
        return JSONResponse({"report_status": "IN_PROGRESS", "token": token, "message": None})

    def get_report(request: Request, q: dict[str, str]) -> Response:
        report = state.reports.get(q.get("token", ""))
        if report is None:
            return JSONResponse({"report_status": "DOES_NOT_EXIST", "url": None, "size": None})
        report["polls"] += 1
        if report["polls"] == 1:
            return JSONResponse({"report_status": "IN_PROGRESS", "url": None, "size": None})
        url = f"{request.base_url}files/{q['token']}.json?X-Amz-Signature=abc"
        return JSONResponse({"report_status": "FINISHED", "url": url, "size": 1234})

    async def download(request: Request) -> Response:
        if "authorization" in request.headers:
            return PlainTextResponse("<Error><Code>InvalidArgument</Code></Error>", status_code=400)
        report = state.reports.get(request.path_params["token"])
        if report is None:
            return PlainTextResponse("<Error><Code>NoSuchKey</Code></Error>", status_code=404)
        return JSONResponse(report["data"])

    def bulk_update(kind: str, body: Any) -> Response:
        table = {"campaigns": state.campaigns, "ad_groups": state.ad_groups, "ads": state.ads}.get(kind)
        if table is None or not isinstance(body, list):
            return error(1, "Invalid request body", 400)
        allowed = {
            "campaigns": {"id", "status", "daily_spend_cap", "lifetime_spend_cap", "name"},
            "ad_groups": {"id", "status", "bid_in_micro_currency", "budget_in_micro_currency"},
            "ads": {"id", "status", "name"},
        }[kind]
        items = []
        for update in body:
            entity = table.get(str(update.get("id")))
            extra = set(update) - allowed
            if entity is None:
                items.append({"data": None, "exceptions": [{"code": 2758, "message": "Object not found"}]})
                continue
            if extra or update.get("status", "ACTIVE") not in ("ACTIVE", "PAUSED", "ARCHIVED"):
                items.append(
                    {"data": None, "exceptions": [{"code": 1, "message": f"Invalid fields {sorted(extra)}"}]}
                )
                continue
            entity.update({k: v for k, v in update.items() if k != "id"})
            items.append({"data": entity, "exceptions": []})
        return JSONResponse({"items": items})

    def create_campaigns(body: Any) -> Response:
        if not isinstance(body, list) or not body:
            return error(1, "Invalid request body", 400)
        items = []
        for item in body:
            problem = _campaign_problem(item)
            if problem:
                items.append({"data": None, "exceptions": [{"code": 1, "message": problem}]})
                continue
            if item.get("ad_account_id") != ACCOUNT or not item.get("name") or not item.get("objective_type"):
                items.append(
                    {
                        "data": None,
                        "exceptions": [
                            {"code": 1, "message": "ad_account_id, name and objective_type are required"}
                        ],
                    }
                )
                continue
            cid = f"62677583{9000 + len(state.campaigns)}"
            state.campaigns[cid] = {
                "id": cid,
                "ad_account_id": ACCOUNT,
                "name": item["name"],
                "status": item.get("status", "ACTIVE"),
                "objective_type": item["objective_type"],
                "daily_spend_cap": item.get("daily_spend_cap"),
                "lifetime_spend_cap": None,
                "is_campaign_budget_optimization": False,
                "start_time": int(datetime(2026, 11, 24, tzinfo=UTC).timestamp()),
                "type": "campaign",
            }
            items.append({"data": state.campaigns[cid], "exceptions": []})
        return JSONResponse({"items": items})

    def create_many(body: Any, problem_of: Any, add: Any) -> Response:
        """A bulk create: one item per request item, with its exceptions or its data."""
        if not isinstance(body, list) or not body:
            return error(1, "Invalid request body", 400)
        items = []
        for item in body:
            problem = problem_of(item, state)
            if problem:
                items.append({"data": None, "exceptions": [{"code": 1, "message": problem}]})
                continue
            items.append({"data": add(item), "exceptions": []})
        return JSONResponse({"items": items})

    def add_ad_group(item: dict[str, Any]) -> dict[str, Any]:
        gid = f"2680{9000 + len(state.ad_groups)}"
        state.ad_groups[gid] = {
            "id": gid, "ad_account_id": ACCOUNT, "campaign_id": item["campaign_id"], "name": item["name"],
            "status": item.get("status", "ACTIVE"), "budget_in_micro_currency": item.get("budget_in_micro_currency"),
            "bid_in_micro_currency": item.get("bid_in_micro_currency"), "type": "adgroup",
        }  # fmt: skip
        return state.ad_groups[gid]

    def add_ad(item: dict[str, Any]) -> dict[str, Any]:
        aid = f"6877{9000 + len(state.ads)}"
        group = state.ad_groups[item["ad_group_id"]]
        state.ads[aid] = {
            "id": aid, "ad_account_id": ACCOUNT, "ad_group_id": item["ad_group_id"],
            "campaign_id": group["campaign_id"], "name": item.get("name"), "status": item.get("status", "ACTIVE"),
            "creative_type": item["creative_type"], "destination_url": item.get("destination_url"),
            "pin_id": item["pin_id"], "type": "pinpromotion",
        }  # fmt: skip
        return state.ads[aid]

    async def oauth(request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        expected = base64.b64encode(f"{state.client_id}:{state.client_secret}".encode()).decode()
        if auth != f"Basic {expected}":
            return JSONResponse({"code": 1, "message": "Invalid client credentials"}, status_code=401)
        form = await request.form()
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != state.refresh_token:
            return JSONResponse({"code": 1, "message": "invalid_grant"}, status_code=400)
        state.refreshes += 1
        state.token = f"pin-access-{state.refreshes + 1}"
        state.refresh_token = f"pin-refresh-{state.refreshes + 1}"
        return JSONResponse(
            {
                "access_token": state.token,
                "refresh_token": state.refresh_token,
                "response_type": "refresh_token",
                "token_type": "bearer",
                "expires_in": 2592000,
                "refresh_token_expires_in": 31536000,
                "scope": "ads:read ads:write user_accounts:read",
            }
        )

    return Starlette(
        routes=[
            Route("/v5/oauth/token", oauth, methods=["POST"]),
            Route("/files/{token}.json", download, methods=["GET"]),
            Route("/v5/{path:path}", guarded, methods=["GET", "POST", "PATCH"]),
        ]
    )
