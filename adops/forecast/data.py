"""Daily series from the warehouse, ready for `forecast_many`: one metric, summed at one level.

    from adops.forecast import daily_series, forecast_many
    frames = daily_series("spend", level="account", since=date(2025, 1, 1))
    results = forecast_many(frames, parts=daily_parts("spend", level="account", since=date(2025, 1, 1)))

Money is summed in the reporting currency so totals across accounts add up. A day without rows
inside a series' span is a day without delivery: it becomes 0, not a gap.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import pandas as pd

from adops.errors import InputError

Level = Literal["total", "platform", "account", "campaign"]

METRICS = {
    "spend": "coalesce(spend_reporting, spend)",
    "conversions": "conversions",
    "conversion_value": "coalesce(conversion_value_reporting, conversion_value)",
    "clicks": "clicks",
    "impressions": "impressions",
}
LEVELS: dict[str, list[str]] = {
    "total": [],
    "platform": ["platform"],
    "account": ["platform", "account_id"],
    "campaign": ["platform", "account_id", "campaign_id"],
}


def daily_series(
    metric: str = "spend",
    level: Level = "platform",
    since: date | None = None,
    until: date | None = None,
    platforms: list[str] | None = None,
) -> dict[str | None, pd.DataFrame]:
    """Series key ("meta", "meta:act_1", "meta:act_1:42"; None for the total) -> frame of ds and y."""
    keys = LEVELS[_checked(metric, level)]
    rows = _daily(keys, f"sum({METRICS[metric]}) AS y", since, until, platforms)
    out: dict[str | None, pd.DataFrame] = {}
    if rows.empty:
        return out
    rows["date"] = pd.to_datetime(rows["date"])
    groups = rows.groupby(keys, sort=True) if keys else [((), rows)]
    for key, part in groups:
        name = ":".join(str(k) for k in (key if isinstance(key, tuple) else (key,))) or None
        daily = part.set_index("date")["y"].astype(float)
        span = pd.date_range(daily.index.min(), daily.index.max(), freq="D")
        daily = daily.reindex(span, fill_value=0.0)
        out[name] = pd.DataFrame({"ds": span, "y": daily.to_numpy()})
    return out


def daily_parts(
    metric: str = "spend",
    level: Level = "platform",
    since: date | None = None,
    until: date | None = None,
    platforms: list[str] | None = None,
) -> dict[str | None, pd.DataFrame]:
    """Each series' campaigns: series key -> long frame of ds, part, spend and y (the metric).

    Feeds the bottom-up regime forecast (`forecast_many(parts=...)`), which fills the days a
    campaign has no row with 0; empty at the campaign level, which has no parts.
    """
    keys = LEVELS[_checked(metric, level)]
    if level == "campaign":
        return {}
    values = f"sum({METRICS['spend']}) AS spend, sum({METRICS[metric]}) AS y"
    rows = _daily(LEVELS["campaign"], values, since, until, platforms)
    if rows.empty:
        return {}
    rows["ds"] = pd.to_datetime(rows["date"])
    rows["part"] = (
        rows["platform"] + ":" + rows["account_id"].astype(str) + ":" + rows["campaign_id"].astype(str)
    )
    groups = rows.groupby(keys, sort=True) if keys else [((), rows)]
    out: dict[str | None, pd.DataFrame] = {}
    for key, part in groups:
        name = ":".join(str(k) for k in (key if isinstance(key, tuple) else (key,))) or None
        out[name] = part[["ds", "part", "spend", "y"]].reset_index(drop=True)
    return out


def _checked(metric: str, level: str) -> str:
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
    if level not in LEVELS:
        raise InputError(f"unknown level {level!r}; one of {', '.join(LEVELS)}")
    return level


def _daily(
    keys: list[str], values: str, since: date | None, until: date | None, platforms: list[str] | None
) -> pd.DataFrame:
    """`values` (aggregates) per day and `keys` from campaign_daily, within the filters."""
    from adops import warehouse

    where: list[str] = ["1 = 1"]
    params: list[object] = []
    if since:
        where.append("date >= ?")
        params.append(since)
    if until:
        where.append("date <= ?")
        params.append(until)
    if platforms:
        where.append(f"platform IN ({', '.join('?' for _ in platforms)})")
        params.extend(platforms)
    group = ", ".join([*keys, "date"])
    sql = (
        f"SELECT {group}, {values} FROM campaign_daily WHERE {' AND '.join(where)} "
        f"GROUP BY {group} ORDER BY {group}"
    )
    return warehouse.query(sql, params)
