"""The connector protocol over `MicrosoftAdsClient`: reads in the canonical columns, and writes.

Campaign Management has no account-wide ad query, so ads are read by walking campaigns -> ad groups
-> ads once per connector. Daily performance comes from Reporting (campaign and ad performance
reports, in date chunks), one row per key after collapsing rows split by a status change.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pandas as pd

from adops.config import AccountConfig
from adops.connectors.base import (
    AD_COLUMNS,
    AD_DAILY_COLUMNS,
    CAMPAIGN_COLUMNS,
    CAMPAIGN_DAILY_COLUMNS,
    METRICS,
    AccountInfo,
    AdGroupTemplate,
    AdTemplate,
    CampaignTemplate,
    Entity,
    Status,
)
from adops.connectors.errors import BadRequest, PermissionDenied
from adops.connectors.http import named
from adops.connectors.microsoft_ads.client import MicrosoftAdsClient
from adops.connectors.microsoft_ads.reporting import (
    AD_REPORT_COLUMNS,
    CAMPAIGN_REPORT_COLUMNS,
    REPORT_DAYS,
    cell,
    number,
    report_date,
    report_request,
)
from adops.connectors.microsoft_ads.timezones import iana_time_zone
from adops.connectors.reports import date_chunks

log = logging.getLogger(__name__)

STATUS = {
    "Active": "ENABLED",
    "Paused": "PAUSED",
    "BudgetAndManualPaused": "PAUSED",
    "BudgetPaused": "BUDGET_PAUSED",
    "Deleted": "REMOVED",
    "Suspended": "SUSPENDED",
    "Expired": "EXPIRED",
    "Inactive": "INACTIVE",
}
WRITE_STATUS = {"ENABLED": "Active", "PAUSED": "Paused"}


class MicrosoftAdsConnector:
    """The connector protocol over `MicrosoftAdsClient`."""

    platform = "microsoft_ads"

    def __init__(self, client: MicrosoftAdsClient) -> None:
        self.client = client
        self.warnings: list[str] = []
        self._account: dict[str, Any] | None = None
        self._tree: dict[str, dict[str, Any]] | None = None

    # ------------------------------------------------------------------ reads

    def account(self, account_id: str) -> AccountInfo:
        self._warn_refresh_token()
        a = self._account = self.client.get_account()
        if not a:
            raise PermissionDenied(f"microsoft_ads: account {account_id} was not returned")
        return AccountInfo(
            platform=self.platform,
            account_id=account_id,
            name=a.get("Name") or account_id,
            currency=a.get("CurrencyCode") or "USD",
            timezone=iana_time_zone(a.get("TimeZone")),
            status=str(a.get("AccountLifeCycleStatus") or "Active").upper(),
        )

    def campaigns(self, account_id: str) -> pd.DataFrame:
        currency = self._meta()["CurrencyCode"]
        rows = []
        for c in self.client.campaigns():
            scheme = c.get("BiddingScheme") or {}
            daily = (c.get("BudgetType") or "").startswith("Daily")
            rows.append(
                {
                    "platform": self.platform,
                    "account_id": account_id,
                    "campaign_id": str(c["Id"]),
                    "campaign_name": c.get("Name", ""),
                    "status": _status(c.get("Status")),
                    "objective": c.get("CampaignType"),
                    "daily_budget": float(c["DailyBudget"])
                    if daily and c.get("DailyBudget") is not None
                    else None,
                    "lifetime_budget": None,
                    "bidding_strategy": scheme.get("Type"),
                    "bid_amount": float(scheme["TargetCpa"]) if scheme.get("TargetCpa") else None,
                    "currency": currency,
                    "start_date": None,
                }
            )
        return pd.DataFrame(rows, columns=CAMPAIGN_COLUMNS)

    def ads(self, account_id: str) -> pd.DataFrame:
        tree = self._walk()
        rows = [
            {
                "platform": self.platform,
                "account_id": account_id,
                "ad_id": ad_id,
                "ad_group_id": ad["ad_group_id"],
                "ad_group_name": tree["groups"][ad["ad_group_id"]]["name"],
                "campaign_id": ad["campaign_id"],
                "ad_name": ad["name"],
                "status": ad["status"],
                "creative_type": ad["type"],
                "headline": ad["headline"],
                "landing_url": ad["url"],
            }
            for ad_id, ad in tree["ads"].items()
        ]
        return pd.DataFrame(rows, columns=AD_COLUMNS)

    def campaign_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        currency = self._meta()["CurrencyCode"]
        rows = []
        for r in self._report("CampaignPerformanceReportRequest", CAMPAIGN_REPORT_COLUMNS, since, until):
            rows.append(
                {
                    "date": report_date(r["TimePeriod"]),
                    "platform": self.platform,
                    "account_id": account_id,
                    "campaign_id": str(r["CampaignId"]),
                    "campaign_name": cell(r.get("CampaignName")) or "",
                    "currency": cell(r.get("CurrencyCode")) or currency,
                    **_metrics(r),
                }
            )
        frame = pd.DataFrame(rows, columns=CAMPAIGN_DAILY_COLUMNS)
        return _collapse(frame, ["date", "campaign_id"])

    def ad_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        currency = self._meta()["CurrencyCode"]
        rows = []
        for r in self._report("AdPerformanceReportRequest", AD_REPORT_COLUMNS, since, until):
            rows.append(
                {
                    "date": report_date(r["TimePeriod"]),
                    "platform": self.platform,
                    "account_id": account_id,
                    "campaign_id": str(r["CampaignId"]),
                    "ad_group_id": str(r["AdGroupId"]),
                    "ad_id": str(r["AdId"]),
                    "ad_name": cell(r.get("AdTitle")) or f"{cell(r.get('AdType')) or 'Ad'} {r['AdId']}",
                    "currency": cell(r.get("CurrencyCode")) or currency,
                    **_metrics(r),
                }
            )
        frame = pd.DataFrame(rows, columns=AD_DAILY_COLUMNS)
        return _collapse(frame, ["date", "ad_id"])

    # ------------------------------------------------------------------ writes

    def set_daily_budget(self, account_id: str, campaign_id: str, amount: float) -> float | None:
        if amount <= 0:
            raise BadRequest(f"daily budget must be positive, got {amount}")
        campaign = self._campaign(campaign_id)
        if campaign.get("BudgetId"):
            raise BadRequest(
                f"microsoft_ads: campaign {campaign_id} uses a shared budget; change it in Shared library > Budgets"
            )
        self.client.update(
            "Campaigns",
            {"AccountId": int(account_id)},
            [
                {
                    "Id": int(campaign_id),
                    "DailyBudget": round(amount, 2),
                    "BudgetType": campaign.get("BudgetType"),
                }
            ],
        )
        before = campaign.get("DailyBudget")
        return float(before) if before is not None else None

    def set_status(self, account_id: str, entity: Entity, entity_id: str, status: Status) -> str | None:
        if status not in WRITE_STATUS:
            raise BadRequest(f"status must be ENABLED or PAUSED, got {status}")
        value = WRITE_STATUS[status]
        if entity == "campaign":
            before = self._campaign(entity_id).get("Status")
            self.client.update(
                "Campaigns", {"AccountId": int(account_id)}, [{"Id": int(entity_id), "Status": value}]
            )
            return _status(before)
        tree = self._walk()
        if entity == "ad_group":
            group = self._in(tree["groups"], entity_id, "ad group")
            self.client.update(
                "AdGroups",
                {"CampaignId": int(group["campaign_id"])},
                [{"Id": int(entity_id), "Status": value}],
            )
            group["status"], before = status, group["status"]
            return str(before)
        if entity == "ad":
            ad = self._in(tree["ads"], entity_id, "ad")
            self.client.update(
                "Ads",
                {"AdGroupId": int(ad["ad_group_id"])},
                [{"Id": int(entity_id), "Type": ad["type"], "Status": value}],
            )
            ad["status"], before = status, ad["status"]
            return str(before)
        raise BadRequest(f"unknown entity {entity}")

    def set_bid(self, account_id: str, entity: Entity, entity_id: str, amount: float) -> float | None:
        """Ad group: its CPC bid. Campaign: the target CPA of a TargetCpa / MaxConversions scheme."""
        if amount <= 0:
            raise BadRequest(f"bid must be positive, got {amount}")
        if entity == "ad_group":
            group = self._in(self._walk()["groups"], entity_id, "ad group")
            self.client.update(
                "AdGroups",
                {"CampaignId": int(group["campaign_id"])},
                [{"Id": int(entity_id), "CpcBid": {"Amount": round(amount, 2)}}],
            )
            group["bid"], before = amount, group["bid"]
            return before
        if entity == "campaign":
            scheme = self._campaign(entity_id).get("BiddingScheme") or {}
            if scheme.get("Type") not in ("TargetCpa", "MaxConversions"):
                raise BadRequest(
                    f"microsoft_ads: campaign {entity_id} bids with {scheme.get('Type')}; set the bid on its ad groups"
                )
            self.client.update(
                "Campaigns",
                {"AccountId": int(account_id)},
                [
                    {
                        "Id": int(entity_id),
                        "BiddingScheme": {"Type": scheme["Type"], "TargetCpa": round(amount, 2)},
                    }
                ],
            )
            return float(scheme["TargetCpa"]) if scheme.get("TargetCpa") else None
        raise BadRequest(
            "microsoft_ads: bids are set on campaigns (target CPA) or ad groups (CPC), not on ads"
        )

    def create_campaign(self, account_id: str, template: CampaignTemplate) -> str:
        if template.daily_budget <= 0:
            raise BadRequest("template daily_budget must be positive")
        campaign: dict[str, Any] = {
            "Name": template.name,
            "Status": "Paused",
            "CampaignType": template.extra.get("campaign_type", "Search"),
            "BudgetType": "DailyBudgetStandard",
            "DailyBudget": round(template.daily_budget, 2),
            "Languages": ["All"],
            "TimeZone": self._meta().get("TimeZone"),
            "BiddingScheme": (
                {"Type": "MaxConversions", "TargetCpa": round(template.bid_amount, 2)}
                if template.bid_amount
                else {"Type": "EnhancedCpc"}
            ),
        }

        def send() -> str:
            ids = self.client.add_campaigns([campaign])
            if not ids:
                raise BadRequest("microsoft_ads: AddCampaigns returned no campaign id")
            return ids[0]

        # campaign names are unique in an account (Microsoft refuses a duplicate), so the name finds it
        return self.client.create(send, lambda: named(self.client.campaigns(), template.name, "Name", "Id"))

    def create_ad_group(self, account_id: str, campaign_id: str, template: AdGroupTemplate) -> str:
        """A paused ad group (AddAdGroups) on the Microsoft Search network, with its CPC bid; the
        campaign's ad group of that name when there is one already."""
        group: dict[str, Any] = {
            "Name": template.name,
            "Status": "Paused",
            "Network": "OwnedAndOperatedAndSyndicatedSearch",
        }
        if template.bid_amount:
            group["CpcBid"] = {"Amount": round(template.bid_amount, 2)}

        def find() -> str | None:
            return named(self.client.ad_groups(campaign_id), template.name, "Name", "Id")

        def send() -> str:
            ids = self.client.add("AdGroups", {"CampaignId": int(campaign_id)}, [group])
            if not ids:
                raise BadRequest("microsoft_ads: AddAdGroups returned no ad group id")
            return ids[0]

        self._tree = None
        return find() or self.client.create(send, find)

    def create_ad(self, account_id: str, ad_group_id: str, template: AdTemplate) -> str:
        """A paused responsive search ad (AddAds): 3-15 headlines, 2-4 descriptions, the final URL.
        Ads have no name in Microsoft Advertising: the ad group's ad with the same headlines and URL
        is the one found when it exists already."""

        def assets(texts: tuple[str, ...]) -> list[dict[str, Any]]:
            return [{"Asset": {"Type": "TextAsset", "Text": t}, "PinnedField": None} for t in texts]

        ad = {
            "Type": "ResponsiveSearch",
            "Status": "Paused",
            "Headlines": assets(template.headlines),
            "Descriptions": assets(template.descriptions),
            "FinalUrls": [template.landing_url],
        }

        def find() -> str | None:
            for a in self.client.ads_of(ad_group_id):
                texts = [((h or {}).get("Asset") or {}).get("Text") for h in a.get("Headlines") or []]
                if texts == list(template.headlines) and (a.get("FinalUrls") or []) == [template.landing_url]:
                    return str(a["Id"])
            return None

        def send() -> str:
            ids = self.client.add("Ads", {"AdGroupId": int(ad_group_id)}, [ad])
            if not ids:
                raise BadRequest("microsoft_ads: AddAds returned no ad id")
            return ids[0]

        self._tree = None
        return find() or self.client.create(send, find)

    def remove(self, account_id: str, entity: Entity, entity_id: str) -> str:
        """DeleteCampaigns / DeleteAdGroups / DeleteAds: Microsoft deletes (the entity no longer shows).
        Something no longer listed is deleted already, so a removal repeated after a crash is done."""
        self._tree = None
        if entity == "campaign":
            if [c for c in self.client.campaigns([entity_id]) if c]:
                self.client.delete("Campaigns", {"AccountId": int(account_id)}, [entity_id])
        elif entity == "ad_group":
            group = self._walk()["groups"].get(str(entity_id))
            if group is not None:
                self.client.delete("AdGroups", {"CampaignId": int(group["campaign_id"])}, [entity_id])
        elif entity == "ad":
            ad = self._walk()["ads"].get(str(entity_id))
            if ad is not None:
                self.client.delete("Ads", {"AdGroupId": int(ad["ad_group_id"])}, [entity_id])
        else:
            raise BadRequest(f"unknown entity {entity}")
        self._tree = None
        return "DELETED"

    # ------------------------------------------------------------------ helpers

    def _warn_refresh_token(self) -> None:
        warning = self.client.refresh_token_warning()
        if warning and warning not in self.warnings:
            self.warnings.append(warning)
            log.warning(warning)
            try:
                from adops import store

                store.events.publish(
                    "connector.token_expiring",
                    {"platform": self.platform, "account_id": self.client.account_id, "message": warning},
                )
            except Exception:  # noqa: BLE001 - a warning must never stop a read
                log.debug("could not publish the token warning", exc_info=True)

    def _meta(self) -> dict[str, Any]:
        if self._account is None:
            self._account = self.client.get_account()
        return {"CurrencyCode": "USD", **self._account}

    def _report(self, kind: str, columns: list[str], since: date, until: date) -> list[dict[str, str]]:
        zone = self._meta().get("TimeZone") or "GreenwichMeanTimeDublinEdinburghLisbonLondon"
        rows: list[dict[str, str]] = []
        for start, end in date_chunks(since, until, REPORT_DAYS):
            request = report_request(kind, columns, self.client.account_id, start, end, zone)
            rows.extend(self.client.run_report(request))
        return rows

    def _campaign(self, campaign_id: str) -> dict[str, Any]:
        found = self.client.campaigns([campaign_id])
        if not found:
            raise BadRequest(f"microsoft_ads: no campaign {campaign_id} in account {self.client.account_id}")
        return found[0]

    def _walk(self) -> dict[str, dict[str, Any]]:
        """Campaigns -> ad groups -> ads (Campaign Management has no account-wide ad query)."""
        if self._tree is not None:
            return self._tree
        groups: dict[str, Any] = {}
        ads: dict[str, Any] = {}
        for c in self.client.campaigns():
            for g in self.client.ad_groups(str(c["Id"])):
                gid = str(g["Id"])
                bid = (g.get("CpcBid") or {}).get("Amount")
                groups[gid] = {
                    "campaign_id": str(c["Id"]),
                    "name": g.get("Name", ""),
                    "status": _status(g.get("Status")),
                    "bid": float(bid) if bid is not None else None,
                }
                for a in self.client.ads_of(gid):
                    urls = a.get("FinalUrls") or []
                    headline = _headline(a)
                    ads[str(a["Id"])] = {
                        "campaign_id": str(c["Id"]),
                        "ad_group_id": gid,
                        "type": a.get("Type"),
                        "status": _status(a.get("Status")),
                        "headline": headline,
                        "name": headline or f"{a.get('Type') or 'Ad'} {a['Id']}",
                        "url": urls[0] if urls else None,
                    }
        self._tree = {"groups": groups, "ads": ads}
        return self._tree

    @staticmethod
    def _in(items: dict[str, Any], key: str, what: str) -> dict[str, Any]:
        if str(key) not in items:
            raise BadRequest(f"microsoft_ads: no {what} {key} in this account")
        found: dict[str, Any] = items[str(key)]
        return found


def _metrics(r: dict[str, str]) -> dict[str, Any]:
    return {
        "impressions": int(number(r.get("Impressions"))),
        "clicks": int(number(r.get("Clicks"))),
        "spend": number(r.get("Spend")),
        "conversions": number(r.get("Conversions")),
        "conversion_value": number(r.get("Revenue")),
    }


def _collapse(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """One row per key: the report splits rows by any further attribute (e.g. a status change)."""
    if frame.empty or not frame.duplicated(key).any():
        return frame
    others = [c for c in frame.columns if c not in key and c not in METRICS]
    out = frame.groupby(key, as_index=False).agg(
        {**{c: "last" for c in others}, **{m: "sum" for m in METRICS}}
    )
    return out[frame.columns]


def _status(value: Any) -> str | None:
    if value is None:
        return None
    return STATUS.get(str(value), str(value).upper())


def _headline(ad: dict[str, Any]) -> str | None:
    for h in ad.get("Headlines") or []:
        text = ((h or {}).get("Asset") or {}).get("Text")
        if text:
            return str(text)
    return ad.get("TitlePart1") or ad.get("Title") or None


def connector(account: AccountConfig) -> MicrosoftAdsConnector:
    """The Microsoft Advertising connector for one configured ad account."""
    return MicrosoftAdsConnector(MicrosoftAdsClient(account))
