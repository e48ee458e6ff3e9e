"""The Live monitoring page's numbers: spend against budget today and this month, pacing, sync health.

Money is in the reporting currency: spend from `spend_reporting`, budgets (the campaigns' daily
budgets) at each currency's latest rate. A month's budget is the enabled campaigns' daily budgets
times the days of the month. Pacing reuses `adops.forecast.pacing.pace`: the days left are forecast
at the run rate of the last seven complete days (today is still filling in), with the spread of
the last fourteen, and the month's projected total is compared with its budget: `over` or `under`
when it misses by more than `TOLERANCE`.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from adops import clock, config, warehouse
from adops.errors import InputError
from adops.forecast.pacing import pace

LEVELS = {
    "platform": ["platform"],
    "account": ["platform", "account_id"],
    "campaign": ["platform", "account_id", "campaign_id"],
}
#: a projection within ±10% of the budget is on pace
TOLERANCE = 0.10
#: rows of the pacing table: the largest by month-to-date spend
TOP = 60
PACING_COLUMNS = [
    "platform", "account_id", "campaign_id", "name", "spend_today", "daily_budget", "today_vs_budget",
    "spend_mtd", "month_budget", "projected", "projected_low", "projected_high", "projected_vs_budget",
    "prob_over_budget", "flag",
]  # fmt: skip


def data_day() -> date | None:
    """The day the page calls today: today, or the warehouse's last day when it ends earlier."""
    hi = warehouse.query("SELECT max(date) AS hi FROM campaign_daily").iloc[0]["hi"]
    if pd.isna(hi):
        return None
    return min(clock.today(), pd.Timestamp(hi).date())


def pacing(level: str = "platform", day: date | None = None, limit: int = TOP) -> pd.DataFrame:
    """Per platform, account or campaign: spend today and month to date against budget, the
    projected month total with its interval, and the over/under flag (PACING_COLUMNS). The
    `limit` largest by month-to-date spend (a projection per campaign costs a few milliseconds)."""
    if level not in LEVELS:
        raise InputError(f"level must be one of {', '.join(LEVELS)}")
    day = day or data_day()
    if day is None:
        return pd.DataFrame(columns=PACING_COLUMNS)
    keys = LEVELS[level]
    start = day.replace(day=1)
    spend = _daily_spend(min(start, day - timedelta(days=14)), day, keys)
    budgets = _budgets(keys)
    names = _names(level)
    rows = []
    month_days = calendar.monthrange(day.year, day.month)[1]
    mtd = spend[spend["date"] >= pd.Timestamp(start)].groupby(keys)["spend"].sum()
    wanted = set(mtd.sort_values(ascending=False, kind="stable").head(limit).index)
    for key, part in spend.groupby(keys, sort=True):
        if (key if len(keys) > 1 else key[0] if isinstance(key, tuple) else key) not in wanted:
            continue
        ident_key = tuple(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        ident = dict(zip(keys, ident_key, strict=True))
        series = part.set_index("date")["spend"].reindex(
            pd.date_range(part["date"].min(), day), fill_value=0.0
        )
        daily_budget = float(budgets.get(ident_key, 0.0)) or None
        rows.append(_pace_one(ident, names.get(ident_key, ""), series, day, daily_budget, month_days))
    frame = pd.DataFrame(rows, columns=PACING_COLUMNS)
    return frame.sort_values("spend_mtd", ascending=False, kind="stable").reset_index(drop=True)


def _pace_one(
    ident: dict[str, str],
    name: str,
    series: pd.Series,
    day: date,
    daily_budget: float | None,
    month_days: int,
) -> dict[str, object]:
    start = day.replace(day=1)
    month_end = start.replace(day=month_days)
    today = float(series.iloc[-1])
    mtd = float(series[series.index >= pd.Timestamp(start)].sum())
    complete = series[series.index < pd.Timestamp(day)].tail(14)
    month_budget = daily_budget * month_days if daily_budget else None
    projected, low, high, vs, prob = mtd, mtd, mtd, None, None
    if day < month_end and len(complete):
        rate = float(complete.tail(7).mean())
        sd = float(complete.std(ddof=1)) if len(complete) > 1 else 0.0
        future = pd.date_range(day + timedelta(days=1), month_end)
        forecast = pd.DataFrame(
            {
                "ds": future,
                "yhat": rate,
                "yhat_lower": max(rate - 1.2816 * sd, 0.0),
                "yhat_upper": rate + 1.2816 * sd,
            }
        )
        actuals = pd.DataFrame({"ds": series.index, "y": series.to_numpy()})
        p = pace(actuals, forecast, budget=month_budget)
        projected, low, high = p.projected_total, max(p.lower, mtd), p.upper
        vs, prob = p.projected_vs_budget, p.prob_over_budget
    elif month_budget:
        vs = projected / month_budget - 1
    flag = (
        "no budget" if vs is None else "over" if vs > TOLERANCE else "under" if vs < -TOLERANCE else "on pace"
    )
    return {
        "platform": ident.get("platform"),
        "account_id": ident.get("account_id"),
        "campaign_id": ident.get("campaign_id"),
        "name": name,
        "spend_today": today,
        "daily_budget": daily_budget,
        "today_vs_budget": today / daily_budget if daily_budget else np.nan,
        "spend_mtd": mtd,
        "month_budget": month_budget,
        "projected": projected,
        "projected_low": low,
        "projected_high": high,
        "projected_vs_budget": vs,
        "prob_over_budget": prob,
        "flag": flag,
    }


def _daily_spend(start: date, end: date, keys: list[str]) -> pd.DataFrame:
    cols = ", ".join(keys)
    frame = warehouse.query(
        f"SELECT {cols}, date, sum(spend_reporting) AS spend FROM campaign_daily "
        f"WHERE date BETWEEN ? AND ? GROUP BY ALL ORDER BY date",
        [start, end],
    )
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def _budgets(keys: list[str]) -> dict[tuple[str, ...], float]:
    """Enabled campaigns' daily budgets summed per key, in the reporting currency (latest rate)."""
    cols = ", ".join(f"c.{k}" for k in keys)
    frame = warehouse.query(
        f"""SELECT {cols}, sum(c.daily_budget * coalesce(r.rate, CASE WHEN c.currency = ? THEN 1 END)) AS budget
            FROM campaigns c
            LEFT JOIN (SELECT currency, arg_max(rate_to_reporting, date) AS rate FROM fx_rates
                       WHERE reporting_currency = ? GROUP BY currency) r ON r.currency = c.currency
            WHERE c.status = 'ENABLED' AND c.daily_budget > 0 GROUP BY ALL""",
        [config.load().reporting_currency] * 2,
    )
    return {tuple(str(v) for v in row[:-1]): float(row[-1] or 0.0) for row in frame.itertuples(index=False)}


def _names(level: str) -> dict[tuple[str, ...], str]:
    if level == "campaign":
        frame = warehouse.query("SELECT platform, account_id, campaign_id, campaign_name FROM campaigns")
    elif level == "account":
        frame = warehouse.query("SELECT platform, account_id, account_name FROM accounts")
    else:
        return {}
    return {tuple(str(v) for v in row[:-1]): str(row[-1]) for row in frame.itertuples(index=False)}


def totals(table: pd.DataFrame) -> dict[str, float]:
    """The KPI tiles: spend today, month to date, month budget and the projected month (sums)."""
    if table.empty:
        return {"spend_today": 0.0, "spend_mtd": 0.0, "month_budget": 0.0, "projected": 0.0}
    return {
        c: float(table[c].fillna(0).sum()) for c in ("spend_today", "spend_mtd", "month_budget", "projected")
    }


def sync_health(now: datetime | None = None) -> pd.DataFrame:
    """Per account: last success, its lag in hours, failed reads in the last 7 days, the last error."""
    from adops import ingest, store
    from adops.store.models import SyncAccountRun, SyncRun

    now = now or datetime.now(UTC)
    health = ingest.account_health()
    with store.session() as s:
        failed = s.execute(
            select(SyncAccountRun.platform, SyncAccountRun.account_id, func.count())
            .join(SyncRun, SyncRun.id == SyncAccountRun.sync_run_id)
            .where(SyncAccountRun.status == "failed", SyncRun.started_at >= now - timedelta(days=7))
            .group_by(SyncAccountRun.platform, SyncAccountRun.account_id)
        ).all()
    errors = {(p, a): int(n) for p, a, n in failed}
    out = health[["platform", "account_id", "name", "last_success_at", "last_error"]].copy()
    stamps = pd.to_datetime(out["last_success_at"], utc=True)
    out["lag_hours"] = ((pd.Timestamp(now) - stamps).dt.total_seconds() / 3600).round(1)
    out["errors_7d"] = [
        errors.get((p, a), 0) for p, a in zip(out["platform"], out["account_id"], strict=True)
    ]
    out["state"] = np.where(
        out["last_success_at"].isna(),
        "never synced",
        np.where(
            out["last_error"].notna() & (out["last_error"] != ""),
            "failing",
            np.where(out["lag_hours"] > 26, "late", "ok"),
        ),
    )
    return out[
        ["platform", "account_id", "name", "state", "last_success_at", "lag_hours", "errors_7d", "last_error"]
    ]


def latest_event_id() -> int:
    """The newest event's id (the live feed starts a little before it)."""
    from adops import store
    from adops.store.models import Event

    with store.session() as s:
        return int(s.scalar(select(func.max(Event.id))) or 0)
