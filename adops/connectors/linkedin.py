"""LinkedIn Marketing API (versioned `/rest` endpoints): ad accounts, campaigns, creatives, adAnalytics.

Requests carry `LinkedIn-Version: YYYYMM` and `X-Restli-Protocol-Version: 2.0.0`, so parameters use
Rest.li 2.0 syntax: `dateRange=(start:(year:..,month:..,day:..),end:(...))` and
`accounts=List(urn%3Ali%3AsponsoredAccount%3A123)` (URNs encoded inside the List). adAnalytics
(`q=analytics`, pivot CAMPAIGN / CREATIVE, `timeGranularity=DAILY`) is not paged: each call returns
at most 15,000 elements and at most 20 fields, so dates are chunked by entity count and fields are
split into groups merged on (pivot value, day). A query string too long for a URL is tunnelled: POST
with `X-HTTP-Method-Override: GET` and the query as a form body. Analytics days are UTC days.

LinkedIn's hierarchy is campaign group > campaign > creative. The warehouse's campaign is the
LinkedIn campaign (budgets, bids and status live there); its ad is the creative; there is no level
in between, so an ad's `ad_group_id` is its campaign.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pandas as pd

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
from adops.connectors.errors import BadRequest, ConnectorError, TransientError
from adops.connectors.http import ApiClient, named

# No pinned LinkedIn-Version: the client negotiates the newest one served (adops.connectors.versions);
# ADOPS_LINKEDIN_VERSION pins one instead.
MAX_FIELDS = 20  # adAnalytics fields per request
MAX_ELEMENTS = 15_000  # adAnalytics elements per response
MAX_URL = 4_000  # longer query strings are tunnelled
PAGE_SIZE = 100  # entity search pages (creatives take at most 100)
METRIC_FIELDS = [
    "impressions",
    "clicks",
    "costInLocalCurrency",
    "externalWebsiteConversions",
    "conversionValueInLocalCurrency",
]
STATUS_IN = {"ACTIVE": "ENABLED", "PAUSED": "PAUSED"}
STATUS_OUT = {"ENABLED": "ACTIVE", "PAUSED": "PAUSED"}


def urn(kind: str, value: str) -> str:
    return value if value.startswith("urn:li:") else f"urn:li:{kind}:{value}"


def urn_id(value: Any) -> str:
    """'urn:li:sponsoredCampaign:123' -> '123' (ids are kept as strings)."""
    return str(value).rsplit(":", 1)[-1]


def restli(value: str) -> str:
    """Encode a value inside a Rest.li 2.0 structure (URN colons and commas must not be read as syntax)."""
    return quote(value, safe="")


def restli_date(d: date) -> str:
    return f"(year:{d.year},month:{d.month},day:{d.day})"


class LinkedInClient(ApiClient):
    """One method per endpoint; JSON bodies are returned as they are."""

    platform = "linkedin"
    default_base_url = "https://api.linkedin.com"
    default_token_url = "https://www.linkedin.com/oauth/v2/accessToken"

    @property
    def version(self) -> str:
        """The LinkedIn-Version sent: ADOPS_LINKEDIN_VERSION, else the newest LinkedIn serves."""
        return versions.linkedin_version(self.base_url)

    def request(self, method: str, path: str, *, raw: bool = False, **kwargs: Any) -> Any:
        """Send a request; on 426 (a version LinkedIn does not serve) step back a month and resend.

        At most `versions.LINKEDIN_MAX_STEPS` months back from the current one; the version found
        is remembered per process and in the workspace. A pinned ADOPS_LINKEDIN_VERSION is never
        changed: its 426 is the error."""
        while True:
            sent = self.version
            try:
                value = super().request(method, path, raw=raw, **kwargs)
            except BadRequest as exc:
                if exc.status != 426 or versions.override("linkedin"):
                    raise
                following = versions.linkedin_refused(self.base_url, sent)
                if following is None:
                    raise BadRequest(
                        f"linkedin {self.account.id}: LinkedIn served no LinkedIn-Version from {sent} back "
                        f"{versions.LINKEDIN_MAX_STEPS} months; set ADOPS_LINKEDIN_VERSION to one it serves",
                        status=426,
                    ) from None
                continue
            versions.linkedin_served(self.base_url, sent)
            return value

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token()}",
            "LinkedIn-Version": self.version,
            "X-Restli-Protocol-Version": "2.0.0",
        }

    def error_for(self, response: httpx.Response, body: Any) -> ConnectorError | None:
        error = super().error_for(response, body)
        if error is not None and isinstance(body, dict):
            code = body.get("code") or body.get("serviceErrorCode")
            if code:
                error.args = (f"{error.args[0]} [{code}]",)
            if response.status_code == 426:
                error.args = (f"{error.args[0]} (LinkedIn-Version {self.version} is not served)",)
        return error

    # ------------------------------------------------------------------ reads

    def ad_account(self, account_id: str) -> dict[str, Any]:
        return dict(self.get(f"/rest/adAccounts/{account_id}"))

    def search(self, account_id: str, collection: str, finder: str = "search") -> list[dict[str, Any]]:
        """Every element of adCampaignGroups / adCampaigns / creatives, following `nextPageToken`."""
        return list(
            self.paginate(
                f"/rest/adAccounts/{account_id}/{collection}",
                {"q": finder, "pageSize": PAGE_SIZE},
                items=paging.dig("elements"),
                next_page=paging.cursor("pageToken", paging.dig("metadata", "nextPageToken")),
            )
        )

    def campaign_groups(self, account_id: str) -> list[dict[str, Any]]:
        return self.search(account_id, "adCampaignGroups")

    def campaigns(self, account_id: str) -> list[dict[str, Any]]:
        return self.search(account_id, "adCampaigns")

    def creatives(self, account_id: str) -> list[dict[str, Any]]:
        return self.search(account_id, "creatives", finder="criteria")

    def analytics(
        self, account_id: str, pivot: str, since: date, until: date, fields: list[str]
    ) -> list[dict[str, Any]]:
        """One adAnalytics call (`q=analytics`, daily), tunnelled when the query is too long."""
        query = "&".join(
            [
                "q=analytics",
                f"pivot={pivot}",
                "timeGranularity=DAILY",
                f"dateRange=(start:{restli_date(since)},end:{restli_date(until)})",
                f"accounts=List({restli(urn('sponsoredAccount', account_id))})",
                f"fields={','.join(fields)}",
            ]
        )
        if len(query) > MAX_URL:
            body = self.post(
                "/rest/adAnalytics",
                content=query.encode(),
                headers={
                    "X-HTTP-Method-Override": "GET",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
        else:
            body = self.get(f"/rest/adAnalytics?{query}")
        return list(body.get("elements") or [])

    # ------------------------------------------------------------------ writes

    def partial_update(self, path: str, changes: dict[str, Any]) -> None:
        """Rest.li PARTIAL_UPDATE: POST with `X-RestLi-Method` and a `{"patch": {"$set": ...}}` body."""
        self.request(
            "POST",
            path,
            raw=True,
            json={"patch": {"$set": changes}},
            headers={"X-RestLi-Method": "PARTIAL_UPDATE"},
        )

    def update_campaign(self, account_id: str, campaign_id: str, changes: dict[str, Any]) -> None:
        self.partial_update(f"/rest/adAccounts/{account_id}/adCampaigns/{campaign_id}", changes)

    def update_creative(self, account_id: str, creative_id: str, changes: dict[str, Any]) -> None:
        creative = restli(urn("sponsoredCreative", creative_id))
        self.partial_update(f"/rest/adAccounts/{account_id}/creatives/{creative}", changes)

    def create_creative(self, account_id: str, body: dict[str, Any]) -> str:
        """POST /rest/adAccounts/{id}/creatives: the new creative's id (from its URN in x-restli-id)."""
        response = self.request("POST", f"/rest/adAccounts/{account_id}/creatives", raw=True, json=body)
        created = response.headers.get("x-restli-id") or response.headers.get("x-linkedin-id")
        if not created:
            raise TransientError("linkedin: the created creative's id was not returned (x-restli-id)")
        return urn_id(unquote(created))

    def create_campaign(self, account_id: str, body: dict[str, Any]) -> str:
        response = self.request("POST", f"/rest/adAccounts/{account_id}/adCampaigns", raw=True, json=body)
        created = response.headers.get("x-restli-id") or response.headers.get("x-linkedin-id")
        if not created:
            raise TransientError("linkedin: the created campaign's id was not returned (x-restli-id)")
        return urn_id(created)


class LinkedInConnector:
    """The connector protocol over `LinkedInClient`."""

    platform = "linkedin"

    def __init__(self, account: AccountConfig, client: LinkedInClient | None = None) -> None:
        self.client = client or LinkedInClient(account)
        self._info: dict[str, AccountInfo] = {}

    # ------------------------------------------------------------------ reads

    def account(self, account_id: str) -> AccountInfo:
        if account_id not in self._info:
            raw = self.client.ad_account(account_id)
            self._info[account_id] = AccountInfo(
                platform="linkedin",
                account_id=str(raw.get("id") or account_id),
                name=str(raw.get("name") or account_id),
                currency=str(raw.get("currency") or "USD"),
                timezone="UTC",  # adAnalytics days are UTC days
                status=str(raw.get("status") or "ACTIVE"),
            )
        return self._info[account_id]

    def campaigns(self, account_id: str) -> pd.DataFrame:
        info = self.account(account_id)
        rows = []
        for c in self.client.campaigns(account_id):
            start = (c.get("runSchedule") or {}).get("start")
            rows.append(
                {
                    "platform": "linkedin",
                    "account_id": account_id,
                    "campaign_id": urn_id(c["id"]),
                    "campaign_name": c.get("name"),
                    "status": STATUS_IN.get(str(c.get("status")), c.get("status")),
                    "objective": c.get("objectiveType"),
                    "daily_budget": _money(c.get("dailyBudget")),
                    "lifetime_budget": _money(c.get("totalBudget")),
                    "bidding_strategy": c.get("optimizationTargetType") or c.get("costType"),
                    "bid_amount": _money(c.get("unitCost")),
                    "currency": info.currency,
                    "start_date": datetime.fromtimestamp(int(start) / 1000, UTC).date() if start else None,
                }
            )
        return pd.DataFrame(rows, columns=CAMPAIGN_COLUMNS)

    def ads(self, account_id: str) -> pd.DataFrame:
        names = {urn_id(c["id"]): c.get("name") for c in self.client.campaigns(account_id)}
        rows = []
        for cr in self.client.creatives(account_id):
            campaign = urn_id(cr.get("campaign"))
            content = cr.get("content") or {}
            text = content.get("textAd") or {}
            rows.append(
                {
                    "platform": "linkedin",
                    "account_id": account_id,
                    "ad_id": urn_id(cr["id"]),
                    "ad_group_id": campaign,
                    "ad_group_name": names.get(campaign),
                    "campaign_id": campaign,
                    "ad_name": cr.get("name") or f"Creative {urn_id(cr['id'])}",
                    "status": STATUS_IN.get(str(cr.get("intendedStatus")), cr.get("intendedStatus")),
                    "creative_type": next(iter(content), None),
                    "headline": text.get("headline"),
                    "landing_url": text.get("landingPage") or cr.get("landingPage"),
                }
            )
        return pd.DataFrame(rows, columns=AD_COLUMNS)

    def campaign_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        info = self.account(account_id)
        campaigns = {urn_id(c["id"]): c.get("name") for c in self.client.campaigns(account_id)}
        rows = [
            {
                "date": day,
                "platform": "linkedin",
                "account_id": account_id,
                "campaign_id": cid,
                "campaign_name": campaigns.get(cid),
                "currency": info.currency,
                **metrics,
            }
            for (cid, day), metrics in self._analytics(account_id, "CAMPAIGN", len(campaigns), since, until)
        ]
        return pd.DataFrame(rows, columns=CAMPAIGN_DAILY_COLUMNS)

    def ad_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        info = self.account(account_id)
        creatives = {urn_id(c["id"]): c for c in self.client.creatives(account_id)}
        rows = []
        for (crid, day), metrics in self._analytics(account_id, "CREATIVE", len(creatives), since, until):
            cr = creatives.get(crid, {})
            campaign = urn_id(cr.get("campaign")) if cr.get("campaign") else None
            rows.append(
                {
                    "date": day,
                    "platform": "linkedin",
                    "account_id": account_id,
                    "campaign_id": campaign,
                    "ad_group_id": campaign,
                    "ad_id": crid,
                    "ad_name": cr.get("name") or f"Creative {crid}",
                    "currency": info.currency,
                    **metrics,
                }
            )
        return pd.DataFrame(rows, columns=AD_DAILY_COLUMNS)

    # ------------------------------------------------------------------ writes

    def set_daily_budget(self, account_id: str, campaign_id: str, amount: float) -> float | None:
        if amount <= 0:
            raise BadRequest(f"daily budget must be positive, got {amount}")
        before = self._campaign(account_id, campaign_id)
        currency = self.account(account_id).currency
        self.client.update_campaign(
            account_id, campaign_id, {"dailyBudget": {"amount": f"{amount:.2f}", "currencyCode": currency}}
        )
        return _money(before.get("dailyBudget"))

    def set_status(self, account_id: str, entity: Entity, entity_id: str, status: Status) -> str | None:
        if status not in STATUS_OUT:
            raise BadRequest(f"status must be ENABLED or PAUSED, got {status}")
        if entity in ("campaign", "ad_group"):  # LinkedIn has no level between campaign and creative
            before = self._campaign(account_id, entity_id).get("status")
            self.client.update_campaign(account_id, entity_id, {"status": STATUS_OUT[status]})
        elif entity == "ad":
            match = [c for c in self.client.creatives(account_id) if urn_id(c["id"]) == entity_id]
            if not match:
                raise BadRequest(f"no linkedin creative {entity_id} in account {account_id}")
            before = match[0].get("intendedStatus")
            self.client.update_creative(account_id, entity_id, {"intendedStatus": STATUS_OUT[status]})
        else:
            raise BadRequest(f"unknown entity {entity}")
        return STATUS_IN.get(str(before), before)

    def set_bid(self, account_id: str, entity: Entity, entity_id: str, amount: float) -> float | None:
        if amount <= 0:
            raise BadRequest(f"bid must be positive, got {amount}")
        if entity not in ("campaign", "ad_group"):
            raise BadRequest("linkedin bids (unitCost) live on campaigns")
        before = self._campaign(account_id, entity_id)
        currency = self.account(account_id).currency
        self.client.update_campaign(
            account_id, entity_id, {"unitCost": {"amount": f"{amount:.2f}", "currencyCode": currency}}
        )
        return _money(before.get("unitCost"))

    def create_campaign(self, account_id: str, template: CampaignTemplate) -> str:
        if template.daily_budget <= 0:
            raise BadRequest("template daily_budget must be positive")
        extra = dict(template.extra)
        group = extra.pop("campaign_group", None)
        if not group:
            groups = [
                g for g in self.client.campaign_groups(account_id) if g.get("status") in ("ACTIVE", "DRAFT")
            ]
            if not groups:
                raise BadRequest(f"linkedin account {account_id} has no active campaign group to create in")
            group = str(groups[0]["id"])
        currency = self.account(account_id).currency
        body: dict[str, Any] = {
            "account": urn("sponsoredAccount", account_id),
            "campaignGroup": urn("sponsoredCampaignGroup", group),
            "name": template.name,
            "objectiveType": template.objective,
            "type": extra.pop("type", "SPONSORED_UPDATES"),
            "costType": extra.pop("cost_type", "CPM"),
            "dailyBudget": {"amount": f"{template.daily_budget:.2f}", "currencyCode": currency},
            "locale": {"country": extra.pop("country", "US"), "language": extra.pop("language", "en")},
            "runSchedule": {"start": int(time.time() * 1000)},
            "offsiteDeliveryEnabled": False,
            "politicalIntent": "NOT_POLITICAL",
            "targetingCriteria": {
                "include": {
                    "and": [
                        {
                            "or": {
                                "urn:li:adTargetingFacet:locations": [
                                    extra.pop("location", "urn:li:geo:103644278")
                                ]
                            }
                        }
                    ]
                }
            },
            "status": "PAUSED",
            **extra,
        }
        if template.bid_amount:
            body["unitCost"] = {"amount": f"{template.bid_amount:.2f}", "currencyCode": currency}
        return self.client.create(
            lambda: self.client.create_campaign(account_id, body),
            lambda: named(self.client.campaigns(account_id), template.name),
        )

    def create_ad_group(self, account_id: str, campaign_id: str, template: AdGroupTemplate) -> str:
        """LinkedIn has no level between a campaign and its creatives: the campaign is the ad group
        (its `ad_group_id` in `ads()`), so a launch puts the creative straight under it."""
        raise BadRequest(
            "linkedin: a campaign holds its creatives directly (campaign group / campaign / creative); "
            "there is no ad group to create"
        )

    def create_ad(self, account_id: str, ad_group_id: str, template: AdTemplate) -> str:
        """A PAUSED sponsored-content creative (POST /rest/adAccounts/{id}/creatives) in the campaign
        `ad_group_id`, sponsoring the post `post` (urn:li:share:… or urn:li:ugcPost:…)."""
        post = template.extra.get("post", "")
        if not post.startswith(("urn:li:share:", "urn:li:ugcPost:")):
            raise BadRequest(
                "linkedin: a creative needs the post it sponsors (asset linkedin.post, urn:li:share:…)"
            )
        body = {
            "campaign": urn("sponsoredCampaign", ad_group_id),
            "content": {"reference": post},
            "intendedStatus": "PAUSED",
            "name": template.name,
        }

        def find() -> str | None:
            mine = [
                {"id": urn_id(c["id"]), "name": c.get("name")}
                for c in self.client.creatives(account_id)
                if urn_id(c.get("campaign")) == str(ad_group_id)
                and c.get("intendedStatus") not in ("ARCHIVED", "CANCELED")
            ]
            return named(mine, template.name)

        return find() or self.client.create(lambda: self.client.create_creative(account_id, body), find)

    def remove(self, account_id: str, entity: Entity, entity_id: str) -> str:
        """LinkedIn deletes only drafts: a launched campaign or creative is ARCHIVED instead."""
        if entity in ("campaign", "ad_group"):
            self.client.update_campaign(account_id, entity_id, {"status": "ARCHIVED"})
        elif entity == "ad":
            self.client.update_creative(account_id, entity_id, {"intendedStatus": "ARCHIVED"})
        else:
            raise BadRequest(f"unknown entity {entity}")
        return "ARCHIVED"

    # ------------------------------------------------------------------ helpers

    def _analytics(
        self, account_id: str, pivot: str, entities: int, since: date, until: date
    ) -> Iterator[tuple[tuple[str, date], dict[str, Any]]]:
        """((entity id, day), metrics) over [since, until]: dates chunked to stay under 15,000
        elements, fields split into groups of at most 20 (each with dateRange and pivotValues)."""
        step = max(1, min(366, MAX_ELEMENTS // max(1, entities)))
        per_group = MAX_FIELDS - 2
        groups = [METRIC_FIELDS[i : i + per_group] for i in range(0, len(METRIC_FIELDS), per_group)]
        start = since
        while start <= until:
            end = min(start + timedelta(days=step - 1), until)
            merged: dict[tuple[str, date], dict[str, Any]] = {}
            for group in groups:
                for el in self.client.analytics(
                    account_id, pivot, start, end, ["dateRange", "pivotValues", *group]
                ):
                    day = _restli_day((el.get("dateRange") or {}).get("start"))
                    for value in el.get("pivotValues") or []:
                        merged.setdefault((urn_id(value), day), {}).update({f: el.get(f) for f in group})
            for key in sorted(merged):
                yield key, _metrics(merged[key])
            start = end + timedelta(days=1)

    def _campaign(self, account_id: str, campaign_id: str) -> dict[str, Any]:
        for c in self.client.campaigns(account_id):
            if urn_id(c["id"]) == campaign_id:
                return c
        raise BadRequest(f"no linkedin campaign {campaign_id} in account {account_id}")


def connector(account: AccountConfig) -> LinkedInConnector:
    """The LinkedIn client for one ad account."""
    return LinkedInConnector(account)


def _restli_day(value: Any) -> date:
    return date(int(value["year"]), int(value["month"]), int(value["day"]))


def _num(value: Any) -> float:
    return float(value) if value not in (None, "") else 0.0


def _money(value: Any) -> float | None:
    """A LinkedIn money object `{"amount": "50.00", "currencyCode": "USD"}` as a float."""
    if not isinstance(value, dict) or value.get("amount") in (None, ""):
        return None
    return float(value["amount"])


def _metrics(el: dict[str, Any]) -> dict[str, Any]:
    return {
        "impressions": int(_num(el.get("impressions"))),
        "clicks": int(_num(el.get("clicks"))),
        "spend": _num(el.get("costInLocalCurrency")),
        "conversions": _num(el.get("externalWebsiteConversions")),
        "conversion_value": _num(el.get("conversionValueInLocalCurrency")),
    }
