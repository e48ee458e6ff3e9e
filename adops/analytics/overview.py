"""The Overview's numbers: KPI tiles with change, daily series and a platform × KPI table.

All of it reads the `account_daily` rollup (campaign_daily summed per account and day). Money is
in the reporting currency (`spend_reporting`, `conversion_value_reporting`), so platforms
and accounts in different currencies add up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from adops import clock, warehouse
from adops.analytics.kpis import KPIS, kpi
from adops.analytics.kpis import sql as kpi_sql
from adops.errors import InputError

SUMS = """
    sum(impressions)::DOUBLE AS impressions, sum(clicks)::DOUBLE AS clicks,
    sum(spend_reporting) AS spend, sum(conversions) AS conversions,
    sum(conversion_value_reporting) AS conversion_value
"""
TILES = ("spend", "conversions", "cpa", "roas", "ctr")


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    platforms: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()  # "platform:account_id"

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise InputError(f"the start date {self.start} is after the end date {self.end}")

    @property
    def previous(self) -> Filters:
        """The period of the same length just before this one."""
        days = (self.end - self.start).days + 1
        return Filters(
            self.start - timedelta(days=days), self.start - timedelta(days=1), self.platforms, self.accounts
        )

    def where(self) -> tuple[str, list[Any]]:
        clauses = ["date BETWEEN ? AND ?"]
        params: list[Any] = [self.start, self.end]
        if self.platforms:
            clauses.append(f"platform IN ({', '.join('?' * len(self.platforms))})")
            params += list(self.platforms)
        if self.accounts:
            clauses.append(f"platform || ':' || account_id IN ({', '.join('?' * len(self.accounts))})")
            params += list(self.accounts)
        return " AND ".join(clauses), params


def date_bounds() -> tuple[date, date] | None:
    """First and last day with data, or None for an empty warehouse."""
    frame = warehouse.query("SELECT min(date) AS lo, max(date) AS hi FROM account_daily")
    lo, hi = frame.iloc[0]["lo"], frame.iloc[0]["hi"]
    if pd.isna(lo):
        return None
    return pd.Timestamp(lo).date(), pd.Timestamp(hi).date()


def accounts() -> pd.DataFrame:
    """platform, account_id, account_name, currency, key ("platform:account_id")."""
    frame = warehouse.query(
        "SELECT platform, account_id, account_name, currency, timezone FROM accounts ORDER BY platform, account_name"
    )
    frame["key"] = frame["platform"] + ":" + frame["account_id"]
    return frame


def default_range(bounds: tuple[date, date], days: int = 28) -> tuple[date, date]:
    """The last `days` complete days: today is still filling in (and means another date in each time zone)."""
    first, last = bounds
    end = min(last, clock.today() - timedelta(days=1))
    end = end if end >= first else last
    return max(first, end - timedelta(days=days - 1)), end


def totals(filters: Filters) -> dict[str, float]:
    where, params = filters.where()
    row = warehouse.query(f"SELECT {SUMS} FROM account_daily WHERE {where}", params).iloc[0]
    return {str(k): float(0 if pd.isna(v) else v) for k, v in row.items()}


@dataclass(frozen=True)
class Tile:
    kpi: str
    value: float
    previous: float  # the same KPI over the previous period of the same length
    change: float  # relative; NaN when there is nothing to compare with


def tiles(filters: Filters) -> list[Tile]:
    """The KPI tiles with their change against the previous period."""
    now, before = totals(filters), totals(filters.previous)
    out = []
    for name in TILES:
        value = now[name] if name in now else kpi(name, now)
        prev = before[name] if name in before else kpi(name, before)
        change = value / prev - 1 if prev and not math.isnan(prev) and not math.isnan(value) else math.nan
        out.append(Tile(name, value, prev, change))
    return out


def daily_by_platform(filters: Filters) -> pd.DataFrame:
    """date, platform, spend, conversions (and the other sums) per day and platform."""
    where, params = filters.where()
    return warehouse.query(
        f"SELECT date, platform, {SUMS} FROM account_daily WHERE {where} GROUP BY ALL ORDER BY date, platform",
        params,
    )


def by_platform(filters: Filters) -> pd.DataFrame:
    """The platform × KPI table, with a total row: one query (the total is a grouping set, the
    KPIs DuckDB expressions), so a rerun costs one round trip and no pandas arithmetic."""
    where, params = filters.where()
    ratios = ", ".join(f"{kpi_sql(name)} AS {name}" for name in KPIS)
    return warehouse.query(
        f"""WITH sums AS (
                SELECT platform, {SUMS} FROM account_daily WHERE {where}
                GROUP BY GROUPING SETS ((platform), ()) HAVING count(*) > 0)
            SELECT coalesce(platform, 'All platforms') AS platform, *  EXCLUDE (platform), {ratios}
            FROM sums ORDER BY platform IS NULL, spend DESC""",
        params,
    )
