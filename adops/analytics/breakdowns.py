"""Cross-platform breakdowns: KPIs per platform, account, campaign, ad group or creative, period over period.

Every number is summed in the reporting currency (`spend_reporting`, `conversion_value_reporting`)
and every KPI is a ratio of those sums (`adops.analytics.kpis`), so platforms and accounts in different
currencies compare. One scan reads the chosen period and the one before it (same length) with
`FILTER` clauses, so a period-over-period table costs one query.

A level says where its numbers come from: platforms and accounts from the `account_daily` rollup,
campaigns from `campaign_daily`, ad groups and creatives from `ad_daily`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from adops import warehouse
from adops.analytics.kpis import KPIS, add_kpis
from adops.analytics.overview import Filters
from adops.config import PLATFORM_NAMES
from adops.errors import InputError

__all__ = [
    "GRAINS",
    "LEVELS",
    "METRICS",
    "Level",
    "Tile",
    "breakdown",
    "level",
    "series",
    "tiles",
]

#: summed metrics, in the order tables show them
SUMMED = ("spend", "impressions", "clicks", "conversions", "conversion_value")
#: the KPIs the analysis page compares (ratios of sums)
RATIOS = ("ctr", "cpc", "cpa", "roas")
METRICS = (*SUMMED, *RATIOS)
GRAINS = ("day", "week", "month")
#: the SQL that sums the metrics (money in the reporting currency)
_SUMS = {
    "impressions": "impressions",
    "clicks": "clicks",
    "spend": "spend_reporting",
    "conversions": "conversions",
    "conversion_value": "conversion_value_reporting",
}


@dataclass(frozen=True)
class Level:
    """A level of the breakdown: where it reads, what identifies an entity, what a platform calls it."""

    name: str
    label: str
    table: str
    keys: tuple[str, ...]
    #: the entity type a workflow acts on (`campaign`, `ad_group`, `ad`; `account`, `platform` above them)
    entity_type: str

    @property
    def id_column(self) -> str:
        return self.keys[-1]


LEVELS: dict[str, Level] = {
    "platform": Level("platform", "Platform", "account_daily", ("platform",), "platform"),
    "account": Level("account", "Account", "account_daily", ("platform", "account_id"), "account"),
    "campaign": Level(
        "campaign", "Campaign", "campaign_daily", ("platform", "account_id", "campaign_id"), "campaign"
    ),
    "ad_group": Level(
        "ad_group",
        "Ad group",
        "ad_daily",
        ("platform", "account_id", "campaign_id", "ad_group_id"),
        "ad_group",
    ),
    "creative": Level(
        "creative",
        "Creative",
        "ad_daily",
        ("platform", "account_id", "campaign_id", "ad_group_id", "ad_id"),
        "ad",
    ),
}


def level(name: str) -> Level:
    """The level called `name`; InputError listing the levels otherwise."""
    try:
        return LEVELS[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown level {name!r}: use one of {', '.join(LEVELS)}") from None


def where(filters: Filters, start: date | None = None) -> tuple[str, list[Any]]:
    """The WHERE clause (dates, platforms, accounts) with its parameters; `start` widens the dates back."""
    clauses = ["date BETWEEN ? AND ?"]
    params: list[Any] = [start or filters.start, filters.end]
    if filters.platforms:
        clauses.append(f"platform IN ({', '.join('?' * len(filters.platforms))})")
        params += list(filters.platforms)
    if filters.accounts:
        pairs = [key.split(":", 1) for key in filters.accounts]
        if any(len(pair) != 2 for pair in pairs):
            raise InputError("an account filter is written platform:account_id")
        clauses.append(f"account_id IN ({', '.join('?' * len(pairs))})")
        params += [account for _, account in pairs]
        clauses.append(f"platform || ':' || account_id IN ({', '.join('?' * len(pairs))})")
        params += list(filters.accounts)
    return " AND ".join(clauses), params


def breakdown(filters: Filters, level_name: str) -> pd.DataFrame:
    """One row per entity of the level: summed metrics and KPIs for the period, the same for the
    previous period of the same length (`<metric>_prev`), and their change (`<metric>_change`,
    absolute; `<metric>_change_pct`, relative, NaN where the previous value is 0 or missing).

    Columns also name the entity for people (`name`) and for workflows (`entity_type`, `entity_id`).
    Sorted by spend, largest first.
    """
    lvl = level(level_name)
    previous = filters.previous
    clause, params = where(filters, start=previous.start)
    keys = ", ".join(lvl.keys)
    now = ", ".join(
        f"coalesce(sum({col}) FILTER (WHERE date >= ?), 0)::DOUBLE AS {name}" for name, col in _SUMS.items()
    )
    before = ", ".join(
        f"coalesce(sum({col}) FILTER (WHERE date < ?), 0)::DOUBLE AS {name}_prev"
        for name, col in _SUMS.items()
    )
    frame = warehouse.query(
        f"SELECT {keys}, {now}, {before} FROM {lvl.table} WHERE {clause} GROUP BY ALL",
        [filters.start] * len(_SUMS) + [filters.start] * len(_SUMS) + params,
    )
    frame = frame[
        (frame[list(_SUMS)].abs().sum(axis=1) > 0) | (frame[[f"{m}_prev" for m in _SUMS]].sum(axis=1) > 0)
    ]
    current = add_kpis(frame[[*lvl.keys, *_SUMS]])
    prior = add_kpis(
        frame[[*lvl.keys, *(f"{m}_prev" for m in _SUMS)]].rename(columns=lambda c: c.removesuffix("_prev"))
    )
    out = current[[*lvl.keys, *METRICS]].copy()
    for metric in METRICS:
        out[f"{metric}_prev"] = prior[metric].to_numpy()
        out[f"{metric}_change"] = out[metric] - out[f"{metric}_prev"]
        base = out[f"{metric}_prev"].replace(0, np.nan)
        out[f"{metric}_change_pct"] = out[f"{metric}_change"] / base
    out = out.sort_values(["spend", *lvl.keys], ascending=[False] + [True] * len(lvl.keys), ignore_index=True)
    names = _names(lvl, out)
    out.insert(len(lvl.keys), "name", names)
    out.insert(len(lvl.keys) + 1, "entity_type", lvl.entity_type)
    out.insert(len(lvl.keys) + 2, "entity_id", out[lvl.id_column].astype(str))
    return out


def series(
    filters: Filters, level_name: str, grain: str, metric: str, entities: list[str] | None = None
) -> pd.DataFrame:
    """`period, entity, <metric>` at the grain, for the given entity keys (see `entity_keys`); the other
    entities of the level are summed into `Other` before the KPI is taken (KPIs from sums, never averaged).

    `entities` None: every entity of the level (use it for platforms and accounts, not creatives).
    """
    lvl = level(level_name)
    if grain not in GRAINS:
        raise InputError(f"unknown grain {grain!r}: use one of {', '.join(GRAINS)}")
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r}: use one of {', '.join(METRICS)}")
    clause, params = where(filters)
    key = _key_sql(lvl)
    if entities is None:
        entity_sql, entity_params = key, []
    else:
        entity_sql = f"CASE WHEN list_contains(?::VARCHAR[], {key}) THEN {key} ELSE 'Other' END"
        entity_params = [list(entities)]
    sums = ", ".join(f"sum({col})::DOUBLE AS {name}" for name, col in _SUMS.items())
    frame = warehouse.query(
        f"SELECT date_trunc('{grain}', date)::DATE AS period, {entity_sql} AS entity, {sums} "
        f"FROM {lvl.table} WHERE {clause} GROUP BY ALL ORDER BY period, entity",
        entity_params + params,
    )
    frame = add_kpis(frame)
    return frame[["period", "entity", metric]]


def entity_keys(table: pd.DataFrame, level_name: str) -> list[str]:
    """The entity keys of breakdown rows, as `series` names them (`platform:account_id:...`)."""
    lvl = level(level_name)
    return [":".join(str(v) for v in row) for row in table[list(lvl.keys)].itertuples(index=False)]


@dataclass(frozen=True)
class Tile:
    """A KPI over the period with its value over the previous period of the same length."""

    kpi: str
    value: float
    previous: float

    @property
    def change(self) -> float:
        """Absolute change (NaN when either side is unknown)."""
        return self.value - self.previous

    @property
    def change_pct(self) -> float:
        """Relative change; NaN when the previous value is 0 or unknown."""
        if not self.previous or math.isnan(self.previous) or math.isnan(self.value):
            return math.nan
        return self.value / self.previous - 1


def tiles(filters: Filters) -> list[Tile]:
    """The analysis page's tiles: every summed metric and KPI, this period against the previous one."""
    table = breakdown(filters, "platform")
    now = {m: float(table[m].sum()) for m in _SUMS}
    before = {m: float(table[f"{m}_prev"].sum()) for m in _SUMS}
    out = []
    for metric in METRICS:
        if metric in _SUMS:
            out.append(Tile(metric, now[metric], before[metric]))
        else:
            num, den, scale, _ = KPIS[metric]
            out.append(
                Tile(metric, _ratio(now[num], now[den], scale), _ratio(before[num], before[den], scale))
            )
    return out


def _ratio(num: float, den: float, scale: float) -> float:
    return num / den * scale if den else math.nan


def _key_sql(lvl: Level) -> str:
    return " || ':' || ".join(lvl.keys) if len(lvl.keys) > 1 else lvl.keys[0]


def _names(lvl: Level, frame: pd.DataFrame) -> pd.Series:
    """What people call each entity: the platform's name, the account's, the campaign's, the ad's."""
    if frame.empty:
        return pd.Series([], dtype=object)
    if lvl.name == "platform":
        return frame["platform"].map(lambda p: PLATFORM_NAMES.get(p, p))
    if lvl.name == "account":
        table, name, keys = "accounts", "account_name", ["platform", "account_id"]
    elif lvl.name == "campaign":
        table, name, keys = "campaigns", "campaign_name", ["platform", "account_id", "campaign_id"]
    elif lvl.name == "ad_group":
        table, name, keys = "ads", "ad_group_name", ["platform", "account_id", "ad_group_id"]
    else:
        table, name, keys = "ads", "ad_name", ["platform", "account_id", "ad_id"]
    lookup = warehouse.query(f"SELECT DISTINCT ON ({', '.join(keys)}) {', '.join(keys)}, {name} FROM {table}")
    named = frame[keys].merge(lookup, on=keys, how="left")[name]
    return named.fillna(frame[lvl.id_column]).astype(str).reset_index(drop=True).set_axis(frame.index)
