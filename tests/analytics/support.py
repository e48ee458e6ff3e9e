"""Small hand-made warehouses for the analysis tests: ad rows in, campaign and account rows summed from them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from adops import warehouse

METRICS = ["impressions", "clicks", "spend", "conversions", "conversion_value"]


def ad_rows(
    platform: str,
    account_id: str,
    campaign_id: str,
    ad_id: str,
    first: date,
    days: int,
    *,
    ad_group_id: str | None = None,
    currency: str = "USD",
    rate: float = 1.0,
    **metrics: Any,
) -> pd.DataFrame:
    """`days` daily rows of one ad from `first`; each metric a number (every day) or a list (per day)."""
    dates = [first + timedelta(days=i) for i in range(days)]
    frame = pd.DataFrame({"date": dates})
    for name in METRICS:
        value = metrics.get(name, 0)
        frame[name] = value if isinstance(value, list) else [value] * days
    frame = frame.assign(
        platform=platform,
        account_id=account_id,
        campaign_id=campaign_id,
        ad_group_id=ad_group_id or f"{campaign_id}-g",
        ad_id=ad_id,
        ad_name=f"Ad {ad_id}",
        currency=currency,
        spend_reporting=frame["spend"] * rate,
        conversion_value_reporting=frame["conversion_value"] * rate,
        reporting_currency="USD",
        synced_at=pd.Timestamp("2026-11-24", tz="UTC"),
        sync_run_id=1,
    )
    return frame


def commit(*parts: pd.DataFrame) -> None:
    """Write the ads' rows to ad_daily, their sums to campaign_daily, and accounts, campaigns and ads."""
    ads = pd.concat(parts, ignore_index=True)
    sums = [*METRICS, "spend_reporting", "conversion_value_reporting"]
    keys = ["date", "platform", "account_id", "campaign_id", "currency", "reporting_currency"]
    campaigns = ads.groupby(keys, as_index=False)[sums].sum()
    campaigns = campaigns.assign(
        campaign_name="Campaign " + campaigns["campaign_id"],
        synced_at=pd.Timestamp("2026-11-24", tz="UTC"),
        sync_run_id=1,
    )
    accounts = ads[["platform", "account_id", "currency"]].drop_duplicates()
    accounts = accounts.assign(
        account_name="Account " + accounts["account_id"],
        timezone="UTC",
        status="ACTIVE",
        synced_at=pd.Timestamp("2026-11-24", tz="UTC"),
    )
    dims = ads[["platform", "account_id", "campaign_id", "ad_group_id", "ad_id", "ad_name"]].drop_duplicates()
    dims = dims.assign(
        ad_group_name="Group " + dims["ad_group_id"],
        status="ENABLED",
        creative_type="image",
        headline="",
        landing_url="",
        synced_at=pd.Timestamp("2026-11-24", tz="UTC"),
    )
    campaign_dims = campaigns[["platform", "account_id", "campaign_id", "campaign_name", "currency"]]
    campaign_dims = campaign_dims.drop_duplicates(["platform", "account_id", "campaign_id"]).assign(
        status="ENABLED",
        objective="sales",
        daily_budget=100.0,
        lifetime_budget=None,
        bidding_strategy="auto",
        bid_amount=None,
        start_date=None,
        synced_at=pd.Timestamp("2026-11-24", tz="UTC"),
    )
    warehouse.commit(
        {
            "ad_daily": ads,
            "campaign_daily": campaigns,
            "accounts": accounts,
            "ads": dims,
            "campaigns": campaign_dims,
        }
    )
