"""A fake Meta Graph API (Marketing API versions as Meta publishes them) for the Meta connector's tests.

It holds one ad account with campaigns, ad sets and ads, and deterministic daily stats per ad
(campaign rows are the sums of their ads' rows, as in Ads Manager). It checks requests the way the
Graph API does: the version in the path, a bearer token, `fields` on every read, a JSON `time_range`
with `time_increment=1` and a valid `level` on insights, cursors it issued, ODAX objectives and
`special_ad_categories` on campaign creation. It answers in Graph shapes: `{"data", "paging"}`
pages with cursors and `next`, `{"error": {"code", "error_subcode", "message", "type",
"fbtrace_id"}}` errors (HTTP 400 as Meta sends most of them), async report runs that are
"Job Running" on the first poll, and the usage headers.

Versions: `VERSIONS` is Meta's Marketing API version table (release, expiration). A version is
served from its release until its expiration, on the fake's `state.today`; any other version is
refused with error #2635 in Meta's shape ("You are calling a deprecated version of the Ads API.
Please update to the latest version: vNN.0.", type OAuthException, HTTP 400).

Faults are queued in `state.faults` by the test: each is consumed by the next matching request.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

#: Marketing API versions: (release, expiration; None while Meta says "TBD").
#: https://developers.facebook.com/documentation/ads-commerce/marketing-api/marketing-api-changelog/versions
VERSIONS: dict[str, tuple[date, date | None]] = {
    "v22.0": (date(2025, 1, 21), date(2026, 2, 19)),
    "v23.0": (date(2025, 5, 29), date(2026, 6, 9)),
    "v24.0": (date(2025, 10, 8), date(2026, 11, 10)),
    "v25.0": (date(2026, 2, 18), date(2027, 2, 23)),
    "v26.0": (date(2026, 7, 29), None),
    "v27.0": (date(2026, 11, 4), None),
}
ACCOUNT = "act_100000000000001"
FIRST_DAY = date(2026, 8, 1)
LAST_DAY = date(2026, 11, 24)
ACTION = "omni_purchase"
KNOWN_FIELDS = {
    "account": {"id", "name", "currency", "timezone_name", "account_status"},
    "campaign": {"id", "name", "status", "objective", "daily_budget", "lifetime_budget", "bid_strategy"}
    | {"start_time"},
    # learning_stage_info: AdCampaignLearningStageInfo {attribution_windows, conversions, last_sig_edit_ts,
    # status: LEARNING | SUCCESS | FAIL}; Meta leaves it out for ad sets not delivering
    "adset": {"id", "name", "campaign_id", "status", "daily_budget", "bid_amount", "bid_strategy"}
    | {"learning_stage_info"},
    "ad": {"id", "name", "status", "campaign_id", "adset_id", "adset", "creative"},
    "report": {"id", "async_status", "async_percent_completion"},
}
INSIGHT_FIELDS = {"campaign_id", "campaign_name", "adset_id", "ad_id", "ad_name"} | {
    "reach",  # people who saw the ads at least once, deduplicated within the row's level and day
    "impressions",
    "clicks",
    "spend",
    "actions",
    "action_values",
}


@dataclass
class Fault:
    """One injected failure: `kind` on the next request whose path ends with `match`."""

    kind: str  # rate_limit | user_limit | http_429 | http_429:<Retry-After> | server_error | malformed | permanent | permission
    match: str = ""
    times: int = 1
    skip: int = 0  # let this many matching requests through first


@dataclass
class MetaState:
    token: str = "meta-token-1"
    app_id: str = "1234567890"
    app_secret: str = "app-secret-xyz"
    currency: str = "USD"
    timezone: str = "America/Los_Angeles"
    page_size: int = 40  # the fake caps pages so paging is exercised
    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    adsets: dict[str, dict[str, Any]] = field(default_factory=dict)
    ads: dict[str, dict[str, Any]] = field(default_factory=dict)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    expired_tokens: set[str] = field(default_factory=set)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    exchanges: int = 0
    #: the fake's "today", which decides the versions it serves
    today: date = date(2026, 11, 24)

    def serves(self, version: str) -> bool:
        released, expires = VERSIONS.get(version, (None, None))
        return released is not None and released <= self.today and (expires is None or self.today < expires)

    def latest(self) -> str:
        return max((v for v in VERSIONS if self.serves(v)), key=lambda v: float(v[1:]))

    def __post_init__(self) -> None:
        if not self.campaigns:
            seed_objects(self)

    # ---------------------------------------------------------------- truth

    def ad_day(self, ad_id: str, day: date) -> dict[str, Any] | None:
        """The ad's stats on a day (None when it did not deliver: Meta returns no row)."""
        h = zlib.crc32(f"{ad_id}:{day.isoformat()}".encode())
        if h % 11 == 0:
            return None
        impressions = 800 + h % 4000
        clicks = impressions * (1 + h % 5) // 100
        cents = impressions * (400 + h % 900) // 1000  # CPM 4-13 dollars
        purchases = clicks * (h % 7) // 50
        value_cents = purchases * (2500 + h % 5000)
        return {
            "reach": impressions * 100 // (130 + h % 120),  # a daily frequency of 1.3-2.5
            "impressions": impressions,
            "clicks": clicks,
            "spend_cents": cents,
            "purchases": purchases,
            "value_cents": value_cents,
            "link_clicks": clicks - clicks // 4,
        }

    def truth(self, level: str, since: date, until: date) -> list[dict[str, Any]]:
        """Expected rows: per (campaign or ad, day) with spend in dollars, as the connector should land them."""
        out: dict[tuple[str, date], dict[str, Any]] = {}
        day = since
        while day <= until:
            for ad_id, ad in self.ads.items():
                stats = self.ad_day(ad_id, day)
                if stats is None:
                    continue
                key = (ad["campaign_id"] if level == "campaign" else ad_id, day)
                row = out.setdefault(
                    key,
                    {
                        "id": key[0],
                        "date": day,
                        "impressions": 0,
                        "clicks": 0,
                        "spend_cents": 0,
                        "purchases": 0,
                        "value_cents": 0,
                    },
                )
                for k in ("impressions", "clicks", "spend_cents", "purchases", "value_cents"):
                    row[k] += stats[k]
                row["reach"] = max(row.get("reach", 0), stats["reach"])
            day += timedelta(days=1)
        return [
            {
                "id": r["id"],
                "date": r["date"],
                "impressions": r["impressions"],
                "clicks": r["clicks"],
                "spend": r["spend_cents"] / 100,
                "conversions": float(r["purchases"]),
                "conversion_value": r["value_cents"] / 100,
                "reach": r["reach"],
            }
            for r in out.values()
        ]


#: optimisation goals the fake accepts (the Marketing API's `optimization_goal` enum, in part)
OPTIMIZATION_GOALS = {"REACH", "LINK_CLICKS", "LANDING_PAGE_VIEWS", "OFFSITE_CONVERSIONS", "IMPRESSIONS",
                      "POST_ENGAGEMENT", "LEAD_GENERATION", "APP_INSTALLS", "VALUE", "THRUPLAY"}  # fmt: skip


def seed_objects(state: MetaState) -> None:
    """Three campaigns (one with ad set budgets), two ad sets each, two ads per ad set."""
    objectives = ["OUTCOME_SALES", "OUTCOME_TRAFFIC", "OUTCOME_LEADS"]
    for c in range(3):
        cid = f"2385000000000{c + 1:02d}"
        state.campaigns[cid] = {
            "id": cid,
            "name": f"Campaign {c + 1} | {['Prospecting', 'Retargeting', 'Leads'][c]}",
            "status": "ACTIVE" if c != 2 else "PAUSED",
            "objective": objectives[c],
            "daily_budget": str(5000 * (c + 1)) if c != 1 else None,
            "lifetime_budget": None,
            "bid_strategy": "LOWEST_COST_WITHOUT_CAP",
            "start_time": "2026-07-01T00:00:00-0700",
        }
        for s in range(2):
            sid = f"2386000000000{c + 1}{s + 1}"
            state.adsets[sid] = {
                "id": sid,
                "name": f"Ad set {c + 1}.{s + 1}",
                "campaign_id": cid,
                "status": "ACTIVE",
                "daily_budget": "2500" if c == 1 else None,
                "bid_amount": str(150 + 10 * s) if c == 0 else None,
                "bid_strategy": "LOWEST_COST_WITH_BID_CAP" if c == 0 else "LOWEST_COST_WITHOUT_CAP",
            }
            if c != 2:  # delivering ad sets: 1.1 out of learning, 1.2 and 2.2 learning limited, 2.1 learning
                status = {(0, 0): "SUCCESS", (1, 0): "LEARNING"}.get((c, s), "FAIL")
                state.adsets[sid]["learning_stage_info"] = {
                    "status": status,
                    "conversions": {"SUCCESS": 63, "LEARNING": 12}.get(status, 9),
                    "last_sig_edit_ts": 1782000000 + 86400 * c,
                    "attribution_windows": ["7d_click", "1d_view"],
                }
            for a in range(2):
                aid = f"2387000000000{c + 1}{s + 1}{a + 1}"
                state.ads[aid] = {
                    "id": aid,
                    "name": f"Ad {c + 1}.{s + 1}.{a + 1}",
                    "status": "ACTIVE" if a == 0 else "PAUSED",
                    "campaign_id": cid,
                    "adset_id": sid,
                    "creative": {
                        "id": f"9{aid}",
                        "object_type": "SHARE" if a == 0 else "VIDEO",
                        "title": f"Headline {c + 1}.{s + 1}.{a + 1}",
                        "body": "Shop the sale",
                        "link_url": f"https://shop.example.com/p/{cid}",
                    },
                }


# ---------------------------------------------------------------------------- responses


def graph_error(
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    status: int = 400,
    etype: str = "OAuthException",
    **kw: Any,
) -> JSONResponse:
    headers = kw.pop("headers", None)
    err: dict[str, Any] = {"message": message, "type": etype, "code": code, "fbtrace_id": "AbCdEf123"}
    if subcode is not None:
        err["error_subcode"] = subcode
    err.update(kw)
    return JSONResponse({"error": err}, status_code=status, headers=headers)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"fake-cursor:{offset}".encode()).decode()


def _offset(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not text.startswith("fake-cursor:"):
        return None
    return int(text.split(":", 1)[1])


def page(request: Request, items: list[dict[str, Any]], params: dict[str, str], cap: int) -> Response:
    """One Graph page of `items`, honouring `limit` and `after`, with cursors and `next`."""
    start = 0
    if "after" in params:
        offset = _offset(params["after"])
        if offset is None or offset > len(items):
            return graph_error(100, "Invalid parameter: after cursor is not valid", subcode=1357046)
        start = offset
    limit = min(int(params.get("limit", 25)), cap)
    chunk = items[start : start + limit]
    body: dict[str, Any] = {"data": chunk}
    if items:
        body["paging"] = {"cursors": {"before": _cursor(start), "after": _cursor(start + len(chunk))}}
        if start + len(chunk) < len(items):
            body["paging"]["next"] = f"{request.url.replace(query='')}?after={_cursor(start + len(chunk))}"
    return JSONResponse(body, headers=_usage_headers(10))


def _usage_headers(pct: int, regain: int = 0) -> dict[str, str]:
    usage = {
        ACCOUNT.removeprefix("act_"): [
            {
                "type": "ads_insights",
                "call_count": pct,
                "total_cputime": pct // 2,
                "total_time": pct // 2,
                "estimated_time_to_regain_access": regain,
            }
        ]
    }
    return {
        "x-business-use-case-usage": json.dumps(usage),
        "x-ad-account-usage": json.dumps({"acc_id_util_pct": pct / 2, "reset_time_duration": 0}),
    }


def _select(obj: dict[str, Any], fields: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _split_fields(fields):
        base, _, sub = name.partition("{")
        if base not in obj or obj[base] is None:
            continue
        value = obj[base]
        if sub and isinstance(value, dict):
            value = {k: value[k] for k in sub.rstrip("}").split(",") if k in value}
        out[base] = value
    return out


def _split_fields(fields: str) -> list[str]:
    """Split `a,b{c,d},e` at top-level commas."""
    parts, depth, cur = [], 0, ""
    for ch in fields:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    if cur:
        parts.append(cur)
    return parts


# ---------------------------------------------------------------------------- the app


def make_app(state: MetaState) -> Starlette:
    """The fake Graph API over `state`."""

    def fault_for(path: str) -> Response | None:
        for f in state.faults:
            if path.endswith(f.match):
                if f.skip > 0:
                    f.skip -= 1
                    return None
                f.times -= 1
                if f.times <= 0:
                    state.faults.remove(f)
                return _fault_response(f.kind)
        return None

    def deprecated(version: str) -> Response:
        return graph_error(
            2635,
            "(#2635) You are calling a deprecated version of the Ads API. "
            f"Please update to the latest version: {state.latest()}.",
        )

    async def token_exchange(request: Request) -> Response:
        if not state.serves(request.path_params["version"]):
            return deprecated(request.path_params["version"])
        q = dict(request.query_params)
        if q.get("grant_type") != "fb_exchange_token":
            return graph_error(100, "Invalid grant_type")
        if q.get("client_id") != state.app_id or q.get("client_secret") != state.app_secret:
            return graph_error(101, "Error validating client secret.", etype="OAuthException")
        old = q.get("fb_exchange_token", "")
        if old in state.expired_tokens or old != state.token:
            return graph_error(190, "Error validating access token: Session has expired", subcode=463)
        state.exchanges += 1
        state.token = f"meta-token-exchanged-{state.exchanges}"
        return JSONResponse({"access_token": state.token, "token_type": "bearer", "expires_in": 5183944})

    async def graph(request: Request) -> Response:
        version, path = request.path_params["version"], request.path_params["path"]
        params = dict(request.query_params)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.form()).items()})
        state.requests.append((request.method, path, params))
        if not state.serves(version):
            return deprecated(version)
        if "access_token" in params:
            token = params["access_token"]
        else:
            auth = request.headers.get("authorization", "")
            if not auth.startswith("Bearer "):
                return graph_error(2500, "An active access token must be used to query information.")
            token = auth.removeprefix("Bearer ")
        if token in state.expired_tokens:
            return graph_error(
                190, "Error validating access token: Session has expired on Sunday, 23-Nov-26.", subcode=463
            )
        if token != state.token:
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        injected = fault_for(path)
        if injected is not None:
            return injected
        parts = path.split("/")
        node = parts[0]
        edge = parts[1] if len(parts) > 1 else None
        if request.method == "GET" and edge is None:
            return read_node(node, params)
        if request.method == "GET":
            return read_edge(request, node, edge, params)
        if request.method == "POST" and edge is None:
            return update_node(node, params)
        if request.method == "POST" and node == ACCOUNT and edge == "insights":
            return start_report(params)
        if request.method == "POST" and node == ACCOUNT and edge == "campaigns":
            return create_campaign(params)
        if request.method == "POST" and node == ACCOUNT and edge == "adsets":
            return create_adset(params)
        if request.method == "POST" and node == ACCOUNT and edge == "ads":
            return create_ad(params)
        return graph_error(100, f"Unsupported {request.method} request.")

    def check_fields(kind: str, params: dict[str, str]) -> Response | None:
        fields = params.get("fields")
        if not fields:
            return None  # Graph returns just the id; the connector must always ask for fields
        unknown = {f.partition("{")[0] for f in _split_fields(fields)} - KNOWN_FIELDS[kind]
        if unknown:
            return graph_error(100, f"(#100) Tried accessing nonexisting field ({sorted(unknown)[0]})")
        return None

    def kind_of(node: str) -> tuple[str, dict[str, Any]] | None:
        if node == ACCOUNT:
            return "account", {
                "id": ACCOUNT,
                "name": "Fake Shop EU",
                "currency": state.currency,
                "timezone_name": state.timezone,
                "account_status": 1,
            }
        for kind, table in (
            ("campaign", state.campaigns),
            ("adset", state.adsets),
            ("ad", state.ads),
            ("report", state.reports),
        ):
            if node in table:
                obj = table[node]
                if kind == "ad":
                    obj = {
                        **obj,
                        "adset": {"id": obj["adset_id"], "name": state.adsets[obj["adset_id"]]["name"]},
                    }
                if kind == "report":
                    obj = _poll(obj)
                return kind, obj
        return None

    def read_node(node: str, params: dict[str, str]) -> Response:
        found = kind_of(node)
        if found is None:
            return graph_error(
                100,
                f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due to "
                "missing permissions, or does not support this operation.",
                subcode=33,
                etype="GraphMethodException",
            )
        kind, obj = found
        bad = check_fields(kind, params)
        if bad:
            return bad
        return JSONResponse(_select(obj, params.get("fields", "id")), headers=_usage_headers(10))

    def read_edge(request: Request, node: str, edge: str | None, params: dict[str, str]) -> Response:
        if node == ACCOUNT and edge in ("campaigns", "adsets", "ads"):
            kind = {"campaigns": "campaign", "adsets": "adset", "ads": "ad"}[edge]
            bad = check_fields(kind, params)
            if bad:
                return bad
            table = {"campaigns": state.campaigns, "adsets": state.adsets, "ads": state.ads}[edge]
            items = []
            for key in sorted(table):
                found = kind_of(key)
                assert found is not None
                items.append(_select(found[1], params.get("fields", "id")))
            return page(request, items, params, state.page_size)
        if node == ACCOUNT and edge == "insights":
            rows = insight_rows(params)
            if isinstance(rows, Response):
                return rows
            return page(request, rows, params, state.page_size)
        if node in state.reports and edge == "insights":
            report = state.reports[node]
            if report["async_status"] != "Job Completed":
                return graph_error(100, "Report is not ready yet", subcode=1487750)
            return page(request, report["rows"], params, state.page_size)
        return graph_error(100, f"Tried accessing nonexisting field ({edge}) on node type ({node})")

    def insight_rows(params: dict[str, str]) -> list[dict[str, Any]] | Response:
        level = params.get("level", "account")
        if level not in ("account", "campaign", "adset", "ad"):
            return graph_error(100, "(#100) param level must be one of {ad, adset, campaign, account}")
        if params.get("time_increment") != "1":
            return graph_error(100, "the fake only serves daily rows: time_increment must be 1")
        try:
            tr = json.loads(params.get("time_range", ""))
            since, until = date.fromisoformat(tr["since"]), date.fromisoformat(tr["until"])
        except (ValueError, KeyError, TypeError):
            return graph_error(100, "(#100) time_range must be a JSON object with since and until")
        if since > until:
            return graph_error(100, "(#100) time_range since must be before until")
        fields = _split_fields(params.get("fields", ""))
        unknown = set(fields) - INSIGHT_FIELDS
        if not fields or unknown:
            return graph_error(
                100, f"(#100) {sorted(unknown or {'fields'})[0]} is not valid for fields param"
            )
        rows = []
        day = since
        while day <= until:
            per: dict[str, dict[str, Any]] = {}
            for ad_id in sorted(state.ads):
                ad = state.ads[ad_id]
                stats = state.ad_day(ad_id, day) if FIRST_DAY <= day <= LAST_DAY else None
                if stats is None:
                    continue
                key = ad["campaign_id"] if level == "campaign" else ad_id
                agg = per.setdefault(
                    key,
                    {
                        "impressions": 0,
                        "clicks": 0,
                        "spend_cents": 0,
                        "purchases": 0,
                        "value_cents": 0,
                        "lc": 0,
                        "reach": 0,
                    },
                )
                agg["impressions"] += stats["impressions"]
                agg["clicks"] += stats["clicks"]
                agg["spend_cents"] += stats["spend_cents"]
                agg["purchases"] += stats["purchases"]
                agg["value_cents"] += stats["value_cents"]
                agg["lc"] += stats["link_clicks"]
                # an ad's own reach; a campaign's is deduplicated across its ads, at least its largest
                agg["reach"] = max(agg["reach"], stats["reach"])
            for key, agg in per.items():
                ids: dict[str, Any]
                if level == "campaign":
                    ids = {"campaign_id": key, "campaign_name": state.campaigns[key]["name"]}
                else:
                    ad = state.ads[key]
                    ids = {
                        "campaign_id": ad["campaign_id"],
                        "adset_id": ad["adset_id"],
                        "ad_id": key,
                        "ad_name": ad["name"],
                    }
                actions = [{"action_type": "link_click", "value": str(agg["lc"])}]
                values = []
                if agg["purchases"]:
                    actions.append(
                        {
                            "action_type": "offsite_conversion.fb_pixel_purchase",
                            "value": str(agg["purchases"]),
                        }
                    )
                    actions.append({"action_type": ACTION, "value": str(agg["purchases"])})
                    values.append({"action_type": ACTION, "value": f"{agg['value_cents'] / 100:.2f}"})
                full = {
                    **ids,
                    "reach": str(agg["reach"]),
                    "impressions": str(agg["impressions"]),
                    "clicks": str(agg["clicks"]),
                    "spend": f"{agg['spend_cents'] / 100:.2f}",
                    "actions": actions,
                    "action_values": values or None,
                }
                row = {k: v for k, v in full.items() if k in fields and v is not None}
                row["date_start"] = row["date_stop"] = day.isoformat()
                rows.append(row)
            day += timedelta(days=1)
        return rows

    def start_report(params: dict[str, str]) -> Response:
        rows = insight_rows(params)
        if isinstance(rows, Response):
            return rows
        run_id = f"6120000000{len(state.reports) + 1:04d}"
        state.reports[run_id] = {
            "id": run_id,
            "async_status": "Job Not Started",
            "async_percent_completion": 0,
            "rows": rows,
            "polls": 0,
        }
        return JSONResponse({"report_run_id": run_id})

    def update_node(node: str, params: dict[str, str]) -> Response:
        found = kind_of(node)
        if found is None or found[0] not in ("campaign", "adset", "ad"):
            return graph_error(100, f"Unsupported post request. Object with ID '{node}' does not exist")
        kind = found[0]
        table = {"campaign": state.campaigns, "adset": state.adsets, "ad": state.ads}[kind]
        if table[node].get("status") == "DELETED":
            return graph_error(100, "(#100) Cannot edit a deleted object", subcode=1487055)
        allowed = {
            "campaign": {"status", "daily_budget", "name"},
            "adset": {"status", "bid_amount", "daily_budget"},
        }
        allowed["ad"] = {"status", "name"}
        for key, value in params.items():
            if key == "access_token":
                continue
            if key not in allowed[kind]:
                return graph_error(100, f"(#100) Param {key} is not valid for a {kind} update")
            if key == "status" and value not in ("ACTIVE", "PAUSED", "ARCHIVED", "DELETED"):
                return graph_error(
                    100, "(#100) Param status must be one of ACTIVE, PAUSED, ARCHIVED, DELETED"
                )
            if key in ("daily_budget", "bid_amount") and not value.isdigit():
                return graph_error(
                    100, f"(#100) Param {key} must be an integer in the currency's minimum unit"
                )
            table[node][key] = value
        return JSONResponse({"success": True})

    def create_campaign(params: dict[str, str]) -> Response:
        for required in ("name", "objective", "special_ad_categories"):
            if required not in params:
                return graph_error(100, f"(#100) The parameter {required} is required")
        if not params["objective"].startswith("OUTCOME_"):
            return graph_error(
                100, "(#100) Param objective must be an ODAX objective (OUTCOME_...)", subcode=2490487
            )
        try:
            categories = json.loads(params["special_ad_categories"])
            assert isinstance(categories, list)
        except (ValueError, AssertionError):
            return graph_error(100, "(#100) special_ad_categories must be a JSON array")
        cid = f"2385000000009{len(state.campaigns):02d}"
        state.campaigns[cid] = {
            "id": cid,
            "name": params["name"],
            "status": params.get("status", "ACTIVE"),
            "objective": params["objective"],
            "daily_budget": params.get("daily_budget"),
            "lifetime_budget": None,
            "bid_strategy": params.get("bid_strategy"),
            "start_time": "2026-11-24T00:00:00-0800",
        }
        return JSONResponse({"id": cid})

    def create_adset(params: dict[str, str]) -> Response:
        """POST /act_{id}/adsets as the Marketing API reference has it: name, campaign_id,
        billing_event, optimization_goal and targeting (with geo_locations) required; enums checked;
        a budget on the ad set only when the campaign has none; a bid when the campaign caps bids."""
        for required in ("name", "campaign_id", "billing_event", "optimization_goal", "targeting"):
            if not params.get(required):
                return graph_error(100, f"(#100) The parameter {required} is required")
        campaign = state.campaigns.get(params["campaign_id"])
        if campaign is None or campaign["status"] == "DELETED":
            return graph_error(100, "(#100) Param campaign_id must be a valid campaign id", subcode=1487007)
        if len(params["name"]) > 400:
            return graph_error(100, "(#100) Param name must be at most 400 characters long")
        if params["billing_event"] not in ("IMPRESSIONS", "LINK_CLICKS", "THRUPLAY"):
            return graph_error(
                100, "(#100) Param billing_event must be one of IMPRESSIONS, LINK_CLICKS, THRUPLAY"
            )
        if params["optimization_goal"] not in OPTIMIZATION_GOALS:
            return graph_error(
                100, f"(#100) Param optimization_goal must be one of {', '.join(sorted(OPTIMIZATION_GOALS))}"
            )
        try:
            targeting = json.loads(params["targeting"])
            countries = targeting["geo_locations"]["countries"]
            assert isinstance(countries, list) and countries
        except (ValueError, KeyError, TypeError, AssertionError):
            return graph_error(100, "(#100) Targeting spec must include geo_locations with at least one location",
                               subcode=1487756)  # fmt: skip
        if params.get("daily_budget") and campaign.get("daily_budget"):
            return graph_error(
                100, "(#100) An ad set cannot have a budget when its campaign has one", subcode=1885621
            )
        if campaign.get("bid_strategy") == "LOWEST_COST_WITH_BID_CAP" and not params.get("bid_amount"):
            return graph_error(
                100, "(#100) Bid amount required: the campaign's bid strategy caps bids", subcode=1815857
            )
        sid = f"2386000000009{len(state.adsets):02d}"
        state.adsets[sid] = {
            "id": sid, "name": params["name"], "campaign_id": params["campaign_id"],
            "status": params.get("status", "ACTIVE"), "daily_budget": params.get("daily_budget"),
            "bid_amount": params.get("bid_amount"), "bid_strategy": campaign.get("bid_strategy"),
        }  # fmt: skip
        return JSONResponse({"id": sid})

    def create_ad(params: dict[str, str]) -> Response:
        """POST /act_{id}/ads: name, adset_id and creative required; an inline creative's
        object_story_spec needs a page_id and link_data with a link."""
        for required in ("name", "adset_id", "creative"):
            if not params.get(required):
                return graph_error(100, f"(#100) The parameter {required} is required")
        adset = state.adsets.get(params["adset_id"])
        if adset is None or adset["status"] == "DELETED":
            return graph_error(100, "(#100) Param adset_id must be a valid ad set id")
        try:
            spec = json.loads(params["creative"])["object_story_spec"]
            page_id, link = str(spec["page_id"]), spec["link_data"]
        except (ValueError, KeyError, TypeError):
            return graph_error(
                100, "(#100) Param creative must have an object_story_spec with page_id and link_data"
            )
        if not page_id.isdigit():
            return graph_error(
                100, "(#100) Param object_story_spec[page_id] must be a valid Page ID", subcode=1487472
            )
        if not str(link.get("link", "")).startswith(("http://", "https://")):
            return graph_error(100, "(#100) The link in link_data must be a valid URL", subcode=1443048)
        aid = f"2387000000009{len(state.ads):02d}"
        state.ads[aid] = {
            "id": aid, "name": params["name"], "status": params.get("status", "ACTIVE"),
            "campaign_id": adset["campaign_id"], "adset_id": params["adset_id"],
            "creative": {"id": f"9{aid}", "object_type": "SHARE", "title": link.get("name"),
                         "body": link.get("message"), "link_url": link["link"]},
        }  # fmt: skip
        return JSONResponse({"id": aid})

    return Starlette(
        routes=[
            Route("/{version}/oauth/access_token", token_exchange, methods=["GET"]),
            Route("/{version}/{path:path}", graph, methods=["GET", "POST"]),
        ]
    )


def _poll(report: dict[str, Any]) -> dict[str, Any]:
    """Each poll advances the run: running at 50% first, completed on the second poll."""
    report["polls"] += 1
    if report["polls"] == 1:
        report.update(async_status="Job Running", async_percent_completion=50)
    else:
        report.update(async_status="Job Completed", async_percent_completion=100)
    return report


def _fault_response(kind: str) -> Response:
    if kind == "rate_limit":  # the ad account's insights quota: code 80000 with the time to regain access
        return graph_error(
            80000,
            "There have been too many calls from this ad-account. Wait a bit and try again.",
            subcode=2446079,
            headers=_usage_headers(100, regain=1),
        )
    if kind == "user_limit":
        return graph_error(17, "(#17) User request limit reached", subcode=2446079)
    if kind == "http_429":
        return JSONResponse(
            {"error": {"message": "slow down", "code": 4}}, status_code=429, headers={"Retry-After": "7"}
        )
    if kind.startswith("http_429:"):  # a proxy's bare 429: "http_429:" without Retry-After, "http_429:0", ...
        value = kind.split(":", 1)[1]
        return JSONResponse(
            {"error": {"message": "Too Many Requests"}},
            status_code=429,
            headers={"Retry-After": value} if value else {},
        )
    if kind == "server_error":
        return graph_error(
            2,
            "An unexpected error has occurred. Please retry your request later.",
            status=500,
            is_transient=True,
        )
    if kind == "malformed":
        return PlainTextResponse('{"data": [{"campaign_id": "2385', media_type="application/json")
    if kind == "permanent":
        return graph_error(100, "(#100) Invalid parameter", subcode=1487534)
    if kind == "permission":
        return graph_error(
            200,
            "(#200) Ad account owner has NOT grant ads_management or ads_read permission",
            etype="OAuthException",
        )
    raise ValueError(kind)
