"""The optimizer's daily history from the warehouse: one channel per campaign, account or platform.

Channel names: `platform:account_id:campaign_id` (campaign), `platform:account_id` (account) or
`platform` (platform). Money is in the reporting currency (`spend_reporting`,
`conversion_value_reporting`), so channels in different currencies share one budget.

The most recent days are dropped while their conversions still restate (platforms add late
conversions for days to weeks): fitting them would read the shortfall as saturation. How many days:
a sandbox account restates for exactly `RESTATEMENT_DAYS` (10); a real account for up to its
platform's lookback window (`lookback_days` in adops.toml: 14-30 days), the window the sync re-reads
for the same reason. `restating_days=` overrides both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from adops import config, warehouse
from adops.optimize.history import CURRENT_WINDOW_DAYS

LEVELS = ("campaign", "account", "platform")
HISTORY_DAYS = 365  # a year: enough for the yearly cycle, short enough to stay current


@dataclass(frozen=True)
class WarehouseHistory:
    """History for `load_history`, the channels behind it and what was left out."""

    frame: pd.DataFrame  # date (YYYY-MM-DD), channel, spend, conversions, revenue
    channels: pd.DataFrame  # channel, platform, account_id, campaign_id, name, currency
    level: str
    snapshot_id: str
    last_complete: dict[str, date] = field(default_factory=dict)  # platform:account -> last day kept
    restating_days: dict[str, int] = field(default_factory=dict)  # platform:account -> days dropped

    @property
    def empty(self) -> bool:
        return self.frame.empty


def restating_days_for(platform: str, account_id: str, cfg: config.Config | None = None) -> int:
    """Days at the end of an account's history whose conversions may still change (see the module)."""
    from adops.connectors import workspace_accounts
    from adops.connectors.sandbox.world import RESTATEMENT_DAYS

    cfg = cfg or config.load()
    for acc in workspace_accounts(cfg, [platform]):
        if acc.id == account_id and acc.connector == "sandbox":
            return RESTATEMENT_DAYS
    return int(cfg.lookback_days.get(platform, 14))


def warehouse_history(
    level: str = "campaign",
    *,
    platforms: Iterable[str] = (),
    accounts: Iterable[str] = (),
    days: int = HISTORY_DAYS,
    restating_days: int | Mapping[str, int] | None = None,
    active_only: bool = True,
) -> WarehouseHistory:
    """Daily spend, conversions and revenue per channel from `campaign_daily`, restating days dropped.

    `accounts` are `platform:account_id` keys. `active_only` keeps channels that spent in the last 28
    kept days: a paused campaign has no current spend to move.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    snap = warehouse.snapshot()
    empty = WarehouseHistory(_empty_frame(), _empty_channels(), level, snap.id)
    if "campaign_daily" not in snap.versions:
        return empty
    raw = warehouse.query(
        """SELECT date, platform, account_id, campaign_id, any_value(campaign_name) AS campaign_name,
                  any_value(currency) AS currency, sum(spend_reporting) AS spend,
                  sum(conversions) AS conversions, sum(conversion_value_reporting) AS revenue
           FROM campaign_daily
           WHERE date >= (SELECT max(date) FROM campaign_daily) - ?::INTEGER
           GROUP BY ALL""",
        [days + 31],
    )
    raw["key"] = raw["platform"] + ":" + raw["account_id"]
    wanted_platforms, wanted_accounts = set(platforms), set(accounts)
    if wanted_platforms:
        raw = raw[raw["platform"].isin(wanted_platforms)]
    if wanted_accounts:
        raw = raw[raw["key"].isin(wanted_accounts)]
    if raw.empty:
        return empty
    raw["date"] = pd.to_datetime(raw["date"])

    cfg = config.load()
    last_complete, dropped = {}, {}
    keep = pd.Series(False, index=raw.index)
    for key, rows in raw.groupby("key"):
        platform, account_id = str(key).split(":", 1)
        if restating_days is None:
            n = restating_days_for(platform, account_id, cfg)
        elif isinstance(restating_days, Mapping):
            n = int(restating_days.get(str(key), restating_days_for(platform, account_id, cfg)))
        else:
            n = int(restating_days)
        last = rows["date"].max().date() - timedelta(days=n)
        last_complete[str(key)], dropped[str(key)] = last, n
        first = last - timedelta(days=days - 1)
        keep |= (raw["key"] == key) & raw["date"].between(pd.Timestamp(first), pd.Timestamp(last))
    raw = raw[keep]
    if raw.empty:
        return WarehouseHistory(_empty_frame(), _empty_channels(), level, snap.id, last_complete, dropped)

    raw["channel"] = _channel(raw, level)
    if active_only:
        recent = raw[raw["date"] > raw["date"].max() - pd.Timedelta(days=CURRENT_WINDOW_DAYS)]
        active = set(recent.loc[recent["spend"] > 0, "channel"])
        raw = raw[raw["channel"].isin(active)]
    frame = (
        raw.groupby(["date", "channel"], as_index=False)[["spend", "conversions", "revenue"]]
        .sum()
        .sort_values(["channel", "date"], kind="stable")
    )
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    channels = (
        raw.sort_values("date")
        .groupby("channel", as_index=False)
        .agg(
            platform=("platform", "first"),
            account_id=("account_id", "first"),
            campaign_id=("campaign_id", "last"),
            name=("campaign_name", "last"),
            currency=("currency", "last"),
        )
    )
    if level != "campaign":
        channels["campaign_id"] = None
        channels["name"] = channels["channel"]
    if level == "platform":
        channels["account_id"] = None
    return WarehouseHistory(frame.reset_index(drop=True), channels, level, snap.id, last_complete, dropped)


def _channel(raw: pd.DataFrame, level: str) -> pd.Series:
    if level == "campaign":
        return raw["key"] + ":" + raw["campaign_id"]
    if level == "account":
        return raw["key"]
    return raw["platform"]


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(columns=["date", "channel", "spend", "conversions", "revenue"])


def _empty_channels() -> pd.DataFrame:
    return pd.DataFrame(columns=["channel", "platform", "account_id", "campaign_id", "name", "currency"])
