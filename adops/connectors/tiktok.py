"""TikTok API for Business (Marketing API v1.3): advertiser, campaigns, ad groups, ads, daily reports.

Every answer is a `{code, message, request_id, data}` envelope, usually with HTTP 200: a non-zero
`code` is the error. Reports come from the synchronous `report/integrated/get/` endpoint (BASIC,
AUCTION_CAMPAIGN / AUCTION_AD, `stat_time_day`), paged with `page` / `page_size`, in date chunks
of at most 30 days; a "query too large" answer (40067) makes the chunk smaller. Money is in the
advertiser's currency (not micros) and days are in the advertiser's time zone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import pandas as pd

from adops import clock
from adops.config import AccountConfig
from adops.connectors import paging, versions
from adops.connectors.base import (
    AD_COLUMNS,
    AD_DAILY_COLUMNS,
    CAMPAIGN_COLUMNS,
    CAMPAIGN_DAILY_COLUMNS,
    AccountInfo,
    AdGroupTemplate,
    AdTemplate,
    CampaignTemplate,
    Entity,
    Status,
)
from adops.connectors.errors import (
    AuthError,
    BadRequest,
    ConnectorError,
    PermissionDenied,
    RateLimited,
    TransientError,
)
from adops.connectors.http import ApiClient, named, retry_after

API = f"/open_api/{versions.PINS['tiktok'].version}"  # v1.3 (adops.connectors.versions)
PAGE_SIZE = 1000  # the largest page the API serves
MAX_REPORT_DAYS = 30  # stat_time_day reports cover at most 30 days per request
MAX_IDS = 100  # ids per status/update call and per report id filter

#: envelope codes: the access token is missing, expired, incorrect or revoked
AUTH_CODES = {40102, 40103, 40104, 40105, 40106, 40107}
#: no permission on the advertiser (app not authorised, scope missing)
PERMISSION_CODES = {40001, 40003, 40014}
#: QPS / QPM / QPD limits
RATE_LIMIT_CODES = {40100, 40133}
#: the report query covers too much (rows, days): ask for less
QUERY_TOO_LARGE = 40067

STATUS_IN = {"ENABLE": "ENABLED", "DISABLE": "PAUSED", "DELETE": "REMOVED"}
STATUS_OUT = {"ENABLED": "ENABLE", "PAUSED": "DISABLE"}
#: an ad group's optimisation goal and billing event per campaign objective (what TikTok Ads
#: Manager picks by default where no pixel or app is needed)
OPTIMIZATION = {
    "REACH": ("REACH", "CPM"),
    "TRAFFIC": ("CLICK", "CPC"),
    "WEB_CONVERSIONS": ("CLICK", "CPC"),
    "APP_PROMOTION": ("CLICK", "CPC"),
    "LEAD_GENERATION": ("CLICK", "CPC"),
    "VIDEO_VIEWS": ("ENGAGED_VIEW", "CPV"),
}
#: TikTok's location ids of countries (GeoNames ids), for ad group targeting
LOCATION_IDS = {
    "US": "6252001", "CA": "6251999", "GB": "2635167", "DE": "2921044", "FR": "3017382",
    "ES": "2510769", "IT": "3175395", "NL": "2750405", "AU": "2077456", "JP": "1861060",
    "BR": "3469034", "MX": "3996063",
}  # fmt: skip

CAMPAIGN_FIELDS = [
    "campaign_id",
    "campaign_name",
    "objective_type",
    "budget",
    "budget_mode",
    "operation_status",
    "secondary_status",
    "create_time",
]
ADGROUP_FIELDS = [
    "adgroup_id",
    "adgroup_name",
    "campaign_id",
    "budget",
    "budget_mode",
    "bid_type",
    "bid_price",
    "operation_status",
    "secondary_status",
]
AD_FIELDS = [
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
]
ADVERTISER_FIELDS = ["advertiser_id", "name", "currency", "timezone", "display_timezone", "status"]
METRICS = ["spend", "impressions", "clicks", "conversion"]
#: the default conversion value metric: total value of web "Complete Payment" events
DEFAULT_VALUE_METRIC = "total_complete_payment_rate"


class QueryTooLarge(BadRequest):
    """TikTok refused a report query as too large (code 40067): split it."""


class TikTokClient(ApiClient):
    """One endpoint per method; `data` of the envelope is returned."""

    platform = "tiktok"
    default_base_url = "https://business-api.tiktok.com"
    default_token_url = f"{API}/oauth2/refresh_token/"

    def auth_headers(self) -> dict[str, str]:
        return {"Access-Token": self.token()}

    def error_for(self, response: httpx.Response, body: Any) -> ConnectorError | None:
        if response.status_code >= 400 or body is None:  # no JSON at all: the shared layer says so
            return super().error_for(response, body)
        if not isinstance(body, dict) or "code" not in body:
            return TransientError(f"tiktok {response.request.url.path}: the answer has no envelope code")
        code = int(body.get("code") or 0)
        if code == 0:
            return None
        message = (
            f"tiktok {response.request.url.path}: code {code}: {str(body.get('message') or '')[:300]}"
            f" (request_id {body.get('request_id', '?')})"
        )
        if code in AUTH_CODES:
            return AuthError(message, status=code)
        if code in PERMISSION_CODES:
            return PermissionDenied(message, status=code)
        if code in RATE_LIMIT_CODES:
            return RateLimited(message, retry_after=retry_after(response), status=code)
        if code == QUERY_TOO_LARGE:
            return QueryTooLarge(message, status=code)
        if 50000 <= code < 60000:
            return TransientError(message, status=code)
        return BadRequest(message, status=code)

    def refresh_form(self) -> dict[str, str]:
        return {
            "app_id": self.account.credential("client_id") or "",
            "secret": self.account.credential("client_secret") or "",
            "grant_type": "refresh_token",
            "refresh_token": self.refresh_token or "",
        }

    def refresh(self) -> None:
        """TikTok's refresh takes JSON and answers in its envelope; rotated refresh tokens persist."""
        url = self.token_url()
        assert url is not None
        try:
            response = self.http.post(url, json=self.refresh_form())
        except httpx.HTTPError as exc:
            raise TransientError(f"tiktok: token refresh failed ({type(exc).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        data = body.get("data") or {}
        if response.status_code >= 400 or body.get("code") or not data.get("access_token"):
            detail = body.get("message") or f"HTTP {response.status_code}"
            raise AuthError(
                self.redact(
                    f"{self.account.key}: the refresh token was refused ({detail}); reconnect the account"
                ),
                status=response.status_code,
            )
        self.access_token = str(data["access_token"])
        expires = data.get("access_token_expire_in") or data.get("expires_in")
        self.expires_at = datetime.now(UTC) + timedelta(seconds=float(expires)) if expires else None
        if data.get("refresh_token"):
            self.refresh_token = str(data["refresh_token"])
        self._save_rotated_tokens()

    # ------------------------------------------------------------------ endpoints

    def data(self, method: str, endpoint: str, **kwargs: Any) -> dict[str, Any]:
        """Call an endpoint and return the envelope's `data`."""
        body = self.request(method, f"{API}/{endpoint}", **kwargs)
        if not isinstance(body, dict):
            raise TransientError(f"tiktok {endpoint}: expected a JSON object")
        return dict(body.get("data") or {})

    def pages(self, endpoint: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a paged list endpoint (`data.list`, counting `page` up to `data.page_info.total_page`)."""
        return self.paginate(
            f"{API}/{endpoint}",
            {**params, "page": 1, "page_size": PAGE_SIZE},
            items=paging.dig("data", "list"),
            next_page=paging.page_number("page", paging.dig("data", "page_info", "total_page")),
        )

    def advertiser_info(self, advertiser_id: str) -> dict[str, Any]:
        data = self.data(
            "GET",
            "advertiser/info/",
            params={"advertiser_ids": _json([advertiser_id]), "fields": _json(ADVERTISER_FIELDS)},
        )
        items = data.get("list") or []
        if not items:
            raise PermissionDenied(f"tiktok: advertiser {advertiser_id} is not visible to this token")
        return dict(items[0])

    def campaigns(self, advertiser_id: str) -> list[dict[str, Any]]:
        params = {"advertiser_id": advertiser_id, "fields": _json(CAMPAIGN_FIELDS)}
        return list(self.pages("campaign/get/", params))

    def adgroups(self, advertiser_id: str) -> list[dict[str, Any]]:
        params = {"advertiser_id": advertiser_id, "fields": _json(ADGROUP_FIELDS)}
        return list(self.pages("adgroup/get/", params))

    def ads(self, advertiser_id: str) -> list[dict[str, Any]]:
        params = {"advertiser_id": advertiser_id, "fields": _json(AD_FIELDS)}
        return list(self.pages("ad/get/", params))

    def report(
        self,
        advertiser_id: str,
        data_level: str,
        dimensions: list[str],
        metrics: list[str],
        since: date,
        until: date,
    ) -> list[dict[str, Any]]:
        """One synchronous BASIC report over [since, until], all pages."""
        params = {
            "advertiser_id": advertiser_id,
            "service_type": "AUCTION",
            "report_type": "BASIC",
            "data_level": data_level,
            "dimensions": _json(dimensions),
            "metrics": _json(metrics),
            "start_date": since.isoformat(),
            "end_date": until.isoformat(),
        }
        return list(self.pages("report/integrated/get/", params))

    def update_campaign(self, advertiser_id: str, campaign_id: str, **fields: Any) -> dict[str, Any]:
        body = {"advertiser_id": advertiser_id, "campaign_id": campaign_id, **fields}
        return self.data("POST", "campaign/update/", json=body)

    def update_adgroup(self, advertiser_id: str, adgroup_id: str, **fields: Any) -> dict[str, Any]:
        body = {"advertiser_id": advertiser_id, "adgroup_id": adgroup_id, **fields}
        return self.data("POST", "adgroup/update/", json=body)

    def update_status(
        self, advertiser_id: str, entity: Entity, ids: list[str], status: str
    ) -> dict[str, Any]:
        """campaign/status/update, adgroup/status/update or ad/status/update (ENABLE / DISABLE)."""
        name = {"campaign": "campaign", "ad_group": "adgroup", "ad": "ad"}[entity]
        body = {"advertiser_id": advertiser_id, f"{name}_ids": ids, "operation_status": status}
        return self.data("POST", f"{name}/status/update/", json=body)

    def create_campaign(self, advertiser_id: str, **fields: Any) -> dict[str, Any]:
        return self.data("POST", "campaign/create/", json={"advertiser_id": advertiser_id, **fields})

    def create_adgroup(self, advertiser_id: str, **fields: Any) -> dict[str, Any]:
        return self.data("POST", "adgroup/create/", json={"advertiser_id": advertiser_id, **fields})

    def create_ads(
        self, advertiser_id: str, adgroup_id: str, creatives: list[dict[str, Any]]
    ) -> dict[str, Any]:
        body = {"advertiser_id": advertiser_id, "adgroup_id": adgroup_id, "creatives": creatives}
        return self.data("POST", "ad/create/", json=body)


class TikTokConnector:
    """The connector protocol over `TikTokClient`."""

    platform = "tiktok"

    def __init__(self, account: AccountConfig, client: TikTokClient | None = None) -> None:
        self.account_config = account
        self.client = client or TikTokClient(account)
        self.value_metric = account.credential("conversion_value_metric") or DEFAULT_VALUE_METRIC
        self._info: dict[str, AccountInfo] = {}

    # ------------------------------------------------------------------ reads

    def account(self, account_id: str) -> AccountInfo:
        if account_id not in self._info:
            raw = self.client.advertiser_info(account_id)
            status = str(raw.get("status") or "")
            self._info[account_id] = AccountInfo(
                platform="tiktok",
                account_id=str(raw.get("advertiser_id") or account_id),
                name=str(raw.get("name") or account_id),
                currency=str(raw.get("currency") or "USD"),
                timezone=_zone(raw.get("display_timezone"), raw.get("timezone")),
                status="ACTIVE" if status in ("STATUS_ENABLE", "") else status,
            )
        return self._info[account_id]

    def campaigns(self, account_id: str) -> pd.DataFrame:
        info = self.account(account_id)
        groups = self.client.adgroups(account_id)
        bids: dict[str, float] = {}
        for g in groups:
            if _num(g.get("bid_price")) and str(g.get("campaign_id")) not in bids:
                bids[str(g.get("campaign_id"))] = _num(g.get("bid_price"))
        rows = []
        for c in self.client.campaigns(account_id):
            mode = c.get("budget_mode")
            cid = str(c["campaign_id"])
            rows.append(
                {
                    "platform": "tiktok",
                    "account_id": account_id,
                    "campaign_id": cid,
                    "campaign_name": c.get("campaign_name"),
                    "status": _status(c),
                    "objective": c.get("objective_type"),
                    "daily_budget": _num(c.get("budget")) if mode == "BUDGET_MODE_DAY" else None,
                    "lifetime_budget": _num(c.get("budget")) if mode == "BUDGET_MODE_TOTAL" else None,
                    "bidding_strategy": None,
                    "bid_amount": bids.get(cid),
                    "currency": info.currency,
                    "start_date": _day(c.get("create_time")),
                }
            )
        return _frame(rows, CAMPAIGN_COLUMNS)

    def ads(self, account_id: str) -> pd.DataFrame:
        rows = [
            {
                "platform": "tiktok",
                "account_id": account_id,
                "ad_id": str(a["ad_id"]),
                "ad_group_id": str(a.get("adgroup_id") or ""),
                "ad_group_name": a.get("adgroup_name"),
                "campaign_id": str(a.get("campaign_id") or ""),
                "ad_name": a.get("ad_name"),
                "status": _status(a),
                "creative_type": a.get("ad_format"),
                "headline": a.get("ad_text"),
                "landing_url": a.get("landing_page_url"),
            }
            for a in self.client.ads(account_id)
        ]
        return _frame(rows, AD_COLUMNS)

    def campaign_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        info = self.account(account_id)
        rows = []
        for item in self._report(
            account_id, "AUCTION_CAMPAIGN", "campaign_id", ["campaign_name"], since, until
        ):
            dims, m = item.get("dimensions") or {}, item.get("metrics") or {}
            rows.append(
                {
                    "date": _day(dims.get("stat_time_day")),
                    "platform": "tiktok",
                    "account_id": account_id,
                    "campaign_id": str(dims["campaign_id"]),
                    "campaign_name": m.get("campaign_name"),
                    "currency": info.currency,
                    **self._metrics(m),
                }
            )
        return _frame(rows, CAMPAIGN_DAILY_COLUMNS)

    def ad_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        info = self.account(account_id)
        rows = []
        attrs = ["ad_name", "adgroup_id", "campaign_id"]
        # `reach`: unique users who saw the ad that day (a basic-report metric at AUCTION_AD by day)
        for item in self._report(account_id, "AUCTION_AD", "ad_id", attrs, since, until, ["reach"]):
            dims, m = item.get("dimensions") or {}, item.get("metrics") or {}
            rows.append(
                {
                    "date": _day(dims.get("stat_time_day")),
                    "platform": "tiktok",
                    "account_id": account_id,
                    "campaign_id": str(m.get("campaign_id") or ""),
                    "ad_group_id": str(m.get("adgroup_id") or ""),
                    "ad_id": str(dims["ad_id"]),
                    "ad_name": m.get("ad_name"),
                    "currency": info.currency,
                    **self._metrics(m),
                    "reach": int(_num(m["reach"])) if m.get("reach") not in (None, "", "-") else None,
                }
            )
        return _frame(rows, AD_DAILY_COLUMNS)

    # ------------------------------------------------------------------ writes

    def set_daily_budget(self, account_id: str, campaign_id: str, amount: float) -> float | None:
        if amount <= 0:
            raise BadRequest(f"daily budget must be positive, got {amount}")
        before = self._campaign(account_id, campaign_id)
        if before.get("budget_mode") not in ("BUDGET_MODE_DAY", None):
            raise BadRequest(
                f"tiktok campaign {campaign_id} has budget mode {before.get('budget_mode')}; "
                "only daily-budget campaigns take a daily budget"
            )
        self.client.update_campaign(account_id, campaign_id, budget=round(float(amount), 2))
        return _num(before.get("budget")) if before.get("budget") is not None else None

    def set_status(self, account_id: str, entity: Entity, entity_id: str, status: Status) -> str | None:
        if status not in STATUS_OUT:
            raise BadRequest(f"status must be ENABLED or PAUSED, got {status}")
        if entity == "campaign":
            items = self.client.campaigns(account_id)
            key = "campaign_id"
        elif entity == "ad_group":
            items, key = self.client.adgroups(account_id), "adgroup_id"
        elif entity == "ad":
            items, key = self.client.ads(account_id), "ad_id"
        else:
            raise BadRequest(f"unknown entity {entity}")
        match = [i for i in items if str(i.get(key)) == entity_id]
        if not match:
            raise BadRequest(f"no tiktok {entity} {entity_id} in advertiser {account_id}")
        self.client.update_status(account_id, entity, [entity_id], STATUS_OUT[status])
        return _status(match[0])

    def set_bid(self, account_id: str, entity: Entity, entity_id: str, amount: float) -> float | None:
        if amount <= 0:
            raise BadRequest(f"bid must be positive, got {amount}")
        if entity != "ad_group":
            raise BadRequest("tiktok bids live on ad groups: set_bid takes entity 'ad_group'")
        match = [g for g in self.client.adgroups(account_id) if str(g.get("adgroup_id")) == entity_id]
        if not match:
            raise BadRequest(f"no tiktok ad group {entity_id} in advertiser {account_id}")
        self.client.update_adgroup(account_id, entity_id, bid_price=round(float(amount), 2))
        before = match[0].get("bid_price")
        return _num(before) if before not in (None, "", 0) else None

    def create_campaign(self, account_id: str, template: CampaignTemplate) -> str:
        if template.daily_budget <= 0:
            raise BadRequest("template daily_budget must be positive")
        fields = {
            "campaign_name": template.name,
            "objective_type": template.objective,
            "budget_mode": "BUDGET_MODE_DAY",
            "budget": round(float(template.daily_budget), 2),
            "operation_status": "DISABLE",
            **template.extra,
        }
        return self.client.create(
            lambda: str(self.client.create_campaign(account_id, **fields)["campaign_id"]),
            lambda: named(self.client.campaigns(account_id), template.name, "campaign_name", "campaign_id"),
        )

    def create_ad_group(self, account_id: str, campaign_id: str, template: AdGroupTemplate) -> str:
        """A disabled ad group (adgroup/create): automatic placement, the template's countries as
        TikTok location ids, a daily budget (TikTok's minimum is 20 a day), from now on, with the
        objective's optimisation goal and no bid (lowest cost) unless a bid is given."""
        countries = [c for c in template.extra.get("countries", "US").split(",") if c]
        unknown = [c for c in countries if c not in LOCATION_IDS]
        if unknown:
            raise BadRequest(
                f"tiktok: no location id known for {', '.join(unknown)} (known: {', '.join(sorted(LOCATION_IDS))})"
            )
        goal, billing = OPTIMIZATION.get(template.objective.upper(), ("CLICK", "CPC"))
        fields: dict[str, Any] = {
            "campaign_id": campaign_id,
            "adgroup_name": template.name,
            "placement_type": "PLACEMENT_TYPE_AUTOMATIC",
            "location_ids": [LOCATION_IDS[c] for c in countries],
            "budget_mode": "BUDGET_MODE_DAY",
            "budget": round(float(template.daily_budget or 20.0), 2),
            "schedule_type": "SCHEDULE_FROM_NOW",
            "schedule_start_time": clock.now().strftime("%Y-%m-%d %H:%M:%S"),
            "optimization_goal": goal,
            "billing_event": billing,
            "bid_type": "BID_TYPE_CUSTOM" if template.bid_amount else "BID_TYPE_NO_BID",
            "operation_status": "DISABLE",
        }
        if template.bid_amount:
            fields["bid_price"] = round(float(template.bid_amount), 2)

        def find() -> str | None:
            mine = [
                g
                for g in self.client.adgroups(account_id)
                if str(g.get("campaign_id")) == str(campaign_id) and _status(g) != "REMOVED"
            ]
            return named(mine, template.name, "adgroup_name", "adgroup_id")

        return find() or self.client.create(
            lambda: str(self.client.create_adgroup(account_id, **fields)["adgroup_id"]), find
        )

    def create_ad(self, account_id: str, ad_group_id: str, template: AdTemplate) -> str:
        """A disabled single-video ad (ad/create): the video `video_id` posted as the identity
        `identity_id` (a custom identity unless `identity_type` says otherwise), the text (1-100
        characters) and the landing page."""
        missing = [k for k in ("identity_id", "video_id") if not template.extra.get(k)]
        if missing:
            raise BadRequest(f"tiktok: an ad needs {' and '.join('tiktok.' + m for m in missing)}")
        creative = {
            "ad_name": template.name,
            "identity_type": template.extra.get("identity_type", "CUSTOMIZED_USER"),
            "identity_id": template.extra["identity_id"],
            "ad_format": "SINGLE_VIDEO",
            "video_id": template.extra["video_id"],
            "ad_text": template.descriptions[0] if template.descriptions else "",
            "call_to_action": template.extra.get("call_to_action", "LEARN_MORE"),
            "landing_page_url": template.landing_url,
            "operation_status": "DISABLE",
        }

        def find() -> str | None:
            mine = [
                a
                for a in self.client.ads(account_id)
                if str(a.get("adgroup_id")) == str(ad_group_id) and _status(a) != "REMOVED"
            ]
            return named(mine, template.name, "ad_name", "ad_id")

        def send() -> str:
            ids = self.client.create_ads(account_id, ad_group_id, [creative]).get("ad_ids") or []
            if not ids:
                raise BadRequest("tiktok: ad/create returned no ad id")
            return str(ids[0])

        return find() or self.client.create(send, find)

    def remove(self, account_id: str, entity: Entity, entity_id: str) -> str:
        """operation_status DELETE (campaign/, adgroup/ or ad/status/update): deleted for good."""
        self.client.update_status(account_id, entity, [entity_id], "DELETE")
        return "REMOVED"

    # ------------------------------------------------------------------ helpers

    def _report(
        self,
        account_id: str,
        level: str,
        id_dim: str,
        attrs: list[str],
        since: date,
        until: date,
        extra: tuple[str, ...] | list[str] = (),
    ) -> Iterator[dict[str, Any]]:
        """Rows over [since, until] in chunks of <= 30 days; a 40067 halves the chunk and retries it."""
        metrics = [*attrs, *METRICS, self.value_metric, *extra]
        step = MAX_REPORT_DAYS
        start = since
        while start <= until:
            end = min(start + timedelta(days=step - 1), until)
            try:
                rows = self.client.report(account_id, level, [id_dim, "stat_time_day"], metrics, start, end)
            except QueryTooLarge:
                if step == 1:
                    raise
                step = max(1, step // 2)
                continue
            yield from rows
            start = end + timedelta(days=1)

    def _metrics(self, m: dict[str, Any]) -> dict[str, Any]:
        return {
            "impressions": int(_num(m.get("impressions"))),
            "clicks": int(_num(m.get("clicks"))),
            "spend": _num(m.get("spend")),
            "conversions": _num(m.get("conversion")),
            "conversion_value": _num(m.get(self.value_metric)),
        }

    def _campaign(self, account_id: str, campaign_id: str) -> dict[str, Any]:
        for c in self.client.campaigns(account_id):
            if str(c.get("campaign_id")) == campaign_id:
                return c
        raise BadRequest(f"no tiktok campaign {campaign_id} in advertiser {account_id}")


def connector(account: AccountConfig) -> TikTokConnector:
    """The TikTok client for one advertiser account."""
    return TikTokConnector(account)


def _json(value: Any) -> str:
    """TikTok takes list parameters as JSON arrays in the query string."""
    return json.dumps(value, separators=(",", ":"))


def _num(value: Any) -> float:
    """A metric or money value: TikTok sends numbers as strings, '-' or '' when there is none."""
    if value in (None, "", "-", "N/A"):
        return 0.0
    return float(value)


def _day(value: Any) -> date | None:
    """'2026-11-01 00:00:00' (advertiser time zone) -> date."""
    if not value:
        return None
    return date.fromisoformat(str(value)[:10])


def _status(item: dict[str, Any]) -> str:
    secondary = str(item.get("secondary_status") or "")
    if secondary.endswith("_DELETE"):
        return "REMOVED"
    raw = str(item.get("operation_status") or "")
    return STATUS_IN.get(raw, raw)


def _zone(*candidates: Any) -> str:
    """The first candidate that is a known IANA zone (TikTok also sends offsets such as 'Etc/GMT+8')."""
    for name in candidates:
        if not name:
            continue
        try:
            ZoneInfo(str(name))
            return str(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return "UTC"


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)
