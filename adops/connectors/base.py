"""The connector protocol: what every platform client (and the sandbox) offers the sync engine.

Reads return pandas frames in the canonical columns of `adops.warehouse.tables` (without the
ingestion columns); writes change one thing on the platform and return what it was before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

import pandas as pd

Entity = Literal["campaign", "ad_group", "ad"]
Status = Literal["ENABLED", "PAUSED"]


def normalise_status(status: str | None) -> str | None:
    """A platform's ACTIVE is our ENABLED (Meta, Pinterest); PAUSED stays; DELETED, ARCHIVED and the
    like are kept as the platform says them."""
    if status is None:
        return None
    return "ENABLED" if status == "ACTIVE" else status


@dataclass(frozen=True)
class AccountInfo:
    platform: str
    account_id: str
    name: str
    currency: str
    timezone: str
    status: str = "ACTIVE"


@dataclass(frozen=True)
class CampaignTemplate:
    """What a launch needs: created PAUSED, so nothing spends before someone enables it."""

    name: str
    objective: str
    daily_budget: float
    bid_amount: float | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AdGroupTemplate:
    """The middle level of a launch (Google/Microsoft/Pinterest/TikTok ad group, Meta ad set), PAUSED.

    `objective` is the campaign's, in the platform's words (Meta and TikTok pick the optimisation
    goal and billing event from it); `daily_budget` is set where the platform budgets at this level
    (Meta ad sets, Pinterest and TikTok ad groups), `bid_amount` where it bids here.
    """

    name: str
    objective: str
    daily_budget: float | None = None
    bid_amount: float | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AdTemplate:
    """The ad of a launch, PAUSED: its headlines and texts (a responsive search ad takes several),
    its landing page, and the platform's own references in `extra` (a Meta Page, a Pinterest pin,
    a TikTok identity and video, a LinkedIn post), named by each client's `ad_assets`."""

    name: str
    headlines: tuple[str, ...]
    descriptions: tuple[str, ...]
    landing_url: str
    extra: dict[str, str] = field(default_factory=dict)


class Connector(Protocol):
    platform: str

    def account(self, account_id: str) -> AccountInfo: ...

    def campaigns(self, account_id: str) -> pd.DataFrame: ...

    def ads(self, account_id: str) -> pd.DataFrame: ...

    def campaign_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame: ...

    def ad_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame: ...

    def set_daily_budget(self, account_id: str, campaign_id: str, amount: float) -> float | None: ...

    def set_status(self, account_id: str, entity: Entity, entity_id: str, status: Status) -> str | None: ...

    def set_bid(self, account_id: str, entity: Entity, entity_id: str, amount: float) -> float | None: ...

    def create_campaign(self, account_id: str, template: CampaignTemplate) -> str: ...

    def create_ad_group(self, account_id: str, campaign_id: str, template: AdGroupTemplate) -> str:
        """The id of the campaign's ad group named `template.name`, created PAUSED if there is none
        (find-or-create: a step repeated after a crash finds what it made)."""
        ...

    def create_ad(self, account_id: str, ad_group_id: str, template: AdTemplate) -> str:
        """The id of the ad group's ad named `template.name`, created PAUSED if there is none."""
        ...

    def remove(self, account_id: str, entity: Entity, entity_id: str) -> str:
        """Take an entity away for good: deleted where the platform deletes, else archived (or
        paused, where neither exists). Returns the status it is left in (REMOVED, DELETED, ARCHIVED)."""
        ...


# The canonical columns a connector returns: the warehouse tables' own columns, less what the sync adds.
_ADDED_BY_SYNC = {
    "spend_reporting",
    "conversion_value_reporting",
    "reporting_currency",
    "synced_at",
    "sync_run_id",
}


def _read_columns(table: str) -> list[str]:
    from adops.warehouse.tables import TABLES

    return [c for c in TABLES[table].columns if c not in _ADDED_BY_SYNC]


METRICS = ["impressions", "clicks", "spend", "conversions", "conversion_value"]
CAMPAIGN_COLUMNS = _read_columns("campaigns")
AD_COLUMNS = _read_columns("ads")
CAMPAIGN_DAILY_COLUMNS = _read_columns("campaign_daily")
AD_DAILY_COLUMNS = _read_columns("ad_daily")
