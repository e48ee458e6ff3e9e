"""Pinterest Ads (API v5) client and connector.

Reads the ad account, campaigns, ad groups, ads and daily analytics at campaign and ad level;
writes budgets (campaign `daily_spend_cap`), statuses, ad-group bids and paused campaigns.

Pinterest specifics handled here:
- lists page with `page_size` (max 250) and the `bookmark` the previous page returned;
- synchronous analytics (`/campaigns/analytics`, `/ads/analytics`) reach 90 days back, at most
  90 days per call and 250 ids per call, so ids are chunked; older or longer windows go through
  async reports (`POST /ad_accounts/{id}/reports` -> poll `GET .../reports?token=` until
  `FINISHED` -> download the JSON file), at most 186 days per report;
- money is in micro-units of the account currency (`*_IN_MICRO_DOLLAR`, `*_in_micro_currency`);
- analytics dates are UTC days (the ad account has no time zone in the API);
- OAuth2 refresh uses HTTP Basic client authentication, and Pinterest rotates refresh tokens.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import httpx
import pandas as pd

from adops import clock
from adops.config import AccountConfig
from adops.connectors import paging, versions
from adops.connectors.base import (
    AD_COLUMNS,
    CAMPAIGN_COLUMNS,
    METRICS,
    AccountInfo,
    AdGroupTemplate,
    AdTemplate,
    CampaignTemplate,
    Entity,
    Status,
    normalise_status,
)
from adops.connectors.errors import BadRequest, ConnectorError, RateLimited, TransientError
from adops.connectors.http import ApiClient, named, require
from adops.connectors.reports import date_chunks, json_document

API = f"/{versions.PINS['pinterest'].version}"  # v5 (adops.connectors.versions)
MICRO = 1_000_000
#: conversion event -> (count column, value column or None)
CONVERSION_EVENTS = {
    "CHECKOUT": ("TOTAL_CHECKOUT", "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR"),
    "WEB_CHECKOUT": ("TOTAL_WEB_CHECKOUT", "TOTAL_WEB_CHECKOUT_VALUE_IN_MICRO_DOLLAR"),
    "SIGNUP": ("TOTAL_SIGNUP", "TOTAL_SIGNUP_VALUE_IN_MICRO_DOLLAR"),
    "LEAD": ("TOTAL_LEAD", None),
    "CUSTOM": ("TOTAL_CUSTOM", "TOTAL_CUSTOM_VALUE_IN_MICRO_DOLLAR"),
    "CONVERSIONS": ("TOTAL_CONVERSIONS", None),
}
OBJECTIVES = {
    "CONVERSIONS": "WEB_CONVERSION",
    "SALES": "WEB_CONVERSION",
    "WEB_CONVERSION": "WEB_CONVERSION",
    "CATALOG_SALES": "CATALOG_SALES",
    "TRAFFIC": "CONSIDERATION",
    "CONSIDERATION": "CONSIDERATION",
    "AWARENESS": "AWARENESS",
    "REACH": "AWARENESS",
    "VIDEO_VIEW": "VIDEO_VIEW",
    "VIDEO_COMPLETION": "VIDEO_COMPLETION",
    "WEB_SESSIONS": "WEB_SESSIONS",
}
LEVEL_ID = {"CAMPAIGN": "CAMPAIGN_ID", "AD": "AD_ID"}
#: The async report `level` of each grain. Pinterest's report levels (MetricsReportingLevel in the v5
#: reference) call the ad level PIN_PROMOTION; "AD" is not one of them and is refused with a 400.
#: https://github.com/pinterest/api-description (v5/openapi.yaml, MetricsReportingLevel)
REPORT_LEVEL = {"CAMPAIGN": "CAMPAIGN", "AD": "PIN_PROMOTION"}


class PinterestClient(ApiClient):
    """Pinterest API v5 for one ad account: one method per endpoint, paging and reports included."""

    platform = "pinterest"
    default_base_url = "https://api.pinterest.com"
    default_token_url = f"{API}/oauth/token"
    page_size: ClassVar[int] = 250
    #: ids per synchronous analytics call (Pinterest's limit)
    max_ids: ClassVar[int] = 250

    # ------------------------------------------------------------------ auth and errors

    def refresh_form(self) -> dict[str, str]:
        """Pinterest authenticates the client with HTTP Basic, not in the form."""
        return {"grant_type": "refresh_token", "refresh_token": self.refresh_token or ""}

    def refresh(self) -> None:
        self.http.auth = httpx.BasicAuth(
            self.account.credential("client_id") or "", self.account.credential("client_secret") or ""
        )
        try:
            super().refresh()
        finally:
            self.http.auth = None  # type: ignore[assignment]  # back to no client-level auth

    def error_for(self, response: httpx.Response, body: Any) -> ConnectorError | None:
        """Pinterest's `{code, message}` errors by HTTP status; 429 waits for Retry-After or the reset."""
        error = super().error_for(response, body)
        if isinstance(error, RateLimited) and error.retry_after is None:
            reset = response.headers.get("x-ratelimit-reset")
            if reset and reset.replace(".", "", 1).isdigit():
                error.retry_after = float(reset)
        return error

    # ------------------------------------------------------------------ endpoints

    def items(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """GET a list endpoint, following `bookmark` until Pinterest returns none."""
        return self.paginate(
            path,
            {"page_size": self.page_size, **(params or {})},
            items=paging.dig("items"),
            next_page=paging.cursor("bookmark", paging.dig("bookmark")),
        )

    def ad_account(self, account_id: str) -> dict[str, Any]:
        return dict(self.get(f"{API}/ad_accounts/{account_id}"))

    def campaigns(self, account_id: str) -> list[dict[str, Any]]:
        return list(self.items(f"{API}/ad_accounts/{account_id}/campaigns"))

    def ad_groups(self, account_id: str) -> list[dict[str, Any]]:
        return list(self.items(f"{API}/ad_accounts/{account_id}/ad_groups"))

    def ads(self, account_id: str) -> list[dict[str, Any]]:
        return list(self.items(f"{API}/ad_accounts/{account_id}/ads"))

    def analytics(
        self, account_id: str, level: str, ids: list[str], since: date, until: date, columns: list[str]
    ) -> list[dict[str, Any]]:
        """GET /campaigns/analytics or /ads/analytics: daily rows, ids chunked to the API's limit."""
        kind = {"CAMPAIGN": "campaigns", "AD": "ads"}[level]
        id_param = {"CAMPAIGN": "campaign_ids", "AD": "ad_ids"}[level]
        rows: list[dict[str, Any]] = []
        for start in range(0, len(ids), self.max_ids):
            params = {
                "start_date": since.isoformat(),
                "end_date": until.isoformat(),
                id_param: ",".join(ids[start : start + self.max_ids]),
                "columns": ",".join(columns),
                "granularity": "DAY",
            }
            rows += self.get(f"{API}/ad_accounts/{account_id}/{kind}/analytics", params=params)
        return rows

    def create_report(self, account_id: str, request: dict[str, Any]) -> str:
        """POST /ad_accounts/{id}/reports (JSON body only); returns the report token."""
        body = self.post(f"{API}/ad_accounts/{account_id}/reports", json=request)
        return str(body["token"])

    def report(self, account_id: str, token: str) -> dict[str, Any]:
        return dict(self.get(f"{API}/ad_accounts/{account_id}/reports", params={"token": token}))

    def run_report(self, account_id: str, request: dict[str, Any]) -> list[dict[str, Any]]:
        """Create an async report, poll until FINISHED, download the JSON file and flatten its rows."""
        token = self.create_report(account_id, request)
        status = self.await_report(
            token,
            lambda: self.report(account_id, token),
            done=lambda s: s.get("report_status") == "FINISHED",
            failed=lambda s: (
                f"ended as {s['report_status']}"
                if s.get("report_status") in ("FAILED", "CANCELLED", "EXPIRED", "DOES_NOT_EXIST")
                else None
            ),
        )
        return _flatten(json_document(self.download(str(status.get("url") or "")), self.who))

    def patch(self, account_id: str, kind: str, updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """PATCH /ad_accounts/{id}/{campaigns|ad_groups|ads}: bulk update; per-item exceptions raise."""
        body = self.request("PATCH", f"{API}/ad_accounts/{account_id}/{kind}", json=updates)
        return _bulk_items(body, f"update {kind}")

    def create_campaigns(self, account_id: str, campaigns: list[dict[str, Any]]) -> list[dict[str, Any]]:
        body = self.post(f"{API}/ad_accounts/{account_id}/campaigns", json=campaigns)
        return _bulk_items(body, "create campaigns")

    def create_items(self, account_id: str, kind: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """POST /ad_accounts/{id}/ad_groups or /ads: bulk create; per-item exceptions raise."""
        body = self.post(f"{API}/ad_accounts/{account_id}/{kind}", json=items)
        return _bulk_items(body, f"create {kind}")


class PinterestConnector:
    """The connector protocol over Pinterest API v5."""

    platform = "pinterest"
    #: synchronous analytics reach this many days back (UTC) ...
    sync_history_days: ClassVar[int] = 90
    #: ... and are used for windows up to this long; others run async reports
    sync_max_days: ClassVar[int] = 31
    #: days per async report (Pinterest's maximum range)
    report_days: ClassVar[int] = 186

    def __init__(self, account: AccountConfig, client: PinterestClient | None = None) -> None:
        if not account.credential("refresh_token"):
            require(account, "access_token")
        self.client = client or PinterestClient(account)
        event = (account.credential("conversion_event") or "CHECKOUT").upper()
        if event not in CONVERSION_EVENTS:
            raise BadRequest(
                f"pinterest conversion_event '{event}' is not one of {', '.join(CONVERSION_EVENTS)}"
            )
        self.conversion_columns = CONVERSION_EVENTS[event]
        self._info: dict[str, AccountInfo] = {}

    # reads
    def account(self, account_id: str) -> AccountInfo:
        if account_id not in self._info:
            raw = self.client.ad_account(account_id)
            self._info[account_id] = AccountInfo(
                "pinterest", account_id, str(raw.get("name") or account_id), str(raw["currency"]), "UTC"
            )
        return self._info[account_id]

    def campaigns(self, account_id: str) -> pd.DataFrame:
        info = self.account(account_id)
        bids: dict[str, float] = {}
        for g in self.client.ad_groups(account_id):
            if g.get("bid_in_micro_currency") is not None:
                bids.setdefault(str(g["campaign_id"]), int(g["bid_in_micro_currency"]) / MICRO)
        rows = [
            {
                "platform": "pinterest",
                "account_id": account_id,
                "campaign_id": str(c["id"]),
                "campaign_name": c.get("name"),
                "status": normalise_status(c.get("status")),
                "objective": c.get("objective_type"),
                "daily_budget": _micros(c.get("daily_spend_cap")),
                "lifetime_budget": _micros(c.get("lifetime_spend_cap")),
                "bidding_strategy": "CBO" if c.get("is_campaign_budget_optimization") else None,
                "bid_amount": bids.get(str(c["id"])),
                "currency": info.currency,
                "start_date": datetime.fromtimestamp(int(c["start_time"]), UTC).date()
                if c.get("start_time")
                else None,
            }
            for c in self.client.campaigns(account_id)
        ]
        return pd.DataFrame(rows, columns=CAMPAIGN_COLUMNS)

    def ads(self, account_id: str) -> pd.DataFrame:
        groups = {str(g["id"]): g for g in self.client.ad_groups(account_id)}
        rows = [
            {
                "platform": "pinterest",
                "account_id": account_id,
                "ad_id": str(a["id"]),
                "ad_group_id": str(a["ad_group_id"]),
                "ad_group_name": groups.get(str(a["ad_group_id"]), {}).get("name"),
                "campaign_id": str(a["campaign_id"]),
                "ad_name": a.get("name"),
                "status": normalise_status(a.get("status")),
                "creative_type": a.get("creative_type"),
                "headline": a.get("name"),
                "landing_url": a.get("destination_url"),
            }
            for a in self.client.ads(account_id)
        ]
        return pd.DataFrame(rows, columns=AD_COLUMNS)

    def campaign_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        campaigns = {str(c["id"]): c for c in self.client.campaigns(account_id)}
        rows = self._analytics(account_id, "CAMPAIGN", list(campaigns), since, until)
        frame = pd.DataFrame(
            [
                {
                    "campaign_id": str(r["CAMPAIGN_ID"]),
                    "campaign_name": campaigns.get(str(r["CAMPAIGN_ID"]), {}).get("name"),
                    **self._metrics(r),
                }
                for r in rows
            ],
            columns=["campaign_id", "campaign_name", "date", *METRICS],
        )
        return self._finish(
            frame, account_id, ["date", "platform", "account_id", "campaign_id", "campaign_name"]
        )

    def ad_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        ads = {str(a["id"]): a for a in self.client.ads(account_id)}
        rows = self._analytics(account_id, "AD", list(ads), since, until)
        out = []
        for r in rows:
            ad_id = str(r.get("AD_ID") or r["PIN_PROMOTION_ID"])  # a pin promotion is an ad; same id
            ad = ads.get(ad_id, {})
            out.append(
                {
                    "campaign_id": str(r.get("CAMPAIGN_ID") or ad.get("campaign_id")),
                    "ad_group_id": str(r.get("AD_GROUP_ID") or ad.get("ad_group_id")),
                    "ad_id": ad_id,
                    "ad_name": ad.get("name"),
                    **self._metrics(r),
                }
            )
        frame = pd.DataFrame(
            out, columns=["campaign_id", "ad_group_id", "ad_id", "ad_name", "date", *METRICS]
        )
        keys = ["date", "platform", "account_id", "campaign_id", "ad_group_id", "ad_id", "ad_name"]
        return self._finish(frame, account_id, keys)

    # writes
    def set_daily_budget(self, account_id: str, campaign_id: str, amount: float) -> float | None:
        if amount <= 0:
            raise BadRequest(f"daily budget must be positive, got {amount}")
        before = self._find(self.client.campaigns(account_id), campaign_id, "campaign")
        self.client.patch(
            account_id, "campaigns", [{"id": campaign_id, "daily_spend_cap": round(amount * MICRO)}]
        )
        return _micros(before.get("daily_spend_cap"))

    def set_status(self, account_id: str, entity: Entity, entity_id: str, status: Status) -> str | None:
        if status not in ("ENABLED", "PAUSED"):
            raise BadRequest(f"status must be ENABLED or PAUSED, got {status}")
        kind = {"campaign": "campaigns", "ad_group": "ad_groups", "ad": "ads"}[entity]
        items = {
            "campaigns": self.client.campaigns,
            "ad_groups": self.client.ad_groups,
            "ads": self.client.ads,
        }[kind](account_id)
        before = self._find(items, entity_id, entity)
        value = "ACTIVE" if status == "ENABLED" else "PAUSED"
        self.client.patch(account_id, kind, [{"id": entity_id, "status": value}])
        return normalise_status(before.get("status"))

    def set_bid(self, account_id: str, entity: Entity, entity_id: str, amount: float) -> float | None:
        """Pinterest bids live on ad groups: one ad group's, or every ad group of a campaign."""
        if amount <= 0:
            raise BadRequest(f"bid must be positive, got {amount}")
        groups = self.client.ad_groups(account_id)
        if entity == "ad_group":
            targets = [self._find(groups, entity_id, "ad group")]
        elif entity == "campaign":
            targets = [g for g in groups if str(g["campaign_id"]) == entity_id]
            if not targets:
                raise BadRequest(f"pinterest campaign {entity_id} has no ad groups to bid on")
        else:
            raise BadRequest(
                "pinterest bids are set on ad groups (entity ad_group) or a campaign's ad groups"
            )
        micros = round(amount * MICRO)
        self.client.patch(
            account_id, "ad_groups", [{"id": str(g["id"]), "bid_in_micro_currency": micros} for g in targets]
        )
        return _micros(targets[0].get("bid_in_micro_currency"))

    def create_campaign(self, account_id: str, template: CampaignTemplate) -> str:
        if template.daily_budget <= 0:
            raise BadRequest("template daily_budget must be positive")
        objective = OBJECTIVES.get(template.objective.upper())
        if not objective:
            raise BadRequest(
                f"pinterest has no objective like '{template.objective}' (use WEB_CONVERSION, ...)"
            )
        campaign = {
            "ad_account_id": account_id,
            "name": template.name,
            "status": "PAUSED",
            "objective_type": objective,
            "daily_spend_cap": round(template.daily_budget * MICRO),
        }
        return self.client.create(
            lambda: str(self.client.create_campaigns(account_id, [campaign])[0]["id"]),
            lambda: named(self.client.campaigns(account_id), template.name),
        )

    def create_ad_group(self, account_id: str, campaign_id: str, template: AdGroupTemplate) -> str:
        """A PAUSED ad group (POST /ad_accounts/{id}/ad_groups) billed per click, or per impression
        for awareness; automatic bidding unless a bid is given; targeting the template's countries."""
        awareness = template.objective.upper() == "AWARENESS"
        group: dict[str, Any] = {
            "ad_account_id": account_id,
            "campaign_id": campaign_id,
            "name": template.name,
            "status": "PAUSED",
            "billable_event": "IMPRESSION" if awareness else "CLICKTHROUGH",
            "targeting_spec": {"GEO": [c for c in template.extra.get("countries", "US").split(",") if c]},
            "auto_targeting_enabled": True,
        }
        if template.bid_amount:
            group["bid_in_micro_currency"] = round(template.bid_amount * MICRO)
        else:
            group["bid_strategy_type"] = "AUTOMATIC_BID"
        if template.daily_budget:
            group["budget_in_micro_currency"] = round(template.daily_budget * MICRO)
            group["budget_type"] = "DAILY"

        def find() -> str | None:
            mine = [
                g
                for g in self.client.ad_groups(account_id)
                if str(g.get("campaign_id")) == str(campaign_id) and g.get("status") != "ARCHIVED"
            ]
            return named(mine, template.name)

        return find() or self.client.create(
            lambda: str(self.client.create_items(account_id, "ad_groups", [group])[0]["id"]), find
        )

    def create_ad(self, account_id: str, ad_group_id: str, template: AdTemplate) -> str:
        """A PAUSED promoted pin (POST /ad_accounts/{id}/ads): the organic pin `pin_id` with the
        template's landing page. Its title and text are the pin's own, set where the pin is made."""
        pin_id = template.extra.get("pin_id")
        if not pin_id:
            raise BadRequest(
                "pinterest: a pin promotion needs the organic pin it promotes (asset pinterest.pin_id)"
            )
        ad = {
            "ad_group_id": ad_group_id,
            "creative_type": template.extra.get("creative_type", "REGULAR"),
            "pin_id": pin_id,
            "name": template.name,
            "status": "PAUSED",
            "destination_url": template.landing_url,
        }

        def find() -> str | None:
            mine = [
                a
                for a in self.client.ads(account_id)
                if str(a.get("ad_group_id")) == str(ad_group_id) and a.get("status") != "ARCHIVED"
            ]
            return named(mine, template.name)

        return find() or self.client.create(
            lambda: str(self.client.create_items(account_id, "ads", [ad])[0]["id"]), find
        )

    def remove(self, account_id: str, entity: Entity, entity_id: str) -> str:
        """Pinterest deletes nothing through the API: status ARCHIVED (which cannot be undone)."""
        kind = {"campaign": "campaigns", "ad_group": "ad_groups", "ad": "ads"}[entity]
        self.client.patch(account_id, kind, [{"id": entity_id, "status": "ARCHIVED"}])
        return "ARCHIVED"

    # helpers
    def _columns(self, level: str) -> list[str]:
        count, value = self.conversion_columns
        extra = ["AD_GROUP_ID", "CAMPAIGN_ID"] if level == "AD" else []
        return [
            LEVEL_ID[level],
            *extra,
            "PAID_IMPRESSION",
            "CLICKTHROUGH_1",
            "SPEND_IN_MICRO_DOLLAR",
            count,
        ] + ([value] if value else [])

    def _analytics(
        self, account_id: str, level: str, ids: list[str], since: date, until: date
    ) -> list[dict[str, Any]]:
        """Daily rows: synchronous analytics for short recent windows, async reports otherwise."""
        if since > until or not ids:
            return []
        columns = self._columns(level)
        recent = since >= clock.today() - timedelta(days=self.sync_history_days)
        if recent and (until - since).days + 1 <= self.sync_max_days:
            return self.client.analytics(account_id, level, ids, since, until, columns)
        rows: list[dict[str, Any]] = []
        for start, end in date_chunks(since, until, self.report_days):
            request = {
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "granularity": "DAY",
                "level": REPORT_LEVEL[level],
                "columns": columns + (["PIN_PROMOTION_ID"] if level == "AD" else []),
                "report_format": "JSON",
            }
            rows += self.client.run_report(account_id, request)
        return rows

    def _metrics(self, row: dict[str, Any]) -> dict[str, Any]:
        count, value = self.conversion_columns
        return {
            "date": date.fromisoformat(str(row["DATE"])[:10]),
            "impressions": int(row.get("PAID_IMPRESSION") or 0),
            "clicks": int(row.get("CLICKTHROUGH_1") or 0),
            "spend": float(row.get("SPEND_IN_MICRO_DOLLAR") or 0) / MICRO,
            "conversions": float(row.get(count) or 0),
            "conversion_value": float(row.get(value) or 0) / MICRO if value else 0.0,
        }

    def _finish(self, frame: pd.DataFrame, account_id: str, keys: list[str]) -> pd.DataFrame:
        frame["platform"] = "pinterest"
        frame["account_id"] = account_id
        frame["currency"] = self.account(account_id).currency
        return frame[[*keys, "currency", *METRICS]].reset_index(drop=True)

    @staticmethod
    def _find(items: list[dict[str, Any]], entity_id: str, what: str) -> dict[str, Any]:
        for item in items:
            if str(item["id"]) == entity_id:
                return item
        raise BadRequest(f"pinterest: no {what} {entity_id} in this ad account")


def connector(account: AccountConfig) -> PinterestConnector:
    """The Pinterest client for one configured account."""
    return PinterestConnector(account)


# ---------------------------------------------------------------------------- helpers


def _micros(value: Any) -> float | None:
    return None if value is None else int(value) / MICRO


def _flatten(report: Any) -> list[dict[str, Any]]:
    """A JSON report's rows: `{"<entity id>": [rows...]}` (or a plain list) -> one list."""
    groups = (
        [report]
        if isinstance(report, list)
        else list((report or {}).values())
        if isinstance(report, dict)
        else None
    )
    if groups is None or not all(isinstance(g, list) and all(isinstance(r, dict) for r in g) for g in groups):
        raise TransientError("pinterest: the report file is not a list of rows per entity")
    return [dict(r) for group in groups for r in group]


def _bulk_items(body: Any, what: str) -> list[dict[str, Any]]:
    """Data of a bulk create/update response; any per-item exception is a BadRequest."""
    out = []
    for item in (body or {}).get("items", []):
        errors = item.get("exceptions") or []
        if errors:
            raise BadRequest(f"pinterest {what}: {errors[0].get('message', errors[0])}")
        out.append(item.get("data") or {})
    if not out:
        raise BadRequest(f"pinterest {what}: the response had no items")
    return out
