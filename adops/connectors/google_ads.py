"""Google Ads API client and connector: REST `googleAds:searchStream` with GAQL, API v26.

Reads the customer (currency, time zone), campaigns with their budgets, ads with their ad group,
and daily metrics at campaign and ad level; writes through the per-resource mutate endpoints
(`campaignBudgets:mutate`, `campaigns:mutate`, `adGroups:mutate`, `adGroupAds:mutate`).

Google Ads specifics handled here:
- every request carries the `developer-token` header next to the OAuth2 bearer, and
  `login-customer-id` (the manager's id, digits only) when the account is reached through a manager;
- REST answers in proto3 JSON: camelCase fields, int64 values as strings, and fields at their
  default (0, "", false) left out entirely, so every read has a default;
- money is in micros (`cost_micros`, `amount_micros`): divided by 1,000,000 here, and written back
  rounded to the currency's cent (Google rejects budgets that are not a multiple of it);
- `segments.date` is already the customer's local date (its `customer.time_zone`);
- errors come as `{"error": {"code", "status", "details": [GoogleAdsFailure]}}` (searchStream wraps
  them in a list); quota errors carry `quotaErrorDetails.retryDelay`, used as Retry-After.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date
from typing import Any, ClassVar

import httpx
import pandas as pd

from adops.config import AccountConfig
from adops.connectors import versions
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
from adops.connectors.http import ApiClient, require, retry_after
from adops.connectors.reports import date_chunks

#: the pinned API version (adops.connectors.versions); ADOPS_GOOGLE_ADS_VERSION overrides it
API_VERSION = versions.PINS["google_ads"].version
MICROS = 1_000_000
#: Days per metrics query: Google sets no limit, but bounded streams restart cheaply after a failure.
CHUNK_DAYS = 31
STATUS = {"ENABLED": "ENABLED", "PAUSED": "PAUSED"}  # REMOVED, UNKNOWN... are kept as they are
CHANNEL_TYPES = frozenset(
    {"SEARCH", "DISPLAY", "SHOPPING", "VIDEO", "PERFORMANCE_MAX", "DEMAND_GEN", "MULTI_CHANNEL", "LOCAL"}
)

CUSTOMER_QUERY = (
    "SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.time_zone, "
    "customer.status, customer.manager FROM customer LIMIT 1"
)
CAMPAIGN_QUERY = (
    "SELECT campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type, "
    "campaign.bidding_strategy_type, campaign.start_date_time, campaign.campaign_budget, "
    "campaign_budget.amount_micros, campaign_budget.total_amount_micros, "
    "campaign.target_cpa.target_cpa_micros, campaign.maximize_conversions.target_cpa_micros "
    "FROM campaign"
)
#: the account's enabled conversion actions and each campaign's conversion goals: a campaign counts the
#: enabled actions whose (category, origin) is one of its biddable goals (0: no conversion tracking)
CONVERSION_ACTION_QUERY = (
    "SELECT conversion_action.id, conversion_action.category, conversion_action.origin, "
    "conversion_action.status FROM conversion_action WHERE conversion_action.status = 'ENABLED'"
)
CONVERSION_GOAL_QUERY = (
    "SELECT campaign.id, campaign_conversion_goal.category, campaign_conversion_goal.origin, "
    "campaign_conversion_goal.biddable FROM campaign_conversion_goal"
)
AD_QUERY = (
    "SELECT ad_group_ad.ad.id, ad_group_ad.ad.name, ad_group_ad.ad.type, ad_group_ad.status, "
    "ad_group_ad.ad.final_urls, ad_group_ad.ad.responsive_search_ad.headlines, "
    "ad_group.id, ad_group.name, campaign.id FROM ad_group_ad"
)
METRICS = (
    "metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions, metrics.conversions_value"
)
CAMPAIGN_DAILY_QUERY = (
    "SELECT campaign.id, campaign.name, segments.date, " + METRICS + " FROM campaign "
    "WHERE segments.date BETWEEN '{since}' AND '{until}'"
)
AD_DAILY_QUERY = (
    "SELECT campaign.id, ad_group.id, ad_group_ad.ad.id, ad_group_ad.ad.name, ad_group_ad.ad.type, "
    "ad_group_ad.ad.responsive_search_ad.headlines, segments.date, " + METRICS + " FROM ad_group_ad "
    "WHERE segments.date BETWEEN '{since}' AND '{until}'"
)


def customer_id(value: str) -> str:
    """A customer id as the API wants it: digits only (the UI shows 123-456-7890)."""
    digits = re.sub(r"\D", "", value or "")
    if not digits:
        raise BadRequest(f"google_ads: '{value}' is not a customer id (10 digits, e.g. 123-456-7890)")
    return digits


def to_micros(amount: float) -> int:
    """Currency units to micros, rounded to the cent (budgets must be a multiple of the minimum unit)."""
    return int(round(amount * 100)) * 10_000


def from_micros(value: Any) -> float:
    return round(int(value or 0) / MICROS, 6)


def _retry_delay(text: str | None) -> float | None:
    """A protobuf Duration in JSON ("30s", "1.5s") as seconds."""
    if not text:
        return None
    try:
        return float(str(text).rstrip("s"))
    except ValueError:
        return None


class GoogleAdsClient(ApiClient):
    """One Google Ads customer: GAQL reads through searchStream, writes through the mutate endpoints."""

    platform = "google_ads"
    default_base_url = "https://googleads.googleapis.com"
    default_token_url: ClassVar[str | None] = "https://oauth2.googleapis.com/token"

    def __init__(self, account: AccountConfig, **kwargs: Any) -> None:
        super().__init__(account, **kwargs)
        self.developer_token = require(account, "developer_token")["developer_token"]
        login = account.credential("login_customer_id")
        self.login_customer_id = customer_id(login) if login else None

    @property
    def version(self) -> str:
        """The API version in every path: ADOPS_GOOGLE_ADS_VERSION, else the pin."""
        return versions.version("google_ads")

    def auth_headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token()}", "developer-token": self.developer_token}
        if self.login_customer_id:
            headers["login-customer-id"] = self.login_customer_id
        return headers

    def error_for(self, response: httpx.Response, body: Any) -> ConnectorError | None:
        error = _error_object(body)
        status = response.status_code
        if status < 400 and error is None:
            return None
        error = error or {}
        code = int(error.get("code") or status)
        state = str(error.get("status") or "")
        reasons, messages, delay = _failure_details(error)
        where = f"google_ads {response.request.method} {response.request.url.path}"
        message = f"{where}: HTTP {code} {state}".rstrip()
        detail = "; ".join(f"{r}: {m}" if r else m for r, m in zip(reasons, messages, strict=True) if m or r)
        message += f": {detail or error.get('message') or 'no detail'}"
        wait = retry_after(response) if retry_after(response) is not None else delay
        if code == 401 or state == "UNAUTHENTICATED":
            return AuthError(message, status=code)
        if code == 403 or state == "PERMISSION_DENIED":
            return PermissionDenied(message, status=code)
        if code == 429 or state == "RESOURCE_EXHAUSTED" or any(r.startswith("quotaError") for r in reasons):
            return RateLimited(message, retry_after=wait, status=code)
        if code >= 500 or state in ("INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED"):
            return TransientError(message, retry_after=wait, status=code)
        if code == 404 or state == "UNIMPLEMENTED":  # a sunset version answers 404 on every method
            message += f"; {versions.refused_hint('google_ads', self.version)}"
        return BadRequest(message, status=code)

    # ------------------------------------------------------------------ endpoints

    def search_stream(self, customer: str, query: str) -> list[dict[str, Any]]:
        """Every row of a GAQL query (searchStream answers a list of batches of `results`)."""
        body = self.post(
            f"/{self.version}/customers/{customer_id(customer)}/googleAds:searchStream", json={"query": query}
        )
        if not isinstance(body, list):
            raise TransientError("google_ads searchStream: expected a list of result batches")
        rows: list[dict[str, Any]] = []
        for batch in body:
            rows.extend(batch.get("results", []))
        return rows

    def mutate(
        self, customer: str, resource: str, operations: list[dict[str, Any]], *, validate_only: bool = False
    ) -> list[dict[str, Any]]:
        """POST customers/{id}/{resource}:mutate; returns the `results` (resource names)."""
        payload: dict[str, Any] = {"operations": operations}
        if validate_only:
            payload["validateOnly"] = True
        body = self.post(f"/{self.version}/customers/{customer_id(customer)}/{resource}:mutate", json=payload)
        return list((body or {}).get("results", []))

    def list_accessible_customers(self) -> list[str]:
        """The customers the OAuth user can reach directly (`customers:listAccessibleCustomers`)."""
        body = self.get(f"/{self.version}/customers:listAccessibleCustomers")
        return [name.rsplit("/", 1)[-1] for name in (body or {}).get("resourceNames", [])]


class GoogleAdsConnector:
    """The connector protocol over `GoogleAdsClient`."""

    platform = "google_ads"

    def __init__(self, client: GoogleAdsClient) -> None:
        self.client = client
        self._info: dict[str, AccountInfo] = {}

    # ------------------------------------------------------------------ reads

    def account(self, account_id: str) -> AccountInfo:
        rows = self.client.search_stream(account_id, CUSTOMER_QUERY)
        if not rows:
            raise PermissionDenied(f"google_ads: customer {account_id} returned no customer row")
        c = rows[0].get("customer", {})
        info = AccountInfo(
            platform=self.platform,
            account_id=account_id,
            name=c.get("descriptiveName") or str(c.get("id", account_id)),
            currency=c.get("currencyCode") or "USD",
            timezone=c.get("timeZone") or "UTC",
            status=c.get("status") or "ENABLED",
        )
        self._info[account_id] = info
        return info

    def campaigns(self, account_id: str) -> pd.DataFrame:
        currency = self._currency(account_id)
        counted = self._conversion_actions(account_id)
        rows = []
        for r in self.client.search_stream(account_id, CAMPAIGN_QUERY):
            c, budget = r.get("campaign", {}), r.get("campaignBudget", {})
            target = (c.get("targetCpa") or {}).get("targetCpaMicros") or (
                c.get("maximizeConversions") or {}
            ).get("targetCpaMicros")
            total = budget.get("totalAmountMicros")
            start = (c.get("startDateTime") or "")[:10]
            rows.append(
                {
                    "platform": self.platform,
                    "account_id": account_id,
                    "campaign_id": str(c.get("id")),
                    "campaign_name": c.get("name", ""),
                    "status": _status(c.get("status")),
                    "objective": c.get("advertisingChannelType"),
                    "daily_budget": from_micros(budget["amountMicros"]) if "amountMicros" in budget else None,
                    "lifetime_budget": from_micros(total) if total else None,
                    "bidding_strategy": c.get("biddingStrategyType"),
                    "bid_amount": from_micros(target) if target else None,
                    "currency": currency,
                    "start_date": date.fromisoformat(start) if start else None,
                    "conversion_actions": counted.get(str(c.get("id")), 0),
                }
            )
        return pd.DataFrame(rows, columns=CAMPAIGN_COLUMNS)

    def _conversion_actions(self, account_id: str) -> dict[str, int]:
        """Per campaign: the enabled conversion actions it counts, those whose (category, origin) is
        one of its biddable conversion goals (proto3 JSON leaves `biddable: false` out)."""
        enabled: dict[tuple[str, str], int] = {}
        for r in self.client.search_stream(account_id, CONVERSION_ACTION_QUERY):
            a = r.get("conversionAction", {})
            key = (str(a.get("category")), str(a.get("origin")))
            enabled[key] = enabled.get(key, 0) + 1
        counted: dict[str, int] = {}
        for r in self.client.search_stream(account_id, CONVERSION_GOAL_QUERY):
            goal, campaign = r.get("campaignConversionGoal", {}), str(r.get("campaign", {}).get("id"))
            n = enabled.get((str(goal.get("category")), str(goal.get("origin"))), 0)
            counted[campaign] = counted.get(campaign, 0) + (n if goal.get("biddable") else 0)
        return counted

    def ads(self, account_id: str) -> pd.DataFrame:
        rows = []
        for r in self.client.search_stream(account_id, AD_QUERY):
            aga, ad = r.get("adGroupAd", {}), r.get("adGroupAd", {}).get("ad", {})
            group = r.get("adGroup", {})
            urls = ad.get("finalUrls") or []
            rows.append(
                {
                    "platform": self.platform,
                    "account_id": account_id,
                    "ad_id": str(ad.get("id")),
                    "ad_group_id": str(group.get("id")),
                    "ad_group_name": group.get("name", ""),
                    "campaign_id": str(r.get("campaign", {}).get("id")),
                    "ad_name": _ad_name(ad),
                    "status": _status(aga.get("status")),
                    "creative_type": ad.get("type"),
                    "headline": _headline(ad),
                    "landing_url": urls[0] if urls else None,
                }
            )
        return pd.DataFrame(rows, columns=AD_COLUMNS)

    def campaign_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        currency = self._currency(account_id)
        rows = []
        for start, end in date_chunks(since, until, CHUNK_DAYS):
            query = CAMPAIGN_DAILY_QUERY.format(since=start.isoformat(), until=end.isoformat())
            for r in self.client.search_stream(account_id, query):
                c = r.get("campaign", {})
                rows.append(
                    {
                        "date": date.fromisoformat(r["segments"]["date"]),
                        "platform": self.platform,
                        "account_id": account_id,
                        "campaign_id": str(c.get("id")),
                        "campaign_name": c.get("name", ""),
                        "currency": currency,
                        **_metrics(r.get("metrics", {})),
                    }
                )
        return pd.DataFrame(rows, columns=CAMPAIGN_DAILY_COLUMNS)

    def ad_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        currency = self._currency(account_id)
        rows = []
        for start, end in date_chunks(since, until, CHUNK_DAYS):
            query = AD_DAILY_QUERY.format(since=start.isoformat(), until=end.isoformat())
            for r in self.client.search_stream(account_id, query):
                ad = r.get("adGroupAd", {}).get("ad", {})
                rows.append(
                    {
                        "date": date.fromisoformat(r["segments"]["date"]),
                        "platform": self.platform,
                        "account_id": account_id,
                        "campaign_id": str(r.get("campaign", {}).get("id")),
                        "ad_group_id": str(r.get("adGroup", {}).get("id")),
                        "ad_id": str(ad.get("id")),
                        "ad_name": _ad_name(ad),
                        "currency": currency,
                        **_metrics(r.get("metrics", {})),
                    }
                )
        return pd.DataFrame(rows, columns=AD_DAILY_COLUMNS)

    # ------------------------------------------------------------------ writes

    def set_daily_budget(self, account_id: str, campaign_id: str, amount: float) -> float | None:
        if amount <= 0:
            raise BadRequest(f"daily budget must be positive, got {amount}")
        rows = self.client.search_stream(
            account_id,
            "SELECT campaign.id, campaign.campaign_budget, campaign_budget.amount_micros, "
            f"campaign_budget.explicitly_shared FROM campaign WHERE campaign.id = {_numeric(campaign_id)}",
        )
        if not rows:
            raise BadRequest(f"google_ads: no campaign {campaign_id} in customer {account_id}")
        budget = rows[0].get("campaignBudget", {})
        if budget.get("explicitlyShared"):
            raise BadRequest(
                f"google_ads: campaign {campaign_id} uses a shared budget; changing it would change every "
                "campaign that shares it, so change it in Google Ads (Shared library > Budgets)"
            )
        resource = rows[0].get("campaign", {}).get("campaignBudget")
        self.client.mutate(
            account_id,
            "campaignBudgets",
            [
                {
                    "update": {"resourceName": resource, "amountMicros": str(to_micros(amount))},
                    "updateMask": "amountMicros",
                }
            ],
        )
        return from_micros(budget.get("amountMicros"))

    def set_status(self, account_id: str, entity: Entity, entity_id: str, status: Status) -> str | None:
        if status not in ("ENABLED", "PAUSED"):
            raise BadRequest(f"status must be ENABLED or PAUSED, got {status}")
        cid, eid = customer_id(account_id), _numeric(entity_id)
        if entity == "campaign":
            rows = self._one(
                account_id, f"SELECT campaign.status FROM campaign WHERE campaign.id = {eid}", entity_id
            )
            before, resource, name = (
                rows.get("campaign", {}).get("status"),
                f"customers/{cid}/campaigns/{eid}",
                "campaigns",
            )
        elif entity == "ad_group":
            rows = self._one(
                account_id, f"SELECT ad_group.status FROM ad_group WHERE ad_group.id = {eid}", entity_id
            )
            before, resource, name = (
                rows.get("adGroup", {}).get("status"),
                f"customers/{cid}/adGroups/{eid}",
                "adGroups",
            )
        elif entity == "ad":
            rows = self._one(
                account_id,
                f"SELECT ad_group.id, ad_group_ad.status FROM ad_group_ad WHERE ad_group_ad.ad.id = {eid}",
                entity_id,
            )
            group = rows.get("adGroup", {}).get("id")
            before, resource, name = (
                rows.get("adGroupAd", {}).get("status"),
                f"customers/{cid}/adGroupAds/{group}~{eid}",
                "adGroupAds",
            )
        else:
            raise BadRequest(f"unknown entity {entity}")
        self.client.mutate(
            account_id,
            name,
            [{"update": {"resourceName": resource, "status": status}, "updateMask": "status"}],
        )
        return _status(before)

    def set_bid(self, account_id: str, entity: Entity, entity_id: str, amount: float) -> float | None:
        """Ad group: its max CPC. Campaign: its target CPA (Target CPA / Maximize conversions)."""
        if amount <= 0:
            raise BadRequest(f"bid must be positive, got {amount}")
        cid, eid, micros = customer_id(account_id), _numeric(entity_id), str(to_micros(amount))
        if entity == "ad_group":
            row = self._one(
                account_id,
                f"SELECT ad_group.cpc_bid_micros FROM ad_group WHERE ad_group.id = {eid}",
                entity_id,
            )
            before = row.get("adGroup", {}).get("cpcBidMicros")
            self.client.mutate(
                account_id,
                "adGroups",
                [
                    {
                        "update": {"resourceName": f"customers/{cid}/adGroups/{eid}", "cpcBidMicros": micros},
                        "updateMask": "cpcBidMicros",
                    }
                ],
            )
            return from_micros(before) if before else None
        if entity == "campaign":
            row = self._one(
                account_id,
                "SELECT campaign.bidding_strategy_type, campaign.target_cpa.target_cpa_micros, "
                "campaign.maximize_conversions.target_cpa_micros FROM campaign "
                f"WHERE campaign.id = {eid}",
                entity_id,
            )
            c = row.get("campaign", {})
            strategy = c.get("biddingStrategyType")
            if strategy == "TARGET_CPA":
                field, before = "targetCpa", (c.get("targetCpa") or {}).get("targetCpaMicros")
            elif strategy == "MAXIMIZE_CONVERSIONS":
                field, before = (
                    "maximizeConversions",
                    (c.get("maximizeConversions") or {}).get("targetCpaMicros"),
                )
            else:
                raise BadRequest(
                    f"google_ads: campaign {entity_id} bids with {strategy}; set the bid on its ad groups"
                )
            self.client.mutate(
                account_id,
                "campaigns",
                [
                    {
                        "update": {
                            "resourceName": f"customers/{cid}/campaigns/{eid}",
                            field: {"targetCpaMicros": micros},
                        },
                        "updateMask": f"{field}.targetCpaMicros",
                    }
                ],
            )
            return from_micros(before) if before else None
        raise BadRequest(
            "google_ads: bids are set on campaigns (target CPA) or ad groups (max CPC), not on ads"
        )

    def create_campaign(self, account_id: str, template: CampaignTemplate) -> str:
        """A budget, then a PAUSED campaign on it; the budget is removed again if the campaign fails."""
        if template.daily_budget <= 0:
            raise BadRequest("template daily_budget must be positive")
        channel = template.objective.upper() if template.objective.upper() in CHANNEL_TYPES else "SEARCH"
        budget_op = {
            "create": {
                "name": f"{template.name} budget",
                "amountMicros": str(to_micros(template.daily_budget)),
                "deliveryMethod": "STANDARD",
                "explicitlyShared": False,
            }
        }
        budget_name = self.client.create(
            lambda: str(self.client.mutate(account_id, "campaignBudgets", [budget_op])[0]["resourceName"]),
            lambda: self._budget_named(account_id, f"{template.name} budget"),
        )
        campaign: dict[str, Any] = {
            "name": template.name,
            "status": "PAUSED",
            "advertisingChannelType": channel,
            "campaignBudget": budget_name,
            "containsEuPoliticalAdvertising": template.extra.get(
                "contains_eu_political_advertising", "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING"
            ),
        }
        if template.bid_amount:
            campaign["maximizeConversions"] = {"targetCpaMicros": str(to_micros(template.bid_amount))}
        else:
            campaign["manualCpc"] = {"enhancedCpcEnabled": False}
        if channel == "SEARCH":
            campaign["networkSettings"] = {
                "targetGoogleSearch": True,
                "targetSearchNetwork": True,
                "targetContentNetwork": False,
                "targetPartnerSearchNetwork": False,
            }
        try:
            created_id = self.client.create(
                lambda: str(
                    self.client.mutate(account_id, "campaigns", [{"create": campaign}])[0]["resourceName"]
                ).rsplit("/", 1)[-1],
                lambda: self._campaign_named(account_id, template.name),
            )
        except ConnectorError:
            with contextlib.suppress(ConnectorError):  # the original error matters more than the orphan
                self.client.mutate(account_id, "campaignBudgets", [{"remove": budget_name}])
            raise
        return created_id

    def create_ad_group(self, account_id: str, campaign_id: str, template: AdGroupTemplate) -> str:
        """A PAUSED ad group (`adGroups:mutate`): standard search, or standard display in a display
        campaign; the campaign's ad group of that name when there is one already."""
        cid, camp = customer_id(account_id), _numeric(campaign_id)
        kind = "DISPLAY_STANDARD" if template.objective.upper() == "DISPLAY" else "SEARCH_STANDARD"
        group: dict[str, Any] = {
            "name": template.name,
            "campaign": f"customers/{cid}/campaigns/{camp}",
            "status": "PAUSED",
            "type": kind,
        }
        if template.bid_amount:
            group["cpcBidMicros"] = str(to_micros(template.bid_amount))

        def find() -> str | None:
            rows = self.client.search_stream(
                account_id,
                f"SELECT ad_group.id, ad_group.name, ad_group.status FROM ad_group WHERE campaign.id = {camp}",
            )
            for r in rows:
                g = r.get("adGroup", {})
                if g.get("name") == template.name and g.get("status") != "REMOVED":
                    return str(g.get("id"))
            return None

        return find() or self.client.create(
            lambda: str(
                self.client.mutate(account_id, "adGroups", [{"create": group}])[0]["resourceName"]
            ).rsplit("/", 1)[-1],
            find,
        )

    def create_ad(self, account_id: str, ad_group_id: str, template: AdTemplate) -> str:
        """A PAUSED responsive search ad (`adGroupAds:mutate`): 3-15 headlines, 2-4 descriptions, the
        final URL. Google keeps no name for it, so the ad group's ad with the same headlines and URL
        is the one found when it exists already."""
        cid, group = customer_id(account_id), _numeric(ad_group_id)
        ad = {
            "finalUrls": [template.landing_url],
            "responsiveSearchAd": {
                "headlines": [{"text": h} for h in template.headlines],
                "descriptions": [{"text": d} for d in template.descriptions],
            },
        }
        body = {"adGroup": f"customers/{cid}/adGroups/{group}", "status": "PAUSED", "ad": ad}

        def find() -> str | None:
            rows = self.client.search_stream(
                account_id,
                "SELECT ad_group_ad.ad.id, ad_group_ad.status, ad_group_ad.ad.final_urls, "
                f"ad_group_ad.ad.responsive_search_ad.headlines FROM ad_group_ad WHERE ad_group.id = {group}",
            )
            for r in rows:
                found = r.get("adGroupAd", {})
                texts = [
                    h.get("text")
                    for h in (found.get("ad", {}).get("responsiveSearchAd") or {}).get("headlines") or []
                ]
                if (
                    found.get("status") != "REMOVED"
                    and texts == list(template.headlines)
                    and found.get("ad", {}).get("finalUrls") == [template.landing_url]
                ):
                    return str(found["ad"]["id"])
            return None

        return find() or self.client.create(
            lambda: str(
                self.client.mutate(account_id, "adGroupAds", [{"create": body}])[0]["resourceName"]
            ).rsplit("~", 1)[-1],
            find,
        )

    def remove(self, account_id: str, entity: Entity, entity_id: str) -> str:
        """A `remove` operation: Google Ads keeps the entity as REMOVED (it cannot be enabled again).
        Read first: one removed already (a removal repeated after a crash) is left as it is."""
        cid, eid = customer_id(account_id), _numeric(entity_id)
        if entity == "campaign":
            row = self._one(
                account_id, f"SELECT campaign.status FROM campaign WHERE campaign.id = {eid}", entity_id
            )
            status, service = row.get("campaign", {}).get("status"), "campaigns"
            resource = f"customers/{cid}/campaigns/{eid}"
        elif entity == "ad_group":
            row = self._one(
                account_id, f"SELECT ad_group.status FROM ad_group WHERE ad_group.id = {eid}", entity_id
            )
            status, service = row.get("adGroup", {}).get("status"), "adGroups"
            resource = f"customers/{cid}/adGroups/{eid}"
        elif entity == "ad":
            row = self._one(
                account_id,
                f"SELECT ad_group.id, ad_group_ad.status FROM ad_group_ad WHERE ad_group_ad.ad.id = {eid}",
                entity_id,
            )
            status, service = row.get("adGroupAd", {}).get("status"), "adGroupAds"
            resource = f"customers/{cid}/adGroupAds/{row.get('adGroup', {}).get('id')}~{eid}"
        else:
            raise BadRequest(f"unknown entity {entity}")
        if status != "REMOVED":
            self.client.mutate(account_id, service, [{"remove": resource}])
        return "REMOVED"

    # ------------------------------------------------------------------ helpers

    def _campaign_named(self, account_id: str, name: str) -> str | None:
        frame = self.campaigns(account_id)
        match = frame[(frame["campaign_name"] == name) & (frame["status"] != "REMOVED")]
        return None if match.empty else str(match.iloc[-1]["campaign_id"])

    def _budget_named(self, account_id: str, name: str) -> str | None:
        quoted = name.replace("\\", "\\\\").replace("'", "\\'")
        rows = self.client.search_stream(
            account_id,
            "SELECT campaign_budget.resource_name FROM campaign_budget "
            f"WHERE campaign_budget.name = '{quoted}' AND campaign_budget.status != 'REMOVED'",
        )
        return str(rows[-1]["campaignBudget"]["resourceName"]) if rows else None

    def _currency(self, account_id: str) -> str:
        info = self._info.get(account_id) or self.account(account_id)
        return info.currency

    def _one(self, account_id: str, query: str, entity_id: str) -> dict[str, Any]:
        rows = self.client.search_stream(account_id, query)
        if not rows:
            raise BadRequest(f"google_ads: nothing with id {entity_id} in customer {account_id}")
        return rows[0]


def _metrics(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "impressions": int(m.get("impressions", 0)),
        "clicks": int(m.get("clicks", 0)),
        "spend": from_micros(m.get("costMicros")),
        "conversions": float(m.get("conversions", 0.0)),
        "conversion_value": float(m.get("conversionsValue", 0.0)),
    }


def _status(value: Any) -> str | None:
    if value is None:
        return None
    return STATUS.get(str(value), str(value))


def _headline(ad: dict[str, Any]) -> str | None:
    headlines = (ad.get("responsiveSearchAd") or {}).get("headlines") or []
    return headlines[0].get("text") if headlines else None


def _ad_name(ad: dict[str, Any]) -> str:
    """Most ad types have no name in Google Ads: fall back to the first headline, then type and id."""
    return ad.get("name") or _headline(ad) or f"{ad.get('type', 'AD')} {ad.get('id')}"


def _numeric(value: str) -> str:
    if not str(value).isdigit():
        raise BadRequest(f"google_ads: '{value}' is not a numeric id")
    return str(value)


def _error_object(body: Any) -> dict[str, Any] | None:
    """The `error` of a REST error body; searchStream sends it as the last element of its list."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"]
    if (
        isinstance(body, list)
        and body
        and isinstance(body[-1], dict)
        and isinstance(body[-1].get("error"), dict)
    ):
        return body[-1]["error"]
    return None


def _failure_details(error: dict[str, Any]) -> tuple[list[str], list[str], float | None]:
    """(error-code names like `quotaError.RESOURCE_EXHAUSTED`, their messages, retry delay)."""
    reasons: list[str] = []
    messages: list[str] = []
    delay: float | None = None
    for detail in error.get("details") or []:
        for failure in detail.get("errors") or []:
            code = failure.get("errorCode") or {}
            reasons.append(", ".join(f"{k}.{v}" for k, v in code.items()))
            messages.append(str(failure.get("message", ""))[:300])
            quota = (failure.get("details") or {}).get("quotaErrorDetails") or {}
            delay = _retry_delay(quota.get("retryDelay")) if quota else delay
    return reasons, messages, delay


def connector(account: AccountConfig) -> GoogleAdsConnector:
    """The Google Ads connector for one configured customer."""
    return GoogleAdsConnector(GoogleAdsClient(account))
