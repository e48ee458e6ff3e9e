"""Cross-platform breakdowns: KPIs per platform, account, campaign, ad group or creative, period over period.

Every number is summed in the reporting currency (`spend_reporting`, `conversion_value_reporting`)
and every KPI is a ratio of those sums (`adops.analytics.kpis`), so platforms and accounts in different
currencies compare. One scan reads the chosen period and the one before it (same length) with
`FILTER` clauses, so a period-over-period table costs one query.

A level says where its numbers come from: platforms and accounts from the `account_daily` rollup,
campaigns from `campaign_daily`, ad groups and creatives from `ad_daily`. Campaign and ad-level
queries whose range lies in the recent window (`adops.analytics.recent`: the last 190 days, held
in memory per snapshot with each entity numbered) sum per entity number first and name the few
thousand entities afterwards; older ranges read the Parquet files. Both give the same sums.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from adops import warehouse
from adops.analytics import recent
from adops.analytics.kpis import kpi
from adops.analytics.kpis import sql as kpi_sql
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
    clauses = [f"date BETWEEN {date_sql(start or filters.start)} AND {date_sql(filters.end)}"]
    entities, params = entity_where(filters)
    return " AND ".join([*clauses, *entities]), params


def entity_where(filters: Filters) -> tuple[list[str], list[Any]]:
    """The platform and account conditions of `where` (no dates), with their parameters."""
    clauses = []
    params: list[Any] = []
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
    return clauses, params


@dataclass(frozen=True)
class Source:
    """Where a query reads a daily table: its name (`table`) or a summed relation in the same
    columns; `run` runs the SQL where that lives; `names` prefixes the `ads`/`campaigns` lookups."""

    table: str
    run: Callable[..., pd.DataFrame]
    names: str = ""


def source(
    table: str, start: date, end: date, bucket: str, only: str = "", splits: tuple[date, ...] = ()
) -> Source:
    """`table` (ad_daily or campaign_daily) between `start` and `end`, for a query that reads only
    its entity keys, `date` and the summed metrics, and whose dates matter only as `bucket` (SQL over
    `date`, e.g. the period a day belongs to; it must stay within [start, end]).

    Inside the recent window this is the window's rows summed per entity number and bucket, then
    named: a few rows per entity instead of one per day. Weeks that lie wholly in the range and
    cross none of `splits` (days where `bucket` may change value) are read from the window's weekly
    sums, the days at the edges from its daily rows. Otherwise the table itself. `only`: a condition
    on single rows applied before summing (e.g. `impressions > 0`; then days only).
    """
    if table not in recent.KEYS:
        return Source(table, warehouse.query)
    window = recent.recent()
    columns = recent.COLUMNS[table]
    if not window.covers(table, start):
        stored = warehouse.TABLES[table].columns
        replaced = [f"{sql} AS {name}" for name, sql in columns.items() if sql != name and name in stored]
        added = [f", {sql} AS {name}" for name, sql in columns.items() if name not in stored]
        if not replaced and not added:
            return Source(table, warehouse.query)
        star = f"* REPLACE ({', '.join(replaced)})" if replaced else "*"
        return Source(f"(SELECT {star}{''.join(added)} FROM {table})", warehouse.query)
    keys = ", ".join(f"n.{k}" for k in recent.KEYS[table])
    summed = ", ".join(f"sum({m}) AS {m}" for m in columns)
    weeks = [] if only else _whole_weeks(start, end, splits)
    days = f"date BETWEEN {date_sql(start)} AND {date_sql(end)}" + (f" AND {only}" if only else "")
    parts = []
    if weeks:
        days += "".join(f" AND date_trunc('week', date) <> {date_sql(w)}" for w in weeks)
        listed = ", ".join(date_sql(w) for w in weeks)
        cols = ", ".join(columns)
        parts.append(  # a whole week's days share their bucket: its Monday stands for them
            f"SELECT {bucket} AS date, k, {cols} FROM (SELECT week AS date, k, {cols} "
            f"FROM recent_{table}_weeks WHERE week IN ({listed}))"
        )
    parts.insert(0, f"SELECT {bucket} AS date, k, {', '.join(columns)} FROM recent_{table} WHERE {days}")
    rows = " UNION ALL ".join(parts)
    relation = f"""(SELECT b.date, {keys}, {", ".join(f"b.{m}" for m in columns)}
        FROM (SELECT date, k, {summed} FROM ({rows}) GROUP BY ALL) b
        JOIN recent_{table}_keys n ON b.k = n.k)"""
    return Source(relation, window.query, "recent_")


def _whole_weeks(start: date, end: date, splits: tuple[date, ...]) -> list[date]:
    """The Mondays of the weeks that lie wholly within [start, end] and contain none of `splits`
    but as their Monday (a split is the first day of a new bucket)."""
    monday = start + timedelta(days=(7 - start.weekday()) % 7)
    out = []
    while monday + timedelta(days=6) <= end:
        sunday = monday + timedelta(days=6)
        if not any(monday < split <= sunday for split in splits):
            out.append(monday)
        monday += timedelta(days=7)
    return out


def date_sql(day: date) -> str:
    """A day as a SQL literal. Dates go into the text, not as parameters: DuckDB prunes the Parquet
    row groups by a constant date range, not by a parameter (26 ms against 6.5 ms on 1M rows)."""
    if not isinstance(day, date):
        raise InputError(f"expected a date, got {type(day).__name__}")
    return f"DATE '{day.isoformat()}'"


def breakdown(filters: Filters, level_name: str) -> pd.DataFrame:
    """One row per entity of the level: summed metrics and KPIs for the period, the same for the
    previous period of the same length (`<metric>_prev`), and their change (`<metric>_change`,
    absolute; `<metric>_change_pct`, relative, NaN where the previous value is 0 or missing).

    Columns also name the entity for people (`name`) and for workflows (`entity_type`, `entity_id`).
    Sorted by spend, largest first. One query: sums, KPIs (`kpis.sql`) and names are taken in DuckDB.
    """
    lvl = level(level_name)
    clause, params = where(filters, start=filters.previous.start)
    keys = ", ".join(lvl.keys)
    since = date_sql(filters.start)
    sums = ", ".join(
        f"coalesce(sum({col}) FILTER (WHERE date >= {since}), 0)::DOUBLE AS {name}, "
        f"coalesce(sum({col}) FILTER (WHERE date < {since}), 0)::DOUBLE AS {name}_prev"
        for name, col in _SUMS.items()
    )
    values = []
    for metric in METRICS:
        now = metric if metric in _SUMS else kpi_sql(metric)
        before = f"{metric}_prev" if metric in _SUMS else kpi_sql(metric, "{}_prev")
        change = f"({now} - {before})"
        values.append(
            f"{now} AS {metric}, {before} AS {metric}_prev, {change} AS {metric}_change, "
            f"{change} / nullif({before}, 0) AS {metric}_change_pct"
        )
    period = f"CASE WHEN date >= {since} THEN {since} ELSE {date_sql(filters.previous.start)} END"
    src = source(lvl.table, filters.previous.start, filters.end, period, splits=(filters.start,))
    name_sql, join = _name_sql(lvl, src.names)
    active = " OR ".join(f"{m} <> 0 OR {m}_prev <> 0" for m in _SUMS)
    return src.run(
        f"""WITH s AS (SELECT {keys}, {sums} FROM {src.table} WHERE {clause} GROUP BY ALL)
            SELECT {", ".join(f"s.{k}" for k in lvl.keys)}, {name_sql} AS name,
                   '{lvl.entity_type}' AS entity_type, s.{lvl.id_column}::VARCHAR AS entity_id, {", ".join(values)}
            FROM s {join}
            WHERE {active}
            ORDER BY spend DESC, {", ".join(f"s.{k}" for k in lvl.keys)}""",
        params,
    )


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
        # the id column first: the key is built only for the few rows whose id is one of the entities'
        ids = [e.split(":", len(lvl.keys) - 1)[-1] for e in entities]
        entity_sql = (
            f"CASE WHEN list_contains(?::VARCHAR[], {lvl.id_column}) AND list_contains(?::VARCHAR[], {key}) "
            f"THEN {key} ELSE 'Other' END"
        )
        entity_params = [ids, list(entities)]
    sums = ", ".join(f"sum({col})::DOUBLE AS {name}" for name, col in _SUMS.items())
    value = metric if metric in _SUMS else kpi_sql(metric)  # the KPI in SQL: no pandas pass over the frame
    window = recent.recent() if lvl.table in recent.KEYS else None
    if window is not None and window.covers(lvl.table, filters.start):
        # each entity number's series key taken once on the few thousand keys, then the days joined
        named, named_params = entity_where(filters)
        return window.query(
            f"""WITH e AS (SELECT k, {entity_sql} AS entity FROM recent_{lvl.table}_keys
                           WHERE {" AND ".join(named) or "true"}),
                s AS (SELECT date_trunc('{grain}', a.date)::DATE AS period, e.entity, {sums}
                      FROM recent_{lvl.table} a JOIN e ON a.k = e.k
                      WHERE a.date BETWEEN {date_sql(filters.start)} AND {date_sql(filters.end)}
                      GROUP BY ALL)
                SELECT period, entity, {value} AS {metric} FROM s ORDER BY period, entity""",
            entity_params + named_params,
        )
    return warehouse.query(
        f"""WITH s AS (SELECT date_trunc('{grain}', date)::DATE AS period, {entity_sql} AS entity, {sums}
                       FROM {lvl.table} WHERE {clause} GROUP BY ALL)
            SELECT period, entity, {value} AS {metric} FROM s ORDER BY period, entity""",
        entity_params + params,
    )


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
    clause, params = where(filters, start=filters.previous.start)
    since = date_sql(filters.start)
    sums = ", ".join(
        f"coalesce(sum({col}) FILTER (WHERE date >= {since}), 0)::DOUBLE AS {name}, "
        f"coalesce(sum({col}) FILTER (WHERE date < {since}), 0)::DOUBLE AS {name}_prev"
        for name, col in _SUMS.items()
    )
    row = warehouse.query(f"SELECT {sums} FROM account_daily WHERE {clause}", params).iloc[0]
    now = {m: float(row[m]) for m in _SUMS}
    before = {m: float(row[f"{m}_prev"]) for m in _SUMS}
    out = []
    for metric in METRICS:
        if metric in _SUMS:
            out.append(Tile(metric, now[metric], before[metric]))
        else:
            out.append(Tile(metric, kpi(metric, now), kpi(metric, before)))
    return out


def _key_sql(lvl: Level) -> str:
    return " || ':' || ".join(lvl.keys) if len(lvl.keys) > 1 else lvl.keys[0]


def _name_sql(lvl: Level, prefix: str = "") -> tuple[str, str]:
    """What people call each entity (the platform's, account's, campaign's or ad's own name, the id
    when none is stored), as a SQL expression and the join it needs (`prefix`: the recent window's
    copies of the `ads` and `campaigns` tables)."""
    if lvl.name == "platform":
        cases = " ".join(f"WHEN '{key}' THEN '{text}'" for key, text in PLATFORM_NAMES.items())
        return f"CASE s.platform {cases} ELSE s.platform END", ""
    table, column, keys = {
        "account": ("accounts", "account_name", ("platform", "account_id")),
        "campaign": ("campaigns", "campaign_name", ("platform", "account_id", "campaign_id")),
        "ad_group": ("ads", "ad_group_name", ("platform", "account_id", "ad_group_id")),
        "creative": ("ads", "ad_name", ("platform", "account_id", "ad_id")),
    }[lvl.name]
    on = " AND ".join(f"s.{k} = n.{k}" for k in keys)
    if table != "accounts":
        table = prefix + table
    lookup = f"(SELECT DISTINCT ON ({', '.join(keys)}) {', '.join(keys)}, {column} FROM {table})"
    return f"coalesce(n.{column}, s.{lvl.id_column})", f"LEFT JOIN {lookup} n ON {on}"
